// The benchmark's workloads do what they claim (no timing here: the benchmark measures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ceilingWorkload, mutexFloorWorkload, mutexWorkload, timeoutsWorkload } from '../../bench/engine/workloads.js';

test('the ceiling replays exactly the timeouts workload\'s draws (same end time, same count)', () => {
  const a = timeoutsWorkload(100, 20_000, 5);
  const c = ceilingWorkload(100, 20_000, 5);
  assert.equal(a.ops, 20_000);
  assert.equal(c.ops, 20_000);
  assert.equal(c.endNs, a.endNs);
  // about 200 timeouts of mean 1000 ns each per process
  assert.ok(a.endNs > 150_000 && a.endNs < 260_000, `end ${a.endNs}`);
});

test('the mutex workload performs every acquisition under contention', () => {
  const r = mutexWorkload(16, 16_000, 5);
  assert.equal(r.ops, 16_000);
  // 16 threads, 1 us hold, 16 us think: the lock is busy most of the time
  assert.ok(r.endNs > 16_000 * 1000 * 0.9, `end ${r.endNs}`);
});

test('the mutex floor replays workload (b) exactly: same end time, dispatches and acquisitions, for several seeds', () => {
  for (const seed of [1, 5, 9]) {
    const b = mutexWorkload(16, 32_000, seed);
    const f = mutexFloorWorkload(16, 32_000, seed);
    assert.deepEqual([f.endNs, f.events, f.ops], [b.endNs, b.events, b.ops], `seed ${seed}`);
  }
});

test('a small engine benchmark run reports both process forms and checks they agree', async () => {
  const { runEngineBench } = await import('../../bench/engine/run.js');
  const r = runEngineBench({ events: 20_000, procs: 50, acquisitions: 16_000, trials: 1, noSimpy: true });
  for (const k of ['timeouts_events_per_s', 'timeouts_actor_events_per_s', 'ceiling_events_per_s', 'mutex_acquisitions_per_s', 'mutex_actor_acquisitions_per_s', 'mutex_floor_acquisitions_per_s'] as const) {
    assert.ok(Number.isFinite(r[k]) && r[k] > 0, `${k} = ${r[k]}`);
  }
  assert.ok(Math.abs(r.ratio_to_ceiling_actor - r.timeouts_actor_events_per_s / r.ceiling_events_per_s) < 1e-3, 'the ratio is of the reported rates');
  assert.ok(r.mutex_events_per_acquisition > 2 && r.mutex_events_per_acquisition < 3.5, `${r.mutex_events_per_acquisition} events/acquisition`);
  assert.equal(typeof r.meets.mutex_actor_acquisitions_per_s, 'boolean');
  assert.equal(r.samples_ms.mutex_actor.length, 1);
  assert.equal(r.harness.isolation, 'child-process-per-group');
});

test('the in-process harness times the same tasks and checks the same replays', async () => {
  const { runEngineBench } = await import('../../bench/engine/run.js');
  const r = runEngineBench({ events: 20_000, procs: 50, acquisitions: 16_000, trials: 2, noSimpy: true, inProcess: true });
  assert.equal(r.harness.isolation, 'in-process');
  for (const k of ['ceiling', 'timeouts', 'timeouts_actor', 'ceiling_predrawn', 'mutex_floor', 'mutex', 'mutex_actor'] as const) {
    assert.equal(r.samples_ms[k].length, 2, k);
  }
});

test('one group alone (bench engine --only mutex) reports its tasks against its floor, replays checked', async () => {
  const { runEngineGroup } = await import('../../bench/engine/run.js');
  const r = runEngineGroup('mutex', { acquisitions: 16_000, trials: 2, inProcess: true });
  assert.equal(r.reference, 'mutex_floor');
  assert.deepEqual(Object.keys(r.per_s).sort(), ['mutex', 'mutex_actor', 'mutex_floor']);
  for (const k of ['mutex', 'mutex_actor'] as const) {
    assert.ok(r.per_s[k]! > 0, `${k} = ${r.per_s[k]}`);
    assert.ok(Math.abs(r.ratio[k]! - r.per_s[k]! / r.per_s.mutex_floor!) < 1e-3, `${k}: the ratio is of the reported rates`);
  }
  assert.equal(r.ratio.mutex_floor, 1);
  assert.ok(r.events_per_acquisition! > 2 && r.events_per_acquisition! < 3.5, `${r.events_per_acquisition} events/acquisition`);
  assert.equal(runEngineGroup('timeouts', { events: 20_000, procs: 50, trials: 1, inProcess: true }).events_per_acquisition, null);
});
