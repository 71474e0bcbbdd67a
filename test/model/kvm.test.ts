// KVM side: fault path costs and retries, the invalidation protocol, memory attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Interrupt, MetricsBody } from '../../sim/engine/index.js';
import { defaultProfile } from '../../sim/costs/index.js';
import {
  kvm_mmu_invalidate_begin, kvm_mmu_invalidate_end, kvm_mmu_invalidate_range_add, kvm_mmu_page_fault, kvm_set_memory_region,
  kvm_vm_set_mem_attributes, kvm_mmu_notifier_invalidate_range, privateFileCreate, privateFileFallocate, privateFilePunch,
} from '../../sim/model/index.js';
import { makeHost, MiB, runOne, within } from './helpers.js';

const counter = (m: MetricsBody, k: string) => { const c = m[k]; return c && c.type === 'counter' ? c.value : 0; };
const hist = (m: MetricsBody, k: string) => { const h = m[k]; return h && h.type === 'histogram' ? h : undefined; };

test('first-touch fault on this host (shadow) costs ~21.4 us per page (section 7), within 10%', async () => {
  const { sim, host } = await makeHost();
  const vm = host.createVm({ name: 'vm0' });
  runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    for (let g = 0; g < 1024; g++) yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, g, { private: true });
  });
  const h = hist(sim.stats.snapshot(), 'fault.latency_ns')!;
  const target = (defaultProfile().file.calibration as Record<string, Record<string, number>>)['guest.first_touch_fault']!['64MiB']!;
  assert.ok(within(h.mean, target), `fault ${h.mean} ns vs ${target}`);
  assert.equal(counter(sim.stats.snapshot(), 'fault.by_level{level=4K}'), 1024);
});

test('kvm_mmu_invalidate_begin/end: union of in-progress ranges, reset by the begin that takes in_progress 0 -> 1; end bumps the sequence', async () => {
  const { host } = await makeHost();
  const vm = host.createVm({ name: 'vm0' });
  kvm_mmu_invalidate_begin(vm, 10, 20);
  kvm_mmu_invalidate_begin(vm, 100, 110);
  assert.deepEqual([vm.mmu_invalidate_in_progress, vm.mmu_invalidate_range_start, vm.mmu_invalidate_range_end], [2, 10, 110]);
  kvm_mmu_invalidate_end(vm);
  kvm_mmu_invalidate_end(vm);
  assert.deepEqual([vm.mmu_invalidate_in_progress, vm.mmu_invalidate_seq], [0, 2]);
  kvm_mmu_invalidate_begin(vm);
  kvm_mmu_invalidate_range_add(vm, 50, 60);
  assert.deepEqual([vm.mmu_invalidate_range_start, vm.mmu_invalidate_range_end], [50, 60], 'reset at 0 -> 1');
  kvm_mmu_invalidate_end(vm);
  assert.equal(host.finish().length, 0);
  const s = host.s.faultRetry;
  assert.equal(s.isStale(vm, vm.mmu_invalidate_seq, 5), false);
  assert.equal(s.isStale(vm, vm.mmu_invalidate_seq - 1, 5), true, 'any completed invalidation since the snapshot');
});

test('v10 hole punch: mmu_lock taken for write twice per overlapping slot, sequence bumped per slot, even with nothing mapped', async () => {
  const { sim, host } = await makeHost();
  const vm = host.createVm({ name: 'vm0' });
  const { value: f } = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 8 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 2048, file: f, offset: 0 });
    yield* kvm_set_memory_region(p, vm, { slot: 1, baseGfn: 0x10000, npages: 2048, file: f, offset: 0 });
    yield* kvm_set_memory_region(p, vm, { slot: 2, baseGfn: 0x20000, npages: 256, file: f, offset: 4 * MiB });
    return f;
  });
  const before = counter(sim.stats.snapshot(), 'mmu_lock.acquisitions{mode=write}');
  runOne(sim, (p) => privateFilePunch(p, f, 0, 64 * 1024));
  const after = counter(sim.stats.snapshot(), 'mmu_lock.acquisitions{mode=write}');
  assert.equal(after - before, 4, 'two overlapping slots x (begin, end); the third slot does not overlap');
  assert.equal(vm.mmu_invalidate_seq, 2);
  assert.equal(counter(sim.stats.snapshot(), 'tlb.flushes'), 0, 'nothing zapped, no flush');
});

