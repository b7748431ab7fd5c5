/* SPDX-License-Identifier: MIT */
/*
 * model.c - the tiny in-memory file-system model contexts attach to
 * (<kmemu/flt.h>): volumes, instances, files, streams, file objects,
 * transactions and data-scan sections.
 *
 * A volume holds FCBs (files, by name before the ':'), an FCB its streams
 * (by whole path), a stream its file objects and sections.  A stream lives
 * while file objects or sections hold it (stream->refs); the last one gone
 * deletes it with its contexts, the last stream of a file the file and its
 * contexts.  Teardown collects the contexts to drop on a chain under the
 * lock and drops them after it (cleanup callbacks are driver code).  A file
 * object, transaction or volume stays live, marked as being deleted, while
 * the callbacks of its own contexts run, so a callback naming it gets
 * STATUS_FLT_DELETING_OBJECT from a set routine; it is freed afterwards.
 */
#include <string.h>
#include "flt_impl.h"

static int name_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a, y = *b;

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}

/* ---- streams, file objects, sections (lock held) ------------------------------------------- */

/* Drop one hold on @s; the last deletes it (and its file when it was the
 * last stream), collecting their contexts on *@chain. */
static void stream_unref(struct flt_state *st, struct flt_stream *s, struct flt_ctx **chain)
{
	struct flt_fcb *fcb = s->fcb;

	if (--s->refs)
		return;
	kmemu__flt_detach_all(&s->ctxs, NULL, chain);
	FLT_LIST_REMOVE(struct flt_stream, &fcb->streams, s, next);
	st->n_streams--;
	kmemu__free(s);
	if (fcb->streams)
		return;
	kmemu__flt_detach_all(&fcb->ctxs, NULL, chain);
	FLT_LIST_REMOVE(struct flt_fcb, &fcb->volume->files, fcb, next);
	kmemu__free(fcb);
}

/* First step of closing @fo: mark it and collect its contexts on *@chain.
 * It stays live (and on its stream) while the caller drops them with the
 * lock released, so a cleanup callback naming it sees
 * STATUS_FLT_DELETING_OBJECT from the set routines. */
static void fobj_close_begin(struct flt_fobj *fo, struct flt_ctx **chain)
{
	fo->is_deleting = 1;
	kmemu__flt_detach_all(&fo->ctxs, NULL, chain);
}

/* Last step: @fo leaves its stream and the live set; the stream's hold is
 * dropped (its contexts, and its file's, on *@chain when it was the last). */
static void fobj_close_end(struct flt_state *st, struct flt_fobj *fo, struct flt_ctx **chain)
{
	struct flt_stream *s = fo->stream;

	FLT_LIST_REMOVE(struct flt_fobj, &s->fobjs, fo, next);
	kmemu__flt_set_del(st, fo);
	st->n_fobjs--;
	kmemu__free(fo);
	stream_unref(st, s, chain);
	pthread_cond_broadcast(&st->changed);
}

static void section_close(struct flt_state *st, struct flt_section *sec, struct flt_ctx **chain)
{
	struct flt_stream *s = sec->stream;

	kmemu__flt_detach_all(&sec->ctxs, NULL, chain);
	FLT_LIST_REMOVE(struct flt_section, &s->sections, sec, next);
	kmemu__flt_set_del(st, sec);
	kmemu__free(sec);
	stream_unref(st, s, chain);
}

/* A section of @in on its volume, or NULL. */
static struct flt_section *section_of(struct flt_instance *in)
{
	for (struct flt_fcb *f = in->volume->files; f; f = f->next)
		for (struct flt_stream *s = f->streams; s; s = s->next)
			for (struct flt_section *sec = s->sections; sec; sec = sec->next)
				if (sec->instance == in)
					return sec;
	return NULL;
}

/* ---- instances ---------------------------------------------------------------------------- */

