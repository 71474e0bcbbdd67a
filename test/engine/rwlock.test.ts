// RwLock (sim/engine/locks/rwlock.ts, qrwlock.c): readers sharing, statistics per mode,
// interrupting a waiter in each phase (queued; handed the lock, reader or writer, before it runs),
// what a waiter waits on, and the misuse errors. Times worked out by hand from rwlock.ts's rules:
// one FIFO queue, a queued writer stops new readers, a reader at the head lets the readers right
// behind it in with it, each hand-off costs cacheline_ns (7 here); 8 CPUs, nobody waits for one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, RwLock, Interrupt, type Process } from '../../sim/engine/index.js';
import { misuseErrors } from './misuse-errors.js';
import { statsLookup } from './stats-lookup.js';

function setup() {
  const sim = new Simulation({ cpus: 8, lockCosts: { cacheline_ns: 7 } });
  const l = new RwLock(sim, 'mmu_lock');
  const log: string[] = [];
  /** Arrives at `at`, takes the lock for read or write, computes `hold` ns, unlocks; logs when it got it or was interrupted. */
  const locker = (name: string, mode: 'r' | 'w', at: number, hold: number) =>
    sim.spawn(name, function* (p: Process) {
      yield p.sleep(at);
      try {
        yield mode === 'r' ? l.readLock(p) : l.writeLock(p);
      } catch (e) {
        assert.ok(e instanceof Interrupt);
        log.push(`${name} interrupted@${sim.now}`);
        return;
      }
      log.push(`${name} ${mode}@${sim.now}`);
      yield p.compute(hold);
      if (mode === 'r') l.readUnlock(p);
      else l.writeUnlock(p);
    });
  const { stat, histo } = statsLookup(sim);
  return { sim, l, log, locker, stat, histo };
}

test('rwlock: readers share it; statistics per mode (acquisitions, contended, wait and hold times, queue length)', () => {
  const { sim, log, locker, stat, histo } = setup();
  // R1 0-30 and R2 5-25 share it. W (10) queues behind them, R3 (12) and R4 (13) behind W. R1
  // leaves at 30: W is handed it, runs at 37, holds to 57; R3 and R4 enter together, run at 64.
  locker('R1', 'r', 0, 30);
  locker('R2', 'r', 5, 20);
  locker('W', 'w', 10, 20);
  locker('R3', 'r', 12, 10);
  locker('R4', 'r', 13, 10);
  sim.run();
  assert.deepEqual(log, ['R1 r@0', 'R2 r@5', 'W w@37', 'R3 r@64', 'R4 r@64']);
  assert.deepEqual(stat('mmu_lock.acquisitions{mode=read}'), { type: 'counter', value: 4 });
  assert.deepEqual(stat('mmu_lock.acquisitions{mode=write}'), { type: 'counter', value: 1 });
  assert.deepEqual(stat('mmu_lock.contended{mode=read}'), { type: 'counter', value: 2 });
  assert.deepEqual(stat('mmu_lock.contended{mode=write}'), { type: 'counter', value: 1 });
  assert.deepEqual(histo('mmu_lock.wait_ns{mode=read}'), [4, 0, 52, 52 + 51]);
  assert.deepEqual(histo('mmu_lock.wait_ns{mode=write}'), [1, 27, 27, 27]);
  assert.deepEqual(histo('mmu_lock.hold_ns{mode=read}'), [4, 10, 30, 70]);
  assert.deepEqual(histo('mmu_lock.hold_ns{mode=write}'), [1, 20, 20, 20]);
  const q = stat('mmu_lock.queue_len');
  assert.ok(q.type === 'gauge');
  assert.deepEqual(q.series, [[0, 0], [10, 1], [12, 2], [13, 3], [30, 2], [57, 0]]);
});

test('rwlock: a queued writer interrupted while readers hold it lets the readers queued behind it in', () => {
  const { sim, log, locker, stat } = setup();
  // R1 reads 0-100; W (1) queues, so R3 (2) queues behind it. W interrupted at 50: R3 is let in then, runs at 57.
  locker('R1', 'r', 0, 100);
  const w = locker('W', 'w', 1, 10);
  locker('R3', 'r', 2, 10);
  sim.at(50, () => w.interrupt());
  sim.run();
  assert.deepEqual(log, ['R1 r@0', 'W interrupted@50', 'R3 r@57']);
  const q = stat('mmu_lock.queue_len');
  assert.ok(q.type === 'gauge');
  assert.deepEqual(q.series, [[0, 0], [1, 1], [2, 2], [50, 0]]);
});

