// mm/shmem.c (6.1 rules; the 6.18 host differs, docs/kernel-model.md section 8): the inode behind a
// restrictedmem file. inode_lock (i_rwsem, taken exclusive) serialises fallocate and punch per
// file; shmem_get_folio allocates 4 KiB or, per shmem_enabled, 2 MiB folios on the fast paths.
import { RwSemaphore, type Process } from '../engine/index.js';
import { FALLBACK_NOMEM, FALLBACK_OCCUPIED, FOLIO_UPTODATE, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, type GetFolioResult, type PageCache, type ShmemArgs } from '../fastpath/index.js';
import type { Host } from './host.js';
import { charge } from './charge.js';
import { KernelError, type Errno } from './errors.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, folioOffset, HPAGE_PMD_NR, type Gen, type GotPage, type PrivateBacking } from './backing.js';
import type { PfnBatchPlan } from './kvm.js';
import { PAGE_SIZE } from '../units.js';
import { try_to_free_pages } from './page-cache-load.js';
import { truncate_inode_pages_range, type TruncateCosts } from './truncate.js';
import { hostPcp, pcpAlloc, type HostPcp } from './pcp.js';
import { folio_add_lru, hostLru, type HostLru } from './lru-add.js';
import { folioPutNs } from './folio.js';
import { chargeLockHandover, type HandoverCosts } from './lock-handover.js';
import { sys_fallocate_entry, vfs_fallocate_exit, type FallocateShares } from './sys-fallocate.js';
import { touchRange } from './cold-range.js';
import { FileFootprint } from './cache-footprint.js';

const INODE_LOCK_HANDOVER: HandoverCosts = { refill: 'shmem.inode_lock_contended_refill_ns', perPage: 'shmem.inode_lock_handover_page_ns' };

export type Sgp = 'SGP_WRITE' | 'SGP_FALLOC' | 'SGP_NOALLOC';

const SHMEM_TRUNCATE: TruncateCosts = {
  firstBatch: 'shmem.punch_first_batch_ns',
  perPage: 'shmem.truncate_page_ns',
  firstBatchExtra: 'shmem.truncate_page_first_batch_extra_ns',
  nodeFree: 'shmem.xa_node_free_ns',
};

/** A range being punched, from the moment shmem_undo_range emptied it until the punch returns. */
export interface HoleWindow {
  start: number;
  end: number;
  open: boolean;
}

/** struct shmem_inode_info + its address_space, as far as the model needs them. */
export class ShmemInode implements PrivateBacking {
  readonly id: string;
  readonly pages: PageCache;
  /** inode->i_rwsem; inode_lock() is its write side. */
  readonly inodeLock: RwSemaphore;
  i_size = 0;
  /** mapping_set_unevictable (restrictedmem). */
  unevictable = false;
  /** __GFP_MOVABLE in the mapping's gfp mask (restrictedmem clears it). */
  movable = true;
  /** inode->i_private while a punch runs (only shmem_fault honours it; SGP_WRITE ignores it). */
  fallocMarker: { start: number; end: number } | null = null;
  /** Holes being punched now: allocations inside count as punch.refilled_bytes. */
  readonly holeWindows: HoleWindow[] = [];
  /** The memory-error hook of the mapping (restrictedmem_error_page for restrictedmem's inode). */
  errorHook?: (p: Process, pfn: number, index: number) => Gen<string>;
  /** Test hook: the next shmem_fallocate fails with this errno after taking inode_lock. */
  injectError?: Errno;
  /** shmem.get_folio_hit_ns and the 4 KiB and huge allocation costs, read once: a fault pays them every time. */
  readonly getFolioNs: number;
  readonly alloc4kNs: number;
  readonly allocHugeNs: number;
  /** When its pages were populated, against the host's count (cache-footprint.ts). */
  readonly footprint: FileFootprint;
  /** The host's lru_add batches and per-CPU lists, which every allocation updates (lru-add.ts, pcp.ts). */
  readonly lru: HostLru;
  readonly pcp: HostPcp;

  constructor(readonly host: Host, name: string) {
    this.footprint = new FileFootprint(host);
    this.lru = hostLru(host);
    this.pcp = hostPcp(host);
    this.id = host.nextId(name);
    this.pages = host.fp.newPageCache();
    this.inodeLock = new RwSemaphore(host.sim, 'inode_lock', { owner: name });
    const c = host.costs;
    this.getFolioNs = c.ns('shmem.get_folio_hit_ns');
    this.alloc4kNs = c.ns('host.alloc_page_ns') + c.ns('shmem.add_folio_4k_ns');
    this.allocHugeNs = c.ns('shmem.alloc_huge_folio_ns');
    host.backings.push(this);
  }

