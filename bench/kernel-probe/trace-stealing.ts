// Summarise the traced passes written by trace-stealing.sh: per pass, what made each waiting
// punch thread stop spinning and sleep on the file's rwsem (the start of a run of lock stealing),
// and how often non-probe tasks were woken, per second and per million pages freed; then per
// backend and size, the sums over passes. Writes bench/results/kernel-probe-trace-stealing.json.
// usage: node dist/bench/kernel-probe/trace-stealing.js RAW_DIR [--out FILE] [--no-write]
import { readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../sim/output/atomic-write.js';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { quantile } from 'simple-statistics';
import { machineInfo } from '../engine/machine.js';
import { analyseTracedPass, type TracePassSummary } from '../../sim/calibrate/trace-stealing-analysis.js';

interface Group {
  backend: string;
  len_bytes: number;
  passes: number;
  punches: number;
  pages_freed: number;
  duration_ns: number;
  pages_freed_per_s: number;
  writer_sleeps: number;
  writer_sleeps_per_s: number;
  writer_sleeps_per_mpage: number;
  waits_over_4ms: number;
  causes: Record<string, number>;
  causes_over_4ms: Record<string, number>;
  wakeups_per_s: Record<string, number>;
  wakeups_per_mpage: Record<string, number>;
  ticks_per_s: number;
  rcu_softirqs_per_s: number;
  /** Writer sleeps per second of the time the lock was not in a long (>= 4 ms) wait: the trigger's rate while the threads take turns. */
  writer_sleeps_per_s_outside_long_waits: number;
  /** Writer sleeps per tick per CPU, the same time base. */
  writer_sleeps_per_cpu_tick: number;
  /** Writer sleeps per tick of the one CPU that spins at any time while the threads take turns (lock.tick_resched_ppm's meaning). */
  writer_sleeps_per_spinner_tick: number;
  wait_after_sleep_ns: { median: number; p90: number; max: number };
  /** Retries (wake-ups that found the lock taken) per sleep, and the share of all retries that got the lock. */
  retries_per_sleep: number;
  retry_success_share: number;
  /** Waking of a punch thread to its switch-in (the waiter's wake-up latency on this host). */
  wake_latency_ns: { n: number; median: number; p10: number; p90: number };
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}
const sorted = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).sort((a, b) => b[1] - a[1]));
const r1 = (x: number): number => Math.round(x * 10) / 10;

export function groupPasses(passes: TracePassSummary[]): Group[] {
  const keys = [...new Set(passes.map((p) => `${p.backend} ${p.len_bytes}`))];
  return keys.map((k) => {
    const ps = passes.filter((p) => `${p.backend} ${p.len_bytes}` === k);
    const causes: Record<string, number> = {};
    const causes4: Record<string, number> = {};
    const wk: Record<string, number> = {};
    let ticks = 0;
    let rcu = 0;
    for (const p of ps) {
      add(causes, p.causes);
      add(causes4, p.causes_over_4ms);
      add(wk, p.wakeups);
      ticks += (p.ticks_per_s * p.duration_ns) / 1e9;
      rcu += (p.rcu_softirqs_per_s * p.duration_ns) / 1e9;
    }
    const dur = ps.reduce((a, p) => a + p.duration_ns, 0);
    const pages = ps.reduce((a, p) => a + p.pages_freed, 0);
    const sleeps = ps.reduce((a, p) => a + p.writer_sleeps, 0);
    const all = ps.flatMap((p) => p.sleeps);
    const waits = all.map((x) => x.wait_ns);
    const longNs = all.filter((x) => x.wait_ns >= 4e6).reduce((a, x) => a + x.wait_ns, 0);
    const lat = ps.flatMap((p) => p.wake_latencies_ns);
    const retries = all.reduce((a, x) => a + x.retries, 0);
    const q = (xs: number[], f: number): number => (xs.length ? Math.round(quantile(xs, f)) : 0);
    const tickNs = ps[0]!.ticks_per_s > 0 ? 2e9 / ps[0]!.ticks_per_s : 4e6;
    return {
      backend: ps[0]!.backend,
      len_bytes: ps[0]!.len_bytes,
      passes: ps.length,
      punches: ps.reduce((a, p) => a + p.punches, 0),
      pages_freed: pages,
      duration_ns: dur,
      pages_freed_per_s: Math.round(pages / (dur / 1e9)),
      writer_sleeps: sleeps,
      writer_sleeps_per_s: r1(sleeps / (dur / 1e9)),
      writer_sleeps_per_mpage: r1(sleeps / (pages / 1e6)),
      waits_over_4ms: ps.reduce((a, p) => a + p.waits_over_4ms, 0),
      causes: sorted(causes),
      causes_over_4ms: sorted(causes4),
      wakeups_per_s: Object.fromEntries(Object.entries(sorted(wk)).map(([k, v]) => [k, r1(v / (dur / 1e9))])),
      wakeups_per_mpage: Object.fromEntries(Object.entries(sorted(wk)).map(([k, v]) => [k, r1(v / (pages / 1e6))])),
      ticks_per_s: Math.round(ticks / (dur / 1e9)),
      rcu_softirqs_per_s: Math.round(rcu / (dur / 1e9)),
      writer_sleeps_per_s_outside_long_waits: r1(sleeps / ((dur - longNs) / 1e9)),
      writer_sleeps_per_cpu_tick: Math.round((sleeps / ((2 * (dur - longNs)) / tickNs)) * 1000) / 1000,
      writer_sleeps_per_spinner_tick: Math.round((sleeps / ((dur - longNs) / tickNs)) * 1000) / 1000,
      wait_after_sleep_ns: { median: q(waits, 0.5), p90: q(waits, 0.9), max: waits.length ? Math.max(...waits) : 0 },
      retries_per_sleep: r1(retries / Math.max(1, sleeps)),
      retry_success_share: Math.round((sleeps / Math.max(1, retries)) * 1000) / 1000,
      wake_latency_ns: { n: lat.length, median: q(lat, 0.5), p10: q(lat, 0.1), p90: q(lat, 0.9) },
    };
  });
}

