// folioOffset replaces `index % 2 ** order` on the fault path (a pow and a float modulo per
// fault): it must give the same value for every key the fast paths allow (below 2^32) and every
// folio order or leaf level the model uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { folioOffset } from '../../sim/model/backing.js';
import { checkLevel } from '../../sim/fastpath/radix-rules.js';

test('folioOffset equals index % 2 ** order for 32-bit keys and orders 0, 9, 18', () => {
  const key = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(0, 511, 512, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 513, 2 ** 32 - 1));
  fc.assert(fc.property(key, fc.constantFrom(0, 9, 18), (index, order) => folioOffset(index, order) === index % 2 ** order), { numRuns: 5000 });
});

test("checkLevel's 4 KiB shortcut accepts what the full check accepts and no more", () => {
  for (const [gfn, pfn] of [[0, 0], [2 ** 32 - 1, 5], [7, 2 ** 32 - 1]]) assert.doesNotThrow(() => checkLevel(gfn, pfn, 1));
  for (const [gfn, pfn] of [[-1, 0], [2 ** 32, 0], [0.5, 0], [0, -3], [0, 2 ** 32], [NaN, 0]]) {
    assert.throws(() => checkLevel(gfn, pfn, 1), /must be a 32-bit value/, `gfn ${gfn} pfn ${pfn}`);
  }
});
