// What starts a run of lock stealing between two punchers, read from a tracefs trace of one
// two-punchers.c pass (trace-stealing.sh). A run starts when the waiting writer leaves
// rwsem_optimistic_spin and sleeps in rwsem_down_write_slowpath, which emits
// lock:contention_begin (flags=WRITE) on the per-file rwsem; it ends at the matching
// lock:contention_end. For each such sleep the trace says why the spin ended:
// - `need_resched`: the contention_begin line carries the N flag (TIF_NEED_RESCHED set on the
//   waiter's own CPU); the cause is the last task woken onto that CPU before it, and the task
//   switched in when the waiter sleeps;
// - `owner_off_cpu`: the owner (the other probe thread) was switched out before the waiter slept;
// - `other`: neither (e.g. the spin's own limits).
// It also counts, per pass, every wake-up of a non-probe task (by kind: rcu_preempt, ksoftirqd,
// kworker, ...) per second and per page freed, and the ticks and RCU softirqs that ran.
import { parseProbeOutput } from './two-punchers-analysis.js';

export interface TraceEvent {
  comm: string;
  pid: number;
  cpu: number;
  /** The irq/preempt flags field, e.g. `dN.2.` */
  flags: string;
  ns: number;
  name: string;
  args: string;
}

const LINE = /^\s*(.+)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+(\d+)\.(\d+):\s+(\w+):\s?(.*)$/;

/** Parse tracefs `trace` text (trace_clock=mono: seconds.microseconds). */
export function parseTrace(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const l of text.split('\n')) {
    if (l.startsWith('#')) continue;
    const m = LINE.exec(l);
    if (!m) continue;
    const frac = m[6]!.padEnd(9, '0').slice(0, 9);
    out.push({ comm: m[1]!.trim(), pid: Number(m[2]), cpu: Number(m[3]), flags: m[4]!, ns: Number(m[5]) * 1e9 + Number(frac), name: m[7]!, args: m[8]! });
  }
  return out;
}

/** ksoftirqd/1 -> ksoftirqd, kworker/0:1H -> kworker, migration/0 -> migration, <idle>/swapper -> idle. */
export function taskKind(comm: string): string {
  if (comm === '<idle>' || comm.startsWith('swapper')) return 'idle';
  const base = comm.split('/')[0]!;
  return base;
}

function arg(args: string, key: string): string | undefined {
  const m = new RegExp(`\\b${key}=(\\S+)`).exec(args);
  return m?.[1];
}

export interface SleepStart {
  /** ns from the first punch's start */
  at_ns: number;
  cpu: number;
  wait_ns: number;
  cause: 'need_resched' | 'owner_off_cpu' | 'other';
  /** The task woken onto the waiter's CPU last before the sleep (need_resched), or the one that replaced the owner. */
  by: string;
  /** What the woken task was woken from: the softirq/irq the waking ran in, or the waking task. */
  woken_in: string;
  /** What the waiter's CPU switched to when the waiter slept. */
  switched_to: string;
  /** ns since the last local timer tick on the waiter's CPU. */
  since_tick_ns: number;
  /** Times the waiter was woken during this sleep and ran (each a retry of rwsem_try_write_lock). */
  retries: number;
}

export interface TracePassSummary {
  backend: string;
  len_bytes: number;
  punches: number;
  pages_freed: number;
  duration_ns: number;
  pages_freed_per_s: number;
  /** Every sleep of a waiting punch thread on the file's rwsem. */
  writer_sleeps: number;
  /** Those over 4 ms: the waits that end a run of stealing at the HANDOFF. */
  waits_over_4ms: number;
  causes: Record<string, number>;
  causes_over_4ms: Record<string, number>;
  /** Wake-ups of non-probe tasks on either CPU during the pass, by kind. */
  wakeups: Record<string, number>;
  wakeups_per_s: Record<string, number>;
  wakeups_per_mpage: Record<string, number>;
  ticks_per_s: number;
  rcu_softirqs_per_s: number;
  /** Waking of a punch thread (sched_waking) to its switch-in, ns, every one in the pass. */
  wake_latencies_ns: number[];
  sleeps: SleepStart[];
}

