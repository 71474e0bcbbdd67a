// One VM's secondary page table (TDP MMU EPT/NPT shape): 4 levels of 512-entry u32 tables in
// 2 KiB chunks, leaves at level 1 (4 KiB), 2 (2 MiB) and 3 (1 GiB); gfns are 32-bit, so the
// root uses 32 of its entries. Entry: 0 empty, (pfn << 2) | 1 leaf, (chunk << 2) | 2 table.
// Same algorithm as sim/fastpath/reference/page-table.ts: kvm_tdp_mmu_map install/replace,
// tdp_mmu_zap_leafs (and, with freeTables, freeing tables wholly inside the range). Leaves out
// SPTE permission/A-D bits, RCU-deferred freeing, yields and TLB flushes.
import { allocChunk, freeChunk, chunkAddr, chunkCount, chunkCountAdd, HEADER_BYTES } from './mem';
import { header, H_ROOT, H_COUNT1 } from './handles';
import { touchGroup, WALK_GROUP } from './walk-many';
import { hintSlot, hintGet, hintSet } from './hints';

export const E_LEAF: u32 = 1;
export const E_TABLE: u32 = 2;

@inline export function shiftOf(level: u32): u32 { return 9 * (level - 1); }
@inline export function slot(table: u32, key: u64, level: u32): usize {
  return chunkAddr(table) + (<usize>((key >> <u64>shiftOf(level)) & 511) << 2);
}
@inline export function tableOf(e: u32): u32 { return e >> 2; }

@inline function countAdd(h: u32, level: u32, d: i32): void {
  const p = header(h) + H_COUNT1 + (<usize>(level - 1) << 2);
  store<u32>(p, <u32>(<i32>load<u32>(p) + d));
}

/** Zap statistics of the last call: leaves per level, tables freed. */
export let zapLeaves1: u32 = 0;
export let zapLeaves2: u32 = 0;
export let zapLeaves3: u32 = 0;
export let zapTables: u32 = 0;

/** n leaves of `level` zapped: the call's statistics and the table's per-level count. Called
 * once per table scanned, not per leaf: the 2 MiB zap's loop is then a load, a test and a store. */
function zapped(h: u32, level: u32, n: u32): void {
  if (n == 0) return;
  if (level == 1) zapLeaves1 += n;
  else if (level == 2) zapLeaves2 += n;
  else zapLeaves3 += n;
  countAdd(h, level, -<i32>n);
}

/** Free table `t` of `level` and everything below it, counting into the zap statistics. */
function freeSubtree(h: u32, t: u32, level: u32): void {
  const base = chunkAddr(t);
  let leaves: u32 = 0;
  for (let i: usize = 0; i < 512; i++) {
    const e = load<u32>(base + (i << 2));
    if (e == 0) continue;
    if (e & E_LEAF) leaves++;
    else freeSubtree(h, tableOf(e), level - 1);
    store<u32>(base + (i << 2), 0);
  }
  zapped(h, level, leaves);
  freeChunk(t);
  zapTables++;
}

/** Table below entry p at `level`, made if absent (a huge leaf there is dropped first). */
@inline function descend(h: u32, p: usize, level: u32): u32 {
  let e = load<u32>(p);
  if (e & E_LEAF) { countAdd(h, level, -1); e = 0; }
  if (e == 0) {
    const t = allocChunk();
    store<u32>(p, (t << 2) | E_TABLE);
    return t;
  }
  return tableOf(e);
}

/** Install a leaf at entry p of `level`, dropping what was there (a leaf, or a whole table). */
@inline function install(h: u32, p: usize, pfn: u32, level: u32): void {
  const e = load<u32>(p);
  if (e & E_LEAF) countAdd(h, level, -1);
  else if (e != 0) freeSubtree(h, tableOf(e), level - 1);
  store<u32>(p, (pfn << 2) | E_LEAF);
  countAdd(h, level, 1);
}