  *errorFolio(p: Process, pfn: number, index: number): Gen<string> {
    if (!this.errorHook) return 'MF_RECOVERED';
    return yield* this.errorHook(p, pfn, index);
  }
}

/** shmem_file_setup(name, size, VM_NORESERVE): a new shmem inode (no accounting with VM_NORESERVE). Cost: charged by the caller. */
export function shmem_file_setup(host: Host, name: string, size: number): ShmemInode {
  const inode = new ShmemInode(host, name);
  inode.i_size = size;
  return inode;
}

/**
 * shmem_get_folio (6.1 shmem_get_folio_gfp): page-cache hit, or for SGP_WRITE/SGP_FALLOC a new
 * folio (huge per shmem_enabled when the 2 MiB block is empty, THP fallback counted by reason)
 * from the fast path. A hit is __filemap_get_folio(FGP_LOCK): the lookup takes a reference, then
 * folio_lock sleeps while a truncation holds the folio (folio-lock.ts: the reference it holds
 * meanwhile makes that truncation's split fail; while the split has the count frozen the lookup
 * spins instead), and a folio that left the cache meanwhile is put
 * back and looked up again ("Has the page been truncated?"). SGP_WRITE returns with a reference
 * the caller drops (folio_put); no zeroing (new and fallocated folios are left !Uptodate). The
 * folio lock it returns with is released at once (restrictedmem_get_page's unlock: the hold is
 * instantaneous here). Costs shmem.get_folio_hit_ns, plus the allocation's on a miss. Leaves out
 * swap, memcg and i_size checks (SGP_WRITE may exceed i_size).
 */
export function* shmem_get_folio(p: Process, inode: ShmemInode, index: number, sgp: Sgp): Gen<GotPage | null> {
  const host = inode.host;
  let found = inode.pages.lookup(index);
  let ref = false;
  while (found >= 0 && host.folioLocks.isLocked(found)) {
    if (yield* host.folioLocks.frozenSpin(p, found)) {
      found = inode.pages.lookup(index);
      continue;
    }
    host.mem.folioGet(found); // folio_try_get, before folio_lock sleeps
    yield* host.folioLocks.lockBriefly(p, found);
    const now = inode.pages.lookup(index);
    if (now === found) {
      ref = true;
      break;
    }
    yield* charge(p, folioPutNs(host, found, p));
    found = now;
  }
  if (found >= 0 || sgp === 'SGP_NOALLOC') {
    // RCU lookup + folio_try_get at the same instant: a truncation running during the charge
    // below can then only drop the cache's reference, never free the folio under us.
    const order = found >= 0 ? inode.pages.lookupOrder(index) : -1;
    if (found >= 0 && sgp === 'SGP_WRITE' && !ref) host.mem.folioGet(found);
    if (ref && sgp !== 'SGP_WRITE') yield* charge(p, folioPutNs(host, found, p));
    yield* charge(p, inode.getFolioNs);
    if (found < 0) return null;
    return { folio: found, pfn: found + folioOffset(index, order), order };
  }
  const got: GotPage = { folio: 0, pfn: 0, order: 0 };
  yield* charge(p, shmem_alloc_folio(p, inode, index, sgp, got));
  return got;
}

/**
 * shmem_get_folio without a generator, for SGP_WRITE when nothing locks the folio at `index`
 * (kvm_mmu_page_fault's state machine, mmu.ts): a hit takes the caller's reference, a miss
 * allocates (shmem_alloc_folio). Fills `got` and returns the ns shmem_get_folio charges then,
 * or -1 with nothing done when the folio is locked (the generator's folio_lock wait applies).
 * Throws ENOMEM as shmem_get_folio does.
 */
export function shmem_get_folio_write_nowait(p: Process, inode: ShmemInode, index: number, got: GotPage): number {
  const host = inode.host;
  // One call for the lookup and, on a miss, the allocation with the caller's reference: a hit
  // changes nothing, so a locked folio can still be left to the generator.
  setFolioArgs(host, inode);
  const r = host.fp.shmemGetFolioWrite(inode.pages, index, getFolioArgs, getFolioResult);
  if (r.hit) {
    if (host.folioLocks.isLocked(r.pfn)) return -1;
    host.mem.folioGet(r.pfn);
    got.folio = r.pfn;
    got.pfn = r.pfn + folioOffset(index, r.order);
    got.order = r.order;
    return inode.getFolioNs;
  }
  return shmem_folio_allocated(p, inode, index, 'SGP_WRITE', r, got, false);
}

