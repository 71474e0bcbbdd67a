// Charging profile costs to the acting process: the only way model code spends simulated time
// on a CPU. Fractional profile values (ns/gfn) are summed first and rounded once per charge.
import type { Process, Yieldable } from '../engine/index.js';

/** Busy `ns` on a CPU (rounded to an integer once); nothing when it rounds to zero. */
export function* charge(p: Process, ns: number): Generator<Yieldable, void, any> {
  const t = Math.round(ns);
  if (t > 0) yield p.compute(t);
}
