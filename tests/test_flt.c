/* SPDX-License-Identifier: MIT */
/*
 * test_flt.c - unit tests of the Filter Manager contexts (api/flt/):
 * registration parsing, FltAllocateContext (every status, lookaside reuse
 * with the old bytes, poison, zeroed variable contexts), reference
 * counting, set/get/delete on every object type, object lifetimes, the
 * deferred release at DISPATCH_LEVEL, IRQL and use-after-release reports,
 * unload with live references (wait, then the leak report), the OOM loop.
 *
 * Each test runs on a fresh emulator; KMEMU_TEST_CLEAN() checks the heap
 * is back where it started (contexts, lookaside lists, objects).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>
#include <fltkernel.h>
#include <kmemu/flt.h>
#include <kmemu/backend.h>
#include "core.h"
#include "flt/flt_impl.h"
#include "kmemu_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define TAG 0x74736554u  /* 'Test' */
#define ALL7 { FLT_VOLUME_CONTEXT, FLT_INSTANCE_CONTEXT, FLT_FILE_CONTEXT, FLT_STREAM_CONTEXT, \
	       FLT_STREAMHANDLE_CONTEXT, FLT_TRANSACTION_CONTEXT, FLT_SECTION_CONTEXT }

static const FLT_CONTEXT_TYPE all_types[7] = ALL7;

/* ---- callbacks that record ---------------------------------------------------------- */

static int n_cleanup;                   /* cleanup callbacks seen */
static PFLT_CONTEXT last_cleanup;       /* the last one's context */
static FLT_CONTEXT_TYPE last_cleanup_type;
static pthread_t cleanup_thread;        /* thread of the last cleanup */
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;

static VOID FLTAPI on_cleanup(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	pthread_mutex_lock(&rec_lock);
	n_cleanup++;
	last_cleanup = c;
	last_cleanup_type = t;
	cleanup_thread = pthread_self();
	pthread_mutex_unlock(&rec_lock);
}

static int n_cleanup2;
static VOID FLTAPI on_cleanup2(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	(void)c;
	(void)t;
	n_cleanup2++;
}

static SIZE_T cb_size;                  /* Size the allocate callback saw */
static POOL_TYPE cb_pool;
static int n_cb_alloc, n_cb_free, cb_fail;
static PFLT_FILTER cb_unload;           /* the allocate callback unloads it, once */
static PVOID FLTAPI on_alloc(POOL_TYPE pool, SIZE_T size, FLT_CONTEXT_TYPE t)
{
	(void)t;
	cb_size = size;
	cb_pool = pool;
	if (cb_fail)
		return NULL;
	if (cb_unload) {
		PFLT_FILTER f = cb_unload;

		cb_unload = NULL;
		FltUnregisterFilter(f);
	}
	n_cb_alloc++;
	return malloc(size);
}

static VOID FLTAPI on_free(PVOID p, FLT_CONTEXT_TYPE t)
{
	(void)t;
	n_cb_free++;
	free(p);
}

static int n_leaks;
static struct kmemu_flt_leak last_leak;
static void on_leak(const struct kmemu_flt_leak *l, void *ctx)
{
	(void)ctx;
	n_leaks++;
	last_leak = *l;
}

static int n_bugchecks;
static struct kmemu_bugcheck_report last_bc;
static void on_bugcheck(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	n_bugchecks++;
	last_bc = *r;
}

static void reset_records(void)
{
	n_cleanup = n_cleanup2 = n_cb_alloc = n_cb_free = cb_fail = n_leaks = n_bugchecks = 0;
	cb_unload = NULL;
	last_cleanup = NULL;
	memset(&last_bc, 0, sizeof(last_bc));
}

/* The Filter Manager invariants hold (kmemu_flt_check). */
#define FLT_CHECK()                                                                   \
	do {                                                                          \
		const char *m_ = NULL;                                                \
		if (kmemu_flt_check(&m_) != STATUS_SUCCESS) {                         \
			print_error("kmemu_flt_check: %s\n", m_ ? m_ : "?");          \
			fail();                                                       \
		}                                                                     \
	} while (0)
/* End of a test: Filter Manager invariants, then KMEMU_TEST_CLEAN(). */
#define FLT_CLEAN()                 \
	do {                        \
		FLT_CHECK();        \
		KMEMU_TEST_CLEAN(); \
	} while (0)

/* ---- fixtures ------------------------------------------------------------------------ */

static char driver_objects[8];          /* distinct PDRIVER_OBJECT values */
#define DRIVER(i) ((PDRIVER_OBJECT)(void *)&driver_objects[i])

