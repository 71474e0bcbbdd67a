// The host's buddy allocator and folio table (mm/page_alloc.c of 6.1), the same algorithm as
// sim/fastpath/reference/host-memory.ts: __rmqueue_smallest + expand, __rmqueue_fallback
// (find_suitable_fallback, can_steal_fallback, steal_suitable_fallback, move_freepages_block),
// __free_one_page merging. Leaves out zones, per-CPU lists, watermarks, CMA, highatomic,
// isolation, ALLOC_NOFRAGMENT, reclaim and compaction. A free list hands out its lowest pfn.
//
// Folio table: one u32 per pfn, no pfn stored: bits 0-7 order, 8-15 flags, 16-31 refcount.
// Flags 0x0F are the model's (uptodate, unevictable, hwpoison, mapped); F_BUDDY marks the
// head of a free block (PageBuddy, order = buddy_order), F_ALLOC the head of an allocated
// folio, F_MOVABLE a movable allocation or, on a free head, the movable free list.
import { bumpAlloc, memoryFill } from './util';
import { BUMP_START, ensureMemory } from './mem';
import { bitsetsInit, bitsetCreate, bitsetSet, bitsetClear, bitsetFirst } from './bitset';

export const MAX_ORDER: u32 = 10;
export const PAGEBLOCK_ORDER: u32 = 9;
const NORDERS: u32 = MAX_ORDER + 1;
export const MIGRATE_UNMOVABLE: u32 = 0;
export const MIGRATE_MOVABLE: u32 = 1;

export const USER_FLAGS: u32 = 0x0f;
const F_BUDDY: u32 = 0x20;
const F_ALLOC: u32 = 0x40;
const F_MOVABLE: u32 = 0x80;

export let totalPages: u32 = 0;
/** The folio table: always the first bump allocation after the layout (hostInit checks), so
 * its address is a compile-time constant. */
const folios: usize = BUMP_START;
let pbmt: usize = 0;
/** freeCount[mt * NORDERS + order], u32 each: static data (a compile-time address). */
const freeCount: usize = memory.data(<i32>(2 * NORDERS * 4), 8);
let hostEnd: usize = 0;

@inline function rec(pfn: u32): u32 { return load<u32>(folios + (<usize>pfn << 2)); }
@inline function setRec(pfn: u32, v: u32): void { store<u32>(folios + (<usize>pfn << 2), v); }
@inline function mkRec(order: u32, flags: u32, ref: u32): u32 { return order | (flags << 8) | (ref << 16); }
@inline function bs(mt: u32, order: u32): u32 { return mt * NORDERS + order; }

/** Lay out the host's arrays (folio table, pageblock types, free bitsets) and free everything. */
export function hostInit(pages: u32): void {
  totalPages = pages;
  bitsetsInit(2 * NORDERS);
  if (bumpAlloc(<usize>pages << 2, 8) != folios) unreachable();
  pbmt = bumpAlloc(<usize>(pages >> PAGEBLOCK_ORDER), 8);
  for (let mt: u32 = 0; mt < 2; mt++) {
    for (let o: u32 = 0; o <= MAX_ORDER; o++) bitsetCreate(bs(mt, o), <u64>(pages >> o));
  }
  hostEnd = bumpAlloc(0, 8);
  reserveMappings(pages);
  hostFill();
}

/**
 * Grow the memory (untouched, so not committed) to hold, after the host's arrays, the page table
 * and page cache of all its pages at 4 KiB (one VM through one file: 4 B per page each, plus
 * 1/512 of that for the tables above the leaves; README "Memory layout"), so the usual run never
 * grows it during its steps: V8 counts every grow of a wasm memory against the JS heap's
 * old-generation limit, and one of more than ~8 MiB starts a full mark-compact (ensureMemory;
 * bench/e2e/README.md, "(d): mark-compacts and times past 2^31 ns"). Capped at 4 GiB less 64 KiB.
 */
