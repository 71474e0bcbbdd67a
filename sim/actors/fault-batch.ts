// Horizon batching of first-touch faults inside WASM (DESIGN.md principle 6, issue 17): once
// the only live processes are booting vCPUs (VcpuLoop, sequential first touch, of one VM or
// several), each VM joins the batch when all its vCPUs hold nothing, and from then on its
// vCPUs' faults run in wasm/fault-batch.ts under one scheduler keyed as the engine's heap
// (time, then sequence numbers from the engine's counter, taken in the order the engine would
// take them). With a CPU model the batch also owns the host's CPUs (free count and run queue)
// until the last seat has ended, so more vCPUs than CPUs take turns at each guest exit as in
// the engine. One timer entry stands in the engine's heap at the earliest owned wait's exact
// key; dispatched, the batch runs the owned waits while they come before the engine's next
// event and within the run's `until`, then folds what the engine may see next (see fold and
// foldSums). A vCPU is handed back to the engine at a scheduling point: at its last access's,
// where its loop ends as it would have, or before a gfn that is not private, where its VM leaves
// the batch (vmOut): the memory-fault exit, the VMM's conversion and the refault run in the
// model's machines, and the VM joins again (vmJoin) when its vCPUs hold nothing. Where faults and
// conversions both write mmu_lock and leaves are 4 KiB (convertsHere: v10 or guest_memfd under
// the shadow MMU) one vCPU of a VM at a time may instead take its run of shared gfns
// into the batch (sharedSegment): each one's exit, one-page conversion and refault run there,
// and its mates' faults retry when a conversion makes them stale, as is_page_fault_stale has
// them; a mate that meets a shared gfn meanwhile makes the VM leave, and a vCPU then between a
// conversion and its refault, or a stale attempt and its retry, goes to the engine in that exit
// charge (handOut).
//
// Why only then: with no other actor live, and a VM's vCPUs all in the batch or holding
// nothing, nothing can take one of its locks, change its attributes, punch its file or read a
// statistic between two of the batch's phases, so the batch may keep its locks' state
// (kvm->srcu readers, mmu_lock's holder and queue) to itself and fold its counts later. A VM
// leaves only when the engine's first touch of it (a vCPU's exit charge away) comes after every
// hold of its mmu_lock in the batch (postExitNs, FB_M.DEADLINE). A run the batch does not run
// (think time, a duration, the safety checker or the tracer, another actor live to the end)
// keeps every fault in the model's machines, and `rmsim run` says why (FaultBatchReport).
// What holds the two together: test/golden/batching-identity.test.ts (every built-in
// workload, the same metrics.json bytes with batching on and off) and
// test/actors/fault-batch.test.ts (the batch's shapes, and the cases it must refuse).
import { ProcState } from '../engine/process.js';
import type { Schedulable } from '../engine/heap.js';
import type { CpuOwner, ModeStats, Process, Simulation, Gauge } from '../engine/index.js';
import { FB, FB_HIST, FB_M, FB_V, type FaultBatchArea } from '../fastpath/index.js';
import { conversionCharges, faultCharges, HPAGE_PMD_NR, lpageMixed, type EventRing, type Host, type Memslot, type PfnBatchPlan, type Vm } from '../model/index.js';
import type { OpsTally } from './ops-tally.js';
import type { Workload } from '../workload/types.js';

/** What the batch needs of a vCPU loop. */
export interface FaultBatchMember {
  /** The VM it touches. */
  readonly batchVm: Vm;
  /**
   * Its accesses as the batch runs them: sequential first touch of consecutive gfns with no
   * think time, private, or null when it is not such a loop.
   */
  batchSlice(): { firstGfn: number; pages: number } | null;
  readonly tally: OpsTally;
  /** Its scheduling point is given back: the loop's next resume is its next access (or its end). */
  batchEnded(): void;
  /** It holds nothing and its next step is an access (before its first, at a scheduling point, or ended). */
  batchClean(): boolean;
  /** The batch hands back its fault on gfn, begun at t0 and found stale `retries` times, in an exit charge: the engine's next resume ends that charge. */
  batchResumeFault(p: Process<void>, gfn: number, t0: number, retries: number): void;
  /** The gfn of the fault it waits in the first exit charge of (the engine runs it), or -1. */
  batchFaultInExit(): number;
  /** When that fault began. */
  readonly batchFaultStart: number;
  /** The batch takes that fault over, and the accesses after it. */
  batchTakeFault(p: Process<void>): void;
}

const enum State { IDLE, ACTIVE, REFUSED }

/**
 * Accesses of private gfns ahead of each of a VM's vCPUs below which the VM does not join the
 * batch (shortRun). Chosen, not fitted, and only speed depends on it: without it, bench e2e (b)
 * at 1/16 joined and left 706,625 times (a VM came in at every page of a chunk its mate
 * converted page by page) and ran 19.2 s; with it, 2,654 times and 16.0 s.
 */
const MIN_RUN = 32;
/** hugeBounds of a misaligned slot: no block lies in it. */
const NO_HUGE = [0, 0] as const;

/** The header's counts foldSums takes (zeroed after it). */
const SUMMED_COUNTS: readonly FB[] = [FB.SRCU_ACQ, FB.MMU_ACQ, FB.MMU_CONTENDED, FB.RQ_ZERO, FB.FAULTS, FB.FAULTS_2M, FB.MAPPED_ACCESSES,
  FB.LOCK_WAIT, FB.MISSES, FB.MISSES_HUGE, FB.FALLBACK_OCCUPIED, FB.FALLBACK_NOMEM, FB.EXITS, FB.RETRIES, FB.KVM_ACQ];

/** One member's place in the batch. */
interface Seat {
  p: Process<void>;
  m: FaultBatchMember;
  slot: Memslot;
  plan: PfnBatchPlan;
  /** The slot disallows huge pages (kvm_alloc_memslot_metadata's alignment test, the binding's). */
  misaligned: boolean;
  /** Its VM's index in the batch. */
  vm: number;
  /** Accesses its loop makes in all (its slice, capped by the op budget). */
  pages: number;
  /** Its slice's first gfn (access i is at firstGfn + i). */
  firstGfn: number;
  /** The batch holds its loop (from a join to the scheduling point where the engine takes it back). */
  parked: boolean;
}

