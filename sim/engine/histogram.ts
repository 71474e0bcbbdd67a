// Log-linear latency histograms (HDR-style): values 0..127 ns have their own bucket; above,
// each power of two [2^e, 2^(e+1)) is cut into 128 equal sub-buckets of width 2^(e-7), so a
// bucket's width is at most 1/128 (0.78%) of its lower bound: < 1% relative error from 1 ns
// to 100 s and beyond (up to 2^53). Bucketing uses integer operations only (clz32 and shifts;
// above 2^31 an exact division by a power of two), the same function as wasm/shared/histogram.ts.
// Counts merge exactly, so replications and shards pool without loss.
// Twin (deliberate) of wasm/shared/histogram.ts (bursts record latencies inside WASM); held
// together by test/engine/wasm-twin.test.ts.

/**
 * The bucket layout as a `const enum`, so tsc writes the numbers at each use: a module-level
 * `const` is read through the module's context with a check that it is initialised, and
 * record() runs on every lock acquisition and release (wait and hold times).
 */
const enum Layout {
  SUB_BUCKET_BITS = 7,
  SUB_BUCKETS = 1 << SUB_BUCKET_BITS, // 128
}
export const SUB_BUCKET_BITS = Layout.SUB_BUCKET_BITS;
export const SUB_BUCKETS = Layout.SUB_BUCKETS;
/** Largest recordable value; larger values are clamped to it. */
export const MAX_VALUE = 9007199254740991; // 2^53 - 1
/** Number of bucket indices: values up to 2^53 - 1 map below this. */
export const BUCKET_COUNT = ((53 - Layout.SUB_BUCKET_BITS) << Layout.SUB_BUCKET_BITS) + Layout.SUB_BUCKETS; // 6016

/** Bucket index of an integer value >= 0 (negative values count as 0, larger than 2^53-1 as 2^53-1). */
export function bucketIndex(v: number): number {
  if (v < Layout.SUB_BUCKETS) return v > 0 ? v : 0;
  if (v < 2147483648) {
    const shift = 24 - Math.clz32(v); // e - 7, where e = 31 - clz32(v)
    return (shift << Layout.SUB_BUCKET_BITS) + (v >>> shift);
  }
  if (v > MAX_VALUE) v = MAX_VALUE;
  const hi = Math.floor(v / 4294967296);
  const shift = 56 - Math.clz32(hi); // e - 7 with e = 63 - clz32(hi)
  return (shift << Layout.SUB_BUCKET_BITS) + Math.floor(v / 2 ** shift);
}

/** Smallest value that falls in bucket `idx`. */
export function bucketLow(idx: number): number {
  if (idx < Layout.SUB_BUCKETS * 2) return idx;
  const shift = (idx >> Layout.SUB_BUCKET_BITS) - 1;
  return (idx - (shift << Layout.SUB_BUCKET_BITS)) * 2 ** shift;
}

/** Number of values in bucket `idx` (its width). */
export function bucketWidth(idx: number): number {
  if (idx < Layout.SUB_BUCKETS * 2) return 1;
  return 2 ** ((idx >> Layout.SUB_BUCKET_BITS) - 1);
}

/** A histogram of integer values (ns): count, exact sum/min/max, sparse log-linear buckets. */
export class Histogram {
  /** Bucket counts, grown on demand (index < counts.length). */
  counts: Float64Array = new Float64Array(256);
  count = 0;
  /** Sum of recorded values (exact while below 2^53). */
  sum = 0;
  min = Infinity;
  max = -Infinity;

  /**
   * Record one value (rounded to an integer ns first if it is not one). Inlined into every lock
   * acquisition and wake-up: anything but a non-negative int32 (every latency below 2.1 s)
   * takes recordN, which keeps this within V8's inlining budget.
   */
  record(v: number): void {
    if ((v | 0) !== v || v < 0) {
      this.recordN(v, 1);
      return;
    }
    let i = v;
    if (v >= Layout.SUB_BUCKETS) {
      const shift = 24 - Math.clz32(v);
      i = (shift << Layout.SUB_BUCKET_BITS) + (v >>> shift);
    }
    if (i >= this.counts.length) this.grow(i);
    this.counts[i]++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /**
   * record(0) in a sixth of its bytecode: every wake-up that finds a free CPU records a zero
   * run-queue delay, and the dispatch loop that inlines it (twice) has little inlining budget.
   */
  recordZero(): void {
    this.counts[0]++;
    this.count++;
    if (this.min > 0) this.min = 0;
    if (this.max < 0) this.max = 0;
  }

  /** Record `n` occurrences of value v. */
  recordN(v: number, n: number): void {
    if (n <= 0) return;
    if (v !== Math.floor(v)) v = Math.floor(v + 0.5);
    const i = bucketIndex(v);
    if (i >= this.counts.length) this.grow(i);
    this.counts[i] += n;
    this.count += n;
    this.sum += v * n;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /**
   * Add the buckets [lo, hi] of `counts` (laid out as this histogram's) with their values' sum,
   * min and max: a histogram recorded elsewhere with the same bucketing (a WASM batch's,
   * wasm/shared/histogram.ts), merged as `merge` would.
   */
  addBuckets(counts: Float64Array, lo: number, hi: number, sum: number, min: number, max: number): void {
    if (hi < lo) return;
    if (hi >= this.counts.length) this.grow(hi);
    let n = 0;
    for (let i = lo; i <= hi; i++) {
      const c = counts[i]!;
      this.counts[i] += c;
      n += c;
    }
    this.count += n;
    this.sum += sum;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }

  private grow(i: number): void {
    let n = this.counts.length;
    while (n <= i) n *= 2;
    if (n > BUCKET_COUNT) n = BUCKET_COUNT;
    const c = new Float64Array(n);
    c.set(this.counts);
    this.counts = c;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  /** Add another histogram's counts into this one (exact). */
  merge(o: Histogram): void {
    if (o.counts.length > this.counts.length) this.grow(o.counts.length - 1);
    for (let i = 0; i < o.counts.length; i++) this.counts[i] += o.counts[i];
    this.count += o.count;
    this.sum += o.sum;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /**
   * The q-quantile (0 < q <= 1) from the buckets: the bucket holding the ceil(q*count)-th value,
   * reported as its midpoint (rounded down), clamped to [min, max]; the top rank is max. 0 when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (rank >= this.count) return this.max;
    let acc = 0;
    const c = this.counts;
    for (let i = 0; i < c.length; i++) {
      acc += c[i];
      if (acc >= rank) {
        const mid = bucketLow(i) + Math.floor((bucketWidth(i) - 1) / 2);
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  /** Sparse buckets [[lowNs, count], ...], ascending, non-empty only. */
  buckets(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const c = this.counts;
    for (let i = 0; i < c.length; i++) if (c[i] !== 0) out.push([bucketLow(i), c[i]]);
    return out;
  }

  /** Rebuild from exported sparse buckets (for pooling replications from metrics.json). */
  static fromBuckets(buckets: Array<[number, number]>, sum: number, min: number, max: number): Histogram {
    const h = new Histogram();
    for (const [low, n] of buckets) {
      const i = bucketIndex(low);
      if (i >= h.counts.length) h.grow(i);
      h.counts[i] += n;
      h.count += n;
    }
    h.sum = sum;
    h.min = h.count ? min : Infinity;
    h.max = h.count ? max : -Infinity;
    return h;
  }
}
