// Argument rules shared by every page-cache and page-table implementation.
import { UsageError } from '../errors.js';

/** Keys (gfn, file index) are 32-bit: a 16 TiB guest-physical space or file. */
export const MAX_KEY = 2 ** 32;

export function checkCacheOrder(index: number, order: number): void {
  if (order !== 0 && order !== 9 && order !== 18) throw new UsageError(`page-cache order must be 0, 9 or 18, got ${order}`);
  checkAligned(index, order, 'index');
}

export function checkLevel(gfn: number, pfn: number, level: number): void {
  // A 4 KiB leaf (every first-touch fault's) needs only 32-bit gfn and pfn: x >>> 0 === x says so.
  if (level === 1 && gfn >>> 0 === gfn && pfn >>> 0 === pfn) return;
  if (level !== 1 && level !== 2 && level !== 3) throw new UsageError(`page-table level must be 1, 2 or 3, got ${level}`);
  checkAligned(gfn, 9 * (level - 1), 'gfn');
  checkAligned(pfn, 9 * (level - 1), 'pfn');
}

function checkAligned(v: number, order: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v + 2 ** order > MAX_KEY || v % 2 ** order !== 0) {
    throw new UsageError(`${what} ${v} must be a 32-bit value aligned to 2^${order}`);
  }
}
