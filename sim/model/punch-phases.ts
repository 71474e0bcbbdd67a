// The three phases of every hole punch (notify begin, truncate, notify end), timed the same way
// for restrictedmem_punch_hole and kvm_gmem_punch_hole.
import type { Process } from '../engine/index.js';
import type { Host } from './host.js';
import type { Gen } from './backing.js';

/**
 * Run `begin`, `truncate`, `end` in order, recording punch.invalidate_ns (begin + end) and
 * punch.truncate_ns. An error of the truncation is returned, not thrown, so that end still
 * runs (v10's restrictedmem_punch_hole calls restrictedmem_invalidate_end whatever
 * shmem_fallocate returned); the caller throws it after its own unlocking.
 */
export function* timedPunchPhases(p: Process, host: Host, begin: Gen, truncate: Gen<unknown>, end: Gen): Gen<unknown> {
  let t = host.sim.now;
  yield* begin;
  let invalidateNs = host.sim.now - t;
  t = host.sim.now;
  let err: unknown;
  try {
    yield* truncate;
  } catch (e) {
    err = e;
  }
  host.metrics.punchTruncate(host.sim.now - t);
  t = host.sim.now;
  yield* end;
  invalidateNs += host.sim.now - t;
  host.metrics.punchInvalidate(invalidateNs);
  return err;
}
