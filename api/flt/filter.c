/* SPDX-License-Identifier: MIT */
/*
 * filter.c - FltRegisterFilter, FltStartFiltering, FltUnregisterFilter.
 *
 * Registration parses the FLT_CONTEXT_REGISTRATION array as spec §8.2
 * says: entries up to FLT_CONTEXT_END, in any order; per type up to three
 * fixed sizes (an identical size again: the first entry wins) kept in
 * ascending order, one variable-sized entry (used when no fixed size fits),
 * or one entry with allocate/free callbacks and nothing else.  Unload
 * detaches every instance, deletes every context the filter set, waits for
 * the references drivers still hold (kmemu_flt_set_unload_wait()), reports
 * what is left as leaks with the call that allocated it, and reclaims it.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "flt_impl.h"

/* Bytes of FLT_REGISTRATION each version defines (the caller's structure may
 * end there). */
static size_t registration_bytes(USHORT version)
{
	switch (version) {
	case FLT_REGISTRATION_VERSION_0200:
		return offsetof(FLT_REGISTRATION, TransactionNotificationCallback);
	case FLT_REGISTRATION_VERSION_0201:
		return offsetof(FLT_REGISTRATION, NormalizeNameComponentExCallback);
	case FLT_REGISTRATION_VERSION_0202:
		return offsetof(FLT_REGISTRATION, SectionNotificationCallback);
	case FLT_REGISTRATION_VERSION_0203:
		return sizeof(FLT_REGISTRATION);
	default:
		return 0;
	}
}

/* Bit index 0..6 of a single FLT_*_CONTEXT type, or -1. */
int kmemu__flt_type_index(FLT_CONTEXT_TYPE type)
{
	for (int i = 0; i < FLT_N_TYPES; i++)
		if (type == (1u << i))
			return i;
	return -1;
}

/* One class from a registration entry. */
static void class_init(struct flt_class *cls, const FLT_CONTEXT_REGISTRATION *r)
{
	memset(cls, 0, sizeof(*cls));
	cls->size = r->Size;
	cls->is_no_exact = !!(r->Flags & FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH);
	cls->cleanup = r->ContextCleanupCallback;
	cls->alloc_cb = r->ContextAllocateCallback;
	cls->free_cb = r->ContextFreeCallback;
	cls->tag = r->PoolTag;
}

/*
 * parse_contexts() - validate a context registration array into @types.
 * Return: STATUS_SUCCESS; STATUS_FLT_INVALID_CONTEXT_REGISTRATION for: a
 * type that is not one FLT_*_CONTEXT bit, Reserved1 set, unknown Flags
 * bits, an allocate callback without a free callback or the reverse, a
 * callback entry next to any other entry of its type, PoolTag 0 without
 * callbacks, a fixed Size above MAXUSHORT, a second variable entry, a
 * fourth distinct fixed size.
 */
static kmemu_status parse_contexts(const FLT_CONTEXT_REGISTRATION *r, struct flt_type_reg *types)
{
	for (; r && r->ContextType != FLT_CONTEXT_END; r++) {
		int i = kmemu__flt_type_index(r->ContextType);
		struct flt_type_reg *t;
		unsigned k;

		if (i < 0 || r->Reserved1 || (r->Flags & ~FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH))
			return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
		t = &types[i];
		if (!r->ContextAllocateCallback != !r->ContextFreeCallback || t->has_callback)
			return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
		if (r->ContextAllocateCallback) {
			if (t->n_fixed || t->has_variable)
				return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
			t->has_callback = 1;
			class_init(&t->callback, r);
			continue;
		}
		if (r->PoolTag == 0)
			return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
		if (r->Size == FLT_VARIABLE_SIZED_CONTEXTS) {
			if (t->has_variable)
				return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
			t->has_variable = 1;
			class_init(&t->variable, r);
			continue;
		}
		if (r->Size > FLT_MAXUSHORT)
			return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
		for (k = 0; k < t->n_fixed && t->fixed[k].size != r->Size; k++)
			;
		if (k < t->n_fixed)
			continue;  /* the same size again: the first entry wins */
		if (t->n_fixed == FLT_MAX_FIXED)
			return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
		for (k = t->n_fixed; k > 0 && t->fixed[k - 1].size > r->Size; k--)
			t->fixed[k] = t->fixed[k - 1];
		class_init(&t->fixed[k], r);
		t->n_fixed++;
	}
	return STATUS_SUCCESS;
}

