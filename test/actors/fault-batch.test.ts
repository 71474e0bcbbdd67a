// The fault batch (sim/actors/fault-batch.ts, wasm/fault-batch.ts) runs a VM's first-touch
// faults inside WASM only when its vCPUs are alone, and then gives the same metrics.json bytes
// as every wait through the engine's heap (batching off). Shapes it must run: contention on
// mmu_lock at the start (8 vCPUs in step), tdp's read lock, uneven slices, an op budget, part of
// the range, THP advise, huge folios (4 KiB leaves under shadow, 2 MiB under tdp, fallbacks on a
// fragmented host, a misaligned slot, blocks of mixed attributes beside shared chunks), guest_memfd (f_count's line, zeroing), several VMs, more vCPUs than CPUs (the
// batch owns the run queue: vCPUs queued before they join, at every sleep, at their ends). Shapes it
// must leave to the model (and still match): shared memory, think time, the safety checker.
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { loadWorkload } from '../../sim/workload/load.js';
import { runWorkload } from '../../sim/run/runner.js';
import { canonicalJson } from '../../sim/output/canonical-json.js';
import { FaultBatch } from '../../sim/actors/fault-batch.js';
import { Host, type TrailEvent } from '../../sim/model/index.js';

interface Shape {
  variant?: string;
  sets: string[];
  /** Whether the batch runs every fault (true), none (false), or some: its VMs leave at memory-fault exits ('partly'). */
  runs: boolean | 'partly';
  checkSafety?: boolean;
  /** A workload file instead of vm-boot. */
  workload?: string;
  /** Whether memory-fault exits are converted in the batch (v10 under shadow: faults and conversions both write mmu_lock). */
  converts?: boolean;
  /** Whether the batch retries faults a conversion made stale, and hands a vCPU over between a conversion and its refault (its VM leaving). */
  retries?: boolean;
  handsOut?: boolean;
}

/** bench e2e (b): VMs booting while a thread each converts 2 MiB chunks; the VMs join after it ends and leave at each memory-fault exit. */
const TERABYTE = fileURLToPath(new URL('../../../bench/e2e/terabyte-host.yaml', import.meta.url));

/** guest_memfd files filled by fallocate before the vCPUs boot: every fault a hit. */
const GMEM_FILLED = fileURLToPath(new URL('../../../test/actors/fixtures/gmem-filled-boot.yaml', import.meta.url));

