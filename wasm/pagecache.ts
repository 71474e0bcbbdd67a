// One shmem mapping's page cache (mapping->i_pages), same radix as the page table: a folio of
// order 0, 9 or 18 is one entry at level 1, 2 or 3 (multi-index entry), holding the head pfn.
// Tables are freed when their last entry goes, as xarray nodes are, so "anything in this
// 512-index block" is one walk (shmem_alloc_hugefolio's xa_find). Same algorithm as
// sim/fastpath/reference/page-cache.ts; leaves out RCU, value entries, marks.
import { OUT, OUT_BYTES, allocChunk, freeChunk, chunkAddr, chunkCount, chunkCountAdd } from './mem';
import { header, H_ROOT, H_COUNT1, H_NRPAGES } from './handles';
import { E_LEAF, E_TABLE, shiftOf, slot, tableOf } from './ept';
import { folioPut, folioRefcount, folioSplit, freePagesAt } from './buddy';
import { touchGroup, WALK_GROUP } from './walk-many';

export const OUT_RECORDS: u32 = OUT_BYTES / 12;
export const PARTIAL: u32 = 0x100;

@inline function levelCount(h: u32, level: u32, d: i32): void {
  const p = header(h) + H_COUNT1 + (<usize>(level - 1) << 2);
  store<u32>(p, <u32>(<i32>load<u32>(p) + d));
}

@inline function pagesAdd(h: u32, d: i64): void {
  const p = header(h) + H_NRPAGES;
  store<i64>(p, load<i64>(p) + d);
}

export function pcNrPages(h: u32): f64 {
  return <f64>load<i64>(header(h) + H_NRPAGES);
}

/** Level of the last pcLookup's entry (1..3), 0 when none. */
export let lookupLevel: u32 = 0;

/** The level-1 table where the last pcLookupKeep missed at level 1, 0 when it missed above
 * (chunk 0 is the zero table, never a real one) or found a folio. */
export let missTable1: u32 = 0;

/** pcLookup that also keeps the level-1 table of a miss there (missTable1): a first touch of a
 * 4 KiB page whose neighbours are in, nearly every fault of a boot, then needs no second walk
 * and no call to insert (pcInsertLeaf1). */
@inline export function pcLookupKeep(h: u32, index: u32): i32 {
  missTable1 = 0;
  let e = load<u32>(chunkAddr(load<u32>(header(h) + H_ROOT)) + (<usize>(index >> 27) << 2));
  if (e == 0) { lookupLevel = 0; return -1; }
  e = load<u32>(chunkAddr(e >> 2) + (<usize>((index >> 18) & 511) << 2));
  if (e & E_LEAF) { lookupLevel = 3; return <i32>(e >> 2); }
  if (e == 0) { lookupLevel = 0; return -1; }
  e = load<u32>(chunkAddr(e >> 2) + (<usize>((index >> 9) & 511) << 2));
  if (e & E_LEAF) { lookupLevel = 2; return <i32>(e >> 2); }
  if (e == 0) { lookupLevel = 0; return -1; }
  const t = e >> 2;
  e = load<u32>(chunkAddr(t) + (<usize>(index & 511) << 2));
  if (e & E_LEAF) { lookupLevel = 1; return <i32>(e >> 2); }
  lookupLevel = 0;
  missTable1 = t;
  return -1;
}

/** filemap_get_entry: head pfn of the folio covering index, or -1 (pcLookupKeep's walk; its
 * missTable1 is left for whoever asked for it). */
@inline export function pcLookup(h: u32, index: u32): i32 {
  return pcLookupKeep(h, index);
}

/** pcInsert(h, index, pfn, 0) into the level-1 table t where pcLookupKeep just missed index
 * (nothing inserted since): the slot is known empty, so what is left is the stores. */
@inline export function pcInsertLeaf1(h: u32, t: u32, index: u32, pfn: u32): void {
  storeLeaf(h, t, chunkAddr(t) + (<usize>(index & 511) << 2), pfn, 1, 0);
}

/** Store a folio of order 0/9/18 at aligned index; false when any slot is taken. */
export function pcInsert(h: u32, index: u32, pfn: u32, order: u32): bool {
  const level = order / 9 + 1;
  const key = <u64>index;
  let t = load<u32>(header(h) + H_ROOT);
  for (let lv: u32 = 4; lv > level; lv--) {
    const p = slot(t, key, lv);
    const e = load<u32>(p);
    if (e & E_LEAF) return false;
    if (e == 0) {
      const c = allocChunk();
      store<u32>(p, (c << 2) | E_TABLE);
      chunkCountAdd(t, 1);
      t = c;
    } else {
      t = tableOf(e);
    }
  }
  const p = slot(t, key, level);
  if (load<u32>(p) != 0) return false;
  storeLeaf(h, t, p, pfn, level, order);
  return true;
}

