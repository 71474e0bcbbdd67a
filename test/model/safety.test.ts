// Safety and liveness outcomes (issue 4): unsafe-no-retry trips the stale-mapping check on a
// fault/punch race; v10 and notifier-srcu trip the balance check when a memslot registers or
// unregisters during a punch; notifier-held-across, notifier-rwsem and guest_memfd stay clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Simulation } from '../../sim/engine/index.js';
import {
  kvm_delete_memory_region, kvm_mmu_page_fault, kvm_set_memory_region, privateFileCreate, privateFileFallocate, privateFilePunch,
  type AnyPrivateFile, type Host, type Memslot, type Vm,
} from '../../sim/model/index.js';
import { makeHost, MiB } from './helpers.js';

const REGION = 2 * MiB;
const PAGES = REGION / 4096;

/** Two vCPUs faulting random gfns of one 2 MiB region while the VMM punches it every 150 us. */
async function faultPunchRace(variant: string, untilNs = 4_000_000) {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB, cpus: 4 });
  const vm = host.createVm({ name: 'vm0', vcpus: 2 });
  let file: AnyPrivateFile | undefined;
  sim.spawn('vmm', function* (p) {
    file = yield* privateFileCreate(p, host, vm, REGION);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: PAGES, file, offset: 0 });
    for (;;) {
      yield p.sleep(150_000);
      if (sim.now > untilNs) return;
      yield* privateFilePunch(p, file, 0, REGION);
    }
  });
  for (const vcpu of vm.vcpus) {
    sim.spawn(vcpu.name, function* (p) {
      const rng = sim.rng(vcpu.name);
      yield p.sleep(50_000);
      while (sim.now < untilNs) {
        const gfn = rng.nextU32() % PAGES;
        if (vm.pt.walk(gfn) >= 0) {
          yield p.sleep(1000); // guest runs (its CPU time is not the host's concern here)
          continue;
        }
        vcpu.inGuest = false;
        yield* kvm_mmu_page_fault(p, vcpu, gfn, { private: true });
        vcpu.inGuest = true;
      }
      vcpu.inGuest = false;
    });
  }
  sim.run();
  return { sim, host, violations: host.finish() };
}

test('unsafe-no-retry: a fault racing a punch maps a truncated page (stale_mapping reported with a trail)', async () => {
  const { violations } = await faultPunchRace('unsafe-no-retry');
  const stale = violations.filter((v) => v.kind === 'stale_mapping');
  assert.ok(stale.length > 0, `expected stale mappings, got ${JSON.stringify(violations.map((v) => v.kind))}`);
  assert.ok(stale[0]!.trail.length > 0 && stale[0]!.trail.some((e) => e.what === 'fault_map'));
});

for (const variant of ['v10', 'notifier-held-across', 'notifier-rwsem', 'guest_memfd']) {
  test(`${variant}: the same fault/punch race stays safe (faults retry instead)`, async () => {
    const { violations, sim } = await faultPunchRace(variant);
    assert.deepEqual(violations.map((v) => `${v.kind}: ${v.detail}`), []);
    const retries = sim.stats.snapshot()['fault.retries'];
    assert.ok(retries && retries.type === 'counter' && retries.value > 0, 'the race happened: some faults retried');
  });
}

/**
 * A 64 MiB punch of a populated file bound to slot 0, while another thread creates (then
 * deletes) a memslot whose window overlaps the punched range, in the middle of the truncation.
 * guest_memfd cannot bind an overlapping range of its file, so its second slot takes the
 * following range (the kernel refuses the overlap; the bind still has to wait for the punch).
 */
