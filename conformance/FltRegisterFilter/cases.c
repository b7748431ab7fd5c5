/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of FltRegisterFilter() (the context
 * registration array) and of FltUnregisterFilter() with contexts.
 */
#include <stdlib.h>
#include <pthread.h>
#include <time.h>
#include "../flt_helpers.h"

#define R "FltRegisterFilter/"
#define BAD STATUS_FLT_INVALID_CONTEXT_REGISTRATION

/* Register @ctx as driver 7; the status (the filter is unregistered again). */
static NTSTATUS try_register(const FLT_CONTEXT_REGISTRATION *ctx)
{
	FLT_REGISTRATION r = fh_reg(ctx);
	PFLT_FILTER f = (PFLT_FILTER)&r;
	NTSTATUS st = FltRegisterFilter(fh_driver(7), &r, &f);

	if (st == STATUS_SUCCESS)
		FltUnregisterFilter(f);
	else if (f)
		KMEMU_FAIL("*RetFilter not NULL after 0x%08X", (unsigned)st);
	return st;
}

#define E(t, fl, sz, tag) { t, fl, NULL, sz, tag, NULL, NULL, NULL }
#define EC(t, fl, sz, tag, cl) { t, fl, cl, sz, tag, NULL, NULL, NULL }

static PVOID FLTAPI cb_alloc(POOL_TYPE p, SIZE_T size, FLT_CONTEXT_TYPE t)
{
	(void)p;
	(void)t;
	return malloc(size);
}

static SIZE_T cb_seen;
static PVOID FLTAPI cb_alloc_size(POOL_TYPE p, SIZE_T size, FLT_CONTEXT_TYPE t)
{
	cb_seen = size;
	return cb_alloc(p, size, t);
}

static VOID FLTAPI cb_free(PVOID p, FLT_CONTEXT_TYPE t)
{
	(void)t;
	free(p);
}

KMEMU_CASE(layout, R "context-registration-layout", FH_CAPS, R "registration-reference")
{
	KMEMU_EXPECT_EQ(sizeof(FLT_CONTEXT_REGISTRATION), 56);
	KMEMU_EXPECT_EQ(offsetof(FLT_CONTEXT_REGISTRATION, Size), 16);
	KMEMU_EXPECT_EQ(offsetof(FLT_CONTEXT_REGISTRATION, PoolTag), 24);
	KMEMU_EXPECT_EQ(offsetof(FLT_CONTEXT_REGISTRATION, Reserved1), 48);
	KMEMU_EXPECT_EQ(FLT_CONTEXT_END, 0xFFFF);
	KMEMU_EXPECT_EQ(FLT_VARIABLE_SIZED_CONTEXTS, (SIZE_T)-1);
	KMEMU_EXPECT_EQ(FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, 1);
	KMEMU_EXPECT_NT(try_register(fh_std), STATUS_SUCCESS);
}

KMEMU_CASE(each_type, R "register-each-type", FH_CAPS, R "register-each-type")
{
	static const FLT_CONTEXT_REGISTRATION only_file[] = { E(FLT_FILE_CONTEXT, 0, 16, FH_TAG), FH_END };
	PFLT_FILTER f = fh_register(only_file, 0);
	PFLT_CONTEXT c = NULL;

	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 16, PagedPool, &c), 0);
	if (c)
		FltReleaseContext(c);
	for (int i = 0; i < 7; i++)
		if (fh_types[i] != FLT_FILE_CONTEXT)
			KMEMU_EXPECT_NT(FltAllocateContext(f, fh_types[i], 16, NonPagedPool, &c),
					STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	FltUnregisterFilter(f);
}

KMEMU_CASE(version, R "version", FH_CAPS, R "version")
{
	FLT_REGISTRATION r = fh_reg(NULL);
	PFLT_FILTER f = NULL;
	static const USHORT good[] = { 0x0200, 0x0201, 0x0202, 0x0203 };
	static const USHORT bad[] = { 0x0100, 0x0300, 0, 0x01FF, 0x0204, 0xFFFF };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		r.Version = good[i];
		KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &f), STATUS_SUCCESS);
		FltUnregisterFilter(f);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.Version = bad[i];
		KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &f), STATUS_INVALID_PARAMETER);
	}
}

