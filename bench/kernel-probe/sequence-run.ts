// Runs a KernelSequence (sim/calibrate/types.ts) on this host's kernel through seq-exec.c and
// reduces its repetitions to one SequenceMeasurement (sim/calibrate/repetitions.ts: per op the
// median over repetitions, the median wall time, every repetition kept). seq-exec runs every
// repetition in one process (plus one warm-up repetition, not kept) so process start-up stays
// out of the timings. Validation (`rmsim validate`) calls runSequenceOnKernel.
import { accessSync, constants } from 'node:fs';
import { median } from 'simple-statistics';
import type { KernelOp, KernelSequence, ProbeRow, SequenceMeasurement } from '../../sim/calibrate/types.js';
import { reduceRepetitions } from '../../sim/calibrate/repetitions.js';
import { buildProbe, streamProbe, ProbeError, type BuiltProbe } from './build-probe.js';

export { ProbeError };

/** One repetition as seq-exec prints it. */
export interface SequenceRep {
  rep: number;
  wall_ns: number;
  op_ns: number[];
  op_errors: (string | null)[];
}

export interface SequenceRunOptions {
  /** Repetitions kept (each from fresh files); the reduction is over these. */
  reps: number;
  /** Repetitions run first and dropped (default 1). */
  warmup?: number;
}

function opLine(prefix: string, o: KernelOp): string {
  return `${prefix} ${o.op} ${o.file} ${o.offset} ${o.len}`;
}

/** The sequence in seq-exec's line format. Throws a ProbeError for what seq-exec would refuse. */
export function sequenceToExecInput(seq: KernelSequence, opts: SequenceRunOptions): string {
  if (!Number.isInteger(opts.reps) || opts.reps < 1) throw new ProbeError(`reps must be a positive integer (got ${opts.reps})`);
  if (seq.files.length === 0) throw new ProbeError(`sequence '${seq.name}' declares no files`);
  const check = (o: KernelOp, where: string): void => {
    const f = seq.files[o.file];
    if (!f) throw new ProbeError(`sequence '${seq.name}': ${where} uses file ${o.file}, which is not declared`);
    if (o.op === 'guest_touch' && (f.backend !== 'guest_memfd' || !f.bound)) throw new ProbeError(`sequence '${seq.name}': ${where} is a guest_touch of file ${o.file}, which is not a bound guest_memfd`);
    if ((o.thread ?? 0) < 0 || (o.thread ?? 0) > 15) throw new ProbeError(`sequence '${seq.name}': ${where} runs on thread ${o.thread} (0-15 allowed)`);
  };
  const lines = [`# ${seq.name}`, `reps ${opts.reps}`, `warmup ${opts.warmup ?? 1}`];
  for (const f of seq.files) lines.push(`file ${f.backend === 'guest_memfd' ? 'gmem' : 'shmem'} ${f.size_bytes} ${f.bound ? 1 : 0}`);
  seq.setup.forEach((o, i) => {
    check(o, `setup op ${i}`);
    lines.push(opLine('setup', o));
  });
  seq.ops.forEach((o, i) => {
    check(o, `op ${i}`);
    lines.push(opLine(`op ${o.thread ?? 0}`, o));
  });
  return lines.join('\n') + '\n';
}

/** Per op the median over repetitions; an op that failed in any repetition is -1 with its first errno name. */
export function reduceSequenceReps(name: string, reps: SequenceRep[]): SequenceMeasurement {
  if (reps.length === 0) throw new ProbeError(`sequence '${name}': seq-exec printed no repetitions`);
  return reduceRepetitions(name, reps);
}

let executor: BuiltProbe | undefined;

/** seq-exec, built once per process (removed when the process exits). */
function sequenceExecutor(): BuiltProbe {
  if (!executor) {
    executor = buildProbe('seq-exec.c');
    const built = executor;
    process.once('exit', () => built.dispose());
  }
  return executor;
}

/** Every kept repetition of the sequence, as seq-exec printed them. */
export async function runSequenceReps(seq: KernelSequence, opts: SequenceRunOptions): Promise<SequenceRep[]> {
  const input = sequenceToExecInput(seq, opts);
  const reps: SequenceRep[] = [];
  await streamProbe(sequenceExecutor().bin, [], { input, onLine: (l) => l.trim() && reps.push(JSON.parse(l) as SequenceRep) });
  return reps;
}

export async function runSequenceOnKernel(seq: KernelSequence, opts: SequenceRunOptions): Promise<SequenceMeasurement> {
  return reduceSequenceReps(seq.name, await runSequenceReps(seq, opts));
}

/** What of a sequence this host can run: guest_memfd files need /dev/kvm with guest_memfd. */
export interface KernelSupport {
  guest_memfd: boolean;
  /** Why guest_memfd sequences cannot run here (null when they can). */
  why: string | null;
}

let support: Promise<KernelSupport> | undefined;

/** Whether guest_memfd (and so the guest) works here: opens /dev/kvm, then runs a one-file sequence. */
export function kernelSupport(): Promise<KernelSupport> {
  support ??= (async () => {
    try {
      accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    } catch {
      return { guest_memfd: false, why: 'no usable /dev/kvm on this host' };
    }
    const probe: KernelSequence = { name: 'guest_memfd check', description: '', files: [{ backend: 'guest_memfd', size_bytes: 2 << 20, bound: true }], setup: [], ops: [{ op: 'guest_touch', file: 0, offset: 0, len: 4096 }] };
    try {
      await runSequenceReps(probe, { reps: 1, warmup: 0 });
      return { guest_memfd: true, why: null };
    } catch (e) {
      return { guest_memfd: false, why: `guest_memfd or the KVM guest does not work here: ${(e as Error).message}` };
    }
  })();
  return support;
}

