// Compute run-ahead: a process whose compute end would be the very next event continues
// without a heap round trip. It must never change what happens or when.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Simulation, Mutex } from '../../sim/engine/index.js';

test('run-ahead: a compute ending at the same time as an older entry waits for it (tie goes to the older key)', () => {
  const sim = new Simulation({ cpus: 2 });
  const log: string[] = [];
  sim.spawn('sleeper', function* (p) {
    yield p.sleep(10);
    log.push(`sleeper@${sim.now}`);
  });
  sim.spawn('computer', function* (p) {
    yield p.compute(10);
    log.push(`computer@${sim.now}`);
    yield p.compute(5);
    log.push(`computer@${sim.now}`);
  });
  const r = sim.run();
  assert.deepEqual(log, ['sleeper@10', 'computer@10', 'computer@15']);
  assert.equal(r.eventsProcessed, 5); // two spawns, the sleep's end, two compute ends
});

test('run-ahead: stops at until like the heap path (clock set to until, compute end still pending)', () => {
  const sim = new Simulation({ cpus: 1 });
  const log: number[] = [];
  sim.spawn('c', function* (p) {
    for (let i = 0; i < 3; i++) {
      yield p.compute(4);
      log.push(sim.now);
    }
  });
  const r = sim.run({ until: 9 });
  assert.deepEqual(log, [4, 8]);
  assert.equal(r.now, 9);
  assert.equal(r.stoppedBy, 'until');
  sim.run();
  assert.deepEqual(log, [4, 8, 12]);
});

// A random mix of processes computing, sleeping and taking two mutexes on few CPUs: the trace
// of (time, process, step), every metric and the event count are the same with run-ahead off.
function randomRun(seed: number, procs: number, cpus: number, steps: number, runAhead: boolean): string {
  const sim = new Simulation({ seed, cpus, batching: runAhead });
  const locks = [new Mutex(sim, 'm0'), new Mutex(sim, 'm1')];
  const trace: string[] = [];
  for (let i = 0; i < procs; i++) {
    const rng = sim.rng(`p${i}`);
    sim.spawn(`p${i}`, function* (p) {
      for (let k = 0; k < steps; k++) {
        const what = rng.below(4);
        const ns = rng.below(3) === 0 ? 0 : rng.below(20);
        if (what === 0) yield p.compute(ns);
        else if (what === 1) yield p.sleep(ns);
        else {
          const m = locks[what - 2];
          yield m.lock(p);
          yield p.compute(ns);
          m.unlock(p);
        }
        trace.push(`${sim.now}:${i}:${k}`);
      }
    });
  }
  const r = sim.run();
  return JSON.stringify({ trace, events: r.eventsProcessed, now: r.now, metrics: sim.stats.snapshot() });
}

test('run-ahead: a sleep(0) with a run-queue waiter hands it the CPU first, as the heap path does', () => {
  for (const batching of [true, false]) {
    const log: string[] = [];
    const sim = new Simulation({ cpus: 1, batching });
    sim.spawn('a', function* (p) {
      yield p.compute(5);
      yield p.sleep(0);
      log.push(`a@${sim.now}`);
    });
    sim.spawn('b', function* (p) {
      log.push(`b@${sim.now}`);
      yield p.compute(3);
    });
    sim.run();
    // b queued for the one CPU at 0; a's sleep(0) at 5 hands it the CPU, a runs again after b.
    assert.deepEqual(log, ['b@5', 'a@8']);
    // a's first run (no wait), b's hand-off at 5 (waited 5), a's at 8 (waited 3).
    const h = sim.stats.histogram('cpu.runqueue_delay_ns');
    assert.deepEqual([h.count, h.sum, h.max], [3, 8, 5]);
  }
});

test('run-ahead: a sleep ending as the very next event continues in place with a zero run-queue delay', () => {
  const sim = new Simulation({ cpus: 1 });
  const log: number[] = [];
  sim.spawn('s', function* (p) {
    for (let i = 0; i < 3; i++) {
      yield p.sleep(i);
      log.push(sim.now);
    }
  });
  const r = sim.run();
  assert.deepEqual(log, [0, 1, 3]);
  assert.equal(r.eventsProcessed, 4); // the spawn and three sleep ends, counted as the heap path counts them
  const h = sim.stats.histogram('cpu.runqueue_delay_ns');
  assert.equal(h.count, 4);
  assert.equal(h.max, 0);
});

test('run-ahead changes nothing: random compute/sleep/mutex mixes give identical traces, metrics and event counts', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), (seed, procs, cpus) => {
    assert.equal(randomRun(seed, procs, cpus, 30, true), randomRun(seed, procs, cpus, 30, false));
  }), { numRuns: 200 });
});
