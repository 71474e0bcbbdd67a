// virt/kvm/kvm_main.c as the model needs it: struct kvm (mmu_lock, srcu, invalidation state,
// memslots, the secondary page table), vCPUs, and the generic MMU
// invalidation protocol (begin / range_add / zap / flush-if-zapped / end). Memslot create and
// delete are in kvm-memslot.ts (they bind the slot through the backend, which imports this file).
import { Mutex, RwLock, Srcu, type Process, type Yieldable } from '../engine/index.js';
import type { PageCache, PageTable, ShmemArgs } from '../fastpath/index.js';
import type { Host } from './host.js';
import { charge, waitOn } from './charge.js';
import { MemAttributes } from './mem-attributes.js';
import { exactGfnRange } from '../variants/index.js';
import type { Gen, GotPage, PrivateBacking } from './backing.js';

export interface VmOptions {
  name?: string;
  vcpus?: number;
  /** Initial attribute of every gfn (a CoCo guest after boot: private). Default true. */
  privateByDefault?: boolean;
}

/** How a memslot reaches its private backing (v10 restrictedmem notifier, or a guest_memfd binding). */
export interface PrivateBinding {
  readonly backing: PrivateBacking;
  /** 6.9+ guest_memfd: mmu_invalidate_retry_gfn_unsafe before the pfn lookup. */
  readonly precheck: boolean;
  /**
   * What kvm_faultin_pfn_private does when getPfn fails: v10 8/9 returns RET_PF_RETRY (the vCPU
   * re-enters the guest and faults again, for as long as the error lasts); 6.18 prepares a
   * KVM_EXIT_MEMORY_FAULT and returns the error (the fault ends).
   */
  readonly retryOnGetPfnError: boolean;
  /**
   * kvm_alloc_memslot_metadata's alignment test for this binding's slot: true when the slot's
   * gfns and its backing are not congruent modulo 2 MiB, which disallows huge pages in the whole
   * slot (lpage_info disallow_lpage).
   */
  misalignedForHugepages(slot: Memslot): boolean;
  /** Attach to the file (register notifier / kvm_gmem_bind). */
  bind(p: Process): Gen;
  /** Detach (unregister / kvm_gmem_unbind). */
  unbind(p: Process): Gen;
  /** The page at file index `index`, with a reference (restrictedmem_get_page / kvm_gmem_get_pfn). */
  getPfn(p: Process, index: number): Gen<GotPage>;
  /**
   * getPfn's common path without a generator (kvm_mmu_page_fault's state machine, mmu.ts), for
   * a binding whose getPfn charges at most twice: up to the first charge, filling `got` and
   * returning its ns, or -1 with nothing done (then getPfn runs). May throw what getPfn throws
   * before its first wait.
   */
  getPfnBegin?(p: Process, index: number, got: GotPage): number;
  /**
   * What getPfn does after its first charge (with getPfnBegin); returns the ns of the second
   * (0 when there is none), or throws what getPfn throws there.
   */
  getPfnEnd?(got: GotPage): number;
  /**
   * getPfn's common path as data, for a batch that runs first-touch faults inside the fast
   * paths (wasm/fault-batch.ts): the page cache's shmem_get_folio and the charge after it; or
   * undefined when a fault on this slot may now take a path the batch does not run.
   */
  faultBatchPlan?(): PfnBatchPlan | undefined;
}

/**
 * A binding's getPfn as a batch runs it (wasm/fault-batch.ts): the fast path's lookup of
 * `cache` (allocating a folio on a miss, huge as `args.policy` allows), the folio marked uptodate,
 * and a charge of baseNs, + line.ns when a vCPU other than the line's owner faults, + allocNs
 * (hugeAllocNs for a huge folio) and missClearNs on a miss or hitClearNs on a hit not yet
 * uptodate (summed in that order, then rounded); then a second charge of endNs (0: none).
 */
export interface PfnBatchPlan {
  readonly cache: PageCache;
  readonly args: ShmemArgs;
  readonly baseNs: number;
  /** A miss's allocation: an order-0 folio's, a huge one's (shmem_enabled lets the lookup make 2 MiB folios). */
  readonly allocNs: number;
  readonly hugeAllocNs: number;
  readonly missClearNs: number;
  readonly hitClearNs: number;
  readonly endNs: number;
  /** A cache line every fault on the file writes (guest_memfd's f_count), or none. */
  readonly line?: { readonly ns: number; owner: Process | null };
  /**
   * What p's allocations in a batch count and leave (metrics, the per-CPU lists, the lru batch):
   * `small` order-0 and `huge` 2 MiB folios, `smallAfterHuge` of the small ones after its last huge one.
   */
  allocated(p: Process, small: number, huge: number, smallAfterHuge: number): void;
  /** THP fallbacks in a batch: a 2 MiB block already occupied, no 2 MiB block free. */
  fellBack?(occupied: number, noMemory: number): void;
  /** p allocated the last folio of a batch (who wrote the file's fault lines last), if the file keeps that. */
  lastAllocated?(p: Process): void;
}

