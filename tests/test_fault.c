/* SPDX-License-Identifier: MIT */
/*
 * test_fault.c - unit tests of the fault simulator, the heap and syscall
 * choke points (api/fault.c) and the OOM loop (api/oom.c).
 *
 * The simulator is driven directly through kmemu__fault_should_fail(), so
 * each test knows exactly which acquisition is number N.  The OOM loop is
 * tested with operations of our own: a correct one, one that leaks on its
 * failure path, one that returns a status it is not allowed to, one that
 * fails without any fault, and one that never stops faulting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "core.h"
#include "kmemu_test.h"

static int group_setup(void **state)
{
	(void)state;
	return kt_use_emu(64 * KT_MIB, KMEMU_PLACE_DEFAULT, 0);
}

static int group_teardown(void **state)
{
	(void)state;
	kmemu_fault_set(NULL);
	return kt_close_backend();
}

static int test_teardown(void **state)
{
	(void)state;
	kmemu_fault_set(NULL);
	return 0;
}

static void fset(enum kmemu_fault_mode mode, unsigned resources, uint64_t n, uint32_t repeat,
		 uint32_t rate_ppm, uint64_t seed)
{
	struct kmemu_fault_config fc = { .mode = mode, .resources = resources, .n = n,
					 .repeat = repeat, .rate_ppm = rate_ppm, .seed = seed };

	assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
}

/* Run @n heap acquisitions; write '1' for a failure and '0' otherwise. */
static void pattern(char *out, unsigned n, unsigned resource)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = kmemu__fault_should_fail(resource) ? '1' : '0';
	out[n] = '\0';
}

static void assert_stats(uint64_t acquisitions, uint64_t failures)
{
	struct kmemu_fault_stats fs = { 99, 99 };

	kmemu_fault_get_stats(&fs);
	assert_u64_equal(fs.acquisitions, acquisitions);
	assert_u64_equal(fs.failures, failures);
}

/* ---- programming the simulator ----------------------------------------------------- */

static void test_fault_set_invalid(void **state)
{
	struct kmemu_fault_config bad_mode = { .mode = (enum kmemu_fault_mode)4 };
	struct kmemu_fault_config every_0 = { .mode = KMEMU_FAULT_EVERY_NTH, .n = 0 };
	struct kmemu_fault_config rate = { .mode = KMEMU_FAULT_RANDOM, .rate_ppm = 1000001 };
	char p[8];

	(void)state;
	/* an invalid program leaves the previous one in force */
	fset(KMEMU_FAULT_NTH, KMEMU_FAULT_HEAP, 1, 0, 0, 0);
	assert_status(kmemu_fault_set(&bad_mode), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_fault_set(&every_0), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_fault_set(&rate), STATUS_INVALID_PARAMETER);
	pattern(p, 3, KMEMU_FAULT_HEAP);
	assert_string_equal(p, "010");
	/* the limits themselves are valid */
	fset(KMEMU_FAULT_RANDOM, 0, 0, 0, 1000000, 1);
	fset(KMEMU_FAULT_RANDOM, 0, 0, 0, 0, 1);
	fset(KMEMU_FAULT_EVERY_NTH, 0, 1, 0, 0, 0);
	fset(KMEMU_FAULT_OFF, 0, 0, 0, 0, 0);
	assert_status(kmemu_fault_set(NULL), STATUS_SUCCESS);
	pattern(p, 3, KMEMU_FAULT_HEAP);
	assert_string_equal(p, "000");
	assert_stats(0, 0);  /* off: nothing is even counted */
}

