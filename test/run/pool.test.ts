// The worker pool: results in spec order, the same bytes whatever the number of workers, and
// bad input reported as a UsageError from a worker thread as from this one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runMany } from '../../sim/run/pool.js';
import { preloadRun, type RunSpec } from '../../sim/run/run-spec.js';
import { loadWorkload } from '../../sim/workload/load.js';
import { plantedProfile } from './planted-profile.js';
import { UsageError } from '../../sim/errors.js';

const small = ['duration=1ms', 'host.memory=512MiB'];
const specs: RunSpec[] = [
  { workload: 'balloon', sets: small, seed: 3, replication: 0 },
  { workload: 'balloon', sets: small, seed: 3, replication: 1 },
  { workload: 'vm-boot', sets: ['vms.memory=4MiB', 'host.memory=256MiB'], seed: 1, replication: 0 },
  { workload: 'balloon', sets: small, seed: 3, replication: 2, variant: 'guest_memfd' },
];

test('1 worker and 2 workers give the same bytes, in spec order', async () => {
  let progressCalls = 0;
  const one = await runMany(specs, { workers: 1 });
  const two = await runMany(specs, { workers: 2, onProgress: (done, total) => { progressCalls++; assert.equal(total, specs.length); assert.ok(done <= total); } });
  assert.equal(progressCalls, specs.length);
  assert.equal(two.length, specs.length);
  for (let i = 0; i < specs.length; i++) {
    assert.deepEqual(two[i].spec, specs[i]);
    assert.equal(two[i].metricsJson, one[i].metricsJson, `spec ${i}`);
    assert.ok(one[i].events > 0);
    const doc = JSON.parse(one[i].metricsJson) as { workload: string; replication: number };
    assert.equal(doc.workload, specs[i].workload);
    assert.equal(doc.replication, specs[i].replication);
  }
  // Replications draw different streams: the same spec but the replication differs.
  assert.notEqual(one[0].metricsJson, one[1].metricsJson);
});

test('one worker on a worker thread (onWorkerThreads) gives the bytes one worker gives in this thread', async () => {
  const inThisThread = await runMany(specs.slice(0, 2), { workers: 1 });
  const onThread = await runMany(specs.slice(0, 2), { workers: 1, onWorkerThreads: true });
  assert.equal(onThread.length, 2);
  for (let i = 0; i < 2; i++) assert.equal(onThread[i].metricsJson, inThisThread[i].metricsJson, `spec ${i}`);
  // The run happened on another thread: a UsageError from there still arrives as one.
  await assert.rejects(runMany([{ workload: 'balloon', sets: ['vms.count=banana'], replication: 0 }], { workers: 1, onWorkerThreads: true }), UsageError);
});

test('bad input in a worker thread comes back as a UsageError', async () => {
  const bad: RunSpec[] = [specs[0], { workload: 'balloon', sets: ['vms.count=banana'], replication: 0 }];
  await assert.rejects(runMany(bad, { workers: 2 }), (err: unknown) => err instanceof UsageError && /vms\.count/.test(err.message));
  await assert.rejects(runMany(bad, { workers: 1 }), UsageError);
});

test('a spec handed its workload and profile preloaded gives the bytes of one loaded by name', async () => {
  const named: RunSpec[] = [
    { workload: 'balloon', sets: [...small, 'costs.shmem.fallocate_fixed_ns=999'], seed: 5, replication: 1, variant: 'notifier-rwsem' },
    { workload: 'vm-boot', sets: ['vms.memory=4MiB', 'host.memory=256MiB'], seed: 2, replication: 0, profile: plantedProfile(1.1, 'planted-10') },
  ];
  const preloaded = named.map((s) => ({ ...s, preloaded: preloadRun(loadWorkload(s.workload, { sets: s.sets, seed: s.seed, variant: s.variant }), s.profile) }));
  const [byName, handed] = [await runMany(named, { workers: 1 }), await runMany(preloaded, { workers: 2 })];
  for (let i = 0; i < named.length; i++) {
    assert.equal(handed[i].metricsJson, byName[i].metricsJson, `spec ${i}`);
    assert.deepEqual(handed[i].info, byName[i].info, `spec ${i}`);
    // What came back names the run; the loaded objects stay behind.
    assert.deepEqual(handed[i].spec, named[i]);
  }
  assert.match(byName[0].metricsJson, /notifier-rwsem/);
  assert.match(byName[1].metricsJson, /planted-10/);
});
