// vCPUs touching guest memory. Each access to a page the VM's page table does not map is a
// KVM page fault (kvm_mmu_page_fault through the model); an access to a mapped page costs only
// the guest's own time (think). A private access to a page whose attribute is shared exits to
// the VMM (KVM_EXIT_MEMORY_FAULT), which converts that page and lets the vCPU retry: the
// implicit conversion of docs/kernel-model.md section 1.8.
// Patterns: sequential (each vCPU first-touches its own slice once: boot, memstress populate),
// uniform over the range, or zipf over a hot set at the start of the range.
// Each vCPU is a VcpuLoop (vcpu-loop.ts): a state machine the engine resumes directly.
import type { VcpuActor } from '../workload/types.js';
import { rangeOf, tallyFor, vmsOf, type ActorContext } from './context.js';
import { PAGE_SIZE } from '../units.js';
import { VcpuLoop } from './vcpu-loop.js';

export function spawnVcpuActor(ctx: ActorContext, a: VcpuActor): void {
  const sched = ctx.vcpuScheduler;
  for (const rt of vmsOf(ctx, a.vm)) {
    const n = a.vcpus === 'all' ? rt.vm.vcpus.length : Math.min(a.vcpus, rt.vm.vcpus.length);
    const [lo, hi] = rangeOf(rt, a.range);
    const pages = Math.floor((hi - lo) / PAGE_SIZE);
    for (let v = 0; v < n; v++) {
      // Sequential: this vCPU's slice of the range, once; otherwise the op budget.
      const slice = Math.floor((pages * (v + 1)) / n) - Math.floor((pages * v) / n);
      const tally = tallyFor(ctx, a, a.pattern === 'sequential' ? Math.min(slice, a.ops ?? Infinity) : a.ops);
      const loop = new VcpuLoop(ctx, a, rt, v, n, tally, sched);
      const p = ctx.sim.spawnActor(`${rt.vm.name}/vcpu${v}`, loop);
      ctx.faultBatch?.register(p, loop);
    }
  }
}
