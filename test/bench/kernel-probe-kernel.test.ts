// The probe and the sequence executor against this host's kernel: shmem wherever there is a C
// compiler on Linux, guest_memfd and the guest where /dev/kvm works (skipped with the reason
// elsewhere). Structure only (which ops fail with which errno, which rows exist): never timings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { platform } from 'node:os';
import type { KernelSequence } from '../../sim/calibrate/types.js';
import { kernelSupport, runSequenceOnKernel, runSequenceReps } from '../../bench/kernel-probe/sequence-run.js';
import { runCalibrationProbe } from '../../bench/kernel-probe/calibrate-run.js';
import { fitProfile } from '../../sim/calibrate/fit-profile.js';
import { defaultProfile } from '../../sim/costs/index.js';

function noCompiler(): string | false {
  if (platform() !== 'linux') return 'the probes measure the Linux kernel';
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'no C compiler (cc) to build the probes';
  }
}
const ccSkip = noCompiler();
const support = ccSkip ? { guest_memfd: false, why: ccSkip } : await kernelSupport();
const gmemSkip = support.guest_memfd ? false : support.why!;

test('seq-exec on shmem: per-op times for every rep, EINVAL for an empty range', { skip: ccSkip }, async () => {
  const seq: KernelSequence = {
    name: 'shmem mixed',
    description: '',
    files: [{ backend: 'shmem', size_bytes: 8 << 20 }],
    setup: [{ op: 'allocate', file: 0, offset: 0, len: 4 << 20 }],
    ops: [
      { op: 'punch', file: 0, offset: 0, len: 2 << 20 },
      { op: 'allocate', file: 0, offset: 4 << 20, len: 64 << 10 },
      { op: 'punch', file: 0, offset: 4096, len: 0 },
      { op: 'punch', file: 0, offset: 2 << 20, len: 4096, thread: 1 },
    ],
  };
  const reps = await runSequenceReps(seq, { reps: 3 });
  assert.deepEqual(reps.map((r) => r.rep), [0, 1, 2]);
  for (const r of reps) {
    assert.deepEqual(r.op_errors, [null, null, 'EINVAL', null]);
    assert.equal(r.op_ns[2], -1);
    for (const i of [0, 1, 3]) assert.ok(r.op_ns[i]! > 0);
    assert.ok(r.wall_ns >= Math.max(...r.op_ns));
  }
  const m = await runSequenceOnKernel(seq, { reps: 3 });
  assert.equal(m.name, 'shmem mixed');
  assert.equal(m.op_ns.length, 4);
  assert.deepEqual(m.op_errors, [null, null, 'EINVAL', null]);
});

test('seq-exec on guest_memfd: a bound file, punches, and the guest touching it from a second thread', { skip: gmemSkip }, async () => {
  const seq: KernelSequence = {
    name: 'guest faults beside punches',
    description: '',
    files: [{ backend: 'guest_memfd', size_bytes: 16 << 20, bound: true }, { backend: 'guest_memfd', size_bytes: 4 << 20 }],
    setup: [{ op: 'allocate', file: 0, offset: 0, len: 8 << 20 }, { op: 'guest_touch', file: 0, offset: 0, len: 64 << 10 }],
    ops: [
      { op: 'punch', file: 0, offset: 0, len: 2 << 20 },
      { op: 'guest_touch', file: 0, offset: 8 << 20, len: 1 << 20, thread: 1 },
      { op: 'allocate', file: 1, offset: 0, len: 2 << 20 },
      // guest_memfd (unlike shmem) refuses a range that is not page-aligned.
      { op: 'punch', file: 1, offset: 4097, len: 4096 },
    ],
  };
  const m = await runSequenceOnKernel(seq, { reps: 2 });
  assert.deepEqual(m.op_errors.slice(0, 3), [null, null, null]);
  assert.ok(m.op_ns.slice(0, 3).every((x) => x > 0));
  assert.equal(m.op_errors[3], 'EINVAL');
  assert.equal(m.op_ns[3], -1);
});

test('the calibration probe reports what this host offers (caps only)', { skip: ccSkip }, async () => {
  const rec = await runCalibrationProbe({ sections: [], twoPunchers: false });
  assert.equal(rec.schema, 'rmsim.probe/1');
  assert.deepEqual(rec.rows, []);
  assert.equal(rec.host.guest_memfd, support.guest_memfd);
  if (!rec.host.guest_memfd) assert.ok(rec.skipped.length > 0, 'a host without guest_memfd says why');
  assert.match(rec.command, /calibrate-probe .*--only/);
});

test('the calibration probe measures shmem rows with their samples (quick, one section)', { skip: ccSkip }, async () => {
  const seen: [number, number, string][] = [];
  const rec = await runCalibrationProbe({ quick: true, sections: ['shmem'], twoPunchers: false, onProgress: (done, total, what) => seen.push([done, total, what]) });
  // One step per row (create steps make two rows each), counted up to the total announced from the start.
  const total = seen[0]![1];
  assert.deepEqual(seen.map((s) => s[0]), [...Array(total + 1).keys()]);
  assert.ok(seen.every((s) => s[1] === total));
  assert.equal(seen.at(-1)![2], 'done');
  assert.match(seen[0]![2], /^shmem: create/);
  assert.equal(rec.rows.length, total - 1 + 3, 'two create steps of two rows each');
  const states = new Set(rec.rows.filter((r) => r.probe === 'shmem.fallocate').map((r) => r.params.state));
  assert.deepEqual([...states].sort(), ['allocated', 'empty', 'partial', 'written']);
  assert.ok(rec.rows.every((r) => r.backend === 'shmem' && r.samples_ns.length >= 2));
});

test('the stride section: five rounds of interleaved forward-gap and jump punches per backend, which the cold-range fit reads', { skip: ccSkip || (!process.env.RMSIM_LONG && 'probes the kernel for about 10 s: set RMSIM_LONG=1') }, async () => {
  const rec = await runCalibrationProbe({ quick: true, sections: ['stride'], twoPunchers: false });
  const backends = support.guest_memfd ? ['guest_memfd', 'shmem'] : ['shmem'];
  for (const backend of backends) {
    for (const [size, patterns] of [[4096, ['g0', 'g8', 'g64', 'g256', 'g1024', 'jump']], [65536, ['g0', 'g64', 'g256', 'g1024', 'jump']]] as const) {
      for (const round of [0, 1, 2, 3, 4]) {
        const rows = rec.rows.filter((r) => r.backend === backend && r.params.size_bytes === size && r.params.round === round);
        assert.deepEqual(rows.map((r) => (r.params.order === 'jump' ? 'jump' : `g${r.params.gap_pages}`)), [...patterns], `${backend} ${size} round ${round}`);
        assert.ok(rows.every((r) => r.samples_ns.length >= 200 && r.samples_ns.length === rows[0].samples_ns.length), 'as many punches of every pattern, taken in turn');
      }
    }
  }
  const fit = fitProfile(rec, defaultProfile().file);
  const cold = fit.profile.costs[`${backends[0] === 'shmem' ? 'shmem' : 'gmem'}.cold_range_punch_fixed_ns`].fit;
  assert.ok(cold?.status === 'fitted' && cold.rounds?.length === 5, 'fitted from the five rounds');
});
