// Per-lock statistics, shared by every instance with the same name and labels:
// <name>.acquisitions, <name>.contended (counters), <name>.wait_ns, <name>.hold_ns (histograms),
// <name>.queue_len (time-weighted gauge with series). Reader/writer locks add {mode=read|write}
// to all but queue_len (one queue).
import type { Clock, Counter, Gauge, Labels } from '../recorder.js';
import type { Histogram } from '../histogram.js';
import type { Simulation } from '../simulation.js';
import type { Process } from '../process.js';

export interface LockOptions {
  /** Extra labels keep instances' statistics apart, e.g. { vm: '0' }. */
  labels?: Labels;
  /** What the lock belongs to (vm0, rmem0): the trace draws it on track `owner/name`. Statistics ignore it. */
  owner?: string;
}

/** The trace track of a lock instance: `vm0/mmu_lock`, or the bare name without an owner. */
export function lockTrack(name: string, opts: LockOptions): string {
  return opts.owner ? `${opts.owner}/${name}` : name;
}

export class ModeStats {
  /** The lock's name: a waiting process's wait sink is told which lock it waited on. */
  private readonly name: string;
  readonly acquisitions: Counter;
  readonly contended: Counter;
  readonly wait: Histogram;
  readonly hold: Histogram;
  /** How trace spans name a hold ("held by", "read by", "written by") and tag a wait (" (read)"). */
  private readonly holdVerb: string;
  private readonly waitTag: string;
  /** Trace track of the lock instance: holds are drawn there, waits on the waiter's own track. */
  private readonly track: string;
  /** `mode` (read, write, sync) labels the statistics of one mode of a reader/writer lock. */
  constructor(private readonly sim: Simulation, name: string, opts: LockOptions, mode?: string) {
    let labels = opts.labels;
    if (mode !== undefined) labels = { ...(labels ?? {}), mode };
    this.name = name;
    this.track = lockTrack(name, opts);
    this.acquisitions = sim.stats.counter(`${name}.acquisitions`, labels);
    this.contended = sim.stats.counter(`${name}.contended`, labels);
    this.wait = sim.stats.histogram(`${name}.wait_ns`, labels);
    this.hold = sim.stats.histogram(`${name}.hold_ns`, labels);
    this.holdVerb = mode === 'read' ? 'read by' : mode === 'write' ? 'written by' : 'held by';
    this.waitTag = mode === undefined ? '' : ` (${mode})`;
  }

  /**
   * p takes the lock now after waiting waitNs (0: at once). Every lock's acquisition goes
   * through here and the mutex's fast path inlines it: what only a wait needs (the operation's
   * sink, the trace span) is in waitEnded, so this stays within V8's inlining budget.
   */
  taken(p: Process<any>, waitNs: number): void {
    this.acquisitions.value++;
    this.wait.record(waitNs);
    // Tested here, not in waitEnded: a call never made is never inlined, so with no sink and no
    // tracer (the engine benchmark, a sweep) every lock's hand-over keeps that budget.
    if (waitNs > 0 && (p.lockWaitSink !== null || this.sim.tracer !== null)) this.waitEnded(p, waitNs);
  }

  /**
   * p's hold of heldNs ends now (the unlock's bookkeeping; the span kept cold as above). Given the
   * hold's length, not its start: a start past 2^31 ns passed to a call V8 does not inline is a
   * heap number allocated per unlock (bench/e2e/README.md, "(d): mark-compacts and times past
   * 2^31 ns"); a length is a small integer.
   */
  released(p: Process<any>, heldNs: number): void {
    this.hold.record(heldNs);
    if (this.sim.tracer !== null) this.traceHold(p, heldNs);
  }

  /**
   * A reader leaves (read_unlock, up_read: `op`): its latest hold of `holders` ends now and is
   * recorded; an unlock without a read hold is a model error.
   */
  readReleased(p: Process<any>, holders: ReadHolders, op: string): void {
    const held = holders.remove(p);
    if (held < 0) throw new Error(`${p.name}: ${op}(${this.name}) without holding it for read`);
    this.released(p, held);
  }

  private waitEnded(p: Process<any>, waitNs: number): void {
    if (p.lockWaitSink !== null) p.lockWaitSink.waited(this.name, waitNs);
    const tr = this.sim.tracer;
    if (tr !== null) tr.span(p.name, `wait ${this.track}${this.waitTag}`, this.sim.now - waitNs, this.sim.now);
  }

  private traceHold(p: Process<any>, heldNs: number): void {
    const now = this.sim.now;
    this.sim.tracer!.span(this.track, `${this.holdVerb} ${p.name}`, now - heldNs, now);
  }
}

export function queueGauge(sim: Simulation, name: string, labels: Labels | undefined): Gauge {
  return sim.stats.gauge(`${name}.queue_len`, labels);
}

/**
 * Who holds a reader/writer lock (or SRCU) for read, and since when: hold times and stall
 * reports need both. A process may hold the same lock for read more than once; each release
 * ends its latest hold. The times are read from the clock, and a release returns the hold's
 * length, so no time crosses a call (ModeStats.released says why).
 */
export class ReadHolders {
  private readonly procs: Process<any>[] = [];
  /**
   * Start of each hold, by the index of its holder in procs. A typed array, not a JS array: an
   * array of numbers that held small integers keeps a tagged elements kind for its push site,
   * so every read lock past 2^31 ns (kvm->srcu, once a fault) stored a heap number
   * (bench/e2e/README.md, "(d): mark-compacts and times past 2^31 ns").
   */
  private starts = new Float64Array(8);

  constructor(private readonly clock: Clock) {}

  /** p takes a read hold now. */
  add(p: Process<any>): void {
    const n = this.procs.length;
    if (n === this.starts.length) this.grow();
    this.procs.push(p);
    this.starts[n] = this.clock.now;
  }

  private grow(): void {
    const starts = new Float64Array(this.starts.length * 2);
    starts.set(this.starts);
    this.starts = starts;
  }

  /**
   * Ends p's latest read hold now and returns how long it lasted, or -1 when p holds none. The holders
   * are few (the readers inside at once), so p is searched from the end by hand: a call of the
   * lastIndexOf builtin cost more than the search on every release (kvm->srcu, once a fault).
   */
  remove(p: Process<any>): number {
    const procs = this.procs;
    const starts = this.starts;
    const last = procs.length - 1;
    let i = last;
    while (i >= 0 && procs[i] !== p) i--;
    if (i < 0) return -1;
    const start = starts[i];
    // Close the gap by hand: splice allocates the removed elements' array on every release.
    for (let j = i; j < last; j++) {
      procs[j] = procs[j + 1];
      starts[j] = starts[j + 1];
    }
    procs.pop();
    return this.clock.now - start;
  }

  names(): string[] {
    return [...new Set(this.procs.map((p) => p.name))];
  }
}
