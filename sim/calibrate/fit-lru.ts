// The fit of the lru_add batch drain (sim/model/lru-add.ts) from the probe's lru rows
// (bench/kernel-probe/calibrate-probe.c, lru_rows): per backend and size, two rows taken
// interleaved, the same calls in both, a populated slot punched with its folios still pending in
// the CPU's lru_add batch (`order` pending: (other_pages + pages) mod host.lru_add_batch of them)
// or after a punch of another file drained it (`drained`). pending - drained is one drain:
// host.lru_add_drain_ns + folios x host.lru_add_folio_ns. The rows the other rules read that
// populate a range right before punching it carry one drain each (drainBefore).
import { linearRegression, linearRegressionLine, median, rSquared } from 'simple-statistics';
import { rowMedian } from './least-squares.js';
import { MissingRows, pagesOf, rowLabel, selectRows } from './probe-rows.js';
import type { FitContext, FitRule, FittedValue } from './fit-rules.js';
import type { ProbeRecording } from './types.js';

const PROBES = ['gmem.lru_batch.punch', 'shmem.lru_batch.punch'];

/** Folios pending in the batch when a punch follows the population of `pages` pages (the batch empty before). */
export function pendingAfter(pages: number, batch: number): number {
  return pages % Math.max(1, batch);
}

/**
 * What a row's timed punch spent moving `folios` pending folios to the LRU (lru_add_drain), as
 * fitted so far: 0 for none, and 0 while the lru costs are not fitted (a recording without lru
 * rows keeps the drain in the populated-punch costs, as before them).
 */
export function drainBefore(ctx: FitContext, folios: number): number {
  return folios > 0 ? ctx.value('host.lru_add_drain_ns') + folios * ctx.value('host.lru_add_folio_ns') : 0;
}

/** Per size and backend: the folios pending in the `pending` row and pending - drained (ns). */
export function lruDifferences(rec: ProbeRecording, batch: number): { folios: number; ns: number; labels: string[] }[] {
  const out: { folios: number; ns: number; labels: string[] }[] = [];
  for (const probe of PROBES) {
    let pending;
    try {
      pending = selectRows(rec, probe, { order: 'pending' });
    } catch (e) {
      if (e instanceof MissingRows) continue;
      throw e;
    }
    const drained = selectRows(rec, probe, { order: 'drained' });
    for (const p of pending) {
      const d = drained.find((r) => r.params.size_bytes === p.params.size_bytes && r.backend === p.backend);
      if (!d) continue;
      const folios = pendingAfter(pagesOf(p) + Number(p.params.other_pages ?? 0), batch);
      out.push({ folios, ns: rowMedian(p.samples_ns) - rowMedian(d.samples_ns), labels: [rowLabel(p), rowLabel(d)] });
    }
  }
  return out;
}

/**
 * host.lru_add_drain_ns and host.lru_add_folio_ns: least squares (absolute) of pending - drained
 * against the folios pending, over both backends' sizes (the same mm/swap.c code on the same
 * CPU's batch): the intercept and the slope, each clamped at 0. Needs two distinct counts.
 */
export const lruAddDrain: FitRule = {
  sets: ['host.lru_add_drain_ns', 'host.lru_add_folio_ns'],
  fit(ctx: FitContext): FittedValue[] {
    const batch = ctx.value('host.lru_add_batch');
    const diffs = lruDifferences(ctx.rec, batch);
    if (new Set(diffs.map((d) => d.folios)).size < 2) throw new MissingRows(`${PROBES.join(' or ')}{order=pending and drained} at 2+ counts of pending folios (found ${diffs.length} pairs)`);
    const pts: [number, number][] = diffs.map((d) => [d.folios, d.ns]);
    const line = linearRegression(pts);
    const r2 = rSquared(pts, linearRegressionLine(line));
    const labels = diffs.flatMap((d) => d.labels);
    const per = diffs.map((d) => `${d.folios}: ${d.ns.toFixed(0)}`).join(', ');
    const how = `lru rows: least squares of (pending - drained row medians) against the folios pending ((other_pages + pages) mod host.lru_add_batch ${batch}), both backends`;
    const fit = (what: string) => ({ status: 'fitted' as const, method: `${how}: ${what}, clamped at 0`, rows: labels, n: diffs.length, se: 0, r2: Math.round(r2 * 1e6) / 1e6 });
    const source = `pending - drained by folios pending: ${per} ns (median over pairs ${median(diffs.map((d) => d.ns)).toFixed(0)})`;
    return [
      { name: 'host.lru_add_drain_ns', value: Math.max(0, Math.round(line.b * 100) / 100), fit: fit('intercept'), source },
      { name: 'host.lru_add_folio_ns', value: Math.max(0, Math.round(line.m * 100) / 100), fit: fit('slope'), source },
    ];
  },
};
