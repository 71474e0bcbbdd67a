// The run report without a browser: units and ticks, the share and tail of waits, a page laid
// out in the order of the questions with computed sentences, the rules that keep a chart from
// misleading (few samples are a row, all-zero figures a sentence, sizes by bytes), valid
// Vega-Lite, SVG/PNG without a browser, and `rmsim run --report`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Histogram } from '../../sim/engine/histogram.js';
import { nonZeroPart } from '../../reports/hist.js';
import { pageCharts, renderPage } from '../../reports/layout.js';
import type { Page } from '../../reports/layout.js';
import { parseMetricKey } from '../../reports/metric-keys.js';
import type { HistogramMetric, Metric, MetricsDoc } from '../../reports/metrics-types.js';
import { fontsAvailable, renderSvg, svgToPng } from '../../reports/render.js';
import { runPage } from '../../reports/run/page.js';
import { bySize, fmtBytes, fmtDuration, fmtPercent, logAxis } from '../../reports/scales.js';

/** A histogram metric as metrics.json writes it, from raw samples. */
function hist(samples: number[]): HistogramMetric {
  const h = new Histogram();
  for (const s of samples) h.record(s);
  return { type: 'histogram', count: h.count, mean: h.mean(), p50: h.quantile(0.5), p90: h.quantile(0.9), p99: h.quantile(0.99), p999: h.quantile(0.999), max: samples.length ? Math.max(...samples) : 0, buckets: h.buckets() };
}
const counter = (value: number): Metric => ({ type: 'counter', value });
const gauge = (series: Array<[number, number]>): Metric => ({
  type: 'gauge', mean: 0, max: Math.max(...series.map(([, v]) => v)), last: series[series.length - 1][1], series,
});
const spread = (n: number, from: number, step: number) => Array.from({ length: n }, (_, i) => from + i * step);

/** A lock's five statistics; `waits` are the acquisitions' waits (0 = did not wait). */
function lock(name: string, waits: number[], holds: number[], queue: Array<[number, number]> = [[0, 0]]): Record<string, Metric> {
  return {
    [`${name}.acquisitions`]: counter(waits.length),
    [`${name}.contended`]: counter(waits.filter((w) => w > 0).length),
    [`${name}.wait_ns`]: hist(waits),
    [`${name}.hold_ns`]: hist(holds),
    [`${name}.queue_len`]: gauge(queue),
  };
}

const END = 212_000_000;
function craftedDoc(): MetricsDoc {
  const notifierWaits = [...Array(88).fill(0), ...spread(12, 5_000, 3_000)];
  return {
    schema: 'rmsim.metrics/1', workload: 'crafted', variant: 'v10', profile: 'spr-pvm-6.18', seed: 3, sim_end_ns: END, digest: 'sha256:abc',
    warnings: ['duration shorter than warmup', { kind: 'saturated', message: 'vmm/punch0 completed 10 of 40 offered operations', actor: 'vmm/punch0' }],
    metrics: {
      // Sizes written in the order an alphabetical sort gives.
      'punch.latency_ns{size=2MiB}': hist(spread(40, 100_000, 1_000)),
      'punch.latency_ns{size=4KiB}': hist(spread(30, 9_000, 100)),
      'punch.latency_ns{size=64KiB}': hist(spread(20, 20_000, 200)),
      'punch.invalidate_ns': hist(spread(90, 10_000, 10)),
      'punch.truncate_ns': hist(spread(90, 20_000, 10)),
      'fault.latency_ns': hist(spread(50, 20_000, 500)),
      'fault.by_level{level=4K}': counter(40),
      'fault.by_level{level=2M}': counter(10),
      'fault.retries': counter(2),
      ...lock('notifier_lock', notifierWaits, spread(100, 30, 1)),
      ...lock('inode_lock', Array(33).fill(0), spread(33, 60_000, 10)),
      ...lock('slots_lock', [0], [55_030]),
      ...lock('kvm_srcu', [50_000], [0], [[0, 0]]),
      'inode_lock.contended{mode=read}': counter(0),
      'thp.folio_orders{order=0}': counter(300),
      'thp.folio_orders{order=9}': counter(100),
      'thp.fallbacks{reason=occupied}': counter(7),
      'memory.allocated_bytes': counter(400 * 1024 * 1024),
      'memory.freed_bytes': counter(100 * 1024 * 1024),
      'host.page_cache_bytes': gauge([[0, 0], [50_000_000, 400_000_000], [200_000_000, 271_070_636]]),
      'cpu.runqueue_delay_ns': hist([...Array(50).fill(0), ...spread(10, 1000, 100)]),
    },
  };
}

const page = runPage(craftedDoc());
const sectionIds = page.sections.map((s) => s.id);
const section = (id: string) => page.sections.find((s) => s.id === id)!;
const chartIds = pageCharts(page).map((c) => c.id);

