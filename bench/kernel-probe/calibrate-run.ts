// The calibration probe: builds calibrate-probe.c and two-punchers.c with the system cc, runs
// them against this host's kernel and returns a ProbeRecording (sim/calibrate/types.ts) with
// every repetition kept. Without /dev/kvm or guest_memfd the probe measures shmem and records
// what it skipped and why. `rmsim calibrate` calls runCalibrationProbe.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { ProbeHost, ProbeRecording, ProbeRow, ProbeSkip } from '../../sim/calibrate/types.js';
import { buildProbe, streamProbe, ProbeError } from './build-probe.js';
import { runTwoPunchersRows, twoPunchersPlan, twoPunchersSteps } from './two-punchers-rows.js';
import { runGuestFaultPunchRows } from './sequence-run.js';

export { ProbeError };

export const SHMEM_ENABLED = '/sys/kernel/mm/transparent_hugepage/shmem_enabled';

export interface CalibrationProbeOptions {
  /** Shorter rows, fewer sizes, one two-puncher pass: about 20 s instead of about 85 s on this machine kind. */
  quick?: boolean;
  /**
   * Called before each row with the rows done so far, the total (counted beforehand by a dry run
   * of the probe) and what comes next ("guest: guest.exit mapped 4096"), and once at the end
   * with done = total.
   */
  onProgress?: (done: number, total: number, what: string) => void;
  /** Recorded as the recording's command (default: the probe's own). */
  command?: string;
  /** Sections of calibrate-probe.c to run (default all) and whether to run the two punchers. */
  sections?: ('gmem' | 'shmem' | 'stride' | 'footprint' | 'lru' | 'spread' | 'thp' | 'guest')[];
  twoPunchers?: boolean;
}

/** The selected value of a sysfs multiple-choice file ("always [never] ..." -> "never"). */
export function selectedChoice(text: string): string {
  return /\[([^\]]+)\]/.exec(text)?.[1] ?? text.trim();
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * The first CPU's caches from sysfs ("L1d 32K, L1i 32K, L2 1024K, L3 32768K shared 0-1"): what
 * decides how much a host may populate before a punch finds the pages' metadata cold
 * (sim/model/cache-footprint.ts). Empty when sysfs does not say.
 */
export function cpuCaches(dir = '/sys/devices/system/cpu/cpu0/cache'): string {
  const out: string[] = [];
  for (let i = 0; i < 8; i++) {
    const read = (f: string) => readOr(`${dir}/index${i}/${f}`, '').trim();
    const [level, type, size, shared] = [read('level'), read('type'), read('size'), read('shared_cpu_list')];
    if (!level || !size) continue;
    const kind = type === 'Data' ? 'd' : type === 'Instruction' ? 'i' : '';
    out.push(`L${level}${kind} ${size}${shared && shared.includes('-') ? ` shared ${shared}` : ''}`);
  }
  return out.join(', ');
}

/** What this host is, before the probe says whether KVM and guest_memfd work. */
export function probeHost(caps: { kvm: boolean; guest_memfd: boolean }, date: Date): ProbeHost {
  const cpuinfo = readOr('/proc/cpuinfo', '');
  const flags = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? [];
  return {
    cpu_model: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    kernel: os.release(),
    nested: flags.includes('hypervisor'),
    date: date.toISOString(),
    online_cpus: os.availableParallelism?.() ?? os.cpus().length,
    kvm: caps.kvm,
    guest_memfd: caps.guest_memfd,
    shmem_enabled: selectedChoice(readOr(SHMEM_ENABLED, 'unknown')),
    caches: cpuCaches(),
  };
}

/** One stdout line of calibrate-probe.c, into the recording being built. */
export interface ProbeCaps {
  kvm: boolean;
  guest_memfd: boolean;
  /** Why guest_memfd cannot be measured here ('' when it can). */
  why: string;
}

