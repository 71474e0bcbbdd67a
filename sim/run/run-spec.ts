// One run of an experiment, named by value: what to load and how to override it, so a spec
// crosses to a worker thread as plain data and the same spec gives the same bytes wherever it
// runs. Experiments (replications, compare, sweep, check) build lists of these and hand them to
// the pool (sim/run/pool.ts). A caller that has already loaded and validated the spec's workload
// and profile (a sweep's planner does, to refuse bad input before any run) hands them along as
// plain data too, so a worker thread does not parse, validate and compile schemas a second time.
import { CostProfile, resolveProfile, type CostProfileFile } from '../costs/index.js';
import { runWorkload } from './runner.js';
import { serializeMetricsDocument } from '../output/metrics-document.js';
import type { Workload } from '../workload/types.js';

export interface RunSpec {
  /** A built-in workload name or a workload file path. */
  workload: string;
  /** --set path=value assignments, applied in order after `variant` and `seed`. */
  sets: string[];
  /** --variant (design variant, composed with +). */
  variant?: string;
  /** --seed; the workload file's seed when absent. */
  seed?: number;
  /** Replication index: with the seed, selects every RNG stream of the run. */
  replication: number;
  /** Cost profile name or JSON file; overrides the workload's `profile`. */
  profile?: string;
  /** What loading this spec gives, when the caller already has it (see preloadRun). */
  preloaded?: PreloadedRun;
}

/** A spec's workload as loadWorkload returns it, and its cost profile's validated file. */
export interface PreloadedRun {
  workload: Workload;
  profile: CostProfileFile;
}

/** The profile a spec runs under: --profile, else the workload's own. */
export function preloadRun(workload: Workload, profile: string | undefined): PreloadedRun {
  return { workload, profile: resolveProfile(profile ?? workload.profile).file };
}

export interface RunResult {
  spec: RunSpec;
  /** The serialized metrics.json (byte-deterministic for the spec). */
  metricsJson: string;
  /** Logical events the engine dispatched. */
  events: number;
  /** Wall time of the run in the process that ran it, ns (run.json material, never metrics). */
  wallNs: number;
  /** What the run resolved, for run.json and headings (never part of the bytes compared). */
  info?: RunIdentity;
}

export interface RunIdentity {
  variant: string;
  hypothetical: boolean;
  profile: string;
  profileSha256: string;
  workloadName: string;
  workloadSource: string;
  workloadSha256: string;
  seed: number;
  fastpathImpl: string;
  costOverrides: Record<string, number>;
}

/** Load (unless preloaded), run and serialize one spec in this thread. */
export async function runSpec(spec: RunSpec): Promise<RunResult> {
  const t0 = process.hrtime.bigint();
  const { preloaded, ...named } = spec;
  // The loader (YAML parser, workload schema) is imported only when needed, so a worker thread
  // whose specs all come preloaded never loads it.
  const workload = preloaded?.workload ?? (await import('../workload/load.js')).loadWorkload(spec.workload, { sets: spec.sets, variant: spec.variant, seed: spec.seed });
  const costProfile = preloaded ? new CostProfile(preloaded.profile) : undefined;
  const outcome = await runWorkload({ workload, replication: spec.replication, profile: spec.profile, costProfile });
  return {
    spec: named,
    metricsJson: serializeMetricsDocument(outcome.metrics),
    events: outcome.events,
    wallNs: Number(process.hrtime.bigint() - t0),
    info: {
      variant: outcome.variantName,
      hypothetical: outcome.hypothetical,
      profile: outcome.profileName,
      profileSha256: outcome.profileSha256,
      workloadName: workload.name,
      workloadSource: workload.source,
      workloadSha256: outcome.workloadSha256,
      seed: workload.seed,
      fastpathImpl: outcome.fastpathImpl,
      costOverrides: workload.costOverrides,
    },
  };
}
