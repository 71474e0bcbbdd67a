// `rmsim bench e2e [--json] [--only a,b,c,d] [--scale x] [--chart out.png]`: runs the end-to-end
// benchmark (run.ts), writes bench/results/e2e.json (at scale 1, unless --no-write) and prints a
// summary or JSON; --chart draws case (d).
import { UsageError } from '../../sim/errors.js';
import { renderSvg, svgToPng } from '../../reports/render.js';
import { writeFileAtomic } from '../../sim/output/atomic-write.js';
import { writeResult } from '../engine/run.js';
import { CASE_IDS, type CaseId } from './cases.js';
import { benchE2eSpec } from './chart-spec.js';
import { defaultE2eResultPath, runE2eBench, type CaseFigures, type E2eBenchResult } from './run.js';

export interface E2eCliOptions {
  json?: boolean;
  only?: string;
  scale?: string;
  write?: boolean;
  out?: string;
  chart?: string;
}

export function parseOnly(v: string | undefined): CaseId[] {
  if (v === undefined) return [...CASE_IDS];
  const ids = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = ids.filter((s) => !(CASE_IDS as readonly string[]).includes(s));
  if (bad.length || ids.length === 0) throw new UsageError(`--only: expected some of ${CASE_IDS.join(',')}, got '${v}'`);
  return ids as CaseId[];
}

function parseScale(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new UsageError(`--scale: expected a fraction in (0, 1], got '${v}'`);
  return n;
}

export function formatE2e(r: E2eBenchResult): string {
  const gib = (b: number) => (b / 2 ** 30).toFixed(2);
  const line = (name: string, f: CaseFigures) =>
    `  ${name.padEnd(34)} wall ${f.wall_s.toFixed(2)} s, ${(f.events / 1e6).toFixed(2)} M events (${(f.events_per_s / 1e6).toFixed(2)} M/s), ${(f.faults / 1e6).toFixed(3)} M faults (${(f.faults_per_s / 1e6).toFixed(3)} M/s), peak RSS ${gib(f.peak_rss_bytes)} GiB`;
  const out = [`e2e benchmark (${r.machine.cpu_model}, ${r.machine.cores} cores, Node ${r.machine.node_version}, load ${r.load_average.start[0]!.toFixed(1)}${r.scale === 1 ? '' : `; scale ${r.scale}: a check, not a result`})`];
  const c = r.cases;
  if (c.a) {
    out.push(line(`(a) vm-boot ${gib(c.a.vm_bytes)} GiB, 8 vCPUs`, c.a));
    out.push(`      bare fast paths ${(c.a.bare_faults_per_s / 1e6).toFixed(2)} M faults/s: simulated/bare ${c.a.ratio_to_bare.toFixed(3)} (target >= ${r.targets.a_ratio_to_bare})`);
  }
  if (c.b) out.push(line('(b) 1 TiB host, 64 VMs', c.b));
  if (c.c) out.push(line('(c) conversion-storm 16 GiB', c.c));
  if (c.d) {
    for (const s of c.d.sizes) out.push(line(`(d) vm-boot ${gib(s.vm_bytes)} GiB`, s) + `, ${s.compute_ns_per_fault?.toFixed(0)} ns/fault`);
    out.push(`      largest / smallest ns per fault ${c.d.spread.toFixed(3)} (target <= ${r.targets.d_spread})`);
  }
  const judged = Object.entries(r.meets).filter(([, m]) => m !== null);
  if (judged.length) out.push(`  targets: ${judged.map(([k, m]) => `${k} ${m ? 'met' : 'NOT met'}`).join(', ')}`);
  return out.join('\n');
}

export async function e2eCommand(o: E2eCliOptions): Promise<void> {
  const only = parseOnly(o.only);
  const scale = parseScale(o.scale);
  const result = runE2eBench({ only, scale, log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`) });
  // A scaled-down run is a check of the command, not a result to keep.
  if (o.write !== false && (scale === 1 || o.out !== undefined)) writeResult(o.out ?? defaultE2eResultPath(), result);
  if (o.chart) {
    if (!result.cases.d) throw new UsageError('--chart draws case (d): include d in --only');
    const svg = await renderSvg(benchE2eSpec(result));
    writeFileAtomic(o.chart, o.chart.endsWith('.png') ? await svgToPng(svg) : svg);
  }
  process.stdout.write(o.json ? JSON.stringify(result) + '\n' : formatE2e(result) + '\n');
}