/* Every type: fixed 32 (exact), fixed 64 (NO_EXACT), variable. */
static const FLT_CONTEXT_REGISTRATION std_ctx[] = {
#define STD(t) { t, 0, on_cleanup, 32, TAG, NULL, NULL, NULL },                               \
	       { t, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, on_cleanup, 64, TAG, NULL, NULL, NULL }, \
	       { t, 0, on_cleanup, FLT_VARIABLE_SIZED_CONTEXTS, TAG, NULL, NULL, NULL }
	STD(FLT_VOLUME_CONTEXT), STD(FLT_INSTANCE_CONTEXT), STD(FLT_FILE_CONTEXT),
	STD(FLT_STREAM_CONTEXT), STD(FLT_STREAMHANDLE_CONTEXT), STD(FLT_TRANSACTION_CONTEXT),
	STD(FLT_SECTION_CONTEXT),
#undef STD
	{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};

static FLT_REGISTRATION reg_with(const FLT_CONTEXT_REGISTRATION *ctx)
{
	FLT_REGISTRATION r;

	memset(&r, 0, sizeof(r));
	r.Size = sizeof(r);
	r.Version = FLT_REGISTRATION_VERSION;
	r.ContextRegistration = ctx;
	return r;
}

/* Register @ctx as DRIVER(@driver) (and start it). */
static PFLT_FILTER reg_ctx(const FLT_CONTEXT_REGISTRATION *ctx, int driver)
{
	FLT_REGISTRATION r = reg_with(ctx);
	PFLT_FILTER f = NULL;

	assert_status(FltRegisterFilter(DRIVER(driver), &r, &f), STATUS_SUCCESS);
	assert_non_null(f);
	assert_status(FltStartFiltering(f), STATUS_SUCCESS);
	return f;
}

static PFLT_FILTER reg_std(int driver)
{
	return reg_ctx(std_ctx, driver);
}

/* One filter with an instance on a volume, a file object, a transaction. */
struct world {
	PFLT_FILTER f;
	PFLT_VOLUME v;
	PFLT_INSTANCE in;
	PFILE_OBJECT fo;
	PKTRANSACTION tx;
};

static void world_make(struct world *w, unsigned vflags)
{
	w->f = reg_std(0);
	assert_status(kmemu_flt_volume_create("C:", vflags, &w->v), STATUS_SUCCESS);
	assert_status(kmemu_flt_instance_attach(w->f, w->v, &w->in), STATUS_SUCCESS);
	assert_status(kmemu_flt_file_open(w->v, "a.txt", &w->fo), STATUS_SUCCESS);
	assert_status(kmemu_flt_transaction_create(&w->tx), STATUS_SUCCESS);
}

static void world_end(struct world *w)
{
	assert_status(kmemu_flt_transaction_end(w->tx), STATUS_SUCCESS);
	assert_status(kmemu_flt_file_close(w->fo), STATUS_SUCCESS);
	FltUnregisterFilter(w->f);
	assert_status(kmemu_flt_volume_destroy(w->v), STATUS_SUCCESS);
}

static PFLT_CONTEXT alloc_ok(PFLT_FILTER f, FLT_CONTEXT_TYPE t, SIZE_T size, POOL_TYPE pool)
{
	PFLT_CONTEXT c = NULL;

	assert_status(FltAllocateContext(f, t, size, pool, &c), STATUS_SUCCESS);
	assert_non_null(c);
	return c;
}

/* Free @n variable-sized file contexts of @f: as many blocks freed before
 * them leave the quarantine (oldest first) for their lookaside list or the
 * heap. */
static void push_quarantine(PFLT_FILTER f, unsigned n)
{
	PFLT_CONTEXT c[KMEMU_FLT_QUARANTINE];

	assert_true(n <= KMEMU_FLT_QUARANTINE);
	for (unsigned i = 0; i < n; i++)
		c[i] = alloc_ok(f, FLT_FILE_CONTEXT, 1000 + i, PagedPool);
	for (unsigned i = 0; i < n; i++)
		FltReleaseContext(c[i]);
}

/* Fresh emulator; the Filter Manager state and its live set exist before
 * KT_BEGIN() (kept capacity is not a leak). */
static int setup(void **state)
{
	struct world w;
	PFLT_CONTEXT c[200];

	(void)state;
	if (kt_use_emu(16 * KT_MIB, KMEMU_PLACE_DEFAULT, 0))
		return -1;
	reset_records();
	world_make(&w, 0);
	for (int i = 0; i < 200; i++)
		c[i] = alloc_ok(w.f, FLT_INSTANCE_CONTEXT, 100, PagedPool);
	for (int i = 0; i < 200; i++)
		FltReleaseContext(c[i]);
	world_end(&w);
	reset_records();
	kmemu_flt_set_leak_handler(on_leak, NULL);
	kmemu_flt_set_unload_wait(1000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kmemu_bugcheck_set_handler(NULL, NULL);
	kmemu_flt_set_leak_handler(NULL, NULL);
	kmemu_irql_set(PASSIVE_LEVEL, NULL);
	return kt_close_backend();
}

/* ---- registration ------------------------------------------------------------------------ */

static void test_flt_register_statuses(void **state)
{
	FLT_REGISTRATION r = reg_with(NULL);
	PFLT_FILTER f = (PFLT_FILTER)1, g = NULL;
	KT_BEGIN();

	(void)state;
	assert_status(FltRegisterFilter(NULL, &r, &f), STATUS_INVALID_PARAMETER);
	assert_null(f);
	assert_status(FltRegisterFilter(DRIVER(0), NULL, &f), STATUS_INVALID_PARAMETER);
	assert_status(FltRegisterFilter(DRIVER(0), &r, NULL), STATUS_INVALID_PARAMETER);
	for (unsigned v = 0; v < 0x400; v += 0x1) {
		int ok = v >= 0x200 && v <= 0x203;

		r.Version = (USHORT)v;
		if (!ok) {
			assert_status(FltRegisterFilter(DRIVER(0), &r, &f), STATUS_INVALID_PARAMETER);
			continue;
		}
		assert_status(FltRegisterFilter(DRIVER(0), &r, &f), STATUS_SUCCESS);
		FltUnregisterFilter(f);
	}
	r.Version = FLT_REGISTRATION_VERSION;
	r.Size = 0;        /* not checked (spec §8.1) */
	assert_status(FltRegisterFilter(DRIVER(0), &r, &f), STATUS_SUCCESS);
	r.Size = 0xFFFF;
	assert_status(FltRegisterFilter(DRIVER(0), &r, &g), STATUS_FLT_INSTANCE_ALTITUDE_COLLISION);
	assert_null(g);
	assert_status(FltRegisterFilter(DRIVER(1), &r, &g), STATUS_SUCCESS);
	assert_status(FltStartFiltering(f), STATUS_SUCCESS);
	assert_status(FltStartFiltering(f), STATUS_SUCCESS);
	FltUnregisterFilter(f);
	FltUnregisterFilter(g);
	assert_status(FltStartFiltering(f), STATUS_INVALID_PARAMETER);
	FltUnregisterFilter(f);  /* not registered: nothing */
	FLT_CLEAN();
}

/* Each invalid array is refused; the valid variations are accepted. */
static void test_flt_register_parsing(void **state)
{
#define E(t, fl, sz, tag, a, fr, res) { t, fl, NULL, sz, tag, a, fr, (PVOID)(res) }
#define END { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
	static const FLT_CONTEXT_REGISTRATION bad[][6] = {
		{ E(0x80, 0, 8, TAG, NULL, NULL, 0), END },                     /* unknown type */
		{ E(0x03, 0, 8, TAG, NULL, NULL, 0), END },                     /* two types */
		{ E(0, 0, 8, TAG, NULL, NULL, 0), END },                        /* type 0 */
		{ E(FLT_FILE_CONTEXT, 0, 8, TAG, NULL, NULL, 1), END },         /* Reserved1 */
		{ E(FLT_FILE_CONTEXT, 2, 8, TAG, NULL, NULL, 0), END },         /* flag bit */
		{ E(FLT_FILE_CONTEXT, 0, 8, 0, NULL, NULL, 0), END },           /* PoolTag 0 */
		{ E(FLT_FILE_CONTEXT, 0, 0x10000, TAG, NULL, NULL, 0), END },   /* > MAXUSHORT */
		{ E(FLT_FILE_CONTEXT, 0, 8, TAG, on_alloc, NULL, 0), END },     /* alloc w/o free */
		{ E(FLT_FILE_CONTEXT, 0, 8, TAG, NULL, on_free, 0), END },      /* free w/o alloc */
		{ E(FLT_FILE_CONTEXT, 0, 8, TAG, on_alloc, on_free, 0),
		  E(FLT_FILE_CONTEXT, 0, 16, TAG, NULL, NULL, 0), END },        /* callback + fixed */
		{ E(FLT_FILE_CONTEXT, 0, 16, TAG, NULL, NULL, 0),
		  E(FLT_FILE_CONTEXT, 0, 8, TAG, on_alloc, on_free, 0), END },  /* fixed + callback */
		{ E(FLT_FILE_CONTEXT, 0, FLT_VARIABLE_SIZED_CONTEXTS, TAG, NULL, NULL, 0),
		  E(FLT_FILE_CONTEXT, 0, FLT_VARIABLE_SIZED_CONTEXTS, TAG, NULL, NULL, 0), END },
		{ E(FLT_FILE_CONTEXT, 0, 8, TAG, NULL, NULL, 0), E(FLT_FILE_CONTEXT, 0, 16, TAG, NULL, NULL, 0),
		  E(FLT_FILE_CONTEXT, 0, 24, TAG, NULL, NULL, 0), E(FLT_FILE_CONTEXT, 0, 32, TAG, NULL, NULL, 0),
		  END },                                                        /* four sizes */
	};
	static const FLT_CONTEXT_REGISTRATION good[][6] = {
		{ END },
		{ E(FLT_SECTION_CONTEXT, 0, 0, TAG, NULL, NULL, 0), END },      /* size 0, Win8 type */
		{ E(FLT_FILE_CONTEXT, 0, 0xFFFF, TAG, NULL, NULL, 0), END },    /* MAXUSHORT */
		{ E(FLT_FILE_CONTEXT, 0, 8, 0, on_alloc, on_free, 0), END },    /* callbacks: tag 0 */
		{ E(FLT_FILE_CONTEXT, 0, 8, TAG, NULL, NULL, 0), E(FLT_FILE_CONTEXT, 0, 16, TAG, NULL, NULL, 0),
		  E(FLT_FILE_CONTEXT, 0, 24, TAG, NULL, NULL, 0), E(FLT_FILE_CONTEXT, 0, 8, TAG, NULL, NULL, 0),
		  E(FLT_FILE_CONTEXT, 0, FLT_VARIABLE_SIZED_CONTEXTS, TAG, NULL, NULL, 0), END },
	};
	FLT_REGISTRATION r;
	PFLT_FILTER f = NULL;
	KT_BEGIN();

	(void)state;
	for (size_t i = 0; i < KT_ARRAY_SIZE(bad); i++) {
		r = reg_with(bad[i]);
		assert_status(FltRegisterFilter(DRIVER(0), &r, &f), STATUS_FLT_INVALID_CONTEXT_REGISTRATION);
		assert_null(f);
	}
	for (size_t i = 0; i < KT_ARRAY_SIZE(good); i++) {
		r = reg_with(good[i]);
		assert_status(FltRegisterFilter(DRIVER(0), &r, &f), STATUS_SUCCESS);
		FltUnregisterFilter(f);
	}
	FLT_CLEAN();
#undef E
#undef END
}

/* Sizes are sorted; an exact size wins; NO_EXACT serves the smallest above;
 * the first of identical entries wins; the variable entry is the fallback. */
static void test_flt_register_size_matching(void **state)
{
	static const FLT_CONTEXT_REGISTRATION ctx[] = {
		{ FLT_FILE_CONTEXT, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, on_cleanup2, 100, TAG, NULL, NULL, NULL },
		{ FLT_FILE_CONTEXT, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, on_cleanup, 40, TAG, NULL, NULL, NULL },
		{ FLT_FILE_CONTEXT, 0, on_cleanup2, 40, TAG, NULL, NULL, NULL },   /* duplicate: ignored */
		{ FLT_FILE_CONTEXT, 0, on_cleanup, 20, TAG, NULL, NULL, NULL },
		{ FLT_INSTANCE_CONTEXT, 0, on_cleanup, 20, TAG, NULL, NULL, NULL },
		{ FLT_STREAM_CONTEXT, 0, on_cleanup2, FLT_VARIABLE_SIZED_CONTEXTS, TAG, NULL, NULL, NULL },
		{ FLT_STREAM_CONTEXT, 0, on_cleanup, 16, TAG, NULL, NULL, NULL },
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
	};
	PFLT_FILTER f;
	PFLT_CONTEXT c;
	KT_BEGIN();

	(void)state;
	f = reg_ctx(ctx, 0);
	/* 20: exact entry (cleanup 1); 30: NO_EXACT 40 (cleanup 1, the first of the
	 * identical 40s); 41..100: NO_EXACT 100 (cleanup 2); 101: none */
	const struct { SIZE_T size; int which; } cases[] = {
		{ 20, 1 }, { 1, 1 }, { 30, 1 }, { 40, 1 }, { 41, 2 }, { 100, 2 }
	};
	for (size_t i = 0; i < KT_ARRAY_SIZE(cases); i++) {
		reset_records();
		c = alloc_ok(f, FLT_FILE_CONTEXT, cases[i].size, PagedPool);
		FltReleaseContext(c);
		assert_int_equal(n_cleanup, cases[i].which == 1);
		assert_int_equal(n_cleanup2, cases[i].which == 2);
	}
	assert_status(FltAllocateContext(f, FLT_FILE_CONTEXT, 101, PagedPool, &c),
		      STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	/* without the flag only the exact size */
	assert_status(FltAllocateContext(f, FLT_INSTANCE_CONTEXT, 19, PagedPool, &c),
		      STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	assert_status(FltAllocateContext(f, FLT_INSTANCE_CONTEXT, 21, PagedPool, &c),
		      STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	/* the variable entry serves what no fixed size does */
	reset_records();
	c = alloc_ok(f, FLT_STREAM_CONTEXT, 16, PagedPool);
	FltReleaseContext(c);
	c = alloc_ok(f, FLT_STREAM_CONTEXT, 17, PagedPool);
	FltReleaseContext(c);
	assert_int_equal(n_cleanup, 1);
	assert_int_equal(n_cleanup2, 1);
	FltUnregisterFilter(f);
	FLT_CLEAN();
}

/* ---- FltAllocateContext --------------------------------------------------------------------- */

static void test_flt_allocate_statuses(void **state)
{
	static const FLT_CONTEXT_REGISTRATION only_file[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 32, TAG, NULL, NULL, NULL },
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
	};
	FLT_REGISTRATION r = reg_with(only_file);
	PFLT_FILTER f, g;
	PFLT_CONTEXT c = (PFLT_CONTEXT)1;
	KT_BEGIN();

	(void)state;
	f = reg_std(0);
	assert_status(FltRegisterFilter(DRIVER(1), &r, &g), STATUS_SUCCESS);
	assert_status(FltAllocateContext(f, FLT_FILE_CONTEXT, 32, PagedPool, NULL),
		      STATUS_INVALID_PARAMETER);
	assert_status(FltAllocateContext(NULL, FLT_FILE_CONTEXT, 32, PagedPool, &c),
		      STATUS_INVALID_PARAMETER);
	assert_null(c);
	assert_status(FltAllocateContext((PFLT_FILTER)&c, FLT_FILE_CONTEXT, 32, PagedPool, &c),
		      STATUS_INVALID_PARAMETER);
	assert_status(FltAllocateContext(f, 0, 32, PagedPool, &c), STATUS_INVALID_PARAMETER);
	assert_status(FltAllocateContext(f, 0x80, 32, PagedPool, &c), STATUS_INVALID_PARAMETER);
	assert_status(FltAllocateContext(f, FLT_FILE_CONTEXT | FLT_STREAM_CONTEXT, 32, PagedPool, &c),
		      STATUS_INVALID_PARAMETER);
	assert_status(FltAllocateContext(f, FLT_FILE_CONTEXT, 0, PagedPool, &c),
		      STATUS_INVALID_PARAMETER);
	assert_status(FltAllocateContext(f, FLT_FILE_CONTEXT, 0x10000, PagedPool, &c),
		      STATUS_INVALID_BUFFER_SIZE);
	assert_status(FltAllocateContext(f, FLT_FILE_CONTEXT, (SIZE_T)-1, PagedPool, &c),
		      STATUS_INVALID_BUFFER_SIZE);
	/* the variable entry takes MAXUSHORT itself */
	c = alloc_ok(f, FLT_FILE_CONTEXT, 0xFFFF, PagedPool);
	FltReleaseContext(c);
	/* volume contexts: NonPagedPool (or its NX form) only */
	assert_status(FltAllocateContext(f, FLT_VOLUME_CONTEXT, 32, PagedPool, &c),
		      STATUS_INVALID_PARAMETER);
	assert_status(FltAllocateContext(f, FLT_VOLUME_CONTEXT, 32, PagedPoolSession, &c),
		      STATUS_INVALID_PARAMETER);
	FltReleaseContext(alloc_ok(f, FLT_VOLUME_CONTEXT, 32, NonPagedPool));
	FltReleaseContext(alloc_ok(f, FLT_VOLUME_CONTEXT, 32, NonPagedPoolNx));
	/* not registered; fixed size larger than registered */
	assert_status(FltAllocateContext(g, FLT_STREAM_CONTEXT, 32, PagedPool, &c),
		      STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	assert_status(FltAllocateContext(g, FLT_FILE_CONTEXT, 33, PagedPool, &c),
		      STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	assert_status(FltAllocateContext(g, FLT_FILE_CONTEXT, 31, PagedPool, &c),
		      STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	/* every type allocates */
	for (int i = 0; i < 7; i++) {
		c = alloc_ok(f, all_types[i], 32, NonPagedPool);
		FltReleaseContext(c);
	}
	/* the fault simulator */
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .resources = KMEMU_FAULT_HEAP };
	assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
	assert_status(FltAllocateContext(g, FLT_FILE_CONTEXT, 32, PagedPool, &c),
		      STATUS_INSUFFICIENT_RESOURCES);
	assert_null(c);
	assert_status(kmemu_fault_set(NULL), STATUS_SUCCESS);
	FltUnregisterFilter(g);
	FltUnregisterFilter(f);
	FLT_CLEAN();
}

/* Fixed sizes: a fresh block is poison, a re-allocated one keeps its bytes;
 * variable sizes: zero.  Paged and nonpaged lists are separate. */
static void test_flt_allocate_memory_contents(void **state)
{
	PFLT_FILTER f;
	uint8_t *a, *b, *v;
	uint8_t poison[64];
	KT_BEGIN();

	(void)state;
	f = reg_std(0);
	memset(poison, KMEMU_FLT_POISON, sizeof(poison));
	a = alloc_ok(f, FLT_STREAM_CONTEXT, 32, PagedPool);
	assert_memory_equal(a, poison, 32);
	memcpy(a, "old bytes of a released context", 32);
	FltReleaseContext(a);
#ifdef TEST_ASAN
	/* in the quarantine the bytes are off limits to the driver */
	assert_true(__asan_address_is_poisoned(a));
	assert_true(__asan_address_is_poisoned((char *)a + 31));
#endif
	/* the next allocation does not get a's address (the quarantine) */
	b = alloc_ok(f, FLT_STREAM_CONTEXT, 32, PagedPool);
	assert_ptr_not_equal(a, b);
	assert_memory_equal(b, poison, 32);
	FltReleaseContext(b);
	/* once out of the quarantine, the lookaside list hands a out again with
	 * the old bytes (LIFO: b, freed after a, is still in the quarantine) */
	push_quarantine(f, KMEMU_FLT_QUARANTINE - 1);
#ifdef TEST_ASAN
	/* on the lookaside list too */
	assert_true(__asan_address_is_poisoned(a));
#endif
	b = alloc_ok(f, FLT_STREAM_CONTEXT, 32, PagedPool);
	assert_ptr_equal(a, b);
#ifdef TEST_ASAN
	assert_false(__asan_address_is_poisoned(b));
#endif
	assert_memory_equal(b, "old bytes of a released context", 32);
	/* the nonpaged list is another list: fresh, poisoned */
	a = alloc_ok(f, FLT_STREAM_CONTEXT, 32, NonPagedPool);
	assert_ptr_not_equal(a, b);
	assert_memory_equal(a, poison, 32);
	FltReleaseContext(a);
	FltReleaseContext(b);
	/* NO_EXACT 64 entry serving 40: the whole 64 block is poison */
	a = alloc_ok(f, FLT_STREAM_CONTEXT, 40, PagedPool);
	assert_memory_equal(a, poison, 64);
	FltReleaseContext(a);
	/* variable: zeroed, even when re-allocated */
	v = alloc_ok(f, FLT_STREAM_CONTEXT, 200, PagedPool);
	for (int i = 0; i < 200; i++)
		assert_int_equal(v[i], 0);
	memset(v, 0x55, 200);
	FltReleaseContext(v);
	v = alloc_ok(f, FLT_STREAM_CONTEXT, 200, PagedPool);
	for (int i = 0; i < 200; i++)
		assert_int_equal(v[i], 0);
	FltReleaseContext(v);
	/* an invalid pool type bypasses the lookaside list: poisoned, not reused */
	struct kmemu_flt_stats s0, s1;
	assert_status(kmemu_flt_stats_get(&s0), STATUS_SUCCESS);
	a = alloc_ok(f, FLT_STREAM_CONTEXT, 32, (POOL_TYPE)77);
	assert_memory_equal(a, poison, 32);
	FltReleaseContext(a);
	assert_status(kmemu_flt_stats_get(&s1), STATUS_SUCCESS);
	assert_u64_equal(s1.lookaside_free, s0.lookaside_free);
	assert_status(kmemu_flt_stats_get(NULL), STATUS_INVALID_PARAMETER);
	FltUnregisterFilter(f);
	FLT_CLEAN();
}

/* Allocate/free callbacks: called with header + size, Size/PoolTag ignored. */
static void test_flt_allocate_callbacks(void **state)
{
	static const FLT_CONTEXT_REGISTRATION ctx[] = {
		{ FLT_FILE_CONTEXT, 0, on_cleanup, 8, 0, on_alloc, on_free, NULL },
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
	};
	PFLT_FILTER f;
	PFLT_CONTEXT c;
	KT_BEGIN();

	(void)state;
	f = reg_ctx(ctx, 0);
	c = alloc_ok(f, FLT_FILE_CONTEXT, 1000, PagedPool);
	assert_int_equal(n_cb_alloc, 1);
	assert_true(cb_size > 1000);
	assert_int_equal(cb_pool, PagedPool);
	memset(c, 1, 1000);
	FltReleaseContext(c);
	assert_int_equal(n_cleanup, 1);
	assert_int_equal(n_cb_free, 1);
	cb_fail = 1;
	assert_status(FltAllocateContext(f, FLT_FILE_CONTEXT, 8, PagedPool, &c),
		      STATUS_INSUFFICIENT_RESOURCES);
	cb_fail = 0;
	/* the filter unloads while the allocate callback runs: the block goes to
	 * the free callback and the call answers STATUS_FLT_DELETING_OBJECT */
	cb_unload = f;
	c = (PFLT_CONTEXT)&c;
	assert_status(FltAllocateContext(f, FLT_FILE_CONTEXT, 8, PagedPool, &c),
		      STATUS_FLT_DELETING_OBJECT);
	assert_null(c);
	assert_null(cb_unload);
	assert_int_equal(n_cb_alloc, 2);
	assert_int_equal(n_cb_free, 2);
	assert_int_equal(n_leaks, 0);
	f = reg_ctx(ctx, 0);
	/* a leaked callback context is handed back to the free callback */
	kmemu_flt_set_unload_wait(0);
	c = alloc_ok(f, FLT_FILE_CONTEXT, 8, NonPagedPool);
	FltUnregisterFilter(f);
	assert_int_equal(n_leaks, 1);
	assert_int_equal(n_cb_free, 3);
	FLT_CLEAN();
}

/* ---- reference counting --------------------------------------------------------------------------- */

static void test_flt_refcount_cycle(void **state)
{
	struct world w;
	PFLT_CONTEXT c, got;
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	c = alloc_ok(w.f, FLT_INSTANCE_CONTEXT, 32, NonPagedPool);       /* 1 */
	assert_status(FltSetInstanceContext(w.in, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL),
		      STATUS_SUCCESS);                                         /* 2 */
	FltReleaseContext(c);                                                  /* 1: the object's */
	assert_status(FltGetInstanceContext(w.in, &got), STATUS_SUCCESS);     /* 2 */
	assert_ptr_equal(got, c);
	FltReferenceContext(got);                                              /* 3 */
	FltReleaseContext(got);
	FltReleaseContext(got);                                                /* 1 */
	assert_int_equal(n_cleanup, 0);
	assert_status(FltGetInstanceContext(w.in, &got), STATUS_SUCCESS);     /* 2 */
	FltDeleteContext(got);                                                 /* 1: the caller's */
	assert_int_equal(n_cleanup, 0);
	assert_status(FltGetInstanceContext(w.in, &c), STATUS_NOT_FOUND);
	assert_null(c);
	((uint8_t *)got)[0] = 7;     /* the caller's reference keeps it valid */
	FltReleaseContext(got);                                                /* 0 */
	assert_int_equal(n_cleanup, 1);
	assert_ptr_equal(last_cleanup, got);
	assert_int_equal(last_cleanup_type, FLT_INSTANCE_CONTEXT);
	world_end(&w);
	FLT_CLEAN();
}

/* Released at DISPATCH_LEVEL: the cleanup runs on the worker, not here. */
static void test_flt_release_deferred_at_dispatch(void **state)
{
	PFLT_FILTER f;
	PFLT_CONTEXT c;
	struct kmemu_flt_stats s;
	KT_BEGIN();

	(void)state;
	f = reg_std(0);
	c = alloc_ok(f, FLT_FILE_CONTEXT, 32, NonPagedPool);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	FltReferenceContext(c);
	FltReleaseContext(c);
	assert_int_equal(n_cleanup, 0);           /* not the last reference */
	FltReleaseContext(c);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	assert_status(kmemu_flt_drain(), STATUS_SUCCESS);
	assert_int_equal(n_cleanup, 1);
	assert_false(pthread_equal(cleanup_thread, pthread_self()));
	assert_status(kmemu_flt_stats_get(&s), STATUS_SUCCESS);
	assert_u64_equal(s.deferred_pending, 0);
	/* at APC_LEVEL: at once, in this thread */
	c = alloc_ok(f, FLT_FILE_CONTEXT, 32, PagedPool);
	assert_status(kmemu_irql_set(APC_LEVEL, NULL), STATUS_SUCCESS);
	FltReleaseContext(c);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	assert_int_equal(n_cleanup, 2);
	assert_true(pthread_equal(cleanup_thread, pthread_self()));
	FltUnregisterFilter(f);
	FLT_CLEAN();
}

/* ---- IRQL and verifier reports ----------------------------------------------------------------- */

static void test_flt_irql_reports(void **state)
{
	struct world w;
	PFLT_CONTEXT c, paged, np, got = (PFLT_CONTEXT)1;
	PFLT_FILTER f2 = (PFLT_FILTER)1;
	FLT_RELATED_CONTEXTS rc;
	FLT_RELATED_OBJECTS ro;
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	paged = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	np = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, NonPagedPool);
	kmemu_bugcheck_set_handler(on_bugcheck, NULL);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	assert_status(FltAllocateContext(w.f, FLT_FILE_CONTEXT, 32, NonPagedPool, &c),
		      STATUS_UNSUCCESSFUL);
	assert_int_equal(n_bugchecks, 1);
	assert_int_equal(last_bc.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_int_equal(last_bc.param[1], DISPATCH_LEVEL);
	assert_int_equal(last_bc.param[2], 8);
	assert_string_equal(last_bc.function, "FltAllocateContext");
	assert_status(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, np, NULL),
		      STATUS_UNSUCCESSFUL);
	assert_status(FltGetFileContext(w.in, w.fo, &got), STATUS_UNSUCCESSFUL);
	assert_null(got);
	assert_status(FltDeleteFileContext(w.in, w.fo, NULL), STATUS_UNSUCCESSFUL);
	assert_status(FltGetSectionContext(w.in, w.fo, &got), STATUS_UNSUCCESSFUL);
	FltDeleteContext(np);
	assert_int_equal(n_bugchecks, 6);
	/* a paged context may not be released at DISPATCH_LEVEL: report, kept */
	FltReleaseContext(paged);
	assert_int_equal(n_bugchecks, 7);
	assert_int_equal(last_bc.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_ptr_equal((void *)last_bc.param[0], paged);
	assert_int_equal(last_bc.param[2], 0);
	FltReferenceContext(np);               /* fine at DISPATCH_LEVEL */
	FltReleaseContext(np);
	assert_int_equal(n_bugchecks, 7);
	assert_status(kmemu_irql_set(HIGH_LEVEL, NULL), STATUS_SUCCESS);
	FltReferenceContext(np);
	FltReleaseContext(np);
	assert_int_equal(n_bugchecks, 9);
	assert_int_equal(last_bc.param[2], 0);
	assert_status(kmemu_irql_set(APC_LEVEL, NULL), STATUS_SUCCESS);
	FltReleaseContext(paged);              /* fine at APC_LEVEL */
	assert_int_equal(n_cleanup, 1);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	assert_status(kmemu_flt_related_objects(w.in, w.fo, NULL, &ro), STATUS_UNSUCCESSFUL);
	assert_status(FltRegisterFilter(DRIVER(3), &(FLT_REGISTRATION){ .Version = 0x203 }, &f2),
		      STATUS_UNSUCCESSFUL);
	assert_null(f2);
	assert_status(FltStartFiltering(w.f), STATUS_UNSUCCESSFUL);
	FltUnregisterFilter(w.f);              /* reported, nothing done */
	assert_int_equal(n_bugchecks, 13);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	assert_status(kmemu_flt_related_objects(w.in, w.fo, NULL, &ro), STATUS_SUCCESS);
	FltGetContexts(&ro, FLT_ALL_CONTEXTS, &rc);
	assert_null(rc.FileContext);
	kmemu_bugcheck_set_handler(NULL, NULL);
	FltReleaseContext(np);
	world_end(&w);
	FLT_CLEAN();
}

static void test_flt_use_after_release_reported(void **state)
{
	struct world w;
	PFLT_CONTEXT c, d;
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	kmemu_bugcheck_set_handler(on_bugcheck, NULL);
	c = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	FltReleaseContext(c);
	FltReleaseContext(c);                  /* after the last release */
	assert_int_equal(n_bugchecks, 1);
	assert_int_equal(last_bc.code, FLTMGR_FILE_SYSTEM);
	assert_int_equal(last_bc.param[0], 0x6E);
	assert_ptr_equal((void *)last_bc.param[1], c);
	FltReferenceContext(c);
	FltDeleteContext(c);
	assert_status(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL),
		      STATUS_INVALID_PARAMETER);
	assert_int_equal(n_bugchecks, 4);
	FltReleaseContext(NULL);
	FltReleaseContext((PFLT_CONTEXT)(uintptr_t)8);
	assert_int_equal(n_bugchecks, 6);
	/* one release too many while attached: 0x6D, kept */
	d = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	assert_status(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, d, NULL),
		      STATUS_SUCCESS);
	FltReleaseContext(d);
	FltReleaseContext(d);
	assert_int_equal(n_bugchecks, 7);
	assert_int_equal(last_bc.param[0], 0x6D);
	assert_int_equal(n_cleanup, 1);
	kmemu_bugcheck_set_handler(NULL, NULL);
	world_end(&w);                         /* the file close deletes it */
	assert_int_equal(n_cleanup, 2);
	FLT_CLEAN();
}

/* A released context's address is not handed out again at once (the
 * quarantine), so a stale pointer is reported even after the next
 * allocation of its size, and the new owner's context is untouched: fixed
 * (lookaside), variable, invalid pool type, deferred release.  After
 * KMEMU_FLT_QUARANTINE other frees the block is reused (the limit). */
static void test_flt_stale_pointer_after_reuse(void **state)
{
	static const struct { SIZE_T size; POOL_TYPE pool; } kinds[] = {
		{ 32, PagedPool }, { 32, NonPagedPool }, { 500, PagedPool }, { 32, (POOL_TYPE)77 },
	};
	struct world w;
	struct kmemu_flt_stats s0, s1;
	uint8_t *a, *b;
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	for (size_t k = 0; k < KT_ARRAY_SIZE(kinds); k++) {
		reset_records();
		kmemu_bugcheck_set_handler(on_bugcheck, NULL);
		a = alloc_ok(w.f, FLT_FILE_CONTEXT, kinds[k].size, kinds[k].pool);
		memset(a, 'A', kinds[k].size);
		FltReleaseContext(a);
		assert_status(kmemu_flt_stats_get(&s0), STATUS_SUCCESS);
		assert_true(s0.quarantined >= 1);
		b = alloc_ok(w.f, FLT_FILE_CONTEXT, kinds[k].size, kinds[k].pool);
		assert_ptr_not_equal(a, b);
		memset(b, 'B', kinds[k].size);
		/* every use of the stale pointer is the 0x6E report and does nothing */
		FltReleaseContext(a);
		assert_int_equal(n_bugchecks, 1);
		assert_int_equal(last_bc.code, FLTMGR_FILE_SYSTEM);
		assert_int_equal(last_bc.param[0], 0x6E);
		assert_ptr_equal((void *)last_bc.param[1], a);
		FltReferenceContext(a);
		FltDeleteContext(a);
		assert_status(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL),
			      STATUS_INVALID_PARAMETER);
		assert_int_equal(n_bugchecks, 4);
		/* b is intact: its bytes, one reference */
		for (SIZE_T i = 0; i < kinds[k].size; i++)
			assert_int_equal(b[i], 'B');
		assert_int_equal(n_cleanup, 1);
		FltReleaseContext(b);
		assert_int_equal(n_cleanup, 2);
		assert_ptr_equal(last_cleanup, b);
		assert_int_equal(n_bugchecks, 4);
		kmemu_bugcheck_set_handler(NULL, NULL);
	}
	/* a release deferred from DISPATCH_LEVEL goes through the quarantine too */
	kmemu_bugcheck_set_handler(on_bugcheck, NULL);
	n_bugchecks = 0;
	a = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, NonPagedPool);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	FltReleaseContext(a);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	assert_status(kmemu_flt_drain(), STATUS_SUCCESS);
	b = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, NonPagedPool);
	assert_ptr_not_equal(a, b);
	FltReferenceContext(a);
	assert_int_equal(n_bugchecks, 1);
	FltReleaseContext(b);
	/* the limit: KMEMU_FLT_QUARANTINE frees later a's block serves again, and
	 * the stale pointer is the new context (no report) */
	a = alloc_ok(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	FltReleaseContext(a);
	push_quarantine(w.f, KMEMU_FLT_QUARANTINE);
	b = alloc_ok(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	assert_ptr_equal(a, b);
	FltReferenceContext(a);                /* aliases b: no report */
	assert_int_equal(n_bugchecks, 1);
	FltReleaseContext(a);
	FltReleaseContext(b);
	/* the quarantine never holds more than KMEMU_FLT_QUARANTINE blocks;
	 * kmemu_flt_quarantine_flush() ends it (fixed blocks to their lists) */
	assert_status(kmemu_flt_stats_get(&s0), STATUS_SUCCESS);
	assert_u64_equal(s0.quarantined, KMEMU_FLT_QUARANTINE);
	FLT_CHECK();
	assert_status(kmemu_flt_quarantine_flush(), STATUS_SUCCESS);
	assert_status(kmemu_flt_stats_get(&s1), STATUS_SUCCESS);
	assert_u64_equal(s1.quarantined, 0);
	assert_u64_equal(s1.lookaside_free, s0.lookaside_free);
	FLT_CHECK();
	a = alloc_ok(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	FltReleaseContext(a);
	assert_status(kmemu_flt_quarantine_flush(), STATUS_SUCCESS);
	assert_ptr_equal(alloc_ok(w.f, FLT_STREAM_CONTEXT, 32, PagedPool), a);
	FltReleaseContext(a);
	kmemu_bugcheck_set_handler(NULL, NULL);
	world_end(&w);
	assert_status(kmemu_flt_stats_get(&s1), STATUS_SUCCESS);
	assert_u64_equal(s1.quarantined, 0);   /* the unload took the filter's blocks */
	FLT_CLEAN();
}

/* ---- set / get / delete ------------------------------------------------------------------------------ */

typedef NTSTATUS (*set_fn)(struct world *w, FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT n,
			   PFLT_CONTEXT *o);
typedef NTSTATUS (*get_fn)(struct world *w, PFLT_CONTEXT *c);
typedef NTSTATUS (*del_fn)(struct world *w, PFLT_CONTEXT *o);

static NTSTATUS s_vol(struct world *w, FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT n, PFLT_CONTEXT *o)
{ return FltSetVolumeContext(w->v, op, n, o); }
static NTSTATUS s_ins(struct world *w, FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT n, PFLT_CONTEXT *o)
{ return FltSetInstanceContext(w->in, op, n, o); }
static NTSTATUS s_file(struct world *w, FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT n, PFLT_CONTEXT *o)
{ return FltSetFileContext(w->in, w->fo, op, n, o); }
static NTSTATUS s_str(struct world *w, FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT n, PFLT_CONTEXT *o)
{ return FltSetStreamContext(w->in, w->fo, op, n, o); }
static NTSTATUS s_sh(struct world *w, FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT n, PFLT_CONTEXT *o)
{ return FltSetStreamHandleContext(w->in, w->fo, op, n, o); }
static NTSTATUS s_tx(struct world *w, FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT n, PFLT_CONTEXT *o)
{ return FltSetTransactionContext(w->in, w->tx, op, n, o); }
static NTSTATUS g_vol(struct world *w, PFLT_CONTEXT *c) { return FltGetVolumeContext(w->f, w->v, c); }
static NTSTATUS g_ins(struct world *w, PFLT_CONTEXT *c) { return FltGetInstanceContext(w->in, c); }
static NTSTATUS g_file(struct world *w, PFLT_CONTEXT *c) { return FltGetFileContext(w->in, w->fo, c); }
static NTSTATUS g_str(struct world *w, PFLT_CONTEXT *c) { return FltGetStreamContext(w->in, w->fo, c); }
static NTSTATUS g_sh(struct world *w, PFLT_CONTEXT *c) { return FltGetStreamHandleContext(w->in, w->fo, c); }
static NTSTATUS g_tx(struct world *w, PFLT_CONTEXT *c) { return FltGetTransactionContext(w->in, w->tx, c); }
static NTSTATUS d_vol(struct world *w, PFLT_CONTEXT *o) { return FltDeleteVolumeContext(w->f, w->v, o); }
static NTSTATUS d_ins(struct world *w, PFLT_CONTEXT *o) { return FltDeleteInstanceContext(w->in, o); }
static NTSTATUS d_file(struct world *w, PFLT_CONTEXT *o) { return FltDeleteFileContext(w->in, w->fo, o); }
static NTSTATUS d_str(struct world *w, PFLT_CONTEXT *o) { return FltDeleteStreamContext(w->in, w->fo, o); }
static NTSTATUS d_sh(struct world *w, PFLT_CONTEXT *o) { return FltDeleteStreamHandleContext(w->in, w->fo, o); }
static NTSTATUS d_tx(struct world *w, PFLT_CONTEXT *o) { return FltDeleteTransactionContext(w->in, w->tx, o); }

static const struct {
	FLT_CONTEXT_TYPE type;
	set_fn set;
	get_fn get;
	del_fn del;
} routines[6] = {
	{ FLT_VOLUME_CONTEXT, s_vol, g_vol, d_vol },
	{ FLT_INSTANCE_CONTEXT, s_ins, g_ins, d_ins },
	{ FLT_FILE_CONTEXT, s_file, g_file, d_file },
	{ FLT_STREAM_CONTEXT, s_str, g_str, d_str },
	{ FLT_STREAMHANDLE_CONTEXT, s_sh, g_sh, d_sh },
	{ FLT_TRANSACTION_CONTEXT, s_tx, g_tx, d_tx },
};

/* Every set/get/delete routine: every status and reference effect. */
static void test_flt_set_get_delete_each_type(void **state)
{
	struct world w;
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	for (int i = 0; i < 6; i++) {
		FLT_CONTEXT_TYPE t = routines[i].type;
		FLT_CONTEXT_TYPE other = t == FLT_FILE_CONTEXT ? FLT_STREAM_CONTEXT : FLT_FILE_CONTEXT;
		PFLT_CONTEXT a, b, c, old = (PFLT_CONTEXT)1, got = (PFLT_CONTEXT)1, wrong;

		reset_records();
		a = alloc_ok(w.f, t, 32, NonPagedPool);
		b = alloc_ok(w.f, t, 32, NonPagedPool);
		wrong = alloc_ok(w.f, other, 32, NonPagedPool);
		assert_status(routines[i].get(&w, &got), STATUS_NOT_FOUND);
		assert_null(got);
		assert_status(routines[i].get(&w, NULL), STATUS_INVALID_PARAMETER);
		assert_status(routines[i].del(&w, &old), STATUS_NOT_FOUND);
		assert_null(old);
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_KEEP_IF_EXISTS, NULL, NULL),
			      STATUS_INVALID_PARAMETER);
		assert_status(routines[i].set(&w, 2, a, NULL), STATUS_INVALID_PARAMETER);
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_KEEP_IF_EXISTS, wrong, NULL),
			      STATUS_INVALID_PARAMETER);
		/* keep: attached */
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, &old),
			      STATUS_SUCCESS);
		assert_null(old);
		/* keep again: ALREADY_DEFINED, the existing one with a reference */
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_KEEP_IF_EXISTS, b, &old),
			      STATUS_FLT_CONTEXT_ALREADY_DEFINED);
		assert_ptr_equal(old, a);
		FltReleaseContext(old);
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_KEEP_IF_EXISTS, b, NULL),
			      STATUS_FLT_CONTEXT_ALREADY_DEFINED);
		/* a set context cannot be set again */
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, a, NULL),
			      STATUS_FLT_CONTEXT_ALREADY_LINKED);
		/* replace: the old one comes back to the caller */
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, b, &old),
			      STATUS_SUCCESS);
		assert_ptr_equal(old, a);
		assert_status(routines[i].get(&w, &got), STATUS_SUCCESS);
		assert_ptr_equal(got, b);
		FltReleaseContext(got);
		/* a replaced context was linked once: never again */
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, a, NULL),
			      STATUS_FLT_CONTEXT_ALREADY_LINKED);
		FltReleaseContext(old);
		FltReleaseContext(a);                  /* a: gone */
		assert_int_equal(n_cleanup, 1);
		/* replace without OldContext: the object's reference is dropped */
		c = alloc_ok(w.f, t, 32, NonPagedPool);
		FltReleaseContext(b);                  /* b: only the object's */
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, c, NULL),
			      STATUS_SUCCESS);
		assert_int_equal(n_cleanup, 2);        /* b freed */
		/* delete with OldContext: no decrement */
		assert_status(routines[i].del(&w, &old), STATUS_SUCCESS);
		assert_ptr_equal(old, c);
		assert_status(routines[i].get(&w, &got), STATUS_NOT_FOUND);
		assert_int_equal(n_cleanup, 2);
		FltReleaseContext(old);
		assert_int_equal(n_cleanup, 2);        /* the allocation reference */
		FltReleaseContext(c);
		assert_int_equal(n_cleanup, 3);
		/* delete without OldContext drops the object's reference */
		c = alloc_ok(w.f, t, 32, NonPagedPool);
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL),
			      STATUS_SUCCESS);
		FltReleaseContext(c);
		assert_status(routines[i].del(&w, NULL), STATUS_SUCCESS);
		assert_int_equal(n_cleanup, 4);
		FltReleaseContext(wrong);
		FLT_CHECK();
	}
	world_end(&w);
	FLT_CLEAN();
}

