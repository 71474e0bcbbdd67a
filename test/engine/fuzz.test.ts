// Random mixes of every lock, CPUs, costs and interrupts: mutual exclusion always holds, every
// run ends with all queues empty (no lost wake-up, no stall), and a rerun is byte-identical.
// The mutex and rwsem timing is compared with a reference model in lock-reference.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Simulation, Mutex, RwSemaphore, Spinlock, RwLock, Srcu, Interrupt } from '../../sim/engine/index.js';
import type { Process } from '../../sim/engine/index.js';

interface Params { seed: number; cpus: number; procs: number; sleep: number; wake: number; line: number; poll: number; gp: number; interrupts: number }

function scenario(x: Params): string {
  const sim = new Simulation({
    seed: x.seed, cpus: x.cpus === 0 ? Infinity : x.cpus,
    lockCosts: { sleep_ns: x.sleep, wakeup_ns: x.wake, cacheline_ns: x.line, spin_poll_ns: x.poll, srcu_gp_ns: x.gp, rwsem_wait_timeout_ns: 5000 },
  });
  const mutex = new Mutex(sim, 'mutex');
  const sem = new RwSemaphore(sim, 'rwsem');
  const spin = new Spinlock(sim, 'spin');
  const rw = new RwLock(sim, 'rwlock');
  const srcu = new Srcu(sim, 'srcu');
  // Who holds what, checked at every acquisition.
  let mutexHeld = 0;
  let semW = 0;
  let semR = 0;
  let spinHeld = 0;
  let rwW = 0;
  let rwR = 0;
  const bad: string[] = [];
  const check = (what: string) => {
    if (mutexHeld > 1 || spinHeld > 1 || semW > 1 || rwW > 1 || (semW && semR) || (rwW && rwR)) bad.push(`${what}@${sim.now}: m${mutexHeld} s${spinHeld} semW${semW} semR${semR} rwW${rwW} rwR${rwR}`);
  };
  const procs: Process[] = [];
  for (let i = 0; i < x.procs; i++) {
    procs.push(sim.spawn(`p${i}`, function* (p) {
      const r = sim.rng(p.name);
      for (let k = 0; k < 40; k++) {
        const work = 1 + r.below(300);
        try {
          switch (r.below(8)) {
            case 0: {
              yield mutex.lock(p);
              mutexHeld++;
              check('mutex');
              try {
                yield r.below(2) ? p.compute(work) : p.sleep(work);
              } finally {
                mutexHeld--;
                mutex.unlock(p);
              }
              break;
            }
            case 1:
            case 2: {
              const write = r.below(2) === 0;
              yield write ? sem.downWrite(p) : sem.downRead(p);
              if (write) semW++;
              else semR++;
              check('rwsem');
              try {
                yield p.sleep(work);
              } finally {
                if (write) {
                  semW--;
                  sem.upWrite(p);
                } else {
                  semR--;
                  sem.upRead(p);
                }
              }
              break;
            }
            case 3: {
              yield spin.lock(p);
              spinHeld++;
              check('spin');
              try {
                yield p.compute(work >> 3);
              } finally {
                spinHeld--;
                spin.unlock(p);
              }
              break;
            }
            case 4:
            case 5: {
              const write = r.below(3) === 0;
              yield write ? rw.writeLock(p) : rw.readLock(p);
              if (write) rwW++;
              else rwR++;
              check('rwlock');
              try {
                yield p.compute(work >> 2);
              } finally {
                if (write) {
                  rwW--;
                  rw.writeUnlock(p);
                } else {
                  rwR--;
                  rw.readUnlock(p);
                }
              }
              break;
            }
            case 6: {
              const idx = srcu.readLock(p);
              try {
                yield p.sleep(work);
              } finally {
                srcu.readUnlock(p, idx);
              }
              break;
            }
            default:
              yield srcu.synchronize(p);
          }
          yield p.sleep(r.below(200));
        } catch (e) {
          if (!(e instanceof Interrupt)) throw e;
        }
      }
    }));
  }
  sim.spawn('interrupter', function* (p) {
    const r = sim.rng('interrupter');
    for (let i = 0; i < x.interrupts; i++) {
      yield p.sleep(1 + r.below(2000));
      const v = procs[r.below(procs.length)];
      if (v.isAlive) v.interrupt('fuzz');
    }
  });
  sim.run();
  assert.deepEqual(bad, []);
  const snap = sim.stats.snapshot();
  for (const name of ['mutex', 'rwsem', 'spin', 'rwlock', 'srcu']) {
    const q = snap[`${name}.queue_len`];
    assert.ok(q.type === 'gauge' && q.last === 0, `${name} queue not empty at the end`);
  }
  return JSON.stringify(snap);
}

const params = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  cpus: fc.integer({ min: 0, max: 4 }),
  procs: fc.integer({ min: 2, max: 7 }),
  sleep: fc.constantFrom(0, 50, 300),
  wake: fc.constantFrom(0, 100, 900),
  line: fc.constantFrom(0, 20),
  poll: fc.constantFrom(0, 30),
  gp: fc.constantFrom(0, 500),
  interrupts: fc.integer({ min: 0, max: 40 }),
});

test('fuzz (long): 3000 random scenarios', { skip: !process.env.RMSIM_LONG }, () => {
  fc.assert(fc.property(params, (x) => {
    const a = scenario(x);
    assert.equal(scenario(x), a);
  }), { numRuns: 3000 });
});

test('fuzz: exclusion, empty queues at the end, deterministic reruns', () => {
  fc.assert(fc.property(
    fc.record({
      seed: fc.integer({ min: 0, max: 1_000_000 }),
      cpus: fc.integer({ min: 0, max: 4 }),
      procs: fc.integer({ min: 2, max: 7 }),
      sleep: fc.constantFrom(0, 50, 300),
      wake: fc.constantFrom(0, 100, 900),
      line: fc.constantFrom(0, 20),
      poll: fc.constantFrom(0, 30),
      gp: fc.constantFrom(0, 500),
      interrupts: fc.integer({ min: 0, max: 40 }),
    }),
    (x) => {
      const a = scenario(x);
      assert.equal(scenario(x), a);
    },
  ), { numRuns: 250, seed: 20261125 });
});
