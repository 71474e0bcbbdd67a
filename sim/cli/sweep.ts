// `rmsim sweep`: a workload over a grid of parameter values (or a bisection with --search), on
// the worker pool; sweep.json (deterministic) and run.json (timing, workers) in --out, or with
// --shard i/N one slice's shard.json for `rmsim merge`. With --slo, the capacity knee per variant.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { positiveInt } from './options.js';
import { parseSeed } from './run.js';
import { parseAxes } from '../run/grid.js';
import { parseSlo } from '../run/knee.js';
import { parseSearch } from '../run/search.js';
import { parseShard, planSweep, type SweepRequest } from '../run/sweep-plan.js';
import { runShard, runSweep, type SweepExecOptions } from '../run/sweep.js';
import { runSearch } from '../run/sweep-search.js';
import { serializeSweepDocument, type SweepDocument } from '../run/sweep-aggregate.js';
import { serializeShardFile, SHARD_FILE } from '../run/sweep-shard.js';
import { serializeSweepRunInfo } from '../run/sweep-run-info.js';
import { sweepSummary } from '../run/sweep-summary.js';
import { writeFileAtomic } from '../output/atomic-write.js';
import { exitQuietlyOnClosedStdout } from '../output/quiet-epipe.js';
import cliProgress from 'cli-progress';

interface SweepFlags {
  param: string[];
  variants?: string;
  variant?: string;
  replications?: string;
  workers?: string;
  shard?: string;
  slo?: string;
  search?: string;
  set: string[];
  seed?: string;
  profile?: string;
  out: string;
  json?: boolean;
  quiet?: boolean;
  report?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  program
    .command('sweep')
    .description('run a workload over a grid of parameter values (or bisect for the capacity knee) and write sweep.json')
    .argument('<workload>', 'built-in workload name (rmsim list) or a .yaml/.json file')
    // What to sweep.
    .option('--param <path=values>', 'a swept field (repeatable): vms.count=1,2,4,8 | vms.count=1..8 | vms.count=4..32+4 | vms.count=1..256*2', collect, [])
    .option('--variants <a,b>', 'run every point under each variant (common random numbers across them)')
    .option('--replications <n>', 'replications per point (replication i draws every stream from (seed, i))', '1')
    .option('--slo <metric.stat<=value>', "service-level objective, e.g. 'fault.latency_ns.p99<=50us': report the capacity knee")
    .option('--search <path=lo..hi>', 'find the knee by bisection over whole numbers (needs --slo; instead of --param)')
    // How to run it: nothing here changes sweep.json.
    .option('--workers <k>', 'worker threads (results do not depend on it)')
    .option('--shard <i/N>', 'run only slice i of N (1-based) and write shard.json for rmsim merge')
    // The run options, as rmsim run takes them.
    .option('--variant <spec>', 'the one variant to run (when --variants is not given)')
    .option('--set <path=value>', 'override a workload field for every point (repeatable)', collect, [])
    .option('--seed <n>', 'base seed every point seed derives from (default: the workload file)')
    .option('--profile <name|file>', 'cost profile: a shipped name or a JSON file')
    // Outputs.
    .option('--out <dir>', 'output folder', 'out/sweep')
    .option('--json', 'print sweep.json to stdout instead of the table')
    .option('--report', 'also render <out>/report.html with SVG/PNG charts')
    .option('--quiet', 'no progress and no table')
    .addHelpText('after', `
Exit codes: 0 ok; 2 bad input. Knee: the largest value up to which every point meets the SLO
with no run saturated (a saturated host hides latency), with the interval the replications give.
Examples:
  rmsim sweep balloon --param vms.count=1,2,4,8 --slo 'fault.latency_ns.p99<=50us'
  rmsim sweep balloon --param vms.count=1..8 --variants v10,notifier-rwsem --replications 5 --report
  rmsim sweep balloon --search vms.count=1..64 --slo 'fault.latency_ns.p99<=50us' --replications 3
  rmsim sweep balloon --param vms.count=1..8 --shard 2/3 --out out/shard2   # then: rmsim merge out/shard* --out out/sweep`)
    .action(async (workload: string, flags: SweepFlags) => {
      await sweepCommand(workload, flags);
    });
}

function parseVariants(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  const list = s.split(',').map((v) => v.trim());
  if (list.some((v) => v === '')) throw new UsageError(`--variants: expected names separated by commas (e.g. v10,notifier-rwsem), found ${JSON.stringify(s)}`);
  if (new Set(list).size !== list.length) throw new UsageError(`--variants: a variant is listed twice in ${JSON.stringify(s)}`);
  return list;
}

