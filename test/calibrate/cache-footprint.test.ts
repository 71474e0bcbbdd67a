// The cache-footprint mechanism (sim/model/cache-footprint.ts) and its fit (fit-footprint.ts):
// a punch pays *.cache_cold_punch_page_ns per page by how many file pages the host populated
// since its pages were, 0 up to host.cache_footprint_warm_pages, all of it from
// host.cache_footprint_cold_pages; the fit reads them from the probe's footprint rows, and the
// fitted profile gives back the rows' after - before difference. The fixture is one run of the
// probe's footprint section (--quick) on the AMD EPYC host of this machine kind, 2026-12-04
// 21:15 UTC, load average ~8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from 'simple-statistics';
import { defaultProfile, parseProfile } from '../../sim/costs/index.js';
import type { CostName } from '../../sim/costs/names.js';
import { coldFraction } from '../../sim/model/cache-footprint.js';
import { fitProfile } from '../../sim/calibrate/fit-profile.js';
import { parseRecording } from '../../sim/calibrate/recording.js';
import { simulateSequence } from '../../sim/calibrate/simulate-sequence.js';
import type { KernelOp, KernelSequence, ProbeRecording } from '../../sim/calibrate/types.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const PAGE_COST: Record<string, CostName> = { shmem: 'shmem.cache_cold_punch_page_ns', guest_memfd: 'gmem.cache_cold_punch_page_ns' };
const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/calibrate/${name}`, import.meta.url));
const footprintRecording = (): ProbeRecording => parseRecording(JSON.parse(readFileSync(fixture('epyc-footprint.probe.json'), 'utf8')), 'fixture');

const alloc = (file: number, offset: number, len: number): KernelOp => ({ op: 'allocate', file, offset, len });

/**
 * The probe's footprint pattern in a sequence: file 0 (`backend`) gets `len` at 0, file 1 (shmem)
 * `fill` bytes, before (`after` false) or after file 0's population; then file 0's range is punched.
 */
function footprintSeq(backend: 'shmem' | 'guest_memfd', len: number, fill: number, after: boolean): KernelSequence {
  const own = alloc(0, 0, len);
  const filler = fill > 0 ? [alloc(1, 0, fill)] : [];
  return {
    name: 'footprint', description: '',
    files: [{ backend, size_bytes: 64 * MiB }, { backend: 'shmem', size_bytes: Math.max(fill, 4 * KiB) }],
    setup: after ? [own, ...filler] : [...filler, own],
    ops: [{ op: 'punch', file: 0, offset: 0, len }],
  };
}

test('the cold fraction is 0 up to the warm footprint, 1 from the cold one, on a log scale between', () => {
  assert.equal(coldFraction(1000, 1024, 16384), 0);
  assert.equal(coldFraction(1024, 1024, 16384), 0);
  assert.equal(coldFraction(4096, 1024, 16384), 0.5);
  assert.equal(coldFraction(16384, 1024, 16384), 1);
  assert.equal(coldFraction(1e6, 1024, 16384), 1);
  assert.equal(coldFraction(1, 0, 0), 1, 'no thresholds: any page populated before another is cold');
});

for (const backend of ['shmem', 'guest_memfd'] as const) {
  test(`${backend}: a punch pays the cold page cost by the pages the host populated since, and nothing in the shipped profile`, async () => {
    const base = defaultProfile();
    assert.equal(base.ns(PAGE_COST[backend]), 0, 'the shipped profile charges nothing');
    const cold = base.withOverrides({ [PAGE_COST[backend]]: 100, 'host.cache_footprint_warm_pages': 1024, 'host.cache_footprint_cold_pages': 16384 });
    const extra = async (s: KernelSequence) => (await simulateSequence(s, cold)).op_ns[0] - (await simulateSequence(s, base)).op_ns[0];
    assert.equal(await extra(footprintSeq(backend, 4 * KiB, 64 * MiB, false)), 0, 'populated right before the punch: warm');
    assert.equal(await extra(footprintSeq(backend, 4 * KiB, 64 * MiB, true)), 100, '16384 pages populated since: cold');
    assert.equal(await extra(footprintSeq(backend, 2 * MiB, 64 * MiB, true)), 51_200, '2 MiB, all cold');
    assert.equal(await extra(footprintSeq(backend, 2 * MiB, 2 * MiB, true)), 0, '512 pages since: still warm');
    // 16 MiB populated since: 4096 pages past the block's middle -> log(4096+256 / 1024) / log(16)
    const f = Math.log((4096 + 256) / 1024) / Math.log(16);
    assert.ok(Math.abs((await extra(footprintSeq(backend, 2 * MiB, 16 * MiB, true))) - 51_200 * f) <= 1, 'between: the log-scale share');
    const withoutPageCost = base.withOverrides({ 'host.cache_footprint_warm_pages': 1024, 'host.cache_footprint_cold_pages': 16384 });
    const s = footprintSeq(backend, 2 * MiB, 64 * MiB, true);
    assert.equal((await simulateSequence(s, withoutPageCost)).op_ns[0], (await simulateSequence(s, base)).op_ns[0], 'thresholds alone charge nothing');
  });
}

test('guest_memfd: pages a guest faults in count as populated, as what fallocate allocates does', async () => {
  const cold = defaultProfile().withOverrides({ 'gmem.cache_cold_punch_page_ns': 100, 'host.cache_footprint_warm_pages': 1024, 'host.cache_footprint_cold_pages': 16384 });
  const seq = (touchFirst: boolean): KernelSequence => {
    const own = alloc(0, 0, 2 * MiB);
    const touch: KernelOp = { op: 'guest_touch', file: 0, offset: 16 * MiB, len: 64 * MiB };
    return { name: 'faults', description: '', files: [{ backend: 'guest_memfd', size_bytes: 80 * MiB, bound: true }], setup: touchFirst ? [touch, own] : [own, touch], ops: [{ op: 'punch', file: 0, offset: 0, len: 2 * MiB }] };
  };
  const extra = (await simulateSequence(seq(false), cold)).op_ns[0] - (await simulateSequence(seq(true), cold)).op_ns[0];
  assert.equal(extra, 51_200, '16384 pages faulted in after the range was populated: all cold');
});

test('the footprint rows fit the page costs and the thresholds; the fitted profile gives back the 64 MiB rows\' difference', async () => {
  const rec = footprintRecording();
  assert.match(rec.host.caches ?? '', /L2 1024K/, 'the recording names the host caches');
  const { profile, fitted } = fitProfile(rec, defaultProfile().file);
  for (const name of ['gmem.cache_cold_punch_page_ns', 'shmem.cache_cold_punch_page_ns', 'host.cache_footprint_warm_pages', 'host.cache_footprint_cold_pages']) {
    assert.ok(fitted.includes(name), `${name} fitted`);
  }
  // What the fixture holds (medians of its rows, per page, at 64 MiB): guest_memfd 4 KiB 151,
  // 64 KiB 82.9, 2 MiB 31.2 -> 82.9; shmem 80, 52.6, 49.9 -> 52.6. Shares of 64 MiB's at 1, 4,
  // 16 MiB: 0 and 0, then ~0.15, then ~0.45 -> warm 4 MiB (1024 pages), cold 64 MiB (16384).
  assert.ok(Math.abs(profile.costs['gmem.cache_cold_punch_page_ns'].value - 82.94) < 0.01, `gmem ${profile.costs['gmem.cache_cold_punch_page_ns'].value}`);
  assert.ok(Math.abs(profile.costs['shmem.cache_cold_punch_page_ns'].value - 52.56) < 0.01, `shmem ${profile.costs['shmem.cache_cold_punch_page_ns'].value}`);
  assert.equal(profile.costs['host.cache_footprint_warm_pages'].value, 1024);
  assert.equal(profile.costs['host.cache_footprint_cold_pages'].value, 16384);
  assert.match(profile.host?.note ?? '', /caches: L1d 32K/, 'the profile records the host caches');
  // Round trip: the model under the fitted profile reproduces each size's 64 MiB difference
  // to within the spread of the sizes' per-page values (the fit keeps their median).
  const p = parseProfile(profile, 'fitted');
  for (const backend of ['shmem', 'guest_memfd'] as const) {
    const probe = backend === 'shmem' ? 'shmem.footprint.punch' : 'gmem.footprint.punch';
    const perPage: number[] = [];
    for (const len of [4 * KiB, 64 * KiB, 2 * MiB]) {
      const row = (order: string) => rec.rows.find((r) => r.probe === probe && r.params.size_bytes === len && r.params.footprint_bytes === 64 * MiB && r.params.order === order && r.params.bound !== true);
      const [a, b] = [row('after'), row('before')];
      assert.ok(a && b, `${probe} ${len} rows in the fixture`);
      const modeled = (await simulateSequence(footprintSeq(backend, len, 64 * MiB, true), p)).op_ns[0] - (await simulateSequence(footprintSeq(backend, len, 64 * MiB, false), p)).op_ns[0];
      perPage.push(modeled / (len / 4096));
    }
    assert.ok(Math.abs(median(perPage) - p.ns(PAGE_COST[backend])) < 0.5, `${backend}: modeled ${perPage.map((x) => x.toFixed(1))} ns/page`);
  }
});

test('without footprint rows the costs stay as the base profile has them, marked kept', () => {
  const rec = footprintRecording();
  const { fitted, kept } = fitProfile({ ...rec, rows: rec.rows.filter((r) => !r.probe.includes('footprint')) }, defaultProfile().file);
  for (const name of ['gmem.cache_cold_punch_page_ns', 'host.cache_footprint_cold_pages']) {
    assert.ok(!fitted.includes(name) && kept.includes(name), name);
  }
});

/** A range populated, then `fill` bytes of the same file past it (front to back), then the range punched. */
function sameFileSeq(backend: 'shmem' | 'guest_memfd', len: number, fill: number): KernelSequence {
  return {
    name: 'footprint-same-file', description: '',
    files: [{ backend, size_bytes: 64 * MiB + fill }],
    setup: [alloc(0, 0, len), ...(fill > 0 ? [alloc(0, 64 * MiB, fill)] : [])],
    ops: [{ op: 'punch', file: 0, offset: 0, len }],
  };
}

for (const backend of ['shmem', 'guest_memfd'] as const) {
  test(`${backend}: the file's own pages populated after a range count as populated since, as another file's do`, async () => {
    const base = defaultProfile();
    const cold = base.withOverrides({ [PAGE_COST[backend]]: 100, 'host.cache_footprint_warm_pages': 1024, 'host.cache_footprint_cold_pages': 16384 });
    const extra = async (s: KernelSequence) => (await simulateSequence(s, cold)).op_ns[0] - (await simulateSequence(s, base)).op_ns[0];
    assert.equal(await extra(sameFileSeq(backend, 2 * MiB, 64 * MiB)), 51_200, '64 MiB of the same file since: all cold');
    assert.equal(await extra(sameFileSeq(backend, 2 * MiB, 0)), 0, 'nothing since: warm');
  });
}

test('rows whose filler is the punched file itself are what the fit reads when the recording has them (a sequence populates one file)', () => {
  const other = footprintRecording();
  const same = parseRecording(JSON.parse(readFileSync(fixture('epyc-footprint-same-file.probe.json'), 'utf8')), 'fixture');
  assert.ok(same.rows.every((r) => r.params.filler === 'same_file') && other.rows.every((r) => r.params.filler === undefined), 'the fixtures hold one kind each');
  const both = fitProfile({ ...other, rows: [...other.rows, ...same.rows] }, defaultProfile().file).profile;
  const sameOnly = fitProfile(same, defaultProfile().file).profile;
  // The same-file fixture (23:46 UTC, load 11), per page after - before at 256 MiB: guest_memfd
  // 4 KiB 20, 64 KiB 26.6, 2 MiB 8.9 -> 20; shmem 95, 83.3, 47.6 -> 83.3. The shmem-file fixture
  // read guest_memfd 82.9: shmem pages evict a guest_memfd range's metadata more than its own do.
  for (const [name, value] of [['gmem.cache_cold_punch_page_ns', 20], ['shmem.cache_cold_punch_page_ns', 83.25]] as const) {
    assert.equal(both.costs[name].value, value, `${name} from the same-file rows`);
    assert.equal(sameOnly.costs[name].value, value, name);
    assert.match(both.costs[name].source, /filler same_file/);
  }
  assert.match(fitProfile(other, defaultProfile().file).profile.costs['gmem.cache_cold_punch_page_ns'].source, /filler shmem_file/, 'older rows: a shmem file of its own');
});
