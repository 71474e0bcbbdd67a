// RwLock: follows kernel/locking/qrwlock.c (queued_read_lock_slowpath, queued_write_lock_slowpath),
// as x86 KVM's mmu_lock.
//
// - A reader enters at once if no writer holds the lock and nobody is queued; a writer if the
//   lock is free and nobody is queued. Otherwise the locker joins one FIFO queue and spins on
//   its CPU: a queued writer stops new readers.
// - On release the queue head proceeds: a writer once the lock is free; a reader as soon as no
//   writer holds it, and the readers right behind it with it (each reader at the head releases
//   the wait queue to the next). Hand-off costs cacheline_ns.
// - Holders (readers and writers) keep their CPU until they unlock.
// Left out: interrupt-context readers stealing past the queue, rwlock_needbreak/cond_resched.
import type { Process, LockImpl } from '../process.js';
import { Phase } from '../process.js';
import type { Simulation } from '../simulation.js';
import { Fifo } from '../fifo.js';
import type { Gauge } from '../recorder.js';
import { ModeStats, queueGauge, ReadHolders } from './lock-stats.js';
import type { LockOptions } from './lock-stats.js';
import { grant, queueSpinner } from './lock-wait.js';

/** Lock modes (`const enum`: written as numbers at each use, see Layout in histogram.ts). */
const enum Mode {
  READ = 0,
  WRITE = 1,
}

export class RwLock implements LockImpl {
  writer: Process<any> | null = null;
  readers = 0;
  private readonly queue = new Fifo<Process<any>>();
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
  }

  /** Nobody holds or waits for the lock. */
  get idle(): boolean {
    return this.writer === null && this.readers === 0 && this.queue.length === 0;
  }

  /** @internal The statistics of a mode and the queue's gauge, for a batch that ran acquisitions itself (sim/actors/fault-batch.ts). */
  batchStats(write: boolean): { stats: ModeStats; queueLen: Gauge } {
    return { stats: write ? this.wr : this.rd, queueLen: this.qlen };
  }

  /** `yield l.readLock(p)` (read_lock). */
  readLock(p: Process<any>): Process<any> {
    return p.acquire(this, Mode.READ);
  }

  /** `yield l.writeLock(p)` (write_lock). */
  writeLock(p: Process<any>): Process<any> {
    return p.acquire(this, Mode.WRITE);
  }

  readUnlock(p: Process<any>): void {
    this.rd.readReleased(p, this.readHolders, 'read_unlock');
    p.atomic--;
    this.readers--;
    this.advance();
  }

  writeUnlock(p: Process<any>): void {
    if (this.writer !== p) throw new Error(`${p.name}: write_unlock(${this.name}) by non-owner (writer: ${this.writer?.name ?? 'none'})`);
    this.wr.released(p, this.sim.now - this.writeStart);
    p.atomic--;
    this.writer = null;
    this.advance();
  }

  acquire(p: Process<any>, mode: number): boolean {
    p.lockMode = mode;
    if (this.queue.length === 0 && this.writer === null && (mode === Mode.READ || this.readers === 0)) {
      if (mode === Mode.READ) this.readers++;
      else this.writer = p;
      this.take(p, mode, 0);
      return true;
    }
    if (this.writer === p) throw new Error(`${p.name}: rwlock ${this.name} already write-held by itself (deadlock)`);
    (mode === Mode.READ ? this.rd : this.wr).contended.value++;
    queueSpinner(this.sim, p, this, this.queue, this.qlen);
    return false;
  }

  retry(): boolean {
    throw new Error('rwlock waiters are never woken to retry');
  }

  acquired(p: Process<any>): void {
    this.take(p, p.lockMode, this.sim.now - p.waitStart);
  }

  private take(p: Process<any>, mode: number, waitNs: number): void {
    (mode === Mode.READ ? this.rd : this.wr).taken(p, waitNs);
    if (mode === Mode.READ) {
      this.readHolders.add(p);
    } else {
      this.writeStart = this.sim.now;
    }
    p.atomic++;
  }

  /** Let the queue head (and readers right behind a reader head) in, if the lock allows. */
  private advance(): void {
    const delay = this.sim.lockCosts.cacheline_ns;
    let moved = false;
    while (this.queue.length > 0 && this.writer === null) {
      const h = this.queue.peek()!;
      if (h.lockMode === Mode.WRITE) {
        if (this.readers !== 0) break;
        this.queue.shift();
        this.writer = h;
        grant(this.sim, h, delay);
        moved = true;
        break;
      }
      this.queue.shift();
      this.readers++;
      grant(this.sim, h, delay);
      moved = true;
    }
    if (moved) this.qlen.set(this.queue.length);
  }

  cancelWait(p: Process<any>): void {
    if (p.lockPhase === Phase.GRANTED) {
      if (p.lockMode === Mode.READ) this.readers--;
      else this.writer = null;
      this.advance();
      return;
    }
    this.queue.remove(p);
    this.qlen.set(this.queue.length);
    this.advance();
  }

  ownerOffCpu(): void {
    // rwlock holders never leave their CPU.
  }

  describeWait(p: Process<any>): string {
    return `rwlock ${this.name} for ${p.lockMode === Mode.READ ? 'read' : 'write'} (spinning; writer ${this.writer?.name ?? 'none'}, readers ${this.readers})`;
  }
}
