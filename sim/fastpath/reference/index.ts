// The Map reference as a FastPaths: what the property tests hold the others to.
import type { FastPaths } from '../api.js';
import { genericFastPaths } from '../generic-fast-paths.js';
import { RefHostMemory } from './host-memory.js';
import { RefPageCache } from './page-cache.js';
import { RefPageTable } from './page-table.js';

export { RefHostMemory, RefPageCache, RefPageTable };

export function createRefFastPaths(hostPages: number): FastPaths {
  return genericFastPaths({
    impl: 'ref',
    host: new RefHostMemory(hostPages),
    newPageCache: () => new RefPageCache(),
    newPageTable: () => new RefPageTable(),
    // Not meaningful for Maps (tens of bytes per entry); reported as NaN, never compared.
    bytesInUse: () => Number.NaN,
  });
}
