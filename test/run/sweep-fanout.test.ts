// The fan-out recipes in docs/fan-out/ hand every shard exactly once to `rmsim sweep --shard
// i/N` (1-based) and then call `rmsim merge`: Kubernetes numbers its completions from 0,
// GitHub's matrix lists the shards, Slurm's array numbers tasks as --array says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../../sim/paths.js';

const doc = (name: string) => readFileSync(join(packageRoot(), 'docs', 'fan-out', name), 'utf8');

/** Run a recipe's shell command with `rmsim` (however invoked) replaced by echo; return what it would run. */
function expand(command: string, env: Record<string, string>): string {
  const echoed = command.replace(/npx --yes restrictedmem-sim|npx rmsim|rmsim/g, 'echo rmsim');
  const r = spawnSync('sh', ['-c', echoed], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('Kubernetes Indexed Job: completion index k (0-based) runs shard k+1 of completions', () => {
  const job = parseYaml(doc('k8s-indexed-job.yaml')) as { spec: { completionMode: string; completions: number; template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string; value: string }> }> } } } };
  assert.equal(job.spec.completionMode, 'Indexed');
  const n = job.spec.completions;
  const c = job.spec.template.spec.containers[0];
  const shards = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
  const seen = Array.from({ length: n }, (_, k) => expand(c.args[0], { ...shards, JOB_COMPLETION_INDEX: String(k) }));
  seen.forEach((line, k) => assert.match(line, new RegExp(`^rmsim sweep .* --shard ${k + 1}/${n} --out /results/shards/shard-${k + 1}$`)));
  const merge = parseYaml(doc('k8s-merge-job.yaml')) as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
  assert.match(merge.spec.template.spec.containers[0].args[0], /restrictedmem-sim merge \/results\/shards\/shard-\* --out/);
});

test('GitHub Actions matrix: shards 1..N, then one merge job over all of them', () => {
  const wf = parseYaml(doc('github-actions-sweep.yml')) as { jobs: { shard: { strategy: { matrix: { shard: number[] } }; env: { SHARDS: number }; steps: Array<{ run?: string }> }; merge: { needs: string; steps: Array<{ run?: string }> } } };
  const n = wf.jobs.shard.env.SHARDS;
  assert.deepEqual(wf.jobs.shard.strategy.matrix.shard, Array.from({ length: n }, (_, k) => k + 1));
  const sweep = wf.jobs.shard.steps.find((s) => s.run?.includes('sweep'))!.run!;
  for (const i of wf.jobs.shard.strategy.matrix.shard) {
    assert.match(expand(sweep.replaceAll('${{ matrix.shard }}', String(i)), { SHARDS: String(n) }), new RegExp(`--shard ${i}/${n} --out shards/shard-${i}$`));
  }
  assert.equal(wf.jobs.merge.needs, 'shard');
  assert.ok(wf.jobs.merge.steps.some((s) => /rmsim merge shards\/shard-\*/.test(s.run ?? '')));
});

test('Slurm array script: task i of N runs --shard i/N', () => {
  for (const [i, n] of [[1, 3], [3, 3], [2, 5]]) {
    const r = spawnSync('bash', [join(packageRoot(), 'docs', 'fan-out', 'slurm-sweep.sh'), 'balloon', '--param', 'vms.count=1..8'], {
      env: { PATH: process.env.PATH ?? '', RMSIM: 'echo rmsim', SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: String(n), OUT: 'o' }, encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `rmsim sweep balloon --param vms.count=1..8 --workers 1 --quiet --shard ${i}/${n} --out o/shard-${i}`);
  }
  const r = spawnSync('bash', [join(packageRoot(), 'docs', 'fan-out', 'slurm-sweep.sh')], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'outside an array the script refuses to guess its shard');
  assert.match(r.stderr, /sbatch --array/);
});
