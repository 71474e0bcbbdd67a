// The host CPUs (DESIGN.md engine rules): N CPUs, one global FIFO run queue, non-preemptive.
//
// A process needs a CPU to run its generator; it keeps the CPU while computing, spinning on a
// lock or holding a spinlock/rwlock, and gives it up when it sleeps, waits on an event or sleeps
// on a sleeping lock (simulation.ts decides when; this file only hands CPUs out and back). A
// woken process that finds no free CPU waits in the run queue; the wait is recorded as
// `cpu.runqueue_delay_ns`. With `cpus: Infinity` there is no CPU model: nothing queues and
// compute is the same as sleep (the fast path).
import { Fifo } from './fifo.js';
import type { Histogram } from './histogram.js';
import type { Process } from './process.js';
import type { Clock, Recorder } from './recorder.js';

/**
 * Who hands the CPUs out while a batch owns them (sim/actors/fault-batch.ts): the engine's free
 * count is then 0 and its run queue empty, so take and release ask it.
 */
export interface CpuOwner {
  take(p: Process<any>): boolean;
  release(p: Process<any>): Process<any> | null;
  idleQueue(): boolean;
}

export class Cpus {
  /** A CPU model is on (cpus is finite). */
  readonly finite: boolean;
  private free: number;
  private readonly runQueue = new Fifo<Process<any>>();
  private readonly rqDelay: Histogram | null;
  private owner: CpuOwner | null = null;

  /**
   * The times come from the clock rather than as arguments: the engine calls take and release
   * without V8 inlining them, and a time past 2^31 ns passed to such a call is a heap number
   * allocated per call (bench/e2e/README.md, "(d): mark-compacts and times past 2^31 ns").
   */
  constructor(cpus: number, stats: Recorder, private readonly clock: Clock) {
    this.finite = cpus !== Infinity;
    this.free = this.finite ? cpus : 0;
    this.rqDelay = this.finite ? stats.histogram('cpu.runqueue_delay_ns') : null;
  }

  /**
   * p (off CPU) wants to run now (CPU model on): true if it got a free CPU, else it waits in the
   * run queue until release() hands it one.
   */
  take(p: Process<any>): boolean {
    if (this.free === 0) {
      if (this.owner !== null) return this.owner.take(p);
      p.rqSince = this.clock.now;
      this.runQueue.push(p);
      return false;
    }
    this.free--;
    this.rqDelay!.recordZero();
    p.onCpu = true;
    return true;
  }

  /**
   * p gave its CPU up now (CPU model on): the run queue's head gets it and is returned (the
   * caller schedules it), or null when nobody waits (the CPU is free).
   */
  release(p: Process<any>): Process<any> | null {
    const q = this.runQueue.shift();
    if (q === undefined) {
      if (this.owner !== null) return this.owner.release(p);
      this.free++;
      return null;
    }
    q.onCpu = true;
    this.rqDelay!.record(this.clock.now - q.rqSince);
    return q;
  }

  /** n wake-ups that found a free CPU at once, run by a batch (each a zero run-queue delay, as take records it). */
  tookFree(n: number): void {
    if (this.rqDelay !== null) this.rqDelay.recordN(0, n);
  }

  /** Nobody waits in the run queue (a CPU given up now would stay free). */
  idleQueue(): boolean {
    return this.runQueue.length === 0 && (this.owner === null || this.owner.idleQueue());
  }

  /**
   * A batch owns the CPUs from now on: what it takes over (the free count, and who waits in
   * the run queue since when, in order); the engine's own are emptied.
   */
  lend(owner: CpuOwner): { free: number; queued: Array<{ p: Process<any>; since: number }> } {
    if (!this.finite || this.owner !== null) throw new Error('the CPUs are not the engine\'s to lend');
    const queued: Array<{ p: Process<any>; since: number }> = [];
    for (let q = this.runQueue.shift(); q !== undefined; q = this.runQueue.shift()) queued.push({ p: q, since: q.rqSince });
    const free = this.free;
    this.free = 0;
    this.owner = owner;
    return { free, queued };
  }

  /** The batch gives the CPUs back, `free` of them free and nobody queued. */
  giveBack(free: number): void {
    this.owner = null;
    this.free = free;
  }

  /** Every process waiting in the run queue. */
  queuedProcesses(): Array<Process<any>> {
    const out: Array<Process<any>> = [];
    for (let i = 0; i < this.runQueue.length; i++) out.push(this.runQueue.at(i)!);
    return out;
  }

  /** cpu.runqueue_delay_ns (null without a CPU model): a batch folds the waits it ran into it. */
  get delays(): Histogram | null {
    return this.rqDelay;
  }

  /** p waits in the run queue. */
  queued(p: Process<any>): boolean {
    for (let i = 0; i < this.runQueue.length; i++) if (this.runQueue.at(i) === p) return true;
    return false;
  }
}
