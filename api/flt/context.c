/* SPDX-License-Identifier: MIT */
/*
 * context.c - FltAllocateContext, FltReferenceContext, FltReleaseContext,
 * FltSet/Get/Delete*Context, FltGetContexts, FltDeleteContext.
 *
 * Memory follows the seed (004): a variable-sized context is zeroed; a
 * fixed-size one comes from the per-size lookaside list of its registration
 * entry (one nonpaged, one paged) and is not: a context freed and allocated
 * again returns the old bytes, and a fresh block is filled with
 * KMEMU_FLT_POISON.  An invalid PoolType bypasses the lookaside list (the
 * seed's "unexpected behaviour"): a poisoned block straight from the heap.
 *
 * A freed block first waits in a quarantine (flt_impl.h) until
 * KMEMU_FLT_QUARANTINE other blocks were freed after it; only then may a
 * lookaside list or the heap hand its address out again.  Without it the
 * lookaside list (LIFO) would give the very next allocation of that size the
 * released address, put it back into the live set, and a stale pointer would
 * pass for the new owner's context.  While a block waits in the quarantine
 * or on a lookaside list its minifilter portion is made inaccessible to
 * valgrind and ASan, so a driver reading a released context is caught there
 * too; its bytes are kept, so the lookaside list still returns the previous
 * user's bytes.
 *
 * A context pointer that is not live (released for the last time, reclaimed
 * at unload, never allocated) is reported as FLTMGR_FILE_SYSTEM (0xF5)
 * p1 = 0x6E, p2 = the pointer, p3 = its header; a release that would free a
 * context still attached to an object as p1 = 0x6D.  The call then does
 * nothing.  IRQL rules: see each routine; a violation is reported as
 * IRQL_NOT_LESS_OR_EQUAL (api/flt/state.c) and the call fails with
 * STATUS_UNSUCCESSFUL or, for VOID routines, does nothing.
 */
#include <stdio.h>
#include <string.h>
#include "flt_impl.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define TRACK_NOACCESS(p, n) VALGRIND_MAKE_MEM_NOACCESS(p, n)
#define TRACK_DEFINED(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#endif
#endif
#ifndef TRACK_NOACCESS
#define TRACK_NOACCESS(p, n) ((void)(p), (void)(n))
#define TRACK_DEFINED(p, n) ((void)(p), (void)(n))
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FLT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FLT_ASAN 1
#endif
#endif
#ifdef FLT_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) (ASAN_POISON_MEMORY_REGION(p, n), TRACK_NOACCESS(p, n))
#define UNPOISON(p, n) (ASAN_UNPOISON_MEMORY_REGION(p, n), TRACK_DEFINED(p, n))
#else
#define POISON(p, n) TRACK_NOACCESS(p, n)
#define UNPOISON(p, n) TRACK_DEFINED(p, n)
#endif

/* The valid pool types (seed 004: PoolType). */
static int pool_valid(POOL_TYPE pool)
{
	return pool == NonPagedPool || pool == PagedPool || pool == NonPagedPoolNx;
}

/* ---- lists ------------------------------------------------------------------------------ */

struct flt_ctx *kmemu__flt_find(struct flt_ctx **head, const void *key)
{
	for (struct flt_ctx *c = *head; c; c = c->owner_next)
		if (c->key == key)
			return c;
	return NULL;
}

void kmemu__flt_attach(struct flt_ctx *c, struct flt_ctx **head, const void *key)
{
	c->refs++;
	c->is_linked = 1;
	c->owner = head;
	c->key = key;
	c->owner_next = *head;
	*head = c;
}

/* Take @c off its owner's list (lock held); the owner's reference is now
 * the caller's. */
static void ctx_unlink(struct flt_ctx *c)
{
	struct flt_ctx **pp = c->owner;

	while (*pp && *pp != c)
		pp = &(*pp)->owner_next;
	if (*pp)
		*pp = c->owner_next;
	c->owner = NULL;
	c->owner_next = NULL;
}

void kmemu__flt_detach_all(struct flt_ctx **head, const void *key, struct flt_ctx **chain)
{
	struct flt_ctx **pp = head;

	while (*pp) {
		struct flt_ctx *c = *pp;

		if (key && c->key != key) {
			pp = &c->owner_next;
			continue;
		}
		*pp = c->owner_next;
		c->owner = NULL;
		c->owner_next = NULL;
		c->next = *chain;
		*chain = c;
	}
}

void kmemu__flt_put_chain(struct flt_state *st, struct flt_ctx *chain)
{
	while (chain) {
		struct flt_ctx *c = chain;

		chain = c->next;
		pthread_mutex_lock(&st->lock);
		kmemu__flt_put_unlock(st, c, 0);
	}
}

struct flt_ctx *kmemu__flt_ctx_lookup(struct flt_state *st, const void *p)
{
	uintptr_t a = (uintptr_t)p;

	if (a < FLT_CTX_HDR)
		return NULL;
	return kmemu__flt_lookup(st, (const void *)(a - FLT_CTX_HDR), FK_CONTEXT);
}

void kmemu__flt_report_dead(const char *fn, const void *p)
{
	kmemu__bugcheck(fn, "a context used after its last release (or never allocated)",
			FLTMGR_FILE_SYSTEM, FLT_BC_AFTER_FREE, (uintptr_t)p,
			(uintptr_t)p - FLT_CTX_HDR, 0);
}

