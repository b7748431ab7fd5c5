/* SPDX-License-Identifier: MIT */
/*
 * test_vm.c - unit tests of address spaces (emu/vm.c).
 *
 * The group setup creates the "RAM": a memfd of 64 frames, also mapped once
 * here as `ram` so a test can see frame f at ram + f * 4096 (like the
 * kernel's direct map).  Spaces are built over it with vm_space_init() and
 * areas mapped with vm_map(); every alias is a real MAP_SHARED mapping, so
 * a write through one address is read back through every other.
 *
 *   space A:  [area: f3 f4 f5]............
 *   space B:  [area: f5 f4]...............
 *   ram:      f0 f1 f2 f3 f4 f5 ...        (same pages)
 *
 * Accessibility of unmapped pages and guard gaps is checked with a
 * sigsetjmp SIGSEGV probe (kt_probe).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "emu.h"
#include "kmemu_test.h"

#define N_FRAMES 64u
#define PAGE EMU_PAGE_SIZE

static int ram_fd = -1;
static uint8_t *ram;  /* all frames, mapped once */

static int group_setup(void **state)
{
	(void)state;
	ram_fd = memfd_create("test-vm-ram", MFD_CLOEXEC);
	if (ram_fd < 0 || ftruncate(ram_fd, (off_t)(N_FRAMES * PAGE)))
		return -1;
	ram = mmap(NULL, N_FRAMES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
	return ram == MAP_FAILED ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	munmap(ram, N_FRAMES * PAGE);
	close(ram_fd);
	return 0;
}

/* Clear the RAM before each test so stale data cannot fake an alias. */
static int test_setup(void **state)
{
	(void)state;
	memset(ram, 0, N_FRAMES * PAGE);
	return 0;
}

static void vm_assert_ok(const struct vm_space *vs, uint64_t n_frames, const char *file, int line)
{
	const char *msg = "";

	if (!vm_check(vs, n_frames, &msg)) {
		print_error("vm_check: %s\n", msg);
		_fail(file, line);
	}
}
#define VM_OK(vs) vm_assert_ok((vs), N_FRAMES, __FILE__, __LINE__)

static void space(struct vm_space *vs, uint64_t pages, uint64_t align, uint64_t guard)
{
	assert_status(vm_space_init(vs, pages * PAGE, align, guard, ram_fd), STATUS_SUCCESS);
	assert_non_null(vs->base);
	assert_u64_equal(vs->n_areas, 0);
}

static uint8_t *map(struct vm_space *vs, const uint32_t *pfns, uint64_t n, void *owner)
{
	void *addr = NULL;

	assert_status(vm_map(vs, pfns, n, owner, &addr), STATUS_SUCCESS);
	assert_non_null(addr);
	return addr;
}

/* Byte offset of @p from the base of @vs. */
static uint64_t off_of(const struct vm_space *vs, const void *p)
{
	return (uint64_t)((const uint8_t *)p - vs->base);
}

/* ---- aliasing ---------------------------------------------------------------- */

static void test_vm_map_alias(void **state)
{
	static const uint32_t pa[] = { 3, 4, 5 }, pb[] = { 5, 4 };
	struct vm_space a, b;
	uint8_t *ua, *ub, *ua2;
	KT_HEAP_BEGIN();

	(void)state;
	space(&a, 4096, EMU_ALLOC_GRANULARITY, 0);
	space(&b, 4096, EMU_ALLOC_GRANULARITY, 0);
	ua = map(&a, pa, 3, &a);
	ub = map(&b, pb, 2, &b);
	/* two spaces, same frames */
	memset(ua + 2 * PAGE, 0x55, PAGE);          /* frame 5 through A */
	assert_int_equal(ub[0], 0x55);              /* frame 5 through B */
	assert_int_equal(ub[PAGE - 1], 0x55);
	assert_int_equal(ram[5 * PAGE + 17], 0x55);
	ub[PAGE + 100] = 0x77;                      /* frame 4 through B */
	assert_int_equal(ua[PAGE + 100], 0x77);     /* frame 4 through A */
	assert_int_equal(ram[4 * PAGE + 100], 0x77);
	ram[3 * PAGE] = 0x33;                       /* frame 3 through the RAM */
	assert_int_equal(ua[0], 0x33);
	/* one space, two areas over the same frames */
	ua2 = map(&a, pa, 3, NULL);
	assert_ptr_not_equal(ua2, ua);
	ua2[2 * PAGE + 9] = 0x99;
	assert_int_equal(ua[2 * PAGE + 9], 0x99);
	assert_int_equal(ub[9], 0x99);
	VM_OK(&a);
	VM_OK(&b);
	assert_status(vm_unmap(&a, ua2), STATUS_SUCCESS);
	assert_status(vm_unmap(&a, ua), STATUS_SUCCESS);
	assert_status(vm_unmap(&b, ub), STATUS_SUCCESS);
	/* unmapping keeps the data in the frames */
	assert_int_equal(ram[5 * PAGE], 0x55);
	VM_OK(&a);
	vm_space_fini(&a);
	vm_space_fini(&b);
	KT_HEAP_CLEAN();
}

/* Frames in any order, with runs and gaps: page i of the area is frame pfns[i]. */
static void test_vm_scattered_frames(void **state)
{
	static const uint32_t pfns[] = { 9, 2, 3, 7, 8, 1 };
	struct vm_space vs;
	uint8_t *p;
	KT_HEAP_BEGIN();

	(void)state;
	for (unsigned i = 0; i < 6; i++)
		memset(ram + pfns[i] * PAGE, 0x10 + i, PAGE);
	space(&vs, 256, PAGE, 0);
	p = map(&vs, pfns, 6, &vs);
	for (unsigned i = 0; i < 6; i++) {
		if (p[i * PAGE] != 0x10 + i || p[i * PAGE + PAGE - 1] != 0x10 + i) {
			print_error("page %u of the area reads 0x%02x, expected frame %u's 0x%02x\n",
				    i, p[i * PAGE], pfns[i], 0x10 + i);
			fail();
		}
	}
	VM_OK(&vs);
	assert_status(vm_unmap(&vs, p), STATUS_SUCCESS);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

/* ---- placement: alignment, guard gaps, first fit ---------------------------------- */

static void test_vm_alignment(void **state)
{
	static const uint32_t pfns[17] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };
	static const uint64_t sizes[] = { 1, 3, 17, 16, 2 };
	struct vm_space vs;
	uint8_t *p[5];
	void *spoiler;
	KT_HEAP_BEGIN();

	(void)state;
	/* one odd page just mapped makes the host's next free address (top-down)
	 * page-aligned but not 64 KiB aligned, and a 1 MiB space is too small for
	 * the kernel's THP alignment of large mappings: the space must align
	 * itself */
	spoiler = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(spoiler != MAP_FAILED);
	space(&vs, 256, EMU_ALLOC_GRANULARITY, 0);
	munmap(spoiler, PAGE);
	for (unsigned i = 0; i < 5; i++) {
		p[i] = map(&vs, pfns, sizes[i], NULL);
		if (off_of(&vs, p[i]) % EMU_ALLOC_GRANULARITY ||
		    (uintptr_t)p[i] % EMU_ALLOC_GRANULARITY) {
			print_error("area %u at %p (offset 0x%llx) is not 64 KiB aligned\n", i,
				    (void *)p[i], (unsigned long long)off_of(&vs, p[i]));
			fail();
		}
		VM_OK(&vs);
	}
	/* 17 pages need two 64 KiB granules: the next area starts after both */
	assert_u64_equal(off_of(&vs, p[3]) - off_of(&vs, p[2]), 2 * EMU_ALLOC_GRANULARITY);
	for (unsigned i = 1; i < vs.n_areas; i++)
		assert_true(vs.areas[i - 1].start < vs.areas[i].start);
	for (unsigned i = 0; i < 5; i++)
		assert_status(vm_unmap(&vs, p[i]), STATUS_SUCCESS);
	VM_OK(&vs);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

static void test_vm_guard_gap(void **state)
{
	static const uint32_t pfns[] = { 1, 2 };
	struct vm_space vs;
	uint8_t *a, *b;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 64, PAGE, PAGE);
	a = map(&vs, pfns, 2, NULL);
	b = map(&vs, pfns, 1, NULL);
	/*  [a a][guard][b][guard] */
	assert_u64_equal(off_of(&vs, a), 0);
	assert_u64_equal(off_of(&vs, b), 3 * PAGE);
	assert_true(kt_probe(a, 1));
	assert_true(kt_probe(a + 2 * PAGE - 1, 1));
	assert_false(kt_probe(a + 2 * PAGE, 0));
	assert_false(kt_probe(b - 1, 0));
	assert_true(kt_probe(b, 1));
	assert_false(kt_probe(b + PAGE, 0));
	assert_null(vm_lookup(&vs, a + 2 * PAGE));
	VM_OK(&vs);
	assert_status(vm_unmap(&vs, a), STATUS_SUCCESS);
	assert_status(vm_unmap(&vs, b), STATUS_SUCCESS);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

static void test_vm_first_fit_reuse(void **state)
{
	static const uint32_t pfns[] = { 1, 2 };
	struct vm_space vs;
	uint8_t *a, *b, *c, *d, *e;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 64, PAGE, 0);
	a = map(&vs, pfns, 1, NULL);
	b = map(&vs, pfns, 1, NULL);
	c = map(&vs, pfns, 1, NULL);
	assert_ptr_equal(b, a + PAGE);
	assert_ptr_equal(c, b + PAGE);
	assert_status(vm_unmap(&vs, b), STATUS_SUCCESS);
	assert_false(kt_probe(b, 0));
	d = map(&vs, pfns, 1, NULL);    /* fits in b's hole */
	assert_ptr_equal(d, b);
	assert_status(vm_unmap(&vs, d), STATUS_SUCCESS);
	e = map(&vs, pfns, 2, NULL);    /* does not fit in the hole: after c */
	assert_ptr_equal(e, c + PAGE);
	VM_OK(&vs);
	assert_status(vm_unmap(&vs, a), STATUS_SUCCESS);
	assert_status(vm_unmap(&vs, c), STATUS_SUCCESS);
	assert_status(vm_unmap(&vs, e), STATUS_SUCCESS);
	assert_u64_equal(vs.n_areas, 0);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

static void test_vm_exhaustion(void **state)
{
	uint32_t pfns[17];
	struct vm_space vs;
	uint8_t *p;
	void *addr = NULL;
	KT_HEAP_BEGIN();

	(void)state;
	for (unsigned i = 0; i < 17; i++)
		pfns[i] = i + 1;
	space(&vs, 16, PAGE, 0);
	assert_status(vm_map(&vs, pfns, 0, NULL, &addr), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(vm_map(&vs, pfns, 17, NULL, &addr), STATUS_INSUFFICIENT_RESOURCES);
	assert_null(addr);
	p = map(&vs, pfns, 16, NULL);
	assert_status(vm_map(&vs, pfns, 1, NULL, &addr), STATUS_INSUFFICIENT_RESOURCES);
	assert_null(addr);
	assert_u64_equal(vs.n_areas, 1);
	VM_OK(&vs);
	assert_status(vm_unmap(&vs, p), STATUS_SUCCESS);
	vm_space_fini(&vs);

	/* with a guard, the guard must fit too */
	space(&vs, 16, PAGE, PAGE);
	assert_status(vm_map(&vs, pfns, 16, NULL, &addr), STATUS_INSUFFICIENT_RESOURCES);
	p = map(&vs, pfns, 15, NULL);
	assert_status(vm_map(&vs, pfns, 1, NULL, &addr), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(vm_unmap(&vs, p), STATUS_SUCCESS);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

/* ---- lookup and unmap ---------------------------------------------------------------- */

static void test_vm_lookup(void **state)
{
	static const uint32_t pfns[] = { 4, 5, 6 };
	struct vm_space vs;
	const struct vm_area *a;
	uint8_t *p;
	int owner;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 1024, EMU_ALLOC_GRANULARITY, 0);
	map(&vs, pfns, 1, NULL);        /* something before it */
	p = map(&vs, pfns, 3, &owner);
	const uint8_t *probes[] = { p, p + 1, p + PAGE + 7, p + 3 * PAGE - 1 };
	for (unsigned i = 0; i < 4; i++) {
		a = vm_lookup(&vs, probes[i]);
		assert_non_null(a);
		assert_ptr_equal(a->owner, &owner);
		assert_ptr_equal(a->pfns, pfns);
		assert_u64_equal(a->npages, 3);
		assert_u64_equal(a->start, off_of(&vs, p));
	}
	assert_null(vm_lookup(&vs, p + 3 * PAGE));
	assert_null(vm_lookup(&vs, p - 1));
	assert_true(vm_contains(&vs, vs.base));
	assert_true(vm_contains(&vs, vs.base + vs.size - 1));
	assert_null(vm_lookup(&vs, vs.base + vs.size - 1));
	assert_false(vm_contains(&vs, vs.base + vs.size));
	assert_false(vm_contains(&vs, vs.base - 1));
	assert_null(vm_lookup(&vs, vs.base + vs.size));
	assert_null(vm_lookup(&vs, NULL));
	assert_status(vm_unmap(&vs, p), STATUS_SUCCESS);
	assert_null(vm_lookup(&vs, p));
	assert_status(vm_unmap(&vs, vs.base), STATUS_SUCCESS);
	vm_space_fini(&vs);
	assert_false(vm_contains(&vs, ram));  /* a finished space contains nothing */
	KT_HEAP_CLEAN();
}

static void test_vm_unmap(void **state)
{
	static const uint32_t pfns[] = { 7, 8 };
	struct vm_space vs;
	uint8_t *p;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 256, EMU_ALLOC_GRANULARITY, 0);
	p = map(&vs, pfns, 2, NULL);
	p[PAGE] = 0x42;
	/* only the start of an area unmaps it */
	assert_status(vm_unmap(&vs, p + PAGE), STATUS_NOT_MAPPED_VIEW);
	assert_status(vm_unmap(&vs, p + 1), STATUS_NOT_MAPPED_VIEW);
	assert_status(vm_unmap(&vs, p + 2 * PAGE), STATUS_NOT_MAPPED_VIEW);
	assert_status(vm_unmap(&vs, NULL), STATUS_NOT_MAPPED_VIEW);
	assert_status(vm_unmap(&vs, ram), STATUS_NOT_MAPPED_VIEW);
	assert_int_equal(p[PAGE], 0x42);  /* still mapped */
	assert_u64_equal(vs.n_areas, 1);
	assert_status(vm_unmap(&vs, p), STATUS_SUCCESS);
	/* the area faults now, read or write */
	assert_false(kt_probe(p, 0));
	assert_false(kt_probe(p + PAGE, 1));
	assert_status(vm_unmap(&vs, p), STATUS_NOT_MAPPED_VIEW);
	assert_int_equal(ram[8 * PAGE], 0x42);  /* the frame keeps its data */
	VM_OK(&vs);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

/* More areas than the initial array holds; unmapped in a mixed order. */
static void test_vm_many_areas(void **state)
{
	enum { N = 40 };
	uint32_t pfns[N];
	uint8_t *p[N];
	struct vm_space vs;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 1024, PAGE, PAGE);
	for (unsigned i = 0; i < N; i++) {
		pfns[i] = 1 + i;
		p[i] = map(&vs, &pfns[i], 1, &p[i]);
		p[i][0] = (uint8_t)i;
	}
	VM_OK(&vs);
	assert_u64_equal(vs.n_areas, N);
	for (unsigned i = 0; i < N; i++) {
		const struct vm_area *a = vm_lookup(&vs, p[i] + 5);

		assert_non_null(a);
		assert_ptr_equal(a->owner, &p[i]);
		assert_int_equal(ram[(1 + i) * PAGE], i);
	}
	for (unsigned k = 0; k < N; k++) {
		unsigned i = (k * 7) % N;  /* 7 is prime to 40: every index once */

		assert_status(vm_unmap(&vs, p[i]), STATUS_SUCCESS);
		assert_null(vm_lookup(&vs, p[i]));
		VM_OK(&vs);
	}
	assert_u64_equal(vs.n_areas, 0);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

/* ---- failures ------------------------------------------------------------------------ */

static void test_vm_faults(void **state)
{
	static const uint32_t pfns[] = { 1, 3, 5 };  /* three runs: three mmaps */
	struct kmemu_fault_config heap = { .mode = KMEMU_FAULT_NTH, .n = 0,
					   .resources = KMEMU_FAULT_HEAP };
	struct kmemu_fault_config second_mmap = { .mode = KMEMU_FAULT_NTH, .n = 1,
						  .resources = KMEMU_FAULT_SYSCALLS };
	struct kmemu_fault_config any_mmap = { .mode = KMEMU_FAULT_NTH, .n = 0,
					       .resources = KMEMU_FAULT_SYSCALLS };
	struct vm_space vs;
	void *addr = NULL;
	uint8_t *p;
	KT_HEAP_BEGIN();

	(void)state;
	/* the reservation itself */
	assert_status(kmemu_fault_set(&any_mmap), STATUS_SUCCESS);
	assert_status(vm_space_init(&vs, 256 * PAGE, PAGE, 0, ram_fd),
		      STATUS_INSUFFICIENT_RESOURCES);
	kmemu_fault_set(NULL);
	assert_null(vs.base);
	vm_space_fini(&vs);

	space(&vs, 256, PAGE, 0);
	/* the area array cannot be allocated */
	assert_status(kmemu_fault_set(&heap), STATUS_SUCCESS);
	assert_status(vm_map(&vs, pfns, 3, NULL, &addr), STATUS_INSUFFICIENT_RESOURCES);
	kmemu_fault_set(NULL);
	assert_null(addr);
	assert_u64_equal(vs.n_areas, 0);
	assert_false(kt_probe(vs.base, 0));

	/* the second of three mmaps fails: the first run is unmapped again */
	assert_status(kmemu_fault_set(&second_mmap), STATUS_SUCCESS);
	assert_status(vm_map(&vs, pfns, 3, NULL, &addr), STATUS_INSUFFICIENT_RESOURCES);
	kmemu_fault_set(NULL);
	assert_null(addr);
	assert_u64_equal(vs.n_areas, 0);
	assert_false(kt_probe(vs.base, 0));
	assert_false(kt_probe(vs.base + PAGE, 0));
	VM_OK(&vs);

	/* and the same request works without faults */
	p = map(&vs, pfns, 3, NULL);
	assert_ptr_equal(p, vs.base);
	assert_true(kt_probe(p + 2 * PAGE, 1));
	assert_status(vm_unmap(&vs, p), STATUS_SUCCESS);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

/* ---- the checker catches corruption ----------------------------------------------------- */

static void vm_expect_broken(const struct vm_space *vs, uint64_t n_frames, const char *want,
			     const char *what)
{
	const char *msg = NULL;

	if (vm_check(vs, n_frames, &msg)) {
		print_error("vm_check passed after: %s\n", what);
		fail();
	}
	assert_non_null(msg);
	if (!strstr(msg, want)) {
		print_error("after %s: message \"%s\" lacks \"%s\"\n", what, msg, want);
		fail();
	}
}

static void test_vm_check_detects_corruption(void **state)
{
	static const uint32_t pfns[] = { 10, 11, 12 };
	struct vm_space vs;
	struct vm_area saved[2];
	uint8_t *a, *b;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 1024, EMU_ALLOC_GRANULARITY, PAGE);
	a = map(&vs, pfns, 3, NULL);
	b = map(&vs, pfns, 2, NULL);
	VM_OK(&vs);
	memcpy(saved, vs.areas, sizeof(saved));

	vs.areas[1].start += PAGE;
	vm_expect_broken(&vs, N_FRAMES, "not aligned", "area start moved by a page");
	memcpy(vs.areas, saved, sizeof(saved));

	vs.areas[1].start = vs.areas[0].start;
	vm_expect_broken(&vs, N_FRAMES, "overlap", "two areas at one start");
	memcpy(vs.areas, saved, sizeof(saved));

	vs.areas[0].npages = 0;
	vm_expect_broken(&vs, N_FRAMES, "empty or outside", "npages = 0");
	memcpy(vs.areas, saved, sizeof(saved));

	vs.areas[1].npages = vs.size / PAGE;
	vm_expect_broken(&vs, N_FRAMES, "empty or outside", "area past the end");
	memcpy(vs.areas, saved, sizeof(saved));

	vm_expect_broken(&vs, 12, "frame outside RAM", "RAM of 12 frames");
	VM_OK(&vs);

	assert_status(vm_unmap(&vs, a), STATUS_SUCCESS);
	assert_status(vm_unmap(&vs, b), STATUS_SUCCESS);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

/* ---- placement for section views (vm_find_free / vm_range_free / vm_insert) ---- */

/* Top-down placement takes the highest free 64 KiB slot; bottom-up the lowest. */
static void test_vm_place_top_down(void **state)
{
	static const uint32_t pfns[4] = { 1, 2, 3, 4 };
	struct vm_space vs;
	uint64_t lo, hi;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 256, EMU_ALLOC_GRANULARITY, 0);  /* 1 MiB: 16 slots */
	assert_true(vm_find_free(&vs, 4 * PAGE, 0, UINTPTR_MAX, &lo));
	assert_true(vm_find_free(&vs, 4 * PAGE, 1, UINTPTR_MAX, &hi));
	assert_u64_equal(lo, 0);
	assert_u64_equal(hi, 15 * EMU_ALLOC_GRANULARITY);
	assert_status(vm_insert(&vs, hi, 4, pfns, NULL), STATUS_SUCCESS);
	assert_true(vm_find_free(&vs, 4 * PAGE, 1, UINTPTR_MAX, &hi));
	assert_u64_equal(hi, 14 * EMU_ALLOC_GRANULARITY);
	/* a 17-page request needs two slots, under the area */
	assert_true(vm_find_free(&vs, 17 * PAGE, 1, UINTPTR_MAX, &hi));
	assert_u64_equal(hi, 13 * EMU_ALLOC_GRANULARITY);
	VM_OK(&vs);
	assert_status(vm_unmap(&vs, vs.base + 15 * EMU_ALLOC_GRANULARITY), STATUS_SUCCESS);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

/* A fixed range is free only inside the space and clear of every area. */
static void test_vm_place_fixed(void **state)
{
	static const uint32_t pfns[4] = { 5, 6, 7, 8 };
	struct vm_space vs;
	uint8_t *p;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 256, EMU_ALLOC_GRANULARITY, 0);
	assert_true(vm_range_free(&vs, 3 * EMU_ALLOC_GRANULARITY, 4 * PAGE));
	assert_status(vm_insert(&vs, 3 * EMU_ALLOC_GRANULARITY, 4, pfns, NULL), STATUS_SUCCESS);
	assert_false(vm_range_free(&vs, 3 * EMU_ALLOC_GRANULARITY, PAGE));
	assert_false(vm_range_free(&vs, 2 * EMU_ALLOC_GRANULARITY, EMU_ALLOC_GRANULARITY + PAGE));
	assert_true(vm_range_free(&vs, 2 * EMU_ALLOC_GRANULARITY, EMU_ALLOC_GRANULARITY));
	assert_true(vm_range_free(&vs, 3 * EMU_ALLOC_GRANULARITY + 4 * PAGE, PAGE));
	assert_false(vm_range_free(&vs, 15 * EMU_ALLOC_GRANULARITY, 2 * EMU_ALLOC_GRANULARITY));
	/* lookups see the recorded area; the first fit skips it */
	p = vs.base + 3 * EMU_ALLOC_GRANULARITY;
	assert_non_null(vm_lookup(&vs, p + 3 * PAGE));
	assert_status(vm_forget(&vs, p), STATUS_SUCCESS);
	assert_null(vm_lookup(&vs, p));
	assert_status(vm_forget(&vs, p), STATUS_NOT_MAPPED_VIEW);
	VM_OK(&vs);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

/* A limit (ZeroBits) bounds the last byte of the slot, in both directions. */
static void test_vm_place_below_limit(void **state)
{
	static const uint32_t pfns[16] = { 1 };
	struct vm_space vs;
	uint64_t off;
	uintptr_t last;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 256, EMU_ALLOC_GRANULARITY, 0);
	last = (uintptr_t)vs.base + 4 * EMU_ALLOC_GRANULARITY - 1;  /* 4 slots allowed */
	assert_true(vm_find_free(&vs, EMU_ALLOC_GRANULARITY, 1, last, &off));
	assert_u64_equal(off, 3 * EMU_ALLOC_GRANULARITY);
	assert_true(vm_find_free(&vs, 4 * EMU_ALLOC_GRANULARITY, 0, last, &off));
	assert_u64_equal(off, 0);
	assert_false(vm_find_free(&vs, 5 * EMU_ALLOC_GRANULARITY, 0, last, &off));
	assert_status(vm_insert(&vs, 0, 16, pfns, NULL), STATUS_SUCCESS);
	assert_true(vm_find_free(&vs, EMU_ALLOC_GRANULARITY, 0, last, &off));
	assert_u64_equal(off, EMU_ALLOC_GRANULARITY);
	assert_false(vm_find_free(&vs, PAGE, 0, (uintptr_t)vs.base - 1, &off));
	assert_false(vm_find_free(&vs, 4 * EMU_ALLOC_GRANULARITY, 1, last, &off));
	assert_status(vm_forget(&vs, vs.base), STATUS_SUCCESS);
	vm_space_fini(&vs);
	KT_HEAP_CLEAN();
}

/* vm_space_fini_keep() leaves recorded areas mapped and drops the rest. */
static void test_vm_fini_keep(void **state)
{
	static const uint32_t pfns[1] = { 9 };
	struct vm_space vs;
	uint8_t *kept, *gone;
	KT_HEAP_BEGIN();

	(void)state;
	space(&vs, 64, EMU_ALLOC_GRANULARITY, 0);
	kept = map(&vs, pfns, 1, NULL);
	gone = vs.base + 2 * EMU_ALLOC_GRANULARITY;
	ram[9 * PAGE] = 0x4D;
	vm_space_fini_keep(&vs);
	assert_int_equal(kept[0], 0x4D);  /* still mapped */
	assert_false(kt_probe(gone, 0));   /* unmapped (or reused, never ours) */
	munmap(kept, PAGE);
	KT_HEAP_CLEAN();
}

#define VM_TEST(f) cmocka_unit_test_setup(f, test_setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		VM_TEST(test_vm_map_alias),
		VM_TEST(test_vm_scattered_frames),
		VM_TEST(test_vm_alignment),
		VM_TEST(test_vm_guard_gap),
		VM_TEST(test_vm_first_fit_reuse),
		VM_TEST(test_vm_exhaustion),
		VM_TEST(test_vm_lookup),
		VM_TEST(test_vm_unmap),
		VM_TEST(test_vm_many_areas),
		VM_TEST(test_vm_faults),
		VM_TEST(test_vm_check_detects_corruption),
		VM_TEST(test_vm_place_top_down),
		VM_TEST(test_vm_place_fixed),
		VM_TEST(test_vm_place_below_limit),
		VM_TEST(test_vm_fini_keep),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
