/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of the FltSet*, FltGet*, FltDelete*Context
 * routines, FltGetContexts and FltDeleteContext on the file-system model.
 */
#include "../flt_helpers.h"

#define S "FltSetContext/"

KMEMU_CASE(routines, S "set-get-delete-each-object", FH_CAPS,
	   S "set-routines " S "get-routines " S "delete-routines " S "get-references")
{
	struct fh_world w;
	struct kmemu_flt_section *sec;
	FLT_RELATED_OBJECTS ro;
	FLT_RELATED_CONTEXTS rc;
	PFLT_CONTEXT set[7], got;

	fh_world(&w, 0);
	for (int k = 0; k < 6; k++) {
		set[k] = fh_alloc(w.f, fh_types[k], 32, NonPagedPool);
		got = (PFLT_CONTEXT)&w;
		KMEMU_EXPECT_NT(fh_get(&w, k, &got), STATUS_NOT_FOUND);
		KMEMU_EXPECT_TRUE(got == NULL);
		KMEMU_EXPECT_NT(fh_set(&w, k, FLT_SET_CONTEXT_KEEP_IF_EXISTS, set[k], NULL), 0);
		KMEMU_EXPECT_NT(fh_get(&w, k, &got), 0);
		KMEMU_EXPECT_TRUE(got == set[k]);
		FltReleaseContext(got);
		FltReleaseContext(set[k]);
	}
	set[6] = fh_alloc(w.f, FLT_SECTION_CONTEXT, 32, NonPagedPool);
	KMEMU_EXPECT_NT(kmemu_flt_section_create(w.in, w.fo, set[6], &sec), 0);
	FltReleaseContext(set[6]);
	KMEMU_EXPECT_NT(FltGetSectionContext(w.in, w.fo, &got), 0);
	KMEMU_EXPECT_TRUE(got == set[6]);
	FltReleaseContext(got);
	KMEMU_SETUP_NT(kmemu_flt_related_objects(w.in, w.fo, w.tx, &ro));
	FltGetContexts(&ro, FLT_ALL_CONTEXTS, &rc);
	KMEMU_EXPECT_TRUE(rc.VolumeContext == set[0] && rc.InstanceContext == set[1] &&
			  rc.FileContext == set[2] && rc.StreamContext == set[3] &&
			  rc.StreamHandleContext == set[4] && rc.TransactionContext == set[5]);
	FltReleaseContexts(&rc);
	FltGetContexts(&ro, FLT_FILE_CONTEXT, &rc);
	KMEMU_EXPECT_TRUE(rc.FileContext == set[2] && !rc.VolumeContext && !rc.StreamContext);
	FltReleaseContexts(&rc);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	for (int k = 0; k < 6; k++) {
		KMEMU_EXPECT_NT(fh_delete(&w, k, NULL), 0);
		KMEMU_EXPECT_NT(fh_get(&w, k, &got), STATUS_NOT_FOUND);
		KMEMU_EXPECT_EQ(fh_cleanups, k + 1);
	}
	KMEMU_EXPECT_NT(kmemu_flt_section_close(sec), 0);
	KMEMU_EXPECT_NT(FltGetSectionContext(w.in, w.fo, &got), STATUS_NOT_FOUND);
	KMEMU_EXPECT_EQ(fh_cleanups, 7);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(one_per, S "one-per-object-and-instance", FH_CAPS, S "one-per-object-instance")
{
	struct fh_world w;
	PFLT_FILTER g;
	PFLT_INSTANCE gin, in2;
	PFLT_CONTEXT a, b, c, got;

	fh_world(&w, 0);
	a = fh_alloc(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	b = fh_alloc(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_NT(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, NULL, NULL),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL), 0);
	KMEMU_EXPECT_NT(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, b, NULL),
			STATUS_FLT_CONTEXT_ALREADY_DEFINED);
	/* a second instance of the same filter has its own */
	KMEMU_SETUP_NT(kmemu_flt_instance_attach(w.f, w.v, &in2));
	KMEMU_EXPECT_NT(FltSetFileContext(in2, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, b, NULL), 0);
	KMEMU_EXPECT_NT(FltGetFileContext(w.in, w.fo, &got), 0);
	KMEMU_EXPECT_TRUE(got == a);
	FltReleaseContext(got);
	/* and another filter's */
	g = fh_register(fh_std, 1);
	KMEMU_SETUP_NT(kmemu_flt_instance_attach(g, w.v, &gin));
	c = fh_alloc(g, FLT_FILE_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_NT(FltSetFileContext(gin, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), 0);
	FltReleaseContext(a);
	FltReleaseContext(b);
	FltReleaseContext(c);
	FltUnregisterFilter(g);
	FltUnregisterFilter(w.f);
	KMEMU_EXPECT_EQ(fh_cleanups, 3);
}

KMEMU_CASE(keep, S "keep-if-exists", FH_CAPS, S "keep-if-exists")
{
	struct fh_world w;
	PFLT_CONTEXT a, b, old = NULL;

	fh_world(&w, 0);
	a = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	b = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_NT(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, &old), 0);
	KMEMU_EXPECT_TRUE(old == NULL);
	FltReleaseContext(a);                  /* the stream keeps it */
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	KMEMU_EXPECT_NT(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, b, &old),
			STATUS_FLT_CONTEXT_ALREADY_DEFINED);
	KMEMU_EXPECT_TRUE(old == a);
	FltReleaseContext(b);                  /* b's count unchanged: freed */
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	KMEMU_EXPECT_TRUE(fh_last == b);
	FltReleaseContext(old);                /* the added reference */
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	KMEMU_EXPECT_NT(FltDeleteStreamContext(w.in, w.fo, NULL), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(replace, S "replace-if-exists", FH_CAPS, S "replace-if-exists")
{
	struct fh_world w;
	PFLT_CONTEXT a, b, c, old = NULL;

	fh_world(&w, 0);
	a = fh_alloc(w.f, FLT_TRANSACTION_CONTEXT, 32, PagedPool);
	b = fh_alloc(w.f, FLT_TRANSACTION_CONTEXT, 32, PagedPool);
	c = fh_alloc(w.f, FLT_TRANSACTION_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_NT(FltSetTransactionContext(w.in, w.tx, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, a, &old), 0);
	KMEMU_EXPECT_TRUE(old == NULL);
	FltReleaseContext(a);
	KMEMU_EXPECT_NT(FltSetTransactionContext(w.in, w.tx, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, b, &old), 0);
	KMEMU_EXPECT_TRUE(old == a);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	FltReleaseContext(old);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	FltReleaseContext(b);
	KMEMU_EXPECT_NT(FltSetTransactionContext(w.in, w.tx, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, c, NULL), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	KMEMU_EXPECT_TRUE(fh_last == b);
	FltReleaseContext(c);
	KMEMU_EXPECT_NT(kmemu_flt_transaction_end(w.tx), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 3);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(linked, S "already-linked", FH_CAPS, S "already-linked")
{
	struct fh_world w;
	PFILE_OBJECT other;
	PFLT_CONTEXT a, b, old = NULL;

	fh_world(&w, 0);
	KMEMU_SETUP_NT(kmemu_flt_file_open(w.v, "b.txt", &other));
	a = fh_alloc(w.f, FLT_STREAMHANDLE_CONTEXT, 32, PagedPool);
	b = fh_alloc(w.f, FLT_STREAMHANDLE_CONTEXT, 32, PagedPool);
	KMEMU_SETUP_NT(FltSetStreamHandleContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL));
	KMEMU_EXPECT_NT(FltSetStreamHandleContext(w.in, other, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL),
			STATUS_FLT_CONTEXT_ALREADY_LINKED);
	KMEMU_SETUP_NT(FltSetStreamHandleContext(w.in, w.fo, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, b, &old));
	KMEMU_EXPECT_NT(FltSetStreamHandleContext(w.in, other, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL),
			STATUS_FLT_CONTEXT_ALREADY_LINKED);
	FltReleaseContext(old);
	FltReleaseContext(a);
	FltReleaseContext(b);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(bad_args, S "bad-operation-type-filter", FH_CAPS,
	   S "bad-operation-or-type " S "other-filter " S "failure-no-count-change")
{
	struct fh_world w;
	PFLT_FILTER g;
	PFLT_CONTEXT a, wrong, foreign;

	fh_world(&w, 0);
	g = fh_register(fh_std, 1);
	a = fh_alloc(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	wrong = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	foreign = fh_alloc(g, FLT_FILE_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_NT(FltSetFileContext(w.in, w.fo, (FLT_SET_CONTEXT_OPERATION)2, a, NULL),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, wrong, NULL),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, foreign, NULL),
			STATUS_INVALID_PARAMETER);
	/* every count unchanged: one release each frees */
	FltReleaseContext(a);
	FltReleaseContext(wrong);
	FltReleaseContext(foreign);
	KMEMU_EXPECT_EQ(fh_cleanups, 3);
	FltUnregisterFilter(g);
	FltUnregisterFilter(w.f);
}

static NTSTATUS teardown_set = STATUS_PENDING;
static VOID FLTAPI on_teardown(PCFLT_RELATED_OBJECTS o, FLT_INSTANCE_TEARDOWN_FLAGS r)
{
	PFLT_CONTEXT c = NULL;

	(void)r;
	if (FltAllocateContext(o->Filter, FLT_INSTANCE_CONTEXT, 32, PagedPool, &c) == STATUS_SUCCESS) {
		teardown_set = FltSetInstanceContext(o->Instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL);
		FltReleaseContext(c);
	}
}

KMEMU_CASE(deleting, S "deleting-object", FH_CAPS, S "deleting-object")
{
	PFLT_FILTER f = NULL;
	PFLT_INSTANCE in = fh_instance_with_teardown(on_teardown, &f);

	KMEMU_EXPECT_NT(kmemu_flt_instance_detach(in), 0);
	KMEMU_EXPECT_NT(teardown_set, STATUS_FLT_DELETING_OBJECT);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	FltUnregisterFilter(f);
}

static struct {
	struct fh_world *w;                /* the objects the probes name */
	PFLT_CONTEXT spare[3];             /* stream handle, transaction, volume */
	NTSTATUS set[3], get_sh;           /* what the cleanup callbacks saw */
	NTSTATUS td_vol;                   /* FltSetVolumeContext in teardown start */
} dp = { NULL, { NULL, NULL, NULL }, { STATUS_PENDING, STATUS_PENDING, STATUS_PENDING },
	 STATUS_PENDING, STATUS_PENDING };

/* Cleanup callback naming the object whose teardown runs it. */
static VOID FLTAPI probe_cleanup(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	int i = t == FLT_STREAMHANDLE_CONTEXT ? 0 : t == FLT_TRANSACTION_CONTEXT ? 1 : 2;
	PFLT_CONTEXT s = dp.spare[i], got = NULL;

	fh_cleanup(c, t);
	if (!s)
		return;
	dp.spare[i] = NULL;
	if (i == 0) {
		dp.get_sh = FltGetStreamHandleContext(dp.w->in, dp.w->fo, &got);
		if (got)
			FltReleaseContext(got);
	}
	dp.set[i] = fh_set(dp.w, i == 0 ? 4 : i == 1 ? 5 : 0, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL);
	FltReleaseContext(s);                  /* its one reference: frees */
}

static VOID FLTAPI probe_teardown(PCFLT_RELATED_OBJECTS o, FLT_INSTANCE_TEARDOWN_FLAGS r)
{
	PFLT_CONTEXT c = NULL;

	(void)r;
	if (FltAllocateContext(o->Filter, FLT_VOLUME_CONTEXT, 32, NonPagedPool, &c) == STATUS_SUCCESS) {
		dp.td_vol = FltSetVolumeContext(o->Volume, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL);
		FltReleaseContext(c);
	} else {
		dp.td_vol = STATUS_FLT_DELETING_OBJECT;   /* unloading: no allocation either */
	}
}

KMEMU_CASE(deleting_teardown, S "deleting-object-in-teardown", FH_CAPS,
	   S "deleting-object " S "deleting-in-cleanup")
{
	static const FLT_CONTEXT_REGISTRATION ctx[] = {
		{ FLT_VOLUME_CONTEXT, 0, probe_cleanup, 32, FH_TAG, NULL, NULL, NULL },
		{ FLT_STREAMHANDLE_CONTEXT, 0, probe_cleanup, 32, FH_TAG, NULL, NULL, NULL },
		{ FLT_TRANSACTION_CONTEXT, 0, probe_cleanup, 32, FH_TAG, NULL, NULL, NULL }, FH_END
	};
	FLT_REGISTRATION r = fh_reg(ctx);
	struct fh_world w;
	PFLT_CONTEXT c;
	int kinds[3] = { 4, 5, 0 };

	r.InstanceTeardownStartCallback = probe_teardown;
	KMEMU_SETUP_NT(FltRegisterFilter(fh_driver(0), &r, &w.f));
	KMEMU_SETUP_NT(FltStartFiltering(w.f));
	KMEMU_SETUP_NT(kmemu_flt_volume_create("C:", 0, &w.v));
	KMEMU_SETUP_NT(kmemu_flt_instance_attach(w.f, w.v, &w.in));
	KMEMU_SETUP_NT(kmemu_flt_file_open(w.v, "a.txt", &w.fo));
	KMEMU_SETUP_NT(kmemu_flt_transaction_create(&w.tx));
	dp.w = &w;
	for (int i = 0; i < 3; i++) {
		FLT_CONTEXT_TYPE t = kinds[i] == 4 ? FLT_STREAMHANDLE_CONTEXT
			: kinds[i] == 5 ? FLT_TRANSACTION_CONTEXT : FLT_VOLUME_CONTEXT;

		c = fh_alloc(w.f, t, 32, NonPagedPool);
		KMEMU_SETUP_NT(fh_set(&w, kinds[i], FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL));
		FltReleaseContext(c);
		dp.spare[i] = fh_alloc(w.f, t, 32, NonPagedPool);
	}
	KMEMU_EXPECT_NT(kmemu_flt_file_close(w.fo), 0);
	KMEMU_EXPECT_NT(dp.set[0], STATUS_FLT_DELETING_OBJECT);
	KMEMU_EXPECT_NT(dp.get_sh, STATUS_NOT_FOUND);
	KMEMU_EXPECT_NT(kmemu_flt_transaction_end(w.tx), 0);
	KMEMU_EXPECT_NT(dp.set[1], STATUS_FLT_DELETING_OBJECT);
	KMEMU_EXPECT_NT(kmemu_flt_volume_destroy(w.v), 0);
	KMEMU_EXPECT_NT(dp.td_vol, STATUS_FLT_DELETING_OBJECT);
	KMEMU_EXPECT_NT(dp.set[2], STATUS_FLT_DELETING_OBJECT);
	KMEMU_EXPECT_EQ(fh_cleanups, 7);       /* three set, three spares, teardown start's */
	/* unload: teardown start of an instance on a volume that stays */
	KMEMU_SETUP_NT(kmemu_flt_volume_create("D:", 0, &w.v));
	KMEMU_SETUP_NT(kmemu_flt_instance_attach(w.f, w.v, &w.in));
	dp.td_vol = STATUS_PENDING;
	FltUnregisterFilter(w.f);
	KMEMU_EXPECT_NT(dp.td_vol, STATUS_FLT_DELETING_OBJECT);
	KMEMU_EXPECT_NT(kmemu_flt_volume_destroy(w.v), 0);
}

KMEMU_CASE(unsupported, S "streams-unsupported", FH_CAPS, S "streams-unsupported")
{
	struct fh_world w;
	PFLT_CONTEXT s, h, f, got;

	fh_world(&w, KMEMU_FLT_VOLUME_NO_STREAM_CONTEXTS);
	s = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	h = fh_alloc(w.f, FLT_STREAMHANDLE_CONTEXT, 32, PagedPool);
	f = fh_alloc(w.f, FLT_FILE_CONTEXT, 32, PagedPool);
	KMEMU_EXPECT_NT(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL),
			STATUS_NOT_SUPPORTED);
	KMEMU_EXPECT_NT(FltSetStreamHandleContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, h, NULL),
			STATUS_NOT_SUPPORTED);
	KMEMU_EXPECT_NT(FltGetStreamContext(w.in, w.fo, &got), STATUS_NOT_SUPPORTED);
	KMEMU_EXPECT_NT(FltGetStreamHandleContext(w.in, w.fo, &got), STATUS_NOT_SUPPORTED);
	KMEMU_EXPECT_NT(FltDeleteStreamContext(w.in, w.fo, NULL), STATUS_NOT_SUPPORTED);
	KMEMU_EXPECT_NT(FltDeleteStreamHandleContext(w.in, w.fo, NULL), STATUS_NOT_SUPPORTED);
	KMEMU_EXPECT_NT(FltSetFileContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, f, NULL), 0);
	FltReleaseContext(s);
	FltReleaseContext(h);
	FltReleaseContext(f);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(closed_fo, S "closed-file-object", FH_CAPS, S "opened-file-object")
{
	struct fh_world w;
	PFLT_CONTEXT s, got;

	fh_world(&w, 0);
	s = fh_alloc(w.f, FLT_STREAM_CONTEXT, 32, PagedPool);
	KMEMU_SETUP_NT(kmemu_flt_file_close(w.fo));
	KMEMU_EXPECT_NT(FltSetStreamContext(w.in, w.fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(FltGetStreamContext(w.in, w.fo, &got), STATUS_INVALID_PARAMETER);
	FltReleaseContext(s);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(delete_ctx, S "flt-delete-context", FH_CAPS, S "delete-context " S "delete-only-attached")
{
	struct fh_world w;
	struct kmemu_flt_section *sec;
	PFLT_CONTEXT a, b, got, old = NULL, never;

	fh_world(&w, 0);
	a = fh_alloc(w.f, FLT_INSTANCE_CONTEXT, 32, PagedPool);
	memset(a, 0x44, 32);
	KMEMU_SETUP_NT(FltSetInstanceContext(w.in, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL));
	FltDeleteContext(a);
	KMEMU_EXPECT_NT(FltGetInstanceContext(w.in, &got), STATUS_NOT_FOUND);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	KMEMU_EXPECT_TRUE(fh_all(a, 32, 0x44));
	FltDeleteContext(a);                   /* no longer attached: nothing */
	FltReleaseContext(a);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	/* never set: nothing; replaced: nothing */
	never = fh_alloc(w.f, FLT_INSTANCE_CONTEXT, 32, PagedPool);
	FltDeleteContext(never);
	FltReleaseContext(never);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	a = fh_alloc(w.f, FLT_INSTANCE_CONTEXT, 32, PagedPool);
	b = fh_alloc(w.f, FLT_INSTANCE_CONTEXT, 32, PagedPool);
	KMEMU_SETUP_NT(FltSetInstanceContext(w.in, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL));
	KMEMU_SETUP_NT(FltSetInstanceContext(w.in, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, b, &old));
	FltDeleteContext(old);
	KMEMU_EXPECT_NT(FltGetInstanceContext(w.in, &got), 0);
	KMEMU_EXPECT_TRUE(got == b);
	FltReleaseContext(got);
	FltReleaseContext(old);
	FltReleaseContext(a);
	KMEMU_EXPECT_EQ(fh_cleanups, 3);
	KMEMU_EXPECT_NT(FltDeleteTransactionContext(w.in, w.tx, NULL), STATUS_NOT_FOUND);
	/* section contexts stay with their section */
	a = fh_alloc(w.f, FLT_SECTION_CONTEXT, 32, PagedPool);
	KMEMU_SETUP_NT(kmemu_flt_section_create(w.in, w.fo, a, &sec));
	{
		uint64_t noted = fh_stats().section_deletes;

		FltDeleteContext(a);
		KMEMU_EXPECT_EQ(fh_stats().section_deletes, noted + 1);
	}
	KMEMU_EXPECT_NT(FltGetSectionContext(w.in, w.fo, &got), 0);
	FltReleaseContext(got);
	FltReleaseContext(a);
	FltReleaseContext(b);
	FltUnregisterFilter(w.f);
	KMEMU_EXPECT_EQ(fh_cleanups, 5);
}

KMEMU_CASE(delete_old, S "delete-with-old-context", FH_CAPS, S "delete-old-context")
{
	struct fh_world w;
	PFLT_CONTEXT a, old = NULL;

	fh_world(&w, 0);
	a = fh_alloc(w.f, FLT_VOLUME_CONTEXT, 32, NonPagedPool);
	KMEMU_SETUP_NT(FltSetVolumeContext(w.v, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL));
	FltReleaseContext(a);
	KMEMU_EXPECT_NT(FltDeleteVolumeContext(w.f, w.v, &old), 0);
	KMEMU_EXPECT_TRUE(old == a);
	KMEMU_EXPECT_EQ(fh_cleanups, 0);
	FltReleaseContext(old);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);
	a = fh_alloc(w.f, FLT_VOLUME_CONTEXT, 32, NonPagedPool);
	KMEMU_SETUP_NT(FltSetVolumeContext(w.v, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL));
	FltReleaseContext(a);
	KMEMU_EXPECT_NT(FltDeleteVolumeContext(w.f, w.v, NULL), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);
	FltUnregisterFilter(w.f);
}

KMEMU_CASE(teardown, S "teardown-deletes", FH_CAPS, S "teardown-deletes " S "delete-not-needed")
{
	struct fh_world w;
	struct kmemu_flt_section *sec;
	PFILE_OBJECT a2, ads;
	PFLT_CONTEXT c;

	fh_world(&w, 0);
	KMEMU_SETUP_NT(kmemu_flt_file_open(w.v, "a.txt", &a2));
	KMEMU_SETUP_NT(kmemu_flt_file_open(w.v, "a.txt:ads", &ads));
	for (int k = 2; k < 6; k++) {
		c = fh_alloc(w.f, fh_types[k], 32, PagedPool);
		KMEMU_SETUP_NT(fh_set(&w, k, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL));
		FltReleaseContext(c);
	}
	c = fh_alloc(w.f, FLT_SECTION_CONTEXT, 32, PagedPool);
	KMEMU_SETUP_NT(kmemu_flt_section_create(w.in, ads, c, &sec));
	FltReleaseContext(c);
	KMEMU_EXPECT_NT(kmemu_flt_transaction_end(w.tx), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 1);           /* transaction */
	KMEMU_EXPECT_NT(kmemu_flt_file_close(w.fo), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 2);           /* stream handle */
	KMEMU_EXPECT_NT(kmemu_flt_file_close(a2), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 3);           /* stream: its last open */
	KMEMU_EXPECT_NT(kmemu_flt_file_close(ads), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 3);           /* the section holds the ads stream */
	KMEMU_EXPECT_NT(kmemu_flt_section_close(sec), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 5);           /* section, then the file (last stream) */
	c = fh_alloc(w.f, FLT_INSTANCE_CONTEXT, 32, PagedPool);
	KMEMU_SETUP_NT(FltSetInstanceContext(w.in, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL));
	FltReleaseContext(c);
	KMEMU_EXPECT_NT(kmemu_flt_instance_detach(w.in), 0);
	KMEMU_EXPECT_EQ(fh_cleanups, 6);
	FltUnregisterFilter(w.f);
}

const struct kmemu_case *const kmemu_cases_FltSetContext[] = {
	KMEMU_CASE_REF(routines), KMEMU_CASE_REF(one_per), KMEMU_CASE_REF(keep),
	KMEMU_CASE_REF(replace), KMEMU_CASE_REF(linked), KMEMU_CASE_REF(bad_args),
	KMEMU_CASE_REF(deleting), KMEMU_CASE_REF(deleting_teardown), KMEMU_CASE_REF(unsupported), KMEMU_CASE_REF(closed_fo),
	KMEMU_CASE_REF(delete_ctx), KMEMU_CASE_REF(delete_old), KMEMU_CASE_REF(teardown), NULL
};
