/* SPDX-License-Identifier: MIT */
/*
 * test_bugcheck.c - unit tests of bug checks and IRQL (api/bugcheck.c and the
 * emulator's per-thread IRQL in emu/machine.c).
 *
 * A bug check goes, in order, to the innermost kmemu_bugcheck_catch() of the
 * calling thread, else to the handler installed with
 * kmemu_bugcheck_set_handler() (which may return: the raising API then fails
 * cleanly), else to the default handler, which prints the report and aborts.
 * The default handler is tested in fork()ed children expecting SIGABRT.
 *
 * Every test leaves the thread at PASSIVE_LEVEL with the default handler.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <kmemu/kmemu.h>
#include <wdm.h>
#include "kmemu_test.h"

static int group_setup(void **state)
{
	(void)state;
	return kt_use_emu(64 * KT_MIB, KMEMU_PLACE_DEFAULT, 0);
}

static int group_teardown(void **state)
{
	(void)state;
	kmemu_bugcheck_set_handler(NULL, NULL);
	return kt_close_backend();
}

/* Back to PASSIVE_LEVEL and the default handler, whatever a test did. */
static int test_teardown(void **state)
{
	(void)state;
	kmemu_bugcheck_set_handler(NULL, NULL);
	kmemu_irql_set(PASSIVE_LEVEL, NULL);
	return 0;
}

static void set_irql(uint8_t irql)
{
	assert_status(kmemu_irql_set(irql, NULL), STATUS_SUCCESS);
	assert_int_equal(KeGetCurrentIrql(), irql);
}

static void assert_report(const struct kmemu_bugcheck_report *r, uint32_t code, uintptr_t p1,
			  uintptr_t p2, uintptr_t p3, uintptr_t p4, const char *name,
			  const char *function)
{
	assert_int_equal(r->code, code);
	assert_int_equal(r->param[0], p1);
	assert_int_equal(r->param[1], p2);
	assert_int_equal(r->param[2], p3);
	assert_int_equal(r->param[3], p4);
	assert_non_null(r->name);
	assert_string_equal(r->name, name);
	assert_non_null(r->function);
	assert_string_equal(r->function, function);
	assert_non_null(r->detail);
}

/* ---- functions run under kmemu_bugcheck_catch() -------------------------------- */

struct raise_ctx {
	KIRQL to;         /* level to raise or lower to */
	KIRQL old;        /* KeRaiseIrql's *OldIrql */
	int returned;     /* the call returned */
};

static void do_raise(void *arg)
{
	struct raise_ctx *c = arg;

	KeRaiseIrql(c->to, &c->old);
	c->returned = 1;
}

static void do_lower(void *arg)
{
	struct raise_ctx *c = arg;

	KeLowerIrql(c->to);
	c->returned = 1;
}

static void do_wdf_violation(void *arg)
{
	(void)arg;
	KeBugCheckEx(WDF_VIOLATION, 0x1, 0x2222, (ULONG_PTR)-1, 0x4444);
}

static void do_nothing(void *arg)
{
	int *ran = arg;

	*ran = 1;
}

/* ---- IRQL rules ------------------------------------------------------------------- */

static void test_bugcheck_raise_below_current(void **state)
{
	struct kmemu_bugcheck_report r;
	struct raise_ctx c = { .to = APC_LEVEL, .old = 0xEE };
	uint64_t count = kmemu_bugcheck_count();
	KT_BEGIN();

	(void)state;
	set_irql(DISPATCH_LEVEL);
	assert_int_equal(kmemu_bugcheck_catch(do_raise, &c, &r), 1);
	assert_false(c.returned);
	assert_report(&r, IRQL_NOT_GREATER_OR_EQUAL, DISPATCH_LEVEL, APC_LEVEL, 0, 0,
		      "IRQL_NOT_GREATER_OR_EQUAL", "KeRaiseIrql");
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	assert_u64_equal(kmemu_bugcheck_count(), count + 1);
	set_irql(PASSIVE_LEVEL);
	KMEMU_TEST_CLEAN();
}

