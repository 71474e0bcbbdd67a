// A process: a generator function that yields what it waits for (SimPy's Process).
// `yield p.compute(ns)`, `yield p.sleep(ns)`, `yield ev`, `yield lock.lock(p)`; its return
// value resolves `p.done`. The yielded commands reuse the process object as their token, so
// waiting allocates nothing. A process's scheduling fields are engine-internal (`_` prefix is
// omitted for speed; do not touch them from model code).
import type { SimEvent } from './event.js';
import type { Simulation } from './simulation.js';
import { Interrupt } from './errors.js';
import type { RngStream } from './rng.js';
import { EntityKind } from './heap.js';

// The engine's small codes are `const enum`s: tsc writes each use as its number. An imported
// `const` is read through its module cell with a check that it is initialised, about six
// instructions per use on the dispatch path (seen in the optimized code of Simulation.step).

/** What a process is doing (for interrupts and stall reports). */
export const enum ProcState {
  /** A resume is scheduled or it waits in the run queue. */
  RUNNABLE = 0,
  /** Executing its generator. */
  RUNNING = 1,
  /** p.sleep (off CPU). */
  SLEEPING = 2,
  /** p.compute (on CPU). */
  COMPUTING = 3,
  /** yield ev (off CPU). */
  WAIT_EVENT = 4,
  /** In a lock's queue (spinning or sleeping). */
  WAIT_LOCK = 5,
  DONE = 6,
}

/** The command a process yielded (its token is the process itself). */
export const enum Op {
  NONE = 0,
  SLEEP = 1,
  COMPUTE = 2,
  LOCK = 3,
}

/** What the process's one live heap entry means. */
export const enum Pending {
  /** Resume the generator (needs a CPU). */
  RESUME = 0,
  /** A contended lock waiter finished its schedule-out: leaves the CPU. */
  SLEPT_OUT = 1,
  /** A woken first waiter retries the lock (needs a CPU). */
  LOCK_RETRY = 2,
  /** The lock was handed to it: record, then resume (needs a CPU). */
  LOCK_ACQUIRED = 3,
}

/** Where a lock waiter is. */
export const enum Phase {
  NONE = 0,
  /** Spinning on CPU. */
  SPIN = 1,
  /** Queued, still on CPU paying the schedule-out. */
  SLEEPING_OUT = 2,
  /** Queued, off CPU. */
  ASLEEP = 3,
  /** Woken to retry (in transit). */
  WOKEN = 4,
  /** Lock reserved for it (in transit). */
  GRANTED = 5,
}

/** What a generator may yield. */
export type Yieldable = Process | SimEvent<any>;
/** A process body's generator, and what model functions that wait return (callers `yield*` them). */
export type Gen<T = void> = Generator<Yieldable, T, any>;
export type ProcessBody<T = unknown> = (p: Process<T>) => Gen<T>;

/** What Process.exit returns: the end of an actor (its value is in the process). */
export const ACTOR_EXIT: unique symbol = Symbol('actor exit');
export type ActorExit = typeof ACTOR_EXIT;
/**
 * What an actor returns when its wait was scheduled by someone else (a batch that runs the
 * process's waits itself, sim/actors/vcpu-scheduler.ts, took it over or handed it back with
 * Simulation.scheduleKeyed): the engine leaves it as it is.
 */
export const ACTOR_PARKED: unique symbol = Symbol('actor parked');
export type ActorParked = typeof ACTOR_PARKED;

/**
 * A process written as a state machine (DESIGN.md principle 6's actors, on the TypeScript side).
 * `resume(p, value)` runs where a generator would be resumed (value = what the last wait
 * returned) and returns what p waits on next, as a generator would yield it, or `p.exit(v)`.
 * `fail(p, err)` runs where a generator would have err thrown at its yield (an interrupt, a
 * failed event); without it the error fails the process.
 */
export interface Actor<T = unknown> {
  resume(p: Process<T>, value: unknown): Yieldable | ActorExit | ActorParked;
  fail?(p: Process<T>, error: unknown): Yieldable | ActorExit | ActorParked;
}

/** The engine's view of a lock (implemented by the classes in locks/). */
export interface LockImpl {
  readonly name: string;
  /** At the yield: true if acquired at once, else the process is queued. */
  acquire(p: Process, mode: number): boolean;
  /** A woken first waiter retries; true if it got the lock. */
  retry(p: Process): boolean;
  /** A hand-off completed: record the acquisition. */
  acquired(p: Process): void;
  /** Remove a waiting process (interrupt); releases a lock reserved for it. */
  cancelWait(p: Process): void;
  /** The process owning this lock left its CPU (spinners must stop spinning). */
  ownerOffCpu(p: Process): void;
  describeWait(p: Process): string;
}

