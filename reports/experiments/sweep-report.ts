// The sweep report as a page of the shared layout (reports/layout.ts): header (what was swept,
// the SLO, the digest), warnings for saturated points, the knees as the headline, then the SLO's
// statistic against the swept parameter, every other metric, and the table of points.
// writeSweepReport writes report.html plus one SVG and PNG per chart (reports/report.ts).
import type { SweepDocument } from '../../sim/run/sweep-aggregate.js';
import { formatKnee, sweepPointRows } from '../../sim/run/sweep-summary.js';
import { profileField } from '../header.js';
import { chartBlock, noteBlock, tableBlock, type Page, type Section } from '../layout.js';
import { writePage, type ReportOptions, type ReportResult } from '../report.js';
import { fmtSweepFigure, sweepCharts, sweepMoves } from './sweep-specs.js';

function showValue(v: unknown): string {
  return v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * The metric that moved most over the swept range, relative to where it started, and how far
 * each line took it: "fault.retries moved most: v10 0 at 1 -> 2 at 4, ...; 31 metrics recorded something".
 */
export function metricsSentence(doc: SweepDocument, drawn: Array<{ key: string; stat: string }>): string {
  const axis = doc.params[0].path;
  let best: { key: string; stat: string; ratio: number } | undefined;
  for (const d of drawn) {
    for (const m of sweepMoves(doc, d.key, d.stat)) {
      const ratio = Math.abs(m.to - m.from) / Math.max(Math.abs(m.from), Math.abs(m.to), 1e-12);
      if (!best || ratio > best.ratio) best = { ...d, ratio };
    }
  }
  const count = `${drawn.length} metric${drawn.length === 1 ? '' : 's'} recorded something over ${axis}`;
  if (!best || best.ratio === 0) return `${count}; none changed from the first value of ${axis} to the last.`;
  const show = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x));
  const moves = sweepMoves(doc, best.key, best.stat).map((m) => `${m.series} ${fmtSweepFigure(best!.key, best!.stat, m.from)} at ${show(m.fromX)} -> ${fmtSweepFigure(best!.key, best!.stat, m.to)} at ${show(m.toX)}`);
  return `${count}; ${best.key} ${best.stat === 'value' ? '' : `${best.stat} `}moved most: ${moves.join(', ')}.`;
}

export function sweepPage(doc: SweepDocument): Page {
  const axes = doc.params.map((p) => p.path).join(' x ');
  const charts = sweepCharts(doc);
  const saturated = doc.points.filter((p) => p.warnings.includes('saturated'));
  const sloChart = doc.slo ? charts.find((c) => c.id.startsWith(doc.slo!.metric)) : undefined;
  const sections: Section[] = [];
  if (sloChart && doc.slo) {
    sections.push({
      id: 'slo', title: `SLO: ${doc.slo.text}`,
      sentence: doc.knees.map(formatKnee).join('; '),
      blocks: [chartBlock(sloChart.id, sloChart.spec)],
    });
  }
  const rest = charts.filter((c) => c !== sloChart);
  if (rest.length) {
    sections.push({
      id: 'metrics', title: `Every metric against ${doc.params[0].path}`,
      sentence: metricsSentence(doc, rest),
      blocks: [
        noteBlock(`One line per variant${doc.params.length > 1 ? ' and value of the other parameters' : ''}${doc.replications > 1 ? `, the band the 95% interval over ${doc.replications} replications` : ''}; crosses mark saturated points.`),
        ...rest.map((c) => chartBlock(c.id, c.spec)),
      ],
    });
  } else if (doc.params[0] && doc.params[0].values.length < 2) {
    sections.push({ id: 'metrics', title: 'Every metric', sentence: `The sweep has one value of ${doc.params[0].path}: its figures are the table's rows, not lines.`, blocks: [] });
  }
  const { columns, rows } = sweepPointRows(doc);
  sections.push({ id: 'points', title: 'Points', sentence: `${doc.points.length} points in the sweep's canonical order.`, blocks: [tableBlock({ columns, rows, textColumns: [0, columns.length - 1] })] });
  return {
    title: `${doc.workload}: sweep of ${axes}`,
    fields: [
      ['workload', `${doc.workload} (sha256 ${doc.workload_sha256.slice(0, 12)})`],
      ['swept', doc.params.map((p) => `${p.path} = ${p.values.map(showValue).join(', ')}`).join('; ')],
      ['variants', doc.variants.join(', ')],
      ['profile', profileField(doc.profile)],
      ['base seed', String(doc.seed)],
      ['replications', String(doc.replications)],
      ...(doc.sets.length ? [['--set', doc.sets.join(' ')] as [string, string]] : []),
      ...(doc.slo ? [['SLO', doc.slo.text] as [string, string]] : []),
      ['digest', doc.digest],
    ],
    warnings: saturated.map((p) => `${p.variant} at ${Object.entries(p.params).map(([k, v]) => `${k}=${showValue(v)}`).join(' ')}: saturated (an actor completed under 90% of its offered work), so its latencies describe only the work that got through`),
    headline: doc.knees.length
      ? { columns: ['variant', 'at', 'knee', 'interval', 'first failing', 'why'], textColumns: [0, 1, 5], rows: doc.knees.map((k) => [k.variant, Object.entries(k.fixed).map(([p, v]) => `${p}=${showValue(v)}`).join(' ') || '-', showValue(k.knee ?? 'none'), `${showValue(k.interval[0] ?? 'none')}..${showValue(k.interval[1] ?? 'none')}`, showValue(k.next), k.next_reason ?? '-']) }
      : { columns, rows, textColumns: [0] },
    sections,
  };
}

export async function writeSweepReport(doc: SweepDocument, outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  return writePage(sweepPage(doc), outDir, opts);
}
