// `rmsim baseline` / `rmsim check` as a library: did my change make anything slower. A baseline
// holds, per workload, the run it was made with and each replication's statistics. A check runs
// the same workloads (with the user's change: a profile, --set, a variant) and, per latency
// statistic, decides: with one replication a side (deterministic, same seed) the comparison is
// exact (any growth beyond the tolerance is a regression); with replications it is statistical
// (paired by replication, common random numbers: a regression is a significant growth beyond
// the tolerance). Only latency statistics can regress; growth is what counts as worse.
import { UsageError } from '../errors.js';
import type { MetricsDocument } from '../output/metrics-document.js';
import { compareSamples } from './compare-stats.js';
import { sideOf } from './compare.js';
import type { ReplicationStats } from './replication-stats.js';
import type { BaseSpec } from './replications.js';

export const BASELINE_SCHEMA_ID = 'rmsim.baseline/1';

/** The latency statistics a check holds (max is one sample: too noisy to gate on). */
export const CHECKED_STATS = ['mean', 'p50', 'p90', 'p99'] as const;

export interface BaselineEntry {
  /** The run as the baseline made it (replication left to the replications). */
  spec: BaseSpec;
  workload: string;
  variant: string;
  profile: string;
  seed: number;
  digest: string;
  samples: ReplicationStats[];
}

export interface Baseline {
  schema: typeof BASELINE_SCHEMA_ID;
  entries: BaselineEntry[];
}

export interface CheckRow {
  workload: string;
  metric: string;
  stat: string;
  baseline: number;
  current: number;
  /** Relative change of the mean, (current - baseline) / baseline (null from 0). */
  delta: number | null;
  /** Statistical mode only. */
  p: number | null;
  verdict: 'ok' | 'regressed' | 'improved';
}

export interface CheckResult {
  mode: 'exact' | 'statistical';
  tolerance: number;
  rows: CheckRow[];
  /** Workloads or metrics in the baseline the current run no longer has. */
  missing: string[];
}

/** Parse --tolerance: `5%` or a fraction `0.05`. */
export function parseTolerance(s: string | undefined): number {
  if (s === undefined) return 0;
  const m = /^([0-9]+(?:\.[0-9]+)?)(%?)$/.exec(s.trim());
  if (!m) throw new UsageError(`--tolerance: expected a percentage like 5% (or a fraction like 0.05), found ${JSON.stringify(s)}`);
  const v = Number(m[1]) / (m[2] ? 100 : 1);
  if (v >= 10) throw new UsageError(`--tolerance: ${s} is more than 1000%`);
  return v;
}

export function baselineEntry(spec: BaseSpec, doc: MetricsDocument): BaselineEntry {
  return { spec, workload: doc.workload, variant: doc.variant, profile: doc.profile, seed: doc.seed, digest: doc.digest, samples: sideOf('baseline', doc).samples };
}

export function parseBaseline(text: string, source: string): Baseline {
  let b: Baseline;
  try {
    b = JSON.parse(text) as Baseline;
  } catch {
    throw new UsageError(`${source}: not JSON`);
  }
  if (b?.schema !== BASELINE_SCHEMA_ID || !Array.isArray(b.entries)) throw new UsageError(`${source}: not an rmsim baseline (expected "schema": "${BASELINE_SCHEMA_ID}"; make one with rmsim baseline)`);
  return b;
}

const isLatency = (metric: string) => /_ns(\{|$)/.test(metric);
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

/** One workload's current run against its baseline entry. */
export function checkEntry(entry: BaselineEntry, current: MetricsDocument, tolerance: number, missing: string[]): CheckRow[] {
  const now = sideOf('current', current).samples;
  const statistical = entry.samples.length > 1 || now.length > 1;
  const paired = entry.samples.length === now.length && entry.samples.every((s, i) => s.replication === now[i].replication);
  const rows: CheckRow[] = [];
  const metrics = Object.keys(entry.samples[0].stats).filter(isLatency).sort();
  for (const metric of metrics) {
    if (!now.every((s) => s.stats[metric])) {
      missing.push(`${entry.workload}: ${metric}`);
      continue;
    }
    for (const stat of CHECKED_STATS) {
      const xs = entry.samples.map((s) => s.stats[metric][stat]);
      const ys = now.map((s) => s.stats[metric][stat]);
      if (xs.some((x) => x === undefined) || (xs.every((x) => x === 0) && ys.every((y) => y === 0))) continue;
      const change = compareSamples(xs, ys, paired && statistical);
      const grew = change.delta === null ? mean(ys) > 0 : change.delta > tolerance;
      const shrank = change.delta !== null && change.delta < -tolerance;
      const real = statistical ? change.significant : true;
      rows.push({
        workload: entry.workload, metric, stat,
        baseline: mean(xs), current: mean(ys), delta: change.delta, p: statistical ? change.p : null,
        verdict: real && grew ? 'regressed' : real && shrank ? 'improved' : 'ok',
      });
    }
  }
  return rows;
}

export function checkAll(baseline: Baseline, current: MetricsDocument[], tolerance: number): CheckResult {
  const missing: string[] = [];
  const rows = baseline.entries.flatMap((e, i) => checkEntry(e, current[i], tolerance, missing));
  const statistical = baseline.entries.some((e) => e.samples.length > 1);
  return { mode: statistical ? 'statistical' : 'exact', tolerance, rows, missing };
}
