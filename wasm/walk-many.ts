// Batched radix walks, a group of keys at a time and level by level (all the group's level-3
// loads, then all its level-2 loads, ...) instead of each key down to its leaf in turn. A walk
// is a chain of dependent loads and the last one misses cache; walking GROUP independent
// chains side by side lets their misses overlap (memory-level parallelism) where key-by-key
// walking leaves the CPU waiting on one chain. Branch-free per lane (select), so a group's
// loads issue without waiting on branch outcomes. While every lane of a group still holds a
// table (a populated radix: all of the benchmark's walks), a level is plain loads with no
// selects, and the group switches to the per-lane selects at the first level where one does
// not. Same answers as eptWalk / pcLookup; the page-table and page-cache entry formats are
// shared (see ept.ts). Used by pt_walk_batch and pc_lookup_batch; op-by-op callers keep
// eptWalk / pcLookup.
import { chunkAddr } from './mem';
import { header, H_ROOT } from './handles';

// 32 lanes: A/B on this machine (best of 3, alternated) against 16: walks 29.8 -> 28.8 ns,
// lookups 34.7-36.6 -> 32.2-34.4, mapMany 59-60 -> 55 (loaded); 64 was no better for walks.
const GROUP: u32 = 32;
/** Per-lane entry and offset mask of the group in flight. */
const LANE_E: usize = memory.data(GROUP << 2, 16);
const LANE_M: usize = memory.data(GROUP << 2, 16);
/** Where a finished lane (leaf or empty) reads instead of a table: a word that is in cache. */
const DUMMY: usize = memory.data(4, 4);

/** One level for every lane of the group at keys[0..GROUP): tables are followed, leaves and
 * empty entries stay; a lane that finds its leaf here keeps `mask` (offset bits at this level). */
@inline function stepLevel(keys: usize, shift: u32, mask: u32, withOffset: bool): void {
  for (let j: usize = 0; j < <usize>GROUP; j++) {
    const k = load<u32>(keys + (j << 2));
    const e = load<u32>(LANE_E + (j << 2));
    const isTable = (e & 2) != 0;
    const a = select<usize>(chunkAddr(e >> 2) + (<usize>((k >> shift) & 511) << 2), DUMMY, isTable);
    const v = load<u32>(a);
    store<u32>(LANE_E + (j << 2), select<u32>(v, e, isTable));
    if (withOffset) store<u32>(LANE_M + (j << 2), select<u32>(mask, load<u32>(LANE_M + (j << 2)), isTable));
  }
}

/** stepLevel for a group whose lanes all hold tables (the common case of a populated radix):
 * plain loads, no selects; returns the AND of the new entries, whose bit 1 says whether every
 * lane holds a table again. */
@inline function stepAllTables(keys: usize, shift: u32): u32 {
  let all: u32 = 0xffffffff;
  for (let j: usize = 0; j < <usize>GROUP; j++) {
    const e = load<u32>(chunkAddr(load<u32>(LANE_E + (j << 2)) >> 2) + (<usize>((load<u32>(keys + (j << 2)) >> shift) & 511) << 2));
    store<u32>(LANE_E + (j << 2), e);
    all &= e;
  }
  return all;
}

/** One level: the plain loads while every lane still holds a table (`fast`), else stepLevel.
 * Returns whether every lane still holds a table; when that stops being so, each lane's
 * offset mask becomes this level's (every lane descended here), as stepLevel would leave it. */
@inline function step(keys: usize, shift: u32, mask: u32, fast: bool, withOffset: bool): bool {
  if (!fast) { stepLevel(keys, shift, mask, withOffset); return false; }
  if (stepAllTables(keys, shift) & 2) return true;
  if (withOffset) for (let j: usize = 0; j < <usize>GROUP; j++) store<u32>(LANE_M + (j << 2), mask);
  return false;
}

/**
 * For i < n: out[i] = walk(keys[i]) (withOffset: the pfn gfn maps to, as eptWalk) or the head
 * pfn of the entry covering keys[i] (as pcLookup); -1 when nothing is there. out may be keys.
 */
@inline export function walkMany(h: u32, keys: usize, out: usize, n: u32, withOffset: bool): void {
  const root = chunkAddr(load<u32>(header(h) + H_ROOT));
  let i: u32 = 0;
  for (; i + GROUP <= n; i += GROUP) {
    const kp = keys + (<usize>i << 2);
    let all: u32 = 0xffffffff;
    for (let j: usize = 0; j < <usize>GROUP; j++) {
      const e = load<u32>(root + (<usize>(load<u32>(kp + (j << 2)) >> 27) << 2));
      store<u32>(LANE_E + (j << 2), e);
      all &= e;
    }
    // (no leaf at the root level: a lane that holds no table there is empty, its mask unused)
    let fast = (all & 2) != 0;
    fast = step(kp, 18, 0x3ffff, fast, withOffset);
    fast = step(kp, 9, 511, fast, withOffset);
    step(kp, 0, 0, fast, withOffset);
    const op = out + (<usize>i << 2);
    for (let j: usize = 0; j < <usize>GROUP; j++) {
      const e = load<u32>(LANE_E + (j << 2));
      const off = withOffset ? load<u32>(kp + (j << 2)) & load<u32>(LANE_M + (j << 2)) : 0;
      store<i32>(op + (j << 2), select<i32>(<i32>((e >> 2) + off), -1, (e & 1) != 0));
    }
  }
  for (; i < n; i++) store<i32>(out + (<usize>i << 2), walkOne(root, load<u32>(keys + (<usize>i << 2)), withOffset));
}

/** One key, as eptWalk (withOffset) or pcLookup, from the root table's address. */
function walkOne(root: usize, k: u32, withOffset: bool): i32 {
  let e = load<u32>(root + (<usize>(k >> 27) << 2));
  if (e == 0) return -1;
  e = load<u32>(chunkAddr(e >> 2) + (<usize>((k >> 18) & 511) << 2));
  if (e & 1) return <i32>((e >> 2) + (withOffset ? k & 0x3ffff : 0));
  if (e == 0) return -1;
  e = load<u32>(chunkAddr(e >> 2) + (<usize>((k >> 9) & 511) << 2));
  if (e & 1) return <i32>((e >> 2) + (withOffset ? k & 511 : 0));
  if (e == 0) return -1;
  e = load<u32>(chunkAddr(e >> 2) + (<usize>(k & 511) << 2));
  return (e & 1) ? <i32>(e >> 2) : -1;
}

/** Where touchGroup's walks put their (unused) results. */
const TOUCH_OUT: usize = memory.data(GROUP << 2, 16);

/**
 * Walk keys[0..GROUP) level by level (as walkMany) only to bring the slots they end on into
 * cache, so that updates of those keys done one by one right after (mapMany, insertMany) do
 * not each wait on their own miss. Read-only: the state and the updates' order are unchanged.
 */
export function touchGroup(h: u32, keys: usize): void {
  walkMany(h, keys, TOUCH_OUT, GROUP, false);
}

export const WALK_GROUP: u32 = GROUP;
