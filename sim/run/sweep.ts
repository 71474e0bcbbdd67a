// Running a sweep's plan on the worker pool: every run (or one shard's slice of them) as a
// RunSpec, results back in spec order whatever the number of workers, then sweep.json (or the
// shard file) from them. Timing and worker counts are returned beside the document, for
// run.json; nothing of them reaches the document.
import { runMany } from './pool.js';
import type { RunSpec } from './run-spec.js';
import { buildSweepDocument, type RunMetrics, type SweepDocument } from './sweep-aggregate.js';
import { planHeader, shardRuns, type PlannedRun, type Shard, type SweepPlan } from './sweep-plan.js';
import { buildShardFile, type ShardFile } from './sweep-shard.js';

export interface SweepExecOptions {
  /** Worker threads (default: the pool's). */
  workers?: number;
  /** Even one worker on a worker thread (RunManyOptions.onWorkerThreads). */
  onWorkerThreads?: boolean;
  /** Called as runs finish: runs done, runs in this batch. */
  onProgress?: (done: number, total: number) => void;
}

/** What run.json records about the execution (never part of sweep.json). */
export interface SweepExecStats {
  runs: number;
  events: number;
  /** Sum of the runs' own wall times (CPU-ish work); the caller measures elapsed time. */
  runWallNs: number;
  /** Each run's events and own wall time, in the order the runs were given to the pool. */
  perRun: Array<{ events: number; wallNs: number }>;
}

export function toRunSpec(r: PlannedRun): RunSpec {
  return {
    workload: r.workload,
    sets: r.sets,
    ...(r.variant === undefined ? {} : { variant: r.variant }),
    seed: r.seed,
    replication: r.replication,
    ...(r.profile === undefined ? {} : { profile: r.profile }),
    ...(r.preloaded === undefined ? {} : { preloaded: r.preloaded }),
  };
}

/** Run planned runs on the pool; metrics in the order given. */
export async function executeRuns(runs: readonly PlannedRun[], opts: SweepExecOptions = {}): Promise<{ metrics: RunMetrics[]; stats: SweepExecStats }> {
  const results = await runMany(runs.map(toRunSpec), { workers: opts.workers, onWorkerThreads: opts.onWorkerThreads, onProgress: opts.onProgress });
  return {
    metrics: results.map((r) => JSON.parse(r.metricsJson) as RunMetrics),
    stats: {
      runs: results.length,
      events: results.reduce((a, r) => a + r.events, 0),
      runWallNs: results.reduce((a, r) => a + r.wallNs, 0),
      perRun: results.map((r) => ({ events: r.events, wallNs: r.wallNs })),
    },
  };
}

/** Every run of the plan, then sweep.json. */
export async function runSweep(plan: SweepPlan, opts: SweepExecOptions = {}): Promise<{ document: SweepDocument; stats: SweepExecStats }> {
  const { metrics, stats } = await executeRuns(plan.runs, opts);
  return { document: buildSweepDocument(planHeader(plan), plan.fingerprint, metrics), stats };
}

/** One shard's slice of the plan, then its shard file for `rmsim merge`. */
export async function runShard(plan: SweepPlan, shard: Shard, opts: SweepExecOptions = {}): Promise<{ file: ShardFile; stats: SweepExecStats }> {
  const runs = shardRuns(plan, shard);
  const { metrics, stats } = await executeRuns(runs, opts);
  const file = buildShardFile(planHeader(plan), plan.fingerprint, shard, plan.runs.length, runs.map((r, k) => ({ run: r.index, metrics: metrics[k] })));
  return { file, stats };
}