/** A folio's entry into the empty slot p of table t at level, with the counts it moves. */
@inline function storeLeaf(h: u32, t: u32, p: usize, pfn: u32, level: u32, order: u32): void {
  store<u32>(p, (pfn << 2) | E_LEAF);
  chunkCountAdd(t, 1);
  levelCount(h, level, 1);
  pagesAdd(h, <i64>1 << <i64>order);
}

/** pcInsert(idx[i], pfns[i], orders[i]) for i < n, in order, ok[i] = 1 if it went in; each
 * group's slots are touched first (walk-many.ts touchGroup) so the group's misses overlap. */
export function pcInsertMany(h: u32, idx: usize, pfns: usize, orders: usize, ok: usize, n: u32): void {
  let i: u32 = 0;
  while (i < n) {
    const o = <usize>i << 2;
    const g = n - i >= WALK_GROUP ? WALK_GROUP : 0;
    if (g) touchGroup(h, idx + o);
    const end = g ? i + g : n;
    for (; i < end; i++) {
      const q = <usize>i << 2;
      store<u32>(ok + q, <u32>pcInsert(h, load<u32>(idx + q), load<u32>(pfns + q), load<u32>(orders + q)));
    }
  }
}

/** xa_find over the 512-index block of index: is any entry present? */
export function pcAnyInBlock(h: u32, index: u32): bool {
  let e = load<u32>(chunkAddr(load<u32>(header(h) + H_ROOT)) + (<usize>(index >> 27) << 2));
  if (e == 0) return false;
  e = load<u32>(chunkAddr(e >> 2) + (<usize>((index >> 18) & 511) << 2));
  if (e == 0) return false;
  if (e & E_LEAF) return true;
  return load<u32>(chunkAddr(e >> 2) + (<usize>((index >> 9) & 511) << 2)) != 0;
}

// ---- range walks (erase, punch, collect) ----

export const MODE_ERASE: u32 = 0;
export const MODE_PUNCH: u32 = 1;
export const MODE_COLLECT: u32 = 2;

let mode: u32 = 0;
let outN: u32 = 0;
let outCap: u32 = 0;
let stopped = false;
/** Head index at which a walk stopped for want of room in OUT (valid when stopped). */
export let resumeAt: f64 = 0;
/** Partial huge folios met by a punch (at most the ones covering start and end - 1). */
let partialN: u32 = 0;
let partialIdx0: u64 = 0; let partialPfn0: u32 = 0; let partialLvl0: u32 = 0;
let partialIdx1: u64 = 0; let partialPfn1: u32 = 0; let partialLvl1: u32 = 0;

// punch statistics
export let pFoliosFreed: u32 = 0;
export let pPagesFreed: f64 = 0;
export let pStillReferenced: u32 = 0;
export let pSplits: u32 = 0;
export let pSplitFailures: u32 = 0;

function emit(index: u64, pfn: u32, order: u32): bool {
  if (outN == outCap) { stopped = true; resumeAt = <f64>index; return false; }
  const p = OUT + <usize>(outN * 12);
  store<u32>(p, <u32>index);
  store<u32>(p + 4, pfn);
  store<u32>(p + 8, order);
  outN++;
  return true;
}

/** Drop the page cache's reference of a removed folio; free it at zero (__folio_put). */
function dropFolio(pfn: u32, order: u32): void {
  if (folioPut(pfn) == 0) {
    freePagesAt(pfn, order);
    pFoliosFreed++;
    pPagesFreed += <f64>(<u64>1 << <u64>order);
  } else {
    pStillReferenced++;
  }
}

