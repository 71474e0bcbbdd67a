// Spinlock: follows kernel/locking/qspinlock.c (queued_spin_lock_slowpath, MCS queue).
//
// - Free and nobody queued: taken at once.
// - Otherwise the locker joins a FIFO queue and spins on its CPU (spinning burns CPU).
// - Unlock hands the lock to the queue head after cacheline_ns (the MCS hand-off).
// - The holder keeps its CPU until it unlocks (preemption disabled): sleeping or waiting while
//   holding it does not give the CPU up.
// Left out: the pending-bit fast path for the first contender, paravirt spinning and
// vCPU preemption, NUMA-aware (CNA) queueing.
import type { Process, LockImpl } from '../process.js';
import { Phase } from '../process.js';
import type { Simulation } from '../simulation.js';
import { Fifo } from '../fifo.js';
import type { Gauge } from '../recorder.js';
import { ModeStats, queueGauge } from './lock-stats.js';
import type { LockOptions } from './lock-stats.js';
import { grant, queueSpinner } from './lock-wait.js';

export class Spinlock implements LockImpl {
  owner: Process<any> | null = null;
  private readonly queue = new Fifo<Process<any>>();
  private holdStart = 0;
  private readonly st: ModeStats;
  private readonly qlen: Gauge;

  constructor(private readonly sim: Simulation, readonly name: string, opts: LockOptions = {}) {
    this.st = new ModeStats(sim, name, opts);
    this.qlen = queueGauge(sim, name, opts.labels);
  }

  /** `yield l.lock(p)` (spin_lock). */
  lock(p: Process<any>): Process<any> {
    return p.acquire(this, 0);
  }

  /** spin_unlock: only the owner may unlock. */
  unlock(p: Process<any>): void {
    if (this.owner !== p) throw new Error(`${p.name}: spin_unlock(${this.name}) by non-owner (owner: ${this.owner?.name ?? 'none'})`);
    this.st.released(p, this.sim.now - this.holdStart);
    p.atomic--;
    this.release();
  }

  acquire(p: Process<any>): boolean {
    // Free means nobody queues either: release hands the lock straight to the queue head.
    if (this.owner === null) {
      this.owner = p;
      this.take(p, 0);
      return true;
    }
    if (this.owner === p) throw new Error(`${p.name}: spinlock ${this.name} already held by itself (deadlock)`);
    this.st.contended.value++;
    queueSpinner(this.sim, p, this, this.queue, this.qlen);
    return false;
  }

  retry(): boolean {
    throw new Error('spinlock waiters are never woken to retry');
  }

  acquired(p: Process<any>): void {
    this.take(p, this.sim.now - p.waitStart);
  }

  private take(p: Process<any>, waitNs: number): void {
    this.st.taken(p, waitNs);
    this.holdStart = this.sim.now;
    p.atomic++;
  }

  private release(): void {
    const n = this.queue.shift();
    if (n === undefined) {
      this.owner = null;
      return;
    }
    this.qlen.set(this.queue.length);
    this.owner = n;
    grant(this.sim, n, this.sim.lockCosts.cacheline_ns);
  }

  cancelWait(p: Process<any>): void {
    if (p.lockPhase === Phase.GRANTED) {
      this.owner = null;
      this.release();
      return;
    }
    this.queue.remove(p);
    this.qlen.set(this.queue.length);
  }

  ownerOffCpu(): void {
    // A spinlock holder never leaves its CPU.
  }

  describeWait(): string {
    // A waiter is queued or handed the lock: either way the lock has an owner.
    return `spinlock ${this.name} (spinning; owner ${this.owner!.name})`;
  }
}
