// The first-touch faults of one VM's vCPUs run inside WASM under one scheduler (DESIGN.md
// principle 6, issue 17): the waits of every vCPU that joined, keyed exactly as the engine's
// heap (time, then the engine's keys, taken in the order the engine would take them) in FIFO
// queues per length (see Q_EXIT), each wait's end running the phase the model's machines would
// run then.
// The caller (sim/actors/fault-batch.ts) lets a VM's vCPUs join only while nothing else in the
// simulation is live but vCPUs, and a VM only while its other vCPUs hold nothing, so no other
// process can see its locks, its file or its pages between two phases; it folds the statistics
// counted here into the engine's. A VM leaves (fbState, fbLeave) before one of its vCPUs'
// memory-fault exits, which the engine runs, unless that vCPU's run holds them (fbJoin's shared
// segment, one vCPU of a VM at a time): then the exit, the VMM's one-page conversion and the
// refault run here too (PH_CFIXED..PH_CZAP, below).
//
// One fault, as sim/model/mmu.ts KvmPageFault and sim/actors/vcpu-loop.ts VcpuLoop step it for
// a binding that gives its getPfn as data (sim/model PfnBatchPlan), folios of order 0 or 9 (shmem_enabled),
// leaves of 4 KiB or 2 MiB (kvm_mmu_max_mapping_level):
//   exit charge (kvm.fault_exit_*) -> srcu_read_lock(kvm->srcu) -> attribute lookup charge ->
//   the binding's getPfn as data (v10 restrictedmem_get_page: shmem_get_folio(SGP_WRITE), a hit
//   taking a reference, a miss allocating, inserting and taking it, then SetPageUptodate and
//   restrictedmem.get_page_ns; 6.18 kvm_gmem_get_pfn: the same lookup with f_count's cache line
//   and the zeroing in its one charge) ->
//   KVM_MMU_LOCK (write under the shadow MMU, read under tdp; queued FIFO as qrwlock, the head
//   granted after the cache line's transfer) -> map charge -> the leaf, folio_put (never the
//   last reference: the page cache holds one), KVM_MMU_UNLOCK -> fault done, srcu_read_unlock ->
//   the guest exit's scheduling point (sleep 0) -> the next access: a mapped page costs nothing
//   more, an unmapped one is the next fault.
// A gfn of the shared segment, as sim/actors/vcpu-loop.ts and sim/model/attributes.ts
// KvmSetMemAttributes step it (v10 ordering, mmu_lock for write in both):
//   exit charge -> srcu_read_lock, mmu_seq -> attribute lookup charge -> KVM_EXIT_MEMORY_FAULT
//   (srcu_read_unlock) -> kvm.set_attr_fixed_ns -> KVM_MMU_LOCK, kvm_mmu_invalidate_begin(gfn,
//   gfn + 1), KVM_MMU_UNLOCK -> kvm->lock (never contended here) and the gfn's xa_store charge ->
//   the store, unlock, KVM_MMU_LOCK -> the zap's charge (nothing mapped) ->
//   kvm_mmu_invalidate_end, KVM_MMU_UNLOCK -> the refault, a fault as above.
// Every fault's attempt then checks is_page_fault_stale under mmu_lock (and, under guest_memfd,
// before getPfn: kvm_faultin_pfn's pre-check) and retries when a conversion moved the VM's
// sequence or covers its gfn.
// Leaves out (the caller keeps a VM out that needs them): 1 GiB leaves, the test of a block's
// attributes (the caller's join gives the gfns whose blocks may map huge; conversions run here
// only under 4 KiB leaves), the shared side, two conversions of one VM at once (kvm->lock's
// contention), a zap that finds a leaf (the flush), conversions under
// tdp (read and write holders in one queue), ENOMEM, hwpoison, think time, safety checks and
// the tracer. With a CPU model it owns
// the host's CPUs (engine/cpus.ts Cpus, lent): the sleep(0) hands the CPU to the run queue's head.
import { FALLBACK_NOMEM, FALLBACK_OCCUPIED, getFolio, gfFallback, gfHit, gfOrder } from './shmem';
import { folioFlags, folioGet, folioPut, folioRefcount, folioSetFlags } from './buddy';
import { E_LEAF, eptMap, eptMap1Into, eptTable1, eptWalk, eptWalkHinted } from './ept';
import { chunkAddr } from './mem';
import { bucketIndex } from './shared/histogram';

// ---- the area's header: f64 slots (index * 8 bytes) ----
export const FB_NV = 0;
export const FB_POLICY = 2;
export const FB_ISIZE = 3;
export const FB_MT = 4;
export const FB_EXIT_NS = 5;
export const FB_ATTR_NS = 6;
export const FB_BASE_NS = 7;
export const FB_ALLOC_NS = 8;
export const FB_END_NS = 9;
export const FB_MAP_NS = 10;
export const FB_GRANT_NS = 11;
export const FB_WRITE = 12;
export const FB_SEQ = 13;
export const FB_LIMIT_T = 14;
export const FB_HORIZON_T = 15;
export const FB_HORIZON_K = 16;
export const FB_LAST_T = 17;
export const FB_EVENTS = 18;
export const FB_STATUS = 19;
export const FB_OUT_V = 20;
export const FB_OUT_T = 21;
export const FB_OUT_K = 22;
/** fbLeave of a vCPU in its exit charge: its fault's gfn and start (the engine's machine resumes there). */
export const FB_OUT_GFN = 23;
export const FB_OUT_T0 = 24;
/** fbTop's answer: the earliest owned wait's time and key. */
export const FB_TOP_T = 25;
export const FB_TOP_K = 26;
export const FB_SRCU_ACQ = 28;
export const FB_MMU_ACQ = 29;
export const FB_MMU_CONTENDED = 30;
export const FB_RQ_ZERO = 31;
export const FB_FAULTS = 32;
export const FB_MAPPED_ACCESSES = 33;
export const FB_LOCK_WAIT = 34;
export const FB_MISSES = 35;
export const FB_GAUGE_N = 36;
export const FB_TRAIL_N = 37;
const FB_HEAP_N = 38;
export const FB_LINE_NS = 39;
export const FB_MISS_CLEAR_NS = 40;
export const FB_HIT_CLEAR_NS = 41;
export const FB_HUGE_NS = 44;
export const FB_MAX_LEVEL = 45;
export const FB_FALLBACK_OCCUPIED = 46;
export const FB_FALLBACK_NOMEM = 47;
export const FB_FAULTS_2M = 48;
export const FB_MISSES_HUGE = 49;
const FB_QUEUED_N = 50;
/** 1 when the host has a CPU model (finite CPUs): the batch then owns its free CPUs and run queue. */
export const FB_CPUS = 51;
export const FB_CPU_FREE = 52;
const FB_RQ_HEAD = 53;
export const FB_RQ_LEN = 54;
/** vCPUs whose counts (FB_V_*) moved since the last fold, listed in the dirty list (fbTakeDirty). */
export const FB_DIRTY_N = 55;
/** fbTakeDirty's answer: the vCPU's counts FB_V_STARTED..FB_V_SMALL_AFTER_HUGE, in that order. */
export const FB_COUNTS = 56;
/**
 * 1 when a VM's memory-fault exits, the VMM's one-page conversions after them and the refaults
 * run here (the caller's conditions: sim/actors/fault-batch.ts convertsHere), else a VM leaves
 * before a gfn that is not private. Its charges, rounded: kvm.set_attr_fixed_ns, one gfn's
 * kvm.set_attr_per_gfn_ns (kvm->lock's hold), and the one-gfn zap of nothing mapped.
 */
export const FB_CONV = 64;
export const FB_CONV_FIXED_NS = 65;
export const FB_CONV_GFN_NS = 66;
export const FB_CONV_ZAP_NS = 67;
/** Summed counts: memory-fault exits, fault.retries, kvm->lock acquisitions (each uncontended, held FB_CONV_GFN_NS). */
export const FB_EXITS = 68;
export const FB_RETRIES = 69;
export const FB_KVM_ACQ = 70;
/** The host's maxFaultRetries: a fault retried more often is a livelock the engine reports (never run here). */
export const FB_MAX_RETRIES = 71;
/** fbLeave of a vCPU in its exit charge: its fault's retries so far. */
export const FB_OUT_RETRIES = 72;
/** 1 when the binding checks the invalidation before getPfn (guest_memfd's kvm_faultin_pfn: mmu_invalidate_retry_gfn_unsafe), retrying at once. */
export const FB_PRECHECK = 73;
export const FB_HEADER_SLOTS = 80;

/** Run status (FB_STATUS). */
export const FB_DONE = 0; // the next wait is the engine's turn, past the limit, or none is left
export const FB_ENDED = 1; // vCPU FB_OUT_V's last sleep ended at (FB_OUT_T, FB_OUT_K): the engine ends it
export const FB_GAUGE_FULL = 2; // the queue-length points fill their buffer: fold and run again
export const FB_WAKE = 3; // vCPU FB_OUT_V, outside the batch, got a CPU at (FB_OUT_T, FB_OUT_K): the engine runs it
export const FB_HANDOUT = 4; // vCPU FB_OUT_V of a VM leaving the batch began a refault after a conversion, or a retry: fbLeave hands it over in that exit charge

// Histograms (the engine's bucketing): counts, then sum, min, max, lowest and highest bucket touched.
export const FB_HIST_SRCU_HOLD = 0;
export const FB_HIST_MMU_WAIT = 1;
export const FB_HIST_MMU_HOLD = 2;
export const FB_HIST_LATENCY = 3;
export const FB_HIST_RQ = 4; // cpu.runqueue_delay_ns of the waits a given-up CPU ended (a wake that finds one free is FB_RQ_ZERO)
const HISTS: u32 = 5;
export const FB_BUCKETS: u32 = 6016;
const HIST_SLOTS: u32 = FB_BUCKETS + 5;
export const FB_GAUGE_CAP: u32 = 1024;
export const FB_TRAIL_CAP: u32 = 256;

// Per VM: f64 slots, then its mmu_lock queue (a ring of nv vCPU indices).
const M_WRITER = 0; // the vCPU holding mmu_lock for write, -1
const M_READERS = 1;
const M_WRITE_START = 2;
const M_QHEAD = 3;
const M_QLEN = 4;
export const FB_M_PT = 5; // the VM's page table
export const FB_M_LINE_OWNER = 6; // the vCPU that wrote the file's line last (PfnBatchPlan.line), -1
export const FB_M_LAST_MISS = 7; // the vCPU that allocated last since the fold, -1
/**
 * While the VM leaves the batch (fbLeave): the time from which the engine may touch its state
 * (a vCPU's exit charge ends there), which every vCPU finishing its fault here must unlock
 * mmu_lock before; +Infinity otherwise.
 */
export const FB_M_DEADLINE = 8;
/**
 * The VM's invalidation state while it is in the batch (its conversions run here): the caller
 * writes the Vm's at each join and reads them back at each fold. mmu_invalidate_seq,
 * mmu_invalidate_in_progress, the range [start, end) (-1 when reset).
 */
