// punch.lock_wait_ns{lock} / fault.lock_wait_ns{lock}: the time an operation spent waiting on each
// lock, attributed to the operation that waited (issue 16: the report's "time waiting on" rows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CostProfile, defaultProfile } from '../../sim/costs/index.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, memfd_restricted, restrictedmem_punch_hole, restrictedmem_setattr, type RestrictedFile } from '../../sim/model/index.js';
import { makeHost, MiB, runOne } from './helpers.js';

/** The shipped profile with every lock cost 0: a waiter takes the lock the instant it is released. */
function freeLocksProfile(): CostProfile {
  const base = defaultProfile().file;
  const lockCosts = Object.fromEntries(Object.entries(base.lockCosts).map(([k, v]) => [k, { ...v, value: 0 }]));
  return new CostProfile({ ...base, lockCosts } as typeof base);
}

test('a punch that waits on data->lock records exactly that wait in punch.lock_wait_ns{lock=notifier_lock}', async () => {
  const { sim, host } = await makeHost({ variant: 'v10', memoryBytes: 256 * MiB, profile: freeLocksProfile() });
  const { value: file } = runOne(sim, function* (p) {
    const f = yield* memfd_restricted(p, host, 0);
    yield* restrictedmem_setattr(p, f, 4 * MiB);
    return f as RestrictedFile;
  });
  const t0 = sim.now;
  // The holder takes data->lock's update side at t0 and keeps it 50 us; the punch asks for it at
  // t0 + 10 us (nothing in restrictedmem_punch_hole is charged before its first lockData), so it
  // waits 40 us; its second acquisition (invalidate_end) is uncontended.
  sim.spawn('holder', function* (p) {
    yield* file.lock.lockUpdate(p);
    yield p.sleep(50_000);
    file.lock.unlockUpdate(p);
  });
  sim.spawn('puncher', function* (p) {
    yield p.sleep(10_000);
    yield* restrictedmem_punch_hole(p, file, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 2 * MiB);
  });
  sim.run();
  assert.ok(sim.now > t0 + 50_000, 'the punch ran after the holder released');
  const snap = sim.stats.snapshot();
  const punchWait = snap['punch.lock_wait_ns{lock=notifier_lock}'];
  assert.ok(punchWait && punchWait.type === 'counter', 'punch.lock_wait_ns{lock=notifier_lock} is recorded');
  assert.equal(punchWait.value, 40_000);
  // Only the punch waited: the lock's own wait sum agrees, and no other lock shows up.
  const lockWait = snap['notifier_lock.wait_ns'];
  assert.ok(lockWait && lockWait.type === 'histogram');
  assert.equal(lockWait.sum, 40_000);
  assert.deepEqual(Object.keys(snap).filter((k) => k.includes('.lock_wait_ns')), ['punch.lock_wait_ns{lock=notifier_lock}']);
});
