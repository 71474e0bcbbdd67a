// Calibration, out-of-sample: what the model predicts of figures no cost was fitted to, held to
// the measured figures (test/fixtures/measured/, section 7 of docs/kernel-model.md) within the
// same 10% as the in-sample checks (calibration.test.ts). Three kinds:
//  - leave one size out: refit the row's costs on the other sizes (refit.ts), predict the one left out;
//  - differences the model composes: bound minus unbound, populated minus hole, a running vCPU
//    minus an idle one, two threads against one;
//  - rows no cost was fitted to (1 GiB, shmem THP, the guest side).
// Where the model misses, the test is a todo stating the error measured when it was written
// (the tolerance is never widened); README.md "How far to trust it" lists them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile, type CostName } from '../../sim/costs/index.js';
import { fallocateNs, guestNs, punchNs, twoPunchers, type Backend } from './calibration-scenarios.js';
import { measured, measuredTwoPunchers, pct, sizeBytes } from './measured.js';
import { refit, sensitivity, type ModelAt } from './refit.js';

const TOL = 0.1;
const LONG = !!process.env.RMSIM_LONG;

const fmt = (x: number) => (Math.abs(x) >= 100 ? String(Math.round(x)) : x.toFixed(3));

function within(what: string, got: number, want: number): void {
  assert.ok(Number.isFinite(got) && Number.isFinite(want) && want !== 0, `${what}: ${got} vs ${want}`);
  assert.ok(Math.abs((got - want) / want) <= TOL, `${what}: model ${fmt(got)} vs measured ${fmt(want)} (${pct(got, want)})`);
}

// ---------------------------------------------------------------------------------------------
// Leave one size out. The sizes are those the profile's own fit used; the costs those it fitted.

interface Family {
  row: string;
  costs: CostName[];
  /** Nudge per cost for the slopes (ns; large enough that integer rounding does not matter). */
  step: number[];
  sizes: string[];
  model: ModelAt;
  /** Sizes whose left-out refit is a known miss: the error when this test was written. */
  misses?: Record<string, string>;
  /** Sizes that cannot be left out: without them the kept sizes cannot tell the costs apart. */
  unidentifiable?: Record<string, string>;
}

const fallocFamily = (b: Backend): Family => ({
  row: `${b}.fallocate`,
  costs: [`${b}.fallocate_fixed_ns`, `${b}.add_folio_4k_ns`] as CostName[],
  step: [100, 10],
  sizes: ['4KiB', '2MiB', '64MiB'],
  model: (size, profile) => fallocateNs(b, sizeBytes(size), { profile }),
  misses: {
    '4KiB': b === 'shmem'
      ? 'the line through 2 MiB and 64 MiB puts the fixed cost at 451 ns: model 727 ns vs measured 400 ns (+81.8%)'
      : 'the line through 2 MiB and 64 MiB puts the fixed cost at 1807 ns: model 2005 ns vs measured 320 ns (+526.6%)',
  },
});

const BATCH_SPLIT = 'the 4 KiB row is the only one below a full folio batch: without it the first-batch fixed cost and the first-batch per-page extra are charged in the same proportion (1 : 15) by every kept size';
const punchFamily = (b: Backend): Family => ({
  row: b === 'shmem' ? 'shmem.punch_populated' : 'gmem.punch_populated_unbound',
  costs: [`${b}.punch_first_batch_ns`, `${b}.truncate_page_ns`, `${b}.truncate_page_first_batch_extra_ns`] as CostName[],
  step: [100, 10, 10],
  sizes: ['4KiB', '64KiB', '2MiB', '64MiB'],
  model: (size, profile) => punchNs(b, sizeBytes(size), { profile }),
  unidentifiable: { '4KiB': BATCH_SPLIT },
  misses: b === 'shmem' ? { '64KiB': 'refitted on 4 KiB, 2 MiB, 64 MiB the first-batch extra falls to 3.4 ns/page: model 2625 ns vs measured 3370 ns (-22.1%)' } : {},
});

const FAMILIES: Family[] = [
  fallocFamily('shmem'),
  fallocFamily('gmem'),
  punchFamily('shmem'),
  punchFamily('gmem'),
  {
    row: 'gmem.punch_hole_bound',
    costs: ['kvm.invalidate_begin_ns', 'kvm.shadow_zap_per_gfn_ns'],
    step: [10, 0.1],
    sizes: ['4KiB', '64KiB', '2MiB', '64MiB'],
    model: (size, profile) => punchNs('gmem', sizeBytes(size), { hole: true, bound: true, profile }),
  },
];