/** Whether a sequence needs guest_memfd (any guest_memfd file). */
export function sequenceNeedsGuestMemfd(seq: KernelSequence): boolean {
  return seq.files.some((f) => f.backend === 'guest_memfd');
}

/** The punches of the guest-fault probe pair: 16 KiB (the validation suite punches 4 KiB and 2 MiB while a guest faults). */
export const GUEST_FAULT_PUNCH_BYTES = 16 << 10;
const GUEST_FAULT_PUNCHES = 256;
/** Longer than the punches take (256 x ~100 us) at the fastest first touch seen here (10 us a page). */
const GUEST_FAULT_TOUCH_BYTES = 16 << 20;
/** Between punches: several guest faults' time (each 10-50 us here), so every punch follows one. */
const GUEST_FAULT_PAUSE_NS = 100_000;

/**
 * The probe pair behind gmem.punch_after_guest_fault_ns (sim/model/guest-memfd.ts
 * chargeAfterGuestFault): a bound guest_memfd file, 256 consecutive 16 KiB punches of a
 * populated 4 MiB range by one thread, 100 us apart, while the vCPU first-touches 16 MiB of
 * another range of the file (faulting: every fault adds a folio, several between two punches),
 * or touches 4 KiB (idle: one fault, then the vCPU is out of the guest). The same file, VM and preparation either way, so the difference is what
 * the faults cost the punches.
 */
export function guestFaultPunchSequence(vcpu: 'faulting' | 'idle'): KernelSequence {
  const base = GUEST_FAULT_TOUCH_BYTES;
  const ops: KernelOp[] = [{ op: 'guest_touch', file: 0, offset: 0, len: vcpu === 'faulting' ? GUEST_FAULT_TOUCH_BYTES : 4096, thread: 1 }];
  for (let i = 0; i < GUEST_FAULT_PUNCHES; i++) {
    ops.push({ op: 'punch', file: 0, offset: base + i * GUEST_FAULT_PUNCH_BYTES, len: GUEST_FAULT_PUNCH_BYTES, thread: 0 });
    ops.push({ op: 'pause', file: 0, offset: 0, len: GUEST_FAULT_PAUSE_NS, thread: 0 });
  }
  return {
    name: `probe-gmem-punch-16k-vcpu-${vcpu}`,
    description: `probe: 16 KiB punches of a populated range while the vCPU ${vcpu === 'faulting' ? 'first-touches 16 MiB of the file' : 'is idle'}`,
    files: [{ backend: 'guest_memfd', size_bytes: base + GUEST_FAULT_PUNCHES * GUEST_FAULT_PUNCH_BYTES, bound: true }],
    setup: [{ op: 'allocate', file: 0, offset: base, len: GUEST_FAULT_PUNCHES * GUEST_FAULT_PUNCH_BYTES, thread: 0 }],
    ops,
  };
}

/**
 * One pass's row of the pair from seq-exec's repetitions: every punch's latency, and for the
 * faulting side the vCPU's time per fault (the median over repetitions of its KVM_RUN / pages),
 * from which fitting knows what share of the punches followed a fault.
 */
export function guestFaultPunchRow(seq: KernelSequence, vcpu: 'faulting' | 'idle', reps: SequenceRep[], pass: number): ProbeRow {
  const punches = seq.ops.flatMap((o, i) => (o.op === 'punch' ? [i] : []));
  const touch = seq.ops.findIndex((o) => o.op === 'guest_touch');
  const samples = reps.flatMap((r) => punches.map((i) => r.op_ns[i]).filter((x) => x >= 0));
  if (!samples.length) throw new ProbeError(`${seq.name}: every punch failed`);
  const params: ProbeRow['params'] = { size_bytes: GUEST_FAULT_PUNCH_BYTES, state: 'populated', bound: true, mmap: true, vcpu, pass };
  params.pause_ns = GUEST_FAULT_PAUSE_NS;
  if (vcpu === 'faulting') params.fault_period_ns = Math.round(median(reps.map((r) => r.op_ns[touch] / (seq.ops[touch].len / 4096))));
  return { probe: 'gmem.punch_while_faulting', backend: 'guest_memfd', params, samples_ns: samples };
}

/** The pair, `passes` times, the two sides alternating (3 repetitions each after a warm-up). */
export async function runGuestFaultPunchRows(passes: number, onStep: (what: string) => void): Promise<ProbeRow[]> {
  const rows: ProbeRow[] = [];
  for (let pass = 1; pass <= passes; pass++) {
    for (const vcpu of ['faulting', 'idle'] as const) {
      onStep(`gmem.punch_while_faulting ${vcpu} pass ${pass}`);
      const seq = guestFaultPunchSequence(vcpu);
      rows.push(guestFaultPunchRow(seq, vcpu, await runSequenceReps(seq, { reps: 3, warmup: 1 }), pass));
    }
  }
  return rows;
}
