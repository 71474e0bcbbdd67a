// Horizon batching of every vCPU's waits under one scheduler (DESIGN.md principle 6, issue 17).
//
// A declared twin of the engine's dispatch (engine/simulation.ts `run` and `step`), for vCPU
// loops only: the scheduler owns the waits of the vCPUs that joined it (their computes) in a
// small heap of its own, keyed exactly as the engine's heap is (time, priority, sequence, with
// the sequence numbers taken from the engine's counter in the order the engine would take them),
// and one entry in the engine's heap stands for all of them at the exact key of the earliest.
// When the engine dispatches that entry, the scheduler runs its vCPUs' phases (the real
// VcpuLoop and KvmPageFault machines: nothing of the model is twinned) in key order for as long
// as the next one comes before every other pending event (the engine's next event, ties to the
// lower key, and the run's `until`), then puts its entry back at its new earliest key.
// A vCPU leaves at the first wait that is not a compute (a sleep that does not wake in place, an
// event, a contended lock, its end): it is given back to the engine with that wait exactly where
// the engine's own step would have taken it, after the scheduler's entry is back in the heap (so
// the engine's run-ahead sees the vCPUs still owned here). It joins again at its next access.
// Why a twin: the engine's dispatch is generic (generators, actors, every kind of wait, timers);
// this one knows its processes only compute, and runs them without the heap round trip, the
// step's generic tests, or an entity-table lookup per wait. What holds the two together:
// test/golden/batching-identity.test.ts (every built-in workload, the same metrics.json bytes
// with batching on and off) and test/actors/vcpu-scheduler.test.ts (the same bytes when every
// vCPU is handed back to the engine after every k phases, for several k).
// Leaves out: vCPUs of actors other than VcpuLoop (they stay with the engine).
import { ACTOR_PARKED, ProcessFailure } from '../engine/index.js';
import type { Actor, ActorExit, ActorParked, Process, Simulation, Yieldable } from '../engine/index.js';
import { Op, ProcState } from '../engine/process.js';
import { PendingSet } from '../engine/heap.js';
import type { Schedulable } from '../engine/heap.js';

/** A process the scheduler can own: a state machine whose waits it runs while `batched`. */
export interface BatchMember extends Actor<void> {
  /** The scheduler owns this process's waits (its resume is called from a batch). */
  batched: boolean;
  /** Index in its scheduler, -1 before it first joins. */
  batchSlot: number;
  /** Accesses left before it may join again (set when its last stay was too short to pay). */
  batchSkip: number;
}

/**
 * A vCPU given back after fewer phases than this since it joined (e.g. at every scheduling point
 * of a host with more vCPUs than CPUs, where the run queue takes its CPU) stays with the engine
 * for SKIP_JOINS accesses: joining costs the stand-in entry's round trip through the engine's
 * heap, which a stay of one fault does not win back. Only the speed depends on it.
 */
const SHORT_STAY = 24;
const SKIP_JOINS = 64;

type Step = Yieldable | ActorExit | ActorParked;

/**
 * The actor of a process given back with a wait it already produced: the engine's step resumes
 * it first and gets that wait, then the real actor takes over (for this step and from then on).
 */
class Handover implements Actor<void> {
  y: Step | null = null;
  real: BatchMember | null = null;

  resume(p: Process<void>, value: unknown): Step {
    const y = this.y;
    const real = this.real!;
    if (y !== null) {
      this.y = null;
      p.actor = real;
      return y;
    }
    return real.resume(p, value);
  }

  fail(p: Process<void>, error: unknown): Step {
    const real = this.real!;
    if (real.fail === undefined) throw error;
    return real.fail(p, error);
  }
}

/**
 * A run's choice of vCPU scheduler (RunRequest.vcpuScheduler). Off by default: running the real
 * machines under this scheduler costs what the engine's dispatch does (vm-boot, 8 vCPUs) or 4%
 * more (the 1 TiB host's shape, more vCPUs than CPUs); it pays only once its phases are a
 * specialised twin (wasm/README.md, "The vCPU scheduler").
 */
export interface VcpuSchedulerOptions {
  /** Give every vCPU back to the engine after this many phases of a batch (0: never): the identity tests' probe. */
  handBackEvery?: number;
}

/** A run's vCPU scheduler, or null when the run asks for none or batching is off (every wait through the engine). */
export function vcpuSchedulerFor(sim: Simulation, opts: VcpuSchedulerOptions | undefined): VcpuScheduler | null {
  return opts === undefined || !sim.runAhead ? null : new VcpuScheduler(sim, opts.handBackEvery ?? 0);
}

