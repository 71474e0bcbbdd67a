// Issue 4 item 5: fragmentation grows as VMs come and go. Tenants of mixed sizes (16-128 MiB)
// arrive, fallocate their restricted memory under shmem THP `always` (unmovable 2 MiB folios,
// 4 KiB unmovable folios when no free 2 MiB block is left), live a while and close their file,
// while the host's page cache (movable) reads steadily and is reclaimed in LRU order with a
// second chance for re-read folios. Measured per epoch of simulated time: the unusable free
// space index at order 9 (mm/vmstat.c) and the share of 2 MiB folio attempts that fell back
// because the allocator had no free 2 MiB block. Deterministic: one seed, no clock.
// The model has no compaction. Under THP `defrag=madvise` (the default) a shmem huge allocation
// without MADV_HUGEPAGE does not compact directly, so failing fast is what the kernel does;
// kcompactd's background compaction of the movable page cache is left out, so the index here is
// an upper bound. The restricted 4 KiB folios are unmovable: no compaction could move them.
// The page cache reads 5 GiB/s, so it turns memory over in ~100 ms: simulated time is compressed
// against a real host's hours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Process } from '../../sim/engine/index.js';
import {
  PageCacheLoad, memfd_restricted, page_cache_ra_unbounded, restrictedmem_fallocate, restrictedmem_fput,
  restrictedmem_setattr, type Gen, type RestrictedFile,
} from '../../sim/model/index.js';
import { loadWorkload } from '../../sim/workload/load.js';
import { runWorkload } from '../../sim/run/runner.js';
import { makeHost, MiB } from './helpers.js';

const HOST = 512 * MiB;
const CHUNK = 2 * MiB;
const STEP_NS = 100_000; // page-cache reads and samples every 100 us
const READ_PAGES = 128; // 512 KiB read per step: 5 GiB/s, the page cache turns over every ~100 ms
const EPOCH_STEPS = 200; // 20 ms
const EPOCHS = 8;
const SIZES = [16, 32, 64, 128].map((m) => m * MiB);

interface Tenant {
  file: RestrictedFile;
  leaveAt: number;
}

interface Epoch {
  unusable9: number;
  hugeAttempts: number;
  hugeFailed: number;
  /** At the epoch's end: pageblocks holding restricted 4 KiB folios (unmovable: no compaction can empty them). */
  pinnedBlocks: number;
  /** and the fewest pageblocks those folios would fit in. */
  minBlocks: number;
}

/** Pageblocks the live tenants' 4 KiB restricted folios sit in, and how few they would need. */
function pinned(files: RestrictedFile[]): { pinnedBlocks: number; minBlocks: number } {
  const blocks = new Set<number>();
  let pages = 0;
  for (const f of files) {
    f.memfd.pages.forEachInRange(0, f.memfd.i_size / 4096, (_i, pfn, order) => {
      if (order !== 0) return;
      blocks.add(pfn >> 9);
      pages++;
    });
  }
  return { pinnedBlocks: blocks.size, minBlocks: Math.ceil(pages / 512) };
}

export async function churn(opts: { pageCache: boolean; seed?: number }): Promise<Epoch[]> {
  const { sim, host } = await makeHost({ variant: 'v10+thp-always', memoryBytes: HOST, seed: opts.seed ?? 1 });
  const pc = new PageCacheLoad(host, sim.rng('host/page-cache'), {
    rereadFraction: 0.3,
    lowWatermarkPages: (4 * MiB) / 4096,
    highWatermarkPages: (8 * MiB) / 4096,
  });
  if (opts.pageCache) host.pageCache = pc;
  const draw = sim.rng('host/tenants');
  const huge = () => sim.stats.counter('thp.folio_orders', { order: 9 }).value;
  const failed = () => sim.stats.counter('thp.fallbacks', { reason: 'alloc_failed' }).value;
  const epochs: Epoch[] = [];
  sim.spawn('driver', function* (p: Process): Gen {
    const live: Tenant[] = [];
    let committed = 0; // tenant memory, kept below 75% of the host as an operator would
    for (let e = 0; e < EPOCHS; e++) {
      const h0 = huge();
      const f0 = failed();
      let idx = 0;
      for (let s = 0; s < EPOCH_STEPS; s++) {
        const now = sim.now;
        for (let i = live.length - 1; i >= 0; i--) {
          if (live[i]!.leaveAt > now) continue;
          committed -= live[i]!.file.memfd.i_size;
          yield* restrictedmem_fput(p, live[i]!.file);
          live.splice(i, 1);
        }
        // A tenant arrives every 1 ms on average, if it fits.
        if (draw.below(10) === 0) {
          const size = SIZES[draw.below(SIZES.length)]!;
          if (committed + size <= HOST * 0.75) {
            const file = yield* memfd_restricted(p, host, 0);
            yield* restrictedmem_setattr(p, file, size);
            // shmem_fallocate reclaims the page cache directly when a chunk would not fit.
            for (let off = 0; off < size; off += CHUNK) yield* restrictedmem_fallocate(p, file, 0, off, CHUNK);
            committed += size;
            live.push({ file, leaveAt: now + 2_000_000 + draw.below(18) * 1_000_000 }); // 2-20 ms
          }
        }
        if (opts.pageCache) yield* page_cache_ra_unbounded(p, pc, READ_PAGES);
        idx += host.mem.unusableIndex(9);
        const wait = now + STEP_NS - sim.now;
        if (wait > 0) yield p.sleep(wait);
      }
      const hugeAttempts = huge() - h0 + (failed() - f0);
      epochs.push({ unusable9: idx / EPOCH_STEPS, hugeAttempts, hugeFailed: failed() - f0, ...pinned(live.map((t) => t.file)) });
    }
    for (const t of live) yield* restrictedmem_fput(p, t.file);
  });
  sim.run();
  return epochs;
}

