// mm/truncate.c as the model needs it: removing a range of a mapping's folios (shared by shmem's
// shmem_undo_range and guest_memfd's truncate_inode_pages_range), with the partial-huge-folio
// rule of 6.1 (zero the punched part, then try a uniform split, which fails on extra references).
import type { Process } from '../engine/index.js';
import type { PageCache } from '../fastpath/index.js';
import type { CostName } from '../costs/index.js';
import type { Host } from './host.js';
import { folioPutNs } from './folio.js';
import { chargeWithCondResched } from './cond-resched.js';
import { charge } from './charge.js';
import { lru_add_drain } from './lru-add.js';
import { type Gen } from './backing.js';
import { PAGE_SIZE } from '../units.js';

/** Folio batch of 6.1's find_lock_entries loop (PAGEVEC_SIZE): the first batch is charged apart. */
export const FOLIO_BATCH = 15;

export interface TruncateCosts {
  /** Extra fixed cost once any folio is found. */
  firstBatch: CostName;
  /** Per order-0 folio removed (the free part is charged by folio_put). */
  perPage: CostName;
  /** Extra per folio in the first batch. */
  firstBatchExtra: CostName;
  /** Per xarray leaf node the removal empties (xa_nodes_emptied). */
  nodeFree: CostName;
}

/** Slots of one xarray node (XA_CHUNK_SIZE, CONFIG_BASE_SMALL=0): the page indices one leaf node holds. */
export const XA_CHUNK_SIZE = 64;

/**
 * How many xarray leaf nodes a removal of order-0 folios from [start, end) left empty, each freed
 * by page_cache_delete's xas_store(NULL) (lib/xarray.c, 6.18: update_node -> xas_delete_node ->
 * xa_node_free, the node going back to radix_tree_node_cachep after an RCU grace period):
 * `blocks` are the nodes (index / XA_CHUNK_SIZE) an order-0 folio was removed from, and a node
 * is empty when no entry is left at its indices (those outside the range are looked up; a node
 * wholly inside the range was emptied by the removal). Leaves out the nodes above the leaves
 * (freed when their last child goes, one per 4096 indices) and huge folios' multi-index entries.
 */
export function xa_nodes_emptied(pages: PageCache, blocks: Iterable<number>, start: number, end: number): number {
  let emptied = 0;
  for (const b of blocks) {
    const lo = b * XA_CHUNK_SIZE;
    const hi = lo + XA_CHUNK_SIZE;
    if (!anyEntry(pages, lo, Math.min(hi, start)) && !anyEntry(pages, Math.max(lo, end), hi)) emptied++;
  }
  return emptied;
}

function anyEntry(pages: PageCache, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (pages.lookup(i) >= 0) return true;
  return false;
}

export interface TruncateResult {
  pagesRemoved: number;
  foliosRemoved: number;
  splits: number;
  splitFailures: number;
  zeroedKeptPages: number;
}

/**
 * truncate_inode_pages_range / shmem_undo_range over [start, end) pages (6.1 order): every folio
 * wholly in range leaves the page cache and drops the cache's reference (freed at the last put:
 * an in-flight fault's reference defers the free to that fault), and that first pass is charged;
 * then each huge folio partly in range goes through truncate_inode_partial_folio under its folio
 * lock, and the pages a successful split freed in range are removed and charged (the second
 * pass). The cost of each pass is charged after the cache changed, so a fault running meanwhile
 * sees the hole (and may refill it). The cond_resched() after each folio batch can hand the CPU
 * to a task that became runnable meanwhile (cond-resched.ts), inside the caller's file-lock hold.
 * `coldPageNs` is charged per page removed on top when the caller found the range cold
 * (cold-range.ts: the struct pages and xarray nodes out of the caches), and `costs.nodeFree` per
 * xarray leaf node the first pass left empty (xa_nodes_emptied: counted only when that cost is
 * set, so a profile without it pays no lookups).
 * Leaves out the exceptional (swap/shadow) entries and the short folio-lock holds of whole folios
 * (find_lock_entries' trylock and pass 2's folio_lock: a fault's hold is instantaneous here).
 */
