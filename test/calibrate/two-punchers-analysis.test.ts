// The probe analysis classifies who held the lock when, from per-punch timestamps alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lockShares, parseProbeOutput, summarisePass, summariseRow, type ProbePass } from '../../sim/calibrate/two-punchers-analysis.js';

const HOLD = 100_000;

function pass(order: number[], hold = HOLD): ProbePass {
  // Back-to-back punches in the given thread order, each waiting for the one before.
  const punches = order.map((thread, i) => ({ thread, startNs: i * hold, endNs: (i + 1) * hold }));
  return { backend: 'gmem', lenBytes: 2 << 20, countPerThread: order.length / 2, threads: 2, punches };
}

test('strict turn-taking is all alternation, runs of one', () => {
  const s = summarisePass(pass(Array.from({ length: 100 }, (_, i) => i % 2)));
  assert.equal(s.mean_run, 1);
  assert.equal(s.alternating_share, 0.98); // the first and last punch have one neighbour only
  assert.equal(s.ops_per_s, 10_000);
});

test('one thread then the other is one run each, no alternation', () => {
  const s = summarisePass(pass([...Array(50).fill(0), ...Array(50).fill(1)]));
  assert.equal(s.mean_run, 50);
  assert.equal(s.alternating_share, 0);
});

test('median, share near it and hand-off waits come from the latencies', () => {
  const p = pass([0, 1, 0, 1]);
  p.punches[3]!.endNs = p.punches[3]!.startNs + 5_000_000;
  const s = summarisePass(p);
  assert.equal(s.median_ns, HOLD);
  assert.equal(s.waits_over_4ms, 1);
  assert.equal(s.share_near_median, 0.75);
  assert.equal(s.max_ns, 5_000_000);
});

test('a recorded pass on this kernel (guest_memfd, 2 MiB, two threads) parses and shows both regimes', () => {
  const text = readFileSync(fileURLToPath(new URL('../../../test/fixtures/two-punchers-gmem-2m.txt', import.meta.url)), 'utf8');
  const p = parseProbeOutput(text);
  assert.equal(p.backend, 'gmem');
  assert.equal(p.threads, 2);
  assert.equal(p.punches.length, 2 * p.countPerThread);
  const s = summarisePass(p);
  assert.ok(s.p10_ns <= s.median_ns && s.median_ns <= s.p90_ns);
  // Both regimes: some punches alternate, some threads run several in a row, and some waits
  // reach the 4 ms RWSEM_WAIT_TIMEOUT hand-off.
  assert.ok(s.alternating_share > 0.1 && s.alternating_share < 0.9, `alternating ${s.alternating_share}`);
  assert.ok(s.mean_run > 1.5, `mean run ${s.mean_run}`);
  assert.ok(s.waits_over_4ms > 0);
});

test('passes combine into medians and the spread of the two-thread median', () => {
  const one = summarisePass(pass([0, 0, 0, 0]));
  const mk = (h: number) => ({ one, two: summarisePass(pass([0, 1, 0, 1], h)) });
  const r = summariseRow([mk(100_000), mk(120_000), mk(150_000)]);
  assert.equal(r.two_median_ns, 120_000);
  assert.equal(r.two_median_spread, 0.417);
  assert.equal(r.two_over_one_median, 1.2);
});

test('a hand-over that costs more than a punch shows as handover_extra_ns; one thread has none', () => {
  // Thread 0 punches three times back to back; thread 1, waiting since 0, gets the lock at 300 us
  // and returns 250 us later: 150 us beyond a punch. Then thread 0 again, 100 us after that.
  const p: ProbePass = {
    backend: 'shmem', lenBytes: 2 << 20, countPerThread: 2, threads: 2,
    punches: [
      { thread: 0, startNs: 0, endNs: 100_000 },
      { thread: 0, startNs: 100_000, endNs: 200_000 },
      { thread: 0, startNs: 200_000, endNs: 300_000 },
      { thread: 1, startNs: 0, endNs: 550_000 },
      { thread: 0, startNs: 300_000, endNs: 650_000 },
      { thread: 1, startNs: 550_000, endNs: 750_000 },
    ],
  };
  const s = summarisePass(p);
  assert.equal(s.handovers, 3);
  assert.equal(s.continuation_lock_ns, 100_000);
  assert.equal(s.handover_lock_ns, 100_000); // 250, 100, 100 us: the median
  assert.equal(s.handover_extra_ns, 0);
  p.punches[5]!.endNs = 900_000; // the second hand-over to thread 1 also costs 150 us more
  assert.equal(summarisePass(p).handover_extra_ns, 150_000);
  const one = summarisePass(pass([0, 0, 0, 0]));
  assert.equal(one.handovers, 0);
  assert.equal(one.handover_extra_ns, null);
  assert.equal(one.continuation_lock_ns, HOLD);
});

test('rmsim probe names the missing /dev/kvm instead of failing inside the probe', { skip: existsSync('/dev/kvm') ? 'this host has /dev/kvm' : false }, async () => {
  const { rmsim } = await import('../workload/cli-harness.js');
  const r = await rmsim(['probe', 'two-punchers', '--backends', 'gmem', '--no-write']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /guest_memfd needs \/dev\/kvm.*--backends shmem/);
});

test('output without a header is refused with a clear message', () => {
  assert.throws(() => parseProbeOutput('0 1 2\n'), /no "# backend=/);
});

test('rmsim probe refuses bad arguments with one line and exit 2, before building anything', async () => {
  const { rmsim } = await import('../workload/cli-harness.js');
  for (const [args, want] of [
    [['probe', 'three-punchers'], /unknown probe 'three-punchers'/],
    [['probe', 'two-punchers', '--sizes', '3KiB'], /not a positive multiple of 4 KiB/],
    [['probe', 'two-punchers', '--backends', 'ext4'], /unknown backend 'ext4'/],
    [['probe', 'two-punchers', '--passes', '0'], /--passes must be a positive integer/],
  ] as const) {
    const r = await rmsim([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('lock shares leave out punches that waited half a tick or more (a sleeper waiting for a CPU), keeping them as the predecessor', () => {
  // Thread 0 punches back to back (100 us each); thread 1's one punch started at 0 and ended 5 ms later, after 0's 49th.
  const punches = [...Array.from({ length: 50 }, (_, i) => ({ thread: 0, startNs: i * HOLD, endNs: (i + 1) * HOLD })), { thread: 1, startNs: 0, endNs: 5_050_000 }, { thread: 0, startNs: 5_000_000, endNs: 5_150_000 }];
  const all = lockShares(punches);
  assert.equal(all.handover.length, 2); // thread 1's punch, and thread 0's after it
  const short = lockShares(punches, 2_000_000);
  assert.deepEqual(short.handover, [100_000]); // thread 0's punch after thread 1's: 5.15 - 5.05 ms
  assert.equal(short.continuation.length, all.continuation.length);
});
