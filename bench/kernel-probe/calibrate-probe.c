// calibrate-probe: what `rmsim calibrate` fits, measured on this host's kernel. guest_memfd and
// shmem (memfd_create: what memfd_restricted v10 wrapped) create / fallocate / punch by size on
// empty, populated, allocated and partly populated ranges, bound to a memslot and not, mapped by
// the VMM and by a guest; shmem with huge pages; a minimal KVM guest (kvm-guest.h) for first
// touch, refault and exit costs. CLOCK_MONOTONIC around each syscall or KVM_RUN; every
// repetition is printed. Repetitions are adaptive: a row repeats until it has run for its time
// budget (setup included) and has its minimum count, or reaches its maximum count, so the whole
// probe fits `rmsim calibrate`'s time limit on a slow host as on a fast one.
//
// usage: calibrate-probe [--quick] [--thp] [--only SECTION[,SECTION...]] [--dry-run]
//   sections: caps gmem shmem stride footprint lru spread thp guest (stride runs five times, first, last and between the others)
//   --thp: the probe may write /sys/kernel/mm/transparent_hugepage/shmem_enabled ('always' for
//          the thp section; the value found is restored afterwards, also on SIGINT/SIGTERM/SIGHUP).
//   --dry-run: print the caps and the progress lines only, measuring nothing (so a caller knows
//          how many rows a run will take).
// Output, one JSON object per line on stdout:
//   {"caps": {...}}                                        what this host's KVM offers
//   {"probe": NAME, "backend": B, "params": {...}, "samples_ns": [...]}   one row
//   {"skip": WHAT, "why": WHY}                             a part that could not run here
// Progress on stderr: "# SECTION ROW" before each row.
#include "kvm-guest.h"
#include "host-prefault.h"
#include <pthread.h>
#include <signal.h>
#include <time.h>

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define PUNCH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define MAX_SAMPLES 4096

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int quick, dry_run;
/* Slots are at least this far apart and prepared whole (2 MiB under THP: each punch or
 * allocation smaller than a huge page then meets a fresh huge folio, not one split before). */
static uint64_t slot_align = 4096;

/* How long and how often one row repeats. */
struct budget {
	double seconds;
	int min_reps, max_reps;
};

static struct budget row_budget(uint64_t len)
{
	struct budget b = { quick ? 0.2 : 0.7, quick ? 3 : 5, quick ? 300 : 1500 };
	if (len >= 64 * MiB) b.min_reps = 3; /* an odd count: the median is a sample, not a mean of two */
	if (len >= GiB) b.min_reps = 2;
	return b;
}

/* ---- output ---- */

static void emit_row(const char *probe, const char *backend, const char *params, const uint64_t *ns, int n)
{
	printf("{\"probe\":\"%s\",\"backend\":\"%s\",\"params\":{%s},\"samples_ns\":[", probe, backend, params);
	for (int i = 0; i < n; i++) printf(i ? ",%llu" : "%llu", (unsigned long long)ns[i]);
	printf("]}\n");
	fflush(stdout);
}

static void emit_skip(const char *what, const char *why)
{
	printf("{\"skip\":\"%s\",\"why\":\"", what);
	for (const char *p = why; *p; p++) printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
	printf("\"}\n");
	fflush(stdout);
}

static void progress(const char *section, const char *row)
{
	fprintf(stderr, "# %s %s\n", section, row);
}

/* ---- files ---- */

enum backend { GMEM, SHMEM };
static const char *backend_name[] = { "guest_memfd", "shmem" };

struct file {
	enum backend backend;
	int fd;
	uint64_t size;
	uint8_t *map;    /* VMM mapping, when the row maps the file */
	int64_t gpa;     /* where the guest sees it, when bound; -1 otherwise */
	struct guest vm; /* the VM it belongs to (guest_memfd) */
};

/* guest_memfd of `size` in a VM of its own (bound: in a memslot; vcpu: that VM has a vCPU). */
static int file_open(struct file *f, enum backend b, uint64_t size, uint64_t gflags, int bound, int vcpu)
{
	memset(f, 0, sizeof(*f));
	f->backend = b;
	f->size = size;
	f->gpa = -1;
	if (b == SHMEM) {
		f->fd = memfd_create("calibrate-probe", MFD_CLOEXEC);
		if (f->fd < 0 || ftruncate(f->fd, size)) return guest_fail("memfd_create");
		return 0;
	}
	if (vcpu ? guest_create(&f->vm) : guest_create_vm(&f->vm)) return -1;
	struct kvm_create_guest_memfd c = { .size = size, .flags = gflags };
	f->fd = ioctl(f->vm.vm, KVM_CREATE_GUEST_MEMFD, &c);
	if (f->fd < 0) return guest_fail("KVM_CREATE_GUEST_MEMFD");
	if (bound && (f->gpa = guest_bind(&f->vm, f->fd, size)) < 0) return -1;
	return 0;
}

static int file_map(struct file *f)
{
	f->map = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		return guest_fail("mmap");
	}
	return 0;
}

static void file_close(struct file *f)
{
	if (f->map) munmap(f->map, f->size);
	close(f->fd);
	guest_destroy(&f->vm);
}

static int do_alloc(struct file *f, uint64_t off, uint64_t len)
{
	return fallocate(f->fd, f->backend == GMEM ? FALLOC_FL_KEEP_SIZE : 0, off, len);
}

static int do_punch(struct file *f, uint64_t off, uint64_t len) { return fallocate(f->fd, PUNCH, off, len); }

/* ---- rows ---- */

/* The state a range is put in (untimed) before the timed call. */
enum state {
	ST_EMPTY,      /* a hole */
	ST_POPULATED,  /* fallocated */
	ST_ALLOCATED,  /* fallocated, the timed call allocates over it (shmem: not yet written) */
	ST_WRITTEN,    /* shmem: fallocated twice, so its folios are uptodate */
	ST_PARTIAL,    /* every other 4 KiB page fallocated */
	ST_VMM_MAPPED, /* fallocated and written through the VMM's mapping */
	ST_GUEST_MAPPED, /* touched by the guest right before (shadow PTEs present; vCPU not running) */
	ST_GUEST_MAPPED_BULK, /* touched by the guest 2 MiB at a time, then punched slot by slot */
	ST_GUEST_PUNCHED, /* touched by the guest, then punched: the next touch refaults */
};
static const char *state_name[] = { "empty", "populated", "allocated", "written", "partial", "vmm_mapped", "mapped", "mapped", "guest_punched" };

static int prepare(struct file *f, enum state st, uint64_t off, uint64_t len)
{
	if (do_punch(f, off, len)) return -1;
	switch (st) {
	case ST_EMPTY:
		return 0;
	case ST_POPULATED:
	case ST_ALLOCATED:
		return do_alloc(f, off, len);
	case ST_WRITTEN:
		return do_alloc(f, off, len) || do_alloc(f, off, len);
	case ST_PARTIAL:
		for (uint64_t p = 0; p < len; p += 8 * KiB)
			if (do_alloc(f, off + p, 4 * KiB)) return -1;
		return 0;
	case ST_VMM_MAPPED:
		if (do_alloc(f, off, len)) return -1;
		for (uint64_t p = 0; p < len; p += 4 * KiB) f->map[off + p] = 1;
		return 0;
	case ST_GUEST_MAPPED:
	case ST_GUEST_MAPPED_BULK:
		return guest_touch(&f->vm, f->gpa + off, len);
	case ST_GUEST_PUNCHED:
		return guest_touch(&f->vm, f->gpa + off, len) || do_punch(f, off, len);
	}
	return -1;
}

