// `rmsim validate`: run composite sequences on the real kernel (bench/kernel-probe/'s executor)
// and in the simulator under a profile, and print predicted against measured with the error of
// each, the median and worst absolute error, and (with --out) the validation report. With
// --calibrate, calibration runs in the same run, in rounds interleaved with the sequences
// (sim/calibrate/interleaved.ts), and the profile fitted from the probe rows is validated. With
// --trace, the sequence is an strace's fallocate calls, compared per call and in total.
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../errors.js';
import { parseProfile, resolveProfile, type CostProfile } from '../costs/profile.js';
import { formatProfile } from '../costs/format-profile.js';
import { localHost, otherHostNote } from '../costs/host-match.js';
import { fitProfileRounds } from '../calibrate/fit-profile.js';
import { pooledExecutor, runInterleaved } from '../calibrate/interleaved.js';
import type { KernelSequence } from '../calibrate/types.js';
import { validationSuite } from '../calibrate/sequences.js';
import { compareSequence, recordedExecutor, runValidation, type RecordedValidation, type SequenceComparison, type ValidationSummary } from '../calibrate/validate.js';
import { readFileSync } from 'node:fs';
import { simulateSequence } from '../calibrate/simulate-sequence.js';
import { traceToSequence } from '../calibrate/trace-sequence.js';
import { readStrace } from '../replay/strace.js';
import { interpretTrace, type TraceBackend } from '../replay/interpret.js';
import { writeFileAtomic } from '../output/atomic-write.js';
import { positiveInt } from './options.js';
import { executeOnKernel, guestMemfdMissing, probeKernel } from './kernel-probe.js';
import type { ValidationReportInfo } from '../../reports/validation.js';

interface ValidateFlags {
  profile?: string;
  json?: boolean;
  quiet?: boolean;
  reps?: string;
  out?: string;
  only?: string;
  trace?: string;
  backend?: TraceBackend;
  measured?: string;
  calibrate?: boolean;
  rounds?: string;
  fullProbe?: boolean;
}

const pct = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const us = (ns: number) => (ns / 1e3).toFixed(1);

