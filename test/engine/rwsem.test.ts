// RwSemaphore (sim/engine/locks/rwsem.ts, rwsem.c) beyond the reference comparison
// (lock-reference.test.ts): per-mode statistics and the queue length over time, the
// MAX_READERS_WAKEUP batch, interrupting a waiter in each phase (spinning; asleep first with
// HANDOFF set; woken; granted, reader or writer; spinning with HANDOFF set), the HANDOFF waiter
// spinning on a running owner and put to sleep when the owner leaves its CPU, what a waiter
// waits on, and the misuse errors. Expected times are worked out by hand in the comments from the
// rules in rwsem.ts; costs: sleep_ns 0, wakeup_ns 50, spin_poll_ns 3, cacheline_ns 2 (a spinner
// takes the lock 5 ns after the release, a sleeper 50 ns after its wake-up); infinite CPUs unless said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, RwSemaphore, Interrupt, type Process, type LockCosts } from '../../sim/engine/index.js';
import { misuseErrors } from './misuse-errors.js';
import { statsLookup } from './stats-lookup.js';

type Step = ['r' | 'w', number] | ['c', number] | ['s', number];

function setup(costs: Partial<LockCosts> = {}) {
  const sim = new Simulation({ lockCosts: { sleep_ns: 0, wakeup_ns: 50, spin_poll_ns: 3, cacheline_ns: 2, ...costs } });
  const sem = new RwSemaphore(sim, 'sem');
  const log: string[] = [];
  /**
   * A process that starts at `at` and runs `steps`: ['w', n] / ['r', n] take the lock for write /
   * read, hold it n ns computing (on its CPU) when n > 0 or sleeping (off it) when n < 0, and
   * release it; ['c', n] computes and ['s', n] sleeps without it. Logs each acquisition and an interrupt.
   */
  const proc = (name: string, at: number, ...steps: Step[]) =>
    sim.spawn(name, function* (p: Process) {
      yield p.sleep(at);
      for (const [what, n] of steps) {
        if (what === 'c') { yield p.compute(n); continue; }
        if (what === 's') { yield p.sleep(n); continue; }
        try {
          yield what === 'w' ? sem.downWrite(p) : sem.downRead(p);
        } catch (e) {
          assert.ok(e instanceof Interrupt);
          log.push(`${name} interrupted@${sim.now}`);
          return;
        }
        log.push(`${name} ${what}@${sim.now}`);
        yield n > 0 ? p.compute(n) : p.sleep(-n);
        if (what === 'w') sem.upWrite(p);
        else sem.upRead(p);
      }
    });
  const { stat, histo } = statsLookup(sim);
  const series = () => {
    const q = stat('sem.queue_len');
    assert.ok(q.type === 'gauge');
    return q.series;
  };
  return { sim, sem, log, proc, histo, stat, series };
}

test('rwsem statistics: acquisitions, contended, wait and hold times per mode, queue length over time', () => {
  const { sim, log, proc, stat, histo, series } = setup();
  // W0 writes 0-100 on its CPU. W1 (10) spins on it; R (20) sleeps in the wait list (readers never
  // spin). At 100 the spinner W1 gets it (105), writes to 115; then R is granted, runs at 165, to 175.
  proc('W0', 0, ['w', 100]);
  proc('W1', 10, ['w', 10]);
  proc('R', 20, ['r', 10]);
  sim.run();
  assert.deepEqual(log, ['W0 w@0', 'W1 w@105', 'R r@165']);
  assert.deepEqual(stat('sem.acquisitions{mode=write}'), { type: 'counter', value: 2 });
  assert.deepEqual(stat('sem.acquisitions{mode=read}'), { type: 'counter', value: 1 });
  assert.deepEqual(stat('sem.contended{mode=write}'), { type: 'counter', value: 1 });
  assert.deepEqual(stat('sem.contended{mode=read}'), { type: 'counter', value: 1 });
  assert.deepEqual(histo('sem.wait_ns{mode=write}'), [2, 0, 95, 95]);
  assert.deepEqual(histo('sem.wait_ns{mode=read}'), [1, 145, 145, 145]);
  assert.deepEqual(histo('sem.hold_ns{mode=write}'), [2, 10, 100, 110]);
  assert.deepEqual(histo('sem.hold_ns{mode=read}'), [1, 10, 10, 10]);
  assert.deepEqual(series(), [[0, 0], [10, 1], [20, 2], [100, 1], [115, 0]]);
});

