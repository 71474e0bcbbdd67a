// What makes a run's numbers less than they seem, written to metrics.json's `warnings` and
// printed after the summary table.
//
// saturated: an actor completed under 90% of the operations it was offered (actor.ops, see
// sim/actors/ops-tally.ts). Its latencies then describe the work that got through, not the load
// the workload asked for: a host with too many vCPUs for its CPUs "improves" fault latency as
// it stops running vCPUs at all. Experiments treat a saturated run as failing any SLO.
// warmup_not_reached: a run without a duration whose actors finish before the warm-up ends
// records nothing (the warm-up's reset clears what they did).
import { formatDuration } from '../units.js';
import { metricKey, type MetricsBody } from '../engine/index.js';
import { ACTOR_OPS } from '../actors/ops-tally.js';
import type { RunWarning } from '../output/metrics-document.js';
import type { Workload } from '../workload/types.js';

/** An actor completing less than this share of its offered operations is saturated. */
export const SATURATED_BELOW = 0.9;

function counterValue(metrics: MetricsBody, actor: string, state: 'offered' | 'completed'): number {
  const m = metrics[metricKey(ACTOR_OPS, { actor, state })];
  return m?.type === 'counter' ? m.value : 0;
}

function percent(part: number, whole: number): string {
  return `${Math.floor((100 * part) / whole)}%`;
}

/** The warnings of one run, from its workload, its end time and its metrics. */
export function runWarnings(w: Workload, simEndNs: number, metrics: MetricsBody): RunWarning[] {
  const out: RunWarning[] = [];
  if (w.warmupNs > 0 && simEndNs < w.warmupNs) {
    out.push({ kind: 'warmup_not_reached', message: `the actors finished at ${formatDuration(simEndNs)}, before the warm-up of ${formatDuration(w.warmupNs)} ended: its reset cleared what they recorded` });
  }
  for (const a of w.actors) {
    const offered = counterValue(metrics, a.name, 'offered');
    const completed = counterValue(metrics, a.name, 'completed');
    if (offered === 0 || completed >= SATURATED_BELOW * offered) continue;
    out.push({
      kind: 'saturated',
      actor: a.name,
      offered,
      completed,
      message: `actor ${a.name} completed ${completed} of ${offered} operations offered (${percent(completed, offered)}, under ${100 * SATURATED_BELOW}%): the host did not get its work done, so its latencies leave out what never ran`,
    });
  }
  return out;
}
