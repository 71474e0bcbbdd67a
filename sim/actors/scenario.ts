// The scenario builder: workload -> VMs, their private files and memslots, then the actors.
// A setup process creates each VM the way a VMM does (vm-build.ts), then signals `ready`;
// actors start from there. With vms.shared_file every VM binds one file (intra-host migration).
import type { Workload, ActorSpec } from '../workload/types.js';
import { UsageError } from '../errors.js';
import type { ActorContext, ReplayState, VmRuntime } from './context.js';
import { errnoOf, type VmmFile } from './kernel-ops.js';
import { buildVm, hotplugBytesFor } from './vm-build.js';
import { spawnVcpuActor } from './vcpu.js';
import { spawnFallocateActor } from './vmm-fallocate.js';
import { spawnPunchActor } from './vmm-punch.js';
import { spawnConversionActor } from './conversion.js';
import { spawnMemslotChurnActor } from './memslot-churn.js';
import { spawnMemoryErrorActor } from './memory-error.js';
import { spawnVmLifecycleActor } from './vm-lifecycle.js';
import { spawnPageCacheActor } from './page-cache.js';
import { spawnReplayActor } from './replay.js';
import { readStrace } from '../replay/strace.js';
import { interpretTrace } from '../replay/interpret.js';
import type { Host } from '../model/index.js';
import { actorOps, type ActorOps } from './ops-tally.js';
import { declareMetrics } from './declared-metrics.js';
import { vcpuSchedulerFor, type VcpuSchedulerOptions } from './vcpu-scheduler.js';
import { faultBatchFor } from './fault-batch.js';

export interface Scenario {
  ctx: ActorContext;
  /** Simulated time at which the last actor process finished (the end of a run without duration). */
  lastFinishNs(): number;
  /**
   * The run's duration ended at endNs: actors start nothing new (ctx.stopping), and every
   * operation due before endNs that no thread started yet is counted as offered.
   */
  stopArrivals(endNs: number): void;
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
export function buildScenario(host: Host, w: Workload, opts: { vcpuScheduler?: VcpuSchedulerOptions } = {}): Scenario {
  checkWorkload(w);
  const sim = host.sim;
  const ready = sim.event<unknown>('scenario_ready');
  let last = 0;
  // Declared up front, so an actor that never ran shows 0 rather than vanishing.
  declareMetrics(sim.stats, w.actors);
  const ops = new Map<string, ActorOps>(w.actors.map((a) => [a.name, actorOps(sim.stats, a.name)]));
  const ctx: ActorContext = {
    sim, host, workload: w, vms: [], ready, replays: loadReplays(w), stopping: false, actorOps: ops, tallies: [],
    vcpuScheduler: vcpuSchedulerFor(sim, opts.vcpuScheduler),
    // The vCPU scheduler experiment keeps every fault in the model's machines.
    faultBatch: opts.vcpuScheduler === undefined ? faultBatchFor(sim, host, w) : null,
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
  return {
    ctx,
    lastFinishNs: () => last,
    stopArrivals(endNs) {
      ctx.stopping = true;
      for (const t of ctx.tallies) t.closeAt(endNs);
      // VMs still being built when the duration ended: no actor thread exists yet, but each
      // actor's start was due; one operation each says it never began.
      if (!ready.triggered) for (const o of ops.values()) o.offered.add(1);
    },
  };
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
