// Histograms (<= 1% error, integer bucketing, exact merge), counters, gauges, snapshots, warm-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, bucketIndex, bucketLow, bucketWidth, BUCKET_COUNT, Simulation, RngStream, streamState } from '../../sim/engine/index.js';

test('every value from 1 ns to 100 s lands in a bucket narrower than 1% of it', () => {
  const s = new RngStream(streamState(1, 'h', 0));
  const check = (v: number) => {
    const i = bucketIndex(v);
    const lo = bucketLow(i);
    const w = bucketWidth(i);
    assert.ok(i >= 0 && i < BUCKET_COUNT);
    assert.ok(lo <= v && v < lo + w, `v=${v} idx=${i} [${lo}, ${lo + w})`);
    assert.ok(w === 1 || w / lo <= 1 / 128, `bucket of ${v} too wide: ${w}`);
  };
  for (let v = 0; v < 5000; v++) check(v);
  for (let i = 0; i < 200_000; i++) check(Math.floor(2 ** (s.uniform01() * 36.6))); // up to ~1e11 ns
  for (const v of [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 1e11, 2 ** 53 - 1]) check(v);
  // monotone
  let prev = -1;
  for (let v = 0; v < 1 << 16; v += 7) {
    const i = bucketIndex(v);
    assert.ok(i >= prev);
    prev = i;
  }
});

test('quantiles from buckets are within 1% of the exact ones', () => {
  const s = new RngStream(streamState(2, 'q', 0));
  const h = new Histogram();
  const xs: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const v = Math.floor(1000 * 2 ** (s.uniform01() * 20));
    xs.push(v);
    h.record(v);
  }
  xs.sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99, 0.999]) {
    const exact = xs[Math.ceil(q * xs.length) - 1];
    const est = h.quantile(q);
    assert.ok(Math.abs(est - exact) / exact <= 0.01, `q${q}: ${est} vs ${exact}`);
  }
  assert.equal(h.quantile(1), xs[xs.length - 1]);
  assert.equal(h.count, 100_000);
  assert.equal(h.sum, xs.reduce((a, b) => a + b, 0));
});

test('histograms merge exactly', () => {
  const s = new RngStream(streamState(3, 'm', 0));
  const a = new Histogram();
  const b = new Histogram();
  const all = new Histogram();
  for (let i = 0; i < 50_000; i++) {
    const v = Math.floor(2 ** (s.uniform01() * 30));
    (i % 3 === 0 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  assert.deepEqual(a.buckets(), all.buckets());
  assert.equal(a.count, all.count);
  assert.equal(a.sum, all.sum);
  assert.equal(a.max, all.max);
  assert.equal(a.quantile(0.99), all.quantile(0.99));
  const back = Histogram.fromBuckets(all.buckets(), all.sum, all.min, all.max);
  assert.deepEqual(back.buckets(), all.buckets());
  assert.equal(back.quantile(0.9), all.quantile(0.9));
});

test('gauges are time-weighted, keep a change series, and counters count', () => {
  const sim = new Simulation();
  const g = sim.stats.gauge('q.len', { vm: 0 });
  const c = sim.stats.counter('ops');
  sim.at(0, () => g.set(2));
  sim.at(10, () => { g.set(4); g.set(0); g.set(4); c.add(); });
  sim.at(30, () => { g.set(0); c.add(2); });
  sim.run({ until: 40 });
  const snap = sim.stats.snapshot();
  const gs = snap['q.len{vm=0}'];
  assert.ok(gs.type === 'gauge');
  if (gs.type === 'gauge') {
    assert.equal(gs.mean, (2 * 10 + 4 * 20) / 40);
    assert.equal(gs.max, 4);
    assert.deepEqual(gs.series, [[0, 2], [10, 4], [30, 0]]);
  }
  assert.deepEqual(snap['ops'], { type: 'counter', value: 3 });
});

test('gauge series stay bounded and keep their first and latest points', () => {
  const sim = new Simulation();
  const g = sim.stats.gauge('busy');
  for (let t = 1; t <= 100_000; t++) sim.at(t, () => g.set(t % 7));
  sim.run();
  const gs = sim.stats.snapshot()['busy'];
  assert.ok(gs.type === 'gauge');
  if (gs.type === 'gauge') {
    assert.ok(gs.series.length <= 4096 && gs.series.length > 1000, `${gs.series.length} points`);
    assert.equal(gs.series[0][0], 0); // the first point keeps its time; its value is the envelope's
    for (let i = 1; i < gs.series.length; i++) assert.ok(gs.series[i][0] > gs.series[i - 1][0]);
    assert.equal(gs.last, 100_000 % 7);
    assert.equal(gs.max, 6);
  }
});

test('a thinned gauge series is a max envelope: a flickering queue does not alias to zero', () => {
  const sim = new Simulation();
  const g = sim.stats.gauge('queue');
  // 0 -> 1 -> 0 -> 1 ... every 10 ns: far more changes than the series keeps.
  for (let t = 1; t <= 200_000; t++) sim.at(t * 10, () => g.set(t % 2));
  sim.run();
  const gs = sim.stats.snapshot()['queue'];
  assert.ok(gs.type === 'gauge');
  if (gs.type === 'gauge') {
    assert.ok(gs.series.length <= 4096);
    const ones = gs.series.filter(([, v]) => v === 1).length;
    // Every thinned window saw a 1, so (nearly) every stored point holds 1.
    assert.ok(ones >= gs.series.length - 2, `${ones} of ${gs.series.length} points hold 1`);
    assert.ok(gs.series[gs.series.length - 1][0] > 1_900_000, 'the series reaches the end of the run');
  }
});

test('snapshot keys are sorted and labels canonical', () => {
  const sim = new Simulation();
  sim.stats.counter('z.last').add();
  sim.stats.counter('a.first', { b: 2, a: 1 }).add();
  sim.stats.histogram('m.mid').record(5);
  assert.deepEqual(Object.keys(sim.stats.snapshot()), ['a.first{a=1,b=2}', 'm.mid', 'z.last']);
  assert.throws(() => sim.stats.histogram('z.last'), /not a histogram/);
});

test('warm-up resets statistics at warmupNs', () => {
  const sim = new Simulation({ warmupNs: 100 });
  const h = sim.stats.histogram('lat');
  sim.spawn('p', function* (p) {
    for (let i = 0; i < 10; i++) {
      h.record(i < 4 ? 1_000_000 : 10);
      yield p.sleep(30);
    }
  });
  sim.run();
  const s = sim.stats.snapshot()['lat'];
  assert.ok(s.type === 'histogram' && s.count === 6 && s.max === 10, JSON.stringify(s).slice(0, 80));
});
