// vCPUs touching guest memory. Each access to a page the VM's page table does not map is a
// KVM page fault (kvm_mmu_page_fault through the model); an access to a mapped page costs only
// the guest's own time (think). A private access to a page whose attribute is shared exits to
// the VMM (KVM_EXIT_MEMORY_FAULT), which converts that page and lets the vCPU retry: the
// implicit conversion of docs/kernel-model.md section 1.8.
// Patterns: sequential (each vCPU first-touches its own slice once: boot, memstress populate),
// uniform over the range, or zipf over a hot set at the start of the range.
import type { Process } from '../engine/index.js';
import { makeDistribution } from '../engine/index.js';
import type { VcpuActor } from '../workload/types.js';
import { drawGap, moreOps, tallyFor, traceOp, rangeOf, rngFor, uniformInt, vmsOf, type ActorContext, type VmRuntime } from './context.js';
import { PAGE_SIZE } from '../units.js';
import { fault, setMemoryAttributes } from './kernel-ops.js';
import type { OpsTally } from './ops-tally.js';

export function spawnVcpuActor(ctx: ActorContext, a: VcpuActor): void {
  for (const rt of vmsOf(ctx, a.vm)) {
    const n = a.vcpus === 'all' ? rt.vm.vcpus.length : Math.min(a.vcpus, rt.vm.vcpus.length);
    const [lo, hi] = rangeOf(rt, a.range);
    const pages = Math.floor((hi - lo) / PAGE_SIZE);
    for (let v = 0; v < n; v++) {
      // Sequential: this vCPU's slice of the range, once; otherwise the op budget.
      const slice = Math.floor((pages * (v + 1)) / n) - Math.floor((pages * v) / n);
      const tally = tallyFor(ctx, a, a.pattern === 'sequential' ? Math.min(slice, a.ops ?? Infinity) : a.ops);
      ctx.sim.spawn(`${rt.vm.name}/vcpu${v}`, (p) => runVcpu(p, ctx, a, rt, v, n, tally));
    }
  }
}

function* runVcpu(p: Process, ctx: ActorContext, a: VcpuActor, rt: VmRuntime, v: number, n: number, tally: OpsTally) {
  yield ctx.ready;
  if (a.startNs) yield p.sleep(a.startNs);
  const s = rngFor(ctx, a.name, `${rt.vm.name}/vcpu${v}`);
  const [lo, hi] = rangeOf(rt, a.range);
  const pages = Math.floor((hi - lo) / PAGE_SIZE);
  const vcpu = rt.vm.vcpus[v];
  // Sequential: this vCPU's slice, once. Others: pick pages from the range or the hot set.
  const sliceLo = Math.floor((pages * v) / n);
  const sliceHi = Math.floor((pages * (v + 1)) / n);
  const hotPages = a.zipf.hotSetBytes ? Math.floor(a.zipf.hotSetBytes / PAGE_SIZE) : pages;
  const zipf = a.pattern === 'zipf' ? makeDistribution({ kind: 'zipf', n: Math.max(1, hotPages), s: a.zipf.s }) : undefined;
  const stats = ctx.sim.stats;
  for (;;) {
    const done = tally.started;
    if (!moreOps(ctx, done, a.ops)) break;
    let page: number;
    if (a.pattern === 'sequential') {
      if (sliceLo + done >= sliceHi) break;
      page = sliceLo + done;
    } else if (zipf) {
      page = zipf.sample(s);
    } else {
      page = uniformInt(s, pages);
    }
    tally.start();
    const ramOffset = lo + page * PAGE_SIZE;
    const gfn = rt.gfnOf(ramOffset);
    if (rt.vm.dead) break;
    if (rt.vm.pt.walk(gfn) < 0) {
      vcpu.inGuest = false;
      const t0 = ctx.sim.now;
      let out = yield* fault(p, rt.vm, v, gfn, a.private);
      if (out.result === 'memory_fault_exit') {
        // The VMM converts the page the guest asked for, then the vCPU re-enters and refaults.
        stats.counter('vcpu.memory_fault_exits').add(1);
        yield* setMemoryAttributes(p, rt.vm, gfn, gfn + 1, a.private);
        out = yield* fault(p, rt.vm, v, gfn, a.private);
      }
      if (out.result !== 'mapped') stats.counter('vcpu.fault_outcomes', { result: out.result }).add(1);
      traceOp(ctx, p, 'kvm_mmu_page_fault', t0, { gfn, result: out.result, retries: out.retries, level: out.level });
      if (out.result === 'shutdown') break;
    } else {
      stats.counter('vcpu.mapped_accesses').add(1);
    }
    tally.complete();
    // The next access is due when the guest's think time ends, CPU or not.
    const gap = a.thinkNs + drawGap(s, a.intervalNs, a.arrival);
    tally.due(ctx.sim.now + gap);
    if (gap > 0) {
      vcpu.inGuest = true;
      yield p.compute(gap);
    }
    // A guest exit is a scheduling point (KVM checks need_resched on the way out): without it
    // a vCPU would keep its host CPU forever in a non-preemptive engine and starve the VMM.
    yield p.sleep(0);
  }
  vcpu.inGuest = false;
  tally.close();
  ctx.finished(p);
}
