// The kernel probe's picture: every punch a point, one thread's pass beside two threads'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parseProbeOutput } from '../../sim/calibrate/two-punchers-analysis.js';
import { probePoints, probeTimelineSpec, MAX_POINTS_PER_PANEL } from '../../reports/probe-specs.js';
import { renderSvg } from '../../reports/render.js';

const two = parseProbeOutput(readFileSync(fileURLToPath(new URL('../../../test/fixtures/two-punchers-gmem-2m.txt', import.meta.url)), 'utf8'));
const one = two.punches.filter((p) => p.thread === 0).map((p) => ({ ...p, thread: 0 }));
const passes = [{ backend: 'gmem', lenBytes: two.lenBytes, one, two: two.punches }];

test('probe chart: one point per punch, latency in us, a valid Vega-Lite spec', () => {
  const rows = probePoints(passes);
  assert.equal(rows.length, one.length + two.punches.length);
  const first = two.punches[0]!;
  assert.ok(rows.some((r) => r.threads === 'two threads' && r.latency_us === (first.endNs - first.startNs) / 1e3));
  assert.ok(rows.every((r) => r.row === 'gmem 2 MiB'));
  const schema = createRequire(import.meta.url)('vega-lite/vega-lite-schema.json');
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  assert.ok(validate(probeTimelineSpec(passes, 't')), ajv.errorsText(validate.errors));
});

test('probe chart renders to SVG with both panels', async () => {
  const svg = await renderSvg(probeTimelineSpec(passes, 'two punchers'));
  assert.match(svg, /^<svg/);
  assert.match(svg, /one thread/);
  assert.match(svg, /two threads/);
});

test('probe chart: a crowded panel is thinned but keeps every punch above its 99th percentile', () => {
  const n = 20_000;
  const punches = Array.from({ length: n }, (_, i) => ({ thread: i % 2, startNs: i * 1000, endNs: i * 1000 + (i % 997 === 0 ? 8_000_000 : 2000) }));
  const rows = probePoints([{ backend: 'gmem', lenBytes: 4096, one: [], two: punches }]);
  assert.ok(rows.length <= MAX_POINTS_PER_PANEL + n / 100 + 1, `${rows.length} points`);
  assert.equal(rows.filter((r) => r.latency_us === 8000).length, punches.filter((p) => p.endNs - p.startNs === 8_000_000).length);
});