/* One row: `timed` (allocate or punch) on consecutive len-sized slots of the file, each put in state `st` first. */
static int run_row(struct file *f, const char *probe, enum state st, uint64_t len, int (*timed)(struct file *, uint64_t, uint64_t), const char *extra)
{
	static uint64_t ns[MAX_SAMPLES];
	if (dry_run) return 0;
	struct budget b = row_budget(len);
	uint64_t stride = len < slot_align ? slot_align : len;
	uint64_t slots = f->size / stride, t0 = now_ns();
	/* ST_GUEST_MAPPED_BULK: the guest maps 2 MiB (or one slot) in one run, then each slot is punched */
	uint64_t group = stride < 2 * MiB ? 2 * MiB / stride : 1;
	int n = 0;
	while (n < b.max_reps && n < MAX_SAMPLES && (n < b.min_reps || (now_ns() - t0) < b.seconds * 1e9)) {
		uint64_t off = (n % slots) * stride;
		int skip_prepare = st == ST_GUEST_MAPPED_BULK && n % group;
		if (!skip_prepare && prepare(f, st, off, st == ST_GUEST_MAPPED_BULK ? group * stride : stride)) {
			if (!guest_why[0]) snprintf(guest_why, sizeof(guest_why), "prepare %s: %s", state_name[st], strerror(errno));
			return -1;
		}
		uint64_t s = now_ns();
		int rc = timed(f, off, len);
		uint64_t e = now_ns();
		if (rc) return guest_fail(probe);
		ns[n++] = e - s;
	}
	char params[512];
	snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"%s\"%s", (unsigned long long)len, state_name[st], extra);
	emit_row(probe, backend_name[f->backend], params, ns, n);
	return 0;
}

/* One timed call, CLOCK_MONOTONIC around it: its ns in *ns; nonzero when the call failed. */
static int time_call(int (*timed)(struct file *, uint64_t, uint64_t), struct file *f, uint64_t off, uint64_t len, uint64_t *ns)
{
	uint64_t s = now_ns();
	int rc = timed(f, off, len);
	*ns = now_ns() - s;
	return rc;
}

/*
 * A pair of rows, taken interleaved so that the host's load weighs on both alike: `cold` calls at
 * spread offsets of a file put in state `st` whole (untimed) once per round, each call at a slot
 * far from the previous one's (slot n x step mod slots, step odd and near 0.62 x slots: every
 * slot once per round) with nothing prepared in between, so what it meets was last touched a
 * round before (struct pages, xarray nodes and, shmem allocated, the pages themselves) and
 * there is no stream for the prefetcher, as for an operation inside a composite sequence; and
 * `warm` calls as run_row makes them (each slot put in its state right before, consecutive
 * slots) on a second file. Rows `PROBE` with params order "spread" and "warm".
 */
static int run_spread_pair(struct file *cold, struct file *warm, const char *probe, enum state st, int holes, uint64_t len, int (*timed)(struct file *, uint64_t, uint64_t), const char *extra)
{
	static uint64_t cns[MAX_SAMPLES], wns[MAX_SAMPLES];
	if (dry_run) return 0;
	struct budget b = row_budget(len);
	/* with holes, the calls go to the even slots only, which the round's preparation punched */
	uint64_t slots = cold->size / len / (holes ? 2 : 1), step = ((uint64_t)(slots * 0.618)) | 1, t0 = now_ns();
	int n = 0;
	while (n < b.max_reps && n < MAX_SAMPLES && (n < b.min_reps || (now_ns() - t0) < 2 * b.seconds * 1e9)) {
		if (n % slots == 0 && prepare(cold, holes ? ST_POPULATED : st, 0, cold->size)) break;
		for (uint64_t h = 0; holes && n % slots == 0 && h < slots; h++)
			if (do_punch(cold, 2 * h * len, len)) return guest_fail(probe);
		uint64_t off = ((n % slots) * step % slots) * len * (holes ? 2 : 1), woff = (n % (warm->size / len)) * len;
		if (time_call(timed, cold, off, len, &cns[n])) return guest_fail(probe);
		if (prepare(warm, st, woff, len)) break;
		if (time_call(timed, warm, woff, len, &wns[n++])) return guest_fail(probe);
	}
	if (n < b.min_reps) {
		if (!guest_why[0]) snprintf(guest_why, sizeof(guest_why), "prepare %s: %s", state_name[st], strerror(errno));
		return -1;
	}
	char params[512];
	snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"%s\",\"region_bytes\":%llu,\"order\":\"spread\"%s%s", (unsigned long long)len, state_name[st], (unsigned long long)cold->size, holes ? ",\"between\":\"populated\"" : "", extra);
	emit_row(probe, backend_name[cold->backend], params, cns, n);
	snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"%s\",\"region_bytes\":%llu,\"order\":\"warm\"%s%s", (unsigned long long)len, state_name[st], (unsigned long long)warm->size, holes ? ",\"between\":\"populated\"" : "", extra);
	emit_row(probe, backend_name[warm->backend], params, wns, n);
	return 0;
}

/*
 * A pair of rows taken interleaved, call by call, both at consecutive slots (warm, as run_row):
 * `dense` punches consecutive len-sized ranges of a file populated whole beforehand, so the
 * xarray node holding each range keeps its other entries (one punch in 256 KiB / len empties a
 * node); `alone` punches consecutive ranges of a second file, each populated right before in a
 * file otherwise empty (the previous range was punched), so every punch removes the last
 * entries of its node and frees it (xas_store -> xas_delete_node -> xa_node_free). Rows `PROBE`
 * with params order "consecutive" and neighbours "populated" / "none"; their difference is what
 * freeing a node costs, and `dense` against the spread rows is what coldness alone costs.
 */
static int run_neighbours_pair(struct file *dense, struct file *alone, const char *probe, uint64_t len, const char *extra)
{
	static uint64_t dns[MAX_SAMPLES], ans[MAX_SAMPLES];
	if (dry_run) return 0;
	struct budget b = row_budget(len);
	uint64_t slots = dense->size / len, t0 = now_ns();
	int n = 0;
	while (n < b.max_reps && n < MAX_SAMPLES && (n < b.min_reps || (now_ns() - t0) < 2 * b.seconds * 1e9)) {
		uint64_t off = (n % slots) * len;
		if (n % slots == 0 && do_alloc(dense, 0, dense->size)) break;
		if (time_call(do_punch, dense, off, len, &dns[n])) return guest_fail(probe);
		if (prepare(alone, ST_POPULATED, off, len)) break;
		if (time_call(do_punch, alone, off, len, &ans[n++])) return guest_fail(probe);
	}
	if (n < b.min_reps) {
		if (!guest_why[0]) snprintf(guest_why, sizeof(guest_why), "prepare populated: %s", strerror(errno));
		return -1;
	}
	char params[512];
	snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"populated\",\"region_bytes\":%llu,\"order\":\"consecutive\",\"neighbours\":\"populated\"%s", (unsigned long long)len, (unsigned long long)dense->size, extra);
	emit_row(probe, backend_name[dense->backend], params, dns, n);
	snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"populated\",\"region_bytes\":%llu,\"order\":\"consecutive\",\"neighbours\":\"none\"%s", (unsigned long long)len, (unsigned long long)alone->size, extra);
	emit_row(probe, backend_name[alone->backend], params, ans, n);
	return 0;
}

