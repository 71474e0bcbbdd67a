// kvm_mmu_page_fault's state machine takes restrictedmem_get_page without a generator
// (RestrictedmemBinding.getPfnBegin/getPfnEnd) when no folio lock is in the way. That path must
// wait, change state and record exactly as the getPfn generator does: every built-in workload
// that runs v10 gives the same metrics.json bytes with the generator-free path and without it
// (the binding's getPfnBegin removed, so every fault steps restrictedmem_get_page's generator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listBuiltinWorkloads, loadWorkload } from '../../sim/workload/load.js';
import { runWorkload } from '../../sim/run/runner.js';
import { canonicalJson } from '../../sim/output/canonical-json.js';
import { RestrictedmemBinding } from '../../sim/model/kvm-restrictedmem.js';
import { setsFor } from '../workload/small-runs.js';

const EXTRA: Record<string, string[]> = {
  'vm-boot, 8 vCPUs on 3 CPUs': ['vms.memory=8MiB', 'vms.vcpus=8', 'host.cpus=3', 'host.memory=256MiB'],
  'vm-boot, THP always': ['vms.memory=16MiB', 'vms.vcpus=8', 'host.cpus=8', 'host.memory=256MiB', 'host.thp=always'],
};

async function metricsBytes(name: string, sets: string[]): Promise<{ bytes: string; faults: number }> {
  const out = await runWorkload({ workload: loadWorkload(name, { seed: 1, sets, variant: 'v10' }) });
  const latency = out.metrics.metrics['fault.latency_ns'] as { count?: number } | undefined;
  return { bytes: canonicalJson(out.metrics), faults: latency?.count ?? 0 };
}

/** The same run with every restrictedmem_get_page going through its generator. */
async function withGeneratorGetPfn(name: string, sets: string[]): Promise<string> {
  const proto = RestrictedmemBinding.prototype as { getPfnBegin?: unknown };
  const begin = proto.getPfnBegin;
  proto.getPfnBegin = undefined;
  try {
    return (await metricsBytes(name, sets)).bytes;
  } finally {
    proto.getPfnBegin = begin;
  }
}

const cases: Array<[string, string, string[]]> = [
  ...listBuiltinWorkloads().map((b): [string, string, string[]] => [b.name, b.name, setsFor(b.name)]),
  ...Object.entries(EXTRA).map(([label, sets]): [string, string, string[]] => [label, label.split(',')[0], sets]),
];

test('the check covers the built-in workloads and faults in vm-boot', async () => {
  assert.ok(cases.length >= 11, `only ${cases.length} cases`);
  const boot = await metricsBytes('vm-boot', setsFor('vm-boot'));
  assert.ok(boot.faults > 0, 'vm-boot recorded no fault latency');
});

for (const [label, name, sets] of cases) {
  test(`restrictedmem_get_page without a generator changes no byte of metrics.json: ${label}`, async () => {
    const fast = (await metricsBytes(name, sets)).bytes;
    assert.equal(await withGeneratorGetPfn(name, sets), fast);
  });
}
