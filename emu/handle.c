/* SPDX-License-Identifier: MIT */
/*
 * handle.c - handle tables.
 *
 * A table is an array of slots {object, access, generation}.  NT handles
 * encode slot i as (i + 1) << 2, so they are non-zero multiples of 4 as on
 * Windows.  Global handles (WinDriver's 32-bit buffer handles) encode
 * generation << 20 | (i + 1): a slot reused after its buffer died gets a new
 * generation, so a stale handle fails instead of naming a stranger's buffer.
 * A free hint avoids rescanning; the array doubles up to @max slots and
 * halves when the highest live slot falls below a quarter.  Each live slot
 * holds one reference on its object.
 */
#include <string.h>
#include "emu.h"

#define GLOBAL_INDEX_BITS 20u
#define GLOBAL_INDEX_MASK ((1u << GLOBAL_INDEX_BITS) - 1)
#define HANDLE_MIN_CAP 16u

/* handle_table_init() - an empty table of at most @max slots. */
void handle_table_init(struct handle_table *t, enum handle_encoding enc, uint32_t max)
{
	memset(t, 0, sizeof(*t));
	t->enc = enc;
	if (enc == HANDLE_ENC_GLOBAL && max > GLOBAL_INDEX_MASK - 1)
		max = GLOBAL_INDEX_MASK - 1;
	if (enc == HANDLE_ENC_NT && max > (1u << 24))
		max = 1u << 24;
	t->max = max;
}

/* handle_table_fini() - free the slots (the caller closed the handles). */
void handle_table_fini(struct handle_table *t)
{
	kmemu__free(t->entries);
	memset(t, 0, sizeof(*t));
}

static uint32_t handle_encode(const struct handle_table *t, uint32_t i)
{
	if (t->enc == HANDLE_ENC_NT)
		return (i + 1) << 2;
	return ((uint32_t)(t->entries[i].gen & 0xFFFu) << GLOBAL_INDEX_BITS) | (i + 1);
}

/* Slot index of @h, or UINT32_MAX when @h cannot name a live slot. */
static uint32_t handle_decode(const struct handle_table *t, uint32_t h)
{
	uint32_t i;

	if (t->enc == HANDLE_ENC_NT) {
		if (h == 0 || (h & 3))
			return UINT32_MAX;
		i = (h >> 2) - 1;
	} else {
		if ((h & GLOBAL_INDEX_MASK) == 0)
			return UINT32_MAX;
		i = (h & GLOBAL_INDEX_MASK) - 1;
	}
	if (i >= t->cap || !t->entries[i].obj)
		return UINT32_MAX;
	if (t->enc == HANDLE_ENC_GLOBAL && (t->entries[i].gen & 0xFFFu) != h >> GLOBAL_INDEX_BITS)
		return UINT32_MAX;
	return i;
}

/**
 * handle_alloc() - give @obj a handle.
 * @t:      table.
 * @obj:    object; the slot takes a reference.
 * @access: granted access mask.
 * @out:    receives the handle value.
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES when the table is at
 * its maximum (handle exhaustion); STATUS_NO_MEMORY when the slot array
 * cannot grow (or the fault simulator fails the handle acquisition).
 */
kmemu_status handle_alloc(struct handle_table *t, struct kmemu_obj *obj, uint32_t access,
			  uint32_t *out)
{
	uint32_t i;

	if (kmemu__fault_should_fail(KMEMU_FAULT_HANDLES))
		return STATUS_NO_MEMORY;
	for (i = t->free_hint; i < t->cap && t->entries[i].obj; i++)
		;
	if (i == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : HANDLE_MIN_CAP;
		struct handle_entry *e;

		if (t->cap >= t->max)
			return STATUS_INSUFFICIENT_RESOURCES;
		if (cap > t->max)
			cap = t->max;
		e = kmemu__realloc(t->entries, (size_t)cap * sizeof(*e));
		if (!e)
			return STATUS_NO_MEMORY;
		memset(e + t->cap, 0, (size_t)(cap - t->cap) * sizeof(*e));
		t->entries = e;
		t->cap = cap;
	}
	t->entries[i].obj = obj;
	t->entries[i].access = access;
	t->entries[i].gen++;
	if (t->enc == HANDLE_ENC_GLOBAL && (t->entries[i].gen & 0xFFFu) == 0)
		t->entries[i].gen++;
	kmemu_obj_ref(obj);
	obj->handle_count++;
	t->used++;
	t->free_hint = i + 1;
	if (i + 1 > t->last_used)
		t->last_used = i + 1;
	*out = handle_encode(t, i);
	return STATUS_SUCCESS;
}

