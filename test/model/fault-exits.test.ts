// How kvm_mmu_page_fault ends when the page lookup fails, and what it records on each exit
// (issue 18: the mutation run of sim/model/mmu.ts changed these without any test noticing).
// - v10 8/9's kvm_faultin_pfn_private turns a failed restrictedmem_get_page into RET_PF_RETRY;
//   a model error (anything not a KernelError) is not a kernel errno and must not be retried.
// - 6.18's kvm_faultin_pfn_private hands kvm_gmem_get_pfn's error to userspace: EHWPOISON and
//   ENOMEM are results the model names, any other errno (EFAULT on a closed file) ends the fault
//   by propagating.
// - fault.retries is counted only for faults that retried; fault.lock_wait_ns{lock} only for
//   faults that mapped (their latency is recorded; the wait share is of that latency).
// - The livelock report names the VM and gfn, and its trail shows each retry with its errno.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Process } from '../../sim/engine/index.js';
import { MIGRATE_UNMOVABLE } from '../../sim/fastpath/index.js';
import {
  KernelError, kvm_mmu_lock, kvm_mmu_page_fault, kvm_mmu_unlock, kvm_set_memory_region, privateFileClose, privateFileCreate,
  type FaultOutcome, type Gen, type GotPage, type Memslot, type PrivateBinding,
} from '../../sim/model/index.js';
import { makeHost, MiB, runOne } from './helpers.js';

/** A VM with a 4 MiB private file bound at gfn 0 (slot 0). */
async function boundVm(variant: string, maxFaultRetries?: number) {
  const { sim, host } = await makeHost({ variant, memoryBytes: 64 * MiB, maxFaultRetries });
  const vm = host.createVm({ name: 'vm0' });
  const { value } = runOne(sim, function* (p) {
    const file = yield* privateFileCreate(p, host, vm, 4 * MiB);
    const slot = yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file, offset: 0 });
    return { file, slot };
  });
  return { sim, host, vm, ...value };
}

/** Replace the slot's page lookup by one that throws `err`. */
function lookupThrows(slot: Memslot, err: Error): void {
  const binding = slot.binding!;
  slot.binding = Object.create(binding, {
    // Wrapping getPfn: the generator-free path (getPfnBegin/getPfnEnd) would bypass the wrapper.
    getPfnBegin: { value: undefined },
    getPfn: {
      value: function* (): Gen<GotPage> {
        throw err;
      },
    },
  }) as PrivateBinding;
}

/** Run one private fault at `gfn`; returns its outcome or what it threw. */
function faultOrThrow(sim: Parameters<typeof runOne>[0], vm: { vcpus: readonly unknown[] }, gfn: number) {
  let thrown: unknown;
  let out: FaultOutcome | undefined;
  sim.spawn('vcpu0', function* (p: Process) {
    try {
      out = yield* kvm_mmu_page_fault(p, vm.vcpus[0] as never, gfn, { private: true });
    } catch (e) {
      thrown = e;
    }
  });
  sim.run();
  return { out, thrown };
}

test('v10: an error from the lookup that is not a kernel errno (a model bug) propagates at once; it is not taken for RET_PF_RETRY', async () => {
  const { sim, host, vm, slot } = await boundVm('v10', 5);
  lookupThrows(slot, new TypeError('model bug'));
  const { out, thrown } = faultOrThrow(sim, vm, 5);
  assert.equal(out, undefined);
  assert.ok(thrown instanceof TypeError && thrown.message === 'model bug', String(thrown));
  assert.equal(host.trail.recent().filter((e) => e.what === 'fault_retry').length, 0, 'never retried');
  assert.equal(host.safety.violations.length, 0);
});

test('guest_memfd: a fault on a slot whose file was closed gets EFAULT from kvm_gmem_get_pfn (kvm_gmem_get_file finds no file) and ends with it; nothing mapped', async () => {
  const { sim, vm, file } = await boundVm('guest_memfd');
  runOne(sim, (p) => privateFileClose(p, file));
  const { out, thrown } = faultOrThrow(sim, vm, 5);
  assert.equal(out, undefined);
  assert.ok(thrown instanceof KernelError && thrown.errno === 'EFAULT', String(thrown));
  assert.equal(vm.pt.walk(5), -1);
});

