// The tiny sweep the shard, worker and Slurm tests share: balloon shortened to 2 ms of
// simulated time, three VM counts, one replication each (three runs, one per shard).
export const TINY_SWEEP = ['balloon', '--set', 'duration=2ms', '--param', 'vms.count=1,2,3', '--slo', 'fault.latency_ns.p99<=50us'];
