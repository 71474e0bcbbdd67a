// The replay's comparison as tables for people: each recorded call beside its simulated
// duration, then the error per size class, with the note on what strace's times include.
import { formatDuration, formatSize } from '../units.js';
import { table } from './summary.js';
import type { ReplayReport } from '../actors/replay-report.js';

export const STRACE_NOTE =
  'note: strace -T includes ptrace overhead in every recorded time (a 0.6 us punch records as ~45 us on this ' +
  'machine kind), so recorded times are inflated and the error overstates the model\'s; use ' +
  '`rmsim validate --trace` (calibration issue) for the comparison without strace.';

export function formatReplayReport(r: ReplayReport): string {
  const calls = table(
    ['line', 'file', 'op', 'offset', 'len', 'recorded', 'simulated', 'result'],
    r.calls.map((c) => [
      String(c.line), `${c.backend}#${c.file}`, c.op, formatSize(c.offset), formatSize(c.len),
      formatDuration(c.recorded_ns), formatDuration(c.simulated_ns),
      c.result === (c.simulated_result ?? c.result) ? (c.result === '0' ? 'ok' : c.result) : `${c.result} (model: ${c.simulated_result})`,
    ]),
  );
  const classes = table(
    ['backend', 'op', 'size', 'calls', 'recorded p50', 'simulated p50', 'error'],
    r.by_size_class.map((s) => [
      s.backend, s.op, s.size, String(s.count), formatDuration(s.recorded_median_ns), formatDuration(s.simulated_median_ns),
      `${s.error >= 0 ? '+' : ''}${(s.error * 100).toFixed(1)}%`,
    ]),
  );
  return `replay of ${r.trace} (${r.backend}): predicted against recorded per call\n\n${calls}\n\nerror per size class (medians)\n\n${classes}\n\n${STRACE_NOTE}`;
}
