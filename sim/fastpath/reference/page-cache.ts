// Map reference of one shmem mapping's xarray (mapping->i_pages): head index -> folio.
// Models the multi-index entries of include/linux/xarray.h for orders 0, 9 and 18; leaves out
// RCU, node allocation and value (swap/shadow) entries.
// Why a twin: the plain version the WASM and typed-array ones are checked against
// (test/fastpath/page-cache.test.ts).
import type { EraseResult, Order, PageCache } from '../api.js';
import { checkCacheOrder } from '../radix-rules.js';

interface Entry { pfn: number; order: number }

export class RefPageCache implements PageCache {
  private entries = new Map<number, Entry>();
  /** Entries whose head lies in each 512-index block and each 2^18-index block. */
  private perBlock9 = new Map<number, number>();
  private perBlock18 = new Map<number, number>();
  private pages = 0;

  get nrPages(): number { return this.pages; }

  reset(): void {
    this.entries.clear();
    this.perBlock9.clear();
    this.perBlock18.clear();
    this.pages = 0;
  }

  /** The entry covering index, with its head index, or undefined. */
  private covering(index: number): { head: number; e: Entry } | undefined {
    for (const mask of [0, 511, 2 ** 18 - 1]) {
      const head = index - (index & mask);
      const e = this.entries.get(head);
      if (e && head + 2 ** e.order > index) return { head, e };
    }
    return undefined;
  }

  lookup(index: number): number { return this.covering(index)?.e.pfn ?? -1; }
  lookupOrder(index: number): Order { return this.covering(index)?.e.order ?? -1; }

  insert(index: number, pfn: number, order: Order): boolean {
    checkCacheOrder(index, order);
    if (this.covering(index)) return false;
    if (order >= 9 && (this.perBlock9.get(Math.floor(index / 512)) ?? 0) > 0) return false;
    if (order >= 18 && (this.perBlock18.get(Math.floor(index / 2 ** 18)) ?? 0) > 0) return false;
    this.entries.set(index, { pfn, order });
    this.bump(index, 1);
    this.pages += 2 ** order;
    return true;
  }

  private bump(index: number, d: number): void {
    const b9 = Math.floor(index / 512);
    const b18 = Math.floor(index / 2 ** 18);
    this.perBlock9.set(b9, (this.perBlock9.get(b9) ?? 0) + d);
    this.perBlock18.set(b18, (this.perBlock18.get(b18) ?? 0) + d);
  }

  private remove(head: number): void {
    const e = this.entries.get(head)!;
    this.entries.delete(head);
    this.bump(head, -1);
    this.pages -= 2 ** e.order;
  }

  anyInBlock(index: number): boolean {
    const block = index - (index % 512);
    return (this.perBlock9.get(block / 512) ?? 0) > 0 || this.covering(block) !== undefined;
  }

  /** Entries overlapping [start, end), ascending by head index. */
  private overlapping(start: number, end: number): Array<{ head: number; e: Entry }> {
    const out: Array<{ head: number; e: Entry }> = [];
    const first = this.covering(start);
    if (first && first.head < start) out.push(first);
    if (end - start <= 4096) {
      // Small ranges probe each index (cheap); large ones scan every entry (same answer).
      for (let i = start; i < end; i++) { const e = this.entries.get(i); if (e) out.push({ head: i, e }); }
      return out;
    }
    for (const [head, e] of this.entries) if (head >= start && head < end) out.push({ head, e });
    return out.sort((a, b) => a.head - b.head);
  }

  eraseRange(start: number, end: number): EraseResult {
    const res: EraseResult = { whole: [], partial: [] };
    for (const { head, e } of this.overlapping(start, end)) {
      const rec = { index: head, pfn: e.pfn, order: e.order };
      if (head >= start && head + 2 ** e.order <= end) {
        this.remove(head);
        res.whole.push(rec);
      } else {
        res.partial.push(rec);
      }
    }
    return res;
  }

  forEachInRange(start: number, end: number, fn: (index: number, pfn: number, order: Order) => void): void {
    const heads = [...this.entries.keys()].filter((h) => h >= start && h < end).sort((a, b) => a - b);
    for (const h of heads) { const e = this.entries.get(h)!; fn(h, e.pfn, e.order); }
  }

  splitEntry(index: number): void {
    const c = this.covering(index);
    if (!c || c.e.order === 0) return;
    this.remove(c.head);
    for (let i = 0; i < 2 ** c.e.order; i++) {
      this.entries.set(c.head + i, { pfn: c.e.pfn + i, order: 0 });
      this.bump(c.head + i, 1);
    }
    this.pages += 2 ** c.e.order;
  }
}
