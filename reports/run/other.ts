// Everything the question sections did not show, one section per subsystem (the metric name
// before its first dot): latency families as rows and ladders, counters, gauges over the run.
import { nonZeroPart } from '../hist.js';
import { noteBlock, tableBlock } from '../layout.js';
import type { Block, Section } from '../layout.js';
import { fmtBytes, fmtCount, fmtDuration, fmtPercent } from '../scales.js';
import { counterBlocks, counterTable, gaugeBlocks, gaugeKind, latencyBlocks } from './blocks.js';
import type { RunView } from './view.js';

function subsystemOf(family: string): string {
  return family.slice(0, family.indexOf('.') > 0 ? family.indexOf('.') : undefined);
}

/** One sentence from a subsystem's first latency family, else its largest counter. */
function subsystemSentence(view: RunView, families: string[]): string {
  for (const f of families) {
    const hs = view.histograms(f).filter((h) => h.m.count > 0);
    if (hs.length === 0) continue;
    const n = hs.reduce((a, h) => a + h.m.count, 0);
    const worst = hs.reduce((a, h) => (h.m.p99 > a.m.p99 ? h : a));
    const nz = nonZeroPart(worst.m);
    const zeros = nz.count < worst.m.count ? `; ${fmtPercent(1 - nz.share)} were 0` : '';
    return `${f}: ${fmtCount(n)} samples, p50 ${fmtDuration(worst.m.p50)}, p99 ${fmtDuration(worst.m.p99)}, max ${fmtDuration(worst.m.max)}${hs.length > 1 ? ` (${worst.key})` : ''}${zeros}.`;
  }
  const counters = families.flatMap((f) => view.counters(f));
  if (counters.length > 0) {
    const top = counters.reduce((a, c) => (c.m.value > a.m.value ? c : a));
    return top.m.value === 0 ? `Every counter stayed at 0 (${counters.map((c) => c.key).join(', ')}).` : `${top.key} counted ${/_bytes(\{|$)/.test(top.key) ? fmtBytes(top.m.value) : fmtCount(top.m.value)}.`;
  }
  const g = families.flatMap((f) => view.gauges(f))[0];
  return g ? `${g.key} peaked at ${fmtCount(g.m.max)}.` : 'Nothing recorded.';
}

export function otherSections(view: RunView): Section[] {
  const bySubsystem = new Map<string, string[]>();
  for (const f of view.rest()) {
    const s = subsystemOf(f);
    bySubsystem.set(s, [...(bySubsystem.get(s) ?? []), f]);
  }
  return [...bySubsystem].map(([subsystem, families]) => {
    const blocks: Block[] = [];
    const counters: Array<[string, number]> = [];
    for (const f of families) {
      if (view.histograms(f).length > 0) blocks.push(...latencyBlocks(f, view.histograms(f), 'duration'));
      const cs = view.counters(f);
      if (cs.length === 1) counters.push([cs[0].key, cs[0].m.value]);
      else if (cs.length > 1) blocks.push(...counterBlocks(f, cs));
      if (view.gauges(f).length > 0) blocks.push(...gaugeBlocks(view, f, view.gauges(f), gaugeKind(f)));
    }
    if (counters.length > 0) blocks.push(tableBlock(counterTable(counters)));
    if (blocks.length === 0) blocks.push(noteBlock('No samples.'));
    view.show(...families);
    return { id: `other-${subsystem}`, title: `Other: ${subsystem}`, sentence: subsystemSentence(view, families), blocks };
  });
}
