// The replay actor: a VMM's recorded fallocate calls (strace -f -T), in trace order, on files
// the trace created: each guest_memfd of the trace becomes a guest_memfd of the scenario's first
// VM (KVM_CREATE_GUEST_MEMFD, unbound, as in the trace), each shmem memfd a restricted file
// (v10 wraps exactly such a shmem file). Every call's simulated duration is kept beside the
// recorded one for the report (replay-report.ts); the model's errno is kept beside the trace's.
// concurrency serial replays every call in trace order on one thread; per_thread gives each
// traced pid its own process, so threads that punched one file at once contend here too, while
// keeping the order the trace proves: a call starts only after every call that had completed
// (an earlier result line) before it began (its first line).
import type { ReplayOp } from '../replay/interpret.js';
import type { Process, SimEvent } from '../engine/index.js';
import type { ReplayActor } from '../workload/types.js';
import type { TraceFile } from '../replay/interpret.js';
import { tallyFor, traceOp, type ActorContext, type ReplayState } from './context.js';
import type { OpsTally } from './ops-tally.js';
import { errnoOf, fallocateRaw, type VmmFile } from './kernel-ops.js';
import { BACKENDS, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, type Gen } from '../model/index.js';

const MODE_BITS: Record<string, number> = {
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  FALLOC_FL_NO_HIDE_STALE: 0x04,
  FALLOC_FL_COLLAPSE_RANGE: 0x08,
  FALLOC_FL_ZERO_RANGE: 0x10,
  FALLOC_FL_INSERT_RANGE: 0x20,
  FALLOC_FL_UNSHARE_RANGE: 0x40,
};

/** strace's rendering of a fallocate mode ("FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE", "0", "0x3") to bits. */
export function parseFallocMode(mode: string): number {
  let bits = 0;
  for (const part of mode.split('|').map((s) => s.trim())) {
    if (/^(0x[0-9a-f]+|\d+)$/i.test(part)) bits |= Number(part);
    else if (part in MODE_BITS) bits |= MODE_BITS[part];
    else throw new RangeError(`unknown fallocate mode flag ${part}`);
  }
  return bits;
}

export function spawnReplayActor(ctx: ActorContext, a: ReplayActor): void {
  const state = ctx.replays?.get(a.name);
  if (!state) throw new Error(`replay ${a.name}: trace not loaded before the run`);
  const tally = tallyFor(ctx, a, state.trace.ops.length);
  ctx.sim.spawn(`vmm/${a.name}`, (p) => runReplay(p, ctx, a, state, tally));
}

/** The backend each traced file kind becomes (v10 wraps exactly such a shmem memfd). */
const TRACE_BACKEND = { shmem: BACKENDS.restrictedmem, guest_memfd: BACKENDS.guest_memfd } as const;

/** The trace's file as a file of its backend on the scenario's first VM. */
function openTraceFile(p: Process, ctx: ActorContext, f: TraceFile): Gen<VmmFile> {
  return TRACE_BACKEND[f.backend].create(p, ctx.host, ctx.vms[0].vm, f.sizeBytes);
}

function* runReplay(p: Process, ctx: ActorContext, a: ReplayActor, st: ReplayState, tally: OpsTally) {
  yield ctx.ready;
  if (a.startNs) yield p.sleep(a.startNs);
  const wanted = (b: string) => a.backend === 'both' || a.backend === b;
  const files = new Map<number, VmmFile>();
  for (const f of st.trace.files) {
    if (wanted(f.backend)) files.set(f.id, yield* openTraceFile(p, ctx, f));
  }
  if (a.concurrency === 'serial') {
    yield* replayCalls(p, ctx, st, files, st.trace.ops, tally);
  } else {
    tally.close(); // the calls are the per-pid processes' operations
    const ops = st.trace.ops.filter((o) => files.has(o.file.id));
    const done = new Map(ops.map((o) => [o, ctx.sim.event<unknown>(`replay line ${o.line}`)]));
    const byCompletion = [...ops].sort((x, y) => x.line - y.line);
    const before = (op: ReplayOp) => {
      const evs = [];
      for (const o of byCompletion) {
        if (o.line >= op.startLine) break;
        const ev = done.get(o)!;
        if (!ev.triggered) evs.push(ev);
      }
      return evs;
    };
    const pids = [...new Set(ops.map((o) => o.pid))];
    const procs = pids.map((pid) => {
      const mine = ops.filter((o) => o.pid === pid);
      const own = tallyFor(ctx, { name: a.name, startNs: 0 }, mine.length);
      return ctx.sim.spawn(`vmm/${a.name}-${pid}`, (q) => replayCalls(q, ctx, st, files, mine, own, before, done));
    });
    yield ctx.sim.allOf(procs.map((q) => q.done));
    st.results.sort((x, y) => x.line - y.line);
  }
  tally.close();
  ctx.finished(p);
}

/** Replay calls in order; each call is an operation of the actor. */
function* replayCalls(
  p: Process, ctx: ActorContext, st: ReplayState, files: Map<number, VmmFile>, ops: ReplayOp[], tally: OpsTally,
  before?: (op: ReplayOp) => SimEvent<unknown>[], done?: Map<ReplayOp, SimEvent<unknown>>,
) {
  for (const op of ops) {
    const file = files.get(op.file.id);
    if (!file) continue;
    const wait = before?.(op) ?? [];
    if (wait.length) yield ctx.sim.allOf(wait);
    tally.start();
    const t0 = ctx.sim.now;
    let simulated = '0';
    try {
      yield* fallocateRaw(p, file, parseFallocMode(op.mode), op.offset, op.len);
    } catch (err) {
      const errno = errnoOf(err);
      if (!errno) throw err;
      simulated = errno;
    }
    const dt = ctx.sim.now - t0;
    traceOp(ctx, p, `fallocate(${op.mode})`, t0, { line: op.line, offset: op.offset, len: op.len, result: simulated });
    ctx.sim.stats.histogram('replay.call_ns', { backend: op.file.backend, op: op.op }).record(dt);
    st.results.push({
      line: op.line, file: op.file.id, backend: op.file.backend, op: op.op, offset: op.offset, len: op.len,
      recorded_ns: op.recordedNs, simulated_ns: dt, result: op.result === 0 ? '0' : op.result, simulated_result: simulated,
    });
    tally.complete();
    done?.get(op)?.succeed(undefined);
  }
  tally.close();
}
