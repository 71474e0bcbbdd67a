// Issue 13 point 6: consequences named. What an underflow of mmu_invalidate_in_progress does
// (6.1: BUG_ON in kvm_mmu_notifier_invalidate_range_end at the next mmu_notifier event, a host
// crash; 6.8+: KVM_BUG_ON in kvm_mmu_invalidate_end, the VM killed), what 6.1's memory_failure
// does with a huge folio it cannot split (MF_MSG_UNSPLIT_THP: MF_IGNORED, the mapping's hook never
// runs, so restrictedmem_error_page's thp_nr_pages(page) is always 1), and where v10-as-posted's
// NULL dereference fires (me_pagecache_clean, for any shmem page on the host).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Process } from '../../sim/engine/index.js';
import { kvm_mmu_invalidate_end, kvm_set_memory_region, memory_failure, privateFileCreate, privateFileFallocate, type AnyPrivateFile } from '../../sim/model/index.js';
import { makeHost, MiB, runOne } from './helpers.js';

for (const [variant, want] of [['v10', /BUG_ON\(kvm->mmu_invalidate_in_progress < 0\).*kvm_mmu_notifier_invalidate_range_end|kvm_mmu_notifier_invalidate_range_start\/_end, and _end's BUG_ON/], ['guest_memfd', /KVM_BUG_ON in kvm_mmu_invalidate_end.*the host lives/]] as const) {
  test(`point 6, kvm_mmu_invalidate_end without its begin under ${variant}: the safety report names the kernel's consequence (${variant === 'v10' ? "6.1's BUG_ON, a host crash" : "6.8+'s KVM_BUG_ON, the VM killed"})`, async () => {
    const { host } = await makeHost({ variant });
    const vm = host.createVm({ name: 'vm0' });
    kvm_mmu_invalidate_end(vm);
    const v = host.finish().filter((x) => x.kind === 'invalidate_underflow');
    assert.equal(v.length, 1);
    assert.match(v[0]!.detail, want);
    if (variant === 'v10') assert.match(v[0]!.detail, /host crash/);
  });
}

/** v10+thp-always: a 2 MiB folio at index 0 of a bound file. */
async function hugeFolio(variant: string) {
  const { sim, host } = await makeHost({ variant });
  const vm = host.createVm({ name: 'vm0' });
  const f = runOne(sim, function* (p: Process) {
    const f: AnyPrivateFile = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    yield* privateFileFallocate(p, f, 0, 2 * MiB);
    return f;
  }).value;
  assert.equal(f.backing.pages.lookupOrder(7), 9);
  return { sim, host, vm, f };
}

test('point 6, 6.1 memory_failure (MF_MSG_UNSPLIT_THP): a huge folio that cannot be split (an extra reference) is MF_IGNORED and restrictedmem_error_page never runs: the VM is not shut down', async () => {
  const { sim, host, vm, f } = await hugeFolio('v10+thp-always');
  const head = f.backing.pages.lookup(7);
  host.mem.folioGet(head); // a fault in flight
  const r = runOne(sim, (p) => memory_failure(p, host, f.backing, 7)).value;
  assert.deepEqual(r, { result: 'MF_IGNORED', split: false });
  assert.equal(vm.dead, false);
  assert.equal(f.backing.pages.lookupOrder(7), 9);
});

test('point 6: restrictedmem_error_page runs only after a successful split, so its range [page->index, + thp_nr_pages(page)) is the one poisoned page', async () => {
  const { sim, host, vm, f } = await hugeFolio('v10+thp-always');
  const r = runOne(sim, (p) => memory_failure(p, host, f.backing, 7)).value;
  assert.deepEqual(r, { result: 'MF_RECOVERED', split: true });
  assert.equal(f.backing.pages.lookupOrder(7), 0, 'order 0 when the hook ran');
  assert.equal(vm.dead, true);
});

test('point 6, v10 as posted: the NULL dereference in restrictedmem_error_page fires from me_pagecache_clean for a memory error in any shmem page on the host, and the report says so', async () => {
  const { sim, host, f } = await hugeFolio('v10-as-posted+thp-always');
  const r = runOne(sim, (p) => memory_failure(p, host, f.backing, 7)).value;
  assert.equal(r.result, 'CRASH');
  const v = host.violations.filter((x) => x.kind === 'null_deref');
  assert.equal(v.length, 1);
  assert.match(v[0]!.detail, /any shmem page on the host, restricted or not/);
});
