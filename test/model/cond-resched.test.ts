// cond_resched() inside a truncation (sim/model/cond-resched.ts): off by default (no draw, one
// burst), and with wake-ups the process leaves its CPU at a batch boundary for the woken task's run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../../sim/costs/index.js';
import { chargeWithCondResched } from '../../sim/model/cond-resched.js';
import type { Process } from '../../sim/engine/index.js';
import { makeHost, runOne } from './helpers.js';

test('cond_resched: with no wake-ups the work is one burst of exactly its cost', async () => {
  const { sim, host } = await makeHost({ memoryBytes: 64 * 1024 * 1024 });
  assert.equal(runOne(sim, (p) => chargeWithCondResched(p, host, 54_000, 35)).ns, 54_000);
});

test('cond_resched: a wake-up inside the section costs the woken task\'s run, at a batch boundary, off CPU', async () => {
  const profile = defaultProfile().withOverrides({ 'sched.resched_interval_ns': 1, 'sched.preempt_run_ns': 7_000 });
  const { sim, host } = await makeHost({ memoryBytes: 64 * 1024 * 1024, profile });
  let offCpuAt = -1;
  sim.spawn('watch', function* (p) {
    yield p.sleep(1);
    for (let t = 1; t < 70_000; t += 100) {
      if (offCpuAt < 0 && worker !== undefined && !worker.onCpu) offCpuAt = sim.now;
      yield p.sleep(100);
    }
  });
  let worker: Process | undefined;
  const r = runOne(sim, function* (p) {
    worker = p;
    yield* chargeWithCondResched(p, host, 35_000, 35);
  });
  // Preempted at the first point (1000 ns in), back after 7 us, then the rest.
  assert.equal(r.ns, 42_000);
  assert.ok(offCpuAt >= 1000 && offCpuAt <= 8_000, `off CPU at ${offCpuAt}`);
});

test('cond_resched: wake-ups far apart rarely land inside a short section', async () => {
  const profile = defaultProfile().withOverrides({ 'sched.resched_interval_ns': 4_000_000, 'sched.preempt_run_ns': 7_000 });
  const { sim, host } = await makeHost({ memoryBytes: 64 * 1024 * 1024, profile });
  let preempted = 0;
  runOne(sim, function* (p) {
    for (let i = 0; i < 2000; i++) {
      const t = sim.now;
      yield* chargeWithCondResched(p, host, 500, 1);
      if (sim.now - t > 500) preempted++;
    }
  });
  // Expected 2000 x 500 / 4e6 = 0.25.
  assert.ok(preempted <= 3, `${preempted} of 2000 preempted`);
});
