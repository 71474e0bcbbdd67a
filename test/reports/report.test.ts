// Reports: every chart a run gets is a valid Vega-Lite spec, renders to SVG and PNG without a
// browser, and the HTML page is self-contained and draws every chart in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { Mutex, Simulation, makeDistribution } from '../../sim/engine/index.js';
import type { Process } from '../../sim/engine/index.js';
import { buildMetricsDocument } from '../../sim/output/metrics-document.js';
import { chartsFor } from '../../reports/charts.js';
import { parseMetricKey } from '../../reports/metric-keys.js';
import type { MetricsDoc } from '../../reports/metrics-types.js';
import { fontsAvailable, renderSvg, svgToPng } from '../../reports/render.js';
import { writeReport } from '../../reports/report.js';

/** A real run: four processes punching through one mutex, with a labelled latency family. */
function sampleDoc(): MetricsDoc {
  const sim = new Simulation({ seed: 7, cpus: 2, lockCosts: { sleep_ns: 500, wakeup_ns: 800 } });
  const lock = new Mutex(sim, 'notifier_lock');
  const hold = makeDistribution({ kind: 'exponential', mean: 2000 });
  const think = makeDistribution({ kind: 'exponential', mean: 5000 });
  for (let i = 0; i < 4; i++) {
    const size = i % 2 === 0 ? '4KiB' : '2MiB';
    const lat = sim.stats.histogram('punch.latency_ns', { size });
    const done = sim.stats.counter('punch.count', { size });
    const rng = sim.rng(`vmm/${i}`);
    sim.spawn(`vmm${i}`, function* (p: Process) {
      for (let k = 0; k < 200; k++) {
        yield p.sleep(think.sample(rng));
        const t0 = sim.now;
        yield lock.lock(p);
        yield p.compute(hold.sample(rng));
        lock.unlock(p);
        lat.record(sim.now - t0);
        done.add();
      }
    });
  }
  sim.run();
  return buildMetricsDocument({
    workload: 'report-test', variant: 'v10', profile: 'test', seed: 7, replication: 0,
    simEndNs: sim.now, warmupNs: 0, metrics: sim.stats.snapshot() as Record<string, unknown>,
  }) as unknown as MetricsDoc;
}

const doc = sampleDoc();

test('metric keys parse back into name and labels', () => {
  assert.deepEqual(parseMetricKey('punch.latency_ns{size=2MiB,vm=0}'), {
    name: 'punch.latency_ns', labels: { size: '2MiB', vm: '0' }, labelText: 'size=2MiB,vm=0',
  });
  assert.deepEqual(parseMetricKey('fault.retries'), { name: 'fault.retries', labels: {}, labelText: '' });
});

test('a run gets a CDF per latency family, percentiles for labelled ones, a series per gauge', () => {
  const ids = chartsFor(doc).map((c) => c.id);
  assert.ok(ids.includes('punch.latency_ns.cdf'), ids.join(' '));
  assert.ok(ids.includes('punch.latency_ns.percentiles'), ids.join(' '));
  assert.ok(ids.includes('notifier_lock.wait_ns.cdf'), ids.join(' '));
  assert.ok(ids.includes('notifier_lock.queue_len.series'), ids.join(' '));
  assert.ok(ids.includes('punch.count.counts'), ids.join(' '));
});

test('every chart is a valid Vega-Lite spec', () => {
  const schema = createRequire(import.meta.url)('vega-lite/vega-lite-schema.json');
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  for (const c of chartsFor(doc)) {
    assert.ok(validate(c.spec), `${c.id}: ${ajv.errorsText(validate.errors)}`);
  }
});

test('the CDF ends at 1 for each series and never decreases', () => {
  const cdf = chartsFor(doc).find((c) => c.id === 'punch.latency_ns.cdf')!;
  const values = (cdf.spec.data as { values: Array<{ series: string; fraction: number }> }).values;
  for (const series of ['size=4KiB', 'size=2MiB']) {
    const fr = values.filter((v) => v.series === series).map((v) => v.fraction);
    assert.ok(fr.length > 5);
    for (let i = 1; i < fr.length; i++) assert.ok(fr[i] >= fr[i - 1]);
    assert.equal(fr[fr.length - 1], 1);
  }
});

test('charts render to SVG and PNG without a browser', async () => {
  const chart = chartsFor(doc)[0];
  const svg = await renderSvg(chart.spec);
  assert.match(svg, /^<svg[^>]*width="\d+"/);
  assert.match(svg, /<path/);
  if (fontsAvailable()) {
    const png = await svgToPng(svg);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  }
});

test('the HTML report is self-contained and Chromium draws every chart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await writeReport(doc, dir, { svg: true, png: fontsAvailable() });
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/);
  assert.equal(readdirSync(join(dir, 'charts')).filter((f) => f.endsWith('.svg')).length, r.charts);
  const chromium = '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    // CI installs Debian's chromium (.ci/run); a developer machine may not have it.
    if (process.env.CI) assert.fail('CI must provide /usr/bin/chromium');
    t.skip('no /usr/bin/chromium');
    return;
  }
  const { chromium: pw } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'rmsim-chromium-'));
  t.after(() => rmSync(userDataDir, { recursive: true, force: true }));
  const ctx = await pw.launchPersistentContext(userDataDir, {
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const requests: string[] = [];
    page.on('request', (req) => { if (!req.url().startsWith('file:')) requests.push(req.url()); });
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.evaluate(() => (window as unknown as { rmsimRendered: Promise<unknown> }).rmsimRendered.then(() => true));
    const drawn = await page.locator('.chart svg').count();
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    assert.equal(drawn, r.charts);
  } finally {
    await ctx.close();
  }
});

test('rmsim run --report writes report.html and the charts beside metrics.json', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-run-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = new URL('../../sim/cli/main.js', import.meta.url).pathname;
  execFileSync(process.execPath, [cli, 'run', 'vm-boot', '--set', 'vms.memory=4MiB', '--out', dir, '--report', '--quiet'], { stdio: 'pipe' });
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /fault\.latency_ns/);
  assert.ok(readdirSync(join(dir, 'charts')).includes('fault.latency_ns.cdf.svg'));
});
