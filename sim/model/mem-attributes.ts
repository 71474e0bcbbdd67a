// kvm->mem_attr_array: per-gfn private/shared attribute (one xarray value entry per gfn in v10
// and 6.8). Stored here as sorted ranges that differ from the VM's default, so a fully private
// 1 TiB guest costs nothing to hold; the per-gfn cost of the kernel's stores is charged anyway.
// Every operation finds its place by binary search and edits only the ranges it touches: a VM
// whose VMM converts page by page (one memory-fault exit each) holds many ranges, and rebuilding
// the whole list per store made each store cost the list's length in simulator time.

export class MemAttributes {
  /** Sorted, disjoint, non-adjacent [start, end) ranges whose attribute is NOT the default. */
  private readonly flipped: Array<[number, number]> = [];

  constructor(readonly privateByDefault: boolean) {}

  /** kvm_mem_is_private: one xa_load. */
  isPrivate(gfn: number): boolean {
    const i = this.firstEndingAfter(gfn);
    const inFlipped = i < this.flipped.length && this.flipped[i]![0] <= gfn;
    return inFlipped !== this.privateByDefault;
  }

  /** Every gfn of [start, end) has the same attribute (the lpage mixed flag is clear). */
  isUniform(start: number, end: number): boolean {
    const r = this.flipped[this.firstEndingAfter(start)];
    // No flipped range meets [start, end), or one covers all of it (ranges are non-adjacent).
    if (r === undefined || r[0] >= end) return true;
    return r[0] <= start && r[1] >= end;
  }

  set(start: number, end: number, priv: boolean): void {
    if (end <= start) return;
    const r = this.flipped;
    // Ranges lo..hi-1 overlap or touch [start, end]: the only ones a store can change.
    const lo = this.firstEndingAfter(start - 1);
    let hi = lo;
    while (hi < r.length && r[hi]![0] <= end) hi++;
    const replacement: Array<[number, number]> = [];
    if (priv !== this.privateByDefault) {
      // Flipped: one range, merged with those it meets.
      replacement.push(lo < hi ? [Math.min(start, r[lo]![0]), Math.max(end, r[hi - 1]![1])] : [start, end]);
    } else if (lo < hi) {
      // Back to the default: what lies outside [start, end) stays flipped.
      if (r[lo]![0] < start) replacement.push([r[lo]![0], start]);
      if (r[hi - 1]![1] > end) replacement.push([end, r[hi - 1]![1]]);
    }
    r.splice(lo, hi - lo, ...replacement);
  }

  /** Index of the first range ending after gfn (r[1] > gfn), or the length when none does. */
  private firstEndingAfter(gfn: number): number {
    let lo = 0;
    let hi = this.flipped.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.flipped[mid]![1] > gfn) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
