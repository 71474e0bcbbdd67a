// The fault path's decisions one at a time, at their boundaries (issue 18: the mutation run of
// sim/model/mmu.ts left these untested): when guest_memfd's pre-check retries
// (mmu_invalidate_retry_gfn_unsafe, 6.9+ virt/kvm/kvm_main.c), and at which level a private gfn
// may be mapped (kvm_mmu_max_mapping_level, arch/x86/kvm/mmu/mmu.c: folio order, the MMU's cap,
// the 2 MiB block inside the slot, base_gfn congruent to the file offset, uniform attributes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../sim/engine/index.js';
import { defaultProfile } from '../../sim/costs/index.js';
import { kvm_mmu_max_mapping_level, mmu_invalidate_retry_gfn_unsafe } from '../../sim/model/mmu.js';
import { createHost, kvm_mmu_page_fault, kvm_set_memory_region, privateFileCreate, privateFileFallocate, type Memslot, type Vm } from '../../sim/model/index.js';
import { STRATEGIES } from '../../sim/variants/index.js';
import { fastPathsFor, GiB, makeHost, MiB, runOne, vmWithSharedGfns } from './helpers.js';

async function vmOf(variant: string): Promise<Vm> {
  const { host } = await makeHost({ variant });
  return host.createVm({ name: 'vm0' });
}

const slotOf = (vm: Vm, baseGfn: number, npages: number, offsetPages = 0): Memslot => ({ id: 0, vm, baseGfn, npages, offsetPages, userspaceGfn: baseGfn });

/** A host with a small retry bound, so a fault that never succeeds ends quickly. */
async function boundedHost(variant: string, maxFaultRetries: number) {
  const profile = defaultProfile();
  const sim = new Simulation({ seed: 1, cpus: 2, lockCosts: profile.lockCosts });
  const host = createHost(sim, { memoryBytes: 1 * GiB, fastpaths: await fastPathsFor(GiB / 4096), profile, variant, maxFaultRetries });
  return { sim, host, vm: host.createVm({ name: 'vm0' }) };
}

/** One private fault at gfn 9 of a bound 4 MiB file while an invalidation of the whole slot never ends. */
async function faultUnderEndlessInvalidation(variant: string, maxFaultRetries: number) {
  const { sim, host, vm } = await boundedHost(variant, maxFaultRetries);
  const out = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    vm.mmu_invalidate_in_progress = 1;
    vm.mmu_invalidate_range_start = 0;
    vm.mmu_invalidate_range_end = 1024;
    return yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 9, { private: true });
  }).value;
  return { sim, host, vm, out };
}

test('mmu_invalidate_retry_gfn_unsafe (6.9+): retries inside [range_start, range_end) of an invalidation in progress, or once the sequence moved; not otherwise', async () => {
  const vm = await vmOf('guest_memfd');
  vm.mmu_invalidate_seq = 5;
  vm.mmu_invalidate_in_progress = 1;
  vm.mmu_invalidate_range_start = 100;
  vm.mmu_invalidate_range_end = 200;
  const retry = (gfn: number, seq = 5) => mmu_invalidate_retry_gfn_unsafe(vm, seq, gfn);
  assert.deepEqual([99, 100, 150, 199, 200, 201].map((g) => retry(g)), [false, true, true, true, false, false], 'the range is half open');
  assert.equal(retry(50, 4), true, 'the sequence moved since the snapshot');
  vm.mmu_invalidate_in_progress = 0;
  assert.equal(retry(150), false, 'no invalidation in progress, same sequence');
  assert.equal(retry(150, 6), true);
});