export const FB_M_SEQ = 9;
export const FB_M_INPROG = 10;
export const FB_M_RSTART = 11;
export const FB_M_REND = 12;
/** The vCPU whose run holds gfns to convert (fbJoin's shared segment) until its last conversion ends, -1: at most one per VM, so kvm->lock is never contended here. */
export const FB_M_SOLO = 13;
/** 1 when a conversion here moved the invalidation state since the caller last read it back. */
export const FB_M_STATE_MOVED = 14;
const M_SLOTS: u32 = 15;

// Per vCPU, 192 bytes (three cache lines: the first read at every wait's end, the third for a
// huge folio's leaf level and, when the batch converts, at each attribute lookup): u32 slots,
// f64 slots from byte 64, its counts since the last fold (u32) from byte 104, then from byte 128
// the gfns whose 2 MiB blocks may map huge and the conversions' slots.
const V_PHASE = 0;
const V_VM = 1;
const V_DIRTY = 2; // 1 while it is in the dirty list
const V_ONCPU = 3; // 1 while it holds a CPU (with a CPU model)
const V_OUTSIDE = 4; // 1 while the engine runs it: before it joined, or after its last access
const V_LEFT = 5;
const V_GFN = 6; // its fault's gfn (the next access is the one after)
const V_INDEX_OFF = 7; // the page-cache index of gfn 0 in its slot (u32 arithmetic: index = gfn + this)
const V_PC = 8;
const V_FOLIO = 9;
const V_PAGE = 10;
const V_LEVEL = 11;
// What its last faults found, while its VM stays in the batch (nothing else then touches the
// VM's file or page table; fbJoin forgets them): the order-9 folio over [V_HUGE_INDEX,
// V_HUGE_INDEX + 512) at head V_HUGE_PFN (NO_INDEX: none), which shmem_get_folio's lookup
// would find again; and the level-1 table V_TABLE1 of gfn block V_BLOCK (0xffffffff: none),
// kept only when no leaf is huge (FB_MAX_LEVEL 1), so none replaces the table.
const V_HUGE_INDEX = 12;
/** No folio: its 512 indices lie past any file's (16 TiB). */
const NO_INDEX: u32 = 0xfffffc00;
const V_HUGE_PFN = 13;
const V_BLOCK = 14;
const V_TABLE1 = 15;
// Its run's shared segment [V_SHARED, V_SHARED_END) (empty: both 0): each gfn there is a
// memory-fault exit, a conversion to private and a refault. [V_SHARED, V_CONV_DONE) are
// converted, [V_SHARED, V_CONV_APPLIED) told to the caller's MemAttributes (fbTakeDirty).
const V_PT = 31; // its VM's page table (FB_M_PT), in the second line's last four bytes
// u32 slots of the third line: the gfns whose 2 MiB blocks may map huge, [first, end).
const V_HUGE_FIRST = 32;
const V_HUGE_END = 33;
// u32 slots of the third line after them, for conversions and retries (bench e2e (b)):
const V_SHARED = 34;
const V_SHARED_END = 35;
const V_CONV_DONE = 36;
const V_CONV_APPLIED = 37;
const V_MMU_SEQ = 38; // mmu_seq, read at the attempt's srcu_read_lock
const V_RETRIES = 39; // attempts of its fault found stale (is_page_fault_stale)
const V_GRANTED = 40; // what a grant of mmu_lock resumes (G_*)
// f64 slots (vF).
const V_T0 = 0;
const V_SRCU_START = 1;
/** When its wait for mmu_lock began (PH_QUEUED), then when its read hold began: the one is read before the other is set. */
const V_LOCK_T = 2;
const V_LOCK_WAIT = 3;
const V_RQ_SINCE = 4; // when it began to wait in the run queue
// u32 counts (vC; fbTakeDirty copies them out in this order).
export const FB_V_STARTED = 0;
export const FB_V_COMPLETED = 1;
export const FB_V_MISSES = 2;
export const FB_V_MISSES_HUGE = 3;
/** Order-0 misses since this vCPU's last huge one (its lru_add batch restarts at a large folio). */
export const FB_V_SMALL_AFTER_HUGE = 4;
const V_BYTES: u32 = 192;

// Where a vCPU waits (what the end of its wait runs).
const PH_EXIT: u32 = 1; // the exit's charge
const PH_ATTR: u32 = 2; // the attribute lookup's charge
const PH_GET: u32 = 3; // shmem_get_folio's charge
const PH_END: u32 = 4; // restrictedmem_get_page's own charge
const PH_GRANT: u32 = 5; // mmu_lock handed over (queued, granted)
const PH_MAP: u32 = 6; // the map's charge
const PH_SLEEP: u32 = 7; // the guest exit's sleep(0)
const PH_QUEUED: u32 = 8; // in mmu_lock's queue (no entry)
const PH_RUN: u32 = 9; // handed a CPU from the run queue: the next access
const PH_CFIXED: u32 = 10; // kvm.set_attr_fixed_ns (the ioctl's entry after the exit to the VMM)
const PH_CGFN: u32 = 11; // kvm->lock held: the gfn's xa_store charge
const PH_CZAP: u32 = 12; // mmu_lock held: the zap's charge

// What a grant of mmu_lock resumes (V_GRANTED).
const G_FAULT: u32 = 0; // the fault's map
const G_CONV_BEGIN: u32 = 1; // the conversion's kvm_mmu_invalidate_begin
const G_CONV_ZAP: u32 = 2; // the conversion's kvm_unmap_gfn_range and kvm_mmu_invalidate_end

// The waits' queues. Waits of one length that begin in key order end in key order (the clock
// never goes back and keys rise), so each length's waits form a FIFO queue, and the next wait is
// the least of the queues' heads. The non-empty queues form a list in the order of their heads
// (qNext, qPrev, qFirst): a pop moves its queue along the list past the heads its new head
// follows, a push into an empty queue walks the list from the front. Only a few queues are
// non-empty at once (bench e2e (b): the exit's, and the sleeps' for an instant), so each costs
// a compare or two, where a heap of 128 vCPUs cost ~7 sift levels per wait (~46% of the batch's
// time) and a winner tree over the 16 queues four levels per pop (13% of (b)).
// Each phase's charge is one length but getPfn's, which takes one of a few (hit or miss, small or
// huge, the file's line or not): those get a queue per length as they appear (Q_VAR on), and
// any length beyond NQ goes to the heap, as a wait with a key out of order would.
const Q_EXIT: i32 = 0;
const Q_ATTR: i32 = 1;
const Q_END: i32 = 2;
const Q_GRANT: i32 = 3;
const Q_MAP: i32 = 4;
const Q_SLEEP: i32 = 5;
const Q_VAR: i32 = 6;
const NQ: i32 = 16;
/** Where the least wait is (MIN_Q): a queue, or the heap. */
const IN_HEAP: i32 = NQ;

const FOLIO_UPTODATE: u32 = 1;

// Section offsets (bytes) from the area, for nv vCPUs.
/** Address of histogram i (FB_HIST_*): FB_BUCKETS f64 counts, then sum, min, max, lowest and highest bucket touched. */
export function fbHistAt(a: usize, i: u32): usize { return histAt(a, i); }
/** Address of the queue-length points (FB_GAUGE_N pairs of time, length). */
export function fbGaugeAt(a: usize): usize { return gaugeAt(a); }
/** Address of the last maps' ring (FB_TRAIL_CAP pairs of time, vCPU; FB_TRAIL_N written in all). */
export function fbTrailAt(a: usize): usize { return trailAt(a); }
@inline function histAt(a: usize, i: u32): usize { return a + (<usize>FB_HEADER_SLOTS << 3) + (<usize>(i * HIST_SLOTS) << 3); }
@inline function gaugeAt(a: usize): usize { return histAt(a, HISTS); }
@inline function trailAt(a: usize): usize { return gaugeAt(a) + (<usize>FB_GAUGE_CAP << 4); }
/** The vCPUs' records, on a cache line's start (fbBytes leaves room to round up). */
@inline function vcpusAt(a: usize): usize { return (trailAt(a) + (<usize>FB_TRAIL_CAP << 4) + 63) & ~<usize>63; }
@inline function heapAt(a: usize, nv: u32): usize { return vcpusAt(a) + <usize>(nv * V_BYTES); }

@inline function vmsAt(a: usize, nv: u32): usize { return heapAt(a, nv) + <usize>(nv + 1) * 24; }
@inline function vmAt(a: usize, nv: u32, i: u32): usize { return vmsAt(a, nv) + (<usize>(i * (M_SLOTS + nv)) << 3); }
/** Address of VM i's slots (FB_M_*). */
export function fbVmAt(a: usize, i: u32): usize { return vmAt(a, <u32>hdr(a, FB_NV), i); }

@inline function queuesAt(a: usize, nv: u32): usize { return vmsAt(a, nv) + (<usize>(nv * (M_SLOTS + nv)) << 3); }
/** Each queue's head's (time, key), +Infinity when it is empty: what the next-event scan reads, in one run of memory. */
@inline function headsAt(a: usize, nv: u32): usize { return queuesAt(a, nv) + <usize>NQ * 16; }
/** The list of non-empty queues: per queue its next and previous (i32, -1 at an end), then the first. */
@inline function listAt(a: usize, nv: u32): usize { return headsAt(a, nv) + <usize>NQ * 16; }
@inline function ringsAt(a: usize, nv: u32): usize { return listAt(a, nv) + <usize>NQ * 8 + 8; }

/** Bytes of an area for nv vCPUs (and at most as many VMs). */
export function fbBytes(nv: u32): usize { return dirtyAt(0, nv) + (<usize>nv << 2) + 64; }
/** The vCPUs whose counts moved since the last fold (u32, FB_DIRTY_N of them): a fold reads only theirs. */
@inline function dirtyAt(a: usize, nv: u32): usize { return runQueueAt(a, nv) + (<usize>nv << 2); }
/** The CPUs' run queue: a ring of nv u32 vCPU indices (FB_RQ_HEAD, FB_RQ_LEN). */
@inline function runQueueAt(a: usize, nv: u32): usize { return ringsAt(a, nv) + <usize>NQ * <usize>nv * 24; }

@inline function hdr(a: usize, i: i32): f64 { return load<f64>(a + (<usize>i << 3)); }
@inline function mGet(m: usize, i: i32): f64 { return load<f64>(m + (<usize>i << 3)); }
@inline function mSet(m: usize, i: i32, x: f64): void { store<f64>(m + (<usize>i << 3), x); }
@inline function setHdr(a: usize, i: i32, v: f64): void { store<f64>(a + (<usize>i << 3), v); }
@inline function addHdr(a: usize, i: i32, v: f64): void { store<f64>(a + (<usize>i << 3), load<f64>(a + (<usize>i << 3)) + v); }
@inline function vAt(a: usize, v: u32): usize { return vcpusAt(a) + <usize>(v * V_BYTES); }
@inline function vU(p: usize, i: i32): u32 { return load<u32>(p + (<usize>i << 2)); }
@inline function vUSet(p: usize, i: i32, x: u32): void { store<u32>(p + (<usize>i << 2), x); }
@inline function vF(p: usize, i: i32): f64 { return load<f64>(p + 64 + (<usize>i << 3)); }
@inline function vFSet(p: usize, i: i32, x: f64): void { store<f64>(p + 64 + (<usize>i << 3), x); }
@inline function vC(p: usize, i: i32): u32 { return load<u32>(p + 104 + (<usize>i << 2)); }
@inline function vCSet(p: usize, i: i32, x: u32): void { store<u32>(p + 104 + (<usize>i << 2), x); }

