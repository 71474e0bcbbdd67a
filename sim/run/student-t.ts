// The Student-t distribution from jstat, required (it is CommonJS) on first use rather than
// imported: every CLI command reaches the comparison and sweep statistics through its
// registration, and a plain `rmsim run` must not load jstat at start-up.
import { createRequire } from 'node:module';
import type JStat from 'jstat';

let jStat: typeof JStat | undefined;

/** jstat's studentt (inv, cdf), loaded on the first call. */
export function studentT(): typeof JStat.studentt {
  jStat ??= createRequire(import.meta.url)('jstat') as typeof JStat;
  return jStat.studentt;
}
