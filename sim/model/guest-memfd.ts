// virt/kvm/guest_memfd.c as on the 6.18 host (the design that replaced restrictedmem): a
// per-VM file over its own inode, memslots bound through a bindings range list,
// filemap_invalidate_lock exclusive across a punch's begin, truncate and end (shared for
// allocate and memory errors), one mmu_lock hold and at most one flush per VM per punch, 4 KiB
// folios only, zeroing in kvm_gmem_get_pfn, the fault pre-check before the pfn lookup.
import { try_to_free_pages } from './page-cache-load.js';
import { RwSemaphore, type Process } from '../engine/index.js';
import { FOLIO_HWPOISON, FOLIO_UPTODATE, MIGRATE_UNMOVABLE, type GetFolioResult, type PageCache, type ShmemArgs } from '../fastpath/index.js';
import type { Host } from './host.js';
import { charge } from './charge.js';
import { timedPunchPhases } from './punch-phases.js';
import { KernelError } from './errors.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, HPAGE_PMD_NR, type Gen, type GotPage, type PrivateBacking, type PrivateFile } from './backing.js';
import { PAGE_SIZE } from '../units.js';
import { truncate_inode_pages_range, type TruncateCosts } from './truncate.js';
import { hostPcp, pcpAlloc, type HostPcp } from './pcp.js';
import { folio_add_lru, hostLru, type HostLru } from './lru-add.js';
import { chargeLockHandover, type HandoverCosts } from './lock-handover.js';
import { sys_fallocate_entry, vfs_fallocate_exit } from './sys-fallocate.js';
import { touchRange } from './cold-range.js';
import { FileFootprint } from './cache-footprint.js';
import {
  kvm_flush_remote_tlbs, kvm_mmu_invalidate_begin, kvm_mmu_invalidate_end, kvm_mmu_invalidate_range_add, kvm_mmu_lock,
  kvm_mmu_unlock, kvm_unmap_gfn_range, slotGfnRange, slotMisalignedForHugepages, type Memslot, type PfnBatchPlan, type PrivateBinding, type Vm,
} from './kvm.js';

const GMEM_TRUNCATE: TruncateCosts = {
  firstBatch: 'gmem.punch_first_batch_ns',
  perPage: 'gmem.truncate_page_ns',
  firstBatchExtra: 'gmem.truncate_page_first_batch_extra_ns',
  nodeFree: 'gmem.xa_node_free_ns',
};

const INVALIDATE_LOCK_HANDOVER: HandoverCosts = { refill: 'gmem.invalidate_lock_contended_refill_ns', perPage: 'gmem.invalidate_lock_handover_page_ns' };

/** struct gmem_inode: the folios live here (its lifetime, not a file's, bounds the memory). */
export class GmemInode implements PrivateBacking {
  readonly id: string;
  readonly pages: PageCache;
  /** mapping->invalidate_lock (filemap_invalidate_lock[_shared]). */
  readonly invalidateLock: RwSemaphore;
  readonly files: GmemFile[] = [];
  /**
   * Who last wrote the lines a guest fault that adds a folio writes and a punch then reads and
   * writes (kvm_gmem_get_folio -> filemap_add_folio: the mapping's xa_lock, the xarray's upper
   * nodes, nrpages; the fault's KVM_MMU_LOCK: kvm->mmu_lock and the mmu_invalidate_* fields):
   * set by such a fault, cleared by a punch, which then has them (kvm_gmem_punch_hole). Kept
   * per process, as pcp.ts keeps its lists (the engine has no CPU ids).
   */
  faultLinesOwner: Process | null = null;
  /** When its pages were populated, against the host's count (cache-footprint.ts). */
  readonly footprint: FileFootprint;
  /** The host's lru_add batches and per-CPU lists, which every allocation updates (lru-add.ts, pcp.ts). */
  readonly lru: HostLru;
  readonly pcp: HostPcp;
  /**
   * Folios of this file kvm_gmem_error_folio has marked HWPOISON (never decremented, even when a
   * punch drops one): while 0, a kvm_gmem_get_pfn that finds a folio cannot end in EHWPOISON.
   */
  poisoned = 0;

