// The contract between the kernel probe (bench/kernel-probe/, which measures the real kernel)
// and calibration (sim/calibrate/, which fits cost profiles and validates predictions). The
// probe writes a ProbeRecording; fitting reads one; validation runs the same KernelSequence on
// the real kernel (through the probe's executor) and in the simulator. Types only: this file
// imports nothing, so both sides and the tests can depend on it.

/** Which kernel object a measurement or an operation targets. */
export type ProbeBackend = 'guest_memfd' | 'shmem' | 'kvm';

/** Where the measurements were taken: enough to tell a profile's host from another. */
export interface ProbeHost {
  /** /proc/cpuinfo "model name" of the first CPU. */
  cpu_model: string;
  /** uname -r. */
  kernel: string;
  /** True when this kernel runs inside a VM (cpuinfo "hypervisor" flag). */
  nested: boolean;
  /** ISO 8601 date and time (UTC) the probe started. */
  date: string;
  online_cpus: number;
  /** /dev/kvm could be opened and KVM_CREATE_VM worked. */
  kvm: boolean;
  /** KVM_CAP_GUEST_MEMFD was reported and KVM_CREATE_GUEST_MEMFD worked. */
  guest_memfd: boolean;
  /** /sys/kernel/mm/transparent_hugepage/shmem_enabled as found (restored afterwards). */
  shmem_enabled: string;
  /** The first CPU's caches from sysfs, e.g. "L1d 32K, L1i 32K, L2 1024K, L3 32768K shared 0-1" (absent in older recordings). */
  caches?: string;
}

/** One probed quantity: a named measurement at fixed parameters, every repetition kept. */
export interface ProbeRow {
  /**
   * What was measured, dotted: 'gmem.create', 'gmem.fallocate', 'gmem.punch', 'shmem.fallocate',
   * 'shmem.punch', 'shmem.thp.fallocate', 'shmem.thp.punch', 'guest.first_touch',
   * 'guest.refault', 'guest.exit', 'two_punchers', ... (the probe's README lists them all).
   */
  probe: string;
  backend: ProbeBackend;
  /**
   * The fixed parameters: size_bytes (the range one call covers), state ('empty' | 'populated'
   * | 'allocated' | 'mapped'), bound (to a memslot), thp ('never' | 'always'), threads, ...
   */
  params: Record<string, string | number | boolean>;
  /** Nanoseconds per repetition (one syscall, one KVM_RUN, one punch), in the order taken. */
  samples_ns: number[];
  /**
   * two_punchers rows: every punch with its thread and start/end (ns from the pass's start), as
   * bench/kernel-probe/two-punchers.c prints them; the hand-over term is fitted from these.
   */
  punches?: { thread: number; start_ns: number; end_ns: number }[];
}

/** A part of the probe that could not run here, and why (e.g. no /dev/kvm). */
export interface ProbeSkip {
  what: string;
  why: string;
}

export interface ProbeRecording {
  schema: 'rmsim.probe/1';
  host: ProbeHost;
  /** How the recording was made (the command line), for provenance. */
  command: string;
  rows: ProbeRow[];
  skipped: ProbeSkip[];
  /**
   * When the recording is several runs of the probe one after the other (rounds, apart in time):
   * the index in `rows` of each round's first row. Calibration fits each round alone and takes
   * each cost's median over the rounds (fit-profile.ts fitProfileRounds).
   */
  round_starts?: number[];
}

/**
 * One operation of a composite sequence, as the executor runs it on the real kernel and the
 * simulator replays it. Offsets and lengths are bytes, multiples of 4 KiB.
 */
export type KernelOp =
  /** fallocate(FALLOC_FL_KEEP_SIZE) on guest_memfd, fallocate(0) on shmem. */
  | { op: 'allocate'; file: number; offset: number; len: number; thread?: number }
  /** fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE). */
  | { op: 'punch'; file: number; offset: number; len: number; thread?: number }
  /** The guest (one vCPU) touches one byte per 4 KiB page of [offset, offset+len) of the file. */
  | { op: 'guest_touch'; file: number; offset: number; len: number; thread?: number }
  /** The thread busy-waits `len` ns in user space, no syscall (probe rows that space a thread's calls out); file and offset 0. */
  | { op: 'pause'; file: number; offset: number; len: number; thread?: number };

/** A file the sequence works on, created before its first operation. */
export interface SequenceFile {
  backend: 'guest_memfd' | 'shmem';
  size_bytes: number;
  /** Bound to a memslot of a VM (guest_memfd), so punches invalidate KVM's mappings. */
  bound?: boolean;
}

/**
 * A composite sequence: files, then operations. Operations with the same `thread` (default 0)
 * run in order on one thread; different threads start together (a barrier) and run at once.
 * Operations listed under `setup` run first and are not timed.
 */
export interface KernelSequence {
  name: string;
  description: string;
  files: SequenceFile[];
  setup: KernelOp[];
  ops: KernelOp[];
  /**
   * Which kinds of timed op make the sequence's figure in validation (default: all). The
   * executor times every op either way; e.g. punches while a guest faults are judged on the
   * punches, the guest's run only providing the faults.
   */
  score_ops?: KernelOp['op'][];
}

/** The executor's measurement of one sequence: per timed op, in the order of `ops`. */
export interface SequenceMeasurement {
  name: string;
  /** Nanoseconds of each op of `ops` (index-aligned); -1 when the op failed. */
  op_ns: number[];
  /** errno name per op when it failed, else null. */
  op_errors: (string | null)[];
  /** Wall time of the timed part, first op start to last op end. */
  wall_ns: number;
  /**
   * Every kept repetition's per-op ns (index-aligned with `ops`), when the executor kept them:
   * validation shows how far their totals spread, and pools repetitions taken in rounds.
   */
  reps_op_ns?: number[][];
  /** The repetitions' spread as an earlier validation recorded it, when they were not kept. */
  spread?: RepetitionSpread;
}

/** How far a sequence's repetitions spread: their count and the median, least and greatest of their totals (the ops validation scores). */
export interface RepetitionSpread {
  reps: number;
  median_ns: number;
  min_ns: number;
  max_ns: number;
  /**
   * The 95% confidence interval of the sequence's figure (the sum of per-op medians over the
   * same ops: repetitions.ts figureInterval); absent below 2 repetitions and in validations
   * recorded before it was kept.
   */
  ci_low_ns?: number;
  ci_high_ns?: number;
}
