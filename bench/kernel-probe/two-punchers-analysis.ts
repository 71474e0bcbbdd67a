// What one pass of bench/kernel-probe/two-punchers.c says about the per-file lock: latency
// statistics, aggregate throughput, and which regime the two threads ran in. Two regimes show
// on this kernel (rwsem writer, kernel/locking/rwsem.c):
//  - alternation: the waiter spins on the running owner (rwsem_optimistic_spin) and takes the
//    lock at its release, so the threads take turns and each punch waits out one of the other's;
//  - runs: a waiter that stopped spinning (need_resched from a tick-woken kthread, or the owner
//    off its CPU) sleeps; the owner re-takes the free lock before the woken waiter runs (lock
//    stealing) until the waiter has waited past RWSEM_WAIT_TIMEOUT in jiffies and sets HANDOFF.
// A punch is "alternating" when the punches before and after it (by start time) belong to the
// other thread; a "run" is a maximal sequence of punches by one thread.
import { quantileSorted, mean } from 'simple-statistics';

export interface Punch {
  thread: number;
  startNs: number;
  endNs: number;
}

export interface ProbePass {
  backend: string;
  lenBytes: number;
  countPerThread: number;
  threads: number;
  punches: Punch[];
}

export interface PassSummary {
  backend: string;
  len_bytes: number;
  threads: number;
  punches: number;
  median_ns: number;
  mean_ns: number;
  p10_ns: number;
  p90_ns: number;
  p99_ns: number;
  max_ns: number;
  /** Punches per second, all threads, first start to last end. */
  ops_per_s: number;
  /** Share of punches whose neighbours in start order are both the other thread's. */
  alternating_share: number;
  /** Mean length of runs of consecutive punches by one thread. */
  mean_run: number;
  /** Share of punches within +-10% of the median: how firmly the median sits on a mode. */
  share_near_median: number;
  /** Punches that waited 4 ms or more (RWSEM_WAIT_TIMEOUT hand-off waits). */
  waits_over_4ms: number;
}

/** Parse the probe's output: a `# backend=... len=... count=... threads=...` header, then `thread start end` lines. */
export function parseProbeOutput(text: string): ProbePass {
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('#'));
  if (!header) throw new Error('two-punchers output has no "# backend=..." header line');
  const field = (k: string): string => {
    const m = new RegExp(`\\b${k}=(\\S+)`).exec(header);
    if (!m) throw new Error(`two-punchers header lacks ${k}=: ${header}`);
    return m[1]!;
  };
  const punches: Punch[] = [];
  for (const l of lines) {
    if (l.startsWith('#') || l.trim() === '') continue;
    const [t, s, e] = l.trim().split(/\s+/).map(Number);
    if (![t, s, e].every((x) => Number.isSafeInteger(x))) throw new Error(`two-punchers: bad line '${l}'`);
    punches.push({ thread: t!, startNs: s!, endNs: e! });
  }
  return {
    backend: field('backend'),
    lenBytes: Number(field('len')),
    countPerThread: Number(field('count')),
    threads: Number(field('threads')),
    punches,
  };
}

export function summarisePass(p: ProbePass): PassSummary {
  if (p.punches.length === 0) throw new Error('two-punchers pass with no punches');
  const byStart = [...p.punches].sort((a, b) => a.startNs - b.startNs || a.thread - b.thread);
  const lat = byStart.map((x) => x.endNs - x.startNs).sort((a, b) => a - b);
  const n = lat.length;
  // The probe's own convention (and section 7's): the element at floor(n/2).
  const median = lat[Math.floor(n / 2)]!;
  const first = byStart[0]!.startNs;
  const last = Math.max(...byStart.map((x) => x.endNs));
  let alternating = 0;
  for (let i = 1; i + 1 < n; i++) {
    const t = byStart[i]!.thread;
    if (byStart[i - 1]!.thread !== t && byStart[i + 1]!.thread !== t) alternating++;
  }
  let runs = 1;
  for (let i = 1; i < n; i++) if (byStart[i]!.thread !== byStart[i - 1]!.thread) runs++;
  return {
    backend: p.backend,
    len_bytes: p.lenBytes,
    threads: p.threads,
    punches: n,
    median_ns: median,
    mean_ns: Math.round(mean(lat)),
    p10_ns: quantileSorted(lat, 0.1),
    p90_ns: quantileSorted(lat, 0.9),
    p99_ns: quantileSorted(lat, 0.99),
    max_ns: lat[n - 1]!,
    ops_per_s: Math.round((n * 1e9) / (last - first)),
    alternating_share: round3(alternating / n),
    mean_run: round3(n / runs),
    share_near_median: round3(lat.filter((x) => Math.abs(x - median) <= 0.1 * median).length / n),
    waits_over_4ms: lat.filter((x) => x >= 4_000_000).length,
  };
}

export interface RowSummary {
  backend: string;
  len_bytes: number;
  passes: { one: PassSummary; two: PassSummary }[];
  /** Median over passes of each figure, and the spread of the two-thread median between passes. */
  one_median_ns: number;
  one_ops_per_s: number;
  two_median_ns: number;
  two_ops_per_s: number;
  two_median_spread: number;
  two_over_one_median: number;
  two_over_one_ops: number;
}

/** Combine passes of one (backend, size): medians over passes, and how far the passes disagree. */
export function summariseRow(passes: { one: PassSummary; two: PassSummary }[]): RowSummary {
  if (passes.length === 0) throw new Error('no passes');
  const med = (xs: number[]): number => quantileSorted([...xs].sort((a, b) => a - b), 0.5);
  const twoMedians = passes.map((p) => p.two.median_ns);
  const one = med(passes.map((p) => p.one.median_ns));
  const two = med(twoMedians);
  const oneOps = med(passes.map((p) => p.one.ops_per_s));
  const twoOps = med(passes.map((p) => p.two.ops_per_s));
  return {
    backend: passes[0]!.one.backend,
    len_bytes: passes[0]!.one.len_bytes,
    passes,
    one_median_ns: one,
    one_ops_per_s: oneOps,
    two_median_ns: two,
    two_ops_per_s: twoOps,
    two_median_spread: round3((Math.max(...twoMedians) - Math.min(...twoMedians)) / two),
    two_over_one_median: round3(two / one),
    two_over_one_ops: round3(twoOps / oneOps),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
