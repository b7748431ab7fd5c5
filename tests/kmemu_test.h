/* SPDX-License-Identifier: MIT */
/*
 * kmemu_test.h - helpers shared by the cmocka unit tests (tests/test_*.c).
 *
 * Include after <cmocka.h>.  Provides:
 *   - assert_status() / assert_wd() / assert_u64_equal(): equality asserts
 *     that print both values (and the symbolic status names) on failure;
 *   - KT_BEGIN() / KMEMU_TEST_CLEAN(): snapshot the current backend's
 *     resource counters at the start of a test, then at its end require
 *     kmemu_check() to pass and every counter to be back (libuv's
 *     MAKE_VALGRIND_HAPPY, for the emulator's own resources);
 *   - kt_use_emu(): open a fresh emulator as the current backend;
 *   - kt_probe(): a sigsetjmp/SIGSEGV probe telling whether a byte of host
 *     memory can be read or written, without dying (guard-regions.c style).
 *     Under valgrind the probe switches error reporting off around the
 *     access, since touching a PROT_NONE page is the point of the probe.
 */
#ifndef KMEMU_TESTS_KMEMU_TEST_H
#define KMEMU_TESTS_KMEMU_TEST_H

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <kmemu/kmemu.h>
#include <wds_lib.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef VALGRIND_DISABLE_ERROR_REPORTING
#define VALGRIND_DISABLE_ERROR_REPORTING do { } while (0)
#define VALGRIND_ENABLE_ERROR_REPORTING do { } while (0)
#endif

#define KT_MIB (1ull << 20)
#define KT_PAGE 4096ull
#define KT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- asserts that print what they saw ------------------------------------ */

/* An NTSTATUS equality assert: prints both names and hex values. */
#define assert_status(actual, expected)                                                      \
	do {                                                                                 \
		kmemu_status kt_a_ = (actual), kt_e_ = (expected);                           \
		if (kt_a_ != kt_e_) {                                                        \
			char kt_n_[48];                                                      \
			snprintf(kt_n_, sizeof(kt_n_), "%s", kmemu_status_name(kt_a_));     \
			print_error("%s returned %s (0x%08X), expected %s (0x%08X)\n",      \
				    #actual, kt_n_, (unsigned)kt_a_, kmemu_status_name(kt_e_), \
				    (unsigned)kt_e_);                                        \
			_fail(__FILE__, __LINE__);                                           \
		}                                                                            \
	} while (0)

/* A WinDriver status equality assert: prints both names and hex values. */
#define assert_wd(actual, expected)                                                          \
	do {                                                                                 \
		uint32_t kt_a_ = (actual), kt_e_ = (expected);                               \
		if (kt_a_ != kt_e_) {                                                        \
			print_error("%s returned %s (0x%08X), expected %s (0x%08X)\n",      \
				    #actual, kmemu_wd_status_name(kt_a_), (unsigned)kt_a_,   \
				    kmemu_wd_status_name(kt_e_), (unsigned)kt_e_);           \
			_fail(__FILE__, __LINE__);                                           \
		}                                                                            \
	} while (0)

/* Unsigned equality with decimal output (counters, frame numbers). */
#define assert_u64_equal(actual, expected)                                                   \
	do {                                                                                 \
		unsigned long long kt_a_ = (actual), kt_e_ = (expected);                     \
		if (kt_a_ != kt_e_) {                                                        \
			print_error("%s == %llu, expected %s == %llu\n", #actual, kt_a_,     \
				    #expected, kt_e_);                                       \
			_fail(__FILE__, __LINE__);                                           \
		}                                                                            \
	} while (0)

/* ---- per-test leak and invariant check ------------------------------------ */

static inline void kt_snapshot(struct kmemu_stats *s)
{
	kmemu_status rc = kmemu_stats_get(s);

	if (rc) {
		print_error("kmemu_stats_get failed: %s\n", kmemu_status_name(rc));
		fail();
	}
}

static inline void kt_clean(const struct kmemu_stats *base, const char *file, int line)
{
	struct kmemu_stats now;
	const char *msg = "";
	kmemu_status rc = kmemu_check(&msg);

	if (rc != STATUS_SUCCESS) {
		print_error("kmemu_check: %s (%s)\n", kmemu_status_name(rc), msg ? msg : "?");
		_fail(file, line);
	}
	rc = kmemu_stats_get(&now);
	if (rc != STATUS_SUCCESS) {
		print_error("kmemu_stats_get: %s\n", kmemu_status_name(rc));
		_fail(file, line);
	}
#define KT_CMP(f)                                                                            \
	if (now.f != base->f) {                                                              \
		print_error("leak: stats." #f " is %llu, was %llu at the start of the test\n", \
			    (unsigned long long)now.f, (unsigned long long)base->f);         \
		_fail(file, line);                                                           \
	}
	KT_CMP(heap_blocks)
	KT_CMP(heap_bytes)
	KT_CMP(frames_used)
	KT_CMP(frames_total)
	KT_CMP(handles_used)
	KT_CMP(processes)
	KT_CMP(wds_buffers)
	KT_CMP(mappings)
#undef KT_CMP
}

/* Start of a test: remember the counters. */
#define KT_BEGIN()                        \
	struct kmemu_stats kt_base_;      \
	kt_snapshot(&kt_base_)
/* End of a test: invariants hold and nothing leaked since KT_BEGIN(). */
#define KMEMU_TEST_CLEAN() kt_clean(&kt_base_, __FILE__, __LINE__)

/* ---- machines --------------------------------------------------------------- */

/* The configuration the tests use: small RAM and user spaces, so several
 * machines and processes fit in valgrind's address space. */
static inline void kt_config(struct kmemu_config *cfg, uint64_t ram_bytes,
			     enum kmemu_placement placement, unsigned fragment_order)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_bytes = ram_bytes;
	cfg->placement = placement;
	cfg->seed = 1;
	cfg->fragment_order = fragment_order;
	cfg->verifier = 1;
	cfg->user_space_bytes = 512ull << 20;
}

