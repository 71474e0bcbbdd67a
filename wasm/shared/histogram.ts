// Log-linear histogram bucketing for the WASM side: the same function as
// sim/engine/histogram.ts bucketIndex (128 sub-buckets per power of two, integer-only).
// Twin (deliberate): a burst inside WASM records each latency without a call back into
// TypeScript; test/engine/wasm-twin.test.ts compares a million values' buckets with the engine's.

export const SUB_BUCKET_BITS: i32 = 7;
export const SUB_BUCKETS: u64 = 128;
export const MAX_VALUE: u64 = 9007199254740991;

/** Bucket index of an integer value (values above 2^53-1 clamp). */
export function bucketIndex(v: u64): i32 {
  if (v < SUB_BUCKETS) return <i32>v;
  if (v > MAX_VALUE) v = MAX_VALUE;
  const shift = <i32>(56 - clz<u64>(v)); // e - 7 with e = 63 - clz(v)
  return (shift << SUB_BUCKET_BITS) + <i32>(v >> <u64>shift);
}

/** Record value v (ns, f64 integer) into a bucket-count array of f64 at `counts`. */
export function histogramRecord(counts: usize, v: f64): void {
  const i = bucketIndex(v > 0 ? <u64>v : 0);
  const p = counts + (<usize>i << 3);
  store<f64>(p, load<f64>(p) + 1.0);
}
