// Running one workload: resolve the variant (workload < variant < --set) and the cost profile,
// build the engine, the host and the scenario, advance simulated time in fixed steps (so a
// progress display can never change a result), and assemble metrics.json. This is the library
// entry point experiments (compare, sweep, check) loop over; it never writes files.
import { readFileSync } from 'node:fs';
import { Simulation, StallError, ProcessFailure, type Tracer } from '../engine/index.js';
import { resolveProfile, type CostProfile } from '../costs/index.js';
import { resolveVariant, type ResolvedVariant } from '../variants/index.js';
import { UsageError } from '../errors.js';
import { buildScenario, type Scenario } from '../actors/scenario.js';
import { summarizeBySizeClass, type ReplayReport } from '../actors/replay-report.js';
import type { VcpuSchedulerOptions } from '../actors/vcpu-scheduler.js';
import type { FaultBatchReport } from '../actors/fault-batch.js';
import { buildMetricsDocument, type MetricsDocument } from '../output/metrics-document.js';
import { runWarnings } from './run-warnings.js';
import { canonicalJson, sha256Hex } from '../output/canonical-json.js';
import type { Workload } from '../workload/types.js';
import { createHostWithFastPaths, formatTrail } from '../model/index.js';
import type { Host } from '../model/index.js';

export interface RunRequest {
  workload: Workload;
  /** Replication index (selects every RNG stream together with the seed). Default 0. */
  replication?: number;
  /** Check the kernel's safety properties (violations reported, exit 1 in the CLI). */
  checkSafety?: boolean;
  /** Receives spans/instants/counters for a Perfetto trace. */
  tracer?: Tracer;
  /** Cost profile name or JSON path; overrides the workload's `profile`. */
  profile?: string;
  /** The cost profile already resolved (from `profile` or the workload's); wins over both. */
  costProfile?: CostProfile;
  /** Fast-path implementation (default: WASM when built, else the reference). */
  impl?: 'wasm' | 'ts' | 'ref';
  /** Horizon batching (SimulationOptions.batching; default on): speed only, never a result. */
  batching?: boolean;
  /** Run every vCPU's waits under one scheduler (sim/actors/vcpu-scheduler.ts; off by default, needs batching): speed only, never a result. */
  vcpuScheduler?: VcpuSchedulerOptions;
}

export interface RunOutcome {
  metrics: MetricsDocument;
  /** Logical events the engine dispatched (run.json only). */
  events: number;
  variantName: string;
  hypothetical: boolean;
  profileName: string;
  profileSha256: string;
  workloadSha256: string;
  /** One line per safety or liveness violation (empty when none or not checked). */
  violations: string[];
  replay?: ReplayReport;
  /** Fast-path implementation the host ran on (run.json). */
  fastpathImpl: string;
  /** What the fault batch ran (run.json), or null with batching off. */
  faultBatch: FaultBatchReport | null;
  /** The event trail that led to the first safety violation (DESIGN.md principle 5), or ''. */
  firstViolationTrail: string;
}

export interface RunHandle {
  readonly simNowNs: number;
  /** The workload's duration, or undefined when it runs until its actors finish. */
  readonly horizonNs: number | undefined;
  readonly events: number;
  /** Advance one step of simulated time; false when the run is over. */
  step(): boolean;
  /**
   * The metrics recorded so far (metrics.json's body), without finishing the run: for a display
   * of progress, or the figures of a run stopped early. Reads only; changes nothing.
   */
  metricsSoFar(): Record<string, unknown>;
  /** Liveness checks and the metrics document (call after step() returned false). */
  finish(): RunOutcome;
}

/**
 * Steps per run with a duration. A run without one advances 1 ms of simulated time in its first
 * step and twice as far in each next one up to 64 ms: a step's fixed cost (the engine's `run`
 * call, a fault batch's fold of its counts into the statistics) stays small against a step of
 * first-touch faults in WASM (~370 faults per simulated ms of an 8-vCPU boot), while short runs
 * still report progress early. Steps end batches, never change a result: the run's end is put
 * where 1 ms steps put it (the clock of a run stopped at its `until` is that `until`).
 */
