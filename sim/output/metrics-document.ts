// metrics.json: the deterministic result of one run. Top-level fields in a fixed order, every
// nested object in sorted key order, a digest over the canonical form. Only inputs and
// simulated quantities go here; wall time, host and versions go to run.json.
import { canonicalize, documentDigest, stableStringify } from './canonical-json.js';

export const METRICS_SCHEMA_ID = 'rmsim.metrics/1';

export interface MetricsInputs {
  workload: string;
  variant: string;
  /** Cost profile name (its hash is in run.json). */
  profile: string;
  seed: number;
  replication: number;
  /** Simulated time at which the run ended, ns. */
  simEndNs: number;
  warmupNs: number;
  /** Recorder.snapshot() (already canonical) plus any run-level counters. */
  metrics: Record<string, unknown>;
  /** Optional per-call replay comparison (rmsim run --trace). */
  replay?: unknown;
  /** Safety checks run and their outcome, when --check-safety was given. */
  safety?: unknown;
  /** What makes the numbers less than they seem (saturation, warm-up not reached); [] when none. */
  warnings?: RunWarning[];
  /** A pooled run (--replications n): each replication's statistics, in replication order. */
  replications?: unknown[];
}

/**
 * Something a reader of the numbers must know, in metrics.json and printed after the summary:
 * `saturated` (an actor completed under 90% of the work it was offered, so its latencies
 * describe the work that got through, not the load asked for), `warmup_not_reached` (the run
 * ended before its warm-up did, so every metric covers the warm-up).
 */
export interface RunWarning {
  kind: 'saturated' | 'warmup_not_reached';
  /** One line for a person. */
  message: string;
  /** saturated: the actor, its offered and completed operations. */
  actor?: string;
  offered?: number;
  completed?: number;
  /** In a pooled document: the replication that raised it. */
  replication?: number;
}

export interface MetricsDocument {
  schema: typeof METRICS_SCHEMA_ID;
  workload: string;
  variant: string;
  profile: string;
  seed: number;
  replication: number;
  sim_end_ns: number;
  warmup_ns: number;
  metrics: Record<string, unknown>;
  replay?: unknown;
  safety?: unknown;
  warnings: RunWarning[];
  replications?: unknown[];
  digest: string;
}

export function buildMetricsDocument(m: MetricsInputs): MetricsDocument {
  const body = {
    schema: METRICS_SCHEMA_ID as typeof METRICS_SCHEMA_ID,
    workload: m.workload,
    variant: m.variant,
    profile: m.profile,
    seed: m.seed,
    replication: m.replication,
    sim_end_ns: m.simEndNs,
    warmup_ns: m.warmupNs,
    metrics: canonicalize(m.metrics) as Record<string, unknown>,
    warnings: canonicalize(m.warnings ?? []) as RunWarning[],
    ...(m.replications === undefined ? {} : { replications: canonicalize(m.replications) as unknown[] }),
    ...(m.replay === undefined ? {} : { replay: canonicalize(m.replay) }),
    ...(m.safety === undefined ? {} : { safety: canonicalize(m.safety) }),
  };
  return { ...body, digest: documentDigest(body) };
}

/** The file's bytes: fixed top-level order, trailing newline. */
export function serializeMetricsDocument(doc: MetricsDocument): string {
  return stableStringify(doc) + '\n';
}

/** Recompute a parsed metrics.json's digest; true when it matches its `digest` field. */
export function verifyMetricsDigest(doc: Record<string, unknown>): boolean {
  return typeof doc.digest === 'string' && documentDigest(doc) === doc.digest;
}
