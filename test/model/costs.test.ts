// Cost profiles: the shipped one is valid and complete, carries provenance and its host;
// bad profiles are refused with one clear line; overrides are marked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COST_NAMES, defaultProfile, loadProfile, parseProfile } from '../../sim/costs/index.js';

test('the shipped profile defines every cost the model charges, each with unit, kind and source, and names its host', () => {
  const p = defaultProfile();
  for (const n of COST_NAMES) {
    const e = p.entry(n)!;
    assert.ok(e, n);
    assert.match(e.unit, /^(ns(\/[a-z]+)?|pages)$/);
    assert.ok(e.source.length > 0);
  }
  assert.match(p.host.cpu, /Sapphire Rapids/);
  assert.match(p.host.source, /section 7/);
  assert.equal(typeof p.lockCosts.wakeup_ns, 'number');
});

test('the per-CPU page lists: the bulk free cost is the single-thread 2 MiB mean minus median, per page, and the drain batch is batch << 5', () => {
  const p = defaultProfile();
  const cal = p.file.calibration as Record<string, Record<string, Record<string, number>>>;
  const perPage = (b: string) => (1e9 / cal[`${b}.two_punchers`]!['2MiB']!.single_ops_per_s! - cal[`${b}.two_punchers`]!['2MiB']!.single_ns!) / 512;
  assert.ok(Math.abs(p.ns('host.pcp_bulk_free_page_ns') - (perPage('gmem') + perPage('shmem')) / 2) < 0.01);
  assert.equal(p.ns('host.pcp_free_count_max'), p.ns('host.pcp_batch') << 5);
  assert.ok(p.ns('host.pcp_start_count') < p.ns('host.pcp_high_min') && p.ns('host.pcp_high_min') < p.ns('host.pcp_high_max'));
});

// An identity check, not a calibration: each split below defines one part as the measured figure
// minus the others (the fault's exit cost is the remainder), so the sums hold by construction.
// It guards the profile file against a part edited alone. What the model predicts is tested in
// calibration-predictions.test.ts.
test('identity: the fixed and per-page parts add up to the section-7 figures they were split from (one part of each is the remainder)', () => {
  const p = defaultProfile();
  // shmem fallocate slope = buddy allocation + shmem's add-to-cache part
  assert.ok(Math.abs(p.ns('host.alloc_page_ns') + p.ns('shmem.add_folio_4k_ns') - 276.46) < 0.01);
  // shmem punch slope = truncate part + free part
  assert.ok(Math.abs(p.ns('shmem.truncate_page_ns') + p.ns('host.free_page_ns') - 131.8) < 0.01);
  assert.ok(Math.abs(p.ns('gmem.truncate_page_ns') + p.ns('host.free_page_ns') - 104.31) < 0.01);
  // the fault: exit + the modeled get_page miss + attribute lookup + map = 21.4 us
  const fault = p.ns('kvm.fault_exit_shadow_ns') + p.ns('shmem.get_folio_hit_ns') + p.ns('host.alloc_page_ns') + p.ns('shmem.add_folio_4k_ns') +
    p.ns('restrictedmem.get_page_ns') + p.ns('kvm.mem_attr_lookup_ns') + p.ns('kvm.map_leaf_ns');
  assert.ok(Math.abs(fault - 21400) < 1, String(fault));
});

test('a profile lacking a cost, or malformed, is refused naming the problem; overrides are marked as such', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-costs-'));
  const file = structuredClone(defaultProfile().file);
  delete (file.costs as Record<string, unknown>)['kvm.map_leaf_ns'];
  assert.throws(() => parseProfile(file, 'x.json'), /lacks kvm\.map_leaf_ns/);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ not json');
  assert.throws(() => loadProfile(bad), /invalid JSON/);
  const wrongUnit = structuredClone(defaultProfile().file);
  wrongUnit.costs['kvm.map_leaf_ns']!.unit = 'ms';
  assert.throws(() => parseProfile(wrongUnit, 'y.json'), /not a cost profile/);
  const o = defaultProfile().withOverrides({ 'kvm.map_leaf_ns': 5, 'lock.wakeup_ns': 1000 });
  assert.equal(o.ns('kvm.map_leaf_ns'), 5);
  assert.equal(o.lockCosts.wakeup_ns, 1000);
  assert.equal(o.entry('kvm.map_leaf_ns')!.source, 'user override (--set)');
  assert.notEqual(o.hash(), defaultProfile().hash());
  assert.throws(() => defaultProfile().withOverrides({ 'kvm.nope': 1 }), /no cost named kvm\.nope/);
});
