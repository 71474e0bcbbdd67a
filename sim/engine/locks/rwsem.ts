// RwSemaphore: follows kernel/locking/rwsem.c (rwsem_down_read_slowpath, rwsem_down_write_slowpath,
// rwsem_optimistic_spin, rwsem_mark_wake, rwsem_try_write_lock), as the VFS inode_lock and
// filemap_invalidate_lock.
//
// - Readers share, writers are exclusive. A reader enters at once only if no writer holds the
//   lock, no HANDOFF is pending and nobody waits or spins: a waiting writer blocks new readers.
// - A writer enters at once if the lock is free and no HANDOFF is pending (it may steal from a
//   woken waiter that has not run yet).
// - Optimistic spinning (writers only, as since 5.11): a contended writer spins on its CPU, FIFO,
//   while a writer owns the lock and is on a CPU; when that owner leaves its CPU the spinners
//   join the wait list. On release the first spinner takes the lock after spin_poll_ns +
//   cacheline_ns.
// - Everyone else joins one FIFO wait list and sleeps (sleep_ns of schedule-out, then off CPU).
//   A sleeper woken or handed the lock while still paying its schedule-out resumes when it
//   ends, with no wake-up cost (it never left its CPU); one already off CPU resumes wakeup_ns
//   after the wake-up and then needs a CPU (run queue).
// - On release (rwsem_wake / rwsem_mark_wake):
//   * if the first waiter is a reader and has waited RWSEM_WAIT_TIMEOUT (rwsem_wait_timeout_ns, 4 ms; with
//     tick_ns set, counted in jiffies from when it queued: time_after(jiffies, waiter->timeout))
//     HANDOFF is set: from then on nobody may steal or spin, and the lock goes to the first
//     waiter(s);
//   * else a spinner gets it, and a writer at the head of the wait list is woken to retry;
//   * else a writer at the head is woken (wakeup_ns) and retries; if robbed meanwhile it sleeps
//     again, unless it has waited RWSEM_WAIT_TIMEOUT: then it sets HANDOFF and spins on the
//     owner while that runs (rwsem_down_write_slowpath: `if (waiter.handoff_set)
//     rwsem_spin_on_owner`), taking the lock at its release without a wake-up;
//   * a reader at the head: the waker grants the lock to every queued reader (up to 256,
//     skipping writers, as rwsem_mark_wake does), each resuming wakeup_ns later.
// - The scheduler tick (tick_ns, tick_resched_ppm): at each tick on a spinning waiter's CPU,
//   need_resched is set with the given chance (a tick-woken kthread or other runnable task);
//   rwsem_spin_on_owner sees it and the spinner queues and sleeps. This is what turns strict
//   turn-taking into runs of lock stealing on a busy host (bench/kernel-probe/README.md).
// Left out: reader spinning (removed in 5.11), reader stealing while reader-owned, the
// writer's bounded spin on a reader-owned lock, the non-spinnable owner bits.
import type { Process, LockImpl } from '../process.js';
import { Phase } from '../process.js';
import { TickResched } from './tick-resched.js';
import type { Simulation } from '../simulation.js';
import { Fifo } from '../fifo.js';
import type { Gauge } from '../recorder.js';
import { ModeStats, queueGauge, ReadHolders } from './lock-stats.js';
import type { LockOptions } from './lock-stats.js';
import { addOwned, beginWait, dropOwned, grant, sleepOut, wakeToRetry } from './lock-wait.js';

/** Lock modes (`const enum`: written as numbers at each use, see Layout in histogram.ts). */
const enum Mode {
  READ = 0,
  WRITE = 1,
}
/** MAX_READERS_WAKEUP in rwsem.c. */
const MAX_READERS_WAKEUP = 256;

export class RwSemaphore implements LockImpl {
  /** Write owner (also while the lock is in transit to it). */
  writer: Process<any> | null = null;
  /** Read holders, including readers granted but not yet running. */
  readers = 0;
  private readonly waiters = new Fifo<Process<any>>();
  private readonly spinners = new Fifo<Process<any>>();
  private handoff = false;
  private woken: Process<any> | null = null;
  /** The first waiter that set HANDOFF and spins on the running owner (it stays in `waiters`). */
  private handoffSpinner: Process<any> | null = null;
  /** When each waiter joined the wait list (waiter->timeout is counted from there). */
  private readonly queuedAt = new Map<Process<any>, number>();
  private readonly tick: TickResched;
  private writeStart = 0;
  private readonly readHolders: ReadHolders;
  private readonly rd: ModeStats;
  private readonly wr: ModeStats;
  private readonly qlen: Gauge;

