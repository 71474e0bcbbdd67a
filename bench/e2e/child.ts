// One run of the e2e benchmark (cases.ts), in a process of its own so that its wall time
// includes the process start and its peak RSS is its own: `node child.js '<ChildSpec JSON>'`
// prints one ChildResult as JSON. run.ts starts it.
import { fileURLToPath } from 'node:url';
import { loadWorkload } from '../../sim/workload/load.js';
import { runWorkload, startRun } from '../../sim/run/runner.js';
import { createFastPaths } from '../../sim/fastpath/index.js';
import type { ChildSpec } from './cases.js';

export interface ChildResult {
  /** Logical engine events (0 for the bare fast paths). */
  events: number;
  /** First-touch faults that mapped a page (metric fault.latency_ns's count; bare: faults taken). */
  faults: number;
  /** Wall seconds of the run alone (no process start, no workload loading). */
  run_s: number;
  /**
   * Process CPU seconds of the simulation alone: the run's steps, without building the host
   * (set-up grows with host memory, not with faults) or the metrics document at the end.
   */
  compute_s: number;
  /** Wall seconds of the untimed warm-up run (0 without one). */
  warmup_s: number;
  peak_rss_bytes: number;
}

const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function faultsOf(metrics: Record<string, unknown>): number {
  let n = 0;
  for (const [k, m] of Object.entries(metrics)) if (k === 'fault.latency_ns' || k.startsWith('fault.latency_ns{')) n += (m as { count: number }).count;
  return n;
}

export async function runChild(spec: ChildSpec): Promise<ChildResult> {
  let events = 0;
  let faults: number;
  let w0: number;
  let c0: number;
  let warmup_s = 0;
  let stepCompute: number | undefined;
  if (spec.kind === 'bare') {
    // The fast paths alone: batched shmem_get_folio plus the EPT map of every page, in WASM.
    const fp = await createFastPaths({ hostPages: spec.hostPages, impl: 'wasm' });
    const pt = fp.newPageTable();
    const cache = fp.newPageCache();
    w0 = performance.now();
    c0 = cpuS();
    faults = fp.faultRange(pt, cache, 0, 0, spec.pages, { policy: 'never', iSizePages: spec.pages, maxLevel: 1 }).faults;
  } else {
    if (spec.warmup) {
      const t = performance.now();
      await runWorkload({ workload: loadWorkload(spec.warmup.workload, { sets: spec.warmup.sets }) });
      warmup_s = (performance.now() - t) / 1e3;
    }
    const workload = loadWorkload(spec.workload, { sets: spec.sets });
    w0 = performance.now();
    const h = await startRun({ workload });
    c0 = cpuS();
    while (h.step()) { /* the simulation */ }
    stepCompute = cpuS() - c0;
    const out = h.finish();
    events = out.events;
    faults = faultsOf(out.metrics.metrics as Record<string, unknown>);
  }
  const compute_s = stepCompute ?? cpuS() - c0;
  const run_s = (performance.now() - w0) / 1e3;
  return { events, faults, run_s, compute_s, warmup_s, peak_rss_bytes: process.resourceUsage().maxRSS * 1024 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runChild(JSON.parse(process.argv[2]!) as ChildSpec);
  process.stdout.write(JSON.stringify(r) + '\n');
}