/** struct kvm_memory_slot with its private part. */
export interface Memslot {
  readonly id: number;
  readonly vm: Vm;
  readonly baseGfn: number;
  readonly npages: number;
  /** restricted_offset / gmem.pgoff in pages. */
  readonly offsetPages: number;
  /** userspace_addr >> PAGE_SHIFT: the VMM's mapping of the slot's shared side. */
  readonly userspaceGfn: number;
  binding?: PrivateBinding;
  /** Same object as binding.backing (what the safety checker compares). */
  backing?: PrivateBacking;
}

/** The gfns of `slot` that file pages [start, end) back (the exact intersection), or undefined. */
export function slotGfnRange(slot: Memslot, start: number, end: number): [number, number] | undefined {
  return exactGfnRange(slot, start, end);
}

export class Vcpu {
  /** In guest mode (a TLB flush must kick and wait for it). */
  inGuest = false;
  constructor(readonly vm: Vm, readonly id: number) {}
  get name(): string {
    return `${this.vm.name}/vcpu${this.id}`;
  }
}

/** struct kvm. */
export class Vm {
  readonly name: string;
  readonly mmuLock: RwLock;
  readonly srcu: Srcu;
  /** kvm->lock (attribute stores in v10). */
  readonly lock: Mutex;
  /** kvm->slots_lock (memslot updates). */
  readonly slotsLock: Mutex;
  mmu_invalidate_seq = 0;
  mmu_invalidate_in_progress = 0;
  mmu_invalidate_range_start = -1;
  mmu_invalidate_range_end = -1;
  readonly pt: PageTable;
  readonly memslots: Memslot[] = [];
  /**
   * Slots being deleted: unpublished, but faults that started before may still map them until
   * the delete's zap (kvm_invalidate_memslot -> synchronize_srcu -> flush_shadow_memslot).
   */
  readonly dyingSlots: Memslot[] = [];
  readonly vcpus: Vcpu[] = [];
  readonly memAttr: MemAttributes;
  /** Shared-side pages (the VMM's hva backing), gfn -> pfn. */
  readonly shared = new Map<number, number>();
  /** gfns to check at the next mmu_lock release (safety.ts). */
  readonly safetyDirty = new Set<number>();
  /** KVM_EXIT_SHUTDOWN after a memory error (v10's kvm_arch_memory_mce). */
  dead = false;

  constructor(readonly host: Host, opts: VmOptions & { name: string }) {
    this.name = opts.name;
    const labels = {};
    this.mmuLock = new RwLock(host.sim, 'mmu_lock', { labels, owner: this.name });
    this.srcu = new Srcu(host.sim, 'kvm_srcu', { labels, owner: this.name });
    this.lock = new Mutex(host.sim, 'kvm_lock', { labels, owner: this.name });
    this.slotsLock = new Mutex(host.sim, 'slots_lock', { labels, owner: this.name });
    this.pt = host.fp.newPageTable();
    this.memAttr = new MemAttributes(opts.privateByDefault ?? true);
    for (let i = 0; i < (opts.vcpus ?? 1); i++) this.vcpus.push(new Vcpu(this, i));
  }

  /** kvm_vcpu_gfn_to_memslot (linear; VMs have a handful of slots). */
  slotFor(gfn: number): Memslot | undefined {
    for (const s of this.memslots) if (gfn >= s.baseGfn && gfn < s.baseGfn + s.npages) return s;
    return undefined;
  }

  /** One past the highest gfn any slot (live or dying) covers: the end of a whole-VM walk. */
  gfnLimit(): number {
    let end = 0;
    for (const s of [...this.memslots, ...this.dyingSlots]) end = Math.max(end, s.baseGfn + s.npages);
    return end;
  }

  mappedLeaves(): number {
    const [a, b, c] = this.pt.mappingsPerLevel();
    return a + b + c;
  }

  runningVcpus(): number {
    let n = 0;
    for (const v of this.vcpus) if (v.inGuest) n++;
    return n;
  }

  /** The pfn gfn must map now: the page-cache page at its index (private) or the shared page; -1 for none. */
  expectedPfn(gfn: number): number {
    const slot = this.slotFor(gfn) ?? this.dyingSlots.find((s) => gfn >= s.baseGfn && gfn < s.baseGfn + s.npages);
    if (!slot) return -1;
    if (!this.memAttr.isPrivate(gfn) || !slot.backing) return this.shared.get(gfn) ?? -1;
    const index = slot.offsetPages + (gfn - slot.baseGfn);
    const head = slot.backing.pages.lookup(index);
    if (head < 0) return -1;
    return head + (index % 2 ** slot.backing.pages.lookupOrder(index));
  }
}

/** KVM_MMU_LOCK / read_lock(mmu_lock), as `yield* kvm_mmu_lock(...)` (one wait: no generator per fault). */
export function kvm_mmu_lock(p: Process, vm: Vm, mode: 'read' | 'write'): Iterable<Yieldable> {
  return waitOn(mode === 'write' ? vm.mmuLock.writeLock(p) : vm.mmuLock.readLock(p));
}

