// The fit of the cache-footprint costs (sim/model/cache-footprint.ts) from the probe's footprint
// rows (bench/kernel-probe/calibrate-probe.c, footprint_rows): per backend, size and footprint F,
// two rows taken interleaved, `order` before (F MiB of other file pages populated before the
// punched slots were) and after (populated between the slots' population and their punch),
// the same work in both. (after - before) / pages is what one page's metadata falling out of
// the caches adds at that footprint. The filler is the target file's own range past the slots
// (`filler` same_file, as a sequence populates one file) when the recording has such rows; older
// recordings' rows fill a shmem file of its own (no `filler` key, or shmem_file), which on the
// AMD EPYC host evicts a guest_memfd range's metadata about twice as much as the file's own
// pages do (bench/kernel-probe/README.md, "What the footprint rows show").
import { median } from 'simple-statistics';
import { rowMedian } from './least-squares.js';
import { MissingRows, pagesOf, rowLabel, selectRows, type ParamMatch } from './probe-rows.js';
import type { FitContext, FitRule, FittedValue } from './fit-rules.js';
import type { FittedCost } from '../costs/schema.js';
import type { ProbeRecording, ProbeRow } from './types.js';

const PAGE_BYTES = 4096;
/** A footprint is warm while its extra is at most this share of the largest footprint's, cold from COLD_SHARE. */
const WARM_SHARE = 0.15;
const COLD_SHARE = 0.85;

interface Footprints {
  /** Footprint in 4 KiB pages -> the median over sizes of (after - before) / pages, ascending. */
  perPage: Map<number, number>;
  labels: string[];
  /** Where the rows' filler was populated: same_file, or shmem_file (a file of its own). */
  filler: string;
}

/** The rows of one order, with the filler in the same file when there are such rows, else those without a `filler` key (recordings before it). */
function footprintRows(rec: ProbeRecording, probe: string, match: ParamMatch, order: string): ProbeRow[] {
  try {
    return selectRows(rec, probe, { ...match, order, filler: 'same_file' });
  } catch (e) {
    if (!(e instanceof MissingRows)) throw e;
    return selectRows(rec, probe, { ...match, order, filler: undefined });
  }
}

/** The footprint rows of one backend's unbound punches, reduced per footprint. */
export function footprintExtras(rec: ProbeRecording, prefix: 'gmem' | 'shmem'): Footprints {
  const probe = `${prefix}.footprint.punch`;
  const match = prefix === 'gmem' ? { bound: false } : { thp: 'never' };
  const after = footprintRows(rec, probe, match, 'after');
  const before = footprintRows(rec, probe, match, 'before');
  const bySize = new Map<number, number[]>();
  const labels: string[] = [];
  const filler = after[0]?.params.filler ?? 'shmem_file';
  for (const a of after) {
    const b = before.find((r) => r.params.size_bytes === a.params.size_bytes && r.params.footprint_bytes === a.params.footprint_bytes);
    if (!b) continue;
    const f = Number(a.params.footprint_bytes) / PAGE_BYTES;
    const list = bySize.get(f) ?? [];
    list.push((rowMedian(a.samples_ns) - rowMedian(b.samples_ns)) / pagesOf(a));
    bySize.set(f, list);
    labels.push(rowLabel(a), rowLabel(b));
  }
  if (bySize.size < 2) throw new MissingRows(`${probe}{order=before and after} at 2+ footprints (found ${bySize.size})`);
  const perPage = new Map([...bySize.entries()].sort((x, y) => x[0] - y[0]).map(([f, xs]) => [f, median(xs)]));
  return { perPage, labels, filler: String(filler) };
}

function fit(method: string, rows: string[], n: number, rounds?: number[]): FittedCost {
  return { status: 'fitted', method, rows, n, se: 0, ...(rounds ? { rounds } : {}) };
}

/** `*.cache_cold_punch_page_ns`: the per-page extra at the largest footprint measured. */
export function cacheColdPunchPage(prefix: 'gmem' | 'shmem'): FitRule {
  const name = `${prefix}.cache_cold_punch_page_ns`;
  return {
    sets: [name],
    fit(ctx: FitContext): FittedValue[] {
      const { perPage, labels, filler } = footprintExtras(ctx.rec, prefix);
      const [fMax, page] = [...perPage.entries()].at(-1)!;
      const all = [...perPage.entries()].map(([f, x]) => `${(f * PAGE_BYTES) / 2 ** 20} MiB: ${x.toFixed(1)}`).join(', ');
      return [
        {
          name,
          value: Math.max(0, Math.round(page * 100) / 100),
          fit: fit(`footprint rows: median over sizes (4 KiB, 64 KiB, 2 MiB) of (after - before) / pages at the largest footprint (${(fMax * PAGE_BYTES) / 2 ** 20} MiB)`, labels, labels.length / 2),
          source: `${prefix}.footprint.punch (filler ${filler}): ns/page by footprint ${all}`,
        },
      ];
    },
  };
}

/**
 * host.cache_footprint_warm_pages and host.cache_footprint_cold_pages: the footprints between
 * which the extra rises, from each footprint's share of the largest's (the median over the
 * backends measured): warm is the largest footprint below which every share is at most 15% (0
 * when even the smallest is above), cold the smallest from which every share is at least 85%.
 */
export const cacheFootprintBounds: FitRule = {
  sets: ['host.cache_footprint_warm_pages', 'host.cache_footprint_cold_pages'],
  fit(ctx: FitContext): FittedValue[] {
    const backends = (['gmem', 'shmem'] as const).flatMap((b) => {
      try {
        return [footprintExtras(ctx.rec, b)];
      } catch (e) {
        if (e instanceof MissingRows) return [];
        throw e;
      }
    });
    if (!backends.length) throw new MissingRows('gmem.footprint.punch or shmem.footprint.punch{order=before and after} at 2+ footprints');
    const fs = [...backends[0].perPage.keys()].filter((f) => backends.every((b) => b.perPage.has(f)));
    const share = fs.map((f) => median(backends.map((b) => b.perPage.get(f)! / Math.max(1e-9, [...b.perPage.values()].at(-1)!))));
    let warm = 0;
    for (let i = 0; i < fs.length && share[i] <= WARM_SHARE; i++) warm = fs[i];
    let cold = fs[fs.length - 1];
    for (let i = fs.length - 1; i >= 0 && share[i] >= COLD_SHARE; i--) cold = fs[i];
    const labels = backends.flatMap((b) => b.labels);
    const shares = fs.map((f, i) => `${(f * PAGE_BYTES) / 2 ** 20} MiB ${share[i].toFixed(2)}`).join(', ');
    const how = 'footprint rows: each footprint\'s per-page extra as a share of the largest footprint\'s (median over backends)';
    return [
      { name: 'host.cache_footprint_warm_pages', value: warm, fit: fit(`${how}: the largest footprint with it and every smaller one at most ${WARM_SHARE}`, labels, fs.length), source: `shares ${shares}` },
      { name: 'host.cache_footprint_cold_pages', value: cold, fit: fit(`${how}: the smallest footprint with it and every larger one at least ${COLD_SHARE}`, labels, fs.length), source: `shares ${shares}` },
    ];
  },
};
