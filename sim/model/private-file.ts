// Backend-neutral file operations for workloads: the variant's backend strategy decides whether
// a VM's private memory is a restrictedmem file (v10: one file may back several VMs' slots) or
// a guest_memfd (per-VM). A lookup table, not a branch per call site.
import type { Process } from '../engine/index.js';
import type { Host } from './host.js';
import type { Vm } from './kvm.js';
import type { Gen } from './backing.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from './backing.js';
import { memfd_restricted, restrictedmem_fallocate, restrictedmem_fput, restrictedmem_setattr, type RestrictedFile } from './restrictedmem.js';
import { kvm_gmem_create, kvm_gmem_fallocate, kvm_gmem_release, type GmemFile } from './guest-memfd.js';

export type AnyPrivateFile = RestrictedFile | GmemFile;

interface BackendOps {
  create(p: Process, host: Host, vm: Vm, size: number): Gen<AnyPrivateFile>;
  fallocate(p: Process, file: AnyPrivateFile, mode: number, offset: number, len: number): Gen;
  close(p: Process, file: AnyPrivateFile): Gen;
}

const OPS: Record<'restrictedmem' | 'guest_memfd', BackendOps> = {
  restrictedmem: {
    *create(p, host, _vm, size) {
      const f = yield* memfd_restricted(p, host, 0);
      yield* restrictedmem_setattr(p, f, size);
      return f;
    },
    fallocate: (p, f, mode, off, len) => restrictedmem_fallocate(p, f as RestrictedFile, mode, off, len),
    close: (p, f) => restrictedmem_fput(p, f as RestrictedFile),
  },
  guest_memfd: {
    create: (p, _host, vm, size) => kvm_gmem_create(p, vm, size, 0),
    fallocate: (p, f, mode, off, len) => kvm_gmem_fallocate(p, f as GmemFile, mode, off, len),
    close: (p, f) => kvm_gmem_release(p, f as GmemFile),
  },
};

/** Create and size a private file for `vm` (memfd_restricted + ftruncate, or KVM_CREATE_GUEST_MEMFD). */
export function privateFileCreate(p: Process, host: Host, vm: Vm, size: number): Gen<AnyPrivateFile> {
  return OPS[host.s.backend.name].create(p, host, vm, size);
}

/** fallocate(KEEP_SIZE) allocate. */
export function privateFileFallocate(p: Process, host: Host, file: AnyPrivateFile, offset: number, len: number): Gen {
  return OPS[host.s.backend.name].fallocate(p, file, FALLOC_FL_KEEP_SIZE, offset, len);
}

/** fallocate(KEEP_SIZE | PUNCH_HOLE). */
export function privateFilePunch(p: Process, host: Host, file: AnyPrivateFile, offset: number, len: number): Gen {
  return OPS[host.s.backend.name].fallocate(p, file, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, offset, len);
}

/** close(fd): the last reference releases the file. */
export function privateFileClose(p: Process, host: Host, file: AnyPrivateFile): Gen {
  return OPS[host.s.backend.name].close(p, file);
}
