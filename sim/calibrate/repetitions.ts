// A sequence's repetitions on the kernel, reduced to one measurement: per op the median over
// repetitions (a robust centre: on a shared machine single repetitions catch preemptions and
// ticks), an op that failed in any repetition -1 with its first errno name, the median wall
// time, and every repetition's per-op figures kept (`reps_op_ns`), so validation can show how
// far the repetitions' totals spread (the noise floor next to the error) and repetitions taken
// in different rounds of `rmsim validate --calibrate` can be pooled.
import { median } from 'simple-statistics';
import type { RepetitionSpread, SequenceMeasurement } from './types.js';

/** One repetition of a sequence: per timed op ns (index-aligned with its ops) and errno names. */
export interface SequenceRepetition {
  op_ns: number[];
  op_errors: (string | null)[];
  wall_ns: number;
}

export function reduceRepetitions(name: string, reps: SequenceRepetition[]): SequenceMeasurement {
  if (reps.length === 0) throw new RangeError(`sequence '${name}': no repetitions`);
  const n = reps[0].op_ns.length;
  if (reps.some((r) => r.op_ns.length !== n)) throw new RangeError(`sequence '${name}': repetitions of different lengths`);
  const op_ns: number[] = [];
  const op_errors: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const err = reps.map((r) => r.op_errors[i]).find((e) => e) ?? null;
    op_errors.push(err);
    op_ns.push(err ? -1 : median(reps.map((r) => r.op_ns[i])));
  }
  return { name, op_ns, op_errors, wall_ns: median(reps.map((r) => r.wall_ns)), reps_op_ns: reps.map((r) => r.op_ns) };
}

/**
 * Measurements of one sequence taken apart (rounds), pooled: the reduction over all their
 * repetitions. A measurement that kept no repetitions counts as one repetition of its medians.
 */
export function poolMeasurements(name: string, ms: SequenceMeasurement[]): SequenceMeasurement {
  const reps = ms.flatMap((m) => (m.reps_op_ns ?? [m.op_ns]).map((op_ns) => ({ op_ns, op_errors: m.op_errors, wall_ns: m.wall_ns })));
  return reduceRepetitions(name, reps);
}

/** Each repetition's total over the ops `counted` says (index), as a spread; the recorded spread, or undefined, without kept repetitions. */
export function repetitionSpread(m: SequenceMeasurement, counted: (i: number) => boolean): RepetitionSpread | undefined {
  if (!m.reps_op_ns?.length) return m.spread;
  const totals = m.reps_op_ns.map((ops) => ops.reduce((s, x, i) => (counted(i) && x >= 0 ? s + x : s), 0));
  return { reps: totals.length, median_ns: median(totals), min_ns: Math.min(...totals), max_ns: Math.max(...totals) };
}
