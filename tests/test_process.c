/* SPDX-License-Identifier: MIT */
/*
 * test_process.c - unit tests of emulated processes (emu/process.c) through
 * the public control API: kmemu_process_create / attach / current / destroy.
 *
 * The group setup opens a fresh emulator (64 MiB RAM).  Every test starts
 * and ends with the calling thread in the initial process, and ends with
 * KMEMU_TEST_CLEAN(): invariants hold and no frame, handle, heap block,
 * process or mapping is left behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <string.h>
#include <cmocka.h>
#include <kmemu/kmemu.h>
#include <wds_lib.h>
#include "kmemu_test.h"

static kmemu_pid initial_pid;

static int group_setup(void **state)
{
	(void)state;
	if (kt_use_emu(64 * KT_MIB, KMEMU_PLACE_DEFAULT, 0))
		return -1;
	return kmemu_process_current(&initial_pid) == STATUS_SUCCESS ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return kt_close_backend();
}

static kmemu_pid pcreate(const char *name)
{
	kmemu_pid pid = 0;

	assert_status(kmemu_process_create(name, &pid), STATUS_SUCCESS);
	assert_int_not_equal(pid, 0);
	return pid;
}

static kmemu_pid pcurrent(void)
{
	kmemu_pid pid = 0;

	assert_status(kmemu_process_current(&pid), STATUS_SUCCESS);
	return pid;
}

static void pattach(kmemu_pid pid)
{
	assert_status(kmemu_process_attach(pid, NULL), STATUS_SUCCESS);
	assert_u64_equal(pcurrent(), pid);
}

/* ---- create, attach, destroy ------------------------------------------------------ */

