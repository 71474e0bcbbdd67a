// The expected direction of each design choice, end to end on small scenarios built for it
// (issue 4, "Done when"). Each compares the model's metrics between variants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsBody } from '../../sim/engine/index.js';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, kvm_mmu_page_fault, kvm_set_memory_region, memfd_restricted, memory_failure,
  privateFileCreate, privateFileFallocate, privateFilePunch, restrictedmem_fallocate, restrictedmem_setattr, type RestrictedFile,
} from '../../sim/model/index.js';
import { makeHost, MiB, runOne } from './helpers.js';

function hist(m: MetricsBody, key: string): { count: number; mean: number } {
  const h = m[key];
  if (!h || h.type !== 'histogram') return { count: 0, mean: 0 };
  return { count: h.count, mean: h.mean };
}
function counter(m: MetricsBody, key: string): number {
  const c = m[key];
  return c && c.type === 'counter' ? c.value : 0;
}

/**
 * `vms` VMs each with one vCPU in guest mode (a flush must kick it: 31.5 us on this host) and a
 * memslot on its own window of ONE restricted file; `threads` VMM threads, thread i punching
 * 4 KiB pages it first faulted into VM (i % vms). Returns the mean punch latency.
 */
async function sharedFilePunches(variant: string, vms: number, threads: number): Promise<number> {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB, cpus: 8 });
  const window = 1 * MiB;
  const npages = window / 4096;
  const vmList = Array.from({ length: vms }, (_, i) => host.createVm({ name: `vm${i}` }));
  const { value: file } = runOne(sim, function* (p) {
    const f = yield* memfd_restricted(p, host, 0);
    yield* restrictedmem_setattr(p, f, vms * window);
    for (let i = 0; i < vms; i++) yield* kvm_set_memory_region(p, vmList[i]!, { slot: 0, baseGfn: 0, npages, file: f, offset: i * window });
    return f;
  });
  for (const vm of vmList) vm.vcpus[0]!.inGuest = true;
  for (let t = 0; t < threads; t++) {
    const vmIndex = t % vms;
    const vm = vmList[vmIndex]!;
    sim.spawn(`vmm${t}`, function* (p) {
      for (let i = 0; i < 20; i++) {
        const gfn = t * 40 + i;
        yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, gfn, { private: true });
        yield* restrictedmem_fallocate(p, file as RestrictedFile, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, vmIndex * window + gfn * 4096, 4096);
      }
    });
  }
  sim.run();
  assert.deepEqual(host.finish(), []);
  return hist(sim.stats.snapshot(), 'punch.latency_ns{size=4KiB}').mean;
}

test('notifier-rwsem and notifier-srcu cut punch latency when several VMs share one file and punches hit different VMs', async () => {
  const v10 = await sharedFilePunches('v10', 4, 4);
  const rwsem = await sharedFilePunches('notifier-rwsem', 4, 4);
  const srcu = await sharedFilePunches('notifier-srcu', 4, 4);
  assert.ok(rwsem < 0.7 * v10, `rwsem ${rwsem} vs v10 ${v10}`);
  assert.ok(srcu < 0.7 * v10, `srcu ${srcu} vs v10 ${v10}`);
});

test('notifier-rwsem and notifier-srcu change little for one VM: the wait moves to mmu_lock and inode_lock', async () => {
  const v10 = await sharedFilePunches('v10', 1, 4);
  const rwsem = await sharedFilePunches('notifier-rwsem', 1, 4);
  const srcu = await sharedFilePunches('notifier-srcu', 1, 4);
  assert.ok(Math.abs(rwsem - v10) < 0.25 * v10, `rwsem ${rwsem} vs v10 ${v10}`);
  assert.ok(Math.abs(srcu - v10) < 0.25 * v10, `srcu ${srcu} vs v10 ${v10}`);
});

/** Error lookup time with `files` restricted files on the host (the poisoned page in the last one). */
async function errorLookup(variant: string, files: number): Promise<number> {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB });
  let last: RestrictedFile | undefined;
  runOne(sim, function* (p) {
    for (let i = 0; i < files; i++) {
      last = yield* memfd_restricted(p, host, 0);
      yield* restrictedmem_setattr(p, last, 1 * MiB);
    }
    yield* restrictedmem_fallocate(p, last!, 0, 0, 4096);
    yield* memory_failure(p, host, last!.memfd, 0);
  });
  return hist(sim.stats.snapshot(), 'error.lookup_ns').mean;
}

test('error-direct makes the memory-error lookup flat in the number of files; v10 grows with it', async () => {
  const v1 = await errorLookup('v10', 1);
  const v200 = await errorLookup('v10', 200);
  const d1 = await errorLookup('v10+error-direct', 1);
  const d200 = await errorLookup('v10+error-direct', 200);
  assert.ok(v200 > 50 * v1, `v10 ${v1} -> ${v200}`);
  assert.equal(d200, d1);
});

