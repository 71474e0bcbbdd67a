// Whether a profile was calibrated on another host than the one running the simulation: a
// profile describes one host (docs/kernel-model.md section 7; two hosts of one kind differ by ~10%),
// so `rmsim run` says so when the CPU model or the kernel differ. Only profiles written by
// `rmsim calibrate` record both (host.cpu_model, host.kernel_release); others are not compared.
import { cpus, release } from 'node:os';
import type { CostHost } from './schema.js';

export interface LocalHost {
  cpu_model: string;
  kernel: string;
}

/** The host this process runs on, as `rmsim calibrate` records it. */
export function localHost(): LocalHost {
  return { cpu_model: cpus()[0]?.model ?? 'unknown', kernel: release() };
}

/** One line saying how the profile's host differs from this one, or undefined when it does not (or is not recorded). */
export function otherHostNote(profileName: string, host: CostHost, local: LocalHost): string | undefined {
  if (host.cpu_model === undefined || host.kernel_release === undefined) return undefined;
  const diffs: string[] = [];
  if (host.cpu_model.trim() !== local.cpu_model.trim()) diffs.push(`CPU ${host.cpu_model} (here: ${local.cpu_model})`);
  if (host.kernel_release !== local.kernel) diffs.push(`kernel ${host.kernel_release} (here: ${local.kernel})`);
  if (diffs.length === 0) return undefined;
  return `profile ${profileName} was calibrated on another host: ${diffs.join(', ')}; its figures may not hold here (rmsim calibrate fits one for this host)`;
}