/*
 * FltRegisterFilter() - see <fltkernel.h>.  kmemu returns STATUS_SUCCESS;
 * STATUS_INVALID_PARAMETER (NULL @Driver, @Registration or @RetFilter, a
 * Version other than 0x0200-0x0203); STATUS_FLT_INVALID_CONTEXT_REGISTRATION
 * (see parse_contexts()); STATUS_FLT_INSTANCE_ALTITUDE_COLLISION (@Driver
 * already has a registered filter); STATUS_INSUFFICIENT_RESOURCES;
 * STATUS_UNSUCCESSFUL after an IRQL report (above PASSIVE_LEVEL) a handler
 * returned from; STATUS_NOT_SUPPORTED on a backend without KMEMU_CAP_FLT.
 * The Size field is not checked (0 and 0xFFFF are accepted, spec §8.1).
 */
NTSTATUS FLTAPI FltRegisterFilter(PDRIVER_OBJECT Driver, const FLT_REGISTRATION *Registration,
				  PFLT_FILTER *RetFilter)
{
	struct flt_state *st;
	struct flt_filter *f;
	kmemu_status rc;
	size_t n;

	if (RetFilter)
		*RetFilter = NULL;
	if (!(st = kmemu__flt_enter("FltRegisterFilter", (const void *)FltRegisterFilter,
				    PASSIVE_LEVEL, NULL, &rc)))
		return rc;
	if (!Driver || !Registration || !RetFilter)
		return STATUS_INVALID_PARAMETER;
	if (!(n = registration_bytes(Registration->Version)))
		return STATUS_INVALID_PARAMETER;
	if (!(f = kmemu__calloc(1, sizeof(*f))))
		return STATUS_INSUFFICIENT_RESOURCES;
	f->obj.kind = FK_FILTER;
	f->driver = Driver;
	memcpy(&f->reg, Registration, n);
	rc = parse_contexts(Registration->ContextRegistration, f->types);
	if (rc)
		goto fail;
	pthread_mutex_lock(&st->lock);
	for (struct flt_filter *o = st->filters; o; o = o->next)
		if (o->driver == Driver) {
			pthread_mutex_unlock(&st->lock);
			rc = STATUS_FLT_INSTANCE_ALTITUDE_COLLISION;
			goto fail;
		}
	if (kmemu__flt_set_add(st, f)) {
		pthread_mutex_unlock(&st->lock);
		rc = STATUS_INSUFFICIENT_RESOURCES;
		goto fail;
	}
	f->next = st->filters;
	st->filters = f;
	pthread_mutex_unlock(&st->lock);
	*RetFilter = (PFLT_FILTER)f;
	return STATUS_SUCCESS;
fail:
	kmemu__free(f);
	return rc;
}

/*
 * FltStartFiltering() - see <fltkernel.h>.  kmemu returns STATUS_SUCCESS
 * (again on a started filter: no effect); STATUS_INVALID_PARAMETER (not a
 * registered filter, or one being unloaded); STATUS_UNSUCCESSFUL after an
 * IRQL report; STATUS_NOT_SUPPORTED.  Instances are attached by the test
 * (kmemu_flt_instance_attach()), which needs a started filter.
 */
