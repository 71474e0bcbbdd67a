// VMM threads punching holes in the private file: fallocate(PUNCH_HOLE|KEEP_SIZE), which runs
// restrictedmem_punch_hole (v10: notifiers around the shmem truncation) or kvm_gmem_punch_hole.
// batch: punches issued back to back per arrival (free page reporting's 32-entry batches);
// refill: fallocate the hole again right after (guest_memfd_test); populate: allocate the
// range once first so punches free real pages. The model records punch.latency_ns{size}.
import type { Process } from '../engine/index.js';
import type { PunchActor } from '../workload/types.js';
import { awaitArrival, tallyFor, traceOp, drawOffset, drawSize, rangeOf, rngFor, vmsOf, type ActorContext, type VmRuntime } from './context.js';
import { allocateRange, errnoOf, punchRange } from './kernel-ops.js';
import type { Gen } from '../model/index.js';
import { PAGE_SIZE } from '../units.js';
import type { OpsTally } from './ops-tally.js';

export function spawnPunchActor(ctx: ActorContext, a: PunchActor): void {
  for (const rt of vmsOf(ctx, a.vm)) {
    for (let t = 0; t < a.threads; t++) {
      const tally = tallyFor(ctx, a);
      ctx.sim.spawn(`${rt.vm.name}-vmm/${a.name}${t}`, (p) => runPunch(p, ctx, a, rt, t, tally));
    }
  }
}

function* runPunch(p: Process, ctx: ActorContext, a: PunchActor, rt: VmRuntime, t: number, tally: OpsTally) {
  yield ctx.ready;
  const s = rngFor(ctx, a.name, `${rt.vm.name}/${t}`);
  const [lo, hi] = rangeOf(rt, a.range);
  // Each thread populates its share of the range (threads split it evenly).
  if (a.populate) {
    const share = Math.floor((hi - lo) / a.threads / PAGE_SIZE) * PAGE_SIZE;
    const from = lo + share * t;
    const to = t === a.threads - 1 ? hi : from + share;
    if (to > from) yield* allocateRange(p, rt.file, rt.fileBase + from, to - from);
    // Populating is set-up, not an operation: the schedule starts after it.
    tally.rearm(ctx.sim.now + a.startNs);
  }
  if (a.startNs) yield p.sleep(a.startNs);
  // One fallocate call, its errno counted (punch.errors) and its span traced.
  function* call(name: string, op: Gen, off: number, len: number): Gen {
    const t0 = ctx.sim.now;
    try {
      yield* op;
    } catch (err) {
      const errno = errnoOf(err);
      if (!errno) throw err;
      ctx.sim.stats.counter('punch.errors', { errno }).add(1);
    }
    traceOp(ctx, p, name, t0, { offset: off, len });
  }
  while (yield* awaitArrival(p, ctx, s, a, tally)) {
    for (let b = 0; b < a.batch; b++) {
      const len = drawSize(s, a.size);
      const off = drawOffset(s, lo, hi, len, a.alignmentBytes);
      yield* call('fallocate(PUNCH_HOLE)', punchRange(p, rt.file, rt.fileBase + off, len), off, len);
      if (a.refill) yield* call('fallocate', allocateRange(p, rt.file, rt.fileBase + off, len), off, len);
    }
  }
  ctx.finished(p);
}
