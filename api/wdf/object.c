/* SPDX-License-Identifier: MIT */
/*
 * object.c - the KMDF object model: the per-instance framework state, the
 * drivers' globals, handles and their registry, the verifier helpers, object
 * creation, parenting, deletion, references and contexts, and the WDFOBJECT
 * DDIs (WdfObjectDelete, WdfObjectReference/Dereference, contexts).
 *
 * Divisions: instance and globals; verifier helpers; handles; attributes;
 * object lifetime (new, commit, delete, dispose, destroy, references,
 * deferred disposal); contexts; WDFOBJECT DDIs.
 *
 * The delete path is spec/kmdf.md §5: a delete unlinks the object from its
 * parent, disposes its subtree depth first (every child's cleanup callbacks
 * before its parent's, each callback at most once), then releases each
 * child's creation reference (held by the parent) and the object's own.  At
 * refcount 0 the cleanup callbacks run if they have not, then the destroy
 * callbacks, then the type's destroy, then the memory goes.  The instance
 * lock is held only around bookkeeping, never across a driver callback or a
 * bug-check report (a handler may unwind).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wdf_int.h"

#define KMEMU_WDF_CONTEXT_MAGIC 0x6B6D656D75637478ull  /* "kmemuctx" */
#define STATUS_BREAKPOINT_CODE 0x80000003u             /* STATUS_BREAKPOINT */

extern const struct kmemu_wdf_object_ops kmemu__wdf_memory_ops;

/* ==== instance and globals ================================================== */

static pthread_mutex_t instance_create_lock = PTHREAD_MUTEX_INITIALIZER;
/* The instance being closed on this thread (its backend is no longer current). */
static _Thread_local struct kmemu_wdf_instance *closing_instance;
/* The driver whose callback runs on this thread (or set by kmemu_wdf_driver_enter). */
static _Thread_local struct kmemu_wdf_globals *thread_globals;

/* wdf_close hook: unload every driver (EvtDriverUnload included), then free. */
static void instance_close(struct kmemu_backend *b)
{
	struct kmemu_wdf_instance *inst = b->wdf;
	struct kmemu_wdf_instance *saved = closing_instance;

	if (!inst)
		return;
	closing_instance = inst;
	for (;;) {
		struct kmemu_wdf_globals *g;

		pthread_mutex_lock(&inst->lock);
		g = inst->drivers;
		pthread_mutex_unlock(&inst->lock);
		if (!g)
			break;
		kmemu__wdf_driver_unload(g, 1);
	}
	closing_instance = saved;
	kmemu__ptrset_fini(&inst->registry);
	pthread_mutex_destroy(&inst->lock);
	b->wdf = NULL;
	b->wdf_close = NULL;
	kmemu__free(inst);
}

struct kmemu_wdf_instance *kmemu__wdf_instance(void)
{
	struct kmemu_backend *b;
	struct kmemu_wdf_instance *inst;

	if (closing_instance)
		return closing_instance;
	b = kmemu__current();
	if (!b)
		return NULL;
	pthread_mutex_lock(&instance_create_lock);
	inst = b->wdf;
	if (!inst) {
		inst = kmemu__calloc(1, sizeof(*inst));
		if (inst) {
			struct kmemu_stats ks;

			pthread_mutex_init(&inst->lock, NULL);
			inst->backend = b;
			inst->pool_limit = b->ops->stats_get(b->st, &ks) == STATUS_SUCCESS &&
							   ks.frames_total
						   ? ks.frames_total * KMEMU_PAGE_SIZE
						   : 1ull << 30;
			b->wdf = inst;
			b->wdf_close = instance_close;
		}
	}
	pthread_mutex_unlock(&instance_create_lock);
	return inst;
}

/* The IRQL of the calling thread on @inst's machine. */
static uint8_t instance_irql(const struct kmemu_wdf_instance *inst)
{
	struct kmemu_backend *b = inst ? inst->backend : NULL;

	return b ? b->ops->irql_get(b->st) : PASSIVE_LEVEL;
}

uint8_t kmemu__wdf_irql(void)
{
	return instance_irql(kmemu__wdf_instance());
}

/* 1 when @g is a loaded driver of @inst.  Caller holds inst->lock. */
static int globals_loaded(struct kmemu_wdf_instance *inst, struct kmemu_wdf_globals *g)
{
	for (struct kmemu_wdf_globals *d = inst->drivers; d; d = d->next)
		if (d == g)
			return 1;
	return 0;
}

/* The driver of this thread without any report: NULL when none is loaded.
 * *@deferred: 1 when disposals wait for PASSIVE_LEVEL. */
static struct kmemu_wdf_globals *globals_peek(struct kmemu_wdf_instance *inst, int *deferred)
{
	struct kmemu_wdf_globals *g = NULL;

	*deferred = 0;
	if (!inst)
		return NULL;
	pthread_mutex_lock(&inst->lock);
	if (thread_globals && globals_loaded(inst, thread_globals))
		g = thread_globals;
	else
		g = inst->drivers;
	*deferred = inst->deferred != NULL;
	pthread_mutex_unlock(&inst->lock);
	return g;
}

