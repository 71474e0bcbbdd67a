// arch/x86/kvm/mmu/mmu.c's private fault path (v10 8/9 on 6.1; guest_memfd's 6.9+ pre-check):
// kvm_mmu_page_fault -> kvm_faultin_pfn -> (restrictedmem_get_page | kvm_gmem_get_pfn) ->
// kvm_mmu_hugepage_adjust -> map under mmu_lock, retrying while an invalidation covers the gfn
// or completed since the sequence snapshot. A retried fault re-enters the guest and refaults.
import type { Process, Yieldable } from '../engine/index.js';
import { MIGRATE_MOVABLE } from '../fastpath/index.js';
import { charge, chargeWait } from './charge.js';
import { KernelError } from './errors.js';
import { folioPutNs } from './folio.js';
import { folioOffset, HPAGE_PMD_NR, type Gen, type GotPage } from './backing.js';
import { kvm_mmu_unlock, slotMisalignedForHugepages, type Memslot, type PrivateBinding, type Vcpu, type Vm } from './kvm.js';
import { hostPcp, pcpAlloc } from './pcp.js';
import type { PendingWaits } from './op-lock-waits.js';
import type { Host } from './host.js';

export type FaultResult = 'mapped' | 'memory_fault_exit' | 'no_slot' | 'hwpoison' | 'shutdown' | 'livelock' | 'enomem';

export interface FaultOutcome {
  result: FaultResult;
  /** Times the fault was retried (re-entered the guest and refaulted). */
  retries: number;
  /** Level mapped: 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB; 0 when nothing was mapped. */
  level: number;
  latencyNs: number;
}

export interface FaultFlags {
  /** The guest's access is private (KVM_X86_SW_PROTECTED / TDX shared bit clear). */
  private: boolean;
}

/**
 * mmu_invalidate_retry_gfn_unsafe (6.9+, without mmu_lock): in_progress covering gfn, or the
 * sequence moved. Used by guest_memfd's pre-check before the pfn lookup.
 */
export function mmu_invalidate_retry_gfn_unsafe(vm: Vm, mmuSeq: number, gfn: number): boolean {
  if (vm.mmu_invalidate_in_progress && gfn >= vm.mmu_invalidate_range_start && gfn < vm.mmu_invalidate_range_end) return true;
  return vm.mmu_invalidate_seq !== mmuSeq;
}

/**
 * kvm_mmu_max_mapping_level: min over the page's order (a private gfn: the folio's, v10's
 * order_to_level; a shared gfn: host_pfn_mapping_level, the level of the VMM's own mapping, which
 * the model's 4 KiB shared pages make 4 KiB), the MMU's cap (shadow: the guest's 4 KiB pages),
 * and disallow_lpage: the 2 MiB block wholly inside the slot, the slot's alignment test
 * (kvm_alloc_memslot_metadata: userspace_addr, and under v10 restricted_offset, per the binding's
 * misalignedForHugepages), uniform attributes (KVM_LPAGE_MIXED_FLAG). Leaves out dirty logging,
 * the NX-huge-page mitigation and 1 GiB (shmem THP is PMD-only).
 */
export function kvm_mmu_max_mapping_level(vm: Vm, slot: Memslot, gfn: number, order: number): number {
  let level = Math.min(vm.host.s.mmu.maxLevel, order >= 9 ? 2 : 1);
  if (level >= 2) {
    const head = gfn - (gfn % HPAGE_PMD_NR);
    const inSlot = head >= slot.baseGfn && head + HPAGE_PMD_NR <= slot.baseGfn + slot.npages;
    const misaligned = slot.binding ? slot.binding.misalignedForHugepages(slot) : slotMisalignedForHugepages(slot);
    if (!inSlot || misaligned || lpageMixed(vm, head)) level = 1;
  }
  return level;
}