/**
 * A run's fault batch, or null with batching off (every wait through the engine). Refused from
 * the start: fast paths without one (ts, ref), a tracer or the safety checker (they watch every
 * phase), a duration or a warm-up (statistics read or reset at a time the batch may be past).
 */
export function faultBatchFor(sim: Simulation, host: Host, w: Workload): FaultBatch | null {
  if (!sim.runAhead) return null;
  const why = host.fp.newFaultBatch === undefined ? `the ${host.fp.impl} fast paths have none`
    : sim.tracer !== null ? 'a trace is written (every phase is a span)'
    : host.safety.enabled || host.trailArgs ? 'the safety checker watches every phase'
    : w.durationNs !== undefined ? 'the workload has a duration'
    : w.warmupNs > 0 ? 'the workload has a warm-up' : null;
  return new FaultBatch(sim, host, why);
}

/** Whether two VMs' kvm->srcu read and mmu_lock statistics (counters, histograms, the queue's gauge) are the same objects. */
function sameStats(a: Vm, b: Vm, write: boolean): boolean {
  const same = (x: ModeStats, y: ModeStats) => x.acquisitions === y.acquisitions && x.contended === y.contended && x.wait === y.wait && x.hold === y.hold;
  const ma = a.mmuLock.batchStats(write);
  const mb = b.mmuLock.batchStats(write);
  return same(a.srcu.readStats, b.srcu.readStats) && same(ma.stats, mb.stats) && ma.queueLen === mb.queueLen;
}

/** What a run's fault batch did: the vCPUs it ran and their faults, or why it ran none. */
export interface FaultBatchReport {
  vcpus: number;
  faults: number;
  /** Times a VM left the batch at a memory-fault exit (its conversion ran in the engine) and joined it again. */
  vm_leaves: number;
  vm_joins: number;
  /** Memory-fault exits whose conversion and refault ran in the batch. */
  conversions: number;
  refused: string | null;
}

export class FaultBatch implements CpuOwner {
  /** Faults the batch ran (mapped), and vCPUs it admitted: what a run's report and the tests read. */
  faultsRun = 0;
  vcpusAdmitted = 0;
  /** VMs that joined the batch (the first time included) and left it. */
  vmJoins = 0;
  vmLeaves = 0;
  /** Memory-fault exits converted here, stale attempts retried here, and vCPUs handed over after a conversion or a retry as their VM left (what the tests read). */
  conversionsRun = 0;
  retriesRun = 0;
  handOuts = 0;
  /**
   * Whether a VM's memory-fault exits, their one-page conversions and the refaults run in the
   * batch (convertsHere), one vCPU of a VM at a time (FB_M.SOLO); else a VM leaves before one.
   */
  private converts = false;
  /** kvm->lock's statistics (every VM's the same objects). */
  private kvmLockStats: ModeStats | null = null;
  /** A one-page conversion's charges (conversionCharges; every VM's the same costs), set with `converts`. */
  private conv = { fixedNs: 0, perGfnNs: 0, zapNs: 0 };
  private state = State.IDLE;
  private readonly candidates: Array<{ p: Process<void>; m: FaultBatchMember }> = [];
  private readonly seats: Seat[] = [];
  private readonly seatOf = new Map<Process<void>, number>();
  private area: FaultBatchArea | null = null;
  /** The VMs whose vCPUs the batch runs (a seat's vm indexes it). */
  private readonly vms: Vm[] = [];
  private readonly proxy: Schedulable;
  private srcuStats!: ModeStats;
  private mmuStats!: ModeStats;
  private mmuQueue!: Gauge;

  /** The batch owns the host's CPUs (a CPU model), until every seat's loop has ended. */
  private ownsCpus = false;
  private seatsEnded = 0;

  /** Why the batch runs no fault (null while it may, or once it does). */
  private refusal: string | null = null;
  /** The live-process count at the last admission that found other actors live, and joins since. */
  private liveAtRefusal = -1;
  private joinsSinceRefusal = 0;

  /**
   * Whether VM i's faults run in the batch: its vCPUs join at their faults. A VM whose vCPU
   * meets a gfn that is not private leaves (vmOut) and joins again (vmJoin) when all its vCPUs
   * hold nothing: its memory-fault exits and conversions run in the engine meanwhile.
   */
  private vmIn: boolean[] = [];
  /**
   * Seats still in the batch whose VM left it (they finish there): while there are any, every
   * run's counts are folded at its end (their VM's file is the engine's once they are done).
   */
  private insideOut = 0;
  /** vmJoin's mates to take over in their exit charge (reused). */
  private readonly inExit: number[] = [];
  /** The seats of each VM. */
  private readonly seatsOfVm: number[][] = [];
  /**
   * What a fault has left after its exit at most (its charges, and waits behind its VM-mates'
   * holds of mmu_lock): a VM's leaving relies on it (vmOut). -1 when a VM may not leave (then
   * only VMs whose slices are all private join).
   */
  private postExitNs = -1;
  /** The VMs of the vCPUs a fold found dirty (reused; the fold counts them). */
  private readonly touchedVms: number[] = [];

  constructor(private readonly sim: Simulation, private readonly host: Host, refused: string | null = null) {
    this.proxy = sim.newTimer(() => this.dispatched());
    if (refused !== null) this.refuse(refused);
  }

  /** The vCPUs it ran and their faults, or why it ran none (null for a run without vCPU loops). */
  report(): FaultBatchReport {
    return { vcpus: this.vcpusAdmitted, faults: this.faultsRun, vm_leaves: this.vmLeaves, vm_joins: this.vmJoins, conversions: this.conversionsRun,
      refused: this.candidates.length > 0 ? this.refusal : null };
  }

  private refuse(why: string): false {
    this.state = State.REFUSED;
    this.refusal = why;
    return false;
  }

  /** A vCPU loop the batch may run (every vCPU loop of the run registers at its spawn). */
  register(p: Process<void>, m: FaultBatchMember): void {
    this.candidates.push({ p, m });
  }