test('metric keys parse back into name and labels', () => {
  assert.deepEqual(parseMetricKey('punch.latency_ns{size=2MiB,vm=0}'), {
    name: 'punch.latency_ns', labels: { size: '2MiB', vm: '0' }, labelText: 'size=2MiB,vm=0',
  });
  assert.deepEqual(parseMetricKey('fault.retries'), { name: 'fault.retries', labels: {}, labelText: '' });
});

test('units: sizes sort by bytes and read in binary units; durations in ns..s', () => {
  assert.deepEqual(['2MiB', '4KiB', 'x', '64KiB', '2M', '4K'].sort(bySize), ['4KiB', '4K', '64KiB', '2MiB', '2M', 'x']);
  assert.equal(fmtBytes(400_000_000), '381.5 MiB');
  assert.equal(fmtBytes(271_070_636.52), '258.5 MiB');
  assert.equal(fmtDuration(132_606), '132.6 us');
  assert.equal(fmtDuration(35), '35 ns');
  assert.equal(fmtDuration(1_038_335), '1.038 ms');
});

test('log axes: whole decades around the data, never a tick below it', () => {
  const a = logAxis(30, 63_828);
  assert.deepEqual(a.domain, [10, 100_000]);
  assert.deepEqual(a.values, [10, 100, 1000, 10_000, 100_000]);
  const b = logAxis(60_000, 130_000);
  assert.deepEqual(b.domain, [50_000, 200_000]);
  assert.deepEqual(b.values, [50_000, 100_000, 200_000]);
  const one = logAxis(132_606, 132_606);
  assert.deepEqual(one, { domain: [100_000, 200_000], values: [100_000, 200_000] });
});

test('waits: the share that waited and the tail of those waits, zeros left out', () => {
  const waits = hist([...Array(98).fill(0), 1_000, 41_000]);
  const nz = nonZeroPart(waits);
  assert.equal(nz.count, 2);
  assert.equal(nz.share, 0.02);
  assert.equal(nz.stats.max, 41_000);
  assert.ok(nz.stats.p50 >= 990 && nz.stats.p50 <= 1_010, String(nz.stats.p50));
  assert.equal(waits.p90, 0, 'over all acquisitions the tail is hidden at 0');
});

