// Issue 13 point 3: the folio lock. 6.1 shmem_undo_range takes a huge folio partly in the punched
// range with shmem_get_folio(SGP_READ), which returns it locked, and truncate_inode_partial_folio
// zeroes the punched pages and splits the folio under that lock; a fault's
// restrictedmem_get_page -> shmem_get_folio(SGP_WRITE) -> __filemap_get_folio(FGP_LOCK) takes a
// reference and sleeps on the lock meanwhile. Before this change a fault never waited (no
// folio_lock.* metric existed) and the split was decided before the zeroing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsBody, Process } from '../../sim/engine/index.js';
import { kvm_mmu_page_fault, kvm_set_memory_region, privateFileCreate, privateFileFallocate, privateFilePunch, type AnyPrivateFile, type FaultOutcome } from '../../sim/model/index.js';
import { makeHost, MiB } from './helpers.js';

const counter = (m: MetricsBody, k: string) => { const c = m[k]; return c && c.type === 'counter' ? c.value : 0; };
const hist = (m: MetricsBody, k: string) => { const h = m[k]; return h && h.type === 'histogram' ? h : undefined; };

const VARIANT = 'v10+thp-always+tdp';

/**
 * A v10+thp-always+tdp VM whose 2 MiB folio at file index 0 is populated; process `vmm` punches
 * 4 KiB at page 100 from `punchAt`, and vcpu0 faults gfn `gfn` from `faultAt` (never when < 0).
 * Returns when the punch took the folio lock (`lockedAt`, polled every ns, when no fault runs).
 */
async function punchAndFault(gfn: number, faultAt: number) {
  const { sim, host } = await makeHost({ variant: VARIANT });
  const vm = host.createVm({ name: 'vm0' });
  let f!: AnyPrivateFile;
  const punchAt = 100_000;
  let lockedAt = -1;
  let fault: FaultOutcome | undefined;
  sim.spawn('vmm', function* (p: Process) {
    f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
    yield* privateFileFallocate(p, f, 0, 2 * MiB);
    assert.ok(sim.now < punchAt);
    yield p.sleep(punchAt - sim.now);
    yield* privateFilePunch(p, f, 100 * 4096, 4096);
  });
  if (faultAt < 0) {
    sim.spawn('watch', function* (p: Process) {
      yield p.sleep(punchAt);
      while (lockedAt < 0 && sim.now < punchAt + 1_000_000) {
        if (host.folioLocks.isLocked(f.backing.pages.lookup(0))) lockedAt = sim.now;
        yield p.sleep(1);
      }
    });
  } else {
    sim.spawn('vcpu0', function* (p: Process) {
      yield p.sleep(faultAt);
      fault = yield* kvm_mmu_page_fault(p, vm.vcpus[0]!, gfn, { private: true });
    });
  }
  sim.run();
  return { host, m: sim.stats.snapshot(), fault, f, lockedAt };
}

/** When a fault started at t reaches shmem_get_folio: the exit and the attribute lookup come first. */
async function reachDelay() {
  const { host } = await makeHost({ variant: VARIANT });
  return host.s.mmu.faultExitNs(host.costs) + host.costs.ns('kvm.mem_attr_lookup_ns');
}

test('point 3, truncate_inode_partial_folio under the folio lock (6.1 mm/truncate.c, shmem_undo_range): a fault on another page of the 2 MiB folio during the zeroing sleeps on the lock, and its reference makes split_folio fail (can_split_folio)', async () => {
  const { lockedAt, host: h0 } = await punchAndFault(300, -1);
  assert.ok(lockedAt > 0, 'the punch took the folio lock');
  const clear = h0.costs.ns('mm.clear_page_4k_ns');
  const { host, m, fault, f } = await punchAndFault(300, Math.round(lockedAt + clear / 3 - (await reachDelay())));
  assert.equal(fault?.result, 'mapped');
  const wait = hist(m, 'folio_lock.wait_ns');
  assert.ok(wait, 'folio_lock.wait_ns recorded');
  assert.equal(wait.count, 1, 'one fault waited');
  assert.equal(counter(m, 'folio_lock.contended'), 1);
  // It slept for the rest of the zeroing (two thirds of it) plus its wake-up.
  assert.ok(wait.max >= (2 * clear) / 3 - 2 + host.sim.lockCosts.wakeup_ns, `waited ${wait.max} ns, zeroing ${clear} ns`);
  assert.ok(fault!.latencyNs >= wait.max, 'the wait is part of the fault');
  assert.equal(counter(m, 'thp.split_failures'), 1, 'the waiting fault held a reference at the split');
  assert.equal(counter(m, 'thp.splits'), 0);
  assert.equal(f.backing.pages.lookupOrder(300), 9, 'the folio stays huge, zeroed');
  assert.equal(host.finish().length, 0);
});

test('point 3, split_folio (6.1 split_huge_page_to_list: folio_ref_freeze) under the folio lock: a fault during the split spins in filemap_get_entry (folio_try_get_rcu fails) until the split ends, then maps the 4 KiB page', async () => {
  const { lockedAt, host: h0 } = await punchAndFault(300, -1);
  const clear = h0.costs.ns('mm.clear_page_4k_ns');
  const split = h0.costs.ns('shmem.split_folio_ns');
  const { host, m, fault, f } = await punchAndFault(300, Math.round(lockedAt + clear + 5000 - (await reachDelay())));
  assert.equal(fault?.result, 'mapped');
  assert.equal(fault?.level, 1, 'the folio is split: 4 KiB leaf');
  const wait = hist(m, 'folio_lock.wait_ns');
  assert.equal(wait?.count, 1);
  assert.ok(Math.abs(wait!.max - (split - 5000)) <= 3, `spun ${wait!.max} ns, the split had ${split - 5000} ns to run`);
  assert.equal(counter(m, 'thp.splits'), 1);
  assert.equal(f.backing.pages.lookupOrder(300), 0);
  assert.equal(host.finish().length, 0);
});

test('point 3: with no fault in the folio the split succeeds and the lock is held for the zeroing plus the split (mm.clear_page_4k_ns + shmem.split_folio_ns); a fault after the punch does not wait', async () => {
  const { host, m, fault, f } = await punchAndFault(300, 1_000_000);
  assert.equal(fault?.result, 'mapped');
  assert.equal(hist(m, 'folio_lock.wait_ns')?.count ?? 0, 0);
  assert.equal(counter(m, 'thp.splits'), 1);
  assert.equal(f.backing.pages.lookupOrder(300), 0, 'split to order 0');
  const hold = hist(m, 'folio_lock.hold_ns');
  const want = host.costs.ns('mm.clear_page_4k_ns') + host.costs.ns('shmem.split_folio_ns');
  assert.ok(hold && Math.abs(hold.max - want) <= 2, `held ${hold?.max} ns, zeroing + split ${want}`);
  assert.equal(host.finish().length, 0);
});
