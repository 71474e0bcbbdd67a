// One group of the engine benchmark's tasks, timed in one process: (a) with its ceilings, or (b)
// with its floor. run.ts starts each group in a child process of its own (this file is also that
// child's entry point), so a group's code is compiled from its own workload's type feedback and
// never collects another group's garbage. Within a group, trials are interleaved as the issue
// asks ((a) beside its ceiling), after untimed warm-up passes.
//
// No forced GC before a task: a full collection between runs lets V8 drop the optimized code of
// the engine's hot functions ("weak objects": it embeds objects of the previous run) and the
// recompiled code ran 1.3-1.5x slower for the whole next run here. A single simulation never
// sees that, so the benchmark should not either; collections that happen on their own are timed.
import { Bench } from 'tinybench';
import { fileURLToPath } from 'node:url';
import { ceilingWorkload, mutexActorWorkload, mutexFloorWorkload, mutexWorkload, predraw, timeoutsActorWorkload, timeoutsWorkload } from './workloads.js';
import type { WorkloadResult } from './workloads.js';

export const GROUPS = {
  timeouts: ['ceiling', 'timeouts', 'timeouts_actor', 'ceiling_predrawn'],
  mutex: ['mutex_floor', 'mutex', 'mutex_actor'],
} as const;
export type GroupName = keyof typeof GROUPS;
export type TaskName = (typeof GROUPS)[GroupName][number];
export const TASKS: readonly TaskName[] = [...GROUPS.timeouts, ...GROUPS.mutex];

export interface GroupOptions {
  events: number;
  procs: number;
  acquisitions: number;
  trials: number;
  warmups: number;
}

export interface GroupResult {
  group: GroupName;
  /** Per task: process CPU ms of each timed trial, in trial order. */
  samples: Partial<Record<TaskName, number[]>>;
  wall: Partial<Record<TaskName, number[]>>;
  heap: Partial<Record<TaskName, number>>;
  /** Per task: simulated end time and dispatch count of its last run (to check replays). */
  ends: Partial<Record<TaskName, number>>;
  events: Partial<Record<TaskName, number>>;
}

export const cpuNowMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Run one group's tasks in this process: `warmups` untimed passes, then `trials` timed ones. */
export function runGroup(group: GroupName, o: GroupOptions, log: (line: string) => void = () => {}): GroupResult {
  const tasks = GROUPS[group] as readonly TaskName[];
  const drawn = group === 'timeouts' ? predraw(o.procs, o.events) : undefined;
  const work: Record<TaskName, () => WorkloadResult> = {
    ceiling: () => ceilingWorkload(o.procs, o.events),
    timeouts: () => timeoutsWorkload(o.procs, o.events),
    timeouts_actor: () => timeoutsActorWorkload(o.procs, o.events),
    ceiling_predrawn: () => ceilingWorkload(o.procs, o.events, 1, drawn),
    mutex: () => mutexWorkload(16, o.acquisitions),
    mutex_actor: () => mutexActorWorkload(16, o.acquisitions),
    mutex_floor: () => mutexFloorWorkload(16, o.acquisitions),
  };
  const r: GroupResult = { group, samples: {}, wall: {}, heap: {}, ends: {}, events: {} };
  for (const k of tasks) {
    r.samples[k] = [];
    r.wall[k] = [];
    r.heap[k] = 0;
  }
  for (let t = -o.warmups; t < o.trials; t++) {
    const bench = new Bench({ iterations: 1, time: 0, warmup: false, now: cpuNowMs, throws: true });
    const w0: Partial<Record<TaskName, number>> = {};
    const w1: Partial<Record<TaskName, number>> = {};
    for (const k of tasks) {
      bench.add(k, () => {
        w0[k] = performance.now();
        const res = work[k]();
        w1[k] = performance.now();
        r.heap[k] = Math.max(r.heap[k]!, res.heapUsed);
        r.ends[k] = res.endNs;
        if (res.events !== undefined) r.events[k] = res.events;
      });
    }
    bench.runSync();
    if (t < 0) continue;
    const line: string[] = [];
    for (const task of bench.tasks) {
      const res = task.result as { latency?: { samples?: number[]; mean: number } } | undefined;
      const ms = res?.latency?.samples?.[0] ?? res?.latency?.mean;
      if (ms === undefined) throw new Error(`tinybench gave no sample for ${task.name}`);
      const k = task.name as TaskName;
      r.samples[k]!.push(ms);
      r.wall[k]!.push(w1[k]! - w0[k]!);
      const n = group === 'timeouts' ? o.events : o.acquisitions;
      line.push(`${k} ${(n / ms / 1e3).toFixed(2)}`);
    }
    log(`${group} trial ${t + 1}/${o.trials}: ${line.join(', ')} M ${group === 'timeouts' ? 'events' : 'acquisitions'}/s`);
  }
  return r;
}

// As a child process: node group.js <group> '<GroupOptions as JSON>' prints a GroupResult on stdout.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const group = process.argv[2] as GroupName;
  if (!(group in GROUPS)) throw new Error(`unknown benchmark group '${group}' (expected: ${Object.keys(GROUPS).join(', ')})`);
  const o = JSON.parse(process.argv[3]) as GroupOptions;
  const res = runGroup(group, o, (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(JSON.stringify(res) + '\n');
}
