// Calibration, in-sample: the default profile's costs were fitted to section-7 rows (measured
// figures in test/fixtures/measured/, provenance there); these tests check that the fit
// reproduces the rows it was fitted to, within 10%. They check the fitting arithmetic and the
// composition of costs, not the model's power to predict: that is
// calibration-predictions.test.ts (left-out sizes refitted and predicted, differences the model
// composes, rows no cost was fitted to). sim/costs/README.md "How the default profile was fitted"
// says which rows each cost came from; FITTED below lists them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseProbeOutput } from '../../sim/calibrate/two-punchers-analysis.js';
import { defaultProfile } from '../../sim/costs/index.js';
import { fallocateNs, punchNs, twoPunchers } from './calibration-scenarios.js';
import { measured, measuredRow, measuredTwoPunchers, pct, sizeBytes } from './measured.js';

const TOL = 0.1;

function check(row: string, size: string, got: number): void {
  const want = measured(row, size);
  const err = (got - want) / want;
  assert.ok(Math.abs(err) <= TOL, `${row} ${size}: model ${got} ns vs measured ${want} ns (${pct(got, want)})`);
}

/** The rows and sizes each fit used (sim/costs/README.md), and the scenario that reproduces them. */
const FITTED: Array<[string, string[], (len: number) => Promise<number>]> = [
  // fixed from 4 KiB, slope from 2 MiB and 64 MiB
  ['shmem.fallocate', ['4KiB', '2MiB', '64MiB'], (len) => fallocateNs('shmem', len)],
  ['gmem.fallocate', ['4KiB', '2MiB', '64MiB'], (len) => fallocateNs('gmem', len)],
  // hole = the fixed cost; first batch, per page and first-batch extra from the four populated rows
  ['shmem.punch_populated', ['4KiB', '64KiB', '2MiB', '64MiB'], (len) => punchNs('shmem', len)],
  ['shmem.punch_hole', ['4KiB', '64KiB', '2MiB', '64MiB'], (len) => punchNs('shmem', len, { hole: true })],
  ['gmem.punch_populated_unbound', ['4KiB', '64KiB', '2MiB', '64MiB'], (len) => punchNs('gmem', len)],
  ['gmem.punch_hole_unbound', ['4KiB', '64KiB', '2MiB', '64MiB'], (len) => punchNs('gmem', len, { hole: true })],
  // invalidate begin + end from 4 KiB, the shadow rmap walk per gfn from all four
  ['gmem.punch_hole_bound', ['4KiB', '64KiB', '2MiB', '64MiB'], (len) => punchNs('gmem', len, { hole: true, bound: true })],
];

for (const [row, sizes, fn] of FITTED) {
  test(`in-sample (the fit reproduces its inputs): ${row} within 10% at ${sizes.join(', ')}`, async () => {
    assert.ok(sizes.length > 0);
    for (const size of sizes) check(row, size, await fn(sizeBytes(size)));
  });
}

test('the profile\'s calibration block copies the measured fixture (the figures the fit used, unchanged)', () => {
  const cal = defaultProfile().file.calibration as Record<string, unknown>;
  const rows = Object.keys(cal).filter((k) => k !== 'source');
  assert.ok(rows.length >= 10, `calibration block rows: ${rows.join(', ')}`);
  for (const row of rows) {
    const figures = cal[row] as Record<string, unknown>;
    for (const [size, v] of Object.entries(figures)) assert.deepEqual(v, measuredRow(row).sizes[size], `${row} ${size}`);
  }
});

// Two threads punching disjoint ranges of one file (sim/costs/README.md, "Two punchers", has
// the reasoning). Both threads run on the two CPUs; a contended writer spins on the running owner
// (rwsem writer optimistic spinning) and takes the lock on its release, so the threads strictly
// alternate: per punch = 2 x (hold + contended refill + spin hand-off) - gap, aggregate =
// 1 / (hold + refill + hand-off). The refill (the lines the other CPU dirtied last, fitted to the
// 4 KiB rows) brings both 4 KiB figures, latency and aggregate, within 10%.

