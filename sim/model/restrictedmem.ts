// mm/restrictedmem.c of memfd_restricted v10 (on its 6.1 base): a pseudo-fs file wrapping a shmem
// memfd, with a list of notifiers (one per KVM memslot bound to it) called around hole punches.
// Every function of the seed has a model function of the same name below. The notifier lock's
// kind and scope come from the variant's notifier strategy (v10: mutex per phase).
import { Spinlock, type Process } from '../engine/index.js';
import type { NotifierLockState } from '../variants/index.js';
import type { Host } from './host.js';
import { charge } from './charge.js';
import { timedPunchPhases } from './punch-phases.js';
import { KernelError } from './errors.js';
import { FALLOC_FL_PUNCH_HOLE, vfsFallocateCheck, type Gen, type GotPage, type PrivateFile } from './backing.js';
import type { PfnBatchPlan } from './kvm.js';
import { PAGE_SIZE } from '../units.js';
import { closeWindow, markUptodate, shmem_evict_inode, shmem_fallocate, shmem_file_setup, shmem_get_folio, shmem_get_folio_batch_plan, shmem_get_folio_write_nowait, shmem_setattr, type HoleWindow, type ShmemInode } from './shmem.js';

/** include/uapi/linux/magic.h in the series: "RESM". */
export const RESTRICTEDMEM_MAGIC = 0x5245534d;

/** The restrictedmem pseudo-fs superblock (restrictedmem_mnt->mnt_sb). */
export interface RestrictedmemSuperblock {
  readonly magic: number;
  /** SB_I_NOEXEC. */
  readonly noexec: boolean;
  /** sb->s_inodes (with the list's fix every restricted inode is added). */
  readonly s_inodes: RestrictedFile[];
  readonly s_inode_list_lock: Spinlock;
}

/** restrictedmem_init_fs_context: init_pseudo with RESTRICTEDMEM_MAGIC, SB_I_NOEXEC. Boot time: no cost. */
export function restrictedmem_init_fs_context(): { magic: number; noexec: boolean } {
  return { magic: RESTRICTEDMEM_MAGIC, noexec: true };
}

/** restrictedmem_init (fs_initcall): kern_mount of the pseudo-fs. Boot time: no cost. */
export function restrictedmem_init(host: Host): RestrictedmemSuperblock {
  const fc = restrictedmem_init_fs_context();
  return { ...fc, s_inodes: [], s_inode_list_lock: new Spinlock(host.sim, 's_inode_list_lock') };
}

/** struct restrictedmem_notifier: the ops KVM's memslot registers (kvm_restrictedmem_*). */
export interface RestrictedmemNotifier {
  readonly name: string;
  invalidate_start(p: Process, start: number, end: number): Gen;
  invalidate_end(p: Process, start: number, end: number): Gen;
  error(p: Process, start: number, end: number): Gen;
}

/** The restricted file and its restrictedmem_data { lock, memfd, notifiers }. */
export class RestrictedFile implements PrivateFile {
  readonly kind = 'restrictedmem';
  readonly id: string;
  /** data->memfd's inode. */
  readonly memfd: ShmemInode;
  /** data->notifiers (list_add puts new entries first). */
  readonly notifiers: RestrictedmemNotifier[] = [];
  /** data->lock, kind and scope per the notifier strategy. */
  readonly lock: NotifierLockState;
  /** struct file refcount (the fd's plus one per memslot's fget). */
  f_count = 1;
  /** I_FREEING: skipped by the fixed memory-error walk. */
  freeing = false;
  /** restrictedmem.get_page_ns, read once (every fault pays it). */
  readonly getPageNs: number;

  constructor(readonly host: Host) {
    this.id = host.nextId('rmem');
    this.memfd = shmem_file_setup(host, `${this.id}.memfd`, 0);
    this.lock = host.s.notifier.create(host.sim, {}, this.id);
    this.getPageNs = host.costs.ns('restrictedmem.get_page_ns');
  }

  /** The shmem inode behind the file: what memslots map and memory errors hit. */
  get backing(): ShmemInode {
    return this.memfd;
  }

  get sizeBytes(): number {
    return this.memfd.i_size;
  }

  /** data->memfd->f_mapping (what restrictedmem_error_page compares). */
  get memfdMapping(): ShmemInode {
    return this.memfd;
  }
}

/**
 * memfd_restricted(flags) syscall: flags must be 0 (EINVAL); shmem_file_setup with VM_NORESERVE
 * and restrictedmem_file_create. Cost restrictedmem.file_create_ns. Leaves out fd allocation
 * failure and the pseudo-fs mount.
 */
