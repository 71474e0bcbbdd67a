// A picture of an engine benchmark run (bench/engine/): every trial of every task as a point,
// one panel per workload, against its reference (the ceiling for (a), the floor for (b)) and
// its target. How far each process form sits from its reference, and how much the machine moved
// between trials, is easier to see than to read from the JSON.
import type { VlSpec } from '../../reports/specs.js';
import type { EngineBenchResult } from './run.js';

const A_TASKS = [['ceiling', 'ceiling (bare heap)'], ['timeouts', 'generator processes'], ['timeouts_actor', 'state-machine processes']] as const;
const B_TASKS = [['mutex_floor', 'floor (hand-written)'], ['mutex', 'generator processes'], ['mutex_actor', 'state-machine processes']] as const;

export const A_TARGET_SERIES = '(a) target: 0.7 x ceiling';

/**
 * One row per trial and task: the panel, the series, the trial number and its rate (M/s), and
 * `kind` (measured, or target). (a)'s target is relative, so it is drawn per trial: the ceiling
 * measured in that trial times the target ratio.
 */
export function benchEnginePoints(r: EngineBenchResult): Array<Record<string, string | number>> {
  const rows: Array<Record<string, string | number>> = [];
  const add = (panel: string, ops: number, tasks: ReadonlyArray<readonly [keyof EngineBenchResult['samples_ms'], string]>) => {
    for (const [task, series] of tasks) {
      (r.samples_ms[task] ?? []).forEach((ms, i) => rows.push({ panel, series, kind: 'measured', trial: i + 1, rate: ops / ms / 1e3 }));
    }
  };
  const panelA = '(a) timeouts: M events/s';
  add(panelA, r.workload.events, A_TASKS);
  (r.samples_ms.ceiling ?? []).forEach((ms, i) =>
    rows.push({ panel: panelA, series: A_TARGET_SERIES, kind: 'target', trial: i + 1, rate: (r.targets.timeouts_vs_ceiling * r.workload.events) / ms / 1e3 }),
  );
  add('(b) mutex: M acquisitions/s', r.workload.acquisitions, B_TASKS);
  return rows;
}

export function benchEngineSpec(r: EngineBenchResult): VlSpec {
  const targetB = r.targets.mutex_acquisitions_per_s / 1e6;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `engine benchmark, ${r.trials} trials (${r.machine.cpu_model}, ${r.machine.cores} cores, Node ${r.machine.node_version}, ${r.date.slice(0, 10)})`,
    data: { values: benchEnginePoints(r) },
    facet: { column: { field: 'panel', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 320,
      height: 220,
      layer: [
        {
          mark: { type: 'line', point: true, opacity: 0.8 },
          encoding: {
            x: { field: 'trial', type: 'ordinal', title: 'trial' },
            y: { field: 'rate', type: 'quantitative', title: 'rate (M per s, process CPU time)', scale: { zero: true } },
            color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 260 } },
            strokeDash: { field: 'kind', type: 'nominal', legend: null, scale: { domain: ['measured', 'target'], range: [[1, 0], [4, 3]] } },
          },
        },
        {
          // (b)'s absolute target (2.5 M/s), drawn in its panel only.
          transform: [{ filter: "indexof(datum.panel, '(b)') === 0" }],
          mark: { type: 'rule', strokeDash: [4, 3], color: '#c0392b' },
          encoding: { y: { datum: targetB } },
        },
      ],
    },
  };
}