  /**
   * p's access at gfn is a first-touch fault (its tally started it): true when the batch takes
   * the fault and the rest of p's accesses over (p parks), false when the model's machines run it.
   */
  join(p: Process<void>, gfn: number): boolean {
    if (this.state === State.REFUSED) return false;
    if (this.state === State.IDLE && !this.admit()) return false;
    const v = this.seatOf.get(p);
    if (v === undefined) return false;
    const seat = this.seats[v]!;
    const i = seat.vm;
    const vm = this.vms[i]!;
    // The batch runs private gfns and, when it converts, one vCPU's run of shared ones at a time:
    // the access stops its run before the next gfn it does not run.
    const run = vm.memAttr.privateRunEnd(gfn, seat.firstGfn + seat.pages);
    // At a shared gfn: the batch converts it here, or the VM leaves.
    const shared = run === gfn ? this.sharedSegment(v, gfn) : undefined;
    if (shared === null) {
      if (this.vmIn[i]) this.vmOut(i);
      return false;
    }
    if (!this.vmIn[i] && (this.shortRun(seat, gfn) || !this.vmJoin(i, v))) return false;
    this.enter(v, gfn, run, this.sim.now, this.sim.nextKey(), true, shared);
    this.rearm();
    return true;
  }

  /**
   * Seat v's fault on gfn (begun at t0, its exit's end keyed `key`) and its accesses after it up
   * to `run` (the first gfn that is not private, or its slice's end) go to the area; its loop parks.
   */
  private enter(v: number, gfn: number, run: number, t0: number, key: number, inOrder: boolean,
    shared = this.sharedSegment(v, run)): void {
    const s = this.seats[v]!;
    // The shared gfns at the run's end (`shared`, when it may convert them here) and the private run after.
    let end = run;
    if (shared !== null) end = this.vms[s.vm]!.memAttr.privateRunEnd(shared[1], s.firstGfn + s.pages);
    const left = Math.min(s.pages - s.m.tally.started, end - gfn - 1);
    s.parked = true;
    const huge = this.hugeBounds(s, gfn, gfn + left);
    this.area!.join(v, s.vm, gfn, left, s.slot.baseGfn, s.slot.offsetPages, s.plan.cache, t0, key, huge[0], huge[1], inOrder,
      shared?.[0] ?? 0, shared?.[1] ?? 0);
    s.p.state = ProcState.COMPUTING;
  }

  /**
   * The shared gfns [from, end) of seat v's slice that its vCPU may meet, convert and refault in
   * the batch, or null (it stops before from, and its VM leaves there): the batch converts
   * (convertsHere), its VM is in, no mate has such a run (FB_M.SOLO: so kvm->lock is never
   * contended and no mate's conversion meets this one), and none of those gfns is mapped (the
   * zap then has nothing to do and the flush never comes).
   */
  private sharedSegment(v: number, from: number): readonly [number, number] | null {
    const s = this.seats[v]!;
    const sliceEnd = s.firstGfn + s.pages;
    if (!this.converts || from >= sliceEnd || !this.vmIn[s.vm]) return null;
    const solo = this.area!.vm(s.vm)[FB_M.SOLO]!;
    if (solo >= 0 && solo !== v) return null;
    const vm = this.vms[s.vm]!;
    const end = vm.memAttr.sharedRunEnd(from, sliceEnd);
    if (end === from) return null;
    for (let g = from; g < end; g++) if (vm.pt.walk(g) >= 0) return null;
    return [from, end];
  }

  /**
   * The gfns whose 2 MiB blocks seat s's faults on [gfn, last] may map huge, [first, end): what
   * kvm_mmu_max_mapping_level's disallow_lpage leaves (sim/model/mmu.ts): the block inside the
   * slot, the slot aligned, and the block's attributes uniform (KVM_LPAGE_MIXED_FLAG). The run's
   * gfns are private, so only its first and last blocks can be mixed; its VM's attributes change
   * only while the VM is out of the batch.
   */
  private hugeBounds(s: Seat, gfn: number, last: number): readonly [number, number] {
    if (s.misaligned) return NO_HUGE;
    const vm = this.vms[s.vm]!;
    let first = s.slot.baseGfn;
    let end = first + s.slot.npages;
    if (lpageMixed(vm, gfn)) first = Math.max(first, gfn - (gfn % HPAGE_PMD_NR) + HPAGE_PMD_NR);
    if (lpageMixed(vm, last)) end = Math.min(end, last - (last % HPAGE_PMD_NR));
    return [first, end];
  }