/** A vCPU touching every gfn of a 16 MiB slot (faulting only unmapped ones); userspace_addr congruent with baseGfn unless given. */
async function touchAll(variant: string, baseGfn = 0x100000, userspaceAddr?: number): Promise<{ faults: number; huge: number }> {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB });
  const vm = host.createVm({ name: 'vm0' });
  const size = 16 * MiB;
  const npages = size / 4096;
  runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, size);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn, npages, file: f, offset: 0, userspaceAddr });
    for (let g = baseGfn; g < baseGfn + npages; g++) {
      if (vm.pt.walk(g) >= 0) continue;
      yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, g, { private: true });
    }
  });
  const m = sim.stats.snapshot();
  return { faults: hist(m, 'fault.latency_ns').count, huge: counter(m, 'fault.by_level{level=2M}') };
}

test('thp-always raises 2 MiB mappings and cuts faults under tdp with aligned slots', async () => {
  const never = await touchAll('v10+tdp+thp-never');
  const always = await touchAll('v10+tdp+thp-always');
  assert.equal(never.huge, 0);
  assert.ok(always.huge > 0);
  assert.ok(always.faults < never.faults / 50, `${always.faults} vs ${never.faults}`);
});

test('thp-always does not cut faults under shadow paging, with a misaligned slot, or under guest_memfd', async () => {
  const base = (await touchAll('v10+tdp+thp-never')).faults;
  const shadow = await touchAll('v10+shadow+thp-always');
  // base_gfn one page past 2 MiB, restricted_offset and userspace_addr 2 MiB aligned. (With
  // userspace_addr congruent with base_gfn instead, v10 7/9's `ugfn |= restricted_offset` passes
  // the alignment test: test/model/hugepage-eligibility.test.ts.)
  const misaligned = await touchAll('v10+tdp+thp-always', 0x100000 + 1, 0x100000 * 4096);
  const gmem = await touchAll('guest_memfd+tdp+thp-never');
  for (const r of [shadow, misaligned, gmem]) {
    assert.equal(r.huge, 0);
    assert.equal(r.faults, base);
  }
});

/** Punch 4 KiB inside a 2 MiB huge folio. */
async function partialPunch(variant: string): Promise<MetricsBody> {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB });
  const vm = host.createVm({ name: 'vm0' });
  runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* privateFileFallocate(p, f, 0, 2 * MiB);
    yield* privateFilePunch(p, f, 64 * 1024, 4096);
  });
  return sim.stats.snapshot();
}

test('punch-zero leaves memory unfreed (zeroed, huge folio kept); punch-split frees the page', async () => {
  const split = await partialPunch('v10+thp-always+punch-split');
  const zero = await partialPunch('v10+thp-always+punch-zero');
  assert.equal(counter(split, 'thp.splits'), 1);
  assert.equal(counter(split, 'memory.freed_bytes'), 4096);
  assert.equal(counter(zero, 'thp.splits'), 0);
  assert.equal(counter(zero, 'memory.freed_bytes'), 0);
  assert.equal(counter(zero, 'memory.unfreed_zeroed_bytes'), 4096);
});

/** Two threads punching disjoint 4 KiB pages of one file bound to a VM whose vCPU runs (flush kicks). */
async function twoPunchersBound(variant: string): Promise<{ punch: number; lockHold: number; lock: string }> {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB, cpus: 4 });
  const vm = host.createVm({ name: 'vm0' });
  const size = 4 * MiB;
  const { value: file } = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, size);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: size / 4096, file: f, offset: 0 });
    return f;
  });
  vm.vcpus[0]!.inGuest = true;
  for (let t = 0; t < 2; t++) {
    sim.spawn(`vmm${t}`, function* (p) {
      for (let i = 0; i < 10; i++) {
        const gfn = t * 100 + i;
        yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, gfn, { private: true });
        yield* privateFilePunch(p, file, gfn * 4096, 4096);
      }
    });
  }
  sim.run();
  const m = sim.stats.snapshot();
  const lock = host.s.backend.name === 'guest_memfd' ? 'invalidate_lock.hold_ns{mode=write}' : 'notifier_lock.hold_ns';
  return { punch: hist(m, 'punch.latency_ns{size=4KiB}').mean, lockHold: hist(m, lock).mean, lock };
}

test('guest_memfd serialises whole punches per file (the file lock is held for the whole punch); v10 only per phase', async () => {
  const gmem = await twoPunchersBound('guest_memfd');
  const v10 = await twoPunchersBound('v10');
  // guest_memfd: filemap_invalidate_lock held across begin, truncate and end: hold ~ whole punch.
  assert.ok(gmem.lockHold > 30_000, `gmem hold ${gmem.lockHold}`);
  // v10: the notifier mutex is held per phase; the longest phase (begin: zap + kick) dominates but
  // the truncation runs outside it, and end is a separate short hold: mean hold well below a punch.
  assert.ok(v10.lockHold < 0.6 * gmem.lockHold, `v10 notifier hold ${v10.lockHold} vs gmem ${gmem.lockHold}`);
});
