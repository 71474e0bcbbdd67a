import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, documentDigest, stableStringify } from '../../sim/output/canonical-json.js';
import { buildMetricsDocument, serializeMetricsDocument, verifyMetricsDigest } from '../../sim/output/metrics-document.js';
import { ChromeTraceWriter } from '../../sim/output/chrome-trace.js';
import { metricsToCsv } from '../../sim/output/csv.js';
import { writeFileAtomic } from '../../sim/output/atomic-write.js';
import { validateMetricsDocument, validateRunInfo } from '../../sim/output/validate-output.js';
import { buildRunInfo } from '../../sim/output/run-info.js';

const metrics = {
  'punch.latency_ns{size=2MiB}': { type: 'histogram', unit: 'ns', count: 2, mean: 15, p50: 10, p90: 20, p99: 20, p999: 20, min: 10, max: 20, sum: 30, buckets: [[10, 1], [20, 1]] },
  'fault.retries': { type: 'counter', value: 3 },
  'mmu_lock.queue_len': { type: 'gauge', mean: 0.5, max: 1, last: 0, series: [[0, 0], [5, 1], [10, 0]] },
};
const inputs = { workload: 'w', variant: 'v10', profile: 'p', seed: 1, replication: 0, simEndNs: 100, warmupNs: 0, metrics };

test('canonical JSON sorts keys at every level and keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, 1], c: null } }), '{"a":{"c":null,"d":[3,1]},"b":1}');
  assert.throws(() => canonicalJson({ x: NaN }), /non-finite/);
});

test('metrics.json: fixed top-level order, a digest anyone can recompute, sensitive to any change', () => {
  const doc = buildMetricsDocument(inputs);
  const text = serializeMetricsDocument(doc);
  assert.deepEqual(Object.keys(JSON.parse(text)), ['schema', 'workload', 'variant', 'profile', 'seed', 'replication', 'sim_end_ns', 'warmup_ns', 'metrics', 'digest']);
  assert.equal(doc.schema, 'rmsim.metrics/1');
  const parsed = JSON.parse(text) as Record<string, unknown>;
  assert.ok(verifyMetricsDigest(parsed));
  assert.equal(serializeMetricsDocument(buildMetricsDocument({ ...inputs, metrics: { ...metrics } })), text, 'same inputs, same bytes');
  const other = buildMetricsDocument({ ...inputs, seed: 2 });
  assert.notEqual(other.digest, doc.digest);
  (parsed.metrics as Record<string, { value: number }>)['fault.retries'].value = 4;
  assert.ok(!verifyMetricsDigest(parsed), 'an edited file no longer matches its digest');
  assert.equal(documentDigest({ a: 1, digest: 'x' }), documentDigest({ a: 1 }));
  assert.match(stableStringify({ a: [[1, 2], [3, 4]] }), /"a": \[\[1,2\],\[3,4\]\]/);
});

test('metrics.json and run.json validate against the shipped schemas, and the schemas reject bad ones', () => {
  const doc = buildMetricsDocument(inputs);
  assert.deepEqual(validateMetricsDocument(JSON.parse(serializeMetricsDocument(doc))), []);
  const bad = JSON.parse(serializeMetricsDocument(doc)) as Record<string, unknown>;
  (bad.metrics as Record<string, unknown>)['x'] = { type: 'histogram', count: 1 };
  assert.ok(validateMetricsDocument(bad).length > 0);
  const run = buildRunInfo({
    command: ['rmsim', 'run'], startedAt: new Date(0), wallNs: 1e9, simWallNs: 5e8, events: 10, workers: 1,
    workload: { name: 'w', source: 'builtin:w', sha256: 'a'.repeat(64) }, profile: { name: 'p', sha256: 'b'.repeat(64) },
    variant: 'v10', seed: 1, metricsDigest: doc.digest, outcome: 'ok', rmsimVersion: '0.1.0', fastpathImpl: 'wasm',
  });
  assert.deepEqual(validateRunInfo(run), []);
  assert.ok(validateRunInfo({ ...run, events: -1 }).length > 0);
});

