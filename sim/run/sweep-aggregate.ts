// sweep.json: the deterministic result of a sweep, built from the sweep's header and the
// metrics.json of every run in canonical order. It is the one function both an unsharded sweep
// and `rmsim merge` call, so the two write the same bytes. Per point and variant: each
// metric's statistics as the mean over replications with a 95% Student-t interval, the runs'
// digests and warnings, and with an SLO the point's verdict; then the knee per variant.
import { parse as parseYaml } from 'yaml';
import { canonicalize, documentDigest, stableStringify } from '../output/canonical-json.js';
import { findKnee, judgePoint, parseSlo, sloMetricKey, type Knee, type Slo, type SloVerdict } from './knee.js';
import type { SweepHeader } from './sweep-plan.js';
import { studentT } from './student-t.js';

/** The fields of a metrics.json this module reads. */
export interface RunMetrics {
  digest: string;
  metrics: Record<string, Record<string, unknown>>;
  /** Added by honest runs (`saturated`, `warmup_not_reached`, ...): strings or {kind,...}. */
  warnings?: unknown[];
}

/** A statistic over replications: mean and 95% interval (lo = hi = mean with one replication). */
export interface StatSummary {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface SweepPointResult {
  variant: string;
  params: Record<string, unknown>;
  seed: number;
  runs: Array<{ replication: number; digest: string; warnings: string[] }>;
  /** Warning kinds of any run of the point, sorted. */
  warnings: string[];
  metrics: Record<string, Record<string, StatSummary>>;
  slo?: SloVerdict & { value: StatSummary | null };
}

export interface SweepKnee extends Knee<unknown> {
  variant: string;
  /** The swept parameter the knee is along (the first --param). */
  param: string;
  /** The values of the other parameters, for grids of more than one. */
  fixed: Record<string, unknown>;
}

/** sweep.json: the header's identity fields, then the axes' values, the results and the knees. */
export interface SweepDocument extends Pick<SweepHeader, 'workload' | 'workload_sha256' | 'profile' | 'profile_sha256' | 'seed' | 'sets' | 'replications' | 'search'> {
  schema: string;
  params: Array<{ path: string; values: unknown[] }>;
  variants: string[];
  slo: Slo | null;
  fingerprint: string;
  points: SweepPointResult[];
  knees: SweepKnee[];
  digest: string;
}

/** Statistics kept per metric type (histogram buckets stay in the runs' own metrics.json). */
const STATS: Record<string, readonly string[]> = {
  histogram: ['count', 'mean', 'p50', 'p90', 'p99', 'p999', 'max'],
  counter: ['value'],
  gauge: ['mean', 'max'],
};

const WARNING_SATURATED = 'saturated';

/** The kind of a metrics.json warning, whether written as a string or an object. */
export function warningKind(w: unknown): string {
  if (typeof w === 'string') return w.split(/[:\s]/, 1)[0];
  if (w && typeof w === 'object') {
    const o = w as Record<string, unknown>;
    for (const k of ['kind', 'code', 'type', 'name']) if (typeof o[k] === 'string') return o[k] as string;
  }
  return String(w);
}

/** Mean and 95% Student-t interval of values (3 decimals, like metrics.json). */
export function summarize(values: readonly number[]): StatSummary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean: r3(mean), lo: r3(mean), hi: r3(mean), n };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const half = studentT().inv(0.975, n - 1) * Math.sqrt(variance / n);
  return { mean: r3(mean), lo: r3(mean - half), hi: r3(mean + half), n };
}

function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The value of one axis entry as sweep.json shows it (the YAML value of the raw text). */
function axisValue(raw: string): unknown {
  return parseYaml(raw) as unknown;
}