const BOOT = ['vms.vcpus=8', 'host.cpus=8', 'host.memory=256MiB'];
const SHAPES: Record<string, Shape> = {
  '8 vCPUs in step (mmu_lock queue at the start)': { sets: ['vms.memory=8MiB', ...BOOT], runs: true },
  'tdp (mmu_lock for read)': { variant: 'v10+tdp', sets: ['vms.memory=8MiB', ...BOOT], runs: true },
  '5 vCPUs, uneven slices': { sets: ['vms.memory=6MiB', 'vms.vcpus=5', 'host.cpus=6', 'host.memory=256MiB'], runs: true },
  'an op budget': { sets: ['vms.memory=8MiB', ...BOOT, 'actors.boot.ops=100'], runs: true },
  'the upper half of the range': { sets: ['vms.memory=8MiB', ...BOOT, 'actors.boot.range.offset=4MiB'], runs: true },
  'THP advise (never huge without a VMA)': { sets: ['vms.memory=8MiB', ...BOOT, 'host.thp=advise'], runs: true },
  'THP always under shadow (huge folios, 4 KiB leaves)': { sets: ['vms.memory=16MiB', ...BOOT, 'host.thp=always'], runs: true },
  'THP always under tdp (2 MiB leaves)': { variant: 'v10+tdp', sets: ['vms.memory=16MiB', ...BOOT, 'host.thp=always'], runs: true },
  'THP within_size under tdp on a fragmented host (fallbacks)': { variant: 'v10+tdp', sets: ['vms.memory=32MiB', ...BOOT, 'host.thp=within_size', 'host.fragmentation=0.9'], runs: true },
  'THP always under tdp, a memslot 4 KiB off 2 MiB (disallow_lpage: 4 KiB leaves)': { variant: 'v10+tdp', sets: ['vms.memory=16MiB', 'vms.vcpus=4', 'host.cpus=4', 'host.memory=256MiB', 'host.thp=always', 'vms.memslots.misalign=4KiB'], runs: true },
  'guest_memfd (f_count\'s line, zeroing, one charge)': { variant: 'guest_memfd', sets: ['vms.memory=8MiB', ...BOOT], runs: true },
  'three VMs in step (one mmu_lock and kvm->srcu each, one allocator)': { sets: ['vms.memory=8MiB', ...BOOT, 'vms.count=3', 'host.cpus=24'], runs: true },
  'two VMs under guest_memfd (a file and its line each)': { variant: 'guest_memfd', sets: ['vms.memory=8MiB', 'vms.vcpus=3', 'host.cpus=6', 'host.memory=256MiB', 'vms.count=2'], runs: true },
  'guest_memfd files fallocated before the boot (every fault finds its folio)': { workload: GMEM_FILLED, variant: 'guest_memfd', sets: [], runs: true },
  '(b) under guest_memfd, 4 KiB pages (folios in the files when the batch starts)': {
    workload: TERABYTE, variant: 'guest_memfd', sets: ['vms.memory=16MiB', 'vms.count=4', 'host.cpus=3', 'host.memory=260MiB', 'host.thp=never', 'actors.convert.ops=5', 'actors.convert.rate=20k/s'], runs: 'partly', converts: true,
  },
  '(b) under guest_memfd converting in the batch, a 5 us ioctl entry: attempts its pre-check finds stale retry there': {
    workload: TERABYTE, variant: 'guest_memfd', sets: ['vms.memory=64MiB', 'vms.count=2', 'host.cpus=2', 'host.memory=200MiB', 'host.thp=never', 'actors.convert.ops=12', 'actors.convert.rate=2M/s', 'costs.kvm.set_attr_fixed_ns=5000'],
    runs: 'partly', converts: true, retries: true,
  },
  'guest_memfd + tdp, 3 vCPUs': { variant: 'guest_memfd+tdp', sets: ['vms.memory=6MiB', 'vms.vcpus=3', 'host.cpus=4', 'host.memory=256MiB'], runs: true },
  'private and shared memory (vCPUs converting the shared half page by page keep their VM out)': { sets: ['vms.memory=8MiB', ...BOOT, 'vms.private_fraction=0.5'], runs: false },
  'more vCPUs than CPUs (the run queue)': { sets: ['vms.memory=8MiB', 'vms.vcpus=8', 'host.cpus=3', 'host.memory=256MiB'], runs: true },
  'four VMs of 2 vCPUs on 3 CPUs, THP within_size, fragmented (bench e2e (b)\'s shape)': {
    sets: ['vms.memory=8MiB', 'vms.vcpus=2', 'vms.count=4', 'host.cpus=3', 'host.memory=256MiB', 'host.thp=within_size', 'host.fragmentation=0.3'], runs: true,
  },
  'guest_memfd + tdp, 5 vCPUs on 2 CPUs': { variant: 'guest_memfd+tdp', sets: ['vms.memory=6MiB', 'vms.vcpus=5', 'host.cpus=2', 'host.memory=256MiB'], runs: true },
  'an op budget, 8 vCPUs on 3 CPUs (ends while others queue)': { sets: ['vms.memory=8MiB', 'vms.vcpus=8', 'host.cpus=3', 'host.memory=256MiB', 'actors.boot.ops=37'], runs: true },
  'three VMs of 3 vCPUs on 4 CPUs under tdp': { variant: 'v10+tdp', sets: ['vms.memory=6MiB', 'vms.vcpus=3', 'vms.count=3', 'host.cpus=4', 'host.memory=256MiB'], runs: true },
  'one CPU for 4 vCPUs': { sets: ['vms.memory=4MiB', 'vms.vcpus=4', 'host.cpus=1', 'host.memory=256MiB'], runs: true },
  '(b) itself: 4 VMs of 2 vCPUs on 3 CPUs, each converting 2 MiB chunks while it boots': {
    workload: TERABYTE, sets: ['vms.memory=16MiB', 'vms.count=4', 'host.cpus=3', 'host.memory=260MiB', 'actors.convert.ops=5', 'actors.convert.rate=20k/s'], runs: 'partly', converts: true,
  },
  '(b) with 4 vCPUs a VM on 2 CPUs (mates finish their fault or go to the engine in their exit)': {
    workload: TERABYTE, sets: ['vms.memory=16MiB', 'vms.count=2', 'vms.vcpus=4', 'host.cpus=2', 'host.memory=132MiB', 'actors.convert.ops=6', 'actors.convert.rate=50k/s'], runs: 'partly',
  },
  '(b) with as many CPUs as vCPUs (nobody waits at a scheduling point)': {
    workload: TERABYTE, sets: ['vms.memory=16MiB', 'vms.count=3', 'vms.vcpus=3', 'host.cpus=9', 'host.memory=200MiB', 'actors.convert.ops=5', 'actors.convert.rate=50k/s'], runs: 'partly', converts: true,
  },
  '(b) converting in the batch, a 5 us ioctl entry: mates\' faults made stale retry there': {
    workload: TERABYTE, sets: ['vms.memory=64MiB', 'vms.count=2', 'host.cpus=2', 'host.memory=200MiB', 'host.thp=never', 'actors.convert.ops=12', 'actors.convert.rate=2M/s', 'costs.kvm.set_attr_fixed_ns=5000'],
    runs: 'partly', converts: true, retries: true,
  },
  '(b) converting in the batch, a 15 us ioctl entry: a VM leaves while a vCPU converts, which refaults in the engine': {
    workload: TERABYTE, sets: ['vms.memory=64MiB', 'vms.count=2', 'host.cpus=4', 'host.memory=200MiB', 'host.thp=never', 'actors.convert.ops=12', 'actors.convert.rate=2M/s', 'costs.kvm.set_attr_fixed_ns=15000'],
    runs: 'partly', converts: true, handsOut: true,
  },
  '(b) with no CPU model (every vCPU outside until it joins)': {
    workload: TERABYTE, sets: ['vms.memory=16MiB', 'vms.count=3', 'host.cpus=unlimited', 'host.memory=52MiB', 'host.thp=never', 'actors.convert.ops=4', 'actors.convert.rate=50k/s'], runs: 'partly', converts: true,
  },
  '(b) under tdp, one vCPU a VM: 2 MiB leaves beside 1 MiB shared chunks (KVM_LPAGE_MIXED_FLAG caps the mixed blocks at 4 KiB)': {
    workload: TERABYTE, variant: 'v10+tdp', sets: ['vms.memory=64MiB', 'vms.vcpus=1', 'vms.count=4', 'host.cpus=3', 'host.memory=520MiB', 'actors.convert.ops=8', 'actors.convert.rate=50k/s', 'actors.convert.size=1MiB', 'actors.convert.alignment=1MiB'], runs: 'partly',
  },
  '(b) under tdp, one vCPU a VM, 512 KiB chunks on an unfragmented host (runs that start in a mixed block)': {
    workload: TERABYTE, variant: 'v10+tdp', sets: ['vms.memory=64MiB', 'vms.vcpus=1', 'vms.count=4', 'host.cpus=3', 'host.memory=520MiB', 'host.fragmentation=0', 'actors.convert.ops=20', 'actors.convert.rate=50k/s', 'actors.convert.size=512KiB', 'actors.convert.alignment=512KiB'], runs: 'partly',
  },
  '(b) under tdp, one vCPU a VM, 2 MiB chunks': {
    workload: TERABYTE, variant: 'v10+tdp', sets: ['vms.memory=64MiB', 'vms.vcpus=1', 'vms.count=3', 'host.cpus=2', 'host.memory=400MiB', 'actors.convert.ops=6', 'actors.convert.rate=50k/s'], runs: 'partly', converts: false,
  },
  '(b) under tdp, two vCPUs a VM (a short exit: one mate\'s fault may end just before it)': {
    workload: TERABYTE, variant: 'v10+tdp', sets: ['vms.memory=64MiB', 'vms.count=3', 'host.cpus=3', 'host.memory=400MiB', 'host.fragmentation=0.5', 'actors.convert.ops=10', 'actors.convert.rate=50k/s', 'actors.convert.size=1MiB', 'actors.convert.alignment=1MiB'], runs: 'partly',
  },
  '(b) under tdp, two vCPUs a VM, 4 KiB pages, 6 vCPUs on 2 CPUs': {
    workload: TERABYTE, variant: 'v10+tdp', sets: ['vms.memory=32MiB', 'vms.count=3', 'host.cpus=2', 'host.memory=200MiB', 'host.thp=never', 'actors.convert.ops=6', 'actors.convert.rate=50k/s'], runs: 'partly',
  },
  'think time': { sets: ['vms.memory=4MiB', 'vms.vcpus=4', 'host.cpus=4', 'host.memory=256MiB', 'actors.boot.think=300ns'], runs: false },
  'the safety checker': { sets: ['vms.memory=8MiB', ...BOOT], runs: false, checkSafety: true },
};

