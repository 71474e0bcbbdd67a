// The fault path's fused calls (shmemGetFolioWrite, mapAndPut) leave exactly what the calls they
// replace leave: shmemGetFolio then folio_get on a new folio, and map then folio_put unless it
// is the last reference. Each implementation runs the fused calls while the Map reference runs
// the plain ones; results, the host (refcounts included), the cache and the table must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { GetFolioResult, ShmemArgs } from '../../sim/fastpath/index.js';
import { IMPLS, RUNS, cacheState, hostState, makeWorldFactory, tableState } from './harness.js';

for (const impl of IMPLS) {
  test(`fault calls: ${impl} fused get/map/put equal the plain calls on the reference`, async () => {
    const make = await makeWorldFactory(impl, 2048);
    let fused = 0;
    let lasts = 0;
    fc.assert(fc.property(
      // (index, policy, extra references held by someone else, whether the fault maps, whether a
      // punch takes the page out of the cache before the map: then the fault's may be the last)
      fc.array(fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.constantFrom('never', 'always', 'within_size'), fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 60 }),
      (faults) => {
        const w = make();
        for (const [index, policy, extra, maps, punched] of faults) {
          const args: ShmemArgs = { policy: policy as ShmemArgs['policy'], iSizePages: 3000 };
          const out: GetFolioResult = { pfn: 0, order: 0, hit: false, fallback: 0 };
          const got = w.sut.shmemGetFolioWrite(w.sutCache, index, args, out);
          const want = w.ref.shmemGetFolio(w.refCache, index, args);
          assert.deepEqual({ ...got }, want);
          if (want.pfn < 0) continue;
          // The plain path's caller reference: taken here on a hit (the fused call took it on a miss).
          w.ref.host.folioGet(want.pfn);
          if (want.hit) w.sut.host.folioGet(got.pfn);
          for (let i = 0; i < extra; i++) { w.ref.host.folioGet(want.pfn); w.sut.host.folioGet(got.pfn); }
          w.touched.add(index);
          if (!maps) continue;
          if (punched) {
            assert.deepEqual(w.sut.punchRange(w.sutCache, index, index + 1), w.ref.punchRange(w.refCache, index, index + 1));
          }
          // A 4 KiB leaf for the page at index (its page of the folio).
          const pfn = want.pfn + (index & ((1 << want.order) - 1));
          const dropped = w.sut.mapAndPut(w.sutPt, index, pfn, 1, got.pfn);
          w.refPt.map(index, pfn, 1);
          const last = w.ref.host.folioRefcount(want.pfn) <= 1;
          assert.equal(dropped, !last);
          if (!last) {
            w.ref.host.folioPut(want.pfn);
            fused++;
          } else {
            lasts++;
          }
        }
        assert.deepEqual(hostState(w.sut), hostState(w.ref));
        assert.deepEqual(cacheState(w.sutCache), cacheState(w.refCache));
        assert.deepEqual(tableState(w.sutPt, w.touched), tableState(w.refPt, w.touched));
      },
    ), { numRuns: Math.max(200, RUNS / 10) });
    assert.ok(fused > 0 && lasts > 0, `puts fused ${fused}, last references left to the caller ${lasts}`);
  });
}
