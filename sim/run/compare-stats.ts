// The statistics of a comparison, in the manner of benchstat: each side's mean with its 95%
// interval (Student t), and the change from A to B with its interval and a two-sided p-value.
// Paired when both sides ran the same replications (common random numbers: replication i of
// A and of B drew the same streams), so the noise both share cancels; Welch's unpaired test
// otherwise. Defined edge cases: identical paired results (zero variance, zero change) are
// `~` with p = 1; a constant non-zero paired change is an exact shift, p = 0; one sample per
// side has no interval and no test (p null, never significant).
import { studentT } from './student-t.js';

export interface SideSummary {
  /** Mean over the samples. */
  mean: number;
  /** Half-width of the 95% interval of the mean (null with fewer than 2 samples). */
  ci: number | null;
  n: number;
}

export interface Change {
  /** Relative change of the mean, (B - A) / A; null when A's mean is 0 and B's is not. */
  delta: number | null;
  /** Half-width of the 95% interval of the relative change (null when untestable). */
  ci: number | null;
  /** Two-sided p-value (null with fewer than 2 samples per side). */
  p: number | null;
  significant: boolean;
  paired: boolean;
}

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

function variance(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1);
}

/** Student t quantile for a two-sided interval of the given confidence. */
function tCrit(dof: number, confidence: number): number {
  return studentT().inv(1 - (1 - confidence) / 2, dof);
}

function twoSidedP(t: number, dof: number): number {
  return 2 * (1 - studentT().cdf(Math.abs(t), dof));
}

export function summarize(xs: number[], confidence = 0.95): SideSummary {
  const n = xs.length;
  return { mean: mean(xs), ci: n < 2 ? null : tCrit(n - 1, confidence) * Math.sqrt(variance(xs) / n), n };
}

function relative(d: number, base: number): number | null {
  if (base === 0) return d === 0 ? 0 : null;
  return d / Math.abs(base);
}

/** Mean difference, its standard error and degrees of freedom, paired or Welch. */
function difference(a: number[], b: number[], paired: boolean): { d: number; se: number; dof: number } {
  if (paired) {
    const ds = a.map((x, i) => b[i] - x);
    return { d: mean(ds), se: Math.sqrt(variance(ds) / ds.length), dof: ds.length - 1 };
  }
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  const se = Math.sqrt(va + vb);
  // Welch-Satterthwaite degrees of freedom (both variances 0: se is 0 and dof does not matter).
  const dof = se === 0 ? a.length + b.length - 2 : (va + vb) ** 2 / (va * va / (a.length - 1) + vb * vb / (b.length - 1));
  return { d: mean(b) - mean(a), se, dof };
}

/**
 * The change from samples `a` to samples `b`. `paired`: a[i] and b[i] are replication i of
 * each side (requires equal lengths).
 */
export function compareSamples(a: number[], b: number[], paired: boolean, alpha = 0.05): Change {
  if (paired && a.length !== b.length) throw new Error('compareSamples: paired samples of different lengths');
  const ma = mean(a);
  if (a.length < 2 || b.length < 2) {
    return { delta: relative(mean(b) - ma, ma), ci: null, p: null, significant: false, paired };
  }
  const { d, se, dof } = difference(a, b, paired);
  if (se === 0) {
    // No spread in the differences: either nothing changed, or every pair moved by exactly d.
    return { delta: relative(d, ma), ci: d === 0 ? 0 : relative(0, ma), p: d === 0 ? 1 : 0, significant: d !== 0, paired };
  }
  const p = twoSidedP(d / se, dof);
  const half = tCrit(dof, 1 - alpha) * se;
  return { delta: relative(d, ma), ci: relative(half, ma), p, significant: p < alpha, paired };
}
