// Charts of a validation (sim/calibrate/validate.ts): predicted against measured per sequence
// on log axes with the y = x line (a point on the line is a perfect prediction), and the error
// of each sequence as a bar against the done-when bands (10% median, 25% worst).
import { DURATION_LABEL_EXPR, logAxis } from './scales.js';
import type { VlSpec } from './specs.js';
import type { SequenceComparison } from '../sim/calibrate/validate.js';

export function predictedVsMeasuredSpec(seqs: SequenceComparison[], title: string): VlSpec {
  const points = seqs.map((s) => ({ sequence: s.name, measured_ns: s.measured_ns, predicted_ns: s.predicted_ns, error_pct: Math.round(s.error * 1000) / 10 }));
  const all = points.flatMap((p) => [p.measured_ns, p.predicted_ns]).filter((x) => x > 0);
  // Ticks chosen for the data (ns/us/ms labels), so that no two labels run together.
  const { domain, values } = logAxis(Math.min(...all), Math.max(...all));
  const [lo, hi] = domain;
  const scale = { type: 'log', domain, nice: false };
  const axis = { values, labelExpr: DURATION_LABEL_EXPR, grid: true };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: [{ measured_ns: lo, predicted_ns: lo }, { measured_ns: hi, predicted_ns: hi }] },
        mark: { type: 'line', color: '#999', strokeDash: [4, 4] },
        encoding: { x: { field: 'measured_ns', type: 'quantitative', scale, axis }, y: { field: 'predicted_ns', type: 'quantitative', scale, axis } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x: { field: 'measured_ns', type: 'quantitative', title: 'measured on the kernel (log)', scale, axis },
          y: { field: 'predicted_ns', type: 'quantitative', title: 'predicted by the simulator (log)', scale, axis },
          color: { field: 'sequence', type: 'nominal', title: null },
          tooltip: [{ field: 'sequence' }, { field: 'measured_ns', format: ',d' }, { field: 'predicted_ns', format: ',d' }, { field: 'error_pct', title: 'error %' }],
        },
      },
    ],
  } as VlSpec;
}

export function errorsBySequenceSpec(seqs: SequenceComparison[], title: string): VlSpec {
  const bars = seqs.map((s) => ({ sequence: s.name, error_pct: Math.round(s.error * 1000) / 10 }));
  const bands = [-25, -10, 10, 25].map((x) => ({ x }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: { step: 18 },
    layer: [
      { data: { values: bars }, mark: 'bar', encoding: { y: { field: 'sequence', type: 'nominal', sort: null, title: null }, x: { field: 'error_pct', type: 'quantitative', title: 'error of the prediction (%)' } } },
      { data: { values: bands }, mark: { type: 'rule', color: '#c33', strokeDash: [3, 3] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
    ],
  } as VlSpec;
}