/**
 * KVM_LPAGE_MIXED_FLAG of gfn's 2 MiB block (hugepage_has_attrs false): its gfns' attributes are
 * not all the same, so disallow_lpage keeps the block at 4 KiB.
 */
export function lpageMixed(vm: Vm, gfn: number): boolean {
  const head = gfn - (gfn % HPAGE_PMD_NR);
  return !vm.memAttr.isUniform(head, head + HPAGE_PMD_NR);
}

/**
 * The shared side of a fault (the VMM's hva backing): a movable 4 KiB page, allocated on first
 * touch. Leaves out the host page-table walk, GUP and the mmu_notifier on that mapping.
 */
function* faultin_shared(p: Process, vm: Vm, gfn: number): Gen<GotPage> {
  const host = vm.host;
  let pfn = vm.shared.get(gfn);
  if (pfn === undefined) {
    pfn = host.mem.allocPages(0, MIGRATE_MOVABLE);
    if (pfn < 0) throw new KernelError('ENOMEM', 'hva_to_pfn');
    host.metrics.folioAllocated(0);
    vm.shared.set(gfn, pfn);
    pcpAlloc(hostPcp(host), p, 1);
    yield* charge(p, host.costs.ns('host.alloc_page_ns'));
  }
  host.mem.folioGet(pfn);
  return { folio: pfn, pfn, order: 0 };
}

/**
 * kvm_mmu_page_fault for a not-present gfn: each attempt costs an exit (the MMU strategy's),
 * takes kvm->srcu, snapshots mmu_invalidate_seq, checks the attribute (mismatch ->
 * KVM_EXIT_MEMORY_FAULT), optionally pre-checks (guest_memfd 6.9+), gets the page with a
 * reference (on failure v10 returns RET_PF_RETRY and the fault repeats, guest_memfd ends it with
 * the error: the binding's retryOnGetPfnError), takes mmu_lock (read under tdp, write under shadow), retries if stale
 * (is_page_fault_stale via the faultRetry strategy), maps at the allowed level, unlocks, drops
 * the page reference. Records fault.latency_ns, fault.retries, fault.by_level, fault.lock_wait_ns{lock}.
 * A generator over KvmPageFault (the same waits), for callers that `yield*` it.
 */
export function* kvm_mmu_page_fault(p: Process, vcpu: Vcpu, gfn: number, flags: FaultFlags): Gen<FaultOutcome> {
  const f = new KvmPageFault();
  let y = f.start(p, vcpu, gfn, flags.private);
  while (y !== null) {
    let v: unknown;
    try {
      v = yield y;
    } catch (e) {
      y = f.fail(p, e);
      continue;
    }
    y = f.resume(p, v);
  }
  return f.outcome();
}

/**
 * The charges of a fault's own steps on a host (the profile and strategies are fixed for its
 * life): the MMU strategy's exit (kvm.fault_exit_tdp_ns / kvm.fault_exit_shadow_ns),
 * kvm.mem_attr_lookup_ns and kvm.map_leaf_ns, and mmu_lock's mode (write under shadow).
 * Rounded as charge rounds them (the same charges): a non-integer (the shadow MMU's exit is
 * 20933.5 ns) passed to charge where V8 does not inline it is a heap number per fault.
 */
export function faultCharges(host: Host): { exitNs: number; attrNs: number; mapNs: number; writeMode: boolean } {
  return {
    exitNs: Math.round(host.s.mmu.faultExitNs(host.costs)),
    attrNs: Math.round(host.costs.ns('kvm.mem_attr_lookup_ns')),
    mapNs: Math.round(host.costs.ns('kvm.map_leaf_ns')),
    writeMode: host.s.mmu.faultLockMode === 'write',
  };
}

/**
 * %GeneratorPrototype%.next and .throw, called directly (engine/simulation.ts says why): the
 * getPfn generators a fault steps when the binding has no generator-free path.
 */
