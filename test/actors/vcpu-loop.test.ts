// The vCPU state machine (sim/actors/vcpu-loop.ts) as a workload runs it: a sequential boot
// first-touches every page once, split in slices between the vCPUs; with a tracer each fault is
// one kvm_mmu_page_fault span on its vCPU's track, and tracing changes no result; an error at a
// wait inside a fault is thrown into the model's generator (which lets go of kvm->srcu).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWorkload } from '../../sim/workload/load.js';
import { runWorkload, startRun } from '../../sim/run/runner.js';
import { Interrupt, ProcessFailure, Simulation, type Process, type Tracer } from '../../sim/engine/index.js';

const BOOT = ['vms.memory=2MiB', 'vms.vcpus=2', 'host.cpus=2', 'host.memory=72MiB', 'host.thp=never'];

interface Span { track: string; name: string; start: number; end: number; args?: Record<string, unknown> }

function spanTracer(spans: Span[]): Tracer {
  return {
    span: (track, name, start, end, args) => void spans.push({ track, name, start, end, args }),
    instant: () => {},
    counter: () => {},
  };
}

test('vm-boot: each vCPU faults its own slice once; each fault is one span with its gfn and outcome', async () => {
  const spans: Span[] = [];
  const traced = await runWorkload({ workload: loadWorkload('vm-boot', { sets: BOOT }), tracer: spanTracer(spans) });
  const faults = spans.filter((s) => s.name === 'kvm_mmu_page_fault');
  assert.equal(faults.length, 512, 'one fault per 4 KiB page of 2 MiB');
  const byTrack = new Map<string, number[]>();
  for (const f of faults) {
    assert.equal(f.args?.result, 'mapped');
    assert.equal(f.args?.level, 1);
    assert.ok(f.end > f.start, 'a fault takes time');
    byTrack.set(f.track, [...(byTrack.get(f.track) ?? []), f.args?.gfn as number]);
  }
  assert.deepEqual([...byTrack.keys()].sort(), ['vm0/vcpu0', 'vm0/vcpu1']);
  const gfns = [...byTrack.values()];
  for (const g of gfns) {
    assert.equal(g.length, 256, 'half the pages each');
    for (let i = 1; i < g.length; i++) assert.equal(g[i], g[0]! + i, 'a sequential slice, in order');
  }
  assert.equal(new Set(gfns.flat()).size, 512, 'no page faulted twice');
  const plain = await runWorkload({ workload: loadWorkload('vm-boot', { sets: BOOT }) });
  assert.deepEqual(plain.metrics, traced.metrics, 'tracing changes no result');
});

test('an interrupt while a vCPU waits inside a fault goes into the fault: it leaves kvm->srcu, then fails the vCPU', async () => {
  // The loop's VM (private to it).
  type Loop = { rt: { vm: { srcu: { describeWait(): string } } } };
  let vcpu0: Process<any> | undefined;
  let interrupted = false;
  // Interrupt vcpu0 at the first moment it waits inside a fault holding kvm->srcu (polled every 50 ns).
  const poll = (p: Process<any>): void => {
    const loop = p.actor as unknown as Loop;
    // kvm->srcu held by vcpu0: it waits inside kvm_mmu_page_fault (only a fault takes it).
    if (loop !== null && /vm0\/vcpu0/.test(loop.rt.vm.srcu.describeWait())) {
      interrupted = true;
      p.interrupt('test');
      return;
    }
    p.sim.at(p.sim.now + 50, () => poll(p));
  };
  const spawnActor = Simulation.prototype.spawnActor;
  Simulation.prototype.spawnActor = function (this: Simulation, ...args: Parameters<typeof spawnActor>) {
    const p = spawnActor.apply(this, args);
    if (p.name === 'vm0/vcpu0') {
      vcpu0 = p;
      this.at(this.now, () => poll(p));
    }
    return p;
  } as typeof spawnActor;
  try {
    const h = await startRun({ workload: loadWorkload('vm-boot', { sets: BOOT }) });
    assert.throws(() => { while (h.step()) { /* until the failure */ } }, (err: unknown) => {
      assert.ok(err instanceof ProcessFailure && err.processName === 'vm0/vcpu0', String(err));
      assert.ok(err.error instanceof Interrupt, 'the interrupt itself fails the vCPU');
      return true;
    });
  } finally {
    Simulation.prototype.spawnActor = spawnActor;
  }
  assert.ok(vcpu0 && interrupted, 'vcpu0 was an actor and was interrupted inside a fault');
  assert.doesNotMatch((vcpu0.actor as unknown as Loop | null)?.rt.vm.srcu.describeWait() ?? '', /vm0\/vcpu0/);
});