export class VcpuScheduler {
  /** Phases run by batches (counted in the engine's eventsProcessed too). */
  phases = 0;
  private handedBackAt = 0;
  private readonly procs: Process<void>[] = [];
  private readonly members: BatchMember[] = [];
  /** Phases each member ran since it last joined. */
  private readonly stay: number[] = [];
  /** The owned waits, on (time, key) as the engine's (entries name a member by its slot). */
  private readonly q = new PendingSet(64);
  /** The top entry is the phase running and not yet removed (the engine's fused pop-and-push, Simulation.topLive). */
  private topLive = false;
  /** The one engine entry standing for all owned waits (a timer at the earliest one's key). */
  private readonly proxy: Schedulable;
  private readonly handover = new Handover();
  /** The vCPU whose phase runs (a throw fails it). */
  private current: Process<void> | null = null;
  // The engine's next pending event (time, key), read when the engine's sequence was hSeq: nothing
  // can be scheduled before it without taking a sequence number, so it holds until that moves.
  private hT = 0;
  private hK = 0;
  private hSeq = -1;

  constructor(private readonly sim: Simulation, private readonly handBackEvery: number) {
    this.proxy = sim.newTimer(() => this.run());
  }

  /**
   * A vCPU stepped by the engine produced wait y: a compute joins the scheduler (it is owned
   * from now on and the engine is told to leave it), anything else goes on to the engine.
   */
  join(p: Process<void>, m: BatchMember, y: Step): Step {
    if (y !== p || p.op !== Op.COMPUTE) return y;
    if (m.batchSkip > 0) {
      m.batchSkip--;
      return y;
    }
    if (m.batchSlot < 0) {
      m.batchSlot = this.procs.length;
      this.procs.push(p);
      this.members.push(m);
      this.stay.push(0);
    }
    this.stay[m.batchSlot] = 0;
    m.batched = true;
    this.own(p, m.batchSlot);
    this.rearm();
    return ACTOR_PARKED;
  }

  /** p's compute (its yielded command) becomes an owned wait, keyed as the engine would key it. */
  private own(p: Process<void>, slot: number): void {
    const sim = this.sim;
    p.op = Op.NONE;
    // The key taken here moves the sequence, and only that: the horizon read before still holds.
    if (this.hSeq === sim.sequence) this.hSeq++;
    const k = sim.nextKey();
    if (this.topLive === true) {
      this.topLive = false;
      this.q.replaceTop(sim.now + p.opNs, k, slot);
    } else {
      this.q.push(sim.now + p.opNs, k, slot);
    }
    p.liveKey = k;
    p.state = ProcState.COMPUTING;
  }

  /** The engine's entry for the owned waits: at the earliest one's exact key (none when none is owned). */
  private rearm(): void {
    const proxy = this.proxy;
    const q = this.q;
    this.settleTop();
    if (q.size === 0) {
      proxy.liveKey = -1;
      return;
    }
    if (proxy.liveKey !== q.key[0]) this.sim.scheduleTimer(proxy, q.time[0], q.key[0]);
  }

  private settleTop(): void {
    if (this.topLive === true) {
      this.topLive = false;
      this.q.popTop();
    }
  }

  /** The engine dispatched the entry: run owned phases in key order up to the horizon. */
  private run(): void {
    try {
      this.batch();
    } catch (err) {
      // A vCPU's phase threw: the process fails, as the engine's step reports it.
      const p = this.current;
      if (p === null || err instanceof ProcessFailure) throw err;
      p.state = ProcState.DONE;
      throw new ProcessFailure(p.name, this.sim.now, err);
    } finally {
      this.current = null;
    }
  }

  private batch(): void {
    const sim = this.sim;
    const every = this.handBackEvery;
    // The dispatched entry was at the head's key (the engine set the clock and counted it).
    let dispatched = true;
    this.hSeq = -1;
    const q = this.q;
    while (q.size > 0) {
      const t = q.time[0];
      const k = q.key[0];
      if (!dispatched) {
        if (!this.before(t, k)) break;
        sim.now = t;
        sim.eventsProcessed++;
      }
      dispatched = false;
      const s = q.id[0];
      // Removed when this phase's next wait replaces it, or after the phase.
      this.topLive = true;
      const p = this.procs[s];
      const m = this.members[s];
      if (p.liveKey !== k) {
        // The engine took it over meanwhile (an interrupt scheduled it).
        m.batched = false;
        this.settleTop();
        continue;
      }
      p.liveKey = -1;
      this.phases++;
      this.stay[s]++;
      if (!this.phase(p, m)) return;
      this.settleTop();
      if (every > 0 && this.phases - this.handedBackAt >= every) {
        this.handedBackAt = this.phases;
        this.handBackAll();
        return;
      }
    }
    this.rearm();
  }