const GeneratorPrototype = Object.getPrototypeOf(function* () {}).prototype as Generator<unknown, unknown, unknown>;
const genNext = GeneratorPrototype.next;
const genThrow = GeneratorPrototype.throw;

// Where a KvmPageFault waits (what its next resume does).
const F_EXIT = 0; // the exit's charge: take kvm->srcu, find the slot, then the attribute lookup's charge
const F_ATTR = 1; // the attribute lookup's charge: check it, get the page
const F_PFN = 2; // inside the getPfn / faultin_shared generator
const F_PFN_BEGIN = 3; // getPfnBegin's charge: getPfnEnd (which may throw as getPfn would), then its charge
const F_PFN_END = 4; // getPfnEnd's charge: the page is held; take mmu_lock
const F_LOCK = 5; // mmu_lock's acquisition: stale? else the map's charge
const F_MAP = 6; // the map's charge: map, unlock, drop the reference
const F_PUT = 7; // the reference's folio_put charge after mapping: done
const F_STALE_PUT = 8; // the folio_put charge of a stale attempt: retry

/**
 * kvm_mmu_page_fault (v10 on 6.1; guest_memfd 6.18) as a state machine (DESIGN.md principle 6),
 * the flow the generator form's docstring describes: `start` and `resume` return what the vCPU
 * waits on next (a compute or mmu_lock, exactly where the generator form waited) or null when
 * the fault is over (its outcome in `result`, `retries`, `level`, `latencyNs`). Locks: kvm->srcu
 * (read) across an attempt, mmu_lock (read under tdp, write under shadow) around the map. Costs
 * the MMU strategy's exit (kvm.fault_exit_tdp_ns / kvm.fault_exit_shadow_ns),
 * kvm.mem_attr_lookup_ns, kvm.map_leaf_ns, plus getPfn's and folio_put's. A vCPU keeps one and
 * reuses it (nothing allocated per fault); those values are read once per host. The binding's
 * getPfnBegin/getPfnEnd (restrictedmem_get_page, kvm_gmem_get_pfn) run without a generator; a
 * binding without them, a locked folio and the shared side step the getPfn generator. Leaves out
 * fast_page_fault (the lockless path for a present SPTE, which a first touch never takes) and
 * async page faults.
 */
export class KvmPageFault {
  result: FaultResult = 'mapped';
  retries = 0;
  level = 0;
  latencyNs = 0;
  private at = F_EXIT;
  private vm!: Vm;
  private host: Host | null = null;
  private gfn = 0;
  private priv = false;
  private t0 = 0;
  private srcuIdx = -1;
  private slot: Memslot | undefined;
  private binding: PrivateBinding | undefined;
  private mmuSeq = 0;
  private sub: Gen<GotPage> | null = null;
  private readonly got: GotPage = { folio: 0, pfn: 0, order: 0 };
  // Read from the host once (the profile and strategies are fixed for a host's life).
  private exitNs = 0;
  private attrNs = 0;
  private mapNs = 0;
  private writeMode = false;
  private faultRetry!: Host['s']['faultRetry'];
  // The fault-wait sink of the process this machine last ran on (a vCPU's machine always runs on
  // its own process): no WeakMap lookup per fault.
  private waitsOf: Process | null = null;
  private waits: PendingWaits | null = null;

  /** Begin a fault on gfn (priv: the guest's access is private). */
  start(p: Process, vcpu: Vcpu, gfn: number, priv: boolean): Yieldable | null {
    this.begin(p, vcpu, gfn, priv, vcpu.vm.host.sim.now);
    return this.attempt(p);
  }

  /** The fault's state at its start (t0), its lock waits counted towards it from here. */
  private begin(p: Process, vcpu: Vcpu, gfn: number, priv: boolean, t0: number): void {
    const vm = vcpu.vm;
    const host = vm.host;
    if (this.host !== host) this.useHost(host);
    this.vm = vm;
    this.gfn = gfn;
    this.priv = priv;
    this.t0 = t0;
    this.retries = 0;
    this.level = 0;
    if (this.waitsOf !== p) {
      this.waits = host.metrics.faultWaits.sinkOf(p);
      this.waitsOf = p;
    }
    host.metrics.faultWaits.beginWith(p, this.waits!);
  }