struct kmemu_wdf_globals *kmemu__wdf_globals(const char *function)
{
	struct kmemu_wdf_instance *inst = kmemu__wdf_instance();
	int deferred;
	struct kmemu_wdf_globals *g = globals_peek(inst, &deferred);

	if (deferred)
		kmemu__wdf_run_deferred(inst);
	if ((!g || !g->driver) && function) {
		kmemu__bugcheck(function,
				"a KMDF DDI was called with no framework driver: DriverEntry must "
				"call WdfDriverCreate first (DriverCreate rule)",
				WDF_VIOLATION, WDF_VERIFIER_FATAL_ERROR, 0, 0, (uintptr_t)g);
		return NULL;
	}
	return g;
}

struct kmemu_wdf_globals *kmemu__wdf_enter(struct kmemu_wdf_globals *g)
{
	struct kmemu_wdf_globals *prev = thread_globals;

	thread_globals = g;
	return prev;
}

void kmemu__wdf_leave(struct kmemu_wdf_globals *prev)
{
	thread_globals = prev;
}

/* ==== verifier helpers ====================================================== */

/* One "WDF detected potentially invalid operation" line on stderr. */
static void wdf_vprint(struct kmemu_wdf_globals *g, const char *function, const char *kind,
		       const char *fmt, va_list ap)
{
	char msg[256];

	if (g)
		g->n_messages++;
	if (g && g->quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "kmemu: WDF %s by %s.sys in %s: %s\n", kind, g ? g->name : "?",
		function ? function : "?", msg);
}

void kmemu__wdf_trace(struct kmemu_wdf_globals *g, const char *function, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wdf_vprint(g, function, "trace", fmt, ap);
	va_end(ap);
}

void kmemu__wdf_dbg_break(struct kmemu_wdf_globals *g, const char *function, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wdf_vprint(g, function, "detected potentially invalid operation", fmt, ap);
	va_end(ap);
	if (!g || !g->verifier || !g->dbg_break_on_error) {
		if (g && !g->quiet)
			fprintf(stderr, "kmemu: turn on the WDF verifier to break here\n");
		return;
	}
	g->n_breaks++;
	if (g->break_policy == KMEMU_WDF_BREAK_FATAL)
		kmemu__bugcheck(function,
				"WDF verifier breakpoint with no kernel debugger attached "
				"(break policy: fatal)",
				KMODE_EXCEPTION_NOT_HANDLED, STATUS_BREAKPOINT_CODE, 0, 0, 0);
}

/**
 * kmemu_wdf_verify_on() - the WDF verifier of the driver this thread acts
 * for (<wdfassert.h>: WDFVERIFY's DriverFlags & WdfVerifyOn).
 * Context: any IRQL.
 * Return: TRUE with the verifier on; FALSE off, or with no KMDF driver.
 */
BOOLEAN NTAPI kmemu_wdf_verify_on(VOID)
{
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(NULL);

	return g && g->driver && g->verifier ? TRUE : FALSE;
}

/**
 * RtlAssert() - a failed assertion (<wdfassert.h>): the report on stderr,
 * then, for a KMDF driver with the verifier on, a framework debug break
 * (kmemu__wdf_dbg_break: the break policy decides).
 * Context: any IRQL.
 */
VOID NTAPI RtlAssert(PVOID FailedAssertion, PVOID FileName, ULONG LineNumber, PSTR Message)
{
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(NULL);
	const char *exp = FailedAssertion ? (const char *)FailedAssertion : "?";
	const char *file = FileName ? (const char *)FileName : "?";

	if (g && g->driver)
		kmemu__wdf_dbg_break(g, "RtlAssert", "*** Assertion failed: %s%s%s, file %s, line %lu",
				     Message ? Message : "", Message ? " " : "", exp, file,
				     (unsigned long)LineNumber);
	else
		fprintf(stderr, "*** Assertion failed: %s%s%s\n***   Source File: %s, line %lu\n",
			Message ? Message : "", Message ? " " : "", exp, file, (unsigned long)LineNumber);
}

uint8_t kmemu__wdf_callback_begin(struct kmemu_wdf_globals *g)
{
	return g ? instance_irql(g->inst) : PASSIVE_LEVEL;
}

void kmemu__wdf_callback_end(struct kmemu_wdf_globals *g, uint8_t entry, const char *callback)
{
	uint8_t now;

	if (!g || !g->enhanced_verifier)
		return;
	now = instance_irql(g->inst);
	if (now != entry)
		kmemu__bugcheck(callback, "a driver callback returned at another IRQL than it was "
				"called at (enhanced verifier)",
				WDF_VIOLATION, WDF_VERIFIER_IRQL_MISMATCH, entry, now, (uintptr_t)g);
}

int kmemu__wdf_pointer_null(struct kmemu_wdf_globals *g, const void *p, const char *function,
			    uintptr_t caller)
{
	if (p)
		return 0;
	kmemu__bugcheck(function, "a required parameter is NULL", WDF_VIOLATION,
			WDF_REQUIRED_PARAMETER_IS_NULL, 0, caller, (uintptr_t)g);
	return 1;
}