/**
 * shmem_get_folio(SGP_WRITE) on this inode as data, for a batch that runs first-touch faults
 * inside the fast paths (wasm/fault-batch.ts, PfnBatchPlan): a hit's charge is
 * shmem.get_folio_hit_ns, a 4 KiB miss's that plus host.alloc_page_ns and shmem.add_folio_4k_ns,
 * a 2 MiB miss's shmem.alloc_huge_folio_ns instead (shmem_enabled decides, in the fast path);
 * `endNs` is the caller's charge after it. Undefined when a fault here may do what the batch
 * does not: refill a hole being punched (punch.refilled_bytes), or stamp the footprint
 * (cache-footprint.ts).
 */
export function shmem_get_folio_batch_plan(inode: ShmemInode, endNs: number): PfnBatchPlan | undefined {
  if (inode.holeWindows.length > 0 || inode.footprint.tracking) return undefined;
  const host = inode.host;
  return {
    cache: inode.pages,
    args: { policy: host.s.thp.policy, iSizePages: Math.floor(inode.i_size / PAGE_SIZE), migratetype: inode.movable ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE },
    baseNs: inode.getFolioNs,
    allocNs: inode.alloc4kNs,
    hugeAllocNs: inode.allocHugeNs,
    missClearNs: 0,
    hitClearNs: 0,
    endNs,
    allocated: (p, small, huge, smallAfterHuge) => shmem_batch_allocated(inode, p, small, huge, smallAfterHuge),
    fellBack(occupied, noMemory) {
      if (occupied > 0) host.metrics.thpFallback('occupied', occupied);
      if (noMemory > 0) host.metrics.thpFallback('alloc_failed', noMemory);
    },
  };
}

/**
 * What shmem_folio_allocated counts for the folios process p allocated in a batch (`small`
 * order-0, `huge` 2 MiB, `smallAfterHuge` of the small ones after its last huge one):
 * thp.folio_orders and memory.allocated_bytes, p's per-CPU lists (order 0 only) and lru_add batch
 * (a large folio moves it: the count restarts). Each is a count or a per-process list that only p
 * changes, so these calls leave what one per folio would.
 */
function shmem_batch_allocated(inode: ShmemInode, p: Process, small: number, huge: number, smallAfterHuge: number): void {
  if (small > 0) inode.host.metrics.folioAllocated(0, small);
  if (huge > 0) inode.host.metrics.folioAllocated(9, huge);
  pcpAlloc(inode.pcp, p, small);
  if (huge > 0) {
    folio_add_lru(inode.lru, p, 0, 1);
    folio_add_lru(inode.lru, p, smallAfterHuge, 0);
  } else {
    folio_add_lru(inode.lru, p, small, 0);
  }
}

// One argument and one result object for every call: each caller reads the result before the
// next call and keeps nothing of it, and this runs once per first-touch fault.
const getFolioArgs: ShmemArgs = { policy: 'never', iSizePages: 0, migratetype: MIGRATE_UNMOVABLE };
const getFolioResult: GetFolioResult = { pfn: -1, order: -1, hit: false, fallback: 0 };

/** The fast path's shmem_get_folio: lookup, and on a miss the allocation and insert. */
function shmemGetFolioFast(host: Host, inode: ShmemInode, index: number): GetFolioResult {
  setFolioArgs(host, inode);
  return host.fp.shmemGetFolio(inode.pages, index, getFolioArgs, getFolioResult);
}

/** The fast path's arguments for inode: its host's THP policy, i_size in pages, migratetype. */
function setFolioArgs(host: Host, inode: ShmemInode): void {
  getFolioArgs.policy = host.s.thp.policy;
  getFolioArgs.iSizePages = Math.floor(inode.i_size / PAGE_SIZE);
  getFolioArgs.migratetype = inode.movable ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE;
}

/**
 * shmem_get_folio's miss: a folio from the fast path (huge per shmem_enabled), counted, taking
 * the caller's reference for SGP_WRITE. Fills `got`; returns the ns to charge (lookup + allocation).
 */
function shmem_alloc_folio(p: Process, inode: ShmemInode, index: number, sgp: Sgp, got: GotPage): number {
  return shmem_folio_allocated(p, inode, index, sgp, shmemGetFolioFast(inode.host, inode, index), got);
}