/* Objects that are not live, other filters' contexts, unsupported streams. */
static void test_flt_set_bad_objects(void **state)
{
	struct world w, w2 = { 0 };
	PFLT_CONTEXT c, g, got;
	PFLT_FILTER f2;
	PFLT_INSTANCE in2;
	PFLT_VOLUME fat;
	PFILE_OBJECT fo2;
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	c = alloc_ok(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	assert_status(FltSetStreamContext(NULL, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL),
		      STATUS_INVALID_PARAMETER);
	assert_status(FltSetStreamContext(w.in, (PFILE_OBJECT)w.in, FLT_SET_CONTEXT_KEEP_IF_EXISTS,
					  c, NULL), STATUS_INVALID_PARAMETER);
	assert_status(FltGetStreamContext(w.in, NULL, &got), STATUS_INVALID_PARAMETER);
	assert_status(FltDeleteStreamContext(w.in, NULL, NULL), STATUS_INVALID_PARAMETER);
	assert_status(FltGetVolumeContext(NULL, w.v, &got), STATUS_INVALID_PARAMETER);
	g = alloc_ok(w.f, FLT_VOLUME_CONTEXT, 32, NonPagedPool);
	assert_status(FltSetVolumeContext(NULL, FLT_SET_CONTEXT_KEEP_IF_EXISTS, g, NULL),
		      STATUS_INVALID_PARAMETER);
	FltReleaseContext(g);
	/* another filter's instance */
	f2 = reg_std(1);
	assert_status(kmemu_flt_instance_attach(f2, w.v, &in2), STATUS_SUCCESS);
	assert_status(FltSetStreamContext(in2, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL),
		      STATUS_INVALID_PARAMETER);
	/* a file object of another volume */
	assert_status(kmemu_flt_volume_create("D:", KMEMU_FLT_VOLUME_NO_STREAM_CONTEXTS, &fat),
		      STATUS_SUCCESS);
	assert_status(kmemu_flt_file_open(fat, "x", &fo2), STATUS_SUCCESS);
	assert_status(FltSetStreamContext(w.in, fo2, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL),
		      STATUS_INVALID_PARAMETER);
	/* a volume without stream contexts */
	assert_status(kmemu_flt_instance_attach(w.f, fat, &w2.in), STATUS_SUCCESS);
	assert_status(FltSetStreamContext(w2.in, fo2, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL),
		      STATUS_NOT_SUPPORTED);
	assert_status(FltGetStreamContext(w2.in, fo2, &got), STATUS_NOT_SUPPORTED);
	assert_status(FltDeleteStreamContext(w2.in, fo2, NULL), STATUS_NOT_SUPPORTED);
	g = alloc_ok(w.f, FLT_STREAMHANDLE_CONTEXT, 32, PagedPool);
	assert_status(FltSetStreamHandleContext(w2.in, fo2, FLT_SET_CONTEXT_KEEP_IF_EXISTS, g, NULL),
		      STATUS_NOT_SUPPORTED);
	assert_status(FltGetStreamHandleContext(w2.in, fo2, &got), STATUS_NOT_SUPPORTED);
	FltReleaseContext(g);
	reset_records();
	g = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	assert_status(FltSetFileContext(w2.in, fo2, FLT_SET_CONTEXT_KEEP_IF_EXISTS, g, NULL),
		      STATUS_SUCCESS);         /* file contexts are fine there */
	FltReleaseContext(g);
	assert_status(kmemu_flt_file_close(fo2), STATUS_SUCCESS);
	assert_int_equal(n_cleanup, 1);
	assert_status(kmemu_flt_volume_destroy(fat), STATUS_SUCCESS);
	assert_status(kmemu_flt_volume_destroy(fat), STATUS_INVALID_PARAMETER);
	FltReleaseContext(c);
	FltUnregisterFilter(f2);
	world_end(&w);
	FLT_CLEAN();
}

/* ---- the file-system model: lifetimes --------------------------------------------------------------- */

static void test_flt_model_lifetimes(void **state)
{
	struct world w;
	PFILE_OBJECT a2, ads, other;
	PFLT_CONTEXT sc, fc, hc, got;
	struct kmemu_flt_stats s;
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	assert_status(kmemu_flt_file_open(w.v, "A.TXT", &a2), STATUS_SUCCESS);      /* same stream */
	assert_status(kmemu_flt_file_open(w.v, "a.txt:ads", &ads), STATUS_SUCCESS); /* same file */
	assert_status(kmemu_flt_file_open(w.v, "b.txt", &other), STATUS_SUCCESS);
	assert_status(kmemu_flt_stats_get(&s), STATUS_SUCCESS);
	assert_u64_equal(s.file_objects, 4);
	assert_u64_equal(s.streams, 3);
	FLT_CHECK();
	sc = alloc_ok(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	fc = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	hc = alloc_ok(w.f, FLT_STREAMHANDLE_CONTEXT, 32, PagedPool);
	assert_status(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, sc, NULL), 0);
	assert_status(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, fc, NULL), 0);
	assert_status(FltSetStreamHandleContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, hc, NULL), 0);
	FltReleaseContext(sc);
	FltReleaseContext(fc);
	FltReleaseContext(hc);
	/* shared by opens of one stream / one file; not by the handle level */
	assert_status(FltGetStreamContext(w.in, a2, &got), STATUS_SUCCESS);
	assert_ptr_equal(got, sc);
	FltReleaseContext(got);
	assert_status(FltGetStreamContext(w.in, ads, &got), STATUS_NOT_FOUND);
	assert_status(FltGetFileContext(w.in, ads, &got), STATUS_SUCCESS);
	assert_ptr_equal(got, fc);
	FltReleaseContext(got);
	assert_status(FltGetFileContext(w.in, other, &got), STATUS_NOT_FOUND);
	assert_status(FltGetStreamHandleContext(w.in, a2, &got), STATUS_NOT_FOUND);
	/* closing the handle deletes its stream-handle context only */
	assert_status(kmemu_flt_file_close(w.fo), STATUS_SUCCESS);
	assert_int_equal(n_cleanup, 1);
	assert_ptr_equal(last_cleanup, hc);
	assert_status(kmemu_flt_file_close(w.fo), STATUS_INVALID_PARAMETER);
	/* the last open of the stream deletes the stream context */
	assert_status(kmemu_flt_file_close(a2), STATUS_SUCCESS);
	assert_int_equal(n_cleanup, 2);
	assert_ptr_equal(last_cleanup, sc);
	/* the last stream of the file deletes the file context */
	assert_status(kmemu_flt_file_close(ads), STATUS_SUCCESS);
	assert_int_equal(n_cleanup, 3);
	assert_ptr_equal(last_cleanup, fc);
	w.fo = other;
	/* transactions */
	sc = alloc_ok(w.f, FLT_TRANSACTION_CONTEXT, 32, PagedPool);
	assert_status(FltSetTransactionContext(w.in, w.tx, FLT_SET_CONTEXT_KEEP_IF_EXISTS, sc, NULL), 0);
	FltReleaseContext(sc);
	assert_status(kmemu_flt_transaction_end(w.tx), STATUS_SUCCESS);
	assert_int_equal(n_cleanup, 4);
	assert_status(kmemu_flt_transaction_end(w.tx), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_transaction_create(&w.tx), STATUS_SUCCESS);
	/* bad arguments of the control API */
	assert_status(kmemu_flt_file_open(w.v, "", &a2), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_file_open(w.v, NULL, &a2), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_file_open(NULL, "x", &a2), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_file_open(w.v, "x", NULL), STATUS_INVALID_PARAMETER);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[299] = 0;
	assert_status(kmemu_flt_file_open(w.v, longname, &a2), STATUS_INVALID_PARAMETER);
	PFLT_VOLUME v2;
	PFLT_INSTANCE in2;
	assert_status(kmemu_flt_volume_create("x", 0x10, &v2), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_volume_create(NULL, 0, &v2), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_volume_create("x", 0, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_transaction_create(NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_instance_attach(w.f, w.v, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_instance_attach(NULL, w.v, &in2), STATUS_INVALID_PARAMETER);
	assert_null(in2);
	assert_status(kmemu_flt_instance_detach(NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_related_objects(w.in, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_related_objects(w.in, (PFILE_OBJECT)w.v, NULL, &(FLT_RELATED_OBJECTS){ 0 }),
		      STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_section_close(NULL), STATUS_INVALID_PARAMETER);
	world_end(&w);
	FLT_CLEAN();
}

/* Sections: the context is found through the stream; closing deletes it;
 * the section keeps the stream alive. */
static void test_flt_section_contexts(void **state)
{
	struct world w;
	struct kmemu_flt_section *sec, *sec2;
	PFLT_CONTEXT c, d, got;
	PFILE_OBJECT fo2;
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	c = alloc_ok(w.f, FLT_SECTION_CONTEXT, 32, PagedPool);
	d = alloc_ok(w.f, FLT_SECTION_CONTEXT, 32, PagedPool);
	assert_status(FltGetSectionContext(w.in, w.fo, &got), STATUS_NOT_FOUND);
	assert_status(FltGetSectionContext(w.in, w.fo, NULL), STATUS_INVALID_PARAMETER);
	assert_status(FltGetSectionContext(NULL, w.fo, &got), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_section_create(w.in, w.fo, NULL, &sec), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_section_create(w.in, w.fo, c, NULL), STATUS_INVALID_PARAMETER);
	{
		struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .resources = KMEMU_FAULT_HEAP };

		assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
		assert_status(kmemu_flt_section_create(w.in, w.fo, c, &sec), STATUS_INSUFFICIENT_RESOURCES);
		assert_status(kmemu_fault_set(NULL), STATUS_SUCCESS);
		assert_null(sec);
	}
	assert_status(kmemu_flt_section_create(w.in, w.fo, c, &sec), STATUS_SUCCESS);
	assert_status(kmemu_flt_section_create(w.in, w.fo, c, &sec2), STATUS_FLT_CONTEXT_ALREADY_LINKED);
	assert_status(kmemu_flt_section_create(w.in, w.fo, d, &sec2), STATUS_FLT_CONTEXT_ALREADY_DEFINED);
	FltReleaseContext(c);
	assert_status(kmemu_flt_file_open(w.v, "a.txt", &fo2), STATUS_SUCCESS);
	assert_status(FltGetSectionContext(w.in, fo2, &got), STATUS_SUCCESS);
	assert_ptr_equal(got, c);
	FltDeleteContext(got);                 /* not for section contexts: kept, noted */
	{
		struct kmemu_flt_stats fs;

		assert_status(kmemu_flt_stats_get(&fs), STATUS_SUCCESS);
		assert_u64_equal(fs.section_deletes, 1);
	}
	FltReleaseContext(got);
	assert_status(kmemu_flt_file_close(fo2), STATUS_SUCCESS);
	assert_status(kmemu_flt_file_close(w.fo), STATUS_SUCCESS);   /* the section holds the stream */
	assert_int_equal(n_cleanup, 0);
	assert_status(kmemu_flt_section_close(sec), STATUS_SUCCESS);
	assert_int_equal(n_cleanup, 1);
	assert_ptr_equal(last_cleanup, c);
	assert_status(kmemu_flt_section_close(sec), STATUS_INVALID_PARAMETER);
	FltReleaseContext(d);
	assert_status(kmemu_flt_file_open(w.v, "a.txt", &w.fo), STATUS_SUCCESS);
	/* a released section context: the 0x6E report, as for the set routines */
	kmemu_bugcheck_set_handler(on_bugcheck, NULL);
	n_bugchecks = 0;
	sec2 = (struct kmemu_flt_section *)&sec2;
	assert_status(kmemu_flt_section_create(w.in, w.fo, c, &sec2), STATUS_INVALID_PARAMETER);
	assert_null(sec2);
	assert_int_equal(n_bugchecks, 1);
	assert_int_equal(last_bc.code, FLTMGR_FILE_SYSTEM);
	assert_int_equal(last_bc.param[0], 0x6E);
	assert_ptr_equal((void *)last_bc.param[1], c);
	assert_string_equal(last_bc.function, "kmemu_flt_section_create");
	kmemu_bugcheck_set_handler(NULL, NULL);
	/* a section left open goes with its instance */
	d = alloc_ok(w.f, FLT_SECTION_CONTEXT, 32, PagedPool);
	assert_status(kmemu_flt_section_create(w.in, w.fo, d, &sec), STATUS_SUCCESS);
	FltReleaseContext(d);
	assert_status(kmemu_flt_instance_detach(w.in), STATUS_SUCCESS);
	assert_int_equal(n_cleanup, 3);
	assert_status(kmemu_flt_instance_detach(w.in), STATUS_INVALID_PARAMETER);
	world_end(&w);
	FLT_CLEAN();
}

/* FltGetContexts / FltReleaseContexts over FLT_RELATED_OBJECTS. */
static void test_flt_get_contexts(void **state)
{
	struct world w;
	FLT_RELATED_OBJECTS ro;
	FLT_RELATED_CONTEXTS rc;
	PFLT_CONTEXT set[6];
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	assert_status(kmemu_flt_related_objects(w.in, w.fo, w.tx, &ro), STATUS_SUCCESS);
	assert_int_equal(ro.Size, sizeof(ro));
	assert_ptr_equal(ro.Filter, w.f);
	assert_ptr_equal(ro.Volume, w.v);
	assert_ptr_equal(ro.Instance, w.in);
	assert_ptr_equal(ro.FileObject, w.fo);
	assert_ptr_equal(ro.Transaction, w.tx);
	for (int i = 0; i < 6; i++) {
		set[i] = alloc_ok(w.f, routines[i].type, 32, NonPagedPool);
		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_KEEP_IF_EXISTS, set[i], NULL), 0);
	}
	/* only the stream and volume contexts asked for */
	memset(&rc, 0xAB, sizeof(rc));
	FltGetContexts(&ro, FLT_STREAM_CONTEXT | FLT_VOLUME_CONTEXT, &rc);
	assert_ptr_equal(rc.VolumeContext, set[0]);
	assert_ptr_equal(rc.StreamContext, set[3]);
	assert_null(rc.InstanceContext);
	assert_null(rc.FileContext);
	assert_null(rc.StreamHandleContext);
	assert_null(rc.TransactionContext);
	FltReleaseContexts(&rc);
	FltGetContexts(&ro, FLT_ALL_CONTEXTS, &rc);
	PFLT_CONTEXT *fields = &rc.VolumeContext;
	for (int i = 0; i < 6; i++)
		assert_ptr_equal(fields[i], set[i]);
	FltReleaseContexts(&rc);
	FltReleaseContexts(NULL);
	FltGetContexts(NULL, FLT_ALL_CONTEXTS, &rc);
	for (int i = 0; i < 6; i++)
		assert_null(fields[i]);
	FltGetContexts(&ro, FLT_ALL_CONTEXTS, NULL);
	/* above APC_LEVEL: the IRQL report, every field NULL, no reference taken */
	kmemu_bugcheck_set_handler(on_bugcheck, NULL);
	memset(&rc, 0xAB, sizeof(rc));
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	FltGetContexts(&ro, FLT_ALL_CONTEXTS, &rc);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	kmemu_bugcheck_set_handler(NULL, NULL);
	assert_int_equal(n_bugchecks, 1);
	assert_int_equal(last_bc.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_int_equal(last_bc.param[1], DISPATCH_LEVEL);
	assert_string_equal(last_bc.function, "FltGetContexts");
	for (int i = 0; i < 6; i++)
		assert_null(fields[i]);
	for (int i = 0; i < 6; i++)
		FltReleaseContext(set[i]);     /* the objects hold them */
	assert_int_equal(n_cleanup, 0);
	world_end(&w);
	assert_int_equal(n_cleanup, 6);
	FLT_CLEAN();
}

/* ---- instances, unload, leaks --------------------------------------------------------------------- */

static int n_setup, n_teardown_start, n_teardown_complete;
static NTSTATUS setup_status;
static NTSTATUS teardown_set_status, teardown_alloc_status;

static NTSTATUS FLTAPI on_setup(PCFLT_RELATED_OBJECTS o, FLT_INSTANCE_SETUP_FLAGS fl,
				DEVICE_TYPE dt, FLT_FILESYSTEM_TYPE fs)
{
	PFLT_CONTEXT c;

	(void)fl;
	assert_int_equal(dt, 8);
	assert_int_equal(fs, FLT_FSTYPE_NTFS);
	n_setup++;
	/* the usual pattern: an instance context set in setup */
	assert_status(FltAllocateContext(o->Filter, FLT_INSTANCE_CONTEXT, 32, NonPagedPool, &c), 0);
	assert_status(FltSetInstanceContext(o->Instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
	FltReleaseContext(c);
	return setup_status;
}

static VOID FLTAPI on_teardown_start(PCFLT_RELATED_OBJECTS o, FLT_INSTANCE_TEARDOWN_FLAGS r)
{
	PFLT_CONTEXT c = NULL, got;

	(void)r;
	n_teardown_start++;
	teardown_alloc_status = FltAllocateContext(o->Filter, FLT_INSTANCE_CONTEXT, 32, NonPagedPool, &c);
	if (!c)
		FltAllocateContext(o->Filter, FLT_STREAM_CONTEXT, 32, NonPagedPool, &c);
	if (c) {
		teardown_set_status = FltSetInstanceContext(o->Instance, FLT_SET_CONTEXT_REPLACE_IF_EXISTS,
							    c, NULL);
		FltReleaseContext(c);
	}
	/* the instance context is still there */
	assert_status(FltGetInstanceContext(o->Instance, &got), STATUS_SUCCESS);
	FltReleaseContext(got);
}

static VOID FLTAPI on_teardown_complete(PCFLT_RELATED_OBJECTS o, FLT_INSTANCE_TEARDOWN_FLAGS r)
{
	(void)o;
	(void)r;
	n_teardown_complete++;
}

static void test_flt_instance_callbacks(void **state)
{
	FLT_REGISTRATION r = reg_with(std_ctx);
	PFLT_FILTER f;
	PFLT_VOLUME v;
	PFLT_INSTANCE in;
	KT_BEGIN();

	(void)state;
	r.InstanceSetupCallback = on_setup;
	r.InstanceTeardownStartCallback = on_teardown_start;
	r.InstanceTeardownCompleteCallback = on_teardown_complete;
	n_setup = n_teardown_start = n_teardown_complete = 0;
	setup_status = STATUS_SUCCESS;
	assert_status(FltRegisterFilter(DRIVER(0), &r, &f), STATUS_SUCCESS);
	assert_status(kmemu_flt_volume_create("C:", 0, &v), STATUS_SUCCESS);
	assert_status(kmemu_flt_instance_attach(f, v, &in), STATUS_FLT_NOT_INITIALIZED);
	assert_status(FltStartFiltering(f), STATUS_SUCCESS);
	setup_status = STATUS_FLT_DO_NOT_ATTACH;
	assert_status(kmemu_flt_instance_attach(f, v, &in), STATUS_FLT_DO_NOT_ATTACH);
	assert_null(in);
	assert_int_equal(n_cleanup, 1);        /* the setup's context went with it */
	assert_int_equal(n_teardown_start, 0);
	setup_status = STATUS_SUCCESS;
	assert_status(kmemu_flt_instance_attach(f, v, &in), STATUS_SUCCESS);
	assert_status(kmemu_flt_instance_detach(in), STATUS_SUCCESS);
	assert_int_equal(n_teardown_start, 1);
	assert_int_equal(n_teardown_complete, 1);
	assert_status(teardown_set_status, STATUS_FLT_DELETING_OBJECT);
	assert_int_equal(n_cleanup, 3);        /* setup's and the one that could not be set */
	/* during unload the filter refuses allocations */
	assert_status(kmemu_flt_instance_attach(f, v, &in), STATUS_SUCCESS);
	FltUnregisterFilter(f);
	assert_status(teardown_alloc_status, STATUS_FLT_DELETING_OBJECT);
	assert_int_equal(n_teardown_start, 2);
	assert_int_equal(n_cleanup, 4);
	assert_int_equal(n_leaks, 0);
	assert_status(kmemu_flt_instance_attach(f, v, &in), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_flt_volume_destroy(v), STATUS_SUCCESS);
	FLT_CLEAN();
}

/* What the probe callbacks below do and saw. */
static struct {
	PFLT_INSTANCE in;                  /* the instance the probes name */
	PFILE_OBJECT fo;                   /* the file object being closed */
	PKTRANSACTION tx;                  /* the transaction being ended */
	PFLT_VOLUME v;                     /* the volume of the volume probe */
	PFLT_VOLUME v_attach;              /* a volume to attach to in teardown, or NULL */
	PFILE_OBJECT fo_section;           /* a file object for a section in teardown, or NULL */
	PFLT_CONTEXT spare[3];             /* [0] stream handle, [1] transaction, [2] volume */
	PFLT_CONTEXT spare_section;        /* a section context for the teardown probe */
	NTSTATUS set_sh, get_sh, set_tx, set_vol;   /* from the cleanup callbacks */
	NTSTATUS td_set_vol, td_start, td_attach, td_section;  /* from teardown start */
	int n_td;                          /* teardown-start calls */
} pr;

/* Set the spare context of @i through @set, then release the spare. */
#define PROBE_SET(i, status, call)                                  \
	do {                                                        \
		PFLT_CONTEXT s_ = pr.spare[i];                      \
		if (!s_)                                            \
			break;                                      \
		pr.spare[i] = NULL;                                 \
		(status) = (call);                                  \
		FltReleaseContext(s_);                              \
	} while (0)

/* A cleanup callback that names the object whose teardown runs it. */
static VOID FLTAPI on_cleanup_probe(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	PFLT_CONTEXT got = NULL;

	on_cleanup(c, t);
	switch (t) {
	case FLT_STREAMHANDLE_CONTEXT:
		if (!pr.spare[0])
			break;
		pr.get_sh = FltGetStreamHandleContext(pr.in, pr.fo, &got);
		if (got)
			FltReleaseContext(got);
		PROBE_SET(0, pr.set_sh, FltSetStreamHandleContext(pr.in, pr.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS,
								  s_, NULL));
		break;
	case FLT_TRANSACTION_CONTEXT:
		PROBE_SET(1, pr.set_tx, FltSetTransactionContext(pr.in, pr.tx, FLT_SET_CONTEXT_KEEP_IF_EXISTS,
								 s_, NULL));
		break;
	case FLT_VOLUME_CONTEXT:
		PROBE_SET(2, pr.set_vol, FltSetVolumeContext(pr.v, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s_, NULL));
		break;
	default:
		break;
	}
}

/* Teardown start naming the volume, the filter and the instance it tears down. */
static VOID FLTAPI on_teardown_probe(PCFLT_RELATED_OBJECTS o, FLT_INSTANCE_TEARDOWN_FLAGS r)
{
	PFLT_CONTEXT c = NULL;

	(void)r;
	pr.n_td++;
	if (!FltAllocateContext(o->Filter, FLT_VOLUME_CONTEXT, 32, NonPagedPool, &c)) {
		pr.td_set_vol = FltSetVolumeContext(o->Volume, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL);
		FltReleaseContext(c);
	} else {
		pr.td_set_vol = STATUS_FLT_DELETING_OBJECT;   /* the filter refuses allocations */
	}
	pr.td_start = FltStartFiltering(o->Filter);
	if (pr.v_attach) {
		PFLT_INSTANCE in = (PFLT_INSTANCE)1;

		pr.td_attach = kmemu_flt_instance_attach(o->Filter, pr.v_attach, &in);
		assert_null(in);
	}
	if (pr.fo_section && pr.spare_section) {
		struct kmemu_flt_section *sec = (struct kmemu_flt_section *)1;

		pr.td_section = kmemu_flt_section_create(o->Instance, pr.fo_section, pr.spare_section, &sec);
		assert_null(sec);
	}
}

/* STATUS_FLT_DELETING_OBJECT from the set routines while an object is torn
 * down: a context cleanup callback naming the file object being closed, the
 * transaction being ended, the volume being dismounted; the teardown-start
 * callback during a dismount and during unload (volume contexts).  Get
 * still works (nothing found).  The model's attach and section create and
 * FltStartFiltering during unload answer too. */
static void test_flt_set_during_teardown(void **state)
{
	static const FLT_CONTEXT_REGISTRATION ctx[] = {
#define PROBE(t) { t, 0, on_cleanup_probe, 32, TAG, NULL, NULL, NULL }
		PROBE(FLT_VOLUME_CONTEXT), PROBE(FLT_INSTANCE_CONTEXT), PROBE(FLT_STREAMHANDLE_CONTEXT),
		PROBE(FLT_TRANSACTION_CONTEXT), PROBE(FLT_SECTION_CONTEXT),
#undef PROBE
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
	};
	FLT_REGISTRATION r = reg_with(ctx);
	PFLT_FILTER f;
	PFLT_VOLUME v, v2, v3;
	PFLT_CONTEXT c;
	KT_BEGIN();

	(void)state;
	memset(&pr, 0, sizeof(pr));
	r.InstanceTeardownStartCallback = on_teardown_probe;
	assert_status(FltRegisterFilter(DRIVER(0), &r, &f), STATUS_SUCCESS);
	assert_status(FltStartFiltering(f), STATUS_SUCCESS);
	assert_status(kmemu_flt_volume_create("C:", 0, &v), STATUS_SUCCESS);
	assert_status(kmemu_flt_instance_attach(f, v, &pr.in), STATUS_SUCCESS);
	assert_status(kmemu_flt_file_open(v, "a.txt", &pr.fo), STATUS_SUCCESS);
	assert_status(kmemu_flt_transaction_create(&pr.tx), STATUS_SUCCESS);
	pr.v = v;
	/* the file object being closed */
	c = alloc_ok(f, FLT_STREAMHANDLE_CONTEXT, 32, PagedPool);
	assert_status(FltSetStreamHandleContext(pr.in, pr.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
	FltReleaseContext(c);
	pr.spare[0] = alloc_ok(f, FLT_STREAMHANDLE_CONTEXT, 32, PagedPool);
	assert_status(kmemu_flt_file_close(pr.fo), STATUS_SUCCESS);
	assert_status(pr.set_sh, STATUS_FLT_DELETING_OBJECT);
	assert_status(pr.get_sh, STATUS_NOT_FOUND);
	assert_int_equal(n_cleanup, 2);        /* the context and the spare */
	assert_status(kmemu_flt_file_close(pr.fo), STATUS_INVALID_PARAMETER);   /* gone now */
	FLT_CHECK();
	/* the transaction being ended */
	c = alloc_ok(f, FLT_TRANSACTION_CONTEXT, 32, PagedPool);
	assert_status(FltSetTransactionContext(pr.in, pr.tx, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
	FltReleaseContext(c);
	pr.spare[1] = alloc_ok(f, FLT_TRANSACTION_CONTEXT, 32, PagedPool);
	assert_status(kmemu_flt_transaction_end(pr.tx), STATUS_SUCCESS);
	assert_status(pr.set_tx, STATUS_FLT_DELETING_OBJECT);
	assert_int_equal(n_cleanup, 4);
	assert_status(kmemu_flt_transaction_end(pr.tx), STATUS_INVALID_PARAMETER);
	/* the volume being dismounted: teardown start and the context's cleanup;
	 * an instance may not be attached to a volume going away, nor a
	 * section created for an instance being detached */
	c = alloc_ok(f, FLT_VOLUME_CONTEXT, 32, NonPagedPool);
	assert_status(FltSetVolumeContext(v, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
	FltReleaseContext(c);
	pr.spare[2] = alloc_ok(f, FLT_VOLUME_CONTEXT, 32, NonPagedPool);
	assert_status(kmemu_flt_file_open(v, "b.txt", &pr.fo_section), STATUS_SUCCESS);
	pr.spare_section = alloc_ok(f, FLT_SECTION_CONTEXT, 32, PagedPool);
	pr.v_attach = v;
	assert_status(kmemu_flt_volume_destroy(v), STATUS_SUCCESS);
	assert_int_equal(pr.n_td, 1);
	assert_status(pr.td_set_vol, STATUS_FLT_DELETING_OBJECT);
	assert_status(pr.td_start, STATUS_SUCCESS);
	assert_status(pr.td_attach, STATUS_INVALID_PARAMETER);  /* the volume is going */
	assert_status(pr.td_section, STATUS_FLT_DELETING_OBJECT);
	assert_status(pr.set_vol, STATUS_FLT_DELETING_OBJECT);
	FltReleaseContext(pr.spare_section);
	pr.fo_section = NULL;
	pr.spare_section = NULL;
	FLT_CHECK();
	/* filter unload: teardown start of an instance on a live volume, and the
	 * volume context's cleanup; attach and FltStartFiltering refuse too */
	assert_status(kmemu_flt_volume_create("D:", 0, &v2), STATUS_SUCCESS);
	assert_status(kmemu_flt_volume_create("E:", 0, &v3), STATUS_SUCCESS);
	assert_status(kmemu_flt_instance_attach(f, v2, &pr.in), STATUS_SUCCESS);
	c = alloc_ok(f, FLT_VOLUME_CONTEXT, 32, NonPagedPool);
	assert_status(FltSetVolumeContext(v2, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
	FltReleaseContext(c);
	pr.spare[2] = alloc_ok(f, FLT_VOLUME_CONTEXT, 32, NonPagedPool);
	pr.v = v2;
	pr.v_attach = v3;
	pr.set_vol = pr.td_set_vol = pr.td_start = STATUS_SUCCESS;
	FltUnregisterFilter(f);
	assert_int_equal(pr.n_td, 2);
	assert_status(pr.td_set_vol, STATUS_FLT_DELETING_OBJECT);
	assert_status(pr.td_start, STATUS_INVALID_PARAMETER);
	assert_status(pr.td_attach, STATUS_FLT_DELETING_OBJECT);
	assert_status(pr.set_vol, STATUS_FLT_DELETING_OBJECT);
	assert_int_equal(n_leaks, 0);
	assert_status(kmemu_flt_volume_destroy(v2), STATUS_SUCCESS);
	assert_status(kmemu_flt_volume_destroy(v3), STATUS_SUCCESS);
	FLT_CLEAN();
}

struct later_release {
	PFLT_CONTEXT c;
	int ms;
};

static void *release_later(void *arg)
{
	struct later_release *l = arg;
	struct timespec ts = { 0, (long)l->ms * 1000000L };

	nanosleep(&ts, NULL);
	FltReleaseContext(l->c);
	return NULL;
}

/* Unload waits for references other threads hold; what stays is a leak,
 * reported with its allocation site, then reclaimed. */
static void test_flt_unload_waits_then_reports(void **state)
{
	struct world w;
	PFLT_CONTEXT c, kept;
	pthread_t t;
	struct later_release l;
	struct kmemu_flt_stats s;
	int line;
	KT_BEGIN();

	(void)state;
	world_make(&w, 0);
	c = alloc_ok(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	assert_status(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
	l.c = c;
	l.ms = 100;
	assert_int_equal(pthread_create(&t, NULL, release_later, &l), 0);
	kmemu_flt_set_unload_wait(5000);
	FltUnregisterFilter(w.f);              /* detaches (object ref), waits for the thread's */
	pthread_join(t, NULL);
	assert_int_equal(n_leaks, 0);
	assert_int_equal(n_cleanup, 1);
	/* a reference nobody releases */
	w.f = reg_std(0);
	assert_status(kmemu_flt_instance_attach(w.f, w.v, &w.in), STATUS_SUCCESS);
	line = __LINE__ + 1;
	assert_status(KMEMU_FLT_ALLOCATE_CONTEXT(w.f, FLT_FILE_CONTEXT, 24, PagedPool, &kept), 0);
	c = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	FltReferenceContext(kept);
	kmemu_flt_set_unload_wait(20);
	FltUnregisterFilter(w.f);
	assert_int_equal(n_leaks, 2);
	assert_status(kmemu_flt_stats_get(&s), STATUS_SUCCESS);
	assert_u64_equal(s.leaks_reported, 2);
	assert_u64_equal(s.live_contexts, 0);
	/* the first one allocated is reported last (newest first) */
	assert_ptr_equal(last_leak.context, kept);
	assert_int_equal(last_leak.references, 2);
	assert_int_equal(last_leak.type, FLT_FILE_CONTEXT);
	assert_int_equal(last_leak.size, 24);
	assert_non_null(last_leak.file);
	assert_true(strstr(last_leak.file, "test_flt.c") != NULL);
	assert_int_equal(last_leak.line, line);
	assert_string_equal(last_leak.function, "test_flt_unload_waits_then_reports");
	assert_true((uintptr_t)last_leak.caller > (uintptr_t)test_flt_unload_waits_then_reports);
	assert_int_equal(n_cleanup, 1);        /* leaks are reclaimed without cleanup */
	/* a later use is a use after free */
	kmemu_bugcheck_set_handler(on_bugcheck, NULL);
	FltReleaseContext(kept);
	assert_int_equal(last_bc.param[0], 0x6E);
	kmemu_bugcheck_set_handler(NULL, NULL);
	/* the default handler prints and the machine closes cleanly */
	kmemu_flt_set_leak_handler(NULL, NULL);
	w.f = reg_std(0);
	c = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	kmemu_flt_set_unload_wait(0);
	FltUnregisterFilter(w.f);
	kmemu_flt_set_leak_handler(on_leak, NULL);
	assert_status(kmemu_flt_file_close(w.fo), STATUS_SUCCESS);
	assert_status(kmemu_flt_transaction_end(w.tx), STATUS_SUCCESS);
	assert_status(kmemu_flt_volume_destroy(w.v), STATUS_SUCCESS);
	FLT_CLEAN();
}

/* A machine closed with everything still there: nothing leaks on the host. */
static void test_flt_machine_close_reclaims(void **state)
{
	struct world w;
	struct kmemu_flt_section *sec;

	(void)state;
	world_make(&w, 0);
	for (int i = 0; i < 6; i++) {
		PFLT_CONTEXT c = alloc_ok(w.f, routines[i].type, 32, NonPagedPool);

		assert_status(routines[i].set(&w, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
		FltReleaseContext(c);
	}
	PFLT_CONTEXT s = alloc_ok(w.f, FLT_SECTION_CONTEXT, 32, NonPagedPool);
	assert_status(kmemu_flt_section_create(w.in, w.fo, s, &sec), STATUS_SUCCESS);
	FltReleaseContext(s);
	alloc_ok(w.f, FLT_FILE_CONTEXT, 50, PagedPool);   /* a leak */
	s = alloc_ok(w.f, FLT_FILE_CONTEXT, 32, NonPagedPool);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	FltReleaseContext(s);                             /* deferred */
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	kt_close_backend();
	assert_int_equal(n_cleanup, 8);
	assert_int_equal(n_leaks, 1);
	assert_int_equal(kt_use_emu(16 * KT_MIB, KMEMU_PLACE_DEFAULT, 0), 0);
}

/* On a backend without KMEMU_CAP_FLT every routine answers NOT_SUPPORTED. */
static struct kmemu_backend_ops noflt_ops;

static void test_flt_not_supported(void **state)
{
	struct kmemu_backend *b = NULL, *old;
	FLT_REGISTRATION r = reg_with(NULL);
	PFLT_FILTER f;
	PFLT_CONTEXT c;
	PFLT_VOLUME v;
	struct kmemu_flt_stats s;

	(void)state;
	noflt_ops = kmemu__emu_ops;
	noflt_ops.name = "emu-noflt";
	noflt_ops.caps &= ~KMEMU_CAP_FLT;
	assert_status(kmemu_backend_register(&noflt_ops), STATUS_SUCCESS);
	assert_status(kmemu_backend_open("emu-noflt", NULL, &b), STATUS_SUCCESS);
	old = kmemu_backend_set_current(b);
	assert_status(FltRegisterFilter(DRIVER(0), &r, &f), STATUS_NOT_SUPPORTED);
	assert_status(FltStartFiltering(NULL), STATUS_NOT_SUPPORTED);
	assert_status(FltAllocateContext(NULL, FLT_FILE_CONTEXT, 8, PagedPool, &c), STATUS_NOT_SUPPORTED);
	assert_status(FltSetInstanceContext(NULL, 0, NULL, NULL), STATUS_NOT_SUPPORTED);
	assert_status(FltGetInstanceContext(NULL, &c), STATUS_NOT_SUPPORTED);
	assert_status(FltDeleteInstanceContext(NULL, NULL), STATUS_NOT_SUPPORTED);
	assert_status(FltGetSectionContext(NULL, NULL, &c), STATUS_NOT_SUPPORTED);
	assert_status(kmemu_flt_volume_create("x", 0, &v), STATUS_NOT_SUPPORTED);
	assert_status(kmemu_flt_stats_get(&s), STATUS_NOT_SUPPORTED);
	assert_status(kmemu_flt_drain(), STATUS_NOT_SUPPORTED);
	FltReleaseContext(NULL);               /* VOID routines: nothing */
	FltReferenceContext(NULL);
	FltDeleteContext(NULL);
	FltUnregisterFilter(NULL);
	kmemu_backend_set_current(old);
	kmemu_backend_close(b);
}

/* Growing the live set can fail: the allocation then fails cleanly (the
 * block goes back to its lookaside list or the heap) whichever acquisition
 * the fault simulator picks. */
static void test_flt_live_set_growth_fault(void **state)
{
	enum { N = 600 };
	static PFLT_CONTEXT c[N];
	struct world w;
	struct kmemu_flt_stats fs;
	unsigned saw_fault = 0;

	(void)state;
	world_make(&w, 0);
	for (uint64_t n = 0; n < 4 * N; n++) {
		struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .n = n,
						 .resources = KMEMU_FAULT_HEAP };
		struct kmemu_fault_stats fst;
		unsigned got = 0;
		NTSTATUS rc = 0;

		assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
		for (unsigned i = 0; i < N && !rc; i++) {
			c[i] = NULL;
			rc = FltAllocateContext(w.f, FLT_FILE_CONTEXT, i % 2 ? 32 : 100, PagedPool, &c[i]);
			if (!rc)
				got++;
		}
		kmemu_fault_get_stats(&fst);
		assert_status(kmemu_fault_set(NULL), STATUS_SUCCESS);
		if (rc) {
			assert_status(rc, STATUS_INSUFFICIENT_RESOURCES);
			assert_u64_equal(fst.failures, 1);
			saw_fault++;
		}
		for (unsigned i = 0; i < got; i++)
			FltReleaseContext(c[i]);
		assert_status(kmemu_flt_stats_get(&fs), STATUS_SUCCESS);
		assert_u64_equal(fs.live_contexts, 0);
		if (!rc)
			break;
	}
	assert_true(saw_fault > 10);
	world_end(&w);
	assert_status(kmemu_flt_stats_get(&fs), STATUS_SUCCESS);
	assert_u64_equal(fs.lookaside_free, 0);
}

/* The checker sees a broken invariant (and the repair). */
static void test_flt_check_detects_corruption(void **state)
{
	struct world w;
	struct flt_filter *f;
	struct flt_fobj *fo;
	PFLT_CONTEXT c;
	const char *msg = NULL;

	(void)state;
	world_make(&w, 0);
	c = alloc_ok(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	assert_status(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
	FLT_CHECK();
	f = (struct flt_filter *)w.f;
	f->n_live++;
	assert_status(kmemu_flt_check(&msg), STATUS_INTERNAL_ERROR);
	assert_non_null(msg);
	f->n_live--;
	fo = (struct flt_fobj *)w.fo;
	fo->stream->refs++;
	assert_status(kmemu_flt_check(&msg), STATUS_INTERNAL_ERROR);
	fo->stream->refs--;
	FLT_CTX_OF(c)->type = FLT_FILE_CONTEXT;
	assert_status(kmemu_flt_check(&msg), STATUS_INTERNAL_ERROR);
	FLT_CTX_OF(c)->type = FLT_STREAM_CONTEXT;
	FLT_CHECK();
	FltReleaseContext(c);
	world_end(&w);
	FLT_CHECK();
}

/* ---- the OOM loop ---------------------------------------------------------------------------------- */

static uint32_t oom_register(void *ctx)
{
	FLT_REGISTRATION r = reg_with(std_ctx);
	PFLT_FILTER f;
	NTSTATUS rc = FltRegisterFilter(DRIVER(5), &r, &f);

	(void)ctx;
	if (!rc)
		FltUnregisterFilter(f);
	return (uint32_t)rc;
}

static uint32_t oom_alloc_set_get(void *ctx)
{
	struct world *w = ctx;
	PFLT_CONTEXT c[3], got;
	NTSTATUS rc = 0;
	const SIZE_T sizes[3] = { 32, 40, 300 };  /* fixed, NO_EXACT, variable */

	for (int i = 0; i < 3; i++)
		c[i] = NULL;
	for (int i = 0; i < 3 && !rc; i++)
		rc = FltAllocateContext(w->f, FLT_STREAM_CONTEXT, sizes[i], PagedPool, &c[i]);
	if (!rc)
		rc = FltSetStreamContext(w->in, w->fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c[0], NULL);
	if (!rc)
		rc = FltGetStreamContext(w->in, w->fo, &got);
	if (!rc) {
		FltReleaseContext(got);
		FltDeleteStreamContext(w->in, w->fo, NULL);
	}
	for (int i = 0; i < 3; i++)
		if (c[i])
			FltReleaseContext(c[i]);
	/* freed blocks wait in the quarantine: end it, so the heap count the
	 * loop compares is back where it was */
	kmemu_flt_quarantine_flush();
	return (uint32_t)rc;
}

static uint32_t oom_model(void *ctx)
{
	PFLT_VOLUME v;
	PFILE_OBJECT fo;
	PKTRANSACTION t;
	PFLT_INSTANCE in;
	NTSTATUS rc = kmemu_flt_volume_create("O:", 0, &v);

	if (rc)
		return (uint32_t)rc;
	if (!(rc = kmemu_flt_instance_attach(ctx, v, &in)) && !(rc = kmemu_flt_file_open(v, "f:s", &fo))) {
		PFLT_CONTEXT c = NULL;
		struct kmemu_flt_section *sec;

		if (!(rc = kmemu_flt_transaction_create(&t)))
			kmemu_flt_transaction_end(t);
		if (!rc)
			rc = FltAllocateContext(ctx, FLT_SECTION_CONTEXT, 32, PagedPool, &c);
		if (!rc && !(rc = kmemu_flt_section_create(in, fo, c, &sec)))
			kmemu_flt_section_close(sec);
		if (c)
			FltReleaseContext(c);
		kmemu_flt_file_close(fo);
	}
	kmemu_flt_quarantine_flush();
	kmemu_flt_volume_destroy(v);
	return (uint32_t)rc;
}

static void test_flt_oom(void **state)
{
	static const uint32_t ok[] = { STATUS_INSUFFICIENT_RESOURCES };
	struct kmemu_oom_result res;
	struct world w;

	(void)state;
	world_make(&w, 0);
	struct kmemu_oom_op ops[] = {
		{ "FltRegisterFilter", oom_register, NULL, 0, ok, 1, KMEMU_FAULT_HEAP },
		{ "allocate+set+get", oom_alloc_set_get, &w, 0, ok, 1, KMEMU_FAULT_HEAP },
		{ "model", oom_model, w.f, 0, ok, 1, KMEMU_FAULT_HEAP },
	};
	for (size_t i = 0; i < KT_ARRAY_SIZE(ops); i++) {
		kmemu_status rc = kmemu_oom_loop(&ops[i], 0, &res);

		if (rc)
			print_error("%s: %s\n", ops[i].name, res.message);
		assert_status(rc, STATUS_SUCCESS);
		assert_true(res.failures > 0);
	}
	world_end(&w);
}

#define FLT_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FLT_TEST(test_flt_register_statuses),
		FLT_TEST(test_flt_register_parsing),
		FLT_TEST(test_flt_register_size_matching),
		FLT_TEST(test_flt_allocate_statuses),
		FLT_TEST(test_flt_allocate_memory_contents),
		FLT_TEST(test_flt_allocate_callbacks),
		FLT_TEST(test_flt_refcount_cycle),
		FLT_TEST(test_flt_release_deferred_at_dispatch),
		FLT_TEST(test_flt_irql_reports),
		FLT_TEST(test_flt_use_after_release_reported),
		FLT_TEST(test_flt_stale_pointer_after_reuse),
		FLT_TEST(test_flt_set_get_delete_each_type),
		FLT_TEST(test_flt_set_bad_objects),
		FLT_TEST(test_flt_model_lifetimes),
		FLT_TEST(test_flt_section_contexts),
		FLT_TEST(test_flt_get_contexts),
		FLT_TEST(test_flt_instance_callbacks),
		FLT_TEST(test_flt_set_during_teardown),
		FLT_TEST(test_flt_unload_waits_then_reports),
		FLT_TEST(test_flt_machine_close_reclaims),
		FLT_TEST(test_flt_not_supported),
		FLT_TEST(test_flt_live_set_growth_fault),
		FLT_TEST(test_flt_check_detects_corruption),
		FLT_TEST(test_flt_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