NTSTATUS kmemu__wdf_check_irql(struct kmemu_wdf_globals *g, uint8_t max, const char *function)
{
	uint8_t irql;

	if (!g || !g->verifier)
		return STATUS_SUCCESS;
	irql = instance_irql(g->inst);
	if (irql <= max)
		return STATUS_SUCCESS;
	kmemu__wdf_dbg_break(g, function, "called at IRQL %u, above the maximum %u", irql, max);
	return STATUS_INVALID_DEVICE_REQUEST;
}

/* ==== handles =============================================================== */

/* The registry is the instance's set of live, committed objects
 * (api/ptrset.c); every access holds inst->lock. */
struct kmemu_wdf_object *kmemu__wdf_ddi_object(WDFOBJECT h, uint16_t type, const char *function)
{
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(function);

	return g ? kmemu__wdf_object_get(g, h, type, function) : NULL;
}

int kmemu__wdf_object_is(struct kmemu_wdf_object *o, uint16_t type)
{
	if (o->type == type || type == KMEMU_FX_TYPE_OBJECT)
		return 1;
	return o->ops->query_interface ? o->ops->query_interface(o, type) : 0;
}

struct kmemu_wdf_object *kmemu__wdf_object_get(struct kmemu_wdf_globals *g, WDFOBJECT h,
					       uint16_t type, const char *function)
{
	static _Thread_local char detail[160];
	struct kmemu_wdf_instance *inst;
	struct kmemu_wdf_object *o;
	int live = 0;

	if (!h) {
		kmemu__bugcheck(function, "NULL handle", WDF_VIOLATION, WDF_INVALID_HANDLE, 0, type,
				(uintptr_t)g);
		return NULL;
	}
	o = kmemu__wdf_decode(h);
	inst = g ? g->inst : kmemu__wdf_instance();
	if (inst) {
		pthread_mutex_lock(&inst->lock);
		/* refcount 0: its destroy is queued to PASSIVE_LEVEL, it is gone */
		live = kmemu__ptrset_has(&inst->registry, o) && o->refcount > 0;
		pthread_mutex_unlock(&inst->lock);
	}
	if (!live) {
		if (g && g->verifier) {
			snprintf(detail, sizeof(detail),
				 "WDF verifier (handle tracking): handle %p names no live object "
				 "(freed or never created)", (void *)h);
			kmemu__bugcheck(function, detail, WDF_VIOLATION, WDF_INVALID_HANDLE,
					(uintptr_t)h, type, (uintptr_t)g);
		} else {
			snprintf(detail, sizeof(detail),
				 "handle %p names no live object: the framework read freed memory "
				 "at %p (use after free; the WDF verifier reports it as 0x10D/5)",
				 (void *)h, (void *)o);
			kmemu__bugcheck(function, detail, PAGE_FAULT_IN_NONPAGED_AREA,
					(uintptr_t)o, 0, 0, 2);
		}
		return NULL;
	}
	if (!kmemu__wdf_object_is(o, type)) {
		snprintf(detail, sizeof(detail), "handle %p is a %s (type 0x%X), not of type 0x%X",
			 (void *)h, o->ops->name, o->type, type);
		kmemu__bugcheck(function, detail, WDF_VIOLATION, WDF_INVALID_HANDLE, (uintptr_t)h,
				type, (uintptr_t)o->globals);
		return NULL;
	}
	return o;
}

/* ==== attributes ============================================================ */

NTSTATUS kmemu__wdf_validate_attributes(const WDF_OBJECT_ATTRIBUTES *a, unsigned options)
{
	const WDF_OBJECT_CONTEXT_TYPE_INFO *ti;

	if (!a)
		return (options & KMEMU_WDF_ATTR_PARENT_REQUIRED) ? STATUS_WDF_PARENT_NOT_SPECIFIED
								  : STATUS_SUCCESS;
	if (a->Size != sizeof(WDF_OBJECT_ATTRIBUTES))
		return STATUS_INFO_LENGTH_MISMATCH;
	ti = a->ContextTypeInfo;
	if (ti) {
		if (ti->Size != sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO))
			return STATUS_INFO_LENGTH_MISMATCH;
		if (ti->ContextSize > 0 && !ti->ContextName)
			return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
	}
	if (a->ContextSizeOverride > 0 && (!ti || a->ContextSizeOverride < ti->ContextSize))
		return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
	if (a->ExecutionLevel == WdfExecutionLevelInvalid ||
	    a->ExecutionLevel > WdfExecutionLevelDispatch ||
	    a->SynchronizationScope == WdfSynchronizationScopeInvalid ||
	    a->SynchronizationScope > WdfSynchronizationScopeNone)
		return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
	if (!(options & KMEMU_WDF_ATTR_SYNC_SCOPE_ALLOWED) &&
	    a->SynchronizationScope != WdfSynchronizationScopeInheritFromParent &&
	    a->SynchronizationScope != WdfSynchronizationScopeNone)
		return STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID;
	if (!(options & KMEMU_WDF_ATTR_EXEC_LEVEL_ALLOWED) &&
	    a->ExecutionLevel != WdfExecutionLevelInheritFromParent)
		return STATUS_WDF_EXECUTION_LEVEL_INVALID;
	if ((options & KMEMU_WDF_ATTR_PARENT_NOT_ALLOWED) && a->ParentObject)
		return STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED;
	if ((options & KMEMU_WDF_ATTR_PARENT_REQUIRED) && !a->ParentObject)
		return STATUS_WDF_PARENT_NOT_SPECIFIED;
	return STATUS_SUCCESS;
}