/* ---- freeing -------------------------------------------------------------------------------- */

/* Bytes of @c's minifilter portion the block holds (the registered size
 * for a lookaside block). */
static size_t ctx_bytes(const struct flt_ctx *c)
{
	return c->is_lookaside ? c->cls->size : c->size;
}

/* Hand @c, freed and out of the quarantine, to its lookaside list (bytes
 * kept, still poisoned); 0, or -1 when the heap must take it (lock held). */
static int ctx_to_lookaside(struct flt_state *st, struct flt_ctx *c)
{
	struct flt_class *cls = c->cls;
	int li = c->is_paged;

	if (!c->is_lookaside || cls->depth[li] >= KMEMU_FLT_LOOKASIDE_DEPTH)
		return -1;
	c->next = cls->free_list[li];
	cls->free_list[li] = c;
	cls->depth[li]++;
	st->n_lookaside++;
	return 0;
}

/*
 * quarantine_put() - append the freed block @c to the quarantine; when that
 * makes it longer than KMEMU_FLT_QUARANTINE, the oldest block leaves for its
 * lookaside list, or is returned for the caller to free on the heap.
 * Context: st->lock held; @c's portion already poisoned.
 * Return: a block to kmemu__free() after the unlock (portion unpoisoned
 * first), or NULL.
 */
static struct flt_ctx *quarantine_put(struct flt_state *st, struct flt_ctx *c)
{
	struct flt_ctx *old;

	c->next = NULL;
	if (st->quar_tail)
		st->quar_tail->next = c;
	else
		st->quar_head = c;
	st->quar_tail = c;
	st->n_quarantine++;
	st->n_quarantine_lookaside += c->is_lookaside;
	if (st->n_quarantine <= KMEMU_FLT_QUARANTINE)
		return NULL;
	old = st->quar_head;
	if (!(st->quar_head = old->next))
		st->quar_tail = NULL;
	st->n_quarantine--;
	st->n_quarantine_lookaside -= old->is_lookaside;
	return ctx_to_lookaside(st, old) ? old : NULL;
}

kmemu_status kmemu_flt_quarantine_flush(void)
{
	struct flt_ctx *heap = NULL;
	struct flt_state *st;
	kmemu_status rc;

	if (!(st = kmemu__flt_state(NULL, &rc)))
		return rc;
	pthread_mutex_lock(&st->lock);
	while (st->quar_head) {
		struct flt_ctx *c = st->quar_head;

		st->quar_head = c->next;
		if (ctx_to_lookaside(st, c)) {
			UNPOISON(FLT_CTX_USER(c), ctx_bytes(c));
			c->next = heap;
			heap = c;
		}
	}
	st->quar_tail = NULL;
	st->n_quarantine = 0;
	st->n_quarantine_lookaside = 0;
	pthread_mutex_unlock(&st->lock);
	while (heap) {
		struct flt_ctx *c = heap;

		heap = c->next;
		kmemu__free(c);
	}
	return STATUS_SUCCESS;
}

void kmemu__flt_ctx_finish(struct flt_state *st, struct flt_ctx *c)
{
	struct flt_filter *f = c->filter;
	struct flt_class *cls = c->cls;
	PFLT_CONTEXT_FREE_CALLBACK free_cb = cls->alloc_cb ? cls->free_cb : NULL;
	FLT_CONTEXT_TYPE type = c->type;
	struct flt_ctx *heap = NULL;
	size_t heap_bytes = 0;

	if (cls->cleanup)
		cls->cleanup(FLT_CTX_USER(c), type);
	pthread_mutex_lock(&st->lock);
	if (c->live_prev)
		c->live_prev->live_next = c->live_next;
	else
		f->live = c->live_next;
	if (c->live_next)
		c->live_next->live_prev = c->live_prev;
	f->n_live--;
	st->n_contexts--;
	c->is_pending = 0;
	if (!free_cb) {
		/* the bytes stay as they are (the lookaside list hands them out
		 * again); the address is not reused before KMEMU_FLT_QUARANTINE
		 * other blocks were freed */
		POISON(FLT_CTX_USER(c), ctx_bytes(c));
		if ((heap = quarantine_put(st, c)))
			heap_bytes = ctx_bytes(heap);
		c = NULL;
	}
	pthread_cond_broadcast(&st->changed);
	pthread_mutex_unlock(&st->lock);
	/* @f may be gone from here on (its unload waited for this context) */
	if (heap) {
		UNPOISON(FLT_CTX_USER(heap), heap_bytes);
		kmemu__free(heap);
	}
	if (c)
		free_cb(c, type);
}

void kmemu__flt_put_unlock(struct flt_state *st, struct flt_ctx *c, int defer)
{
	if (--c->refs > 0) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	kmemu__flt_set_del(st, c);
	if (defer && kmemu__flt_defer(st, c) == 0) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	pthread_mutex_unlock(&st->lock);
	kmemu__flt_ctx_finish(st, c);
}

