// Whether a fallocate or punch finds the file's metadata cold: the struct pages, the xarray
// nodes and (for shmem's clear: path) the pages themselves were last touched long before, and
// the call does not continue a stream the hardware prefetcher follows. The kernel has no such
// notion; the cost is the CPU's (cache misses), and the model approximates "was touched just
// before" by the acting task's previous call on the same file: a call whose range overlaps or
// adjoins it is warm (the probe's rows prepare each range right before timing it, and a thread
// punching consecutive ranges streams through them), any other call is cold.
//
// What a cold page costs more is measured by the probe's spread rows (bench/kernel-probe/README.md,
// "The calibration probe": calls at far-apart offsets of a file prepared whole, interleaved with
// warm calls) and fitted per backend and operation (sim/calibrate/fit-rules.ts, coldRangePunch and
// coldRangePerPage; a punch's against consecutive punches of a file populated whole, so that the
// xarray node frees, truncate.ts xa_nodes_emptied, stay out of it):
// `*.cold_range_punch_fixed_ns` per punch, `*.cold_range_punch_page_ns` per page removed,
// `*.cold_range_alloc_page_ns` per page allocated, `*.cold_range_found_folio_ns` per folio a
// fallocate finds present, `shmem.cold_range_clear_page_ns` per page shmem zeroes, all 0 in
// the shipped profile (its host was not measured so).
//
// Leaves out the distance (a range two pages past the previous one is as cold as one a gigabyte
// away), what other tasks or files did to the caches meanwhile, the first call on a fresh file
// (it meets the range the task's setup just prepared, so it counts as warm), and a fixed part
// of a cold fallocate's extra (the spread rows show none at 4 KiB).
import type { Process } from '../engine/index.js';

interface PageRange {
  start: number;
  end: number;
}

/** Per file object (shmem inode, guest_memfd inode): each task's previous call, in pages. */
const previous = new WeakMap<object, WeakMap<Process, PageRange>>();

/**
 * Record that `p` works on pages [start, end) of `file` and say whether that range was cold:
 * true when `p` had called on this file before and the new range neither overlaps nor adjoins
 * that call's.
 */
export function touchRange(file: object, p: Process, start: number, end: number): boolean {
  let byTask = previous.get(file);
  if (byTask === undefined) previous.set(file, (byTask = new WeakMap()));
  const last = byTask.get(p);
  byTask.set(p, { start, end });
  return last !== undefined && (end < last.start || start > last.end);
}
