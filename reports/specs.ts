// Vega-Lite specs for the metrics a user looks at: one builder per kind of picture. Each
// builder takes plain metric data and returns a complete spec with its data inlined, so a
// spec can be rendered offline anywhere (HTML page, SVG, PNG).
import { parseMetricKey } from './metric-keys.js';
import type { GaugeMetric, HistogramMetric, CounterMetric } from './metrics-types.js';

export type VlSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 560;
const HEIGHT = 260;

function seriesName(key: string): string {
  const { name, labelText } = parseMetricKey(key);
  return labelText === '' ? name : labelText;
}

/** Microseconds for axes: kernel engineers read latencies in us. */
function us(ns: number): number {
  return ns / 1000;
}

/**
 * Cumulative distribution of one latency family (all its label sets), from the exported
 * histogram buckets: the fraction of samples at or below each bucket's lower bound, log x.
 */
export function latencyCdfSpec(family: string, members: Array<[string, HistogramMetric]>): VlSpec {
  const values: Array<Record<string, unknown>> = [];
  for (const [key, h] of members) {
    if (h.count === 0) continue;
    let seen = 0;
    for (const [low, count] of h.buckets) {
      seen += count;
      values.push({ series: seriesName(key), latency_us: Math.max(us(low), 0.001), fraction: seen / h.count });
    }
  }
  return {
    $schema: SCHEMA,
    title: { text: `${family}: cumulative distribution`, anchor: 'start' },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', point: false },
    encoding: {
      x: { field: 'latency_us', type: 'quantitative', scale: { type: 'log' }, title: 'latency (us, log scale)' },
      y: { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1] }, title: 'fraction of operations <= x' },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
      tooltip: [
        { field: 'series', type: 'nominal' },
        { field: 'latency_us', type: 'quantitative', format: '.3f' },
        { field: 'fraction', type: 'quantitative', format: '.4f' },
      ],
    },
  };
}

/** p50 / p90 / p99 / max of each label set of one latency family, side by side. */
export function percentileSpec(family: string, members: Array<[string, HistogramMetric]>): VlSpec {
  const values: Array<Record<string, unknown>> = [];
  for (const [key, h] of members) {
    if (h.count === 0) continue;
    for (const stat of ['p50', 'p90', 'p99', 'max'] as const) {
      values.push({ series: seriesName(key), stat, latency_us: Math.max(us(h[stat]), 0.001) });
    }
  }
  return {
    $schema: SCHEMA,
    title: { text: `${family}: percentiles`, anchor: 'start' },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    // Points, not bars: a bar on a log axis has no baseline to start from.
    mark: { type: 'point', filled: true, size: 90 },
    encoding: {
      x: { field: 'series', type: 'nominal', title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'stat', type: 'nominal', sort: ['p50', 'p90', 'p99', 'max'] },
      y: { field: 'latency_us', type: 'quantitative', scale: { type: 'log' }, title: 'latency (us, log scale)' },
      color: { field: 'stat', type: 'nominal', sort: ['p50', 'p90', 'p99', 'max'], title: null },
      tooltip: [
        { field: 'series', type: 'nominal' },
        { field: 'stat', type: 'nominal' },
        { field: 'latency_us', type: 'quantitative', format: '.3f' },
      ],
    },
  };
}

/** A gauge's recorded series over simulated time (value held until the next change). */
export function gaugeSeriesSpec(family: string, members: Array<[string, GaugeMetric]>): VlSpec {
  const values: Array<Record<string, unknown>> = [];
  for (const [key, g] of members) {
    for (const [t, v] of g.series) values.push({ series: seriesName(key), t_ms: t / 1e6, value: v });
  }
  return {
    $schema: SCHEMA,
    title: { text: `${family} over simulated time`, anchor: 'start' },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 't_ms', type: 'quantitative', title: 'simulated time (ms)' },
      y: { field: 'value', type: 'quantitative', title: family },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
      tooltip: [
        { field: 'series', type: 'nominal' },
        { field: 't_ms', type: 'quantitative', format: '.3f' },
        { field: 'value', type: 'quantitative' },
      ],
    },
  };
}

/** A counter family with several label sets (fallback reasons, mapping levels, ...). */
export function counterBarsSpec(family: string, members: Array<[string, CounterMetric]>): VlSpec {
  const values = members.map(([key, c]) => ({ series: seriesName(key), value: c.value }));
  return {
    $schema: SCHEMA,
    title: { text: family, anchor: 'start' },
    width: WIDTH,
    height: Math.max(40, 22 * values.length),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'series', type: 'nominal', title: null, sort: null },
      x: { field: 'value', type: 'quantitative', title: 'count' },
      tooltip: [{ field: 'series', type: 'nominal' }, { field: 'value', type: 'quantitative' }],
    },
  };
}
