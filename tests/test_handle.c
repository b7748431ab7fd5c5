/* SPDX-License-Identifier: MIT */
/*
 * test_handle.c - unit tests of handle tables (emu/handle.c) and the object
 * header (emu/object.c).
 *
 * A tiny object type of our own, "TestObject", counts its destructions, so
 * the tests see exactly when the last reference goes.  A second type with
 * the same destructor checks type matching by ops pointer.
 *
 *   NT:     slot i <-> (i + 1) << 2            4, 8, 12 ...
 *   GLOBAL: slot i <-> gen << 20 | (i + 1)     0x100001, 0x100002 ...
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "emu.h"
#include "kmemu_test.h"

/* ---- the test object type ------------------------------------------------------ */

struct tobj {
	struct kmemu_obj hdr;  /* common header */
	int id;                /* label */
};

static unsigned n_destroyed;  /* destructor calls since the test began */

static void tobj_destroy(struct kmemu_obj *obj)
{
	n_destroyed++;
	kmemu__free(obj);
}

static const struct kmemu_obj_ops tobj_ops = {
	.type_name = "TestObject",  /* type_name */
	.destroy = tobj_destroy,    /* destroy */
};

static const struct kmemu_obj_ops other_ops = {
	.type_name = "OtherObject",  /* type_name */
	.destroy = tobj_destroy,     /* destroy */
};

static struct tobj *tobj_new(const struct kmemu_obj_ops *ops, int id)
{
	struct tobj *o = kmemu__calloc(1, sizeof(*o));

	assert_non_null(o);
	kmemu_obj_init(&o->hdr, ops);
	o->id = id;
	return o;
}

static int test_setup(void **state)
{
	(void)state;
	n_destroyed = 0;
	return 0;
}

static void ht_assert_ok(const struct handle_table *t, const char *file, int line)
{
	const char *msg = "";

	if (!handle_table_check(t, &msg)) {
		print_error("handle_table_check: %s\n", msg);
		_fail(file, line);
	}
}
#define HT_OK(t) ht_assert_ok((t), __FILE__, __LINE__)

static uint32_t halloc(struct handle_table *t, struct tobj *o, uint32_t access)
{
	uint32_t h = 0;

	assert_status(handle_alloc(t, &o->hdr, access, &h), STATUS_SUCCESS);
	assert_int_not_equal(h, 0);
	return h;
}

/* ---- encodings ------------------------------------------------------------------- */

static void test_handle_nt_encoding(void **state)
{
	KT_HEAP_BEGIN();
	struct handle_table t;
	struct tobj *o = tobj_new(&tobj_ops, 1);
	uint32_t h[50];

	(void)state;
	handle_table_init(&t, HANDLE_ENC_NT, 1000);
	for (unsigned i = 0; i < 50; i++) {
		h[i] = halloc(&t, o, 1);
		assert_u64_equal(h[i] % 4, 0);
		assert_u64_equal(h[i], (i + 1) * 4);
	}
	HT_OK(&t);
	assert_u64_equal(t.used, 50);
	assert_u64_equal(o->hdr.refcount, 51);
	assert_u64_equal(o->hdr.handle_count, 50);
	for (unsigned i = 0; i < 50; i++)
		assert_status(handle_close(&t, h[i]), STATUS_SUCCESS);
	HT_OK(&t);
	assert_u64_equal(o->hdr.refcount, 1);
	assert_u64_equal(o->hdr.handle_count, 0);
	assert_u64_equal(n_destroyed, 0);
	kmemu_obj_unref(&o->hdr);
	assert_u64_equal(n_destroyed, 1);
	handle_table_fini(&t);
	KT_HEAP_CLEAN();
}

