// Vega-Lite specs of a sweep: one chart per metric against the swept parameter (the first
// --param), one line per variant (and per value of the other parameters), the replications'
// 95% interval as a band, saturated points marked, and with an SLO its threshold as a
// horizontal rule and each variant's knee as a vertical one.
import type { SweepDocument } from '../../sim/run/sweep-aggregate.js';
import { safeId, type Chart } from '../layout.js';
import type { VlSpec } from '../specs.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 560;
const HEIGHT = 260;

const isTime = (metric: string) => /_ns(\{|$)/.test(metric);

/** The line a point belongs to: its variant plus the values of the parameters not on the x axis. */
function seriesOf(doc: SweepDocument, p: SweepDocument['points'][number]): string {
  const others = doc.params.slice(1).map((a) => `${a.path}=${String(p.params[a.path])}`);
  return [p.variant, ...others].join(' ');
}

/** One metric statistic (`fault.latency_ns` p99, a counter's value) against the swept parameter. */
export function sweepMetricSpec(doc: SweepDocument, metric: string, stat: string): VlSpec {
  const axis = doc.params[0];
  const numeric = axis.values.every((v) => typeof v === 'number');
  const positive = numeric && axis.values.every((v) => (v as number) > 0);
  const spread = positive ? Math.max(...(axis.values as number[])) / Math.min(...(axis.values as number[])) : 1;
  const scale = isTime(metric) ? 1 / 1000 : 1;
  const yTitle = `${metric} ${stat}${isTime(metric) ? ' (us)' : ''}`;
  const values = doc.points.flatMap((p) => {
    const s = p.metrics[metric]?.[stat];
    if (!s) return [];
    return [{ x: p.params[axis.path], series: seriesOf(doc, p), y: s.mean * scale, lo: s.lo * scale, hi: s.hi * scale, saturated: p.warnings.includes('saturated') ? 'saturated' : 'ok' }];
  });
  const integers = numeric && axis.values.every((v) => Number.isInteger(v));
  const x = {
    field: 'x', type: numeric ? 'quantitative' : 'ordinal', title: axis.path,
    ...(spread >= 16 ? { scale: { type: 'log', base: 2 } } : {}),
    // VM counts and the like: ticks on whole numbers only.
    ...(integers ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
  };
  const color = { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } };
  const layers: Array<Record<string, unknown>> = [
    { mark: { type: 'area', opacity: 0.18 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
    { mark: { type: 'line', point: false }, encoding: { x, y: { field: 'y', type: 'quantitative', title: yTitle }, color } },
    {
      mark: { type: 'point', filled: true, size: 60 },
      encoding: {
        x, y: { field: 'y', type: 'quantitative' }, color,
        shape: { field: 'saturated', type: 'nominal', title: 'runs', scale: { domain: ['ok', 'saturated'], range: ['circle', 'cross'] } },
        tooltip: [{ field: 'series', type: 'nominal' }, { field: 'x', title: axis.path }, { field: 'y', type: 'quantitative', format: '.3f', title: yTitle }, { field: 'saturated', type: 'nominal' }],
      },
    },
  ];
  const slo = doc.slo;
  if (slo && slo.metric === metric.replace(/\{.*$/, '') && slo.stat === stat) {
    layers.push({
      data: { values: [{ threshold: slo.threshold * scale, label: `SLO ${slo.text}` }] },
      mark: { type: 'rule', strokeDash: [6, 4], color: '#c00' },
      encoding: { y: { field: 'threshold', type: 'quantitative' }, tooltip: [{ field: 'label', type: 'nominal' }] },
    });
    const knees = doc.knees.filter((k) => k.knee !== null).map((k) => ({ x: k.knee, series: [k.variant, ...Object.entries(k.fixed).map(([p, v]) => `${p}=${String(v)}`)].join(' '), label: `knee ${k.variant}: ${String(k.knee)}` }));
    if (knees.length) {
      layers.push({
        data: { values: knees },
        mark: { type: 'rule', strokeWidth: 2, strokeDash: [2, 2] },
        encoding: { x, color, tooltip: [{ field: 'label', type: 'nominal' }] },
      });
    }
  }
  return {
    $schema: SCHEMA,
    title: { text: `${metric} ${stat} against ${axis.path}`, anchor: 'start' },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: layers,
  };
}

/**
 * The charts of a sweep: the SLO's statistic first, then every latency family's p99 and every
 * counter that counted something, in key order.
 */
export function sweepCharts(doc: SweepDocument): Chart[] {
  if (doc.params.length === 0) return [];
  const keys = [...new Set(doc.points.flatMap((p) => Object.keys(p.metrics)))].sort();
  const charts: Chart[] = [];
  const sloKey = doc.slo ? keys.find((k) => k.replace(/\{.*$/, '') === doc.slo!.metric) : undefined;
  if (doc.slo && sloKey) charts.push({ id: safeId(`${sloKey}.${doc.slo.stat}`), spec: sweepMetricSpec(doc, sloKey, doc.slo.stat) });
  for (const key of keys) {
    const any = (stat: string) => doc.points.some((p) => (p.metrics[key]?.[stat]?.mean ?? 0) !== 0);
    const chosen = any('p99') && any('count') ? 'p99' : any('value') ? 'value' : undefined;
    if (!chosen || (key === sloKey && chosen === doc.slo?.stat)) continue;
    charts.push({ id: safeId(`${key}.${chosen}`), spec: sweepMetricSpec(doc, key, chosen) });
  }
  return charts;
}
