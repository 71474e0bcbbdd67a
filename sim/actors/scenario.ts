// The scenario builder: workload -> VMs, their private files and memslots, then the actors.
// A setup process creates each VM the way a VMM does (create the VM, create and size the
// private file, create the memslots bound to it, set the initial attributes), then signals
// `ready`; actors start from there. Guest RAM of a VM is laid out as:
//   main memslots  RAM [0, ramBytes - hotplugBytes), slot i at a gfn aligned to
//                  vms.memslots.alignment, bound to the file at RAM offset + misalign
//   hot-plug area  RAM [ramBytes - hotplugBytes, ramBytes), bound and unbound by memslot_churn
// With vms.shared_file every VM binds one file (intra-host migration).
import type { Process } from '../engine/index.js';
import type { Workload, ActorSpec } from '../workload/types.js';
import { UsageError } from '../errors.js';
import { PAGE, type ActorContext, type VmRuntime } from './context.js';
import { addMemslot, closePrivateFile, createPrivateFile, deleteMemslot, errnoOf, setMemoryAttributes, type VmmFile } from './kernel-ops.js';
import { spawnVcpuActor } from './vcpu.js';
import { spawnFallocateActor } from './vmm-fallocate.js';
import { spawnPunchActor } from './vmm-punch.js';
import { spawnConversionActor } from './conversion.js';
import { spawnMemslotChurnActor } from './memslot-churn.js';
import { spawnMemoryErrorActor } from './memory-error.js';
import { spawnVmLifecycleActor } from './vm-lifecycle.js';
import { spawnPageCacheActor } from './page-cache.js';
import { spawnReplayActor, type ReplayState } from './replay.js';
import { readStrace } from '../replay/strace.js';
import { interpretTrace } from '../replay/interpret.js';
import type { Host, Vm, Gen } from '../model/index.js';