test('kvm_mmu_max_mapping_level: a 2 MiB folio maps at 2 MiB under tdp when its block lies wholly in the slot, congruent and uniform; 4 KiB otherwise', async () => {
  const vm = await vmOf('v10+tdp');
  const level = (slot: Memslot, gfn: number, order = 9) => kvm_mmu_max_mapping_level(vm, slot, gfn, order);
  const whole = slotOf(vm, 0, 1024);
  assert.equal(level(whole, 600), 2, 'block [512, 1024) ends exactly at the slot end');
  assert.equal(level(whole, 512), 2, 'at the block head');
  assert.equal(level(whole, 1023), 2, 'at the block tail');
  assert.equal(level(whole, 600, 0), 1, 'an order-0 folio');
  assert.equal(level(whole, 600, 8), 1, 'an order below 9');
  assert.equal(level(whole, 600, 10), 2, 'an order above 9 still maps at 2 MiB here');
  assert.equal(level(slotOf(vm, 0, 1000), 600), 1, 'the block runs past the slot end');
  assert.equal(level(slotOf(vm, 0, 1000), 100), 2, 'the first block is still whole');
  assert.equal(level(slotOf(vm, 512, 1024), 512), 2, 'the slot starts at the block head');
  assert.equal(level(slotOf(vm, 512, 1024, 512), 700), 2, 'base_gfn - offset a multiple of 512');
  assert.equal(level(slotOf(vm, 0, 2048, 512), 700), 2, 'a negative multiple of 512 is congruent too');
  assert.equal(level(slotOf(vm, 0, 2048, 1), 700), 1, 'offset 1 page: not congruent');
  assert.equal(level(slotOf(vm, 512, 1024, 256), 700), 1, 'offset half a block: not congruent');
  vm.memAttr.set(1000, 1001, false);
  assert.equal(level(whole, 600), 1, 'one shared page makes the block mixed');
  assert.equal(level(whole, 100), 2, 'the other block stays uniform');
});

test('kvm_mmu_max_mapping_level: shadow paging caps every mapping at 4 KiB (the guest maps 4 KiB pages)', async () => {
  const vm = await vmOf('v10+shadow');
  assert.equal(kvm_mmu_max_mapping_level(vm, slotOf(vm, 0, 1024), 600, 9), 1);
});

test('kvm_mmu_page_fault under v10+thp-always+tdp: a fault inside a 2 MiB folio maps the whole block at its head, each gfn to its own page of the folio', async () => {
  const { sim, host } = await makeHost({ variant: 'v10+thp-always+tdp' });
  const vm = host.createVm({ name: 'vm0' });
  const out = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 8 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 1024, npages: 2048, file: f, offset: 0 });
    yield* privateFileFallocate(p, f, 2 * MiB, 2 * MiB);
    return yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 1024 + 512 + 100, { private: true });
  }).value;
  assert.deepEqual([out.result, out.level, out.retries], ['mapped', 2, 0]);
  const head = vm.pt.walk(1024 + 512);
  assert.ok(head >= 0, 'the block head is mapped');
  assert.equal(vm.pt.walkLevel(1024 + 512), 2);
  assert.equal(vm.pt.walk(1024 + 512 + 100), head + 100);
  assert.equal(vm.pt.walk(1024 + 1023), head + 511);
  assert.equal(vm.pt.walk(1024 + 511), -1, 'the block before is not');
  assert.equal(vm.pt.walk(1024 + 1024), -1, 'nor the block after');
  assert.equal(host.finish().length, 0);
});

test('kvm_mmu_page_fault: no slot, an attribute mismatch, a dead VM: each ends the fault with its result and maps nothing', async () => {
  const { sim, host } = await makeHost({ variant: 'guest_memfd' });
  const vm = host.createVm({ name: 'vm0' });
  const r = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    const noSlot = yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 5000, { private: true });
    const shared = yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 10, { private: false });
    vm.dead = true;
    const dead = yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 11, { private: true });
    return [noSlot.result, shared.result, dead.result];
  }).value;
  assert.deepEqual(r, ['no_slot', 'memory_fault_exit', 'shutdown']);
  assert.equal(vm.pt.walk(10), -1);
  assert.equal(vm.pt.walk(11), -1);
});

test('kvm_mmu_page_fault: a shared gfn gets a movable page of the VMM once; a second fault after a zap maps the same page', async () => {
  const { sim, vm } = await vmWithSharedGfns();
  runOne(sim, (p) => kvm_mmu_page_fault(p, vm.vcpus[0]!, 3, { private: false }));
  const first = vm.pt.walk(3);
  assert.ok(first >= 0);
  assert.equal(vm.shared.get(3), first);
  vm.pt.zapRange(0, 16);
  const again = runOne(sim, (p) => kvm_mmu_page_fault(p, vm.vcpus[0]!, 3, { private: false })).value;
  assert.equal(again.result, 'mapped');
  assert.equal(vm.pt.walk(3), first, 'no second allocation');
});

