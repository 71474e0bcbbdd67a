// The two-puncher terms: the syscall's share outside the file lock (host.fallocate_syscall_ns),
// the spinner's resched chance per tick (lock.tick_resched_ppm) and the contended refill, each
// fitted from probe rows the way the model charges them; and the model's split of a fallocate
// around the lock (sim/model/sys-fallocate.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile, parseProfile } from '../../sim/costs/index.js';
import { fitProfile, fitProfileRounds } from '../../sim/calibrate/fit-profile.js';
import { FIT_RULES } from '../../sim/calibrate/fit-rules.js';
import { simulateSequence, simulateSequenceReps } from '../../sim/calibrate/simulate-sequence.js';
import { syscallRow } from '../../bench/kernel-probe/two-punchers-rows.js';
import type { KernelSequence, ProbeRecording, ProbeRow } from '../../sim/calibrate/types.js';

const HOST = { cpu_model: 'model', kernel: 'model', nested: false, date: '2026-01-01T00:00:00Z', online_cpus: 2, kvm: true, guest_memfd: true, shmem_enabled: 'never' };
const rec = (rows: ProbeRow[]): ProbeRecording => ({ schema: 'rmsim.probe/1', host: HOST, command: 'test', rows, skipped: [] });
const MS = 1_000_000;

test('the zero-length punches of the probe make a fallocate.syscall row, and its median is the syscall cost', () => {
  const text = ['# backend=shmem len=0 count=3 threads=1 gap_ns=0 wall_ns=900 base_mono_ns=1', '0 0 210', '0 300 520', '0 600 800'].join('\n');
  const row = syscallRow(text, 'shmem', 1);
  assert.deepEqual(row.samples_ns, [210, 220, 200]);
  assert.throws(() => syscallRow(text.replace('len=0', 'len=4096'), 'shmem', 1), /4096-byte punches/);
  const fit = fitProfile(rec([row, { ...row, backend: 'guest_memfd', samples_ns: [230, 230, 230] }]), defaultProfile().file);
  assert.equal(fit.profile.costs['host.fallocate_syscall_ns'].value, 220); // mean of the medians 210 and 230
});

/** A two-thread row of 2 MiB punches: `turns` punches of 400 us each (taking turns) and `runs` waits of 6 ms. */
function twoThreadRow(size: number, turns: number, runs: number): ProbeRow {
  const samples = [...Array.from({ length: turns }, () => 400_000), ...Array.from({ length: runs }, () => 6 * MS)];
  return { probe: 'two_punchers', backend: 'shmem', params: { size_bytes: size, threads: 2, pass: 1, state: 'populated', gap_ns: 0 }, samples_ns: samples };
}

test("the spinner's resched chance per tick is runs of stealing per tick of turn-taking, from 2 MiB rows only", () => {
  const tick = defaultProfile().file.lockCosts.tick_ns.value;
  // Both threads are always in a punch: the row spans half its latencies, (200 x 400 us + 3 x 6 ms) / 2
  // = 49 ms, of which the 3 runs (each as long as the wait it caused) take 18 ms: 31 ms of turns.
  const rows = [twoThreadRow(2 << 20, 200, 3)];
  const fit = fitProfile(rec(rows), defaultProfile().file);
  const q = 3 / ((200 * 400_000 + 3 * 6 * MS) / 2 - 3 * 6 * MS) * tick;
  assert.equal(fit.profile.lockCosts.tick_resched_ppm.value, Math.round(q * 1e6));
  // A 4 KiB row's long waits do not count: there a woken waiter mostly takes the lock in the releaser's syscall.
  const with4k = fitProfile(rec([...rows, twoThreadRow(4096, 200, 5)]), defaultProfile().file);
  assert.equal(with4k.profile.lockCosts.tick_resched_ppm.value, Math.round(q * 1e6));
  // Without 2 MiB rows the chance is kept, with why.
  const none = fitProfile(rec([twoThreadRow(4096, 200, 5)]), defaultProfile().file);
  assert.equal(none.profile.lockCosts.tick_resched_ppm.value, defaultProfile().file.lockCosts.tick_resched_ppm.value);
  assert.ok(none.notFitted.some((n) => n.costs.includes('lock.tick_resched_ppm')));
});

test('fitted per round, the chance per tick is the median of the rounds, a whole number of ppm', () => {
  const tick = defaultProfile().file.lockCosts.tick_ns.value;
  const q = (runs: number) => Math.round((runs / ((200 * 400_000 + runs * 6 * MS) / 2 - runs * 6 * MS)) * tick * 1e6);
  const rows = [twoThreadRow(2 << 20, 200, 3), twoThreadRow(2 << 20, 200, 2)];
  const fit = fitProfileRounds({ ...rec(rows), round_starts: [0, 1] }, defaultProfile().file);
  const got = fit.profile.lockCosts.tick_resched_ppm.value;
  assert.equal(got, Math.round((q(3) + q(2)) / 2));
  assert.ok(Number.isInteger(got));
});

/** Below the shipped shmem.punch_fixed_ns (230 ns): the share is capped at the call's fixed cost. */
const SYSCALL = 200;
const REFILL = 250;
/** What runs after the lock's release (shmem.fallocate_after_unlock_ns), with a fixed cost of 800 ns to take it from. */
const AFTER = 250;

/** The shipped profile with a syscall share, a refill, and no random host events (threads take turns throughout). */
function truth(sets: Record<string, number> = {}) {
  const file = defaultProfile().file;
  const out = JSON.parse(JSON.stringify(file));
  out.lockCosts.tick_resched_ppm.value = 0;
  for (const [k, v] of Object.entries({ 'host.fallocate_syscall_ns': SYSCALL, 'shmem.inode_lock_contended_refill_ns': REFILL, ...sets })) out.costs[k].value = v;
  return parseProfile(out, 'truth');
}

