// Strategy objects, one per choice value (choices.ts). The model calls these; it never tests a
// variant's name. Each strategy says in a comment which kernel design it stands for.
import { Mutex, RwSemaphore, Srcu, type Simulation, type Process, type Gen, type Yieldable } from '../engine/index.js';
import type { CostProfile } from '../costs/index.js';
import type { ChoiceValues } from './choices.js';
import type { ThpPolicy } from '../fastpath/api.js';

// ---------------------------------------------------------------------------------------------
// notifier: protection of restrictedmem_data's notifier list

/** The lock state of one restrictedmem_data under a notifier strategy. */
export interface NotifierLockState {
  /** True when the read side is held from invalidate_start to invalidate_end (one hold per punch). */
  readonly heldAcrossPunch: boolean;
  /** Read side: taken by invalidate_start/end (per phase or across) and by error notification. */
  lockRead(p: Process): Gen<unknown>;
  unlockRead(p: Process, token: unknown): void;
  /** Update side: register/unregister. */
  lockUpdate(p: Process): Gen;
  unlockUpdate(p: Process): void;
  /** Extra wait after unlinking a notifier before it may be freed (SRCU grace period). */
  afterUnregister(p: Process, costs: CostProfile): Gen;
}

/** A memslot's place: gfns [baseGfn, baseGfn + npages) backed by file pages from offsetPages. */
export interface SlotWindow {
  readonly baseGfn: number;
  readonly npages: number;
  readonly offsetPages: number;
}

/** What v10's u64 gfn_end becomes when it wraps: past every gfn. */
export const GFN_WRAPPED = Number.MAX_SAFE_INTEGER;

/**
 * The gfns of a slot that file pages [start, end) back: the intersection with the slot's window,
 * shifted to base_gfn; undefined when none.
 */
export function exactGfnRange(slot: SlotWindow, start: number, end: number): [number, number] | undefined {
  const lo = Math.max(start, slot.offsetPages);
  const hi = Math.min(end, slot.offsetPages + slot.npages);
  if (lo >= hi) return undefined;
  return [slot.baseGfn + (lo - slot.offsetPages), slot.baseGfn + (hi - slot.offsetPages)];
}

/**
 * restrictedmem_range_is_valid (v10 9/9, kvm_main.c) as written, in u64:
 *   gfn_start = start > base_pgoff ? base_gfn + start - base_pgoff : base_gfn
 *   gfn_end = end < base_pgoff + npages ? base_gfn + end - base_pgoff : base_gfn + npages
 * A punch below the window of a slot bound at a file offset above base_gfn + end wraps gfn_end
 * past every gfn, so the slot is invalidated from base_gfn up; above the window gfn_start >=
 * gfn_end and the slot is skipped, as it should be.
 */
function v10RangeIsValid(slot: SlotWindow, start: number, end: number): [number, number] | undefined {
  const base = slot.offsetPages;
  const g0 = start > base ? slot.baseGfn + start - base : slot.baseGfn;
  let g1 = end < base + slot.npages ? slot.baseGfn + end - base : slot.baseGfn + slot.npages;
  if (g1 < 0) g1 = GFN_WRAPPED;
  return g0 < g1 ? [g0, g1] : undefined;
}

export interface NotifierStrategy {
  readonly name: ChoiceValues['notifier'];
  /**
   * KVM's gfn range for a file range: v10's restrictedmem_range_is_valid (9/9), which wraps for
   * a punch below a slot's window (v10 and the lock-only changes on it), or the exact
   * intersection of the 2023 rework's bindings (rwsem).
   */
  slotRange(slot: SlotWindow, start: number, end: number): [number, number] | undefined;
  /** `owner` (the file, rmem0) names the lock's trace track. */
  create(sim: Simulation, labels: Record<string, string>, owner?: string): NotifierLockState;
}

/** v10: mutex data->lock taken for invalidate_start, dropped around shmem_fallocate, taken again for end. */
const notifierV10: NotifierStrategy = {
  name: 'v10',
  slotRange: v10RangeIsValid,
  create(sim, labels, owner) {
    const m = new Mutex(sim, 'notifier_lock', { labels, owner });
    return mutexState(m, false);
  },
};

/** Review request (Sean, [S9]): the same mutex held from before invalidate_start to after invalidate_end. */
const notifierHeldAcross: NotifierStrategy = {
  name: 'held-across',
  slotRange: v10RangeIsValid,
  create(sim, labels, owner) {
    const m = new Mutex(sim, 'notifier_lock', { labels, owner });
    return mutexState(m, true);
  },
};