export function* memfd_restricted(p: Process, host: Host, flags = 0): Gen<RestrictedFile> {
  if (flags !== 0) throw new KernelError('EINVAL', 'memfd_restricted');
  yield* charge(p, host.costs.ns('restrictedmem.file_create_ns'));
  const file = restrictedmem_file_create(host);
  host.event(p, 'memfd_restricted', { file: file.id });
  return file;
}

/**
 * restrictedmem_file_create: restrictedmem_data, alloc_anon_inode, alloc_file_pseudo; on the
 * shmem mapping mapping_set_unevictable and the gfp mask without __GFP_MOVABLE. The inode goes
 * on the superblock's s_inodes (the list's fix; as posted it never did: see errorLookup).
 * No cost of its own (inside memfd_restricted's).
 */
export function restrictedmem_file_create(host: Host): RestrictedFile {
  const file = new RestrictedFile(host);
  file.memfd.unevictable = true;
  file.memfd.movable = false;
  file.memfd.errorHook = (p, pfn, index) => restrictedmem_error_page(p, host, pfn, file.memfd, index);
  host.restrictedInodes.push(file);
  return file;
}

/**
 * restrictedmem_setattr (ftruncate): the size may be set once (EPERM if the shmem i_size is
 * already non-zero) and must be page aligned (EINVAL); then shmem_setattr. Cost
 * restrictedmem.setattr_ns + shmem.setattr_ns.
 */
export function* restrictedmem_setattr(p: Process, file: RestrictedFile, size: number): Gen {
  if (file.memfd.i_size) throw new KernelError('EPERM', 'restrictedmem_setattr');
  if (size % PAGE_SIZE !== 0 || size < 0) throw new KernelError('EINVAL', 'restrictedmem_setattr');
  yield* charge(p, file.host.costs.ns('restrictedmem.setattr_ns'));
  yield* shmem_setattr(p, file.memfd, size);
}

/** restrictedmem_getattr (fstat), forwarded to shmem. Cost restrictedmem.getattr_ns. */
export function* restrictedmem_getattr(p: Process, file: RestrictedFile): Gen<{ size: number; blocks: number }> {
  yield* charge(p, file.host.costs.ns('restrictedmem.getattr_ns'));
  return { size: file.memfd.i_size, blocks: file.memfd.pages.nrPages * (PAGE_SIZE / 512) };
}

/**
 * restrictedmem_fallocate, reached through vfs_fallocate, whose checks come first (PUNCH_HOLE
 * without KEEP_SIZE: EOPNOTSUPP). PUNCH_HOLE goes to restrictedmem_punch_hole; anything else
 * straight to shmem_fallocate with no notifier and no restrictedmem lock. No cost of its own.
 */
export function* restrictedmem_fallocate(p: Process, file: RestrictedFile, mode: number, offset: number, len: number): Gen {
  const bad = vfsFallocateCheck(mode, offset, len);
  if (bad) throw new KernelError(bad, 'vfs_fallocate');
  if (mode & FALLOC_FL_PUNCH_HOLE) return yield* restrictedmem_punch_hole(p, file, mode, offset, len);
  yield* shmem_fallocate(p, file.memfd, mode, offset, len);
}

/**
 * restrictedmem_punch_hole: page alignment (EINVAL), restrictedmem_invalidate_start, the memfd's
 * shmem_fallocate(PUNCH_HOLE) with no restrictedmem lock held (v10; the held-across, rwsem
 * strategies keep the read side across), restrictedmem_invalidate_end; a shmem error surfaces
 * after the invalidation ran. Records punch.latency_ns{size}, punch.invalidate_ns, punch.truncate_ns,
 * punch.lock_wait_ns{lock}.
 */