/** metrics.json bytes, the engine's event count, the faults the batch ran, and the trail a violation at the end would print. */
async function run(shape: Shape, batching: boolean): Promise<{
  bytes: string; events: number; faults: number; vcpus: number; leaves: number; joins: number; trail: TrailEvent[];
  conversions: number; retries: number; handOuts: number;
}> {
  const proto = FaultBatch.prototype as unknown as { register(this: FaultBatch, ...a: unknown[]): void };
  const register = proto.register;
  const batches: FaultBatch[] = [];
  proto.register = function (...a: unknown[]) {
    if (!batches.includes(this)) batches.push(this);
    register.apply(this, a);
  };
  const finish = Host.prototype.finish;
  let trail: TrailEvent[] = [];
  Host.prototype.finish = function (this: Host) {
    trail = this.trail.recent();
    return finish.call(this);
  };
  try {
    const out = await runWorkload({ workload: loadWorkload(shape.workload ?? 'vm-boot', { seed: 1, sets: shape.sets, variant: shape.variant }), batching, checkSafety: shape.checkSafety });
    return {
      bytes: canonicalJson(out.metrics),
      events: out.events,
      faults: batches.reduce((n, b) => n + b.faultsRun, 0),
      vcpus: batches.reduce((n, b) => n + b.vcpusAdmitted, 0),
      leaves: batches.reduce((n, b) => n + b.vmLeaves, 0),
      joins: batches.reduce((n, b) => n + b.vmJoins, 0),
      conversions: batches.reduce((n, b) => n + b.conversionsRun, 0),
      retries: batches.reduce((n, b) => n + b.retriesRun, 0),
      handOuts: batches.reduce((n, b) => n + b.handOuts, 0),
      trail,
    };
  } finally {
    proto.register = register;
    Host.prototype.finish = finish;
  }
}

