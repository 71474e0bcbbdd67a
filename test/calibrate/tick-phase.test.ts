// The simulated side of a validation sequence starts its timed part at a drawn point of the
// scheduler tick (simulate-sequence.ts tickPhase), as the kernel executor's barrier does in each
// repetition: two threads punching 2 MiB ranges meet their first tick, and so their first
// hand-off wait, at different punches under different seeds, and without a tick nothing is drawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateSequence } from '../../sim/calibrate/simulate-sequence.js';
import { validationSuite } from '../../sim/calibrate/sequences.js';
import { defaultProfile } from '../../sim/costs/index.js';

const seq = validationSuite().find((s) => s.name === 'shmem-two-punchers-2m')!;
const longest = (ns: number[]) => ns.indexOf(Math.max(...ns));

test('two 2 MiB punchers: the longest wait falls at different punches under different seeds', async () => {
  assert.ok(seq, 'the suite has shmem-two-punchers-2m');
  // Every tick ends a spin and wake-ups take a fixed time: only the tick's phase varies with the seed.
  const p = defaultProfile().withOverrides({ 'lock.tick_resched_ppm': 1_000_000, 'lock.wakeup_spread_ns': 0 });
  assert.ok(p.lockCosts.tick_ns > 0, 'the shipped profile has a tick');
  const at = new Set<number>();
  for (let seed = 1; seed <= 6; seed++) at.add(longest((await simulateSequence(seq, p, seed)).op_ns));
  assert.ok(at.size >= 3, `longest punch at ${[...at].join(', ')}`);
});

test('without a tick the start is not shifted: every seed gives the same punches', async () => {
  const p = defaultProfile().withOverrides({ 'lock.tick_ns': 0, 'lock.tick_resched_ppm': 0, 'lock.wakeup_spread_ns': 0 });
  const a = await simulateSequence(seq, p, 1);
  const b = await simulateSequence(seq, p, 2);
  assert.deepEqual(a.op_ns, b.op_ns);
});
