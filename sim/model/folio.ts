// Folio references on the host's folio table: the page cache holds one, a fault's get_page holds
// one until KVM has mapped, and the last folio_put frees the block to the buddy allocator.
import type { Process } from '../engine/index.js';
import type { Host } from './host.js';
import { free_unref_page_commit } from './pcp.js';
import { PAGE_SIZE } from '../units.js';

/**
 * folio_put: drop one reference; at zero free the block (__folio_put -> free_unref_page / free
 * of a compound page). Returns the cost to charge (0 when the folio lives on): an order-0 page
 * goes on p's per-CPU list (pcp.ts, which may drain a batch to the buddy). Leaves out LRU and
 * memcg uncharge (part of the truncate costs).
 */
export function folioPutNs(host: Host, pfn: number, p: Process): number {
  if (host.mem.folioPut(pfn) > 0) return 0;
  const order = host.mem.folioOrder(pfn);
  host.mem.freePages(pfn, order);
  host.metrics.freed(PAGE_SIZE * 2 ** order);
  return order === 0 ? host.costs.ns('host.free_page_ns') + free_unref_page_commit(host, p, 1) : host.costs.ns('host.free_huge_ns');
}
