// rmsim sweep / merge on the command line: bad input is one line and exit 2 before any run;
// --search answers with the points it probed and the knee; --json prints sweep.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { packageRoot } from '../../sim/paths.js';
import { rmsim } from '../workload/cli-harness.js';

test('bad sweep input: exit 2 with one line saying what was expected', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['sweep', 'balloon'], /at least one --param/],
    [['sweep', 'balloon', '--param', 'vms.count'], /expected path=values/],
    [['sweep', 'balloon', '--param', 'vms.count=1,x'], /vms\.count/],
    [['sweep', 'balloon', '--param', 'vms.cuont=1,2'], /cuont/],
    [['sweep', 'balloon', '--param', 'vms.count=1,2', '--shard', '4/3'], /1 <= i <= N/],
    [['sweep', 'balloon', '--param', 'vms.count=1,2', '--variants', 'v10,nope'], /nope/],
    [['sweep', 'balloon', '--param', 'vms.count=1,2', '--slo', 'fault.latency_ns.p99'], /bound/],
    [['sweep', 'balloon', '--search', 'vms.count=1..8'], /needs --slo/],
    [['sweep', 'balloon', '--search', 'vms.count=1..8', '--slo', 'fault.latency_ns.p99<=50us', '--shard', '1/2'], /--search and --shard/],
    [['sweep', 'balloon', '--param', 'vms.count=1,2', '--replications', '0'], /positive integer/],
    [['merge', '/nonexistent/shard'], /expected a shard folder/],
  ];
  for (const [args, re] of cases) {
    const r = await rmsim(args);
    assert.equal(r.code, 2, `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});

test('--search bisects and reports its probes and knee; --json prints sweep.json as written', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-search-'));
  try {
    // A process of its own: the in-process harness would also capture the test runner's messages.
    const r = spawnSync(process.execPath, [join(packageRoot(), 'dist', 'sim', 'cli', 'main.js'), 'sweep', 'balloon', '--set', 'duration=2ms', '--search', 'vms.count=1..4', '--slo', 'fault.latency_ns.p99<=50us', '--workers', '1', '--json', '--out', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const written = readFileSync(join(dir, 'sweep.json'), 'utf8');
    assert.equal(r.stdout, written);
    const doc = JSON.parse(written) as { search: { path: string; lo: string; hi: string }; params: Array<{ values: number[] }>; knees: Array<{ knee: number | null; next: number | null }>; points: Array<{ slo: { meets: boolean } }> };
    assert.deepEqual(doc.search, { path: 'vms.count', lo: '1', hi: '4' });
    const probed = doc.params[0].values;
    assert.ok(probed.includes(1) && probed.includes(4) && probed.length <= 4, `probed ${probed.join(',')}`);
    assert.equal(doc.knees.length, 1);
    const k = doc.knees[0];
    // The knee is the last meeting value below the first failing one among the probes.
    const firstFail = doc.points.findIndex((p) => !p.slo.meets);
    assert.equal(k.knee, firstFail === 0 ? null : probed[(firstFail < 0 ? probed.length : firstFail) - 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
