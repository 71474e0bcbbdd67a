// Page-cache xarray: the WASM and typed-array versions against the Map reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IMPLS, MAX_COMMANDS, cacheState, command, makeWorldFactory, runModel, same, type World } from './harness.js';

// Indices cluster in a few 2^18 regions near 0 and near 2^32 so that orders 0, 9 and 18
// collide, and the top of the key space is covered.
const region = fc.constantFrom(0, 1, 2, 2 ** 14 - 1);
const index = fc.tuple(region, fc.integer({ min: 0, max: 2 ** 18 - 1 }), fc.constantFrom(0, 9, 9, 12, 18)).map(
  ([r, off, keep]) => r * 2 ** 18 + (off % 2 ** keep), // small offsets often, to hit the same blocks
);
const order = fc.constantFrom(0, 0, 0, 9, 9, 18, 3);
const pfn = fc.integer({ min: 0, max: 2 ** 28 - 2 ** 18 });

function alignDown(v: number, o: number): number { return v - (v % 2 ** o); }

const cacheCommands = [
  fc.tuple(index, order, pfn).map(([i, o, p]) => {
    const at = o === 3 ? i : alignDown(i, o); // order 3 is refused (orders 0/9/18 only)
    const pf = alignDown(p, o === 3 ? 0 : o);
    return command(`insert(${at},${pf},${o})`, (w: World) => {
      same(`insert(${at},${pf},${o})`, () => w.refCache.insert(at, pf, o), () => w.sutCache.insert(at, pf, o));
      w.touched.add(at);
    });
  }),
  index.map((i) => command(`lookup(${i})`, (w: World) => {
    same(`lookup(${i})`, () => [w.refCache.lookup(i), w.refCache.lookupOrder(i), w.refCache.anyInBlock(i)],
      () => [w.sutCache.lookup(i), w.sutCache.lookupOrder(i), w.sutCache.anyInBlock(i)]);
  })),
  fc.tuple(index, fc.constantFrom(1, 7, 512, 600, 2 ** 18, 2 ** 19 + 3)).map(([i, n]) => {
    const end = Math.min(i + n, 2 ** 32);
    return command(`erase(${i},${end})`, (w: World) => {
      same(`erase(${i},${end})`, () => w.refCache.eraseRange(i, end), () => w.sutCache.eraseRange(i, end));
      same('nrPages', () => w.refCache.nrPages, () => w.sutCache.nrPages);
    });
  }),
  fc.tuple(index, fc.constantFrom(1, 513, 2 ** 18, 2 ** 20)).map(([i, n]) => {
    const end = Math.min(i + n, 2 ** 32);
    return command(`forEach(${i},${end})`, (w: World) => {
      const collect = (c: typeof w.refCache) => { const out: number[] = []; c.forEachInRange(i, end, (a, b, o) => out.push(a, b, o)); return out; };
      same(`forEach(${i},${end})`, () => collect(w.refCache), () => collect(w.sutCache));
    });
  }),
  // Splitting an order-18 entry makes 2^18 entries, which the Map reference walks slowly (about
  // a second): that case has its own test below.
  index.map((i) => command(`split(${i})`, (w: World) => {
    if (w.refCache.lookupOrder(i) === 18) return;
    same(`split(${i})`, () => w.refCache.splitEntry(i), () => w.sutCache.splitEntry(i));
  })),
];

for (const impl of IMPLS) {
  test(`page cache: ${impl} equals the Map reference`, async () => {
    const make = await makeWorldFactory(impl, 1024);
    runModel(fc.commands(cacheCommands, { maxCommands: MAX_COMMANDS }), make, (w) => {
      assert.deepEqual(cacheState(w.sutCache), cacheState(w.refCache));
    });
  });
}

test('page cache: empty tables are freed, so memory returns after an erase', async () => {
  const make = await makeWorldFactory('wasm', 1024);
  const w = make();
  const x = (w.sut as unknown as { exports: { chunks_in_use(): number } }).exports;
  const base = x.chunks_in_use();
  for (let i = 0; i < 4096; i++) assert.ok(w.sutCache.insert(i * 3, i, 0));
  assert.ok(x.chunks_in_use() > base);
  const r = w.sutCache.eraseRange(0, 3 * 4096);
  assert.equal(r.whole.length, 4096);
  assert.equal(x.chunks_in_use(), base);
  assert.equal(w.sutCache.nrPages, 0);
});

test('page cache: erase reports more records than the OUT buffer holds, in order', async () => {
  const make = await makeWorldFactory('wasm', 1024);
  const w = make();
  const n = 20_000; // > 5461 records per OUT buffer
  for (let i = 0; i < n; i++) w.sutCache.insert(i, i + 7, 0);
  w.sutCache.insert(2 ** 18, 512, 9);
  const r = w.sutCache.eraseRange(100, 2 ** 18 + 10);
  assert.equal(r.whole.length, n - 100);
  assert.deepEqual(r.whole.slice(0, 2), [{ index: 100, pfn: 107, order: 0 }, { index: 101, pfn: 108, order: 0 }]);
  assert.deepEqual(r.partial, [{ index: 2 ** 18, pfn: 512, order: 9 }]);
});

for (const impl of IMPLS) {
  test(`page cache: splitting a 1 GiB entry, then erasing across it (${impl} vs reference)`, async () => {
    const make = await makeWorldFactory(impl, 1024);
    const w = make();
    for (const c of [w.refCache, w.sutCache]) {
      assert.ok(c.insert(2 ** 19, 2 ** 20, 18));
      assert.ok(c.insert(2 ** 19 + 2 ** 18, 7 * 512, 9));
      c.splitEntry(2 ** 19 + 12345);
    }
    same('lookup', () => [w.refCache.lookup(2 ** 19 + 777), w.refCache.lookupOrder(2 ** 19 + 777)],
      () => [w.sutCache.lookup(2 ** 19 + 777), w.sutCache.lookupOrder(2 ** 19 + 777)]);
    same('erase', () => w.refCache.eraseRange(2 ** 19 + 1000, 2 ** 19 + 2 ** 18 + 5), () => w.sutCache.eraseRange(2 ** 19 + 1000, 2 ** 19 + 2 ** 18 + 5));
    assert.deepEqual(cacheState(w.sutCache), cacheState(w.refCache));
    assert.equal(w.sutCache.nrPages, 1000 + 512);
  });
}
