// One run of the e2e benchmark (cases.ts), in a process of its own so that its wall time
// includes the process start and its peak RSS is its own. run.ts forks it with an IPC channel:
// it sends `{ type: 'progress' }` about once a second while a workload runs (first-touch faults
// done of those expected) and one `{ type: 'result' }` at the end. Started by hand,
// `node child.js '<ChildSpec JSON>'` prints the ChildResult as JSON instead.
import { fileURLToPath } from 'node:url';
import { loadWorkload } from '../../sim/workload/load.js';
import { runWorkload, startRun } from '../../sim/run/runner.js';
import { createFastPaths } from '../../sim/fastpath/index.js';
import { instanceMemory, type InstanceMemory } from '../../sim/fastpath/wasm/module.js';
import type { ChildSpec } from './cases.js';
import type { FaultBatchReport } from '../../sim/actors/fault-batch.js';

/** What the model did in a workload run (read from its metrics): how its faults were served. */
export interface RunDetail {
  /** Faults that mapped a page, by the level mapped (`fault.by_level`: 4K, 2M). */
  faults_by_level: Record<string, number>;
  /** Folios allocated for the files, by order (`thp.folio_orders`). */
  folio_orders: Record<string, number>;
  /** Faults that wanted a huge folio and got 4 KiB, by reason (`thp.fallbacks`): alloc_failed (the buddy had no free order-9 block) or occupied (the 512-index block already held a page). */
  thp_fallbacks: Record<string, number>;
  /**
   * Huge allocations that succeeded over those tried: order-9 folios / (order-9 folios +
   * alloc_failed fallbacks); null when none was tried. `occupied` fallbacks are not tries: after
   * a block's first fault fell back, its other 511 faults find it occupied.
   */
  thp_success_rate: number | null;
  /** Private accesses to shared gfns (KVM_EXIT_MEMORY_FAULT), each converted by the VMM. */
  memory_fault_exits: number;
  /** Conversions done by the conversion threads (`conversion.latency_ns` counts). */
  conversions: number;
  /** Fault attempts retried (`fault.retries`): each is another pass through the fault path. */
  fault_retries: number;
  /** Faults given up after the host's retry limit (v10 retries a failed restrictedmem_get_page, e.g. ENOMEM, without end). */
  fault_livelocks: number;
  /** Faults by outcome other than mapped (`vcpu.fault_outcomes`). */
  fault_outcomes: Record<string, number>;
}

export interface ChildResult {
  /** Logical engine events (0 for the bare fast paths). */
  events: number;
  /** First-touch faults that mapped a page (metric fault.latency_ns's count; bare: faults taken). */
  faults: number;
  /** Wall seconds of the run alone (no process start, no workload loading). */
  run_s: number;
  /** Wall seconds of the run's steps alone (run_s less building the host and the metrics document). */
  steps_s: number;
  /**
   * Process CPU seconds of the simulation alone: the run's steps, without building the host
   * (set-up grows with host memory, not with faults) or the metrics document at the end.
   */
  compute_s: number;
  /** Wall seconds of the untimed warm-up runs (0 without any). */
  warmup_s: number;
  peak_rss_bytes: number;
  /** False when the run was stopped at its maxWallS: every figure then covers the part done. */
  complete: boolean;
  /** Faults done over the faults expected (ChildSpec.expectFaults); null when not given. */
  done_fraction: number | null;
  detail?: RunDetail;
  /** What the run's fault batch did, or why it ran none (a complete workload run only). */
  fault_batch?: FaultBatchReport;
  /** Linear memory of every WASM instance alive at the end of the steps (one per host). */
  wasm: InstanceMemory[];
}

export type ChildMessage =
  | { type: 'progress'; faults: number; expect: number; run_s: number }
  | { type: 'result'; result: ChildResult };

const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Sum of the values of `name` and `name{...}` (histograms by count, counters by value). */
function sumOf(metrics: Record<string, unknown>, name: string): number {
  let n = 0;
  for (const [k, m] of Object.entries(metrics)) {
    if (k !== name && !k.startsWith(`${name}{`)) continue;
    const v = m as { count?: number; value?: number };
    n += v.count ?? v.value ?? 0;
  }
  return n;
}

const faultsOf = (metrics: Record<string, unknown>): number => sumOf(metrics, 'fault.latency_ns');

