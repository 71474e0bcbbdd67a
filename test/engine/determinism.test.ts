// Same seed -> byte-identical snapshot JSON; another seed or replication -> different.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, RwSemaphore, RwLock, makeDistribution } from '../../sim/engine/index.js';

function scenario(seed: number, replication = 0): string {
  const sim = new Simulation({ seed, replication, cpus: 3, lockCosts: { sleep_ns: 200, wakeup_ns: 900, cacheline_ns: 40, spin_poll_ns: 20 } });
  const notifier = new Mutex(sim, 'notifier_lock');
  const inode = new RwSemaphore(sim, 'inode_lock');
  const mmu = new RwLock(sim, 'mmu_lock');
  const think = makeDistribution({ kind: 'exponential', mean: 5_000 });
  const work = makeDistribution({ kind: 'lognormal', median: 800, sigma: 0.7 });
  const lat = sim.stats.histogram('op.latency_ns');
  for (let v = 0; v < 6; v++) sim.spawn(`vm0/vcpu${v}`, function* (p) {
    const rng = sim.rng(p.name);
    for (let i = 0; i < 300; i++) {
      yield p.sleep(think.sample(rng));
      const t0 = sim.now;
      if (rng.below(4) === 0) {
        yield inode.downWrite(p);
        yield notifier.lock(p);
        yield mmu.writeLock(p);
        yield p.compute(work.sample(rng));
        mmu.writeUnlock(p);
        notifier.unlock(p);
        inode.upWrite(p);
      } else {
        yield mmu.readLock(p);
        yield p.compute(work.sample(rng));
        mmu.readUnlock(p);
      }
      lat.record(sim.now - t0);
    }
  });
  sim.run();
  return JSON.stringify(sim.stats.snapshot());
}

test('the same seed gives a byte-identical snapshot', () => {
  const a = scenario(1);
  const b = scenario(1);
  assert.equal(a, b);
  assert.ok(a.length > 1000);
});

test('another seed or replication gives a different snapshot', () => {
  const a = scenario(1);
  assert.notEqual(a, scenario(2));
  assert.notEqual(a, scenario(1, 1));
});
