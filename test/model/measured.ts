// The measured figures the calibration tests hold the model to (test/fixtures/measured/), read
// from the fixture, never from the cost profile that was fitted to them. A missing row or size
// throws: a test over expected data must fail when the data is missing.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface MeasuredRow {
  row: string;
  operation: string;
  host: string;
  date: string;
  probe: string;
  command: string;
  unit: string;
  sizes: Record<string, number | Record<string, number>>;
}

interface MeasuredFile {
  source: string;
  host: string;
  date: string;
  rows: MeasuredRow[];
}

const FILE = fileURLToPath(new URL('../../../test/fixtures/measured/section7-intel-2026-11-24.json', import.meta.url));
export const SECTION7: MeasuredFile = JSON.parse(readFileSync(FILE, 'utf8'));

export function measuredRow(row: string): MeasuredRow {
  const r = SECTION7.rows.find((x) => x.row === row);
  if (!r) throw new Error(`no measured row ${row} in ${FILE}`);
  return r;
}

/** The measured figure (ns) of `row` at `size` ('4KiB', '64MiB', ...). */
export function measured(row: string, size: string): number {
  const v = measuredRow(row).sizes[size];
  if (typeof v !== 'number') throw new Error(`no measured figure ${row} ${size}`);
  return v;
}

/** One field of a two-puncher row (single_ns, per_punch_ns, single_ops_per_s, ops_per_s). */
export function measuredTwoPunchers(backend: 'shmem' | 'gmem', size: string, field: 'single_ns' | 'per_punch_ns' | 'single_ops_per_s' | 'ops_per_s'): number {
  const v = measuredRow(`${backend}.two_punchers`).sizes[size];
  const f = typeof v === 'object' ? v[field] : undefined;
  if (f === undefined) throw new Error(`no measured figure ${backend}.two_punchers ${size} ${field}`);
  return f;
}

export const SIZE_BYTES: Record<string, number> = { '4KiB': 4096, '64KiB': 65536, '2MiB': 2 << 20, '64MiB': 64 << 20, '512MiB': 512 << 20, '1GiB': 1 << 30 };

/** Bytes of a size label; throws on an unknown label. */
export function sizeBytes(size: string): number {
  const b = SIZE_BYTES[size];
  if (b === undefined) throw new Error(`unknown size ${size}`);
  return b;
}

/** Relative error of a model figure against a measured one, as a signed percentage string. */
export function pct(got: number, want: number): string {
  return `${(((got - want) / want) * 100).toFixed(1)}%`;
}
