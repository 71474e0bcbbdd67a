// LockCosts: what contention costs, in ns, taken from the cost profile (docs/kernel-model.md
// sections 7 and 8: two threads punching one file get LESS total throughput than one, 0.52 us
// -> 2.16 us per punch, which FIFO queueing alone cannot produce; a contended sleeping lock
// pays a schedule-out and a wake-up). All default to 0 (pure queueing) except the rwsem
// hand-off timeout, which is a kernel constant rather than a cost.

export interface LockCosts {
  /** Schedule-out of a contended sleeping-lock waiter (CPU time it burns before it is off CPU). */
  sleep_ns: number;
  /** Wake-up to running: delay from a waker's wake_up_q to the woken waiter running (off CPU). */
  wakeup_ns: number;
  /** Lock-word cache-line transfer on a contended hand-off to a spinning waiter. */
  cacheline_ns: number;
  /** Granularity of optimistic spinning (mutex, rwsem writers): a spinner sees the release one poll later. */
  spin_poll_ns: number;
  /** Fixed cost of an SRCU grace period (synchronize_srcu returns no earlier than start + this). */
  srcu_gp_ns: number;
  /** RWSEM_WAIT_TIMEOUT: a first waiter older than this sets HANDOFF (kernel: HZ/250 jiffies = 4 ms at HZ=1000). */
  rwsem_wait_timeout_ns: number;
  /**
   * One jiffy (1e9 / CONFIG_HZ). When set, RWSEM_WAIT_TIMEOUT is counted in whole jiffies as the
   * kernel does (time_after(jiffies, waiter->timeout): 4-8 ms at HZ=250), and spinning waiters
   * meet the scheduler tick (tick_resched_ppm). 0: continuous time, no tick.
   */
  tick_ns: number;
  /**
   * Chance, in parts per million, that a tick on a spinning waiter's CPU sets need_resched there
   * (a kernel thread woken by the tick: RCU, kworkers, or any other runnable task), which ends its
   * optimistic spin (rwsem_spin_on_owner checks need_resched()) and makes it sleep. It depends on
   * what else runs on the host: 0 on an idle one.
   */
  tick_resched_ppm: number;
  /**
   * Spread of the wake-up latency: when set, an off-CPU waiter runs wakeup_ns plus an
   * exponential draw of this mean after its wake-up (stream `lock/wakeup/<process>`), so a woken
   * waiter's retry does not land at one fixed point of the lock owner's cycle. 0: every wake-up
   * takes exactly wakeup_ns and nothing is drawn.
   */
  wakeup_spread_ns: number;
}

export const DEFAULT_LOCK_COSTS: Readonly<LockCosts> = Object.freeze({
  sleep_ns: 0,
  wakeup_ns: 0,
  cacheline_ns: 0,
  spin_poll_ns: 0,
  srcu_gp_ns: 0,
  rwsem_wait_timeout_ns: 4_000_000,
  tick_ns: 0,
  tick_resched_ppm: 0,
  wakeup_spread_ns: 0,
});

/** Fill defaults and check every field is a non-negative safe integer. */
export function resolveLockCosts(c?: Partial<LockCosts>): LockCosts {
  const out: LockCosts = { ...DEFAULT_LOCK_COSTS, ...(c ?? {}) };
  if (out.tick_resched_ppm > 1_000_000) throw new RangeError(`lockCosts.tick_resched_ppm must be at most 1000000 (parts per million), got ${out.tick_resched_ppm}`);
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw new RangeError(`lockCosts.${k} must be a non-negative integer (ns), got ${String(v)}`);
  }
  return out;
}