void kmemu__flt_lookaside_free(struct flt_state *st, struct flt_filter *f)
{
	struct flt_ctx **pp = &st->quar_head;

	st->quar_tail = NULL;
	while (*pp) {
		struct flt_ctx *c = *pp;

		if (c->filter != f) {
			st->quar_tail = c;
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		st->n_quarantine--;
		st->n_quarantine_lookaside -= c->is_lookaside;
		UNPOISON(FLT_CTX_USER(c), ctx_bytes(c));
		kmemu__free(c);
	}
	for (int i = 0; i < FLT_N_TYPES; i++)
		for (unsigned k = 0; k < f->types[i].n_fixed; k++) {
			struct flt_class *cls = &f->types[i].fixed[k];

			for (int li = 0; li < 2; li++)
				while (cls->free_list[li]) {
					struct flt_ctx *c = cls->free_list[li];

					cls->free_list[li] = c->next;
					cls->depth[li]--;
					st->n_lookaside--;
					UNPOISON(FLT_CTX_USER(c), cls->size);
					kmemu__free(c);
				}
		}
}

/* ---- allocate, reference, release ----------------------------------------------------------- */

/* The registration entry serving @size: the callbacks, an equal fixed size,
 * the smallest NO_EXACT_SIZE_MATCH size above it, the variable entry. */
static struct flt_class *class_match(struct flt_type_reg *t, size_t size)
{
	if (t->has_callback)
		return &t->callback;
	for (unsigned k = 0; k < t->n_fixed; k++)
		if (t->fixed[k].size == size)
			return &t->fixed[k];
	for (unsigned k = 0; k < t->n_fixed; k++)
		if (t->fixed[k].is_no_exact && t->fixed[k].size >= size)
			return &t->fixed[k];
	return t->has_variable ? &t->variable : NULL;
}

/* A block for a context of @size from @cls (lock held; the callback path
 * drops it around the driver's call).  *@is_lookaside when it belongs to a
 * lookaside list.  NULL when out of memory. */
static struct flt_ctx *ctx_block(struct flt_state *st, struct flt_class *cls, size_t size,
				 POOL_TYPE pool, FLT_CONTEXT_TYPE type, int *is_lookaside)
{
	int li = pool & 1;
	struct flt_ctx *c;

	*is_lookaside = 0;
	if (cls->alloc_cb) {
		PFLT_CONTEXT_ALLOCATE_CALLBACK cb = cls->alloc_cb;

		pthread_mutex_unlock(&st->lock);
		c = cb(pool, FLT_CTX_HDR + size, type);
		pthread_mutex_lock(&st->lock);
		return c;
	}
	if (cls->size == FLT_VARIABLE_SIZED_CONTEXTS)
		return kmemu__calloc(1, FLT_CTX_HDR + size);  /* zeroed (seed 004) */
	if (!pool_valid(pool)) {
		/* the lookaside list is bypassed */
		if ((c = kmemu__malloc(FLT_CTX_HDR + size)))
			memset(FLT_CTX_USER(c), KMEMU_FLT_POISON, size);
		return c;
	}
	*is_lookaside = 1;
	if ((c = cls->free_list[li])) {
		cls->free_list[li] = c->next;
		cls->depth[li]--;
		st->n_lookaside--;
		UNPOISON(FLT_CTX_USER(c), cls->size);
		return c;
	}
	if ((c = kmemu__malloc(FLT_CTX_HDR + cls->size)))
		memset(FLT_CTX_USER(c), KMEMU_FLT_POISON, cls->size);
	return c;
}

/*
 * FltAllocateContext() - see <fltkernel.h> and seed 004.  kmemu returns, in
 * this order: STATUS_NOT_SUPPORTED (backend without KMEMU_CAP_FLT);
 * STATUS_UNSUCCESSFUL after the IRQL report (above APC_LEVEL);
 * STATUS_INVALID_PARAMETER (NULL @ReturnedContext, @Filter not a registered
 * filter); STATUS_FLT_DELETING_OBJECT (filter unloading);
 * STATUS_INVALID_PARAMETER (@ContextType not one FLT_*_CONTEXT bit,
 * @ContextSize 0, a volume context from a pool other than NonPagedPool /
 * NonPagedPoolNx); STATUS_INVALID_BUFFER_SIZE (@ContextSize > MAXUSHORT);
 * STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND (type not registered, no entry
 * fits @ContextSize); STATUS_INSUFFICIENT_RESOURCES (heap, live set, or the
 * driver's allocate callback returned NULL).  On success the context has one
 * reference.  *@ReturnedContext is NULL on every failure.
 */
NTSTATUS FLTAPI FltAllocateContext(PFLT_FILTER Filter, FLT_CONTEXT_TYPE ContextType,
				   SIZE_T ContextSize, POOL_TYPE PoolType,
				   PFLT_CONTEXT *ReturnedContext)
{
	const void *caller = __builtin_return_address(0);
	const char *file, *function;
	struct flt_state *st;
	struct flt_filter *f;
	struct flt_class *cls;
	struct flt_ctx *c;
	PFLT_CONTEXT_FREE_CALLBACK free_cb;
	kmemu_status rc;
	int ti, is_lookaside, line;

	kmemu__flt_take_site(&file, &line, &function);
	if (ReturnedContext)
		*ReturnedContext = NULL;
	if (!(st = kmemu__flt_enter("FltAllocateContext", (const void *)FltAllocateContext, APC_LEVEL,
				    NULL, &rc)))
		return rc;
	if (!ReturnedContext)
		return STATUS_INVALID_PARAMETER;
	ti = kmemu__flt_type_index(ContextType);
	pthread_mutex_lock(&st->lock);
	f = kmemu__flt_lookup(st, Filter, FK_FILTER);
	if (!f)
		rc = STATUS_INVALID_PARAMETER;
	else if (f->is_unloading)
		rc = STATUS_FLT_DELETING_OBJECT;
	else if (ti < 0 || ContextSize == 0)
		rc = STATUS_INVALID_PARAMETER;
	else if (ContextSize > FLT_MAXUSHORT)
		rc = STATUS_INVALID_BUFFER_SIZE;
	else if (ContextType == FLT_VOLUME_CONTEXT && PoolType != NonPagedPool &&
		 PoolType != NonPagedPoolNx)
		rc = STATUS_INVALID_PARAMETER;
	else if (!(cls = class_match(&f->types[ti], ContextSize)))
		rc = STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND;
	if (rc) {
		pthread_mutex_unlock(&st->lock);
		return rc;
	}
	/* @cls lives in @f, which the driver's allocate callback may unload */
	free_cb = cls->alloc_cb ? cls->free_cb : NULL;
	c = ctx_block(st, cls, ContextSize, PoolType, ContextType, &is_lookaside);
	if (!c) {
		pthread_mutex_unlock(&st->lock);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	if (free_cb && (kmemu__flt_lookup(st, f, FK_FILTER) != f || f->is_unloading)) {
		/* unloaded (or unloading) while the driver's callback ran */
		pthread_mutex_unlock(&st->lock);
		free_cb(c, ContextType);
		return STATUS_FLT_DELETING_OBJECT;
	}
	if (kmemu__flt_set_add(st, c)) {
		if (is_lookaside) {
			c->next = cls->free_list[PoolType & 1];
			cls->free_list[PoolType & 1] = c;
			cls->depth[PoolType & 1]++;
			st->n_lookaside++;
			POISON(FLT_CTX_USER(c), cls->size);
			c = NULL;
		}
		pthread_mutex_unlock(&st->lock);
		if (c && free_cb)
			free_cb(c, ContextType);
		else if (c)
			kmemu__free(c);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	*c = (struct flt_ctx){ .obj.kind = FK_CONTEXT, .type = ContextType,
			       .is_paged = (unsigned char)(PoolType & 1),
			       .is_lookaside = (unsigned char)is_lookaside, .pool = PoolType,
			       .filter = f, .cls = cls, .size = ContextSize, .refs = 1,
			       .live_next = f->live, .caller = caller, .file = file, .line = line,
			       .function = function };
	if (f->live)
		f->live->live_prev = c;
	f->live = c;
	f->n_live++;
	st->n_contexts++;
	pthread_mutex_unlock(&st->lock);
	*ReturnedContext = FLT_CTX_USER(c);
	return STATUS_SUCCESS;
}

/*
 * FltReferenceContext() - see <fltkernel.h>.  Above DISPATCH_LEVEL: the IRQL
 * report, nothing done.  A context that is not live: the 0x6E report.
 */
VOID FLTAPI FltReferenceContext(PFLT_CONTEXT Context)
{
	struct flt_state *st;
	struct flt_ctx *c;
	kmemu_status rc;

	if (!(st = kmemu__flt_enter("FltReferenceContext", (const void *)FltReferenceContext,
				    DISPATCH_LEVEL, NULL, &rc)))
		return;
	pthread_mutex_lock(&st->lock);
	if ((c = kmemu__flt_ctx_lookup(st, Context)))
		c->refs++;
	pthread_mutex_unlock(&st->lock);
	if (!c)
		kmemu__flt_report_dead("FltReferenceContext", Context);
}

/*
 * FltReleaseContext() - see <fltkernel.h>.  At the last reference the
 * cleanup callback runs and the context is freed: at once at PASSIVE or APC
 * level, by the worker thread (at PASSIVE_LEVEL) when released at
 * DISPATCH_LEVEL - kmemu_flt_drain() waits for it.  Reports (the call then
 * does nothing): above DISPATCH_LEVEL, or a paged context above APC_LEVEL
 * (IRQL_NOT_LESS_OR_EQUAL, p1 = the context, p2 = the IRQL, p3 = 0, p4 = this
 * routine); a context that is not live (0x6E); the last reference of a
 * context still attached to an object (0x6D).
 */
VOID FLTAPI FltReleaseContext(PFLT_CONTEXT Context)
{
	struct kmemu_backend *b;
	struct flt_state *st;
	struct flt_ctx *c;
	kmemu_status rc;
	uint8_t irql;

	if (!(st = kmemu__flt_enter("FltReleaseContext", (const void *)FltReleaseContext,
				    DISPATCH_LEVEL, &b, &rc)))
		return;
	irql = b->ops->irql_get(b->st);
	pthread_mutex_lock(&st->lock);
	if (!(c = kmemu__flt_ctx_lookup(st, Context))) {
		pthread_mutex_unlock(&st->lock);
		kmemu__flt_report_dead("FltReleaseContext", Context);
		return;
	}
	if (c->is_paged && irql > APC_LEVEL) {
		pthread_mutex_unlock(&st->lock);
		kmemu__bugcheck("FltReleaseContext", "a paged context released above APC_LEVEL",
				IRQL_NOT_LESS_OR_EQUAL, (uintptr_t)Context, irql, 0,
				(uintptr_t)(const void *)FltReleaseContext);
		return;
	}
	if (c->refs == 1 && c->owner) {
		pthread_mutex_unlock(&st->lock);
		kmemu__bugcheck("FltReleaseContext", "released more often than referenced: the "
				"context is still attached to an object", FLTMGR_FILE_SYSTEM,
				FLT_BC_OVER_RELEASE, (uintptr_t)Context, (uintptr_t)c, 0);
		return;
	}
	kmemu__flt_put_unlock(st, c, irql >= DISPATCH_LEVEL);
}

/* FltReleaseContexts() - see <fltkernel.h>; NULL @Contexts: nothing. */
VOID FLTAPI FltReleaseContexts(PFLT_RELATED_CONTEXTS Contexts)
{
	PFLT_CONTEXT *fields;

	if (!Contexts)
		return;
	fields = &Contexts->VolumeContext;
	for (int i = 0; i < 6; i++)
		if (fields[i])
			FltReleaseContext(fields[i]);
}

/* ---- set / get / delete ----------------------------------------------------------------------- */

/* Which object an operation names. */
struct flt_target {
	FLT_CONTEXT_TYPE type;         /* FLT_*_CONTEXT */
	const void *instance;          /* PFLT_INSTANCE (all but volume) */
	const void *filter;            /* PFLT_FILTER (volume get/delete) */
	const void *object;            /* volume, file object or transaction */
};

/*
 * target_resolve() - the owner list and key an operation names.
 * @for_set: also check the deleting rules.
 * Context: st->lock held.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (an object that is not
 * live, a file object of another volume than the instance's);
 * STATUS_FLT_DELETING_OBJECT (@for_set: the object, instance or filter is
 * being torn down); STATUS_NOT_SUPPORTED (stream and stream-handle contexts
 * on a volume without them).
 */
static kmemu_status target_resolve(struct flt_state *st, const struct flt_target *t, int for_set,
				   struct flt_filter **filter, struct flt_ctx ***head,
				   const void **key)
{
	struct flt_instance *in = NULL;
	struct flt_fobj *fo = NULL;
	int deleting = 0;

	if (t->type == FLT_VOLUME_CONTEXT) {
		struct flt_volume *v = kmemu__flt_lookup(st, t->object, FK_VOLUME);
		struct flt_filter *f = kmemu__flt_lookup(st, t->filter, FK_FILTER);

		if (!v || !f)
			return STATUS_INVALID_PARAMETER;
		*filter = f;
		*head = &v->ctxs;
		*key = f;
		return for_set && (v->is_deleting || f->is_unloading) ? STATUS_FLT_DELETING_OBJECT
								       : STATUS_SUCCESS;
	}
	if (!(in = kmemu__flt_lookup(st, t->instance, FK_INSTANCE)))
		return STATUS_INVALID_PARAMETER;
	*filter = in->filter;
	*key = in;
	deleting = in->is_deleting || in->filter->is_unloading;
	switch (t->type) {
	case FLT_INSTANCE_CONTEXT:
		*head = &in->ctxs;
		break;
	case FLT_TRANSACTION_CONTEXT: {
		struct flt_transaction *tr = kmemu__flt_lookup(st, t->object, FK_TRANSACTION);

		if (!tr)
			return STATUS_INVALID_PARAMETER;
		*head = &tr->ctxs;
		deleting |= tr->is_deleting;
		break;
	}
	default:  /* file, stream, stream handle */
		fo = kmemu__flt_lookup(st, t->object, FK_FILE_OBJECT);
		if (!fo || fo->stream->fcb->volume != in->volume)
			return STATUS_INVALID_PARAMETER;
		deleting |= fo->is_deleting;
		if (t->type == FLT_FILE_CONTEXT) {
			*head = &fo->stream->fcb->ctxs;
			break;
		}
		if (in->volume->has_no_stream_ctx)
			return STATUS_NOT_SUPPORTED;
		*head = t->type == FLT_STREAM_CONTEXT ? &fo->stream->ctxs : &fo->ctxs;
		break;
	}
	return for_set && deleting ? STATUS_FLT_DELETING_OBJECT : STATUS_SUCCESS;
}

/* Common state lookup and IRQL rule (<= APC_LEVEL) of set/get/delete. */
static struct flt_state *ctx_enter(const char *fn, const void *routine, kmemu_status *rc)
{
	return kmemu__flt_enter(fn, routine, APC_LEVEL, NULL, rc);
}

/* FltSet*Context(): the common body (see <fltkernel.h> and spec §8.5). */
static NTSTATUS ctx_set(const char *fn, const void *routine, struct flt_target t,
			FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT new_ctx, PFLT_CONTEXT *old_ctx)
{
	struct flt_state *st;
	struct flt_filter *f;
	struct flt_ctx *c, *cur, **head;
	const void *key;
	kmemu_status rc;

	if (old_ctx)
		*old_ctx = NULL;
	if (!(st = ctx_enter(fn, routine, &rc)))
		return rc;
	if (!new_ctx)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&st->lock);
	if (!(c = kmemu__flt_ctx_lookup(st, new_ctx))) {
		pthread_mutex_unlock(&st->lock);
		kmemu__flt_report_dead(fn, new_ctx);
		return STATUS_INVALID_PARAMETER;
	}
	if (t.type == FLT_VOLUME_CONTEXT)
		t.filter = c->filter;
	if ((op != FLT_SET_CONTEXT_REPLACE_IF_EXISTS && op != FLT_SET_CONTEXT_KEEP_IF_EXISTS) ||
	    c->type != t.type)
		rc = STATUS_INVALID_PARAMETER;
	else if (!(rc = target_resolve(st, &t, 1, &f, &head, &key)) && f != c->filter)
		rc = STATUS_INVALID_PARAMETER;  /* another filter's context */
	else if (!rc && c->is_linked)
		rc = STATUS_FLT_CONTEXT_ALREADY_LINKED;
	if (rc) {
		pthread_mutex_unlock(&st->lock);
		return rc;
	}
	if ((cur = kmemu__flt_find(head, key))) {
		if (op == FLT_SET_CONTEXT_KEEP_IF_EXISTS) {
			if (old_ctx) {
				cur->refs++;
				*old_ctx = FLT_CTX_USER(cur);
			}
			pthread_mutex_unlock(&st->lock);
			return STATUS_FLT_CONTEXT_ALREADY_DEFINED;
		}
		ctx_unlink(cur);
	}
	kmemu__flt_attach(c, head, key);
	if (cur && old_ctx) {
		*old_ctx = FLT_CTX_USER(cur);  /* the object's reference is the caller's */
		cur = NULL;
	}
	if (cur)
		kmemu__flt_put_unlock(st, cur, 0);
	else
		pthread_mutex_unlock(&st->lock);
	return STATUS_SUCCESS;
}

/* FltGet*Context(): the common body.  STATUS_INVALID_PARAMETER also for a
 * NULL @out. */
static NTSTATUS ctx_get(const char *fn, const void *routine, struct flt_target t,
			PFLT_CONTEXT *out)
{
	struct flt_state *st;
	struct flt_filter *f;
	struct flt_ctx *c, **head;
	const void *key;
	kmemu_status rc;

	if (out)
		*out = NULL;
	if (!(st = ctx_enter(fn, routine, &rc)))
		return rc;
	if (!out)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&st->lock);
	rc = target_resolve(st, &t, 0, &f, &head, &key);
	if (!rc && !(c = kmemu__flt_find(head, key)))
		rc = STATUS_NOT_FOUND;
	if (!rc) {
		c->refs++;
		*out = FLT_CTX_USER(c);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* FltDelete*Context(): the common body. */
static NTSTATUS ctx_delete(const char *fn, const void *routine, struct flt_target t,
			   PFLT_CONTEXT *old_ctx)
{
	struct flt_state *st;
	struct flt_filter *f;
	struct flt_ctx *c, **head;
	const void *key;
	kmemu_status rc;

	if (old_ctx)
		*old_ctx = NULL;
	if (!(st = ctx_enter(fn, routine, &rc)))
		return rc;
	pthread_mutex_lock(&st->lock);
	rc = target_resolve(st, &t, 0, &f, &head, &key);
	if (!rc && !(c = kmemu__flt_find(head, key)))
		rc = STATUS_NOT_FOUND;
	if (rc) {
		pthread_mutex_unlock(&st->lock);
		return rc;
	}
	ctx_unlink(c);
	if (old_ctx) {
		*old_ctx = FLT_CTX_USER(c);
		pthread_mutex_unlock(&st->lock);
	} else {
		kmemu__flt_put_unlock(st, c, 0);
	}
	return STATUS_SUCCESS;
}

#define T(type, inst, filt, obj) ((struct flt_target){ type, inst, filt, obj })
#define FN(f) #f, (const void *)f

/*
 * The FltSet*Context() routines - see <fltkernel.h>.  kmemu returns
 * STATUS_SUCCESS; STATUS_FLT_CONTEXT_ALREADY_DEFINED (KEEP_IF_EXISTS, one
 * set: *OldContext gets it with a reference); STATUS_FLT_CONTEXT_ALREADY_LINKED
 * (@NewContext is or was attached to an object: a context is attached once);
 * STATUS_FLT_DELETING_OBJECT (object, instance or filter being torn down);
 * STATUS_INVALID_PARAMETER (NULL or not-live @NewContext - the latter also
 * reported as 0x6E -, bad @Operation, a context of another type or filter,
 * an object that is not live); STATUS_NOT_SUPPORTED (stream and stream-handle
 * contexts on a volume without them, or a backend without KMEMU_CAP_FLT);
 * STATUS_UNSUCCESSFUL after the IRQL report (above APC_LEVEL).
 * Failures leave every reference count unchanged.
 */
NTSTATUS FLTAPI FltSetVolumeContext(PFLT_VOLUME Volume, FLT_SET_CONTEXT_OPERATION Operation,
				    PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
	return ctx_set(FN(FltSetVolumeContext), T(FLT_VOLUME_CONTEXT, NULL, NULL, Volume),
		       Operation, NewContext, OldContext);
}

NTSTATUS FLTAPI FltSetInstanceContext(PFLT_INSTANCE Instance, FLT_SET_CONTEXT_OPERATION Operation,
				      PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
	return ctx_set(FN(FltSetInstanceContext), T(FLT_INSTANCE_CONTEXT, Instance, NULL, NULL),
		       Operation, NewContext, OldContext);
}

NTSTATUS FLTAPI FltSetFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				  FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext,
				  PFLT_CONTEXT *OldContext)
{
	return ctx_set(FN(FltSetFileContext), T(FLT_FILE_CONTEXT, Instance, NULL, FileObject),
		       Operation, NewContext, OldContext);
}

NTSTATUS FLTAPI FltSetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				    FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext,
				    PFLT_CONTEXT *OldContext)
{
	return ctx_set(FN(FltSetStreamContext), T(FLT_STREAM_CONTEXT, Instance, NULL, FileObject),
		       Operation, NewContext, OldContext);
}

NTSTATUS FLTAPI FltSetStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					  FLT_SET_CONTEXT_OPERATION Operation,
					  PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
	return ctx_set(FN(FltSetStreamHandleContext),
		       T(FLT_STREAMHANDLE_CONTEXT, Instance, NULL, FileObject), Operation,
		       NewContext, OldContext);
}

