// Two threads punching one file, held to what the kernel probe records (bench/kernel-probe/):
// the same analysis runs on the model's punches and on a pass recorded on this machine's kernel.
// With nothing between punches (the probe's measured gap is 30 ns) and the tick ending
// optimistic spins (lock.tick_resched_ppm > 0, a busy host), the per-file rwsem shows both
// regimes the probe shows: turn-taking through spinning, and runs of lock stealing that end in a
// jiffy-rounded 4-8 ms HANDOFF wait. With no trigger (0) it takes strict turns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultProfile } from '../../sim/costs/index.js';
import { parseProbeOutput, summarisePass } from '../../sim/calibrate/two-punchers-analysis.js';
import { twoPunchers } from './calibration-scenarios.js';

const MiB = 1024 * 1024;
const PROBE_GAP_NS = 30;

async function modelPass(ppm: number) {
  const profile = defaultProfile().withOverrides({ 'lock.tick_resched_ppm': ppm });
  const r = await twoPunchers('gmem', 2 * MiB, 300, PROBE_GAP_NS, profile);
  return { r, s: summarisePass({ backend: 'gmem', lenBytes: 2 * MiB, countPerThread: 300, threads: 2, punches: r.punches }) };
}

test('two punchers, 2 MiB guest_memfd, busy host: the model shows both regimes the kernel probe recorded', async () => {
  const kernel = summarisePass(parseProbeOutput(readFileSync(fileURLToPath(new URL('../../../test/fixtures/two-punchers-gmem-2m.txt', import.meta.url)), 'utf8')));
  const { r, s } = await modelPass(1_000_000);
  for (const [who, x] of [['kernel', kernel], ['model', s]] as const) {
    assert.ok(x.alternating_share > 0.1 && x.alternating_share < 0.9, `${who}: alternating share ${x.alternating_share}`);
    assert.ok(x.mean_run > 1.5, `${who}: mean run ${x.mean_run}`);
    assert.ok(x.waits_over_4ms > 0 && x.max_ns < 10_000_000, `${who}: ${x.waits_over_4ms} waits over 4 ms, longest ${x.max_ns} ns`);
  }
  // Turn-taking punches wait out one of the other's (about 2x a lone punch); stolen ones do not.
  assert.ok(s.p90_ns >= 1.9 * r.singleNs && s.p10_ns <= 1.05 * r.singleNs, `model p10 ${s.p10_ns}, p90 ${s.p90_ns}, alone ${r.singleNs}`);
});

test('two punchers, 2 MiB guest_memfd, no stealing trigger (tick_resched_ppm 0): strict turn-taking, no hand-off waits', async () => {
  const { r, s } = await modelPass(0);
  assert.ok(s.alternating_share > 0.95, `alternating share ${s.alternating_share}`);
  assert.equal(s.waits_over_4ms, 0);
  assert.ok(s.median_ns > 1.9 * r.singleNs, `median ${s.median_ns} vs alone ${r.singleNs}`);
});

// The owner's side (sim/model/cond-resched.ts): a task woken on the punch's CPU takes it at the
// next cond_resched() of the truncation loop, inside the file-lock hold; the spinner sees its
// owner off CPU and sleeps, and the owner steals the lock on its return. With one wake-up per
// tick on average and the spinner-side tick off, 2 MiB punches show the probe's mix.
test('two punchers, 2 MiB guest_memfd: owners preempted at cond_resched inside the hold give both regimes and the 4-8 ms waits', async () => {
  const profile = defaultProfile().withOverrides({ 'sched.resched_interval_ns': 4_000_000, 'sched.preempt_run_ns': 10_000 });
  const r = await twoPunchers('gmem', 2 * MiB, 300, PROBE_GAP_NS, profile);
  const s = summarisePass({ backend: 'gmem', lenBytes: 2 * MiB, countPerThread: 300, threads: 2, punches: r.punches });
  assert.ok(s.alternating_share > 0.1 && s.alternating_share < 0.9, `alternating share ${s.alternating_share}`);
  assert.ok(s.mean_run > 1.5, `mean run ${s.mean_run}`);
  assert.ok(s.waits_over_4ms > 0 && s.max_ns < 10_000_000, `${s.waits_over_4ms} waits over 4 ms, longest ${s.max_ns} ns`);
  // A preempted punch costs its lone time plus the woken task's run, once per wake-up that
  // landed inside a hold: one thread alone is only slightly slower.
  const idle = await twoPunchers('gmem', 2 * MiB, 300, PROBE_GAP_NS);
  assert.ok(r.singleOpsPerSec < idle.singleOpsPerSec && r.singleOpsPerSec > 0.95 * idle.singleOpsPerSec, `one thread ${r.singleOpsPerSec} vs idle ${idle.singleOpsPerSec}`);
});

// The trigger as traced on the kernel (bench/kernel-probe/trace-stealing.sh, idle machine):
// waiters stop spinning 0.54-0.60 times per spinner tick at 4 KiB and 2 MiB alike, and the
// shipped profile now carries that rate (lock.tick_resched_ppm). What keeps the kernel's 4 KiB
// punches taking turns (83-98%) is that the sleeping waiter, woken at each release after 12-29 us
// with a wide spread, soon retries at a moment the lock is free, so none of 177 sleeps reached
// 4 ms; at 2 MiB the owner is inside its next ~50 us hold whenever the waiter retries, and the
// sleep lasts until HANDOFF. With a fixed wake-up latency the model's retries all land at one
// point of the owner's cycle, and turn-taking at 4 KiB flipped between 0.17 and 0.999 on small
// cost changes; the spread (lock.wakeup_spread_ns, also traced) removes that.
function profileTriggerPpm(): number {
  const raw = JSON.parse(readFileSync(fileURLToPath(new URL('../../../bench/results/kernel-probe-trace-stealing.json', import.meta.url)), 'utf8')) as { groups: { writer_sleeps_per_spinner_tick: number }[] };
  return (raw.groups.reduce((a, g) => a + g.writer_sleeps_per_spinner_tick, 0) / raw.groups.length) * 1e6;
}

