// SimEvent: the one primitive a process waits on (SimPy's Event). It is triggered once, by
// succeed(value) or fail(error); every process waiting on it resumes at the trigger's time
// (in the order they started waiting), and a process that yields an already triggered event
// continues at once with its value. Composite events (allOf/anyOf) are events too.
import type { Simulation } from './simulation.js';

export const KIND_EVENT = 2;

export class SimEvent<T = unknown> {
  readonly kind = KIND_EVENT;
  triggered = false;
  ok = true;
  value: T | undefined = undefined;
  error: unknown = undefined;
  /** @internal processes waiting on this event */
  waiters: import('./process.js').Process[] = [];
  /** @internal composite-event hooks */
  callbacks: Array<(ev: SimEvent<any>) => void> | null = null;

  constructor(private readonly sim: Simulation, readonly name = 'event') {}

  /** Trigger with a value; waiting processes resume at the current time. Triggering twice throws. */
  succeed(value?: T): this {
    if (this.triggered) throw new Error(`event ${this.name} already triggered`);
    this.triggered = true;
    this.value = value;
    this.sim._trigger(this);
    return this;
  }

  /** Trigger with an error; each waiting process gets it thrown at its yield. */
  fail(error: unknown): this {
    if (this.triggered) throw new Error(`event ${this.name} already triggered`);
    this.triggered = true;
    this.ok = false;
    this.error = error;
    this.sim._trigger(this);
    return this;
  }

  /** @internal run `fn` when triggered (at once if already triggered). */
  onTrigger(fn: (ev: SimEvent<any>) => void): void {
    if (this.triggered) {
      fn(this);
      return;
    }
    (this.callbacks ??= []).push(fn);
  }
}
