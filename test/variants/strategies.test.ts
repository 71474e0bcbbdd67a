// Each variant strategy's observable effect (sim/variants/strategies.ts; issue 18's mutation run
// of the `strategies` slice): the gfn range a punch invalidates (v10's restrictedmem_range_is_valid
// in u64, the rework's exact intersection), how each notifier lock orders readers and updaters
// and what unregister waits for, the memory-error lookups, the MMU's fault-exit cost. The
// expected figures are worked out by hand from the kernel code each strategy names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, type Process } from '../../sim/engine/index.js';
import { defaultProfile } from '../../sim/costs/index.js';
import { STRATEGIES, GFN_WRAPPED, exactGfnRange, type SlotWindow } from '../../sim/variants/index.js';
import { kvm_mmu_page_fault } from '../../sim/model/index.js';
import { makeHost, runOne } from '../model/helpers.js';

// A slot of 100 gfns at base_gfn 1000 bound at file page 50: pages [50, 150) back gfns [1000, 1100).
const SLOT: SlotWindow = { baseGfn: 1000, npages: 100, offsetPages: 50 };

test('exactGfnRange (the 2023 rework, guest_memfd): the file pages the slot binds, shifted to base_gfn; nothing outside the window', () => {
  assert.deepEqual(exactGfnRange(SLOT, 60, 70), [1010, 1020], 'inside');
  assert.deepEqual(exactGfnRange(SLOT, 0, 60), [1000, 1010], 'from below the window');
  assert.deepEqual(exactGfnRange(SLOT, 140, 400), [1090, 1100], 'past its end');
  assert.deepEqual(exactGfnRange(SLOT, 0, 1000), [1000, 1100], 'over all of it');
  assert.deepEqual(exactGfnRange(SLOT, 149, 150), [1099, 1100], 'its last page');
  assert.equal(exactGfnRange(SLOT, 0, 50), undefined, 'ending where the window starts');
  assert.equal(exactGfnRange(SLOT, 150, 160), undefined, 'starting where it ends');
  assert.equal(exactGfnRange(SLOT, 60, 60), undefined, 'empty');
  assert.equal(STRATEGIES.notifier.rwsem.slotRange, exactGfnRange, 'the rwsem rework binds exactly');
});

test('restrictedmem_range_is_valid (v10 9/9, u64): inside and overlapping as the exact range; a punch below the window wraps gfn_end past every gfn unless base_gfn absorbs it; above it, none', () => {
  for (const name of ['v10', 'held-across', 'srcu'] as const) {
    const range = STRATEGIES.notifier[name].slotRange;
    assert.deepEqual(range(SLOT, 60, 70), [1010, 1020], `${name}: inside`);
    assert.deepEqual(range(SLOT, 140, 400), [1090, 1100], `${name}: past the end (gfn_end = base_gfn + npages)`);
    assert.deepEqual(range(SLOT, 50, 150), [1000, 1100], `${name}: exactly the window`);
    assert.equal(range(SLOT, 150, 160), undefined, `${name}: above the window, gfn_start >= gfn_end`);
    // below: gfn_start = base_gfn (start <= base_pgoff), gfn_end = 1000 + 10 - 50 = 960 < gfn_start
    assert.equal(range(SLOT, 0, 10), undefined, `${name}: below, but base_gfn keeps gfn_end positive`);
    // a slot at gfn 0 bound at page 1000: gfn_end = 0 + 10 - 1000 wraps in u64
    assert.deepEqual(range({ baseGfn: 0, npages: 100, offsetPages: 1000 }, 0, 10), [0, GFN_WRAPPED], `${name}: below, wrapped`);
    // gfn_end = 0 + 1000 - 1000 = 0, no wrap: gfn_start 0 is not below it
    assert.equal(range({ baseGfn: 0, npages: 100, offsetPages: 1000 }, 0, 1000), undefined, `${name}: ending at the window, gfn_end 0`);
    assert.deepEqual(range({ baseGfn: 0, npages: 100, offsetPages: 1000 }, 0, 1001), [0, 1], `${name}: one page into the window`);
  }
});

