// Entry point of the WebAssembly fast paths (DESIGN.md principle 6). One instance (one linear
// memory) holds a host's allocator and folio table and any number of page caches and page
// tables (handles). Keys and pfns cross as i32 (read back with >>> 0); ranges and sizes that
// can reach 2^32 cross as f64. Batched calls leave their results in OUT (out_ptr()).
import { layoutInit, layoutReset, OUT, OUT_BYTES, BUMP_START, bump, bumpAlloc, chunksInUse } from './mem';
import { handlesReset, handleNew, handleRelease, header, H_COUNT1, KIND_PAGE_TABLE, KIND_PAGE_CACHE } from './handles';
import * as buddy from './buddy';
import * as ept from './ept';
import * as pc from './pagecache';
import * as shmem from './shmem';
import { walkMany } from './walk-many';

/** Bumped when exports change; sim/fastpath/wasm/module.ts refuses a build of another version. */
export const RMSIM_WASM_ABI: i32 = 9;

let hostPages: u32 = 0;

/** Lay out memory and create the host (pages: multiple of 1024, at most 2^28). */
export function init(pages: u32): void {
  layoutInit();
  hostPages = pages;
  buddy.hostInit(pages);
}

/** Every structure back to its initial state; all handles are gone. */
export function reset_all(): void {
  fb.fbForgetHeld();
  layoutReset();
  handlesReset();
  buddy.hostInit(hostPages);
}

/** Reuse a pooled instance for a new host: everything zeroed, as after init. */
export function reinit(pages: u32): void {
  fb.fbForgetHeld();
  layoutReset();
  handlesReset();
  hostPages = pages;
  buddy.hostInit(pages);
}

export function out_ptr(): usize { return OUT; }
export function bump_start(): f64 { return <f64>BUMP_START; }
export function memory_in_use(): f64 { return <f64>bump; }
export function chunks_in_use(): u32 { return chunksInUse; }
/** Bytes from the bump region, 8-aligned, kept until reset_all (argument areas of TypeScript callers). */
export function scratch_alloc(bytes: u32): usize { return bumpAlloc(<usize>bytes, 8); }

// ---- host: buddy allocator and folio table ----
export function host_reset(): void { buddy.hostReset(); }
export function host_alloc(order: u32, mt: u32): i32 { return buddy.allocPages(order, mt); }
export function host_free(pfn: u32, order: u32): i32 { return buddy.freePagesAt(pfn, order); }
export function host_free_contig_range(pfn: u32, nr: u32): i32 { return buddy.freeContigRange(pfn, nr); }
export function host_free_pages(): f64 { return buddy.freePagesCount(); }
export function host_free_blocks(mt: u32, order: u32): u32 { return buddy.freeBlocks(mt, order); }
export function host_pageblock_mt(pfn: u32): u32 { return buddy.pageblockMt(pfn); }
export function folio_order(pfn: u32): i32 { return buddy.folioOrder(pfn); }
export function folio_refcount(pfn: u32): i32 { return buddy.folioRefcount(pfn); }
export function folio_get(pfn: u32): i32 { return buddy.folioGet(pfn); }
export function folio_put(pfn: u32): i32 { return buddy.folioPut(pfn); }
export function folio_flags(pfn: u32): i32 { return buddy.folioFlags(pfn); }
export function folio_set_flags(pfn: u32, f: u32): i32 { return buddy.folioSetFlags(pfn, f); }
export function folio_clear_flags(pfn: u32, f: u32): i32 { return buddy.folioClearFlags(pfn, f); }
export function folio_split(pfn: u32): i32 { return buddy.folioSplit(pfn); }

// ---- page tables ----
export function pt_new(): i32 { return handleNew(KIND_PAGE_TABLE); }
export function pt_release(h: u32): void { ept.radixClear(h); handleRelease(h); }
export function pt_reset(h: u32): void { ept.radixClear(h); }
export function pt_map(h: u32, gfn: u32, pfn: u32, level: u32): void { ept.eptMap(h, gfn, pfn, level); }
/**
 * A fault's map and its folio_put in one call: the leaf, then the reference dropped unless it is
 * the folio's last (1), else nothing dropped (0: the caller's folio_put frees the folio).
 */
