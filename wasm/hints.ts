// Level-1 table hints: per page table and 2 MiB block, the level-1 table a map last reached,
// so the next walk of that block is the hint's line and the entry's instead of a chain of 5
// dependent loads (header, root, levels 3 and 2, entry). The model's 8 vCPUs interleave their
// first-touch faults over one EPT, each walking its own block twice per fault (the vCPU loop's
// "is it mapped", then the map), with the JS side's cache misses in between.
// Direct-mapped, 16 slots per handle number for the first 128 (others share slots by h & 127; the
// handle is part of the tag), so that each of (b)'s 64 VMs (a page table and a page cache each)
// has its own slots: with 32 sets, two VMs' vCPUs shared them and half the lookups missed
// (wasm/README.md). A hint is valid while chunkGen stands (mem.ts): a table leaves a radix only
// by being freed. Left by the 4 KiB map's walk (ept.ts eptTable1), read by it and by the walk
// (eptWalkHinted), i.e. pt_map_put, pt_walk and fault-batch.ts; the page cache's lookup gained
// nothing measurable from the same hint (wasm/README.md).
import { chunkGen } from './mem';

const HINT_HANDLES: u32 = 128;
const HINT_SLOTS_SHIFT: u32 = 4;
const HINTS: usize = memory.data(<i32>(HINT_HANDLES << (HINT_SLOTS_SHIFT + 4)), 16);

/** Address of (h, key's block)'s slot: +0 block + 1, +4 handle, +8 generation, +12 table. */
@inline export function hintSlot(h: u32, key: u32): usize {
  const blk = key >> 9;
  return HINTS + (<usize>(h & (HINT_HANDLES - 1)) << (HINT_SLOTS_SHIFT + 4))
    + (<usize>((blk * 0x9E3779B1) >> (32 - HINT_SLOTS_SHIFT)) << 4);
}

/** The level-1 table remembered at slot s for (h, key), or 0. */
@inline export function hintGet(s: usize, h: u32, key: u32): u32 {
  return load<u32>(s) == (key >> 9) + 1 && load<u32>(s, 4) == h && load<u32>(s, 8) == chunkGen ? load<u32>(s, 12) : 0;
}

@inline export function hintSet(s: usize, h: u32, key: u32, t: u32): void {
  store<u32>(s, (key >> 9) + 1); store<u32>(s, h, 4); store<u32>(s, chunkGen, 8); store<u32>(s, t, 12);
}
