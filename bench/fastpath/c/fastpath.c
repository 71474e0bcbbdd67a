/*
 * C reference of the EPT radix and the buddy allocator: the same algorithms and memory layout
 * as wasm/ept.ts and wasm/buddy.ts (see there), driven by the same workloads as
 * bench/fastpath/workloads.ts (same xorshift32 sequences). The physical limit the WASM fast
 * paths are measured against. Built with `cc -O2` by the benchmark (bench/fastpath/c-twins.ts).
 *
 *   fastpath <maps> <walks> <zaps> <buddy-ops> [in out]
 *
 * A server: reads one command a line (from stdin, or the FIFO `in`), runs it and answers one
 * JSON line (to stdout, or the FIFO `out`), so the benchmark can time C and WASM alternately,
 * piece by piece, in the same seconds of a shared machine. Times are CLOCK_PROCESS_CPUTIME_ID
 * ns of the timed loop only:
 *
 *   ept-map            fresh table, then map every gfn          {"ns"}
 *   ept-walk FROM TO   walk walks[FROM..TO)                      {"ns","sum"}
 *   ept-zap            zap every 2 MiB range                     {"ns","zapped"}
 *   buddy-reset        fresh host, churn back at its first op    {}
 *   buddy STEPS        the churn's next STEPS ops                {"ns","sum"} (sum of all so far)
 *
 * Anything else (or a range past the workload) answers {"error"}.
 *
 * Every array is allocated once and reset with memset, so no first touch of a page (a page
 * fault) falls in a timed loop after the first round, as in the WASM instance.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- workload generator (bench/fastpath/workloads.ts) ---- */
