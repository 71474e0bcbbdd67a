// Changes since the contract commit (fast-path helper): page-cache and page-table orders are
// 0, 9 and 18 only (x86 shmem in 6.1 is PMD-only; 18 is for 1 GiB variants); zapRange takes an
// optional freeTables flag; HostMemory gains pageblockMigratetype; allocation orders are
// 0..MAX_ORDER (10); freeBlocksPerOrder takes an optional migratetype; map replaces what
// covered the gfn; dispose() returns a WASM instance to a pool; shmem_get_folio, the batched
// entry points and the timed fault burst are in
// FastPaths below (create one with createFastPaths from ./index.ts).
//
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
  /**
   * free_contig_range: __free_page of each of nrPages order-0 pages from pfn, in ascending order
   * (batched: one call for a range). Throws, having freed nothing, if one is not an allocated
   * order-0 page.
   */
  freeContigRange(pfn: number, nrPages: number): void;
  freePagesCount(): number;
  /** Free blocks per order 0..MAX_ORDER (10), of one free-list migratetype or of both. */
  freeBlocksPerOrder(migratetype?: MigrateType): number[];
  /** Migratetype of the pageblock (order 9) containing pfn (get_pageblock_migratetype). */
  pageblockMigratetype(pfn: number): MigrateType;
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
  /**
   * Install a leaf: level 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB; gfn and pfn aligned to the level.
   * Whatever covered the gfn before is dropped whole: a huge leaf above it, or the table (and
   * all its leaves) below a new huge leaf (kvm_tdp_mmu_map replacing a non-leaf/huge SPTE).
   */
  map(gfn: number, pfn: number, level: number): void;
  /** pfn the leaf covering gfn maps gfn to, or -1. */
  walk(gfn: number): number;
  /** Level of the leaf covering gfn, or 0. */
  walkLevel(gfn: number): number;
  /**
   * Zap every leaf that intersects [gfnStart, gfnEnd) (a huge leaf partly inside goes whole, as
   * KVM does). freeTables=false is kvm_unmap_gfn_range -> tdp_mmu_zap_leafs (tables stay);
   * freeTables=true also frees the tables lying wholly inside the range (tdp_mmu_zap_root shape).
   */
  zapRange(gfnStart: number, gfnEnd: number, freeTables?: boolean): ZapResult;
  mappingsPerLevel(): [number, number, number];
  reset(): void;
}

import type { RngStream } from '../engine/index.js';

export const THP_NEVER = 0;
export const THP_ALWAYS = 1;
export const THP_WITHIN_SIZE = 2;
/** shmem_enabled values that matter for a VMA-less restricted file (advise never gives THP). */
export type ThpPolicy = 'never' | 'always' | 'within_size' | 'advise';

export interface ShmemArgs {
  policy: ThpPolicy;
  /** i_size in pages (within_size compares the rounded-up index with it). */
  iSizePages: number;
  /** Default MIGRATE_UNMOVABLE: restrictedmem clears __GFP_MOVABLE from the mapping's gfp. */
  migratetype?: MigrateType;
}

/** Why a huge folio was not used on a miss. */
export const FALLBACK_NONE = 0;
/** shmem_alloc_hugefolio's xa_find found an entry in the 512-index block. */
export const FALLBACK_OCCUPIED = 1;
/** The order-9 allocation failed (THP_FILE_FALLBACK). */
export const FALLBACK_NOMEM = 2;

export interface GetFolioResult {
  /** Head pfn of the folio now at index, or -1 (ENOMEM: not even an order-0 page). */
  pfn: number;
  order: Order;
  /** true when found in the page cache (no allocation). */
  hit: boolean;
  fallback: number;
}

/** Totals of a batched run of shmem_get_folio calls (also the fault batch's shmem part). */
export interface ShmemBatchStats {
  hits: number;
  alloc4k: number;
  allocHuge: number;
  fallbackOccupied: number;
  fallbackNoMem: number;
  /** Indices for which no page could be had; the batch stops at the first. */
  enomem: number;
}

export interface FaultBatchStats extends ShmemBatchStats {
  /** gfns found already mapped (no fault taken). */
  alreadyMapped: number;
  faults: number;
  mapped: [number, number, number];
}

