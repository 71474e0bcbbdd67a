// DESIGN.md principle 5, checked rather than assumed:
//  - whenever a VM's mmu_lock is released, every present leaf maps the folio that is in the page
//    cache at that index now (checked incrementally: the gfns mapped under this hold, and the gfns
//    whose folio left the page cache since the last release);
//  - mmu_invalidate_in_progress never goes below zero (the report names what the kernel does
//    then: 6.1's BUG_ON on the next mmu_notifier event, a host crash; 6.8+'s KVM_BUG_ON, the VM
//    killed), and is zero at the end of the run;
//  - no fault retries without bound (a raised in_progress that never drops livelocks faults).
// Each violation is counted as safety.violations{kind} and kept with the trail of recent events.
import type { Host } from './host.js';
import type { Vm } from './kvm.js';
import type { TrailEvent } from './trail.js';

export type ViolationKind = 'stale_mapping' | 'invalidate_underflow' | 'invalidate_unbalanced' | 'fault_livelock' | 'null_deref';

export interface Violation {
  kind: ViolationKind;
  t: number;
  vm?: string;
  gfn?: number;
  detail: string;
  trail: TrailEvent[];
}

export class SafetyChecker {
  readonly violations: Violation[] = [];

  constructor(private readonly host: Host, readonly enabled = true) {}

  report(kind: ViolationKind, detail: string, where: { vm?: Vm; gfn?: number } = {}): void {
    this.host.metrics.violation(kind);
    this.violations.push({
      kind,
      t: this.host.sim.now,
      vm: where.vm?.name,
      gfn: where.gfn,
      detail,
      trail: this.host.trail.recent(64),
    });
  }

  /** A leaf was installed for gfn under mmu_lock: check it at the release. */
  noteMapped(vm: Vm, gfn: number): void {
    if (this.enabled) vm.safetyDirty.add(gfn);
  }

  /** Folio [index, index+nr) of this backing left the page cache: any leaf still mapping it is suspect. */
  noteRemoved(backing: object, index: number, nr: number): void {
    if (!this.enabled) return;
    for (const vm of this.host.vms) {
      if (vm.mappedLeaves() === 0) continue;
      for (const slot of [...vm.memslots, ...vm.dyingSlots]) {
        if (slot.backing !== backing) continue;
        const lo = Math.max(index, slot.offsetPages);
        const hi = Math.min(index + nr, slot.offsetPages + slot.npages);
        for (let i = lo; i < hi; i++) {
          const gfn = slot.baseGfn + (i - slot.offsetPages);
          if (vm.pt.walkLevel(gfn) > 0) vm.safetyDirty.add(gfn);
        }
      }
    }
  }

  /** At every mmu_lock release (read or write): each suspect present leaf maps what the cache holds now. */
  onMmuUnlock(vm: Vm): void {
    if (!this.enabled || vm.safetyDirty.size === 0) return;
    const gfns = [...vm.safetyDirty].sort((a, b) => a - b);
    vm.safetyDirty.clear();
    for (const gfn of gfns) {
      const mapped = vm.pt.walk(gfn);
      if (mapped < 0) continue;
      const expected = vm.expectedPfn(gfn);
      if (expected !== mapped) {
        this.report('stale_mapping', `${vm.name} gfn ${gfn} maps pfn ${mapped} but the page cache holds ${expected < 0 ? 'nothing' : 'pfn ' + expected} at that index`, { vm, gfn });
      }
    }
  }

  /** After every in_progress change. */
  checkInProgress(vm: Vm): void {
    if (vm.mmu_invalidate_in_progress < 0) {
      this.report('invalidate_underflow', `${vm.name} mmu_invalidate_in_progress = ${vm.mmu_invalidate_in_progress}: an invalidate_end without its begin; ${this.host.s.backend.invalidateUnderflow}`, { vm });
    }
  }

  private finished = false;

  /** End of run: in_progress back to zero everywhere (checked once; later calls return the list). */
  finish(): Violation[] {
    if (this.finished) return this.violations;
    this.finished = true;
    for (const vm of this.host.vms) {
      if (vm.mmu_invalidate_in_progress !== 0) {
        this.report('invalidate_unbalanced', `${vm.name} ends with mmu_invalidate_in_progress = ${vm.mmu_invalidate_in_progress} (range ${vm.mmu_invalidate_range_start}..${vm.mmu_invalidate_range_end})`, { vm });
      }
    }
    return this.violations;
  }
}
