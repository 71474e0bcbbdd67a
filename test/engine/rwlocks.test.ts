// RwSemaphore (rwsem.c) and RwLock (qrwlock.c): sharing, writer preference, timeout hand-off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, RwSemaphore, RwLock } from '../../sim/engine/index.js';

test('rwsem: readers share the lock', () => {
  const sim = new Simulation();
  const s = new RwSemaphore(sim, 'inode_lock');
  const got: number[] = [];
  for (let i = 0; i < 3; i++) sim.spawn(`r${i}`, function* (p) {
    yield s.downRead(p);
    got.push(sim.now);
    yield p.sleep(100);
    s.upRead(p);
  });
  assert.equal(sim.run().now, 100);
  assert.deepEqual(got, [0, 0, 0]);
});

test('rwsem: a waiting writer blocks new readers (writer preference)', () => {
  const sim = new Simulation();
  const s = new RwSemaphore(sim, 'inode_lock');
  const log: string[] = [];
  sim.spawn('r1', function* (p) {
    yield s.downRead(p);
    yield p.sleep(100);
    s.upRead(p);
  });
  sim.spawn('w', function* (p) {
    yield p.sleep(10);
    yield s.downWrite(p);
    log.push(`w@${sim.now}`);
    yield p.sleep(50);
    s.upWrite(p);
  });
  sim.spawn('r2', function* (p) {
    yield p.sleep(20);
    yield s.downRead(p); // the lock is only read-held, but a writer waits: r2 queues
    log.push(`r2@${sim.now}`);
    s.upRead(p);
  });
  sim.run();
  assert.deepEqual(log, ['w@100', 'r2@150']);
  const snap = sim.stats.snapshot();
  const c = snap['inode_lock.contended{mode=read}'];
  assert.ok(c.type === 'counter' && c.value === 1);
});

test('rwsem: a release with readers first wakes every queued reader, skipping writers', () => {
  const sim = new Simulation();
  const s = new RwSemaphore(sim, 'sem');
  const log: string[] = [];
  sim.spawn('w0', function* (p) {
    yield s.downWrite(p);
    yield p.sleep(100);
    s.upWrite(p);
  });
  const arrivals: Array<[string, 'r' | 'w', number]> = [['ra', 'r', 1], ['wb', 'w', 2], ['rc', 'r', 3]];
  for (const [n, mode, t] of arrivals) sim.spawn(n, function* (p) {
    yield p.sleep(t);
    if (mode === 'r') {
      yield s.downRead(p);
      log.push(`${n}@${sim.now}`);
      yield p.sleep(10);
      s.upRead(p);
    } else {
      yield s.downWrite(p);
      log.push(`${n}@${sim.now}`);
      s.upWrite(p);
    }
  });
  sim.run();
  assert.deepEqual(log, ['ra@100', 'rc@100', 'wb@110']);
});

test('rwsem: RWSEM_WAIT_TIMEOUT hand-off stops a writer from being starved by stealers', () => {
  function starve(timeoutNs: number): { waiterGot: number; stealerRounds: number } {
    const sim = new Simulation({ lockCosts: { wakeup_ns: 1000, rwsem_wait_timeout_ns: timeoutNs } });
    const s = new RwSemaphore(sim, 'inode_lock');
    let waiterGot = -1;
    let rounds = 0;
    sim.spawn('stealer', function* (p) {
      for (let i = 0; i < 20_000; i++) { // 10 ms of back-to-back 500 ns holds
        yield s.downWrite(p);
        rounds++;
        yield p.sleep(500);
        s.upWrite(p); // re-locks at once: steals from the woken waiter still in transit
        if (waiterGot >= 0) break;
      }
    });
    sim.spawn('waiter', function* (p) {
      yield p.sleep(1);
      yield s.downWrite(p);
      waiterGot = sim.now;
      s.upWrite(p);
    });
    sim.run();
    return { waiterGot, stealerRounds: rounds };
  }
  const withHandoff = starve(4_000_000);
  assert.ok(withHandoff.stealerRounds < 8_010 && withHandoff.waiterGot >= 4_000_000 && withHandoff.waiterGot < 4_000_000 + 2_000, `hand-off at ${withHandoff.waiterGot}`);
  const without = starve(1e12);
  assert.equal(without.stealerRounds, 20_000);
  assert.ok(without.waiterGot >= 10_000_000, `without hand-off the waiter waits for the stealer to stop (${without.waiterGot})`);
});

