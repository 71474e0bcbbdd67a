// VMM threads allocating ranges of the private file: fallocate(0) on the shmem behind v10's
// restricted file, fallocate(KEEP_SIZE) on guest_memfd (QEMU preallocation, populate before
// boot). whole_file allocates the whole file once. Records fallocate.latency_ns{size}.
import type { Process } from '../engine/index.js';
import type { FallocateActor } from '../workload/types.js';
import { tallyFor, traceOp, drawGap, drawOffset, drawSize, moreOps, rangeOf, rngFor, vmsOf, type ActorContext, type VmRuntime } from './context.js';
import { allocateRange, errnoOf } from './kernel-ops.js';
import { sizeLabel } from '../model/index.js';
import type { OpsTally } from './ops-tally.js';

export function spawnFallocateActor(ctx: ActorContext, a: FallocateActor): void {
  for (const rt of vmsOf(ctx, a.vm)) {
    const threads = a.wholeFile ? 1 : a.threads;
    for (let t = 0; t < threads; t++) {
      const tally = tallyFor(ctx, a, a.wholeFile ? 1 : a.ops);
      ctx.sim.spawn(`${rt.vm.name}-vmm/${a.name}${t}`, (p) => runFallocate(p, ctx, a, rt, t, tally));
    }
  }
}

function* runFallocate(p: Process, ctx: ActorContext, a: FallocateActor, rt: VmRuntime, t: number, tally: OpsTally) {
  yield ctx.ready;
  if (a.startNs) yield p.sleep(a.startNs);
  const s = rngFor(ctx, a.name, `${rt.vm.name}/${t}`);
  const [lo, hi] = rangeOf(rt, a.range);
  while (a.wholeFile ? tally.started === 0 && !ctx.stopping : moreOps(ctx, tally.started, a.ops)) {
    const gap = drawGap(s, a.intervalNs, a.arrival);
    tally.dueIn(gap);
    if (gap > 0) yield p.sleep(gap);
    if (ctx.stopping) break;
    tally.start();
    const len = a.wholeFile ? hi - lo : drawSize(s, a.size);
    const off = a.wholeFile ? lo : drawOffset(s, lo, hi, len, a.alignmentBytes);
    const t0 = ctx.sim.now;
    try {
      yield* allocateRange(p, rt.file, rt.fileBase + off, len);
      ctx.sim.stats.histogram('fallocate.latency_ns', { size: sizeLabel(len) }).record(ctx.sim.now - t0);
    } catch (err) {
      const errno = errnoOf(err);
      if (!errno) throw err;
      ctx.sim.stats.counter('fallocate.errors', { errno }).add(1);
    }
    traceOp(ctx, p, 'fallocate', t0, { offset: off, len });
    tally.complete();
  }
  tally.close();
  ctx.finished(p);
}
