// shmem_get_folio, its fallocate loop, a vCPU's run of first-touch faults and the page-cache
// half of a punch, written once over the HostMemory/PageCache/PageTable interfaces. The Map
// reference and the typed-array version use these; the WASM module has the same algorithm in
// wasm/shmem.ts, and the benchmark drives these over the WASM structures as "op by op from TS".
// Why a twin: one call across the JS/WASM boundary per batch, not per page; test/fastpath/shmem.test.ts
// holds the WASM and typed-array versions to this code over the Map reference.
import {
  FALLBACK_NOMEM, FALLBACK_NONE, FALLBACK_OCCUPIED, FOLIO_UNEVICTABLE, MIGRATE_UNMOVABLE,
  type FaultBatchStats, type GetFolioResult, type HostMemory, type PageCache, type PageTable,
  type PunchStats, type ShmemArgs, type ShmemBatchStats, type ThpPolicy,
} from './api.js';

const HPAGE_PMD_NR = 512;

/**
 * shmem_is_huge for a file with no VMA (6.1): always -> yes; within_size -> only when
 * round_up(index + 1, 512) <= i_size; never/advise -> no. Leaves out deny/force.
 */
export function shmemIsHuge(policy: ThpPolicy, index: number, iSizePages: number): boolean {
  if (policy === 'always') return true;
  if (policy === 'within_size') return Math.ceil((index + 1) / HPAGE_PMD_NR) * HPAGE_PMD_NR <= iSizePages;
  return false;
}

/**
 * shmem_get_folio(SGP_WRITE) (6.1 shmem_get_folio_gfp): page-cache lookup; on a miss
 * shmem_alloc_hugefolio (refused if xa_find sees any entry in the 512-index block, counted as
 * OCCUPIED; allocator failure counted as NOMEM = THP_FILE_FALLBACK), else order 0;
 * shmem_add_to_page_cache. The new folio holds the page cache's one reference and is
 * unevictable (mapping_set_unevictable). Leaves out locking, memcg, accounting, swap, LRU.
 */
export function shmemGetFolio(host: HostMemory, cache: PageCache, index: number, args: ShmemArgs): GetFolioResult {
  const found = cache.lookup(index);
  if (found >= 0) return { pfn: found, order: cache.lookupOrder(index), hit: true, fallback: FALLBACK_NONE };
  const mt = args.migratetype ?? MIGRATE_UNMOVABLE;
  let fallback = FALLBACK_NONE;
  if (shmemIsHuge(args.policy, index, args.iSizePages)) {
    if (cache.anyInBlock(index)) {
      fallback = FALLBACK_OCCUPIED;
    } else {
      const pfn = host.allocPages(9, mt);
      if (pfn >= 0) {
        host.folioSetFlags(pfn, FOLIO_UNEVICTABLE);
        cache.insert(index - (index % HPAGE_PMD_NR), pfn, 9);
        return { pfn, order: 9, hit: false, fallback };
      }
      fallback = FALLBACK_NOMEM;
    }
  }
  const pfn = host.allocPages(0, mt);
  if (pfn < 0) return { pfn: -1, order: -1, hit: false, fallback };
  host.folioSetFlags(pfn, FOLIO_UNEVICTABLE);
  cache.insert(index, pfn, 0);
  return { pfn, order: 0, hit: false, fallback };
}

export function emptyShmemStats(): ShmemBatchStats {
  return { hits: 0, alloc4k: 0, allocHuge: 0, fallbackOccupied: 0, fallbackNoMem: 0, enomem: 0 };
}

function count(s: ShmemBatchStats, r: GetFolioResult): void {
  if (r.hit) s.hits++;
  else if (r.pfn < 0) s.enomem++;
  else if (r.order === 0) s.alloc4k++;
  else s.allocHuge++;
  if (r.fallback === FALLBACK_OCCUPIED) s.fallbackOccupied++;
  if (r.fallback === FALLBACK_NOMEM) s.fallbackNoMem++;
}