test("the shipped profile's stealing trigger is the traced rate per spinner tick", () => {
  const shipped = defaultProfile().lockCosts.tick_resched_ppm;
  assert.ok(Math.abs(shipped - profileTriggerPpm()) < 5_000, `profile ${shipped} ppm vs traced ${profileTriggerPpm()}`);
  assert.ok(defaultProfile().lockCosts.wakeup_spread_ns > 0);
});

for (const wakeupNs of [2_500, 3_500, 5_000]) {
  test(`two punchers, 4 KiB guest_memfd, shipped trigger rate, wake-up ${wakeupNs} ns + spread: the threads keep taking turns, as the kernel does`, async () => {
    const profile = defaultProfile().withOverrides({ 'lock.wakeup_ns': wakeupNs });
    const r = await twoPunchers('gmem', 4096, 20_000, PROBE_GAP_NS, profile);
    const s = summarisePass({ backend: 'gmem', lenBytes: 4096, countPerThread: 20_000, threads: 2, punches: r.punches });
    assert.ok(s.alternating_share > 0.9, `alternating share ${s.alternating_share}, mean run ${s.mean_run}, ${s.waits_over_4ms} waits over 4 ms`);
    assert.equal(s.waits_over_4ms, 0);
  });
}

test('two punchers, 2 MiB guest_memfd, shipped profile: both regimes and hand-off waits, as the kernel at the same trigger rate', async () => {
  const r = await twoPunchers('gmem', 2 * MiB, 300, PROBE_GAP_NS);
  const s = summarisePass({ backend: 'gmem', lenBytes: 2 * MiB, countPerThread: 300, threads: 2, punches: r.punches });
  assert.ok(s.alternating_share > 0.1 && s.alternating_share < 0.6, `alternating share ${s.alternating_share}`);
  assert.ok(s.waits_over_4ms > 0 && s.max_ns < 10_000_000, `${s.waits_over_4ms} waits over 4 ms, longest ${s.max_ns} ns`);
});

test('without the wake-up spread the same trigger breaks 4 KiB turn-taking (why the spread is in the profile)', async () => {
  const profile = defaultProfile().withOverrides({ 'lock.wakeup_spread_ns': 0, 'lock.wakeup_ns': 20_000 });
  const r = await twoPunchers('gmem', 4096, 20_000, PROBE_GAP_NS, profile);
  const s = summarisePass({ backend: 'gmem', lenBytes: 4096, countPerThread: 20_000, threads: 2, punches: r.punches });
  assert.ok(s.alternating_share < 0.6, `alternating share ${s.alternating_share}`);
});

// What a hand-over of the lock costs per page (shmem.inode_lock_handover_page_ns): 0 in the
// shipped profile (section 7's host was not measured for it); the probe measured 0.19-0.30 us per
// page on a host of this kind (bench/results/kernel-probe-two-punchers-shmem-v1252.json), where
// two threads then punched 2 MiB at 0.79x one thread's aggregate. The model's share of hand-overs
// swings with small changes of the cost or the punch count (its regime sits on a knife edge), so
// the aggregate is taken as the median over three run lengths.
test('two shmem punchers, 2 MiB: a per-page hand-over cost takes the aggregate below one thread\'s, as on the probed host; none leaves it there', async () => {
  const probed = JSON.parse(readFileSync(fileURLToPath(new URL('../../../bench/results/kernel-probe-two-punchers-shmem-v1252.json', import.meta.url)), 'utf8')) as {
    rows: { len_bytes: number; two_over_one_ops: number; handover_extra_ns_by_pass: (number | null)[] }[];
  };
  const row = probed.rows.find((x) => x.len_bytes === 2 * MiB)!;
  const extras = row.handover_extra_ns_by_pass.filter((x): x is number => x !== null).sort((a, b) => a - b);
  const perPage = Math.round(extras[Math.floor(extras.length / 2)]! / 512);
  assert.ok(perPage > 150 && perPage < 400, `probed hand-over ${perPage} ns per page`);
  const medianRatio = async (ns: number) => {
    const runs = [];
    for (const count of [200, 300, 400]) {
      const r = await twoPunchers('shmem', 2 * MiB, count, PROBE_GAP_NS, defaultProfile().withOverrides({ 'shmem.inode_lock_handover_page_ns': ns }));
      const s = summarisePass({ backend: 'shmem', lenBytes: 2 * MiB, countPerThread: count, threads: 2, punches: r.punches });
      runs.push({ ratio: r.opsPerSec / r.singleOpsPerSec, s });
    }
    runs.sort((a, b) => a.ratio - b.ratio);
    return runs;
  };
  const none = await medianRatio(0);
  assert.ok(none.every((x) => x.ratio > 0.95), `no hand-over cost: two/one aggregates ${none.map((x) => x.ratio.toFixed(3))}`);
  const probedCost = await medianRatio(perPage);
  const mid = probedCost[1]!;
  assert.ok(Math.abs(mid.ratio - row.two_over_one_ops) <= 0.1, `probed hand-over cost ${perPage} ns/page: model two/one aggregates ${probedCost.map((x) => x.ratio.toFixed(3))} (median vs probe ${row.two_over_one_ops})`);
  // The analysis that measured it on the kernel finds it again in the model's punches.
  for (const { s } of probedCost) assert.ok(Math.abs(s.handover_extra_ns! - 512 * perPage) < 0.1 * 512 * perPage, `model hand-over extra ${s.handover_extra_ns} ns`);
});
