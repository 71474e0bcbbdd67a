// Horizon batching of first-touch faults inside WASM (DESIGN.md principle 6, issue 17): when
// the only live processes are booting vCPUs (VcpuLoop, sequential first touch, of one VM or
// several), each joins at its first fault and from then on its faults' phases run in wasm/fault-batch.ts, under
// one scheduler keyed as the engine's heap (time, then sequence numbers from the engine's
// counter, taken in the order the engine would take them). With a CPU model the batch also owns
// the host's CPUs (free count and run queue) until the last seat has ended, so more vCPUs than
// CPUs take turns at each guest exit as in the engine. One timer entry stands in the
// engine's heap at the earliest owned wait's exact key; dispatched, the batch runs the owned
// waits while they come before the engine's next event and within the run's `until`, then folds
// what it counted into the engine's statistics (lock acquisitions, waits and holds, fault
// latencies, allocations, the per-CPU lists, the actors' tallies, the trail of maps). A vCPU
// is handed back to the engine at the end of its last access's scheduling point, where its
// loop ends as it would have.
//
// Why only then: with nothing else live, nothing can take a lock, change an attribute, punch,
// or read a statistic between two of the batch's phases, so the batch may keep the locks'
// state (kvm->srcu readers, mmu_lock's holder and queue) to itself and fold its counts at its
// end. A run the batch does not run (shared memory, think time, a duration, the safety checker or the tracer, another actor live) keeps every fault in the
// model's machines, and `rmsim run` says why (FaultBatchReport).
// What holds the two together: test/golden/batching-identity.test.ts (every built-in
// workload, the same metrics.json bytes with batching on and off) and
// test/actors/fault-batch.test.ts (the batch's shapes, and the cases it must refuse).
import { ProcState } from '../engine/process.js';
import type { Schedulable } from '../engine/heap.js';
import type { CpuOwner, ModeStats, Process, Simulation, Gauge } from '../engine/index.js';
import { FB, FB_HIST, FB_M, FB_V, type FaultBatchArea } from '../fastpath/index.js';
import { faultCharges, type Host, type Memslot, type PfnBatchPlan, type Vm } from '../model/index.js';
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
  /** Its last access's scheduling point is given back: the loop's next resume ends it. */
  batchEnded(): void;
}

const enum State { IDLE, ACTIVE, REFUSED }

/** The header's counts a fold takes (zeroed after it). */
const FOLDED_COUNTS: readonly FB[] = [FB.SRCU_ACQ, FB.MMU_ACQ, FB.MMU_CONTENDED, FB.RQ_ZERO, FB.FAULTS, FB.FAULTS_2M, FB.MAPPED_ACCESSES,
  FB.LOCK_WAIT, FB.MISSES, FB.MISSES_HUGE, FB.FALLBACK_OCCUPIED, FB.FALLBACK_NOMEM, FB.GAUGE_N, FB.TRAIL_N];

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
  /** It joined: from its first fault to its last access's scheduling point the batch runs it. */
  joined: boolean;
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
  refused: string | null;
}

export class FaultBatch implements CpuOwner {
  /** Faults the batch ran (mapped), and vCPUs it admitted: what a run's report and the tests read. */
  faultsRun = 0;
  vcpusAdmitted = 0;
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

  constructor(private readonly sim: Simulation, private readonly host: Host, refused: string | null = null) {
    this.proxy = sim.newTimer(() => this.dispatched());
    if (refused !== null) this.refuse(refused);
  }

  /** The vCPUs it ran and their faults, or why it ran none (null for a run without vCPU loops). */
  report(): FaultBatchReport {
    return { vcpus: this.vcpusAdmitted, faults: this.faultsRun, refused: this.candidates.length > 0 ? this.refusal : null };
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
    const sim = this.sim;
    const left = seat.pages - seat.m.tally.started;
    seat.joined = true;
    this.area!.join(v, seat.vm, gfn, left, seat.slot.baseGfn, seat.slot.offsetPages, seat.plan.cache, sim.now, sim.nextKey(), seat.slot.npages, seat.misaligned);
    p.state = ProcState.COMPUTING;
    this.rearm();
    return true;
  }

