// The simulation: integer-ns clock, pending-event set, one dispatch loop.
//
// Scheduling key: (time, priority, insertion sequence); smaller priority first (urgent 0, normal 1).
// The CPUs a process runs on are in cpus.ts; how lock waiters wait, are handed a lock or woken
// is in locks/lock-wait.ts (this file dispatches what they schedule).
import { EntityKind, KeyLayout, PendingSet } from './heap.js';
import type { Schedulable } from './heap.js';
import { SimEvent } from './event.js';
import { Op, Phase, Pending, Process, ProcState } from './process.js';
import type { Actor, ProcessBody } from './process.js';
import { ACTOR_EXIT } from './process.js';
import { Interrupt, ProcessFailure, StallError } from './errors.js';
import type { BlockedProcess } from './errors.js';
import { Recorder } from './recorder.js';
import { Cpus, type CpuOwner } from './cpus.js';
import type { Histogram } from './histogram.js';
import { RngStream, streamState } from './rng.js';
import { resolveLockCosts } from './costs.js';
import type { LockCosts } from './costs.js';
import type { Tracer } from './tracer.js';

export const PRIORITY_URGENT = 0;
export const PRIORITY_NORMAL = 1;

export interface SimulationOptions {
  /** uint32 number or bigint; with replication selects every RNG stream. */
  seed?: number | bigint;
  replication?: number;
  /** Host CPUs; Infinity (default) = no CPU model. */
  cpus?: number;
  lockCosts?: Partial<LockCosts>;
  /** Statistics reset at this simulated time (ns). */
  warmupNs?: number;
  tracer?: Tracer;
  /**
   * Run-ahead (DESIGN.md principle 6, default true): a process whose compute or sleep would end
   * at the very next event dispatched continues at once, without a heap round trip. It never
   * changes a result, only the speed; false runs every wait through the heap (what the identity
   * tests compare against).
   */
  batching?: boolean;
}

export interface RunSummary {
  /** Simulated time at the end, ns. */
  now: number;
  /** Logical events dispatched (run.json only: batching may change it). */
  eventsProcessed: number;
  stoppedBy: 'quiescent' | 'until';
}

export interface SpawnOptions {
  /** A daemon may stay blocked at the end of a run without being reported as a stall. */
  daemon?: boolean;
}

/** An engine-internal scheduled callback (warm-up reset, SRCU grace-period ends, user timers). */
class Timer implements Schedulable {
  readonly kind = EntityKind.TIMER;
  eid = -1;
  liveKey = -1;
  constructor(readonly fn: () => void) {}
}

type Entry = Process<any> | Timer;

/**
 * %GeneratorPrototype%.next and .throw, called directly on the generators of processes. Read
 * as `gen.next` the property load is megamorphic: each generator function (and each closure of
 * one, e.g. a `function*` written inside a spawn loop) has its own prototype object, so
 * generator objects of different processes have different maps, and V8 falls back to a
 * stub-cache lookup on every resume.
 */
const GeneratorPrototype = Object.getPrototypeOf(function* () {}).prototype as Generator<unknown, unknown, unknown>;
const genNext = GeneratorPrototype.next;
const genThrow = GeneratorPrototype.throw;


export class Simulation {
  /** Current simulated time, ns. */
  now = 0;
  /** Logical events dispatched so far. */
  eventsProcessed = 0;
  readonly stats: Recorder;
  readonly lockCosts: LockCosts;
  readonly tracer: Tracer | null;
  readonly cpus: number;
  readonly seed: number | bigint;
  readonly replication: number;

  private readonly heap = new PendingSet(1024);
  /** Entity table: heap entries name their owner by index here (processes and timers). */
  private ents: Entry[] = [];
  private freeIds: number[] = [];
  private seq = 0;
  /**
   * The top heap entry is being dispatched and not yet removed (fused pop-and-push). Tested as
   * `=== true`: V8 has no type for a boolean field, and `if (field)` on a true value runs the
   * whole ToBoolean chain (false, empty string, undetectable, number, bigint: about ten
   * instructions) where `=== true` is one compare; it is true on most hot-path tests.
   */
  private topLive = false;
  private running = false;
  /** Run-ahead may reach up to here: the `until` of the current run(), or -1 with batching off. */
  private aheadLimit = -1;
  /** @internal Compute and sleep run-ahead on (SimulationOptions.batching). */
  runAhead: boolean;
  private readonly cpu: Cpus;
  /** cpus is finite (the hot paths test this field rather than reach into `cpu`; `=== true`, see topLive). */
  private readonly finiteCpus: boolean;
  private readonly live = new Set<Process<any>>();
  private readonly streams = new Map<string, RngStream>();

