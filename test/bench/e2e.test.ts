// `rmsim bench e2e` on tiny sizes: every case runs in its own process and reports what the
// issue asks for; the simulated and the bare runs take exactly one fault per guest page; (d) runs
// its sizes in rotating rounds and reports medians; a run past --max-wall is stopped, says how far
// it got and extrapolates (never a measurement); (d)'s chart is a valid picture of the sizes run.
// (Timing figures are not checked: see bench/.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../sim/errors.js';
import { B_VMS, bootHostBytes, bootSpec, scaledBytes, WARMUP_RUNS, WARMUP_VM_BYTES, terabyteHostBytes, terabyteHostSpec, terabyteVmBytes } from '../../bench/e2e/cases.js';
import { MAX_HOST_PAGES } from '../../sim/fastpath/buddy-rules.js';
import { parseMaxWall, parseOnly, parseScale } from '../../bench/e2e/cli.js';
import { E2E_TARGETS, medianRun, rotatedOrder, runE2eBench, runSizeTrials, verdicts, type CaseFigures } from '../../bench/e2e/run.js';
import { runChild, type ChildMessage } from '../../bench/e2e/child.js';
import { benchE2eSpec } from '../../bench/e2e/chart-spec.js';
import { renderSvg } from '../../reports/render.js';

const MiB = 2 ** 20;

test('e2e warm-up: the timed boot itself on WARMUP_VM_BYTES, alternately the first pages of each vCPU slice (every offset, bottom to top) and the top to the slices\' ends; all of a small VM', () => {
  const GiB = 2 ** 30;
  const spec = bootSpec(4 * GiB);
  assert.equal(spec.kind, 'workload');
  if (spec.kind !== 'workload') return;
  const runs = spec.warmup ?? [];
  assert.equal(runs.length, WARMUP_RUNS);
  assert.ok(spec.sets.includes('vms.vcpus=8'));
  runs.forEach((r, i) => {
    assert.equal(r.workload, spec.workload);
    // The timed run's VM, host and vCPUs, and what each warm-up touches.
    const touch = i % 2 === 0 ? `actors.boot.ops=${WARMUP_VM_BYTES / 4096 / 8}` : `actors.boot.range.offset=${4 * 1024 - WARMUP_VM_BYTES / MiB}MiB`;
    assert.deepEqual(r.sets, [...spec.sets, touch]);
  });
  const small = bootSpec(WARMUP_VM_BYTES);
  if (small.kind === 'workload') for (const r of small.warmup ?? []) assert.deepEqual(r.sets, small.sets);
});

test('e2e cases: sizes scale to whole 2 MiB, hosts to whole 4 MiB with room for the VM; options parse', () => {
  assert.equal(scaledBytes(64 * 2 ** 30, 1), 64 * 2 ** 30);
  assert.equal(scaledBytes(64 * 2 ** 30, 1e-4), 6 * MiB);
  assert.equal(scaledBytes(1, 1e-9), 2 * MiB);
  assert.equal(bootHostBytes(64 * 2 ** 30), 80 * 2 ** 30);
  assert.equal(bootHostBytes(6 * MiB), 72 * MiB);
  // (b): a 1 TiB host (the fast paths' most) with room beyond the pages fragmentation pins
  // (0.3 / 512 of memory), at every scale.
  assert.equal(terabyteVmBytes(1), 16128 * MiB);
  assert.equal(terabyteHostBytes(terabyteVmBytes(1)), 2 ** 40);
  assert.equal(terabyteHostBytes(terabyteVmBytes(1)) / 4096, MAX_HOST_PAGES);
  for (const s of [1, 1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 2048, 1e-4]) {
    const vm = terabyteVmBytes(s);
    const host = terabyteHostBytes(vm);
    assert.ok(host - B_VMS * vm > 2 * (0.3 / 512) * host, `scale ${s}: host ${host}, guests ${B_VMS * vm}`);
  }
  const b = terabyteHostSpec(1);
  assert.deepEqual(b.kind === 'workload' ? b.sets : [], ['vms.memory=16128MiB', 'host.memory=1024GiB']);
  assert.deepEqual(parseOnly('a,d'), ['a', 'd']);
  assert.deepEqual(parseOnly(undefined), ['a', 'b', 'c', 'd']);
  assert.throws(() => parseOnly('a,x'), UsageError);
  assert.equal(parseScale('1/64'), 1 / 64);
  assert.equal(parseScale('0.25'), 0.25);
  for (const bad of ['0', '2', '1/0', 'x', '1/64/2']) assert.throws(() => parseScale(bad), UsageError, bad);
  assert.equal(parseMaxWall('120s'), 120);
  assert.equal(parseMaxWall('2min'), 120);
  assert.equal(parseMaxWall(undefined), undefined);
  for (const bad of ['0s', '12', 'soon']) assert.throws(() => parseMaxWall(bad), UsageError, bad);
});

