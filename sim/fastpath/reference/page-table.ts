// Map reference of one VM's secondary page table (EPT/NPT under the TDP MMU): a 4-level radix
// of 512-entry tables with leaves at levels 1 (4 KiB), 2 (2 MiB) and 3 (1 GiB). Models
// kvm_tdp_mmu_map's install/replace and tdp_mmu_zap_leafs; leaves out SPTE bits (A/D, W, X),
// RCU-deferred table freeing, yielding and TLB flushes (the caller's business).
// Why a twin: the plain version the WASM and typed-array ones are checked against
// (test/fastpath/page-table.test.ts).
import type { PageTable, ZapResult } from '../api.js';
import { checkLevel } from '../radix-rules.js';

/** Gfns covered by one entry at each level (index = level). */
const SPAN = [0, 1, 512, 2 ** 18, 2 ** 27];

export class RefPageTable implements PageTable {
  /** Leaves: key head*4+level -> pfn. */
  private leaves = new Map<number, number>();
  /** Tables below the root: key prefix*4+level, prefix = first gfn / SPAN[level+1]. */
  private tables = new Set<number>();
  private counts: [number, number, number] = [0, 0, 0];

  reset(): void {
    this.leaves.clear();
    this.tables.clear();
    this.counts = [0, 0, 0];
  }

  private leafAt(gfn: number): { head: number; level: number; pfn: number } | undefined {
    for (let level = 1; level <= 3; level++) {
      const head = gfn - (gfn % SPAN[level]!);
      const pfn = this.leaves.get(head * 4 + level);
      if (pfn !== undefined) return { head, level, pfn };
    }
    return undefined;
  }

  private tableKey(gfn: number, level: number): number {
    return Math.floor(gfn / SPAN[level + 1]!) * 4 + level;
  }

  private dropLeaf(head: number, level: number): void {
    this.leaves.delete(head * 4 + level);
    this.counts[level - 1]!--;
  }

  /** Drop the table at (level, covering gfn) with every table and leaf below it. */
  private dropSubtree(first: number, level: number): { leaves: [number, number, number]; tables: number } {
    const out = { leaves: [0, 0, 0] as [number, number, number], tables: 0 };
    const end = first + SPAN[level + 1]!;
    for (const key of [...this.leaves.keys()]) {
      const lv = key % 4;
      const head = (key - lv) / 4;
      if (head >= first && head < end) { this.dropLeaf(head, lv); out.leaves[lv - 1]!++; }
    }
    for (const key of [...this.tables]) {
      const lv = key % 4;
      const tFirst = ((key - lv) / 4) * SPAN[lv + 1]!;
      if (lv <= level && tFirst >= first && tFirst < end) { this.tables.delete(key); out.tables++; }
    }
    return out;
  }

  map(gfn: number, pfn: number, level: number): void {
    checkLevel(gfn, pfn, level);
    // Walk down from level 3 to the target: a huge leaf in the way goes, tables appear.
    this.tables.add(this.tableKey(gfn, 3));
    for (let lv = 3; lv > level; lv--) {
      const head = gfn - (gfn % SPAN[lv]!);
      if (this.leaves.has(head * 4 + lv)) this.dropLeaf(head, lv);
      this.tables.add(this.tableKey(gfn, lv - 1));
    }
    const existing = this.leaves.get(gfn * 4 + level);
    if (existing !== undefined) this.dropLeaf(gfn, level);
    if (level > 1 && this.tables.has(this.tableKey(gfn, level - 1))) this.dropSubtree(gfn, level - 1);
    this.leaves.set(gfn * 4 + level, pfn);
    this.counts[level - 1]!++;
  }

  walk(gfn: number): number {
    const l = this.leafAt(gfn);
    return l ? l.pfn + (gfn - l.head) : -1;
  }

  walkLevel(gfn: number): number { return this.leafAt(gfn)?.level ?? 0; }

  zapRange(gfnStart: number, gfnEnd: number, freeTables = false): ZapResult {
    const res: ZapResult = { leaves: [0, 0, 0], tablesFreed: 0 };
    if (gfnEnd <= gfnStart) return res;
    // Small ranges probe each candidate head; large ones scan every leaf (same answer).
    const keys: number[] = [];
    if (gfnEnd - gfnStart <= 4096) {
      for (let lv = 3; lv >= 1; lv--) {
        for (let head = gfnStart - (gfnStart % SPAN[lv]!); head < gfnEnd; head += SPAN[lv]!) {
          if (this.leaves.has(head * 4 + lv)) keys.push(head * 4 + lv);
        }
      }
    } else {
      keys.push(...this.leaves.keys());
    }
    for (const key of keys) {
      const lv = key % 4;
      const head = (key - lv) / 4;
      if (head < gfnEnd && head + SPAN[lv]! > gfnStart) { this.dropLeaf(head, lv); res.leaves[lv - 1]!++; }
    }
    if (freeTables) {
      for (const key of [...this.tables]) {
        const lv = key % 4;
        const first = ((key - lv) / 4) * SPAN[lv + 1]!;
        if (first >= gfnStart && first + SPAN[lv + 1]! <= gfnEnd) { this.tables.delete(key); res.tablesFreed++; }
      }
    }
    return res;
  }

  mappingsPerLevel(): [number, number, number] { return [...this.counts]; }

  /** Tables below the root (for the property tests' final-state comparison). */
  tableCount(): number { return this.tables.size; }
}
