// Blocks the run report's sections share: a latency family as table rows plus, when it has
// enough samples above zero, a percentile-ladder chart; counters as a table or bars; gauges
// over the run. The rules that keep a chart from misleading live here: few samples are a row,
// all-zero figures are a sentence, zeros are counted and left off log axes.
import { MIN_SAMPLES_FOR_CHART, nonZeroPart } from '../hist.js';
import { chartBlock, noteBlock, tableBlock } from '../layout.js';
import type { Block, Table } from '../layout.js';
import type { CounterMetric, GaugeMetric, HistogramMetric } from '../metrics-types.js';
import { bySize, fmtBytes, fmtCount, fmtDuration, fmtPercent } from '../scales.js';
import { countBarsSpec, gaugeSeriesSpec, tailSpec } from '../specs.js';
import type { Member, RunView } from './view.js';

export const LATENCY_COLUMNS = ['', 'count', 'zero', 'p50', 'p90', 'p99', 'max'];

/** Label sets of a family in reading order: sizes by bytes, numbers by value. */
export function sortMembers<M extends { labelText: string; labels: Record<string, string> }>(ms: M[]): M[] {
  return [...ms].sort((a, b) => {
    for (const k of Object.keys(a.labels)) {
      const c = bySize(a.labels[k] ?? '', b.labels[k] ?? '');
      if (c !== 0) return c;
    }
    return 0;
  });
}

export function seriesLabel(m: { key: string; labelText: string }, family: string): string {
  return m.labelText === '' ? family : m.labelText.replace(/^[a-z_]+=/, '').replace(/,[a-z_]+=/g, ', ');
}

export function latencyRow(label: string, h: HistogramMetric): string[] {
  const zeros = h.count - nonZeroPart(h).count;
  return [label, fmtCount(h.count), zeros === 0 ? '' : fmtPercent(zeros / h.count), fmtDuration(h.p50), fmtDuration(h.p90), fmtDuration(h.p99), fmtDuration(h.max)];
}

/**
 * A latency family: one table row per label set, and a percentile ladder of the label sets
 * with enough samples above zero (zeros, e.g. acquisitions that did not wait, are counted in
 * the table and named in the subtitle, not drawn on the log axis).
 */
export function latencyBlocks(family: string, members: Array<Member<HistogramMetric>>, what = 'latency'): Block[] {
  const ms = sortMembers(members.filter((m) => m.m.count > 0));
  if (ms.length === 0) return [noteBlock(`${family}: no samples.`)];
  const blocks: Block[] = [tableBlock({ columns: [family, ...LATENCY_COLUMNS.slice(1)], rows: ms.map((m) => latencyRow(seriesLabel(m, family), m.m)) })];
  const drawn = ms.map((m) => ({ m, nz: nonZeroPart(m.m) })).filter(({ nz }) => nz.count >= MIN_SAMPLES_FOR_CHART);
  if (drawn.length === 0) return blocks;
  const zeros = drawn.filter(({ nz, m }) => nz.count < m.m.count);
  const subtitle = zeros.length === 0 ? `${what} percentiles of every sample`
    : `percentiles of the samples above 0; ${zeros.map(({ m, nz }) => `${fmtPercent(1 - nz.share)} of ${seriesLabel(m, family)} were 0`).join(', ')}`;
  blocks.push(chartBlock(`${family}.tail`, tailSpec(family, subtitle, drawn.map(({ m, nz }) => ({ name: seriesLabel(m, family), stats: nz.stats })))));
  return blocks;
}

/** Counters as rows; byte counters (`*_bytes`) in binary units. */
export function counterTable(rows: Array<[string, number]>): Table {
  return { columns: ['counter', 'value'], rows: rows.map(([k, v]) => [k, /_bytes(\{|$)/.test(k) ? fmtBytes(v) : fmtCount(v)]) };
}

/** A labelled counter family as bars (sorted by label), or a sentence when every count is 0. */
export function counterBlocks(family: string, members: Array<Member<CounterMetric>>, title = family): Block[] {
  const ms = sortMembers(members);
  if (ms.every((c) => c.m.value === 0)) return [noteBlock(`${family}: 0 for every ${Object.keys(ms[0]?.labels ?? {}).join(', ') || 'label'}.`)];
  if (ms.length === 1) return [tableBlock(counterTable([[ms[0].key, ms[0].m.value]]))];
  const bars = ms.map((c) => ({ label: seriesLabel(c, family), value: c.m.value }));
  const total = bars.reduce((a, b) => a + b.value, 0);
  return [chartBlock(`${family}.counts`, countBarsSpec(title, `${fmtCount(total)} in all`, bars))];
}

/** True when a gauge's recorded series ever leaves 0 (a series can miss a short peak its max holds). */
export const seriesMoves = (g: GaugeMetric) => g.series.some(([, v]) => v !== 0);

/**
 * A gauge family over the whole run; label sets that never left 0 are a sentence, and so is
 * one whose max was above 0 while its recorded series stayed at 0 (a flat line would hide it).
 */
export function gaugeBlocks(view: RunView, family: string, members: Array<Member<GaugeMetric>>, kind: 'bytes' | 'count' | 'ratio', title = family): Block[] {
  const ms = sortMembers(members);
  const drawn = ms.filter((g) => seriesMoves(g.m));
  const blocks: Block[] = [];
  if (drawn.length > 0) {
    const lines = drawn.map((g) => ({ name: seriesLabel(g, family), series: g.m.series }));
    const peak = drawn.map((g) => `${drawn.length > 1 ? `${seriesLabel(g, family)}: ` : ''}max ${fmtGauge(g.m.max, kind)}, mean ${fmtGauge(g.m.mean, kind)}`).join('; ');
    blocks.push(chartBlock(`${family}.series`, gaugeSeriesSpec(title, peak, lines, view.endNs, kind)));
  }
  const flat = ms.filter((g) => !seriesMoves(g.m));
  if (flat.length > 0) blocks.push(noteBlock(flatGaugeText(flat, kind)));
  return blocks;
}

/** "kvm_srcu.queue_len: max 1 between samples (the recorded series stays at 0)". */
export function flatGaugeText(flat: Array<Member<GaugeMetric>>, kind: 'bytes' | 'count' | 'ratio'): string {
  const zero = flat.filter((g) => g.m.max === 0).map((g) => g.key);
  const hidden = flat.filter((g) => g.m.max !== 0).map((g) => `${g.key} reached ${fmtGauge(g.m.max, kind)} between samples (its recorded series stays at 0)`);
  return [zero.length ? `0 for the whole run: ${zero.join(', ')}` : '', ...hidden].filter(Boolean).join('; ') + '.';
}

export function fmtGauge(v: number, kind: 'bytes' | 'count' | 'ratio'): string {
  if (kind === 'bytes') return fmtBytes(v);
  return kind === 'ratio' ? v.toFixed(2) : fmtCount(Number(v.toFixed(2)));
}

/** What a gauge measures, from its name. */
export function gaugeKind(family: string): 'bytes' | 'count' | 'ratio' {
  if (family.endsWith('_bytes')) return 'bytes';
  if (family.endsWith('_index') || family.endsWith('_ratio') || family.endsWith('_share')) return 'ratio';
  return 'count';
}
