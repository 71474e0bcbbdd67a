// Typed-array twin of wasm/buddy.ts: the same buddy allocator (6.1 __rmqueue_smallest,
// __rmqueue_fallback, steal_suitable_fallback, __free_one_page; lowest pfn first) and the same
// packed folio table (u32 per pfn: order | flags << 8 | refcount << 16). See wasm/buddy.ts
// for what it leaves out.
// Why a twin: the benchmark's middle column (the same algorithm without WASM); held, as the WASM
// version is, to the Map reference by test/fastpath/host-memory.test.ts.
import { MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, type HostMemory, type MigrateType, type Order } from '../api.js';
import { MAX_ORDER, PAGEBLOCK_ORDER, checkHostPages, unusableFreeIndex } from '../buddy-rules.js';
import { HierBitset } from './bitset.js';

const USER_FLAGS = 0x0f;
const F_BUDDY = 0x20;
const F_ALLOC = 0x40;
const F_MOVABLE = 0x80;
const NORDERS = MAX_ORDER + 1;

export class TypedHostMemory implements HostMemory {
  readonly totalPages: number;
  private readonly folios: Uint32Array;
  private readonly pbmt: Uint8Array;
  private readonly lists: HierBitset[] = [];
  private readonly freeCount = new Uint32Array(2 * NORDERS);
  private free = 0;
  private movablePages = 0;

  constructor(totalPages: number) {
    checkHostPages(totalPages);
    this.totalPages = totalPages;
    this.folios = new Uint32Array(totalPages);
    this.pbmt = new Uint8Array(totalPages >>> PAGEBLOCK_ORDER);
    for (let mt = 0; mt < 2; mt++) for (let o = 0; o <= MAX_ORDER; o++) this.lists.push(new HierBitset(totalPages >>> o));
    this.fill();
  }

  private fill(): void {
    this.pbmt.fill(MIGRATE_MOVABLE);
    this.free = 0;
    for (let pfn = 0; pfn < this.totalPages; pfn += 1 << MAX_ORDER) this.addFree(pfn, MAX_ORDER, MIGRATE_MOVABLE);
  }

  reset(): void {
    this.folios.fill(0);
    this.freeCount.fill(0);
    for (const l of this.lists) l.reset();
    this.fill();
  }

  bytes(): number {
    let n = this.folios.byteLength + this.pbmt.byteLength + this.freeCount.byteLength;
    for (const l of this.lists) n += l.bytes();
    return n;
  }

  private addFree(pfn: number, order: number, mt: number): void {
    this.folios[pfn] = order | ((F_BUDDY | (mt === MIGRATE_MOVABLE ? F_MOVABLE : 0)) << 8);
    const b = mt * NORDERS + order;
    this.lists[b]!.set(pfn >>> order);
    this.freeCount[b]!++;
    this.free += 1 << order;
  }

  private delFree(pfn: number): void {
    const r = this.folios[pfn]!;
    const order = r & 0xff;
    const mt = (r >>> 8) & F_MOVABLE ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE;
    this.folios[pfn] = 0;
    const b = mt * NORDERS + order;
    this.lists[b]!.clear(pfn >>> order);
    this.freeCount[b]!--;
    this.free -= 1 << order;
  }

  pageblockMigratetype(pfn: number): MigrateType { return this.pbmt[pfn >>> PAGEBLOCK_ORDER] as MigrateType; }

  allocPages(order: Order, mt: MigrateType): number {
    if (!(order >= 0 && order <= MAX_ORDER)) return -1;
    for (;;) {
      const pfn = this.rmqueueSmallest(order, mt);
      if (pfn >= 0) {
        this.folios[pfn] = order | ((F_ALLOC | (mt === MIGRATE_MOVABLE ? F_MOVABLE : 0)) << 8) | (1 << 16);
        return pfn;
      }
      if (!this.rmqueueFallback(order, mt)) return -1;
    }
  }

  private rmqueueSmallest(order: number, mt: number): number {
    for (let co = order; co <= MAX_ORDER; co++) {
      const b = mt * NORDERS + co;
      if (this.freeCount[b] === 0) continue;
      const pfn = this.lists[b]!.first() << co;
      this.delFree(pfn);
      for (let high = co; high > order; ) {
        high--;
        this.addFree(pfn + (1 << high), high, mt);
      }
      return pfn;
    }
    return -1;
  }

  private rmqueueFallback(order: number, startMt: number): boolean {
    const other = startMt === MIGRATE_MOVABLE ? MIGRATE_UNMOVABLE : MIGRATE_MOVABLE;
    let found = -1;
    let canSteal = false;
    for (let co = MAX_ORDER; co >= order; co--) {
      if (this.freeCount[other * NORDERS + co] === 0) continue;
      canSteal = canStealFallback(co, startMt);
      if (!canSteal && startMt === MIGRATE_MOVABLE && co > order) {
        for (let c2 = order; c2 <= MAX_ORDER; c2++) {
          if (this.freeCount[other * NORDERS + c2] !== 0) { found = c2; canSteal = canStealFallback(c2, startMt); break; }
        }
      } else {
        found = co;
      }
      break;
    }
    if (found < 0) return false;
    const pfn = this.lists[other * NORDERS + found]!.first() << found;
    this.stealSuitableFallback(pfn, found, startMt, canSteal);
    return true;
  }

