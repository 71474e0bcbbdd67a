// Issue 14's capacity loop: balloon on its 2-CPU host at 1, 2, 4 and 8 VMs. The sweep must see
// the point where the vCPUs stop getting their work done (`saturated`) and put the knee of
// `fault.latency_ns.p99<=50us` below it, however good the saturated points' latency looks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAxes } from '../../sim/run/grid.js';
import { parseSlo } from '../../sim/run/knee.js';
import { runSweep } from '../../sim/run/sweep.js';
import { planSweep } from '../../sim/run/sweep-plan.js';

async function capacity(sets: string[], counts: string) {
  const plan = planSweep({ workload: 'balloon', sets, axes: parseAxes([`vms.count=${counts}`]), replications: 1, slo: parseSlo('fault.latency_ns.p99<=50us') });
  const { document } = await runSweep(plan, { workers: 2 });
  const saturatedAt = document.points.findIndex((p) => p.warnings.includes('saturated'));
  assert.ok(saturatedAt >= 0, 'some count saturates two CPUs');
  // Once saturated, it stays so: more VMs on the same two CPUs never get more work done, and
  // no point from there on meets the SLO, whatever its p99 says.
  for (const p of document.points.slice(saturatedAt)) {
    assert.ok(p.warnings.includes('saturated'), `${String(p.params['vms.count'])} VMs: ${p.warnings.join(',')}`);
    assert.deepEqual([p.slo?.meets, p.slo?.reason], [false, 'saturated']);
  }
  return { document, saturatedAt, counts: document.points.map((p) => p.params['vms.count'] as number) };
}

test('balloon: two vCPUs sharing two CPUs with the reporting thread\'s populate are saturated from one VM: no knee', { timeout: 240_000 }, async () => {
  const { document, saturatedAt, counts } = await capacity([], '1,2,4,8');
  assert.deepEqual(counts, [1, 2, 4, 8]);
  assert.equal(saturatedAt, 0);
  assert.deepEqual([document.knees[0].knee, document.points[0].slo?.reason], [null, 'saturated']);
});

test('balloon with one vCPU per VM: the knee lies below the first saturated VM count', { timeout: 240_000 }, async () => {
  const { document, saturatedAt, counts } = await capacity(['vms.vcpus=1'], '1,2,4');
  assert.ok(saturatedAt > 0, `saturated from ${String(counts[saturatedAt])} VMs: expected from some count above 1`);
  const [knee] = document.knees;
  assert.ok(knee.knee !== null && (knee.knee as number) < counts[saturatedAt], `knee ${String(knee.knee)} below ${counts[saturatedAt]}`);
});
