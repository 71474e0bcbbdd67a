// The trail a safety violation prints (sim/model/trail.ts): a fault batch's maps go in through
// recordRing and a deferred fill, and must leave what recording them one by one would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventTrail } from '../../sim/model/trail.js';

/** A batch's ring of `cap` (time, who) pairs after `n` maps: the i-th at i % cap. */
function ring(cap: number, n: number): Float64Array {
  const r = new Float64Array(2 * cap);
  for (let i = 0; i < n; i++) {
    r[2 * (i % cap)] = 1000 + i;
    r[2 * (i % cap) + 1] = i % 3;
  }
  return r;
}

const NAMES = ['vm0/vcpu0', 'vm0/vcpu1', 'vm1/vcpu0'];

for (const [before, n] of [[0, 5], [3, 5], [250, 300], [10, 1000], [300, 7]] as const) {
  test(`recordRing of ${n} maps after ${before} events leaves what ${n} records would`, () => {
    const one = new EventTrail(256);
    const bulk = new EventTrail(256);
    for (let i = 0; i < before; i++) {
      one.record(i, 'x', 'other', { i });
      bulk.record(i, 'x', 'other', { i });
    }
    const cap = 256;
    const r = ring(cap, n);
    const from = Math.max(0, n - cap);
    for (let i = from; i < n; i++) one.record(r[2 * (i % cap)]!, NAMES[r[2 * (i % cap) + 1]!]!, 'fault_map', undefined);
    bulk.recordRing(r, cap, from, n - from, NAMES, 'fault_map');
    assert.deepEqual(bulk.recent(), one.recent());
    one.record(5000, 'y', 'after', undefined);
    bulk.record(5000, 'y', 'after', undefined);
    assert.deepEqual(bulk.recent(), one.recent());
  });
}

test('a deferred fill runs once, before the next record and before a read', () => {
  const t = new EventTrail(4);
  let fills = 0;
  t.deferUntilNext(() => {
    fills++;
    t.record(1, 'batch', 'fault_map', undefined);
  });
  t.record(2, 'engine', 'set_mem_attributes', undefined);
  assert.equal(fills, 1);
  assert.deepEqual(t.recent().map((e) => e.t), [1, 2]);
  t.deferUntilNext(() => {
    fills++;
    t.record(3, 'batch', 'fault_map', undefined);
  });
  assert.deepEqual(t.recent().map((e) => e.t), [1, 2, 3]);
  assert.equal(fills, 2);
});