NTSTATUS FLTAPI FltSetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					 FLT_SET_CONTEXT_OPERATION Operation,
					 PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
	return ctx_set(FN(FltSetTransactionContext),
		       T(FLT_TRANSACTION_CONTEXT, Instance, NULL, Transaction), Operation,
		       NewContext, OldContext);
}

/*
 * The FltGet*Context() routines - see <fltkernel.h>.  kmemu returns
 * STATUS_SUCCESS (a reference added); STATUS_NOT_FOUND; STATUS_INVALID_PARAMETER
 * (NULL @Context, an object that is not live); STATUS_NOT_SUPPORTED (stream
 * and stream-handle contexts on a volume without them; no KMEMU_CAP_FLT);
 * STATUS_UNSUCCESSFUL after the IRQL report (above APC_LEVEL).
 */
NTSTATUS FLTAPI FltGetVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume, PFLT_CONTEXT *Context)
{
	return ctx_get(FN(FltGetVolumeContext), T(FLT_VOLUME_CONTEXT, NULL, Filter, Volume),
		       Context);
}

NTSTATUS FLTAPI FltGetInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *Context)
{
	return ctx_get(FN(FltGetInstanceContext), T(FLT_INSTANCE_CONTEXT, Instance, NULL, NULL),
		       Context);
}

