/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of FltAllocateContext().
 */
#include <stdlib.h>
#include <pthread.h>
#include "../flt_helpers.h"

#define A "FltAllocateContext/"

/* ---- the interface ---------------------------------------------------------------------- */

KMEMU_CASE(prototype, A "prototype-and-header", FH_CAPS, A "prototype " A "header")
{
	NTSTATUS (FLTAPI *fn)(PFLT_FILTER, FLT_CONTEXT_TYPE, SIZE_T, POOL_TYPE, PFLT_CONTEXT *) =
		FltAllocateContext;
	int returns_ntstatus = _Generic(FltAllocateContext(NULL, 0, 0, NonPagedPool, NULL),
					NTSTATUS: 1, default: 0);

	KMEMU_EXPECT_TRUE(fn != NULL);
	KMEMU_EXPECT_TRUE(returns_ntstatus);
	KMEMU_EXPECT_EQ(FLT_VOLUME_CONTEXT + FLT_INSTANCE_CONTEXT + FLT_FILE_CONTEXT +
			FLT_STREAM_CONTEXT + FLT_STREAMHANDLE_CONTEXT + FLT_TRANSACTION_CONTEXT +
			FLT_SECTION_CONTEXT, 0x7F);
}

static pthread_t req_thread;
static int req_cleanups;
static VOID FLTAPI req_cleanup(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	(void)c;
	(void)t;
	req_thread = pthread_self();
	req_cleanups++;
}

KMEMU_CASE(requirements, A "requirements-rows", FH_CAPS, A "platform " A "library " A "dll")
{
	static const FLT_CONTEXT_REGISTRATION ctx[] = {
		{ FLT_FILE_CONTEXT, 0, req_cleanup, 32, FH_TAG, NULL, NULL, NULL }, FH_END
	};
	/* every routine seed 004 names, resolved from the library */
	const void *const routines[] = {
		(const void *)FltAllocateContext, (const void *)FltRegisterFilter,
		(const void *)FltReferenceContext, (const void *)FltReleaseContext,
		(const void *)FltSetFileContext, (const void *)FltSetInstanceContext,
		(const void *)FltSetStreamContext, (const void *)FltSetStreamHandleContext,
		(const void *)FltSetTransactionContext, (const void *)FltSetVolumeContext,
		(const void *)FltGetFileContext, (const void *)FltGetInstanceContext,
		(const void *)FltGetSectionContext, (const void *)FltGetStreamContext,
		(const void *)FltGetStreamHandleContext, (const void *)FltGetTransactionContext,
		(const void *)FltGetVolumeContext, (const void *)FltDeleteFileContext,
		(const void *)FltDeleteInstanceContext, (const void *)FltDeleteStreamContext,
		(const void *)FltDeleteStreamHandleContext, (const void *)FltDeleteTransactionContext,
		(const void *)FltDeleteVolumeContext, (const void *)FltGetContexts,
		(const void *)FltDeleteContext,
	};
	PFLT_FILTER f;

	for (size_t i = 0; i < sizeof(routines) / sizeof(routines[0]); i++)
		KMEMU_EXPECT_TRUE(routines[i] != NULL);
	KMEMU_EXPECT_TRUE((kmemu_backend_caps(NULL) & KMEMU_CAP_FLT) != 0);
	f = fh_register(ctx, 0);
	FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 32, PagedPool));
	KMEMU_EXPECT_EQ(req_cleanups, 1);
	KMEMU_EXPECT_TRUE(pthread_equal(req_thread, pthread_self()));
	FltUnregisterFilter(f);
}