/** The histograms empty (every bucket, sums, min and max as the engine's new Histogram). */
export function fbInit(a: usize, nv: u32): void {
  memory.fill(a, 0, fbBytes(nv));
  setHdr(a, FB_NV, <f64>nv);
  for (let i: u32 = 0; i < nv; i++) {
    const m = vmAt(a, nv, i);
    store<f64>(m + (M_WRITER << 3), -1);
    store<f64>(m + (FB_M_LINE_OWNER << 3), -1);
    store<f64>(m + (FB_M_LAST_MISS << 3), -1);
    store<f64>(m + (FB_M_DEADLINE << 3), Infinity);
    store<f64>(m + (FB_M_RSTART << 3), -1);
    store<f64>(m + (FB_M_REND << 3), -1);
    store<f64>(m + (FB_M_SOLO << 3), -1);
  }
  // Every vCPU starts outside (the engine runs it until it joins).
  for (let v: u32 = 0; v < nv; v++) vUSet(vAt(a, v), V_OUTSIDE, 1);
  for (let i: u32 = 0; i < HISTS; i++) histClear(histAt(a, i), 0, FB_BUCKETS - 1);
  for (let q = 0; q < NQ; q++) {
    store<f64>(headsAt(a, nv) + (<usize>q << 4), Infinity);
    store<f64>(queuesAt(a, nv) + (<usize>q << 4) + 8, -1);
  }
  store<i32>(listAt(a, nv) + (<usize>NQ << 3), -1);
}

/** Zero the buckets [lo, hi] of histogram h and its summary (after the caller folded it). */
export function fbHistClear(a: usize, i: u32): void {
  fbFlush(a);
  const h = histAt(a, i);
  const lo = <u32>load<f64>(h + (<usize>(FB_BUCKETS + 3) << 3));
  const hi = <i32>load<f64>(h + (<usize>(FB_BUCKETS + 4) << 3));
  if (hi >= 0) histClear(h, lo, <u32>hi);
}

function histClear(h: usize, lo: u32, hi: u32): void {
  memory.fill(h + (<usize>lo << 3), 0, <usize>(hi - lo + 1) << 3);
  const s = h + (<usize>FB_BUCKETS << 3);
  store<f64>(s, 0); store<f64>(s + 8, Infinity); store<f64>(s + 16, -Infinity);
  store<f64>(s + 24, <f64>FB_BUCKETS); store<f64>(s + 32, -1);
}

// ---- the state of the run in progress (fbRun loads it from the area and stores it back) ----
let A: usize = 0;
let NV: u32 = 0;
let HEAP: usize = 0;
let HN: u32 = 0;
let QM: usize = 0;
let QH: usize = 0;
let QR: usize = 0;
let QL: usize = 0;
let QN: u32 = 0;
// The CPU model (FB_CPUS): free CPUs and the run queue, owned by the batch while it runs.
let CPUS: bool = false;
let FREE: f64 = 0;
let RQ: usize = 0;
let RQH: u32 = 0;
let RQN: u32 = 0;
/** A vCPU handed a CPU by a sleep that ended in place (step): its next access is the very next event, at (CHAIN_T, CHAIN_K). */
let CHAIN: i32 = -1;
let CHAIN_T: f64 = 0;
let CHAIN_K: f64 = 0;
/** A vCPU outside the batch handed a CPU in this step (-1: none): the run stops for the engine to run it. */
let WOKE: i32 = -1;
/** A vCPU of a leaving VM that began its refault in this step (-1: none): the run stops for the caller to hand it over (FB_HANDOUT); WOKE is then HANDING_OUT, so endWait tests one global per wait as before. */
let HANDOUT: i32 = -1;
const HANDING_OUT: i32 = 0x7fffffff;
let WOKE_T: f64 = 0;
let WOKE_K: f64 = 0;
let SEQ: f64 = 0;
let EVENTS: f64 = 0;
let LAST_T: f64 = 0;
let H_T: f64 = 0;
let H_K: f64 = 0;
let LIMIT: f64 = 0;
let WRITE: bool = false;
let EXIT_NS: f64 = 0;
let ATTR_NS: f64 = 0;
let BASE_NS: f64 = 0;
let ALLOC_NS: f64 = 0;
let LINE_NS: f64 = 0;
let MISS_CLEAR_NS: f64 = 0;
let HIT_CLEAR_NS: f64 = 0;
let HUGE_NS: f64 = 0;
let MAX_LEVEL: u32 = 1;
let POLICY: u32 = 0;
let END_NS: f64 = 0;
let MAP_NS: f64 = 0;
let GRANT_NS: f64 = 0;
let SRCU_ACQ: f64 = 0;
let MMU_ACQ: f64 = 0;
let RQ_ZERO: f64 = 0;
let FAULTS: f64 = 0;
let MISSES: f64 = 0;
let LOCK_WAIT: f64 = 0;
// fbRun's copies of header slots it reads at every fault (load_, save_).
let GAUGE_N: u32 = 0;
let TRAIL_N: u32 = 0;
let DIRTY_N: u32 = 0;
let ISIZE: u64 = 0;
let MT: u32 = 0;
let CONV: bool = false;
let CONV_FIXED_NS: f64 = 0;
let CONV_GFN_NS: f64 = 0;
let CONV_ZAP_NS: f64 = 0;
let MAX_RETRIES: u32 = 0;
let PRECHECK: bool = false;

/** A run's state: the area's queues (useArea), then the header's run inputs and charges. */
function load_(a: usize): void {
  useArea(a);
  SEQ = hdr(a, FB_SEQ);
  LAST_T = hdr(a, FB_LAST_T);
  H_T = hdr(a, FB_HORIZON_T);
  H_K = hdr(a, FB_HORIZON_K);
  LIMIT = hdr(a, FB_LIMIT_T);
  WRITE = hdr(a, FB_WRITE) != 0;
  EXIT_NS = hdr(a, FB_EXIT_NS); ATTR_NS = hdr(a, FB_ATTR_NS); BASE_NS = hdr(a, FB_BASE_NS); ALLOC_NS = hdr(a, FB_ALLOC_NS);
  LINE_NS = hdr(a, FB_LINE_NS); MISS_CLEAR_NS = hdr(a, FB_MISS_CLEAR_NS); HIT_CLEAR_NS = hdr(a, FB_HIT_CLEAR_NS);
  HUGE_NS = hdr(a, FB_HUGE_NS); MAX_LEVEL = <u32>hdr(a, FB_MAX_LEVEL); POLICY = <u32>hdr(a, FB_POLICY);
  END_NS = hdr(a, FB_END_NS); MAP_NS = hdr(a, FB_MAP_NS); GRANT_NS = hdr(a, FB_GRANT_NS);
  GAUGE_N = <u32>hdr(a, FB_GAUGE_N); TRAIL_N = <u32>hdr(a, FB_TRAIL_N); DIRTY_N = <u32>hdr(a, FB_DIRTY_N);
  ISIZE = <u64>hdr(a, FB_ISIZE); MT = <u32>hdr(a, FB_MT);
  CONV = hdr(a, FB_CONV) != 0;
  CONV_FIXED_NS = hdr(a, FB_CONV_FIXED_NS); CONV_GFN_NS = hdr(a, FB_CONV_GFN_NS); CONV_ZAP_NS = hdr(a, FB_CONV_ZAP_NS);
  MAX_RETRIES = <u32>hdr(a, FB_MAX_RETRIES);
  PRECHECK = hdr(a, FB_PRECHECK) != 0;
  EVENTS = 0; SRCU_ACQ = 0; MMU_ACQ = 0; RQ_ZERO = 0; FAULTS = 0; MISSES = 0; LOCK_WAIT = 0;
}

function save_(): void {
  const a = A;
  saveQueues(a);
  setHdr(a, FB_SEQ, SEQ);
  setHdr(a, FB_LAST_T, LAST_T);
  setHdr(a, FB_EVENTS, EVENTS);
  setHdr(a, FB_GAUGE_N, <f64>GAUGE_N); setHdr(a, FB_TRAIL_N, <f64>TRAIL_N); setHdr(a, FB_DIRTY_N, <f64>DIRTY_N);
  addHdr(a, FB_SRCU_ACQ, SRCU_ACQ); addHdr(a, FB_MMU_ACQ, MMU_ACQ); addHdr(a, FB_RQ_ZERO, RQ_ZERO);
  addHdr(a, FB_FAULTS, FAULTS); addHdr(a, FB_MISSES, MISSES); addHdr(a, FB_LOCK_WAIT, LOCK_WAIT);
}

/** Histogram.record of n values x (integer ns >= 0): counts and sums stay exact below 2^53, so n at once equal n one by one. */
function recordN(i: u32, x: f64, n: f64): void {
  const h = histAt(A, i);
  const b = <u32>bucketIndex(<u64><i64>x); // a signed truncation is the cheaper one: 0 <= x < 2^53
  const p = h + (<usize>b << 3);
  store<f64>(p, load<f64>(p) + n);
  const s = h + (<usize>FB_BUCKETS << 3);
  store<f64>(s, load<f64>(s) + x * n);
  if (x < load<f64>(s + 8)) store<f64>(s + 8, x);
  if (x > load<f64>(s + 16)) store<f64>(s + 16, x);
  if (<f64>b < load<f64>(s + 24)) store<f64>(s + 24, <f64>b);
  if (<f64>b > load<f64>(s + 32)) store<f64>(s + 32, <f64>b);
}

// Each of the first four histograms' run of equal values not yet recorded (a fault's charges
// repeat: the lock's hold and wait, the srcu hold, the latency are the same fault after fault
// when nothing contends): its value (-1: none) and length, f64 pairs, recorded when another
// value comes, before the caller reads the histograms (fbFlush) and before another area runs.
// Not at every run's end: with a VM out of the batch (its conversions in the engine) a run
// holds a wait or two, and each flush broke the runs of equal values (bench/e2e/README.md).
const HELD_RUNS: u32 = 4;
const HELD: usize = memory.data(<i32>(HELD_RUNS << 4), 16);
/** The area whose histograms the held runs belong to (0: none). */
let HELD_A: usize = 0;

