// shmem under restrictedmem (6.1 rules): THP policy, fallbacks by reason, partial punch of a huge
// folio (zero, then split that fails on extra references), refilled holes, host fragmentation,
// memory failure on a huge folio; and determinism of the whole model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsBody } from '../../sim/engine/index.js';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, kvm_mmu_page_fault, kvm_set_memory_region, memfd_restricted, memory_failure,
  privateFileCreate, privateFileFallocate, privateFilePunch, restrictedmem_fallocate, restrictedmem_get_page, restrictedmem_setattr,
  type GmemFile, type RestrictedFile,
} from '../../sim/model/index.js';
import { makeHost, MiB, runOne } from './helpers.js';

const counter = (m: MetricsBody, k: string) => { const c = m[k]; return c && c.type === 'counter' ? c.value : 0; };

async function file(variant: string, size: number, extra: { initialFragmentation?: number } = {}) {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB, ...extra });
  const { value: f } = runOne(sim, function* (p) {
    const f = yield* memfd_restricted(p, host, 0);
    yield* restrictedmem_setattr(p, f, size);
    return f;
  });
  return { sim, host, f: f as RestrictedFile };
}

test('thp policies: always -> 2 MiB folios; within_size only below i_size (round_up(index+1, 512) <= i_size); never/advise -> 4 KiB', async () => {
  const orders = async (variant: string) => {
    const { sim, f } = await file(variant, 3 * MiB);
    runOne(sim, (p) => restrictedmem_fallocate(p, f, 0, 0, 3 * MiB));
    return [f.memfd.pages.lookupOrder(0), f.memfd.pages.lookupOrder(600)];
  };
  assert.deepEqual(await orders('v10+thp-always'), [9, 9]);
  assert.deepEqual(await orders('v10+thp-within_size'), [9, 0]);
  assert.deepEqual(await orders('v10+thp-never'), [0, 0]);
  assert.deepEqual(await orders('v10+thp-advise'), [0, 0]);
});

test('thp fallbacks are counted by reason: occupied block vs allocator failure (fragmented host)', async () => {
  const a = await file('v10+thp-always', 4 * MiB);
  runOne(a.sim, function* (p) {
    yield* restrictedmem_fallocate(p, a.f, 0, 0, 2 * MiB);
    yield* restrictedmem_fallocate(p, a.f, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 8192, 4096); // split
    yield* restrictedmem_get_page(p, a.f, 2); // refault in the hole: block occupied
  });
  assert.equal(counter(a.sim.stats.snapshot(), 'thp.fallbacks{reason=occupied}'), 1);
  const b = await file('v10+thp-always', 4 * MiB, { initialFragmentation: 1 });
  runOne(b.sim, (p) => restrictedmem_fallocate(p, b.f, 0, 0, 2 * MiB));
  assert.ok(counter(b.sim.stats.snapshot(), 'thp.fallbacks{reason=alloc_failed}') > 0);
  assert.equal(b.f.memfd.pages.lookupOrder(0), 0);
});

test('partial punch of a huge folio: zeroed, then the split fails while a fault holds a reference (nothing freed)', async () => {
  const { sim, host, f } = await file('v10+thp-always', 4 * MiB);
  runOne(sim, (p) => restrictedmem_fallocate(p, f, 0, 0, 2 * MiB));
  const { value: got } = runOne(sim, (p) => restrictedmem_get_page(p, f, 100)); // in-flight fault's reference
  runOne(sim, (p) => restrictedmem_fallocate(p, f, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 4096, 4096));
  const m = sim.stats.snapshot();
  assert.equal(counter(m, 'thp.split_failures'), 1);
  assert.equal(counter(m, 'memory.freed_bytes'), 0);
  assert.equal(counter(m, 'memory.unfreed_zeroed_bytes'), 4096);
  assert.equal(f.memfd.pages.lookupOrder(1), 9, 'huge folio kept');
  host.mem.folioPut(got.folio);
});

