// What `rmsim sweep` and `rmsim merge` print: one row per variant and point with the SLO's
// statistic (or the headline latencies), the runs' warnings and the verdict, then each knee.
import { table } from '../output/summary.js';
import { formatDuration } from '../units.js';
import type { StatSummary, SweepDocument, SweepKnee } from './sweep-aggregate.js';

/** Latencies shown when no SLO names a statistic. */
const HEADLINE = ['fault.latency_ns', 'punch.latency_ns', 'conversion.latency_ns'];

function formatStat(metric: string, s: StatSummary | undefined): string {
  if (!s) return '-';
  const f = /_ns(\{|$)/.test(metric) ? formatDuration : (v: number) => String(Math.round(v * 1000) / 1000);
  return s.n > 1 && s.lo !== s.hi ? `${f(s.mean)} [${f(s.lo)}, ${f(s.hi)}]` : f(s.mean);
}

function showValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The knee in one line: "knee v10 vms.count = 2 (interval 2..2; fails from 4: saturated)". */
export function formatKnee(k: SweepKnee): string {
  const fixed = Object.entries(k.fixed).map(([p, v]) => `${p}=${showValue(v)}`).join(' ');
  const head = `knee ${k.variant}${fixed ? ` at ${fixed}` : ''}: ${k.param}`;
  const interval = `interval ${showValue(k.interval[0] ?? 'none')}..${showValue(k.interval[1] ?? 'none')}`;
  const why = k.next_reason === 'slo' ? 'SLO missed' : k.next_reason === 'no_data' ? 'no samples' : 'saturated';
  const next = k.next === null ? 'every value meets it' : `fails from ${showValue(k.next)}: ${why}`;
  if (k.knee === null) return `${head}: none (the smallest value fails: ${why})`;
  return `${head} = ${showValue(k.knee)} (${interval}; ${next})`;
}

/** A statistic of a metric, none for a distribution that counted nothing (its p99 is no 0 ns). */
function counted(m: Record<string, StatSummary> | undefined, stat: string): StatSummary | undefined {
  return m?.count?.mean === 0 && stat !== 'count' ? undefined : m?.[stat];
}

/** The points as table columns and rows: variant, parameters, the statistic shown, warnings, verdict. */
export function sweepPointRows(doc: SweepDocument): { columns: string[]; rows: string[][] } {
  const paths = doc.params.map((p) => p.path);
  const columns: Array<{ metric: string; stat: string }> = doc.slo
    ? [{ metric: Object.keys(doc.points[0]?.metrics ?? {}).find((k) => k === doc.slo!.metric || k.startsWith(`${doc.slo!.metric}{`)) ?? doc.slo.metric, stat: doc.slo.stat }]
    : HEADLINE.filter((m) => doc.points.some((p) => (p.metrics[m]?.count?.mean ?? 0) > 0)).map((metric) => ({ metric, stat: 'p99' }));
  return {
    columns: ['variant', ...paths, ...columns.map((c) => `${c.metric}.${c.stat}`), 'warnings', ...(doc.slo ? ['SLO'] : [])],
    rows: doc.points.map((p) => [
      p.variant,
      ...paths.map((path) => showValue(p.params[path])),
      ...columns.map((c) => formatStat(c.metric, doc.slo ? p.slo?.value ?? undefined : counted(p.metrics[c.metric], c.stat))),
      p.warnings.length ? p.warnings.join(',') : '-',
      ...(p.slo ? [p.slo.meets ? 'meets' : p.slo.reason === 'slo' ? 'misses' : p.slo.reason === 'saturated' ? 'saturated' : 'no samples'] : []),
    ]),
  };
}

export function sweepTitle(doc: SweepDocument): string {
  const paths = doc.params.map((p) => p.path);
  return `${doc.workload} | sweep ${paths.join(' x ') || '(one point)'} | ${doc.points.length} points, ${doc.replications} replication${doc.replications > 1 ? 's' : ''} each${doc.slo ? ` | SLO ${doc.slo.text}` : ''}`;
}

export function sweepSummary(doc: SweepDocument): string {
  const { columns, rows } = sweepPointRows(doc);
  const knees = doc.knees.map(formatKnee);
  return [sweepTitle(doc), '', table(columns, rows), ...(knees.length ? ['', ...knees] : [])].join('\n');
}