test('memory-error lookup sb-walk (v10 with the list fix): walks s_inodes in order, skips I_FREEING inodes, counts every inode it visits', () => {
  const M = {};
  const inodes = [{ memfdMapping: M, freeing: true, id: 'a' }, { memfdMapping: {}, freeing: false, id: 'b' }, { memfdMapping: M, freeing: false, id: 'c' }, { memfdMapping: M, freeing: false, id: 'd' }];
  const walk = STRATEGIES.errorLookup['sb-walk'];
  assert.deepEqual(walk.lookup(inodes, M, undefined), { found: inodes[2], walked: 3, nullDeref: false }, 'a is freeing, b is another file');
  assert.deepEqual(walk.lookup(inodes, {}, undefined), { walked: 4, nullDeref: false }, 'not found: the whole list walked');
  assert.deepEqual(walk.lookup([], M, undefined), { walked: 0, nullDeref: false });
  assert.equal(walk.stepCost, 'restrictedmem.error_walk_per_inode_ns');
});

test('memory-error lookup sb-walk-as-posted: one step to the pseudo-fs root, whose private_data is NULL; direct: mapping->private_data in one step', () => {
  const M = {};
  const f = { memfdMapping: M, freeing: false };
  assert.deepEqual(STRATEGIES.errorLookup['sb-walk-as-posted'].lookup([f], M, f), { walked: 1, nullDeref: true });
  assert.deepEqual(STRATEGIES.errorLookup.direct.lookup([], M, f), { found: f, walked: 1, nullDeref: false }, 'found without the list');
  assert.deepEqual(STRATEGIES.errorLookup.direct.lookup([f], M, undefined), { found: undefined, walked: 1, nullDeref: false });
  assert.equal(STRATEGIES.errorLookup.direct.stepCost, 'restrictedmem.error_direct_lookup_ns');
});

/** A simulation with pure queueing (no lock costs) and a 50 us SRCU grace period; `tracks` gets the rmem0 locks the trace names (holds, waits). */
const GP = 50_000;
const quietSim = (tracks = new Set<string>()) => new Simulation({
  seed: 1, cpus: 8, lockCosts: { srcu_gp_ns: GP },
  tracer: {
    span: (track, name) => { for (const m of `${track} ${name}`.matchAll(/rmem0\/\w+/g)) tracks.add(m[0]); },
    instant: () => {},
    counter: () => {},
  },
});

/**
 * Reader r1 holds the notifier lock's read side over [0, 10 us), reader r2 asks at 1 us and holds
 * 5 us, updater u (register/unregister) asks at 2 us and holds 1 us: when each gets in, and when
 * u's afterUnregister returns.
 */
function notifierTimeline(name: keyof typeof STRATEGIES.notifier) {
  const tracks = new Set<string>();
  const sim = quietSim(tracks);
  const lock = STRATEGIES.notifier[name].create(sim, {}, 'rmem0');
  const t: Record<string, number> = {};
  const reader = (id: string, at: number, hold: number) => sim.spawn(id, function* (p: Process) {
    yield p.sleep(at);
    const token = yield* lock.lockRead(p);
    t[id] = sim.now;
    yield p.sleep(hold);
    lock.unlockRead(p, token);
  });
  reader('r1', 0, 10_000);
  reader('r2', 1_000, 5_000);
  sim.spawn('u', function* (p: Process) {
    yield p.sleep(2_000);
    yield* lock.lockUpdate(p);
    t.u = sim.now;
    yield p.sleep(1_000);
    lock.unlockUpdate(p);
    yield* lock.afterUnregister(p, defaultProfile());
    t.freed = sim.now;
  });
  sim.run();
  return { t, held: lock.heldAcrossPunch, tracks: [...tracks].sort() };
}