test('e2e (d): rounds rotate the order so every size runs at every place of a round once', () => {
  const rounds = [0, 1, 2, 3].map((r) => rotatedOrder(4, r));
  assert.deepEqual(rounds[0], [0, 1, 2, 3]);
  assert.deepEqual(rounds[1], [1, 2, 3, 0]);
  for (let place = 0; place < 4; place++) assert.deepEqual(rounds.map((o) => o[place]).sort(), [0, 1, 2, 3], `place ${place}`);
});

test('e2e (d): medians per size over interleaved trials, min-max kept, spread on the medians', async () => {
  const calls: Array<[number, number]> = [];
  // Size 1's third trial is an outlier: the median ignores it, the max shows it.
  const ns: Record<number, number[]> = { 1: [100, 110, 900], 4: [105, 95, 100] };
  const fig = (n: number): CaseFigures => ({
    wall_s: n, warmup_s: 0, run_s: n, events: 1, events_per_s: 1, faults: 1, faults_per_s: 1, peak_rss_bytes: 1, compute_ns_per_fault: n, complete: true,
  });
  const d = await runSizeTrials([1, 4], 3, async (vm, round) => {
    calls.push([vm, round]);
    return fig(ns[vm]![round]!);
  });
  assert.deepEqual(calls, [[1, 0], [4, 0], [4, 1], [1, 1], [1, 2], [4, 2]]);
  assert.deepEqual(d.sizes.map((s) => s.compute_ns_per_fault_median), [110, 100]);
  assert.deepEqual(d.sizes.map((s) => s.compute_ns_per_fault), [110, 100]);
  assert.deepEqual(d.sizes.map((s) => [s.compute_ns_per_fault_min, s.compute_ns_per_fault_max]), [[100, 900], [95, 105]]);
  assert.deepEqual(d.sizes[0]!.trials_ns_per_fault, [100, 110, 900]);
  assert.equal(d.sizes[0]!.wall_s, 110, 'the figures beside the median are the median trial\'s');
  assert.equal(d.spread, 1.1);
});

test('e2e (b) runs: the median run by wall time, the slower middle one of an even count, a stopped run slowest', () => {
  const run = (wall_s: number, complete = true, id = wall_s) => ({ id, figures: {
    wall_s, warmup_s: 0, run_s: wall_s, events: 1, events_per_s: 1, faults: 1, faults_per_s: 1, peak_rss_bytes: 1, compute_ns_per_fault: 1, complete,
  } satisfies CaseFigures });
  assert.equal(medianRun([run(59), run(53), run(56)]).id, 56);
  assert.equal(medianRun([run(53), run(59)]).id, 59, 'of two, the slower: the verdict never takes the kinder reading');
  assert.equal(medianRun([run(50), run(20, false, 1), run(55)]).id, 55, 'a stopped run sorts after every complete one');
  assert.equal(medianRun([run(42)]).id, 42);
  assert.throws(() => medianRun([]));
});

test('e2e verdicts: judged at scale 1 only; a stopped case fails only a limit it already passed', () => {
  const f = (wall_s: number, complete: boolean): CaseFigures => ({
    wall_s, warmup_s: 0, run_s: wall_s, events: 1, events_per_s: 1, faults: 1, faults_per_s: 1, peak_rss_bytes: 2 ** 30, compute_ns_per_fault: 1, complete,
  });
  const b = (wall: number, complete: boolean) => ({ ...f(wall, complete), vm_bytes: 1, host_bytes: 2, vms: 1, detail: null, wasm: [] });
  assert.equal(verdicts({ b: b(30, true) }, 1).b_wall_s, true);
  assert.equal(verdicts({ b: b(90, true) }, 1).b_wall_s, false);
  assert.equal(verdicts({ b: b(90, false) }, 1).b_wall_s, false, 'stopped after the 60 s target: missed');
  assert.equal(verdicts({ b: b(30, false) }, 1).b_wall_s, null, 'stopped before it: unknown, never an extrapolated verdict');
  assert.equal(verdicts({ b: b(30, false) }, 1).b_peak_rss_bytes, null);
  assert.equal(verdicts({ b: b(30, true) }, 0.5).b_wall_s, null);
  assert.equal(E2E_TARGETS.b_wall_s, 60);
});

