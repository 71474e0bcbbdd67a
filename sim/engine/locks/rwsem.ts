// RwSemaphore: follows kernel/locking/rwsem.c (rwsem_down_read_slowpath, rwsem_down_write_slowpath,
// rwsem_mark_wake, rwsem_try_write_lock), as the VFS inode_lock / filemap_invalidate_lock.
//
// - Readers share, writers are exclusive. A reader enters at once only if no writer holds the
//   lock, no HANDOFF is pending and nobody waits: a waiting writer blocks new readers.
// - A writer enters at once if the lock is free and no HANDOFF is pending (it may steal from a
//   woken waiter that has not run yet).
// - Contended lockers join one FIFO wait list and sleep (sleep_ns of schedule-out, then off CPU).
// - Wake-up (rwsem_mark_wake) when the lock becomes free / reader-only:
//   * first waiter a writer: it is woken (wakeup_ns) and retries; if the lock was stolen it
//     sleeps again, and once it has waited RWSEM_WAIT_TIMEOUT (rwsem_wait_timeout_ns, 4 ms)
//     it sets HANDOFF: the next release grants the lock straight to it, nobody may steal.
//   * first waiter a reader: the waker grants the lock to every reader in the list (up to 256,
//     skipping writers, as rwsem_mark_wake does), each resuming wakeup_ns later.
// Left out: optimistic spinning of writers on a running owner (CONFIG_RWSEM_SPIN_ON_OWNER),
// reader lock stealing while reader-owned, the non-spinnable owner bits.
import type { Process, LockImpl } from '../process.js';
import { PH_GRANTED, PH_WOKEN } from '../process.js';
import type { Simulation } from '../simulation.js';
import { Fifo } from '../fifo.js';
import type { Gauge } from '../recorder.js';
import { ModeStats, modeLabels, queueGauge } from './lock-stats.js';
import type { LockOptions } from './lock-stats.js';

const READ = 0;
const WRITE = 1;
/** MAX_READERS_WAKEUP in rwsem.c. */
const MAX_READERS_WAKEUP = 256;

export class RwSemaphore implements LockImpl {
  writer: Process<any> | null = null;
  readers = 0;
  private readonly waiters = new Fifo<Process<any>>();
  private handoff = false;
  private woken: Process<any> | null = null;
  private writeStart = 0;
  private readonly readHolders: Process<any>[] = [];
  private readonly readStarts: number[] = [];
  private readonly rd: ModeStats;
  private readonly wr: ModeStats;
  private readonly qlen: Gauge;

  constructor(private readonly sim: Simulation, readonly name: string, opts: LockOptions = {}) {
    this.rd = new ModeStats(sim, name, modeLabels(opts.labels, 'read'));
    this.wr = new ModeStats(sim, name, modeLabels(opts.labels, 'write'));
    this.qlen = queueGauge(sim, name, opts.labels);
  }

  /** `yield s.downRead(p)` (down_read). */
  downRead(p: Process<any>): Process<any> {
    p.op = 3;
    p.opLock = this;
    p.opMode = READ;
    return p;
  }

  /** `yield s.downWrite(p)` (down_write). */
  downWrite(p: Process<any>): Process<any> {
    p.op = 3;
    p.opLock = this;
    p.opMode = WRITE;
    return p;
  }

  upRead(p: Process<any>): void {
    const i = this.readHolders.lastIndexOf(p);
    if (i < 0) throw new Error(`${p.name}: up_read(${this.name}) without holding it for read`);
    const now = this.sim.now;
    const start = this.readStarts[i];
    this.rd.hold.record(now - start);
    this.readHolders.splice(i, 1);
    this.readStarts.splice(i, 1);
    if (this.sim.tracer) this.sim.tracer.span(this.name, `read by ${p.name}`, start, now);
    this.readers--;
    if (this.readers === 0) this.wake();
  }

  upWrite(p: Process<any>): void {
    if (this.writer !== p) throw new Error(`${p.name}: up_write(${this.name}) by non-owner (writer: ${this.writer?.name ?? 'none'})`);
    const now = this.sim.now;
    this.wr.hold.record(now - this.writeStart);
    if (this.sim.tracer) this.sim.tracer.span(this.name, `written by ${p.name}`, this.writeStart, now);
    this.writer = null;
    this.wake();
  }