async function sweepCommand(workload: string, flags: SweepFlags): Promise<void> {
  exitQuietlyOnClosedStdout();
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  if (existsSync(flags.out) && !statSync(flags.out).isDirectory()) throw new UsageError(`--out ${flags.out}: expected a folder, found a file`);
  if (flags.variants !== undefined && flags.variant !== undefined) throw new UsageError('--variant and --variants: give one (--variants a,b runs each)');
  if (flags.search !== undefined && flags.shard !== undefined) throw new UsageError('--search and --shard: a bisection runs its rounds one after another; shard a --param grid instead');
  if (flags.search === undefined && flags.param.length === 0) throw new UsageError('expected at least one --param path=values (or --search path=lo..hi with --slo)');
  const req: SweepRequest = {
    workload,
    sets: flags.set,
    axes: parseAxes(flags.param),
    variants: parseVariants(flags.variants),
    variant: flags.variant,
    replications: positiveInt('replications', flags.replications, 1),
    seed: parseSeed(flags.seed),
    profile: flags.profile,
    slo: flags.slo === undefined ? undefined : parseSlo(flags.slo),
  };
  const workers = flags.workers === undefined ? undefined : positiveInt('workers', flags.workers, 1);
  const progress = !flags.quiet && !flags.json && process.stderr.isTTY === true ? createRunsProgress() : undefined;
  const exec: SweepExecOptions = { workers, onProgress: progress?.update };
  const command = ['rmsim', ...process.argv.slice(2)];
  const runInfo = (fingerprint: string, extra: { shard: string | null; sweepDigest?: string; stats: Awaited<ReturnType<typeof runSweep>>['stats'] }) =>
    serializeSweepRunInfo({ command, startedAt, wallNs: Number(process.hrtime.bigint() - t0), workers: workers ?? null, fingerprint, ...extra });

  if (flags.shard !== undefined) {
    const shard = parseShard(flags.shard);
    const plan = planSweep(req);
    const { file, stats } = await runShard(plan, shard, exec);
    progress?.stop();
    writeOut(join(flags.out, SHARD_FILE), serializeShardFile(file));
    writeOut(join(flags.out, 'run.json'), runInfo(plan.fingerprint, { shard: `${shard.index}/${shard.count}`, stats }));
    if (!flags.quiet && !flags.json) process.stdout.write(`shard ${shard.index}/${shard.count}: ${file.runs.length} of ${plan.runs.length} runs; wrote ${join(flags.out, SHARD_FILE)} (merge with: rmsim merge <shard folders> --out <dir>)\n`);
    return;
  }

  const { document, stats } = flags.search !== undefined ? await runSearch(req, parseSearch(flags.search), exec) : await runSweep(planSweep(req), exec);
  progress?.stop();
  await writeSweepOutputs(document, flags, runInfo(document.fingerprint, { shard: null, sweepDigest: document.digest, stats }));
}

/** Runs done of total with an ETA, on stderr (callers create it on a TTY only). */
function createRunsProgress(): { update: (done: number, total: number) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({ format: 'runs {value}/{total} |{bar}| {percentage}% | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(total, 0);
      started = true;
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export function writeOut(path: string, data: string): void {
  try {
    writeFileAtomic(path, data);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    throw new UsageError(`cannot write ${path}: ${code}`);
  }
}

/** sweep.json, run.json, the optional report, and what is printed (shared with rmsim merge). */
export async function writeSweepOutputs(document: SweepDocument, flags: { out: string; json?: boolean; quiet?: boolean; report?: boolean }, runJson: string): Promise<void> {
  const text = serializeSweepDocument(document);
  writeOut(join(flags.out, 'sweep.json'), text);
  writeOut(join(flags.out, 'run.json'), runJson);
  const written = [join(flags.out, 'sweep.json'), join(flags.out, 'run.json')];
  if (flags.report) {
    const { writeSweepReport } = await import('../../reports/experiments/sweep-report.js'); // charts (vega, d3): only with a report
    const r = await writeSweepReport(document, flags.out);
    written.push(r.files[0]);
    for (const n of r.notes) process.stderr.write(`rmsim: ${n}\n`);
  }
  if (flags.json) process.stdout.write(text);
  else if (!flags.quiet) process.stdout.write(`${sweepSummary(document)}\n\nwrote ${written.join(', ')}\n`);
}
