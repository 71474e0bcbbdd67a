// Calibration and validation in one run (sim/calibrate/interleaved.ts): the rounds' order, the
// pooling of probe rows and of sequence repetitions, and the spread validation reports next to
// each error. No kernel: the probe and the executor are stand-ins that record what they were asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poolRecordings, pooledExecutor, runInterleaved } from '../../sim/calibrate/interleaved.js';
import { figureInterval, poolMeasurements, reduceRepetitions, repetitionSpread } from '../../sim/calibrate/repetitions.js';
import { compareSequence, recordedExecutor, repCi, repRange, runValidation, summarise } from '../../sim/calibrate/validate.js';
import { defaultProfile } from '../../sim/costs/index.js';
import type { KernelSequence, ProbeRecording, ProbeRow } from '../../sim/calibrate/types.js';

const host: ProbeRecording['host'] = { cpu_model: 'cpu', kernel: '6.18', nested: true, date: '2026-12-04T00:00:00.000Z', online_cpus: 2, kvm: true, guest_memfd: true, shmem_enabled: 'never' };
const row = (probe: string, params: ProbeRow['params'], samples_ns: number[], extra: Partial<ProbeRow> = {}): ProbeRow => ({ probe, backend: 'shmem', params, samples_ns, ...extra });
const rec = (rows: ProbeRow[], skipped: ProbeRecording['skipped'] = []): ProbeRecording => ({ schema: 'rmsim.probe/1', host, command: 'probe', rows, skipped });

const shmemSeq: KernelSequence = { name: 'sh', description: '', files: [{ backend: 'shmem', size_bytes: 1 << 20 }], setup: [], ops: [{ op: 'punch', file: 0, offset: 0, len: 4096 }, { op: 'punch', file: 0, offset: 8192, len: 4096 }] };
const gmemSeq: KernelSequence = { ...shmemSeq, name: 'gm', files: [{ backend: 'guest_memfd', size_bytes: 1 << 20 }] };

test('pooled recording: one row per quantity with every round\'s samples; two-puncher passes stay apart, marked with their round', () => {
  const pooled = poolRecordings([
    rec([row('shmem.punch', { size_bytes: 4096, state: 'empty', reps: 2 }, [10, 11]), row('two_punchers', { size_bytes: 4096, threads: 2, pass: 1 }, [5])], [{ what: 'thp', why: 'not root' }]),
    rec([row('shmem.punch', { state: 'empty', size_bytes: 4096, reps: 1 }, [12]), row('shmem.punch', { size_bytes: 4096, state: 'populated' }, [20]), row('two_punchers', { size_bytes: 4096, threads: 2, pass: 1 }, [6])], [{ what: 'thp', why: 'not root' }]),
  ], 'rmsim validate --calibrate');
  const empty = pooled.rows.filter((r) => r.probe === 'shmem.punch' && r.params.state === 'empty');
  assert.equal(empty.length, 1);
  assert.deepEqual(empty[0].samples_ns, [10, 11, 12]);
  assert.equal(empty[0].params.reps, 3);
  assert.deepEqual(pooled.rows.filter((r) => r.probe === 'two_punchers').map((r) => [r.params.round, r.samples_ns[0]]), [[1, 5], [2, 6]]);
  assert.equal(pooled.rows.length, 4);
  assert.deepEqual(pooled.skipped, [{ what: 'thp', why: 'not root' }]);
  assert.equal(pooled.command, 'rmsim validate --calibrate');
  assert.throws(() => poolRecordings([], 'x'), /no probe recordings/);
});

