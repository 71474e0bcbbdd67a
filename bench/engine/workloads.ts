// The engine benchmark's workloads, each a plain function returning what it did, so the CLI
// times them and the tests can run them small.
//  (a) timeouts: P processes each looping on an exponential timeout, E events in total;
//  (b) mutex: 16 processes on 16 CPUs taking one Mutex (hold exp mean 1 us on CPU, think exp
//      mean 16 us off CPU), N acquisitions, statistics on;
//  ceiling: a bare typed-array heap with the same (time, key) comparison that pops and pushes
//      the same exponential draws (same streams, same order) with no processes at all.
//  mutex floor: (b)'s lock loops hand-written over the same kind of heap and the same draws, no
//      engine and no statistics (what (b) would cost if the engine were free).
// (a) and (b) also come as state machines (Simulation.spawnActor) beside the generators.
import { Simulation, Mutex, makeDistribution, RngStream, streamState, detLog } from '../../sim/engine/index.js';
import type { Actor, Distribution, Process, Yieldable, ActorExit } from '../../sim/engine/index.js';
import { PendingSet } from '../../sim/engine/heap.js';

export interface WorkloadResult {
  /** Logical events (a, ceiling) or lock acquisitions (b). */
  ops: number;
  /** Simulated end time, ns (the ceiling must reach the same as (a)). */
  endNs: number;
  /** heapUsed at the end of the run, while its structures are still alive. */
  heapUsed: number;
  /** Engine events the run processed (heap pops), where an engine ran. */
  events?: number;
}

export const TIMEOUT_MEAN_NS = 1000;

/** (a) `procs` processes each sleeping `events / procs` exponential timeouts. */
export function timeoutsWorkload(procs: number, events: number, seed = 1): WorkloadResult {
  const sim = new Simulation({ seed });
  const per = Math.floor(events / procs);
  const d = makeDistribution({ kind: 'exponential', mean: TIMEOUT_MEAN_NS });
  for (let i = 0; i < procs; i++) {
    const rng = sim.rng(`p${i}`);
    sim.spawn(`p${i}`, function* (p) {
      for (let k = 0; k < per; k++) yield p.sleep(d.sample(rng));
    });
  }
  const r = sim.run();
  return { ops: per * procs, endNs: r.now, heapUsed: process.memoryUsage().heapUsed };
}

/** Workload (a)'s loop as a state machine: `left` exponential sleeps. */
class Sleeper implements Actor {
  constructor(
    private readonly d: Distribution,
    private readonly rng: RngStream,
    private left: number,
  ) {}

  resume(p: Process): Yieldable | ActorExit {
    if (this.left === 0) return p.exit();
    this.left--;
    return p.sleep(this.d.sample(this.rng));
  }
}

/** (a) with the processes written as state machines (Simulation.spawnActor) instead of generators. */
export function timeoutsActorWorkload(procs: number, events: number, seed = 1): WorkloadResult {
  const sim = new Simulation({ seed });
  const per = Math.floor(events / procs);
  const d = makeDistribution({ kind: 'exponential', mean: TIMEOUT_MEAN_NS });
  for (let i = 0; i < procs; i++) sim.spawnActor(`p${i}`, new Sleeper(d, sim.rng(`p${i}`), per));
  const r = sim.run();
  return { ops: per * procs, endNs: r.now, heapUsed: process.memoryUsage().heapUsed };
}

