// At 2 MiB two punchers take turns at the file's lock for a tick or two, then one sleeps and is
// robbed until RWSEM_WAIT_TIMEOUT (sim/engine/locks/rwsem.ts, tick-resched.ts). A turn-taking
// block that follows such a wait starts just after a tick (the waiter sets HANDOFF at its first
// retry once jiffies passed its timeout) and ends at a tick (need_resched on the spinner's CPU), so
// on the kernel it lasts a whole number of ticks, mostly one. Checked on the kernel's blocks of a
// committed recording and on the model's blocks of the same probe pass, under the profile fitted
// in the same run: this fails if the spin's end or the hand-off were drawn in continuous time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseProfile } from '../../sim/costs/index.js';
import { simulateSequence } from '../../sim/calibrate/simulate-sequence.js';
import { turnBlocks, type Punch } from '../../sim/calibrate/two-punchers-analysis.js';
import type { KernelSequence } from '../../sim/calibrate/types.js';

const TICK_MS = 4; // HZ=250 on the AMD EPYC host
const LONG_WAIT_NS = 2_000_000;

/**
 * Excerpt of bench/results/validation/same-run/probe-recording.json (AMD EPYC, 6.18.44, idle,
 * 2026-12-04 22:32 UTC): turnBlocks(punches, 2 ms) of the four rounds' 2 MiB two-thread rows
 * (150 punches per thread), the durations (ms) of the blocks that followed a HANDOFF wait.
 */
const KERNEL_AFTER_HANDOFF_MS = {
  guest_memfd: [7.8, 3.8, 4.1, 3.7, 11.9, 3.9, 3.5, 7.1, 3.9, 4.1],
  shmem: [7.0, 3.9, 3.0, 3.6, 7.8, 3.5, 3.7, 3.0, 3.8, 3.7, 3.8, 3.8, 3.7, 7.7, 3.6, 3.8, 7.8],
};

/** Ticks a block lasts, when within 15% of a whole number of them (else null). */
function wholeTicks(ms: number): number | null {
  const k = Math.max(1, Math.round(ms / TICK_MS));
  return Math.abs(ms - k * TICK_MS) <= 0.15 * k * TICK_MS ? k : null;
}

function shape(ms: number[]): { whole: number; oneTick: number } {
  const k = ms.map(wholeTicks);
  return { whole: k.filter((x) => x !== null).length / ms.length, oneTick: k.filter((x) => x === 1).length / ms.length };
}

const profile = parseProfile(JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/fixtures/calibrate/epyc-same-run.profile.json', import.meta.url)), 'utf8')), 'epyc-same-run');

/** The probe's 2 MiB pass: two threads, 150 punches each, of their halves of one populated file. */
function probePass(backend: 'guest_memfd' | 'shmem'): KernelSequence {
  const count = 150;
  const len = 2 << 20;
  const half = len * count;
  const ops = Array.from({ length: count }, (_, i) => [0, 1].map((thread) => ({ op: 'punch' as const, file: 0, offset: thread * half + i * len, len, thread }))).flat();
  return { name: 'probe-pass', description: '', files: [{ backend, size_bytes: 2 * half }], setup: [0, 1].map((thread) => ({ op: 'allocate' as const, file: 0, offset: thread * half, len: half, thread })), ops };
}

/** The model's pass under `seed`, as the probe records it: every punch's thread, start and end. */
async function modelPunches(backend: 'guest_memfd' | 'shmem', seed: number): Promise<Punch[]> {
  const seq = probePass(backend);
  const run = await simulateSequence(seq, profile, seed);
  const at = [0, 0];
  return seq.ops.map((o, i) => {
    const t = o.thread ?? 0;
    const p = { thread: t, startNs: at[t], endNs: at[t] + run.op_ns[i] };
    at[t] = p.endNs;
    return p;
  });
}

for (const backend of ['guest_memfd', 'shmem'] as const) {
  test(`${backend} 2 MiB: after a HANDOFF wait the threads take turns for whole ticks, mostly one, on the kernel and in the model`, async () => {
    const kernel = shape(KERNEL_AFTER_HANDOFF_MS[backend]);
    assert.ok(kernel.whole >= 0.85 && kernel.oneTick >= 0.6, `kernel: ${JSON.stringify(kernel)}`);
    const model: number[] = [];
    for (let seed = 1; seed <= 4; seed++) {
      for (const b of turnBlocks(await modelPunches(backend, seed), LONG_WAIT_NS)) if (b.afterHandoff) model.push((b.endNs - b.startNs) / 1e6);
    }
    assert.ok(model.length >= 8, `the model's passes had ${model.length} blocks after a hand-off`);
    const m = shape(model);
    assert.ok(m.whole >= 0.85, `model blocks ${model.map((x) => x.toFixed(1)).join(' ')} ms: ${(m.whole * 100).toFixed(0)}% whole ticks`);
    assert.ok(Math.abs(m.oneTick - kernel.oneTick) <= 0.25, `one-tick share: model ${m.oneTick.toFixed(2)}, kernel ${kernel.oneTick.toFixed(2)}`);
  });
}

test('turnBlocks: a block is one of strictly alternating punches, none long, and knows whether a long wait ended at its start', () => {
  const us = 1000;
  const p: Punch[] = [];
  let t = 0;
  // Thread 1 waits 5 ms while thread 0 runs 20 lone punches, then they alternate 10 times.
  p.push({ thread: 1, startNs: 0, endNs: 5000 * us });
  for (let i = 0; i < 20; i++, t += 250 * us) p.push({ thread: 0, startNs: t, endNs: t + 250 * us });
  for (let i = 0; i < 10; i++, t += 250 * us) p.push({ thread: (i + 1) % 2, startNs: t, endNs: t + 500 * us });
  const b = turnBlocks(p, LONG_WAIT_NS);
  assert.equal(b.length, 1);
  assert.equal(b[0].punches, 11); // the last lone punch of thread 0 starts the alternation
  assert.ok(b[0].afterHandoff);
  assert.deepEqual(turnBlocks(p.slice(1), LONG_WAIT_NS).map((x) => x.afterHandoff), [false]);
});
