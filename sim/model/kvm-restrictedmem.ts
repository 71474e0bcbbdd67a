// KVM's side of v10 (patch 9/9 and 8/9): each private memslot embeds a restrictedmem_notifier
// registered on its file; invalidate_begin/end take mmu_lock for write per overlapping slot;
// the fault path gets pages through restrictedmem_get_page; a memory error shuts the VM down.
import type { Process } from '../engine/index.js';
import { charge } from './charge.js';
import { HPAGE_PMD_NR, type Gen, type GotPage } from './backing.js';
import { kvm_flush_remote_tlbs, kvm_mmu_invalidate_begin, kvm_mmu_invalidate_end, kvm_mmu_lock, kvm_mmu_unlock, kvm_unmap_gfn_range, slotGfnRange, type Memslot, type PfnBatchPlan, type PrivateBinding } from './kvm.js';
import {
  type RestrictedFile, restrictedmem_fget, restrictedmem_fput, restrictedmem_get_page, restrictedmem_get_page_begin, restrictedmem_get_page_batch_plan, restrictedmem_get_page_end, restrictedmem_register_notifier,
  restrictedmem_unregister_notifier, type RestrictedmemNotifier,
} from './restrictedmem.js';

/** restrictedmem_range_is_valid: the slot's gfns for file pages [start, end), per the notifier strategy (v10's wraps). */
function restrictedmem_range_is_valid(slot: Memslot, start: number, end: number): [number, number] | undefined {
  return slot.vm.host.s.notifier.slotRange(slot, start, end);
}

/**
 * kvm_restrictedmem_invalidate_begin: restrictedmem_range_is_valid (return if none),
 * srcu_read_lock, KVM_MMU_LOCK (write), kvm_mmu_invalidate_begin + range, kvm_unmap_gfn_range,
 * flush if zapped (under mmu_lock), unlock. A wrapped range zaps from base_gfn to the VM's
 * highest gfn (the TDP MMU clips to its max gfn; the shadow MMU's rmap walk over a range past
 * the slot is modeled the same way). Cost kvm.invalidate_begin_ns + zap + flush.
 */
export function* kvm_restrictedmem_invalidate_begin(p: Process, slot: Memslot, start: number, end: number): Gen {
  const r = restrictedmem_range_is_valid(slot, start, end);
  if (!r) return;
  const vm = slot.vm;
  const idx = vm.srcu.readLock(p);
  yield* kvm_mmu_lock(p, vm, 'write');
  yield* charge(p, vm.host.costs.ns('kvm.invalidate_begin_ns'));
  kvm_mmu_invalidate_begin(vm, r[0], r[1]);
  vm.host.event(p, 'invalidate_begin', { vm: vm.name, gfn: r[0], end: r[1], in_progress: vm.mmu_invalidate_in_progress });
  if (yield* kvm_unmap_gfn_range(p, vm, r[0], Math.min(r[1], vm.gfnLimit()))) yield* kvm_flush_remote_tlbs(p, vm);
  kvm_mmu_unlock(p, vm, 'write');
  vm.srcu.readUnlock(p, idx);
}

/**
 * kvm_restrictedmem_invalidate_end (v10): restrictedmem_range_is_valid, KVM_MMU_LOCK, kvm_mmu_invalidate_end,
 * unlock. Unlike _begin it takes no kvm->srcu read lock (v10 as posted). Cost kvm.invalidate_end_ns.
 */
export function* kvm_restrictedmem_invalidate_end(p: Process, slot: Memslot, start: number, end: number): Gen {
  const r = restrictedmem_range_is_valid(slot, start, end);
  if (!r) return;
  const vm = slot.vm;
  yield* kvm_mmu_lock(p, vm, 'write');
  yield* charge(p, vm.host.costs.ns('kvm.invalidate_end_ns'));
  kvm_mmu_invalidate_end(vm);
  vm.host.event(p, 'invalidate_end', { vm: vm.name, gfn: r[0], end: r[1], in_progress: vm.mmu_invalidate_in_progress });
  kvm_mmu_unlock(p, vm, 'write');
}

