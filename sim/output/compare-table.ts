// The text of a comparison, in benchstat's form: one row per metric and statistic, each side's
// mean ± its 95% interval (relative), then the change with its interval and p-value, or `~`
// when the change is not significant. The lines a kernel engineer pastes into a cover letter.
import { formatDuration } from '../units.js';
import { table } from './summary.js';
import type { CompareDocument, CompareRow } from '../run/compare.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${pct(x)}`;

/** A statistic's value in readable units (latencies as durations, counts as numbers). */
export function formatStat(metric: string, stat: string, v: number): string {
  if (/_ns(\{|$)/.test(metric) && stat !== 'count' && stat !== 'value') return formatDuration(v);
  return Math.abs(v) >= 1000 ? String(Math.round(v)) : String(Math.round(v * 1000) / 1000);
}

function side(row: CompareRow, s: CompareRow['a']): string {
  const v = formatStat(row.metric, row.stat, s.mean);
  if (s.ci === null) return v;
  return `${v} ± ${s.mean === 0 ? '0%' : pct(s.ci / Math.abs(s.mean))}`;
}

/** The verdict: `+12.3% ± 2.1% (p=0.001 n=10)`, or `~ (p=0.42 n=10)`. */
export function verdict(row: CompareRow): string {
  const n = `n=${Math.min(row.a.n, row.b.n)}`;
  const p = row.p === null ? 'no test' : `p=${row.p < 0.001 ? '0.000' : row.p.toFixed(3)}`;
  if (!row.significant) return `~ (${p} ${n})`;
  if (row.delta === null) return `from 0 (${p} ${n})`;
  return `${signedPct(row.delta)}${row.ci !== null ? ` ± ${pct(row.ci)}` : ''} (${p} ${n})`;
}

/** The rows a reader sees first: every significant change, and latencies' mean, p50 and p99. */
function headline(r: CompareRow): boolean {
  return r.significant || (/_ns(\{|$)/.test(r.metric) && ['mean', 'p50', 'p99'].includes(r.stat));
}

/** One table per pair of sides (A against each other side); `all` shows every row. */
export function compareTable(doc: CompareDocument, all = false): string {
  const a = doc.sides[0].label;
  const parts: string[] = [];
  for (const s of doc.sides.slice(1)) {
    const rows = doc.rows.filter((r) => r.b.label === s.label);
    const shown = all ? rows : rows.filter(headline);
    parts.push(table(['metric', 'stat', a, s.label, 'change'], shown.map((r) => [r.metric, r.stat, side(r, r.a), side(r, r.b), verdict(r)]))
      + (shown.length < rows.length ? `\n(${rows.length - shown.length} more rows, none significant: --all, or compare.json)` : ''));
  }
  const paired = doc.rows.some((r) => r.paired);
  parts.push(paired ? 'paired by replication (common random numbers); 95% intervals, Student t' : 'unpaired (Welch); 95% intervals, Student t');
  if (doc.unmatched.length) parts.push(`not compared (in one side only): ${doc.unmatched.map((u) => `${u.metric} (${u.only_in})`).join(', ')}`);
  return parts.join('\n\n');
}

/** The --json form: {"rows": [{metric, stat, a, b, delta, ci, p, significant}]}. */
export function compareJsonRows(doc: CompareDocument): { rows: Array<Record<string, unknown>> } {
  return {
    rows: doc.rows.map((r) => ({ metric: r.metric, stat: r.stat, a: r.a, b: r.b, delta: r.delta, ci: r.ci, p: r.p, significant: r.significant })),
  };
}
