// From parsed strace calls to the file operations a replay performs: descriptors are mapped
// to files as the trace creates them (memfd_create -> a shmem file, the value returned by
// KVM_CREATE_GUEST_MEMFD -> a guest_memfd file, ftruncate -> its size), and each fallocate on
// such a descriptor becomes an allocate or a punch on that file, in trace order.
import { WorkloadError } from '../workload/errors.js';
import type { StraceCall } from './strace.js';

export type TraceBackend = 'guest_memfd' | 'shmem';

export interface TraceFile {
  /** Index in order of creation. */
  id: number;
  backend: TraceBackend;
  /** Descriptor number in the trace (may be reused later by another file). */
  fd: number;
  /** memfd name, or "guest_memfd". */
  label: string;
  /** From ftruncate or the guest_memfd size, else the furthest byte any call touches. */
  sizeBytes: number;
  line: number;
}

export interface ReplayOp {
  /** Line where the call completed (its result), and where it began (differs when unfinished). */
  line: number;
  startLine: number;
  pid: number;
  file: TraceFile;
  op: 'allocate' | 'punch';
  /** The mode flags as strace printed them. */
  mode: string;
  offset: number;
  len: number;
  recordedNs: number;
  /** 0 on success, else the errno name the kernel returned. */
  result: 0 | string;
}

export interface InterpretedTrace {
  files: TraceFile[];
  ops: ReplayOp[];
  /** fallocate calls on descriptors the trace never created (opened before tracing began). */
  unmappedCalls: number;
  /** Calls seen per syscall name, for the report. */
  callCounts: Record<string, number>;
}

// KVM_CREATE_GUEST_MEMFD = _IOWR(KVMIO=0xae, 0xd4, struct kvm_create_guest_memfd (64 bytes)).
const CREATE_GMEM = /^(KVM_CREATE_GUEST_MEMFD|_IOC\(_IOC_READ\|_IOC_WRITE, 0xae, 0xd4, 0x40\))$/;
const GMEM_SIZE = /size=(\d+)/;

function int(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (/^\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
  return undefined;
}

export interface InterpretOptions {
  /**
   * A trace that begins mid-stream (strace -p on a running VMM) uses descriptors it never saw
   * created: with this set, each becomes a file of this kind sized to cover the furthest byte
   * the trace uses it at; without it their calls are counted in unmappedCalls and dropped.
   */
  unknownFdBackend?: TraceBackend;
}

export function interpretTrace(calls: StraceCall[], source = 'trace', opts: InterpretOptions = {}): InterpretedTrace {
  const files: TraceFile[] = [];
  const byFd = new Map<number, TraceFile>();
  const ops: ReplayOp[] = [];
  const callCounts: Record<string, number> = {};
  let unmappedCalls = 0;
  const bad = (c: StraceCall, expected: string) =>
    new WorkloadError([{ source, line: c.line, col: 1, path: `(trace) ${c.name}`, expected, found: JSON.stringify(c.args.join(', ')) }]);

  for (const c of calls) {
    callCounts[c.name] = (callCounts[c.name] ?? 0) + 1;
    const failed = c.ret === undefined || c.ret < 0;
    switch (c.name) {
      case 'memfd_create': {
        if (failed) break;
        const f: TraceFile = { id: files.length, backend: 'shmem', fd: c.ret!, label: c.args[0]?.replace(/^"|"$/g, '') ?? 'memfd', sizeBytes: 0, line: c.line };
        files.push(f);
        byFd.set(f.fd, f);
        break;
      }
      case 'ioctl': {
        if (failed || !CREATE_GMEM.test(c.args[1] ?? '')) break;
        const size = int(GMEM_SIZE.exec(c.args[2] ?? '')?.[1]) ?? 0;
        const f: TraceFile = { id: files.length, backend: 'guest_memfd', fd: c.ret!, label: 'guest_memfd', sizeBytes: size, line: c.line };
        files.push(f);
        byFd.set(f.fd, f);
        break;
      }
      case 'ftruncate': {
        const fd = int(c.args[0]);
        const size = int(c.args[1]);
        if (fd === undefined || size === undefined) throw bad(c, 'ftruncate(fd, size) with whole numbers');
        const f = byFd.get(fd);
        if (f && !failed) f.sizeBytes = size;
        break;
      }
      case 'fallocate': {
        if (c.args.length !== 4) throw bad(c, 'fallocate(fd, mode, offset, len)');
        const fd = int(c.args[0]);
        const offset = int(c.args[2]);
        const len = int(c.args[3]);
        if (fd === undefined || offset === undefined || len === undefined) throw bad(c, 'fallocate(fd, mode, offset, len) with whole numbers');
        let f = byFd.get(fd);
        if (!f && opts.unknownFdBackend) {
          f = { id: files.length, backend: opts.unknownFdBackend, fd, label: `fd ${fd} (created before the trace began)`, sizeBytes: 0, line: c.line };
          files.push(f);
          byFd.set(fd, f);
        }
        if (!f) {
          unmappedCalls++;
          break;
        }
        const mode = c.args[1];
        const punch = /FALLOC_FL_PUNCH_HOLE/.test(mode);
        ops.push({
          line: c.line, startLine: c.startLine, pid: c.pid, file: f, op: punch ? 'punch' : 'allocate', mode, offset, len,
          recordedNs: c.durationNs, result: failed ? (c.errno ?? 'EFAULT') : 0,
        });
        break;
      }
      default:
        break;
    }
  }
  // Files whose size the trace never states are as large as the furthest byte used.
  const unsized = new Set(files.filter((f) => f.sizeBytes === 0 || f.backend === 'guest_memfd'));
  for (const op of ops) {
    if (unsized.has(op.file)) {
      const end = op.offset + op.len;
      if (op.file.sizeBytes < end && op.result === 0) op.file.sizeBytes = end;
    }
  }
  return { files, ops, unmappedCalls, callCounts };
}