static void test_fault_nth(void **state)
{
	char p[16];

	(void)state;
	fset(KMEMU_FAULT_NTH, KMEMU_FAULT_HEAP, 2, 1, 0, 0);
	pattern(p, 8, KMEMU_FAULT_HEAP);
	assert_string_equal(p, "00110000");
	assert_stats(8, 2);
	fset(KMEMU_FAULT_NTH, KMEMU_FAULT_HEAP, 0, 0, 0, 0);
	pattern(p, 4, KMEMU_FAULT_HEAP);
	assert_string_equal(p, "1000");
	assert_stats(4, 1);
	fset(KMEMU_FAULT_NTH, KMEMU_FAULT_HEAP, 3, 4, 0, 0);
	pattern(p, 10, KMEMU_FAULT_HEAP);
	assert_string_equal(p, "0001111100");
	assert_stats(10, 5);
}

static void test_fault_every_nth(void **state)
{
	char p[16];

	(void)state;
	fset(KMEMU_FAULT_EVERY_NTH, KMEMU_FAULT_HEAP, 3, 0, 0, 0);
	pattern(p, 9, KMEMU_FAULT_HEAP);
	assert_string_equal(p, "001001001");
	assert_stats(9, 3);
	fset(KMEMU_FAULT_EVERY_NTH, KMEMU_FAULT_HEAP, 1, 0, 0, 0);
	pattern(p, 5, KMEMU_FAULT_HEAP);
	assert_string_equal(p, "11111");
	assert_stats(5, 5);
}

static void test_fault_random(void **state)
{
	enum { N = 2000 };
	char *a = malloc(N + 1), *b = malloc(N + 1), *c = malloc(N + 1);
	unsigned ones = 0;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	fset(KMEMU_FAULT_RANDOM, KMEMU_FAULT_HEAP, 0, 0, 300000, 7);
	pattern(a, N, KMEMU_FAULT_HEAP);
	fset(KMEMU_FAULT_RANDOM, KMEMU_FAULT_HEAP, 0, 0, 300000, 7);
	pattern(b, N, KMEMU_FAULT_HEAP);
	fset(KMEMU_FAULT_RANDOM, KMEMU_FAULT_HEAP, 0, 0, 300000, 8);
	pattern(c, N, KMEMU_FAULT_HEAP);
	assert_string_equal(a, b);            /* same seed, same failures */
	assert_string_not_equal(a, c);        /* another seed, others */
	for (unsigned i = 0; i < N; i++)
		ones += a[i] == '1';
	if (ones < 450 || ones > 750) {
		print_error("%u of %u failed at 30%%\n", ones, N);
		fail();
	}
	fset(KMEMU_FAULT_RANDOM, KMEMU_FAULT_HEAP, 0, 0, 0, 7);
	pattern(a, 100, KMEMU_FAULT_HEAP);
	assert_null(strchr(a, '1'));
	assert_stats(100, 0);
	fset(KMEMU_FAULT_RANDOM, KMEMU_FAULT_HEAP, 0, 0, 1000000, 7);
	pattern(a, 100, KMEMU_FAULT_HEAP);
	assert_null(strchr(a, '0'));
	assert_stats(100, 100);
	free(a);
	free(b);
	free(c);
}

static void test_fault_resource_mask(void **state)
{
	(void)state;
	fset(KMEMU_FAULT_EVERY_NTH, KMEMU_FAULT_FRAMES | KMEMU_FAULT_HANDLES, 1, 0, 0, 0);
	assert_false(kmemu__fault_should_fail(KMEMU_FAULT_HEAP));
	assert_false(kmemu__fault_should_fail(KMEMU_FAULT_SYSCALLS));
	assert_stats(0, 0);  /* other resources are not counted */
	assert_true(kmemu__fault_should_fail(KMEMU_FAULT_FRAMES));
	assert_true(kmemu__fault_should_fail(KMEMU_FAULT_HANDLES));
	assert_stats(2, 2);
	/* 0 means every resource */
	fset(KMEMU_FAULT_EVERY_NTH, 0, 1, 0, 0, 0);
	assert_true(kmemu__fault_should_fail(KMEMU_FAULT_HEAP));
	assert_true(kmemu__fault_should_fail(KMEMU_FAULT_FRAMES));
	assert_true(kmemu__fault_should_fail(KMEMU_FAULT_HANDLES));
	assert_true(kmemu__fault_should_fail(KMEMU_FAULT_SYSCALLS));
	assert_stats(4, 4);
	/* NTH counts only the selected resources */
	fset(KMEMU_FAULT_NTH, KMEMU_FAULT_SYSCALLS, 1, 0, 0, 0);
	assert_false(kmemu__fault_should_fail(KMEMU_FAULT_HEAP));
	assert_false(kmemu__fault_should_fail(KMEMU_FAULT_SYSCALLS));
	assert_false(kmemu__fault_should_fail(KMEMU_FAULT_HEAP));
	assert_true(kmemu__fault_should_fail(KMEMU_FAULT_SYSCALLS));
	assert_stats(2, 1);
}

