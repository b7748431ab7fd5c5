/* SPDX-License-Identifier: MIT */
/*
 * test_wds.c - the WDS shared-buffer API end to end on the emulator
 * (api/wds.c over emu/wds.c): WDS_SharedBufferAlloc / Get / Free.
 *
 * The group setup opens a 64 MiB emulator with the default placement; tests
 * that need another machine (scatter placement, fragmented RAM) open it in
 * their own setup and reopen the default one in their teardown.  Every test
 * ends with KMEMU_TEST_CLEAN(): kmemu_check() passes and no frame, handle,
 * heap block, process or mapping is left.
 *
 *   process A: pUserAddr ─┐
 *   process B: pUserAddr ─┼─► frames f0 f1 f2 ... ◄─ pKernelAddr (kernel)
 *   A's 2nd Get:          ┘
 *
 * All emulated processes live in this host process, so every pUserAddr and
 * pKernelAddr is a host pointer the test can dereference directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <kmemu/kmemu.h>
#include <wds_lib.h>
#include "kmemu_test.h"

#define PAGE KT_PAGE
#define RAM (64 * KT_MIB)
#define BAD_PTR ((WD_KERNEL_BUFFER *)(uintptr_t)0x5A5A5A50)

static kmemu_pid initial_pid;

/* ---- machines --------------------------------------------------------------------- */

struct machine {
	enum kmemu_placement placement;
	unsigned fragment_order;
};

static const struct machine m_default = { KMEMU_PLACE_DEFAULT, 0 };
static const struct machine m_scatter = { KMEMU_PLACE_SCATTER, 0 };
static const struct machine m_random = { KMEMU_PLACE_RANDOM, 0 };
static const struct machine m_fragmented = { KMEMU_PLACE_DEFAULT, 4 };

static int open_machine(const struct machine *m)
{
	if (kt_use_emu(RAM, m->placement, m->fragment_order))
		return -1;
	return kmemu_process_current(&initial_pid) == STATUS_SUCCESS ? 0 : -1;
}

static int group_setup(void **state)
{
	(void)state;
	return open_machine(&m_default);
}

static int group_teardown(void **state)
{
	(void)state;
	kmemu_fault_set(NULL);
	return kt_close_backend();
}

/* Per-test machine from the prestate; the default one is reopened after. */
static int machine_setup(void **state)
{
	return open_machine(*state);
}

/* A machine whose processes have 4 x 64 KiB of user address space. */
static int tiny_user_space_setup(void **state)
{
	struct kmemu_config cfg;

	(void)state;
	kt_config(&cfg, RAM, KMEMU_PLACE_DEFAULT, 0);
	cfg.user_space_bytes = 4 * 0x10000;
	if (kmemu_backend_use("emu", &cfg))
		return -1;
	return kmemu_process_current(&initial_pid) == STATUS_SUCCESS ? 0 : -1;
}

static int machine_teardown(void **state)
{
	(void)state;
	kmemu_fault_set(NULL);
	kmemu_process_attach(initial_pid, NULL);
	return open_machine(&m_default);
}

