// Done-when of baseline/check (issue 14): a check passes against its own baseline, exits 1
// after a profile that slows every cost by 10%, and its JUnit file parses; the Markdown summary
// lands in $GITHUB_STEP_SUMMARY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { rmsim } from '../workload/cli-harness.js';
import { parseTolerance } from '../../sim/run/check.js';
import { plantedProfile } from './planted-profile.js';

const dir = mkdtempSync(join(tmpdir(), 'rmsim-check-'));
const baseline = join(dir, 'baseline.json');
const small = ['--set', 'duration=2ms', '--set', 'host.memory=512MiB', '--seed', '5', '--workers', '1'];

test('a check passes against its own baseline and fails after every cost is 10% slower', async () => {
  const made = await rmsim(['baseline', 'conversion-storm', 'balloon', '--out', baseline, ...small]);
  assert.equal(made.code, 0, made.stderr);
  const b = JSON.parse(readFileSync(baseline, 'utf8')) as { entries: Array<{ samples: unknown[] }> };
  assert.equal(b.entries.length, 2);

  const same = await rmsim(['check', '--baseline', baseline, '--junit', join(dir, 'same.xml'), '--out', join(dir, 'same'), '--no-report', '--workers', '1']);
  assert.equal(same.code, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /0 regressed/);

  const summary = join(dir, 'summary.md');
  process.env.GITHUB_STEP_SUMMARY = summary;
  let slow;
  try {
    slow = await rmsim(['check', '--baseline', baseline, '--profile', plantedProfile(1.10, 'planted-10pct'), '--tolerance', '5%', '--junit', join(dir, 'slow.xml'), '--out', join(dir, 'slow'), '--workers', '1']);
  } finally {
    delete process.env.GITHUB_STEP_SUMMARY;
  }
  assert.equal(slow.code, 1, slow.stdout + slow.stderr);
  assert.match(slow.stdout, /balloon: fault\.latency_ns\s+mean\s+\S+\s+\S+\s+\+10\.0%/);
  assert.match(readFileSync(summary, 'utf8'), /### rmsim check: \d+ regressions?/);
  assert.ok(existsSync(join(dir, 'slow', 'check.html')));

  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });
  const ok = parser.parse(readFileSync(join(dir, 'same.xml'), 'utf8')) as { testsuites: { failures: string; tests: string } };
  assert.equal(ok.testsuites.failures, '0');
  assert.ok(Number(ok.testsuites.tests) > 0);
  const bad = parser.parse(readFileSync(join(dir, 'slow.xml'), 'utf8')) as { testsuites: { failures: string; testsuite: Array<{ name: string; testcase: Array<{ name: string; failure?: unknown }> }> } };
  assert.ok(Number(bad.testsuites.failures) > 0);
  assert.equal(bad.testsuites.testsuite.length, 2);
  const failing = bad.testsuites.testsuite.flatMap((s) => s.testcase.filter((c) => c.failure !== undefined).map((c) => c.name));
  assert.ok(failing.includes('fault.latency_ns mean'), failing.join(', '));
});

test('--tolerance reads 5% and 0.05 alike and refuses nonsense', () => {
  assert.equal(parseTolerance('5%'), 0.05);
  assert.equal(parseTolerance('0.05'), 0.05);
  assert.equal(parseTolerance(undefined), 0);
  assert.throws(() => parseTolerance('five'), /--tolerance/);
});
