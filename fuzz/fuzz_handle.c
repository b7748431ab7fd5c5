/* SPDX-License-Identifier: MIT */
/*
 * fuzz_handle.c - libFuzzer harness for the handle tables (emu/handle.c),
 * both encodings side by side.
 *
 * Input: a 2-byte header - the slot limit of the NT table and of the global
 * table (0, 1 .. 249, 2^24 or UINT32_MAX) - then 4-byte records:
 *
 *   byte 0 % 8: 0,1 handle_alloc  2,3 handle_lookup  4,5 handle_close
 *               6 arm a fault (next handle slot or heap acquisition)
 *               7 handle_lookup of a garbage value with no type
 *   byte 0 & 8: which table (NT / global)
 *   bytes 1..3: object (one of 8, two types), access mask, or the handle:
 *               a live one, a closed one, a live one with one bit flipped,
 *               or a raw 16/32-bit value; required type and access
 *
 * A model (the live handles of each table: value, object, access) predicts
 * every status and every value: an NT handle is (lowest free slot + 1) << 2,
 * a global one has the lowest free slot + 1 in its low 20 bits and a
 * generation that makes it differ from every value the table issued before
 * (this input issues fewer than 4096, the generation period).  Lookups
 * return the right object with a new reference; refcounts and handle counts
 * of every object match the model; handle_table_check() passes after every
 * step.  At the end every handle is closed, each object is destroyed exactly
 * once when its creator reference goes, and the heap is back at its baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emu.h"

#define N_OBJS 8
#define MAX_LIVE 1100   /* records per input stay below this */

struct fobj {
	struct kmemu_obj hdr;  /* common header */
	int destroyed;         /* destroy calls */
};

static void fobj_destroy(struct kmemu_obj *o)
{
	((struct fobj *)o)->destroyed++;
}

static const struct kmemu_obj_ops type_a = { .type_name = "FuzzA", .destroy = fobj_destroy };
static const struct kmemu_obj_ops type_b = { .type_name = "FuzzB", .destroy = fobj_destroy };

struct live {
	uint32_t value;   /* handle */
	int obj;          /* object index */
	uint32_t access;  /* granted */
};

struct tmodel {
	struct handle_table t;      /* the table under test */
	struct live live[MAX_LIVE]; /* its live handles */
	unsigned n_live;            /* entries */
	uint32_t max;               /* slot limit as effective */
	uint32_t issued[MAX_LIVE];  /* every value issued (global table) */
	unsigned n_issued;          /* entries */
	uint32_t closed[16];        /* recently closed values */
	unsigned n_closed;          /* ring write counter */
};

static struct fobj objs[N_OBJS];
static struct tmodel tm[2];

static void die(const char *what, uint32_t value)
{
	fprintf(stderr, "fuzz_handle: %s (value 0x%08x)\n", what, value);
	abort();
}

static int find_live(const struct tmodel *m, uint32_t v)
{
	for (unsigned i = 0; i < m->n_live; i++)
		if (m->live[i].value == v)
			return (int)i;
	return -1;
}

/* Lowest slot index no live handle uses. */
static uint32_t lowest_free(const struct tmodel *m, int global)
{
	for (uint32_t i = 0;; i++) {
		uint32_t probe = 0;
		int used = 0;

		for (unsigned k = 0; k < m->n_live && !used; k++) {
			probe = global ? (m->live[k].value & 0xFFFFFu) - 1 : (m->live[k].value >> 2) - 1;
			used = probe == i;
		}
		if (!used)
			return i;
	}
}

static void check_all(void)
{
	const char *why = "";

	for (int g = 0; g < 2; g++)
		if (!handle_table_check(&tm[g].t, &why))
			die(why, 0);
	for (int o = 0; o < N_OBJS; o++) {
		uint32_t n = 0;

		for (int g = 0; g < 2; g++)
			for (unsigned i = 0; i < tm[g].n_live; i++)
				n += tm[g].live[i].obj == o;
		if (objs[o].hdr.handle_count != n || objs[o].hdr.refcount != 1 + n)
			die("an object's handle count or refcount differs from the model", (uint32_t)o);
		if (objs[o].destroyed)
			die("an object was destroyed while referenced", (uint32_t)o);
	}
}

static uint32_t max_of(uint8_t b, int global)
{
	uint32_t max = b < 250 ? b : b < 253 ? 1u << 24 : UINT32_MAX;

	/* handle_table_init() clamps to what the encoding can express */
	if (global && max > (1u << 20) - 2)
		max = (1u << 20) - 2;
	if (!global && max > (1u << 24))
		max = 1u << 24;
	return max;
}

/* A handle argument: live, recently closed, near-miss or raw. */
static uint32_t pick_handle(const struct tmodel *m, const uint8_t *r)
{
	switch (r[1] % 4) {
	case 0:
		return m->n_live ? m->live[r[2] % m->n_live].value : 4;
	case 1:
		return m->n_closed ? m->closed[r[2] % (m->n_closed < 16 ? m->n_closed : 16)] : 0;
	case 2:
		return (m->n_live ? m->live[r[2] % m->n_live].value : 0) ^ (1u << (r[3] % 32));
	default:
		return r[3] & 1 ? (uint32_t)(r[2] | r[3] << 8) : (uint32_t)r[2] << (r[3] % 32);
	}
}

