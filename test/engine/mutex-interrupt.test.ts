// Interrupting a mutex waiter in each phase it can be in (cancelWait): asleep as first waiter
// with HANDOFF pending, woken but not yet running, and granted the lock but not yet running. The
// expected times are worked out by hand in the comments from the rules in sim/engine/locks/mutex.ts
// (costs: sleep_ns 0, wakeup_ns 50, spin_poll_ns 3, cacheline_ns 2; 4 CPUs, so nobody queues for one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, Interrupt, type Process } from '../../sim/engine/index.js';

function setup() {
  const sim = new Simulation({ cpus: 4, lockCosts: { sleep_ns: 0, wakeup_ns: 50, spin_poll_ns: 3, cacheline_ns: 2 } });
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  /** A process that arrives at `at`, locks, holds for `hold` ns of compute, unlocks; logs when it got the lock or was interrupted. */
  const locker = (name: string, at: number, hold = 0) =>
    sim.spawn(name, function* (p: Process) {
      yield p.sleep(at);
      try {
        yield m.lock(p);
      } catch (e) {
        assert.ok(e instanceof Interrupt);
        log.push(`${name} interrupted@${sim.now}`);
        return;
      }
      log.push(`${name} locked@${sim.now}`);
      if (hold) yield p.compute(hold);
      m.unlock(p);
    });
  /** A takes the lock at 0 and holds it asleep (off its CPU) until 100. */
  const holdOffCpu = () =>
    sim.spawn('A', function* (p: Process) {
      yield m.lock(p);
      log.push(`A locked@${sim.now}`);
      yield p.sleep(100);
      m.unlock(p);
    });
  return { sim, m, log, locker, holdOffCpu };
}

test('a woken waiter interrupted before it runs: the next waiter is woken at once and takes the free lock wakeup_ns later', () => {
  const { sim, log, locker, holdOffCpu } = setup();
  // A holds the lock from 0 and sleeps (off CPU) to 100, so B (10) and C (20) sleep in the wait
  // list. At 100 A unlocks: the lock is free, B is woken (due at 150). At 120 B is interrupted:
  // C is woken then and takes the lock at 120 + 50 = 170.
  holdOffCpu();
  const b = locker('B', 10);
  locker('C', 20);
  sim.at(120, () => b.interrupt());
  sim.run();
  assert.deepEqual(log, ['A locked@0', 'B interrupted@120', 'C locked@170']);
  const q = sim.stats.snapshot()['m.queue_len'];
  assert.ok(q && q.type === 'gauge' && q.max === 2 && q.last === 0);
});

/**
 * The hand-off scenario: A holds from 0, sleeps to 100, unlocks and at once locks again (a steal);
 * W (arrived at 1, asleep) was woken at 100 and finds the lock taken at 150: it sets HANDOFF and
 * sleeps as first waiter. A computes 100 ns and unlocks at 200. S arrives at 120 while A is on
 * its CPU and HANDOFF is not set yet, so it spins.
 */
function handoff(interruptAt?: number, opts: { secondWaiter?: boolean; interrupt?: 'W' | 'X' } = {}) {
  const { sim, log, locker, m } = setup();
  sim.spawn('A', function* (p) {
    yield m.lock(p);
    yield p.sleep(100);
    m.unlock(p);
    yield m.lock(p);
    log.push(`A relocked@${sim.now}`);
    yield p.compute(100);
    m.unlock(p);
  });
  const w = locker('W', 1);
  const x = opts.secondWaiter ? locker('X', 2) : undefined;
  locker('S', 120);
  const victim = opts.interrupt === 'X' ? x! : w;
  if (interruptAt !== undefined) sim.at(interruptAt, () => victim.interrupt());
  sim.run();
  return log;
}

test('without an interrupt: W is handed the lock at 200 and runs at 250; S, moved to the wait list then, is woken at 250 and takes it at 300', () => {
  assert.deepEqual(handoff(), ['A relocked@100', 'W locked@250', 'S locked@300']);
});

test('the first waiter interrupted while HANDOFF is pending (170): the hand-off is dropped, so at 200 the spinner S takes the lock after spin_poll_ns + cacheline_ns (205)', () => {
  assert.deepEqual(handoff(170), ['A relocked@100', 'W interrupted@170', 'S locked@205']);
});

test('a waiter granted the lock but not yet running, interrupted (220): the lock passes on, S (asleep since the grant) is woken and takes it at 270', () => {
  assert.deepEqual(handoff(220), ['A relocked@100', 'W interrupted@220', 'S locked@270']);
});

// The hand-off scenario with a second sleeper X (arrived at 2) behind W: at 150 W sets HANDOFF and
// sleeps again as first waiter, X still behind it; interrupting X must leave the hand-off to W alone.
test('a second waiter interrupted while HANDOFF is pending for the first (170): the hand-off stands, W is handed the lock at 200 (runs 250) and the spinner S, sent to sleep then, takes it at 300', () => {
  // 170: X leaves the wait list; W is still first with HANDOFF set and A (on its CPU) owns the
  // lock, so nobody is woken. 200: A unlocks, HANDOFF grants W (asleep: runs at 250); W is off
  // its CPU, so S stops spinning and sleeps. 250: W unlocks, S is woken, takes it at 300.
  // Clearing HANDOFF on X's interrupt would let S take the lock at 205 instead.
  assert.deepEqual(handoff(170, { secondWaiter: true, interrupt: 'X' }), ['A relocked@100', 'X interrupted@170', 'W locked@250', 'S locked@300']);
});

test('a second waiter interrupted while the first is woken (120): the first keeps its wake-up (due 150) and nobody else is woken; the third is woken when the first unlocks', () => {
  const { sim, log, locker, holdOffCpu } = setup();
  // A holds from 0, off its CPU until 100; W (10), X (20), Y (30) sleep in that order. 100: A
  // unlocks, W is woken (due 150). 120: X is interrupted: W stays the woken waiter, the lock is
  // free but nobody else is woken (a second wake-up of W would move it to 170). 150: W takes the
  // free lock and unlocks at once, waking Y, which takes it at 200.
  holdOffCpu();
  locker('W', 10);
  const x = locker('X', 20);
  locker('Y', 30);
  sim.at(120, () => x.interrupt());
  sim.run();
  assert.deepEqual(log, ['A locked@0', 'X interrupted@120', 'W locked@150', 'Y locked@200']);
});

test('the only waiter, woken, interrupted (120): nobody is left to wake, the lock stays free and a later locker (130) takes it at once', () => {
  const { sim, log, locker, holdOffCpu } = setup();
  holdOffCpu();
  const b = locker('B', 10);
  locker('C', 130);
  sim.at(120, () => b.interrupt());
  sim.run();
  assert.deepEqual(log, ['A locked@0', 'B interrupted@120', 'C locked@130']);
});
