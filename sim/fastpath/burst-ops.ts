// The fault burst of wasm/burst.ts written over the interfaces and the engine's own RNG and
// bucketing: what the WASM burst is held to (test/fastpath/burst.test.ts), and the burst for
// the 'ts' and 'ref' implementations. See wasm/burst.ts for the semantics.
// Why a twin: the WASM burst's only check is that it does exactly this.
import type { BurstArgs, BurstResult, HostMemory, PageCache, PageTable } from './api.js';
import { shmemGetFolio } from './shmem-ops.js';
import { RngStream, bucketIndex, drawExponential, roundNs } from '../engine/index.js';

/** A burst over the interfaces; latencies go to hist (bucket index -> count). */
export function faultBurstOps(host: HostMemory, pt: PageTable, cache: PageCache, gfnStart: number, indexStart: number,
  count: number, a: BurstArgs, rng: RngStream, hist: Map<number, number>): BurstResult {
  const r: BurstResult = { faults: 0, alreadyMapped: 0, hits: 0, alloc4k: 0, allocHuge: 0, enomem: 0, mapped: [0, 0, 0], stoppedAtHorizon: false, nextStartNs: a.nowNs, resumeGfn: gfnStart };
  let t = a.nowNs;
  let gfn = gfnStart;
  const end = gfnStart + count;
  while (gfn < end) {
    if (pt.walk(gfn) >= 0) { r.alreadyMapped++; gfn++; continue; }
    if (t >= a.horizonNs) { r.stoppedAtHorizon = true; break; }
    const index = indexStart + (gfn - gfnStart);
    const f = shmemGetFolio(host, cache, index, a);
    if (f.pfn < 0) { r.enomem++; break; }
    r.faults++;
    let lat = a.costs.mapNs;
    if (f.hit) { r.hits++; lat += a.costs.hitNs; } else if (f.order === 0) { r.alloc4k++; lat += a.costs.alloc4kNs; } else { r.allocHuge++; lat += a.costs.allocHugeNs; }
    let level = 1;
    if (f.order === 18 && a.maxLevel >= 3 && (gfn - index) % 2 ** 18 === 0) level = 3;
    else if (f.order >= 9 && a.maxLevel >= 2 && (gfn - index) % 512 === 0) level = 2;
    const span = 2 ** (9 * (level - 1));
    const headIndex = index - (index % 2 ** f.order);
    const gfnHead = gfn - (gfn % span);
    pt.map(gfnHead, f.pfn + (index - headIndex) - (index % span), level);
    r.mapped[level - 1]!++;
    gfn = gfnHead + span;
    const b = bucketIndex(lat);
    hist.set(b, (hist.get(b) ?? 0) + 1);
    t += lat;
    if (a.thinkMeanNs > 0) t += roundNs(drawExponential(rng, a.thinkMeanNs));
  }
  r.nextStartNs = t;
  r.resumeGfn = gfn;
  return r;
}
