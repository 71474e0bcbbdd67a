// What kvm_mmu_page_fault leaves behind once it returns, whatever its result (issue 18: the
// mutation run of sim/model/mmu.ts changed these without any test noticing): kvm->srcu released
// (srcu_read_unlock on every exit, so a later synchronize_srcu is not held up), and for a shared
// gfn the VMM's page: allocated once, accounted, taken off the CPU's per-CPU list, charged
// host.alloc_page_ns, and still referenced by the VMM's mapping after the fault drops its own
// reference (hva_to_pfn's get_page / kvm_release_pfn_clean).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIGRATE_UNMOVABLE } from '../../sim/fastpath/index.js';
import { kvm_mmu_page_fault, kvm_set_memory_region, privateFileCreate, type FaultOutcome } from '../../sim/model/index.js';
import { pcpOf } from '../../sim/model/pcp.js';
import { makeHost, MiB, runOne, vmWithSharedGfns } from './helpers.js';

test('every exit of a fault leaves kvm->srcu: after faults that mapped, found no slot, exited to userspace and livelocked, a memslot update waits only the grace period', async () => {
  const { sim, host } = await makeHost({ variant: 'guest_memfd', maxFaultRetries: 2 });
  const vm = host.createVm({ name: 'vm0' });
  const results = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    const vcpu = vm.vcpus[0]!;
    const out: FaultOutcome[] = [];
    out.push(yield* kvm_mmu_page_fault(p, vcpu, 5, { private: true }));
    out.push(yield* kvm_mmu_page_fault(p, vcpu, 5000, { private: true }));
    out.push(yield* kvm_mmu_page_fault(p, vcpu, 6, { private: false }));
    // guest_memfd's pre-check under an invalidation covering gfn 7: retried twice, then the third
    // attempt exceeds maxFaultRetries (each attempt took and left the read side).
    vm.mmu_invalidate_in_progress = 1;
    vm.mmu_invalidate_range_start = 0;
    vm.mmu_invalidate_range_end = 1024;
    out.push(yield* kvm_mmu_page_fault(p, vcpu, 7, { private: true }));
    vm.mmu_invalidate_in_progress = 0;
    return out.map((o) => `${o.result}/${o.retries}`);
  }).value;
  assert.deepEqual(results, ['mapped/0', 'no_slot/0', 'memory_fault_exit/0', 'livelock/3']);
  // A second slot (no private file): slots_lock free, kvm.memslot_update_ns, then synchronize_srcu
  // with no reader inside: exactly the grace period.
  const update = runOne(sim, (p) => kvm_set_memory_region(p, vm, { slot: 1, baseGfn: 4096, npages: 16 }));
  assert.ok(update.value, 'the memslot update completed');
  assert.equal(update.ns, host.costs.ns('kvm.memslot_update_ns') + sim.lockCosts.srcu_gp_ns);
});

test('a shared gfn: the first fault allocates the VMM page (accounted, off the per-CPU list, host.alloc_page_ns more than a refault of it) and the page keeps the VMM mapping\'s reference', async () => {
  const { sim, host, vm } = await vmWithSharedGfns();
  const counter = (name: string) => {
    const m = sim.stats.snapshot()[name];
    return m && m.type === 'counter' ? m.value : 0;
  };
  const allocatedBefore = counter('memory.allocated_bytes');
  let pcpBefore = -1;
  let pcpAfter = -1;
  const first = runOne(sim, function* (p) {
    pcpBefore = pcpOf(host, p).count;
    const o = yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 3, { private: false });
    pcpAfter = pcpOf(host, p).count;
    return o;
  }).value;
  assert.equal(first.result, 'mapped');
  const pfn = vm.pt.walk(3);
  assert.ok(pfn >= 0);
  assert.equal(counter('memory.allocated_bytes') - allocatedBefore, 4096, 'one 4 KiB page allocated and accounted');
  assert.ok(pcpBefore > 0);
  assert.equal(pcpAfter, pcpBefore - 1, 'the page came off the faulting CPU\'s per-CPU list');
  assert.equal(counter('memory.freed_bytes'), 0, 'the fault dropped its own reference only');
  assert.equal(host.mem.folioGet(pfn), 2, 'the VMM mapping still holds the page (refcount 1 before this get)');
  host.mem.folioPut(pfn);

  vm.pt.zapRange(0, 16);
  const again = runOne(sim, (p) => kvm_mmu_page_fault(p, vm.vcpus[0]!, 3, { private: false })).value;
  assert.equal(again.result, 'mapped');
  assert.equal(vm.pt.walk(3), pfn);
  assert.equal(counter('memory.allocated_bytes') - allocatedBefore, 4096, 'the refault allocates nothing');
  assert.equal(first.latencyNs - again.latencyNs, host.costs.ns('host.alloc_page_ns'), 'the refault differs only by the allocation');
});

test('a shared gfn with no free memory: hva_to_pfn fails with ENOMEM, the fault ends with enomem and maps nothing', async () => {
  const { sim, host, vm } = await vmWithSharedGfns();
  while (host.mem.allocPages(0, MIGRATE_UNMOVABLE) >= 0);
  const out = runOne(sim, (p) => kvm_mmu_page_fault(p, vm.vcpus[0]!, 3, { private: false })).value;
  assert.deepEqual([out.result, out.retries, out.level], ['enomem', 0, 0]);
  assert.equal(vm.pt.walk(3), -1);
  assert.equal(vm.shared.get(3), undefined);
});