/**
 * What follows the fast path's allocation (r, not a hit): fallbacks and ENOMEM, counts, the
 * reference (SGP_WRITE; unless takeRef is false: shmemGetFolioWrite took it), the per-CPU list.
 * Returns the ns to charge, rounded.
 */
function shmem_folio_allocated(p: Process, inode: ShmemInode, index: number, sgp: Sgp, r: GetFolioResult, got: GotPage, takeRef = true): number {
  const host = inode.host;
  if (r.fallback === FALLBACK_OCCUPIED) host.metrics.thpFallback('occupied');
  if (r.fallback === FALLBACK_NOMEM) host.metrics.thpFallback('alloc_failed');
  if (r.pfn < 0) throw new KernelError('ENOMEM', 'shmem_get_folio');
  host.metrics.folioAllocated(r.order);
  noteRefill(inode, index, r.order);
  if (sgp === 'SGP_WRITE' && takeRef) host.mem.folioGet(r.pfn);
  if (r.order === 0) pcpAlloc(inode.pcp, p, 1);
  folio_add_lru(inode.lru, p, r.order === 0 ? 1 : 0, r.order === 0 ? 0 : 1);
  inode.footprint.populated(index, 1 << r.order);
  got.folio = r.pfn;
  got.pfn = r.pfn + folioOffset(index, r.order);
  got.order = r.order;
  // Rounded here as every caller's charge rounds it (the same charge): a non-integer (60 + 80 +
  // 196.46 ns for a 4 KiB folio) returned across a call V8 does not inline is a heap number per fault.
  return Math.round(inode.getFolioNs + (r.order === 0 ? inode.alloc4kNs : inode.allocHugeNs));
}

/** An allocation inside a hole being punched refills it (SGP_WRITE ignores the falloc marker). */
function noteRefill(inode: ShmemInode, index: number, order: number): void {
  if (inode.holeWindows.length === 0) return;
  const lo = index - (index % 2 ** order);
  const hi = lo + 2 ** order;
  for (const w of inode.holeWindows) {
    if (!w.open) continue;
    const overlap = Math.min(hi, w.end) - Math.max(lo, w.start);
    if (overlap > 0) {
      inode.host.metrics.refilled(overlap * PAGE_SIZE);
      return;
    }
  }
}

/**
 * shmem_fallocate (6.1): mode checks, inode_lock for the whole call; PUNCH_HOLE: falloc marker,
 * unmap_mapping_range (no user mappings here), shmem_truncate_range; allocate: shmem_get_folio
 * (SGP_FALLOC) per folio (done in 2 MiB chunks through the fast path's batched entry point),
 * rolled back with shmem_undo_range on failure, i_size extended unless KEEP_SIZE. A folio
 * already present costs shmem.fallocate_found_folio_ns (find_lock_entry, folio_mark_dirty,
 * folio_unlock, folio_put), plus shmem.falloc_clear_page_ns per page when it is still !uptodate. `window`, when
 * given, is the caller's hole window (restrictedmem keeps it open until invalidate_end).
 * A call whose range is cold for the caller (cold-range.ts) costs more: a punch
 * shmem.cold_range_punch_fixed_ns and shmem.cold_range_punch_page_ns per page it removes, an
 * allocation per page it allocates (shmem.cold_range_alloc_page_ns), per folio it finds
 * (shmem.cold_range_found_folio_ns) and per page it zeroes (shmem.cold_range_clear_page_ns).
 * A punch also costs shmem.xa_node_free_ns per xarray leaf node it empties (truncate.ts), and
 * shmem.cache_cold_punch_page_ns per page it removes x the cold fraction of the pages' metadata
 * after what the host populated since (cache-footprint.ts).
 * The syscall's share of the fixed cost (host.fallocate_syscall_ns, sys-fallocate.ts) is spent
 * before inode_lock and vfs_fallocate's tail (shmem.fallocate_after_unlock_ns) after it, so two
 * callers overlap there.
 * Its per-folio folio_lock (SGP_FALLOC) never waits in the model: the only holds that last, a
 * partial truncation's, run under inode_lock too, and a fault's hold is instantaneous (folio-lock.ts).
 * Leaves out signals, seals, the falloc waitqueue, and the partial-page zeroing of unaligned ends.
 */
