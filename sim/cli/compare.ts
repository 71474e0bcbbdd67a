// `rmsim compare`: is B faster than A, and is the difference real. Either finished runs
// (`rmsim compare out/a out/b`: any two metrics.json, replicated or not) or one workload run
// under several variants or profiles with common random numbers (`rmsim compare balloon
// --variants v10,notifier-rwsem`). Prints benchstat's table; writes compare.json and the
// compare report to --out.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { compareSides, sideOf, type Side } from '../run/compare.js';
import { runSides, type SideSpec } from '../run/compare-runs.js';
import { parseReplications } from '../run/replications.js';
import { loadWorkload } from '../workload/load.js';
import { serializeMetricsDocument, verifyMetricsDigest, type MetricsDocument } from '../output/metrics-document.js';
import { stableStringify, canonicalize } from '../output/canonical-json.js';
import { compareJsonRows, compareTable } from '../output/compare-table.js';
import { exitQuietlyOnClosedStdout } from '../output/quiet-epipe.js';
import { formatWarnings } from '../output/summary.js';
import { addExperimentOptions, baseSpecOf, experimentProgress, parseSeed, parseWorkers, writeOutputs, type RunOptionFlags } from './experiment-options.js';

interface CompareFlags extends RunOptionFlags {
  variants?: string;
  profiles?: string;
  replications?: string;
  out: string;
  report: boolean;
  all?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('compare')
    .description('compare finished runs, or run one workload under several variants or profiles, benchstat-style')
    .argument('<inputs...>', 'two or more run folders (or metrics.json files), or one workload with --variants/--profiles')
    .option('--variants <a,b[,c]>', 'run the workload under each variant (the first is the base)')
    .option('--profiles <a,b[,c]>', 'run the workload under each cost profile (name or JSON file; the first is the base)')
    .option('--replications <n>', 'replications per side, paired by common random numbers (default 10)')
    .option('--out <dir>', 'output folder for compare.json, the report and each side\'s metrics.json', 'out/compare')
    .option('--all', 'print every metric and statistic (default: significant changes and latencies\' mean, p50, p99)')
    .option('--no-report', 'skip the HTML/SVG/PNG report');
  addExperimentOptions(cmd).addHelpText('after', `
Each row: both sides' means with their 95% intervals, then the change of the mean with its
interval and p-value (paired t-test over replications run with common random numbers; Welch
when the sides were not replicated alike), or "~" when not significant at p < 0.05.
Examples:
  rmsim compare balloon --variants v10,notifier-rwsem --replications 10
  rmsim compare conversion-storm --profiles spr-pvm-6.18,my-profile.json --set duration=20ms
  rmsim run balloon --replications 10 --out out/a && rmsim run balloon --replications 10 --variant guest_memfd --out out/b
  rmsim compare out/a out/b --json`)
    .action(async (inputs: string[], flags: CompareFlags) => {
      exitQuietlyOnClosedStdout();
      await compareCommand(inputs, flags);
    });
}

function readRun(input: string): MetricsDocument {
  const path = existsSync(input) && statSync(input).isDirectory() ? join(input, 'metrics.json') : input;
  if (!existsSync(path)) throw new UsageError(`${input}: no metrics.json there`);
  let doc: MetricsDocument;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as MetricsDocument;
  } catch {
    throw new UsageError(`${path}: not JSON`);
  }
  if (doc.schema !== 'rmsim.metrics/1' || !verifyMetricsDigest(doc as unknown as Record<string, unknown>)) throw new UsageError(`${path}: not an rmsim metrics.json (or its digest does not match its content)`);
  return doc;
}

const isRun = (input: string) => existsSync(input) && (statSync(input).isDirectory() || input.endsWith('.json'));

function list(flag: string, s: string): string[] {
  const items = s.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length < 2) throw new UsageError(`${flag}: expected at least two, comma-separated, found ${JSON.stringify(s)}`);
  if (new Set(items).size !== items.length) throw new UsageError(`${flag}: each side once, found ${JSON.stringify(s)}`);
  return items;
}

