// VMs arriving and leaving a host over time (W8): each tenant VM is built like the scenario's
// (KVM_CREATE_VM, private file, memslots), populates a fraction of its RAM with fallocate in
// 2 MiB steps (the allocations whose huge-page success the host's fragmentation decides), lives
// for `lifetime`, then deletes its memslots and closes its file. At most max_live tenants at
// once; arrivals beyond that are refused (counted). Gauges: vm.live, and the host's unusable
// free space index for order 9 (mm/vmstat.c), sampled at every arrival and departure.
import type { Process } from '../engine/index.js';
import type { VmLifecycleActor } from '../workload/types.js';
import type { OpsTally } from './ops-tally.js';
import { awaitArrival, tallyFor, traceOp, rngFor, type ActorContext } from './context.js';
import { PAGE_SIZE } from '../units.js';
import { allocateRange, errnoOf } from './kernel-ops.js';
import { buildVm, destroyVm } from './vm-build.js';

const CHUNK = 2 * 1024 * 1024;

export function spawnVmLifecycleActor(ctx: ActorContext, a: VmLifecycleActor): void {
  const tally = tallyFor(ctx, a);
  ctx.sim.spawn(`tenants/${a.name}`, (p) => runArrivals(p, ctx, a, tally));
}

/** Tenants alive per run, over every vm_lifecycle actor (a workload may have several). */
const liveByRun = new WeakMap<ActorContext, number>();

function sampleHost(ctx: ActorContext, delta: number): void {
  const live = (liveByRun.get(ctx) ?? 0) + delta;
  liveByRun.set(ctx, live);
  ctx.sim.stats.gauge('vm.live').set(live);
  ctx.sim.stats.gauge('host.unusable_free_index', { order: 9 }).set(ctx.host.mem.unusableIndex(9));
}

function* runArrivals(p: Process, ctx: ActorContext, a: VmLifecycleActor, tally: OpsTally) {
  yield ctx.ready;
  if (a.startNs) yield p.sleep(a.startNs);
  const s = rngFor(ctx, a.name, 'arrivals');
  let live = 0;
  let next = ctx.vms.length; // tenant VM indices follow the scenario's
  sampleHost(ctx, 0);
  while (yield* awaitArrival(p, ctx, s, a, tally)) {
    if (live >= a.maxLive) {
      ctx.sim.stats.counter('vm.refused').add(1);
      continue;
    }
    live++;
    const index = next++;
    ctx.sim.spawn(`tenants/vm${index}`, function* (q) {
      const t0 = ctx.sim.now;
      const rt = yield* buildVm(q, ctx.host, ctx.workload, index);
      ctx.sim.stats.histogram('vm.create_ns').record(ctx.sim.now - t0);
      traceOp(ctx, q, 'create VM', t0);
      sampleHost(ctx, +1);
      const bytes = Math.floor((rt.ramBytes * a.touchFraction) / PAGE_SIZE) * PAGE_SIZE;
      for (let off = 0; off < bytes; off += CHUNK) {
        try {
          yield* allocateRange(q, rt.file, rt.fileBase + off, Math.min(CHUNK, bytes - off));
        } catch (err) {
          const errno = errnoOf(err);
          if (!errno) throw err;
          ctx.sim.stats.counter('fallocate.errors', { errno }).add(1);
          break;
        }
      }
      yield q.sleep(a.lifetimeNs);
      const t1 = ctx.sim.now;
      yield* destroyVm(q, rt);
      ctx.sim.stats.histogram('vm.destroy_ns').record(ctx.sim.now - t1);
      traceOp(ctx, q, 'destroy VM', t1);
      live--;
      sampleHost(ctx, -1);
      ctx.finished(q);
    });
  }
  ctx.finished(p);
}
