// Calibration check (issue 4, "Done when"): with the profile built from kernel-model.md
// section 7, the model's single fallocate and punch operations and the two-puncher figures come
// within 10% of those figures (v10 against the shmem rows, guest_memfd against its rows). The
// targets are read from the profile's calibration block, which copies section 7.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../../sim/costs/index.js';
import { fallocateNs, punchNs, twoPunchers } from './calibration-scenarios.js';
import { KiB, MiB } from './helpers.js';

const cal = defaultProfile().file.calibration as Record<string, Record<string, number>>;
const SIZES: Record<string, number> = { '4KiB': 4 * KiB, '64KiB': 64 * KiB, '2MiB': 2 * MiB, '64MiB': 64 * MiB };
const TOL = 0.1;

function check(row: string, size: string, got: number): void {
  const want = cal[row]?.[size];
  assert.ok(want !== undefined, `no calibration figure ${row} ${size}`);
  const err = (got - want) / want;
  assert.ok(Math.abs(err) <= TOL, `${row} ${size}: model ${got} ns vs measured ${want} ns (${(err * 100).toFixed(1)}%)`);
}

const ROWS: Array<[string, (len: number) => Promise<number>]> = [
  ['shmem.fallocate', (len) => fallocateNs('shmem', len)],
  ['shmem.punch_populated', (len) => punchNs('shmem', len)],
  ['shmem.punch_hole', (len) => punchNs('shmem', len, { hole: true })],
  ['gmem.fallocate', (len) => fallocateNs('gmem', len)],
  ['gmem.punch_populated_unbound', (len) => punchNs('gmem', len)],
  ['gmem.punch_populated_bound', (len) => punchNs('gmem', len, { bound: true })],
  ['gmem.punch_hole_unbound', (len) => punchNs('gmem', len, { hole: true })],
  ['gmem.punch_hole_bound', (len) => punchNs('gmem', len, { hole: true, bound: true })],
];

for (const [row, fn] of ROWS) {
  test(`calibration: ${row} within 10% of section 7 at every measured size`, async () => {
    for (const size of Object.keys(cal[row] ?? {})) check(row, size, await fn(SIZES[size]!));
  });
}

// Two threads punching disjoint ranges of one file (sim/costs/README.md, "Two punchers", has
// the reasoning). Both threads run on the two CPUs; a contended writer spins on the running owner
// (rwsem writer optimistic spinning) and takes the lock on its release, so the threads strictly
// alternate: per punch = 2 x (hold + contended refill + spin hand-off) - loop, aggregate =
// 1 / (hold + refill + hand-off). The refill (the lines the other CPU dirtied last, fitted to the
// 4 KiB rows) brings both 4 KiB figures, latency and aggregate, within 10%.
//
// The 2 MiB rows stay TODO: they are not consistent with that, or with any one regime of the
// kernel's rwsem. Their aggregate is BELOW one thread's (shmem 10.3 vs 11.7 k/s, guest_memfd
// 13.4 vs 14.8 k/s), so the threads' 11-13 us loops do not overlap the other's hold and each hold
// grows by 13-16%; under spinning the loops always overlap (aggregate >= one thread's) and the
// median is ~2 x hold - loop (model: shmem 126 us, guest_memfd 99 us, vs 89.1 and 79.7).
// Turn-taking by stealing (the woken waiter too slow to beat the releaser's loop; hand-off after
// 4 ms) gives median ~ hold, i.e. shmem ~73 us and guest_memfd at most 74.6 - 11 = 63.6 us (its
// measured period per punch), below its measured median 79.7 us. No single regime fits both
// 2 MiB figures of either backend; a mixture would be a free parameter fitted to two numbers, and
// the probe's per-thread repetition count and thread start skew (which decide how many punches
// run uncontended) are not recorded. Left for the calibration issue, with the probe's lock wait
// and hold times traced on the host.
const TWO_MIB_TODO = 'section-7 2 MiB two-puncher figures fit no single rwsem regime (aggregate below one thread, median below 2 x hold - loop); see the comment above';
for (const backend of ['shmem', 'gmem'] as const) {
  for (const [size, count] of [['4KiB', 200], ['2MiB', 12]] as const) {
    const target = (cal[`${backend}.two_punchers`] as unknown as Record<string, Record<string, number>>)[size]!;
    const loopNs = Math.round(1e9 / target.single_ops_per_s! - target.single_ns!);
    test(`calibration: two threads punching one ${backend} file, ${size}: each punch slower than alone`, async () => {
      const r = await twoPunchers(backend, SIZES[size]!, count, loopNs);
      assert.ok(r.meanNs > r.singleNs * 1.2, `two punchers ${r.meanNs.toFixed(0)} ns/punch (mean) vs one ${r.singleNs.toFixed(0)} ns`);
    });
    test(`calibration: two threads punching one ${backend} file, ${size}: per-punch latency and aggregate throughput within 10% of section 7`, size === '2MiB' ? { todo: TWO_MIB_TODO } : {}, async () => {
      const r = await twoPunchers(backend, SIZES[size]!, count, loopNs);
      const err = (r.perPunchNs - target.per_punch_ns!) / target.per_punch_ns!;
      const aggErr = (r.opsPerSec - target.ops_per_s!) / target.ops_per_s!;
      const msg = `${backend} ${size}: two punchers median ${r.perPunchNs.toFixed(0)} ns/punch (mean ${r.meanNs.toFixed(0)}) vs ${target.per_punch_ns} (${(err * 100).toFixed(1)}%); aggregate ${r.opsPerSec.toFixed(0)}/s vs ${target.ops_per_s}/s (${(aggErr * 100).toFixed(1)}%)`;
      assert.ok(Math.abs(err) <= TOL && Math.abs(aggErr) <= TOL, msg);
      // The fit must not come from a lock that stopped serialising: aggregate below two threads' worth.
      assert.ok(r.opsPerSec < r.singleOpsPerSec, msg);
    });
  }
}
