// Whether a punch finds its pages' metadata still in the CPU's caches: what the host populated
// into files since those pages were populated decides it. The kernel has no such notion; the
// cost is the CPU's. truncate_inode_pages_range / shmem_undo_range (find_lock_entries,
// delete_from_page_cache_batch: the folios' struct pages, their xarray slots) and the frees
// after them (folio_batch_release -> free_unref_folios: the struct pages again, the LRU
// neighbours' list links, the memcg uncharge) touch a few cache lines per folio. A range
// punched right after it was populated (every row of the probe but these) finds them cached;
// a range of a file populated earlier, with more file pages populated since than the caches
// hold, finds them cold and pays misses per folio: on the AMD EPYC host of this machine kind
// (L2 1 MiB per core, L3 32 MiB; bench/kernel-probe/README.md, "The calibration probe",
// footprint rows) with the file's own pages populated after the range (as a sequence populates
// one file), guest_memfd 7-27 ns per 4 KiB page after 64-256 MiB (median over sizes ~20), shmem
// 48-175 (median ~80); none after 1-4 MiB; part after 16 MiB. In order (front to back) or in
// shuffled 2 MiB chunks reads the same. Pages of the other kind evict more: shmem pages
// populated after a guest_memfd range cost it 37-88 ns per page, twice what guest_memfd pages do.
//
// The model keeps, per host, the running count of 4 KiB pages populated into any file
// (fallocate allocations, fault-in allocations), and per file (FileFootprint, one per inode), for
// each 2 MiB-aligned block of 512 pages, that count at the middle of the block's last
// population. kvm_gmem_punch_hole and shmem_fallocate's punch (under the file lock) charge, per page
// the truncation removes, `*.cache_cold_punch_page_ns` x the cold fraction of its block: 0 when fewer than
// `host.cache_footprint_warm_pages` pages were populated since, 1 from
// `host.cache_footprint_cold_pages`, on a log scale between (the probe's footprints step so).
// All 0 in the shipped profile (its host was not measured so); with the page costs 0 nothing is
// tracked, so the fault and punch paths pay no lookups.
//
// `rmsim calibrate` fits the page costs from rows whose filler is the punched file itself
// (sim/calibrate/fit-footprint.ts), so every populated page counts alike here.
//
// Leaves out that pages of the other backend evict more than the file's own kind (above: a
// guest_memfd range after shmem pages), what else evicts the caches (pages punched, guest memory
// written, other processes: the host's count is of file pages populated only), the order of pages within a
// block (they share its stamp), a block's older pages when a later call populates part of it
// (the stamp is the latest), and fallocate's side (the probe's footprint fallocate rows show a
// smaller, less regular extra, not modeled).
import type { Host } from './host.js';
import { HPAGE_PMD_NR } from './backing.js';

/** Pages per stamped block: one 2 MiB-aligned block, the chunk the fallocate paths work in. */
const BLOCK = HPAGE_PMD_NR;

interface HostFootprint {
  /** Whether either backend's page cost is set (else nothing is tracked). */
  on: boolean;
  /** 4 KiB pages populated into files on this host so far. */
  populated: number;
  warm: number;
  cold: number;
}

const byHost = new WeakMap<Host, HostFootprint>();

function hostFootprint(host: Host): HostFootprint {
  let f = byHost.get(host);
  if (f === undefined) {
    const c = host.costs;
    f = {
      on: c.ns('gmem.cache_cold_punch_page_ns') > 0 || c.ns('shmem.cache_cold_punch_page_ns') > 0,
      populated: 0,
      warm: c.ns('host.cache_footprint_warm_pages'),
      cold: c.ns('host.cache_footprint_cold_pages'),
    };
    byHost.set(host, f);
  }
  return f;
}

/** The cold fraction of a page populated `since` pages ago (0 warm .. 1 cold, log scale between). */
export function coldFraction(since: number, warm: number, cold: number): number {
  if (since <= warm) return 0;
  if (since >= cold || warm <= 0) return 1;
  return Math.log(since / warm) / Math.log(cold / warm);
}

/** One file's (inode's) population stamps against its host's count; an inode holds one. */
export class FileFootprint {
  private readonly host: HostFootprint;
  /** 2 MiB block index -> the host's count at the middle of the block's last population. */
  private stamps: Map<number, number> | undefined;

  constructor(host: Host) {
    this.host = hostFootprint(host);
  }

  /** Whether populations are stamped (a page cost is set). */
  get tracking(): boolean {
    return this.host.on;
  }

  /**
   * Record that `pages` 4 KiB pages were populated within the 2 MiB block holding page `index`
   * (once per fallocate chunk or fault-in allocation). A no-op unless a page cost is set.
   */
  populated(index: number, pages: number): void {
    const h = this.host;
    if (!h.on || pages <= 0) return;
    (this.stamps ??= new Map()).set(Math.floor(index / BLOCK), h.populated + pages / 2);
    h.populated += pages;
  }

  /**
   * The mean extra per page of a punch of pages [start, end): `pageNs` x the cold fraction of
   * each block, weighted by the range's pages in it. Per block, not per page. A block never
   * recorded (populated before tracking, or never) counts warm.
   */
  coldPageNs(start: number, end: number, pageNs: number): number {
    const h = this.host;
    const m = this.stamps;
    if (m === undefined || pageNs <= 0 || end <= start) return 0;
    let weighted = 0;
    for (let b = Math.floor(start / BLOCK); b * BLOCK < end; b++) {
      const stamp = m.get(b);
      if (stamp === undefined) continue;
      const pages = Math.min(end, (b + 1) * BLOCK) - Math.max(start, b * BLOCK);
      weighted += pages * coldFraction(h.populated - stamp, h.warm, h.cold);
    }
    return (pageNs * weighted) / (end - start);
  }
}
