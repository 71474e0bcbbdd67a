// `rmsim calibrate`: probe this host's kernel (or read a recording), fit every measured cost of
// the profile to it (sim/calibrate/fit-profile.ts), and write the profile atomically. Costs the
// probe cannot reach keep the base profile's value and are marked kept.
import type { Command } from 'commander';
import { resolveProfile } from '../costs/profile.js';
import { formatProfile } from '../costs/format-profile.js';
import { concatRecordings, costEntryOf, fitProfileRounds } from '../calibrate/fit-profile.js';
import { loadRecording } from '../calibrate/recording.js';
import type { ProbeRecording } from '../calibrate/types.js';
import { writeFileAtomic } from '../output/atomic-write.js';
import { probeKernel } from './kernel-probe.js';
import { positiveInt } from './options.js';

interface CalibrateFlags {
  out: string;
  quick?: boolean;
  rounds?: string;
  from?: string;
  saveRecording?: string;
  base?: string;
  name?: string;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('calibrate')
    .description("fit a cost profile to this host's kernel (probe it, or fit a recording with --from) and write it")
    .option('--out <file>', 'profile to write', 'profile.json')
    .option('--quick', 'one run of the probe instead of three (under a minute idle; a run the host takes in a slow or fast spell moves the fit)')
    .option('--rounds <k>', 'runs of the probe (rounds, each its --quick rows); each cost is the median of its fits to the rounds (default 3, 1 with --quick)')
    .option('--from <recording.json>', 'fit a probe recording (rmsim.probe/1) instead of probing this host')
    .option('--save-recording <file>', 'also write the probe recording, to refit later with --from')
    .option('--base <name|file>', 'profile whose unreachable costs are kept (default: the shipped profile)')
    .option('--name <name>', 'name of the fitted profile (default: calibrated-<cpu>-<kernel>)')
    .option('--json', 'print the fit summary as JSON')
    .option('--quiet', 'no progress and no summary')
    .addHelpText('after', `
Takes about 2.5 minutes on an idle 2-CPU host (three probe rounds; under load up to 3.5;
--quick a third). Needs cc, and /dev/kvm with guest_memfd for the guest_memfd and guest rows
(without them those rows are skipped and their costs kept).
Examples:
  rmsim calibrate --out my-host.json                 # probe this host, fit, write
  rmsim calibrate --quick --save-recording rec.json  # one round; also keep what was measured
  rmsim calibrate --from rec.json --out my-host.json # refit a recording anywhere
  rmsim run vm-boot --profile my-host.json`)
    .action(async (flags: CalibrateFlags) => {
      const log = (s: string) => {
        if (!flags.quiet && !flags.json) process.stderr.write(`${s}\n`);
      };
      let rec: ProbeRecording;
      if (flags.from) {
        rec = loadRecording(flags.from);
        log(`fitting ${flags.from}: ${rec.rows.length} rows from ${rec.host.cpu_model}, kernel ${rec.host.kernel}, ${rec.host.date}`);
      } else {
        const t0 = Date.now();
        const rounds = positiveInt('rounds', flags.rounds, flags.quick ? 1 : 3);
        const command = ['rmsim', ...process.argv.slice(2)].join(' ');
        const recs: ProbeRecording[] = [];
        for (let r = 0; r < rounds; r++) {
          const round = rounds > 1 ? `round ${r + 1}/${rounds} ` : '';
          recs.push(await probeKernel({ quick: true, command, onProgress: (done, total, what) => log(`${round}[${done}/${total}] ${what} (${((Date.now() - t0) / 1000).toFixed(0)} s)`) }));
        }
        rec = rounds > 1 ? concatRecordings(recs, command) : recs[0];
        for (const s of rec.skipped) log(`skipped: ${s.what}: ${s.why}`);
        if (flags.saveRecording) writeFileAtomic(flags.saveRecording, JSON.stringify(rec) + '\n');
      }
      const base = resolveProfile(flags.base);
      const fit = fitProfileRounds(rec, base.file, { name: flags.name });
      writeFileAtomic(flags.out, formatProfile(fit.profile));
      if (flags.json) {
        process.stdout.write(JSON.stringify({ out: flags.out, profile: fit.profile.name, fitted: fit.fitted, kept: fit.kept, not_fitted: fit.notFitted }) + '\n');
        return;
      }
      if (flags.quiet) return;
      const lines = [`${fit.profile.name}: ${fit.fitted.length} costs fitted, ${fit.kept.length} kept from ${base.name}`, 'cost                                          base value    fitted      R^2      s.e.   rows  rounds'];
      for (const name of fit.fitted) {
        // Lock costs (`lock.*`) live in the profile's lockCosts, the rest in costs.
        const e = costEntryOf(fit.profile, name);
        const was = costEntryOf(base.file, name)?.value;
        if (e?.fit?.status !== 'fitted') continue;
        lines.push(`${name.padEnd(44)} ${String(was).padStart(12)} ${String(e.value).padStart(9)} ${(e.fit.r2 === undefined ? '-' : e.fit.r2.toFixed(4)).padStart(8)} ${String(e.fit.se).padStart(9)} ${String(e.fit.n).padStart(6)}  ${e.fit.rounds?.join(' ') ?? ''}`);
      }
      for (const n of fit.notFitted) lines.push(`not fitted (kept): ${n.costs.join(', ')}: ${n.why}`);
      lines.push(`wrote ${flags.out}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