export interface PunchStats {
  foliosFreed: number;
  pagesFreed: number;
  /** Whole folios removed from the cache whose refcount stayed above zero (freed later). */
  foliosStillReferenced: number;
  splits: number;
  /** Partial huge folios that could not be split (extra references): zeroed only. */
  splitFailures: number;
}

// ---- the timed fault burst (wasm/burst.ts; burst-ops.ts over these interfaces) ----

/** ns of a page-cache hit, a 4 KiB allocation, a huge allocation, and of installing the map. */
export interface FaultCosts { hitNs: number; alloc4kNs: number; allocHugeNs: number; mapNs: number }

export interface BurstArgs extends ShmemArgs {
  maxLevel: number;
  nowNs: number;
  /** Time of the next pending engine event: no fault starts at or after it. */
  horizonNs: number;
  /** Mean of the exponential think time after each fault (0: none). */
  thinkMeanNs: number;
  costs: FaultCosts;
}

export interface BurstResult {
  faults: number; alreadyMapped: number; hits: number; alloc4k: number; allocHuge: number; enomem: number;
  mapped: [number, number, number];
  /** true when the burst stopped at the horizon rather than at the end of the run. */
  stoppedAtHorizon: boolean;
  /** When the next fault would start (the actor sleeps until then), or when the last ended. */
  nextStartNs: number;
  /** First gfn not yet handled. */
  resumeGfn: number;
}

/** One host's fast paths: allocator + folio table, and the page caches / page tables on it. */
export interface FastPaths {
  readonly impl: 'wasm' | 'ts' | 'ref';
  readonly host: HostMemory;
  newPageCache(): PageCache;
  newPageTable(): PageTable;
  /**
   * shmem_get_folio(SGP_WRITE) without the caller's extra reference (see shmem-get-folio.ts).
   * With `out`, fills and returns it (a caller on the per-fault path reuses one object).
   */
  shmemGetFolio(cache: PageCache, index: number, args: ShmemArgs, out?: GetFolioResult): GetFolioResult;
  /**
   * shmemGetFolio for a first-touch fault (SGP_WRITE): a folio it allocates comes back holding
   * the caller's reference as well (folio_get); a hit takes none (the caller tests the folio lock
   * first). One boundary crossing where shmemGetFolio + folioGet made three.
   */
  shmemGetFolioWrite(cache: PageCache, index: number, args: ShmemArgs, out: GetFolioResult): GetFolioResult;
  /**
   * A fault's map then its folio_put: pt.map(gfn, pfn, level), then one reference on `folio`
   * dropped unless it is the last. True when dropped; false when left to the caller (whose
   * folio_put then frees the folio).
   */
  mapAndPut(pt: PageTable, gfn: number, pfn: number, level: number, folio: number): boolean;
  /** shmem_fallocate's loop: shmem_get_folio for [start, end), advancing by folio size. */
  shmemGetFolioRange(cache: PageCache, start: number, end: number, args: ShmemArgs): ShmemBatchStats;
  /**
   * A vCPU's run of first-touch faults on gfns [gfnStart, gfnStart+count) backed by file indices
   * from indexStart: skip mapped gfns, shmem_get_folio, map at min(folio level, maxLevel) when gfn
   * and index agree modulo the huge size (kvm_mmu_hugepage_adjust), else 4 KiB.
   */
  faultRange(pt: PageTable, cache: PageCache, gfnStart: number, indexStart: number, count: number,
    args: ShmemArgs & { maxLevel: number }): FaultBatchStats;
  /**
   * shmem_undo_range for [start, end): whole folios leave the cache and drop its reference (freed
   * at zero); partial huge folios are split when only the cache holds them, then their pages in
   * range are removed; else left whole (zeroed only).
   */
  punchRange(cache: PageCache, start: number, end: number): PunchStats;
  /**
   * A vCPU's run of first-touch faults as one burst with simulated time (wasm/burst.ts): per-path
   * costs, latencies recorded into `hist` (engine bucket index -> count), think times drawn
   * from `rng` (advanced in place); stops before a fault starting at or after args.horizonNs.
   */
  faultBurst(pt: PageTable, cache: PageCache, gfnStart: number, indexStart: number, count: number,
    args: BurstArgs, rng: RngStream, hist: Map<number, number>): BurstResult;
  /**
   * A VM's first-touch faults under one scheduler inside the fast paths, for nv vCPUs
   * (wasm/fault-batch.ts), or undefined where the implementation has none (ts, ref): the caller
   * (sim/actors/fault-batch.ts) then leaves every fault to the model.
   */
  newFaultBatch?(nv: number): FaultBatchArea;
  /** Reset every structure of this instance (host, caches, tables) to its initial state. */
  resetAll(): void;
  /** Bytes of memory the structures use now (WASM: linear memory in use; others: estimate). */
  bytesInUse(): number;
  /**
   * Done with this instance: the WASM memory goes back to a pool that the next createFastPaths
   * reuses (instances are capped; runs in a loop should dispose). No method may be called after.
   */
  dispose(): void;
}

