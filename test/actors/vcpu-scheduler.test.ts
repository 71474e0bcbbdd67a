// The vCPU scheduler (sim/actors/vcpu-scheduler.ts, asked for here by the run's vcpuScheduler option) gives the same metrics.json
// bytes as every wait through the engine's heap (batching off), and so it does when it hands
// every owned vCPU back to the engine, at its exact key, after every k phases of a batch (the
// vCPUs join again at their next access), for several k. Shapes: every built-in workload with
// vCPUs, more vCPUs than CPUs, THP, think time, guest_memfd with tdp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWorkload } from '../../sim/workload/load.js';
import { runWorkload } from '../../sim/run/runner.js';
import { canonicalJson } from '../../sim/output/canonical-json.js';
import { VcpuScheduler } from '../../sim/actors/vcpu-scheduler.js';

const SHAPES: Record<string, { name: string; variant?: string; sets: string[] }> = {
  'vm-boot, 8 vCPUs on 8 CPUs': { name: 'vm-boot', sets: ['vms.memory=8MiB', 'vms.vcpus=8', 'host.cpus=8', 'host.memory=256MiB'] },
  'vm-boot, 8 vCPUs on 3 CPUs': { name: 'vm-boot', sets: ['vms.memory=8MiB', 'vms.vcpus=8', 'host.cpus=3', 'host.memory=256MiB'] },
  'vm-boot, THP always': { name: 'vm-boot', sets: ['vms.memory=16MiB', 'vms.vcpus=8', 'host.cpus=8', 'host.memory=256MiB', 'host.thp=always'] },
  'vm-boot, 4 vCPUs, think time': { name: 'vm-boot', sets: ['vms.memory=4MiB', 'vms.vcpus=4', 'host.memory=256MiB', 'actors.boot.think=300ns'] },
  'vm-boot, guest_memfd + tdp': { name: 'vm-boot', variant: 'guest_memfd+tdp', sets: ['vms.memory=8MiB', 'vms.vcpus=8', 'host.cpus=4', 'host.memory=256MiB'] },
  'conversion-storm': { name: 'conversion-storm', sets: ['duration=2ms', 'host.memory=512MiB'] },
  'memory-failure': { name: 'memory-failure', sets: ['duration=3ms', 'host.memory=512MiB', 'vms.count=4'] },
  'memslot-churn': { name: 'memslot-churn', sets: ['duration=2ms', 'host.memory=512MiB'] },
  'balloon': { name: 'balloon', sets: ['duration=2ms', 'host.memory=512MiB'] },
  'intra-host-migration': { name: 'intra-host-migration', sets: ['duration=2ms', 'host.memory=512MiB'] },
};
const EVERY = [1, 2, 3, 7, 50];

type Proto = { run(this: unknown): void; handBackAll(this: unknown): void };
const proto = VcpuScheduler.prototype as unknown as Proto;

/** metrics.json bytes, and how many batches ran and handed every vCPU back. */
async function metrics(shape: string, batching: boolean, every = 0): Promise<{ bytes: string; batches: number; handBacks: number; phases: number }> {
  const { name, variant, sets } = SHAPES[shape];
  const run = proto.run;
  const handBackAll = proto.handBackAll;
  let batches = 0;
  let handBacks = 0;
  let phases = 0;
  proto.run = function () {
    batches++;
    run.call(this);
    phases = (this as { phases: number }).phases;
  };
  proto.handBackAll = function () {
    handBacks++;
    handBackAll.call(this);
  };
  try {
    const out = await runWorkload({ workload: loadWorkload(name, { seed: 1, sets, variant }), batching, vcpuScheduler: { handBackEvery: every } });
    return { bytes: canonicalJson(out.metrics), batches, handBacks, phases };
  } finally {
    proto.run = run;
    proto.handBackAll = handBackAll;
  }
}

for (const shape of Object.keys(SHAPES)) {
  test(`vCPUs handed back after every k phases give the same metrics.json bytes: ${shape}`, async () => {
    const off = await metrics(shape, false);
    assert.equal(off.batches, 0, 'with batching off no batch runs');
    const on = await metrics(shape, true);
    assert.ok(on.batches > 0, 'no batch ran');
    assert.equal(on.bytes, off.bytes, 'batches without hand-backs');
    for (const k of EVERY) {
      const r = await metrics(shape, true, k);
      assert.ok(r.handBacks > 0 || (k > 1 && r.phases < 2 * k), `k=${k}: nothing was handed back in ${r.phases} phases`);
      assert.equal(r.bytes, off.bytes, `k=${k}`);
    }
  });
}
