// The real-kernel side of calibrate and validate lives in bench/kernel-probe/ (a C probe and an
// executor of KernelSequences); only the CLI reaches into bench/, and hands these functions to
// sim/calibrate/. Loaded on use, so the simulator-only commands never load them, and a checkout
// without them says so in one line.
import type { KernelSequence, ProbeRecording, SequenceMeasurement } from '../calibrate/types.js';
import { UsageError } from '../errors.js';

export type RunCalibrationProbe = (opts: { quick?: boolean; onProgress?: (done: number, total: number, what: string) => void }) => Promise<ProbeRecording>;
export type RunSequenceOnKernel = (seq: KernelSequence, opts: { reps: number }) => Promise<SequenceMeasurement>;

async function load<T>(file: string, name: string): Promise<T> {
  const url = new URL(`../../bench/kernel-probe/${file}`, import.meta.url).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`the kernel probe (bench/kernel-probe/${file}) cannot be loaded here: ${(err as Error).message.split('\n')[0]}; fit from a recording with --from <recording.json>`);
  }
  if (typeof mod[name] !== 'function') throw new UsageError(`bench/kernel-probe/${file} does not export ${name}`);
  return mod[name] as T;
}

export const loadCalibrationProbe = () => load<RunCalibrationProbe>('calibrate-run.js', 'runCalibrationProbe');
export const loadSequenceExecutor = () => load<RunSequenceOnKernel>('sequence-run.js', 'runSequenceOnKernel');
