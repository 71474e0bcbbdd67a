// The golden digests: the metrics.json digest of every built-in workload under every variant
// it allows, seed 1. `small` uses the scaled-down sizes of test/workload/small-runs.ts (checked
// by every `npm test`); `shipped` uses each workload file as shipped (checked under RMSIM_LONG,
// except the default variant's, which every run checks too). Regenerate with
// `npm run golden:update`, and commit the result on its own, saying which results moved and why.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listBuiltinWorkloads, loadWorkload } from '../../sim/workload/load.js';
import { runWorkload, variantFor } from '../../sim/run/runner.js';
import { listVariants } from '../../sim/variants/index.js';
import { UsageError } from '../../sim/errors.js';
import { packageRoot } from '../../sim/paths.js';
import { SMALL } from '../workload/small-runs.js';

export type Size = 'small' | 'shipped';

/** size -> "workload variant" -> digest. A refused combination is absent. */
export type Golden = Record<Size, Record<string, string>>;

export const GOLDEN_PATH = join(packageRoot(), 'test', 'golden', 'digests.json');

export function readGolden(): Golden {
  return JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as Golden;
}

export function goldenKey(workload: string, variant: string): string {
  return `${workload} ${variant}`;
}

/** Every built-in workload with every variant it allows (the variant refusing it is skipped). */
export function* combinations(): Generator<{ workload: string; variant: string }> {
  for (const b of listBuiltinWorkloads()) {
    for (const v of listVariants()) {
      try {
        variantFor(loadWorkload(b.name, { variant: v.name, seed: 1 }));
      } catch (err) {
        if (err instanceof UsageError) continue;
        throw err;
      }
      yield { workload: b.name, variant: v.name };
    }
  }
}

export async function digestOf(workload: string, variant: string, size: Size): Promise<string> {
  const sets = size === 'small' ? (SMALL[workload] ?? []) : [];
  const out = await runWorkload({ workload: loadWorkload(workload, { variant, seed: 1, sets }) });
  return out.metrics.digest;
}