  /**
   * One owned wait ended: resume the vCPU (as the engine's step would) until its next wait.
   * False when it was given back to the engine (the scheduler's entry is then already back).
   */
  private phase(p: Process<void>, m: BatchMember): boolean {
    const sim = this.sim;
    p.state = ProcState.RUNNING;
    let y = this.resume(p, m);
    for (;;) {
      if (y === p) {
        const op = p.op;
        if (op === Op.COMPUTE) {
          const t = sim.now + p.opNs;
          if (this.firstOwned(t) && this.before(t, Infinity)) {
            // Its end is the very next event: continue in place (the engine's compute run-ahead).
            p.op = Op.NONE;
            sim.now = t;
            sim.eventsProcessed++;
            this.phases++;
            y = this.resume(p, m);
            continue;
          }
          this.own(p, m.batchSlot);
          return true;
        }
        if (op === Op.LOCK) {
          const l = p.opLock!;
          p.opLock = null;
          p.op = Op.NONE;
          this.current = null; // the engine's step does not wrap a lock's own errors either
          if (l.acquire(p, p.opMode)) {
            y = this.resume(p, m);
            continue;
          }
          // Queued on the lock: the lock and the engine have it now.
          m.batched = false;
          return true;
        }
        if (op === Op.SLEEP && this.wakesInPlace(p)) {
          p.op = Op.NONE;
          sim.eventsProcessed++;
          y = this.resume(p, m);
          continue;
        }
      }
      this.giveBack(p, m, y);
      return false;
    }
  }

  /**
   * A sleep(0) whose wake-up is the very next event (nothing else pending at this time, here or
   * in the engine) and leaves no trace but a zero run-queue delay: the engine's in-place sleep.
   */
  private wakesInPlace(p: Process<void>): boolean {
    const sim = this.sim;
    const now = sim.now;
    if (p.opNs !== 0 || p.nOwned !== 0 || now > sim.batchLimit) return false;
    if (!this.firstOwned(now) || !this.before(now, Infinity)) return false;
    return sim.sleepInPlace(p);
  }

  /** An entry at t taking the next key would come before every other owned wait (the running phase's own is not one). */
  private firstOwned(t: number): boolean {
    const q = this.q;
    if (this.topLive !== true) return q.size === 0 || t < q.time[0];
    // The top is the running phase's: the others' minimum is the smaller of its two children.
    const n = q.size;
    const tm = q.time;
    return (n < 2 || t < tm[1]) && (n < 3 || t < tm[2]);
  }

  /**
   * (t, k) comes before the engine's next pending event and within the current run (k:
   * Infinity for an entry that would take the next sequence number, after every pending one).
   */
  private before(t: number, k: number): boolean {
    const sim = this.sim;
    if (sim.sequence !== this.hSeq) {
      this.hT = sim.peekNextTime();
      this.hK = sim.peekNextKey();
      this.hSeq = sim.sequence;
    }
    const hT = this.hT;
    return (t < hT || (t === hT && k < this.hK)) && t <= sim.batchLimit;
  }

  private resume(p: Process<void>, m: BatchMember): Step {
    this.current = p;
    return m.resume(p, undefined);
  }

  /** p leaves with wait y: the scheduler's entry goes back first, then the engine's step takes y. */
  private giveBack(p: Process<void>, m: BatchMember, y: Step): void {
    m.batched = false;
    if (this.stay[m.batchSlot] < SHORT_STAY) m.batchSkip = SKIP_JOINS;
    this.current = null;
    this.rearm();
    const h = this.handover;
    h.y = y;
    h.real = m;
    p.actor = h;
    this.sim.stepNow(p);
  }

  /** Every owned wait back to the engine at its exact key (the test knob's hand-back). */
  private handBackAll(): void {
    const sim = this.sim;
    const q = this.q;
    this.settleTop();
    for (let i = 0; i < q.size; i++) {
      const s = q.id[i];
      const p = this.procs[s];
      this.members[s].batched = false;
      if (p.liveKey === q.key[i]) sim.scheduleKeyed(p, q.time[i], q.key[i], ProcState.COMPUTING);
    }
    q.size = 0;
    this.proxy.liveKey = -1;
    this.hSeq = -1;
  }
}
