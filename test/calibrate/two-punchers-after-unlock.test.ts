// What of a fallocate runs outside the file's lock beyond the syscall (gmem/shmem
// .fallocate_after_unlock_ns, sim/model/sys-fallocate.ts vfs_fallocate_exit) against the
// contended refill: both from the two-puncher probe's 4 KiB passes that took turns
// (two-punchers-analysis.ts alternationShares), checked on a committed recording's figures (the
// model's side, on rows it made itself: test/bench/two-punchers-fit.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../../sim/costs/index.js';
import { fitProfile } from '../../sim/calibrate/fit-profile.js';
import { FIT_RULES } from '../../sim/calibrate/fit-rules.js';
import { alternationShares } from '../../sim/calibrate/two-punchers-analysis.js';
import type { ProbeRecording, ProbeRow } from '../../sim/calibrate/types.js';

const HOST = { cpu_model: 'model', kernel: 'model', nested: false, date: '2026-01-01T00:00:00Z', online_cpus: 2, kvm: true, guest_memfd: true, shmem_enabled: 'never' };
const rec = (rows: ProbeRow[]): ProbeRecording => ({ schema: 'rmsim.probe/1', host: HOST, command: 'test', rows, skipped: [] });

/**
 * Excerpt of bench/results/validation/same-run/probe-recording.json (AMD EPYC, 6.18.44, idle,
 * 2026-12-04 22:32 UTC), guest_memfd 4 KiB, per round: one thread's median punch and the
 * two-thread pass's right after it. Round 2's threads ran one after the other (1662 ns, the lone
 * latency), round 3's took turns for part of the pass (3415 ns).
 */
const GMEM_4K = [
  { loneNs: 1632, pairedNs: 2503 },
  { loneNs: 1642, pairedNs: 1662 },
  { loneNs: 1662, pairedNs: 3415 },
  { loneNs: 1642, pairedNs: 2865 },
];
const SYSCALL_NS = 220;
const HANDOFF = 110; // the shipped lock.spin_poll_ns + lock.cacheline_ns
const GAP = 30;

test('only the passes that took turns count, and a hold shorter than the lone call less its syscall is time after the unlock', () => {
  const s = alternationShares({ passes: GMEM_4K, syscallNs: SYSCALL_NS, gapNs: GAP, handoffNs: HANDOFF });
  assert.ok(s);
  assert.deepEqual(s.turnTaking.map((p) => p.pairedNs), [2503, 3415, 2865]);
  // Per pass lone - syscall - ((paired + gap) / 2 - hand-off): 255.5, -170.5 and 84.5 ns; the median.
  assert.deepEqual(s.netNs, [255.5, -170.5, 84.5]);
  assert.equal(s.afterUnlockNs, 84.5);
  assert.equal(s.refillNs, 0);
});

test('a pass is judged against its own lone run: under load a slow spell moves both (2026-12-04 23:58, load 9-13)', () => {
  // Excerpt of a `validate --calibrate` recording under load: the lone punch read 2344 ns in one pass, 1562-1643 in the others.
  const passes = [{ loneNs: 1603, pairedNs: 1653 }, { loneNs: 2344, pairedNs: 2454 }, { loneNs: 1612, pairedNs: 2454 }];
  const s = alternationShares({ passes, syscallNs: 150, gapNs: GAP, handoffNs: HANDOFF });
  assert.ok(s);
  assert.deepEqual(s.turnTaking, [passes[2]]); // 2454 is 1.05x its own pass's lone run, 1.52x the other's
});

test('a pass that recorded its alternating share is judged by it, not by its median', () => {
  const passes = [{ loneNs: 1600, pairedNs: 1900, alternatingShare: 0.92 }, { loneNs: 1600, pairedNs: 2300, alternatingShare: 0.1 }, { loneNs: 1600, pairedNs: 2300 }];
  const s = alternationShares({ passes, syscallNs: 150, gapNs: GAP, handoffNs: HANDOFF });
  assert.ok(s);
  assert.deepEqual(s.turnTaking, [passes[0], passes[2]]);
});

test('a hold longer than the lone call is the refill (section 7 host: 4 KiB guest_memfd 477 ns alone, 1580 ns with two)', () => {
  const s = alternationShares({ passes: [{ loneNs: 477, pairedNs: 1580 }], syscallNs: 0, gapNs: GAP, handoffNs: HANDOFF });
  assert.ok(s);
  assert.equal(s.afterUnlockNs, 0);
  assert.equal(s.refillNs, (1580 + 30) / 2 - 110 - 477);
});

test('no pass that took turns: nothing to split, and the fit keeps both costs naming why', () => {
  assert.equal(alternationShares({ passes: [{ loneNs: 1642, pairedNs: 1662 }, { loneNs: 1622, pairedNs: 1633 }], syscallNs: 220, gapNs: GAP, handoffNs: HANDOFF }), null);
  const row = (threads: number, median: number): ProbeRow => ({ probe: 'two_punchers', backend: 'guest_memfd', params: { size_bytes: 4096, threads, pass: 1, state: 'populated', gap_ns: 0 }, samples_ns: [median, median, median] });
  const fit = fitProfile(rec([row(1, 1642), row(2, 1662)]), defaultProfile().file, { rules: FIT_RULES.filter((r) => r.sets.includes('gmem.fallocate_after_unlock_ns')) });
  const kept = fit.notFitted.find((n) => n.costs.includes('gmem.fallocate_after_unlock_ns'));
  assert.ok(kept && kept.costs.includes('gmem.invalidate_lock_contended_refill_ns'));
  assert.match(kept.why, /no two-thread pass took turns/);
});
