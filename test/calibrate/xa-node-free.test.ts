// The xarray node free (sim/model/truncate.ts xa_nodes_emptied): a punch that removes the last
// entries of a 64-page leaf node pays *.xa_node_free_ns per node; a punch whose nodes keep other
// pages does not. With the cost at 0 (the shipped profile) nothing changes. The fit rule reads it
// back from the probe's consecutive pair (fit-profile.test.ts checks that round trip).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../../sim/costs/index.js';
import type { CostName } from '../../sim/costs/names.js';
import { simulateSequence } from '../../sim/calibrate/simulate-sequence.js';
import type { KernelOp, KernelSequence } from '../../sim/calibrate/types.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const NODE_FREE: Record<string, CostName> = { shmem: 'shmem.xa_node_free_ns', guest_memfd: 'gmem.xa_node_free_ns' };

const seq = (backend: 'shmem' | 'guest_memfd', populate: KernelOp[], punch: { offset: number; len: number }): KernelSequence => ({
  name: 'p', description: '', files: [{ backend, size_bytes: 16 * MiB }], setup: populate, ops: [{ op: 'punch', file: 0, ...punch }],
});
const alloc = (offset: number, len: number): KernelOp => ({ op: 'allocate', file: 0, offset, len });

for (const backend of ['shmem', 'guest_memfd'] as const) {
  test(`${backend}: a punch pays the node free per xarray leaf node it leaves empty, and only then`, async () => {
    const base = defaultProfile();
    assert.equal(base.ns(NODE_FREE[backend]), 0, 'the shipped profile charges nothing');
    const withFree = base.withOverrides({ [NODE_FREE[backend]]: 1000 });
    const extra = async (s: KernelSequence) => (await simulateSequence(s, withFree)).op_ns[0] - (await simulateSequence(s, base)).op_ns[0];
    assert.equal(await extra(seq(backend, [alloc(0, 4 * KiB)], { offset: 0, len: 4 * KiB })), 1000, 'a page alone in its node');
    assert.equal(await extra(seq(backend, [alloc(0, 256 * KiB)], { offset: 0, len: 4 * KiB })), 0, 'its node keeps 63 pages');
    assert.equal(await extra(seq(backend, [alloc(0, 256 * KiB)], { offset: 0, len: 256 * KiB })), 1000, 'the whole node');
    assert.equal(await extra(seq(backend, [alloc(0, 2 * MiB)], { offset: 0, len: 2 * MiB })), 8000, '2 MiB: eight nodes');
    assert.equal(await extra(seq(backend, [alloc(0, 2 * MiB)], { offset: 4 * KiB, len: 2 * MiB - 8 * KiB })), 6000, 'the first and last nodes keep a page each');
    assert.equal(await extra(seq(backend, [alloc(0, 4 * KiB), alloc(252 * KiB, 4 * KiB)], { offset: 0, len: 128 * KiB })), 0, 'a page at the far end of the node stays');
    assert.equal(await extra(seq(backend, [], { offset: 0, len: 64 * KiB })), 0, 'a hole: nothing removed');
  });
}