  /**
   * The fault began at t0 on gfn and waits in an attempt's exit charge (the first, or the one after
   * `retries` stale attempts), which the fault batch ran (sim/actors/fault-batch.ts hands the vCPU
   * back there): the machine as `start` or `retry` left it, without charging the exit again. Its
   * next resume is the exit's end.
   */
  resumeInExit(p: Process, vcpu: Vcpu, gfn: number, priv: boolean, t0: number, retries = 0): void {
    this.begin(p, vcpu, gfn, priv, t0);
    this.retries = retries;
    this.at = F_EXIT;
  }

  /** The fault waits in its first attempt's exit charge (nothing held yet): a fault batch may take it over. */
  inFirstExit(): boolean {
    return this.at === F_EXIT && this.retries === 0 && this.srcuIdx < 0;
  }

  /** When the fault began (its exit charge ends exitNs later). */
  get startNs(): number {
    return this.t0;
  }

  /** A fault batch took the fault over in its exit charge: the operation ends here, nothing recorded. */
  handOver(p: Process): void {
    this.vm.host.metrics.faultWaits.endWith(p, this.waits!, false);
  }

  /** The wait is over (value: what it returned). */
  resume(p: Process, value: unknown): Yieldable | null {
    switch (this.at) {
      case F_EXIT: return this.lookup(p);
      case F_ATTR: return this.faultin(p);
      case F_PFN: return this.stepPfn(p, false, value);
      case F_PFN_BEGIN: return this.pfnEnd(p);
      case F_PFN_END: return this.lockMmu(p);
      case F_LOCK: return this.locked(p);
      case F_MAP: return this.map(p);
      case F_PUT: return this.done(p, 'mapped', this.level);
      default: return this.staleRetry(p);
    }
  }

  /** An error at the wait: into the getPfn generator if it waits there, else it ends the fault (kvm->srcu released). */
  fail(p: Process, error: unknown): Yieldable | null {
    if (this.at === F_PFN) return this.stepPfn(p, true, error);
    this.srcuUnlock(p);
    throw error;
  }

  /** The outcome as an object (the generator form's return value). */
  outcome(): FaultOutcome {
    return { result: this.result, retries: this.retries, level: this.level, latencyNs: this.latencyNs };
  }

  private useHost(host: Host): void {
    this.host = host;
    const c = faultCharges(host);
    this.exitNs = c.exitNs;
    this.attrNs = c.attrNs;
    this.mapNs = c.mapNs;
    this.writeMode = c.writeMode;
    this.faultRetry = host.s.faultRetry;
    this.waitsOf = null;
  }

  /** `yield* charge(p, ns)` then `next`: a compute when ns rounds above zero, else straight on. */
  private charge(p: Process, ns: number, next: number): Yieldable | null {
    this.at = next;
    return chargeWait(p, ns) ?? this.resume(p, undefined);
  }

  /** One attempt: the exit into KVM. */
  private attempt(p: Process): Yieldable | null {
    if (this.vm.dead) return this.done(p, 'shutdown', 0);
    return this.charge(p, this.exitNs, F_EXIT);
  }

  /** srcu_read_lock, kvm_vcpu_gfn_to_memslot, mmu_seq = mmu_invalidate_seq, the attribute lookup. */
  private lookup(p: Process): Yieldable | null {
    const vm = this.vm;
    this.srcuIdx = vm.srcu.readLock(p);
    this.slot = vm.slotFor(this.gfn);
    if (!this.slot) return this.done(p, 'no_slot', 0);
    this.mmuSeq = vm.mmu_invalidate_seq;
    return this.charge(p, this.attrNs, F_ATTR);
  }

