/* SPDX-License-Identifier: MIT */
/*
 * test_flt_stress.c - several threads set, get, reference, release and
 * delete Filter Manager contexts on shared objects (one instance, shared
 * streams and file objects, a transaction), some releases at DISPATCH_LEVEL
 * (deferred to the worker), while other threads open and close files whose
 * streams carry contexts.  At the end every context allocated was cleaned
 * up exactly once, none is live and no leak was reported.  Run under
 * valgrind and ThreadSanitizer by scripts/test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include <fltkernel.h>
#include <kmemu/flt.h>
#include "kmemu_test.h"

#define N_THREADS 4
#define N_ITER 1500
#define N_SHARED 3

static atomic_long n_alloc, n_cleanup, n_leak;

static VOID FLTAPI on_cleanup(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	(void)t;
	memset(c, 0xDD, 16);   /* the cleanup owns the bytes: a racing reader would show */
	atomic_fetch_add(&n_cleanup, 1);
}

static void on_leak(const struct kmemu_flt_leak *l, void *ctx)
{
	(void)l;
	(void)ctx;
	atomic_fetch_add(&n_leak, 1);
}

static const FLT_CONTEXT_REGISTRATION regs[] = {
	{ FLT_STREAM_CONTEXT, 0, on_cleanup, 16, 0x74736554u, NULL, NULL, NULL },
	{ FLT_STREAM_CONTEXT, 0, on_cleanup, FLT_VARIABLE_SIZED_CONTEXTS, 0x74736554u, NULL, NULL, NULL },
	{ FLT_STREAMHANDLE_CONTEXT, 0, on_cleanup, 16, 0x74736554u, NULL, NULL, NULL },
	{ FLT_INSTANCE_CONTEXT, 0, on_cleanup, 16, 0x74736554u, NULL, NULL, NULL },
	{ FLT_TRANSACTION_CONTEXT, 0, on_cleanup, 16, 0x74736554u, NULL, NULL, NULL },
	{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};

struct shared {
	PFLT_FILTER f;
	PFLT_VOLUME v;
	PFLT_INSTANCE in;
	PFILE_OBJECT fo[N_SHARED];
	PKTRANSACTION tx;
	atomic_int failures;
};

struct worker {
	struct shared *sh;
	uint64_t seed;
};

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	return z ^ (z >> 31);
}

static PFLT_CONTEXT alloc(struct shared *sh, FLT_CONTEXT_TYPE t, SIZE_T size)
{
	PFLT_CONTEXT c = NULL;

	if (FltAllocateContext(sh->f, t, size, NonPagedPool, &c)) {
		atomic_fetch_add(&sh->failures, 1);
		return NULL;
	}
	atomic_fetch_add(&n_alloc, 1);
	memset(c, 0x11, 16);
	return c;
}

/* Release at PASSIVE or, one time in four, at DISPATCH_LEVEL (deferred). */
static void release(PFLT_CONTEXT c, uint64_t *seed)
{
	if (rnd(seed) % 4 == 0) {
		kmemu_irql_set(DISPATCH_LEVEL, NULL);
		FltReleaseContext(c);
		kmemu_irql_set(PASSIVE_LEVEL, NULL);
	} else {
		FltReleaseContext(c);
	}
}

/* After a set: count an unexpected status, release what the set handed back
 * and the allocation reference. */
static void after_set(struct shared *sh, NTSTATUS st, NTSTATUS also_ok, PFLT_CONTEXT old,
		      PFLT_CONTEXT c, uint64_t *seed)
{
	if (st && st != also_ok)
		atomic_fetch_add(&sh->failures, 1);
	if (old)
		release(old, seed);
	release(c, seed);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint64_t *seed = &w->seed;

	for (int i = 0; i < N_ITER; i++) {
		PFILE_OBJECT fo = sh->fo[rnd(seed) % N_SHARED];
		PFLT_CONTEXT c, old = NULL, got = NULL;
		FLT_RELATED_OBJECTS ro;
		FLT_RELATED_CONTEXTS rc;
		NTSTATUS st;

		switch (rnd(seed) % 7) {
		case 0:  /* replace a stream context, release the old one */
			if (!(c = alloc(sh, FLT_STREAM_CONTEXT, rnd(seed) % 2 ? 16 : 40)))
				break;
			st = FltSetStreamContext(sh->in, fo, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, c, &old);
			after_set(sh, st, STATUS_SUCCESS, old, c, seed);
			break;
		case 1:  /* keep: one of the threads wins */
			if (!(c = alloc(sh, FLT_STREAMHANDLE_CONTEXT, 16)))
				break;
			st = FltSetStreamHandleContext(sh->in, fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, &old);
			after_set(sh, st, STATUS_FLT_CONTEXT_ALREADY_DEFINED, old, c, seed);
			break;
		case 2:  /* get, touch, reference, release */
			if (FltGetStreamContext(sh->in, fo, &got) == STATUS_SUCCESS) {
				if (((uint8_t *)got)[0] != 0x11)
					atomic_fetch_add(&sh->failures, 1);
				FltReferenceContext(got);
				FltReleaseContext(got);
				release(got, seed);
			}
			break;
		case 3:  /* delete whatever is there */
			if (FltDeleteStreamContext(sh->in, fo, &old) == STATUS_SUCCESS)
				release(old, seed);
			FltDeleteStreamHandleContext(sh->in, fo, NULL);
			break;
		case 4:  /* FltGetContexts + FltDeleteContext */
			if (kmemu_flt_related_objects(sh->in, fo, sh->tx, &ro)) {
				atomic_fetch_add(&sh->failures, 1);
				break;
			}
			FltGetContexts(&ro, FLT_ALL_CONTEXTS, &rc);
			if (rc.StreamHandleContext && rnd(seed) % 2)
				FltDeleteContext(rc.StreamHandleContext);
			FltReleaseContexts(&rc);
			break;
		case 5: {  /* instance and transaction contexts, replaced */
			int is_tx = (int)(rnd(seed) % 2);

			if (!(c = alloc(sh, is_tx ? FLT_TRANSACTION_CONTEXT : FLT_INSTANCE_CONTEXT, 16)))
				break;
			st = is_tx ? FltSetTransactionContext(sh->in, sh->tx, FLT_SET_CONTEXT_REPLACE_IF_EXISTS,
							      c, &old)
				   : FltSetInstanceContext(sh->in, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, c, &old);
			after_set(sh, st, STATUS_SUCCESS, old, c, seed);
			break;
		}
		default: {  /* a private file: open, set, close (the close deletes it) */
			PFILE_OBJECT mine;

			if (kmemu_flt_file_open(sh->v, (rnd(seed) % 2) ? "shared.dat" : "x.dat:s", &mine)) {
				atomic_fetch_add(&sh->failures, 1);
				break;
			}
			if ((c = alloc(sh, FLT_STREAMHANDLE_CONTEXT, 16))) {
				if (FltSetStreamHandleContext(sh->in, mine, FLT_SET_CONTEXT_KEEP_IF_EXISTS,
							      c, NULL))
					atomic_fetch_add(&sh->failures, 1);
				release(c, seed);
			}
			kmemu_flt_file_close(mine);
			break;
		}
		}
	}
	return NULL;
}

