// Issue 13 point 8 (rest): 6.18 kvm_gmem_get_pfn takes the file with kvm_gmem_get_file ->
// get_file_active (atomic_long_inc_not_zero on struct file's f_count) and drops it with fput: two
// atomic RMWs on one cache line that every vCPU of the VM faulting through the file shares. A
// fault on another vCPU than the last pays a line transfer (lock.cacheline_ns); before this
// change a fault's cost did not depend on which vCPU faulted before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Process } from '../../sim/engine/index.js';
import { kvm_set_memory_region, kvm_gmem_get_pfn, privateFileCreate, privateFileFallocate, type GmemFile, type Memslot } from '../../sim/model/index.js';
import { makeHost, MiB } from './helpers.js';

test('point 8, kvm_gmem_get_pfn (6.18 get_file_active + fput): faults alternating between two vCPUs each pay one f_count line transfer; one vCPU faulting again pays none', async () => {
  const { sim, host } = await makeHost({ variant: 'guest_memfd' });
  const vm = host.createVm({ name: 'vm0', vcpus: 2 });
  let f!: GmemFile;
  let slot!: Memslot;
  const took: Array<[string, number]> = [];
  sim.spawn('vmm', function* (p: Process) {
    f = (yield* privateFileCreate(p, host, vm, 4 * MiB)) as GmemFile;
    slot = yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    yield* privateFileFallocate(p, f, 0, 64 * 4096);
  });
  sim.run();
  // Pages are present and zeroed once first, so every lookup below costs the same but for the line.
  sim.spawn('warm', function* (p: Process) {
    for (let i = 0; i < 8; i++) yield* kvm_gmem_get_pfn(p, f, slot, i);
  });
  sim.run();
  // vcpu0 at 0, 20, 40 us and again at 50 us; vcpu1 at 10 and 30 us (each call takes well under 10 us).
  const plan: Record<string, number[]> = { vcpu0: [0, 20_000, 40_000, 50_000], vcpu1: [10_000, 30_000] };
  const t0 = sim.now;
  for (const [name, at] of Object.entries(plan)) {
    sim.spawn(name, function* (q: Process) {
      for (const [k, t] of at.entries()) {
        yield q.sleep(t0 + t - sim.now);
        const s = sim.now;
        yield* kvm_gmem_get_pfn(q, f, slot, k);
        took.push([`${name}@${t}`, sim.now - s]);
      }
    });
  }
  sim.run();
  took.sort((a, b) => Number(a[0].split('@')[1]) - Number(b[0].split('@')[1]));
  assert.equal(took.length, 6);
  const line = host.costs.lockCosts.cacheline_ns;
  assert.ok(line > 0);
  const base = took[5]![1]; // vcpu0 right after itself
  assert.deepEqual(took.map(([, ns]) => ns - base), [line, line, line, line, line, 0], JSON.stringify(took));
});