test('rwsem: one release grants at most MAX_READERS_WAKEUP (256) queued readers; the rest at the next release', () => {
  const { sim, proc, log } = setup({ wakeup_ns: 0 });
  proc('W', 0, ['w', -100]);
  for (let i = 0; i < 300; i++) proc(`R${i}`, 1, ['r', -10]);
  sim.run();
  const at = (t: number) => log.filter((l) => l.endsWith(`r@${t}`)).length;
  // 256 granted at W's release (100), all leave at 110: the last 44 are granted then.
  assert.deepEqual([at(100), at(110), log.length], [256, 44, 301]);
  assert.equal(log[256], 'R255 r@100');
  assert.equal(log[257], 'R256 r@110');
});

test('rwsem: a spinning writer interrupted leaves the spinners; the queue length drops', () => {
  const { sim, log, proc, series } = setup();
  proc('W0', 0, ['w', 100]);
  const w1 = proc('W1', 10, ['w', 10]);
  proc('W2', 20, ['w', 10]);
  sim.at(50, () => w1.interrupt());
  sim.run();
  // W2, the other spinner, takes it at 100 + 5.
  assert.deepEqual(log, ['W0 w@0', 'W1 interrupted@50', 'W2 w@105']);
  assert.deepEqual(series(), [[0, 0], [10, 1], [20, 2], [50, 1], [100, 0]]);
});

test('rwsem: the first waiter interrupted while HANDOFF is set for it clears HANDOFF: the lock can be stolen again', () => {
  const { sim, log, proc } = setup({ rwsem_wait_timeout_ns: 100 });
  // A writes asleep 0-100, unlocks and at once locks again (a steal from W, woken at 100, due at 150),
  // holding asleep to 200. W (1) retries at 150, has waited 149 >= 100: sets HANDOFF, sleeps again
  // (A is off its CPU). X (160) sleeps behind it. W interrupted at 170: HANDOFF cleared. At 200 X is
  // woken (due 250); Y (220) finds the lock free and no HANDOFF: it steals it, holds to 230; X takes it at 250.
  proc('A', 0, ['w', -100], ['w', -100]);
  const w = proc('W', 1, ['w', -10]);
  proc('X', 160, ['w', -10]);
  proc('Y', 220, ['w', -10]);
  sim.at(170, () => w.interrupt());
  sim.run();
  assert.deepEqual(log, ['A w@0', 'A w@100', 'W interrupted@170', 'Y w@220', 'X w@250']);
});

test('rwsem: a woken writer interrupted before it runs: the next writer is woken at once', () => {
  const { sim, log, proc } = setup();
  // W0 writes asleep 0-100; W1 (1) and W2 (2) sleep. At 100 W1 is woken (due 150); interrupted at
  // 120, W2 is woken then and takes the free lock at 170.
  proc('W0', 0, ['w', -100]);
  const w1 = proc('W1', 1, ['w', -10]);
  proc('W2', 2, ['w', -10]);
  sim.at(120, () => w1.interrupt());
  sim.run();
  assert.deepEqual(log, ['W0 w@0', 'W1 interrupted@120', 'W2 w@170']);
});

