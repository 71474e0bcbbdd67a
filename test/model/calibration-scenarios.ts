// The section-7 probes rebuilt on the model: single fallocate and punch operations on a fresh
// file (shmem = the v10 restricted file's memfd, guest_memfd), populated and hole, unbound and
// bound to a memslot, two threads punching disjoint ranges of one file, and the guest side (a
// vCPU faulting pages in, punches of ranges it maps). Each returns simulated nanoseconds per
// operation, to compare with the measured figures (test/fixtures/measured/).
import type { Process } from '../../sim/engine/index.js';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, kvm_gmem_create, kvm_gmem_fallocate, kvm_mmu_page_fault, kvm_set_memory_region, memfd_restricted,
  restrictedmem_fallocate, restrictedmem_setattr, type Gen, type GmemFile, type RestrictedFile,
} from '../../sim/model/index.js';
import { makeHost, runOne, MiB } from './helpers.js';
import type { CostProfile } from '../../sim/costs/index.js';
import type { Punch } from '../../sim/calibrate/two-punchers-analysis.js';

const PUNCH = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
export type Backend = 'shmem' | 'gmem';

interface Probe {
  create(p: Process, size: number): Gen<RestrictedFile | GmemFile>;
  fallocate(p: Process, f: RestrictedFile | GmemFile, off: number, len: number): Gen;
  punch(p: Process, f: RestrictedFile | GmemFile, off: number, len: number): Gen;
}

/** What a single-operation scenario may vary: the profile (refits), shmem's THP setting. */
export interface ScenarioOptions {
  profile?: CostProfile;
  /** shmem_enabled=always (shmem only). */
  thpAlways?: boolean;
}

async function setup(backend: Backend, bound: boolean, profile?: CostProfile, fileSize = 128 * MiB, thpAlways = false) {
  const variant = backend === 'shmem' ? (thpAlways ? 'v10+thp-always' : 'v10') : 'guest_memfd';
  const { sim, host } = await makeHost({ variant, memoryBytes: Math.max(512 * MiB, 2 * fileSize), profile });
  const vm = host.createVm({ name: 'vm0', vcpus: 1 });
  const probe: Probe =
    backend === 'shmem'
      ? {
          *create(p, size) {
            const f = yield* memfd_restricted(p, host, 0);
            yield* restrictedmem_setattr(p, f, size);
            return f;
          },
          fallocate: (p, f, off, len) => restrictedmem_fallocate(p, f as RestrictedFile, 0, off, len),
          punch: (p, f, off, len) => restrictedmem_fallocate(p, f as RestrictedFile, PUNCH, off, len),
        }
      : {
          create: (p, size) => kvm_gmem_create(p, vm, size, 0),
          fallocate: (p, f, off, len) => kvm_gmem_fallocate(p, f as GmemFile, FALLOC_FL_KEEP_SIZE, off, len),
          punch: (p, f, off, len) => kvm_gmem_fallocate(p, f as GmemFile, PUNCH, off, len),
        };
  const { value: file } = runOne(sim, function* (p) {
    const f = yield* probe.create(p, fileSize);
    if (bound) yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0x100000, npages: fileSize / 4096, file: f, offset: 0 });
    return f;
  });
  return { sim, host, vm, probe, file };
}

/** The file a probe of `len` uses: 128 MiB, or the range itself when larger. */
const fileFor = (len: number) => Math.max(128 * MiB, len);

/** One fallocate of `len` on a fresh file. */
export async function fallocateNs(backend: Backend, len: number, o: ScenarioOptions = {}): Promise<number> {
  const { sim, probe, file } = await setup(backend, false, o.profile, fileFor(len), o.thpAlways);
  return runOne(sim, (p) => probe.fallocate(p, file, 0, len)).ns;
}

/**
 * One punch of `len`, populated first (untimed) unless `hole`, by the same thread, as the
 * section-7 probe did: the populate raised that CPU's pcp->high (nr_pcp_alloc, sim/model/pcp.ts).
 */
