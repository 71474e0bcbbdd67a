// Honest runs (issue 14 point 1): a configuration that cannot exist is bad input, with the
// numbers; metrics.json carries a warnings list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmsim } from '../workload/cli-harness.js';
import { runSpec } from '../../sim/run/run-spec.js';

test('VMs whose memory exceeds the host\'s are refused with the numbers (exit 2)', async () => {
  const r = await rmsim(['run', 'balloon', '--set', 'vms.count=100', '--set', 'vms.memory=1GiB', '--out', '/tmp/rmsim-never-written']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /vms\.count: expected at most 4 VMs of 1GiB on host\.memory 4GiB .*found 100 VMs needing 100GiB/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('metrics.json carries a warnings list', async () => {
  const r = await runSpec({ workload: 'vm-boot', sets: ['vms.memory=4MiB', 'host.memory=256MiB'], replication: 0 });
  assert.deepEqual((JSON.parse(r.metricsJson) as { warnings: unknown[] }).warnings, []);
});

test('actors that finish before the warm-up ends raise warmup_not_reached', async () => {
  const r = await runSpec({ workload: 'selftest-guest-memfd', sets: ['actors.punch-refill.ops=5', 'host.memory=256MiB', 'warmup=1s'], replication: 0 });
  const doc = JSON.parse(r.metricsJson) as { warnings: Array<{ kind: string; message: string }> };
  assert.equal(doc.warnings.length, 1);
  assert.equal(doc.warnings[0].kind, 'warmup_not_reached');
  assert.match(doc.warnings[0].message, /before the warm-up of 1\.00s ended/);
});
