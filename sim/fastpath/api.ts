// The fast-path structures as the model sees them. Three implementations stand behind
// these interfaces: the WASM one (used by the model), a typed-array TypeScript one (the
// benchmark's comparison) and a plain Map reference (what property tests hold the others to).
// All indices are integers: pfn = host page frame (4 KiB), gfn = guest frame, index = file page offset.

/** Page orders the model uses: 0 = 4 KiB, 9 = 2 MiB, 18 = 1 GiB. */
export type Order = number;

export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export type MigrateType = typeof MIGRATE_UNMOVABLE | typeof MIGRATE_MOVABLE;

export const FOLIO_UPTODATE = 1;
export const FOLIO_UNEVICTABLE = 2;
export const FOLIO_HWPOISON = 4;
export const FOLIO_MAPPED = 8;

/** mm/page_alloc.c buddy allocator plus the folio table, one per host. */
export interface HostMemory {
  readonly totalPages: number;
  /** __alloc_pages: returns the head pfn or -1 when no block of that order can be had. */
  allocPages(order: Order, migratetype: MigrateType): number;
  /** __free_pages: frees a block allocated at that order (buddies merge). */
  freePages(pfn: number, order: Order): void;
  freePagesCount(): number;
  /** Free blocks per order 0..MAX_ORDER (10). */
  freeBlocksPerOrder(): number[];
  /** Unusable free space index for the given order (mm/vmstat.c unusable_free_index), 0..1. */
  unusableIndex(order: Order): number;
  // folio table, indexed by head pfn
  folioOrder(pfn: number): Order;
  folioRefcount(pfn: number): number;
  folioGet(pfn: number): number;       // returns new refcount
  folioPut(pfn: number): number;       // returns new refcount (caller frees at 0)
  folioFlags(pfn: number): number;
  folioSetFlags(pfn: number, flags: number): void;
  folioClearFlags(pfn: number, flags: number): void;
  /** Split a folio of order > 0 into order-0 folios (split_huge_page_to_list_to_order). */
  folioSplit(pfn: number): void;
  reset(): void;
}

/** Result of a range erase on the page cache (shmem_undo_range's view). */
export interface EraseResult {
  /** Head pfns and orders of folios wholly inside the range, removed from the cache. */
  whole: Array<{ index: number; pfn: number; order: Order }>;
  /** Huge folios only partly inside the range: left in place for the caller to zero or split. */
  partial: Array<{ index: number; pfn: number; order: Order }>;
}

/** One shmem mapping's xarray (mapping->i_pages): page index -> folio, multi-order entries. */
export interface PageCache {
  /** filemap_get_entry: head pfn covering index, or -1. */
  lookup(index: number): number;
  /** Order of the folio covering index, or -1. */
  lookupOrder(index: number): Order;
  /** Store a folio of `order` at `index` (aligned); false if any slot is occupied. */
  insert(index: number, pfn: number, order: Order): boolean;
  /** xa_find over the 512-index block containing index: is any entry present? */
  anyInBlock(index: number): boolean;
  eraseRange(start: number, end: number): EraseResult;
  /** Visit entries with first index in [start, end) in ascending order. */
  forEachInRange(start: number, end: number, fn: (index: number, pfn: number, order: Order) => void): void;
  /** Replace the huge entry covering index by 2^order order-0 entries (pfn, pfn+1, ...). */
  splitEntry(index: number): void;
  readonly nrPages: number;
  reset(): void;
}

export interface ZapResult {
  /** Leaves zapped per level: [4K, 2M, 1G]. */
  leaves: [number, number, number];
  tablesFreed: number;
}

/** KVM's secondary page table for one VM (EPT/NPT under tdp; the shadow PTEs under shadow). */
export interface PageTable {
  /** Install a leaf: level 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB; gfn and pfn aligned to the level. */
  map(gfn: number, pfn: number, level: number): void;
  /** pfn the leaf covering gfn maps gfn to, or -1. */
  walk(gfn: number): number;
  /** Level of the leaf covering gfn, or 0. */
  walkLevel(gfn: number): number;
  zapRange(gfnStart: number, gfnEnd: number): ZapResult;
  mappingsPerLevel(): [number, number, number];
  reset(): void;
}
