// The race the fault path's invalidation retry exists for (arch/x86/kvm/mmu/mmu.c
// is_page_fault_stale -> mmu_invalidate_retry_gfn): a fault snapshots mmu_invalidate_seq, gets
// the page, and before it takes mmu_lock a whole invalidation - begin, zap, truncate, end -
// runs and completes. in_progress is back to 0 when the fault takes mmu_lock, so only the
// sequence number tells the fault its page was truncated. Honoured, the fault retries and maps
// the page now in the file; skipped, it maps the truncated page and the safety checker reports it.
//
// The fault is held between its page lookup and mmu_lock by wrapping the memslot binding's
// getPfn (a vCPU thread preempted there, as a real one can be); the punch runs in that window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Process } from '../../sim/engine/index.js';
import {
  kvm_mmu_page_fault, kvm_set_memory_region, privateFileCreate, privateFileFallocate, privateFilePunch,
  type FaultOutcome, type Gen, type GotPage, type PrivateBinding,
} from '../../sim/model/index.js';
import { makeHost, MiB } from './helpers.js';

const REGION = 2 * MiB;
const GFN = 7;
/** How long the vCPU thread stays preempted between its page lookup and mmu_lock. */
const PREEMPTED_NS = 5_000_000;

interface RaceLog {
  seqAtFault: number;
  /** Page the fault's first lookup returned (before the punch). */
  firstPfn: number;
  /** Invalidation state when the fault goes on to take mmu_lock. */
  seqAtLock: number;
  inProgressAtLock: number;
  punchStart: number;
  punchEnd: number;
  lockAttempt: number;
  outcome?: FaultOutcome;
}

async function invalidationBetweenSnapshotAndLock(variant: string) {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB, cpus: 4 });
  const vm = host.createVm({ name: 'vm0', vcpus: 1 });
  const log: Partial<RaceLog> = {};
  sim.spawn('vmm', function* (p) {
    const file = yield* privateFileCreate(p, host, vm, REGION);
    const slot = yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: REGION / 4096, file, offset: 0 });
    yield* privateFileFallocate(p, file, 0, REGION);
    const binding = slot.binding!;
    let lookups = 0;
    const preemptedAfterLookup: PrivateBinding = Object.create(binding, {
      // Wrapping getPfn: the generator-free path (getPfnBegin/getPfnEnd) would bypass the wrapper.
      getPfnBegin: { value: undefined },
      getPfn: {
        value: function* (q: Process, index: number): Gen<GotPage> {
          const got = yield* binding.getPfn(q, index);
          if (lookups++ > 0) return got; // only the first attempt is preempted
          log.firstPfn = got.pfn;
          sim.spawn('punch', function* (r) {
            log.punchStart = sim.now;
            yield* privateFilePunch(r, file, 0, REGION);
            log.punchEnd = sim.now;
          });
          yield q.sleep(PREEMPTED_NS);
          log.lockAttempt = sim.now;
          log.seqAtLock = vm.mmu_invalidate_seq;
          log.inProgressAtLock = vm.mmu_invalidate_in_progress;
          return got;
        },
      },
    });
    slot.binding = preemptedAfterLookup;
    const vcpu = vm.vcpus[0]!;
    sim.spawn(vcpu.name, function* (q) {
      log.seqAtFault = vm.mmu_invalidate_seq;
      log.outcome = yield* kvm_mmu_page_fault(q, vcpu, GFN, { private: true });
    });
  });
  sim.run();
  return { vm, log: log as RaceLog, violations: host.finish() };
}