/**
 * handle_lookup() - the object a handle names, with a new reference.
 * @t:      table.
 * @h:      handle value.
 * @type:   required type, or NULL for any.
 * @access: access bits the caller needs.
 * @out:    receives the object (the caller must kmemu_obj_unref() it).
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_HANDLE (0, malformed, free or stale);
 * STATUS_OBJECT_TYPE_MISMATCH; STATUS_ACCESS_DENIED.
 */
kmemu_status handle_lookup(struct handle_table *t, uint32_t h, const struct kmemu_obj_ops *type,
			   uint32_t access, struct kmemu_obj **out)
{
	uint32_t i = handle_decode(t, h);

	if (i == UINT32_MAX)
		return STATUS_INVALID_HANDLE;
	if (type && t->entries[i].obj->ops != type)
		return STATUS_OBJECT_TYPE_MISMATCH;
	if ((t->entries[i].access & access) != access)
		return STATUS_ACCESS_DENIED;
	kmemu_obj_ref(t->entries[i].obj);
	*out = t->entries[i].obj;
	return STATUS_SUCCESS;
}

/**
 * handle_granted() - the access a live handle grants.
 * @t: table.
 * @h: handle value.
 * Context: caller holds the machine lock.
 * Return: the granted access mask, 0 when @h names no live handle.
 */
uint32_t handle_granted(const struct handle_table *t, uint32_t h)
{
	uint32_t i = handle_decode(t, h);

	return i == UINT32_MAX ? 0 : t->entries[i].access;
}

/**
 * handle_close() - free a handle and drop its reference.
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_HANDLE.
 */
kmemu_status handle_close(struct handle_table *t, uint32_t h)
{
	uint32_t i = handle_decode(t, h);
	struct kmemu_obj *obj;

	if (i == UINT32_MAX)
		return STATUS_INVALID_HANDLE;
	obj = t->entries[i].obj;
	t->entries[i].obj = NULL;
	t->entries[i].access = 0;
	t->used--;
	if (i < t->free_hint)
		t->free_hint = i;
	while (t->last_used && !t->entries[t->last_used - 1].obj)
		t->last_used--;
	/* Global tables never shrink: their slots' generations must survive. */
	if (t->enc == HANDLE_ENC_NT && t->cap > HANDLE_MIN_CAP && t->last_used < t->cap / 4) {
		uint32_t cap = t->cap / 2;
		struct handle_entry *e = kmemu__realloc(t->entries, (size_t)cap * sizeof(*e));

		if (e) {  /* a failed shrink is benign: the table stays larger */
			t->entries = e;
			t->cap = cap;
			if (t->free_hint > cap)
				t->free_hint = cap;
		}
	}
	obj->handle_count--;
	kmemu_obj_unref(obj);
	return STATUS_SUCCESS;
}

/**
 * handle_table_check() - verify counts, hint and last-used mark.
 * Return: 1 if all hold, 0 otherwise with @msg set.
 */
int handle_table_check(const struct handle_table *t, const char **msg)
{
	uint32_t used = 0, last = 0;

	for (uint32_t i = 0; i < t->cap; i++) {
		if (t->entries[i].obj) {
			used++;
			last = i + 1;
			if (t->entries[i].obj->refcount == 0) {
				*msg = "handle: live slot names a dead object";
				return 0;
			}
		} else if (i < t->free_hint) {
			*msg = "handle: free slot below the free hint";
			return 0;
		}
	}
	if (used != t->used || last != t->last_used || t->cap > t->max) {
		*msg = "handle: used count, last-used mark or capacity is wrong";
		return 0;
	}
	return 1;
}
