// The compare report is a page of the one report layout: a header naming what was compared,
// each side's digest and the sides' warnings; a headline table before any chart; sections
// whose opening sentences are computed from the comparison's rows; tails drawn on log axes
// with no invented 0.001; few samples per replication as rows. The check report likewise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSides } from '../../sim/run/compare-runs.js';
import { compareSides, sideOf, type CompareRow } from '../../sim/run/compare.js';
import type { CheckResult } from '../../sim/run/check.js';
import { pageCharts, renderPage } from '../../reports/layout.js';
import type { HistogramMetric, MetricsDoc } from '../../reports/metrics-types.js';
import { changeSentence, comparePage } from '../../reports/experiments/compare-report.js';
import { tailOverlaySpec } from '../../reports/experiments/compare-specs.js';
import { checkPage, workloadSentence } from '../../reports/experiments/check-report.js';

const row = (over: Partial<CompareRow>): CompareRow => ({
  metric: 'fault.latency_ns', stat: 'p99',
  a: { label: 'v10', mean: 60_000, ci: 100, n: 10 }, b: { label: 'guest_memfd', mean: 46_200, ci: 100, n: 10 },
  delta: -0.23, ci: 0.045, p: 0.0001, significant: true, paired: true, ...over,
});

test('change sentences state the direction, the interval and the replications', () => {
  assert.equal(changeSentence(row({})), "guest_memfd's fault latency p99 is 23% lower than v10's (95% CI 18.5%-27.5%, 10 paired replications)");
  assert.equal(changeSentence(row({ metric: 'punch.latency_ns{size=2MiB}', delta: 0.052, ci: 0.01 })), "guest_memfd's punch latency, 2 MiB p99 is 5.2% higher than v10's (95% CI 4.2%-6.2%, 10 paired replications)");
  assert.equal(changeSentence(row({ delta: 0.003, ci: 0.02, p: 0.42, significant: false })), "guest_memfd's fault latency p99 does not differ significantly from v10's (46.2 us against 60 us, p=0.42, 10 paired replications)");
  assert.equal(changeSentence(row({ delta: -0.11, ci: 0 })), "guest_memfd's fault latency p99 is 11% lower than v10's in each of 10 paired replications");
  assert.equal(changeSentence(row({ delta: -0.23, ci: null, p: null, significant: false, paired: false, a: { label: 'v10', mean: 60_000, ci: null, n: 1 }, b: { label: 'guest_memfd', mean: 46_200, ci: null, n: 1 } })),
    "guest_memfd's fault latency p99 is 23% lower than v10's (46.2 us against 60 us; one replication a side, so no test of significance)");
  assert.equal(changeSentence(row({ delta: null, a: { label: 'v10', mean: 0, ci: 0, n: 10 } })), "guest_memfd's fault latency p99 is 46.2 us where v10's is 0 (10 paired replications)");
});

test('tails overlaid: samples of 0 are counted in the subtitle, never drawn at a made-up 0.001', () => {
  const h = (buckets: Array<[number, number]>, max: number): HistogramMetric => {
    const count = buckets.reduce((a, [, n]) => a + n, 0);
    return { type: 'histogram', count, mean: 1, p50: 0, p90: 0, p99: max, p999: max, max, buckets };
  };
  const spec = tailOverlaySpec('mmu_lock waits', [['v10', h([[0, 90], [15_000, 6], [39_000, 4]], 40_000)], ['guest_memfd', h([[0, 80], [20_000, 20]], 21_000)]]) as {
    title: { subtitle: string }; data: { values: Array<{ ns: number; share: number }> };
    encoding: { x: { scale: { domain: number[] }; axis: { values: number[] } }; y: { scale: { domain: number[] }; axis: { values: number[] } } };
  };
  assert.match(spec.title.subtitle, /90% of v10's and 80% of guest_memfd's samples were 0/);
  assert.ok(spec.data.values.every((v) => v.ns >= 15_000 && v.share > 0 && v.share <= 1));
  assert.deepEqual(spec.data.values.filter((v) => v.ns === 39_000).map((v) => v.share), [0.4]);
  assert.ok(spec.encoding.x.scale.domain[0] >= 10_000, `x from ${spec.encoding.x.scale.domain[0]}`);
  assert.equal(spec.encoding.y.scale.domain[1], 1);
  assert.ok(spec.encoding.y.axis.values.every((t) => t >= 0.1 && t <= 1), `y ticks ${spec.encoding.y.axis.values}`);
});