test('rounds: a probe pass, then every sequence, each round; without KVM the guest_memfd sequences are not run', async () => {
  const steps: string[] = [];
  let n = 0;
  const run = await runInterleaved([shmemSeq, gmemSeq], {
    probe: async (round) => {
      steps.push(`probe ${round}`);
      return rec([row('shmem.punch', { size_bytes: 4096, state: 'empty' }, [100 + round])]);
    },
    execute: async (seq, o) => {
      steps.push(`${seq.name} x${o.reps}`);
      const reps = Array.from({ length: o.reps }, () => ({ op_ns: [1000 + n, 2000 + n++], op_errors: [null, null], wall_ns: 0 }));
      return reduceRepetitions(seq.name, reps);
    },
  }, { rounds: 3, repsPerRound: 2, kvm: false, command: 'c' });
  assert.deepEqual(steps, ['probe 0', 'sh x2', 'probe 1', 'sh x2', 'probe 2', 'sh x2']);
  assert.deepEqual(run.recording.rows[0].samples_ns, [100, 101, 102]);
  assert.deepEqual(run.rounds.round_starts, [0, 1, 2], 'the rounds kept apart for the fit, round by round');
  const m = run.measured.get('sh')!;
  assert.equal(m.reps_op_ns!.length, 6);
  assert.deepEqual(m.op_ns, [1002.5, 2002.5]);
  assert.equal(run.measured.has('gm'), false);
  assert.deepEqual(await pooledExecutor(run)(shmemSeq, { reps: 6 }), m);
  await assert.rejects(pooledExecutor(run)(gmemSeq, { reps: 6 }), /not run in the rounds/);
  await assert.rejects(runInterleaved([], { probe: async () => rec([]), execute: async () => m }, { rounds: 0, repsPerRound: 1, kvm: true, command: 'c' }), /rounds must be a positive integer/);
});

test('repetitions: per op the median, a failure in any repetition marks the op, pooling reduces over every repetition', () => {
  const a = reduceRepetitions('s', [{ op_ns: [10, 50], op_errors: [null, null], wall_ns: 60 }, { op_ns: [30, 70], op_errors: [null, 'EINVAL'], wall_ns: 100 }]);
  assert.deepEqual(a.op_ns, [20, -1]);
  assert.deepEqual(a.op_errors, [null, 'EINVAL']);
  assert.equal(a.wall_ns, 80);
  const b = reduceRepetitions('s', [{ op_ns: [90, 10], op_errors: [null, null], wall_ns: 0 }]);
  assert.deepEqual(poolMeasurements('s', [b, { ...b, reps_op_ns: undefined, op_ns: [40, 20] }]).op_ns, [65, 15]);
  assert.throws(() => reduceRepetitions('s', []), /no repetitions/);
  assert.throws(() => reduceRepetitions('s', [{ op_ns: [1], op_errors: [null], wall_ns: 0 }, { op_ns: [1, 2], op_errors: [null, null], wall_ns: 0 }]), /different lengths/);
});

test('the spread of the repetitions\' totals counts the scored ops only, and is what validation reports as the noise floor', () => {
  const measured = reduceRepetitions('sh', [
    { op_ns: [100, 200], op_errors: [null, null], wall_ns: 0 },
    { op_ns: [140, 260], op_errors: [null, null], wall_ns: 0 },
    { op_ns: [120, 240], op_errors: [null, null], wall_ns: 0 },
  ]);
  const { ci_low_ns, ci_high_ns, ...all } = repetitionSpread(measured, () => true)!;
  assert.deepEqual(all, { reps: 3, median_ns: 360, min_ns: 300, max_ns: 400 });
  assert.ok(ci_low_ns! >= 300 && ci_low_ns! < 360 && ci_high_ns! > 360 && ci_high_ns! <= 400, `${ci_low_ns}..${ci_high_ns}`);
  const { ci_low_ns: _l, ci_high_ns: _h, ...first } = repetitionSpread(measured, (i) => i === 0)!;
  assert.deepEqual(first, { reps: 3, median_ns: 120, min_ns: 100, max_ns: 140 });
  const c = compareSequence(shmemSeq, measured, { name: 'sh', op_ns: [120, 240], op_errors: [null, null], wall_ns: 0 });
  assert.equal(c.measured_ns, 360);
  assert.deepEqual(c.measured_reps, { ...all, ci_low_ns, ci_high_ns });
  assert.equal(repCi(c), (ci_high_ns! - ci_low_ns!) / 360);
  const v = summarise([c, { ...c, name: 'x', measured_reps: { reps: 3, median_ns: 360, min_ns: 360, max_ns: 396 } }]);
  assert.ok(Math.abs(v.median_rep_range! - (100 / 360 + 36 / 360) / 2) < 1e-12);
  assert.equal(v.median_rep_ci, repCi(c), 'a spread recorded without its interval counts for the range only');
  assert.equal(summarise([{ ...c, measured_reps: undefined }]).median_rep_range, null);
  assert.equal(summarise([{ ...c, measured_reps: undefined }]).median_rep_ci, null);
  // Under load every repetition's total holds an op that lost its CPU, and the sum of per-op medians lies below them all: the range is about the totals' median.
  assert.equal(repRange({ measured_reps: { reps: 3, median_ns: 200, min_ns: 150, max_ns: 250 } }), 0.5);
});