static const uint64_t sizes_full[] = { 4 * KiB, 64 * KiB, 2 * MiB, 64 * MiB, GiB };
static const uint64_t sizes_quick[] = { 4 * KiB, 64 * KiB, 2 * MiB, 64 * MiB };
#define SIZES (quick ? sizes_quick : sizes_full)
#define NSIZES (quick ? sizeof(sizes_quick) / 8 : sizeof(sizes_full) / 8)

/* The file a row of `len` works in: room for many slots when they are small. */
static uint64_t region_for(uint64_t len) { return len < 64 * MiB ? 64 * MiB : len; }

struct row_kind {
	const char *probe;
	enum state st;
	int punch;
	uint64_t max_len; /* 0: every size */
	uint64_t min_len;
};

/* Rows of one backend on one kind of file (bound or not, mapped or not). */
static void run_kinds(const char *section, enum backend be, const struct row_kind *kinds, int nk, uint64_t gflags, int bound, int vmm_map, const char *extra)
{
	for (int k = 0; k < nk; k++) {
		for (unsigned i = 0; i < NSIZES; i++) {
			uint64_t len = SIZES[i];
			if ((kinds[k].max_len && len > kinds[k].max_len) || len < kinds[k].min_len) continue;
			char what[160];
			snprintf(what, sizeof(what), "%s %s %llu%s%s", kinds[k].probe, state_name[kinds[k].st], (unsigned long long)len, bound ? " bound" : "", vmm_map ? " mapped" : "");
			progress(section, what);
			struct file f;
			guest_why[0] = 0;
			/* under THP a call below 2 MiB works inside one huge folio, 2 MiB and up on whole ones */
			char extra2[256];
			snprintf(extra2, sizeof(extra2), "%s%s", extra, slot_align == 4096 ? "" : len < slot_align ? ",\"placement\":\"inside_huge_folio\"" : ",\"placement\":\"aligned\"");
			if (!dry_run) host_prefault(region_for(len) + 64 * MiB); /* host-prefault.h */
			if (file_open(&f, be, region_for(len), gflags, bound, 0) || (vmm_map && file_map(&f)) ||
			    run_row(&f, kinds[k].probe, kinds[k].st, len, kinds[k].punch ? do_punch : do_alloc, extra2))
				emit_skip(what, guest_why);
			file_close(&f);
		}
	}
}

/* ---- sections ---- */

static int have_kvm, have_gmem;
static uint64_t gmem_flags_cap;
static char no_gmem_why[320] = "not checked";

