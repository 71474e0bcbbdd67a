// The check report as a page of the one report layout (reports/layout.ts): a header (the
// baseline against the current runs: workloads, variants, profile and host, seed and
// replications, both digests of each workload, the current runs' warnings), a headline table
// (each workload's verdict), then one section per workload opening with a sentence computed
// from its rows: every checked statistic's change against the tolerance, baseline against
// current p99, and the regressions as rows.
import type { BaselineEntry, CheckResult, CheckRow } from '../../sim/run/check.js';
import { labelledWarnings, profileField } from '../header.js';
import { chartBlock, tableBlock, type Page, type Section } from '../layout.js';
import type { MetricsDoc } from '../metrics-types.js';
import { writePage, type ReportOptions, type ReportResult } from '../report.js';
import { fmtDuration } from '../scales.js';
import { durationAxis, frame, LEGEND, type VlSpec } from '../specs.js';

/** What the check ran: the baseline's entries and the current runs, by workload, when the caller has them. */
export interface CheckInfo {
  baseline: string;
  entries: BaselineEntry[];
  current: Array<MetricsDoc | { workload: string; variant: string; profile: string; seed: number; digest: string; warnings?: unknown[] }>;
}

const VERDICT_COLORS = { domain: ['regressed', 'improved', 'ok'], range: ['#d62728', '#2ca02c', '#7f7f7f'] };
const tol = (c: CheckResult) => `${(c.tolerance * 100).toFixed(1)}%`;
const change = (r: CheckRow) => (r.delta === null ? 'from 0' : `${r.delta >= 0 ? '+' : ''}${(r.delta * 100).toFixed(1)}%`);

/** Change of each statistic against the baseline, with the tolerance line (a regression is a red point to its right). */
export function checkChangesSpec(c: CheckResult, workload: string): VlSpec {
  const rows = c.rows.filter((r) => r.workload === workload && r.delta !== null);
  const values = rows.map((r) => ({ row: `${r.metric} ${r.stat}`, pct: r.delta! * 100, verdict: r.verdict, baseline: fmtDuration(r.baseline), current: fmtDuration(r.current) }));
  const y = { field: 'row', type: 'nominal', sort: null, title: null, axis: { labelLimit: 340 } };
  return {
    ...frame(`${workload}: change against the baseline`, `dashed: the tolerance, ${tol(c)}; red: regressed, green: improved`, Math.max(60, 14 * values.length)),
    data: { values },
    layer: [
      { mark: { type: 'rule', color: '#999' }, encoding: { x: { datum: 0 } } },
      { mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] }, encoding: { x: { datum: c.tolerance * 100 } } },
      {
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          y, x: { field: 'pct', type: 'quantitative', title: 'change against the baseline (%)', axis: { format: '+~r' } },
          color: { field: 'verdict', type: 'nominal', title: null, scale: VERDICT_COLORS, legend: LEGEND },
          tooltip: [{ field: 'row', type: 'nominal' }, { field: 'baseline', type: 'nominal' }, { field: 'current', type: 'nominal' }, { field: 'pct', type: 'quantitative', format: '+.2f' }],
        },
      },
    ],
  };
}

/** Baseline and current p99 of each latency side by side, on a log duration axis (figures of 0 are not drawn). */
export function checkValuesSpec(c: CheckResult, workload: string): VlSpec {
  const values = c.rows.filter((r) => r.workload === workload && r.stat === 'p99').flatMap((r) => [
    { metric: r.metric, side: 'baseline', ns: r.baseline },
    { metric: r.metric, side: 'current', ns: r.current },
  ]).filter((v) => v.ns > 0);
  const metrics = [...new Set(values.map((v) => v.metric))];
  return {
    ...frame(`${workload}: p99 of each latency, baseline and current`, c.mode === 'exact' ? 'one run each, same seed' : 'mean over the replications', Math.max(60, 22 * metrics.length)),
    data: { values },
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      y: { field: 'metric', type: 'nominal', title: null, sort: metrics, axis: { labelLimit: 340 } },
      x: { field: 'ns', type: 'quantitative', ...durationAxis(values.map((v) => v.ns), 'p99 (log scale)') },
      color: { field: 'side', type: 'nominal', title: null, sort: ['baseline', 'current'], legend: LEGEND },
      shape: { field: 'side', type: 'nominal', sort: ['baseline', 'current'], title: null },
      tooltip: [{ field: 'metric', type: 'nominal' }, { field: 'side', type: 'nominal' }, { field: 'ns', type: 'quantitative', title: 'ns', format: ',.0f' }],
    },
  };
}