static void test_bugcheck_lower_above_current(void **state)
{
	struct kmemu_bugcheck_report r;
	struct raise_ctx c = { .to = DISPATCH_LEVEL };
	uint64_t count = kmemu_bugcheck_count();
	KT_BEGIN();

	(void)state;
	set_irql(APC_LEVEL);
	assert_int_equal(kmemu_bugcheck_catch(do_lower, &c, &r), 1);
	assert_false(c.returned);
	assert_report(&r, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL, 0, 0,
		      "IRQL_NOT_LESS_OR_EQUAL", "KeLowerIrql");
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	assert_u64_equal(kmemu_bugcheck_count(), count + 1);
	set_irql(PASSIVE_LEVEL);
	KMEMU_TEST_CLEAN();
}

/* The legal moves: raise to the same or a higher level, lower to the same or
 * a lower one; no bug check. */
static void test_bugcheck_irql_legal(void **state)
{
	uint64_t count = kmemu_bugcheck_count();
	KIRQL old = 0xEE;
	KT_BEGIN();

	(void)state;
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	KeRaiseIrql(APC_LEVEL, &old);
	assert_int_equal(old, PASSIVE_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	KeRaiseIrql(APC_LEVEL, &old);
	assert_int_equal(old, APC_LEVEL);
	assert_int_equal(KeRaiseIrqlToDpcLevel(), APC_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeRaiseIrql(HIGH_LEVEL, NULL);
	assert_int_equal(KeGetCurrentIrql(), HIGH_LEVEL);
	KeLowerIrql(HIGH_LEVEL);
	KeLowerIrql(DISPATCH_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeLowerIrql(PASSIVE_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_u64_equal(kmemu_bugcheck_count(), count);
	KMEMU_TEST_CLEAN();
}

static void test_bugcheck_irql_set(void **state)
{
	uint8_t old = 0xEE;
	KT_BEGIN();

	(void)state;
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, &old), STATUS_SUCCESS);
	assert_int_equal(old, PASSIVE_LEVEL);
	assert_status(kmemu_irql_set(HIGH_LEVEL, &old), STATUS_SUCCESS);
	assert_int_equal(old, DISPATCH_LEVEL);
	/* setting downwards needs no KeLowerIrql rules */
	assert_status(kmemu_irql_set(APC_LEVEL, NULL), STATUS_SUCCESS);
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	old = 0xEE;
	assert_status(kmemu_irql_set(16, &old), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_irql_set(255, &old), STATUS_INVALID_PARAMETER);
	assert_int_equal(old, 0xEE);
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, &old), STATUS_SUCCESS);
	assert_int_equal(old, APC_LEVEL);
	KMEMU_TEST_CLEAN();
}

static void *thread_irql(void *arg)
{
	KIRQL *seen = arg;

	seen[0] = KeGetCurrentIrql();
	kmemu_irql_set(CLOCK_LEVEL, NULL);
	seen[1] = KeGetCurrentIrql();
	return NULL;
}

