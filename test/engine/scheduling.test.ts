// The pending-event set and processes: key order, cancellation, events, composites,
// return values, interrupts, failure and stall reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, Interrupt, ProcessFailure, StallError, PRIORITY_URGENT } from '../../sim/engine/index.js';
import { PendingSet } from '../../sim/engine/heap.js';
import fc from 'fast-check';

test('heap pops in (time, priority, sequence) order for random pushes and fused replaces', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 300 }), (items) => {
    const h = new PendingSet(4);
    const ref: Array<[number, number, number]> = [];
    items.forEach(([t, pr], i) => {
      const k = pr * 2 ** 40 + i;
      h.push(t, k, i);
      ref.push([t, k, i]);
    });
    ref.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const got: number[] = [];
    while (h.size > 0) {
      got.push(h.id[0]);
      h.popTop();
    }
    assert.deepEqual(got, ref.map((r) => r[2]));
  }));
});

test('simultaneous events: same time runs in priority then insertion order', () => {
  const sim = new Simulation();
  const log: string[] = [];
  sim.at(10, () => log.push('a-normal'));
  sim.at(10, () => log.push('b-urgent'), PRIORITY_URGENT);
  sim.at(10, () => log.push('c-normal'));
  sim.at(5, () => log.push('early'));
  sim.spawn('p', function* (p) {
    yield p.sleep(10);
    log.push('p-wakes');
  });
  sim.run();
  assert.deepEqual(log, ['early', 'b-urgent', 'a-normal', 'c-normal', 'p-wakes']);
});

test('processes started at one time run in spawn order; sleep(0) yields to the others', () => {
  const sim = new Simulation();
  const log: string[] = [];
  for (const n of ['x', 'y']) {
    sim.spawn(n, function* (p) {
      log.push(`${n}1`);
      yield p.sleep(0);
      log.push(`${n}2`);
    });
  }
  sim.run();
  assert.deepEqual(log, ['x1', 'y1', 'x2', 'y2']);
});

test('cancellation: a cancelled timer never fires and does not advance the clock', () => {
  const sim = new Simulation();
  let fired = false;
  const cancel = sim.at(100, () => { fired = true; });
  sim.at(10, () => cancel());
  const r = sim.run();
  assert.equal(fired, false);
  assert.equal(r.now, 10);
});

test('return values resolve done; a process can wait for another', () => {
  const sim = new Simulation();
  const child = sim.spawn('child', function* (p) {
    yield p.sleep(7);
    return 42;
  });
  let got = 0;
  let at = 0;
  sim.spawn('parent', function* (p) {
    got = yield child.done;
    at = sim.now;
  });
  sim.run();
  assert.equal(got, 42);
  assert.equal(at, 7);
});

test('events: waiters resume at trigger time in wait order; a triggered event returns at once', () => {
  const sim = new Simulation();
  const ev = sim.event<string>('go');
  const log: string[] = [];
  for (const n of ['a', 'b']) sim.spawn(n, function* () {
    const v = yield ev;
    log.push(`${n}:${v}@${sim.now}`);
  });
  sim.spawn('trigger', function* (p) {
    yield p.sleep(5);
    ev.succeed('yes');
    const again = yield ev;
    log.push(`late:${again}@${sim.now}`);
  });
  sim.run();
  assert.deepEqual(log, ['late:yes@5', 'a:yes@5', 'b:yes@5']);
});

test('a failed event throws into its waiters', () => {
  const sim = new Simulation();
  const ev = sim.event('bad');
  let caught: unknown = null;
  sim.spawn('w', function* () {
    try {
      yield ev;
    } catch (e) {
      caught = e;
    }
  });
  sim.at(3, () => ev.fail(new Error('boom')));
  sim.run();
  assert.match(String(caught), /boom/);
});

test('allOf waits for every event and gives values in order; anyOf gives the first', () => {
  const sim = new Simulation();
  const a = sim.event<number>('a');
  const b = sim.event<number>('b');
  let all: number[] = [];
  let any: { index: number; value: number } | null = null;
  let tAll = 0;
  let tAny = 0;
  sim.spawn('w', function* () {
    any = yield sim.anyOf([a, b]);
    tAny = sim.now;
    all = yield sim.allOf([a, b]);
    tAll = sim.now;
  });
  sim.at(4, () => b.succeed(2));
  sim.at(9, () => a.succeed(1));
  sim.run();
  assert.deepEqual(any, { index: 1, value: 2 });
  assert.equal(tAny, 4);
  assert.deepEqual(all, [1, 2]);
  assert.equal(tAll, 9);
});