KMEMU_CASE(size_field, R "size-field", FH_CAPS, R "size-field-ignored")
{
	FLT_REGISTRATION r = fh_reg(fh_std);
	PFLT_FILTER f = NULL;

	r.Size = 0;
	KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &f), STATUS_SUCCESS);
	FltUnregisterFilter(f);
	r.Size = 0xFFFF;
	KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &f), STATUS_SUCCESS);
	FltUnregisterFilter(f);
}

KMEMU_CASE(twice, R "same-driver-twice", FH_CAPS, R "same-driver-twice")
{
	FLT_REGISTRATION r = fh_reg(fh_std);
	PFLT_FILTER f = NULL, g = (PFLT_FILTER)&r;

	KMEMU_SETUP_NT(FltRegisterFilter(fh_driver(0), &r, &f));
	KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &g), STATUS_FLT_INSTANCE_ALTITUDE_COLLISION);
	KMEMU_EXPECT_TRUE(g == NULL);
	KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(1), &r, &g), STATUS_SUCCESS);
	FltUnregisterFilter(f);
	KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &f), STATUS_SUCCESS);
	FltUnregisterFilter(f);
	FltUnregisterFilter(g);
}

KMEMU_CASE(tag, R "pool-tag", FH_CAPS, R "tag-or-callback " R "pooltag-conflict")
{
	static const FLT_CONTEXT_REGISTRATION no_tag[] = { E(FLT_FILE_CONTEXT, 0, 16, 0), FH_END };
	static const FLT_CONTEXT_REGISTRATION no_tag_var[] = {
		E(FLT_FILE_CONTEXT, 0, FLT_VARIABLE_SIZED_CONTEXTS, 0), FH_END
	};
	static const FLT_CONTEXT_REGISTRATION cb[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 16, 0, cb_alloc, cb_free, NULL }, FH_END
	};

	KMEMU_EXPECT_NT(try_register(no_tag), BAD);
	KMEMU_EXPECT_NT(try_register(no_tag_var), BAD);
	KMEMU_EXPECT_NT(try_register(cb), STATUS_SUCCESS);
}

KMEMU_CASE(section_variable, R "section-and-variable", FH_CAPS,
	   R "section-accepted " R "variable-supported")
{
	static const FLT_CONTEXT_REGISTRATION ctx[] = {
		E(FLT_SECTION_CONTEXT, 0, 24, FH_TAG),
		E(FLT_STREAM_CONTEXT, 0, FLT_VARIABLE_SIZED_CONTEXTS, FH_TAG), FH_END
	};
	PFLT_FILTER f = fh_register(ctx, 0);

	FltReleaseContext(fh_alloc(f, FLT_SECTION_CONTEXT, 24, PagedPool));
	FltReleaseContext(fh_alloc(f, FLT_STREAM_CONTEXT, 5000, PagedPool));
	FltUnregisterFilter(f);
}

KMEMU_CASE(end_order, R "end-and-order", FH_CAPS, R "end-and-order")
{
	static const FLT_CONTEXT_REGISTRATION fwd[] = {
		EC(FLT_FILE_CONTEXT, 0, 16, FH_TAG, fh_cleanup), EC(FLT_FILE_CONTEXT, 0, 48, FH_TAG, fh_cleanup2),
		FH_END, { 0x99, 0, NULL, 0, 0, NULL, NULL, (PVOID)1 }   /* after the end: not read */
	};
	static const FLT_CONTEXT_REGISTRATION rev[] = {
		EC(FLT_FILE_CONTEXT, 0, 48, FH_TAG, fh_cleanup2), EC(FLT_FILE_CONTEXT, 0, 16, FH_TAG, fh_cleanup),
		FH_END
	};
	const FLT_CONTEXT_REGISTRATION *arrays[2] = { fwd, rev };

	for (int k = 0; k < 2; k++) {
		PFLT_FILTER f = fh_register(arrays[k], k);
		PFLT_CONTEXT c = NULL;

		fh_cleanups = fh_cleanups2 = 0;
		FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 16, PagedPool));
		FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 48, PagedPool));
		KMEMU_EXPECT_EQ(fh_cleanups, 1);
		KMEMU_EXPECT_EQ(fh_cleanups2, 1);
		KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_FILE_CONTEXT, 32, PagedPool, &c),
				STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
		FltUnregisterFilter(f);
	}
}

