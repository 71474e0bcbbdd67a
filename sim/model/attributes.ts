// KVM_SET_MEMORY_ATTRIBUTES (v10 ordering, docs/kernel-model.md 1.8 and section 8) and host
// mmu_notifier events on the shared backing: both are invalidations, so both bump
// mmu_invalidate_seq and make racing faults retry.
import type { Process, Yieldable } from '../engine/index.js';
import { charge, chargeWait } from './charge.js';
import { KernelError } from './errors.js';
import type { Gen } from './backing.js';
import { flushRemoteTlbsNs, kvm_flush_remote_tlbs, kvm_mmu_invalidate_begin, kvm_mmu_invalidate_end, kvm_mmu_lock, kvm_mmu_unlock, kvm_unmap_gfn_range, unmapGfnRangeLeaves, unmapGfnRangeNs, type Vm } from './kvm.js';
import { PAGE_SIZE } from '../units.js';

// Where a KvmSetMemAttributes waits (what its next resume does).
const A_FIXED = 0; // kvm.set_attr_fixed_ns: take mmu_lock for write
const A_BEGIN = 1; // mmu_lock held: invalidate_begin, unlock, take kvm->lock
const A_LOCKED = 2; // kvm->lock held: the per-gfn charge
const A_STORE = 3; // the per-gfn charge: the stores, unlock kvm->lock, take mmu_lock for write
const A_UNMAP = 4; // mmu_lock held: the zap and its charge
const A_ZAPPED = 5; // the zap's charge: the flush if a leaf was zapped, else the end
const A_FLUSHED = 6; // the flush's charge: the end

/**
 * kvm_vm_set_mem_attributes (v10): validate; KVM_MMU_LOCK + invalidate_begin + range; unlock;
 * kvm->lock and one xa_store per gfn; unlock; KVM_MMU_LOCK: kvm_unmap_mem_range (zap, flush if
 * zapped, mixed-flag update), invalidate_end. Cost kvm.set_attr_fixed_ns + per gfn
 * kvm.set_attr_per_gfn_ns + zap. Leaves out partial completion and the early-exit scan of 6.8.
 * A state machine, as KvmPageFault is: a vCPU's memory-fault exit runs one per page (2.07 M in
 * bench e2e (b)), and its loop steps it without a generator frame; the generator form below
 * serves every other caller.
 */
export class KvmSetMemAttributes {
  private at = A_FIXED;
  private vm!: Vm;
  private gfnStart = 0;
  private gfnEnd = 0;
  private priv = false;
  private zapped = false;

  /** Begin the ioctl over [gfnStart, gfnEnd): its first wait, or null when it ended without one. */
  start(p: Process, vm: Vm, gfnStart: number, gfnEnd: number, priv: boolean): Yieldable | null {
    if (gfnEnd <= gfnStart || gfnStart < 0) throw new KernelError('EINVAL', 'kvm_vm_set_mem_attributes');
    this.vm = vm;
    this.gfnStart = gfnStart;
    this.gfnEnd = gfnEnd;
    this.priv = priv;
    return this.charge(p, vm.host.costs.ns('kvm.set_attr_fixed_ns'), A_FIXED);
  }

  /** The wait is over: the next wait, or null at the end. */
  resume(p: Process, _value?: unknown): Yieldable | null {
    const vm = this.vm;
    switch (this.at) {
      case A_FIXED:
        this.at = A_BEGIN;
        return vm.mmuLock.writeLock(p);
      case A_BEGIN:
        kvm_mmu_invalidate_begin(vm, this.gfnStart, this.gfnEnd);
        kvm_mmu_unlock(p, vm, 'write');
        this.at = A_LOCKED;
        return vm.lock.lock(p);
      case A_LOCKED:
        return this.charge(p, (this.gfnEnd - this.gfnStart) * vm.host.costs.ns('kvm.set_attr_per_gfn_ns'), A_STORE);
      case A_STORE:
        try {
          vm.memAttr.set(this.gfnStart, this.gfnEnd, this.priv);
        } finally {
          vm.lock.unlock(p);
        }
        this.at = A_UNMAP;
        return vm.mmuLock.writeLock(p);
      case A_UNMAP: {
        const leaves = unmapGfnRangeLeaves(vm, this.gfnStart, this.gfnEnd);
        this.zapped = leaves > 0;
        return this.charge(p, unmapGfnRangeNs(vm, this.gfnEnd - this.gfnStart, leaves), A_ZAPPED);
      }
      case A_ZAPPED:
        if (this.zapped) return this.charge(p, flushRemoteTlbsNs(vm), A_FLUSHED);
        return this.end(p);
      default:
        return this.end(p);
    }
  }

