// The Perfetto trace: tracks grouped by VM, one track per lock instance named after its owner
// (vm0/mmu_lock, rmem0/notifier_lock), waits on the waiter's track, and overlapping read holds
// as one slice, so a one-VM run has exactly one mmu_lock track.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChromeTraceWriter, processOf } from '../../sim/output/chrome-trace.js';
import { loadWorkload } from '../../sim/workload/load.js';
import { runWorkload } from '../../sim/run/runner.js';
import { setsFor } from '../workload/small-runs.js';

interface Ev { name: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: Record<string, unknown> }

/** small: the test suite's scaled-down sizes; otherwise as shipped (balloon's first punch batch comes late). */
async function traceOf(workload: string, small: boolean) {
  const tracer = new ChromeTraceWriter();
  await runWorkload({ workload: loadWorkload(workload, { seed: 1, sets: small ? setsFor(workload) : [] }), tracer });
  const events = (JSON.parse(tracer.serialize()) as { traceEvents: Ev[] }).traceEvents;
  const procs = new Map(events.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args!.name as string]));
  const threads = events.filter((e) => e.name === 'thread_name').map((e) => ({ name: e.args!.name as string, process: procs.get(e.pid)!, tid: e.tid }));
  return { events, threads };
}

test('tracks group under their VM: vCPUs, VMM threads and the VM\'s locks', () => {
  assert.equal(processOf('vm0/vcpu1'), 'vm0');
  assert.equal(processOf('vm0-vmm/discard0'), 'vm0');
  assert.equal(processOf('vm12/mmu_lock'), 'vm12');
  assert.equal(processOf('rmem0/notifier_lock'), 'host');
  assert.equal(processOf('inode_lock'), 'host');
});

test('balloon: one track per lock instance, named after its owner, with no extra lanes', async () => {
  const { threads, events } = await traceOf('balloon', false);
  const names = threads.map((t) => t.name);
  for (const want of ['vm0/mmu_lock', 'rmem0/notifier_lock', 'vm0/vcpu0', 'vm0-vmm/reporting0']) assert.ok(names.includes(want), `${want} not in ${names.join(', ')}`);
  assert.deepEqual(names.filter((n) => / \(\d+\)$/.test(n)), [], 'no lane tracks');
  assert.deepEqual(names.filter((n) => n.endsWith('mmu_lock')), ['vm0/mmu_lock']);
  const byName = new Map(threads.map((t) => [t.name, t]));
  assert.equal(byName.get('vm0/mmu_lock')!.process, 'vm0');
  assert.equal(byName.get('vm0-vmm/reporting0')!.process, 'vm0');
  assert.equal(byName.get('rmem0/notifier_lock')!.process, 'host');
  // Waits sit on the waiter's own track and name the lock instance.
  const waits = events.filter((e) => e.ph === 'X' && e.name.startsWith('wait '));
  assert.ok(waits.length > 0, 'balloon has mmu_lock waits');
  const trackOf = new Map(threads.map((t) => [t.tid, t.name]));
  for (const w of waits) {
    assert.match(w.name, /^wait (vm\d+|rmem\d+|gmem\d+)[^ ]*\/\w+/);
    assert.ok(!/_lock$/.test(trackOf.get(w.tid)!), `${w.name} drawn on lock track ${trackOf.get(w.tid)}`);
  }
});

test('two VMs on one file: each VM\'s locks under its own process', async () => {
  const { threads } = await traceOf('intra-host-migration', true);
  const locks = threads.filter((t) => t.name.endsWith('mmu_lock')).map((t) => `${t.process}:${t.name}`).sort();
  assert.deepEqual(locks, ['vm0:vm0/mmu_lock', 'vm1:vm1/mmu_lock']);
});

test('read holds that overlap are one slice listing the holders', () => {
  const t = new ChromeTraceWriter();
  t.span('vm0/mmu_lock', 'read by vm0/vcpu0', 0, 1000);
  t.span('vm0/mmu_lock', 'read by vm0/vcpu1', 500, 1500);
  t.span('vm0/mmu_lock', 'written by vm0-vmm/discard0', 2000, 3000);
  const events = (JSON.parse(t.serialize()) as { traceEvents: Ev[] }).traceEvents.filter((e) => e.ph === 'X');
  assert.deepEqual(events.map((e) => [e.name, e.ts, e.dur]), [['read by 2', 0, 1.5], ['written by vm0-vmm/discard0', 2, 1]]);
  assert.deepEqual(events[0].args, { holders: ['vm0/vcpu0', 'vm0/vcpu1'] });
  assert.equal(new Set(events.map((e) => e.tid)).size, 1);
});
