// One run of an experiment, named by value: what to load and how to override it, never a
// loaded object, so a spec crosses to a worker thread as plain data and the same spec gives
// the same bytes wherever it runs. Experiments (replications, compare, sweep, check) build
// lists of these and hand them to the pool (sim/run/pool.ts).
import { loadWorkload } from '../workload/load.js';
import { runWorkload } from './runner.js';
import { serializeMetricsDocument } from '../output/metrics-document.js';

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
}

export interface RunResult {
  spec: RunSpec;
  /** The serialized metrics.json (byte-deterministic for the spec). */
  metricsJson: string;
  /** Logical events the engine dispatched. */
  events: number;
  /** Wall time of the run in the process that ran it, ns (run.json material, never metrics). */
  wallNs: number;
}

/** Load, run and serialize one spec in this thread. */
export async function runSpec(spec: RunSpec): Promise<RunResult> {
  const t0 = process.hrtime.bigint();
  const workload = loadWorkload(spec.workload, { sets: spec.sets, variant: spec.variant, seed: spec.seed });
  const outcome = await runWorkload({ workload, replication: spec.replication, profile: spec.profile });
  return {
    spec,
    metricsJson: serializeMetricsDocument(outcome.metrics),
    events: outcome.events,
    wallNs: Number(process.hrtime.bigint() - t0),
  };
}