function walkLevel(h: u32, t: u32, level: u32, base: u64, start: u64, end: u64, from: u64): void {
  const sh = <u64>shiftOf(level);
  const span = <u64>1 << sh;
  let lo = start > base ? start : base;
  if (mode == MODE_COLLECT && from > lo) lo = from;
  const tableEnd = base + (span << 9);
  const hi = end < tableEnd ? end : tableEnd;
  if (lo >= hi) return;
  const first = <u32>((lo - base) >> sh);
  const last = <u32>((hi - 1 - base) >> sh);
  const addr = chunkAddr(t);
  for (let i = first; i <= last; i++) {
    const p = addr + (<usize>i << 2);
    const e = load<u32>(p);
    if (e == 0) continue;
    const eb = base + (<u64>i << sh);
    if (e & E_LEAF) {
      if (eb < from) continue;
      const pfn = e >> 2;
      const order = 9 * (level - 1);
      if (mode == MODE_COLLECT) {
        if (eb < start) continue;
        if (!emit(eb, pfn, order)) return;
        continue;
      }
      const whole = eb >= start && eb + span <= end;
      if (mode == MODE_ERASE) {
        if (!emit(eb, pfn, whole ? order : order | PARTIAL)) return;
      } else if (!whole) {
        if (partialN == 0) { partialIdx0 = eb; partialPfn0 = pfn; partialLvl0 = level; }
        else { partialIdx1 = eb; partialPfn1 = pfn; partialLvl1 = level; }
        partialN++;
      }
      if (whole) {
        store<u32>(p, 0);
        chunkCountAdd(t, -1);
        levelCount(h, level, -1);
        pagesAdd(h, -(<i64>span));
        if (mode == MODE_PUNCH) dropFolio(pfn, order);
      }
      continue;
    }
    const c = tableOf(e);
    walkLevel(h, c, level - 1, eb, start, end, from);
    if (mode != MODE_COLLECT && chunkCount(c) == 0) {
      freeChunk(c);
      store<u32>(p, 0);
      chunkCountAdd(t, -1);
    }
    if (stopped) return;
  }
}

function walk(h: u32, start: u64, end: u64, from: u64, m: u32): u32 {
  mode = m; outN = 0; outCap = OUT_RECORDS; stopped = false; resumeAt = -1;
  if (end > start) walkLevel(h, load<u32>(header(h) + H_ROOT), 4, 0, start, end, from);
  return outN;
}

/**
 * Erase whole folios in [start, end), report them and the partial ones (order | PARTIAL) into
 * OUT ascending; considers only heads >= from. When OUT fills, resumeAt says where to go on.
 */
export function pcErase(h: u32, start: u64, end: u64, from: u64): u32 { return walk(h, start, end, from, MODE_ERASE); }

/** Entries with head in [start, end), ascending, into OUT (resumeAt as for pcErase). */
export function pcCollect(h: u32, start: u64, end: u64): u32 { return walk(h, start, end, start, MODE_COLLECT); }

/** Replace the huge entry covering index by order-0 entries pfn, pfn+1, ... */
export function pcSplit(h: u32, index: u32): void {
  const pfn = pcLookup(h, index);
  const level = lookupLevel;
  if (pfn < 0 || level == 1) return;
  const key = <u64>index;
  let t = load<u32>(header(h) + H_ROOT);
  for (let lv: u32 = 4; lv > level; lv--) t = tableOf(load<u32>(slot(t, key, lv)));
  const p = slot(t, key, level);
  store<u32>(p, (fillTable(<u32>pfn, level - 1) << 2) | E_TABLE);
  levelCount(h, level, -1);
  levelCount(h, 1, 1 << (9 * (level - 1)));
}

/** A full table of `level` mapping pfn.. at order 0 (with full tables below for level 2). */
function fillTable(pfn: u32, level: u32): u32 {
  const c = allocChunk();
  const addr = chunkAddr(c);
  const step: u32 = 1 << (9 * (level - 1));
  for (let i: u32 = 0; i < 512; i++) {
    const e = level == 1 ? ((pfn + i) << 2) | E_LEAF : (fillTable(pfn + i * step, level - 1) << 2) | E_TABLE;
    store<u32>(addr + (<usize>i << 2), e);
  }
  chunkCountAdd(c, 512);
  return c;
}

/**
 * shmem_undo_range's page-cache half (see sim/fastpath/shmem-ops.ts punchRange): statistics in
 * pFoliosFreed.. pSplitFailures.
 */
export function pcPunch(h: u32, start: u64, end: u64): void {
  pFoliosFreed = 0; pPagesFreed = 0; pStillReferenced = 0; pSplits = 0; pSplitFailures = 0;
  partialN = 0;
  walk(h, start, end, 0, MODE_PUNCH);
  const n = partialN;
  for (let k: u32 = 0; k < n; k++) {
    const idx = k == 0 ? partialIdx0 : partialIdx1;
    const pfn = k == 0 ? partialPfn0 : partialPfn1;
    const lvl = k == 0 ? partialLvl0 : partialLvl1;
    if (folioRefcount(pfn) != 1) { pSplitFailures++; continue; }
    folioSplit(pfn);
    pcSplit(h, <u32>idx);
    pSplits++;
    const fEnd = idx + (<u64>1 << <u64>(9 * (lvl - 1)));
    walk(h, start > idx ? start : idx, end < fEnd ? end : fEnd, 0, MODE_PUNCH);
  }
}