export function register(program: Command): void {
  program
    .command('validate')
    .description('predicted against measured: composite sequences (or an strace with --trace) on the real kernel and in the simulator')
    .option('--profile <name|file>', 'cost profile to validate (default: the shipped profile)')
    .option('--reps <n>', 'repetitions of each sequence on the kernel, over all rounds (with --calibrate: per round) (default: 12, with --calibrate 3, with --trace 5)')
    .option('--only <names>', 'comma-separated sequence names (default: the whole suite)')
    .option('--out <dir>', 'write validation.json and the report (validation.html, charts/*.svg|png) here')
    .option('--trace <file.strace>', 'validate an strace of fallocate calls instead of the suite')
    .addOption(new Option('--backend <kind>', 'with --trace: which files of the trace to replay').choices(['guest_memfd', 'shmem']))
    .option('--measured <validation.json>', 'take the kernel side from an earlier validation.json instead of running the sequences (no cc or /dev/kvm needed)')
    .option('--calibrate', 'calibrate in the same run: probe rounds interleaved with the sequences, the profile fitted from the probe rows only (--profile is then the base whose unreachable costs are kept); with --out also writes profile.json and probe-recording.json')
    .option('--rounds <k>', 'passes over the suite, the repetitions shared out between them (default 3); with --calibrate: rounds of (probe, every sequence) (default 4)')
    .option('--full-probe', "with --calibrate: each round runs the whole probe (about 80 s a round) instead of --quick's (about 20 s)")
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'no progress')
    .addHelpText('after', `
Needs cc; the guest_memfd sequences need /dev/kvm (skipped with the reason without it).
A sequence's figure, measured and predicted, is the sum over its ops of each op's median over the
repetitions (robust to an op that lost its CPU and to a repetition in a slow spell of the host).
"reps range" is how far whole repetitions' totals moved about their median; "figure CI" the 95%
bootstrap confidence interval of the measured figure: the noise floor to read each error
against is the median of its width over the sequences.
Examples:
  rmsim validate --calibrate --out validation/       # calibrate and validate in one run (about 2 min)
  rmsim calibrate --out my-host.json && rmsim validate --profile my-host.json --out validation/
  rmsim validate --only shmem-two-punchers-2m,gmem-two-punchers-2m
  rmsim validate --profile refit.json --measured validation/validation.json   # same kernel runs, new profile
  rmsim validate --trace vmm.strace --backend guest_memfd --json`)
    .action(async (flags: ValidateFlags) => {
      const profile = resolveProfile(flags.profile);
      const reps = positiveInt('reps', flags.reps, flags.calibrate ? 3 : flags.trace ? 5 : 12);
      const log = (s: string) => {
        if (!flags.quiet && !flags.json) process.stderr.write(`${s}\n`);
      };
      if (flags.backend && !flags.trace) throw new UsageError('--backend: only with --trace <file.strace>');
      // The kernel side runs here (not with --measured, whose recording names its own host; not
      // with --calibrate, which fits this host's profile): say when the profile is another host's.
      const otherHost = flags.measured || flags.calibrate ? undefined : otherHostNote(profile.name, profile.host, localHost());
      if (otherHost && !flags.quiet) process.stderr.write(`rmsim validate: ${otherHost}\n`);
      if (flags.trace) {
        if (flags.calibrate) throw new UsageError('--calibrate: not with --trace (calibrate first, then validate the trace with --profile)');
        return validateTrace(flags, profile, reps);
      }
      let seqs = validationSuite();
      if (flags.only) {
        const names = flags.only.split(',').map((s) => s.trim());
        for (const n of names) if (!seqs.some((s) => s.name === n)) throw new UsageError(`--only: no sequence '${n}' (known: ${seqs.map((s) => s.name).join(', ')})`);
        seqs = seqs.filter((s) => names.includes(s.name));
      }
      if (flags.calibrate) {
        if (flags.measured) throw new UsageError('--calibrate: not with --measured (the point is measuring both in one run)');
        return validateCalibrated(flags, seqs, profile, reps, log);
      }
      const rec = flags.measured ? readRecorded(flags.measured) : undefined;
      if (rec && !flags.only) seqs = seqs.filter((s) => rec.sequences.some((r) => r.name === s.name));
      const why = rec ? undefined : await guestMemfdMissing();
      const execute = rec ? recordedExecutor(rec, flags.measured!) : executeOnKernel;
      const rounds = rec ? 1 : positiveInt('rounds', flags.rounds, 3);
      const v = await runValidation(seqs, profile, execute, { reps, rounds, kvm: !why, kvmWhy: why, onProgress: (i, n, name) => log(`[${i}/${n}] ${name}`) });
      await reportValidation(flags, v, profileInfo(profile, rec ? { measured: { from: flags.measured!, host: rec.host ?? null, date: rec.date ?? null } } : {}), reps, log);
    });
}

function profileInfo(profile: CostProfile, more: Partial<ValidationReportInfo> & Record<string, unknown>): ValidationReportInfo & Record<string, unknown> {
  return { profile: profile.name, host: `${profile.host.cpu}, ${profile.host.kernel}`, date: new Date().toISOString(), ...more };
}

/** Prints (and with --out writes) a validation: validation.json, the report, the summary. */
async function reportValidation(flags: ValidateFlags, v: ValidationSummary, info: ValidationReportInfo & Record<string, unknown>, reps: number, log: (s: string) => void): Promise<void> {
  for (const s of v.skipped) log(`${s.what}: skipped: ${s.why}`);
  if (flags.out) {
    writeFileAtomic(join(flags.out, 'validation.json'), JSON.stringify({ ...info, reps, ...v }, null, 1) + '\n');
    const { writeValidationReport } = await import('../../reports/validation.js'); // charts (vega, d3): only with a report
    const r = await writeValidationReport(v, { ...info, reps }, flags.out);
    for (const n of r.notes) log(n);
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ...info, reps, ...v }) + '\n');
    return;
  }
  process.stdout.write(formatSummary(v) + '\n');
}