/** Histogram.record of an integer ns value >= 0 (the first four histograms' values held back while equal). */
@inline function record(i: u32, x: f64): void {
  if (i >= HELD_RUNS) {
    recordN(i, x, 1);
    return;
  }
  const r = HELD + (<usize>i << 4);
  const n = load<f64>(r + 8);
  if (x == load<f64>(r)) {
    store<f64>(r + 8, n + 1);
    return;
  }
  if (n > 0) recordN(i, load<f64>(r), n);
  store<f64>(r, x);
  store<f64>(r + 8, 1);
}

/** The held-back runs recorded into their area's histograms (exact again), or dropped (record false). */
function flushRecords(record: bool): void {
  const a = A;
  A = HELD_A;
  for (let i: u32 = 0; i < HELD_RUNS; i++) {
    const r = HELD + (<usize>i << 4);
    const n = load<f64>(r + 8);
    if (n > 0 && record) recordN(i, load<f64>(r), n);
    store<f64>(r, -1);
    store<f64>(r + 8, 0);
  }
  A = a;
  HELD_A = 0;
}

/** Area a is about to record: another area's held runs go to that area first. */
@inline function holdFor(a: usize): void {
  if (HELD_A != a) {
    if (HELD_A != 0) flushRecords(true);
    HELD_A = a;
  }
}

/** Area a's histograms exact (its held runs recorded): before the caller reads them. */
export function fbFlush(a: usize): void {
  if (HELD_A == a) flushRecords(true);
}

/** The held runs dropped: the bump region their area lies in is reset (reset_all, reinit). */
export function fbForgetHeld(): void {
  if (HELD_A != 0) flushRecords(false);
}

// ---- the heap of waits: (time, key, vCPU) as f64 triples, least (time, key) first ----
@inline function less(i: u32, j: u32): bool {
  const h = HEAP;
  const ti = load<f64>(h + <usize>i * 24); const tj = load<f64>(h + <usize>j * 24);
  return ti < tj || (ti == tj && load<f64>(h + <usize>i * 24 + 8) < load<f64>(h + <usize>j * 24 + 8));
}

@inline function swap(i: u32, j: u32): void {
  const pi = HEAP + <usize>i * 24; const pj = HEAP + <usize>j * 24;
  const t = load<f64>(pi); const k = load<f64>(pi + 8); const v = load<u32>(pi + 16);
  store<f64>(pi, load<f64>(pj)); store<f64>(pi + 8, load<f64>(pj + 8)); store<u32>(pi + 16, load<u32>(pj + 16));
  store<f64>(pj, t); store<f64>(pj + 8, k); store<u32>(pj + 16, v);
}

function heapPush(t: f64, k: f64, v: u32): void {
  let i = HN;
  HN = i + 1;
  const p = HEAP + <usize>i * 24;
  store<f64>(p, t); store<f64>(p + 8, k); store<u32>(p + 16, v);
  while (i > 0) {
    const up = (i - 1) >> 1;
    if (!less(i, up)) break;
    swap(i, up);
    i = up;
  }
}

/** The heap's entry of vCPU v: its index, or -1 (its (t, k) into FB_OUT_T/K when found). */
function heapFind(v: u32): i32 {
  for (let i: u32 = 0; i < HN; i++) {
    const p = HEAP + <usize>i * 24;
    if (load<u32>(p + 16) == v) {
      setHdr(A, FB_OUT_T, load<f64>(p)); setHdr(A, FB_OUT_K, load<f64>(p + 8));
      return <i32>i;
    }
  }
  return -1;
}

/** The heap's entry at i leaves: the last takes its place and sifts up or down. */
function heapRemove(at: u32): void {
  const n = HN - 1;
  HN = n;
  if (at == n) return;
  swap(at, n);
  let i = at;
  while (i > 0) {
    const up = (i - 1) >> 1;
    if (!less(i, up)) break;
    swap(i, up);
    i = up;
  }
  siftDown(i, n);
}

/** The entry at i moves down among the first n until neither child is less. */
@inline function siftDown(at: u32, n: u32): void {
  let i = at;
  for (;;) {
    const l: u32 = 2 * i + 1;
    if (l >= n) break;
    let c = l;
    if (l + 1 < n && less(l + 1, l)) c = l + 1;
    if (!less(c, i)) break;
    swap(i, c);
    i = c;
  }
}

function heapPop(): void {
  const n = HN - 1;
  HN = n;
  if (n == 0) return;
  swap(0, n);
  siftDown(0, n);
}

// ---- the queues of waits (see Q_EXIT): per queue its head and length (u32) and its length of wait (f64, -1 unassigned) ----
function loadQueues(a: usize): void {
  QM = queuesAt(a, NV);
  QH = headsAt(a, NV);
  QR = ringsAt(a, NV);
  QL = listAt(a, NV);
  QN = <u32>hdr(a, FB_QUEUED_N);
  CPUS = hdr(a, FB_CPUS) != 0;
  FREE = hdr(a, FB_CPU_FREE);
  RQ = runQueueAt(a, NV);
  RQH = <u32>hdr(a, FB_RQ_HEAD);
  RQN = <u32>hdr(a, FB_RQ_LEN);
}

function saveQueues(a: usize): void {
  setHdr(a, FB_HEAP_N, <f64>HN);
  setHdr(a, FB_QUEUED_N, <f64>QN);
  setHdr(a, FB_CPU_FREE, FREE);
  setHdr(a, FB_RQ_HEAD, <f64>RQH);
  setHdr(a, FB_RQ_LEN, <f64>RQN);
}

/** Queue a's head comes before queue b's (an empty queue's head is at +Infinity). */
@inline function qLess(a: u32, b: u32): bool {
  const ha = QH + (<usize>a << 4);
  const hb = QH + (<usize>b << 4);
  const ta = load<f64>(ha);
  const tb = load<f64>(hb);
  return ta < tb || (ta == tb && load<f64>(ha + 8) < load<f64>(hb + 8));
}

@inline function qNext(q: i32): i32 { return load<i32>(QL + (<usize>q << 3)); }
@inline function qPrev(q: i32): i32 { return load<i32>(QL + (<usize>q << 3) + 4); }
@inline function setNext(q: i32, x: i32): void { store<i32>(QL + (<usize>q << 3), x); }
@inline function setPrev(q: i32, x: i32): void { store<i32>(QL + (<usize>q << 3) + 4, x); }
@inline function qFirst(): i32 { return load<i32>(QL + (<usize>NQ << 3)); }
@inline function setFirst(q: i32): void { store<i32>(QL + (<usize>NQ << 3), q); }

/** Queue q out of the list. */
function listRemove(q: i32): void {
  const p = qPrev(q);
  const n = qNext(q);
  if (p >= 0) setNext(p, n);
  else setFirst(n);
  if (n >= 0) setPrev(n, p);
}

/** Queue q (out of the list) into it after p (-1: at the front). */
@inline function listInsertAfter(q: i32, p: i32): void {
  const n = p >= 0 ? qNext(p) : qFirst();
  setPrev(q, p);
  setNext(q, n);
  if (p >= 0) setNext(p, q);
  else setFirst(q);
  if (n >= 0) setPrev(n, q);
}

/** Queue q (out of the list, non-empty) into its place, walking from after p (-1: from the front). */
function listPlace(q: i32, p: i32): void {
  let x = p >= 0 ? qNext(p) : qFirst();
  while (x >= 0 && qLess(<u32>x, <u32>q)) {
    p = x;
    x = qNext(x);
  }
  listInsertAfter(q, p);
}

/** Queue q's head rose (still non-empty): it moves back past the heads now before it. */
function listRaised(q: i32): void {
  const n = qNext(q);
  if (n < 0 || qLess(<u32>q, <u32>n)) return;
  listRemove(q);
  listPlace(q, n);
}

/** v's wait ending at (t, k) into queue q, behind every wait there (which all end no later). */
function qPush(q: i32, t: f64, k: f64, v: u32): void {
  const m = QM + (<usize>q << 4);
  const head = load<u32>(m);
  const n = load<u32>(m + 4);
  let i = head + n;
  if (i >= NV) i -= NV;
  const r = QR + (<usize>(<u32>q * NV + i)) * 24;
  store<f64>(r, t); store<f64>(r + 8, k); store<u32>(r + 16, v);
  store<u32>(m + 4, n + 1);
  if (n == 0) {
    const h = QH + (<usize>q << 4);
    store<f64>(h, t); store<f64>(h + 8, k);
    listPlace(q, -1);
  }
  QN += 1;
}

/** A wait left queue q, which holds n from ring slot head: its head's (t, k) again (+Infinity when empty) and its place in the list. */
@inline function waitLeft(q: i32, head: u32, n: u32): void {
  const h = QH + (<usize>q << 4);
  if (n == 0) {
    store<f64>(h, Infinity);
    listRemove(q);
  } else {
    const r = QR + (<usize>(<u32>q * NV + head)) * 24;
    store<f64>(h, load<f64>(r)); store<f64>(h + 8, load<f64>(r + 8));
    listRaised(q);
  }
  QN -= 1;
}

/** Queue q's head (non-empty) leaves; the next becomes its head. */
function qPop(q: i32): void {
  const m = QM + (<usize>q << 4);
  let head = load<u32>(m) + 1;
  if (head >= NV) head = 0;
  const n = load<u32>(m + 4) - 1;
  store<u32>(m, head);
  store<u32>(m + 4, n);
  waitLeft(q, head, n);
}

/** The queue for getPfn's waits of length ns (its own once assigned), or -1: the heap. */
function varQueue(ns: f64): i32 {
  for (let q = Q_VAR; q < NQ; q++) {
    const d = QM + (<usize>q << 4) + 8;
    const x = load<f64>(d);
    if (x == ns) return q;
    if (x < 0) {
      store<f64>(d, ns);
      return q;
    }
  }
  return -1;
}

/** v's wait ending at t, keyed next from the counter, into queue q (or the heap when q < 0). */
@inline function schedule(q: i32, t: f64, v: u32): void {
  if (q >= 0) qPush(q, t, SEQ, v);
  else heapPush(t, SEQ, v);
  SEQ += 1;
}

// The least owned wait (findMin sets them): its time, key and where it is.
let MIN_T: f64 = 0;
let MIN_K: f64 = 0;
let MIN_Q: i32 = 0;

/** The least (time, key) of the queues' heads and the heap's top; MIN_T is +Infinity when nothing waits. */
function findMin(): void {
  const q = qFirst();
  let bt = Infinity;
  let bk = Infinity;
  if (q >= 0) {
    const h = QH + (<usize>q << 4);
    bt = load<f64>(h);
    bk = load<f64>(h + 8);
  }
  let bq = q;
  if (HN > 0) {
    const t = load<f64>(HEAP);
    if (t < bt || (t == bt && load<f64>(HEAP + 8) < bk)) {
      bt = t;
      bk = load<f64>(HEAP + 8);
      bq = IN_HEAP;
    }
  }
  MIN_T = bt; MIN_K = bk; MIN_Q = bq;
}

/** The least time among the owned waits (+Infinity when none). */
@inline function minTime(): f64 {
  const q = qFirst();
  const t = q >= 0 ? load<f64>(QH + (<usize>q << 4)) : Infinity;
  return HN > 0 ? min(t, load<f64>(HEAP)) : t;
}

