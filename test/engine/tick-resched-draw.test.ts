// When the scheduler tick ends an optimistic spin (sim/engine/locks/tick-resched.ts): at the first
// tick whose Bernoulli(tick_resched_ppm) draw hits, i.e. a geometric number of ticks after the
// last one, drawn by inversion from the lock's stream `lock/<name>/tick`. The expected tick is
// computed here from the same stream (a fresh simulation with the same seed draws the same u):
// ticks = 1 + floor(ln u / ln(1 - q)), the inverse of P(ticks > k) = (1 - q)^k.
//
// The scene (2 CPUs, lock costs 0 but the tick): A locks the mutex at 0 and computes; S locks at
// 10 and spins on the second CPU while A runs; C wants a CPU from 20 and gets one only when S's
// spin ends (S then sleeps, off its CPU), so C's start time is the tick that ended the spin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Mutex, type Process } from '../../sim/engine/index.js';
import { detLog } from '../../sim/engine/detmath.js';

const TICK = 1000;

function spinEnd(seed: number, ppm: number, tickNs = TICK, hold = 1_000_000) {
  const sim = new Simulation({ cpus: 2, seed, lockCosts: { tick_ns: tickNs, tick_resched_ppm: ppm } });
  const m = new Mutex(sim, 'm');
  const log: string[] = [];
  sim.spawn('A', function* (p: Process) {
    yield m.lock(p);
    yield p.compute(hold);
    m.unlock(p);
  });
  sim.spawn('S', function* (p: Process) {
    yield p.sleep(10);
    yield m.lock(p);
    log.push(`S locked@${sim.now}`);
    m.unlock(p);
  });
  sim.spawn('C', function* (p: Process) {
    yield p.sleep(20);
    yield p.compute(1);
    log.push(`C ran@${sim.now - 1}`);
  });
  sim.run();
  return log;
}

/** The tick (ns) at which a spin that began at `start` ends, from the first draw of `lock/m/tick`. */
function expectedTick(seed: number, ppm: number, start: number): number {
  const u = new Simulation({ seed }).rng('lock/m/tick').uniform01();
  const q = ppm / 1e6;
  const ticks = 1 + Math.floor(detLog(u) / detLog(1 - q));
  return (Math.floor(start / TICK) + ticks) * TICK;
}

test('tick need_resched: the spin ends at the geometric draw of ticks, on the tick grid', () => {
  const ppm = 300_000;
  const ends: number[] = [];
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const t = expectedTick(seed, ppm, 10);
    ends.push(t);
    // C gets S's CPU at the tick; S sleeps and is woken at A's unlock (1 ms), taking it then.
    assert.deepEqual(spinEnd(seed, ppm), [`C ran@${t}`, 'S locked@1000000'], `seed ${seed}`);
  }
  // The draws must reach past the first tick, or the geometric count would go unchecked.
  assert.ok(Math.max(...ends) >= 3 * TICK, `ticks drawn: ${ends.map((t) => t / TICK).join(', ')}`);
});

test('tick need_resched at one million ppm: every tick hits, the spin ends at the next tick', () => {
  assert.deepEqual(spinEnd(1, 1_000_000), ['C ran@1000', 'S locked@1000000']);
  // A spin that begins on a tick boundary ends one whole tick later, not on it.
  const sim = new Simulation({ cpus: 2, lockCosts: { tick_ns: TICK, tick_resched_ppm: 1_000_000 } });
  const m = new Mutex(sim, 'm');
  let cRan = -1;
  sim.spawn('A', function* (p: Process) {
    yield m.lock(p);
    yield p.compute(10_000);
    m.unlock(p);
  });
  sim.spawn('S', function* (p: Process) {
    yield p.sleep(2000);
    yield m.lock(p);
    m.unlock(p);
  });
  sim.spawn('C', function* (p: Process) {
    yield p.sleep(2001);
    cRan = sim.now;
    yield p.compute(1);
  });
  sim.run();
  assert.equal(cRan, 3000);
});

test('tick need_resched: a draw beyond the safe-integer range of ns arms nothing; the spinner takes the lock at the release', () => {
  // q = 1e-6 and a 2^50 ns tick: ticks ~ 1e6, the tick time ~ 2^70 ns, not representable.
  const seed = 1;
  assert.ok(!Number.isSafeInteger(expectedTick(seed, 1, 10) * (2 ** 50 / TICK)), 'the drawn tick must be out of range');
  // No tick ends the spin: S keeps its CPU until A unlocks at 100 (lock costs 0), so C waits for A's CPU.
  assert.deepEqual(spinEnd(seed, 1, 2 ** 50, 100), ['S locked@100', 'C ran@100']);
});
