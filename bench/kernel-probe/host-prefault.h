// host-prefault.h: make the pages the kernel hands out next ones the hypervisor backs, shared by
// calibrate-probe.c and seq-exec.c.
//
// This machine kind is a nested VM that boots with page_reporting.page_reporting_order set (9 or
// 11 on the hosts seen: 2 or 8 MiB; /proc/cmdline says which): free blocks of that order are
// reported to the hypervisor, which takes their memory back, and the first
// write of such a page afterwards is a fault in the host below, ~15 us per 4 KiB page.
// fallocate and punch write no page, so that cost lands on whichever later call writes one
// (shmem zeroing fallocated pages, a guest's first touch) and depends on what the machine did
// before: a host cost the model leaves out (it is not the modeled kernel's). Writing and
// freeing enough anonymous memory right before a measurement puts backed pages at the head of
// the free lists (reported ones go to the tail), where the next allocations find them
// (bench/kernel-probe/README.md, "Host memory taken back by the hypervisor").
#ifndef HOST_PREFAULT_H
#define HOST_PREFAULT_H
#include <stdint.h>
#include <sys/mman.h>

/* Write every 4 KiB page of an anonymous mapping of `bytes`, then unmap it; -1 if mmap failed. */
static int host_prefault(uint64_t bytes)
{
	uint8_t *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) return -1;
	for (uint64_t off = 0; off < bytes; off += 4096) m[off] = 1;
	munmap(m, bytes);
	return 0;
}

#endif