static void test_handle_global_encoding(void **state)
{
	KT_HEAP_BEGIN();
	struct handle_table t;
	struct tobj *o = tobj_new(&tobj_ops, 1);
	struct kmemu_obj *got;
	uint32_t a, b, a2, prev;

	(void)state;
	handle_table_init(&t, HANDLE_ENC_GLOBAL, UINT32_MAX);
	assert_true(t.max < (1u << 20));  /* clamped to the 20 index bits */
	a = halloc(&t, o, 0);
	b = halloc(&t, o, 0);
	assert_u64_equal(a, (1u << 20) | 1);
	assert_u64_equal(b, (1u << 20) | 2);
	/* slot 0 reused: a new generation, and the old value is stale */
	assert_status(handle_close(&t, a), STATUS_SUCCESS);
	a2 = halloc(&t, o, 0);
	assert_u64_equal(a2, (2u << 20) | 1);
	assert_status(handle_lookup(&t, a, NULL, 0, &got), STATUS_INVALID_HANDLE);
	assert_status(handle_close(&t, a), STATUS_INVALID_HANDLE);
	assert_status(handle_lookup(&t, a2, &tobj_ops, 0, &got), STATUS_SUCCESS);
	assert_ptr_equal(got, &o->hdr);
	kmemu_obj_unref(got);
	HT_OK(&t);

	/* thousands of reuses: the generation never encodes as 0 and a value is
	 * never handed out twice in a row */
	prev = a2;
	for (unsigned i = 0; i < 5000; i++) {
		uint32_t h;

		assert_status(handle_close(&t, prev), STATUS_SUCCESS);
		h = halloc(&t, o, 0);
		assert_u64_equal(h & 0xFFFFF, 1);
		if ((h >> 20) == 0 || h == prev) {
			print_error("reuse %u: handle 0x%08x after 0x%08x\n", i, h, prev);
			fail();
		}
		prev = h;
	}
	assert_status(handle_close(&t, prev), STATUS_SUCCESS);
	assert_status(handle_close(&t, b), STATUS_SUCCESS);
	HT_OK(&t);
	kmemu_obj_unref(&o->hdr);
	assert_u64_equal(n_destroyed, 1);
	handle_table_fini(&t);
	KT_HEAP_CLEAN();
}

/* ---- lookup ---------------------------------------------------------------------- */

static void test_handle_lookup_type_access(void **state)
{
	KT_HEAP_BEGIN();
	struct handle_table t;
	struct tobj *o = tobj_new(&tobj_ops, 7);
	struct kmemu_obj *got, *untouched = (struct kmemu_obj *)0x1;
	uint32_t h;

	(void)state;
	handle_table_init(&t, HANDLE_ENC_NT, 64);
	h = halloc(&t, o, 0x3);

	/* the right type and a granted subset of access: a new reference */
	assert_status(handle_lookup(&t, h, &tobj_ops, 0x1, &got), STATUS_SUCCESS);
	assert_ptr_equal(got, &o->hdr);
	assert_int_equal(((struct tobj *)got)->id, 7);
	assert_u64_equal(o->hdr.refcount, 3);
	kmemu_obj_unref(got);
	assert_status(handle_lookup(&t, h, &tobj_ops, 0x3, &got), STATUS_SUCCESS);
	kmemu_obj_unref(got);
	assert_status(handle_lookup(&t, h, NULL, 0, &got), STATUS_SUCCESS);  /* any type */
	kmemu_obj_unref(got);
	assert_u64_equal(o->hdr.refcount, 2);

	/* wrong type; access not granted; type is checked first */
	got = untouched;
	assert_status(handle_lookup(&t, h, &other_ops, 0, &got), STATUS_OBJECT_TYPE_MISMATCH);
	assert_status(handle_lookup(&t, h, &tobj_ops, 0x4, &got), STATUS_ACCESS_DENIED);
	assert_status(handle_lookup(&t, h, &tobj_ops, 0x7, &got), STATUS_ACCESS_DENIED);
	assert_status(handle_lookup(&t, h, &other_ops, 0x4, &got), STATUS_OBJECT_TYPE_MISMATCH);
	assert_ptr_equal(got, untouched);
	assert_u64_equal(o->hdr.refcount, 2);

	assert_status(handle_close(&t, h), STATUS_SUCCESS);
	kmemu_obj_unref(&o->hdr);
	assert_u64_equal(n_destroyed, 1);
	HT_OK(&t);
	handle_table_fini(&t);
	KT_HEAP_CLEAN();
}

