// `rmsim bench fastpath [--json] [--scale x] [--reps n] [--no-ref] [--no-c]`: runs the fast-path
// benchmark, writes bench/results/fastpath-<make>.json (unless --no-write) and prints a table or JSON.
import { UsageError } from '../../sim/errors.js';
import { defaultFastpathResultPath, runFastpathBench, writeResult, type FastpathBenchResult } from './run.js';

export interface FastpathCliOptions {
  json?: boolean;
  scale?: string;
  reps?: string;
  ref?: boolean;
  c?: boolean;
  write?: boolean;
  out?: string;
}

function num(name: string, v: string | undefined, dflt: number, ok: (n: number) => boolean): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`--${name}: bad value '${v}'`);
  return n;
}

/** One row per operation: ns/op per implementation and the ratios the targets use. */
export function formatTable(r: FastpathBenchResult): string {
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
  const lines = [
    `fast-path benchmark, ns/op (scale ${r.scale}, best of ${r.reps}; ${r.machine.cpu_model}, ${r.machine.cores} cores, Node ${r.machine.node_version}, load ${r.load_average.start[0]!.toFixed(1)})`,
    `${'op'.padEnd(28)}${'wasm'.padStart(11)}${'wasm<-ts'.padStart(11)}${'batch<-ts'.padStart(11)}${'ts'.padStart(11)}${'ref'.padStart(11)}${'c'.padStart(11)}`,
  ];
  for (const [name, o] of Object.entries(r.ops)) {
    lines.push(`${name.padEnd(28)}${f(o.wasm_ns).padStart(11)}${f(o.wasm_from_ts_ns).padStart(11)}${f(o.wasm_batch_ns).padStart(11)}${f(o.ts_ns).padStart(11)}${f(o.ref_ns).padStart(11)}${f(o.c_ns).padStart(11)}`);
  }
  if ('ops' in r.c) {
    const t = r.c;
    lines.push(`wasm / c (${t.cc}, ${t.flags.join(' ')}), median of the per-pair ratios [min, max], ${t.rounds} rounds x ${t.pieces} pairs:`);
    for (const [name, o] of Object.entries(t.ops)) lines.push(`  ${name.padEnd(26)}${o.ratio.median.toFixed(3)} [${o.ratio.min.toFixed(2)}, ${o.ratio.max.toFixed(2)}]`);
    const bad = Object.entries(t.results_match).filter(([, ok]) => !ok).map(([k]) => k);
    if (bad.length) lines.push(`  C and WASM results DIFFER: ${bad.join(', ')}`);
  } else {
    lines.push(`C reference: ${r.c.note}`);
  }
  lines.push(`bytes/page: all structures at 4 KiB ${r.bytes_per_page.all_structures_4k!.toFixed(2)}, with THP ${r.bytes_per_page.all_structures_thp!.toFixed(2)}; 1 TiB host fully at 4 KiB ~ ${(r.memory.host_1tib_fully_populated_4k_estimate_bytes! / 2 ** 30).toFixed(2)} GiB`);
  const missed = Object.entries(r.targets).filter(([, t]) => t.met === false).map(([k, t]) => `${k} (${t.value?.toFixed(2)} vs ${t.target})`);
  lines.push(missed.length ? `targets NOT met: ${missed.join('; ')}` : 'all targets met');
  return lines.join('\n');
}

export function fastpathCommand(o: FastpathCliOptions): void {
  const result = runFastpathBench({
    scale: num('scale', o.scale, 1, (n) => n > 0 && n <= 1),
    reps: num('reps', o.reps, 3, (n) => Number.isInteger(n) && n >= 1 && n <= 20),
    ref: o.ref !== false,
    c: o.c !== false,
    log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`),
  });
  if (o.write !== false) writeResult(o.out ?? defaultFastpathResultPath(), result);
  process.stdout.write(o.json ? JSON.stringify(result) + '\n' : formatTable(result) + '\n');
}
