// The fast-path benchmark's workloads: op sequences from xorshift32, the same generator and
// constants as the C reference (c/fastpath.c), so every implementation does the same work.

export function xorshift32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

/** Guest-physical space of the EPT workloads and index space of the page-cache ones: 64 GiB. */
export const SPACE_MASK = 2 ** 24 - 1;
export const BUDDY_ORDERS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 9, 9];
export const BUDDY_SEED = 0x2545f491;
/** 16 GiB host for the buddy churn; 16 GiB file on a 20 GiB host for shmem and faults. */
export const BUDDY_HOST_PAGES = 2 ** 22;
export const FILE_PAGES = 2 ** 22;
export const SHMEM_HOST_PAGES = 5 * 2 ** 20;

export interface Sizes { map: number; walk: number; zap: number; insert: number; lookup: number; erase: number; buddy: number; file: number }

export function sizes(scale: number): Sizes {
  const s = (n: number) => Math.max(1, Math.round(n * scale));
  return { map: s(1e6), walk: s(1e7), zap: 1000, insert: s(1e6), lookup: s(1e7), erase: 1000, buddy: s(1e7), file: Math.max(1024, s(FILE_PAGES) & ~1023) };
}

export interface EptOps { gfns: Uint32Array; walks: Uint32Array; zaps: Uint32Array }

/** As c/fastpath.c: map gfns, walk mapped gfns, zap 2 MiB-aligned 2 MiB ranges. */
export function eptOps(z: Sizes): EptOps {
  const r = xorshift32(0x9e3779b9);
  const gfns = new Uint32Array(z.map);
  for (let i = 0; i < z.map; i++) gfns[i] = r() & SPACE_MASK;
  const walks = new Uint32Array(z.walk);
  for (let i = 0; i < z.walk; i++) walks[i] = gfns[r() % z.map]!;
  const zaps = new Uint32Array(z.zap);
  for (let i = 0; i < z.zap; i++) zaps[i] = (r() & SPACE_MASK) & ~511;
  return { gfns, walks, zaps };
}

export interface CacheOps { idx: Uint32Array; pfns: Uint32Array; orders: Uint32Array; lookups: Uint32Array; erases: Uint32Array }

/** Page cache: 1 in 16 inserts is a 2 MiB folio; lookups anywhere; erases of 512 unaligned pages. */
export function cacheOps(z: Sizes): CacheOps {
  const r = xorshift32(0x7f4a7c15);
  const idx = new Uint32Array(z.insert);
  const pfns = new Uint32Array(z.insert);
  const orders = new Uint32Array(z.insert);
  for (let i = 0; i < z.insert; i++) {
    const x = r();
    const o = (x & 15) === 0 ? 9 : 0;
    orders[i] = o;
    idx[i] = (r() & SPACE_MASK) & ~(2 ** o - 1);
    pfns[i] = (i * 512) % 2 ** 28;
  }
  const lookups = new Uint32Array(z.lookup);
  for (let i = 0; i < z.lookup; i++) lookups[i] = r() & SPACE_MASK;
  const erases = new Uint32Array(z.erase);
  for (let i = 0; i < z.erase; i++) erases[i] = r() & SPACE_MASK;
  return { idx, pfns, orders, lookups, erases };
}