test('rwlock: a queued reader interrupted while a writer holds it changes nothing for the writer queued ahead', () => {
  const { sim, log, locker, stat } = setup();
  // W0 writes 0-100; W (1) and R (2) queue; R interrupted at 50. W is handed it at 100, runs at 107.
  locker('W0', 'w', 0, 100);
  locker('W', 'w', 1, 10);
  const r = locker('R', 'r', 2, 10);
  sim.at(50, () => r.interrupt());
  sim.run();
  assert.deepEqual(log, ['W0 w@0', 'R interrupted@50', 'W w@107']);
  const q = stat('mmu_lock.queue_len');
  assert.ok(q.type === 'gauge');
  assert.deepEqual(q.series, [[0, 0], [1, 1], [2, 2], [50, 1], [100, 0]]);
});

test('rwlock: a reader handed the lock and interrupted before it runs lets the writer behind it in', () => {
  const { sim, log, locker } = setup();
  // W0 writes 0-100; R (1) and W (3) queue. At 100 R is handed it (due 107), W waits for it.
  // R interrupted at 103: no reader left, W is handed it then and runs at 110.
  locker('W0', 'w', 0, 100);
  const r = locker('R', 'r', 1, 10);
  locker('W', 'w', 3, 10);
  sim.at(103, () => r.interrupt());
  sim.run();
  assert.deepEqual(log, ['W0 w@0', 'R interrupted@103', 'W w@110']);
});

test('rwlock: a writer handed the lock and interrupted before it runs lets the reader behind it in', () => {
  const { sim, l, log, locker } = setup();
  // W0 writes 0-100; W (1) and R (2) queue. At 100 W is handed it (due 107); interrupted at 103,
  // it passes it to R, which runs at 110.
  locker('W0', 'w', 0, 100);
  const w = locker('W', 'w', 1, 10);
  locker('R', 'r', 2, 10);
  sim.at(103, () => w.interrupt());
  sim.run();
  assert.deepEqual(log, ['W0 w@0', 'W interrupted@103', 'R r@110']);
  assert.deepEqual([l.writer, l.readers], [null, 0]);
});

test('rwlock: what a waiter waits on names its mode, the writer and the readers', () => {
  const { sim, locker } = setup();
  locker('R1', 'r', 0, 100);
  locker('W', 'w', 1, 10); // waits on the reader: writer none, readers 1
  locker('R2', 'r', 2, 10); // waits behind W; at 150 W writes
  const seen: string[] = [];
  const look = () => { for (const b of sim.blocked()) if (b.waitsOn.startsWith('rwlock')) seen.push(`${sim.now} ${b.name}: ${b.waitsOn}`); };
  sim.at(50, look);
  sim.at(110, look);
  sim.run();
  assert.deepEqual(seen, [
    '50 W: rwlock mmu_lock for write (spinning; writer none, readers 1)',
    '50 R2: rwlock mmu_lock for read (spinning; writer none, readers 1)',
    '110 R2: rwlock mmu_lock for read (spinning; writer W, readers 0)',
  ]);
});

test('rwlock misuse: read_unlock without holding it, write_unlock by a non-owner, a retry are errors; re-locking deadlocks', () => {
  const { sim, l } = setup();
  const { errors, attempt } = misuseErrors();
  sim.spawn('A', function* (p: Process) {
    attempt(() => l.readUnlock(p));
    attempt(() => l.writeUnlock(p));
    attempt(() => l.retry());
    yield l.writeLock(p);
    yield p.sleep(10);
    l.writeUnlock(p);
  });
  sim.spawn('B', function* (p: Process) {
    yield p.sleep(5);
    attempt(() => l.writeUnlock(p)); // A writes
  });
  sim.run();
  assert.deepEqual(errors, [
    'A: read_unlock(mmu_lock) without holding it for read',
    'A: write_unlock(mmu_lock) by non-owner (writer: none)',
    'rwlock waiters are never woken to retry',
    'B: write_unlock(mmu_lock) by non-owner (writer: A)',
  ]);
  const sim2 = new Simulation();
  const l2 = new RwLock(sim2, 'mmu_lock');
  sim2.spawn('A', function* (p: Process) {
    yield l2.writeLock(p);
    yield l2.readLock(p);
  });
  assert.throws(() => sim2.run(), /^Error: A: rwlock mmu_lock already write-held by itself \(deadlock\)$/);
});