static uint32_t rng_state;
static inline uint32_t rng(void) {
  uint32_t x = rng_state;
  x ^= x << 13; x ^= x >> 17; x ^= x << 5;
  return rng_state = x;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- chunk pool: 512-entry u32 tables ---- */
#define CHUNK 512
static uint32_t *pool;
static uint32_t pool_next = 1, pool_free = 0, pool_cap;

static uint32_t chunk_alloc(void) {
  if (pool_free) { uint32_t id = pool_free; pool_free = pool[(size_t)id * CHUNK]; pool[(size_t)id * CHUNK] = 0; return id; }
  if (pool_next >= pool_cap) { fprintf(stderr, "pool full\n"); exit(1); }
  return pool_next++;
}

/* ---- EPT: entry 0 empty, pfn<<2|1 leaf, chunk<<2|2 table ---- */
static uint32_t *zap_counts;
static uint32_t ept_root;
static uint32_t ept_count[3];

static void ept_map(uint32_t gfn, uint32_t pfn, int level) {
  uint32_t t = ept_root;
  for (int lv = 4; lv > level; lv--) {
    uint32_t *p = &pool[(size_t)t * CHUNK + ((gfn >> (9 * (lv - 1))) & 511)];
    uint32_t e = *p;
    if (e & 1) { ept_count[lv - 1]--; e = 0; }
    if (e == 0) { uint32_t c = chunk_alloc(); *p = (c << 2) | 2; t = c; }
    else t = e >> 2;
  }
  uint32_t *p = &pool[(size_t)t * CHUNK + ((gfn >> (9 * (level - 1))) & 511)];
  if (*p & 1) ept_count[level - 1]--;
  /* (a table below a new huge leaf would be freed here; the workload maps 4 KiB only) */
  *p = (pfn << 2) | 1;
  ept_count[level - 1]++;
}

static inline int32_t ept_walk(uint32_t gfn) {
  uint32_t e = pool[(size_t)ept_root * CHUNK + (gfn >> 27)];
  if (e == 0) return -1;
  e = pool[(size_t)(e >> 2) * CHUNK + ((gfn >> 18) & 511)];
  if (e & 1) return (int32_t)((e >> 2) + (gfn & 0x3ffff));
  if (e == 0) return -1;
  e = pool[(size_t)(e >> 2) * CHUNK + ((gfn >> 9) & 511)];
  if (e & 1) return (int32_t)((e >> 2) + (gfn & 511));
  if (e == 0) return -1;
  e = pool[(size_t)(e >> 2) * CHUNK + (gfn & 511)];
  return (e & 1) ? (int32_t)(e >> 2) : -1;
}

static void zap_level(uint32_t t, int level, uint64_t base, uint64_t start, uint64_t end) {
  uint64_t sh = 9 * (level - 1), span = 1ull << sh;
  uint64_t lo = start > base ? start : base, te = base + (span << 9), hi = end < te ? end : te;
  if (lo >= hi) return;
  uint32_t first = (uint32_t)((lo - base) >> sh), last = (uint32_t)((hi - 1 - base) >> sh);
  for (uint32_t i = first; i <= last; i++) {
    uint32_t *p = &pool[(size_t)t * CHUNK + i];
    uint32_t e = *p;
    if (e == 0) continue;
    if (e & 1) { zap_counts[level - 1]++; ept_count[level - 1]--; *p = 0; continue; }
    zap_level(e >> 2, level - 1, base + (uint64_t)i * span, start, end);
  }
}

/* ---- buddy allocator + folio table (wasm/buddy.ts) ---- */
#define MAX_ORDER 10
#define NORDERS 11
#define PB_ORDER 9
#define F_BUDDY 0x20u
#define F_ALLOC 0x40u
#define F_MOVABLE 0x80u
static uint32_t total_pages, *folios, free_count[2 * NORDERS];
static uint8_t *pbmt;
static uint64_t *bits[2 * NORDERS][6];
static int nlev[2 * NORDERS];
static uint32_t movable_pages;

static void bs_create(int b, uint64_t nbits) {
  uint64_t words = (nbits + 63) >> 6; int l = 0;
  for (;;) { bits[b][l++] = calloc(words ? words : 1, 8); if (words <= 1) break; words = (words + 63) >> 6; }
  nlev[b] = l;
}
static inline void bs_set(int b, uint32_t i) {
  for (int l = 0; l < nlev[b]; l++) { uint64_t *w = &bits[b][l][i >> 6]; uint64_t old = *w; *w = old | (1ull << (i & 63)); if (old) return; i >>= 6; }
}
static inline void bs_clear(int b, uint32_t i) {
  for (int l = 0; l < nlev[b]; l++) { uint64_t *w = &bits[b][l][i >> 6]; uint64_t v = *w & ~(1ull << (i & 63)); *w = v; if (v) return; i >>= 6; }
}
static inline uint32_t bs_first(int b) {
  int l = nlev[b] - 1; uint32_t i = (uint32_t)__builtin_ctzll(bits[b][l][0]);
  while (l > 0) { l--; i = (i << 6) | (uint32_t)__builtin_ctzll(bits[b][l][i]); }
  return i;
}
static inline void add_free(uint32_t pfn, uint32_t order, uint32_t mt) {
  folios[pfn] = order | ((F_BUDDY | (mt ? F_MOVABLE : 0)) << 8);
  int b = mt * NORDERS + order; bs_set(b, pfn >> order); free_count[b]++;
}
static inline void del_free(uint32_t pfn) {
  uint32_t r = folios[pfn], order = r & 0xff, mt = ((r >> 8) & F_MOVABLE) ? 1 : 0;
  folios[pfn] = 0; int b = mt * NORDERS + order; bs_clear(b, pfn >> order); free_count[b]--;
}
static void host_init(uint32_t pages) {
  total_pages = pages;
  folios = malloc(4ull * pages); pbmt = malloc(pages >> PB_ORDER);
  for (int mt = 0; mt < 2; mt++) for (int o = 0; o <= MAX_ORDER; o++) bs_create(mt * NORDERS + o, pages >> o);
}
/* memmap_init + memblock_free_all: every pageblock movable, every MAX_ORDER block free */
static void host_reset(void) {
  memset(folios, 0, 4ull * total_pages);
  memset(pbmt, 1, total_pages >> PB_ORDER);
  memset(free_count, 0, sizeof free_count);
  for (int b = 0; b < 2 * NORDERS; b++) {
    uint64_t words = ((uint64_t)(total_pages >> (b % NORDERS)) + 63) >> 6;
    for (int l = 0; l < nlev[b]; l++) { memset(bits[b][l], 0, 8 * (words ? words : 1)); words = (words + 63) >> 6; }
  }
  for (uint32_t pfn = 0; pfn < total_pages; pfn += 1u << MAX_ORDER) add_free(pfn, MAX_ORDER, 1);
}
static int32_t rmqueue_smallest(uint32_t order, uint32_t mt) {
  for (uint32_t co = order; co <= MAX_ORDER; co++) {
    if (!free_count[mt * NORDERS + co]) continue;
    uint32_t pfn = bs_first(mt * NORDERS + co) << co;
    del_free(pfn);
    for (uint32_t high = co; high > order;) { high--; add_free(pfn + (1u << high), high, mt); }
    return (int32_t)pfn;
  }
  return -1;
}
static inline int can_steal(uint32_t order, uint32_t start_mt) {
  return order >= PB_ORDER || order >= PB_ORDER / 2 || start_mt == 0;
}
static uint32_t move_freepages_block(uint32_t pfn, uint32_t new_mt) {
  uint32_t start = (pfn >> PB_ORDER) << PB_ORDER, end = start + (1u << PB_ORDER), fr = 0;
  movable_pages = 0;
  for (uint32_t p = start; p < end;) {
    uint32_t r = folios[p], order = r & 0xff, fl = (r >> 8) & 0xff;
    if (fl & F_BUDDY) { del_free(p); add_free(p, order, new_mt); fr += 1u << order; }
    else if (fl & F_MOVABLE) { uint32_t n = 1u << order; movable_pages += n < end - p ? n : end - p; }
    p += 1u << order;
  }
  return fr;
}
static void steal_suitable_fallback(uint32_t pfn, uint32_t co, uint32_t start_mt, int whole) {
  uint32_t old = pbmt[pfn >> PB_ORDER];
  if (co >= PB_ORDER) {
    memset(pbmt + (pfn >> PB_ORDER), (int)start_mt, 1u << (co - PB_ORDER));
  } else if (whole) {
    uint32_t fr = move_freepages_block(pfn, start_mt);
    if (fr) {
      uint32_t alike = start_mt == 1 ? movable_pages : (old == 1 ? (1u << PB_ORDER) - (fr + movable_pages) : 0);
      if (fr + alike >= 1u << (PB_ORDER - 1)) pbmt[pfn >> PB_ORDER] = (uint8_t)start_mt;
      return;
    }
  }
  del_free(pfn); add_free(pfn, co, start_mt);
}
static int rmqueue_fallback(uint32_t order, uint32_t start_mt) {
  uint32_t other = start_mt ? 0 : 1; int found = -1, cs = 0;
  for (int co = MAX_ORDER; co >= (int)order; co--) {
    if (!free_count[other * NORDERS + co]) continue;
    cs = can_steal((uint32_t)co, start_mt);
    if (!cs && start_mt == 1 && (uint32_t)co > order) {
      for (uint32_t c2 = order; c2 <= MAX_ORDER; c2++)
        if (free_count[other * NORDERS + c2]) { found = (int)c2; cs = can_steal(c2, start_mt); break; }
    } else found = co;
    break;
  }
  if (found < 0) return 0;
  uint32_t pfn = bs_first(other * NORDERS + found) << found;
  steal_suitable_fallback(pfn, (uint32_t)found, start_mt, cs);
  return 1;
}
static int32_t alloc_pages(uint32_t order, uint32_t mt) {
  for (;;) {
    int32_t pfn = rmqueue_smallest(order, mt);
    if (pfn >= 0) { folios[pfn] = order | ((F_ALLOC | (mt ? F_MOVABLE : 0)) << 8) | (1u << 16); return pfn; }
    if (!rmqueue_fallback(order, mt)) return -1;
  }
}
static void free_pages(uint32_t pfn, uint32_t order) {
  folios[pfn] = 0;
  uint32_t mt = pbmt[pfn >> PB_ORDER], o = order, p = pfn;
  while (o < MAX_ORDER) {
    uint32_t b = p ^ (1u << o), br = folios[b];
    if (!((br >> 8) & F_BUDDY) || (br & 0xff) != o) break;
    del_free(b); p &= b; o++;
  }
  add_free(p, o, mt);
}

/* ---- workloads (constants as in workloads.ts) ---- */
static const uint32_t BUDDY_ORDERS[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 9, 9};
static uint32_t n_map, n_walk, n_zap, n_buddy, *gfns, *walks, *zaps;
static uint32_t *live_pfn, *live_ord, live;
static uint64_t buddy_sum;

static void ept_reset(void) {
  memset(pool, 0, (size_t)pool_next * CHUNK * 4);
  pool_next = 1; pool_free = 0; memset(ept_count, 0, sizeof ept_count);
  ept_root = chunk_alloc();
}

static void buddy_reset(void) {
  host_reset();
  rng_state = 0x2545f491u; live = 0; buddy_sum = 0;
}

/* the churn's next `steps` ops: free a random live block (odd draw) or allocate; the state is
 * held in locals inside the loop (as the WASM twin does) */
static void buddy_steps(uint32_t steps) {
  uint32_t *lp = live_pfn, *lo = live_ord, n = live, x = rng_state;
  uint64_t sum = buddy_sum;
  for (uint32_t i = 0; i < steps; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    if ((x & 1) && n) {
      uint32_t k = (x >> 1) % n;
      free_pages(lp[k], lo[k]);
      n--; lp[k] = lp[n]; lo[k] = lo[n];
    } else {
      uint32_t o = BUDDY_ORDERS[(x >> 8) & 15], mt = (x >> 16) & 1;
      int32_t p = alloc_pages(o, mt);
      if (p >= 0) { lp[n] = (uint32_t)p; lo[n] = o; n++; sum += (uint32_t)p; }
    }
  }
  live = n; rng_state = x; buddy_sum = sum;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 7) { fprintf(stderr, "usage: fastpath <maps> <walks> <zaps> <buddy-ops> [in out]\n"); return 2; }
  n_map = (uint32_t)strtoul(argv[1], 0, 10); n_walk = (uint32_t)strtoul(argv[2], 0, 10);
  n_zap = (uint32_t)strtoul(argv[3], 0, 10); n_buddy = (uint32_t)strtoul(argv[4], 0, 10);
  FILE *in = argc == 7 ? fopen(argv[5], "r") : stdin, *out = argc == 7 ? fopen(argv[6], "w") : stdout;
  if (!in || !out) { perror("fastpath: fifo"); return 1; }
  const uint32_t gpa_mask = (1u << 24) - 1;

  gfns = malloc(4ull * n_map + 4); walks = malloc(4ull * n_walk + 4); zaps = malloc(4ull * n_zap + 4);
  rng_state = 0x9e3779b9u;
  for (uint32_t i = 0; i < n_map; i++) gfns[i] = rng() & gpa_mask;
  for (uint32_t i = 0; i < n_walk; i++) walks[i] = gfns[rng() % n_map];
  for (uint32_t i = 0; i < n_zap; i++) zaps[i] = (rng() & gpa_mask) & ~511u;
  pool_cap = 1u << 21; /* 4 GiB of tables at most */
  pool = calloc((size_t)pool_cap, CHUNK * 4);
  static uint32_t zc[3];
  zap_counts = zc;
  host_init(1u << 22); /* 16 GiB */
  live_pfn = malloc(4ull * n_buddy + 4); live_ord = malloc(4ull * n_buddy + 4);

  char line[128];
  while (fgets(line, sizeof line, in)) {
    unsigned long a = 0, b = 0;
    if (!strcmp(line, "ept-map\n")) {
      ept_reset();
      double t0 = now_ns();
      for (uint32_t i = 0; i < n_map; i++) ept_map(gfns[i], i, 1);
      fprintf(out, "{\"ns\":%.0f}\n", now_ns() - t0);
    } else if (sscanf(line, "ept-walk %lu %lu", &a, &b) == 2 && a <= b && b <= n_walk) {
      uint64_t s = 0;
      double t0 = now_ns();
      for (uint32_t i = (uint32_t)a; i < (uint32_t)b; i++) s += (uint64_t)(int64_t)ept_walk(walks[i]);
      fprintf(out, "{\"ns\":%.0f,\"sum\":%llu}\n", now_ns() - t0, (unsigned long long)s);
    } else if (!strcmp(line, "ept-zap\n")) {
      zc[0] = zc[1] = zc[2] = 0;
      double t0 = now_ns();
      for (uint32_t i = 0; i < n_zap; i++) zap_level(ept_root, 4, 0, zaps[i], (uint64_t)zaps[i] + 512);
      fprintf(out, "{\"ns\":%.0f,\"zapped\":%u}\n", now_ns() - t0, zc[0]);
    } else if (!strcmp(line, "buddy-reset\n")) {
      buddy_reset();
      fprintf(out, "{}\n");
    } else if (sscanf(line, "buddy %lu", &a) == 1 && a <= n_buddy) {
      double t0 = now_ns();
      buddy_steps((uint32_t)a);
      fprintf(out, "{\"ns\":%.0f,\"sum\":%llu}\n", now_ns() - t0, (unsigned long long)buddy_sum);
    } else {
      fprintf(out, "{\"error\":\"bad command\"}\n");
    }
    fflush(out);
  }
  return 0;
}