static void section_caps(void)
{
	struct guest g;
	if (guest_create_vm(&g)) {
		snprintf(no_gmem_why, sizeof(no_gmem_why), "no usable /dev/kvm (%s)", guest_why);
		emit_skip("kvm", guest_why);
	} else {
		have_kvm = 1;
		have_gmem = ioctl(g.vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) > 0;
		int fl = ioctl(g.vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
		gmem_flags_cap = fl > 0 ? (uint64_t)fl : 0;
		if (have_gmem) {
			struct kvm_create_guest_memfd c = { .size = 2 * MiB };
			int fd = ioctl(g.vm, KVM_CREATE_GUEST_MEMFD, &c);
			if (fd < 0) {
				have_gmem = 0;
				snprintf(no_gmem_why, sizeof(no_gmem_why), "KVM_CREATE_GUEST_MEMFD failed: %s", strerror(errno));
				emit_skip("guest_memfd", no_gmem_why);
			} else {
				close(fd);
			}
		} else {
			snprintf(no_gmem_why, sizeof(no_gmem_why), "KVM_CAP_GUEST_MEMFD is not reported by this kernel");
			emit_skip("guest_memfd", no_gmem_why);
		}
		guest_destroy(&g);
	}
	printf("{\"caps\":{\"kvm\":%s,\"guest_memfd\":%s,\"guest_memfd_flags\":%llu,\"why\":\"%s\"}}\n", have_kvm ? "true" : "false",
	       have_gmem ? "true" : "false", (unsigned long long)gmem_flags_cap, have_gmem ? "" : no_gmem_why);
	fflush(stdout);
}

/* Create and close of an empty file (O(1) in the size: measured at 2 MiB and 1 GiB). */
static void create_rows(enum backend be)
{
	static uint64_t cns[MAX_SAMPLES], xns[MAX_SAMPLES];
	struct guest g;
	if (be == GMEM && guest_create_vm(&g)) return emit_skip("gmem.create", guest_why);
	uint64_t lens[] = { 2 * MiB, GiB };
	for (int i = 0; i < 2; i++) {
		progress(backend_name[be], "create");
		if (dry_run) continue;
		struct budget b = row_budget(4096);
		int n = 0;
		uint64_t t0 = now_ns();
		while (n < b.max_reps && (n < b.min_reps || now_ns() - t0 < b.seconds * 1e9)) {
			uint64_t s = now_ns();
			int fd;
			if (be == GMEM) {
				struct kvm_create_guest_memfd c = { .size = lens[i] };
				fd = ioctl(g.vm, KVM_CREATE_GUEST_MEMFD, &c);
			} else {
				fd = memfd_create("calibrate-probe", MFD_CLOEXEC);
				if (fd >= 0 && ftruncate(fd, lens[i])) fd = -1;
			}
			uint64_t e = now_ns();
			if (fd < 0) return emit_skip(be == GMEM ? "gmem.create" : "shmem.create", strerror(errno));
			close(fd);
			cns[n] = e - s;
			xns[n++] = now_ns() - e;
		}
		char params[64];
		snprintf(params, sizeof(params), "\"size_bytes\":%llu", (unsigned long long)lens[i]);
		emit_row(be == GMEM ? "gmem.create" : "shmem.create", backend_name[be], params, cns, n);
		emit_row(be == GMEM ? "gmem.close" : "shmem.close", backend_name[be], params, xns, n);
	}
	if (be == GMEM) guest_destroy(&g);
}

static void section_gmem(void)
{
	if (!have_gmem) return emit_skip("gmem", no_gmem_why);
	create_rows(GMEM);
	const struct row_kind unbound[] = {
		{ "gmem.fallocate", ST_EMPTY, 0, 0 },
		{ "gmem.fallocate", ST_ALLOCATED, 0, 0 },
		{ "gmem.fallocate", ST_PARTIAL, 0, 64 * MiB },
		{ "gmem.punch", ST_POPULATED, 1, 0 },
		{ "gmem.punch", ST_EMPTY, 1, 0 },
		{ "gmem.punch", ST_PARTIAL, 1, 64 * MiB },
	};
	run_kinds("gmem", GMEM, unbound, 6, 0, 0, 0, ",\"bound\":false");
	const struct row_kind bound[] = {
		{ "gmem.fallocate", ST_EMPTY, 0, 0 },
		{ "gmem.punch", ST_POPULATED, 1, 0 },
		{ "gmem.punch", ST_EMPTY, 1, 0 },
	};
	run_kinds("gmem", GMEM, bound, 3, 0, 1, 0, ",\"bound\":true");
	const uint64_t mmap_flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
	if ((gmem_flags_cap & mmap_flags) != mmap_flags) return emit_skip("gmem.punch mapped", "KVM_CAP_GUEST_MEMFD_FLAGS lacks MMAP|INIT_SHARED");
	const struct row_kind mapped[] = { { "gmem.punch", ST_VMM_MAPPED, 1, 64 * MiB, 0 } };
	run_kinds("gmem", GMEM, mapped, 1, mmap_flags, 0, 1, ",\"bound\":false");
}

static void section_shmem(void)
{
	create_rows(SHMEM);
	const struct row_kind kinds[] = {
		{ "shmem.fallocate", ST_EMPTY, 0, 0 },
		{ "shmem.fallocate", ST_ALLOCATED, 0, 0 },
		{ "shmem.fallocate", ST_WRITTEN, 0, 64 * MiB },
		{ "shmem.fallocate", ST_PARTIAL, 0, 64 * MiB },
		{ "shmem.punch", ST_POPULATED, 1, 0 },
		{ "shmem.punch", ST_EMPTY, 1, 0 },
		{ "shmem.punch", ST_PARTIAL, 1, 64 * MiB },
	};
	run_kinds("shmem", SHMEM, kinds, 7, 0, 0, 0, ",\"thp\":\"never\"");
	const struct row_kind mapped[] = { { "shmem.punch", ST_VMM_MAPPED, 1, 64 * MiB } };
	run_kinds("shmem", SHMEM, mapped, 1, 0, 0, 1, ",\"thp\":\"never\"");
}

/* ---- spread: calls at far-apart offsets of a file prepared whole (cold), paired with warm ones ---- */

#define SPREAD_REGION (64 * MiB)

static void section_spread(void)
{
	static const uint64_t lens[] = { 4 * KiB, 64 * KiB, 2 * MiB };
	/* holes: the cold file is populated whole and every other slot punched, and the calls go to those holes */
	struct { enum backend be; const char *probe; enum state st; int punch, holes; } kinds[] = {
		{ GMEM, "gmem.spread.punch", ST_POPULATED, 1, 0 },
		{ GMEM, "gmem.spread.punch", ST_EMPTY, 1, 1 },
		{ GMEM, "gmem.spread.fallocate", ST_EMPTY, 0, 0 },
		{ GMEM, "gmem.spread.fallocate", ST_ALLOCATED, 0, 0 },
		{ SHMEM, "shmem.spread.punch", ST_POPULATED, 1, 0 },
		{ SHMEM, "shmem.spread.punch", ST_EMPTY, 1, 1 },
		{ SHMEM, "shmem.spread.fallocate", ST_EMPTY, 0, 0 },
		{ SHMEM, "shmem.spread.fallocate", ST_WRITTEN, 0, 0 },
		{ SHMEM, "shmem.spread.fallocate", ST_ALLOCATED, 0, 0 },
	};
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (kinds[k].be == GMEM && !have_gmem) {
			emit_skip(kinds[k].probe, no_gmem_why);
			continue;
		}
		for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			char what[128];
			snprintf(what, sizeof(what), "%s %s %llu", kinds[k].probe, state_name[kinds[k].st], (unsigned long long)lens[i]);
			progress("spread", what);
			struct file cold, warm;
			guest_why[0] = 0;
			if (!dry_run) host_prefault(2 * SPREAD_REGION + 64 * MiB);
			enum state st = kinds[k].st;
			int rc = file_open(&cold, kinds[k].be, SPREAD_REGION, 0, 0, 0);
			if (!rc) rc = file_open(&warm, kinds[k].be, SPREAD_REGION, 0, 0, 0);
			else warm.fd = -1;
			/* empty: the cold file is populated first, so each round's punch leaves holes whose pages went back to the buddy lists */
			if (!rc && st == ST_EMPTY && !dry_run) rc = do_alloc(&cold, 0, SPREAD_REGION);
			if (rc || run_spread_pair(&cold, &warm, kinds[k].probe, st, kinds[k].holes, lens[i], kinds[k].punch ? do_punch : do_alloc, kinds[k].be == GMEM ? ",\"bound\":false" : ",\"thp\":\"never\""))
				emit_skip(what, guest_why);
			file_close(&cold);
			if (warm.fd >= 0) file_close(&warm);
		}
	}
	/* 4 and 64 KiB punches at consecutive slots, neighbours populated or none: the xarray node free, and the warm side of a cold punch */
	for (enum backend be = GMEM; be <= SHMEM; be++) {
		const char *probe = be == GMEM ? "gmem.spread.punch" : "shmem.spread.punch";
		if (be == GMEM && !have_gmem) {
			emit_skip(probe, no_gmem_why);
			continue;
		}
		for (uint64_t len = 4 * KiB; len <= 64 * KiB; len *= 16) {
			char what[128];
			snprintf(what, sizeof(what), "%s populated %llu consecutive", probe, (unsigned long long)len);
			progress("spread", what);
			struct file dense, alone;
			guest_why[0] = 0;
			if (!dry_run) host_prefault(2 * SPREAD_REGION + 64 * MiB);
			int rc = file_open(&dense, be, SPREAD_REGION, 0, 0, 0);
			if (!rc) rc = file_open(&alone, be, SPREAD_REGION, 0, 0, 0);
			else alone.fd = -1;
			if (rc || run_neighbours_pair(&dense, &alone, probe, len, be == GMEM ? ",\"bound\":false" : ",\"thp\":\"never\""))
				emit_skip(what, guest_why);
			file_close(&dense);
			if (alone.fd >= 0) file_close(&alone);
		}
	}
}

/* ---- stride: punches stepping forward through a file by gaps of several sizes, and jumping, interleaved ---- */

/*
 * What makes a punch "cold" (sim/model/cold-range.ts): files of 64 MiB, each populated whole,
 * one per access pattern, punched len at a time, one call per file in turn (the order rotating
 * each iteration) so that the host's load and its slower and faster spells weigh on every
 * pattern alike: `forward` with `gap_pages` G starts each call G pages past the end of the
 * previous one (G = 0: adjoining, as a thread punching consecutive ranges; 8: the same xarray
 * leaf node; 64: the next node; 256, 1024: several nodes on, within one level-1 node of 4096
 * pages); `jump` goes ~0.62 of the file forward (mod the file: alternately ~40 MiB forward and
 * ~24 MiB back), so every call lands where nothing was touched since the file was populated.
 * Slot n of a pattern is (n x stride) mod slots with stride odd, so each slot is punched once per
 * round of `slots` calls (a forward pattern wraps to the file's start slots / stride times a
 * round); then every file is populated whole again (untimed). Rows `PROBE` (gmem.stride.punch,
 * shmem.stride.punch) with params order, gap_pages (forward) and round: the probe takes the
 * section five times (rounds), apart in time.
 */
