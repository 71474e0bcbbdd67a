// The cold-range mechanism (sim/model/cold-range.ts): a task's call that neither overlaps nor
// adjoins its previous call on the file, nor shares an xarray leaf node (64 pages) with it, pays
// the cold-range costs; consecutive or repeated ranges, ranges in the previous call's node, and
// other tasks' calls, do not make a call cold. With the costs at 0 (the shipped profile) nothing
// changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../../sim/costs/index.js';
import type { CostName } from '../../sim/costs/names.js';
import { touchRange } from '../../sim/model/cold-range.js';
import { simulateSequence } from '../../sim/calibrate/simulate-sequence.js';
import type { KernelOp, KernelSequence } from '../../sim/calibrate/types.js';
import { Simulation } from '../../sim/engine/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;

test('a range is cold only when the same task worked in another xarray leaf node of the same file just before', () => {
  const sim = new Simulation({ seed: 1, cpus: 2 });
  const [a, b] = [sim.spawn('a', function* () {}), sim.spawn('b', function* () {})];
  const file = {};
  assert.equal(touchRange(file, a, 0, 16), false, 'no previous call');
  assert.equal(touchRange(file, a, 16, 32), false, 'adjoins the previous range');
  assert.equal(touchRange(file, a, 16, 32), false, 'the same range again');
  assert.equal(touchRange(file, b, 1000, 1016), false, "another task's first call");
  assert.equal(touchRange(file, a, 40, 48), false, 'a gap, but the same leaf node (pages 0-63)');
  assert.equal(touchRange(file, a, 72, 73), true, 'the next node, not adjoining');
  assert.equal(touchRange(file, a, 63, 64), true, 'back into the node before (page 63 of node 0; the previous call was in node 1)');
  assert.equal(touchRange(file, a, 4096, 4097), true, 'far forward');
  assert.equal(touchRange(file, a, 130, 140), true, 'far back');
  assert.equal(touchRange(file, a, 60, 200), false, 'a range spanning the previous one');
  assert.equal(touchRange({}, a, 5000, 5001), false, 'another file');
});

const punches = (backend: 'shmem' | 'guest_memfd', step: number): KernelSequence => {
  const ops: KernelOp[] = [];
  for (let off = 0; off < 4 * MiB; off += step) ops.push({ op: 'punch', file: 0, offset: off, len: 64 * KiB });
  return { name: `p${step}`, description: '', files: [{ backend, size_bytes: 4 * MiB }], setup: [{ op: 'allocate', file: 0, offset: 0, len: 4 * MiB }], ops };
};

const COLD: Record<string, CostName> = { shmem: 'shmem.cold_range_punch_page_ns', guest_memfd: 'gmem.cold_range_punch_page_ns' };
const FIXED: Record<string, CostName> = { shmem: 'shmem.cold_range_punch_fixed_ns', guest_memfd: 'gmem.cold_range_punch_fixed_ns' };

for (const backend of ['shmem', 'guest_memfd'] as const) {
  test(`${backend}: punches with gaps pay the cold per-page cost from the second on, consecutive punches never`, async () => {
    const base = defaultProfile();
    assert.equal(base.ns(COLD[backend]), 0, 'the shipped profile charges nothing');
    const cold = base.withOverrides({ [COLD[backend]]: 100, [FIXED[backend]]: 1000 });
    const gaps = punches(backend, 256 * KiB);
    const [g0, g1] = [await simulateSequence(gaps, base), await simulateSequence(gaps, cold)];
    assert.equal(g1.op_ns[0], g0.op_ns[0], 'the first punch starts inside the range the setup populated');
    for (let i = 1; i < gaps.ops.length; i++) assert.equal(g1.op_ns[i] - g0.op_ns[i], 1000 + 16 * 100, `punch ${i}: 1000 ns and 16 pages x 100 ns more`);
    const seq = punches(backend, 64 * KiB);
    assert.deepEqual((await simulateSequence(seq, cold)).op_ns, (await simulateSequence(seq, base)).op_ns);
    // 64 KiB every 128 KiB: two punches per 256 KiB leaf node, the second in the first's node (warm).
    const half = punches(backend, 128 * KiB);
    const [h0, h1] = [await simulateSequence(half, base), await simulateSequence(half, cold)];
    for (let i = 1; i < half.ops.length; i++) assert.equal(h1.op_ns[i] - h0.op_ns[i], i % 2 ? 0 : 1000 + 16 * 100, `punch ${i}: ${i % 2 ? 'same node' : 'a new node'}`);
  });
}

test('a cold fallocate pays per page it allocates and per folio it finds, and on shmem per page it zeroes', async () => {
  const far: KernelOp = { op: 'punch', file: 0, offset: 8 * MiB, len: 4 * KiB };
  const alloc: KernelOp = { op: 'allocate', file: 0, offset: 0, len: 2 * MiB };
  const seq = (backend: 'shmem' | 'guest_memfd', setup: KernelOp[]): KernelSequence => ({ name: 's', description: '', files: [{ backend, size_bytes: 16 * MiB }], setup, ops: [alloc] });
  const base = defaultProfile();
  const cold = base.withOverrides({
    'shmem.cold_range_alloc_page_ns': 10, 'shmem.cold_range_clear_page_ns': 30, 'shmem.cold_range_found_folio_ns': 5, 'gmem.cold_range_alloc_page_ns': 20, 'gmem.cold_range_found_folio_ns': 7,
  });
  const extra = async (s: KernelSequence) => (await simulateSequence(s, cold)).op_ns[0] - (await simulateSequence(s, base)).op_ns[0];
  assert.equal(await extra(seq('shmem', [far])), 512 * 10, 'allocating a cold hole');
  assert.equal(await extra(seq('shmem', [alloc, far])), 512 * (30 + 5), 'finding and zeroing cold fallocated, unwritten pages');
  assert.equal(await extra(seq('shmem', [alloc, alloc, far])), 512 * 5, 'finding cold uptodate pages');
  assert.equal(await extra(seq('shmem', [alloc])), 0, 'the same range right after: warm');
  assert.equal(await extra(seq('guest_memfd', [far])), 512 * 20);
  assert.equal(await extra(seq('guest_memfd', [alloc, far])), 512 * 7);
});
