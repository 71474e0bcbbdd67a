// An M/M/1 queue behind a Mutex (one CPU per process: no CPU model) must match theory:
// mean wait Wq = rho / (mu - lambda), within 2%.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, makeDistribution } from '../../sim/engine/index.js';

function mm1(rho: number, customers: number, seed: number): number {
  const serviceMean = 1000; // ns
  const sim = new Simulation({ seed });
  const server = new Mutex(sim, 'server');
  const inter = makeDistribution({ kind: 'exponential', mean: serviceMean / rho });
  const service = makeDistribution({ kind: 'exponential', mean: serviceMean });
  const svcRng = sim.rng('service');
  sim.spawn('arrivals', function* (p) {
    const rng = sim.rng('arrivals');
    for (let i = 0; i < customers; i++) {
      yield p.sleep(inter.sample(rng));
      sim.spawn('customer', function* (c) {
        yield server.lock(c);
        yield c.compute(service.sample(svcRng));
        server.unlock(c);
      });
    }
  });
  sim.run();
  const w = sim.stats.snapshot()['server.wait_ns'];
  assert.ok(w.type === 'histogram' && w.count === customers);
  return w.type === 'histogram' ? w.sum / w.count : NaN;
}

function theory(rho: number): number {
  return (rho * 1000) / (1 - rho);
}

test('M/M/1 behind a Mutex: mean wait within 2% of theory at rho 0.5', () => {
  const w = mm1(0.5, 300_000, 1);
  assert.ok(Math.abs(w / theory(0.5) - 1) < 0.02, `Wq ${w.toFixed(1)} vs ${theory(0.5)}`);
});

test('M/M/1 behind a Mutex: mean wait within 2% of theory at rho 0.8', () => {
  const w = mm1(0.8, 1_000_000, 1);
  assert.ok(Math.abs(w / theory(0.8) - 1) < 0.02, `Wq ${w.toFixed(1)} vs ${theory(0.8)}`);
});

test('M/M/1 long check: several seeds, 5M customers each', { skip: !process.env.RMSIM_LONG }, () => {
  for (const seed of [2, 3, 4]) {
    for (const rho of [0.5, 0.8]) {
      const w = mm1(rho, 5_000_000, seed);
      assert.ok(Math.abs(w / theory(rho) - 1) < 0.02, `seed ${seed} rho ${rho}: Wq ${w.toFixed(1)} vs ${theory(rho)}`);
    }
  }
});