KMEMU_CASE(types, A "every-type", FH_CAPS,
	   A "allocates-of-type " A "context-type-values " A "returns-success " A "pool-types "
	   A "nonpaged-nx " A "size-is-minifilter-portion")
{
	static const uint16_t values[7] = { 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40 };
	static const POOL_TYPE pools[3] = { NonPagedPool, PagedPool, NonPagedPoolNx };
	PFLT_FILTER f = fh_register(fh_std, 0);
	PFLT_CONTEXT c = NULL;

	for (int i = 0; i < 7; i++) {
		KMEMU_EXPECT_EQ(fh_types[i], values[i]);
		for (int p = 0; p < 3; p++) {
			NTSTATUS st = FltAllocateContext(f, fh_types[i], 300, pools[p], &c);

			if (fh_types[i] == FLT_VOLUME_CONTEXT && pools[p] == PagedPool)
				continue;
			KMEMU_EXPECT_EQ(st, 0);
			KMEMU_EXPECT_TRUE(c != NULL);
			if (!c)
				continue;
			memset(c, 0xA0 + i, 300);
			KMEMU_EXPECT_TRUE(fh_all(c, 300, (uint8_t)(0xA0 + i)));
			FltReleaseContext(c);
		}
	}
	FltUnregisterFilter(f);
}

KMEMU_CASE(bad_type, A "invalid-type", FH_CAPS,
	   A "context-type-values " A "invalid-parameter " A "returned-context")
{
	static const FLT_CONTEXT_TYPE bad[] = { 0, 0x80, 0x8000, 0x3, 0x7F, FLT_CONTEXT_END };
	PFLT_FILTER f = fh_register(fh_std, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PFLT_CONTEXT c = (PFLT_CONTEXT)&f;

		KMEMU_EXPECT_NT(FltAllocateContext(f, bad[i], 32, NonPagedPool, &c),
				STATUS_INVALID_PARAMETER);
		KMEMU_EXPECT_TRUE(c == NULL);
	}
	FltUnregisterFilter(f);
}

KMEMU_CASE(filter_arg, A "filter-required", FH_CAPS, A "filter-required " A "returned-context")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	PFLT_CONTEXT c = (PFLT_CONTEXT)&f;

	KMEMU_EXPECT_NT(FltAllocateContext(NULL, FLT_FILE_CONTEXT, 32, PagedPool, &c),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_TRUE(c == NULL);
	KMEMU_EXPECT_NT(FltAllocateContext((PFLT_FILTER)&c, FLT_FILE_CONTEXT, 32, PagedPool, &c),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 32, PagedPool, NULL),
			STATUS_INVALID_PARAMETER);
	FltUnregisterFilter(f);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 32, PagedPool, &c),
			STATUS_INVALID_PARAMETER);
}

KMEMU_CASE(sizes, A "size-limits", FH_CAPS,
	   A "size-range " A "size-required " A "invalid-buffer-size " A "invalid-parameter")
{
	static const FLT_CONTEXT_REGISTRATION zero_fixed[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 0, FH_TAG, NULL, NULL, NULL }, FH_END
	};
	PFLT_FILTER f = fh_register(fh_std, 0), z = fh_register(zero_fixed, 1);
	PFLT_CONTEXT c = NULL;

	for (int i = 0; i < 7; i++)
		KMEMU_EXPECT_NT(FltAllocateContext(f, fh_types[i], 0, NonPagedPool, &c),
				STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(FltAllocateContext(z, FLT_FILE_CONTEXT, 0, PagedPool, &c),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 0x10000, PagedPool, &c),
			STATUS_INVALID_BUFFER_SIZE);
	KMEMU_EXPECT_NT(FltAllocateContext(z, FLT_FILE_CONTEXT, 0x10000, PagedPool, &c),
			STATUS_INVALID_BUFFER_SIZE);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, (SIZE_T)-1, PagedPool, &c),
			STATUS_INVALID_BUFFER_SIZE);
	KMEMU_EXPECT_TRUE(c == NULL);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 0xFFFF, PagedPool, &c), STATUS_SUCCESS);
	if (c) {
		((uint8_t *)c)[0xFFFE] = 1;
		FltReleaseContext(c);
	}
	FltUnregisterFilter(z);
	FltUnregisterFilter(f);
}

KMEMU_CASE(registered_size, A "registered-size", FH_CAPS,
	   A "fixed-size-limit " A "larger-than-registered " A "spec-exact-size")
{
	static const FLT_CONTEXT_REGISTRATION fixed[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 32, FH_TAG, NULL, NULL, NULL },
		{ FLT_STREAM_CONTEXT, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, NULL, 64, FH_TAG,
		  NULL, NULL, NULL },
		FH_END
	};
	PFLT_FILTER f = fh_register(fixed, 0);
	PFLT_CONTEXT c = NULL;

	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 33, PagedPool, &c),
			STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 31, PagedPool, &c),
			STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 32, PagedPool, &c), STATUS_SUCCESS);
	if (c)
		FltReleaseContext(c);
	for (SIZE_T s = 1; s <= 64; s++) {
		KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_STREAM_CONTEXT, s, PagedPool, &c), 0);
		if (c)
			FltReleaseContext(c);
	}
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_STREAM_CONTEXT, 65, PagedPool, &c),
			STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	FltUnregisterFilter(f);
}

