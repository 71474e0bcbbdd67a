// Constants and small pure rules of the buddy allocator shared by every implementation.
import { UsageError } from '../errors.js';

/** Largest buddy order (MAX_ORDER - 1 in 6.1's numbering): 4 MiB blocks. */
export const MAX_ORDER = 10;
/** pageblock_order on x86-64 with THP: 2 MiB pageblocks. */
export const PAGEBLOCK_ORDER = 9;
/** pfns are 28-bit in the packed WASM records: a host of at most 1 TiB. */
export const MAX_HOST_PAGES = 2 ** 28;

export function checkHostPages(totalPages: number): void {
  if (!Number.isInteger(totalPages) || totalPages <= 0 || totalPages % (1 << MAX_ORDER) !== 0 || totalPages > MAX_HOST_PAGES) {
    throw new UsageError(`host pages must be a positive multiple of ${1 << MAX_ORDER} (4 MiB) up to ${MAX_HOST_PAGES} (1 TiB), got ${totalPages}`);
  }
}

/**
 * mm/vmstat.c unusable_free_index: thousandths of free memory that cannot serve an allocation
 * of `order` (integer division as the kernel does), returned as a fraction 0..1.
 */
export function unusableFreeIndex(freeBlocks: readonly number[], order: number): number {
  let freePages = 0;
  let suitable = 0;
  for (let o = 0; o < freeBlocks.length; o++) {
    freePages += freeBlocks[o]! * 2 ** o;
    if (o >= order) suitable += freeBlocks[o]! * 2 ** (o - order);
  }
  if (freePages === 0) return 1;
  return Math.floor(((freePages - suitable * 2 ** order) * 1000) / freePages) / 1000;
}
