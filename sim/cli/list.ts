// `rmsim list [workloads|variants]`: the built-in workloads and the design variants, one line each.
import type { Command } from 'commander';
import { listVariants } from '../variants/index.js';
import { listBuiltinWorkloads } from '../workload/load.js';
import { UsageError } from '../errors.js';
import { exitQuietlyOnClosedStdout } from '../output/quiet-epipe.js';

function lines(kind: string, rows: Array<{ name: string; description: string; note?: string }>): string[] {
  const w = Math.max(0, ...rows.map((r) => r.name.length));
  return rows.map((r) => `${kind.padEnd(8)} ${r.name.padEnd(w)}  ${r.description}${r.note ? ` ${r.note}` : ''}`);
}

export function register(program: Command): void {
  program
    .command('list')
    .description('list the built-in workloads and the design variants, one line each')
    .argument('[what]', 'workloads, variants, or both (default)')
    .action((what?: string) => {
      if (what !== undefined && what !== 'workloads' && what !== 'variants') {
        throw new UsageError(`list: expected "workloads" or "variants", found ${JSON.stringify(what)}`);
      }
      exitQuietlyOnClosedStdout();
      const out: string[] = [];
      if (what !== 'variants') out.push(...lines('workload', listBuiltinWorkloads()));
      if (what !== 'workloads') {
        out.push(...lines('variant', listVariants().map((v) => ({ ...v, note: v.hypothetical && !/hypothetical/.test(v.description) ? '(hypothetical)' : undefined }))));
      }
      process.stdout.write(out.join('\n') + '\n');
    });
}
