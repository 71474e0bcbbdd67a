// The compare report as a page of the one report layout (reports/layout.ts): a header (what was
// compared, workload, profile and host, seed and replications, each side's digest, the sides'
// run warnings), a headline table (punch and fault latency, lock waits, memory left unfreed,
// how many metrics differ), then sections in the run report's order of questions, each
// opening with one sentence computed from the comparison: what changed, hole-punch latency,
// lock contention, the fault path, counters, every other latency, and the table as printed.
import type { CompareDocument, CompareRow } from '../../sim/run/compare.js';
import { compareTable } from '../../sim/output/compare-table.js';
import { labelledWarnings, profileField } from '../header.js';
import { MIN_SAMPLES_FOR_CHART, nonZeroPart } from '../hist.js';
import { chartBlock, noteBlock, preBlock, tableBlock, type Block, type Page, type Section, type Table } from '../layout.js';
import type { HistogramMetric, MetricsDoc } from '../metrics-types.js';
import { parseMetricKey } from '../metric-keys.js';
import { writePage, type ReportOptions, type ReportResult } from '../report.js';
import { bySize, fmtBytes, fmtCount, fmtDuration, fmtPercent, spacedSize } from '../scales.js';
import { FILE_LOCKS, lockLabel, lockModes, orderedLocks, type LockMode } from '../run/locks.js';
import { RunView } from '../run/view.js';
import { changesSpec, COMPARED_STATS, hasSpread, sideBySideSpec, tailOverlaySpec, type ChangeBar, type SideStat } from './compare-specs.js';

export interface CompareSideDoc {
  label: string;
  doc: MetricsDoc | { metrics: Record<string, unknown> };
}

