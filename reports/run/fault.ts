// The fault path: fault latency, the mapping level faults installed, retries after an
// invalidation raced them, and the mmu_lock / SRCU waits they met.
import { nonZeroPart } from '../hist.js';
import { tableBlock } from '../layout.js';
import type { Block, Section } from '../layout.js';
import { fmtCount, fmtDuration, fmtPercent, spacedSize } from '../scales.js';
import { counterBlocks, counterTable, latencyBlocks, seriesLabel, sortMembers } from './blocks.js';
import { lockLabel, lockModes, waitPhrase } from './locks.js';
import type { RunView } from './view.js';

export const FAULT_FAMILY = 'fault.latency_ns';
const FAULT_COUNTERS = ['fault.retries', 'tlb.flushes', 'ept.zapped_leaves', 'vcpu.mapped_accesses'];

export function faultSection(view: RunView): Section {
  view.show(FAULT_FAMILY, 'fault.by_level', 'vcpu.fault_outcomes', ...FAULT_COUNTERS);
  const lat = view.histograms(FAULT_FAMILY).filter((h) => h.m.count > 0);
  const faults = lat.reduce((a, h) => a + h.m.count, 0);
  if (faults === 0) return { id: 'fault', title: 'Fault path', sentence: 'No guest fault was taken in this run.', blocks: [] };
  const parts: string[] = [];
  if (lat.length === 1) parts.push(`${fmtCount(faults)} faults took p50 ${fmtDuration(lat[0].m.p50)}, p99 ${fmtDuration(lat[0].m.p99)}`);
  else parts.push(`${fmtCount(faults)} faults; ${lat.map((h) => `${seriesLabel(h, 'all')} p99 ${fmtDuration(h.m.p99)}`).join(', ')}`);
  const levels = sortMembers(view.counters('fault.by_level')).filter((c) => c.m.value > 0);
  const mapped = levels.reduce((a, c) => a + c.m.value, 0);
  if (mapped > 0) parts.push(levels.length === 1 ? `every mapping at ${spacedSize(seriesLabel(levels[0], ''))}` : `mapped ${levels.map((c) => `${fmtPercent(c.m.value / mapped)} at ${spacedSize(seriesLabel(c, ''))}`).join(', ')}`);
  const retries = view.counterTotal('fault.retries');
  if (retries !== undefined) parts.push(`${fmtCount(retries)} retried after a racing invalidation (${fmtPercent(retries / faults)})`);
  const mmu = lockModes(view, 'mmu_lock').filter((m) => nonZeroPart(m.wait).count > 0);
  if (mmu.length > 0) parts.push(mmu.map((m) => `${lockLabel(m)}: ${waitPhrase(m)}`).join('; '));
  const blocks: Block[] = latencyBlocks(FAULT_FAMILY, lat);
  if (view.counters('fault.by_level').length > 0) blocks.push(...counterBlocks('fault.by_level', view.counters('fault.by_level'), 'Faults by mapping level'));
  if (view.counters('vcpu.fault_outcomes').length > 0) blocks.push(...counterBlocks('vcpu.fault_outcomes', view.counters('vcpu.fault_outcomes'), 'Fault outcomes'));
  const counters = FAULT_COUNTERS.flatMap((f) => view.counters(f).map((c) => [c.key, c.m.value] as [string, number]));
  if (counters.length > 0) blocks.push(tableBlock(counterTable(counters)));
  return { id: 'fault', title: 'Fault path', sentence: `${parts.join('; ')}.`, blocks };
}
