// Deterministic log and exp for the WASM side: the same fdlibm algorithms as
// sim/engine/detmath.ts, operation for operation, so both sides agree bit for bit.
// Twin (deliberate) of sim/engine/detmath.ts: a burst inside WASM cannot call back into TypeScript per
// draw; test/engine/wasm-twin.test.ts compares a million values of each bit for bit.

const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const TWO54: f64 = 1.80143985094819840000e+16;
const LG1: f64 = 6.666666666666735130e-01;
const LG2: f64 = 3.999999999940941908e-01;
const LG3: f64 = 2.857142874366239149e-01;
const LG4: f64 = 2.222219843214978396e-01;
const LG5: f64 = 1.818357216161805012e-01;
const LG6: f64 = 1.531383769920937332e-01;
const LG7: f64 = 1.479819860511658591e-01;

@inline function hiWord(x: f64): i32 {
  return <i32>(reinterpret<u64>(x) >> 32);
}
@inline function loWord(x: f64): u32 {
  return <u32>(reinterpret<u64>(x) & 0xffffffff);
}
@inline function withHi(x: f64, hi: u32): f64 {
  return reinterpret<f64>((<u64>hi << 32) | (reinterpret<u64>(x) & 0xffffffff));
}

/** Natural logarithm (fdlibm __ieee754_log). */
export function detLog(x: f64): f64 {
  let hx = hiWord(x);
  const lx = loWord(x);
  let k: i32 = 0;
  if (hx < 0x00100000) {
    if (((<u32>(hx & 0x7fffffff)) | lx) == 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54;
    hx = hiWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i0 = (hx + 0x95f64) & 0x100000;
  x = withHi(x, <u32>(hx | (i0 ^ 0x3ff00000)));
  k += i0 >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f == 0) {
      if (k == 0) return 0;
      const dk0 = <f64>k;
      return dk0 * LN2_HI + dk0 * LN2_LO;
    }
    const R0 = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - R0;
    const dk1 = <f64>k;
    return dk1 * LN2_HI - ((R0 - dk1 * LN2_LO) - f);
  }
  const s = f / (2.0 + f);
  const dk = <f64>k;
  const z = s * s;
  let i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
  }
  if (k == 0) return f - s * (f - R);
  return dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
}

const HUGE: f64 = 1.0e+300;
const TWOM1000: f64 = 9.33263618503218878990e-302;
const O_THRESHOLD: f64 = 7.09782712893383973096e+02;
const U_THRESHOLD: f64 = -7.45133219101941108420e+02;
const INVLN2: f64 = 1.44269504088896338700e+00;
const P1: f64 = 1.66666666666666019037e-01;
const P2: f64 = -2.77777777770155933842e-03;
const P3: f64 = 6.61375632143793436117e-05;
const P4: f64 = -1.65339022054652515390e-06;
const P5: f64 = 4.13813679705723846039e-08;

/** e^x (fdlibm __ieee754_exp). */
export function detExp(x: f64): f64 {
  let hx = hiWord(x);
  const xsb = (hx >>> 31) & 1;
  hx &= 0x7fffffff;
  let hi: f64 = 0;
  let lo: f64 = 0;
  let k: i32 = 0;
  if (hx >= 0x40862e42) {
    if (hx >= 0x7ff00000) {
      if (((<u32>(hx & 0xfffff)) | loWord(x)) != 0) return x + x;
      return xsb == 0 ? x : 0.0;
    }
    if (x > O_THRESHOLD) return HUGE * HUGE;
    if (x < U_THRESHOLD) return TWOM1000 * TWOM1000;
  }
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      hi = xsb == 0 ? x - LN2_HI : x + LN2_HI;
      lo = xsb == 0 ? LN2_LO : -LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = <i32>(INVLN2 * x + (xsb == 0 ? 0.5 : -0.5));
      const t = <f64>k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    return 1.0 + x;
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  let y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    return withHi(y, <u32>hiWord(y) + <u32>(k << 20));
  }
  y = withHi(y, <u32>hiWord(y) + <u32>((k + 1000) << 20));
  return y * TWOM1000;
}
