// Charts of a validation (sim/calibrate/validate.ts), in the run report's frame (specs.ts):
// predicted against measured per sequence on log duration axes with the y = x line (a point
// on the line is a perfect prediction), one colour per backend (names in the tooltip: 18
// labels on one scatter would run into each other); and the error of each sequence, named, as
// a bar against the done-when bands (10% median, 25% worst).
import { DURATION_LABEL_EXPR, logAxis } from './scales.js';
import { frame, LEGEND, type VlSpec } from './specs.js';
import type { SequenceComparison } from '../sim/calibrate/validate.js';

/** A sequence's backend from its name: gmem-punch-4k -> gmem. */
export const backendOf = (s: { name: string }) => s.name.split('-')[0];

export function predictedVsMeasuredSpec(seqs: SequenceComparison[], title: string, subtitle: string): VlSpec {
  const points = seqs.map((s) => ({
    sequence: s.name, backend: backendOf(s), measured_ns: s.measured_ns, predicted_ns: s.predicted_ns,
    error_pct: Math.round(s.error * 1000) / 10,
  }));
  const all = points.flatMap((p) => [p.measured_ns, p.predicted_ns]).filter((x) => x > 0);
  // Ticks chosen for the data (ns/us/ms labels), so that no two labels run together.
  const { domain, values } = logAxis(Math.min(...all), Math.max(...all));
  const [lo, hi] = domain;
  const scale = { type: 'log', domain, nice: false };
  const axis = { values, labelExpr: DURATION_LABEL_EXPR, grid: true };
  const x = { field: 'measured_ns', type: 'quantitative', title: 'measured on the kernel (log)', scale, axis };
  const y = { field: 'predicted_ns', type: 'quantitative', title: 'predicted by the simulator (log)', scale, axis };
  return {
    ...frame(title, subtitle, 420),
    width: 420,
    layer: [
      { data: { values: [{ measured_ns: lo, predicted_ns: lo }, { measured_ns: hi, predicted_ns: hi }] }, mark: { type: 'line', color: '#999', strokeDash: [4, 4] }, encoding: { x, y } },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x, y, color: { field: 'backend', type: 'nominal', title: null, legend: LEGEND },
          tooltip: [{ field: 'sequence', type: 'nominal' }, { field: 'measured_ns', type: 'quantitative', format: ',d' }, { field: 'predicted_ns', type: 'quantitative', format: ',d' }, { field: 'error_pct', type: 'quantitative', title: 'error %' }],
        },
      },
    ],
  };
}

export function errorsBySequenceSpec(seqs: SequenceComparison[], title: string, subtitle: string): VlSpec {
  const bars = seqs.map((s) => ({ sequence: s.name, backend: backendOf(s), error_pct: Math.round(s.error * 1000) / 10 }));
  const bands = [-25, -10, 10, 25].map((x) => ({ x }));
  return {
    ...frame(title, subtitle, 18 * seqs.length),
    width: 420,
    layer: [
      {
        data: { values: bars }, mark: 'bar',
        encoding: {
          y: { field: 'sequence', type: 'nominal', sort: null, title: null, axis: { labelLimit: 300 } },
          x: { field: 'error_pct', type: 'quantitative', title: 'error of the prediction (%)', axis: { format: '+~r' } },
          color: { field: 'backend', type: 'nominal', title: null, legend: LEGEND },
          tooltip: [{ field: 'sequence', type: 'nominal' }, { field: 'error_pct', type: 'quantitative', title: 'error %' }],
        },
      },
      { data: { values: bands }, mark: { type: 'rule', color: '#c33', strokeDash: [3, 3] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
    ],
  } as VlSpec;
}
