// Vega-Lite specs of a sweep: one chart per metric against the swept parameter (the first
// --param), one line per variant (and per value of the other parameters), the replications'
// 95% interval as a band, saturated points marked, and with an SLO its threshold as a
// horizontal rule and each variant's knee as a vertical one.
import type { SweepDocument } from '../../sim/run/sweep-aggregate.js';
import { safeId, type Chart } from '../layout.js';
import { durationUnit, fmtBytes, fmtCount, fmtDuration, num, sizeUnit, type Unit } from '../scales.js';
import type { VlSpec } from '../specs.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 560;
const HEIGHT = 260;

const isTime = (metric: string, stat: string) => /_ns(\{|$)/.test(metric) && stat !== 'count';
const isBytes = (metric: string) => /_bytes(\{|$)/.test(metric);

/** The unit a metric statistic is drawn in: ns/us/ms for durations, KiB..GiB for bytes, none for counts. */
export function sweepUnit(metric: string, stat: string, maxValue: number): Unit {
  if (isTime(metric, stat)) return durationUnit(maxValue);
  if (isBytes(metric)) return sizeUnit(maxValue);
  return { name: '', div: 1 };
}

/** A figure of a metric statistic in its unit, for sentences: "21.28 us", "128.3 MiB", "845". */
export function fmtSweepFigure(metric: string, stat: string, v: number): string {
  if (isTime(metric, stat)) return fmtDuration(v);
  if (isBytes(metric)) return fmtBytes(v);
  return Number.isInteger(v) ? fmtCount(v) : num(v);
}

/** Each line's figure at the first and the last value of the swept parameter it has: "v10 60.03 us at 1 -> 21.28 us at 4". */
export function sweepMoves(doc: SweepDocument, metric: string, stat: string): Array<{ series: string; from: number; to: number; fromX: unknown; toX: unknown }> {
  const axis = doc.params[0];
  const bySeries = new Map<string, Array<{ x: unknown; y: number }>>();
  for (const p of doc.points) {
    const s = p.metrics[metric]?.[stat];
    if (!s) continue;
    const key = seriesOf(doc, p);
    bySeries.set(key, [...(bySeries.get(key) ?? []), { x: p.params[axis.path], y: s.mean }]);
  }
  const order = (x: unknown) => axis.values.findIndex((v) => JSON.stringify(v) === JSON.stringify(x));
  return [...bySeries].map(([series, pts]) => {
    const sorted = pts.sort((a, b) => order(a.x) - order(b.x));
    return { series, from: sorted[0].y, to: sorted[sorted.length - 1].y, fromX: sorted[0].x, toX: sorted[sorted.length - 1].x };
  });
}

function movesText(doc: SweepDocument, metric: string, stat: string): string {
  const show = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x));
  return sweepMoves(doc, metric, stat).map((m) => `${m.series} ${fmtSweepFigure(metric, stat, m.from)} at ${show(m.fromX)} -> ${fmtSweepFigure(metric, stat, m.to)} at ${show(m.toX)}`).join('; ');
}

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
  const slo = doc.slo;
  const sloHere = !!slo && slo.metric === metric.replace(/\{.*$/, '') && slo.stat === stat;
  const maxY = Math.max(sloHere ? slo!.threshold : 0, ...doc.points.map((p) => p.metrics[metric]?.[stat]?.hi ?? 0));
  const unit = sweepUnit(metric, stat, maxY);
  const scale = 1 / unit.div;
  const yTitle = `${metric} ${stat}${unit.name ? ` (${unit.name})` : ''}`;
  const values = doc.points.flatMap((p) => {
    const s = p.metrics[metric]?.[stat];
    if (!s) return [];
    return [{ x: p.params[axis.path], series: seriesOf(doc, p), y: s.mean * scale, lo: s.lo * scale, hi: s.hi * scale, saturated: p.warnings.includes('saturated') ? 'saturated' : 'ok' }];
  });
  const integers = numeric && axis.values.every((v) => Number.isInteger(v));
  const nums = numeric ? (axis.values as number[]) : [];
  // The whole swept range, also where a line has no point (a metric some runs never recorded);
  // non-numeric values (sizes such as 2MiB) in the order the sweep gave them.
  const x = {
    field: 'x', type: numeric ? 'quantitative' : 'ordinal', title: axis.path,
    ...(numeric ? { scale: { ...(spread >= 16 ? { type: 'log', base: 2 } : {}), domain: [Math.min(...nums), Math.max(...nums)], nice: false } } : { sort: axis.values.map(String) }),
    // VM counts and the like: ticks on whole numbers only.
    ...(integers ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
  };
  const series = [...new Set(doc.points.map((p) => seriesOf(doc, p)))];
  const color = { field: 'series', type: 'nominal', title: null, sort: series, legend: { labelLimit: 320, symbolOpacity: 1, symbolType: 'stroke', symbolStrokeWidth: 2 } };
  const yAxis = { format: ',~r' };
  const layers: Array<Record<string, unknown>> = [
    { mark: { type: 'area', opacity: 0.18 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
    { mark: { type: 'line', point: false }, encoding: { x, y: { field: 'y', type: 'quantitative', title: yTitle, axis: yAxis }, color } },
    {
      mark: { type: 'point', filled: true, size: 60 },
      encoding: {
        x, y: { field: 'y', type: 'quantitative' }, color,
        shape: { field: 'saturated', type: 'nominal', title: 'runs', scale: { domain: ['ok', 'saturated'], range: ['circle', 'cross'] } },
        tooltip: [{ field: 'series', type: 'nominal' }, { field: 'x', title: axis.path }, { field: 'y', type: 'quantitative', format: '.3f', title: yTitle }, { field: 'saturated', type: 'nominal' }],
      },
    },
  ];
  if (slo && sloHere) {
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
    title: { text: `${metric} ${stat} against ${axis.path}`, anchor: 'start', subtitle: movesText(doc, metric, stat), subtitleColor: '#555' },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: layers,
  };
}

/** A chart of one metric statistic against the swept parameter. */
export interface SweepChart extends Chart {
  key: string;
  stat: string;
}

/**
 * The charts of a sweep: the SLO's statistic first, then every latency family's p99 and every
 * counter that counted something, in key order.
 */
export function sweepCharts(doc: SweepDocument): SweepChart[] {
  // One value swept: a line of one point per variant says nothing a table row does not.
  if (doc.params.length === 0 || doc.params[0].values.length < 2) return [];
  const keys = [...new Set(doc.points.flatMap((p) => Object.keys(p.metrics)))].sort();
  const charts: SweepChart[] = [];
  const sloKey = doc.slo ? keys.find((k) => k.replace(/\{.*$/, '') === doc.slo!.metric) : undefined;
  if (doc.slo && sloKey) charts.push({ id: safeId(`${sloKey}.${doc.slo.stat}`), key: sloKey, stat: doc.slo.stat, spec: sweepMetricSpec(doc, sloKey, doc.slo.stat) });
  for (const key of keys) {
    const any = (stat: string) => doc.points.some((p) => (p.metrics[key]?.[stat]?.mean ?? 0) !== 0);
    const chosen = any('p99') && any('count') ? 'p99' : any('value') ? 'value' : undefined;
    if (!chosen || (key === sloKey && chosen === doc.slo?.stat)) continue;
    charts.push({ id: safeId(`${key}.${chosen}`), key, stat: chosen, spec: sweepMetricSpec(doc, key, chosen) });
  }
  return charts;
}