static void test_fault_stats_reset(void **state)
{
	(void)state;
	fset(KMEMU_FAULT_EVERY_NTH, KMEMU_FAULT_HEAP, 2, 0, 0, 0);
	for (int i = 0; i < 6; i++)
		kmemu__fault_should_fail(KMEMU_FAULT_HEAP);
	assert_stats(6, 3);
	kmemu_fault_get_stats(NULL);  /* ignored */
	fset(KMEMU_FAULT_EVERY_NTH, KMEMU_FAULT_HEAP, 2, 0, 0, 0);
	assert_stats(0, 0);
	/* the count restarts too: the 2nd acquisition after the reset fails */
	assert_false(kmemu__fault_should_fail(KMEMU_FAULT_HEAP));
	assert_true(kmemu__fault_should_fail(KMEMU_FAULT_HEAP));
	kmemu_fault_set(NULL);
	assert_stats(0, 0);
}

/* ---- the heap choke point ----------------------------------------------------------- */

static void assert_heap(uint64_t blocks, uint64_t bytes)
{
	uint64_t b, n;

	kmemu__heap_stats(&b, &n);
	assert_u64_equal(b, blocks);
	assert_u64_equal(n, bytes);
}

static void test_fault_heap_accounting(void **state)
{
	uint64_t b0, n0;
	uint8_t *p, *q, *r;
	char *s;
	void *z;

	(void)state;
	kmemu__heap_stats(&b0, &n0);
	p = kmemu__malloc(100);
	assert_non_null(p);
	assert_u64_equal((uintptr_t)p % 16, 0);
	assert_heap(b0 + 1, n0 + 100);
	memset(p, 0x11, 100);
	q = kmemu__calloc(10, 30);
	assert_non_null(q);
	for (unsigned i = 0; i < 300; i++)
		assert_int_equal(q[i], 0);
	assert_heap(b0 + 2, n0 + 400);
	p = kmemu__realloc(p, 1000);
	assert_non_null(p);
	assert_int_equal(p[99], 0x11);
	assert_heap(b0 + 2, n0 + 1300);
	p = kmemu__realloc(p, 10);
	assert_non_null(p);
	assert_int_equal(p[9], 0x11);
	assert_heap(b0 + 2, n0 + 310);
	s = kmemu__strdup("hello");
	assert_string_equal(s, "hello");
	assert_heap(b0 + 3, n0 + 316);
	r = kmemu__realloc(NULL, 50);  /* = malloc */
	assert_non_null(r);
	assert_heap(b0 + 4, n0 + 366);
	z = kmemu__malloc(0);          /* a real, freeable block */
	assert_non_null(z);
	assert_heap(b0 + 5, n0 + 366);
	/* impossible sizes fail without touching the counters */
	assert_null(kmemu__calloc(SIZE_MAX / 2, 3));
	assert_null(kmemu__malloc(SIZE_MAX));
	assert_null(kmemu__realloc(r, SIZE_MAX - 8));
	assert_heap(b0 + 5, n0 + 366);
	kmemu__free(NULL);
	kmemu__free(z);
	kmemu__free(r);
	kmemu__free(s);
	kmemu__free(q);
	kmemu__free(p);
	assert_heap(b0, n0);
}

