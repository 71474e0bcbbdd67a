// The CPU's batch of folios on their way to the LRU (mm/swap.c, 6.18: cpu_fbatches.lru_add).
// A folio added to the page cache (filemap_add_folio / shmem_add_to_page_cache, then
// folio_add_lru) is not put on its lruvec's list at once: folio_batch_add_and_move keeps it in
// the CPU's folio_batch and moves the batch (folio_batch_move_lru: lruvec lock, one
// lruvec_add_folio per folio, the batch's references dropped) when it is full (PAGEVEC_SIZE, 31
// folios) or a large folio comes. Whatever is left there is moved by the next lru_add_drain()
// on that CPU, and a hole punch calls one as soon as it removes a folio
// (truncate_inode_pages_range / shmem_undo_range -> folio_batch_release ->
// __folio_batch_release, once per call: percpu_pvec_drained). So a punch of a range populated
// right before moves the range's last (pages mod 31) folios to the LRU first and then takes them
// off again; a punch of a file populated long before finds the batch empty or holding someone
// else's few folios. On the AMD EPYC host of this machine kind the probe's pair
// (bench/kernel-probe/README.md, "What the lru rows show") reads ~90 ns per folio moved and
// ~150-250 ns once per nonempty drain: 1.5-1.8 us of a 64 KiB punch right after its
// fallocate (17 folios pending), which a sequence's punch of a file populated earlier does not pay.
//
// The model keeps, per process (the engine has no CPU ids: pcp.ts makes the same
// approximation), the count of folios in the batch: folio_add_lru adds small folios (moving the
// batch at `host.lru_add_batch`, a large folio moving it at once), lru_add_drain returns the cost
// of moving what is left, `host.lru_add_drain_ns` + `host.lru_add_folio_ns` per folio, and
// empties it. The moves inside folio_add_lru are not charged apart: they are in the fallocate and
// fault rows the allocation costs are fitted from (every 31st folio moves 31, so per page). All
// 0 in the shipped profile (its host was not measured so); with both costs 0 nothing is tracked.
//
// Leaves out the other batches lru_add_drain empties (lru_deactivate*, lru_lazyfree,
// activate, mlock: empty on these paths), lru_add_drain_all from other CPUs, folios added by
// tasks the model does not run (the background page cache, page-cache-load.ts) and a task moving
// between CPUs with its batch left behind.
import type { Process } from '../engine/index.js';
import type { Host } from './host.js';

/** A host's lru_add batches; a file resolves it once, so a fault's folio_add_lru looks nothing up. */
export interface HostLru {
  /** Whether a drain costs anything (else nothing is tracked). */
  on: boolean;
  batch: number;
  drainNs: number;
  folioNs: number;
  /** Folios pending in each process's (CPU's) batch. */
  pending: WeakMap<Process, number>;
}

const byHost = new WeakMap<Host, HostLru>();

/** The host's batches (made on first use); page caches keep the result for folio_add_lru. */
export function hostLru(host: Host): HostLru {
  let h = byHost.get(host);
  if (h === undefined) {
    const c = host.costs;
    const drainNs = c.ns('host.lru_add_drain_ns');
    const folioNs = c.ns('host.lru_add_folio_ns');
    h = { on: drainNs > 0 || folioNs > 0, batch: Math.max(1, c.ns('host.lru_add_batch')), drainNs, folioNs, pending: new WeakMap() };
    byHost.set(host, h);
  }
  return h;
}

/**
 * folio_add_lru for `small` order-0 folios and `large` large ones that `p` added to a page
 * cache (`h`: hostLru of its host, resolved when the file was made: this runs on every
 * first-touch fault, where a WeakMap probe per call showed): the small ones fill the batch, moved whenever it is full; a large folio moves it at
 * once (folio_batch_add_and_move), so the count restarts after the last one (the small folios of
 * a call that also added a large one are counted after it).
 */
export function folio_add_lru(h: HostLru, p: Process, small: number, large = 0): void {
  if (!h.on || small + large <= 0) return;
  const before = large > 0 ? 0 : (h.pending.get(p) ?? 0);
  h.pending.set(p, (before + small) % h.batch);
}

/**
 * lru_add_drain on `p`'s CPU, as the first folio_batch_release of a punch that removed folios
 * calls it: the ns of moving the batch's pending folios to the LRU (`host.lru_add_drain_ns` +
 * `host.lru_add_folio_ns` each; 0 when none), after which the batch is empty.
 */
export function lru_add_drain(host: Host, p: Process): number {
  const h = hostLru(host);
  if (!h.on) return 0;
  const n = h.pending.get(p) ?? 0;
  if (n === 0) return 0;
  h.pending.set(p, 0);
  return h.drainNs + n * h.folioNs;
}
