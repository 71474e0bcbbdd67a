// Handles: each page table or page cache is a 32-byte header in the HEADERS region.
//   +0 root chunk  +4 kind (1 page table, 2 page cache)  +8..+16 entries per level 1..3
//   +24 nrPages (u64, page caches)
import { HEADERS, HEADER_BYTES, MAX_HANDLES, allocChunk, freeChunk } from './mem';

export const H_ROOT: usize = 0;
export const H_KIND: usize = 4;
export const H_COUNT1: usize = 8;
export const H_NRPAGES: usize = 24;

export const KIND_PAGE_TABLE: u32 = 1;
export const KIND_PAGE_CACHE: u32 = 2;

let nextHandle: u32 = 0;

@inline export function header(h: u32): usize {
  return HEADERS + <usize>(h * HEADER_BYTES);
}

export function handlesReset(): void {
  nextHandle = 0;
}

/** A new structure with an empty root table; -1 when MAX_HANDLES are in use. */
export function handleNew(kind: u32): i32 {
  let h: u32 = 0;
  while (h < nextHandle && load<u32>(header(h) + H_KIND) != 0) h++;
  if (h == nextHandle) {
    if (nextHandle == MAX_HANDLES) return -1;
    nextHandle++;
  }
  memory.fill(header(h), 0, HEADER_BYTES);
  store<u32>(header(h) + H_KIND, kind);
  store<u32>(header(h) + H_ROOT, allocChunk());
  return <i32>h;
}

/** Release a structure already cleared down to its root. */
export function handleRelease(h: u32): void {
  freeChunk(load<u32>(header(h) + H_ROOT));
  memory.fill(header(h), 0, HEADER_BYTES);
}
