// A shard's output (`rmsim sweep --shard i/N`): the sweep's header and fingerprint, which slice
// it is, and the full metrics.json of each run it made, so `rmsim merge` can rebuild the very
// sweep.json an unsharded run writes, without the workload files or another run.
import { stableStringify } from '../output/canonical-json.js';
import type { RunMetrics } from './sweep-aggregate.js';
import type { Shard, SweepHeader } from './sweep-plan.js';

export const SHARD_SCHEMA_ID = 'rmsim.sweep-shard/1';
export const SHARD_FILE = 'shard.json';

export interface ShardFile {
  schema: typeof SHARD_SCHEMA_ID;
  fingerprint: string;
  shard: Shard;
  /** Total runs of the sweep (all shards). */
  runs_total: number;
  header: SweepHeader;
  /** This shard's runs in canonical order: run index and its metrics.json. */
  runs: Array<{ run: number; metrics: RunMetrics }>;
}

export function buildShardFile(header: SweepHeader, fingerprint: string, shard: Shard, runsTotal: number, runs: ShardFile['runs']): ShardFile {
  return { schema: SHARD_SCHEMA_ID, fingerprint, shard, runs_total: runsTotal, header, runs };
}

export function serializeShardFile(f: ShardFile): string {
  return stableStringify(f) + '\n';
}
