// `rmsim run`: load a workload (default vm-boot), run it, print the headline metrics and write
// metrics.json + run.json (and optionally CSV and a Perfetto trace) to --out. Nothing is
// written unless the run completes: every output is built in memory, then renamed into place.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../errors.js';
import { loadWorkload, DEFAULT_WORKLOAD, type LoadOptions } from '../workload/load.js';
import { replayWorkload } from '../workload/replay-workload.js';
import { startRun, type RunOutcome } from '../run/runner.js';
import type { Workload } from '../workload/types.js';
import { ChromeTraceWriter } from '../output/chrome-trace.js';
import { serializeMetricsDocument } from '../output/metrics-document.js';
import { buildRunInfo, serializeRunInfo } from '../output/run-info.js';
import { metricsToCsv } from '../output/csv.js';
import { summaryTable } from '../output/summary.js';
import { formatReplayReport } from '../output/replay-report.js';
import { formatDuration } from '../units.js';
import { packageRoot } from '../paths.js';
import { createProgress } from '../output/progress.js';
import { exitQuietlyOnClosedStdout } from '../output/quiet-epipe.js';
import type { MetricsDoc } from '../../reports/metrics-types.js';
import { baseSpecOf, experimentProgress, parseSeed, parseWorkers, writeOutputs } from './experiment-options.js';
import { parseReplications, runReplications } from '../run/replications.js';
import type { MetricsDocument } from '../output/metrics-document.js';
import { formatWarnings } from '../output/summary.js';
import { resolveProfile } from '../costs/profile.js';
import { localHost, otherHostNote } from '../costs/host-match.js';

