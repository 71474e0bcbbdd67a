// The sequence executor's TS side: the line format seq-exec.c reads, and the reduction of its
// repetitions to one SequenceMeasurement. No kernel needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KernelSequence } from '../../sim/calibrate/types.js';
import { reduceSequenceReps, sequenceNeedsGuestMemfd, sequenceToExecInput } from '../../bench/kernel-probe/sequence-run.js';

const seq: KernelSequence = {
  name: 'punch while the guest faults',
  description: 'two threads',
  files: [
    { backend: 'guest_memfd', size_bytes: 64 << 20, bound: true },
    { backend: 'shmem', size_bytes: 2 << 20 },
  ],
  setup: [{ op: 'allocate', file: 0, offset: 0, len: 32 << 20 }],
  ops: [
    { op: 'punch', file: 0, offset: 0, len: 2 << 20 },
    { op: 'guest_touch', file: 0, offset: 32 << 20, len: 4 << 20, thread: 1 },
    { op: 'allocate', file: 1, offset: 4096, len: 8192, thread: 0 },
  ],
};

test("sequenceToExecInput writes seq-exec's line format: files, setup, then ops with their thread", () => {
  assert.equal(
    sequenceToExecInput(seq, { reps: 7 }),
    [
      '# punch while the guest faults',
      'reps 7',
      'warmup 1',
      'file gmem 67108864 1',
      'file shmem 2097152 0',
      'setup allocate 0 0 33554432',
      'op 0 punch 0 0 2097152',
      'op 1 guest_touch 0 33554432 4194304',
      'op 0 allocate 1 4096 8192',
      '',
    ].join('\n'),
  );
  assert.match(sequenceToExecInput(seq, { reps: 1, warmup: 0 }), /^warmup 0$/m);
});

test('sequenceToExecInput refuses what seq-exec cannot run, naming the op', () => {
  const touchShmem: KernelSequence = { ...seq, ops: [{ op: 'guest_touch', file: 1, offset: 0, len: 4096 }] };
  assert.throws(() => sequenceToExecInput(touchShmem, { reps: 1 }), /op 0 is a guest_touch of file 1, which is not a bound guest_memfd/);
  const unbound: KernelSequence = { ...seq, files: [{ backend: 'guest_memfd', size_bytes: 1 << 20 }], setup: [], ops: [{ op: 'guest_touch', file: 0, offset: 0, len: 4096 }] };
  assert.throws(() => sequenceToExecInput(unbound, { reps: 1 }), /not a bound guest_memfd/);
  assert.throws(() => sequenceToExecInput({ ...seq, setup: [{ op: 'punch', file: 5, offset: 0, len: 4096 }] }, { reps: 1 }), /setup op 0 uses file 5/);
  assert.throws(() => sequenceToExecInput({ ...seq, ops: [{ op: 'punch', file: 0, offset: 0, len: 4096, thread: 16 }] }, { reps: 1 }), /thread 16/);
  assert.throws(() => sequenceToExecInput(seq, { reps: 0 }), /reps/);
  assert.throws(() => sequenceToExecInput({ ...seq, files: [] }, { reps: 1 }), /no files/);
});

test('reduceSequenceReps: per op the median over repetitions; a failure in any repetition marks the op', () => {
  const m = reduceSequenceReps('s', [
    { rep: 0, wall_ns: 100, op_ns: [10, 5, -1], op_errors: [null, null, 'EINVAL'] },
    { rep: 1, wall_ns: 300, op_ns: [30, 7, -1], op_errors: [null, null, 'EINVAL'] },
    { rep: 2, wall_ns: 200, op_ns: [20, 1000, 9], op_errors: [null, null, null] },
    { rep: 3, wall_ns: 400, op_ns: [40, 6, -1], op_errors: [null, null, 'EINVAL'] },
  ]);
  assert.deepEqual(m, { name: 's', op_ns: [25, 6.5, -1], op_errors: [null, null, 'EINVAL'], wall_ns: 250, reps_op_ns: [[10, 5, -1], [30, 7, -1], [20, 1000, 9], [40, 6, -1]] });
  assert.throws(() => reduceSequenceReps('s', []), /no repetitions/);
});

test('sequenceNeedsGuestMemfd: any guest_memfd file', () => {
  assert.equal(sequenceNeedsGuestMemfd(seq), true);
  assert.equal(sequenceNeedsGuestMemfd({ ...seq, files: [{ backend: 'shmem', size_bytes: 4096 }] }), false);
});