  /** kvm_faultin_pfn: attribute mismatch exits to the VMM; else the page, private or shared. */
  private faultin(p: Process): Yieldable | null {
    const vm = this.vm;
    const gfn = this.gfn;
    const isPrivate = vm.memAttr.isPrivate(gfn);
    if (this.priv !== isPrivate) return this.done(p, 'memory_fault_exit', 0);
    const binding = isPrivate ? this.slot!.binding : undefined;
    this.binding = binding;
    if (isPrivate && !binding) return this.done(p, 'memory_fault_exit', 0);
    if (binding?.precheck && mmu_invalidate_retry_gfn_unsafe(vm, this.mmuSeq, gfn)) return this.retry(p);
    const index = this.slot!.offsetPages + (gfn - this.slot!.baseGfn);
    if (binding !== undefined && binding.getPfnBegin !== undefined) {
      let ns: number;
      try {
        ns = binding.getPfnBegin(p, index, this.got);
      } catch (e) {
        return this.getPfnFailed(p, e);
      }
      if (ns >= 0) return this.charge(p, ns, F_PFN_BEGIN);
    }
    this.sub = binding ? binding.getPfn(p, index) : faultin_shared(p, vm, gfn);
    this.at = F_PFN;
    return this.stepPfn(p, false, undefined);
  }

  /** getPfn's work after its first charge (which may fail it), then its second charge. */
  private pfnEnd(p: Process): Yieldable | null {
    let ns: number;
    try {
      ns = this.binding!.getPfnEnd!(this.got);
    } catch (e) {
      return this.getPfnFailed(p, e);
    }
    return this.charge(p, ns, F_PFN_END);
  }

  /** Step the getPfn generator; its end holds the page. */
  private stepPfn(p: Process, thrown: boolean, value: unknown): Yieldable | null {
    let r: IteratorResult<Yieldable, GotPage>;
    try {
      r = (thrown ? genThrow.call(this.sub, value) : genNext.call(this.sub, value)) as IteratorResult<Yieldable, GotPage>;
    } catch (e) {
      this.sub = null;
      return this.getPfnFailed(p, e);
    }
    if (r.done !== true) return r.value;
    this.sub = null;
    const got = this.got;
    got.folio = r.value.folio;
    got.pfn = r.value.pfn;
    got.order = r.value.order;
    return this.lockMmu(p);
  }

  /** getPfn threw: v10 retries (RET_PF_RETRY); otherwise poison and ENOMEM end the fault, anything else propagates. */
  private getPfnFailed(p: Process, e: unknown): Yieldable | null {
    if (!(e instanceof KernelError)) {
      this.srcuUnlock(p);
      throw e;
    }
    const vm = this.vm;
    if (this.binding?.retryOnGetPfnError) {
      // v10: RET_PF_RETRY; the vCPU re-enters the guest and faults again.
      vm.host.event(p, 'fault_retry', vm.host.trailArgs ? { vm: vm.name, gfn: this.gfn, errno: e.errno } : undefined);
      return this.retry(p, `restrictedmem_get_page keeps failing with -${e.errno} and v10's kvm_faultin_pfn_private returns RET_PF_RETRY`);
    }
    if (e.errno === 'EHWPOISON') return this.done(p, 'hwpoison', 0);
    if (e.errno === 'ENOMEM') return this.done(p, 'enomem', 0);
    this.srcuUnlock(p);
    throw e;
  }

  /** kvm_mmu_hugepage_adjust's level, then KVM_MMU_LOCK (read under tdp, write under shadow). */
  private lockMmu(p: Process): Yieldable | null {
    this.level = kvm_mmu_max_mapping_level(this.vm, this.slot!, this.gfn, this.got.order);
    this.at = F_LOCK;
    const l = this.vm.mmuLock;
    return this.writeMode ? l.writeLock(p) : l.readLock(p);
  }