test('guest_memfd punch: one mmu_lock hold and one begin per VM, however many bindings overlap', async () => {
  const { sim, host } = await makeHost({ variant: 'guest_memfd' });
  const vm = host.createVm({ name: 'vm0' });
  const { value: f } = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 8 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 16, file: f, offset: 0 });
    yield* kvm_set_memory_region(p, vm, { slot: 1, baseGfn: 0x10000, npages: 16, file: f, offset: 64 * 1024 });
    return f;
  });
  const before = counter(sim.stats.snapshot(), 'mmu_lock.acquisitions{mode=write}');
  runOne(sim, (p) => privateFilePunch(p, f, 0, 128 * 1024));
  assert.equal(counter(sim.stats.snapshot(), 'mmu_lock.acquisitions{mode=write}') - before, 2);
  assert.equal(vm.mmu_invalidate_seq, 1);
});

test('back-to-back 4 KiB punches of unrelated pages make a faulting vCPU retry (section 7: 43-64% more faults)', async () => {
  const run = async (punch: boolean) => {
    const { sim, host } = await makeHost({ cpus: 4 });
    const vm = host.createVm({ name: 'vm0' });
    let done = false;
    sim.spawn('vcpu', function* (p) {
      const f = yield* privateFileCreate(p, host, vm, 16 * MiB);
      yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 4096, file: f, offset: 0 });
      yield* privateFileFallocate(p, f, 8 * MiB, 4 * MiB);
      if (punch) {
        sim.spawn('vmm', function* (q) {
          for (let i = 0; !done; i = (i + 1) % 1024) yield* privateFilePunch(q, f, 8 * MiB + i * 4096, 4096);
        });
      }
      for (let g = 0; g < 200; g++) yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, g, { private: true });
      done = true;
    });
    sim.run();
    const m = sim.stats.snapshot();
    return { retries: counter(m, 'fault.retries'), mean: hist(m, 'fault.latency_ns')!.mean };
  };
  const quiet = await run(false);
  const busy = await run(true);
  assert.equal(quiet.retries, 0);
  assert.ok(busy.retries > 20, `retries ${busy.retries} of 200 faults`);
  assert.ok(busy.mean > quiet.mean * 1.2, `fault ${busy.mean} vs ${quiet.mean}`);
});

test('a punch waiting behind a long fallocate on inode_lock keeps in_progress raised: faults in its range retry meanwhile', async () => {
  const { sim, host } = await makeHost({ cpus: 4 });
  const vm = host.createVm({ name: 'vm0' });
  let punchNs = 0;
  sim.spawn('setup', function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 128 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 32768, file: f, offset: 0 });
    sim.spawn('fallocate', (q) => privateFileFallocate(q, f, 64 * MiB, 32 * MiB));
    sim.spawn('punch', function* (q) {
      yield q.sleep(10_000);
      const t = sim.now;
      yield* privateFilePunch(q, f, 0, 4096);
      punchNs = sim.now - t;
    });
    sim.spawn('vcpu', function* (q) {
      yield q.sleep(20_000);
      yield* kvm_mmu_page_fault(q, vm.vcpus[0]!, 0, { private: true });
    });
  });
  sim.run();
  assert.ok(punchNs > 1_000_000, `punch waited for the fallocate: ${punchNs} ns`);
  assert.ok(counter(sim.stats.snapshot(), 'fault.retries') > 10);
  assert.deepEqual(host.finish(), []);
});

