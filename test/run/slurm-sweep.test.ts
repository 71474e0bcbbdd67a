// A sweep run as a Slurm job array on a one-node cluster started for the test: each array task
// runs docs/fan-out/slurm-sweep.sh (`rmsim sweep --shard $SLURM_ARRAY_TASK_ID/3`), then
// `rmsim merge` must give the bytes of the unsharded sweep.json. Skips, with the reason, where
// Slurm and munge are not installed or cannot start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../sim/paths.js';
import { slurmUnavailable, startSlurmCluster } from './slurm-cluster.js';
import { TINY_SWEEP } from './sweep-fixtures.js';

const unavailable = slurmUnavailable();
const main = join(packageRoot(), 'dist', 'sim', 'cli', 'main.js');

function rmsim(args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env });
  assert.equal(r.status, 0, `rmsim ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('Slurm job array: shards 1/3..3/3 merged equal the unsharded sweep.json', { skip: unavailable, timeout: 240_000 }, async (t) => {
  let cluster;
  try {
    cluster = await startSlurmCluster();
  } catch (err) {
    // Installed but cannot start here (a container without the rights slurmd needs ...): say why.
    t.skip(`Slurm is installed but a test cluster did not start: ${String(err).split('\n')[0]}`);
    return;
  }
  try {
    const out = join(cluster.dir, 'out');
    const script = join(packageRoot(), 'docs', 'fan-out', 'slurm-sweep.sh');
    const env = { ...cluster.env, RMSIM: `${process.execPath} ${main}`, OUT: join(out, 'shards') };
    const sub = spawnSync('sbatch', ['--wait', '--array=1-3', `--chdir=${cluster.dir}`, `--output=${join(cluster.dir, 'task-%a.log')}`, script, ...TINY_SWEEP], { env, encoding: 'utf8', timeout: 200_000 });
    const taskLogs = [1, 2, 3].map((i) => { try { return readFileSync(join(cluster.dir, `task-${i}.log`), 'utf8'); } catch { return ''; } }).join('\n');
    assert.equal(sub.status, 0, `sbatch --wait: ${sub.stderr}\n${taskLogs}`);
    rmsim(['merge', join(out, 'shards', 'shard-1'), join(out, 'shards', 'shard-2'), join(out, 'shards', 'shard-3'), '--out', join(out, 'merged'), '--quiet']);
    rmsim(['sweep', ...TINY_SWEEP, '--workers', '1', '--quiet', '--out', join(out, 'whole')]);
    const merged = readFileSync(join(out, 'merged', 'sweep.json'));
    assert.ok(merged.length > 1000);
    assert.ok(merged.equals(readFileSync(join(out, 'whole', 'sweep.json'))), 'merged shards differ from the unsharded sweep.json');
  } finally {
    await cluster.stop();
  }
});
