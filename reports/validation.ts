// The validation report: validation.html in the one report layout (layout.ts): a header (profile,
// host, date), a headline table (sequences, median and worst error), then predicted against
// measured and the error of each sequence, with the table of every sequence and what was
// skipped. Written with one SVG and PNG per chart, atomically.
import { chartBlock, noteBlock, tableBlock } from './layout.js';
import type { Block, Page } from './layout.js';
import { writePage, type ReportOptions } from './report.js';
import { fmtDuration } from './scales.js';
import type { ValidationSummary } from '../sim/calibrate/validate.js';
import { backendOf, errorsBySequenceSpec, predictedVsMeasuredSpec } from './validation-specs.js';
import { profileField } from './header.js';

export interface ValidationReportInfo {
  profile: string;
  host: string;
  date: string;
  /** Kernel measurements reused from an earlier run (rmsim validate --measured). */
  measured?: { from: string; host: string | null; date: string | null };
  /** Repetitions of each sequence on each side. */
  reps?: number;
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** The measured figure's 95% interval (validate.ts), '-' when the kernel side kept no repetitions. */
function figureInterval(s: ValidationSummary['sequences'][number]): string {
  const r = s.measured_reps;
  return r?.ci_low_ns !== undefined && r.ci_high_ns !== undefined ? `${fmtDuration(r.ci_low_ns)}-${fmtDuration(r.ci_high_ns)}` : '-';
}

/** The sentence the page opens with: how close the model came, and where it was furthest off. */
function finding(v: ValidationSummary): string {
  const within10 = v.sequences.filter((s) => s.error !== null && Math.abs(s.error) <= 0.1).length;
  return `${within10} of ${v.sequences.length} sequences within 10% of the kernel; median |error| ${pct(v.median_abs_error)}, worst ${pct(v.worst_abs_error)} (${v.worst_sequence ?? '-'}).`;
}

/** Which way the model errs, per backend: "gmem: 7 of 9 predicted faster than measured (median -11.3%); ...". */
export function directionSentence(v: ValidationSummary): string {
  const backends = [...new Set(v.sequences.map(backendOf))];
  return `${backends.map((b) => {
    const errs = v.sequences.filter((s) => backendOf(s) === b).map((s) => s.error).sort((x, y) => x - y);
    const under = errs.filter((e) => e < 0).length;
    const median = errs.length % 2 ? errs[(errs.length - 1) / 2] : (errs[errs.length / 2 - 1] + errs[errs.length / 2]) / 2;
    return `${b}: ${under} of ${errs.length} predicted faster than measured (median ${signedPct(median)})`;
  }).join('; ')}.`;
}

export function validationPage(v: ValidationSummary, info: ValidationReportInfo): Page {
  const measuredOn = info.measured ? `${info.measured.host ?? info.host}, ${info.measured.date ?? 'date unknown'} (recorded in ${info.measured.from})` : `${info.host}, at the time of the validation`;
  const scatter: Block[] = [
    chartBlock('validation-predicted-vs-measured', predictedVsMeasuredSpec(v.sequences, 'Predicted against measured, per sequence', `dashed: y = x, a perfect prediction; each sequence by name in the next chart; profile ${info.profile}`)),
    ...v.skipped.map((s) => noteBlock(`${s.what}: skipped: ${s.why}`)),
  ];
  const errors: Block[] = [
    chartBlock('validation-errors', errorsBySequenceSpec(v.sequences, 'Error of each sequence', 'dashed: +-10% and +-25%')),
    tableBlock({
      columns: ['sequence', 'measured', 'measured 95%', 'predicted', 'error', 'ops', 'what'],
      textColumns: [0, 2, 6],
      rows: v.sequences.map((s) => [s.name, fmtDuration(s.measured_ns), figureInterval(s), fmtDuration(s.predicted_ns), pct(s.error),
        `${s.ops}${s.failed_ops ? ` (${s.failed_ops} failed)` : ''}`, s.description]),
    }),
  ];
  return {
    title: `Validation of profile ${info.profile} on ${info.host}`,
    fields: [
      ['compared', `the simulator's prediction of each sequence against the kernel running it (${v.sequences.length} sequences)`],
      ['profile', profileField(info.profile)],
      ['measured on', measuredOn],
      ['validated', info.date],
      ...(info.reps ? [['repetitions', `${info.reps} of each sequence on each side`] as [string, string]] : []),
    ],
    warnings: [],
    headline: {
      columns: ['', 'result'],
      rows: [['sequences compared', String(v.sequences.length)], ['within 10% of the kernel', String(v.sequences.filter((s) => Math.abs(s.error) <= 0.1).length)],
        ['median |error|', pct(v.median_abs_error)], ['worst', `${pct(v.worst_abs_error)} (${v.worst_sequence ?? '-'})`],
        ...(v.median_rep_ci != null ? [['noise floor (the measured figure\'s 95% interval, median width)', pct(v.median_rep_ci)] as [string, string]] : []),
        ['skipped', String(v.skipped.length)]],
      textColumns: [0, 1],
    },
    sections: [
      { id: 'sequences', title: 'Predicted against measured', sentence: finding(v), blocks: scatter },
      { id: 'errors', title: 'Error by sequence', sentence: directionSentence(v), blocks: errors },
    ],
  };
}

/** Write validation.html and charts/<id>.svg|png under outDir; returns the paths and notes (PNG without fonts). */
export async function writeValidationReport(v: ValidationSummary, info: ValidationReportInfo, outDir: string, opts: ReportOptions = {}): Promise<{ files: string[]; notes: string[] }> {
  if (v.sequences.length === 0) return { files: [], notes: ['no sequence ran: no report'] };
  const r = await writePage(validationPage(v, info), outDir, { file: 'validation.html', ...opts });
  return { files: r.files, notes: r.notes };
}
