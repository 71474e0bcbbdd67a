// The latency distributions a workload's actors declare: created before the run, so each is in
// metrics.json even when it counted nothing (count 0). A family that vanished when no vCPU got
// to run read as "no faults, nothing to see"; a count of 0 says the work never ran.
// Labels are declared where the workload fixes them (a fixed size or a list of sizes); a size
// drawn uniformly over a range declares no labelled family (the labels are not known ahead).
import type { Labels, Recorder } from '../engine/index.js';
import type { ActorSpec, SizeDistribution } from '../workload/types.js';
import { sizeLabel } from '../model/index.js';

type Family = [name: string, labels?: Labels];

/** Size labels the distribution can draw, when it names them. */
function sizeLabels(d: SizeDistribution): string[] {
  if (d.kind === 'fixed') return [sizeLabel(d.bytes)];
  if (d.kind === 'choice') return [...new Set(d.values.map(sizeLabel))];
  return [];
}

const BY_SIZE = (name: string, d: SizeDistribution, more: Labels = {}): Family[] => sizeLabels(d).map((size) => [name, { size, ...more }]);

/** The histograms an actor records (the model's and its own), as far as the workload fixes them. */
export function declaredFamilies(a: ActorSpec): Family[] {
  switch (a.kind) {
    case 'vcpu': return [['fault.latency_ns']];
    case 'fallocate': return BY_SIZE('fallocate.latency_ns', a.size);
    case 'punch': return BY_SIZE('punch.latency_ns', a.size);
    case 'conversion': {
      const to = a.direction === 'to_private' ? ['private'] : a.direction === 'to_shared' ? ['shared'] : ['private', 'shared'];
      return to.flatMap((t) => BY_SIZE('conversion.latency_ns', a.size, { to: t }));
    }
    case 'memslot_churn': return [['memslot.create_ns'], ['memslot.delete_ns']];
    case 'memory_error': return [['memory_failure.latency_ns']];
    case 'vm_lifecycle': return [['vm.create_ns'], ['vm.destroy_ns']];
    case 'page_cache': return [];
    case 'replay': return [];
  }
}

/** Create every declared histogram (empty) on the run's recorder. */
export function declareMetrics(stats: Recorder, actors: readonly ActorSpec[]): void {
  for (const a of actors) for (const [name, labels] of declaredFamilies(a)) stats.histogram(name, labels);
}
