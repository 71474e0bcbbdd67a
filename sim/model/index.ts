// Public API of the kernel model (issue 4). Scenario builders and actors use only this file.
//
//   const host = createHost(sim, { memoryBytes, fastpaths, variant: 'v10+thp-always', profile });
//   const vm = host.createVm({ name: 'vm0', vcpus: 2 });
//   sim.spawn('vmm', function* (p) {
//     const file = yield* memfd_restricted(p, host, 0);
//     yield* restrictedmem_setattr(p, file, 64 << 20);
//     const slot = yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 16384, file, offset: 0 });
//     yield* restrictedmem_fallocate(p, file, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 2 << 20);
//   });
//   sim.spawn('vcpu0', function* (p) { yield* kvm_mmu_page_fault(p, vm.vcpus[0], 5, { private: true }); });
//   sim.run(); const violations = host.finish();
//
// Every function is a generator taking the acting engine Process first: `yield*` it. Errors
// are KernelError with the errno name. Backend-neutral helpers (privateFile*) go through the
// backend strategy (private-file.ts), so workloads need not branch on it.
export { Host, createHost, createHostWithFastPaths } from './host.js';
export type { HostOptions } from './host.js';
export { kvm_set_memory_region, kvm_delete_memory_region } from './kvm-memslot.js';
export type { SetMemoryRegion } from './kvm-memslot.js';
export { Vm, Vcpu, kvm_mmu_invalidate_begin, kvm_mmu_invalidate_end, kvm_mmu_invalidate_range_add, kvm_unmap_gfn_range, kvm_flush_remote_tlbs, kvm_mmu_lock, kvm_mmu_unlock } from './kvm.js';
export type { VmOptions, Memslot, PrivateBinding, PfnBatchPlan } from './kvm.js';
export { kvm_mmu_page_fault, KvmPageFault, kvm_mmu_max_mapping_level, lpageMixed, mmu_invalidate_retry_gfn_unsafe, faultCharges } from './mmu.js';
export type { FaultOutcome, FaultResult, FaultFlags } from './mmu.js';
export {
  RestrictedFile, memfd_restricted, restrictedmem_file_create, restrictedmem_setattr, restrictedmem_getattr, restrictedmem_fallocate,
  restrictedmem_punch_hole, restrictedmem_invalidate_start, restrictedmem_invalidate_end, restrictedmem_register_notifier,
  restrictedmem_unregister_notifier, restrictedmem_get_page, restrictedmem_fget, restrictedmem_fput, restrictedmem_release,
  restrictedmem_error_page, restrictedmem_notifier_error, restrictedmem_init, restrictedmem_init_fs_context, RESTRICTEDMEM_MAGIC,
} from './restrictedmem.js';
export type { RestrictedmemNotifier, RestrictedmemSuperblock } from './restrictedmem.js';
export { RestrictedmemBinding, kvm_restrictedmem_invalidate_begin, kvm_restrictedmem_invalidate_end, kvm_restrictedmem_error } from './kvm-restrictedmem.js';
export { ShmemInode, shmem_file_setup, shmem_get_folio, shmem_fallocate, shmem_undo_range, shmem_truncate_range, shmem_setattr, shmem_evict_inode } from './shmem.js';
export { truncate_inode_pages_range, FOLIO_BATCH } from './truncate.js';
export {
  GmemInode, GmemFile, kvm_gmem_create, kvm_gmem_bind, kvm_gmem_unbind, kvm_gmem_fallocate, kvm_gmem_allocate, kvm_gmem_punch_hole,
  kvm_gmem_invalidate_begin, kvm_gmem_invalidate_end, kvm_gmem_get_pfn, kvm_gmem_error_folio, kvm_gmem_release,
} from './guest-memfd.js';
export { kvm_vm_set_mem_attributes, KvmSetMemAttributes, kvm_mmu_notifier_invalidate_range, conversionCharges } from './attributes.js';
export { memory_failure, memory_failure_pfn, try_to_split_thp_page, me_pagecache_clean } from './memory-failure.js';
export type { MemoryFailureResult } from './memory-failure.js';
export { MemAttributes } from './mem-attributes.js';
export { KernelError, isKernelError } from './errors.js';
export type { Errno } from './errors.js';
export { SafetyChecker } from './safety.js';
export type { Violation, ViolationKind } from './safety.js';
export { EventTrail, formatTrail } from './trail.js';
export type { EventRing, TrailEvent } from './trail.js';
export { ModelMetrics, sizeLabel } from './metrics.js';
export { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, HPAGE_PMD_NR } from './backing.js';
export { PAGE_SIZE } from '../units.js';
export type { PrivateBacking, PrivateFile, GotPage } from './backing.js';
export { BACKENDS, backendOf, hostBackend, privateFileCreate, privateFileFallocate, privateFileFallocateMode, privateFilePunch, privateFileClose } from './private-file.js';
export type { AnyPrivateFile, PrivateMemBackend } from './private-file.js';
export type { Gen } from './backing.js';
export { PageCacheLoad, page_cache_ra_unbounded, balance_pgdat, try_to_free_pages, type PageCacheLoadOptions } from './page-cache-load.js';
