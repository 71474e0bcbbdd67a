// The worker-thread side of sim/run/pool.ts. A worker lives for the whole experiment, so what
// a run loads once per process (the compiled WASM module, parsed cost profiles) is loaded once
// per worker. Bad input is sent back as data: an Error crossing threads loses its class, and
// the CLI must still turn a UsageError into one line and exit 2.
import { UsageError } from '../errors.js';
import { runSpec, type RunSpec, type RunResult } from './run-spec.js';

export type WorkerReply = { ok: RunResult } | { usageError: string };

export default async function runInWorker(spec: RunSpec): Promise<WorkerReply> {
  try {
    return { ok: await runSpec(spec) };
  } catch (err) {
    if (err instanceof UsageError) return { usageError: err.message };
    throw err;
  }
}
