// `rmsim bench e2e` on a tiny size: every case runs in its own process and reports what the
// issue asks for; the simulated and the bare runs take exactly one fault per guest page; (d)'s
// chart is a valid picture of the sizes run. (Timing figures are not checked: see bench/.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../sim/errors.js';
import { bootHostBytes, scaledBytes } from '../../bench/e2e/cases.js';
import { parseOnly } from '../../bench/e2e/cli.js';
import { runE2eBench } from '../../bench/e2e/run.js';
import { benchE2eSpec } from '../../bench/e2e/chart-spec.js';
import { renderSvg } from '../../reports/render.js';

const MiB = 2 ** 20;

test('e2e cases: sizes scale to whole 2 MiB, hosts to whole 4 MiB with room for the VM', () => {
  assert.equal(scaledBytes(64 * 2 ** 30, 1), 64 * 2 ** 30);
  assert.equal(scaledBytes(64 * 2 ** 30, 1e-4), 6 * MiB);
  assert.equal(scaledBytes(1, 1e-9), 2 * MiB);
  assert.equal(bootHostBytes(64 * 2 ** 30), 80 * 2 ** 30);
  assert.equal(bootHostBytes(6 * MiB), 72 * MiB);
  assert.deepEqual(parseOnly('a,d'), ['a', 'd']);
  assert.deepEqual(parseOnly(undefined), ['a', 'b', 'c', 'd']);
  assert.throws(() => parseOnly('a,x'), UsageError);
});

test('e2e bench at scale 1e-4: (a) beside the bare fast paths, (d) at four sizes, one fault per page', { timeout: 120_000 }, async () => {
  const r = runE2eBench({ only: ['a', 'd'], scale: 1e-4 });
  const a = r.cases.a!;
  assert.equal(a.vm_bytes, 6 * MiB);
  assert.equal(a.faults, a.vm_bytes / 4096, 'one first-touch fault per 4 KiB page');
  assert.ok(a.events > a.faults, `events ${a.events} > faults ${a.faults}`);
  for (const k of ['wall_s', 'run_s', 'events_per_s', 'faults_per_s', 'bare_faults_per_s', 'ratio_to_bare', 'peak_rss_bytes'] as const) {
    assert.ok(Number.isFinite(a[k]) && a[k] > 0, `${k} = ${a[k]}`);
  }
  const d = r.cases.d!;
  assert.deepEqual(d.sizes.map((s) => s.vm_bytes / MiB), [2, 2, 2, 6]);
  for (const s of d.sizes) assert.equal(s.faults, s.vm_bytes / 4096);
  assert.ok(d.spread >= 1);
  // Scaled down: figures, but no verdicts.
  assert.ok(Object.values(r.meets).every((m) => m === null));
  const svg = await renderSvg(benchE2eSpec(r));
  assert.match(svg, /<svg/);
  assert.match(svg, /guest memory/);
});