KMEMU_CASE(not_registered, A "type-not-registered", FH_CAPS, A "not-registered")
{
	static const FLT_CONTEXT_REGISTRATION only_file[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 32, FH_TAG, NULL, NULL, NULL }, FH_END
	};
	PFLT_FILTER f = fh_register(only_file, 0), none = fh_register(NULL, 1);
	PFLT_CONTEXT c = NULL;

	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_STREAM_CONTEXT, 32, PagedPool, &c),
			STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	KMEMU_EXPECT_NT(FltAllocateContext(none, FLT_FILE_CONTEXT, 32, PagedPool, &c),
			STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	KMEMU_EXPECT_TRUE(c == NULL);
	FltUnregisterFilter(none);
	FltUnregisterFilter(f);
}

KMEMU_CASE(volume_pool, A "volume-contexts-nonpaged", FH_CAPS_IRQL,
	   A "volume-nonpaged " A "nonpaged-nx " A "invalid-parameter")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	PFLT_CONTEXT c = NULL;

	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_VOLUME_CONTEXT, 32, PagedPool, &c),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_VOLUME_CONTEXT, 32, PagedPoolSession, &c),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_VOLUME_CONTEXT, 32, NonPagedPoolNx, &c), 0);
	if (c)
		FltReleaseContext(c);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_VOLUME_CONTEXT, 32, NonPagedPool, &c), 0);
	kmemu_bugcheck_set_handler(fh_on_bugcheck, NULL);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	if (c)
		FltReleaseContext(c);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_NT(kmemu_flt_drain(), 0);
	KMEMU_EXPECT_EQ(fh_bugchecks, 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	FltUnregisterFilter(f);
}

KMEMU_CASE(paged, A "paged-release-irql", FH_CAPS_IRQL, A "paged-pool " A "from-pool")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	PFLT_CONTEXT p = fh_alloc(f, FLT_FILE_CONTEXT, 32, PagedPool), n;

	kmemu_bugcheck_set_handler(fh_on_bugcheck, NULL);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	FltReleaseContext(p);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_EQ(fh_bugchecks, 1);
	KMEMU_EXPECT_EQ(fh_bc.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_EXPECT_EQ(fh_bc.param[0], (uintptr_t)p);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	KMEMU_SETUP_NT(kmemu_irql_set(APC_LEVEL, NULL));
	FltReleaseContext(p);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	/* the released paged block is not what a nonpaged request gets */
	n = fh_alloc(f, FLT_FILE_CONTEXT, 32, NonPagedPool);
	KMEMU_EXPECT_TRUE(n != p);
	FltReleaseContext(n);
	FltUnregisterFilter(f);
}

