// Which operation waited on which lock: a punch or a fault adds the time it spent waiting on each
// lock it took to `<op>.lock_wait_ns{lock=...}` (a counter of ns), next to `<op>.latency_ns`, so
// the report can say what share of the operation's time went to each lock. Only operations whose
// latency is recorded count their waits (a fault that ends in shutdown records neither).
import type { Counter, LockWaitSink, Process, Recorder } from '../engine/index.js';

/** One process's waits in the operation it is running, kept until the operation ends. */
export class PendingWaits implements LockWaitSink {
  /** Lock name -> ns waited in this operation; entries are reused (zeroed), never removed. */
  readonly byLock = new Map<string, number>();
  /** The sink that was in place when the operation began (an operation inside another). */
  outer: LockWaitSink | null = null;
  /** Whether it waited at all: most faults never wait, and then begin/end touch no entry. */
  any = false;

  waited(lock: string, ns: number): void {
    this.any = true;
    this.byLock.set(lock, (this.byLock.get(lock) ?? 0) + ns);
  }
}

export class OpLockWaits {
  private readonly pending = new WeakMap<Process<any>, PendingWaits>();
  private readonly counters = new Map<string, Counter>();

  /** `op` names the counters: `${op}.lock_wait_ns{lock}`. */
  constructor(private readonly stats: Recorder, private readonly op: string) {}

  /**
   * p's one sink, made on first use and kept for p's life: a caller that runs many operations
   * on the same process (a vCPU's fault machine) keeps it and passes it to beginWith / endWith,
   * which skips this WeakMap lookup per operation (two per fault; with 128 vCPUs of 64 VMs, bench
   * e2e (b), the table is cold on every fault).
   */
  sinkOf(p: Process<any>): PendingWaits {
    let w = this.pending.get(p);
    if (!w) this.pending.set(p, (w = new PendingWaits()));
    return w;
  }

  /** p starts an operation: its lock waits count towards it until `end`. */
  begin(p: Process<any>): void {
    this.beginWith(p, this.sinkOf(p));
  }

  /** begin, with p's sink (`sinkOf(p)`) already at hand. */
  beginWith(p: Process<any>, w: PendingWaits): void {
    if (w.any) for (const k of w.byLock.keys()) w.byLock.set(k, 0);
    w.any = false;
    // An operation that threw never ended: its sink is still in place, and keeps its outer one.
    if (p.lockWaitSink !== w) w.outer = p.lockWaitSink;
    p.lockWaitSink = w;
  }

  /** p's operation ends; `recorded` says whether its latency was recorded (then its waits are too). */
  end(p: Process<any>, recorded: boolean): void {
    const w = this.pending.get(p);
    if (w) this.endWith(p, w, recorded);
  }

  /** ns that recorded operations waited on `lock` (nothing for 0): one operation's, or a batch's faults' sum. */
  addWaited(lock: string, ns: number): void {
    if (ns <= 0) return;
    let c = this.counters.get(lock);
    if (!c) this.counters.set(lock, (c = this.stats.counter(`${this.op}.lock_wait_ns`, { lock })));
    c.add(ns);
  }

  /** end, with p's sink (`sinkOf(p)`) already at hand. */
  endWith(p: Process<any>, w: PendingWaits, recorded: boolean): void {
    if (p.lockWaitSink !== w) return;
    p.lockWaitSink = w.outer;
    w.outer = null;
    if (!recorded || !w.any) return;
    for (const [lock, ns] of w.byLock) this.addWaited(lock, ns);
  }
}
