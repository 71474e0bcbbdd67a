// `rmsim baseline`: record what the workloads measure now, so `rmsim check` can tell later
// whether a change made anything slower. One run per workload (exact checks), or n
// replications (statistical checks).
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { baselineEntry, BASELINE_SCHEMA_ID, type Baseline } from '../run/check.js';
import { runSides } from '../run/compare-runs.js';
import { parseReplications } from '../run/replications.js';
import { loadWorkload } from '../workload/load.js';
import { canonicalize, stableStringify } from '../output/canonical-json.js';
import { addExperimentOptions, baseSpecOf, experimentProgress, parseSeed, parseWorkers, writeOutputs, type RunOptionFlags } from './experiment-options.js';

interface BaselineFlags extends RunOptionFlags {
  out: string;
  replications?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('baseline')
    .description('record the metrics of one or more workloads as a baseline for rmsim check')
    .argument('<workloads...>', 'built-in workload names or workload files')
    .requiredOption('--out <file>', 'the baseline file to write (JSON)')
    .option('--replications <n>', 'replications per workload: 1 (default) makes checks exact, more makes them statistical');
  addExperimentOptions(cmd).addHelpText('after', `
Examples:
  rmsim baseline balloon conversion-storm --out baseline.json
  rmsim baseline balloon --replications 10 --set duration=20ms --out baseline.json`)
    .action(async (workloads: string[], flags: BaselineFlags) => {
      if (new Set(workloads).size !== workloads.length) throw new UsageError('baseline: each workload once');
      for (const w of workloads) loadWorkload(w, { sets: flags.set, variant: flags.variant, seed: parseSeed(flags.seed) });
      const n = parseReplications(flags.replications);
      const specs = workloads.map((w) => ({ label: w, spec: baseSpecOf(w, flags) }));
      const progress = experimentProgress(flags);
      const docs = await runSides(specs, n, { workers: parseWorkers(flags.workers), onProgress: progress.onProgress });
      progress.stop();
      const baseline: Baseline = { schema: BASELINE_SCHEMA_ID, entries: docs.map((d, i) => baselineEntry(specs[i].spec, d.doc)) };
      const text = stableStringify(canonicalize(baseline)) + '\n';
      writeOutputs([{ path: flags.out, data: text }]);
      if (flags.json) process.stdout.write(text);
      else if (!flags.quiet) process.stdout.write(`baseline of ${workloads.join(', ')} (${n} replication${n > 1 ? 's' : ''} each) written to ${flags.out}\n`);
    });
}