export function pt_map_put(h: u32, gfn: u32, pfn: u32, level: u32, folio: u32): i32 {
  // A 4 KiB map starts from its block's level-1 table (hints.ts), else the plain map.
  if (level != 1 || !ept.eptMap1Hinted(h, gfn, pfn)) ept.eptMap(h, gfn, pfn, level);
  if (buddy.folioRefcount(folio) <= 1) return 0;
  buddy.folioPut(folio);
  return 1;
}
/** The vCPU loop's "is this gfn mapped" before each access: through its block's level-1 table (hints.ts). */
export function pt_walk(h: u32, gfn: u32): i32 { return ept.eptWalkHinted(h, gfn); }
export function pt_walk_level(h: u32, gfn: u32): u32 { return ept.eptWalkLevel(h, gfn); }
/** Zap; leaves per level and tables freed in OUT[0..3]. */
export function pt_zap(h: u32, start: f64, end: f64, freeTables: bool): void {
  ept.eptZap(h, <u64>start, <u64>end, freeTables);
  store<u32>(OUT, ept.zapLeaves1); store<u32>(OUT + 4, ept.zapLeaves2);
  store<u32>(OUT + 8, ept.zapLeaves3); store<u32>(OUT + 12, ept.zapTables);
}
export function pt_count(h: u32, level: u32): u32 { return load<u32>(header(h) + H_COUNT1 + (<usize>(level - 1) << 2)); }
export function pt_table_count(h: u32): u32 { return ept.eptTableCount(h); }
/** Batched walks (walk-many.ts, level by level over groups): n <= 16384 gfns at OUT (u32)
 * replaced by their pfns (i32, -1 when unmapped). */
export function pt_walk_batch(h: u32, n: u32): void { walkMany(h, OUT, OUT, n, true); }
/** Batched maps at one level: n <= 8192 gfns at OUT (u32), their pfns at OUT + 32 KiB; mapped
 * in order (ept.ts eptMapMany: each group of slots touched first so the misses overlap). */
export function pt_map_batch(h: u32, n: u32, level: u32): void { ept.eptMapMany(h, OUT, OUT + (OUT_BYTES >> 1), n, level); }

// ---- page caches ----
export function pc_new(): i32 { return handleNew(KIND_PAGE_CACHE); }
export function pc_release(h: u32): void { ept.radixClear(h); handleRelease(h); }
export function pc_reset(h: u32): void { ept.radixClear(h); }
export function pc_lookup(h: u32, index: u32): i32 { return pc.pcLookup(h, index); }
export function pc_lookup_order(h: u32, index: u32): i32 {
  return pc.pcLookup(h, index) < 0 ? -1 : <i32>(9 * (pc.lookupLevel - 1));
}
export function pc_insert(h: u32, index: u32, pfn: u32, order: u32): bool { return pc.pcInsert(h, index, pfn, order); }
export function pc_any_in_block(h: u32, index: u32): bool { return pc.pcAnyInBlock(h, index); }
export function pc_erase(h: u32, start: f64, end: f64, from: f64): u32 { return pc.pcErase(h, <u64>start, <u64>end, <u64>from); }
export function pc_collect(h: u32, start: f64, end: f64): u32 { return pc.pcCollect(h, <u64>start, <u64>end); }
export function pc_resume_at(): f64 { return pc.resumeAt; }
export function pc_split(h: u32, index: u32): void { pc.pcSplit(h, index); }
export function pc_nr_pages(h: u32): f64 { return pc.pcNrPages(h); }
/** Batched lookups (walk-many.ts): n <= 16384 indices at OUT (u32) replaced by head pfns
 * (i32, -1 when absent). */
export function pc_lookup_batch(h: u32, n: u32): void { walkMany(h, OUT, OUT, n, false); }
/** Batched inserts: n <= 4096 indices at OUT, pfns at OUT + 16 KiB, orders at OUT + 32 KiB;
 * inserted in order, 1/0 (inserted / slot taken) per insert at OUT + 48 KiB (pcInsertMany). */
export function pc_insert_batch(h: u32, n: u32): void {
  const q = <usize>(OUT_BYTES >> 2);
  pc.pcInsertMany(h, OUT, OUT + q, OUT + 2 * q, OUT + 3 * q, n);
}
/** shmem_undo_range's page-cache half; PunchStats in OUT as f64 x5. */
export function pc_punch(h: u32, start: f64, end: f64): void {
  pc.pcPunch(h, <u64>start, <u64>end);
  store<f64>(OUT, <f64>pc.pFoliosFreed); store<f64>(OUT + 8, pc.pPagesFreed);
  store<f64>(OUT + 16, <f64>pc.pStillReferenced); store<f64>(OUT + 24, <f64>pc.pSplits);
  store<f64>(OUT + 32, <f64>pc.pSplitFailures);
}

// ---- shmem_get_folio and batches ----
/** Head pfn or -1; then get_folio_info() = (order + 1) | hit << 8 | fallback << 9. */
export function shmem_get_folio(h: u32, index: u32, policy: u32, iSize: f64, mt: u32): i32 {
  return shmem.getFolio(h, index, policy, <u64>iSize, mt);
}
export function get_folio_info(): u32 {
  return <u32>(shmem.gfOrder + 1) | (shmem.gfHit ? 0x100 : 0) | (shmem.gfFallback << 9);
}
/**
 * shmem_get_folio for SGP_WRITE in one call (a first-touch fault's): a folio it allocates comes
 * back holding the caller's reference too (folio_get; a hit takes none, the caller tests the folio
 * lock first). Returns pfn + 1 (0: none) plus get_folio_info's word times 2^32.
 */
