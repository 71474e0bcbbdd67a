// --csv: every distribution, its buckets, every time series and every counter of a metrics
// body as plain CSV files (RFC 4180 quoting), for spreadsheets and plotting tools.

type Metric =
  | { type: 'counter'; value: number }
  | { type: 'histogram'; unit?: string; count: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number; min?: number; buckets: Array<[number, number]> }
  | { type: 'gauge'; mean: number; max: number; last: number; series: Array<[number, number]> };

function cell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function rows(header: string[], body: Array<Array<string | number>>): string {
  return [header, ...body].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** Split "name{a=1,b=2}" into its name and label text. */
function splitKey(key: string): [string, string] {
  const i = key.indexOf('{');
  return i < 0 ? [key, ''] : [key.slice(0, i), key.slice(i + 1, -1)];
}

/** CSV files by file name for a metrics body (keys already in canonical order). */
export function metricsToCsv(metrics: Record<string, unknown>): Record<string, string> {
  const dist: Array<Array<string | number>> = [];
  const buckets: Array<Array<string | number>> = [];
  const series: Array<Array<string | number>> = [];
  const counters: Array<Array<string | number>> = [];
  for (const key of Object.keys(metrics).sort()) {
    const m = metrics[key] as Metric;
    const [name, labels] = splitKey(key);
    if (m.type === 'histogram') {
      dist.push([name, labels, m.unit ?? 'ns', m.count, m.mean, m.p50, m.p90, m.p99, m.p999, m.max]);
      for (const [low, count] of m.buckets) buckets.push([name, labels, low, count]);
    } else if (m.type === 'gauge') {
      dist.push([name, labels, 'gauge', '', m.mean, '', '', '', '', m.max]);
      for (const [t, v] of m.series) series.push([name, labels, t, v]);
    } else if (m.type === 'counter') {
      counters.push([name, labels, m.value]);
    }
  }
  return {
    'distributions.csv': rows(['metric', 'labels', 'unit', 'count', 'mean', 'p50', 'p90', 'p99', 'p999', 'max'], dist),
    'buckets.csv': rows(['metric', 'labels', 'low_ns', 'count'], buckets),
    'series.csv': rows(['metric', 'labels', 't_ns', 'value'], series),
    'counters.csv': rows(['metric', 'labels', 'value'], counters),
  };
}
