// What every fallocate spends outside the file's own lock: the syscall and the VFS around the
// file system's ->fallocate. Two threads punching one file overlap there, so the lock is free
// for that long between one thread's punches and a woken waiter can take it (sim/costs/README.md
// "Two punchers").
import type { Process } from '../engine/index.js';
import type { CostName } from '../costs/index.js';
import type { Host } from './host.js';
import type { Gen } from './backing.js';
import { charge } from './charge.js';

/** A fallocate's fixed cost split by where it runs (sys_fallocate_entry). */
export interface FallocateShares {
  /** Charged under the file's lock by the file system. */
  underLock: number;
  /** Charged after the lock's release (vfs_fallocate_exit). */
  afterUnlock: number;
}

/**
 * __x64_sys_fallocate -> ksys_fallocate -> vfs_fallocate (6.1 fs/open.c, the same on 6.18):
 * syscall entry and exit, fdget/fdput, vfs_fallocate's argument checks. No lock held. Cost
 * host.fallocate_syscall_ns, charged now, and `afterUnlock` (the file system's
 * *.fallocate_after_unlock_ns, vfs_fallocate_exit), both taken out of the call's fixed cost
 * `fixedNs` in that order (the fixed costs are fitted from whole-call latencies, so a lone call
 * costs the same with or without the split): returns what is left to charge under the file's
 * lock and what after it. Leaves out security_file_permission's LSM hooks and the rare fsnotify
 * marks.
 */
export function* sys_fallocate_entry(p: Process, host: Host, fixedNs: number, afterUnlock: CostName): Gen<FallocateShares> {
  const outside = Math.min(host.costs.ns('host.fallocate_syscall_ns'), fixedNs);
  yield* charge(p, outside);
  const after = Math.min(host.costs.ns(afterUnlock), fixedNs - outside);
  return { underLock: fixedNs - outside - after, afterUnlock: after };
}

/**
 * What a valid fallocate runs after the file system dropped its lock (6.18): vfs_fallocate's
 * fsnotify_modify and file_end_write (sb_end_write, a per-CPU rwsem read release), and for
 * guest_memfd kvm_gmem_fallocate's file_modified (file_remove_privs, file_update_time:
 * inode_needs_update_time against the coarse clock) after filemap_invalidate_unlock; the part of
 * vfs_fallocate before ->fallocate that a refused zero-length call skips (security_file_permission,
 * file_start_write) is folded in, as it too runs outside the lock. No lock held. Cost
 * `shares.afterUnlock` (gmem.fallocate_after_unlock_ns, shmem.fallocate_after_unlock_ns), fitted
 * from the two-puncher probe's 4 KiB passes that took turns (sim/calibrate/two-punchers-analysis.ts
 * alternationShares). Leaves out the inode timestamp update of the call that crosses a jiffy.
 */
export function* vfs_fallocate_exit(p: Process, shares: FallocateShares): Gen {
  yield* charge(p, shares.afterUnlock);
}