  constructor(readonly host: Host, readonly size: number) {
    this.footprint = new FileFootprint(host);
    this.lru = hostLru(host);
    this.pcp = hostPcp(host);
    this.id = host.nextId('gmem');
    this.pages = host.fp.newPageCache();
    this.invalidateLock = new RwSemaphore(host.sim, 'invalidate_lock', { owner: this.id });
    host.backings.push(this);
  }

  /** .error_remove_folio = kvm_gmem_error_folio. */
  errorFolio(p: Process, pfn: number, index: number): Gen<string> {
    return kvm_gmem_error_folio(p, this, pfn, index);
  }
}

/** struct gmem_file: one VM's file on the inode, with its bindings. */
export class GmemFile implements PrivateFile {
  readonly kind = 'guest_memfd';
  readonly bindings: Memslot[] = [];
  released = false;
  /**
   * Who last wrote struct file's f_count cache line (get_file_active / fput): every vCPU of the
   * VM faults through this one file, so a fault on another vCPU than the last finds the line in
   * that CPU's cache. Kept per process, as pcp.ts keeps its lists (the engine has no CPU ids).
   */
  fCountLineOwner: Process | null = null;
  constructor(readonly inode: GmemInode, readonly vm: Vm) {}

  get backing(): GmemInode {
    return this.inode;
  }

  get sizeBytes(): number {
    return this.inode.size;
  }
}

/** A memslot's entry in its gmem_file's bindings. */
export class GmemBinding implements PrivateBinding {
  readonly precheck = true;
  /** 6.18 kvm_faultin_pfn_private: kvm_mmu_prepare_memory_fault_exit, then the error to userspace. */
  readonly retryOnGetPfnError = false;

  /**
   * 6.18 kvm_alloc_memslot_metadata tests userspace_addr only; guest_memfd's folios are 4 KiB
   * there, so the file offset never matters; the offset congruence is kept for a later kernel's
   * huge folios (kvm_gmem_get_pfn's max_order follows the index alignment).
   */
  misalignedForHugepages(slot: Memslot): boolean {
    return slotMisalignedForHugepages(slot);
  }
  constructor(readonly file: GmemFile, readonly vm: Vm, readonly slot: Memslot) {}
  get backing(): GmemInode {
    return this.file.inode;
  }
  bind(p: Process): Gen {
    return kvm_gmem_bind(p, this.vm, this.slot, this.file);
  }
  unbind(p: Process): Gen {
    return kvm_gmem_unbind(p, this.slot, this.file);
  }
  getPfn(p: Process, index: number): Gen<GotPage> {
    return kvm_gmem_get_pfn(p, this.file, this.slot, index);
  }
  /** kvm_gmem_get_pfn up to its charge, without a generator. */
  getPfnBegin(p: Process, index: number, got: GotPage): number {
    return kvm_gmem_get_pfn_begin(p, this.file, this.slot, index, got);
  }
  /** kvm_gmem_get_pfn after its charge (EHWPOISON, else nothing more to charge). */
  getPfnEnd(got: GotPage): number {
    return kvm_gmem_get_pfn_end(got);
  }
  /** kvm_gmem_get_pfn as a fault batch runs it. */
  faultBatchPlan(): PfnBatchPlan | undefined {
    return kvm_gmem_get_pfn_batch_plan(this.file, this.slot);
  }
}

/** KVM_CREATE_GUEST_MEMFD(size, flags): size page aligned and > 0 (EINVAL), fixed at create. Cost gmem.create_ns. */
export function* kvm_gmem_create(p: Process, vm: Vm, size: number, flags = 0): Gen<GmemFile> {
  if (size <= 0 || size % PAGE_SIZE !== 0 || flags & ~0x3) throw new KernelError('EINVAL', 'kvm_gmem_create');
  yield* charge(p, vm.host.costs.ns('gmem.create_ns'));
  const inode = new GmemInode(vm.host, size);
  const file = new GmemFile(inode, vm);
  inode.files.push(file);
  vm.host.event(p, 'kvm_gmem_create', { vm: vm.name, file: inode.id, size });
  return file;
}

/**
 * kvm_gmem_bind: the file must belong to this VM (a second VM cannot bind it: EINVAL), the
 * range inside i_size and not already bound (EINVAL); stored in bindings under
 * filemap_invalidate_lock. Cost gmem.bind_ns.
 */