function reserveMappings(pages: u32): void {
  const want = <u64>hostEnd + (<u64>pages << 3) + (<u64>pages >> 6);
  ensureMemory(<usize>min(want, <u64>0xffff0000));
}

/** memmap_init marks every pageblock MOVABLE; memblock_free_all frees MAX_ORDER blocks. */
function hostFill(): void {
  memory.fill(pbmt, <u8>MIGRATE_MOVABLE, <usize>(totalPages >> PAGEBLOCK_ORDER));
  memory.fill(freeCount, 0, <usize>(2 * NORDERS * 4));
  for (let pfn: u32 = 0; pfn < totalPages; pfn += 1 << MAX_ORDER) addFree(pfn, MAX_ORDER, MIGRATE_MOVABLE);
}

export function hostReset(): void {
  // Everything from the folio table on (the bitset descriptors are static data and stay).
  memoryFill(folios, hostEnd);
  hostFill();
}

@inline function addFree(pfn: u32, order: u32, mt: u32): void {
  setRec(pfn, mkRec(order, F_BUDDY | (mt == MIGRATE_MOVABLE ? F_MOVABLE : 0), 0));
  bitsetSet(bs(mt, order), pfn >> order);
  const c = freeCount + (<usize>bs(mt, order) << 2);
  store<u32>(c, load<u32>(c) + 1);
}

/** Take a free block off its list; returns the list's migratetype. */
@inline function delFree(pfn: u32): u32 {
  const r = rec(pfn);
  const order = r & 0xff;
  const mt = (r >> 8) & F_MOVABLE ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE;
  setRec(pfn, 0);
  bitsetClear(bs(mt, order), pfn >> order);
  const c = freeCount + (<usize>bs(mt, order) << 2);
  store<u32>(c, load<u32>(c) - 1);
  return mt;
}

@inline function listEmpty(mt: u32, order: u32): bool {
  return load<u32>(freeCount + (<usize>bs(mt, order) << 2)) == 0;
}

@inline function lowest(mt: u32, order: u32): u32 {
  return <u32>bitsetFirst(bs(mt, order)) << order;
}

export function pageblockMt(pfn: u32): u32 {
  return <u32>load<u8>(pbmt + <usize>(pfn >> PAGEBLOCK_ORDER));
}

/** __alloc_pages without the slow path: head pfn, or -1. */
@inline export function allocPages(order: u32, mt: u32): i32 {
  if (order > MAX_ORDER) return -1;
  for (;;) {
    const pfn = rmqueueSmallest(order, mt);
    if (pfn >= 0) {
      setRec(<u32>pfn, mkRec(order, F_ALLOC | (mt == MIGRATE_MOVABLE ? F_MOVABLE : 0), 1));
      return pfn;
    }
    if (!rmqueueFallback(order, mt)) return -1;
  }
  return -1;
}

@inline function rmqueueSmallest(order: u32, mt: u32): i32 {
  for (let co = order; co <= MAX_ORDER; co++) {
    if (listEmpty(mt, co)) continue;
    const pfn = lowest(mt, co);
    delFree(pfn);
    // expand: the upper halves go back on the same list.
    let high = co;
    while (high > order) {
      high--;
      addFree(pfn + (<u32>1 << high), high, mt);
    }
    return <i32>pfn;
  }
  return -1;
}

@inline function canStealFallback(order: u32, startMt: u32): bool {
  if (order >= PAGEBLOCK_ORDER) return true;
  return order >= PAGEBLOCK_ORDER / 2 || startMt == MIGRATE_UNMOVABLE;
}