test('rwsem: a reader granted the lock and interrupted before it runs: the writer behind it is woken', () => {
  const { sim, sem, log, proc } = setup();
  // W0 writes asleep 0-100; R (1) and W (2) sleep. At 100 R is granted (due 150); interrupted at
  // 120 it leaves no reader: W is woken then and takes it at 170.
  proc('W0', 0, ['w', -100]);
  const r = proc('R', 1, ['r', -10]);
  proc('W', 2, ['w', -10]);
  sim.at(120, () => r.interrupt());
  sim.run();
  assert.deepEqual(log, ['W0 w@0', 'R interrupted@120', 'W w@170']);
  assert.deepEqual([sem.writer, sem.readers], [null, 0]);
});

test('rwsem: a spinner handed the lock and interrupted before it runs: the sleeping reader is granted it', () => {
  const { sim, log, proc } = setup();
  // W0 writes on its CPU 0-100; W1 (1) spins, R (2) sleeps. At 100 W1 gets it (due 105); interrupted
  // at 102, the lock goes to R, running at 152.
  proc('W0', 0, ['w', 100]);
  const w1 = proc('W1', 1, ['w', 10]);
  proc('R', 2, ['r', 10]);
  sim.at(102, () => w1.interrupt());
  sim.run();
  assert.deepEqual(log, ['W0 w@0', 'W1 interrupted@102', 'R r@152']);
});

/**
 * The HANDOFF spinner: A writes asleep 0-100, unlocks and at once steals the lock back from W
 * (woken at 100, due at 150), then holds it `then`. W (1) retries at 150 having waited 149 >= 100:
 * it sets HANDOFF and, A being on its CPU, spins on it as first waiter (rwsem_down_write_slowpath).
 */
function handoffSpin(then: Step[], interruptAt?: number) {
  const s = setup({ rwsem_wait_timeout_ns: 100 });
  s.proc('A', 0, ['w', -100], ...then);
  const w = s.proc('W', 1, ['w', 10]);
  const seen: string[] = [];
  s.sim.at(170, () => { for (const b of s.sim.blocked()) if (b.name === 'W') seen.push(b.waitsOn); });
  if (interruptAt !== undefined) s.sim.at(interruptAt, () => w.interrupt());
  return { ...s, seen };
}

test('rwsem: a writer past RWSEM_WAIT_TIMEOUT spins with HANDOFF set on the running owner and takes the lock at its release, with no wake-up', () => {
  // A computes 100-200 holding it: at 200 W gets it 5 ns later, not 50.
  const { sim, log, seen } = handoffSpin([['w', 100]]);
  sim.run();
  assert.deepEqual(log, ['A w@0', 'A w@100', 'W w@205']);
  assert.deepEqual(seen, ['rwsem sem for write (spinning with HANDOFF set; writer A, readers 0)']);
});

test('rwsem: the HANDOFF spinner sleeps when the owner leaves its CPU, and is handed the lock at the release', () => {
  // A computes 100-160 holding it, then sleeps holding it to 200: W stops spinning at 160; at 200
  // it is handed the lock (HANDOFF) and runs a wake-up later, at 250.
  const s = setup({ rwsem_wait_timeout_ns: 100 });
  s.sim.spawn('A', function* (p: Process) {
    yield s.sem.downWrite(p);
    s.log.push(`A w@${s.sim.now}`);
    yield p.sleep(100);
    s.sem.upWrite(p);
    yield s.sem.downWrite(p);
    s.log.push(`A w@${s.sim.now}`);
    yield p.compute(60);
    yield p.sleep(40);
    s.sem.upWrite(p);
  });
  s.proc('W', 1, ['w', 10]);
  const seen: string[] = [];
  for (const t of [155, 170]) s.sim.at(t, () => { for (const b of s.sim.blocked()) if (b.name === 'W') seen.push(`${t}: ${b.waitsOn}`); });
  s.sim.run();
  assert.deepEqual(s.log, ['A w@0', 'A w@100', 'W w@250']);
  assert.deepEqual(seen, [
    '155: rwsem sem for write (spinning with HANDOFF set; writer A, readers 0)',
    '170: rwsem sem for write (sleeping; writer A, readers 0)',
  ]);
});

