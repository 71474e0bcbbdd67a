// CPU model: global FIFO run queue, non-preemptive, sleeping releases the CPU, spinning and
// spinlock holding keep it, run-queue delay recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Spinlock } from '../../sim/engine/index.js';

test('oversubscription: 3 computing processes on 2 CPUs finish in FIFO waves', () => {
  const sim = new Simulation({ cpus: 2 });
  const end: Record<string, number> = {};
  for (const n of ['a', 'b', 'c']) sim.spawn(n, function* (p) {
    yield p.compute(100);
    end[n] = sim.now;
  });
  sim.run();
  assert.deepEqual(end, { a: 100, b: 100, c: 200 });
  const h = sim.stats.snapshot()['cpu.runqueue_delay_ns'];
  assert.equal(h.type, 'histogram');
  if (h.type === 'histogram') {
    assert.equal(h.count, 3);
    assert.equal(h.max, 100);
  }
});

test('sleep releases the CPU to the run queue; the sleeper queues again when it wakes', () => {
  const sim = new Simulation({ cpus: 1 });
  const log: string[] = [];
  sim.spawn('sleeper', function* (p) {
    yield p.sleep(10); // CPU free for the hog meanwhile
    log.push(`sleeper runs@${sim.now}`);
  });
  sim.spawn('hog', function* (p) {
    yield p.compute(50);
    log.push(`hog done@${sim.now}`);
  });
  sim.run();
  // the sleeper wakes at 10 but the hog keeps the only CPU (non-preemptive) until 50
  assert.deepEqual(log, ['hog done@50', 'sleeper runs@50']);
});

test('without a CPU model (cpus: Infinity) compute overlaps freely', () => {
  const sim = new Simulation();
  let last = 0;
  for (let i = 0; i < 100; i++) sim.spawn(`p${i}`, function* (p) {
    yield p.compute(100);
    last = Math.max(last, sim.now);
  });
  sim.run();
  assert.equal(last, 100);
  assert.equal(sim.stats.snapshot()['cpu.runqueue_delay_ns'], undefined);
});

test('spinlock waiters burn their CPU and a holder keeps its CPU even when it sleeps', () => {
  const sim = new Simulation({ cpus: 2 });
  const l = new Spinlock(sim, 'xa_lock');
  const log: string[] = [];
  sim.spawn('holder', function* (p) {
    yield l.lock(p);
    yield p.sleep(100); // in atomic context: keeps the CPU
    l.unlock(p);
    log.push(`holder@${sim.now}`);
  });
  sim.spawn('spinner', function* (p) {
    yield p.sleep(1);
    yield l.lock(p); // spins on the second CPU
    l.unlock(p);
    log.push(`spinner@${sim.now}`);
  });
  sim.spawn('other', function* (p) {
    yield p.sleep(2);
    yield p.compute(10); // no CPU free until the holder and spinner are done
    log.push(`other@${sim.now}`);
  });
  sim.run();
  assert.deepEqual(log, ['holder@100', 'spinner@100', 'other@110']);
});
