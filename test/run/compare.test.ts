// Done-when of compare (issue 14): a planted 5% cost difference is found at p < 0.05 with 10
// replications, and two variants that are the same design are `~` on every row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSides } from '../../sim/run/compare-runs.js';
import { compareSides, sideOf } from '../../sim/run/compare.js';
import { compareTable, verdict } from '../../sim/output/compare-table.js';
import { plantedProfile, shippedProfileName } from './planted-profile.js';

const base = { workload: 'conversion-storm', sets: ['duration=2ms', 'host.memory=512MiB'], seed: 11 };

test('a profile with every cost 5% higher is found at p < 0.05 with 10 replications', async () => {
  const planted = plantedProfile(1.05, 'planted-5pct');
  const docs = await runSides([
    { label: 'shipped', spec: { ...base, profile: shippedProfileName() } },
    { label: 'planted', spec: { ...base, profile: planted } },
  ], 10, { workers: 2 });
  const doc = compareSides(docs.map((d) => sideOf(d.label, d.doc)));
  const row = doc.rows.find((r) => r.metric === 'fault.latency_ns' && r.stat === 'mean');
  assert.ok(row, 'fault.latency_ns mean is compared');
  assert.equal(row.paired, true);
  assert.equal(row.a.n, 10);
  assert.ok(row.p !== null && row.p < 0.05, `p = ${row.p}`);
  assert.equal(row.significant, true);
  assert.ok(row.delta! > 0.03 && row.delta! < 0.07, `delta ${row.delta}`);
  assert.match(verdict(row), /^\+\d\.\d% ± \d+\.\d% \(p=0\.\d{3} n=10\)$/);
  // The median fault, a fixed sum of costs, moves by the planted 5% itself.
  const p50 = doc.rows.find((r) => r.metric === 'fault.latency_ns' && r.stat === 'p50');
  assert.ok(p50 && p50.significant && Math.abs(p50.delta! - 0.05) < 0.01, `p50 delta ${p50?.delta}`);
});

test('two names for the same design are ~ on every row', async () => {
  const docs = await runSides([
    { label: 'v10', spec: { ...base, variant: 'v10' } },
    { label: 'v10+thp-never', spec: { ...base, variant: 'v10+thp-never' } },
  ], 4, { workers: 2 });
  const doc = compareSides(docs.map((d) => sideOf(d.label, d.doc)));
  assert.ok(doc.rows.length > 10);
  for (const r of doc.rows) {
    assert.equal(r.significant, false, `${r.metric} ${r.stat}`);
    assert.equal(r.p, 1);
    assert.match(verdict(r), /^~ /);
  }
  assert.match(compareTable(doc), /paired by replication/);
});