/** v10's mutex: one lock for readers (each invalidate phase, or across) and updaters alike. */
function mutexState(m: Mutex, across: boolean): NotifierLockState {
  return sleepingLockState(across, (p) => m.lock(p), (p) => m.unlock(p), (p) => m.lock(p), (p) => m.unlock(p));
}

/** [S9] N3: rw_semaphore, read side held across the whole punch, write side for (un)register. */
const notifierRwsem: NotifierStrategy = {
  name: 'rwsem',
  slotRange: exactGfnRange,
  create(sim, labels, owner) {
    const s = new RwSemaphore(sim, 'notifier_lock', { labels, owner });
    return sleepingLockState(true, (p) => s.downRead(p), (p) => s.upRead(p), (p) => s.downWrite(p), (p) => s.upWrite(p));
  },
};

/** A notifier lock that sleeps on contention (mutex, rwsem): no token, no grace period. */
function sleepingLockState(
  across: boolean,
  read: (p: Process) => Yieldable, readUnlock: (p: Process) => void,
  update: (p: Process) => Yieldable, updateUnlock: (p: Process) => void,
): NotifierLockState {
  return {
    heldAcrossPunch: across,
    *lockRead(p) {
      yield read(p);
      return undefined;
    },
    unlockRead: (p) => readUnlock(p),
    *lockUpdate(p) {
      yield update(p);
    },
    unlockUpdate: (p) => updateUnlock(p),
    *afterUnregister() {},
  };
}

/**
 * Hypothetical N5: SRCU-protected list. Readers (each invalidate phase) are lock-free, as in v10's
 * per-phase scope, so (un)register between start and end still unbalances KVM's counts;
 * updates serialise on a mutex and unregister waits for a grace period (synchronize_srcu).
 */