  acquire(p: Process<any>, mode: number): boolean {
    p.lockMode = mode;
    if (this.writer === p) throw new Error(`${p.name}: rwsem ${this.name} already write-held by itself (deadlock)`);
    if (this.writer === null && !this.handoff) {
      if (mode === READ ? this.waiters.length === 0 : this.readers === 0) {
        if (mode === READ) this.readers++;
        else this.writer = p;
        this.take(p, mode, 0);
        return true;
      }
    }
    (mode === READ ? this.rd : this.wr).contended.value++;
    this.sim.beginWait(p, this);
    this.waiters.push(p);
    this.qlen.set(this.waiters.length);
    this.sim.sleepOut(p);
    return false;
  }

  /** A woken writer at the head retries (rwsem_try_write_lock). */
  retry(p: Process<any>): boolean {
    this.woken = null;
    if (this.writer === null && this.readers === 0) {
      this.waiters.remove(p);
      this.qlen.set(this.waiters.length);
      this.handoff = false;
      this.writer = p;
      this.take(p, WRITE, this.sim.now - p.waitStart);
      return true;
    }
    if (this.sim.now - p.waitStart >= this.sim.lockCosts.rwsem_wait_timeout_ns) this.handoff = true;
    this.sim.sleepOut(p);
    return false;
  }

  acquired(p: Process<any>): void {
    this.take(p, p.lockMode, this.sim.now - p.waitStart);
  }

  private take(p: Process<any>, mode: number, waitNs: number): void {
    const st = mode === READ ? this.rd : this.wr;
    st.acquisitions.value++;
    st.wait.record(waitNs);
    if (waitNs > 0 && this.sim.tracer) this.sim.tracer.span(this.name, `wait ${p.name} (${mode === READ ? 'read' : 'write'})`, this.sim.now - waitNs, this.sim.now);
    if (mode === READ) {
      this.readHolders.push(p);
      this.readStarts.push(this.sim.now);
    } else {
      this.writeStart = this.sim.now;
    }
  }

  /** rwsem_wake / rwsem_mark_wake, called when the lock may have become available. */
  private wake(): void {
    if (this.waiters.length === 0 || this.writer !== null) return;
    const h = this.waiters.peek()!;
    if (h.lockMode === WRITE) {
      if (this.readers !== 0) return;
      if (this.handoff) {
        this.handoff = false;
        this.waiters.shift();
        this.qlen.set(this.waiters.length);
        this.writer = h;
        if (h.lockPhase === PH_WOKEN) this.woken = null;
        this.sim.grant(h, 0);
        return;
      }
      if (this.woken === null) {
        this.woken = h;
        this.sim.wakeToRetry(h);
      }
      return;
    }
    // Reader at the head: grant every queued reader (up to MAX_READERS_WAKEUP), skipping writers.
    this.handoff = false;
    let granted = 0;
    for (let i = 0; i < this.waiters.length && granted < MAX_READERS_WAKEUP;) {
      const w = this.waiters.at(i);
      if (w.lockMode === READ) {
        this.waiters.remove(w);
        this.readers++;
        granted++;
        this.sim.grant(w, 0);
      } else {
        i++;
      }
    }
    this.qlen.set(this.waiters.length);
  }

  cancelWait(p: Process<any>): void {
    if (p.lockPhase === PH_GRANTED) {
      if (p.lockMode === READ) {
        this.readers--;
        if (this.readers === 0) this.wake();
      } else {
        this.writer = null;
        this.wake();
      }
      return;
    }
    const wasFirst = this.waiters.peek() === p;
    this.waiters.remove(p);
    this.qlen.set(this.waiters.length);
    if (this.woken === p) this.woken = null;
    if (wasFirst) this.handoff = false;
    this.wake();
  }

  ownerOffCpu(): void {
    // No optimistic spinning modelled for rwsem: nothing depends on the owner's CPU.
  }

  describeWait(p: Process<any>): string {
    return `rwsem ${this.name} for ${p.lockMode === READ ? 'read' : 'write'} (sleeping; writer ${this.writer?.name ?? 'none'}, readers ${this.readers})`;
  }
}
