// A bounded ring of recent model events, so a safety violation can show the trail that led to it
// (DESIGN.md principle 5) without keeping every event of a long run.

export interface TrailEvent {
  t: number;
  proc: string;
  what: string;
  args?: Record<string, number | string | boolean>;
}

export class EventTrail {
  // Parallel rings rather than one object per event: the fault path records an event per
  // fault, and a kept-for-the-record object each time is most of a long run's garbage.
  private readonly ts: Float64Array;
  private readonly procs: string[];
  private readonly whats: string[];
  private readonly argss: Array<TrailEvent['args']>;
  private next = 0;
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

  /** push without building the event: what Host.event calls on every model event. */
  record(t: number, proc: string, what: string, args: TrailEvent['args']): void {
    if (this.pending !== null) this.settle();
    const i = this.next;
    this.ts[i] = t;
    this.procs[i] = proc;
    this.whats[i] = what;
    this.argss[i] = args;
    this.next = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /**
   * n events of one kind without arguments, oldest first: event i at times[2 * (i % ring)] by
   * procs[times[2 * (i % ring) + 1]] for i in [from, from + n) (a fault batch's ring of maps).
   * Only the last `capacity` of them can stay, so only those are written.
   */
  recordRing(times: Float64Array, ring: number, from: number, n: number, procs: readonly string[], what: string): void {
    if (this.pending !== null) this.settle();
    const cap = this.capacity;
    const skip = Math.max(0, n - cap);
    let i = this.next;
    for (let e = from + skip; e < from + n; e++) {
      const j = 2 * (e % ring);
      this.ts[i] = times[j]!;
      this.procs[i] = procs[times[j + 1]!]!;
      this.whats[i] = what;
      this.argss[i] = undefined;
      if (++i === cap) i = 0;
    }
    this.next = i;
    this.count = Math.min(cap, this.count + n - skip);
  }

  /** Oldest first. */
  recent(n = this.capacity): TrailEvent[] {
    if (this.pending !== null) this.settle();
    const out: TrailEvent[] = [];
    const k = Math.min(n, this.count);
    for (let i = this.count - k; i < this.count; i++) {
      const idx = (this.next - this.count + i + this.capacity * 2) % this.capacity;
      const args = this.argss[idx];
      const ev: TrailEvent = { t: this.ts[idx]!, proc: this.procs[idx]!, what: this.whats[idx]! };
      if (args !== undefined) ev.args = args;
      out.push(ev);
    }
    return out;
  }
}

export function formatTrail(events: TrailEvent[]): string {
  return events
    .map((e) => `${e.t}ns ${e.proc} ${e.what}${e.args ? ' ' + Object.entries(e.args).map(([k, v]) => `${k}=${v}`).join(' ') : ''}`)
    .join('\n');
}