struct kmemu_wdf_globals *kmemu__wdf_parent_globals(struct kmemu_wdf_globals *g,
						    const WDF_OBJECT_ATTRIBUTES *a,
						    const char *function, int *failed)
{
	struct kmemu_wdf_object *p;

	*failed = 0;
	if (!a || a->Size != sizeof(WDF_OBJECT_ATTRIBUTES) || !a->ParentObject)
		return g;
	p = kmemu__wdf_object_get(g, a->ParentObject, KMEMU_FX_TYPE_OBJECT, function);
	if (!p) {
		*failed = 1;
		return g;
	}
	return p->globals;
}

/* ==== contexts ================================================================ */

/* The type an attribute's ContextTypeInfo stands for (shared types resolved). */
static PCWDF_OBJECT_CONTEXT_TYPE_INFO context_type_resolve(PCWDF_OBJECT_CONTEXT_TYPE_INFO ti)
{
	if (ti && ti->EvtDriverGetUniqueContextType) {
		PCWDF_OBJECT_CONTEXT_TYPE_INFO u = ti->EvtDriverGetUniqueContextType();

		if (u)
			return u;
	}
	return ti;
}

/* 1 when a context of stored type @have is one of wanted type @want: the same
 * UniqueType, or (another translation unit's copy) the same name and size. */
static int context_type_eq(PCWDF_OBJECT_CONTEXT_TYPE_INFO have, PCWDF_OBJECT_CONTEXT_TYPE_INFO want)
{
	PCWDF_OBJECT_CONTEXT_TYPE_INFO hu, wu;

	if (!have || !want)
		return 0;
	hu = have->UniqueType ? have->UniqueType : have;
	wu = want->UniqueType ? want->UniqueType : want;
	if (have == want || hu == wu)
		return 1;
	return hu->ContextName && wu->ContextName && hu->ContextSize == wu->ContextSize &&
	       !strcmp(hu->ContextName, wu->ContextName);
}

/* A zeroed context for validated attributes @a, or NULL when memory runs
 * out (no context is larger than the machine's RAM). */
static struct kmemu_wdf_context *context_new(const struct kmemu_wdf_globals *g,
					     const WDF_OBJECT_ATTRIBUTES *a)
{
	PCWDF_OBJECT_CONTEXT_TYPE_INFO ti = context_type_resolve(a->ContextTypeInfo);
	size_t size = ti->ContextSize;
	struct kmemu_wdf_context *c;

	if (a->ContextSizeOverride > size)
		size = a->ContextSizeOverride;
	if (size > g->inst->pool_limit)
		return NULL;
	c = kmemu__calloc(1, sizeof(*c) + size);
	if (!c)
		return NULL;
	c->type = ti;
	c->cleanup = a->EvtCleanupCallback;
	c->destroy = a->EvtDestroyCallback;
	c->size = size;
	c->magic = KMEMU_WDF_CONTEXT_MAGIC;
	return c;
}

/* ==== object lifetime ========================================================== */

struct kmemu_wdf_object *kmemu__wdf_object_new(struct kmemu_wdf_globals *g, size_t size,
					       uint16_t type,
					       const struct kmemu_wdf_object_ops *ops,
					       const WDF_OBJECT_ATTRIBUTES *a, uintptr_t created_by)
{
	struct kmemu_wdf_object *o = kmemu__calloc(1, size);

	if (!o)
		return NULL;
	o->type = type;
	o->ops = ops;
	o->globals = g;
	o->refcount = 1;
	o->state = KMEMU_WDF_INIT;
	o->created_by = created_by;
	if (a && a->ContextTypeInfo) {
		o->contexts = context_new(g, a);
		if (!o->contexts) {
			kmemu__free(o);
			return NULL;
		}
		o->contexts->object = o;
	} else if (a) {
		o->cleanup = a->EvtCleanupCallback;
		o->destroy = a->EvtDestroyCallback;
	}
	return o;
}

/* Free @o and what hangs off it (contexts, tags).  No callbacks. */
static void object_free(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_context *c = o->contexts;
	struct kmemu_wdf_tag *t = o->tags;

	while (c) {
		struct kmemu_wdf_context *n = c->next;

		c->magic = 0;
		kmemu__free(c);
		c = n;
	}
	while (t) {
		struct kmemu_wdf_tag *n = t->next;

		kmemu__free(t);
		t = n;
	}
	kmemu__free(o);
}

void kmemu__wdf_object_abort(struct kmemu_wdf_object *o)
{
	if (!o)
		return;
	o->cleanup = NULL;
	o->destroy = NULL;
	for (struct kmemu_wdf_context *c = o->contexts; c; c = c->next) {
		c->cleanup = NULL;
		c->destroy = NULL;
	}
	if (o->ops->destroy)
		o->ops->destroy(o);
	object_free(o);
}