test('guest_memfd: an errno other than EHWPOISON and ENOMEM from the lookup (EIO) propagates; EHWPOISON and ENOMEM end the fault with their results', async () => {
  const results: string[] = [];
  for (const errno of ['EIO', 'EHWPOISON', 'ENOMEM']) {
    const { sim, vm, slot } = await boundVm('guest_memfd');
    lookupThrows(slot, new KernelError(errno as never, 'kvm_gmem_get_pfn'));
    const { out, thrown } = faultOrThrow(sim, vm, 5);
    results.push(out ? `${out.result}/${out.retries}` : `threw ${(thrown as KernelError).errno}`);
  }
  assert.deepEqual(results, ['threw EIO', 'hwpoison/0', 'enomem/0']);
});

test('v10: restrictedmem_get_page failing with ENOMEM until the retry bound: each retry is traced with its errno, and the livelock report names the VM and gfn', async () => {
  const { sim, host, vm } = await boundVm('v10', 3);
  while (host.mem.allocPages(0, MIGRATE_UNMOVABLE) >= 0);
  const { out } = faultOrThrow(sim, vm, 5);
  assert.deepEqual([out?.result, out?.retries], ['livelock', 4]);
  const retries = host.trail.recent().filter((e) => e.what === 'fault_retry');
  assert.deepEqual(retries.map((e) => e.args), Array(4).fill({ vm: 'vm0', gfn: 5, errno: 'ENOMEM' }));
  const v = host.finish();
  assert.deepEqual(v.map((x) => [x.kind, x.vm, x.gfn]), [['fault_livelock', 'vm0', 5]]);
});

test('a fault that ends without retrying (no slot) counts no fault.retries and records no latency', async () => {
  const { sim, vm } = await boundVm('guest_memfd');
  const { out } = faultOrThrow(sim, vm, 5000);
  assert.deepEqual([out?.result, out?.retries], ['no_slot', 0]);
  const snap = sim.stats.snapshot();
  assert.equal(snap['fault.retries'], undefined);
  const lat = snap['fault.latency_ns'];
  assert.ok(!lat || (lat.type === 'histogram' && lat.count === 0));
});

/** A holder takes mmu_lock for write and computes 1 ms while vcpu0 faults at gfn 5. */
function faultWhileMmuLockHeld(sim: Parameters<typeof runOne>[0], vm: Parameters<typeof kvm_mmu_lock>[1]) {
  sim.spawn('holder', function* (p) {
    yield* kvm_mmu_lock(p, vm, 'write');
    yield p.compute(1_000_000);
    kvm_mmu_unlock(p, vm, 'write');
  });
  return faultOrThrow(sim, vm, 5);
}

/** Sum of the mmu_lock wait histograms (every mode) in a snapshot. */
function mmuLockWaitSum(snap: ReturnType<Parameters<typeof runOne>[0]['stats']['snapshot']>): number {
  let sum = 0;
  for (const [k, m] of Object.entries(snap)) if (k.startsWith('mmu_lock.wait_ns') && m.type === 'histogram') sum += m.sum;
  return sum;
}

test('a fault that waited for mmu_lock and mapped: fault.lock_wait_ns{lock=mmu_lock} is exactly mmu_lock\'s own wait', async () => {
  const { sim, vm } = await boundVm('v10');
  const { out } = faultWhileMmuLockHeld(sim, vm);
  assert.equal(out?.result, 'mapped');
  assert.ok(out!.latencyNs > 1_000_000, 'it ran after the holder');
  const snap = sim.stats.snapshot();
  const waited = mmuLockWaitSum(snap);
  assert.ok(waited > 0 && waited < 1_000_000, `mmu_lock wait ${waited}`);
  const w = snap['fault.lock_wait_ns{lock=mmu_lock}'];
  assert.ok(w && w.type === 'counter', Object.keys(snap).filter((k) => k.includes('lock_wait')).join(', '));
  assert.equal(w.value, waited);
});

test('a fault that waited for mmu_lock but never mapped (livelock under an endless invalidation) records no fault.lock_wait_ns: its latency is not recorded either', async () => {
  const { sim, vm } = await boundVm('v10', 2);
  vm.mmu_invalidate_in_progress = 1;
  vm.mmu_invalidate_range_start = 0;
  vm.mmu_invalidate_range_end = 1024;
  const { out } = faultWhileMmuLockHeld(sim, vm);
  vm.mmu_invalidate_in_progress = 0;
  assert.equal(out?.result, 'livelock');
  const snap = sim.stats.snapshot();
  assert.ok(mmuLockWaitSum(snap) > 0, 'the fault did wait for mmu_lock');
  assert.deepEqual(Object.keys(snap).filter((k) => k.startsWith('fault.lock_wait_ns')), []);
});
