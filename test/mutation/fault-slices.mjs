// The `fault` group's slices (mut-fault): the fault path, the invalidation protocol and every
// variant strategy. Each slice mutates one part and runs only the compiled tests that drive it,
// so it completes (and reports) on its own; `fault` is their union.

// Everything that begins or ends an invalidation: KVM_SET_MEMORY_ATTRIBUTES and the shared
// backing's mmu_notifier (kvm, fault-path-units), restrictedmem's and guest_memfd's punch and
// release (restrictedmem, guest-memfd, safety, fault-retry-race), the unbalanced end
// (consequences), a fault against a held mmu_lock (fault-exits), memslot deletion (kvm-memslot).
const KVM_INVAL_TESTS = ['model/kvm.test.js', 'model/invalidation.test.js', 'model/safety.test.js', 'model/fault-retry-race.test.js',
  'model/guest-memfd.test.js', 'model/restrictedmem.test.js', 'model/consequences.test.js', 'model/fault-exits.test.js',
  'model/fault-path-units.test.js', 'model/op-lock-waits.test.js', 'model/findings.test.js'];

// Each strategy's observable effect: variant resolution (variants), the strategies' own tests
// (variants/strategies: slot ranges, notifier lock orderings, error lookups, fault exits), the
// zap and flush costs per MMU (invalidation), and the model tests that run each choice: notifier locking and the v10 range (restrictedmem,
// safety, findings, op-lock-waits), THP and partial punch (shmem, hugepage-eligibility,
// directions), MMU costs and lock mode (kvm, fault-path-units), error lookup and backend
// (consequences, corrections, guest-memfd), slot delete (kvm).
const STRATEGIES_TESTS = ['model/variants.test.js', 'variants/strategies.test.js', 'model/invalidation.test.js', 'model/restrictedmem.test.js', 'model/safety.test.js',
  'model/findings.test.js', 'model/op-lock-waits.test.js', 'model/shmem.test.js', 'model/hugepage-eligibility.test.js', 'model/directions.test.js',
  'model/kvm.test.js', 'model/fault-path-units.test.js', 'model/consequences.test.js', 'model/corrections.test.js', 'model/guest-memfd.test.js'];

/**
 * The slices, given `linesOf(file, first, last)` of stryker.config.mjs and the fault path's tests
 * (FAULT_RETRY_TESTS there).
 */
export function faultSlices(linesOf, FAULT_RETRY_TESTS) {
  const strategies = 'dist/sim/variants/strategies.js';
  const slices = {
    // the fault path (mmu.js) and the faultRetry strategy (retryHonoured, retrySkipped)
    'fault-retry': {
      mutate: ['dist/sim/model/mmu.js', linesOf(strategies, 'const retryHonoured', 'const retrySkipped')],
      tests: FAULT_RETRY_TESTS,
    },
    // the invalidation protocol: kvm.js from kvm_mmu_lock to kvm_flush_remote_tlbs
    'kvm-inval': {
      mutate: [linesOf('dist/sim/model/kvm.js', 'export function kvm_mmu_lock', 'export function* kvm_flush_remote_tlbs')],
      tests: KVM_INVAL_TESTS,
    },
    // strategies.js but the faultRetry entries (`fault-retry` has them): from the imports to the
    // error lookups, and from the slot-delete strategies to the end
    strategies: {
      mutate: [linesOf(strategies, 'import ', 'const errorDirect'), linesOf(strategies, 'const slotZapAll', 'export function strategiesFor')],
      tests: STRATEGIES_TESTS,
    },
  };
  // the union: mmu.js, kvm.js's invalidation protocol, all of strategies.js
  slices.fault = {
    mutate: [...new Set(Object.values(slices).flatMap((s) => s.mutate))],
    tests: [...new Set(Object.values(slices).flatMap((s) => s.tests))],
  };
  return slices;
}