export function* shmem_fallocate(p: Process, inode: ShmemInode, mode: number, offset: number, len: number, window?: HoleWindow): Gen<void> {
  const host = inode.host;
  const c = host.costs;
  if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) throw new KernelError('EOPNOTSUPP', 'shmem_fallocate');
  const shares = yield* sys_fallocate_entry(p, host, c.ns(mode & FALLOC_FL_PUNCH_HOLE ? 'shmem.punch_fixed_ns' : 'shmem.fallocate_fixed_ns'), 'shmem.fallocate_after_unlock_ns');
  yield* shmem_fallocate_locked(p, inode, mode, offset, len, shares, window);
  yield* vfs_fallocate_exit(p, shares);
}

/** shmem_fallocate from inode_lock to inode_unlock: the fixed cost's share under the lock is `shares.underLock`. */
function* shmem_fallocate_locked(p: Process, inode: ShmemInode, mode: number, offset: number, len: number, shares: FallocateShares, window?: HoleWindow): Gen<void> {
  const host = inode.host;
  const c = host.costs;
  const fixedUnderLock = shares.underLock;
  const tLock = host.sim.now;
  yield inode.inodeLock.downWrite(p);
  try {
    yield* chargeLockHandover(p, host, tLock, INODE_LOCK_HANDOVER, mode & FALLOC_FL_PUNCH_HOLE ? Math.floor(len / PAGE_SIZE) : 0);
    if (inode.injectError) {
      const e = inode.injectError;
      inode.injectError = undefined;
      throw new KernelError(e, 'shmem_fallocate');
    }
    if (mode & FALLOC_FL_PUNCH_HOLE) {
      const start = Math.ceil(offset / PAGE_SIZE);
      const end = Math.floor((offset + len) / PAGE_SIZE);
      const cold = touchRange(inode, p, start, end);
      yield* charge(p, fixedUnderLock + (cold ? c.ns('shmem.cold_range_punch_fixed_ns') : 0));
      inode.fallocMarker = { start, end };
      const w = window ?? { start, end, open: false };
      if (!window) inode.holeWindows.push(w);
      w.open = true;
      yield* shmem_undo_range(p, inode, start, end, (cold ? c.ns('shmem.cold_range_punch_page_ns') : 0) + inode.footprint.coldPageNs(start, end, c.ns('shmem.cache_cold_punch_page_ns')));
      inode.fallocMarker = null;
      if (!window) closeWindow(inode, w);
      host.event(p, 'shmem_punch', { file: inode.id, start, end });
      return;
    }
    const start = Math.floor(offset / PAGE_SIZE);
    const end = Math.ceil((offset + len) / PAGE_SIZE);
    yield* charge(p, fixedUnderLock);
    const cold = touchRange(inode, p, start, end);
    const coldAlloc = cold ? c.ns('shmem.cold_range_alloc_page_ns') : 0;
    const coldClear = cold ? c.ns('shmem.cold_range_clear_page_ns') : 0;
    const coldFound = cold ? c.ns('shmem.cold_range_found_folio_ns') : 0;
    for (let chunk = start; chunk < end; ) {
      const chunkEnd = Math.min(end, chunk - (chunk % HPAGE_PMD_NR) + HPAGE_PMD_NR);
      const cleared = shmem_falloc_clear(host, inode, chunk, chunkEnd);
      yield* try_to_free_pages(p, host, chunkEnd - chunk);
      const s = host.fp.shmemGetFolioRange(inode.pages, chunk, chunkEnd, {
        policy: host.s.thp.policy,
        iSizePages: Math.floor(inode.i_size / PAGE_SIZE), // shmem_is_huge reads the old i_size
        migratetype: inode.movable ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE,
      });
      for (let i = 0; i < s.alloc4k; i++) host.metrics.folioAllocated(0);
      for (let i = 0; i < s.allocHuge; i++) host.metrics.folioAllocated(9);
      for (let i = 0; i < s.fallbackOccupied; i++) host.metrics.thpFallback('occupied');
      for (let i = 0; i < s.fallbackNoMem; i++) host.metrics.thpFallback('alloc_failed');
      pcpAlloc(inode.pcp, p, s.alloc4k);
      folio_add_lru(inode.lru, p, s.alloc4k, s.allocHuge);
      inode.footprint.populated(chunk, s.alloc4k + s.allocHuge * HPAGE_PMD_NR);
      yield* charge(p, s.alloc4k * (c.ns('host.alloc_page_ns') + c.ns('shmem.add_folio_4k_ns') + coldAlloc) + s.allocHuge * c.ns('shmem.alloc_huge_folio_ns') + s.hits * (c.ns('shmem.fallocate_found_folio_ns') + coldFound) + cleared * (c.ns('shmem.falloc_clear_page_ns') + coldClear));
      if (s.enomem) {
        // shmem_undo_range(unfalloc): give back what this call allocated (6.1 frees only the
        // !Uptodate folios it added; the model frees the whole range it walked). A failed page
        // allocation is ENOMEM (shmem_alloc_and_acct_folio); ENOSPC is the mount's block limit,
        // which the internal mount of restrictedmem does not set.
        yield* shmem_undo_range(p, inode, start, chunkEnd);
        throw new KernelError('ENOMEM', 'shmem_fallocate');
      }
      chunk = chunkEnd;
    }
    if (!(mode & FALLOC_FL_KEEP_SIZE) && offset + len > inode.i_size) inode.i_size = offset + len;
    host.event(p, 'shmem_fallocate', { file: inode.id, start, end });
  } finally {
    inode.inodeLock.upWrite(p);
  }
}

