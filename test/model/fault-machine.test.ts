// kvm_mmu_page_fault's state machine takes the binding's page lookup without a generator
// (getPfnBegin/getPfnEnd: v10's restrictedmem_get_page when no folio lock is in the way,
// guest_memfd's kvm_gmem_get_pfn) where it can. That path must wait, change state and record
// exactly as the getPfn generator does: every built-in workload gives the same metrics.json bytes
// with the generator-free path and without it (getPfnBegin removed from both bindings, so every
// fault steps the getPfn generator), under v10 and under guest_memfd where the workload allows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listBuiltinWorkloads, loadWorkload } from '../../sim/workload/load.js';
import { runWorkload, variantFor } from '../../sim/run/runner.js';
import { canonicalJson } from '../../sim/output/canonical-json.js';
import { UsageError } from '../../sim/errors.js';
import { RestrictedmemBinding } from '../../sim/model/kvm-restrictedmem.js';
import { GmemBinding } from '../../sim/model/guest-memfd.js';
import { setsFor } from '../workload/small-runs.js';

const VARIANTS = ['v10', 'guest_memfd'];
const EXTRA: Record<string, string[]> = {
  'vm-boot, 8 vCPUs on 3 CPUs': ['vms.memory=8MiB', 'vms.vcpus=8', 'host.cpus=3', 'host.memory=256MiB'],
  'vm-boot, THP always': ['vms.memory=16MiB', 'vms.vcpus=8', 'host.cpus=8', 'host.memory=256MiB', 'host.thp=always'],
};

async function metricsBytes(name: string, sets: string[], variant: string): Promise<{ bytes: string; faults: number }> {
  const out = await runWorkload({ workload: loadWorkload(name, { seed: 1, sets, variant }) });
  const latency = out.metrics.metrics['fault.latency_ns'] as { count?: number } | undefined;
  return { bytes: canonicalJson(out.metrics), faults: latency?.count ?? 0 };
}

/** The same run with every page lookup going through the binding's getPfn generator. */
async function withGeneratorGetPfn(name: string, sets: string[], variant: string): Promise<string> {
  const protos = [RestrictedmemBinding.prototype, GmemBinding.prototype] as Array<{ getPfnBegin?: unknown }>;
  const saved = protos.map((q) => q.getPfnBegin);
  for (const q of protos) q.getPfnBegin = undefined;
  try {
    return (await metricsBytes(name, sets, variant)).bytes;
  } finally {
    protos.forEach((q, i) => (q.getPfnBegin = saved[i]));
  }
}

/** The workload, with these overrides, runs under the variant (some refuse one). */
function allows(name: string, sets: string[], variant: string): boolean {
  try {
    variantFor(loadWorkload(name, { variant, seed: 1, sets }));
    return true;
  } catch (err) {
    if (err instanceof UsageError) return false;
    throw err;
  }
}

const cases: Array<[string, string, string[], string]> = [];
for (const variant of VARIANTS) {
  for (const b of listBuiltinWorkloads()) if (allows(b.name, setsFor(b.name), variant)) cases.push([b.name, b.name, setsFor(b.name), variant]);
  for (const [label, sets] of Object.entries(EXTRA)) if (allows(label.split(',')[0], sets, variant)) cases.push([label, label.split(',')[0], sets, variant]);
}

test('the check covers the built-in workloads under both backends, and vm-boot faults', async () => {
  for (const variant of VARIANTS) assert.ok(cases.filter((c) => c[3] === variant).length >= 8, `few cases under ${variant}`);
  for (const variant of VARIANTS) assert.ok((await metricsBytes('vm-boot', setsFor('vm-boot'), variant)).faults > 0, `vm-boot under ${variant} recorded no fault latency`);
});

for (const [label, name, sets, variant] of cases) {
  test(`the page lookup without a generator changes no byte of metrics.json: ${label} (${variant})`, async () => {
    const fast = (await metricsBytes(name, sets, variant)).bytes;
    assert.equal(await withGeneratorGetPfn(name, sets, variant), fast);
  });
}
