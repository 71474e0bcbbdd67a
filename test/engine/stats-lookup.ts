// The lock tests read a simulation's metrics by key and want a missing key to fail the test,
// not to compare undefined.
import assert from 'node:assert/strict';
import type { MetricSnapshot, Simulation } from '../../sim/engine/index.js';

/** `stat(key)`: the metric, asserting it exists; `histo(key)`: a histogram's [count, min, max, sum]. */
export function statsLookup(sim: Simulation): { stat: (key: string) => MetricSnapshot; histo: (key: string) => number[] } {
  const stat = (key: string): MetricSnapshot => {
    const m = sim.stats.snapshot()[key];
    assert.ok(m, `no metric ${key}`);
    return m;
  };
  const histo = (key: string) => {
    const h = stat(key);
    assert.ok(h.type === 'histogram');
    return [h.count, h.min, h.max, h.sum];
  };
  return { stat, histo };
}
