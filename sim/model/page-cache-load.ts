// The host's own page cache (files the host reads: images, logs, the VMM's binaries), the movable
// memory that shares the buddy allocator with the tenants' unmovable restricted pages. Without it
// every allocation on the host is unmovable and every teardown gives back whole buddies, so
// free memory re-merges and huge pages never become scarce. With it, page-cache folios fill the
// gaps tenants leave, reclaim frees them in LRU order but keeps referenced ones (second chance),
// and the survivors pin pageblocks that a departed tenant's memory could otherwise have merged.
import type { Process } from '../engine/index.js';
import type { RngStream } from '../engine/rng.js';
import { Fifo } from '../engine/fifo.js';
import { MIGRATE_MOVABLE } from '../fastpath/index.js';
import { charge } from './charge.js';
import type { Gen } from './backing.js';
import type { Host } from './host.js';
import { hostPcp, pcpAlloc } from './pcp.js';

interface CachedFolio {
  pfn: number;
  /** PG_referenced: read again since reclaim last looked at it. */
  referenced: boolean;
}

export interface PageCacheLoadOptions {
  /** Probability that a folio is read again before reclaim reaches it (0..1). */
  rereadFraction: number;
  /** kswapd wakes below this many free pages (the zone's low watermark). */
  lowWatermarkPages: number;
  /** and reclaims until this many pages are free (the high watermark). */
  highWatermarkPages: number;
}

/** One host's background page cache: its LRU (oldest first) and the stream deciding re-reads. */
export class PageCacheLoad {
  readonly lru = new Fifo<CachedFolio>();
  constructor(
    readonly host: Host,
    readonly rng: RngStream,
    readonly opts: PageCacheLoadOptions,
  ) {
    if (!(opts.rereadFraction >= 0 && opts.rereadFraction <= 1)) throw new RangeError(`rereadFraction must be within 0..1, got ${opts.rereadFraction}`);
    if (!(opts.lowWatermarkPages >= 0 && opts.highWatermarkPages >= opts.lowWatermarkPages)) throw new RangeError('watermarks: need 0 <= low <= high');
  }

  get pages(): number {
    return this.lru.length;
  }
}

/**
 * page_cache_ra_unbounded -> filemap_alloc_folio(GFP_HIGHUSER_MOVABLE, 0) + filemap_add_folio,
 * `npages` times: order-0 movable folios onto the LRU. kswapd is woken first when free memory is
 * below the low watermark (wakeup_kswapd; here it runs inline). Charges host.alloc_page_ns per
 * folio; leaves out readahead windows and large folios, the xarray, and the I/O.
 * Returns the folios added (fewer when the allocator fails).
 */
export function* page_cache_ra_unbounded(p: Process, pc: PageCacheLoad, npages: number): Gen<number> {
  const host = pc.host;
  let added = 0;
  for (let i = 0; i < npages; i++) {
    if (host.mem.freePagesCount() < pc.opts.lowWatermarkPages) yield* balance_pgdat(p, pc, pc.opts.highWatermarkPages);
    const pfn = host.mem.allocPages(0, MIGRATE_MOVABLE);
    if (pfn < 0) break;
    pc.lru.push({ pfn, referenced: pc.rng.uniform01Open() < pc.opts.rereadFraction });
    added++;
  }
  pcpAlloc(hostPcp(host), p, added);
  yield* charge(p, added * host.costs.ns('host.alloc_page_ns'));
  return added;
}

/**
 * kswapd's balance_pgdat (target: the high watermark) or direct reclaim's try_to_free_pages
 * (target: what an allocation about to be made needs) -> shrink_inactive_list on the page cache
 * until `targetFreePages` are free: oldest folio first; a referenced one gets a second chance (folio_check_references:
 * bit cleared, rotated to the young end), the others are freed. Charges host.free_page_ns per
 * folio freed; leaves out the active list, anon and slab reclaim, dirty writeback, compaction
 * (the model has none) and the tenants' memory (unevictable: restrictedmem marks its mapping so).
 * Returns the folios freed.
 */
export function* balance_pgdat(p: Process, pc: PageCacheLoad, targetFreePages: number): Gen<number> {
  const host = pc.host;
  let freed = 0;
  // Each folio is looked at most twice (once referenced, once not): bounded even if nothing frees.
  for (let budget = 2 * pc.lru.length; budget > 0 && host.mem.freePagesCount() < targetFreePages; budget--) {
    const f = pc.lru.shift();
    if (f === undefined) break;
    if (f.referenced) {
      f.referenced = false;
      pc.lru.push(f);
      continue;
    }
    host.mem.freePages(f.pfn, 0);
    freed++;
  }
  yield* charge(p, freed * host.costs.ns('host.free_page_ns'));
  return freed;
}

/**
 * __alloc_pages_slowpath -> __alloc_pages_direct_reclaim -> try_to_free_pages, before an
 * allocation of `npages`: when the host runs a page cache and free memory would drop below the
 * low watermark, reclaim it until the allocation fits above it. No page cache: nothing to do.
 * Leaves out direct compaction (THP defrag=madvise: none for these allocations) and OOM.
 */
export function* try_to_free_pages(p: Process, host: Host, npages: number): Gen<number> {
  const pc = host.pageCache;
  if (pc === null) return 0;
  const target = npages + pc.opts.lowWatermarkPages;
  if (host.mem.freePagesCount() >= target) return 0;
  return yield* balance_pgdat(p, pc, target);
}
