// The engine's speed work must not change behaviour: `done` created on first use, generators
// resumed through the intrinsic next/throw (and other iterators through their own), entries
// cancelled through the live-key table, draws built without boxing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Interrupt, RngStream, streamState, detLog } from '../../sim/engine/index.js';

test('done asked for only after the process returned comes already succeeded with its value', () => {
  const sim = new Simulation();
  const child = sim.spawn('child', function* (p) {
    yield p.sleep(5);
    return 42;
  });
  let got: unknown;
  let at = -1;
  sim.spawn('late', function* (p) {
    yield p.sleep(20); // the child returned at 5; its done event does not exist yet
    got = yield child.done;
    at = sim.now;
  });
  sim.run();
  assert.equal(got, 42);
  assert.equal(at, 20);
  assert.equal(child.done.triggered, true);
  assert.equal(child.done, child.done, 'one event per process');
});

test('done asked for before the return wakes its waiters, and composites over dones work', () => {
  const sim = new Simulation();
  const a = sim.spawn('a', function* (p) { yield p.sleep(3); return 'A'; });
  const b = sim.spawn('b', function* (p) { yield p.sleep(7); return 'B'; });
  let all: unknown;
  let at = -1;
  sim.spawn('w', function* () {
    all = yield sim.allOf([a.done, b.done]);
    at = sim.now;
  });
  sim.run();
  assert.deepEqual(all, ['A', 'B']);
  assert.equal(at, 7);
});

test('a body returning a plain iterator (not a generator) is resumed through its own next and throw', () => {
  const sim = new Simulation();
  const seen: unknown[] = [];
  let n = 0;
  sim.spawn('iter', (p) => {
    const it = {
      next(v?: unknown) {
        seen.push(v);
        n++;
        if (n === 1) return { done: false, value: p.sleep(10) };
        if (n === 2) return { done: false, value: sim.timeout(5, 'v') };
        return { done: true, value: undefined };
      },
      throw(e: unknown): IteratorResult<any, any> { throw e; },
      return(): IteratorResult<any, any> { return { done: true, value: undefined }; },
      [Symbol.iterator]() { return this; },
    };
    return it as unknown as Generator<any, void, any>;
  });
  const r = sim.run();
  assert.equal(r.now, 15);
  assert.deepEqual(seen, [undefined, undefined, 'v']);
});

test('an interrupt reaches generators of different functions (intrinsic throw), and the run goes on', () => {
  const sim = new Simulation();
  const log: string[] = [];
  const mk = (tag: string) => function* (p: import('../../sim/engine/index.js').Process) {
    try {
      yield p.sleep(100);
    } catch (e) {
      assert.ok(e instanceof Interrupt);
      log.push(`${tag}:${String(e.cause)}@${sim.now}`);
    }
  };
  const x = sim.spawn('x', mk('x'));
  const y = sim.spawn('y', mk('y'));
  sim.at(4, () => x.interrupt('stop'));
  sim.at(6, () => y.interrupt('halt'));
  sim.run();
  assert.deepEqual(log, ['x:stop@4', 'y:halt@6']);
});

test('a cancelled timer whose slot is reused by another entity does not cancel the newcomer', () => {
  const sim = new Simulation();
  const fired: string[] = [];
  const cancelA = sim.at(10, () => fired.push('A'));
  sim.at(2, () => {
    cancelA(); // frees A's slot
    sim.at(10, () => fired.push('B')); // takes a slot (possibly A's)
    cancelA(); // a second cancel must not touch B
  });
  const c = sim.at(3, () => fired.push('C'));
  sim.run();
  c(); // cancelling after it fired is a no-op
  assert.deepEqual(fired, ['C', 'B']);
});

test('uniform01 and uniform01Open are (next53 + 1) * 2^-53 and next53 * 2^-53 of the same draws', () => {
  const a = new RngStream(streamState(7, 'x', 0));
  const b = new RngStream(streamState(7, 'x', 0));
  for (let i = 0; i < 10000; i++) {
    assert.equal(a.uniform01(), (b.next53() + 1) * 2 ** -53);
    assert.equal(a.uniform01Open(), b.next53() * 2 ** -53);
  }
  // nextU32 still returns the unsigned word
  let sawHigh = false;
  for (let i = 0; i < 1000; i++) {
    const u = a.nextU32();
    assert.ok(Number.isInteger(u) && u >= 0 && u < 2 ** 32);
    if (u >= 2 ** 31) sawHigh = true;
  }
  assert.ok(sawHigh);
});

test('detLog special arguments (the split-out rare paths)', () => {
  assert.equal(detLog(0), -Infinity);
  assert.equal(detLog(-0), -Infinity);
  assert.ok(Number.isNaN(detLog(-1)));
  assert.ok(Number.isNaN(detLog(NaN)));
  assert.ok(Number.isNaN(detLog(-Infinity)));
  assert.equal(detLog(Infinity), Infinity);
  assert.equal(detLog(1), 0);
  // subnormals: log(2^-1074) = -1074 ln 2, within an ulp of the platform's
  for (const x of [5e-324, 2 ** -1030, 2 ** -1022 * 0.75]) {
    const got = detLog(x);
    const want = Math.log(x);
    assert.ok(Math.abs(got - want) <= Math.abs(want) * 2 ** -52, `${x}: ${got} vs ${want}`);
  }
  // |f| < 2^-20 branch: just above and below a power of two
  for (const x of [1 + 2 ** -30, 1 - 2 ** -30, 2 * (1 + 2 ** -40), 0.5 * (1 - 2 ** -40)]) {
    const got = detLog(x);
    const want = Math.log(x);
    assert.ok(Math.abs(got - want) <= Math.max(Math.abs(want) * 2 ** -51, 2 ** -1074), `${x}: ${got} vs ${want}`);
  }
});
