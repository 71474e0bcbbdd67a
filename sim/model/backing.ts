// What KVM and the safety checker need from a private-memory backing file (a restrictedmem
// file's shmem inode, or a guest_memfd inode): its page cache and its memory-error hook.
import type { Gen, Process } from '../engine/index.js';
import type { PageCache } from '../fastpath/index.js';
import { PAGE_SIZE } from '../units.js';

/** A model function: a generator over engine yieldables, `yield*` it from a process (the engine's Gen). */
export type { Gen };

export interface PrivateBacking {
  readonly id: string;
  /** mapping->i_pages. */
  readonly pages: PageCache;
  /** The mapping's memory-error handler (me_pagecache_clean's hook): what happens to the VM(s). */
  errorFolio(p: Process, pfn: number, index: number): Gen<string>;
}

/** A folio KVM got from the backing, holding one reference that KVM drops after mapping. */
export interface GotPage {
  /** Head pfn of the folio (the reference is on it). */
  folio: number;
  /** pfn of the page at the requested index. */
  pfn: number;
  order: number;
}

export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
/** 6.1 FALLOC_FL_SUPPORTED_MASK (keep size, punch, collapse, zero, insert, unshare). */
export const FALLOC_FL_SUPPORTED_MASK = 0x01 | 0x02 | 0x08 | 0x10 | 0x20 | 0x40;
export const HPAGE_PMD_NR = 512;

/**
 * index modulo 2^order (index's page within its folio, or a gfn's within its leaf), for a key
 * below 2^32 and order <= 18: a mask, where `index % 2 ** order` costs a pow and a float modulo
 * on every fault.
 */
export function folioOffset(index: number, order: number): number {
  return index & ((1 << order) - 1);
}

/** vfs_fallocate's checks before the file's ->fallocate (6.1 fs/open.c); leaves out FMODE_WRITE and s_maxbytes. */
export function vfsFallocateCheck(mode: number, offset: number, len: number): 'EINVAL' | 'EOPNOTSUPP' | undefined {
  if (offset < 0 || len <= 0) return 'EINVAL';
  if (mode & ~FALLOC_FL_SUPPORTED_MASK) return 'EOPNOTSUPP';
  if ((mode & (FALLOC_FL_PUNCH_HOLE | 0x10)) === (FALLOC_FL_PUNCH_HOLE | 0x10)) return 'EOPNOTSUPP';
  if (mode & FALLOC_FL_PUNCH_HOLE && !(mode & FALLOC_FL_KEEP_SIZE)) return 'EOPNOTSUPP';
  return undefined;
}

/** Something a memslot can be backed by: a RestrictedFile (v10) or a GmemFile (guest_memfd). */
export interface PrivateFile {
  /** Which backend made it (private-file.ts picks the backend's operations and binding by it). */
  readonly kind: 'restrictedmem' | 'guest_memfd';
  /** The page cache behind it (memory errors, safety). */
  readonly backing: PrivateBacking;
  /** The file's size in bytes (i_size). */
  readonly sizeBytes: number;
}
