// `rmsim bench e2e [--json] [--only a,b,c,d] [--scale x] [--trials n] [--b-runs n] [--max-wall d] [--chart out.png]`:
// runs the end-to-end benchmark (run.ts), writes bench/results/e2e-<make>.json (at scale 1, unless
// --no-write) and prints a summary or JSON; --chart draws case (d). On a terminal each run shows
// its first-touch faults done as a progress bar.
import { UsageError } from '../../sim/errors.js';
import { parseDuration } from '../../sim/units.js';
import { createRunsProgress } from '../../sim/output/progress.js';
import { renderSvg, svgToPng } from '../../reports/render.js';
import { writeFileAtomic } from '../../sim/output/atomic-write.js';
import { writeResult } from '../engine/run.js';
import { CASE_IDS, type CaseId } from './cases.js';
import { benchE2eSpec } from './chart-spec.js';
import { B_RUNS, D_TRIALS, defaultE2eResultPath, runE2eBench, type CaseFigures, type CaseProgress, type E2eBenchResult } from './run.js';

export interface E2eCliOptions {
  json?: boolean;
  only?: string;
  scale?: string;
  write?: boolean;
  out?: string;
  chart?: string;
  /** (d)'s rounds (parsed by the CLI). */
  trials?: number;
  /** (b)'s runs (parsed by the CLI). */
  bRuns?: number;
  maxWall?: string;
  vcpuScheduler?: boolean;
}

export function parseOnly(v: string | undefined): CaseId[] {
  if (v === undefined) return [...CASE_IDS];
  const ids = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = ids.filter((s) => !(CASE_IDS as readonly string[]).includes(s));
  if (bad.length || ids.length === 0) throw new UsageError(`--only: expected some of ${CASE_IDS.join(',')}, got '${v}'`);
  return ids as CaseId[];
}

/** A fraction in (0, 1], as a decimal or a ratio: 0.25, 1/64. */
export function parseScale(v: string | undefined): number {
  if (v === undefined) return 1;
  const m = /^\s*([0-9.e-]+)\s*(?:\/\s*([0-9.e-]+)\s*)?$/.exec(v);
  const n = m ? Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2])) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new UsageError(`--scale: expected a fraction in (0, 1] such as 0.25 or 1/64, got '${v}'`);
  return n;
}

/** --max-wall: a duration (120s, 2min), in seconds. */
export function parseMaxWall(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  let ns: number;
  try {
    ns = parseDuration(v);
  } catch {
    throw new UsageError(`--max-wall: expected a duration such as 120s or 2min, got '${v}'`);
  }
  if (ns <= 0) throw new UsageError(`--max-wall: expected a duration above zero, got '${v}'`);
  return ns / 1e9;
}

