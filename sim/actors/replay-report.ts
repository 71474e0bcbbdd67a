// The replay's comparison: each recorded call beside its simulated duration, and the error
// per size class (operation, backend, length) on medians. strace -T times include ptrace's
// own stops (a 0.6 us punch shows as ~45 us here, toolchain.md), so the recorded side is
// inflated; `rmsim validate --trace` is the calibrated comparison without strace. The
// table for people is sim/output/replay-report.ts.
import { formatSize } from '../units.js';

export interface ReplayCallResult {
  line: number;
  file: number;
  backend: 'guest_memfd' | 'shmem';
  op: 'allocate' | 'punch';
  offset: number;
  len: number;
  recorded_ns: number;
  simulated_ns: number;
  /** "0" or the errno the trace recorded. */
  result: string;
  /** "0" or the errno the model returned. */
  simulated_result?: string;
}

export interface SizeClassResult {
  backend: string;
  op: string;
  size: string;
  count: number;
  recorded_median_ns: number;
  simulated_median_ns: number;
  error: number;
}

export interface ReplayReport {
  trace: string;
  backend: string;
  calls: ReplayCallResult[];
  by_size_class: SizeClassResult[];
}

/** Median with the lower middle for even counts (an observed value, deterministic). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1];
}

export function summarizeBySizeClass(calls: ReplayCallResult[]): SizeClassResult[] {
  const groups = new Map<string, ReplayCallResult[]>();
  for (const c of calls) {
    // A call that failed on either side says nothing about a size's cost.
    if (c.result !== '0' || (c.simulated_result ?? '0') !== '0') continue;
    const k = `${c.backend}|${c.op}|${String(c.len).padStart(16, '0')}`;
    const g = groups.get(k) ?? [];
    g.push(c);
    groups.set(k, g);
  }
  return [...groups.keys()].sort().map((k) => {
    const g = groups.get(k)!;
    const rec = median(g.map((c) => c.recorded_ns));
    const sim = median(g.map((c) => c.simulated_ns));
    return {
      backend: g[0].backend, op: g[0].op, size: formatSize(g[0].len), count: g.length,
      recorded_median_ns: rec, simulated_median_ns: sim,
      error: rec > 0 ? Math.round(((sim - rec) / rec) * 10000) / 10000 : 0,
    };
  });
}
