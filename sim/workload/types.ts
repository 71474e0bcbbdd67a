// The workload after validation and unit parsing: every size in bytes, every duration and
// interval in integer nanoseconds. This is what the scenario builder and the actors read.

export type ThpPolicy = 'never' | 'always' | 'within_size' | 'advise';
export type MmuMode = 'tdp' | 'shadow';
export type Arrival = 'poisson' | 'fixed';

/** A size drawn per operation: fixed, weighted choice, or uniform over multiples of step. */
export type SizeDistribution =
  | { kind: 'fixed'; bytes: number }
  | { kind: 'choice'; values: number[]; weights: number[] }
  | { kind: 'uniform'; min: number; max: number; step: number };

/** A file range; size undefined means "to the end of the VM's memory". */
export interface FileRange { offset: number; size?: number }

export interface HostSpec {
  memoryBytes: number;
  /** Host CPUs, or Infinity for no CPU model. */
  cpus: number;
  /** shmem_enabled as the workload states it; undefined = the variant's choice. */
  thp?: ThpPolicy;
  /** Fraction of 2 MiB pageblocks that start holding one pinned unmovable page. */
  fragmentation: number;
}

export interface MemslotLayout {
  count: number;
  /** Guest-physical alignment of each slot's base (bytes). */
  alignmentBytes: number;
  /** restricted_offset minus base misalignment (bytes; non-zero forces 4 KiB mappings). */
  misalignBytes: number;
}

export interface VmSpec {
  count: number;
  memoryBytes: number;
  vcpus: number;
  /** MMU mode as the workload states it; undefined = the variant's choice. */
  mmu?: MmuMode;
  privateFraction: number;
  /** Every VM binds the same restricted file (intra-host migration). */
  sharedFile: boolean;
  memslots: MemslotLayout;
}

interface ActorBase {
  /** Unique name (given, or kind + index). Used for RNG stream paths and trace tracks. */
  name: string;
  /** VM index or 'all'. */
  vm: number | 'all';
  startNs: number;
  /** Operation count per thread/vCPU, or undefined (until the run's duration ends). */
  ops?: number;
  /** Mean interval between arrivals (ns) or undefined (back to back). */
  intervalNs?: number;
  arrival: Arrival;
}

export interface VcpuActor extends ActorBase {
  kind: 'vcpu';
  vcpus: number | 'all';
  pattern: 'sequential' | 'uniform' | 'zipf';
  range: FileRange;
  zipf: { s: number; hotSetBytes?: number };
  private: boolean;
  thinkNs: number;
}

export interface FallocateActor extends ActorBase {
  kind: 'fallocate';
  size: SizeDistribution;
  alignmentBytes: number;
  range: FileRange;
  threads: number;
  wholeFile: boolean;
}

export interface PunchActor extends ActorBase {
  kind: 'punch';
  size: SizeDistribution;
  alignmentBytes: number;
  range: FileRange;
  threads: number;
  batch: number;
  refill: boolean;
  populate: boolean;
}

export interface ConversionActor extends ActorBase {
  kind: 'conversion';
  size: SizeDistribution;
  alignmentBytes: number;
  range: FileRange;
  threads: number;
  direction: 'to_private' | 'to_shared' | 'toggle';
  discard: boolean;
  touch: boolean;
}

export interface MemslotChurnActor extends ActorBase {
  kind: 'memslot_churn';
  slotBytes: number;
  holdNs: number;
  slots: number;
}

export interface MemoryErrorActor extends ActorBase {
  kind: 'memory_error';
  atNs: number[];
  target: 'allocated' | 'any';
}

export interface VmLifecycleActor extends ActorBase {
  kind: 'vm_lifecycle';
  lifetimeNs: number;
  maxLive: number;
  touchFraction: number;
}

export interface PageCacheActor extends ActorBase {
  kind: 'page_cache';
  /** Bytes read into the host page cache per operation. */
  readBytes: number;
  /** Fraction of folios read again before reclaim reaches them (second chance). */
  rereadFraction: number;
  lowWatermarkBytes: number;
  highWatermarkBytes: number;
}

export interface ReplayActor extends ActorBase {
  kind: 'replay';
  /** Resolved path of the strace file. */
  trace: string;
  backend: 'guest_memfd' | 'shmem' | 'both';
  /** serial: all calls in trace order; per_thread: one process per traced pid, running together. */
  concurrency: 'serial' | 'per_thread';
}

export type ActorSpec =
  | VcpuActor
  | FallocateActor
  | PunchActor
  | ConversionActor
  | MemslotChurnActor
  | MemoryErrorActor
  | VmLifecycleActor
  | PageCacheActor
  | ReplayActor;

export interface Workload {
  name: string;
  description: string;
  /** Where it came from (file path or builtin:<name>), for messages. */
  source: string;
  seed: number;
  variant: string;
  /** Design choices the workload needs (dimension -> allowed values); others are refused. */
  requires: Record<string, string[]>;
  /** Choices for resolveVariant: from the file (lowest precedence) and from --set (highest). */
  variantChoices: { workload: Record<string, string>; set: Record<string, string> };
  profile?: string;
  /** Cost overrides by dotted profile name (`lock.<name>` for lock costs), applied over the profile. */
  costOverrides: Record<string, number>;
  /** Simulated time limit, or undefined to run until every actor finishes. */
  durationNs?: number;
  warmupNs: number;
  host: HostSpec;
  vms: VmSpec;
  actors: ActorSpec[];
}