@inline function rmqueueFallback(order: u32, startMt: u32): bool {
  const other = startMt == MIGRATE_MOVABLE ? MIGRATE_UNMOVABLE : MIGRATE_MOVABLE;
  let found: i32 = -1;
  let canSteal = false;
  for (let co = <i32>MAX_ORDER; co >= <i32>order; co--) {
    if (listEmpty(other, <u32>co)) continue;
    canSteal = canStealFallback(<u32>co, startMt);
    if (!canSteal && startMt == MIGRATE_MOVABLE && <u32>co > order) {
      // find_smallest
      for (let c2 = order; c2 <= MAX_ORDER; c2++) {
        if (!listEmpty(other, c2)) { found = <i32>c2; canSteal = canStealFallback(c2, startMt); break; }
      }
    } else {
      found = co;
    }
    break;
  }
  if (found < 0) return false;
  const pfn = lowest(other, <u32>found);
  stealSuitableFallback(pfn, <u32>found, startMt, canSteal);
  return true;
}

let movablePages: u32 = 0;

@inline function stealSuitableFallback(pfn: u32, co: u32, startMt: u32, wholeBlock: bool): void {
  const oldBlockType = pageblockMt(pfn);
  if (co >= PAGEBLOCK_ORDER) {
    // change_pageblock_range: one or two bytes, stored one by one: memory.fill is a call into
    // V8's runtime, the only call left in an inlined allocation (README: no call in an inlined
    // op, even on a cold path).
    const first = pbmt + <usize>(pfn >> PAGEBLOCK_ORDER);
    const end = first + (<usize>1 << <usize>(co - PAGEBLOCK_ORDER));
    for (let p = first; p < end; p++) store<u8>(p, <u8>startMt);
  } else if (wholeBlock) {
    const free = moveFreepagesBlock(pfn, startMt);
    if (free > 0) {
      let alike: u32;
      if (startMt == MIGRATE_MOVABLE) alike = movablePages;
      else if (oldBlockType == MIGRATE_MOVABLE) alike = (1 << PAGEBLOCK_ORDER) - (free + movablePages);
      else alike = 0;
      if (free + alike >= 1 << (PAGEBLOCK_ORDER - 1)) store<u8>(pbmt + <usize>(pfn >> PAGEBLOCK_ORDER), <u8>startMt);
      return;
    }
  }
  // single_page: move_to_free_list
  delFree(pfn);
  addFree(pfn, co, startMt);
}

/** move_freepages_block: returns free pages moved; sets movablePages. */
@inline function moveFreepagesBlock(pfn: u32, newMt: u32): u32 {
  const start = (pfn >> PAGEBLOCK_ORDER) << PAGEBLOCK_ORDER;
  const end = start + (1 << PAGEBLOCK_ORDER);
  let free: u32 = 0;
  movablePages = 0;
  for (let p = start; p < end; ) {
    const r = rec(p);
    const order = r & 0xff;
    const flags = (r >> 8) & 0xff;
    if (flags & F_BUDDY) {
      delFree(p);
      addFree(p, order, newMt);
      free += 1 << order;
    } else if (flags & F_MOVABLE) {
      movablePages += min(<u32>1 << order, end - p);
    }
    p += 1 << order;
  }
  return free;
}

/** __free_pages of a block allocated at that order: 0, or -1 when it is not one. */
@inline export function freePagesAt(pfn: u32, order: u32): i32 {
  if (pfn >= totalPages) return -1;
  const r = rec(pfn);
  if (!(((r >> 8) & F_ALLOC)) || (r & 0xff) != order) return -1;
  setRec(pfn, 0);
  freeOnePage(pfn, order, pageblockMt(pfn));
  return 0;
}

/** __free_one_page: merge the block with free buddies of equal order, whatever list they are on. */
@inline function freeOnePage(pfn: u32, order: u32, mt: u32): void {
  let o = order;
  let p = pfn;
  while (o < MAX_ORDER) {
    const buddy = p ^ (<u32>1 << o);
    const br = rec(buddy);
    if (!(((br >> 8) & F_BUDDY)) || (br & 0xff) != o) break;
    delFree(buddy);
    p &= buddy;
    o++;
  }
  addFree(p, o, mt);
}

