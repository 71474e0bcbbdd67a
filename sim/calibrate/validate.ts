// Predicted against measured: each sequence runs on the real kernel (an executor the CLI hands
// in, bench/kernel-probe/) and in the simulator (simulate-sequence.ts) under one profile. A
// sequence's figure is the sum of its timed ops' durations (of the kinds in `score_ops` when it
// names some; ops that failed on either side are left out of both sums and counted); its error
// is (predicted - measured) / measured. The kernel side is per op the median over its
// repetitions, so the simulator's is the same over as many seeds (simulateSequenceReps). When the
// executor kept every repetition, the comparison also carries the spread of the repetitions'
// totals and the confidence interval of the figure itself (repetitions.ts figureInterval): the
// noise floor to read the error against.
import { median } from 'simple-statistics';
import type { CostProfile } from '../costs/index.js';
import { UsageError } from '../errors.js';
import { simulateSequenceReps } from './simulate-sequence.js';
import { needsKvm } from './sequences.js';
import { poolMeasurements, repetitionSpread } from './repetitions.js';
import type { KernelSequence, ProbeSkip, RepetitionSpread, SequenceMeasurement } from './types.js';

export type SequenceExecutor = (seq: KernelSequence, opts: { reps: number }) => Promise<SequenceMeasurement>;

export interface OpComparison {
  index: number;
  op: string;
  offset: number;
  len: number;
  thread: number;
  predicted_ns: number;
  measured_ns: number;
  /** null when either side failed the op. */
  error: number | null;
  measured_error: string | null;
  predicted_error: string | null;
}

export interface SequenceComparison {
  name: string;
  description: string;
  ops: number;
  /** Ops left out because one side failed them. */
  failed_ops: number;
  predicted_ns: number;
  measured_ns: number;
  error: number;
  /** The kernel repetitions' totals over the same ops: how far one run of the sequence moves. */
  measured_reps?: RepetitionSpread;
  per_op: OpComparison[];
}

export interface ValidationSummary {
  sequences: SequenceComparison[];
  median_abs_error: number | null;
  worst_abs_error: number | null;
  worst_sequence: string | null;
  /**
   * The median over sequences of their repetitions' range, (max - min) / the median of the
   * repetitions' totals; null when no sequence kept its repetitions. It widens with the
   * repetition count (one slow spell of the host in any repetition sets it).
   */
  median_rep_range?: number | null;
  /**
   * The noise floor: the median over sequences of the width of the measured figure's 95%
   * confidence interval (repetitions.ts figureInterval), relative to the figure; null without it.
   */
  median_rep_ci?: number | null;
  skipped: ProbeSkip[];
}

/**
 * A sequence's repetition range relative to the median of its repetitions' totals, (max - min) /
 * median. Relative to their own median, not to the measured figure: that is the sum of per-op
 * medians, which leaves out the ops a repetition lost its CPU in, so on a loaded host it lies
 * below every repetition's total.
 */
export function repRange(s: Pick<SequenceComparison, 'measured_reps'>): number | null {
  const r = s.measured_reps;
  return r && r.median_ns > 0 ? (r.max_ns - r.min_ns) / r.median_ns : null;
}

/** The width of the measured figure's confidence interval relative to the figure; null without one. */
export function repCi(s: Pick<SequenceComparison, 'measured_reps' | 'measured_ns'>): number | null {
  const r = s.measured_reps;
  return r && s.measured_ns > 0 && r.ci_low_ns !== undefined && r.ci_high_ns !== undefined ? (r.ci_high_ns - r.ci_low_ns) / s.measured_ns : null;
}

export function relativeError(predicted: number, measured: number): number {
  if (!(measured > 0)) throw new RangeError(`measured ${measured} ns: nothing to compare against`);
  return (predicted - measured) / measured;
}

/** Compare one sequence's measurement and prediction op by op and in total. */
export function compareSequence(seq: KernelSequence, measured: SequenceMeasurement, predicted: SequenceMeasurement): SequenceComparison {
  if (measured.op_ns.length !== seq.ops.length || predicted.op_ns.length !== seq.ops.length) {
    throw new Error(`${seq.name}: ${seq.ops.length} ops, measured ${measured.op_ns.length}, predicted ${predicted.op_ns.length}`);
  }
  let p = 0;
  let m = 0;
  let failed = 0;
  const counted = new Set<number>();
  const per_op = seq.ops.map((op, i): OpComparison => {
    const pn = predicted.op_ns[i];
    const mn = measured.op_ns[i];
    const ok = pn >= 0 && mn >= 0;
    const scored = !seq.score_ops || seq.score_ops.includes(op.op);
    if (ok && scored) {
      p += pn;
      m += mn;
      counted.add(i);
    } else if (!ok) failed++;
    return {
      index: i, op: op.op, offset: op.offset, len: op.len, thread: op.thread ?? 0, predicted_ns: pn, measured_ns: mn,
      error: ok && mn > 0 ? relativeError(pn, mn) : null,
      measured_error: measured.op_errors[i] ?? null, predicted_error: predicted.op_errors[i] ?? null,
    };
  });
  const spread = repetitionSpread(measured, (i) => counted.has(i));
  return { name: seq.name, description: seq.description, ops: seq.ops.length, failed_ops: failed, predicted_ns: p, measured_ns: m, error: relativeError(p, m), ...(spread ? { measured_reps: spread } : {}), per_op };
}

