// --trace-out: the run's spans, instants and counters as Chrome trace-event JSON, the format
// Perfetto's UI and chrome://tracing import. One track (tid) per engine track name (a vCPU,
// a VMM thread, a lock); tracks named "group/thread" are grouped into one process per group
// (vm0/vcpu1 -> process vm0), the rest into "host". Ids are given in order of first use, so the
// file is deterministic. Timestamps are microseconds (the format's unit) with ns precision.
import type { Tracer } from '../engine/tracer.js';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 'C' | 'M';
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  s?: 't';
  cat?: string;
  args?: Record<string, unknown>;
}

const us = (ns: number) => ns / 1000;

export class ChromeTraceWriter implements Tracer {
  private readonly events: TraceEvent[] = [];
  private readonly tids = new Map<string, { pid: number; tid: number }>();
  private readonly pids = new Map<string, number>();
  private dropped = 0;

  /** maxEvents bounds memory on long runs; later events are counted, not kept. */
  constructor(private readonly maxEvents = 2_000_000) {}

  private track(track: string): { pid: number; tid: number } {
    let t = this.tids.get(track);
    if (t) return t;
    const slash = track.indexOf('/');
    const group = slash > 0 ? track.slice(0, slash) : 'host';
    let pid = this.pids.get(group);
    if (pid === undefined) {
      pid = this.pids.size + 1;
      this.pids.set(group, pid);
      this.events.push({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name: group } });
    }
    t = { pid, tid: this.tids.size + 1 };
    this.tids.set(track, t);
    this.events.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid: t.tid, args: { name: track } });
    return t;
  }

  private push(e: TraceEvent): void {
    if (this.events.length >= this.maxEvents) {
      this.dropped++;
      return;
    }
    this.events.push(e);
  }

  span(track: string, name: string, startNs: number, endNs: number, args?: Record<string, unknown>): void {
    const t = this.track(track);
    this.push({ name, ph: 'X', ts: us(startNs), dur: us(Math.max(0, endNs - startNs)), pid: t.pid, tid: t.tid, ...(args ? { args } : {}) });
  }

  instant(track: string, name: string, tNs: number, args?: Record<string, unknown>): void {
    const t = this.track(track);
    this.push({ name, ph: 'i', s: 't', ts: us(tNs), pid: t.pid, tid: t.tid, ...(args ? { args } : {}) });
  }

  counter(track: string, name: string, tNs: number, value: number): void {
    const t = this.track(track);
    this.push({ name, ph: 'C', ts: us(tNs), pid: t.pid, tid: t.tid, args: { [name]: value } });
  }

  get eventCount(): number {
    return this.events.length;
  }

  /** The JSON object format: {traceEvents, displayTimeUnit, otherData}. */
  serialize(meta: Record<string, string | number> = {}): string {
    const lines = this.events.map((e) => JSON.stringify(e));
    const other = { ...meta, dropped_events: this.dropped };
    return `{"displayTimeUnit":"ns","otherData":${JSON.stringify(other)},"traceEvents":[\n${lines.join(',\n')}\n]}\n`;
  }
}
