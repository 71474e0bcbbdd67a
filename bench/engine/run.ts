// The engine benchmark (issue 2): (a) timeouts with the bare-heap ceiling, and (b) mutex with
// its floor, each group in a child process of its own (group.ts), timed by tinybench as
// interleaved trials (ceiling, a, ceiling, a, ...), medians reported. The
// timer is this process's CPU time (process.cpuUsage): the machines are shared and noisy, and
// CPU time does not count the time another process held the core. Wall-clock medians are
// reported beside. (a) and (b) run twice each: with generator processes (sim.spawn) and with the
// same loops written as state-machine processes (sim.spawnActor); same events, same end time.
// SimPy (Debian python3-simpy3, /usr/bin/python3) runs the same workloads in
// the same invocation when it is installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../../sim/output/atomic-write.js';
import { fileURLToPath } from 'node:url';
import { GROUPS, TASKS, runGroup } from './group.js';
import type { GroupName, GroupOptions, GroupResult, TaskName } from './group.js';
import { cpuMake, machineInfo } from './machine.js';
import type { MachineInfo } from './machine.js';

export interface EngineBenchOptions {
  events?: number;
  procs?: number;
  acquisitions?: number;
  trials?: number;
  /** Skip the SimPy reference even if installed. */
  noSimpy?: boolean;
  /** Trials of the SimPy reference (slow: ~10 s each at full size). */
  simpyTrials?: number;
  log?: (line: string) => void;
  /** Run both groups in this process instead of a child process each (tests; figures are then mixed). */
  inProcess?: boolean;
}

