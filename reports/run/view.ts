// A metrics document as the run report's sections read it: metrics by family, lock families
// found by their suffixes, and a record of which keys a section has shown so that "everything
// else" gets exactly the rest.
import { groupByFamily, parseMetricKey } from '../metric-keys.js';
import type { CounterMetric, GaugeMetric, HistogramMetric, Metric, MetricsDoc } from '../metrics-types.js';

export interface Member<M extends Metric> { key: string; name: string; labels: Record<string, string>; labelText: string; m: M }

/** The statistics the engine records for every lock (sim/engine locks). */
export const LOCK_SUFFIXES = ['acquisitions', 'contended', 'wait_ns', 'hold_ns', 'queue_len'] as const;

export class RunView {
  readonly families: Map<string, string[]>;
  private readonly shown = new Set<string>();

  constructor(readonly doc: MetricsDoc) {
    this.families = groupByFamily(Object.keys(doc.metrics).sort());
  }

  get endNs(): number {
    return this.doc.sim_end_ns ?? 0;
  }

  private members<M extends Metric>(family: string, type: M['type']): Array<Member<M>> {
    return (this.families.get(family) ?? [])
      .filter((k) => this.doc.metrics[k].type === type)
      .map((key) => ({ key, ...parseMetricKey(key), m: this.doc.metrics[key] as M }));
  }

  histograms(family: string): Array<Member<HistogramMetric>> { return this.members(family, 'histogram'); }
  counters(family: string): Array<Member<CounterMetric>> { return this.members(family, 'counter'); }
  gauges(family: string): Array<Member<GaugeMetric>> { return this.members(family, 'gauge'); }

  /** Sum of a counter family over its label sets; undefined when the family is absent. */
  counterTotal(family: string): number | undefined {
    const cs = this.counters(family);
    return cs.length === 0 ? undefined : cs.reduce((a, c) => a + c.m.value, 0);
  }

  /** Lock names: families that have every lock statistic (`notifier_lock.wait_ns` ...). */
  lockNames(): string[] {
    const names = new Set<string>();
    for (const f of this.families.keys()) {
      const dot = f.lastIndexOf('.');
      const base = f.slice(0, dot);
      if (dot > 0 && LOCK_SUFFIXES.every((s) => this.families.has(`${base}.${s}`))) names.add(base);
    }
    return [...names];
  }

  /** Mark families as shown by a section. */
  show(...families: string[]): void {
    for (const f of families) if (this.families.has(f)) this.shown.add(f);
  }

  /** Families no section has shown yet, by name. */
  rest(): string[] {
    return [...this.families.keys()].filter((f) => !this.shown.has(f)).sort();
  }
}