KMEMU_CASE(contents, A "memory-contents", FH_CAPS,
	   A "zeroing-depends " A "variable-zeroed " A "fixed-not-zeroed " A "lookaside-old-bytes "
	   A "before-win11 " A "no-initialisation " A "spec-not-zeroed-refcount")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	uint8_t *a, *b, *v;

	a = fh_alloc(f, FLT_STREAM_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_TRUE(fh_all(a, 32, KMEMU_FLT_POISON));
	memcpy(a, "the driver's bytes, 32 of them.", 32);
	FltReleaseContext(a);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	/* the quarantine keeps a's address out of use for KMEMU_FLT_QUARANTINE
	 * frees; then the lookaside list hands it out with the old bytes */
	KMEMU_EXPECT_TRUE(fh_push_quarantine(f) == 0);
	b = fh_alloc(f, FLT_STREAM_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_TRUE(a == b);
	KMEMU_EXPECT_MEM(b, "the driver's bytes, 32 of them.", 32);
	FltReleaseContext(b);
	a = fh_alloc(f, FLT_STREAM_CONTEXT, 50, NonPagedPool);   /* the 64 entry, fresh */
	KMEMU_EXPECT_TRUE(fh_all(a, 64, KMEMU_FLT_POISON));
	FltReleaseContext(a);
	v = fh_alloc(f, FLT_STREAM_CONTEXT, 500, PagedPool);
	KMEMU_EXPECT_TRUE(fh_all(v, 500, 0));
	memset(v, 0x77, 500);
	FltReleaseContext(v);
	v = fh_alloc(f, FLT_STREAM_CONTEXT, 500, PagedPool);
	KMEMU_EXPECT_TRUE(fh_all(v, 500, 0));
	FltReleaseContext(v);
	FltUnregisterFilter(f);
}

static POOL_TYPE cb_pool;
static PVOID FLTAPI cb_alloc(POOL_TYPE pool, SIZE_T size, FLT_CONTEXT_TYPE t)
{
	PVOID p = malloc(size);

	(void)t;
	cb_pool = pool;
	if (p)
		memset(p, 0x5A, size);
	return p;
}

static VOID FLTAPI cb_free(PVOID p, FLT_CONTEXT_TYPE t)
{
	(void)t;
	free(p);
}

KMEMU_CASE(callback, A "callback-memory", FH_CAPS,
	   A "callback-contents " A "invalid-pool-callback " A "zeroing-depends")
{
	static const FLT_CONTEXT_REGISTRATION cb[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 8, 0, cb_alloc, cb_free, NULL }, FH_END
	};
	PFLT_FILTER f = fh_register(cb, 0);
	PFLT_CONTEXT c = fh_alloc(f, FLT_FILE_CONTEXT, 40, PagedPool);

	KMEMU_EXPECT_TRUE(fh_all(c, 40, 0x5A));
	FltReleaseContext(c);
	c = fh_alloc(f, FLT_FILE_CONTEXT, 40, (POOL_TYPE)77);
	KMEMU_EXPECT_EQ(cb_pool, 77);
	FltReleaseContext(c);
	FltUnregisterFilter(f);
}

KMEMU_CASE(invalid_pool, A "invalid-pool-bypasses-lookaside", FH_CAPS, A "invalid-pool-bypass")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	struct kmemu_flt_stats s0, s1;
	PFLT_CONTEXT c = fh_alloc(f, FLT_FILE_CONTEXT, 32, (POOL_TYPE)77);

	KMEMU_EXPECT_TRUE(fh_all(c, 32, KMEMU_FLT_POISON));
	s0 = fh_stats();
	FltReleaseContext(c);
	s1 = fh_stats();
	KMEMU_EXPECT_EQ(s1.lookaside_free, s0.lookaside_free);
	KMEMU_EXPECT_EQ(s1.live_contexts + 1, s0.live_contexts);
	c = fh_alloc(f, FLT_FILE_CONTEXT, 32, PagedPool);
	FltReleaseContext(c);
	KMEMU_EXPECT_EQ(fh_stats().lookaside_free, s0.lookaside_free + 1);
	FltUnregisterFilter(f);
}

