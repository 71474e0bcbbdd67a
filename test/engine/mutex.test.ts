// Mutex (kernel/locking/mutex.c): fast path, FIFO sleepers, optimistic spinning only while the
// owner runs, HANDOFF to a woken waiter that lost the race, interrupts, contention costs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, Interrupt } from '../../sim/engine/index.js';
import type { Process } from '../../sim/engine/index.js';

function counter(sim: Simulation, key: string): number {
  const m = sim.stats.snapshot()[key];
  assert.ok(m && m.type === 'counter', `${key} is a counter`);
  return m.type === 'counter' ? m.value : NaN;
}

test('uncontended: taken at once, hold time recorded, nothing contended', () => {
  const sim = new Simulation();
  const m = new Mutex(sim, 'notifier_lock');
  sim.spawn('a', function* (p) {
    yield m.lock(p);
    yield p.compute(40);
    m.unlock(p);
  });
  sim.run();
  assert.equal(counter(sim, 'notifier_lock.acquisitions'), 1);
  assert.equal(counter(sim, 'notifier_lock.contended'), 0);
  const h = sim.stats.snapshot()['notifier_lock.hold_ns'];
  assert.ok(h.type === 'histogram' && h.count === 1 && h.max === 40);
});

test('sleeping waiters (owner off CPU) get the lock in FIFO order', () => {
  const sim = new Simulation();
  const m = new Mutex(sim, 'm');
  const order: string[] = [];
  sim.spawn('owner', function* (p) {
    yield m.lock(p);
    yield p.sleep(100); // owner not on a CPU: nobody spins
    m.unlock(p);
  });
  for (const [n, t] of [['c', 3], ['b', 1], ['d', 5]] as const) sim.spawn(n, function* (p) {
    yield p.sleep(t);
    yield m.lock(p);
    order.push(`${n}@${sim.now}`);
    yield p.sleep(10);
    m.unlock(p);
  });
  sim.run();
  assert.deepEqual(order, ['b@100', 'c@110', 'd@120']);
  assert.equal(counter(sim, 'm.contended'), 3);
});

test('optimistic spinning: a waiter spins while the owner computes and takes the lock after poll + cacheline', () => {
  const sim = new Simulation({ cpus: 4, lockCosts: { spin_poll_ns: 30, cacheline_ns: 20, sleep_ns: 1000, wakeup_ns: 5000 } });
  const m = new Mutex(sim, 'm');
  let got = -1;
  sim.spawn('owner', function* (p) {
    yield m.lock(p);
    yield p.compute(100);
    m.unlock(p);
  });
  sim.spawn('spinner', function* (p) {
    yield p.compute(10);
    yield m.lock(p);
    got = sim.now;
    m.unlock(p);
  });
  sim.run();
  assert.equal(got, 150); // no sleep or wake-up cost: it spun
});

test('spinners stop spinning and sleep when the owner leaves its CPU', () => {
  const sim = new Simulation({ lockCosts: { wakeup_ns: 500 } });
  const m = new Mutex(sim, 'm');
  let got = -1;
  let seenWait = '';
  const spinner = { p: null as Process | null };
  sim.spawn('owner', function* (p) {
    yield m.lock(p);
    yield p.compute(100); // on CPU: the waiter spins
    seenWait = sim.blocked().find((b) => b.name === 'waiter')!.waitsOn;
    yield p.sleep(100); // off CPU: the waiter goes to sleep
    m.unlock(p);
  });
  spinner.p = sim.spawn('waiter', function* (p) {
    yield p.sleep(10);
    yield m.lock(p);
    got = sim.now;
    m.unlock(p);
  });
  sim.run();
  assert.match(seenWait, /spinning/);
  assert.equal(got, 200 + 500); // woken sleeper: pays the wake-up
});

test('HANDOFF: a woken first waiter that finds the lock stolen gets it at the next unlock', () => {
  // wakeup 50 ns. A unlocks at 100 and wakes B; A re-locks at once (steals) and computes to 200;
  // B runs at 150, fails, sets HANDOFF. C arrives at 170 and, though the lock frees at 200,
  // cannot take it: the unlock at 200 hands it to B, who runs at 250; C follows.
  const sim = new Simulation({ lockCosts: { wakeup_ns: 50 } });
  const m = new Mutex(sim, 'm');
  const order: string[] = [];
  sim.spawn('A', function* (p) {
    yield m.lock(p);
    order.push(`A@${sim.now}`);
    yield p.sleep(100);
    m.unlock(p);
    yield m.lock(p);
    order.push(`A@${sim.now}`);
    yield p.sleep(100);
    m.unlock(p);
  });
  sim.spawn('B', function* (p) {
    yield p.sleep(1);
    yield m.lock(p);
    order.push(`B@${sim.now}`);
    m.unlock(p);
  });
  sim.spawn('C', function* (p) {
    yield p.sleep(170);
    yield m.lock(p);
    order.push(`C@${sim.now}`);
    m.unlock(p);
  });
  sim.run();
  assert.deepEqual(order, ['A@0', 'A@100', 'B@250', 'C@300']);
});

