// Fan a list of runs out over worker threads (tinypool). Each run is independent and
// deterministic in its spec, and results come back in spec order, so the bytes an experiment
// writes never depend on how many workers ran it or which finished first.
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';
import { runSpec, type RunSpec, type RunResult } from './run-spec.js';
import type { WorkerReply } from './pool-worker.js';

export interface RunManyOptions {
  /** Worker threads (default: os.availableParallelism()). 1 runs in this thread. */
  workers?: number;
  /**
   * Run on worker threads even with one worker. Off by default: one worker in this thread
   * skips a second start-up (module load, schema compile, JIT warm-up); the sweep benchmark
   * turns it on to time 1 and 2 workers the same way.
   */
  onWorkerThreads?: boolean;
  /** Called after each run completes, with the count done so far (in completion order). */
  onProgress?: (done: number, total: number) => void;
}

/** The worker count runMany uses for these options and this many specs. */
export function workerCount(specs: number, workers?: number): number {
  const wanted = workers ?? availableParallelism();
  if (!Number.isInteger(wanted) || wanted < 1) throw new UsageError(`--workers: expected a whole number >= 1, found ${wanted}`);
  return Math.max(1, Math.min(wanted, specs));
}

/** Run every spec; result i belongs to spec i. The first failure rejects the whole batch. */
export async function runMany(specs: RunSpec[], opts: RunManyOptions = {}): Promise<RunResult[]> {
  const workers = workerCount(specs.length, opts.workers);
  let done = 0;
  const tick = () => opts.onProgress?.(++done, specs.length);
  if (workers === 1 && opts.onWorkerThreads !== true) {
    const results: RunResult[] = [];
    for (const s of specs) {
      results.push(await runSpec(s));
      tick();
      // Let a progress display repaint between runs.
      await new Promise<void>((r) => setImmediate(r));
    }
    return results;
  }
  // Loaded here, not at start-up: a single run never needs worker threads.
  const { default: Tinypool } = await import('tinypool');
  const pool = new Tinypool({
    filename: new URL('./pool-worker.js', import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
  });
  try {
    return await Promise.all(specs.map(async (s) => {
      const reply = (await pool.run(s)) as WorkerReply;
      if ('usageError' in reply) throw new UsageError(reply.usageError);
      tick();
      return reply.ok;
    }));
  } finally {
    await pool.destroy();
  }
}
