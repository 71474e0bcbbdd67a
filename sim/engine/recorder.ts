// Statistics of one run: histograms, counters, time-weighted gauges with change series. Every
// metric is keyed `name{k=v,...}` with labels sorted, and `snapshot()` emits them in sorted key
// order with a fixed field order, so metrics.json is byte-identical for identical inputs.
// Metrics count logical operations only; nothing here depends on wall time or event batching.
import { Histogram } from './histogram.js';

export type Labels = Record<string, string | number>;

/** Source of simulated time for gauges (the Simulation). */
export interface Clock {
  readonly now: number;
}

export interface CounterSnapshot { type: 'counter'; value: number }
export interface HistogramSnapshot {
  type: 'histogram'; unit: 'ns'; count: number; mean: number;
  p50: number; p90: number; p99: number; p999: number; min: number; max: number; sum: number;
  buckets: Array<[number, number]>;
}
export interface GaugeSnapshot {
  type: 'gauge'; mean: number; max: number; last: number;
  series: Array<[number, number]>;
}
export type MetricSnapshot = CounterSnapshot | HistogramSnapshot | GaugeSnapshot;
/** `name{labels}` -> metric, keys in canonical (sorted) order. */
export type MetricsBody = Record<string, MetricSnapshot>;

/** A monotonically counted quantity (logical operations). */
export class Counter {
  value = 0;
  add(n = 1): void {
    this.value += n;
  }
  reset(): void {
    this.value = 0;
  }
}

/** Default cap on stored series points per gauge (then the series is thinned deterministically). */
export const DEFAULT_SERIES_POINTS = 4096;

/**
 * A time-weighted gauge: mean and max over time, and the series of (t, value) on each change.
 * Several changes at one instant keep the last value. The series is bounded: when it reaches
 * its cap, neighbouring points merge pairwise into one that holds the larger value, and the
 * minimum spacing between stored points doubles. So a thinned series is a max envelope: a
 * queue that flickers between 0 and 1 still shows 1 (dropping every other point would alias
 * it to a flat 0). Deterministic; mean, max and last stay exact.
 */
export class Gauge {
  last = 0;
  max = 0;
  private integral = 0;
  private lastT: number;
  private startT: number;
  private ts: Float64Array;
  private vs: Float64Array;
  private n = 0;
  private minDt = 0;

  constructor(private readonly clock: Clock, private readonly cap = DEFAULT_SERIES_POINTS) {
    this.lastT = clock.now;
    this.startT = clock.now;
    this.ts = new Float64Array(Math.min(cap, 64));
    this.vs = new Float64Array(Math.min(cap, 64));
    this.push(clock.now, 0);
  }

  set(v: number): void {
    const t = this.clock.now;
    if (t !== this.lastT) {
      this.integral += this.last * (t - this.lastT);
      this.lastT = t;
    }
    if (v === this.last) return;
    this.last = v;
    if (v > this.max) this.max = v;
    this.push(t, v);
  }

  add(d: number): void {
    this.set(this.last + d);
  }

  /**
   * Store (t, v) in the series. Inlined into set, and set into every lock's queue-length update:
   * the rare cases (a second change at one instant, a full buffer) are out of line, so set and
   * this fit V8's inlining budget of the lock paths.
   */
  private push(t: number, v: number): void {
    const n = this.n;
    if (n > 0) {
      const lastT = this.ts[n - 1];
      if (lastT === t) {
        this.sameInstant(n, v);
        return;
      }
      // Within the current spacing of the last stored point: fold into it (max envelope), so
      // stored points stay >= minDt apart.
      if (this.minDt > 0 && t - lastT < this.minDt) {
        if (v > this.vs[n - 1]) this.vs[n - 1] = v;
        return;
      }
    }
    if (n === this.ts.length) this.makeRoom(n);
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }

  /** A second change at the instant of the last stored point: the newer value wins. */
  private sameInstant(n: number, v: number): void {
    if (n > 1 && this.vs[n - 2] === v && this.minDt === 0) this.n--; // back to the previous value: no change at all
    else this.vs[n - 1] = this.minDt === 0 ? v : Math.max(this.vs[n - 1], v);
  }

  /** The series buffer is full: grow it up to the cap, then thin it. */
  private makeRoom(n: number): void {
    if (n < this.cap) {
      const m = Math.min(this.cap, n * 2);
      const ts = new Float64Array(m);
      const vs = new Float64Array(m);
      ts.set(this.ts);
      vs.set(this.vs);
      this.ts = ts;
      this.vs = vs;
    } else {
      this.thin();
    }
  }