KMEMU_CASE(fixed_range, R "fixed-size-range", FH_CAPS, R "fixed-size-range")
{
	static const FLT_CONTEXT_REGISTRATION zero[] = { E(FLT_FILE_CONTEXT, 0, 0, FH_TAG), FH_END };
	static const FLT_CONTEXT_REGISTRATION max[] = { E(FLT_FILE_CONTEXT, 0, 0xFFFF, FH_TAG), FH_END };
	static const FLT_CONTEXT_REGISTRATION over[] = { E(FLT_FILE_CONTEXT, 0, 0x10000, FH_TAG), FH_END };

	KMEMU_EXPECT_NT(try_register(zero), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(try_register(max), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(try_register(over), BAD);
}

KMEMU_CASE(lookasides, R "two-lookaside-lists", FH_CAPS, R "two-lookasides")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	uint8_t *p = fh_alloc(f, FLT_FILE_CONTEXT, 32, PagedPool);
	uint8_t *n = fh_alloc(f, FLT_FILE_CONTEXT, 32, NonPagedPool);

	memset(p, 0x11, 32);
	memset(n, 0x22, 32);
	FltReleaseContext(p);
	FltReleaseContext(n);
	KMEMU_SETUP_NT(kmemu_flt_quarantine_flush());   /* both on their lists now */
	KMEMU_EXPECT_TRUE(fh_alloc(f, FLT_FILE_CONTEXT, 32, NonPagedPool) == n);
	KMEMU_EXPECT_TRUE(fh_all(n, 32, 0x22));
	KMEMU_EXPECT_TRUE(fh_alloc(f, FLT_FILE_CONTEXT, 32, PagedPool) == p);
	KMEMU_EXPECT_TRUE(fh_all(p, 32, 0x11));
	FltReleaseContext(p);
	FltReleaseContext(n);
	FltUnregisterFilter(f);
}

KMEMU_CASE(variable, R "variable-entry", FH_CAPS, R "variable-from-pool")
{
	static const FLT_CONTEXT_REGISTRATION two_var[] = {
		E(FLT_FILE_CONTEXT, 0, FLT_VARIABLE_SIZED_CONTEXTS, FH_TAG),
		E(FLT_FILE_CONTEXT, 0, FLT_VARIABLE_SIZED_CONTEXTS, FH_TAG), FH_END
	};
	static const FLT_CONTEXT_REGISTRATION var_first[] = {
		EC(FLT_FILE_CONTEXT, 0, FLT_VARIABLE_SIZED_CONTEXTS, FH_TAG, fh_cleanup2),
		EC(FLT_FILE_CONTEXT, 0, 16, FH_TAG, fh_cleanup), FH_END
	};
	PFLT_FILTER f;
	PFLT_CONTEXT c;

	KMEMU_EXPECT_NT(try_register(two_var), BAD);
	f = fh_register(var_first, 0);
	c = fh_alloc(f, FLT_FILE_CONTEXT, 16, PagedPool);   /* the fixed entry, though listed second */
	KMEMU_EXPECT_TRUE(fh_all(c, 16, KMEMU_FLT_POISON));
	FltReleaseContext(c);
	c = fh_alloc(f, FLT_FILE_CONTEXT, 17, PagedPool);   /* the fallback */
	KMEMU_EXPECT_TRUE(fh_all(c, 17, 0));
	FltReleaseContext(c);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	KMEMU_EXPECT_EQ(fh_cleanups2, 1);
	FltUnregisterFilter(f);
}

KMEMU_CASE(three, R "three-fixed-sizes", FH_CAPS, R "three-fixed")
{
	static const FLT_CONTEXT_REGISTRATION three[] = {
		E(FLT_FILE_CONTEXT, 0, 8, FH_TAG), E(FLT_FILE_CONTEXT, 0, 16, FH_TAG),
		E(FLT_FILE_CONTEXT, 0, 24, FH_TAG), FH_END
	};
	static const FLT_CONTEXT_REGISTRATION four[] = {
		E(FLT_FILE_CONTEXT, 0, 8, FH_TAG), E(FLT_FILE_CONTEXT, 0, 16, FH_TAG),
		E(FLT_FILE_CONTEXT, 0, 24, FH_TAG), E(FLT_FILE_CONTEXT, 0, 32, FH_TAG), FH_END
	};
	static const FLT_CONTEXT_REGISTRATION dup[] = {
		EC(FLT_FILE_CONTEXT, 0, 8, FH_TAG, fh_cleanup), EC(FLT_FILE_CONTEXT, 0, 8, FH_TAG, fh_cleanup2),
		E(FLT_FILE_CONTEXT, 0, 16, FH_TAG), E(FLT_FILE_CONTEXT, 0, 24, FH_TAG), FH_END
	};
	PFLT_FILTER f;

	KMEMU_EXPECT_NT(try_register(three), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(try_register(four), BAD);
	f = fh_register(dup, 0);
	FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 8, PagedPool));
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	KMEMU_EXPECT_EQ(fh_cleanups2, 0);
	FltUnregisterFilter(f);
}

