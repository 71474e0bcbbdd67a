// Srcu: follows kernel/rcu/srcutree.c (srcu_read_lock, srcu_read_unlock, synchronize_srcu).
//
// - Readers never block: readLock returns the index of the current grace-period epoch and
//   counts the reader in it; readUnlock(p, idx) uncounts it.
// - synchronize(p) closes the current epoch (new readers count in the next one) and sleeps until
//   every reader that began before it has left, and no earlier than start + srcu_gp_ns (the
//   grace-period machinery's fixed cost). Several synchronizers may wait at once.
// Left out: expedited grace periods, call_srcu callbacks, per-CPU counter flips (modelled as
// exact per-epoch reader counts), srcu_barrier.
import type { Process, LockImpl } from '../process.js';
import { Phase, Pending } from '../process.js';
import { PRIORITY_NORMAL } from '../simulation.js';
import type { Simulation } from '../simulation.js';
import type { Gauge } from '../recorder.js';
import { ModeStats, queueGauge, ReadHolders } from './lock-stats.js';
import type { LockOptions } from './lock-stats.js';
import { beginWait, sleepNow } from './lock-wait.js';

interface SyncWaiter {
  p: Process<any>;
  /** Readers with epoch <= target must leave first. */
  target: number;
  start: number;
}

export class Srcu implements LockImpl {
  private epoch = 0;
  /**
   * Active readers of the current epoch. A field, not a map entry: every fault takes and drops
   * kvm->srcu, and a map entry deleted and re-added each time churns the map.
   */
  private current = 0;
  /**
   * Closed epoch -> its readers still inside, only epochs that have some (insertion order is
   * ascending epoch: the first key is the oldest). Changes only around synchronize_srcu.
   */
  private readonly closed = new Map<number, number>();
  private readonly syncs: SyncWaiter[] = [];
  private readonly readHolders: ReadHolders;
  private readonly rd: ModeStats;
  private readonly sy: ModeStats;
  private readonly qlen: Gauge;

  constructor(private readonly sim: Simulation, readonly name: string, opts: LockOptions = {}) {
    this.readHolders = new ReadHolders(sim);
    this.rd = new ModeStats(sim, name, opts, 'read');
    this.sy = new ModeStats(sim, name, opts, 'sync');
    this.qlen = queueGauge(sim, name, opts.labels);
  }

  /** No reader inside, no synchronize_srcu waiting. */
  get idle(): boolean {
    return this.current === 0 && this.closed.size === 0 && this.syncs.length === 0;
  }

  /** @internal The readers' statistics, for a batch that ran read locks itself (sim/actors/fault-batch.ts). */
  get readStats(): ModeStats {
    return this.rd;
  }

  /** srcu_read_lock: never blocks; returns the index to pass to readUnlock. */
  readLock(p: Process<any>): number {
    this.current++;
    this.rd.acquisitions.value++;
    this.rd.wait.recordZero();
    this.readHolders.add(p);
    return this.epoch;
  }

  /**
   * srcu_read_unlock. Every fault ends with one (kvm->srcu), nearly always in the epoch still
   * open: that case is kept to field updates and the hold record; a reader of a closed epoch
   * (a synchronize_srcu began since its read lock), the grace-period check and the error are
   * out of line.
   */
  readUnlock(p: Process<any>, idx: number): void {
    const held = this.readHolders.remove(p);
    if (idx !== this.epoch) {
      this.readUnlockClosed(p, idx, held);
      return;
    }
    const n = this.current;
    if (n === 0 || held < 0) this.unmatched(p, idx);
    this.rd.hold.record(held);
    this.current = n - 1;
    if (n === 1 && this.syncs.length !== 0) this.complete();
  }

  /** A reader of an epoch a synchronize_srcu has closed leaves (it may end that grace period). */
  private readUnlockClosed(p: Process<any>, idx: number, held: number): void {
    const n = this.closed.get(idx) ?? 0;
    if (n === 0 || held < 0) this.unmatched(p, idx);
    this.rd.hold.record(held);
    if (n === 1) this.closed.delete(idx);
    else this.closed.set(idx, n - 1);
    if (n === 1) this.complete();
  }

  private unmatched(p: Process<any>, idx: number): never {
    throw new Error(`${p.name}: srcu_read_unlock(${this.name}, ${idx}) without a matching srcu_read_lock`);
  }

  /** `yield s.synchronize(p)` (synchronize_srcu): waits for every reader that began before it. */
  synchronize(p: Process<any>): Process<any> {
    return p.acquire(this, 2); // mode 2: sync
  }

  acquire(p: Process<any>): boolean {
    const target = this.epoch++;
    if (this.current > 0) this.closed.set(target, this.current);
    this.current = 0;
    this.sy.contended.value++;
    beginWait(this.sim, p, this);
    this.syncs.push({ p, target, start: this.sim.now });
    this.qlen.set(this.syncs.length);
    sleepNow(this.sim, p);
    this.complete();
    return false;
  }

  /** Release every synchronizer whose readers have all left. */
  private complete(): void {
    if (this.syncs.length === 0) return;
    let oldest = this.current > 0 ? this.epoch : Infinity;
    for (const k of this.closed.keys()) {
      oldest = k;
      break;
    }
    const now = this.sim.now;
    const gp = this.sim.lockCosts.srcu_gp_ns;
    for (let i = 0; i < this.syncs.length;) {
      const w = this.syncs[i];
      if (w.target < oldest) {
        this.syncs.splice(i, 1);
        w.p.lockPhase = Phase.GRANTED;
        this.sim.schedule(w.p, Math.max(now, w.start + gp), PRIORITY_NORMAL, Pending.LOCK_ACQUIRED);
      } else {
        i++;
      }
    }
    this.qlen.set(this.syncs.length);
  }

  retry(): boolean {
    throw new Error('synchronize_srcu waiters are never woken to retry');
  }

  /** The grace period is over: the wait counts toward the synchronizer's operation too. */
  acquired(p: Process<any>): void {
    this.sy.taken(p, this.sim.now - p.waitStart);
  }

  cancelWait(p: Process<any>): void {
    const i = this.syncs.findIndex((w) => w.p === p);
    if (i >= 0) this.syncs.splice(i, 1);
    this.qlen.set(this.syncs.length);
  }

  ownerOffCpu(): void {
    // Nobody spins on SRCU.
  }

  describeWait(): string {
    const readers = this.readHolders.names().join(', ');
    return `srcu ${this.name} grace period (readers still inside: ${readers || 'none'})`;
  }
}