export interface EngineBenchResult {
  schema: 'rmsim.bench.engine/1';
  date: string;
  machine: MachineInfo;
  timer: 'process-cpu-time';
  /** How the tasks were run: each group ((a) with its ceilings, (b) with its floor) in a child process, no forced GC. */
  harness: { groups: Record<GroupName, TaskName[]>; isolation: 'child-process-per-group' | 'in-process'; warmup_passes: number; forced_gc: false };
  trials: number;
  workload: { events: number; processes: number; acquisitions: number; mutex_processes: number; mutex_cpus: number; timeout_mean_ns: number; hold_mean_ns: number; think_mean_ns: number };
  timeouts_events_per_s: number;
  ceiling_events_per_s: number;
  mutex_acquisitions_per_s: number;
  /** Engine events per acquisition in (b) (compute end, think end, hand-offs to waiters): the event rate (b)'s target implies. */
  mutex_events_per_acquisition: number;
  timeouts_ns_per_event: number;
  ceiling_ns_per_event: number;
  mutex_ns_per_acquisition: number;
  ratio_to_ceiling: number;
  /** (a) and (b) with state-machine processes (Simulation.spawnActor): same loops, same events and end time. */
  timeouts_actor_events_per_s: number;
  ratio_to_ceiling_actor: number;
  ratio_to_ceiling_actor_per_trial: number[];
  mutex_actor_acquisitions_per_s: number;
  /**
   * (b)'s floor: the same lock loops hand-written over the same heap order and draws, no engine
   * and no statistics (workloads.ts mutexFloorWorkload); same end time and dispatch count as (b).
   */
  mutex_floor_acquisitions_per_s: number;
  ratio_mutex_to_floor: number;
  ratio_mutex_actor_to_floor: number;
  /** Informational: the same heap with the draws read from memory (heap operations only). */
  ceiling_predrawn_events_per_s: number;
  ratio_to_ceiling_predrawn: number;
  /** Per-trial ratio (a)/ceiling of adjacent runs, and its median. */
  ratio_to_ceiling_per_trial: number[];
  ratio_to_ceiling_median_of_trials: number;
  wall: { timeouts_events_per_s: number; ceiling_events_per_s: number; mutex_acquisitions_per_s: number; timeouts_actor_events_per_s: number; mutex_actor_acquisitions_per_s: number };
  samples_ms: Record<TaskName, number[]>;
  peak_heap_bytes: Record<TaskName, number>;
  simpy: null | { note: string } | {
    simpy_version: string; python_version: string; trials: number; events: number; acquisitions: number;
    timeouts_events_per_s: number; mutex_acquisitions_per_s: number;
    timeouts_events_per_s_wall: number; mutex_acquisitions_per_s_wall: number;
  };
  ratio_to_simpy: { timeouts: number; mutex: number; timeouts_actor: number; mutex_actor: number } | null;
  targets: { timeouts_vs_ceiling: number; timeouts_vs_simpy: number; mutex_acquisitions_per_s: number };
  meets: {
    timeouts_vs_ceiling: boolean; timeouts_vs_simpy: boolean | null; mutex_acquisitions_per_s: boolean;
    timeouts_actor_vs_ceiling: boolean; mutex_actor_acquisitions_per_s: boolean;
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Untimed passes first: V8 needs more than one to settle the engine's hot functions. */
const WARMUP_PASSES = 2;

const SIMPY_PY = '/usr/bin/python3';

/**
 * Run one group in a child process of the same Node (same flags). Its progress lines go straight
 * to our stderr when there is a log (they are the child's own), else they are kept for errors.
 */
function runGroupChild(group: GroupName, o: GroupOptions, live: boolean): GroupResult {
  const script = fileURLToPath(new URL('./group.js', import.meta.url));
  const r = spawnSync(process.execPath, [...process.execArgv, script, group, JSON.stringify(o)], {
    encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', live ? 'inherit' : 'pipe'],
  });
  if (r.status !== 0) throw new Error(`benchmark group ${group} failed (exit ${r.status ?? r.signal})${r.stderr ? `: ${r.stderr.trim().split('\n').pop()}` : ''}`);
  return JSON.parse(r.stdout) as GroupResult;
}

function runSimpy(events: number, procs: number, acquisitions: number, trials: number): EngineBenchResult['simpy'] {
  const script = fileURLToPath(new URL('../../../bench/engine/simpy_ref.py', import.meta.url));
  if (!existsSync(SIMPY_PY)) return { note: `${SIMPY_PY} not found: SimPy reference skipped` };
  const probe = spawnSync(SIMPY_PY, ['-c', 'import simpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return { note: 'SimPy not installed for /usr/bin/python3 (apt-get install python3-simpy3): reference skipped' };
  const r = spawnSync(SIMPY_PY, [script, String(events), String(procs), String(acquisitions), String(trials)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return { note: `SimPy reference failed: ${(r.stderr || '').trim().split('\n').pop()}` };
  return JSON.parse(r.stdout);
}

/** The options every group runs with, defaults filled in. */
function groupOptions(opts: EngineBenchOptions): GroupOptions {
  return {
    events: opts.events ?? 2_000_000,
    procs: opts.procs ?? 1000,
    acquisitions: opts.acquisitions ?? 1_000_000,
    trials: Math.max(1, opts.trials ?? 5),
    warmups: WARMUP_PASSES,
  };
}

function runGroupAs(group: GroupName, go: GroupOptions, opts: EngineBenchOptions): GroupResult {
  return opts.inProcess ? runGroup(group, go, opts.log ?? (() => {})) : runGroupChild(group, go, opts.log !== undefined);
}

/** Each task replayed its group's reference exactly (same draws: same end, same dispatches), else throws. */
function checkReplays(group: GroupName, r: GroupResult): void {
  const { ends, events } = r;
  if (group === 'timeouts') {
    for (const k of ['ceiling_predrawn', 'timeouts', 'timeouts_actor'] as const) {
      if (ends[k] !== ends.ceiling) throw new Error(`${k} disagrees with the ceiling: end ${ends[k]} vs ${ends.ceiling} (not the same draws)`);
    }
    return;
  }
  for (const k of ['mutex_actor', 'mutex_floor'] as const) {
    if (ends[k] !== ends.mutex || events[k] !== events.mutex) {
      throw new Error(`mutex workloads disagree: generators end ${ends.mutex} after ${events.mutex} events, ${k} ${ends[k]} after ${events[k]}`);
    }
  }
}

/** What each group's tasks are measured against: (a) the bare heap, (b) its hand-written floor. */
const REFERENCE: Record<GroupName, TaskName> = { timeouts: 'ceiling', mutex: 'mutex_floor' };

/** One group run alone (`rmsim bench engine --only mutex`): a quick look, never a result to commit. */
export interface EngineGroupSummary {
  schema: 'rmsim.bench.engine-group/1';
  group: GroupName;
  trials: number;
  /** The task every ratio is against (ceiling or mutex_floor). */
  reference: TaskName;
  /** Median rate per task: events/s in (a), acquisitions/s in (b). */
  per_s: Partial<Record<TaskName, number>>;
  /** Task median against the reference median (the full run's ratio_to_ceiling, ratio_mutex_to_floor, ...). */
  ratio: Partial<Record<TaskName, number>>;
  /** Median over trials of the task against the reference run beside it. */
  ratio_median_of_trials: Partial<Record<TaskName, number>>;
  /** (b): engine events per acquisition (the full run's mutex_events_per_acquisition). */
  events_per_acquisition: number | null;
  peak_heap_bytes: Partial<Record<TaskName, number>>;
}

export function runEngineGroup(group: GroupName, opts: EngineBenchOptions = {}): EngineGroupSummary {
  const go = groupOptions(opts);
  const r = runGroupAs(group, go, opts);
  checkReplays(group, r);
  const n = group === 'timeouts' ? go.events : go.acquisitions;
  const ref = REFERENCE[group];
  const refSamples = r.samples[ref]!;
  const out: EngineGroupSummary = {
    schema: 'rmsim.bench.engine-group/1', group, trials: go.trials, reference: ref,
    per_s: {}, ratio: {}, ratio_median_of_trials: {},
    events_per_acquisition: group === 'mutex' ? r6((r.events.mutex ?? 0) / n) : null,
    peak_heap_bytes: r.heap,
  };
  for (const k of GROUPS[group]) {
    const ms = r.samples[k]!;
    out.per_s[k] = Math.round(n / (median(ms) / 1000));
    out.ratio[k] = r6(median(refSamples) / median(ms));
    out.ratio_median_of_trials[k] = r6(median(ms.map((x, i) => refSamples[i] / x)));
  }
  return out;
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

export function runEngineBench(opts: EngineBenchOptions = {}): EngineBenchResult {
  const go = groupOptions(opts);
  const { events, procs, acquisitions, trials } = go;
  const log = opts.log ?? (() => {});
  const groups = (Object.keys(GROUPS) as GroupName[]).map((g) => {
    const r = runGroupAs(g, go, opts);
    checkReplays(g, r);
    return r;
  });
  const pick = <T>(f: (r: GroupResult) => Partial<Record<TaskName, T>>): Record<TaskName, T> =>
    Object.assign({}, ...groups.map(f)) as Record<TaskName, T>;
  const samples = pick((r) => r.samples);
  const wallSamples = pick((r) => r.wall);
  const heap = pick((r) => r.heap);
  const mutexEvents = pick((r) => r.events);

  const rate = (n: number, ms: number) => n / (ms / 1000);
  const med = (k: TaskName) => median(samples[k]);
  const a = rate(events, med('timeouts'));
  const aa = rate(events, med('timeouts_actor'));
  const c = rate(events, med('ceiling'));
  const b = rate(acquisitions, med('mutex'));
  const ba = rate(acquisitions, med('mutex_actor'));
  const bf = rate(acquisitions, med('mutex_floor'));
  const cp = rate(events, med('ceiling_predrawn'));
  const perTrial = samples.timeouts.map((ms, i) => samples.ceiling[i] / ms);
  const perTrialActor = samples.timeouts_actor.map((ms, i) => samples.ceiling[i] / ms);

  let simpy: EngineBenchResult['simpy'] = null;
  if (!opts.noSimpy) {
    log('SimPy reference ...');
    simpy = runSimpy(events, procs, Math.min(acquisitions, 200_000), opts.simpyTrials ?? 3);
  }
  const sp = simpy && 'timeouts_events_per_s' in simpy ? simpy : null;
  const result: EngineBenchResult = {
    schema: 'rmsim.bench.engine/1',
    date: new Date().toISOString(),
    machine: machineInfo(),
    timer: 'process-cpu-time',
    harness: { groups: { timeouts: [...GROUPS.timeouts], mutex: [...GROUPS.mutex] }, isolation: opts.inProcess ? 'in-process' : 'child-process-per-group', warmup_passes: WARMUP_PASSES, forced_gc: false },
    trials,
    workload: { events, processes: procs, acquisitions, mutex_processes: 16, mutex_cpus: 16, timeout_mean_ns: 1000, hold_mean_ns: 1000, think_mean_ns: 16000 },
    timeouts_events_per_s: Math.round(a),
    ceiling_events_per_s: Math.round(c),
    mutex_acquisitions_per_s: Math.round(b),
    mutex_events_per_acquisition: r6((mutexEvents.mutex ?? 0) / acquisitions),
    timeouts_ns_per_event: r6(1e9 / a),
    ceiling_ns_per_event: r6(1e9 / c),
    mutex_ns_per_acquisition: r6(1e9 / b),
    ratio_to_ceiling: r6(a / c),
    timeouts_actor_events_per_s: Math.round(aa),
    ratio_to_ceiling_actor: r6(aa / c),
    ratio_to_ceiling_actor_per_trial: perTrialActor.map(r6),
    mutex_actor_acquisitions_per_s: Math.round(ba),
    mutex_floor_acquisitions_per_s: Math.round(bf),
    ratio_mutex_to_floor: r6(b / bf),
    ratio_mutex_actor_to_floor: r6(ba / bf),
    ceiling_predrawn_events_per_s: Math.round(cp),
    ratio_to_ceiling_predrawn: r6(a / cp),
    ratio_to_ceiling_per_trial: perTrial.map(r6),
    ratio_to_ceiling_median_of_trials: r6(median(perTrial)),
    wall: {
      timeouts_events_per_s: Math.round(rate(events, median(wallSamples.timeouts))),
      ceiling_events_per_s: Math.round(rate(events, median(wallSamples.ceiling))),
      mutex_acquisitions_per_s: Math.round(rate(acquisitions, median(wallSamples.mutex))),
      timeouts_actor_events_per_s: Math.round(rate(events, median(wallSamples.timeouts_actor))),
      mutex_actor_acquisitions_per_s: Math.round(rate(acquisitions, median(wallSamples.mutex_actor))),
    },
    samples_ms: Object.fromEntries(TASKS.map((k) => [k, samples[k].map(r6)])) as Record<TaskName, number[]>,
    peak_heap_bytes: heap,
    simpy,
    ratio_to_simpy: sp ? {
      timeouts: r6(a / sp.timeouts_events_per_s), mutex: r6(b / sp.mutex_acquisitions_per_s),
      timeouts_actor: r6(aa / sp.timeouts_events_per_s), mutex_actor: r6(ba / sp.mutex_acquisitions_per_s),
    } : null,
    targets: { timeouts_vs_ceiling: 0.7, timeouts_vs_simpy: 5, mutex_acquisitions_per_s: 2_500_000 },
    meets: {
      timeouts_vs_ceiling: a / c >= 0.7,
      timeouts_vs_simpy: sp ? a / sp.timeouts_events_per_s >= 5 : null,
      mutex_acquisitions_per_s: b >= 2_500_000,
      timeouts_actor_vs_ceiling: aa / c >= 0.7,
      mutex_actor_acquisitions_per_s: ba >= 2_500_000,
    },
  };
  return result;
}

/** Write a result as JSON to `path` through the product's one atomic writer. */
export function writeResult(path: string, result: unknown): void {
  writeFileAtomic(path, JSON.stringify(result, null, 2) + '\n');
}

/** Where committed engine results live: <repo>/bench/results/engine-<make>.json, one per CPU make. */
export function defaultEngineResultPath(): string {
  return fileURLToPath(new URL(`../../../bench/results/engine-${cpuMake()}.json`, import.meta.url));
}