export function* restrictedmem_punch_hole(p: Process, file: RestrictedFile, mode: number, offset: number, len: number): Gen {
  if (offset % PAGE_SIZE !== 0 || len % PAGE_SIZE !== 0) throw new KernelError('EINVAL', 'restrictedmem_punch_hole');
  const host = file.host;
  const t0 = host.sim.now;
  host.metrics.punchWaits.begin(p);
  const start = offset / PAGE_SIZE;
  const end = (offset + len) / PAGE_SIZE;
  const window: HoleWindow = { start, end, open: false };
  file.memfd.holeWindows.push(window);
  host.event(p, 'punch_begin', { file: file.id, start, end });
  const held = file.lock.heldAcrossPunch;
  const token = held ? yield* lockData(p, file) : undefined;
  let err: unknown;
  try {
    err = yield* timedPunchPhases(p, host,
      restrictedmem_invalidate_start(p, file, start, end, held),
      shmem_fallocate(p, file.memfd, mode, offset, len, window),
      restrictedmem_invalidate_end(p, file, start, end, held));
  } finally {
    if (held) file.lock.unlockRead(p, token);
    closeWindow(file.memfd, window);
  }
  host.metrics.punchWaits.end(p, true);
  host.metrics.punchLatency(len, host.sim.now - t0);
  host.event(p, 'punch_end', { file: file.id, start, end, err: err ? String((err as Error).message) : '' });
  if (err) throw err;
}

function* lockData(p: Process, file: RestrictedFile): Gen<unknown> {
  const token = yield* file.lock.lockRead(p);
  yield* charge(p, file.host.costs.ns('restrictedmem.notifier_lock_ns'));
  return token;
}

/**
 * restrictedmem_invalidate_start: under data->lock (unless the strategy already holds it across
 * the punch), call every notifier's invalidate_start. Cost restrictedmem.notifier_lock_ns +
 * restrictedmem.notifier_call_ns per notifier, plus what each notifier does (KVM: mmu_lock, zap, flush).
 */
export function restrictedmem_invalidate_start(p: Process, file: RestrictedFile, start: number, end: number, held = false): Gen {
  return callNotifiers(p, file, held, (n) => n.invalidate_start(p, start, end));
}

/** restrictedmem_invalidate_end: as invalidate_start, calling invalidate_end. */
export function restrictedmem_invalidate_end(p: Process, file: RestrictedFile, start: number, end: number, held = false): Gen {
  return callNotifiers(p, file, held, (n) => n.invalidate_end(p, start, end));
}

/**
 * The walk every notification shares: data->lock's read side (unless `held`), then one op per
 * notifier on a snapshot of the list (list_for_each_entry), notifier_call_ns each.
 */
function* callNotifiers(p: Process, file: RestrictedFile, held: boolean, op: (n: RestrictedmemNotifier) => Gen): Gen {
  const token = held ? undefined : yield* lockData(p, file);
  try {
    for (const n of [...file.notifiers]) {
      yield* charge(p, file.host.costs.ns('restrictedmem.notifier_call_ns'));
      yield* op(n);
    }
  } finally {
    if (!held) file.lock.unlockRead(p, token);
  }
}

/** restrictedmem_register_notifier: list_add under data->lock (update side). Cost restrictedmem.register_ns. */
export function* restrictedmem_register_notifier(p: Process, file: RestrictedFile, n: RestrictedmemNotifier): Gen {
  yield* file.lock.lockUpdate(p);
  try {
    yield* charge(p, file.host.costs.ns('restrictedmem.register_ns'));
    file.notifiers.unshift(n);
    file.host.event(p, 'notifier_register', { file: file.id, notifier: n.name });
  } finally {
    file.lock.unlockUpdate(p);
  }
}

/**
 * restrictedmem_unregister_notifier: list_del under data->lock; v10 does not invalidate on
 * unregister. The SRCU strategy then waits for a grace period. Cost restrictedmem.register_ns.
 */
export function* restrictedmem_unregister_notifier(p: Process, file: RestrictedFile, n: RestrictedmemNotifier): Gen {
  yield* file.lock.lockUpdate(p);
  try {
    yield* charge(p, file.host.costs.ns('restrictedmem.register_ns'));
    const i = file.notifiers.indexOf(n);
    if (i >= 0) file.notifiers.splice(i, 1);
    file.host.event(p, 'notifier_unregister', { file: file.id, notifier: n.name });
  } finally {
    file.lock.unlockUpdate(p);
  }
  yield* file.lock.afterUnregister(p, file.host.costs);
}

/**
 * restrictedmem_get_page: shmem_get_folio(SGP_WRITE) (allocates, no zeroing), the page at
 * `offset` and its folio order; SetPageUptodate, unlock. Returns holding a folio reference KVM
 * drops after mapping. Cost restrictedmem.get_page_ns + shmem_get_folio's.
 */
export function* restrictedmem_get_page(p: Process, file: RestrictedFile, offset: number): Gen<GotPage> {
  const got = yield* shmem_get_folio(p, file.memfd, offset, 'SGP_WRITE');
  if (!got) throw new KernelError('ENOMEM', 'restrictedmem_get_page');
  yield* charge(p, restrictedmem_get_page_end(file, got));
  return got;
}