function useArea(a: usize): void {
  holdFor(a);
  A = a;
  NV = <u32>hdr(a, FB_NV);
  HEAP = heapAt(a, NV);
  HN = <u32>hdr(a, FB_HEAP_N);
  loadQueues(a);
}

/** Waits owned; the earliest one's time and key into FB_TOP_T, FB_TOP_K (+Infinity when none). */
export function fbTop(a: usize): u32 {
  useArea(a);
  findMin();
  setHdr(a, FB_TOP_T, MIN_T);
  setHdr(a, FB_TOP_K, MIN_K);
  return HN + QN;
}

/**
 * vCPU v of VM vm (its index in the area) joins at the start of a fault on gfn at time now (its exit charge ends at now + exit
 * with key `key`, taken by the caller from the engine's counter; or, not inOrder, the fault began at now and the engine had keyed its exit's end): `left` accesses after this
 * one, on the gfns from gfn + 1 up; the slot from gfnBase maps gfn to index + (gfn - gfnBase) of
 * page cache pc, and a huge folio maps at 2 MiB where its block lies in [hugeFirst, hugeEnd)
 * (the caller's answer to disallow_lpage for this run's blocks: the slot, its alignment, the
 * attributes).
 */
export function fbJoin(a: usize, v: u32, vm: u32, gfn: f64, left: f64, gfnBase: f64, indexBase: f64, pc: u32, now: f64, key: f64,
  hugeFirst: f64, hugeEnd: f64, inOrder: bool, sharedStart: f64, sharedEnd: f64): void {
  const p = vAt(a, v);
  // What it converted before was told to the caller when it left (its fold).
  if (vU(p, V_CONV_APPLIED) != vU(p, V_CONV_DONE)) unreachable();
  vUSet(p, V_SHARED, <u32>sharedStart);
  vUSet(p, V_SHARED_END, <u32>sharedEnd);
  vUSet(p, V_CONV_DONE, <u32>sharedStart);
  vUSet(p, V_CONV_APPLIED, <u32>sharedStart);
  vUSet(p, V_RETRIES, 0);
  vUSet(p, V_GRANTED, G_FAULT);
  if (sharedEnd > sharedStart) mSet(vmAt(a, <u32>hdr(a, FB_NV), vm), FB_M_SOLO, <f64>v);
  vUSet(p, V_VM, vm);
  vUSet(p, V_PT, <u32>mGet(vmAt(a, <u32>hdr(a, FB_NV), vm), FB_M_PT));
  vUSet(p, V_HUGE_FIRST, <u32>hugeFirst);
  vUSet(p, V_HUGE_END, <u32>hugeEnd);
  vUSet(p, V_GFN, <u32>gfn);
  vUSet(p, V_LEFT, <u32>left);
  vUSet(p, V_INDEX_OFF, <u32>indexBase - <u32>gfnBase);
  vUSet(p, V_HUGE_INDEX, NO_INDEX);
  vUSet(p, V_BLOCK, 0xffffffff);
  vUSet(p, V_PC, pc);
  vFSet(p, V_T0, now);
  vUSet(p, V_PHASE, PH_EXIT);
  useArea(a);
  // Joins take keys from the engine's counter as it moves: in key order with the batch's own. A
  // fault taken over in its exit charge (not inOrder) keeps the key the engine gave it: the heap.
  if (inOrder) qPush(Q_EXIT, now + hdr(a, FB_EXIT_NS), key, v);
  else heapPush(now + hdr(a, FB_EXIT_NS), key, v);
  // It ran in the engine until now, on a CPU.
  vUSet(p, V_OUTSIDE, 0);
  vUSet(p, V_ONCPU, 1);
  saveQueues(a);
}

/** Queue q's wait of vCPU v leaves (the waits behind it move up): true, its (t, k) in FB_OUT_T/K; false when v has none there. */
function qRemove(q: i32, v: u32): bool {
  const m = QM + (<usize>q << 4);
  const head = load<u32>(m);
  const n = load<u32>(m + 4);
  let j: u32 = 0;
  for (; j < n; j++) {
    const r = QR + (<usize>(<u32>q * NV + (head + j) % NV)) * 24;
    if (load<u32>(r + 16) == v) {
      setHdr(A, FB_OUT_T, load<f64>(r)); setHdr(A, FB_OUT_K, load<f64>(r + 8));
      break;
    }
  }
  if (j == n) return false;
  for (; j + 1 < n; j++) {
    const r = QR + (<usize>(<u32>q * NV + (head + j) % NV)) * 24;
    const s = QR + (<usize>(<u32>q * NV + (head + j + 1) % NV)) * 24;
    store<f64>(r, load<f64>(s)); store<f64>(r + 8, load<f64>(s + 8)); store<u32>(r + 16, load<u32>(s + 16));
  }
  store<u32>(m + 4, n - 1);
  waitLeft(q, head, n - 1);
  return true;
}

/**
 * Where vCPU v is, for its VM's leaving the batch (fbLeave): -1 outside; 1 waiting in its exit
 * charge, holding nothing (FB_OUT_T: when the charge ends); 2 at a scheduling point (its sleep,
 * the run queue, or handed a CPU for its next access); 0 in a fault past its exit.
 */
export function fbState(a: usize, v: u32): i32 {
  useArea(a);
  const p = vAt(a, v);
  if (vU(p, V_OUTSIDE) != 0) return -1;
  const ph = <u32>vU(p, V_PHASE);
  if (ph == PH_SLEEP || ph == PH_RUN) return 2;
  if (ph != PH_EXIT) return 0;
  const m = QM + (<usize>Q_EXIT << 4);
  const head = load<u32>(m);
  const n = load<u32>(m + 4);
  for (let j: u32 = 0; j < n; j++) {
    const r = QR + (<usize>(<u32>Q_EXIT * NV + (head + j) % NV)) * 24;
    if (load<u32>(r + 16) == v) {
      setHdr(a, FB_OUT_T, load<f64>(r));
      return 1;
    }
  }
  // A fault taken over in its exit charge waits in the heap (fbJoin, not inOrder).
  if (heapFind(v) < 0) unreachable();
  return 1;
}

/**
 * vCPU v leaves the batch (its VM does: the engine is to run one of its vCPUs' memory-fault
 * exits). `handOver` (v waits in its exit charge, fbState 1): its wait leaves the batch, and
 * FB_OUT_T, FB_OUT_K, FB_OUT_GFN and FB_OUT_T0 say where the engine's machine resumes its fault.
 * Otherwise v finishes the access it is in here and leaves at its scheduling point, or at once
 * if it is at one.
 */
export function fbLeave(a: usize, v: u32, handOver: bool): void {
  useArea(a);
  const p = vAt(a, v);
  if (handOver) {
    if (!qRemove(Q_EXIT, v)) {
      const i = heapFind(v);
      if (i < 0) unreachable();
      heapRemove(<u32>i);
    }
    vUSet(p, V_OUTSIDE, 1);
    setHdr(a, FB_OUT_V, <f64>v);
    setHdr(a, FB_OUT_GFN, vU(p, V_GFN));
    setHdr(a, FB_OUT_T0, vF(p, V_T0));
    setHdr(a, FB_OUT_RETRIES, <f64>vU(p, V_RETRIES));
  } else {
    vUSet(p, V_LEFT, 0);
  }
  saveQueues(a);
}

/** vCPU v is outside the batch (the engine runs it). */
export function fbOutside(a: usize, v: u32): bool { return vU(vAt(a, v), V_OUTSIDE) != 0; }

// ---- the CPUs (engine/cpus.ts Cpus, while the batch owns them) ----

/** v waits in the run queue from t (no CPU was free). */
function rqPush(v: u32, t: f64): void {
  let i = RQH + RQN;
  if (i >= NV) i -= NV;
  store<u32>(RQ + (<usize>i << 2), v);
  RQN += 1;
  vFSet(vAt(A, v), V_RQ_SINCE, t);
}

/** The run queue's head (RQN > 0) is in the batch, with accesses left: a CPU given up goes to it as a wait of the batch's (cpuRelease -2). */
@inline function rqHeadInside(): bool {
  const h = vAt(A, load<u32>(RQ + (<usize>RQH << 2)));
  return vU(h, V_OUTSIDE) == 0 && <i32>vU(h, V_LEFT) > 0;
}

/**
 * A CPU given up at t (Cpus.release): the run queue's head gets it, its wait recorded, else the
 * CPU is free. Returns -1 (free), -2 (a vCPU of the batch resumes, keyed SEQ, taken: its wait
 * queued, or with `chain` its next access the very next event, CHAIN), or the head when it is
 * outside the batch (the engine runs it; no key taken).
 */
function cpuRelease(t: f64, chain: bool = false): i32 {
  if (RQN == 0) {
    FREE += 1;
    return -1;
  }
  const v = load<u32>(RQ + (<usize>RQH << 2));
  RQH = RQH + 1 >= NV ? 0 : RQH + 1;
  RQN -= 1;
  const p = vAt(A, v);
  record(FB_HIST_RQ, t - vF(p, V_RQ_SINCE));
  vUSet(p, V_ONCPU, 1);
  if (vU(p, V_OUTSIDE) != 0) return <i32>v;
  if (vU(p, V_LEFT) == 0) {
    // It left the batch (fbLeave) while it waited: the engine runs its next access.
    vUSet(p, V_OUTSIDE, 1);
    return <i32>v;
  }
  vUSet(p, V_PHASE, PH_RUN);
  if (chain) {
    CHAIN = <i32>v;
    CHAIN_T = t;
    CHAIN_K = SEQ;
    SEQ += 1;
  } else schedule(Q_SLEEP, t, v);
  return -2;
}

/** The CPU model on, with `free` CPUs free and nothing queued; every vCPU outside, off CPU. */
export function fbSetCpus(a: usize, free: f64): void {
  setHdr(a, FB_CPUS, 1);
  setHdr(a, FB_CPU_FREE, free);
  const nv = <u32>hdr(a, FB_NV);
  for (let v: u32 = 0; v < nv; v++) {
    vUSet(vAt(a, v), V_OUTSIDE, 1);
    vUSet(vAt(a, v), V_ONCPU, 0);
  }
}

/** vCPU v (outside the batch) holds a CPU (onCpu) or waits in the run queue since t (the engine's queue, taken over in order). */
export function fbSetCpu(a: usize, v: u32, onCpu: bool, queuedSince: f64): void {
  useArea(a);
  if (onCpu) vUSet(vAt(a, v), V_ONCPU, 1);
  else if (queuedSince >= 0) rqPush(v, queuedSince);
  saveQueues(a);
}

/** vCPU v, outside the batch, wants a CPU at t (Cpus.take): 1 when it got one, 0 when it waits in the run queue. */
export function fbTake(a: usize, v: u32, t: f64): u32 {
  useArea(a);
  let got: u32 = 0;
  if (FREE > 0) {
    FREE -= 1;
    vUSet(vAt(a, v), V_ONCPU, 1);
    got = 1;
  } else rqPush(v, t);
  saveQueues(a);
  return got;
}

