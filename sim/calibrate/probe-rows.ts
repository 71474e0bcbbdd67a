// Finding rows of a probe recording by name and parameters, and naming them in a fit's
// provenance. A missing row is a MissingRows error naming what was looked for, so a fit that
// cannot run says which probe it lacked instead of producing a number.
import type { ProbeRecording, ProbeRow } from './types.js';
import { rowMedian } from './least-squares.js';

export type ParamMatch = Record<string, string | number | boolean | undefined>;

export class MissingRows extends Error {
  constructor(readonly wanted: string) {
    super(`no probe rows ${wanted}`);
    this.name = 'MissingRows';
  }
}

/** "probe{k=v,...}" with the parameters in the recording's order. */
export function rowLabel(r: ProbeRow): string {
  const ps = Object.entries(r.params).filter(([k]) => k !== 'reps').map(([k, v]) => `${k}=${v}`);
  return `${r.probe}{${ps.join(',')}}`;
}

function describe(probe: string, match: ParamMatch): string {
  return `${probe}{${Object.entries(match).map(([k, v]) => `${k}=${v === undefined ? '(absent)' : v}`).join(',')}}`;
}

/**
 * Rows of `probe` whose parameters equal `match` (a key matched to undefined must be absent).
 * Throws MissingRows when fewer than `atLeast` rows match.
 */
export function selectRows(rec: ProbeRecording, probe: string, match: ParamMatch, atLeast = 1): ProbeRow[] {
  const rows = rec.rows.filter((r) => r.probe === probe && r.samples_ns.length > 0 && Object.entries(match).every(([k, v]) => r.params[k] === v));
  if (rows.length < atLeast) throw new MissingRows(`${describe(probe, match)} (need ${atLeast}, found ${rows.length})`);
  return rows;
}

/** The one row's median for a probe at a size (the first match when the probe repeated it). */
export function medianAt(rec: ProbeRecording, probe: string, match: ParamMatch): { ns: number; label: string } {
  const [row] = selectRows(rec, probe, match);
  return { ns: rowMedian(row.samples_ns), label: rowLabel(row) };
}

/** Bytes to 4 KiB pages. */
export function pagesOf(row: ProbeRow): number {
  const size = Number(row.params.size_bytes);
  if (!Number.isFinite(size) || size <= 0) throw new MissingRows(`${rowLabel(row)} with a size_bytes parameter`);
  return size / 4096;
}