const STEPS = 200;
const OPEN_STEP_NS = 1_000_000;
const OPEN_STEP_MAX_NS = 64_000_000;
/** At least this long is allowed for operations in flight at the end of the duration to finish. */
const DRAIN_MIN_NS = 100_000_000;

/** Resolve the variant a workload runs under and refuse one its `requires` excludes. */
export function variantFor(w: Workload): ResolvedVariant {
  const v = resolveVariant(w.variant, { workload: w.variantChoices.workload, set: w.variantChoices.set });
  for (const [dim, allowed] of Object.entries(w.requires)) {
    const chosen = (v.choices as Record<string, string>)[dim];
    if (!allowed.includes(chosen)) {
      throw new UsageError(`workload ${w.name} requires ${dim} ${allowed.join(' or ')}; variant '${v.name}' chooses ${dim} ${chosen}`);
    }
  }
  return v;
}

/** A hash naming the workload as run: its normalised content, traces by content, no paths. */
export function workloadHash(w: Workload): string {
  const { source: _s, ...rest } = w;
  void _s;
  const actors = rest.actors.map((a) => (a.kind === 'replay' ? { ...a, trace: sha256Hex(readFileSync(a.trace)) } : a));
  return sha256Hex(canonicalJson({ ...rest, actors, durationNs: rest.durationNs ?? null, host: { ...rest.host, cpus: Number.isFinite(rest.host.cpus) ? rest.host.cpus : 'unlimited' } }));
}

function formatViolations(host: Host): string[] {
  return host.violations.map((v) => `${v.kind} at t=${v.t} ns${v.vm ? ` on ${v.vm}` : ''}${v.gfn !== undefined ? ` gfn ${v.gfn}` : ''}: ${v.detail}`);
}

