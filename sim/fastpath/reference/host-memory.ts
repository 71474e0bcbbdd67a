// Map reference of the host's buddy allocator and folio table: obviously right, slow on
// purpose. The WASM and typed-array versions are held to it by the property tests.
//
// Follows mm/page_alloc.c of 6.1: __rmqueue_smallest + expand, __rmqueue_fallback with
// find_suitable_fallback / can_steal_fallback / steal_suitable_fallback / move_freepages_block,
// __free_one_page merging. Leaves out: zones, per-CPU lists, watermarks, CMA, highatomic,
// isolation, ALLOC_NOFRAGMENT, reclaim and compaction. One deliberate difference: a free list
// hands out its lowest-pfn block (the kernel takes the list head), so results do not depend on
// list-insertion history and all three implementations agree exactly.
// Why a twin: the plain version the WASM and typed-array ones are checked against
// (test/fastpath/host-memory.test.ts).
import {
  FOLIO_HWPOISON, FOLIO_MAPPED, FOLIO_UNEVICTABLE, FOLIO_UPTODATE, MIGRATE_MOVABLE,
  MIGRATE_UNMOVABLE, type HostMemory, type MigrateType, type Order,
} from '../api.js';
import { MAX_ORDER, PAGEBLOCK_ORDER, checkHostPages, unusableFreeIndex } from '../buddy-rules.js';

const USER_FLAGS = FOLIO_UPTODATE | FOLIO_UNEVICTABLE | FOLIO_HWPOISON | FOLIO_MAPPED;

interface Folio { order: number; refcount: number; flags: number; movable: boolean }

export class RefHostMemory implements HostMemory {
  readonly totalPages: number;
  /** free[mt][order]: head pfns of free blocks on that free list. */
  private free: Array<Array<Set<number>>> = [];
  /** Free block heads: pfn -> order and the list it is on (PageBuddy + buddy_order). */
  private buddy = new Map<number, { order: number; mt: MigrateType }>();
  private folios = new Map<number, Folio>();
  private pageblockMt: MigrateType[] = [];

  constructor(totalPages: number) {
    checkHostPages(totalPages);
    this.totalPages = totalPages;
    this.reset();
  }

  reset(): void {
    this.free = [0, 1].map(() => Array.from({ length: MAX_ORDER + 1 }, () => new Set<number>()));
    this.buddy.clear();
    this.folios.clear();
    // memmap_init marks every pageblock MOVABLE; memblock_free_all frees MAX_ORDER blocks.
    this.pageblockMt = new Array(this.totalPages >> PAGEBLOCK_ORDER).fill(MIGRATE_MOVABLE);
    for (let pfn = 0; pfn < this.totalPages; pfn += 1 << MAX_ORDER) this.addFree(pfn, MAX_ORDER, MIGRATE_MOVABLE);
  }

  private addFree(pfn: number, order: number, mt: MigrateType): void {
    this.free[mt]![order]!.add(pfn);
    this.buddy.set(pfn, { order, mt });
  }

  private delFree(pfn: number): { order: number; mt: MigrateType } {
    const b = this.buddy.get(pfn)!;
    this.free[b.mt]![b.order]!.delete(pfn);
    this.buddy.delete(pfn);
    return b;
  }

  private lowest(mt: number, order: number): number {
    let best = -1;
    for (const p of this.free[mt]![order]!) if (best < 0 || p < best) best = p;
    return best;
  }

  pageblockMigratetype(pfn: number): MigrateType {
    return this.pageblockMt[pfn >> PAGEBLOCK_ORDER]!;
  }

  allocPages(order: Order, migratetype: MigrateType): number {
    if (!(order >= 0 && order <= MAX_ORDER)) return -1;
    for (;;) {
      const pfn = this.rmqueueSmallest(order, migratetype);
      if (pfn >= 0) {
        this.folios.set(pfn, { order, refcount: 1, flags: 0, movable: migratetype === MIGRATE_MOVABLE });
        return pfn;
      }
      if (!this.rmqueueFallback(order, migratetype)) return -1;
    }
  }

  /** __rmqueue_smallest + expand: the upper halves go back on the same list. */
  private rmqueueSmallest(order: number, mt: MigrateType): number {
    for (let co = order; co <= MAX_ORDER; co++) {
      const pfn = this.lowest(mt, co);
      if (pfn < 0) continue;
      this.delFree(pfn);
      for (let high = co; high > order; ) {
        high--;
        this.addFree(pfn + (1 << high), high, mt);
      }
      return pfn;
    }
    return -1;
  }

  /** __rmqueue_fallback with the two migratetypes modelled (each the other's only fallback). */
  private rmqueueFallback(order: number, startMt: MigrateType): boolean {
    const other: MigrateType = startMt === MIGRATE_MOVABLE ? MIGRATE_UNMOVABLE : MIGRATE_MOVABLE;
    let found = -1;
    let canSteal = false;
    for (let co = MAX_ORDER; co >= order; co--) {
      if (this.free[other]![co]!.size === 0) continue;
      canSteal = canStealFallback(co, startMt);
      if (!canSteal && startMt === MIGRATE_MOVABLE && co > order) {
        // find_smallest: the smallest block that fits, stolen as a single block.
        for (let c2 = order; c2 <= MAX_ORDER; c2++) {
          if (this.free[other]![c2]!.size > 0) { found = c2; canSteal = canStealFallback(c2, startMt); break; }
        }
      } else {
        found = co;
      }
      break;
    }
    if (found < 0) return false;
    const pfn = this.lowest(other, found);
    this.stealSuitableFallback(pfn, found, startMt, canSteal);
    return true;
  }