NTSTATUS kmemu__wdf_object_commit(struct kmemu_wdf_object *o, const WDF_OBJECT_ATTRIBUTES *a,
				  struct kmemu_wdf_object *parent, const char *function,
				  WDFOBJECT *out)
{
	struct kmemu_wdf_globals *g = o->globals;
	struct kmemu_wdf_instance *inst = g->inst;
	struct kmemu_wdf_object *p = parent;
	NTSTATUS st = STATUS_SUCCESS;

	if (a && a->ParentObject) {
		p = kmemu__wdf_object_get(g, a->ParentObject, KMEMU_FX_TYPE_OBJECT, function);
		if (!p) {
			kmemu__wdf_object_abort(o);
			return KMEMU_WDF_STATUS_HANDLED;
		}
	} else if (!p) {
		p = g->driver;
	}
	pthread_mutex_lock(&inst->lock);
	if (p == o)
		st = STATUS_WDF_PARENT_IS_SELF;
	else if (o->parent)
		st = STATUS_WDF_PARENT_ALREADY_ASSIGNED;
	else if (o->state != KMEMU_WDF_INIT || (p && p->state != KMEMU_WDF_CREATED))
		st = STATUS_DELETE_PENDING;
	/* enter the registry first: when its table cannot grow nothing is
	 * published yet, and the object is aborted like any other failure */
	if (!st && kmemu__ptrset_add(&inst->registry, o))
		st = STATUS_INSUFFICIENT_RESOURCES;
	if (!st) {
		if (p) {
			o->parent = p;
			o->prev_sibling = p->last_child;
			o->next_sibling = NULL;
			if (p->last_child)
				p->last_child->next_sibling = o;
			else
				p->first_child = o;
			p->last_child = o;
		}
		o->state = KMEMU_WDF_CREATED;
		o->is_committed = 1;
		o->serial = ++inst->serial;
		inst->n_objects++;
		o->all_next = g->all;
		o->all_prev = NULL;
		if (g->all)
			g->all->all_prev = o;
		g->all = o;
		g->n_objects++;
		if (o->ops == &kmemu__wdf_memory_ops)
			g->n_memory++;
	}
	pthread_mutex_unlock(&inst->lock);
	if (st) {
		kmemu__wdf_object_abort(o);
		return st;
	}
	if (out)
		*out = kmemu__wdf_handle(o);
	return STATUS_SUCCESS;
}

/* Call the callback in *@slot, if any, after clearing it (at most once),
 * under the enhanced verifier's IRQL check. */
static void callback_once(struct kmemu_wdf_globals *g, PFN_WDF_OBJECT_CONTEXT_CLEANUP *slot,
			  WDFOBJECT h, const char *name)
{
	PFN_WDF_OBJECT_CONTEXT_CLEANUP fn = *slot;
	uint8_t entry;

	*slot = NULL;
	if (!fn)
		return;
	entry = kmemu__wdf_callback_begin(g);
	fn(h);
	kmemu__wdf_callback_end(g, entry, name);
}

/* Run @o's cleanup (@destroy 0) or destroy callbacks once each: the
 * object's, then each context's in order, acting for @o's driver. */
static void object_run_callbacks(struct kmemu_wdf_object *o, int destroy)
{
	struct kmemu_wdf_globals *prev = kmemu__wdf_enter(o->globals);
	WDFOBJECT h = kmemu__wdf_handle(o);
	const char *name = destroy ? "EvtDestroyCallback" : "EvtCleanupCallback";

	callback_once(o->globals, destroy ? &o->destroy : &o->cleanup, h, name);
	for (struct kmemu_wdf_context *c = o->contexts; c; c = c->next)
		callback_once(o->globals, destroy ? &c->destroy : &c->cleanup, h, name);
	kmemu__wdf_leave(prev);
}

/* Run @o's cleanup callbacks, unless they ran already. */
static void object_run_cleanup(struct kmemu_wdf_object *o)
{
	if (o->cleanup_done)
		return;
	o->cleanup_done = 1;
	object_run_callbacks(o, 0);
}

/* Refcount reached 0: cleanup (if not run), destroy callbacks, type destroy,
 * unregister, free.  No lock held. */
static void object_destroy(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_globals *g = o->globals;
	struct kmemu_wdf_instance *inst = g->inst;

	object_run_cleanup(o);
	object_run_callbacks(o, 1);
	if (o->ops->destroy)
		o->ops->destroy(o);
	pthread_mutex_lock(&inst->lock);
	if (o->is_committed) {
		kmemu__ptrset_del(&inst->registry, o);
		inst->n_objects--;
		if (o->all_prev)
			o->all_prev->all_next = o->all_next;
		else
			g->all = o->all_next;
		if (o->all_next)
			o->all_next->all_prev = o->all_prev;
		g->n_objects--;
		if (o->ops == &kmemu__wdf_memory_ops)
			g->n_memory--;
	}
	pthread_mutex_unlock(&inst->lock);
	object_free(o);
}

