// Refitting some of a profile's costs to some measured rows, through the model itself: the
// model's figure at each size is taken as linear in the chosen costs (the model composes them
// by sums, sim/costs/README.md), the slopes measured by running it with each cost nudged, and
// the costs solved by least squares on relative error. Used to leave one size out, refit on the
// others and predict it (calibration-predictions.test.ts).
import assert from 'node:assert/strict';
import type { CostName, CostProfile } from '../../sim/costs/index.js';

/** The model's figure (ns) at `size` under `profile`. */
export type ModelAt = (size: string, profile: CostProfile) => Promise<number>;

export interface Refit {
  /** The refitted costs, by name. */
  costs: Record<string, number>;
  profile: CostProfile;
}

/** The figure at every size with the base costs, and its slope in each cost (per ns of cost). */
export interface Sensitivity {
  base: Record<string, number>;
  slope: Record<string, number[]>;
}

/** Run the model at each size with the base profile and with each cost nudged by `step[i]` ns. */
export async function sensitivity(model: ModelAt, base: CostProfile, costs: CostName[], step: number[], sizes: string[]): Promise<Sensitivity> {
  const out: Sensitivity = { base: {}, slope: {} };
  for (const size of sizes) {
    const y0 = await model(size, base);
    out.base[size] = y0;
    out.slope[size] = [];
    for (let j = 0; j < costs.length; j++) {
      const nudged = base.withOverrides({ [costs[j]!]: base.ns(costs[j]!) + step[j]! });
      out.slope[size]!.push(((await model(size, nudged)) - y0) / step[j]!);
    }
  }
  return out;
}

/**
 * Least squares on relative error over `sizes`: the cost values that bring the model's figures
 * closest to `measured`. Undefined when the sizes cannot tell the costs apart (a singular system,
 * e.g. two costs that every kept size charges in the same proportion).
 */
export function refit(s: Sensitivity, base: CostProfile, costs: CostName[], sizes: string[], measured: (size: string) => number): Refit | undefined {
  const k = costs.length;
  assert.ok(sizes.length >= k, `refit of ${k} costs needs at least ${k} sizes, got ${sizes.length}`);
  // Normal equations A d = b with rows weighted by 1 / measured (relative error).
  const A = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const b = new Array<number>(k).fill(0);
  for (const size of sizes) {
    const w = 1 / measured(size);
    const J = s.slope[size]!;
    const r = (measured(size) - s.base[size]!) * w;
    for (let i = 0; i < k; i++) {
      b[i]! += J[i]! * w * r;
      for (let j = 0; j < k; j++) A[i]![j]! += J[i]! * w * J[j]! * w;
    }
  }
  const d = solve(A, b);
  if (!d) return undefined;
  const fitted: Record<string, number> = {};
  costs.forEach((c, i) => (fitted[c] = base.ns(c) + d[i]!));
  if (Object.values(fitted).some((v) => v < 0)) return undefined;
  return { costs: fitted, profile: base.withOverrides(fitted) };
}

/** Gaussian elimination with partial pivoting; undefined when (numerically) singular. */
function solve(A: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  const scale = Math.max(...A.flat().map(Math.abs));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (Math.abs(M[p]![c]!) <= scale * 1e-10) return undefined;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / M[c]![c]!;
      for (let j = c; j <= n; j++) M[r]![j]! -= f * M[c]![j]!;
    }
  }
  return M.map((row, i) => row[n]! / row[i]!);
}
