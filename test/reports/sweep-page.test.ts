// The sweep report's charts and sentences read as the run report's do: figures in ns/us/ms and
// KiB..GiB, sizes in the order the sweep gave them, the whole swept range on the x axis, one
// sentence computed from how far each line moved, and no chart for a sweep of one value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAxes } from '../../sim/run/grid.js';
import { buildSweepDocument, type RunMetrics } from '../../sim/run/sweep-aggregate.js';
import { planHeader, planSweep } from '../../sim/run/sweep-plan.js';
import { sweepCharts } from '../../reports/experiments/sweep-specs.js';
import { sweepPage } from '../../reports/experiments/sweep-report.js';

/** A sweep over `param` whose runs record memory.allocated_bytes = 64 MiB x (1 + run index) and a latency in ms. */
function sweep(param: string) {
  const plan = planSweep({ workload: 'balloon', sets: [], axes: parseAxes([param]), variants: ['v10', 'guest_memfd'], replications: 1 });
  const runs: RunMetrics[] = plan.runs.map((r, i) => ({
    digest: `sha256:run${i}`,
    metrics: {
      'memory.allocated_bytes': { type: 'counter', value: 64 * 1024 * 1024 * (1 + (i % 3)) },
      'punch.latency_ns': { type: 'histogram', count: 10, mean: 1, p50: 1, p90: 1, p99: 2_000_000 * (1 + (i % 3)), p999: 1, max: 1 },
    },
    warnings: [],
  }));
  return buildSweepDocument(planHeader(plan), plan.fingerprint, runs);
}

type Spec = { title: { subtitle: string }; layer: Array<{ encoding: { x: { sort?: string[]; scale?: { domain: number[] } }; y: { title?: string } } }> };
const spec = (doc: ReturnType<typeof sweep>, id: string) => sweepCharts(doc).find((c) => c.id === id)!.spec as unknown as Spec;

test('sweep charts draw bytes in binary units and durations in ms, over the whole swept range', () => {
  const doc = sweep('vms.count=1,2,4');
  const bytes = spec(doc, 'memory.allocated_bytes.value');
  assert.equal(bytes.layer[1].encoding.y.title, 'memory.allocated_bytes value (MiB)');
  assert.deepEqual(bytes.layer[1].encoding.x.scale!.domain, [1, 4]);
  assert.equal(bytes.title.subtitle, 'v10 64 MiB at 1 -> 192 MiB at 4; guest_memfd 64 MiB at 1 -> 192 MiB at 4');
  assert.equal(spec(doc, 'punch.latency_ns.p99').layer[1].encoding.y.title, 'punch.latency_ns p99 (ms)');
});

test('a size parameter keeps the order the sweep gave, not the alphabet', () => {
  const doc = sweep('vms.memory=4MiB,64MiB,2GiB');
  assert.deepEqual(spec(doc, 'punch.latency_ns.p99').layer[1].encoding.x.sort, ['4MiB', '64MiB', '2GiB']);
});

test('the metrics section opens with the metric that moved most', () => {
  const page = sweepPage(sweep('vms.count=1,2,4'));
  const s = page.sections.find((x) => x.id === 'metrics')!;
  assert.equal(s.sentence, '2 metrics recorded something over vms.count; memory.allocated_bytes moved most: v10 64 MiB at 1 -> 192 MiB at 4, guest_memfd 64 MiB at 1 -> 192 MiB at 4.');
});

test('a sweep of one value draws no line of one point', () => {
  const doc = sweep('vms.count=2');
  assert.deepEqual(sweepCharts(doc), []);
  assert.match(sweepPage(doc).sections.find((x) => x.id === 'metrics')!.sentence, /one value of vms\.count/);
});
