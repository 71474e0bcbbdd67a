// kvm->mem_attr_array: per-gfn private/shared attribute (one xarray value entry per gfn in v10
// and 6.8). Stored here as sorted ranges that differ from the VM's default, so a fully private
// 1 TiB guest costs nothing to hold; the per-gfn cost of the kernel's stores is charged anyway.
// Every operation finds its place by binary search and edits only the ranges it touches: a VM
// whose VMM converts page by page (one memory-fault exit each) holds many ranges, and rebuilding
// the whole list per store made each store cost the list's length in simulator time.
// The ranges' starts and ends are two flat arrays of small integers, not an array of [start, end]
// pairs: every fault's isPrivate searches them, and with 64 VMs faulting in turn (bench e2e (b))
// each VM's list is cold, so a step of the search that reads a pair loads three cache lines
// (the list's slot, the pair, the pair's elements) where a flat array loads one.

export class MemAttributes {
  /** Sorted, disjoint, non-adjacent [starts[i], ends[i]) ranges whose attribute is NOT the default. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /**
   * The last two answers of firstEndingAfter: a VM's vCPUs fault sequentially, each in its own
   * slice, so the next gfn of each usually has the same answer; checking it costs two loads from
   * one cache line where the binary search mispredicts a branch a step. A store may leave a hint
   * stale; the check itself tells, and the search runs then.
   */
  private hint0 = 0;
  private hint1 = 0;

  constructor(readonly privateByDefault: boolean) {}

  /** kvm_mem_is_private: one xa_load. */
  isPrivate(gfn: number): boolean {
    const i = this.firstEndingAfter(gfn);
    const inFlipped = i < this.starts.length && this.starts[i]! <= gfn;
    return inFlipped !== this.privateByDefault;
  }

  /** Every gfn of [start, end) has the same attribute (the lpage mixed flag is clear). */
  isUniform(start: number, end: number): boolean {
    const i = this.firstEndingAfter(start);
    // No flipped range meets [start, end), or one covers all of it (ranges are non-adjacent).
    if (i >= this.starts.length || this.starts[i]! >= end) return true;
    return this.starts[i]! <= start && this.ends[i]! >= end;
  }

  /** The first gfn of [gfn, end) that is not private, or end: where a run of private gfns from gfn stops. */
  privateRunEnd(gfn: number, end: number): number {
    const i = this.firstEndingAfter(gfn);
    const inFlipped = i < this.starts.length && this.starts[i]! <= gfn;
    if (this.privateByDefault) return inFlipped ? gfn : i < this.starts.length ? Math.min(this.starts[i]!, end) : end;
    return inFlipped ? Math.min(this.ends[i]!, end) : gfn;
  }

  /** The first gfn of [gfn, end) that is private, or end: where a run of shared gfns from gfn stops. */
  sharedRunEnd(gfn: number, end: number): number {
    const i = this.firstEndingAfter(gfn);
    const inFlipped = i < this.starts.length && this.starts[i]! <= gfn;
    if (!this.privateByDefault) return inFlipped ? gfn : i < this.starts.length ? Math.min(this.starts[i]!, end) : end;
    return inFlipped ? Math.min(this.ends[i]!, end) : gfn;
  }

  set(start: number, end: number, priv: boolean): void {
    if (end <= start) return;
    const starts = this.starts;
    const ends = this.ends;
    // Ranges lo..hi-1 overlap or touch [start, end]: the only ones a store can change.
    const lo = this.firstEndingAfter(start - 1);
    let hi = lo;
    while (hi < starts.length && starts[hi]! <= end) hi++;
    const n = hi - lo;
    if (priv !== this.privateByDefault) {
      // Flipped: one range, merged with those it meets.
      if (n === 0) {
        starts.splice(lo, 0, start);
        ends.splice(lo, 0, end);
      } else {
        const s = Math.min(start, starts[lo]!);
        const e = Math.max(end, ends[hi - 1]!);
        this.replace(lo, n, s, e);
      }
    } else if (n > 0) {
      // Back to the default: what lies outside [start, end) stays flipped.
      const s0 = starts[lo]!;
      const e1 = ends[hi - 1]!;
      if (s0 < start && e1 > end) {
        starts.splice(lo, n, s0, end);
        ends.splice(lo, n, start, e1);
      } else if (s0 < start) {
        this.replace(lo, n, s0, start);
      } else if (e1 > end) {
        this.replace(lo, n, end, e1);
      } else {
        starts.splice(lo, n);
        ends.splice(lo, n);
      }
    }
  }

  /**
   * Ranges lo..lo+n-1 become the one range [s, e). In place when n is 1: a VMM converting page
   * by page after memory-fault exits shrinks one range a page at a time, and a splice allocates
   * the array of what it removes.
   */
  private replace(lo: number, n: number, s: number, e: number): void {
    if (n === 1) {
      this.starts[lo] = s;
      this.ends[lo] = e;
      return;
    }
    this.starts.splice(lo, n, s);
    this.ends.splice(lo, n, e);
  }

  /** The flipped ranges as [start, end) pairs, in order (tests and diagnostics). */
  ranges(): Array<[number, number]> {
    return this.starts.map((s, i) => [s, this.ends[i]!]);
  }

  /** Index of the first range ending after gfn (ends[i] > gfn), or the length when none does. */
  private firstEndingAfter(gfn: number): number {
    const ends = this.ends;
    const n = ends.length;
    const h0 = this.hint0;
    if (h0 <= n && (h0 === n || ends[h0]! > gfn) && (h0 === 0 || ends[h0 - 1]! <= gfn)) return h0;
    const h1 = this.hint1;
    if (h1 <= n && (h1 === n || ends[h1]! > gfn) && (h1 === 0 || ends[h1 - 1]! <= gfn)) {
      this.hint1 = h0;
      this.hint0 = h1;
      return h1;
    }
    const i = this.search(gfn);
    this.hint1 = h0;
    this.hint0 = i;
    return i;
  }

  private search(gfn: number): number {
    const ends = this.ends;
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! > gfn) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
