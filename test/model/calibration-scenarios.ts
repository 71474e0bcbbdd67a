// The section-7 probes rebuilt on the model: single fallocate and punch operations on a fresh
// file (shmem = the v10 restricted file's memfd, guest_memfd), populated and hole, unbound and
// bound to a memslot, and two threads punching disjoint ranges of one file. Each returns
// simulated nanoseconds per operation, to compare with the profile's calibration block.
import type { Process } from '../../sim/engine/index.js';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, kvm_gmem_create, kvm_gmem_fallocate, kvm_set_memory_region, memfd_restricted,
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

async function setup(backend: Backend, bound: boolean, profile?: CostProfile, fileSize = 128 * MiB) {
  const { sim, host } = await makeHost({ variant: backend === 'shmem' ? 'v10' : 'guest_memfd', memoryBytes: Math.max(512 * MiB, 2 * fileSize), profile });
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

/** One fallocate of `len` on a fresh file. */
export async function fallocateNs(backend: Backend, len: number): Promise<number> {
  const { sim, probe, file } = await setup(backend, false);
  return runOne(sim, (p) => probe.fallocate(p, file, 0, len)).ns;
}

/**
 * One punch of `len`, populated first (untimed) unless `hole`, by the same thread, as the
 * section-7 probe did: the populate raised that CPU's pcp->high (nr_pcp_alloc, sim/model/pcp.ts).
 */
export async function punchNs(backend: Backend, len: number, opts: { hole?: boolean; bound?: boolean } = {}): Promise<number> {
  const { sim, probe, file } = await setup(backend, !!opts.bound);
  let punchNs = 0;
  runOne(sim, function* (p) {
    if (!opts.hole) yield* probe.fallocate(p, file, 0, len);
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
