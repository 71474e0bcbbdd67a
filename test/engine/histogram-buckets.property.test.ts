// Property tests of histogram bucketing: every value record() takes lands in bucketIndex(v),
// whether it goes through record()'s inlined int32 fast path or the general path, and
// bucketIndex(v) is the bucket whose [bucketLow, bucketLow + bucketWidth) holds v. Checked over
// the whole int32 range (fast-check) and at the edges of every bucket below 2^31.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Histogram, bucketIndex, bucketLow, bucketWidth, BUCKET_COUNT } from '../../sim/engine/index.js';
import { MAX_VALUE } from '../../sim/engine/histogram.js';

/** The one bucket a single recorded value shows up in, as [low, count] pairs. */
function recordedBuckets(record: (h: Histogram) => void): Array<[number, number]> {
  const h = new Histogram();
  record(h);
  return h.buckets();
}

/** The bucket a value belongs in by definition: the one whose range holds it (negatives count as 0). */
function expectedBucket(v: number): [number, number] {
  const x = Math.min(Math.max(v, 0), MAX_VALUE);
  const i = bucketIndex(x);
  const lo = bucketLow(i);
  assert.ok(lo <= x && x < lo + bucketWidth(i), `bucketIndex(${x}) = ${i} holds [${lo}, ${lo + bucketWidth(i)})`);
  return [lo, 1];
}

function assertLandsInItsBucket(v: number): void {
  const want = [expectedBucket(v)];
  assert.deepEqual(recordedBuckets((h) => h.record(v)), want, `record(${v})`);
  assert.deepEqual(recordedBuckets((h) => h.recordN(v, 1)), want, `recordN(${v}, 1)`);
}

/** Random cases per property (fewer under mutation testing, test/mutation/, where each run is one mutant). */
const RUNS = process.env.RMSIM_MUTATION ? 2_000 : 20_000;

/** Every bucket index below the first one at 2^31 (the int32 fast path's range). */
const int32Buckets = bucketIndex(2 ** 31);

test('bucket edges: the first and last value of every bucket below 2^31, and the value before it, land in their own buckets', () => {
  assert.equal(int32Buckets, 3200, 'buckets 0..127 are exact, then 128 sub-buckets for each power of two from 2^7 to 2^30');
  let checked = 0;
  for (let i = 0; i < int32Buckets; i++) {
    const lo = bucketLow(i);
    const hi = lo + bucketWidth(i) - 1;
    assert.equal(bucketIndex(lo), i, `bucketIndex(bucketLow(${i}))`);
    assert.equal(bucketIndex(hi), i, `bucketIndex of the last value of bucket ${i}`);
    if (i > 0) assert.equal(bucketIndex(lo - 1), i - 1, `the value before bucket ${i} is in bucket ${i - 1}`);
    for (const v of [lo, hi, lo - 1]) if (v >= 0) assertLandsInItsBucket(v);
    checked++;
  }
  assert.equal(checked, 3200);
  // Buckets are contiguous: each starts where the previous one ends.
  for (let i = 1; i < BUCKET_COUNT; i++) assert.equal(bucketLow(i), bucketLow(i - 1) + bucketWidth(i - 1), `bucket ${i} follows bucket ${i - 1}`);
});

test('BUCKET_COUNT is exactly the number of indices values can take (bucketIndex of the largest value, plus one)', () => {
  assert.equal(BUCKET_COUNT, bucketIndex(MAX_VALUE) + 1);
  assert.equal(bucketIndex(MAX_VALUE + 1e6), BUCKET_COUNT - 1, 'larger values are clamped into the last bucket');
});

test('property: any int32 recorded lands in bucketIndex(v) (negatives in bucket 0)', () => {
  fc.assert(fc.property(fc.integer(), (v) => assertLandsInItsBucket(v)), { numRuns: RUNS });
});

test('property: any non-negative int32 recorded lands in bucketIndex(v), biased to powers of two and their neighbours', () => {
  const nearPowerOfTwo = fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: -3, max: 3 })).map(([e, d]) => Math.max(0, 2 ** e + d));
  fc.assert(fc.property(fc.oneof(fc.nat(), nearPowerOfTwo), (v) => assertLandsInItsBucket(v)), { numRuns: RUNS });
});

test('property: values beyond int32 and fractional values land where bucketIndex puts them (rounded to nearest)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2 ** 31, max: MAX_VALUE }), (v) => assertLandsInItsBucket(v)),
    { numRuns: RUNS / 4 },
  );
  fc.assert(
    fc.property(fc.double({ min: 0, max: 2 ** 40, noNaN: true }), (v) => {
      const r = Math.floor(v + 0.5);
      assert.deepEqual(recordedBuckets((h) => h.record(v)), [expectedBucket(r)], `record(${v})`);
    }),
    { numRuns: RUNS / 4 },
  );
});

test('a whole batch recorded through the fast path matches counts built from bucketIndex', () => {
  // One histogram, many values: the same counts as incrementing bucketIndex(v) by hand.
  const values = fc.sample(fc.nat(), { seed: 7, numRuns: 50_000 });
  const h = new Histogram();
  const byIndex = new Map<number, number>();
  for (const v of values) {
    h.record(v);
    const i = bucketIndex(v);
    byIndex.set(i, (byIndex.get(i) ?? 0) + 1);
  }
  const want = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([i, n]) => [bucketLow(i), n]);
  assert.equal(values.length, 50_000);
  assert.deepEqual(h.buckets(), want);
});