static void related_fill(struct flt_instance *in, PFILE_OBJECT fo, PKTRANSACTION t,
			 FLT_RELATED_OBJECTS *out)
{
	memset(out, 0, sizeof(*out));
	out->Size = sizeof(*out);
	out->Filter = (PFLT_FILTER)in->filter;
	out->Volume = (PFLT_VOLUME)in->volume;
	out->Instance = (PFLT_INSTANCE)in;
	out->FileObject = fo;
	out->Transaction = t;
}

/* Detach @in; @has_callbacks: call the teardown callbacks.  Lock not held. */
static void instance_detach(struct flt_state *st, struct flt_instance *in, int has_callbacks)
{
	struct flt_filter *f = in->filter;
	struct flt_volume *v = in->volume;
	struct flt_ctx *chain = NULL;
	struct flt_section *sec;
	FLT_RELATED_OBJECTS ro;

	related_fill(in, NULL, NULL, &ro);
	pthread_mutex_lock(&st->lock);
	in->is_deleting = 1;
	pthread_mutex_unlock(&st->lock);
	if (has_callbacks && f->reg.InstanceTeardownStartCallback)
		f->reg.InstanceTeardownStartCallback(&ro, 0);
	if (has_callbacks && f->reg.InstanceTeardownCompleteCallback)
		f->reg.InstanceTeardownCompleteCallback(&ro, 0);
	pthread_mutex_lock(&st->lock);
	kmemu__flt_detach_all(&in->ctxs, NULL, &chain);
	while ((sec = section_of(in)))
		section_close(st, sec, &chain);
	for (struct flt_fcb *fcb = v->files; fcb; fcb = fcb->next) {
		kmemu__flt_detach_all(&fcb->ctxs, in, &chain);
		for (struct flt_stream *s = fcb->streams; s; s = s->next) {
			kmemu__flt_detach_all(&s->ctxs, in, &chain);
			for (struct flt_fobj *fo = s->fobjs; fo; fo = fo->next)
				kmemu__flt_detach_all(&fo->ctxs, in, &chain);
		}
	}
	for (struct flt_transaction *t = st->transactions; t; t = t->next)
		kmemu__flt_detach_all(&t->ctxs, in, &chain);
	FLT_LIST_REMOVE(struct flt_instance, &f->instances, in, next_in_filter);
	FLT_LIST_REMOVE(struct flt_instance, &v->instances, in, next_in_volume);
	kmemu__flt_set_del(st, in);
	pthread_cond_broadcast(&st->changed);
	pthread_mutex_unlock(&st->lock);
	kmemu__flt_put_chain(st, chain);
	kmemu__free(in);
}

void kmemu__flt_instance_detach(struct flt_state *st, struct flt_instance *in)
{
	instance_detach(st, in, 1);
}

/* The state, after the PASSIVE_LEVEL rule of the control API; NULL with *@rc. */
static struct flt_state *model_enter(kmemu_status *rc)
{
	return kmemu__flt_enter("kmemu_flt", (const void *)model_enter, PASSIVE_LEVEL, NULL, rc);
}

/* @p as a live volume or instance (@kind) not yet being torn down, now
 * marked as such; NULL otherwise. */
static void *model_claim(struct flt_state *st, const void *p, enum flt_kind kind)
{
	void *o;
	int *is_deleting = NULL;

	pthread_mutex_lock(&st->lock);
	if ((o = kmemu__flt_lookup(st, p, kind)))
		is_deleting = kind == FK_VOLUME ? &((struct flt_volume *)o)->is_deleting
						: &((struct flt_instance *)o)->is_deleting;
	if (is_deleting && *is_deleting)
		o = NULL;
	else if (is_deleting)
		*is_deleting = 1;
	pthread_mutex_unlock(&st->lock);
	return o;
}

