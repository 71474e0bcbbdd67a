// Entry point of the fast paths: pick an implementation behind the api.ts interfaces.
//   const fp = await createFastPaths({ hostPages: 1 << 20, impl: 'wasm' });
//   const cache = fp.newPageCache(); const ept = fp.newPageTable();
//   fp.faultRange(ept, cache, 0, 0, 4096, { policy: 'always', iSizePages: 1 << 20, maxLevel: 2 });
// 'wasm' is what the model uses; 'ts' (typed arrays, same algorithm) and 'ref' (Maps) exist
// for the benchmark and the property tests.
import type { FastPaths } from './api.js';
import { createRefFastPaths } from './reference/index.js';
import { createWasmFastPaths } from './wasm/index.js';
import { createTsFastPaths } from './typed/index.js';

export * from './api.js';
export { shmemGetFolio, shmemIsHuge } from './shmem-ops.js';

export type FastPathImpl = 'wasm' | 'ts' | 'ref';

export interface FastPathOptions {
  /** Host memory in 4 KiB pages: a multiple of 1024, at most 2^28 (1 TiB). */
  hostPages: number;
  impl?: FastPathImpl;
}

export async function createFastPaths(opts: FastPathOptions): Promise<FastPaths> {
  const impl = opts.impl ?? 'wasm';
  if (impl === 'ref') return createRefFastPaths(opts.hostPages);
  if (impl === 'wasm') return createWasmFastPaths(opts.hostPages);
  if (impl === 'ts') return createTsFastPaths(opts.hostPages);
  throw new Error(`fast-path implementation '${impl}' is not built yet`);
}
