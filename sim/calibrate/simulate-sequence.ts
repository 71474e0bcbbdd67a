// The simulator's side of validation: a KernelSequence (types.ts) run on the model as the
// executor runs it on the kernel. shmem files are plain shmem inodes driven through
// shmem_fallocate (the kernel side calls fallocate on a memfd_create file: no restrictedmem
// wrapper), guest_memfd files go through kvm_gmem_fallocate, bound ones to a memslot of one VM.
// A guest_touch is one KVM_RUN (kvm.vcpu_run_exit_ns) in which the vCPU touches every page of
// the range, faulting those not mapped (kvm_mmu_page_fault). Threads start together, each on
// its own simulated process; every op's simulated duration is kept, index-aligned with `ops`.
import { Simulation, type Process } from '../engine/index.js';
import { createFastPaths } from '../fastpath/index.js';
import type { CostProfile } from '../costs/index.js';
import {
  createHost, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, kvm_gmem_create, kvm_gmem_fallocate, kvm_mmu_page_fault,
  kvm_set_memory_region, shmem_fallocate, shmem_file_setup, isKernelError, type GmemFile, type Host, type ShmemInode, type Vm, type Gen,
} from '../model/index.js';
import { charge } from '../model/charge.js';
import type { KernelOp, KernelSequence, SequenceFile, SequenceMeasurement } from './types.js';
import { reduceRepetitions } from './repetitions.js';

const PAGE = 4096;
const SLOT_BASE_GFN = 0x100000;

interface SimFile {
  spec: SequenceFile;
  shmem?: ShmemInode;
  gmem?: GmemFile;
  /** First gfn of the memslot the file is bound to (bound guest_memfd only). */
  baseGfn?: number;
}

function* openFile(p: Process, host: Host, vm: Vm, spec: SequenceFile, slot: number, baseGfn: number): Gen<SimFile> {
  if (spec.backend === 'shmem') return { spec, shmem: shmem_file_setup(host, 'memfd:validate', spec.size_bytes) };
  const gmem = yield* kvm_gmem_create(p, vm, spec.size_bytes, 0);
  if (!spec.bound) return { spec, gmem };
  yield* kvm_set_memory_region(p, vm, { slot, baseGfn, npages: spec.size_bytes / PAGE, file: gmem, offset: 0 });
  return { spec, gmem, baseGfn };
}

/** KVM_RUN: the vCPU touches one byte per page of the range; unmapped pages fault. */
function* guestTouch(p: Process, host: Host, vm: Vm, f: SimFile, offset: number, len: number): Gen {
  if (f.baseGfn === undefined) throw new Error('guest_touch on a file not bound to a memslot');
  const vcpu = vm.vcpus[0];
  vcpu.inGuest = true;
  for (let gfn = f.baseGfn + offset / PAGE, end = gfn + len / PAGE; gfn < end; gfn++) {
    if (vm.pt.walk(gfn) >= 0) continue;
    vcpu.inGuest = false;
    yield* kvm_mmu_page_fault(p, vcpu, gfn, { private: true });
    vcpu.inGuest = true;
    yield p.sleep(0); // an exit is a scheduling point, as in the vCPU actor
  }
  vcpu.inGuest = false;
  yield* charge(p, host.costs.ns('kvm.vcpu_run_exit_ns'));
}

function* runOp(p: Process, host: Host, vm: Vm, files: SimFile[], op: KernelOp): Gen {
  const f = files[op.file];
  if (!f) throw new Error(`op on file ${op.file}, which the sequence does not declare`);
  if (op.op === 'guest_touch') return yield* guestTouch(p, host, vm, f, op.offset, op.len);
  if (op.op === 'pause') return yield* charge(p, op.len); // user space, on the thread's CPU
  const mode = op.op === 'punch' ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : f.gmem ? FALLOC_FL_KEEP_SIZE : 0;
  if (f.gmem) yield* kvm_gmem_fallocate(p, f.gmem, mode, op.offset, op.len);
  else yield* shmem_fallocate(p, f.shmem!, mode, op.offset, op.len);
}

/** Host memory for a sequence: every file fully populated, twice over, at least 512 MiB. */
function memoryFor(seq: KernelSequence): number {
  const total = seq.files.reduce((s, f) => s + f.size_bytes, 0);
  return Math.max(512 << 20, Math.ceil((2 * total) / (2 << 20)) * (2 << 20));
}