test('rwlock: a queued writer stops new readers; consecutive readers enter together', () => {
  const sim = new Simulation({ cpus: 8 });
  const l = new RwLock(sim, 'mmu_lock');
  const log: string[] = [];
  sim.spawn('r1', function* (p) {
    yield l.readLock(p);
    yield p.compute(100);
    l.readUnlock(p);
  });
  sim.spawn('w', function* (p) {
    yield p.compute(10);
    yield l.writeLock(p);
    log.push(`w@${sim.now}`);
    yield p.compute(50);
    l.writeUnlock(p);
  });
  for (const [n, t] of [['r2', 20], ['r3', 30]] as const) sim.spawn(n, function* (p) {
    yield p.compute(t);
    yield l.readLock(p);
    log.push(`${n}@${sim.now}`);
    yield p.compute(5);
    l.readUnlock(p);
  });
  sim.run();
  assert.deepEqual(log, ['w@100', 'r2@150', 'r3@150']);
  const snap = sim.stats.snapshot();
  const w = snap['mmu_lock.wait_ns{mode=write}'];
  assert.ok(w.type === 'histogram' && w.max === 90);
});

test('rwlock holders keep their CPU; waiters spin on theirs', () => {
  const sim = new Simulation({ cpus: 2 });
  const l = new RwLock(sim, 'mmu_lock');
  let ranAt = -1;
  sim.spawn('writer', function* (p) {
    yield l.writeLock(p);
    yield p.sleep(100); // keeps the CPU (atomic)
    l.writeUnlock(p);
  });
  sim.spawn('reader', function* (p) {
    yield l.readLock(p); // spins on CPU 2
    l.readUnlock(p);
  });
  sim.spawn('bystander', function* (p) {
    ranAt = sim.now; // no CPU before t=100
    yield p.compute(1);
  });
  sim.run();
  assert.equal(ranAt, 100);
});

test('rwsem: a writer spins on a running write owner and takes over after poll + cacheline', () => {
  const sim = new Simulation({ cpus: 4, lockCosts: { spin_poll_ns: 30, cacheline_ns: 20, sleep_ns: 1000, wakeup_ns: 5000 } });
  const s = new RwSemaphore(sim, 'filemap_invalidate_lock');
  let got = -1;
  let how = '';
  sim.spawn('owner', function* (p) {
    yield s.downWrite(p);
    yield p.compute(100);
    how = sim.blocked().find((b) => b.name === 'w2')!.waitsOn;
    s.upWrite(p);
  });
  sim.spawn('w2', function* (p) {
    yield p.compute(10);
    yield s.downWrite(p);
    got = sim.now;
    s.upWrite(p);
  });
  sim.run();
  assert.match(how, /spinning/);
  assert.equal(got, 150);
});

test('rwsem: readers never spin, and a queued reader is not starved by spinning writers past RWSEM_WAIT_TIMEOUT', () => {
  const sim = new Simulation({ cpus: 4, lockCosts: { wakeup_ns: 1000, rwsem_wait_timeout_ns: 4_000_000 } });
  const s = new RwSemaphore(sim, 'inode_lock');
  let readerGot = -1;
  let how = '';
  for (const n of ['w1', 'w2']) sim.spawn(n, function* (p) {
    while (readerGot < 0) {
      yield s.downWrite(p);
      yield p.compute(500);
      s.upWrite(p);
    }
  });
  sim.spawn('reader', function* (p) {
    yield p.sleep(10);
    yield s.downRead(p);
    readerGot = sim.now;
    s.upRead(p);
  });
  sim.at(20, () => { how = sim.blocked().find((b) => b.name === 'reader')!.waitsOn; });
  sim.run();
  assert.match(how, /sleeping/);
  assert.ok(readerGot >= 4_000_000 && readerGot <= 4_000_000 + 1500, `reader got it at ${readerGot}`);
});

test('rwsem: two punchers with writer spinning lose aggregate throughput when hand-offs cost', () => {
  function punchers(threads: number, punches: number): number {
    const sim = new Simulation({ cpus: 2, lockCosts: { spin_poll_ns: 300, cacheline_ns: 300 } });
    const s = new RwSemaphore(sim, 'inode_lock');
    for (let t = 0; t < threads; t++) sim.spawn(`punch${t}`, function* (p) {
      for (let i = 0; i < punches; i++) {
        yield s.downWrite(p);
        yield p.compute(520);
        s.upWrite(p);
      }
    });
    return sim.run().now;
  }
  assert.equal(punchers(1, 2000), 2000 * 520);
  const two = punchers(2, 1000);
  assert.ok(two > 2000 * 520 && two / 1000 > 2000, `two threads: ${two / 1000} ns per punch per thread`);
});
