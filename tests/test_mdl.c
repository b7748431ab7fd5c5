/* SPDX-License-Identifier: MIT */
/*
 * test_mdl.c - the emulator's locked user ranges (emu/mdl.c through the
 * version-5 slots ->mdl_probe_lock, ->mdl_unlock, ->mdl_revoke): a second
 * kernel mapping of the user frames, pinned frames, every failure status,
 * the fault simulator, and the report a revoked alias raises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <wdm.h>
#include "emu.h"
#include "kmemu_test.h"

static const struct kmemu_backend_ops *ops;
static void *st;

static int setup(void **state)
{
	struct kmemu_backend *b = NULL;

	(void)state;
	if (kt_use_emu(16 * KT_MIB, KMEMU_PLACE_SCATTER, 0) || kmemu_backend_current(&b))
		return -1;
	ops = kmemu_backend_ops_of(b, &st);
	return ops->version >= 5 && (kmemu_backend_caps(b) & KMEMU_CAP_WDF) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return kt_close_backend();
}

static WD_KERNEL_BUFFER *alloc(uint64_t bytes)
{
	WD_KERNEL_BUFFER *kb = NULL;

	assert_wd(WDS_SharedBufferAlloc(bytes, KER_BUF_ALLOC_NON_CONTIG, &kb), WD_STATUS_SUCCESS);
	return kb;
}

/* The alias is a different address over the same frames: each side sees the
 * other's writes; unlocking gives every resource back. */
static void test_mdl_alias(void **state)
{
	WD_KERNEL_BUFFER *kb = alloc(3 * KT_PAGE);
	uint8_t *u = (uint8_t *)(uintptr_t)kb->pUserAddr;
	void *alias = NULL, *lock = NULL;
	uint64_t pu, pk;
	kmemu_pid me;
	KT_BEGIN();

	(void)state;
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)u + 100, 2 * KT_PAGE, 1, &alias, &lock),
		      STATUS_SUCCESS);
	assert_ptr_not_equal(alias, u + 100);
	assert_u64_equal((uintptr_t)alias & (KT_PAGE - 1), 100);
	memset(alias, 0x5A, 2 * KT_PAGE);
	assert_int_equal(u[100], 0x5A);
	assert_int_equal(u[100 + 2 * KT_PAGE - 1], 0x5A);
	assert_int_equal(u[99], 0);
	u[200] = 7;
	assert_int_equal(((uint8_t *)alias)[100], 7);
	/* one frame behind both addresses */
	assert_status(kmemu_process_current(&me), STATUS_SUCCESS);
	assert_status(kmemu_virt_to_phys(me, u + KT_PAGE, &pu), STATUS_SUCCESS);
	assert_status(kmemu_virt_to_phys(0, (uint8_t *)alias + KT_PAGE - 100, &pk), STATUS_SUCCESS);
	assert_u64_equal(pk, pu);
	pk = 0;
	assert_status(kmemu_kernel_read((uintptr_t)alias + KT_PAGE, &pk, 1), STATUS_SUCCESS);
	assert_int_equal((uint8_t)pk, 0x5A);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

/* Freeing the buffer under a lock leaves the alias and its data valid and
 * the frames allocated; the unlock frees them. */
static void test_mdl_pins_frames(void **state)
{
	struct kmemu_stats s0, s1, s2;
	WD_KERNEL_BUFFER *kb;
	void *alias = NULL, *lock = NULL;
	KT_BEGIN();

	(void)state;
	kb = alloc(2 * KT_PAGE);
	memset((void *)(uintptr_t)kb->pUserAddr, 0x33, 2 * KT_PAGE);
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 2 * KT_PAGE, 0, &alias, &lock),
		      STATUS_SUCCESS);
	assert_status(kmemu_stats_get(&s0), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	assert_status(kmemu_stats_get(&s1), STATUS_SUCCESS);
	assert_u64_equal(s1.frames_used, s0.frames_used);
	assert_int_equal(((uint8_t *)alias)[2 * KT_PAGE - 1], 0x33);
	((uint8_t *)alias)[0] = 1;
	assert_status(kmemu_check(NULL), STATUS_SUCCESS);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_status(kmemu_stats_get(&s2), STATUS_SUCCESS);
	assert_u64_equal(s2.frames_used, s0.frames_used - 2);
	KMEMU_TEST_CLEAN();
}

