// What an optimistic spinner does with its CPU (kernel/locking/mutex.c, mutex_optimistic_spin:
// it spins on its CPU only while the owner runs, and gives up the spin, queueing and sleeping, when
// the owner leaves its CPU or need_resched is set at a tick). On a host with few CPUs the
// difference shows in when other work gets a CPU. Times worked out by hand from the rules in
// sim/engine/locks/mutex.ts and sim/engine/cpus.ts (2 CPUs, one FIFO run queue, no switch cost;
// lock costs: sleep_ns 0, wakeup_ns 50, spin_poll_ns 3, cacheline_ns 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, type Process, type LockCosts } from '../../sim/engine/index.js';

const COSTS: Partial<LockCosts> = { sleep_ns: 0, wakeup_ns: 50, spin_poll_ns: 3, cacheline_ns: 2 };

/**
 * A (at 0) locks and runs `owner`; S (at 10) locks and unlocks at once; C and D (at 500) each
 * need a CPU for 100 ns. Returns when each got the lock or finished.
 */
function scenario(owner: (p: Process, sim: Simulation) => Generator<any, void, any>, costs: Partial<LockCosts> = {}) {
  const sim = new Simulation({ cpus: 2, lockCosts: { ...COSTS, ...costs } });
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  sim.spawn('A', function* (p) {
    yield m.lock(p);
    yield* owner(p, sim);
    m.unlock(p);
    log.push(`A unlocked@${sim.now}`);
  });
  sim.spawn('S', function* (p) {
    yield p.sleep(10);
    yield m.lock(p);
    log.push(`S locked@${sim.now}`);
    m.unlock(p);
  });
  for (const n of ['C', 'D']) {
    sim.spawn(n, function* (p) {
      yield p.sleep(500);
      yield p.compute(100);
      log.push(`${n} done@${sim.now}`);
    });
  }
  sim.run();
  return { log, end: sim.now };
}

test('an owner already off its CPU: a new locker sleeps at once instead of spinning, so its CPU is free for other work', () => {
  // A sleeps holding the lock from 0 to 5000. S (10) finds the owner off CPU: it sleeps, leaving
  // both CPUs free, so C and D run 500-600 side by side. 5000: A unlocks, S is woken (5050).
  const { log } = scenario(function* (p) {
    yield p.sleep(5000);
  });
  assert.deepEqual(log, ['C done@600', 'D done@600', 'A unlocked@5000', 'S locked@5050']);
});

test('the owner leaving its CPU moves the spinner to the wait list asleep: the spinner gives its CPU up too, and its tick is disarmed', () => {
  // A computes 0-1000 (CPU 0), S spins from 10 (CPU 1); C and D queue for a CPU at 500. 1000: A
  // sleeps holding the lock: S stops spinning and sleeps, so both CPUs go to C and D (1000-1100).
  // 5000: A unlocks, S is woken and takes the lock at 5050. S's spin-ending tick (due at 10000)
  // is disarmed when it stops spinning: the run ends at 5050.
  const { log, end } = scenario(function* (p) {
    yield p.compute(1000);
    yield p.sleep(4000);
  }, { tick_ns: 10_000, tick_resched_ppm: 1_000_000 });
  assert.deepEqual(log, ['C done@1100', 'D done@1100', 'A unlocked@5000', 'S locked@5050']);
  assert.equal(end, 5050);
});

test('a tick with need_resched ends the spin: the spinner sleeps and its CPU goes to the run queue; no tick is left pending once it has the lock', () => {
  // Every tick (1000 ns) sets need_resched. A computes 0-3000; S spins from 10 until the tick at
  // 1000 ends the spin: S sleeps, C (queued at 500 with D) gets S's CPU, 1000-1100, then D,
  // 1100-1200. 3000: A unlocks, S is woken and takes the lock at 3050.
  const { log, end } = scenario(function* (p) {
    yield p.compute(3000);
  }, { tick_ns: 1000, tick_resched_ppm: 1_000_000 });
  assert.deepEqual(log, ['C done@1100', 'D done@1200', 'A unlocked@3000', 'S locked@3050']);
  assert.equal(end, 3050, 'nothing runs after the last unlock');
});

test('a spinner granted the lock before its tick: the tick is disarmed and the clock ends at the last unlock, not at the tick', () => {
  // A computes 0-300; S spins from 10, its spin-ending tick due at 1000. 300: A unlocks, S takes
  // the lock after spin_poll_ns + cacheline_ns (305) and unlocks: the run ends at 305, C and D
  // having run 500-600 on the free CPUs.
  const { log, end } = scenario(function* (p) {
    yield p.compute(300);
  }, { tick_ns: 1000, tick_resched_ppm: 1_000_000 });
  assert.deepEqual(log, ['A unlocked@300', 'S locked@305', 'C done@600', 'D done@600']);
  assert.equal(end, 600);
});

test('a spinner interrupted: it leaves the spin, its tick is disarmed, and the owner unlocks with nobody waiting', () => {
  // A computes 0-300 holding the lock; S spins from 10 (tick due 1000) and is interrupted at 100.
  // 300: A unlocks with no spinner or waiter; the run ends there, not at S's tick.
  const sim = new Simulation({ cpus: 2, lockCosts: { ...COSTS, tick_ns: 1000, tick_resched_ppm: 1_000_000 } });
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  sim.spawn('A', function* (p) {
    yield m.lock(p);
    yield p.compute(300);
    m.unlock(p);
    log.push(`A unlocked@${sim.now}`);
  });
  const s = sim.spawn('S', function* (p) {
    yield p.sleep(10);
    try {
      yield m.lock(p);
    } catch {
      log.push(`S interrupted@${sim.now}`);
    }
  });
  sim.at(100, () => s.interrupt());
  sim.run();
  assert.deepEqual(log, ['S interrupted@100', 'A unlocked@300']);
  assert.equal(sim.now, 300);
  assert.equal(m.owner, null);
});