test('the page: header, warnings, headline, then sections in the order of the questions', () => {
  assert.deepEqual(page.fields.map(([k]) => k), ['workload', 'variant', 'profile', 'seed', 'simulated', 'digest']);
  assert.match(page.fields[2][1], /spr-pvm-6\.18 \(.*Sapphire Rapids/);
  assert.deepEqual(page.warnings, ['duration shorter than warmup', 'saturated: vmm/punch0 completed 10 of 40 offered operations']);
  assert.deepEqual(sectionIds.slice(0, 5), ['punch', 'locks', 'fault', 'thp', 'memory']);
  assert.deepEqual(sectionIds.slice(5), ['other-cpu'], 'everything else, by subsystem, once');
  const heads = page.headline.rows.map((r) => r[0]);
  assert.deepEqual(heads.slice(0, 3), ['punch latency, 4 KiB', 'punch latency, 64 KiB', 'punch latency, 2 MiB']);
  for (const want of ['fault latency', 'waited on notifier_lock', 'waited on inode_lock', 'THP folio orders', 'memory left unfreed']) {
    assert.ok(heads.includes(want), `${want} missing from ${heads.join(' | ')}`);
  }
  assert.equal(page.headline.rows.find((r) => r[0] === 'memory left unfreed')![1], '300 MiB');
  assert.equal(page.headline.rows.find((r) => r[0] === 'waited on inode_lock')![1], 'never');
});

test('each section opens with a sentence computed from the data', () => {
  assert.match(section('punch').sentence, /^30 punches of 4 KiB took p50 10\.4 us, p99 11\.9 us; 20 punches of 64 KiB/);
  assert.match(section('punch').sentence, /of all punch time, invalidate 17% and truncate 33%\.$/);
  assert.match(section('locks').sentence, /notifier_lock: 12% of 100 acquisitions waited, p99 of those waits 3\d(\.\d+)? us/);
  assert.match(section('fault').sentence, /^50 faults took p50 .*mapped 80% at 4 K, 20% at 2 M; 2 retried/);
  assert.match(section('thp').sentence, /^100 of 400 folios \(25%\) were order 9; huge allocations fell back 7 times \(occupied\)/);
  assert.match(section('memory').sentence, /^400 MiB allocated, 300 MiB left unfreed/);
});

test('few samples are table rows, all-zero figures sentences, zeros counted not drawn', () => {
  assert.ok(!chartIds.some((id) => id.startsWith('slots_lock') || id.startsWith('kvm_srcu')), chartIds.join(' '));
  const lockTable = section('locks').blocks.find((b) => b.kind === 'table')!;
  assert.ok(lockTable.kind === 'table' && lockTable.table.rows.some((r) => r[0] === 'kvm_srcu' && r[2] === '100%'));
  const tails = pageCharts(page).find((c) => c.id === 'locks.wait_tail')!;
  const tailData = (tails.spec.data as { values: Array<{ series: string; ns: number }> }).values;
  assert.deepEqual([...new Set(tailData.map((v) => v.series))], ['notifier_lock'], 'only locks with enough waits are drawn');
  assert.ok(tailData.every((v) => v.ns >= 5_000), 'the zero waits are not on the log axis');
  const cpu = pageCharts(page).find((c) => c.id === 'cpu.runqueue_delay_ns.tail')!;
  assert.match(JSON.stringify(cpu.spec.title), /83% of cpu\.runqueue_delay_ns were 0/);
  assert.ok(!chartIds.some((id) => id.startsWith('inode_lock.contended')), 'all-zero counters draw no bars');
});

test('sizes in tables and charts go by bytes; byte gauges in binary units over the whole run', () => {
  const rows = (section('punch').blocks[0] as { table: { rows: string[][] } }).table.rows.map((r) => r[0]);
  assert.deepEqual(rows, ['4KiB', '64KiB', '2MiB']);
  const gaugeChart = pageCharts(page).find((c) => c.id === 'host.page_cache_bytes.series')!;
  const enc = gaugeChart.spec.encoding as { x: { scale: { domain: number[] } }; y: { title: string } };
  assert.equal(enc.y.title, 'MiB');
  assert.deepEqual(enc.x.scale.domain, [0, END / 1e6]);
  const pts = (gaugeChart.spec.data as { values: Array<{ t: number; v: number }> }).values;
  assert.equal(pts[pts.length - 1].t, END / 1e6, 'the last value is carried to the end of the run');
  assert.ok(pts.every((p) => p.v < 400), 'values in MiB');
});

function valid(p: Page) {
  const schema = createRequire(import.meta.url)('vega-lite/vega-lite-schema.json');
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  const charts = pageCharts(p);
  assert.ok(charts.length >= 5, `only ${charts.length} charts`);
  for (const c of charts) assert.ok(validate(c.spec), `${c.id}: ${ajv.errorsText(validate.errors)}`);
}

test('every chart is a valid Vega-Lite spec with a unique id', () => {
  valid(page);
  assert.equal(new Set(chartIds).size, chartIds.length);
});

test('the HTML page puts the headline table before the first chart and fetches nothing', () => {
  const html = renderPage(page);
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/);
  assert.ok(html.indexOf('class="headline"') > 0 && html.indexOf('class="headline"') < html.indexOf('data-chart='));
  assert.match(html, /class="warnings"/);
  assert.doesNotMatch(html.replace(/<script>[\s\S]*?<\/script>/g, ''), /\d{7,}\.\d/, 'no raw byte counts with decimals');
});

test('charts render to SVG and PNG without a browser', async () => {
  const svg = await renderSvg(pageCharts(page)[0].spec);
  assert.match(svg, /^<svg[^>]*width="\d+"/);
  assert.match(svg, /<path/);
  if (fontsAvailable()) {
    const png = await svgToPng(svg);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  }
});

test('rmsim run --report writes report.html and the charts beside metrics.json', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-run-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = new URL('../../sim/cli/main.js', import.meta.url).pathname;
  execFileSync(process.execPath, [cli, 'run', 'vm-boot', '--set', 'vms.memory=4MiB', '--out', dir, '--report', '--quiet'], { stdio: 'pipe' });
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /Fault path/);
  assert.ok(readdirSync(join(dir, 'charts')).includes('fault.latency_ns.tail.svg'), readdirSync(join(dir, 'charts')).join(' '));
});

test('the headline and the lock sentence give the share of punch and fault time spent waiting on each lock (issue 16)', () => {
  const doc = craftedDoc();
  // Punch latencies sum to 5,531,500 ns (the three sizes above), fault latencies to 1,612,500 ns.
  doc.metrics['punch.lock_wait_ns{lock=notifier_lock}'] = counter(553_150);
  doc.metrics['fault.lock_wait_ns{lock=mmu_lock}'] = counter(403_125);
  const p = runPage(doc);
  const row = (head: string) => p.headline.rows.find((r) => r[0] === head);
  assert.equal(row('punch time waiting on notifier_lock')?.[1], fmtPercent(0.1));
  assert.equal(row('punch time waiting on inode_lock')?.[1], 'never');
  assert.equal(row('fault time waiting on mmu_lock')?.[1], fmtPercent(0.25));
  assert.equal(row('fault time waiting on notifier_lock')?.[1], 'never');
  assert.match(p.sections.find((s) => s.id === 'locks')!.sentence, new RegExp(`^Punches spent ${fmtPercent(0.1)} of their time waiting on notifier_lock`));
});
