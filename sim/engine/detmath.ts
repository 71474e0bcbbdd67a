// Deterministic natural log and exp, built only from IEEE-exact operations (+ - * /, bit
// extraction of exponent and mantissa), so the TypeScript engine and the AssemblyScript fast
// paths (wasm/shared/detmath.ts, the same algorithm line for line, but for one exact rewrite
// marked in detLog) agree bit for bit.
// Both are ports of fdlibm's e_log.c / e_exp.c (error < 1 ulp). V8's Math.log/Math.exp and
// AssemblyScript's library may differ by an ulp, which would change a rounded nanosecond.
// Neither JS nor wasm contracts a*b+c into an FMA, so evaluation order fixes the result.
// Twin (deliberate) of wasm/shared/detmath.ts: the WASM bursts draw think times inside WASM and
// must round to the same ns as the engine; test/engine/wasm-twin.test.ts compares a million of each.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[0] = low word, u32[1] = high word

const LN2_HI = 6.93147180369123816490e-01;
const LN2_LO = 1.90821492927058770002e-10;
const TWO54 = 1.80143985094819840000e+16;
const LG1 = 6.666666666666735130e-01;
const LG2 = 3.999999999940941908e-01;
const LG3 = 2.857142874366239149e-01;
const LG4 = 2.222219843214978396e-01;
const LG5 = 1.818357216161805012e-01;
const LG6 = 1.531383769920937332e-01;
const LG7 = 1.479819860511658591e-01;

/** POW2[j] = 2^(j - 1024), exact (built by doubling and halving), for j in 0..2047. */
const POW2 = new Float64Array(2048);
{
  let v = 1;
  for (let j = 1024; j < 2048; j++, v *= 2) POW2[j] = v;
  v = 1;
  for (let j = 1024; j >= 0; j--, v /= 2) POW2[j] = v;
}

/** Result slot of logCore (see detLog). */
const logOut = new Float64Array(1);

/**
 * Natural logarithm (fdlibm __ieee754_log). log(0) = -Infinity, log(x<0) = NaN.
 * The argument and the result travel through typed-array slots, not as call arguments: a
 * fractional double passed to or returned from a call V8 does not inline is boxed (16 bytes of
 * garbage each way, two per draw), and whether a call is inlined depends on what else its
 * caller inlined. This wrapper is small enough to be inlined everywhere.
 */
export function detLog(x: number): number {
  f64[0] = x;
  logCore(0);
  return logOut[0];
}

/**
 * logOut[0] = log(f64[0] * 2^kBias) for the common case (positive, normal, finite: fdlibm's
 * main path, unchanged); other arguments go to logSpecial and the |f| < 2^-20 branch to
 * logNearOne. kBias is fdlibm's k -= 54 for rescaled subnormals. Too large for V8 to inline
 * (> 460 bytes of bytecode), so it is one plain call from every draw, with no double crossing
 * it, and it does not use up the inlining budget of the caller (a process's generator).
 */
function logCore(kBias: number): void {
  let x = f64[0];
  const hx0 = u32[1] | 0;
  if (hx0 < 0x00100000 || hx0 >= 0x7ff00000) {
    logSpecial(x, hx0);
    return;
  }
  const e = hx0 >> 20;
  const hx = hx0 & 0x000fffff;
  const i0 = (hx + 0x95f64) & 0x100000;
  // fdlibm sets x's exponent field to 0x3ff ^ (i0 >> 20) by a bit write; multiplying by the
  // power of two that moves the exponent there is the same value exactly (scaling by 2^n is
  // exact while the result is normal, and it is in [0.7, 1.5)), and it avoids reading back a
  // float64 through a half-written word (a store-forwarding stall: 40 -> 26 ns per call).
  x *= POW2[((i0 ^ 0x3ff00000) >> 20) - e + 1024];
  const k = kBias + (e - 1023) + (i0 >> 20);
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    logOut[0] = logNearOne(f, k);
    return;
  }
  const s = f / (2.0 + f);
  const dk = k;
  const z = s * s;
  const i = (hx - 0x6147a) | (0x6b851 - hx);
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    if (k === 0) logOut[0] = f - (hfsq - s * (hfsq + R));
    else logOut[0] = dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
    return;
  }
  if (k === 0) logOut[0] = f - s * (f - R);
  else logOut[0] = dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
}

/** fdlibm's zero, negative, subnormal (rescaled by 2^54), infinite and NaN arguments. */
function logSpecial(x: number, hx: number): void {
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | u32[0]) === 0) logOut[0] = -Infinity;
    else if (hx < 0) logOut[0] = NaN;
    else {
      f64[0] = x * TWO54;
      logCore(-54);
    }
    return;
  }
  logOut[0] = x + x;
}

/** fdlibm's |f| < 2^-20 branch: log(1+f) by a short series. */
function logNearOne(f: number, k: number): number {
  if (f === 0) {
    if (k === 0) return 0;
    const dk0 = k;
    return dk0 * LN2_HI + dk0 * LN2_LO;
  }
  const R0 = f * f * (0.5 - 0.33333333333333333 * f);
  if (k === 0) return f - R0;
  const dk1 = k;
  return dk1 * LN2_HI - ((R0 - dk1 * LN2_LO) - f);
}

const HUGE = 1.0e+300;
const TWOM1000 = 9.33263618503218878990e-302;
const O_THRESHOLD = 7.09782712893383973096e+02;
const U_THRESHOLD = -7.45133219101941108420e+02;
const INVLN2 = 1.44269504088896338700e+00;
const P1 = 1.66666666666666019037e-01;
const P2 = -2.77777777770155933842e-03;
const P3 = 6.61375632143793436117e-05;
const P4 = -1.65339022054652515390e-06;
const P5 = 4.13813679705723846039e-08;

/** e^x (fdlibm __ieee754_exp). */
export function detExp(x: number): number {
  f64[0] = x;
  let hx = u32[1] | 0;
  const xsb = (hx >>> 31) & 1;
  hx &= 0x7fffffff;
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx >= 0x40862e42) {
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | u32[0]) !== 0) return x + x;
      return xsb === 0 ? x : 0.0;
    }
    if (x > O_THRESHOLD) return HUGE * HUGE;
    if (x < U_THRESHOLD) return TWOM1000 * TWOM1000;
  }
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      hi = xsb === 0 ? x - LN2_HI : x + LN2_HI;
      lo = xsb === 0 ? LN2_LO : -LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = (INVLN2 * x + (xsb === 0 ? 0.5 : -0.5)) | 0;
      const t = k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    return 1.0 + x;
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  let y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    f64[0] = y;
    u32[1] = (u32[1] + (k << 20)) >>> 0;
    return f64[0];
  }
  f64[0] = y;
  u32[1] = (u32[1] + ((k + 1000) << 20)) >>> 0;
  y = f64[0];
  return y * TWOM1000;
}