/**
 * Where in the scheduler tick the timed part starts: a draw uniform over one tick (stream
 * `validate/tick-phase`), 0 when the lock costs have no tick. The executor's barrier releases
 * its threads at whatever point of the tick the setup happened to end, different in each
 * repetition; the model's setup takes the same simulated time under every seed, so without the
 * draw every seed would meet its first tick, the end of a lock waiter's spin
 * (lockCosts.tick_resched_ppm), at the same op, and the per-op medians over seeds would keep a
 * hand-off wait the kernel's, spread over different ops, leave out.
 */
function tickPhase(sim: Simulation): number {
  const tick = sim.lockCosts.tick_ns;
  return tick > 0 ? Math.floor(sim.rng('validate/tick-phase').uniform01() * tick) : 0;
}

/**
 * Simulate one sequence under a profile: per timed op, simulated ns (-1 and the errno when the
 * model refuses it). `seed` draws the host's random events (a tick ending a spin, a wake-up's
 * latency, a task woken inside a long truncation).
 */
export async function simulateSequence(seq: KernelSequence, profile: CostProfile, seed = 1): Promise<SequenceMeasurement> {
  const memoryBytes = memoryFor(seq);
  const sim = new Simulation({ seed, cpus: 2, lockCosts: profile.lockCosts });
  let fastpaths;
  try {
    fastpaths = await createFastPaths({ hostPages: memoryBytes / PAGE, impl: 'wasm' });
  } catch {
    fastpaths = await createFastPaths({ hostPages: memoryBytes / PAGE, impl: 'ref' });
  }
  const host = createHost(sim, { memoryBytes, fastpaths, profile, variant: 'guest_memfd' });
  const vm = host.createVm({ name: 'validate', vcpus: 1 });
  const files: SimFile[] = [];
  const opNs = seq.ops.map(() => -1);
  const opErrors: (string | null)[] = seq.ops.map(() => null);
  let wallStart = 0;
  let wallEnd = 0;
  sim.spawn('open', function* (p) {
    let gfn = SLOT_BASE_GFN;
    for (const [i, spec] of seq.files.entries()) {
      files.push(yield* openFile(p, host, vm, spec, i, gfn));
      gfn += spec.size_bytes / PAGE;
    }
  });
  sim.run();
  // Each thread runs its own setup first (a range populated and punched by one thread keeps that
  // CPU's per-CPU page lists primed, as in the kernel), then all start the timed ops together.
  const threadOf = (o: KernelOp) => o.thread ?? 0;
  const threads = [...new Set([...seq.setup, ...seq.ops].map(threadOf))].sort((a, b) => a - b);
  const ready = threads.map((t) => sim.event<unknown>(`setup${t}`));
  const barrier = sim.allOf(ready);
  const phase = tickPhase(sim);
  for (const [k, t] of threads.entries()) {
    sim.spawn(`thread${t}`, function* (p) {
      for (const op of seq.setup) if (threadOf(op) === t) yield* runOp(p, host, vm, files, op);
      ready[k].succeed(undefined);
      yield barrier;
      if (phase > 0) yield p.sleep(phase);
      wallStart = sim.now;
      for (const [i, op] of seq.ops.entries()) {
        if (threadOf(op) !== t) continue;
        const t0 = sim.now;
        try {
          yield* runOp(p, host, vm, files, op);
          opNs[i] = sim.now - t0;
        } catch (err) {
          if (!isKernelError(err)) throw err;
          opErrors[i] = (err as { errno: string }).errno;
        }
      }
      wallEnd = Math.max(wallEnd, sim.now);
    });
  }
  sim.run();
  return { name: seq.name, op_ns: opNs, op_errors: opErrors, wall_ns: wallEnd - wallStart };
}

/**
 * The sequence simulated `reps` times (seeds 1..reps) and reduced as the kernel's repetitions
 * are (repetitions.ts: per op the median): the kernel figure is a per-op median over
 * repetitions, which drops a run of lock stealing unless most repetitions had it at that op, so
 * the prediction is the same statistic over as many draws of the host's random events.
 */
export async function simulateSequenceReps(seq: KernelSequence, profile: CostProfile, reps: number): Promise<SequenceMeasurement> {
  if (!(Number.isInteger(reps) && reps >= 1)) throw new RangeError(`reps must be a positive integer, got ${reps}`);
  const runs: SequenceMeasurement[] = [];
  for (let seed = 1; seed <= reps; seed++) runs.push(await simulateSequence(seq, profile, seed));
  if (reps === 1) return runs[0];
  const m = reduceRepetitions(seq.name, runs);
  return { name: m.name, op_ns: m.op_ns, op_errors: m.op_errors, wall_ns: m.wall_ns };
}