for (const [name, shape] of Object.entries(SHAPES)) {
  const verb = shape.runs === 'partly' ? 'runs part of' : shape.runs ? 'runs' : 'leaves to the model';
  test(`fault batch ${verb} ${shape.workload ? 'bench e2e (b)' : 'vm-boot'} with ${name}, same metrics.json bytes as batching off`, async () => {
    const off = await run(shape, false);
    assert.equal(off.faults, 0, 'with batching off no batch runs');
    const on = await run(shape, true);
    if (shape.runs === 'partly') {
      const doc = JSON.parse(on.bytes) as { metrics: Record<string, { count?: number; value?: number }> };
      const all = doc.metrics['fault.latency_ns']?.count ?? 0;
      assert.ok(on.faults > 0 && on.faults < all, `the batch ran ${on.faults} of ${all} faults`);
      assert.ok(on.leaves > 0 && on.joins > on.leaves - 4, `VMs left the batch ${on.leaves} times and joined ${on.joins} times`);
    } else if (shape.runs) {
      assert.ok(on.faults > 0 && on.vcpus > 0, `the batch ran no fault (${on.vcpus} vCPUs admitted)`);
      const doc = JSON.parse(on.bytes) as { metrics: Record<string, { count?: number }> };
      assert.equal(on.faults, doc.metrics['fault.latency_ns']?.count, 'every fault of the run was the batch\'s');
    } else {
      assert.equal(on.faults, 0, 'the batch must refuse this shape');
    }
    if (shape.converts !== undefined) assert.equal(on.conversions > 0, shape.converts, `the batch converted ${on.conversions} pages`);
    if (shape.retries) assert.ok(on.retries > 0, 'no stale attempt retried in the batch');
    if (shape.handsOut) assert.ok(on.handOuts > 0, 'no vCPU handed over between a conversion and its refault');
    assert.equal(on.bytes, off.bytes);
    assert.equal(on.events, off.events, 'the same events, counted as the engine counts them');
    assert.ok(off.trail.length > 0, 'the run leaves a trail');
    assert.deepEqual(on.trail, off.trail, 'the same trail: the batch\'s maps where the engine would have recorded them');
  });
}

// postExitBound: a VM leaves the batch only when its other vCPUs' faults, chained one after
// another, end within the leaver's exit (vmOut throws otherwise). Under tdp with three vCPUs a VM
// and no THP, a fault after its exit is at most ~1.56 us, so two of them need an exit above
// ~3.12 us: tdp's exit cost set just below and just above that.
for (const [exitNs, leaves] of [[3100, false], [3200, true]] as const) {
  test(`fault batch: under tdp with three vCPUs a VM and a ${exitNs} ns exit, VMs ${leaves ? 'leave at memory-fault exits' : 'never leave'} (two mates' faults ${leaves ? 'fit in' : 'outlast'} one exit); same bytes`, async () => {
    const shape: Shape = {
      workload: TERABYTE, variant: 'v10+tdp', runs: 'partly',
      sets: ['vms.memory=32MiB', 'vms.count=2', 'vms.vcpus=3', 'host.cpus=3', 'host.memory=200MiB', 'host.thp=never', 'actors.convert.ops=6', 'actors.convert.rate=50k/s', `costs.kvm.fault_exit_tdp_ns=${exitNs}`],
    };
    const off = await run(shape, false);
    const on = await run(shape, true);
    assert.ok(on.faults > 0, 'the batch ran VMs whose slots are all private');
    assert.equal(on.leaves > 0, leaves, `VMs left the batch ${on.leaves} times`);
    assert.equal(on.bytes, off.bytes);
  });
}
