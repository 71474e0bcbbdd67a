// SRCU (sim/engine/locks/srcu.ts, srcutree.c): which readers a grace period waits for, its
// statistics (read and sync modes, the synchronizers' queue length over time), interrupting a
// synchronizer, and the misuse errors. Times worked out by hand: a synchronizer waits for every
// reader of the epochs up to the one it closed, and returns no earlier than start + srcu_gp_ns (30).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Srcu, Interrupt, type Process } from '../../sim/engine/index.js';
import { misuseErrors } from './misuse-errors.js';
import { statsLookup } from './stats-lookup.js';

function setup() {
  const sim = new Simulation({ lockCosts: { srcu_gp_ns: 30 } });
  const s = new Srcu(sim, 'kvm_srcu');
  const log: string[] = [];
  const reader = (name: string, at: number, hold: number) =>
    sim.spawn(name, function* (p: Process) {
      yield p.sleep(at);
      const i = s.readLock(p);
      yield p.sleep(hold);
      s.readUnlock(p, i);
    });
  const syncer = (name: string, at: number) =>
    sim.spawn(name, function* (p: Process) {
      yield p.sleep(at);
      try {
        yield s.synchronize(p);
      } catch (e) {
        assert.ok(e instanceof Interrupt);
        log.push(`${name} interrupted@${sim.now}`);
        return;
      }
      log.push(`${name} done@${sim.now}`);
    });
  const { stat } = statsLookup(sim);
  return { sim, s, log, reader, syncer, stat };
}

test('srcu: grace periods wait for the readers of the epochs they close, with exact statistics', () => {
  const { sim, log, reader, syncer, stat } = setup();
  reader('R1', 0, 100); // epoch 0, 0-100
  reader('R2', 10, 20); // epoch 0, 10-30
  syncer('S1', 40); // closes epoch 0: waits for R1 -> 100 (later than 40 + 30)
  reader('R3', 50, 200); // epoch 1, 50-250
  syncer('S2', 60); // closes epoch 1: waits for R1 and R3 -> 250
  syncer('S3', 300); // no readers: 300 + 30
  sim.run();
  assert.deepEqual(log, ['S1 done@100', 'S2 done@250', 'S3 done@330']);
  assert.deepEqual(stat('kvm_srcu.acquisitions{mode=read}'), { type: 'counter', value: 3 });
  const rw = stat('kvm_srcu.wait_ns{mode=read}');
  assert.ok(rw.type === 'histogram');
  assert.deepEqual([rw.count, rw.max], [3, 0]);
  const rh = stat('kvm_srcu.hold_ns{mode=read}');
  assert.ok(rh.type === 'histogram');
  assert.deepEqual([rh.count, rh.min, rh.max, rh.sum], [3, 20, 200, 320]);
  assert.deepEqual(stat('kvm_srcu.acquisitions{mode=sync}'), { type: 'counter', value: 3 });
  assert.deepEqual(stat('kvm_srcu.contended{mode=sync}'), { type: 'counter', value: 3 });
  const sw = stat('kvm_srcu.wait_ns{mode=sync}');
  assert.ok(sw.type === 'histogram');
  assert.deepEqual([sw.count, sw.min, sw.max, sw.sum], [3, 30, 190, 60 + 190 + 30]);
  const q = stat('kvm_srcu.queue_len');
  assert.ok(q.type === 'gauge');
  // S3 joins and leaves the queue at 300 at once: no change shows.
  assert.deepEqual(q.series, [[0, 0], [40, 1], [60, 2], [100, 1], [250, 0]]);
});

test('srcu: an interrupted synchronizer leaves the queue; the others still wait for their readers', () => {
  const { sim, log, reader, syncer, stat } = setup();
  reader('R1', 0, 100);
  syncer('S1', 40);
  const s2 = syncer('S2', 60);
  sim.at(70, () => s2.interrupt());
  sim.run();
  assert.deepEqual(log, ['S2 interrupted@70', 'S1 done@100']);
  const q = stat('kvm_srcu.queue_len');
  assert.ok(q.type === 'gauge');
  assert.deepEqual(q.series, [[0, 0], [40, 1], [60, 2], [70, 1], [100, 0]]);
});

test('srcu misuse: an unlock with another epoch\'s index or by a process that holds none, and a retry, are errors', () => {
  const { sim, s } = setup();
  const { errors, attempt } = misuseErrors();
  sim.spawn('A', function* (p: Process) {
    const i = s.readLock(p); // epoch 0
    attempt(() => s.readUnlock(p, i + 1)); // no reader in epoch 1
    yield p.sleep(10);
  });
  sim.spawn('B', function* (p: Process) {
    yield p.sleep(5);
    attempt(() => s.readUnlock(p, 0)); // epoch 0 has a reader, but not B
    attempt(() => s.retry());
  });
  sim.run();
  assert.deepEqual(errors, [
    'A: srcu_read_unlock(kvm_srcu, 1) without a matching srcu_read_lock',
    'B: srcu_read_unlock(kvm_srcu, 0) without a matching srcu_read_lock',
    'synchronize_srcu waiters are never woken to retry',
  ]);
});

test('srcu: a synchronizer with no readers joins the queue for an instant: the queue length peaks at 1', () => {
  const { sim, log, syncer, stat } = setup();
  syncer('S', 5);
  sim.run();
  assert.deepEqual(log, ['S done@35']);
  const q = stat('kvm_srcu.queue_len');
  assert.ok(q.type === 'gauge');
  // Joined and released at 5: the series shows no change, the peak does (metrics.json keeps it).
  assert.deepEqual([q.max, q.last, q.series], [1, 0, [[0, 0]]]);
});