  /** Merge points pairwise (time of the first, larger value) and double the spacing. */
  private thin(): void {
    let j = 0;
    for (let i = 0; i < this.n; i += 2) {
      this.ts[j] = this.ts[i];
      this.vs[j] = i + 1 < this.n ? Math.max(this.vs[i], this.vs[i + 1]) : this.vs[i];
      j++;
    }
    this.n = j;
    this.minDt = this.minDt === 0 ? Math.max(1, Math.floor((this.ts[j - 1] - this.ts[0]) / j)) : this.minDt * 2;
  }

  reset(): void {
    const t = this.clock.now;
    this.integral = 0;
    this.lastT = t;
    this.startT = t;
    this.max = this.last;
    this.n = 0;
    this.minDt = 0;
    this.push(t, this.last);
  }

  /** Time-weighted mean from the start (or last reset) to `now`. */
  mean(now = this.clock.now): number {
    const span = now - this.startT;
    if (span <= 0) return this.last;
    return (this.integral + this.last * (now - this.lastT)) / span;
  }

  series(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.n; i++) out.push([this.ts[i], this.vs[i]]);
    return out;
  }
}

/** Canonical metric key: `name` or `name{a=1,b=x}` with labels sorted by key. */
export function metricKey(name: string, labels?: Labels): string {
  if (!labels) return name;
  const ks = Object.keys(labels);
  if (ks.length === 0) return name;
  // One label (most metrics asked for per fault or per page): no sort, no array built.
  if (ks.length === 1) return `${name}{${ks[0]}=${labels[ks[0]!]}}`;
  ks.sort();
  return `${name}{${ks.map((k) => `${k}=${labels[k]}`).join(',')}}`;
}

/** Round a statistic to 3 decimals so snapshots print the same on every machine. */
function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A histogram's snapshot; experiments build the same form from pooled buckets. */
export function histogramSnapshot(h: Histogram): HistogramSnapshot {
  return {
    type: 'histogram', unit: 'ns', count: h.count, mean: r3(h.mean()),
    p50: h.quantile(0.5), p90: h.quantile(0.9), p99: h.quantile(0.99), p999: h.quantile(0.999),
    min: h.count ? h.min : 0, max: h.count ? h.max : 0, sum: h.sum,
    buckets: h.buckets(),
  };
}

type Metric = { kind: 'h'; h: Histogram } | { kind: 'c'; c: Counter } | { kind: 'g'; g: Gauge };

/** All metrics of a run. Asking twice for one key returns the same object (shared statistics). */
export class Recorder {
  private readonly metrics = new Map<string, Metric>();

  constructor(private readonly clock: Clock) {}

  histogram(name: string, labels?: Labels): Histogram {
    const k = metricKey(name, labels);
    const m = this.metrics.get(k);
    if (m) {
      if (m.kind !== 'h') throw new TypeError(`metric ${k} is a ${m.kind === 'c' ? 'counter' : 'gauge'}, not a histogram`);
      return m.h;
    }
    const h = new Histogram();
    this.metrics.set(k, { kind: 'h', h });
    return h;
  }

  counter(name: string, labels?: Labels): Counter {
    const k = metricKey(name, labels);
    const m = this.metrics.get(k);
    if (m) {
      if (m.kind !== 'c') throw new TypeError(`metric ${k} is not a counter`);
      return m.c;
    }
    const c = new Counter();
    this.metrics.set(k, { kind: 'c', c });
    return c;
  }

  gauge(name: string, labels?: Labels): Gauge {
    const k = metricKey(name, labels);
    const m = this.metrics.get(k);
    if (m) {
      if (m.kind !== 'g') throw new TypeError(`metric ${k} is not a gauge`);
      return m.g;
    }
    const g = new Gauge(this.clock);
    this.metrics.set(k, { kind: 'g', g });
    return g;
  }

  /** Warm-up: clear every histogram and counter; gauges restart their mean and series at now. */
  reset(): void {
    for (const m of this.metrics.values()) {
      if (m.kind === 'h') m.h.reset();
      else if (m.kind === 'c') m.c.reset();
      else m.g.reset();
    }
  }

  /** Every metric, keys sorted, fields in fixed order. */
  snapshot(): MetricsBody {
    const out: MetricsBody = {};
    const keys = [...this.metrics.keys()].sort();
    const now = this.clock.now;
    for (const k of keys) {
      const m = this.metrics.get(k)!;
      if (m.kind === 'c') out[k] = { type: 'counter', value: m.c.value };
      else if (m.kind === 'h') out[k] = histogramSnapshot(m.h);
      else {
        const g = m.g;
        out[k] = { type: 'gauge', mean: r3(g.mean(now)), max: g.max, last: g.last, series: g.series() };
      }
    }
    return out;
  }
}
