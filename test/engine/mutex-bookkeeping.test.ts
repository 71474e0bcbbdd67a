// What the mutex records and reports besides who gets it when: wait times, the queue length
// gauge, the description of a blocked waiter, the self-deadlock error. The expected figures are
// computed by hand from the scenarios of mutex-handoff.test.ts (each step in the comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, Interrupt } from '../../sim/engine/index.js';

function handoffScenario(sleepNs: number, wArrives: number) {
  const sim = new Simulation({ cpus: 4, lockCosts: { sleep_ns: sleepNs, wakeup_ns: 50, spin_poll_ns: 3, cacheline_ns: 2 } });
  const m = new Mutex(sim, 'm');
  const seen: string[] = [];
  sim.spawn('A', function* (p) {
    yield m.lock(p);
    yield p.sleep(100);
    m.unlock(p);
    yield m.lock(p);
    yield p.compute(30);
    seen.push(...sim.blocked().filter((b) => b.waitsOn.startsWith('mutex')).map((b) => `${sim.now} ${b.name}: ${b.waitsOn}`));
    yield p.compute(70);
    m.unlock(p);
  });
  sim.spawn('W', function* (p) {
    yield p.sleep(wArrives);
    yield m.lock(p);
    yield p.compute(30);
    m.unlock(p);
  });
  sim.spawn('S', function* (p) {
    yield p.sleep(120);
    yield m.lock(p);
    m.unlock(p);
  });
  sim.run();
  return { snap: sim.stats.snapshot(), seen };
}

function histogram(snap: ReturnType<Simulation['stats']['snapshot']>, key: string) {
  const h = snap[key];
  assert.ok(h && h.type === 'histogram', `${key} is a histogram`);
  return h;
}

function gauge(snap: ReturnType<Simulation['stats']['snapshot']>, key: string) {
  const g = snap[key];
  assert.ok(g && g.type === 'gauge', `${key} is a gauge`);
  return g;
}

test('wait times: W handed the lock (1 -> 250) and S woken after W (120 -> 330); A never waits', () => {
  const { snap } = handoffScenario(0, 1);
  const w = histogram(snap, 'm.wait_ns');
  assert.equal(w.count, 4);
  assert.equal(w.sum, 249 + 210);
  assert.equal(w.max, 249);
  const q = gauge(snap, 'm.queue_len');
  assert.equal(q.max, 2, 'W and S queued together');
  assert.equal(q.last, 0);
});

test('wait times and queue: W handed the lock while on its CPU (50 -> 250), S spinning to 285', () => {
  const { snap, seen } = handoffScenario(100, 50);
  const w = histogram(snap, 'm.wait_ns');
  assert.equal(w.count, 4);
  assert.equal(w.sum, 200 + 165);
  const q = gauge(snap, 'm.queue_len');
  assert.equal(q.max, 2);
  assert.equal(q.last, 0, 'the spinner granted at 280 left the queue');
  // At 130 (A computing since 100): W paying its schedule-out (sleeping), S spinning on A.
  assert.deepEqual(seen, ['130 W: mutex m (sleeping; owner A)', '130 S: mutex m (spinning; owner A)']);
});

test('a waiter woken to a free lock is described with no owner', () => {
  const sim = new Simulation({ lockCosts: { wakeup_ns: 50 } });
  const m = new Mutex(sim, 'm');
  let seen = '';
  sim.spawn('A', function* (p) {
    yield m.lock(p);
    yield p.sleep(100);
    m.unlock(p); // wakes W, which runs at 150
    yield p.sleep(20);
    seen = sim.blocked().filter((b) => b.waitsOn.startsWith('mutex')).map((b) => `${b.name}: ${b.waitsOn}`).join('; ');
  });
  sim.spawn('W', function* (p) {
    yield p.sleep(1);
    yield m.lock(p);
    m.unlock(p);
  });
  sim.run();
  assert.equal(seen, 'W: mutex m (sleeping; owner none)');
});

test('an interrupted spinner leaves the queue (queue_len back to 0) and the owner keeps the lock', () => {
  const sim = new Simulation({ cpus: 4 });
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  sim.spawn('owner', function* (p) {
    yield m.lock(p);
    yield p.compute(100);
    m.unlock(p);
    log.push(`owner unlocked@${sim.now}`);
  });
  const s = sim.spawn('spinner', function* (p) {
    yield p.sleep(10);
    try {
      yield m.lock(p);
      log.push('spinner got it');
    } catch (e) {
      assert.ok(e instanceof Interrupt);
      log.push(`spinner interrupted@${sim.now}`);
    }
  });
  sim.at(50, () => s.interrupt());
  sim.run();
  assert.deepEqual(log, ['spinner interrupted@50', 'owner unlocked@100']);
  const q = gauge(sim.stats.snapshot(), 'm.queue_len');
  assert.equal(q.max, 1);
  assert.equal(q.last, 0);
});

test('locking a mutex one already holds fails the process (deadlock)', () => {
  const sim = new Simulation();
  const m = new Mutex(sim, 'm');
  sim.spawn('p', function* (p) {
    yield m.lock(p);
    yield m.lock(p);
  });
  assert.throws(() => sim.run(), /already held by itself \(deadlock\)/);
});

test('mutex_unlock by a non-owner names the owner in the error: the holder, or none for a free mutex', () => {
  const free = new Simulation();
  const m = new Mutex(free, 'm');
  free.spawn('rogue', function* (p) {
    m.unlock(p);
    yield p.sleep(1);
  });
  assert.throws(() => free.run(), /rogue: mutex_unlock\(m\) by non-owner \(owner: none\)/);

  const held = new Simulation();
  const h = new Mutex(held, 'h');
  held.spawn('holder', function* (p) {
    yield h.lock(p);
    yield p.sleep(10);
  });
  held.spawn('rogue', function* (p) {
    yield p.sleep(1);
    h.unlock(p);
  });
  assert.throws(() => held.run(), /rogue: mutex_unlock\(h\) by non-owner \(owner: holder\)/);
});
