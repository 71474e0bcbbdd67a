// Memory and fragmentation over the run: what was allocated and left unfreed, the host's page
// cache and unusable-free index, and VMs alive.
import { noteBlock, tableBlock } from '../layout.js';
import type { Block, Section } from '../layout.js';
import { fmtBytes } from '../scales.js';
import { gaugeBlocks, gaugeKind } from './blocks.js';
import type { RunView } from './view.js';

const MEMORY_COUNTERS = ['memory.allocated_bytes', 'memory.freed_bytes'];

/** Gauges that describe memory: host.*, memory.*, vm.live. */
export function memoryGauges(view: RunView): string[] {
  return [...view.families.keys()].filter((f) => view.gauges(f).length > 0 && (f.startsWith('host.') || f.startsWith('memory.') || f === 'vm.live'));
}

export function unfreedBytes(view: RunView): number | undefined {
  const a = view.counterTotal('memory.allocated_bytes');
  return a === undefined ? undefined : a - (view.counterTotal('memory.freed_bytes') ?? 0);
}

export function memorySection(view: RunView): Section {
  const gauges = memoryGauges(view);
  view.show(...MEMORY_COUNTERS, ...gauges);
  const parts: string[] = [];
  const unfreed = unfreedBytes(view);
  if (unfreed !== undefined) parts.push(`${fmtBytes(view.counterTotal('memory.allocated_bytes')!)} allocated, ${fmtBytes(unfreed)} left unfreed at the end`);
  const ufi = view.gauges('host.unusable_free_index').find((g) => g.labels.order === '9');
  if (ufi) parts.push(`the order-9 unusable free index averaged ${ufi.m.mean.toFixed(2)} and reached ${ufi.m.max.toFixed(2)}`);
  const live = view.gauges('vm.live')[0];
  if (live) parts.push(`up to ${live.m.max} VMs were alive at once`);
  const blocks: Block[] = [];
  if (unfreed !== undefined) {
    blocks.push(tableBlock({ columns: ['memory', 'bytes'], rows: [
      ['allocated', fmtBytes(view.counterTotal('memory.allocated_bytes')!)],
      ['freed', fmtBytes(view.counterTotal('memory.freed_bytes') ?? 0)],
      ['left unfreed', fmtBytes(unfreed)],
    ] }));
  }
  for (const f of gauges) blocks.push(...gaugeBlocks(view, f, view.gauges(f), gaugeKind(f)));
  if (gauges.length === 0) blocks.push(noteBlock('This workload records no memory gauge over time (multi-vm-host does: page cache, unusable free index, VMs alive).'));
  const sentence = parts.length === 0 ? 'No memory figure was recorded in this run.' : `${parts.join('; ')}.`.replace(/^./, (c) => c.toUpperCase());
  return { id: 'memory', title: 'Memory and fragmentation over time', sentence, blocks };
}
