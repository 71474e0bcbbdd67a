// The lock-wait protocol every sleeping lock follows (sim/engine/locks/lock-wait.ts): a waiter
// still paying its schedule-out (sleep_ns) when it is woken or handed the lock resumes when the
// schedule-out ends, not a wake-up later; the wake-up latency's spread drawn from the waiter's own
// stream; a waiter holding a spinlock sleeps without leaving its CPU; the owned-lock bookkeeping
// that the exit check and the spinners' owner-off-CPU rule rely on. Times worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, RwSemaphore, Spinlock, ProcessFailure, type Process, type LockCosts } from '../../sim/engine/index.js';
import { detLog } from '../../sim/engine/detmath.js';

/** A holds mutex m from 0 asleep (off its CPU) until 30; B locks at 10. Returns when B got it. */
function mutexWake(costs: Partial<LockCosts>, seed = 1): number {
  const sim = new Simulation({ cpus: 4, seed, lockCosts: costs });
  const m = new Mutex(sim, 'm');
  let got = -1;
  sim.spawn('A', function* (p: Process) {
    yield m.lock(p);
    yield p.sleep(30);
    m.unlock(p);
  });
  sim.spawn('B', function* (p: Process) {
    yield p.sleep(10);
    yield m.lock(p);
    got = sim.now;
    m.unlock(p);
  });
  sim.run();
  return got;
}

test('a mutex waiter woken while still paying its schedule-out retries when the schedule-out ends, with no wake-up cost', () => {
  // B sleeps out 10-110 (A is off its CPU: no spinning). A unlocks at 30 and wakes B: it never
  // left its CPU, so it retries at 110 and takes the free lock (a wake-up would say 30 + 50 = 80).
  assert.equal(mutexWake({ sleep_ns: 100, wakeup_ns: 50 }), 110);
  // Woken after its schedule-out ended (off CPU since 15): 30 + 50.
  assert.equal(mutexWake({ sleep_ns: 5, wakeup_ns: 50 }), 80);
});

test('an rwsem reader granted the lock while still paying its schedule-out resumes when it ends', () => {
  const run = (sleepNs: number) => {
    const sim = new Simulation({ cpus: 4, lockCosts: { sleep_ns: sleepNs, wakeup_ns: 50 } });
    const s = new RwSemaphore(sim, 'sem');
    let got = -1;
    sim.spawn('W', function* (p: Process) {
      yield s.downWrite(p);
      yield p.sleep(30);
      s.upWrite(p);
    });
    sim.spawn('R', function* (p: Process) {
      yield p.sleep(10);
      yield s.downRead(p);
      got = sim.now;
      s.upRead(p);
    });
    sim.run();
    return got;
  };
  // R sleeps out 10-110; W's up_write at 30 grants R the lock: R resumes at 110.
  assert.equal(run(100), 110);
  // R off its CPU since 15: granted at 30, running wakeup_ns later.
  assert.equal(run(5), 80);
});

test('wake-up spread: an off-CPU waiter runs wakeup_ns plus an exponential draw from lock/wakeup/<name> after its wake-up', () => {
  const spread = 1000;
  const got: number[] = [];
  for (const seed of [1, 2, 3, 4]) {
    // The same first draw of B's stream as the run makes: the stream depends on the seed and the path only.
    const u = new Simulation({ seed }).rng('lock/wakeup/B').uniform01();
    const expected = 30 + 50 + Math.round(-spread * detLog(u));
    const t = mutexWake({ wakeup_ns: 50, wakeup_spread_ns: spread }, seed);
    assert.equal(t, expected, `seed ${seed}`);
    got.push(t - 80);
  }
  assert.ok(got.every((d) => d >= 0) && new Set(got).size === got.length && Math.max(...got) > 0, `spreads ${got.join(', ')}`);
});

test('a waiter holding a spinlock sleeps on a mutex without leaving its CPU', () => {
  // 2 CPUs. B holds m asleep 0-100 (off its CPU). A takes spinlock s at 10 and blocks on m: it
  // keeps its CPU (preemption disabled). C (20) computes 50 on the other CPU; D (30) finds no CPU
  // free until C is done at 70.
  const sim = new Simulation({ cpus: 2 });
  const m = new Mutex(sim, 'm');
  const s = new Spinlock(sim, 's');
  const log: string[] = [];
  sim.spawn('B', function* (p: Process) {
    yield m.lock(p);
    yield p.sleep(100);
    m.unlock(p);
  });
  sim.spawn('A', function* (p: Process) {
    yield p.sleep(10);
    yield s.lock(p);
    yield m.lock(p);
    log.push(`A locked m@${sim.now}`);
    m.unlock(p);
    s.unlock(p);
  });
  for (const [name, at, work] of [['C', 20, 50], ['D', 30, 10]] as const) sim.spawn(name, function* (p: Process) {
    yield p.sleep(at);
    yield p.compute(work);
    log.push(`${name} ran@${sim.now - work}`);
  });
  sim.run();
  assert.deepEqual(log, ['C ran@20', 'D ran@70', 'A locked m@100']);
});

test('owned locks: a process that exits holding a sleeping lock is named with exactly the locks it still holds', () => {
  const exitMessage = (body: (p: Process, m1: Mutex, m2: Mutex) => Generator<any, void, any>) => {
    const sim = new Simulation();
    const m1 = new Mutex(sim, 'm1');
    const m2 = new Mutex(sim, 'm2');
    sim.spawn('P', function* (p: Process) { yield* body(p, m1, m2); });
    try {
      sim.run();
    } catch (e) {
      assert.ok(e instanceof ProcessFailure);
      return e.message;
    }
    return 'no failure';
  };
  // Unlocked in order, then another taken.
  assert.equal(exitMessage(function* (p, m1, m2) {
    yield m1.lock(p);
    m1.unlock(p);
    yield m2.lock(p);
  }), 'process P failed at t=0 ns: exited holding m2');
  // Unlocked out of order (the first of two): the second is still held.
  assert.equal(exitMessage(function* (p, m1, m2) {
    yield m1.lock(p);
    yield m2.lock(p);
    m1.unlock(p);
  }), 'process P failed at t=0 ns: exited holding m2');
  assert.equal(exitMessage(function* (p, m1, m2) {
    yield m1.lock(p);
    yield m2.lock(p);
    m2.unlock(p);
    m1.unlock(p);
  }), 'no failure');
});