static void test_bugcheck_irql_per_thread(void **state)
{
	KIRQL seen[2] = { 0xEE, 0xEE };
	pthread_t th;
	KT_BEGIN();

	(void)state;
	set_irql(DISPATCH_LEVEL);
	assert_int_equal(pthread_create(&th, NULL, thread_irql, seen), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(seen[0], PASSIVE_LEVEL);  /* new threads start at PASSIVE */
	assert_int_equal(seen[1], CLOCK_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	set_irql(PASSIVE_LEVEL);
	KMEMU_TEST_CLEAN();
}

/* ---- KeBugCheckEx and catches ----------------------------------------------------- */

static void test_bugcheck_catch_kebugcheckex(void **state)
{
	struct kmemu_bugcheck_report r;
	uint64_t count = kmemu_bugcheck_count();
	int ran = 0;
	KT_BEGIN();

	(void)state;
	assert_int_equal(kmemu_bugcheck_catch(do_wdf_violation, NULL, &r), 1);
	assert_report(&r, WDF_VIOLATION, 0x1, 0x2222, (uintptr_t)-1, 0x4444, "WDF_VIOLATION",
		      "KeBugCheckEx");
	assert_u64_equal(kmemu_bugcheck_count(), count + 1);
	/* without a report buffer */
	assert_int_equal(kmemu_bugcheck_catch(do_wdf_violation, NULL, NULL), 1);
	assert_u64_equal(kmemu_bugcheck_count(), count + 2);
	/* a function that returns normally: 0, report untouched */
	memset(&r, 0xA5, sizeof(r));
	assert_int_equal(kmemu_bugcheck_catch(do_nothing, &ran, &r), 0);
	assert_true(ran);
	assert_int_equal(r.code, 0xA5A5A5A5u);
	assert_u64_equal(kmemu_bugcheck_count(), count + 2);
	KMEMU_TEST_CLEAN();
}

static void do_kebugcheck(void *arg)
{
	KeBugCheck((ULONG)(uintptr_t)arg);
}

static void test_bugcheck_kebugcheck_zero_params(void **state)
{
	struct kmemu_bugcheck_report r;
	KT_BEGIN();

	(void)state;
	assert_int_equal(kmemu_bugcheck_catch(do_kebugcheck,
					      (void *)(uintptr_t)DRIVER_VERIFIER_DETECTED_VIOLATION,
					      &r), 1);
	assert_report(&r, DRIVER_VERIFIER_DETECTED_VIOLATION, 0, 0, 0, 0,
		      "DRIVER_VERIFIER_DETECTED_VIOLATION", "KeBugCheckEx");
	KMEMU_TEST_CLEAN();
}

/* State built before the bug check stays as it was (as after a crash dump). */
struct partial_ctx {
	int steps;
};

static void do_raise_then_crash(void *arg)
{
	struct partial_ctx *c = arg;

	KeRaiseIrql(DISPATCH_LEVEL, NULL);
	c->steps = 1;
	KeBugCheckEx(MEMORY_MANAGEMENT, 0x41790, 0, 0, 0);
}

static void test_bugcheck_catch_keeps_state(void **state)
{
	struct kmemu_bugcheck_report r;
	struct partial_ctx c = { 0 };
	KT_BEGIN();

	(void)state;
	assert_int_equal(kmemu_bugcheck_catch(do_raise_then_crash, &c, &r), 1);
	assert_int_equal(c.steps, 1);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	assert_report(&r, MEMORY_MANAGEMENT, 0x41790, 0, 0, 0, "MEMORY_MANAGEMENT", "KeBugCheckEx");
	set_irql(PASSIVE_LEVEL);
	KMEMU_TEST_CLEAN();
}

struct nest_ctx {
	int inner_caught;                    /* inner catch's return */
	struct kmemu_bugcheck_report inner;  /* its report */
	int inner_clean;                     /* a second inner catch, no bug check */
	int after_inner;                     /* the outer function went on */
	int after_outer;                     /* must stay 0 */
};

static void do_nested(void *arg)
{
	struct nest_ctx *c = arg;
	int ran = 0;

	c->inner_caught = kmemu_bugcheck_catch(do_wdf_violation, NULL, &c->inner);
	c->inner_clean = kmemu_bugcheck_catch(do_nothing, &ran, NULL);
	c->after_inner = 1;
	KeBugCheckEx(BAD_POOL_CALLER, 5, 6, 7, 8);
	c->after_outer = 1;
}

/* A recording handler: counts calls, keeps the last report. */
struct record {
	unsigned calls;
	struct kmemu_bugcheck_report last;
	void *ctx_seen;
};

static void record_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	struct record *rec = ctx;

	rec->calls++;
	rec->last = *r;
	rec->ctx_seen = ctx;
}

static void test_bugcheck_nested_catches(void **state)
{
	struct kmemu_bugcheck_report r;
	struct nest_ctx c = { 0 };
	struct record rec = { 0 };
	struct raise_ctx rc = { .to = PASSIVE_LEVEL };
	uint64_t count = kmemu_bugcheck_count();
	KT_BEGIN();

	(void)state;
	assert_int_equal(kmemu_bugcheck_catch(do_nested, &c, &r), 1);
	assert_int_equal(c.inner_caught, 1);
	assert_report(&c.inner, WDF_VIOLATION, 0x1, 0x2222, (uintptr_t)-1, 0x4444, "WDF_VIOLATION",
		      "KeBugCheckEx");
	assert_int_equal(c.inner_clean, 0);
	assert_true(c.after_inner);
	assert_false(c.after_outer);
	assert_report(&r, BAD_POOL_CALLER, 5, 6, 7, 8, "BAD_POOL_CALLER", "KeBugCheckEx");
	assert_u64_equal(kmemu_bugcheck_count(), count + 2);

	/* no catch is left active: the next bug check goes to the handler */
	kmemu_bugcheck_set_handler(record_handler, &rec);
	set_irql(DISPATCH_LEVEL);
	do_raise(&rc);
	assert_true(rc.returned);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.last.code, IRQL_NOT_GREATER_OR_EQUAL);
	kmemu_bugcheck_set_handler(NULL, NULL);
	set_irql(PASSIVE_LEVEL);
	KMEMU_TEST_CLEAN();
}