static void test_fault_heap_injected(void **state)
{
	uint64_t b0, n0;
	uint8_t *p;

	(void)state;
	kmemu__heap_stats(&b0, &n0);
	p = kmemu__malloc(64);
	assert_non_null(p);
	p[63] = 0x63;
	fset(KMEMU_FAULT_EVERY_NTH, KMEMU_FAULT_HEAP, 1, 0, 0, 0);
	assert_null(kmemu__malloc(8));
	assert_null(kmemu__calloc(2, 8));
	assert_null(kmemu__strdup("x"));
	assert_null(kmemu__realloc(p, 128));   /* the old block stays valid */
	assert_null(kmemu__realloc(NULL, 8));
	assert_stats(5, 5);
	kmemu_fault_set(NULL);
	assert_int_equal(p[63], 0x63);
	assert_heap(b0 + 1, n0 + 64);
	/* other resources do not touch the heap */
	fset(KMEMU_FAULT_EVERY_NTH, KMEMU_FAULT_FRAMES, 1, 0, 0, 0);
	p = kmemu__realloc(p, 128);
	assert_non_null(p);
	assert_int_equal(p[63], 0x63);
	kmemu_fault_set(NULL);
	kmemu__free(p);
	assert_heap(b0, n0);
}

/* ---- the syscall choke points ------------------------------------------------------- */

