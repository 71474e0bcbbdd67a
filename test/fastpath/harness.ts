// Model-based testing harness: each fast-check command runs the same operation on the Map
// reference (the model) and on the implementation under test and requires equal results
// (or both throwing); each run ends by comparing the whole final state.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createFastPaths, type FastPaths, type PageCache, type PageTable } from '../../sim/fastpath/index.js';

/** Sequences per structure and implementation: 2,000 by default, 10,000 with RMSIM_LONG. */
export const RUNS = process.env.RMSIM_LONG ? 10_000 : 2_000;
export const MAX_COMMANDS = 40;

export const IMPLS = ['wasm', 'ts'] as const;
export type Impl = (typeof IMPLS)[number];

export interface World {
  ref: FastPaths;
  sut: FastPaths;
  refCache: PageCache;
  sutCache: PageCache;
  refPt: PageTable;
  sutPt: PageTable;
  /** Allocated blocks known to the test (pfn, order), for free/get/put/split. */
  allocated: Array<{ pfn: number; order: number }>;
  /** gfns and indices touched, for the final-state comparison. */
  touched: Set<number>;
}

/** One implementation instance per test file, reset between runs (instances are capped). */
export async function makeWorldFactory(impl: Impl, hostPages: number): Promise<() => World> {
  const sut = await createFastPaths({ hostPages, impl });
  const sutCache = sut.newPageCache();
  const sutPt = sut.newPageTable();
  return () => {
    sut.resetAll();
    const ref = createFastPathsRefSync(hostPages);
    return { ref, sut, refCache: ref.newPageCache(), sutCache, refPt: ref.newPageTable(), sutPt, allocated: [], touched: new Set() };
  };
}

import { createRefFastPaths } from '../../sim/fastpath/reference/index.js';
function createFastPathsRefSync(hostPages: number): FastPaths {
  return createRefFastPaths(hostPages);
}

/** Run f on both sides: equal results, or both throw. */
export function same<T>(label: string, a: () => T, b: () => T): T | undefined {
  let ra: T | undefined; let rb: T | undefined; let ea: unknown; let eb: unknown;
  try { ra = a(); } catch (e) { ea = e; }
  try { rb = b(); } catch (e) { eb = e; }
  assert.equal(eb !== undefined, ea !== undefined, `${label}: reference ${ea ? 'threw ' + String(ea) : 'returned'}, implementation ${eb ? 'threw ' + String(eb) : 'returned'}`);
  if (ea === undefined) assert.deepEqual(rb, ra, label);
  return ra;
}

/** A fast-check command from a label and a body over the world. */
export function command(label: string, body: (w: World) => void): fc.Command<World, World> {
  return {
    check: () => true,
    run: (w: World) => body(w),
    toString: () => label,
  };
}

export function hostState(fp: FastPaths): unknown {
  const h = fp.host;
  const folios: number[] = [];
  for (let pfn = 0; pfn < h.totalPages; pfn++) {
    const o = h.folioOrder(pfn);
    if (o >= 0) folios.push(pfn, o, h.folioRefcount(pfn), h.folioFlags(pfn));
  }
  const pageblocks: number[] = [];
  for (let pfn = 0; pfn < h.totalPages; pfn += 512) pageblocks.push(h.pageblockMigratetype(pfn));
  return {
    folios, pageblocks, free: h.freePagesCount(),
    unmovable: h.freeBlocksPerOrder(0), movable: h.freeBlocksPerOrder(1),
    unusable: [0, 3, 9, 10].map((o) => h.unusableIndex(o)),
  };
}

export function cacheState(c: PageCache): unknown {
  const entries: number[] = [];
  c.forEachInRange(0, 2 ** 32, (i, p, o) => entries.push(i, p, o));
  return { entries, nrPages: c.nrPages };
}

export function tableState(t: PageTable, gfns: Iterable<number>): unknown {
  const walks: number[] = [];
  for (const g of [...gfns].sort((a, b) => a - b)) walks.push(g, t.walk(g), t.walkLevel(g));
  const tc = (t as unknown as { tableCount(): number }).tableCount();
  return { counts: t.mappingsPerLevel(), walks, tables: tc };
}

export function runModel(cmds: fc.Arbitrary<Iterable<fc.Command<World, World>>>, make: () => World,
  finalCheck: (w: World) => void): void {
  fc.assert(
    fc.property(cmds, (cs) => {
      const w = make();
      fc.modelRun(() => ({ model: w, real: w }), cs);
      finalCheck(w);
    }),
    { numRuns: RUNS },
  );
}