  constructor(opts: SimulationOptions = {}) {
    this.seed = opts.seed ?? 0;
    this.replication = opts.replication ?? 0;
    if (!Number.isSafeInteger(this.replication) || this.replication < 0) throw new RangeError(`replication must be a non-negative integer, got ${opts.replication}`);
    const cpus = opts.cpus ?? Infinity;
    if (cpus !== Infinity && (!Number.isSafeInteger(cpus) || cpus < 1)) throw new RangeError(`cpus must be a positive integer or Infinity, got ${cpus}`);
    this.cpus = cpus;
    this.lockCosts = resolveLockCosts(opts.lockCosts);
    this.tracer = opts.tracer ?? null;
    this.runAhead = opts.batching ?? true;
    this.stats = new Recorder(this);
    this.cpu = new Cpus(cpus, this.stats, this);
    this.finiteCpus = this.cpu.finite;
    const warm = opts.warmupNs ?? 0;
    if (!Number.isSafeInteger(warm) || warm < 0) throw new RangeError(`warmupNs must be a non-negative integer, got ${warm}`);
    if (warm > 0) this.at(warm, () => this.stats.reset(), PRIORITY_URGENT);
  }

  // ---------------------------------------------------------------- public API

  /** Start a process; its first step runs at the current time (after what is already scheduled now). */
  spawn<T>(name: string, body: ProcessBody<T>, opts: SpawnOptions = {}): Process<T> {
    const p = new Process<T>(this, name, opts.daemon === true);
    const gen = body(p);
    p.gen = gen;
    // A body may return any iterator; only a real generator using the intrinsic methods is resumed through them.
    p.nativeGen = gen.next === genNext && gen.throw === genThrow;
    return this.start(p);
  }

  /**
   * Start a process written as a state machine (an Actor) instead of a generator: the engine
   * calls actor.resume(p, value) where a generator would be resumed, and it returns what the
   * process waits on next, exactly as a generator yields it, or p.exit(value) to end. Same
   * semantics, ordering and statistics as spawn; no generator frame or iterator result per wait.
   */
  spawnActor<T>(name: string, actor: Actor<T>, opts: SpawnOptions = {}): Process<T> {
    const p = new Process<T>(this, name, opts.daemon === true);
    p.actor = actor;
    return this.start(p);
  }

  /** A new process's first step, at the current time after what is already scheduled now. */
  private start<T>(p: Process<T>): Process<T> {
    if (!p.daemon) this.live.add(p);
    p.state = ProcState.RUNNABLE;
    this.schedule(p, this.now, PRIORITY_NORMAL, Pending.RESUME);
    return p;
  }

  /** A plain event, triggered by ev.succeed(v) or ev.fail(err). */
  event<T = unknown>(name?: string): SimEvent<T> {
    return new SimEvent<T>(this, name);
  }

  /** Succeeds with every value (in order) when all have succeeded; fails with the first failure. */
  allOf<T = unknown>(evs: SimEvent<T>[], name = 'allOf'): SimEvent<T[]> {
    const all = new SimEvent<T[]>(this, name);
    const values: T[] = new Array(evs.length);
    let left = evs.length;
    if (left === 0) return all.succeed([]);
    evs.forEach((e, i) => e.onTrigger((ev) => {
      if (all.triggered) return;
      if (!ev.ok) {
        all.fail(ev.error);
        return;
      }
      values[i] = ev.value as T;
      if (--left === 0) all.succeed(values);
    }));
    return all;
  }

  /** Succeeds with {index, value} of the first event to trigger (lowest index if several already have). */
  anyOf<T = unknown>(evs: SimEvent<T>[], name = 'anyOf'): SimEvent<{ index: number; value: T }> {
    const any = new SimEvent<{ index: number; value: T }>(this, name);
    if (evs.length === 0) throw new RangeError('anyOf needs at least one event');
    evs.forEach((e, i) => e.onTrigger((ev) => {
      if (any.triggered) return;
      if (!ev.ok) any.fail(ev.error);
      else any.succeed({ index: i, value: ev.value as T });
    }));
    return any;
  }