  constructor(private readonly sim: Simulation, readonly name: string, opts: LockOptions = {}) {
    this.readHolders = new ReadHolders(sim);
    this.rd = new ModeStats(sim, name, opts, 'read');
    this.wr = new ModeStats(sim, name, opts, 'write');
    this.qlen = queueGauge(sim, name, opts.labels);
    this.tick = new TickResched(sim, name, (p) => this.tickResched(p));
  }

  /** `yield s.downRead(p)` (down_read). */
  downRead(p: Process<any>): Process<any> {
    return p.acquire(this, Mode.READ);
  }

  /** `yield s.downWrite(p)` (down_write). */
  downWrite(p: Process<any>): Process<any> {
    return p.acquire(this, Mode.WRITE);
  }

  upRead(p: Process<any>): void {
    this.rd.readReleased(p, this.readHolders, 'up_read');
    this.readers--;
    if (this.readers === 0) this.release();
  }

  upWrite(p: Process<any>): void {
    if (this.writer !== p) throw new Error(`${p.name}: up_write(${this.name}) by non-owner (writer: ${this.writer?.name ?? 'none'})`);
    this.wr.released(p, this.sim.now - this.writeStart);
    dropOwned(p, this);
    this.writer = null;
    this.release();
  }

  acquire(p: Process<any>, mode: number): boolean {
    p.lockMode = mode;
    const w = this.writer;
    if (w === p) throw new Error(`${p.name}: rwsem ${this.name} already write-held by itself (deadlock)`);
    if (w === null && !this.handoff) {
      if (mode === Mode.READ ? this.waiters.length === 0 : this.readers === 0) {
        if (mode === Mode.READ) this.readers++;
        else this.writer = p;
        this.take(p, mode, 0);
        return true;
      }
    }
    (mode === Mode.READ ? this.rd : this.wr).contended.value++;
    beginWait(this.sim, p, this);
    if (mode === Mode.WRITE && !this.handoff && w !== null && w.onCpu === true) {
      this.spinners.push(p);
      p.lockPhase = Phase.SPIN;
      this.tick.arm(p);
    } else {
      this.enqueue(p);
      sleepOut(this.sim, p);
    }
    this.qlen.set(this.waiters.length + this.spinners.length);
    return false;
  }

  /** A woken writer at the head retries (rwsem_try_write_lock). */
  retry(p: Process<any>): boolean {
    this.woken = null;
    if (this.writer === null && this.readers === 0) {
      this.waiters.remove(p);
      this.qlen.set(this.waiters.length + this.spinners.length);
      this.handoff = false;
      this.writer = p;
      this.take(p, Mode.WRITE, this.sim.now - p.waitStart);
      return true;
    }
    if (this.timedOut(p)) this.handoff = true;
    const w = this.writer;
    if (this.handoff && this.waiters.peek() === p && w !== null && w.onCpu === true) {
      p.lockPhase = Phase.SPIN;
      this.handoffSpinner = p;
      this.tick.arm(p);
      return false;
    }
    sleepOut(this.sim, p);
    return false;
  }

  acquired(p: Process<any>): void {
    this.take(p, p.lockMode, this.sim.now - p.waitStart);
  }

  private take(p: Process<any>, mode: number, waitNs: number): void {
    this.queuedAt.delete(p);
    (mode === Mode.READ ? this.rd : this.wr).taken(p, waitNs);
    if (mode === Mode.READ) {
      this.readHolders.add(p);
    } else {
      this.writeStart = this.sim.now;
      addOwned(p, this);
    }
  }

  /** The lock may have become available: hand it on (rwsem_wake). */
  private release(): void {
    if (this.writer !== null) return;
    const h = this.waiters.peek();
    // rwsem_mark_wake sets HANDOFF for a timed-out reader at the head; a writer at the head sets
    // it itself when it retries (rwsem_try_write_lock), so until then it can still be robbed.
    if (h !== undefined && h.lockMode === Mode.READ && !this.handoff && this.timedOut(h)) this.handoff = true;
    if (!this.handoff && this.readers === 0) {
      const s = this.spinners.shift();
      if (s !== undefined) {
        this.writer = s;
        this.tick.disarm(s);
        this.qlen.set(this.waiters.length + this.spinners.length);
        grant(this.sim, s, this.sim.lockCosts.spin_poll_ns + this.sim.lockCosts.cacheline_ns);
        if (h !== undefined && h.lockMode === Mode.WRITE && this.woken === null) {
          this.woken = h;
          wakeToRetry(this.sim, h);
        }
        return;
      }
    }
    this.wakeWaiters();
  }

