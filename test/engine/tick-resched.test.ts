// Sleeping locks against the scheduler tick: RWSEM_WAIT_TIMEOUT counted in jiffies, the HANDOFF
// waiter spinning on a running owner, and need_resched ending optimistic spins, which is what
// turns turn-taking into runs of lock stealing (bench/kernel-probe/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, RwSemaphore, Mutex } from '../../sim/engine/index.js';
import type { LockCosts } from '../../sim/engine/index.js';

const MS = 1_000_000;

/** A stealer re-taking the lock after 500 ns sleeping holds; a waiter queued at `queueAt`. */
function starve(costs: Partial<LockCosts>, queueAt: number): number {
  const sim = new Simulation({ lockCosts: { wakeup_ns: 1000, ...costs } });
  const s = new RwSemaphore(sim, 'inode_lock');
  let got = -1;
  sim.spawn('stealer', function* (p) {
    while (got < 0) {
      yield s.downWrite(p);
      yield p.sleep(500);
      s.upWrite(p);
    }
  });
  sim.spawn('waiter', function* (p) {
    yield p.sleep(queueAt);
    yield s.downWrite(p);
    got = sim.now;
    s.upWrite(p);
  });
  sim.run();
  return got - queueAt;
}

test('rwsem: with a tick, RWSEM_WAIT_TIMEOUT is one jiffy counted as time_after(jiffies, timeout): 4-8 ms at HZ=250', () => {
  const tick = { tick_ns: 4 * MS, rwsem_wait_timeout_ns: 4 * MS };
  // Queued just after a tick: hand-off once jiffies passes queue jiffy + 1, i.e. at 8 ms.
  const early = starve(tick, 100_000);
  assert.ok(early >= 8 * MS - 100_000 && early < 8 * MS, `queued at 0.1 ms, waited ${early}`);
  // Queued just before a tick: almost 4 ms sooner.
  const late = starve(tick, 3.9 * MS);
  assert.ok(late >= 4 * MS + 100_000 && late < 4 * MS + 102_000, `queued at 3.9 ms, waited ${late}`);
  // Without a tick: 4 ms from the start of the wait, whatever the phase.
  const plain = starve({ rwsem_wait_timeout_ns: 4 * MS }, 100_000);
  assert.ok(plain >= 4 * MS && plain < 4 * MS + 2_000, `continuous: waited ${plain}`);
});

interface Turns {
  /** Punch latencies of both threads, in start order. */
  order: number[];
  latencies: number[];
  maxWait: number;
}

/** Two threads on two CPUs taking one rwsem for `hold` ns of CPU each, back to back. */
function twoWriters(costs: Partial<LockCosts>, hold: number, rounds: number): Turns {
  const sim = new Simulation({ cpus: 2, seed: 7, lockCosts: { wakeup_ns: 3000, sleep_ns: 1000, spin_poll_ns: 50, cacheline_ns: 100, ...costs } });
  const s = new RwSemaphore(sim, 'invalidate_lock');
  const starts: Array<[number, number]> = [];
  const latencies: number[] = [];
  for (let t = 0; t < 2; t++) {
    sim.spawn(`puncher${t}`, function* (p) {
      for (let i = 0; i < rounds; i++) {
        const start = sim.now;
        starts.push([start, t]);
        yield s.downWrite(p);
        yield p.compute(hold);
        s.upWrite(p);
        latencies.push(sim.now - start);
      }
    });
  }
  sim.run();
  const snap = sim.stats.snapshot();
  const w = snap['invalidate_lock.wait_ns{mode=write}'];
  assert.ok(w.type === 'histogram');
  starts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { order: starts.map((x) => x[1]), latencies, maxWait: w.max };
}

function meanRun(order: number[]): number {
  let runs = 1;
  for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1]) runs++;
  return order.length / runs;
}

function longestRun(order: number[]): number {
  let best = 1;
  for (let i = 1, cur = 1; i < order.length; i++) {
    cur = order[i] === order[i - 1] ? cur + 1 : 1;
    best = Math.max(best, cur);
  }
  return best;
}

test('rwsem: on an idle host two writers on two CPUs take strict turns through optimistic spinning', () => {
  const r = twoWriters({ tick_ns: 4 * MS, tick_resched_ppm: 0 }, 50_000, 400);
  assert.ok(meanRun(r.order) < 1.05, `mean run ${meanRun(r.order)}`);
  assert.ok(r.maxWait < 60_000, `no one waits longer than one hold: ${r.maxWait}`);
});

test('rwsem: need_resched at ticks makes spinners sleep; the owner then steals until the 4-8 ms hand-off, and spinning resumes after it', () => {
  const r = twoWriters({ tick_ns: 4 * MS, tick_resched_ppm: 500_000 }, 50_000, 1000);
  // A run of stealing lasts until the waiter's jiffy-rounded timeout: at least 4 ms of 50 us holds
  // (the wait bound below caps each; two can follow each other when a tick breaks the next spin).
  const longest = longestRun(r.order);
  assert.ok(longest >= 4 * MS / 50_000, `longest run of stealing ${longest}`);
  let alternating = 0;
  for (let i = 1; i + 1 < r.order.length; i++) if (r.order[i - 1] !== r.order[i] && r.order[i + 1] !== r.order[i]) alternating++;
  assert.ok(alternating > 0.1 * r.order.length, `turn-taking resumes after each hand-off: ${alternating} alternating`);
  assert.ok(r.maxWait >= 4 * MS && r.maxWait < 8 * MS + 200_000, `the longest wait is a jiffy-rounded hand-off: ${r.maxWait}`);
});

test('rwsem: tick need_resched draws are deterministic for a seed', () => {
  const a = twoWriters({ tick_ns: 4 * MS, tick_resched_ppm: 300_000 }, 50_000, 300);
  const b = twoWriters({ tick_ns: 4 * MS, tick_resched_ppm: 300_000 }, 50_000, 300);
  assert.deepEqual(a.latencies, b.latencies);
});

test('lock costs: tick_resched_ppm above one million is refused', () => {
  assert.throws(() => new Simulation({ lockCosts: { tick_resched_ppm: 1_000_001 } }), /parts per million/);
});

test('mutex: a tick need_resched ends the optimistic spin too; the spinner sleeps and the owner re-takes the lock', () => {
  const run = (ppm: number) => {
    const sim = new Simulation({ cpus: 2, seed: 3, lockCosts: { wakeup_ns: 3000, sleep_ns: 1000, spin_poll_ns: 50, cacheline_ns: 100, tick_ns: 4 * MS, tick_resched_ppm: ppm } });
    const m = new Mutex(sim, 'notifier_lock');
    const order: number[] = [];
    for (let t = 0; t < 2; t++) {
      sim.spawn(`t${t}`, function* (p) {
        for (let i = 0; i < 400; i++) {
          order.push(t);
          yield m.lock(p);
          yield p.compute(50_000);
          m.unlock(p);
        }
      });
    }
    sim.run();
    return order;
  };
  assert.equal(longestRun(run(0)), 1, 'idle host: the two threads take turns');
  // Busy host: once a spin ends, the unlocker re-takes the lock before the woken waiter runs,
  // but the woken waiter that lost sets the mutex's HANDOFF at once (no 4 ms timeout, unlike
  // the rwsem), so the next unlock is its: runs of two, not of milliseconds.
  assert.equal(longestRun(run(1_000_000)), 2, 'busy host: the owner re-takes the lock once, then hands off');
});