async function churnDuringPunch(variant: string, what: 'register' | 'unregister') {
  const { sim, host } = await makeHost({ variant, memoryBytes: 512 * MiB });
  const vm = host.createVm({ name: 'vm0', vcpus: 1 });
  const size = 128 * MiB;
  const gmem = host.s.backend.name === 'guest_memfd';
  let file: AnyPrivateFile | undefined;
  let slot1: Memslot | undefined;
  sim.spawn('vmm', function* (p) {
    file = yield* privateFileCreate(p, host, vm, size);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 16384, file, offset: 0 });
    if (what === 'unregister') slot1 = yield* kvm_set_memory_region(p, vm, { slot: 1, baseGfn: 0x100000, npages: 16384, file, offset: gmem ? 64 * MiB : 0 });
    yield* privateFileFallocate(p, file, 0, 64 * MiB);
    sim.spawn('churn', function* (q) {
      yield q.sleep(500_000); // inside the ~2 ms truncation
      if (what === 'register') yield* kvm_set_memory_region(q, vm, { slot: 1, baseGfn: 0x100000, npages: 16384, file: file!, offset: gmem ? 64 * MiB : 0 });
      else yield* kvm_delete_memory_region(q, vm, slot1!);
    });
    yield* privateFilePunch(p, file, 0, gmem && what === 'unregister' ? 128 * MiB : 64 * MiB);
  });
  sim.run();
  return { host, vm, violations: host.finish() };
}

for (const [variant, registerKind, unregisterKind] of [
  ['v10', 'invalidate_underflow', 'invalidate_unbalanced'],
  ['notifier-srcu', 'invalidate_underflow', 'invalidate_unbalanced'],
] as const) {
  test(`${variant}: a memslot registered during a punch gets an end without a begin (${registerKind})`, async () => {
    const { violations, vm } = await churnDuringPunch(variant, 'register');
    assert.ok(violations.some((v) => v.kind === registerKind), JSON.stringify(violations.map((v) => v.kind)));
    assert.equal(vm.mmu_invalidate_in_progress, -1);
  });
  test(`${variant}: a memslot unregistered during a punch leaves in_progress raised (${unregisterKind})`, async () => {
    const { violations, vm } = await churnDuringPunch(variant, 'unregister');
    assert.ok(violations.some((v) => v.kind === unregisterKind), JSON.stringify(violations.map((v) => v.kind)));
    assert.equal(vm.mmu_invalidate_in_progress, 1);
  });
}

for (const variant of ['notifier-held-across', 'notifier-rwsem', 'guest_memfd']) {
  for (const what of ['register', 'unregister'] as const) {
    test(`${variant}: a memslot ${what}ed during a punch waits for it; counts stay balanced`, async () => {
      const { violations, vm } = await churnDuringPunch(variant, what);
      assert.deepEqual(violations.map((v) => `${v.kind}: ${v.detail}`), []);
      assert.equal(vm.mmu_invalidate_in_progress, 0);
    });
  }
}

test('v10: after an unpaired register, a later fault/punch race maps a stale page (the consequence raised in review)', async () => {
  // in_progress at -1: the next punch's begin takes it to 0, mmu_invalidate_retry_gfn skips the range check.
  const { sim, host } = await makeHost({ variant: 'v10', memoryBytes: 256 * MiB, cpus: 4 });
  const vm = host.createVm({ name: 'vm0', vcpus: 2 });
  vm.mmu_invalidate_in_progress = -1; // the state the register race leaves (tested above)
  await raceOn(sim, host, vm);
  const v = host.finish().filter((x) => x.kind === 'stale_mapping');
  assert.ok(v.length > 0, 'stale mapping after the unbalanced count');
});

function raceOn(sim: Simulation, host: Host, vm: Vm): Promise<void> {
  sim.spawn('vmm', function* (p) {
    const file = yield* privateFileCreate(p, host, vm, REGION);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: PAGES, file, offset: 0 });
    for (let i = 0; i < 25; i++) {
      yield p.sleep(150_000);
      yield* privateFilePunch(p, file, 0, REGION);
    }
  });
  for (const vcpu of vm.vcpus) {
    sim.spawn(vcpu.name, function* (p) {
      const rng = sim.rng(vcpu.name);
      yield p.sleep(50_000);
      while (sim.now < 3_800_000) {
        const gfn = rng.nextU32() % PAGES;
        if (vm.pt.walk(gfn) >= 0) {
          yield p.sleep(1000); // guest runs (its CPU time is not the host's concern here)
          continue;
        }
        yield* kvm_mmu_page_fault(p, vcpu, gfn, { private: true });
      }
    });
  }
  sim.run();
  return Promise.resolve();
}