  /**
   * An event that succeeds with `value` ns from now (SimPy's env.timeout): for waits with a
   * deadline, `yield sim.anyOf([ev, sim.timeout(1000)])`. A process that only waits should use
   * `yield p.sleep(ns)`, which allocates nothing.
   */
  timeout<T = undefined>(ns: number, value?: T, name = 'timeout'): SimEvent<T> {
    if (!Number.isSafeInteger(ns) || ns < 0) throw new RangeError(`timeout(${ns}): time must be a non-negative integer number of ns`);
    const ev = new SimEvent<T>(this, name);
    this.at(this.now + ns, () => {
      if (!ev.triggered) ev.succeed(value);
    });
    return ev;
  }

  /** Run `fn` at absolute time t (>= now); returns a cancel function. */
  at(t: number, fn: () => void, priority = PRIORITY_NORMAL): () => void {
    if (!Number.isSafeInteger(t) || t < this.now) throw new RangeError(`at(${t}): time must be an integer >= now (${this.now})`);
    const tm = new Timer(fn);
    this.schedule(tm, t, priority, 0);
    return () => {
      // eid is -1 once the timer fired or was cancelled (its slot may belong to another entity by then).
      if (tm.eid >= 0) {
        this.release(tm.eid);
        tm.eid = -1;
      }
    };
  }