/** vCPU v, outside the batch, gives its CPU up at t (Cpus.release), `key` the engine's next: cpuRelease's answer. */
export function fbRelease(a: usize, v: u32, t: f64, key: f64): i32 {
  useArea(a);
  vUSet(vAt(a, v), V_ONCPU, 0);
  SEQ = key;
  const r = cpuRelease(t);
  saveQueues(a);
  return r;
}

/** Nobody waits in the run queue (Cpus.idleQueue). */
export function fbIdleQueue(a: usize): bool { return hdr(a, FB_RQ_LEN) == 0; }

/**
 * The j-th vCPU of the dirty list, its counts since the last fold (FB_V_STARTED..) copied to
 * FB_COUNTS.. and zeroed, its place in the list given up (the caller zeroes FB_DIRTY_N after).
 */
export function fbTakeDirty(a: usize, j: u32): u32 {
  const v = load<u32>(dirtyAt(a, <u32>hdr(a, FB_NV)) + (<usize>j << 2));
  const p = vAt(a, v);
  vUSet(p, V_DIRTY, 0);
  for (let i = 0; i < 5; i++) {
    setHdr(a, FB_COUNTS + i, <f64>vC(p, FB_V_STARTED + i));
    vCSet(p, FB_V_STARTED + i, 0);
  }
  // The gfns it converted to private since: [FB_COUNTS + 5, FB_COUNTS + 6).
  setHdr(a, FB_COUNTS + 5, <f64>vU(p, V_CONV_APPLIED));
  setHdr(a, FB_COUNTS + 6, <f64>vU(p, V_CONV_DONE));
  vUSet(p, V_CONV_APPLIED, vU(p, V_CONV_DONE));
  return v;
}


function gaugePoint(t: f64, len: f64): void {
  const a = A;
  const n = GAUGE_N;
  const g = gaugeAt(a) + (<usize>n << 4);
  store<f64>(g, t); store<f64>(g + 8, len);
  GAUGE_N = n + 1;
}

/** VM m's mmu_lock queue head(s) proceed while the lock allows (RwLock.advance): each granted after the cache line. */
function advance(m: usize, t: f64): void {
  const q = m + (<usize>M_SLOTS << 3);
  let moved = false;
  while (mGet(m, M_QLEN) > 0 && mGet(m, M_WRITER) < 0) {
    const head = <u32>mGet(m, M_QHEAD);
    const h = <u32>load<f64>(q + (<usize>head << 3));
    if (WRITE && mGet(m, M_READERS) != 0) break;
    mSet(m, M_QHEAD, <f64>((head + 1) % NV));
    mSet(m, M_QLEN, mGet(m, M_QLEN) - 1);
    if (WRITE) mSet(m, M_WRITER, <f64>h);
    else mSet(m, M_READERS, mGet(m, M_READERS) + 1);
    vUSet(vAt(A, h), V_PHASE, PH_GRANT);
    schedule(Q_GRANT, t + GRANT_NS, h);
    moved = true;
    if (WRITE) break;
  }
  if (moved) gaugePoint(t, mGet(m, M_QLEN));
}

/** VM m's mmu_lock taken at t after waiting w (0: at once): counted, the hold begins. */
@inline function taken(m: usize, p: usize, t: f64, w: f64): void {
  MMU_ACQ += 1;
  record(FB_HIST_MMU_WAIT, w);
  if (w > 0) vFSet(p, V_LOCK_WAIT, vF(p, V_LOCK_WAIT) + w);
  if (WRITE) mSet(m, M_WRITE_START, t);
  else vFSet(p, V_LOCK_T, t);
}

/**
 * A wait ending at t2 is the very next event (before every owned wait, strictly, as it would
 * take the newest key; before the engine's next event; within the limit): it runs in place,
 * as the engine's run-ahead runs a compute or sleep whose end is next.
 */
@inline function ahead(t2: f64): bool {
  return t2 <= LIMIT && t2 < H_T && t2 < minTime();
}

/** JavaScript's Math.round for x >= 0: the nearest integer, halves up. */
@inline function jsRound(x: f64): f64 {
  const r = Math.floor(x);
  return x - r >= 0.5 ? r + 1 : r;
}

/** mmu_lock is free for a writer: no holder, nobody queued. */
@inline function writeFree(m: usize): bool {
  return mGet(m, M_QLEN) == 0 && mGet(m, M_WRITER) < 0 && mGet(m, M_READERS) == 0;
}

/** v queues for VM m's mmu_lock at t (contended: FIFO, the CPU kept, spinning), its grant to resume g (G_*). */
function lockQueue(m: usize, p: usize, v: u32, t: f64, g: u32): void {
  addHdr(A, FB_MMU_CONTENDED, 1);
  const tail = (<u32>mGet(m, M_QHEAD) + <u32>mGet(m, M_QLEN)) % NV;
  store<f64>(m + (<usize>M_SLOTS << 3) + (<usize>tail << 3), <f64>v);
  mSet(m, M_QLEN, mGet(m, M_QLEN) + 1);
  vFSet(p, V_LOCK_T, t);
  vUSet(p, V_GRANTED, g);
  vUSet(p, V_PHASE, PH_QUEUED);
  gaugePoint(t, mGet(m, M_QLEN));
}

/** A conversion took VM m's mmu_lock for write at t after waiting w: counted (not a fault's wait), its hold begins. */
@inline function takenConv(m: usize, v: u32, t: f64, w: f64): void {
  mSet(m, M_WRITER, <f64>v);
  MMU_ACQ += 1;
  record(FB_HIST_MMU_WAIT, w);
  mSet(m, M_WRITE_START, t);
}

/** KVM_MMU_UNLOCK of a write hold at t: recorded, the queue's head let in; never at or past a leaving VM's deadline (see PH_MAP). */
function writeUnlock(m: usize, t: f64): void {
  if (t >= mGet(m, FB_M_DEADLINE)) unreachable();
  record(FB_HIST_MMU_HOLD, t - mGet(m, M_WRITE_START));
  mSet(m, M_WRITER, -1);
  if (mGet(m, M_QLEN) > 0) advance(m, t);
}

/** An event into the ring of the last ones (FB_TRAIL_CAP): its time and code (a map: the vCPU; else TRAIL_RETRY's and TRAIL_SET_ATTR's code). */
@inline function trailEvent(t: f64, code: f64): void {
  const n = TRAIL_N;
  const tr = trailAt(A) + (<usize>(n % FB_TRAIL_CAP) << 4);
  store<f64>(tr, t); store<f64>(tr + 8, code);
  TRAIL_N = n + 1;
}

/** Trail kinds past a map: code = v + nv * (kind + 3 * gfn) (sim/actors/fault-batch.ts decodes it). */
const TRAIL_RETRY: f64 = 1; // fault_retry
const TRAIL_SET_ATTR: f64 = 2; // set_mem_attributes of [gfn, gfn + 1) to private

/**
 * kvm_vm_set_mem_attributes' first section under mmu_lock (v10, sim/model/attributes.ts):
 * kvm_mmu_invalidate_begin(gfn, gfn + 1) (in_progress from 0 to 1 resets the range, else it
 * widens), KVM_MMU_UNLOCK; then mutex_lock(kvm->lock), taken at once: no other conversion of
 * the VM runs here (FB_M_SOLO) and nothing else takes it while the VM is in.
 */
function convBegin(m: usize, gfn: f64, t: f64): void {
  mSet(m, FB_M_STATE_MOVED, 1);
  const n = mGet(m, FB_M_INPROG) + 1;
  mSet(m, FB_M_INPROG, n);
  if (n == 1 || mGet(m, FB_M_RSTART) < 0) {
    mSet(m, FB_M_RSTART, gfn);
    mSet(m, FB_M_REND, gfn + 1);
  } else {
    mSet(m, FB_M_RSTART, min(mGet(m, FB_M_RSTART), gfn));
    mSet(m, FB_M_REND, max(mGet(m, FB_M_REND), gfn + 1));
  }
  writeUnlock(m, t);
  addHdr(A, FB_KVM_ACQ, 1);
}

/** kvm_unmap_gfn_range(gfn, gfn + 1) under mmu_lock: nothing is mapped there (the caller's join checked the segment), so no leaf and no flush. */
@inline function convZap(pt: u32, gfn: u32): void {
  if (eptWalk(pt, gfn) >= 0) unreachable();
}

/** is_page_fault_stale (the retry strategy): in progress with gfn in the range, or the sequence moved since the attempt read it. */
@inline function stale(m: usize, p: usize): bool {
  const gfn = <f64>vU(p, V_GFN);
  if (mGet(m, FB_M_INPROG) != 0 && gfn >= mGet(m, FB_M_RSTART) && gfn < mGet(m, FB_M_REND)) return true;
  return <u32>mGet(m, FB_M_SEQ) != vU(p, V_MMU_SEQ);
}

/**
 * v's fault attempt was stale at t, mmu_lock held for write: KVM_MMU_UNLOCK, folio_put of its
 * page (never the last reference: the page cache holds one, so no charge), fault_retry,
 * srcu_read_unlock; the guest re-enters and faults again (its exit charge next, its start kept).
 */
function staleRetry(m: usize, p: usize, v: u32, t: f64): void {
  writeUnlock(m, t);
  const folio = vU(p, V_FOLIO);
  if (folioRefcount(folio) <= 1) unreachable();
  folioPut(folio);
  trailEvent(t, <f64>v + <f64>NV * (TRAIL_RETRY + 3 * <f64>vU(p, V_GFN)));
  const r = vU(p, V_RETRIES) + 1;
  // More is the engine's livelock report: the caller lets only a bounded number happen here.
  if (r > MAX_RETRIES) unreachable();
  vUSet(p, V_RETRIES, r);
  record(FB_HIST_SRCU_HOLD, t - vF(p, V_SRCU_START));
}

/**
 * An exit charge of v that is not at a scheduling point (a refault after a conversion, a stale
 * retry) while its VM leaves the batch: it is keyed here and handed over in it (FB_HANDOUT),
 * as fbLeave hands over a vCPU in its exit charge. True when so (the caller returns).
 */
@inline function handOutAtExit(m: usize, p: usize, v: u32, t: f64): bool {
  if (vU(p, V_LEFT) != 0 || mGet(m, FB_M_DEADLINE) == Infinity) return false;
  vUSet(p, V_PHASE, PH_EXIT);
  schedule(Q_EXIT, t + EXIT_NS, v);
  HANDOUT = <i32>v;
  WOKE = HANDING_OUT;
  return true;
}

/** A conversion holds mmu_lock at t for g (G_CONV_*): its first section, then kvm->lock's charge (PH_CGFN); or its zap's charge (PH_CZAP). */
@inline function convLocked(m: usize, pt: u32, p: usize, t: f64, g: u32): u32 {
  if (g == G_CONV_BEGIN) {
    convBegin(m, <f64>vU(p, V_GFN), t);
    CONV_NS = CONV_GFN_NS;
    return PH_CGFN;
  }
  convZap(pt, vU(p, V_GFN));
  CONV_NS = CONV_ZAP_NS;
  return PH_CZAP;
}

