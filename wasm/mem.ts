// Linear-memory layout and the two allocators every structure uses: a bump region that grows
// memory on demand, and a free list of 2 KiB chunks (one 512-entry table of u32).
//
//   [0 .. 2048)                     ZERO_TABLE: chunk 0, all zero, never written
//   [2048 .. HEADERS)               AssemblyScript static data (asconfig memoryBase 2048)
//   HEADERS  16384 x 32 B           one header per page table / page cache (handle)
//   OUT      64 KiB                 results of batched calls, read by the TypeScript wrapper
//   COUNTS   2^21 x u16             live entries per chunk (page-cache tables; freed at 0)
//   BUMP ..                         host arrays, then chunks; memory grows as this does
// Untouched memory is never committed by the OS, so COUNTS costs only what is used.

export const CHUNK_SHIFT: u32 = 11;
export const CHUNK_BYTES: u32 = 1 << CHUNK_SHIFT;
export const MAX_HANDLES: u32 = 16384;
export const HEADER_BYTES: u32 = 32;
export const OUT_BYTES: u32 = 65536;

// Fixed addresses, known at compile time, so the hot paths address headers, counts and the
// host's folio table (the first thing bump-allocated) as constant offsets, with no global to
// load first. The static data below HEADERS is a few KiB (layoutInit checks it fits).
export const HEADERS: usize = 65536;
export const OUT: usize = HEADERS + <usize>(MAX_HANDLES * HEADER_BYTES);
export const COUNTS: usize = OUT + <usize>OUT_BYTES;
export const BUMP_START: usize = COUNTS + (<usize>2 << 21);

/** Chunk 0: the table an empty entry (0) names. Nothing writes it (no chunk id is 0, and the
 * static data starts above it), so a walk may follow an empty entry and read empty entries
 * (ept.ts eptWalkFrom). */
export const ZERO_TABLE: usize = 0;
// asconfig's memoryBase keeps the static data out of the zero table.
if (<usize>ASC_MEMORY_BASE < ZERO_TABLE + <usize>CHUNK_BYTES) ERROR('asconfig memoryBase must be at least 2048: chunk 0 is the zero table');

/** Next free byte of the bump region. */
export let bump: usize = 0;
/** Head of the free-chunk list (chunk id; 0 = empty). A free chunk is zero but for word 0. */
let freeChunks: u32 = 0;
export let chunksInUse: u32 = 0;
/** Moves whenever a chunk is freed (or all are): a level-1 table remembered with the generation
 * it was seen at (hints.ts) is still attached where it was while the generation stands, as
 * tables leave a radix only by being freed. */
export let chunkGen: u32 = 0;

function alignUp(v: usize, a: usize): usize {
  return (v + a - 1) & ~(a - 1);
}

/** Make sure [0, end) is backed by memory. Traps when 4 GiB would be exceeded. */
export function ensureMemory(end: usize): void {
  // u64: a full 4 GiB memory is 2^32 bytes, which a u32 cannot hold.
  const have = <u64>memory.size() << 16;
  if (<u64>end <= have) return;
  const need = <i32>((<u64>end - have + 0xffff) >> 16);
  // Double (to at most 4 GiB), not grow by a fraction: V8 counts each grow as external memory
  // against the JS heap's old-generation limit, and one of more than ~8 MiB starts a full
  // mark-compact of the JS heap (a few ms plus concurrent marking), however small that heap.
  // Grown by 1/8, a 16 GiB boot's page tables met 6 of them in its 3 s of steps; doubled, 1; and
  // none since the host's set-up reserves its 4 KiB mappings (buddy.ts reserveMappings;
  // bench/e2e/README.md, "(d): mark-compacts and times past 2^31 ns"). Memory grown but not
  // touched is not committed by the OS, so the RSS does not change.
  const size = memory.size();
  const want = max(need, min(size, 65536 - size));
  if (memory.grow(want) < 0) unreachable();
}

/** Lay out the fixed regions; forget every allocation. */
export function layoutInit(): void {
  if (__heap_base > HEADERS) unreachable();
  ensureMemory(BUMP_START);
  bump = BUMP_START;
  freeChunks = 0;
  chunksInUse = 0;
  chunkGen++;
}

/** Zero everything allocated since layoutInit (headers, counts and the bump region). */
export function layoutReset(): void {
  memory.fill(HEADERS, 0, <usize>(MAX_HANDLES * HEADER_BYTES));
  // Only chunks can have live counts, and chunks live in [BUMP_START, bump).
  const firstId = BUMP_START >> CHUNK_SHIFT;
  const endId = (bump + CHUNK_BYTES - 1) >> CHUNK_SHIFT;
  memory.fill(COUNTS + (firstId << 1), 0, (endId - firstId) << 1);
  memory.fill(BUMP_START, 0, bump - BUMP_START);
  bump = BUMP_START;
  freeChunks = 0;
  chunksInUse = 0;
  chunkGen++;
}

/** Bump-allocate zeroed bytes, aligned. */
export function bumpAlloc(bytes: usize, align: usize): usize {
  const p = alignUp(bump, align);
  ensureMemory(p + bytes);
  bump = p + bytes;
  return p;
}

@inline export function chunkAddr(id: u32): usize {
  return <usize>id << CHUNK_SHIFT;
}

/** A zeroed 2 KiB chunk with a zero live count. */
export function allocChunk(): u32 {
  chunksInUse++;
  if (freeChunks != 0) {
    const id = freeChunks;
    const a = chunkAddr(id);
    freeChunks = load<u32>(a);
    store<u32>(a, 0);
    return id;
  }
  const a = bumpAlloc(CHUNK_BYTES, CHUNK_BYTES);
  // Written before anything reads it: a fresh page's first access, if a read, maps the OS's
  // zero page and the write after it takes a second fault to copy it (the tables' walks read an
  // entry before they set it); written first, the page costs one fault.
  store<u32>(a, 0);
  return <u32>(a >> CHUNK_SHIFT);
}

/** Return a chunk whose entries are all zero already. */
export function freeChunk(id: u32): void {
  chunksInUse--;
  chunkGen++;
  store<u16>(COUNTS + (<usize>id << 1), 0);
  store<u32>(chunkAddr(id), freeChunks);
  freeChunks = id;
}

@inline export function chunkCount(id: u32): u32 {
  return <u32>load<u16>(COUNTS + (<usize>id << 1));
}

@inline export function chunkCountAdd(id: u32, d: i32): u32 {
  const p = COUNTS + (<usize>id << 1);
  const v = <u32>(<i32>load<u16>(p) + d);
  store<u16>(p, <u16>v);
  return v;
}