/**
 * The fault batch's memory, as sim/actors/fault-batch.ts drives it: header slots (FB.*), the
 * histograms, the mmu_lock queue-length points and the ring of the last maps, read through
 * views renewed whenever the memory grew. Slot numbers are wasm/fault-batch.ts's.
 */
export interface FaultBatchArea {
  /** The header's f64 slots (FB.*); a fresh view after every call that may grow memory. */
  header(): Float64Array;
  /** VM i's slots (FB_M.*): its page table, who wrote its file's line last, who allocated last. */
  vm(i: number): Float64Array;
  /** VM i's page table, which its vCPUs' faults map into. */
  setPageTable(i: number, pt: PageTable): void;
  /** shmem_enabled for the lookups' allocations. */
  setPolicy(policy: ThpPolicy): void;
  /**
   * vCPU v of VM vm joins at the start of a fault (see wasm/fault-batch.ts fbJoin): a huge folio
   * maps at 2 MiB where its block lies in [hugeFirst, hugeEnd) (the caller's disallow_lpage);
   * inOrder false: the fault began at `now` and waits in its exit charge, keyed `key` by the engine.
   */
  join(v: number, vm: number, gfn: number, left: number, gfnBase: number, indexBase: number, cache: PageCache, now: number, key: number,
    hugeFirst: number, hugeEnd: number, inOrder?: boolean, sharedStart?: number, sharedEnd?: number): void;
  /** Run the owned waits (the header's limit and horizon set first). */
  run(): void;
  /** Waits owned, the earliest one's time and key into FB.TOP_T and FB.TOP_K (+Infinity when none): one call. */
  top(): number;
  /** Histogram i (FB_HIST.*): FB_BUCKETS counts, then sum, min, max, lowest and highest bucket touched. */
  histogram(i: number): Float64Array;
  clearHistogram(i: number): void;
  /** The queue-length points (time, length) since they were last taken. */
  gaugePoints(): Float64Array;
  /** The ring of the last maps (time, vCPU), FB_TRAIL_CAP pairs. */
  trail(): Float64Array;
  /**
   * The j-th of the FB.DIRTY_N vCPUs whose counts moved since the last fold: its counts
   * (FB_V.STARTED..SMALL_AFTER_HUGE) copied to FB.COUNTS.. and zeroed. The caller zeroes FB.DIRTY_N.
   */
  takeDirty(j: number): number;
  /**
   * The host's CPUs (engine/cpus.ts) from now on in the batch: `free` of them free, nobody
   * queued, every vCPU outside the batch (the engine runs it until it joins) and off CPU.
   */
  setCpus(free: number): void;
  /** vCPU v (outside) holds a CPU, or waits in the run queue since queuedSince (the engine's queue, in order; -1: neither). */
  setCpu(v: number, onCpu: boolean, queuedSince: number): void;
  /** vCPU v (outside) wants a CPU at t: true when it got one, false when it waits in the run queue. */
  take(v: number, t: number): boolean;
  /**
   * vCPU v (outside) gives its CPU up at t, `key` the engine's next: -1 (the CPU is free), -2 (a
   * vCPU in the batch got it and took the key), or the vCPU outside the batch that got it.
   */
  release(v: number, t: number, key: number): number;
  /** Nobody waits in the run queue. */
  idleQueue(): boolean;
  /**
   * Where vCPU v is (wasm/fault-batch.ts fbState): -1 outside; 1 in its exit charge, holding
   * nothing (FB.OUT_T: its end); 2 at a scheduling point; 0 in a fault past its exit.
   */
  state(v: number): -1 | 0 | 1 | 2;
  /**
   * vCPU v leaves the batch (fbLeave): handed over in its exit charge (FB.OUT_T, OUT_K, OUT_GFN
   * and OUT_T0 say where the engine resumes its fault), or it finishes its access in the batch
   * and leaves at its scheduling point.
   */
  leave(v: number, handOver: boolean): void;
  /** vCPU v is outside the batch (the engine runs it). */
  outside(v: number): boolean;
}

