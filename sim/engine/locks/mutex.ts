// Mutex: follows kernel/locking/mutex.c (__mutex_lock_common, mutex_optimistic_spin, __mutex_unlock_slowpath).
//
// - Uncontended fast path: a free lock with no pending HANDOFF is taken at once, even if
//   waiters sleep (the kernel's trylock steals from a woken waiter that has not run yet).
// - Optimistic spinning (OSQ, FIFO): a contended locker spins, keeping its CPU, only while the
//   owner is on a CPU; when the owner leaves its CPU, every spinner joins the wait list and
//   sleeps. On unlock the first spinner takes the lock after spin_poll_ns + cacheline_ns.
// - Wait list: FIFO. A sleeper pays sleep_ns of schedule-out on its CPU, then leaves it.
//   A sleeper woken or handed the lock while still paying its schedule-out resumes when it
//   ends, with no wake-up cost (it never left its CPU); one already off CPU resumes wakeup_ns
//   after the wake-up and then needs a CPU (run queue).
// - Unlock with sleepers wakes the first waiter (if not already woken); it runs wakeup_ns later
//   and retries. If the lock was taken meanwhile (stolen by a spinner or a new arrival) it sets
//   HANDOFF and sleeps again as first waiter; the next unlock hands the lock straight to it,
//   and while HANDOFF is pending nobody else may take it or spin.
// - The scheduler tick (tick_ns, tick_resched_ppm; see tick-resched.ts) ends a spin when it
//   sets need_resched on the spinner's CPU: the spinner joins the wait list and sleeps.
// Left out: the first waiter's own spinning after setting HANDOFF (it sleeps instead), the
// vcpu_is_preempted() spin exit, ww_mutex, lockdep.
import type { Process, LockImpl } from '../process.js';
import { Phase } from '../process.js';
import type { Simulation } from '../simulation.js';
import { Fifo } from '../fifo.js';
import type { Gauge } from '../recorder.js';
import { ModeStats, queueGauge } from './lock-stats.js';
import { TickResched } from './tick-resched.js';
import { addOwned, beginWait, dropOwned, grant, sleepOut, wakeToRetry } from './lock-wait.js';
import type { LockOptions } from './lock-stats.js';

export class Mutex implements LockImpl {
  /** Current owner (also while the lock is in transit to a woken or spinning waiter). */
  owner: Process<any> | null = null;
  private readonly waiters = new Fifo<Process<any>>();
  private readonly spinners = new Fifo<Process<any>>();
  /** The first waiter failed after being woken: the next unlock hands the lock to it. */
  private handoff = false;
  private woken: Process<any> | null = null;
  private holdStart = 0;
  private queued = 0;
  private readonly st: ModeStats;
  private readonly qlen: Gauge;
  private readonly tick: TickResched;

  constructor(private readonly sim: Simulation, readonly name: string, opts: LockOptions = {}) {
    this.st = new ModeStats(sim, name, opts);
    this.qlen = queueGauge(sim, name, opts.labels);
    this.tick = new TickResched(sim, name, (p) => {
      if (p.lockPhase !== Phase.SPIN || p.waitLock !== this) return;
      this.spinners.remove(p);
      this.waiters.push(p);
      sleepOut(this.sim, p);
    });
  }

  /** @internal The statistics, for a batch that ran uncontended acquisitions itself (sim/actors/fault-batch.ts); idle: no owner, nobody waiting. */
  batchStats(): { stats: ModeStats; idle: boolean } {
    return { stats: this.st, idle: this.owner === null && this.queued === 0 && !this.handoff };
  }

  /** `yield m.lock(p)`: returns once p owns the mutex (mutex_lock). */
  lock(p: Process<any>): Process<any> {
    return p.acquire(this, 0);
  }

  /**
   * mutex_unlock: only the owner may unlock. Kept to a check and one call: it is inlined into
   * the process's generator or actor, whose inlining budget is mostly spent already, and then
   * makes one call (unlockOwned, with the bookkeeping inlined) instead of three.
   */
  unlock(p: Process<any>): void {
    if (this.owner !== p) this.unlockByNonOwner(p);
    this.unlockOwned(p);
  }

  private unlockOwned(p: Process<any>): void {
    this.st.released(p, this.sim.now - this.holdStart);
    dropOwned(p, this);
    this.release();
  }

