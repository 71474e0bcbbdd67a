// The statistics of one replication that experiments pair across sides: per metric, the
// headline numbers a user compares (a distribution's count, mean and percentiles, a counter's
// value, a gauge's mean and max). metrics.json of a replicated run keeps these per replication,
// so `rmsim compare` and `rmsim check` can pair replication i of A with replication i of B.
import type { MetricSnapshot } from '../engine/index.js';

/** Statistic name -> value, for one metric of one replication. */
export type MetricStats = Record<string, number>;
/** Metric key -> its statistics. */
export type RunStats = Record<string, MetricStats>;

export interface ReplicationStats {
  replication: number;
  /** The digest of that replication's own metrics.json. */
  digest: string;
  stats: RunStats;
}

/** The statistics experiments compare, for each kind of metric, in the order they print. */
export const STATS_OF = {
  histogram: ['mean', 'p50', 'p90', 'p99', 'p999', 'max', 'count'],
  counter: ['value'],
  gauge: ['mean', 'max'],
} as const;

/** The comparable statistics of every metric of one run. */
export function statsOf(metrics: Record<string, MetricSnapshot>): RunStats {
  const out: RunStats = {};
  for (const [key, m] of Object.entries(metrics)) {
    const s: MetricStats = {};
    for (const stat of STATS_OF[m.type]) s[stat] = (m as unknown as Record<string, number>)[stat];
    out[key] = s;
  }
  return out;
}
