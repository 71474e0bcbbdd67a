// The capacity knee of a sweep: along the swept parameter, the largest value up to which every
// point meets the SLO (`--slo 'fault.latency_ns.p99<=50us'`) and no run of the point carries a
// `saturated` warning. A saturated host makes latency look better (work that never ran is never
// measured), so a saturated point never meets the SLO, whatever its figure says.
//
// With replications the verdict has an interval: a point surely meets when the 95% interval of
// the statistic lies inside the SLO, possibly meets when its lower end does. The knee's interval
// is [knee over "surely", knee over "possibly"]; the grid bounds it too: the knee lies below the
// first failing value (`next`).
import { UsageError } from '../errors.js';
import { parseDuration, parseSize, UnitError } from '../units.js';
import { parseMetricPath, PathError } from '../workload/set-path.js';

export type SloOp = '<=' | '<' | '>=' | '>';

export interface Slo {
  /** As given, for sweep.json and messages. */
  text: string;
  metric: string;
  labels: Record<string, string>;
  stat: string;
  op: SloOp;
  /** The threshold in the metric's unit (ns for *_ns, bytes for *_bytes). */
  threshold: number;
}

/** Parse `metric{labels}.stat<=value`; the value's unit follows the metric's (50us for *_ns). */
export function parseSlo(text: string): Slo {
  let m;
  try {
    m = parseMetricPath(text);
  } catch (err) {
    if (err instanceof PathError) throw new UsageError(`--slo: ${err.message}`);
    throw err;
  }
  if (!m.op || m.value === undefined) throw new UsageError(`--slo ${text}: expected a bound such as fault.latency_ns.p99<=50us`);
  if (m.op === '==') throw new UsageError(`--slo ${text}: expected <=, <, >= or >, found ==`);
  let threshold: number;
  try {
    threshold = m.metric.endsWith('_ns') ? parseDuration(m.value) : m.metric.endsWith('_bytes') ? parseSize(m.value) : plainNumber(m.value);
  } catch (err) {
    if (err instanceof UnitError) throw new UsageError(`--slo ${text}: ${err.message}`);
    throw err;
  }
  return { text: text.trim(), metric: m.metric, labels: m.labels, stat: m.stat, op: m.op, threshold };
}

function plainNumber(s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n)) throw new UnitError('a number', JSON.stringify(s));
  return n;
}

/** Does `value` satisfy the SLO's bound? */
export function withinSlo(slo: Slo, value: number): boolean {
  switch (slo.op) {
    case '<=': return value <= slo.threshold;
    case '<': return value < slo.threshold;
    case '>=': return value >= slo.threshold;
    case '>': return value > slo.threshold;
  }
}

/** The metrics.json key the SLO names: same family name and exactly the same labels. */
export function sloMetricKey(slo: Slo, keys: Iterable<string>): string | undefined {
  const want = canonicalLabels(slo.labels);
  for (const key of keys) {
    const m = /^([^{]+)(?:\{([^}]*)\})?$/.exec(key);
    if (!m || m[1] !== slo.metric) continue;
    const labels: Record<string, string> = {};
    for (const kv of (m[2] ?? '').split(',').filter((s) => s !== '')) {
      const [k, v] = kv.split('=');
      labels[k] = v ?? '';
    }
    if (canonicalLabels(labels) === want) return key;
  }
  return undefined;
}

function canonicalLabels(labels: Record<string, string>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

/** Why a point fails (or `ok`). */
export type SloReason = 'ok' | 'slo' | 'saturated' | 'no_data';

/** A point's SLO verdict: by the mean, and at both ends of the statistic's 95% interval. */
export interface SloVerdict {
  meets: boolean;
  meets_surely: boolean;
  meets_possibly: boolean;
  reason: SloReason;
}

/**
 * Judge one point. `stat` is the statistic's mean and interval over replications, or undefined
 * when the metric is absent or counted nothing (no evidence is not a pass).
 */
export function judgePoint(slo: Slo, stat: { mean: number; lo: number; hi: number } | undefined, saturated: boolean): SloVerdict {
  if (saturated) return { meets: false, meets_surely: false, meets_possibly: false, reason: 'saturated' };
  if (!stat) return { meets: false, meets_surely: false, meets_possibly: false, reason: 'no_data' };
  const upward = slo.op === '<=' || slo.op === '<';
  const worst = upward ? stat.hi : stat.lo;
  const best = upward ? stat.lo : stat.hi;
  const meets = withinSlo(slo, stat.mean);
  return { meets, meets_surely: withinSlo(slo, worst), meets_possibly: withinSlo(slo, best), reason: meets ? 'ok' : 'slo' };
}

export interface KneeInput<V> {
  value: V;
  verdict: SloVerdict;
}

export interface Knee<V> {
  /** Largest value up to which every point meets the SLO (by the mean); null when the first fails. */
  knee: V | null;
  /** [knee when every point must surely meet, knee when it need only possibly meet]. */
  interval: [V | null, V | null];
  /** The first value that fails (the knee lies below it), or null when every value meets. */
  next: V | null;
  /** Why `next` fails. */
  next_reason: SloReason | null;
}

/** The knee along points in ascending order of the swept value. */
export function findKnee<V>(points: ReadonlyArray<KneeInput<V>>): Knee<V> {
  const prefix = (ok: (v: SloVerdict) => boolean): V | null => {
    let last: V | null = null;
    for (const p of points) {
      if (!ok(p.verdict)) break;
      last = p.value;
    }
    return last;
  };
  const failing = points.find((p) => !p.verdict.meets);
  return {
    knee: prefix((v) => v.meets),
    interval: [prefix((v) => v.meets_surely), prefix((v) => v.meets_possibly)],
    next: failing ? failing.value : null,
    next_reason: failing ? failing.verdict.reason : null,
  };
}
