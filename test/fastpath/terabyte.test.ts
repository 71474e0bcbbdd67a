// A 1 TiB host fully populated at 4 KiB by one VM through one file fits under 8 GiB of WASM
// memory (issue 3's memory target), measured, not estimated. Long: ~40 s and 3.3 GiB of RAM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFastPaths } from '../../sim/fastpath/index.js';

test('1 TiB host, every page faulted in at 4 KiB: under 8 GiB of WASM memory', { skip: !process.env.RMSIM_LONG }, async () => {
  const pages = 2 ** 28;
  const fp = await createFastPaths({ hostPages: pages, impl: 'wasm' });
  const cache = fp.newPageCache();
  const ept = fp.newPageTable();
  const s = fp.faultRange(ept, cache, 0, 0, pages, { policy: 'never', iSizePages: pages, maxLevel: 2 });
  assert.deepEqual([s.faults, s.mapped, s.enomem], [pages, [pages, 0, 0], 0]);
  assert.equal(fp.host.freePagesCount(), 0);
  assert.equal(ept.walk(pages - 1), fp.shmemGetFolio(cache, pages - 1, { policy: 'never', iSizePages: pages }).pfn);
  const bytes = (fp as unknown as { exports: { memory: WebAssembly.Memory } }).exports.memory.buffer.byteLength;
  assert.ok(bytes < 8 * 2 ** 30, `${bytes} bytes`);
  assert.ok(bytes / pages <= 16, `${bytes / pages} bytes per page`);
  fp.dispose();
});
