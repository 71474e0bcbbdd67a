// EPT radix: the WASM and typed-array versions against the Map reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IMPLS, MAX_COMMANDS, command, makeWorldFactory, runModel, same, tableState, type World } from './harness.js';

const region = fc.constantFrom(0, 1, 31);
const gfn = fc.tuple(region, fc.integer({ min: 0, max: 2 ** 27 - 1 }), fc.constantFrom(9, 10, 18, 20, 27)).map(
  ([r, off, keep]) => r * 2 ** 27 + (off % 2 ** keep),
);
const level = fc.constantFrom(1, 1, 1, 2, 2, 3, 4);
const pfn = fc.integer({ min: 0, max: 2 ** 28 - 2 ** 18 });

function alignDown(v: number, o: number): number { return v - (v % 2 ** o); }

const tableCommands = [
  fc.tuple(gfn, level, pfn).map(([g, l, p]) => {
    const sh = l <= 3 ? 9 * (l - 1) : 0; // level 4 is refused
    const at = alignDown(g, sh);
    const pf = alignDown(p, sh);
    return command(`map(${at},${pf},${l})`, (w: World) => {
      same(`map(${at},${pf},${l})`, () => w.refPt.map(at, pf, l), () => w.sutPt.map(at, pf, l));
      w.touched.add(at);
      w.touched.add(at + 2 ** sh - 1);
    });
  }),
  gfn.map((g) => command(`walk(${g})`, (w: World) => {
    same(`walk(${g})`, () => [w.refPt.walk(g), w.refPt.walkLevel(g)], () => [w.sutPt.walk(g), w.sutPt.walkLevel(g)]);
  })),
  fc.tuple(gfn, fc.constantFrom(1, 511, 512, 513, 2 ** 18, 2 ** 27, 2 ** 30), fc.boolean(), fc.constantFrom(0, 9, 18)).map(([g0, n, free, al]) => {
    const g = alignDown(g0, al); // table-aligned ranges decide which tables are freed
    const end = Math.min(g + n, 2 ** 32);
    return command(`zap(${g},${end},${free})`, (w: World) => {
      same(`zap(${g},${end},${free})`, () => w.refPt.zapRange(g, end, free), () => w.sutPt.zapRange(g, end, free));
      same('counts', () => w.refPt.mappingsPerLevel(), () => w.sutPt.mappingsPerLevel());
    });
  }),
];

/** Non-zero bytes of chunk 0, the zero table a WASM walk follows from every empty entry. */
function zeroTableDirt(w: World): number {
  const mem = (w.sut as unknown as { exports: { memory: WebAssembly.Memory } }).exports.memory;
  return new Uint8Array(mem.buffer, 0, 2048).filter((b) => b !== 0).length;
}

for (const impl of IMPLS) {
  test(`page table: ${impl} equals the Map reference`, async () => {
    const make = await makeWorldFactory(impl, 1024);
    runModel(fc.commands(tableCommands, { maxCommands: MAX_COMMANDS }), make, (w) => {
      assert.deepEqual(tableState(w.sutPt, w.touched), tableState(w.refPt, w.touched));
      if (impl === 'wasm') assert.equal(zeroTableDirt(w), 0, 'the zero table was written');
    });
  });
}

test('page table: a walk through an empty entry at every level finds nothing (the zero table)', async () => {
  const make = await makeWorldFactory('wasm', 1024);
  const w = make();
  assert.equal(zeroTableDirt(w), 0);
  w.sutPt.map(2 ** 27 + 5, 77, 1); // root entry 1, its tables down to a 4 KiB leaf
  for (const g of [0, 2 ** 18, 2 ** 27 + 2 ** 18, 2 ** 27 + 512, 2 ** 27 + 6, 2 ** 32 - 1]) assert.equal(w.sutPt.walk(g), -1, `walk(${g})`);
  assert.equal(w.sutPt.walk(2 ** 27 + 5), 77);
  w.sutPt.zapRange(0, 2 ** 32, true);
  assert.equal(w.sutPt.walk(2 ** 27 + 5), -1);
  assert.equal(zeroTableDirt(w), 0);
});

test('page table: a 2 MiB leaf over 4 KiB leaves drops them and their table', async () => {
  const make = await makeWorldFactory('wasm', 1024);
  const w = make();
  for (let g = 0; g < 512; g++) w.sutPt.map(512 + g, 1000 + g, 1);
  assert.deepEqual(w.sutPt.mappingsPerLevel(), [512, 0, 0]);
  w.sutPt.map(512, 4096, 2);
  assert.deepEqual(w.sutPt.mappingsPerLevel(), [0, 1, 0]);
  assert.equal(w.sutPt.walk(700), 4096 + 188);
  const z = w.sutPt.zapRange(600, 601);
  assert.deepEqual(z, { leaves: [0, 1, 0], tablesFreed: 0 });
  assert.equal(w.sutPt.walk(513), -1);
});