  private stealSuitableFallback(pfn: number, co: number, startMt: number, wholeBlock: boolean): void {
    const oldBlockType = this.pbmt[pfn >>> PAGEBLOCK_ORDER]!;
    if (co >= PAGEBLOCK_ORDER) {
      const pb = pfn >>> PAGEBLOCK_ORDER;
      this.pbmt.fill(startMt, pb, pb + (1 << (co - PAGEBLOCK_ORDER)));
    } else if (wholeBlock) {
      const free = this.moveFreepagesBlock(pfn, startMt);
      if (free > 0) {
        let alike: number;
        if (startMt === MIGRATE_MOVABLE) alike = this.movablePages;
        else if (oldBlockType === MIGRATE_MOVABLE) alike = (1 << PAGEBLOCK_ORDER) - (free + this.movablePages);
        else alike = 0;
        if (free + alike >= 1 << (PAGEBLOCK_ORDER - 1)) this.pbmt[pfn >>> PAGEBLOCK_ORDER] = startMt;
        return;
      }
    }
    this.delFree(pfn);
    this.addFree(pfn, co, startMt);
  }

  private moveFreepagesBlock(pfn: number, newMt: number): number {
    const start = (pfn >>> PAGEBLOCK_ORDER) << PAGEBLOCK_ORDER;
    const end = start + (1 << PAGEBLOCK_ORDER);
    let free = 0;
    this.movablePages = 0;
    for (let p = start; p < end; ) {
      const r = this.folios[p]!;
      const order = r & 0xff;
      const flags = (r >>> 8) & 0xff;
      if (flags & F_BUDDY) {
        this.delFree(p);
        this.addFree(p, order, newMt);
        free += 1 << order;
      } else if (flags & F_MOVABLE) {
        this.movablePages += Math.min(1 << order, end - p);
      }
      p += 1 << order;
    }
    return free;
  }

  freePages(pfn: number, order: Order): void {
    const r = pfn >= 0 && pfn < this.totalPages ? this.folios[pfn]! : 0;
    if (!((r >>> 8) & F_ALLOC) || (r & 0xff) !== order) throw new Error(`freePages: pfn ${pfn} is not an allocated block of order ${order}`);
    this.folios[pfn] = 0;
    const mt = this.pbmt[pfn >>> PAGEBLOCK_ORDER]!;
    let o = order;
    let p = pfn;
    while (o < MAX_ORDER) {
      const buddy = p ^ (1 << o);
      const br = this.folios[buddy]!;
      if (!((br >>> 8) & F_BUDDY) || (br & 0xff) !== o) break;
      this.delFree(buddy);
      p &= buddy;
      o++;
    }
    this.addFree(p, o, mt);
  }

  freeContigRange(pfn: number, nrPages: number): void {
    for (let p = pfn; p < pfn + nrPages; p++) {
      const r = p >= 0 && p < this.totalPages ? this.folios[p]! : 0;
      if (!((r >>> 8) & F_ALLOC) || (r & 0xff) !== 0) throw new Error(`freeContigRange: [${pfn}, ${pfn + nrPages}) holds a page that is not an allocated order-0 page`);
    }
    for (let p = pfn; p < pfn + nrPages; p++) this.freePages(p, 0);
  }

  freePagesCount(): number { return this.free; }

  freeBlocksPerOrder(migratetype?: MigrateType): number[] {
    const out: number[] = [];
    for (let o = 0; o <= MAX_ORDER; o++) {
      out.push(migratetype === undefined ? this.freeCount[o]! + this.freeCount[NORDERS + o]! : this.freeCount[migratetype * NORDERS + o]!);
    }
    return out;
  }

  unusableIndex(order: Order): number { return unusableFreeIndex(this.freeBlocksPerOrder(), order); }

  private isFolio(pfn: number): boolean {
    return pfn >= 0 && pfn < this.totalPages && ((this.folios[pfn]! >>> 8) & F_ALLOC) !== 0;
  }

  private folio(pfn: number): number {
    if (!this.isFolio(pfn)) throw new Error(`folio: pfn ${pfn} is not the head of an allocated folio`);
    return this.folios[pfn]!;
  }

  folioOrder(pfn: number): Order { return this.isFolio(pfn) ? this.folios[pfn]! & 0xff : -1; }
  folioRefcount(pfn: number): number { return this.isFolio(pfn) ? this.folios[pfn]! >>> 16 : 0; }
  folioFlags(pfn: number): number { return this.isFolio(pfn) ? (this.folios[pfn]! >>> 8) & USER_FLAGS : 0; }
  folioGet(pfn: number): number {
    const r = this.folio(pfn);
    if (r >>> 16 === 0xffff) throw new Error(`folio: pfn ${pfn} refcount at 65535`);
    this.folios[pfn] = r + 0x10000;
    return (r >>> 16) + 1;
  }
  folioPut(pfn: number): number {
    const r = this.isFolio(pfn) ? this.folios[pfn]! : 0;
    if (r >>> 16 === 0) throw new Error(`folioPut: pfn ${pfn} is no folio head or its refcount is 0`);
    this.folios[pfn] = r - 0x10000;
    return (r >>> 16) - 1;
  }
  folioSetFlags(pfn: number, flags: number): void { this.folios[pfn] = this.folio(pfn) | ((flags & USER_FLAGS) << 8); }
  folioClearFlags(pfn: number, flags: number): void { this.folios[pfn] = this.folio(pfn) & ~((flags & USER_FLAGS) << 8); }
  folioSplit(pfn: number): void {
    const r = this.folio(pfn);
    const order = r & 0xff;
    const tail = (((r >>> 8) & 0xff) << 8) | (1 << 16);
    this.folios.fill(tail, pfn + 1, pfn + (1 << order));
    this.folios[pfn] = r & ~0xff;
  }
}

function canStealFallback(order: number, startMt: number): boolean {
  if (order >= PAGEBLOCK_ORDER) return true;
  return order >= PAGEBLOCK_ORDER >> 1 || startMt === MIGRATE_UNMOVABLE;
}
