// Seeded random streams. One stream per actor path, seeded by hash(seed, path, replication),
// so adding an actor never perturbs another's draws. The generator is xoshiro128** (32-bit
// words, integer-only with Math.imul and >>> 0); wasm/shared/rng.ts is the same algorithm and
// a test compares a million draws. Seeding (the path hash) happens only on the TS side: WASM
// fast paths receive the four state words.
// Twin (deliberate) of wasm/shared/rng.ts, for the draws of WASM bursts; held together by
// test/engine/wasm-twin.test.ts.

/** splitmix32 finaliser (Stafford variant 13 constants adapted to 32 bits, as in murmur3 fmix32). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** murmur3_32 over the UTF-16 code units of s (each unit mixed as one 32-bit block). */
function hashString32(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= s.length;
  return fmix32(h);
}

/** Split a seed (uint32 number or bigint, low 64 bits used) into two uint32 words. */
export function seedWords(seed: number | bigint): [number, number] {
  if (typeof seed === 'bigint') {
    const m = BigInt.asUintN(64, seed);
    return [Number(m & 0xffffffffn), Number(m >> 32n)];
  }
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer or a bigint, got ${seed}`);
  return [seed % 4294967296, Math.floor(seed / 4294967296)];
}

/**
 * The four xoshiro128** state words for (seed, path, replication): two independent 32-bit
 * hashes of the path (different murmur seeds) combined with seed and replication by a
 * splitmix32 sequence. Never all zero.
 */
export function streamState(seed: number | bigint, path: string, replication: number): Uint32Array {
  const [lo, hi] = seedWords(seed);
  const base = fmix32(lo ^ fmix32(hi ^ fmix32(replication + 0x632be5ab)));
  const h1 = hashString32(path, base);
  const h2 = hashString32(path, base ^ 0x9e3779b9);
  const st = new Uint32Array(4);
  let x = (h1 ^ Math.imul(h2, 0x2545f491)) >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    st[i] = fmix32(x ^ (i === 1 ? h2 : i === 3 ? base : 0));
  }
  if ((st[0] | st[1] | st[2] | st[3]) === 0) st[0] = 1;
  return st;
}

const TWO_M53 = 1 / 9007199254740992;

/** One xoshiro128** stream (state in four int32 fields for speed). */
export class RngStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(state: ArrayLike<number>) {
    this.s0 = state[0] | 0;
    this.s1 = state[1] | 0;
    this.s2 = state[2] | 0;
    this.s3 = state[3] | 0;
  }

  /** Current state words (to hand a stream to a WASM fast path, or to save it). */
  state(): Uint32Array {
    return Uint32Array.of(this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0);
  }

  /** Next uint32 (xoshiro128**: rotl(s1 * 5, 7) * 9). */
  nextU32(): number {
    return this.nextI32() >>> 0;
  }

  /**
   * The same draw as a signed int32 (the same 32 bits). Internal draws use this: an int32 is
   * always a small integer to V8, while a uint32 >= 2^31 returned from a call that is not
   * inlined is boxed as a heap number (16 bytes of garbage per draw).
   */
  private nextI32(): number {
    const s1 = this.s1;
    let r = Math.imul(s1, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return r;
  }

  /** Integer in [0, 2^53) from two draws: high 27 bits then 26 bits. */
  next53(): number {
    const a = this.nextI32() >>> 5;
    const b = this.nextI32() >>> 6;
    return a * 67108864 + b;
  }

  /**
   * Uniform in (0, 1], 53-bit resolution (never 0, so log() is finite): (next53() + 1) * 2^-53,
   * with next53's two draws written out so that no 53-bit integer crosses a call (boxed when
   * the call is not inlined).
   */
  uniform01(): number {
    const a = this.nextI32() >>> 5;
    const b = this.nextI32() >>> 6;
    return (a * 67108864 + b + 1) * TWO_M53;
  }

  /** Uniform in [0, 1), 53-bit resolution: next53() * 2^-53, written out as uniform01 is. */
  uniform01Open(): number {
    const a = this.nextI32() >>> 5;
    const b = this.nextI32() >>> 6;
    return (a * 67108864 + b) * TWO_M53;
  }

  /** Integer uniform in [0, n) for 1 <= n <= 2^53 (multiply-floor on a 53-bit draw). */
  below(n: number): number {
    return Math.floor(this.next53() * TWO_M53 * n);
  }
}
