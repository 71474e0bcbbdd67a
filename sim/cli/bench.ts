// `rmsim bench <engine|fastpath|e2e>`: runs a benchmark, prints its figures (or one JSON object with
// --json) and writes them to bench/results/ (temp file, then rename) unless --no-write.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { positiveInt } from './options.js';
// The benchmarks and their charts (vega, d3) load inside the action: every other command
// registers this one too, and must not pay for them at start-up.
import type { GroupName } from '../../bench/engine/group.js';
import type { EngineBenchResult } from '../../bench/engine/run.js';
import { writeFileAtomic } from '../output/atomic-write.js';

export function register(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark: engine (event engine vs bare heap and SimPy), fastpath (fast paths vs C), e2e (whole runs: vm-boot at 64 GiB, 1 TiB of guests on one host, conversion-storm, cost per fault by size) or sweep (2 workers vs 1)')
    .argument('<which>', 'engine | fastpath | e2e | sweep')
    .option('--json', 'print one JSON object instead of a summary')
    .option('--trials <n>', 'interleaved trials (median reported); e2e: rounds of (d), every size once per round in rotating order', '5')
    .option('--events <n>', 'events of workload (a) and its ceiling', '2000000')
    .option('--acquisitions <n>', 'mutex acquisitions of workload (b) and its floor', '1000000')
    .option('--no-simpy', 'skip the SimPy reference')
    .option('--no-write', 'do not write bench/results/')
    .option('--out <file>', 'result file (default bench/results/<engine|fastpath|e2e>-<make>.json, make intel or amd)')
    .option('--chart <file>', 'engine: also draw every trial against the ceiling, the floor and the target (.svg or .png)')
    .option('--from <file>', 'engine: draw --chart from an earlier result file instead of running')
    .option('--scale <x>', 'fastpath: fraction (0..1] of the full op counts; e2e: of the memory sizes (below 1 a check, not written)')
    .option('--only <cases>', 'e2e: which cases, e.g. a,d (default a,b,c,d); engine: one group, timeouts or mutex (printed, never written)')
    .option('--vcpu-scheduler', 'e2e: run the vCPUs under the vCPU scheduler (off by default; the same results): an A/B, written only with --out')
    .option('--b-runs <n>', 'e2e: runs of (b), one after another; the median run is reported with every run\'s wall time (default 1)')
    .option('--max-wall <d>', 'e2e: stop a run that goes past this wall time (e.g. 120s) and report how far it got and its extrapolated full time')
    .option('--reps <n>', 'fastpath: timed passes per implementation (best reported); for the ops with a C twin, rounds of 10 C/WASM pairs (median ratio reported)', '3')
    .option('--no-ref', 'fastpath: skip the Map reference')
    .option('--no-c', 'fastpath: skip the C reference')
    .option('--points <n>', 'sweep: grid points, seeds 1..n of one configuration (default 16)')
    .option('--duration <d>', 'sweep: simulated duration of each point (default 6s)')
    .addHelpText('after', `
Examples:
  rmsim bench engine --trials 11 --chart bench/results/engine-intel.png
  rmsim bench engine --only mutex --trials 7           (the mutex loops and their floor alone)
  rmsim bench fastpath --json
  rmsim bench e2e --chart bench/results/e2e-intel.png   (results per CPU make: e2e-intel.json)
  rmsim bench e2e --only a,d --scale 0.01 --no-write   (a quick check of the command)
  rmsim bench e2e --only b --scale 1/16 --no-write --json   (case b at 1/16: faults, THP, WASM memory)
  rmsim bench e2e --only b --max-wall 120s --no-write  (stopped after 120 s with the full time extrapolated)
  rmsim bench e2e --b-runs 3 --chart bench/results/e2e-intel.png   ((b) three times, the median run reported)
  rmsim bench sweep                                     (16 points, 2 workers against 1)`)
    .action(async (which: string, o: { json?: boolean; only?: string; trials?: string; events?: string; acquisitions?: string; simpy: boolean; write: boolean; out?: string; chart?: string; from?: string; scale?: string; reps?: string; ref: boolean; c: boolean; points?: string; duration?: string; maxWall?: string; vcpuScheduler?: boolean; bRuns?: string }) => {
      if (which === 'fastpath') return (await import('../../bench/fastpath/cli.js')).fastpathCommand(o);
      if (which === 'e2e') {
        const [{ e2eCommand }, { B_RUNS, D_TRIALS }] = await Promise.all([import('../../bench/e2e/cli.js'), import('../../bench/e2e/run.js')]);
        return e2eCommand({ ...o, trials: positiveInt('trials', o.trials, D_TRIALS), bRuns: positiveInt('b-runs', o.bRuns, B_RUNS) });
      }
      if (which === 'sweep') return (await import('../../bench/sweep/cli.js')).sweepBenchCommand(o);
      if (which !== 'engine') throw new UsageError(`unknown benchmark '${which}' (expected: engine, fastpath, e2e or sweep)`);
      if (o.from !== undefined) {
        if (!o.chart) throw new UsageError('--from only draws a chart: give --chart <file> too');
        await writeChart(o.chart, readResult(o.from));
        process.stdout.write(`chart: ${o.chart}\n`);
        return;
      }
      if (o.only !== undefined) return engineGroupCommand(o.only, o);
      const { defaultEngineResultPath, runEngineBench, writeResult } = await import('../../bench/engine/run.js');
      const result = runEngineBench({
        trials: positiveInt('trials', o.trials, 5),
        events: positiveInt('events', o.events, 2_000_000),
        acquisitions: positiveInt('acquisitions', o.acquisitions, 1_000_000),
        noSimpy: !o.simpy,
        log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`),
      });
      if (o.write) writeResult(o.out ?? defaultEngineResultPath(), result);
      if (o.chart) await writeChart(o.chart, result);
      if (o.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      const f = (x: number) => (x / 1e6).toFixed(3);
      const met = (b: boolean | null) => (b ? 'met' : 'NOT met');
      const lines = [
        `engine benchmark (${result.trials} trials, medians, process CPU time; ${result.machine.cpu_model}, ${result.machine.cores} cores, Node ${result.machine.node_version})`,
        `  ceiling (bare heap, same draws)  ${f(result.ceiling_events_per_s)} M events/s; heap only (draws precomputed) ${f(result.ceiling_predrawn_events_per_s)} M events/s (informational)`,
        `  (a) timeouts, generator processes      ${f(result.timeouts_events_per_s)} M events/s -> ${result.ratio_to_ceiling.toFixed(3)} x ceiling (target >= 0.7: ${met(result.meets.timeouts_vs_ceiling)})`,
        `  (a) timeouts, state-machine processes  ${f(result.timeouts_actor_events_per_s)} M events/s -> ${result.ratio_to_ceiling_actor.toFixed(3)} x ceiling (target >= 0.7: ${met(result.meets.timeouts_actor_vs_ceiling)})`,
        `  (b) mutex, generator processes         ${f(result.mutex_acquisitions_per_s)} M acquisitions/s (target >= 2.5: ${met(result.meets.mutex_acquisitions_per_s)})`,
        `  (b) mutex, state-machine processes     ${f(result.mutex_actor_acquisitions_per_s)} M acquisitions/s (target >= 2.5: ${met(result.meets.mutex_actor_acquisitions_per_s)})`,
        `      floor (the same loops hand-written on the same heap and draws, no engine, no statistics) ${f(result.mutex_floor_acquisitions_per_s)} M acquisitions/s: generators ${result.ratio_mutex_to_floor.toFixed(3)} x, state machines ${result.ratio_mutex_actor_to_floor.toFixed(3)} x of it`,
        `      ${result.mutex_events_per_acquisition.toFixed(2)} events/acquisition, so 2.5 M/s needs ${(2.5 * result.mutex_events_per_acquisition).toFixed(1)} M events/s`,
      ];
      if (result.ratio_to_simpy && result.simpy && 'timeouts_events_per_s' in result.simpy) {
        const r = result.ratio_to_simpy;
        lines.push(`  SimPy ${result.simpy.simpy_version} on this machine: (a) ${f(result.simpy.timeouts_events_per_s)} M events/s -> ${r.timeouts.toFixed(2)}x generators, ${r.timeouts_actor.toFixed(2)}x state machines (target >= 5: ${met(result.meets.timeouts_vs_simpy)})`);
        lines.push(`      (b) ${f(result.simpy.mutex_acquisitions_per_s)} M acq/s -> ${r.mutex.toFixed(2)}x generators, ${r.mutex_actor.toFixed(2)}x state machines (the issue's 2.5 M/s is ${(2.5 / 0.16).toFixed(1)}x the 0.16 M/s it quotes for SimPy)`);
      } else if (result.simpy && 'note' in result.simpy) {
        lines.push(`  SimPy: ${result.simpy.note}`);
      }
      if (o.write) lines.push(`  written to ${o.out ?? defaultEngineResultPath()}`);
      if (o.chart) lines.push(`  chart: ${o.chart}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}

/** `--only <group>`: one group's figures on stdout; a partial run is never written to bench/results/. */
async function engineGroupCommand(only: string, o: { json?: boolean; trials?: string; events?: string; acquisitions?: string; chart?: string }): Promise<void> {
  const [{ GROUPS }, { runEngineGroup }] = await Promise.all([import('../../bench/engine/group.js'), import('../../bench/engine/run.js')]);
  if (!(only in GROUPS)) throw new UsageError(`--only ${only}: the engine benchmark's groups are ${Object.keys(GROUPS).join(' and ')}`);
  if (o.chart) throw new UsageError('--chart draws a full run: leave out --only');
  const group = only as GroupName;
  const r = runEngineGroup(group, {
    trials: positiveInt('trials', o.trials, 5),
    events: positiveInt('events', o.events, 2_000_000),
    acquisitions: positiveInt('acquisitions', o.acquisitions, 1_000_000),
    log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`),
  });
  if (o.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  const unit = group === 'timeouts' ? 'events/s' : 'acquisitions/s';
  const lines = [`engine benchmark, group ${group} only (${r.trials} trials, medians, process CPU time; not written)`];
  for (const [k, v] of Object.entries(r.per_s)) {
    const vs = k === r.reference ? '(reference)' : `-> ${r.ratio[k as keyof typeof r.ratio]!.toFixed(3)} x ${r.reference} (median of per-trial ratios ${r.ratio_median_of_trials[k as keyof typeof r.ratio]!.toFixed(3)})`;
    lines.push(`  ${k.padEnd(17)} ${(v / 1e6).toFixed(3)} M ${unit} ${vs}`);
  }
  if (r.events_per_acquisition !== null) lines.push(`  ${r.events_per_acquisition.toFixed(6)} events/acquisition`);
  process.stdout.write(lines.join('\n') + '\n');
}

function readResult(path: string): EngineBenchResult {
  let r: EngineBenchResult;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as EngineBenchResult;
  } catch (e) {
    throw new UsageError(`--from ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (r?.schema !== 'rmsim.bench.engine/1' || !r.samples_ms?.mutex_floor) throw new UsageError(`--from ${path}: not an engine benchmark result with the floor (schema rmsim.bench.engine/1)`);
  return r;
}

async function writeChart(path: string, r: EngineBenchResult): Promise<void> {
  const [{ benchEngineSpec }, { renderSvg, svgToPng }] = await Promise.all([import('../../bench/engine/chart-spec.js'), import('../../reports/render.js')]);
  const svg = await renderSvg(benchEngineSpec(r));
  if (path.endsWith('.png')) writeFileAtomic(path, await svgToPng(svg));
  else writeFileAtomic(path, svg);
}
