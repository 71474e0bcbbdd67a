// Private <-> shared conversions as a VMM performs them for a guest's page-state changes
// (KVM_HC_MAP_GPA_RANGE / TDX MapGPA / SNP PSC): KVM_SET_MEMORY_ATTRIBUTES over the range, then
// QEMU's kvm_convert_memory frees the stale side: to-private discards the shared pages
// (mmu_notifier), to-shared punches the private file. touch: the guest then accepts/uses the
// range page by page, each page a fault (the lazy-accept exits of docs/kernel-model.md W5).
// Records conversion.latency_ns{size,to} (attributes + discard, without the touch).
import type { Process } from '../engine/index.js';
import type { ConversionActor } from '../workload/types.js';
import type { OpsTally } from './ops-tally.js';
import { awaitArrival, tallyFor, traceOp, drawOffset, drawSize, rangeOf, rngFor, vmsOf, type ActorContext, type VmRuntime } from './context.js';
import { PAGE_SIZE } from '../units.js';
import { discardShared, errnoOf, fault, punchRange, setMemoryAttributes } from './kernel-ops.js';
import { sizeLabel } from '../model/index.js';

export function spawnConversionActor(ctx: ActorContext, a: ConversionActor): void {
  for (const rt of vmsOf(ctx, a.vm)) {
    for (let t = 0; t < a.threads; t++) {
      const tally = tallyFor(ctx, a);
      ctx.sim.spawn(`${rt.vm.name}/${a.name}${t}`, (p) => runConversion(p, ctx, a, rt, t, tally));
    }
  }
}

function* runConversion(p: Process, ctx: ActorContext, a: ConversionActor, rt: VmRuntime, t: number, tally: OpsTally) {
  yield ctx.ready;
  if (a.startNs) yield p.sleep(a.startNs);
  const s = rngFor(ctx, a.name, `${rt.vm.name}/${t}`);
  const [lo, hi] = rangeOf(rt, a.range);
  const stats = ctx.sim.stats;
  while (yield* awaitArrival(p, ctx, s, a, tally)) {
    if (rt.vm.dead) break;
    const len = drawSize(s, a.size);
    const off = drawOffset(s, lo, hi, len, a.alignmentBytes);
    const gfn0 = rt.gfnOf(off);
    const gfn1 = gfn0 + len / PAGE_SIZE;
    const toPrivate = a.direction === 'to_private' ? true : a.direction === 'to_shared' ? false : !rt.vm.memAttr.isPrivate(gfn0);
    const t0 = ctx.sim.now;
    try {
      yield* setMemoryAttributes(p, rt.vm, gfn0, gfn1, toPrivate);
      if (a.discard) {
        if (toPrivate) yield* discardShared(p, rt.vm, gfn0, gfn1);
        else yield* punchRange(p, rt.file, rt.fileBase + off, len);
      }
    } catch (err) {
      const errno = errnoOf(err);
      if (!errno) throw err;
      stats.counter('conversion.errors', { errno }).add(1);
      continue;
    }
    stats.histogram('conversion.latency_ns', { size: sizeLabel(len), to: toPrivate ? 'private' : 'shared' }).record(ctx.sim.now - t0);
    traceOp(ctx, p, toPrivate ? 'convert to private' : 'convert to shared', t0, { gfn: gfn0, pages: gfn1 - gfn0 });
    if (a.touch) {
      for (let g = gfn0; g < gfn1; g++) {
        if (rt.vm.pt.walk(g) >= 0) continue;
        const tf = ctx.sim.now;
        const out = yield* fault(p, rt.vm, t, g, toPrivate);
        traceOp(ctx, p, 'kvm_mmu_page_fault', tf, { gfn: g, result: out.result, retries: out.retries });
        if (out.result !== 'mapped') stats.counter('vcpu.fault_outcomes', { result: out.result }).add(1);
        if (out.result === 'shutdown') break;
        yield p.sleep(0); // the guest re-entry after each fault is a scheduling point
      }
    }
  }
  ctx.finished(p);
}
