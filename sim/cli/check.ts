// `rmsim check`: did my change make anything slower. Runs the baseline's workloads again, with
// the run options given here (the user's change: --profile, --set, --variant), and compares
// every latency statistic with the baseline. Exit 1 with a table of what regressed; JUnit XML
// with --junit; a Markdown summary appended to $GITHUB_STEP_SUMMARY when it is set.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { checkAll, parseBaseline, parseTolerance, type BaselineEntry } from '../run/check.js';
import { runSides } from '../run/compare-runs.js';
import type { BaseSpec } from '../run/replications.js';
import { loadWorkload } from '../workload/load.js';
import { canonicalize, stableStringify } from '../output/canonical-json.js';
import { checkJunit, checkMarkdown, checkSummary, failed } from '../output/check-table.js';
import { addExperimentOptions, experimentProgress, parseSeed, parseWorkers, writeOutputs, type RunOptionFlags } from './experiment-options.js';

interface CheckFlags extends RunOptionFlags {
  baseline: string;
  tolerance?: string;
  junit?: string;
  out: string;
  report: boolean;
}

/** The baseline's run with this check's options laid over it (the change under test). */
function currentSpec(e: BaselineEntry, flags: CheckFlags): BaseSpec {
  return {
    ...e.spec,
    sets: [...e.spec.sets, ...flags.set],
    ...(flags.variant !== undefined ? { variant: flags.variant } : {}),
    ...(flags.seed !== undefined ? { seed: parseSeed(flags.seed) } : {}),
    ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('check')
    .description('run the baseline\'s workloads again and fail (exit 1) on a latency regression')
    .argument('[workloads...]', 'check only these of the baseline\'s workloads (default: all)')
    .requiredOption('--baseline <file>', 'a baseline written by rmsim baseline')
    .option('--tolerance <pct>', 'growth allowed before a statistic counts as regressed, e.g. 5% (default 0: exact)')
    .option('--junit <file>', 'also write the result as JUnit XML')
    .option('--out <dir>', 'output folder for check.json and the check report', 'out/check')
    .option('--no-report', 'skip the HTML/SVG/PNG report');
  addExperimentOptions(cmd).addHelpText('after', `
A baseline of single runs is checked exactly (same seed: any growth beyond the tolerance
fails); a baseline of replications statistically (paired t-test, common random numbers: a
significant growth beyond the tolerance fails). Only latency statistics (mean, p50, p90, p99
of *_ns metrics) can regress. Exit codes: 0 no regression, 1 regression, 2 bad input.
Examples:
  rmsim baseline balloon conversion-storm --out baseline.json
  rmsim check --baseline baseline.json --tolerance 5% --junit check.xml
  rmsim check --baseline baseline.json --profile my-profile.json     # is my profile slower?`)
    .action(async (only: string[], flags: CheckFlags) => {
      const code = await checkCommand(only, flags);
      if (code !== 0) process.exitCode = code;
    });
}

async function checkCommand(only: string[], flags: CheckFlags): Promise<number> {
  if (!existsSync(flags.baseline)) throw new UsageError(`--baseline ${flags.baseline}: no such file (make one with rmsim baseline)`);
  const baseline = parseBaseline(readFileSync(flags.baseline, 'utf8'), flags.baseline);
  const tolerance = parseTolerance(flags.tolerance);
  const unknown = only.filter((w) => !baseline.entries.some((e) => e.spec.workload === w));
  if (unknown.length) throw new UsageError(`not in ${flags.baseline}: ${unknown.join(', ')} (it has ${baseline.entries.map((e) => e.spec.workload).join(', ')})`);
  const entries = only.length ? baseline.entries.filter((e) => only.includes(e.spec.workload)) : baseline.entries;
  const specs = entries.map((e) => ({ label: e.spec.workload, spec: currentSpec(e, flags) }));
  for (const s of specs) loadWorkload(s.spec.workload, { sets: s.spec.sets, variant: s.spec.variant, seed: s.spec.seed });
  const n = Math.max(...entries.map((e) => e.samples.length));
  if (entries.some((e) => e.samples.length !== n)) throw new UsageError(`${flags.baseline}: its workloads have different replication counts`);
  const progress = experimentProgress(flags);
  const docs = await runSides(specs, n, { workers: parseWorkers(flags.workers), onProgress: progress.onProgress });
  progress.stop();
  const result = checkAll({ ...baseline, entries }, docs.map((d) => d.doc), tolerance);
  const files: Array<{ path: string; data: string }> = [{ path: join(flags.out, 'check.json'), data: stableStringify(canonicalize(result)) + '\n' }];
  if (flags.junit) files.push({ path: flags.junit, data: checkJunit(result) });
  writeOutputs(files);
  if (flags.report) {
    const { writeCheckReport } = await import('../../reports/experiments/check-report.js'); // charts (vega, d3): only with a report
    const r = await writeCheckReport(result, flags.out, { baseline: flags.baseline, entries, current: docs.map((d) => d.doc) });
    for (const n of r.notes) process.stderr.write(`rmsim check: ${n}\n`);
  }
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, checkMarkdown(result) + '\n');
  if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else if (!flags.quiet || failed(result)) process.stdout.write(checkSummary(result) + '\n');
  return failed(result) ? 1 : 0;
}
