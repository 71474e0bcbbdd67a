// State-machine processes (Simulation.spawnActor): the same loop written as an Actor and as a
// generator gives byte-identical statistics and end time; exit values, failures, interrupts and
// stalls behave as they do for generators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, RwSemaphore, RwLock, makeDistribution, Interrupt, ProcessFailure, StallError } from '../../sim/engine/index.js';
import type { Actor, ActorExit, Distribution, Process, RngStream, SimEvent, Yieldable } from '../../sim/engine/index.js';
import { mutexActorWorkload, mutexWorkload, timeoutsActorWorkload, timeoutsWorkload } from '../../bench/engine/workloads.js';

const LOCK_COSTS = { sleep_ns: 200, wakeup_ns: 900, cacheline_ns: 40, spin_poll_ns: 20 };

interface Locks { notifier: Mutex; inode: RwSemaphore; mmu: RwLock; think: Distribution; work: Distribution }

function setup(seed: number): { sim: Simulation; l: Locks } {
  const sim = new Simulation({ seed, cpus: 3, lockCosts: LOCK_COSTS });
  return {
    sim,
    l: {
      notifier: new Mutex(sim, 'notifier_lock'),
      inode: new RwSemaphore(sim, 'inode_lock'),
      mmu: new RwLock(sim, 'mmu_lock'),
      think: makeDistribution({ kind: 'exponential', mean: 5_000 }),
      work: makeDistribution({ kind: 'lognormal', median: 800, sigma: 0.7 }),
    },
  };
}

/** Each vCPU: think, then either a writer pass through three locks or a reader pass; `rounds` times. */
function generatorScenario(seed: number, rounds: number): string {
  const { sim, l } = setup(seed);
  const lat = sim.stats.histogram('op.latency_ns');
  for (let v = 0; v < 6; v++) sim.spawn(`vcpu${v}`, function* (p) {
    const rng = sim.rng(p.name);
    for (let i = 0; i < rounds; i++) {
      yield p.sleep(l.think.sample(rng));
      const t0 = sim.now;
      if (rng.below(4) === 0) {
        yield l.inode.downWrite(p);
        yield l.notifier.lock(p);
        yield l.mmu.writeLock(p);
        yield p.compute(l.work.sample(rng));
        l.mmu.writeUnlock(p);
        l.notifier.unlock(p);
        l.inode.upWrite(p);
      } else {
        yield l.mmu.readLock(p);
        yield p.compute(l.work.sample(rng));
        l.mmu.readUnlock(p);
      }
      lat.record(sim.now - t0);
    }
    return rounds;
  });
  const r = sim.run();
  return JSON.stringify({ now: r.now, stats: sim.stats.snapshot() });
}

/** The same vCPU loop as a state machine: `phase` is where the generator above would be suspended. */
class VcpuActor implements Actor<number> {
  private i = 0;
  private phase = 0;
  private t0 = 0;
  constructor(
    private readonly sim: Simulation,
    private readonly l: Locks,
    private readonly rng: RngStream,
    private readonly rounds: number,
    private readonly lat: { record(v: number): void },
  ) {}

  resume(p: Process<number>): Yieldable | ActorExit {
    const l = this.l;
    switch (this.phase) {
      case 0:
        if (this.i === this.rounds) return p.exit(this.rounds);
        this.phase = 1;
        return p.sleep(l.think.sample(this.rng));
      case 1:
        this.t0 = this.sim.now;
        if (this.rng.below(4) === 0) {
          this.phase = 2;
          return l.inode.downWrite(p);
        }
        this.phase = 10;
        return l.mmu.readLock(p);
      case 2:
        this.phase = 3;
        return l.notifier.lock(p);
      case 3:
        this.phase = 4;
        return l.mmu.writeLock(p);
      case 4:
        this.phase = 5;
        return p.compute(l.work.sample(this.rng));
      case 5:
        l.mmu.writeUnlock(p);
        l.notifier.unlock(p);
        l.inode.upWrite(p);
        return this.endRound(p);
      case 10:
        this.phase = 11;
        return p.compute(l.work.sample(this.rng));
      default:
        l.mmu.readUnlock(p);
        return this.endRound(p);
    }
  }

  private endRound(p: Process<number>): Yieldable | ActorExit {
    this.lat.record(this.sim.now - this.t0);
    this.i++;
    this.phase = 0;
    return this.resume(p);
  }
}

function actorScenario(seed: number, rounds: number): string {
  const { sim, l } = setup(seed);
  const lat = sim.stats.histogram('op.latency_ns');
  for (let v = 0; v < 6; v++) sim.spawnActor(`vcpu${v}`, new VcpuActor(sim, l, sim.rng(`vcpu${v}`), rounds, lat));
  const r = sim.run();
  return JSON.stringify({ now: r.now, stats: sim.stats.snapshot() });
}