export async function startRun(req: RunRequest): Promise<RunHandle> {
  const w = req.workload;
  const variant = variantFor(w);
  const base: CostProfile = req.costProfile ?? resolveProfile(req.profile ?? w.profile);
  const profile = Object.keys(w.costOverrides).length > 0 ? base.withOverrides(w.costOverrides) : base;
  const sim = new Simulation({
    seed: w.seed,
    replication: req.replication ?? 0,
    cpus: w.host.cpus,
    lockCosts: profile.lockCosts,
    warmupNs: w.warmupNs,
    tracer: req.tracer,
    batching: req.batching,
  });
  const host = await createHostWithFastPaths(sim, {
    memoryBytes: w.host.memoryBytes,
    profile,
    variant,
    initialFragmentation: w.host.fragmentation,
    checkSafety: req.checkSafety ?? false,
    impl: req.impl,
  });
  const scenario: Scenario = buildScenario(host, w, { vcpuScheduler: req.vcpuScheduler });
  const horizon = w.durationNs;
  let stepNs = horizon !== undefined ? Math.max(1, Math.ceil(horizon / STEPS)) : OPEN_STEP_NS;
  let over = false;
  const stalls: string[] = [];

  const advance = (until: number) => {
    try {
      sim.run({ until });
    } catch (err) {
      if (err instanceof StallError) {
        // Liveness: processes blocked forever are a finding, named with what they wait on.
        stalls.push(...err.blocked.map((b) => `stall at t=${err.timeNs} ns: ${b.name} waits on ${b.waitsOn}`));
        over = true;
        return;
      }
      if (err instanceof ProcessFailure && err.error instanceof UsageError) throw err.error;
      throw err;
    }
  };

  const handle: RunHandle = {
    get simNowNs() {
      return sim.now;
    },
    horizonNs: horizon,
    get events() {
      return sim.eventsProcessed;
    },
    step() {
      if (over) return false;
      if (horizon !== undefined) {
        if (sim.now >= horizon) {
          // Drain: no new operations; those in flight complete so the end-of-run checks see
          // a quiescent kernel. Bounded, so a livelock still ends (and is reported).
          scenario.stopArrivals(horizon);
          advance(horizon + Math.max(horizon, DRAIN_MIN_NS));
          if (sim.peekNextTime() !== Infinity) {
            // Who keeps it busy: the processes behind the model's latest events (a livelock
            // retries on a CPU, so it is not "blocked"), then any that wait.
            const active = [...new Set(host.trail.recent(32).map((e) => e.proc))].join(', ');
            stalls.push(`still busy ${Math.max(horizon, DRAIN_MIN_NS)} ns after the duration ended: operations never completed (last active: ${active || 'unknown'})`);
            stalls.push(...sim.blocked().map((b) => `${b.name} waits on ${b.waitsOn}`));
          }
          over = true;
          return false;
        }
        advance(Math.min(horizon, sim.now + stepNs));
      } else {
        const start = sim.now;
        advance(start + stepNs);
        if (sim.peekNextTime() === Infinity) {
          over = true;
          // The clock where 1 ms steps would have left it, the end of the 1 ms the last event fell
          // in: time-weighted gauges are averaged up to it.
          if (stepNs > OPEN_STEP_NS) sim.now = Math.max(start + OPEN_STEP_NS, Math.ceil(sim.lastEventNs / OPEN_STEP_NS) * OPEN_STEP_NS);
        }
        stepNs = Math.min(2 * stepNs, OPEN_STEP_MAX_NS);
      }
      return !over;
    },
    metricsSoFar() {
      return sim.stats.snapshot() as unknown as Record<string, unknown>;
    },
    finish() {
      while (handle.step()) { /* run to the end if the caller stopped early */ }
      host.finish();
      const violations = [...(req.checkSafety ? formatViolations(host) : []), ...stalls];
      const simEndNs = horizon !== undefined ? Math.max(horizon, scenario.lastFinishNs()) : scenario.lastFinishNs();
      let replay: ReplayReport | undefined;
      const states = [...(scenario.ctx.replays?.entries() ?? [])];
      if (states.length) {
        const calls = states.flatMap(([, st]) => st.results);
        const actor = w.actors.find((a) => a.kind === 'replay');
        replay = {
          trace: actor && actor.kind === 'replay' ? actor.trace.split('/').pop()! : 'trace',
          backend: actor && actor.kind === 'replay' ? actor.backend : 'both',
          calls,
          by_size_class: summarizeBySizeClass(calls),
        };
      }
      const body = sim.stats.snapshot();
      const metrics = buildMetricsDocument({
        workload: w.name,
        variant: variant.name,
        profile: profile.name,
        seed: w.seed,
        replication: req.replication ?? 0,
        simEndNs,
        warnings: runWarnings(w, simEndNs, body),
        warmupNs: w.warmupNs,
        metrics: body as unknown as Record<string, unknown>,
        replay,
        safety: req.checkSafety ? {
          checked: true,
          violations: host.violations.map((v) => ({ kind: v.kind, t_ns: v.t, vm: v.vm ?? null, gfn: v.gfn ?? null, detail: v.detail })),
        } : undefined,
      });
      const outcome: RunOutcome = {
        metrics,
        events: sim.eventsProcessed,
        variantName: variant.name,
        hypothetical: variant.hypothetical,
        profileName: profile.name,
        profileSha256: sha256Hex(canonicalJson(profile.file)),
        workloadSha256: workloadHash(w),
        violations,
        replay,
        fastpathImpl: host.fp.impl,
        faultBatch: scenario.ctx.faultBatch?.report() ?? null,
        firstViolationTrail: req.checkSafety && host.violations.length ? formatTrail(host.violations[0].trail) : '',
      };
      // Hand the fast paths' WASM instance back (FastPaths.dispose): the next run in this thread
      // reuses its memory and its exported functions instead of a fresh instance, so code V8
      // optimized around those functions stays valid from one run to the next.
      host.fp.dispose();
      return outcome;
    },
  };
  return handle;
}

/** Run a workload to its end (the library form of `rmsim run` without outputs). */
export async function runWorkload(req: RunRequest): Promise<RunOutcome> {
  const h = await startRun(req);
  while (h.step()) { /* advance */ }
  return h.finish();
}
