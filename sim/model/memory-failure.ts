// mm/memory-failure.c for a page of a private backing: memory_failure splits a THP first
// (try_to_split_thp_page), then me_pagecache_clean calls the mapping's hook: v10's
// restrictedmem_error_page (file lookup per the errorLookup strategy, then the VM is shut down)
// or guest_memfd's kvm_gmem_error_folio (zap, poison, EHWPOISON on the next access).
import type { Process } from '../engine/index.js';
import { FOLIO_HWPOISON } from '../fastpath/index.js';
import type { Host } from './host.js';
import { charge } from './charge.js';
import type { Gen, PrivateBacking } from './backing.js';
import { folioPutNs } from './folio.js';

export interface MemoryFailureResult {
  /** MF_RECOVERED, MF_DELAYED, MF_IGNORED (a huge folio that could not be split), CRASH (v10 as posted), or NOT_CACHED (no folio at that index). */
  result: string;
  split: boolean;
}

/**
 * memory_failure(pfn) for the page at `index` of `backing` (the model finds the pfn from the
 * cache; the kernel goes pfn -> page -> mapping): try_to_split_thp_page (fails on extra
 * references: then MF_IGNORED and no hook, as 6.1's MF_MSG_UNSPLIT_THP), mark HWPoison,
 * me_pagecache_clean -> the mapping's error hook. So the hook only ever sees an order-0 page, and
 * v10's restrictedmem_error_page range `page->index .. + thp_nr_pages(page)` is one page: the
 * index the model passes. Cost mf.memory_failure_ns (+ split, + hook). Leaves out the rmap
 * unmapping of user mappings (none), soft-offline, and the PG_hwpoison/has_hwpoisoned flags of an
 * unsplit folio (restrictedmem_get_page does not test them, so a guest would map the poisoned
 * page again: page contents are not modeled).
 */
export function* memory_failure(p: Process, host: Host, backing: PrivateBacking, index: number): Gen<MemoryFailureResult> {
  yield* charge(p, host.costs.ns('mf.memory_failure_ns'));
  const head = backing.pages.lookup(index);
  if (head < 0) return { result: 'NOT_CACHED', split: false };
  const order = backing.pages.lookupOrder(index);
  const pfn = head + (index % 2 ** order);
  // get_hwpoison_page: our own reference, so a racing truncation cannot free the page under us.
  host.mem.folioGet(head);
  let held = head;
  let split = false;
  if (order > 0) {
    split = yield* try_to_split_thp_page(p, host, backing, index, head);
    if (!split) {
      // 6.1 memory_failure: try_to_split_thp_page < 0 -> action_result(MF_MSG_UNSPLIT_THP,
      // MF_IGNORED), -EBUSY: me_pagecache_clean and the mapping's hook never run.
      host.event(p, 'memory_failure', { file: backing.id, index, pfn, result: 'MF_IGNORED' });
      yield* charge(p, folioPutNs(host, head, p));
      return { result: 'MF_IGNORED', split };
    }
  }
  if (split && pfn !== head) {
    host.mem.folioGet(pfn);
    yield* charge(p, folioPutNs(host, head, p));
    held = pfn;
  }
  host.mem.folioSetFlags(held, FOLIO_HWPOISON);
  host.event(p, 'memory_failure', { file: backing.id, index, pfn });
  const result = yield* me_pagecache_clean(p, backing, pfn, index);
  yield* charge(p, folioPutNs(host, held, p));
  return { result, split };
}

/**
 * memory_failure(pfn) as the kernel is called: pfn -> page -> mapping. The model finds the
 * (backing, index) holding pfn by scanning the private backings' page caches (errors are rare;
 * O(pages cached)), then proceeds as memory_failure. NOT_CACHED when no private file holds it.
 */
export function* memory_failure_pfn(p: Process, host: Host, pfn: number): Gen<MemoryFailureResult> {
  for (const b of host.backings) {
    let hit = -1;
    b.pages.forEachInRange(0, 2 ** 32, (index, head, order) => {
      if (hit < 0 && pfn >= head && pfn < head + 2 ** order) hit = index + (pfn - head);
    });
    if (hit >= 0) return yield* memory_failure(p, host, b, hit);
  }
  yield* charge(p, host.costs.ns('mf.memory_failure_ns'));
  return { result: 'NOT_CACHED', split: false };
}

/** try_to_split_thp_page: split_huge_page when only the page cache holds the folio. Cost shmem.split_folio_ns. */
export function* try_to_split_thp_page(p: Process, host: Host, backing: PrivateBacking, index: number, head: number): Gen<boolean> {
  // the page cache's reference and memory_failure's own: anything more (a fault's) fails the split
  if (host.mem.folioRefcount(head) !== 2 || backing.pages.lookup(index) !== head) {
    host.metrics.thpSplit(false);
    return false;
  }
  host.mem.folioSplit(head);
  backing.pages.splitEntry(index);
  host.metrics.thpSplit(true);
  yield* charge(p, host.costs.ns('shmem.split_folio_ns'));
  return true;
}

/** me_pagecache_clean: the page stays in the cache (extra ref), the mapping's error hook runs. */
export function* me_pagecache_clean(p: Process, backing: PrivateBacking, pfn: number, index: number): Gen<string> {
  return yield* backing.errorFolio(p, pfn, index);
}