/** (b) 16 processes on 16 CPUs repeatedly taking one Mutex. */
export function mutexWorkload(procs: number, acquisitions: number, seed = 1): WorkloadResult {
  const sim = new Simulation({ seed, cpus: procs });
  const m = new Mutex(sim, 'bench_lock');
  const hold = makeDistribution({ kind: 'exponential', mean: 1000 });
  const think = makeDistribution({ kind: 'exponential', mean: 16000 });
  const per = Math.floor(acquisitions / procs);
  for (let i = 0; i < procs; i++) {
    const rng = sim.rng(`t${i}`);
    sim.spawn(`t${i}`, function* (p) {
      for (let k = 0; k < per; k++) {
        yield m.lock(p);
        yield p.compute(hold.sample(rng));
        m.unlock(p);
        yield p.sleep(think.sample(rng));
      }
    });
  }
  const r = sim.run();
  const heapUsed = process.memoryUsage().heapUsed;
  const acq = sim.stats.counter('bench_lock.acquisitions').value;
  if (acq !== per * procs) throw new Error(`mutex workload: ${acq} acquisitions, expected ${per * procs}`);
  return { ops: acq, endNs: r.now, heapUsed, events: r.eventsProcessed };
}

/** Workload (b)'s loop as a state machine: lock, compute(hold), unlock, sleep(think), `per` times. */
class MutexLooper implements Actor {
  private k = 0;
  private phase = 0;
  constructor(
    private readonly m: Mutex,
    private readonly hold: Distribution,
    private readonly think: Distribution,
    private readonly rng: RngStream,
    private readonly per: number,
  ) {}

  resume(p: Process): Yieldable | ActorExit {
    if (this.phase === 0) {
      if (this.k === this.per) return p.exit();
      this.phase = 1;
      return this.m.lock(p);
    }
    if (this.phase === 1) {
      this.phase = 2;
      return p.compute(this.hold.sample(this.rng));
    }
    this.m.unlock(p);
    this.phase = 0;
    this.k++;
    return p.sleep(this.think.sample(this.rng));
  }
}

/** (b) with the 16 processes written as state machines (Simulation.spawnActor) instead of generators. */
export function mutexActorWorkload(procs: number, acquisitions: number, seed = 1): WorkloadResult {
  const sim = new Simulation({ seed, cpus: procs });
  const m = new Mutex(sim, 'bench_lock');
  const hold = makeDistribution({ kind: 'exponential', mean: 1000 });
  const think = makeDistribution({ kind: 'exponential', mean: 16000 });
  const per = Math.floor(acquisitions / procs);
  for (let i = 0; i < procs; i++) sim.spawnActor(`t${i}`, new MutexLooper(m, hold, think, sim.rng(`t${i}`), per));
  const r = sim.run();
  const heapUsed = process.memoryUsage().heapUsed;
  const acq = sim.stats.counter('bench_lock.acquisitions').value;
  if (acq !== per * procs) throw new Error(`mutex workload: ${acq} acquisitions, expected ${per * procs}`);
  return { ops: acq, endNs: r.now, heapUsed, events: r.eventsProcessed };
}

const PRIORITY_UNIT = 2 ** 40;

/** The exponential draws of workload (a), actor by actor: draws[w * per + k] is actor w's k-th timeout. */
export function predraw(procs: number, events: number, seed = 1): Float64Array {
  const per = Math.floor(events / procs);
  const out = new Float64Array(per * procs);
  for (let w = 0; w < procs; w++) {
    const s = new RngStream(streamState(seed, `p${w}`, 0));
    for (let k = 0; k < per; k++) out[w * per + k] = Math.floor(-TIMEOUT_MEAN_NS * detLog(s.uniform01()) + 0.5);
  }
  return out;
}

/**
 * The ceiling: the same timeouts as (a) with the process loop replaced by an index. Pop the top
 * (time, key, actor), then push (now + draw, key', actor) with a separate pop and push, exactly
 * what an engine without the fused replace-top would do; same streams, so same end time.
 * Its heap is the engine's own PendingSet (sim/engine/heap.ts) used as a bare heap: the same
 * typed arrays, key comparison and branch-free sift, so the ceiling is never slower than the
 * engine at what the engine also does.
 * With `drawn` (from predraw) the draws are read from memory instead of computed: the
 * heap-only ceiling.
 */
