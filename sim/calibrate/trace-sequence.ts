// An strace of fallocate calls as a KernelSequence, so `rmsim validate --trace` replays it on
// the kernel without strace (no ptrace stop per call) and in the simulator. The files of the
// chosen backend become the sequence's files (guest_memfd unbound, as a VMM's fallocate sees
// them); every call the trace shows succeeding on them becomes a timed op, in trace order on
// one thread (calls of different traced threads keep their order rather than race).
import type { InterpretedTrace, ReplayOp, TraceBackend } from '../replay/interpret.js';
import type { KernelSequence } from './types.js';

export interface TraceSequence {
  seq: KernelSequence;
  /** The trace call behind each op of seq.ops (index-aligned). */
  calls: ReplayOp[];
  /** Calls left out: failed in the trace, or on files of the other backend. */
  leftOut: number;
}

const PAGE = 4096;

export function traceToSequence(trace: InterpretedTrace, backend: TraceBackend, name: string): TraceSequence {
  const files = trace.files.filter((f) => f.backend === backend);
  const index = new Map(files.map((f, i) => [f.id, i]));
  const calls = trace.ops.filter((o) => o.result === 0 && index.has(o.file.id));
  const seq: KernelSequence = {
    name,
    description: `${calls.length} fallocate calls of ${name} on its ${backend} files, in trace order`,
    files: files.map((f) => ({ backend, size_bytes: Math.max(PAGE, Math.ceil(f.sizeBytes / PAGE) * PAGE) })),
    setup: [],
    ops: calls.map((o) => ({ op: o.op, file: index.get(o.file.id)!, offset: o.offset, len: o.len })),
  };
  return { seq, calls, leftOut: trace.ops.length - calls.length };
}
