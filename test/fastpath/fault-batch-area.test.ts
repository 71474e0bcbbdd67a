// A fault batch's area holds back runs of equal histogram values (wasm/fault-batch.ts record):
// they belong to the area that recorded them, and reach its histograms before anyone reads them,
// even when another area of the same instance runs in between or the instance is reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFastPaths, FB, FB_HIST, type FastPaths, type FaultBatchArea } from '../../sim/fastpath/index.js';

const PAGES = 4096;

/** A one-vCPU area whose vCPU first-touches `faults` pages from time 0 (every charge fixed: every latency the same). */
function area(fp: FastPaths, faults: number): FaultBatchArea {
  const a = fp.newFaultBatch!(1);
  a.setPageTable(0, fp.newPageTable());
  a.setPolicy('never');
  const h = a.header();
  h[FB.ISIZE] = PAGES;
  h[FB.MAX_LEVEL] = 1;
  h[FB.EXIT_NS] = 700; h[FB.ATTR_NS] = 20; h[FB.BASE_NS] = 150; h[FB.ALLOC_NS] = 300; h[FB.END_NS] = 40;
  h[FB.MAP_NS] = 90; h[FB.GRANT_NS] = 60; h[FB.WRITE] = 1;
  a.join(0, 0, 0, faults - 1, 0, 0, fp.newPageCache(), 0, 1, 0, 0);
  return a;
}

/** Run a's waits up to `limit` ns (its own keys: nothing else is pending). */
function runTo(a: FaultBatchArea, limit: number): void {
  for (;;) {
    const h = a.header();
    h[FB.LIMIT_T] = limit;
    h[FB.HORIZON_T] = Infinity;
    h[FB.HORIZON_K] = Infinity;
    a.run();
    if (a.header()[FB.STATUS] !== FB.ENDED && a.header()[FB.STATUS] !== FB.GAUGE_FULL) return;
  }
}

/** Faults in a's latency histogram (the held run flushed by the read) against the faults it counted. */
function latencies(a: FaultBatchArea): { recorded: number; faults: number } {
  const c = a.histogram(FB_HIST.LATENCY);
  let recorded = 0;
  for (let i = 0; i < FB.BUCKETS; i++) recorded += c[i]!;
  return { recorded, faults: a.header()[FB.FAULTS]! };
}

test('fault batch area: held latencies reach their own area when another area runs in between', async () => {
  const fp = await createFastPaths({ hostPages: PAGES, impl: 'wasm' });
  try {
    const x = area(fp, 200);
    const y = area(fp, 300);
    runTo(x, 100_000);
    const mid = x.header()[FB.FAULTS]!;
    assert.ok(mid > 0 && mid < 200, `x stops midway (${mid} faults)`);
    runTo(y, Infinity);
    runTo(x, Infinity);
    assert.deepEqual(latencies(x), { recorded: 200, faults: 200 });
    assert.deepEqual(latencies(y), { recorded: 300, faults: 300 });
  } finally {
    fp.dispose();
  }
});

test('fault batch area: a reset drops the held latencies of the areas it frees', async () => {
  const fp = await createFastPaths({ hostPages: PAGES, impl: 'wasm' });
  try {
    runTo(area(fp, 200), 100_000);
    fp.resetAll();
    const z = area(fp, 50);
    runTo(z, Infinity);
    assert.deepEqual(latencies(z), { recorded: 50, faults: 50 });
  } finally {
    fp.dispose();
  }
});