export async function punchNs(
  backend: Backend, len: number,
  opts: ScenarioOptions & { hole?: boolean; bound?: boolean; /** populate this much first (default len) */ populate?: number } = {},
): Promise<number> {
  const { sim, probe, file } = await setup(backend, !!opts.bound, opts.profile, fileFor(Math.max(len, opts.populate ?? 0)), opts.thpAlways);
  let punchNs = 0;
  runOne(sim, function* (p) {
    if (!opts.hole) yield* probe.fallocate(p, file, 0, opts.populate ?? len);
    const t = sim.now;
    yield* probe.punch(p, file, 0, len);
    punchNs = sim.now - t;
  });
  return punchNs;
}

export interface TwoPunchers {
  /** Median latency of one punch with two threads punching (section 7 reports medians). */
  perPunchNs: number;
  /** Mean of the same. */
  meanNs: number;
  /** Punches per second, both threads together. */
  opsPerSec: number;
  /** Same loop with one thread. */
  singleNs: number;
  singleOpsPerSec: number;
  /** Every punch of the two-thread run, as the kernel probe records them (bench/kernel-probe/). */
  punches: Punch[];
}

/**
 * Two threads each punch `count` consecutive pre-populated `len` ranges of their own half of one
 * file, back to back, with `loopNs` between one punch's return and the next (the kernel probe
 * records 30 ns: its clock reads, no loop). Each thread keeps its own per-CPU page lists.
 */
export async function twoPunchers(backend: Backend, len: number, count: number, loopNs: number, profile?: CostProfile): Promise<TwoPunchers> {
  const run = async (threads: number) => {
    const half = count * len;
    const { sim, probe, file } = await setup(backend, false, profile, Math.max(128 * MiB, 2 * half));
    runOne(sim, (p) => probe.fallocate(p, file, 0, threads * half));
    const lat: number[] = [];
    const punches: Punch[] = [];
    const t0 = sim.now;
    let tEnd = t0;
    for (let t = 0; t < threads; t++) {
      sim.spawn(`puncher${t}`, function* (p) {
        for (let i = 0; i < count; i++) {
          const s = sim.now;
          yield* probe.punch(p, file, t * half + i * len, len);
          lat.push(sim.now - s);
          punches.push({ thread: t, startNs: s - t0, endNs: sim.now - t0 });
          yield p.compute(loopNs);
        }
        tEnd = Math.max(tEnd, sim.now);
      });
    }
    sim.run();
    const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
    const sorted = [...lat].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return { mean, median, opsPerSec: (threads * count * 1e9) / (tEnd - t0), punches };
  };
  const one = await run(1);
  const two = await run(2);
  return { perPunchNs: two.median, meanNs: two.mean, opsPerSec: two.opsPerSec, singleNs: one.median, singleOpsPerSec: one.opsPerSec, punches: two.punches };
}

/**
 * The guest side of section 7 (shmem = v10's restricted file, or guest_memfd): one vCPU faults in every page of a `len` memslot
 * in order (first touch), then - as `then` says - the VMM punches the range while the vCPU is
 * idle or in guest mode (ns of that punch), or the vCPU faults every page again after a punch.
 * Returns ns per first-touch fault and what `then` measured.
 */
export async function guestNs(backend: Backend, len: number, then: 'none' | 'punch-idle' | 'punch-running' | 'refault' = 'none', profile?: CostProfile) {
  const { sim, vm, probe, file } = await setup(backend, false, profile, fileFor(len));
  const vcpu = vm.vcpus[0]!;
  const pages = len / 4096;
  const r = { firstTouchNs: 0, thenNs: 0 };
  runOne(sim, function* (p) {
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: fileFor(len) / 4096, file, offset: 0 });
    const touchAll = function* () {
      const t = sim.now;
      for (let gfn = 0; gfn < pages; gfn++) {
        const o = yield* kvm_mmu_page_fault(p, vcpu, gfn, { private: true });
        if (o.result !== 'mapped') throw new Error(`fault on gfn ${gfn}: ${o.result}`);
      }
      return (sim.now - t) / pages;
    };
    r.firstTouchNs = yield* touchAll();
    if (then === 'none') return;
    vcpu.inGuest = then === 'punch-running';
    const t = sim.now;
    yield* probe.punch(p, file, 0, len);
    r.thenNs = sim.now - t;
    vcpu.inGuest = false;
    if (then === 'refault') r.thenNs = yield* touchAll();
  });
  return r;
}