export function* kvm_gmem_bind(p: Process, vm: Vm, slot: Memslot, file: GmemFile): Gen {
  if (file.vm !== vm || file.released) throw new KernelError('EINVAL', 'kvm_gmem_bind');
  const start = slot.offsetPages;
  const end = start + slot.npages;
  if (end * PAGE_SIZE > file.inode.size) throw new KernelError('EINVAL', 'kvm_gmem_bind');
  yield file.inode.invalidateLock.downWrite(p);
  try {
    for (const b of file.bindings) {
      if (start < b.offsetPages + b.npages && b.offsetPages < end) throw new KernelError('EINVAL', 'kvm_gmem_bind');
    }
    yield* charge(p, vm.host.costs.ns('gmem.bind_ns'));
    file.bindings.push(slot);
  } finally {
    file.inode.invalidateLock.upWrite(p);
  }
}

/** kvm_gmem_unbind: drop the slot from bindings under filemap_invalidate_lock. Cost gmem.bind_ns. */
export function* kvm_gmem_unbind(p: Process, slot: Memslot, file: GmemFile): Gen {
  yield file.inode.invalidateLock.downWrite(p);
  try {
    yield* charge(p, file.vm.host.costs.ns('gmem.bind_ns'));
    const i = file.bindings.indexOf(slot);
    if (i >= 0) file.bindings.splice(i, 1);
  } finally {
    file.inode.invalidateLock.upWrite(p);
  }
}

/**
 * kvm_gmem_fallocate (mainline): KEEP_SIZE required (EOPNOTSUPP), page aligned (EINVAL);
 * PUNCH_HOLE -> kvm_gmem_punch_hole (a range beyond EOF succeeds: there is nothing to punch),
 * else kvm_gmem_allocate, which refuses a range past i_size (EINVAL).
 */
export function* kvm_gmem_fallocate(p: Process, file: GmemFile, mode: number, offset: number, len: number): Gen {
  if (!(mode & FALLOC_FL_KEEP_SIZE) || mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) throw new KernelError('EOPNOTSUPP', 'kvm_gmem_fallocate');
  if (offset % PAGE_SIZE || len % PAGE_SIZE || len <= 0 || offset < 0) throw new KernelError('EINVAL', 'kvm_gmem_fallocate');
  if (mode & FALLOC_FL_PUNCH_HOLE) return yield* kvm_gmem_punch_hole(p, file, offset, len);
  if (offset + len > file.inode.size) throw new KernelError('EINVAL', 'kvm_gmem_allocate');
  yield* kvm_gmem_allocate(p, file, offset, len);
}

/**
 * kvm_gmem_allocate: filemap_invalidate_lock_shared; kvm_gmem_get_folio per index (order 0,
 * no zeroing on 6.18), in 2 MiB chunks through the fast path. Cost gmem.fallocate_fixed_ns +
 * per page host.alloc_page_ns + gmem.add_folio_4k_ns; a folio already present costs
 * gmem.fallocate_found_folio_ns (filemap_grab_folio's lookup, folio_unlock, folio_put); a range
 * cold for the caller (cold-range.ts) gmem.cold_range_alloc_page_ns more per page allocated and
 * gmem.cold_range_found_folio_ns more per folio found.
 */