test('rwsem: the HANDOFF spinner interrupted clears HANDOFF: a later writer spins and takes the lock at the release', () => {
  // W interrupted at 170 while spinning with HANDOFF. X (180) finds A on its CPU and no HANDOFF:
  // it spins, and takes the lock at A's release (200) + 5.
  const { sim, log, proc } = handoffSpin([['w', 100]], 170);
  proc('X', 180, ['w', 10]);
  sim.run();
  assert.deepEqual(log, ['A w@0', 'A w@100', 'W interrupted@170', 'X w@205']);
});

test('rwsem: spinners go to the wait list when the write owner leaves its CPU; they are then woken in turn', () => {
  const { sim, sem, log, proc, series } = setup();
  // W0 computes 0-50 holding it, then sleeps holding it to 100. W1 (10) and W2 (20) spin until 50,
  // then sleep. At 100 W1 is woken (150), writes to 160; W2 is woken then (210).
  sim.spawn('W0', function* (p: Process) {
    yield sem.downWrite(p);
    yield p.compute(50);
    yield p.sleep(50);
    sem.upWrite(p);
  });
  proc('W1', 10, ['w', 10]);
  proc('W2', 20, ['w', 10]);
  const seen: string[] = [];
  for (const t of [30, 60]) sim.at(t, () => { for (const b of sim.blocked()) if (b.name === 'W2') seen.push(`${t}: ${b.waitsOn}`); });
  sim.run();
  assert.deepEqual(log, ['W1 w@150', 'W2 w@210']);
  assert.deepEqual(seen, ['30: rwsem sem for write (spinning; writer W0, readers 0)', '60: rwsem sem for write (sleeping; writer W0, readers 0)']);
  // A woken writer leaves the wait list when its retry takes the lock.
  assert.deepEqual(series(), [[0, 0], [10, 1], [20, 2], [150, 1], [210, 0]]);
});

test('rwsem: what a waiting reader waits on', () => {
  const { sim, proc } = setup();
  proc('R1', 0, ['r', -100]);
  proc('W', 10, ['w', -10]);
  proc('R2', 20, ['r', -10]);
  const seen: string[] = [];
  sim.at(50, () => { for (const b of sim.blocked()) if (b.name !== 'R1') seen.push(`${b.name}: ${b.waitsOn}`); });
  sim.run();
  assert.deepEqual(seen, ['W: rwsem sem for write (sleeping; writer none, readers 1)', 'R2: rwsem sem for read (sleeping; writer none, readers 1)']);
});

test('rwsem misuse: up_read without holding it and up_write by a non-owner are errors; re-locking deadlocks', () => {
  const { sim, sem } = setup();
  const { errors, attempt } = misuseErrors();
  sim.spawn('A', function* (p: Process) {
    attempt(() => sem.upRead(p));
    attempt(() => sem.upWrite(p));
    yield sem.downWrite(p);
    yield p.sleep(10);
    sem.upWrite(p);
  });
  sim.spawn('B', function* (p: Process) {
    yield p.sleep(5);
    attempt(() => sem.upWrite(p));
  });
  sim.run();
  assert.deepEqual(errors, [
    'A: up_read(sem) without holding it for read',
    'A: up_write(sem) by non-owner (writer: none)',
    'B: up_write(sem) by non-owner (writer: A)',
  ]);
  for (const second of ['r', 'w'] as const) {
    const s2 = setup();
    s2.sim.spawn('A', function* (p: Process) {
      yield s2.sem.downWrite(p);
      yield second === 'r' ? s2.sem.downRead(p) : s2.sem.downWrite(p);
    });
    assert.throws(() => s2.sim.run(), /^Error: A: rwsem sem already write-held by itself \(deadlock\)$/);
  }
});

