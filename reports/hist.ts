// Figures a report reads off an exported histogram: the share of samples above zero (for a
// lock's wait_ns, the share of acquisitions that waited) and the percentiles of those samples
// alone, so a tail is not hidden when most acquisitions never wait. Quantiles come from the
// engine's own Histogram rebuilt from the exported buckets (bucket 0 holds exactly 0).
import { Histogram } from '../sim/engine/histogram.js';
import type { HistogramMetric } from './metrics-types.js';

/** Fewer samples than this and a distribution is a table row, not a chart. */
export const MIN_SAMPLES_FOR_CHART = 8;

export const TAIL_STATS = ['p50', 'p90', 'p99', 'p99.9', 'max'] as const;
export type TailStat = (typeof TAIL_STATS)[number];
const TAIL_Q: Record<TailStat, number> = { p50: 0.5, p90: 0.9, p99: 0.99, 'p99.9': 0.999, max: 1 };

export interface NonZeroPart {
  /** Samples above zero. */
  count: number;
  /** count / all samples (0 when there are none). */
  share: number;
  sumNs: number;
  /** Percentiles of the samples above zero. */
  stats: Record<TailStat, number>;
}

/** The part of a histogram above zero: who waited, and how long those waits were. */
export function nonZeroPart(h: HistogramMetric): NonZeroPart {
  const buckets = h.buckets.filter(([low]) => low > 0);
  const count = buckets.reduce((a, [, n]) => a + n, 0);
  const sumNs = h.mean * h.count;
  const stats = Object.fromEntries(TAIL_STATS.map((s) => [s, 0])) as Record<TailStat, number>;
  if (count > 0) {
    const hist = Histogram.fromBuckets(buckets, sumNs, buckets[0][0], h.max);
    for (const s of TAIL_STATS) stats[s] = hist.quantile(TAIL_Q[s]);
  }
  return { count, share: h.count === 0 ? 0 : count / h.count, sumNs, stats };
}

/** The exported percentiles of all samples, in TAIL_STATS order. */
export function allStats(h: HistogramMetric): Record<TailStat, number> {
  return { p50: h.p50, p90: h.p90, p99: h.p99, 'p99.9': h.p999, max: h.max };
}
