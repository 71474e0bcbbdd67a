// shmem_get_folio and the batched entry points over the structures of this memory: the same
// algorithms as sim/fastpath/shmem-ops.ts (see there for the kernel functions and what they
// leave out), so one call across the JS/WASM boundary does a whole burst.
// Twin of sim/fastpath/shmem-ops.ts, held to it by test/fastpath/shmem.test.ts.
import { OUT } from './mem';
import { allocPages, folioSetFlags } from './buddy';
import { pcLookupKeep, pcInsert, pcInsertLeaf1, pcAnyInBlock, lookupLevel, missTable1 } from './pagecache';
import { eptMap, eptWalk } from './ept';

export const THP_NEVER: u32 = 0;
export const THP_ALWAYS: u32 = 1;
export const THP_WITHIN_SIZE: u32 = 2;
const FOLIO_UNEVICTABLE: u32 = 2;
export const FALLBACK_OCCUPIED: u32 = 1;
export const FALLBACK_NOMEM: u32 = 2;

export let gfOrder: i32 = 0;
export let gfHit: bool = false;
export let gfFallback: u32 = 0;

/** shmem_is_huge for a VMA-less file (6.1). */
@inline function isHuge(policy: u32, index: u64, iSize: u64): bool {
  if (policy == THP_ALWAYS) return true;
  if (policy == THP_WITHIN_SIZE) return ((index + 512) & ~(<u64>511)) <= iSize;
  return false;
}

/** shmem_get_folio(SGP_WRITE); order, hit and fallback in gfOrder/gfHit/gfFallback. */
export function getFolio(pc: u32, index: u32, policy: u32, iSize: u64, mt: u32): i32 {
  const found = pcLookupKeep(pc, index);
  const t1 = missTable1;
  gfFallback = 0;
  if (found >= 0) {
    gfHit = true;
    gfOrder = <i32>(9 * (lookupLevel - 1));
    return found;
  }
  gfHit = false;
  if (isHuge(policy, <u64>index, iSize)) {
    if (pcAnyInBlock(pc, index)) {
      gfFallback = FALLBACK_OCCUPIED;
    } else {
      const p = allocPages(9, mt);
      if (p >= 0) {
        folioSetFlags(<u32>p, FOLIO_UNEVICTABLE);
        pcInsert(pc, index & ~511, <u32>p, 9);
        gfOrder = 9;
        return p;
      }
      gfFallback = FALLBACK_NOMEM;
    }
  }
  const p = allocPages(0, mt);
  if (p < 0) { gfOrder = -1; return -1; }
  folioSetFlags(<u32>p, FOLIO_UNEVICTABLE);
  // Neither the huge attempt nor the allocator touches the page cache, so t1's slot is still empty.
  if (t1 != 0) pcInsertLeaf1(pc, t1, index, <u32>p);
  else pcInsert(pc, index, <u32>p, 0);
  gfOrder = 0;
  return p;
}

// Batch statistics, written to OUT as u32 in this order at the end of a batch.
let sHits: u32 = 0; let sAlloc4k: u32 = 0; let sAllocHuge: u32 = 0;
let sFbOcc: u32 = 0; let sFbNoMem: u32 = 0; let sEnomem: u32 = 0;
let fAlready: u32 = 0; let fFaults: u32 = 0; let fM1: u32 = 0; let fM2: u32 = 0; let fM3: u32 = 0;

function statsReset(): void {
  sHits = 0; sAlloc4k = 0; sAllocHuge = 0; sFbOcc = 0; sFbNoMem = 0; sEnomem = 0;
  fAlready = 0; fFaults = 0; fM1 = 0; fM2 = 0; fM3 = 0;
}

function statsCount(pfn: i32): void {
  if (gfHit) sHits++;
  else if (pfn < 0) sEnomem++;
  else if (gfOrder == 0) sAlloc4k++;
  else sAllocHuge++;
  if (gfFallback == FALLBACK_OCCUPIED) sFbOcc++;
  if (gfFallback == FALLBACK_NOMEM) sFbNoMem++;
}

function statsWrite(): void {
  store<u32>(OUT, sHits); store<u32>(OUT + 4, sAlloc4k); store<u32>(OUT + 8, sAllocHuge);
  store<u32>(OUT + 12, sFbOcc); store<u32>(OUT + 16, sFbNoMem); store<u32>(OUT + 20, sEnomem);
  store<u32>(OUT + 24, fAlready); store<u32>(OUT + 28, fFaults);
  store<u32>(OUT + 32, fM1); store<u32>(OUT + 36, fM2); store<u32>(OUT + 40, fM3);
}

/** shmem_fallocate's loop over [start, end). */
export function getFolioRange(pc: u32, start: u64, end: u64, policy: u32, iSize: u64, mt: u32): void {
  statsReset();
  for (let index = start; index < end; ) {
    const pfn = getFolio(pc, <u32>index, policy, iSize, mt);
    statsCount(pfn);
    if (pfn < 0) break;
    const size = <u64>1 << <u64>gfOrder;
    index = (index & ~(size - 1)) + size;
  }
  statsWrite();
}

/**
 * Map the faulting gfn at the largest leaf that the folio (order, head pfn at pfn minus its
 * offset in the folio) and the gfn/index alignment allow, up to maxLevel (the
 * kvm_mmu_max_mapping_level check); returns the level mapped (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB).
 */
@inline export function mapFolioLeaf(pt: u32, gfn: u64, index: u64, pfn: i32, order: u32, maxLevel: u32): u32 {
  let level: u32 = 1;
  if (order == 18 && maxLevel >= 3 && ((gfn - index) & 0x3ffff) == 0) level = 3;
  else if (order >= 9 && maxLevel >= 2 && ((gfn - index) & 511) == 0) level = 2;
  const span = <u64>1 << <u64>(9 * (level - 1));
  const headIndex = index & ~((<u64>1 << <u64>order) - 1);
  eptMap(pt, <u32>(gfn & ~(span - 1)), <u32>(<u64>pfn + (index - headIndex) - (index & (span - 1))), level);
  return level;
}

/** A vCPU's first-touch faults (sim/fastpath/shmem-ops.ts faultRange). */
export function faultRange(pt: u32, pc: u32, gfnStart: u64, indexStart: u64, count: u64,
  policy: u32, iSize: u64, mt: u32, maxLevel: u32): void {
  statsReset();
  const gfnEnd = gfnStart + count;
  for (let gfn = gfnStart; gfn < gfnEnd; ) {
    if (eptWalk(pt, <u32>gfn) >= 0) { fAlready++; gfn++; continue; }
    fFaults++;
    const index = indexStart + (gfn - gfnStart);
    const pfn = getFolio(pc, <u32>index, policy, iSize, mt);
    statsCount(pfn);
    if (pfn < 0) break;
    const level = mapFolioLeaf(pt, gfn, index, pfn, <u32>gfOrder, maxLevel);
    if (level == 1) fM1++; else if (level == 2) fM2++; else fM3++;
    const span = <u64>1 << <u64>(9 * (level - 1));
    gfn = (gfn & ~(span - 1)) + span;
  }
  statsWrite();
}
