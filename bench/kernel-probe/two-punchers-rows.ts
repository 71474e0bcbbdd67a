// The two-puncher part of the calibration probe: bench/kernel-probe/two-punchers.c run per
// backend and size, one thread then two per pass, turned into ProbeRows. What fitting needs from
// it is a property of the host (README "What a hand-over of the lock costs"): the lone punches'
// spread (every punch of one thread, in order, so the per-CPU list drains show as a period) and
// the lock hand-over cost per page (each two-thread punch's share of the lock, split into
// hand-overs and continuations by two-punchers-analysis.ts lockShares).
import { parseProbeOutput, lockShares } from '../../sim/calibrate/two-punchers-analysis.js';
import type { ProbeRow } from '../../sim/calibrate/types.js';
import { streamProbe } from './build-probe.js';

export interface TwoPunchersPlan {
  backends: ('guest_memfd' | 'shmem')[];
  sizes: number[];
  passes: number;
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
    sizes: quick ? [4096, 2 << 20] : [4096, 65536, 2 << 20],
    passes: quick ? 1 : 3,
  };
}

/** The rows of one pass's text (`two-punchers.c` output for `threads` threads). */
export function twoPunchersRows(text: string, backend: 'guest_memfd' | 'shmem', pass: number): ProbeRow[] {
  const p = parseProbeOutput(text);
  const inOrder = [...p.punches].sort((a, b) => a.startNs - b.startNs);
  const params = { size_bytes: p.lenBytes, threads: p.threads, pass, state: 'populated' };
  const rows: ProbeRow[] = [{ probe: 'two_punchers', backend, params, samples_ns: inOrder.map((x) => x.endNs - x.startNs) }];
  if (p.threads > 1) {
    const shares = lockShares(p.punches);
    rows.push({ probe: 'two_punchers.lock_share', backend, params: { ...params, after: 'handover' }, samples_ns: shares.handover });
    rows.push({ probe: 'two_punchers.lock_share', backend, params: { ...params, after: 'continuation' }, samples_ns: shares.continuation });
  }
  return rows;
}

/** Runs the plan with a built two-punchers binary; onStep names each run before it starts. */
export async function runTwoPunchersRows(bin: string, plan: TwoPunchersPlan, onStep: (what: string) => void): Promise<ProbeRow[]> {
  const rows: ProbeRow[] = [];
  for (const backend of plan.backends) {
    for (const len of plan.sizes) {
      for (let pass = 1; pass <= plan.passes; pass++) {
        for (const threads of [1, 2]) {
          onStep(`two_punchers ${backend} ${len} pass ${pass} threads ${threads}`);
          const lines: string[] = [];
          await streamProbe(bin, [backend === 'guest_memfd' ? 'gmem' : 'shmem', String(len), String(calibrationPunchCount(len)), String(threads)], { onLine: (l) => lines.push(l) });
          rows.push(...twoPunchersRows(lines.join('\n'), backend, pass));
        }
      }
    }
  }
  return rows;
}