static int test_teardown(void **state)
{
	(void)state;
	kmemu_fault_set(NULL);
	kmemu_process_attach(initial_pid, NULL);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static uint64_t npages_of(uint64_t bytes)
{
	return (bytes + PAGE - 1) / PAGE;
}

static WD_KERNEL_BUFFER *walloc(uint64_t bytes, DWORD options)
{
	WD_KERNEL_BUFFER *kb = BAD_PTR;

	assert_wd(WDS_SharedBufferAlloc(bytes, options, &kb), WD_STATUS_SUCCESS);
	assert_ptr_not_equal(kb, BAD_PTR);
	assert_non_null(kb);
	assert_int_not_equal(kb->hKerBuf, 0);
	assert_int_equal(kb->dwOptions, options);
	assert_u64_equal(kb->qwBytes, bytes);
	assert_int_not_equal(kb->pUserAddr, 0);
	assert_int_not_equal(kb->pKernelAddr, 0);
	return kb;
}

static WD_KERNEL_BUFFER *wget(DWORD handle)
{
	WD_KERNEL_BUFFER *kb = BAD_PTR;

	assert_wd(WDS_SharedBufferGet(handle, &kb), WD_STATUS_SUCCESS);
	assert_ptr_not_equal(kb, BAD_PTR);
	assert_non_null(kb);
	return kb;
}

static void wfree(WD_KERNEL_BUFFER *kb)
{
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

static void attach(kmemu_pid pid)
{
	assert_status(kmemu_process_attach(pid, NULL), STATUS_SUCCESS);
}

static kmemu_pid pcreate(void)
{
	kmemu_pid pid = 0;

	assert_status(kmemu_process_create("test", &pid), STATUS_SUCCESS);
	return pid;
}

static struct kmemu_stats stats(void)
{
	struct kmemu_stats s;

	kt_snapshot(&s);
	return s;
}

/* Physical frame of each page at @base in process @pid (0 = kernel). */
static void frames_of(kmemu_pid pid, uint64_t base, uint64_t npages, uint64_t *frames)
{
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t phys = 0;
		kmemu_status rc = kmemu_virt_to_phys(pid, (const void *)(uintptr_t)(base + i * PAGE),
						     &phys);

		if (rc != STATUS_SUCCESS) {
			print_error("virt_to_phys(pid %u, page %llu): %s\n", pid,
				    (unsigned long long)i, kmemu_status_name(rc));
			fail();
		}
		assert_u64_equal(phys % PAGE, 0);
		assert_int_not_equal(phys, 0);  /* frame 0 is never handed out */
		frames[i] = phys / PAGE;
	}
}

/* The buffer's frames, seen from the kernel and from the current process
 * (which must agree page by page). */
static uint64_t *buffer_frames(const WD_KERNEL_BUFFER *kb)
{
	uint64_t n = npages_of(kb->qwBytes);
	uint64_t *k = malloc(n * sizeof(*k)), *u = malloc(n * sizeof(*u));
	kmemu_pid self = 0;

	assert_non_null(k);
	assert_non_null(u);
	assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
	frames_of(0, kb->pKernelAddr, n, k);
	frames_of(self, kb->pUserAddr, n, u);
	for (uint64_t i = 0; i < n; i++) {
		if (k[i] != u[i]) {
			print_error("page %llu: kernel frame %llu, user frame %llu\n",
				    (unsigned long long)i, (unsigned long long)k[i],
				    (unsigned long long)u[i]);
			fail();
		}
	}
	free(u);
	return k;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* No two frames of a buffer adjacent (nor equal), in any order. */
static void assert_scattered(const uint64_t *frames, uint64_t n)
{
	uint64_t *s = malloc(n * sizeof(*s) + 1);

	assert_non_null(s);
	memcpy(s, frames, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u64);
	for (uint64_t i = 1; i < n; i++) {
		if (s[i] - s[i - 1] <= 1) {
			print_error("buffer of %llu pages holds frames %llu and %llu\n",
				    (unsigned long long)n, (unsigned long long)s[i - 1],
				    (unsigned long long)s[i]);
			free(s);
			fail();
		}
	}
	free(s);
}

static void assert_zero(const void *p, uint64_t len, const char *what)
{
	const uint8_t *b = p;

	for (uint64_t i = 0; i < len; i++) {
		if (b[i]) {
			print_error("%s: byte %llu is 0x%02x, not 0\n", what, (unsigned long long)i,
				    b[i]);
			fail();
		}
	}
}

static void fill(uint8_t *p, uint64_t len, uint8_t seed)
{
	for (uint64_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 12));
}

static void assert_filled(const uint8_t *p, uint64_t len, uint8_t seed, const char *what)
{
	for (uint64_t i = 0; i < len; i++) {
		uint8_t want = (uint8_t)(seed + i * 7 + (i >> 12));

		if (p[i] != want) {
			print_error("%s: byte %llu is 0x%02x, expected 0x%02x\n", what,
				    (unsigned long long)i, p[i], want);
			fail();
		}
	}
}

static const DWORD all_options[] = {
	KER_BUF_ALLOC_CONTIG,
	KER_BUF_ALLOC_NON_CONTIG,
	KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_CACHED,
	KER_BUF_ALLOC_NON_CONTIG | KER_BUF_ALLOC_CACHED,
};

/* ---- WDS_SharedBufferAlloc: parameters ----------------------------------------------- */

static void test_wds_alloc_invalid_params(void **state)
{
	static const DWORD bad_options[] = {
		0,
		KER_BUF_ALLOC_CACHED,
		KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_NON_CONTIG,
		KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_NON_CONTIG | KER_BUF_ALLOC_CACHED,
		KER_BUF_GET_EXISTING_BUF,
		KER_BUF_ALLOC_CONTIG | KER_BUF_GET_EXISTING_BUF,
		KER_BUF_ALLOC_NON_CONTIG | KER_BUF_GET_EXISTING_BUF,
		KER_BUF_ALLOC_NON_CONTIG | 0x10,
		KER_BUF_ALLOC_CONTIG | 0x80000000u,
		0xFFFFFFFFu,
	};
	WD_KERNEL_BUFFER *kb = BAD_PTR;
	KT_BEGIN();

	(void)state;
	assert_wd(WDS_SharedBufferAlloc(PAGE, KER_BUF_ALLOC_CONTIG, NULL), WD_INVALID_PARAMETER);
	assert_wd(WDS_SharedBufferAlloc(0, KER_BUF_ALLOC_CONTIG, NULL), WD_INVALID_PARAMETER);
	for (unsigned i = 0; i < KT_ARRAY_SIZE(all_options); i++)
		assert_wd(WDS_SharedBufferAlloc(0, all_options[i], &kb), WD_INVALID_PARAMETER);
	for (unsigned i = 0; i < KT_ARRAY_SIZE(bad_options); i++) {
		DWORD rc = WDS_SharedBufferAlloc(PAGE, bad_options[i], &kb);

		if (rc != WD_INVALID_PARAMETER) {
			print_error("options 0x%08x: %s, expected WD_INVALID_PARAMETER\n",
				    bad_options[i], kmemu_wd_status_name(rc));
			fail();
		}
		assert_wd(WDS_SharedBufferAlloc(0, bad_options[i], &kb), WD_INVALID_PARAMETER);
	}
	assert_ptr_equal(kb, BAD_PTR);  /* untouched by every failure */
	KMEMU_TEST_CLEAN();
}

/* Every valid option combination and size: fields, zeroed memory, accounting. */
static void test_wds_alloc_fields(void **state)
{
	static const uint64_t sizes[] = { 1, PAGE - 1, PAGE, PAGE + 1, 5 * PAGE + 3, 64 * PAGE };
	KT_BEGIN();

	(void)state;
	for (unsigned o = 0; o < KT_ARRAY_SIZE(all_options); o++) {
		for (unsigned s = 0; s < KT_ARRAY_SIZE(sizes); s++) {
			struct kmemu_stats before = stats(), during;
			WD_KERNEL_BUFFER *kb = walloc(sizes[s], all_options[o]);
			uint64_t n = npages_of(sizes[s]);

			assert_u64_equal(kb->pUserAddr % 0x10000, 0);  /* 64 KiB granularity */
			assert_u64_equal(kb->pKernelAddr % PAGE, 0);
			assert_zero((void *)kb->pUserAddr, n * PAGE, "new buffer (user)");
			assert_zero((void *)(uintptr_t)kb->pKernelAddr, n * PAGE,
				    "new buffer (kernel)");
			during = stats();
			assert_u64_equal(during.wds_buffers, before.wds_buffers + 1);
			assert_u64_equal(during.frames_used, before.frames_used + n);
			assert_u64_equal(during.handles_used, before.handles_used + 1);
			assert_true(during.mappings == before.mappings + 1 ||
				    during.mappings == before.mappings + 2);  /* + vmalloc */
			wfree(kb);
		}
	}
	KMEMU_TEST_CLEAN();
}

/* ---- placement of the frames ----------------------------------------------------------- */

static void test_wds_contig_adjacent(void **state)
{
	static const uint64_t sizes[] = { 1, 2 * PAGE, 16 * PAGE, 37 * PAGE + 1, 300 * PAGE };
	KT_BEGIN();

	(void)state;
	for (unsigned c = 0; c < 2; c++) {
		for (unsigned s = 0; s < KT_ARRAY_SIZE(sizes); s++) {
			DWORD opt = KER_BUF_ALLOC_CONTIG | (c ? KER_BUF_ALLOC_CACHED : 0);
			WD_KERNEL_BUFFER *kb = walloc(sizes[s], opt);
			uint64_t n = npages_of(sizes[s]), *f = buffer_frames(kb), phys = 0;

			for (uint64_t i = 1; i < n; i++) {
				if (f[i] != f[0] + i) {
					print_error("CONTIG buffer of %llu pages: page %llu in frame "
						    "%llu, page 0 in frame %llu\n",
						    (unsigned long long)n, (unsigned long long)i,
						    (unsigned long long)f[i], (unsigned long long)f[0]);
					fail();
				}
			}
			/* an offset inside a page is kept */
			assert_status(kmemu_virt_to_phys(0, (void *)(uintptr_t)(kb->pKernelAddr + (n - 1) * PAGE + 123), &phys),
				      STATUS_SUCCESS);
			assert_u64_equal(phys, (f[0] + n - 1) * PAGE + 123);
			free(f);
			wfree(kb);
		}
	}
	KMEMU_TEST_CLEAN();
}

/* Under the scatter placement (machine from the prestate) no two frames of a
 * NON_CONTIG buffer are adjacent, also after churn left holes everywhere. */
static void test_wds_noncontig_scatter(void **state)
{
	WD_KERNEL_BUFFER *keep[12], *big;
	uint64_t *f;
	uint8_t *copy;
	KT_BEGIN();

	(void)state;
	for (unsigned c = 0; c < 2; c++) {
		DWORD opt = KER_BUF_ALLOC_NON_CONTIG | (c ? KER_BUF_ALLOC_CACHED : 0);
		WD_KERNEL_BUFFER *kb = walloc(64 * PAGE, opt);

		f = buffer_frames(kb);
		assert_scattered(f, 64);
		free(f);
		/* the kernel address is one contiguous virtual range */
		copy = malloc(64 * PAGE);
		assert_non_null(copy);
		fill((uint8_t *)kb->pUserAddr, 64 * PAGE, 3);
		assert_status(kmemu_kernel_read(kb->pKernelAddr, copy, 64 * PAGE), STATUS_SUCCESS);
		assert_filled(copy, 64 * PAGE, 3, "kernel view of a scattered buffer");
		free(copy);
		wfree(kb);
	}
	/* churn: mixed buffers, every other one freed */
	for (unsigned i = 0; i < 12; i++)
		keep[i] = walloc((1 + i % 5) * PAGE + i,
				 i % 3 ? KER_BUF_ALLOC_NON_CONTIG : KER_BUF_ALLOC_CONTIG);
	for (unsigned i = 0; i < 12; i += 2)
		wfree(keep[i]);
	big = walloc(500 * PAGE, KER_BUF_ALLOC_NON_CONTIG);
	f = buffer_frames(big);
	assert_scattered(f, 500);
	free(f);
	for (unsigned i = 1; i < 12; i += 2) {
		if (keep[i]->dwOptions & KER_BUF_ALLOC_NON_CONTIG) {
			f = buffer_frames(keep[i]);
			assert_scattered(f, npages_of(keep[i]->qwBytes));
			free(f);
		}
		wfree(keep[i]);
	}
	wfree(big);
	KMEMU_TEST_CLEAN();
}

/* ---- aliasing ------------------------------------------------------------------------ */

/* User and kernel views are the same memory, both ways (run on several machines). */
static void test_wds_alias_user_kernel(void **state)
{
	static const uint64_t len = 5 * PAGE + 100;
	uint8_t *copy = malloc(len);
	KT_BEGIN();

	(void)state;
	assert_non_null(copy);
	for (unsigned o = 0; o < KT_ARRAY_SIZE(all_options); o++) {
		WD_KERNEL_BUFFER *kb = walloc(len, all_options[o]);
		uint8_t *u = (uint8_t *)kb->pUserAddr, *k = (uint8_t *)(uintptr_t)kb->pKernelAddr;

		/* user -> kernel */
		fill(u, len, (uint8_t)(o + 1));
		assert_filled(k, len, (uint8_t)(o + 1), "kernel pointer after a user write");
		memset(copy, 0, len);
		assert_status(kmemu_kernel_read(kb->pKernelAddr, copy, len), STATUS_SUCCESS);
		assert_filled(copy, len, (uint8_t)(o + 1), "kmemu_kernel_read after a user write");
		/* kernel -> user, through the API and through the pointer */
		fill(copy, len, (uint8_t)(o + 50));
		assert_status(kmemu_kernel_write(kb->pKernelAddr, copy, len), STATUS_SUCCESS);
		assert_filled(u, len, (uint8_t)(o + 50), "user pointer after kmemu_kernel_write");
		memset(copy, 0, len);
		assert_status(kmemu_user_read(0, kb->pUserAddr, copy, len), STATUS_SUCCESS);
		assert_filled(copy, len, (uint8_t)(o + 50), "kmemu_user_read after a kernel write");
		k[len - 1] = 0xEE;
		assert_int_equal(u[len - 1], 0xEE);
		k[PAGE] = 0xDD;
		assert_int_equal(u[PAGE], 0xDD);
		wfree(kb);
	}
	free(copy);
	KMEMU_TEST_CLEAN();
}

/* Freed memory is zeroed: the next buffer reads zero, and so do the freed
 * frames through the kernel direct map. */
static void test_wds_fresh_memory_zero(void **state)
{
	uint8_t *copy = malloc(8 * PAGE);
	KT_BEGIN();

	(void)state;
	assert_non_null(copy);
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned o = 0; o < KT_ARRAY_SIZE(all_options); o++) {
			WD_KERNEL_BUFFER *kb = walloc(8 * PAGE, all_options[o]);
			uint64_t *f = buffer_frames(kb);
			int contig = (all_options[o] & KER_BUF_ALLOC_CONTIG) != 0;
			uint64_t kaddr = kb->pKernelAddr;

			assert_zero((void *)kb->pUserAddr, 8 * PAGE, "fresh buffer");
			memset((void *)kb->pUserAddr, 0xAB, 8 * PAGE);
			wfree(kb);
			if (contig) {  /* the direct map still shows the (free) frames */
				memset(copy, 0xFF, 8 * PAGE);
				assert_status(kmemu_kernel_read(kaddr, copy, 8 * PAGE),
					      STATUS_SUCCESS);
				assert_zero(copy, 8 * PAGE, "freed frames through the direct map");
			}
			free(f);
		}
	}
	free(copy);
	KMEMU_TEST_CLEAN();
}

