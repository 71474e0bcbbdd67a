// `rmsim bench sweep [--trials n] [--points n] [--duration d] [--json] [--no-write] [--out file]`:
// the sweep on 2 workers against 1 (bench/sweep/run.ts); prints the ratio, writes
// bench/results/sweep.json (temp file, then rename) unless --no-write.
import { UsageError } from '../../sim/errors.js';
import { writeFileAtomic } from '../../sim/output/atomic-write.js';
import { parseDuration, UnitError } from '../../sim/units.js';
import { defaultSweepResultPath, runSweepBench, SWEEP_BENCH_TARGET } from './run.js';

export interface SweepBenchCliOptions {
  json?: boolean;
  trials?: string;
  points?: string;
  duration?: string;
  write?: boolean;
  out?: string;
}

function wholeAtLeast(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name}: expected a whole number >= ${min}, found '${v}'`);
  return n;
}

export async function sweepBenchCommand(o: SweepBenchCliOptions): Promise<void> {
  const duration = o.duration ?? '6s';
  try {
    parseDuration(duration);
  } catch (err) {
    if (err instanceof UnitError) throw new UsageError(`--duration: ${err.message}`);
    throw err;
  }
  const result = await runSweepBench({
    // The engine benchmark's default of 5 trials would be a long wait here; 3 keep a median.
    trials: wholeAtLeast('trials', o.trials === '5' ? undefined : o.trials, 3, 1),
    points: wholeAtLeast('points', o.points, 8, 2),
    duration,
    log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`),
  });
  const path = o.out ?? defaultSweepResultPath();
  if (o.write !== false) writeFileAtomic(path, JSON.stringify(result, null, 2) + '\n');
  if (o.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  process.stdout.write([
    `sweep benchmark (${result.grid.points} equal-cost points of ${result.grid.workload}, ${result.grid.sets.join(' ')}; median of ${result.trials}; ${result.machine.cpu_model}, ${result.machine.cores} cores, Node ${result.machine.node_version})`,
    `  1 worker ${result.one_worker_s.toFixed(2)} s, 2 workers ${result.two_workers_s.toFixed(2)} s -> ${result.ratio.toFixed(2)}x (target >= ${SWEEP_BENCH_TARGET} on 2 cores: ${result.meets ? 'met' : 'NOT met'})`,
    `  sweep.json on 1 and 2 workers ${result.identical ? 'byte-identical' : 'DIFFER'}`,
    ...(o.write !== false ? [`  written to ${path}`] : []),
  ].join('\n') + '\n');
}
