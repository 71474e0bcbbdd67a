// calibrate and validate against the real kernel: one short shmem sequence through the probe's
// executor and the fit of a --quick probe run. Skipped, with the reason, where the kernel probe
// is not built here or (for guest_memfd) /dev/kvm is missing; the rest of calibration is tested
// on the committed recording (test/calibrate/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultProfile } from '../../sim/costs/index.js';
import { runValidation } from '../../sim/calibrate/validate.js';
import { validationSuite } from '../../sim/calibrate/sequences.js';
import type { KernelSequence, SequenceMeasurement } from '../../sim/calibrate/types.js';

const executorPath = fileURLToPath(new URL('../../bench/kernel-probe/sequence-run.js', import.meta.url));
const why = !existsSync(executorPath) ? 'bench/kernel-probe/sequence-run.ts is not in this checkout' : !process.env.RMSIM_LONG ? 'runs the real kernel: set RMSIM_LONG=1' : undefined;

test('a shmem sequence on the real kernel comes back op by op and is compared', { skip: why }, async () => {
  const mod = (await import(executorPath)) as { runSequenceOnKernel: (s: KernelSequence, o: { reps: number }) => Promise<SequenceMeasurement> };
  const seqs = validationSuite().filter((s) => s.name === 'shmem-punch-64k-every-1024k');
  const v = await runValidation(seqs, defaultProfile(), mod.runSequenceOnKernel, { reps: 2, kvm: existsSync('/dev/kvm') });
  assert.equal(v.sequences.length, 1);
  const s = v.sequences[0];
  assert.equal(s.per_op.length, seqs[0].ops.length);
  assert.ok(s.measured_ns > 0 && s.predicted_ns > 0);
});
