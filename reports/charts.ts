// Which pictures a metrics document gets: every latency family a CDF (and percentiles when it
// has several label sets), every gauge its series, every labelled counter family a bar chart.
import { groupByFamily } from './metric-keys.js';
import type { CounterMetric, GaugeMetric, HistogramMetric, Metric, MetricsDoc } from './metrics-types.js';
import { counterBarsSpec, gaugeSeriesSpec, latencyCdfSpec, percentileSpec } from './specs.js';
import type { VlSpec } from './specs.js';

export interface Chart {
  /** File-name-safe id, stable for the same document. */
  id: string;
  family: string;
  spec: VlSpec;
}

function safeId(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

export function chartsFor(doc: MetricsDoc): Chart[] {
  const charts: Chart[] = [];
  const keys = Object.keys(doc.metrics).sort();
  for (const [family, familyKeys] of groupByFamily(keys)) {
    const members = familyKeys.map((k) => [k, doc.metrics[k]] as [string, Metric]);
    const kind = members[0][1].type;
    if (!members.every(([, m]) => m.type === kind)) continue;
    if (kind === 'histogram') {
      const hs = members as Array<[string, HistogramMetric]>;
      if (!hs.some(([, h]) => h.count > 0)) continue;
      charts.push({ id: safeId(`${family}.cdf`), family, spec: latencyCdfSpec(family, hs) });
      if (hs.length > 1) charts.push({ id: safeId(`${family}.percentiles`), family, spec: percentileSpec(family, hs) });
    } else if (kind === 'gauge') {
      const gs = members as Array<[string, GaugeMetric]>;
      if (!gs.some(([, g]) => g.series.length > 1)) continue;
      charts.push({ id: safeId(`${family}.series`), family, spec: gaugeSeriesSpec(family, gs) });
    } else if (kind === 'counter' && members.length > 1) {
      charts.push({ id: safeId(`${family}.counts`), family, spec: counterBarsSpec(family, members as Array<[string, CounterMetric]>) });
    }
  }
  return charts;
}