test('KVM_SET_MEMORY_ATTRIBUTES: per-gfn cost, zap, sequence bump; a fault with the wrong attribute exits to userspace', async () => {
  const { sim, host } = await makeHost();
  const vm = host.createVm({ name: 'vm0' });
  runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 10, { private: true });
  });
  assert.ok(vm.pt.walk(10) >= 0);
  const r = runOne(sim, (p) => kvm_vm_set_mem_attributes(p, vm, 0, 512, false));
  assert.ok(r.ns >= 512 * host.costs.ns('kvm.set_attr_per_gfn_ns'));
  assert.equal(vm.pt.walk(10), -1, 'converted range zapped');
  assert.equal(vm.mmu_invalidate_seq, 1);
  assert.equal(runOne(sim, (p) => kvm_mmu_page_fault(p, vm.vcpus[0]!, 10, { private: true })).value.result, 'memory_fault_exit');
  assert.equal(runOne(sim, (p) => kvm_mmu_page_fault(p, vm.vcpus[0]!, 10, { private: false })).value.result, 'mapped');
  runOne(sim, (p) => kvm_mmu_notifier_invalidate_range(p, vm, 0, 512));
  assert.equal(vm.pt.walk(10), -1, 'shared discard zaps');
  assert.equal(vm.mmu_invalidate_seq, 2, 'host mmu_notifier events bump the sequence too');
  assert.deepEqual(host.finish(), []);
});

test('a truncation landing while a fault is inside shmem_get_folio only drops the cache reference; the fault retries and maps a fresh page', async () => {
  const { sim, host } = await makeHost({ cpus: 4 });
  const vm = host.createVm({ name: 'vm0' });
  const { value: f } = runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    yield* privateFileFallocate(p, f, 0, 4096);
    return f;
  });
  const t0 = sim.now;
  const exit = Math.round(host.s.mmu.faultExitNs(host.costs));
  const lookupAt = exit + host.costs.ns('kvm.mem_attr_lookup_ns');
  // the punch's truncation (its fixed costs before the erase: ~265 ns) lands inside the fault's
  // 60 ns folio lookup charge
  sim.spawn('punch', function* (p) {
    yield p.sleep(t0 + lookupAt - 240 - sim.now);
    yield* privateFilePunch(p, f, 0, 4096);
  });
  let result = '';
  sim.spawn('vcpu', function* (p) {
    yield p.sleep(t0 - sim.now);
    result = (yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, 0, { private: true })).result;
  });
  sim.run();
  assert.equal(result, 'mapped');
  assert.equal(vm.pt.walk(0), vm.expectedPfn(0));
  assert.deepEqual(host.finish(), []);
  assert.equal(counter(sim.stats.snapshot(), 'memory.freed_bytes'), 4096, 'the old page freed at the fault\'s put');
});

test('kvm_vm_set_mem_attributes interrupted while it holds kvm->lock releases it and stores nothing; interrupted before, it holds nothing to release', async () => {
  const { sim, host } = await makeHost();
  const vm = host.createVm({ name: 'vm0' });
  const fixed = Math.round(host.costs.ns('kvm.set_attr_fixed_ns'));
  const perGfn = Math.round(512 * host.costs.ns('kvm.set_attr_per_gfn_ns'));
  assert.ok(fixed > 2 && perGfn > 2, 'both charges are waits');
  const caught: string[] = [];
  const convert = (at: number) => {
    const t0 = sim.now;
    const victim = sim.spawn('vmm', function* (p) {
      try {
        yield* kvm_vm_set_mem_attributes(p, vm, 0, 512, false);
      } catch (e) {
        caught.push(`${(e as Interrupt).cause}@${sim.now - t0}`);
      }
    });
    sim.spawn('kicker', function* (p) {
      yield p.sleep(at);
      victim.interrupt('kick');
    });
    sim.run();
  };
  convert(fixed + 1);
  assert.deepEqual(caught, [`kick@${fixed + 1}`]);
  assert.equal(vm.lock.owner, null, 'kvm->lock released on the way out of its section');
  assert.equal(vm.memAttr.isPrivate(10), true, 'the store after the per-gfn charge never ran');
  convert(1);
  assert.deepEqual(caught, [`kick@${fixed + 1}`, 'kick@1']);
  assert.equal(vm.lock.owner, null);
  // The lock is free for the next conversion, which completes.
  runOne(sim, (p) => kvm_vm_set_mem_attributes(p, vm, 0, 512, false));
  assert.equal(vm.memAttr.isPrivate(10), false);
});