// The time between one punch's return and the same thread's next punch, as the kernel probe
// recorded it (median over a two-thread 2 MiB pass on this machine's kernel): no user-space loop,
// only the probe's clock reads. The single-thread aggregate then follows from the latency
// distribution (the per-CPU page-list drain every 2016 pages, sim/model/pcp.ts), not from an
// invented loop.
function probeGapNs(): number {
  const pass = parseProbeOutput(readFileSync(fileURLToPath(new URL('../../../test/fixtures/two-punchers-gmem-2m.txt', import.meta.url)), 'utf8'));
  const gaps: number[] = [];
  for (const t of [0, 1]) {
    const mine = pass.punches.filter((x) => x.thread === t).sort((a, b) => a.startNs - b.startNs);
    for (let i = 1; i < mine.length; i++) gaps.push(mine[i]!.startNs - mine[i - 1]!.endNs);
  }
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}
const GAP_NS = probeGapNs();
test('the probe gap between punches is tens of ns (no user-space loop)', () => {
  assert.ok(GAP_NS >= 0 && GAP_NS < 200, `gap ${GAP_NS} ns`);
});

// The 2 MiB rows stay TODO (sim/costs/README.md "Two punchers" has the evidence). The model now
// has the single-thread tail (per-CPU page-list drains, sim/model/pcp.ts: the one-thread
// aggregate test above passes) and the probe's 30 ns gap, and both lock regimes: strict
// turn-taking on an idle host, runs of stealing when a spinner (lock.tick_resched_ppm) or an owner
// inside its truncation loop (sched.resched_interval_ns, sim/model/cond-resched.ts) is
// preempted. Measured with this profile (idle): guest_memfd median 110.2 us (+38.3% of 79.7),
// aggregate 14.9 k/s (+11.2% of 13.4); shmem 138.9 us (+55.9% of 89.1), 12.3 k/s (+19.2% of 10.3).
// With owners preempted once per tick on average (300 punches per thread: the probe's mix, 30%
// turn-taking): guest_memfd 54.6 us (-31.5%), shmem 116.1 us (+30.3%), aggregates unchanged. The latency modes are a lone
// punch (54.6 us), a lone punch with a drain (~102 us) and two punches back to back (110 us and
// up): the kernel's 79.7 us lies between them, where its per-punch spread puts it (one thread on
// this machine: p10 0.72x, p90 1.76x the median), and a deterministic per-punch cost has no such
// spread; the two-thread aggregate is one thread's in either regime (as the probe records here:
// 0.79-1.15x between passes) while section 7's is 0.905x. Fitting a jitter and a hand-off loss to
// these two numbers would be tuning, so they stay TODO.
// The kernel trace (bench/kernel-probe/trace-stealing.sh, bench/results/kernel-probe-trace-stealing.json)
// then showed the trigger is not per page freed: waiters stop spinning 0.54-0.60 times per
// spinner tick at 4 KiB and 2 MiB alike (mostly rcu_preempt wake-ups); the size decides only
// whether the sleep becomes a run (4 KiB: back in ~60 us, 0 of 177 sleeps reached 4 ms; 2 MiB:
// 145 of 163 waited for HANDOFF, median 8.4 ms). The shipped profile now carries that rate
// (lock.tick_resched_ppm 571000) and the traced wake-up latency with its spread (lock.wakeup_ns
// 3.5 us + Exp(lock.wakeup_spread_ns 7.4 us), scaled to section 7's host), which keeps 4 KiB
// turn-taking (0.95-0.98 over 20000 punches per thread, two-punchers-regimes.test.ts) and gives
// 2 MiB the kernel's mix (guest_memfd 300 per thread: 0.275 turn-taking, 3 hand-off waits). The
// 2 MiB rows then give, at this test's 48 punches per thread: guest_memfd 110.2 us (+38.3%) /
// 14.9 k/s (+11.1%), shmem 68.8 us (-22.8%) / 12.3 k/s (+19.7%); at 300 per thread: guest_memfd
// 54.6 us (-31.5%) / 15.0 k/s, shmem 116.1 us (+30.3%) / 12.3 k/s. Still the modes, not the
// kernel's median between them.
// 2026-12-03, on an EPYC build that punches shmem as fast as section 7's host (72.4 us alone at
// 2 MiB): two threads gave 87.8 us (73-116 us over 36 passes) and 0.79x one thread's aggregate
// (0.73-1.07), and the first punch after the lock changed CPUs cost 0.19-0.30 us per page more
// in most passes (bench/kernel-probe/README.md "What a hand-over of the lock costs"). With that
// cost (shmem.inode_lock_handover_page_ns = 242, not shipped: section 7's host was not measured
// for it) the model's shmem aggregate comes to 8.2 / 9.2 k/s (48 / 300 punches per thread)
// against 10.3 k/s, and its median stays on a mode (116.1 / 68.8 us against 89.1): it has no
// per-punch spread, and the kernel's two-thread median is the ~60th percentile of its lone punches.
const TWO_MIB_TODO = 'with the traced stealing trigger (a fixed rate per tick, 0.571 per spinner tick, not per page freed) and wake-up spread in the profile the model gives guest_memfd 110.2 us / 14.9 k/s (48 punches per thread) or 54.6 us / 15.0 k/s (300) vs 79.7 us / 13.4 k/s, shmem 68.8 or 116.1 us / 12.3 k/s vs 89.1 us / 10.3 k/s: the latency modes, while the kernel median lies between them (see the comment above)';
for (const backend of ['shmem', 'gmem'] as const) {
  for (const [size, count] of [['4KiB', 200], ['2MiB', 48]] as const) {
    const target = {
      single_ops_per_s: measuredTwoPunchers(backend, size, 'single_ops_per_s'),
      per_punch_ns: measuredTwoPunchers(backend, size, 'per_punch_ns'),
      ops_per_s: measuredTwoPunchers(backend, size, 'ops_per_s'),
    };
    const loopNs = GAP_NS;
    if (size === '2MiB') {
      test(`in-sample (host.pcp_bulk_free_page_ns is fitted to this row's mean): one thread punching one ${backend} file, 2MiB: the aggregate within 10% of section 7`, async () => {
        const r = await twoPunchers(backend, sizeBytes(size), count, loopNs);
        const err = (r.singleOpsPerSec - target.single_ops_per_s!) / target.single_ops_per_s!;
        const msg = `${backend} 2MiB one thread: ${r.singleOpsPerSec.toFixed(0)}/s vs ${target.single_ops_per_s}/s (${(err * 100).toFixed(1)}%), median ${r.singleNs} ns`;
        assert.ok(Math.abs(err) <= TOL, msg);
        // The aggregate is the mean's, not the median's: the drains make it lower than 1 / median.
        assert.ok(r.singleOpsPerSec < 0.95e9 / r.singleNs, msg);
      });
    }
    test(`${size === '4KiB' ? 'in-sample' : 'out-of-sample'}: two threads punching one ${backend} file, ${size}: each punch slower than alone`, async () => {
      const r = await twoPunchers(backend, sizeBytes(size), count, loopNs);
      assert.ok(r.meanNs > r.singleNs * 1.2, `two punchers ${r.meanNs.toFixed(0)} ns/punch (mean) vs one ${r.singleNs.toFixed(0)} ns`);
    });
    test(`${size === '4KiB' ? 'in-sample (the contended refill is fitted to the 4 KiB rows)' : 'out-of-sample'}: two threads punching one ${backend} file, ${size}: per-punch latency and aggregate throughput within 10% of section 7`, size === '2MiB' ? { todo: TWO_MIB_TODO } : {}, async () => {
      const r = await twoPunchers(backend, sizeBytes(size), count, loopNs);
      const err = (r.perPunchNs - target.per_punch_ns!) / target.per_punch_ns!;
      const aggErr = (r.opsPerSec - target.ops_per_s!) / target.ops_per_s!;
      const msg = `${backend} ${size}: two punchers median ${r.perPunchNs.toFixed(0)} ns/punch (mean ${r.meanNs.toFixed(0)}) vs ${target.per_punch_ns} (${(err * 100).toFixed(1)}%); aggregate ${r.opsPerSec.toFixed(0)}/s vs ${target.ops_per_s}/s (${(aggErr * 100).toFixed(1)}%)`;
      assert.ok(Math.abs(err) <= TOL && Math.abs(aggErr) <= TOL, msg);
      // The fit must not come from a lock that stopped serialising: aggregate below two threads' worth.
      assert.ok(r.opsPerSec < r.singleOpsPerSec, msg);
    });
  }
}
