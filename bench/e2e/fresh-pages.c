/*
 * What a fresh anonymous page costs on this machine: maps N MiB, writes one byte per 4 KiB page,
 * prints the time per page (bench/e2e/README.md, "(b) and the memory this VM hands out").
 * A guest whose free memory goes back to its host pays the host's fault too, so a second run
 * right after the first reads lower. With a third argument the mapping is MADV_HUGEPAGE.
 *   cc -O2 -o /tmp/fresh-pages bench/e2e/fresh-pages.c && /tmp/fresh-pages 4096 && /tmp/fresh-pages 4096
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MiB [huge]\n", argv[0]);
    return 2;
  }
  size_t n = (size_t)atol(argv[1]) << 20;
  int huge = argc > 2;
  char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  if (huge) madvise(p, n, MADV_HUGEPAGE);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (size_t i = 0; i < n; i += 4096) p[i] = 1;
  clock_gettime(CLOCK_MONOTONIC, &b);
  double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
  printf("%zu MiB %s: %.3f s, %.2f us/page\n", n >> 20, huge ? "MADV_HUGEPAGE" : "4K", s, s * 1e6 / (n / 4096));
  return 0;
}
