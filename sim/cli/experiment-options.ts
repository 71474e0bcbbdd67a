// What every experiment command shares: the run options a user's change would be made with
// (--variant, --set, --seed, --profile), the worker count, --quiet/--json, progress (runs done
// of total on a TTY only), and writing outputs atomically with one-line errors.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { BaseSpec } from '../run/replications.js';
import { positiveInt } from './options.js';
import { createRunsProgress } from '../output/progress.js';
import { writeFileAtomic } from '../output/atomic-write.js';

export interface RunOptionFlags {
  variant?: string;
  set: string[];
  seed?: string;
  profile?: string;
  workers?: string;
  quiet?: boolean;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** --variant, --set, --seed, --profile (as on rmsim run). */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--variant <spec>', 'design variant, composed with + (e.g. v10+thp-always); see rmsim list')
    .option('--set <path=value>', 'override a workload field (repeatable): vms.count=4, host.thp=always, variant.notifier=rwsem', collect, [])
    .option('--seed <n>', 'random seed (uint32); overrides the workload file')
    .option('--profile <name|file>', 'cost profile: a shipped name or a JSON file (default: the shipped profile)');
}

/** --workers, --quiet, --json (experiments that print results). */
export function addExperimentOptions(cmd: Command): Command {
  return addRunOptions(cmd)
    .option('--workers <n>', 'worker threads (default: the available CPUs); results do not depend on it')
    .option('--quiet', 'no progress and no table')
    .option('--json', 'print the result as JSON on stdout');
}

export function parseSeed(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^[0-9]+$/.test(s) || Number(s) > 4294967295) throw new UsageError(`--seed: expected a whole number 0..4294967295, found ${JSON.stringify(s)}`);
  return Number(s);
}

export function parseWorkers(s: string | undefined): number | undefined {
  return s === undefined ? undefined : positiveInt('workers', s, 1);
}

/** The run a workload argument and the run options name (replication left to the experiment). */
export function baseSpecOf(workload: string, flags: RunOptionFlags): BaseSpec {
  return { workload, sets: flags.set ?? [], variant: flags.variant, seed: parseSeed(flags.seed), profile: flags.profile };
}

/** Runs-done progress on a TTY only (never with --quiet or --json); stop() clears it. */
export function experimentProgress(flags: { quiet?: boolean; json?: boolean }, label = 'runs'): { onProgress?: (done: number, total: number) => void; stop(): void } {
  if (flags.quiet || flags.json || process.stderr.isTTY !== true) return { stop() {} };
  let bar: ReturnType<typeof createRunsProgress> | undefined;
  return {
    onProgress(done, total) {
      bar ??= createRunsProgress(total, label);
      bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}

/** Write every output atomically; a file system refusal is bad input (one line, exit 2). */
export function writeOutputs(files: Array<{ path: string; data: string | Uint8Array }>): void {
  for (const f of files) {
    try {
      writeFileAtomic(f.path, f.data);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!code) throw err;
      throw new UsageError(`cannot write ${f.path}: ${code}`);
    }
  }
}