function summarizePoint(slo: Slo | null, runs: readonly RunMetrics[]): Pick<SweepPointResult, 'metrics' | 'warnings' | 'slo'> & { saturated: boolean } {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const metrics: Record<string, Record<string, StatSummary>> = {};
  for (const key of keys) {
    const present = runs.map((r) => r.metrics[key]).filter((m) => m !== undefined);
    const stats = STATS[String(present[0].type)] ?? [];
    const out: Record<string, StatSummary> = {};
    for (const stat of stats) {
      const values = present.map((m) => m[stat]).filter((v): v is number => typeof v === 'number');
      if (values.length > 0) out[stat] = summarize(values);
    }
    metrics[key] = out;
  }
  const warnings = [...new Set(runs.flatMap((r) => (r.warnings ?? []).map(warningKind)))].sort();
  const saturated = warnings.includes(WARNING_SATURATED);
  if (!slo) return { metrics, warnings, saturated };
  const key = sloMetricKey(slo, keys);
  const family = key === undefined ? undefined : metrics[key];
  // A distribution that counted nothing gives no evidence: its p99 of 0 is not a pass.
  const empty = family?.count !== undefined && family.count.mean === 0;
  const value = family && !empty ? family[slo.stat] ?? null : null;
  return { metrics, warnings, saturated, slo: { ...judgePoint(slo, value ?? undefined, saturated), value } };
}

/**
 * Build sweep.json from the header and every run's metrics in canonical order
 * (run index = point index * replications + replication).
 */
export function buildSweepDocument(header: SweepHeader, fingerprint: string, runs: readonly RunMetrics[]): SweepDocument {
  const reps = header.replications;
  if (runs.length !== header.points.length * reps) throw new Error(`sweep: ${runs.length} runs for ${header.points.length} points x ${reps} replications`);
  const slo = header.slo === null ? null : parseSlo(header.slo);
  const axes = header.params.map((a) => ({ path: a.path, values: a.values.map(axisValue) }));
  const saturatedAt: boolean[] = [];
  const points: SweepPointResult[] = header.points.map((p, i) => {
    const own = runs.slice(i * reps, (i + 1) * reps);
    const s = summarizePoint(slo, own);
    saturatedAt.push(s.saturated);
    return {
      variant: p.variant,
      params: Object.fromEntries(p.at.map((vi, k) => [axes[k].path, axes[k].values[vi]])),
      seed: p.seed,
      runs: own.map((r, rep) => ({ replication: rep, digest: r.digest, warnings: (r.warnings ?? []).map(warningKind) })),
      warnings: s.warnings,
      metrics: s.metrics,
      ...(s.slo ? { slo: s.slo } : {}),
    };
  });
  const variants = [...new Set(header.points.map((p) => p.variant))];
  const knees = slo && axes.length > 0 ? kneesOf(header, axes, points) : [];
  const body = {
    schema: header.schema,
    workload: header.workload,
    workload_sha256: header.workload_sha256,
    profile: header.profile,
    profile_sha256: header.profile_sha256,
    seed: header.seed,
    sets: header.sets,
    params: axes,
    variants,
    replications: reps,
    slo,
    ...(header.search ? { search: header.search } : {}),
    fingerprint,
    points,
    knees,
  };
  const canonicalBody = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, canonicalize(v)])) as typeof body;
  return { ...canonicalBody, digest: documentDigest(canonicalBody) };
}

/**
 * One knee per variant and per combination of the other parameters, along the first axis in
 * the order its values were given (ascending for ranges).
 */
function kneesOf(header: SweepHeader, axes: ReadonlyArray<{ path: string; values: unknown[] }>, points: readonly SweepPointResult[]): SweepKnee[] {
  const groups = new Map<string, number[]>();
  header.points.forEach((p, i) => {
    const key = JSON.stringify([p.variant, p.at.slice(1)]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  return [...groups.values()].map((idx) => {
    const first = header.points[idx[0]];
    const valueAt = (i: number) => axes[0].values[header.points[i].at[0]];
    // Numbers in ascending order whatever order they were listed in; words in the order given.
    const along = [...idx].sort((a, b) => {
      const va = valueAt(a);
      const vb = valueAt(b);
      return typeof va === 'number' && typeof vb === 'number' ? va - vb : header.points[a].at[0] - header.points[b].at[0];
    });
    const knee = findKnee(along.map((i) => ({ value: valueAt(i), verdict: points[i].slo! })));
    return {
      variant: first.variant,
      param: axes[0].path,
      fixed: Object.fromEntries(first.at.slice(1).map((vi, k) => [axes[k + 1].path, axes[k + 1].values[vi]])),
      ...knee,
    };
  });
}

/** The file's bytes: fixed top-level order, canonical inside, trailing newline. */
export function serializeSweepDocument(doc: SweepDocument): string {
  return stableStringify(doc) + '\n';
}
