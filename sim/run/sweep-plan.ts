// A sweep's plan: every run it will make, in canonical order, with the seed of each point and a
// fingerprint that names the grid. The plan depends only on the request (never on workers,
// shards or the clock), so every shard of a sweep, on any machine, plans the same runs; a
// shard is then a deterministic slice of them.
//
// Canonical order: variant (as given), then grid point (first --param outermost), then
// replication. A point's seed derives from the base seed and its parameter values, never from
// the variant, so variants at one point share their random streams (common random numbers)
// and replication i draws every stream from (seed, i).
import { UsageError } from '../errors.js';
import { resolveProfile } from '../costs/index.js';
import { canonicalJson, sha256Hex } from '../output/canonical-json.js';
import { loadWorkload } from '../workload/load.js';
import { variantFor, workloadHash } from './runner.js';
import { preloadRun, type PreloadedRun } from './run-spec.js';
import { gridPoints, pointSets, type Axis, type GridPoint } from './grid.js';
import type { Slo } from './knee.js';

export const SWEEP_SCHEMA_ID = 'rmsim.sweep/1';

export interface SweepRequest {
  /** Built-in workload name or file path, as given to `rmsim sweep`. */
  workload: string;
  /** The user's --set assignments, applied before each point's parameters. */
  sets: readonly string[];
  axes: readonly Axis[];
  /** --variants; undefined runs the workload's own variant (or --variant). */
  variants?: readonly string[];
  /** --variant, used when --variants is absent. */
  variant?: string;
  replications: number;
  /** --seed: the base seed every point's seed derives from (default: the workload's). */
  seed?: number;
  profile?: string;
  slo?: Slo;
  /** --search: the range a bisection explored (the axis then holds the values it probed). */
  search?: { path: string; lo: number; hi: number; unit: string };
}

/** What one run needs: the fields of run-spec.ts's RunSpec, plus where it sits in the plan. */
export interface PlannedRun {
  index: number;
  point: number;
  replication: number;
  workload: string;
  sets: string[];
  variant?: string;
  seed: number;
  profile?: string;
  /** The point's workload and profile as the planner loaded them, handed on to the run. */
  preloaded?: PreloadedRun;
}

export interface PlannedPoint {
  index: number;
  params: GridPoint;
  /** The variant's resolved name (as metrics.json names it). */
  variant: string;
  seed: number;
}

export interface SweepPlan {
  request: SweepRequest;
  workloadName: string;
  baseSeed: number;
  /** sha256 of the workload as run at the base point and of the cost profile's content. */
  workloadSha256: string;
  profileSha256: string;
  profileName: string;
  points: PlannedPoint[];
  runs: PlannedRun[];
  fingerprint: string;
}

/** A shard `i/N` (1-based): which slice of the runs this process makes. */
export interface Shard {
  index: number;
  count: number;
}

