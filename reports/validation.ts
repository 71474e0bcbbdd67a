// The validation report: validation.html in the one report layout (layout.ts): a header (profile,
// host, date), a headline table (sequences, median and worst error), then predicted against
// measured and the error of each sequence, with the table of every sequence and what was
// skipped. Written with one SVG and PNG per chart, atomically.
import { chartBlock, noteBlock, tableBlock } from './layout.js';
import type { Block, Page } from './layout.js';
import { writePage } from './report.js';
import { fmtDuration } from './scales.js';
import type { ValidationSummary } from '../sim/calibrate/validate.js';
import { errorsBySequenceSpec, predictedVsMeasuredSpec } from './validation-specs.js';

export interface ValidationReportInfo {
  profile: string;
  host: string;
  date: string;
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** The sentence the page opens with: how close the model came, and where it was furthest off. */
function finding(v: ValidationSummary): string {
  const within10 = v.sequences.filter((s) => s.error !== null && Math.abs(s.error) <= 0.1).length;
  return `${within10} of ${v.sequences.length} sequences within 10% of the kernel; median |error| ${pct(v.median_abs_error)}, worst ${pct(v.worst_abs_error)} (${v.worst_sequence ?? '-'}).`;
}

export function validationPage(v: ValidationSummary, info: ValidationReportInfo): Page {
  const blocks: Block[] = [
    chartBlock('validation-predicted-vs-measured', predictedVsMeasuredSpec(v.sequences, `predicted vs measured (${info.profile}, ${info.host})`)),
    chartBlock('validation-errors', errorsBySequenceSpec(v.sequences, 'error by sequence (dashed: +-10%, +-25%)')),
    tableBlock({
      columns: ['sequence', 'measured', 'predicted', 'error', 'ops', 'what'],
      textColumns: [0, 5],
      rows: v.sequences.map((s) => [s.name, fmtDuration(s.measured_ns), fmtDuration(s.predicted_ns), pct(s.error),
        `${s.ops}${s.failed_ops ? ` (${s.failed_ops} failed)` : ''}`, s.description]),
    }),
    ...v.skipped.map((s) => noteBlock(`${s.what}: skipped: ${s.why}`)),
  ];
  return {
    title: `Validation of profile ${info.profile} on ${info.host}`,
    fields: [['profile', info.profile], ['host', info.host], ['date', info.date]],
    warnings: [],
    headline: {
      columns: ['', 'result'],
      rows: [['sequences compared', String(v.sequences.length)], ['median |error|', pct(v.median_abs_error)],
        ['worst', `${pct(v.worst_abs_error)} (${v.worst_sequence ?? '-'})`], ['skipped', String(v.skipped.length)]],
      textColumns: [0, 1],
    },
    sections: [{ id: 'sequences', title: 'Predicted against measured', sentence: finding(v), blocks }],
  };
}

/** Write validation.html and charts/<id>.svg|png under outDir; returns the paths and notes (PNG without fonts). */
export async function writeValidationReport(v: ValidationSummary, info: ValidationReportInfo, outDir: string): Promise<{ files: string[]; notes: string[] }> {
  if (v.sequences.length === 0) return { files: [], notes: ['no sequence ran: no report'] };
  const r = await writePage(validationPage(v, info), outDir, { file: 'validation.html' });
  return { files: r.files, notes: r.notes };
}
