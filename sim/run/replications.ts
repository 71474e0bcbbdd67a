// n replications of one run: replication i draws every random stream from (seed, i), the runs
// fan out over the worker pool, and the documents pool into one (sim/run/pool-metrics.ts).
// The pooled bytes depend on the spec and n only, never on the workers.
import { UsageError } from '../errors.js';
import type { MetricsDocument } from '../output/metrics-document.js';
import { poolReplications } from './pool-metrics.js';
import { runMany, type RunManyOptions } from './pool.js';
import type { RunResult, RunSpec } from './run-spec.js';

export type BaseSpec = Omit<RunSpec, 'replication'>;

export interface Replicated {
  /** The pooled document (n = 1: the run's own document). */
  doc: MetricsDocument;
  /** Each replication's result, in replication order. */
  results: RunResult[];
}

/** Parse --replications: a whole number >= 1. */
export function parseReplications(s: string | undefined, fallback = 1): number {
  if (s === undefined) return fallback;
  if (!/^[0-9]+$/.test(s) || Number(s) < 1 || Number(s) > 100000) throw new UsageError(`--replications: expected a whole number 1..100000, found ${JSON.stringify(s)}`);
  return Number(s);
}

/** The specs of replications 0..n-1 of one run. */
export function replicationSpecs(base: BaseSpec, n: number): RunSpec[] {
  return Array.from({ length: n }, (_, i) => ({ ...base, replication: i }));
}

/** Pool finished results of replications 0..n-1 of one run (in replication order). */
export function poolResults(results: RunResult[]): MetricsDocument {
  const docs = results.map((r) => JSON.parse(r.metricsJson) as MetricsDocument);
  return docs.length === 1 ? docs[0] : poolReplications(docs);
}

export async function runReplications(base: BaseSpec, n: number, opts: RunManyOptions = {}): Promise<Replicated> {
  const results = await runMany(replicationSpecs(base, n), opts);
  return { doc: poolResults(results), results };
}
