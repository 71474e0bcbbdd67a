// The table printed at the end of `rmsim run`: the headline metrics of a metrics body in
// aligned columns, latencies in readable units. Counters follow the distributions.
import { formatDuration } from '../units.js';

interface Hist { type: 'histogram'; count: number; mean: number; p50: number; p99: number; max: number }
interface Ctr { type: 'counter'; value: number }
interface Gau { type: 'gauge'; mean: number; max: number; last: number }

/** Render rows as aligned text columns (first column left, the rest right-aligned). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const isTime = (name: string) => /_ns(\{|$)/.test(name);

/** What a user of each workload looks at first: operations, then faults, then locks, then the rest. */
const HEADLINE = ['punch.', 'fallocate.', 'conversion.', 'fault.', 'memslot.', 'memory_failure.', 'vm.', 'replay.', 'thp.', 'memory.', 'error.'];

/** Operation latencies (punch. to replay.): shown even when they counted nothing, as 0 and '-'. */
const OPERATION_FAMILIES = HEADLINE.indexOf('thp.');

/** The work each actor was offered and completed: a 0 completed is the point, so it is shown. */
const ALWAYS_SHOWN_COUNTERS = 'actor.ops{';

function rank(key: string): number {
  const i = HEADLINE.findIndex((p) => key.startsWith(p));
  if (i >= 0) return i;
  return /_lock\.|lock\.|srcu\./.test(key) ? HEADLINE.length : HEADLINE.length + 1;
}

/**
 * Headline table: distributions with samples (and the operations' own ones without, as 0 and
 * '-': a fault latency that vanished read as "no problem"), then counters, then gauges (at most
 * `limit` rows each).
 */
export function summaryTable(metrics: Record<string, unknown>, limit = 30): string {
  const keys = Object.keys(metrics).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const dist: string[][] = [];
  const ctrs: string[][] = [];
  const gauges: string[][] = [];
  for (const k of keys) {
    const m = metrics[k] as Hist | Ctr | Gau;
    if (m.type === 'histogram' && m.count > 0) {
      const f = isTime(k) ? formatDuration : (v: number) => String(Math.round(v * 100) / 100);
      dist.push([k, String(m.count), f(m.mean), f(m.p50), f(m.p99), f(m.max)]);
    } else if (m.type === 'histogram' && rank(k) < OPERATION_FAMILIES) {
      dist.push([k, '0', '-', '-', '-', '-']);
    } else if (m.type === 'counter' && (m.value !== 0 || k.startsWith(ALWAYS_SHOWN_COUNTERS))) {
      ctrs.push([k, String(m.value)]);
    } else if (m.type === 'gauge' && m.max !== 0) {
      gauges.push([k, String(Math.round(m.mean * 100) / 100), String(m.max), String(m.last)]);
    }
  }
  const parts: string[] = [];
  const more = (n: number) => (n > limit ? `\n  ... ${n - limit} more in metrics.json` : '');
  if (dist.length) parts.push(table(['distribution', 'count', 'mean', 'p50', 'p99', 'max'], dist.slice(0, limit)) + more(dist.length));
  if (ctrs.length) parts.push(table(['counter', 'value'], ctrs.slice(0, limit)) + more(ctrs.length));
  if (gauges.length) parts.push(table(['gauge', 'mean', 'max', 'last'], gauges.slice(0, limit)) + more(gauges.length));
  return parts.length ? parts.join('\n\n') : '(no metrics recorded)';
}

/** The warnings of a run, printed after the summary table: one line each. */
export function formatWarnings(warnings: ReadonlyArray<{ kind: string; message: string; replication?: number }>): string {
  return ['warnings:', ...warnings.map((w) => `  ${w.kind}: ${w.message}${w.replication !== undefined ? ` (replication ${w.replication})` : ''}`)].join('\n');
}
