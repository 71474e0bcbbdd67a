// The sweep report as a page of the shared layout (reports/layout.ts): header (what was swept,
// the SLO, the digest), warnings for saturated points, the knees as the headline, then the SLO's
// statistic against the swept parameter, every other metric, and the table of points.
// writeSweepReport writes report.html plus one SVG and PNG per chart (reports/report.ts).
import type { SweepDocument } from '../../sim/run/sweep-aggregate.js';
import { formatKnee, sweepPointRows } from '../../sim/run/sweep-summary.js';
import { chartBlock, tableBlock, type Page, type Section } from '../layout.js';
import { writePage, type ReportOptions, type ReportResult } from '../report.js';
import { sweepCharts } from './sweep-specs.js';

function showValue(v: unknown): string {
  return v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
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
      sentence: `${rest.length} metrics that recorded something, one line per variant${doc.replications > 1 ? `, the band the 95% interval over ${doc.replications} replications` : ''}; crosses mark saturated points.`,
      blocks: rest.map((c) => chartBlock(c.id, c.spec)),
    });
  }
  const { columns, rows } = sweepPointRows(doc);
  sections.push({ id: 'points', title: 'Points', sentence: `${doc.points.length} points in the sweep's canonical order.`, blocks: [tableBlock({ columns, rows, textColumns: [0, columns.length - 1] })] });
  return {
    title: `${doc.workload}: sweep of ${axes}`,
    fields: [
      ['workload', `${doc.workload} (sha256 ${doc.workload_sha256.slice(0, 12)})`],
      ['swept', doc.params.map((p) => `${p.path} = ${p.values.map(showValue).join(', ')}`).join('; ')],
      ['variants', doc.variants.join(', ')],
      ['profile', doc.profile],
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
