// Whether a fallocate or punch finds the file's metadata cold: the xarray leaf node its range
// starts in, and the struct pages of its folios, were last touched long before (when the file was
// populated), not by the call just before. The kernel has no such notion; the cost is the CPU's
// (cache and TLB misses in xas_load/xas_find and on the folios' struct pages). The model takes it
// from the geometry of the page cache's xarray (XA_CHUNK_SIZE = 64 slots per leaf node): a call
// is warm when its range overlaps or adjoins the acting task's previous call on the file, or
// shares an xarray leaf node with it (so the walk starts in the node the previous call just left,
// and the struct pages near it are in cache or prefetched); any other call, forward or back, near
// or far, is cold.
//
// This is what the probe's stride rows show (bench/kernel-probe/README.md, "The calibration
// probe": punches stepping forward through a populated 64 MiB file by gaps of 0, 8, 64, 256 and
// 1024 pages, and jumping ~40 MiB about, interleaved call by call): on the AMD EPYC host a
// 4 KiB punch 8 pages on (the same node) costs 40-90 ns more than an adjoining one, one 64 or more
// pages on 70-180 ns more, about as much as a jump across the file; the distance beyond the
// next node does not matter. So per backend and operation (sim/calibrate/fit-rules.ts,
// coldRangePunch from the stride rows; coldRangePerPage from the spread rows for fallocate):
// `*.cold_range_punch_fixed_ns` per punch, `*.cold_range_punch_page_ns` per page removed,
// `*.cold_range_alloc_page_ns` per page allocated, `*.cold_range_found_folio_ns` per folio a
// fallocate finds present, `shmem.cold_range_clear_page_ns` per page shmem zeroes, all 0 in
// the shipped profile (its host was not measured so).
//
// Leaves out the smaller extra of a call in the previous call's node but not adjoining it (the
// 8-page gap above: counted warm), what other tasks or files did to the caches meanwhile, the
// first call on a fresh file (it meets the range the task's setup just prepared, so it counts as
// warm), and a fixed part of a cold fallocate's extra (the spread rows show none at 4 KiB).
import type { Process } from '../engine/index.js';
import { XA_CHUNK_SIZE } from './truncate.js';

interface PageRange {
  start: number;
  end: number;
}

/** Per file object (shmem inode, guest_memfd inode): each task's previous call, in pages. */
const previous = new WeakMap<object, WeakMap<Process, PageRange>>();

/** The xarray leaf nodes (index / XA_CHUNK_SIZE) pages [start, end) lie in, first and last. */
function leafNodes(r: PageRange): [number, number] {
  return [Math.floor(r.start / XA_CHUNK_SIZE), Math.floor((Math.max(r.end, r.start + 1) - 1) / XA_CHUNK_SIZE)];
}

/** Whether `r` overlaps or adjoins `last`, or shares an xarray leaf node with it. */
function warmAfter(last: PageRange, r: PageRange): boolean {
  if (r.end >= last.start && r.start <= last.end) return true;
  const [a0, a1] = leafNodes(last);
  const [b0, b1] = leafNodes(r);
  return b0 <= a1 && b1 >= a0;
}

/**
 * Record that `p` works on pages [start, end) of `file` and say whether that range was cold:
 * true when `p` had called on this file before and the new range neither overlaps nor adjoins
 * that call's nor shares an xarray leaf node with it.
 */
export function touchRange(file: object, p: Process, start: number, end: number): boolean {
  let byTask = previous.get(file);
  if (byTask === undefined) previous.set(file, (byTask = new WeakMap()));
  const last = byTask.get(p);
  byTask.set(p, { start, end });
  return last !== undefined && !warmAfter(last, { start, end });
}
