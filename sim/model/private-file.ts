// The private-memory backend as a strategy: one object per backend carries how a VMM creates,
// fallocates and closes the file and how KVM binds a memslot to it. The variant's backend
// choice picks the object for new files (hostBackend); an existing file's kind picks it for
// everything after (backendOf), so a replayed trace's files and a workload's run through the
// same code. The file itself carries its backing (the page cache whose memory-error handler
// finds the owner: restrictedmem_error_page per the errorLookup strategy, or
// kvm_gmem_error_folio) and a punch is fallocate(PUNCH_HOLE | KEEP_SIZE) on either.
import type { Process } from '../engine/index.js';
import type { ChoiceValues } from '../variants/index.js';
import type { Host } from './host.js';
import type { Memslot, PrivateBinding, Vm } from './kvm.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, type Gen } from './backing.js';
import { memfd_restricted, restrictedmem_fallocate, restrictedmem_fput, restrictedmem_setattr, type RestrictedFile } from './restrictedmem.js';
import { RestrictedmemBinding } from './kvm-restrictedmem.js';
import { GmemBinding, kvm_gmem_create, kvm_gmem_fallocate, kvm_gmem_release, type GmemFile } from './guest-memfd.js';

export type AnyPrivateFile = RestrictedFile | GmemFile;

export interface PrivateMemBackend<F extends AnyPrivateFile = AnyPrivateFile> {
  readonly name: ChoiceValues['backend'];
  /** fallocate mode of an allocation: what the VMM passes (mode 0 on shmem; guest_memfd requires KEEP_SIZE). */
  readonly allocateMode: number;
  /** Create and size the file for `vm`. */
  create(p: Process, host: Host, vm: Vm, size: number): Gen<F>;
  /** fallocate(fd, mode, offset, len). */
  fallocate(p: Process, file: F, mode: number, offset: number, len: number): Gen;
  /** close(fd): the last reference releases the file. */
  release(p: Process, file: F): Gen;
  /** The binding KVM_SET_USER_MEMORY_REGION gives a memslot on this file. */
  bind(vm: Vm, slot: Memslot, file: F): PrivateBinding;
}

/** memfd_restricted v10: one shmem-backed file, which several VMs' memslots may bind. */
const restrictedmemBackend: PrivateMemBackend<RestrictedFile> = {
  name: 'restrictedmem',
  allocateMode: 0,
  *create(p, host, _vm, size) {
    const f = yield* memfd_restricted(p, host, 0);
    yield* restrictedmem_setattr(p, f, size);
    return f;
  },
  fallocate: restrictedmem_fallocate,
  release: restrictedmem_fput,
  bind: (_vm, slot, file) => new RestrictedmemBinding(file, slot),
};

/** guest_memfd (KVM_CREATE_GUEST_MEMFD): a per-VM file whose size is fixed at create. */
const guestMemfdBackend: PrivateMemBackend<GmemFile> = {
  name: 'guest_memfd',
  allocateMode: FALLOC_FL_KEEP_SIZE,
  create: (p, _host, vm, size) => kvm_gmem_create(p, vm, size, 0),
  fallocate: kvm_gmem_fallocate,
  release: kvm_gmem_release,
  bind: (vm, slot, file) => new GmemBinding(file, vm, slot),
};

export const BACKENDS: { [B in ChoiceValues['backend']]: PrivateMemBackend<Extract<AnyPrivateFile, { kind: B }>> } = {
  restrictedmem: restrictedmemBackend,
  guest_memfd: guestMemfdBackend,
};

/** The backend that made `file` (its kind matches the backend's file type, hence the one widening cast). */
export function backendOf(file: AnyPrivateFile): PrivateMemBackend {
  return BACKENDS[file.kind] as PrivateMemBackend;
}

/** The backend the host's variant gives new private files. */
export function hostBackend(host: Host): PrivateMemBackend {
  return BACKENDS[host.s.backend.name] as PrivateMemBackend;
}

/** Create and size a private file for `vm` (memfd_restricted + ftruncate, or KVM_CREATE_GUEST_MEMFD). */
export function privateFileCreate(p: Process, host: Host, vm: Vm, size: number): Gen<AnyPrivateFile> {
  return hostBackend(host).create(p, host, vm, size);
}

/** fallocate(fd, mode, offset, len) with the mode bits as given (the replay passes the trace's). */
export function privateFileFallocateMode(p: Process, file: AnyPrivateFile, mode: number, offset: number, len: number): Gen {
  return backendOf(file).fallocate(p, file, mode, offset, len);
}

/** Allocate a range with the backend's allocation mode. */
export function privateFileFallocate(p: Process, file: AnyPrivateFile, offset: number, len: number): Gen {
  const b = backendOf(file);
  return b.fallocate(p, file, b.allocateMode, offset, len);
}

/** fallocate(PUNCH_HOLE | KEEP_SIZE). */
export function privateFilePunch(p: Process, file: AnyPrivateFile, offset: number, len: number): Gen {
  return backendOf(file).fallocate(p, file, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, offset, len);
}

/** close(fd): the last reference releases the file. */
export function privateFileClose(p: Process, file: AnyPrivateFile): Gen {
  return backendOf(file).release(p, file);
}
