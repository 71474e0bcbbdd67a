// The lru_add batch drain (sim/model/lru-add.ts) and its fit (fit-lru.ts): a punch that removes
// folios moves what its CPU's lru_add batch holds to the LRU first, host.lru_add_drain_ns +
// host.lru_add_folio_ns per folio; folios a fallocate just added are pending there (pages mod
// 31), folios of a file populated before another punch drained the batch are not. The fixture
// (test/fixtures/calibrate/README.md) holds one run of the probe's lru rows on the AMD EPYC host
// and the rows the populated-punch fit reads from the committed validation recording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultProfile, parseProfile, type CostProfile } from '../../sim/costs/index.js';
import { fitProfile } from '../../sim/calibrate/fit-profile.js';
import { lruDifferences } from '../../sim/calibrate/fit-lru.js';
import { parseRecording } from '../../sim/calibrate/recording.js';
import { simulateSequence } from '../../sim/calibrate/simulate-sequence.js';
import type { KernelOp, KernelSequence, ProbeRecording } from '../../sim/calibrate/types.js';
import { folio_add_lru, hostLru, lru_add_drain } from '../../sim/model/lru-add.js';
import type { Host } from '../../sim/model/host.js';
import type { Process } from '../../sim/engine/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const fixture = fileURLToPath(new URL('../../../test/fixtures/calibrate/epyc-lru.probe.json', import.meta.url));
const lruRecording = (): ProbeRecording => parseRecording(JSON.parse(readFileSync(fixture, 'utf8')), 'fixture');

const alloc = (file: number, offset: number, len: number): KernelOp => ({ op: 'allocate', file, offset, len });
const punch = (file: number, offset: number, len: number): KernelOp => ({ op: 'punch', file, offset, len });

/**
 * The probe's lru pair as a sequence: file 1 (shmem) gets its page, file 0 (`backend`) the slot,
 * then a punch of file 1 right before the timed punch of the slot: of its page (`drained`: that
 * punch moves the batch) or of a hole (`pending`: it finds no folio, so the slot's folios stay).
 */
function lruSeq(backend: 'shmem' | 'guest_memfd', len: number, drained: boolean): KernelSequence {
  return {
    name: 'lru', description: '',
    files: [{ backend, size_bytes: 64 * MiB }, { backend: 'shmem', size_bytes: 2 * MiB }],
    setup: [alloc(1, 0, 4 * KiB), alloc(0, 0, len), punch(1, drained ? 0 : MiB, 4 * KiB)],
    ops: [punch(0, 0, len)],
  };
}

async function pendingMinusDrained(p: CostProfile, backend: 'shmem' | 'guest_memfd', len: number): Promise<number> {
  return (await simulateSequence(lruSeq(backend, len, false), p)).op_ns[0] - (await simulateSequence(lruSeq(backend, len, true), p)).op_ns[0];
}

for (const backend of ['shmem', 'guest_memfd'] as const) {
  test(`${backend}: a punch pays for the folios pending in its CPU's lru_add batch, once, and nothing in the shipped profile`, async () => {
    const base = defaultProfile();
    assert.equal(base.ns('host.lru_add_drain_ns') + base.ns('host.lru_add_folio_ns'), 0, 'the shipped profile charges nothing');
    assert.equal(base.ns('host.lru_add_batch'), 31, 'PAGEVEC_SIZE');
    const lru = base.withOverrides({ 'host.lru_add_drain_ns': 1000, 'host.lru_add_folio_ns': 10 });
    assert.equal(await pendingMinusDrained(base, backend, 64 * KiB), 0, 'costs 0: no difference');
    assert.equal(await pendingMinusDrained(lru, backend, 4 * KiB), 1000 + 2 * 10, '4 KiB: the other page and the slot pending');
    assert.equal(await pendingMinusDrained(lru, backend, 64 * KiB), 1000 + 17 * 10, '64 KiB: 17 folios');
    assert.equal(await pendingMinusDrained(lru, backend, 256 * KiB), 1000 + 3 * 10, '256 KiB: 65 folios, 62 moved by folio_add_lru as the batch filled');
    assert.equal(await pendingMinusDrained(lru, backend, 2 * MiB), 1000 + 17 * 10, '2 MiB: 513 mod 31');
    // A file populated whole, then punched twice: only the first punch finds folios pending.
    const twice: KernelSequence = { name: 'twice', description: '', files: [{ backend, size_bytes: 16 * MiB }], setup: [alloc(0, 0, 16 * MiB)], ops: [punch(0, 0, 64 * KiB), punch(0, 64 * KiB, 64 * KiB)] };
    const [a, b] = [await simulateSequence(twice, lru), await simulateSequence(twice, base)];
    assert.equal(a.op_ns[0] - b.op_ns[0], 1000 + (4096 % 31) * 10, 'first punch: the 16 MiB population left 4096 mod 31 folios');
    assert.equal(a.op_ns[1] - b.op_ns[1], 0, 'second punch: the batch is empty');
  });
}

