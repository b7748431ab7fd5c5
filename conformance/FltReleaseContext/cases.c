/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of FltReferenceContext() and
 * FltReleaseContext(): counts, cleanup, IRQL rules, deferred release,
 * use after release.
 */
#include <pthread.h>
#include "../flt_helpers.h"

#define L "FltReleaseContext/"

KMEMU_CASE(counts, L "reference-and-release", FH_CAPS,
	   L "freed-at-zero " L "reference-increments " L "release-decrements " L "cleanup-callback")
{
	struct fh_world w;
	PFLT_CONTEXT c, got = NULL;

	fh_world(&w, 0);
	c = fh_alloc(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	memset(c, 0x3C, 32);
	FltReferenceContext(c);
	FltReleaseContext(c);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	FltReferenceContext(c);
	KMEMU_SETUP_NT(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL));
	KMEMU_EXPECT_NT(FltGetFileContext(w.in, w.fo, &got), 0);
	KMEMU_EXPECT_NT(FltDeleteFileContext(w.in, w.fo, NULL), 0);   /* the object's */
	FltReleaseContext(got);
	FltReleaseContext(c);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	FltReleaseContext(c);                  /* the third: allocate, reference, get */
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	KMEMU_EXPECT_TRUE(fh_last == c);
	KMEMU_EXPECT_EQ(fh_last_type, FLT_FILE_CONTEXT);
	KMEMU_EXPECT_EQ(fh_last_byte, 0x3C);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(no_cleanup, L "no-cleanup-callback", FH_CAPS, L "cleanup-callback")
{
	static const FLT_CONTEXT_REGISTRATION plain[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 32, FH_TAG, NULL, NULL, NULL }, FH_END
	};
	PFLT_FILTER f = fh_register(plain, 0);
	struct kmemu_flt_stats s0 = fh_stats();

	FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 32, PagedPool));
	KMEMU_EXPECT_EQ(fh_stats().live_contexts, s0.live_contexts);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	FltUnregisterFilter(f);
}

static pthread_t cleanup_thread;
static int cleanup_seen;
static VOID FLTAPI thread_cleanup(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	(void)c;
	(void)t;
	cleanup_thread = pthread_self();
	cleanup_seen++;
}

KMEMU_CASE(deferred, L "deferred-at-dispatch", FH_CAPS | KMEMU_CAP_IRQL, L "cleanup-then-free")
{
	static const FLT_CONTEXT_REGISTRATION ctx[] = {
		{ FLT_FILE_CONTEXT, 0, thread_cleanup, 32, FH_TAG, NULL, NULL, NULL }, FH_END
	};
	PFLT_FILTER f = fh_register(ctx, 0);
	PFLT_CONTEXT c;

	for (uint8_t irql = PASSIVE_LEVEL; irql <= APC_LEVEL; irql++) {
		c = fh_alloc(f, FLT_FILE_CONTEXT, 32, PagedPool);
		KMEMU_SETUP_NT(kmemu_irql_set(irql, NULL));
		FltReleaseContext(c);
		KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
		KMEMU_EXPECT_EQ(cleanup_seen, irql + 1);
		KMEMU_EXPECT_TRUE(pthread_equal(cleanup_thread, pthread_self()));
	}
	c = fh_alloc(f, FLT_FILE_CONTEXT, 32, NonPagedPool);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	FltReleaseContext(c);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_NT(kmemu_flt_drain(), 0);
	KMEMU_EXPECT_EQ(cleanup_seen, 3);
	KMEMU_EXPECT_TRUE(!pthread_equal(cleanup_thread, pthread_self()));
	KMEMU_EXPECT_EQ(fh_stats().deferred_pending, 0);
	FltUnregisterFilter(f);
}

