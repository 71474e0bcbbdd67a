// seq-exec: runs a composite kernel sequence (sim/calibrate/types.ts KernelSequence) on this
// host's kernel, repetition after repetition in one process, and prints every timed
// operation's nanoseconds (CLOCK_MONOTONIC around each fallocate or KVM_RUN). Validation runs
// the same sequence in the simulator and compares.
//
// Input (stdin), one directive per line, '#' comments:
//   reps N                       repetitions to print (default 1)
//   warmup N                     repetitions run first and not printed (default 0)
//   file gmem|shmem SIZE BOUND   a file, index by order (0, 1, ...); BOUND 1: in a memslot
//   setup OP FILE OFFSET LEN     untimed, in order, before the timed part
//   op THREAD OP FILE OFFSET LEN timed; OP allocate | punch | guest_touch | pause
// Every repetition starts from nothing: a fresh VM (when a file is guest_memfd), fresh files,
// the setup ops, then the timed ops: one thread per THREAD value, each running its ops in
// order, all released together by a barrier. allocate is fallocate(KEEP_SIZE) on guest_memfd
// and fallocate(0) on shmem; punch is fallocate(PUNCH_HOLE|KEEP_SIZE); guest_touch runs the
// guest of kvm-guest.h (one vCPU) storing one byte per 4 KiB page of the range of a bound
// guest_memfd file (such a file is created with MMAP|INIT_SHARED so guest faults are served
// from it; other guest_memfd files with flags 0). The vCPU's registers are set before the
// timer starts, so a guest_touch times KVM_RUN alone. pause busy-waits LEN ns in user space (no
// syscall): probe rows use it to space one thread's calls out.
// Output (stdout), one JSON object per printed repetition:
//   {"rep":K,"wall_ns":W,"op_ns":[...],"op_errors":[null,"EINVAL",...]}
// wall_ns runs from the first timed op's start to the last one's end. A failed op has -1 and
// its errno name. Setup failures end the run (exit 1, the reason on stderr).
// Before each repetition the executor writes and frees as much anonymous memory as the files
// can hold plus 64 MiB (host-prefault.h), so the pages the kernel hands the files are ones the
// hypervisor backs.
#include "kvm-guest.h"
#include "host-prefault.h"
#include <pthread.h>
#include <time.h>

#define MAX_FILES GUEST_MAX_FILES
#define MAX_THREADS 16

enum opkind { OP_ALLOCATE, OP_PUNCH, OP_TOUCH, OP_PAUSE };
struct op {
	enum opkind kind;
	int file, thread;
	uint64_t off, len;
};
struct seqfile {
	int gmem, bound, touched;
	uint64_t size;
	int fd;
	int64_t gpa;
};

static struct seqfile files[MAX_FILES];
static int nfiles;
static struct op *setup_ops, *timed_ops;
static int nsetup, ntimed, cap_setup, cap_timed, nthreads = 1;
static struct guest vm;
static int have_vm;
static uint64_t *op_start, *op_end;
static int *op_err;
static const char **op_why;
static pthread_barrier_t go;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "seq-exec: %s\n", what);
	exit(1);
}

static void push(struct op **v, int *n, int *cap, struct op o)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = realloc(*v, *cap * sizeof(**v));
		if (!*v) die("out of memory");
	}
	(*v)[(*n)++] = o;
}

static enum opkind parse_kind(const char *s, int lineno)
{
	if (!strcmp(s, "allocate")) return OP_ALLOCATE;
	if (!strcmp(s, "punch")) return OP_PUNCH;
	if (!strcmp(s, "guest_touch")) return OP_TOUCH;
	if (!strcmp(s, "pause")) return OP_PAUSE;
	char msg[96];
	snprintf(msg, sizeof(msg), "line %d: unknown op '%s'", lineno, s);
	die(msg);
	return OP_ALLOCATE;
}

