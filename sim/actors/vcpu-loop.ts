// A vCPU's access loop as a state machine (an engine Actor, DESIGN.md principle 6), not a
// generator: the engine resumes it directly, and it steps the model's machine it is in
// (KvmPageFault, or KvmSetMemAttributes for the VMM's conversion after KVM_EXIT_MEMORY_FAULT).
// A generator loop would add one more generator frame that every wait of every fault resumes
// through (`yield* fault(...)`), about a sixth of a first-touch fault's cost in a vm-boot.
// It makes the same waits in the same order as the generator it replaced (test/golden holds
// every workload's results to the same bytes); vcpu.ts spawns one per vCPU. With the
// simulation's VcpuScheduler on (vcpu-scheduler.ts), it runs the loop's waits from an access on.
import type { ActorExit, ActorParked, Counter, Process, RngStream, Yieldable } from '../engine/index.js';
import { ACTOR_PARKED, makeDistribution } from '../engine/index.js';
import type { VcpuActor } from '../workload/types.js';
import { drawGap, moreOps, traceOp, rangeOf, rngFor, uniformInt, type ActorContext, type VmRuntime } from './context.js';
import { PAGE_SIZE } from '../units.js';
import { KvmPageFault, KvmSetMemAttributes, type Vcpu, type Vm } from '../model/index.js';
import type { OpsTally } from './ops-tally.js';
import type { BatchMember, VcpuScheduler } from './vcpu-scheduler.js';
import type { FaultBatchMember } from './fault-batch.js';

// Where the loop waits.
const AT_SPAWN = -1; // not started
const AT_READY = 0; // the scenario's ready event
const AT_START = 1; // the actor's start delay
const AT_MODEL = 2; // inside `sub`, a model generator
const AT_THINK = 3; // the guest's think time (compute)
const AT_EXIT = 4; // the scheduling point of a guest exit (sleep 0)

// What the loop runs at AT_MODEL.
const SUB_FAULT = 0; // the first fault on the page (the KvmPageFault machine)
const SUB_CONVERT = 1; // the VMM converting the page after KVM_EXIT_MEMORY_FAULT (the KvmSetMemAttributes machine)
const SUB_REFAULT = 2; // the fault after the conversion (the machine)

/**
 * One vCPU touching guest memory: each access to a page the VM's page table does not map is a
 * KVM page fault (kvm_mmu_page_fault through the model); a mapped one costs only the guest's
 * think time. A private access to a shared page exits to the VMM, which converts the page, and
 * the vCPU refaults. Sequential: this vCPU's slice once; uniform or zipf: pages drawn from the
 * range or the hot set. After each access a guest exit is a scheduling point (sleep 0).
 */
export class VcpuLoop implements BatchMember, FaultBatchMember {
  batched = false;
  batchSlot = -1;
  batchSkip = 0;
  private at = AT_SPAWN;
  /** kvm_mmu_page_fault as a state machine, reused by every fault of this vCPU. */
  private readonly pf = new KvmPageFault();
  /** The VMM's KVM_SET_MEMORY_ATTRIBUTES after a memory-fault exit, reused likewise. */
  private readonly conv = new KvmSetMemAttributes();
  private subKind = SUB_FAULT;
  private gfn = 0;
  private t0 = 0;
  private s!: RngStream;
  private lo = 0;
  private pages = 0;
  private sliceLo = 0;
  private sliceHi = 0;
  /**
   * gfn of the slice's first page when the slice's pages have consecutive gfns (no memslot gap in
   * it; -1 otherwise): a sequential access then computes its gfn instead of calling the VM's
   * layout closure, whose context and slot list are cold on every fault when 64 VMs fault in
   * turn (bench e2e (b)).
   */
  private sliceGfn = -1;
  private zipf: ReturnType<typeof makeDistribution> | undefined;
  private vcpu!: Vcpu;
  /** vcpu.memory_fault_exits, looked up by name at the first exit (a reset zeroes it in place). */
  private exitsCounter: Counter | null = null;
  /** vcpu.mapped_accesses, likewise at the first mapped access: under 2 MiB leaves most accesses are. */
  private mappedCounter: Counter | null = null;

  constructor(
    private readonly ctx: ActorContext,
    private readonly a: VcpuActor,
    private readonly rt: VmRuntime,
    private readonly v: number,
    private readonly n: number,
    readonly tally: OpsTally,
    private readonly sched: VcpuScheduler | null,
  ) {}

