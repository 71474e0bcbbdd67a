// What taking a file lock costs after waiting for it: the previous holder ran on the other
// CPU, so the inode, the lock and the mapping lines touched next come from its cache, and on
// some hosts a punch also pays per page for state the other CPU last wrote (the kernel
// probe's hand-over cost: sim/costs/README.md). Shared by shmem's inode_lock
// and guest_memfd's invalidate_lock.
import type { Process } from '../engine/index.js';
import type { CostName } from '../costs/index.js';
import type { Host } from './host.js';
import type { Gen } from './backing.js';
import { charge } from './charge.js';

export interface HandoverCosts {
  /** Once per contended acquisition. */
  refill: CostName;
  /** Per page the operation covers (punches; 0 pages for allocations). */
  perPage: CostName;
}

/** Charge the hand-over when the lock was waited for (now > waitedFrom). */
export function* chargeLockHandover(p: Process, host: Host, waitedFrom: number, costs: HandoverCosts, pages: number): Gen {
  if (host.sim.now > waitedFrom) yield* charge(p, host.costs.ns(costs.refill) + pages * host.costs.ns(costs.perPage));
}