interface RunFlags {
  variant?: string;
  set: string[];
  seed?: string;
  profile?: string;
  out: string;
  json?: boolean;
  csv?: boolean;
  traceOut?: string;
  checkSafety?: boolean;
  quiet?: boolean;
  report?: boolean;
  trace?: string;
  backend?: 'guest_memfd' | 'shmem' | 'both';
  replications?: string;
  workers?: string;
  /** false with --no-batching. */
  batching: boolean;
  vcpuScheduler?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** --seed (shared by the experiment commands). */
export { parseSeed };

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function register(program: Command): void {
  program
    .command('run')
    .description(`run a workload (built-in name or file; default ${DEFAULT_WORKLOAD}) and write metrics.json + run.json`)
    .argument('[workload]', 'built-in workload name (rmsim list) or a .yaml/.json file')
    .option('--variant <spec>', 'design variant, composed with + (e.g. v10+thp-always); see rmsim list')
    .option('--set <path=value>', 'override a workload field (repeatable): vms.count=4, host.thp=always, actors[0].rate=5k/s, variant.notifier=rwsem', collect, [])
    .option('--seed <n>', 'random seed (uint32); overrides the workload file')
    .option('--profile <name|file>', 'cost profile: a shipped name or a JSON file (default: the shipped profile)')
    .option('--out <dir>', 'output folder for metrics.json and run.json', 'out')
    .option('--json', 'print metrics.json to stdout (the summary table is not printed)')
    .option('--csv', 'also write every distribution, bucket, series and counter as CSV in <out>/csv/')
    .option('--trace-out <file>', 'write the run as Chrome/Perfetto trace-event JSON')
    .option('--check-safety', 'check the kernel safety properties during the run; a violation exits 1')
    .option('--report', 'also render <out>/report.html with SVG/PNG charts of every metric (see rmsim report)')
    .option('--quiet', 'no progress bar and no summary table')
    .option('--no-batching', 'send every wait through the engine\'s heap (slower; metrics.json is byte-identical: a check that batching changes nothing)')
    .option('--vcpu-scheduler', 'run every vCPU\'s waits under one scheduler (experimental and off by default: no faster yet; metrics.json is byte-identical)')
    .option('--replications <n>', 'run n replications (replication i draws every stream from (seed, i)) on worker threads and pool them; metrics.json keeps each replication\'s statistics', '1')
    .option('--workers <n>', 'with --replications: worker threads (default: the available CPUs); the bytes do not depend on it')
    .option('--trace <file.strace>', 'replay a VMM strace (strace -f -T -e trace=memfd_create,ftruncate,fallocate,ioctl)')
    .addOption(new Option('--backend <kind>', 'with --trace: replay the guest_memfd (default) or the shmem files of the trace, or both side by side').choices(['guest_memfd', 'shmem', 'both']))
    .addHelpText('after', `
Exit codes: 0 ok; 1 a safety violation (--check-safety) or processes stalled or livelocked at the end; 2 bad input.
Examples:
  rmsim run                                  # vm-boot, default variant, outputs in ./out
  rmsim run balloon --variant guest_memfd --out out/balloon-gmem
  rmsim run memslot-churn --check-safety --set duration=50ms
  rmsim run vm-boot --no-batching --out out/heap   # same metrics.json bytes as with batching
  rmsim run balloon --replications 10 --out out/balloon-x10
  rmsim run --trace test/fixtures/gmem_punch.strace --backend guest_memfd
  rmsim run --trace test/fixtures/gmem_punch.strace --backend both   # each traced file on its own backend`)
    .action(async (workloadArg: string | undefined, flags: RunFlags) => {
      const code = await runCommand(workloadArg, flags);
      if (code !== 0) process.exitCode = code;
    });
}

async function runCommand(workloadArg: string | undefined, flags: RunFlags): Promise<number> {
  exitQuietlyOnClosedStdout();
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  const loadOpts: LoadOptions = { sets: flags.set, variant: flags.variant, seed: parseSeed(flags.seed) };
  if (flags.backend && !flags.trace) {
    throw new UsageError(`--backend ${flags.backend}: only with --trace <file.strace>; a workload's backend is its variant's (--variant guest_memfd; both side by side: rmsim compare <workload> --variants v10,guest_memfd)`);
  }
  // Refuse an unusable --out before spending the run (a file where a folder must be).
  if (existsSync(flags.out) && !statSync(flags.out).isDirectory()) throw new UsageError(`--out ${flags.out}: expected a folder, found a file`);
  const replications = parseReplications(flags.replications);
  if (!flags.batching && replications > 1) throw new UsageError('--no-batching: only for a single run (not with --replications)');
  if (flags.vcpuScheduler && replications > 1) throw new UsageError('--vcpu-scheduler: only for a single run (not with --replications)');
  if (flags.vcpuScheduler && !flags.batching) throw new UsageError('--vcpu-scheduler runs batches: not with --no-batching');
  if (replications > 1) return runReplicatedCommand(workloadArg, flags, replications, startedAt, t0);
  let workload: Workload;
  if (flags.trace) {
    workload = replayWorkload(resolve(flags.trace), flags.backend ?? 'guest_memfd', workloadArg, loadOpts);
  } else {
    workload = loadWorkload(workloadArg, loadOpts);
  }

  const tracer = flags.traceOut ? new ChromeTraceWriter() : undefined;
  const run = await startRun({ workload, checkSafety: flags.checkSafety ?? false, tracer, profile: flags.profile, batching: flags.batching, vcpuScheduler: flags.vcpuScheduler ? {} : undefined });
  const profile = resolveProfile(flags.profile ?? workload.profile);
  const otherHost = otherHostNote(profile.name, profile.host, localHost());
  if (otherHost) process.stderr.write(`rmsim run: ${otherHost}\n`); // never in metrics.json: results do not depend on where they run

  // Progress only on a TTY and without --quiet/--json; the run advances in the same simulated-
  // time steps either way, so what is displayed never changes a result.
  const showProgress = !flags.quiet && !flags.json && process.stderr.isTTY === true;
  const progress = showProgress ? createProgress(run.horizonNs) : undefined;
  const wallStart = process.hrtime.bigint();
  while (run.step()) {
    if (progress) {
      const wallS = Number(process.hrtime.bigint() - wallStart) / 1e9;
      progress.update(run.simNowNs, run.events, wallS);
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  progress?.stop();
  const outcome: RunOutcome = run.finish();
  const simWallNs = Number(process.hrtime.bigint() - wallStart);
  const wallNs = Number(process.hrtime.bigint() - t0);

  // Build every output in memory, then write them (each one atomically).
  const metricsText = serializeMetricsDocument(outcome.metrics);
  const runInfo = buildRunInfo({
    command: ['rmsim', ...process.argv.slice(2)],
    startedAt,
    wallNs,
    simWallNs,
    events: outcome.events,
    workers: 1,
    workload: { name: workload.name, source: workload.source, sha256: outcome.workloadSha256 },
    profile: { name: outcome.profileName, sha256: outcome.profileSha256, ...(Object.keys(workload.costOverrides).length > 0 ? { overrides: workload.costOverrides } : {}) },
    variant: outcome.variantName,
    seed: workload.seed,
    metricsDigest: outcome.metrics.digest,
    outcome: outcome.violations.length ? 'safety_violation' : 'ok',
    rmsimVersion: version(),
    fastpathImpl: outcome.fastpathImpl,
    faultBatch: outcome.faultBatch,
  });
  const files: Array<{ path: string; data: string }> = [
    { path: join(flags.out, 'metrics.json'), data: metricsText },
    { path: join(flags.out, 'run.json'), data: serializeRunInfo(runInfo) },
  ];
  if (flags.csv) {
    for (const [name, data] of Object.entries(metricsToCsv(outcome.metrics.metrics))) files.push({ path: join(flags.out, 'csv', name), data });
  }
  if (tracer && flags.traceOut) {
    files.push({ path: flags.traceOut, data: tracer.serialize({ workload: workload.name, variant: outcome.variantName, seed: workload.seed }) });
  }
  writeOutputs(files);
  const written = await finishOutputs(files, outcome.metrics, flags);

  if (flags.json) {
    process.stdout.write(metricsText);
  } else if (!flags.quiet) {
    const o = process.stdout;
    o.write(`${workload.name} | variant ${outcome.variantName}${outcome.hypothetical ? ' (hypothetical)' : ''} | seed ${workload.seed} | simulated ${formatDuration(outcome.metrics.sim_end_ns)} | ${outcome.events} events in ${(wallNs / 1e9).toFixed(2)} s\n`);
    const fb = outcome.faultBatch;
    // Why a boot ran fast or slow: its first-touch faults inside WASM, or the reason they were not.
    if (fb !== null && fb.faults > 0) {
      const conv = fb.conversions > 0 ? `, with ${fb.conversions} memory-fault exits converted there` : '';
      const left = fb.vm_leaves > 0 ? `; VMs left it ${fb.vm_leaves} times to convert in the model's machines` : '';
      o.write(`fault batch: ${fb.faults} first-touch faults of ${fb.vcpus} vCPUs ran inside WASM${conv}${left}\n`);
    }
    else if (fb !== null && fb.refused !== null) o.write(`fault batch: not used (${fb.refused})\n`);
    o.write('\n');
    o.write(summaryTable(outcome.metrics.metrics) + '\n');
    if (outcome.metrics.warnings.length) o.write('\n' + formatWarnings(outcome.metrics.warnings) + '\n');
    if (outcome.replay) o.write('\n' + formatReplayReport(outcome.replay) + '\n');
    o.write(`\nwrote ${written.join(', ')}\n`);
  }
  if (outcome.violations.length) {
    process.stderr.write(`rmsim: safety violation${outcome.violations.length > 1 ? 's' : ''}:\n${outcome.violations.map((v) => `  ${v}`).join('\n')}\n`);
    if (outcome.firstViolationTrail) {
      const trail = outcome.firstViolationTrail.trimEnd().split('\n').slice(-16).join('\n');
      process.stderr.write(`last events before the first violation (all in metrics.json's safety section):\n${trail}\n`);
    }
    return 1;
  }
  return 0;
}


/** The report (with --report), after metrics.json and run.json are in place; the paths written. */
async function finishOutputs(files: Array<{ path: string }>, metrics: MetricsDocument, flags: RunFlags): Promise<string[]> {
  const written = files.map((f) => f.path);
  if (flags.report) {
    // The report's chart stack (vega, d3) loads only when a report is asked for.
    const { writeReport } = await import('../../reports/report.js');
    const r = await writeReport(metrics as unknown as MetricsDoc, flags.out);
    written.push(join(flags.out, 'report.html'));
    for (const n of r.notes) process.stderr.write(`rmsim run: ${n}\n`);
  }
  return written;
}

/** `rmsim run --replications n`: n runs on the worker pool, pooled into one metrics.json. */
async function runReplicatedCommand(workloadArg: string | undefined, flags: RunFlags, n: number, startedAt: Date, t0: bigint): Promise<number> {
  for (const [flag, given] of [['--trace', flags.trace], ['--trace-out', flags.traceOut], ['--check-safety', flags.checkSafety], ['--csv', flags.csv]] as const) {
    if (given) throw new UsageError(`${flag}: not with --replications (run a single replication for it)`);
  }
  const workload = loadWorkload(workloadArg, { sets: flags.set, variant: flags.variant, seed: parseSeed(flags.seed) });
  const workers = parseWorkers(flags.workers);
  const progress = experimentProgress(flags, 'replications');
  const { doc, results } = await runReplications(baseSpecOf(workloadArg ?? DEFAULT_WORKLOAD, flags), n, { workers, onProgress: progress.onProgress });
  progress.stop();
  const wallNs = Number(process.hrtime.bigint() - t0);
  const info = results[0].info!;
  const metricsText = serializeMetricsDocument(doc);
  const runInfo = buildRunInfo({
    command: ['rmsim', ...process.argv.slice(2)],
    startedAt,
    wallNs,
    simWallNs: results.reduce((a, r) => a + r.wallNs, 0),
    events: results.reduce((a, r) => a + r.events, 0),
    workers: Math.min(workers ?? availableParallelism(), n),
    workload: { name: workload.name, source: workload.source, sha256: info.workloadSha256 },
    profile: { name: info.profile, sha256: info.profileSha256, ...(Object.keys(info.costOverrides).length > 0 ? { overrides: info.costOverrides } : {}) },
    variant: info.variant,
    seed: info.seed,
    metricsDigest: doc.digest,
    outcome: 'ok',
    rmsimVersion: version(),
    fastpathImpl: info.fastpathImpl,
  });
  const files = [
    { path: join(flags.out, 'metrics.json'), data: metricsText },
    { path: join(flags.out, 'run.json'), data: serializeRunInfo(runInfo) },
  ];
  writeOutputs(files);
  const written = await finishOutputs(files, doc, flags);
  if (flags.json) {
    process.stdout.write(metricsText);
  } else if (!flags.quiet) {
    const o = process.stdout;
    o.write(`${workload.name} | variant ${info.variant}${info.hypothetical ? ' (hypothetical)' : ''} | seed ${info.seed} | ${n} replications pooled | ${(wallNs / 1e9).toFixed(2)} s\n\n`);
    o.write(summaryTable(doc.metrics) + '\n');
    if (doc.warnings.length) o.write('\n' + formatWarnings(doc.warnings) + '\n');
    o.write(`\nwrote ${written.join(', ')}\n`);
  }
  return 0;
}