static void test_flt_stress_shared_objects(void **state)
{
	FLT_REGISTRATION r;
	struct shared sh;
	struct worker w[N_THREADS];
	pthread_t t[N_THREADS];
	struct kmemu_flt_stats fs;
	static char driver;
	KT_BEGIN();

	(void)state;
	memset(&sh, 0, sizeof(sh));
	memset(&r, 0, sizeof(r));
	r.Size = sizeof(r);
	r.Version = FLT_REGISTRATION_VERSION;
	r.ContextRegistration = regs;
	kmemu_flt_set_leak_handler(on_leak, NULL);
	assert_status(FltRegisterFilter((PDRIVER_OBJECT)(void *)&driver, &r, &sh.f), STATUS_SUCCESS);
	assert_status(FltStartFiltering(sh.f), STATUS_SUCCESS);
	assert_status(kmemu_flt_volume_create("S:", 0, &sh.v), STATUS_SUCCESS);
	assert_status(kmemu_flt_instance_attach(sh.f, sh.v, &sh.in), STATUS_SUCCESS);
	assert_status(kmemu_flt_transaction_create(&sh.tx), STATUS_SUCCESS);
	for (int i = 0; i < N_SHARED; i++)
		assert_status(kmemu_flt_file_open(sh.v, i ? "shared.dat" : "other.dat", &sh.fo[i]),
			      STATUS_SUCCESS);
	for (int i = 0; i < N_THREADS; i++) {
		w[i].sh = &sh;
		w[i].seed = 1000u + (uint64_t)i;
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&sh.failures), 0);
	assert_status(kmemu_flt_drain(), STATUS_SUCCESS);
	assert_status(kmemu_flt_check(NULL), STATUS_SUCCESS);
	for (int i = 0; i < N_SHARED; i++)
		assert_status(kmemu_flt_file_close(sh.fo[i]), STATUS_SUCCESS);
	assert_status(kmemu_flt_transaction_end(sh.tx), STATUS_SUCCESS);
	assert_status(kmemu_flt_stats_get(&fs), STATUS_SUCCESS);
	assert_u64_equal(fs.file_objects, 0);
	assert_u64_equal(fs.streams, 0);
	FltUnregisterFilter(sh.f);            /* the instance context goes here */
	assert_status(kmemu_flt_stats_get(&fs), STATUS_SUCCESS);
	assert_u64_equal(fs.live_contexts, 0);
	assert_u64_equal(fs.lookaside_free, 0);
	assert_u64_equal(fs.deferred_pending, 0);
	assert_u64_equal(fs.leaks_reported, 0);
	assert_int_equal(atomic_load(&n_leak), 0);
	assert_true(atomic_load(&n_alloc) > N_THREADS * N_ITER / 2);
	assert_int_equal(atomic_load(&n_cleanup), atomic_load(&n_alloc));
	assert_status(kmemu_flt_volume_destroy(sh.v), STATUS_SUCCESS);
	kmemu_flt_set_leak_handler(NULL, NULL);
	KMEMU_TEST_CLEAN();
}

static int setup(void **state)
{
	static PFILE_OBJECT fo[600];
	PFLT_VOLUME v;
	int rc = 0;

	(void)state;
	if (kt_use_emu(16 * KT_MIB, KMEMU_PLACE_DEFAULT, 0))
		return -1;
	/* the Filter Manager state and a live set of 2048 slots exist before
	 * KT_BEGIN(): kept capacity is not a leak */
	if (kmemu_flt_volume_create("warm", 0, &v))
		return -1;
	for (int i = 0; i < 600; i++)
		rc |= kmemu_flt_file_open(v, "warm", &fo[i]);
	for (int i = 0; i < 600; i++)
		rc |= kmemu_flt_file_close(fo[i]);
	return rc | kmemu_flt_volume_destroy(v) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return kt_close_backend();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flt_stress_shared_objects, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
