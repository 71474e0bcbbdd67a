// The pending-event set: a binary min-heap on parallel typed arrays, ordered by
// (time, key) where key = priority * 2^40 + insertion sequence (one float64, exact below 2^53),
// so the scheduling key (time, priority, insertion sequence) costs two comparisons.
// Cancellation is lazy: an entry is live only while its key equals its owner's live key
// (Schedulable.liveKey).
// Entries carry an int32 owner id (an index into the Simulation's entity table), not an object
// reference, so sifting moves only typed-array data (no GC write barriers).

/** What a heap entry's owner is (selects the dispatch branch). */
export const enum EntityKind {
  PROCESS = 0,
  TIMER = 1,
}

/** Anything the Simulation schedules; the key of its one live entry is kept in the Simulation's table. */
export interface Schedulable {
  readonly kind: EntityKind;
  /** Index in the Simulation's entity table, -1 until first scheduled. */
  eid: number;
  /** Key of its one live heap entry, -1 when it has none: an entry is live only while its key equals this. */
  liveKey: number;
}

/**
 * key = priority * PRIORITY_UNIT + insertion sequence: 40 bits of sequence. A `const enum` so
 * that tsc writes the number at each use (an imported `const` is read through its module cell).
 */
export const enum KeyLayout {
  SEQ_BITS = 40,
  PRIORITY_UNIT = 2 ** SEQ_BITS,
}

export class PendingSet {
  time: Float64Array;
  key: Float64Array;
  id: Int32Array;
  size = 0;

  constructor(capacity = 1024) {
    this.time = new Float64Array(capacity);
    this.key = new Float64Array(capacity);
    this.id = new Int32Array(capacity);
  }

  /** Add (t, k, o); returns the slot it ended in (0: it is the top). */
  push(t: number, k: number, o: number): number {
    if (this.size === this.time.length) this.grow();
    const time = this.time;
    const key = this.key;
    const obj = this.id;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = time[parent];
      if (pt < t || (pt === t && key[parent] < k)) break;
      time[i] = pt;
      key[i] = key[parent];
      obj[i] = obj[parent];
      i = parent;
    }
    time[i] = t;
    key[i] = k;
    obj[i] = o;
    return i;
  }

  /** Replace the top entry by (t, k, o) and restore order: a fused pop-and-push. Returns the slot it ended in. */
  replaceTop(t: number, k: number, o: number): number {
    return this.siftDown(0, t, k, o);
  }

  /** Remove the top entry. */
  popTop(): void {
    const n = --this.size;
    if (n === 0) return;
    const t = this.time[n];
    const k = this.key[n];
    const o = this.id[n];
    this.siftDown(0, t, k, o);
  }

  /**
   * Move (t, k, o) down from slot i to its place. The smaller child is chosen without a branch
   * (`c += lt` with the comparison as 0/1, unary plus on a boolean): which child is smaller is a coin flip the CPU cannot
   * predict, and a mispredicted branch per level was a third of the heap's time (about 130 ->
   * 95 ns per replace-top on 1,000 entries). Same (time, key) order as a branchy comparison.
   */
  private siftDown(i: number, t: number, k: number, o: number): number {
    const time = this.time;
    const key = this.key;
    const obj = this.id;
    const n = this.size;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n) {
        const rt = time[r];
        const lt = time[c];
        // (rt, key[r]) < (lt, key[c]) as 0/1, with no short-circuit branch.
        c += +(rt < lt) | (+(rt === lt) & +(key[r] < key[c]));
      }
      const ct = time[c];
      if (t < ct || (t === ct && k < key[c])) break;
      time[i] = ct;
      key[i] = key[c];
      obj[i] = obj[c];
      i = c;
    }
    time[i] = t;
    key[i] = k;
    obj[i] = o;
    return i;
  }

  private grow(): void {
    const n = this.time.length * 2;
    const t = new Float64Array(n);
    t.set(this.time);
    const k = new Float64Array(n);
    k.set(this.key);
    const d = new Int32Array(n);
    d.set(this.id);
    this.time = t;
    this.key = k;
    this.id = d;
  }
}
