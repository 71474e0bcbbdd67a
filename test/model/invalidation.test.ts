// KVM's invalidation protocol, sim/model/kvm.ts from kvm_mmu_lock to kvm_flush_remote_tlbs
// (issue 18's mutation run of the `kvm-inval` slice): the in-progress count, the union of the
// ranges in progress, the sequence number, the safety checks at each change and each mmu_lock
// release, the lock modes, and the exact cost of the zap and the TLB flush. Expected figures are
// worked out by hand from the kernel's rules (virt/kvm/kvm_main.c kvm_mmu_invalidate_begin/
// _range_add/_end, 6.1; arch/x86/kvm/mmu kvm_unmap_gfn_range) and the profile's cost keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsBody, Process } from '../../sim/engine/index.js';
import {
  kvm_flush_remote_tlbs, kvm_mmu_invalidate_begin, kvm_mmu_invalidate_end, kvm_mmu_invalidate_range_add, kvm_mmu_lock, kvm_mmu_unlock,
  kvm_set_memory_region, kvm_unmap_gfn_range, privateFileCreate, privateFileFallocate, privateFilePunch, type Vm,
} from '../../sim/model/index.js';
import type { CostName } from '../../sim/costs/index.js';
import { makeHost, MiB, runOne } from './helpers.js';

const counter = (m: MetricsBody, k: string) => { const c = m[k]; return c && c.type === 'counter' ? c.value : 0; };
const state = (vm: Vm) => [vm.mmu_invalidate_in_progress, vm.mmu_invalidate_range_start, vm.mmu_invalidate_range_end, vm.mmu_invalidate_seq];

test('kvm_mmu_invalidate_range_add: the union of the ranges in progress, in either order, with a range that starts at gfn 0, and after a begin without a range', async () => {
  const { host } = await makeHost();
  const vm = host.createVm({ name: 'vm0' });
  kvm_mmu_invalidate_begin(vm, 0, 10);
  kvm_mmu_invalidate_begin(vm, 100, 110);
  assert.deepEqual(state(vm), [2, 0, 110, 0], 'a range starting at gfn 0 is a range (only -1 means none)');
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_invalidate_begin(vm, 100, 110);
  kvm_mmu_invalidate_begin(vm, 0, 10);
  assert.deepEqual(state(vm), [2, 0, 110, 2], 'the lower range second');
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_invalidate_begin(vm, 50, 60);
  kvm_mmu_invalidate_range_add(vm, 40, 55);
  assert.deepEqual(state(vm), [1, 40, 60, 4], 'overlapping below: the start moves, the end stays');
  kvm_mmu_invalidate_range_add(vm, 55, 70);
  assert.deepEqual(state(vm), [1, 40, 70, 4], 'overlapping above: the end moves, the start stays');
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_invalidate_begin(vm);
  assert.deepEqual(state(vm), [1, -1, -1, 5], 'a begin without a range resets it and adds none');
  kvm_mmu_invalidate_begin(vm, 30, 40);
  assert.deepEqual(state(vm), [2, 30, 40, 5], 'the second begin adds its range to none');
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_invalidate_end(vm);
  assert.deepEqual(state(vm), [0, 30, 40, 7], 'the range stays as it was once nothing is in progress (the next 0 -> 1 begin resets it)');
  assert.deepEqual(host.finish(), []);
});

test('kvm_mmu_invalidate_end without its begin: each change of in_progress while it is below zero is reported, a begin included; back at zero, nothing more', async () => {
  const { host } = await makeHost();
  const vm = host.createVm({ name: 'vm0' });
  const underflows = () => host.safety.violations.filter((v) => v.kind === 'invalidate_underflow').map((v) => v.detail.match(/in_progress = (-?\d+)/)![1]);
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_invalidate_end(vm);
  assert.deepEqual(state(vm), [-2, -1, -1, 2], 'seq counts every end; in_progress goes below zero (6.1 has no check here)');
  kvm_mmu_invalidate_begin(vm, 5, 6);
  assert.deepEqual(underflows(), ['-1', '-2', '-1'], 'end, end, and the begin that leaves it at -1');
  kvm_mmu_invalidate_begin(vm, 7, 8);
  assert.deepEqual(state(vm), [0, 5, 8, 2], 'neither begin took in_progress from 0 to 1: the first range was never reset');
  assert.equal(underflows().length, 3, 'back at zero');
  assert.deepEqual(host.finish().map((v) => v.kind), ['invalidate_underflow', 'invalidate_underflow', 'invalidate_underflow'], 'balanced at the end');
});

/** Record the invalidation state at each check after an in_progress change and at each mmu_lock release. */
function recordInvalidations(host: Awaited<ReturnType<typeof makeHost>>['host']) {
  const log: string[] = [];
  const safety = host.safety;
  const check = safety.checkInProgress.bind(safety);
  const unlock = safety.onMmuUnlock.bind(safety);
  safety.checkInProgress = (vm) => {
    log.push(`change ${state(vm).join(' ')}`);
    check(vm);
  };
  safety.onMmuUnlock = (vm) => {
    log.push(`unlock ${state(vm).join(' ')}`);
    unlock(vm);
  };
  return log;
}