static void test_process_create(void **state)
{
	struct kmemu_stats st;
	kmemu_pid a, b, c, d;
	KT_BEGIN();

	(void)state;
	assert_u64_equal(initial_pid % 4, 0);
	assert_int_not_equal(initial_pid, 0);
	assert_status(kmemu_process_create("x", NULL), STATUS_INVALID_PARAMETER);
	a = pcreate("a");
	b = pcreate("b");
	c = pcreate(NULL);
	assert_u64_equal(a % 4, 0);
	assert_u64_equal(b % 4, 0);
	assert_u64_equal(c % 4, 0);
	assert_true(a != initial_pid && b != a && c != b && c != a);
	/* creating does not attach */
	assert_u64_equal(pcurrent(), initial_pid);
	kt_snapshot(&st);
	assert_u64_equal(st.processes, kt_base_.processes + 3);
	assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
	/* pids are never reused */
	d = pcreate("d");
	assert_true(d != a && d != b && d != c && d != initial_pid);
	assert_status(kmemu_process_destroy(a), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(c), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(d), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

static void test_process_attach_current(void **state)
{
	kmemu_pid a, b, old = 0;
	KT_BEGIN();

	(void)state;
	assert_status(kmemu_process_current(NULL), STATUS_INVALID_PARAMETER);
	a = pcreate("a");
	b = pcreate("b");
	assert_status(kmemu_process_attach(0, &old), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_process_attach(a + 1000 * 4, &old), STATUS_INVALID_PARAMETER);
	assert_u64_equal(old, 0);  /* untouched on failure */
	assert_u64_equal(pcurrent(), initial_pid);
	assert_status(kmemu_process_attach(a, &old), STATUS_SUCCESS);
	assert_u64_equal(old, initial_pid);
	assert_u64_equal(pcurrent(), a);
	assert_status(kmemu_process_attach(b, &old), STATUS_SUCCESS);
	assert_u64_equal(old, a);
	assert_u64_equal(pcurrent(), b);
	assert_status(kmemu_process_attach(b, &old), STATUS_SUCCESS);  /* again: no change */
	assert_u64_equal(old, b);
	assert_status(kmemu_process_attach(initial_pid, NULL), STATUS_SUCCESS);
	assert_u64_equal(pcurrent(), initial_pid);
	assert_status(kmemu_process_destroy(a), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

static void test_process_destroy_statuses(void **state)
{
	kmemu_pid a;
	KT_BEGIN();

	(void)state;
	assert_status(kmemu_process_destroy(initial_pid), STATUS_ACCESS_DENIED);
	assert_status(kmemu_process_destroy(0), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_process_destroy(0xFFFFFFFCu), STATUS_INVALID_PARAMETER);
	a = pcreate("a");
	assert_status(kmemu_process_destroy(a + 1), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_process_destroy(a), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(a), STATUS_INVALID_PARAMETER);   /* gone */
	assert_status(kmemu_process_attach(a, NULL), STATUS_INVALID_PARAMETER);
	assert_u64_equal(pcurrent(), initial_pid);
	KMEMU_TEST_CLEAN();
}

/* ---- attachment is per thread ------------------------------------------------------- */

struct thread_ctx {
	kmemu_pid attach_to;       /* process the thread attaches to */
	kmemu_pid seen_at_start;   /* its current process before attaching */
	kmemu_pid seen_attached;   /* after attaching */
	kmemu_pid seen_after;      /* after the main thread's step */
	kmemu_status rc;           /* attach status */
	pthread_barrier_t *barrier;  /* NULL: no second phase */
};

static void *thread_main(void *arg)
{
	struct thread_ctx *c = arg;

	kmemu_process_current(&c->seen_at_start);
	c->rc = kmemu_process_attach(c->attach_to, NULL);
	kmemu_process_current(&c->seen_attached);
	if (c->barrier) {
		pthread_barrier_wait(c->barrier);  /* attached */
		pthread_barrier_wait(c->barrier);  /* main thread did its step */
		kmemu_process_current(&c->seen_after);
	}
	return NULL;
}

static void test_process_attach_per_thread(void **state)
{
	struct thread_ctx c = { 0 };
	pthread_t th;
	kmemu_pid a, b;
	KT_BEGIN();

	(void)state;
	a = pcreate("a");
	b = pcreate("b");
	pattach(a);
	c.attach_to = b;
	assert_int_equal(pthread_create(&th, NULL, thread_main, &c), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	/* a new thread starts in the initial process, not in its creator's */
	assert_u64_equal(c.seen_at_start, initial_pid);
	assert_status(c.rc, STATUS_SUCCESS);
	assert_u64_equal(c.seen_attached, b);
	/* and its attaching does not move this thread */
	assert_u64_equal(pcurrent(), a);
	pattach(initial_pid);
	assert_status(kmemu_process_destroy(a), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* Destroying the process a thread is attached to puts that thread (this one
 * or another) back in the initial process. */
static void test_process_destroy_attached_falls_back(void **state)
{
	pthread_barrier_t barrier;
	struct thread_ctx c = { 0 };
	pthread_t th;
	kmemu_pid a, b;
	KT_BEGIN();

	(void)state;
	a = pcreate("a");
	pattach(a);
	assert_status(kmemu_process_destroy(a), STATUS_SUCCESS);
	assert_u64_equal(pcurrent(), initial_pid);

	b = pcreate("b");
	assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
	c.attach_to = b;
	c.barrier = &barrier;
	assert_int_equal(pthread_create(&th, NULL, thread_main, &c), 0);
	pthread_barrier_wait(&barrier);
	assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
	pthread_barrier_wait(&barrier);
	assert_int_equal(pthread_join(th, NULL), 0);
	pthread_barrier_destroy(&barrier);
	assert_u64_equal(c.seen_attached, b);
	assert_u64_equal(c.seen_after, initial_pid);
	KMEMU_TEST_CLEAN();
}

/* ---- process exit releases shared buffers ------------------------------------------- */

static void test_process_destroy_releases_wds(void **state)
{
	struct kmemu_stats s_alloc, s_get, s_destroyed, s_end;
	WD_KERNEL_BUFFER *ka = NULL, *kb = NULL, *none = NULL;
	uint8_t buf[3 * 4096];
	uint64_t phys, ua;
	kmemu_pid a, b;
	DWORD h;
	KT_BEGIN();

	(void)state;
	a = pcreate("allocator");
	b = pcreate("getter");
	pattach(a);
	assert_wd(WDS_SharedBufferAlloc(3 * 4096, KER_BUF_ALLOC_CONTIG, &ka), WD_STATUS_SUCCESS);
	memset((void *)ka->pUserAddr, 0x5C, 3 * 4096);
	h = WDS_SharedBufferGetGlobalHandle(ka);
	kt_snapshot(&s_alloc);
	pattach(b);
	assert_wd(WDS_SharedBufferGet(h, &kb), WD_STATUS_SUCCESS);
	kt_snapshot(&s_get);
	pattach(initial_pid);

	/* A exits holding its buffer: B's holding keeps the frames and mapping.
	 * A's description dies with A (ka must not be read afterwards). */
	ua = ka->pUserAddr;
	assert_status(kmemu_process_destroy(a), STATUS_SUCCESS);
	kt_snapshot(&s_destroyed);
	assert_u64_equal(s_destroyed.frames_used, s_get.frames_used);
	assert_u64_equal(s_destroyed.wds_buffers, s_get.wds_buffers);
	assert_u64_equal(s_destroyed.mappings, s_get.mappings - 1);
	assert_u64_equal(s_destroyed.processes, s_get.processes - 1);
	assert_u64_equal(s_destroyed.handles_used, s_get.handles_used);
	assert_int_equal(((const uint8_t *)kb->pUserAddr)[3 * 4096 - 1], 0x5C);
	assert_status(kmemu_user_read(b, kb->pUserAddr, buf, sizeof(buf)), STATUS_SUCCESS);
	for (unsigned i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x5C);
	assert_status(kmemu_virt_to_phys(a, (void *)ua, &phys), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_virt_to_phys(b, (void *)kb->pUserAddr, &phys), STATUS_SUCCESS);
	/* B still frees normally; then the frames go */
	pattach(b);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	pattach(initial_pid);
	assert_wd(WDS_SharedBufferGet(h, &none), WD_INVALID_HANDLE);
	(void)s_alloc;

	/* the sole holder exits: the buffer dies with it */
	pattach(b);
	assert_wd(WDS_SharedBufferAlloc(5000, KER_BUF_ALLOC_NON_CONTIG, &kb), WD_STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(1, KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_CACHED, &ka),
		  WD_STATUS_SUCCESS);
	h = WDS_SharedBufferGetGlobalHandle(kb);
	assert_wd(WDS_SharedBufferGet(h, &none), WD_STATUS_SUCCESS);  /* a second holding in B */
	pattach(initial_pid);
	assert_status(kmemu_process_destroy(b), STATUS_SUCCESS);
	kt_snapshot(&s_end);
	assert_u64_equal(s_end.wds_buffers, kt_base_.wds_buffers);
	assert_u64_equal(s_end.frames_used, kt_base_.frames_used);
	none = (WD_KERNEL_BUFFER *)&buf;
	assert_wd(WDS_SharedBufferGet(h, &none), WD_INVALID_HANDLE);
	assert_null(none);
	KMEMU_TEST_CLEAN();
}

/* User-space access by pid: 0 means the calling thread's process. */
static void test_process_user_access(void **state)
{
	WD_KERNEL_BUFFER *kb = NULL;
	uint8_t out[16] = { 0 };
	kmemu_pid a;
	KT_BEGIN();

	(void)state;
	a = pcreate("a");
	pattach(a);
	assert_wd(WDS_SharedBufferAlloc(4096, KER_BUF_ALLOC_CONTIG, &kb), WD_STATUS_SUCCESS);
	assert_status(kmemu_user_write(0, kb->pUserAddr + 8, "attached", 8), STATUS_SUCCESS);
	pattach(initial_pid);
	assert_status(kmemu_user_read(a, kb->pUserAddr + 8, out, 8), STATUS_SUCCESS);
	assert_memory_equal(out, "attached", 8);
	/* the initial process has nothing mapped there */
	assert_status(kmemu_user_read(0, kb->pUserAddr, out, 8), STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_user_read(a, kb->pUserAddr + 4090, out, 16), STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_user_read(a + 400, kb->pUserAddr, out, 8), STATUS_INVALID_PARAMETER);
	pattach(a);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	pattach(initial_pid);
	assert_status(kmemu_process_destroy(a), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* ---- out of memory ----------------------------------------------------------------- */

static uint32_t op_create_destroy(void *ctx)
{
	kmemu_pid pid;
	kmemu_status rc = kmemu_process_create(ctx, &pid);

	if (rc)
		return (uint32_t)rc;
	return (uint32_t)kmemu_process_destroy(pid);
}

static void test_process_oom_create(void **state)
{
	static const uint32_t fail_ok[] = { (uint32_t)STATUS_INSUFFICIENT_RESOURCES };
	struct kmemu_oom_op op = {
		.name = "process create+destroy",
		.run = op_create_destroy,
		.ctx = "oom",
		.success = STATUS_SUCCESS,
		.fail_ok = fail_ok,
		.n_fail_ok = 1,
	};
	struct kmemu_oom_result res;
	kmemu_status rc;
	KT_BEGIN();

	(void)state;
	rc = kmemu_oom_loop(&op, 0, &res);
	if (rc != STATUS_SUCCESS)
		print_error("%s\n", res.message);
	assert_status(rc, STATUS_SUCCESS);
	assert_true(res.ok);
	/* heap for the process, its name, and the user-space reservation */
	assert_true(res.failures >= 3);
	assert_u64_equal(res.iterations, res.failures + 1);
	KMEMU_TEST_CLEAN();
}

/* ---- attachments do not outlive their machine --------------------------------------- */

/* A thread attached to a process of a machine that was closed must not find
 * itself in a process of a later machine that happens to reuse the pid (and
 * the address of the old machine's state). */
static void test_process_attachment_dies_with_machine(void **state)
{
	kmemu_pid a, fresh;

	(void)state;
	a = pcreate("old machine");
	pattach(a);
	assert_int_equal(kt_use_emu(64 * KT_MIB, KMEMU_PLACE_DEFAULT, 0), 0);
	assert_u64_equal(pcurrent(), initial_pid);
	assert_int_equal(kt_use_emu(64 * KT_MIB, KMEMU_PLACE_DEFAULT, 0), 0);
	assert_u64_equal(pcurrent(), initial_pid);
	{
		KT_BEGIN();

		/* pids are not reused within a machine: create until the new
		 * machine hands out the pid this thread was attached to */
		do {
			fresh = pcreate("new machine");
			if (fresh < a)
				assert_status(kmemu_process_destroy(fresh), STATUS_SUCCESS);
		} while (fresh < a);
		assert_u64_equal(fresh, a);  /* the same pid, in another machine */
		assert_u64_equal(pcurrent(), initial_pid);
		assert_status(kmemu_process_destroy(fresh), STATUS_SUCCESS);
		KMEMU_TEST_CLEAN();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process_create),
		cmocka_unit_test(test_process_attach_current),
		cmocka_unit_test(test_process_destroy_statuses),
		cmocka_unit_test(test_process_attach_per_thread),
		cmocka_unit_test(test_process_destroy_attached_falls_back),
		cmocka_unit_test(test_process_destroy_releases_wds),
		cmocka_unit_test(test_process_user_access),
		cmocka_unit_test(test_process_oom_create),
		cmocka_unit_test(test_process_attachment_dies_with_machine),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
