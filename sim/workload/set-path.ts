// The one path grammar of DESIGN.md for --set (and later --param, --slo, check):
//   workload fields as dotted paths      vms.count   host.thp   actors[1].rate   actors.punchers.rate
//   metric statistics                    fault.latency_ns{size=2MiB}.p99<=50us
// Array elements are addressed by index (actors[1] or actors.1) or by their `name` field.
// Values are YAML scalars or flow collections: 4, 2MiB, always, true, [4KiB, 2MiB].
import { parse as parseYaml } from 'yaml';
import { didYouMean } from './did-you-mean.js';
import type { PathSegment } from './source.js';

export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

export interface Assignment {
  /** The text as given, for messages. */
  text: string;
  path: PathSegment[];
  value: unknown;
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Parse "actors[1].rate" or "actors.1.rate" into segments; numbers become indices. */
export function parsePath(text: string): PathSegment[] {
  if (text.trim() === '') throw new PathError('expected a dotted field path such as vms.count, found nothing');
  const out: PathSegment[] = [];
  for (const part of text.split('.')) {
    const m = /^([^[\]]*)((?:\[[0-9]+\])*)$/.exec(part);
    if (!m) throw new PathError(`expected a dotted field path such as actors[0].rate, found ${JSON.stringify(text)}`);
    const [, name, indices] = m;
    if (name !== '') {
      if (/^[0-9]+$/.test(name)) out.push(Number(name));
      else if (SEGMENT.test(name)) out.push(name);
      else throw new PathError(`expected a field name (letters, digits, _ and -), found ${JSON.stringify(name)} in ${JSON.stringify(text)}`);
    } else if (indices === '') {
      throw new PathError(`expected a field name between dots, found an empty segment in ${JSON.stringify(text)}`);
    }
    for (const idx of indices.matchAll(/\[([0-9]+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** Parse "path=value" as given to --set. */
export function parseAssignment(text: string): Assignment {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new PathError(`expected path=value (e.g. vms.count=4), found ${JSON.stringify(text)}`);
  const path = parsePath(text.slice(0, eq).trim());
  const raw = text.slice(eq + 1).trim();
  if (raw === '') throw new PathError(`expected a value after "=" in ${JSON.stringify(text)}, found nothing`);
  let value: unknown;
  try {
    value = parseYaml(raw) as unknown;
  } catch {
    throw new PathError(`expected a value (number, size, word, true/false or [list]) in ${JSON.stringify(text)}, found ${JSON.stringify(raw)}`);
  }
  return { text, path, value };
}

/**
 * Apply one assignment to a plain workload value (mutating it), creating intermediate objects.
 * Array elements must exist (by index or name); object keys are checked later by the schema,
 * which gives the "did you mean" for unknown fields. Returns the path with names resolved to
 * indices, so later problems can be traced back to this --set.
 */
export function applyAssignment(root: Record<string, unknown>, a: Assignment): PathSegment[] {
  const resolved: PathSegment[] = [];
  let node: unknown = root;
  for (let i = 0; i < a.path.length; i++) {
    let seg = a.path[i];
    const last = i === a.path.length - 1;
    if (Array.isArray(node)) {
      if (typeof seg === 'string') {
        const names = node.map((el) => (el && typeof el === 'object' ? (el as { name?: unknown }).name : undefined));
        const idx = names.indexOf(seg);
        if (idx < 0) {
          const known = names.filter((n): n is string => typeof n === 'string');
          const guess = didYouMean(seg, known);
          throw new PathError(
            `--set ${a.text}: ${prefix(resolved)}: expected an index 0..${node.length - 1}` +
              (known.length ? ` or a name (${known.join(', ')})` : '') +
              `, found ${JSON.stringify(seg)}` + (guess ? ` (did you mean "${guess}"?)` : ''),
          );
        }
        seg = idx;
      } else if (seg >= node.length) {
        throw new PathError(`--set ${a.text}: ${prefix(resolved)}: expected an index 0..${node.length - 1}, found ${seg}`);
      }
    } else if (node === null || typeof node !== 'object') {
      throw new PathError(`--set ${a.text}: ${prefix(resolved)}: expected an object with fields, found ${JSON.stringify(node)}`);
    } else if (typeof seg === 'number') {
      throw new PathError(`--set ${a.text}: ${prefix(resolved)}: expected a field name, found index ${seg} (not a list)`);
    }
    resolved.push(seg);
    const container = node as Record<string | number, unknown>;
    if (last) {
      container[seg] = a.value;
    } else {
      if (container[seg] === undefined) container[seg] = {};
      node = container[seg];
    }
  }
  return resolved;
}

function prefix(path: PathSegment[]): string {
  if (path.length === 0) return '(workload)';
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s;
}

/** A metric statistic path: name{labels}.stat, optionally compared: <=, <, >=, >, ==. */
export interface MetricPath {
  metric: string;
  labels: Record<string, string>;
  stat: string;
  op?: '<=' | '<' | '>=' | '>' | '==';
  value?: string;
}

/** Parse "fault.latency_ns{size=2MiB}.p99<=50us" (the statistic is the last dotted part). */
export function parseMetricPath(text: string): MetricPath {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*?)(\{[^}]*\})?\.([A-Za-z0-9_]+)\s*(?:(<=|>=|==|<|>)\s*(.+))?$/.exec(text.trim());
  if (!m) throw new PathError(`expected metric{labels}.stat such as fault.latency_ns.p99<=50us, found ${JSON.stringify(text)}`);
  const labels: Record<string, string> = {};
  if (m[2]) {
    for (const kv of m[2].slice(1, -1).split(',').filter((s) => s.trim() !== '')) {
      const [k, v] = kv.split('=');
      if (!k || v === undefined) throw new PathError(`expected labels as {k=v,...}, found ${JSON.stringify(m[2])}`);
      labels[k.trim()] = v.trim();
    }
  }
  return { metric: m[1], labels, stat: m[3], op: m[4] as MetricPath['op'], value: m[5]?.trim() };
}