/**
 * --calibrate: rounds of (the probe, every sequence), the probe rows of all rounds fitted into a
 * profile (on top of `base`), that profile validated against the rounds' pooled repetitions.
 */
async function validateCalibrated(flags: ValidateFlags, seqs: KernelSequence[], base: CostProfile, repsPerRound: number, log: (s: string) => void): Promise<void> {
  const rounds = positiveInt('rounds', flags.rounds, 4);
  const why = await guestMemfdMissing();
  const command = ['rmsim', ...process.argv.slice(2)].join(' ');
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(0);
  const run = await runInterleaved(seqs, { probe: () => probeKernel({ quick: !flags.fullProbe, command }), execute: executeOnKernel }, {
    rounds, repsPerRound, kvm: !why, command,
    onStep: (r, n, what) => log(`round ${r + 1}/${n}: ${what === 'probe' ? `probe${flags.fullProbe ? '' : ' --quick'}` : what} (${secs()} s)`),
  });
  for (const s of run.recording.skipped) log(`probe skipped: ${s.what}: ${s.why}`);
  const fit = fitProfileRounds(run.rounds, base.file);
  const profile = parseProfile(fit.profile, `fitted profile ${fit.profile.name}`);
  log(`${profile.name}: ${fit.fitted.length} costs fitted from ${run.recording.rows.length} probe rows of ${rounds} rounds, ${fit.kept.length} kept from ${base.name} (${secs()} s)`);
  for (const n of fit.notFitted) log(`not fitted (kept): ${n.costs.join(', ')}: ${n.why}`);
  if (flags.out) {
    writeFileAtomic(join(flags.out, 'profile.json'), formatProfile(fit.profile));
    writeFileAtomic(join(flags.out, 'probe-recording.json'), JSON.stringify(run.rounds) + '\n');
  }
  const v = await runValidation(seqs, profile, pooledExecutor(run), { reps: rounds * repsPerRound, kvm: !why, kvmWhy: why });
  const calibrated = { rounds, reps_per_round: repsPerRound, probe: flags.fullProbe ? 'full' : 'quick', probe_rows: run.recording.rows.length, fitted: fit.fitted.length, kept: fit.kept.length, base: base.name, seconds: Number(secs()) };
  await reportValidation(flags, v, profileInfo(profile, { calibrated }), rounds * repsPerRound, log);
}

function readRecorded(path: string): RecordedValidation {
  let doc: RecordedValidation;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as RecordedValidation;
  } catch (e) {
    throw new UsageError(`--measured ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(doc.sequences)) throw new UsageError(`--measured ${path}: not a validation.json (no sequences)`);
  return doc;
}

/** The repetitions' totals as a range about their median ("-4.0%..+6.1%"), '-' without them. */
function repsRange(s: SequenceComparison): string {
  const r = s.measured_reps;
  if (!r || !(r.median_ns > 0)) return '-';
  return `${pct((r.min_ns - r.median_ns) / r.median_ns)}..${pct((r.max_ns - r.median_ns) / r.median_ns)}`;
}

/** The measured figure's confidence interval about it ("-1.0%..+2.1%"), '-' without it. */
function figureCi(s: SequenceComparison): string {
  const r = s.measured_reps;
  if (!r || !(s.measured_ns > 0) || r.ci_low_ns === undefined || r.ci_high_ns === undefined) return '-';
  return `${pct((r.ci_low_ns - s.measured_ns) / s.measured_ns)}..${pct((r.ci_high_ns - s.measured_ns) / s.measured_ns)}`;
}

function formatSummary(v: ValidationSummary): string {
  const lines = ['sequence                                   measured us  predicted us    error  reps range         figure CI'];
  for (const s of v.sequences) lines.push(`${s.name.padEnd(42)} ${us(s.measured_ns).padStart(11)} ${us(s.predicted_ns).padStart(13)} ${pct(s.error).padStart(8)}  ${repsRange(s).padEnd(17)}  ${figureCi(s)}${s.failed_ops ? `  (${s.failed_ops} ops failed, left out)` : ''}`);
  for (const s of v.skipped) lines.push(`${s.what.padEnd(42)} skipped: ${s.why}`);
  lines.push(`median |error| ${pct(v.median_abs_error)}, worst ${pct(v.worst_abs_error)} (${v.worst_sequence ?? '-'}) over ${v.sequences.length} sequences`);
  if (v.median_rep_ci != null) lines.push(`noise floor: the measured figure's 95% interval spans a median ${pct(v.median_rep_ci).replace('+', '')} of it (whole repetitions' totals: ${pct(v.median_rep_range ?? null).replace('+', '')}, max - min)`);
  else if (v.median_rep_range != null) lines.push(`noise floor: the repetitions' totals span a median ${pct(v.median_rep_range).replace('+', '')} of their median (max - min)`);
  return lines.join('\n');
}