  /** Decide at the first fault whether the batch runs this run's vCPUs (see the file comment). */
  private admit(): boolean {
    const sim = this.sim;
    const host = this.host;
    const live = this.candidates.filter((c) => c.p.isAlive);
    if (live.length === 0) return this.refuse('no vCPU loop is live');
    if (!sim.onlyThese(new Set(live.map((c) => c.p)))) return this.refuse('other actors are live beside the vCPUs');
    const c = faultCharges(host);
    const vms = this.vms;
    let pages = 0;
    for (const { p, m } of live) {
      const vm = m.batchVm;
      let i = vms.indexOf(vm);
      if (i < 0) {
        if (vm.dead || !vm.srcu.idle || !vm.mmuLock.idle || vm.mmu_invalidate_in_progress) return this.refuse(`${vm.name} is not idle at its first fault`);
        if (host.s.faultRetry.isStale(vm, vm.mmu_invalidate_seq, 0)) return this.refuse('a fault would retry');
        // Every VM's lock statistics are the same objects (no per-VM labels): one fold serves them all.
        if (vms.length > 0 && !sameStats(vm, vms[0]!, c.writeMode)) return this.refuse('VMs with separate lock statistics');
        i = vms.push(vm) - 1;
      }
      const slice = m.batchSlice();
      if (slice === null) return this.refuse('a vCPU does not first-touch a sequential private slice without think time');
      const seat = this.seatFor(p, m, vm, i, slice.firstGfn, slice.pages);
      if (seat === null) return this.refuse('a slice is not private memory of one slot whose binding gives its getPfn as data (guest_memfd with folios already in its file, a hole being punched, the cache footprint)');
      this.seatOf.set(p, this.seats.length);
      this.seats.push(seat);
      pages += slice.pages;
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
    this.area = area;
    this.takeCpus();
    this.srcuStats = vms[0]!.srcu.readStats;
    const mmu = vms[0]!.mmuLock.batchStats(c.writeMode);
    this.mmuStats = mmu.stats;
    this.mmuQueue = mmu.queueLen;
    this.state = State.ACTIVE;
    this.vcpusAdmitted = this.seats.length;
    return true;
  }

  /**
   * p's seat: the memslot holding its whole slice, whose binding runs its getPfn as data, over
   * gfns all private (the attribute lookup always matches a private access); null otherwise.
   */
  private seatFor(p: Process<void>, m: FaultBatchMember, vm: Vm, vmIndex: number, first: number, pages: number): Seat | null {
    if (pages <= 0) return null;
    const last = first + pages - 1;
    const slot = vm.slotFor(first);
    const binding = slot?.binding;
    if (slot === undefined || binding === undefined || last >= slot.baseGfn + slot.npages) return null;
    // The whole slot private: every access matches, and any 2 MiB block in it has uniform attributes.
    if (!vm.memAttr.isUniform(slot.baseGfn, slot.baseGfn + slot.npages) || !vm.memAttr.isPrivate(first)) return null;
    const plan = binding.faultBatchPlan?.();
    return plan === undefined ? null : { p, m, slot, plan, misaligned: binding.misalignedForHugepages(slot), vm: vmIndex, pages, joined: false };
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
      this.fold(area.header());
      this.ownsCpus = false;
      sim.giveCpusBack(area.header()[FB.CPU_FREE]!);
    }
    return q;
  }

  /** CpuOwner: nobody waits in the run queue. */
  idleQueue(): boolean {
    return this.area!.idleQueue();
  }

  /** Seat v, outside the batch, was handed a CPU: its process, to run in the engine (its loop ends if it has joined). */
  private gotCpu(v: number): Process<any> {
    const s = this.seats[v]!;
    if (s.joined) s.m.batchEnded();
    s.p.onCpu = true;
    return s.p;
  }

  /** The engine's entry for the owned waits: at the earliest one's exact key (none when none is owned). */
  private rearm(): void {
    const area = this.area!;
    const proxy = this.proxy;
    if (area.pending() === 0) {
      proxy.liveKey = -1;
      return;
    }
    const k = area.topKey();
    if (proxy.liveKey !== k) this.sim.scheduleTimer(proxy, area.topTime(), k);
  }

