// A vCPU's run of first-touch faults as one burst (DESIGN.md principle 6): the faults of
// shmem.ts faultRange, each costing a per-path constant taken from the cost profile, its
// latency recorded with the engine's histogram bucketing, and the think time before the next
// fault drawn from the actor's own RNG stream with the engine's exponential draw
// (wasm/shared, bit-identical to sim/engine). Stops before a fault that would start at or
// after the horizon (the next pending engine event: ties go to the engine) or at the end of
// the run; the caller's actor then sleeps until OUT.nextStart. Twin: sim/fastpath/burst-ops.ts.
import { OUT } from './mem';
import { eptMap, eptWalk } from './ept';
import { getFolio, gfOrder, gfHit, mapFolioLeaf } from './shmem';
import { rngExponential } from './shared/rng';
import { histogramRecord } from './shared/histogram';

/** costs: f64[4] = ns of a page-cache hit, a 4 KiB allocation, a huge allocation, the map. */
export function faultBurst(pt: u32, pc: u32, gfnStart: u64, indexStart: u64, count: u64,
  policy: u32, iSize: u64, mt: u32, maxLevel: u32, now: f64, horizon: f64,
  rng: usize, thinkMean: f64, costs: usize, hist: usize): void {
  let faults: u32 = 0; let already: u32 = 0; let hits: u32 = 0; let a4k: u32 = 0; let aHuge: u32 = 0;
  let enomem: u32 = 0; let m1: u32 = 0; let m2: u32 = 0; let m3: u32 = 0;
  let byHorizon: u32 = 0;
  let t = now;
  const gfnEnd = gfnStart + count;
  let gfn = gfnStart;
  while (gfn < gfnEnd) {
    if (eptWalk(pt, <u32>gfn) >= 0) { already++; gfn++; continue; }
    if (t >= horizon) { byHorizon = 1; break; }
    const index = indexStart + (gfn - gfnStart);
    const pfn = getFolio(pc, <u32>index, policy, iSize, mt);
    if (pfn < 0) { enomem++; break; }
    faults++;
    let lat = load<f64>(costs, 24);
    if (gfHit) { hits++; lat += load<f64>(costs, 0); }
    else if (gfOrder == 0) { a4k++; lat += load<f64>(costs, 8); }
    else { aHuge++; lat += load<f64>(costs, 16); }
    const level = mapFolioLeaf(pt, gfn, index, pfn, <u32>gfOrder, maxLevel);
    if (level == 1) m1++; else if (level == 2) m2++; else m3++;
    const span = <u64>1 << <u64>(9 * (level - 1));
    gfn = (gfn & ~(span - 1)) + span;
    histogramRecord(hist, lat);
    t += lat;
    if (thinkMean > 0) t += rngExponential(rng, thinkMean);
  }
  store<u32>(OUT, faults); store<u32>(OUT + 4, already); store<u32>(OUT + 8, hits);
  store<u32>(OUT + 12, a4k); store<u32>(OUT + 16, aHuge); store<u32>(OUT + 20, enomem);
  store<u32>(OUT + 24, m1); store<u32>(OUT + 28, m2); store<u32>(OUT + 32, m3);
  store<u32>(OUT + 36, byHorizon);
  store<f64>(OUT + 40, t);
  store<f64>(OUT + 48, <f64>gfn);
}
