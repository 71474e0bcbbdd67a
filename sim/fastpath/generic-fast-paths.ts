// FastPaths over any HostMemory/PageCache/PageTable trio, with the batched entry points done
// op by op in TypeScript (shmem-ops.ts). Serves the Map reference and the typed-array version.
import type { FastPaths, HostMemory, PageCache, PageTable } from './api.js';
import { faultRange, punchRange, shmemGetFolio, shmemGetFolioRange } from './shmem-ops.js';
import { faultBurstOps } from './burst-ops.js';

export interface StructureFactories {
  impl: 'ts' | 'ref';
  host: HostMemory;
  newPageCache(): PageCache;
  newPageTable(): PageTable;
  bytesInUse(caches: readonly PageCache[], tables: readonly PageTable[]): number;
}

export function genericFastPaths(f: StructureFactories): FastPaths {
  const caches: PageCache[] = [];
  const tables: PageTable[] = [];
  return {
    impl: f.impl,
    host: f.host,
    newPageCache: () => { const c = f.newPageCache(); caches.push(c); return c; },
    newPageTable: () => { const t = f.newPageTable(); tables.push(t); return t; },
    shmemGetFolio: (cache, index, args, out) => {
      const r = shmemGetFolio(f.host, cache, index, args);
      return out ? Object.assign(out, r) : r;
    },
    shmemGetFolioWrite: (cache, index, args, out) => {
      const r = Object.assign(out, shmemGetFolio(f.host, cache, index, args));
      if (r.pfn >= 0 && !r.hit) f.host.folioGet(r.pfn);
      return r;
    },
    mapAndPut: (pt, gfn, pfn, level, folio) => {
      pt.map(gfn, pfn, level);
      if (f.host.folioRefcount(folio) <= 1) return false;
      f.host.folioPut(folio);
      return true;
    },
    shmemGetFolioRange: (cache, start, end, args) => shmemGetFolioRange(f.host, cache, start, end, args),
    faultRange: (pt, cache, gfnStart, indexStart, count, args) => faultRange(f.host, pt, cache, gfnStart, indexStart, count, args),
    punchRange: (cache, start, end) => punchRange(f.host, cache, start, end),
    faultBurst: (pt, cache, gfnStart, indexStart, count, args, rng, hist) => faultBurstOps(f.host, pt, cache, gfnStart, indexStart, count, args, rng, hist),
    resetAll: () => { f.host.reset(); for (const c of caches) c.reset(); for (const t of tables) t.reset(); },
    bytesInUse: () => f.bytesInUse(caches, tables),
    dispose: () => {},
  };
}