  /** Decide at the first fault whether the batch runs this run's vCPUs (see the file comment). */
  private admit(): boolean {
    const sim = this.sim;
    const host = this.host;
    // Other actors live (a VMM converting, a punch): none may see the batch's locks and
    // statistics between its phases. Asked again when the live count moves, or every so often.
    if (sim.liveProcesses === this.liveAtRefusal && ++this.joinsSinceRefusal < 4096) return false;
    const live = this.candidates.filter((c) => c.p.isAlive);
    if (live.length === 0) return this.refuse('no vCPU loop is live');
    if (live.length !== sim.liveProcesses || !sim.onlyThese(new Set(live.map((c) => c.p)))) {
      this.refusal = 'other actors are live beside the vCPUs';
      this.liveAtRefusal = sim.liveProcesses;
      this.joinsSinceRefusal = 0;
      return false;
    }
    const c = faultCharges(host);
    const vms = this.vms;
    let pages = 0;
    for (const { p, m } of live) {
      const vm = m.batchVm;
      let i = vms.indexOf(vm);
      if (i < 0) {
        // Every VM's lock statistics are the same objects (no per-VM labels): one fold serves them all.
        if (vms.length > 0 && !sameStats(vm, vms[0]!, c.writeMode)) return this.refuse('VMs with separate lock statistics');
        i = vms.push(vm) - 1;
        this.vmIn.push(false);
        this.seatsOfVm.push([]);
      }
      const slice = m.batchSlice();
      if (slice === null) return this.refuse('a vCPU does not first-touch a sequential private slice without think time');
      const seat = this.seatFor(p, m, vm, i, slice.firstGfn, slice.pages);
      if (seat === null) return this.refuse('a slice is not memory of one slot whose binding gives its getPfn as data (a guest_memfd file with a poisoned folio, a hole being punched, the cache footprint)');
      this.seatOf.set(p, this.seats.length);
      this.seatsOfVm[i]!.push(this.seats.length);
      this.seats.push(seat);
      pages += slice.pages - m.tally.started + 1;
    }
    // One configuration for the area: every slot's getPfn charged the same, and room for every page.
    const plan = this.seats[0]!.plan;
    for (const s of this.seats) {
      const o = s.plan;
      if (o.endNs !== plan.endNs || o.baseNs !== plan.baseNs || o.allocNs !== plan.allocNs || o.hugeAllocNs !== plan.hugeAllocNs ||
        o.args.policy !== plan.args.policy || o.missClearNs !== plan.missClearNs ||
        o.hitClearNs !== plan.hitClearNs || o.args.iSizePages !== plan.args.iSizePages || o.args.migratetype !== plan.args.migratetype ||
        (o.line === undefined) !== (plan.line === undefined) || o.line?.ns !== plan.line?.ns) return this.refuse('slots with different getPfn charges');
    }
    if (host.mem.freePagesCount() < pages) return this.refuse('the host may run out of memory');
    this.converts = this.convertsHere(c);
    if (this.converts) this.conv = conversionCharges(vms[0]!);
    this.postExitNs = this.postExitBound(c, plan);
    // Only seats may wait for a CPU: the batch owns the run queue from here (a daemon would not be live).
    if (sim.queuedForCpu().some((p) => !this.seatOf.has(p))) return this.refuse('a process outside the vCPUs waits for a CPU');
    const area = host.fp.newFaultBatch!(this.seats.length);
    vms.forEach((vm, i) => {
      area.setPageTable(i, vm.pt);
      // Each VM's file line: the seat of the vCPU that wrote it last, if it is one of the VM's.
      const line = this.seats.find((s) => s.vm === i)!.plan.line;
      area.vm(i)[FB_M.LINE_OWNER] = this.seats.findIndex((s) => s.vm === i && s.p === line?.owner);
    });
    area.setPolicy(plan.args.policy);
    const h = area.header();
    h[FB.MAX_LEVEL] = host.s.mmu.maxLevel;
    h[FB.HUGE_NS] = plan.hugeAllocNs;
    h[FB.ISIZE] = plan.args.iSizePages;
    h[FB.MT] = plan.args.migratetype ?? 0;
    h[FB.EXIT_NS] = c.exitNs;
    h[FB.ATTR_NS] = c.attrNs;
    h[FB.BASE_NS] = plan.baseNs;
    h[FB.ALLOC_NS] = plan.allocNs;
    h[FB.MISS_CLEAR_NS] = plan.missClearNs;
    h[FB.HIT_CLEAR_NS] = plan.hitClearNs;
    h[FB.LINE_NS] = plan.line?.ns ?? 0;
    h[FB.END_NS] = plan.endNs;
    h[FB.MAP_NS] = c.mapNs;
    h[FB.GRANT_NS] = sim.lockCosts.cacheline_ns;
    h[FB.WRITE] = c.writeMode ? 1 : 0;
    h[FB.MAX_RETRIES] = host.maxFaultRetries;
    if (this.converts) {
      // Charges as charge() rounds them (sim/model/attributes.ts, one gfn, nothing mapped to zap).
      h[FB.CONV] = 1;
      h[FB.PRECHECK] = this.seats[0]!.slot.binding!.precheck ? 1 : 0;
      h[FB.CONV_FIXED_NS] = this.conv.fixedNs;
      h[FB.CONV_GFN_NS] = this.conv.perGfnNs;
      h[FB.CONV_ZAP_NS] = this.conv.zapNs;
      this.kvmLockStats = vms[0]!.lock.batchStats().stats;
    }
    this.area = area;
    this.takeCpus();
    this.srcuStats = vms[0]!.srcu.readStats;
    const mmu = vms[0]!.mmuLock.batchStats(c.writeMode);
    this.mmuStats = mmu.stats;
    this.mmuQueue = mmu.queueLen;
    this.state = State.ACTIVE;
    this.refusal = null;
    this.vcpusAdmitted = this.seats.length;
    return true;
  }

  /**
   * What a fault has left after its exit at most: the attribute lookup, getPfn's largest charge,
   * its end, and mmu_lock's grant and the map for each of a VM's vCPUs (it may queue behind every
   * mate). -1 unless a VM's other vCPUs, one after another, finish that within one exit: vmOut's
   * condition, where the vCPU that leaves is in the engine at its fault's start and each mate
   * still inside may chain one fault after the one before.
   */
  private postExitBound(c: ReturnType<typeof faultCharges>, plan: PfnBatchPlan): number {
    const perVm = new Map<number, number>();
    for (const s of this.seats) perVm.set(s.vm, (perVm.get(s.vm) ?? 0) + 1);
    const mates = Math.max(...perVm.values());
    const getPfn = plan.baseNs + (plan.line?.ns ?? 0) + Math.max(plan.allocNs, plan.hugeAllocNs) + plan.missClearNs + plan.hitClearNs + 1;
    const grants = mates * (this.sim.lockCosts.cacheline_ns + c.mapNs);
    let post = c.attrNs + getPfn + plan.endNs + grants;
    if (this.converts) {
      // Or a memory-fault exit and the conversion's two sections, each behind every mate's map
      // (its refault or a retry then leaves in its exit charge: FB.HANDOUT).
      const k = this.conv;
      post = Math.max(post, c.attrNs + k.fixedNs + k.perGfnNs + k.zapNs + 2 * grants + 2);
    }
    return (mates - 1) * post < c.exitNs ? post : -1;
  }

  /**
   * Whether memory-fault exits, the VMM's one-page conversions after them and the refaults may
   * run in the batch (wasm/fault-batch.ts PH_CFIXED..PH_CZAP): v10's ordering with faults and
   * conversions both taking mmu_lock for write (one kind of holder in the area's queue), 4 KiB
   * leaves only (no block's mixed flag to follow), is_page_fault_stale honoured (the area's
   * check is the retry strategy's), every binding with guest_memfd's pre-check of the
   * invalidation or none without it, and every VM's kvm->lock statistics the same objects, idle.
   */
  private convertsHere(c: ReturnType<typeof faultCharges>): boolean {
    const host = this.host;
    // Only the vCPUs' own memory-fault exits change attributes from here on (nobody else is
    // live), and only to private: a run whose slices are all private never converts, and its
    // faults need no stale test (a vm-boot: ~10% of its time).
    const end = (s: Seat) => s.firstGfn + s.pages;
    if (this.seats.every((s) => this.vms[s.vm]!.memAttr.privateRunEnd(s.firstGfn, end(s)) === end(s))) return false;
    if (!c.writeMode || host.s.mmu.maxLevel !== 1 || host.s.faultRetry.name !== 'retry') return false;
    const precheck = this.seats[0]!.slot.binding?.precheck;
    if (precheck === undefined || this.seats.some((s) => s.slot.binding?.precheck !== precheck)) return false;
    const a = this.vms[0]!.lock.batchStats().stats;
    return this.vms.every((vm) => {
      const k = vm.lock.batchStats();
      return k.idle && k.stats.acquisitions === a.acquisitions && k.stats.wait === a.wait && k.stats.hold === a.hold;
    });
  }

