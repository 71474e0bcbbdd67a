// Typed-array twin of wasm/bitset.ts (32-bit words here, 64-bit there; same answers): a
// hierarchical bitset whose lowest set bit is one load and one ctz per level.
// Why a twin: part of the typed-array fast paths, the benchmark's middle column (the same algorithm
// without WASM); held to the Map reference through the buddy allocator by test/fastpath/host-memory.test.ts.
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class HierBitset {
  private levels: Uint32Array[] = [];

  constructor(nbits: number) {
    let words = Math.ceil(nbits / 32);
    for (;;) {
      this.levels.push(new Uint32Array(Math.max(words, 1)));
      if (words <= 1) break;
      words = Math.ceil(words / 32);
    }
  }

  set(i: number): void {
    for (const w of this.levels) {
      const k = i >>> 5;
      const old = w[k]!;
      w[k] = old | (1 << (i & 31));
      if (old !== 0) return;
      i = k;
    }
  }

  clear(i: number): void {
    for (const w of this.levels) {
      const k = i >>> 5;
      const v = w[k]! & ~(1 << (i & 31));
      w[k] = v;
      if (v !== 0) return;
      i = k;
    }
  }

  first(): number {
    const L = this.levels;
    let lvl = L.length - 1;
    let w = L[lvl]![0]!;
    if (w === 0) return -1;
    let i = ctz32(w);
    while (lvl > 0) {
      lvl--;
      w = L[lvl]![i]!;
      i = (i << 5) | ctz32(w);
    }
    return i;
  }

  reset(): void { for (const w of this.levels) w.fill(0); }

  bytes(): number { let n = 0; for (const w of this.levels) n += w.byteLength; return n; }
}