KMEMU_CASE(sorted, R "sorted-no-exact", FH_CAPS, R "sorted " R "no-exact-match")
{
	static const FLT_CONTEXT_REGISTRATION ctx[] = {
		EC(FLT_FILE_CONTEXT, 1, 100, FH_TAG, fh_cleanup2), EC(FLT_FILE_CONTEXT, 1, 40, FH_TAG, fh_cleanup),
		EC(FLT_FILE_CONTEXT, 0, 20, FH_TAG, fh_cleanup),
		EC(FLT_STREAM_CONTEXT, 0, 20, FH_TAG, fh_cleanup), FH_END
	};
	PFLT_FILTER f = fh_register(ctx, 0);
	PFLT_CONTEXT c = NULL;

	FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 30, PagedPool));
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 50, PagedPool));
	KMEMU_EXPECT_EQ(fh_cleanups2, 1);
	FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 20, PagedPool));
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	KMEMU_EXPECT_NT(FltAllocateContext(f, FLT_STREAM_CONTEXT, 10, PagedPool, &c),
			STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	FltUnregisterFilter(f);
}

KMEMU_CASE(flag_ignored, R "flag-ignored", FH_CAPS, R "flag-ignored")
{
	static const FLT_CONTEXT_REGISTRATION ctx[] = {
		E(FLT_FILE_CONTEXT, 1, FLT_VARIABLE_SIZED_CONTEXTS, FH_TAG),
		{ FLT_STREAM_CONTEXT, 1, NULL, 8, 0, cb_alloc, cb_free, NULL }, FH_END
	};
	PFLT_FILTER f = fh_register(ctx, 0);

	FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 3000, PagedPool));
	FltReleaseContext(fh_alloc(f, FLT_STREAM_CONTEXT, 3000, PagedPool));
	FltUnregisterFilter(f);
}

KMEMU_CASE(callback_only, R "callback-entry-alone", FH_CAPS, R "callback-only-entry")
{
	static const FLT_CONTEXT_REGISTRATION ok[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 8, 0, cb_alloc_size, cb_free, NULL }, FH_END
	};
	static const FLT_CONTEXT_REGISTRATION after[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 8, 0, cb_alloc, cb_free, NULL }, E(FLT_FILE_CONTEXT, 0, 16, FH_TAG),
		FH_END
	};
	static const FLT_CONTEXT_REGISTRATION before[] = {
		E(FLT_FILE_CONTEXT, 0, FLT_VARIABLE_SIZED_CONTEXTS, FH_TAG),
		{ FLT_FILE_CONTEXT, 0, NULL, 8, 0, cb_alloc, cb_free, NULL }, FH_END
	};
	PFLT_FILTER f;

	KMEMU_EXPECT_NT(try_register(after), BAD);
	KMEMU_EXPECT_NT(try_register(before), BAD);
	f = fh_register(ok, 0);
	FltReleaseContext(fh_alloc(f, FLT_FILE_CONTEXT, 1000, PagedPool));
	KMEMU_EXPECT_TRUE(cb_seen > 1000);
	FltUnregisterFilter(f);
}