/** kvm_tdp_mmu_map's install when every table on the way is there and no table sits where
 * the leaf goes (the common case): no allocation, so no call; false = nothing done, the caller
 * takes eptMapSlow. Keeping calls out of this path keeps the loops it is inlined into free of
 * register spills (V8 spills a value at its definition when it lives across any call). */
@inline function eptMapFast(h: u32, gfn: u32, pfn: u32, level: u32): bool {
  let e = load<u32>(chunkAddr(load<u32>(header(h) + H_ROOT)) + (<usize>(gfn >> 27) << 2));
  if (!(e & E_TABLE)) return false;
  let p = chunkAddr(e >> 2) + (<usize>((gfn >> 18) & 511) << 2);
  if (level < 3) {
    e = load<u32>(p);
    if (!(e & E_TABLE)) return false;
    p = chunkAddr(e >> 2) + (<usize>((gfn >> 9) & 511) << 2);
    if (level < 2) {
      e = load<u32>(p);
      if (!(e & E_TABLE)) return false;
      p = chunkAddr(e >> 2) + (<usize>(gfn & 511) << 2);
    }
  }
  if (load<u32>(p) & E_TABLE) return false;
  storeLeaf(h, p, pfn, level);
  return true;
}

/** A leaf into slot p (empty or a leaf, not a table) at level, with the per-level counts. */
@inline function storeLeaf(h: u32, p: usize, pfn: u32, level: u32): void {
  if (load<u32>(p) & E_LEAF) countAdd(h, level, -1);
  store<u32>(p, (pfn << 2) | E_LEAF);
  countAdd(h, level, 1);
}

/** kvm_tdp_mmu_map's install: eptMapFast, else eptMapSlow. */
@inline export function eptMap(h: u32, gfn: u32, pfn: u32, level: u32): void {
  if (!eptMapFast(h, gfn, pfn, level)) eptMapSlow(h, gfn, pfn, level);
}

/** kvm_tdp_mmu_map's install, any case (tables made, huge leaves or tables replaced), levels
 * unrolled (u32 index math, as the walk). */
function eptMapSlow(h: u32, gfn: u32, pfn: u32, level: u32): void {
  const t3 = descend(h, chunkAddr(load<u32>(header(h) + H_ROOT)) + (<usize>(gfn >> 27) << 2), 4);
  const p3 = chunkAddr(t3) + (<usize>((gfn >> 18) & 511) << 2);
  if (level == 3) { install(h, p3, pfn, 3); return; }
  const t2 = descend(h, p3, 3);
  const p2 = chunkAddr(t2) + (<usize>((gfn >> 9) & 511) << 2);
  if (level == 2) { install(h, p2, pfn, 2); return; }
  const t1 = descend(h, p2, 2);
  install(h, chunkAddr(t1) + (<usize>(gfn & 511) << 2), pfn, 1);
}

/** The pfn gfn maps to, or -1. */
@inline export function eptWalk(h: u32, gfn: u32): i32 {
  return eptWalkFrom(eptRootAddr(h), gfn);
}

/** Address of h's root table: loops of walks load it once (as C keeps its root in a register). */
@inline export function eptRootAddr(h: u32): usize {
  return chunkAddr(load<u32>(header(h) + H_ROOT));
}

/**
 * eptWalk from the root table at `root` (eptRootAddr). An empty entry (0) names chunk 0, the
 * zero table (mem.ts ZERO_TABLE), so the walk follows it like a table and finds only empty
 * entries below: no test for empty at any level, only the one for a leaf. As MIPS and
 * LoongArch point a none pmd at invalid_pte_table so that their TLB refill handler walks
 * without checks. Leaves out nothing: same answers as the reference's walk.
 */