/** Median and worst absolute error over the sequences (null without any). */
export function summarise(sequences: SequenceComparison[], skipped: ProbeSkip[] = []): ValidationSummary {
  if (sequences.length === 0) return { sequences, median_abs_error: null, worst_abs_error: null, worst_sequence: null, median_rep_range: null, median_rep_ci: null, skipped };
  const abs = sequences.map((s) => Math.abs(s.error));
  const worst = abs.indexOf(Math.max(...abs));
  const ranges = sequences.map(repRange).filter((r): r is number => r !== null);
  const cis = sequences.map(repCi).filter((r): r is number => r !== null);
  return { sequences, median_abs_error: median(abs), worst_abs_error: abs[worst], worst_sequence: sequences[worst].name, median_rep_range: ranges.length ? median(ranges) : null, median_rep_ci: cis.length ? median(cis) : null, skipped };
}

export interface ValidateOptions {
  /** Kernel repetitions of each sequence, over all rounds. */
  reps: number;
  /**
   * Passes over the suite (default 1), each running every sequence reps / rounds times (the
   * executor's warm-up repetition each time), pooled per sequence: a slow spell of the host
   * then falls on a few repetitions of many sequences instead of every repetition of one.
   */
  rounds?: number;
  /** /dev/kvm with guest_memfd usable here; sequences that need it are skipped otherwise. */
  kvm: boolean;
  kvmWhy?: string;
  onProgress?: (done: number, total: number, name: string) => void;
}

/** How many kernel repetitions a measurement's per-op medians are over (1 when it does not say). */
export function measuredReps(m: SequenceMeasurement): number {
  return m.reps_op_ns?.length ?? m.spread?.reps ?? 1;
}

/** Run every sequence on the kernel (in rounds) and in the simulator; sequences that need KVM are skipped without it. */
export async function runValidation(seqs: KernelSequence[], profile: CostProfile, execute: SequenceExecutor, o: ValidateOptions): Promise<ValidationSummary> {
  const rounds = Math.max(1, Math.min(o.rounds ?? 1, o.reps));
  const skipped: ProbeSkip[] = [];
  const runnable = seqs.filter((seq) => {
    if (!needsKvm(seq) || o.kvm) return true;
    skipped.push({ what: seq.name, why: o.kvmWhy ?? 'no usable /dev/kvm with guest_memfd' });
    return false;
  });
  const taken = new Map<string, SequenceMeasurement[]>(runnable.map((s) => [s.name, []]));
  const steps = rounds * runnable.length;
  for (let r = 0; r < rounds; r++) {
    // Rounds share the repetitions out, the first ones taking the remainder.
    const reps = Math.floor(o.reps / rounds) + (r < o.reps % rounds ? 1 : 0);
    for (const [i, seq] of runnable.entries()) {
      o.onProgress?.(r * runnable.length + i, steps, rounds > 1 ? `${seq.name} (round ${r + 1}/${rounds})` : seq.name);
      taken.get(seq.name)!.push(await execute(seq, { reps }));
    }
  }
  const out: SequenceComparison[] = [];
  for (const seq of runnable) {
    const ms = taken.get(seq.name)!;
    const measured = ms.length === 1 ? ms[0] : poolMeasurements(seq.name, ms);
    const predicted = await simulateSequenceReps(seq, profile, measuredReps(measured));
    out.push(compareSequence(seq, measured, predicted));
  }
  o.onProgress?.(steps, steps, 'done');
  return summarise(out, skipped);
}

/** What recordedExecutor needs of an earlier validation.json. */
export interface RecordedValidation {
  host?: string;
  date?: string;
  reps?: number;
  sequences: (Pick<SequenceComparison, 'name' | 'measured_ns' | 'per_op'> & Partial<Pick<SequenceComparison, 'measured_reps'>>)[];
}

/**
 * An executor that hands back the kernel measurements of an earlier `validation.json` instead of
 * running the sequences again: a profile refitted later (or on a machine without /dev/kvm) is
 * validated against the very runs the first one was, so two profiles' errors differ only by the
 * profiles. A sequence the recording lacks, or whose op list changed since, is an error.
 */
export function recordedExecutor(rec: RecordedValidation, source: string): SequenceExecutor {
  const byName = new Map(rec.sequences.map((s) => [s.name, s]));
  return async (seq) => {
    const s = byName.get(seq.name);
    if (!s) throw new UsageError(`${source}: no measurement of sequence '${seq.name}' (it has ${[...byName.keys()].join(', ')})`);
    const same = s.per_op.length === seq.ops.length && s.per_op.every((o, i) => o.op === seq.ops[i].op && o.offset === seq.ops[i].offset && o.len === seq.ops[i].len);
    if (!same) throw new UsageError(`${source}: sequence '${seq.name}' was recorded with other ops than this version's suite: validate on the kernel again`);
    return { name: seq.name, op_ns: s.per_op.map((o) => o.measured_ns), op_errors: s.per_op.map((o) => o.measured_error), wall_ns: s.measured_ns, ...(s.measured_reps ? { spread: s.measured_reps } : {}) };
  };
}