#define STRIDE_REGION (64 * MiB)
#define STRIDE_PATTERNS 6
static const int64_t stride_gaps[STRIDE_PATTERNS] = { 0, 8, 64, 256, 1024, -1 }; /* pages; -1: jump */

static void stride_rows(enum backend be, uint64_t len, int round)
{
	static uint64_t ns[STRIDE_PATTERNS][MAX_SAMPLES];
	const char *probe = be == GMEM ? "gmem.stride.punch" : "shmem.stride.punch";
	const uint64_t slot_pages = len / 4096, slots = STRIDE_REGION / len;
	struct file f[STRIDE_PATTERNS];
	uint64_t stride[STRIDE_PATTERNS];
	int np = 0, failed = 0;
	char what[128];
	snprintf(what, sizeof(what), "%s %llu round %d", probe, (unsigned long long)len, round);
	progress("stride", what);
	if (dry_run) return;
	guest_why[0] = 0;
	host_prefault(STRIDE_PATTERNS * STRIDE_REGION + 64 * MiB);
	for (int k = 0; k < STRIDE_PATTERNS; k++) {
		if (stride_gaps[k] >= 0 && stride_gaps[k] % slot_pages) continue; /* a gap of part of a slot */
		stride[np] = stride_gaps[k] < 0 ? ((uint64_t)(slots * 0.618)) | 1 : stride_gaps[k] / slot_pages + 1;
		if (file_open(&f[np], be, STRIDE_REGION, 0, 0, 0)) {
			failed = 1;
			break;
		}
		np++;
	}
	struct budget b = row_budget(len);
	int reps = 0;
	uint64_t t0 = now_ns();
	while (!failed && reps < 3000 && (reps < 200 || now_ns() - t0 < 2 * b.seconds * 1e9)) {
		for (int k = 0; k < np && reps % slots == 0; k++)
			if (do_alloc(&f[k], 0, STRIDE_REGION)) failed = 1;
		for (int j = 0; j < np && !failed; j++) {
			int k = (j + reps) % np;
			uint64_t off = (reps * stride[k] % slots) * len;
			if (time_call(do_punch, &f[k], off, len, &ns[k][reps])) failed = 1;
		}
		if (!failed) reps++;
	}
	if (failed && !guest_why[0]) snprintf(guest_why, sizeof(guest_why), "%s: %s", probe, strerror(errno));
	for (int k = 0; k < np; k++) file_close(&f[k]);
	if (failed) return emit_skip(what, guest_why);
	for (int k = 0, i = 0; k < STRIDE_PATTERNS; k++) {
		if (stride_gaps[k] >= 0 && stride_gaps[k] % slot_pages) continue;
		char params[320], gap[48] = "";
		if (stride_gaps[k] >= 0) snprintf(gap, sizeof(gap), ",\"gap_pages\":%lld", (long long)stride_gaps[k]);
		snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"populated\",\"region_bytes\":%llu,\"order\":\"%s\"%s,\"round\":%d%s",
			 (unsigned long long)len, (unsigned long long)STRIDE_REGION, stride_gaps[k] < 0 ? "jump" : "forward", gap, round,
			 be == GMEM ? ",\"bound\":false" : ",\"thp\":\"never\"");
		emit_row(probe, backend_name[be], params, ns[i++], reps);
	}
}

static void section_stride(int round)
{
	for (enum backend be = GMEM; be <= SHMEM; be++) {
		if (be == GMEM && !have_gmem) {
			if (round == 0) emit_skip("gmem.stride.punch", no_gmem_why);
			continue;
		}
		stride_rows(be, 4 * KiB, round);
		stride_rows(be, 64 * KiB, round);
	}
}

/* ---- footprint: what a punch (or an allocation) costs when other file pages were populated in between ---- */

/*
 * The probe's other rows populate a range and punch it right away, so the folios' struct pages,
 * the xarray leaf node and the LRU neighbours the punch touches are in the CPU's caches; a
 * composite sequence populates a whole file first and punches it later, after the rest of the
 * file was populated. Here a target file of FOOT_REGION has len-sized slots, and a filler (the
 * target file's own range past the slots, `filler` same_file, as in a sequence; or a shmem file
 * of its own, shmem_file: on this host shmem pages populated after a guest_memfd range evict its
 * metadata about twice as much as guest_memfd pages do, bench/kernel-probe/README.md)
 * is populated by `footprint` bytes either between populating a slot and punching it
 * (`order` after) or before populating it (`order` before): the same work in both, so their
 * difference is what the slot's own metadata falling out of the caches costs, while what the
 * filler evicts from the call's path (inode, locks, allocator and free lists) weighs on both.
 * A round takes a batch of slots (up to 256 KiB of them, every 4th slot: 4 KiB slots are then
 * 16 KiB apart in one xarray leaf node; one slot from 256 KiB) and times one call per slot, each
 * after the previous one as in a sequence:
 *   punch:     [fill] fallocate(each slot) [fill]; hole punch of the 4 KiB before the batch (warms
 *              the inode, the file lock and the xarray's upper levels); TIMED punch(each slot);
 *              punch(filler)
 *   fallocate: [fill] fallocate(the slot after each: its neighbour) [fill]; the hole punch; TIMED
 *              fallocate(each slot), whose xarray node (4 KiB) or parent the neighbour shares;
 *              punch(the batch, filler)
 * Each repetition takes every footprint in turn (the order rotating), its two orders one after
 * the other (which goes first alternating), so the host's slow and fast spells, and what the
 * previous footprint's filler left behind (RCU frees of its xarray nodes, per-CPU list drains),
 * weigh on all alike. Rows `PROBE` (gmem.footprint.punch, ...) with
 * params footprint_bytes and order.
 */
#define FOOT_REGION (64 * MiB)
#define NFOOT 5
/* to 256 MiB in --quick too: on the AMD EPYC host shmem's extra still rises past 64 MiB */
static const uint64_t foot_mib[NFOOT] = { 1, 4, 16, 64, 256 };

