// The engine benchmark's picture: every trial of every task, against the ceiling, the floor and
// (b)'s target; drawn from a committed result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { EngineBenchResult } from '../../bench/engine/run.js';
import { A_TARGET_SERIES, benchEnginePoints, benchEngineSpec } from '../../bench/engine/chart-spec.js';
import { renderSvg } from '../../reports/render.js';

const result = JSON.parse(readFileSync(fileURLToPath(new URL('../../../bench/results/engine-amd.json', import.meta.url)), 'utf8')) as EngineBenchResult;

test('engine bench chart: one point per trial and task, rates in M/s, a valid Vega-Lite spec', () => {
  const rows = benchEnginePoints(result);
  assert.equal(rows.length, 7 * result.trials);
  const first = rows.find((r) => r.series === 'floor (hand-written)' && r.trial === 1)!;
  assert.equal(first.rate, result.workload.acquisitions / result.samples_ms.mutex_floor[0]! / 1e3);
  // (a)'s target is per trial: 0.7 of the ceiling measured beside it.
  const ceiling = rows.find((r) => r.series === 'ceiling (bare heap)' && r.trial === 2)!;
  const target = rows.find((r) => r.series === A_TARGET_SERIES && r.trial === 2)!;
  assert.equal(target.kind, 'target');
  assert.ok(Math.abs((target.rate as number) - 0.7 * (ceiling.rate as number)) < 1e-9);
  const schema = createRequire(import.meta.url)('vega-lite/vega-lite-schema.json');
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  assert.ok(validate(benchEngineSpec(result)), ajv.errorsText(validate.errors));
});

test('engine bench chart renders to SVG with both panels and every series', async () => {
  const svg = await renderSvg(benchEngineSpec(result));
  assert.match(svg, /^<svg/);
  for (const s of ['(a) timeouts', '(b) mutex', 'ceiling (bare heap)', 'floor (hand-written)', 'state-machine processes']) assert.ok(svg.includes(s), s);
});
