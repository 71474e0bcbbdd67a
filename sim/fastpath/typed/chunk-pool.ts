// Typed-array twin of wasm/mem.ts: 512-entry u32 tables ("chunks") in one growable
// Uint32Array, a free list through word 0 of free chunks, and a live-entry count per chunk.
// Why a twin: part of the typed-array fast paths (the benchmark's middle column); held to the Map
// reference through the radixes by test/fastpath/page-table.test.ts and page-cache.test.ts.
export const CHUNK = 512;

/**
 * The slots of one 512-entry table whose ranges meet [start, end): the table begins at `base` and
 * each slot spans `span` units (512^(level-1) leaves of a radix tree). first << 9 | last, or -1
 * when none does: where a range walk (page-cache.ts walkLevel, page-table.ts zapLevel) starts and
 * stops in each table it enters.
 */
export function slotsMeeting(span: number, base: number, start: number, end: number): number {
  const lo = Math.max(start, base);
  const hi = Math.min(end, base + span * CHUNK);
  if (lo >= hi) return -1;
  return (Math.floor((lo - base) / span) << 9) | Math.floor((hi - 1 - base) / span);
}

export class ChunkPool {
  mem = new Uint32Array(CHUNK * 64);
  counts = new Uint16Array(64);
  /** Chunks handed out so far (ids 1..next-1; id 0 is never used so 0 can mean "none"). */
  private next = 1;
  private freeHead = 0;
  inUse = 0;

  alloc(): number {
    this.inUse++;
    if (this.freeHead !== 0) {
      const id = this.freeHead;
      this.freeHead = this.mem[id * CHUNK]!;
      this.mem[id * CHUNK] = 0;
      return id;
    }
    if ((this.next + 1) * CHUNK > this.mem.length) this.grow();
    return this.next++;
  }

  /** Return a chunk whose entries are all zero already. */
  free(id: number): void {
    this.inUse--;
    this.counts[id] = 0;
    this.mem[id * CHUNK] = this.freeHead;
    this.freeHead = id;
  }

  private grow(): void {
    const mem = new Uint32Array(this.mem.length * 2);
    mem.set(this.mem);
    this.mem = mem;
    const counts = new Uint16Array(this.counts.length * 2);
    counts.set(this.counts);
    this.counts = counts;
  }

  reset(): void {
    this.mem.fill(0, 0, this.next * CHUNK);
    this.counts.fill(0);
    this.next = 1;
    this.freeHead = 0;
    this.inUse = 0;
  }

  bytes(): number { return this.next * CHUNK * 4 + this.next * 2; }
}
