// The two-puncher part of the calibration probe: bench/kernel-probe/two-punchers.c run per
// backend and size, one thread then two per pass, turned into ProbeRows. What fitting needs from
// it is a property of the host (README "What a hand-over of the lock costs"): the lone punches'
// spread (every punch of one thread, in order, so the per-CPU list drains show as a period) and
// the lock hand-over cost per page (from every two-thread punch's thread, start and end).
import { parseProbeOutput, summarisePass } from '../../sim/calibrate/two-punchers-analysis.js';
import type { ProbeRow } from '../../sim/calibrate/types.js';
import { streamProbe } from './build-probe.js';

/** Two-thread rows keep every punch from this size up. */
export const PUNCHES_KEPT_FROM = 65536;

export interface TwoPunchersPlan {
  backends: ('guest_memfd' | 'shmem')[];
  sizes: number[];
  /** Passes of 2 MiB and more, and of the zero-length punches. */
  passes: number;
  /** Passes below 2 MiB (a few ms each): the alternation fit needs a pass that took turns. */
  smallPasses: number;
}

/** Passes of one size in a plan. */
export function passesOf(plan: TwoPunchersPlan, len: number): number {
  return len < 2 << 20 ? plan.smallPasses : plan.passes;
}

/** Punches per thread and pass: tens of milliseconds of punching per pass at any size. */
export function calibrationPunchCount(len: number): number {
  if (len <= 4096) return 2000;
  if (len <= 65536) return 600;
  return Math.max(20, Math.round((150 * 2 * 1024 * 1024) / len));
}

export function twoPunchersPlan(quick: boolean, guestMemfd: boolean): TwoPunchersPlan {
  return {
    backends: guestMemfd ? ['guest_memfd', 'shmem'] : ['shmem'],
    sizes: [4096, 65536, 2 << 20],
    passes: quick ? 1 : 3,
    smallPasses: 3,
  };
}

/**
 * The row of one pass's text (`two-punchers.c` output): every punch's latency in start order,
 * for two threads the share of punches between two of the other thread's (`alternating_share`,
 * whether the pass took turns: two-punchers-analysis.ts tookTurns), and for two threads from 64 KiB up every punch with its thread, start and end (`punches`),
 * from which fitting takes the lock hand-over cost (two-punchers-analysis.ts lockShares). At
 * 4 KiB a hand-over costs nothing measurable (README "What a hand-over of the lock costs") and
 * the thousands of punches would only swell the recording.
 */
export function twoPunchersRow(text: string, backend: 'guest_memfd' | 'shmem', pass: number): ProbeRow {
  const p = parseProbeOutput(text);
  const inOrder = [...p.punches].sort((a, b) => a.startNs - b.startNs || a.thread - b.thread);
  const row: ProbeRow = {
    probe: 'two_punchers',
    backend,
    params: { size_bytes: p.lenBytes, threads: p.threads, pass, state: 'populated', gap_ns: 0, ...(p.threads > 1 ? { alternating_share: summarisePass(p).alternating_share } : {}) },
    samples_ns: inOrder.map((x) => x.endNs - x.startNs),
  };
  if (p.threads > 1 && p.lenBytes >= PUNCHES_KEPT_FROM) row.punches = inOrder.map((x) => ({ thread: x.thread, start_ns: x.startNs, end_ns: x.endNs }));
  return row;
}

/** Runs in a plan (progress steps): per backend and pass one zero-length run, then one and two threads per size. */
export function twoPunchersSteps(plan: TwoPunchersPlan): number {
  return plan.backends.length * (plan.passes + 2 * plan.sizes.reduce((n, len) => n + passesOf(plan, len), 0));
}

/** Zero-length punches per backend and pass: the syscall outside the file's lock (about 0.5 ms). */
export const SYSCALL_PUNCHES = 2000;

/**
 * The row of a zero-length pass (`two-punchers.c` with LEN_BYTES 0): each punch fails with
 * EINVAL at the top of vfs_fallocate, so it times the syscall, fdget and the argument check, the
 * part of every fallocate that runs outside the file's lock (fit: host.fallocate_syscall_ns).
 */
export function syscallRow(text: string, backend: 'guest_memfd' | 'shmem', pass: number): ProbeRow {
  const p = parseProbeOutput(text);
  if (p.lenBytes !== 0) throw new Error(`fallocate.syscall row from a pass of ${p.lenBytes}-byte punches`);
  return { probe: 'fallocate.syscall', backend, params: { size_bytes: 0, pass }, samples_ns: p.punches.map((x) => x.endNs - x.startNs) };
}

/** Runs the plan with a built two-punchers binary; onStep names each run before it starts. */
export async function runTwoPunchersRows(bin: string, plan: TwoPunchersPlan, onStep: (what: string) => void): Promise<ProbeRow[]> {
  const rows: ProbeRow[] = [];
  for (const backend of plan.backends) {
    const name = backend === 'guest_memfd' ? 'gmem' : 'shmem';
    for (let pass = 1; pass <= plan.passes; pass++) {
      onStep(`fallocate.syscall ${backend} pass ${pass}`);
      const lines: string[] = [];
      await streamProbe(bin, [name, '0', String(SYSCALL_PUNCHES), '1'], { onLine: (l) => lines.push(l) });
      rows.push(syscallRow(lines.join('\n'), backend, pass));
    }
    for (const len of plan.sizes) {
      for (let pass = 1; pass <= passesOf(plan, len); pass++) {
        for (const threads of [1, 2]) {
          onStep(`two_punchers ${backend} ${len} pass ${pass} threads ${threads}`);
          const lines: string[] = [];
          await streamProbe(bin, [name, String(len), String(calibrationPunchCount(len)), String(threads)], { onLine: (l) => lines.push(l) });
          rows.push(twoPunchersRow(lines.join('\n'), backend, pass));
        }
      }
    }
  }
  return rows;
}
