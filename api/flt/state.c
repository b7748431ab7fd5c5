/* SPDX-License-Identifier: MIT */
/*
 * state.c - the Filter Manager emulation's per-instance state: its lock,
 * the live set, the deferred-release worker and the leak report.
 *
 * The live set is the shared set of live pointers (api/ptrset.c).  Everything a
 * driver can hand back to an Flt routine is looked up here before it is
 * read, so a stale or foreign pointer is a clean failure or a verifier
 * report, never a host crash.  The worker is one thread started on the
 * first release at DISPATCH_LEVEL; it runs at PASSIVE_LEVEL, as the work
 * item FltMgr queues does.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "flt_impl.h"


static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;  /* b->flt creation */
static pthread_mutex_t leak_lock = PTHREAD_MUTEX_INITIALIZER;    /* the handler below */
static kmemu_flt_leak_fn leak_fn;        /* NULL: print */
static void *leak_ctx;
static atomic_uint unload_wait_ms = 1000;
static _Thread_local const char *site_file;   /* next allocation's site */
static _Thread_local int site_line;
static _Thread_local const char *site_function;

/* ---- live set ------------------------------------------------------------------ */

/* The set itself is api/ptrset.c; these keep the state's mirror count.
 * Every call here, and every lookup, runs with st->lock held: the only
 * state read without the lock is the b->flt pointer (kmemu__flt_state). */
int kmemu__flt_set_add(struct flt_state *st, void *p)
{
	if (kmemu__ptrset_add(&st->set, p))
		return -1;
	st->set_live = st->set.live;
	return 0;
}

void kmemu__flt_set_del(struct flt_state *st, void *p)
{
	kmemu__ptrset_del(&st->set, p);
	st->set_live = st->set.live;
}

void *kmemu__flt_lookup(struct flt_state *st, const void *p, enum flt_kind kind)
{
	const struct flt_obj *o;

	if (!kmemu__ptrset_has(&st->set, p))
		return NULL;
	o = p;
	return o->kind == kind ? (void *)(uintptr_t)p : NULL;
}

/* ---- the deferred-release worker ---------------------------------------------------- */