  /** The random stream for an actor path, seeded by hash(seed, path, replication); one object per path. */
  rng(path: string): RngStream {
    let s = this.streams.get(path);
    if (!s) {
      s = new RngStream(streamState(this.seed, path, this.replication));
      this.streams.set(path, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- batches (sim/actors/vcpu-scheduler.ts)
  // A batch runs some processes' waits itself in exact key order, off the engine's hot paths:
  // one callback entry stands in the heap at the key of its earliest wait, keys are taken from
  // the engine's sequence counter in the order the engine would take them, and a process leaves
  // the batch with its entry at the exact key it had there.

  /** @internal The key the engine would give an entry scheduled now at `priority` (consumes a sequence number). */
  nextKey(priority = PRIORITY_NORMAL): number {
    return priority * KeyLayout.PRIORITY_UNIT + this.seq++;
  }

  /** @internal A callback for scheduleTimer (its entry is dispatched like a timer's). */
  newTimer(fn: () => void): Schedulable {
    return new Timer(fn);
  }

  /** @internal Put a timer's one live entry at exactly (t, key); supersedes its earlier entry. */
  scheduleTimer(tm: Schedulable, t: number, key: number): void {
    if (tm.eid < 0) tm.eid = this.register(tm as Timer);
    this.enqueueKeyed(tm, t, key);
  }

  /** @internal Hand a process back: its one live entry (a resume) at exactly (t, key), in `state`. */
  scheduleKeyed(p: Process<any>, t: number, key: number, state: ProcState): void {
    p.pending = Pending.RESUME;
    p.state = state;
    this.enqueueKeyed(p, t, key);
  }

  /**
   * o's one live entry at exactly (t, key): into the top's slot when the entry just dispatched
   * left it (replaceTop, one sift), else pushed. Every schedule goes through here (V8 inlines it).
   */
  private enqueueKeyed(o: Schedulable, t: number, key: number): void {
    o.liveKey = key;
    if (this.topLive === true) {
      this.topLive = false;
      this.heap.replaceTop(t, key, o.eid);
    } else {
      this.heap.push(t, key, o.eid);
    }
  }

  /** @internal Key of the next pending event (call after peekNextTime), or Infinity. */
  peekNextKey(): number {
    return this.heap.size > 0 ? this.heap.key[0] : Infinity;
  }

  /** @internal Sequence numbers taken so far: a batch sees from it whether anything was scheduled. */
  get sequence(): number {
    return this.seq;
  }

  /** @internal How far a batch may run: the current run's `until`, or -1 with batching off. */
  get batchLimit(): number {
    return this.aheadLimit;
  }

  /**
   * @internal Run p's step now (p on a CPU, not dispatched from the heap): a batch gives a
   * process back to the engine with the wait it just produced (its actor returns it first).
   */
  stepNow(p: Process<any>): void {
    this.step(p);
  }

  /** The clock when the last run() stopped, before it moved to `until`: its last event's time (or where it began). */
  lastEventNs = 0;

  /** @internal A batch ran n wake-ups of processes that gave their CPU up and took a free one straight back. */
  wokeOnFreeCpus(n: number): void {
    if (n > 0) this.cpu.tookFree(n);
  }

  /**
   * @internal The key the next entry scheduled at normal priority would get (none taken): a
   * batch that runs waits itself keys them from here, in the engine's key space.
   */
  get nextNormalKey(): number {
    return KeyLayout.PRIORITY_UNIT + this.seq;
  }

  /** @internal A batch that ran waits itself took the normal-priority keys below `key`. */
  advanceToKey(key: number): void {
    const seq = key - KeyLayout.PRIORITY_UNIT;
    if (seq < this.seq) throw new Error(`sequence may only move forward (${this.seq} -> ${seq})`);
    this.seq = seq;
  }

  /** @internal Processes not yet ended (a batch's cheap test before onlyThese). */
  get liveProcesses(): number {
    return this.live.size;
  }

  /**
   * @internal Whether `procs` are every live process and every pending entry of the heap is
   * one of theirs (so is the run queue, as nobody else lives): nothing else can run before they
   * end, so a batch may own them (sim/actors/fault-batch.ts).
   */
  onlyThese(procs: ReadonlySet<Process<any>>): boolean {
    if (this.live.size !== procs.size) return false;
    for (const p of this.live) if (!procs.has(p)) return false;
    const h = this.heap;
    for (let i = 0; i < h.size; i++) {
      const o = this.ents[h.id[i]];
      if (o.liveKey !== h.key[i]) continue;
      if (o.kind !== EntityKind.PROCESS || !procs.has(o as Process<any>)) return false;
    }
    return true;
  }

  /** @internal A batch owns the CPUs from now on (engine/cpus.ts Cpus.lend); null without a CPU model. */
  lendCpus(owner: CpuOwner): ReturnType<Cpus['lend']> | null {
    return this.finiteCpus ? this.cpu.lend(owner) : null;
  }

  /** @internal Every process waiting in the run queue (none without a CPU model). */
  queuedForCpu(): Array<Process<any>> {
    return this.finiteCpus ? this.cpu.queuedProcesses() : [];
  }

  /** @internal The batch gives the CPUs back, `free` of them free. */
  giveCpusBack(free: number): void {
    this.cpu.giveBack(free);
  }

  /** @internal cpu.runqueue_delay_ns, or null without a CPU model. */
  get runQueueDelays(): Histogram | null {
    return this.cpu.delays;
  }

  /** @internal A batch gives p a CPU and its one live entry at exactly (t, key), its wait kept. */
  wakeKeyed(p: Process<any>, t: number, key: number): void {
    p.onCpu = true;
    this.enqueueKeyed(p, t, key);
  }

  /** @internal The key of the event batchHorizon found (Infinity when none). */
  horizonKey = Infinity;

  /**
   * @internal A timer's callback (a batch's stand-in entry) asks for the next pending event's
   * time (its key in horizonKey), or Infinity. While the stand-in's dispatched entry is still
   * the root (topLive) and both its children are live, the smaller child is that event: no pop,
   * and the batch's next entry replaces the root (one sift, as a process rescheduling itself
   * does) where peekNextTime would pop it and a new entry would be pushed.
   */
  batchHorizon(): number {
    const h = this.heap;
    if (this.topLive === true) {
      const n = h.size;
      const ents = this.ents;
      if ((n < 2 || ents[h.id[1]].liveKey === h.key[1]) && (n < 3 || ents[h.id[2]].liveKey === h.key[2])) {
        if (n < 2) {
          this.horizonKey = Infinity;
          return Infinity;
        }
        let i = 1;
        if (n > 2 && (h.time[2] < h.time[1] || (h.time[2] === h.time[1] && h.key[2] < h.key[1]))) i = 2;
        this.horizonKey = h.key[i];
        return h.time[i];
      }
    }
    const t = this.peekNextTime();
    this.horizonKey = t === Infinity ? Infinity : this.peekNextKey();
    return t;
  }

  /** Time of the next pending event, or Infinity (what a WASM burst may run up to). */
  peekNextTime(): number {
    this.settleTop();
    const h = this.heap;
    while (h.size > 0 && this.ents[h.id[0]].liveKey !== h.key[0]) h.popTop();
    return h.size > 0 ? h.time[0] : Infinity;
  }

  /**
   * Dispatch events in key order until none is pending or the next is later than `until`
   * (then the clock is set to `until`). Throws ProcessFailure if a process throws, and
   * StallError if it runs dry while non-daemon processes are still blocked.
   */
  run(opts: { until?: number } = {}): RunSummary {
    if (this.running) throw new Error('Simulation.run is not re-entrant');
    const until = opts.until ?? Infinity;
    if (until !== Infinity && (!Number.isSafeInteger(until) || until < this.now)) throw new RangeError(`until must be an integer >= now (${this.now}), got ${until}`);
    this.running = true;
    this.aheadLimit = this.runAhead ? until : -1;
    try {
      const h = this.heap;
      while (h.size > 0) {
        const t = h.time[0];
        if (t > until) break;
        // An entry is live only while its key is its owner's liveKey (lazy cancellation). The key
        // lives on the entity, which a live entry's dispatch touches anyway: one cache line fewer
        // per event than a separate table indexed by owner when there are many processes.
        const o = this.ents[h.id[0]];
        if (o.liveKey !== h.key[0]) {
          h.popTop();
          continue;
        }
        this.now = t;
        o.liveKey = -1;
        this.eventsProcessed++;
        this.topLive = true;
        if (o.kind === EntityKind.PROCESS) {
          const p = o as Process<any>;
          if (p.pending === Pending.RESUME) {
            // Hot path: resume a process. With a CPU model a waking one takes a free CPU first
            // or queues for one; otherwise it simply runs. (One call site of step: V8 inlines it.)
            if (p.onCpu !== true) {
              if (this.finiteCpus === true && !this.cpu.take(p)) {
                if (this.topLive === true) {
                  this.topLive = false;
                  h.popTop();
                }
                continue;
              }
              p.onCpu = true;
            }
            this.step(p);
          } else {
            this.fire(p);
          }
        } else {
          this.release(o.eid);
          o.eid = -1;
          (o as Timer).fn();
        }
        if (this.topLive === true) {
          this.topLive = false;
          h.popTop();
        }
      }
      this.lastEventNs = this.now;
      if (h.size > 0) {
        this.now = until;
        return { now: this.now, eventsProcessed: this.eventsProcessed, stoppedBy: 'until' };
      }
      if (until !== Infinity) this.now = until;
      if (this.live.size > 0) throw new StallError(this.now, this.blocked());
      return { now: this.now, eventsProcessed: this.eventsProcessed, stoppedBy: 'quiescent' };
    } finally {
      this.topLive = false;
      this.running = false;
    }
  }

  /** Every live non-daemon process that is waiting, with what it waits on. */
  blocked(): BlockedProcess[] {
    const out: BlockedProcess[] = [];
    for (const p of this.live) out.push({ name: p.name, waitsOn: this.describeWait(p) });
    return out;
  }

  // ---------------------------------------------------------------- engine internals (locks use these)

  /** @internal Put o's one live entry at (t, priority); supersedes any earlier entry of o. */
  schedule(o: Entry, t: number, priority: number, pending: Pending): void {
    const k = priority * KeyLayout.PRIORITY_UNIT + this.seq++;
    if (o.kind === EntityKind.PROCESS) (o as Process<any>).pending = pending;
    if (o.eid < 0) o.eid = this.register(o);
    this.enqueueKeyed(o, t, k);
  }

  /**
   * @internal schedule(p, t, PRIORITY_NORMAL, pending) for a process, specialised for the hot
   * paths (a compute or sleep, a lock hand-over or wake-up, a CPU handed on): a process keeps its
   * entity-table slot from its start to its end, so there is no slot to register and no kind to test.
   * Returns whether the entry went to the heap's top (a sleep's run-ahead test).
   */
  scheduleProcess(p: Process<any>, t: number, pending: Pending): boolean {
    const k = KeyLayout.PRIORITY_UNIT + this.seq++;
    p.liveKey = k;
    p.pending = pending;
    if (this.topLive === true) {
      this.topLive = false;
      return this.heap.replaceTop(t, k, p.eid) === 0;
    }
    return this.heap.push(t, k, p.eid) === 0;
  }

  /**
   * scheduleProcess(p, now + p.opNs, RESUME): the end of p's compute or sleep, for step. The
   * time is computed here, not passed: step is too large for V8 to inline scheduleProcess into
   * it, and a time past 2^31 ns passed to a call not inlined is a heap number allocated per wait
   * (bench/e2e/README.md, "(d): mark-compacts and times past 2^31 ns"); here it inlines.
   */
  private scheduleOpEnd(p: Process<any>): boolean {
    return this.scheduleProcess(p, this.now + p.opNs, Pending.RESUME);
  }

  /**
   * Would the end of the compute of p (the process being stepped), an entry scheduled now at
   * now + p.opNs, be the next one dispatched? Its key would be the largest so far (normal
   * priority, newest sequence), so it comes first only if every other pending entry is strictly
   * later. While the dispatched entry is still the heap's root (topLive) the others are below
   * it, so their minimum is the smaller of its two children. Stale entries count as pending
   * (conservative). Given p rather than the time, as scheduleOpEnd is: whether V8 inlines this
   * into step varies from one process to the next, and a time passed to a call not inlined is
   * a heap number past 2^31 ns.
   */
  private nextIsOwn(p: Process<any>): boolean {
    const t = this.now + p.opNs;
    if (t > this.aheadLimit) return false;
    const h = this.heap;
    const n = h.size;
    if (this.topLive === true) {
      const tm = h.time;
      return (n < 2 || t < tm[1]) && (n < 3 || t < tm[2]);
    }
    return n === 0 || t < h.time[0];
  }

  /** Give o a slot in the entity table (reused slots are safe: keys are unique, so stale entries stay dead). */
  private register(o: Entry): number {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.ents.length;
    if (id === this.ents.length) {
      this.ents.push(o);
    } else {
      this.ents[id] = o;
    }
    return id;
  }

  /** Free an entity's slot; any entry still in the heap for it is dead from now on. */
  private release(id: number): void {
    this.ents[id].liveKey = -1;
    this.freeIds.push(id);
  }

  /** @internal o's pending entry (if any) is dead: it waits with nothing scheduled. */
  cancelPending(o: Process<any>): void {
    o.liveKey = -1;
  }

  private settleTop(): void {
    if (this.topLive === true) {
      this.topLive = false;
      this.heap.popTop();
    }
  }

  /** Dispatch a process's live entry. */
  private fire(p: Process<any>): void {
    const pk = p.pending;
    if (pk === Pending.SLEPT_OUT) {
      p.lockPhase = Phase.ASLEEP;
      this.offCpu(p);
      return;
    }
    if (p.onCpu !== true && !this.wantCpu(p)) return;
    if (pk === Pending.RESUME) {
      this.step(p);
    } else if (pk === Pending.LOCK_ACQUIRED) {
      p.lockPhase = Phase.NONE;
      p.state = ProcState.RUNNING;
      p.waitLock!.acquired(p);
      p.waitLock = null;
      this.step(p);
    } else {
      // Pending.LOCK_RETRY
      if (p.waitLock!.retry(p)) {
        p.lockPhase = Phase.NONE;
        p.waitLock = null;
        this.step(p);
      }
    }
  }

  /** Run p's generator until it waits on something. p is on a CPU. */
  private step(p: Process<any>): void {
    const gen = p.gen;
    const actor = p.actor;
    p.state = ProcState.RUNNING;
    for (;;) {
      // Resume the generator (next/throw) or the actor (resume/fail) with what the last wait gave.
      let y: unknown;
      let r: IteratorResult<unknown, unknown> | null = null;
      try {
        const failed = p.hasError;
        let v: unknown;
        if (failed) {
          // Only the error path touches resumeError (a field outside the process's first cache line).
          v = p.resumeError;
          p.hasError = false;
          p.resumeError = undefined;
        } else {
          v = p.resumeValue;
        }
        p.resumeValue = undefined;
        if (gen !== null) {
          if (failed) r = p.nativeGen === true ? genThrow.call(gen, v) : gen.throw(v);
          else r = p.nativeGen === true ? genNext.call(gen, v) : gen.next(v);
        } else if (!failed) {
          y = actor!.resume(p, v);
        } else {
          if (actor!.fail === undefined) throw v;
          y = actor!.fail(p, v);
        }
      } catch (err) {
        p.state = ProcState.DONE;
        this.live.delete(p);
        throw new ProcessFailure(p.name, this.now, err);
      }
      if (r !== null) {
        if (r.done === true) {
          this.finish(p, r.value);
          return;
        }
        y = r.value;
      } else if (typeof y === 'symbol') {
        // An actor's end, tested by type before any compare: so the command compare below only
        // ever sees objects and V8 keeps it a pointer compare (once the exit symbol has reached
        // a compare, V8 calls a builtin for it on every resume). Any other symbol is
        // ACTOR_PARKED: a batch scheduled (or owns) the process's next wait.
        if (y === ACTOR_EXIT) this.finish(p, p.exitValue);
        return;
      }
      if (y === p) {
        const op = p.op;
        p.op = Op.NONE;
        if (op === Op.COMPUTE || op === Op.SLEEP) {
          // One call site each for the run-ahead test and the heap entry, shared by compute and
          // sleep: the generator or actor inlined into step leaves V8 little inlining budget.
          const t = this.now + p.opNs;
          const sleeps = op === Op.SLEEP;
          if (!sleeps && this.nextIsOwn(p)) {
            // The compute's end would be the very next event dispatched: dispatch it here (same
            // time, same count) and skip the heap round trip; p keeps its CPU.
            this.now = t;
            this.eventsProcessed++;
            continue;
          }
          const first = this.scheduleOpEnd(p);
          if (!sleeps) {
            p.state = ProcState.COMPUTING;
            return;
          }
          if (first && t <= this.aheadLimit && p.nOwned === 0 && this.sleepInPlace(p)) {
            // The sleep's end is the very next event (its entry went to the heap's top): dispatch
            // it here, as run() would. Tested after the heap entry rather than before (as for a
            // compute): a sleep is rarely next among many processes, and the heap reports the
            // slot the entry ended in, so this test loads nothing where the one before loads
            // three (measured among 1,000 processes: nextIsOwn before the entry cost 35
            // instructions more per sleep, loading the top key after the sift 15). A sleeper
            // holding no sleeping lock gives
            // its CPU up and takes it back at t when nobody waits for it in between (a wake-up
            // with no run-queue delay, as the heap path records it).
            p.liveKey = -1;
            this.topLive = true;
            this.now = t;
            this.eventsProcessed++;
            continue;
          }
          p.state = ProcState.SLEEPING;
          if (p.atomic === 0) {
            if (this.finiteCpus === true || p.nOwned !== 0) this.offCpu(p);
            else p.onCpu = false;
          }
          return;
        }
        if (op === Op.LOCK) {
          const l = p.opLock!;
          p.opLock = null;
          if (l.acquire(p, p.opMode)) continue;
          return;
        }
        p.hasError = true;
        p.resumeError = new TypeError(`${p.name} yielded itself without a command (yield p.sleep(ns), p.compute(ns), an event or a lock request)`);
        continue;
      }
      if (y instanceof SimEvent) {
        if (y.triggered) {
          if (y.ok) p.resumeValue = y.value;
          else {
            p.hasError = true;
            p.resumeError = y.error;
          }
          continue;
        }
        p.state = ProcState.WAIT_EVENT;
        p.waitEvent = y;
        y.waiters.push(p);
        if (p.atomic === 0) this.offCpu(p);
        return;
      }
      p.hasError = true;
      p.resumeError = new TypeError(`${p.name} yielded ${y instanceof Process ? `process ${y.name} (yield its .done to wait for it)` : typeof y}: not an event or command`);
    }
  }

  /**
   * p (holding no sleeping lock) sleeps and wakes as the next event: give its CPU up and take it
   * back as the heap path would, when that leaves no trace but the wake-up's zero run-queue
   * delay. False (nothing done) when a run-queue waiter would get the CPU in between.
   */
  /** @internal (a batch's scheduling point wakes in place through here too) */
  sleepInPlace(p: Process<any>): boolean {
    if (p.atomic !== 0 || this.finiteCpus !== true) return true;
    if (!this.cpu.idleQueue()) return false;
    this.cpu.release(p);
    this.cpu.take(p);
    return true;
  }

  private finish(p: Process<any>, value: unknown): void {
    p.state = ProcState.DONE;
    this.live.delete(p);
    if (p.atomic > 0) throw new ProcessFailure(p.name, this.now, new Error('exited holding a spinlock or rwlock'));
    if (p.nOwned > 0) throw new ProcessFailure(p.name, this.now, new Error(`exited holding ${p.owned.map((l) => l.name).join(', ')}`));
    p.atomic = 0;
    this.offCpu(p);
    p.gen = null;
    p.actor = null;
    if (p.eid >= 0 && p.liveKey === -1) {
      this.release(p.eid);
      p.eid = -1;
    }
    p._returned(value);
  }

  /**
   * p (off CPU) is to run now: true if it may (without a CPU model it simply runs), false when
   * it queued for a CPU.
   */
  private wantCpu(p: Process<any>): boolean {
    if (this.finiteCpus !== true) {
      p.onCpu = true;
      return true;
    }
    return this.cpu.take(p);
  }

  /** @internal p gives its CPU up (next in the run queue gets it); spinners on its locks stop. */
  offCpu(p: Process<any>): void {
    if (p.onCpu !== true) return;
    p.onCpu = false;
    if (p.nOwned !== 0) {
      const owned = p.owned;
      for (let i = 0; i < owned.length; i++) owned[i].ownerOffCpu(p);
    }
    if (this.finiteCpus !== true) return;
    const q = this.cpu.release(p);
    if (q !== null) this.scheduleProcess(q, this.now, q.pending);
  }

  /** @internal Wake processes waiting on a triggered event (in the order they started waiting). */
  _trigger(ev: SimEvent<any>): void {
    const ws = ev.waiters;
    if (ws.length > 0) {
      ev.waiters = [];
      for (let i = 0; i < ws.length; i++) {
        const p = ws[i];
        if (p.waitEvent !== ev) continue;
        p.waitEvent = null;
        if (ev.ok) p.resumeValue = ev.value;
        else {
          p.hasError = true;
          p.resumeError = ev.error;
        }
        p.state = ProcState.RUNNABLE;
        this.schedule(p, this.now, PRIORITY_NORMAL, Pending.RESUME);
      }
    }
    const cbs = ev.callbacks;
    if (cbs !== null) {
      ev.callbacks = null;
      for (const fn of cbs) fn(ev);
    }
  }

  /** @internal Throw `err` into p at its current wait (urgent: before other events at this time). */
  _interrupt(p: Process<any>, err: Interrupt): void {
    switch (p.state) {
      case ProcState.DONE:
        throw new Error(`cannot interrupt ${p.name}: it has finished`);
      case ProcState.RUNNING:
        throw new Error(`${p.name} cannot interrupt itself`);
      case ProcState.SLEEPING:
      case ProcState.COMPUTING:
        break;
      case ProcState.WAIT_EVENT: {
        const ev = p.waitEvent!;
        const i = ev.waiters.indexOf(p);
        if (i >= 0) ev.waiters.splice(i, 1);
        p.waitEvent = null;
        break;
      }
      case ProcState.WAIT_LOCK: {
        const l = p.waitLock!;
        l.cancelWait(p);
        p.waitLock = null;
        p.lockPhase = Phase.NONE;
        break;
      }
      case ProcState.RUNNABLE:
        // A resume is already due (its value is replaced by the interrupt) or p waits in the run queue.
        break;
    }
    p.state = ProcState.RUNNABLE;
    p.hasError = true;
    p.resumeError = err;
    p.resumeValue = undefined;
    if (this.cpu.queued(p)) {
      p.pending = Pending.RESUME;
      return;
    }
    this.schedule(p, this.now, PRIORITY_URGENT, Pending.RESUME);
  }

  private describeWait(p: Process<any>): string {
    switch (p.state) {
      case ProcState.WAIT_EVENT: return `event ${p.waitEvent!.name}`;
      case ProcState.WAIT_LOCK: return p.waitLock!.describeWait(p);
      case ProcState.SLEEPING: return 'sleep';
      case ProcState.COMPUTING: return 'compute';
      case ProcState.RUNNABLE: return 'a CPU (run queue)';
      default: return 'nothing (running)';
    }
  }
}

