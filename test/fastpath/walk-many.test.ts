// The batched walks (pt_walk_batch / pc_lookup_batch, wasm/walk-many.ts) walk groups of keys
// level by level; they must give exactly what one walk()/lookup() per key gives, for every mix
// of leaf levels, empty slots, group tails and more keys than OUT holds; pt_map_batch (mapMany)
// and pc_insert_batch (insertMany) must leave exactly the state one map()/insert() per pair leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createFastPaths } from '../../sim/fastpath/index.js';
import type { WasmPageCache, WasmPageTable } from '../../sim/fastpath/wasm/structures.js';

const fp = await createFastPaths({ hostPages: 1 << 16, impl: 'wasm' });

// Keys bunched in a few regions so that maps and walks meet, at every level.
const key = fc.tuple(fc.constantFrom(0, 1, 31), fc.integer({ min: 0, max: 2 ** 27 - 1 }), fc.constantFrom(9, 10, 18, 27)).map(
  ([r, off, keep]) => r * 2 ** 27 + (off % 2 ** keep),
);

test('walkMany equals walk per gfn (page tables with 4 KiB, 2 MiB and 1 GiB leaves)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(key, fc.constantFrom(1, 1, 2, 3), fc.integer({ min: 0, max: 2 ** 27 })), { maxLength: 60 }),
      fc.array(key, { minLength: 10, maxLength: 100 }),
      (maps, walks) => {
        fp.resetAll();
        const pt = fp.newPageTable() as WasmPageTable;
        for (const [g, l, p] of maps) {
          const sh = 2 ** (9 * (l - 1));
          pt.map(g - (g % sh), p - (p % sh), l);
        }
        // walk the mapped keys too, so leaves are found and not only empty slots
        const keys = Uint32Array.from([...walks, ...maps.map(([g]) => g), ...maps.map(([g]) => g ^ 1)]);
        const got = new Int32Array(keys.length);
        pt.walkMany(keys, got);
        assert.deepEqual(Array.from(got), Array.from(keys, (g) => pt.walk(g)));
      },
    ),
    { numRuns: 500 },
  );
});

test('lookupMany equals lookup per index (order-0, 9 and 18 folios)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(key, fc.constantFrom(0, 0, 9, 18), fc.integer({ min: 0, max: 2 ** 27 })), { maxLength: 60 }),
      fc.array(key, { minLength: 10, maxLength: 100 }),
      (inserts, lookups) => {
        fp.resetAll();
        const pc = fp.newPageCache() as WasmPageCache;
        for (const [i, o, p] of inserts) pc.insert(i - (i % 2 ** o), p - (p % 2 ** o), o as 0 | 9 | 18);
        const keys = Uint32Array.from([...lookups, ...inserts.map(([i]) => i), ...inserts.map(([i]) => i ^ 3)]);
        const got = new Int32Array(keys.length);
        pc.lookupMany(keys, got);
        assert.deepEqual(Array.from(got), Array.from(keys, (i) => pc.lookup(i)));
      },
    ),
    { numRuns: 500 },
  );
});

test('mapMany leaves the state map() one by one leaves (levels mixed across calls, replacements included)', () => {
  fc.assert(
    fc.property(
      // few distinct slots per level, so a group often maps one gfn twice and levels overlap
      fc.array(fc.tuple(fc.constantFrom(1, 1, 2, 3), fc.array(fc.tuple(fc.constantFrom(0, 31), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 2 ** 27 })), { minLength: 10, maxLength: 50 })), { maxLength: 6 }),
      (calls) => {
        fp.resetAll();
        const many = fp.newPageTable() as WasmPageTable;
        const one = fp.newPageTable() as WasmPageTable;
        const touched: number[] = [];
        for (const [l, pairs] of calls) {
          const sh = 2 ** (9 * (l - 1));
          const gfns = Uint32Array.from(pairs, ([r, k]) => r * 2 ** 27 + k * sh);
          const pfns = Uint32Array.from(pairs, ([, , p]) => p - (p % sh));
          many.mapMany(gfns, pfns, l);
          for (let i = 0; i < gfns.length; i++) one.map(gfns[i]!, pfns[i]!, l);
          for (const g of gfns) touched.push(g, g + 1, g + sh - 1);
        }
        assert.deepEqual(many.mappingsPerLevel(), one.mappingsPerLevel());
        assert.equal(many.tableCount(), one.tableCount());
        assert.deepEqual(touched.map((g) => [many.walk(g), many.walkLevel(g)]), touched.map((g) => [one.walk(g), one.walkLevel(g)]));
      },
    ),
    { numRuns: 300 },
  );
});

test('mapMany over more pairs than one batch call holds; a bad pair maps nothing', () => {
  fp.resetAll();
  const many = fp.newPageTable() as WasmPageTable;
  const one = fp.newPageTable() as WasmPageTable;
  const gfns = Uint32Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 2 ** 24);
  const pfns = Uint32Array.from(gfns, (_, i) => i);
  many.mapMany(gfns, pfns, 1);
  for (let i = 0; i < gfns.length; i++) one.map(gfns[i]!, pfns[i]!, 1);
  assert.deepEqual(Array.from(gfns, (g) => many.walk(g)), Array.from(gfns, (g) => one.walk(g)));
  assert.deepEqual(many.mappingsPerLevel(), one.mappingsPerLevel());
  const before = many.mappingsPerLevel();
  assert.throws(() => many.mapMany(Uint32Array.from([2 ** 25, 5]), Uint32Array.from([0, 0]), 2));
  assert.deepEqual(many.mappingsPerLevel(), before);
});

