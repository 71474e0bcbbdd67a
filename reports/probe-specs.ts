// A picture of a two-punchers probe pass (bench/kernel-probe/): every punch as a point, start
// time against latency, one colour per thread, one thread's pass beside two threads'. Turn-taking
// shows as a band at about twice a lone punch, lock stealing as a band at one lone punch, and
// the HANDOFF waits as the points near 4-8 ms.
import type { VlSpec } from './specs.js';
import type { Punch } from '../sim/calibrate/two-punchers-analysis.js';

export interface ProbePassData {
  backend: string;
  lenBytes: number;
  one: Punch[];
  two: Punch[];
}

function sizeLabel(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Points per panel above which a panel is thinned (an SVG of 60,000 points is tens of MB). */
export const MAX_POINTS_PER_PANEL = 3000;

/**
 * Rows for the chart: one per punch, start in ms and latency in us. A panel with more than
 * MAX_POINTS_PER_PANEL punches keeps every k-th punch plus every punch slower than its 99th
 * percentile, so the bands keep their shape and no long wait is dropped.
 */
export function probePoints(passes: ProbePassData[]): Array<Record<string, string | number>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const p of passes) {
    const row = `${p.backend} ${sizeLabel(p.lenBytes)}`;
    for (const [threads, punches] of [['one thread', p.one], ['two threads', p.two]] as const) {
      const every = Math.ceil(punches.length / MAX_POINTS_PER_PANEL);
      const lat = punches.map((x) => x.endNs - x.startNs);
      const p99 = [...lat].sort((a, b) => a - b)[Math.floor(0.99 * (lat.length - 1))] ?? 0;
      punches.forEach((x, i) => {
        if (every > 1 && i % every !== 0 && lat[i]! <= p99) return;
        rows.push({ row, threads, thread: `thread ${x.thread}`, start_ms: x.startNs / 1e6, latency_us: lat[i]! / 1e3 });
      });
    }
  }
  return rows;
}

export function probeTimelineSpec(passes: ProbePassData[], title: string): VlSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: probePoints(passes) },
    facet: { row: { field: 'row', type: 'nominal', title: null }, column: { field: 'threads', type: 'nominal', title: null } },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 360,
      height: 160,
      mark: { type: 'point', filled: true, size: 8, opacity: 0.6 },
      encoding: {
        x: { field: 'start_ms', type: 'quantitative', title: 'punch start (ms into the pass)' },
        y: { field: 'latency_us', type: 'quantitative', title: 'punch latency (us, log)', scale: { type: 'log' } },
        color: { field: 'thread', type: 'nominal', title: null },
      },
    },
  };
}
