// Units and ticks a reader can read at a glance: durations as ns/us/ms/s, sizes in binary
// units (KiB..GiB), simulated time to the end of the run, and log axes whose ticks are chosen
// here (powers of ten, with 2 and 5 between when the data spans little) so that no axis ever
// shows a tick the data does not reach down to, such as 0.001.
import { parseSize } from '../sim/units.js';

export interface Unit { name: string; div: number }

const DURATIONS: Unit[] = [{ name: 's', div: 1e9 }, { name: 'ms', div: 1e6 }, { name: 'us', div: 1e3 }, { name: 'ns', div: 1 }];
const SIZES: Unit[] = [{ name: 'GiB', div: 1024 ** 3 }, { name: 'MiB', div: 1024 ** 2 }, { name: 'KiB', div: 1024 }, { name: 'B', div: 1 }];

function pick(units: Unit[], v: number): Unit {
  return units.find((u) => Math.abs(v) >= u.div) ?? units[units.length - 1];
}

export const durationUnit = (maxNs: number): Unit => pick(DURATIONS, maxNs);
export const sizeUnit = (maxBytes: number): Unit => pick(SIZES, maxBytes);

/** 4 significant digits at most, no trailing zeros: 132.606 -> "132.6", 21 -> "21". */
export function num(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const digits = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
  return Number(v.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
}

export function fmtDuration(ns: number): string {
  const u = durationUnit(ns);
  return `${num(ns / u.div)} ${u.name}`;
}

export function fmtBytes(bytes: number): string {
  const u = sizeUnit(bytes);
  return `${num(bytes / u.div)} ${u.name}`;
}

export function fmtPercent(share: number): string {
  if (share === 0) return '0%';
  const p = share * 100;
  if (p < 0.1) return '<0.1%';
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

export function fmtCount(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : num(n);
}

/** Bytes of a size label such as "2MiB" (or the kernel's "2M", "4K"); undefined when it is not one. */
export function sizeBytes(label: string): number | undefined {
  try {
    return parseSize(/^[0-9.]+[KMGT]$/.test(label) ? `${label}iB` : label);
  } catch {
    return undefined;
  }
}

/** Sort labels by the bytes they name (4KiB < 64KiB < 2MiB); other labels after, by name. */
export function bySize(a: string, b: string): number {
  const x = sizeBytes(a);
  const y = sizeBytes(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (x !== undefined) return -1;
  if (y !== undefined) return 1;
  return a.localeCompare(b, 'en', { numeric: true });
}

/** "2MiB" -> "2 MiB" for prose. */
export function spacedSize(label: string): string {
  return label.replace(/^([0-9.]+)([KMGT]?i?B|[KMGT])$/, '$1 $2');
}

/**
 * Domain and tick values for a log axis over [lo, hi] (both > 0). Data spanning three decades
 * or more gets whole decades; less gets the 1-2-5 steps around it, so a narrow range fills the
 * plot instead of sitting in one corner of a decade. The domain ends on labelled ticks.
 */
export function logAxis(lo: number, hi: number): { domain: [number, number]; values: number[] } {
  const lo10 = 10 ** Math.floor(Math.log10(lo));
  const hi10 = Math.max(10 ** Math.ceil(Math.log10(hi)), lo10 * 10);
  const decades: number[] = [];
  for (let d = lo10; d <= hi10 * 1.0001; d *= 10) decades.push(Number(d.toPrecision(12)));
  if (decades.length >= 4) return { domain: [lo10, hi10], values: decades };
  const steps = decades.flatMap((d) => [d, 2 * d, 5 * d]).map((v) => Number(v.toPrecision(12)));
  const from = steps.filter((v) => v <= lo).pop() ?? lo10;
  const to = steps.find((v) => v >= hi && v > from) ?? hi10;
  return { domain: [from, to], values: steps.filter((v) => v >= from && v <= to) };
}

/** A Vega expression that labels a tick holding nanoseconds: 2000 -> "2 us". */
export const DURATION_LABEL_EXPR =
  "datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + ' s' : datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + ' ms' : " +
  "datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + ' us' : format(datum.value, '~g') + ' ns'";
