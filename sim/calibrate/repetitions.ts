// A sequence's repetitions on the kernel, reduced to one measurement: per op the median over
// repetitions (a robust centre: on a shared machine single repetitions catch preemptions and
// ticks), an op that failed in any repetition -1 with its first errno name, the median wall
// time, and every repetition's per-op figures kept (`reps_op_ns`), so validation can show how
// far the repetitions' totals spread (the noise floor next to the error) and repetitions taken
// in different rounds of `rmsim validate --calibrate` can be pooled.
import { median } from 'simple-statistics';
import { RngStream, streamState } from '../engine/index.js';
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

/** Each repetition's total over the ops `counted` says (index); undefined without kept repetitions. */
function repetitionTotals(m: SequenceMeasurement, counted: (i: number) => boolean): number[] | undefined {
  if (!m.reps_op_ns?.length) return undefined;
  return m.reps_op_ns.map((ops) => ops.reduce((s, x, i) => (counted(i) && x >= 0 ? s + x : s), 0));
}

/** Resamples of the repetitions behind figureInterval; fixed, like the resampling's seed, so a validation reads the same twice. */
const BOOTSTRAP_RESAMPLES = 400;

/**
 * The 95% confidence interval of a sequence's figure, the sum over the `counted` ops of each
 * op's median over repetitions, by the bootstrap: the repetitions drawn again with replacement
 * (the engine's xoshiro stream `validate/bootstrap` at seed 0, so the same every time), the
 * figure recomputed, its 2.5th and 97.5th percentiles.
 * It says how far the figure could move were the sequence measured again (in as many
 * repetitions, in the same spells of the host): the noise floor to read an error against.
 * Undefined below 2 repetitions.
 */
export function figureInterval(repsOpNs: number[][], counted: (i: number) => boolean): { low: number; high: number } | undefined {
  const n = repsOpNs.length;
  if (n < 2) return undefined;
  const ops = repsOpNs[0].map((_, i) => i).filter((i) => counted(i) && repsOpNs.every((r) => r[i] >= 0));
  const rng = new RngStream(streamState(0, 'validate/bootstrap', 0));
  const pick = new Int32Array(n);
  const col = new Float64Array(n);
  const figures = new Float64Array(BOOTSTRAP_RESAMPLES);
  for (let b = 0; b < BOOTSTRAP_RESAMPLES; b++) {
    for (let k = 0; k < n; k++) pick[k] = rng.below(n);
    let sum = 0;
    for (const i of ops) {
      for (let k = 0; k < n; k++) col[k] = repsOpNs[pick[k]][i];
      col.sort();
      sum += n % 2 ? col[(n - 1) / 2] : (col[n / 2 - 1] + col[n / 2]) / 2;
    }
    figures[b] = sum;
  }
  figures.sort();
  return { low: figures[Math.floor(0.025 * (BOOTSTRAP_RESAMPLES - 1))], high: figures[Math.ceil(0.975 * (BOOTSTRAP_RESAMPLES - 1))] };
}

/** Each repetition's total over the ops `counted` says (index), as a spread; the recorded spread, or undefined, without kept repetitions. */
export function repetitionSpread(m: SequenceMeasurement, counted: (i: number) => boolean): RepetitionSpread | undefined {
  const totals = repetitionTotals(m, counted);
  if (!totals || !m.reps_op_ns) return m.spread;
  const ci = figureInterval(m.reps_op_ns, counted);
  return { reps: totals.length, median_ns: median(totals), min_ns: Math.min(...totals), max_ns: Math.max(...totals), ...(ci ? { ci_low_ns: ci.low, ci_high_ns: ci.high } : {}) };
}