/** Threads 0..threads-1 each punch `count` consecutive 4 KiB ranges of their part of one populated shmem file. */
function punchers(threads: number, count: number): KernelSequence {
  const len = 4096;
  const size = threads * count * len;
  const ops = Array.from({ length: count }, (_, i) => Array.from({ length: threads }, (_, t) => ({ op: 'punch' as const, file: 0, offset: (t * count + i) * len, len, thread: t }))).flat();
  return { name: 'punchers', description: '', files: [{ backend: 'shmem', size_bytes: size }], setup: [{ op: 'allocate', file: 0, offset: 0, len: size }], ops };
}

const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('a lone fallocate costs the same whatever share of its fixed cost runs outside the lock', async () => {
  const one = punchers(1, 50);
  const without = await simulateSequence(one, truth({ 'host.fallocate_syscall_ns': 0 }));
  const withShare = await simulateSequence(one, truth());
  assert.deepEqual(withShare.op_ns, without.op_ns);
});

test('two punchers take turns at the lock: each punch waits out the other\'s hold, but not its syscall', async () => {
  const p = truth();
  const lone = medianOf((await simulateSequence(punchers(1, 200), p)).op_ns);
  const two = medianOf((await simulateSequence(punchers(2, 200), p)).op_ns);
  const lock = p.lockCosts;
  const period = lone - SYSCALL + REFILL + lock.spin_poll_ns + lock.cacheline_ns; // one hold, handed over
  assert.equal(two, 2 * period, `two threads ${two} ns a punch, expected 2 x ${period}`);
  assert.ok(two < 2 * (lone + REFILL), 'the syscalls overlap the other thread\'s hold');
});

/** Fit `cost` (and what its rule sets) from 4 KiB one- and two-thread rows the model made under `p`, and the syscall row. */
async function fitFromModelRows(p: ReturnType<typeof truth>, cost: string) {
  const one = await simulateSequence(punchers(1, 400), p);
  const two = await simulateSequence(punchers(2, 400), p);
  const row = (threads: number, samples: number[]): ProbeRow => ({ probe: 'two_punchers', backend: 'shmem', params: { size_bytes: 4096, threads, pass: 1, state: 'populated', gap_ns: 0 }, samples_ns: samples });
  const syscall: ProbeRow = { probe: 'fallocate.syscall', backend: 'shmem', params: { size_bytes: 0, pass: 1 }, samples_ns: [SYSCALL] };
  const rules = FIT_RULES.filter((r) => r.sets.some((s) => s === 'host.fallocate_syscall_ns' || s === cost));
  return fitProfile(rec([syscall, row(1, one.op_ns), row(2, two.op_ns)]), defaultProfile().file, { rules });
}

test('the contended refill fitted from model-made rows (one and two threads, 4 KiB) and the syscall row is the one the model ran with', async () => {
  const fit = await fitFromModelRows(truth(), 'shmem.inode_lock_contended_refill_ns');
  // The probe's rows carry its clock reads between punches (the rule's gap, 30 ns); the model's have none.
  assert.ok(Math.abs(fit.profile.costs['shmem.inode_lock_contended_refill_ns'].value - REFILL) <= 20, `refill ${fit.profile.costs['shmem.inode_lock_contended_refill_ns'].value}`);
});

test('a lone punch costs the same with part of its fixed cost after the unlock; two that take turns each wait that much less', async () => {
  const after = (v: number) => truth({ 'shmem.punch_fixed_ns': 800, 'shmem.inode_lock_contended_refill_ns': 0, 'shmem.fallocate_after_unlock_ns': v });
  assert.deepEqual((await simulateSequence(punchers(1, 50), after(AFTER))).op_ns, (await simulateSequence(punchers(1, 50), after(0))).op_ns);
  const twoWithout = medianOf((await simulateSequence(punchers(2, 200), after(0))).op_ns);
  const twoWith = medianOf((await simulateSequence(punchers(2, 200), after(AFTER))).op_ns);
  assert.equal(twoWithout - twoWith, 2 * AFTER); // each thread's cycle is two holds, both shorter by AFTER
});

test('fitted from rows the model made, the share after the unlock is the one it ran with, and the refill 0', async () => {
  const fit = await fitFromModelRows(truth({ 'shmem.punch_fixed_ns': 800, 'shmem.inode_lock_contended_refill_ns': 0, 'shmem.fallocate_after_unlock_ns': AFTER }), 'shmem.fallocate_after_unlock_ns');
  // The rule adds the probe's clock reads between punches (30 ns) that the model's rows lack: half of it lands here.
  const got = fit.profile.costs['shmem.fallocate_after_unlock_ns'].value;
  assert.ok(Math.abs(got - AFTER) <= 20, `after the unlock ${got} ns, ran with ${AFTER}`);
  assert.equal(fit.profile.costs['shmem.inode_lock_contended_refill_ns'].value, 0);
});

test('a sequence simulated over several seeds is reduced per op like the kernel\'s repetitions', async () => {
  const seq = punchers(1, 20);
  const p = truth();
  const once = await simulateSequence(seq, p);
  const thrice = await simulateSequenceReps(seq, p, 3);
  // No random event reaches one thread's punches: every seed gives the same, so the medians are those.
  assert.deepEqual(thrice.op_ns, once.op_ns);
  await assert.rejects(simulateSequenceReps(seq, p, 0), /positive integer/);
});
