// Buddy allocator and folio table: the WASM and typed-array versions against the Map reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FOLIO_UPTODATE, FOLIO_MAPPED, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE } from '../../sim/fastpath/index.js';
import { IMPLS, MAX_COMMANDS, command, hostState, makeWorldFactory, runModel, same, type World } from './harness.js';

const HOST_PAGES = 2048; // 8 MiB: 4 pageblocks, 2 MAX_ORDER blocks: steals and exhaustion happen often

const order = fc.oneof(fc.constantFrom(0, 0, 0, 1, 2, 3, 9), fc.integer({ min: 0, max: 11 }));
const mt = fc.constantFrom(MIGRATE_UNMOVABLE, MIGRATE_MOVABLE);

const hostCommands = [
  fc.tuple(order, mt).map(([o, m]) => command(`alloc(${o},${m})`, (w: World) => {
    const p = same(`alloc(${o},${m})`, () => w.ref.host.allocPages(o, m), () => w.sut.host.allocPages(o, m))!;
    if (p >= 0) w.allocated.push({ pfn: p, order: o });
  })),
  // Bursts drive the host to exhaustion and back, where fallback and stealing decide.
  fc.tuple(fc.integer({ min: 1, max: 400 }), fc.constantFrom(0, 0, 1, 3, 4, 5), mt).map(([n, o, m]) => command(`allocBurst(${n},${o},${m})`, (w: World) => {
    for (let i = 0; i < n; i++) {
      const p = same(`alloc(${o},${m})`, () => w.ref.host.allocPages(o, m), () => w.sut.host.allocPages(o, m))!;
      if (p >= 0) w.allocated.push({ pfn: p, order: o });
    }
  })),
  fc.tuple(fc.integer({ min: 1, max: 300 }), fc.nat()).map(([n, k]) => command(`freeBurst(${n},#${k})`, (w: World) => {
    for (let i = 0; i < n && w.allocated.length > 0; i++) {
      const [b] = w.allocated.splice((k + i * 7919) % w.allocated.length, 1);
      same(`free(${b!.pfn},${b!.order})`, () => w.ref.host.freePages(b!.pfn, b!.order), () => w.sut.host.freePages(b!.pfn, b!.order));
    }
  })),
  fc.nat().map((k) => command(`free(#${k})`, (w: World) => {
    if (w.allocated.length === 0) return;
    const [b] = w.allocated.splice(k % w.allocated.length, 1);
    same(`free(${b!.pfn},${b!.order})`, () => w.ref.host.freePages(b!.pfn, b!.order), () => w.sut.host.freePages(b!.pfn, b!.order));
  })),
  fc.tuple(fc.nat(), fc.constantFrom('get', 'put', 'set', 'clear', 'split')).map(([k, op]) => command(`${op}(#${k})`, (w: World) => {
    if (w.allocated.length === 0) return;
    const i = k % w.allocated.length;
    const b = w.allocated[i]!;
    const run = (fp: typeof w.ref) => {
      const h = fp.host;
      switch (op) {
        case 'get': return h.folioGet(b.pfn);
        case 'put': return h.folioPut(b.pfn);
        case 'set': h.folioSetFlags(b.pfn, FOLIO_UPTODATE | FOLIO_MAPPED); return h.folioFlags(b.pfn);
        case 'clear': h.folioClearFlags(b.pfn, FOLIO_MAPPED); return h.folioFlags(b.pfn);
        default: h.folioSplit(b.pfn); return h.folioOrder(b.pfn);
      }
    };
    same(`${op}(${b.pfn})`, () => run(w.ref), () => run(w.sut));
    if (op === 'split') {
      w.allocated.splice(i, 1);
      for (let j = 0; j < 2 ** b.order; j++) w.allocated.push({ pfn: b.pfn + j, order: 0 });
    }
  })),
  // free_contig_range over a run of order-0 pages (split folios), ascending: the WASM version frees
  // by aligned blocks and must end as page-by-page frees do; one page too many (not an allocated
  // order-0 page) must throw on both, having freed nothing.
  fc.tuple(fc.nat(), fc.nat()).map(([k, len]) => command(`freeContigRange(#${k},${len})`, (w: World) => {
    const pages = new Set(w.allocated.filter((b) => b.order === 0).map((b) => b.pfn));
    if (pages.size === 0) return;
    const sorted = [...pages].sort((a, b) => a - b);
    const start = sorted[k % sorted.length]!;
    let end = start;
    while (pages.has(end)) end++;
    const nr = len % 5 === 0 && end < HOST_PAGES ? end - start + 1 : 1 + (len % (end - start));
    const ok = same(`freeContigRange(${start},${nr})`, () => { w.ref.host.freeContigRange(start, nr); return true; }, () => { w.sut.host.freeContigRange(start, nr); return true; });
    if (ok) w.allocated = w.allocated.filter((b) => b.order !== 0 || b.pfn < start || b.pfn >= start + nr);
  })),
  // Misuse must fail the same way: freeing at the wrong order, touching a free pfn.
  fc.integer({ min: 0, max: HOST_PAGES - 1 }).map((pfn) => command(`misuse(${pfn})`, (w: World) => {
    if (w.allocated.some((b) => pfn >= b.pfn && pfn < b.pfn + 2 ** b.order)) return;
    same(`freeUnallocated(${pfn})`, () => w.ref.host.freePages(pfn, 0), () => w.sut.host.freePages(pfn, 0));
    same(`orderOfFree(${pfn})`, () => w.ref.host.folioOrder(pfn), () => w.sut.host.folioOrder(pfn));
  })),
];

