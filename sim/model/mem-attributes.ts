// kvm->mem_attr_array: per-gfn private/shared attribute (one xarray value entry per gfn in v10
// and 6.8). Stored here as sorted ranges that differ from the VM's default, so a fully private
// 1 TiB guest costs nothing to hold; the per-gfn cost of the kernel's stores is charged anyway.

export class MemAttributes {
  /** Sorted, disjoint, non-adjacent [start, end) ranges whose attribute is NOT the default. */
  private readonly flipped: Array<[number, number]> = [];

  constructor(readonly privateByDefault: boolean) {}

  /** kvm_mem_is_private: one xa_load. */
  isPrivate(gfn: number): boolean {
    return this.inFlipped(gfn) !== this.privateByDefault;
  }

  /** Every gfn of [start, end) has the same attribute (the lpage mixed flag is clear). */
  isUniform(start: number, end: number): boolean {
    const first = this.inFlipped(start);
    for (const [a, b] of this.flipped) {
      if (b <= start || a >= end) continue;
      if (!first) return false; // a flipped range starts inside
      if (a > start || b < end) return false; // covers only part
    }
    return true;
  }

  set(start: number, end: number, priv: boolean): void {
    if (end <= start) return;
    const flip = priv !== this.privateByDefault;
    const out: Array<[number, number]> = [];
    for (const [a, b] of this.flipped) {
      if (b <= start || a >= end) out.push([a, b]);
      else {
        if (a < start) out.push([a, start]);
        if (b > end) out.push([end, b]);
      }
    }
    if (flip) out.push([start, end]);
    out.sort((x, y) => x[0] - y[0]);
    this.flipped.length = 0;
    for (const r of out) {
      const last = this.flipped[this.flipped.length - 1];
      if (last && last[1] >= r[0]) last[1] = Math.max(last[1], r[1]);
      else this.flipped.push([r[0], r[1]]);
    }
  }

  private inFlipped(gfn: number): boolean {
    let lo = 0;
    let hi = this.flipped.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.flipped[mid] as [number, number];
      if (gfn < a) hi = mid - 1;
      else if (gfn >= b) lo = mid + 1;
      else return true;
    }
    return false;
  }
}
