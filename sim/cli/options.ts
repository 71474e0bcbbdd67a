// Option parsing shared by the subcommands.
import { UsageError } from '../errors.js';

/** A `--name <n>` option that must be a positive integer (dflt when absent). */
export function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
}
