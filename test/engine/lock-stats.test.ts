// What every lock records (sim/engine/locks/lock-stats.ts): the trace spans of holds and waits
// (track, name, times), the labels of a reader/writer lock's statistics, the operation's wait sink
// told only of real waits, and ReadHolders' bookkeeping of repeated read holds. Times by hand:
// lock costs 0, 4 CPUs; a contended waiter gets the lock at the holder's unlock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, RwLock, type Process, type Tracer } from '../../sim/engine/index.js';
import { ReadHolders } from '../../sim/engine/locks/lock-stats.js';

function recordingTracer(): { tracer: Tracer; spans: string[] } {
  const spans: string[] = [];
  const tracer: Tracer = {
    span: (track, name, start, end) => spans.push(`${track} | ${name} | ${start}-${end}`),
    instant: () => {},
    counter: () => {},
  };
  return { tracer, spans };
}

test('trace: a mutex hold is drawn on the lock\'s track as "held by", a wait on the waiter\'s own track', () => {
  const { tracer, spans } = recordingTracer();
  const sim = new Simulation({ cpus: 4, tracer });
  const m = new Mutex(sim, 'm');
  for (const [name, at, hold] of [['A', 0, 10], ['B', 2, 5]] as const) sim.spawn(name, function* (p: Process) {
    yield p.sleep(at);
    yield m.lock(p);
    yield p.compute(hold);
    m.unlock(p);
  });
  sim.run();
  assert.deepEqual(spans.filter((s) => !s.startsWith('cpu')), ['m | held by A | 0-10', 'B | wait m | 2-10', 'm | held by B | 10-15']);
});

test('trace: a reader/writer lock of an owner is drawn on owner/name, holds as "read by"/"written by", waits tagged with their mode', () => {
  const { tracer, spans } = recordingTracer();
  const sim = new Simulation({ cpus: 4, tracer });
  const l = new RwLock(sim, 'mmu_lock', { owner: 'vm0' });
  sim.spawn('W', function* (p: Process) {
    yield l.writeLock(p);
    yield p.compute(10);
    l.writeUnlock(p);
    yield p.sleep(10);
    yield l.writeLock(p); // free again since R's unlock at 14: taken at 20 without a wait span
    l.writeUnlock(p);
  });
  sim.spawn('R', function* (p: Process) {
    yield p.sleep(3);
    yield l.readLock(p);
    yield p.compute(4);
    l.readUnlock(p);
  });
  sim.run();
  assert.deepEqual(spans.filter((s) => !s.startsWith('cpu')), [
    'vm0/mmu_lock | written by W | 0-10',
    'R | wait vm0/mmu_lock (read) | 3-10',
    'vm0/mmu_lock | read by R | 10-14',
    'vm0/mmu_lock | written by W | 20-20',
  ]);
});

test('trace: a contended writer\'s wait is tagged (write)', () => {
  const { tracer, spans } = recordingTracer();
  const sim = new Simulation({ cpus: 4, tracer });
  const l = new RwLock(sim, 'mmu_lock');
  sim.spawn('R', function* (p: Process) {
    yield l.readLock(p);
    yield p.compute(10);
    l.readUnlock(p);
  });
  sim.spawn('W', function* (p: Process) {
    yield p.sleep(4);
    yield l.writeLock(p);
    l.writeUnlock(p);
  });
  sim.run();
  assert.deepEqual(spans.filter((s) => !s.startsWith('cpu')), ['mmu_lock | read by R | 0-10', 'W | wait mmu_lock (write) | 4-10', 'mmu_lock | written by W | 10-10']);
});

test('statistics of a reader/writer lock keep the instance\'s labels beside the mode', () => {
  const sim = new Simulation();
  const l = new RwLock(sim, 'mmu_lock', { labels: { vm: '3' } });
  sim.spawn('R', function* (p: Process) {
    yield l.readLock(p);
    l.readUnlock(p);
  });
  sim.run();
  const keys = Object.keys(sim.stats.snapshot()).filter((k) => k.startsWith('mmu_lock.'));
  assert.deepEqual(keys.sort(), [
    'mmu_lock.acquisitions{mode=read,vm=3}', 'mmu_lock.acquisitions{mode=write,vm=3}',
    'mmu_lock.contended{mode=read,vm=3}', 'mmu_lock.contended{mode=write,vm=3}',
    'mmu_lock.hold_ns{mode=read,vm=3}', 'mmu_lock.hold_ns{mode=write,vm=3}',
    'mmu_lock.queue_len{vm=3}',
    'mmu_lock.wait_ns{mode=read,vm=3}', 'mmu_lock.wait_ns{mode=write,vm=3}',
  ]);
});

test('the wait sink hears of waits only: an uncontended acquisition tells it nothing', () => {
  const sim = new Simulation({ cpus: 4 });
  const l = new RwLock(sim, 'mmu_lock');
  const heard: string[] = [];
  for (const [name, at] of [['A', 0], ['B', 3]] as const) sim.spawn(name, function* (p: Process) {
    p.lockWaitSink = { waited: (lock, ns) => heard.push(`${name} ${lock} ${ns}`) };
    yield p.sleep(at);
    yield l.writeLock(p);
    yield p.compute(10);
    l.writeUnlock(p);
  });
  sim.run();
  assert.deepEqual(heard, ['B mmu_lock 7']);
});

test('ReadHolders: repeated read holds of one process end latest first, each returning its length; an unknown process gets -1', () => {
  const sim = new Simulation();
  const procs: Process[] = [];
  for (const n of ['A', 'B', 'C']) procs.push(sim.spawn(n, function* (p: Process) { yield p.sleep(1); }));
  const [a, b, c] = procs;
  const clock = { now: 0 };
  const h = new ReadHolders(clock);
  assert.deepEqual(h.names(), []);
  h.add(a);
  clock.now = 5;
  h.add(b);
  clock.now = 10;
  h.add(a);
  assert.deepEqual(h.names(), ['A', 'B']);
  clock.now = 12;
  assert.equal(h.remove(c), -1);
  assert.equal(h.remove(a), 2);
  assert.deepEqual(h.names(), ['A', 'B']);
  assert.equal(h.remove(a), 12);
  assert.deepEqual(h.names(), ['B']);
  assert.equal(h.remove(a), -1);
  assert.equal(h.remove(b), 7);
  assert.deepEqual(h.names(), []);
  sim.run();
});

test('ReadHolders: more holders than its first capacity keep their start times (past 2^31 ns too)', () => {
  const sim = new Simulation();
  const procs: Process[] = [];
  for (let i = 0; i < 20; i++) procs.push(sim.spawn(`P${i}`, function* (p: Process) { yield p.sleep(1); }));
  const clock = { now: 2 ** 31 };
  const h = new ReadHolders(clock);
  for (const p of procs) {
    h.add(p);
    clock.now += 3;
  }
  for (let i = 0; i < procs.length; i += 2) assert.equal(h.remove(procs[i]), (procs.length - i) * 3);
  for (let i = 1; i < procs.length; i += 2) assert.equal(h.remove(procs[i]), (procs.length - i) * 3);
  assert.deepEqual(h.names(), []);
  sim.run();
});
