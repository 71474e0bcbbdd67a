// The sweep report: each metric against the swept parameter, one line per variant, the SLO
// line and the knees marked; offline HTML plus SVG (and PNG where the fonts are).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAxes } from '../../sim/run/grid.js';
import { parseSlo } from '../../sim/run/knee.js';
import { buildSweepDocument } from '../../sim/run/sweep-aggregate.js';
import { planHeader, planSweep } from '../../sim/run/sweep-plan.js';
import { sweepCharts } from '../../reports/experiments/sweep-specs.js';
import { writeSweepReport } from '../../reports/experiments/sweep-report.js';
import { fakeRun } from './sweep-fixtures.js';

const plan = planSweep({ workload: 'balloon', sets: [], axes: parseAxes(['vms.count=1,2,4,8']), variants: ['v10', 'notifier-rwsem'], replications: 2, slo: parseSlo('fault.latency_ns.p99<=50us') });
const doc = buildSweepDocument(planHeader(plan), plan.fingerprint, plan.runs.map((r) => fakeRun(plan, r.index)));

test('sweep charts: the SLO statistic first, with its threshold rule, the knees and one line per variant', () => {
  const charts = sweepCharts(doc);
  assert.deepEqual(charts.map((c) => c.id), ['fault.latency_ns.p99', 'fault.retries.value']);
  const spec = charts[0].spec as { data: { values: Array<{ series: string; x: number; y: number; saturated: string }> }; layer: Array<{ mark: { type: string }; data?: { values: Array<Record<string, unknown>> } }> };
  assert.deepEqual([...new Set(spec.data.values.map((v) => v.series))], ['v10', 'notifier-rwsem']);
  assert.deepEqual(spec.data.values.filter((v) => v.series === 'v10').map((v) => [v.x, v.y, v.saturated]), [[1, 20, 'ok'], [2, 40, 'ok'], [4, 80, 'ok'], [8, 160, 'saturated']].map(([x, y, s]) => [x, (y as number) + 0.0035, s]));
  const rules = spec.layer.filter((l) => l.mark.type === 'rule');
  assert.equal(rules.length, 2);
  assert.equal(rules[0].data!.values[0].threshold, 50);
  assert.deepEqual(rules[1].data!.values.map((v) => v.x), [2, 2]);
});

test('sweep report: offline HTML with the knees, SVG per chart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-sweep-report-'));
  try {
    const r = await writeSweepReport(doc, dir, { png: false });
    assert.equal(r.charts, 2);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.match(html, /knee v10: vms\.count = 2 \(interval 2\.\.2; fails from 4: SLO missed\)/);
    assert.ok(!/<script src=|<link [^>]*href="http/.test(html), 'nothing fetched when it opens');
    assert.match(html, /notifier-rwsem at vms\.count=8: saturated/);
    assert.match(html, /SLO: fault\.latency_ns\.p99&lt;=50us/);
    const svg = readFileSync(join(dir, 'charts', 'fault.latency_ns.p99.svg'), 'utf8');
    assert.match(svg, /^<svg/);
    assert.match(svg, /vms\.count/);
    assert.ok(!existsSync(join(dir, 'charts', 'fault.latency_ns.p99.png')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