test('interrupt: a sleeping process gets Interrupt at the interrupt time, its timeout is cancelled', () => {
  const sim = new Simulation();
  const log: string[] = [];
  const sleeper = sim.spawn('sleeper', function* (p) {
    try {
      yield p.sleep(1000);
      log.push('woke normally');
    } catch (e) {
      assert.ok(e instanceof Interrupt);
      log.push(`interrupted(${(e as Interrupt).cause})@${sim.now}`);
    }
    yield p.sleep(5);
    log.push(`done@${sim.now}`);
  });
  sim.spawn('poker', function* (p) {
    yield p.sleep(10);
    sleeper.interrupt('stop');
  });
  const r = sim.run();
  assert.deepEqual(log, ['interrupted(stop)@10', 'done@15']);
  assert.equal(r.now, 15);
});

test('interrupt while waiting on an event removes the waiter', () => {
  const sim = new Simulation();
  const ev = sim.event('never-mind');
  let resumed = 0;
  const w = sim.spawn('w', function* () {
    try {
      yield ev;
    } catch {
      resumed++;
    }
  });
  sim.at(1, () => w.interrupt());
  sim.at(2, () => ev.succeed());
  sim.run();
  assert.equal(resumed, 1);
  assert.equal(ev.waiters.length, 0);
});

test('a process that throws fails the run with its name and simulated time', () => {
  const sim = new Simulation();
  sim.spawn('faulty-vcpu', function* (p) {
    yield p.sleep(123);
    throw new Error('bad gfn');
  });
  assert.throws(() => sim.run(), (e: unknown) => e instanceof ProcessFailure && e.processName === 'faulty-vcpu' && e.timeNs === 123 && /bad gfn/.test(e.message));
});

test('stall: the run fails naming each blocked process and what it waits on', () => {
  const sim = new Simulation();
  const ev = sim.event('page-ready');
  sim.spawn('vcpu0', function* () {
    yield ev;
  });
  sim.spawn('ok', function* (p) {
    yield p.sleep(3);
  });
  sim.spawn('daemon', function* () {
    yield sim.event('requests');
  }, { daemon: true });
  assert.throws(() => sim.run(), (e: unknown) => e instanceof StallError && e.blocked.length === 1 &&
    e.blocked[0].name === 'vcpu0' && /event page-ready/.test(e.blocked[0].waitsOn) && e.timeNs === 3);
});

test('run({until}) stops before later events and sets the clock; a later run continues', () => {
  const sim = new Simulation();
  const times: number[] = [];
  sim.spawn('tick', function* (p) {
    for (let i = 0; i < 5; i++) {
      yield p.sleep(10);
      times.push(sim.now);
    }
  });
  const r1 = sim.run({ until: 25 });
  assert.equal(r1.stoppedBy, 'until');
  assert.equal(r1.now, 25);
  assert.deepEqual(times, [10, 20]);
  assert.equal(sim.peekNextTime(), 30);
  sim.run();
  assert.deepEqual(times, [10, 20, 30, 40, 50]);
});

test('bad times are rejected: negative or fractional sleeps fail the process', () => {
  const sim = new Simulation();
  sim.spawn('bad', function* (p) {
    yield p.sleep(1.5);
  });
  assert.throws(() => sim.run(), /non-negative integer/);
});

test('timeout events give waits a deadline', () => {
  const sim = new Simulation();
  const never = sim.event('reply');
  const soon = sim.event<string>('fast-reply');
  const got: Array<[number, number]> = [];
  sim.spawn('w', function* () {
    const a = yield sim.anyOf([never, sim.timeout(100, 'late')]);
    got.push([a.index, sim.now]);
    const b = yield sim.anyOf([soon, sim.timeout(100)]);
    got.push([b.index, sim.now]);
  });
  sim.at(150, () => soon.succeed('ok'));
  sim.run();
  assert.deepEqual(got, [[1, 100], [0, 150]]);
});