/*
 * Warm a machine up: allocate and free shared buffers in the calling
 * thread's process so the arrays the emulator grows on first use and keeps
 * (the global handle table, the vmalloc area list, the process's area and
 * holding lists) exist before a test takes its KT_BEGIN() snapshot.  Kept
 * capacity is not a leak, but it shows in the heap counters.
 */
static inline int kt_warm_up(void)
{
	enum { N = 17 };
	WD_KERNEL_BUFFER *kb[N + 1] = { 0 };
	struct kmemu_stats s0, s1;
	int ok = 1;

	/* a NON_CONTIG buffer whose frames are not one run, so it gets a
	 * vmalloc mapping (mappings + 2) */
	for (uint64_t pages = 3; pages < 4096; pages = pages * 2 + 1) {
		if (kmemu_stats_get(&s0) ||
		    WDS_SharedBufferAlloc(pages * KT_PAGE, KER_BUF_ALLOC_NON_CONTIG, &kb[0]) ||
		    kmemu_stats_get(&s1))
			return -1;
		if (s1.mappings == s0.mappings + 2)
			break;
		ok &= WDS_SharedBufferFree(kb[0]) == 0;
		kb[0] = NULL;
	}
	for (unsigned i = 1; i < N; i++)
		ok &= WDS_SharedBufferAlloc(1, KER_BUF_ALLOC_CONTIG, &kb[i]) == 0;
	if (kb[1])
		ok &= WDS_SharedBufferGet(kb[1]->hKerBuf, &kb[N]) == 0;
	for (unsigned i = 0; i <= N; i++)
		if (kb[i])
			ok &= WDS_SharedBufferFree(kb[i]) == 0;
	return ok ? 0 : -1;
}

/* Make a fresh, warmed-up emulator the current backend (the previous one
 * is closed). */
static inline int kt_use_emu(uint64_t ram_bytes, enum kmemu_placement placement,
			     unsigned fragment_order)
{
	struct kmemu_config cfg;
	kmemu_status rc;

	kt_config(&cfg, ram_bytes, placement, fragment_order);
	rc = kmemu_backend_use("emu", &cfg);
	if (rc) {
		fprintf(stderr, "kmemu_backend_use(emu): %s\n", kmemu_status_name(rc));
		return -1;
	}
	if (kt_warm_up()) {
		fprintf(stderr, "kt_warm_up: a shared-buffer call failed\n");
		return -1;
	}
	return 0;
}

/* Close the current backend (group teardown), so valgrind sees no leak. */
static inline int kt_close_backend(void)
{
	kmemu_backend_close(kmemu_backend_set_current(NULL));
	return 0;
}

/* ---- access probe --------------------------------------------------------------- */

static inline sigjmp_buf *kt_probe_env(void)
{
	static sigjmp_buf env;

	return &env;
}

static inline void kt_probe_handler(int sig)
{
	(void)sig;
	siglongjmp(*kt_probe_env(), 1);
}

/**
 * kt_probe() - can @p be read (or written, when @write) without a fault?
 * A write stores back the byte it read, so a successful probe changes nothing.
 * Return: 1 if the access succeeded, 0 if it raised SIGSEGV or SIGBUS.
 */
static inline int kt_probe(void *p, int write)
{
	struct sigaction sa, old_segv, old_bus;
	volatile uint8_t *vp = p;
	volatile int ok = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kt_probe_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	VALGRIND_DISABLE_ERROR_REPORTING;
	if (sigsetjmp(*kt_probe_env(), 1) == 0) {
		/* the value must be used: valgrind's JIT drops a dead load */
		static volatile uint8_t sink;

		sink = *vp;
		if (write)
			*vp = sink;
		ok = 1;
	}
	VALGRIND_ENABLE_ERROR_REPORTING;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return ok;
}

/* ---- heap-only leak check, for the internal module tests ---------------------- */
#ifdef KMEMU_API_CORE_H
struct kt_heap {
	uint64_t blocks;  /* live kmemu__malloc blocks */
	uint64_t bytes;   /* live kmemu__malloc bytes */
};

static inline void kt_heap_clean(const struct kt_heap *base, const char *file, int line)
{
	struct kt_heap now;

	kmemu__heap_stats(&now.blocks, &now.bytes);
	if (now.blocks != base->blocks || now.bytes != base->bytes) {
		print_error("leak: kmemu heap is %llu blocks / %llu bytes, was %llu / %llu\n",
			    (unsigned long long)now.blocks, (unsigned long long)now.bytes,
			    (unsigned long long)base->blocks, (unsigned long long)base->bytes);
		_fail(file, line);
	}
}

#define KT_HEAP_BEGIN()             \
	struct kt_heap kt_heap_base_; \
	kmemu__heap_stats(&kt_heap_base_.blocks, &kt_heap_base_.bytes)
#define KT_HEAP_CLEAN() kt_heap_clean(&kt_heap_base_, __FILE__, __LINE__)
#endif

#endif /* KMEMU_TESTS_KMEMU_TEST_H */
