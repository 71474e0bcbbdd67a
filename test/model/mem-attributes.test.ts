// kvm->mem_attr_array as sorted flipped ranges (sim/model/mem-attributes.ts) answers exactly as a
// per-gfn array would: after any sequence of stores, isPrivate of every gfn, the private and shared
// runs from every gfn, and isUniform of every 2 MiB-aligned and odd-sized block agree with the array, and the ranges stay sorted, disjoint
// and non-adjacent (one range per run of flipped gfns).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemAttributes } from '../../sim/model/mem-attributes.js';

const GFNS = 96;

const store = fc.tuple(fc.integer({ min: 0, max: GFNS - 1 }), fc.integer({ min: 1, max: 40 }), fc.boolean())
  .map(([s, n, priv]) => ({ start: s, end: Math.min(GFNS, s + n), priv }));

test('mem attributes: any sequence of stores reads back as a per-gfn array would', () => {
  fc.assert(fc.property(fc.boolean(), fc.array(store, { maxLength: 40 }), (privateByDefault, stores) => {
    const attrs = new MemAttributes(privateByDefault);
    const perGfn = new Array<boolean>(GFNS).fill(privateByDefault);
    for (const { start, end, priv } of stores) {
      attrs.set(start, end, priv);
      perGfn.fill(priv, start, end);
    }
    for (let g = 0; g < GFNS; g++) assert.equal(attrs.isPrivate(g), perGfn[g], `gfn ${g}`);
    // The runs a fault batch takes: private from g, and shared from g (to a cap).
    for (let g = 0; g < GFNS; g++) {
      for (const end of [Math.min(g + 5, GFNS), GFNS]) {
        let p = g;
        while (p < end && perGfn[p]) p++;
        assert.equal(attrs.privateRunEnd(g, end), p, `privateRunEnd(${g}, ${end})`);
        let q = g;
        while (q < end && !perGfn[q]) q++;
        assert.equal(attrs.sharedRunEnd(g, end), q, `sharedRunEnd(${g}, ${end})`);
      }
    }
    for (const len of [1, 7, 16, 32]) {
      for (let s = 0; s + len <= GFNS; s += 4) {
        const uniform = perGfn.slice(s, s + len).every((p) => p === perGfn[s]);
        assert.equal(attrs.isUniform(s, s + len), uniform, `[${s}, ${s + len})`);
      }
    }
    // One range per maximal run of gfns that differ from the default.
    const flipped = attrs.ranges();
    const runs: Array<[number, number]> = [];
    for (let g = 0; g < GFNS; g++) {
      if (perGfn[g] === privateByDefault) continue;
      const last = runs[runs.length - 1];
      if (last && last[1] === g) last[1] = g + 1;
      else runs.push([g, g + 1]);
    }
    assert.deepEqual(flipped, runs);
  }), { numRuns: 300 });
});

test('mem attributes: page-by-page stores into a flipped range shrink it in place', () => {
  const attrs = new MemAttributes(true);
  attrs.set(0, 512, false);
  attrs.set(1024, 1536, false);
  for (let g = 0; g < 256; g++) attrs.set(g, g + 1, true);
  assert.equal(attrs.isPrivate(255), true);
  assert.equal(attrs.isPrivate(256), false);
  assert.equal(attrs.isUniform(256, 512), true);
  assert.equal(attrs.isUniform(0, 512), false);
  assert.deepEqual(attrs.ranges(), [[256, 512], [1024, 1536]]);
});

test('mem attributes: lookups between stores (the remembered answers a store leaves stale) read as a per-gfn array', () => {
  fc.assert(fc.property(fc.boolean(), fc.array(fc.tuple(store, fc.array(fc.integer({ min: 0, max: GFNS - 1 }), { maxLength: 6 })), { maxLength: 40 }), (privateByDefault, steps) => {
    const attrs = new MemAttributes(privateByDefault);
    const perGfn = new Array<boolean>(GFNS).fill(privateByDefault);
    for (const [{ start, end, priv }, reads] of steps) {
      attrs.set(start, end, priv);
      perGfn.fill(priv, start, end);
      for (const g of reads) {
        assert.equal(attrs.isPrivate(g), perGfn[g], `gfn ${g}`);
        assert.equal(attrs.isPrivate(g + 1 < GFNS ? g + 1 : g), perGfn[g + 1 < GFNS ? g + 1 : g]);
      }
    }
  }), { numRuns: 300 });
});