const fmt = (es: Epoch[]) =>
  es.map((e, i) => `epoch ${i}: unusable(9) ${e.unusable9.toFixed(3)}, THP failed ${e.hugeFailed}/${e.hugeAttempts}, 4 KiB restricted folios in ${e.pinnedBlocks} pageblocks (fit in ${e.minBlocks})`).join('\n');

const failShare = (xs: Epoch[]) => xs.reduce((a, e) => a + e.hugeFailed, 0) / Math.max(1, xs.reduce((a, e) => a + e.hugeAttempts, 0));
const meanIdx = (xs: Epoch[]) => xs.reduce((a, e) => a + e.unusable9, 0) / xs.length;

for (const seed of [1, 2]) {
  test(`fragmentation grows as tenants of mixed sizes come and go beside a movable page cache (seed ${seed})`, async () => {
    const es = await churn({ pageCache: true, seed });
    const msg = `\n${fmt(es)}`;
    const first = es.slice(0, 1);
    const late = es.slice(-3);
    // Over simulated time the order-9 unusable index and the 2 MiB failures rise from ~0.
    assert.ok(first[0]!.unusable9 < 0.05 && failShare(first) === 0, `memory starts unfragmented${msg}`);
    assert.ok(meanIdx(late) > 0.25, `order-9 unusable index in the last 60 ms: ${meanIdx(late).toFixed(3)}${msg}`);
    assert.ok(failShare(late) > 0.1, `share of 2 MiB folio attempts failing in the last 60 ms: ${failShare(late).toFixed(3)}${msg}`);
    // The 4 KiB fallbacks land wherever order-0 memory is free: scattered over more pageblocks
    // than they fill, each of them now unmovable for good (what compaction could not undo).
    const pinnedSum = es.reduce((a, e) => a + e.pinnedBlocks, 0);
    const minSum = es.reduce((a, e) => a + e.minBlocks, 0);
    assert.ok(minSum > 0 && pinnedSum > 1.5 * minSum, `4 KiB restricted folios in ${pinnedSum} pageblock-epochs, fit in ${minSum}${msg}`);
  });
}

test('without movable memory on the host, tenant churn alone does not fragment (why the index stayed ~0)', async () => {
  // Tenants allocate and free whole 2 MiB chunks only: every teardown gives back whole buddies.
  const es = await churn({ pageCache: false });
  const msg = `\n${fmt(es)}`;
  assert.ok(es.every((e) => e.unusable9 < 0.05), `order-9 unusable index stays low${msg}`);
  assert.equal(failShare(es), 0, `no 2 MiB attempt fails${msg}`);
});

// The built-in workload users read (workloads/multi-vm-host.yaml): tenants of two sizes and the
// host's page cache, memory starting clean. Its order-9 unusable index rises from ~0 over the run
// and 2 MiB folios start failing.
test('workload multi-vm-host: the order-9 unusable index rises over simulated time and 2 MiB folios fail', async () => {
  const out = await runWorkload({ workload: loadWorkload('multi-vm-host') });
  const m = out.metrics.metrics as Record<string, { series?: Array<[number, number]>; value?: number }>;
  const series = m['host.unusable_free_index{order=9}']?.series ?? [];
  const mean = (from: number, to: number) => {
    const xs = series.filter(([t]) => t >= from && t < to).map(([, v]) => v);
    assert.ok(xs.length > 0, `no samples in [${from}, ${to})`);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const early = mean(0, 40e6);
  const late = mean(140e6, 200e6);
  const failed = m['thp.fallbacks{reason=alloc_failed}']?.value ?? 0;
  assert.ok(early < 0.05 && late > 0.4, `unusable index (order 9): first 40 ms ${early.toFixed(3)}, last 60 ms ${late.toFixed(3)}`);
  assert.ok(failed > 0, `thp.fallbacks{reason=alloc_failed} = ${failed}`);
});