KMEMU_CASE(irql_rules, L "irql-rules", FH_CAPS_IRQL, L "paged-apc-only " L "reference-irql")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	PFLT_CONTEXT p = fh_alloc(f, FLT_FILE_CONTEXT, 32, PagedPool);
	PFLT_CONTEXT n = fh_alloc(f, FLT_FILE_CONTEXT, 32, NonPagedPool);

	kmemu_bugcheck_set_handler(fh_on_bugcheck, NULL);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	FltReferenceContext(n);                /* allowed */
	FltReleaseContext(p);                  /* reported, kept */
	KMEMU_EXPECT_EQ(fh_bugchecks, 1);
	KMEMU_EXPECT_EQ(fh_bc.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_SETUP_NT(kmemu_irql_set(HIGH_LEVEL, NULL));
	FltReferenceContext(n);                /* reported */
	FltReleaseContext(n);                  /* reported */
	KMEMU_EXPECT_EQ(fh_bugchecks, 3);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	FltReleaseContext(n);
	FltReleaseContext(n);                  /* the second frees (deferred) */
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_NT(kmemu_flt_drain(), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	KMEMU_EXPECT_EQ(fh_bugchecks, 3);
	FltReleaseContext(p);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	FltUnregisterFilter(f);
}

KMEMU_CASE(after_release, L "use-after-release", FH_CAPS | KMEMU_CAP_BUGCHECK,
	   L "no-use-after-release")
{
	struct fh_world w;
	PFLT_CONTEXT c;

	fh_world(&w, 0);
	c = fh_alloc(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	FltReleaseContext(c);
	kmemu_bugcheck_set_handler(fh_on_bugcheck, NULL);
	FltReleaseContext(c);
	KMEMU_EXPECT_EQ(fh_bugchecks, 1);
	KMEMU_EXPECT_EQ(fh_bc.code, FLTMGR_FILE_SYSTEM);
	KMEMU_EXPECT_EQ(fh_bc.param[0], 0x6E);
	KMEMU_EXPECT_EQ(fh_bc.param[1], (uintptr_t)c);
	FltReferenceContext(c);
	FltDeleteContext(c);
	KMEMU_EXPECT_NT(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_EQ(fh_bugchecks, 4);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	/* the model's FltCreateSectionForDataScan answers as the set routines */
	c = fh_alloc(w.f, FLT_SECTION_CONTEXT, 32, PagedPool);
	FltReleaseContext(c);
	{
		struct kmemu_flt_section *sec = NULL;

		KMEMU_EXPECT_NT(kmemu_flt_section_create(w.in, w.fo, c, &sec), STATUS_INVALID_PARAMETER);
		KMEMU_EXPECT_TRUE(sec == NULL);
	}
	KMEMU_EXPECT_EQ(fh_bugchecks, 5);
	KMEMU_EXPECT_EQ(fh_bc.param[0], 0x6E);
	KMEMU_EXPECT_EQ(fh_bc.param[1], (uintptr_t)c);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	KMEMU_EXPECT_NT(FltGetFileContext(w.in, w.fo, &c), STATUS_NOT_FOUND);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(after_reuse, L "use-after-reuse", FH_CAPS | KMEMU_CAP_BUGCHECK,
	   L "no-use-after-reuse " L "quarantine")
{
	static const SIZE_T sizes[2] = { 32, 300 };   /* fixed (lookaside), variable */
	struct fh_world w;
	uint8_t *a, *b;

	fh_world(&w, 0);
	kmemu_bugcheck_set_handler(fh_on_bugcheck, NULL);
	for (int k = 0; k < 2; k++) {
		fh_bugchecks = fh_cleanups = 0;
		a = fh_alloc(w.f, FLT_FILE_CONTEXT, sizes[k], PagedPool);
		FltReleaseContext(a);
		b = fh_alloc(w.f, FLT_FILE_CONTEXT, sizes[k], PagedPool);
		KMEMU_EXPECT_TRUE(a != b);
		memset(b, 0x6B, sizes[k]);
		FltReleaseContext(a);
		KMEMU_EXPECT_EQ(fh_bugchecks, 1);
		KMEMU_EXPECT_EQ(fh_bc.code, FLTMGR_FILE_SYSTEM);
		KMEMU_EXPECT_EQ(fh_bc.param[0], 0x6E);
		KMEMU_EXPECT_EQ(fh_bc.param[1], (uintptr_t)a);
		FltReferenceContext(a);
		KMEMU_EXPECT_NT(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL),
				STATUS_INVALID_PARAMETER);
		KMEMU_EXPECT_EQ(fh_bugchecks, 3);
		KMEMU_EXPECT_TRUE(fh_all(b, sizes[k], 0x6B));
		KMEMU_EXPECT_EQ(fh_cleanups, 1);
		FltReleaseContext(b);              /* its one reference */
		KMEMU_EXPECT_EQ(fh_cleanups, 2);
		KMEMU_EXPECT_TRUE(fh_last == b);
		KMEMU_EXPECT_EQ(fh_bugchecks, 3);
	}
	/* the quarantine's length: KMEMU_FLT_QUARANTINE frees later the block is reused */
	a = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	memset(a, 0x4F, 32);
	FltReleaseContext(a);
	KMEMU_EXPECT_TRUE(fh_push_quarantine(w.f) == 0);
	b = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_TRUE(a == b);
	KMEMU_EXPECT_TRUE(fh_all(b, 32, 0x4F));
	FltReleaseContext(b);
	kmemu_bugcheck_set_handler(NULL, NULL);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(over_release, L "over-release-attached", FH_CAPS | KMEMU_CAP_BUGCHECK,
	   L "over-release")
{
	struct fh_world w;
	PFLT_CONTEXT c, got = NULL;

	fh_world(&w, 0);
	c = fh_alloc(w.f, FLT_INSTANCE_CONTEXT, 32, PagedPool);
	KMEMU_SETUP_NT(FltSetInstanceContext(w.in, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL));
	FltReleaseContext(c);
	kmemu_bugcheck_set_handler(fh_on_bugcheck, NULL);
	FltReleaseContext(c);
	KMEMU_EXPECT_EQ(fh_bugchecks, 1);
	KMEMU_EXPECT_EQ(fh_bc.param[0], 0x6D);
	KMEMU_EXPECT_NT(FltGetInstanceContext(w.in, &got), 0);
	KMEMU_EXPECT_TRUE(got == c);
	if (got)
		FltReleaseContext(got);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	FltUnregisterFilter(w.f);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
}

KMEMU_CASE(matching, L "matching-releases", FH_CAPS, L "matching-release")
{
	struct fh_world w;
	PFLT_CONTEXT c, old = NULL, got = NULL, d;

	kmemu_flt_set_leak_handler(fh_on_leak, NULL);
	kmemu_flt_set_unload_wait(0);
	fh_world(&w, 0);
	c = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	d = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	KMEMU_SETUP_NT(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL));
	KMEMU_EXPECT_NT(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, d, &old),
			STATUS_FLT_CONTEXT_ALREADY_DEFINED);
	KMEMU_EXPECT_NT(FltGetStreamContext(w.in, w.fo, &got), 0);
	FltReferenceContext(got);
	FltReleaseContext(got);
	FltReleaseContext(got);
	FltReleaseContext(old);
	FltReleaseContext(d);
	FltDeleteContext(c);
	FltReleaseContext(c);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	c = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	KMEMU_SETUP_NT(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL));
	KMEMU_EXPECT_NT(FltGetStreamContext(w.in, w.fo, &got), 0);   /* never released */
	FltReleaseContext(c);
	FltUnregisterFilter(w.f);
	KMEMU_EXPECT_EQ(fh_leaks, 1);
	kmemu_flt_set_leak_handler(NULL, NULL);
}

const struct kmemu_case *const kmemu_cases_FltReleaseContext[] = {
	KMEMU_CASE_REF(counts), KMEMU_CASE_REF(no_cleanup), KMEMU_CASE_REF(deferred),
	KMEMU_CASE_REF(irql_rules), KMEMU_CASE_REF(after_release), KMEMU_CASE_REF(after_reuse),
	KMEMU_CASE_REF(over_release),
	KMEMU_CASE_REF(matching), NULL
};
