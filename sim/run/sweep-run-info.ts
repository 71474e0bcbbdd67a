// run.json beside sweep.json (or shard.json): how the sweep was run, which sweep.json must not
// depend on: the command, wall time, worker count, the shard, the machine.
import { arch, cpus, hostname, platform, release } from 'node:os';
import { stableStringify } from '../output/canonical-json.js';
import type { SweepExecStats } from './sweep.js';

export const SWEEP_RUN_SCHEMA_ID = 'rmsim.sweep-run/1';

export interface SweepRunInfoInputs {
  command: string[];
  startedAt: Date;
  wallNs: number;
  workers: number | null;
  /** `i/N` for a shard, the merged shard folders for a merge, null otherwise. */
  shard: string | null;
  mergedFrom?: string[];
  fingerprint: string;
  /** Digest of the sweep.json written (absent for a shard). */
  sweepDigest?: string;
  stats?: SweepExecStats;
}

export function serializeSweepRunInfo(r: SweepRunInfoInputs): string {
  return stableStringify({
    schema: SWEEP_RUN_SCHEMA_ID,
    command: r.command,
    started_at: r.startedAt.toISOString(),
    wall_time_s: Number((r.wallNs / 1e9).toFixed(6)),
    workers: r.workers,
    shard: r.shard,
    ...(r.mergedFrom ? { merged_from: r.mergedFrom } : {}),
    fingerprint: r.fingerprint,
    ...(r.sweepDigest ? { sweep_digest: r.sweepDigest } : {}),
    ...(r.stats ? { runs: r.stats.runs, events: r.stats.events, runs_wall_time_s: Number((r.stats.runWallNs / 1e9).toFixed(6)) } : {}),
    host: { hostname: hostname(), platform: platform(), release: release(), arch: arch(), cpu_model: cpus()[0]?.model ?? 'unknown', cpu_count: cpus().length },
    node_version: process.version,
  }) + '\n';
}
