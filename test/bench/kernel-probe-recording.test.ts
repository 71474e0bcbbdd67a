// The calibration probe's recordings (test/fixtures/probe/): their shape, the rows the probe's
// README promises, the parsing of the probe's output lines, and the two-puncher rows made from
// the Intel host's raw passes. No kernel needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from 'simple-statistics';
import type { ProbeRecording, ProbeRow, ProbeSkip } from '../../sim/calibrate/types.js';
import { absorbProbeLine, selectedChoice, type ProbeCaps } from '../../bench/kernel-probe/calibrate-run.js';
import { twoPunchersRow } from '../../bench/kernel-probe/two-punchers-rows.js';
import { lockShares } from '../../sim/calibrate/two-punchers-analysis.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/probe/', import.meta.url));
const load = (name: string): ProbeRecording => JSON.parse(readFileSync(fixtures + name, 'utf8')) as ProbeRecording;
const full = load('epyc-2026-12-04.json');
const quick = load('epyc-2026-12-04-quick.json');
const nokvm = load('epyc-2026-12-04-nokvm.json');

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Rows of `probe` whose params equal `match`; a key matched to undefined must be absent. */
function rowsOf(r: ProbeRecording, probe: string, match: Record<string, string | number | boolean | undefined> = {}): ProbeRow[] {
  return r.rows.filter((x) => x.probe === probe && Object.entries(match).every(([k, v]) => x.params[k] === v));
}

function oneRow(r: ProbeRecording, probe: string, match: Record<string, string | number | boolean>): ProbeRow {
  const rows = rowsOf(r, probe, match);
  assert.equal(rows.length, 1, `${probe} ${JSON.stringify(match)}: ${rows.length} rows`);
  return rows[0]!;
}

for (const [name, rec] of [['full', full], ['quick', quick], ['nokvm', nokvm]] as const) {
  test(`probe fixture (${name}): schema, host, and every row a named measurement with positive integer samples`, () => {
    assert.equal(rec.schema, 'rmsim.probe/1');
    assert.match(rec.host.cpu_model, /\S/);
    assert.match(rec.host.kernel, /^\d+\.\d+/);
    assert.ok(!Number.isNaN(Date.parse(rec.host.date)));
    assert.ok(rec.host.online_cpus >= 1);
    assert.match(rec.host.shmem_enabled, /^(always|within_size|advise|never|deny|force|inherit|unknown)$/);
    assert.match(rec.command, /calibrate-record/);
    assert.ok(rec.rows.length > 30);
    for (const row of rec.rows) {
      assert.match(row.probe, /^[a-z_]+(\.[a-z_]+)*$/);
      assert.ok(['guest_memfd', 'shmem', 'kvm'].includes(row.backend));
      assert.ok(row.samples_ns.length >= 1, `${row.probe} ${JSON.stringify(row.params)} has no samples`);
      for (const s of row.samples_ns) assert.ok(Number.isInteger(s) && s >= 1, `${row.probe}: sample ${s}`);
    }
  });
}