  /** The engine dispatched the stand-in entry (its clock set and the event counted): run the owned waits. */
  private dispatched(): void {
    const sim = this.sim;
    const area = this.area!;
    // The engine's next event (peekNextTime settles the stand-in's own entry first).
    const hT = sim.peekNextTime();
    const hK = hT === Infinity ? Infinity : sim.peekNextKey();
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
      this.fold(o);
      const status = o[FB.STATUS];
      if (status === FB.GAUGE_FULL) continue;
      if (status === FB.ENDED) this.handBack(o[FB.OUT_V]!, o[FB.OUT_T]!, o[FB.OUT_K]!);
      else if (status === FB.WAKE) this.wake(o[FB.OUT_V]!, o[FB.OUT_T]!, o[FB.OUT_K]!);
      break;
    }
    // The stand-in's dispatch was counted as the first of these waits.
    sim.eventsProcessed += events - 1;
    this.rearm();
  }

  /** Seat v's last access's sleep(0) ends at (t, k): the engine takes it there, and the loop ends. */
  private handBack(v: number, t: number, k: number): void {
    const { p, m } = this.seats[v]!;
    m.batchEnded();
    if (this.ownsCpus) {
      // The batch's CPUs gave it one at its wake-up.
      p.onCpu = true;
    } else {
      // The sleep gave the CPU up; the engine's dispatch takes one back (its zero run-queue delay).
      this.sim.offCpu(p);
    }
    this.sim.scheduleKeyed(p, t, k, ProcState.SLEEPING);
  }

  /** Seat v, outside the batch, got a CPU a seat gave up at (t, k): the engine runs it there, its wait kept. */
  private wake(v: number, t: number, k: number): void {
    const s = this.seats[v]!;
    if (s.joined) {
      this.gotCpu(v);
      this.sim.scheduleKeyed(s.p, t, k, ProcState.SLEEPING);
    } else {
      this.sim.wakeKeyed(this.gotCpu(v), t, k);
    }
  }

  /** What the batch counted since the last fold, into the engine's statistics; the area's counts zeroed. */
  private fold(h: Float64Array): void {
    const sim = this.sim;
    const host = this.host;
    const area = this.area!;
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
    const mapped = h[FB.MAPPED_ACCESSES]!;
    if (mapped > 0) sim.stats.counter('vcpu.mapped_accesses').add(mapped);
    for (let v = 0; v < this.seats.length; v++) {
      const s = this.seats[v]!;
      s.plan.allocated(s.p, area.takeCount(v, FB_V.MISSES), area.takeCount(v, FB_V.MISSES_HUGE), area.takeCount(v, FB_V.SMALL_AFTER_HUGE));
      s.m.tally.ranOnTime(area.takeCount(v, FB_V.COMPLETED), area.takeCount(v, FB_V.STARTED));
    }
    const plan = this.seats[0]!.plan;
    const occupied = h[FB.FALLBACK_OCCUPIED]!;
    const noMemory = h[FB.FALLBACK_NOMEM]!;
    if ((occupied > 0 || noMemory > 0) && plan.fellBack !== undefined) plan.fellBack(occupied, noMemory);
    for (let i = 0; i < this.vms.length; i++) {
      const vm = area.vm(i);
      const lastMiss = vm[FB_M.LAST_MISS]!;
      if (lastMiss >= 0) {
        const s = this.seats[lastMiss]!;
        s.plan.lastAllocated?.(s.p);
        vm[FB_M.LAST_MISS] = -1;
      }
      const owner = vm[FB_M.LINE_OWNER]!;
      if (owner >= 0) {
        const s = this.seats[owner]!;
        if (s.plan.line !== undefined) s.plan.line.owner = s.p;
      }
    }
    this.foldQueueLength(h);
    this.foldTrail(h);
    const g = area.header();
    for (const i of FOLDED_COUNTS) g[i] = 0;
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

  /** The last maps into the host's trail (at most its capacity's worth matter), oldest first. */
  private foldTrail(h: Float64Array): void {
    const n = h[FB.TRAIL_N]!;
    if (n === 0) return;
    const ring = this.area!.trail();
    const trail = this.host.trail;
    for (let i = Math.max(0, n - FB.TRAIL_CAP); i < n; i++) {
      const j = i % FB.TRAIL_CAP;
      trail.record(ring[2 * j]!, this.seats[ring[2 * j + 1]!]!.p.name, 'fault_map', undefined);
    }
  }
}
