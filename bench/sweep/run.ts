// Sweep benchmark: the same grid on 2 worker threads against 1, in this process, interleaved
// trials, median elapsed times. The grid has 8 equal-cost points - balloon with 2 VMs at host
// memory 11 GiB down to 4 GiB, which the workload never comes near, so every point runs the
// same events - listed longest first (more host memory is never cheaper to set up), so no long
// point starts last. Target: 2 workers at least 1.7x faster than 1 on a 2-core machine. The
// two sweep.json must be byte-identical, or the result says so.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAxes } from '../../sim/run/grid.js';
import { runSweep } from '../../sim/run/sweep.js';
import { serializeSweepDocument } from '../../sim/run/sweep-aggregate.js';
import { planSweep, type SweepPlan } from '../../sim/run/sweep-plan.js';
import { machineInfo, type MachineInfo } from '../engine/machine.js';

export const SWEEP_BENCH_TARGET = 1.7;

export interface SweepBenchOptions {
  trials: number;
  /** Simulated duration of each run (the cost of a point). */
  duration: string;
  /** Grid points (at least 8 for the committed figure). */
  points: number;
  log?: (line: string) => void;
}

export interface SweepBenchResult {
  schema: 'rmsim.bench-sweep/1';
  date: string;
  machine: MachineInfo;
  grid: { workload: string; sets: string[]; param: string; points: number; runs: number };
  trials: number;
  /** Median elapsed wall time of the whole sweep, s. */
  one_worker_s: number;
  two_workers_s: number;
  ratio: number;
  target: number;
  meets: boolean;
  /** Both sweep.json byte-identical (1 worker = 2 workers). */
  identical: boolean;
  all_trials: Array<{ one_worker_s: number; two_workers_s: number }>;
}

export function benchGrid(points: number): string {
  // 4 GiB and up, descending: longest first.
  return `host.memory=${Array.from({ length: points }, (_, k) => `${4 + points - 1 - k}GiB`).join(',')}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timed(plan: SweepPlan, workers: number): Promise<{ s: number; bytes: string }> {
  const t0 = process.hrtime.bigint();
  const { document } = await runSweep(plan, { workers });
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, bytes: serializeSweepDocument(document) };
}

export async function runSweepBench(o: SweepBenchOptions): Promise<SweepBenchResult> {
  const sets = [`duration=${o.duration}`, 'vms.count=2'];
  const param = benchGrid(o.points);
  const plan = planSweep({ workload: 'balloon', sets, axes: parseAxes([param]), replications: 1 });
  // Warm-up: this thread's first run compiles the WASM fast paths and loads the profile.
  await runSweep(planSweep({ workload: 'balloon', sets: ['duration=1ms'], axes: parseAxes(['vms.count=1']), replications: 1 }), { workers: 1 });
  const trials: Array<{ one_worker_s: number; two_workers_s: number }> = [];
  let identical = true;
  for (let t = 0; t < o.trials; t++) {
    // Interleaved, alternating which goes first, so a drift in machine load hits both alike.
    const first = t % 2 === 0 ? 1 : 2;
    const a = await timed(plan, first);
    const b = await timed(plan, 3 - first);
    const [one, two] = first === 1 ? [a, b] : [b, a];
    identical &&= one.bytes === two.bytes;
    trials.push({ one_worker_s: one.s, two_workers_s: two.s });
    o.log?.(`trial ${t + 1}/${o.trials}: 1 worker ${one.s.toFixed(2)} s, 2 workers ${two.s.toFixed(2)} s -> ${(one.s / two.s).toFixed(2)}x`);
  }
  const one = median(trials.map((t) => t.one_worker_s));
  const two = median(trials.map((t) => t.two_workers_s));
  const ratio = one / two;
  return {
    schema: 'rmsim.bench-sweep/1',
    date: new Date().toISOString(),
    machine: machineInfo(),
    grid: { workload: 'balloon', sets, param, points: o.points, runs: plan.runs.length },
    trials: o.trials,
    one_worker_s: Number(one.toFixed(4)),
    two_workers_s: Number(two.toFixed(4)),
    ratio: Number(ratio.toFixed(3)),
    target: SWEEP_BENCH_TARGET,
    meets: ratio >= SWEEP_BENCH_TARGET,
    identical,
    all_trials: trials,
  };
}

/** Where the committed result lives: <repo>/bench/results/sweep.json. */
export function defaultSweepResultPath(): string {
  return join(fileURLToPath(new URL('../../../bench/results/', import.meta.url)), 'sweep.json');
}
