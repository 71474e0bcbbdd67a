// xoshiro128** streams and draws for the WASM side: the same algorithm as
// sim/engine/rng.ts and sim/engine/distributions.ts. A stream's state is four u32 words in
// linear memory at `st` (the TS side seeds them with streamState and copies them in).
// Twin (deliberate): a burst inside WASM draws from the actor's own stream without a call back
// into TypeScript; test/engine/wasm-twin.test.ts compares a million draws of each kind bit for bit.
import { detExp, detLog } from './detmath';

const TWO_M53: f64 = 1.0 / 9007199254740992.0;

/** Next uint32 of the stream at st. */
export function rngNextU32(st: usize): u32 {
  let s0 = load<u32>(st, 0);
  let s1 = load<u32>(st, 4);
  let s2 = load<u32>(st, 8);
  let s3 = load<u32>(st, 12);
  const r = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  store<u32>(st, s0, 0);
  store<u32>(st, s1, 4);
  store<u32>(st, s2, 8);
  store<u32>(st, s3, 12);
  return r;
}

/** Integer in [0, 2^53) (high 27 bits, then 26 bits). */
export function rngNext53(st: usize): f64 {
  const a = rngNextU32(st) >>> 5;
  const b = rngNextU32(st) >>> 6;
  return <f64>a * 67108864.0 + <f64>b;
}

/** Uniform in (0, 1]. */
export function rngUniform01(st: usize): f64 {
  return (rngNext53(st) + 1.0) * TWO_M53;
}

/** Uniform in [0, 1). */
export function rngUniform01Open(st: usize): f64 {
  return rngNext53(st) * TWO_M53;
}

/** Integer uniform in [0, n). */
export function rngBelow(st: usize, n: f64): f64 {
  return Math.floor(rngNext53(st) * TWO_M53 * n);
}

/** floor(x + 0.5): the one rounding rule. */
@inline export function roundNs(x: f64): f64 {
  return Math.floor(x + 0.5);
}

/** Exponential draw with the given mean, rounded to integer ns. */
export function rngExponential(st: usize, mean: f64): f64 {
  return roundNs(-mean * detLog(rngUniform01(st)));
}

/** Standard normal (Marsaglia polar). */
export function rngNormal(st: usize): f64 {
  let u: f64 = 0;
  let q: f64 = 0;
  do {
    u = 2 * rngUniform01Open(st) - 1;
    const v = 2 * rngUniform01Open(st) - 1;
    q = u * u + v * v;
  } while (!(q > 0 && q < 1));
  return u * Math.sqrt((-2 * detLog(q)) / q);
}

/** Lognormal draw median * exp(sigma * Z), rounded to integer ns. */
export function rngLognormal(st: usize, median: f64, sigma: f64): f64 {
  return roundNs(median * detExp(sigma * rngNormal(st)));
}
