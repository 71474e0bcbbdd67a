// --trace-out: the run's spans, instants and counters as Chrome trace-event JSON, the format
// Perfetto's UI and chrome://tracing import. One track (tid) per engine track: a vCPU
// (vm0/vcpu1), a VMM thread (vm0-vmm/discard0), a lock instance named after its owner
// (vm0/mmu_lock, rmem0/notifier_lock). Tracks are grouped into one process per VM: vm0 holds
// vm0/*, vm0-vmm/* and vm0's locks; everything else (files' locks, host actors) is under
// "host". Lock waits are drawn on the waiter's track (the engine puts them there). Ids are
// given in order of first use, so the file is deterministic. Timestamps are microseconds (the
// format's unit) with ns precision. Slices on one track must nest: read holds of one lock that
// overlap are drawn as one slice "read by N" listing the holders; anything else that overlaps
// without nesting goes to an extra lane of that track ("name (2)").
import type { Tracer } from '../engine/tracer.js';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 'C' | 'M';
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  s?: 't';
  args?: Record<string, unknown>;
}

interface Span { track: string; name: string; start: number; end: number; args?: Record<string, unknown>; seq: number }
interface Mark { track: string; name: string; t: number; ph: 'i' | 'C'; args?: Record<string, unknown>; seq: number }

const us = (ns: number) => ns / 1000;

export class ChromeTraceWriter implements Tracer {
  private readonly spans: Span[] = [];
  private readonly marks: Mark[] = [];
  /** Track names in order of first use (their ids). */
  private readonly tracks = new Map<string, number>();
  private seq = 0;
  private dropped = 0;

  /** maxEvents bounds memory on long runs; later events are counted, not kept. */
  constructor(private readonly maxEvents = 2_000_000) {}

  private full(track: string): boolean {
    if (!this.tracks.has(track)) this.tracks.set(track, this.tracks.size);
    if (this.spans.length + this.marks.length >= this.maxEvents) {
      this.dropped++;
      return true;
    }
    return false;
  }

  span(track: string, name: string, startNs: number, endNs: number, args?: Record<string, unknown>): void {
    if (this.full(track)) return;
    this.spans.push({ track, name, start: startNs, end: Math.max(startNs, endNs), args, seq: this.seq++ });
  }

  instant(track: string, name: string, tNs: number, args?: Record<string, unknown>): void {
    if (this.full(track)) return;
    this.marks.push({ track, name, t: tNs, ph: 'i', args, seq: this.seq++ });
  }

  counter(track: string, name: string, tNs: number, value: number): void {
    if (this.full(track)) return;
    this.marks.push({ track, name, t: tNs, ph: 'C', args: { [name]: value }, seq: this.seq++ });
  }

  get eventCount(): number {
    return this.spans.length + this.marks.length;
  }

  /** Lane of each span within its track, so that every lane's slices nest. */
  private lanes(spans: Span[]): Map<Span, number> {
    const lane = new Map<Span, number>();
    const byTrack = new Map<string, Span[]>();
    for (const s of spans) {
      const l = byTrack.get(s.track) ?? [];
      l.push(s);
      byTrack.set(s.track, l);
    }
    for (const list of byTrack.values()) {
      list.sort((a, b) => a.start - b.start || b.end - a.end || a.seq - b.seq);
      const stacks: number[][] = [];
      for (const s of list) {
        let k = 0;
        for (; k < stacks.length; k++) {
          const st = stacks[k];
          while (st.length && st[st.length - 1] <= s.start) st.pop();
          if (st.length === 0 || s.end <= st[st.length - 1]) break;
        }
        if (k === stacks.length) stacks.push([]);
        stacks[k].push(s.end);
        lane.set(s, k);
      }
    }
    return lane;
  }

  /** The JSON object format: {traceEvents, displayTimeUnit, otherData}. */
  serialize(meta: Record<string, string | number> = {}): string {
    const spans = mergeReadHolds(this.spans);
    const lane = this.lanes(spans);
    const pids = new Map<string, number>();
    const tids = new Map<string, { pid: number; tid: number }>();
    const out: TraceEvent[] = [];
    const idOf = (track: string, k: number) => {
      const key = k === 0 ? track : `${track} (${k + 1})`;
      let t = tids.get(key);
      if (t) return t;
      const group = processOf(track);
      let pid = pids.get(group);
      if (pid === undefined) {
        pid = pids.size + 1;
        pids.set(group, pid);
        out.push({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name: group } });
      }
      t = { pid, tid: tids.size + 1 };
      tids.set(key, t);
      out.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid: t.tid, args: { name: key } });
      return t;
    };
    // Metadata in order of first use of each track, then events in the order they were recorded.
    for (const track of this.tracks.keys()) idOf(track, 0);
    const events: Array<{ seq: number; e: TraceEvent }> = [];
    for (const s of spans) {
      const t = idOf(s.track, lane.get(s) ?? 0);
      events.push({ seq: s.seq, e: { name: s.name, ph: 'X', ts: us(s.start), dur: us(s.end - s.start), pid: t.pid, tid: t.tid, ...(s.args ? { args: s.args } : {}) } });
    }
    for (const m of this.marks) {
      const t = idOf(m.track, 0);
      events.push({ seq: m.seq, e: { name: m.name, ph: m.ph, ...(m.ph === 'i' ? { s: 't' as const } : {}), ts: us(m.t), pid: t.pid, tid: t.tid, ...(m.args ? { args: m.args } : {}) } });
    }
    events.sort((a, b) => a.seq - b.seq);
    const lines = [...out, ...events.map((x) => x.e)].map((e) => JSON.stringify(e));
    const other = { ...meta, dropped_events: this.dropped };
    return `{"displayTimeUnit":"ns","otherData":${JSON.stringify(other)},"traceEvents":[\n${lines.join(',\n')}\n]}\n`;
  }
}

/** The process a track is grouped under: its VM (vm0/vcpu1, vm0-vmm/discard0, vm0/mmu_lock -> vm0), else "host". */
export function processOf(track: string): string {
  const slash = track.indexOf('/');
  const group = slash > 0 ? track.slice(0, slash).replace(/-vmm$/, '') : '';
  return /^vm\d+$/.test(group) ? group : 'host';
}

const READ_HOLD = 'read by ';

/**
 * Read holds of one lock that overlap (readers inside together) become one slice "read by N"
 * from the first start to the last end, with the holders in args, so the lock stays one track.
 */
function mergeReadHolds(spans: Span[]): Span[] {
  const out: Span[] = [];
  const open = new Map<string, { span: Span; holders: string[] }>();
  const reads = spans.filter((s) => s.name.startsWith(READ_HOLD)).sort((a, b) => a.start - b.start || a.seq - b.seq);
  const merged = new Set<Span>();
  const replaced = new Map<Span, Span>();
  for (const s of reads) {
    const cur = open.get(s.track);
    if (cur && s.start < cur.span.end) {
      cur.span.end = Math.max(cur.span.end, s.end);
      cur.holders.push(s.name.slice(READ_HOLD.length));
      cur.span.name = `${READ_HOLD}${cur.holders.length}`;
      cur.span.args = { ...(cur.span.args ?? {}), holders: cur.holders };
      merged.add(s);
      continue;
    }
    const copy = { ...s };
    open.set(s.track, { span: copy, holders: [s.name.slice(READ_HOLD.length)] });
    replaced.set(s, copy);
  }
  for (const s of spans) {
    if (merged.has(s)) continue;
    out.push(replaced.get(s) ?? s);
  }
  return out;
}
