// Distributions of integer nanoseconds (or integer ranks for Zipf), drawn from an RngStream.
// Every draw uses only the stream, IEEE-exact arithmetic and detmath's log/exp, and is rounded
// once with floor(x + 0.5), so wasm/shared/rng.ts reproduces each value bit for bit.
import { detExp, detLog } from './detmath.js';
import type { RngStream } from './rng.js';

export type DistributionSpec =
  | { kind: 'constant'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'exponential'; mean: number }
  | { kind: 'lognormal'; median: number; sigma: number }
  | { kind: 'zipf'; n: number; s: number }
  | { kind: 'empirical'; samples: number[] };

export interface Distribution {
  readonly spec: DistributionSpec;
  /** One draw: an integer (ns, or a 0-based rank for zipf). */
  sample(s: RngStream): number;
  /** The distribution's mean (exact for constant/uniform/exponential/lognormal/empirical; by table for zipf). */
  mean(): number;
}

/** Round a non-negative real to the nearest integer, halves up (the one rounding rule, shared with WASM). */
export function roundNs(x: number): number {
  return Math.floor(x + 0.5);
}

/** Exponential with the given mean, unrounded: -mean * log(U), U in (0,1]. */
export function drawExponential(s: RngStream, mean: number): number {
  return -mean * detLog(s.uniform01());
}

/** Standard normal by Marsaglia's polar method (uses only sqrt, which IEEE rounds exactly, and detLog). */
export function drawNormal(s: RngStream): number {
  for (;;) {
    const u = 2 * s.uniform01Open() - 1;
    const v = 2 * s.uniform01Open() - 1;
    const q = u * u + v * v;
    if (q > 0 && q < 1) return u * Math.sqrt((-2 * detLog(q)) / q);
  }
}

function finiteNonNeg(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${String(v)}`);
  return v;
}

class Constant implements Distribution {
  private readonly v: number;
  constructor(readonly spec: { kind: 'constant'; value: number }) {
    this.v = roundNs(finiteNonNeg('constant.value', spec.value));
  }
  sample(): number { return this.v; }
  mean(): number { return this.v; }
}

class Uniform implements Distribution {
  private readonly lo: number;
  private readonly span: number;
  constructor(readonly spec: { kind: 'uniform'; min: number; max: number }) {
    this.lo = roundNs(finiteNonNeg('uniform.min', spec.min));
    const hi = roundNs(finiteNonNeg('uniform.max', spec.max));
    if (hi < this.lo) throw new RangeError(`uniform.max (${spec.max}) < uniform.min (${spec.min})`);
    this.span = hi - this.lo + 1;
  }
  /** Integer uniform on [min, max], both ends included. */
  sample(s: RngStream): number { return this.lo + s.below(this.span); }
  mean(): number { return this.lo + (this.span - 1) / 2; }
}

class Exponential implements Distribution {
  private readonly m: number;
  constructor(readonly spec: { kind: 'exponential'; mean: number }) {
    this.m = finiteNonNeg('exponential.mean', spec.mean);
  }
  sample(s: RngStream): number { return roundNs(-this.m * detLog(s.uniform01())); }
  mean(): number { return this.m; }
}

class LogNormal implements Distribution {
  private readonly med: number;
  private readonly sig: number;
  constructor(readonly spec: { kind: 'lognormal'; median: number; sigma: number }) {
    this.med = finiteNonNeg('lognormal.median', spec.median);
    this.sig = finiteNonNeg('lognormal.sigma', spec.sigma);
  }
  /** median * exp(sigma * Z). */
  sample(s: RngStream): number { return roundNs(this.med * detExp(this.sig * drawNormal(s))); }
  mean(): number { return this.med * detExp((this.sig * this.sig) / 2); }
}

/** Zipf over ranks 0..n-1 with P(k) proportional to (k+1)^-s, by inversion of a cumulative table. */
class Zipf implements Distribution {
  private readonly cdf: Float64Array;
  private readonly total: number;
  constructor(readonly spec: { kind: 'zipf'; n: number; s: number }) {
    const n = spec.n;
    if (!Number.isInteger(n) || n < 1 || n > 1 << 24) throw new RangeError(`zipf.n must be an integer in 1..16777216, got ${n}`);
    finiteNonNeg('zipf.s', spec.s);
    this.cdf = new Float64Array(n);
    let acc = 0;
    for (let k = 0; k < n; k++) {
      acc += detExp(-spec.s * detLog(k + 1));
      this.cdf[k] = acc;
    }
    this.total = acc;
  }
  sample(s: RngStream): number {
    const target = s.uniform01() * this.total;
    const cdf = this.cdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  mean(): number {
    let m = 0;
    let prev = 0;
    for (let k = 0; k < this.cdf.length; k++) {
      m += k * (this.cdf[k] - prev);
      prev = this.cdf[k];
    }
    return m / this.total;
  }
}

/** Resampling from observed samples (each drawn with equal probability). */
class Empirical implements Distribution {
  private readonly xs: Float64Array;
  constructor(readonly spec: { kind: 'empirical'; samples: number[] }) {
    if (!Array.isArray(spec.samples) || spec.samples.length === 0) throw new RangeError('empirical.samples must be a non-empty array');
    this.xs = Float64Array.from(spec.samples, (v, i) => roundNs(finiteNonNeg(`empirical.samples[${i}]`, v)));
  }
  sample(s: RngStream): number { return this.xs[s.below(this.xs.length)]; }
  mean(): number {
    let m = 0;
    for (let i = 0; i < this.xs.length; i++) m += this.xs[i];
    return m / this.xs.length;
  }
}

/** Build a distribution from its spec; throws RangeError on a bad parameter. */
export function makeDistribution(spec: DistributionSpec): Distribution {
  switch (spec?.kind) {
    case 'constant': return new Constant(spec);
    case 'uniform': return new Uniform(spec);
    case 'exponential': return new Exponential(spec);
    case 'lognormal': return new LogNormal(spec);
    case 'zipf': return new Zipf(spec);
    case 'empirical': return new Empirical(spec);
    default: throw new RangeError(`unknown distribution kind: ${String((spec as { kind?: unknown })?.kind)}`);
  }
}