for (const impl of IMPLS) {
  test(`buddy allocator and folio table: ${impl} equals the Map reference`, async () => {
    const make = await makeWorldFactory(impl, HOST_PAGES);
    runModel(fc.commands(hostCommands, { maxCommands: 3 * MAX_COMMANDS }), make, (w) => {
      assert.deepEqual(hostState(w.sut), hostState(w.ref));
    });
  });
}

test('buddy: unmovable allocations steal movable pageblocks and fragment order-9 supply', async () => {
  const make = await makeWorldFactory('wasm', HOST_PAGES);
  const w = make();
  const h = w.sut.host;
  assert.equal(h.pageblockMigratetype(0), MIGRATE_MOVABLE);
  const first = h.allocPages(0, MIGRATE_UNMOVABLE);
  // __rmqueue_fallback takes the largest movable block and claims its pageblock.
  assert.equal(h.pageblockMigratetype(first), MIGRATE_UNMOVABLE);
  // One 4 KiB page per pageblock makes every 2 MiB block unusable for THP.
  const pins: number[] = [];
  for (let i = 0; i < HOST_PAGES / 512 * 4; i++) {
    const p = h.allocPages(0, i % 2 ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE);
    if (p >= 0) pins.push(p);
  }
  const before = h.unusableIndex(9);
  assert.ok(before < 1);
  let huge = 0;
  while (h.allocPages(9, MIGRATE_UNMOVABLE) >= 0) huge++;
  assert.ok(huge < HOST_PAGES / 512, `only ${huge} of ${HOST_PAGES / 512} huge blocks remain`);
  assert.equal(h.unusableIndex(9), h.freePagesCount() === 0 ? 1 : h.unusableIndex(9));
  assert.ok(h.freeBlocksPerOrder()[9] === 0 && h.freeBlocksPerOrder()[10] === 0);
});

test('buddy: free_contig_range across two pageblocks of different migratetypes ends on the list of the last page freed, as page-by-page frees do', async () => {
  for (const impl of IMPLS) {
    const make = await makeWorldFactory(impl, HOST_PAGES);
    const w = make();
    for (const fp of [w.ref, w.sut]) {
      const h = fp.host;
      for (let i = 0; i < 4; i++) assert.equal(h.allocPages(9, MIGRATE_MOVABLE), 512 * i);
      // The free order-9 block at 0 is the only one: an unmovable page claims its pageblock.
      h.freePages(0, 9);
      for (let i = 0; i < 512; i++) assert.equal(h.allocPages(0, MIGRATE_UNMOVABLE), i);
      h.folioSplit(512);
      assert.deepEqual([h.pageblockMigratetype(0), h.pageblockMigratetype(512)], [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE]);
      h.freeContigRange(0, 1024);
      assert.deepEqual([h.freeBlocksPerOrder(MIGRATE_UNMOVABLE)[10], h.freeBlocksPerOrder(MIGRATE_MOVABLE)[10]], [0, 1], impl);
    }
    assert.deepEqual(hostState(w.sut), hostState(w.ref), impl);
    // One page too many (pfn 1024 is not an order-0 page): nothing is freed.
    assert.throws(() => w.sut.host.freeContigRange(1536, 513));
    assert.deepEqual(hostState(w.sut), hostState(w.ref), impl);
  }
});
