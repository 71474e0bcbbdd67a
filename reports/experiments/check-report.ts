// The check report: every checked latency statistic as its change against the baseline, the
// tolerance drawn as a line (a regression is a point to its right, in red), and baseline
// against current per workload; in the run report's offline HTML + SVG + PNG form.
import type { CheckResult } from '../../sim/run/check.js';
import { checkSummary } from '../../sim/output/check-table.js';
import type { VlSpec } from '../specs.js';
import { safeChartId, writeExperimentPage, type ExperimentChart } from './experiment-page.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const ROW = { field: 'row', type: 'nominal', sort: null, title: null, axis: { labelLimit: 360 } };
const VERDICT_COLORS = { domain: ['regressed', 'improved', 'ok'], range: ['#d62728', '#2ca02c', '#7f7f7f'] };

/** Change of each statistic against the baseline, with the tolerance line. */
export function checkChangesSpec(c: CheckResult, workload: string): VlSpec {
  const values = c.rows.filter((r) => r.workload === workload && r.delta !== null).map((r) => ({ row: `${r.metric} ${r.stat}`, pct: r.delta! * 100, verdict: r.verdict, baseline_us: r.baseline / 1000, current_us: r.current / 1000 }));
  return {
    $schema: SCHEMA,
    title: { text: `${workload}: change against the baseline (tolerance ${(c.tolerance * 100).toFixed(1)}%)`, anchor: 'start' },
    width: 480, height: { step: 12 },
    data: { values },
    layer: [
      { mark: { type: 'rule', color: '#999' }, encoding: { x: { datum: 0 } } },
      { mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] }, encoding: { x: { datum: c.tolerance * 100 } } },
      {
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          y: ROW,
          x: { field: 'pct', type: 'quantitative', title: 'change against the baseline (%)' },
          color: { field: 'verdict', type: 'nominal', title: null, scale: VERDICT_COLORS },
          tooltip: [{ field: 'row' }, { field: 'baseline_us', type: 'quantitative', format: '.3f' }, { field: 'current_us', type: 'quantitative', format: '.3f' }, { field: 'pct', type: 'quantitative', format: '+.2f' }],
        },
      },
    ],
  };
}

/** Baseline and current values of each p99 side by side (us). */
export function checkValuesSpec(c: CheckResult, workload: string): VlSpec {
  const values = c.rows.filter((r) => r.workload === workload && r.stat === 'p99').flatMap((r) => [
    { metric: r.metric, side: 'baseline', us: r.baseline / 1000 },
    { metric: r.metric, side: 'current', us: r.current / 1000 },
  ]);
  return {
    $schema: SCHEMA,
    title: { text: `${workload}: p99 of each latency, baseline and current`, anchor: 'start' },
    width: 480, height: { step: 10 },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'metric', type: 'nominal', title: null, axis: { labelLimit: 360 } },
      yOffset: { field: 'side', type: 'nominal', sort: ['baseline', 'current'] },
      x: { field: 'us', type: 'quantitative', title: 'p99 (us)' },
      color: { field: 'side', type: 'nominal', title: null, sort: ['baseline', 'current'] },
    },
  };
}

export function checkCharts(c: CheckResult): ExperimentChart[] {
  return [...new Set(c.rows.map((r) => r.workload))].flatMap((w) => [
    { id: safeChartId(`check.${w}.changes`), spec: checkChangesSpec(c, w) },
    { id: safeChartId(`check.${w}.p99`), spec: checkValuesSpec(c, w) },
  ]);
}

export async function writeCheckReport(c: CheckResult, outDir: string): Promise<string[]> {
  const bad = c.rows.filter((r) => r.verdict === 'regressed').length;
  const r = await writeExperimentPage({
    file: 'check.html',
    title: `rmsim check: ${bad ? `${bad} regression${bad > 1 ? 's' : ''}` : 'no regression'}`,
    meta: `${c.mode} comparison · tolerance ${(c.tolerance * 100).toFixed(1)}%`,
    text: checkSummary(c),
    charts: checkCharts(c),
  }, outDir);
  for (const n of r.notes) process.stderr.write(`rmsim check: ${n}\n`);
  return r.files.filter((f) => f.endsWith('.html'));
}
