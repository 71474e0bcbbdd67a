// Least-squares fits of probe medians: a line (fixed + per-unit cost) and a constant. The line
// is fitted on relative residuals (weights 1/y^2), because the rows span 4 KiB to 1 GiB: on
// absolute residuals the largest row would decide the fixed term alone, and validation judges
// relative errors. Each fit reports R^2 and the standard errors of its terms.
import { mean, median, sampleStandardDeviation } from 'simple-statistics';

export interface LineFit {
  /** The fixed term (value at x = 0). */
  intercept: number;
  slope: number;
  interceptSe: number;
  slopeSe: number;
  /** Weighted R^2 (1 when the line passes through every point, e.g. two points). */
  r2: number;
  n: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Fit y = intercept + slope * x minimising sum(((y - fit) / y)^2). Needs two distinct x. */
export function fitLineRelative(points: readonly Point[]): LineFit {
  const xs = new Set(points.map((p) => p.x));
  if (xs.size < 2) throw new RangeError(`a line needs points at two different x, found ${points.length} at ${[...xs].join(', ')}`);
  const w = points.map((p) => 1 / (p.y * p.y || 1));
  let sw = 0, swx = 0, swy = 0, swxx = 0, swxy = 0;
  points.forEach((p, i) => {
    sw += w[i];
    swx += w[i] * p.x;
    swy += w[i] * p.y;
    swxx += w[i] * p.x * p.x;
    swxy += w[i] * p.x * p.y;
  });
  const det = sw * swxx - swx * swx;
  const slope = (sw * swxy - swx * swy) / det;
  const intercept = (swy - slope * swx) / sw;
  const n = points.length;
  let ssRes = 0;
  let ssTot = 0;
  const yBar = swy / sw;
  points.forEach((p, i) => {
    ssRes += w[i] * (p.y - intercept - slope * p.x) ** 2;
    ssTot += w[i] * (p.y - yBar) ** 2;
  });
  const s2 = n > 2 ? ssRes / (n - 2) : 0;
  return {
    intercept,
    slope,
    interceptSe: Math.sqrt((s2 * swxx) / det),
    slopeSe: Math.sqrt((s2 * sw) / det),
    r2: ssTot > 0 ? 1 - ssRes / ssTot : 1,
    n,
  };
}

export interface ConstantFit {
  value: number;
  se: number;
  n: number;
}

/** The mean of values that should be equal, with its standard error (0 for one value). */
export function fitConstant(values: readonly number[]): ConstantFit {
  if (values.length === 0) throw new RangeError('a constant needs at least one value');
  const n = values.length;
  return { value: mean([...values]), se: n > 1 ? sampleStandardDeviation([...values]) / Math.sqrt(n) : 0, n };
}

export interface RepetitionsFit {
  /** The median of the repetitions' values. */
  value: number;
  /** Its standard error from their spread (1.2533 sd / sqrt n, normal approximation; 0 for one). */
  se: number;
  n: number;
}

/**
 * One value from fits of repetitions taken apart in time (rounds): their median, so that a
 * round taken in one of the host's slow or fast spells does not move it as it moves a mean.
 */
export function fitRepetitions(values: readonly number[]): RepetitionsFit {
  if (values.length === 0) throw new RangeError('no repetitions to take the median of');
  return { value: median([...values]), se: medianSe(values), n: values.length };
}

/** The standard error of a sample's median, from its spread (1.2533 sd / sqrt n, normal approximation). */
export function medianSe(xs: readonly number[]): number {
  return xs.length < 2 ? 0 : (1.2533 * sampleStandardDeviation([...xs])) / Math.sqrt(xs.length);
}

/** The median of one row's samples (what the probe reports per row). */
export function rowMedian(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('a probe row without samples');
  return median([...samples]);
}