static void footprint_rows(enum backend be, int bound, int punch, uint64_t len, int same_file)
{
	static uint64_t ns[2 * NFOOT][MAX_SAMPLES];
	const char *probe = be == GMEM ? (punch ? "gmem.footprint.punch" : "gmem.footprint.fallocate") : (punch ? "shmem.footprint.punch" : "shmem.footprint.fallocate");
	const int nf = NFOOT;
	const uint64_t fill_max = foot_mib[nf - 1] * MiB, slots = FOOT_REGION / len;
	char what[128];
	snprintf(what, sizeof(what), "%s %llu%s%s", probe, (unsigned long long)len, bound ? " bound" : "", same_file ? " same file" : "");
	progress("footprint", what);
	if (dry_run) return;
	guest_why[0] = 0;
	host_prefault(FOOT_REGION + fill_max + 64 * MiB);
	/* the filler: a shmem file of its own, or (same_file) the target file's range past its slots */
	struct file t, other, *fill = &other;
	const uint64_t foff = same_file ? FOOT_REGION : 0;
	if (file_open(&t, be, FOOT_REGION + (same_file ? fill_max : 0), 0, bound, 0)) return emit_skip(what, guest_why);
	if (same_file) fill = &t;
	else if (file_open(&other, SHMEM, fill_max, 0, 0, 0)) {
		file_close(&t);
		return emit_skip(what, guest_why);
	}
	struct budget b = row_budget(len);
	/* a batch: up to 256 KiB of slots, every 4th slot (4 KiB: 16 KiB apart, in one xarray leaf node) */
	const uint64_t batch = len >= 256 * KiB ? 1 : 256 * KiB / len, step = batch > 1 ? 4 : 1, per_round = batch * step;
	int reps = 0, failed = 0, count[2 * NFOOT] = { 0 }, min_samples = quick ? 15 : 25;
	uint64_t n = 0, t0 = now_ns();
	while (!failed && count[0] + (int)batch <= MAX_SAMPLES && (count[0] < min_samples || now_ns() - t0 < 4 * b.seconds * 1e9)) {
		for (int j = 0; j < 2 * nf && !failed; j++) {
			/* footprints in rotating order, each one's two orders adjacent, which goes first alternating */
			int k = 2 * ((j / 2 + reps) % nf) + ((j + reps / nf) % 2), after = k % 2;
			uint64_t fbytes = foot_mib[k / 2] * MiB, base = (n % (slots / per_round)) * per_round;
			n++;
			if (!after && do_alloc(fill, foff, fbytes)) failed = 1;
			/* punch: the batch's slots populated; fallocate: the slot after each (its neighbour) */
			for (uint64_t i = 0; i < batch && !failed; i++)
				if (do_alloc(&t, ((base + i * step + !punch) % slots) * len, len)) failed = 1;
			if (!failed && after && do_alloc(fill, foff, fbytes)) failed = 1;
			if (!failed && do_punch(&t, ((base + slots - 1) % slots) * len, 4096)) failed = 1;
			for (uint64_t i = 0; i < batch && !failed; i++)
				if (time_call(punch ? do_punch : do_alloc, &t, (base + i * step) * len, len, &ns[k][count[k]++])) failed = 1;
			if (!failed && !punch && do_punch(&t, base * len, per_round * len + (base + per_round < slots ? len : 0))) failed = 1;
			if (!failed && do_punch(fill, foff, fbytes)) failed = 1;
		}
		if (!failed) reps++;
	}
	if (failed && !guest_why[0]) snprintf(guest_why, sizeof(guest_why), "%s: %s", probe, strerror(errno));
	file_close(&t);
	if (!same_file) file_close(&other);
	if (failed) return emit_skip(what, guest_why);
	for (int k = 0; k < 2 * nf; k++) {
		char params[320];
		snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"%s\",\"region_bytes\":%llu,\"footprint_bytes\":%llu,\"order\":\"%s\",\"filler\":\"%s\"%s",
			 (unsigned long long)len, punch ? "populated" : "empty", (unsigned long long)FOOT_REGION, (unsigned long long)(foot_mib[k / 2] * MiB),
			 k % 2 ? "after" : "before", same_file ? "same_file" : "shmem_file", be == GMEM ? (bound ? ",\"bound\":true" : ",\"bound\":false") : ",\"thp\":\"never\"");
		emit_row(probe, backend_name[be], params, ns[k], count[k]);
	}
}

static void section_footprint(void)
{
	static const uint64_t lens[] = { 4 * KiB, 64 * KiB, 2 * MiB };
	/* --quick: the unbound punches with the filler in the same file only (what the fit reads: a
	 * sequence populates and punches one file); the full probe also fills a shmem file of its own */
	struct { enum backend be; int bound, punch, same_file; } kinds[] = {
		{ GMEM, 0, 1, 1 }, { SHMEM, 0, 1, 1 }, { GMEM, 0, 1, 0 }, { SHMEM, 0, 1, 0 }, { GMEM, 1, 1, 0 }, { GMEM, 0, 0, 0 }, { SHMEM, 0, 0, 0 },
	};
	for (unsigned k = 0; k < (quick ? 2 : sizeof(kinds) / sizeof(kinds[0])); k++) {
		if (kinds[k].be == GMEM && !have_gmem) {
			emit_skip(kinds[k].punch ? "gmem.footprint.punch" : "gmem.footprint.fallocate", no_gmem_why);
			continue;
		}
		for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) footprint_rows(kinds[k].be, kinds[k].bound, kinds[k].punch, lens[i], kinds[k].same_file);
	}
}

/* ---- lru: a punch drains the CPU's batch of folios not yet on the LRU ---- */

/*
 * A folio a fallocate (or a fault) adds to the page cache goes onto the LRU through the CPU's
 * batch (folio_add_lru -> folio_batch_add_and_move, cpu_fbatches.lru_add: PAGEVEC_SIZE 31
 * folios, moved to the LRU under the lruvec lock when full or when a large folio comes), and a
 * punch that removes any folio calls lru_add_drain() once (truncate_inode_pages_range /
 * shmem_undo_range -> folio_batch_release -> __folio_batch_release), moving whatever that batch
 * holds. The probe's populated rows populate each range right before punching it, so their
 * punches move the range's folios (pages mod 31 of them); a sequence's punch of a file
 * populated earlier finds the batch empty. Pairs taken interleaved, on consecutive slots of a
 * file (each alone in its xarray leaf node) and one 4 KiB page of a second file (the `other`
 * page): fallocate(other page), fallocate(slot), then `pending`: punch of a hole of the
 * second file (no folio found: no drain), TIMED punch(slot), punch(other page); `drained`:
 * punch(other page) (which drains the batch), TIMED punch(slot), punch of the hole. The same
 * calls in both, a punch right before the timed one in both; in `pending` the timed punch moves
 * (1 + pages) mod 31 folios, in `drained` none. Rows `PROBE` (gmem.lru_batch.punch, shmem.lru_batch.punch) with params order
 * and other_pages.
 */
#define LRU_REGION (64 * MiB)