/** Bytes of RAM each VM keeps for hot-plug slots (the memslot_churn actors that target it). */
function hotplugBytesFor(w: Workload, index: number): number {
  let bytes = 0;
  for (const a of w.actors) {
    if (a.kind === 'memslot_churn' && (a.vm === 'all' || a.vm === index)) bytes += a.slots * a.slotBytes;
  }
  return bytes;
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/** The static guest-physical layout of one VM (which gfn each RAM offset has). */
function layoutFor(w: Workload, hotplugBytes: number) {
  const ramBytes = w.vms.memoryBytes;
  const mainBytes = ramBytes - hotplugBytes;
  const count = Math.min(w.vms.memslots.count, Math.max(1, mainBytes / PAGE));
  const alignPages = w.vms.memslots.alignmentBytes / PAGE;
  const mainPages = mainBytes / PAGE;
  const slots: Array<{ ramOffset: number; npages: number; baseGfn: number }> = [];
  let gfn = 0;
  for (let i = 0; i < count; i++) {
    const first = Math.floor((mainPages * i) / count);
    const next = Math.floor((mainPages * (i + 1)) / count);
    slots.push({ ramOffset: first * PAGE, npages: next - first, baseGfn: gfn });
    gfn = roundUp(gfn + (next - first), alignPages);
  }
  const hotplugGfn = gfn;
  const gfnOf = (ramOffset: number): number => {
    const page = Math.floor(ramOffset / PAGE);
    if (page >= mainPages) return hotplugGfn + (page - mainPages);
    for (const s of slots) {
      const p0 = s.ramOffset / PAGE;
      if (page >= p0 && page < p0 + s.npages) return s.baseGfn + (page - p0);
    }
    return -1;
  };
  return { ramBytes, mainBytes, slots: slots.filter((s) => s.npages > 0), gfnOf };
}

/**
 * Create VM `index` as a VMM does: KVM_CREATE_VM, the private file (or the shared one), the
 * main memslots, then the attributes for vms.private_fraction (the tail of RAM shared).
 */
export function* buildVm(p: Process, host: Host, w: Workload, index: number, shared?: VmmFile): Gen<VmRuntime> {
  const hotplugBytes = hotplugBytesFor(w, index);
  const layout = layoutFor(w, hotplugBytes);
  const vm: Vm = host.createVm({ name: `vm${index}`, vcpus: w.vms.vcpus, privateByDefault: w.vms.privateFraction > 0 });
  const fileBase = w.vms.memslots.misalignBytes;
  const file = shared ?? (yield* createPrivateFile(p, host, vm, fileBase + layout.ramBytes));
  const rt: VmRuntime = {
    index, vm, file, ramBytes: layout.ramBytes, fileBase, slots: [], hotplugBytes, gfnOf: layout.gfnOf,
  };
  for (let i = 0; i < layout.slots.length; i++) {
    const s = layout.slots[i];
    const slot = yield* addMemslot(p, vm, i, s.baseGfn, s.npages, file, fileBase + s.ramOffset);
    rt.slots.push({ slot, ramOffset: s.ramOffset });
  }
  // private_fraction: the first fraction of RAM private, the rest shared.
  const f = w.vms.privateFraction;
  if (f > 0 && f < 1) {
    const privPages = Math.floor((layout.ramBytes / PAGE) * f);
    const from = layout.gfnOf(privPages * PAGE);
    const to = layout.gfnOf(layout.ramBytes - PAGE) + 1;
    if (to > from) yield* setMemoryAttributes(p, vm, from, to, false);
  }
  return rt;
}

/** Tear a VM down as a VMM does: delete its memslots, then close its file. */
export function* destroyVm(p: Process, rt: VmRuntime, closeFile = true): Gen {
  for (const s of [...rt.slots].reverse()) yield* deleteMemslot(p, rt.vm, s.slot);
  rt.slots.length = 0;
  if (closeFile) yield* closePrivateFile(p, rt.file);
  rt.vm.dead = true;
}

export interface Scenario {
  ctx: ActorContext;
  /** Simulated time at which the last actor process finished (the end of a run without duration). */
  lastFinishNs(): number;
}

/** Check what the builder needs beyond the schema (sizes that must add up). */
function checkWorkload(w: Workload): void {
  for (let i = 0; i < w.vms.count; i++) {
    const hot = hotplugBytesFor(w, i);
    if (hot >= w.vms.memoryBytes) {
      throw new UsageError(`${w.source}: memslot_churn slots (${hot} bytes) must leave part of vms.memory (${w.vms.memoryBytes} bytes) to the main memslots`);
    }
  }
}

/** Build the scenario on `host`: a setup process, then every actor waiting for it. */
export function buildScenario(host: Host, w: Workload): Scenario {
  checkWorkload(w);
  const sim = host.sim;
  const ready = sim.event<unknown>('scenario_ready');
  let last = 0;
  const ctx: ActorContext = {
    sim, host, workload: w, vms: [], ready, replays: loadReplays(w), stopping: false,
    finished: () => {
      last = Math.max(last, sim.now);
    },
  };
  sim.spawn('vmm/setup', function* (p) {
    let shared: VmmFile | undefined;
    for (let i = 0; i < w.vms.count; i++) {
      let rt: VmRuntime;
      try {
        rt = yield* buildVm(p, host, w, i, shared);
      } catch (err) {
        // The kernel refusing the workload's own layout is bad input, said in one line.
        const errno = errnoOf(err);
        if (!errno) throw err;
        throw new UsageError(`${w.source}: setting up vm${i} failed with ${errno} under variant ${host.variant.name}` +
          (w.vms.sharedFile && i > 0 ? ' (vms.shared_file: this backend lets only one VM bind a file)' : '') +
          ` (${(err as Error).message})`);
      }
      if (w.vms.sharedFile) shared = rt.file;
      ctx.vms.push(rt);
    }
    last = sim.now;
    ready.succeed(undefined);
    // Actors start once the VMs exist, in workload order (deterministic spawn order).
    for (const a of w.actors) spawnActor(ctx, a);
  });
  return { ctx, lastFinishNs: () => last };
}

/** Parse every replay actor's trace now: a malformed one is bad input (exit 2), not a failed run. */
function loadReplays(w: Workload): Map<string, ReplayState> {
  const m = new Map<string, ReplayState>();
  for (const a of w.actors) {
    if (a.kind !== 'replay') continue;
    const trace = interpretTrace(readStrace(a.trace), a.trace);
    if (!trace.ops.some((o) => a.backend === 'both' || o.file.backend === a.backend)) {
      throw new UsageError(`${a.trace}: no fallocate calls on a ${a.backend} file to replay`);
    }
    m.set(a.name, { trace, results: [] });
  }
  return m;
}

function spawnActor(ctx: ActorContext, a: ActorSpec): void {
  switch (a.kind) {
    case 'vcpu': return spawnVcpuActor(ctx, a);
    case 'fallocate': return spawnFallocateActor(ctx, a);
    case 'punch': return spawnPunchActor(ctx, a);
    case 'conversion': return spawnConversionActor(ctx, a);
    case 'memslot_churn': return spawnMemslotChurnActor(ctx, a, (rt) => rt.ramBytes - rt.hotplugBytes);
    case 'memory_error': return spawnMemoryErrorActor(ctx, a);
    case 'vm_lifecycle': return spawnVmLifecycleActor(ctx, a);
    case 'page_cache': return spawnPageCacheActor(ctx, a);
    case 'replay': return spawnReplayActor(ctx, a);
  }
}