/** shmem_fallocate's loop (6.1): index = folio_next_index(folio); stops at the first ENOMEM. */
export function shmemGetFolioRange(host: HostMemory, cache: PageCache, start: number, end: number, args: ShmemArgs): ShmemBatchStats {
  const s = emptyShmemStats();
  for (let index = start; index < end; ) {
    const r = shmemGetFolio(host, cache, index, args);
    count(s, r);
    if (r.pfn < 0) break;
    const size = 2 ** r.order;
    index = index - (index % size) + size;
  }
  return s;
}

/**
 * A vCPU's first-touch faults over gfns [gfnStart, gfnStart+count) (kvm_tdp_page_fault ->
 * kvm_faultin_pfn_private -> restrictedmem_get_page, kvm_mmu_hugepage_adjust, kvm_tdp_mmu_map).
 * A huge mapping needs the folio huge, maxLevel to allow it and gfn congruent to index modulo
 * the huge size; it then covers the whole aligned block. Stops at the first ENOMEM. Leaves out
 * locks, retries, attributes, disallow_lpage beyond the congruence check.
 */
export function faultRange(host: HostMemory, pt: PageTable, cache: PageCache, gfnStart: number, indexStart: number,
  count_: number, args: ShmemArgs & { maxLevel: number }): FaultBatchStats {
  const s: FaultBatchStats = { ...emptyShmemStats(), alreadyMapped: 0, faults: 0, mapped: [0, 0, 0] };
  const gfnEnd = gfnStart + count_;
  for (let gfn = gfnStart; gfn < gfnEnd; ) {
    if (pt.walk(gfn) >= 0) { s.alreadyMapped++; gfn++; continue; }
    s.faults++;
    const index = indexStart + (gfn - gfnStart);
    const r = shmemGetFolio(host, cache, index, args);
    count(s, r);
    if (r.pfn < 0) break;
    let level = 1;
    if (r.order === 18 && args.maxLevel >= 3 && (gfn - index) % 2 ** 18 === 0) level = 3;
    else if (r.order >= 9 && args.maxLevel >= 2 && (gfn - index) % 512 === 0) level = 2;
    const span = 2 ** (9 * (level - 1));
    const headIndex = index - (index % 2 ** r.order);
    const pfn = r.pfn + (index - headIndex) - (index % span);
    const gfnHead = gfn - (gfn % span);
    pt.map(gfnHead, pfn, level);
    s.mapped[level - 1]!++;
    gfn = gfnHead + span;
  }
  return s;
}

/**
 * shmem_undo_range's page-cache half (6.1, with truncate_inode_partial_folio): whole folios are
 * removed and their page-cache reference dropped (freed at zero, __folio_put); a huge folio
 * partly in range is split when the cache holds its only reference (split_folio), and its
 * pages in range removed; otherwise it is left whole (zeroed only). Leaves out zeroing cost,
 * batching in 15s, locks.
 */
export function punchRange(host: HostMemory, cache: PageCache, start: number, end: number): PunchStats {
  const s: PunchStats = { foliosFreed: 0, pagesFreed: 0, foliosStillReferenced: 0, splits: 0, splitFailures: 0 };
  const drop = (pfn: number, order: number): void => {
    if (host.folioPut(pfn) === 0) {
      host.freePages(pfn, order);
      s.foliosFreed++;
      s.pagesFreed += 2 ** order;
    } else {
      s.foliosStillReferenced++;
    }
  };
  const r = cache.eraseRange(start, end);
  for (const w of r.whole) drop(w.pfn, w.order);
  for (const p of r.partial) {
    if (host.folioRefcount(p.pfn) !== 1) { s.splitFailures++; continue; }
    host.folioSplit(p.pfn);
    cache.splitEntry(p.index);
    s.splits++;
    const inner = cache.eraseRange(Math.max(start, p.index), Math.min(end, p.index + 2 ** p.order));
    for (const w of inner.whole) drop(w.pfn, w.order);
  }
  return s;
}
