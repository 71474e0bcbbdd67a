// The references' pending set: a binary min-heap on three typed arrays ordered by (time, key),
// with a separate pop and push (no fused replace-top) and the engine's branch-free pick of the
// smaller child in the sift-down (sim/engine/heap.ts), so a reference is never slower than the
// engine at what the engine also does. Used by (a)'s ceiling and (b)'s floor (workloads.ts).

export class BareHeap {
  readonly time: Float64Array;
  readonly key: Float64Array;
  readonly who: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.time = new Float64Array(capacity);
    this.key = new Float64Array(capacity);
    this.who = new Int32Array(capacity);
  }

  push(t: number, k: number, w: number): void {
    const time = this.time;
    const key = this.key;
    const who = this.who;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = time[parent];
      if (pt < t || (pt === t && key[parent] < k)) break;
      time[i] = pt;
      key[i] = key[parent];
      who[i] = who[parent];
      i = parent;
    }
    time[i] = t;
    key[i] = k;
    who[i] = w;
  }

  /** Remove the top entry (read it from time[0], key[0], who[0] first). */
  pop(): void {
    const time = this.time;
    const key = this.key;
    const who = this.who;
    const n = --this.size;
    if (n === 0) return;
    const t = time[n];
    const k = key[n];
    const w = who[n];
    let i = 0;
    const half = n >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      let ct = time[c];
      let ck = key[c];
      const r = c + 1;
      if (r < n) {
        const rt = time[r];
        c += +(rt < ct) | (+(rt === ct) & +(key[r] < ck));
        ct = time[c];
        ck = key[c];
      }
      if (t < ct || (t === ct && k < ck)) break;
      time[i] = ct;
      key[i] = ck;
      who[i] = who[c];
      i = c;
    }
    time[i] = t;
    key[i] = k;
    who[i] = w;
  }
}
