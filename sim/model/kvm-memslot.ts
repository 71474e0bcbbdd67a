// virt/kvm/kvm_main.c's memslot updates (KVM_SET_USER_MEMORY_REGION2): create binds the slot to
// its private file through the file's backend (private-file.ts), delete zaps and unbinds. Apart
// from kvm.ts because the backends' bindings (kvm-restrictedmem.ts, guest-memfd.ts) build on it.
import type { Process } from '../engine/index.js';
import { charge } from './charge.js';
import { KernelError } from './errors.js';
import type { Gen } from './backing.js';
import { PAGE_SIZE } from '../units.js';
import { kvm_flush_remote_tlbs, kvm_mmu_lock, kvm_mmu_unlock, kvm_unmap_gfn_range, type Memslot, type Vm } from './kvm.js';
import { backendOf, type AnyPrivateFile } from './private-file.js';

export interface SetMemoryRegion {
  slot: number;
  baseGfn: number;
  npages: number;
  /** Private backing: a RestrictedFile (v10) or a GmemFile (guest_memfd). */
  file?: AnyPrivateFile;
  /** restricted_offset / guest_memfd_offset in bytes (page aligned). */
  offset?: number;
}

/**
 * kvm_set_memory_region, KVM_MR_CREATE of a (private) memslot under slots_lock: offset page
 * aligned (EINVAL), no overlap (EEXIST), bind the private file through its backend (v10: fget +
 * kvm_restrictedmem_register; guest_memfd: kvm_gmem_bind), install, synchronize_srcu(kvm->srcu).
 * Cost kvm.memslot_update_ns + the grace period. Leaves out dirty logging and lpage_info arrays.
 */
export function* kvm_set_memory_region(p: Process, vm: Vm, r: SetMemoryRegion): Gen<Memslot> {
  const offset = r.offset ?? 0;
  if (offset % PAGE_SIZE !== 0 || r.npages <= 0) throw new KernelError('EINVAL', 'kvm_set_memory_region');
  yield vm.slotsLock.lock(p);
  try {
    for (const s of vm.memslots) {
      if (s.id === r.slot || (r.baseGfn < s.baseGfn + s.npages && s.baseGfn < r.baseGfn + r.npages)) throw new KernelError('EEXIST', 'kvm_set_memory_region');
    }
    yield* charge(p, vm.host.costs.ns('kvm.memslot_update_ns'));
    const slot: Memslot = { id: r.slot, vm, baseGfn: r.baseGfn, npages: r.npages, offsetPages: offset / PAGE_SIZE };
    if (r.file) {
      const b = backendOf(r.file).bind(vm, slot, r.file);
      yield* b.bind(p);
      slot.binding = b;
      slot.backing = b.backing;
    }
    vm.memslots.push(slot);
    vm.memslots.sort((a, b) => a.baseGfn - b.baseGfn);
    yield vm.srcu.synchronize(p);
    vm.host.event(p, 'memslot_create', { vm: vm.name, slot: r.slot, gfn: r.baseGfn, npages: r.npages });
    return slot;
  } finally {
    vm.slotsLock.unlock(p);
  }
}

/**
 * kvm_set_memory_region, KVM_MR_DELETE: unpublish, synchronize_srcu, zap the slot
 * (kvm_arch_flush_shadow_memslot under mmu_lock write, flush if zapped), then kvm_free_memslot
 * unbinds the private file (v10: kvm_restrictedmem_unregister + fput; guest_memfd: kvm_gmem_unbind).
 */
export function* kvm_delete_memory_region(p: Process, vm: Vm, slot: Memslot): Gen {
  yield vm.slotsLock.lock(p);
  try {
    const i = vm.memslots.indexOf(slot);
    if (i < 0) throw new KernelError('EINVAL', 'kvm_delete_memory_region');
    yield* charge(p, vm.host.costs.ns('kvm.memslot_update_ns'));
    vm.memslots.splice(i, 1);
    vm.dyingSlots.push(slot);
    yield vm.srcu.synchronize(p);
    yield* kvm_mmu_lock(p, vm, 'write');
    const zapped = yield* kvm_unmap_gfn_range(p, vm, slot.baseGfn, slot.baseGfn + slot.npages);
    if (zapped) yield* kvm_flush_remote_tlbs(p, vm);
    vm.dyingSlots.splice(vm.dyingSlots.indexOf(slot), 1);
    kvm_mmu_unlock(p, vm, 'write');
    if (slot.binding) yield* slot.binding.unbind(p);
    vm.host.event(p, 'memslot_delete', { vm: vm.name, slot: slot.id });
  } finally {
    vm.slotsLock.unlock(p);
  }
}
