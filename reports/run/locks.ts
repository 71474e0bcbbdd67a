// Notifier and file lock contention: every lock of the run in one table (notifier and file
// locks first), the share of acquisitions that waited and the tail of those waits, hold
// times, and queue lengths over the run.
import { MIN_SAMPLES_FOR_CHART, nonZeroPart } from '../hist.js';
import { chartBlock, noteBlock, tableBlock } from '../layout.js';
import type { Block, Section } from '../layout.js';
import type { HistogramMetric } from '../metrics-types.js';
import { fmtCount, fmtDuration, fmtPercent } from '../scales.js';
import { gaugeSeriesSpec, tailSpec } from '../specs.js';
import { flatGaugeText, seriesMoves } from './blocks.js';
import { LOCK_SUFFIXES } from './view.js';
import type { RunView } from './view.js';

/** The per-file locks a punch takes (v10's notifier mutex, shmem's inode rwsem, guest_memfd's invalidate_lock) and the superblock list a memory error walks. */
export const FILE_LOCKS = ['notifier_lock', 'invalidate_lock', 'inode_lock', 's_inode_list_lock'];

export interface LockMode {
  lock: string;
  /** '' for a lock without modes. */
  mode: string;
  acquisitions: number;
  wait: HistogramMetric;
  hold: HistogramMetric;
}

/** Locks in report order: file locks first, then the rest by name. */
export function orderedLocks(view: RunView): string[] {
  const names = view.lockNames();
  return [...FILE_LOCKS.filter((l) => names.includes(l)), ...names.filter((l) => !FILE_LOCKS.includes(l)).sort()];
}

/** Every (lock, mode) that was taken at least once. */
export function lockModes(view: RunView, lock: string): LockMode[] {
  const holds = view.histograms(`${lock}.hold_ns`);
  return view.histograms(`${lock}.wait_ns`).map((w) => ({
    lock,
    mode: w.labels.mode ?? '',
    acquisitions: w.m.count,
    wait: w.m,
    hold: holds.find((h) => h.labelText === w.labelText)?.m ?? w.m,
  })).filter((l) => l.acquisitions > 0);
}

/** The operations whose lock waits the model attributes (`<op>.lock_wait_ns{lock}` beside `<op>.latency_ns`). */
export const WAITING_OPS = [{ op: 'punch', plural: 'punches' }, { op: 'fault', plural: 'faults' }] as const;

export interface OpWaitShare {
  /** 'punch' or 'fault'. */
  op: string;
  lock: string;
  waitNs: number;
  /** Sum of the operation's latencies, over every size. */
  latencyNs: number;
  /** waitNs / latencyNs: the share of the operation's time spent waiting on the lock. */
  share: number;
}

/**
 * For each operation that ran and each lock of the run it may take (in report order), the share
 * of its time spent waiting on that lock; a lock it never waited on has share 0. Runs recorded
 * before `<op>.lock_wait_ns` existed give none.
 */
export function opWaitShares(view: RunView, op: string): OpWaitShare[] {
  const latencyNs = view.histograms(`${op}.latency_ns`).reduce((a, h) => a + h.m.mean * h.m.count, 0);
  const waits = view.counters(`${op}.lock_wait_ns`);
  if (latencyNs <= 0) return [];
  const waitedLocks = waits.map((w) => w.labels.lock);
  const taken = orderedLocks(view).filter((l) => FILE_LOCKS.includes(l) || l === 'mmu_lock');
  const locks = [...taken, ...waitedLocks.filter((l) => !taken.includes(l)).sort()];
  return locks.map((lock) => {
    const waitNs = waits.filter((w) => w.labels.lock === lock).reduce((a, w) => a + w.m.value, 0);
    return { op, lock, waitNs, latencyNs, share: waitNs / latencyNs };
  });
}

export const lockLabel = (l: { lock: string; mode: string }) => (l.mode ? `${l.lock} (${l.mode})` : l.lock);

/** "12% of 65 acquisitions waited; p99 wait 41 us" */
export function waitPhrase(l: LockMode): string {
  const nz = nonZeroPart(l.wait);
  if (nz.count === 0) return `none of ${fmtCount(l.acquisitions)} acquisitions waited`;
  return `${fmtPercent(nz.share)} of ${fmtCount(l.acquisitions)} acquisitions waited, p99 of those waits ${fmtDuration(nz.stats.p99)}`;
}

function lockRow(l: LockMode): string[] {
  const nz = nonZeroPart(l.wait);
  const w = (v: number) => (nz.count === 0 ? '' : fmtDuration(v));
  return [lockLabel(l), fmtCount(l.acquisitions), fmtPercent(nz.share), w(nz.stats.p50), w(nz.stats.p99), w(nz.stats.max), w(nz.sumNs),
    fmtDuration(l.hold.p50), fmtDuration(l.hold.p99), fmtDuration(l.hold.max)];
}