/* Remove @o from the deferred queue if it is there.  Lock held. */
static void deferred_remove(struct kmemu_wdf_instance *inst, struct kmemu_wdf_object *o)
{
	for (struct kmemu_wdf_object **pp = &inst->deferred; *pp; pp = &(*pp)->deferred_next)
		if (*pp == o) {
			*pp = o->deferred_next;
			o->deferred_next = NULL;
			return;
		}
}

/* The refcount of @o reached 0: destroy it, or, for a passive-dispose
 * object released above PASSIVE_LEVEL, queue its destroy to PASSIVE_LEVEL
 * (§5 step 5: the final destroy of passive-constrained objects is deferred
 * too).  No lock held. */
static void object_zero(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;

	if (o->is_passive_dispose && instance_irql(inst) > PASSIVE_LEVEL) {
		pthread_mutex_lock(&inst->lock);
		o->is_destroy_deferred = 1;
		o->deferred_next = inst->deferred;
		inst->deferred = o;
		pthread_mutex_unlock(&inst->lock);
		return;
	}
	object_destroy(o);
}

void kmemu__wdf_object_reap(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;

	pthread_mutex_lock(&inst->lock);
	deferred_remove(inst, o);
	o->refcount = 0;
	o->is_released = 1;
	pthread_mutex_unlock(&inst->lock);
	o->cleanup_done = 1;
	o->destroy = NULL;
	for (struct kmemu_wdf_context *c = o->contexts; c; c = c->next)
		c->destroy = NULL;
	object_destroy(o);
}

/* Drop one reference without the never-deleted check (ParentDeleteEvent and
 * the creation reference of a deleted object). */
static void object_release(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;
	long left;

	pthread_mutex_lock(&inst->lock);
	left = --o->refcount;
	pthread_mutex_unlock(&inst->lock);
	if (left == 0)
		object_zero(o);
}

/* Dispose @o's subtree, depth first in list order, then @o: Dispose(), then
 * its cleanup callbacks.  @o is in state DISPOSING.  No lock held. */
static void object_dispose_tree(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;
	struct kmemu_wdf_object *c;

	pthread_mutex_lock(&inst->lock);
	c = o->first_child;
	pthread_mutex_unlock(&inst->lock);
	while (c) {
		int mine;

		pthread_mutex_lock(&inst->lock);
		mine = c->state == KMEMU_WDF_CREATED;
		if (mine)
			c->state = KMEMU_WDF_DISPOSING;
		pthread_mutex_unlock(&inst->lock);
		if (mine)
			object_dispose_tree(c);
		pthread_mutex_lock(&inst->lock);
		c = c->next_sibling;
		pthread_mutex_unlock(&inst->lock);
	}
	if (o->ops->dispose)
		o->ops->dispose(o);
	object_run_cleanup(o);
	pthread_mutex_lock(&inst->lock);
	o->state = KMEMU_WDF_DISPOSED;
	pthread_mutex_unlock(&inst->lock);
}

/* Steps 4-5 of a delete (ParentDeleteEvent for children): detach every
 * child and finish its delete (its own children first), then release @o's
 * creation reference.  @o is DISPOSED. */
static void object_finish_delete(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;
	struct kmemu_wdf_object *c;

	for (;;) {
		pthread_mutex_lock(&inst->lock);
		c = o->first_child;
		if (c) {
			o->first_child = c->next_sibling;
			if (!o->first_child)
				o->last_child = NULL;
			else
				o->first_child->prev_sibling = NULL;
			c->parent = NULL;
			c->next_sibling = c->prev_sibling = NULL;
		}
		pthread_mutex_unlock(&inst->lock);
		if (!c)
			break;
		object_finish_delete(c);
	}
	pthread_mutex_lock(&inst->lock);
	o->is_released = 1;
	pthread_mutex_unlock(&inst->lock);
	object_release(o);
}

/* 1 when @o or a descendant must be disposed at PASSIVE_LEVEL.  Lock held. */
static int object_needs_passive(const struct kmemu_wdf_object *o)
{
	if (o->is_passive_dispose)
		return 1;
	for (const struct kmemu_wdf_object *c = o->first_child; c; c = c->next_sibling)
		if (object_needs_passive(c))
			return 1;
	return 0;
}

int kmemu__wdf_children_need_passive(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;
	int need = 0;

	pthread_mutex_lock(&inst->lock);
	for (const struct kmemu_wdf_object *c = o->first_child; c && !need; c = c->next_sibling)
		need = object_needs_passive(c);
	pthread_mutex_unlock(&inst->lock);
	return need;
}

/* Unlink @o from its parent's list.  Lock held. */
static void object_unlink(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_object *p = o->parent;

	if (!p)
		return;
	if (o->prev_sibling)
		o->prev_sibling->next_sibling = o->next_sibling;
	else
		p->first_child = o->next_sibling;
	if (o->next_sibling)
		o->next_sibling->prev_sibling = o->prev_sibling;
	else
		p->last_child = o->prev_sibling;
	o->parent = NULL;
	o->next_sibling = o->prev_sibling = NULL;
}