static void test_handle_invalid(void **state)
{
	KT_HEAP_BEGIN();
	static const uint32_t nt_bad[] = { 0, 1, 2, 3, 5, 6, 7, 8, 12, 64, 4000, 0xFFFFFFFC,
					   0xFFFFFFFF };
	struct handle_table t, g;
	struct tobj *o = tobj_new(&tobj_ops, 1);
	struct kmemu_obj *got;
	uint32_t h, gh, gh_old;

	(void)state;
	handle_table_init(&t, HANDLE_ENC_NT, 64);
	/* an empty table knows no handle */
	assert_status(handle_lookup(&t, 4, NULL, 0, &got), STATUS_INVALID_HANDLE);
	assert_status(handle_close(&t, 4), STATUS_INVALID_HANDLE);
	h = halloc(&t, o, 0);
	assert_u64_equal(h, 4);
	for (unsigned i = 0; i < KT_ARRAY_SIZE(nt_bad); i++) {
		if (handle_lookup(&t, nt_bad[i], NULL, 0, &got) != STATUS_INVALID_HANDLE ||
		    handle_close(&t, nt_bad[i]) != STATUS_INVALID_HANDLE) {
			print_error("NT handle 0x%08x was accepted\n", nt_bad[i]);
			fail();
		}
	}
	assert_status(handle_close(&t, h), STATUS_SUCCESS);
	assert_status(handle_close(&t, h), STATUS_INVALID_HANDLE);        /* closed */
	assert_status(handle_lookup(&t, h, NULL, 0, &got), STATUS_INVALID_HANDLE);
	HT_OK(&t);

	handle_table_init(&g, HANDLE_ENC_GLOBAL, 64);
	gh_old = halloc(&g, o, 0);
	assert_status(handle_close(&g, gh_old), STATUS_SUCCESS);
	gh = halloc(&g, o, 0);                                            /* same slot */
	assert_status(handle_lookup(&g, gh_old, NULL, 0, &got), STATUS_INVALID_HANDLE);  /* stale */
	assert_status(handle_lookup(&g, 0, NULL, 0, &got), STATUS_INVALID_HANDLE);
	assert_status(handle_lookup(&g, 1, NULL, 0, &got), STATUS_INVALID_HANDLE);  /* gen 0 */
	assert_status(handle_lookup(&g, 1u << 20, NULL, 0, &got), STATUS_INVALID_HANDLE);
	assert_status(handle_lookup(&g, gh + 1, NULL, 0, &got), STATUS_INVALID_HANDLE);
	assert_status(handle_lookup(&g, gh + (5u << 20), NULL, 0, &got), STATUS_INVALID_HANDLE);
	assert_status(handle_lookup(&g, (gh & ~0xFFFFFu) | 0xFFFFF, NULL, 0, &got),
		      STATUS_INVALID_HANDLE);
	assert_status(handle_close(&g, gh), STATUS_SUCCESS);
	assert_status(handle_close(&g, gh), STATUS_INVALID_HANDLE);
	HT_OK(&g);

	kmemu_obj_unref(&o->hdr);
	assert_u64_equal(n_destroyed, 1);
	handle_table_fini(&t);
	handle_table_fini(&g);
	KT_HEAP_CLEAN();
}

/* ---- exhaustion and memory failure --------------------------------------------------- */

static void exhaust(enum handle_encoding enc)
{
	struct handle_table t;
	struct tobj *o = tobj_new(&tobj_ops, 1);
	uint32_t h[20], extra = 0;

	handle_table_init(&t, enc, 20);
	for (unsigned i = 0; i < 20; i++)
		h[i] = halloc(&t, o, 0);
	assert_u64_equal(t.cap, 20);
	/* the table is at its maximum: exhaustion, not out of memory */
	assert_status(handle_alloc(&t, &o->hdr, 0, &extra), STATUS_INSUFFICIENT_RESOURCES);
	assert_u64_equal(extra, 0);
	assert_u64_equal(t.used, 20);
	assert_u64_equal(o->hdr.refcount, 21);
	HT_OK(&t);
	/* a freed slot is usable again */
	assert_status(handle_close(&t, h[7]), STATUS_SUCCESS);
	h[7] = halloc(&t, o, 0);
	assert_status(handle_alloc(&t, &o->hdr, 0, &extra), STATUS_INSUFFICIENT_RESOURCES);
	for (unsigned i = 0; i < 20; i++)
		assert_status(handle_close(&t, h[i]), STATUS_SUCCESS);
	HT_OK(&t);
	kmemu_obj_unref(&o->hdr);
	handle_table_fini(&t);
}