export function* kvm_gmem_allocate(p: Process, file: GmemFile, offset: number, len: number): Gen {
  const inode = file.inode;
  const host = inode.host;
  const c = host.costs;
  const shares = yield* sys_fallocate_entry(p, host, c.ns('gmem.fallocate_fixed_ns'), 'gmem.fallocate_after_unlock_ns');
  yield inode.invalidateLock.downRead(p);
  try {
    yield* charge(p, shares.underLock);
    const start = offset / PAGE_SIZE;
    const end = (offset + len) / PAGE_SIZE;
    const cold = touchRange(inode, p, start, end);
    const coldAlloc = cold ? c.ns('gmem.cold_range_alloc_page_ns') : 0;
    const coldFound = cold ? c.ns('gmem.cold_range_found_folio_ns') : 0;
    for (let chunk = start; chunk < end; ) {
      const chunkEnd = Math.min(end, chunk - (chunk % HPAGE_PMD_NR) + HPAGE_PMD_NR);
      yield* try_to_free_pages(p, host, chunkEnd - chunk);
      const s = host.fp.shmemGetFolioRange(inode.pages, chunk, chunkEnd, { policy: 'never', iSizePages: inode.size / PAGE_SIZE, migratetype: MIGRATE_UNMOVABLE });
      for (let i = 0; i < s.alloc4k; i++) host.metrics.folioAllocated(0);
      pcpAlloc(inode.pcp, p, s.alloc4k);
      folio_add_lru(inode.lru, p, s.alloc4k);
      inode.footprint.populated(chunk, s.alloc4k);
      yield* charge(p, s.alloc4k * (c.ns('host.alloc_page_ns') + c.ns('gmem.add_folio_4k_ns') + coldAlloc) + s.hits * (c.ns('gmem.fallocate_found_folio_ns') + coldFound));
      if (s.enomem) throw new KernelError('ENOMEM', 'kvm_gmem_allocate');
      chunk = chunkEnd;
    }
  } finally {
    inode.invalidateLock.upRead(p);
  }
  yield* vfs_fallocate_exit(p, shares);
}

/** Bindings of `file` overlapping file pages [start, end), with their gfn ranges. */
function overlapping(file: GmemFile, start: number, end: number): Array<{ slot: Memslot; g0: number; g1: number }> {
  const out: Array<{ slot: Memslot; g0: number; g1: number }> = [];
  for (const slot of file.bindings) {
    const r = slotGfnRange(slot, start, end);
    if (r) out.push({ slot, g0: r[0], g1: r[1] });
  }
  return out;
}

/**
 * kvm_gmem_invalidate_begin: per gmem_file, KVM_MMU_LOCK once at the first overlapping
 * binding, one kvm_mmu_invalidate_begin, per binding range_add + unmap, one flush if anything
 * was zapped, unlock. Cost kvm.invalidate_begin_ns + zaps + flush.
 */
export function* kvm_gmem_invalidate_begin(p: Process, inode: GmemInode, start: number, end: number): Gen {
  for (const file of inode.files) {
    const ov = overlapping(file, start, end);
    if (!ov.length) continue;
    const vm = file.vm;
    yield* kvm_mmu_lock(p, vm, 'write');
    yield* charge(p, vm.host.costs.ns('kvm.invalidate_begin_ns'));
    kvm_mmu_invalidate_begin(vm);
    let flush = false;
    for (const o of ov) {
      kvm_mmu_invalidate_range_add(vm, o.g0, o.g1);
      if (yield* kvm_unmap_gfn_range(p, vm, o.g0, o.g1)) flush = true;
    }
    if (flush) yield* kvm_flush_remote_tlbs(p, vm);
    vm.host.event(p, 'gmem_invalidate_begin', { vm: vm.name, start, end, in_progress: vm.mmu_invalidate_in_progress });
    kvm_mmu_unlock(p, vm, 'write');
  }
}

/** kvm_gmem_invalidate_end: per gmem_file with an overlapping binding, KVM_MMU_LOCK + kvm_mmu_invalidate_end. */
export function* kvm_gmem_invalidate_end(p: Process, inode: GmemInode, start: number, end: number): Gen {
  for (const file of inode.files) {
    if (!overlapping(file, start, end).length) continue;
    const vm = file.vm;
    yield* kvm_mmu_lock(p, vm, 'write');
    yield* charge(p, vm.host.costs.ns('kvm.invalidate_end_ns'));
    kvm_mmu_invalidate_end(vm);
    kvm_mmu_unlock(p, vm, 'write');
  }
}

/**
 * What a punch pays for a guest fault on another CPU into the same file since the last punch
 * (6.18, under filemap_invalidate_lock): the fault's filemap_add_folio left the mapping's
 * xa_lock, the upper xarray nodes and nrpages in that CPU's cache, and its KVM_MMU_LOCK
 * kvm->mmu_lock and mmu_invalidate_*, which truncate_inode_pages_range (find_lock_entries,
 * delete_from_page_cache_batch) and kvm_gmem_invalidate_begin/end take next: once per punch,
 * gmem.punch_after_guest_fault_ns. Not the fault's side (its retry on mmu_invalidate_seq and
 * re-fault after a zap are kvm_mmu_page_fault's), and not a punch after a fault that only found
 * its folio (it writes none of these). Leaves out contention on those lines while both run, and
 * the lruvec lock of folio_add_lru's batch.
 */
