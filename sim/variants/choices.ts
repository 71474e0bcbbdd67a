// The design choices a variant makes, one dimension per kernel mechanism that was argued about
// on the list (docs/kernel-model.md section 2). Each dimension's values name a strategy object in
// strategies/; the model receives the strategies, never the names.

export const DIMENSIONS = {
  /** How restrictedmem's notifier list is protected against (un)register during a punch. */
  notifier: ['v10', 'held-across', 'rwsem', 'srcu'],
  /** shmem_enabled for the internal mount (shmem_is_huge with no VMA). */
  thp: ['never', 'always', 'within_size', 'advise'],
  /** What a partial punch of a huge folio does after zeroing. */
  partialPunch: ['split', 'zero'],
  /** KVM MMU: hardware two-dimensional paging or shadow paging (this host). */
  mmu: ['tdp', 'shadow'],
  /** How a memory error finds the restricted file of a poisoned page. */
  errorLookup: ['sb-walk', 'sb-walk-as-posted', 'direct'],
  /** Which private-memory backend the VMs use. */
  backend: ['restrictedmem', 'guest_memfd'],
  /** Whether the fault path honours mmu_invalidate_seq / in_progress. */
  faultRetry: ['retry', 'no-retry'],
  /** What deleting a memslot zaps on x86 (kvm_arch_flush_shadow_memslot): the whole VM, or the slot's leaves. */
  slotDelete: ['zap-all', 'zap-slot'],
} as const;

export type Dimension = keyof typeof DIMENSIONS;
export type ChoiceValues = { [D in Dimension]: (typeof DIMENSIONS)[D][number] };
export type PartialChoices = Partial<ChoiceValues>;

/** v10 as posted on its 6.1 base, run on this host's shadow MMU; the default of every run. */
export const DEFAULT_CHOICES: ChoiceValues = {
  notifier: 'v10',
  thp: 'never',
  partialPunch: 'split',
  mmu: 'shadow',
  errorLookup: 'sb-walk',
  backend: 'restrictedmem',
  faultRetry: 'retry',
  slotDelete: 'zap-all',
};

/** A dimension as written on the command line or in a file: slot_delete and slotDelete alike. */
export function dimensionName(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function isDimension(s: string): s is Dimension {
  return Object.prototype.hasOwnProperty.call(DIMENSIONS, s);
}

export function isChoice<D extends Dimension>(d: D, v: string): v is ChoiceValues[D] {
  return (DIMENSIONS[d] as readonly string[]).includes(v);
}
