// guest_memfd as on the 6.18 host: errno behaviour, bindings, zeroing in get_pfn, locks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, kvm_gmem_create, kvm_gmem_error_folio, kvm_gmem_fallocate, kvm_gmem_get_pfn,
  kvm_mmu_page_fault, kvm_set_memory_region, kvm_gmem_release, type GmemFile,
} from '../../sim/model/index.js';
import { kvm_gmem_get_pfn_batch_plan } from '../../sim/model/guest-memfd.js';
import { expectErrno, makeHost, MiB, runOne } from './helpers.js';

async function setup() {
  const { sim, host } = await makeHost({ variant: 'guest_memfd' });
  const vm = host.createVm({ name: 'vm0' });
  const { value: file } = runOne(sim, (p) => kvm_gmem_create(p, vm, 8 * MiB, 0));
  return { sim, host, vm, file: file as GmemFile };
}

test('KVM_CREATE_GUEST_MEMFD: unaligned or zero size is EINVAL; create costs its measured 0.46 us', async () => {
  const { sim, host } = await makeHost({ variant: 'guest_memfd' });
  const vm = host.createVm({ name: 'vm0' });
  runOne(sim, (p) => expectErrno(kvm_gmem_create(p, vm, 4097, 0), 'EINVAL'));
  runOne(sim, (p) => expectErrno(kvm_gmem_create(p, vm, 0, 0), 'EINVAL'));
  assert.equal(runOne(sim, (p) => kvm_gmem_create(p, vm, 2 * MiB, 0)).ns, 460);
});

test('kvm_gmem_fallocate: mode 0 is EOPNOTSUPP (KEEP_SIZE required), unaligned or an allocation past i_size is EINVAL', async () => {
  const { sim, file } = await setup();
  runOne(sim, (p) => expectErrno(kvm_gmem_fallocate(p, file, 0, 0, 4096), 'EOPNOTSUPP'));
  runOne(sim, (p) => expectErrno(kvm_gmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE, 100, 4096), 'EINVAL'));
  runOne(sim, (p) => expectErrno(kvm_gmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE, 8 * MiB, 4096), 'EINVAL'));
  runOne(sim, (p) => kvm_gmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE, 0, 1 * MiB));
  assert.equal(file.inode.pages.nrPages, 256);
});

test('kvm_gmem_bind: a second VM cannot bind the file, nor can an overlapping range', async () => {
  const { sim, host, vm, file } = await setup();
  const vm1 = host.createVm({ name: 'vm1' });
  runOne(sim, (p) => kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 512, file, offset: 0 }));
  runOne(sim, (p) => expectErrno(kvm_set_memory_region(p, vm1, { slot: 0, baseGfn: 0, npages: 512, file, offset: 2 * MiB }), 'EINVAL'));
  runOne(sim, (p) => expectErrno(kvm_set_memory_region(p, vm, { slot: 1, baseGfn: 0x1000, npages: 512, file, offset: 1 * MiB }), 'EINVAL'));
  runOne(sim, (p) => expectErrno(kvm_set_memory_region(p, vm, { slot: 2, baseGfn: 0x2000, npages: 4096, file, offset: 0 }), 'EINVAL'));
  assert.equal(vm.memslots.length, 1);
});

test('kvm_gmem_get_pfn zeroes a folio on first use only (clear_page charged once); folios are 4 KiB', async () => {
  const { sim, host, vm, file } = await setup();
  const { value: slot } = runOne(sim, (p) => kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 512, file, offset: 0 }));
  runOne(sim, (p) => kvm_gmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE, 0, 2 * MiB));
  const first = runOne(sim, (p) => kvm_gmem_get_pfn(p, file, slot, 3));
  const second = runOne(sim, (p) => kvm_gmem_get_pfn(p, file, slot, 3));
  assert.equal(first.ns - second.ns, host.costs.ns('mm.clear_page_4k_ns'));
  assert.equal(first.value.order, 0);
  assert.equal(host.mem.folioRefcount(first.value.folio), 3, 'cache + two callers');
});

test('guest_memfd punch excludes allocation (invalidate_lock exclusive vs shared) and faults take no file lock', async () => {
  const { sim, vm, file } = await setup();
  runOne(sim, (p) => kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 2048, file, offset: 0 }));
  runOne(sim, (p) => kvm_gmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE, 0, 4 * MiB));
  let allocDone = 0;
  let punchDone = 0;
  let faultDone = 0;
  sim.spawn('punch', function* (p) {
    yield* kvm_gmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 4 * MiB);
    punchDone = sim.now;
  });
  sim.spawn('alloc', function* (p) {
    yield p.sleep(1000);
    yield* kvm_gmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE, 6 * MiB, 4096);
    allocDone = sim.now;
  });
  sim.spawn('fault', function* (p) {
    yield p.sleep(1000);
    yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 1024, { private: true });
    faultDone = sim.now;
  });
  sim.run();
  assert.ok(allocDone > punchDone, 'allocation waited for the punch');
  assert.ok(faultDone < punchDone, 'a fault outside the punched range did not wait for the file lock');
});

test('kvm_gmem_release: zaps what is bound; the last file frees the memory', async () => {
  const { sim, host, vm, file } = await setup();
  runOne(sim, function* (p) {
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 2048, file, offset: 0 });
    yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 5, { private: true });
  });
  const free0 = host.mem.freePagesCount();
  runOne(sim, (p) => kvm_gmem_release(p, file));
  assert.equal(vm.pt.walk(5), -1);
  assert.equal(host.mem.freePagesCount() - free0, 1);
  assert.deepEqual(host.finish(), []);
});

test('kvm_gmem_get_pfn as data (a fault batch\'s plan): given over a file that holds folios, refused once one of them was poisoned', async () => {
  const { sim, host, vm, file } = await setup();
  const { value: slot } = runOne(sim, (p) => kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 512, file, offset: 0 }));
  assert.ok(kvm_gmem_get_pfn_batch_plan(file, slot), 'an empty file');
  runOne(sim, (p) => kvm_gmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE, 0, 1 * MiB));
  const plan = kvm_gmem_get_pfn_batch_plan(file, slot);
  assert.ok(plan, 'folios in the file, none poisoned: a hit ends as the plan charges it');
  assert.equal(plan.hitClearNs, host.costs.ns('mm.clear_page_4k_ns'), 'a hit on a folio fallocate left not uptodate is zeroed');
  const { value: got } = runOne(sim, (p) => kvm_gmem_get_pfn(p, file, slot, 7));
  runOne(sim, (p) => kvm_gmem_error_folio(p, file.inode, got.pfn, 7));
  assert.equal(kvm_gmem_get_pfn_batch_plan(file, slot), undefined, 'a hit may find the poisoned folio: EHWPOISON');
  runOne(sim, (p) => expectErrno(kvm_gmem_get_pfn(p, file, slot, 7), 'EHWPOISON'));
});