  /**
   * VM i joins the batch at vCPU v's fault (v's loop waits for that answer): when it may fault
   * here at all, it is idle (no lock held, no invalidation, no fault that would retry), and its
   * other vCPUs are outside and hold nothing. Its file's line goes to the batch.
   */
  private vmJoin(i: number, v: number): boolean {
    const host = this.host;
    const vm = this.vms[i]!;
    if (vm.dead || !vm.srcu.idle || !vm.mmuLock.idle || vm.mmu_invalidate_in_progress) return false;
    if (this.converts && !vm.lock.batchStats().idle) return false;
    if (host.s.faultRetry.isStale(vm, vm.mmu_invalidate_seq, 0)) return false;
    const area = this.area!;
    let line: PfnBatchPlan['line'];
    const inExit = this.inExit;
    // Emptied only when it holds something: setting an array's length is a runtime call, and
    // bench e2e (b) asks ~3 M times, nearly always for a VM whose mate's run is too short.
    if (inExit.length !== 0) inExit.length = 0;
    for (const u of this.seatsOfVm[i]!) {
      const s = this.seats[u]!;
      line = s.plan.line;
      if (u === v || !s.p.isAlive) continue;
      if (!area.outside(u)) return false;
      if (s.m.batchClean()) {
        if (s.m.tally.started < s.pages && this.shortRun(s, s.firstGfn + s.m.tally.started)) return false;
        continue;
      }
      // A mate in the exit charge of a fault on its next private gfn holds nothing: the batch takes it over.
      const gfn = s.m.batchFaultInExit();
      if (gfn < 0 || gfn !== s.firstGfn + s.m.tally.started - 1 || this.shortRun(s, gfn)) return false;
      inExit.push(u);
    }
    for (const u of this.seatsOfVm[i]!) {
      const slot = this.seats[u]!.slot;
      // A VM that may not leave the batch must never meet a gfn that is not private.
      const uniform = vm.memAttr.isUniform(slot.baseGfn, slot.baseGfn + slot.npages) && vm.memAttr.isPrivate(slot.baseGfn);
      if (!uniform && this.postExitNs < 0) return false;
    }
    let pages = 0;
    for (const s of this.seats) if (s.p.isAlive) pages += s.pages - s.m.tally.started + 1;
    if (host.mem.freePagesCount() < pages) return false;
    const m = area.vm(i);
    m[FB_M.DEADLINE] = Infinity;
    if (this.converts) {
      m[FB_M.SEQ] = vm.mmu_invalidate_seq;
      m[FB_M.INPROG] = vm.mmu_invalidate_in_progress;
      m[FB_M.RSTART] = vm.mmu_invalidate_range_start;
      m[FB_M.REND] = vm.mmu_invalidate_range_end;
      m[FB_M.SOLO] = -1;
      m[FB_M.STATE_MOVED] = 0;
    }
    m[FB_M.LINE_OWNER] = this.seats.findIndex((s) => s.vm === i && s.p === line?.owner);
    this.vmIn[i] = true;
    for (const u of inExit) this.takeInExit(u);
    this.vmJoins++;
    return true;
  }

  /**
   * Whether seat s's private run from gfn (to its slice's end) is too short to be worth a join:
   * the VM would leave again within a few faults (a mate converting page by page after
   * memory-fault exits would bring it in and out at every page). Only speed depends on it.
   */
  private shortRun(s: Seat, gfn: number): boolean {
    const end = s.firstGfn + s.pages;
    const run = this.vms[s.vm]!.memAttr.privateRunEnd(gfn, end);
    return run < end && run - gfn < MIN_RUN;
  }

  /**
   * Seat u's fault, which the engine runs and which waits in its first exit charge, and the
   * accesses after it go to the batch: the engine's entry for the charge's end is dropped and
   * the batch's keeps its key.
   */
  private takeInExit(u: number): void {
    const s = this.seats[u]!;
    const { p, m } = s;
    const gfn = m.batchFaultInExit();
    const key = p.liveKey;
    if (key < 0) throw new Error(`fault batch: ${p.name}'s exit charge has no entry to take over`);
    m.batchTakeFault(p);
    this.sim.cancelPending(p);
    this.enter(u, gfn, this.vms[s.vm]!.memAttr.privateRunEnd(gfn, s.firstGfn + s.pages), m.batchFaultStart, key, false);
  }

  /**
   * VM i leaves the batch: one of its vCPUs, at its access, meets a gfn that is not private (a
   * memory-fault exit, then the VMM's conversion, which take mmu_lock and invalidate). That
   * vCPU's exit charge ends at now + exit, the first time the engine touches the VM's state. The
   * other vCPUs: one past its exit finishes its fault here, within postExitNs (vmOut's bound is
   * the batch's admission condition); one in its exit charge finishes here when that charge ends
   * before the finishers are done, else its fault goes to the engine there; one at a scheduling
   * point leaves there. The area checks that every hold of mmu_lock here ends before the first
   * time the engine may take it (FB_M.DEADLINE).
   */
  private vmOut(i: number): void {
    const sim = this.sim;
    const area = this.area!;
    this.vmIn[i] = false;
    this.vmLeaves++;
    let deadline = sim.now + area.header()[FB.EXIT_NS]!;
    let finished = sim.now;
    const inExit: Array<{ u: number; t: number }> = [];
    for (const u of this.seatsOfVm[i]!) {
      const st = area.state(u);
      if (st === 0) {
        area.leave(u, false);
        this.insideOut++;
        finished = sim.now + this.postExitNs;
      } else if (st === 1) {
        inExit.push({ u, t: area.header()[FB.OUT_T]! });
      } else if (st === 2) {
        area.leave(u, false);
        this.insideOut++;
      }
    }
    inExit.sort((a, b) => a.t - b.t);
    for (const { u, t } of inExit) {
      if (t <= finished) {
        area.leave(u, false);
        this.insideOut++;
        finished = t + this.postExitNs;
        continue;
      }
      this.fold(area.header(), true);
      area.leave(u, true);
      this.resumeInEngine(u);
      deadline = Math.min(deadline, t);
    }
    if (finished >= deadline) throw new Error(`fault batch: ${this.vms[i]!.name}'s faults could overlap its memory-fault exit (postExitNs ${this.postExitNs})`);
    area.vm(i)[FB_M.DEADLINE] = deadline;
    this.rearm();
  }

