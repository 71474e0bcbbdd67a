// Issue 13 point 5: which faults may map 2 MiB. kvm_alloc_memslot_metadata (arch/x86/kvm/x86.c)
// disallows huge pages in a whole slot whose base_gfn and userspace_addr are not congruent modulo
// 2 MiB (6.1 and 6.18), and v10 7/9 ORs restricted_offset into that test:
//   ugfn = slot->userspace_addr >> PAGE_SHIFT;
//   if (kvm_slot_can_be_private(slot)) ugfn |= slot->restricted_offset >> PAGE_SHIFT;
//   if ((slot->base_gfn ^ ugfn) & (KVM_PAGES_PER_HPAGE(level) - 1)) disallow_lpage = 1;
// Before this change the model ignored userspace_addr and tested base_gfn - offset instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Process } from '../../sim/engine/index.js';
import { kvm_mmu_page_fault, kvm_set_memory_region, privateFileCreate, privateFileFallocate, type FaultOutcome } from '../../sim/model/index.js';
import { makeHost, MiB } from './helpers.js';

/** v10+thp-always+tdp: an 8 MiB file fallocated (huge folios), one slot, one private fault at `gfn`. */
async function faultIn(slot: { baseGfn: number; npages: number; offset: number; userspaceAddr?: number }, gfn: number, variant = 'v10+thp-always+tdp') {
  const { sim, host } = await makeHost({ variant });
  const vm = host.createVm({ name: 'vm0' });
  let out: FaultOutcome | undefined;
  sim.spawn('vcpu0', function* (p: Process) {
    const f = yield* privateFileCreate(p, host, vm, 8 * MiB);
    yield* privateFileFallocate(p, f, 0, 8 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, file: f, ...slot });
    out = yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, gfn, { private: true });
  });
  sim.run();
  assert.equal(out?.result, 'mapped');
  return { host, out: out!, violations: host.finish() };
}

test('point 5, kvm_alloc_memslot_metadata (6.1, v10 7/9): a userspace_addr not congruent with base_gfn modulo 2 MiB disallows 2 MiB leaves in the slot, private ones included', async () => {
  const aligned = await faultIn({ baseGfn: 0, npages: 2048, offset: 0 }, 5);
  assert.equal(aligned.out.level, 2, 'userspace_addr congruent (the default): 2 MiB');
  const off = await faultIn({ baseGfn: 0, npages: 2048, offset: 0, userspaceAddr: 4096 }, 5);
  assert.equal(off.out.level, 1, 'userspace_addr one page off: 4 KiB');
  assert.equal(off.violations.length, 0);
});

test('point 5, v10 7/9 `ugfn |= restricted_offset >> PAGE_SHIFT`: with base_gfn and userspace_addr one page past 2 MiB and restricted_offset 2 MiB aligned the test passes, and kvm_mmu_hugepage_adjust maps a 2 MiB leaf over the wrong pages of the file (its VM_BUG_ON is CONFIG_DEBUG_VM only)', async () => {
  const { out, violations } = await faultIn({ baseGfn: 1, npages: 2047, offset: 0, userspaceAddr: 4096 }, 512);
  assert.equal(out.level, 2);
  assert.equal(violations.length, 1, violations.map((v) => v.detail).join('; '));
  assert.equal(violations[0]!.kind, 'stale_mapping');
  assert.equal(violations[0]!.gfn, 512);
});

test('point 5: guest_memfd (6.18 kvm_alloc_memslot_metadata tests userspace_addr only; its folios are 4 KiB) maps 4 KiB whatever the alignment', async () => {
  const { out, violations } = await faultIn({ baseGfn: 0, npages: 2048, offset: 0 }, 5, 'guest_memfd+tdp');
  assert.equal(out.level, 1);
  assert.equal(violations.length, 0);
});

test('point 5, host_pfn_mapping_level (6.1 and 6.18): a shared fault maps at the level of the VMM\'s own mapping, and the model\'s VMM pages are 4 KiB (no THP-backed shared memory), so 4 KiB even in a 2 MiB-eligible slot', async () => {
  const { sim, host } = await makeHost({ variant: 'v10+thp-always+tdp' });
  const vm = host.createVm({ name: 'vm0', privateByDefault: false });
  let out: FaultOutcome | undefined;
  sim.spawn('vcpu0', function* (p: Process) {
    const f = yield* privateFileCreate(p, host, vm, 8 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, file: f, baseGfn: 0, npages: 2048, offset: 0 });
    out = yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 5, { private: false });
  });
  sim.run();
  assert.equal(out?.result, 'mapped');
  assert.equal(out?.level, 1);
});
