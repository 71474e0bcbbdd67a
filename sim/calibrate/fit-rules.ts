// The fit of each measured cost from probe rows: which rows, which formula, and how the model
// charges the cost (so the split of one measured figure into the model's parts is the model's,
// sim/costs/README.md "How the default profile was fitted"). Each rule reads earlier values
// through `ctx.value` (a fitted one when an earlier rule set it, else the base profile's) and
// returns the costs it set with their fit quality. A rule whose rows are missing sets nothing:
// its costs keep the base profile's values, marked kept with the missing rows named.
import { mean, median } from 'simple-statistics';
import { FOLIO_BATCH, XA_CHUNK_SIZE } from '../model/truncate.js';
import type { FittedCost } from '../costs/schema.js';
import { alternationShares, lockShares, TURN_TAKING_MIN_RATIO, TURN_TAKING_MIN_SHARE } from './two-punchers-analysis.js';
import { fitConstant, fitLineRelative, fitRepetitions, medianSe, rowMedian, type LineFit } from './least-squares.js';
import { MissingRows, medianAt, pagesOf, rowLabel, selectRows, type ParamMatch } from './probe-rows.js';
import type { ProbeRecording, ProbeRow } from './types.js';
import { cacheColdPunchPage, cacheFootprintBounds } from './fit-footprint.js';
import { drainBefore, lruAddDrain, pendingAfter } from './fit-lru.js';

export interface FitContext {
  rec: ProbeRecording;
  /** A cost's value as fitted so far (costs.* names; lock costs as lock.<name>). */
  value(name: string): number;
}

export interface FittedValue {
  name: string;
  value: number;
  fit: FittedCost;
  /** What the value is, in words, for the entry's source. */
  source: string;
}

export interface FitRule {
  /** Costs the rule sets, for the "kept" marks when it cannot run. */
  sets: string[];
  fit(ctx: FitContext): FittedValue[];
}

const GAP_NS_DEFAULT = 30; // the two-puncher probe's clock reads between punches (bench/kernel-probe/README.md)
const HUGE = 2 * 1024 * 1024;

/**
 * Ranges up to this size are what VMM calls and the validation sequences use; larger ones add
 * effects the model charges apart (per-CPU list drains, reclaim), so lines are fitted on rows up
 * to it when there are two or more, else on every row.
 */
const LINE_MAX_BYTES = 16 * 1024 * 1024;

/** A line through the rows' medians (`y` when a modeled part is taken off each first) against `x`. */
function lineOf(rows: ProbeRow[], x: (r: ProbeRow) => number, y: (r: ProbeRow) => number = (r) => rowMedian(r.samples_ns)): { fit: LineFit; labels: string[] } {
  const small = rows.filter((r) => !(Number(r.params.size_bytes) > LINE_MAX_BYTES));
  const use = new Set(small.map(x)).size >= 2 ? small : rows;
  return { fit: fitLineRelative(use.map((r) => ({ x: x(r), y: y(r) }))), labels: use.map(rowLabel) };
}