// Hot functions keep their error messages in separate cold functions: V8 inlines callees only
// within a bytecode budget per caller, and a template literal costs more bytecode than the check.
function checkNs(what: string, ns: number): number {
  if ((ns >>> 0) === ns || Number.isSafeInteger(ns) && ns >= 0) return ns;
  return badNs(what, ns);
}

function badNs(what: string, ns: number): never {
  throw new RangeError(`${what}(${ns}): time must be a non-negative integer number of ns`);
}

/** Where a process's lock waits go: `lock` is the lock's name, `ns` how long it waited (> 0). */
export interface LockWaitSink {
  waited(lock: string, ns: number): void;
}

export class Process<T = unknown> {
  // Hot fields first (the dispatch loop touches these on every event; they share cache lines).
  /** Key of its live heap entry, -1 when none (lazy cancellation; see Simulation.run). */
  liveKey = -1;
  pending = Pending.RESUME;
  /** On a CPU (or, without a CPU model, running rather than waiting). Hot paths test it `=== true` (see Simulation.topLive). */
  onCpu = false;
  gen: Generator<Yieldable, T, any> | null = null;
  /** The state machine of a process started with spawnActor (gen is then null). */
  actor: Actor<T> | null = null;
  /** gen is a real generator object (resumed through the intrinsic next/throw, see simulation.ts; tested `=== true` as topLive is). */
  nativeGen = false;
  op = Op.NONE;
  opNs = 0;
  state = ProcState.RUNNABLE;
  hasError = false;
  /** Spinlocks/rwlocks held: while > 0 the process never gives up its CPU. */
  atomic = 0;
  /** Number of entries in `owned` (checked on the hot path instead of the array). */
  nOwned = 0;
  resumeValue: unknown = undefined;
  /** Slot in the Simulation's entity table (-1 before its first scheduling). */
  eid = -1;
  opLock: LockImpl | null = null;
  opMode = 0;
  resumeError: unknown = undefined;
  /** Sleeping locks it owns whose spinners depend on it staying on CPU. */
  owned: LockImpl[] = [];
  waitLock: LockImpl | null = null;
  lockPhase = Phase.NONE;
  lockMode = 0;
  waitStart = 0;
  /** Told of every lock wait this process ends (the model attributes waits to the operation running). */
  lockWaitSink: LockWaitSink | null = null;
  sleepOutEnd = 0;
  rqSince = 0;
  waitEvent: SimEvent<any> | null = null;
  /** Its wake-up latency stream (`lock/wakeup/<name>`), looked up on its first spread wake-up. */
  wakeRng: RngStream | null = null;
  /** `done`, created on first use (most processes are never waited for: a smaller footprint per process). */
  private doneEv: SimEvent<T> | null = null;
  private returned = false;
  private returnValue: T | undefined = undefined;
  /** @internal An actor's return value (set by exit). */
  exitValue: T | undefined = undefined;

  constructor(readonly sim: Simulation, readonly name: string, readonly daemon: boolean) {}

  /** Schedulable.kind, on the prototype: one field fewer in the cache lines every event touches. */
  get kind(): EntityKind {
    return EntityKind.PROCESS;
  }

  /** Resolved with the generator's return value (already succeeded if the process has returned). */
  get done(): SimEvent<T> {
    let ev = this.doneEv;
    if (ev === null) {
      ev = this.doneEv = this.sim.event<T>(`${this.name}.done`);
      if (this.returned) ev.succeed(this.returnValue);
    }
    return ev;
  }

  /** @internal The generator returned `value`: resolve `done` (now, or when it is first asked for). */
  _returned(value: T): void {
    this.returned = true;
    this.returnValue = value;
    if (this.doneEv !== null) this.doneEv.succeed(value);
  }

  /** Off CPU for ns (gives the CPU up; back on the run queue when it ends). */
  sleep(ns: number): Process<T> {
    this.op = Op.SLEEP;
    this.opNs = checkNs('sleep', ns);
    return this;
  }

  /** Busy on its CPU for ns (keeps the CPU; without a CPU model the same as sleep). */
  compute(ns: number): Process<T> {
    this.op = Op.COMPUTE;
    this.opNs = checkNs('compute', ns);
    return this;
  }

  /** Ask for `lock` in `mode` (0, or the lock's read/write constant); the lock's own entry points call this. */
  acquire(lock: LockImpl, mode: number): Process<T> {
    this.op = Op.LOCK;
    this.opLock = lock;
    this.opMode = mode;
    return this;
  }

  /** An actor's last step: `return p.exit(value)` ends the process with value (resolves done). */
  exit(value?: T): ActorExit {
    this.exitValue = value;
    return ACTOR_EXIT;
  }

  /** Throw Interrupt(cause) into this process at the yield it waits on (see Simulation._interrupt). */
  interrupt(cause?: unknown): void {
    this.sim._interrupt(this, new Interrupt(cause));
  }

  get isAlive(): boolean {
    return this.state !== ProcState.DONE;
  }
}
