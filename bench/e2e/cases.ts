// The cases of `rmsim bench e2e` (issue 17), each one simulator run in a child process of its
// own (wall time includes the process start, peak RSS is that process's):
//   (a) vm-boot: one 64 GiB VM, 8 vCPUs, 4 KiB pages (16.8 M first-touch faults), beside the
//       bare fast paths doing the same faults (batched shmem_get_folio + EPT map, no engine);
//   (b) a 1 TiB host: 64 VMs of 15.75 GiB (leaving the host 1/64), THP within_size, 30%
//       fragmentation, booting and converting (terabyte-host.yaml);
//   (c) conversion-storm on a 16 GiB VM;
//   (d) (a) at 1, 4, 16 and 64 GiB: compute ns per simulated fault should not grow with size,
//       each size in several trials, the sizes in rotating order (run.ts).
// `scale` shrinks every memory size (a check on a tiny size; results only at scale 1).
import { fileURLToPath } from 'node:url';

export const CASE_IDS = ['a', 'b', 'c', 'd'] as const;
export type CaseId = (typeof CASE_IDS)[number];

export const D_SIZES_GIB = [1, 4, 16, 64] as const;
/** (a)'s VM. */
export const A_VM_GIB = 64;

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** The guest page of one first-touch fault (4 KiB with THP never, and under the profile's shadow MMU, which maps 4 KiB only). */
const PAGE = 4096;

/** A workload with --set overrides. */
export interface WorkloadRun {
  workload: string;
  sets: string[];
}

/**
 * What a child process runs: a workload with --set overrides (after the untimed `warmup` runs, in
 * order, in the same process, when given), or the bare fast paths. `expectFaults` (the
 * first-touch faults of the whole run: one per private guest page) measures progress; `maxWallS`
 * stops the run once it has run that long (the figures then cover what was done).
 */
export type ChildSpec =
  | ({ kind: 'workload'; warmup?: WorkloadRun[]; expectFaults?: number; maxWallS?: number; vcpuScheduler?: boolean } & WorkloadRun)
  | { kind: 'bare'; pages: number; hostPages: number };

/**
 * The untimed boots every timed vm-boot runs after, in the same process: V8's optimized code is
 * one-time start-up, which charged to the timed run is a fixed ~100 ms that makes the smallest
 * size's ns per fault the largest (README.md, "(d): the fixed cost per run"). Optimized code
 * holds until a run brings what the earlier ones did not: each run's own objects (e.g. the fast
 * paths' closures: code that saw one run's sees a wrong map or call target in the next) and the
 * numbers of the timed run's own offsets (byte offsets below 2^30 are small integers, from 2^30
 * on heap numbers, and a page number times the page size past 2^31 overflows a 32-bit multiply:
 * code trained on one kind deoptimizes at the first of the other, and a VM of more than 1 GiB
 * has them all), and each path the timed run takes (how a vCPU's slice ends). So each warm-up
 * is the timed run itself (the same VM, host, vCPUs, pages and slices) on WARMUP_VM_BYTES of the
 * VM, alternately its vCPUs each touching the first pages of their own slice (the same offsets,
 * from the VM's bottom to its top) and its top to the slices' ends (warmupRuns). WARMUP_RUNS of
 * them: by then V8 has stopped re-optimizing.
 */
export const WARMUP_VM_BYTES = 256 * MiB;
export const WARMUP_RUNS = 4;

/** bytes * scale, rounded down to whole `unit`s, at least one unit. */
export function scaledBytes(bytes: number, scale: number, unit = 2 * MiB): number {
  return Math.max(unit, Math.floor((bytes * scale) / unit) * unit);
}

const size = (bytes: number): string => (bytes % GiB === 0 ? `${bytes / GiB}GiB` : `${bytes / MiB}MiB`);

/** Host memory for one boot VM: the VM plus a quarter (at least 64 MiB), whole 4 MiB (the allocator's unit). */
export function bootHostBytes(vmBytes: number): number {
  const unit = 4 * MiB;
  return Math.ceil((vmBytes + Math.max(vmBytes / 4, 64 * MiB)) / unit) * unit;
}

/** vm-boot's vCPUs (and host CPUs). */
const BOOT_VCPUS = 8;

/** vm-boot of one VM of vmBytes with BOOT_VCPUS vCPUs on as many host CPUs, 4 KiB pages (THP never). */
function bootRun(vmBytes: number): WorkloadRun {
  return {
    workload: 'vm-boot',
    sets: [`vms.memory=${size(vmBytes)}`, `vms.vcpus=${BOOT_VCPUS}`, `host.cpus=${BOOT_VCPUS}`, `host.memory=${size(bootHostBytes(vmBytes))}`, 'host.thp=never'],
  };
}

/**
 * The warm-ups of bootRun(vmBytes): alternately each vCPU touching only the first pages of its
 * slice (every offset kind of the timed run, from the VM's bottom to its top) and the vCPUs
 * touching the top WARMUP_VM_BYTES of the VM to the ends of their slices (the path the timed
 * run ends by, and no op budget: a budget the timed run does not have is a branch it does not
 * take); WARMUP_VM_BYTES each, all of a smaller VM.
 */
export function warmupRuns(vmBytes: number): WorkloadRun[] {
  return Array.from({ length: WARMUP_RUNS }, (_, i) => {
    const run = bootRun(vmBytes);
    if (vmBytes > WARMUP_VM_BYTES) {
      run.sets.push(i % 2 === 0 ? `actors.boot.ops=${WARMUP_VM_BYTES / PAGE / BOOT_VCPUS}` : `actors.boot.range.offset=${size(vmBytes - WARMUP_VM_BYTES)}`);
    }
    return run;
  });
}

/** bootRun(vmBytes), timed after warmupRuns(vmBytes) in the same process. */
export function bootSpec(vmBytes: number): ChildSpec {
  return { kind: 'workload', ...bootRun(vmBytes), warmup: warmupRuns(vmBytes), expectFaults: vmBytes / PAGE };
}

/** The bare fast paths doing bootSpec's faults: one VM's pages on the same host. */
export function bareSpec(vmBytes: number): ChildSpec {
  return { kind: 'bare', pages: vmBytes / 4096, hostPages: bootHostBytes(vmBytes) / 4096 };
}

/** (b)'s VMs (terabyte-host.yaml: all their memory private, booted by the vCPUs) and its host. */
export const B_VMS = 64;
export const B_HOST_GIB = 1024;

/**
 * (b)'s VM: 63/64 of 16 GiB (15.75 GiB at full size), so that the 64 VMs leave the host 1/64 of
 * its memory (16 GiB of the 1 TiB). A host of exactly the guests' memory cannot boot them: the
 * 30% fragmentation pins one page in 30% of the pageblocks (0.06% of memory, 157,286 pages at
 * 1 TiB) and nothing frees them, so the last faults find no page, and v10 answers
 * restrictedmem_get_page's ENOMEM with RET_PF_RETRY: each such fault retries up to the host's
 * limit (10,000) and is reported as a livelock. At 1/16 scale that was 614 faults and 6.1 M
 * retries, 27% of all fault attempts; at full size it would be ~10^9 retries, a run of hours
 * measuring only that (README.md). The host cannot grow instead: the fast paths hold at most
 * 2^28 pages (1 TiB, sim/fastpath/buddy-rules.ts MAX_HOST_PAGES).
 */
export function terabyteVmBytes(scale: number): number {
  return scaledBytes((B_HOST_GIB * GiB * 63) / 64 / B_VMS, scale);
}

/** (b)'s host memory: the guests' and 1/64 more, whole 4 MiB (1 TiB at full size). */
export function terabyteHostBytes(vmBytes: number): number {
  const unit = 4 * MiB;
  return Math.ceil((B_VMS * vmBytes * 64) / 63 / unit) * unit;
}

export function terabyteHostSpec(scale: number): ChildSpec {
  const vm = terabyteVmBytes(scale);
  return {
    kind: 'workload',
    workload: fileURLToPath(new URL('../../../bench/e2e/terabyte-host.yaml', import.meta.url)),
    sets: [`vms.memory=${size(vm)}`, `host.memory=${size(terabyteHostBytes(vm))}`],
    expectFaults: (B_VMS * vm) / PAGE,
  };
}

export function conversionStormSpec(scale: number): ChildSpec {
  // The storm's ranges end at 128 MiB: the VM never gets smaller than that.
  const vm = Math.max(128 * MiB, scaledBytes(16 * GiB, scale));
  return { kind: 'workload', workload: 'conversion-storm', sets: [`vms.memory=${size(vm)}`, `host.memory=${size(bootHostBytes(vm))}`] };
}