for (const f of FAMILIES) {
  const base = defaultProfile();
  let sens: Awaited<ReturnType<typeof sensitivity>> | undefined;
  const slopes = async () => (sens ??= await sensitivity(f.model, base, f.costs, f.step, f.sizes));
  for (const left of f.sizes) {
    const name = `out-of-sample (leave one out): ${f.row} ${left} predicted by ${f.costs.join(' + ')} refitted on ${f.sizes.filter((s) => s !== left).join(', ')}`;
    const why = f.unidentifiable?.[left];
    if (why) {
      test(name, { skip: `cannot refit: ${why}` }, () => {});
      continue;
    }
    test(name, f.misses?.[left] ? { todo: f.misses[left] } : {}, async () => {
      const kept = f.sizes.filter((s) => s !== left);
      const fit = refit(await slopes(), base, f.costs, kept, (s) => measured(f.row, s));
      assert.ok(fit, `the kept sizes ${kept.join(', ')} determine ${f.costs.join(', ')}`);
      within(`${f.row} ${left} (refitted ${JSON.stringify(fit.costs)})`, await f.model(left, fit.profile), measured(f.row, left));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Differences the model composes.

const SIZES4 = ['4KiB', '64KiB', '2MiB', '64MiB'];

/**
 * Bound minus unbound, populated: what binding adds to a punch (invalidate begin/end, the shadow
 * rmap walk over the range, the notifier walk). The profile fits begin/end and the rmap walk to
 * the hole rows; the populated difference is a prediction.
 */
const BOUND_MISSES: Record<string, string> = {
  '4KiB': 'model 40 ns vs measured 80 ns (-50%)',
  '64KiB': 'model 45 ns vs measured 70 ns (-36%)',
  '2MiB': 'model 193 ns vs measured 100 ns (+93%)',
  '64MiB': 'model 4931 ns vs measured 20000 ns (-75%)',
};
for (const size of SIZES4) {
  test(`out-of-sample (difference): guest_memfd punch populated, bound minus unbound, ${size}`, BOUND_MISSES[size] ? { todo: BOUND_MISSES[size] } : {}, async () => {
    const len = sizeBytes(size);
    const got = (await punchNs('gmem', len, { bound: true })) - (await punchNs('gmem', len));
    within(`bound - unbound ${size}`, got, measured('gmem.punch_populated_bound', size) - measured('gmem.punch_populated_unbound', size));
  });
}

/**
 * Populated minus hole, bound: the truncation of a bound file. Every truncation cost was fitted
 * on the unbound rows; that binding leaves the truncation itself unchanged is the prediction.
 */
const TRUNCATE_BOUND_MISSES: Record<string, string> = {};
for (const size of SIZES4) {
  test(`out-of-sample (difference): guest_memfd punch bound, populated minus hole, ${size}`, TRUNCATE_BOUND_MISSES[size] ? { todo: TRUNCATE_BOUND_MISSES[size] } : {}, async () => {
    const len = sizeBytes(size);
    const got = (await punchNs('gmem', len, { bound: true })) - (await punchNs('gmem', len, { hole: true, bound: true }));
    within(`populated - hole (bound) ${size}`, got, measured('gmem.punch_populated_bound', size) - measured('gmem.punch_hole_bound', size));
  });
}

/**
 * A running vCPU minus an idle one, 2 MiB guest-mapped punch: the kick and wait. The kick cost
 * was fitted to the 4 KiB pair (33.8 us running, 2.30 us idle); 2 MiB (119 us against 72.9 us in
 * the same experiment) is the prediction.
 */
test('out-of-sample (difference): punch of a guest-mapped 2 MiB range, vCPU running minus vCPU idle', { todo: 'model 31.5 us vs measured 46.1 us (-31.7%)' }, async () => {
  const running = (await guestNs('gmem', sizeBytes('2MiB'), 'punch-running')).thenNs;
  const idle = (await guestNs('gmem', sizeBytes('2MiB'), 'punch-idle')).thenNs;
  within('running - idle 2MiB', running - idle, 119_000 - 72_900);
});

/**
 * Two threads against one, 2 MiB (the 4 KiB rows were fitted: the contended refill). The ratio
 * of the two-thread median to the one-thread median, and of the aggregates.
 */
const TWO_VS_ONE_MISSES: Record<Backend, { latency?: string; aggregate?: string }> = {
  gmem: { latency: 'model 2.02x vs measured 1.41x (+43.1%): the model runs in one of the two lock regimes, the kernel between them (calibration.test.ts)' },
  shmem: { latency: 'model 1.00x vs measured 1.23x (-18.6%): as for guest_memfd', aggregate: 'model 0.996x vs measured 0.880x (+13.1%): the model loses no throughput to the second thread' },
};
const twoVsOne = new Map<Backend, Promise<Awaited<ReturnType<typeof twoPunchers>>>>();
const twoPunchersAt2MiB = (b: Backend) => {
  if (!twoVsOne.has(b)) twoVsOne.set(b, twoPunchers(b, sizeBytes('2MiB'), 48, 30));
  return twoVsOne.get(b)!;
};
for (const b of ['gmem', 'shmem'] as const) {
  test(`out-of-sample (ratio): ${b} two threads against one, 2 MiB punches: median latency`, TWO_VS_ONE_MISSES[b].latency ? { todo: TWO_VS_ONE_MISSES[b].latency } : {}, async () => {
    const r = await twoPunchersAt2MiB(b);
    within(`${b} two/one latency`, r.perPunchNs / r.singleNs, measuredTwoPunchers(b, '2MiB', 'per_punch_ns') / measuredTwoPunchers(b, '2MiB', 'single_ns'));
  });
  test(`out-of-sample (ratio): ${b} two threads against one, 2 MiB punches: aggregate throughput`, TWO_VS_ONE_MISSES[b].aggregate ? { todo: TWO_VS_ONE_MISSES[b].aggregate } : {}, async () => {
    const r = await twoPunchersAt2MiB(b);
    within(`${b} two/one aggregate`, r.opsPerSec / r.singleOpsPerSec, measuredTwoPunchers(b, '2MiB', 'ops_per_s') / measuredTwoPunchers(b, '2MiB', 'single_ops_per_s'));
  });
}

// ---------------------------------------------------------------------------------------------
// Rows no cost was fitted to.

interface Unfitted {
  name: string;
  row: string;
  size: string;
  model: () => Promise<number>;
  miss?: string;
  long?: boolean;
}

const UNFITTED: Unfitted[] = [
  { name: 'guest_memfd fallocate 1 GiB', row: 'gmem.fallocate', size: '1GiB', model: () => fallocateNs('gmem', sizeBytes('1GiB')) },
  { name: 'shmem fallocate 1 GiB', row: 'shmem.fallocate', size: '1GiB', model: () => fallocateNs('shmem', sizeBytes('1GiB')) },
  { name: 'shmem fallocate 1 GiB, THP always', row: 'shmem.fallocate_thp_always', size: '1GiB', model: () => fallocateNs('shmem', sizeBytes('1GiB'), { thpAlways: true }) },
  {
    name: 'shmem THP: punch 64 KiB inside a huge folio (the split cost was fitted to 4 KiB inside)', row: 'shmem.thp_punch_inside_huge', size: '64KiB',
    model: () => punchNs('shmem', sizeBytes('64KiB'), { thpAlways: true, populate: sizeBytes('2MiB') }),
  },
  { name: 'first-touch fault, guest_memfd backing, 64 MiB (the exit cost was derived on the shmem path)', row: 'guest.first_touch_fault', size: '64MiB', model: async () => (await guestNs('gmem', sizeBytes('64MiB'))).firstTouchNs },
  { name: 'refault after a punch, guest_memfd, 64 MiB', row: 'guest.refault_after_punch', size: '64MiB', model: async () => (await guestNs('gmem', sizeBytes('64MiB'), 'refault')).thenNs },
  { name: 'first-touch fault, 512 MiB', row: 'guest.first_touch_fault', size: '512MiB', model: async () => (await guestNs('shmem', sizeBytes('512MiB'))).firstTouchNs, long: true },
  { name: 'punch of a guest-mapped 2 MiB range, vCPU running', row: 'guest.punch_mapped_vcpu_running', size: '2MiB', model: async () => (await guestNs('gmem', sizeBytes('2MiB'), 'punch-running')).thenNs },
];

const UNFITTED_MISSES: Record<string, string> = {
  'gmem.fallocate 1GiB': 'model 51.8 ms vs measured 61 ms (-15.1%)',
  'shmem.fallocate_thp_always 1GiB': 'model 0.51 ms vs measured 0.87 ms (-41.7%)',
  'shmem.thp_punch_inside_huge 64KiB': 'model 23.6 us vs measured 153 us (-84.6%): the model splits the folio once and frees 16 pages; the kernel pays far more per page split off',
  'guest.first_touch_fault 512MiB': 'model 21.4 us vs measured 26.1 us (-18.0%): the model\'s fault cost does not grow with guest memory',
  'guest.punch_mapped_vcpu_running 2MiB': 'model 106.8 us vs measured 119 us (-10.3%)',
};

for (const u of UNFITTED) {
  const key = `${u.row} ${u.size}`;
  const miss = UNFITTED_MISSES[key];
  const opts = u.long && !LONG ? { skip: `RMSIM_LONG (a ${u.size} guest faults every page)${miss ? `; known miss: ${miss}` : ''}` } : miss ? { todo: miss } : {};
  test(`out-of-sample (no cost fitted to it): ${u.name}`, opts, async () => {
    within(key, await u.model(), measured(u.row, u.size));
  });
}

test('every known miss names a row this file tests (no stale todo entries)', () => {
  for (const key of Object.keys(UNFITTED_MISSES)) assert.ok(UNFITTED.some((u) => `${u.row} ${u.size}` === key), key);
  for (const size of [...Object.keys(BOUND_MISSES), ...Object.keys(TRUNCATE_BOUND_MISSES)]) assert.ok(SIZES4.includes(size), size);
});
