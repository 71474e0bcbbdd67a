// `rmsim merge <dir>... --out dir`: the shards of one sweep (each `rmsim sweep --shard i/N`'s
// folder or shard.json) into the very sweep.json the unsharded sweep writes.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { mergeShards } from '../run/merge.js';
import { SHARD_FILE } from '../run/sweep-shard.js';
import { serializeSweepRunInfo } from '../run/sweep-run-info.js';
import { exitQuietlyOnClosedStdout } from '../output/quiet-epipe.js';
import { writeSweepOutputs } from './sweep.js';

interface MergeFlags {
  out: string;
  json?: boolean;
  quiet?: boolean;
  report?: boolean;
}

export function register(program: Command): void {
  program
    .command('merge')
    .description('merge the shards of a sweep (rmsim sweep --shard i/N) into its sweep.json')
    .argument('<shards...>', 'shard folders (or their shard.json files), one per shard, in any order')
    .option('--out <dir>', 'output folder for sweep.json and run.json', 'out/sweep')
    .option('--json', 'print sweep.json to stdout instead of the table')
    .option('--report', 'also render <out>/report.html with SVG/PNG charts')
    .option('--quiet', 'print nothing')
    .addHelpText('after', `
Refuses (exit 2) shards of different grids, a missing or repeated shard, or a shard that did not finish.
Examples:
  for i in 1 2 3; do rmsim sweep balloon --param vms.count=1..8 --shard $i/3 --out out/shard$i; done
  rmsim merge out/shard1 out/shard2 out/shard3 --out out/sweep`)
    .action(async (sources: string[], flags: MergeFlags) => {
      exitQuietlyOnClosedStdout();
      const startedAt = new Date();
      const t0 = process.hrtime.bigint();
      const inputs = sources.map((s) => {
        const path = existsSync(s) && statSync(s).isDirectory() ? join(s, SHARD_FILE) : s;
        if (!existsSync(path)) throw new UsageError(`merge: ${s}: expected a shard folder holding ${SHARD_FILE} (or the file), found nothing`);
        return { source: path, text: readFileSync(path, 'utf8') };
      });
      const document = mergeShards(inputs);
      const runJson = serializeSweepRunInfo({
        command: ['rmsim', ...process.argv.slice(2)], startedAt, wallNs: Number(process.hrtime.bigint() - t0),
        workers: null, shard: null, mergedFrom: inputs.map((i) => i.source), fingerprint: document.fingerprint, sweepDigest: document.digest,
      });
      await writeSweepOutputs(document, flags, runJson);
    });
}
