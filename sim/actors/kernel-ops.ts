// The VMM's view of the kernel model: the system calls and ioctls a VMM makes, each mapped to
// the model function that implements it for the variant's backend (v10 memfd_restricted or
// guest_memfd). Actors call these, never the model's internals, so a workload runs unchanged
// on either backend.
import type { Process } from '../engine/index.js';
import { kvm_set_memory_region, kvm_delete_memory_region, memfd_restricted, restrictedmem_setattr, restrictedmem_fallocate, restrictedmem_fput, kvm_gmem_create, kvm_gmem_fallocate, kvm_gmem_release, kvm_vm_set_mem_attributes, kvm_mmu_notifier_invalidate_range, memory_failure, kvm_mmu_page_fault, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, isKernelError } from '../model/index.js';
import type { Host, Memslot, PrivateFile, Vm, RestrictedFile, GmemFile, MemoryFailureResult, FaultOutcome, Gen, PrivateBacking } from '../model/index.js';

export type Backend = 'restrictedmem' | 'guest_memfd';

/** A private-memory file as the VMM holds it (its fd). */
export interface VmmFile {
  backend: Backend;
  sizeBytes: number;
  /** What memslots bind (makeBinding). */
  file: PrivateFile;
  /** The page cache behind it (memory errors, safety). */
  backing: PrivateBacking;
  restricted?: RestrictedFile;
  gmem?: GmemFile;
}

/**
 * Create the private file of `size` bytes: memfd_restricted + ftruncate (v10), or
 * KVM_CREATE_GUEST_MEMFD on `vm` (guest_memfd files belong to one VM).
 */
export function* createPrivateFile(p: Process, host: Host, vm: Vm, size: number): Gen<VmmFile> {
  const backend = host.variant.choices.backend as Backend;
  if (backend === 'guest_memfd') {
    const gmem = yield* kvm_gmem_create(p, vm, size);
    return { backend, sizeBytes: size, file: gmem, backing: gmem.inode, gmem };
  }
  const restricted = yield* memfd_restricted(p, host);
  yield* restrictedmem_setattr(p, restricted, size);
  return { backend, sizeBytes: size, file: restricted, backing: restricted.memfd, restricted };
}

/** fallocate(fd, mode, offset, len) with the mode bits as given (the replay passes the trace's). */
export function* fallocateRaw(p: Process, f: VmmFile, mode: number, offset: number, len: number): Gen {
  if (f.gmem) yield* kvm_gmem_fallocate(p, f.gmem, mode, offset, len);
  else yield* restrictedmem_fallocate(p, f.restricted!, mode, offset, len);
}

/** Allocate a range: mode 0 on shmem (what v10 forwards), KEEP_SIZE on guest_memfd (mode 0 is EOPNOTSUPP there). */
export function* allocateRange(p: Process, f: VmmFile, offset: number, len: number): Gen {
  yield* fallocateRaw(p, f, f.gmem ? FALLOC_FL_KEEP_SIZE : 0, offset, len);
}

/** fallocate(PUNCH_HOLE | KEEP_SIZE). */
export function* punchRange(p: Process, f: VmmFile, offset: number, len: number): Gen {
  yield* fallocateRaw(p, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len);
}

/** close(fd): the last reference releases the file (v10 truncates it; guest_memfd zaps, then frees with the inode). */
export function* closePrivateFile(p: Process, f: VmmFile): Gen {
  if (f.gmem) yield* kvm_gmem_release(p, f.gmem);
  else yield* restrictedmem_fput(p, f.restricted!);
}

/** KVM_SET_USER_MEMORY_REGION(2) creating a private slot bound to `f` at byte offset `offset`. */
export function* addMemslot(p: Process, vm: Vm, slot: number, baseGfn: number, npages: number, f: VmmFile, offset: number): Gen<Memslot> {
  return yield* kvm_set_memory_region(p, vm, { slot, baseGfn, npages, file: f.file, offset });
}

/** KVM_SET_USER_MEMORY_REGION with size 0: delete the slot. */
export function* deleteMemslot(p: Process, vm: Vm, slot: Memslot): Gen {
  yield* kvm_delete_memory_region(p, vm, slot);
}

/** KVM_SET_MEMORY_ATTRIBUTES over [gfnStart, gfnEnd). */
export function* setMemoryAttributes(p: Process, vm: Vm, gfnStart: number, gfnEnd: number, priv: boolean): Gen {
  yield* kvm_vm_set_mem_attributes(p, vm, gfnStart, gfnEnd, priv);
}

/** The VMM discarding the shared side of [gfnStart, gfnEnd) (MADV_DONTNEED -> mmu_notifier). */
export function* discardShared(p: Process, vm: Vm, gfnStart: number, gfnEnd: number): Gen {
  yield* kvm_mmu_notifier_invalidate_range(p, vm, gfnStart, gfnEnd);
}

/** A vCPU access that faults: kvm_mmu_page_fault. */
export function* fault(p: Process, vm: Vm, vcpu: number, gfn: number, priv: boolean): Gen<FaultOutcome> {
  return yield* kvm_mmu_page_fault(p, vm.vcpus[vcpu % vm.vcpus.length], gfn, { private: priv });
}

/** A hardware memory error on the page at `index` of a private file. */
export function* injectMemoryError(p: Process, host: Host, f: VmmFile, index: number): Gen<MemoryFailureResult> {
  return yield* memory_failure(p, host, f.backing, index);
}

/** errno of a KernelError, or undefined for anything else (which is a model bug and propagates). */
export function errnoOf(err: unknown): string | undefined {
  return isKernelError(err) ? (err as { errno: string }).errno : undefined;
}