/**
 * restrictedmem_get_page without a generator, up to its first wait (kvm_mmu_page_fault's state
 * machine, mmu.ts): shmem_get_folio_write_nowait's ns to charge, or -1 with nothing done.
 */
export function restrictedmem_get_page_begin(p: Process, file: RestrictedFile, offset: number, got: GotPage): number {
  return shmem_get_folio_write_nowait(p, file.memfd, offset, got);
}

/**
 * restrictedmem_get_page as data for a fault batch (wasm/fault-batch.ts): shmem_get_folio on the
 * memfd (shmem_get_folio_batch_plan), then SetPageUptodate and restrictedmem.get_page_ns.
 */
export function restrictedmem_get_page_batch_plan(file: RestrictedFile): PfnBatchPlan | undefined {
  return shmem_get_folio_batch_plan(file.memfd, Math.round(file.getPageNs));
}

/** restrictedmem_get_page after shmem_get_folio's wait: SetPageUptodate, unlock; the ns to charge. */
export function restrictedmem_get_page_end(file: RestrictedFile, got: GotPage): number {
  markUptodate(file.host, got.folio);
  return file.getPageNs;
}

/** fget on the restricted file (a memslot's reference). */
export function restrictedmem_fget(file: RestrictedFile): void {
  file.f_count++;
}

/** fput: the last reference runs restrictedmem_release. */
export function* restrictedmem_fput(p: Process, file: RestrictedFile): Gen {
  if (--file.f_count === 0) yield* restrictedmem_release(p, file);
}

/**
 * restrictedmem_release (last fput): fput(memfd), whose inode eviction truncates the whole file
 * (shmem_evict_inode), kfree(data). The inode leaves s_inodes (I_FREEING first). Cost
 * restrictedmem.release_ns + the truncation.
 */
export function* restrictedmem_release(p: Process, file: RestrictedFile): Gen {
  file.freeing = true;
  yield* charge(p, file.host.costs.ns('restrictedmem.release_ns'));
  yield* shmem_evict_inode(p, file.memfd);
  const list = file.host.restrictedInodes;
  const i = list.indexOf(file);
  if (i >= 0) list.splice(i, 1);
  const b = file.host.backings.indexOf(file.memfd);
  if (b >= 0) file.host.backings.splice(b, 1);
  file.host.event(p, 'restrictedmem_release', { file: file.id });
}

/**
 * restrictedmem_error_page(page, mapping): for a shmem mapping, find the restricted file under
 * the superblock's s_inode_list_lock (spinlock) per the errorLookup strategy (v10 fixed: linear
 * walk; as posted: NULL dereference; direct: O(1)), drop the lock, restrictedmem_notifier_error.
 * Records error.lookup_ns.
 */
export function* restrictedmem_error_page(p: Process, host: Host, pfn: number, mapping: ShmemInode, index: number): Gen<string> {
  const sbLock = sbInodeListLock(host);
  const t0 = host.sim.now;
  yield sbLock.lock(p);
  const owner = host.restrictedInodes.find((f) => f.memfd === mapping);
  const r = host.s.errorLookup.lookup(host.restrictedInodes, mapping, owner);
  yield* charge(p, r.walked * host.costs.ns(host.s.errorLookup.stepCost));
  sbLock.unlock(p);
  host.metrics.errorLookup(host.sim.now - t0);
  if (r.nullDeref) {
    host.safety.report('null_deref', `restrictedmem_error_page on pfn ${pfn}: the only inode on s_inodes is the pseudo-fs root, whose private_data is NULL (v10 as posted): host crash. me_pagecache_clean calls the hook for a memory error in any shmem page on the host, restricted or not, so any such error crashes it`);
    return 'CRASH';
  }
  if (!r.found) return 'MF_RECOVERED';
  // [index, index + thp_nr_pages(page)): one page, since memory_failure splits a THP before the
  // hook runs and skips the hook when it cannot (memory-failure.ts).
  yield* restrictedmem_notifier_error(p, r.found, index, index + 1);
  return 'MF_RECOVERED';
}

function sbInodeListLock(host: Host): Spinlock {
  return host.restrictedmemSb.s_inode_list_lock;
}

/** restrictedmem_notifier_error: under data->lock, every notifier's error op (KVM: shut the VM down). */
export function restrictedmem_notifier_error(p: Process, file: RestrictedFile, start: number, end: number): Gen {
  return callNotifiers(p, file, false, (n) => n.error(p, start, end));
}