kmemu_status kmemu_flt_instance_attach(PFLT_FILTER filter, PFLT_VOLUME volume, PFLT_INSTANCE *out)
{
	struct flt_state *st;
	struct flt_filter *f;
	struct flt_volume *v;
	struct flt_instance *in;
	FLT_RELATED_OBJECTS ro;
	kmemu_status rc;

	if (out)
		*out = NULL;
	if (!(st = model_enter(&rc)))
		return rc;
	if (!out)
		return STATUS_INVALID_PARAMETER;
	if (!(in = kmemu__calloc(1, sizeof(*in))))
		return STATUS_INSUFFICIENT_RESOURCES;
	pthread_mutex_lock(&st->lock);
	f = kmemu__flt_lookup(st, filter, FK_FILTER);
	v = kmemu__flt_lookup(st, volume, FK_VOLUME);
	if (!f || !v || v->is_deleting)
		rc = STATUS_INVALID_PARAMETER;
	else if (f->is_unloading)
		rc = STATUS_FLT_DELETING_OBJECT;
	else if (!f->is_started)
		rc = STATUS_FLT_NOT_INITIALIZED;
	else if (kmemu__flt_set_add(st, in))
		rc = STATUS_INSUFFICIENT_RESOURCES;
	if (rc) {
		pthread_mutex_unlock(&st->lock);
		kmemu__free(in);
		return rc;
	}
	in->obj.kind = FK_INSTANCE;
	in->filter = f;
	in->volume = v;
	in->next_in_filter = f->instances;
	f->instances = in;
	in->next_in_volume = v->instances;
	v->instances = in;
	pthread_mutex_unlock(&st->lock);
	if (f->reg.InstanceSetupCallback) {
		related_fill(in, NULL, NULL, &ro);
		rc = f->reg.InstanceSetupCallback(&ro, 0, FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_NTFS);
		if (!NT_SUCCESS(rc)) {
			instance_detach(st, in, 0);
			return rc;
		}
	}
	*out = (PFLT_INSTANCE)in;
	return STATUS_SUCCESS;
}

kmemu_status kmemu_flt_instance_detach(PFLT_INSTANCE instance)
{
	struct flt_state *st;
	struct flt_instance *in;
	kmemu_status rc;

	if (!(st = model_enter(&rc)))
		return rc;
	if (!(in = model_claim(st, instance, FK_INSTANCE)))
		return STATUS_INVALID_PARAMETER;
	instance_detach(st, in, 1);
	return STATUS_SUCCESS;
}

kmemu_status kmemu_flt_related_objects(PFLT_INSTANCE instance, PFILE_OBJECT file_object,
				       PKTRANSACTION transaction, FLT_RELATED_OBJECTS *out)
{
	struct flt_state *st;
	struct flt_instance *in;
	struct flt_fobj *fo = NULL;
	kmemu_status rc;

	if (!(st = model_enter(&rc)))
		return rc;
	if (!out)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&st->lock);
	in = kmemu__flt_lookup(st, instance, FK_INSTANCE);
	if (file_object)
		fo = kmemu__flt_lookup(st, file_object, FK_FILE_OBJECT);
	if (!in || (file_object && (!fo || fo->stream->fcb->volume != in->volume)) ||
	    (transaction && !kmemu__flt_lookup(st, transaction, FK_TRANSACTION)))
		rc = STATUS_INVALID_PARAMETER;
	else
		related_fill(in, file_object, transaction, out);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* First step of ending @t (lock held): mark it, its contexts on *@chain;
 * it stays live while they are dropped (see fobj_close_begin()). */
static void transaction_end_begin(struct flt_transaction *t, struct flt_ctx **chain)
{
	t->is_deleting = 1;
	kmemu__flt_detach_all(&t->ctxs, NULL, chain);
}

/* Last step (lock held): @t leaves its list and the live set. */
static void transaction_end_end(struct flt_state *st, struct flt_transaction *t)
{
	FLT_LIST_REMOVE(struct flt_transaction, &st->transactions, t, next);
	kmemu__flt_set_del(st, t);
	kmemu__free(t);
	pthread_cond_broadcast(&st->changed);
}