NTSTATUS FLTAPI FltGetFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				  PFLT_CONTEXT *Context)
{
	return ctx_get(FN(FltGetFileContext), T(FLT_FILE_CONTEXT, Instance, NULL, FileObject),
		       Context);
}

NTSTATUS FLTAPI FltGetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				    PFLT_CONTEXT *Context)
{
	return ctx_get(FN(FltGetStreamContext), T(FLT_STREAM_CONTEXT, Instance, NULL, FileObject),
		       Context);
}

NTSTATUS FLTAPI FltGetStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					  PFLT_CONTEXT *Context)
{
	return ctx_get(FN(FltGetStreamHandleContext),
		       T(FLT_STREAMHANDLE_CONTEXT, Instance, NULL, FileObject), Context);
}

NTSTATUS FLTAPI FltGetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					 PFLT_CONTEXT *Context)
{
	return ctx_get(FN(FltGetTransactionContext),
		       T(FLT_TRANSACTION_CONTEXT, Instance, NULL, Transaction), Context);
}

/*
 * FltGetSectionContext() - see <fltkernel.h>: the section context @Instance
 * attached with kmemu_flt_section_create() on @FileObject's stream.  Same
 * statuses as the other get routines.
 */
NTSTATUS FLTAPI FltGetSectionContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				     PFLT_CONTEXT *Context)
{
	struct flt_state *st;
	struct flt_instance *in;
	struct flt_fobj *fo;
	struct flt_ctx *c = NULL;
	kmemu_status rc;

	if (Context)
		*Context = NULL;
	if (!(st = ctx_enter(FN(FltGetSectionContext), &rc)))
		return rc;
	if (!Context)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&st->lock);
	in = kmemu__flt_lookup(st, Instance, FK_INSTANCE);
	fo = kmemu__flt_lookup(st, FileObject, FK_FILE_OBJECT);
	if (!in || !fo) {
		rc = STATUS_INVALID_PARAMETER;
	} else {
		for (struct flt_section *s = fo->stream->sections; s && !c; s = s->next)
			if (s->instance == in)
				c = s->ctxs;
		rc = c ? STATUS_SUCCESS : STATUS_NOT_FOUND;
	}
	if (c) {
		c->refs++;
		*Context = FLT_CTX_USER(c);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/*
 * The FltDelete*Context() routines - see <fltkernel.h>.  kmemu returns
 * STATUS_SUCCESS; STATUS_NOT_FOUND (none set); STATUS_INVALID_PARAMETER (an
 * object that is not live); STATUS_NOT_SUPPORTED; STATUS_UNSUCCESSFUL after
 * the IRQL report.  They work while the object is being torn down (the
 * context is still there until the teardown deletes it).
 */
NTSTATUS FLTAPI FltDeleteVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume,
				       PFLT_CONTEXT *OldContext)
{
	return ctx_delete(FN(FltDeleteVolumeContext), T(FLT_VOLUME_CONTEXT, NULL, Filter, Volume),
			  OldContext);
}