test('rwsem: need_resched at the tick ends a writer\'s spin: it queues, sleeps, and is woken at the release', () => {
  // 2 CPUs, a tick every 1000 ns that always sets need_resched. W0 writes on its CPU 0-5000; W1 (10)
  // spins until the tick at 1000, then sleeps: C (20) gets its CPU then. At 5000 W1 is woken: 5050.
  const sim = new Simulation({ cpus: 2, lockCosts: { sleep_ns: 0, wakeup_ns: 50, spin_poll_ns: 3, cacheline_ns: 2, tick_ns: 1000, tick_resched_ppm: 1_000_000 } });
  const sem = new RwSemaphore(sim, 'sem');
  const log: string[] = [];
  sim.spawn('W0', function* (p: Process) {
    yield sem.downWrite(p);
    yield p.compute(5000);
    sem.upWrite(p);
  });
  sim.spawn('W1', function* (p: Process) {
    yield p.sleep(10);
    yield sem.downWrite(p);
    log.push(`W1 w@${sim.now}`);
    sem.upWrite(p);
  });
  sim.spawn('C', function* (p: Process) {
    yield p.sleep(20);
    yield p.compute(100);
    log.push(`C ran@${sim.now - 100}`);
  });
  const seen: string[] = [];
  for (const t of [500, 2000]) sim.at(t, () => { for (const b of sim.blocked()) if (b.name === 'W1') seen.push(`${t}: ${b.waitsOn}`); });
  sim.run();
  assert.deepEqual(log, ['C ran@1000', 'W1 w@5050']);
  assert.deepEqual(seen, ['500: rwsem sem for write (spinning; writer W0, readers 0)', '2000: rwsem sem for write (sleeping; writer W0, readers 0)']);
});

test('rwsem: need_resched at the tick ends the HANDOFF waiter\'s spin too; it is handed the lock asleep', () => {
  // Ticks every 100 ns, RWSEM_WAIT_TIMEOUT one jiffy. A writes asleep 0-300 (W queued at 1), unlocks
  // and steals it back, computing 300-1000. W, woken at 300, retries at 350: jiffy 3 > 0 + 1, so it
  // sets HANDOFF and spins; the tick at 400 ends the spin; at 1000 it is handed the lock, asleep: 1050.
  const run = (ppm: number) => {
    const { sim, log, proc } = setup({ tick_ns: 100, tick_resched_ppm: ppm, rwsem_wait_timeout_ns: 100 });
    proc('A', 0, ['w', -300], ['w', 700]);
    proc('W', 1, ['w', 10]);
    const seen: string[] = [];
    for (const t of [380, 500]) sim.at(t, () => { for (const b of sim.blocked()) if (b.name === 'W') seen.push(`${t}: ${b.waitsOn}`); });
    sim.run();
    return { log, seen };
  };
  const busy = run(1_000_000);
  assert.deepEqual(busy.log, ['A w@0', 'A w@300', 'W w@1050']);
  assert.deepEqual(busy.seen, [
    '380: rwsem sem for write (spinning with HANDOFF set; writer A, readers 0)',
    '500: rwsem sem for write (sleeping; writer A, readers 0)',
  ]);
  // Without need_resched it spins to the release: 1000 + 5.
  assert.deepEqual(run(0).log, ['A w@0', 'A w@300', 'W w@1005']);
});

test('rwsem: contended acquisitions are counted per mode (two readers, one writer)', () => {
  const { sim, log, proc, stat } = setup();
  // W0 writes asleep 0-100; R1 (1), R2 (2) and W (3) sleep. At 100 both readers are granted (150,
  // holding asleep to 160), skipping W; at 160 W is woken: 210.
  proc('W0', 0, ['w', -100]);
  proc('R1', 1, ['r', -10]);
  proc('R2', 2, ['r', -10]);
  proc('W', 3, ['w', -10]);
  sim.run();
  assert.deepEqual(log, ['W0 w@0', 'R1 r@150', 'R2 r@150', 'W w@210']);
  assert.deepEqual(stat('sem.contended{mode=read}'), { type: 'counter', value: 2 });
  assert.deepEqual(stat('sem.contended{mode=write}'), { type: 'counter', value: 1 });
});
