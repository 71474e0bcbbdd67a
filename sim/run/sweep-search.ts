// Running `--search`: each bisection round plans its probes as one-point sweeps (same seeds,
// same specs as a grid over those values would use), runs them on the pool together, and
// judges each with the sweep's own aggregation. The runs are kept, and the final sweep.json is
// the document of a sweep over exactly the probed points, knee included.
import { UsageError } from '../errors.js';
import type { Axis, GridPoint } from './grid.js';
import { bisectKnees, searchRaw, type SearchRange } from './search.js';
import { executeRuns, type SweepExecOptions, type SweepExecStats } from './sweep.js';
import { buildSweepDocument, type RunMetrics, type SweepDocument } from './sweep-aggregate.js';
import { planHeader, planSweep, variantSpecs, type PlannedRun, type SweepRequest } from './sweep-plan.js';

function pointAt(range: SearchRange, value: number): GridPoint {
  const raw = searchRaw(range, value);
  return [{ path: range.path, raw, value: range.unit === '' ? value : raw }];
}

function axisOf(range: SearchRange, values: readonly number[]): Axis {
  return { path: range.path, values: values.map((v) => ({ raw: searchRaw(range, v), value: pointAt(range, v)[0].value })) };
}

const runKey = (r: PlannedRun) => JSON.stringify([r.variant ?? null, r.sets, r.replication]);

/** Find each variant's knee over `range` by bisection; `req.axes` must be empty and `req.slo` set. */
export async function runSearch(req: SweepRequest, range: SearchRange, opts: SweepExecOptions = {}): Promise<{ document: SweepDocument; stats: SweepExecStats }> {
  if (!req.slo) throw new UsageError('--search needs --slo: the knee is where the SLO stops being met');
  if (req.axes.length > 0) throw new UsageError('--search explores one parameter: give it without --param');
  const specs = variantSpecs(req);
  const done = new Map<string, RunMetrics>();
  const stats: SweepExecStats = { runs: 0, events: 0, runWallNs: 0, perRun: [] };

  const probe = async (probes: ReadonlyArray<{ searcher: number; value: number }>): Promise<boolean[]> => {
    // One plan per probe (its variant, its value); all of a round's runs go to the pool at once.
    const plans = probes.map((p) => planSweep({ ...req, axes: [axisOf(range, [p.value])], variants: undefined, variant: specs[p.searcher] }, [pointAt(range, p.value)]));
    const todo = plans.flatMap((pl) => pl.runs).filter((r) => !done.has(runKey(r)));
    const ran = await executeRuns(todo, opts);
    todo.forEach((r, k) => done.set(runKey(r), ran.metrics[k]));
    stats.runs += ran.stats.runs;
    stats.events += ran.stats.events;
    stats.runWallNs += ran.stats.runWallNs;
    stats.perRun.push(...ran.stats.perRun);
    return plans.map((pl) => {
      const doc = buildSweepDocument(planHeader(pl), pl.fingerprint, pl.runs.map((r) => done.get(runKey(r))!));
      return doc.points[0].slo!.meets;
    });
  };

  const probed = await bisectKnees(range, specs.length, probe);
  const values = [...new Set(probed.flat())].sort((a, b) => a - b);
  const full = { ...req, axes: [axisOf(range, values)], search: range };
  const plan = planSweep(full, (variant) => probed[specs.indexOf(variant)].map((v) => pointAt(range, v)));
  const document = buildSweepDocument(planHeader(plan), plan.fingerprint, plan.runs.map((r) => done.get(runKey(r))!));
  return { document, stats };
}
