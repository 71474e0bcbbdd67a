// The VMM's view of the kernel model: the system calls and ioctls a VMM makes, each mapped to
// the model function that implements it for the variant's backend (v10 memfd_restricted or
// guest_memfd). Actors call these, never the model's internals, so a workload runs unchanged
// on either backend.
import type { Process } from '../engine/index.js';
import { kvm_set_memory_region, kvm_delete_memory_region, kvm_vm_set_mem_attributes, kvm_mmu_notifier_invalidate_range, memory_failure, kvm_mmu_page_fault, isKernelError } from '../model/index.js';
import type { AnyPrivateFile, Host, Memslot, Vm, MemoryFailureResult, FaultFlags, FaultOutcome, Gen } from '../model/index.js';

/** A private-memory file as the VMM holds it (its fd): the backend strategy's file. */
export type VmmFile = AnyPrivateFile;

// The file's own system calls go to its backend (sim/model/private-file.ts): memfd_restricted +
// ftruncate or KVM_CREATE_GUEST_MEMFD on create; fallocate with the caller's mode (the replay
// passes the trace's), with the backend's allocation mode, or PUNCH_HOLE | KEEP_SIZE; close.
export {
  privateFileCreate as createPrivateFile, privateFileFallocateMode as fallocateRaw, privateFileFallocate as allocateRange,
  privateFilePunch as punchRange, privateFileClose as closePrivateFile,
} from '../model/index.js';

/** KVM_SET_USER_MEMORY_REGION(2) creating a private slot bound to `f` at byte offset `offset`. */
export function* addMemslot(p: Process, vm: Vm, slot: number, baseGfn: number, npages: number, f: VmmFile, offset: number): Gen<Memslot> {
  return yield* kvm_set_memory_region(p, vm, { slot, baseGfn, npages, file: f, offset });
}

/** KVM_SET_USER_MEMORY_REGION with size 0: delete the slot. */
export function* deleteMemslot(p: Process, vm: Vm, slot: Memslot): Gen {
  yield* kvm_delete_memory_region(p, vm, slot);
}

/**
 * KVM_SET_MEMORY_ATTRIBUTES over [gfnStart, gfnEnd): the model's generator itself rather than
 * a generator delegating to it (a vCPU loop's memory-fault exits step the model's machine,
 * KvmSetMemAttributes, directly).
 */
export const setMemoryAttributes: (p: Process, vm: Vm, gfnStart: number, gfnEnd: number, priv: boolean) => Gen = kvm_vm_set_mem_attributes;

/** The VMM discarding the shared side of [gfnStart, gfnEnd) (MADV_DONTNEED -> mmu_notifier). */
export function* discardShared(p: Process, vm: Vm, gfnStart: number, gfnEnd: number): Gen {
  yield* kvm_mmu_notifier_invalidate_range(p, vm, gfnStart, gfnEnd);
}

// The two kinds of access, made once (the model only reads them): no object per fault.
const PRIVATE_ACCESS: FaultFlags = Object.freeze({ private: true });
const SHARED_ACCESS: FaultFlags = Object.freeze({ private: false });

/**
 * A vCPU access that faults: kvm_mmu_page_fault. Hands back the model's own generator (no
 * wrapper generator): every wait of every fault would otherwise resume through one more frame.
 */
export function fault(p: Process, vm: Vm, vcpu: number, gfn: number, priv: boolean): Gen<FaultOutcome> {
  return kvm_mmu_page_fault(p, vm.vcpus[vcpu % vm.vcpus.length], gfn, priv ? PRIVATE_ACCESS : SHARED_ACCESS);
}

/** A hardware memory error on the page at `index` of a private file. */
export function* injectMemoryError(p: Process, host: Host, f: VmmFile, index: number): Gen<MemoryFailureResult> {
  return yield* memory_failure(p, host, f.backing, index);
}

/** errno of a KernelError, or undefined for anything else (which is a model bug and propagates). */
export function errnoOf(err: unknown): string | undefined {
  return isKernelError(err) ? (err as { errno: string }).errno : undefined;
}