static void lru_rows(enum backend be, uint64_t len)
{
	static uint64_t ns[2][MAX_SAMPLES];
	const char *probe = be == GMEM ? "gmem.lru_batch.punch" : "shmem.lru_batch.punch";
	const uint64_t stride = len < 256 * KiB ? 256 * KiB : len, slots = LRU_REGION / stride;
	char what[128];
	snprintf(what, sizeof(what), "%s %llu", probe, (unsigned long long)len);
	progress("lru", what);
	if (dry_run) return;
	guest_why[0] = 0;
	host_prefault(LRU_REGION + 64 * MiB);
	struct file t, other;
	if (file_open(&t, be, LRU_REGION, 0, 0, 0)) return emit_skip(what, guest_why);
	if (file_open(&other, SHMEM, 2 * MiB, 0, 0, 0)) {
		file_close(&t);
		return emit_skip(what, guest_why);
	}
	struct budget b = row_budget(len);
	int n = 0, failed = 0;
	uint64_t t0 = now_ns();
	while (!failed && n < b.max_reps && n < MAX_SAMPLES && (n < b.min_reps || now_ns() - t0 < 2 * b.seconds * 1e9)) {
		uint64_t off = (n % slots) * stride;
		for (int k = 0; k < 2 && !failed; k++) {
			int drained = (k + n) % 2; /* which goes first alternating */
			/* the call right before the timed one is a punch in both: of the other page, or of a hole (which finds no folio, so drains nothing) */
			if (do_alloc(&other, 0, 4096) || do_alloc(&t, off, len)) failed = 1;
			if (!failed && do_punch(&other, drained ? 0 : MiB, 4096)) failed = 1;
			if (!failed && time_call(do_punch, &t, off, len, &ns[drained][n])) failed = 1;
			if (!failed && do_punch(&other, drained ? MiB : 0, 4096)) failed = 1;
		}
		if (!failed) n++;
	}
	if (failed && !guest_why[0]) snprintf(guest_why, sizeof(guest_why), "%s: %s", probe, strerror(errno));
	file_close(&t);
	file_close(&other);
	if (failed) return emit_skip(what, guest_why);
	for (int d = 0; d < 2; d++) {
		char params[320];
		snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"populated\",\"region_bytes\":%llu,\"order\":\"%s\",\"other_pages\":1%s",
			 (unsigned long long)len, (unsigned long long)LRU_REGION, d ? "drained" : "pending", be == GMEM ? ",\"bound\":false" : ",\"thp\":\"never\"");
		emit_row(probe, backend_name[be], params, ns[d], n);
	}
}

static void section_lru(void)
{
	/* 4 KiB and 64 KiB: 2 and 17 folios pending; 256 KiB: 65, 3 after two moves; 2 MiB: 513, 17 after 16 */
	static const uint64_t lens[] = { 4 * KiB, 64 * KiB, 256 * KiB, 2 * MiB };
	for (enum backend be = GMEM; be <= SHMEM; be++) {
		if (be == GMEM && !have_gmem) {
			emit_skip("gmem.lru_batch.punch", no_gmem_why);
			continue;
		}
		for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) lru_rows(be, lens[i]);
	}
}

/* ---- shmem THP: shmem_enabled set to 'always' for the section, restored on every way out ---- */

#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
static char thp_saved[32];

static void thp_restore(void)
{
	if (!thp_saved[0]) return;
	int fd = open(SHMEM_ENABLED, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, thp_saved, strlen(thp_saved)) < 0) { /* nothing more to do on the way out */ }
		close(fd);
	}
	thp_saved[0] = 0;
}

static void thp_signal(int sig)
{
	thp_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int thp_set_always(void)
{
	char buf[256];
	int fd = open(SHMEM_ENABLED, O_RDONLY);
	if (fd < 0) return guest_fail("open " SHMEM_ENABLED);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) return guest_fail("read " SHMEM_ENABLED);
	buf[n] = 0;
	char *l = strchr(buf, '['), *r = l ? strchr(l, ']') : NULL;
	if (!l || !r || r - l - 1 >= (long)sizeof(thp_saved)) return guest_fail("parse " SHMEM_ENABLED);
	memcpy(thp_saved, l + 1, r - l - 1);
	thp_saved[r - l - 1] = 0;
	atexit(thp_restore);
	signal(SIGINT, thp_signal);
	signal(SIGTERM, thp_signal);
	signal(SIGHUP, thp_signal);
	fd = open(SHMEM_ENABLED, O_WRONLY);
	if (fd < 0 || write(fd, "always", 6) != 6) {
		if (fd >= 0) close(fd);
		thp_saved[0] = 0;
		return guest_fail("write " SHMEM_ENABLED);
	}
	close(fd);
	return 0;
}

static void section_thp(int thp_allowed)
{
	if (!thp_allowed) return emit_skip("shmem.thp", "not allowed to set shmem_enabled (needs root; the probe then restores it)");
	if (!dry_run && thp_set_always()) return emit_skip("shmem.thp", guest_why);
	const struct row_kind kinds[] = {
		{ "shmem.thp.fallocate", ST_EMPTY, 0, 0, 2 * MiB }, /* smaller calls allocate a whole huge folio too */
		{ "shmem.thp.punch", ST_POPULATED, 1, 0 },
	};
	/* sizes below 2 MiB punch inside a huge folio (a split); 2 MiB and up whole folios */
	slot_align = 2 * MiB;
	run_kinds("thp", SHMEM, kinds, 2, 0, 0, 0, ",\"thp\":\"always\"");
	slot_align = 4096;
	thp_restore();
}

/* ---- the guest ---- */

static int touch_row(struct file *f, const char *probe, enum state st, uint64_t len, const char *extra)
{
	static uint64_t ns[MAX_SAMPLES];
	if (dry_run) return 0;
	struct budget b = row_budget(len);
	uint64_t slots = f->size / len, t0 = now_ns();
	int n = 0;
	while (n < b.max_reps && (n < b.min_reps || (now_ns() - t0) < b.seconds * 1e9)) {
		uint64_t off = (n % slots) * len;
		if (prepare(f, st, off, len)) return -1;
		if (guest_prepare(&f->vm, f->gpa + off, len)) return -1;
		uint64_t s = now_ns();
		int rc = guest_run(&f->vm);
		uint64_t e = now_ns();
		if (rc) return -1;
		ns[n++] = e - s;
	}
	char params[256];
	snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"%s\",\"bound\":true,\"mmap\":true%s", (unsigned long long)len, state_name[st], extra);
	emit_row(probe, "kvm", params, ns, n);
	return 0;
}

/* The vCPU thread of a "running" row: the guest writes every page of the region, pass after pass. */
struct vcpu_loop {
	struct file *f;
	uint64_t region;
	volatile int stop, passes, failed;
};