test('e2e child: progress while it runs, then how the (b) host served its faults', { timeout: 120_000 }, async () => {
  const spec = terabyteHostSpec(1 / 2048);
  assert.equal(spec.kind, 'workload');
  const expect = spec.kind === 'workload' ? spec.expectFaults! : 0;
  assert.equal(expect, (B_VMS * terabyteVmBytes(1 / 2048)) / 4096);
  const seen: ChildMessage[] = [];
  const r = await runChild(spec, (m) => seen.push(m), 0);
  assert.ok(seen.length >= 2, `progress reported ${seen.length} times`);
  const faults = seen.map((m) => (m.type === 'progress' ? m.faults : NaN));
  assert.deepEqual(faults, [...faults].sort((x, y) => x - y), 'faults done never go back');
  assert.ok(faults.at(-1)! <= r.faults);
  assert.equal(r.complete, true);
  assert.equal(r.done_fraction, 1);
  // Every private page faulted once, less those whose fault ended in a memory-fault exit.
  assert.ok(r.faults <= expect && r.faults > expect * 0.95, `faults ${r.faults} of ${expect}`);
  const d = r.detail!;
  assert.equal(Object.values(d.faults_by_level).reduce((a, b) => a + b, 0), r.faults);
  assert.equal(d.conversions, B_VMS * 64, 'each VM\'s conversion thread did its 64 ops');
  assert.ok(d.thp_success_rate !== null && d.thp_success_rate > 0 && d.thp_success_rate < 1, `THP success ${d.thp_success_rate}`);
  assert.ok(d.memory_fault_exits > 0);
  assert.equal(r.wasm.filter((w) => !w.idle).length, 1, 'the host lives in one WASM instance');
  assert.ok(r.wasm.every((w) => w.in_use_bytes > 0 && w.in_use_bytes <= w.memory_bytes));
});

test('e2e bench: a run past --max-wall stops, says how far it got, extrapolates, and is not judged', { timeout: 120_000 }, async () => {
  // (b) at 1/16 (64 VMs of 1 GiB, 16.8 M faults) needs far more than 3 s on any host of this kind
  // (about 11% done at 3 s idle on the AMD EPYC VM, 2026-12-04; 1/256, used before, came within
  // 2% of finishing inside its 2.5 s once the fault path got faster, and then failed here).
  const r = await runE2eBench({ only: ['b'], scale: 1 / 16, maxWallS: 3 });
  const b = r.cases.b!;
  assert.equal(b.complete, false);
  assert.ok(b.stopped, 'stopped');
  const f = b.stopped.done_fraction!;
  assert.ok(f > 0 && f < 1, `done ${f}`);
  assert.ok(b.faults > 0 && b.faults < (B_VMS * terabyteVmBytes(1 / 16)) / 4096);
  assert.ok(b.stopped.extrapolated_wall_s! > b.wall_s, 'the whole run takes longer than the part done');
  assert.match(b.stopped.method, /remaining faults/);
  assert.ok(b.detail && b.wasm.length >= 1);
  assert.ok(Object.values(r.meets).every((m) => m === null));
});

test('e2e bench (b) with --b-runs 3 at 1/2048: every run\'s wall time kept, the figures the median run\'s', { timeout: 180_000 }, async () => {
  const r = await runE2eBench({ only: ['b'], scale: 1 / 2048, bRuns: 3 });
  const b = r.cases.b!;
  assert.equal(b.runs_wall_s?.length, 3);
  const sorted = [...b.runs_wall_s!].sort((x, y) => x - y);
  assert.equal(b.wall_s, sorted[1]);
  assert.equal(b.complete, true);
  assert.ok(b.faults > 0 && b.detail !== null);
});

test('e2e bench at scale 1e-4: (a) beside the bare fast paths, (d) at four sizes in two rounds, one fault per page', { timeout: 180_000 }, async () => {
  const r = await runE2eBench({ only: ['a', 'd'], scale: 1e-4, trials: 2 });
  const a = r.cases.a!;
  assert.equal(a.vm_bytes, 6 * MiB);
  assert.equal(a.faults, a.vm_bytes / 4096, 'one first-touch fault per 4 KiB page');
  assert.ok(a.events > a.faults, `events ${a.events} > faults ${a.faults}`);
  assert.equal(a.complete, true);
  for (const k of ['wall_s', 'run_s', 'events_per_s', 'faults_per_s', 'bare_faults_per_s', 'ratio_to_bare', 'peak_rss_bytes'] as const) {
    assert.ok(Number.isFinite(a[k]) && a[k] > 0, `${k} = ${a[k]}`);
  }
  const d = r.cases.d!;
  assert.equal(d.trials, 2);
  assert.match(d.method, /median/);
  assert.deepEqual(d.sizes.map((s) => s.vm_bytes / MiB), [2, 2, 2, 6]);
  for (const s of d.sizes) {
    assert.equal(s.faults, s.vm_bytes / 4096);
    assert.equal(s.trials_ns_per_fault.length, 2);
    assert.ok(s.compute_ns_per_fault_min <= s.compute_ns_per_fault_median && s.compute_ns_per_fault_median <= s.compute_ns_per_fault_max);
  }
  const medians = d.sizes.map((s) => s.compute_ns_per_fault_median);
  assert.equal(d.spread, Math.max(...medians) / Math.min(...medians));
  // Scaled down: figures, but no verdicts.
  assert.ok(Object.values(r.meets).every((m) => m === null));
  const svg = await renderSvg(benchE2eSpec(r));
  assert.match(svg, /<svg/);
  assert.match(svg, /guest memory/);
  assert.match(svg, /median of 2 trials/);
});