test('interrupt while waiting on a mutex: the waiter leaves the wait list cleanly', () => {
  const sim = new Simulation();
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  sim.spawn('owner', function* (p) {
    yield m.lock(p);
    yield p.sleep(100);
    m.unlock(p);
  });
  const b = sim.spawn('b', function* (p) {
    yield p.sleep(1);
    try {
      yield m.lock(p);
      log.push('b got it');
      m.unlock(p);
    } catch (e) {
      assert.ok(e instanceof Interrupt);
      log.push(`b interrupted@${sim.now}`);
    }
  });
  sim.spawn('c', function* (p) {
    yield p.sleep(2);
    yield m.lock(p);
    log.push(`c@${sim.now}`);
    m.unlock(p);
  });
  sim.at(50, () => b.interrupt('timeout'));
  sim.run();
  assert.deepEqual(log, ['b interrupted@50', 'c@100']);
  const q = sim.stats.snapshot()['m.queue_len'];
  assert.ok(q.type === 'gauge' && q.last === 0 && q.max === 2);
});

test('interrupt of a waiter the lock was already handed to passes the lock on', () => {
  const sim = new Simulation({ lockCosts: { wakeup_ns: 40 } });
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  sim.spawn('owner', function* (p) {
    yield m.lock(p);
    yield p.sleep(100);
    m.unlock(p); // wakes b at 140 (b retries and gets it unless interrupted)
  });
  const b = sim.spawn('b', function* (p) {
    yield p.sleep(1);
    try {
      yield m.lock(p);
      log.push('b got it');
      m.unlock(p);
    } catch {
      log.push(`b interrupted@${sim.now}`);
    }
  });
  sim.spawn('c', function* (p) {
    yield p.sleep(2);
    yield m.lock(p);
    log.push(`c@${sim.now}`);
    m.unlock(p);
  });
  sim.at(120, () => b.interrupt());
  sim.run();
  assert.deepEqual(log, ['b interrupted@120', 'c@160']);
});

test('unlock by a non-owner fails the process', () => {
  const sim = new Simulation();
  const m = new Mutex(sim, 'm');
  sim.spawn('rogue', function* (p) {
    m.unlock(p);
    yield p.sleep(1);
  });
  assert.throws(() => sim.run(), /non-owner/);
});

test('a sleeping waiter pays sleep_ns on its CPU before another process gets that CPU', () => {
  const sim = new Simulation({ cpus: 2, lockCosts: { sleep_ns: 300, wakeup_ns: 700 } });
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  sim.spawn('owner', function* (p) {
    yield m.lock(p);
    yield p.sleep(1000); // off CPU while holding: waiters sleep
    m.unlock(p);
  });
  sim.spawn('waiter', function* (p) {
    yield p.compute(10);
    yield m.lock(p); // sleeps: its CPU is busy until 310
    log.push(`waiter@${sim.now}`);
    m.unlock(p);
  });
  sim.spawn('third', function* (p) {
    yield p.sleep(20);
    yield p.compute(500); // the owner slept, so one CPU is free: runs 20..520
    log.push(`third@${sim.now}`);
  });
  sim.spawn('fourth', function* (p) {
    yield p.sleep(30);
    yield p.compute(5); // the waiter's CPU frees at 310
    log.push(`fourth@${sim.now}`);
  });
  sim.run();
  assert.deepEqual(log, ['fourth@315', 'third@520', 'waiter@1700']);
});

test('two punchers on one mutex get less aggregate throughput than one when hand-offs cost', () => {
  // docs/kernel-model.md section 7: 0.52 us per punch alone, 2.16 us each with two threads.
  const costs = { spin_poll_ns: 300, cacheline_ns: 300 };
  function runPunchers(threads: number, punches: number): number {
    const sim = new Simulation({ cpus: 2, lockCosts: costs });
    const m = new Mutex(sim, 'inode_lock');
    for (let t = 0; t < threads; t++) sim.spawn(`punch${t}`, function* (p) {
      for (let i = 0; i < punches; i++) {
        yield m.lock(p);
        yield p.compute(520);
        m.unlock(p);
      }
    });
    return sim.run().now;
  }
  const one = runPunchers(1, 2000);
  const two = runPunchers(2, 1000);
  const perPunchOne = one / 2000;
  const perPunchEachTwo = two / 1000;
  assert.equal(perPunchOne, 520);
  assert.ok(two > one, `aggregate throughput must fall: 2000 punches take ${two} ns with two threads vs ${one} with one`);
  assert.ok(perPunchEachTwo > 2000 && perPunchEachTwo < 2400, `per punch per thread ${perPunchEachTwo}`);
});
