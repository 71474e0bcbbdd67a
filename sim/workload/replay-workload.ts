// `rmsim run --trace file.strace [--backend guest_memfd|shmem|both]`: the short form of a
// workload whose only actor replays the trace; `both` replays each traced file on its own
// backend in one run (the replay actor's `backend: both`), reported side by side per backend. The VM's memory is sized to hold the largest traced
// file; the variant defaults to the backend's own (guest_memfd, or v10 whose restrictedmem
// wraps a shmem file) unless --variant or a workload file says otherwise.
import { basename } from 'node:path';
import { readStrace } from '../replay/strace.js';
import { interpretTrace } from '../replay/interpret.js';
import { WorkloadError } from './errors.js';
import { loadWorkload, loadWorkloadText, type LoadOptions } from './load.js';
import type { Workload } from './types.js';

const TWO_MIB = 2 * 1024 * 1024;

export function replayWorkload(tracePath: string, backend: 'guest_memfd' | 'shmem' | 'both', workloadArg: string | undefined, opts: LoadOptions): Workload {
  const trace = interpretTrace(readStrace(tracePath), tracePath);
  const wanted = (b: string) => backend === 'both' || b === backend;
  const files = trace.files.filter((f) => wanted(f.backend));
  if (files.length === 0 || !trace.ops.some((o) => wanted(o.file.backend))) {
    const have = [...new Set(trace.files.map((f) => f.backend))].join(', ') || 'none';
    throw new WorkloadError([{ source: tracePath, path: '--backend', expected: `fallocate calls on a ${backend === 'both' ? 'guest_memfd or shmem' : backend} file in the trace`, found: `files of kind: ${have}` }]);
  }
  const largest = Math.max(...files.map((f) => f.sizeBytes));
  const memory = Math.max(TWO_MIB, Math.ceil(largest / TWO_MIB) * TWO_MIB);
  const actor = { kind: 'replay', name: 'trace-replay', trace: tracePath, backend };
  if (workloadArg !== undefined) {
    const w = loadWorkload(workloadArg, opts);
    const replay = { ...actor, kind: 'replay' as const, vm: 0 as const, startNs: 0, arrival: 'fixed' as const, concurrency: 'serial' as const };
    w.actors.push(replay);
    return w;
  }
  const text = JSON.stringify({
    name: `replay-${basename(tracePath).replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`,
    description: `replay of ${basename(tracePath)} (${backend})`,
    // both: v10's VM; each traced file still runs on its own kind (replay.ts TRACE_BACKEND).
    variant: backend === 'guest_memfd' ? 'guest_memfd' : 'v10',
    host: { memory: '4GiB', cpus: 2 },
    vms: { count: 1, memory: `${memory / 1024}KiB`, vcpus: 1 },
    actors: [actor],
  });
  return loadWorkloadText(`--trace ${tracePath}`, text, opts);
}
