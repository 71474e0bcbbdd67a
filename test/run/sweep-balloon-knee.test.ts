// Issue 14's capacity loop: balloon on its 2-CPU host at 1, 2, 4 and 8 VMs. The sweep must see
// the point where the vCPUs stop getting their work done (`saturated`) and put the knee of
// `fault.latency_ns.p99<=50us` below it, however good the saturated points' latency looks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAxes } from '../../sim/run/grid.js';
import { parseSlo } from '../../sim/run/knee.js';
import { runSweep } from '../../sim/run/sweep.js';
import { planSweep } from '../../sim/run/sweep-plan.js';

test('balloon: the knee lies below the first saturated VM count', { timeout: 240_000 }, async (t) => {
  const plan = planSweep({ workload: 'balloon', sets: [], axes: parseAxes(['vms.count=1,2,4,8']), replications: 1, slo: parseSlo('fault.latency_ns.p99<=50us') });
  const { document } = await runSweep(plan, { workers: 2 });
  const counts = document.points.map((p) => p.params['vms.count'] as number);
  const saturatedAt = document.points.findIndex((p) => p.warnings.includes('saturated'));
  if (saturatedAt < 0 && document.points.every((p) => p.runs.every((r) => r.warnings.length === 0))) {
    // Runs that report no warnings at all predate honest runs (issue 14 point 1).
    t.skip('no run reports warnings: metrics.json has no saturated detection yet');
    return;
  }
  assert.ok(saturatedAt > 0, `saturated from ${counts[saturatedAt]} VMs: expected from some count above 1 up to 8`);
  const [knee] = document.knees;
  assert.ok(knee.knee === null || (knee.knee as number) < counts[saturatedAt], `knee ${String(knee.knee)} below ${counts[saturatedAt]}`);
  // No point from the first saturated one on meets the SLO.
  for (const p of document.points.slice(saturatedAt)) assert.equal(p.slo?.meets, false);
});