function main(argv: string[]): void {
  const dir = argv[0];
  if (!dir || dir.startsWith('-')) {
    process.stderr.write('usage: trace-stealing.js RAW_DIR [--out FILE] [--no-write]\n');
    process.exit(2);
  }
  const oi = argv.indexOf('--out');
  const out = oi >= 0 ? argv[oi + 1]! : fileURLToPath(new URL('../../../bench/results/kernel-probe-trace-stealing.json', import.meta.url));
  const names = readdirSync(dir).filter((f) => f.endsWith('.probe.txt')).sort();
  if (names.length === 0) {
    process.stderr.write(`trace-stealing: no *.probe.txt in ${dir}\n`);
    process.exit(2);
  }
  const passes = names.map((f) => {
    const stem = f.slice(0, -'.probe.txt'.length);
    return { pass: stem, ...analyseTracedPass(readFileSync(join(dir, f), 'utf8'), readFileSync(join(dir, `${stem}.trace.txt`), 'utf8')) };
  });
  const groups = groupPasses(passes);
  const allLat = passes.flatMap((p) => p.wake_latencies_ns);
  if (allLat.length) process.stdout.write(`all rows: waiter wake-up latency median ${Math.round(quantile(allLat, 0.5))} ns (p10 ${Math.round(quantile(allLat, 0.1))}, p90 ${Math.round(quantile(allLat, 0.9))}, n ${allLat.length})\n`);
  for (const g of groups) {
    process.stdout.write(`${g.backend} ${g.len_bytes} B: ${g.passes} passes, ${(g.pages_freed_per_s / 1e6).toFixed(2)} M pages/s; writer sleeps ${g.writer_sleeps} (${g.writer_sleeps_per_s}/s, ${g.writer_sleeps_per_mpage}/M pages), ${g.waits_over_4ms} over 4 ms; ticks ${g.ticks_per_s}/s, RCU softirqs ${g.rcu_softirqs_per_s}/s\n`);
    process.stdout.write(`  while taking turns: ${g.writer_sleeps_per_s_outside_long_waits} sleeps/s = ${g.writer_sleeps_per_cpu_tick} per CPU tick, ${g.writer_sleeps_per_spinner_tick} per spinner tick; wait after a sleep median ${g.wait_after_sleep_ns.median} ns, p90 ${g.wait_after_sleep_ns.p90}, max ${g.wait_after_sleep_ns.max}; ${g.retries_per_sleep} wake-ups per sleep; waiter wake-up latency median ${g.wake_latency_ns.median} ns (p10 ${g.wake_latency_ns.p10}, p90 ${g.wake_latency_ns.p90}, n ${g.wake_latency_ns.n})\n`);
    process.stdout.write(`  sleep causes: ${JSON.stringify(g.causes)}\n  over 4 ms:    ${JSON.stringify(g.causes_over_4ms)}\n`);
    process.stdout.write(`  wake-ups/s:   ${JSON.stringify(g.wakeups_per_s)}\n  per M pages:  ${JSON.stringify(g.wakeups_per_mpage)}\n`);
  }
  if (!argv.includes('--no-write')) {
    const result = {
      schema: 'rmsim.kernel-probe.trace-stealing/1',
      date: new Date().toISOString(),
      machine: machineInfo(),
      load_average: loadavg(),
      method: 'bench/kernel-probe/trace-stealing.sh: two-punchers.c two-thread passes at nice -20 under tracefs (sched_switch/waking/wakeup, softirq, irq, local_timer_entry, IPIs, lock:contention_begin/end; trace_clock=mono), analysed by trace-stealing.ts: each writer sleep on the file rwsem (contention_begin flags=WRITE) classified by why the optimistic spin ended',
      groups,
      // every waking of a punch thread to its switch-in, all passes and rows together
      wake_latency_all_ns: (() => {
        const xs = passes.flatMap((p) => p.wake_latencies_ns);
        return { n: xs.length, median: Math.round(quantile(xs, 0.5)), p10: Math.round(quantile(xs, 0.1)), p90: Math.round(quantile(xs, 0.9)) };
      })(),
      passes: passes.map(({ wake_latencies_ns, ...p }) => ({ ...p, wake_latencies: wake_latencies_ns.length })),
    };
    writeFileAtomic(out, `${JSON.stringify(result, null, 1)}\n`);
    process.stdout.write(`wrote ${out}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