/** A 4 MiB private file of vm0 bound in slots 0 and 1, each given as [base_gfn, npages, file offset in bytes]. */
async function fileInTwoSlots(variant: string, ...slots: [number, number, number][]) {
  const { sim, host } = await makeHost({ variant });
  const vm = host.createVm({ name: 'vm0' });
  const { value: f } = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    for (const [i, [baseGfn, npages, offset]] of slots.entries()) yield* kvm_set_memory_region(p, vm, { slot: i, baseGfn, npages, file: f, offset });
    return f;
  });
  return { sim, host, f };
}

test('v10 punch over two slots of one file: each slot begins with its own gfns (the newest notifier first: list_add), the second widening the range in progress to the union below; each ends; seq +2', async () => {
  const { sim, host, f } = await fileInTwoSlots('v10', [0x1000, 1024, 0], [0x8000, 256, 0]);
  const log = recordInvalidations(host);
  // file pages [16, 32): gfns [0x1010, 0x1020) of slot 0 and [0x8010, 0x8020) of slot 1
  runOne(sim, (p) => privateFilePunch(p, f, 64 * 1024, 64 * 1024));
  assert.deepEqual(log, [
    `change 1 ${0x8010} ${0x8020} 0`, `unlock 1 ${0x8010} ${0x8020} 0`,
    `change 2 ${0x1010} ${0x8020} 0`, `unlock 2 ${0x1010} ${0x8020} 0`,
    `change 1 ${0x1010} ${0x8020} 1`, `unlock 1 ${0x1010} ${0x8020} 1`,
    `change 0 ${0x1010} ${0x8020} 2`, `unlock 0 ${0x1010} ${0x8020} 2`,
  ]);
  assert.deepEqual(host.finish(), []);
});

test('guest_memfd punch over two bindings: one begin under one mmu_lock hold, each binding adding its gfns; one end', async () => {
  const { sim, host, f } = await fileInTwoSlots('guest_memfd', [0x1000, 64, 0], [0x8000, 64, 256 * 1024]);
  const log = recordInvalidations(host);
  // file pages [32, 96): gfns [0x1020, 0x1040) of slot 0 (pages 0..63), [0x8000, 0x8020) of slot 1 (pages 64..127)
  runOne(sim, (p) => privateFilePunch(p, f, 128 * 1024, 256 * 1024));
  assert.deepEqual(log, [
    'change 1 -1 -1 0', `unlock 1 ${0x1020} ${0x8020} 0`,
    `change 0 ${0x1020} ${0x8020} 1`, `unlock 0 ${0x1020} ${0x8020} 1`,
  ]);
  assert.deepEqual(host.finish(), []);
});

test('kvm_mmu_lock / kvm_mmu_unlock: read holders share mmu_lock, a writer waits for both; each mode is counted as taken', async () => {
  const { sim, host } = await makeHost({ cpus: 4 });
  const vm = host.createVm({ name: 'vm0' });
  const got: Record<string, number> = {};
  const holder = (name: string, mode: 'read' | 'write', startNs: number, holdNs: number) => sim.spawn(name, function* (p: Process) {
    yield p.sleep(startNs);
    yield* kvm_mmu_lock(p, vm, mode);
    got[name] = sim.now;
    yield p.sleep(holdNs);
    got[`${name} out`] = sim.now;
    kvm_mmu_unlock(p, vm, mode);
  });
  holder('r1', 'read', 0, 10_000);
  holder('r2', 'read', 1_000, 20_000);
  holder('w', 'write', 2_000, 5_000);
  holder('r3', 'read', 30_000, 1_000);
  sim.run();
  assert.ok(got.r2! < got['r1 out']!, `the second reader got in (${got.r2}) while the first held it (to ${got['r1 out']})`);
  assert.ok(got.w! >= got['r2 out']!, `the writer got it (${got.w}) only after the last reader left (${got['r2 out']})`);
  assert.ok(got.r3! >= got['w out']!, 'a reader after the writer waits for it');
  const m = sim.stats.snapshot();
  assert.deepEqual([counter(m, 'mmu_lock.acquisitions{mode=read}'), counter(m, 'mmu_lock.acquisitions{mode=write}')], [3, 1]);
  assert.deepEqual(host.finish(), []);
});