test('full recording: every size of every documented host-side row, on both backends', () => {
  const sizes = [4 * KiB, 64 * KiB, 2 * MiB, 64 * MiB, GiB];
  const upTo64M = sizes.filter((s) => s <= 64 * MiB);
  const guestSizes = [4 * KiB, 64 * KiB, 2 * MiB, 16 * MiB];
  const expect: [string, Record<string, string | number | boolean | undefined>, number[]][] = [
    ['gmem.fallocate', { state: 'empty', bound: false }, sizes],
    ['gmem.fallocate', { state: 'empty', bound: true }, sizes],
    ['gmem.fallocate', { state: 'allocated', bound: false }, sizes],
    ['gmem.fallocate', { state: 'partial', bound: false }, upTo64M],
    ['gmem.punch', { state: 'populated', bound: false }, sizes],
    ['gmem.punch', { state: 'populated', bound: true, vcpu: undefined }, sizes],
    ['gmem.punch', { state: 'empty', bound: false }, sizes],
    ['gmem.punch', { state: 'empty', bound: true, vcpu: undefined }, sizes],
    ['gmem.punch', { state: 'partial', bound: false }, upTo64M],
    ['gmem.punch', { state: 'vmm_mapped', bound: false }, upTo64M],
    ['shmem.fallocate', { state: 'empty' }, sizes],
    ['shmem.fallocate', { state: 'allocated' }, sizes],
    ['shmem.fallocate', { state: 'written' }, upTo64M],
    ['shmem.fallocate', { state: 'partial' }, upTo64M],
    ['shmem.punch', { state: 'populated' }, sizes],
    ['shmem.punch', { state: 'empty' }, sizes],
    ['shmem.punch', { state: 'partial' }, upTo64M],
    ['shmem.punch', { state: 'vmm_mapped' }, upTo64M],
    ['shmem.thp.fallocate', { state: 'empty', thp: 'always', placement: 'aligned' }, [2 * MiB, 64 * MiB, GiB]],
    ['shmem.thp.punch', { state: 'populated', thp: 'always', placement: 'aligned' }, [2 * MiB, 64 * MiB, GiB]],
    ['shmem.thp.punch', { state: 'populated', thp: 'always', placement: 'inside_huge_folio' }, [4 * KiB, 64 * KiB]],
    ['gmem.punch', { state: 'mapped', vcpu: 'stopped' }, guestSizes],
    ['gmem.punch', { state: 'populated', vcpu: 'stopped' }, guestSizes],
    ['gmem.punch', { state: 'empty', vcpu: 'stopped' }, guestSizes],
    ['gmem.punch', { state: 'mapped', vcpu: 'idle_after_touch' }, [4 * KiB, 64 * KiB, 2 * MiB]],
    ['gmem.punch', { state: 'mapped', vcpu: 'running' }, [4 * KiB, 2 * MiB]],
    ['guest.first_touch', { prefill: 'none', state: 'empty' }, [2 * MiB, 16 * MiB]],
    ['guest.first_touch', { prefill: 'fallocate', state: 'populated' }, [2 * MiB, 16 * MiB]],
    ['guest.refault', { state: 'guest_punched' }, [4 * KiB, 2 * MiB, 16 * MiB]],
    ['guest.touch_mapped', { state: 'mapped' }, [2 * MiB, 16 * MiB]],
  ];
  for (const [probe, match, want] of expect) {
    const got = rowsOf(full, probe, match).map((r) => r.params.size_bytes as number);
    assert.deepEqual([...got].sort((a, b) => a - b), want, `${probe} ${JSON.stringify(match)}`);
  }
  for (const r of rowsOf(full, 'gmem.punch').filter((x) => x.params.vcpu !== undefined)) assert.deepEqual([r.params.bound, r.params.mmap], [true, true]);
  for (const p of ['gmem.create', 'gmem.close', 'shmem.create', 'shmem.close']) assert.equal(rowsOf(full, p).length, 2, p);
  assert.equal(rowsOf(full, 'guest.exit').length, 1);
  assert.deepEqual(full.skipped, []);
  assert.ok(full.host.kvm && full.host.guest_memfd);
});

test('full recording: the kernel shapes the model rests on show through (holes O(1), allocations per page)', () => {
  const med = (probe: string, m: Record<string, string | number | boolean>): number => median(oneRow(full, probe, m).samples_ns);
  // A punch of a hole does not grow with the size of the hole (unbound)...
  assert.ok(med('gmem.punch', { state: 'empty', bound: false, size_bytes: 64 * MiB }) < 3 * med('gmem.punch', { state: 'empty', bound: false, size_bytes: 4 * KiB }));
  assert.ok(med('shmem.punch', { state: 'empty', size_bytes: 64 * MiB }) < 3 * med('shmem.punch', { state: 'empty', size_bytes: 4 * KiB }));
  // ...while allocating and punching populated ranges does: 16384 pages cost far more than one.
  for (const [p, m] of [['gmem.fallocate', { state: 'empty', bound: false }], ['shmem.fallocate', { state: 'empty' }], ['gmem.punch', { state: 'populated', bound: false }], ['shmem.punch', { state: 'populated' }]] as const) {
    assert.ok(med(p, { ...m, size_bytes: 64 * MiB }) > 300 * med(p, { ...m, size_bytes: 4 * KiB }), p);
  }
  // Huge folios: a THP fallocate of 64 MiB allocates 32 folios instead of 16384 pages.
  assert.ok(med('shmem.thp.fallocate', { size_bytes: 64 * MiB }) * 10 < med('shmem.fallocate', { state: 'empty', size_bytes: 64 * MiB }));
  // The guest's first touch of 16 MiB takes a fault per page; a second pass takes none.
  assert.ok(med('guest.first_touch', { state: 'empty', size_bytes: 16 * MiB }) > 20 * med('guest.touch_mapped', { size_bytes: 16 * MiB }));
  // A punch of pages the guest mapped zaps their shadow PTEs on top of what a populated punch does.
  assert.ok(med('gmem.punch', { state: 'mapped', vcpu: 'stopped', size_bytes: 16 * MiB }) > med('gmem.punch', { state: 'empty', vcpu: 'stopped', size_bytes: 16 * MiB }) * 10);
});