static void *flt_worker(void *arg)
{
	struct flt_state *st = arg;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		struct flt_ctx *c = st->deferred;

		if (!c) {
			if (st->is_stopping)
				break;
			pthread_cond_wait(&st->work, &st->lock);
			continue;
		}
		st->deferred = c->next;
		pthread_mutex_unlock(&st->lock);
		kmemu__flt_ctx_finish(st, c);
		pthread_mutex_lock(&st->lock);
		st->n_deferred--;
		pthread_cond_broadcast(&st->changed);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

int kmemu__flt_defer(struct flt_state *st, struct flt_ctx *c)
{
	if (!st->has_worker) {
		if (pthread_create(&st->worker, NULL, flt_worker, st))
			return -1;
		st->has_worker = 1;
	}
	c->is_pending = 1;
	c->next = st->deferred;
	st->deferred = c;
	st->n_deferred++;
	pthread_cond_signal(&st->work);
	return 0;
}

kmemu_status kmemu_flt_drain(void)
{
	kmemu_status rc;
	struct flt_state *st = kmemu__flt_state(NULL, &rc);

	if (!st)
		return rc;
	pthread_mutex_lock(&st->lock);
	while (st->n_deferred)
		pthread_cond_wait(&st->changed, &st->lock);
	pthread_mutex_unlock(&st->lock);
	return STATUS_SUCCESS;
}

/* ---- creation and teardown ------------------------------------------------------------ */

/* kmemu_backend_close() hook: unload what drivers left, then free. */
static void flt_close(struct kmemu_backend *b)
{
	struct flt_state *st = b->flt;

	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	while (st->n_deferred)
		pthread_cond_wait(&st->changed, &st->lock);
	while (st->filters) {
		struct flt_filter *f = st->filters;

		pthread_mutex_unlock(&st->lock);
		kmemu__flt_unregister(st, f, 0);
		pthread_mutex_lock(&st->lock);
	}
	pthread_mutex_unlock(&st->lock);
	kmemu__flt_model_close(st);
	pthread_mutex_lock(&st->lock);
	st->is_stopping = 1;
	pthread_cond_signal(&st->work);
	pthread_mutex_unlock(&st->lock);
	if (st->has_worker)
		pthread_join(st->worker, NULL);
	pthread_cond_destroy(&st->work);
	pthread_cond_destroy(&st->changed);
	pthread_mutex_destroy(&st->lock);
	kmemu__ptrset_fini(&st->set);
	kmemu__free(st);
	b->flt = NULL;
	b->flt_close = NULL;
}

/* *@rc is STATUS_SUCCESS when the state is returned. */
struct flt_state *kmemu__flt_state(struct kmemu_backend **bp, kmemu_status *rc)
{
	struct kmemu_backend *b = kmemu__current();
	struct flt_state *st;

	if (!b) {
		*rc = STATUS_NOT_FOUND;
		return NULL;
	}
	if (!(kmemu_backend_caps(b) & KMEMU_CAP_FLT)) {
		*rc = STATUS_NOT_SUPPORTED;
		return NULL;
	}
	if (bp)
		*bp = b;
	/* b->flt is written once, under create_lock, and published with release
	 * order: the common path reads it without the lock */
	st = __atomic_load_n(&b->flt, __ATOMIC_ACQUIRE);
	if (st) {
		*rc = STATUS_SUCCESS;
		return st;
	}
	pthread_mutex_lock(&create_lock);
	st = b->flt;
	if (!st && (st = kmemu__calloc(1, sizeof(*st)))) {
		pthread_mutex_init(&st->lock, NULL);
		pthread_cond_init(&st->changed, NULL);
		pthread_cond_init(&st->work, NULL);
		b->flt_close = flt_close;
		__atomic_store_n(&b->flt, st, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&create_lock);
	*rc = st ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
	return st;
}

struct flt_state *kmemu__flt_enter(const char *fn, const void *routine, uint8_t max,
				   struct kmemu_backend **bp, kmemu_status *rc)
{
	struct kmemu_backend *b;
	struct flt_state *st = kmemu__flt_state(&b, rc);

	if (st && kmemu__flt_irql_above(b, fn, routine, max)) {
		*rc = STATUS_UNSUCCESSFUL;
		return NULL;
	}
	if (bp)
		*bp = b;
	return st;
}

int kmemu__flt_irql_above(struct kmemu_backend *b, const char *fn, const void *routine,
			  uint8_t max)
{
	uint8_t irql = b->ops->irql_get(b->st);

	if (irql <= max)
		return 0;
	/* pageable routines (max below DISPATCH_LEVEL) fault on the instruction
	 * fetch, as the section services do (api/section.c) */
	kmemu__bugcheck(fn, max < DISPATCH_LEVEL ? "a pageable Filter Manager routine was "
			"called above APC_LEVEL" : "called above DISPATCH_LEVEL",
			IRQL_NOT_LESS_OR_EQUAL, (uintptr_t)routine, irql,
			max < DISPATCH_LEVEL ? 8 : 0, (uintptr_t)routine);
	return 1;
}

/* ---- leak report, unload wait, allocation sites ------------------------------------------ */

void kmemu_flt_set_leak_handler(kmemu_flt_leak_fn fn, void *ctx)
{
	pthread_mutex_lock(&leak_lock);
	leak_fn = fn;
	leak_ctx = ctx;
	pthread_mutex_unlock(&leak_lock);
}

void kmemu__flt_report_leak(const struct kmemu_flt_leak *leak)
{
	kmemu_flt_leak_fn fn;
	void *ctx;

	pthread_mutex_lock(&leak_lock);
	fn = leak_fn;
	ctx = leak_ctx;
	pthread_mutex_unlock(&leak_lock);
	if (fn) {
		fn(leak, ctx);
		return;
	}
	fprintf(stderr, "kmemu: FltUnregisterFilter: context %p (type 0x%x, %zu bytes) still has "
		"%ld reference(s); allocated by FltAllocateContext called from %p",
		leak->context, (unsigned)leak->type, leak->size, leak->references, leak->caller);
	if (leak->file)
		fprintf(stderr, " (%s:%d, %s)", leak->file, leak->line,
			leak->function ? leak->function : "?");
	fputc('\n', stderr);
}

void kmemu_flt_set_unload_wait(unsigned milliseconds)
{
	atomic_store(&unload_wait_ms, milliseconds);
}

unsigned kmemu__flt_unload_wait_ms(void)
{
	return atomic_load(&unload_wait_ms);
}

void kmemu_flt_site(const char *file, int line, const char *function)
{
	site_file = file;
	site_line = line;
	site_function = function;
}

void kmemu__flt_take_site(const char **file, int *line, const char **function)
{
	*file = site_file;
	*line = site_line;
	*function = site_function;
	site_file = NULL;
	site_line = 0;
	site_function = NULL;
}

kmemu_status kmemu_flt_stats_get(struct kmemu_flt_stats *out)
{
	kmemu_status rc;
	struct flt_state *st;

	if (!out)
		return STATUS_INVALID_PARAMETER;
	if (!(st = kmemu__flt_state(NULL, &rc)))
		return rc;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&st->lock);
	for (struct flt_filter *f = st->filters; f; f = f->next)
		out->filters++;
	for (struct flt_volume *v = st->volumes; v; v = v->next)
		out->volumes++;
	for (struct flt_transaction *t = st->transactions; t; t = t->next)
		out->transactions++;
	out->live_contexts = st->n_contexts;
	out->lookaside_free = st->n_lookaside + st->n_quarantine_lookaside;
	out->quarantined = st->n_quarantine;
	out->section_deletes = st->n_section_deletes;
	out->deferred_pending = st->n_deferred;
	out->file_objects = st->n_fobjs;
	out->streams = st->n_streams;
	out->leaks_reported = st->n_leaks;
	pthread_mutex_unlock(&st->lock);
	return STATUS_SUCCESS;
}