function* chargeAfterGuestFault(p: Process, inode: GmemInode): Gen {
  const owner = inode.faultLinesOwner;
  inode.faultLinesOwner = null;
  if (owner !== null && owner !== p) yield* charge(p, inode.host.costs.ns('gmem.punch_after_guest_fault_ns'));
}

/**
 * kvm_gmem_punch_hole: filemap_invalidate_lock (exclusive) across begin, truncate_inode_pages_range
 * and end, so whole punches on one file serialise. Records punch.* metrics. Cost
 * gmem.punch_fixed_ns + invalidation + truncation (+ gmem.cold_range_punch_fixed_ns and
 * gmem.cold_range_punch_page_ns per page removed when the range is cold for the caller,
 * cold-range.ts; gmem.cache_cold_punch_page_ns per page removed x the cold fraction of its
 * pages' metadata after what the host populated since, cache-footprint.ts;
 * gmem.xa_node_free_ns per xarray leaf node the truncation empties, truncate.ts;
 * gmem.punch_after_guest_fault_ns after another task's guest fault added a folio, chargeAfterGuestFault).
 * The syscall's share of the fixed cost (host.fallocate_syscall_ns, sys-fallocate.ts) is spent
 * before invalidate_lock and kvm_gmem_fallocate's file_modified with vfs_fallocate's tail
 * (gmem.fallocate_after_unlock_ns) after it, so two punchers overlap there.
 */
export function* kvm_gmem_punch_hole(p: Process, file: GmemFile, offset: number, len: number): Gen {
  const inode = file.inode;
  const host = inode.host;
  const t0 = host.sim.now;
  host.metrics.punchWaits.begin(p);
  const start = offset / PAGE_SIZE;
  const end = (offset + len) / PAGE_SIZE;
  const shares = yield* sys_fallocate_entry(p, host, host.costs.ns('gmem.punch_fixed_ns'), 'gmem.fallocate_after_unlock_ns');
  const tLock = host.sim.now;
  let err: unknown;
  yield inode.invalidateLock.downWrite(p);
  try {
    yield* chargeLockHandover(p, host, tLock, INVALIDATE_LOCK_HANDOVER, end - start);
    yield* chargeAfterGuestFault(p, inode);
    const cold = touchRange(inode, p, start, end);
    yield* charge(p, shares.underLock + (cold ? host.costs.ns('gmem.cold_range_punch_fixed_ns') : 0));
    err = yield* timedPunchPhases(p, host,
      kvm_gmem_invalidate_begin(p, inode, start, end),
      truncate_inode_pages_range(p, host, inode, start, end, GMEM_TRUNCATE, (cold ? host.costs.ns('gmem.cold_range_punch_page_ns') : 0) + inode.footprint.coldPageNs(start, end, host.costs.ns('gmem.cache_cold_punch_page_ns'))),
      kvm_gmem_invalidate_end(p, inode, start, end));
  } finally {
    inode.invalidateLock.upWrite(p);
  }
  host.metrics.punchWaits.end(p, !err);
  if (err) throw err;
  yield* vfs_fallocate_exit(p, shares);
  host.metrics.punchLatency(len, host.sim.now - t0);
  host.event(p, 'gmem_punch', { file: inode.id, start, end });
}

/**
 * kvm_gmem_get_pfn (6.18): kvm_gmem_get_file's get_file_active and the closing fput, two atomic
 * RMWs on f_count, one cache line shared by every vCPU of the VM (a fault after another vCPU's
 * pays one line transfer, lock.cacheline_ns; the second RMW then hits); the file open (else
 * EFAULT) and the slot bound (xa_load(bindings) == slot, else EIO), no file lock;
 * kvm_gmem_get_folio (lookup or allocate order 0; its folio lock is held only instantaneously
 * here, folio-lock.ts); hwpoison -> EHWPOISON; zero when !uptodate (clear_highpage) and mark
 * uptodate. Returns with a reference. Cost gmem.get_pfn_ns (+ the line, + allocation, + zeroing).
 * Leaves out the line's transfers by anything but faults (fget elsewhere, the slot's other users)
 * and any cost of the two error returns.
 */
