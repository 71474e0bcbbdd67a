// Random streams, deterministic log/exp and the distributions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, RngStream, streamState, detLog, detExp, makeDistribution } from '../../sim/engine/index.js';

test('streams: same (seed, path, replication) -> same draws; other path, seed or replication -> different', () => {
  const draw = (seed: number | bigint, path: string, rep: number) => {
    const s = new RngStream(streamState(seed, path, rep));
    return Array.from({ length: 8 }, () => s.nextU32());
  };
  assert.deepEqual(draw(42, 'vm0/vcpu0', 0), draw(42, 'vm0/vcpu0', 0));
  assert.deepEqual(draw(42n, 'vm0/vcpu0', 0), draw(42, 'vm0/vcpu0', 0));
  assert.notDeepEqual(draw(42, 'vm0/vcpu0', 0), draw(42, 'vm0/vcpu1', 0));
  assert.notDeepEqual(draw(42, 'vm0/vcpu0', 0), draw(43, 'vm0/vcpu0', 0));
  assert.notDeepEqual(draw(42, 'vm0/vcpu0', 0), draw(42, 'vm0/vcpu0', 1));
  assert.notDeepEqual(draw(2n ** 40n + 5n, 'x', 0), draw(5, 'x', 0));
});

test('adding an actor never perturbs another actor\'s draws', () => {
  const a1 = new Simulation({ seed: 7 });
  const x1 = Array.from({ length: 5 }, () => a1.rng('vm0/vcpu0').nextU32());
  const a2 = new Simulation({ seed: 7 });
  a2.rng('vm1/vcpu0').nextU32();
  a2.rng('punch').uniform01();
  const x2 = Array.from({ length: 5 }, () => a2.rng('vm0/vcpu0').nextU32());
  assert.deepEqual(x1, x2);
});

test('xoshiro128** matches the reference output for a known state', () => {
  // Reference: xoshiro128** (Blackman & Vigna) from state {1, 2, 3, 4}.
  const s = new RngStream([1, 2, 3, 4]);
  assert.deepEqual([s.nextU32(), s.nextU32(), s.nextU32(), s.nextU32()], [11520, 0, 5927040, 70819200]);
});

test('uniform01 is in (0, 1] and below(n) in [0, n)', () => {
  const s = new RngStream(streamState(1, 'u', 0));
  let sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const u = s.uniform01();
    assert.ok(u > 0 && u <= 1);
    sum += u;
    const b = s.below(10);
    assert.ok(Number.isInteger(b) && b >= 0 && b < 10);
  }
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.005);
});

test('detLog and detExp are within 1 ulp of the platform functions', () => {
  const s = new RngStream(streamState(3, 'math', 0));
  const ulp = (x: number) => {
    const f = new Float64Array([Math.abs(x)]);
    const u = new BigUint64Array(f.buffer);
    u[0] += 1n;
    return f[0] - Math.abs(x);
  };
  for (let i = 0; i < 200_000; i++) {
    const x = s.uniform01() * 2 ** (s.below(200) - 100);
    const a = detLog(x);
    const b = Math.log(x);
    assert.ok(Math.abs(a - b) <= ulp(b), `log(${x}) = ${a} vs ${b}`);
    const y = (s.uniform01() - 0.5) * 1400;
    const c = detExp(y);
    const d = Math.exp(y);
    assert.ok(Math.abs(c - d) <= ulp(d), `exp(${y}) = ${c} vs ${d}`);
  }
  assert.equal(detLog(1), 0);
  assert.equal(detLog(0), -Infinity);
  assert.ok(Number.isNaN(detLog(-1)));
  assert.equal(detExp(0), 1);
  assert.equal(detExp(-Infinity), 0);
  assert.equal(detLog(5e-324), Math.log(5e-324));
});

test('distributions: integer draws with the right means and shapes', () => {
  const s = new RngStream(streamState(11, 'dist', 0));
  const n = 200_000;
  const mean = (spec: Parameters<typeof makeDistribution>[0]) => {
    const d = makeDistribution(spec);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const v = d.sample(s);
      assert.ok(Number.isInteger(v) && v >= 0);
      m += v;
    }
    return m / n;
  };
  assert.equal(mean({ kind: 'constant', value: 1234 }), 1234);
  assert.ok(Math.abs(mean({ kind: 'exponential', mean: 10_000 }) / 10_000 - 1) < 0.01);
  assert.ok(Math.abs(mean({ kind: 'uniform', min: 100, max: 200 }) - 150) < 0.5);
  const ln = makeDistribution({ kind: 'lognormal', median: 1000, sigma: 0.5 });
  assert.ok(Math.abs(mean({ kind: 'lognormal', median: 1000, sigma: 0.5 }) / ln.mean() - 1) < 0.01);
  const xs = Array.from({ length: 100_001 }, () => ln.sample(s)).sort((a, b) => a - b);
  assert.ok(Math.abs(xs[50_000] / 1000 - 1) < 0.02, `lognormal median ${xs[50_000]}`);
  const z = makeDistribution({ kind: 'zipf', n: 100, s: 1 });
  const counts = new Array(100).fill(0);
  for (let i = 0; i < n; i++) counts[z.sample(s)]++;
  assert.ok(Math.abs(counts[0] / counts[1] - 2) < 0.1, `zipf P(0)/P(1) = ${counts[0] / counts[1]}`);
  assert.ok(Math.abs(counts[0] / counts[9] - 10) < 1);
  const e = makeDistribution({ kind: 'empirical', samples: [5, 50, 500] });
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(e.sample(s));
  assert.deepEqual([...seen].sort((a, b) => a - b), [5, 50, 500]);
});

test('bad distribution parameters are refused with a clear message', () => {
  assert.throws(() => makeDistribution({ kind: 'exponential', mean: -1 }), /exponential.mean/);
  assert.throws(() => makeDistribution({ kind: 'uniform', min: 5, max: 1 }), /uniform.max/);
  assert.throws(() => makeDistribution({ kind: 'empirical', samples: [] }), /non-empty/);
  assert.throws(() => makeDistribution({ kind: 'weibull' } as never), /unknown distribution kind: weibull/);
});