/** `name{label=x}` values by x. */
function byLabel(metrics: Record<string, unknown>, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${name.replace(/\./g, '\\.')}\\{(?:.*,)?${label}=([^,}]+)`);
  for (const [k, m] of Object.entries(metrics)) {
    const x = re.exec(k)?.[1];
    if (x !== undefined) out[x] = (out[x] ?? 0) + ((m as { value?: number; count?: number }).value ?? (m as { count?: number }).count ?? 0);
  }
  return out;
}

export function runDetail(metrics: Record<string, unknown>): RunDetail {
  const folio_orders = byLabel(metrics, 'thp.folio_orders', 'order');
  const thp_fallbacks = byLabel(metrics, 'thp.fallbacks', 'reason');
  const huge = folio_orders['9'] ?? 0;
  const fellBack = thp_fallbacks['alloc_failed'] ?? 0;
  return {
    faults_by_level: byLabel(metrics, 'fault.by_level', 'level'),
    folio_orders,
    thp_fallbacks,
    thp_success_rate: huge + fellBack > 0 ? huge / (huge + fellBack) : null,
    memory_fault_exits: sumOf(metrics, 'vcpu.memory_fault_exits'),
    conversions: sumOf(metrics, 'conversion.latency_ns'),
    fault_retries: sumOf(metrics, 'fault.retries'),
    fault_livelocks: sumOf(metrics, 'safety.violations{kind=fault_livelock}'),
    fault_outcomes: byLabel(metrics, 'vcpu.fault_outcomes', 'result'),
  };
}

/** How often a running workload reports its progress, ms of wall time. */
const PROGRESS_EVERY_MS = 1000;

export async function runChild(spec: ChildSpec, progress?: (m: ChildMessage) => void, progressEveryMs = PROGRESS_EVERY_MS): Promise<ChildResult> {
  const peakRss = (): number => process.resourceUsage().maxRSS * 1024;
  if (spec.kind === 'bare') {
    // The fast paths alone: batched shmem_get_folio plus the EPT map of every page, in WASM.
    const fp = await createFastPaths({ hostPages: spec.hostPages, impl: 'wasm' });
    const pt = fp.newPageTable();
    const cache = fp.newPageCache();
    const w0 = performance.now();
    const c0 = cpuS();
    const faults = fp.faultRange(pt, cache, 0, 0, spec.pages, { policy: 'never', iSizePages: spec.pages, maxLevel: 1 }).faults;
    const compute_s = cpuS() - c0;
    const run_s = (performance.now() - w0) / 1e3;
    return { events: 0, faults, run_s, steps_s: run_s, compute_s, warmup_s: 0, peak_rss_bytes: peakRss(), complete: true, done_fraction: 1, wasm: instanceMemory() };
  }
  // The warm-ups train the same code as the timed run: with the vCPU scheduler when it has it.
  const vcpuScheduler = spec.vcpuScheduler === true ? {} : undefined;
  let warmup_s = 0;
  if (spec.warmup) {
    const t = performance.now();
    for (const run of spec.warmup) await runWorkload({ workload: loadWorkload(run.workload, { sets: run.sets }), vcpuScheduler });
    warmup_s = (performance.now() - t) / 1e3;
  }
  const workload = loadWorkload(spec.workload, { sets: spec.sets });
  const w0 = performance.now();
  const h = await startRun({ workload, vcpuScheduler });
  const s0 = performance.now();
  const c0 = cpuS();
  const expect = spec.expectFaults;
  const stopAt = spec.maxWallS !== undefined ? w0 + spec.maxWallS * 1e3 : Infinity;
  let nextReport = s0 + progressEveryMs;
  let complete = true;
  while (h.step()) {
    const now = performance.now();
    if (now >= stopAt) {
      complete = false;
      break;
    }
    if (progress && expect !== undefined && now >= nextReport) {
      progress({ type: 'progress', faults: faultsOf(h.metricsSoFar()), expect, run_s: (now - w0) / 1e3 });
      nextReport = now + progressEveryMs;
    }
  }
  const compute_s = cpuS() - c0;
  const steps_s = (performance.now() - s0) / 1e3;
  // Before finish() gives the host's instance back: what the run's structures hold at the end.
  const wasm = instanceMemory();
  // A stopped run is not finished (finish() would run it to the end): its figures so far.
  const outcome = complete ? h.finish() : null;
  const metrics = outcome !== null ? (outcome.metrics.metrics as Record<string, unknown>) : h.metricsSoFar();
  const run_s = (performance.now() - w0) / 1e3;
  const faults = faultsOf(metrics);
  return {
    events: h.events,
    faults,
    run_s,
    steps_s,
    compute_s,
    warmup_s,
    peak_rss_bytes: peakRss(),
    complete,
    done_fraction: expect ? (complete ? 1 : Math.min(1, faults / expect)) : null,
    detail: runDetail(metrics),
    ...(outcome?.faultBatch ? { fault_batch: outcome.faultBatch } : {}),
    wasm,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const spec = JSON.parse(process.argv[2]!) as ChildSpec;
  const send = process.send?.bind(process);
  if (send) {
    const r = await runChild(spec, (m) => send(m));
    send({ type: 'result', result: r } satisfies ChildMessage);
    process.disconnect?.();
  } else {
    process.stdout.write(JSON.stringify(await runChild(spec)) + '\n');
  }
}
