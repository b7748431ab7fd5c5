/* SPDX-License-Identifier: MIT */
/*
 * flt_helpers.h - what the Filter Manager cases share: a registration of
 * every type (fixed 32, fixed 64 with NO_EXACT_SIZE_MATCH, variable), a
 * world of one filter with an instance on a volume, a file object and a
 * transaction, recording callbacks, and setup steps that make a case
 * UNRESOLVED when they fail.  Header-only: each case file gets its own
 * counters (every case runs in its own process anyway).
 */
#ifndef KMEMU_CONFORMANCE_FLT_HELPERS_H
#define KMEMU_CONFORMANCE_FLT_HELPERS_H

#include <string.h>
#include <fltkernel.h>
#include <kmemu/flt.h>
#include "harness.h"

#define FH_TAG 0x68437446u
#define FH_CAPS KMEMU_CAP_FLT
#define FH_CAPS_IRQL (KMEMU_CAP_FLT | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK)

static int fh_cleanups, fh_cleanups2;      /* cleanup callbacks seen */
static PFLT_CONTEXT fh_last;               /* the last one's context */
static FLT_CONTEXT_TYPE fh_last_type;
static uint8_t fh_last_byte;               /* its first byte, read in the callback */
static int fh_bugchecks;                   /* reports seen by fh_on_bugcheck */
static struct kmemu_bugcheck_report fh_bc; /* the last one */

static inline VOID FLTAPI fh_cleanup(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	fh_cleanups++;
	fh_last = c;
	fh_last_type = t;
	fh_last_byte = *(const uint8_t *)c;
}

static inline VOID FLTAPI fh_cleanup2(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	(void)c;
	(void)t;
	fh_cleanups2++;
}

static inline void fh_on_bugcheck(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	fh_bugchecks++;
	fh_bc = *r;
}

#define FH_STD(t) { t, 0, fh_cleanup, 32, FH_TAG, NULL, NULL, NULL },                          \
	{ t, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, fh_cleanup, 64, FH_TAG, NULL, NULL, NULL }, \
	{ t, 0, fh_cleanup, FLT_VARIABLE_SIZED_CONTEXTS, FH_TAG, NULL, NULL, NULL }
