// Replications pool exactly through their histogram buckets, keep each replication's
// statistics for pairing, and validate against the shipped metrics schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runReplications } from '../../sim/run/replications.js';
import { validateMetricsDocument } from '../../sim/output/validate-output.js';
import type { HistogramSnapshot } from '../../sim/engine/index.js';

const base = { workload: 'conversion-storm', sets: ['duration=2ms', 'host.memory=512MiB'], seed: 7 };

test('pooled distributions are the distributions of every sample of every replication', async () => {
  const { doc, results } = await runReplications(base, 3, { workers: 1 });
  assert.deepEqual(validateMetricsDocument(doc), []);
  const reps = results.map((r) => JSON.parse(r.metricsJson) as { digest: string; metrics: Record<string, HistogramSnapshot> });
  assert.equal(doc.replications?.length, 3);
  const hists = Object.entries(doc.metrics).filter(([, m]) => (m as HistogramSnapshot).type === 'histogram' && (m as HistogramSnapshot).count > 0);
  assert.ok(hists.length > 0, 'the run records distributions');
  for (const [key, m] of hists) {
    const pooled = m as HistogramSnapshot;
    const parts = reps.map((r) => r.metrics[key]).filter(Boolean);
    assert.equal(pooled.count, parts.reduce((a, p) => a + p.count, 0), key);
    assert.equal(pooled.max, Math.max(...parts.map((p) => p.max)), key);
    // Bucket counts add: the pooled buckets are the sum of the replications' buckets.
    const sum = new Map<number, number>();
    for (const p of parts) for (const [lo, n] of p.buckets) sum.set(lo, (sum.get(lo) ?? 0) + n);
    assert.deepEqual(pooled.buckets, [...sum.entries()].sort((a, b) => a[0] - b[0]), key);
    // The pooled p50 lies in the bucket holding the ceil(count/2)-th smallest pooled sample.
    let acc = 0;
    const rank = Math.ceil(0.5 * pooled.count);
    const bucket = pooled.buckets.find(([, n]) => (acc += n) >= rank)!;
    assert.ok(pooled.p50 >= Math.min(bucket[0], pooled.max) && pooled.p50 <= pooled.max, key);
  }
  doc.replications!.forEach((r, i) => {
    const rr = r as { replication: number; digest: string; stats: Record<string, Record<string, number>> };
    assert.equal(rr.replication, i);
    assert.equal(rr.digest, reps[i].digest);
    for (const [key] of hists) {
      if (reps[i].metrics[key]) assert.equal(rr.stats[key].p99, reps[i].metrics[key].p99);
    }
  });
});

test('one replication is the run itself', async () => {
  const { doc, results } = await runReplications(base, 1, { workers: 1 });
  assert.equal(doc.digest, (JSON.parse(results[0].metricsJson) as { digest: string }).digest);
  assert.equal(doc.replications, undefined);
});
