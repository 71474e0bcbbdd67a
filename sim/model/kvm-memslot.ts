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
  /**
   * userspace_addr in bytes (page aligned): where the VMM maps the slot's shared side. Default
   * baseGfn x 4 KiB, congruent with the gfns modulo 2 MiB as a VMM that aligns guest RAM to the
   * THP size (QEMU) has it.
   */
  userspaceAddr?: number;
}

/**
 * kvm_set_memory_region, KVM_MR_CREATE of a (private) memslot under slots_lock: offset page
 * and userspace_addr page aligned (EINVAL), no overlap (EEXIST), bind the private file through its backend (v10: fget +
 * kvm_restrictedmem_register; guest_memfd: kvm_gmem_bind), install, synchronize_srcu(kvm->srcu).
 * Cost kvm.memslot_update_ns + the grace period. Leaves out dirty logging and lpage_info arrays.
 */
export function* kvm_set_memory_region(p: Process, vm: Vm, r: SetMemoryRegion): Gen<Memslot> {
  const offset = r.offset ?? 0;
  const userspaceAddr = r.userspaceAddr ?? r.baseGfn * PAGE_SIZE;
  if (offset % PAGE_SIZE !== 0 || userspaceAddr % PAGE_SIZE !== 0 || r.npages <= 0) throw new KernelError('EINVAL', 'kvm_set_memory_region');
  yield vm.slotsLock.lock(p);
  try {
    for (const s of vm.memslots) {
      if (s.id === r.slot || (r.baseGfn < s.baseGfn + s.npages && s.baseGfn < r.baseGfn + r.npages)) throw new KernelError('EEXIST', 'kvm_set_memory_region');
    }
    yield* charge(p, vm.host.costs.ns('kvm.memslot_update_ns'));
    const slot: Memslot = { id: r.slot, vm, baseGfn: r.baseGfn, npages: r.npages, offsetPages: offset / PAGE_SIZE, userspaceGfn: userspaceAddr / PAGE_SIZE };
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
 * kvm_set_memory_region, KVM_MR_DELETE: unpublish, synchronize_srcu, kvm_arch_flush_shadow_memslot,
 * then kvm_free_memslot unbinds the private file (v10: kvm_restrictedmem_unregister + fput;
 * guest_memfd: kvm_gmem_unbind).
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
    yield* kvm_arch_flush_shadow_memslot(p, vm, slot);
    if (slot.binding) yield* slot.binding.unbind(p);
    vm.host.event(p, 'memslot_delete', { vm: vm.name, slot: slot.id });
  } finally {
    vm.slotsLock.unlock(p);
  }
}

/**
 * kvm_arch_flush_shadow_memslot (arch/x86/kvm/mmu/mmu.c), per the slotDelete strategy: 6.1 calls
 * kvm_mmu_zap_all_fast unconditionally; 6.12+ (6.18 included) does so while
 * KVM_X86_QUIRK_SLOT_ZAP_ALL is on (the default, except for TDX VMs), else kvm_mmu_zap_memslot.
 * Either under mmu_lock write; the dying slot leaves dyingSlots once zapped.
 */
export function* kvm_arch_flush_shadow_memslot(p: Process, vm: Vm, slot: Memslot): Gen {
  yield* kvm_mmu_lock(p, vm, 'write');
  if (vm.host.s.slotDelete.zapAll) yield* kvm_mmu_zap_all_fast(p, vm);
  else yield* kvm_mmu_zap_memslot(p, vm, slot);
  vm.dyingSlots.splice(vm.dyingSlots.indexOf(slot), 1);
  kvm_mmu_unlock(p, vm, 'write');
}

/**
 * kvm_mmu_zap_memslot (6.12+): zap the slot's gfn range (kvm_unmap_gfn_range's walk and cost),
 * flush if anything was zapped. Caller holds mmu_lock write.
 */
function* kvm_mmu_zap_memslot(p: Process, vm: Vm, slot: Memslot): Gen {
  if (yield* kvm_unmap_gfn_range(p, vm, slot.baseGfn, slot.baseGfn + slot.npages)) yield* kvm_flush_remote_tlbs(p, vm);
}

/**
 * kvm_mmu_zap_all_fast: every root becomes obsolete (mmu_valid_gen++), every vCPU is kicked
 * (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS) and every leaf of the VM goes, private and shared, in every
 * slot: the guest refaults all it touches next. Charged per leaf (kvm.zap_leaf_ns, no per-gfn
 * walk: the obsolete pages are found on active_mmu_pages) plus the kick (kvm_flush_remote_tlbs's
 * cost). Caller holds mmu_lock write. Leaves out the lock drops of kvm_zap_obsolete_pages and
 * the deferred freeing of TDP roots.
 */
function* kvm_mmu_zap_all_fast(p: Process, vm: Vm): Gen {
  const host = vm.host;
  const z = vm.pt.zapRange(0, vm.gfnLimit(), false);
  const leaves = z.leaves[0] + z.leaves[1] + z.leaves[2];
  host.metrics.zapped(leaves);
  yield* charge(p, host.s.mmu.zapNs(host.costs, 0, leaves));
  yield* kvm_flush_remote_tlbs(p, vm);
}
