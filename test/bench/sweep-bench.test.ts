// The sweep benchmark at a tiny size: it runs, its grid is seeds of one configuration, both worker counts are
// timed the same way (a fresh worker pool each) and give byte-identical sweep.json, and its
// breakdown adds up. (Its speed is measured by the lead with `rmsim bench sweep` on an idle
// machine, never asserted here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchGrid, runSweepBench, EQUAL_COST_SPREAD, SWEEP_BENCH_METHOD } from '../../bench/sweep/run.js';

test('sweep benchmark: seeds 1..n of one configuration; tiny run is identical on 1 and 2 workers', { timeout: 120_000 }, async () => {
  assert.equal(benchGrid(16), 'seed=1..16');
  const r = await runSweepBench({ trials: 1, points: 2, duration: '1ms' });
  assert.equal(r.identical, true);
  assert.equal(r.grid.runs, 2);
  assert.equal(r.method, SWEEP_BENCH_METHOD);
  assert.ok(r.one_worker_s > 0 && r.two_workers_s > 0 && Number.isFinite(r.ratio));
  assert.equal(r.meets, r.ratio >= r.target);
  assert.ok(r.machine.cores >= 1 && r.machine.node_version.startsWith('v'));
  // One entry per point, in grid order, each with the events its run dispatched.
  assert.deepEqual(r.grid.per_point.map((p) => p.value), ['1', '2']);
  for (const p of r.grid.per_point) assert.ok(p.events > 0 && p.run_s > 0, JSON.stringify(p));
  assert.equal(r.grid.equal_cost, r.grid.cost_spread <= EQUAL_COST_SPREAD);
  // elapsed = runs / workers + what lies outside the runs, on each side.
  for (const [t, workers] of [[r.breakdown.one_worker, 1], [r.breakdown.two_workers, 2]] as const) {
    assert.ok(Math.abs(t.elapsed_s - (t.runs_s / workers + t.outside_runs_s)) < 1e-3, JSON.stringify(t));
    assert.ok(t.runs_s > 0 && t.cpu_s > 0, JSON.stringify(t));
  }
  assert.equal(r.all_trials.length, 1);
  assert.equal(r.one_worker_s, r.all_trials[0].one_worker.elapsed_s);
});