static void *vcpu_loop(void *arg)
{
	struct vcpu_loop *v = arg;
	while (!v->stop) {
		if (guest_touch(&v->f->vm, v->f->gpa, v->region)) {
			v->failed = 1;
			break;
		}
		__atomic_add_fetch(&v->passes, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Punches of len-sized slots of a region the running vCPU keeps writing (and so re-faults what
 * was punched), one every interval_ns: each punch has to kick the vCPU out of guest mode.
 */
static int punch_running_row(struct file *f, uint64_t len, uint64_t region, uint64_t interval_ns)
{
	static uint64_t ns[MAX_SAMPLES];
	struct vcpu_loop v = { .f = f, .region = region };
	pthread_t tid;
	if (dry_run) return 0;
	if (do_alloc(f, 0, region)) return guest_fail("fallocate");
	if (pthread_create(&tid, NULL, vcpu_loop, &v)) return guest_fail("pthread_create");
	while (!__atomic_load_n(&v.passes, __ATOMIC_ACQUIRE) && !v.failed) usleep(100);
	v.passes = 0;
	struct budget b = row_budget(len);
	uint64_t slots = region / len, t0 = now_ns(), last = t0;
	int n = 0;
	while (!v.failed && n < b.max_reps && (n < b.min_reps || (now_ns() - t0) < b.seconds * 1e9)) {
		while (now_ns() - last < interval_ns)
			;
		uint64_t off = (n % slots) * len;
		uint64_t s = now_ns();
		int rc = do_punch(f, off, len);
		uint64_t e = now_ns();
		last = e;
		if (rc) break;
		ns[n++] = e - s;
	}
	v.stop = 1;
	pthread_join(tid, NULL);
	if (v.failed) return -1;
	if (n < b.min_reps) return guest_fail("punch");
	/* how many passes the guest made while punched: a vCPU thread kept off its CPU (a busy host) makes few */
	char params[320];
	snprintf(params, sizeof(params), "\"size_bytes\":%llu,\"state\":\"mapped\",\"bound\":true,\"mmap\":true,\"vcpu\":\"running\",\"region_bytes\":%llu,\"interval_ns\":%llu,\"guest_passes\":%d",
		 (unsigned long long)len, (unsigned long long)region, (unsigned long long)interval_ns, v.passes);
	emit_row("gmem.punch", backend_name[GMEM], params, ns, n);
	return 0;
}

static void section_guest(void)
{
	if (!have_gmem) return emit_skip("guest", no_gmem_why);
	const uint64_t mmap_flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
	if ((gmem_flags_cap & mmap_flags) != mmap_flags)
		return emit_skip("guest", "guest_memfd without MMAP|INIT_SHARED does not serve guest faults on the default VM type");
	struct file f;
	guest_why[0] = 0;
	progress("guest", "vm");
	if (file_open(&f, GMEM, 64 * MiB, mmap_flags, 1, 1)) return emit_skip("guest", guest_why);
	/* Guest runs: one KVM_RUN per sample, so the touches are big enough for the exit to be a small part. */
	struct { const char *probe; enum state st; uint64_t len; const char *extra; } touches[] = {
		{ "guest.first_touch", ST_EMPTY, 2 * MiB, ",\"prefill\":\"none\"" },     /* the fault allocates */
		{ "guest.first_touch", ST_EMPTY, 16 * MiB, ",\"prefill\":\"none\"" },
		{ "guest.first_touch", ST_POPULATED, 2 * MiB, ",\"prefill\":\"fallocate\"" }, /* the fault only maps */
		{ "guest.first_touch", ST_POPULATED, 16 * MiB, ",\"prefill\":\"fallocate\"" },
		{ "guest.refault", ST_GUEST_PUNCHED, 4 * KiB, "" }, /* mapped, punched, touched again */
		{ "guest.refault", ST_GUEST_PUNCHED, 2 * MiB, "" },
		{ "guest.refault", ST_GUEST_PUNCHED, 16 * MiB, "" },
		{ "guest.touch_mapped", ST_GUEST_MAPPED, 2 * MiB, "" }, /* a second pass: no faults */
		{ "guest.touch_mapped", ST_GUEST_MAPPED, 16 * MiB, "" },
		{ "guest.exit", ST_GUEST_MAPPED, 4 * KiB, ",\"exit\":\"mmio\"" }, /* one store to a mapped page, the MMIO exit */
	};
	for (unsigned k = 0; k < sizeof(touches) / sizeof(touches[0]); k++) {
		if (!dry_run) host_prefault(128 * MiB);
		if (quick && touches[k].len == 16 * MiB && strcmp(touches[k].probe, "guest.first_touch")) continue;
		char what[96];
		snprintf(what, sizeof(what), "%s %s %llu", touches[k].probe, state_name[touches[k].st], (unsigned long long)touches[k].len);
		progress("guest", what);
		if (touch_row(&f, touches[k].probe, touches[k].st, touches[k].len, touches[k].extra)) emit_skip(what, guest_why);
	}
	/* Punches of the guest's file with the vCPU stopped: guest-mapped (mapped 2 MiB at a time, then punched), populated, holes. */
	struct { enum state st; const char *vcpu; uint64_t max_len; } punches[] = {
		{ ST_GUEST_MAPPED_BULK, "stopped", 0 },
		{ ST_POPULATED, "stopped", 0 },
		{ ST_EMPTY, "stopped", 0 },
		{ ST_GUEST_MAPPED, "idle_after_touch", 2 * MiB }, /* touched right before each punch */
	};
	const uint64_t lens[] = { 4 * KiB, 64 * KiB, 2 * MiB, 16 * MiB };
	for (unsigned k = 0; k < sizeof(punches) / sizeof(punches[0]); k++) {
		for (unsigned i = 0; i < 4; i++) {
			if ((punches[k].max_len && lens[i] > punches[k].max_len) || (quick && lens[i] == 64 * KiB)) continue;
			char what[96], extra[96];
			snprintf(what, sizeof(what), "gmem.punch %s vcpu %s %llu", state_name[punches[k].st], punches[k].vcpu, (unsigned long long)lens[i]);
			snprintf(extra, sizeof(extra), ",\"bound\":true,\"mmap\":true,\"vcpu\":\"%s\"", punches[k].vcpu);
			progress("guest", what);
			if (run_row(&f, "gmem.punch", punches[k].st, lens[i], do_punch, extra)) emit_skip(what, guest_why);
		}
	}
	/* Punches while the vCPU runs over the same range, re-faulting what was punched. */
	progress("guest", "gmem.punch mapped vcpu running 4096");
	if (punch_running_row(&f, 4 * KiB, 64 * MiB, 200000)) emit_skip("gmem.punch mapped vcpu running 4096", guest_why);
	progress("guest", "gmem.punch mapped vcpu running 2097152");
	if (punch_running_row(&f, 2 * MiB, 64 * MiB, 20000000)) emit_skip("gmem.punch mapped vcpu running 2097152", guest_why);
	file_close(&f);
}

int main(int argc, char **argv)
{
	int thp_allowed = 0;
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) quick = 1;
		else if (!strcmp(argv[i], "--thp")) thp_allowed = 1;
		else if (!strcmp(argv[i], "--dry-run")) dry_run = 1;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--quick] [--thp] [--only caps,gmem,shmem,stride,footprint,lru,spread,thp,guest] [--dry-run]\n", argv[0]);
			return 2;
		}
	}
#define WANT(s) (!only || strstr(only, s))
	section_caps();
	/* the stride section in five rounds apart in time, between the others, so that its fit is a median over spells of the host */
	if (WANT("stride")) section_stride(0);
	if (WANT("gmem")) section_gmem();
	if (WANT("stride")) section_stride(1);
	if (WANT("shmem")) section_shmem();
	if (WANT("stride")) section_stride(2);
	if (WANT("footprint")) section_footprint();
	if (WANT("lru")) section_lru();
	if (WANT("spread")) section_spread();
	if (WANT("thp")) section_thp(thp_allowed);
	if (WANT("stride")) section_stride(3);
	if (WANT("guest")) section_guest();
	if (WANT("stride")) section_stride(4);
	return 0;
}
