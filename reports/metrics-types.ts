// The parts of a metrics.json document that reports read. The writer is sim/output/.
export interface HistogramMetric {
  type: 'histogram';
  unit?: string;
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  buckets: Array<[number, number]>;
}
export interface CounterMetric { type: 'counter'; value: number }
export interface GaugeMetric { type: 'gauge'; mean: number; max: number; last: number; series: Array<[number, number]> }
export type Metric = HistogramMetric | CounterMetric | GaugeMetric;

export interface MetricsDoc {
  schema: string;
  workload: string;
  variant: string;
  profile?: string;
  seed: number;
  replication?: number;
  sim_end_ns?: number;
  /** Run warnings (a list of strings or objects with a message), when the run wrote any. */
  warnings?: unknown[];
  metrics: Record<string, Metric>;
  digest?: string;
}

export function isMetricsDoc(v: unknown): v is MetricsDoc {
  const d = v as MetricsDoc;
  return typeof d === 'object' && d !== null && typeof d.schema === 'string' &&
    d.schema.startsWith('rmsim.metrics/') && typeof d.metrics === 'object' && d.metrics !== null;
}