static void test_handle_exhaustion(void **state)
{
	KT_HEAP_BEGIN();

	(void)state;
	exhaust(HANDLE_ENC_NT);
	exhaust(HANDLE_ENC_GLOBAL);
	assert_u64_equal(n_destroyed, 2);
	KT_HEAP_CLEAN();
}

static void test_handle_no_memory(void **state)
{
	KT_HEAP_BEGIN();
	struct kmemu_fault_config heap = { .mode = KMEMU_FAULT_NTH, .n = 0,
					   .resources = KMEMU_FAULT_HEAP };
	struct kmemu_fault_config handles = { .mode = KMEMU_FAULT_NTH, .n = 0,
					      .resources = KMEMU_FAULT_HANDLES };
	struct handle_table t;
	struct tobj *o = tobj_new(&tobj_ops, 1);
	uint32_t h[17], extra = 0;

	(void)state;
	handle_table_init(&t, HANDLE_ENC_NT, 1000);
	/* the first slot array cannot be allocated */
	assert_status(kmemu_fault_set(&heap), STATUS_SUCCESS);
	assert_status(handle_alloc(&t, &o->hdr, 0, &extra), STATUS_NO_MEMORY);
	kmemu_fault_set(NULL);
	assert_u64_equal(t.cap, 0);
	assert_u64_equal(t.used, 0);
	assert_u64_equal(o->hdr.refcount, 1);
	HT_OK(&t);

	/* a full array cannot grow from 16 to 32 */
	for (unsigned i = 0; i < 16; i++)
		h[i] = halloc(&t, o, 0);
	assert_status(kmemu_fault_set(&heap), STATUS_SUCCESS);
	assert_status(handle_alloc(&t, &o->hdr, 0, &extra), STATUS_NO_MEMORY);
	kmemu_fault_set(NULL);
	assert_u64_equal(t.cap, 16);
	assert_u64_equal(t.used, 16);
	assert_u64_equal(o->hdr.refcount, 17);
	HT_OK(&t);

	/* the handle acquisition itself fails, though a slot is free */
	assert_status(handle_close(&t, h[3]), STATUS_SUCCESS);
	assert_status(kmemu_fault_set(&handles), STATUS_SUCCESS);
	assert_status(handle_alloc(&t, &o->hdr, 0, &extra), STATUS_NO_MEMORY);
	kmemu_fault_set(NULL);
	assert_u64_equal(extra, 0);
	assert_u64_equal(t.used, 15);
	h[3] = halloc(&t, o, 0);
	assert_u64_equal(h[3], 16);  /* the free slot, index 3 */
	HT_OK(&t);

	for (unsigned i = 0; i < 16; i++)
		assert_status(handle_close(&t, h[i]), STATUS_SUCCESS);
	kmemu_obj_unref(&o->hdr);
	assert_u64_equal(n_destroyed, 1);
	handle_table_fini(&t);
	KT_HEAP_CLEAN();
}

/* ---- growth, shrink and the free hint ------------------------------------------------ */