/**
 * free_contig_range (mm/page_alloc.c): __free_page of each of nr order-0 pages from pfn, in
 * ascending order. 0, or -1 with nothing freed when one of them is not an allocated order-0
 * page. Done by aligned blocks: pages freed in ascending order merge exactly as the largest
 * aligned blocks of the range freed in ascending order do (a block's pages merge only with each
 * other until its last page is freed, and that page's pageblock names the list), so the free
 * lists and the folio table end as page-by-page frees leave them.
 */
export function freeContigRange(pfn: u32, nr: u32): i32 {
  const end = <u64>pfn + <u64>nr;
  if (end > <u64>totalPages) return -1;
  for (let p = pfn; p < <u32>end; p++) {
    const r = rec(p);
    if (!(((r >> 8) & F_ALLOC)) || (r & 0xff) != 0) return -1;
  }
  let p = pfn;
  while (p < <u32>end) {
    // The largest block aligned at p that ends inside the range (at most MAX_ORDER).
    let o: u32 = min(<u32>ctz(p), MAX_ORDER);
    while (<u64>p + (<u64>1 << o) > end) o--;
    const n: u32 = 1 << o;
    for (let i: u32 = 0; i < n; i++) setRec(p + i, 0);
    freeOnePage(p, o, pageblockMt(p + n - 1));
    p += n;
  }
  return 0;
}

/** Free pages, summed from the per-list block counts (not kept as a running total: the hot
 * add/remove paths stay as short as the C reference's). */
export function freePagesCount(): f64 {
  let n: u64 = 0;
  for (let b: u32 = 0; b < 2 * NORDERS; b++) n += <u64>load<u32>(freeCount + (<usize>b << 2)) << <u64>(b % NORDERS);
  return <f64>n;
}

export function freeBlocks(mt: u32, order: u32): u32 {
  return load<u32>(freeCount + (<usize>bs(mt, order) << 2));
}

// ---- folio table ----

@inline function isFolio(pfn: u32): bool {
  return pfn < totalPages && ((rec(pfn) >> 8) & F_ALLOC) != 0;
}

export function folioOrder(pfn: u32): i32 { return isFolio(pfn) ? <i32>(rec(pfn) & 0xff) : -1; }
export function folioRefcount(pfn: u32): i32 { return isFolio(pfn) ? <i32>(rec(pfn) >> 16) : 0; }
export function folioFlags(pfn: u32): i32 { return isFolio(pfn) ? <i32>((rec(pfn) >> 8) & USER_FLAGS) : 0; }

/** folio_get: new refcount, or -1 when pfn is no folio head / -2 on overflow (u16). */
export function folioGet(pfn: u32): i32 {
  if (!isFolio(pfn)) return -1;
  const r = rec(pfn);
  if ((r >> 16) == 0xffff) return -2;
  setRec(pfn, r + 0x10000);
  return <i32>(r >> 16) + 1;
}

/** folio_put without the free: new refcount, or -1. */
export function folioPut(pfn: u32): i32 {
  if (!isFolio(pfn)) return -1;
  const r = rec(pfn);
  if ((r >> 16) == 0) return -1;
  setRec(pfn, r - 0x10000);
  return <i32>(r >> 16) - 1;
}

export function folioSetFlags(pfn: u32, flags: u32): i32 {
  if (!isFolio(pfn)) return -1;
  setRec(pfn, rec(pfn) | ((flags & USER_FLAGS) << 8));
  return 0;
}

export function folioClearFlags(pfn: u32, flags: u32): i32 {
  if (!isFolio(pfn)) return -1;
  setRec(pfn, rec(pfn) & ~((flags & USER_FLAGS) << 8));
  return 0;
}

/** split_huge_page to order 0: head keeps its refcount, tails get the flags and one reference. */
export function folioSplit(pfn: u32): i32 {
  if (!isFolio(pfn)) return -1;
  const r = rec(pfn);
  const order = r & 0xff;
  const tail = mkRec(0, (r >> 8) & 0xff, 1);
  for (let i: u32 = 1; i < (<u32>1 << order); i++) setRec(pfn + i, tail);
  setRec(pfn, r & ~0xff);
  return 0;
}