test('a validation.json read back (--measured) keeps the recorded spread', async () => {
  const measured = reduceRepetitions('sh', [{ op_ns: [100, 200], op_errors: [null, null], wall_ns: 0 }, { op_ns: [140, 260], op_errors: [null, null], wall_ns: 0 }]);
  const c = compareSequence(shmemSeq, measured, measured);
  const again = await recordedExecutor({ sequences: [JSON.parse(JSON.stringify(c))] }, 'v.json')(shmemSeq, { reps: 1 });
  assert.deepEqual(compareSequence(shmemSeq, again, measured).measured_reps, c.measured_reps);
});

test('the figure\'s interval: narrow when one repetition of twelve is slow throughout, wide when the repetitions disagree op by op', () => {
  const steady = Array.from({ length: 12 }, (_, k) => [100 + (k % 3), 200 - (k % 2)]);
  steady[5] = [140, 280]; // a slow spell: every op of one repetition 1.4x
  const ci = figureInterval(steady, () => true)!;
  assert.ok(ci.low >= 298 && ci.high <= 303, `${ci.low}..${ci.high}`);
  // Waits at a different op in each repetition: the per-op medians, and so the figure, move with the draw.
  const waits = Array.from({ length: 12 }, (_, k) => [0, 1, 2].map((i) => (i === k % 3 ? 1000 : 100)));
  const w = figureInterval(waits, () => true)!;
  assert.ok(w.low <= 300 && w.high >= 750, `${w.low}..${w.high}`);
  assert.deepEqual(figureInterval(steady, (i) => i === 1), figureInterval(steady.map((r) => [0, r[1]]), (i) => i === 1));
  assert.equal(figureInterval([[1, 2]], () => true), undefined);
  assert.deepEqual(figureInterval(steady, () => true), ci, 'the same draw every time');
});

test('validation in rounds: each round runs every sequence with its share of the repetitions, pooled per sequence', async () => {
  const asked: string[] = [];
  let n = 0;
  const execute = async (seq: KernelSequence, o: { reps: number }) => {
    asked.push(`${seq.name} x${o.reps}`);
    return reduceRepetitions(seq.name, Array.from({ length: o.reps }, () => ({ op_ns: [1000 + n++, 1000], op_errors: [null, null], wall_ns: 0 })));
  };
  const v = await runValidation([shmemSeq, gmemSeq], defaultProfile(), execute, { reps: 7, rounds: 3, kvm: false, kvmWhy: 'no kvm' });
  assert.deepEqual(asked, ['sh x3', 'sh x2', 'sh x2']);
  assert.equal(v.sequences[0].measured_reps!.reps, 7);
  assert.equal(v.sequences[0].measured_ns, 2003, 'per op the median of the seven repetitions 1000..1006, plus 1000');
  assert.deepEqual(v.skipped, [{ what: 'gm', why: 'no kvm' }]);
});
