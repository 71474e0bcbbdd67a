// The compare report: for each latency metric both sides' statistics side by side with their
// 95% intervals, the pooled distributions overlaid as CDFs, and one chart of every change
// with its interval (significant changes marked).
import type { CompareDocument } from '../../sim/run/compare.js';
import { compareTable } from '../../sim/output/compare-table.js';
import type { VlSpec } from '../specs.js';
import type { HistogramMetric, MetricsDoc } from '../metrics-types.js';
import { safeChartId, writeExperimentPage, type ExperimentChart } from './experiment-page.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Latency metrics drawn (the first this many with samples, by name). */
const MAX_METRICS = 16;
const ROW = { field: 'row', type: 'nominal', sort: null, title: null, axis: { labelLimit: 360 } };
const LATENCY_STATS = ['mean', 'p50', 'p90', 'p99'];

/** Each side's mean of each statistic of one metric, with its interval (us). */
export function sideBySideSpec(metric: string, doc: CompareDocument): VlSpec {
  const rows = doc.rows.filter((r) => r.metric === metric && LATENCY_STATS.includes(r.stat));
  const seen = new Set<string>();
  const values: Array<Record<string, unknown>> = [];
  for (const r of rows) {
    for (const s of [r.a, r.b]) {
      if (seen.has(`${r.stat} ${s.label}`)) continue;
      seen.add(`${r.stat} ${s.label}`);
      const ci = s.ci ?? 0;
      values.push({ stat: r.stat, side: s.label, us: s.mean / 1000, lo: (s.mean - ci) / 1000, hi: (s.mean + ci) / 1000 });
    }
  }
  const order = doc.sides.map((s) => s.label);
  const enc = { x: { field: 'stat', type: 'nominal', sort: LATENCY_STATS, title: null }, xOffset: { field: 'side', type: 'nominal', sort: order }, color: { field: 'side', type: 'nominal', title: null, sort: order } };
  return {
    $schema: SCHEMA,
    title: { text: `${metric}: each side with its 95% interval`, anchor: 'start' },
    width: 560, height: 220,
    data: { values },
    layer: [
      { mark: { type: 'point', filled: true }, encoding: { ...enc, y: { field: 'us', type: 'quantitative', title: 'us', scale: { zero: false } }, tooltip: [{ field: 'side' }, { field: 'stat' }, { field: 'us', type: 'quantitative', format: '.3f' }] } },
      { mark: { type: 'rule' }, encoding: { ...enc, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  };
}

/** The pooled distributions of one metric, one cumulative line per side, from the buckets. */
export function cdfOverlaySpec(metric: string, sides: Array<[string, HistogramMetric]>): VlSpec {
  const values: Array<Record<string, unknown>> = [];
  for (const [side, h] of sides) {
    let seen = 0;
    for (const [low, count] of h.buckets) {
      seen += count;
      values.push({ side, us: Math.max(low / 1000, 0.001), fraction: seen / h.count });
    }
  }
  const order = sides.map(([s]) => s);
  return {
    $schema: SCHEMA,
    title: { text: `${metric}: distributions overlaid`, anchor: 'start' },
    width: 560, height: 240,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'latency (us, log scale)' },
      y: { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1] }, title: 'fraction of operations <= x' },
      color: { field: 'side', type: 'nominal', title: null, sort: order },
      strokeDash: { field: 'side', type: 'nominal', sort: order, legend: null },
    },
  };
}

/** Every change (relative, with its interval), one row per metric statistic and side. */
export function changesSpec(doc: CompareDocument): VlSpec {
  const values = doc.rows.filter((r) => r.delta !== null).map((r) => ({
    row: `${r.metric} ${r.stat}${doc.sides.length > 2 ? ` (${r.b.label})` : ''}`,
    pct: r.delta! * 100,
    lo: (r.delta! - (r.ci ?? 0)) * 100,
    hi: (r.delta! + (r.ci ?? 0)) * 100,
    verdict: r.significant ? 'significant' : '~ not significant',
  }));
  return {
    $schema: SCHEMA,
    title: { text: `change of each statistic, ${doc.sides.slice(1).map((s) => s.label).join(', ')} against ${doc.sides[0].label} (95% intervals)`, anchor: 'start' },
    width: 480, height: { step: 12 },
    data: { values },
    layer: [
      { mark: { type: 'rule', color: '#999' }, encoding: { x: { datum: 0 } } },
      { mark: 'rule', encoding: { y: ROW, x: { field: 'lo', type: 'quantitative', title: 'change (%)' }, x2: { field: 'hi' }, color: { field: 'verdict', type: 'nominal', title: null } } },
      { mark: { type: 'point', filled: true }, encoding: { y: ROW, x: { field: 'pct', type: 'quantitative' }, color: { field: 'verdict', type: 'nominal' }, tooltip: [{ field: 'row' }, { field: 'pct', type: 'quantitative', format: '+.2f' }] } },
    ],
  };
}

export function compareCharts(doc: CompareDocument, sides: Array<{ label: string; doc: { metrics: Record<string, unknown> } }>): ExperimentChart[] {
  const charts: ExperimentChart[] = [{ id: 'compare.changes', spec: changesSpec(doc) }];
  const latencies = [...new Set(doc.rows.filter((r) => /_ns(\{|$)/.test(r.metric) && r.stat === 'p99').map((r) => r.metric))].slice(0, MAX_METRICS);
  for (const metric of latencies) {
    charts.push({ id: safeChartId(`compare.${metric}.sides`), spec: sideBySideSpec(metric, doc) });
    const hs = sides.map((s) => [s.label, s.doc.metrics[metric]] as [string, HistogramMetric]).filter(([, h]) => h?.type === 'histogram' && h.count > 0);
    if (hs.length > 1) charts.push({ id: safeChartId(`compare.${metric}.cdf`), spec: cdfOverlaySpec(metric, hs) });
  }
  return charts;
}

export async function writeCompareReport(doc: CompareDocument, sides: Array<{ label: string; doc: MetricsDoc | { metrics: Record<string, unknown> } }>, outDir: string): Promise<string[]> {
  const s0 = doc.sides[0];
  const r = await writeExperimentPage({
    file: 'compare.html',
    title: `${s0.workload}: ${doc.sides.map((s) => s.label).join(' vs ')}`,
    meta: `seed ${s0.seed} · ${s0.replications} replication${s0.replications === 1 ? '' : 's'} per side · profile ${s0.profile}`,
    text: compareTable(doc),
    charts: compareCharts(doc, sides as Array<{ label: string; doc: { metrics: Record<string, unknown> } }>),
  }, outDir);
  for (const n of r.notes) process.stderr.write(`rmsim compare: ${n}\n`);
  return r.files.filter((f) => f.endsWith('.html'));
}