test('the compare report of balloon, v10 against guest_memfd: header, headline, computed sentences', async () => {
  const docs = await runSides(['v10', 'guest_memfd'].map((v) => ({ label: v, spec: { workload: 'balloon', sets: [], seed: 1, variant: v } })), 3, { workers: 1 });
  // A warning the run wrote, in whatever form metrics.json holds it, reaches the header.
  (docs[1].doc as unknown as MetricsDoc).warnings = [{ kind: 'saturated', message: 'an actor completed 80% of its work' }];
  const sides = docs.map((d) => sideOf(d.label, d.doc));
  const doc = compareSides(sides);
  const page = comparePage(doc, sides.map((s) => ({ label: s.label, doc: s.doc as unknown as MetricsDoc })));
  const field = (k: string) => page.fields.find(([name]) => name === k)?.[1];
  assert.equal(field('compared'), 'variants: guest_memfd against v10 (the base)');
  assert.match(field('replications')!, /^3 per side, paired/);
  assert.equal(field('digest v10'), doc.sides[0].digest);
  assert.equal(field('digest guest_memfd'), doc.sides[1].digest);
  assert.match(field('profile')!, /^spr-pvm-6\.18 \(.+\)$/);
  // v10's own (balloon's vCPUs share the CPUs with the reporting thread's populate), then the planted one.
  const own = ((docs[0].doc as unknown as MetricsDoc).warnings ?? []) as Array<{ kind: string; message: string }>;
  assert.ok(own.length > 0, 'balloon under v10 warns saturated');
  assert.deepEqual(page.warnings, [...own.map((w) => `v10: ${w.kind}: ${w.message}`), 'guest_memfd: saturated: an actor completed 80% of its work']);

  assert.deepEqual(page.headline.columns, ['', 'v10', 'guest_memfd', 'change (95% CI)']);
  const labels = page.headline.rows.map((r) => r[0]);
  for (const l of ['punch latency, 2 MiB p99', 'fault latency p99', 'waited on notifier/file locks', 'waited on mmu_lock (write)', 'metrics that differ significantly']) assert.ok(labels.includes(l), `headline row ${l}`);
  const html = renderPage(page);
  assert.ok(html.indexOf('class="headline"') < html.indexOf('data-chart='), 'headline table before the first chart');

  const punchP99 = doc.rows.find((r) => r.metric === 'punch.latency_ns{size=2MiB}' && r.stat === 'p99')!;
  const punch = page.sections.find((s) => s.id === 'punch')!;
  assert.ok(punch.sentence.startsWith(changeSentence(punchP99)), punch.sentence);
  const changes = page.sections.find((s) => s.id === 'changes')!;
  const significant = new Set(doc.rows.filter((r) => r.significant).map((r) => r.metric)).size;
  assert.ok(changes.sentence.includes(`${significant} of ${new Set(doc.rows.map((r) => r.metric)).size} metrics differ significantly from v10`), changes.sentence);
  const locks = page.sections.find((s) => s.id === 'locks')!;
  assert.match(locks.sentence, /No acquisition of notifier_lock, invalidate_lock \(read\), invalidate_lock \(write\), inode_lock \(write\) waited on any side/);
  assert.match(locks.sentence, /mmu_lock \(write\) \d+(\.\d)?% \(v10\) vs \d+(\.\d)?% \(guest_memfd\)/);
  for (const s of page.sections) assert.ok(s.sentence.length > 20 && !/undefined|NaN/.test(s.sentence), `${s.id}: ${s.sentence}`);

  const ids = pageCharts(page).map((c) => c.id);
  assert.ok(ids.includes('punch.latency_ns_size_2MiB_.tail') && ids.includes('fault.latency_ns.sides'), ids.join(', '));
  // slots_lock is taken once a run: its percentiles are rows, never a chart.
  assert.ok(!ids.some((id) => id.startsWith('slots_lock')), ids.join(', '));
  assert.match(html, /slots_lock\.hold_ns: fewer than 8 samples above 0 per replication/);
  // Latencies are drawn where they were measured: nothing below 1 ns stands in for a 0.
  for (const ch of pageCharts(page).filter((c) => c.id.endsWith('.tail') || c.id.endsWith('.sides'))) {
    const values = (ch.spec as { data: { values: Array<{ ns: number }> } }).data.values;
    assert.ok(values.length > 0 && values.every((v) => v.ns >= 1), `${ch.id}: ${values.map((v) => v.ns).slice(0, 5)}`);
  }
});

test('the check report: a headline row per workload, a sentence computed from its rows', () => {
  const r = (stat: string, baseline: number, current: number, verdict: 'ok' | 'regressed' | 'improved') =>
    ({ workload: 'balloon', metric: 'fault.latency_ns', stat, baseline, current, delta: (current - baseline) / baseline, p: null, verdict });
  const c: CheckResult = { mode: 'exact', tolerance: 0.05, rows: [r('p50', 100, 101, 'ok'), r('p99', 1000, 1200, 'regressed'), r('mean', 200, 150, 'improved')], missing: ['balloon: notifier_lock.wait_ns'] };
  assert.equal(workloadSentence(c, 'balloon'), 'balloon: 1 of 3 latency statistics regressed beyond 5.0%, 1 improved; the largest growth: fault.latency_ns p99 +20.0%.');
  const page = checkPage(c);
  assert.equal(page.title, 'rmsim check: 1 regression');
  assert.deepEqual(page.headline.rows, [['balloon', '1', '1', '3', 'fault.latency_ns p99 +20.0%']]);
  assert.deepEqual(page.warnings, ['missing from the current run: balloon: notifier_lock.wait_ns']);
  assert.deepEqual(pageCharts(page).map((ch) => ch.id), ['check.balloon.changes', 'check.balloon.p99']);
});
