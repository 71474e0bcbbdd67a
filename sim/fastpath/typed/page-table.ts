// Typed-array twin of wasm/ept.ts: a 4-level radix of 512-entry u32 tables from a ChunkPool.
// Entry: 0 empty, (pfn << 2) | 1 leaf, (chunk << 2) | 2 table. kvm_tdp_mmu_map install and
// replace, tdp_mmu_zap_leafs (+ freeing tables wholly inside with freeTables).
// Why a twin: the benchmark's middle column (the same algorithm without WASM); held, as the WASM
// version is, to the Map reference by test/fastpath/page-table.test.ts.
import type { PageTable, ZapResult } from '../api.js';
import { checkLevel } from '../radix-rules.js';
import { CHUNK, slotsMeeting, type ChunkPool } from './chunk-pool.js';

const LEAF = 1;
const TABLE = 2;

export class TypedPageTable implements PageTable {
  private root: number;
  private counts: [number, number, number] = [0, 0, 0];
  private zap: ZapResult = { leaves: [0, 0, 0], tablesFreed: 0 };

  constructor(private readonly pool: ChunkPool) {
    this.root = pool.alloc();
  }

  /** Free every table of `level` below chunk t, counting into this.zap. */
  private freeSubtree(t: number, level: number): void {
    const m = this.pool.mem;
    const base = t * CHUNK;
    for (let i = 0; i < CHUNK; i++) {
      const e = m[base + i]!;
      if (e === 0) continue;
      if (e & LEAF) { this.zap.leaves[level - 1]!++; this.counts[level - 1]!--; }
      else this.freeSubtree(e >>> 2, level - 1);
      m[base + i] = 0;
    }
    this.pool.free(t);
    this.zap.tablesFreed++;
  }

  map(gfn: number, pfn: number, level: number): void {
    checkLevel(gfn, pfn, level);
    let t = this.root;
    for (let lv = 4; lv > level; lv--) {
      const p = t * CHUNK + ((gfn >>> (9 * (lv - 1))) & 511);
      let e = this.pool.mem[p]!;
      if (e & LEAF) { this.counts[lv - 1]!--; e = 0; }
      if (e === 0) {
        const c = this.pool.alloc();
        this.pool.mem[p] = (c << 2) | TABLE;
        t = c;
      } else {
        t = e >>> 2;
      }
    }
    const p = t * CHUNK + ((gfn >>> (9 * (level - 1))) & 511);
    const e = this.pool.mem[p]!;
    if (e & LEAF) this.counts[level - 1]!--;
    else if (e !== 0) this.freeSubtree(e >>> 2, level - 1);
    this.pool.mem[p] = ((pfn << 2) | LEAF) >>> 0;
    this.counts[level - 1]!++;
  }

  walk(gfn: number): number {
    const m = this.pool.mem;
    let e = m[this.root * CHUNK + (gfn >>> 27)]!;
    if (e === 0) return -1;
    e = m[(e >>> 2) * CHUNK + ((gfn >>> 18) & 511)]!;
    if (e & LEAF) return (e >>> 2) + (gfn & 0x3ffff);
    if (e === 0) return -1;
    e = m[(e >>> 2) * CHUNK + ((gfn >>> 9) & 511)]!;
    if (e & LEAF) return (e >>> 2) + (gfn & 511);
    if (e === 0) return -1;
    e = m[(e >>> 2) * CHUNK + (gfn & 511)]!;
    return e & LEAF ? e >>> 2 : -1;
  }

  walkLevel(gfn: number): number {
    let t = this.root;
    for (let lv = 4; lv >= 1; lv--) {
      const e = this.pool.mem[t * CHUNK + (Math.floor(gfn / 2 ** (9 * (lv - 1))) & 511)]!;
      if (e === 0) return 0;
      if (e & LEAF) return lv;
      t = e >>> 2;
    }
    return 0;
  }

  private zapLevel(t: number, level: number, base: number, start: number, end: number, freeTables: boolean): void {
    const span = 2 ** (9 * (level - 1));
    const slots = slotsMeeting(span, base, start, end);
    if (slots < 0) return;
    const m = this.pool.mem;
    const row = t * CHUNK;
    const last = row + (slots & 511);
    for (let p = row + (slots >>> 9); p <= last; p++) {
      const e = m[p]!;
      if (e === 0) continue;
      if (e & LEAF) {
        this.zap.leaves[level - 1]!++;
        this.counts[level - 1]!--;
        m[p] = 0;
        continue;
      }
      const eb = base + (p - row) * span;
      if (freeTables && eb >= start && eb + span <= end) {
        this.freeSubtree(e >>> 2, level - 1);
        m[p] = 0;
      } else {
        this.zapLevel(e >>> 2, level - 1, eb, start, end, freeTables);
      }
    }
  }

  zapRange(gfnStart: number, gfnEnd: number, freeTables = false): ZapResult {
    this.zap = { leaves: [0, 0, 0], tablesFreed: 0 };
    if (gfnEnd > gfnStart) this.zapLevel(this.root, 4, 0, gfnStart, gfnEnd, freeTables);
    return this.zap;
  }

  mappingsPerLevel(): [number, number, number] { return [...this.counts]; }

  tableCount(): number {
    const count = (t: number, level: number): number => {
      if (level === 1) return 0;
      let n = 0;
      for (let i = 0; i < CHUNK; i++) {
        const e = this.pool.mem[t * CHUNK + i]!;
        if (e !== 0 && !(e & LEAF)) n += 1 + count(e >>> 2, level - 1);
      }
      return n;
    };
    return count(this.root, 4);
  }

  reset(): void {
    const m = this.pool.mem;
    for (let i = 0; i < CHUNK; i++) {
      const e = m[this.root * CHUNK + i]!;
      if (e !== 0 && !(e & LEAF)) this.freeSubtree(e >>> 2, 3);
      m[this.root * CHUNK + i] = 0;
    }
    this.counts = [0, 0, 0];
  }

  /** After the pool itself was reset: take a fresh root. */
  reattach(): void {
    this.root = this.pool.alloc();
    this.counts = [0, 0, 0];
  }
}
