// The reports as a reader sees them, in Debian's Chromium (one launch): the run reports of
// balloon and multi-vm-host, a compare report (balloon, v10 against guest_memfd, 10 paired
// replications), a sweep report (balloon over vms.count, two variants, an SLO), a check
// report and the committed validation report, all pages of the one layout. On every
// page: every chart draws a mark inside its axes and none outside, no axis invents a tick such
// as 0.001 or prints a raw byte count, and the headline table comes before the first chart.
// On the run reports also: time axes reach the end of the run, few-sample distributions are
// not charts, every gauge is drawn or named, and every lock that waited shows the share that
// waited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadWorkload } from '../../sim/workload/load.js';
import { runWorkload } from '../../sim/run/runner.js';
import { runSides } from '../../sim/run/compare-runs.js';
import { compareSides, sideOf } from '../../sim/run/compare.js';
import { parseAxes } from '../../sim/run/grid.js';
import { parseSlo } from '../../sim/run/knee.js';
import { planSweep } from '../../sim/run/sweep-plan.js';
import { runSweep } from '../../sim/run/sweep.js';
import { baselineEntry, checkAll } from '../../sim/run/check.js';
import { writeCheckReport } from '../../reports/experiments/check-report.js';
import { writeValidationReport } from '../../reports/validation.js';
import type { ValidationSummary } from '../../sim/calibrate/validate.js';
import { packageRoot } from '../../sim/paths.js';
import { nonZeroPart, MIN_SAMPLES_FOR_CHART } from '../../reports/hist.js';
import type { HistogramMetric, MetricsDoc } from '../../reports/metrics-types.js';
import { groupByFamily } from '../../reports/metric-keys.js';
import { writeReport } from '../../reports/report.js';
import { writeCompareReport } from '../../reports/experiments/compare-report.js';
import { writeSweepReport } from '../../reports/experiments/sweep-report.js';
import { fmtPercent } from '../../reports/scales.js';

const CHROMIUM = '/usr/bin/chromium';
/** balloon as shipped (22 ms simulated); multi-vm-host long enough for fragmentation to show. */
const RUNS: Array<[string, string[]]> = [['balloon', []], ['multi-vm-host', ['duration=80ms']]];

/** The experiment reports: each writes its page under dir and returns the HTML file's path. */
const EXPERIMENTS: Array<[string, (dir: string) => Promise<string>]> = [
  ['compare balloon v10,guest_memfd', async (dir) => {
    const docs = await runSides(['v10', 'guest_memfd'].map((v) => ({ label: v, spec: { workload: 'balloon', sets: [], seed: 1, variant: v } })), 10, { workers: 1 });
    const sides = docs.map((d) => sideOf(d.label, d.doc));
    await writeCompareReport(compareSides(sides), sides.map((s) => ({ label: s.label, doc: s.doc })), dir, { svg: false, png: false });
    return join(dir, 'compare.html');
  }],
  ['sweep balloon vms.count', async (dir) => {
    const plan = planSweep({ workload: 'balloon', sets: [], axes: parseAxes(['vms.count=1,2,4']), variants: ['v10', 'guest_memfd'], replications: 2, slo: parseSlo('fault.latency_ns.p99<=50us') });
    await writeSweepReport((await runSweep(plan, { workers: 1 })).document, dir, { svg: false, png: false });
    return join(dir, 'report.html');
  }],
  ['check balloon, guest_memfd against a v10 baseline', async (dir) => {
    const spec = { workload: 'balloon', sets: [], seed: 1, variant: 'v10' };
    const [base, now] = await runSides([{ label: 'baseline', spec }, { label: 'current', spec: { ...spec, variant: 'guest_memfd' } }], 1, { workers: 1 });
    const entries = [baselineEntry(spec, base.doc)];
    await writeCheckReport(checkAll({ schema: 'rmsim.baseline/1', entries }, [now.doc], 0.05), dir, { baseline: 'baseline.json', entries, current: [now.doc] }, { svg: false, png: false });
    return join(dir, 'check.html');
  }],
  ['validation committed in bench/results/validation', async (dir) => {
    const v = JSON.parse(readFileSync(join(packageRoot(), 'bench/results/validation/validation.json'), 'utf8')) as ValidationSummary & { profile: string; host: string; date: string };
    await writeValidationReport(v, { profile: v.profile, host: v.host, date: v.date }, dir, { svg: false, png: false });
    return join(dir, 'validation.html');
  }],
];

interface ChartCheck {
  id: string;
  marksInside: number;
  marksOutside: string[];
  axisLabels: string[];
  axisTitles: string[];
  xDomainMax: number | null;
  text: string;
}

interface PageCheck {
  headlineBeforeFirstChart: boolean;
  charts: ChartCheck[];
  notes: string;
  visibleText: string;
  errors: string[];
  requests: string[];
}