test('two-puncher rows: one and two threads per pass on both backends; every punch kept for two threads from 64 KiB', () => {
  for (const backend of ['guest_memfd', 'shmem']) {
    for (const size of [4 * KiB, 64 * KiB, 2 * MiB]) {
      for (const pass of [1, 2, 3]) {
        for (const threads of [1, 2]) {
          const rows = rowsOf(full, 'two_punchers', { size_bytes: size, threads, pass, gap_ns: 0 }).filter((r) => r.backend === backend);
          assert.equal(rows.length, 1, `${backend} ${size} pass ${pass} threads ${threads}`);
          const row = rows[0]!;
          if (threads === 2 && size >= 64 * KiB) {
            assert.equal(row.punches?.length, row.samples_ns.length);
            assert.deepEqual(row.punches!.map((p) => p.end_ns - p.start_ns), row.samples_ns);
            assert.deepEqual([...new Set(row.punches!.map((p) => p.thread))].sort(), [0, 1]);
          } else {
            assert.equal(row.punches, undefined);
          }
        }
      }
    }
  }
  assert.deepEqual(rowsOf(nokvm, 'two_punchers').map((r) => r.backend).filter((b) => b !== 'shmem'), []);
});

test('recording without /dev/kvm: shmem measured, guest_memfd, guest and THP parts skipped with the reason', () => {
  assert.equal(nokvm.host.kvm, false);
  assert.equal(nokvm.host.guest_memfd, false);
  assert.deepEqual([...new Set(nokvm.rows.map((r) => r.backend))], ['shmem']);
  const why = (what: string): string => nokvm.skipped.find((s) => s.what === what)?.why ?? '';
  for (const what of ['gmem', 'guest', 'two_punchers guest_memfd']) assert.match(why(what), /\/dev\/kvm/, what);
  assert.match(why('shmem.thp'), /shmem_enabled/);
  assert.ok(rowsOf(nokvm, 'shmem.fallocate', { state: 'allocated' }).length >= 3);
});

test('absorbProbeLine: caps, skips and rows go where they belong; anything else is refused', () => {
  const into = { rows: [] as ProbeRow[], skipped: [] as ProbeSkip[], caps: { kvm: false, guest_memfd: false, why: '' } as ProbeCaps };
  absorbProbeLine('{"caps":{"kvm":true,"guest_memfd":false,"guest_memfd_flags":0,"why":"KVM_CAP_GUEST_MEMFD is not reported by this kernel"}}', into);
  absorbProbeLine('{"skip":"gmem","why":"no \\"guest_memfd\\""}', into);
  absorbProbeLine('{"probe":"shmem.punch","backend":"shmem","params":{"size_bytes":4096,"state":"empty"},"samples_ns":[700,701]}', into);
  absorbProbeLine('', into);
  assert.deepEqual(into.caps, { kvm: true, guest_memfd: false, why: 'KVM_CAP_GUEST_MEMFD is not reported by this kernel' });
  assert.deepEqual(into.skipped, [{ what: 'gmem', why: 'no "guest_memfd"' }]);
  assert.deepEqual(into.rows, [{ probe: 'shmem.punch', backend: 'shmem', params: { size_bytes: 4096, state: 'empty' }, samples_ns: [700, 701] }]);
  assert.throws(() => absorbProbeLine('punch 4096 700', into), /not JSON/);
  assert.throws(() => absorbProbeLine('{"what":1}', into), /unknown record/);
});

test('selectedChoice reads the bracketed value of a sysfs choice file', () => {
  assert.equal(selectedChoice('always within_size advise [never] deny force\n'), 'never');
  assert.equal(selectedChoice('[always] never'), 'always');
  assert.equal(selectedChoice('unknown'), 'unknown');
});

test("two-puncher rows from the Intel host's raw 2 MiB passes: shmem pays a hand-over, guest_memfd does not", () => {
  const dir = fixtures + 'intel-xeon-6.18/two-punchers-raw-2MiB/';
  const files = readdirSync(dir).filter((f) => f.endsWith('2threads.txt'));
  assert.equal(files.length, 10);
  const extra: Record<string, number[]> = { gmem: [], shmem: [] };
  for (const f of files) {
    const backend = f.startsWith('gmem') ? 'guest_memfd' : 'shmem';
    const pass = Number(/pass(\d+)/.exec(f)![1]);
    const row = twoPunchersRow(readFileSync(dir + f, 'utf8'), backend, pass);
    assert.equal(row.samples_ns.length, 600);
    const { alternating_share: share, ...params } = row.params;
    assert.deepEqual(params, { size_bytes: 2 * MiB, threads: 2, pass, state: 'populated', gap_ns: 0 });
    assert.ok(typeof share === 'number' && share >= 0 && share <= 1, `alternating_share ${share}`);
    const shares = lockShares(row.punches!.map((p) => ({ thread: p.thread, startNs: p.start_ns, endNs: p.end_ns })));
    extra[f.split('-')[0]!]!.push(median(shares.handover) - median(shares.continuation));
  }
  // test/fixtures/probe/README.md: about 65-70 us per hand-over on shmem in four of five passes, none on guest_memfd.
  assert.ok(extra.shmem!.filter((x) => x > 40_000).length >= 4, `shmem hand-over extras ${extra.shmem}`);
  assert.ok(extra.gmem!.every((x) => x < 20_000), `guest_memfd hand-over extras ${extra.gmem}`);
});