/** The queue of a wait of length ns whose end runs phase `next` (each phase's wait is of one length but getPfn's). */
@inline function queueOf(next: u32, ns: f64): i32 {
  switch (next) {
    case PH_ATTR: return Q_ATTR;
    case PH_GET: return varQueue(ns);
    case PH_END: return Q_END;
    case PH_MAP: return Q_MAP;
    case PH_SLEEP: return Q_SLEEP;
    case PH_CFIXED: case PH_CGFN: case PH_CZAP: return -1; // a conversion's: rare, the heap
    default: return Q_EXIT;
  }
}

/** convStep's answer when v waits without an entry (mmu_lock's queue) or was handed out: step returns. */
const PH_GONE: u32 = 0;
/** The charge convStep's next phase begins with. */
let CONV_NS: f64 = 0;

/**
 * The phases of a batch that converts (FB_CONV), kept out of step so the faults' path through it
 * stays as it was for every other run: v's phase `ph` at t, returning the phase the next charge
 * (CONV_NS) ends in, PH_GONE when v waits in mmu_lock's queue or was handed out, or PH_ATTR from
 * the attribute lookup when the fault goes on as any other (its getPfn next).
 */
function convStep(v: u32, p: usize, m: usize, pt: u32, ph: u32, t: f64): u32 {
  switch (ph) {
    case PH_ATTR: {
      const gfn = vU(p, V_GFN);
      const done = vU(p, V_CONV_DONE);
      if (gfn - done < vU(p, V_SHARED_END) - done) {
        // kvm_faultin_pfn: a private access to a shared gfn exits to the VMM
        // (KVM_EXIT_MEMORY_FAULT: the fault ends, nothing of it recorded but its retries),
        // srcu_read_unlock; the VMM's kvm_vm_set_mem_attributes(gfn, gfn + 1, private) begins.
        record(FB_HIST_SRCU_HOLD, t - vF(p, V_SRCU_START));
        addHdr(A, FB_EXITS, 1);
        const r = vU(p, V_RETRIES);
        if (r > 0) {
          addHdr(A, FB_RETRIES, <f64>r);
          vUSet(p, V_RETRIES, 0);
        }
        vFSet(p, V_LOCK_WAIT, 0);
        CONV_NS = CONV_FIXED_NS;
        return PH_CFIXED;
      }
      if (PRECHECK && stale(m, p)) {
        // guest_memfd's pre-check: an invalidation in progress over gfn, or one since mmu_seq,
        // and the attempt retries before getPfn (no lock held, no page taken, no trail event).
        const r = vU(p, V_RETRIES) + 1;
        if (r > MAX_RETRIES) unreachable();
        vUSet(p, V_RETRIES, r);
        record(FB_HIST_SRCU_HOLD, t - vF(p, V_SRCU_START));
        return exitCharge(m, p, v, t);
      }
      return PH_ATTR;
    }
    case PH_END: // a fault's attempt took mmu_lock at once: is_page_fault_stale, then the map
      if (!stale(m, p)) {
        CONV_NS = MAP_NS;
        return PH_MAP;
      }
      staleRetry(m, p, v, t);
      return exitCharge(m, p, v, t);
    case PH_GRANT: {
      const g = vU(p, V_GRANTED);
      if (g == G_FAULT) {
        taken(m, p, t, t - vF(p, V_LOCK_T));
        return convStep(v, p, m, pt, PH_END, t);
      }
      takenConv(m, v, t, t - vF(p, V_LOCK_T));
      vUSet(p, V_GRANTED, G_FAULT);
      return convLocked(m, pt, p, t, g);
    }
    case PH_CFIXED:
    case PH_CGFN: {
      // PH_CFIXED: the ioctl's entry done. PH_CGFN: xa_store (the gfn private, the caller's
      // MemAttributes told at the fold), mutex_unlock(kvm->lock). Then KVM_MMU_LOCK for write.
      const g = ph == PH_CFIXED ? G_CONV_BEGIN : G_CONV_ZAP;
      if (g == G_CONV_ZAP) vUSet(p, V_CONV_DONE, vU(p, V_GFN) + 1);
      if (!writeFree(m)) {
        lockQueue(m, p, v, t, g);
        return PH_GONE;
      }
      takenConv(m, v, t, 0);
      return convLocked(m, pt, p, t, g);
    }
    default: {
      // PH_CZAP: kvm_mmu_invalidate_end (seq + 1, in_progress - 1), KVM_MMU_UNLOCK,
      // set_mem_attributes; then the vCPU re-enters the guest and refaults (a new fault).
      const gfn = vU(p, V_GFN);
      mSet(m, FB_M_SEQ, mGet(m, FB_M_SEQ) + 1);
      mSet(m, FB_M_INPROG, mGet(m, FB_M_INPROG) - 1);
      mSet(m, FB_M_STATE_MOVED, 1);
      writeUnlock(m, t);
      trailEvent(t, <f64>v + <f64>NV * (TRAIL_SET_ATTR + 3 * <f64>gfn));
      if (gfn + 1 == vU(p, V_SHARED_END) && mGet(m, FB_M_SOLO) == <f64>v) mSet(m, FB_M_SOLO, -1);
      vFSet(p, V_T0, t);
      return exitCharge(m, p, v, t);
    }
  }
}

/** v's exit charge from t, not at a scheduling point (a refault, a retry): PH_EXIT, or PH_GONE when its VM leaves and it is handed out there. */
function exitCharge(m: usize, p: usize, v: u32, t: f64): u32 {
  if (handOutAtExit(m, p, v, t)) return PH_GONE;
  CONV_NS = EXIT_NS;
  return PH_EXIT;
}

