// arch/x86/kvm/mmu/mmu.c's private fault path (v10 8/9 on 6.1; guest_memfd's 6.9+ pre-check):
// kvm_mmu_page_fault -> kvm_faultin_pfn -> (restrictedmem_get_page | kvm_gmem_get_pfn) ->
// kvm_mmu_hugepage_adjust -> map under mmu_lock, retrying while an invalidation covers the gfn
// or completed since the sequence snapshot. A retried fault re-enters the guest and refaults.
import type { Process } from '../engine/index.js';
import { MIGRATE_MOVABLE } from '../fastpath/index.js';
import { charge } from './charge.js';
import { KernelError } from './errors.js';
import { folioPutNs } from './folio.js';
import { HPAGE_PMD_NR, type Gen, type GotPage } from './backing.js';
import { kvm_mmu_lock, kvm_mmu_unlock, slotMisalignedForHugepages, type Memslot, type Vcpu, type Vm } from './kvm.js';
import { pcpAlloc } from './pcp.js';
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
    if (!inSlot || misaligned || !vm.memAttr.isUniform(head, head + HPAGE_PMD_NR)) level = 1;
  }
  return level;
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
    pcpAlloc(host, p, 1);
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
 */
export function* kvm_mmu_page_fault(p: Process, vcpu: Vcpu, gfn: number, flags: FaultFlags): Gen<FaultOutcome> {
  const vm = vcpu.vm;
  const host = vm.host;
  const c = host.costs;
  const mode = host.s.mmu.faultLockMode;
  const t0 = host.sim.now;
  let retries = 0;
  host.metrics.faultWaits.begin(p);
  for (;;) {
    if (vm.dead) return faultDone(p, host, t0, retries, 'shutdown');
    yield* charge(p, host.s.mmu.faultExitNs(c));
    const idx = vm.srcu.readLock(p);
    let got: GotPage | undefined;
    try {
      const slot = vm.slotFor(gfn);
      if (!slot) return faultDone(p, host, t0, retries, 'no_slot');
      const mmuSeq = vm.mmu_invalidate_seq;
      yield* charge(p, c.ns('kvm.mem_attr_lookup_ns'));
      const isPrivate = vm.memAttr.isPrivate(gfn);
      if (flags.private !== isPrivate) return faultDone(p, host, t0, retries, 'memory_fault_exit');
      const binding = isPrivate ? slot.binding : undefined;
      if (isPrivate && !binding) return faultDone(p, host, t0, retries, 'memory_fault_exit');
      if (binding?.precheck && mmu_invalidate_retry_gfn_unsafe(vm, mmuSeq, gfn)) {
        retries++;
        if (retries > host.maxFaultRetries) return livelock(p, vm, gfn, t0, retries);
        continue;
      }
      try {
        got = binding ? yield* binding.getPfn(p, slot.offsetPages + (gfn - slot.baseGfn)) : yield* faultin_shared(p, vm, gfn);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        if (binding?.retryOnGetPfnError) {
          // v10: RET_PF_RETRY; the vCPU re-enters the guest and faults again.
          retries++;
          host.event(p, 'fault_retry', { vm: vm.name, gfn, errno: e.errno });
          if (retries > host.maxFaultRetries) return livelock(p, vm, gfn, t0, retries, `restrictedmem_get_page keeps failing with -${e.errno} and v10's kvm_faultin_pfn_private returns RET_PF_RETRY`);
          continue;
        }
        if (e.errno === 'EHWPOISON') return faultDone(p, host, t0, retries, 'hwpoison');
        if (e.errno === 'ENOMEM') return faultDone(p, host, t0, retries, 'enomem');
        throw e;
      }
      const level = kvm_mmu_max_mapping_level(vm, slot, gfn, got.order);
      yield* kvm_mmu_lock(p, vm, mode);
      if (host.s.faultRetry.isStale(vm, mmuSeq, gfn)) {
        kvm_mmu_unlock(p, vm, mode);
        yield* charge(p, folioPutNs(host, got.folio, p));
        got = undefined;
        retries++;
        host.event(p, 'fault_retry', { vm: vm.name, gfn, seq: vm.mmu_invalidate_seq, in_progress: vm.mmu_invalidate_in_progress });
        if (retries > host.maxFaultRetries) return livelock(p, vm, gfn, t0, retries);
        continue;
      }
      const span = 2 ** (9 * (level - 1));
      const gfnHead = gfn - (gfn % span);
      const pfnHead = got.pfn - (got.pfn % span); // kvm_mmu_hugepage_adjust: fault->pfn &= ~mask
      yield* charge(p, c.ns('kvm.map_leaf_ns'));
      vm.pt.map(gfnHead, pfnHead, level);
      host.safety.noteMapped(vm, gfn);
      if (span > 1) host.safety.noteMapped(vm, gfnHead);
      host.event(p, 'fault_map', { vm: vm.name, gfn, pfn: got.pfn, level });
      kvm_mmu_unlock(p, vm, mode);
      yield* charge(p, folioPutNs(host, got.folio, p));
      got = undefined;
      return faultDone(p, host, t0, retries, 'mapped', level);
    } finally {
      vm.srcu.readUnlock(p, idx);
    }
  }
}

/**
 * The fault ends with `result` (begun at t0, retried `retries` times): its latency and lock waits
 * are recorded when it mapped, its retries either way. A function of its own, not a closure in
 * kvm_mmu_page_fault: a closure would put the fault's locals in a context allocated per fault.
 */
function faultDone(p: Process, host: Host, t0: number, retries: number, result: FaultResult, level = 0): FaultOutcome {
  const latencyNs = host.sim.now - t0;
  host.metrics.faultWaits.end(p, result === 'mapped');
  if (result === 'mapped') host.metrics.fault(latencyNs, retries, level);
  else if (retries) host.metrics.count('fault.retries', undefined, retries);
  return { result, retries, level, latencyNs };
}

/** The liveness check: a fault retried more than maxFaultRetries times, named with why it retries. */
function livelock(p: Process, vm: Vm, gfn: number, t0: number, retries: number, why?: string): FaultOutcome {
  const state = why ?? `mmu_invalidate_in_progress = ${vm.mmu_invalidate_in_progress}, range ${vm.mmu_invalidate_range_start}..${vm.mmu_invalidate_range_end}`;
  vm.host.safety.report('fault_livelock', `${p.name}: fault on ${vm.name} gfn ${gfn} retried ${vm.host.maxFaultRetries} times (${state})`, { vm, gfn });
  return faultDone(p, vm.host, t0, retries, 'livelock');
}
