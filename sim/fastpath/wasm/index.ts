// The WASM fast paths as a FastPaths: one instance (one memory) per host, holding the host's
// allocator and folio table and all its page caches and page tables; batched entry points
// run whole bursts inside WASM.
import {
  MIGRATE_UNMOVABLE, THP_ALWAYS, THP_NEVER, THP_WITHIN_SIZE,
  type FastPaths, type FaultBatchStats, type PageCache, type PageTable, type ShmemArgs,
  type ShmemBatchStats, type ThpPolicy,
} from '../api.js';
import { checkHostPages } from '../buddy-rules.js';
import { checkLevel, MAX_KEY } from '../radix-rules.js';
import { UsageError } from '../../errors.js';
import { instantiate, release, type RmsimExports } from './module.js';
import { WasmHostMemory, WasmPageCache, WasmPageTable } from './structures.js';
import { OutViews } from './views.js';
import { WasmFaultBatch } from './fault-batch.js';
import { BUCKET_COUNT, type RngStream } from '../../engine/index.js';

/** The engine's RngStream keeps its state private; a WASM burst advances it and writes it back. */
function restoreStream(rng: RngStream, st: Uint32Array): void {
  const f = rng as unknown as { s0: number; s1: number; s2: number; s3: number };
  f.s0 = st[0]! | 0; f.s1 = st[1]! | 0; f.s2 = st[2]! | 0; f.s3 = st[3]! | 0;
}

export { WasmHostMemory, WasmPageCache, WasmPageTable };

export function policyCode(p: ThpPolicy): number {
  switch (p) {
    case 'never': case 'advise': return THP_NEVER;
    case 'always': return THP_ALWAYS;
    case 'within_size': return THP_WITHIN_SIZE;
    default: throw new UsageError(`unknown THP policy '${String(p)}' (never, always, within_size, advise)`);
  }
}

function checkRange(start: number, end: number, what: string): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > MAX_KEY) {
    throw new UsageError(`${what} range [${start}, ${end}) must lie within [0, 2^32)`);
  }
}

export interface WasmFastPaths extends FastPaths {
  /** The raw instance, for benchmarks. */
  readonly exports: RmsimExports;
}

