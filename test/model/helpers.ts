// Small scenario builders shared by the model tests: a simulation with the profile's lock
// costs, a host on the fast paths, and helpers to run one process to completion.
import { Simulation, type Process } from '../../sim/engine/index.js';
import { createFastPaths } from '../../sim/fastpath/index.js';
import { defaultProfile, type CostProfile } from '../../sim/costs/index.js';
import { createHost, kvm_set_memory_region, privateFileCreate, type Host } from '../../sim/model/index.js';
import type { Gen } from '../../sim/model/backing.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export interface TestHostOptions {
  variant?: string;
  memoryBytes?: number;
  cpus?: number;
  profile?: CostProfile;
  seed?: number;
  initialFragmentation?: number;
  impl?: 'wasm' | 'ts' | 'ref';
  maxFaultRetries?: number;
}

/** The fast-path implementation the tests use: WASM when built, else the Map reference. */
export async function fastPathsFor(hostPages: number, impl?: 'wasm' | 'ts' | 'ref') {
  if (impl) return createFastPaths({ hostPages, impl });
  try {
    return await createFastPaths({ hostPages, impl: 'wasm' });
  } catch {
    return createFastPaths({ hostPages, impl: 'ref' });
  }
}

export async function makeHost(o: TestHostOptions = {}): Promise<{ sim: Simulation; host: Host }> {
  const profile = o.profile ?? defaultProfile();
  const memoryBytes = o.memoryBytes ?? 1 * GiB;
  const sim = new Simulation({ seed: o.seed ?? 1, cpus: o.cpus ?? 2, lockCosts: profile.lockCosts });
  const fastpaths = await fastPathsFor(memoryBytes / 4096, o.impl);
  const host = createHost(sim, { memoryBytes, fastpaths, profile, variant: o.variant ?? 'v10', initialFragmentation: o.initialFragmentation, maxFaultRetries: o.maxFaultRetries });
  return { sim, host };
}

/** Run `body` as one process to quiescence; returns its result and the simulated time it took. */
export function runOne<T>(sim: Simulation, body: (p: Process) => Gen<T>): { value: T; ns: number } {
  const t0 = sim.now;
  let value: T | undefined;
  let t1 = t0;
  sim.spawn('test', function* (p) {
    value = yield* body(p);
    t1 = sim.now;
  });
  sim.run();
  return { value: value as T, ns: t1 - t0 };
}

/** Expect a generator to throw a KernelError with this errno (returns the error). */
export function* expectErrno(gen: Gen<unknown>, errno: string): Gen<string> {
  try {
    yield* gen;
  } catch (e) {
    const got = (e as { errno?: string }).errno;
    if (got === errno) return got;
    throw new Error(`expected -${errno}, got ${got ? '-' + got : String(e)}`);
  }
  throw new Error(`expected -${errno}, got success`);
}

export function within(actual: number, expected: number, tol = 0.1): boolean {
  return Math.abs(actual - expected) <= tol * expected;
}

/** A guest_memfd VM with a 4 MiB private file bound at gfn 0 (slot 0) whose first 16 gfns are shared. */
export async function vmWithSharedGfns() {
  const { sim, host } = await makeHost({ variant: 'guest_memfd' });
  const vm = host.createVm({ name: 'vm0' });
  vm.memAttr.set(0, 16, false);
  runOne(sim, function* (p) {
    const f = yield* privateFileCreate(p, host, vm, 4 * MiB);
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 1024, file: f, offset: 0 });
  });
  return { sim, host, vm };
}