export function lockSection(view: RunView): Section {
  const locks = orderedLocks(view);
  for (const l of locks) view.show(...LOCK_SUFFIXES.map((s) => `${l}.${s}`));
  const modes = locks.flatMap((l) => lockModes(view, l));
  const untaken = locks.filter((l) => !modes.some((m) => m.lock === l));
  const file = modes.filter((m) => FILE_LOCKS.includes(m.lock));
  const waited = modes.filter((m) => nonZeroPart(m.wait).count > 0).sort((a, b) => nonZeroPart(b.wait).share - nonZeroPart(a.wait).share);
  const fileWaited = waited.filter((m) => FILE_LOCKS.includes(m.lock));
  let sentence: string;
  if (file.length === 0) sentence = 'No notifier or file lock was taken in this run';
  else if (fileWaited.length === 0) sentence = `No notifier or file lock acquisition waited (${file.map((m) => `${lockLabel(m)} ${fmtCount(m.acquisitions)}`).join(', ')})`;
  else sentence = fileWaited.map((m) => `${lockLabel(m)}: ${waitPhrase(m)}`).join('; ');
  const punchWaits = opWaitShares(view, 'punch').filter((w) => w.waitNs > 0).sort((a, b) => b.share - a.share);
  if (punchWaits.length > 0) sentence = `Punches spent ${punchWaits.map((w) => `${fmtPercent(w.share)} of their time waiting on ${w.lock}`).join(', ')}; ${sentence}`;
  const other = waited.find((m) => !FILE_LOCKS.includes(m.lock));
  sentence += other ? `; the most contended other lock was ${lockLabel(other)}: ${waitPhrase(other)}.` : '.';

  const blocks: Block[] = [];
  if (modes.length > 0) {
    blocks.push(tableBlock({
      columns: ['lock', 'acquisitions', 'waited', 'wait p50', 'wait p99', 'wait max', 'total wait', 'hold p50', 'hold p99', 'hold max'],
      rows: modes.map(lockRow),
      caption: 'wait percentiles are of the acquisitions that waited; notifier and file locks first',
    }));
  }
  if (untaken.length > 0) blocks.push(noteBlock(`Never taken: ${untaken.join(', ')}.`));
  const tails = waited.filter((m) => nonZeroPart(m.wait).count >= MIN_SAMPLES_FOR_CHART);
  if (tails.length > 0) {
    const sub = tails.map((m) => `${lockLabel(m)} ${fmtPercent(nonZeroPart(m.wait).share)} waited`).join(', ');
    blocks.push(chartBlock('locks.wait_tail', tailSpec('Lock waits of the acquisitions that waited', sub, tails.map((m) => ({ name: lockLabel(m), stats: nonZeroPart(m.wait).stats })), 'wait (log scale)')));
  } else if (waited.length === 0 && modes.length > 0) {
    blocks.push(noteBlock('Never waited: no acquisition of any lock had to wait.'));
  }
  const held = file.filter((m) => m.hold.count >= MIN_SAMPLES_FOR_CHART && m.hold.max > 0);
  if (held.length > 0) {
    blocks.push(chartBlock('locks.file_hold', tailSpec('Notifier and file lock hold times', 'percentiles of every hold', held.map((m) => ({ name: lockLabel(m), stats: { p50: m.hold.p50, p90: m.hold.p90, p99: m.hold.p99, 'p99.9': m.hold.p999, max: m.hold.max } })), 'hold (log scale)')));
  }
  const queues = locks.flatMap((l) => view.gauges(`${l}.queue_len`));
  const moving = queues.filter((g) => seriesMoves(g.m));
  if (moving.length > 0) {
    const sub = moving.map((g) => `${g.key} max ${g.m.max}`).join(', ');
    blocks.push(chartBlock('locks.queue_len', gaugeSeriesSpec('Lock queue length over the run', sub, moving.map((g) => ({ name: g.key, series: g.m.series })), view.endNs, 'count')));
  }
  const flat = queues.filter((g) => !seriesMoves(g.m));
  if (flat.length > 0) blocks.push(noteBlock(`Queue length ${flatGaugeText(flat, 'count')}`));
  blocks.push(noteBlock('Who waits: metrics.json keeps waits per lock and mode, not per waiter; the Perfetto trace (--trace-out) shows each wait on the waiter\'s track.'));
  return { id: 'locks', title: 'Notifier and file lock contention', sentence, blocks };
}