NTSTATUS FLTAPI FltDeleteInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *OldContext)
{
	return ctx_delete(FN(FltDeleteInstanceContext),
			  T(FLT_INSTANCE_CONTEXT, Instance, NULL, NULL), OldContext);
}

NTSTATUS FLTAPI FltDeleteFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				     PFLT_CONTEXT *OldContext)
{
	return ctx_delete(FN(FltDeleteFileContext), T(FLT_FILE_CONTEXT, Instance, NULL, FileObject),
			  OldContext);
}

NTSTATUS FLTAPI FltDeleteStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				       PFLT_CONTEXT *OldContext)
{
	return ctx_delete(FN(FltDeleteStreamContext),
			  T(FLT_STREAM_CONTEXT, Instance, NULL, FileObject), OldContext);
}

NTSTATUS FLTAPI FltDeleteStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					     PFLT_CONTEXT *OldContext)
{
	return ctx_delete(FN(FltDeleteStreamHandleContext),
			  T(FLT_STREAMHANDLE_CONTEXT, Instance, NULL, FileObject), OldContext);
}

NTSTATUS FLTAPI FltDeleteTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					    PFLT_CONTEXT *OldContext)
{
	return ctx_delete(FN(FltDeleteTransactionContext),
			  T(FLT_TRANSACTION_CONTEXT, Instance, NULL, Transaction), OldContext);
}