/**
 * LLVMFuzzerTestOneInput() - run one handle-table program.
 * @data, @size: the input (see the file comment).
 * Return: 0 (broken invariants abort).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t hb0, hB0, hb1, hB1;
	int armed = 0;

	if (size < 2)
		return 0;
	kmemu_fault_set(NULL);
	kmemu__heap_stats(&hb0, &hB0);
	memset(tm, 0, sizeof(tm));
	for (int g = 0; g < 2; g++) {
		handle_table_init(&tm[g].t, g ? HANDLE_ENC_GLOBAL : HANDLE_ENC_NT,
				  data[g] < 250 ? data[g] : data[g] < 253 ? 1u << 24 : UINT32_MAX);
		tm[g].max = max_of(data[g], g);
		if (tm[g].t.max != tm[g].max)
			die("handle_table_init stored an unexpected slot limit", tm[g].t.max);
	}
	for (int o = 0; o < N_OBJS; o++) {
		memset(&objs[o], 0, sizeof(objs[o]));
		kmemu_obj_init(&objs[o].hdr, o & 1 ? &type_b : &type_a);
	}

	for (size_t off = 2; off + 4 <= size && off / 4 < MAX_LIVE - 1; off += 4) {
		const uint8_t *r = data + off;
		int g = (r[0] >> 3) & 1;
		struct tmodel *m = &tm[g];
		unsigned op = r[0] % 8;
		kmemu_status rc;

		if (op <= 1) {
			int o = r[1] % N_OBJS;
			uint32_t access = r[2], h = 0;
			uint32_t slot = lowest_free(m, g);

			rc = handle_alloc(&m->t, &objs[o].hdr, access, &h);
			if (m->n_live >= m->max) {
				if (rc != STATUS_INSUFFICIENT_RESOURCES && !(armed && rc == STATUS_NO_MEMORY))
					die("alloc in a full table did not fail with INSUFFICIENT_RESOURCES", rc);
			} else if (rc == STATUS_NO_MEMORY && armed) {
				/* the injected fault: nothing may change (checked below) */
			} else if (rc != STATUS_SUCCESS) {
				die("alloc failed with room in the table", rc);
			} else {
				if (!g && h != (slot + 1) << 2)
					die("an NT handle is not (lowest free slot + 1) << 2", h);
				if (g && ((h & 0xFFFFFu) != slot + 1 || !(h >> 20)))
					die("a global handle does not name the lowest free slot or has generation 0", h);
				if (g)
					for (unsigned i = 0; i < m->n_issued; i++)
						if (m->issued[i] == h)
							die("a global handle value was issued twice", h);
				m->live[m->n_live++] = (struct live){ .value = h, .obj = o, .access = access };
				if (g)
					m->issued[m->n_issued++] = h;
			}
		} else if (op <= 3 || op == 7) {
			uint32_t h = op == 7 ? (uint32_t)(r[1] | r[2] << 8 | r[3] << 16) : pick_handle(m, r);
			const struct kmemu_obj_ops *type = op == 7 ? NULL
				: (r[3] & 3) == 1 ? &type_a : (r[3] & 3) == 2 ? &type_b : NULL;
			uint32_t want = op == 7 ? 0 : (uint32_t)(r[3] >> 2) & 0x3F;
			struct kmemu_obj *out = NULL;
			int i = find_live(m, h);
			kmemu_status expect;

			if (i < 0)
				expect = STATUS_INVALID_HANDLE;
			else if (type && objs[m->live[i].obj].hdr.ops != type)
				expect = STATUS_OBJECT_TYPE_MISMATCH;
			else if ((m->live[i].access & want) != want)
				expect = STATUS_ACCESS_DENIED;
			else
				expect = STATUS_SUCCESS;
			rc = handle_lookup(&m->t, h, type, want, &out);
			if (rc != expect)
				die("lookup status differs from the model", h);
			if (!rc) {
				if (out != &objs[m->live[i].obj].hdr)
					die("lookup returned another object", h);
				kmemu_obj_unref(out);
			}
		} else if (op <= 5) {
			uint32_t h = pick_handle(m, r);
			int i = find_live(m, h);

			rc = handle_close(&m->t, h);
			if (rc != (i < 0 ? STATUS_INVALID_HANDLE : STATUS_SUCCESS))
				die("close status differs from the model", h);
			if (i >= 0) {
				m->closed[m->n_closed++ % 16] = h;
				m->live[i] = m->live[--m->n_live];
			}
		} else {
			struct kmemu_fault_config fc = {
				.mode = KMEMU_FAULT_NTH, .n = 0,
				.resources = r[1] & 1 ? KMEMU_FAULT_HANDLES : KMEMU_FAULT_HEAP,
			};

			kmemu_fault_set(&fc);
			armed = 1;
			continue;  /* stays armed for the next record only */
		}
		if (armed) {
			kmemu_fault_set(NULL);
			armed = 0;
		}
		check_all();
	}

	kmemu_fault_set(NULL);
	for (int g = 0; g < 2; g++) {
		while (tm[g].n_live) {
			uint32_t h = tm[g].live[--tm[g].n_live].value;

			if (handle_close(&tm[g].t, h))
				die("closing a live handle at the end failed", h);
		}
	}
	check_all();
	for (int g = 0; g < 2; g++)
		handle_table_fini(&tm[g].t);
	for (int o = 0; o < N_OBJS; o++) {
		kmemu_obj_unref(&objs[o].hdr);
		if (objs[o].destroyed != 1)
			die("an object was not destroyed exactly once by its last reference", (uint32_t)o);
	}
	kmemu__heap_stats(&hb1, &hB1);
	if (hb1 != hb0 || hB1 != hB0)
		die("heap not back at its baseline", (uint32_t)(hb1 - hb0));
	return 0;
}