KMEMU_CASE(opaque, A "portion-opaque", FH_CAPS,
	   A "portion-opaque " A "portion-is-minifilter-state " A "contexts-about " A "refcount-one "
	   A "size-is-minifilter-portion")
{
	struct fh_world w;
	PFLT_FILTER g;
	PFLT_INSTANCE gin;
	PFILE_OBJECT fo2;
	PFLT_CONTEXT c, got = NULL, mine;
	uint8_t pattern[64];

	fh_world(&w, 0);
	for (int i = 0; i < 64; i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	c = fh_alloc(w.f, FLT_STREAM_CONTEXT, 64, PagedPool);
	memcpy(c, pattern, 64);
	KMEMU_SETUP_NT(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL));
	FltReferenceContext(c);
	FltReleaseContext(c);
	KMEMU_SETUP_NT(kmemu_flt_file_open(w.v, "A.txt", &fo2));
	KMEMU_EXPECT_NT(FltGetStreamContext(w.in, fo2, &got), 0);
	KMEMU_EXPECT_TRUE(got == c);
	KMEMU_EXPECT_MEM(c, pattern, 64);
	if (got)
		FltReleaseContext(got);
	/* another filter's instance on the same stream has its own */
	g = fh_register(fh_std, 1);
	KMEMU_SETUP_NT(kmemu_flt_instance_attach(g, w.v, &gin));
	KMEMU_EXPECT_NT(FltGetStreamContext(gin, w.fo, &got), STATUS_NOT_FOUND);
	mine = fh_alloc(g, FLT_STREAM_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_NT(FltSetStreamContext(gin, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, mine, NULL), 0);
	FltReleaseContext(mine);
	KMEMU_EXPECT_NT(FltGetStreamContext(gin, fo2, &got), 0);
	KMEMU_EXPECT_TRUE(got == mine);
	if (got)
		FltReleaseContext(got);
	KMEMU_EXPECT_NT(FltDeleteStreamContext(w.in, w.fo, NULL), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);       /* the allocation reference is still ours */
	KMEMU_EXPECT_MEM(c, pattern, 64);
	FltReleaseContext(c);                  /* one release for the one allocation */
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	KMEMU_EXPECT_EQ(fh_last_byte, pattern[0]);
	FltUnregisterFilter(g);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(release_needed, A "caller-releases", FH_CAPS, A "caller-releases")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	PFLT_CONTEXT c = fh_alloc(f, FLT_INSTANCE_CONTEXT, 32, PagedPool), d;

	FltReleaseContext(c);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	d = fh_alloc(f, FLT_INSTANCE_CONTEXT, 32, PagedPool);
	kmemu_flt_set_leak_handler(fh_on_leak, NULL);
	kmemu_flt_set_unload_wait(0);
	FltUnregisterFilter(f);
	KMEMU_EXPECT_EQ(fh_leaks, 1);
	KMEMU_EXPECT_TRUE(fh_leak.context == d);
	kmemu_flt_set_leak_handler(NULL, NULL);
}

static NTSTATUS teardown_alloc = STATUS_PENDING;
static VOID FLTAPI on_teardown(PCFLT_RELATED_OBJECTS o, FLT_INSTANCE_TEARDOWN_FLAGS r)
{
	PFLT_CONTEXT c = (PFLT_CONTEXT)&r;

	teardown_alloc = FltAllocateContext(o->Filter, FLT_FILE_CONTEXT, 32, PagedPool, &c);
	if (c)
		FltReleaseContext(c);
}

KMEMU_CASE(deleting, A "filter-unloading", FH_CAPS, A "deleting-object")
{
	PFLT_FILTER f = NULL;

	fh_instance_with_teardown(on_teardown, &f);
	FltUnregisterFilter(f);
	KMEMU_EXPECT_NT(teardown_alloc, STATUS_FLT_DELETING_OBJECT);
	KMEMU_EXPECT_TRUE(!NT_SUCCESS(teardown_alloc));
}

/* Allocate (variable, and a bypassing pool type) and release: the OOM loop's run. */
static uint32_t oom_alloc(void *arg)
{
	PFLT_FILTER f = *(PFLT_FILTER *)arg;
	PFLT_CONTEXT a = NULL, b = NULL;
	NTSTATUS st = FltAllocateContext(f, FLT_FILE_CONTEXT, 1000, PagedPool, &a);

	if (!st)
		st = FltAllocateContext(f, FLT_INSTANCE_CONTEXT, 20, (POOL_TYPE)77, &b);
	if (a)
		FltReleaseContext(a);
	if (b)
		FltReleaseContext(b);
	/* freed blocks wait in the quarantine: end it, so the heap count the
	 * loop compares is back where it was */
	kmemu_flt_quarantine_flush();
	return (uint32_t)st;
}

KMEMU_CASE(oom, A "insufficient-resources", FH_CAPS | KMEMU_CAP_FAULT_INJECT,
	   A "insufficient-resources")
{
	static const uint32_t ok[] = { STATUS_INSUFFICIENT_RESOURCES };
	PFLT_FILTER f = fh_register(fh_std, 0);
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .resources = KMEMU_FAULT_HEAP };
	struct kmemu_oom_op op = { "FltAllocateContext", oom_alloc, &f, 0, ok, 1, KMEMU_FAULT_HEAP };
	struct kmemu_oom_result res;
	PFLT_CONTEXT c = (PFLT_CONTEXT)&f;

	KMEMU_SETUP_NT(kmemu_fault_set(&fc));
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 1000, PagedPool, &c),
			STATUS_INSUFFICIENT_RESOURCES);
	KMEMU_EXPECT_TRUE(c == NULL);
	KMEMU_SETUP_NT(kmemu_fault_set(NULL));
	KMEMU_EXPECT_NT(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS);
	if (!res.ok)
		kmemu_diag("%s", res.message);
	KMEMU_EXPECT_TRUE(res.failures > 0);
	FltUnregisterFilter(f);
}

