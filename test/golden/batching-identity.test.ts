// Horizon batching never changes a result (DESIGN.md principle 6): every built-in workload gives
// the same metrics.json bytes with batching on (the default) and off (every wait through the
// engine's heap). Scaled-down sizes by default; the shipped sizes under RMSIM_LONG. A few extra
// shapes put more vCPUs than host CPUs (run-queue waits) and think time between faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listBuiltinWorkloads, loadWorkload } from '../../sim/workload/load.js';
import { runWorkload } from '../../sim/run/runner.js';
import { canonicalJson } from '../../sim/output/canonical-json.js';
import { LONG, setsFor } from '../workload/small-runs.js';

const EXTRA: Record<string, { variant?: string; sets: string[] }> = {
  'vm-boot, 8 vCPUs on 3 CPUs': { sets: ['vms.memory=8MiB', 'vms.vcpus=8', 'host.cpus=3', 'host.memory=256MiB'] },
  'vm-boot, 8 vCPUs on 8 CPUs, THP always': { sets: ['vms.memory=16MiB', 'vms.vcpus=8', 'host.cpus=8', 'host.memory=256MiB', 'host.thp=always'] },
  'vm-boot, 4 vCPUs, think time': { sets: ['vms.memory=4MiB', 'vms.vcpus=4', 'host.memory=256MiB', 'actors.boot.think=300ns'] },
  'vm-boot, guest_memfd + tdp, 8 vCPUs on 4 CPUs': { variant: 'guest_memfd+tdp', sets: ['vms.memory=8MiB', 'vms.vcpus=8', 'host.cpus=4', 'host.memory=256MiB'] },
  'conversion-storm, guest_memfd': { variant: 'guest_memfd', sets: ['duration=2ms', 'host.memory=512MiB'] },
};

async function metricsBytes(name: string, sets: string[], batching: boolean, variant?: string): Promise<string> {
  const out = await runWorkload({ workload: loadWorkload(name, { seed: 1, sets, variant }), batching });
  return canonicalJson(out.metrics);
}

const builtins = listBuiltinWorkloads().map((b) => b.name);

test('the identity check covers the built-in workloads', () => {
  assert.ok(builtins.length >= 9, `only ${builtins.length} built-in workloads`);
  assert.ok(builtins.includes('vm-boot'));
});

for (const name of builtins) {
  test(`batching changes no byte of metrics.json: ${name}${LONG ? ' (as shipped)' : ' (scaled down)'}`, async () => {
    const sets = setsFor(name);
    const on = await metricsBytes(name, sets, true);
    assert.equal(await metricsBytes(name, sets, false), on);
  });
}

for (const [label, { variant, sets }] of Object.entries(EXTRA)) {
  const name = label.split(',')[0];
  test(`batching changes no byte of metrics.json: ${label}`, async () => {
    const on = await metricsBytes(name, sets, true, variant);
    assert.equal(await metricsBytes(name, sets, false, variant), on);
  });
}