export function* truncate_inode_pages_range(p: Process, host: Host, backing: { pages: PageCache }, start: number, end: number, costs: TruncateCosts, coldPageNs = 0): Gen<TruncateResult> {
  const pages = backing.pages;
  const res: TruncateResult = { pagesRemoved: 0, foliosRemoved: 0, splits: 0, splitFailures: 0, zeroedKeptPages: 0 };
  if (end <= start) return res;
  const c = host.costs;
  const erased = pages.eraseRange(start, end);
  let ns = 0;
  let folios = 0;
  const nodeFreeNs = c.ns(costs.nodeFree);
  const blocks = new Set<number>();
  const removeWhole = (index: number, pfn: number, order: number): void => {
    if (nodeFreeNs > 0 && order === 0) blocks.add(Math.floor(index / XA_CHUNK_SIZE));
    host.safety.noteRemoved(backing, index, 2 ** order);
    ns += order === 0 ? c.ns(costs.perPage) : c.ns('shmem.truncate_huge_folio_ns');
    ns += coldPageNs * 2 ** order;
    if (folios < FOLIO_BATCH) ns += c.ns(costs.firstBatchExtra);
    folios++;
    res.foliosRemoved++;
    res.pagesRemoved += 2 ** order;
    ns += folioPutNs(host, pfn, p);
  };
  for (const w of erased.whole) removeWhole(w.index, w.pfn, w.order);
  if (blocks.size > 0) ns += nodeFreeNs * xa_nodes_emptied(pages, blocks, start, end);
  let charged = 0;
  if (erased.partial.length > 0) {
    // Pass 1 is spent before the partial folios are locked.
    yield* chargeWithCondResched(p, host, ns, Math.ceil(folios / FOLIO_BATCH));
    ns = 0;
    charged = folios;
  }
  for (const part of erased.partial) {
    const lo = Math.max(start, part.index);
    const hi = Math.min(end, part.index + 2 ** part.order);
    if (!(yield* truncate_inode_partial_folio(p, host, pages, part, lo, hi, res))) continue;
    const inner = pages.eraseRange(lo, hi);
    for (const w of inner.whole) removeWhole(w.index, w.pfn, w.order);
  }
  // folio_batch_release's first call drains the CPU's lru_add batch (lru-add.ts)
  if (folios > 0) ns += c.ns(costs.firstBatch) + lru_add_drain(host, p);
  yield* chargeWithCondResched(p, host, ns, Math.ceil((folios - charged) / FOLIO_BATCH));
  return res;
}

/**
 * truncate_inode_partial_folio (6.1 mm/truncate.c), reached from shmem_undo_range through
 * shmem_get_folio(SGP_READ), which returns the folio locked: under the folio lock (waiting for
 * it when held), zero the punched pages [lo, hi) (mm.clear_page_4k_ns each), then, when the
 * partial-punch policy splits, split_folio (shmem.split_folio_ns): it fails on any reference
 * beyond the cache's, which a fault that found the folio meanwhile holds while it sleeps on the
 * lock. The lock is held throughout (folio_lock.hold_ns; a fault on any page of the folio waits,
 * folio_lock.wait_ns), the split keeps the reference count frozen while it runs (a fault's lookup
 * spins meanwhile), and the lock is dropped when the split is done. Returns whether the folio split, so
 * that the pages in range can be removed. Leaves out writeback, private data, the
 * non-uniform split of 6.18 (try_folio_split) and a failed xarray node allocation.
 */
function* truncate_inode_partial_folio(p: Process, host: Host, pages: PageCache, part: { index: number; pfn: number; order: number }, lo: number, hi: number, res: TruncateResult): Gen<boolean> {
  const c = host.costs;
  yield* host.folioLocks.lock(p, part.pfn, 2 ** part.order);
  try {
    yield* charge(p, (hi - lo) * c.ns('mm.clear_page_4k_ns'));
    if (pages.lookup(part.index) !== part.pfn) return false; // gone meanwhile (the caller's file lock excludes it)
    if (!host.s.partialPunch.trySplit || host.mem.folioRefcount(part.pfn) !== 1) {
      if (host.s.partialPunch.trySplit) {
        res.splitFailures++;
        host.metrics.thpSplit(false);
      }
      res.zeroedKeptPages += hi - lo;
      host.metrics.unfreedZeroed((hi - lo) * PAGE_SIZE);
      return false;
    }
    const splitNs = Math.round(c.ns('shmem.split_folio_ns'));
    host.folioLocks.freeze(part.pfn, splitNs);
    host.mem.folioSplit(part.pfn);
    pages.splitEntry(part.index);
    res.splits++;
    host.metrics.thpSplit(true);
    yield* charge(p, splitNs);
    return true;
  } finally {
    host.folioLocks.unlock(p, part.pfn);
  }
}