/**
 * shmem_get_folio_gfp's `clear:` path for SGP_FALLOC (6.1 mm/shmem.c, the same in 6.18): a folio
 * found in the cache and still !uptodate (fallocated before and never written) is zeroed page by
 * page (clear_highpage over folio_nr_pages) and marked uptodate; a folio allocated by this call
 * is not (SGP_FALLOC turns into SGP_WRITE before the label). Over [start, end) within one 2 MiB
 * block; returns the pages zeroed, charged shmem.falloc_clear_page_ns each by the caller.
 * restrictedmem_get_page's SGP_WRITE takes the same path without zeroing and then sets the page
 * uptodate itself, so a page a guest faulted in is not zeroed by a later fallocate.
 */
function shmem_falloc_clear(host: Host, inode: ShmemInode, start: number, end: number): number {
  const block = start - (start % HPAGE_PMD_NR);
  if (!inode.pages.anyInBlock(block)) return 0;
  let pages = 0;
  inode.pages.forEachInRange(block, end, (index, pfn, order) => {
    if (index + 2 ** order <= start || host.mem.folioFlags(pfn) & FOLIO_UPTODATE) return;
    pages += 2 ** order;
    markUptodate(host, pfn);
  });
  return pages;
}

export function closeWindow(inode: ShmemInode, w: HoleWindow): void {
  w.open = false;
  const i = inode.holeWindows.indexOf(w);
  if (i >= 0) inode.holeWindows.splice(i, 1);
}

/**
 * shmem_undo_range (6.1) over whole pages [start, end): truncate through mm/truncate.c's rules
 * (`coldPageNs` more per page removed from a cold range), then shmem_recalc_inode. Leaves out
 * swap entries and the unfalloc distinction.
 */
export function* shmem_undo_range(p: Process, inode: ShmemInode, start: number, end: number, coldPageNs = 0): Gen<void> {
  yield* truncate_inode_pages_range(p, inode.host, inode, start, end, SHMEM_TRUNCATE, coldPageNs);
}

/** shmem_truncate_range(lstart, lend inclusive) -> shmem_undo_range on whole pages. */
export function* shmem_truncate_range(p: Process, inode: ShmemInode, lstart: number, lend: number): Gen<void> {
  yield* shmem_undo_range(p, inode, Math.ceil(lstart / PAGE_SIZE), Math.floor((lend + 1) / PAGE_SIZE));
}

/** shmem_setattr size change: shrinking truncates the tail. Leaves out the seals and timestamps. */
export function* shmem_setattr(p: Process, inode: ShmemInode, size: number): Gen<void> {
  yield* charge(p, inode.host.costs.ns('shmem.setattr_ns'));
  if (size < inode.i_size) {
    yield inode.inodeLock.downWrite(p);
    try {
      yield* shmem_truncate_range(p, inode, size, inode.i_size - 1);
    } finally {
      inode.inodeLock.upWrite(p);
    }
  }
  inode.i_size = size;
}

/** shmem_evict_inode: the last reference truncates the whole file (shmem_truncate_range(0, -1)). */
export function* shmem_evict_inode(p: Process, inode: ShmemInode): Gen<void> {
  yield* shmem_undo_range(p, inode, 0, 2 ** 32);
  inode.i_size = 0;
}

/** folio_mark_uptodate (restrictedmem_get_page's SetPageUptodate). */
export function markUptodate(host: Host, folio: number): void {
  host.mem.folioSetFlags(folio, FOLIO_UPTODATE);
}
