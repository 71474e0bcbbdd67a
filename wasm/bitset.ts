// Hierarchical bitsets: level 0 has one bit per block, each level above one bit per non-zero
// u64 word below, so the lowest set bit is found with one load and one ctz per level. These
// are the buddy allocator's free "lists" (one per migratetype and order), handing out the
// lowest-pfn free block.
import { bumpAlloc } from './mem';

export const MAX_LEVELS: u32 = 6;
export const MAX_BITSETS: u32 = 32;
/** MAX_LEVELS bases and the count, padded to 32 bytes so a descriptor is found with a shift. */
const DESC_BYTES: u32 = 32;
/** Per bitset: base address of each level's words (u32 each), then the level count. Static
 * data at an address fixed at compile time, so the hot paths need no global to find it. */
const desc: usize = memory.data(<i32>(MAX_BITSETS * DESC_BYTES), 8);

/** Forget every bitset's descriptor (n <= MAX_BITSETS will be created). */
export function bitsetsInit(n: u32): void {
  if (n > MAX_BITSETS) unreachable();
  memory.fill(desc, 0, <usize>(MAX_BITSETS * DESC_BYTES));
}

/** Allocate the words of bitset b for nbits bits (zeroed: all clear). */
export function bitsetCreate(b: u32, nbits: u64): void {
  const d = desc + <usize>(b * DESC_BYTES);
  let words = (nbits + 63) >> 6;
  let lvl: u32 = 0;
  for (;;) {
    store<u32>(d + (<usize>lvl << 2), <u32>bumpAlloc(<usize>(words << 3), 8));
    lvl++;
    if (words <= 1) break;
    words = (words + 63) >> 6;
  }
  store<u32>(d + (<usize>MAX_LEVELS << 2), lvl);
}

@inline function levelBase(b: u32, lvl: u32): usize {
  return <usize>load<u32>(desc + <usize>(b * DESC_BYTES) + (<usize>lvl << 2));
}

@inline function levels(b: u32): u32 {
  return load<u32>(desc + <usize>(b * DESC_BYTES) + (<usize>MAX_LEVELS << 2));
}

export function bitsetSet(b: u32, i: u32): void {
  const n = levels(b);
  for (let lvl: u32 = 0; lvl < n; lvl++) {
    const w = levelBase(b, lvl) + (<usize>(i >> 6) << 3);
    const old = load<u64>(w);
    store<u64>(w, old | (<u64>1 << <u64>(i & 63)));
    if (old != 0) return;
    i >>= 6;
  }
}

export function bitsetClear(b: u32, i: u32): void {
  const n = levels(b);
  for (let lvl: u32 = 0; lvl < n; lvl++) {
    const w = levelBase(b, lvl) + (<usize>(i >> 6) << 3);
    const v = load<u64>(w) & ~(<u64>1 << <u64>(i & 63));
    store<u64>(w, v);
    if (v != 0) return;
    i >>= 6;
  }
}

/** Lowest set bit, or -1 when the bitset is empty. */
export function bitsetFirst(b: u32): i32 {
  let lvl = levels(b) - 1;
  let w = load<u64>(levelBase(b, lvl));
  if (w == 0) return -1;
  let i = <u32>ctz<u64>(w);
  while (lvl > 0) {
    lvl--;
    w = load<u64>(levelBase(b, lvl) + (<usize>i << 3));
    i = (i << 6) | <u32>ctz<u64>(w);
  }
  return <i32>i;
}