/* Every failure status, with outputs untouched. */
static void test_mdl_failures(void **state)
{
	WD_KERNEL_BUFFER *kb = alloc(KT_PAGE);
	uint64_t u = kb->pUserAddr;
	void *alias = (void *)1, *lock = (void *)2;
	LARGE_INTEGER li = { .QuadPart = 2 * KT_PAGE };
	HANDLE s = NULL;
	PVOID v = NULL, na = NULL, nc = NULL;
	SIZE_T z = 0;

	(void)state;
	assert_status(ZwCreateSection(&s, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
		      STATUS_SUCCESS);
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &v, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READONLY),
		      STATUS_SUCCESS);
	z = 0;
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &na, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_NOACCESS),
		      STATUS_SUCCESS);
	z = 0;
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &nc, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE | PAGE_NOCACHE),
		      STATUS_SUCCESS);
	KT_BEGIN();
	/* unmapped: the guard page after the buffer, and the page before */
	assert_status(ops->mdl_probe_lock(st, u, KT_PAGE + 1, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_status(ops->mdl_probe_lock(st, u - 1, 2, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	/* kernel space: the buffer's kernel address, and above the user range */
	assert_status(ops->mdl_probe_lock(st, kb->pKernelAddr, 1, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_status(ops->mdl_probe_lock(st, 0xFFFF800000000000ull, 1, 0, &alias, &lock),
		      STATUS_ACCESS_VIOLATION);
	assert_status(ops->mdl_probe_lock(st, 0x7FFFFFFEFFFFull, 2, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	/* wrap */
	assert_status(ops->mdl_probe_lock(st, u, SIZE_MAX, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	/* NULL page */
	assert_status(ops->mdl_probe_lock(st, 0, 1, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	/* read-only view: a read lock works, a write lock does not */
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)v, 10, 1, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_ptr_equal(alias, (void *)1);
	assert_ptr_equal(lock, (void *)2);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)v, 10, 0, &alias, &lock), STATUS_SUCCESS);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	/* no access at all: not even a read lock; a cache modifier does not count */
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)na, 1, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)nc, 8, 1, &alias, &lock), STATUS_SUCCESS);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	/* a stale lock, and NULL */
	assert_status(ops->mdl_unlock(st, lock), STATUS_INVALID_PARAMETER);
	assert_status(ops->mdl_unlock(st, NULL), STATUS_INVALID_PARAMETER);
	KMEMU_TEST_CLEAN();
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), na), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), nc), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), v), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

/* A lock is of the current process: another process's address fails there,
 * and a lock survives its process's exit. */
static void test_mdl_current_process(void **state)
{
	WD_KERNEL_BUFFER *kb;
	kmemu_pid pid, old;
	void *alias = NULL, *lock = NULL;
	uint64_t u;
	KT_BEGIN();

	(void)state;
	assert_status(kmemu_process_create("b", &pid), STATUS_SUCCESS);
	assert_status(kmemu_process_attach(pid, &old), STATUS_SUCCESS);
	kb = alloc(KT_PAGE);
	u = kb->pUserAddr;
	((uint8_t *)(uintptr_t)u)[5] = 9;
	assert_status(kmemu_process_attach(old, NULL), STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, u, 10, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_process_attach(pid, NULL), STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, u, 10, 1, &alias, &lock), STATUS_SUCCESS);
	assert_status(kmemu_process_attach(old, NULL), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(pid), STATUS_SUCCESS);
	assert_int_equal(((uint8_t *)alias)[5], 9);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

struct lock_ctx {
	uint64_t uaddr;
	size_t len;
};