/**
 * kvm_restrictedmem_error -> kvm_arch_memory_mce: KVM_REQ_MEMORY_MCE to every vCPU, each exits
 * with KVM_EXIT_SHUTDOWN: the whole VM goes, the range is ignored. Cost kvm.vm_shutdown_ns.
 */
export function* kvm_restrictedmem_error(p: Process, slot: Memslot, start: number, end: number): Gen {
  if (!slotGfnRange(slot, start, end)) return;
  const vm = slot.vm;
  yield* charge(p, vm.host.costs.ns('kvm.vm_shutdown_ns'));
  vm.dead = true;
  vm.host.metrics.count('vm.shutdowns');
  vm.host.event(p, 'vm_shutdown', { vm: vm.name });
}

/** The v10 memslot binding: the embedded notifier, registered on bind, unregistered on free. */
export class RestrictedmemBinding implements PrivateBinding {
  readonly precheck = false;
  /** v10 8/9 kvm_faultin_pfn_private: `if (kvm_restricted_mem_get_pfn(...)) return RET_PF_RETRY;`. */
  readonly retryOnGetPfnError = true;

  /**
   * v10 7/9's kvm_alloc_memslot_metadata: `ugfn = slot->userspace_addr >> PAGE_SHIFT; if
   * (kvm_slot_can_be_private(slot)) ugfn |= slot->restricted_offset >> PAGE_SHIFT;` then
   * `(slot->base_gfn ^ ugfn) & (KVM_PAGES_PER_HPAGE(level) - 1)`. The OR checks both only when
   * base_gfn is 2 MiB aligned; otherwise a userspace_addr congruent with base_gfn and a 2 MiB
   * aligned restricted_offset pass, and the file's huge folios then straddle the slot's 2 MiB
   * blocks (kvm_mmu_hugepage_adjust maps the wrong pages: its VM_BUG_ON fires only on
   * CONFIG_DEBUG_VM kernels). Modeled as written.
   */
  misalignedForHugepages(slot: Memslot): boolean {
    return ((slot.baseGfn ^ (slot.userspaceGfn | slot.offsetPages)) & (HPAGE_PMD_NR - 1)) !== 0;
  }
  readonly notifier: RestrictedmemNotifier;

  constructor(readonly file: RestrictedFile, readonly slot: Memslot) {
    this.notifier = {
      name: `${slot.vm.name}/slot${slot.id}`,
      invalidate_start: (p, s, e) => kvm_restrictedmem_invalidate_begin(p, slot, s, e),
      invalidate_end: (p, s, e) => kvm_restrictedmem_invalidate_end(p, slot, s, e),
      error: (p, s, e) => kvm_restrictedmem_error(p, slot, s, e),
    };
  }

  get backing() {
    return this.file.memfd;
  }

  /** fget + kvm_restrictedmem_register (restrictedmem_register_notifier). */
  *bind(p: Process): Gen {
    restrictedmem_fget(this.file);
    yield* restrictedmem_register_notifier(p, this.file, this.notifier);
  }

  /** kvm_restrictedmem_unregister (no invalidation in v10) + fput. */
  *unbind(p: Process): Gen {
    yield* restrictedmem_unregister_notifier(p, this.file, this.notifier);
    yield* restrictedmem_fput(p, this.file);
  }

  /** kvm_restricted_mem_get_pfn -> restrictedmem_get_page. */
  getPfn(p: Process, index: number): Gen<GotPage> {
    return restrictedmem_get_page(p, this.file, index);
  }

  /** restrictedmem_get_page up to shmem_get_folio's charge, without a generator. */
  getPfnBegin(p: Process, index: number, got: GotPage): number {
    return restrictedmem_get_page_begin(p, this.file, index, got);
  }

  /** restrictedmem_get_page after shmem_get_folio's charge. */
  getPfnEnd(got: GotPage): number {
    return restrictedmem_get_page_end(this.file, got);
  }

  /** restrictedmem_get_page as a fault batch runs it. */
  faultBatchPlan(): PfnBatchPlan | undefined {
    return restrictedmem_get_page_batch_plan(this.file);
  }
}
