// kvm-guest.h: a minimal KVM guest whose memory can come from guest_memfd, shared by
// calibrate-probe.c and seq-exec.c.
//
// Built the way tools/testing/selftests/kvm/lib/x86/processor.c builds one (vm_create,
// vcpu_init_sregs: 64-bit long mode set up from the host with KVM_SET_SREGS, identity-mapped
// page tables written into guest memory, no firmware), with two changes this machine kind
// needs (docs/kernel-model.md, "Measured on this machine kind"): its KVM is a PVM-style
// software hypervisor that runs only 64-bit CPL3 guest code natively (CPL0 is emulated
// instruction by instruction), so the guest runs at CPL3 with user (U/S=1) page tables; and
// on the default VM type a guest_memfd serves guest faults only when created with
// GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED (with flags 0 nothing is private and
// faults go to the memslot's userspace_addr).
//
// Guest physical layout: slot 0 (anonymous, 4 MiB at GPA 0) holds the page tables (an
// identity map of 0-64 GiB in 2 MiB pages), the code and the stack; bound file k sits in
// slot k+1 at GPA (k+1) * 4 GiB; GPA 2 GiB has no memslot, so a store there exits to
// userspace as KVM_EXIT_MMIO. The guest code stores one byte per 4 KiB page of
// [rdi, rsi) and then stores to the MMIO address (rcx): one KVM_RUN touches a range.
#ifndef KVM_GUEST_H
#define KVM_GUEST_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

// The system headers may predate guest_memfd (6.8) and its mmap flags (6.18).
#ifndef KVM_CREATE_GUEST_MEMFD
struct kvm_create_guest_memfd { uint64_t size, flags, reserved[6]; };
#define KVM_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif
#ifndef KVM_SET_USER_MEMORY_REGION2
struct kvm_userspace_memory_region2 {
	uint32_t slot, flags;
	uint64_t guest_phys_addr, memory_size, userspace_addr, guest_memfd_offset;
	uint32_t guest_memfd, pad1;
	uint64_t pad2[14];
};
#define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#endif
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD (1u << 2)
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif
#ifndef KVM_CAP_GUEST_MEMFD_FLAGS
#define KVM_CAP_GUEST_MEMFD_FLAGS 244
#endif
#ifndef GUEST_MEMFD_FLAG_MMAP
#define GUEST_MEMFD_FLAG_MMAP (1ull << 0)
#define GUEST_MEMFD_FLAG_INIT_SHARED (1ull << 1)
#endif

#define GUEST_SLOT0_BYTES (4ull << 20)
#define GUEST_PML4 0x1000ull
#define GUEST_PDPT 0x2000ull
#define GUEST_PD 0x10000ull /* 64 pages: 0-64 GiB */
#define GUEST_GDT 0x3000ull
#define GUEST_CODE 0x4000ull
#define GUEST_STACK 0x3ff000ull
#define GUEST_MMIO 0x80000000ull
#define GUEST_MAX_FILES 15 /* bound files: 4 GiB apart below 64 GiB */
#define GUEST_FILE_GPA(k) (((uint64_t)(k) + 1) << 32)

struct guest {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	uint8_t *slot0;
	int next_slot;
	int run_size;
	void *slot_uaddr[GUEST_MAX_FILES];
	uint64_t slot_len[GUEST_MAX_FILES];
};

/* Store one byte per 4 KiB page of [rdi, rsi) (rdx = 4096), then a store to [rcx] (MMIO exit). */
static const uint8_t guest_code[] = {
	0xc6, 0x07, 0x01, /* 0: movb $1, (%rdi) */
	0x48, 0x01, 0xd7, /* 3: add %rdx, %rdi */
	0x48, 0x39, 0xf7, /* 6: cmp %rsi, %rdi */
	0x72, 0xf5,       /* 9: jb 0 */
	0x88, 0x01,       /* b: mov %al, (%rcx) */
	0xeb, 0xfc,       /* d: jmp b */
};

/* Why the last guest call failed, for the caller's skip reason. */
static char guest_why[256];

static int guest_fail(const char *what)
{
	snprintf(guest_why, sizeof(guest_why), "%s: %s", what, strerror(errno));
	return -1;
}

static void guest_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->dpl = 3;
	s->s = 1;
	s->l = code;
	s->db = !code;
	s->g = 1;
}

/* vm_create without vCPUs: enough to create and bind guest_memfd files. */
static int guest_create_vm(struct guest *g)
{
	memset(g, 0, sizeof(*g));
	g->vcpu = g->vm = g->kvm = -1;
	g->next_slot = 1;
	g->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g->kvm < 0) return guest_fail("open /dev/kvm");
	g->vm = ioctl(g->kvm, KVM_CREATE_VM, 0);
	if (g->vm < 0) return guest_fail("KVM_CREATE_VM");
	return 0;
}