  resume(p: Process<void>, value: unknown): Yieldable | ActorExit | ActorParked {
    switch (this.at) {
      case AT_SPAWN:
        this.at = AT_READY;
        return this.ctx.ready;
      case AT_READY:
        if (this.a.startNs) {
          this.at = AT_START;
          return p.sleep(this.a.startNs);
        }
        return this.joined(p, this.begin(p));
      case AT_START:
        return this.joined(p, this.begin(p));
      case AT_MODEL:
        if (this.subKind !== SUB_CONVERT) return this.faulted(p, this.pf.resume(p, value));
        return this.converted(p, this.conv.resume(p, value));
      case AT_THINK:
        // A guest exit is a scheduling point (KVM checks need_resched on the way out): without it
        // a vCPU would keep its host CPU forever in a non-preemptive engine and starve the VMM.
        this.at = AT_EXIT;
        return p.sleep(0);
      default:
        return this.batched ? this.access(p) : this.joined(p, this.access(p));
    }
  }

  /** An access's first wait, stepped by the engine: the scheduler takes the vCPU over from here when it may. */
  private joined(p: Process<void>, y: Yieldable | ActorExit | ActorParked): Yieldable | ActorExit | ActorParked {
    const s = this.sched;
    return s === null ? y : s.join(p, this, y);
  }

  /** An error at a wait: into the model machine waiting there, else it fails the vCPU. */
  fail(p: Process<void>, error: unknown): Yieldable | ActorExit {
    if (this.at !== AT_MODEL) throw error;
    if (this.subKind !== SUB_CONVERT) return this.faulted(p, this.pf.fail(p, error));
    return this.conv.fail(p, error);
  }

  /** The waits are over: draw the stream and the range, then the first access. */
  private begin(p: Process<void>): Yieldable | ActorExit | ActorParked {
    const { ctx, a, rt, v } = this;
    this.s = rngFor(ctx, a.name, `${rt.vm.name}/vcpu${v}`);
    this.vcpu = rt.vm.vcpus[v];
    const sl = this.slice();
    this.lo = sl.lo;
    this.pages = sl.pages;
    this.sliceLo = sl.sliceLo;
    this.sliceHi = sl.sliceHi;
    this.sliceGfn = sl.sliceGfn;
    const hotPages = a.zipf.hotSetBytes ? Math.floor(a.zipf.hotSetBytes / PAGE_SIZE) : this.pages;
    this.zipf = a.pattern === 'zipf' ? makeDistribution({ kind: 'zipf', n: Math.max(1, hotPages), s: a.zipf.s }) : undefined;
    return this.access(p);
  }

  /** The range and this vCPU's slice of it (sliceGfn: see the field). Reads no RNG stream. */
  private slice(): { lo: number; pages: number; sliceLo: number; sliceHi: number; sliceGfn: number } {
    const { a, rt, v, n } = this;
    const [lo, hi] = rangeOf(rt, a.range);
    const pages = Math.floor((hi - lo) / PAGE_SIZE);
    const sliceLo = Math.floor((pages * v) / n);
    const sliceHi = Math.floor((pages * (v + 1)) / n);
    let sliceGfn = -1;
    if (a.pattern === 'sequential' && sliceHi > sliceLo) {
      // rt.gfnOf rises by one per page and by more across a slot gap: equal spans mean no gap.
      const first = rt.gfnOf(lo + sliceLo * PAGE_SIZE);
      const last = rt.gfnOf(lo + (sliceHi - 1) * PAGE_SIZE);
      if (first >= 0 && last - first === sliceHi - 1 - sliceLo) sliceGfn = first;
    }
    return { lo, pages, sliceLo, sliceHi, sliceGfn };
  }

  /** FaultBatchMember: the VM this loop touches. */
  get batchVm(): Vm {
    return this.rt.vm;
  }

  /**
   * FaultBatchMember: this vCPU's accesses as a fault batch runs them, from its first: a private
   * sequential slice of consecutive gfns with no think time and no arrival gap, capped by the
   * op budget; null for any other loop.
   */
  batchSlice(): { firstGfn: number; pages: number } | null {
    const a = this.a;
    if (a.pattern !== 'sequential' || !a.private || a.thinkNs !== 0 || a.intervalNs !== undefined) return null;
    const sl = this.slice();
    if (sl.sliceGfn < 0) return null;
    return { firstGfn: sl.sliceGfn, pages: Math.min(sl.sliceHi - sl.sliceLo, a.ops ?? Infinity) };
  }

  /** FaultBatchMember: the batch gives back this loop's scheduling point; its resume is the next access (or the end). */
  batchEnded(): void {
    this.at = AT_EXIT;
  }

  /**
   * FaultBatchMember: this loop holds nothing and its next step is an access (before its first,
   * at a scheduling point, or ended): a fault batch may take its VM over.
   */
  batchClean(): boolean {
    const at = this.at;
    return at === AT_SPAWN || at === AT_READY || at === AT_START || at === AT_EXIT;
  }

  /** FaultBatchMember: the gfn of the fault this loop waits in the exit charge of (its first attempt), or -1. */
  batchFaultInExit(): number {
    return this.at === AT_MODEL && this.subKind !== SUB_CONVERT && this.pf.inFirstExit() ? this.gfn : -1;
  }