static void test_handle_grow_shrink(void **state)
{
	KT_HEAP_BEGIN();
	struct kmemu_fault_config heap = { .mode = KMEMU_FAULT_EVERY_NTH, .n = 1,
					   .resources = KMEMU_FAULT_HEAP };
	struct handle_table t, g;
	struct tobj *o = tobj_new(&tobj_ops, 1);
	uint32_t h[100];

	(void)state;
	handle_table_init(&t, HANDLE_ENC_NT, 1024);
	for (unsigned i = 0; i < 100; i++) {
		h[i] = halloc(&t, o, 0);
		if (i == 0)
			assert_u64_equal(t.cap, 16);
		if (i == 16)
			assert_u64_equal(t.cap, 32);
	}
	assert_u64_equal(t.cap, 128);
	assert_u64_equal(t.last_used, 100);

	/* closing low slots never shrinks: slot 99 is still live */
	for (unsigned i = 0; i < 99; i++)
		assert_status(handle_close(&t, h[i]), STATUS_SUCCESS);
	assert_u64_equal(t.cap, 128);
	assert_u64_equal(t.last_used, 100);
	assert_u64_equal(t.free_hint, 0);
	HT_OK(&t);
	for (unsigned i = 0; i < 99; i++)
		h[i] = halloc(&t, o, 0);

	/* closing from the top halves the array once the top falls below a quarter */
	for (int i = 99; i >= 0; i--) {
		assert_status(handle_close(&t, h[i]), STATUS_SUCCESS);
		HT_OK(&t);
		if (t.cap > 16 && t.last_used < t.cap / 4) {
			print_error("cap %u with last_used %u: not shrunk\n", t.cap, t.last_used);
			fail();
		}
		if (i == 32)
			assert_u64_equal(t.cap, 128);
		if (i == 31)
			assert_u64_equal(t.cap, 64);
		if (i == 15)
			assert_u64_equal(t.cap, 32);
		if (i == 7)
			assert_u64_equal(t.cap, 16);
	}
	assert_u64_equal(t.cap, 16);
	assert_u64_equal(t.used, 0);

	/* a shrink that cannot get memory is skipped; the close still works */
	for (unsigned i = 0; i < 40; i++)
		h[i] = halloc(&t, o, 0);
	assert_u64_equal(t.cap, 64);
	for (int i = 39; i >= 0; i--) {
		if (i == 7)
			assert_status(kmemu_fault_set(&heap), STATUS_SUCCESS);
		assert_status(handle_close(&t, h[i]), STATUS_SUCCESS);
		HT_OK(&t);
	}
	kmemu_fault_set(NULL);
	assert_u64_equal(t.cap, 32);  /* shrunk to 32 at slot 15; every later shrink failed */
	handle_table_fini(&t);

	/* a global table never shrinks: slot generations must survive */
	handle_table_init(&g, HANDLE_ENC_GLOBAL, 1024);
	for (unsigned i = 0; i < 100; i++)
		h[i] = halloc(&g, o, 0);
	for (int i = 99; i >= 0; i--)
		assert_status(handle_close(&g, h[i]), STATUS_SUCCESS);
	assert_u64_equal(g.cap, 128);
	HT_OK(&g);
	handle_table_fini(&g);

	kmemu_obj_unref(&o->hdr);
	assert_u64_equal(n_destroyed, 1);
	KT_HEAP_CLEAN();
}

static void test_handle_free_hint(void **state)
{
	KT_HEAP_BEGIN();
	struct handle_table t;
	struct tobj *o = tobj_new(&tobj_ops, 1);
	uint32_t h[13];

	(void)state;
	handle_table_init(&t, HANDLE_ENC_NT, 64);
	for (unsigned i = 0; i < 10; i++)
		h[i] = halloc(&t, o, 0);
	assert_u64_equal(t.free_hint, 10);
	assert_status(handle_close(&t, h[5]), STATUS_SUCCESS);
	assert_u64_equal(t.free_hint, 5);
	assert_status(handle_close(&t, h[2]), STATUS_SUCCESS);
	assert_u64_equal(t.free_hint, 2);
	HT_OK(&t);
	/* the lowest free slot first, then the next one, then past the end */
	h[2] = halloc(&t, o, 0);
	assert_u64_equal(h[2], 3 * 4);
	assert_u64_equal(t.free_hint, 3);
	h[5] = halloc(&t, o, 0);
	assert_u64_equal(h[5], 6 * 4);
	h[10] = halloc(&t, o, 0);
	assert_u64_equal(h[10], 11 * 4);
	HT_OK(&t);
	/* closing the top slot lowers last_used past every free slot below it */
	assert_status(handle_close(&t, h[9]), STATUS_SUCCESS);
	assert_status(handle_close(&t, h[10]), STATUS_SUCCESS);
	assert_u64_equal(t.last_used, 9);
	HT_OK(&t);
	for (unsigned i = 0; i < 9; i++)
		assert_status(handle_close(&t, h[i]), STATUS_SUCCESS);
	assert_u64_equal(t.last_used, 0);
	assert_u64_equal(t.used, 0);
	kmemu_obj_unref(&o->hdr);
	handle_table_fini(&t);
	KT_HEAP_CLEAN();
}

/* ---- object lifetime ----------------------------------------------------------------- */

