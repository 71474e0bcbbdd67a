// The model's metric names (issue 4, stable): one place that creates them, so the names in
// metrics.json are exactly these. Lock metrics (notifier_lock.*, inode_lock.*, mmu_lock.*)
// come from the engine's locks.
import type { Counter, Histogram, Recorder } from '../engine/index.js';
import { PAGE_SIZE } from '../units.js';
import { OpLockWaits } from './op-lock-waits.js';

/** "4KiB", "64KiB", "2MiB", "1GiB", or bytes when not a power-of-two size class. */
export function sizeLabel(bytes: number): string {
  const units: Array<[number, string]> = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [u, s] of units) if (bytes >= u && bytes % u === 0) return `${bytes / u}${s}`;
  return `${bytes}B`;
}

const LEVEL_NAMES = ['4K', '2M', '1G'];

export class ModelMetrics {
  // The per-fault metrics, looked up once: a lookup builds the labelled key string every time.
  // Each is created on first use, as the recorder would (a metric never touched is absent).
  private faultLatency: Histogram | undefined;
  private readonly byLevel: Counter[] = [];
  private readonly folioOrders: Counter[] = [];
  private allocatedBytes: Counter | undefined;
  /** thp.fallbacks{reason}: under THP every 4 KiB fault in a block that fell back is one. */
  private readonly fallbacks = new Map<string, Counter>();

  /** punch.lock_wait_ns{lock} and fault.lock_wait_ns{lock}: which lock each operation waited on. */
  readonly punchWaits: OpLockWaits;
  readonly faultWaits: OpLockWaits;

  constructor(private readonly stats: Recorder) {
    this.punchWaits = new OpLockWaits(stats, 'punch');
    this.faultWaits = new OpLockWaits(stats, 'fault');
  }

  punchLatency(bytes: number, ns: number): void {
    this.stats.histogram('punch.latency_ns', { size: sizeLabel(bytes) }).record(ns);
  }
  punchInvalidate(ns: number): void {
    this.stats.histogram('punch.invalidate_ns').record(ns);
  }
  punchTruncate(ns: number): void {
    this.stats.histogram('punch.truncate_ns').record(ns);
  }
  refilled(bytes: number): void {
    this.stats.counter('punch.refilled_bytes').add(bytes);
  }
  fault(ns: number, retries: number, level: number): void {
    this.faultLatencies().record(ns);
    if (retries) this.stats.counter('fault.retries').add(retries);
    if (level > 0) this.faultsMapped(1, level);
  }
  /** fault.by_level for n faults mapped at `level` (a batch's count them n at a time). */
  faultsMapped(n: number, level: number): void {
    (this.byLevel[level] ??= this.stats.counter('fault.by_level', { level: LEVEL_NAMES[level - 1] ?? String(level) })).add(n);
  }
  /** fault.latency_ns, for the latencies a batch recorded (Histogram.addBuckets). */
  faultLatencies(): Histogram {
    return (this.faultLatency ??= this.stats.histogram('fault.latency_ns'));
  }
  folioAllocated(order: number, n = 1): void {
    (this.folioOrders[order] ??= this.stats.counter('thp.folio_orders', { order })).add(n);
    (this.allocatedBytes ??= this.stats.counter('memory.allocated_bytes')).add(n * PAGE_SIZE * (1 << order));
  }
  thpFallback(reason: 'occupied' | 'alloc_failed', n = 1): void {
    let c = this.fallbacks.get(reason);
    if (!c) this.fallbacks.set(reason, (c = this.stats.counter('thp.fallbacks', { reason })));
    c.add(n);
  }
  thpSplit(ok: boolean): void {
    this.stats.counter(ok ? 'thp.splits' : 'thp.split_failures').add(1);
  }
  freed(bytes: number): void {
    this.stats.counter('memory.freed_bytes').add(bytes);
  }
  unfreedZeroed(bytes: number): void {
    this.stats.counter('memory.unfreed_zeroed_bytes').add(bytes);
  }
  tlbFlush(): void {
    this.stats.counter('tlb.flushes').add(1);
  }
  zapped(leaves: number): void {
    if (leaves) this.stats.counter('ept.zapped_leaves').add(leaves);
  }
  errorLookup(ns: number): void {
    this.stats.histogram('error.lookup_ns').record(ns);
  }
  violation(kind: string): void {
    this.stats.counter('safety.violations', { kind }).add(1);
  }
  count(name: string, labels?: Record<string, string | number>, n = 1): void {
    this.stats.counter(name, labels).add(n);
  }
}
