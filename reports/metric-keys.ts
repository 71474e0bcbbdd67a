// Metric keys as metrics.json writes them: `name{k=v,...}` with labels sorted (the inverse of
// the engine's metricKey).
export interface ParsedKey {
  name: string;
  labels: Record<string, string>;
  /** The label part as written, '' when there is none: `size=2MiB`. */
  labelText: string;
}

export function parseMetricKey(key: string): ParsedKey {
  const open = key.indexOf('{');
  if (open < 0 || !key.endsWith('}')) return { name: key, labels: {}, labelText: '' };
  const labelText = key.slice(open + 1, -1);
  const labels: Record<string, string> = {};
  for (const part of labelText.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    labels[eq < 0 ? part : part.slice(0, eq)] = eq < 0 ? '' : part.slice(eq + 1);
  }
  return { name: key.slice(0, open), labels, labelText };
}

/** Group metric keys by family name, keys in input order. */
export function groupByFamily(keys: Iterable<string>): Map<string, string[]> {
  const families = new Map<string, string[]>();
  for (const key of keys) {
    const { name } = parseMetricKey(key);
    let list = families.get(name);
    if (!list) families.set(name, (list = []));
    list.push(key);
  }
  return families;
}
