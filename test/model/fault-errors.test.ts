// Issue 13 point 4, second half: what the fault path does when getting the private page fails.
// v10 8/9's kvm_faultin_pfn_private: `if (kvm_restricted_mem_get_pfn(slot, fault->gfn, &fault->pfn,
// &order)) return RET_PF_RETRY;`: the vCPU re-enters the guest and faults again for as long as
// restrictedmem_get_page fails. 6.18's kvm_faultin_pfn_private instead prepares a
// KVM_EXIT_MEMORY_FAULT and returns kvm_gmem_get_pfn's error: the fault ends. Before this change
// the model ended the fault under v10 too ('enomem').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Process } from '../../sim/engine/index.js';
import { MIGRATE_UNMOVABLE } from '../../sim/fastpath/index.js';
import { kvm_mmu_page_fault, kvm_set_memory_region, privateFileCreate, type FaultOutcome, type Host } from '../../sim/model/index.js';
import { makeHost, MiB } from './helpers.js';

/** Take every free page of the host; returns them so a test can give some back. */
function exhaust(host: Host): number[] {
  const pins: number[] = [];
  for (let pfn = host.mem.allocPages(0, MIGRATE_UNMOVABLE); pfn >= 0; pfn = host.mem.allocPages(0, MIGRATE_UNMOVABLE)) pins.push(pfn);
  return pins;
}

/** One VM with a 4 MiB private file bound at gfn 0; memory exhausted, then `release` pages given back at `releaseAt` (never when < 0). */
async function faultWithoutMemory(variant: string, releaseAt: number, maxFaultRetries = 10000) {
  const { sim, host } = await makeHost({ variant, memoryBytes: 64 * MiB, maxFaultRetries });
  const vm = host.createVm({ name: 'vm0' });
  let out: FaultOutcome | undefined;
  sim.spawn('vcpu0', function* (p: Process) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    const pins = exhaust(host);
    if (releaseAt >= 0) {
      sim.spawn('release', function* (q: Process) {
        yield q.sleep(releaseAt);
        for (const pfn of pins.splice(0, 64)) host.mem.freePages(pfn, 0);
      });
    }
    out = yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 5, { private: true });
  });
  sim.run();
  assert.ok(out);
  return { host, out: out! };
}

test('point 4, v10 8/9 kvm_faultin_pfn_private (on 6.1): a restrictedmem_get_page failure (-ENOMEM) returns RET_PF_RETRY, so the fault repeats until memory comes back, then maps', async () => {
  const { host, out } = await faultWithoutMemory('v10', 1_000_000);
  assert.equal(out.result, 'mapped');
  const exit = host.s.mmu.faultExitNs(host.costs);
  assert.ok(out.retries >= Math.floor(1_000_000 / exit) - 1, `${out.retries} retries over 1 ms at ${exit} ns an exit`);
  assert.ok(out.latencyNs >= 1_000_000);
  assert.equal(host.finish().length, 0);
});

test('point 4: under v10 a fault whose restrictedmem_get_page never succeeds is a livelock, and the liveness check names the loop', async () => {
  const { host, out } = await faultWithoutMemory('v10', -1, 50);
  assert.equal(out.result, 'livelock');
  assert.equal(out.retries, 51);
  const v = host.finish();
  assert.equal(v.length, 1);
  assert.equal(v[0]!.kind, 'fault_livelock');
  assert.match(v[0]!.detail, /restrictedmem_get_page keeps failing with -ENOMEM/);
  assert.match(v[0]!.detail, /RET_PF_RETRY/);
});

test('point 4: guest_memfd (6.18 kvm_faultin_pfn_private: kvm_mmu_prepare_memory_fault_exit, error to userspace) ends the fault on -ENOMEM without retrying', async () => {
  const { host, out } = await faultWithoutMemory('guest_memfd', 1_000_000);
  assert.equal(out.result, 'enomem');
  assert.equal(out.retries, 0);
  assert.equal(host.finish().length, 0);
});