/** KVM_MMU_UNLOCK: the safety invariant is checked at every release. */
export function kvm_mmu_unlock(p: Process, vm: Vm, mode: 'read' | 'write'): void {
  vm.host.safety.onMmuUnlock(vm);
  if (mode === 'write') vm.mmuLock.writeUnlock(p);
  else vm.mmuLock.readUnlock(p);
}

/**
 * kvm_mmu_invalidate_begin(kvm, start, end) as in v10's 6.1 base: in_progress++, the range reset
 * by the begin that takes in_progress from 0 to 1, else widened to the union. Caller holds mmu_lock write.
 */
export function kvm_mmu_invalidate_begin(vm: Vm, start?: number, end?: number): void {
  vm.mmu_invalidate_in_progress++;
  if (vm.mmu_invalidate_in_progress === 1) {
    vm.mmu_invalidate_range_start = -1;
    vm.mmu_invalidate_range_end = -1;
  }
  if (start !== undefined && end !== undefined) kvm_mmu_invalidate_range_add(vm, start, end);
  vm.host.safety.checkInProgress(vm);
}

/** kvm_mmu_invalidate_range_add: the union of every in-progress range (Xu Yilun's fix shape). */
export function kvm_mmu_invalidate_range_add(vm: Vm, start: number, end: number): void {
  if (vm.mmu_invalidate_range_start < 0) {
    vm.mmu_invalidate_range_start = start;
    vm.mmu_invalidate_range_end = end;
  } else {
    vm.mmu_invalidate_range_start = Math.min(vm.mmu_invalidate_range_start, start);
    vm.mmu_invalidate_range_end = Math.max(vm.mmu_invalidate_range_end, end);
  }
}

/** kvm_mmu_invalidate_end: seq++ then in_progress-- (6.1 has no KVM_BUG_ON on underflow). Caller holds mmu_lock write. */
export function kvm_mmu_invalidate_end(vm: Vm): void {
  vm.mmu_invalidate_seq++;
  vm.mmu_invalidate_in_progress--;
  vm.host.safety.checkInProgress(vm);
}

/**
 * kvm_unmap_gfn_range over [start, end): zap the leaves (tdp_mmu_zap_leafs / shadow rmap walk),
 * cost per the MMU strategy. Returns true when something was zapped (flush needed). Caller
 * holds mmu_lock write. Leaves out the TDP iterator's yields (and their extra flushes).
 */
export function* kvm_unmap_gfn_range(p: Process, vm: Vm, start: number, end: number): Gen<boolean> {
  const leaves = unmapGfnRangeLeaves(vm, start, end);
  yield* charge(p, unmapGfnRangeNs(vm, end - start, leaves));
  return leaves > 0;
}

/** kvm_unmap_gfn_range's zap, done at once: the present leaves it zapped (counted in the metrics). */
export function unmapGfnRangeLeaves(vm: Vm, start: number, end: number): number {
  const z = vm.pt.zapRange(start, end, false);
  const leaves = z.leaves[0] + z.leaves[1] + z.leaves[2];
  vm.host.metrics.zapped(leaves);
  return leaves;
}

/** kvm_unmap_gfn_range's charge for `gfns` guest frames that zapped `leaves` leaves (the MMU strategy's). */
export function unmapGfnRangeNs(vm: Vm, gfns: number, leaves: number): number {
  return vm.host.s.mmu.zapNs(vm.host.costs, gfns, leaves);
}

/**
 * kvm_flush_remote_tlbs: KVM_REQ_TLB_FLUSH to every vCPU, kicking and waiting for those in
 * guest mode. Cost kvm.flush_request_ns + per running vCPU the MMU strategy's kick.
 */
export function* kvm_flush_remote_tlbs(p: Process, vm: Vm): Gen {
  yield* charge(p, flushRemoteTlbsNs(vm));
}

/** kvm_flush_remote_tlbs' request, counted now; its charge returned (the running vCPUs counted now). */
export function flushRemoteTlbsNs(vm: Vm): number {
  const host = vm.host;
  host.metrics.tlbFlush();
  return host.costs.ns('kvm.flush_request_ns') + vm.runningVcpus() * host.s.mmu.kickNs(host.costs);
}

/** Pages in a 2 MiB huge page (KVM_PAGES_PER_HPAGE(PG_LEVEL_2M)). */
const PAGES_PER_2M = 512;

/**
 * kvm_alloc_memslot_metadata's test of the shared side (6.1, the same in 6.18): userspace_addr
 * and base_gfn not congruent modulo 2 MiB disallow huge pages in the whole slot.
 */
export function userspaceMisaligned(slot: Memslot): boolean {
  return ((slot.baseGfn ^ slot.userspaceGfn) & (PAGES_PER_2M - 1)) !== 0;
}

/**
 * The alignment test of a slot outside v10: userspace_addr, and the file offset congruent with
 * base_gfn (what a kernel with huge guest_memfd folios needs: kvm_gmem_get_pfn's max_order follows
 * the index alignment; 6.18's 4 KiB folios never reach it, and a slot without a file has offset 0).
 */
export function slotMisalignedForHugepages(slot: Memslot): boolean {
  return userspaceMisaligned(slot) || ((slot.baseGfn ^ slot.offsetPages) & (PAGES_PER_2M - 1)) !== 0;
}