void kmemu__wdf_object_delete(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;
	int defer;
	uint8_t irql = instance_irql(inst);

	pthread_mutex_lock(&inst->lock);
	if (o->state != KMEMU_WDF_CREATED) {
		pthread_mutex_unlock(&inst->lock);
		return;  /* a second delete of a live object is dropped */
	}
	object_unlink(o);
	defer = irql > PASSIVE_LEVEL && object_needs_passive(o);
	if (defer) {
		o->state = KMEMU_WDF_DEFERRED;
		o->deferred_next = inst->deferred;
		inst->deferred = o;
	} else {
		o->state = KMEMU_WDF_DISPOSING;
	}
	pthread_mutex_unlock(&inst->lock);
	if (defer)
		return;
	object_dispose_tree(o);
	object_finish_delete(o);
}

unsigned kmemu__wdf_run_deferred(struct kmemu_wdf_instance *inst)
{
	unsigned n = 0;

	if (!inst)
		return 0;
	while (instance_irql(inst) == PASSIVE_LEVEL) {
		struct kmemu_wdf_object *o;

		int destroy;

		pthread_mutex_lock(&inst->lock);
		o = inst->deferred;
		destroy = o && o->is_destroy_deferred;
		if (o) {
			inst->deferred = o->deferred_next;
			o->deferred_next = NULL;
			if (!destroy)
				o->state = KMEMU_WDF_DISPOSING;
		}
		pthread_mutex_unlock(&inst->lock);
		if (!o)
			break;
		if (destroy) {
			object_destroy(o);
		} else {
			object_dispose_tree(o);
			object_finish_delete(o);
		}
		n++;
	}
	return n;
}

/* Add @n to the count of @tag on @o (verifier on).  Lock held.  A tag record
 * that cannot be allocated is simply not tracked (benign). */
static void object_tag(struct kmemu_wdf_object *o, const void *tag, long n, long line,
		       const char *file)
{
	struct kmemu_wdf_tag **pp, *t;

	for (pp = &o->tags; (t = *pp); pp = &t->next)
		if (t->tag == tag)
			break;
	if (!t) {
		if (n < 0)
			return;
		t = kmemu__calloc(1, sizeof(*t));
		if (!t)
			return;
		t->tag = tag;
		*pp = t;
	}
	t->count += n;
	if (n > 0) {
		t->line = line;
		t->file = file;
	}
	if (t->count <= 0) {
		*pp = t->next;
		kmemu__free(t);
	}
}

void kmemu__wdf_object_ref(struct kmemu_wdf_object *o, const void *tag, long line,
			   const char *file)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;

	pthread_mutex_lock(&inst->lock);
	o->refcount++;
	if (o->globals->verifier)
		object_tag(o, tag, 1, line, file);
	pthread_mutex_unlock(&inst->lock);
}

void kmemu__wdf_object_unref(struct kmemu_wdf_object *o, const void *tag, long line,
			     const char *file, const char *function)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;
	long left;
	int never_deleted;

	pthread_mutex_lock(&inst->lock);
	never_deleted = o->refcount == 1 && !o->is_released;
	if (!never_deleted) {
		left = --o->refcount;
		if (o->globals->verifier)
			object_tag(o, tag, -1, line, file);
	} else {
		left = 1;
	}
	pthread_mutex_unlock(&inst->lock);
	if (never_deleted) {
		kmemu__bugcheck(function,
				"the last reference of an object that was never deleted was "
				"dropped: freed using WdfObjectDereference, not WdfObjectDelete",
				WDF_VIOLATION, WDF_OBJECT_ERROR, (uintptr_t)kmemu__wdf_handle(o),
				(uintptr_t)o, (uintptr_t)o->globals);
		return;
	}
	if (left == 0)
		object_zero(o);
}

long kmemu__wdf_object_tag_count(struct kmemu_wdf_object *o, const void *tag)
{
	struct kmemu_wdf_instance *inst = o->globals->inst;
	long n = 0;

	pthread_mutex_lock(&inst->lock);
	for (struct kmemu_wdf_tag *t = o->tags; t; t = t->next)
		if (t->tag == tag)
			n = t->count;
	pthread_mutex_unlock(&inst->lock);
	return n;
}

/* ==== WDFOBJECT DDIs ============================================================ */

VOID WdfObjectDelete(WDFOBJECT Object)
{
	static const char fn[] = "WdfObjectDelete";
	struct kmemu_wdf_object *o = kmemu__wdf_ddi_object(Object, KMEMU_FX_TYPE_OBJECT, fn);

	if (!o)
		return;
	if (kmemu__wdf_memory_after_completion(o, fn))
		return;
	if (o->is_no_delete) {
		kmemu__wdf_trace(o->globals, fn, "%s %p cannot be deleted by the driver: %s",
				 o->ops->name, (void *)Object, kmemu_status_name(STATUS_CANNOT_DELETE));
		kmemu__wdf_dbg_break(o->globals, fn, "WdfObjectDelete on a %s, which the framework "
				     "owns", o->ops->name);
		return;
	}
	kmemu__wdf_object_delete(o);
}

