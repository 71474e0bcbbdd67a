// Memslots added and removed while the VM runs (memory hot-plug/unplug, slot re-layout): each
// create binds the private file (v10: restrictedmem notifier register under data->lock;
// guest_memfd: kvm_gmem_bind), each delete zaps and unbinds. The slots cover the hot-plug
// area at the top of guest RAM, which the main memslots leave out, so punches and faults over
// the whole RAM race with the (un)registration: the v10 notifier-count race of section 8.
// Records memslot.create_ns and memslot.delete_ns.
import type { Process } from '../engine/index.js';
import type { MemslotChurnActor } from '../workload/types.js';
import type { OpsTally } from './ops-tally.js';
import { awaitArrival, tallyFor, traceOp, rngFor, vmsOf, type ActorContext, type VmRuntime } from './context.js';
import { PAGE_SIZE } from '../units.js';
import { addMemslot, deleteMemslot, errnoOf } from './kernel-ops.js';

/** Slot ids for hot-plug slots start here (main slots are 0..count-1). */
export const HOTPLUG_SLOT_BASE = 1000;

export function spawnMemslotChurnActor(ctx: ActorContext, a: MemslotChurnActor, hotplugBase: (rt: VmRuntime) => number): void {
  for (const rt of vmsOf(ctx, a.vm)) {
    for (let k = 0; k < a.slots; k++) {
      const tally = tallyFor(ctx, a);
      ctx.sim.spawn(`${rt.vm.name}-vmm/${a.name}${k}`, (p) => runChurn(p, ctx, a, rt, k, hotplugBase(rt), tally));
    }
  }
}

function* runChurn(p: Process, ctx: ActorContext, a: MemslotChurnActor, rt: VmRuntime, k: number, base: number, tally: OpsTally) {
  yield ctx.ready;
  if (a.startNs) yield p.sleep(a.startNs);
  const s = rngFor(ctx, a.name, `${rt.vm.name}/${k}`);
  const stats = ctx.sim.stats;
  const ramOffset = base + k * a.slotBytes;
  const npages = a.slotBytes / PAGE_SIZE;
  while (yield* awaitArrival(p, ctx, s, a, tally)) {
    if (rt.vm.dead) break;
    const t0 = ctx.sim.now;
    let slot;
    try {
      slot = yield* addMemslot(p, rt.vm, HOTPLUG_SLOT_BASE + k, rt.gfnOf(ramOffset), npages, rt.file, rt.fileBase + ramOffset);
    } catch (err) {
      const errno = errnoOf(err);
      if (!errno) throw err;
      stats.counter('memslot.errors', { errno, op: 'create' }).add(1);
      continue;
    }
    stats.histogram('memslot.create_ns').record(ctx.sim.now - t0);
    traceOp(ctx, p, 'KVM_SET_USER_MEMORY_REGION create', t0, { slot: HOTPLUG_SLOT_BASE + k });
    if (a.holdNs) yield p.sleep(a.holdNs);
    const t1 = ctx.sim.now;
    yield* deleteMemslot(p, rt.vm, slot);
    stats.histogram('memslot.delete_ns').record(ctx.sim.now - t1);
    traceOp(ctx, p, 'KVM_SET_USER_MEMORY_REGION delete', t1, { slot: HOTPLUG_SLOT_BASE + k });
  }
  ctx.finished(p);
}
