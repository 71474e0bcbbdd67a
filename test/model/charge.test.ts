// charge without a generator per call: the same waits, values and interrupts as the generator
// `{ const t = Math.round(ns); if (t > 0) yield p.compute(t); }` it replaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interrupt, Simulation, type Process, type Yieldable } from '../../sim/engine/index.js';
import { charge } from '../../sim/model/charge.js';

function* generatorCharge(p: Process, ns: number): Generator<Yieldable, void, unknown> {
  const t = Math.round(ns);
  if (t > 0) yield p.compute(t);
}

type Charge = (p: Process, ns: number) => Iterable<Yieldable>;

/** Three processes interleaving charges (some rounding to zero) on two CPUs: who ran when. */
function interleaved(c: Charge): string[] {
  const sim = new Simulation({ cpus: 2 });
  const log: string[] = [];
  for (let i = 0; i < 3; i++) {
    sim.spawn(`p${i}`, function* (p) {
      for (let k = 0; k < 4; k++) {
        const r: unknown = yield* c(p, (i + 1) * 3.4 + k * 0.2 - (k === 2 ? 10 : 0));
        log.push(`${p.name}:${k}@${sim.now}:${String(r)}`);
      }
    });
  }
  sim.run();
  return log;
}

test('charge: interleaved charges of several processes wait exactly as generator charges do', () => {
  const log = interleaved(charge);
  assert.deepEqual(log, interleaved(generatorCharge));
  assert.equal(log.length, 12);
  assert.ok(log.includes('p0:0@3:undefined'), log.join(' '));
});

test('charge: an interrupt during the compute is thrown at the yield* (and can be caught there)', () => {
  for (const c of [charge, generatorCharge] as Charge[]) {
    const sim = new Simulation();
    let seen = '';
    const victim = sim.spawn('victim', function* (p) {
      try {
        yield* c(p, 100);
        seen = 'not interrupted';
      } catch (err) {
        seen = `${(err as Interrupt).cause}@${sim.now}`;
      }
      yield* c(p, 5);
      return sim.now;
    });
    sim.spawn('kicker', function* (p) {
      yield p.sleep(40);
      victim.interrupt('kick');
    });
    sim.run();
    assert.equal(seen, 'kick@40');
    assert.equal(victim.done.value, 45);
  }
});

test('charge: a charge that was never run with yield* is a bug, reported at the next charge', () => {
  const sim = new Simulation();
  sim.spawn('bad', function* (p) {
    charge(p, 10);
    yield* charge(p, 10);
  });
  assert.throws(() => sim.run(), /never run/);
  // Reported once: the next simulation's charges are not poisoned by it.
  const ok = new Simulation();
  ok.spawn('good', function* (p) {
    yield* charge(p, 7);
  });
  assert.equal(ok.run().now, 7);
});
