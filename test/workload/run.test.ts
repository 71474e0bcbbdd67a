import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listBuiltinWorkloads, loadWorkload } from '../../sim/workload/load.js';
import { runWorkload, variantFor } from '../../sim/run/runner.js';
import { serializeMetricsDocument, verifyMetricsDigest } from '../../sim/output/metrics-document.js';
import { validateMetricsDocument } from '../../sim/output/validate-output.js';
import { listVariants } from '../../sim/variants/index.js';
import { UsageError } from '../../sim/errors.js';
import { ChromeTraceWriter } from '../../sim/output/chrome-trace.js';
import { setsFor, SMALL } from './small-runs.js';

const builtins = listBuiltinWorkloads().map((b) => b.name);
const SEED_SENSITIVE = ['conversion-storm', 'balloon', 'memslot-churn', 'multi-vm-host', 'selftest-private-mem-conversions', 'intra-host-migration'];

test('every built-in has a scaled-down form for the default tests', () => {
  for (const n of builtins) assert.ok(SMALL[n], `add ${n} to test/workload/small-runs.ts`);
});

for (const name of builtins) {
  test(`${name}: runs under every variant it allows; metrics.json validates against the shipped schema`, async () => {
    let allowed = 0;
    const refused: string[] = [];
    for (const v of listVariants()) {
      const w = loadWorkload(name, { sets: setsFor(name), variant: v.name });
      try {
        variantFor(w);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        refused.push(v.name);
        continue;
      }
      const out = await runWorkload({ workload: w });
      const doc = JSON.parse(serializeMetricsDocument(out.metrics)) as Record<string, unknown>;
      assert.deepEqual(validateMetricsDocument(doc), [], `${name} under ${v.name}`);
      assert.ok(verifyMetricsDigest(doc));
      assert.equal(doc.variant, v.name);
      assert.ok(Object.keys(doc.metrics as object).length > 0, `${name} under ${v.name} recorded nothing`);
      allowed++;
    }
    assert.ok(allowed >= listVariants().length / 2, `${name} allows only ${allowed} variants (refused: ${refused.join(', ')})`);
    // The default variant is always allowed.
    assert.ok(!refused.includes('v10'), `${name} refuses v10`);
  });
}

for (const name of builtins) {
  test(`${name}: the same inputs give the same metrics.json bytes; another seed another digest`, async () => {
    const run = async (seed?: number) =>
      serializeMetricsDocument((await runWorkload({ workload: loadWorkload(name, { sets: setsFor(name), seed }) })).metrics);
    const a = await run();
    const b = await run();
    assert.equal(a, b);
    const c = await run(12345);
    const parse = (s: string) => JSON.parse(s) as { digest: string; metrics: unknown };
    assert.notEqual(parse(c).digest, parse(a).digest, `${name}: seed 12345 gave the same digest as seed 1`);
    // Where the workload draws random numbers that reach a metric, the metrics themselves
    // differ too (vm-boot touches pages in order; the selftest's and memory-failure's draws
    // pick among equal-cost choices, so their metrics may legitimately coincide).
    if (SEED_SENSITIVE.includes(name)) assert.notDeepEqual(parse(c).metrics, parse(a).metrics, `${name}: the seed changed nothing`);
  });
}

test('the scenario does what the workload says: vm-boot faults every page once, balloon punches 2MiB chunks in batches', async () => {
  const boot = await runWorkload({ workload: loadWorkload('vm-boot', { sets: ['vms.memory=4MiB', 'host.memory=256MiB', 'vms.vcpus=2'] }) });
  const m = boot.metrics.metrics as Record<string, { count?: number; value?: number }>;
  assert.equal(m['fault.latency_ns'].count, 1024, 'one fault per 4 KiB page of 4 MiB');
  assert.equal(m['memory.allocated_bytes'].value, 4 * 1024 * 1024);
  const balloon = await runWorkload({ workload: loadWorkload('balloon', { sets: ['duration=12ms', 'host.memory=512MiB', 'vms.memory=32MiB'] }) });
  const b = balloon.metrics.metrics as Record<string, { count?: number }>;
  const punches = b['punch.latency_ns{size=2MiB}']?.count ?? 0;
  assert.ok(punches > 0 && punches % 32 === 0, `balloon punches come in batches of 32, got ${punches}`);
});

test('the tracer gets one track per vCPU, VMM thread and lock, in trace-event form', async () => {
  const tracer = new ChromeTraceWriter();
  await runWorkload({ workload: loadWorkload('memslot-churn', { sets: ['duration=1ms', 'host.memory=512MiB'] }), tracer });
  const out = JSON.parse(tracer.serialize()) as { traceEvents: Array<{ name: string; ph: string; args?: { name?: string } }> };
  const tracks = out.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name!);
  assert.ok(tracks.some((t) => /^vm0\/vcpu\d$/.test(t)), `no vCPU track in ${tracks.join(', ')}`);
  assert.ok(tracks.some((t) => /^vm0-vmm\/discard\d$/.test(t)), `no VMM thread track in ${tracks.join(', ')}`);
  assert.ok(tracks.some((t) => /mmu_lock/.test(t)), `no lock track in ${tracks.join(', ')}`);
  assert.ok(out.traceEvents.some((e) => e.ph === 'X'), 'no spans');
});

test('cost overrides (--set costs.<area>.<name>, costs.lock.<name>) reach the model and change what it charges', async () => {
  const sets = setsFor('memslot-churn');
  const metrics = async (extra: string[]) => {
    const w = loadWorkload('memslot-churn', { sets: [...sets, ...extra] });
    return { w, m: (await runWorkload({ workload: w })).metrics };
  };
  const base = await metrics([]);
  const slower = await metrics(['costs.shmem.truncate_page_ns=5000', 'costs.lock.tick_resched_ppm=200000']);
  assert.deepEqual(slower.w.costOverrides, { 'shmem.truncate_page_ns': 5000, 'lock.tick_resched_ppm': 200000 });
  assert.deepEqual(base.w.costOverrides, {});
  const p99 = (m: typeof base.m) => {
    const fam = Object.entries(m.metrics).filter(([k]) => k.startsWith('punch.latency_ns'));
    assert.ok(fam.length > 0, 'memslot-churn punches');
    return Math.max(...fam.map(([, v]) => (v as { max: number }).max));
  };
  assert.ok(p99(slower.m) > p99(base.m), `punches cost more with a dearer truncate: ${p99(slower.m)} vs ${p99(base.m)}`);
});
