// The folio lock (PG_locked; mm/filemap.c folio_lock / __folio_lock / folio_unlock, 6.1 and
// 6.18): a sleeping bit lock per folio. A contended locker sleeps on the folio's wait queue
// (folio_wait_bit_common, TASK_UNINTERRUPTIBLE, an exclusive waiter; no optimistic spinning)
// and folio_unlock hands the bit to the first exclusive waiter (wake_page_function takes it for
// the waiter, since 5.9), waking one waiter at a time.
//
// Only holds that last simulated time get a record: the truncation of a huge folio partly in a
// punched range (truncate_inode_partial_folio: zero, then split, about 16 us for 4 KiB of a
// 2 MiB folio, docs/kernel-model.md section 7). A fault's own hold (shmem_get_folio's lock up to
// restrictedmem_get_page's unlock, or kvm_gmem_get_pfn's) is taken as instantaneous: it waits
// for a held lock, then lets it go at once. Records exist only while held, so the common case
// (no record anywhere) is one Map size test. A huge folio's record covers all its pages: while a
// partial truncation holds it, a fault on any of its 512 indices waits: during the zeroing it
// takes a reference and sleeps on the lock (and that reference makes the split fail); during
// the split folio_try_get fails on the frozen count and the lookup retries on its CPU until the
// split ends, which is also when the truncation unlocks the folio.
//
// Metrics: folio_lock.contended (waits), folio_lock.wait_ns (one entry per wait: asleep until
// handed the lock and running again, or spinning on a frozen count), folio_lock.hold_ns (the
// recorded holds). Leaves out the
// short holds (faults, fallocate's per-folio lock, find_lock_entries' trylock of whole folios),
// the waiter's schedule-out cost and non-exclusive waiters (folio_wait_locked).
import type { Process } from '../engine/index.js';
import { wakeDelay } from '../engine/index.js';
import type { Host } from './host.js';
import { type Gen } from './backing.js';

interface FolioLockRecord {
  /** Head pfn and pages of the locked folio. */
  pfn: number;
  nr: number;
  holder: Process;
  since: number;
  /** While split_folio has the reference count frozen: until when (else -1). */
  frozenUntil: number;
  /** Exclusive waiters in arrival order: each is resumed holding the lock. */
  waiters: Array<{ p: Process; wake: () => void }>;
}

/** Huge folios are naturally aligned in pfn space (buddy blocks): their record is found from any page. */
const HUGE_NR = 512;

export class FolioLocks {
  private readonly held = new Map<number, FolioLockRecord>();

  constructor(private readonly host: Host) {}

  /** The record covering pfn, if its folio is locked. */
  find(pfn: number): FolioLockRecord | undefined {
    if (this.held.size === 0) return undefined;
    const r = this.held.get(pfn) ?? this.held.get(pfn - (pfn % HUGE_NR));
    return r && pfn < r.pfn + r.nr ? r : undefined;
  }

  /** Whether any page of [pfn, pfn + nr) belongs to a locked folio. */
  isLocked(pfn: number): boolean {
    return this.find(pfn) !== undefined;
  }

  /**
   * split_folio freezes the locked folio's reference count (folio_ref_freeze) for `ns`, the
   * split's duration: a lookup meanwhile cannot take a reference (folio_try_get_rcu fails) and
   * retries on its CPU until the count is unfrozen (frozenSpin).
   */
  freeze(pfn: number, ns: number): void {
    const r = this.held.get(pfn);
    if (r) r.frozenUntil = this.host.sim.now + ns;
  }

  /**
   * filemap_get_entry's `if (!folio_try_get_rcu(folio)) goto repeat` while a split has the count
   * of the folio holding pfn frozen: spin on the CPU until it is unfrozen (recorded as a wait).
   * Returns whether it spun; the caller looks the index up again.
   */
  *frozenSpin(p: Process, pfn: number): Gen<boolean> {
    const r = this.find(pfn);
    const ns = r ? r.frozenUntil - this.host.sim.now : 0;
    if (ns <= 0) return false;
    yield p.compute(ns);
    this.recordWait(ns);
    return true;
  }

  /**
   * folio_lock(folio) for a hold that lasts: take the bit, or sleep until folio_unlock hands it
   * over (then wakeDelay before running). Returns the wait in ns (0 when it was free).
   */
  *lock(p: Process, pfn: number, nr: number): Gen<number> {
    const r = this.find(pfn);
    if (!r) {
      this.held.set(pfn, { pfn, nr, holder: p, since: this.host.sim.now, frozenUntil: -1, waiters: [] });
      return 0;
    }
    const waited = yield* this.waitFor(p, r);
    r.holder = p;
    r.since = this.host.sim.now;
    return waited;
  }

  /** folio_unlock: hand the bit to the first waiter, or clear it. */
  unlock(p: Process, pfn: number): void {
    const r = this.held.get(pfn);
    if (!r || r.holder !== p) throw new Error(`folio_unlock of pfn ${pfn} by ${p.name}, which does not hold it`);
    this.host.sim.stats.histogram('folio_lock.hold_ns').record(this.host.sim.now - r.since);
    const next = r.waiters.shift();
    if (next) {
      r.holder = next.p;
      next.wake();
    } else {
      this.held.delete(pfn);
    }
  }

  /**
   * __filemap_get_folio(FGP_LOCK)'s folio_lock for a fault (or any short holder): when the folio
   * holding pfn is locked, sleep until handed the lock and let it go at once (the short hold is
   * instantaneous here). Returns the wait in ns, 0 when it was free (nothing recorded).
   */
  *lockBriefly(p: Process, pfn: number): Gen<number> {
    const r = this.find(pfn);
    if (!r) return 0;
    const waited = yield* this.waitFor(p, r);
    r.holder = p;
    r.since = this.host.sim.now;
    this.unlock(p, r.pfn);
    return waited;
  }

  private *waitFor(p: Process, r: FolioLockRecord): Gen<number> {
    const sim = this.host.sim;
    const t0 = sim.now;
    const handed = sim.event(`folio_lock pfn ${r.pfn} (held by ${r.holder.name})`);
    r.waiters.push({ p, wake: () => handed.succeed() });
    yield handed;
    yield p.sleep(wakeDelay(sim, p));
    const waited = sim.now - t0;
    this.recordWait(waited);
    return waited;
  }

  private recordWait(ns: number): void {
    const stats = this.host.sim.stats;
    stats.counter('folio_lock.contended').add(1);
    stats.histogram('folio_lock.wait_ns').record(ns);
  }
}
