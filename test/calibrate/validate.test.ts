// Validation's arithmetic on fixed numbers, the suite's shape, and a whole run against an
// executor that is the simulator itself (every error 0) or without KVM (skipped with why).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../../sim/costs/index.js';
import { compareSequence, relativeError, runValidation, summarise } from '../../sim/calibrate/validate.js';
import { needsKvm, validationSuite } from '../../sim/calibrate/sequences.js';
import { simulateSequence } from '../../sim/calibrate/simulate-sequence.js';
import type { KernelSequence, SequenceMeasurement } from '../../sim/calibrate/types.js';

const seq: KernelSequence = {
  name: 's', description: '', files: [{ backend: 'shmem', size_bytes: 1 << 20 }], setup: [],
  ops: [
    { op: 'allocate', file: 0, offset: 0, len: 4096 },
    { op: 'punch', file: 0, offset: 0, len: 4096 },
    { op: 'punch', file: 0, offset: 4096, len: 4096 },
  ],
};
const m = (op_ns: number[], op_errors: (string | null)[] = op_ns.map(() => null)): SequenceMeasurement => ({ name: 's', op_ns, op_errors, wall_ns: 0 });

test('a sequence is judged on the sum of its ops; ops failed on either side leave both sums', () => {
  const c = compareSequence(seq, m([100, 200, 300]), m([110, 180, -1], [null, null, 'EINVAL']));
  assert.equal(c.measured_ns, 300);
  assert.equal(c.predicted_ns, 290);
  assert.equal(c.failed_ops, 1);
  assert.ok(Math.abs(c.error - -10 / 300) < 1e-12);
  assert.ok(Math.abs(c.per_op[0].error! - 0.1) < 1e-12);
  assert.equal(c.per_op[2].error, null);
  assert.equal(c.per_op[2].predicted_error, 'EINVAL');
});

test('score_ops restricts the figure to the named kinds', () => {
  const c = compareSequence({ ...seq, score_ops: ['punch'] }, m([1000, 200, 300]), m([5000, 250, 300]));
  assert.equal(c.measured_ns, 500);
  assert.equal(c.predicted_ns, 550);
  assert.throws(() => compareSequence(seq, m([1, 2]), m([1, 2, 3])), /3 ops, measured 2/);
  assert.throws(() => relativeError(1, 0), /nothing to compare/);
});

test('median and worst absolute error over sequences', () => {
  const mk = (name: string, error: number) => ({ name, description: '', ops: 1, failed_ops: 0, predicted_ns: 0, measured_ns: 0, error, per_op: [] });
  const v = summarise([mk('a', 0.05), mk('b', -0.3), mk('c', 0.1), mk('d', -0.02)]);
  assert.ok(Math.abs(v.median_abs_error! - 0.075) < 1e-12);
  assert.equal(v.worst_abs_error, 0.3);
  assert.equal(v.worst_sequence, 'b');
  assert.equal(summarise([]).median_abs_error, null);
});

test('the suite: at least 12 distinct sequences, two punchers at 4 KiB, 64 KiB and 2 MiB on both backends, a guest faulting', () => {
  const s = validationSuite();
  assert.ok(s.length >= 12);
  assert.equal(new Set(s.map((x) => x.name)).size, s.length);
  for (const b of ['gmem', 'shmem']) for (const size of ['4k', '64k', '2m']) assert.ok(s.some((x) => x.name === `${b}-two-punchers-${size}`), `${b} ${size}`);
  assert.ok(s.some((x) => x.ops.some((o) => o.op === 'guest_touch') && x.ops.some((o) => o.op === 'punch' && (o.thread ?? 0) !== 1)));
  for (const x of s) for (const o of [...x.setup, ...x.ops]) {
    assert.ok(o.offset % 4096 === 0 && o.len % 4096 === 0 && o.offset + o.len <= x.files[o.file].size_bytes, `${x.name}: op inside its file`);
  }
});

test('against the simulator as executor every error is 0; without KVM the guest_memfd sequences are skipped with why', async () => {
  const p = defaultProfile();
  const seqs = validationSuite().filter((s) => ['shmem-punch-4k-every-32k', 'gmem-punch-4k-every-32k', 'shmem-two-punchers-64k'].includes(s.name));
  assert.equal(seqs.length, 3);
  const self = (s: KernelSequence) => simulateSequence(s, p);
  const v = await runValidation(seqs, p, self, { reps: 1, kvm: true });
  assert.equal(v.sequences.length, 3);
  assert.equal(v.worst_abs_error, 0);
  const noKvm = await runValidation(seqs, p, self, { reps: 1, kvm: false, kvmWhy: '/dev/kvm is missing' });
  assert.deepEqual(noKvm.sequences.map((s) => s.name), ['shmem-punch-4k-every-32k', 'shmem-two-punchers-64k']);
  assert.deepEqual(noKvm.skipped, [{ what: 'gmem-punch-4k-every-32k', why: '/dev/kvm is missing' }]);
  assert.ok(needsKvm(seqs[0]) !== needsKvm(seqs[1]));
});

test('a slower kernel shows as a negative error of that size', async () => {
  const p = defaultProfile();
  const [s] = validationSuite().filter((x) => x.name === 'shmem-punch-64k-every-1024k');
  const slower = async (x: KernelSequence) => {
    const r = await simulateSequence(x, p);
    return { ...r, op_ns: r.op_ns.map((n) => n * 1.25) };
  };
  const v = await runValidation([s], p, slower, { reps: 1, kvm: false });
  assert.ok(Math.abs(v.sequences[0].error - (1 / 1.25 - 1)) < 1e-9);
});
