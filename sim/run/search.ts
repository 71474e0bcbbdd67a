// `--search vms.count=1..256 --slo ...`: the capacity knee by bisection instead of a grid.
// It assumes what a capacity question assumes: once a value fails the SLO (or saturates), every
// larger value fails too. It probes both ends, then halves the bracket [last meeting, first
// failing] until the two are adjacent: about log2(hi - lo) + 2 probes per variant instead of
// hi - lo + 1. Variants are searched side by side; each round's probes run together on the pool.
import { UsageError } from '../errors.js';
import { parsePath, PathError } from '../workload/set-path.js';

export interface SearchRange {
  path: string;
  lo: number;
  hi: number;
  /** Unit suffix written after each value (e.g. MiB), '' for plain integers. */
  unit: string;
}

/** Parse `path=lo..hi`: whole numbers, optionally in one unit written on both ends (64MiB..4096MiB). */
export function parseSearch(text: string): SearchRange {
  const m = /^([^=]+)=\s*([0-9]+)([A-Za-zµ/]*)\s*\.\.\s*([0-9]+)([A-Za-zµ/]*)\s*$/.exec(text);
  if (!m) throw new UsageError(`--search ${text}: expected path=lo..hi with whole numbers (e.g. vms.count=1..256)`);
  const path = m[1].trim();
  try {
    parsePath(path);
  } catch (err) {
    if (err instanceof PathError) throw new UsageError(`--search ${text}: ${err.message}`);
    throw err;
  }
  if (m[3] !== m[5]) throw new UsageError(`--search ${text}: expected both ends in the same unit, found ${JSON.stringify(m[3])} and ${JSON.stringify(m[5])}`);
  const lo = Number(m[2]);
  const hi = Number(m[4]);
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi <= lo) throw new UsageError(`--search ${text}: expected lo < hi, found ${lo}..${hi}`);
  return { path, lo, hi, unit: m[3] };
}

/** The text of a probed value as --set takes it. */
export function searchRaw(range: SearchRange, value: number): string {
  return `${value}${range.unit}`;
}

/** Decides, for a batch of (searcher, value) probes, whether each meets the SLO. */
export type ProbeBatch = (probes: ReadonlyArray<{ searcher: number; value: number }>) => Promise<boolean[]>;

/**
 * Bisect `searchers` independent monotone predicates over [lo, hi] together, one batch of
 * probes per round. Returns, per searcher, the values it probed in ascending order.
 */
export async function bisectKnees(range: SearchRange, searchers: number, probe: ProbeBatch): Promise<number[][]> {
  const probed: Array<Set<number>> = Array.from({ length: searchers }, () => new Set<number>());
  const all = Array.from({ length: searchers }, (_, s) => s);
  const ends = await probe(all.flatMap((s) => [{ searcher: s, value: range.lo }, { searcher: s, value: range.hi }]));
  // Bracket: good meets (or null: even lo fails), bad fails (or null: even hi meets).
  const bracket = all.map((s) => {
    probed[s].add(range.lo).add(range.hi);
    const loMeets = ends[2 * s];
    const hiMeets = ends[2 * s + 1];
    return { good: loMeets ? range.lo : null, bad: hiMeets ? null : range.hi } as { good: number | null; bad: number | null };
  });
  for (;;) {
    const open = all.filter((s) => {
      const b = bracket[s];
      return b.good !== null && b.bad !== null && b.bad - b.good > 1;
    });
    if (open.length === 0) break;
    const batch = open.map((s) => ({ searcher: s, value: Math.floor((bracket[s].good! + bracket[s].bad!) / 2) }));
    const verdicts = await probe(batch);
    batch.forEach((p, k) => {
      probed[p.searcher].add(p.value);
      if (verdicts[k]) bracket[p.searcher].good = p.value;
      else bracket[p.searcher].bad = p.value;
    });
  }
  return probed.map((set) => [...set].sort((a, b) => a - b));
}