/*
 * FltDeleteContext() - see <fltkernel.h>.  A context not attached (never
 * set, already deleted or replaced) and section contexts (closed with the
 * section) are left alone; the latter, which spec §8.6 forbids, is also
 * noted (one line on stderr, kmemu_flt_stats.section_deletes), as a verifier
 * would, without a bug check.  Reports: not live (0x6E); above APC_LEVEL.
 */
VOID FLTAPI FltDeleteContext(PFLT_CONTEXT Context)
{
	struct flt_state *st;
	struct flt_ctx *c;
	kmemu_status rc;

	if (!(st = ctx_enter(FN(FltDeleteContext), &rc)))
		return;
	pthread_mutex_lock(&st->lock);
	if (!(c = kmemu__flt_ctx_lookup(st, Context))) {
		pthread_mutex_unlock(&st->lock);
		kmemu__flt_report_dead("FltDeleteContext", Context);
		return;
	}
	if (c->type == FLT_SECTION_CONTEXT) {
		st->n_section_deletes++;
		pthread_mutex_unlock(&st->lock);
		fprintf(stderr, "kmemu: FltDeleteContext: %p is a section context; it is deleted by "
			"closing its section (FltCloseSectionForDataScan) - ignored\n", Context);
		return;
	}
	if (!c->owner) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	ctx_unlink(c);
	kmemu__flt_put_unlock(st, c, 0);
}