const notifierSrcu: NotifierStrategy = {
  name: 'srcu',
  slotRange: v10RangeIsValid,
  create(sim, labels, owner) {
    const srcu = new Srcu(sim, 'notifier_srcu', { labels, owner });
    const update = new Mutex(sim, 'notifier_lock', { labels, owner });
    return {
      heldAcrossPunch: false,
      *lockRead(p) {
        return srcu.readLock(p);
      },
      unlockRead(p, token) {
        srcu.readUnlock(p, token as number);
      },
      *lockUpdate(p) {
        yield update.lock(p);
      },
      unlockUpdate(p) {
        update.unlock(p);
      },
      *afterUnregister(p) {
        yield srcu.synchronize(p); // grace period cost: LockCosts.srcu_gp_ns
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// thp: shmem_enabled for the internal mount. The decision itself (shmem_is_huge with no VMA,
// 6.1 rules: always with no i_size check, within_size = round_up(index+1, 512) <= i_size,
// advise never without a VMA) lives once, in the fast path's shmem_get_folio.

export interface ThpStrategy {
  readonly name: ChoiceValues['thp'];
  /** The shmem_enabled value handed to the fast path's shmem_get_folio. */
  readonly policy: ThpPolicy;
}

const thpNever: ThpStrategy = { name: 'never', policy: 'never' };
const thpAlways: ThpStrategy = { name: 'always', policy: 'always' };
const thpWithinSize: ThpStrategy = { name: 'within_size', policy: 'within_size' };
const thpAdvise: ThpStrategy = { name: 'advise', policy: 'advise' };

// ---------------------------------------------------------------------------------------------
// partialPunch: truncate_inode_partial_folio after zeroing

export interface PartialPunchStrategy {
  readonly name: ChoiceValues['partialPunch'];
  /** Try split_folio (to order 0 in 6.1) after zeroing the punched part. */
  readonly trySplit: boolean;
}
const punchSplit: PartialPunchStrategy = { name: 'split', trySplit: true };
/** Hypothetical: zero and keep the huge folio (the split-failure path taken as a policy). */
const punchZero: PartialPunchStrategy = { name: 'zero', trySplit: false };

// ---------------------------------------------------------------------------------------------
// mmu: KVM's secondary MMU

export interface MmuStrategy {
  readonly name: ChoiceValues['mmu'];
  /** mmu_lock mode a fault takes: read for the TDP MMU, write for the shadow MMU. */
  readonly faultLockMode: 'read' | 'write';
  /** Largest leaf level a private fault may install (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB). */
  readonly maxLevel: number;
  /** Cost of kvm_unmap_gfn_range over `gfns` guest frames that zapped `leaves` present leaves. */
  zapNs(costs: CostProfile, gfns: number, leaves: number): number;
  /** Cost per vCPU in guest mode of kvm_flush_remote_tlbs (kick and wait). */
  kickNs(costs: CostProfile): number;
  /** Guest exit + kvm_mmu_page_fault entry + re-entry. */
  faultExitNs(costs: CostProfile): number;
}

/** TDP MMU (EPT/NPT): tdp_mmu_zap_leafs skips non-present subtrees; faults read-lock mmu_lock. */
const mmuTdp: MmuStrategy = {
  name: 'tdp',
  faultLockMode: 'read',
  maxLevel: 3,
  zapNs: (c, gfns, leaves) => Math.ceil(gfns / 512) * c.ns('kvm.tdp_zap_per_table_ns') + leaves * c.ns('kvm.zap_leaf_ns'),
  kickNs: (c) => c.ns('kvm.flush_kick_tdp_ns'),
  faultExitNs: (c) => c.ns('kvm.fault_exit_tdp_ns'),
};

/**
 * Shadow MMU (this host, tdp_mmu=N): faults write-lock mmu_lock, the zap walks the rmap of every
 * gfn in range, and the guest's own 4 KiB pages cap the shadow leaf level.
 */
const mmuShadow: MmuStrategy = {
  name: 'shadow',
  faultLockMode: 'write',
  maxLevel: 1,
  zapNs: (c, gfns, leaves) => gfns * c.ns('kvm.shadow_zap_per_gfn_ns') + leaves * c.ns('kvm.zap_leaf_ns'),
  kickNs: (c) => c.ns('kvm.flush_kick_shadow_ns'),
  faultExitNs: (c) => c.ns('kvm.fault_exit_shadow_ns'),
};

// ---------------------------------------------------------------------------------------------
// errorLookup: restrictedmem_error_page's search for the file owning a poisoned shmem page

export interface ErrorLookupResult<F> {
  /** The file whose shmem mapping holds the page, if found. */
  found?: F;
  /** Inodes visited (cost). */
  walked: number;
  /** v10 as posted: the walk dereferences the NULL private_data of the pseudo-fs root inode. */
  nullDeref: boolean;
}

export interface ErrorLookupStrategy {
  readonly name: ChoiceValues['errorLookup'];
  /** Cost name per step. */
  readonly stepCost: 'restrictedmem.error_walk_per_inode_ns' | 'restrictedmem.error_direct_lookup_ns';
  lookup<F extends { memfdMapping: unknown; freeing: boolean }>(sbInodes: readonly F[], mapping: unknown, direct: F | undefined): ErrorLookupResult<F>;
}

/** v10 with the list's fix: inodes on s_inodes, I_FREEING skipped; linear walk under s_inode_list_lock. */
const errorSbWalk: ErrorLookupStrategy = {
  name: 'sb-walk',
  stepCost: 'restrictedmem.error_walk_per_inode_ns',
  lookup(inodes, mapping) {
    let walked = 0;
    for (const f of inodes) {
      walked++;
      if (f.freeing) continue;
      if (f.memfdMapping === mapping) return { found: f, walked, nullDeref: false };
    }
    return { walked, nullDeref: false };
  },
};

/** v10 as posted: alloc_anon_inode never adds the inode to s_inodes; only the root (private_data NULL) is there. */
const errorSbWalkAsPosted: ErrorLookupStrategy = {
  name: 'sb-walk-as-posted',
  stepCost: 'restrictedmem.error_walk_per_inode_ns',
  lookup() {
    return { walked: 1, nullDeref: true };
  },
};

/** E2: the file from mapping->private_data / mapping->host in O(1) (guest_memfd's kvm_gmem_error_folio). */
const errorDirect: ErrorLookupStrategy = {
  name: 'direct',
  stepCost: 'restrictedmem.error_direct_lookup_ns',
  lookup(_inodes, _mapping, direct) {
    return { found: direct, walked: 1, nullDeref: false };
  },
};

// ---------------------------------------------------------------------------------------------
// faultRetry: is_page_fault_stale's invalidation check

export interface FaultRetryStrategy {
  readonly name: ChoiceValues['faultRetry'];
  /** mmu_invalidate_retry_gfn(kvm, mmu_seq, gfn), or never stale for the unsafe variant. */
  isStale(vm: { mmu_invalidate_in_progress: number; mmu_invalidate_range_start: number; mmu_invalidate_range_end: number; mmu_invalidate_seq: number }, mmuSeq: number, gfn: number): boolean;
}

/** kvm_host.h mmu_invalidate_retry_gfn: retry if in progress and gfn in the union range, or the sequence moved. */
const retryHonoured: FaultRetryStrategy = {
  name: 'retry',
  isStale(vm, mmuSeq, gfn) {
    if (vm.mmu_invalidate_in_progress && gfn >= vm.mmu_invalidate_range_start && gfn < vm.mmu_invalidate_range_end) return true;
    return vm.mmu_invalidate_seq !== mmuSeq;
  },
};

/** Unsafe: skip the check entirely (exists to prove the safety checker catches the race). */
const retrySkipped: FaultRetryStrategy = { name: 'no-retry', isStale: () => false };

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// slotDelete: kvm_arch_flush_shadow_memslot on x86

export interface SlotDeleteStrategy {
  readonly name: ChoiceValues['slotDelete'];
  /** kvm_mmu_zap_all_fast (every leaf of the VM) rather than kvm_mmu_zap_memslot (the slot's). */
  readonly zapAll: boolean;
}

/**
 * 6.1 (v10's base): kvm_arch_flush_shadow_memslot is kvm_mmu_zap_all_fast. 6.12+ keeps that
 * while KVM_X86_QUIRK_SLOT_ZAP_ALL is on, the default for every non-TDX VM (6.18 included).
 */
const slotZapAll: SlotDeleteStrategy = { name: 'zap-all', zapAll: true };
/** 6.12+ with the quirk disabled by the VMM, and always for TDX VMs: kvm_mmu_zap_memslot. */
const slotZapSlot: SlotDeleteStrategy = { name: 'zap-slot', zapAll: false };

// ---------------------------------------------------------------------------------------------

export interface BackendStrategy {
  readonly name: ChoiceValues['backend'];
  /** What an mmu_invalidate_in_progress below zero does on the KVM this backend runs on. */
  readonly invalidateUnderflow: string;
}

/** v10 on 6.1: kvm_mmu_invalidate_end only decrements; the check is in the mmu_notifier path. */
const backendRestrictedmem: BackendStrategy = {
  name: 'restrictedmem',
  invalidateUnderflow: "on 6.1 a host crash: the next mmu_notifier event on the VMM's mm (munmap, madvise, a THP split, NUMA balancing) runs kvm_mmu_notifier_invalidate_range_start/_end, and _end's BUG_ON(kvm->mmu_invalidate_in_progress < 0) fires",
};
/** 6.18 (from 6.8): kvm_mmu_invalidate_end has KVM_BUG_ON(kvm->mmu_invalidate_in_progress < 0, kvm). */
const backendGuestMemfd: BackendStrategy = {
  name: 'guest_memfd',
  invalidateUnderflow: 'on 6.8 and later KVM_BUG_ON in kvm_mmu_invalidate_end: a WARN, and the VM is marked bugged (KVM_REQ_VM_DEAD to every vCPU, its ioctls fail with EIO); the host lives',
};

export interface Strategies {
  notifier: NotifierStrategy;
  thp: ThpStrategy;
  partialPunch: PartialPunchStrategy;
  mmu: MmuStrategy;
  errorLookup: ErrorLookupStrategy;
  backend: BackendStrategy;
  faultRetry: FaultRetryStrategy;
  slotDelete: SlotDeleteStrategy;
}

export const STRATEGIES: { [D in keyof Strategies]: Record<ChoiceValues[D], Strategies[D]> } = {
  notifier: { v10: notifierV10, 'held-across': notifierHeldAcross, rwsem: notifierRwsem, srcu: notifierSrcu },
  thp: { never: thpNever, always: thpAlways, within_size: thpWithinSize, advise: thpAdvise },
  partialPunch: { split: punchSplit, zero: punchZero },
  mmu: { tdp: mmuTdp, shadow: mmuShadow },
  errorLookup: { 'sb-walk': errorSbWalk, 'sb-walk-as-posted': errorSbWalkAsPosted, direct: errorDirect },
  backend: { restrictedmem: backendRestrictedmem, guest_memfd: backendGuestMemfd },
  faultRetry: { retry: retryHonoured, 'no-retry': retrySkipped },
  slotDelete: { 'zap-all': slotZapAll, 'zap-slot': slotZapSlot },
};

export function strategiesFor(c: ChoiceValues): Strategies {
  return {
    notifier: STRATEGIES.notifier[c.notifier],
    thp: STRATEGIES.thp[c.thp],
    partialPunch: STRATEGIES.partialPunch[c.partialPunch],
    mmu: STRATEGIES.mmu[c.mmu],
    errorLookup: STRATEGIES.errorLookup[c.errorLookup],
    backend: STRATEGIES.backend[c.backend],
    faultRetry: STRATEGIES.faultRetry[c.faultRetry],
    slotDelete: STRATEGIES.slotDelete[c.slotDelete],
  };
}
