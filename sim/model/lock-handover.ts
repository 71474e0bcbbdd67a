// What taking a file lock costs after waiting for it: the previous holder ran on the other
// CPU, so the inode, the lock and the mapping lines touched next come from its cache, and on
// some hosts a punch also pays per page for state the other CPU last wrote (the kernel
// probe's hand-over cost: sim/costs/README.md). Shared by shmem's inode_lock
// and guest_memfd's invalidate_lock.
//
// Two threads punching one file (6.18; the validation's two-puncher sequences and the probe's
// two_punchers rows, which prepare the file the same way: host-prefault.h, one fallocate by the
// main thread):
// - The file lock is an rw_semaphore taken for write: shmem_fallocate's inode_lock (i_rwsem),
//   kvm_gmem_punch_hole's filemap_invalidate_lock (mapping->invalidate_lock). Everything of the
//   punch runs under it: shmem's unmap_mapping_range (i_mmap_lock_read, an empty i_mmap here),
//   shmem_undo_range / truncate_inode_pages_range (find_lock_entries, delete_from_page_cache_batch
//   under the xarray lock, folio_batch_release -> free_unref_folios onto this CPU's per-CPU
//   lists), guest_memfd's kvm_gmem_invalidate_begin/end (KVM_MMU_LOCK only when bound). Only
//   the syscall around it does not (sys_fallocate -> vfs_fallocate: host.fallocate_syscall_ns,
//   sys-fallocate.ts).
// - A writer that finds it owned by a running task spins (rwsem_down_write_slowpath ->
//   rwsem_optimistic_spin -> rwsem_spin_on_owner) and takes it one poll after the release
//   (lockCosts spin_poll_ns + cacheline_ns), so the threads take turns: a punch waits out one
//   hold of the other's and pays *.contended_refill_ns for the lines the other CPU last wrote
//   (the i_rwsem count and owner, inode and shmem_inode_info fields, the xarray root and shared
//   nodes, lruvec and memcg counters); the syscalls overlap the other thread's hold.
// - The spin ends when need_resched() is set on the spinner's CPU or the owner is off its CPU
//   (owner_on_cpu, which on this VM also checks vcpu_is_preempted): a tick's chance per tick,
//   lockCosts.tick_resched_ppm, fitted per host and load from the 2 MiB two-thread rows. The
//   waiter then sleeps; each up_write wakes it (rwsem_wake), and the releaser, back after its
//   syscall, takes the lock again before the woken waiter runs (lock stealing) until the waiter
//   is older than RWSEM_WAIT_TIMEOUT and sets RWSEM_FLAG_HANDOFF (4-8 ms at HZ=250). At 2 MiB
//   (holds of 100 us and more) every such sleep is a run of several milliseconds; at 4 KiB the
//   woken waiter mostly finds the lock free in the releaser's syscall and the run ends within
//   tens of us, which is why the 4 KiB rows show few long waits at the same chance per tick.
// - At 2 MiB the punch frees 512 pages onto its CPU's per-CPU lists; a steady run drains every
//   2016 pages (free_pcppages_bulk under zone->lock: host.pcp_bulk_free_page_ns, pcp.ts). A
//   punch zeroes nothing (shmem zeroes at a second fallocate, guest_memfd not at all on 6.18).
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
