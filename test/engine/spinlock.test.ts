// Spinlock (sim/engine/locks/spinlock.ts, qspinlock.c): its statistics, interrupting a waiter in
// each phase (spinning in the queue; handed the lock but not yet running), and its misuse errors.
// Times worked out by hand from the rules in spinlock.ts: FIFO queue, the hand-off to the queue
// head costs cacheline_ns (7 here); 4 CPUs, so nobody waits for a CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Spinlock, Interrupt, type Process } from '../../sim/engine/index.js';
import { statsLookup } from './stats-lookup.js';

function setup() {
  const sim = new Simulation({ cpus: 4, lockCosts: { cacheline_ns: 7 } });
  const l = new Spinlock(sim, 'xa_lock');
  const log: string[] = [];
  /** Arrives at `at`, locks, computes `hold` ns, unlocks; logs when it got the lock or was interrupted. */
  const locker = (name: string, at: number, hold: number) =>
    sim.spawn(name, function* (p: Process) {
      yield p.sleep(at);
      try {
        yield l.lock(p);
      } catch (e) {
        assert.ok(e instanceof Interrupt);
        log.push(`${name} interrupted@${sim.now}`);
        return;
      }
      log.push(`${name} locked@${sim.now}`);
      yield p.compute(hold);
      l.unlock(p);
    });
  const { stat } = statsLookup(sim);
  return { sim, l, log, locker, stat };
}

test('spinlock statistics: acquisitions, contended, wait and hold times, queue length over time', () => {
  const { sim, log, locker, stat } = setup();
  // A: 0-10. B (1) and C (2) queue; B is handed it at 10 and runs at 17, holds to 27; C at 34, to 44.
  locker('A', 0, 10);
  locker('B', 1, 10);
  locker('C', 2, 10);
  sim.run();
  assert.deepEqual(log, ['A locked@0', 'B locked@17', 'C locked@34']);
  assert.deepEqual(stat('xa_lock.acquisitions'), { type: 'counter', value: 3 });
  assert.deepEqual(stat('xa_lock.contended'), { type: 'counter', value: 2 });
  const wait = stat('xa_lock.wait_ns');
  assert.ok(wait.type === 'histogram');
  assert.deepEqual([wait.count, wait.min, wait.max, wait.sum], [3, 0, 32, 0 + 16 + 32]);
  const hold = stat('xa_lock.hold_ns');
  assert.ok(hold.type === 'histogram');
  assert.deepEqual([hold.count, hold.min, hold.max, hold.sum], [3, 10, 10, 30]);
  const q = stat('xa_lock.queue_len');
  assert.ok(q.type === 'gauge');
  assert.deepEqual(q.series, [[0, 0], [1, 1], [2, 2], [10, 1], [27, 0]]);
});

test('spinlock: a spinning waiter interrupted leaves the queue; the next one is handed the lock', () => {
  const { sim, log, locker, stat } = setup();
  // A: 0-100. B (1) and C (2) spin; B is interrupted at 50. At 100 C is handed it: runs at 107.
  locker('A', 0, 100);
  const b = locker('B', 1, 10);
  locker('C', 2, 10);
  sim.at(50, () => b.interrupt());
  sim.run();
  assert.deepEqual(log, ['A locked@0', 'B interrupted@50', 'C locked@107']);
  const q = stat('xa_lock.queue_len');
  assert.ok(q.type === 'gauge');
  assert.deepEqual(q.series, [[0, 0], [1, 1], [2, 2], [50, 1], [100, 0]]);
  assert.deepEqual(stat('xa_lock.acquisitions'), { type: 'counter', value: 2 });
});

test('spinlock: a waiter handed the lock and interrupted before it runs passes it on to the next', () => {
  const { sim, log, locker } = setup();
  // A: 0-100. At 100 B is handed it (due at 107); interrupted at 103, it passes it to C at once:
  // C runs at 103 + 7 = 110 and holds to 120; D (arrived at 3) at 127.
  locker('A', 0, 100);
  const b = locker('B', 1, 10);
  locker('C', 2, 10);
  locker('D', 3, 10);
  sim.at(103, () => b.interrupt());
  sim.run();
  assert.deepEqual(log, ['A locked@0', 'B interrupted@103', 'C locked@110', 'D locked@127']);
});

test('spinlock: the last waiter interrupted while handed the lock leaves it free', () => {
  const { sim, l, log, locker } = setup();
  locker('A', 0, 100);
  const b = locker('B', 1, 10);
  sim.at(103, () => b.interrupt());
  // E comes after B's interrupt: the lock is free, it takes it at once.
  locker('E', 105, 10);
  sim.run();
  assert.deepEqual(log, ['A locked@0', 'B interrupted@103', 'E locked@105']);
  assert.equal(l.owner, null);
});

test('spinlock: what a spinning waiter waits on names the owner', () => {
  const { sim, locker } = setup();
  locker('A', 0, 100);
  locker('B', 1, 10);
  let waitsOn = '';
  sim.at(50, () => { waitsOn = sim.blocked().find((x) => x.name === 'B')!.waitsOn; });
  sim.run();
  assert.equal(waitsOn, 'spinlock xa_lock (spinning; owner A)');
});

test('spinlock misuse: re-locking it deadlocks, reported as such', () => {
  const { sim, l } = setup();
  sim.spawn('A', function* (p: Process) {
    yield l.lock(p);
    yield l.lock(p);
  });
  assert.throws(() => sim.run(), /^Error: A: spinlock xa_lock already held by itself \(deadlock\)$/);
});

test('spinlock misuse: unlock by a non-owner and a retry are errors', () => {
  const { sim, l } = setup();
  const errors: string[] = [];
  sim.spawn('A', function* (p: Process) {
    try {
      l.unlock(p);
    } catch (e) {
      errors.push((e as Error).message);
    }
    yield l.lock(p);
    try {
      l.retry();
    } catch (e) {
      errors.push((e as Error).message);
    }
    yield p.sleep(5); // holding it (and its CPU)
    l.unlock(p);
  });
  sim.spawn('B', function* (p: Process) {
    yield p.sleep(1);
    try {
      l.unlock(p); // A still holds it
    } catch (e) {
      errors.push((e as Error).message);
    }
  });
  sim.run();
  assert.deepEqual(errors, [
    'A: spin_unlock(xa_lock) by non-owner (owner: none)',
    'spinlock waiters are never woken to retry',
    'B: spin_unlock(xa_lock) by non-owner (owner: A)',
  ]);
});
