// The api.ts interfaces over one WASM instance: thin wrappers that check arguments exactly as
// the reference does, convert u32 results and page OUT-buffer results.
import type { EraseResult, HostMemory, MigrateType, Order, PageCache, PageTable, ZapResult } from '../api.js';
import { MAX_ORDER, unusableFreeIndex } from '../buddy-rules.js';
import { checkCacheOrder, checkLevel } from '../radix-rules.js';
import type { RmsimExports } from './module.js';
import type { OutViews } from './views.js';

// Each check tests its result before building its message: a message passed to a checking
// function is a template string built on every call (several calls per simulated fault).

export class WasmHostMemory implements HostMemory {
  constructor(private readonly x: RmsimExports, readonly totalPages: number) {}
  allocPages(order: Order, mt: MigrateType): number {
    return order >= 0 && order <= MAX_ORDER ? this.x.host_alloc(order, mt) : -1;
  }
  freePages(pfn: number, order: Order): void {
    if (this.x.host_free(pfn, order) !== 0) throw new Error(`freePages: pfn ${pfn} is not an allocated block of order ${order}`);
  }
  freeContigRange(pfn: number, nrPages: number): void {
    if (this.x.host_free_contig_range(pfn, nrPages) !== 0) throw new Error(`freeContigRange: [${pfn}, ${pfn + nrPages}) holds a page that is not an allocated order-0 page`);
  }
  freePagesCount(): number { return this.x.host_free_pages(); }
  freeBlocksPerOrder(migratetype?: MigrateType): number[] {
    const out: number[] = [];
    for (let o = 0; o <= MAX_ORDER; o++) {
      out.push(migratetype === undefined ? this.x.host_free_blocks(0, o) + this.x.host_free_blocks(1, o) : this.x.host_free_blocks(migratetype, o));
    }
    return out;
  }
  unusableIndex(order: Order): number { return unusableFreeIndex(this.freeBlocksPerOrder(), order); }
  pageblockMigratetype(pfn: number): MigrateType { return this.x.host_pageblock_mt(pfn) as MigrateType; }
  folioOrder(pfn: number): Order { return this.x.folio_order(pfn); }
  folioRefcount(pfn: number): number { return this.x.folio_refcount(pfn); }
  folioGet(pfn: number): number {
    const r = this.x.folio_get(pfn);
    if (r < 0) throw new Error(`folio: pfn ${pfn} is not the head of an allocated folio (or refcount at 65535)`);
    return r;
  }
  folioPut(pfn: number): number {
    const r = this.x.folio_put(pfn);
    if (r < 0) throw new Error(`folioPut: pfn ${pfn} is no folio head or its refcount is 0`);
    return r;
  }
  folioFlags(pfn: number): number { return this.x.folio_flags(pfn); }
  folioSetFlags(pfn: number, flags: number): void { if (this.x.folio_set_flags(pfn, flags) !== 0) throw new Error(`folio: pfn ${pfn} is not the head of an allocated folio`); }
  folioClearFlags(pfn: number, flags: number): void { if (this.x.folio_clear_flags(pfn, flags) !== 0) throw new Error(`folio: pfn ${pfn} is not the head of an allocated folio`); }
  folioSplit(pfn: number): void { if (this.x.folio_split(pfn) !== 0) throw new Error(`folio: pfn ${pfn} is not the head of an allocated folio`); }
  reset(): void { this.x.host_reset(); }
}

export class WasmPageCache implements PageCache {
  constructor(private readonly x: RmsimExports, private readonly out: OutViews, readonly handle: number) {}
  lookup(index: number): number { return this.x.pc_lookup(this.handle, index); }
  /** insert(indices[i], pfns[i], orders[i]) for every i, in order (same final state), ok[i] = 1
   * if it went in, 0 if a slot was taken; one pc_insert_batch call per 4096, each group's slots
   * read first so their cache misses overlap. Arguments are all checked before any insert. */
  insertMany(indices: Uint32Array, pfns: Uint32Array, orders: Uint32Array, ok: Uint8Array): void {
    const n = indices.length;
    if (pfns.length !== n || orders.length !== n || ok.length < n) throw new RangeError(`insertMany: ${n} indices, ${pfns.length} pfns, ${orders.length} orders, room for ${ok.length} results`);
    // orders 0, 9, 18 with an aligned u32 index are always valid; anything else goes through
    // checkCacheOrder, which throws as insert() would.
    for (let i = 0; i < n; i++) {
      const o = orders[i]!;
      if ((o !== 0 && o !== 9 && o !== 18) || indices[i]! & ((1 << o) - 1)) checkCacheOrder(indices[i]!, o as Order);
    }
    const q = 4096;
    for (let i = 0; i < n; i += q) {
      const m = Math.min(q, n - i);
      const u = this.out.u32;
      u.set(indices.subarray(i, i + m));
      u.set(pfns.subarray(i, i + m), q);
      u.set(orders.subarray(i, i + m), 2 * q);
      this.x.pc_insert_batch(this.handle, m);
      ok.set(this.out.u32.subarray(3 * q, 3 * q + m), i);
    }
  }
  /** lookup() of every indices[i] into out[i] (out.length >= indices.length), one
   * pc_lookup_batch call per 16384 indices (level by level over groups, as walkMany). */
  lookupMany(indices: Uint32Array, out: Int32Array): void { batch(this.x.pc_lookup_batch, this.out, this.handle, indices, out); }
  lookupOrder(index: number): Order { return this.x.pc_lookup_order(this.handle, index); }
  insert(index: number, pfn: number, order: Order): boolean {
    checkCacheOrder(index, order);
    return this.x.pc_insert(this.handle, index, pfn, order) !== 0;
  }
  anyInBlock(index: number): boolean { return this.x.pc_any_in_block(this.handle, index) !== 0; }
  eraseRange(start: number, end: number): EraseResult {
    const res: EraseResult = { whole: [], partial: [] };
    let from = 0;
    for (;;) {
      const n = this.x.pc_erase(this.handle, start, end, from);
      const u = this.out.u32;
      for (let i = 0; i < n; i++) {
        const o = u[3 * i + 2]!;
        const rec = { index: u[3 * i]!, pfn: u[3 * i + 1]!, order: o & 0xff };
        (o & 0x100 ? res.partial : res.whole).push(rec);
      }
      const resume = this.x.pc_resume_at();
      if (resume < 0) return res;
      from = resume;
    }
  }
  forEachInRange(start: number, end: number, fn: (index: number, pfn: number, order: Order) => void): void {
    let s = start;
    for (;;) {
      const n = this.x.pc_collect(this.handle, s, end);
      // Copy out first: fn may call back into this instance and overwrite OUT.
      const recs = this.out.u32.slice(0, 3 * n);
      const resume = this.x.pc_resume_at();
      for (let i = 0; i < n; i++) fn(recs[3 * i]!, recs[3 * i + 1]!, recs[3 * i + 2]!);
      if (resume < 0) return;
      s = resume;
    }
  }
  splitEntry(index: number): void { this.x.pc_split(this.handle, index); }
  get nrPages(): number { return this.x.pc_nr_pages(this.handle); }
  reset(): void { this.x.pc_reset(this.handle); }
  /** Free the handle and its tables; the object must not be used afterwards. */
  release(): void { this.x.pc_release(this.handle); }
}