/** Header slots of a fault batch (wasm/fault-batch.ts FB_*). */
export const enum FB {
  POLICY = 2, ISIZE = 3, MT = 4, EXIT_NS = 5, ATTR_NS = 6, BASE_NS = 7, ALLOC_NS = 8, END_NS = 9,
  MAP_NS = 10, GRANT_NS = 11, WRITE = 12, SEQ = 13, LIMIT_T = 14, HORIZON_T = 15, HORIZON_K = 16,
  LAST_T = 17, EVENTS = 18, STATUS = 19, OUT_V = 20, OUT_T = 21, OUT_K = 22, OUT_GFN = 23, OUT_T0 = 24, TOP_T = 25, TOP_K = 26,
  SRCU_ACQ = 28, MMU_ACQ = 29, MMU_CONTENDED = 30, RQ_ZERO = 31, FAULTS = 32, MAPPED_ACCESSES = 33,
  LOCK_WAIT = 34, MISSES = 35, GAUGE_N = 36, TRAIL_N = 37, CPU_FREE = 52, RQ_LEN = 54, DIRTY_N = 55, COUNTS = 56,
  LINE_NS = 39, MISS_CLEAR_NS = 40, HIT_CLEAR_NS = 41, HUGE_NS = 44, MAX_LEVEL = 45,
  FALLBACK_OCCUPIED = 46, FALLBACK_NOMEM = 47, FAULTS_2M = 48, MISSES_HUGE = 49,
  CONV = 64, CONV_FIXED_NS = 65, CONV_GFN_NS = 66, CONV_ZAP_NS = 67, EXITS = 68, RETRIES = 69, KVM_ACQ = 70,
  MAX_RETRIES = 71, OUT_RETRIES = 72, PRECHECK = 73,
  /** FB.STATUS: stopped at the engine's turn, the limit, or with nothing owned. */
  DONE = 0,
  /** FB.STATUS: vCPU OUT_V's last sleep ends at (OUT_T, OUT_K): the engine ends it. */
  ENDED = 1,
  /** FB.STATUS: the queue-length points need folding before it goes on. */
  GAUGE_FULL = 2,
  /** FB.STATUS: vCPU OUT_V, outside the batch, got a CPU at (OUT_T, OUT_K): the engine runs it. */
  WAKE = 3,
  /** FB.STATUS: vCPU OUT_V of a leaving VM began a refault or a retry: leave(OUT_V, true) hands it over in that exit charge. */
  HANDOUT = 4,
  BUCKETS = 6016, GAUGE_CAP = 1024, TRAIL_CAP = 256,
}

/** Histograms of a fault batch (wasm/fault-batch.ts FB_HIST_*). */
export const enum FB_HIST { SRCU_HOLD = 0, MMU_WAIT = 1, MMU_HOLD = 2, LATENCY = 3, RQ = 4 }

/** Per-VM slots of a fault batch (wasm/fault-batch.ts FB_M_*). */
export const enum FB_M { PT = 5, LINE_OWNER = 6, LAST_MISS = 7, DEADLINE = 8, SEQ = 9, INPROG = 10, RSTART = 11, REND = 12, SOLO = 13, STATE_MOVED = 14 }

/** Per-vCPU counts of a fault batch (wasm/fault-batch.ts FB_V_*). */
export const enum FB_V { STARTED = 13, COMPLETED = 14, MISSES = 15, MISSES_HUGE = 16, SMALL_AFTER_HUGE = 17 }