/** The premise: the invalidation began after the fault's snapshot and ended before its mmu_lock. */
function assertTheRaceHappened(log: RaceLog): void {
  assert.ok(log.punchStart !== undefined && log.punchEnd !== undefined, 'the punch ran');
  assert.ok(log.punchEnd < log.lockAttempt, `the punch (${log.punchStart}..${log.punchEnd}) ended before the fault went for mmu_lock at ${log.lockAttempt}`);
  assert.ok(log.seqAtLock > log.seqAtFault, `mmu_invalidate_seq moved (${log.seqAtFault} -> ${log.seqAtLock})`);
  assert.equal(log.inProgressAtLock, 0, 'no invalidation in progress when the fault takes mmu_lock: only the sequence shows the race');
}

for (const variant of ['v10', 'guest_memfd']) {
  test(`${variant}: an invalidation that completes between the fault's snapshot and its mmu_lock makes the fault retry and map the current page`, async () => {
    const { vm, log, violations } = await invalidationBetweenSnapshotAndLock(variant);
    assertTheRaceHappened(log);
    assert.deepEqual(violations.map((v) => `${v.kind}: ${v.detail}`), []);
    assert.equal(log.outcome?.result, 'mapped');
    assert.equal(log.outcome?.retries, 1, 'exactly one retry: the sequence check');
    const mapped = vm.pt.walk(GFN);
    assert.equal(mapped, vm.expectedPfn(GFN), 'maps the page the file holds now');
    assert.ok(mapped >= 0);
  });
}

test('unsafe-no-retry: the same race maps the truncated page and the safety checker reports stale_mapping', async () => {
  const { vm, log, violations } = await invalidationBetweenSnapshotAndLock('unsafe-no-retry');
  assertTheRaceHappened(log);
  assert.equal(log.outcome?.retries, 0);
  assert.equal(vm.pt.walk(GFN), log.firstPfn, 'the truncated page is mapped');
  const stale = violations.filter((v) => v.kind === 'stale_mapping');
  assert.equal(stale.length, 1, JSON.stringify(violations.map((v) => v.kind)));
  assert.equal(stale[0]!.gfn, GFN);
  assert.ok(stale[0]!.trail.some((e) => e.what === 'fault_map'), 'the report carries the trail up to the mapping');
});

test('unsafe-no-retry with a 2 MiB folio under tdp: the fault installs a 2 MiB leaf of the truncated folio, and the safety checker reports it at the leaf head (gfn 0) as well as at the faulting gfn', async () => {
  // The file's 2 MiB folio (thp always) is punched whole while the fault is preempted; the fault
  // still holds its reference, so the folio is out of the page cache but not reused. The leaf
  // maps gfns [0, 512) to it: gfn 7 and the head, gfn 0, are both stale at the unlock.
  const { vm, log, violations } = await invalidationBetweenSnapshotAndLock('unsafe-no-retry+thp-always+tdp');
  assertTheRaceHappened(log);
  assert.deepEqual([log.outcome?.result, log.outcome?.level, log.outcome?.retries], ['mapped', 2, 0]);
  assert.equal(vm.pt.walkLevel(0), 2);
  assert.equal(vm.pt.walk(GFN), log.firstPfn);
  assert.equal(vm.pt.walk(0), log.firstPfn - GFN, 'the head maps the folio head');
  const stale = violations.filter((v) => v.kind === 'stale_mapping');
  assert.deepEqual(stale.map((v) => v.gfn), [0, GFN], JSON.stringify(violations.map((v) => v.kind)));
  const map = stale[0]!.trail.find((e) => e.what === 'fault_map');
  assert.deepEqual(map?.args, { vm: 'vm0', gfn: GFN, pfn: log.firstPfn, level: 2 }, 'the trail shows the mapping: gfn, page, level');
});

test('the honoured retry is traced: fault_retry with the sequence the fault found under mmu_lock and no invalidation in progress', async () => {
  const { vm, log } = await invalidationBetweenSnapshotAndLock('v10');
  const retries = vm.host.trail.recent().filter((e) => e.what === 'fault_retry');
  assert.deepEqual(retries.map((e) => e.args), [{ vm: 'vm0', gfn: GFN, seq: log.seqAtLock, in_progress: 0 }]);
});