  /** An error at the wait: kvm->lock is released if its section was waiting (the kernel's unlock path), then it propagates. */
  fail(p: Process, error: unknown): never {
    if (this.at === A_STORE) this.vm.lock.unlock(p);
    throw error;
  }

  /** `yield* charge(p, ns)` then `next`: a compute when ns rounds above zero, else straight on. */
  private charge(p: Process, ns: number, next: number): Yieldable | null {
    this.at = next;
    return chargeWait(p, ns) ?? this.resume(p, undefined);
  }

  private end(p: Process): null {
    const vm = this.vm;
    kvm_mmu_invalidate_end(vm);
    kvm_mmu_unlock(p, vm, 'write');
    vm.host.event(p, 'set_mem_attributes', { vm: vm.name, gfn: this.gfnStart, end: this.gfnEnd, private: this.priv });
    return null;
  }
}

/**
 * What KvmSetMemAttributes charges for one gfn whose zap finds nothing mapped, each rounded as
 * charge() rounds it: the ioctl's entry, the xa_store under kvm->lock (its hold), the zap. For a
 * batch that runs such conversions itself (sim/actors/fault-batch.ts), as faultCharges is for faults.
 */
export function conversionCharges(vm: Vm): { fixedNs: number; perGfnNs: number; zapNs: number } {
  const c = vm.host.costs;
  return {
    fixedNs: Math.round(c.ns('kvm.set_attr_fixed_ns')),
    perGfnNs: Math.round(c.ns('kvm.set_attr_per_gfn_ns')),
    zapNs: Math.round(unmapGfnRangeNs(vm, 1, 0)),
  };
}

/** kvm_vm_set_mem_attributes as a generator (KvmSetMemAttributes stepped). */
export function* kvm_vm_set_mem_attributes(p: Process, vm: Vm, gfnStart: number, gfnEnd: number, priv: boolean): Gen {
  const m = new KvmSetMemAttributes();
  let y = m.start(p, vm, gfnStart, gfnEnd, priv);
  while (y !== null) {
    let v: unknown;
    try {
      v = yield y;
    } catch (e) {
      m.fail(p, e);
    }
    y = m.resume(p, v);
  }
}

/**
 * kvm_mmu_notifier_invalidate_range_start/end for a VMM discard of the shared backing
 * (MADV_DONTNEED / punch on the shared memfd): begin + zap + flush-if-zapped, free the shared
 * pages, end. Cost kvm.mmu_notifier_event_ns + zap.
 */
export function* kvm_mmu_notifier_invalidate_range(p: Process, vm: Vm, gfnStart: number, gfnEnd: number): Gen {
  const host = vm.host;
  yield* charge(p, host.costs.ns('kvm.mmu_notifier_event_ns'));
  const freed: number[] = [];
  for (let g = gfnStart; g < gfnEnd; g++) {
    const pfn = vm.shared.get(g);
    if (pfn !== undefined) {
      freed.push(pfn);
      vm.shared.delete(g);
    }
  }
  yield* kvm_mmu_lock(p, vm, 'write');
  kvm_mmu_invalidate_begin(vm, gfnStart, gfnEnd);
  if (yield* kvm_unmap_gfn_range(p, vm, gfnStart, gfnEnd)) yield* kvm_flush_remote_tlbs(p, vm);
  kvm_mmu_unlock(p, vm, 'write');
  let ns = 0;
  for (const pfn of freed) {
    if (host.mem.folioPut(pfn) === 0) {
      host.mem.freePages(pfn, 0);
      host.metrics.freed(PAGE_SIZE);
      ns += host.costs.ns('host.free_page_ns');
    }
  }
  yield* charge(p, ns);
  yield* kvm_mmu_lock(p, vm, 'write');
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_unlock(p, vm, 'write');
}
