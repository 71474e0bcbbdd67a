// Problems found in a workload (file, --set or trace), each rendered as one line:
//   file:line:col: field.path: expected X, found Y
// WorkloadError carries all of them; it is a UsageError, so the CLI exits 2 with no stack.
import { UsageError } from '../errors.js';

export interface Problem {
  /** Where: a file path, "--set", or the trace file. */
  source: string;
  /** 1-based line and column, when the problem has a position. */
  line?: number;
  col?: number;
  /** Dotted field path (actors[2].rate), or '' for the whole document. */
  path: string;
  /** What was expected, phrased to complete "expected ...". */
  expected: string;
  /** What was found, already rendered (JSON for strings). */
  found: string;
  /** Optional trailing hint, e.g. did you mean "thp"? */
  hint?: string;
}

export function formatProblem(p: Problem): string {
  const where = p.line !== undefined ? `${p.source}:${p.line}:${p.col ?? 1}` : p.source;
  const field = p.path === '' ? '(document)' : p.path;
  const hint = p.hint ? ` (${p.hint})` : '';
  return `${where}: ${field}: expected ${p.expected}, found ${p.found}${hint}`;
}

export class WorkloadError extends UsageError {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'WorkloadError';
  }
}

/** Render a found value for a message: strings quoted, objects abbreviated. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return `an object {${Object.keys(v as object).slice(0, 4).join(', ')}}`;
  return String(v);
}
