// `rmsim bench sweep [--trials n] [--points n] [--duration d] [--json] [--no-write] [--out file]`:
// the sweep on 2 workers against 1 (bench/sweep/run.ts); prints the ratio, writes
// bench/results/sweep.json (temp file, then rename) unless --no-write.
import { UsageError } from '../../sim/errors.js';
import { writeFileAtomic } from '../../sim/output/atomic-write.js';
import { parseDuration, UnitError } from '../../sim/units.js';
import { defaultSweepResultPath, runSweepBench, SWEEP_BENCH_TARGET, type SweepBenchResult, type SweepTiming } from './run.js';

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
    trials: wholeAtLeast('trials', o.trials, 5, 1),
    points: wholeAtLeast('points', o.points, 16, 2),
    duration,
    log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`),
  });
  const path = o.out ?? defaultSweepResultPath();
  if (o.write !== false) writeFileAtomic(path, JSON.stringify(result, null, 2) + '\n');
  if (o.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  process.stdout.write(summary(result).concat(o.write !== false ? [`  written to ${path}`] : []).join('\n') + '\n');
}

function summary(r: SweepBenchResult): string[] {
  const { grid, breakdown: b } = r;
  const events = grid.per_point.map((p) => p.events);
  const values = grid.per_point.map((p) => p.value);
  const side = (name: string, t: SweepTiming, workers: number) =>
    `  ${name} ${t.elapsed_s.toFixed(2)} s = runs ${t.runs_s.toFixed(2)} s${workers > 1 ? ` / ${workers}` : ''} + ${t.outside_runs_s.toFixed(2)} s outside the runs (start-up, teardown, imbalance); CPU ${t.cpu_s.toFixed(2)} s, ${(t.cpu_s / t.elapsed_s).toFixed(2)} cores busy`;
  return [
    `sweep benchmark: ${grid.points} points of ${grid.workload} (${grid.sets.join(' ')}), ${values[0]}..${values[values.length - 1]}; ${grid.equal_cost ? 'equal cost, so any order is longest first' : 'NOT equal cost'} (events ${Math.min(...events)}..${Math.max(...events)}, spread ${(grid.cost_spread * 100).toFixed(2)}%)`,
    `  median of ${r.trials} trials on ${r.machine.cpu_model}, ${r.machine.cores} cores, Node ${r.machine.node_version}`,
    `  both measured as: ${r.method}`,
    side('1 worker ', b.one_worker, 1),
    side('2 workers', b.two_workers, 2),
    `  -> ${r.ratio.toFixed(2)}x (target >= ${SWEEP_BENCH_TARGET} on 2 cores: ${r.meets ? 'met' : 'NOT met'}); each run takes ${(b.two_workers.runs_s / b.one_worker.runs_s).toFixed(2)}x its time alone when two run at once`,
    `  sweep.json on 1 and 2 workers ${r.identical ? 'byte-identical' : 'DIFFER'}`,
  ];
}