/** v's wait ended at t: its phases until its next wait that is not the very next event. */
function step(v: u32, t: f64): void {
  const a = A;
  const p = vAt(a, v);
  const m = vmAt(a, NV, <u32>vU(p, V_VM));
  const pt = vU(p, V_PT);
  let ph = <u32>vU(p, V_PHASE);
  if (vU(p, V_DIRTY) == 0) {
    // Its counts are about to move: the next fold reads them.
    vUSet(p, V_DIRTY, 1);
    const n = DIRTY_N;
    store<u32>(dirtyAt(a, NV) + (<usize>n << 2), v);
    DIRTY_N = n + 1;
  }
  for (;;) {
    // Each phase sets the wait it ends with: ns (a charge when > 0, or the sleep when `sleeps`) and the phase after it.
    let ns: f64 = 0;
    let next: u32 = 0;
    let sleeps = false;
    switch (ph) {
      case PH_EXIT: {
        // srcu_read_lock: never waits.
        SRCU_ACQ += 1;
        vFSet(p, V_SRCU_START, t);
        // mmu_seq = mmu_invalidate_seq (only conversions here move it).
        if (CONV) vUSet(p, V_MMU_SEQ, <u32>mGet(m, FB_M_SEQ));
        ns = ATTR_NS; next = PH_ATTR;
        break;
      }
      case PH_ATTR: {
        const gfn = vU(p, V_GFN);
        if (CONV) {
          // A shared gfn of its run (a memory-fault exit), or guest_memfd's pre-check stale.
          next = convStep(v, p, m, pt, PH_ATTR, t);
          if (next == PH_GONE) return;
          if (next != PH_ATTR) {
            ns = CONV_NS;
            break;
          }
        }
        const index = gfn + vU(p, V_INDEX_OFF);
        let pfn: i32;
        let order: u32 = 9;
        let hit = true;
        if (index - vU(p, V_HUGE_INDEX) < 512) {
          // In the huge folio its last fault found: the lookup would find it again.
          pfn = <i32>vU(p, V_HUGE_PFN);
        } else {
          pfn = getFolio(vU(p, V_PC), index, POLICY, ISIZE, MT);
          if (pfn < 0) unreachable(); // the caller checked the host's free pages
          order = <u32>gfOrder;
          hit = gfHit;
          if (gfFallback == FALLBACK_OCCUPIED) addHdr(a, FB_FALLBACK_OCCUPIED, 1);
          else if (gfFallback == FALLBACK_NOMEM) addHdr(a, FB_FALLBACK_NOMEM, 1);
          if (order == 9) {
            vUSet(p, V_HUGE_INDEX, index & ~511);
            vUSet(p, V_HUGE_PFN, <u32>pfn);
          }
        }
        folioGet(<u32>pfn);
        vUSet(p, V_FOLIO, pfn);
        const page = <u32>pfn + (index & ((<u32>1 << order) - 1));
        vUSet(p, V_PAGE, page);
        // The getPfn's charge, summed in the binding's order, then rounded as charge rounds it.
        ns = BASE_NS;
        if (LINE_NS > 0 && mGet(m, FB_M_LINE_OWNER) != <f64>v) {
          ns += LINE_NS;
          mSet(m, FB_M_LINE_OWNER, <f64>v);
        }
        if (hit) {
          if (!(folioFlags(<u32>pfn) & FOLIO_UPTODATE)) ns += HIT_CLEAR_NS;
        } else {
          mSet(m, FB_M_LAST_MISS, <f64>v);
          if (order == 0) {
            ns += ALLOC_NS;
            MISSES += 1;
            vCSet(p, FB_V_MISSES, vC(p, FB_V_MISSES) + 1);
            vCSet(p, FB_V_SMALL_AFTER_HUGE, vC(p, FB_V_SMALL_AFTER_HUGE) + 1);
          } else {
            ns += HUGE_NS;
            addHdr(a, FB_MISSES_HUGE, 1);
            vCSet(p, FB_V_MISSES_HUGE, vC(p, FB_V_MISSES_HUGE) + 1);
            vCSet(p, FB_V_SMALL_AFTER_HUGE, 0);
          }
          ns += MISS_CLEAR_NS;
        }
        ns = jsRound(ns);
        folioSetFlags(<u32>pfn, FOLIO_UPTODATE);
        // kvm_mmu_max_mapping_level: a huge folio maps at 2 MiB when the MMU allows it and
        // disallow_lpage does not: its block in the join's bounds (in the slot, the slot aligned,
        // the block's attributes uniform).
        let level: u32 = 1;
        if (order >= 9 && MAX_LEVEL >= 2) {
          const head = gfn - (gfn % 512);
          if (head >= vU(p, V_HUGE_FIRST) && head + 512 <= vU(p, V_HUGE_END)) level = 2;
        }
        vUSet(p, V_LEVEL, level);
        next = PH_GET;
        break;
      }
      case PH_GET: {
        ns = END_NS; next = PH_END;
        break;
      }
      case PH_END: {
        if (mGet(m, M_QLEN) == 0 && mGet(m, M_WRITER) < 0 && (!WRITE || mGet(m, M_READERS) == 0)) {
          if (WRITE) mSet(m, M_WRITER, <f64>v);
          else mSet(m, M_READERS, mGet(m, M_READERS) + 1);
          taken(m, p, t, 0);
          ns = MAP_NS; next = PH_MAP;
          if (CONV) {
            next = convStep(v, p, m, pt, PH_END, t);
            if (next == PH_GONE) return;
            ns = CONV_NS;
          }
          break;
        }
        // Contended: spin in the FIFO queue (the CPU kept) until the head is granted.
        lockQueue(m, p, v, t, G_FAULT);
        return;
      }
      case PH_GRANT: {
        if (CONV) {
          next = convStep(v, p, m, pt, PH_GRANT, t);
          if (next == PH_GONE) return;
          ns = CONV_NS;
          break;
        }
        taken(m, p, t, t - vF(p, V_LOCK_T));
        ns = MAP_NS; next = PH_MAP;
        break;
      }
      case PH_CFIXED:
      case PH_CGFN:
      case PH_CZAP: {
        next = convStep(v, p, m, pt, ph, t);
        if (next == PH_GONE) return;
        ns = CONV_NS;
        break;
      }
      case PH_MAP: {
        const gfn = <u32>vU(p, V_GFN);
        const folio = <u32>vU(p, V_FOLIO);
        const page = <u32>vU(p, V_PAGE);
        const level = <u32>vU(p, V_LEVEL);
        if (level == 1) {
          const block = gfn >> 9;
          if (block == vU(p, V_BLOCK)) eptMap1Into(pt, vU(p, V_TABLE1), gfn, page);
          else {
            let t1 = eptTable1(pt, gfn);
            if (t1 != 0) eptMap1Into(pt, t1, gfn, page);
            else {
              eptMap(pt, gfn, page, 1);
              t1 = eptTable1(pt, gfn);
            }
            if (MAX_LEVEL == 1) {
              vUSet(p, V_BLOCK, block);
              vUSet(p, V_TABLE1, t1);
            }
          }
        } else {
          eptMap(pt, gfn & ~511, page & ~511, 2);
          addHdr(a, FB_FAULTS_2M, 1);
        }
        if (folioRefcount(folio) <= 1) unreachable(); // the page cache holds a reference
        folioPut(folio);
        trailEvent(t, <f64>v);
        // KVM_MMU_UNLOCK: the hold recorded, the queue's head let in. A VM leaving the batch
        // (fbLeave) must be done with mmu_lock before the engine may take it: the caller's bound
        // on what a fault has left after its exit makes that so, and this checks it.
        if (t >= mGet(m, FB_M_DEADLINE)) unreachable();
        if (WRITE) {
          record(FB_HIST_MMU_HOLD, t - mGet(m, M_WRITE_START));
          mSet(m, M_WRITER, -1);
        } else {
          record(FB_HIST_MMU_HOLD, t - vF(p, V_LOCK_T));
          mSet(m, M_READERS, mGet(m, M_READERS) - 1);
        }
        if (mGet(m, M_QLEN) > 0) advance(m, t);
        // The fault is done: its latency and waits, then srcu_read_unlock; the guest exit's sleep(0).
        record(FB_HIST_LATENCY, t - vF(p, V_T0));
        FAULTS += 1;
        if (CONV) {
          // Its stale attempts (fault.retries), only conversions here make any.
          const retries = vU(p, V_RETRIES);
          if (retries > 0) {
            addHdr(a, FB_RETRIES, <f64>retries);
            vUSet(p, V_RETRIES, 0);
          }
        }
        LOCK_WAIT += vF(p, V_LOCK_WAIT);
        vFSet(p, V_LOCK_WAIT, 0);
        record(FB_HIST_SRCU_HOLD, t - vF(p, V_SRCU_START));
        vCSet(p, FB_V_COMPLETED, vC(p, FB_V_COMPLETED) + 1);
        sleeps = true; next = PH_SLEEP;
        break;
      }
      case PH_SLEEP: {
        // Woken: a CPU taken at once (a zero run-queue delay), or a wait in the run queue.
        if (CPUS && vU(p, V_ONCPU) == 0) {
          if (FREE == 0) {
            vUSet(p, V_PHASE, PH_SLEEP); // (its sleep may have ended in place)
            rqPush(v, t);
            return;
          }
          FREE -= 1;
          vUSet(p, V_ONCPU, 1);
        }
        RQ_ZERO += 1;
        ph = PH_RUN;
        continue;
      }
      case PH_RUN: {
        // On a CPU: the next access (a vCPU with none left ended before this).
        vUSet(p, V_LEFT, vU(p, V_LEFT) - 1);
        vCSet(p, FB_V_STARTED, vC(p, FB_V_STARTED) + 1);
        const gfn = vU(p, V_GFN) + 1;
        vUSet(p, V_GFN, gfn);
        if (gfn >> 9 == vU(p, V_BLOCK)
          ? (load<u32>(chunkAddr(vU(p, V_TABLE1)) + (<usize>(gfn & 511) << 2)) & E_LEAF) != 0
          : eptWalkHinted(pt, gfn) >= 0) {
          addHdr(a, FB_MAPPED_ACCESSES, 1);
          vCSet(p, FB_V_COMPLETED, vC(p, FB_V_COMPLETED) + 1);
          sleeps = true; next = PH_SLEEP;
          break;
        }
        vFSet(p, V_T0, t);
        ns = EXIT_NS; next = PH_EXIT;
        break;
      }
      default:
        unreachable();
    }
    if (!sleeps && ns <= 0) { ph = next; continue; } // a charge of 0 goes straight on
    const t2 = t + ns;
    // The last scheduling point always goes through the heap: fbRun hands it to the engine. A
    // sleep with someone in the run queue gives the CPU to them (Simulation.sleepInPlace): its
    // wake is keyed, then the head's (cpuRelease), and it ends here only when that head is one
    // of the batch's own (an outside one is the engine's to run, FB_WAKE); the head's next
    // access, keyed after it and at the same time, is then the very next event (CHAIN).
    if (ahead(t2) && !(sleeps && (vU(p, V_LEFT) == 0 || (RQN > 0 && (CHAIN >= 0 || !rqHeadInside()))))) {
      if (sleeps && RQN > 0) {
        SEQ += 1; // the wake's key, as if queued
        vUSet(p, V_ONCPU, 0);
        if (cpuRelease(t2, true) != -2) unreachable();
      }
      EVENTS += 1;
      LAST_T = t2;
      t = t2;
      ph = next;
      continue;
    }
    vUSet(p, V_PHASE, next);
    schedule(queueOf(next, ns), t2, v);
    if (sleeps && CPUS) {
      // The sleep gives the CPU up after its wake is keyed (Simulation.step, then offCpu).
      vUSet(p, V_ONCPU, 0);
      const w = cpuRelease(t2);
      if (w >= 0) {
        WOKE = w;
        WOKE_T = t2;
        WOKE_K = SEQ;
        SEQ += 1;
      }
    }
    return;
  }
}

/**
 * v's wait ends at t: counted and run. FB_DONE to go on; FB_WAKE when it handed a CPU to a vCPU
 * outside (FB_OUT_V/T/K: the engine runs that one next); FB_HANDOUT when a vCPU of a leaving VM
 * is to be handed over in its exit charge (FB_OUT_V).
 */
@inline function endWait(a: usize, v: u32, t: f64): u32 {
  EVENTS += 1;
  LAST_T = t;
  step(v, t);
  if (WOKE < 0) return FB_DONE;
  if (WOKE == HANDING_OUT) {
    setHdr(a, FB_OUT_V, <f64>HANDOUT);
    HANDOUT = -1;
    WOKE = -1;
    return FB_HANDOUT;
  }
  setHdr(a, FB_OUT_V, <f64>WOKE); setHdr(a, FB_OUT_T, WOKE_T); setHdr(a, FB_OUT_K, WOKE_K);
  WOKE = -1;
  return FB_WAKE;
}

/**
 * Run the owned waits in key order while the earliest comes before the engine's next event
 * (FB_HORIZON_T/K, ties by key) and not after FB_LIMIT_T. Counts the waits ended (FB_EVENTS)
 * and the last one's time (FB_LAST_T); FB_STATUS says why it stopped; FB_TOP_T/K the next wait.
 */
export function fbRun(a: usize): void {
  load_(a);
  let status = FB_DONE;
  for (;;) {
    if (CHAIN >= 0) {
      // Before every owned wait, the horizon and the limit (step checked them at the sleep).
      const w = <u32>CHAIN;
      CHAIN = -1;
      if (GAUGE_N + NV + 1 >= FB_GAUGE_CAP) {
        qPush(Q_SLEEP, CHAIN_T, CHAIN_K, w);
        status = FB_GAUGE_FULL;
        break;
      }
      const e = endWait(a, w, CHAIN_T);
      if (e != FB_DONE) { status = e; break; }
      continue;
    }
    findMin();
    const t = MIN_T;
    const k = MIN_K;
    if (t == Infinity) break;
    if (!(t < H_T || (t == H_T && k < H_K)) || t > LIMIT) break;
    if (GAUGE_N + NV + 1 >= FB_GAUGE_CAP) { status = FB_GAUGE_FULL; break; }
    const q = MIN_Q;
    let v: u32;
    if (q == IN_HEAP) {
      v = load<u32>(HEAP + 16);
      heapPop();
    } else {
      v = load<u32>(QR + (<usize>(<u32>q * NV + load<u32>(QM + (<usize>q << 4)))) * 24 + 16);
      qPop(q);
    }
    const p = vAt(a, v);
    if (<u32>vU(p, V_PHASE) == PH_RUN && vU(p, V_LEFT) == 0) {
      // Handed a CPU before it left the batch (fbLeave): the engine runs its next access.
      vUSet(p, V_OUTSIDE, 1);
      setHdr(a, FB_OUT_V, <f64>v); setHdr(a, FB_OUT_T, t); setHdr(a, FB_OUT_K, k);
      status = FB_ENDED;
      break;
    }
    if (<u32>vU(p, V_PHASE) == PH_SLEEP && vU(p, V_LEFT) == 0) {
      // The last access's scheduling point: the engine ends the loop, on a CPU.
      vUSet(p, V_OUTSIDE, 1);
      if (CPUS) {
        if (FREE == 0) {
          // It waits for a CPU; the engine runs it when one is given up (FB_WAKE).
          rqPush(v, t);
          EVENTS += 1;
          LAST_T = t;
          continue;
        }
        FREE -= 1;
        vUSet(p, V_ONCPU, 1);
        RQ_ZERO += 1;
      }
      setHdr(a, FB_OUT_V, <f64>v); setHdr(a, FB_OUT_T, t); setHdr(a, FB_OUT_K, k);
      status = FB_ENDED;
      break;
    }
    const e = endWait(a, v, t);
    if (e != FB_DONE) { status = e; break; }
  }
  save_();
  setHdr(a, FB_STATUS, <f64>status);
  // The next owned wait, for the caller's entry in the engine (fbTop without another call).
  findMin();
  setHdr(a, FB_TOP_T, MIN_T);
  setHdr(a, FB_TOP_K, MIN_K);
}