/*
 * model_teardown() - close the file object or end the transaction @o
 * (@kind), already marked by its *_begin() step with its contexts on
 * *@chain: drop them with the lock released (cleanup callbacks naming @o
 * get STATUS_FLT_DELETING_OBJECT from the set routines), then free @o and
 * drop what that releases.
 * Context: st->lock held on entry and on return (released in between).
 */
static void model_teardown(struct flt_state *st, void *o, enum flt_kind kind,
			   struct flt_ctx **chain)
{
	struct flt_ctx *rest = NULL;

	pthread_mutex_unlock(&st->lock);
	kmemu__flt_put_chain(st, *chain);
	*chain = NULL;
	pthread_mutex_lock(&st->lock);
	if (kind == FK_FILE_OBJECT)
		fobj_close_end(st, o, &rest);
	else
		transaction_end_end(st, o);
	pthread_mutex_unlock(&st->lock);
	kmemu__flt_put_chain(st, rest);
	pthread_mutex_lock(&st->lock);
}

/* Close @p, a live file object, transaction or section (@kind), then drop
 * the contexts it carried.  Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER
 * (not live, or already being closed by another thread); the model_enter()
 * failures. */
static kmemu_status model_close(const void *p, enum flt_kind kind)
{
	struct flt_state *st;
	struct flt_ctx *chain = NULL;
	kmemu_status rc;
	void *o;

	if (!(st = model_enter(&rc)))
		return rc;
	pthread_mutex_lock(&st->lock);
	o = kmemu__flt_lookup(st, p, kind);
	if (o && kind == FK_FILE_OBJECT && ((struct flt_fobj *)o)->is_deleting)
		o = NULL;
	if (o && kind == FK_TRANSACTION && ((struct flt_transaction *)o)->is_deleting)
		o = NULL;
	if (o && kind == FK_FILE_OBJECT) {
		fobj_close_begin(o, &chain);
		model_teardown(st, o, kind, &chain);
	} else if (o && kind == FK_TRANSACTION) {
		transaction_end_begin(o, &chain);
		model_teardown(st, o, kind, &chain);
	} else if (o) {
		section_close(st, o, &chain);
	}
	pthread_mutex_unlock(&st->lock);
	kmemu__flt_put_chain(st, chain);
	return o ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

/*
 * A new zeroed model object of @size bytes (a struct whose first member is
 * its struct flt_obj) of @kind, entered in the live set.  Returns it with
 * st->lock held, for the caller to link it into its list; NULL (lock not
 * held) when memory or the live set's growth fails.
 */
static void *model_obj_new(struct flt_state *st, size_t size, int kind)
{
	struct flt_obj *o = kmemu__calloc(1, size);

	if (!o)
		return NULL;
	o->kind = kind;
	pthread_mutex_lock(&st->lock);
	if (kmemu__flt_set_add(st, o)) {
		pthread_mutex_unlock(&st->lock);
		kmemu__free(o);
		return NULL;
	}
	return o;
}

/* ---- volumes -------------------------------------------------------------------------------- */

kmemu_status kmemu_flt_volume_create(const char *name, unsigned flags, PFLT_VOLUME *out)
{
	struct flt_state *st;
	struct flt_volume *v;
	kmemu_status rc;

	if (out)
		*out = NULL;
	if (!(st = model_enter(&rc)))
		return rc;
	if (!out || !name || (flags & ~KMEMU_FLT_VOLUME_NO_STREAM_CONTEXTS))
		return STATUS_INVALID_PARAMETER;
	if (!(v = model_obj_new(st, sizeof(*v), FK_VOLUME)))
		return STATUS_INSUFFICIENT_RESOURCES;
	strncpy(v->name, name, sizeof(v->name) - 1);
	v->has_no_stream_ctx = !!(flags & KMEMU_FLT_VOLUME_NO_STREAM_CONTEXTS);
	v->next = st->volumes;
	st->volumes = v;
	pthread_mutex_unlock(&st->lock);
	*out = (PFLT_VOLUME)v;
	return STATUS_SUCCESS;
}

/* Dismount @v (is_deleting already set by the caller; lock not held). */
static void volume_destroy(struct flt_state *st, struct flt_volume *v)
{
	struct flt_ctx *chain = NULL;

	pthread_mutex_lock(&st->lock);
	while (v->instances) {
		struct flt_instance *in = v->instances;

		if (in->is_deleting) {  /* another thread detaches it */
			pthread_cond_wait(&st->changed, &st->lock);
			continue;
		}
		in->is_deleting = 1;
		pthread_mutex_unlock(&st->lock);
		instance_detach(st, in, 1);
		pthread_mutex_lock(&st->lock);
	}
	/* every stream has a file object: sections went with their instances */
	while (v->files) {
		struct flt_fobj *fo = NULL;

		for (struct flt_fcb *fcb = v->files; fcb && !fo; fcb = fcb->next)
			for (struct flt_stream *s = fcb->streams; s && !fo; s = s->next)
				for (fo = s->fobjs; fo && fo->is_deleting; fo = fo->next)
					;
		if (!fo) {  /* another thread closes the rest */
			pthread_cond_wait(&st->changed, &st->lock);
			continue;
		}
		fobj_close_begin(fo, &chain);
		model_teardown(st, fo, FK_FILE_OBJECT, &chain);
	}
	/* the volume stays live (and marked) while its contexts are dropped */
	kmemu__flt_detach_all(&v->ctxs, NULL, &chain);
	pthread_mutex_unlock(&st->lock);
	kmemu__flt_put_chain(st, chain);
	pthread_mutex_lock(&st->lock);
	FLT_LIST_REMOVE(struct flt_volume, &st->volumes, v, next);
	kmemu__flt_set_del(st, v);
	pthread_cond_broadcast(&st->changed);
	pthread_mutex_unlock(&st->lock);
	kmemu__free(v);
}

kmemu_status kmemu_flt_volume_destroy(PFLT_VOLUME volume)
{
	struct flt_state *st;
	struct flt_volume *v;
	kmemu_status rc;

	if (!(st = model_enter(&rc)))
		return rc;
	if (!(v = model_claim(st, volume, FK_VOLUME)))
		return STATUS_INVALID_PARAMETER;
	volume_destroy(st, v);
	return STATUS_SUCCESS;
}

/* ---- files ---------------------------------------------------------------------------------- */

kmemu_status kmemu_flt_file_open(PFLT_VOLUME volume, const char *path, PFILE_OBJECT *out)
{
	struct flt_state *st;
	struct flt_volume *v;
	struct flt_fcb *fcb = NULL, *new_fcb = NULL;
	struct flt_stream *s = NULL, *new_s = NULL;
	struct flt_fobj *fo;
	const char *colon;
	char file[256];
	kmemu_status rc;
	size_t n;

	if (out)
		*out = NULL;
	if (!(st = model_enter(&rc)))
		return rc;
	if (!out || !path || !*path || (n = strlen(path)) > 255)
		return STATUS_INVALID_PARAMETER;
	colon = strchr(path, ':');
	n = colon ? (size_t)(colon - path) : n;
	memcpy(file, path, n);
	file[n] = 0;
	if (!(fo = kmemu__calloc(1, sizeof(*fo))))
		return STATUS_INSUFFICIENT_RESOURCES;
	fo->obj.kind = FK_FILE_OBJECT;
	pthread_mutex_lock(&st->lock);
	v = kmemu__flt_lookup(st, volume, FK_VOLUME);
	if (!v || v->is_deleting) {
		rc = STATUS_INVALID_PARAMETER;
		goto fail;
	}
	for (fcb = v->files; fcb && !name_eq(fcb->name, file); fcb = fcb->next)
		;
	for (s = fcb ? fcb->streams : NULL; s && !name_eq(s->name, path); s = s->next)
		;
	rc = STATUS_INSUFFICIENT_RESOURCES;
	if (!fcb && !(fcb = new_fcb = kmemu__calloc(1, sizeof(*fcb))))
		goto fail;
	if (!s && !(s = new_s = kmemu__calloc(1, sizeof(*s))))
		goto fail;
	if (kmemu__flt_set_add(st, fo))
		goto fail;
	if (new_fcb) {
		new_fcb->volume = v;
		memcpy(new_fcb->name, file, n + 1);
		new_fcb->next = v->files;
		v->files = new_fcb;
	}
	if (new_s) {
		new_s->fcb = fcb;
		strcpy(new_s->name, path);
		new_s->next = fcb->streams;
		fcb->streams = new_s;
		st->n_streams++;
	}
	s->refs++;
	fo->stream = s;
	fo->next = s->fobjs;
	s->fobjs = fo;
	st->n_fobjs++;
	pthread_mutex_unlock(&st->lock);
	*out = (PFILE_OBJECT)fo;
	return STATUS_SUCCESS;
fail:
	pthread_mutex_unlock(&st->lock);
	kmemu__free(new_s);
	kmemu__free(new_fcb);
	kmemu__free(fo);
	return rc;
}

kmemu_status kmemu_flt_file_close(PFILE_OBJECT file_object)
{
	return model_close(file_object, FK_FILE_OBJECT);
}

/* ---- transactions ------------------------------------------------------------------------------ */

kmemu_status kmemu_flt_transaction_create(PKTRANSACTION *out)
{
	struct flt_state *st;
	struct flt_transaction *t;
	kmemu_status rc;

	if (out)
		*out = NULL;
	if (!(st = model_enter(&rc)))
		return rc;
	if (!out)
		return STATUS_INVALID_PARAMETER;
	if (!(t = model_obj_new(st, sizeof(*t), FK_TRANSACTION)))
		return STATUS_INSUFFICIENT_RESOURCES;
	t->next = st->transactions;
	st->transactions = t;
	pthread_mutex_unlock(&st->lock);
	*out = (PKTRANSACTION)t;
	return STATUS_SUCCESS;
}

kmemu_status kmemu_flt_transaction_end(PKTRANSACTION transaction)
{
	return model_close(transaction, FK_TRANSACTION);
}

/* ---- sections --------------------------------------------------------------------------------- */

kmemu_status kmemu_flt_section_create(PFLT_INSTANCE instance, PFILE_OBJECT file_object,
				      PFLT_CONTEXT section_context,
				      struct kmemu_flt_section **out)
{
	struct flt_state *st;
	struct flt_instance *in;
	struct flt_fobj *fo;
	struct flt_ctx *c = NULL;
	struct flt_section *sec;
	kmemu_status rc;

	if (out)
		*out = NULL;
	if (!(st = model_enter(&rc)))
		return rc;
	if (!out || !section_context)
		return STATUS_INVALID_PARAMETER;
	if (!(sec = kmemu__calloc(1, sizeof(*sec))))
		return STATUS_INSUFFICIENT_RESOURCES;
	sec->obj.kind = FK_SECTION;
	pthread_mutex_lock(&st->lock);
	if (!(c = kmemu__flt_ctx_lookup(st, section_context))) {
		/* as the set routines: a released context is a use after free */
		pthread_mutex_unlock(&st->lock);
		kmemu__free(sec);
		kmemu__flt_report_dead("kmemu_flt_section_create", section_context);
		return STATUS_INVALID_PARAMETER;
	}
	in = kmemu__flt_lookup(st, instance, FK_INSTANCE);
	fo = kmemu__flt_lookup(st, file_object, FK_FILE_OBJECT);
	if (!in || !fo || fo->stream->fcb->volume != in->volume ||
	    c->type != FLT_SECTION_CONTEXT || c->filter != in->filter)
		rc = STATUS_INVALID_PARAMETER;
	else if (in->is_deleting || in->filter->is_unloading || fo->is_deleting)
		rc = STATUS_FLT_DELETING_OBJECT;
	else if (c->is_linked)
		rc = STATUS_FLT_CONTEXT_ALREADY_LINKED;
	else if (kmemu__flt_set_add(st, sec))
		rc = STATUS_INSUFFICIENT_RESOURCES;
	if (!rc) {
		for (struct flt_section *o = fo->stream->sections; o; o = o->next)
			if (o->instance == in)
				rc = STATUS_FLT_CONTEXT_ALREADY_DEFINED;
		if (rc)
			kmemu__flt_set_del(st, sec);
	}
	if (rc) {
		pthread_mutex_unlock(&st->lock);
		kmemu__free(sec);
		return rc;
	}
	sec->instance = in;
	sec->stream = fo->stream;
	kmemu__flt_attach(c, &sec->ctxs, in);
	sec->next = fo->stream->sections;
	fo->stream->sections = sec;
	fo->stream->refs++;
	pthread_mutex_unlock(&st->lock);
	*out = (struct kmemu_flt_section *)sec;
	return STATUS_SUCCESS;
}

kmemu_status kmemu_flt_section_close(struct kmemu_flt_section *section)
{
	return model_close(section, FK_SECTION);
}

void kmemu__flt_model_close(struct flt_state *st)
{
	struct flt_ctx *chain = NULL;

	pthread_mutex_lock(&st->lock);
	while (st->volumes) {
		struct flt_volume *v = st->volumes;

		while (v && v->is_deleting)
			v = v->next;
		if (!v) {  /* another thread dismounts the rest */
			pthread_cond_wait(&st->changed, &st->lock);
			continue;
		}
		v->is_deleting = 1;
		pthread_mutex_unlock(&st->lock);
		volume_destroy(st, v);
		pthread_mutex_lock(&st->lock);
	}
	while (st->transactions) {
		struct flt_transaction *t = st->transactions;

		while (t && t->is_deleting)
			t = t->next;
		if (!t) {  /* another thread ends the rest */
			pthread_cond_wait(&st->changed, &st->lock);
			continue;
		}
		transaction_end_begin(t, &chain);
		model_teardown(st, t, FK_TRANSACTION, &chain);
	}
	pthread_mutex_unlock(&st->lock);
}

/* ---- invariants -------------------------------------------------------------------------------- */

/* Check one owner list: every context on it is live, attached to this very
 * list, of @type, keyed by a live @key_kind object.  NULL or what is wrong. */
static const char *check_owner_list(struct flt_state *st, struct flt_ctx **head,
				    FLT_CONTEXT_TYPE type, enum flt_kind key_kind, uint64_t *n)
{
	for (struct flt_ctx *c = *head; c; c = c->owner_next) {
		(*n)++;
		if (kmemu__flt_lookup(st, c, FK_CONTEXT) != c)
			return "an attached context is not live";
		if (c->owner != head || c->refs < 1 || !c->is_linked)
			return "an attached context does not point back to its object";
		if (c->type != type)
			return "a context is attached to an object of another type";
		if (!kmemu__flt_lookup(st, c->key, key_kind))
			return "an attached context is keyed by a dead instance or filter";
	}
	return NULL;
}

/* Every invariant of the Filter Manager state (lock held); NULL or what is wrong. */
static const char *flt_check_locked(struct flt_state *st)
{
	uint64_t objects = 0, contexts = 0, lookaside = 0, fobjs = 0, streams = 0, attached = 0;
	const char *why = NULL;

	for (struct flt_filter *f = st->filters; f && !why; f = f->next) {
		uint64_t n = 0;

		objects++;
		for (struct flt_ctx *c = f->live; c; c = c->live_next) {
			n++;
			if (c->filter != f || (c->live_next && c->live_next->live_prev != c))
				return "a filter's live list is broken";
			if ((c->refs > 0) != (kmemu__flt_lookup(st, c, FK_CONTEXT) == c))
				return "a context with references is not live, or the reverse";
			objects += c->refs > 0;
		}
		if (n != f->n_live)
			return "a filter's live count is wrong";
		contexts += n;
		for (int i = 0; i < FLT_N_TYPES; i++)
			for (unsigned k = 0; k < f->types[i].n_fixed; k++)
				for (int li = 0; li < 2; li++) {
					unsigned d = 0;

					for (struct flt_ctx *c = f->types[i].fixed[k].free_list[li]; c; c = c->next)
						d++;
					if (d != f->types[i].fixed[k].depth[li])
						return "a lookaside depth is wrong";
					lookaside += d;
				}
		for (struct flt_instance *in = f->instances; in && !why; in = in->next_in_filter) {
			objects++;
			if (in->filter != f || kmemu__flt_lookup(st, in, FK_INSTANCE) != in)
				return "an instance is not live or not its filter's";
			why = check_owner_list(st, &in->ctxs, FLT_INSTANCE_CONTEXT, FK_INSTANCE, &attached);
		}
	}
	for (struct flt_volume *v = st->volumes; v && !why; v = v->next) {
		objects++;
		why = check_owner_list(st, &v->ctxs, FLT_VOLUME_CONTEXT, FK_FILTER, &attached);
		for (struct flt_fcb *fcb = v->files; fcb && !why; fcb = fcb->next) {
			if (!fcb->streams)
				return "a file without streams";
			why = check_owner_list(st, &fcb->ctxs, FLT_FILE_CONTEXT, FK_INSTANCE, &attached);
			for (struct flt_stream *s = fcb->streams; s && !why; s = s->next) {
				unsigned holders = 0;

				streams++;
				why = check_owner_list(st, &s->ctxs, FLT_STREAM_CONTEXT, FK_INSTANCE, &attached);
				for (struct flt_fobj *fo = s->fobjs; fo && !why; fo = fo->next, holders++) {
					objects++;
					fobjs++;
					why = check_owner_list(st, &fo->ctxs, FLT_STREAMHANDLE_CONTEXT, FK_INSTANCE,
							       &attached);
				}
				for (struct flt_section *sec = s->sections; sec && !why; sec = sec->next, holders++) {
					objects++;
					why = check_owner_list(st, &sec->ctxs, FLT_SECTION_CONTEXT, FK_INSTANCE,
							       &attached);
				}
				if (!why && holders != s->refs)
					return "a stream's holder count is wrong";
			}
		}
	}
	for (struct flt_transaction *t = st->transactions; t && !why; t = t->next) {
		objects++;
		why = check_owner_list(st, &t->ctxs, FLT_TRANSACTION_CONTEXT, FK_INSTANCE, &attached);
	}
	if (why)
		return why;
	{
		uint64_t nq = 0, nql = 0;
		struct flt_ctx *last = NULL;

		for (struct flt_ctx *c = st->quar_head; c; last = c, c = c->next) {
			nq++;
			nql += c->is_lookaside;
			if (kmemu__ptrset_has(&st->set, c))
				return "a context in the quarantine is live";
		}
		if (nq != st->n_quarantine || nql != st->n_quarantine_lookaside ||
		    last != st->quar_tail || nq > KMEMU_FLT_QUARANTINE)
			return "the quarantine's counts or tail are wrong";
	}
	if (objects != st->set_live)
		return "the live set holds other objects than the model";
	if (contexts != st->n_contexts || lookaside != st->n_lookaside || fobjs != st->n_fobjs ||
	    streams != st->n_streams)
		return "a Filter Manager counter is wrong";
	(void)attached;
	return NULL;
}

kmemu_status kmemu_flt_check(const char **msg)
{
	struct flt_state *st;
	kmemu_status rc;
	const char *why;

	if (msg)
		*msg = NULL;
	if (!(st = kmemu__flt_state(NULL, &rc)))
		return rc;
	pthread_mutex_lock(&st->lock);
	why = flt_check_locked(st);
	pthread_mutex_unlock(&st->lock);
	if (msg)
		*msg = why;
	return why ? STATUS_INTERNAL_ERROR : STATUS_SUCCESS;
}
