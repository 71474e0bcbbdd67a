// A guest_memfd punch after a guest fault on another CPU into the same file pays
// gmem.punch_after_guest_fault_ns once (sim/model/guest-memfd.ts chargeAfterGuestFault), and the
// calibration fits it back from the probe pair (bench/kernel-probe/sequence-run.ts) when the
// pair is made by the model under a known cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile, parseProfile } from '../../sim/costs/index.js';
import { fitProfile } from '../../sim/calibrate/fit-profile.js';
import { FIT_RULES } from '../../sim/calibrate/fit-rules.js';
import { simulateSequence } from '../../sim/calibrate/simulate-sequence.js';
import { guestFaultPunchRow, guestFaultPunchSequence, type SequenceRep } from '../../bench/kernel-probe/sequence-run.js';
import type { KernelSequence, ProbeRecording } from '../../sim/calibrate/types.js';

const COST = 900;

function profileWith(ns: number) {
  const file = JSON.parse(JSON.stringify(defaultProfile().file));
  file.costs['gmem.punch_after_guest_fault_ns'].value = ns;
  return parseProfile(file, 'test');
}

/** A bound file whose first 64 KiB a guest touched (on `toucher`'s thread, before the timed part), then two punches of another populated range by thread 0. */
function afterTouchBy(toucher: number): KernelSequence {
  const punch = (i: number) => ({ op: 'punch' as const, file: 0, offset: (1 << 20) + i * 4096, len: 4096, thread: 0 });
  return {
    name: 'after-touch', description: '', files: [{ backend: 'guest_memfd', size_bytes: 2 << 20, bound: true }],
    setup: [{ op: 'allocate', file: 0, offset: 1 << 20, len: 1 << 20, thread: 0 }, { op: 'guest_touch', file: 0, offset: 0, len: 64 << 10, thread: toucher }],
    ops: [punch(0), punch(1)],
  };
}

test('the first punch after another thread\'s guest faults pays the cost once; after its own faults nothing', async () => {
  const base = (await simulateSequence(afterTouchBy(1), profileWith(0))).op_ns;
  const other = (await simulateSequence(afterTouchBy(1), profileWith(COST))).op_ns;
  assert.deepEqual(other, [base[0] + COST, base[1]]);
  const own = await simulateSequence(afterTouchBy(0), profileWith(COST));
  const ownBase = await simulateSequence(afterTouchBy(0), profileWith(0));
  assert.deepEqual(own.op_ns, ownBase.op_ns);
});

async function modelRows(ns: number) {
  const truth = profileWith(ns);
  const rows = [];
  for (const vcpu of ['faulting', 'idle'] as const) {
    const seq = guestFaultPunchSequence(vcpu);
    const m = await simulateSequence(seq, truth);
    const rep: SequenceRep = { rep: 0, wall_ns: m.wall_ns, op_ns: m.op_ns, op_errors: m.op_errors };
    rows.push(guestFaultPunchRow(seq, vcpu, [rep], 1));
  }
  return rows;
}

function fitRows(rows: ProbeRecording['rows']): number {
  const rec: ProbeRecording = { schema: 'rmsim.probe/1', host: { cpu_model: 'model', kernel: 'model', nested: false, date: '2026-01-01T00:00:00Z', online_cpus: 2, kvm: true, guest_memfd: true, shmem_enabled: 'never' }, command: 'model', rows, skipped: [] };
  const rules = FIT_RULES.filter((r) => r.sets.includes('gmem.punch_after_guest_fault_ns'));
  return fitProfile(rec, defaultProfile().file, { rules }).profile.costs['gmem.punch_after_guest_fault_ns'].value;
}

test('the probe pair made by the model under a known cost fits that cost back', async () => {
  const rows = await modelRows(COST);
  assert.ok(Number(rows[0].params.fault_period_ns) > 0);
  const got = fitRows(rows);
  assert.ok(Math.abs(got - COST) <= 0.15 * COST, `fitted ${got} ns, the model ran with ${COST}`);
});

test('punches while the guest faults that read faster than with it idle fit 0, not a negative cost', async () => {
  const [faulting, idle] = await modelRows(COST);
  const faster = { ...faulting, samples_ns: idle.samples_ns.map((x) => x / 2) };
  assert.equal(fitRows([faster, idle]), 0);
});
