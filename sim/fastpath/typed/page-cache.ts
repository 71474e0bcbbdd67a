// Typed-array twin of wasm/pagecache.ts: the page-table radix used as mapping->i_pages, a
// folio of order 0/9/18 being one entry at level 1/2/3 holding the head pfn; tables are freed
// when their live count drops to zero (xarray node freeing).
// Why a twin: the benchmark's middle column (the same algorithm without WASM); held, as the WASM
// version is, to the Map reference by test/fastpath/page-cache.test.ts.
import type { EraseResult, Order, PageCache } from '../api.js';
import { checkCacheOrder } from '../radix-rules.js';
import { CHUNK, slotsMeeting, type ChunkPool } from './chunk-pool.js';

const LEAF = 1;
const TABLE = 2;

type Visit = (index: number, pfn: number, order: number, whole: boolean) => void;

export class TypedPageCache implements PageCache {
  private root: number;
  private pages = 0;
  private lastLevel = 0;

  constructor(private readonly pool: ChunkPool) {
    this.root = pool.alloc();
  }

  get nrPages(): number { return this.pages; }

  lookup(index: number): number {
    const m = this.pool.mem;
    let e = m[this.root * CHUNK + (index >>> 27)]!;
    if (e === 0) { this.lastLevel = 0; return -1; }
    e = m[(e >>> 2) * CHUNK + ((index >>> 18) & 511)]!;
    if (e & LEAF) { this.lastLevel = 3; return e >>> 2; }
    if (e === 0) { this.lastLevel = 0; return -1; }
    e = m[(e >>> 2) * CHUNK + ((index >>> 9) & 511)]!;
    if (e & LEAF) { this.lastLevel = 2; return e >>> 2; }
    if (e === 0) { this.lastLevel = 0; return -1; }
    e = m[(e >>> 2) * CHUNK + (index & 511)]!;
    if (e & LEAF) { this.lastLevel = 1; return e >>> 2; }
    this.lastLevel = 0;
    return -1;
  }

  lookupOrder(index: number): Order {
    return this.lookup(index) < 0 ? -1 : 9 * (this.lastLevel - 1);
  }

  insert(index: number, pfn: number, order: Order): boolean {
    checkCacheOrder(index, order);
    const level = order / 9 + 1;
    let t = this.root;
    for (let lv = 4; lv > level; lv--) {
      const p = t * CHUNK + ((index >>> (9 * (lv - 1))) & 511);
      const e = this.pool.mem[p]!;
      if (e & LEAF) return false;
      if (e === 0) {
        const c = this.pool.alloc();
        this.pool.mem[p] = (c << 2) | TABLE;
        this.pool.counts[t]!++;
        t = c;
      } else {
        t = e >>> 2;
      }
    }
    const p = t * CHUNK + ((index >>> (9 * (level - 1))) & 511);
    if (this.pool.mem[p] !== 0) return false;
    this.pool.mem[p] = ((pfn << 2) | LEAF) >>> 0;
    this.pool.counts[t]!++;
    this.pages += 2 ** order;
    return true;
  }

  anyInBlock(index: number): boolean {
    const m = this.pool.mem;
    let e = m[this.root * CHUNK + (index >>> 27)]!;
    if (e === 0) return false;
    e = m[(e >>> 2) * CHUNK + ((index >>> 18) & 511)]!;
    if (e === 0) return false;
    if (e & LEAF) return true;
    return m[(e >>> 2) * CHUNK + ((index >>> 9) & 511)] !== 0;
  }

  /**
   * Visit leaves overlapping [start, end) with head >= from, ascending; remove the whole ones
   * when `remove`, freeing emptied tables.
   */
  private walkLevel(t: number, level: number, base: number, start: number, end: number, from: number,
    remove: boolean, visit: Visit): void {
    const span = 2 ** (9 * (level - 1));
    const slots = slotsMeeting(span, base, start, end);
    if (slots < 0) return;
    const m = this.pool.mem;
    for (let i = slots >>> 9, last = slots & 511; i <= last; i++) {
      const p = t * CHUNK + i;
      const e = m[p]!;
      if (e === 0) continue;
      const eb = base + i * span;
      if (e & LEAF) {
        if (eb < from) continue;
        const whole = eb >= start && eb + span <= end;
        if (whole && remove) {
          m[p] = 0;
          this.pool.counts[t]!--;
          this.pages -= span;
        }
        visit(eb, e >>> 2, 9 * (level - 1), whole);
        continue;
      }
      const c = e >>> 2;
      this.walkLevel(c, level - 1, eb, start, end, from, remove, visit);
      if (remove && this.pool.counts[c] === 0) {
        this.pool.free(c);
        m[p] = 0;
        this.pool.counts[t]!--;
      }
    }
  }

  eraseRange(start: number, end: number): EraseResult {
    const res: EraseResult = { whole: [], partial: [] };
    this.walkLevel(this.root, 4, 0, start, end, 0, true, (index, pfn, order, whole) => {
      (whole ? res.whole : res.partial).push({ index, pfn, order });
    });
    return res;
  }

  forEachInRange(start: number, end: number, fn: (index: number, pfn: number, order: Order) => void): void {
    const recs: number[] = [];
    this.walkLevel(this.root, 4, 0, start, end, start, false, (i, p, o) => { recs.push(i, p, o); });
    for (let k = 0; k < recs.length; k += 3) fn(recs[k]!, recs[k + 1]!, recs[k + 2]!);
  }

  splitEntry(index: number): void {
    const pfn = this.lookup(index);
    const level = this.lastLevel;
    if (pfn < 0 || level === 1) return;
    let t = this.root;
    for (let lv = 4; lv > level; lv--) t = this.pool.mem[t * CHUNK + ((index >>> (9 * (lv - 1))) & 511)]! >>> 2;
    const p = t * CHUNK + ((index >>> (9 * (level - 1))) & 511);
    // fillTable may grow the pool (a new mem array): compute before indexing pool.mem.
    const table = this.fillTable(pfn, level - 1);
    this.pool.mem[p] = (table << 2) | TABLE;
  }

  private fillTable(pfn: number, level: number): number {
    const c = this.pool.alloc();
    const step = 2 ** (9 * (level - 1));
    for (let i = 0; i < CHUNK; i++) {
      const e = level === 1 ? ((pfn + i) << 2) | LEAF : (this.fillTable(pfn + i * step, level - 1) << 2) | TABLE;
      this.pool.mem[c * CHUNK + i] = e >>> 0;
    }
    this.pool.counts[c] = CHUNK;
    return c;
  }

  reset(): void {
    this.eraseRange(0, 2 ** 32);
    this.pages = 0;
  }

  reattach(): void {
    this.root = this.pool.alloc();
    this.pages = 0;
  }
}
