// Hardware memory errors on pages of the private files (machine checks, memory_failure):
// at fixed times (`at`) or at a rate. target allocated: a page some VM's file holds, found
// from a random index forward; any: a random file index whether or not it holds a page.
// Records memory_failure.latency_ns (the whole memory_failure call, including v10's
// superblock walk) and memory_failure.result{result}.
import type { Process } from '../engine/index.js';
import type { MemoryErrorActor } from '../workload/types.js';
import { tallyFor, traceOp, drawGap, moreOps, rngFor, uniformInt, vmsOf, type ActorContext, type VmRuntime } from './context.js';
import { PAGE_SIZE } from '../units.js';
import { injectMemoryError } from './kernel-ops.js';
import type { OpsTally } from './ops-tally.js';

export function spawnMemoryErrorActor(ctx: ActorContext, a: MemoryErrorActor): void {
  const tally = tallyFor(ctx, a, a.atNs.length ? a.atNs.length : a.ops);
  ctx.sim.spawn(`host/${a.name}`, (p) => runErrors(p, ctx, a, tally));
}

/** A file index holding a page, searching forward (wrapping) from `start`, or -1. */
function presentIndex(rt: VmRuntime, start: number): number {
  const pages = rt.file.sizeBytes / PAGE_SIZE;
  for (let i = 0; i < pages; i++) {
    const idx = (start + i) % pages;
    if (rt.file.backing.pages.lookup(idx) >= 0) return idx;
  }
  return -1;
}

function* runErrors(p: Process, ctx: ActorContext, a: MemoryErrorActor, tally: OpsTally) {
  yield ctx.ready;
  if (a.startNs) yield p.sleep(a.startNs);
  const s = rngFor(ctx, a.name, 0);
  const stats = ctx.sim.stats;
  const origin = ctx.sim.now;
  const targets = vmsOf(ctx, a.vm);
  // Timed errors follow their own schedule (at), not the actor's start.
  if (a.atNs.length) tally.close();
  for (;;) {
    tally.complete();
    const done = tally.started;
    if (a.atNs.length) {
      if (done >= a.atNs.length || ctx.stopping) break;
      const at = origin + a.atNs[done];
      tally.due(at);
      if (at > ctx.sim.now) yield p.sleep(at - ctx.sim.now);
      if (ctx.stopping) break;
    } else {
      if (!moreOps(ctx, done, a.ops)) break;
      const gap = drawGap(s, a.intervalNs, a.arrival);
      tally.dueIn(gap);
      if (gap > 0) yield p.sleep(gap);
      if (ctx.stopping) break;
    }
    tally.start();
    const rt = targets[uniformInt(s, targets.length)];
    const pages = rt.file.sizeBytes / PAGE_SIZE;
    let index = uniformInt(s, pages);
    if (a.target === 'allocated') index = presentIndex(rt, index);
    if (index < 0) {
      stats.counter('memory_failure.result', { result: 'NO_PAGE' }).add(1);
      continue;
    }
    const t0 = ctx.sim.now;
    const r = yield* injectMemoryError(p, ctx.host, rt.file, index);
    stats.histogram('memory_failure.latency_ns').record(ctx.sim.now - t0);
    traceOp(ctx, p, 'memory_failure', t0, { vm: rt.vm.name, index, result: r.result });
    stats.counter('memory_failure.result', { result: r.result }).add(1);
  }
  tally.close();
  ctx.finished(p);
}