/** A bar of first-touch faults done for each run, on a terminal only. */
function terminalProgress(): CaseProgress | undefined {
  if (!process.stderr.isTTY) return undefined;
  let bar: ReturnType<typeof createRunsProgress> | undefined;
  return {
    start(label, expect) {
      bar = createRunsProgress(expect, label);
    },
    update(faults) {
      bar?.update(faults);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

export function formatE2e(r: E2eBenchResult): string {
  const gib = (b: number) => (b / 2 ** 30).toFixed(2);
  // Whether a case's faults ran inside WASM (the fault batch) or in the model's machines, and why.
  const batch = (f: CaseFigures) => {
    const b = f.fault_batch;
    if (!b) return '';
    const moves = (b.conversions > 0 ? `; ${b.conversions} memory-fault exits converted inside` : '') +
      (b.vm_leaves > 0 ? `; VMs left it ${b.vm_leaves} times at memory-fault exits and joined ${b.vm_joins} times` : '');
    return b.faults > 0 ? `\n      fault batch: ${(b.faults / 1e6).toFixed(3)} M of the faults inside WASM (${b.vcpus} vCPUs${moves})` : b.refused ? `\n      fault batch: not used (${b.refused})` : '';
  };
  const line = (name: string, f: CaseFigures, extra = '') =>
    `  ${name.padEnd(34)} wall ${f.wall_s.toFixed(2)} s, ${(f.events / 1e6).toFixed(2)} M events (${(f.events_per_s / 1e6).toFixed(2)} M/s), ${(f.faults / 1e6).toFixed(3)} M faults (${(f.faults_per_s / 1e6).toFixed(3)} M/s), peak RSS ${gib(f.peak_rss_bytes)} GiB${extra}` +
    (f.stopped ? `\n      STOPPED at --max-wall ${f.stopped.max_wall_s} s after ${((f.stopped.done_fraction ?? 0) * 100).toFixed(1)}% of its faults: the whole run extrapolated to ${f.stopped.extrapolated_wall_s?.toFixed(0) ?? '?'} s (not measured)` : '') + batch(f);
  const out = [`e2e benchmark (${r.machine.cpu_model}, ${r.machine.cores} cores, Node ${r.machine.node_version}, load ${r.load_average.start[0]!.toFixed(1)}${r.scale === 1 ? '' : `; scale ${r.scale}: a check, not a result`}${r.vcpu_scheduler ? '; vCPUs under the vCPU scheduler' : ''})`];
  const c = r.cases;
  if (c.a) {
    out.push(line(`(a) vm-boot ${gib(c.a.vm_bytes)} GiB, 8 vCPUs`, c.a));
    out.push(`      bare fast paths ${(c.a.bare_faults_per_s / 1e6).toFixed(2)} M faults/s: simulated/bare ${c.a.ratio_to_bare.toFixed(3)} (target >= ${r.targets.a_ratio_to_bare})`);
  }
  if (c.b) {
    out.push(line(`(b) ${gib(c.b.host_bytes)} GiB host, ${c.b.vms} VMs`, c.b, c.b.compute_ns_per_fault ? `, ${c.b.compute_ns_per_fault.toFixed(0)} ns/fault` : ''));
    const walls = c.b.runs_wall_s ?? [];
    if (walls.length > 1) out.push(`      ${walls.length} runs, wall ${walls.map((w) => w.toFixed(2)).join(' / ')} s: the figures are the median run's`);
    const d = c.b.detail;
    if (d) {
      const levels = Object.entries(d.faults_by_level).map(([l, n]) => `${(n / 1e6).toFixed(3)} M at ${l}`).join(', ');
      const thp = d.thp_success_rate === null ? 'no huge folio tried' : `THP ${(d.thp_success_rate * 100).toFixed(1)}% of huge tries (fallbacks ${Object.entries(d.thp_fallbacks).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`;
      out.push(`      faults ${levels || 'none'}; ${thp}; ${d.memory_fault_exits} memory-fault exits, ${d.conversions} conversions, ${d.fault_retries} retries, ${d.fault_livelocks} faults given up (livelock)`);
    }
    out.push(`      WASM: ${c.b.wasm.length} instance(s), ${c.b.wasm.map((w) => `${gib(w.memory_bytes)} GiB (${gib(w.in_use_bytes)} in use)`).join(', ')}`);
  }
  if (c.c) out.push(line('(c) conversion-storm 16 GiB', c.c));
  if (c.d) {
    out.push(`  (d) ${c.d.trials} rounds over the sizes in rotating order; per size the median trial's figures, ns/fault median [min-max]`);
    for (const s of c.d.sizes) {
      out.push(line(`(d) vm-boot ${gib(s.vm_bytes)} GiB`, s, `, ${s.compute_ns_per_fault_median.toFixed(0)} ns/fault [${s.compute_ns_per_fault_min.toFixed(0)}-${s.compute_ns_per_fault_max.toFixed(0)}]`));
    }
    out.push(`      largest / smallest median ns per fault ${c.d.spread.toFixed(3)} (target <= ${r.targets.d_spread})`);
  }
  const judged = Object.entries(r.meets).filter(([, m]) => m !== null);
  if (judged.length) out.push(`  targets: ${judged.map(([k, m]) => `${k} ${m ? 'met' : 'NOT met'}`).join(', ')}`);
  return out.join('\n');
}

export async function e2eCommand(o: E2eCliOptions): Promise<void> {
  const only = parseOnly(o.only);
  const scale = parseScale(o.scale);
  const result = await runE2eBench({
    only,
    scale,
    trials: o.trials ?? D_TRIALS,
    bRuns: o.bRuns ?? B_RUNS,
    maxWallS: parseMaxWall(o.maxWall),
    vcpuScheduler: o.vcpuScheduler === true,
    log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`),
    progress: o.json ? undefined : terminalProgress(),
  });
  // A scaled-down run is a check of the command, not a result to keep.
  // So is one under the vCPU scheduler, which is off by default: an A/B, unless --out names a file.
  if (o.write !== false && ((scale === 1 && !o.vcpuScheduler) || o.out !== undefined)) writeResult(o.out ?? defaultE2eResultPath(), result);
  if (o.chart) {
    if (!result.cases.d) throw new UsageError('--chart draws case (d): include d in --only');
    const svg = await renderSvg(benchE2eSpec(result));
    writeFileAtomic(o.chart, o.chart.endsWith('.png') ? await svgToPng(svg) : svg);
  }
  process.stdout.write(o.json ? JSON.stringify(result) + '\n' : formatE2e(result) + '\n');
}