NTSTATUS FLTAPI FltStartFiltering(PFLT_FILTER Filter)
{
	struct flt_state *st;
	struct flt_filter *f;
	kmemu_status rc;

	if (!(st = kmemu__flt_enter("FltStartFiltering", (const void *)FltStartFiltering,
				    PASSIVE_LEVEL, NULL, &rc)))
		return rc;
	pthread_mutex_lock(&st->lock);
	f = kmemu__flt_lookup(st, Filter, FK_FILTER);
	rc = !f || f->is_unloading ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
	if (!rc)
		f->is_started = 1;
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* Wait on st->changed until @deadline; 0 or ETIMEDOUT. */
static int wait_until(struct flt_state *st, const struct timespec *deadline)
{
	return pthread_cond_timedwait(&st->changed, &st->lock, deadline);
}

void kmemu__flt_unregister(struct flt_state *st, struct flt_filter *f, unsigned wait_ms)
{
	struct flt_ctx *chain = NULL;
	struct timespec deadline;

	pthread_mutex_lock(&st->lock);
	f->is_unloading = 1;
	while (f->instances) {
		struct flt_instance *in = f->instances;

		if (in->is_deleting) {  /* another thread detaches it */
			pthread_cond_wait(&st->changed, &st->lock);
			continue;
		}
		in->is_deleting = 1;
		pthread_mutex_unlock(&st->lock);
		kmemu__flt_instance_detach(st, in);
		pthread_mutex_lock(&st->lock);
	}
	for (struct flt_volume *v = st->volumes; v; v = v->next)
		kmemu__flt_detach_all(&v->ctxs, f, &chain);
	pthread_mutex_unlock(&st->lock);
	kmemu__flt_put_chain(st, chain);

	/* wait for the references drivers still hold */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&st->lock);
	while (f->n_live && wait_ms && wait_until(st, &deadline) != ETIMEDOUT)
		;
	/* what is left leaked: report it, with the call that allocated it */
	for (struct flt_ctx *c = f->live, *next; c; c = next) {
		struct kmemu_flt_leak leak;
		PFLT_CONTEXT_FREE_CALLBACK free_cb = c->cls->alloc_cb ? c->cls->free_cb : NULL;

		next = c->live_next;
		if (c->is_pending || c->refs == 0)
			continue;  /* being freed (the worker, or a release in flight) */
		if (c->live_prev)
			c->live_prev->live_next = c->live_next;
		else
			f->live = c->live_next;
		if (c->live_next)
			c->live_next->live_prev = c->live_prev;
		f->n_live--;
		st->n_contexts--;
		st->n_leaks++;
		kmemu__flt_set_del(st, c);
		leak = (struct kmemu_flt_leak){ (PFLT_FILTER)f, FLT_CTX_USER(c), c->type, c->size,
						c->refs, c->caller, c->file, c->line, c->function };
		pthread_mutex_unlock(&st->lock);
		kmemu__flt_report_leak(&leak);
		if (free_cb)
			free_cb(c, leak.type);
		else
			kmemu__free(c);
		pthread_mutex_lock(&st->lock);
		next = f->live;  /* the list may have moved while unlocked */
	}
	while (f->n_live)  /* only deferred releases in flight */
		pthread_cond_wait(&st->changed, &st->lock);
	kmemu__flt_lookaside_free(st, f);
	FLT_LIST_REMOVE(struct flt_filter, &st->filters, f, next);
	kmemu__flt_set_del(st, f);
	pthread_mutex_unlock(&st->lock);
	kmemu__free(f);
}

/*
 * FltUnregisterFilter() - see <fltkernel.h>.  Detaches every instance
 * (teardown callbacks), deletes every context the filter set, waits up to
 * kmemu_flt_set_unload_wait() for outstanding references, then reports each
 * context still referenced through the leak handler and reclaims it (a later
 * use is reported as a use after free).  Nothing happens for a pointer that
 * is not a registered filter, or above PASSIVE_LEVEL (after the IRQL report).
 */
VOID FLTAPI FltUnregisterFilter(PFLT_FILTER Filter)
{
	struct flt_state *st;
	struct flt_filter *f;
	kmemu_status rc;

	if (!(st = kmemu__flt_enter("FltUnregisterFilter", (const void *)FltUnregisterFilter,
				    PASSIVE_LEVEL, NULL, &rc)))
		return;
	pthread_mutex_lock(&st->lock);
	f = kmemu__flt_lookup(st, Filter, FK_FILTER);
	if (f && f->is_unloading)
		f = NULL;  /* another thread is unloading it */
	if (f)
		f->is_unloading = 1;
	pthread_mutex_unlock(&st->lock);
	if (f)
		kmemu__flt_unregister(st, f, kmemu__flt_unload_wait_ms());
}
