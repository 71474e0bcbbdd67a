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

/**
 * A ring as a fault batch's area keeps it: `cap` pairs, the e-th event at e % cap, written on
 * after the trail took its events (so a later read finds some of them overwritten).
 */
class Ring {
  readonly times: Float64Array;
  n = 0;
  constructor(readonly cap: number, start = 0) {
    this.times = new Float64Array(2 * cap);
    this.n = start;
  }
  write(t: number, who: number): void {
    const j = 2 * (this.n % this.cap);
    this.times[j] = t;
    this.times[j + 1] = who;
    this.n = (this.n + 1) >>> 0;
  }
  source(what = 'fault_map') {
    return { cap: this.cap, pairs: () => this.times, procs: NAMES, what };
  }
}

/**
 * A fault batch's codes when its ring holds retries and conversions beside maps (sim/actors/fault-batch.ts
 * trailRing): who + 3 * (kind + 3 * gfn), kind 0 a map, 1 a retry, 2 a conversion with its arguments.
 */
function decode(code: number): { proc: string; what: string; args?: Record<string, number | string | boolean> } {
  const who = code % 3;
  const r = (code - who) / 3;
  const kind = r % 3;
  const gfn = (r - kind) / 3;
  if (kind === 0) return { proc: NAMES[who]!, what: 'fault_map' };
  if (kind === 1) return { proc: NAMES[who]!, what: 'fault_retry' };
  return { proc: NAMES[who]!, what: 'set_mem_attributes', args: { gfn, end: gfn + 1 } };
}

/** Engine events and ring segments interleaved at random, read at random points (decoded: the ring's entries of several kinds). */
function mixed(seed: number, ringCap: number, trailCap: number, start: number, decoded = false): void {
  let x = seed;
  const rnd = (k: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % k;
  };
  const one = new EventTrail(trailCap);
  const lazy = new EventTrail(trailCap);
  const ring = new Ring(ringCap, start);
  const src = decoded ? { ...ring.source(), decode } : ring.source();
  let t = 0;
  for (let step = 0; step < 400; step++) {
    if (rnd(3) === 0) {
      t++;
      one.record(t, 'engine', 'other', { t });
      lazy.record(t, 'engine', 'other', { t });
    } else {
      const from = ring.n;
      const n = rnd(4) === 0 ? rnd(700) : rnd(20);
      for (let i = 0; i < n; i++) {
        t++;
        const who = decoded ? rnd(3) + 3 * (rnd(3) + 3 * rnd(5000)) : rnd(3);
        ring.write(t, who);
        // Only a segment's last ringCap are still in the ring when it is taken (as recordRing).
        if (i < n - ringCap) continue;
        if (!decoded) one.record(t, NAMES[who]!, 'fault_map', undefined);
        else {
          const ev = decode(who);
          one.record(t, ev.proc, ev.what, ev.args);
        }
      }
      lazy.recordFrom(src, from, n);
    }
    if (rnd(10) === 0) {
      const k = rnd(trailCap + 5);
      assert.deepEqual(lazy.recent(k), one.recent(k), `step ${step}, the last ${k}`);
    }
  }
  assert.deepEqual(lazy.recent(), one.recent());
  assert.deepEqual(lazy.recent(17), one.recent(17));
}

for (const [ringCap, trailCap, start] of [[256, 256, 0], [256, 64, 0], [256, 256, 2 ** 32 - 300], [64, 256, 0], [8, 8, 5]] as const) {
  test(`recordFrom a ring of ${ringCap} into a trail of ${trailCap} (count from ${start}) reads what recording each event would, after the ring wrote on`, () => {
    for (const seed of [1, 2, 3]) mixed(seed, ringCap, trailCap, start);
  });
  test(`recordFrom a ring of ${ringCap} whose entries code maps, retries and conversions (EventRing.decode), into a trail of ${trailCap} (count from ${start})`, () => {
    for (const seed of [1, 2, 3]) mixed(seed, ringCap, trailCap, start, true);
  });
}