  /**
   * p's seat: the memslot holding its whole slice, whose binding runs its getPfn as data; null
   * otherwise. Its gfns' attributes are read at each join (a run stops before one not private).
   */
  private seatFor(p: Process<void>, m: FaultBatchMember, vm: Vm, vmIndex: number, first: number, pages: number): Seat | null {
    if (pages <= 0) return null;
    const last = first + pages - 1;
    const slot = vm.slotFor(first);
    const binding = slot?.binding;
    if (slot === undefined || binding === undefined || last >= slot.baseGfn + slot.npages) return null;
    const plan = binding.faultBatchPlan?.();
    return plan === undefined ? null : { p, m, slot, plan, misaligned: binding.misalignedForHugepages(slot), vm: vmIndex, pages, firstGfn: first, parked: false };
  }

  /**
   * With a CPU model, the batch hands the CPUs out and back from admission until the last
   * seat's loop has ended (CpuOwner): the free ones and the engine's run queue (every process in
   * it is a seat, as only seats live) move into the area; seats the engine still runs (before
   * they join, after their last access) take and give up CPUs through it.
   */
  private takeCpus(): void {
    const lent = this.sim.lendCpus(this);
    if (lent === null) return;
    const area = this.area!;
    area.setCpus(lent.free);
    this.seats.forEach((s, v) => {
      if (s.p.onCpu === true) area.setCpu(v, true, -1);
    });
    for (const { p, since } of lent.queued) area.setCpu(this.seatIndex(p), false, since);
    this.ownsCpus = true;
  }

  private seatIndex(p: Process<any>): number {
    const v = this.seatOf.get(p);
    if (v === undefined) throw new Error(`${p.name} is not one of the fault batch's vCPUs, which own the CPUs`);
    return v;
  }

  /** CpuOwner: a seat outside the batch wants a CPU now (a wake-up the engine dispatched). */
  take(p: Process<any>): boolean {
    const sim = this.sim;
    if (!this.area!.take(this.seatIndex(p), sim.now)) return false;
    sim.wokeOnFreeCpus(1);
    p.onCpu = true;
    return true;
  }

  /** CpuOwner: a seat outside the batch gave its CPU up now; who gets it (the engine schedules an outside seat). */
  release(p: Process<any>): Process<any> | null {
    const sim = this.sim;
    const area = this.area!;
    const r = area.release(this.seatIndex(p), sim.now, sim.nextNormalKey);
    let q: Process<any> | null = null;
    if (r === -2) {
      sim.nextKey();
      this.rearm();
    } else if (r >= 0) {
      q = this.gotCpu(r);
    }
    // A loop's end gives its CPU up last: after the last seat's, the CPUs go back to the engine.
    if (p.state === ProcState.DONE && ++this.seatsEnded === this.seats.length) {
      // The run-queue waits recorded since the last run of the batch (its ends hand CPUs on).
      this.foldSums(area.header());
      this.ownsCpus = false;
      sim.giveCpusBack(area.header()[FB.CPU_FREE]!);
    }
    return q;
  }

  /** CpuOwner: nobody waits in the run queue. */
  idleQueue(): boolean {
    return this.area!.idleQueue();
  }

  /** Seat v, outside the batch, was handed a CPU: its process, to run in the engine (the batch first gives its loop back if it holds it). */
  private gotCpu(v: number): Process<any> {
    const s = this.seats[v]!;
    if (s.parked) this.unpark(s);
    s.p.onCpu = true;
    return s.p;
  }

  /** The engine's entry for the owned waits: at the earliest one's exact key (none when none is owned). */
  private rearm(): void {
    this.rearmAt(this.area!.top());
  }

  /** rearm with the area's next wait already in FB.TOP_T/K (pending: waits owned, or any non-zero count after a run). */
  private rearmAt(pending: number): void {
    const proxy = this.proxy;
    const h = this.area!.header();
    if (pending === 0 || h[FB.TOP_T] === Infinity) {
      proxy.liveKey = -1;
      return;
    }
    const k = h[FB.TOP_K]!;
    if (proxy.liveKey !== k) this.sim.scheduleTimer(proxy, h[FB.TOP_T]!, k);
  }

  /** The engine dispatched the stand-in entry (its clock set and the event counted): run the owned waits. */
  private dispatched(): void {
    const sim = this.sim;
    const area = this.area!;
    // The engine's next event after the stand-in's own entry.
    const hT = sim.batchHorizon();
    const hK = sim.horizonKey;
    let events = 0;
    for (;;) {
      const h = area.header();
      h[FB.LIMIT_T] = sim.batchLimit;
      h[FB.HORIZON_T] = hT;
      h[FB.HORIZON_K] = hK;
      h[FB.SEQ] = sim.nextNormalKey;
      h[FB.LAST_T] = sim.now;
      area.run();
      const o = area.header();
      events += o[FB.EVENTS]!;
      sim.advanceToKey(o[FB.SEQ]!);
      sim.now = o[FB.LAST_T]!;
      this.fold(o, this.insideOut > 0);
      if (o[FB.TRAIL_N] !== this.trailSeen) this.host.trail.deferUntilNext(this.flushTrail);
      const status = o[FB.STATUS];
      if (status === FB.GAUGE_FULL) continue;
      let top = 1;
      if (status === FB.ENDED) {
        this.handBack(o[FB.OUT_V]!, o[FB.OUT_T]!, o[FB.OUT_K]!);
        top = area.top();
      } else if (status === FB.WAKE) {
        this.wake(o[FB.OUT_V]!, o[FB.OUT_T]!, o[FB.OUT_K]!);
        top = area.top();
      } else if (status === FB.HANDOUT) {
        this.handOut(o[FB.OUT_V]!);
        top = area.top();
      }
      // The stand-in's dispatch was counted as the first of these waits.
      sim.eventsProcessed += events - 1;
      this.rearmAt(top);
      break;
    }
    // Nothing owned before this run's end (rearm's top: +Infinity when nothing is): its statistics are read next, or may be.
    if (area.header()[FB.TOP_T]! > sim.batchLimit) this.foldSums(area.header());
  }

