// Spinlock (qspinlock.c) FIFO hand-off and SRCU (srcutree.c) grace periods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Spinlock, Srcu, StallError } from '../../sim/engine/index.js';

test('spinlock: contenders get it in arrival order, each hand-off costs cacheline_ns', () => {
  const sim = new Simulation({ cpus: 4, lockCosts: { cacheline_ns: 7 } });
  const l = new Spinlock(sim, 'xa_lock');
  const log: string[] = [];
  for (const [n, t] of [['a', 0], ['c', 2], ['b', 1]] as const) sim.spawn(n, function* (p) {
    yield p.compute(t);
    yield l.lock(p);
    log.push(`${n}@${sim.now}`);
    yield p.compute(10);
    l.unlock(p);
  });
  sim.run();
  assert.deepEqual(log, ['a@0', 'b@17', 'c@34']);
});

test('srcu: synchronize waits only for readers that began before it', () => {
  const sim = new Simulation();
  const s = new Srcu(sim, 'kvm_srcu');
  const log: string[] = [];
  sim.spawn('old-reader', function* (p) {
    const i = s.readLock(p);
    yield p.sleep(100);
    s.readUnlock(p, i);
  });
  sim.spawn('syncer', function* (p) {
    yield p.sleep(50);
    yield s.synchronize(p);
    log.push(`sync@${sim.now}`);
  });
  sim.spawn('new-reader', function* (p) {
    yield p.sleep(60);
    const i = s.readLock(p); // never blocks, even with a grace period pending
    log.push(`new-reader in@${sim.now}`);
    yield p.sleep(1000);
    s.readUnlock(p, i);
  });
  sim.run();
  assert.deepEqual(log, ['new-reader in@60', 'sync@100']);
});

test('srcu: a grace period with no readers still costs srcu_gp_ns; concurrent synchronizers', () => {
  const sim = new Simulation({ lockCosts: { srcu_gp_ns: 300 } });
  const s = new Srcu(sim, 'kvm_srcu');
  const done: number[] = [];
  sim.spawn('r', function* (p) {
    const i = s.readLock(p);
    yield p.sleep(1000);
    s.readUnlock(p, i);
  });
  sim.spawn('s1', function* (p) {
    yield p.sleep(10);
    yield s.synchronize(p); // waits for r: 1000
    done.push(sim.now);
  });
  sim.spawn('s2', function* (p) {
    yield p.sleep(2000);
    yield s.synchronize(p); // no readers: 2000 + 300
    done.push(sim.now);
  });
  sim.run();
  assert.deepEqual(done, [1000, 2300]);
});

test('srcu: a reader that never leaves stalls the synchronizer, and the stall names it', () => {
  const sim = new Simulation();
  const s = new Srcu(sim, 'kvm_srcu');
  sim.spawn('leaky-reader', function* (p) {
    s.readLock(p);
    yield p.sleep(1);
  });
  sim.spawn('syncer', function* (p) {
    yield s.synchronize(p);
  });
  assert.throws(() => sim.run(), (e: unknown) => e instanceof StallError && /srcu kvm_srcu.*leaky-reader/.test(e.message));
});

test("srcu: a synchronizer's grace-period wait reaches the operation it runs in (its lockWaitSink)", () => {
  const sim = new Simulation({ lockCosts: { srcu_gp_ns: 30 } });
  const s = new Srcu(sim, 'kvm_srcu');
  const seen: [string, number][] = [];
  sim.spawn('reader', function* (p) {
    const i = s.readLock(p);
    yield p.sleep(100);
    s.readUnlock(p, i);
  });
  sim.spawn('syncer', function* (p) {
    p.lockWaitSink = { waited: (lock, ns) => seen.push([lock, ns]) };
    yield p.sleep(40);
    yield s.synchronize(p); // the reader leaves at 100: 60 ns of waiting
    p.lockWaitSink = null;
  });
  sim.run();
  assert.deepEqual(seen, [['kvm_srcu', 60]]);
});