export function* kvm_gmem_get_pfn(p: Process, file: GmemFile, slot: Memslot, index: number): Gen<GotPage> {
  const got: GotPage = { folio: 0, pfn: 0, order: 0 };
  yield* charge(p, kvm_gmem_get_pfn_begin(p, file, slot, index, got));
  kvm_gmem_get_pfn_end(got);
  return got;
}

// kvm_gmem_get_pfn's fast-path argument and result, reused by every call (read before the next).
const getPfnArgs: ShmemArgs = { policy: 'never', iSizePages: 0, migratetype: MIGRATE_UNMOVABLE };
const getPfnResult: GetFolioResult = { pfn: -1, order: -1, hit: false, fallback: 0 };

/** `got.order` of a poisoned folio between kvm_gmem_get_pfn's two halves: charged, then EHWPOISON. */
const GOT_POISONED = -1;

/**
 * kvm_gmem_get_pfn up to its charge, without a generator (its first half, and what
 * kvm_mmu_page_fault's state machine calls): fills `got` and returns the ns to charge. Throws
 * EFAULT, EIO and ENOMEM before any wait, as kvm_gmem_get_pfn does.
 */
export function kvm_gmem_get_pfn_begin(p: Process, file: GmemFile, slot: Memslot, index: number, got: GotPage): number {
  const inode = file.inode;
  const host = inode.host;
  const c = host.costs;
  // kvm_gmem_get_file: a closed file is EFAULT; a bindings entry that is not this slot is EIO.
  if (file.released) throw new KernelError('EFAULT', 'kvm_gmem_get_pfn');
  if (!file.bindings.includes(slot)) throw new KernelError('EIO', 'kvm_gmem_get_pfn');
  let ns = c.ns('gmem.get_pfn_ns');
  if (file.fCountLineOwner !== p) {
    ns += c.lockCosts.cacheline_ns;
    file.fCountLineOwner = p;
  }
  getPfnArgs.iSizePages = inode.size / PAGE_SIZE;
  const r = host.fp.shmemGetFolioWrite(inode.pages, index, getPfnArgs, getPfnResult);
  if (r.pfn < 0) throw new KernelError('ENOMEM', 'kvm_gmem_get_pfn');
  got.folio = r.pfn;
  got.pfn = r.pfn;
  got.order = 0;
  if (!r.hit) {
    host.metrics.folioAllocated(0);
    inode.faultLinesOwner = p;
    pcpAlloc(inode.pcp, p, 1);
    folio_add_lru(inode.lru, p, 1);
    inode.footprint.populated(index, 1);
    ns += c.ns('host.alloc_page_ns') + c.ns('gmem.add_folio_4k_ns');
    // A new folio is neither poisoned nor uptodate, and the fast path took its reference.
    ns += c.ns('mm.clear_page_4k_ns');
    host.mem.folioSetFlags(r.pfn, FOLIO_UPTODATE);
    return ns;
  }
  const flags = host.mem.folioFlags(r.pfn);
  if (flags & FOLIO_HWPOISON) {
    got.order = GOT_POISONED;
    return ns;
  }
  if (!(flags & FOLIO_UPTODATE)) {
    ns += c.ns('mm.clear_page_4k_ns');
    host.mem.folioSetFlags(r.pfn, FOLIO_UPTODATE);
  }
  host.mem.folioGet(r.pfn);
  return ns;
}

/**
 * kvm_gmem_get_pfn as data, for a batch that runs first-touch faults inside the fast paths
 * (wasm/fault-batch.ts, PfnBatchPlan): gmem.get_pfn_ns, f_count's line (lock.cacheline_ns) when
 * another vCPU faulted last, a miss's host.alloc_page_ns + gmem.add_folio_4k_ns and
 * mm.clear_page_4k_ns, in kvm_gmem_get_pfn_begin's order, and a hit's zeroing when its folio is
 * not uptodate; no second charge. Undefined when a fault may end otherwise: a closed or unbound
 * file (EFAULT, EIO), a folio of the file ever poisoned (a hit may find it: EHWPOISON), or the
 * footprint's stamps (cache-footprint.ts).
 */
