// Charts of a validation (sim/calibrate/validate.ts): predicted against measured per sequence
// on log axes with the y = x line (a point on the line is a perfect prediction), and the error
// of each sequence as a bar against the done-when bands (10% median, 25% worst).
import type { VlSpec } from './specs.js';
import type { SequenceComparison } from '../sim/calibrate/validate.js';

export function predictedVsMeasuredSpec(seqs: SequenceComparison[], title: string): VlSpec {
  const points = seqs.map((s) => ({ sequence: s.name, measured_ms: s.measured_ns / 1e6, predicted_ms: s.predicted_ns / 1e6, error_pct: Math.round(s.error * 1000) / 10 }));
  const all = points.flatMap((p) => [p.measured_ms, p.predicted_ms]).filter((x) => x > 0);
  const lo = Math.min(...all) / 1.5;
  const hi = Math.max(...all) * 1.5;
  const scale = { type: 'log', domain: [lo, hi] };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: [{ measured_ms: lo, predicted_ms: lo }, { measured_ms: hi, predicted_ms: hi }] },
        mark: { type: 'line', color: '#999', strokeDash: [4, 4] },
        encoding: { x: { field: 'measured_ms', type: 'quantitative', scale }, y: { field: 'predicted_ms', type: 'quantitative', scale } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x: { field: 'measured_ms', type: 'quantitative', title: 'measured on the kernel (ms, log)', scale },
          y: { field: 'predicted_ms', type: 'quantitative', title: 'predicted by the simulator (ms, log)', scale },
          color: { field: 'sequence', type: 'nominal', title: null },
          tooltip: [{ field: 'sequence' }, { field: 'measured_ms' }, { field: 'predicted_ms' }, { field: 'error_pct', title: 'error %' }],
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
