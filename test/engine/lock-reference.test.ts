// The engine's Mutex against the reference model of mutex ordering (lock-reference.ts), event
// for event (every acquisition and release, its time and its process) on random scenarios:
// FIFO spinning and sleeping, stealing by new arrivals, HANDOFF, spinners put to sleep when the
// owner leaves its CPU; for the rw_semaphore also writer preference, reader batches and the
// RWSEM_WAIT_TIMEOUT hand-off. The fuzz test (fuzz.test.ts) checks invariants across every lock; this
// checks the mutex's timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Simulation, Mutex, RwSemaphore } from '../../sim/engine/index.js';
import { referenceMutex, referenceRwsem, type LockEvent, type RefCosts, type RwRefCosts, type RwStep, type Step } from './lock-reference.js';

function engineMutex(scripts: Step[][], costs: RefCosts): LockEvent[] {
  const sim = new Simulation({ lockCosts: { ...costs, sleep_ns: 0 } });
  const m = new Mutex(sim, 'm');
  const log: LockEvent[] = [];
  scripts.forEach((steps, i) =>
    sim.spawn(`p${i}`, function* (p) {
      for (const s of steps) {
        yield p.sleep(s.gap);
        yield m.lock(p);
        log.push(`${sim.now} ${p.name} acquire`);
        yield s.onCpu ? p.compute(s.hold) : p.sleep(s.hold);
        log.push(`${sim.now} ${p.name} release`);
        m.unlock(p);
      }
    }),
  );
  sim.run();
  return log;
}

function engineRwsem(scripts: RwStep[][], costs: RwRefCosts): LockEvent[] {
  const sim = new Simulation({ lockCosts: { ...costs, sleep_ns: 0 } });
  const sem = new RwSemaphore(sim, 's');
  const log: LockEvent[] = [];
  scripts.forEach((steps, i) =>
    sim.spawn(`p${i}`, function* (p) {
      for (const s of steps) {
        yield p.sleep(s.gap);
        yield s.write ? sem.downWrite(p) : sem.downRead(p);
        log.push(`${sim.now} ${p.name} acquire`);
        yield s.onCpu ? p.compute(s.hold) : p.sleep(s.hold);
        log.push(`${sim.now} ${p.name} release`);
        if (s.write) sem.upWrite(p);
        else sem.upRead(p);
      }
    }),
  );
  sim.run();
  return log;
}

const step = fc.record({ gap: fc.integer({ min: 0, max: 400 }), hold: fc.integer({ min: 1, max: 400 }), onCpu: fc.boolean() });
const scenario = fc.record({
  scripts: fc.array(fc.array(step, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 6 }),
  costs: fc.record({ wakeup_ns: fc.integer({ min: 0, max: 300 }), spin_poll_ns: fc.integer({ min: 0, max: 40 }), cacheline_ns: fc.integer({ min: 0, max: 40 }) }),
});

/** Events at the same instant in a canonical order (the two models may queue simultaneous steps differently). */
const canonical = (log: LockEvent[]) => [...log].sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]) || (a < b ? -1 : a > b ? 1 : 0));

test('mutex: the engine matches the reference model event for event on random scenarios', () => {
  let handoffs = 0;
  fc.assert(
    fc.property(scenario, ({ scripts, costs }) => {
      const want = referenceMutex(scripts, costs);
      const got = engineMutex(scripts, costs);
      assert.equal(want.length, 2 * scripts.flat().length, 'every step acquires and releases once');
      assert.deepEqual(canonical(got), canonical(want));
      // A wait longer than wakeup_ns after a release means a HANDOFF or a queue; count scenarios that exercise it.
      if (costs.wakeup_ns > 0 && want.some((e, i) => i > 0 && e.endsWith('acquire') && want[i - 1]!.endsWith('release'))) handoffs++;
    }),
    { numRuns: process.env.RMSIM_LONG ? 5000 : 400, seed: 20261204 },
  );
  assert.ok(handoffs > 50, `scenarios with contention: ${handoffs}`);
});

test('the reference model itself: a hand-computed HANDOFF (A steals from the woken B, B is handed the lock at A\'s next unlock)', () => {
  // wakeup 50. A: lock at 0, sleep-hold 100; lock again at once, sleep-hold 100. B arrives at 1.
  // A's unlock at 100 wakes B (retry at 150); A re-takes the free lock at 100; B's retry fails,
  // sets HANDOFF; A's unlock at 200 hands the lock to B, which runs at 250 and holds 10.
  const log = referenceMutex(
    [[{ gap: 0, hold: 100, onCpu: false }, { gap: 0, hold: 100, onCpu: false }], [{ gap: 1, hold: 10, onCpu: true }]],
    { wakeup_ns: 50, spin_poll_ns: 3, cacheline_ns: 2 },
  );
  assert.deepEqual(log, ['0 p0 acquire', '100 p0 release', '100 p0 acquire', '200 p0 release', '250 p1 acquire', '260 p1 release']);
});

const rwStep = fc.record({ gap: fc.integer({ min: 0, max: 400 }), hold: fc.integer({ min: 1, max: 400 }), onCpu: fc.boolean(), write: fc.boolean() });
const rwScenario = fc.record({
  scripts: fc.array(fc.array(rwStep, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 6 }),
  costs: fc.record({
    wakeup_ns: fc.integer({ min: 0, max: 300 }), spin_poll_ns: fc.integer({ min: 0, max: 40 }), cacheline_ns: fc.integer({ min: 0, max: 40 }),
    // the kernel's 4 ms, and short enough for these scenarios to reach it
    rwsem_wait_timeout_ns: fc.constantFrom(4_000_000, 300, 800),
  }),
});

test('rwsem: the engine matches the reference model event for event on random scenarios', () => {
  let contended = 0;
  fc.assert(
    fc.property(rwScenario, ({ scripts, costs }) => {
      const want = referenceRwsem(scripts, costs);
      const got = engineRwsem(scripts, costs);
      assert.equal(want.length, 2 * scripts.flat().length, 'every step acquires and releases once');
      assert.deepEqual(canonical(got), canonical(want));
      if (want.some((e, i) => i > 0 && e.endsWith('acquire') && want[i - 1]!.endsWith('release'))) contended++;
    }),
    { numRuns: process.env.RMSIM_LONG ? 5000 : 400, seed: 20261204 },
  );
  assert.ok(contended > 50, `scenarios with contention: ${contended}`);
});

test('the rwsem reference itself: a waiting writer blocks a later reader (writer preference), readers are then granted together', () => {
  // R0 reads 0..100 (sleeping); W arrives at 10 (owner is a reader: W sleeps); R2 at 20 must
  // queue behind W. At 100 W is woken, retries at 150 (wakeup 50) and writes to 160; then R2
  // is granted and runs at 210.
  const log = referenceRwsem(
    [[{ gap: 0, hold: 100, onCpu: false, write: false }], [{ gap: 10, hold: 10, onCpu: true, write: true }], [{ gap: 20, hold: 5, onCpu: true, write: false }]],
    { wakeup_ns: 50, spin_poll_ns: 3, cacheline_ns: 2, rwsem_wait_timeout_ns: 4_000_000 },
  );
  assert.deepEqual(log, ['0 p0 acquire', '100 p0 release', '150 p1 acquire', '160 p1 release', '210 p2 acquire', '215 p2 release']);
});
