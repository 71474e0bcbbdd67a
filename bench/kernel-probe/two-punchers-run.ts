// Builds bench/kernel-probe/two-punchers.c with the system cc and runs it against the real
// kernel: per backend and size, `passes` passes of one thread then two threads punching one
// pre-populated file (guest_memfd needs /dev/kvm; shmem needs nothing). Run as root it raises its
// priority (nice -20) so the machine's other work does not preempt a lock holder mid-punch.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../../sim/output/atomic-write.js';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, type MachineInfo } from '../engine/machine.js';
import { parseProbeOutput, summarisePass, summariseRow, type RowSummary, type Punch } from '../../sim/calibrate/two-punchers-analysis.js';

import { ProbeError } from './build-probe.js';
export { ProbeError };

export interface TwoPunchersOptions {
  backends: string[];
  sizes: number[];
  passes: number;
  /** Where the raw per-punch lines go (one file per pass), or undefined to keep none. */
  rawDir?: string;
  log?: (line: string) => void;
}

export interface TwoPunchersResult {
  schema: 'rmsim.kernel-probe.two-punchers/1';
  date: string;
  machine: MachineInfo;
  cc: string;
  niced: boolean;
  /** 1/5/15-minute load averages before and after: the regimes depend on what else runs. */
  load_average: { start: number[]; end: number[] };
  method: string;
  rows: RowSummary[];
}

/** The last pass of each backend and size, punch by punch (for a picture; not written to the JSON). */
export interface LastPass {
  backend: string;
  lenBytes: number;
  one: Punch[];
  two: Punch[];
}

/** Punches per thread and pass: about 60-100 ms of punching per pass at any size. */
export function defaultCount(len: number): number {
  if (len <= 4096) return 20000;
  if (len <= 65536) return 3000;
  return Math.max(20, Math.round((300 * 2 * 1024 * 1024) / len));
}

export function runTwoPunchers(o: TwoPunchersOptions): { result: TwoPunchersResult; lastPasses: LastPass[] } {
  let cc: string;
  try {
    cc = execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch {
    throw new ProbeError('no C compiler (cc) on this machine: the kernel probe cannot be built');
  }
  const loadStart = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-probe-'));
  try {
    const bin = join(dir, 'two-punchers');
    execFileSync('cc', ['-O2', '-Wall', '-pthread', '-o', bin, fileURLToPath(new URL('../../../bench/kernel-probe/two-punchers.c', import.meta.url))]);
    const niced = process.getuid?.() === 0;
    const run = (backend: string, len: number, threads: number): string => {
      const args = [backend, String(len), String(defaultCount(len)), String(threads)];
      try {
        return niced ? execFileSync('nice', ['-n', '-20', bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }) : execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
      } catch (e) {
        const err = e as { stderr?: Buffer | string };
        throw new ProbeError(`two-punchers ${args.join(' ')} failed: ${String(err.stderr ?? e).trim()}`);
      }
    };
    if (o.rawDir) mkdirSync(o.rawDir, { recursive: true });
    const rows: RowSummary[] = [];
    const lastPasses: LastPass[] = [];
    for (const backend of o.backends) {
      for (const len of o.sizes) {
        const passes = [];
        for (let k = 0; k < o.passes; k++) {
          const oneText = run(backend, len, 1);
          const twoText = run(backend, len, 2);
          if (o.rawDir) {
            writeFileAtomic(join(o.rawDir, `${backend}-${len}-pass${k + 1}-1thread.txt`), oneText);
            writeFileAtomic(join(o.rawDir, `${backend}-${len}-pass${k + 1}-2threads.txt`), twoText);
          }
          const onePass = parseProbeOutput(oneText);
          const twoPass = parseProbeOutput(twoText);
          const one = summarisePass(onePass);
          const two = summarisePass(twoPass);
          if (k === o.passes - 1) lastPasses.push({ backend, lenBytes: len, one: onePass.punches, two: twoPass.punches });
          o.log?.(`${backend} ${len} B pass ${k + 1}/${o.passes}: one ${(one.median_ns / 1e3).toFixed(2)} us, two ${(two.median_ns / 1e3).toFixed(2)} us median, alternating ${two.alternating_share}, mean run ${two.mean_run}`);
          passes.push({ one, two });
        }
        rows.push(summariseRow(passes));
      }
    }
    const result: TwoPunchersResult = {
      schema: 'rmsim.kernel-probe.two-punchers/1',
      date: new Date().toISOString(),
      machine: machineInfo(),
      cc,
      niced,
      load_average: { start: loadStart, end: loadavg() },
      method: 'bench/kernel-probe/two-punchers.c: CLOCK_MONOTONIC around each fallocate(PUNCH_HOLE|KEEP_SIZE) of consecutive pre-populated ranges, one thread per half of the file, started together by a barrier, nothing between punches; per pass one thread then two; figures are medians over passes',
      rows,
    };
    return { result, lastPasses };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where committed probe results live. */
export function defaultProbeResultPath(): string {
  return fileURLToPath(new URL('../../../bench/results/kernel-probe-two-punchers.json', import.meta.url));
}