/** Parse `--shard i/N` (1-based, 1 <= i <= N). */
export function parseShard(text: string): Shard {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard: expected i/N with 1 <= i <= N (e.g. 2/3; 1-based), found ${JSON.stringify(text)}`);
  return { index, count };
}

/** The runs of one shard: every N-th run from the i-th, so each shard gets a share of every point. */
export function shardRuns(plan: SweepPlan, shard: Shard): PlannedRun[] {
  return plan.runs.filter((r) => r.index % shard.count === shard.index - 1);
}

/**
 * The seed of a grid point: the first 32 bits of sha256 over the base seed and the point's
 * parameter values. The variant is left out on purpose (common random numbers).
 */
export function pointSeed(baseSeed: number, params: GridPoint): number {
  const hex = sha256Hex(canonicalJson({ seed: baseSeed, params: params.map((p) => [p.path, p.value]) }));
  return Number.parseInt(hex.slice(0, 8), 16);
}

/** The grid points, or (for a search, whose variants probe different values) the points per variant. */
export type GridOf = readonly GridPoint[] | ((variant: string | undefined) => readonly GridPoint[]);

/** The variants a request runs, as given (undefined: the workload's own or --variant). */
export function variantSpecs(req: SweepRequest): Array<string | undefined> {
  return req.variants && req.variants.length > 0 ? [...req.variants] : [req.variant];
}

/**
 * Plan a sweep. Loads the workload at every point and variant first, so a bad path, value or
 * variant is refused (exit 2) before any run is spent.
 */
export function planSweep(req: SweepRequest, grid: GridOf = gridPoints(req.axes)): SweepPlan {
  if (!Number.isSafeInteger(req.replications) || req.replications < 1) throw new UsageError(`--replications must be a positive integer, got ${req.replications}`);
  const specs = variantSpecs(req);
  const base = loadWorkload(req.workload, { sets: req.sets, seed: req.seed, variant: specs[0] });
  const baseSeed = base.seed;
  const profile = resolveProfile(req.profile ?? base.profile);
  const points: PlannedPoint[] = [];
  const runs: PlannedRun[] = [];
  for (const variant of specs) {
    for (const params of typeof grid === 'function' ? grid(variant) : grid) {
      const seed = pointSeed(baseSeed, params);
      const sets = [...req.sets, ...pointSets(params)];
      const w = loadWorkload(req.workload, { sets, seed, variant });
      const preloaded = preloadRun(w, req.profile);
      const point = points.length;
      points.push({ index: point, params, variant: variantFor(w).name, seed });
      for (let replication = 0; replication < req.replications; replication++) {
        runs.push({ index: runs.length, point, replication, workload: req.workload, sets, ...(variant === undefined ? {} : { variant }), seed, ...(req.profile === undefined ? {} : { profile: req.profile }), preloaded });
      }
    }
  }
  const plan: Omit<SweepPlan, 'fingerprint'> = {
    request: req,
    workloadName: base.name,
    baseSeed,
    workloadSha256: workloadHash(base),
    profileSha256: sha256Hex(canonicalJson(profile.file)),
    profileName: profile.name,
    points,
    runs,
  };
  return { ...plan, fingerprint: headerFingerprint(planHeader(plan)) };
}

/**
 * Everything that decides a sweep's results, and nothing about how it is run: the header every
 * shard carries, from which merge rebuilds sweep.json without reloading the workload.
 */
export interface SweepHeader {
  schema: typeof SWEEP_SCHEMA_ID;
  workload: string;
  workload_sha256: string;
  profile: string;
  profile_sha256: string;
  seed: number;
  sets: string[];
  params: Array<{ path: string; values: string[] }>;
  replications: number;
  slo: string | null;
  /** Present for --search: the range bisected. */
  search?: { path: string; lo: string; hi: string };
  /** Canonical order; `at` indexes each axis's values. */
  points: Array<{ at: number[]; variant: string; seed: number }>;
}

export function planHeader(plan: Omit<SweepPlan, 'fingerprint'>): SweepHeader {
  const r = plan.request;
  return {
    schema: SWEEP_SCHEMA_ID,
    workload: plan.workloadName,
    workload_sha256: plan.workloadSha256,
    profile: plan.profileName,
    profile_sha256: plan.profileSha256,
    seed: plan.baseSeed,
    sets: [...r.sets],
    params: r.axes.map((a) => ({ path: a.path, values: a.values.map((v) => v.raw) })),
    replications: r.replications,
    slo: r.slo?.text ?? null,
    ...(r.search ? { search: { path: r.search.path, lo: `${r.search.lo}${r.search.unit}`, hi: `${r.search.hi}${r.search.unit}` } } : {}),
    points: plan.points.map((p) => ({ at: p.params.map((x, k) => r.axes[k].values.findIndex((v) => v.raw === x.raw)), variant: p.variant, seed: p.seed })),
  };
}

/** The grid's fingerprint: sha256 over the canonical header. */
export function headerFingerprint(header: SweepHeader): string {
  return `sha256:${sha256Hex(canonicalJson(header))}`;
}