test('an actor and its generator twin give byte-identical statistics (mutex, rwsem, qrwlock, 3 CPUs)', () => {
  for (const seed of [1, 2, 3]) {
    const g = generatorScenario(seed, 200);
    assert.equal(actorScenario(seed, 200), g, `seed ${seed}`);
  }
  assert.notEqual(generatorScenario(1, 200), generatorScenario(2, 200), 'the comparison would notice a change');
});

test('the engine benchmark workloads agree between actors and generators', () => {
  assert.equal(timeoutsActorWorkload(50, 20_000).endNs, timeoutsWorkload(50, 20_000).endNs);
  const a = mutexActorWorkload(16, 20_000);
  const g = mutexWorkload(16, 20_000);
  assert.equal(a.endNs, g.endNs);
  assert.equal(a.events, g.events);
  assert.equal(a.ops, 20_000);
});

test('exit ends the actor and resolves done with its value; a generator can wait for it', () => {
  const sim = new Simulation();
  const ev: SimEvent<number> = sim.event('go');
  let steps = 0;
  const a = sim.spawnActor<string>('a', {
    resume: (p, v) => {
      steps++;
      if (steps === 1) return p.sleep(10);
      if (steps === 2) return ev;
      return p.exit(`got ${v as number} at ${sim.now}`);
    },
  });
  sim.at(25, () => ev.succeed(7));
  let got = '';
  sim.spawn('waiter', function* () {
    got = (yield a.done) as string;
  });
  sim.run();
  assert.equal(got, 'got 7 at 25');
  assert.equal(steps, 3);
  assert.equal(a.isAlive, false);
});

test('an actor that throws fails the run with its name and the simulated time', () => {
  const sim = new Simulation();
  let step = 0;
  sim.spawnActor('broken', {
    resume: (p) => {
      if (step++ === 0) return p.sleep(40);
      throw new Error('boom');
    },
  });
  assert.throws(() => sim.run(), (e: unknown) => e instanceof ProcessFailure && e.processName === 'broken' && e.timeNs === 40);
});

test('an interrupt reaches fail(); without fail() it fails the process', () => {
  const sim = new Simulation();
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  sim.spawn('owner', function* (p) {
    yield m.lock(p);
    yield p.sleep(100);
    m.unlock(p);
  });
  const w = sim.spawnActor('waiter', {
    resume: (p, v) => (log.length === 0 ? m.lock(p) : p.exit(v)),
    fail: (p, err) => {
      log.push(`${(err as Interrupt).cause} at ${sim.now}`);
      return p.sleep(5);
    },
  });
  sim.at(30, () => w.interrupt('stop'));
  sim.run();
  assert.deepEqual(log, ['stop at 30']);
  assert.equal(sim.stats.counter('m.acquisitions').value, 1, 'the interrupted waiter left the queue');

  const sim2 = new Simulation();
  const x = sim2.spawnActor('no-handler', { resume: (p) => p.sleep(100) });
  sim2.at(10, () => x.interrupt('why'));
  assert.throws(() => sim2.run(), (e: unknown) => e instanceof ProcessFailure && e.processName === 'no-handler' && e.error instanceof Interrupt);
});

test('a stalled actor is named with what it waits on', () => {
  const sim = new Simulation();
  const ev = sim.event('never');
  sim.spawnActor('stuck', { resume: () => ev });
  assert.throws(() => sim.run(), (e: unknown) => e instanceof StallError && e.blocked.some((b) => b.name === 'stuck' && b.waitsOn === 'event never'));
});

test('an actor returning something that is not a wait gets a TypeError', () => {
  const sim = new Simulation();
  sim.spawnActor('bad', { resume: () => 42 as unknown as Yieldable });
  assert.throws(() => sim.run(), (e: unknown) => e instanceof ProcessFailure && e.error instanceof TypeError);
});

test('only an actor ends by returning ACTOR_EXIT: a generator yielding it gets a TypeError', async () => {
  const { ACTOR_EXIT } = await import('../../sim/engine/index.js');
  const sim = new Simulation();
  sim.spawn('gen', function* () {
    yield ACTOR_EXIT as unknown as Yieldable;
  });
  assert.throws(() => sim.run(), (e: unknown) => e instanceof ProcessFailure && e.error instanceof TypeError && /symbol/.test(String(e.error.message)));
  const sim2 = new Simulation();
  const p = sim2.spawnActor('act', { resume: (q: Process) => q.exit(7) });
  sim2.run();
  assert.equal(p.isAlive, false);
});