/* The object of WdfObjectReference/Dereference: a NULL handle is 0x10D/4
 * (these two DDIs check the pointer first), then §0.3 as FX_TYPE_OBJECT and
 * the completed-request rule.  NULL when the call must do nothing more. */
static struct kmemu_wdf_object *object_ref_target(WDFOBJECT h, const char *fn, uintptr_t caller)
{
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_object *o;

	if (!g || kmemu__wdf_pointer_null(g, h, fn, caller))
		return NULL;
	o = kmemu__wdf_object_get(g, h, KMEMU_FX_TYPE_OBJECT, fn);
	return o && !kmemu__wdf_memory_after_completion(o, fn) ? o : NULL;
}

VOID WdfObjectReferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCH File)
{
	struct kmemu_wdf_object *o = object_ref_target(Handle, "WdfObjectReferenceActual",
						       KMEMU_WDF_CALLER);

	if (o)
		kmemu__wdf_object_ref(o, Tag, Line, File);
}

VOID WdfObjectDereferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCH File)
{
	static const char fn[] = "WdfObjectDereferenceActual";
	struct kmemu_wdf_object *o = object_ref_target(Handle, fn, KMEMU_WDF_CALLER);

	if (o)
		kmemu__wdf_object_unref(o, Tag, Line, File, fn);
}

PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo)
{
	static const char fn[] = "WdfObjectGetTypedContextWorker";
	struct kmemu_wdf_object *o = kmemu__wdf_ddi_object(Handle, KMEMU_FX_TYPE_OBJECT, fn);
	void *data = NULL;

	if (!o || kmemu__wdf_pointer_null(o->globals, TypeInfo, fn, KMEMU_WDF_CALLER))
		return NULL;
	pthread_mutex_lock(&o->globals->inst->lock);
	for (struct kmemu_wdf_context *c = o->contexts; c && !data; c = c->next)
		if (context_type_eq(c->type, TypeInfo))
			data = c->data;
	pthread_mutex_unlock(&o->globals->inst->lock);
	return data;
}

WDFOBJECT WdfObjectContextGetObject(PVOID ContextPointer)
{
	static const char fn[] = "WdfObjectContextGetObject";
	struct kmemu_wdf_instance *inst = kmemu__wdf_instance();
	struct kmemu_wdf_object *found = NULL;

	/* Walk the live objects instead of stepping back from the pointer: a
	 * pointer that is no context is reported, never dereferenced. */
	if (inst && ContextPointer) {
		pthread_mutex_lock(&inst->lock);
		struct kmemu_wdf_object *o;
		size_t pos = 0;

		while (!found && (o = kmemu__ptrset_next(&inst->registry, &pos)))
			for (struct kmemu_wdf_context *c = o->contexts; c; c = c->next)
				if ((void *)c->data == ContextPointer)
					found = o;
		pthread_mutex_unlock(&inst->lock);
	}
	if (!found) {
		kmemu__bugcheck(fn, "the pointer is no context of a live framework object",
				WDF_VIOLATION, WDF_INVALID_HANDLE, (uintptr_t)ContextPointer,
				KMEMU_FX_TYPE_OBJECT, (uintptr_t)kmemu__wdf_globals(NULL));
		return NULL;
	}
	return kmemu__wdf_handle(found);
}

NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes,
				  PVOID *Context)
{
	static const char fn[] = "WdfObjectAllocateContext";
	struct kmemu_wdf_object *o = kmemu__wdf_ddi_object(Handle, KMEMU_FX_TYPE_OBJECT, fn);
	struct kmemu_wdf_globals *g;
	struct kmemu_wdf_context *c, **pp;
	NTSTATUS st;

	if (!o || kmemu__wdf_pointer_null(o->globals, ContextAttributes, fn, KMEMU_WDF_CALLER))
		return KMEMU_WDF_STATUS_HANDLED;
	g = o->globals;
	st = kmemu__wdf_check_irql(g, DISPATCH_LEVEL, fn);
	if (st)
		return st;
	st = kmemu__wdf_validate_attributes(ContextAttributes, KMEMU_WDF_ATTR_PARENT_NOT_ALLOWED);
	if (st)
		return st;
	if (!ContextAttributes->ContextTypeInfo)
		return STATUS_OBJECT_NAME_INVALID;
	c = context_new(g, ContextAttributes);
	if (!c)
		return STATUS_INSUFFICIENT_RESOURCES;
	c->object = o;
	pthread_mutex_lock(&g->inst->lock);
	st = o->state == KMEMU_WDF_CREATED ? STATUS_SUCCESS : STATUS_DELETE_PENDING;
	for (pp = &o->contexts; *pp && !st; pp = &(*pp)->next)
		if (context_type_eq((*pp)->type, c->type)) {
			st = STATUS_OBJECT_NAME_EXISTS;
			if (Context)
				*Context = (*pp)->data;
		}
	if (!st)
		*pp = c;
	pthread_mutex_unlock(&g->inst->lock);
	if (st) {
		c->magic = 0;
		kmemu__free(c);
		return st;
	}
	if (Context)
		*Context = c->data;
	return STATUS_SUCCESS;
}
