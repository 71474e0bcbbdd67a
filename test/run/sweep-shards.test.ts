// The sweep's bytes depend on nothing but its inputs: three shards run as separate processes
// and merged equal the unsharded sweep.json, and 1 worker equals 2 workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../sim/paths.js';
import { parseAxes } from '../../sim/run/grid.js';
import { parseSlo } from '../../sim/run/knee.js';
import { runSweep } from '../../sim/run/sweep.js';
import { serializeSweepDocument } from '../../sim/run/sweep-aggregate.js';
import { planSweep } from '../../sim/run/sweep-plan.js';
import { TINY_SWEEP } from './sweep-fixtures.js';

const main = join(packageRoot(), 'dist', 'sim', 'cli', 'main.js');

function rmsim(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => { stderr += String(d); });
    c.on('exit', (code) => resolve({ code, stderr }));
  });
}

// The library form of TINY_SWEEP.
const request = () => ({
  workload: 'balloon', sets: ['duration=2ms'], axes: parseAxes(['vms.count=1,2,3']), replications: 1, slo: parseSlo('fault.latency_ns.p99<=50us'),
});

test('sweep.json: 1 worker equals 2 workers; three shard processes merged equal both', { timeout: 180_000 }, async () => {
  const one = serializeSweepDocument((await runSweep(planSweep(request()), { workers: 1 })).document);
  const two = serializeSweepDocument((await runSweep(planSweep(request()), { workers: 2 })).document);
  assert.equal(two, one, '2 workers changed sweep.json');
  const doc = JSON.parse(one) as { points: Array<{ runs: unknown[]; metrics: Record<string, unknown> }>; knees: unknown[] };
  assert.equal(doc.points.length, 3);
  assert.ok(doc.points.every((p) => p.runs.length === 1 && 'cpu.runqueue_delay_ns' in p.metrics));
  assert.equal(doc.knees.length, 1);

  const dir = mkdtempSync(join(tmpdir(), 'rmsim-shards-'));
  try {
    const shards = await Promise.all([1, 2, 3].map((i) => rmsim(['sweep', ...TINY_SWEEP, '--shard', `${i}/3`, '--workers', '1', '--quiet', '--out', join(dir, `shard${i}`)])));
    shards.forEach((r, i) => assert.equal(r.code, 0, `shard ${i + 1}: ${r.stderr}`));
    const merged = await rmsim(['merge', join(dir, 'shard3'), join(dir, 'shard1'), join(dir, 'shard2'), '--quiet', '--out', join(dir, 'merged')]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(readFileSync(join(dir, 'merged', 'sweep.json'), 'utf8'), one, 'merged shards differ from the unsharded sweep.json');
    // run.json carries how it ran; sweep.json nothing of it.
    const info = JSON.parse(readFileSync(join(dir, 'shard2', 'run.json'), 'utf8')) as { shard: string; runs: number };
    assert.deepEqual([info.shard, info.runs], ['2/3', 1]);
    const missing = await rmsim(['merge', join(dir, 'shard1'), join(dir, 'shard2'), '--quiet', '--out', join(dir, 'bad')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing shard 3\/3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