KMEMU_CASE(irql, A "irql-apc-level", FH_CAPS_IRQL, A "irql")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	PFLT_CONTEXT c = NULL;

	KMEMU_SETUP_NT(kmemu_irql_set(APC_LEVEL, NULL));
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 32, PagedPool, &c), 0);
	if (c)
		FltReleaseContext(c);
	kmemu_bugcheck_set_handler(fh_on_bugcheck, NULL);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 32, NonPagedPool, &c),
			STATUS_UNSUCCESSFUL);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_TRUE(c == NULL);
	KMEMU_EXPECT_EQ(fh_bugchecks, 1);
	KMEMU_EXPECT_EQ(fh_bc.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_EXPECT_EQ(fh_bc.param[1], DISPATCH_LEVEL);
	FltUnregisterFilter(f);
}

KMEMU_CASE(streams, A "stream-contexts-unsupported-volume", FH_CAPS, A "not-supported-streams")
{
	struct fh_world w;
	PFLT_CONTEXT c, got;

	fh_world(&w, KMEMU_FLT_VOLUME_NO_STREAM_CONTEXTS);
	c = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_NT(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL),
			STATUS_NOT_SUPPORTED);
	KMEMU_EXPECT_NT(FltGetStreamContext(w.in, w.fo, &got), STATUS_NOT_SUPPORTED);
	FltReleaseContext(c);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	FltUnregisterFilter(w.f);
}

static struct kmemu_backend_ops noflt_ops;

KMEMU_CASE(no_cap, A "backend-without-flt", FH_CAPS, A "no-capability")
{
	struct kmemu_backend *cur = NULL, *b = NULL;
	PFLT_CONTEXT c = (PFLT_CONTEXT)&b;
	PFLT_FILTER f = NULL;
	FLT_REGISTRATION r = fh_reg(NULL);

	KMEMU_SETUP_NT(kmemu_backend_current(&cur));
	noflt_ops = *kmemu_backend_ops_of(cur, NULL);
	noflt_ops.name = "conform-noflt";
	noflt_ops.caps &= ~KMEMU_CAP_FLT;
	KMEMU_SETUP_NT(kmemu_backend_register(&noflt_ops));
	KMEMU_SETUP_NT(kmemu_backend_open("conform-noflt", NULL, &b));
	cur = kmemu_backend_set_current(b);
	KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &f), STATUS_NOT_SUPPORTED);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 32, PagedPool, &c), STATUS_NOT_SUPPORTED);
	kmemu_backend_set_current(cur);
	kmemu_backend_close(b);
}

const struct kmemu_case *const kmemu_cases_FltAllocateContext[] = {
	KMEMU_CASE_REF(prototype), KMEMU_CASE_REF(requirements), KMEMU_CASE_REF(types), KMEMU_CASE_REF(bad_type),
	KMEMU_CASE_REF(filter_arg), KMEMU_CASE_REF(sizes), KMEMU_CASE_REF(registered_size),
	KMEMU_CASE_REF(not_registered), KMEMU_CASE_REF(volume_pool), KMEMU_CASE_REF(paged),
	KMEMU_CASE_REF(contents), KMEMU_CASE_REF(callback), KMEMU_CASE_REF(invalid_pool),
	KMEMU_CASE_REF(opaque), KMEMU_CASE_REF(release_needed), KMEMU_CASE_REF(deleting),
	KMEMU_CASE_REF(oom), KMEMU_CASE_REF(irql), KMEMU_CASE_REF(streams), KMEMU_CASE_REF(no_cap),
	NULL
};
