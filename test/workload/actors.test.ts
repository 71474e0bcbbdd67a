import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../sim/engine/index.js';
import { drawGap, drawOffset, drawSize, uniformInt } from '../../sim/actors/context.js';
import { parseFallocMode } from '../../sim/actors/replay.js';
import { median, summarizeBySizeClass, type ReplayCallResult } from '../../sim/actors/replay-report.js';
import { loadWorkloadText } from '../../sim/workload/load.js';
import { runWorkload } from '../../sim/run/runner.js';
import { UsageError } from '../../sim/errors.js';

const rng = () => new Simulation({ seed: 7 }).rng('test');

test('sizes come from the distribution: fixed, weighted choice, uniform multiples of step', () => {
  const s = rng();
  assert.equal(drawSize(s, { kind: 'fixed', bytes: 8192 }), 8192);
  const seen = new Map<number, number>();
  for (let i = 0; i < 4000; i++) {
    const v = drawSize(s, { kind: 'choice', values: [4096, 2097152], weights: [3, 1] });
    seen.set(v, (seen.get(v) ?? 0) + 1);
  }
  const small = seen.get(4096)! / 4000;
  assert.ok(small > 0.7 && small < 0.8, `weights 3:1 gave ${small}`);
  for (let i = 0; i < 1000; i++) {
    const v = drawSize(s, { kind: 'uniform', min: 4096, max: 65536, step: 4096 });
    assert.ok(v >= 4096 && v <= 65536 && v % 4096 === 0);
  }
});

test('offsets are aligned and keep the whole operation inside the range', () => {
  const s = rng();
  for (let i = 0; i < 2000; i++) {
    const off = drawOffset(s, 4096, 8 << 20, 2 << 20, 2 << 20);
    assert.equal(off % (2 << 20), 0);
    assert.ok(off >= 4096 && off + (2 << 20) <= 8 << 20);
  }
  assert.equal(drawOffset(s, 0, 4096, 8192, 4096), 0, 'an operation larger than the range starts at its start');
  for (let i = 0; i < 1000; i++) assert.ok(uniformInt(s, 3) < 3);
});

test('gaps are integer ns: exponential around the mean, or fixed', () => {
  const s = rng();
  let sum = 0;
  for (let i = 0; i < 5000; i++) {
    const g = drawGap(s, 1000, 'poisson');
    assert.ok(Number.isSafeInteger(g) && g >= 0);
    sum += g;
  }
  assert.ok(Math.abs(sum / 5000 - 1000) < 60, `mean ${sum / 5000}`);
  assert.equal(drawGap(s, 1000, 'fixed'), 1000);
  assert.equal(drawGap(s, undefined, 'poisson'), 0);
});

test('fallocate modes as strace prints them', () => {
  assert.equal(parseFallocMode('0'), 0);
  assert.equal(parseFallocMode('FALLOC_FL_KEEP_SIZE'), 1);
  assert.equal(parseFallocMode('FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE'), 3);
  assert.equal(parseFallocMode('0x3'), 3);
  assert.throws(() => parseFallocMode('FALLOC_FL_BOGUS'));
});

test('replay size classes: medians per (backend, op, length), failed calls left out, error relative to recorded', () => {
  const call = (len: number, rec: number, sim: number, result = '0'): ReplayCallResult =>
    ({ line: 1, file: 0, backend: 'shmem', op: 'punch', offset: 0, len, recorded_ns: rec, simulated_ns: sim, result });
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2);
  const s = summarizeBySizeClass([call(4096, 100, 50), call(4096, 300, 70), call(4096, 200, 60), call(2097152, 1000, 1500), call(4096, 1, 1, 'EINVAL'), { ...call(4096, 5, 0), simulated_result: 'EINVAL' }]);
  assert.deepEqual(s.map((c) => [c.size, c.count, c.recorded_median_ns, c.simulated_median_ns, c.error]), [
    ['4KiB', 3, 200, 60, -0.7],
    ['2MiB', 1, 1000, 1500, 0.5],
  ]);
});

test('a layout the kernel refuses is bad input with one line, not a crash', async () => {
  const w = loadWorkloadText('shared.yaml', 'duration: 1ms\nvariant: guest_memfd\nvms: {count: 2, memory: 8MiB, shared_file: true}', {}, '/');
  await assert.rejects(runWorkload({ workload: w }), (err: unknown) =>
    err instanceof UsageError && /setting up vm1 failed with EINVAL under variant guest_memfd \(vms\.shared_file/.test(err.message));
});

test('per_thread replay keeps the order the trace proves and overlaps only what overlapped', async () => {
  const { replayWorkload } = await import('../../sim/workload/replay-workload.js');
  const { fileURLToPath } = await import('node:url');
  const { join, dirname } = await import('node:path');
  const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'gmem_punch.strace');
  const run = async (concurrency: string) => {
    const w = replayWorkload(fixture, 'guest_memfd', undefined, { sets: [`actors.trace-replay.concurrency=${concurrency}`] });
    const out = await runWorkload({ workload: w });
    return out.replay!.calls;
  };
  const serial = await run('serial');
  const threaded = await run('per_thread');
  assert.deepEqual(threaded.map((c) => c.line), serial.map((c) => c.line), 'every call replayed once, reported in line order');
  // The main thread's calls (before the workers started) ran alone in the trace: same cost.
  const early = (cs: typeof serial) => cs.filter((c) => c.line < 40).map((c) => c.simulated_ns);
  assert.deepEqual(early(threaded), early(serial));
  // The two workers' calls overlapped in the trace; replayed at once, contention can only add.
  const sum = (cs: typeof serial) => cs.filter((c) => c.line >= 40).reduce((a, c) => a + c.simulated_ns, 0);
  assert.ok(sum(threaded) >= sum(serial), 'overlapping calls are no cheaper than alone');
});
