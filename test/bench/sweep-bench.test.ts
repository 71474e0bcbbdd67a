// The sweep benchmark at a tiny size: it runs, its grid is equal-cost and longest first, and
// the two worker counts give byte-identical sweep.json. (Its speed is measured by the lead with
// `rmsim bench sweep` on an idle machine, never asserted here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchGrid, runSweepBench } from '../../bench/sweep/run.js';

test('sweep benchmark: 8 points longest first by default; tiny run is identical on 1 and 2 workers', { timeout: 120_000 }, async () => {
  assert.equal(benchGrid(8), 'host.memory=11GiB,10GiB,9GiB,8GiB,7GiB,6GiB,5GiB,4GiB');
  const r = await runSweepBench({ trials: 1, points: 2, duration: '1ms' });
  assert.equal(r.identical, true);
  assert.equal(r.grid.runs, 2);
  assert.ok(r.one_worker_s > 0 && r.two_workers_s > 0 && Number.isFinite(r.ratio));
  assert.equal(r.meets, r.ratio >= r.target);
  assert.ok(r.machine.cores >= 1 && r.machine.node_version.startsWith('v'));
});
