// What every fallocate spends outside the file's own lock: the syscall and the VFS around the
// file system's ->fallocate. Two threads punching one file overlap there, so the lock is free
// for that long between one thread's punches and a woken waiter can take it (sim/costs/README.md
// "Two punchers").
import type { Process } from '../engine/index.js';
import type { Host } from './host.js';
import type { Gen } from './backing.js';
import { charge } from './charge.js';

/**
 * __x64_sys_fallocate -> ksys_fallocate -> vfs_fallocate (6.1 fs/open.c, the same on 6.18):
 * syscall entry and exit, fdget/fdput, vfs_fallocate's argument checks, file_start_write
 * (sb_start_write, a per-CPU rwsem read) and fsnotify_modify after the file system returns. No
 * lock held. Cost host.fallocate_syscall_ns, taken out of the call's fixed cost `fixedNs` (the
 * fixed costs are fitted from whole-call latencies, so a lone call costs the same with or
 * without the split): returns what is left to charge under the file's lock. Leaves out
 * security_file_permission's LSM hooks and the rare fsnotify marks.
 */
export function* sys_fallocate_entry(p: Process, host: Host, fixedNs: number): Gen<number> {
  const outside = Math.min(host.costs.ns('host.fallocate_syscall_ns'), fixedNs);
  yield* charge(p, outside);
  return fixedNs - outside;
}
