// A bounded ring of recent model events, so a safety violation can show the trail that led to it
// (DESIGN.md principle 5) without keeping every event of a long run.

export interface TrailEvent {
  t: number;
  proc: string;
  what: string;
  args?: Record<string, number | string | boolean>;
}

export class EventTrail {
  private readonly ring: Array<TrailEvent | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity = 256) {
    this.ring = new Array(capacity);
  }

  push(ev: TrailEvent): void {
    this.ring[this.next] = ev;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Oldest first. */
  recent(n = this.capacity): TrailEvent[] {
    const out: TrailEvent[] = [];
    const k = Math.min(n, this.count);
    for (let i = this.count - k; i < this.count; i++) {
      const idx = (this.next - this.count + i + this.capacity * 2) % this.capacity;
      out.push(this.ring[idx] as TrailEvent);
    }
    return out;
  }
}

export function formatTrail(events: TrailEvent[]): string {
  return events
    .map((e) => `${e.t}ns ${e.proc} ${e.what}${e.args ? ' ' + Object.entries(e.args).map(([k, v]) => `${k}=${v}`).join(' ') : ''}`)
    .join('\n');
}