test('trace-event JSON has the fields Perfetto\'s JSON importer requires', () => {
  const t = new ChromeTraceWriter();
  t.span('vm0/vcpu0', 'kvm_mmu_page_fault', 1000, 22400, { gfn: 5 });
  t.span('notifier_lock', 'hold', 1500, 2500);
  t.instant('vmm/punch0', 'punch_begin', 1200);
  t.counter('mmu_lock', 'queue_len', 3000, 2);
  const out = JSON.parse(t.serialize({ workload: 'w' })) as { traceEvents: Array<Record<string, unknown>>; displayTimeUnit: string };
  assert.ok(Array.isArray(out.traceEvents));
  for (const e of out.traceEvents) {
    for (const f of ['name', 'ph', 'ts', 'pid', 'tid']) assert.ok(f in e, `event lacks ${f}: ${JSON.stringify(e)}`);
    assert.equal(typeof e.ts, 'number');
    assert.ok(Number.isInteger(e.pid) && Number.isInteger(e.tid));
    assert.ok(['X', 'i', 'C', 'M', 'B', 'E'].includes(e.ph as string));
    if (e.ph === 'X') assert.equal(typeof e.dur, 'number');
  }
  const x = out.traceEvents.find((e) => e.name === 'kvm_mmu_page_fault')!;
  assert.equal(x.ts, 1); // microseconds
  assert.equal(x.dur, 21.4);
  const names = out.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => (e.args as { name: string }).name);
  assert.deepEqual(names, ['vm0/vcpu0', 'notifier_lock', 'vmm/punch0', 'mmu_lock']);
  const procs = out.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => (e.args as { name: string }).name);
  assert.deepEqual(procs, ['vm0', 'host'], 'tracks group by VM; the rest is host');
});

test('CSV: every distribution, bucket, series point and counter', () => {
  const csv = metricsToCsv(metrics);
  assert.equal(csv['distributions.csv'].trim().split('\n').length, 1 + 2);
  assert.equal(csv['buckets.csv'].trim().split('\n').length, 1 + 2);
  assert.equal(csv['series.csv'].trim().split('\n').length, 1 + 3);
  assert.match(csv['counters.csv'], /fault\.retries,,3/);
  assert.match(csv['distributions.csv'], /punch\.latency_ns,size=2MiB,ns,2,15,10,20,20,20,20/);
});

test('atomic writes leave the final file and no temporary behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-out-'));
  writeFileAtomic(join(dir, 'sub', 'a.json'), '{"x":1}\n');
  assert.equal(readFileSync(join(dir, 'sub', 'a.json'), 'utf8'), '{"x":1}\n');
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.json']);
});

test('trace slices nest on every track: overlapping ones move to an extra lane of their track', () => {
  const t = new ChromeTraceWriter();
  t.span('mmu_lock', 'read by vcpu0', 0, 1000);
  t.span('mmu_lock', 'spin vcpu1', 500, 1500); // overlaps without nesting (read holds would merge)
  t.span('mmu_lock', 'inner', 100, 200); // nests in the first
  t.span('mmu_lock', 'later', 2000, 3000);
  const out = JSON.parse(t.serialize()) as { traceEvents: Array<{ name: string; ph: string; ts: number; dur?: number; tid: number; args?: { name: string } }> };
  const names = new Map(out.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args!.name]));
  const tidOf = (n: string) => out.traceEvents.find((e) => e.name === n)!.tid;
  assert.equal(names.get(tidOf('read by vcpu0')), 'mmu_lock');
  assert.equal(names.get(tidOf('inner')), 'mmu_lock');
  assert.equal(names.get(tidOf('later')), 'mmu_lock');
  assert.equal(names.get(tidOf('spin vcpu1')), 'mmu_lock (2)');
  // Every pair of slices on one tid is disjoint or nested.
  const xs = out.traceEvents.filter((e) => e.ph === 'X');
  for (const a of xs) for (const b of xs) {
    if (a === b || a.tid !== b.tid) continue;
    const [a0, a1, b0, b1] = [a.ts, a.ts + a.dur!, b.ts, b.ts + b.dur!];
    assert.ok(a1 <= b0 || b1 <= a0 || (a0 <= b0 && b1 <= a1) || (b0 <= a0 && a1 <= b1), `${a.name} and ${b.name} cross`);
  }
});
