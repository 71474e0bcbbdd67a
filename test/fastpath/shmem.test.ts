// shmem_get_folio and the batched entry points (fallocate loop, first-touch faults, punch):
// the WASM and typed-array versions against the same code over the Map reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FALLBACK_NOMEM, FALLBACK_OCCUPIED, MIGRATE_MOVABLE, type ShmemArgs, type ThpPolicy } from '../../sim/fastpath/index.js';
import { IMPLS, MAX_COMMANDS, cacheState, command, hostState, makeWorldFactory, runModel, same, tableState, type World } from './harness.js';

const HOST_PAGES = 4096; // 16 MiB host, 32 MiB file: ENOMEM and THP fallback both happen
const FILE_PAGES = 8192;
const policy = fc.constantFrom<ThpPolicy>('never', 'always', 'always', 'within_size', 'advise');
const iSize = fc.constantFrom(0, 3000, 4096, FILE_PAGES);
const index = fc.integer({ min: 0, max: FILE_PAGES - 1 });
const args = fc.tuple(policy, iSize, fc.boolean()).map(([p, s, movable]): ShmemArgs => (
  movable ? { policy: p, iSizePages: s, migratetype: MIGRATE_MOVABLE } : { policy: p, iSizePages: s }));

const shmemCommands = [
  fc.tuple(index, args).map(([i, a]) => command(`getFolio(${i},${JSON.stringify(a)})`, (w: World) => {
    same('getFolio', () => w.ref.shmemGetFolio(w.refCache, i, a), () => w.sut.shmemGetFolio(w.sutCache, i, a));
  })),
  fc.tuple(index, fc.integer({ min: 1, max: 1500 }), args).map(([i, n, a]) => command(`getFolioRange(${i},+${n})`, (w: World) => {
    same('getFolioRange', () => w.ref.shmemGetFolioRange(w.refCache, i, i + n, a), () => w.sut.shmemGetFolioRange(w.sutCache, i, i + n, a));
  })),
  fc.tuple(fc.integer({ min: 0, max: 4 * FILE_PAGES }), index, fc.integer({ min: 1, max: 1200 }), args, fc.constantFrom(1, 2, 3))
    .map(([g, i, n, a, maxLevel]) => command(`fault(${g},${i},+${n},max${maxLevel})`, (w: World) => {
      const fa = { ...a, maxLevel };
      same('faultRange', () => w.ref.faultRange(w.refPt, w.refCache, g, i, n, fa), () => w.sut.faultRange(w.sutPt, w.sutCache, g, i, n, fa));
      for (let k = 0; k < n; k += 97) w.touched.add(g + k);
      w.touched.add(g + n - 1);
    })),
  fc.tuple(index, fc.constantFrom(1, 5, 512, 700, 4096)).map(([i, n]) => command(`punch(${i},+${n})`, (w: World) => {
    same('punchRange', () => w.ref.punchRange(w.refCache, i, i + n), () => w.sut.punchRange(w.sutCache, i, i + n));
  })),
  fc.tuple(fc.integer({ min: 0, max: 4 * FILE_PAGES }), fc.constantFrom(1, 512, 4096)).map(([g, n]) => command(`zap(${g},+${n})`, (w: World) => {
    same('zap', () => w.refPt.zapRange(g, g + n), () => w.sutPt.zapRange(g, g + n));
  })),
  // An extra reference (an in-flight fault's) makes the next partial punch fail to split.
  index.map((i) => command(`pin(${i})`, (w: World) => {
    const pfn = w.refCache.lookup(i);
    if (pfn < 0) return;
    same('folioGet', () => w.ref.host.folioGet(pfn), () => w.sut.host.folioGet(pfn));
  })),
];

for (const impl of IMPLS) {
  test(`shmem_get_folio and batched entry points: ${impl} equals the reference`, async () => {
    const make = await makeWorldFactory(impl, HOST_PAGES);
    runModel(fc.commands(shmemCommands, { maxCommands: MAX_COMMANDS }), make, (w) => {
      assert.deepEqual(hostState(w.sut), hostState(w.ref));
      assert.deepEqual(cacheState(w.sutCache), cacheState(w.refCache));
      assert.deepEqual(tableState(w.sutPt, w.touched), tableState(w.refPt, w.touched));
    });
  });
}

test('shmem_get_folio: within_size rounding, occupied block and allocator failure are told apart', async () => {
  const make = await makeWorldFactory('wasm', 2048);
  const w = make();
  const fp = w.sut;
  const c = w.sutCache;
  // index 511 -> round_up(512, 512) = 512 <= i_size 512: huge; index 512 with i_size 1000: not.
  assert.equal(fp.shmemGetFolio(c, 511, { policy: 'within_size', iSizePages: 512 }).order, 9);
  assert.equal(fp.shmemGetFolio(c, 512, { policy: 'within_size', iSizePages: 1000 }).order, 0);
  // The block of 512 now holds a 4 KiB page: a huge folio is refused there (occupied).
  const r = fp.shmemGetFolio(c, 600, { policy: 'always', iSizePages: 0 });
  assert.deepEqual([r.order, r.fallback, r.hit], [0, FALLBACK_OCCUPIED, false]);
  assert.equal(fp.shmemGetFolio(c, 600, { policy: 'always', iSizePages: 0 }).hit, true);
  // Use up the 2 MiB blocks: the next huge attempt fails in the allocator (THP_FILE_FALLBACK).
  while (fp.host.allocPages(9, 0) >= 0) { /* drain */ }
  const f = fp.shmemGetFolio(c, 4096, { policy: 'always', iSizePages: 0 });
  assert.equal(f.fallback, FALLBACK_NOMEM);
  assert.equal(f.order, f.pfn >= 0 ? 0 : -1);
});

test('faultRange maps 2 MiB only when gfn and index agree modulo 512', async () => {
  const make = await makeWorldFactory('wasm', 4096);
  const w = make();
  const a = { policy: 'always' as const, iSizePages: 0, maxLevel: 3 };
  const s1 = w.sut.faultRange(w.sutPt, w.sutCache, 1024, 0, 1024, a);
  assert.deepEqual([s1.faults, s1.mapped], [2, [0, 2, 0]]);
  const s2 = w.sut.faultRange(w.sutPt, w.sutCache, 8192 + 1, 2048, 512, a);
  assert.deepEqual([s2.faults, s2.mapped, s2.allocHuge, s2.hits], [512, [512, 0, 0], 1, 511]);
});

test('dispose returns a WASM instance that the next host reuses, zeroed', async () => {
  const { createFastPaths } = await import('../../sim/fastpath/index.js');
  const a = await createFastPaths({ hostPages: 2048, impl: 'wasm' });
  const c = a.newPageCache();
  a.shmemGetFolioRange(c, 0, 1000, { policy: 'never', iSizePages: 0 });
  assert.equal(a.host.freePagesCount(), 2048 - 1000);
  const x = (a as unknown as { exports: object }).exports;
  a.dispose();
  const b = await createFastPaths({ hostPages: 4096, impl: 'wasm' });
  assert.equal((b as unknown as { exports: object }).exports, x);
  assert.equal(b.host.freePagesCount(), 4096);
  assert.equal(b.newPageCache().lookup(5), -1);
  assert.deepEqual(b.host.freeBlocksPerOrder(), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
});
