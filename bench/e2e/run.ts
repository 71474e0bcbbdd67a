// `rmsim bench e2e`: the simulator end to end (issue 17). Each run is a child process (child.ts)
// so wall time includes the process start and peak RSS is that run's alone; the figures and the
// issue's targets go into bench/results/e2e.json with the machine.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { machineInfo, type MachineInfo } from '../engine/machine.js';
import { A_VM_GIB, CASE_IDS, D_METHOD, D_SIZES_GIB, bareSpec, bootSpec, conversionStormSpec, scaledBytes, terabyteHostSpec, type CaseId, type ChildSpec } from './cases.js';
import type { ChildResult } from './child.js';

export const E2E_TARGETS = {
  /** (a): simulated faults/s over the bare fast paths' faults/s, at least. */
  a_ratio_to_bare: 0.3,
  /** (a): wall seconds, process start included (a guide for a 2-core x86 machine). */
  a_wall_s: 3,
  b_wall_s: 60,
  b_peak_rss_bytes: 8 * 2 ** 30,
  /** (d): largest over smallest compute ns per fault across the sizes, at most. */
  d_spread: 1.1,
};

export interface CaseFigures {
  /** Spawn to exit (process start included), less the untimed warm-up run. */
  wall_s: number;
  /** The untimed warm-up run's wall seconds (0 without one). */
  warmup_s: number;
  run_s: number;
  events: number;
  events_per_s: number;
  faults: number;
  /** Simulated faults per second of the run (wall, process start excluded). */
  faults_per_s: number;
  peak_rss_bytes: number;
  /** Process CPU ns of the run per simulated fault. */
  compute_ns_per_fault: number | null;
}

export interface E2eBenchResult {
  schema: 'rmsim.bench.e2e/1';
  date: string;
  machine: MachineInfo;
  /** 1 = the sizes; less is a check on a smaller size, not a result. */
  scale: number;
  load_average: { start: number[]; end: number[] };
  cases: {
    a?: CaseFigures & { vm_bytes: number; bare_faults_per_s: number; ratio_to_bare: number };
    b?: CaseFigures;
    c?: CaseFigures;
    d?: { method: string; sizes: Array<CaseFigures & { vm_bytes: number }>; spread: number };
  };
  targets: typeof E2E_TARGETS;
  /** Per target: met, not met, or null when its case did not run or ran scaled down. */
  meets: Record<string, boolean | null>;
}

export interface E2eBenchOptions {
  only?: readonly CaseId[];
  scale?: number;
  log?: (line: string) => void;
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/** Run one spec in a fresh Node process; wall time from spawn to exit. */
export function runInChild(spec: ChildSpec): ChildResult & { wall_s: number } {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, ['--max-old-space-size=16384', CHILD, JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  const wall_s = (performance.now() - t0) / 1e3;
  return { ...(JSON.parse(out.trim().split('\n').pop()!) as ChildResult), wall_s };
}

function figures(r: ChildResult & { wall_s: number }): CaseFigures {
  return {
    wall_s: r.wall_s - r.warmup_s,
    warmup_s: r.warmup_s,
    run_s: r.run_s,
    events: r.events,
    events_per_s: r.events / r.run_s,
    faults: r.faults,
    faults_per_s: r.faults / r.run_s,
    peak_rss_bytes: r.peak_rss_bytes,
    compute_ns_per_fault: r.faults > 0 ? (r.compute_s * 1e9) / r.faults : null,
  };
}

export function runE2eBench(o: E2eBenchOptions = {}): E2eBenchResult {
  const only = new Set<CaseId>(o.only ?? CASE_IDS);
  const scale = o.scale ?? 1;
  const log = o.log ?? (() => {});
  const GiB = 2 ** 30;
  const loadStart = os.loadavg();
  const cases: E2eBenchResult['cases'] = {};
  const boots = new Map<number, CaseFigures>();
  const boot = (gib: number): CaseFigures => {
    const vm = scaledBytes(gib * GiB, scale);
    let f = boots.get(vm);
    if (!f) {
      log(`vm-boot, ${vm / GiB} GiB VM, 8 vCPUs, 4 KiB pages`);
      f = figures(runInChild(bootSpec(vm)));
      boots.set(vm, f);
    }
    return f;
  };
  if (only.has('a')) {
    const vm = scaledBytes(A_VM_GIB * GiB, scale);
    const f = boot(A_VM_GIB);
    log('bare fast paths, the same faults');
    const bare = runInChild(bareSpec(vm));
    const bareRate = bare.faults / bare.run_s;
    cases.a = { ...f, vm_bytes: vm, bare_faults_per_s: bareRate, ratio_to_bare: f.faults_per_s / bareRate };
  }
  if (only.has('b')) {
    log('terabyte host: 64 VMs booting and converting');
    cases.b = figures(runInChild(terabyteHostSpec(scale)));
  }
  if (only.has('c')) {
    log('conversion-storm on 16 GiB');
    cases.c = figures(runInChild(conversionStormSpec(scale)));
  }
  if (only.has('d')) {
    const sizes = D_SIZES_GIB.map((gib) => ({ ...boot(gib), vm_bytes: scaledBytes(gib * GiB, scale) }));
    const ns = sizes.map((s) => s.compute_ns_per_fault ?? NaN);
    cases.d = { method: D_METHOD, sizes, spread: Math.max(...ns) / Math.min(...ns) };
  }
  const full = scale === 1;
  const meets: Record<string, boolean | null> = {
    a_ratio_to_bare: cases.a && full ? cases.a.ratio_to_bare >= E2E_TARGETS.a_ratio_to_bare : null,
    a_wall_s: cases.a && full ? cases.a.wall_s <= E2E_TARGETS.a_wall_s : null,
    b_wall_s: cases.b && full ? cases.b.wall_s <= E2E_TARGETS.b_wall_s : null,
    b_peak_rss_bytes: cases.b && full ? cases.b.peak_rss_bytes <= E2E_TARGETS.b_peak_rss_bytes : null,
    d_spread: cases.d && full ? cases.d.spread <= E2E_TARGETS.d_spread : null,
  };
  return {
    schema: 'rmsim.bench.e2e/1',
    date: new Date().toISOString(),
    machine: machineInfo(),
    scale,
    load_average: { start: loadStart, end: os.loadavg() },
    cases,
    targets: E2E_TARGETS,
    meets,
  };
}

/** Where committed e2e results live: <repo>/bench/results/e2e.json. */
export function defaultE2eResultPath(): string {
  return fileURLToPath(new URL('../../../bench/results/e2e.json', import.meta.url));
}
