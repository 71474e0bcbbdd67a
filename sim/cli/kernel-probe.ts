// The real-kernel side of calibrate and validate lives in bench/kernel-probe/ (a C probe and an
// executor of KernelSequences); only the CLI reaches into bench/, and hands these functions to
// sim/calibrate/. A probe that cannot build or run (no cc, a refused sequence) is a ProbeError:
// one line, exit 2.
import { UsageError } from '../errors.js';
import { runCalibrationProbe, ProbeError, type CalibrationProbeOptions } from '../../bench/kernel-probe/calibrate-run.js';
import { runSequenceOnKernel, kernelSupport } from '../../bench/kernel-probe/sequence-run.js';
import type { KernelSequence, ProbeRecording, SequenceMeasurement } from '../calibrate/types.js';

async function oneLine<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ProbeError) throw new UsageError(e.message);
    throw e;
  }
}

export const probeKernel = (o: CalibrationProbeOptions): Promise<ProbeRecording> => oneLine(() => runCalibrationProbe(o));
export const executeOnKernel = (seq: KernelSequence, o: { reps: number }): Promise<SequenceMeasurement> => oneLine(() => runSequenceOnKernel(seq, o));
/** Why guest_memfd sequences cannot run here, or undefined when they can. */
export const guestMemfdMissing = async (): Promise<string | undefined> => (await kernelSupport()).why ?? undefined;
