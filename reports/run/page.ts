// The run report: a metrics document as a Page (layout.ts). Header: what ran; headline table:
// the answers in one screen; then the sections in the order of the questions the tool is for
// (hole-punch latency, notifier and file locks, fault path, THP orders, memory over time),
// then everything else by subsystem.
import { profileField, warningText } from '../header.js';
import { nonZeroPart } from '../hist.js';
import type { Page, Table } from '../layout.js';
import type { MetricsDoc } from '../metrics-types.js';
import { fmtBytes, fmtCount, fmtDuration, fmtPercent, spacedSize } from '../scales.js';
import { seriesLabel, sortMembers } from './blocks.js';
import { FAULT_FAMILY, faultSection } from './fault.js';
import { FILE_LOCKS, lockLabel, lockModes, lockSection, opWaitShares, orderedLocks, WAITING_OPS } from './locks.js';
import { memorySection, unfreedBytes } from './memory.js';
import { otherSections } from './other.js';
import { PUNCH_FAMILY, punchSection } from './punch.js';
import { fallbackPhrase, orderPhrase, thpSection } from './thp.js';
import { RunView } from './view.js';

export function runFields(doc: MetricsDoc): Array<[string, string]> {
  return [
    ['workload', doc.workload],
    ['variant', doc.variant],
    ['profile', profileField(doc.profile)],
    ['seed', `${doc.seed}${doc.replication ? `, replication ${doc.replication}` : ''}`],
    ['simulated', fmtDuration(doc.sim_end_ns ?? 0)],
    ['digest', String(doc.digest ?? '')],
  ];
}

function headline(view: RunView): Table {
  const rows: string[][] = [];
  for (const s of sortMembers(view.histograms(PUNCH_FAMILY).filter((h) => h.m.count > 0))) {
    rows.push([`punch latency, ${spacedSize(seriesLabel(s, 'all'))}`, `p50 ${fmtDuration(s.m.p50)}, p99 ${fmtDuration(s.m.p99)}`, `${fmtCount(s.m.count)} punches`]);
  }
  for (const f of view.histograms(FAULT_FAMILY).filter((h) => h.m.count > 0)) {
    rows.push([`fault latency${f.labelText ? `, ${seriesLabel(f, '')}` : ''}`, `p50 ${fmtDuration(f.m.p50)}, p99 ${fmtDuration(f.m.p99)}`, `${fmtCount(f.m.count)} faults`]);
  }
  const locks = orderedLocks(view).filter((l) => FILE_LOCKS.includes(l) || l === 'mmu_lock');
  for (const m of locks.flatMap((l) => lockModes(view, l))) {
    const nz = nonZeroPart(m.wait);
    rows.push([`waited on ${lockLabel(m)}`, nz.count === 0 ? 'never' : `${fmtPercent(nz.share)} of acquisitions, p99 ${fmtDuration(nz.stats.p99)}`,
      `${fmtCount(m.acquisitions)} acquisitions${nz.count ? `, ${fmtDuration(nz.sumNs)} waited in all` : ''}`]);
  }
  for (const { op, plural } of WAITING_OPS) {
    for (const w of opWaitShares(view, op)) {
      rows.push([`${op} time waiting on ${w.lock}`, w.waitNs === 0 ? 'never' : fmtPercent(w.share), `${fmtDuration(w.waitNs)} of ${fmtDuration(w.latencyNs)} in ${plural}`]);
    }
  }
  const orders = orderPhrase(view);
  if (orders) rows.push(['THP folio orders', orders, fallbackPhrase(view) ?? 'no fallbacks']);
  const unfreed = unfreedBytes(view);
  if (unfreed !== undefined) rows.push(['memory left unfreed', fmtBytes(unfreed), `of ${fmtBytes(view.counterTotal('memory.allocated_bytes')!)} allocated`]);
  return { columns: ['', 'result', 'out of'], rows, textColumns: [0, 1, 2] };
}

export function runPage(doc: MetricsDoc, title?: string): Page {
  const view = new RunView(doc);
  const head = headline(view);
  const sections = [punchSection(view), lockSection(view), faultSection(view), thpSection(view), memorySection(view)];
  sections.push(...otherSections(view));
  return {
    title: title ?? `${doc.workload} under ${doc.variant}`,
    fields: runFields(doc),
    warnings: (doc.warnings ?? []).map(warningText),
    headline: head,
    sections,
  };
}