KMEMU_CASE(reserved, R "reserved1", FH_CAPS, R "reserved-null")
{
	static const FLT_CONTEXT_REGISTRATION bad[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 8, FH_TAG, NULL, NULL, (PVOID)bad }, FH_END
	};

	KMEMU_EXPECT_NT(try_register(bad), BAD);
}

KMEMU_CASE(bad_entries, R "bad-type-flags-callbacks", FH_CAPS, R "bad-type-or-flags")
{
	static const FLT_CONTEXT_REGISTRATION bad[][2] = {
		{ E(0x80, 0, 8, FH_TAG), FH_END }, { E(0, 0, 8, FH_TAG), FH_END },
		{ E(0x06, 0, 8, FH_TAG), FH_END }, { E(FLT_FILE_CONTEXT, 2, 8, FH_TAG), FH_END },
		{ { FLT_FILE_CONTEXT, 0, NULL, 8, FH_TAG, cb_alloc, NULL, NULL }, FH_END },
		{ { FLT_FILE_CONTEXT, 0, NULL, 8, FH_TAG, NULL, cb_free, NULL }, FH_END },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		KMEMU_EXPECT_NT(try_register(bad[i]), BAD);
}

KMEMU_CASE(unload, R "unload-deletes-contexts", FH_CAPS, R "unload-deletes")
{
	struct fh_world w;
	struct kmemu_flt_section *sec;

	fh_world(&w, 0);
	for (int k = 0; k < 6; k++) {
		PFLT_CONTEXT c = fh_alloc(w.f, fh_types[k], 32, NonPagedPool);

		KMEMU_EXPECT_NT(fh_set(&w, k, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
		FltReleaseContext(c);
	}
	PFLT_CONTEXT s = fh_alloc(w.f, FLT_SECTION_CONTEXT, 32, NonPagedPool);
	KMEMU_EXPECT_NT(kmemu_flt_section_create(w.in, w.fo, s, &sec), 0);
	FltReleaseContext(s);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	FltUnregisterFilter(w.f);
	KMEMU_EXPECT_EQ(fh_cleanups, 7);
	KMEMU_EXPECT_EQ(fh_stats().leaks_reported, 0);
	KMEMU_EXPECT_EQ(fh_stats().live_contexts, 0);
}

static void *release_later(void *arg)
{
	struct timespec ts = { 0, 50 * 1000000L };

	nanosleep(&ts, NULL);
	FltReleaseContext(arg);
	return NULL;
}

KMEMU_CASE(waits, R "unload-waits-then-reports", FH_CAPS, R "unload-waits")
{
	PFLT_FILTER f = fh_register(fh_std, 0);
	PFLT_CONTEXT c = fh_alloc(f, FLT_FILE_CONTEXT, 32, PagedPool), kept = NULL;
	pthread_t t;
	int line;

	kmemu_flt_set_leak_handler(fh_on_leak, NULL);
	kmemu_flt_set_unload_wait(5000);
	KMEMU_SETUP_TRUE(pthread_create(&t, NULL, release_later, c) == 0);
	FltUnregisterFilter(f);
	pthread_join(t, NULL);
	KMEMU_EXPECT_EQ(fh_leaks, 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	f = fh_register(fh_std, 0);
	line = __LINE__ + 1;
	KMEMU_SETUP_NT(KMEMU_FLT_ALLOCATE_CONTEXT(f, FLT_STREAM_CONTEXT, 40, NonPagedPool, &kept));
	kmemu_flt_set_unload_wait(10);
	FltUnregisterFilter(f);
	KMEMU_EXPECT_EQ(fh_leaks, 1);
	KMEMU_EXPECT_TRUE(fh_leak.context == kept);
	KMEMU_EXPECT_EQ(fh_leak.type, FLT_STREAM_CONTEXT);
	KMEMU_EXPECT_EQ(fh_leak.size, 40);
	KMEMU_EXPECT_EQ(fh_leak.references, 1);
	KMEMU_EXPECT_EQ(fh_leak.line, line);
	KMEMU_EXPECT_TRUE(fh_leak.file && strstr(fh_leak.file, "cases.c"));
	KMEMU_EXPECT_TRUE(fh_leak.function && !strcmp(fh_leak.function, "waits"));
	KMEMU_EXPECT_TRUE(fh_leak.caller != NULL);
	kmemu_flt_set_leak_handler(NULL, NULL);
}

KMEMU_CASE(none, R "empty-array", FH_CAPS, R "none-registered")
{
	static const FLT_CONTEXT_REGISTRATION end_only[] = { FH_END };
	const FLT_CONTEXT_REGISTRATION *arrays[2] = { end_only, NULL };

	for (int k = 0; k < 2; k++) {
		FLT_REGISTRATION r = fh_reg(arrays[k]);
		PFLT_FILTER f = NULL;
		PFLT_CONTEXT c = (PFLT_CONTEXT)&r;

		KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &f), STATUS_SUCCESS);
		KMEMU_EXPECT_TRUE(f != NULL);
		if (!f)
			continue;
		for (int i = 0; i < 7; i++)
			KMEMU_EXPECT_NT(FltAllocateContext(f, fh_types[i], 32, NonPagedPool, &c),
					STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
		KMEMU_EXPECT_TRUE(c == NULL);
		KMEMU_EXPECT_EQ(fh_stats().live_contexts, 0);
		FltUnregisterFilter(f);
	}
}

static uint32_t oom_register(void *arg)
{
	FLT_REGISTRATION r = fh_reg(fh_std);
	PFLT_FILTER f = (PFLT_FILTER)&r;
	NTSTATUS st = FltRegisterFilter(fh_driver(6), &r, &f);

	(void)arg;
	if (st == STATUS_SUCCESS)
		FltUnregisterFilter(f);
	else if (f)
		KMEMU_FAIL("*RetFilter not NULL after 0x%08X", (unsigned)st);
	return (uint32_t)st;
}

KMEMU_CASE(no_memory, R "insufficient-resources", FH_CAPS | KMEMU_CAP_FAULT_INJECT, R "no-memory")
{
	static const uint32_t ok[] = { STATUS_INSUFFICIENT_RESOURCES };
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .resources = KMEMU_FAULT_HEAP };
	struct kmemu_oom_op op = { "FltRegisterFilter", oom_register, NULL, 0, ok, 1, KMEMU_FAULT_HEAP };
	struct kmemu_oom_result res;
	FLT_REGISTRATION r = fh_reg(fh_std);
	PFLT_FILTER f = (PFLT_FILTER)&r;

	KMEMU_SETUP_NT(kmemu_fault_set(&fc));
	KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &f), STATUS_INSUFFICIENT_RESOURCES);
	KMEMU_SETUP_NT(kmemu_fault_set(NULL));
	KMEMU_EXPECT_TRUE(f == NULL);
	KMEMU_EXPECT_EQ(fh_stats().filters, 0);
	KMEMU_EXPECT_NT(FltRegisterFilter(fh_driver(0), &r, &f), STATUS_SUCCESS);
	if (f)
		FltUnregisterFilter(f);
	KMEMU_EXPECT_NT(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS);
	if (!res.ok)
		kmemu_diag("%s", res.message);
	KMEMU_EXPECT_TRUE(res.failures > 0);
}

const struct kmemu_case *const kmemu_cases_FltRegisterFilter[] = {
	KMEMU_CASE_REF(layout), KMEMU_CASE_REF(each_type), KMEMU_CASE_REF(version),
	KMEMU_CASE_REF(size_field), KMEMU_CASE_REF(twice), KMEMU_CASE_REF(tag),
	KMEMU_CASE_REF(section_variable), KMEMU_CASE_REF(end_order), KMEMU_CASE_REF(fixed_range),
	KMEMU_CASE_REF(lookasides), KMEMU_CASE_REF(variable), KMEMU_CASE_REF(three),
	KMEMU_CASE_REF(sorted), KMEMU_CASE_REF(flag_ignored), KMEMU_CASE_REF(callback_only),
	KMEMU_CASE_REF(reserved), KMEMU_CASE_REF(bad_entries), KMEMU_CASE_REF(unload),
	KMEMU_CASE_REF(waits), KMEMU_CASE_REF(none), KMEMU_CASE_REF(no_memory), NULL
};
