// Pooling replications into one metrics document, exactly: a distribution's pooled statistics
// come from the sum of the replications' histogram buckets (sim/engine/histogram.ts keeps
// counts that merge without loss), so the pooled p99 is the p99 of every sample of every
// replication, not an average of p99s. Counters add up. A gauge's pooled mean is the mean of
// the replications' time-weighted means and its max the largest; its series are left out (they
// are time lines of single runs, kept in each replication's own run).
import { Histogram, histogramSnapshot, type MetricSnapshot, type HistogramSnapshot, type GaugeSnapshot } from '../engine/index.js';
import { buildMetricsDocument, type MetricsDocument } from '../output/metrics-document.js';
import { statsOf, type ReplicationStats } from './replication-stats.js';

function poolHistograms(hs: HistogramSnapshot[]): HistogramSnapshot {
  const pooled = new Histogram();
  for (const h of hs) pooled.merge(Histogram.fromBuckets(h.buckets, h.sum, h.count ? h.min : Infinity, h.count ? h.max : -Infinity));
  return { ...histogramSnapshot(pooled), unit: hs[0].unit };
}

function poolGauges(gs: GaugeSnapshot[]): GaugeSnapshot {
  const mean = gs.reduce((a, g) => a + g.mean, 0) / gs.length;
  return { type: 'gauge', mean: Math.round(mean * 1000) / 1000, max: Math.max(...gs.map((g) => g.max)), last: gs[gs.length - 1].last, series: [] };
}

/** Pool one metric across the replications that have it (a metric may appear in only some). */
function poolMetric(key: string, ms: MetricSnapshot[]): MetricSnapshot {
  const type = ms[0].type;
  if (ms.some((m) => m.type !== type)) throw new Error(`metric ${key} has different types across replications`);
  if (type === 'counter') return { type, value: ms.reduce((a, m) => a + (m as { value: number }).value, 0) };
  if (type === 'histogram') return poolHistograms(ms as HistogramSnapshot[]);
  return poolGauges(ms as GaugeSnapshot[]);
}

/**
 * One document for n replications of the same run (replication 0..n-1, in that order): the
 * pooled metrics, and each replication's statistics with its own digest.
 */
export function poolReplications(docs: MetricsDocument[]): MetricsDocument {
  if (docs.length === 0) throw new Error('poolReplications: no replications');
  const first = docs[0];
  const keys = [...new Set(docs.flatMap((d) => Object.keys(d.metrics)))].sort();
  const metrics: Record<string, MetricSnapshot> = {};
  for (const k of keys) {
    metrics[k] = poolMetric(k, docs.flatMap((d) => (d.metrics[k] === undefined ? [] : [d.metrics[k] as MetricSnapshot])));
  }
  const replications: ReplicationStats[] = docs.map((d) => ({
    replication: d.replication,
    digest: d.digest,
    stats: statsOf(d.metrics as Record<string, MetricSnapshot>),
  }));
  const warnings = docs.flatMap((d) => (d.warnings ?? []).map((w) => ({ ...w, replication: d.replication })));
  return buildMetricsDocument({
    workload: first.workload,
    variant: first.variant,
    profile: first.profile,
    seed: first.seed,
    replication: first.replication,
    simEndNs: Math.max(...docs.map((d) => d.sim_end_ns)),
    warmupNs: first.warmup_ns,
    metrics,
    replications,
    warnings: warnings.length ? warnings : undefined,
  });
}
