// Running the sides of a comparison: one workload under several variants or cost profiles,
// n replications each, with common random numbers (replication i of every side draws from
// (seed, i)), all on one worker pool. Each side pools into its own metrics document.
import type { MetricsDocument } from '../output/metrics-document.js';
import { runMany, type RunManyOptions } from './pool.js';
import { poolResults, replicationSpecs, type BaseSpec } from './replications.js';

export interface SideSpec {
  label: string;
  /** What this side changes in the base spec (variant, profile, extra --set). */
  spec: BaseSpec;
}

export async function runSides(sides: SideSpec[], n: number, opts: RunManyOptions = {}): Promise<Array<{ label: string; doc: MetricsDocument }>> {
  const specs = sides.flatMap((s) => replicationSpecs(s.spec, n));
  const results = await runMany(specs, opts);
  return sides.map((s, i) => ({ label: s.label, doc: poolResults(results.slice(i * n, (i + 1) * n)) }));
}