export function absorbProbeLine(line: string, into: { rows: ProbeRow[]; skipped: ProbeSkip[]; caps: ProbeCaps }): void {
  if (!line.trim()) return;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new ProbeError(`calibrate-probe printed a line that is not JSON: ${line.slice(0, 120)}`);
  }
  if (o.caps) {
    const c = o.caps as ProbeCaps;
    into.caps.kvm = c.kvm;
    into.caps.guest_memfd = c.guest_memfd;
    into.caps.why = c.why ?? '';
  } else if (typeof o.skip === 'string') into.skipped.push({ what: o.skip, why: String(o.why) });
  else if (typeof o.probe === 'string') into.rows.push(o as unknown as ProbeRow);
  else throw new ProbeError(`calibrate-probe printed an unknown record: ${line.slice(0, 120)}`);
}

/** Puts shmem_enabled back as found if the probe was killed before it could (it restores it itself on exit and on signals). */
function restoreShmemEnabled(found: string): void {
  if (found === 'unknown' || selectedChoice(readOr(SHMEM_ENABLED, found)) === found) return;
  try {
    writeFileSync(SHMEM_ENABLED, found);
  } catch {
    // not writable: then the probe could not have changed it either
  }
}

export async function runCalibrationProbe(opts: CalibrationProbeOptions = {}): Promise<ProbeRecording> {
  const started = new Date();
  const shmemFound = selectedChoice(readOr(SHMEM_ENABLED, 'unknown'));
  const into = { rows: [] as ProbeRow[], skipped: [] as ProbeSkip[], caps: { kvm: false, guest_memfd: false, why: 'the probe did not report' } as ProbeCaps };
  const args: string[] = [];
  if (opts.quick) args.push('--quick');
  // Only root can write shmem_enabled; the probe restores the value it found.
  if (process.getuid?.() === 0) args.push('--thp');
  if (opts.sections) args.push('--only', opts.sections.join(','));
  const probe = buildProbe('calibrate-probe.c');
  const punchers = opts.twoPunchers === false ? undefined : buildProbe('two-punchers.c');
  try {
    // A dry run (nothing measured) counts the steps and says whether guest_memfd works.
    const dry = { rows: [] as ProbeRow[], skipped: [] as ProbeSkip[], caps: { ...into.caps } };
    let probeSteps = 0;
    await streamProbe(probe.bin, [...args, '--dry-run'], { onLine: (l) => absorbProbeLine(l, dry), onStderr: (l) => void (l.startsWith('# ') && probeSteps++) });
    const plan = twoPunchersPlan(!!opts.quick, dry.caps.guest_memfd);
    // The guest-fault pair (seq-exec) runs with the two punchers, one pass each, when guest_memfd works.
    const guestFault = punchers && dry.caps.guest_memfd ? plan.passes : 0;
    const total = probeSteps + (punchers ? twoPunchersSteps(plan) + 2 * guestFault : 0);
    let done = 0;
    const progress = (what: string): void => opts.onProgress?.(done++, total, what);
    await streamProbe(probe.bin, args, {
      onLine: (l) => absorbProbeLine(l, into),
      onStderr: (l) => {
        const m = /^# (\S+) (.*)$/.exec(l);
        if (m) progress(`${m[1]}: ${m[2]}`);
      },
    });
    if (punchers) {
      if (!into.caps.guest_memfd) into.skipped.push({ what: 'two_punchers guest_memfd', why: into.caps.why });
      into.rows.push(...(await runTwoPunchersRows(punchers.bin, plan, progress)));
      if (guestFault && into.caps.guest_memfd) into.rows.push(...(await runGuestFaultPunchRows(guestFault, progress)));
      else if (guestFault) into.skipped.push({ what: 'gmem.punch_while_faulting', why: into.caps.why });
    }
    opts.onProgress?.(total, total, 'done');
  } finally {
    probe.dispose();
    punchers?.dispose();
    restoreShmemEnabled(shmemFound);
  }
  const host = probeHost(into.caps, started);
  host.shmem_enabled = shmemFound;
  return {
    schema: 'rmsim.probe/1',
    host,
    command: opts.command ?? `calibrate-probe ${args.join(' ')}`.trim(),
    rows: into.rows,
    skipped: into.skipped,
  };
}