export function createWasmFastPaths(hostPages: number): WasmFastPaths {
  checkHostPages(hostPages);
  const x = instantiate(hostPages);
  const out = new OutViews(x);
  const host = new WasmHostMemory(x, hostPages);
  const caches: WasmPageCache[] = [];
  /** Scratch for bursts: rng state, costs, histogram counts (allocated on first use). */
  let burstArea = -1;
  const tables: WasmPageTable[] = [];
  const handleOf = (c: PageCache | PageTable, kind: typeof WasmPageCache | typeof WasmPageTable): number => {
    if (!(c instanceof kind)) throw new UsageError('fast paths: structure from another implementation');
    return c.handle;
  };
  const shmemStats = (): ShmemBatchStats => {
    const u = out.u32;
    return { hits: u[0]!, alloc4k: u[1]!, allocHuge: u[2]!, fallbackOccupied: u[3]!, fallbackNoMem: u[4]!, enomem: u[5]! };
  };
  const fp: WasmFastPaths = {
    impl: 'wasm',
    exports: x,
    host,
    newPageCache() {
      const h = x.pc_new();
      if (h < 0) throw new Error('fast paths: out of page-cache/page-table handles (16384)');
      const c = new WasmPageCache(x, out, h);
      caches.push(c);
      return c;
    },
    newPageTable() {
      const h = x.pt_new();
      if (h < 0) throw new Error('fast paths: out of page-cache/page-table handles (16384)');
      const t = new WasmPageTable(x, out, h);
      tables.push(t);
      return t;
    },
    shmemGetFolio(cache, index, args, out) {
      const pfn = x.shmem_get_folio(handleOf(cache, WasmPageCache), index, policyCode(args.policy), args.iSizePages, args.migratetype ?? MIGRATE_UNMOVABLE);
      const info = x.get_folio_info();
      const order = (info & 0xff) - 1;
      const hit = (info & 0x100) !== 0;
      const fallback = info >>> 9;
      if (!out) return { pfn, order, hit, fallback };
      out.pfn = pfn;
      out.order = order;
      out.hit = hit;
      out.fallback = fallback;
      return out;
    },
    shmemGetFolioWrite(cache, index, args, out) {
      if (!(cache instanceof WasmPageCache)) throw new UsageError('fast paths: structure from another implementation');
      const r = x.shmem_get_folio_write(cache.handle, index, policyCode(args.policy), args.iSizePages, args.migratetype ?? MIGRATE_UNMOVABLE);
      // ToUint32 takes the low 32 bits (pfn + 1); the word above is get_folio_info's.
      const lo = r >>> 0;
      const info = (r - lo) / 4294967296;
      out.pfn = lo - 1;
      out.order = (info & 0xff) - 1;
      out.hit = (info & 0x100) !== 0;
      out.fallback = info >>> 9;
      return out;
    },
    mapAndPut(pt, gfn, pfn, level, folio) {
      // The class named here rather than through handleOf: an instanceof against a constant is
      // one map check where handleOf's, against its argument, is a prototype walk (per fault).
      if (!(pt instanceof WasmPageTable)) throw new UsageError('fast paths: structure from another implementation');
      checkLevel(gfn, pfn, level);
      return x.pt_map_put(pt.handle, gfn, pfn, level, folio) !== 0;
    },
    shmemGetFolioRange(cache, start, end, args: ShmemArgs) {
      checkRange(start, end, 'shmem_get_folio');
      x.shmem_get_folio_range(handleOf(cache, WasmPageCache), start, end, policyCode(args.policy), args.iSizePages, args.migratetype ?? MIGRATE_UNMOVABLE);
      return shmemStats();
    },
    faultRange(pt, cache, gfnStart, indexStart, count, args) {
      checkRange(gfnStart, gfnStart + count, 'fault gfn');
      checkRange(indexStart, indexStart + count, 'fault index');
      x.fault_range(handleOf(pt, WasmPageTable), handleOf(cache, WasmPageCache), gfnStart, indexStart, count,
        policyCode(args.policy), args.iSizePages, args.migratetype ?? MIGRATE_UNMOVABLE, args.maxLevel);
      const u = out.u32;
      const s: FaultBatchStats = { ...shmemStats(), alreadyMapped: u[6]!, faults: u[7]!, mapped: [u[8]!, u[9]!, u[10]!] };
      return s;
    },
    punchRange(cache, start, end) {
      checkRange(start, end, 'punch');
      x.pc_punch(handleOf(cache, WasmPageCache), start, end);
      const f = out.f64;
      return { foliosFreed: f[0]!, pagesFreed: f[1]!, foliosStillReferenced: f[2]!, splits: f[3]!, splitFailures: f[4]! };
    },
    faultBurst(pt, cache, gfnStart, indexStart, count, args, rng, hist) {
      checkRange(gfnStart, gfnStart + count, 'fault gfn');
      checkRange(indexStart, indexStart + count, 'fault index');
      if (burstArea < 0) burstArea = x.scratch_alloc(16 + 32 + 8 * BUCKET_COUNT);
      const mem = x.memory.buffer;
      new Uint32Array(mem, burstArea, 4).set(rng.state());
      new Float64Array(mem, burstArea + 16, 4).set([args.costs.hitNs, args.costs.alloc4kNs, args.costs.allocHugeNs, args.costs.mapNs]);
      new Float64Array(mem, burstArea + 48, BUCKET_COUNT).fill(0);
      x.fault_burst(handleOf(pt, WasmPageTable), handleOf(cache, WasmPageCache), gfnStart, indexStart, count,
        policyCode(args.policy), args.iSizePages, args.migratetype ?? MIGRATE_UNMOVABLE, args.maxLevel,
        args.nowNs, args.horizonNs, burstArea, args.thinkMeanNs, burstArea + 16, burstArea + 48);
      const after = x.memory.buffer;
      restoreStream(rng, new Uint32Array(after, burstArea, 4));
      const h = new Float64Array(after, burstArea + 48, BUCKET_COUNT);
      for (let b = 0; b < BUCKET_COUNT; b++) if (h[b]! > 0) hist.set(b, (hist.get(b) ?? 0) + h[b]!);
      const u = out.u32;
      const f = out.f64;
      return {
        faults: u[0]!, alreadyMapped: u[1]!, hits: u[2]!, alloc4k: u[3]!, allocHuge: u[4]!, enomem: u[5]!,
        mapped: [u[6]!, u[7]!, u[8]!], stoppedAtHorizon: u[9]! !== 0, nextStartNs: f[5]!, resumeGfn: f[6]!,
      };
    },
    newFaultBatch: (nv) => new WasmFaultBatch(x, nv),
    resetAll() {
      burstArea = -1;
      // Handles are renumbered from 0 after reset_all: re-create them in the same order.
      x.reset_all();
      for (const c of caches) { const h = x.pc_new(); (c as { handle: number }).handle = h; }
      for (const t of tables) { const h = x.pt_new(); (t as { handle: number }).handle = h; }
    },
    bytesInUse: () => x.memory_in_use(),
    dispose: () => release(x),
  };
  return fp;
}