test('kvm_mmu_unlock checks the safety invariant at each release, read or write: a leaf installed under the lock that maps the wrong page is reported then', async () => {
  const { sim, host } = await makeHost({ variant: 'v10+tdp' });
  const vm = host.createVm({ name: 'vm0' });
  const { value: at } = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    yield* privateFileFallocate(p, f, 0, 64 * 1024);
    const at: number[] = [];
    for (const [mode, gfn] of [['read', 3], ['write', 5]] as const) {
      yield* kvm_mmu_lock(p, vm, mode);
      vm.pt.map(gfn, vm.expectedPfn(gfn) + 1, 1);
      host.safety.noteMapped(vm, gfn);
      yield p.sleep(1000);
      assert.equal(host.safety.violations.length, at.length, 'nothing reported while the lock is held');
      kvm_mmu_unlock(p, vm, mode);
      at.push(sim.now);
    }
    return at;
  });
  const v = host.finish();
  assert.deepEqual(v.map((x) => [x.kind, x.gfn, x.t]), [['stale_mapping', 3, at[0]], ['stale_mapping', 5, at[1]]]);
});

test('kvm_unmap_gfn_range under shadow: costs kvm.shadow_zap_per_gfn_ns per gfn of the range plus kvm.zap_leaf_ns per leaf zapped; flush needed only when a leaf went', async () => {
  const { sim, host } = await makeHost({ variant: 'v10+shadow' });
  const vm = host.createVm({ name: 'vm0' });
  for (const gfn of [23, 30, 31, 40, 1024]) vm.pt.map(gfn, 100 + gfn, 1);
  const c = (k: CostName) => host.costs.ns(k);
  const zap = runOne(sim, (p) => kvm_unmap_gfn_range(p, vm, 24, 1024));
  assert.equal(zap.value, true);
  assert.equal(zap.ns, Math.round(1000 * c('kvm.shadow_zap_per_gfn_ns') + 3 * c('kvm.zap_leaf_ns')), '1000 gfns, 3 leaves');
  assert.deepEqual([23, 30, 31, 40, 1024].map((g) => vm.pt.walk(g)), [123, -1, -1, -1, 1124], 'the range is half open');
  assert.equal(counter(sim.stats.snapshot(), 'ept.zapped_leaves'), 3);
  const empty = runOne(sim, (p) => kvm_unmap_gfn_range(p, vm, 2000, 4000));
  assert.equal(empty.value, false, 'nothing zapped: no flush');
  assert.equal(empty.ns, Math.round(2000 * c('kvm.shadow_zap_per_gfn_ns')), 'the rmap walk still costs per gfn');
  assert.equal(counter(sim.stats.snapshot(), 'ept.zapped_leaves'), 3);
});

test('kvm_unmap_gfn_range under tdp: kvm.tdp_zap_per_table_ns per 2 MiB table the range touches plus kvm.zap_leaf_ns per leaf of any level (4 KiB, 2 MiB, 1 GiB)', async () => {
  const { sim, host } = await makeHost({ variant: 'v10+tdp' });
  const vm = host.createVm({ name: 'vm0' });
  vm.pt.map(512, 512, 2);
  vm.pt.map(1030, 7, 1);
  vm.pt.map(1031, 8, 1);
  vm.pt.map(2 ** 18, 0, 3);
  const c = (k: CostName) => host.costs.ns(k);
  // [500, 2^18 + 1): 261645 gfns, 511.03 tables -> 512; leaves: two 4 KiB, one 2 MiB, one 1 GiB
  const zap = runOne(sim, (p) => kvm_unmap_gfn_range(p, vm, 500, 2 ** 18 + 1));
  assert.equal(zap.value, true);
  assert.equal(zap.ns, 512 * c('kvm.tdp_zap_per_table_ns') + 4 * c('kvm.zap_leaf_ns'));
  assert.equal(counter(sim.stats.snapshot(), 'ept.zapped_leaves'), 4);
  assert.deepEqual(vm.pt.mappingsPerLevel(), [0, 0, 0]);
  const one = runOne(sim, (p) => kvm_unmap_gfn_range(p, vm, 0, 512));
  assert.deepEqual([one.value, one.ns], [false, c('kvm.tdp_zap_per_table_ns')], 'exactly one table, nothing mapped');
});

for (const [variant, kick] of [['v10+shadow', 'kvm.flush_kick_shadow_ns'], ['v10+tdp', 'kvm.flush_kick_tdp_ns']] as const) {
  test(`kvm_flush_remote_tlbs under ${variant}: kvm.flush_request_ns plus ${kick} per vCPU in guest mode; each flush counted`, async () => {
    const { sim, host } = await makeHost({ variant });
    const vm = host.createVm({ name: 'vm0', vcpus: 3 });
    const c = (k: CostName) => host.costs.ns(k);
    const flush = () => runOne(sim, (p) => kvm_flush_remote_tlbs(p, vm)).ns;
    assert.equal(flush(), c('kvm.flush_request_ns'), 'no vCPU in guest mode: no kick');
    vm.vcpus[0]!.inGuest = true;
    vm.vcpus[2]!.inGuest = true;
    assert.equal(flush(), c('kvm.flush_request_ns') + 2 * c(kick), 'two of three in guest mode');
    assert.equal(counter(sim.stats.snapshot(), 'tlb.flushes'), 2);
  });
}
