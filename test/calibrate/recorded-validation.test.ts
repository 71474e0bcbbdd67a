// `rmsim validate --measured`: the kernel side of an earlier validation.json stands in for a new
// kernel run, so a refitted profile is judged on the very runs the first one was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../../sim/costs/index.js';
import type { CostName } from '../../sim/costs/names.js';
import { validationSuite } from '../../sim/calibrate/sequences.js';
import { simulateSequence } from '../../sim/calibrate/simulate-sequence.js';
import { compareSequence, recordedExecutor, runValidation } from '../../sim/calibrate/validate.js';
import { UsageError } from '../../sim/errors.js';

const seqs = validationSuite().filter((s) => s.name === 'shmem-punch-64k-every-1024k' || s.name === 'gmem-punch-refill-256k');

test('a recording of what one profile predicts validates that profile with no error, and a slower profile with the error it adds', async () => {
  assert.equal(seqs.length, 2);
  const profile = defaultProfile();
  const sequences = [];
  for (const s of seqs) {
    const p = await simulateSequence(s, profile);
    sequences.push(compareSequence(s, p, p));
  }
  const execute = recordedExecutor({ sequences }, 'recorded.json');
  const same = await runValidation(seqs, profile, execute, { reps: 1, kvm: true });
  assert.equal(same.sequences.length, 2);
  for (const s of same.sequences) assert.equal(s.error, 0, s.name);
  const slower = profile.withOverrides(Object.fromEntries((['shmem.truncate_page_ns', 'gmem.truncate_page_ns', 'shmem.punch_fixed_ns', 'gmem.punch_fixed_ns'] as CostName[]).map((k) => [k, 2 * profile.ns(k)])));
  const worse = await runValidation(seqs, slower, execute, { reps: 1, kvm: true });
  for (const s of worse.sequences) assert.ok(s.error > 0.05, `${s.name}: ${s.error}`);
});

test('a recording without the sequence, or with other ops, is refused with the reason', async () => {
  const profile = defaultProfile();
  const p = await simulateSequence(seqs[0], profile);
  const rec = compareSequence(seqs[0], p, p);
  await assert.rejects(recordedExecutor({ sequences: [rec] }, 'r.json')(seqs[1], { reps: 1 }), (e: unknown) => e instanceof UsageError && /no measurement of sequence 'gmem-punch-refill-256k'/.test(e.message));
  const changed = { ...rec, per_op: rec.per_op.map((o, i) => (i === 3 ? { ...o, len: o.len * 2 } : o)) };
  await assert.rejects(recordedExecutor({ sequences: [changed] }, 'r.json')(seqs[0], { reps: 1 }), /recorded with other ops/);
});
