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
// The lock is held for one punch at a time, so in completion order each punch's share of the
// lock is end - max(start, previous end): the time from when the lock could first pass to it
// until its return. A hand-over is a punch whose previous completion was the other thread's;
// its share then also holds what moving the lock to the other CPU costs (the waiter's wake-up,
// and the lines of shared state the previous owner's CPU last wrote).
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
  /** Punches whose previous completion was the other thread's (the lock changed threads). */
  handovers: number;
  /** Median share of the lock (end - max(start, previous end)) of a punch that followed its own thread's. */
  continuation_lock_ns: number;
  /** The same for hand-overs (null when the lock never changed threads, as with one thread). */
  handover_lock_ns: number | null;
  /** handover_lock_ns - continuation_lock_ns: what a hand-over costs beyond a punch (null without hand-overs). */
  handover_extra_ns: number | null;
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
  const median = medianOf(lat);
  const first = byStart[0]!.startNs;
  const last = Math.max(...byStart.map((x) => x.endNs));
  let alternating = 0;
  for (let i = 1; i + 1 < n; i++) {
    const t = byStart[i]!.thread;
    if (byStart[i - 1]!.thread !== t && byStart[i + 1]!.thread !== t) alternating++;
  }
  let runs = 1;
  for (let i = 1; i < n; i++) if (byStart[i]!.thread !== byStart[i - 1]!.thread) runs++;
  const { continuation, handover } = lockShares(p.punches);
  const contMedian = continuation.length > 0 ? medianOf(continuation) : median;
  const handMedian = handover.length > 0 ? medianOf(handover) : null;
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
    handovers: handover.length,
    continuation_lock_ns: contMedian,
    handover_lock_ns: handMedian,
    handover_extra_ns: handMedian === null ? null : handMedian - contMedian,
  };
}

/**
 * Each punch's share of the lock in completion order, split by whether the lock changed threads
 * before it (the first punch has no predecessor and is left out). Punches that took `maxLatencyNs`
 * or longer are left out of both lists (still the predecessor of the next): a waiter that slept
 * through a run of the other thread's and then waited for a CPU to run on has a share of
 * scheduling delay, not of the hand-over.
 */
