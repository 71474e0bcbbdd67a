// `rmsim probe two-punchers`: measure the real kernel's per-file lock under two punching threads
// (bench/kernel-probe/), print the regime figures, and write them to bench/results/ unless
// --no-write. Needs cc; the guest_memfd backend needs /dev/kvm with KVM_CREATE_GUEST_MEMFD.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { positiveInt } from './options.js';
import { parseSize } from '../units.js';
import type { TwoPunchersResult, LastPass } from '../../bench/kernel-probe/two-punchers-run.js';
import { writeFileAtomic } from '../output/atomic-write.js';

const BACKENDS = ['gmem', 'shmem'];

function list(name: string, v: string): string[] {
  const xs = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (xs.length === 0) throw new UsageError(`--${name} must list at least one value`);
  return xs;
}

export function register(program: Command): void {
  program
    .command('probe')
    .description('measure the real kernel (needs cc; guest_memfd needs /dev/kvm): two-punchers')
    .argument('<which>', 'two-punchers')
    .option('--backends <list>', 'gmem,shmem', 'gmem,shmem')
    .option('--sizes <list>', 'punch sizes', '4KiB,2MiB')
    .option('--passes <n>', 'passes of one thread then two per backend and size', '3')
    .option('--raw-dir <dir>', 'also keep the per-punch lines of every pass here')
    .option('--out <file>', 'result file (default bench/results/kernel-probe-two-punchers.json)')
    .option('--chart <file>', 'also draw the punches of the last pass (start time vs latency) as SVG')
    .option('--json', 'print one JSON object instead of a table')
    .option('--no-write', 'do not write bench/results/kernel-probe-two-punchers.json')
    .action(async (which: string, o: { backends: string; sizes: string; passes: string; rawDir?: string; out?: string; chart?: string; json?: boolean; write: boolean }) => {
      if (which !== 'two-punchers') throw new UsageError(`unknown probe '${which}' (expected: two-punchers)`);
      const backends = list('backends', o.backends);
      for (const b of backends) if (!BACKENDS.includes(b)) throw new UsageError(`--backends: unknown backend '${b}' (expected: ${BACKENDS.join(', ')})`);
      const sizes = list('sizes', o.sizes).map((s) => {
        let n: number;
        try {
          n = parseSize(s);
        } catch {
          throw new UsageError(`--sizes: '${s}' is not a size (e.g. 4KiB, 2MiB)`);
        }
        if (n <= 0 || n % 4096 !== 0) throw new UsageError(`--sizes: ${s} is not a positive multiple of 4 KiB`);
        return n;
      });
      const passes = positiveInt('passes', o.passes, 3);
      if (backends.includes('gmem') && !existsSync('/dev/kvm')) throw new UsageError('--backends gmem: guest_memfd needs /dev/kvm, which this host lacks; measure shmem alone with --backends shmem');
      // The probe (and the bench code it shares) loads only for this command, not at start-up.
      const [{ writeResult }, { defaultProbeResultPath, runTwoPunchers, ProbeError }] = await Promise.all([import('../../bench/engine/run.js'), import('../../bench/kernel-probe/two-punchers-run.js')]);
      let result: TwoPunchersResult;
      let lastPasses: LastPass[];
      try {
        ({ result, lastPasses } = runTwoPunchers({ backends, sizes, passes, rawDir: o.rawDir, log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`) }));
      } catch (e) {
        if (e instanceof ProbeError) throw new UsageError(e.message);
        throw e;
      }
      const out = o.out ?? defaultProbeResultPath();
      if (o.write) writeResult(out, result);
      if (o.chart) {
        // The chart stack (vega, d3) loads only when a chart is drawn.
        const [{ probeTimelineSpec }, { renderSvg }] = await Promise.all([import('../../reports/probe-specs.js'), import('../../reports/render.js')]);
        const svg = await renderSvg(probeTimelineSpec(lastPasses, `two punchers on one file, the punches of the last pass (crowded panels thinned, every slow punch kept; ${result.machine.cpu_model}, ${result.machine.kernel})`));
        writeFileAtomic(o.chart, svg);
      }
      if (o.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      const us = (ns: number) => (ns / 1e3).toFixed(2).padStart(9);
      const lines = [
        `two punchers on one file (${result.machine.cpu_model}, kernel ${result.machine.kernel}; medians over ${passes} passes${result.niced ? ', nice -20' : ''})`,
        'backend      size   one: us/punch    /s   two: us/punch    /s  two/one  ops two/one  spread  alternating  mean run  hand-over +us',
      ];
      for (const r of result.rows) {
        const alt = r.passes.map((p) => p.two.alternating_share.toFixed(2)).join('/');
        const run = r.passes.map((p) => p.two.mean_run.toFixed(0)).join('/');
        const extra = r.handover_extra_ns_by_pass.map((x) => (x === null ? '-' : String(Math.round(x / 1e3)))).join('/');
        lines.push(`${r.backend.padEnd(6)} ${String(r.len_bytes).padStart(9)} ${us(r.one_median_ns)} ${String(r.one_ops_per_s).padStart(9)} ${us(r.two_median_ns)} ${String(r.two_ops_per_s).padStart(9)}  ${r.two_over_one_median.toFixed(2).padStart(6)}  ${r.two_over_one_ops.toFixed(2).padStart(10)}  ${r.two_median_spread.toFixed(2).padStart(6)}  ${alt.padStart(11)}  ${run.padStart(8)}  ${extra}`);
      }
      lines.push('spread: (max - min) / median of the two-thread median over passes; alternating: share of punches between two of the other thread (lock passed by spinning); mean run: punches in a row by one thread (lock stealing); hand-over +us: per pass, the median share of the lock of a punch that took it from the other thread, minus that of one that followed a punch of its own thread (what moving the lock between CPUs costs)');
      if (o.write) lines.push(`written to ${out}`);
      if (o.chart) lines.push(`chart: ${o.chart}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
