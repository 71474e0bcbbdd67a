// Mutex HANDOFF with an optimistic spinner present (kernel/locking/mutex.c
// __mutex_unlock_slowpath -> __mutex_handoff): what happens to the spinner depends on whether
// the new owner is on a CPU. mutex_can_spin_on_owner() spins only while owner->on_cpu, so a
// spinner keeps spinning behind an owner that is still running (here: still paying its
// schedule-out) and goes to sleep behind one that already left its CPU. Every time below is
// computed by hand from the lock costs in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex } from '../../sim/engine/index.js';

interface HandoffCase {
  /** schedule-out cost of a sleeping waiter */
  sleepNs: number;
  /** when W calls mutex_lock (A is off CPU then, so W sleeps) */
  wArrives: number;
}

/**
 * A locks at 0 and sleeps to 100 (off CPU), unlocks (waking W), re-locks at once (the fast path
 * steals from the woken W) and computes to 200 on its CPU. S calls mutex_lock at 120 while A
 * runs and no HANDOFF is pending: S spins. W retries after its wake-up, finds A holding the
 * lock, sets HANDOFF and sleeps again. A's unlock at 200 hands the lock to W. W holds it for 30 ns.
 */
function handoffWithSpinner(c: HandoffCase): string[] {
  const sim = new Simulation({ cpus: 4, lockCosts: { sleep_ns: c.sleepNs, wakeup_ns: 50, spin_poll_ns: 3, cacheline_ns: 2 } });
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  sim.spawn('A', function* (p) {
    yield m.lock(p);
    yield p.sleep(100);
    m.unlock(p);
    yield m.lock(p);
    log.push(`A@${sim.now}`);
    yield p.compute(100);
    m.unlock(p);
  });
  sim.spawn('W', function* (p) {
    yield p.sleep(c.wArrives);
    yield m.lock(p);
    log.push(`W@${sim.now}`);
    yield p.compute(30);
    m.unlock(p);
  });
  sim.spawn('S', function* (p) {
    yield p.sleep(120);
    yield m.lock(p);
    log.push(`S@${sim.now}`);
    m.unlock(p);
  });
  sim.run();
  return log;
}

test('HANDOFF to a waiter off its CPU: the spinner stops spinning and sleeps (wakes 50 ns after W unlocks)', () => {
  // sleep_ns 0: W (arrived at 1) is asleep, off CPU. A's unlock at 100 wakes it: W retries at
  // 150, loses to A, sets HANDOFF, sleeps (off CPU at once). A's unlock at 200 hands the lock
  // to W, which is off CPU: S must stop spinning and sleep. W runs at 200 + 50 = 250, unlocks
  // at 280 and wakes S, which runs at 280 + 50 = 330 and takes the free lock.
  // (Were S left spinning, it would take the lock at 280 + 3 + 2 = 285.)
  assert.deepEqual(handoffWithSpinner({ sleepNs: 0, wArrives: 1 }), ['A@100', 'W@250', 'S@330']);
});

test('HANDOFF to a waiter still on its CPU: the spinner keeps spinning and takes the lock after poll + cacheline', () => {
  // sleep_ns 100: W arrives at 50 (A off CPU), pays its schedule-out to 150. A's unlock at 100
  // wakes W while it is still on its CPU: it retries at 150 with no wake-up cost, loses to A,
  // sets HANDOFF and pays another schedule-out to 250. A's unlock at 200 hands the lock to W,
  // which is still on its CPU: S keeps spinning. W resumes at 250 (end of its schedule-out),
  // unlocks at 280, and S takes the lock after 3 + 2 ns of poll and cacheline: 285.
  // (Were S sent to sleep at 200, it would pay its schedule-out to 300 and take the lock then.)
  assert.deepEqual(handoffWithSpinner({ sleepNs: 100, wArrives: 50 }), ['A@100', 'W@250', 'S@285']);
});