  /** FaultBatchMember: when that fault began. */
  get batchFaultStart(): number {
    return this.pf.startNs;
  }

  /** FaultBatchMember: the batch takes that fault over (and the accesses after it). */
  batchTakeFault(p: Process<void>): void {
    this.pf.handOver(p);
  }

  /** FaultBatchMember: the batch hands back this loop's fault on gfn (begun at t0, `retries` attempts stale) in its exit charge. */
  batchResumeFault(p: Process<void>, gfn: number, t0: number, retries: number): void {
    const vm = this.rt.vm;
    this.gfn = gfn;
    this.t0 = t0;
    this.subKind = SUB_FAULT;
    this.at = AT_MODEL;
    this.vcpu.inGuest = false;
    this.pf.resumeInExit(p, vm.vcpus[this.v % vm.vcpus.length], gfn, this.a.private, t0, retries);
  }

  /** The next access: a fault on an unmapped page, or a mapped access; the end when none is left. */
  private access(p: Process<void>): Yieldable | ActorExit | ActorParked {
    const { ctx, a, rt, tally } = this;
    const done = tally.started;
    if (!moreOps(ctx, done, a.ops)) return this.end(p);
    let page: number;
    let gfn = -1;
    if (a.pattern === 'sequential') {
      if (this.sliceLo + done >= this.sliceHi) return this.end(p);
      page = this.sliceLo + done;
      if (this.sliceGfn >= 0) gfn = this.sliceGfn + done;
    } else if (this.zipf) {
      page = this.zipf.sample(this.s);
    } else {
      page = uniformInt(this.s, this.pages);
    }
    tally.start();
    if (gfn < 0) gfn = rt.gfnOf(this.lo + page * PAGE_SIZE);
    if (rt.vm.dead) return this.end(p);
    if (rt.vm.pt.walk(gfn) < 0) {
      this.vcpu.inGuest = false;
      // A fault batch takes this fault and every access after it (fault-batch.ts).
      const fb = ctx.faultBatch;
      if (fb !== null && this.sliceGfn >= 0 && fb.join(p, gfn)) return ACTOR_PARKED;
      this.gfn = gfn;
      this.t0 = ctx.sim.now;
      return this.fault(p, SUB_FAULT);
    }
    (this.mappedCounter ??= ctx.sim.stats.counter('vcpu.mapped_accesses')).add(1);
    return this.think(p);
  }

  /** kvm_mmu_page_fault on this.gfn, as the first fault on the page or the one after a conversion. */
  private fault(p: Process<void>, kind: number): Yieldable | ActorExit {
    this.subKind = kind;
    this.at = AT_MODEL;
    const vm = this.rt.vm;
    return this.faulted(p, this.pf.start(p, vm.vcpus[this.v % vm.vcpus.length], this.gfn, this.a.private));
  }

  /** The fault stepped: its wait, or what follows its end. */
  private faulted(p: Process<void>, y: Yieldable | null): Yieldable | ActorExit {
    if (y !== null) return y;
    const { ctx, rt, a, gfn, pf } = this;
    const result = pf.result;
    if (this.subKind === SUB_FAULT && result === 'memory_fault_exit') {
      // The VMM converts the page the guest asked for, then the vCPU re-enters and refaults.
      (this.exitsCounter ??= ctx.sim.stats.counter('vcpu.memory_fault_exits')).add(1);
      this.subKind = SUB_CONVERT;
      return this.converted(p, this.conv.start(p, rt.vm, gfn, gfn + 1, a.private));
    }
    if (result !== 'mapped') ctx.sim.stats.counter('vcpu.fault_outcomes', { result }).add(1);
    if (ctx.sim.tracer !== null) traceOp(ctx, p, 'kvm_mmu_page_fault', this.t0, { gfn, result, retries: pf.retries, level: pf.level });
    if (result === 'shutdown') return this.end(p);
    return this.think(p);
  }

  /** The VMM's conversion stepped: its wait, or the refault. */
  private converted(p: Process<void>, y: Yieldable | null): Yieldable | ActorExit {
    if (y !== null) return y;
    return this.fault(p, SUB_REFAULT);
  }

  /** The access completed: the next is due when the guest's think time ends, CPU or not. */
  private think(p: Process<void>): Yieldable | ActorExit {
    const { ctx, a, tally } = this;
    tally.complete();
    const gap = a.thinkNs + drawGap(this.s, a.intervalNs, a.arrival);
    tally.dueIn(gap);
    if (gap > 0) {
      this.vcpu.inGuest = true;
      this.at = AT_THINK;
      return p.compute(gap);
    }
    this.at = AT_EXIT;
    return p.sleep(0);
  }

  private end(p: Process<void>): ActorExit {
    this.vcpu.inGuest = false;
    this.tally.close();
    this.ctx.finished(p);
    return p.exit();
  }
}
