// What every actor sees: the simulation, the host, the VMs the scenario built (with their
// private files and memslot layout), the moment the scenario became ready, and helpers to
// draw sizes, offsets and inter-arrival gaps from the actor's own RNG stream.
import type { Process, RngStream, Simulation, SimEvent, Yieldable } from '../engine/index.js';
import { drawExponential, roundNs } from '../engine/index.js';
import type { Workload, SizeDistribution, Arrival } from '../workload/types.js';
import type { VmmFile } from './kernel-ops.js';
import type { InterpretedTrace } from '../replay/interpret.js';
import type { ReplayCallResult } from './replay-report.js';
import type { Host, Memslot, Vm } from '../model/index.js';
import { OpsTally, type ActorOps } from './ops-tally.js';
import type { VcpuScheduler } from './vcpu-scheduler.js';
import type { FaultBatch } from './fault-batch.js';

/** One VM as the scenario built it: guest RAM [0, ramBytes) maps to the file at +fileBase. */
export interface VmRuntime {
  index: number;
  vm: Vm;
  file: VmmFile;
  ramBytes: number;
  /** File byte offset of guest RAM offset 0 (the memslot misalignment). */
  fileBase: number;
  /** Main memslots: each covers RAM [ramOffset, ramOffset + npages * 4 KiB). */
  slots: Array<{ slot: Memslot; ramOffset: number }>;
  /** RAM bytes at the top left for hot-plug (memslot_churn), not covered by main slots. */
  hotplugBytes: number;
  /** gfn of RAM offset 0 of each 4 KiB page: slot base + page within slot. */
  gfnOf(ramOffset: number): number;
}

/** Per replay actor name: the parsed trace (read before the run) and where results go. */
export interface ReplayState {
  trace: InterpretedTrace;
  results: ReplayCallResult[];
}

// Actor processes are never daemons: every one ends (its ops are done, or the run's duration
// ended and it starts nothing new), so one still waiting at the end is a real stall and the
// engine names it with what it waits on.
export interface ActorContext {
  sim: Simulation;
  host: Host;
  workload: Workload;
  vms: VmRuntime[];
  /** Succeeds when the scenario's VMs, files and memslots exist. */
  ready: SimEvent<unknown>;
  /** An actor process finished its work at the current time. */
  finished(p: Process): void;
  /**
   * Set when the run's duration is reached: actors start no new operation, so the ones in
   * flight finish and the end-of-run checks see a quiescent kernel, not one cut mid-punch.
   */
  stopping: boolean;
  /** Replay actors' traces (parsed before the run, so a bad trace is bad input) and results. */
  replays?: Map<string, ReplayState>;
  /** Per actor name: its offered and completed counters (ops-tally.ts). */
  actorOps: Map<string, ActorOps>;
  /** Every actor thread's tally, so the end of the duration can count what was due. */
  tallies: OpsTally[];
  /** The run's vCPU scheduler over all vCPUs' waits (vcpu-scheduler.ts), or null: the engine steps them. */
  vcpuScheduler: VcpuScheduler | null;
  /** First-touch faults run inside WASM while one VM's vCPUs are alone (fault-batch.ts), or null. */
  faultBatch: FaultBatch | null;
}

/**
 * The tally of one actor thread spawned now: its first operation is due when the actor starts
 * (now + startNs), whether or not the thread gets a CPU by then. budget: the operations the
 * thread would ever start (default the actor's op budget; none: until the duration ends).
 */
export function tallyFor(ctx: ActorContext, a: { name: string; startNs: number; ops?: number }, budget = a.ops): OpsTally {
  const t = new OpsTally(ctx.actorOps.get(a.name)!, ctx.sim, ctx.sim.now + a.startNs, budget ?? Infinity, ctx.workload.warmupNs);
  ctx.tallies.push(t);
  return t;
}

export function rngFor(ctx: ActorContext, actor: string, thread: string | number): RngStream {
  return ctx.sim.rng(`actor/${actor}/${thread}`);
}

/** Uniform integer in [0, n). */
export function uniformInt(s: RngStream, n: number): number {
  return Math.min(n - 1, Math.floor(s.uniform01() * n));
}

/** One size from the distribution (bytes, whole pages). */
export function drawSize(s: RngStream, d: SizeDistribution): number {
  switch (d.kind) {
    case 'fixed':
      return d.bytes;
    case 'choice': {
      const total = d.weights.reduce((a, b) => a + b, 0);
      let u = s.uniform01() * total;
      for (let i = 0; i < d.values.length; i++) {
        u -= d.weights[i];
        if (u <= 0) return d.values[i];
      }
      return d.values[d.values.length - 1];
    }
    case 'uniform': {
      const steps = Math.floor((d.max - d.min) / d.step) + 1;
      return d.min + uniformInt(s, steps) * d.step;
    }
  }
}

/**
 * An aligned offset such that [offset, offset + len) lies in [lo, hi): uniform over the aligned
 * positions; when none fits, the range start.
 */
export function drawOffset(s: RngStream, lo: number, hi: number, len: number, align: number): number {
  const first = Math.ceil(lo / align) * align;
  const last = hi - len;
  if (last < first) return lo;
  const slots = Math.floor((last - first) / align) + 1;
  return first + uniformInt(s, slots) * align;
}

/** Gap before the next arrival: exponential (poisson) or constant (fixed); 0 when no rate. */
export function drawGap(s: RngStream, intervalNs: number | undefined, arrival: Arrival): number {
  if (intervalNs === undefined) return 0;
  return arrival === 'fixed' ? intervalNs : roundNs(drawExponential(s, intervalNs));
}

/** The VMs an actor applies to. */
export function vmsOf(ctx: ActorContext, vm: number | 'all'): VmRuntime[] {
  return vm === 'all' ? ctx.vms : ctx.vms.filter((v) => v.index === vm);
}

/** Byte range [lo, hi) of guest RAM an actor works in. */
export function rangeOf(rt: VmRuntime, range: { offset: number; size?: number }): [number, number] {
  const lo = range.offset;
  const hi = range.size === undefined ? rt.ramBytes : Math.min(rt.ramBytes, lo + range.size);
  return [lo, hi];
}

/** A span on the acting process's track (Perfetto): the VMM or vCPU operation just done. */
export function traceOp(ctx: ActorContext, p: Process, name: string, t0: number, args?: Record<string, unknown>): void {
  ctx.sim.tracer?.span(p.name, name, t0, ctx.sim.now, args);
}

/** Whether an actor with this op budget still has work (none once the run is draining). */
export function moreOps(ctx: ActorContext, done: number, ops: number | undefined): boolean {
  return !ctx.stopping && (ops === undefined || done < ops);
}

/**
 * Paces an open-loop actor: the operation before (if any) completed; waits until the next
 * arrival and says whether to run one more operation (false once the op budget is spent or the
 * run is draining, before or after the wait). One draw per arrival, in the same order for every
 * actor kind. The tally sees the operation due at the arrival and started after it.
 */
export function* awaitArrival(
  p: Process, ctx: ActorContext, s: RngStream,
  a: { ops?: number; intervalNs?: number; arrival: Arrival }, tally: OpsTally,
): Generator<Yieldable, boolean, unknown> {
  tally.complete();
  if (!moreOps(ctx, tally.started, a.ops)) return false;
  const gap = drawGap(s, a.intervalNs, a.arrival);
  tally.dueIn(gap);
  if (gap > 0) yield p.sleep(gap);
  if (ctx.stopping) return false;
  tally.start();
  return true;
}