static const FLT_CONTEXT_REGISTRATION fh_std[] = {
	FH_STD(FLT_VOLUME_CONTEXT), FH_STD(FLT_INSTANCE_CONTEXT), FH_STD(FLT_FILE_CONTEXT),
	FH_STD(FLT_STREAM_CONTEXT), FH_STD(FLT_STREAMHANDLE_CONTEXT), FH_STD(FLT_TRANSACTION_CONTEXT),
	FH_STD(FLT_SECTION_CONTEXT),
	{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};
#undef FH_STD
#define FH_END { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }

static const FLT_CONTEXT_TYPE fh_types[7] = {
	FLT_VOLUME_CONTEXT, FLT_INSTANCE_CONTEXT, FLT_FILE_CONTEXT, FLT_STREAM_CONTEXT,
	FLT_STREAMHANDLE_CONTEXT, FLT_TRANSACTION_CONTEXT, FLT_SECTION_CONTEXT
};

/* A distinct DRIVER_OBJECT pointer per @i (0..7). */
static inline PDRIVER_OBJECT fh_driver(int i)
{
	static char drivers[8];

	return (PDRIVER_OBJECT)(void *)&drivers[i];
}

static inline FLT_REGISTRATION fh_reg(const FLT_CONTEXT_REGISTRATION *ctx)
{
	FLT_REGISTRATION r;

	memset(&r, 0, sizeof(r));
	r.Size = sizeof(r);
	r.Version = FLT_REGISTRATION_VERSION;
	r.ContextRegistration = ctx;
	return r;
}

/* Register and start, or end the case UNRESOLVED. */
static inline PFLT_FILTER fh_register(const FLT_CONTEXT_REGISTRATION *ctx, int driver)
{
	FLT_REGISTRATION r = fh_reg(ctx);
	PFLT_FILTER f = NULL;

	KMEMU_SETUP_NT(FltRegisterFilter(fh_driver(driver), &r, &f));
	KMEMU_SETUP_NT(FltStartFiltering(f));
	return f;
}

/* Allocate, or end the case UNRESOLVED. */
static inline PFLT_CONTEXT fh_alloc(PFLT_FILTER f, FLT_CONTEXT_TYPE t, SIZE_T size, POOL_TYPE pool)
{
	PFLT_CONTEXT c = NULL;

	KMEMU_SETUP_NT(FltAllocateContext(f, t, size, pool, &c));
	return c;
}

/* Free KMEMU_FLT_QUARANTINE variable-sized file contexts of @f, which pushes
 * every block freed before them out of the quarantine (to its lookaside
 * list or the heap); 0, or -1 when an allocation failed. */
static inline int fh_push_quarantine(PFLT_FILTER f)
{
	PFLT_CONTEXT c[KMEMU_FLT_QUARANTINE];
	int rc = 0;

	for (unsigned i = 0; i < KMEMU_FLT_QUARANTINE; i++)
		if (FltAllocateContext(f, FLT_FILE_CONTEXT, 1000 + i, PagedPool, &c[i]))
			rc = -1;
	for (unsigned i = 0; i < KMEMU_FLT_QUARANTINE; i++)
		if (c[i])
			FltReleaseContext(c[i]);
	return rc;
}

struct fh_world {
	PFLT_FILTER f;
	PFLT_VOLUME v;
	PFLT_INSTANCE in;
	PFILE_OBJECT fo;
	PKTRANSACTION tx;
};

/* One filter (the standard registration) with an instance on a volume
 * (@vflags), a file object on "a.txt" and a transaction. */
static inline void fh_world(struct fh_world *w, unsigned vflags)
{
	w->f = fh_register(fh_std, 0);
	KMEMU_SETUP_NT(kmemu_flt_volume_create("C:", vflags, &w->v));
	KMEMU_SETUP_NT(kmemu_flt_instance_attach(w->f, w->v, &w->in));
	KMEMU_SETUP_NT(kmemu_flt_file_open(w->v, "a.txt", &w->fo));
	KMEMU_SETUP_NT(kmemu_flt_transaction_create(&w->tx));
}

/* Set routine @k (0 volume, 1 instance, 2 file, 3 stream, 4 stream handle,
 * 5 transaction) on @w's objects. */
static inline NTSTATUS fh_set(const struct fh_world *w, int k, FLT_SET_CONTEXT_OPERATION op,
			      PFLT_CONTEXT c, PFLT_CONTEXT *old)
{
	switch (k) {
	case 0: return FltSetVolumeContext(w->v, op, c, old);
	case 1: return FltSetInstanceContext(w->in, op, c, old);
	case 2: return FltSetFileContext(w->in, w->fo, op, c, old);
	case 3: return FltSetStreamContext(w->in, w->fo, op, c, old);
	case 4: return FltSetStreamHandleContext(w->in, w->fo, op, c, old);
	default: return FltSetTransactionContext(w->in, w->tx, op, c, old);
	}
}

static inline NTSTATUS fh_get(const struct fh_world *w, int k, PFLT_CONTEXT *c)
{
	switch (k) {
	case 0: return FltGetVolumeContext(w->f, w->v, c);
	case 1: return FltGetInstanceContext(w->in, c);
	case 2: return FltGetFileContext(w->in, w->fo, c);
	case 3: return FltGetStreamContext(w->in, w->fo, c);
	case 4: return FltGetStreamHandleContext(w->in, w->fo, c);
	default: return FltGetTransactionContext(w->in, w->tx, c);
	}
}

static inline NTSTATUS fh_delete(const struct fh_world *w, int k, PFLT_CONTEXT *old)
{
	switch (k) {
	case 0: return FltDeleteVolumeContext(w->f, w->v, old);
	case 1: return FltDeleteInstanceContext(w->in, old);
	case 2: return FltDeleteFileContext(w->in, w->fo, old);
	case 3: return FltDeleteStreamContext(w->in, w->fo, old);
	case 4: return FltDeleteStreamHandleContext(w->in, w->fo, old);
	default: return FltDeleteTransactionContext(w->in, w->tx, old);
	}
}

/* A filter whose instances call @teardown at InstanceTeardownStart, with
 * one instance on a fresh volume, or end the case UNRESOLVED. */
static inline PFLT_INSTANCE fh_instance_with_teardown(PFLT_INSTANCE_TEARDOWN_CALLBACK teardown,
						      PFLT_FILTER *f)
{
	FLT_REGISTRATION r = fh_reg(fh_std);
	PFLT_VOLUME v;
	PFLT_INSTANCE in = NULL;

	r.InstanceTeardownStartCallback = teardown;
	KMEMU_SETUP_NT(FltRegisterFilter(fh_driver(0), &r, f));
	KMEMU_SETUP_NT(FltStartFiltering(*f));
	KMEMU_SETUP_NT(kmemu_flt_volume_create("C:", 0, &v));
	KMEMU_SETUP_NT(kmemu_flt_instance_attach(*f, v, &in));
	return in;
}

static int fh_leaks;                       /* leak reports seen by fh_on_leak */
static struct kmemu_flt_leak fh_leak;      /* the last one */

static inline void fh_on_leak(const struct kmemu_flt_leak *l, void *ctx)
{
	(void)ctx;
	fh_leaks++;
	fh_leak = *l;
}

/* 1 when @n bytes at @p are all @byte. */
static inline int fh_all(const void *p, size_t n, uint8_t byte)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != byte)
			return 0;
	return 1;
}

/* The Filter Manager counters, or end the case UNRESOLVED. */
static inline struct kmemu_flt_stats fh_stats(void)
{
	struct kmemu_flt_stats s;

	KMEMU_SETUP_NT(kmemu_flt_stats_get(&s));
	return s;
}

#endif /* KMEMU_CONFORMANCE_FLT_HELPERS_H */
