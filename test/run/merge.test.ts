import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../sim/errors.js';
import { parseAxes } from '../../sim/run/grid.js';
import { parseSlo } from '../../sim/run/knee.js';
import { mergeShards } from '../../sim/run/merge.js';
import { buildSweepDocument, serializeSweepDocument } from '../../sim/run/sweep-aggregate.js';
import { planHeader, planSweep, shardRuns, type SweepPlan } from '../../sim/run/sweep-plan.js';
import { buildShardFile, serializeShardFile } from '../../sim/run/sweep-shard.js';
import { fakeRun } from './sweep-fixtures.js';

function shardTexts(plan: SweepPlan, n: number): Array<{ source: string; text: string }> {
  return Array.from({ length: n }, (_, k) => {
    const shard = { index: k + 1, count: n };
    const runs = shardRuns(plan, shard).map((r) => ({ run: r.index, metrics: fakeRun(plan, r.index) }));
    return { source: `shard${k + 1}`, text: serializeShardFile(buildShardFile(planHeader(plan), plan.fingerprint, shard, plan.runs.length, runs)) };
  });
}

const plan = planSweep({ workload: 'balloon', sets: [], axes: parseAxes(['vms.count=1,2,4,8']), variants: ['v10', 'notifier-rwsem'], replications: 3, slo: parseSlo('fault.latency_ns.p99<=50us') });

test('shards in any order merge to the bytes of the unsharded sweep.json', () => {
  const whole = serializeSweepDocument(buildSweepDocument(planHeader(plan), plan.fingerprint, plan.runs.map((r) => fakeRun(plan, r.index))));
  for (const n of [1, 2, 3, 5, 24, 30]) {
    const texts = shardTexts(plan, n);
    assert.equal(serializeSweepDocument(mergeShards(texts)), whole, `${n} shards`);
    assert.equal(serializeSweepDocument(mergeShards([...texts].reverse())), whole, `${n} shards reversed`);
  }
  const doc = JSON.parse(whole) as { knees: Array<{ variant: string; knee: unknown; next: unknown; next_reason: string }>; points: unknown[] };
  assert.equal(doc.points.length, 8);
  // p99 = 20us x VMs: 1 and 2 meet 50us, 4 misses it; 8 would be saturated.
  assert.deepEqual(doc.knees.map((k) => [k.variant, k.knee, k.next, k.next_reason]), [['v10', 2, 4, 'slo'], ['notifier-rwsem', 2, 4, 'slo']]);
  assert.ok(!whole.includes('shard'), 'nothing about shards in sweep.json');
});

test('merge refuses another grid, a missing or repeated shard, an edited header', () => {
  const texts = shardTexts(plan, 3);
  const other = planSweep({ workload: 'balloon', sets: [], axes: parseAxes(['vms.count=1,2,4']), variants: ['v10'], replications: 3 });
  const expectUsage = (inputs: Array<{ source: string; text: string }>, re: RegExp) =>
    assert.throws(() => mergeShards(inputs), (e: unknown) => e instanceof UsageError && re.test(e.message));
  expectUsage([texts[0], texts[1]], /missing shard 3\/3/);
  expectUsage([texts[0], texts[1], texts[1]], /given twice/);
  expectUsage([texts[0], texts[1], shardTexts(other, 3)[2]], /another sweep/);
  expectUsage([texts[0], texts[1], { source: 'x', text: texts[2].text.replace('"replications": 3', '"replications": 2') }], /does not hash to its fingerprint/);
  expectUsage([{ source: 'x', text: '{' }], /does not parse/);
  expectUsage([{ source: 'x', text: '{"schema":"rmsim.metrics/1"}' }], /expected a sweep shard/);
  expectUsage([], /at least one/);
  const truncated = JSON.parse(texts[2].text) as { runs: unknown[] };
  truncated.runs.pop();
  expectUsage([texts[0], texts[1], { source: 'x', text: JSON.stringify(truncated) }], /in no shard/);
});