test('a fault racing a punch refills the hole (counted in punch.refilled_bytes)', async () => {
  const { sim, host } = await makeHost({ variant: 'v10', memoryBytes: 256 * MiB, cpus: 4 });
  const vm = host.createVm({ name: 'vm0' });
  sim.spawn('vmm', function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 64 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 16384, file: f, offset: 0 });
    yield* privateFileFallocate(p, f, 0, 64 * MiB);
    sim.spawn('vcpu', function* (q) {
      yield q.sleep(600_000); // during the ~2 ms truncation
      yield* kvm_mmu_page_fault(q, vm.vcpus[0]!, 3, { private: true });
    });
    yield* privateFilePunch(p, f, 0, 64 * MiB);
  });
  sim.run();
  assert.equal(counter(sim.stats.snapshot(), 'punch.refilled_bytes'), 4096);
  assert.deepEqual(host.finish(), []);
});

test('memory_failure splits a THP first, then the mapping hook runs (v10: VM shut down; guest_memfd: EHWPOISON on next access)', async () => {
  const { sim, host, f } = await file('v10+thp-always', 4 * MiB);
  const vm = host.createVm({ name: 'vm0' });
  runOne(sim, function* (p) {
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    yield* restrictedmem_fallocate(p, f, 0, 0, 2 * MiB);
  });
  const r = runOne(sim, (p) => memory_failure(p, host, f.memfd, 7));
  assert.deepEqual(r.value, { result: 'MF_RECOVERED', split: true });
  assert.equal(vm.dead, true);

  const g = await makeHost({ variant: 'guest_memfd' });
  const gvm = g.host.createVm({ name: 'vm0' });
  const { value: gf } = runOne(g.sim, function* (p) {
    const gf = (yield* privateFileCreate(p, g.host, gvm, 4 * MiB)) as GmemFile;
    yield* kvm_set_memory_region(p, gvm, { slot: 0, baseGfn: 0, npages: 1024, file: gf, offset: 0 });
    yield* kvm_mmu_page_fault(p, gvm.vcpus[0]!, 7, { private: true });
    return gf;
  });
  const gr = runOne(g.sim, (p) => memory_failure(p, g.host, gf.inode, 7));
  assert.equal(gr.value.result, 'MF_DELAYED');
  assert.equal(gvm.dead, false);
  assert.equal(gvm.pt.walk(7), -1, 'zapped');
  assert.equal(runOne(g.sim, (p) => kvm_mmu_page_fault(p, gvm.vcpus[0]!, 7, { private: true })).value.result, 'hwpoison');
});

test('determinism: the same scenario twice gives identical metrics', async () => {
  const once = async () => {
    const { sim, host } = await makeHost({ variant: 'v10+thp-always+tdp', cpus: 2, seed: 7 });
    const vm = host.createVm({ name: 'vm0', vcpus: 2 });
    sim.spawn('vmm', function* (p) {
      const f = yield* privateFileCreate(p, host, vm, 8 * MiB);
      yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 2048, file: f, offset: 0 });
      for (const vcpu of vm.vcpus) {
        sim.spawn(vcpu.name, function* (q) {
          const rng = sim.rng(vcpu.name);
          for (let i = 0; i < 100; i++) {
            const g = rng.nextU32() % 2048;
            if (vm.pt.walk(g) < 0) yield* kvm_mmu_page_fault(q, vcpu, g, { private: true });
            else yield q.sleep(500);
          }
        });
      }
      for (let i = 0; i < 10; i++) {
        yield p.sleep(20_000);
        yield* privateFilePunch(p, f, (i % 4) * 2 * MiB + 4096 * i, 64 * 1024);
      }
    });
    sim.run();
    return JSON.stringify(sim.stats.snapshot());
  };
  const a = await once();
  const b = await once();
  assert.equal(a, b);
});