/** Summarise one traced pass: probe output text plus trace text. */
export function analyseTracedPass(probeText: string, traceText: string): TracePassSummary {
  const pass = parseProbeOutput(probeText);
  const header = probeText.split('\n').find((l) => l.startsWith('#'))!;
  const bm = /\bbase_mono_ns=(\d+)/.exec(header);
  if (!bm) throw new Error('two-punchers output lacks base_mono_ns= (rebuild bench/kernel-probe/two-punchers.c)');
  const base = Number(bm[1]);
  const endRel = Math.max(...pass.punches.map((p) => p.endNs));
  const t0 = base;
  const t1 = base + endRel;
  const ev = parseTrace(traceText);
  // probe threads: the tasks named like the binary that took the rwsem for write
  const writeLocks = new Map<string, number>();
  for (const e of ev) if (e.name === 'contention_begin' && /flags=WRITE/.test(e.args)) {
    const a = e.args.split(' ')[0]!;
    writeLocks.set(a, (writeLocks.get(a) ?? 0) + 1);
  }
  const probeComm = 'two-punchers';
  // the punch threads: the two newest tasks of the binary (the main thread, older, sits in pthread_join)
  const probePids = new Set([...new Set(ev.filter((e) => e.comm === probeComm && e.ns >= t0 && e.ns <= t1).map((e) => e.pid))].sort((a, b) => a - b).slice(-pass.threads));
  const lockAddr = [...writeLocks.entries()].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])[0]?.[0];
  const lastTick = new Map<number, number>();
  const lastWoken = new Map<number, { kind: string; in: string; ns: number }>();
  const cpuOf = new Map<number, number>(); // probe pid -> cpu it last ran on
  const offCpuBy = new Map<number, { kind: string; ns: number } | null>(); // probe pid -> who replaced it while preempted
  const inSoftirq = new Map<number, string>();
  const open = new Map<number, SleepStart>();
  const sleeps: SleepStart[] = [];
  const wakeups: Record<string, number> = {};
  const wakingAt = new Map<number, number>();
  const wakeLat: number[] = [];
  let ticks = 0;
  let rcu = 0;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i]!;
    const inPass = e.ns >= t0 && e.ns <= t1;
    if (e.name === 'local_timer_entry') {
      lastTick.set(e.cpu, e.ns);
      if (inPass) ticks++;
    } else if (e.name === 'softirq_entry') {
      const act = /action=(\w+)/.exec(e.args)?.[1] ?? '?';
      inSoftirq.set(e.cpu, act);
      if (inPass && act === 'RCU') rcu++;
    } else if (e.name === 'softirq_exit') {
      inSoftirq.delete(e.cpu);
    } else if (e.name === 'sched_waking') {
      const pid = Number(arg(e.args, 'pid'));
      if (probePids.has(pid) && !wakingAt.has(pid)) wakingAt.set(pid, e.ns);
    } else if (e.name === 'sched_wakeup') {
      const comm = arg(e.args, 'comm') ?? '?';
      const kind = taskKind(comm);
      const target = Number(arg(e.args, 'target_cpu'));
      if (kind === probeComm || kind === 'idle') continue;
      if (inPass) wakeups[kind] = (wakeups[kind] ?? 0) + 1;
      // where the waking ran: a softirq on that CPU, an irq (h flag), or a task
      const where = inSoftirq.has(e.cpu) ? `softirq ${inSoftirq.get(e.cpu)}` : e.flags.includes('h') ? 'hardirq' : `task ${taskKind(e.comm)}`;
      lastWoken.set(target, { kind, in: where, ns: e.ns });
    } else if (e.name === 'sched_switch') {
      const prevPid = Number(arg(e.args, 'prev_pid'));
      const nextPid = Number(arg(e.args, 'next_pid'));
      const nextKind = taskKind(arg(e.args, 'next_comm') ?? '?');
      const prevState = arg(e.args, 'prev_state') ?? '?';
      if (probePids.has(nextPid)) {
        const w = wakingAt.get(nextPid);
        if (w !== undefined && inPass) wakeLat.push(e.ns - w);
        wakingAt.delete(nextPid);
        const so = open.get(nextPid);
        if (so) so.retries++;
        cpuOf.set(nextPid, e.cpu);
        offCpuBy.set(nextPid, null);
      }
      if (probePids.has(prevPid)) offCpuBy.set(prevPid, { kind: prevState.startsWith('R') ? nextKind : `slept (${prevState})`, ns: e.ns });
      const s = open.get(prevPid);
      if (s && s.switched_to === '') s.switched_to = nextKind;
    } else if (e.name === 'contention_begin' && probePids.has(e.pid) && e.args.startsWith(lockAddr ?? '\u0000') && /WRITE/.test(e.args)) {
      const owner = [...probePids].find((p) => p !== e.pid && cpuOf.has(p));
      const off = owner !== undefined ? offCpuBy.get(owner) : undefined;
      const w = lastWoken.get(e.cpu);
      let cause: SleepStart['cause'] = 'other';
      let by = '';
      let wokenIn = '';
      if (e.flags.includes('N')) {
        cause = 'need_resched';
        by = w ? w.kind : '?';
        wokenIn = w ? w.in : '?';
      } else if (off) {
        cause = 'owner_off_cpu';
        by = off.kind;
      }
      const s: SleepStart = { at_ns: e.ns - base, cpu: e.cpu, wait_ns: 0, cause, by, woken_in: wokenIn, switched_to: '', since_tick_ns: e.ns - (lastTick.get(e.cpu) ?? e.ns), retries: 0 };
      open.set(e.pid, s);
    } else if (e.name === 'contention_end' && open.has(e.pid) && e.args.startsWith(lockAddr ?? '\u0000')) {
      const s = open.get(e.pid)!;
      open.delete(e.pid);
      s.wait_ns = e.ns - base - s.at_ns;
      if (s.at_ns >= 0 && s.at_ns <= endRel) sleeps.push(s);
    }
  }
  const dur = endRel;
  const pages = (pass.punches.length * pass.lenBytes) / 4096;
  const key = (s: SleepStart): string => (s.cause === 'other' ? 'other' : `${s.cause}: ${s.by}${s.woken_in ? ` (woken in ${s.woken_in})` : ''}`);
  const tally = (xs: SleepStart[]): Record<string, number> => {
    const r: Record<string, number> = {};
    for (const s of xs) r[key(s)] = (r[key(s)] ?? 0) + 1;
    return Object.fromEntries(Object.entries(r).sort((a, b) => b[1] - a[1]));
  };
  const per = (d: number): Record<string, number> => Object.fromEntries(Object.entries(wakeups).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / d) * 10) / 10]));
  return {
    backend: pass.backend,
    len_bytes: pass.lenBytes,
    punches: pass.punches.length,
    pages_freed: pages,
    duration_ns: dur,
    pages_freed_per_s: Math.round(pages / (dur / 1e9)),
    writer_sleeps: sleeps.length,
    waits_over_4ms: sleeps.filter((s) => s.wait_ns >= 4e6).length,
    causes: tally(sleeps),
    causes_over_4ms: tally(sleeps.filter((s) => s.wait_ns >= 4e6)),
    wakeups: Object.fromEntries(Object.entries(wakeups).sort((a, b) => b[1] - a[1])),
    wakeups_per_s: per(dur / 1e9),
    wakeups_per_mpage: per(pages / 1e6),
    ticks_per_s: Math.round(ticks / (dur / 1e9)),
    rcu_softirqs_per_s: Math.round(rcu / (dur / 1e9)),
    wake_latencies_ns: wakeLat,
    sleeps,
  };
}
