// Issue 14's capacity loop: balloon on its 2-CPU host at 1, 2, 4 and 8 VMs. The sweep must see
// the point where the vCPUs stop getting their work done (`saturated`) and put the knee of
// `fault.latency_ns.p99<=50us` below it, however good the saturated points' latency looks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAxes } from '../../sim/run/grid.js';
import { parseSlo } from '../../sim/run/knee.js';
import { runSweep } from '../../sim/run/sweep.js';
import { planSweep } from '../../sim/run/sweep-plan.js';

test('balloon: the knee lies below the first saturated VM count', { timeout: 240_000 }, async () => {
  const plan = planSweep({ workload: 'balloon', sets: [], axes: parseAxes(['vms.count=1,2,4,8']), replications: 1, slo: parseSlo('fault.latency_ns.p99<=50us') });
  const { document } = await runSweep(plan, { workers: 2 });
  const counts = document.points.map((p) => p.params['vms.count'] as number);
  assert.deepEqual(counts, [1, 2, 4, 8]);
  const saturatedAt = document.points.findIndex((p) => p.warnings.includes('saturated'));
  assert.ok(saturatedAt > 0, `saturated from ${String(counts[saturatedAt])} VMs: expected from some count above 1 up to 8`);
  // Once saturated, it stays so: more VMs on the same two CPUs never get more work done.
  for (const p of document.points.slice(saturatedAt)) assert.ok(p.warnings.includes('saturated'), `${String(p.params['vms.count'])} VMs: ${p.warnings.join(',')}`);
  // The knee is below the first saturated count: a count under it, or none at all when even one
  // VM misses the SLO on its own latency (balloon's populate makes one VM's faults wait).
  const [knee] = document.knees;
  if (knee.knee === null) assert.equal(document.points[0].slo?.reason, 'slo', 'no knee: the smallest count misses the SLO on its latency');
  else assert.ok((knee.knee as number) < counts[saturatedAt], `knee ${String(knee.knee)} below ${counts[saturatedAt]}`);
  // No point from the first saturated one on meets the SLO, whatever its p99 says.
  for (const p of document.points.slice(saturatedAt)) {
    assert.equal(p.slo?.meets, false);
    assert.equal(p.slo?.reason, 'saturated');
  }
});