static uint32_t lock_unlock(void *ctx)
{
	struct lock_ctx *c = ctx;
	void *alias, *lock;
	kmemu_status rc = ops->mdl_probe_lock(st, c->uaddr, c->len, 1, &alias, &lock);

	if (rc == STATUS_SUCCESS)
		rc = ops->mdl_unlock(st, lock);
	return rc;
}

/* Every acquisition of a lock can fail: INSUFFICIENT_RESOURCES, nothing left. */
static void test_mdl_oom(void **state)
{
	static const uint32_t ok[] = { STATUS_INSUFFICIENT_RESOURCES };
	WD_KERNEL_BUFFER *kb = alloc(8 * KT_PAGE);
	struct lock_ctx c = { kb->pUserAddr + 1, 8 * KT_PAGE - 2 };
	struct kmemu_oom_op op = { "mdl_probe_lock", lock_unlock, &c, 0, ok, 1, 0 };
	struct kmemu_oom_result res;

	(void)state;
	assert_status(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS);
	if (!res.ok)
		print_error("%s\n", res.message);
	assert_true(res.ok);
	assert_true(res.failures > 0);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

struct touch_ctx {
	volatile uint8_t *p;
};

static void touch(void *arg)
{
	struct touch_ctx *t = arg;

	t->p[0] = 0x77;
}

static unsigned n_reported;
static struct kmemu_bugcheck_report last_report;

static void count_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	n_reported++;
	last_report = *r;
}

/* A revoked alias reports on touch (caught), and with a handler that returns
 * the access completes; a second revoke and a stale lock are refused. */
static void test_mdl_revoke(void **state)
{
	static const struct kmemu_mdl_report rep = { 0xC4, 0x91001, 0x1234, 0x5678, "test", "rule" };
	WD_KERNEL_BUFFER *kb = alloc(KT_PAGE);
	struct kmemu_bugcheck_report r;
	void *alias = NULL, *lock = NULL;
	struct touch_ctx t;
	KT_BEGIN();

	(void)state;
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr + 16, 32, 1, &alias, &lock), STATUS_SUCCESS);
	assert_status(ops->mdl_revoke(st, lock, &rep), STATUS_SUCCESS);
	assert_status(ops->mdl_revoke(st, lock, &rep), STATUS_INVALID_PARAMETER);
	t.p = (uint8_t *)alias + 3;
	VALGRIND_DISABLE_ERROR_REPORTING;
	assert_int_equal(kmemu_bugcheck_catch(touch, &t, &r), 1);
	VALGRIND_ENABLE_ERROR_REPORTING;
	assert_int_equal(r.code, 0xC4);
	assert_u64_equal(r.param[0], 0x91001);
	assert_u64_equal(r.param[1], 0x1234);
	assert_u64_equal(r.param[2], (uintptr_t)alias + 3);
	assert_u64_equal(r.param[3], 0x5678);
	assert_string_equal(r.detail, "rule");
	/* the user side never faults */
	assert_int_equal(((uint8_t *)(uintptr_t)kb->pUserAddr)[19], 0);
	kmemu_bugcheck_set_handler(count_handler, NULL);
	n_reported = 0;
	VALGRIND_DISABLE_ERROR_REPORTING;
	touch(&t);
	VALGRIND_ENABLE_ERROR_REPORTING;
	kmemu_bugcheck_set_handler(NULL, NULL);
	assert_int_equal(n_reported, 1);
	assert_u64_equal(last_report.param[2], (uintptr_t)alias + 3);
	/* valgrind does not replay a store its signal handler let through */
#ifdef RUNNING_ON_VALGRIND
	if (!RUNNING_ON_VALGRIND)
#endif
		assert_int_equal(((uint8_t *)(uintptr_t)kb->pUserAddr)[19], 0x77);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_status(ops->mdl_revoke(st, lock, &rep), STATUS_INVALID_PARAMETER);
	KMEMU_TEST_CLEAN();
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