export function shmem_get_folio_write(h: u32, index: u32, policy: u32, iSize: f64, mt: u32): f64 {
  const pfn = shmem.getFolio(h, index, policy, <u64>iSize, mt);
  if (pfn >= 0 && !shmem.gfHit) buddy.folioGet(<u32>pfn);
  return <f64>get_folio_info() * 4294967296.0 + <f64>(pfn + 1);
}
export function shmem_get_folio_range(h: u32, start: f64, end: f64, policy: u32, iSize: f64, mt: u32): void {
  shmem.getFolioRange(h, <u64>start, <u64>end, policy, <u64>iSize, mt);
}
export function fault_range(pt: u32, h: u32, gfnStart: f64, indexStart: f64, count: f64,
  policy: u32, iSize: f64, mt: u32, maxLevel: u32): void {
  shmem.faultRange(pt, h, <u64>gfnStart, <u64>indexStart, <u64>count, policy, <u64>iSize, mt, maxLevel);
}

// ---- bursts (wasm/burst.ts) ----
import { faultBurst } from './burst';
/** A timed fault burst; results in OUT (see wasm/burst.ts and sim/fastpath/burst-ops.ts). */
export function fault_burst(pt: u32, h: u32, gfnStart: f64, indexStart: f64, count: f64, policy: u32, iSize: f64,
  mt: u32, maxLevel: u32, now: f64, horizon: f64, rng: usize, thinkMean: f64, costs: usize, hist: usize): void {
  faultBurst(pt, h, <u64>gfnStart, <u64>indexStart, <u64>count, policy, <u64>iSize, mt, maxLevel, now, horizon, rng, thinkMean, costs, hist);
}

// ---- a VM's first-touch faults under one scheduler (wasm/fault-batch.ts; sim/actors/fault-batch.ts) ----
import * as fb from './fault-batch';
/** An area for nv vCPUs' faults (bump memory, kept until reset_all), initialised; its address. */
export function fb_new(nv: u32): f64 {
  const a = bumpAlloc(fb.fbBytes(nv), 8);
  fb.fbInit(a, nv);
  return <f64>a;
}
export function fb_hist_at(a: f64, i: u32): f64 { return <f64>fb.fbHistAt(<usize>a, i); }
export function fb_hist_clear(a: f64, i: u32): void { fb.fbHistClear(<usize>a, i); }
export function fb_flush(a: f64): void { fb.fbFlush(<usize>a); }
export function fb_gauge_at(a: f64): f64 { return <f64>fb.fbGaugeAt(<usize>a); }
export function fb_trail_at(a: f64): f64 { return <f64>fb.fbTrailAt(<usize>a); }
export function fb_join(a: f64, v: u32, vm: u32, gfn: f64, left: f64, gfnBase: f64, indexBase: f64, pc: u32, now: f64, key: f64, inOrder: u32,
  hugeFirst: f64, hugeEnd: f64, sharedStart: f64, sharedEnd: f64): void {
  fb.fbJoin(<usize>a, v, vm, gfn, left, gfnBase, indexBase, pc, now, key, hugeFirst, hugeEnd, inOrder != 0, sharedStart, sharedEnd);
}
export function fb_vm_at(a: f64, i: u32): f64 { return <f64>fb.fbVmAt(<usize>a, i); }
export function fb_run(a: f64): void { fb.fbRun(<usize>a); }
export function fb_set_cpus(a: f64, free: f64): void { fb.fbSetCpus(<usize>a, free); }
export function fb_set_cpu(a: f64, v: u32, onCpu: u32, queuedSince: f64): void { fb.fbSetCpu(<usize>a, v, onCpu != 0, queuedSince); }
export function fb_take(a: f64, v: u32, t: f64): u32 { return fb.fbTake(<usize>a, v, t); }
export function fb_release(a: f64, v: u32, t: f64, key: f64): i32 { return fb.fbRelease(<usize>a, v, t, key); }
export function fb_idle_queue(a: f64): u32 { return fb.fbIdleQueue(<usize>a) ? 1 : 0; }
export function fb_top(a: f64): u32 { return fb.fbTop(<usize>a); }
export function fb_take_dirty(a: f64, j: u32): u32 { return fb.fbTakeDirty(<usize>a, j); }
export function fb_state(a: f64, v: u32): i32 { return fb.fbState(<usize>a, v); }
export function fb_leave(a: f64, v: u32, handOver: u32): void { fb.fbLeave(<usize>a, v, handOver != 0); }
export function fb_outside(a: f64, v: u32): u32 { return fb.fbOutside(<usize>a, v) ? 1 : 0; }
