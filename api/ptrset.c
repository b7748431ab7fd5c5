/* SPDX-License-Identifier: MIT */
/*
 * ptrset.c - the set of live pointers both frameworks (KMDF, Filter Manager)
 * keep, so a pointer or handle from driver code is looked up before it is
 * read.
 *
 * Open addressing with linear probing over a power-of-two table, kept at
 * most half full.  Deletion shifts later entries of the probe chain back
 * instead of leaving tombstones, so a lookup stops at the first free slot
 * and chains stay as short as the load factor makes them, however many
 * adds and deletes came before.  The slots come from the counted heap, so
 * the fault simulator can fail a growth; the set is then unchanged.  The
 * slots are freed when the last pointer leaves.
 */
#include <stdint.h>
#include "core.h"

#define PTRSET_MIN_CAP 64

/* Home slot of @p in a table of @cap slots (a 64-bit finaliser: object
 * addresses share their low bits and their high bits). */
static size_t ptrset_hash(const void *p, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xFF51AFD7ED558CCDull;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

/* Rehash into @cap slots; 0 or -1 (no memory, the set unchanged). */
static int ptrset_grow(struct kmemu__ptrset *s, size_t cap)
{
	void **slots = kmemu__calloc(cap, sizeof(void *));

	if (!slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		void *p = s->slots[i];
		size_t j;

		if (!p)
			continue;
		for (j = ptrset_hash(p, cap); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = p;
	}
	kmemu__free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

int kmemu__ptrset_add(struct kmemu__ptrset *s, void *p)
{
	size_t j;

	if ((s->live + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap : PTRSET_MIN_CAP;

		while ((s->live + 1) * 4 > cap)
			cap *= 2;
		if (ptrset_grow(s, cap))
			return -1;
	}
	for (j = ptrset_hash(p, s->cap); s->slots[j]; j = (j + 1) & (s->cap - 1))
		;
	s->slots[j] = p;
	s->live++;
	return 0;
}

/* Slot of @p, or SIZE_MAX. */
static size_t ptrset_find(const struct kmemu__ptrset *s, const void *p)
{
	if (!s->cap || !p)
		return SIZE_MAX;
	for (size_t j = ptrset_hash(p, s->cap);; j = (j + 1) & (s->cap - 1)) {
		if (!s->slots[j])
			return SIZE_MAX;
		if (s->slots[j] == p)
			return j;
	}
}

int kmemu__ptrset_has(const struct kmemu__ptrset *s, const void *p)
{
	return ptrset_find(s, p) != SIZE_MAX;
}

void kmemu__ptrset_del(struct kmemu__ptrset *s, const void *p)
{
	size_t i = ptrset_find(s, p), mask = s->cap - 1;

	if (i == SIZE_MAX)
		return;
	for (size_t j = i;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!s->slots[j])
			break;
		k = ptrset_hash(s->slots[j], s->cap);
		/* an entry whose home lies cyclically in (i, j] stays */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->slots[i] = s->slots[j];
		i = j;
	}
	s->slots[i] = NULL;
	/* an empty set holds no memory, so once every object is gone the heap
	 * is back where it was before the first one came */
	if (!--s->live)
		kmemu__ptrset_fini(s);
}

void kmemu__ptrset_fini(struct kmemu__ptrset *s)
{
	kmemu__free(s->slots);
	s->slots = NULL;
	s->cap = 0;
	s->live = 0;
}

void *kmemu__ptrset_next(const struct kmemu__ptrset *s, size_t *pos)
{
	for (; *pos < s->cap; (*pos)++)
		if (s->slots[*pos])
			return s->slots[(*pos)++];
	return NULL;
}