/* Unlocking a revoked lock keeps its range reported: a touch after the
 * pages went is the report, not a crash; once a handler let one touch
 * through, the range stops reporting. */
static void test_mdl_revoked_after_unlock(void **state)
{
	static const struct kmemu_mdl_report rep = { 0xC4, 0x91002, 0, 0, "test", "gone" };
	WD_KERNEL_BUFFER *kb = alloc(KT_PAGE);
	struct kmemu_bugcheck_report r;
	void *alias = NULL, *lock = NULL;
	struct touch_ctx t;
	KT_BEGIN();

	(void)state;
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 8, 1, &alias, &lock), STATUS_SUCCESS);
	assert_status(ops->mdl_revoke(st, lock, &rep), STATUS_SUCCESS);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	t.p = alias;
	VALGRIND_DISABLE_ERROR_REPORTING;
	assert_int_equal(kmemu_bugcheck_catch(touch, &t, &r), 1);
	VALGRIND_ENABLE_ERROR_REPORTING;
	assert_u64_equal(r.param[0], 0x91002);
	assert_string_equal(r.detail, "gone");
	kmemu_bugcheck_set_handler(count_handler, NULL);
	n_reported = 0;
	VALGRIND_DISABLE_ERROR_REPORTING;
	touch(&t);
	VALGRIND_ENABLE_ERROR_REPORTING;
	kmemu_bugcheck_set_handler(NULL, NULL);
	assert_int_equal(n_reported, 1);
	/* the user buffer never saw the write */
	assert_int_equal(((uint8_t *)(uintptr_t)kb->pUserAddr)[0], 0);
	KMEMU_TEST_CLEAN();
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

/* Every report slot held by a live revoked lock: the next revoke fails with
 * STATUS_INSUFFICIENT_RESOURCES and leaves that alias accessible; unlocked
 * (quarantined) slots are reused. */
static void test_mdl_revoke_slots_full(void **state)
{
	enum { N = 257 };
	static const struct kmemu_mdl_report rep = { 0xC4, 1, 0, 0, "test", "full" };
	static void *locks[N];
	WD_KERNEL_BUFFER *kb = alloc(KT_PAGE);
	void *alias = NULL;
	unsigned i;
	kmemu_status rc = STATUS_SUCCESS;

	(void)state;
	for (i = 0; i < N && rc == STATUS_SUCCESS; i++) {
		assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 1, 1, &alias, &locks[i]),
			      STATUS_SUCCESS);
		rc = ops->mdl_revoke(st, locks[i], &rep);
	}
	assert_status(rc, STATUS_INSUFFICIENT_RESOURCES);
	assert_true(i > 1);
	((volatile uint8_t *)alias)[0] = 5;  /* the last alias was not revoked */
	assert_status(ops->mdl_unlock(st, locks[0]), STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 1, 1, &alias, &locks[0]), STATUS_SUCCESS);
	assert_status(ops->mdl_revoke(st, locks[0], &rep), STATUS_SUCCESS);
	while (i--)
		assert_status(ops->mdl_unlock(st, locks[i]), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

/* The machine closing with locks held releases them (valgrind sees no leak). */
static void test_mdl_close_with_locks(void **state)
{
	WD_KERNEL_BUFFER *kb = alloc(KT_PAGE);
	void *alias = NULL, *lock = NULL;

	(void)state;
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 1, 1, &alias, &lock), STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 1, 0, &alias, &lock), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

#define MDL_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		MDL_TEST(test_mdl_alias),
		MDL_TEST(test_mdl_pins_frames),
		MDL_TEST(test_mdl_failures),
		MDL_TEST(test_mdl_current_process),
		MDL_TEST(test_mdl_oom),
		MDL_TEST(test_mdl_revoke),
		MDL_TEST(test_mdl_revoked_after_unlock),
		MDL_TEST(test_mdl_revoke_slots_full),
		MDL_TEST(test_mdl_close_with_locks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
