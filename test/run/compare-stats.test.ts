// compare's statistics against figures worked by hand, and its defined edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSamples, summarize } from '../../sim/run/compare-stats.js';

test('a paired t-test as worked by hand', () => {
  // Differences 1, 2, 3, 4: mean 2.5, sd 1.2910, se 0.6455, t = 3.873 with 3 dof: p = 0.0305;
  // t(0.975, 3) = 3.1824, so the interval is 2.5 ± 2.054, relative to A's mean 10: 25% ± 20.5%.
  const a = [10, 10, 10, 10];
  const b = [11, 12, 13, 14];
  const c = compareSamples(a, b, true);
  assert.ok(Math.abs(c.delta! - 0.25) < 1e-12);
  assert.ok(Math.abs(c.ci! - 0.20543) < 1e-4, String(c.ci));
  assert.ok(Math.abs(c.p! - 0.0305) < 1e-3, String(c.p));
  assert.equal(c.significant, true);
  const s = summarize([1, 2, 3, 4]);
  assert.equal(s.mean, 2.5);
  assert.ok(Math.abs(s.ci! - 2.054) < 1e-3);
});

test('pairing removes the noise both sides share', () => {
  const a = [100, 200, 300, 400, 500];
  const b = a.map((x, i) => x * 1.01 + (i % 2 ? 0.1 : -0.1));
  assert.equal(compareSamples(a, b, true).significant, true);
  assert.equal(compareSamples(a, b, false).significant, false);
});

test('zero variance: identical results are ~ with p = 1; a constant shift is exact (p = 0)', () => {
  const same = compareSamples([5, 6, 7], [5, 6, 7], true);
  assert.deepEqual([same.significant, same.p, same.delta], [false, 1, 0]);
  const shift = compareSamples([5, 6, 7], [6, 7, 8], true);
  assert.deepEqual([shift.significant, shift.p], [true, 0]);
});

test('one sample per side: a change but no test', () => {
  const c = compareSamples([10], [11], false);
  assert.deepEqual([c.p, c.ci, c.significant], [null, null, false]);
  assert.ok(Math.abs(c.delta! - 0.1) < 1e-12);
  assert.equal(compareSamples([0, 0], [1, 1], true).delta, null);
});