  /** rwsem_mark_wake on the wait list. */
  private wakeWaiters(): void {
    if (this.waiters.length === 0 || this.writer !== null) return;
    const h = this.waiters.peek()!;
    if (h.lockMode === Mode.WRITE) {
      if (this.readers !== 0) return;
      if (this.handoff) {
        this.handoff = false;
        this.waiters.shift();
        this.qlen.set(this.waiters.length + this.spinners.length);
        this.writer = h;
        if (h.lockPhase === Phase.WOKEN) this.woken = null;
        let spinDelay = 0;
        if (h === this.handoffSpinner) {
          this.handoffSpinner = null;
          this.tick.disarm(h);
          spinDelay = this.sim.lockCosts.spin_poll_ns + this.sim.lockCosts.cacheline_ns;
        }
        grant(this.sim, h, spinDelay);
        if (h.onCpu !== true) this.ownerOffCpu(h);
        return;
      }
      if (this.woken === null) {
        this.woken = h;
        wakeToRetry(this.sim, h);
      }
      return;
    }
    // Reader at the head: grant every queued reader (up to MAX_READERS_WAKEUP), skipping writers.
    this.handoff = false;
    let granted = 0;
    for (let i = 0; i < this.waiters.length && granted < MAX_READERS_WAKEUP;) {
      const w = this.waiters.at(i);
      if (w.lockMode === Mode.READ) {
        this.waiters.remove(w);
        this.readers++;
        granted++;
        grant(this.sim, w, 0);
      } else {
        i++;
      }
    }
    this.qlen.set(this.waiters.length + this.spinners.length);
  }

  cancelWait(p: Process<any>): void {
    this.tick.disarm(p);
    if (p === this.handoffSpinner) this.handoffSpinner = null;
    else if (p.lockPhase === Phase.SPIN) {
      this.spinners.remove(p);
      this.qlen.set(this.waiters.length + this.spinners.length);
      return;
    }
    if (p.lockPhase === Phase.GRANTED) {
      if (p.lockMode === Mode.READ) {
        this.readers--;
        if (this.readers === 0) this.release();
      } else {
        this.writer = null;
        this.release();
      }
      return;
    }
    this.queuedAt.delete(p);
    const wasFirst = this.waiters.peek() === p;
    this.waiters.remove(p);
    this.qlen.set(this.waiters.length + this.spinners.length);
    if (this.woken === p) this.woken = null;
    if (wasFirst) this.handoff = false;
    this.release();
  }

  /** The write owner left its CPU: spinners stop spinning and sleep. */
  ownerOffCpu(p: Process<any>): void {
    if (this.writer !== p) return;
    let moved = false;
    for (let s = this.spinners.shift(); s !== undefined; s = this.spinners.shift()) {
      this.tick.disarm(s);
      this.enqueue(s);
      sleepOut(this.sim, s);
      moved = true;
    }
    if (moved) this.qlen.set(this.waiters.length);
    const h = this.handoffSpinner;
    if (h !== null) {
      this.handoffSpinner = null;
      this.tick.disarm(h);
      sleepOut(this.sim, h);
    }
  }

  private enqueue(p: Process<any>): void {
    this.waiters.push(p);
    this.queuedAt.set(p, this.sim.now);
  }

  /** Has waiter p waited RWSEM_WAIT_TIMEOUT (rwsem_try_write_lock / rwsem_mark_wake)? */
  private timedOut(p: Process<any>): boolean {
    const c = this.sim.lockCosts;
    if (c.tick_ns === 0) return this.sim.now - p.waitStart >= c.rwsem_wait_timeout_ns;
    // waiter->timeout = jiffies + RWSEM_WAIT_TIMEOUT at queueing; time_after(jiffies, timeout).
    const queued = this.queuedAt.get(p) ?? p.waitStart;
    return Math.floor(this.sim.now / c.tick_ns) > Math.floor(queued / c.tick_ns) + Math.ceil(c.rwsem_wait_timeout_ns / c.tick_ns);
  }

  /** need_resched on a spinner's CPU: it stops spinning, queues (if not queued) and sleeps. */
  private tickResched(p: Process<any>): void {
    if (p.lockPhase !== Phase.SPIN || p.waitLock !== this) return;
    if (p === this.handoffSpinner) {
      this.handoffSpinner = null;
    } else {
      this.spinners.remove(p);
      this.enqueue(p);
      this.qlen.set(this.waiters.length + this.spinners.length);
    }
    sleepOut(this.sim, p);
  }

  describeWait(p: Process<any>): string {
    const how = p === this.handoffSpinner ? 'spinning with HANDOFF set' : p.lockPhase === Phase.SPIN ? 'spinning' : 'sleeping';
    return `rwsem ${this.name} for ${p.lockMode === Mode.READ ? 'read' : 'write'} (${how}; writer ${this.writer?.name ?? 'none'}, readers ${this.readers})`;
  }
}