test('notifier v10 and held-across: one mutex, FIFO, for readers and updaters alike; v10 takes it per phase, held-across over the punch; no grace period', () => {
  for (const name of ['v10', 'held-across'] as const) {
    const { t, held, tracks } = notifierTimeline(name);
    // r1 0..10 us; r2 (queued at 1 us) 10..15 us; u (queued at 2 us) 15..16 us; freed at once
    assert.deepEqual(t, { r1: 0, r2: 10_000, u: 15_000, freed: 16_000 }, name);
    assert.equal(held, name === 'held-across', name);
    assert.deepEqual(tracks, ['rmem0/notifier_lock'], 'traced on the file\'s own track');
  }
});

test('notifier rwsem: readers share it, the updater waits for both; held over the punch; no grace period', () => {
  const { t, held, tracks } = notifierTimeline('rwsem');
  // r1 0..10 us, r2 1..6 us together; u waits for the last reader out at 10 us
  assert.deepEqual(t, { r1: 0, r2: 1_000, u: 10_000, freed: 11_000 });
  assert.equal(held, true);
  assert.deepEqual(tracks, ['rmem0/notifier_lock']);
});

test('notifier srcu: readers never wait, not even for an updater; the updater takes its mutex at once; unregister waits for the readers in progress and the grace period', () => {
  const { t, held, tracks } = notifierTimeline('srcu');
  // u unlinks 2..3 us; synchronize_srcu from 3 us waits for r1 (to 10 us) and no less than 3 + 50 us
  assert.deepEqual(t, { r1: 0, r2: 1_000, u: 2_000, freed: 3_000 + GP });
  assert.equal(held, false, 'per phase, as v10');
  assert.deepEqual(tracks, ['rmem0/notifier_lock', 'rmem0/notifier_srcu']);
});

test('notifier srcu: two updaters serialise on the update mutex; a reader after the unlink does not hold up the grace period', () => {
  const sim = quietSim();
  const lock = STRATEGIES.notifier.srcu.create(sim, {}, 'rmem0');
  const t: Record<string, number> = {};
  for (const [id, at] of [['u1', 0], ['u2', 1_000]] as const) {
    sim.spawn(id, function* (p: Process) {
      yield p.sleep(at);
      yield* lock.lockUpdate(p);
      t[id] = sim.now;
      yield p.sleep(4_000);
      lock.unlockUpdate(p);
      if (id === 'u1') {
        yield* lock.afterUnregister(p, defaultProfile());
        t.freed = sim.now;
      }
    });
  }
  sim.spawn('late reader', function* (p: Process) {
    yield p.sleep(5_000);
    const token = yield* lock.lockRead(p);
    yield p.sleep(200_000);
    lock.unlockRead(p, token);
  });
  sim.run();
  assert.deepEqual(t, { u1: 0, u2: 4_000, freed: 4_000 + GP });
});

for (const [mmu, exit] of [['shadow', 'kvm.fault_exit_shadow_ns'], ['tdp', 'kvm.fault_exit_tdp_ns']] as const) {
  test(`mmu ${mmu}: each fault attempt starts with ${exit} (guest exit, kvm_mmu_page_fault entry, re-entry)`, async () => {
    const { sim, host } = await makeHost({ variant: `v10+${mmu}` });
    const vm = host.createVm({ name: 'vm0' });
    const out = runOne(sim, (p) => kvm_mmu_page_fault(p, vm.vcpus[0]!, 77, { private: true })).value;
    assert.deepEqual([out.result, out.latencyNs], ['no_slot', Math.round(host.costs.ns(exit))], 'no memslot: the exit is all it costs (rounded once, as charged)');
    assert.equal(STRATEGIES.mmu[mmu].faultLockMode, mmu === 'tdp' ? 'read' : 'write');
    assert.equal(STRATEGIES.mmu[mmu].maxLevel, mmu === 'tdp' ? 3 : 1);
  });
}
