// THP order handling: the orders of the folios allocated, why huge allocations fell back, and
// the splits of huge folios.
import type { Block, Section } from '../layout.js';
import { fmtCount, fmtPercent } from '../scales.js';
import { counterBlocks, seriesLabel, sortMembers } from './blocks.js';
import type { RunView } from './view.js';

export const THP_FAMILIES = ['thp.folio_orders', 'thp.fallbacks'];

export function thpFamilies(view: RunView): string[] {
  return [...view.families.keys()].filter((f) => f.startsWith('thp.'));
}

/** "1,340 of 310,588 folios (0.4%) were order 9" or "every folio was order 0". */
export function orderPhrase(view: RunView): string | undefined {
  const orders = sortMembers(view.counters('thp.folio_orders')).filter((c) => c.m.value > 0);
  const total = orders.reduce((a, c) => a + c.m.value, 0);
  if (total === 0) return undefined;
  if (orders.length === 1) return `every folio (${fmtCount(total)}) was order ${seriesLabel(orders[0], '')}`;
  const top = orders[orders.length - 1];
  return `${fmtCount(top.m.value)} of ${fmtCount(total)} folios (${fmtPercent(top.m.value / total)}) were order ${seriesLabel(top, '')}`;
}

export function fallbackPhrase(view: RunView): string | undefined {
  const fb = view.counters('thp.fallbacks').filter((c) => c.m.value > 0);
  if (fb.length === 0) return undefined;
  return `huge allocations fell back ${fb.map((c) => `${fmtCount(c.m.value)} times (${seriesLabel(c, '')})`).join(', ')}`;
}

export function thpSection(view: RunView): Section {
  const families = thpFamilies(view);
  view.show(...families);
  const phrases = [orderPhrase(view), fallbackPhrase(view)].filter((p): p is string => p !== undefined);
  if (view.counters('thp.fallbacks').length === 0 && phrases.length > 0) phrases.push('no huge allocation fell back');
  const sentence = phrases.length === 0 ? 'No folio was allocated in this run.' : `${phrases.join('; ')}.`.replace(/^./, (c) => c.toUpperCase());
  const titles: Record<string, string> = { 'thp.folio_orders': 'Folios allocated, by order', 'thp.fallbacks': 'Huge-folio fallbacks, by reason' };
  const blocks: Block[] = families.flatMap((f) => counterBlocks(f, view.counters(f), titles[f] ?? f));
  return { id: 'thp', title: 'THP order handling', sentence, blocks };
}