@inline export function eptWalkFrom(root: usize, gfn: u32): i32 {
  let e = load<u32>(root + (<usize>(gfn >> 27) << 2));
  e = load<u32>(chunkAddr(e >> 2) + (<usize>((gfn >> 18) & 511) << 2));
  if (e & E_LEAF) return <i32>((e >> 2) + (gfn & 0x3ffff));
  e = load<u32>(chunkAddr(e >> 2) + (<usize>((gfn >> 9) & 511) << 2));
  if (e & E_LEAF) return <i32>((e >> 2) + (gfn & 511));
  e = load<u32>(chunkAddr(e >> 2) + (<usize>(gfn & 511) << 2));
  return e & E_LEAF ? <i32>(e >> 2) : -1;
}

/** The level-1 table covering gfn (hints.ts first, else the walk, which then leaves its hint),
 * or 0 when there is none (a huge leaf or nothing above). The next faults of the block, their
 * walk (eptWalkHinted) and their map, then cost the hint's line and the entry's. */
@inline export function eptTable1(h: u32, gfn: u32): u32 {
  const hs = hintSlot(h, gfn);
  let t = hintGet(hs, h, gfn);
  if (t != 0) return t;
  let e = load<u32>(eptRootAddr(h) + (<usize>(gfn >> 27) << 2));
  if (!(e & E_TABLE)) return 0;
  e = load<u32>(chunkAddr(e >> 2) + (<usize>((gfn >> 18) & 511) << 2));
  if (!(e & E_TABLE)) return 0;
  e = load<u32>(chunkAddr(e >> 2) + (<usize>((gfn >> 9) & 511) << 2));
  if (!(e & E_TABLE)) return 0;
  t = e >> 2;
  hintSet(hs, h, gfn, t);
  return t;
}

/** eptMap of a 4 KiB leaf into its block's level-1 table (eptTable1); false, nothing done, when
 * there is none (then eptMap makes it). */
@inline export function eptMap1Hinted(h: u32, gfn: u32, pfn: u32): bool {
  const t = eptTable1(h, gfn);
  if (t == 0) return false;
  storeLeaf(h, chunkAddr(t) + (<usize>(gfn & 511) << 2), pfn, 1);
  return true;
}

/** A 4 KiB leaf into level-1 table t (eptTable1's answer for gfn's block, non-zero). */
@inline export function eptMap1Into(h: u32, t: u32, gfn: u32, pfn: u32): void {
  storeLeaf(h, chunkAddr(t) + (<usize>(gfn & 511) << 2), pfn, 1);
}

/** eptWalk through its block's level-1 table when hints.ts has it, else the plain walk. Only the
 * map (eptTable1) leaves hints: a walk that missed then costs one walk, not eptTable1's table
 * walk and hint stores followed by a second walk where the block holds no level-1 table (a
 * huge leaf, nothing yet), and the vCPU loop's walk finds the hint its previous fault's map
 * left (wasm/README.md). */
@inline export function eptWalkHinted(h: u32, gfn: u32): i32 {
  const t = hintGet(hintSlot(h, gfn), h, gfn);
  if (t == 0) return eptWalk(h, gfn);
  const e = load<u32>(chunkAddr(t) + (<usize>(gfn & 511) << 2));
  return e & E_LEAF ? <i32>(e >> 2) : -1;
}

export function eptWalkLevel(h: u32, gfn: u32): u32 {
  const key = <u64>gfn;
  let t = load<u32>(header(h) + H_ROOT);
  for (let lv: u32 = 4; lv >= 1; lv--) {
    const e = load<u32>(slot(t, key, lv));
    if (e == 0) return 0;
    if (e & E_LEAF) return lv;
    t = tableOf(e);
  }
  return 0;
}

