// run.json: everything about a run that is not deterministic or not an input to the model:
// wall time, events per second, the machine, Node's version, worker count, and the hashes of
// the workload and cost profile that identify what ran. metrics.json stays byte-identical;
// this file differs from run to run.
import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';
import { stableStringify } from './canonical-json.js';

export const RUN_SCHEMA_ID = 'rmsim.run/1';

export interface RunInfoInputs {
  command: string[];
  startedAt: Date;
  /** Whole command, loading included. */
  wallNs: number;
  /** The simulation loop alone (what events/s is measured over). */
  simWallNs: number;
  events: number;
  workers: number;
  workload: { name: string; source: string; sha256: string };
  profile: { name: string; sha256: string; overrides?: Record<string, number> };
  variant: string;
  seed: number;
  metricsDigest: string;
  outcome: 'ok' | 'safety_violation';
  rmsimVersion: string;
  /** Which fast-path implementation ran (results are identical across them; speed is not). */
  fastpathImpl: string;
  /** What the fault batch ran: first-touch faults inside WASM (results identical; speed not), or why none. */
  faultBatch?: { vcpus: number; faults: number; refused: string | null } | null;
}

export function buildRunInfo(r: RunInfoInputs): Record<string, unknown> {
  const wallS = r.wallNs / 1e9;
  const cpuList = cpus();
  return {
    schema: RUN_SCHEMA_ID,
    rmsim_version: r.rmsimVersion,
    command: r.command,
    started_at: r.startedAt.toISOString(),
    wall_time_s: Number(wallS.toFixed(6)),
    events: r.events,
    sim_wall_time_s: Number((r.simWallNs / 1e9).toFixed(6)),
    events_per_s: r.simWallNs > 0 ? Math.round(r.events / (r.simWallNs / 1e9)) : 0,
    workers: r.workers,
    fastpath_impl: r.fastpathImpl,
    ...(r.faultBatch ? { fault_batch: r.faultBatch } : {}),
    host: {
      hostname: hostname(),
      platform: platform(),
      release: release(),
      arch: arch(),
      cpu_model: cpuList[0]?.model ?? 'unknown',
      cpu_count: cpuList.length,
      memory_bytes: totalmem(),
    },
    node_version: process.version,
    workload: r.workload,
    profile: r.profile,
    variant: r.variant,
    seed: r.seed,
    metrics_digest: r.metricsDigest,
    outcome: r.outcome,
  };
}

export function serializeRunInfo(info: Record<string, unknown>): string {
  return stableStringify(info) + '\n';
}
