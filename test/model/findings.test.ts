// Findings the model makes about the modeled kernels (not model bugs): each is a scenario that
// reproduces one, so a change in the model that makes it disappear is noticed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, kvm_mmu_page_fault, kvm_set_memory_region, memfd_restricted, restrictedmem_fallocate,
  restrictedmem_setattr, type RestrictedFile,
} from '../../sim/model/index.js';
import { makeHost, MiB, runOne } from './helpers.js';

/**
 * v10 + THP + TDP: a partial punch invalidates only the punched 4 KiB, but the split frees that
 * page out of a 2 MiB folio. A fault on ANOTHER gfn of the same 2 MiB block that snapshotted the
 * sequence before the punch's begin passes mmu_invalidate_retry_gfn (it checks its own gfn and
 * the sequence, which only moves at end) and installs a 2 MiB leaf covering the punched page;
 * the split then frees the page under that leaf.
 */
async function hugeLeafOverPartialPunch(variant: string) {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB, cpus: 4 });
  const vm = host.createVm({ name: 'vm0', vcpus: 2 });
  const { value: file } = runOne(sim, function* (p) {
    const f = yield* memfd_restricted(p, host, 0);
    yield* restrictedmem_setattr(p, f, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    yield* restrictedmem_fallocate(p, f, 0, 0, 2 * MiB);
    return f as RestrictedFile;
  });
  vm.vcpus[1]!.inGuest = true; // the punch's flush kicks it: mmu_lock held a while
  const punchAt = sim.now + 100_000;
  sim.spawn('vmm', function* (p) {
    yield* kvm_mmu_page_fault(p, vm.vcpus[1]!, 1, { private: true }); // something to zap at gfn 1
    yield p.sleep(punchAt - sim.now);
    yield* restrictedmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 4096, 4096);
  });
  sim.spawn('vcpu0', function* (p) {
    // the fault snapshots mmu_invalidate_seq just after the punch starts, before its begin
    yield p.sleep(punchAt - sim.now - Math.round(host.s.mmu.faultExitNs(host.costs)) + 1);
    yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 100, { private: true });
  });
  sim.run();
  return host.finish();
}

test('finding: v10+thp-always+tdp maps a 2 MiB leaf over a page a partial punch frees (stale_mapping)', async () => {
  const v = await hugeLeafOverPartialPunch('v10+thp-always+tdp');
  assert.ok(v.some((x) => x.kind === 'stale_mapping'), JSON.stringify(v.map((x) => x.kind)));
});

test('the same race with 4 KiB leaves (shadow paging caps the level) stays safe', async () => {
  const v = await hugeLeafOverPartialPunch('v10+thp-always+shadow');
  assert.deepEqual(v.map((x) => x.kind), []);
});
