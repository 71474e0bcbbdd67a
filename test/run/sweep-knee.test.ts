import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../sim/errors.js';
import { findKnee, judgePoint, parseSlo, sloMetricKey, type SloVerdict } from '../../sim/run/knee.js';
import { bisectKnees, parseSearch } from '../../sim/run/search.js';
import { summarize } from '../../sim/run/sweep-aggregate.js';

test('SLOs: metric{labels}.stat with a bound in the metric unit', () => {
  const s = parseSlo('fault.latency_ns.p99<=50us');
  assert.deepEqual([s.metric, s.stat, s.op, s.threshold], ['fault.latency_ns', 'p99', '<=', 50_000]);
  assert.equal(parseSlo('punch.latency_ns{size=2MiB}.p50<1ms').threshold, 1_000_000);
  assert.equal(parseSlo('fault.retries.value<=10').threshold, 10);
  assert.throws(() => parseSlo('fault.latency_ns.p99'), (e: unknown) => e instanceof UsageError && /bound/.test(e.message));
  assert.throws(() => parseSlo('fault.latency_ns.p99<=50 parsecs'), UsageError);
  assert.throws(() => parseSlo('fault.latency_ns.p99==50us'), UsageError);
  const keys = ['fault.latency_ns', 'punch.latency_ns{size=2MiB}', 'punch.latency_ns{size=4KiB}'];
  assert.equal(sloMetricKey(parseSlo('punch.latency_ns{size=2MiB}.p50<1ms'), keys), 'punch.latency_ns{size=2MiB}');
  assert.equal(sloMetricKey(s, keys), 'fault.latency_ns');
  assert.equal(sloMetricKey(parseSlo('punch.latency_ns.p50<1ms'), keys), undefined);
});

test('a point is judged by its mean and its interval; saturated or empty never meets', () => {
  const slo = parseSlo('fault.latency_ns.p99<=50us');
  assert.deepEqual(judgePoint(slo, { mean: 40_000, lo: 30_000, hi: 45_000 }, false), { meets: true, meets_surely: true, meets_possibly: true, reason: 'ok' });
  assert.deepEqual(judgePoint(slo, { mean: 48_000, lo: 44_000, hi: 52_000 }, false), { meets: true, meets_surely: false, meets_possibly: true, reason: 'ok' });
  assert.deepEqual(judgePoint(slo, { mean: 55_000, lo: 49_000, hi: 61_000 }, false), { meets: false, meets_surely: false, meets_possibly: true, reason: 'slo' });
  assert.equal(judgePoint(slo, { mean: 1, lo: 1, hi: 1 }, true).reason, 'saturated');
  assert.equal(judgePoint(slo, undefined, false).reason, 'no_data');
});

test('the knee: the last value of the meeting prefix, with its interval and the first failing value', () => {
  const v = (meets: boolean, surely = meets, possibly = meets, reason: SloVerdict['reason'] = meets ? 'ok' : 'slo'): SloVerdict => ({ meets, meets_surely: surely, meets_possibly: possibly, reason });
  const k = findKnee([
    { value: 1, verdict: v(true) },
    { value: 2, verdict: v(true, false, true) },
    { value: 4, verdict: v(false, false, true) },
    { value: 8, verdict: v(false, false, false, 'saturated') },
  ]);
  assert.deepEqual(k, { knee: 2, interval: [1, 4], next: 4, next_reason: 'slo' });
  // A meeting value after a failure does not count: capacity ends at the first failure.
  assert.equal(findKnee([{ value: 1, verdict: v(true) }, { value: 2, verdict: v(false) }, { value: 3, verdict: v(true) }]).knee, 1);
  assert.deepEqual(findKnee([{ value: 1, verdict: v(false, false, false, 'saturated') }]), { knee: null, interval: [null, null], next: 1, next_reason: 'saturated' });
  assert.deepEqual(findKnee([{ value: 1, verdict: v(true) }]), { knee: 1, interval: [1, 1], next: null, next_reason: null });
});

test('summaries: mean and 95% Student-t interval over replications', () => {
  assert.deepEqual(summarize([5]), { mean: 5, lo: 5, hi: 5, n: 1 });
  const s = summarize([1, 2, 3, 4, 5]);
  assert.equal(s.mean, 3);
  // t(0.975, 4) = 2.776; sd = 1.581; half = 2.776 * 1.581 / sqrt(5) = 1.963
  assert.equal(s.lo, 1.037);
  assert.equal(s.hi, 4.963);
  assert.deepEqual(summarize([7, 7, 7]), { mean: 7, lo: 7, hi: 7, n: 3 });
});

test('bisection finds the knee of a monotone predicate in about log2 probes', async () => {
  const range = parseSearch('vms.count=1..256');
  assert.deepEqual(range, { path: 'vms.count', lo: 1, hi: 256, unit: '' });
  for (const knee of [0, 1, 2, 37, 128, 255, 256]) {
    let probes = 0;
    const probed = await bisectKnees(range, 2, async (batch) => {
      probes += batch.length;
      return batch.map((p) => p.value <= (p.searcher === 0 ? knee : 300));
    });
    const found = probed[0].filter((x) => x <= knee).pop() ?? 0;
    assert.equal(found, knee, `knee ${knee}`);
    if (knee >= 1 && knee < 256) assert.ok(probed[0].includes(knee + 1), `brackets ${knee}`);
    assert.deepEqual(probed[1], [1, 256]);
    assert.ok(probes <= 2 + 2 + Math.ceil(Math.log2(256)), `${probes} probes`);
  }
  assert.throws(() => parseSearch('vms.count=8..8'), /lo < hi/);
  assert.throws(() => parseSearch('vms.count=1,2'), /lo..hi/);
  assert.deepEqual(parseSearch('vms.memory=64MiB..1024MiB'), { path: 'vms.memory', lo: 64, hi: 1024, unit: 'MiB' });
});

test('the sweep table shows - for a distribution that counted nothing, not a p99 of 0 ns', async () => {
  const { sweepPointRows } = await import('../../sim/run/sweep-summary.js');
  const stat = (mean: number) => ({ mean, lo: mean, hi: mean, n: 1 });
  const point = (vms: number, count: number) => ({
    variant: 'v10', params: { 'vms.count': vms }, warnings: [],
    metrics: { 'fault.latency_ns': { count: stat(count), p99: stat(count ? 21_400 : 0) } },
  });
  const doc = { params: [{ path: 'vms.count' }], points: [point(1, 5), point(2, 0)], slo: null, knees: [] };
  const { columns, rows } = sweepPointRows(doc as unknown as Parameters<typeof sweepPointRows>[0]);
  assert.deepEqual(columns, ['variant', 'vms.count', 'fault.latency_ns.p99', 'warnings']);
  assert.deepEqual(rows.map((r) => r[2]), ['21.40us', '-']);
});