/* vm_create + vcpu_init_sregs, at CPL3: a VM with slot 0 ready and one vCPU in long mode. */
static int guest_create(struct guest *g)
{
	if (guest_create_vm(g)) return -1;
	g->slot0 = mmap(NULL, GUEST_SLOT0_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->slot0 == MAP_FAILED) {
		g->slot0 = NULL;
		return guest_fail("mmap slot 0");
	}
	uint64_t *pml4 = (uint64_t *)(g->slot0 + GUEST_PML4), *pdpt = (uint64_t *)(g->slot0 + GUEST_PDPT);
	uint64_t *pd = (uint64_t *)(g->slot0 + GUEST_PD);
	const uint64_t P = 1, RW = 2, US = 4, PS = 0x80;
	pml4[0] = GUEST_PDPT | P | RW | US;
	for (uint64_t i = 0; i < 64; i++) pdpt[i] = (GUEST_PD + i * 4096) | P | RW | US;
	for (uint64_t i = 0; i < 64 * 512; i++) pd[i] = (i << 21) | P | RW | US | PS;
	uint64_t *gdt = (uint64_t *)(g->slot0 + GUEST_GDT);
	gdt[4] = 0x00cff3000000ffffull; /* 0x23: data, DPL3 */
	gdt[5] = 0x00affb000000ffffull; /* 0x2b: 64-bit code, DPL3 */
	memcpy(g->slot0 + GUEST_CODE, guest_code, sizeof(guest_code));
	struct kvm_userspace_memory_region r0 = { .slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_SLOT0_BYTES, .userspace_addr = (uintptr_t)g->slot0 };
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &r0)) return guest_fail("KVM_SET_USER_MEMORY_REGION slot 0");
	g->vcpu = ioctl(g->vm, KVM_CREATE_VCPU, 0);
	if (g->vcpu < 0) return guest_fail("KVM_CREATE_VCPU");
	g->run_size = ioctl(g->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (g->run_size <= 0) return guest_fail("KVM_GET_VCPU_MMAP_SIZE");
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu, 0);
	if (g->run == MAP_FAILED) {
		g->run = NULL;
		return guest_fail("mmap kvm_run");
	}
	struct kvm_sregs s;
	if (ioctl(g->vcpu, KVM_GET_SREGS, &s)) return guest_fail("KVM_GET_SREGS");
	s.cr0 = 0x80050033; /* PG | AM | WP | NE | ET | MP | PE */
	s.cr3 = GUEST_PML4;
	s.cr4 = 0x620;      /* PAE | OSFXSR | OSXMMEXCPT */
	s.efer = 0x500;     /* LME | LMA */
	guest_segment(&s.cs, 0x2b, 11, 1);
	guest_segment(&s.ds, 0x23, 3, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.limit = 0x67;
	s.tr.type = 11;
	s.tr.present = 1;
	s.gdt.base = GUEST_GDT;
	s.gdt.limit = 0xfff;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &s)) return guest_fail("KVM_SET_SREGS");
	return 0;
}

/*
 * Bind [0, size) of guest_memfd `fd` to the next memslot (KVM_MEM_GUEST_MEMFD; userspace_addr
 * an anonymous mapping, which a gmem-only slot does not use for faults). Returns the GPA.
 */
static int64_t guest_bind(struct guest *g, int fd, uint64_t size)
{
	if (g->next_slot > GUEST_MAX_FILES || size > (4ull << 30)) {
		snprintf(guest_why, sizeof(guest_why), "guest_bind: at most %d files of at most 4 GiB", GUEST_MAX_FILES);
		return -1;
	}
	int slot = g->next_slot++;
	void *uaddr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (uaddr == MAP_FAILED) return guest_fail("mmap memslot userspace_addr");
	g->slot_uaddr[slot - 1] = uaddr;
	g->slot_len[slot - 1] = size;
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = GUEST_FILE_GPA(slot - 1),
		.memory_size = size, .userspace_addr = (uintptr_t)uaddr, .guest_memfd_offset = 0, .guest_memfd = fd,
	};
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION2, &r)) return guest_fail("KVM_SET_USER_MEMORY_REGION2");
	return (int64_t)r.guest_phys_addr;
}

/* The registers that make the next KVM_RUN touch [gpa, gpa+len) (len a multiple of 4 KiB, > 0). */
static int guest_prepare(struct guest *g, uint64_t gpa, uint64_t len)
{
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rip = GUEST_CODE;
	r.rsp = GUEST_STACK;
	r.rflags = 0x2;
	r.rdi = gpa;
	r.rsi = gpa + len;
	r.rdx = 4096;
	r.rcx = GUEST_MMIO;
	if (ioctl(g->vcpu, KVM_SET_REGS, &r)) return guest_fail("KVM_SET_REGS");
	return 0;
}

/* KVM_RUN until the guest's MMIO store; the touch is done when this returns 0. */
static int guest_run(struct guest *g)
{
	for (;;) {
		if (ioctl(g->vcpu, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN) continue;
			return guest_fail("KVM_RUN");
		}
		if (g->run->exit_reason == KVM_EXIT_MMIO && g->run->mmio.phys_addr == GUEST_MMIO) return 0;
		if (g->run->exit_reason == KVM_EXIT_INTR) continue;
		snprintf(guest_why, sizeof(guest_why), "KVM_RUN: unexpected exit %u", g->run->exit_reason);
		return -1;
	}
}

static inline int guest_touch(struct guest *g, uint64_t gpa, uint64_t len)
{
	return guest_prepare(g, gpa, len) ? -1 : guest_run(g);
}

static void guest_destroy(struct guest *g)
{
	for (int i = 0; i < GUEST_MAX_FILES; i++)
		if (g->slot_uaddr[i]) munmap(g->slot_uaddr[i], g->slot_len[i]);
	if (g->run) munmap(g->run, g->run_size);
	if (g->slot0) munmap(g->slot0, GUEST_SLOT0_BYTES);
	if (g->vcpu >= 0) close(g->vcpu);
	if (g->vm >= 0) close(g->vm);
	if (g->kvm >= 0) close(g->kvm);
	memset(g, 0, sizeof(*g));
	g->vcpu = g->vm = g->kvm = -1;
}
#endif
