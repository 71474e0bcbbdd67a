// Values with units as people write them in workload files and on the command line:
// sizes (4KiB, 2MiB, 16GiB), durations (100ns, 500us, 10ms, 2s) and rates (1000/s, 2.5k/ms).
// Every parser returns an exact integer (bytes, nanoseconds) or throws UnitError with what
// was expected; no floating-point value reaches the model unrounded.

/** The base page size (x86 PAGE_SIZE): every byte <-> page conversion in the product uses this one. */
export const PAGE_SIZE = 4096;

export class UnitError extends Error {
  constructor(readonly expected: string, readonly found: string) {
    super(`expected ${expected}, found ${found}`);
    this.name = 'UnitError';
  }
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  // Decimal units are accepted because people write them, and mean what SI says.
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1_000,
  µs: 1_000,
  ms: 1_000_000,
  s: 1_000_000_000,
  min: 60_000_000_000,
};

const RATE_PREFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9 };

export const SIZE_PATTERN = '^\\s*[0-9]+(\\.[0-9]+)?\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)\\s*$';
export const DURATION_PATTERN = '^\\s*[0-9]+(\\.[0-9]+)?\\s*(ns|us|µs|ms|s|min)\\s*$';

const SIZE_RE = new RegExp(SIZE_PATTERN);
const DURATION_RE = new RegExp(DURATION_PATTERN);
const RATE_RE = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKMG]?)\s*\/\s*(ns|us|µs|ms|s|min)\s*$/;

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Multiply a decimal literal by an integer scale without binary rounding surprises. */
function scaleDecimal(literal: string, scale: number): number {
  const [whole, frac = ''] = literal.split('.');
  const digits = BigInt(whole + frac);
  const denom = 10n ** BigInt(frac.length);
  const num = digits * BigInt(scale);
  // Round half up to the nearest integer unit.
  const q = (num * 2n + denom) / (2n * denom);
  return Number(q);
}

/** Parse a size: "2MiB" -> 2097152; a plain non-negative integer is bytes. */
export function parseSize(v: unknown): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new UnitError('a size such as 4KiB, 2MiB or 16GiB (or whole bytes)', show(v));
  }
  if (typeof v !== 'string' || !SIZE_RE.test(v)) {
    throw new UnitError('a size such as 4KiB, 2MiB or 16GiB', show(v));
  }
  const m = /([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)/.exec(v)!;
  const bytes = scaleDecimal(m[1], SIZE_UNITS[m[2]]);
  if (!Number.isSafeInteger(bytes)) throw new UnitError('a size below 8 PiB', show(v));
  return bytes;
}

/** Parse a duration: "10ms" -> 10000000 ns; a plain non-negative integer is nanoseconds. */
export function parseDuration(v: unknown): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new UnitError('a duration such as 100ns, 500us, 10ms or 2s (or whole ns)', show(v));
  }
  if (typeof v !== 'string' || !DURATION_RE.test(v)) {
    throw new UnitError('a duration such as 100ns, 500us, 10ms or 2s', show(v));
  }
  const m = /([0-9]+(?:\.[0-9]+)?)\s*(ns|us|µs|ms|s|min)/.exec(v)!;
  const ns = scaleDecimal(m[1], DURATION_UNITS[m[2]]);
  if (!Number.isSafeInteger(ns)) throw new UnitError('a duration below 104 days', show(v));
  return ns;
}

/**
 * Parse a rate: "1000/s", "2.5k/ms", "10/us" -> mean interval between events in integer ns
 * (rounded once, never below 1 ns). Returning the interval keeps the model in integer time.
 */
export function parseRateInterval(v: unknown): number {
  if (typeof v !== 'string') throw new UnitError('a rate such as 1000/s or 2k/ms', show(v));
  const m = RATE_RE.exec(v);
  if (!m) throw new UnitError('a rate such as 1000/s or 2k/ms', show(v));
  const perUnit = Number(m[1]) * RATE_PREFIX[m[2]];
  if (!(perUnit > 0)) throw new UnitError('a rate above zero', show(v));
  const interval = Math.round(DURATION_UNITS[m[3]] / perUnit);
  return Math.max(1, interval);
}

/** Render bytes the way people write them (exact units only): 2097152 -> "2MiB". */
export function formatSize(bytes: number): string {
  for (const u of ['TiB', 'GiB', 'MiB', 'KiB']) {
    const s = SIZE_UNITS[u];
    if (bytes >= s && bytes % s === 0) return `${bytes / s}${u}`;
  }
  return `${bytes}B`;
}

/** Render nanoseconds compactly for tables: 1500 -> "1.50us". */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(ns / 1e9).toFixed(2)}s`;
  if (a >= 1e6) return `${(ns / 1e6).toFixed(2)}ms`;
  if (a >= 1e3) return `${(ns / 1e3).toFixed(2)}us`;
  return `${Math.round(ns)}ns`;
}
