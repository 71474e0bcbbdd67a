// The validation suite: composite sequences no fit rule reads (fit-rules.ts fits single
// operations on fresh ranges, and two threads at 4 KiB and 2 MiB in the probe's own loop), run
// on the real kernel and in the simulator by `rmsim validate`. They mix what the fit measured
// apart: punches of scattered pages of a populated file, allocations and punches of mixed sizes
// over partly populated files, punches while a guest faults on the same file, refaults after
// punches, and two threads punching one file at 4 KiB, 64 KiB and 2 MiB.
import type { KernelOp, KernelSequence, SequenceFile } from './types.js';

const KiB = 1024;
const MiB = 1024 * KiB;
type Backend = SequenceFile['backend'];

const short = (b: Backend) => (b === 'guest_memfd' ? 'gmem' : 'shmem');

/** Populate `size`, then punch one `len` every `every` bytes. */
function punchEveryNth(backend: Backend, size: number, len: number, every: number): KernelSequence {
  const ops: KernelOp[] = [];
  for (let off = 0; off + len <= size; off += every) ops.push({ op: 'punch', file: 0, offset: off, len });
  return {
    name: `${short(backend)}-punch-${len / KiB}k-every-${every / KiB}k`,
    description: `${backend}: populate ${size / MiB} MiB, then punch ${len / KiB} KiB every ${every / KiB} KiB (${ops.length} punches)`,
    files: [{ backend, size_bytes: size }],
    setup: [{ op: 'allocate', file: 0, offset: 0, len: size }],
    ops,
  };
}

/**
 * Allocations and punches of mixed sizes (16 KiB to 2 MiB, aligned to their size) at places
 * drawn over a file populated every other 2 MiB; `allocShare` of the ops allocate. The draw is
 * a fixed linear congruential sequence, so the suite is the same on every run and machine.
 */
function mixed(backend: Backend, seed: number, count: number, allocShare: number): KernelSequence {
  const size = 64 * MiB;
  const setup: KernelOp[] = [];
  for (let off = 0; off < size; off += 4 * MiB) setup.push({ op: 'allocate', file: 0, offset: off, len: 2 * MiB });
  let x = seed >>> 0;
  const next = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  const sizes = [16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 2 * MiB];
  const ops: KernelOp[] = [];
  for (let i = 0; i < count; i++) {
    const len = sizes[Math.floor(next() * sizes.length)];
    const offset = Math.floor(next() * (size / len)) * len;
    ops.push({ op: next() < allocShare ? 'allocate' : 'punch', file: 0, offset, len });
  }
  return {
    name: `${short(backend)}-mixed-${Math.round(allocShare * 100)}pct-alloc`,
    description: `${backend}: ${count} allocations (${Math.round(allocShare * 100)}%) and punches of 16 KiB to 2 MiB at drawn places of a 64 MiB file populated every other 2 MiB`,
    files: [{ backend, size_bytes: size }],
    setup,
    ops,
  };
}

/** Populate, punch every other `len`, then allocate the whole range again (refill of the holes). */
function punchThenRefill(backend: Backend, size: number, len: number): KernelSequence {
  const ops: KernelOp[] = [];
  for (let off = 0; off < size; off += 2 * len) ops.push({ op: 'punch', file: 0, offset: off, len });
  for (let off = 0; off < size; off += 2 * len) ops.push({ op: 'allocate', file: 0, offset: off, len });
  return {
    name: `${short(backend)}-punch-refill-${len / KiB}k`,
    description: `${backend}: populate ${size / MiB} MiB, punch every other ${len / KiB} KiB, allocate those holes again`,
    files: [{ backend, size_bytes: size }],
    setup: [{ op: 'allocate', file: 0, offset: 0, len: size }],
    ops,
  };
}

