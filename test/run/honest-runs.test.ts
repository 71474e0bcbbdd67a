// Honest runs (issue 14 point 1): a configuration that cannot exist is bad input, with the
// numbers; metrics.json carries a warnings list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmsim } from '../workload/cli-harness.js';
import { runSpec } from '../../sim/run/run-spec.js';

test('VMs whose memory exceeds the host\'s are refused with the numbers (exit 2)', async () => {
  const r = await rmsim(['run', 'balloon', '--set', 'vms.count=100', '--set', 'vms.memory=1GiB', '--out', '/tmp/rmsim-never-written']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /vms\.count: expected at most 4 VMs of 1GiB on host\.memory 4GiB .*found 100 VMs needing 100GiB/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('metrics.json carries a warnings list', async () => {
  const r = await runSpec({ workload: 'vm-boot', sets: ['vms.memory=4MiB', 'host.memory=256MiB'], replication: 0 });
  assert.deepEqual((JSON.parse(r.metricsJson) as { warnings: unknown[] }).warnings, []);
});

test('actors that finish before the warm-up ends raise warmup_not_reached', async () => {
  const r = await runSpec({ workload: 'selftest-guest-memfd', sets: ['actors.punch-refill.ops=5', 'host.memory=256MiB', 'warmup=1s'], replication: 0 });
  const doc = JSON.parse(r.metricsJson) as { warnings: Array<{ kind: string; message: string }> };
  assert.equal(doc.warnings.length, 1);
  assert.equal(doc.warnings[0].kind, 'warmup_not_reached');
  assert.match(doc.warnings[0].message, /before the warm-up of 1\.00s ended/);
});

interface Doc {
  metrics: Record<string, { type: string; value?: number; count?: number }>;
  warnings: Array<{ kind: string; message: string; actor?: string; offered?: number; completed?: number }>;
}

async function balloon(vms: number): Promise<Doc> {
  const r = await runSpec({ workload: 'balloon', sets: [`vms.count=${vms}`], replication: 0 });
  return JSON.parse(r.metricsJson) as Doc;
}

const ops = (d: Doc, actor: string, state: string) => d.metrics[`actor.ops{actor=${actor},state=${state}}`]?.value;

test('every actor reports the work it was offered and completed (actor.ops)', async () => {
  // One VM with one vCPU: the vCPU and the reporting thread each have a CPU of their own.
  const r = await runSpec({ workload: 'balloon', sets: ['vms.vcpus=1'], replication: 0 });
  const d = JSON.parse(r.metricsJson) as Doc;
  for (const actor of ['guest', 'reporting']) {
    const offered = ops(d, actor, 'offered');
    const completed = ops(d, actor, 'completed');
    assert.ok(offered !== undefined && offered > 0, `${actor} offered ${String(offered)}`);
    assert.ok(completed !== undefined && completed >= 0.9 * offered, `${actor}: ${String(completed)} of ${offered}`);
  }
  // Never late: offered is exactly what started, and the p99 is a real one.
  assert.equal(ops(d, 'guest', 'offered'), ops(d, 'guest', 'completed'));
  assert.deepEqual(d.warnings, []);
});

test('vCPUs slowed but not stopped are saturated: two VMs\' four vCPUs on two CPUs', async () => {
  const d = await balloon(2);
  const guest = d.warnings.find((w) => w.actor === 'guest');
  assert.ok(guest, JSON.stringify(d.warnings));
  assert.equal(guest.kind, 'saturated');
  // They ran (hundreds of faults) but spent most of their time waiting for a CPU between them.
  assert.ok(guest.completed! > 100, `completed ${guest.completed}`);
  assert.ok(guest.completed! < 0.5 * guest.offered!, `${guest.completed} of ${guest.offered}`);
});

test('balloon with 8 VMs on 2 CPUs is saturated, named with its numbers, and fault.latency_ns stays (count 0)', async () => {
  const d = await balloon(8);
  const guest = d.warnings.find((w) => w.actor === 'guest');
  assert.ok(guest, JSON.stringify(d.warnings));
  assert.equal(guest.kind, 'saturated');
  // 8 VMs x 2 vCPUs: each vCPU's first access was due and none ran.
  assert.equal(guest.offered, 16);
  assert.equal(guest.completed, 0);
  assert.equal(ops(d, 'guest', 'offered'), 16);
  assert.match(guest.message, /^actor guest completed 0 of 16 operations offered \(0%, under 90%\)/);
  assert.equal(d.metrics['fault.latency_ns']?.type, 'histogram');
  assert.equal(d.metrics['fault.latency_ns']?.count, 0);
});

test('rmsim run prints the saturated warning after the summary table', async () => {
  const r = await rmsim(['run', 'balloon', '--set', 'vms.count=8', '--out', `/tmp/rmsim-honest-${process.pid}`]);
  assert.equal(r.code, 0, r.stderr);
  const table = r.stdout.indexOf('actor.ops{actor=guest,state=offered}');
  const warnings = r.stdout.indexOf('\nwarnings:\n');
  assert.ok(table >= 0 && warnings > table, r.stdout);
  assert.match(r.stdout.slice(warnings), /\n {2}saturated: actor guest completed 0 of 16 operations offered/);
  // The table keeps the fault latency that counted nothing, and the completed work of 0.
  assert.match(r.stdout, /\nfault\.latency_ns +0 +- +- +- +-\n/);
  assert.match(r.stdout, /\nactor\.ops\{actor=guest,state=completed\} +0\n/);
});

test('an actor asking for more vCPUs than the VM has is refused with the numbers (exit 2)', async () => {
  const r = await rmsim(['run', 'balloon', '--set', 'actors.guest.vcpus=4', '--out', '/tmp/rmsim-never-written']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /vcpus: expected at most vms\.vcpus \(2\) or "all", found 4/);
});

test('--backend both replays every traced file on its own backend in one run', async () => {
  const out = `/tmp/rmsim-honest-both-${process.pid}`;
  const run = await rmsim(['run', '--trace', 'test/fixtures/gmem_punch.strace', '--backend', 'both', '--quiet', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const { readFileSync } = await import('node:fs');
  const doc = JSON.parse(readFileSync(`${out}/metrics.json`, 'utf8')) as Doc & { replay: { backend: string; calls: Array<{ backend: string }> } };
  assert.equal(doc.replay.backend, 'both');
  assert.deepEqual([...new Set(doc.replay.calls.map((c) => c.backend))].sort(), ['guest_memfd', 'shmem']);
  for (const b of ['guest_memfd', 'shmem']) assert.ok((doc.metrics[`replay.call_ns{backend=${b},op=punch}`]?.count ?? 0) > 0, b);
});

test('compare carries each side\'s warnings', async () => {
  const { compareSides, sideOf } = await import('../../sim/run/compare.js');
  const docs = await Promise.all([1, 8].map(async (n) => JSON.parse((await runSpec({ workload: 'balloon', sets: [`vms.count=${n}`, 'vms.vcpus=1'], replication: 0 })).metricsJson)));
  const doc = compareSides([sideOf('one', docs[0]), sideOf('eight', docs[1])]);
  assert.deepEqual(doc.sides[0].warnings, []);
  assert.deepEqual(doc.sides[1].warnings.map((w) => [w.kind, w.actor]), [['saturated', 'reporting'], ['saturated', 'guest']]);
});

test('OpsTally: an operation due before the end and never started is offered, one due after is not', async () => {
  const { Recorder } = await import('../../sim/engine/index.js');
  const { OpsTally, actorOps } = await import('../../sim/actors/ops-tally.js');
  const stats = new Recorder({ now: 0 });
  const ops = actorOps(stats, 'a');
  const clock = { now: 0 };
  const waiting = new OpsTally(ops, clock, 5); // due at 5, stuck in the run queue past the end (10)
  const working = new OpsTally(ops, clock, 0);
  working.start();
  clock.now = 8;
  working.complete();
  working.due(12); // its next one is due after the end
  const finished = new OpsTally(ops, clock, 0);
  finished.start();
  finished.complete();
  finished.due(3);
  finished.close(); // its budget was spent: nothing more was due
  for (const t of [waiting, working, finished]) t.closeAt(10);
  waiting.closeAt(10); // counted once
  assert.deepEqual([ops.offered.value, ops.completed.value], [3, 2]);
  assert.deepEqual(stats.snapshot()['actor.ops{actor=a,state=offered}'], { type: 'counter', value: 3 });
});

test('VMs still being built when the duration ends leave every actor saturated', async () => {
  const r = await runSpec({ workload: 'balloon', sets: ['vms.count=32', 'duration=1ms'], replication: 0 });
  const d = JSON.parse(r.metricsJson) as Doc;
  assert.deepEqual(d.warnings.map((w) => [w.kind, w.actor, w.offered, w.completed]), [['saturated', 'reporting', 1, 0], ['saturated', 'guest', 1, 0]]);
});

test('OpsTally: time late between operations is work offered and not done, at the pace kept when on time', async () => {
  const { Recorder } = await import('../../sim/engine/index.js');
  const { OpsTally, actorOps } = await import('../../sim/actors/ops-tally.js');
  const clock = { now: 0 };
  const stats = new Recorder(clock);
  const ops = actorOps(stats, 'a');
  // Operations of 10 ns each with a 10 ns think time, due back to back from 0 on.
  const onTime = new OpsTally(ops, clock, 0);
  const late = new OpsTally(ops, clock, 0);
  const run = (t: InstanceType<typeof OpsTally>, startNs: number) => {
    clock.now = startNs;
    t.start();
    clock.now = startNs + 10;
    t.complete();
    t.due(clock.now + 10);
  };
  for (let k = 0; k < 5; k++) run(onTime, 20 * k); // 0, 20, ..., 80; next due 100
  onTime.closeAt(100);
  assert.deepEqual([ops.offered.value, ops.completed.value], [5, 5], 'never late: offered is what started');
  // Each operation starts 20 ns after it was due (the run queue): half its time on schedule lost.
  for (let k = 0; k < 5; k++) run(late, 40 * k + 20); // due 0, 40, ..., started 20, 60, ...
  late.closeAt(200); // its next one due at 200: on time at the end
  // Active 200 ns, late 5 x 20 = 100: 5 operations in the 100 ns on time, so 200 ns fit 10.
  assert.deepEqual([ops.offered.value - 5, ops.completed.value - 5], [10, 5]);
});

test('OpsTally: a thread whose budget is spent or that works to the end is capped by its budget', async () => {
  const { Recorder } = await import('../../sim/engine/index.js');
  const { OpsTally, actorOps } = await import('../../sim/actors/ops-tally.js');
  const clock = { now: 0 };
  const stats = new Recorder(clock);
  const ops = actorOps(stats, 'a');
  const t = new OpsTally(ops, clock, 0, 3);
  clock.now = 50; // started 50 ns late, done at 60, next due at 60 and the end comes at 100
  t.start();
  clock.now = 60;
  t.complete();
  t.due(60);
  t.closeAt(100);
  // Without a budget it would be offered floor(1 x 100 / 10) = 10; its budget is 3.
  assert.deepEqual([ops.offered.value, ops.completed.value], [3, 1]);
});

test('OpsTally: with a warm-up, only starts and lateness after it count', async () => {
  const { Recorder } = await import('../../sim/engine/index.js');
  const { OpsTally, actorOps } = await import('../../sim/actors/ops-tally.js');
  const clock = { now: 0 };
  const stats = new Recorder(clock);
  const ops = actorOps(stats, 'a');
  const t = new OpsTally(ops, clock, 0, Infinity, 100);
  clock.now = 90; // 90 ns late, all of it before the warm-up ends at 100
  t.start();
  clock.now = 110;
  t.complete();
  stats.reset(); // what the warm-up does at 100 (here after the fact: the counters restart)
  t.due(110);
  clock.now = 110;
  t.start();
  clock.now = 120;
  t.complete();
  t.due(120);
  t.closeAt(130); // on schedule from 110: never late after the warm-up but the 10 ns pending now
  assert.deepEqual([ops.offered.value, ops.completed.value], [2, 1]);
});
