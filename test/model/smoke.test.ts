import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHost, runOne, MiB } from './helpers.js';
import { memfd_restricted, restrictedmem_setattr, restrictedmem_fallocate, kvm_set_memory_region, kvm_mmu_page_fault, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../../sim/model/index.js';

test('smoke: fallocate, bind, fault, punch', async () => {
  const { sim, host } = await makeHost();
  const vm = host.createVm({ name: 'vm0', vcpus: 1 });
  const r = runOne(sim, function* (p) {
    const f = yield* memfd_restricted(p, host, 0);
    yield* restrictedmem_setattr(p, f, 8 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 2048, file: f, offset: 0 });
    yield* restrictedmem_fallocate(p, f, 0, 0, 2 * MiB);
    const o = yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 3, { private: true });
    yield* restrictedmem_fallocate(p, f, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 2 * MiB);
    return o;
  });
  assert.equal(r.value.result, 'mapped');
  assert.equal(vm.pt.walk(3), -1);
  assert.deepEqual(host.finish(), []);
});