/** "0 of 48 latency statistics regressed beyond 5.0%, 2 improved; the largest growth: fault.latency_ns p99 +3.1% (p=0.012)". */
export function workloadSentence(c: CheckResult, workload: string): string {
  const rows = c.rows.filter((r) => r.workload === workload);
  const bad = rows.filter((r) => r.verdict === 'regressed');
  const better = rows.filter((r) => r.verdict === 'improved').length;
  const grew = rows.filter((r) => r.delta === null ? r.current > 0 : r.delta > 0).sort((a, b) => (b.delta ?? Infinity) - (a.delta ?? Infinity))[0];
  const p = (r: CheckRow) => (r.p === null ? '' : ` (p=${r.p < 0.001 ? '<0.001' : r.p.toFixed(3)})`);
  const top = grew ? `; the largest growth: ${grew.metric} ${grew.stat} ${change(grew)}${p(grew)}` : '; no statistic grew';
  return `${workload}: ${bad.length} of ${rows.length} latency statistics regressed beyond ${tol(c)}, ${better} improved${top}.`;
}

function workloadSection(c: CheckResult, workload: string): Section {
  const rows = c.rows.filter((r) => r.workload === workload);
  const shown = rows.filter((r) => r.verdict !== 'ok');
  return {
    id: `check-${workload}`, title: workload, sentence: workloadSentence(c, workload),
    blocks: [
      chartBlock(`check.${workload}.changes`, checkChangesSpec(c, workload)),
      ...(rows.some((r) => r.stat === 'p99' && (r.baseline > 0 || r.current > 0)) ? [chartBlock(`check.${workload}.p99`, checkValuesSpec(c, workload))] : []),
      ...(shown.length ? [tableBlock({
        columns: ['metric', 'stat', 'baseline', 'current', 'change', 'p', 'verdict'],
        rows: shown.map((r) => [r.metric, r.stat, fmtDuration(r.baseline), fmtDuration(r.current), change(r), r.p === null ? '' : r.p.toFixed(3), r.verdict]),
        textColumns: [0, 1, 6],
        caption: 'the statistics beyond the tolerance',
      })] : []),
    ],
  };
}

function fields(c: CheckResult, info: CheckInfo | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [['compared', `the current runs against a baseline, ${c.mode} (${c.mode === 'exact' ? 'same seed, any growth beyond the tolerance fails' : 'paired by replication, a significant growth beyond the tolerance fails'})`], ['tolerance', tol(c)]];
  if (!info) return out;
  const uniq = (xs: Array<string | number>) => [...new Set(xs.map(String))].join(', ');
  out.push(['baseline', info.baseline], ['workloads', uniq(info.entries.map((e) => e.workload))],
    ['variant', `baseline ${uniq(info.entries.map((e) => e.variant))}; current ${uniq(info.current.map((d) => d.variant))}`]);
  for (const p of new Set([...info.entries.map((e) => e.profile), ...info.current.map((d) => d.profile)])) out.push(['profile', profileField(p)]);
  out.push(['seed', uniq(info.entries.map((e) => e.seed))], ['replications', uniq(info.entries.map((e) => e.samples.length))]);
  info.entries.forEach((e, i) => out.push([`digest ${e.workload}`, `baseline ${e.digest}; current ${info.current[i]?.digest ?? '-'}`]));
  return out;
}

export function checkPage(c: CheckResult, info?: CheckInfo): Page {
  const workloads = [...new Set(c.rows.map((r) => r.workload))];
  const bad = c.rows.filter((r) => r.verdict === 'regressed').length;
  return {
    title: `rmsim check: ${bad ? `${bad} regression${bad > 1 ? 's' : ''}` : 'no regression'}`,
    fields: fields(c, info),
    warnings: [
      ...c.missing.map((m) => `missing from the current run: ${m}`),
      ...labelledWarnings((info?.current ?? []).map((d) => ({ label: d.workload, warnings: d.warnings }))),
    ],
    headline: {
      columns: ['workload', 'regressed', 'improved', 'checked', 'largest growth'],
      rows: workloads.map((w) => {
        const rows = c.rows.filter((r) => r.workload === w);
        const grew = rows.filter((r) => r.delta !== null && r.delta > 0).sort((a, b) => b.delta! - a.delta!)[0];
        return [w, String(rows.filter((r) => r.verdict === 'regressed').length), String(rows.filter((r) => r.verdict === 'improved').length), String(rows.length), grew ? `${grew.metric} ${grew.stat} ${change(grew)}` : 'none'];
      }),
      textColumns: [0, 4],
    },
    sections: workloads.map((w) => workloadSection(c, w)),
  };
}

/** check.html plus one SVG and PNG per chart under outDir. */
export async function writeCheckReport(c: CheckResult, outDir: string, info?: CheckInfo, opts: ReportOptions = {}): Promise<ReportResult> {
  return writePage(checkPage(c, info), outDir, { file: 'check.html', ...opts });
}