const isLatency = (metric: string) => /_ns(\{|$)/.test(metric);
const PUNCH = 'punch.latency_ns';
const PUNCH_PARTS = ['punch.invalidate_ns', 'punch.truncate_ns'];
const FAULT = 'fault.latency_ns';
const FAULT_COUNTERS = ['fault.retries', 'fault.by_level', 'vcpu.fault_outcomes', 'tlb.flushes', 'ept.zapped_leaves'];
/** Significant changes listed under "What changed" (the rest are in compare.txt). */
const MAX_LISTED = 20;
/** Latency metrics beyond the sections' own drawn in "every other latency" (the rest are table rows). */
const MAX_OTHER_CHARTS = 8;

/** A figure of a metric in its unit: durations, binary sizes, counts. */
export function fmtFigure(metric: string, stat: string, v: number): string {
  if (isLatency(metric) && stat !== 'count') return fmtDuration(v);
  if (/_bytes(\{|$)/.test(metric)) return fmtBytes(v);
  return fmtCount(Number.isInteger(v) ? v : Number(v.toPrecision(4)));
}

/** "metric{size=2MiB}" -> "punch latency, 2 MiB" style names for prose; plain keys otherwise. */
function metricName(metric: string): string {
  const { name, labels } = parseMetricKey(metric);
  if (name !== PUNCH && name !== FAULT) return metric;
  const label = Object.values(labels).map(spacedSize).join(', ');
  const base = name === PUNCH ? 'punch latency' : 'fault latency';
  return label ? `${base}, ${label}` : base;
}

const pct = (x: number) => {
  const p = Math.abs(x * 100);
  return p >= 10 ? `${p.toFixed(0)}%` : p >= 0.1 ? `${p.toFixed(1)}%` : p > 0 ? '<0.1%' : '0%';
};

/** "-10.6% (95% CI -10.7 to -10.5%)", "~ +0.3% (p=0.42)", "from 0". */
export function changeCell(r: CompareRow): string {
  if (r.delta === null) return `from 0 to ${fmtFigure(r.metric, r.stat, r.b.mean)}`;
  const sign = r.delta >= 0 ? '+' : '-';
  const p = r.p === null ? 'one replication: no test' : `p=${r.p < 0.001 ? '<0.001' : r.p.toFixed(3)}`;
  if (!r.significant) return `~ ${sign}${pct(r.delta)} (${p})`;
  const ci = r.ci === null || r.ci < 0.0005 ? '' : ` (${signed(r.delta - r.ci)}..${signed(r.delta + r.ci)})`;
  return `${sign}${pct(r.delta)}${ci}`;
}
/** Interval bounds with one decimal, so that a narrow interval does not read 11%-11%. */
const pct1 = (x: number) => `${Math.abs(x * 100).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : '-'}${pct1(x)}`;

/** One sentence on one row: "guest_memfd's fault latency p99 is 14% lower than v10's (95% CI 9.3-19%, 10 paired replications)". */
export function changeSentence(r: CompareRow): string {
  const what = `${metricName(r.metric)} ${r.stat === 'p999' ? 'p99.9' : r.stat}`;
  const reps = `${Math.min(r.a.n, r.b.n)} ${r.paired ? 'paired ' : ''}replication${Math.min(r.a.n, r.b.n) === 1 ? '' : 's'}`;
  if (r.delta === null) return `${r.b.label}'s ${what} is ${fmtFigure(r.metric, r.stat, r.b.mean)} where ${r.a.label}'s is 0 (${reps})`;
  const figures = `${fmtFigure(r.metric, r.stat, r.b.mean)} against ${fmtFigure(r.metric, r.stat, r.a.mean)}`;
  if (r.p === null) return `${r.b.label}'s ${what} is ${pct(r.delta)} ${r.delta < 0 ? 'lower' : 'higher'} than ${r.a.label}'s (${figures}; one replication a side, so no test of significance)`;
  if (!r.significant) {
    return `${r.b.label}'s ${what} does not differ significantly from ${r.a.label}'s (${figures}, p=${r.p.toFixed(2)}, ${reps})`;
  }
  const dir = r.delta < 0 ? 'lower' : 'higher';
  if (r.ci !== null && r.ci < 0.0005) return `${r.b.label}'s ${what} is ${pct(r.delta)} ${dir} than ${r.a.label}'s in each of ${reps}`;
  const ci = r.ci === null ? '' : `95% CI ${pct1(Math.max(0, Math.abs(r.delta) - r.ci))}-${pct1(Math.abs(r.delta) + r.ci)}, `;
  return `${r.b.label}'s ${what} is ${pct(r.delta)} ${dir} than ${r.a.label}'s (${ci}${reps})`;
}

/** The comparison as the sections read it: rows by metric, statistic and side, the sides' pooled documents. */
class CompareView {
  readonly base: string;
  readonly others: string[];
  readonly docs: Map<string, MetricsDoc>;
  readonly runs: Map<string, RunView>;
  private readonly byKey = new Map<string, CompareRow>();

  constructor(readonly doc: CompareDocument, sides: CompareSideDoc[]) {
    this.base = doc.sides[0].label;
    this.others = doc.sides.slice(1).map((s) => s.label);
    this.docs = new Map(sides.map((s) => [s.label, s.doc as MetricsDoc]));
    this.runs = new Map(sides.map((s) => [s.label, new RunView(s.doc as MetricsDoc)]));
    for (const r of doc.rows) this.byKey.set(`${r.metric}\u0000${r.stat}\u0000${r.b.label}`, r);
  }

  get labels(): string[] {
    return [this.base, ...this.others];
  }

  row(metric: string, stat: string, other = this.others[0]): CompareRow | undefined {
    return this.byKey.get(`${metric}\u0000${stat}\u0000${other}`);
  }

  /** Compared metrics of a family (`punch.latency_ns` -> its label sets), sizes by bytes. */
  members(family: string): string[] {
    const keys = [...new Set(this.doc.rows.map((r) => r.metric))].filter((m) => parseMetricKey(m).name === family);
    return keys.sort((a, b) => bySize(parseMetricKey(a).labelText.replace(/^[a-z_]+=/, ''), parseMetricKey(b).labelText.replace(/^[a-z_]+=/, '')));
  }

  /** The pooled histogram of a metric on one side, when it has samples. */
  pooled(side: string, metric: string): HistogramMetric | undefined {
    const m = this.docs.get(side)?.metrics[metric];
    return m && m.type === 'histogram' && m.count > 0 ? m : undefined;
  }

  /** Samples above 0 per replication of a metric on one side (a chart of percentiles needs a handful in each run). */
  samplesPerRun(side: string, metric: string): number {
    const h = this.pooled(side, metric);
    const reps = this.doc.sides.find((s) => s.label === side)?.replications ?? 1;
    return h ? nonZeroPart(h).count / reps : 0;
  }

  /** Every side has enough samples above 0 in each replication to draw. */
  drawable(metric: string): boolean {
    return this.labels.every((s) => this.samplesPerRun(s, metric) >= MIN_SAMPLES_FOR_CHART);
  }

  /** The value a side had for a statistic: the row's own side summary. */
  sideMean(metric: string, stat: string, side: string): number | undefined {
    const r = side === this.base ? this.row(metric, stat) : this.row(metric, stat, side);
    return r ? (side === this.base ? r.a.mean : r.b.mean) : undefined;
  }
}

/** A headline or table row: the metric statistic, each side's figure, each other side's change. */
function comparedRow(v: CompareView, label: string, metric: string, stat: string): string[] | undefined {
  if (!v.row(metric, stat)) return undefined;
  const cells = [label, fmtFigure(metric, stat, v.row(metric, stat)!.a.mean)];
  for (const o of v.others) {
    const r = v.row(metric, stat, o);
    cells.push(r ? fmtFigure(metric, stat, r.b.mean) : '-', r ? changeCell(r) : '-');
  }
  return cells;
}

function comparedColumns(v: CompareView, first: string): string[] {
  return [first, v.base, ...v.others.flatMap((o) => (v.others.length === 1 ? [o, 'change (95% CI)'] : [o, `change ${o}`]))];
}

/** Per side: "3.2% waited, p99 39 us (9,111 acquisitions)" or "never (650 acquisitions)". */
function waitCell(m: LockMode | undefined): string {
  if (!m) return 'not taken';
  const nz = nonZeroPart(m.wait);
  return nz.count === 0 ? `never (${fmtCount(m.acquisitions)} acquisitions)` : `${fmtPercent(nz.share)} waited, p99 ${fmtDuration(nz.stats.p99)} (${fmtCount(m.acquisitions)} acquisitions)`;
}

/** Per side in a headline cell: "3.0% waited, p99 40.32 us", "never", "not taken". */
function shortWait(m: LockMode | undefined): string {
  if (!m) return 'not taken';
  const nz = nonZeroPart(m.wait);
  return nz.count === 0 ? 'never' : `${fmtPercent(nz.share)} waited, p99 ${fmtDuration(nz.stats.p99)}`;
}

/** Lock modes of every side, in report order (file locks first): label -> side -> mode. */
function lockTable(v: CompareView, onlyHeadline: boolean): Map<string, Map<string, LockMode>> {
  const out = new Map<string, Map<string, LockMode>>();
  const names = [...new Set([...v.runs.values()].flatMap((r) => orderedLocks(r)))];
  const ordered = [...FILE_LOCKS.filter((l) => names.includes(l)), ...names.filter((l) => !FILE_LOCKS.includes(l)).sort()]
    .filter((l) => !onlyHeadline || FILE_LOCKS.includes(l) || l === 'mmu_lock');
  for (const lock of ordered) {
    for (const [side, run] of v.runs) {
      for (const m of lockModes(run, lock)) {
        const label = lockLabel(m);
        if (!out.has(label)) out.set(label, new Map());
        out.get(label)!.set(side, m);
      }
    }
  }
  return out;
}

function unfreed(v: CompareView, side: string): number | undefined {
  const a = v.sideMean('memory.allocated_bytes', 'value', side);
  return a === undefined ? undefined : a - (v.sideMean('memory.freed_bytes', 'value', side) ?? 0);
}

const significantMetrics = (rows: CompareRow[]) => new Set(rows.filter((r) => r.significant).map((r) => r.metric)).size;

function headline(v: CompareView): Table {
  const rows: string[][] = [];
  const push = (r: string[] | undefined) => r && rows.push(r);
  for (const m of v.members(PUNCH)) for (const s of ['p50', 'p99']) push(comparedRow(v, `${metricName(m)} ${s}`, m, s));
  for (const m of v.members(FAULT)) for (const s of ['p50', 'p99']) push(comparedRow(v, `${metricName(m)} ${s}`, m, s));
  const locks = [...lockTable(v, true)];
  const isFile = (label: string) => FILE_LOCKS.some((f) => label.startsWith(f));
  const fileCell = (side: string): string => {
    const taken = locks.filter(([l, by]) => isFile(l) && by.has(side)).map(([l, by]) => [l, by.get(side)!] as const);
    const waited = taken.filter(([, m]) => nonZeroPart(m.wait).count > 0);
    if (taken.length === 0) return 'none taken';
    return waited.length ? waited.map(([l, m]) => `${l}: ${shortWait(m)}`).join('; ') : `never (${taken.map(([l]) => l).join(', ')})`;
  };
  if (locks.some(([l]) => isFile(l))) rows.push(['waited on notifier/file locks', fileCell(v.base), ...v.others.flatMap((o) => [fileCell(o), ''])]);
  for (const [label, bySide] of locks.filter(([l]) => !isFile(l))) {
    rows.push([`waited on ${label}`, shortWait(bySide.get(v.base)), ...v.others.flatMap((o) => [shortWait(bySide.get(o)), ''])]);
  }
  const left = v.labels.map((s) => unfreed(v, s));
  if (left.every((x) => x !== undefined)) {
    rows.push(['memory left unfreed (per replication)', fmtBytes(left[0]!), ...v.others.flatMap((_, i) => [fmtBytes(left[i + 1]!), ''])]);
  }
  const metrics = new Set(v.doc.rows.map((r) => r.metric)).size;
  rows.push(['metrics that differ significantly', '', ...v.others.flatMap((o) => {
    const rs = v.doc.rows.filter((r) => r.b.label === o);
    return ['', `${significantMetrics(rs)} of ${metrics} (${rs.filter((r) => r.significant).length} of ${rs.length} statistics)`];
  })]);
  return { columns: comparedColumns(v, ''), rows, textColumns: [0, 1, ...v.others.flatMap((_, i) => [2 + 2 * i, 3 + 2 * i])] };
}

/** The tails of a metric overlaid; a distribution of one value on every side is a sentence, not a line. */
function tailBlocks(metric: string, title: string, sides: Array<[string, HistogramMetric]>): Block[] {
  if (sides.some(([, h]) => hasSpread(h))) return [chartBlock(`${metric}.tail`, tailOverlaySpec(title, sides))];
  return [noteBlock(`${metric}: every sample above 0 fell in one histogram bucket, ${sides.map(([s, h]) => `up to ${fmtDuration(h.max)} under ${s}`).join(' and ')}: no distribution to draw.`)];
}

/**
 * A latency metric compared: its rows (each percentile, both sides, the change), each side's
 * percentiles with their intervals, and the pooled distributions overlaid. Few samples above 0
 * on any side: the rows only.
 */
function latencyBlocks(v: CompareView, metric: string): Block[] {
  const rows = [...COMPARED_STATS, 'mean'].map((s) => comparedRow(v, s === 'p999' ? 'p99.9' : s, metric, s)).filter((r): r is string[] => r !== undefined);
  if (rows.length === 0) return [noteBlock(`${metric}: 0 on every side.`)];
  const blocks: Block[] = [tableBlock({ columns: comparedColumns(v, metric), rows, textColumns: [0, ...v.others.map((_, i) => 3 + 2 * i)] })];
  const pooled = v.labels.map((s) => [s, v.pooled(s, metric)] as [string, HistogramMetric | undefined]);
  if (!v.drawable(metric)) {
    const counts = v.labels.map((s) => `${s} ${fmtCount(Number(v.samplesPerRun(s, metric).toPrecision(3)))}`).join(', ');
    blocks.push(noteBlock(`${metric}: fewer than ${MIN_SAMPLES_FOR_CHART} samples above 0 per replication on a side (${counts}): rows, not charts.`));
    return blocks;
  }
  const stats: SideStat[] = [];
  for (const side of v.labels) {
    for (const stat of COMPARED_STATS) {
      const r = side === v.base ? v.row(metric, stat) : v.row(metric, stat, side);
      if (r) stats.push({ side, stat, ...(side === v.base ? r.a : r.b) });
    }
  }
  const zeros = [...new Set(stats.filter((s) => s.mean === 0).map((s) => `${s.side} ${s.stat}`))];
  const sub = `mean of each replication's percentile, 95% interval${zeros.length ? `; 0, so not drawn: ${zeros.join(', ')}` : ''}`;
  if (stats.some((s) => s.mean > 0)) blocks.push(chartBlock(`${metric}.sides`, sideBySideSpec(`${metric}: each side's percentiles`, sub, stats, v.labels)));
  blocks.push(...tailBlocks(metric, `${metric}: the tails overlaid`, pooled as Array<[string, HistogramMetric]>));
  return blocks;
}

/** Sentences on the p99 (and p50 when it moved differently) of each metric, or what is missing. */
function latencySentence(v: CompareView, metrics: string[], none: string): string {
  const parts: string[] = [];
  for (const m of metrics) {
    for (const o of v.others) {
      const p99 = v.row(m, 'p99', o);
      const p50 = v.row(m, 'p50', o);
      if (p99) parts.push(changeSentence(p99));
      const bothMoved = p50?.significant && p99?.significant && ((p50.delta ?? 0) * (p99.delta ?? 0) < 0 || Math.abs((p50.delta ?? 0) - (p99.delta ?? 0)) > 0.1);
      if (p50 && (!p99 || p50.significant !== p99.significant || bothMoved)) {
        parts.push(`its p50 ${p50.significant && p50.delta !== null ? `is ${pct(p50.delta)} ${p50.delta < 0 ? 'lower' : 'higher'}` : 'does not differ significantly'}`);
      }
    }
  }
  return parts.length ? `${parts.join('; ')}.` : none;
}

/** The row a reader asks about first: the largest punch size's p99, else the fault p99. */
function leadRow(v: CompareView): CompareRow | undefined {
  const punch = v.members(PUNCH);
  return (punch.length ? v.row(punch[punch.length - 1], 'p99') : undefined) ?? v.members(FAULT).map((m) => v.row(m, 'p99')).find((r) => r !== undefined);
}

function changesSection(v: CompareView): Section {
  const metrics = new Set(v.doc.rows.map((r) => r.metric)).size;
  const sig = v.doc.rows.filter((r) => r.significant).sort((a, b) => Math.abs(b.delta ?? Infinity) - Math.abs(a.delta ?? Infinity));
  const parts = v.others.map((o) => {
    const rs = v.doc.rows.filter((r) => r.b.label === o);
    return `${v.others.length > 1 ? `${o}: ` : ''}${significantMetrics(rs)} of ${metrics} metrics differ significantly from ${v.base} (${rs.filter((r) => r.significant).length} of ${rs.length} statistics)`;
  });
  const lead = leadRow(v);
  if (lead) parts.unshift(changeSentence(lead));
  const latency = sig.filter((r) => isLatency(r.metric) && r.stat !== 'count' && r.delta !== null);
  if (latency.length && latency[0] !== lead) parts.push(`the largest latency change: ${changeSentence(latency[0])}`);
  const first = [PUNCH, ...PUNCH_PARTS, FAULT];
  const rank = (m: string) => { const i = first.indexOf(parseMetricKey(m).name); return i < 0 ? first.length : i; };
  const bars: ChangeBar[] = v.doc.rows
    .filter((r) => isLatency(r.metric) && r.stat === 'p99' && r.delta !== null)
    .sort((a, b) => rank(a.metric) - rank(b.metric))
    .map((r) => ({ row: `${r.metric}${v.others.length > 1 ? ` (${r.b.label})` : ''}`, pct: r.delta! * 100, lo: (r.delta! - (r.ci ?? 0)) * 100, hi: (r.delta! + (r.ci ?? 0)) * 100, significant: r.significant }));
  const blocks: Block[] = [];
  if (bars.length) blocks.push(chartBlock('compare.changes', changesSpec(`Latency p99: ${v.others.join(', ')} against ${v.base}`, 'change of the mean over replications with its 95% interval; red: significant (p < 0.05)', bars)));
  const listed = sig.filter((r) => ['mean', 'p50', 'p99', 'value'].includes(r.stat));
  if (listed.length) {
    blocks.push(tableBlock({
      columns: ['metric', 'stat', v.base, v.others.length === 1 ? v.others[0] : 'other side', 'change (95% CI)'],
      rows: listed.slice(0, MAX_LISTED).map((r) => [r.metric, r.stat === 'p999' ? 'p99.9' : r.stat, fmtFigure(r.metric, r.stat, r.a.mean), `${v.others.length > 1 ? `${r.b.label}: ` : ''}${fmtFigure(r.metric, r.stat, r.b.mean)}`, changeCell(r)]),
      textColumns: [0, 1, 4],
      caption: `significant changes of a mean, p50, p99 or count, largest first${listed.length > MAX_LISTED ? ` (${MAX_LISTED} of ${listed.length})` : ''}; compare.txt has every row`,
    }));
  }
  // compare.json leaves out a statistic that is 0 on every side: say which metrics that emptied, rather than draw nothing.
  const rowed = new Set(v.doc.rows.map((r) => r.metric));
  const unmatched = new Set(v.doc.unmatched.map((u) => u.metric));
  const zero = Object.keys(v.docs.get(v.base)?.metrics ?? {}).filter((m) => !rowed.has(m) && !unmatched.has(m)).sort();
  if (zero.length) blocks.push(noteBlock(`0 on every side, so not compared: ${zero.join(', ')}.`));
  if (v.doc.unmatched.length) {
    const bySide = new Map<string, string[]>();
    for (const u of v.doc.unmatched) bySide.set(u.only_in, [...(bySide.get(u.only_in) ?? []), u.metric]);
    blocks.push(noteBlock(`Not compared (one side only): ${[...bySide].map(([s, ms]) => `${s}: ${[...new Set(ms.map((m) => parseMetricKey(m).name))].join(', ')}`).join('; ')}.`));
  }
  return { id: 'changes', title: 'What changed', sentence: `${parts.join('; ')}.`, blocks };
}

function punchSection(v: CompareView): Section {
  const sizes = v.members(PUNCH);
  const parts = PUNCH_PARTS.filter((p) => v.members(p).length > 0);
  const blocks = [...sizes, ...parts].flatMap((m) => latencyBlocks(v, m));
  return { id: 'punch', title: 'Hole-punch latency', sentence: latencySentence(v, sizes, 'Neither side punched a hole in this workload.'), blocks };
}

function lockSection(v: CompareView): Section {
  const locks = lockTable(v, false);
  const rows = [...locks].map(([label, bySide]) => [label, ...v.labels.map((s) => waitCell(bySide.get(s)))]);
  const phrases: string[] = [];
  const never = [...locks].filter(([, bySide]) => [...bySide.values()].every((m) => nonZeroPart(m.wait).count === 0)).map(([l]) => l);
  const fileNever = never.filter((l) => FILE_LOCKS.some((f) => l.startsWith(f)));
  if (fileNever.length) phrases.push(`No acquisition of ${fileNever.join(', ')} waited on any side`);
  const waitedOn = [...locks].filter(([l]) => !never.includes(l)).map(([label, bySide]) =>
    `${label} ${v.labels.map((s) => { const m = bySide.get(s); return `${m ? fmtPercent(nonZeroPart(m.wait).share) : 'not taken'} (${s})`; }).join(' vs ')}`);
  if (waitedOn.length) phrases.push(`${fileNever.length ? 'share' : 'Share'} of acquisitions that waited: ${waitedOn.join('; ')}`);
  const blocks: Block[] = [];
  if (rows.length) blocks.push(tableBlock({ columns: ['lock', ...v.labels], rows, textColumns: [0, ...v.labels.map((_, i) => i + 1)], caption: 'share of acquisitions that waited and the p99 of those waits, pooled over the replications' }));
  const waited = v.doc.rows.filter((r, i, all) => /\.wait_ns(\{|$)/.test(r.metric) && all.findIndex((x) => x.metric === r.metric) === i).map((r) => r.metric);
  for (const m of waited) {
    const hs = v.labels.map((s) => [s, v.pooled(s, m)] as [string, HistogramMetric | undefined]);
    if (v.drawable(m)) blocks.push(...tailBlocks(m, `${m}: waits of the acquisitions that waited`, hs as Array<[string, HistogramMetric]>));
  }
  const sentence = phrases.length ? `${phrases.join('; ')}.` : 'No lock acquisition waited on any side.';
  return { id: 'locks', title: 'Notifier and file lock contention', sentence, blocks };
}

function faultSection(v: CompareView): Section {
  const lat = v.members(FAULT);
  const blocks = lat.flatMap((m) => latencyBlocks(v, m));
  const counters = FAULT_COUNTERS.flatMap((f) => v.members(f)).map((m) => comparedRow(v, m, m, 'value')).filter((r): r is string[] => r !== undefined);
  if (counters.length) blocks.push(tableBlock({ columns: comparedColumns(v, 'counter (mean per replication)'), rows: counters, textColumns: [0, ...v.others.map((_, i) => 3 + 2 * i)] }));
  let sentence = latencySentence(v, lat, 'Neither side took a guest fault in this workload.');
  const retries = v.row('fault.retries', 'value');
  if (retries && lat.length) sentence = `${sentence.slice(0, -1)}; ${changeSentence(retries).replace(/^[^']+'s /, 'retries: ')}.`;
  return { id: 'fault', title: 'Fault path', sentence, blocks };
}

function counterSection(v: CompareView, shown: Set<string>): Section {
  const rows = v.doc.rows.filter((r) => r.stat === 'value' && !shown.has(r.metric));
  const sig = rows.filter((r) => r.significant && r.delta !== null).sort((a, b) => Math.abs(b.delta!) - Math.abs(a.delta!));
  const table = rows.map((r) => comparedRow(v, r.metric, r.metric, 'value', ) ?? []).filter((r) => r.length > 0);
  const unique = [...new Map(table.map((r) => [r[0], r])).values()];
  const sentence = rows.length === 0 ? 'No other counter counted anything on either side.'
    : sig.length === 0 ? `None of ${unique.length} other counters differs significantly.`
      : `${sig.length} of ${unique.length} other counters differ significantly; the largest: ${changeSentence(sig[0])}.`;
  return { id: 'counters', title: 'Counters (THP orders, memory, the rest)', sentence, blocks: unique.length ? [tableBlock({ columns: comparedColumns(v, 'counter (mean per replication)'), rows: unique, textColumns: [0, ...v.others.map((_, i) => 3 + 2 * i)] })] : [] };
}

function otherLatencySection(v: CompareView, shown: Set<string>): Section {
  const metrics = [...new Set(v.doc.rows.filter((r) => isLatency(r.metric) && !shown.has(r.metric)).map((r) => r.metric))];
  const moved = metrics.map((m) => v.row(m, 'p99')).filter((r): r is CompareRow => !!r && r.significant && r.delta !== null)
    .sort((a, b) => Math.abs(b.delta!) - Math.abs(a.delta!));
  const drawn = [...moved.map((r) => r.metric), ...metrics.filter((m) => !moved.some((r) => r.metric === m))].slice(0, MAX_OTHER_CHARTS);
  const blocks = drawn.flatMap((m) => latencyBlocks(v, m));
  const rest = metrics.filter((m) => !drawn.includes(m));
  if (rest.length) blocks.push(noteBlock(`Not drawn (see the table below and compare.txt): ${rest.join(', ')}.`));
  const sentence = metrics.length === 0 ? 'No other latency was recorded on both sides.'
    : moved.length === 0 ? `None of the ${metrics.length} other latencies differs significantly at p99.`
      : `${moved.length} of ${metrics.length} other latencies differ significantly at p99; the largest: ${changeSentence(moved[0])}.`;
  return { id: 'other', title: 'Every other latency', sentence, blocks };
}

function fields(v: CompareView): Array<[string, string]> {
  const s = v.doc.sides;
  const differ = (k: 'variant' | 'profile' | 'workload') => new Set(s.map((x) => x[k])).size > 1;
  const what = differ('variant') ? 'variants' : differ('profile') ? 'cost profiles' : differ('workload') ? 'workloads' : 'runs';
  const paired = v.doc.rows.some((r) => r.paired);
  const reps = new Set(s.map((x) => x.replications));
  const out: Array<[string, string]> = [
    ['compared', `${what}: ${s.slice(1).map((x) => x.label).join(', ')} against ${s[0].label} (the base)`],
    ['workload', [...new Set(s.map((x) => x.workload))].join(', ')],
    ['variant', s.map((x) => x.variant).join(', ')],
    ...[...new Set(s.map((x) => x.profile))].map((p) => ['profile', profileField(p)] as [string, string]),
    ['seed', [...new Set(s.map((x) => x.seed))].join(', ')],
    ['replications', `${[...reps].join(', ')} per side, ${paired ? 'paired (common random numbers)' : 'unpaired'}; 95% intervals, Student t`],
  ];
  const simulated = v.labels.map((l) => v.docs.get(l)?.sim_end_ns).filter((x): x is number => x !== undefined);
  if (simulated.length) out.push(['simulated', [...new Set(simulated.map(fmtDuration))].join(', ')]);
  for (const x of s) out.push([`digest ${x.label}`, x.digest]);
  return out;
}

export function comparePage(doc: CompareDocument, sides: CompareSideDoc[]): Page {
  const v = new CompareView(doc, sides);
  const shown = new Set([...v.members(PUNCH), ...PUNCH_PARTS.flatMap((p) => v.members(p)), ...v.members(FAULT), ...FAULT_COUNTERS.flatMap((f) => v.members(f))]);
  const sections = [changesSection(v), punchSection(v), lockSection(v), faultSection(v)];
  const locks = new Set(doc.rows.map((r) => r.metric).filter((m) => /\.(wait_ns|hold_ns|acquisitions|contended)(\{|$)/.test(m)));
  sections.push(otherLatencySection(v, new Set([...shown, ...[...locks].filter((m) => /\.wait_ns/.test(m))])), counterSection(v, new Set([...shown, ...[...locks].filter((m) => !/_ns/.test(m))])));
  const paired = doc.rows.some((r) => r.paired);
  sections.push({
    id: 'table', title: 'The comparison as rmsim compare prints it',
    sentence: `Every significant change and each latency's mean, p50 and p99, ${paired ? 'paired by replication' : 'unpaired (Welch)'}; compare.txt holds every row.`,
    blocks: [preBlock(compareTable(doc))],
  });
  return {
    title: `${[...new Set(doc.sides.map((s) => s.workload))].join(', ')}: ${doc.sides.map((s) => s.label).join(' vs ')}`,
    fields: fields(v),
    warnings: labelledWarnings(sides.map((s) => ({ label: s.label, warnings: (s.doc as MetricsDoc).warnings }))),
    headline: headline(v),
    sections,
  };
}

/** compare.html plus one SVG and PNG per chart under outDir; the HTML path first. */
export async function writeCompareReport(doc: CompareDocument, sides: CompareSideDoc[], outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  return writePage(comparePage(doc, sides), outDir, { file: 'compare.html', ...opts });
}