export function kvm_gmem_get_pfn_batch_plan(file: GmemFile, slot: Memslot): PfnBatchPlan | undefined {
  const inode = file.inode;
  if (file.released || !file.bindings.includes(slot) || inode.poisoned > 0 || inode.footprint.tracking) return undefined;
  const host = inode.host;
  const c = host.costs;
  return {
    cache: inode.pages,
    args: { policy: 'never', iSizePages: inode.size / PAGE_SIZE, migratetype: MIGRATE_UNMOVABLE },
    baseNs: c.ns('gmem.get_pfn_ns'),
    allocNs: c.ns('host.alloc_page_ns') + c.ns('gmem.add_folio_4k_ns'),
    hugeAllocNs: 0, // 4 KiB folios only (policy never)
    missClearNs: c.ns('mm.clear_page_4k_ns'),
    hitClearNs: c.ns('mm.clear_page_4k_ns'),
    endNs: 0,
    line: {
      ns: c.lockCosts.cacheline_ns,
      get owner() { return file.fCountLineOwner; },
      set owner(p: Process | null) { file.fCountLineOwner = p; },
    },
    allocated(p, small) {
      if (small <= 0) return;
      host.metrics.folioAllocated(0, small);
      pcpAlloc(inode.pcp, p, small);
      folio_add_lru(inode.lru, p, small);
    },
    lastAllocated(p) {
      inode.faultLinesOwner = p;
    },
  };
}

/** kvm_gmem_get_pfn after its charge: EHWPOISON for a poisoned folio, else done (no second charge: 0). */
export function kvm_gmem_get_pfn_end(got: GotPage): number {
  if (got.order === GOT_POISONED) throw new KernelError('EHWPOISON', 'kvm_gmem_get_pfn');
  return 0;
}

/**
 * kvm_gmem_error_folio: O(1) from the mapping; filemap_invalidate_lock_shared, invalidate
 * begin/end around the folio (zap only), MF_DELAYED: the next kvm_gmem_get_pfn gets EHWPOISON.
 */
export function* kvm_gmem_error_folio(p: Process, inode: GmemInode, pfn: number, index: number): Gen<string> {
  const host = inode.host;
  const t0 = host.sim.now;
  yield* charge(p, host.costs.ns('restrictedmem.error_direct_lookup_ns'));
  host.metrics.errorLookup(host.sim.now - t0);
  yield inode.invalidateLock.downRead(p);
  try {
    yield* kvm_gmem_invalidate_begin(p, inode, index, index + 1);
    host.mem.folioSetFlags(pfn, FOLIO_HWPOISON);
    inode.poisoned++;
    yield* kvm_gmem_invalidate_end(p, inode, index, index + 1);
  } finally {
    inode.invalidateLock.upRead(p);
  }
  return 'MF_DELAYED';
}

/**
 * kvm_gmem_release (close of the VM's file, mainline): under slots_lock then
 * filemap_invalidate_lock, zap everything bound, unbind; the folios live until the inode goes (here: when its last
 * file is released, truncate all). Cost gmem.release_ns + zaps (+ truncation).
 */
export function* kvm_gmem_release(p: Process, file: GmemFile): Gen {
  const inode = file.inode;
  const host = inode.host;
  yield* charge(p, host.costs.ns('gmem.release_ns'));
  // slots_lock first (mainline): no memslot update may unbind and free a slot while its binding is dropped.
  yield file.vm.slotsLock.lock(p);
  yield inode.invalidateLock.downWrite(p);
  try {
    yield* kvm_gmem_invalidate_begin(p, inode, 0, inode.size / PAGE_SIZE);
    yield* kvm_gmem_invalidate_end(p, inode, 0, inode.size / PAGE_SIZE);
    file.bindings.length = 0;
    file.released = true;
    const i = inode.files.indexOf(file);
    if (i >= 0) inode.files.splice(i, 1);
    if (inode.files.length === 0) {
      yield* truncate_inode_pages_range(p, host, inode, 0, inode.size / PAGE_SIZE, GMEM_TRUNCATE);
      const b = host.backings.indexOf(inode);
      if (b >= 0) host.backings.splice(b, 1);
    }
  } finally {
    inode.invalidateLock.upWrite(p);
    file.vm.slotsLock.unlock(p);
  }
}
