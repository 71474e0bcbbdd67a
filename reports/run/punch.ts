// Hole-punch latency: by size, and where a punch's time goes (invalidate, truncate, the rest:
// syscall entry, lock waits, the notifier walk).
import { noteBlock, chartBlock } from '../layout.js';
import type { Block, Section } from '../layout.js';
import { fmtDuration, fmtPercent, spacedSize } from '../scales.js';
import { breakdownSpec } from '../specs.js';
import { latencyBlocks, seriesLabel, sortMembers } from './blocks.js';
import type { RunView } from './view.js';

export const PUNCH_FAMILY = 'punch.latency_ns';
const PARTS: Array<[string, string]> = [['punch.invalidate_ns', 'invalidate'], ['punch.truncate_ns', 'truncate']];

/** Total ns of every punch (over sizes) and of each part; undefined when nothing punched. */
export function punchTimeSplit(view: RunView): { punches: number; totalNs: number; parts: Array<[string, number]> } | undefined {
  const sizes = view.histograms(PUNCH_FAMILY);
  const punches = sizes.reduce((a, s) => a + s.m.count, 0);
  if (punches === 0) return undefined;
  const totalNs = sizes.reduce((a, s) => a + s.m.count * s.m.mean, 0);
  const parts = PARTS.flatMap(([family, name]) => view.histograms(family).map((h) => [name, h.m.count * h.m.mean] as [string, number]))
    .filter(([, ns]) => ns > 0);
  return { punches, totalNs, parts };
}

export function punchSection(view: RunView): Section {
  view.show(PUNCH_FAMILY, ...PARTS.map(([f]) => f));
  const sizes = sortMembers(view.histograms(PUNCH_FAMILY).filter((s) => s.m.count > 0));
  const split = punchTimeSplit(view);
  if (!split) return { id: 'punch', title: 'Hole-punch latency', sentence: 'Nothing was punched in this run.', blocks: [] };
  const bySize = sizes.map((s) => `${s.m.count} punches of ${spacedSize(seriesLabel(s, 'all'))} took p50 ${fmtDuration(s.m.p50)}, p99 ${fmtDuration(s.m.p99)}`);
  const shares = split.parts.map(([name, ns]) => `${name} ${fmtPercent(ns / split.totalNs)}`);
  const sentence = `${bySize.join('; ')}${shares.length ? `; of all punch time, ${shares.join(' and ')}` : ''}.`;
  const blocks: Block[] = latencyBlocks(PUNCH_FAMILY, sizes);
  if (split.parts.length > 0) {
    const known = split.parts.reduce((a, [, ns]) => a + ns, 0);
    const rest = Math.max(0, split.totalNs - known);
    const parts = [...split.parts, ['rest', rest] as [string, number]].map(([part, ns]) => ({ bar: 'all punches', part, ns: ns / split.punches }));
    blocks.push(chartBlock('punch.breakdown', breakdownSpec('Where a punch\'s time goes', `mean over ${split.punches} punches; rest = syscall, lock waits, notifier walk`, parts, [...split.parts.map(([p]) => p), 'rest'])));
    blocks.push(noteBlock('punch.invalidate_ns and punch.truncate_ns are recorded over all sizes, so the split is of all punches together.'));
  }
  return { id: 'punch', title: 'Hole-punch latency', sentence, blocks };
}
