// The parameter grid of a sweep: `--param path=values`, one axis per flag, in DESIGN.md's path
// grammar (the --set grammar: vms.count, actors.guest.think). Values are written as
//   a list               vms.count=1,2,4,8        host.thp=never,always    vms.memory=64MiB,128MiB
//   a range (step 1)     vms.count=1..8
//   a stepped range      vms.count=4..32+4        (4, 8, ..., 32)
//   a geometric range    vms.count=1..256*2       (1, 2, 4, ..., 256)   vms.memory=64MiB..1GiB*2
// Range ends may carry a unit (the same on both ends): 10us..80us*2. The grid is the cartesian
// product of the axes, the first axis outermost; that order is the sweep's canonical order.
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';
import { parsePath, PathError } from '../workload/set-path.js';

/** One swept field: its path as written and its values in order (raw text and parsed value). */
export interface Axis {
  path: string;
  values: AxisValue[];
}

export interface AxisValue {
  /** The text handed to the run as `--set path=raw`. */
  raw: string;
  /** The YAML value of `raw` (a number, a word, a size string ...), as sweep.json shows it. */
  value: unknown;
}

/** One point of the grid: an axis value per axis, in axis order. */
export type GridPoint = ReadonlyArray<{ path: string; raw: string; value: unknown }>;

/** Refuse grids beyond this many points: a typo such as 1..1e9 should not start a day of runs. */
export const MAX_GRID_POINTS = 100_000;

const RANGE = /^(-?[0-9]+(?:\.[0-9]+)?)([A-Za-zµ/]*)\s*\.\.\s*(-?[0-9]+(?:\.[0-9]+)?)([A-Za-zµ/]*)(?:\s*([+*])\s*([0-9]+(?:\.[0-9]+)?))?$/;

/** Parse one `--param path=values` into an axis. Throws UsageError with what was expected. */
export function parseAxis(text: string): Axis {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param ${text}: expected path=values (e.g. vms.count=1,2,4,8 or vms.count=1..256*2)`);
  const path = text.slice(0, eq).trim();
  try {
    parsePath(path);
  } catch (err) {
    if (err instanceof PathError) throw new UsageError(`--param ${text}: ${err.message}`);
    throw err;
  }
  const spec = text.slice(eq + 1).trim();
  if (spec === '') throw new UsageError(`--param ${text}: expected values after "=", found nothing`);
  const raws = RANGE.test(spec) ? expandRange(text, spec) : splitList(text, spec);
  const seen = new Set<string>();
  for (const r of raws) {
    if (seen.has(r)) throw new UsageError(`--param ${text}: value ${r} appears twice`);
    seen.add(r);
  }
  return { path, values: raws.map((raw) => ({ raw, value: yamlValue(text, raw) })) };
}

/** Every --param flag; a path may be swept only once. */
export function parseAxes(texts: readonly string[]): Axis[] {
  const axes = texts.map(parseAxis);
  const paths = new Set<string>();
  for (const a of axes) {
    if (paths.has(a.path)) throw new UsageError(`--param ${a.path}: swept twice; give all its values in one --param`);
    paths.add(a.path);
  }
  return axes;
}

/** The grid points in canonical order (first axis outermost); one empty point with no axes. */
export function gridPoints(axes: readonly Axis[]): GridPoint[] {
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > MAX_GRID_POINTS) throw new UsageError(`--param: the grid has ${total} points; at most ${MAX_GRID_POINTS} are allowed (use --search for a knee)`);
  let points: GridPoint[] = [[]];
  for (const axis of axes) {
    points = points.flatMap((p) => axis.values.map((v) => [...p, { path: axis.path, raw: v.raw, value: v.value }]));
  }
  return points;
}

/** The `--set path=value` strings that put a run at this point. */
export function pointSets(point: GridPoint): string[] {
  return point.map((p) => `${p.path}=${p.raw}`);
}

/** Split a list at top-level commas (a value may itself be a flow list: [4KiB, 2MiB]). */
function splitList(text: string, spec: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of spec) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur.trim());
  if (out.some((v) => v === '')) throw new UsageError(`--param ${text}: expected values separated by commas, found an empty value`);
  return out;
}

function expandRange(text: string, spec: string): string[] {
  const m = RANGE.exec(spec)!;
  const [, loText, loUnit, hiText, hiUnit, kind, stepText] = m;
  if (loUnit !== hiUnit) throw new UsageError(`--param ${text}: expected both ends of the range in the same unit, found ${JSON.stringify(loUnit)} and ${JSON.stringify(hiUnit)}`);
  const lo = Number(loText);
  const hi = Number(hiText);
  const step = stepText === undefined ? 1 : Number(stepText);
  if (hi < lo) throw new UsageError(`--param ${text}: expected lo..hi with lo <= hi, found ${lo}..${hi}`);
  if (kind === '*' && !(step > 1 && lo > 0)) throw new UsageError(`--param ${text}: a geometric range needs a start above 0 and a factor above 1 (e.g. 1..256*2)`);
  if (kind !== '*' && !(step > 0)) throw new UsageError(`--param ${text}: expected a step above 0`);
  const values: number[] = [];
  // Each value is computed from the start (never accumulated), so 0.1-style steps do not drift.
  for (let i = 0; ; i++) {
    const v = kind === '*' ? lo * step ** i : lo + step * i;
    const rounded = Number(v.toPrecision(12));
    if (rounded > hi) break;
    values.push(rounded);
    if (values.length > MAX_GRID_POINTS) throw new UsageError(`--param ${text}: more than ${MAX_GRID_POINTS} values`);
  }
  return values.map((v) => `${v}${loUnit}`);
}

function yamlValue(text: string, raw: string): unknown {
  try {
    return parseYaml(raw) as unknown;
  } catch {
    throw new UsageError(`--param ${text}: expected a value (number, size, word, true/false or [list]), found ${JSON.stringify(raw)}`);
  }
}