static void parse(FILE *in, int *reps, int *warmup)
{
	char line[512], a[32], b[32];
	int lineno = 0;
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t') p++;
		if (*p == '#' || *p == '\n' || !*p) continue;
		struct op o = { 0 };
		unsigned long long size, off, len;
		int bound;
		char msg[160];
		if (sscanf(p, "reps %d", reps) == 1 || sscanf(p, "warmup %d", warmup) == 1) continue;
		if (sscanf(p, "file %31s %llu %d", a, &size, &bound) == 3) {
			if (nfiles == MAX_FILES) die("too many files");
			if (strcmp(a, "gmem") && strcmp(a, "shmem")) die("file backend must be gmem or shmem");
			files[nfiles++] = (struct seqfile){ .gmem = !strcmp(a, "gmem"), .bound = bound, .size = size };
			continue;
		}
		if (sscanf(p, "setup %31s %d %llu %llu", a, &o.file, &off, &len) == 4) {
			o.kind = parse_kind(a, lineno);
			o.off = off, o.len = len;
			push(&setup_ops, &nsetup, &cap_setup, o);
		} else if (sscanf(p, "op %d %31s %d %llu %llu", &o.thread, b, &o.file, &off, &len) == 5) {
			o.kind = parse_kind(b, lineno);
			o.off = off, o.len = len;
			if (o.thread < 0 || o.thread >= MAX_THREADS) die("thread out of range (0-15)");
			if (o.thread + 1 > nthreads) nthreads = o.thread + 1;
			push(&timed_ops, &ntimed, &cap_timed, o);
		} else {
			snprintf(msg, sizeof(msg), "line %d: cannot parse '%.60s'", lineno, p);
			die(msg);
		}
		struct op *last = strncmp(p, "op", 2) == 0 ? &timed_ops[ntimed - 1] : &setup_ops[nsetup - 1];
		if (last->file < 0 || last->file >= nfiles) {
			snprintf(msg, sizeof(msg), "line %d: file %d not declared before use", lineno, last->file);
			die(msg);
		}
		if (last->kind == OP_TOUCH) {
			if (!files[last->file].gmem || !files[last->file].bound) {
				snprintf(msg, sizeof(msg), "line %d: guest_touch needs a bound guest_memfd file", lineno);
				die(msg);
			}
			files[last->file].touched = 1;
		}
	}
}

/* Fresh VM and files for one repetition. */
static void open_files(void)
{
	int need_vm = 0, need_vcpu = 0;
	for (int i = 0; i < nfiles; i++) need_vm |= files[i].gmem, need_vcpu |= files[i].touched;
	if (need_vm && (need_vcpu ? guest_create(&vm) : guest_create_vm(&vm))) die(guest_why);
	have_vm = need_vm;
	for (int i = 0; i < nfiles; i++) {
		struct seqfile *f = &files[i];
		f->gpa = -1;
		if (f->gmem) {
			struct kvm_create_guest_memfd c = { .size = f->size, .flags = f->touched ? GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED : 0 };
			f->fd = ioctl(vm.vm, KVM_CREATE_GUEST_MEMFD, &c);
			if (f->fd < 0) {
				guest_fail("KVM_CREATE_GUEST_MEMFD");
				die(guest_why);
			}
			if (f->bound && (f->gpa = guest_bind(&vm, f->fd, f->size)) < 0) die(guest_why);
		} else {
			f->fd = memfd_create("seq-exec", MFD_CLOEXEC);
			if (f->fd < 0 || ftruncate(f->fd, f->size)) die("memfd_create/ftruncate failed");
		}
	}
}

static void close_files(void)
{
	for (int i = 0; i < nfiles; i++) close(files[i].fd);
	if (have_vm) guest_destroy(&vm);
}

