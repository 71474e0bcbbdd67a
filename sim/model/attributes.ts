// KVM_SET_MEMORY_ATTRIBUTES (v10 ordering, docs/kernel-model.md 1.8 and section 8) and host
// mmu_notifier events on the shared backing: both are invalidations, so both bump
// mmu_invalidate_seq and make racing faults retry.
import type { Process } from '../engine/index.js';
import { charge } from './charge.js';
import { KernelError } from './errors.js';
import type { Gen } from './backing.js';
import { kvm_flush_remote_tlbs, kvm_mmu_invalidate_begin, kvm_mmu_invalidate_end, kvm_mmu_lock, kvm_mmu_unlock, kvm_unmap_gfn_range, type Vm } from './kvm.js';
import { PAGE_SIZE } from '../units.js';

/**
 * kvm_vm_set_mem_attributes (v10): validate; KVM_MMU_LOCK + invalidate_begin + range; unlock;
 * kvm->lock and one xa_store per gfn; unlock; KVM_MMU_LOCK: kvm_unmap_mem_range (zap, flush if
 * zapped, mixed-flag update), invalidate_end. Cost kvm.set_attr_fixed_ns + per gfn
 * kvm.set_attr_per_gfn_ns + zap. Leaves out partial completion and the early-exit scan of 6.8.
 */
export function* kvm_vm_set_mem_attributes(p: Process, vm: Vm, gfnStart: number, gfnEnd: number, priv: boolean): Gen {
  if (gfnEnd <= gfnStart || gfnStart < 0) throw new KernelError('EINVAL', 'kvm_vm_set_mem_attributes');
  const c = vm.host.costs;
  yield* charge(p, c.ns('kvm.set_attr_fixed_ns'));
  yield* kvm_mmu_lock(p, vm, 'write');
  kvm_mmu_invalidate_begin(vm, gfnStart, gfnEnd);
  kvm_mmu_unlock(p, vm, 'write');
  yield vm.lock.lock(p);
  try {
    yield* charge(p, (gfnEnd - gfnStart) * c.ns('kvm.set_attr_per_gfn_ns'));
    vm.memAttr.set(gfnStart, gfnEnd, priv);
  } finally {
    vm.lock.unlock(p);
  }
  yield* kvm_mmu_lock(p, vm, 'write');
  if (yield* kvm_unmap_gfn_range(p, vm, gfnStart, gfnEnd)) yield* kvm_flush_remote_tlbs(p, vm);
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_unlock(p, vm, 'write');
  vm.host.event(p, 'set_mem_attributes', { vm: vm.name, gfn: gfnStart, end: gfnEnd, private: priv });
}

/**
 * kvm_mmu_notifier_invalidate_range_start/end for a VMM discard of the shared backing
 * (MADV_DONTNEED / punch on the shared memfd): begin + zap + flush-if-zapped, free the shared
 * pages, end. Cost kvm.mmu_notifier_event_ns + zap.
 */
export function* kvm_mmu_notifier_invalidate_range(p: Process, vm: Vm, gfnStart: number, gfnEnd: number): Gen {
  const host = vm.host;
  yield* charge(p, host.costs.ns('kvm.mmu_notifier_event_ns'));
  const freed: number[] = [];
  for (let g = gfnStart; g < gfnEnd; g++) {
    const pfn = vm.shared.get(g);
    if (pfn !== undefined) {
      freed.push(pfn);
      vm.shared.delete(g);
    }
  }
  yield* kvm_mmu_lock(p, vm, 'write');
  kvm_mmu_invalidate_begin(vm, gfnStart, gfnEnd);
  if (yield* kvm_unmap_gfn_range(p, vm, gfnStart, gfnEnd)) yield* kvm_flush_remote_tlbs(p, vm);
  kvm_mmu_unlock(p, vm, 'write');
  let ns = 0;
  for (const pfn of freed) {
    if (host.mem.folioPut(pfn) === 0) {
      host.mem.freePages(pfn, 0);
      host.metrics.freed(PAGE_SIZE);
      ns += host.costs.ns('host.free_page_ns');
    }
  }
  yield* charge(p, ns);
  yield* kvm_mmu_lock(p, vm, 'write');
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_unlock(p, vm, 'write');
}
