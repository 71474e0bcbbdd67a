// A picture of case (d) of the e2e benchmark: compute ns per simulated fault against the VM's
// size, the median of each size's trials with a bar from their min to their max. Linear cost is a
// flat line; the band shows the issue's 1.1x allowance over the smallest median.
import type { VlSpec } from '../../reports/specs.js';
import type { E2eBenchResult } from './run.js';

export function benchE2eSpec(r: E2eBenchResult): VlSpec {
  const d = r.cases.d;
  const sizes = d?.sizes ?? [];
  const rows = sizes.map((s) => ({
    gib: s.vm_bytes / 2 ** 30,
    ns: s.compute_ns_per_fault_median,
    min: s.compute_ns_per_fault_min,
    max: s.compute_ns_per_fault_max,
    faults: s.faults,
  }));
  const low = Math.min(...rows.map((x) => x.ns));
  const x = { field: 'gib', type: 'quantitative', title: 'guest memory (GiB)', scale: { type: 'log', base: 2 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `e2e (d): vm-boot cost per fault by VM size (${r.machine.cpu_model}, ${r.machine.cores} cores, Node ${r.machine.node_version}, ${r.date.slice(0, 10)}${r.scale === 1 ? '' : `, scale ${r.scale}`})`,
      subtitle: `median of ${d?.trials ?? 0} trials per size (sizes in rotating order), bar: min to max; band: 1.1x the smallest median; spread of medians ${d ? d.spread.toFixed(3) : '-'}`,
    },
    width: 420,
    height: 260,
    layer: [
      {
        data: { values: [{ lo: low, hi: low * r.targets.d_spread }] },
        mark: { type: 'rect', opacity: 0.15, color: '#27ae60' },
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: rows },
        mark: { type: 'rule', strokeWidth: 2, opacity: 0.6 },
        encoding: { x, y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'ns', type: 'quantitative', title: 'compute ns per simulated fault (process CPU, median)', scale: { zero: true } },
          tooltip: [{ field: 'faults', type: 'quantitative' }, { field: 'min', type: 'quantitative' }, { field: 'max', type: 'quantitative' }],
        },
      },
    ],
  };
}