static void test_handle_destroy_counting(void **state)
{
	KT_HEAP_BEGIN();
	struct handle_table t, g;
	struct tobj *a = tobj_new(&tobj_ops, 1), *b = tobj_new(&other_ops, 2);
	struct kmemu_obj *got;
	uint32_t ha1, ha2, hga, hb;

	(void)state;
	handle_table_init(&t, HANDLE_ENC_NT, 64);
	handle_table_init(&g, HANDLE_ENC_GLOBAL, 64);
	ha1 = halloc(&t, a, 0);
	ha2 = halloc(&t, a, 0);
	hga = halloc(&g, a, 0);
	hb = halloc(&t, b, 0);
	assert_u64_equal(a->hdr.handle_count, 3);
	assert_u64_equal(a->hdr.refcount, 4);
	/* the creator lets go: handles keep the objects alive */
	kmemu_obj_unref(&a->hdr);
	kmemu_obj_unref(&b->hdr);
	assert_u64_equal(n_destroyed, 0);
	/* a lookup reference outlives the last handle */
	assert_status(handle_lookup(&t, hb, &other_ops, 0, &got), STATUS_SUCCESS);
	assert_status(handle_close(&t, hb), STATUS_SUCCESS);
	assert_u64_equal(n_destroyed, 0);
	assert_u64_equal(got->handle_count, 0);
	kmemu_obj_unref(got);
	assert_u64_equal(n_destroyed, 1);
	/* the last of three handles, in two tables, destroys it */
	assert_status(handle_close(&t, ha2), STATUS_SUCCESS);
	assert_status(handle_close(&g, hga), STATUS_SUCCESS);
	assert_u64_equal(n_destroyed, 1);
	assert_u64_equal(a->hdr.handle_count, 1);
	assert_status(handle_close(&t, ha1), STATUS_SUCCESS);
	assert_u64_equal(n_destroyed, 2);
	HT_OK(&t);
	HT_OK(&g);
	handle_table_fini(&t);
	handle_table_fini(&g);
	KT_HEAP_CLEAN();
}

/* ---- the checker catches corruption ----------------------------------------------------- */

static void ht_expect_broken(const struct handle_table *t, const char *want, const char *what)
{
	const char *msg = NULL;

	if (handle_table_check(t, &msg)) {
		print_error("handle_table_check passed after: %s\n", what);
		fail();
	}
	assert_non_null(msg);
	if (!strstr(msg, want)) {
		print_error("after %s: message \"%s\" lacks \"%s\"\n", what, msg, want);
		fail();
	}
}

static void test_handle_check_detects_corruption(void **state)
{
	KT_HEAP_BEGIN();
	struct handle_table t, saved;
	struct tobj *o = tobj_new(&tobj_ops, 1);
	uint32_t h[4];

	(void)state;
	handle_table_init(&t, HANDLE_ENC_NT, 64);
	for (unsigned i = 0; i < 4; i++)
		h[i] = halloc(&t, o, 0);
	assert_status(handle_close(&t, h[1]), STATUS_SUCCESS);  /* slot 1 free, hint 1 */
	HT_OK(&t);
	saved = t;

	t.used++;
	ht_expect_broken(&t, "used count", "used++");
	t = saved;
	t.last_used = 2;
	ht_expect_broken(&t, "last-used", "last_used too low");
	t = saved;
	t.free_hint = 3;  /* slot 1 is free below it */
	ht_expect_broken(&t, "below the free hint", "free_hint past a free slot");
	t = saved;
	t.max = 8;        /* cap is 16 */
	ht_expect_broken(&t, "capacity", "cap above max");
	t = saved;
	o->hdr.refcount = 0;
	ht_expect_broken(&t, "dead object", "refcount 0 under a live handle");
	o->hdr.refcount = 4;
	HT_OK(&t);

	assert_status(handle_close(&t, h[0]), STATUS_SUCCESS);
	assert_status(handle_close(&t, h[2]), STATUS_SUCCESS);
	assert_status(handle_close(&t, h[3]), STATUS_SUCCESS);
	kmemu_obj_unref(&o->hdr);
	assert_u64_equal(n_destroyed, 1);
	handle_table_fini(&t);
	KT_HEAP_CLEAN();
}

#define HT_TEST(f) cmocka_unit_test_setup(f, test_setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		HT_TEST(test_handle_nt_encoding),
		HT_TEST(test_handle_global_encoding),
		HT_TEST(test_handle_lookup_type_access),
		HT_TEST(test_handle_invalid),
		HT_TEST(test_handle_exhaustion),
		HT_TEST(test_handle_no_memory),
		HT_TEST(test_handle_grow_shrink),
		HT_TEST(test_handle_free_hint),
		HT_TEST(test_handle_destroy_counting),
		HT_TEST(test_handle_check_detects_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