/* Runs one op; returns 0 or an errno. For guest_touch the registers are set before `*start`. */
static int run_op(const struct op *o, uint64_t *start, uint64_t *end, const char **why)
{
	struct seqfile *f = &files[o->file];
	int rc;
	if (o->kind == OP_TOUCH) {
		if (guest_prepare(&vm, f->gpa + o->off, o->len)) return *why = "KVM_SET_REGS", errno ? errno : EIO;
		*start = now_ns();
		rc = guest_run(&vm);
		*end = now_ns();
		if (rc) return *why = "KVM_RUN", errno ? errno : EIO;
		return 0;
	}
	if (o->kind == OP_PAUSE) {
		*start = now_ns();
		while (now_ns() - *start < o->len)
			;
		*end = now_ns();
		return 0;
	}
	int mode = o->kind == OP_PUNCH ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : f->gmem ? FALLOC_FL_KEEP_SIZE : 0;
	*start = now_ns();
	rc = fallocate(f->fd, mode, o->off, o->len);
	*end = now_ns();
	return rc ? errno : 0;
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	pthread_barrier_wait(&go);
	for (int i = 0; i < ntimed; i++)
		if (timed_ops[i].thread == t) op_err[i] = run_op(&timed_ops[i], &op_start[i], &op_end[i], &op_why[i]);
	return NULL;
}

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "EUNKNOWN";
}

static void run_rep(int print, int k)
{
	uint64_t total = 64ull << 20;
	for (int i = 0; i < nfiles; i++) total += files[i].size;
	if (host_prefault(total)) die("mmap of the prefault buffer failed");
	open_files();
	for (int i = 0; i < nsetup; i++) {
		uint64_t s, e;
		const char *why = NULL;
		int err = run_op(&setup_ops[i], &s, &e, &why);
		if (err) {
			char msg[160];
			snprintf(msg, sizeof(msg), "setup op %d failed: %s%s%s", i, errno_name(err), why ? " in " : "", why ? why : "");
			die(msg);
		}
	}
	pthread_t tid[MAX_THREADS];
	pthread_barrier_init(&go, NULL, nthreads);
	for (int t = 1; t < nthreads; t++)
		if (pthread_create(&tid[t], NULL, worker, (void *)(intptr_t)t)) die("pthread_create failed");
	worker((void *)0);
	for (int t = 1; t < nthreads; t++) pthread_join(tid[t], NULL);
	pthread_barrier_destroy(&go);
	close_files();
	if (!print) return;
	uint64_t first = UINT64_MAX, last = 0;
	for (int i = 0; i < ntimed; i++) {
		if (op_start[i] && op_start[i] < first) first = op_start[i];
		if (op_end[i] > last) last = op_end[i];
	}
	printf("{\"rep\":%d,\"wall_ns\":%llu,\"op_ns\":[", k, (unsigned long long)(last > first ? last - first : 0));
	for (int i = 0; i < ntimed; i++) printf(i ? ",%lld" : "%lld", op_err[i] ? -1ll : (long long)(op_end[i] - op_start[i]));
	printf("],\"op_errors\":[");
	for (int i = 0; i < ntimed; i++) {
		if (op_err[i]) printf(i ? ",\"%s\"" : "\"%s\"", errno_name(op_err[i]));
		else printf(i ? ",null" : "null");
	}
	printf("]}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	FILE *in = stdin;
	if (argc > 1 && !(in = fopen(argv[1], "r"))) die("cannot open the sequence file");
	int reps = 1, warmup = 0;
	parse(in, &reps, &warmup);
	if (!nfiles) die("no files declared");
	op_start = calloc(ntimed + 1, 8);
	op_end = calloc(ntimed + 1, 8);
	op_err = calloc(ntimed + 1, sizeof(int));
	op_why = calloc(ntimed + 1, sizeof(char *));
	for (int k = 0; k < warmup + reps; k++) {
		memset(op_start, 0, (ntimed + 1) * 8);
		memset(op_end, 0, (ntimed + 1) * 8);
		run_rep(k >= warmup, k - warmup);
	}
	return 0;
}
