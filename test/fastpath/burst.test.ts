// The WASM fault burst draws and records exactly as the engine does: same faults, same
// stopping point, same histogram buckets and the same RNG state afterwards as the TypeScript
// burst over the Map reference with the engine's RngStream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RngStream, streamState } from '../../sim/engine/index.js';
import type { BurstArgs } from '../../sim/fastpath/index.js';
import { IMPLS, RUNS, cacheState, hostState, makeWorldFactory, tableState } from './harness.js';

// Latencies 127, 2047 and 40959 ns sit on histogram bucket edges: an off-by-one shows.
const costs = { hitNs: 126, alloc4kNs: 2046, allocHugeNs: 40_958, mapNs: 1 };

for (const impl of IMPLS) {
  test(`fault burst: ${impl} equals the reference (draws, stop point, buckets, RNG state)`, async () => {
    const make = await makeWorldFactory(impl, 4096);
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 16_383 }), fc.integer({ min: 1, max: 1500 }), fc.integer({ min: 0, max: 2_000_000 }),
        fc.constantFrom('never', 'always', 'within_size'), fc.constantFrom(0, 300, 50_000), fc.constantFrom(1, 2)), { minLength: 1, maxLength: 5 }),
      fc.nat(),
      (bursts, seed) => {
        const w = make();
        const rs = new RngStream(streamState(seed, 'vm0/vcpu0', 0));
        const ss = new RngStream(streamState(seed, 'vm0/vcpu0', 0));
        const rh = new Map<number, number>();
        const sh = new Map<number, number>();
        let now = 0;
        for (const [gfn, n, span, policy, think, maxLevel] of bursts) {
          const a: BurstArgs = { policy: policy as BurstArgs['policy'], iSizePages: 12_000, maxLevel, nowNs: now, horizonNs: now + span, thinkMeanNs: think, costs };
          const r1 = w.ref.faultBurst(w.refPt, w.refCache, gfn, gfn % 8192, n, a, rs, rh);
          const r2 = w.sut.faultBurst(w.sutPt, w.sutCache, gfn, gfn % 8192, n, a, ss, sh);
          assert.deepEqual(r2, r1);
          for (let g = gfn; g < gfn + n; g += 37) w.touched.add(g);
          now = r1.nextStartNs;
        }
        assert.deepEqual(ss.state(), rs.state());
        assert.deepEqual([...sh.entries()].sort((p, q) => p[0] - q[0]), [...rh.entries()].sort((p, q) => p[0] - q[0]));
        assert.deepEqual(hostState(w.sut), hostState(w.ref));
        assert.deepEqual(cacheState(w.sutCache), cacheState(w.refCache));
        assert.deepEqual(tableState(w.sutPt, w.touched), tableState(w.refPt, w.touched));
      }),
    { numRuns: Math.ceil(RUNS / 10) });
  });
}

test('fault burst: stops before a fault that would start at the horizon (ties go to the engine)', async () => {
  const make = await makeWorldFactory('wasm', 4096);
  const w = make();
  const rng = new RngStream(streamState(1, 'x', 0));
  const a: BurstArgs = { policy: 'never', iSizePages: 0, maxLevel: 1, nowNs: 1000, horizonNs: 1000 + 2 * 2047, thinkMeanNs: 0, costs };
  const r = w.sut.faultBurst(w.sutPt, w.sutCache, 0, 0, 100, a, rng, new Map());
  // Two faults of 2046 + 1 ns end exactly at the horizon: the third does not start.
  assert.deepEqual([r.faults, r.stoppedAtHorizon, r.nextStartNs, r.resumeGfn], [2, true, 1000 + 4094, 2]);
});