test('folio_add_lru: the batch moves when full and at a large folio; lru_add_drain empties it, per CPU (process)', () => {
  const host = { costs: defaultProfile().withOverrides({ 'host.lru_add_drain_ns': 1000, 'host.lru_add_folio_ns': 10 }) } as unknown as Host;
  const [cpu0, cpu1] = [{}, {}] as unknown as [Process, Process];
  folio_add_lru(hostLru(host), cpu0, 40);
  assert.equal(lru_add_drain(host, cpu0), 1000 + 9 * 10, '40 folios: 31 moved as the batch filled, 9 pending');
  assert.equal(lru_add_drain(host, cpu0), 0, 'drained: nothing pending');
  folio_add_lru(hostLru(host), cpu0, 5);
  folio_add_lru(hostLru(host), cpu1, 7);
  folio_add_lru(hostLru(host), cpu0, 3, 1);
  assert.equal(lru_add_drain(host, cpu0), 1000 + 3 * 10, 'a large folio moved the 5 pending; the 3 small ones of the same call are counted after it');
  assert.equal(lru_add_drain(host, cpu1), 1000 + 7 * 10, 'the other CPU keeps its own batch');
  const off = { costs: defaultProfile() } as unknown as Host;
  folio_add_lru(hostLru(off), cpu0, 10);
  assert.equal(lru_add_drain(off, cpu0), 0, 'costs 0: nothing tracked or charged');
});

test('the lru rows fit the drain; the populated-punch lines lose their first-batch extra to it; the model gives the rows back', async () => {
  const rec = lruRecording();
  const diffs = lruDifferences(rec, 31);
  assert.deepEqual(diffs.map((d) => d.folios), [2, 17, 3, 17, 2, 17, 3, 17], 'pending folios per size, both backends');
  const { profile, fitted } = fitProfile(rec, defaultProfile().file);
  for (const name of ['host.lru_add_drain_ns', 'host.lru_add_folio_ns', 'gmem.truncate_page_first_batch_extra_ns', 'shmem.truncate_page_first_batch_extra_ns']) {
    assert.ok(fitted.includes(name), `${name} fitted`);
  }
  const drain = profile.costs['host.lru_add_drain_ns'].value;
  const folio = profile.costs['host.lru_add_folio_ns'].value;
  // The fixture's pairs (pending - drained, ns): guest_memfd 320, 1793, 350, 1277; shmem 280,
  // 1523, 470, 1873: a line of ~91 ns per folio from ~150 ns.
  assert.ok(folio > 70 && folio < 110, `per folio ${folio}`);
  assert.ok(drain > 50 && drain < 300, `per drain ${drain}`);
  // Without the lru rows the populated-punch fit puts the drain into the first folio batch's
  // pages (~95 ns each on this host); with them that extra is all but gone: the drain is what it was.
  const without = fitProfile({ ...rec, rows: rec.rows.filter((r) => !r.probe.endsWith('lru_batch.punch')) }, defaultProfile().file).profile;
  for (const prefix of ['gmem', 'shmem']) {
    const name = `${prefix}.truncate_page_first_batch_extra_ns`;
    assert.ok(without.costs[name].value > 60, `${name} without lru rows: ${without.costs[name].value}`);
    assert.ok(profile.costs[name].value < 20, `${name} with lru rows: ${profile.costs[name].value}`);
    assert.ok(profile.costs[`${prefix}.xa_node_free_ns`].value < without.costs[`${prefix}.xa_node_free_ns`].value - 100, `${prefix} node free less one folio's drain`);
  }
  // Round trip: the model under the fitted profile gives each pair's difference back, within
  // the spread of the pairs about the line (the 2 MiB guest_memfd pair lies 400 ns under it).
  const p = parseProfile(profile, 'fitted');
  for (const [i, [backend, len]] of ([['guest_memfd', 4 * KiB], ['guest_memfd', 64 * KiB], ['guest_memfd', 256 * KiB], ['guest_memfd', 2 * MiB], ['shmem', 4 * KiB], ['shmem', 64 * KiB], ['shmem', 256 * KiB], ['shmem', 2 * MiB]] as const).entries()) {
    const modeled = await pendingMinusDrained(p, backend, len);
    assert.ok(Math.abs(modeled - diffs[i].ns) < 450, `${backend} ${len}: modeled ${modeled} against measured ${diffs[i].ns}`);
  }
});