function zapLevel(h: u32, t: u32, level: u32, base: u64, start: u64, end: u64, freeTables: bool): void {
  const span = <u64>1 << <u64>shiftOf(level);
  const lo = start > base ? start : base;
  const tableEnd = base + (span << 9);
  const hi = end < tableEnd ? end : tableEnd;
  if (lo >= hi) return;
  const first = <u32>((lo - base) >> <u64>shiftOf(level));
  const last = <u32>((hi - 1 - base) >> <u64>shiftOf(level));
  const addr = chunkAddr(t);
  if (level == 1) {
    // A 4 KiB table holds leaves or nothing: count the present ones and clear them without a
    // branch, four entries per SIMD step (i32x4.ne gives -1 per present lane): what the loop
    // below would leave, in one pass.
    const end = addr + (<usize>last << 2) + 4;
    const zero = i32x4.splat(0);
    let acc = zero;
    let p = addr + (<usize>first << 2);
    for (; p + 16 <= end; p += 16) {
      acc = i32x4.add(acc, i32x4.ne(v128.load(p), zero));
      v128.store(p, zero);
    }
    let n: u32 = <u32>(-(i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3)));
    for (; p < end; p += 4) {
      n += <u32>(load<u32>(p) != 0);
      store<u32>(p, 0);
    }
    zapped(h, 1, n);
    return;
  }
  let leaves: u32 = 0;
  for (let i = first; i <= last; i++) {
    const p = addr + (<usize>i << 2);
    const e = load<u32>(p);
    if (e == 0) continue;
    if (e & E_LEAF) {
      leaves++;
      store<u32>(p, 0);
      continue;
    }
    const eb = base + (<u64>i) * span;
    if (freeTables && eb >= start && eb + span <= end) {
      freeSubtree(h, tableOf(e), level - 1);
      store<u32>(p, 0);
    } else {
      zapLevel(h, tableOf(e), level - 1, eb, start, end, freeTables);
    }
  }
  zapped(h, level, leaves);
}

/** Zap [start, end) (end may be 2^32); statistics in zapLeaves1..3 and zapTables. */
export function eptZap(h: u32, start: u64, end: u64, freeTables: bool): void {
  zapLeaves1 = 0; zapLeaves2 = 0; zapLeaves3 = 0; zapTables = 0;
  if (end <= start) return;
  zapLevel(h, load<u32>(header(h) + H_ROOT), 4, 0, start, end, freeTables);
}

function countTables(t: u32, level: u32): u32 {
  let n: u32 = 0;
  if (level == 1) return 0;
  const addr = chunkAddr(t);
  for (let i: usize = 0; i < 512; i++) {
    const e = load<u32>(addr + (i << 2));
    if (e != 0 && !(e & E_LEAF)) n += 1 + countTables(tableOf(e), level - 1);
  }
  return n;
}

/** Tables below the root (for tests and memory figures). */
export function eptTableCount(h: u32): u32 {
  return countTables(load<u32>(header(h) + H_ROOT), 4);
}

/** Free every table below the root (leaving the root) and zero the counts. */
export function radixClear(h: u32): void {
  const root = load<u32>(header(h) + H_ROOT);
  const addr = chunkAddr(root);
  for (let i: usize = 0; i < 512; i++) {
    const e = load<u32>(addr + (i << 2));
    if (e != 0) {
      if (!(e & E_LEAF)) freeSubtree(h, tableOf(e), 3);
      store<u32>(addr + (i << 2), 0);
    }
  }
  chunkCountAdd(root, -(<i32>chunkCount(root)));
  memory.fill(header(h) + H_COUNT1, 0, <usize>HEADER_BYTES - H_COUNT1);
}

/** eptMap(gfns[i], pfns[i], level) for i < n, in order, each group's slots touched first
 * (walk-many.ts touchGroup) so the group's misses overlap. Same final state as the loop. */
export function eptMapMany(h: u32, gfns: usize, pfns: usize, n: u32, level: u32): void {
  let i: u32 = 0;
  for (; i + WALK_GROUP <= n; i += WALK_GROUP) {
    const o = <usize>i << 2;
    touchGroup(h, gfns + o);
    for (let j: usize = 0; j < <usize>WALK_GROUP; j++) eptMap(h, load<u32>(gfns + o + (j << 2)), load<u32>(pfns + o + (j << 2)), level);
  }
  for (; i < n; i++) eptMap(h, load<u32>(gfns + (<usize>i << 2)), load<u32>(pfns + (<usize>i << 2)), level);
}
