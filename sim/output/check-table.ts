// What a check prints and writes: the table of regressions (or a one-line pass), the JUnit XML
// CI systems read (one test case per workload, metric and statistic), and the Markdown summary
// for $GITHUB_STEP_SUMMARY.
import type { CheckResult, CheckRow } from '../run/check.js';
import { formatStat } from './compare-table.js';
import { table } from './summary.js';

const change = (r: CheckRow) => (r.delta === null ? 'from 0' : `${r.delta >= 0 ? '+' : ''}${(r.delta * 100).toFixed(1)}%`);
const pText = (r: CheckRow) => (r.p === null ? '' : r.p < 0.001 ? 'p=0.000' : `p=${r.p.toFixed(3)}`);
const tol = (c: CheckResult) => `${(c.tolerance * 100).toFixed(1)}%`;

function cells(r: CheckRow): string[] {
  return [`${r.workload}: ${r.metric}`, r.stat, formatStat(r.metric, r.stat, r.baseline), formatStat(r.metric, r.stat, r.current), change(r), pText(r)];
}

const HEADER = ['workload: metric', 'stat', 'baseline', 'current', 'change', 'p'];

export function checkSummary(c: CheckResult): string {
  const bad = c.rows.filter((r) => r.verdict === 'regressed');
  const better = c.rows.filter((r) => r.verdict === 'improved').length;
  const head = `${c.rows.length} latency statistics checked (${c.mode}, tolerance ${tol(c)}): ${bad.length} regressed, ${better} improved`;
  const parts = [head];
  // p-values exist only in statistical mode; an exact check's table has no p column.
  const width = c.mode === 'exact' ? HEADER.length - 1 : HEADER.length;
  if (bad.length) parts.push(table(HEADER.slice(0, width), bad.map((r) => cells(r).slice(0, width))));
  if (c.missing.length) parts.push(`missing from the current run: ${c.missing.join(', ')}`);
  return parts.join('\n\n');
}

export function failed(c: CheckResult): boolean {
  return c.rows.some((r) => r.verdict === 'regressed') || c.missing.length > 0;
}

const xml = (s: string) => s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);

/** JUnit XML: a test suite per workload, a test case per metric statistic. */
export function checkJunit(c: CheckResult): string {
  const workloads = [...new Set(c.rows.map((r) => r.workload))];
  const suites = workloads.map((w) => {
    const rows = c.rows.filter((r) => r.workload === w);
    const failures = rows.filter((r) => r.verdict === 'regressed').length;
    const cases = rows.map((r) => {
      const name = xml(`${r.metric} ${r.stat}`);
      if (r.verdict !== 'regressed') return `    <testcase classname="rmsim.check.${xml(w)}" name="${name}"/>`;
      const msg = xml(`${r.metric} ${r.stat}: ${formatStat(r.metric, r.stat, r.baseline)} -> ${formatStat(r.metric, r.stat, r.current)} (${change(r)}${r.p !== null ? `, ${pText(r)}` : ''}; tolerance ${tol(c)})`);
      return `    <testcase classname="rmsim.check.${xml(w)}" name="${name}">\n      <failure message="${msg}" type="regression">${msg}</failure>\n    </testcase>`;
    });
    return `  <testsuite name="rmsim check ${xml(w)}" tests="${rows.length}" failures="${failures}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const total = c.rows.length;
  const fails = c.rows.filter((r) => r.verdict === 'regressed').length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="rmsim check" tests="${total}" failures="${fails}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** Markdown for a CI job summary. */
export function checkMarkdown(c: CheckResult): string {
  const bad = c.rows.filter((r) => r.verdict === 'regressed');
  const lines = [`### rmsim check: ${bad.length ? `${bad.length} regression${bad.length > 1 ? 's' : ''}` : 'no regression'}`, '', `${c.rows.length} latency statistics checked (${c.mode}, tolerance ${tol(c)}).`, ''];
  if (bad.length) {
    lines.push(`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`);
    for (const r of bad) lines.push(`| ${cells(r).map((s) => s.replace(/\|/g, '\\|')).join(' | ')} |`);
    lines.push('');
  }
  if (c.missing.length) lines.push(`Missing from the current run: ${c.missing.join(', ')}`, '');
  return lines.join('\n');
}
