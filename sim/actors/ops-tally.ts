// The work an actor was offered and the work it completed: `actor.ops{actor,state=offered}`
// and `actor.ops{actor,state=completed}` in metrics.json. A run whose host cannot keep up
// hides it in its latencies (work that never ran is never measured), so the run counts both
// and the runner warns `saturated` when an actor got under 90% of its work done.
//
// Offered is the work the actor's own schedule asked for in the duration, not the work the
// host let it start. Each thread's next operation is due when its arrival gap or think time
// ends (the first when the actor starts); an operation that starts after it was due started
// late by the difference: the thread waited for a CPU, or its previous operation overran the
// schedule. Time lost that way is work the workload asked for and never got: when the
// duration ends, a thread still at work is offered as many operations as fit in its time on
// schedule at the pace it kept while not late (started x active / (active - late)), capped by
// its op budget, and at least the one operation due and not started. So a thread that never
// ran is offered its first operation and completes none; a thread that spent 30% of its time
// waiting for a CPU between operations completes about 70% of what it was offered; a thread
// that was never late is offered exactly what it started. Waits inside an operation (a lock,
// the run queue after a sleeping lock) lengthen that operation and show in its own latency,
// which the SLO judges; they are not counted twice. A thread that ran out of work (budget spent)
// before the end was offered what it started. Without a duration (run to completion) every
// operation is started, so offered is what started. With a warm-up, only starts and lateness
// after it count, as the counters are reset there.
import type { Counter, Recorder } from '../engine/index.js';

export const ACTOR_OPS = 'actor.ops';

/** The two counters of one actor (created up front, so an actor that did nothing shows 0). */
export interface ActorOps {
  offered: Counter;
  completed: Counter;
}

export function actorOps(stats: Recorder, actor: string): ActorOps {
  return {
    offered: stats.counter(ACTOR_OPS, { actor, state: 'offered' }),
    completed: stats.counter(ACTOR_OPS, { actor, state: 'completed' }),
  };
}

/** The simulated clock the tally reads (the Simulation). */
export interface TallyClock {
  readonly now: number;
}

/** No operation is due. A number rather than null: a field that ever holds null is a tagged
 * field, which allocates a heap number at every store of a time past V8's small integers (2^31 ns). */
const NONE_DUE = -1;

/** One actor thread's schedule: at most one operation due and not started. */
export class OpsTally {
  /**
   * When the next operation is due, or NONE_DUE. Declared holding a non-integer so that V8 makes
   * it a double field at its first store, written in place ever after: a field whose first value
   * is a small integer stays tagged when larger times arrive (V8 11.3), and then every store past
   * 2^31 ns (where a boot of more than ~3 GiB runs most of its faults) allocates a heap number
   * (bench/e2e/README.md, "(d): mark-compacts and times past 2^31 ns").
   */
  private dueNs = Number.NaN;
  private inFlight = false;
  /** The thread said it has no more work (close); a due time opens it again. */
  private closed = false;
  /** Due time of the first operation started after the warm-up: where its time on schedule begins. */
  private scheduleStartNs: number | null = null;
  /** Time after the warm-up between operations falling due and starting, ns. */
  private lateNs = 0;
  /** Operations started after the warm-up (those the reset counters still hold). */
  private startedCounted = 0;
  /** Operations this thread started (the actor's `done`). */
  started = 0;

  /**
   * @param firstDueNs when the first operation is due (the actor's start).
   * @param budget operations this thread would ever start (its op budget, a slice's pages).
   * @param warmupNs statistics reset at this time: earlier starts and lateness do not count.
   */
  constructor(
    private readonly ops: ActorOps, private readonly clock: TallyClock, firstDueNs: number,
    private readonly budget = Infinity, private readonly warmupNs = 0,
  ) {
    this.dueNs = firstDueNs;
  }

  /** The next operation is due at t (an earlier due time already set stays). */
  due(t: number): void {
    if (this.dueNs === NONE_DUE) this.dueNs = t;
    this.closed = false;
  }

  /**
   * due(now + gapNs). The caller passes the gap, not the time: a time past 2^31 ns passed to a
   * call V8 does not inline is a heap number allocated per operation (bench/e2e/README.md,
   * "(d): mark-compacts and times past 2^31 ns").
   */
  dueIn(gapNs: number): void {
    this.due(this.clock.now + gapNs);
  }

  /** The first operation is due at t after all: the thread's set-up (populating its range) came first. */
  rearm(t: number): void {
    if (this.started === 0) this.dueNs = t;
  }

  /** An operation starts now: it is offered, late by how long it was due. */
  start(): void {
    const now = this.clock.now;
    if (now >= this.warmupNs) {
      const due = this.dueNs === NONE_DUE ? now : this.dueNs;
      const from = Math.max(due, this.warmupNs);
      this.scheduleStartNs ??= from;
      this.lateNs += Math.max(0, now - from);
      this.startedCounted++;
    }
    this.dueNs = NONE_DUE;
    this.inFlight = true;
    this.started++;
    this.ops.offered.add(1);
  }

  /** The operation started last ran to its end (an errno is an end too). */
  complete(): void {
    if (!this.inFlight) return;
    this.inFlight = false;
    this.ops.completed.add(1);
  }

  /**
   * What `completed` calls of complete() and `started` of start() leave, interleaved as a batch
   * runs them (sim/actors/fault-batch.ts: each completion followed by dueIn(0) and, unless the
   * thread ends, the next start at that same instant, so no start is late), when the warm-up is
   * over. Without a duration nothing reads the due time between a completion and the start after
   * it, so it is left unset.
   */
  ranOnTime(completed: number, started: number): void {
    // Completions and starts alternate, so the last was a start exactly when they balance
    // (one in flight before) or the starts lead (none in flight before).
    this.inFlight = this.inFlight ? started === completed : started > completed;
    if (completed > 0) {
      this.ops.completed.add(completed);
      this.dueNs = NONE_DUE;
    }
    if (started > 0) {
      this.startedCounted += started;
      this.started += started;
      this.ops.offered.add(started);
    }
  }

  /** The thread has no more work: nothing is due. */
  close(): void {
    this.dueNs = NONE_DUE;
    this.closed = true;
  }

  /**
   * The duration ended at endNs: a thread still at work (not closed; a spent budget caps it)
   * was offered what its schedule fits in its time, late or not (see the file comment).
   */
  closeAt(endNs: number): void {
    const pending = this.dueNs !== NONE_DUE && this.dueNs < endNs;
    if (pending) this.lateNs += endNs - Math.max(this.dueNs, this.warmupNs);
    let extra = pending ? 1 : 0;
    if (!this.closed && this.scheduleStartNs !== null) {
      const active = endNs - this.scheduleStartNs;
      const onTime = Math.max(1, active - this.lateNs);
      const fit = Math.floor((this.startedCounted * active) / onTime);
      const left = this.budget - (this.started - this.startedCounted);
      extra = Math.max(extra, Math.min(fit, left) - this.startedCounted);
    }
    if (extra > 0) this.ops.offered.add(extra);
    this.dueNs = NONE_DUE;
  }
}