  /** steal_suitable_fallback (6.1). */
  private stealSuitableFallback(pfn: number, co: number, startMt: MigrateType, wholeBlock: boolean): void {
    const oldBlockType = this.pageblockMigratetype(pfn);
    if (co >= PAGEBLOCK_ORDER) {
      // change_pageblock_range: take ownership of every pageblock in the block.
      for (let pb = pfn >> PAGEBLOCK_ORDER; pb < (pfn + (1 << co)) >> PAGEBLOCK_ORDER; pb++) this.pageblockMt[pb] = startMt;
    } else if (wholeBlock) {
      const { freePages, movablePages } = this.moveFreepagesBlock(pfn, startMt);
      if (freePages > 0) {
        let alike: number;
        if (startMt === MIGRATE_MOVABLE) alike = movablePages;
        else if (oldBlockType === MIGRATE_MOVABLE) alike = (1 << PAGEBLOCK_ORDER) - (freePages + movablePages);
        else alike = 0;
        if (freePages + alike >= 1 << (PAGEBLOCK_ORDER - 1)) this.pageblockMt[pfn >> PAGEBLOCK_ORDER] = startMt;
        return;
      }
    }
    // single_page: move_to_free_list
    this.delFree(pfn);
    this.addFree(pfn, co, startMt);
  }

  /** move_freepages_block: move every free block of the pageblock; count movable pages in use. */
  private moveFreepagesBlock(pfn: number, newMt: MigrateType): { freePages: number; movablePages: number } {
    const start = (pfn >> PAGEBLOCK_ORDER) << PAGEBLOCK_ORDER;
    const end = start + (1 << PAGEBLOCK_ORDER);
    let freePages = 0;
    let movablePages = 0;
    for (let p = start; p < end; ) {
      const b = this.buddy.get(p);
      if (b) {
        this.delFree(p);
        this.addFree(p, b.order, newMt);
        freePages += 1 << b.order;
        p += 1 << b.order;
        continue;
      }
      const f = this.folios.get(p);
      if (f) {
        if (f.movable) movablePages += Math.min(1 << f.order, end - p);
        p += 1 << f.order;
        continue;
      }
      throw new Error(`buddy reference: pfn ${p} neither free nor allocated`);
    }
    return { freePages, movablePages };
  }

  freePages(pfn: number, order: Order): void {
    const f = this.folios.get(pfn);
    if (!f || f.order !== order) throw new Error(`freePages: pfn ${pfn} is not an allocated block of order ${order}`);
    this.folios.delete(pfn);
    const mt = this.pageblockMigratetype(pfn);
    // __free_one_page: merge with free buddies of equal order, whatever list they are on.
    let o = order;
    let p = pfn;
    while (o < MAX_ORDER) {
      const buddyPfn = p ^ (1 << o);
      const b = this.buddy.get(buddyPfn);
      if (!b || b.order !== o) break;
      this.delFree(buddyPfn);
      p &= buddyPfn;
      o++;
    }
    this.addFree(p, o, mt);
  }

  freeContigRange(pfn: number, nrPages: number): void {
    for (let p = pfn; p < pfn + nrPages; p++) {
      if (this.folios.get(p)?.order !== 0) throw new Error(`freeContigRange: [${pfn}, ${pfn + nrPages}) holds a page that is not an allocated order-0 page`);
    }
    for (let p = pfn; p < pfn + nrPages; p++) this.freePages(p, 0);
  }

  freePagesCount(): number {
    let n = 0;
    for (const b of this.buddy.values()) n += 2 ** b.order;
    return n;
  }

  freeBlocksPerOrder(migratetype?: MigrateType): number[] {
    const out = new Array<number>(MAX_ORDER + 1).fill(0);
    for (const b of this.buddy.values()) if (migratetype === undefined || b.mt === migratetype) out[b.order]!++;
    return out;
  }

  unusableIndex(order: Order): number {
    return unusableFreeIndex(this.freeBlocksPerOrder(), order);
  }

  private folio(pfn: number): Folio {
    const f = this.folios.get(pfn);
    if (!f) throw new Error(`folio: pfn ${pfn} is not the head of an allocated folio`);
    return f;
  }

  folioOrder(pfn: number): Order { return this.folios.get(pfn)?.order ?? -1; }
  folioRefcount(pfn: number): number { return this.folios.get(pfn)?.refcount ?? 0; }
  folioGet(pfn: number): number { return ++this.folio(pfn).refcount; }
  folioPut(pfn: number): number {
    const f = this.folio(pfn);
    if (f.refcount === 0) throw new Error(`folioPut: pfn ${pfn} refcount already 0`);
    return --f.refcount;
  }
  folioFlags(pfn: number): number { return this.folios.get(pfn)?.flags ?? 0; }
  folioSetFlags(pfn: number, flags: number): void { this.folio(pfn).flags |= flags & USER_FLAGS; }
  folioClearFlags(pfn: number, flags: number): void { this.folio(pfn).flags &= ~(flags & USER_FLAGS); }

  /** Head keeps its refcount; each tail becomes an order-0 folio with the flags and one reference. */
  folioSplit(pfn: number): void {
    const f = this.folio(pfn);
    for (let i = 1; i < 1 << f.order; i++) this.folios.set(pfn + i, { order: 0, refcount: 1, flags: f.flags, movable: f.movable });
    f.order = 0;
  }
}

/** can_steal_fallback (6.1): whole pageblocks for big blocks, and always for unmovable requests. */
function canStealFallback(order: number, startMt: MigrateType): boolean {
  if (order >= PAGEBLOCK_ORDER) return true;
  return order >= PAGEBLOCK_ORDER >> 1 || startMt === MIGRATE_UNMOVABLE; // 9 / 2 = 4 in C
}
