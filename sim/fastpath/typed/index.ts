// The typed-array fast paths as a FastPaths: the WASM algorithms in plain TypeScript over
// typed arrays (the benchmark's middle column); batched entry points run op by op in TS.
import type { FastPaths } from '../api.js';
import { genericFastPaths } from '../generic-fast-paths.js';
import { ChunkPool } from './chunk-pool.js';
import { TypedHostMemory } from './host-memory.js';
import { TypedPageCache } from './page-cache.js';
import { TypedPageTable } from './page-table.js';

export { TypedHostMemory, TypedPageCache, TypedPageTable, ChunkPool };

export function createTsFastPaths(hostPages: number): FastPaths {
  const host = new TypedHostMemory(hostPages);
  const pool = new ChunkPool();
  const fp = genericFastPaths({
    impl: 'ts',
    host,
    newPageCache: () => new TypedPageCache(pool),
    newPageTable: () => new TypedPageTable(pool),
    bytesInUse: () => host.bytes() + pool.bytes(),
  });
  return fp;
}