async function validateTrace(flags: ValidateFlags, profile: CostProfile, reps: number): Promise<void> {
  const backend = flags.backend ?? 'guest_memfd';
  const trace = interpretTrace(readStrace(flags.trace!), flags.trace!, { unknownFdBackend: backend });
  const { seq, calls, leftOut } = traceToSequence(trace, backend, basename(flags.trace!));
  if (seq.ops.length === 0) throw new UsageError(`--trace ${flags.trace}: no successful fallocate call on a ${backend} file (try --backend ${backend === 'guest_memfd' ? 'shmem' : 'guest_memfd'})`);
  const why = backend === 'guest_memfd' ? await guestMemfdMissing() : undefined;
  if (why) {
    const skipped = { what: `${seq.name} on guest_memfd`, why };
    if (flags.json) process.stdout.write(JSON.stringify({ calls: seq.ops.length, skipped }) + '\n');
    else process.stdout.write(`${skipped.what}: skipped: ${why}\n`);
    return;
  }
  const measured = await executeOnKernel(seq, { reps });
  const predicted = await simulateSequence(seq, profile);
  const c = compareSequence(seq, measured, predicted);
  const per_call = c.per_op.map((o, i) => ({ line: calls[i].line, op: o.op, offset: o.offset, len: o.len, traced_ns: calls[i].recordedNs, measured_ns: o.measured_ns, predicted_ns: o.predicted_ns, error: o.error, ...(o.measured_error ? { measured_errno: o.measured_error } : {}), ...(o.predicted_error ? { predicted_errno: o.predicted_error } : {}) }));
  const result = { calls: seq.ops.length, predicted_total_ns: c.predicted_ns, measured_total_ns: c.measured_ns, error: c.error, left_out_calls: leftOut, per_call };
  if (flags.out) writeFileAtomic(join(flags.out, 'validation-trace.json'), JSON.stringify(result, null, 1) + '\n');
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const lines = ['line  call       offset        len   traced us  measured us  predicted us    error'];
  for (const p of per_call) lines.push(`${String(p.line).padStart(4)}  ${p.op.padEnd(8)} ${String(p.offset).padStart(10)} ${String(p.len).padStart(10)} ${us(p.traced_ns).padStart(11)} ${us(p.measured_ns).padStart(12)} ${us(p.predicted_ns).padStart(13)} ${pct(p.error).padStart(8)}`);
  lines.push(`total: ${seq.ops.length} calls, measured ${us(c.measured_ns)} us, predicted ${us(c.predicted_ns)} us, error ${pct(c.error)}${leftOut ? ` (${leftOut} calls left out: failed in the trace or on ${backend === 'guest_memfd' ? 'shmem' : 'guest_memfd'} files)` : ''}`);
  process.stdout.write(lines.join('\n') + '\n');
}