export function lockShares(punches: readonly Punch[], maxLatencyNs = Infinity): { continuation: number[]; handover: number[] } {
  const byEnd = [...punches].sort((a, b) => a.endNs - b.endNs || a.thread - b.thread);
  const continuation: number[] = [];
  const handover: number[] = [];
  for (let i = 1; i < byEnd.length; i++) {
    const prev = byEnd[i - 1]!;
    const cur = byEnd[i]!;
    if (cur.endNs - cur.startNs >= maxLatencyNs) continue;
    const share = cur.endNs - Math.max(cur.startNs, prev.endNs);
    (cur.thread === prev.thread ? continuation : handover).push(share);
  }
  return { continuation, handover };
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
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
  /** Per pass, what a hand-over of the lock cost beyond a punch (two threads; null in a pass without hand-overs). */
  handover_extra_ns_by_pass: (number | null)[];
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
    handover_extra_ns_by_pass: passes.map((p) => p.two.handover_extra_ns),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * A two-thread pass took turns when half its punches or more had the other thread's punches on
 * both sides in start order (PassSummary.alternating_share; the probe keeps it in the row's
 * params): idle 4 KiB passes on the AMD EPYC host read 0.83-0.98, a pass whose threads ran one
 * after the other on one CPU or in runs of stealing near 0.
 */
export const TURN_TAKING_MIN_SHARE = 0.5;

/**
 * Without the share (recordings before 2026-12-05): when its median punch is at least this many
 * times the one-thread run right before it. Turn-taking puts a punch at 2 x (lone - outside the
 * lock + hand-off), 1.5-2.1x at 4 KiB on the AMD EPYC host idle; a pass whose threads ran one
 * after the other 1.0-1.2x idle, to 1.31x under load (a pass that took turns for part of its
 * punches). Against its own pass's lone run: under load the lone punch moved 1.56-2.34 us from
 * pass to pass (2026-12-04 23:58, load 9-13).
 */
export const TURN_TAKING_MIN_RATIO = 1.3;

export interface AlternationPass {
  loneNs: number;
  pairedNs: number;
  alternatingShare?: number;
}

/** Whether a two-thread pass took turns (TURN_TAKING_MIN_SHARE, else TURN_TAKING_MIN_RATIO). */
export function tookTurns(p: AlternationPass): boolean {
  return p.alternatingShare !== undefined ? p.alternatingShare >= TURN_TAKING_MIN_SHARE : p.pairedNs >= TURN_TAKING_MIN_RATIO * p.loneNs;
}

export interface AlternationInput {
  /** Per probe pass: one thread's median punch and two threads' (ns), and the two-thread pass's alternating share when recorded. */
  passes: AlternationPass[];
  /** User-space time between one thread's punches (ns). */
  gapNs: number;
  /** What passing the lock to a spinner costs: lock.spin_poll_ns + lock.cacheline_ns. */
  handoffNs: number;
  /** host.fallocate_syscall_ns. */
  syscallNs: number;
}

export interface AlternationShares {
  /** The passes that took turns (tookTurns), whose median net is used. */
  turnTaking: AlternationPass[];
  /** Per pass that took turns: lone punch less syscall less the hold that alternates. */
  netNs: number[];
  /** The median net when positive: what runs after the lock. */
  afterUnlockNs: number;
  /** Minus the median net when negative: the contended refill. */
  refillNs: number;
}

/**
 * Where a lone 4 KiB punch's time goes, from passes where two threads took turns on the file's
 * lock (rwsem_down_write_slowpath -> rwsem_optimistic_spin: the waiter spins and takes the lock
 * at its release). Each thread's cycle is then two holds and two hand-offs, so a punch reads
 * 2 x (hold + hand-off) - gap and the hold that alternates is (paired + gap) / 2 - hand-off; the
 * lone punch is that hold plus what runs outside the lock. Outside, beyond the syscall, is
 * what a refused call skips (vfs_fallocate's checks and tail, guest_memfd's file_modified:
 * sim/model/sys-fallocate.ts vfs_fallocate_exit); a hold longer than the lone call's is what the
 * lock's move to the other CPU costs (the contended refill). The rows give their difference:
 * positive, the call has that much more outside the lock; negative, the hand-over costs that
 * much. Null when no pass took turns.
 */
export function alternationShares(x: AlternationInput): AlternationShares | null {
  const turnTaking = x.passes.filter(tookTurns);
  if (turnTaking.length === 0) return null;
  const netNs = turnTaking.map((p) => p.loneNs - Math.min(x.syscallNs, p.loneNs) - ((p.pairedNs + x.gapNs) / 2 - x.handoffNs));
  const net = quantileSorted([...netNs].sort((a, b) => a - b), 0.5);
  return { turnTaking, netNs, afterUnlockNs: Math.max(0, net), refillNs: Math.max(0, -net) };
}

/** A stretch of a two-thread pass in which the threads took turns at the lock. */
export interface TurnBlock {
  startNs: number;
  endNs: number;
  punches: number;
  /** Whether a wait of `longWaitNs` or more (a run of stealing ended by HANDOFF) came right before. */
  afterHandoff: boolean;
}

/**
 * The stretches of turn-taking in a two-thread pass (punches in start order): maximal runs of
 * `minPunches` or more punches, each by the other thread than the one before and none waiting
 * `longWaitNs` or more. One ends when a tick sets need_resched on the spinning waiter's CPU
 * (rwsem_spin_on_owner), which then sleeps and is robbed until RWSEM_WAIT_TIMEOUT; one that
 * follows such a wait starts when the waiter, retrying after the jiffy of its timeout, set
 * HANDOFF (rwsem_try_write_lock: time_after(jiffies, waiter->timeout)), so just after a tick:
 * on the kernel such blocks last one tick or two, not any length.
 */
export function turnBlocks(punches: readonly Punch[], longWaitNs: number, minPunches = 8): TurnBlock[] {
  const p = [...punches].sort((a, b) => a.startNs - b.startNs);
  const out: TurnBlock[] = [];
  let first = -1;
  const waitEnds = p.filter((x) => x.endNs - x.startNs >= longWaitNs).map((x) => x.endNs);
  const close = (last: number) => {
    if (first >= 0 && last - first + 1 >= minPunches) {
      // The waiter that got the lock by HANDOFF ends its wait as the block's first punch or two begin.
      const near = 2 * Math.max(p[first].endNs - p[first].startNs, p[first + 1].endNs - p[first + 1].startNs);
      const afterHandoff = waitEnds.some((e) => Math.abs(e - p[first].startNs) <= near);
      out.push({ startNs: p[first].startNs, endNs: p[last].endNs, punches: last - first + 1, afterHandoff });
    }
    first = -1;
  };
  for (let i = 0; i < p.length; i++) {
    const long = p[i].endNs - p[i].startNs >= longWaitNs;
    if (long) { close(i - 1); continue; }
    if (first < 0) { first = i; continue; }
    if (p[i].thread === p[i - 1].thread) { close(i - 1); first = i; }
  }
  close(p.length - 1);
  return out;
}
