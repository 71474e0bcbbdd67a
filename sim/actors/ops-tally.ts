// The work an actor was offered and the work it completed: `actor.ops{actor,state=offered}`
// and `actor.ops{actor,state=completed}` in metrics.json. A run whose host cannot keep up
// hides it in its latencies (work that never ran is never measured), so the run counts both
// and the runner warns `saturated` when an actor got under 90% of its work done.
//
// Offered follows the actor's own schedule, not the CPU it got: an operation is offered when
// it is due (the actor starts, an arrival gap or a vCPU's think time ends), even if the thread
// then waits in the run queue past the end of the duration. So one tally per actor thread
// remembers the time its next operation is due; when the duration ends, every operation due
// before it and not started yet is counted as offered (and will never complete: the run is
// draining). An operation started is offered; one that ran to its end is completed. The first
// operation is due when the actor starts (ready + start), arrival gap not included.
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

/** One actor thread's schedule: at most one operation due and not started. */
export class OpsTally {
  private dueNs: number | null;
  private inFlight = false;
  /** Operations this thread started (the actor's `done`). */
  started = 0;

  constructor(private readonly ops: ActorOps, firstDueNs: number) {
    this.dueNs = firstDueNs;
  }

  /** The next operation is due at t (an earlier due time already set stays). */
  due(t: number): void {
    if (this.dueNs === null) this.dueNs = t;
  }

  /** An operation starts now: it is offered. */
  start(): void {
    this.dueNs = null;
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

  /** The thread has no more work: nothing is due. */
  close(): void {
    this.dueNs = null;
  }

  /** The duration ended at endNs: an operation due before it and not started was offered all the same. */
  closeAt(endNs: number): void {
    if (this.dueNs !== null && this.dueNs < endNs) this.ops.offered.add(1);
    this.dueNs = null;
  }
}