test('kvm_mmu_page_fault under guest_memfd: a pre-check that never clears retries maxFaultRetries times, then reports fault_livelock and counts the retries', async () => {
  const { sim, host, vm, out } = await faultUnderEndlessInvalidation('guest_memfd', 7);
  assert.deepEqual([out.result, out.retries, out.level], ['livelock', 8, 0]);
  const v = host.safety.violations.filter((x) => x.kind === 'fault_livelock');
  assert.equal(v.length, 1);
  assert.match(v[0]!.detail, /gfn 9 retried 7 times/);
  assert.equal(sim.stats.snapshot()['memory.allocated_bytes'], undefined, 'the pre-check retries before kvm_gmem_get_pfn: no page was allocated');
  const retries = sim.stats.snapshot()['fault.retries'];
  assert.ok(retries && retries.type === 'counter' && retries.value === 8, 'the retries of a fault that never mapped are counted');
  const lat = sim.stats.snapshot()['fault.latency_ns'];
  assert.ok(!lat || (lat.type === 'histogram' && lat.count === 0), 'and it records no fault latency');
});

test('kvm_mmu_page_fault under v10 (no pre-check): a fault that stays stale under mmu_lock gets its page, drops it and retries, maxFaultRetries times, then reports fault_livelock', async () => {
  const { sim, host, vm, out } = await faultUnderEndlessInvalidation('v10', 5);
  assert.deepEqual([out.result, out.retries], ['livelock', 6]);
  assert.equal(vm.pt.walk(9), -1, 'nothing mapped');
  const m = sim.stats.snapshot();
  const alloc = m['memory.allocated_bytes'];
  assert.ok(alloc && alloc.type === 'counter' && alloc.value === 4096, 'restrictedmem_get_page allocated the page once; the retries found it');
  assert.equal(host.safety.violations.filter((x) => x.kind === 'fault_livelock').length, 1);
});

test('kvm_mmu_page_fault: a private access to a slot with no private file exits to userspace (KVM_EXIT_MEMORY_FAULT)', async () => {
  const { sim, host } = await makeHost({ variant: 'guest_memfd' });
  const vm = host.createVm({ name: 'vm0' });
  const out = runOne(sim, function* (p) {
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, offset: 0 });
    return yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 9, { private: true });
  }).value;
  assert.equal(out.result, 'memory_fault_exit');
  assert.equal(vm.pt.walk(9), -1);
});

test('kvm_mmu_max_mapping_level: a 2 MiB block that starts below the slot\'s base_gfn is not wholly inside it, even with base_gfn congruent to the offset', async () => {
  const vm = await vmOf('v10+tdp');
  // base_gfn 100, offset 100 pages: congruent; gfn 200's block [0, 512) starts below the slot.
  const slot = slotOf(vm, 100, 2000, 100);
  assert.equal(kvm_mmu_max_mapping_level(vm, slot, 200, 9), 1);
  assert.equal(kvm_mmu_max_mapping_level(vm, slot, 600, 9), 2, 'the next block, [512, 1024), is inside');
});

test('faultRetry strategies: retry (mmu_invalidate_retry_gfn) is stale inside [range_start, range_end) of an invalidation in progress or once the sequence moved; no-retry never is', async () => {
  const vm = await vmOf('v10');
  Object.assign(vm, { mmu_invalidate_seq: 5, mmu_invalidate_in_progress: 1, mmu_invalidate_range_start: 100, mmu_invalidate_range_end: 200 });
  const { retry, 'no-retry': noRetry } = STRATEGIES.faultRetry;
  assert.deepEqual([99, 100, 199, 200].map((g) => retry.isStale(vm, 5, g)), [false, true, true, false], 'the range is half open');
  assert.equal(retry.isStale(vm, 4, 50), true, 'the sequence moved');
  assert.deepEqual([99, 100, 199, 200].map((g) => noRetry.isStale(vm, 4, g)), [false, false, false, false]);
});