/* ---- global handles and other processes --------------------------------------------- */

static void test_wds_get_other_process(void **state)
{
	const DWORD opt = KER_BUF_ALLOC_NON_CONTIG | KER_BUF_ALLOC_CACHED;
	WD_KERNEL_BUFFER *ka, *kb, *none = BAD_PTR;
	struct kmemu_stats s_alloc, s_get, s_freed_a;
	uint64_t *fa, *fb, ua, ub;
	kmemu_pid b;
	DWORD h;
	KT_BEGIN();

	(void)state;
	b = pcreate();
	ka = walloc(3 * PAGE + 5, opt);
	h = WDS_SharedBufferGetGlobalHandle(ka);
	assert_u64_equal(h, ka->hKerBuf);
	fa = buffer_frames(ka);
	fill((uint8_t *)ka->pUserAddr, 3 * PAGE + 5, 9);
	s_alloc = stats();

	attach(b);
	kb = wget(h);
	s_get = stats();
	assert_int_equal(kb->hKerBuf, h);
	assert_int_equal(kb->dwOptions, opt);  /* as allocated, not GET_EXISTING_BUF */
	assert_u64_equal(kb->qwBytes, 3 * PAGE + 5);
	assert_u64_equal(kb->pKernelAddr, ka->pKernelAddr);
	assert_int_not_equal(kb->pUserAddr, ka->pUserAddr);
	assert_u64_equal(kb->pUserAddr % 0x10000, 0);
	fb = buffer_frames(kb);
	assert_memory_equal(fa, fb, 4 * sizeof(*fa));
	assert_u64_equal(s_get.frames_used, s_alloc.frames_used);
	assert_u64_equal(s_get.wds_buffers, s_alloc.wds_buffers);
	assert_u64_equal(s_get.mappings, s_alloc.mappings + 1);
	/* B sees A's data, A sees B's */
	assert_filled((uint8_t *)kb->pUserAddr, 3 * PAGE + 5, 9, "B's view of A's write");
	((uint8_t *)kb->pUserAddr)[PAGE + 1] = 0xB0;
	assert_int_equal(((uint8_t *)ka->pUserAddr)[PAGE + 1], 0xB0);

	/* A frees: B's mapping and the frames stay */
	attach(initial_pid);
	ua = ka->pUserAddr;
	wfree(ka);
	s_freed_a = stats();
	assert_u64_equal(s_freed_a.frames_used, s_get.frames_used);
	assert_u64_equal(s_freed_a.wds_buffers, s_get.wds_buffers);
	assert_u64_equal(s_freed_a.mappings, s_get.mappings - 1);
	assert_false(kt_probe((void *)ua, 0));  /* A's view is gone */
	assert_int_equal(((uint8_t *)kb->pUserAddr)[PAGE + 1], 0xB0);
	assert_int_equal(((uint8_t *)kb->pUserAddr)[3 * PAGE + 4], (uint8_t)(9 + (3 * PAGE + 4) * 7 + 3));
	/* the handle still works while B holds the buffer */
	{
		WD_KERNEL_BUFFER *again = wget(h);

		assert_u64_equal(again->pKernelAddr, kb->pKernelAddr);
		wfree(again);
	}

	/* B frees the last holding: frames return, the handle dies */
	attach(b);
	ub = kb->pUserAddr;
	wfree(kb);
	attach(initial_pid);
	assert_u64_equal(stats().frames_used, kt_base_.frames_used);
	assert_false(kt_probe((void *)ub, 0));
	assert_wd(WDS_SharedBufferGet(h, &none), WD_INVALID_HANDLE);
	assert_null(none);
	free(fa);
	free(fb);
	assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* Three holders; the frames go back with the last Free, whatever the order. */
static void test_wds_frames_return_last_holder(void **state)
{
	static const unsigned orders[3][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 } };
	kmemu_pid b;
	KT_BEGIN();

	(void)state;
	b = pcreate();
	for (unsigned o = 0; o < 3; o++) {
		WD_KERNEL_BUFFER *kb[3];
		kmemu_pid owner[3] = { initial_pid, b, initial_pid };
		uint64_t used0 = stats().frames_used;

		kb[0] = walloc(10 * PAGE, o == 1 ? KER_BUF_ALLOC_CONTIG : KER_BUF_ALLOC_NON_CONTIG);
		attach(b);
		kb[1] = wget(kb[0]->hKerBuf);
		attach(initial_pid);
		kb[2] = wget(kb[0]->hKerBuf);
		assert_u64_equal(stats().frames_used, used0 + 10);
		for (unsigned i = 0; i < 3; i++) {
			unsigned k = orders[o][i];

			attach(owner[k]);
			wfree(kb[k]);
			attach(initial_pid);
			assert_u64_equal(stats().frames_used, i < 2 ? used0 + 10 : used0);
			assert_u64_equal(stats().wds_buffers, kt_base_.wds_buffers + (i < 2));
		}
	}
	assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

static void test_wds_get_same_process(void **state)
{
	WD_KERNEL_BUFFER *k1, *k2;
	uint64_t *f1, *f2, u1;
	struct kmemu_stats s1, s2;
	KT_BEGIN();

	(void)state;
	k1 = walloc(4 * PAGE, KER_BUF_ALLOC_CONTIG);
	s1 = stats();
	k2 = wget(k1->hKerBuf);
	s2 = stats();
	assert_ptr_not_equal(k1, k2);
	assert_int_not_equal(k1->pUserAddr, k2->pUserAddr);
	assert_u64_equal(k1->pKernelAddr, k2->pKernelAddr);
	assert_int_equal(k2->dwOptions, KER_BUF_ALLOC_CONTIG);
	assert_u64_equal(s2.mappings, s1.mappings + 1);
	assert_u64_equal(s2.frames_used, s1.frames_used);
	f1 = buffer_frames(k1);
	f2 = buffer_frames(k2);
	assert_memory_equal(f1, f2, 4 * sizeof(*f1));
	((uint8_t *)k1->pUserAddr)[3 * PAGE + 9] = 0x31;
	assert_int_equal(((uint8_t *)k2->pUserAddr)[3 * PAGE + 9], 0x31);
	/* both holdings need a Free */
	u1 = k1->pUserAddr;
	wfree(k1);
	assert_false(kt_probe((void *)u1, 0));
	assert_int_equal(((uint8_t *)k2->pUserAddr)[3 * PAGE + 9], 0x31);
	assert_u64_equal(stats().frames_used, s1.frames_used);
	wfree(k2);
	free(f1);
	free(f2);
	KMEMU_TEST_CLEAN();
}

/* ---- WDS_SharedBufferGet / Free: failures ---------------------------------------------- */

static void test_wds_get_invalid(void **state)
{
	struct kmemu_fault_config heap = { .mode = KMEMU_FAULT_NTH, .n = 0,
					   .resources = KMEMU_FAULT_HEAP };
	WD_KERNEL_BUFFER *kb, *x, *y, *out;
	DWORD h, hx, hy;
	KT_BEGIN();

	(void)state;
	kb = walloc(PAGE, KER_BUF_ALLOC_CONTIG);
	h = kb->hKerBuf;
	assert_wd(WDS_SharedBufferGet(h, NULL), WD_INVALID_PARAMETER);
	out = BAD_PTR;
	assert_wd(WDS_SharedBufferGet(0, &out), WD_INVALID_HANDLE);
	assert_null(out);
	out = BAD_PTR;
	assert_wd(WDS_SharedBufferGet(0x12345678, &out), WD_INVALID_HANDLE);
	assert_null(out);
	out = BAD_PTR;
	assert_wd(WDS_SharedBufferGet(h + 1, &out), WD_INVALID_HANDLE);
	assert_null(out);
	out = BAD_PTR;
	assert_wd(WDS_SharedBufferGet(0xFFFFFFFFu, &out), WD_INVALID_HANDLE);
	assert_null(out);
	/* no heap for the description */
	out = BAD_PTR;
	assert_status(kmemu_fault_set(&heap), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferGet(h, &out), WD_INSUFFICIENT_RESOURCES);
	kmemu_fault_set(NULL);
	assert_null(out);
	wfree(kb);
	/* stale after every holder freed */
	out = BAD_PTR;
	assert_wd(WDS_SharedBufferGet(h, &out), WD_INVALID_HANDLE);
	assert_null(out);

	/* a reused slot gets a new value; the old one stays dead */
	x = walloc(PAGE, KER_BUF_ALLOC_CONTIG);
	hx = x->hKerBuf;
	wfree(x);
	y = walloc(PAGE, KER_BUF_ALLOC_CONTIG);
	hy = y->hKerBuf;
	assert_int_not_equal(hx, hy);
	out = BAD_PTR;
	assert_wd(WDS_SharedBufferGet(hx, &out), WD_INVALID_HANDLE);
	assert_null(out);
	out = wget(hy);
	wfree(out);
	wfree(y);
	KMEMU_TEST_CLEAN();
}

static void test_wds_free_invalid(void **state)
{
	WD_KERNEL_BUFFER *kb, copy, stack;
	kmemu_pid b;
	KT_BEGIN();

	(void)state;
	assert_wd(WDS_SharedBufferFree(NULL), WD_INVALID_PARAMETER);
	/* a description never handed out: WD_INVALID_HANDLE, not touched */
	kb = walloc(2 * PAGE, KER_BUF_ALLOC_NON_CONTIG);
	stack = *kb;
	copy = stack;
	assert_wd(WDS_SharedBufferFree(&stack), WD_INVALID_HANDLE);
	assert_memory_equal(&stack, &copy, sizeof(stack));
	/* a pointer held by another process */
	b = pcreate();
	attach(b);
	assert_wd(WDS_SharedBufferFree(kb), WD_INVALID_HANDLE);
	attach(initial_pid);
	assert_memory_equal(kb, &copy, sizeof(copy));
	((uint8_t *)kb->pUserAddr)[0] = 1;  /* still mapped */
	wfree(kb);
	/* double free: the pointer is only compared, never read */
	assert_wd(WDS_SharedBufferFree(kb), WD_INVALID_HANDLE);
	assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* Addresses of freed buffers are dead for every access path. */
static void test_wds_stale_addresses(void **state)
{
	WD_KERNEL_BUFFER *kb;
	uint64_t uaddr, kaddr, phys;
	uint8_t c;
	KT_BEGIN();

	(void)state;
	assert_status(kmemu_kernel_read(0, &c, 1), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_virt_to_phys(0, &c, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_virt_to_phys(0, &c, &phys), STATUS_INVALID_ADDRESS);
	kb = walloc(3 * PAGE, KER_BUF_ALLOC_NON_CONTIG);
	uaddr = kb->pUserAddr;
	kaddr = kb->pKernelAddr;
	assert_status(kmemu_kernel_read(kaddr, NULL, 1), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_kernel_read(kaddr + 3 * PAGE - 1, &c, 1), STATUS_SUCCESS);
	wfree(kb);
	assert_status(kmemu_virt_to_phys(initial_pid, (void *)uaddr, &phys), STATUS_INVALID_ADDRESS);
	assert_status(kmemu_user_read(0, uaddr, &c, 1), STATUS_ACCESS_VIOLATION);
	assert_false(kt_probe((void *)uaddr, 0));
	/* in the default placement 3 pages are not one run: a vmalloc address */
	if (kmemu_virt_to_phys(0, (void *)kaddr, &phys) != STATUS_INVALID_ADDRESS) {
		/* a direct-map buffer: its kernel address stays valid (free frames) */
		assert_status(kmemu_kernel_read(kaddr, &c, 1), STATUS_SUCCESS);
		assert_int_equal(c, 0);
	} else {
		assert_status(kmemu_kernel_read(kaddr, &c, 1), STATUS_ACCESS_VIOLATION);
		assert_false(kt_probe((void *)(uintptr_t)kaddr, 0));
	}
	KMEMU_TEST_CLEAN();
}

/* ---- running out -------------------------------------------------------------------- */

static void test_wds_too_big(void **state)
{
	WD_KERNEL_BUFFER *kb = BAD_PTR, *all, *one;
	struct kmemu_stats s = stats();
	uint64_t free_frames = s.frames_total - s.frames_used - 1;  /* frame 0 is held */
	KT_BEGIN();

	(void)state;
	for (unsigned o = 0; o < KT_ARRAY_SIZE(all_options); o++) {
		assert_wd(WDS_SharedBufferAlloc(5ull << 30, all_options[o], &kb),
			  WD_INSUFFICIENT_RESOURCES);
		assert_wd(WDS_SharedBufferAlloc(RAM, all_options[o], &kb), WD_INSUFFICIENT_RESOURCES);
		assert_wd(WDS_SharedBufferAlloc(UINT64_MAX, all_options[o], &kb),
			  WD_INSUFFICIENT_RESOURCES);
		assert_wd(WDS_SharedBufferAlloc(UINT64_MAX - PAGE, all_options[o], &kb),
			  WD_INSUFFICIENT_RESOURCES);
		assert_wd(WDS_SharedBufferAlloc((free_frames + 1) * PAGE, all_options[o], &kb),
			  WD_INSUFFICIENT_RESOURCES);
	}
	assert_ptr_equal(kb, BAD_PTR);
	/* every free frame in one buffer, then nothing more */
	all = walloc(free_frames * PAGE, KER_BUF_ALLOC_NON_CONTIG);
	assert_u64_equal(stats().frames_used, s.frames_total - 1);
	assert_wd(WDS_SharedBufferAlloc(1, KER_BUF_ALLOC_CONTIG, &kb), WD_INSUFFICIENT_RESOURCES);
	assert_wd(WDS_SharedBufferAlloc(1, KER_BUF_ALLOC_NON_CONTIG, &kb),
		  WD_INSUFFICIENT_RESOURCES);
	assert_ptr_equal(kb, BAD_PTR);
	wfree(all);
	one = walloc(1, KER_BUF_ALLOC_CONTIG);
	wfree(one);
	KMEMU_TEST_CLEAN();
}

/* Fragmented RAM (machine from the prestate): no run above 8 frames, so a
 * large CONTIG buffer fails while NON_CONTIG of the same size works. */
static void test_wds_fragmentation(void **state)
{
	WD_KERNEL_BUFFER *kb = BAD_PTR, *nc, *small;
	uint64_t *f;
	KT_BEGIN();

	(void)state;
	assert_wd(WDS_SharedBufferAlloc(KT_MIB, KER_BUF_ALLOC_CONTIG, &kb),
		  WD_INSUFFICIENT_RESOURCES);
	assert_wd(WDS_SharedBufferAlloc(9 * PAGE, KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_CACHED, &kb),
		  WD_INSUFFICIENT_RESOURCES);
	assert_ptr_equal(kb, BAD_PTR);
	nc = walloc(KT_MIB, KER_BUF_ALLOC_NON_CONTIG);
	f = buffer_frames(nc);
	free(f);
	small = walloc(8 * PAGE, KER_BUF_ALLOC_CONTIG);
	f = buffer_frames(small);
	for (unsigned i = 1; i < 8; i++)
		assert_u64_equal(f[i], f[0] + i);
	free(f);
	wfree(small);
	wfree(nc);
	KMEMU_TEST_CLEAN();
}

/* Out of user address space (4 views of 64 KiB per process here): Alloc
 * and Get fail with WD_INSUFFICIENT_RESOURCES though frames remain. */
static void test_wds_user_space_exhausted(void **state)
{
	WD_KERNEL_BUFFER *kb[5] = { 0 }, *out = BAD_PTR, *other;
	unsigned n = 0;
	kmemu_pid b;

	(void)state;
	/* first round: find the limit, and grow the bookkeeping arrays */
	while (n < 5 && WDS_SharedBufferAlloc(1, KER_BUF_ALLOC_CONTIG, &kb[n]) == WD_STATUS_SUCCESS)
		n++;
	assert_u64_equal(n, 4);
	while (n)
		wfree(kb[--n]);
	{
		KT_BEGIN();
		struct kmemu_stats full;

		for (n = 0; n < 4; n++)
			kb[n] = walloc(1, n % 2 ? KER_BUF_ALLOC_NON_CONTIG : KER_BUF_ALLOC_CONTIG);
		full = stats();
		assert_wd(WDS_SharedBufferAlloc(1, KER_BUF_ALLOC_CONTIG, &out),
			  WD_INSUFFICIENT_RESOURCES);
		assert_wd(WDS_SharedBufferAlloc(PAGE, KER_BUF_ALLOC_NON_CONTIG, &out),
			  WD_INSUFFICIENT_RESOURCES);
		assert_ptr_equal(out, BAD_PTR);
		assert_wd(WDS_SharedBufferGet(kb[0]->hKerBuf, &out), WD_INSUFFICIENT_RESOURCES);
		assert_null(out);
		assert_u64_equal(stats().frames_used, full.frames_used);
		assert_u64_equal(stats().heap_blocks, full.heap_blocks);
		/* another process has room of its own */
		b = pcreate();
		attach(b);
		other = wget(kb[0]->hKerBuf);
		wfree(other);
		/* and a buffer larger than a whole user space never fits */
		out = BAD_PTR;
		assert_wd(WDS_SharedBufferAlloc(5 * 0x10000, KER_BUF_ALLOC_CONTIG, &out),
			  WD_INSUFFICIENT_RESOURCES);
		assert_ptr_equal(out, BAD_PTR);
		attach(initial_pid);
		assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
		for (n = 0; n < 4; n++)
			wfree(kb[n]);
		KMEMU_TEST_CLEAN();
	}
}

/* Each acquisition of an Alloc failed on its own: the status is
 * WD_INSUFFICIENT_RESOURCES and *ppBuf is untouched. */
static void test_wds_alloc_no_memory(void **state)
{
	static const unsigned resources[] = { KMEMU_FAULT_HEAP, KMEMU_FAULT_FRAMES,
					      KMEMU_FAULT_HANDLES, KMEMU_FAULT_SYSCALLS };
	KT_BEGIN();

	(void)state;
	for (unsigned r = 0; r < KT_ARRAY_SIZE(resources); r++) {
		for (unsigned o = 0; o < 2; o++) {
			struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_EVERY_NTH, .n = 1,
							 .resources = resources[r] };
			WD_KERNEL_BUFFER *kb = BAD_PTR;
			struct kmemu_fault_stats fs;

			assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
			assert_wd(WDS_SharedBufferAlloc(3 * PAGE, all_options[o], &kb),
				  WD_INSUFFICIENT_RESOURCES);
			kmemu_fault_get_stats(&fs);
			kmemu_fault_set(NULL);
			assert_ptr_equal(kb, BAD_PTR);
			assert_u64_equal(fs.failures, 1);
		}
	}
	KMEMU_TEST_CLEAN();
}

/* ---- the OOM loop ------------------------------------------------------------------- */

static const uint32_t wd_fail_ok[] = { WD_INSUFFICIENT_RESOURCES };

struct oom_ctx {
	uint64_t bytes;     /* buffer size */
	DWORD options;      /* allocation options */
	DWORD handle;       /* Get: an existing buffer's handle */
	kmemu_pid other;    /* cross-process: the getter */
};

/* Alloc + Free. */
static uint32_t op_alloc_free(void *arg)
{
	struct oom_ctx *c = arg;
	WD_KERNEL_BUFFER *kb = BAD_PTR;
	DWORD rc = WDS_SharedBufferAlloc(c->bytes, c->options, &kb);

	if (rc) {
		if (kb != BAD_PTR)
			return 0xDEAD0001;  /* a failed Alloc touched *ppBuf */
		return rc;
	}
	return WDS_SharedBufferFree(kb);
}

/* Get + Free of an existing buffer. */
static uint32_t op_get_free(void *arg)
{
	struct oom_ctx *c = arg;
	WD_KERNEL_BUFFER *kb = BAD_PTR;
	DWORD rc = WDS_SharedBufferGet(c->handle, &kb);

	if (rc) {
		if (kb != NULL)
			return 0xDEAD0002;  /* a failed Get did not clear *ppKerBuf */
		return rc;
	}
	return WDS_SharedBufferFree(kb);
}

/* Alloc in the initial process, Get in another, write through one and read
 * through the other, Free both. */
static uint32_t op_share(void *arg)
{
	struct oom_ctx *c = arg;
	WD_KERNEL_BUFFER *ka = NULL, *kb = NULL;
	DWORD rc;

	kmemu_process_attach(initial_pid, NULL);
	rc = WDS_SharedBufferAlloc(c->bytes, c->options, &ka);
	if (rc)
		return rc;
	kmemu_process_attach(c->other, NULL);
	rc = WDS_SharedBufferGet(ka->hKerBuf, &kb);
	if (rc == WD_STATUS_SUCCESS) {
		((volatile uint8_t *)ka->pUserAddr)[c->bytes - 1] = 0x42;
		if (((volatile uint8_t *)kb->pUserAddr)[c->bytes - 1] != 0x42)
			rc = 0xDEAD0003;  /* not the same memory */
		if (WDS_SharedBufferFree(kb) != WD_STATUS_SUCCESS)
			rc = 0xDEAD0004;
	}
	kmemu_process_attach(initial_pid, NULL);
	if (WDS_SharedBufferFree(ka) != WD_STATUS_SUCCESS)
		rc = 0xDEAD0005;
	return rc;
}

static void run_oom(const char *name, uint32_t (*run)(void *), struct oom_ctx *ctx,
		    unsigned resources)
{
	struct kmemu_oom_op op = {
		.name = name,
		.run = run,
		.ctx = ctx,
		.success = WD_STATUS_SUCCESS,
		.fail_ok = wd_fail_ok,
		.n_fail_ok = 1,
		.resources = resources,
	};
	struct kmemu_oom_result res;
	kmemu_status rc;

	/* one clean run first, so arrays grown on first use are not "leaks" */
	assert_wd(run(ctx), WD_STATUS_SUCCESS);
	rc = kmemu_oom_loop(&op, 0, &res);
	if (rc != STATUS_SUCCESS || !res.ok) {
		print_error("OOM loop %s (options 0x%x, %llu bytes): %s\n", name, ctx->options,
			    (unsigned long long)ctx->bytes, res.message);
		fail();
	}
	if (res.failures == 0) {
		print_error("OOM loop %s: no acquisition was ever failed\n", name);
		fail();
	}
}

static void test_wds_oom_alloc_free(void **state)
{
	static const uint64_t sizes[] = { 1, 3 * PAGE + 1 };
	KT_BEGIN();

	(void)state;
	for (unsigned o = 0; o < KT_ARRAY_SIZE(all_options); o++) {
		for (unsigned s = 0; s < 2; s++) {
			struct oom_ctx c = { .bytes = sizes[s], .options = all_options[o] };

			run_oom("Alloc+Free", op_alloc_free, &c, 0);
			run_oom("Alloc+Free (frames)", op_alloc_free, &c, KMEMU_FAULT_FRAMES);
		}
	}
	KMEMU_TEST_CLEAN();
}

static void test_wds_oom_get_free(void **state)
{
	KT_BEGIN();

	(void)state;
	for (unsigned o = 0; o < 2; o++) {
		WD_KERNEL_BUFFER *kb = walloc(5 * PAGE, all_options[o]);
		struct oom_ctx c = { .handle = kb->hKerBuf, .options = all_options[o] };
		kmemu_pid b = pcreate();

		run_oom("Get+Free", op_get_free, &c, 0);
		attach(b);
		run_oom("Get+Free in another process", op_get_free, &c, 0);
		attach(initial_pid);
		wfree(kb);
		assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
	}
	KMEMU_TEST_CLEAN();
}

/* Alloc + Get in another process + Free both, CONTIG and NON_CONTIG, on the
 * machine from the prestate (scatter, random, default). */
static void test_wds_oom_share(void **state)
{
	KT_BEGIN();

	(void)state;
	for (unsigned o = 0; o < KT_ARRAY_SIZE(all_options); o++) {
		struct oom_ctx c = { .bytes = 6 * PAGE + 7, .options = all_options[o] };

		c.other = pcreate();
		run_oom("Alloc+Get(other process)+Free both", op_share, &c, 0);
		assert_status(kmemu_process_destroy(c.other), STATUS_SUCCESS);
	}
	KMEMU_TEST_CLEAN();
}

/* ---- registration ------------------------------------------------------------------ */

#define WDS_TEST(f) cmocka_unit_test_teardown(f, test_teardown)
/* A test run on its own machine (scatter, fragmented ...). */
#define WDS_TEST_ON(f, m) \
	{ #f "_" #m, f, machine_setup, machine_teardown, (void *)&m_##m }

int main(void)
{
	const struct CMUnitTest tests[] = {
		WDS_TEST(test_wds_alloc_invalid_params),
		WDS_TEST(test_wds_alloc_fields),
		WDS_TEST(test_wds_contig_adjacent),
		WDS_TEST_ON(test_wds_contig_adjacent, scatter),
		WDS_TEST_ON(test_wds_noncontig_scatter, scatter),
		WDS_TEST(test_wds_alias_user_kernel),
		WDS_TEST_ON(test_wds_alias_user_kernel, scatter),
		WDS_TEST_ON(test_wds_alias_user_kernel, random),
		WDS_TEST(test_wds_fresh_memory_zero),
		WDS_TEST_ON(test_wds_fresh_memory_zero, scatter),
		WDS_TEST(test_wds_get_other_process),
		WDS_TEST_ON(test_wds_get_other_process, scatter),
		WDS_TEST(test_wds_frames_return_last_holder),
		WDS_TEST(test_wds_get_same_process),
		WDS_TEST(test_wds_get_invalid),
		WDS_TEST(test_wds_free_invalid),
		WDS_TEST(test_wds_stale_addresses),
		WDS_TEST(test_wds_too_big),
		WDS_TEST_ON(test_wds_fragmentation, fragmented),
		{ "test_wds_user_space_exhausted", test_wds_user_space_exhausted,
		  tiny_user_space_setup, machine_teardown, NULL },
		WDS_TEST(test_wds_alloc_no_memory),
		WDS_TEST(test_wds_oom_alloc_free),
		WDS_TEST(test_wds_oom_get_free),
		WDS_TEST_ON(test_wds_oom_share, default),
		WDS_TEST_ON(test_wds_oom_share, scatter),
		WDS_TEST_ON(test_wds_oom_share, random),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
