// What machine a benchmark ran on (for bench/results/*.json): CPU model, cores, memory, Node.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpu_model: string;
  cores: number;
  memory_bytes: number;
  node_version: string;
  v8_version: string;
  platform: string;
  kernel: string;
}

/**
 * The CPU's make as a file-name part ('intel', 'amd', else 'other'): absolute costs differ ~3x
 * between the makes this machine kind comes in, so results that are judged per make (the fast
 * paths against their C twins, the end-to-end cases) keep one committed file per make.
 */
export function cpuMake(model: string = machineInfo().cpu_model): 'intel' | 'amd' | 'other' {
  if (/intel/i.test(model)) return 'intel';
  if (/\bamd\b/i.test(model)) return 'amd';
  return 'other';
}

export function machineInfo(): MachineInfo {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpu_model: model,
    cores: os.cpus().length,
    memory_bytes: os.totalmem(),
    node_version: process.version,
    v8_version: process.versions.v8,
    platform: `${os.platform()}-${os.arch()}`,
    kernel: os.release(),
  };
}
