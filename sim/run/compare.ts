// `rmsim compare` as a library: finished runs (metrics documents) side by side, per metric and
// statistic, with the change from the first side to each other side (sim/run/compare-stats.ts).
// A side's samples are its replications' statistics (metrics.json `replications`), or the run's
// own statistics when it was a single run. Runs that were replicated with the same indices are
// paired (common random numbers); nothing here reaches into the model.
import type { MetricSnapshot } from '../engine/index.js';
import type { MetricsDocument, RunWarning } from '../output/metrics-document.js';
import { compareSamples, summarize, type SideSummary } from './compare-stats.js';
import { STATS_OF, statsOf, type ReplicationStats } from './replication-stats.js';

export const COMPARE_SCHEMA_ID = 'rmsim.compare/1';

export interface Side {
  label: string;
  doc: MetricsDocument;
  samples: ReplicationStats[];
}

export interface CompareRow {
  metric: string;
  stat: string;
  a: SideSummary & { label: string };
  b: SideSummary & { label: string };
  /** Relative change of the mean from A to B. */
  delta: number | null;
  /** Half-width of the 95% interval of `delta`. */
  ci: number | null;
  p: number | null;
  significant: boolean;
  paired: boolean;
}

export interface CompareDocument {
  schema: typeof COMPARE_SCHEMA_ID;
  /** Each side's warnings travel with it: a saturated side's latencies describe only the work that ran. */
  sides: Array<{ label: string; workload: string; variant: string; profile: string; seed: number; replications: number; digest: string; warnings: RunWarning[] }>;
  rows: CompareRow[];
  /** Metrics only one side has (not compared). */
  unmatched: Array<{ metric: string; only_in: string }>;
}

/** A finished run as a side: its replications, or its own statistics as one sample. */
export function sideOf(label: string, doc: MetricsDocument): Side {
  const samples = (doc.replications as ReplicationStats[] | undefined)
    ?? [{ replication: doc.replication, digest: doc.digest, stats: statsOf(doc.metrics as Record<string, MetricSnapshot>) }];
  return { label, doc, samples };
}

function samePairing(a: Side, b: Side): boolean {
  return a.samples.length === b.samples.length && a.samples.every((s, i) => s.replication === b.samples[i].replication);
}

/** Every metric and statistic both sides have, B against A. */
function compareTwo(a: Side, b: Side, unmatched: CompareDocument['unmatched']): CompareRow[] {
  const paired = samePairing(a, b) && a.samples.length > 1;
  const rows: CompareRow[] = [];
  const keys = [...new Set([...Object.keys(a.doc.metrics), ...Object.keys(b.doc.metrics)])].sort();
  for (const metric of keys) {
    const ma = a.doc.metrics[metric] as MetricSnapshot | undefined;
    const mb = b.doc.metrics[metric] as MetricSnapshot | undefined;
    if (!ma || !mb) {
      unmatched.push({ metric, only_in: ma ? a.label : b.label });
      continue;
    }
    for (const stat of STATS_OF[ma.type]) {
      const xs = a.samples.map((s) => s.stats[metric]?.[stat]);
      const ys = b.samples.map((s) => s.stats[metric]?.[stat]);
      // A replication that never recorded the metric has no value for it: no row rather than a guess.
      if (xs.some((x) => x === undefined) || ys.some((y) => y === undefined)) continue;
      if (xs.every((x) => x === 0) && ys.every((y) => y === 0)) continue;
      const change = compareSamples(xs as number[], ys as number[], paired);
      rows.push({
        metric, stat,
        a: { label: a.label, ...summarize(xs as number[]) },
        b: { label: b.label, ...summarize(ys as number[]) },
        ...change,
      });
    }
  }
  return rows;
}

/** Compare every side after the first against the first. */
export function compareSides(sides: Side[]): CompareDocument {
  if (sides.length < 2) throw new Error('compareSides: at least two sides');
  const unmatched: CompareDocument['unmatched'] = [];
  const rows = sides.slice(1).flatMap((b) => compareTwo(sides[0], b, unmatched));
  return {
    schema: COMPARE_SCHEMA_ID,
    sides: sides.map((s) => ({ label: s.label, workload: s.doc.workload, variant: s.doc.variant, profile: s.doc.profile, seed: s.doc.seed, replications: s.samples.length, digest: s.doc.digest, warnings: s.doc.warnings ?? [] })),
    rows,
    unmatched,
  };
}