  /** Under mmu_lock: is_page_fault_stale, else the map's charge. */
  private locked(p: Process): Yieldable | null {
    const vm = this.vm;
    if (this.faultRetry.isStale(vm, this.mmuSeq, this.gfn)) {
      kvm_mmu_unlock(p, vm, this.writeMode ? 'write' : 'read');
      return this.charge(p, folioPutNs(vm.host, this.got.folio, p), F_STALE_PUT);
    }
    return this.charge(p, this.mapNs, F_MAP);
  }

  /** The leaf (kvm_mmu_hugepage_adjust: fault->pfn &= ~mask), unlock, then the reference's folio_put. */
  private map(p: Process): Yieldable | null {
    const vm = this.vm;
    const host = vm.host;
    const gfn = this.gfn;
    const level = this.level;
    const got = this.got;
    const order = 9 * (level - 1);
    const gfnHead = gfn - folioOffset(gfn, order);
    // The leaf and, unless it is the folio's last reference, the put below in one fast-path call:
    // nothing between them reads the reference count.
    const put = host.fp.mapAndPut(vm.pt, gfnHead, got.pfn - folioOffset(got.pfn, order), level, got.folio);
    host.safety.noteMapped(vm, gfn);
    if (order > 0) host.safety.noteMapped(vm, gfnHead);
    host.event(p, 'fault_map', host.trailArgs ? { vm: vm.name, gfn, pfn: got.pfn, level } : undefined);
    kvm_mmu_unlock(p, vm, this.writeMode ? 'write' : 'read');
    return this.charge(p, put ? 0 : folioPutNs(host, got.folio, p), F_PUT);
  }

  /** A stale attempt dropped its page: count it, then retry. */
  private staleRetry(p: Process): Yieldable | null {
    const vm = this.vm;
    vm.host.event(p, 'fault_retry', vm.host.trailArgs ? { vm: vm.name, gfn: this.gfn, seq: vm.mmu_invalidate_seq, in_progress: vm.mmu_invalidate_in_progress } : undefined);
    return this.retry(p);
  }

  /**
   * Another attempt (the guest re-enters and refaults, kvm->srcu released), unless this one was
   * the last allowed: then the liveness check reports it, with why it retries when known.
   */
  private retry(p: Process, why?: string): Yieldable | null {
    this.retries++;
    if (this.retries > this.vm.host.maxFaultRetries) {
      livelock(p, this.vm, this.gfn, why);
      return this.done(p, 'livelock', 0);
    }
    this.srcuUnlock(p);
    return this.attempt(p);
  }

  private srcuUnlock(p: Process): void {
    if (this.srcuIdx < 0) return;
    this.vm.srcu.readUnlock(p, this.srcuIdx);
    this.srcuIdx = -1;
  }

  /** The fault ends (faultDone), then kvm->srcu is released if held (the generator form's finally). */
  private done(p: Process, result: FaultResult, level: number): null {
    const host = this.vm.host;
    this.result = result;
    this.level = level;
    this.latencyNs = host.sim.now - this.t0;
    host.metrics.faultWaits.endWith(p, this.waits!, result === 'mapped');
    if (result === 'mapped') host.metrics.fault(this.latencyNs, this.retries, level);
    else if (this.retries) host.metrics.count('fault.retries', undefined, this.retries);
    this.srcuUnlock(p);
    return null;
  }
}

/** The liveness check: a fault retried more than maxFaultRetries times, named with why it retries. */
function livelock(p: Process, vm: Vm, gfn: number, why?: string): void {
  const state = why ?? `mmu_invalidate_in_progress = ${vm.mmu_invalidate_in_progress}, range ${vm.mmu_invalidate_range_start}..${vm.mmu_invalidate_range_end}`;
  vm.host.safety.report('fault_livelock', `${p.name}: fault on ${vm.name} gfn ${gfn} retried ${vm.host.maxFaultRetries} times (${state})`, { vm, gfn });
}
