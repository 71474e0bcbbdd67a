// The per-CPU page lists (struct per_cpu_pages, mm/page_alloc.c of 6.7+ as on the 6.18 host):
// order-0 pages freed by a CPU go onto its list, and when the list reaches pcp->high,
// free_pcppages_bulk returns a batch to the buddy allocator under zone->lock. That bulk return
// is what makes every ~4th 2 MiB punch of a sequence slower (bench/kernel-probe/README.md): the
// batch is the count of consecutive frees, capped at batch << CONFIG_PCP_BATCH_SCALE_MAX
// (63 << 5 = 2016 pages, ~4 punches of 512 pages).
//
// Approximation: the engine has no CPU ids, so each process keeps its own lists, as a thread
// that stays on its CPU would (the probe's two punchers, one per CPU). Only the cost timing
// follows the lists: the fast-path buddy allocator takes the pages back at once.
import type { Process } from '../engine/index.js';
import type { Host } from './host.js';

/** One CPU's lists: the fields of struct per_cpu_pages the free and refill rules read. */
export interface PerCpuPages {
  count: number;
  high: number;
  /** Consecutive frees since the last allocation (pcp->free_count). */
  freeCount: number;
  /** Refill doubling since the last free (pcp->alloc_factor). */
  allocFactor: number;
}

/**
 * A host's lists by process, and the profile values the allocation path reads (fixed for the
 * host's life). Page caches keep theirs (hostPcp at creation), so a fault's pcpAlloc looks up
 * no host.
 */
export interface HostPcp {
  readonly lists: WeakMap<Process, PerCpuPages>;
  /**
   * The same lists by the process's entity slot (p.eid, fixed from its start to its end), valid
   * while `owners` names p: every first-touch fault looks its lists up, and a WeakMap's hash
   * probe there misses cache (the fault's WASM structures stream through it between faults).
   */
  readonly owners: Array<Process | undefined>;
  readonly byEid: PerCpuPages[];
  readonly batch: number;
  readonly highMax: number;
  /** CONFIG_PCP_BATCH_SCALE_MAX: log2(free_count_max / batch). */
  readonly scaleMax: number;
  /** A new list's count and high (an idle CPU's). */
  readonly startCount: number;
  readonly highMin: number;
}

const hosts = new WeakMap<Host, HostPcp>();

/** The host's lists (made on first use). */
export function hostPcp(host: Host): HostPcp {
  let h = hosts.get(host);
  if (h === undefined) {
    const c = host.costs;
    const batch = c.ns('host.pcp_batch');
    h = { lists: new WeakMap(), owners: [], byEid: [], batch, highMax: c.ns('host.pcp_high_max'), scaleMax: Math.round(Math.log2(c.ns('host.pcp_free_count_max') / batch)), startCount: c.ns('host.pcp_start_count'), highMin: c.ns('host.pcp_high_min') };
    hosts.set(host, h);
  }
  return h;
}

/** The lists of the CPU p runs on; a new one starts as an idle CPU's (profile's start count, high = high_min). */
export function pcpOf(host: Host, p: Process): PerCpuPages {
  return listsOf(hostPcp(host), p);
}

function listsOf(h: HostPcp, p: Process): PerCpuPages {
  const e = p.eid;
  if (e >= 0 && h.owners[e] === p) return h.byEid[e]!;
  let pcp = h.lists.get(p);
  if (pcp === undefined) {
    pcp = { count: h.startCount, high: h.highMin, freeCount: 0, allocFactor: 0 };
    h.lists.set(p, pcp);
  }
  if (e >= 0) {
    h.owners[e] = p;
    h.byEid[e] = pcp;
  }
  return pcp;
}

/**
 * free_unref_page_commit for `pages` order-0 pages freed one by one by p: each goes on the list
 * (pcp->count++, free_count++ up to batch << CONFIG_PCP_BATCH_SCALE_MAX); at pcp->high
 * (nr_pcp_high: raised to free_count + batch if lower), free_pcppages_bulk frees
 * nr_pcp_free = clamp(free_count, batch, high - batch) pages. Returns the bulk-free cost
 * (host.pcp_bulk_free_page_ns per page; the list add itself is host.free_page_ns, charged by the
 * caller). Leaves out ZONE_BELOW_HIGH / ZONE_RECLAIM_ACTIVE (a host well above its watermarks),
 * high-order frees (THP folios go through host.free_huge_ns) and the decay by vmstat_update.
 */
export function free_unref_page_commit(host: Host, p: Process, pages: number): number {
  if (pages <= 0) return 0;
  const c = host.costs;
  const batch = c.ns('host.pcp_batch');
  const highMax = c.ns('host.pcp_high_max');
  const freeMax = c.ns('host.pcp_free_count_max');
  const pcp = pcpOf(host, p);
  pcp.allocFactor = pages >= 8 ? 0 : pcp.allocFactor >> pages;
  let bulk = 0;
  let left = pages;
  while (left > 0) {
    // Pages until the next drain, taken in one step (same state as one at a time).
    const step = Math.min(left, Math.max(1, pcp.high - pcp.count));
    pcp.count += step;
    pcp.freeCount = Math.min(freeMax, pcp.freeCount + step);
    left -= step;
    if (pcp.count >= pcp.high) {
      const need = pcp.freeCount + batch;
      if (pcp.high < need) pcp.high = Math.min(need, highMax);
      if (pcp.count < pcp.high) continue;
      const nr = Math.max(batch, Math.min(pcp.freeCount, pcp.high - batch));
      pcp.count -= nr;
      bulk += nr;
    }
  }
  return bulk * c.ns('host.pcp_bulk_free_page_ns');
}

/**
 * __rmqueue_pcplist for `pages` order-0 allocations by p: each halves free_count and takes a
 * page off the list; an empty list is refilled with nr_pcp_alloc pages (base batch doubled per
 * consecutive refill up to CONFIG_PCP_BATCH_SCALE_MAX), and each refill raises pcp->high by the
 * refill batch up to high_max, so a CPU that has just allocated N pages can take N frees before
 * it drains. No cost: the refill (rmqueue_bulk) is part of host.alloc_page_ns. `h` is
 * hostPcp of the allocating host.
 */
export function pcpAlloc(h: HostPcp, p: Process, pages: number): void {
  if (pages <= 0) return;
  const base = h.batch;
  const highMax = h.highMax;
  const scaleMax = h.scaleMax;
  const pcp = listsOf(h, p);
  // free_count >>= 1 per allocation: after more than 16 it is 0 (a short field).
  pcp.freeCount = pages >= 16 ? 0 : pcp.freeCount >> pages;
  let left = pages;
  while (left > 0) {
    if (pcp.count === 0) {
      let nr = base * 2 ** pcp.allocFactor;
      pcp.high = Math.min(pcp.high + nr, highMax);
      const maxNr = Math.max(pcp.high - pcp.count - base, base);
      if (nr <= maxNr && pcp.allocFactor < scaleMax) pcp.allocFactor++;
      nr = Math.min(nr, maxNr);
      pcp.count += nr;
    }
    const take = Math.min(left, pcp.count);
    pcp.count -= take;
    left -= take;
  }
}