/** The sides to run for `compare <workload> --variants|--profiles`. */
function sideSpecs(workload: string, flags: CompareFlags): SideSpec[] {
  if (!!flags.variants === !!flags.profiles) throw new UsageError('compare <workload>: give --variants a,b or --profiles a,b (one of them)');
  if (flags.variants && flags.variant) throw new UsageError('--variant: not with --variants (each side names its variant)');
  if (flags.profiles && flags.profile) throw new UsageError('--profile: not with --profiles (each side names its profile)');
  const base = baseSpecOf(workload, flags);
  if (flags.variants) return list('--variants', flags.variants).map((v) => ({ label: v, spec: { ...base, variant: v } }));
  return list('--profiles', flags.profiles!).map((p) => ({ label: basename(p).replace(/\.json$/, ''), spec: { ...base, profile: p } }));
}

async function compareCommand(inputs: string[], flags: CompareFlags): Promise<void> {
  let sides: Side[];
  const files: Array<{ path: string; data: string }> = [];
  if (inputs.length >= 2 && inputs.every(isRun)) {
    if (flags.variants || flags.profiles || flags.replications) throw new UsageError('--variants/--profiles/--replications: only when comparing a workload, not finished runs');
    const labels = inputs.map((i) => basename(i.replace(/\/+$/, '')).replace(/\.json$/, ''));
    const unique = new Set(labels).size === labels.length;
    sides = inputs.map((input, i) => sideOf(unique ? labels[i] : input, readRun(input)));
  } else {
    if (inputs.length !== 1) throw new UsageError(`compare: expected run folders (found none at ${inputs.filter((i) => !isRun(i)).join(', ')}) or one workload`);
    const specs = sideSpecs(inputs[0], flags);
    // Bad input (workload, --set, each variant or profile) is refused before any run starts.
    for (const s of specs) loadWorkload(s.spec.workload, { sets: s.spec.sets, variant: s.spec.variant, seed: parseSeed(flags.seed) });
    const n = parseReplications(flags.replications, 10);
    const progress = experimentProgress(flags);
    const docs = await runSides(specs, n, { workers: parseWorkers(flags.workers), onProgress: progress.onProgress });
    progress.stop();
    sides = docs.map((d) => sideOf(d.label, d.doc));
    for (const d of docs) files.push({ path: join(flags.out, 'sides', d.label.replace(/[^A-Za-z0-9._+-]/g, '_'), 'metrics.json'), data: serializeMetricsDocument(d.doc) });
  }
  const doc = compareSides(sides);
  files.push({ path: join(flags.out, 'compare.json'), data: stableStringify(canonicalize(doc)) + '\n' });
  const text = compareTable(doc, flags.all);
  files.push({ path: join(flags.out, 'compare.txt'), data: compareTable(doc, true) + '\n' });
  writeOutputs(files);
  const written = files.map((f) => f.path);
  if (flags.report) {
    const { writeCompareReport } = await import('../../reports/experiments/compare-report.js'); // charts (vega, d3): only with a report
    const r = await writeCompareReport(doc, sides.map((s) => ({ label: s.label, doc: s.doc })), flags.out);
    written.push(r.files[0]);
    for (const n of r.notes) process.stderr.write(`rmsim compare: ${n}\n`);
  }
  if (flags.json) process.stdout.write(JSON.stringify(compareJsonRows(doc), null, 2) + '\n');
  else if (!flags.quiet) {
    const warnings = doc.sides.flatMap((s) => s.warnings.map((w) => ({ ...w, message: `${s.label}: ${w.message}` })));
    process.stdout.write(`${text}\n${warnings.length ? '\n' + formatWarnings(warnings) + '\n' : ''}\nwrote ${written.join(', ')}\n`);
  }
}