function fitted(name: string, value: number, method: string, rows: string[], n: number, se: number, source: string, r2?: number, rounds?: number[]): FittedValue {
  const fit: FittedCost = { status: 'fitted', method, rows, n, se: round(se), ...(r2 === undefined ? {} : { r2: round(r2, 6) }), ...(rounds === undefined ? {} : { rounds }) };
  return { name, value: round(Math.max(0, value)), fit, source };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** fallocate of an empty range: fixed + pages x (the file's add_folio + host.alloc_page_ns). */
function fallocateLine(probe: string, match: ParamMatch, fixed: string, perPage: string): FitRule {
  return {
    sets: [fixed, perPage],
    fit(ctx) {
      const { fit, labels } = lineOf(selectRows(ctx.rec, probe, match, 2), pagesOf);
      const how = 'least squares (relative residuals) of the median against 4 KiB pages';
      return [
        fitted(fixed, fit.intercept, `${how}: intercept`, labels, fit.n, fit.interceptSe, `${probe}: the fixed term of the line`, fit.r2),
        fitted(perPage, fit.slope - ctx.value('host.alloc_page_ns'), `${how}: slope minus host.alloc_page_ns`, labels, fit.n, fit.slopeSe, `${probe}: ${fit.slope.toFixed(2)} ns/page minus the page allocation`, fit.r2),
      ];
    },
  };
}

/**
 * The xarray leaf nodes one call of a populated-punch row empties (truncate.ts xa_nodes_emptied):
 * the row's ranges lie at consecutive slots, each populated right before while the previous one
 * was punched, so a range below a node's 64 pages is alone in its node and a larger one fills
 * pages / 64.
 */
function nodesEmptiedByRow(r: ProbeRow): number {
  return Math.max(1, Math.floor(pagesOf(r) / XA_CHUNK_SIZE));
}

/**
 * Punch of a populated range (truncate.ts): fixed + first_batch + pages x (truncate_page +
 * host.free_page_ns) + min(pages, FOLIO_BATCH) x first_batch_extra + the nodes emptied x
 * xa_node_free + the lru_add batch's drain (fit-lru.ts: each row's range was populated right
 * before, so its pages mod host.lru_add_batch folios are pending). Each row's median less its
 * nodes' cost and its drain: rows beyond one folio batch lie on a line
 * (slope = truncate_page + free_page, intercept = fixed + first_batch + FOLIO_BATCH x extra); the
 * 1-page row then gives the extra and the first-batch term.
 */
function populatedPunch(probe: string, match: ParamMatch, prefix: 'shmem' | 'gmem'): FitRule {
  const names = [`${prefix}.punch_first_batch_ns`, `${prefix}.truncate_page_ns`, `${prefix}.truncate_page_first_batch_extra_ns`];
  return {
    sets: names,
    fit(ctx) {
      const rows = selectRows(ctx.rec, probe, { ...match, state: 'populated' });
      const long = rows.filter((r) => pagesOf(r) > FOLIO_BATCH);
      const one = rows.find((r) => pagesOf(r) === 1);
      if (!one) throw new Error(`${probe}: no populated 4 KiB row`);
      const nodeFree = ctx.value(`${prefix}.xa_node_free_ns`);
      const batch = ctx.value('host.lru_add_batch');
      const lessNodes = (r: ProbeRow) => rowMedian(r.samples_ns) - nodesEmptiedByRow(r) * nodeFree - drainBefore(ctx, pendingAfter(pagesOf(r), batch));
      const longSmall = long.filter((r) => Number(r.params.size_bytes) <= LINE_MAX_BYTES);
      if (longSmall.length === 1) return twoRowPunch(ctx, probe, prefix, one, longSmall[0], lessNodes);
      const { fit, labels } = lineOf(long, pagesOf, lessNodes);
      const y1 = lessNodes(one);
      const extra = (fit.intercept - (y1 - fit.slope)) / (FOLIO_BATCH - 1);
      const firstBatch = y1 - fit.slope - extra - ctx.value(`${prefix}.punch_fixed_ns`);
      const all = [...labels, rowLabel(one)];
      const how = `least squares (relative) over rows of more than ${FOLIO_BATCH} pages, then the 4 KiB row, each less its emptied xarray nodes x ${prefix}.xa_node_free_ns and its lru_add drain`;
      return [
        fitted(names[0], firstBatch, `${how}: 4 KiB row minus one page, the first-batch extra and the hole's fixed cost`, all, all.length, Math.hypot(fit.interceptSe, fit.slopeSe), `${probe} populated: fixed part beyond a hole's punch`, fit.r2),
        fitted(names[1], fit.slope - ctx.value('host.free_page_ns'), `${how}: slope minus host.free_page_ns`, labels, fit.n, fit.slopeSe, `${probe} populated: ${fit.slope.toFixed(2)} ns/page minus the page free`, fit.r2),
        fitted(names[2], extra, `${how}: (intercept - (4 KiB row - slope)) / ${FOLIO_BATCH - 1}`, all, all.length, Math.hypot(fit.interceptSe, fit.slopeSe) / (FOLIO_BATCH - 1), `${probe} populated: what a page of the first folio batch costs more`, fit.r2),
      ];
    },
  };
}

/**
 * With one row beyond the first batch (the probe's --quick sizes), the first-batch extra keeps
 * its value (not fitted) and the 4 KiB row and that row give the fixed part and the slope.
 */
function twoRowPunch(ctx: FitContext, probe: string, prefix: 'shmem' | 'gmem', one: ProbeRow, long: ProbeRow, y: (r: ProbeRow) => number): FittedValue[] {
  const e = ctx.value(`${prefix}.truncate_page_first_batch_extra_ns`);
  const y1 = y(one);
  const p = pagesOf(long);
  const slope = (y(long) - y1 - (FOLIO_BATCH - 1) * e) / (p - 1);
  const labels = [rowLabel(one), rowLabel(long)];
  const how = `the 4 KiB row and one row beyond the first batch, ${prefix}.truncate_page_first_batch_extra_ns kept`;
  return [
    fitted(`${prefix}.punch_first_batch_ns`, y1 - slope - e - ctx.value(`${prefix}.punch_fixed_ns`), `${how}: 4 KiB row minus one page, the extra and the hole's fixed cost`, labels, 2, 0, `${probe} populated: fixed part beyond a hole's punch`),
    fitted(`${prefix}.truncate_page_ns`, slope - ctx.value('host.free_page_ns'), `${how}: slope minus host.free_page_ns`, labels, 2, 0, `${probe} populated: ${slope.toFixed(2)} ns/page minus the page free`),
  ];
}

function constantOf(name: string, probe: string, match: ParamMatch, minus: string[] = []): FitRule {
  return {
    sets: [name],
    fit(ctx) {
      const rows = selectRows(ctx.rec, probe, match);
      const c = fitConstant(rows.map((r) => rowMedian(r.samples_ns)));
      const less = minus.reduce((s, m) => s + ctx.value(m), 0);
      const how = minus.length ? `mean of row medians minus ${minus.join(' + ')}` : 'mean of row medians';
      return [fitted(name, c.value - less, how, rows.map(rowLabel), c.n, c.se, `${probe}: ${c.value.toFixed(0)} ns`)];
    },
  };
}

/** Per huge folio: slope of the line against 2 MiB folios, minus a kept part. */
function perHugeFolio(name: string, probe: string, match: ParamMatch, minus?: string): FitRule {
  return {
    sets: [name],
    fit(ctx) {
      const rows = selectRows(ctx.rec, probe, match).filter((r) => Number(r.params.size_bytes) % HUGE === 0);
      if (rows.length < 2) throw new Error(`${probe}: two or more rows of whole 2 MiB folios`);
      const { fit, labels } = lineOf(rows, (r) => Number(r.params.size_bytes) / HUGE);
      return [fitted(name, fit.slope - (minus ? ctx.value(minus) : 0), `least squares (relative) against 2 MiB folios: slope${minus ? ` minus ${minus}` : ''}`, labels, fit.n, fit.slopeSe, `${probe}: ${fit.slope.toFixed(0)} ns per 2 MiB folio`, fit.r2)];
    },
  };
}

const boundHole: FitRule = {
  sets: ['kvm.invalidate_begin_ns', 'kvm.invalidate_end_ns', 'kvm.shadow_zap_per_gfn_ns'],
  fit(ctx) {
    const { fit, labels } = lineOf(selectRows(ctx.rec, 'gmem.punch', { state: 'empty', bound: true, vcpu: undefined }, 2), pagesOf);
    const half = (fit.intercept - ctx.value('gmem.punch_fixed_ns')) / 2;
    const how = 'least squares (relative) of bound hole punches against pages';
    return [
      fitted('kvm.invalidate_begin_ns', half, `${how}: (intercept - gmem.punch_fixed_ns) / 2 (split evenly with invalidate_end, an assumption)`, labels, fit.n, fit.interceptSe / 2, 'guest_memfd hole punch, bound minus unbound', fit.r2),
      fitted('kvm.invalidate_end_ns', half, `${how}: as kvm.invalidate_begin_ns`, labels, fit.n, fit.interceptSe / 2, 'guest_memfd hole punch, bound minus unbound', fit.r2),
      fitted('kvm.shadow_zap_per_gfn_ns', fit.slope, `${how}: slope`, labels, fit.n, fit.slopeSe, 'guest_memfd hole punch, bound: the rmap walk per gfn', fit.r2),
    ];
  },
};

/** Guest-mapped against populated punches of the guest's file with the vCPU stopped: the leaf zaps and the flush request. */
const mappedPunch: FitRule = {
  sets: ['kvm.zap_leaf_ns', 'kvm.flush_request_ns'],
  fit(ctx) {
    const mappedRows = selectRows(ctx.rec, 'gmem.punch', { state: 'mapped', vcpu: 'stopped' }, 2);
    const plainRows = selectRows(ctx.rec, 'gmem.punch', { state: 'populated', vcpu: 'stopped' }, 2);
    const mapped = lineOf(mappedRows, pagesOf);
    const plain = lineOf(plainRows, pagesOf);
    const zap = mapped.fit.slope - plain.fit.slope;
    const m4 = medianAt(ctx.rec, 'gmem.punch', { state: 'mapped', vcpu: 'stopped', size_bytes: 4096 });
    const p4 = medianAt(ctx.rec, 'gmem.punch', { state: 'populated', vcpu: 'stopped', size_bytes: 4096 });
    const labels = [...mapped.labels, ...plain.labels];
    return [
      fitted('kvm.zap_leaf_ns', zap, 'slope of guest-mapped punches minus slope of populated ones of the same file (vCPU stopped), least squares (relative)', labels, labels.length, Math.hypot(mapped.fit.slopeSe, plain.fit.slopeSe), 'punch of a guest-mapped range minus a populated one, per page', Math.min(mapped.fit.r2, plain.fit.r2)),
      // the populated 4 KiB punch drains the folio its fallocate just added; the mapped ones (touched 2 MiB at a time) mostly find the batch empty
      fitted('kvm.flush_request_ns', m4.ns - (p4.ns - drainBefore(ctx, 1)) - Math.max(0, zap), '4 KiB guest-mapped punch minus populated (less its lru_add drain of one folio) minus one leaf zap (clamped at 0)', [m4.label, p4.label], 2, 0, 'guest-mapped 4 KiB punch, vCPU out of the guest'),
    ];
  },
};

const flushKick: FitRule = {
  sets: ['kvm.flush_kick_shadow_ns'],
  fit(ctx) {
    const run = medianAt(ctx.rec, 'gmem.punch', { state: 'mapped', vcpu: 'running', size_bytes: 4096 });
    const idle = medianAt(ctx.rec, 'gmem.punch', { state: 'mapped', vcpu: 'idle_after_touch', size_bytes: 4096 });
    return [fitted('kvm.flush_kick_shadow_ns', run.ns - idle.ns, '4 KiB punch of a range the running vCPU maps minus the same with the vCPU idle', [run.label, idle.label], 2, 0, 'kick of a vCPU in guest mode and wait for its exit')];
  },
};

const faultExit: FitRule = {
  sets: ['kvm.fault_exit_shadow_ns'],
  fit(ctx) {
    const rows = selectRows(ctx.rec, 'guest.first_touch', { state: 'empty' });
    const exit = ctx.value('kvm.vcpu_run_exit_ns');
    const perPage = fitConstant(rows.map((r) => (rowMedian(r.samples_ns) - exit) / pagesOf(r)));
    const parts = ['shmem.get_folio_hit_ns', 'host.alloc_page_ns', 'shmem.add_folio_4k_ns', 'restrictedmem.get_page_ns', 'kvm.mem_attr_lookup_ns', 'kvm.map_leaf_ns'];
    const modeled = parts.reduce((s, n) => s + ctx.value(n), 0);
    return [fitted('kvm.fault_exit_shadow_ns', perPage.value - modeled, `mean over rows of (one KVM_RUN first-touching the range - kvm.vcpu_run_exit_ns) / pages, minus the modeled miss (${parts.join(' + ')})`, rows.map(rowLabel), perPage.n, perPage.se, `first touch ${perPage.value.toFixed(0)} ns/page`)];
  },
};

/**
 * Two punchers at 4 KiB (sim/costs/README.md "Two punchers"), from the passes that took turns
 * (two-punchers-analysis.ts alternationShares): the hold that alternates against one thread's
 * punch less the syscall (host.fallocate_syscall_ns) gives what else runs outside the file's lock
 * (`afterUnlock`, sim/model/sys-fallocate.ts) when shorter, the contended refill when longer.
 */
function contendedRefill(backend: 'shmem' | 'guest_memfd', name: string, afterUnlock: string): FitRule {
  return {
    sets: [name, afterUnlock],
    fit(ctx) {
      const rows = selectRows(ctx.rec, 'two_punchers', { size_bytes: 4096 }).filter((r) => r.backend === backend);
      // Each two-thread pass against the one-thread run right before it (the probe runs one, then two, per pass).
      const pairs = rows.flatMap((two, i) => {
        const one = rows.slice(0, i).reverse().find((r) => r.params.threads === 1);
        return two.params.threads === 2 && one ? [{ one, two }] : [];
      });
      if (!pairs.length) throw new Error(`two_punchers ${backend} 4 KiB rows, one thread then two`);
      const gap = Number(pairs[0].two.params.gap_ns ?? GAP_NS_DEFAULT) || GAP_NS_DEFAULT;
      const handoff = ctx.value('lock.spin_poll_ns') + ctx.value('lock.cacheline_ns');
      const passes = pairs.map((p) => {
        const share = p.two.params.alternating_share;
        return { loneNs: rowMedian(p.one.samples_ns), pairedNs: rowMedian(p.two.samples_ns), ...(typeof share === 'number' ? { alternatingShare: share } : {}) };
      });
      const shares = alternationShares({ passes, gapNs: gap, handoffNs: handoff, syscallNs: ctx.value('host.fallocate_syscall_ns') });
      if (!shares) throw new Error(`two_punchers ${backend} 4 KiB: no two-thread pass took turns (alternating share ${TURN_TAKING_MIN_SHARE} or more, or without it a median ${TURN_TAKING_MIN_RATIO}x its one-thread run's)`);
      const se = shares.netNs.length > 1 ? fitConstant(shares.netNs).se : 0;
      const how = `median over the ${shares.turnTaking.length} of ${pairs.length} passes that took turns of (one-thread median - host.fallocate_syscall_ns - ((two-thread median + gap ${gap} ns) / 2 - (lock.spin_poll_ns + lock.cacheline_ns)))`;
      const source = `two punchers at 4 KiB, passes that took turns: ${shares.turnTaking.map((p) => `${p.loneNs.toFixed(0)} ns alone, ${p.pairedNs.toFixed(0)} ns each with two`).join('; ')}`;
      const labels = pairs.flatMap((p) => [rowLabel(p.one), rowLabel(p.two)]);
      return [
        fitted(name, shares.refillNs, `minus the ${how}, when positive`, labels, labels.length, se, source),
        fitted(afterUnlock, shares.afterUnlockNs, `the ${how}, when positive`, labels, labels.length, se, source),
      ];
    },
  };
}

/**
 * Runs of lock stealing in the two-thread rows (bench/kernel-probe/README.md): each starts when
 * the waiting writer stops spinning and sleeps, and shows as one punch that waited out the other
 * thread's run (until RWSEM_WAIT_TIMEOUT, one tick or more); the rest of the time the threads
 * took turns. Per pooled rows: those waits (half a tick or more) and the time outside them (half
 * the sum of both threads' latencies, each thread always being in a punch, less the waits).
 */
function stealingRuns(rows: ProbeRow[], tickNs: number): { runs: number; turnsNs: number } {
  let runs = 0;
  let turnsNs = 0;
  for (const r of rows) {
    const waits = r.samples_ns.filter((x) => x >= tickNs / 2);
    runs += waits.length;
    turnsNs += Math.max(0, r.samples_ns.reduce((s, x) => s + x, 0) / 2 - waits.reduce((s, x) => s + x, 0));
  }
  return { runs, turnsNs };
}

/**
 * lock.tick_resched_ppm (sim/engine/locks/tick-resched.ts): how often a tick on the waiting
 * writer's CPU ends its optimistic spin, on this host under its load at the time (a woken
 * kthread, or the owner's vCPU preempted by the host: rwsem_spin_on_owner's need_resched and
 * owner_on_cpu checks). Only rows of 2 MiB and more count: there a sleep always becomes a run
 * (the lock is free only in the releaser's syscall, host.fallocate_syscall_ns, out of a hold of
 * 100 us and more, so the woken waiter finds it taken until RWSEM_WAIT_TIMEOUT sets HANDOFF);
 * at 4 KiB the woken waiter takes it in that window within tens of us, so most sleeps never
 * show as a long wait there, and the model, given the window, does the same. Runs / ticks of
 * turn-taking, pooled: the maximum-likelihood chance of a Bernoulli draw per tick.
 */
const spinnerResched: FitRule = {
  sets: ['lock.tick_resched_ppm'],
  fit(ctx) {
    const tick = ctx.value('lock.tick_ns');
    if (!(tick > 0)) throw new Error('lock.tick_ns is 0: the profile has no scheduler tick for spinners to meet');
    const rows = selectRows(ctx.rec, 'two_punchers', { threads: 2 }).filter((r) => pagesOf(r) >= 512);
    const { runs, turnsNs } = stealingRuns(rows, tick);
    const ticks = turnsNs / tick;
    if (ticks < 1) throw new Error(`two_punchers two-thread rows of 2 MiB or more span ${ticks.toFixed(2)} ticks of turn-taking outside their long waits: too few to see a tick`);
    const q = Math.min(1, runs / ticks);
    return [fitted('lock.tick_resched_ppm', Math.round(q * 1e6), 'two-thread rows of 2 MiB or more, pooled: waits of half a tick or more / ticks of the time outside them', rows.map(rowLabel), rows.length, Math.round((Math.sqrt(Math.max(runs, 1)) / ticks) * 1e6), `two punchers of 2 MiB and more: ${runs} runs of stealing in ${ticks.toFixed(1)} ticks of turn-taking`)];
  },
};

/**
 * gmem.punch_after_guest_fault_ns (sim/model/guest-memfd.ts chargeAfterGuestFault): per pass of
 * the probe pair (16 KiB punches while the vCPU faults another range of the file, and with it
 * idle), the difference of the medians over the share of punches that followed a fault, which
 * the model charges once each: min(1, (mean faulting punch + the pause between punches) / the
 * vCPU's time per fault), 1 with the probe's 100 us pauses. The median over passes.
 */
const punchAfterGuestFault: FitRule = {
  sets: ['gmem.punch_after_guest_fault_ns'],
  fit(ctx) {
    const faulting = selectRows(ctx.rec, 'gmem.punch_while_faulting', { vcpu: 'faulting' });
    const idle = selectRows(ctx.rec, 'gmem.punch_while_faulting', { vcpu: 'idle' });
    const perPass: number[] = [];
    const labels: string[] = [];
    for (const f of faulting) {
      const i = idle.find((r) => r.params.pass === f.params.pass && r.params.round === f.params.round);
      const period = Number(f.params.fault_period_ns);
      if (!i || !(period > 0)) continue;
      const share = Math.min(1, (mean(f.samples_ns) + (Number(f.params.pause_ns) || 0)) / period);
      perPass.push((rowMedian(f.samples_ns) - rowMedian(i.samples_ns)) / share);
      labels.push(rowLabel(f), rowLabel(i));
    }
    if (!perPass.length) throw new Error('gmem.punch_while_faulting: no pass with both sides and the vCPU\'s time per fault');
    const c = fitConstant(perPass);
    return [fitted('gmem.punch_after_guest_fault_ns', median(perPass), 'median over passes of (median punch while the vCPU faults - with it idle) / min(1, (mean punch + pause) / time per fault), clamped at 0', labels, perPass.length, c.se, `16 KiB punches while a guest faults the file: per pass ${perPass.map((x) => x.toFixed(0)).join(', ')} ns per punch after a fault`)];
  },
};

/**
 * A pass where the threads took turns often enough (a tenth of the punches or more) for its
 * hand-overs to be lock passes; in a pass of long runs of stealing the few hand-overs follow
 * HANDOFF waits of milliseconds, which are not a cost per page.
 */
function turnTaking(handovers: number, continuations: number): boolean {
  return handovers > 0 && continuations > 0 && handovers >= 0.1 * (handovers + continuations);
}

/**
 * Per page of a hand-over (two-punchers-analysis.ts lockShares): the median over passes of
 * (median hand-over share - median continuation share) / pages, from rows that keep every punch
 * or from the probe's two_punchers.lock_share rows (the shares already split). Punches of half
 * a tick or more are left out (a sleeper's wait for a CPU: under load 11, 2026-12-04 19:23, one
 * 2 MiB shmem pass read 8.3 us a page with them).
 */
function handoverPerPage(backend: 'shmem' | 'guest_memfd', name: string): FitRule {
  return {
    sets: [name],
    fit(ctx) {
      const perPass: number[] = [];
      const labels: string[] = [];
      const big = (r: ProbeRow) => r.backend === backend && pagesOf(r) >= 16;
      for (const r of ctx.rec.rows.filter((x) => x.probe === 'two_punchers' && x.params.threads === 2 && x.punches && big(x))) {
        const s = lockShares(r.punches!.map((p) => ({ thread: p.thread, startNs: p.start_ns, endNs: p.end_ns })), ctx.value('lock.tick_ns') / 2 || Infinity);
        if (!turnTaking(s.handover.length, s.continuation.length)) continue;
        perPass.push((median(s.handover) - median(s.continuation)) / pagesOf(r));
        labels.push(rowLabel(r));
      }
      const shares = ctx.rec.rows.filter((x) => x.probe === 'two_punchers.lock_share' && big(x) && x.samples_ns.length > 0);
      for (const h of shares.filter((x) => x.params.after === 'handover')) {
        const c = shares.find((x) => x.params.after === 'continuation' && x.params.size_bytes === h.params.size_bytes && x.params.pass === h.params.pass);
        if (!c || !turnTaking(h.samples_ns.length, c.samples_ns.length)) continue;
        perPass.push((median(h.samples_ns) - median(c.samples_ns)) / pagesOf(h));
        labels.push(rowLabel(h), rowLabel(c));
      }
      if (!perPass.length) throw new Error(`two_punchers ${backend}: no two-thread pass of 64 KiB or more that took turns (a tenth of its punches or more hand-overs)`);
      const c = fitConstant(perPass);
      return [fitted(name, median(perPass), 'median over passes of (median hand-over share - median continuation share) / pages, clamped at 0', labels, perPass.length, c.se, `two punchers: per pass ${perPass.map((x) => x.toFixed(0)).join(', ')} ns/page`)];
    },
  };
}

/**
 * Punches of a one-thread pass longer than this many times its median are not list drains (a
 * drain of 2016 pages adds about one 2 MiB punch's time, bench/kernel-probe/README.md) but the
 * thread losing its CPU: under load, a few punches of milliseconds, which would otherwise weigh
 * on the mean more than all the drains together.
 */
const DRAIN_BOUND = 3;

/**
 * The per-CPU list drains: in a steady run of one thread's punches, what the punches above the
 * median add beyond it (up to DRAIN_BOUND x the median), per punch and page, is
 * host.pcp_bulk_free_page_ns (sim/model/pcp.ts: pages x the cost, once every few punches).
 */
const pcpBulkFree: FitRule = {
  sets: ['host.pcp_bulk_free_page_ns'],
  fit(ctx) {
    const rows = selectRows(ctx.rec, 'two_punchers', { threads: 1 }).filter((r) => pagesOf(r) >= 512 && r.samples_ns.length >= 20);
    if (!rows.length) throw new Error('two_punchers one-thread rows of 2 MiB or more with every punch kept');
    const per = rows.map((r) => {
      const m = median(r.samples_ns);
      const excess = r.samples_ns.reduce((sum, x) => sum + (x > m && x <= DRAIN_BOUND * m ? x - m : 0), 0);
      return excess / r.samples_ns.length / pagesOf(r);
    });
    const c = fitConstant(per);
    return [fitted('host.pcp_bulk_free_page_ns', c.value, `mean over one-thread passes of the excess over the median of the punches up to ${DRAIN_BOUND}x it, per punch and page`, rows.map(rowLabel), c.n, c.se, 'one thread punching consecutive 2 MiB ranges: the tail of the drains')];
  },
};

/**
 * A fallocate over folios already present (model: shmem_fallocate / kvm_gmem_allocate charge
 * *.fallocate_found_folio_ns per present folio, order 0 here): the slope against pages of rows
 * whose pages are all present and need nothing (shmem: uptodate; guest_memfd: any).
 */
function foundFolio(probe: string, state: string, name: string): FitRule {
  return {
    sets: [name],
    fit(ctx) {
      const { fit, labels } = lineOf(selectRows(ctx.rec, probe, { state }, 2), pagesOf);
      return [fitted(name, fit.slope, `least squares (relative) of the median against 4 KiB pages of ${state} rows: slope`, labels, fit.n, fit.slopeSe, `${probe} over ${state} pages: ${fit.slope.toFixed(2)} ns/page`, fit.r2)];
    },
  };
}

/**
 * shmem's second fallocate zeroes what the first left !uptodate (shmem_get_folio_gfp's clear:
 * path): per page, the 2 MiB allocated row minus the fixed cost, over 512 pages, minus the
 * found-folio cost. Only the 2 MiB rows: the 4 KiB and 64 KiB rows read 10-35 us per page on the
 * AMD EPYC host, varying threefold between recordings, a cost per call the model does not
 * charge and not understood yet; 64 MiB rows and up vary as much.
 */
const fallocClear: FitRule = {
  sets: ['shmem.falloc_clear_page_ns'],
  fit(ctx) {
    const rows = selectRows(ctx.rec, 'shmem.fallocate', { state: 'allocated', size_bytes: HUGE });
    const c = fitConstant(rows.map((r) => (rowMedian(r.samples_ns) - ctx.value('shmem.fallocate_fixed_ns')) / pagesOf(r)));
    const found = ctx.value('shmem.fallocate_found_folio_ns');
    return [fitted('shmem.falloc_clear_page_ns', c.value - found, '(2 MiB allocated row median - shmem.fallocate_fixed_ns) / 512 - shmem.fallocate_found_folio_ns', rows.map(rowLabel), c.n, c.se, `shmem fallocate over fallocated, unwritten pages: ${c.value.toFixed(1)} ns/page`)];
  },
};

/**
 * What a page of a cold range costs more (sim/model/cold-range.ts): the probe's spread rows
 * time calls at far-apart offsets of a file prepared whole (order 'spread') interleaved with
 * warm calls (order 'warm', each range prepared right before), so the host's load weighs on both
 * alike. Per page of a fallocate: (spread median - warm median) / pages at the largest size
 * (2 MiB), where the per-page part dwarfs any fixed difference (the spread rows show none at
 * 4 KiB); less, for a part of a page's cost, the cold costs of the other parts (`minus`).
 * Clamped at 0. Punches: coldRangePunch.
 */
function coldRangePerPage(probe: string, state: string, name: string, minus: { perPage?: string } = {}): FitRule {
  return {
    sets: [name],
    fit(ctx) {
      const spread = selectRows(ctx.rec, probe, { state, order: 'spread' });
      const size = Math.max(...spread.map((r) => Number(r.params.size_bytes)));
      const cold = spread.find((r) => Number(r.params.size_bytes) === size)!;
      const [warm] = selectRows(ctx.rec, probe, { state, order: 'warm', size_bytes: size });
      const pages = pagesOf(cold);
      const c = rowMedian(cold.samples_ns);
      const w = rowMedian(warm.samples_ns);
      const se = Math.hypot(medianSe(cold.samples_ns), medianSe(warm.samples_ns)) / pages;
      const perPage = minus.perPage ? ctx.value(minus.perPage) : 0;
      const how = `(median of the spread row - median of the warm row taken interleaved with it) / ${pages} pages${minus.perPage ? ` - ${minus.perPage}` : ''}`;
      return [fitted(name, (c - w) / pages - perPage, how, [rowLabel(cold), rowLabel(warm)], cold.samples_ns.length + warm.samples_ns.length, se, `${probe} over ${state} ranges at spread offsets: ${(c / pages).toFixed(1)} ns/page against ${(w / pages).toFixed(1)} warm`)];
    },
  };
}

/**
 * What an xarray leaf node's free costs (truncate.ts xa_nodes_emptied): the probe's pair of 4 KiB
 * punches at consecutive slots, taken interleaved (bench/kernel-probe/README.md): each page alone
 * in its node, so every punch empties and frees one (neighbours 'none'), against the same in a
 * file populated whole, whose nodes keep their other entries (neighbours 'populated'). Both warm
 * in the model's sense (cold-range.ts: each range adjoins the previous). Difference of medians
 * less the lru_add drain of the page the 'none' side populated right before (fit-lru.ts),
 * clamped at 0.
 */
function xaNodeFree(probe: string, name: string): FitRule {
  return {
    sets: [name],
    fit(ctx) {
      const pair = (neighbours: string) => selectRows(ctx.rec, probe, { state: 'populated', order: 'consecutive', neighbours, size_bytes: 4096 })[0];
      const alone = pair('none');
      const dense = pair('populated');
      const a = rowMedian(alone.samples_ns);
      const d = rowMedian(dense.samples_ns);
      const drain = drainBefore(ctx, 1);
      return [fitted(name, a - d - drain, 'median of 4 KiB punches of pages alone in their xarray node - median of 4 KiB punches in a file populated whole, taken interleaved at consecutive slots, less the lru_add drain of one folio', [rowLabel(alone), rowLabel(dense)], alone.samples_ns.length + dense.samples_ns.length, Math.hypot(medianSe(alone.samples_ns), medianSe(dense.samples_ns)), `${probe}: ${a.toFixed(0)} ns emptying a node against ${d.toFixed(0)} ns keeping it`)];
    },
  };
}

/**
 * The stride rows of one probe and size (bench/kernel-probe/calibrate-probe.c, stride_rows) in
 * blocks, one per run of the section: the adjoining row (forward, gap 0 pages) and the rows taken
 * interleaved with it, in the recording's order (a recording pooled from several probe runs
 * repeats the `round` numbers, so blocks are told apart by order, not by round).
 */
function strideBlocks(rec: ProbeRecording, probe: string, size: number): { adjoining: ProbeRow; others: ProbeRow[] }[] {
  const blocks: { adjoining: ProbeRow; others: ProbeRow[] }[] = [];
  for (const r of rec.rows) {
    if (r.probe !== probe || Number(r.params.size_bytes) !== size || r.samples_ns.length === 0) continue;
    if (r.params.order === 'forward' && r.params.gap_pages === 0) blocks.push({ adjoining: r, others: [] });
    else blocks.at(-1)?.others.push(r);
  }
  return blocks;
}

/** A stride row whose calls land in an xarray leaf node other than the previous call's (cold-range.ts): jumps, and forward gaps of a node or more. */
function leavesNode(r: ProbeRow): boolean {
  return r.params.order === 'jump' || (r.params.order === 'forward' && Number(r.params.gap_pages) >= XA_CHUNK_SIZE);
}

/**
 * What a punch of a cold range costs more (cold-range.ts), per call and per page, from the probe's
 * stride rows: in each run of the section (a round), per size, the median over its rows that
 * leave the previous call's xarray leaf node (jumps, forward gaps of 64 pages and more) of
 * (row median - the adjoining row's median), all taken interleaved call by call on files
 * populated whole; at 4 KiB that is d4 = fixed + 1 page, at 64 KiB d64 = fixed + 16 pages, so
 * page = (d64 - d4) / 15 and fixed = d4 - page (page clamped at 0 there). The value is the median
 * over rounds, with the rounds' values kept (fit.rounds): a round taken in one of the host's slow
 * or fast spells moves a difference of rows taken minutes apart by several hundred ns (the spread
 * rows against the consecutive ones read a cold 4 KiB guest_memfd punch at 722 and 151 ns in two
 * calibrations four minutes apart), rows taken call by call together do not.
 */
function coldRangePunch(probe: string, prefix: 'shmem' | 'gmem'): FitRule {
  const fixedName = `${prefix}.cold_range_punch_fixed_ns`;
  const pageName = `${prefix}.cold_range_punch_page_ns`;
  return {
    sets: [fixedName, pageName],
    fit(ctx) {
      const extra = (b: { adjoining: ProbeRow; others: ProbeRow[] }) => {
        const far = b.others.filter(leavesNode);
        if (!far.length) throw new MissingRows(`${probe} jump or forward gap_pages >= ${XA_CHUNK_SIZE} next to ${rowLabel(b.adjoining)}`);
        return median(far.map((r) => rowMedian(r.samples_ns) - rowMedian(b.adjoining.samples_ns)));
      };
      const [b4, b64] = [strideBlocks(ctx.rec, probe, 4096), strideBlocks(ctx.rec, probe, 65536)];
      const rounds = Math.min(b4.length, b64.length);
      if (rounds === 0) throw new MissingRows(`${probe}{size_bytes=4096 and 65536,order=forward,gap_pages=0} (found ${b4.length} and ${b64.length} rounds)`);
      const pages: number[] = [];
      const fixed: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const [d4, d64] = [extra(b4[i]), extra(b64[i])];
        const page = (d64 - d4) / 15;
        pages.push(round(page));
        fixed.push(round(d4 - Math.max(0, page)));
      }
      const used = [...b4.slice(0, rounds), ...b64.slice(0, rounds)].flatMap((b) => [b.adjoining, ...b.others.filter(leavesNode)]);
      const labels = [...new Set(used.map(rowLabel))];
      const [f, pg] = [fitRepetitions(fixed), fitRepetitions(pages)];
      const how = `median over ${rounds} rounds of the stride rows of: per size, the median over rows leaving the previous call's xarray leaf node (jumps, forward gaps of ${XA_CHUNK_SIZE}+ pages) of (row median - adjoining row median), taken interleaved; 4 KiB = fixed + 1 page, 64 KiB = fixed + 16 pages`;
      const what = `${probe}: per round fixed ${fixed.map((x) => x.toFixed(0)).join(', ')} ns, page ${pages.map((x) => x.toFixed(1)).join(', ')} ns`;
      return [
        fitted(fixedName, f.value, `${how}: the 4 KiB extra less one page`, labels, rounds, f.se, what, undefined, fixed),
        fitted(pageName, pg.value, `${how}: (64 KiB extra - 4 KiB extra) / 15`, labels, rounds, pg.se, what, undefined, pages),
      ];
    },
  };
}

/** In order: a rule may read values set by rules before it. */
export const FIT_RULES: FitRule[] = [
  constantOf('gmem.create_ns', 'gmem.create', {}),
  constantOf('gmem.release_ns', 'gmem.close', {}),
  constantOf('restrictedmem.release_ns', 'shmem.close', {}),
  constantOf('restrictedmem.file_create_ns', 'shmem.create', {}, ['restrictedmem.setattr_ns']),
  fallocateLine('shmem.fallocate', { state: 'empty' }, 'shmem.fallocate_fixed_ns', 'shmem.add_folio_4k_ns'),
  fallocateLine('gmem.fallocate', { state: 'empty' }, 'gmem.fallocate_fixed_ns', 'gmem.add_folio_4k_ns'),
  foundFolio('shmem.fallocate', 'written', 'shmem.fallocate_found_folio_ns'),
  foundFolio('gmem.fallocate', 'allocated', 'gmem.fallocate_found_folio_ns'),
  fallocClear,
  constantOf('shmem.punch_fixed_ns', 'shmem.punch', { state: 'empty' }),
  constantOf('gmem.punch_fixed_ns', 'gmem.punch', { state: 'empty', bound: false }),
  lruAddDrain,
  xaNodeFree('shmem.spread.punch', 'shmem.xa_node_free_ns'),
  xaNodeFree('gmem.spread.punch', 'gmem.xa_node_free_ns'),
  populatedPunch('shmem.punch', {}, 'shmem'),
  populatedPunch('gmem.punch', { bound: false }, 'gmem'),
  boundHole,
  perHugeFolio('shmem.alloc_huge_folio_ns', 'shmem.thp.fallocate', { state: 'empty' }),
  perHugeFolio('shmem.truncate_huge_folio_ns', 'shmem.thp.punch', { state: 'populated' }, 'host.free_huge_ns'),
  {
    sets: ['shmem.split_folio_ns'],
    fit(ctx) {
      const inside = medianAt(ctx.rec, 'shmem.thp.punch', { state: 'populated', size_bytes: 4096 });
      const plain = medianAt(ctx.rec, 'shmem.punch', { state: 'populated', size_bytes: 4096 });
      // the populated punch drains its one pending folio; inside a huge folio none is pending (a large folio moves the batch)
      return [fitted('shmem.split_folio_ns', inside.ns - (plain.ns - drainBefore(ctx, 1)) - ctx.value('mm.clear_page_4k_ns'), '4 KiB punch inside a huge folio minus a 4 KiB populated punch (less its lru_add drain of one folio) minus mm.clear_page_4k_ns', [inside.label, plain.label], 2, 0, 'punch of 4 KiB inside a 2 MiB shmem folio')];
    },
  },
  mappedPunch,
  flushKick,
  constantOf('kvm.vcpu_run_exit_ns', 'guest.exit', {}),
  faultExit,
  constantOf('host.fallocate_syscall_ns', 'fallocate.syscall', {}),
  spinnerResched,
  contendedRefill('shmem', 'shmem.inode_lock_contended_refill_ns', 'shmem.fallocate_after_unlock_ns'),
  contendedRefill('guest_memfd', 'gmem.invalidate_lock_contended_refill_ns', 'gmem.fallocate_after_unlock_ns'),
  handoverPerPage('shmem', 'shmem.inode_lock_handover_page_ns'),
  handoverPerPage('guest_memfd', 'gmem.invalidate_lock_handover_page_ns'),
  pcpBulkFree,
  punchAfterGuestFault,
  coldRangePunch('gmem.stride.punch', 'gmem'),
  coldRangePunch('shmem.stride.punch', 'shmem'),
  cacheColdPunchPage('gmem'),
  cacheColdPunchPage('shmem'),
  cacheFootprintBounds,
  coldRangePerPage('gmem.spread.fallocate', 'empty', 'gmem.cold_range_alloc_page_ns'),
  coldRangePerPage('gmem.spread.fallocate', 'allocated', 'gmem.cold_range_found_folio_ns'),
  coldRangePerPage('shmem.spread.fallocate', 'empty', 'shmem.cold_range_alloc_page_ns'),
  coldRangePerPage('shmem.spread.fallocate', 'written', 'shmem.cold_range_found_folio_ns'),
  coldRangePerPage('shmem.spread.fallocate', 'allocated', 'shmem.cold_range_clear_page_ns', { perPage: 'shmem.cold_range_found_folio_ns' }),
];
