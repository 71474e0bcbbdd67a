import type { RunMetrics } from '../../sim/run/sweep-aggregate.js';
import type { SweepPlan } from '../../sim/run/sweep-plan.js';

// The tiny sweep the shard, worker and Slurm tests share: balloon shortened to 2 ms of
// simulated time, three VM counts, one replication each (three runs, one per shard).
export const TINY_SWEEP = ['balloon', '--set', 'duration=2ms', '--param', 'vms.count=1,2,3', '--slo', 'fault.latency_ns.p99<=50us'];

// Synthetic metrics of a vms.count sweep (p99 = 20us x VMs, saturated from 8 VMs), for tests
// about bookkeeping (merge, knee, report) rather than simulation.
export function fakeRun(plan: SweepPlan, run: number): RunMetrics {
  const r = plan.runs[run];
  const vms = Number(r.sets.at(-1)!.split('=')[1]);
  return {
    digest: `sha256:run${run}`,
    metrics: {
      'fault.latency_ns': { type: 'histogram', count: 100, mean: 20_000 * vms + r.replication, p99: 20_000 * vms + 7 * r.replication, max: 99, p50: 1, p90: 2, p999: 3 },
      'fault.retries': { type: 'counter', value: vms },
    },
    warnings: vms >= 8 ? [{ kind: 'saturated', actor: 'guest' }] : [],
  };
}

