// A bounded ring of recent model events, so a safety violation can show the trail that led to it
// (DESIGN.md principle 5) without keeping every event of a long run.

export interface TrailEvent {
  t: number;
  proc: string;
  what: string;
  args?: Record<string, number | string | boolean>;
}

/**
 * A ring another part of the product writes events into (a fault batch's maps, in its WASM area):
 * its e-th event, counted from the first modulo 2^32 and never reset, is the (time, who) pair at
 * e % cap.
 */
export interface EventRing {
  /** Pairs the ring holds (the last `cap` events stay readable); a power of two, so e % cap is
   * the same for e and e + 2^32 (the count wraps there). */
  readonly cap: number;
  /** The ring's (time, index into procs) pairs, as they are now (a fresh view: memory may have grown). */
  pairs(): Float64Array;
  readonly procs: readonly string[];
  readonly what: string;
  /**
   * When the ring holds more than one kind: the event a pair's second number codes (a fault
   * batch's retries and conversions among its maps); without it every pair is `what` by procs[code].
   */
  decode?(code: number): { proc: string; what: string; args?: TrailEvent['args'] };
}

export class EventTrail {
  // Parallel rings rather than one object per event: the fault path records an event per
  // fault, and a kept-for-the-record object each time is most of a long run's garbage.
  private readonly ts: Float64Array;
  private readonly procs: string[];
  private readonly whats: string[];
  private readonly argss: Array<TrailEvent['args']>;
  /**
   * A slot either holds one event (srcs[i] undefined) or stands for ns[i] events of an EventRing
   * from its froms[i]-th on, read from the ring only when the trail is read: a long run's batch
   * writes hundreds of millions of maps, and a trail is read only for a violation's report.
   */
  private readonly srcs: Array<EventRing | undefined>;
  private readonly froms: Float64Array;
  private readonly ns: Float64Array;
  private next = 0;
  /** Slots filled (each stands for one event or more). */
  private count = 0;
  /**
   * Events recorded elsewhere that come before the next one recorded here (a fault batch's maps,
   * sim/actors/fault-batch.ts): called once, before the next record or read.
   */
  private pending: (() => void) | null = null;

  constructor(readonly capacity = 256) {
    this.ts = new Float64Array(capacity);
    this.procs = new Array<string>(capacity).fill('');
    this.whats = new Array<string>(capacity).fill('');
    this.argss = new Array<TrailEvent['args']>(capacity).fill(undefined);
    this.srcs = new Array<EventRing | undefined>(capacity).fill(undefined);
    this.froms = new Float64Array(capacity);
    this.ns = new Float64Array(capacity);
  }

  push(ev: TrailEvent): void {
    this.record(ev.t, ev.proc, ev.what, ev.args);
  }

  /** fill (which records the events it holds) runs before the next record or read. */
  deferUntilNext(fill: () => void): void {
    this.pending = fill;
  }

  private settle(): void {
    const fill = this.pending;
    this.pending = null;
    fill!();
  }

  /** The next slot, the oldest dropped once the ring is full (a deferred fill's events first). */
  private take(): number {
    if (this.pending !== null) this.settle();
    const i = this.next;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.count < this.capacity) this.count++;
    return i;
  }

  /** push without building the event: what Host.event calls on every model event. */
  record(t: number, proc: string, what: string, args: TrailEvent['args']): void {
    const i = this.take();
    this.ts[i] = t;
    this.procs[i] = proc;
    this.whats[i] = what;
    this.argss[i] = args;
    this.srcs[i] = undefined;
  }

  /**
   * n events of one kind without arguments, oldest first: event i at times[2 * (i % ring)] by
   * procs[times[2 * (i % ring) + 1]] for i in [from, from + n) (a fault batch's ring of maps).
   * Only the last `capacity` of them can stay, so only those are written.
   */
  recordRing(times: Float64Array, ring: number, from: number, n: number, procs: readonly string[], what: string): void {
    const skip = Math.max(0, n - this.capacity);
    for (let e = from + skip; e < from + n; e++) {
      const j = 2 * (e % ring);
      this.record(times[j]!, procs[times[j + 1]!]!, what, undefined);
    }
  }

  /** recordRing of a ring whose pairs code several kinds (EventRing.decode). */
  private recordDecoded(src: EventRing, from: number, n: number): void {
    const times = src.pairs();
    const skip = Math.max(0, n - this.capacity);
    for (let e = from + skip; e < from + n; e++) {
      const j = 2 * (e % src.cap);
      const ev = src.decode!(times[j + 1]!);
      this.record(times[j]!, ev.proc, ev.what, ev.args);
    }
  }

  /**
   * The n events of `ring` from its from-th on (counts modulo 2^32), in one slot: read from the
   * ring when the trail is read. That holds because every later event of the ring is recorded
   * too: once the ring has overwritten one of these, at least `cap` newer events follow it here,
   * so a ring at least as long as the trail never loses an event the trail still shows. A
   * shorter ring is copied now (recordRing).
   */
  recordFrom(ring: EventRing, from: number, n: number): void {
    if (n === 0) return;
    if (ring.cap < this.capacity) {
      const kept = Math.min(n, ring.cap);
      if (ring.decode !== undefined) this.recordDecoded(ring, (from + n - kept) >>> 0, kept);
      else this.recordRing(ring.pairs(), ring.cap, (from + n - kept) >>> 0, kept, ring.procs, ring.what);
      return;
    }
    const i = this.take();
    this.srcs[i] = ring;
    this.froms[i] = from;
    this.ns[i] = n;
    this.argss[i] = undefined;
  }

  /** Oldest first. */
  recent(n = this.capacity): TrailEvent[] {
    if (this.pending !== null) this.settle();
    const newest: TrailEvent[] = [];
    const want = Math.min(n, this.capacity);
    for (let k = 0; k < this.count && newest.length < want; k++) {
      const idx = (this.next - 1 - k + this.capacity * 2) % this.capacity;
      const src = this.srcs[idx];
      if (src === undefined) {
        const args = this.argss[idx];
        const ev: TrailEvent = { t: this.ts[idx]!, proc: this.procs[idx]!, what: this.whats[idx]! };
        if (args !== undefined) ev.args = args;
        newest.push(ev);
        continue;
      }
      // Newest first, and no further back than the trail shows: those the ring has overwritten
      // since are older than that (recordFrom).
      const pairs = src.pairs();
      const end = this.froms[idx]! + this.ns[idx]!;
      for (let e = end - 1; e >= this.froms[idx]! && newest.length < want; e--) {
        const j = 2 * (e % src.cap);
        if (src.decode === undefined) {
          newest.push({ t: pairs[j]!, proc: src.procs[pairs[j + 1]!]!, what: src.what });
          continue;
        }
        const ev = src.decode(pairs[j + 1]!);
        const out: TrailEvent = { t: pairs[j]!, proc: ev.proc, what: ev.what };
        if (ev.args !== undefined) out.args = ev.args;
        newest.push(out);
      }
    }
    return newest.reverse();
  }
}

export function formatTrail(events: TrailEvent[]): string {
  return events
    .map((e) => `${e.t}ns ${e.proc} ${e.what}${e.args ? ' ' + Object.entries(e.args).map(([k, v]) => `${k}=${v}`).join(' ') : ''}`)
    .join('\n');
}