static void test_fault_syscalls(void **state)
{
	void *m;
	int fd;

	(void)state;
	fset(KMEMU_FAULT_EVERY_NTH, KMEMU_FAULT_SYSCALLS, 1, 0, 0, 0);
	errno = 0;
	assert_ptr_equal(kmemu__sys_mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
			 MAP_FAILED);
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_int_equal(kmemu__sys_memfd_create("x", MFD_CLOEXEC), -1);
	assert_int_equal(errno, EMFILE);
	errno = 0;
	assert_int_equal(kmemu__sys_ftruncate(0, 4096), -1);
	assert_int_equal(errno, ENOMEM);
	assert_stats(3, 3);
	kmemu_fault_set(NULL);

	/* without faults they work; releasing calls are never failed or counted */
	fd = kmemu__sys_memfd_create("test-fault", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(kmemu__sys_ftruncate(fd, 8192), 0);
	m = kmemu__sys_mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	memset(m, 0x7F, 8192);
	fset(KMEMU_FAULT_EVERY_NTH, KMEMU_FAULT_ALL, 1, 0, 0, 0);
	assert_int_equal(kmemu__sys_punch(fd, 0, 4096), 0);
	assert_int_equal(((uint8_t *)m)[0], 0);
	assert_int_equal(((uint8_t *)m)[4096], 0x7F);
	assert_int_equal(kmemu__sys_munmap(m, 8192), 0);
	assert_int_equal(kmemu__sys_close(fd), 0);
	assert_stats(0, 0);
	kmemu_fault_set(NULL);
}

/* ---- the OOM loop ------------------------------------------------------------------- */

static const uint32_t fail_insufficient[] = { (uint32_t)STATUS_INSUFFICIENT_RESOURCES };

/* Correct: three blocks, all freed on every path. */
static uint32_t op_correct(void *ctx)
{
	void *p[3] = { 0 };
	uint32_t rc = STATUS_SUCCESS;

	(void)ctx;
	for (int i = 0; i < 3 && rc == STATUS_SUCCESS; i++)
		if (!(p[i] = kmemu__malloc(32 + i)))
			rc = (uint32_t)STATUS_INSUFFICIENT_RESOURCES;
	for (int i = 0; i < 3; i++)
		kmemu__free(p[i]);
	return rc;
}

/* Leaky: when the second block fails, the first is kept (in @ctx, so the
 * test can free it afterwards). */
struct leak_ctx {
	void *leaked[8];
	unsigned n;
};

static uint32_t op_leaky(void *ctx)
{
	struct leak_ctx *c = ctx;
	void *a = kmemu__malloc(16), *b;

	if (!a)
		return (uint32_t)STATUS_INSUFFICIENT_RESOURCES;
	b = kmemu__malloc(16);
	if (!b) {
		if (c->n < 8)
			c->leaked[c->n++] = a;  /* "forgotten" */
		return (uint32_t)STATUS_INSUFFICIENT_RESOURCES;
	}
	kmemu__free(b);
	kmemu__free(a);
	return STATUS_SUCCESS;
}

/* Wrong status: reports a heap failure as STATUS_NO_MEMORY. */
static uint32_t op_wrong_status(void *ctx)
{
	void *p = kmemu__malloc(16);

	(void)ctx;
	if (!p)
		return (uint32_t)STATUS_NO_MEMORY;
	kmemu__free(p);
	return STATUS_SUCCESS;
}

/* Fails with no fault at all. */
static uint32_t op_always_fails(void *ctx)
{
	(void)ctx;
	return (uint32_t)STATUS_UNSUCCESSFUL;
}

/* Ten acquisitions: more than a small @max allows. */
static uint32_t op_ten(void *ctx)
{
	(void)ctx;
	for (int i = 0; i < 10; i++) {
		void *p = kmemu__malloc(8);

		if (!p)
			return (uint32_t)STATUS_INSUFFICIENT_RESOURCES;
		kmemu__free(p);
	}
	return STATUS_SUCCESS;
}

static struct kmemu_oom_op make_op(const char *name, uint32_t (*run)(void *), void *ctx)
{
	struct kmemu_oom_op op = {
		.name = name,
		.run = run,
		.ctx = ctx,
		.success = STATUS_SUCCESS,
		.fail_ok = fail_insufficient,
		.n_fail_ok = 1,
		.resources = KMEMU_FAULT_HEAP,
	};
	return op;
}

static void assert_fault_off(void)
{
	assert_false(kmemu__fault_should_fail(KMEMU_FAULT_HEAP));
	assert_stats(0, 0);
}

static void test_fault_oom_loop_correct(void **state)
{
	struct kmemu_oom_op op = make_op("correct", op_correct, NULL);
	struct kmemu_oom_result res;
	kmemu_status rc;
	KT_BEGIN();

	(void)state;
	rc = kmemu_oom_loop(&op, 0, &res);
	if (rc)
		print_error("%s\n", res.message);
	assert_status(rc, STATUS_SUCCESS);
	assert_int_equal(res.ok, 1);
	assert_u64_equal(res.iterations, 4);
	assert_u64_equal(res.failures, 3);
	assert_string_equal(res.message, "");
	assert_fault_off();
	KMEMU_TEST_CLEAN();
}

static void test_fault_oom_loop_leak(void **state)
{
	struct leak_ctx c = { { 0 }, 0 };
	struct kmemu_oom_op op = make_op("leaky op", op_leaky, &c);
	struct kmemu_oom_result res;
	kmemu_status rc;
	KT_BEGIN();

	(void)state;
	rc = kmemu_oom_loop(&op, 0, &res);
	assert_status(rc, STATUS_UNSUCCESSFUL);
	assert_int_equal(res.ok, 0);
	/* N = 0 fails the first block cleanly; N = 1 leaks and stops the loop */
	assert_u64_equal(res.iterations, 2);
	assert_u64_equal(c.n, 1);
	if (!strstr(res.message, "leaked") || !strstr(res.message, "leaky op") ||
	    !strstr(res.message, "acquisition 1")) {
		print_error("message: %s\n", res.message);
		fail();
	}
	assert_fault_off();
	for (unsigned i = 0; i < c.n; i++)
		kmemu__free(c.leaked[i]);
	KMEMU_TEST_CLEAN();
}

static void test_fault_oom_loop_wrong_status(void **state)
{
	static const uint32_t fail_no_memory[] = { (uint32_t)STATUS_NO_MEMORY };
	struct kmemu_oom_op op = make_op("wrong status", op_wrong_status, NULL);
	struct kmemu_oom_result res;
	KT_BEGIN();

	(void)state;
	assert_status(kmemu_oom_loop(&op, 0, &res), STATUS_UNSUCCESSFUL);
	assert_int_equal(res.ok, 0);
	assert_u64_equal(res.iterations, 1);
	if (!strstr(res.message, "not an allowed one") || !strstr(res.message, "0xC0000017")) {
		print_error("message: %s\n", res.message);
		fail();
	}
	/* the same op with its status allowed passes */
	op.fail_ok = fail_no_memory;
	assert_status(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS);
	assert_int_equal(res.ok, 1);
	assert_u64_equal(res.iterations, 2);
	assert_fault_off();
	KMEMU_TEST_CLEAN();
}

static void test_fault_oom_loop_clean_run_fails(void **state)
{
	struct kmemu_oom_op op = make_op("always fails", op_always_fails, NULL);
	struct kmemu_oom_result res;
	KT_BEGIN();

	(void)state;
	/* caught by the warm-up run, before any fault is injected */
	assert_status(kmemu_oom_loop(&op, 0, &res), STATUS_UNSUCCESSFUL);
	assert_int_equal(res.ok, 0);
	assert_u64_equal(res.iterations, 0);
	assert_u64_equal(res.failures, 0);
	if (!strstr(res.message, "warm-up") || !strstr(res.message, "failed")) {
		print_error("message: %s\n", res.message);
		fail();
	}
	KMEMU_TEST_CLEAN();
}

static void test_fault_oom_loop_max(void **state)
{
	struct kmemu_oom_op op = make_op("ten", op_ten, NULL);
	struct kmemu_oom_result res;
	KT_BEGIN();

	(void)state;
	assert_status(kmemu_oom_loop(&op, 5, &res), STATUS_UNSUCCESSFUL);
	assert_int_equal(res.ok, 0);
	assert_u64_equal(res.iterations, 5);
	if (!strstr(res.message, "still faulting")) {
		print_error("message: %s\n", res.message);
		fail();
	}
	assert_status(kmemu_oom_loop(&op, 11, &res), STATUS_SUCCESS);
	assert_u64_equal(res.iterations, 11);
	assert_u64_equal(res.failures, 10);
	assert_fault_off();
	KMEMU_TEST_CLEAN();
}

static void test_fault_oom_loop_invalid(void **state)
{
	struct kmemu_oom_op op = make_op("x", op_correct, NULL), no_run = make_op("y", NULL, NULL);
	struct kmemu_oom_result res;

	(void)state;
	assert_status(kmemu_oom_loop(NULL, 0, &res), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_oom_loop(&op, 0, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_oom_loop(&no_run, 0, &res), STATUS_INVALID_PARAMETER);
}

#define FAULT_TEST(f) cmocka_unit_test_teardown(f, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FAULT_TEST(test_fault_set_invalid),
		FAULT_TEST(test_fault_nth),
		FAULT_TEST(test_fault_every_nth),
		FAULT_TEST(test_fault_random),
		FAULT_TEST(test_fault_resource_mask),
		FAULT_TEST(test_fault_stats_reset),
		FAULT_TEST(test_fault_heap_accounting),
		FAULT_TEST(test_fault_heap_injected),
		FAULT_TEST(test_fault_syscalls),
		FAULT_TEST(test_fault_oom_loop_correct),
		FAULT_TEST(test_fault_oom_loop_leak),
		FAULT_TEST(test_fault_oom_loop_wrong_status),
		FAULT_TEST(test_fault_oom_loop_clean_run_fails),
		FAULT_TEST(test_fault_oom_loop_max),
		FAULT_TEST(test_fault_oom_loop_invalid),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