/** Two threads, each punching `count` consecutive `len` ranges of its own half of one populated file. */
function twoPunchers(backend: Backend, len: number, count: number): KernelSequence {
  const half = len * count;
  const ops: KernelOp[] = [];
  for (let i = 0; i < count; i++) {
    for (const thread of [0, 1]) ops.push({ op: 'punch', file: 0, offset: thread * half + i * len, len, thread });
  }
  return {
    name: `${short(backend)}-two-punchers-${len >= MiB ? `${len / MiB}m` : `${len / KiB}k`}`,
    description: `${backend}: two threads each punch ${count} consecutive ${len / KiB} KiB ranges of their half of one populated file, at once`,
    files: [{ backend, size_bytes: 2 * half }],
    setup: [0, 1].map((thread) => ({ op: 'allocate' as const, file: 0, offset: thread * half, len: half, thread })),
    ops,
  };
}

/** A guest first-touches `touch` of a bound guest_memfd while another thread punches `len` pieces of a disjoint populated range. */
function punchWhileGuestFaults(len: number, punches: number, touch: number): KernelSequence {
  const punchBase = touch;
  const ops: KernelOp[] = [{ op: 'guest_touch', file: 0, offset: 0, len: touch, thread: 1 }];
  for (let i = 0; i < punches; i++) ops.push({ op: 'punch', file: 0, offset: punchBase + i * len, len, thread: 0 });
  return {
    name: `gmem-punch-${len / KiB}k-while-guest-faults`,
    description: `guest_memfd bound to a memslot: the vCPU first-touches ${touch / MiB} MiB while another thread punches ${punches} x ${len / KiB} KiB of a disjoint populated range`,
    files: [{ backend: 'guest_memfd', size_bytes: touch + punches * len, bound: true }],
    setup: [{ op: 'allocate', file: 0, offset: punchBase, len: punches * len, thread: 0 }],
    ops,
    score_ops: ['punch'],
  };
}

/** The guest maps a range, the VMM punches every `every`-th page of it, the guest touches it again (refaults). */
function punchMappedThenRefault(size: number, every: number): KernelSequence {
  const ops: KernelOp[] = [];
  for (let off = 0; off < size; off += every) ops.push({ op: 'punch', file: 0, offset: off, len: 4 * KiB });
  ops.push({ op: 'guest_touch', file: 0, offset: 0, len: size });
  return {
    name: `gmem-punch-mapped-every-${every / KiB}k-refault`,
    description: `guest_memfd bound to a memslot: the guest maps ${size / MiB} MiB, the VMM punches 4 KiB every ${every / KiB} KiB of it, the guest touches the range again`,
    files: [{ backend: 'guest_memfd', size_bytes: size, bound: true }],
    setup: [{ op: 'guest_touch', file: 0, offset: 0, len: size }],
    ops,
  };
}

/** The suite, in the order it is run and reported. */
export function validationSuite(): KernelSequence[] {
  return [
    punchEveryNth('guest_memfd', 16 * MiB, 4 * KiB, 32 * KiB),
    punchEveryNth('shmem', 16 * MiB, 4 * KiB, 32 * KiB),
    punchEveryNth('guest_memfd', 64 * MiB, 64 * KiB, 1 * MiB),
    punchEveryNth('shmem', 64 * MiB, 64 * KiB, 1 * MiB),
    mixed('guest_memfd', 7, 200, 0.6),
    mixed('shmem', 7, 200, 0.6),
    mixed('shmem', 11, 200, 0.3),
    punchThenRefill('guest_memfd', 32 * MiB, 256 * KiB),
    punchThenRefill('shmem', 32 * MiB, 256 * KiB),
    punchWhileGuestFaults(4 * KiB, 400, 4 * MiB),
    punchWhileGuestFaults(2 * MiB, 8, 4 * MiB),
    punchMappedThenRefault(2 * MiB, 64 * KiB),
    twoPunchers('guest_memfd', 4 * KiB, 2000),
    twoPunchers('guest_memfd', 64 * KiB, 500),
    twoPunchers('guest_memfd', 2 * MiB, 40),
    twoPunchers('shmem', 4 * KiB, 2000),
    twoPunchers('shmem', 64 * KiB, 500),
    twoPunchers('shmem', 2 * MiB, 40),
  ];
}

/** Whether a sequence needs /dev/kvm (a guest_memfd file or a guest). */
export function needsKvm(seq: KernelSequence): boolean {
  return seq.files.some((f) => f.backend === 'guest_memfd') || [...seq.setup, ...seq.ops].some((o) => o.op === 'guest_touch');
}