/* ---- a handler that returns -------------------------------------------------------- */

static void test_bugcheck_handler_returns(void **state)
{
	struct record rec = { 0 };
	uint64_t count = kmemu_bugcheck_count();
	KIRQL old = 0xEE;
	KT_BEGIN();

	(void)state;
	kmemu_bugcheck_set_handler(record_handler, &rec);
	set_irql(DISPATCH_LEVEL);
	/* KeRaiseIrql below the current level reports, returns, changes nothing */
	KeRaiseIrql(APC_LEVEL, &old);
	assert_int_equal(rec.calls, 1);
	assert_ptr_equal(rec.ctx_seen, &rec);
	assert_report(&rec.last, IRQL_NOT_GREATER_OR_EQUAL, DISPATCH_LEVEL, APC_LEVEL, 0, 0,
		      "IRQL_NOT_GREATER_OR_EQUAL", "KeRaiseIrql");
	assert_int_equal(old, DISPATCH_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	assert_u64_equal(kmemu_bugcheck_count(), count + 1);
	/* KeLowerIrql above the current level: the same */
	KeLowerIrql(HIGH_LEVEL);
	assert_int_equal(rec.calls, 2);
	assert_report(&rec.last, IRQL_NOT_LESS_OR_EQUAL, DISPATCH_LEVEL, HIGH_LEVEL, 0, 0,
		      "IRQL_NOT_LESS_OR_EQUAL", "KeLowerIrql");
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	assert_u64_equal(kmemu_bugcheck_count(), count + 2);
	/* a catch still takes precedence over the handler */
	{
		struct kmemu_bugcheck_report r;

		assert_int_equal(kmemu_bugcheck_catch(do_wdf_violation, NULL, &r), 1);
		assert_int_equal(rec.calls, 2);
		assert_u64_equal(kmemu_bugcheck_count(), count + 3);
	}
	kmemu_bugcheck_set_handler(NULL, NULL);
	set_irql(PASSIVE_LEVEL);
	KMEMU_TEST_CLEAN();
}

/* A catch in another thread does not involve this thread's handler. */
static void *thread_catch(void *arg)
{
	struct kmemu_bugcheck_report *r = arg;

	return (void *)(uintptr_t)kmemu_bugcheck_catch(do_wdf_violation, NULL, r);
}

static void test_bugcheck_catch_other_thread(void **state)
{
	struct kmemu_bugcheck_report r;
	struct record rec = { 0 };
	pthread_t th;
	void *caught = NULL;
	KT_BEGIN();

	(void)state;
	kmemu_bugcheck_set_handler(record_handler, &rec);
	assert_int_equal(pthread_create(&th, NULL, thread_catch, &r), 0);
	assert_int_equal(pthread_join(th, &caught), 0);
	assert_int_equal((uintptr_t)caught, 1);
	assert_int_equal(r.code, WDF_VIOLATION);
	assert_int_equal(rec.calls, 0);
	kmemu_bugcheck_set_handler(NULL, NULL);
	KMEMU_TEST_CLEAN();
}

/* ---- the default handler aborts --------------------------------------------------- */

enum child_action {
	CHILD_KEBUGCHECKEX,       /* KeBugCheckEx, default handler */
	CHILD_RAISE_BELOW,        /* KeRaiseIrql below current, default handler */
	CHILD_HANDLER_RETURNS,    /* KeBugCheckEx with a handler that returns */
};

static void child_run(enum child_action what)
{
	struct record rec = { 0 };

	switch (what) {
	case CHILD_KEBUGCHECKEX:
		kmemu_bugcheck_set_handler(NULL, NULL);
		KeBugCheckEx(WDF_VIOLATION, 0xA, 0xB, 0xC, 0xD);
		break;
	case CHILD_RAISE_BELOW:
		kmemu_bugcheck_set_handler(NULL, NULL);
		kmemu_irql_set(DISPATCH_LEVEL, NULL);
		KeRaiseIrql(PASSIVE_LEVEL, NULL);
		break;
	case CHILD_HANDLER_RETURNS:
		kmemu_bugcheck_set_handler(record_handler, &rec);
		KeBugCheckEx(WDF_VIOLATION, 0xA, 0xB, 0xC, 0xD);
		break;
	}
}

/* Fork, run @what in the child with stderr into a pipe; expect SIGABRT and
 * @want in what the child printed. */
static void expect_abort(enum child_action what, const char *want)
{
	char out[4096];
	size_t n = 0;
	ssize_t got;
	int fds[2], status = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		child_run(what);
		_exit(0);  /* not reached when the bug check aborts */
	}
	close(fds[1]);
	while (n < sizeof(out) - 1 && (got = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
		print_error("child (action %d): status 0x%x, not killed by SIGABRT; output:\n%s\n",
			    (int)what, status, out);
		fail();
	}
	if (!strstr(out, want)) {
		print_error("child output lacks \"%s\":\n%s\n", want, out);
		fail();
	}
}

static void test_bugcheck_default_aborts(void **state)
{
	KT_BEGIN();

	(void)state;
	expect_abort(CHILD_KEBUGCHECKEX, "WDF_VIOLATION");
	expect_abort(CHILD_KEBUGCHECKEX, "0xa 0xb 0xc 0xd");
	expect_abort(CHILD_RAISE_BELOW, "IRQL_NOT_GREATER_OR_EQUAL");
	expect_abort(CHILD_HANDLER_RETURNS, "cannot return");
	KMEMU_TEST_CLEAN();
}

/* ---- names ------------------------------------------------------------------------- */

static void test_bugcheck_names(void **state)
{
	(void)state;
	assert_string_equal(kmemu_bugcheck_name(WDF_VIOLATION), "WDF_VIOLATION");
	assert_string_equal(kmemu_bugcheck_name(IRQL_NOT_LESS_OR_EQUAL), "IRQL_NOT_LESS_OR_EQUAL");
	assert_string_equal(kmemu_bugcheck_name(IRQL_NOT_GREATER_OR_EQUAL),
			    "IRQL_NOT_GREATER_OR_EQUAL");
	assert_string_equal(kmemu_bugcheck_name(DRIVER_IRQL_NOT_LESS_OR_EQUAL),
			    "DRIVER_IRQL_NOT_LESS_OR_EQUAL");
	assert_string_equal(kmemu_bugcheck_name(PAGE_FAULT_IN_NONPAGED_AREA),
			    "PAGE_FAULT_IN_NONPAGED_AREA");
	assert_string_equal(kmemu_bugcheck_name(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS),
			    "DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS");
	assert_string_equal(kmemu_bugcheck_name(0), "UNKNOWN_BUGCHECK");
	assert_string_equal(kmemu_bugcheck_name(0x12345), "UNKNOWN_BUGCHECK");
	assert_string_equal(kmemu_bugcheck_name(0xFFFFFFFFu), "UNKNOWN_BUGCHECK");
}

#define BC_TEST(f) cmocka_unit_test_teardown(f, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BC_TEST(test_bugcheck_raise_below_current),
		BC_TEST(test_bugcheck_lower_above_current),
		BC_TEST(test_bugcheck_irql_legal),
		BC_TEST(test_bugcheck_irql_set),
		BC_TEST(test_bugcheck_irql_per_thread),
		BC_TEST(test_bugcheck_catch_kebugcheckex),
		BC_TEST(test_bugcheck_kebugcheck_zero_params),
		BC_TEST(test_bugcheck_catch_keeps_state),
		BC_TEST(test_bugcheck_nested_catches),
		BC_TEST(test_bugcheck_handler_returns),
		BC_TEST(test_bugcheck_catch_other_thread),
		BC_TEST(test_bugcheck_default_aborts),
		BC_TEST(test_bugcheck_names),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
