// Vega-Lite specs of a comparison, held to the run report's rules (reports/specs.ts): latencies
// on log duration axes whose ticks the data reaches (never a 0.001 stand-in for 0), samples
// of 0 counted in the subtitle instead of drawn, binary and ns/us/ms units.
import { nonZeroPart } from '../hist.js';
import type { HistogramMetric } from '../metrics-types.js';
import { DURATION_LABEL_EXPR, fmtPercent, logAxis } from '../scales.js';
import { durationAxis, frame, LEGEND } from '../specs.js';
import type { VlSpec } from '../specs.js';

/** The percentiles a side-by-side chart draws, in the names compare.json uses. */
export const COMPARED_STATS = ['p50', 'p90', 'p99', 'p999', 'max'] as const;
const STAT_LABEL: Record<string, string> = { p50: 'p50', p90: 'p90', p99: 'p99', p999: 'p99.9', max: 'max' };

export interface SideStat {
  side: string;
  stat: string;
  /** Mean over the replications, ns. */
  mean: number;
  /** Half-width of the 95% interval of the mean (null with one replication). */
  ci: number | null;
}

/**
 * Each side's mean of each percentile with its 95% interval, on a log duration axis. Figures
 * of 0 are left to the caller's table (a log axis has no 0); an interval reaching down to 0
 * stops at the axis floor.
 */
export function sideBySideSpec(title: string, subtitle: string, stats: SideStat[], sides: string[]): VlSpec {
  const drawn = stats.filter((s) => s.mean > 0);
  const values = drawn.map((s) => ({
    side: s.side, stat: STAT_LABEL[s.stat] ?? s.stat, ns: s.mean,
    lo: s.mean - (s.ci ?? 0), hi: s.mean + (s.ci ?? 0),
  }));
  const axis = durationAxis([...values.map((v) => v.ns), ...values.map((v) => v.hi), ...values.map((v) => v.lo).filter((v) => v > 0)], 'mean over replications (log scale)');
  const floor = (axis.scale as { domain: [number, number] }).domain[0];
  for (const v of values) v.lo = Math.max(v.lo, floor);
  const stats0 = COMPARED_STATS.map((s) => STAT_LABEL[s]);
  const x = { field: 'stat', type: 'nominal', sort: stats0, title: 'percentile', axis: { labelAngle: 0 } };
  const xOffset = { field: 'side', type: 'nominal', sort: sides };
  const color = { field: 'side', type: 'nominal', title: null, sort: sides, legend: LEGEND };
  return {
    ...frame(title, subtitle),
    data: { values },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x, xOffset, color, y: { field: 'lo', type: 'quantitative', ...axis }, y2: { field: 'hi' } } },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x, xOffset, color, y: { field: 'ns', type: 'quantitative', ...axis },
          tooltip: [{ field: 'side', type: 'nominal' }, { field: 'stat', type: 'nominal' }, { field: 'ns', type: 'quantitative', title: 'ns', format: ',.0f' }],
        },
      },
    ],
  };
}

/** A Vega expression that labels a share tick as a percentage: 0.001 -> "0.1%". */
const SHARE_LABEL_EXPR = "format(datum.value * 100, '~g') + '%'";

/** True when a distribution has more than one bucket above 0, so that a line over it shows a shape. */
export function hasSpread(h: HistogramMetric): boolean {
  return h.buckets.filter(([low, n]) => low > 0 && n > 0).length > 1;
}

/**
 * The pooled distributions of one metric as tails: for each latency x, the share of samples at
 * or above x, both axes on log scales, so that the p99 and the slowest samples are as readable
 * as the bulk (a CDF squashes them into its top edge). Over the samples above 0 (the share of
 * zeros, acquisitions that did not wait, is the subtitle's), from the exported buckets to each
 * side's max.
 */
export function tailOverlaySpec(title: string, sides: Array<[string, HistogramMetric]>): VlSpec {
  const values: Array<{ side: string; ns: number; share: number }> = [];
  const zeros: string[] = [];
  for (const [side, h] of sides) {
    const nz = nonZeroPart(h);
    if (nz.count < h.count) zeros.push(`${fmtPercent(1 - nz.share)} of ${side}'s`);
    let above = nz.count;
    let last = 0;
    for (const [low, count] of h.buckets) {
      if (low <= 0 || count === 0) continue;
      values.push({ side, ns: low, share: above / nz.count });
      last = above / nz.count;
      above -= count;
    }
    values.push({ side, ns: Math.max(h.max, values[values.length - 1].ns), share: last });
  }
  const x = logAxis(Math.min(...values.map((v) => v.ns)), Math.max(...values.map((v) => v.ns)));
  const y = logAxis(Math.min(...values.map((v) => v.share)), 1);
  const order = sides.map(([s]) => s);
  const subtitle = zeros.length === 0 ? 'every sample, pooled over the replications'
    : `samples above 0, pooled over the replications; ${zeros.join(' and ')} samples were 0`;
  return {
    ...frame(title, subtitle),
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'ns', type: 'quantitative', scale: { type: 'log', domain: x.domain, nice: false }, axis: { values: x.values, labelExpr: DURATION_LABEL_EXPR, title: 'latency (log scale)', grid: true } },
      y: { field: 'share', type: 'quantitative', scale: { type: 'log', domain: [y.domain[0], 1], nice: false }, axis: { values: y.values.filter((t) => t <= 1), labelExpr: SHARE_LABEL_EXPR, title: `share of samples${zeros.length ? ' above 0' : ''} >= x (log)`, grid: true } },
      color: { field: 'side', type: 'nominal', title: null, sort: order, legend: LEGEND },
      strokeDash: { field: 'side', type: 'nominal', sort: order, title: null },
      tooltip: [{ field: 'side', type: 'nominal' }, { field: 'ns', type: 'quantitative', title: 'ns', format: ',d' }, { field: 'share', type: 'quantitative', format: '.4~p' }],
    },
  };
}

export interface ChangeBar {
  row: string;
  /** Relative change, %, with its 95% interval. */
  pct: number;
  lo: number;
  hi: number;
  significant: boolean;
}

/** Changes with their 95% intervals, one row each in the order given; significant ones coloured. */
export function changesSpec(title: string, subtitle: string, bars: ChangeBar[]): VlSpec {
  const values = bars.map((b) => ({ ...b, verdict: b.significant ? 'significant' : 'not significant' }));
  const row = { field: 'row', type: 'nominal', sort: bars.map((b) => b.row), title: null, axis: { labelLimit: 340 } };
  const color = { field: 'verdict', type: 'nominal', title: null, scale: { domain: ['significant', 'not significant'], range: ['#d62728', '#999999'] }, legend: LEGEND };
  return {
    ...frame(title, subtitle, Math.max(60, 16 * bars.length)),
    data: { values },
    layer: [
      { mark: { type: 'rule', color: '#999' }, encoding: { x: { datum: 0 } } },
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: row, x: { field: 'lo', type: 'quantitative', title: 'change of the mean (%)', axis: { format: '+~r' } }, x2: { field: 'hi' }, color } },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: { y: row, x: { field: 'pct', type: 'quantitative' }, color, tooltip: [{ field: 'row', type: 'nominal' }, { field: 'pct', type: 'quantitative', title: 'change %', format: '+.2f' }, { field: 'lo', type: 'quantitative', format: '+.2f' }, { field: 'hi', type: 'quantitative', format: '+.2f' }] } },
    ],
  };
}