export class WasmPageTable implements PageTable {
  constructor(private readonly x: RmsimExports, private readonly out: OutViews, readonly handle: number) {}
  map(gfn: number, pfn: number, level: number): void {
    checkLevel(gfn, pfn, level);
    this.x.pt_map(this.handle, gfn, pfn, level);
  }
  walk(gfn: number): number { return this.x.pt_walk(this.handle, gfn); }
  /** map(gfns[i], pfns[i], level) for every i, in order (same final state), one pt_map_batch
   * call per 8192: each group's leaf slots are read first so their cache misses overlap. */
  mapMany(gfns: Uint32Array, pfns: Uint32Array, level: number): void {
    if (pfns.length !== gfns.length) throw new RangeError(`mapMany: ${gfns.length} gfns but ${pfns.length} pfns`);
    checkLevel(0, 0, level);
    // u32 values aligned to the leaf size always fit below 2^32, so alignment is all that is
    // left to check; on a misaligned pair, checkLevel names it as map() would.
    const mask = 2 ** (9 * (level - 1)) - 1;
    let bad = 0;
    for (let i = 0; i < gfns.length; i++) bad |= gfns[i]! | pfns[i]!;
    if (bad & mask) for (let i = 0; i < gfns.length; i++) checkLevel(gfns[i]!, pfns[i]!, level);
    const half = 8192;
    for (let i = 0; i < gfns.length; i += half) {
      const n = Math.min(half, gfns.length - i);
      const u = this.out.u32;
      u.set(gfns.subarray(i, i + n));
      u.set(pfns.subarray(i, i + n), half);
      this.x.pt_map_batch(this.handle, n, level);
    }
  }
  /** walk() of every gfns[i] into out[i] (out.length >= gfns.length), one pt_walk_batch call
   * per 16384 gfns: the walks go level by level over groups so their cache misses overlap. */
  walkMany(gfns: Uint32Array, out: Int32Array): void { batch(this.x.pt_walk_batch, this.out, this.handle, gfns, out); }
  walkLevel(gfn: number): number { return this.x.pt_walk_level(this.handle, gfn); }
  zapRange(gfnStart: number, gfnEnd: number, freeTables = false): ZapResult {
    this.x.pt_zap(this.handle, gfnStart, gfnEnd, freeTables ? 1 : 0);
    const u = this.out.u32;
    return { leaves: [u[0]!, u[1]!, u[2]!], tablesFreed: u[3]! };
  }
  mappingsPerLevel(): [number, number, number] {
    return [this.x.pt_count(this.handle, 1), this.x.pt_count(this.handle, 2), this.x.pt_count(this.handle, 3)];
  }
  tableCount(): number { return this.x.pt_table_count(this.handle); }
  reset(): void { this.x.pt_reset(this.handle); }
  release(): void { this.x.pt_release(this.handle); }
}

/** Keys into OUT, one batched call, results out of OUT, 16384 (OUT's size in u32) at a time. */
function batch(call: (h: number, n: number) => void, views: OutViews, h: number, keys: Uint32Array, out: Int32Array): void {
  if (out.length < keys.length) throw new RangeError(`batch: ${keys.length} keys but room for ${out.length} results`);
  for (let i = 0; i < keys.length; i += 16384) {
    const n = Math.min(16384, keys.length - i);
    views.u32.set(keys.subarray(i, i + n));
    call(h, n);
    out.set(views.i32.subarray(0, n), i);
  }
}
