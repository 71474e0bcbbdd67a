// Vega-Lite specs for the pictures a report holds: one builder per kind of picture. Each takes
// plain figures and returns a complete spec with its data inlined, so it renders offline
// anywhere (HTML page, SVG, PNG). The builders choose units and ticks (scales.ts) so that a
// chart cannot mislead: durations on log axes with ticks the data reaches, sizes in binary
// units, simulated time from 0 to the end of the run.
import { TAIL_STATS } from './hist.js';
import type { TailStat } from './hist.js';
import { DURATION_LABEL_EXPR, durationUnit, logAxis, sizeUnit } from './scales.js';

export type VlSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 520;
const HEIGHT = 220;
export const LEGEND = { labelLimit: 260, orient: 'right' };

export function frame(title: string, subtitle: string | undefined, height = HEIGHT): VlSpec {
  return {
    $schema: SCHEMA,
    title: { text: title, anchor: 'start', ...(subtitle ? { subtitle, subtitleColor: '#555' } : {}) },
    width: WIDTH,
    height,
    config: { view: { stroke: '#ccc' }, axis: { labelFontSize: 11, titleFontSize: 11 } },
  };
}

/** A duration axis on a log scale over the values given (all > 0). */
export function durationAxis(valuesNs: number[], title: string): Record<string, unknown> {
  const { domain, values } = logAxis(Math.min(...valuesNs), Math.max(...valuesNs));
  return {
    scale: { type: 'log', domain, nice: false },
    axis: { values, labelExpr: DURATION_LABEL_EXPR, title, grid: true },
  };
}

export interface TailSeries { name: string; stats: Record<TailStat, number> }

/**
 * Percentile ladder: p50, p90, p99, p99.9 and max of each series, on a log duration axis.
 * Series whose figures are all 0 must be left out by the caller (they are a sentence).
 */
export function tailSpec(title: string, subtitle: string, series: TailSeries[], yTitle = 'latency (log scale)'): VlSpec {
  const values = series.flatMap((s) => TAIL_STATS.map((stat) => ({ series: s.name, stat, ns: s.stats[stat] })))
    .filter((v) => v.ns > 0);
  return {
    ...frame(title, subtitle),
    data: { values },
    mark: { type: 'line', point: { filled: true, size: 50 } },
    encoding: {
      x: { field: 'stat', type: 'ordinal', sort: [...TAIL_STATS], title: 'percentile', axis: { labelAngle: 0 } },
      y: { field: 'ns', type: 'quantitative', ...durationAxis(values.map((v) => v.ns), yTitle) },
      color: { field: 'series', type: 'nominal', sort: series.map((s) => s.name), title: null, legend: series.length > 1 ? LEGEND : null },
      tooltip: [{ field: 'series', type: 'nominal' }, { field: 'stat', type: 'nominal' }, { field: 'ns', type: 'quantitative', title: 'ns', format: ',d' }],
    },
  };
}

export interface Part { bar: string; part: string; ns: number }

/** Where the time goes: one horizontal bar per row, cut into its parts (mean ns per operation). */
export function breakdownSpec(title: string, subtitle: string, parts: Part[], partOrder: string[]): VlSpec {
  const totals = new Map<string, number>();
  for (const p of parts) totals.set(p.bar, (totals.get(p.bar) ?? 0) + p.ns);
  const unit = durationUnit(Math.max(...totals.values()));
  const values = parts.map((p) => ({ ...p, v: p.ns / unit.div, order: partOrder.indexOf(p.part) }));
  return {
    ...frame(title, subtitle, Math.max(50, 34 * totals.size)),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'bar', type: 'nominal', title: null, sort: [...totals.keys()] },
      x: { field: 'v', type: 'quantitative', stack: 'zero', title: `mean per operation (${unit.name})`, axis: { format: ',~r' } },
      color: { field: 'part', type: 'nominal', sort: partOrder, title: null, legend: LEGEND },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [{ field: 'bar', type: 'nominal' }, { field: 'part', type: 'nominal' }, { field: 'v', type: 'quantitative', title: unit.name, format: '.4~g' }],
    },
  };
}

export interface GaugeLine { name: string; series: Array<[number, number]> }

/**
 * Gauges over simulated time as steps (a value holds until the next sample), from 0 to the
 * end of the run: the last value is carried to `endNs`. Byte gauges are drawn in binary units.
 */
export function gaugeSeriesSpec(title: string, subtitle: string, lines: GaugeLine[], endNs: number, valueKind: 'bytes' | 'count' | 'ratio'): VlSpec {
  const tUnit = endNs >= 10e9 ? { name: 's', div: 1e9 } : { name: 'ms', div: 1e6 };
  const maxV = Math.max(0, ...lines.flatMap((l) => l.series.map(([, v]) => v)));
  const vUnit = valueKind === 'bytes' ? sizeUnit(maxV) : { name: '', div: 1 };
  const values: Array<Record<string, unknown>> = [];
  for (const l of lines) {
    const pts = l.series.filter(([t]) => t <= endNs);
    if (pts.length === 0) continue;
    const last = pts[pts.length - 1];
    for (const [t, v] of [...pts, ...(last[0] < endNs ? [[endNs, last[1]] as [number, number]] : [])]) {
      values.push({ series: l.name, t: t / tUnit.div, v: v / vUnit.div });
    }
  }
  const yTitle = valueKind === 'bytes' ? vUnit.name : valueKind === 'ratio' ? 'fraction' : 'count';
  return {
    ...frame(title, subtitle),
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: `simulated time (${tUnit.name})`, scale: { domain: [0, endNs / tUnit.div], nice: false }, axis: { format: ',~r' } },
      y: {
        field: 'v', type: 'quantitative', title: yTitle,
        ...(valueKind === 'ratio' ? { scale: { domain: [0, 1] } } : {}),
        axis: { format: ',~r', ...(valueKind === 'count' ? { tickMinStep: 1 } : {}) },
      },
      color: { field: 'series', type: 'nominal', title: null, legend: lines.length > 1 ? LEGEND : null },
      tooltip: [{ field: 'series', type: 'nominal' }, { field: 't', type: 'quantitative', title: tUnit.name, format: '.4~g' }, { field: 'v', type: 'quantitative', format: ',.4~g' }],
    },
  };
}

export interface CountBar { label: string; value: number }

/** Counts as horizontal bars in the order given, each labelled with its value (small bars stay readable). */
export function countBarsSpec(title: string, subtitle: string, bars: CountBar[], xTitle = 'count'): VlSpec {
  const values = bars.map((b) => ({ label: b.label, value: b.value, text: b.value.toLocaleString('en-US') }));
  // Room to the right of the longest bar for its label.
  const maxV = Math.max(1, ...bars.map((b) => b.value)) * 1.18;
  const y = { field: 'label', type: 'nominal', title: null, sort: bars.map((b) => b.label) };
  return {
    ...frame(title, subtitle, Math.max(40, 24 * bars.length)),
    data: { values },
    encoding: { y, x: { field: 'value', type: 'quantitative', title: xTitle, axis: { format: ',~r', tickMinStep: 1 }, scale: { domain: [0, maxV], nice: false } } },
    layer: [
      { mark: { type: 'bar' }, encoding: { tooltip: [{ field: 'label', type: 'nominal' }, { field: 'value', type: 'quantitative', format: ',d' }] } },
      { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'text', type: 'nominal' } } },
    ],
  };
}