export function ceilingWorkload(procs: number, events: number, seed = 1, drawn?: Float64Array): WorkloadResult {
  const per = Math.floor(events / procs);
  let cap = 1024;
  while (cap < procs) cap *= 2;
  const h = new PendingSet(cap);
  const left = new Int32Array(procs).fill(per);
  const rngs: RngStream[] = [];
  if (!drawn) for (let i = 0; i < procs; i++) rngs.push(new RngStream(streamState(seed, `p${i}`, 0)));
  let seq = 0;
  // Spawn: each actor's first step at t=0 draws its first timeout (as the processes do).
  for (let i = 0; i < procs; i++) h.push(0, PRIORITY_UNIT + seq++, i);
  let now = 0;
  let ops = 0;
  const spawned = new Uint8Array(procs);
  while (h.size > 0) {
    now = h.time[0];
    const w = h.id[0];
    h.popTop();
    if (spawned[w] === 0) spawned[w] = 1;
    else ops++;
    if (left[w] > 0) {
      const draw = drawn ? drawn[w * per + (per - left[w])] : Math.floor(-TIMEOUT_MEAN_NS * detLog(rngs[w].uniform01()) + 0.5);
      left[w]--;
      h.push(now + draw, PRIORITY_UNIT + seq++, w);
    }
  }
  return { ops, endNs: now, heapUsed: process.memoryUsage().heapUsed };
}

/**
 * The floor of workload (b): the same 16 lock loops hand-written over the engine's own heap with
 * the same (time, key) order and the same draws, no processes, no engine, no statistics. It
 * follows the engine's Mutex on 16 CPUs with zero lock costs: a free lock is taken at once, a
 * contender spins in FIFO order (its owner is always computing on a CPU), and on unlock the first
 * spinner takes the lock at the same instant (an entry at `now`, after everything already due
 * then). So it ends at the same simulated time after the same number of dispatches as (b),
 * which the benchmark checks: what (b) would cost if the engine were free.
 */
export function mutexFloorWorkload(procs: number, acquisitions: number, seed = 1): WorkloadResult {
  const per = Math.floor(acquisitions / procs);
  const holdMean = 1000;
  const thinkMean = 16000;
  let cap = 64;
  while (cap < procs * 2) cap *= 2;
  // An entry's owner is process * 4 + what it does next: 0 = ask for the lock, 1 = compute
  // ends (unlock, think), 2 = the lock was handed over (compute).
  const h = new PendingSet(cap);
  const left = new Int32Array(procs).fill(per);
  const spin = new Int32Array(procs);
  let spinHead = 0;
  let spinLen = 0;
  const rngs: RngStream[] = [];
  for (let i = 0; i < procs; i++) rngs.push(new RngStream(streamState(seed, `t${i}`, 0)));
  const draw = (w: number, mean: number) => Math.floor(-mean * detLog(rngs[w].uniform01()) + 0.5);
  let seq = 0;
  const push = (t: number, w: number, op: number): number => h.push(t, PRIORITY_UNIT + seq++, w * 4 + op);
  for (let i = 0; i < procs; i++) push(0, i, 0);
  let owner = -1;
  let now = 0;
  let events = 0;
  let acq = 0;
  while (h.size > 0) {
    now = h.time[0];
    const w = h.id[0] >> 2;
    const op = h.id[0] & 3;
    h.popTop();
    events++;
    if (op === 0) {
      if (left[w] === 0) continue; // the loop is over: the process returns
      if (owner === -1) {
        owner = w;
        acq++;
        push(now + draw(w, holdMean), w, 1);
      } else {
        spin[(spinHead + spinLen++) % procs] = w;
      }
    } else if (op === 1) {
      left[w]--;
      if (spinLen > 0) {
        const s = spin[spinHead];
        spinHead = (spinHead + 1) % procs;
        spinLen--;
        owner = s;
        push(now, s, 2);
      } else {
        owner = -1;
      }
      push(now + draw(w, thinkMean), w, 0);
    } else {
      acq++;
      push(now + draw(w, holdMean), w, 1);
    }
  }
  return { ops: acq, endNs: now, heapUsed: process.memoryUsage().heapUsed, events };
}