/*
 * FltGetContexts() - see <fltkernel.h>.  Every field of *@Contexts is set:
 * the context of each type in @DesiredContexts found for @FltObjects (its
 * Instance; Volume with Filter; FileObject; Transaction),
 * with a reference, else NULL.  NULL @Contexts: nothing; NULL @FltObjects:
 * every field NULL.  Above APC_LEVEL: the IRQL report, every field NULL.
 */
VOID FLTAPI FltGetContexts(PCFLT_RELATED_OBJECTS FltObjects, FLT_CONTEXT_TYPE DesiredContexts,
			   PFLT_RELATED_CONTEXTS Contexts)
{
	static const FLT_CONTEXT_TYPE order[6] = {
		FLT_VOLUME_CONTEXT, FLT_INSTANCE_CONTEXT, FLT_FILE_CONTEXT,
		FLT_STREAM_CONTEXT, FLT_STREAMHANDLE_CONTEXT, FLT_TRANSACTION_CONTEXT
	};
	PFLT_CONTEXT *fields;
	struct flt_state *st;
	kmemu_status rc;

	if (!Contexts)
		return;
	memset(Contexts, 0, sizeof(*Contexts));
	if (!FltObjects || !(st = ctx_enter(FN(FltGetContexts), &rc)))
		return;
	fields = &Contexts->VolumeContext;
	for (int i = 0; i < 6; i++) {
		struct flt_target t = { order[i], FltObjects->Instance, NULL, NULL };
		struct flt_filter *f;
		struct flt_ctx *c, **head;
		const void *key;

		if (!(DesiredContexts & order[i]))
			continue;
		if (order[i] == FLT_VOLUME_CONTEXT) {
			t.object = FltObjects->Volume;
			t.filter = FltObjects->Filter;
		} else if (order[i] == FLT_TRANSACTION_CONTEXT) {
			t.object = FltObjects->Transaction;
		} else {
			t.object = FltObjects->FileObject;
		}
		pthread_mutex_lock(&st->lock);
		if (!target_resolve(st, &t, 0, &f, &head, &key) && (c = kmemu__flt_find(head, key))) {
			c->refs++;
			fields[i] = FLT_CTX_USER(c);
		}
		pthread_mutex_unlock(&st->lock);
	}
}