  /**
   * Seat v, finishing its access in the batch after its VM left (vmOut), began a refault after a
   * conversion or a retry after a stale attempt: the engine takes the fault over in that exit
   * charge, at its key (what the batch did folded first: the VM's attributes and invalidation state).
   */
  private handOut(v: number): void {
    this.handOuts++;
    this.fold(this.area!.header(), true);
    this.area!.leave(v, true);
    this.insideOut--;
    this.resumeInEngine(v);
  }

  /** Seat v, just left in its exit charge (area.leave(v, true): FB.OUT_*), resumes in the model's machine there. */
  private resumeInEngine(v: number): void {
    const h = this.area!.header();
    const s = this.seats[v]!;
    s.parked = false;
    s.m.batchResumeFault(s.p, h[FB.OUT_GFN]!, h[FB.OUT_T0]!, h[FB.OUT_RETRIES]!);
    s.p.onCpu = true;
    this.sim.scheduleKeyed(s.p, h[FB.OUT_T]!, h[FB.OUT_K]!, ProcState.COMPUTING);
  }

  /** Seat v's last access's sleep(0) ends at (t, k): the engine takes it there, and the loop ends. */
  private handBack(v: number, t: number, k: number): void {
    const s = this.seats[v]!;
    const p = s.p;
    this.unpark(s);
    if (this.ownsCpus) {
      // The batch's CPUs gave it one at its wake-up.
      p.onCpu = true;
    } else {
      // The sleep gave the CPU up; the engine's dispatch takes one back (its zero run-queue delay).
      this.sim.offCpu(p);
    }
    this.sim.scheduleKeyed(p, t, k, ProcState.SLEEPING);
  }

  /**
   * The engine takes seat s's loop back at its scheduling point (its next resume is its next
   * access): what the batch counted is folded first (the engine reads the loop's tally next).
   */
  private unpark(s: Seat): void {
    this.fold(this.area!.header(), true);
    s.m.batchEnded();
    s.parked = false;
    if (!this.vmIn[s.vm]) this.insideOut--;
  }

  /** Seat v, outside the batch, got a CPU a seat gave up at (t, k): the engine runs it there, its wait kept. */
  private wake(v: number, t: number, k: number): void {
    const s = this.seats[v]!;
    if (s.parked) {
      this.gotCpu(v);
      this.sim.scheduleKeyed(s.p, t, k, ProcState.SLEEPING);
    } else {
      this.sim.wakeKeyed(this.gotCpu(v), t, k);
    }
  }

  /**
   * What the batch did since the last fold that the engine may see next, in order: mmu_lock's
   * queue-length points (the engine's own come after; after every run), and with `counts` the
   * vCPUs' tallies and per-process lists (the engine may run them next) and who allocated and
   * wrote each VM's file line last (a VM out of the batch faults in the engine).
   */
  private fold(h: Float64Array, counts: boolean): void {
    const area = this.area!;
    if (h[FB.GAUGE_N] !== 0) {
      this.foldQueueLength(h);
      h[FB.GAUGE_N] = 0;
    }
    // Only the vCPUs whose counts moved (the dirty list): with VMs out of the batch (their
    // conversions in the engine) runs are short.
    const n = h[FB.DIRTY_N]!;
    if (n === 0 || !counts) return;
    const touched = this.touchedVms;
    let nt = 0;
    for (let j = 0; j < n; j++) {
      const v = area.takeDirty(j);
      const c = area.header();
      const s = this.seats[v]!;
      s.plan.allocated(s.p, c[FB.COUNTS + FB_V.MISSES - FB_V.STARTED]!, c[FB.COUNTS + FB_V.MISSES_HUGE - FB_V.STARTED]!, c[FB.COUNTS + FB_V.SMALL_AFTER_HUGE - FB_V.STARTED]!);
      s.m.tally.ranOnTime(c[FB.COUNTS + FB_V.COMPLETED - FB_V.STARTED]!, c[FB.COUNTS]!);
      // The gfns it converted since (kvm_vm_set_mem_attributes' xa_stores, in order: one range).
      const from = c[FB.COUNTS + 5]!;
      const to = c[FB.COUNTS + 6]!;
      if (to > from) {
        this.vms[s.vm]!.memAttr.set(from, to, true);
        this.conversionsRun += to - from;
      }
      let seen = false;
      for (let x = 0; x < nt; x++) if (touched[x] === s.vm) seen = true;
      if (!seen) touched[nt++] = s.vm;
    }
    for (let x = 0; x < nt; x++) {
      const i = touched[x]!;
      const vm = area.vm(i);
      const lastMiss = vm[FB_M.LAST_MISS]!;
      if (lastMiss >= 0) {
        const s = this.seats[lastMiss]!;
        s.plan.lastAllocated?.(s.p);
        vm[FB_M.LAST_MISS] = -1;
      }
      if (vm[FB_M.STATE_MOVED] === 1) {
        // Conversions here moved the invalidation state: the engine reads it once the VM is out.
        const o = this.vms[i]!;
        o.mmu_invalidate_seq = vm[FB_M.SEQ]!;
        o.mmu_invalidate_in_progress = vm[FB_M.INPROG]!;
        o.mmu_invalidate_range_start = vm[FB_M.RSTART]!;
        o.mmu_invalidate_range_end = vm[FB_M.REND]!;
        vm[FB_M.STATE_MOVED] = 0;
      }
      const owner = vm[FB_M.LINE_OWNER]!;
      if (owner >= 0) {
        const s = this.seats[owner]!;
        if (s.plan.line !== undefined) s.plan.line.owner = s.p;
        // Out of the batch, the engine's faults write the line: the area's word is folded once.
        if (!this.vmIn[i]) vm[FB_M.LINE_OWNER] = -1;
      }
    }
    area.header()[FB.DIRTY_N] = 0;
  }

