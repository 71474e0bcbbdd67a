// Host memory: restricted pages are unmovable (the mapping's gfp lacks __GFP_MOVABLE), so they
// come from MIGRATE_UNMOVABLE pageblocks, while the VMM's shared pages are movable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIGRATE_MOVABLE, MIGRATE_UNMOVABLE } from '../../sim/fastpath/index.js';
import { kvm_mmu_page_fault, kvm_set_memory_region, privateFileCreate, type RestrictedFile } from '../../sim/model/index.js';
import { makeHost, MiB, runOne } from './helpers.js';

test('restricted pages sit in unmovable pageblocks; shared-side pages in movable ones', async () => {
  const { sim, host } = await makeHost({ variant: 'v10', memoryBytes: 64 * MiB });
  const vm = host.createVm({ name: 'vm0' });
  const { value: file } = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    for (let g = 0; g < 64; g++) yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, g, { private: true });
    return f as RestrictedFile;
  });
  file.memfd.pages.forEachInRange(0, 64, (_i, pfn) => assert.equal(host.mem.pageblockMigratetype(pfn), MIGRATE_UNMOVABLE));
  vm.memAttr.set(100, 101, false);
  runOne(sim, (p) => kvm_mmu_page_fault(p, vm.vcpus[0]!, 100, { private: false }));
  assert.equal(host.mem.pageblockMigratetype(vm.shared.get(100)!), MIGRATE_MOVABLE);
});