test('insertMany gives the results and state insert() one by one gives (taken slots, mixed orders)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(0, 0, 9, 18), fc.constantFrom(0, 31), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 2 ** 27 })), { minLength: 10, maxLength: 80 }),
      (ins) => {
        fp.resetAll();
        const many = fp.newPageCache() as WasmPageCache;
        const one = fp.newPageCache() as WasmPageCache;
        const idx = Uint32Array.from(ins, ([o, r, k]) => r * 2 ** 27 + k * 2 ** o);
        const pfns = Uint32Array.from(ins, ([o, , , p]) => p - (p % 2 ** o));
        const orders = Uint32Array.from(ins, ([o]) => o);
        const ok = new Uint8Array(ins.length);
        many.insertMany(idx, pfns, orders, ok);
        const expect = Array.from(idx, (x, i) => (one.insert(x, pfns[i]!, orders[i]! as 0 | 9 | 18) ? 1 : 0));
        assert.deepEqual(Array.from(ok), expect);
        assert.equal(many.nrPages, one.nrPages);
        const probe = [...idx].flatMap((x) => [x, x + 1, x + 511]);
        assert.deepEqual(probe.map((x) => [many.lookup(x), many.lookupOrder(x)]), probe.map((x) => [one.lookup(x), one.lookupOrder(x)]));
      },
    ),
    { numRuns: 300 },
  );
});

test('walkMany over more gfns than one batch call holds (40,000: three calls)', () => {
  fp.resetAll();
  const pt = fp.newPageTable() as WasmPageTable;
  for (let g = 0; g < 30_000; g += 3) pt.map(g, g + 7, 1);
  pt.map(1 << 20, 1 << 18, 2);
  const keys = Uint32Array.from({ length: 40_000 }, (_, i) => (i % 5 === 4 ? (1 << 20) + i : i));
  const got = new Int32Array(keys.length);
  pt.walkMany(keys, got);
  assert.deepEqual(Array.from(got), Array.from(keys, (g) => pt.walk(g)));
  assert.ok(got.some((v) => v < 0) && got.some((v) => v >= 1 << 18), 'both hits and misses were walked');
  assert.throws(() => pt.walkMany(keys, new Int32Array(10)), RangeError);
});

// A populated radix sends whole groups down the plain all-tables path (walk-many.ts
// stepAllTables); one odd lane (empty or a huge leaf at some level) must switch its group to the
// per-lane path at that level with every lane's offset mask right. 64 keys: whole groups for
// any group size up to 64, the odd key at each lane.
const DENSE = 4096; // gfns/indices [0, 4096) all mapped at 4 KiB
const ODD = [
  2 ** 18 + 12345, // in a 1 GiB leaf (level 3)
  100 * 512 + 77, // in a 2 MiB leaf (level 2)
  2 ** 30 + 5, // empty root entry
  5 * 2 ** 18 + 9, // empty level-3 entry
  200 * 512 + 3, // empty level-2 entry
  DENSE + 1, // empty 4 KiB slot in a present table
];
const denseKeys = fc.array(
  fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: DENSE - 1 }) }, { weight: 1, arbitrary: fc.constantFrom(...ODD) }),
  { minLength: 32, maxLength: 130 },
);

test('walkMany equals walk per gfn in a populated table, whole groups on the all-tables path and one odd lane switching it', () => {
  fp.resetAll();
  const pt = fp.newPageTable() as WasmPageTable;
  for (let g = 0; g < DENSE + 512; g += g < DENSE ? 1 : 2) pt.map(g, 3 * g + 1000, 1);
  pt.map(2 ** 18, 2 ** 20, 3);
  pt.map(100 * 512, 7 * 512, 2);
  const got = new Int32Array(130);
  // each odd key at each lane of an otherwise dense group
  for (const odd of ODD) {
    for (let lane = 0; lane < 64; lane++) {
      const keys = Uint32Array.from({ length: 64 }, (_, i) => (i === lane ? odd : i * 61 + 5));
      pt.walkMany(keys, got);
      assert.deepEqual(Array.from(got.subarray(0, 64)), Array.from(keys, (g) => pt.walk(g)), `odd ${odd} at lane ${lane}`);
    }
  }
  fc.assert(
    fc.property(denseKeys, (ks) => {
      const keys = Uint32Array.from(ks);
      pt.walkMany(keys, got);
      assert.deepEqual(Array.from(got.subarray(0, keys.length)), Array.from(keys, (g) => pt.walk(g)));
    }),
    { numRuns: 300 },
  );
});

test('lookupMany equals lookup per index in a populated cache, whole groups on the all-tables path and one odd lane switching it', () => {
  fp.resetAll();
  const pc = fp.newPageCache() as WasmPageCache;
  for (let i = 0; i < DENSE + 512; i += i < DENSE ? 1 : 2) pc.insert(i, 3 * i + 1000, 0);
  pc.insert(2 ** 18, 2 ** 20, 18);
  pc.insert(100 * 512, 7 * 512, 9);
  const got = new Int32Array(130);
  for (const odd of ODD) {
    for (let lane = 0; lane < 64; lane++) {
      const keys = Uint32Array.from({ length: 64 }, (_, i) => (i === lane ? odd : i * 61 + 5));
      pc.lookupMany(keys, got);
      assert.deepEqual(Array.from(got.subarray(0, 64)), Array.from(keys, (x) => pc.lookup(x)), `odd ${odd} at lane ${lane}`);
    }
  }
  fc.assert(
    fc.property(denseKeys, (ks) => {
      const keys = Uint32Array.from(ks);
      pc.lookupMany(keys, got);
      assert.deepEqual(Array.from(got.subarray(0, keys.length)), Array.from(keys, (x) => pc.lookup(x)));
    }),
    { numRuns: 300 },
  );
});