/** Runs in the page: measures every chart's SVG against the plot area its axes bound. */
function inspectPage(): Omit<PageCheck, 'errors' | 'requests'> {
  const w = window as unknown as { rmsimViews?: Record<string, { scale(n: string): { domain(): number[] } | undefined }> };
  const firstChart = document.querySelector('.chart');
  const headline = document.querySelector('table.headline');
  const charts: ChartCheck[] = [...document.querySelectorAll('.chart')].map((el) => {
    const id = el.getAttribute('data-chart') ?? '';
    const svg = el.querySelector('svg')!;
    const domains = [...svg.querySelectorAll('.role-axis-domain line, .role-axis-domain path')].map((d) => d.getBoundingClientRect());
    const xs = domains.filter((r) => r.width > r.height);
    const ys = domains.filter((r) => r.height > r.width);
    const left = Math.min(...xs.map((r) => r.left), ...ys.map((r) => r.left));
    const right = Math.max(...xs.map((r) => r.right));
    const top = Math.min(...ys.map((r) => r.top));
    const bottom = Math.max(...ys.map((r) => r.bottom), ...xs.map((r) => r.bottom));
    const tol = 2;
    let marksInside = 0;
    const marksOutside: string[] = [];
    for (const m of svg.querySelectorAll('.role-mark > *')) {
      const r = m.getBoundingClientRect();
      if (r.width < 0.5 && r.height < 0.5) continue;
      const isSymbol = m.closest('.mark-symbol') !== null;
      const cx = (r.left + r.right) / 2;
      const cy = (r.top + r.bottom) / 2;
      const inside = isSymbol || m.tagName === 'text'
        ? cx >= left - tol && cx <= right + tol && cy >= top - tol && cy <= bottom + tol
        : r.left >= left - tol && r.right <= right + tol && r.top >= top - tol && r.bottom <= bottom + tol;
      if (inside) marksInside++;
      else marksOutside.push(`${m.tagName} [${Math.round(r.left)},${Math.round(r.right)}]x[${Math.round(r.top)},${Math.round(r.bottom)}] vs [${Math.round(left)},${Math.round(right)}]x[${Math.round(top)},${Math.round(bottom)}]`);
    }
    const x = w.rmsimViews?.[id]?.scale('x');
    const xd = x && typeof x.domain === 'function' ? x.domain() : null;
    return {
      id,
      marksInside,
      marksOutside,
      axisLabels: [...svg.querySelectorAll('.role-axis-label text')].map((t) => t.textContent ?? ''),
      axisTitles: [...svg.querySelectorAll('.role-axis-title text')].map((t) => t.textContent ?? ''),
      xDomainMax: xd && typeof xd[1] === 'number' ? xd[1] : null,
      text: svg.textContent ?? '',
    };
  });
  return {
    headlineBeforeFirstChart: !!headline && !!firstChart && (headline.compareDocumentPosition(firstChart) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0,
    charts,
    notes: [...document.querySelectorAll('p.note')].map((p) => p.textContent).join('\n'),
    visibleText: document.body.innerText,
  };
}

const checks = new Map<string, { doc: MetricsDoc; page: PageCheck }>();
const experimentChecks = new Map<string, PageCheck>();
/** Few-sample distributions met over both runs (at least one must be, or the check checks nothing). */
let sparseSeen = 0;

test('run, compare and sweep reports open in Chromium', async (t) => {
  if (!existsSync(CHROMIUM)) {
    // CI installs Debian's chromium (.ci/run); a developer machine may not have it.
    if (process.env.CI) assert.fail('CI must provide /usr/bin/chromium');
    t.skip('no /usr/bin/chromium (Debian package chromium)');
    return;
  }
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'rmsim-chromium-'));
  const outDir = mkdtempSync(join(tmpdir(), 'rmsim-report-'));
  t.after(() => {
    rmSync(userDataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const open = async (html: string): Promise<PageCheck> => {
    const page = await ctx.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (req) => { if (!req.url().startsWith('file:')) requests.push(req.url()); });
    await page.goto(pathToFileURL(html).href);
    await page.evaluate(() => (window as unknown as { rmsimRendered: Promise<unknown> }).rmsimRendered.then(() => true));
    const check = { ...(await page.evaluate(inspectPage)), errors, requests };
    await page.close();
    return check;
  };
  try {
    for (const [workload, sets] of RUNS) {
      const doc = (await runWorkload({ workload: loadWorkload(workload, { seed: 1, sets }) })).metrics as unknown as MetricsDoc;
      const dir = join(outDir, workload);
      await writeReport(doc, dir, { svg: false, png: false });
      checks.set(workload, { doc, page: await open(join(dir, 'report.html')) });
    }
    for (const [name, write] of EXPERIMENTS) experimentChecks.set(name, await open(await write(join(outDir, name.replace(/\W+/g, '-')))));
  } finally {
    await ctx.close();
  }
  assert.equal(checks.size, RUNS.length);
  assert.equal(experimentChecks.size, EXPERIMENTS.length);
});

/** The checks every report page passes, run or experiment. */
function pageTests(name: string, get: (t: { skip(m: string): void }) => PageCheck | undefined, minCharts: number): void {
  test(`${name}: no page errors, nothing fetched, headline table before the first chart`, (t) => {
    const c = get(t);
    if (!c) return;
    assert.deepEqual(c.errors, []);
    assert.deepEqual(c.requests, []);
    assert.ok(c.charts.length >= minCharts, `${c.charts.length} charts`);
    assert.ok(c.headlineBeforeFirstChart);
  });

  test(`${name}: every chart draws a mark inside its axes and none outside`, (t) => {
    const c = get(t);
    if (!c) return;
    for (const ch of c.charts) {
      assert.ok(ch.marksInside > 0, `${ch.id}: no mark inside its axes`);
      assert.deepEqual(ch.marksOutside, [], `${ch.id}: marks outside its axes`);
    }
  });

  test(`${name}: axis labels are readable (no 0.001, no 0.000000, no raw byte counts)`, (t) => {
    const c = get(t);
    if (!c) return;
    for (const ch of c.charts) {
      assert.ok(ch.axisLabels.length > 0, `${ch.id}: no axis labels`);
      for (const l of ch.axisLabels) {
        assert.ok(l !== '0.001' && l !== '0.000000', `${ch.id}: axis label ${l}`);
        assert.ok(!/\d{7,}/.test(l.replace(/,/g, '')), `${ch.id}: axis label ${l}`);
        assert.ok(!/e[+-]\d/.test(l), `${ch.id}: axis label ${l}`);
      }
    }
  });
}

for (const [name] of EXPERIMENTS) {
  pageTests(name, (t) => {
    const c = experimentChecks.get(name);
    if (!c) t.skip('the browser run above did not happen');
    return c;
  }, 2);
}

for (const [workload] of RUNS) {
  const get = (t: { skip(m: string): void }) => {
    const c = checks.get(workload);
    if (!c) t.skip('the browser run above did not happen');
    return c;
  };
  pageTests(workload, (t) => get(t)?.page, 4);

  test(`${workload}: time axes reach the end of the run`, (t) => {
    const c = get(t);
    if (!c) return;
    const timed = c.page.charts.filter((ch) => ch.axisTitles.some((a) => a.startsWith('simulated time')));
    assert.ok(timed.length > 0, 'no chart over simulated time');
    for (const ch of timed) {
      const unit = ch.axisTitles.find((a) => a.startsWith('simulated time'))!.includes('(s)') ? 1e9 : 1e6;
      assert.ok(ch.xDomainMax !== null && ch.xDomainMax * unit >= c.doc.sim_end_ns! - 1, `${ch.id}: axis ends at ${ch.xDomainMax} of ${c.doc.sim_end_ns} ns`);
    }
  });

  test(`${workload}: few-sample distributions are rows, not charts; every gauge is drawn or named`, (t) => {
    const c = get(t);
    if (!c) return;
    const families = groupByFamily(Object.keys(c.doc.metrics));
    let sparse = 0;
    for (const [family, keys] of families) {
      const ms = keys.map((k) => c.doc.metrics[k]);
      if (ms[0].type === 'histogram' && ms.every((m) => (m as HistogramMetric).count < MIN_SAMPLES_FOR_CHART) && ms.some((m) => (m as HistogramMetric).count > 0)) {
        sparse++;
        for (const ch of c.page.charts) assert.ok(!ch.text.includes(family), `${family} has fewer than ${MIN_SAMPLES_FOR_CHART} samples but ${ch.id} draws it`);
      }
      if (ms[0].type === 'gauge') {
        const shown = c.page.charts.some((ch) => ch.text.includes(family)) || c.page.notes.includes(family);
        assert.ok(shown, `gauge ${family} is neither drawn nor named`);
      }
    }
    sparseSeen += sparse;
  });

  test(`${workload}: every lock mode that waited shows the share that waited`, (t) => {
    const c = get(t);
    if (!c) return;
    const rows = c.page.visibleText.split('\n');
    let waited = 0;
    for (const [key, m] of Object.entries(c.doc.metrics)) {
      if (m.type !== 'histogram' || !key.includes('.wait_ns') || m.count === 0) continue;
      const nz = nonZeroPart(m);
      if (nz.count === 0) continue;
      waited++;
      const lock = key.slice(0, key.indexOf('.wait_ns'));
      const mode = /mode=(\w+)/.exec(key)?.[1];
      const label = mode ? `${lock} (${mode})` : lock;
      assert.ok(rows.some((r) => r.startsWith(label) && r.includes(fmtPercent(nz.share))), `${label}: ${fmtPercent(nz.share)} waited, not shown`);
    }
    assert.ok(waited > 0, 'no lock waited in this run');
  });
}

test('the runs above had a few-sample distribution to check', (t) => {
  if (checks.size === 0) return t.skip('the browser run did not happen');
  assert.ok(sparseSeen > 0);
});