  private unlockByNonOwner(p: Process<any>): never {
    throw new Error(`${p.name}: mutex_unlock(${this.name}) by non-owner (owner: ${this.owner?.name ?? 'none'})`);
  }

  acquire(p: Process<any>): boolean {
    const owner = this.owner;
    if (owner === null && !this.handoff) {
      this.owner = p;
      this.take(p, 0);
      return true;
    }
    if (owner === p) throw new Error(`${p.name}: mutex ${this.name} already held by itself (deadlock)`);
    this.st.contended.value++;
    beginWait(this.sim, p, this);
    if (!this.handoff && owner !== null && owner.onCpu === true) {
      this.spinners.push(p);
      p.lockPhase = Phase.SPIN;
      if (this.tick.on) this.tick.arm(p);
    } else {
      this.waiters.push(p);
      sleepOut(this.sim, p);
    }
    this.qlen.set(++this.queued);
    return false;
  }

  retry(p: Process<any>): boolean {
    this.woken = null;
    if (this.owner === null && !this.handoff) {
      this.waiters.remove(p);
      this.qlen.set(--this.queued);
      this.owner = p;
      this.take(p, this.sim.now - p.waitStart);
      return true;
    }
    // Stolen while we were waking: we are the first waiter; the next unlock hands off to us.
    this.handoff = true;
    sleepOut(this.sim, p);
    return false;
  }

  acquired(p: Process<any>): void {
    this.take(p, this.sim.now - p.waitStart);
  }

  private take(p: Process<any>, waitNs: number): void {
    this.st.taken(p, waitNs);
    this.holdStart = this.sim.now;
    addOwned(p, this);
  }

  /** Pass the lock on after the owner let go (or a reserved waiter was interrupted). */
  private release(): void {
    if (this.handoff) {
      this.handOff();
      return;
    }
    const s = this.spinners.shift();
    if (s !== undefined) {
      this.qlen.set(--this.queued);
      if (this.tick.on) this.tick.disarm(s);
      this.owner = s;
      grant(this.sim, s, this.sim.lockCosts.spin_poll_ns + this.sim.lockCosts.cacheline_ns);
    } else {
      this.owner = null;
    }
    if (this.waiters.length > 0 && this.woken === null) {
      this.woken = this.waiters.peek()!;
      wakeToRetry(this.sim, this.woken);
    }
  }

  /** The first waiter set HANDOFF: it gets the lock straight away (out of line: rare, and release is inlined into every unlock). */
  private handOff(): void {
    this.handoff = false;
    const w = this.waiters.shift()!;
    this.qlen.set(--this.queued);
    this.owner = w;
    grant(this.sim, w, 0);
    if (w.onCpu !== true) this.ownerOffCpu(w);
  }

  cancelWait(p: Process<any>): void {
    switch (p.lockPhase) {
      case Phase.SPIN:
        this.tick.disarm(p);
        this.spinners.remove(p);
        this.qlen.set(--this.queued);
        return;
      case Phase.SLEEPING_OUT:
      case Phase.ASLEEP:
      case Phase.WOKEN: {
        const wasFirst = this.waiters.peek() === p;
        this.waiters.remove(p);
        this.qlen.set(--this.queued);
        if (p.lockPhase === Phase.WOKEN) this.woken = null;
        if (wasFirst) this.handoff = false;
        if (this.owner === null && this.waiters.length > 0 && this.woken === null) {
          this.woken = this.waiters.peek()!;
          wakeToRetry(this.sim, this.woken);
        }
        return;
      }
      case Phase.GRANTED:
        // Reserved for p, which never ran with it: pass it on.
        this.owner = null;
        this.release();
        return;
    }
  }

  ownerOffCpu(p: Process<any>): void {
    if (this.owner !== p) return;
    for (let s = this.spinners.shift(); s !== undefined; s = this.spinners.shift()) {
      this.tick.disarm(s);
      this.waiters.push(s);
      sleepOut(this.sim, s);
    }
  }

  describeWait(p: Process<any>): string {
    const how = p.lockPhase === Phase.SPIN ? 'spinning' : 'sleeping';
    return `mutex ${this.name} (${how}; owner ${this.owner?.name ?? 'none'})`;
  }
}