  /**
   * The batch's counts and histograms (sums: their order does not matter) into the engine's
   * statistics, the area's zeroed: when the batch has nothing before the current run's end
   * (nothing is read before) and when it gives the CPUs back.
   */
  private foldSums(h: Float64Array): void {
    const sim = this.sim;
    const host = this.host;
    this.fold(h, true);
    this.flushTrail();
    const srcu = h[FB.SRCU_ACQ]!;
    if (srcu > 0) {
      this.srcuStats.acquisitions.add(srcu);
      this.srcuStats.wait.recordN(0, srcu);
    }
    const acq = h[FB.MMU_ACQ]!;
    if (acq > 0) this.mmuStats.acquisitions.add(acq);
    const contended = h[FB.MMU_CONTENDED]!;
    if (contended > 0) this.mmuStats.contended.add(contended);
    this.foldHistogram(FB_HIST.SRCU_HOLD, this.srcuStats.hold);
    this.foldHistogram(FB_HIST.MMU_WAIT, this.mmuStats.wait);
    this.foldHistogram(FB_HIST.MMU_HOLD, this.mmuStats.hold);
    const faults = h[FB.FAULTS]!;
    const faults2m = h[FB.FAULTS_2M]!;
    if (faults > faults2m) host.metrics.faultsMapped(faults - faults2m, 1);
    if (faults2m > 0) host.metrics.faultsMapped(faults2m, 2);
    if (faults > 0) this.foldHistogram(FB_HIST.LATENCY, host.metrics.faultLatencies());
    this.faultsRun += faults;
    host.metrics.faultWaits.addWaited(this.vms[0]!.mmuLock.name, h[FB.LOCK_WAIT]!);
    sim.wokeOnFreeCpus(h[FB.RQ_ZERO]!);
    const rq = sim.runQueueDelays;
    if (rq !== null) this.foldHistogram(FB_HIST.RQ, rq);
    const exits = h[FB.EXITS]!;
    if (exits > 0) sim.stats.counter('vcpu.memory_fault_exits').add(exits);
    const retries = h[FB.RETRIES]!;
    if (retries > 0) {
      sim.stats.counter('fault.retries').add(retries);
      this.retriesRun += retries;
    }
    const kvmLocks = h[FB.KVM_ACQ]!;
    if (kvmLocks > 0) {
      const k = this.kvmLockStats!;
      k.acquisitions.add(kvmLocks);
      k.wait.recordN(0, kvmLocks);
      k.hold.recordN(this.conv.perGfnNs, kvmLocks);
    }
    const mapped = h[FB.MAPPED_ACCESSES]!;
    if (mapped > 0) sim.stats.counter('vcpu.mapped_accesses').add(mapped);
    const plan = this.seats[0]!.plan;
    const occupied = h[FB.FALLBACK_OCCUPIED]!;
    const noMemory = h[FB.FALLBACK_NOMEM]!;
    if ((occupied > 0 || noMemory > 0) && plan.fellBack !== undefined) plan.fellBack(occupied, noMemory);
    const g = this.area!.header();
    for (const i of SUMMED_COUNTS) g[i] = 0;
  }

  private foldHistogram(i: number, into: { addBuckets(c: Float64Array, lo: number, hi: number, sum: number, min: number, max: number): void }): void {
    const area = this.area!;
    const c = area.histogram(i);
    const s = FB.BUCKETS;
    const hi = c[s + 4]!;
    if (hi < 0) return;
    into.addBuckets(c, c[s + 3]!, hi, c[s]!, c[s + 1]!, c[s + 2]!);
    area.clearHistogram(i);
  }

  /** mmu_lock's queue length at each change, in order at its time (a time-weighted gauge). */
  private foldQueueLength(h: Float64Array): void {
    const n = h[FB.GAUGE_N]!;
    if (n === 0) return;
    const sim = this.sim;
    const now = sim.now;
    const pts = this.area!.gaugePoints();
    for (let i = 0; i < n; i++) {
      sim.now = pts[2 * i]!;
      this.mmuQueue.set(pts[2 * i + 1]!);
    }
    sim.now = now;
  }

  /**
   * The last maps into the host's trail (at most its capacity's worth matter), oldest first:
   * before the engine's next event recorded there (or a read of it), not after every run.
   */
  private readonly flushTrail = (): void => {
    const written = this.area!.header()[FB.TRAIL_N]!;
    const n = (written - this.trailSeen) >>> 0;
    if (n === 0) return;
    const area = this.area!;
    this.maps ??= this.trailRing();
    // Seen before recording: recording first runs the trail's pending fill, which is this.
    const from = this.trailSeen;
    this.trailSeen = written;
    this.host.trail.recordFrom(this.maps, from, n);
  };
  /**
   * The area's ring of its last FB.TRAIL_CAP maps (the e-th at e % cap, the area counting on
   * without reset), as the trail reads it; the seats' process names, by seat, name who mapped.
   */
  private maps: EventRing | null = null;
  /**
   * The area's ring as the trail reads it: a pair's second number is the seat for a map, else
   * seat + seats * (kind + 3 * gfn) (wasm/fault-batch.ts trailEvent): kind 1 a stale attempt's
   * fault_retry, 2 the one-page set_mem_attributes (its arguments as the model's).
   */
  private trailRing(): EventRing {
    const area = this.area!;
    const procs = this.seats.map((s) => s.p.name);
    const nv = this.seats.length;
    const decode = (code: number): { proc: string; what: string; args?: Record<string, number | string | boolean> } => {
      const v = code % nv;
      const r = (code - v) / nv;
      const kind = r % 3;
      const gfn = (r - kind) / 3;
      if (kind === 0) return { proc: procs[v]!, what: 'fault_map' };
      if (kind === 1) return { proc: procs[v]!, what: 'fault_retry' };
      return { proc: procs[v]!, what: 'set_mem_attributes', args: { vm: this.vms[this.seats[v]!.vm]!.name, gfn, end: gfn + 1, private: true } };
    };
    return { cap: FB.TRAIL_CAP, pairs: () => area.trail(), procs, what: 'fault_map', decode: this.converts ? decode : undefined };
  }
  /** Maps the trail has been given (the area's FB.TRAIL_N when it last was). */
  private trailSeen = 0;
}
