/* SPDX-License-Identifier: MIT */
/*
 * test_ptrset.c - unit tests of the set of live pointers (api/ptrset.c) the
 * KMDF and Filter Manager frameworks keep their live objects in.
 *
 * The set never dereferences what it holds, so most tests use made-up
 * addresses.  Where a test needs a probe chain of a given shape it finds
 * each pointer's home slot by inserting it alone into a fresh set and
 * reading where the iterator meets it, so the tests do not repeat the hash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core.h"
#include "kmemu_test.h"

/* A made-up, distinct, non-NULL pointer. */
static void *fake(size_t i)
{
	return (void *)(uintptr_t)((i + 1) * 16);
}

/* Slot index of @p in @s, or SIZE_MAX, found through the iterator. */
static size_t slot_of(const struct kmemu__ptrset *s, const void *p)
{
	size_t pos = 0;
	void *q;

	while ((q = kmemu__ptrset_next(s, &pos)))
		if (q == p)
			return pos - 1;
	return SIZE_MAX;
}

/* Home slot of @p in a table the size a first add makes. */
static size_t home_of(void *p, size_t *cap)
{
	struct kmemu__ptrset s = { 0 };
	size_t slot;

	assert_int_equal(kmemu__ptrset_add(&s, p), 0);
	*cap = s.cap;
	slot = slot_of(&s, p);
	kmemu__ptrset_fini(&s);
	return slot;
}

/* Heap blocks now (the set's slots are counted). */
static uint64_t heap_blocks(void)
{
	uint64_t blocks, bytes;

	kmemu__heap_stats(&blocks, &bytes);
	return blocks;
}

static void fault_nth(uint64_t n, uint32_t repeat)
{
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .resources = KMEMU_FAULT_HEAP,
					 .n = n, .repeat = repeat };

	assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
}

static int test_teardown(void **state)
{
	(void)state;
	kmemu_fault_set(NULL);
	return 0;
}

/* An all-zero set is empty: nothing found, nothing to delete or iterate. */
static void test_ptrset_empty(void **state)
{
	struct kmemu__ptrset s = { 0 };
	size_t pos = 0;
	uint64_t blocks = heap_blocks();

	(void)state;
	assert_false(kmemu__ptrset_has(&s, NULL));
	assert_false(kmemu__ptrset_has(&s, fake(0)));
	kmemu__ptrset_del(&s, fake(0));
	assert_null(kmemu__ptrset_next(&s, &pos));
	assert_int_equal(s.live, 0);
	kmemu__ptrset_fini(&s);
	assert_null(s.slots);
	assert_u64_equal(heap_blocks(), blocks);
}

/* Add, find, delete; deleting an absent pointer changes nothing. */
static void test_ptrset_add_has_del(void **state)
{
	struct kmemu__ptrset s = { 0 };
	int x, y, z;
	uint64_t blocks = heap_blocks();

	(void)state;
	assert_int_equal(kmemu__ptrset_add(&s, &x), 0);
	assert_int_equal(kmemu__ptrset_add(&s, &y), 0);
	assert_int_equal(s.live, 2);
	assert_true(kmemu__ptrset_has(&s, &x));
	assert_true(kmemu__ptrset_has(&s, &y));
	assert_false(kmemu__ptrset_has(&s, &z));
	assert_false(kmemu__ptrset_has(&s, NULL));
	kmemu__ptrset_del(&s, &z);
	assert_int_equal(s.live, 2);
	kmemu__ptrset_del(&s, &x);
	assert_int_equal(s.live, 1);
	assert_false(kmemu__ptrset_has(&s, &x));
	assert_true(kmemu__ptrset_has(&s, &y));
	kmemu__ptrset_del(&s, &x);
	assert_int_equal(s.live, 1);
	/* a pointer can come back after it left */
	assert_int_equal(kmemu__ptrset_add(&s, &x), 0);
	assert_true(kmemu__ptrset_has(&s, &x));
	assert_u64_equal(heap_blocks(), blocks + 1);
	kmemu__ptrset_fini(&s);
	assert_int_equal(s.live, 0);
	assert_int_equal(s.cap, 0);
	assert_false(kmemu__ptrset_has(&s, &y));
	assert_u64_equal(heap_blocks(), blocks);
}

/* The last delete frees the slots: an emptied set holds no memory, and the
 * next add makes a table again. */
static void test_ptrset_empty_frees(void **state)
{
	struct kmemu__ptrset s = { 0 };
	uint64_t blocks = heap_blocks();

	(void)state;
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(kmemu__ptrset_add(&s, fake(i)), 0);
	assert_u64_equal(heap_blocks(), blocks + 1);
	for (size_t i = 0; i < 99; i++)
		kmemu__ptrset_del(&s, fake(i));
	assert_non_null(s.slots);
	assert_true(kmemu__ptrset_has(&s, fake(99)));
	kmemu__ptrset_del(&s, fake(99));
	assert_int_equal(s.live, 0);
	assert_int_equal(s.cap, 0);
	assert_null(s.slots);
	assert_u64_equal(heap_blocks(), blocks);
	assert_false(kmemu__ptrset_has(&s, fake(99)));
	assert_int_equal(kmemu__ptrset_add(&s, fake(7)), 0);
	assert_true(kmemu__ptrset_has(&s, fake(7)));
	kmemu__ptrset_del(&s, fake(7));
	assert_u64_equal(heap_blocks(), blocks);
}

/* The table stays a power of two at most half full as it grows, every
 * pointer stays findable, and the iterator meets each exactly once. */
static void test_ptrset_growth(void **state)
{
	enum { N = 5000 };
	struct kmemu__ptrset s = { 0 };
	static unsigned char seen[N];
	size_t pos = 0, n = 0, last_cap = 0, grows = 0;
	void *q;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(kmemu__ptrset_add(&s, fake(i)), 0);
		assert_int_equal(s.live, i + 1);
		assert_true(s.cap && (s.cap & (s.cap - 1)) == 0);
		assert_true(s.live * 2 <= s.cap);
		if (s.cap != last_cap) {
			grows++;
			last_cap = s.cap;
		}
	}
	assert_true(grows >= 4);  /* made, then grown at least three times */
	for (size_t i = 0; i < N; i++)
		assert_true(kmemu__ptrset_has(&s, fake(i)));
	assert_false(kmemu__ptrset_has(&s, fake(N)));
	memset(seen, 0, sizeof(seen));
	while ((q = kmemu__ptrset_next(&s, &pos))) {
		size_t i = (size_t)((uintptr_t)q / 16) - 1;

		assert_true(i < N);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		n++;
	}
	assert_int_equal(n, N);
	assert_null(kmemu__ptrset_next(&s, &pos));
	kmemu__ptrset_fini(&s);
}

/* Backward-shift deletion across the end of the table: a chain homed on the
 * last slot wraps to slots 0 and 1, followed by an entry homed on slot 0;
 * deleting the chain's head moves each entry one slot back, across the
 * wrap, and every one stays findable. */
static void test_ptrset_delete_wraps(void **state)
{
	struct kmemu__ptrset s = { 0 };
	void *last[3], *zero = NULL, *before = NULL;
	size_t n_last = 0, cap = 0;

	(void)state;
	for (size_t i = 0; i < 1000000 && (n_last < 3 || !zero || !before); i++) {
		size_t c, h = home_of(fake(i), &c);

		cap = c;
		if (h == c - 1 && n_last < 3)
			last[n_last++] = fake(i);
		else if (h == 0 && !zero)
			zero = fake(i);
		else if (h == c - 2 && !before)
			before = fake(i);
	}
	assert_int_equal(n_last, 3);
	assert_non_null(zero);
	assert_non_null(before);

	for (size_t i = 0; i < 3; i++)
		assert_int_equal(kmemu__ptrset_add(&s, last[i]), 0);
	assert_int_equal(kmemu__ptrset_add(&s, zero), 0);
	assert_int_equal(kmemu__ptrset_add(&s, before), 0);
	assert_int_equal(s.cap, cap);
	assert_int_equal(slot_of(&s, before), cap - 2);
	assert_int_equal(slot_of(&s, last[0]), cap - 1);
	assert_int_equal(slot_of(&s, last[1]), 0);
	assert_int_equal(slot_of(&s, last[2]), 1);
	assert_int_equal(slot_of(&s, zero), 2);

	/* deleting the entry before the chain moves nothing: each entry after
	 * it sits at or past its home */
	kmemu__ptrset_del(&s, before);
	assert_false(kmemu__ptrset_has(&s, before));
	assert_int_equal(slot_of(&s, last[0]), cap - 1);
	assert_int_equal(slot_of(&s, last[1]), 0);
	assert_int_equal(slot_of(&s, zero), 2);

	/* deleting the chain's head shifts the rest back across the wrap */
	kmemu__ptrset_del(&s, last[0]);
	assert_int_equal(s.live, 3);
	assert_false(kmemu__ptrset_has(&s, last[0]));
	assert_int_equal(slot_of(&s, last[1]), cap - 1);
	assert_int_equal(slot_of(&s, last[2]), 0);
	assert_int_equal(slot_of(&s, zero), 1);
	assert_true(kmemu__ptrset_has(&s, last[1]));
	assert_true(kmemu__ptrset_has(&s, last[2]));
	assert_true(kmemu__ptrset_has(&s, zero));

	/* deleting in the middle of the wrapped chain: the entry homed on slot 0
	 * moves to it, nothing is left behind in slot 1 */
	kmemu__ptrset_del(&s, last[2]);
	assert_int_equal(slot_of(&s, last[1]), cap - 1);
	assert_int_equal(slot_of(&s, zero), 0);
	assert_true(kmemu__ptrset_has(&s, zero));
	kmemu__ptrset_del(&s, last[1]);
	kmemu__ptrset_del(&s, zero);
	assert_int_equal(s.live, 0);
	assert_null(kmemu__ptrset_next(&s, &(size_t){ 0 }));
	kmemu__ptrset_fini(&s);
}

/* A growth the heap refuses leaves the set exactly as it was; the next add
 * after the fault succeeds. */
static void test_ptrset_alloc_failure(void **state)
{
	struct kmemu__ptrset s = { 0 };
	uint64_t blocks = heap_blocks();
	size_t n = 0, cap;
	void **slots;

	(void)state;
	fault_nth(0, 0);
	assert_int_equal(kmemu__ptrset_add(&s, fake(0)), -1);
	assert_int_equal(s.live, 0);
	assert_int_equal(s.cap, 0);
	assert_null(s.slots);
	assert_false(kmemu__ptrset_has(&s, fake(0)));
	kmemu_fault_set(NULL);

	/* fill to the last add that fits without growing */
	do
		assert_int_equal(kmemu__ptrset_add(&s, fake(n++)), 0);
	while ((s.live + 1) * 2 <= s.cap);
	cap = s.cap;
	slots = s.slots;
	fault_nth(0, 0);
	assert_int_equal(kmemu__ptrset_add(&s, fake(n)), -1);
	assert_int_equal(s.live, n);
	assert_int_equal(s.cap, cap);
	assert_ptr_equal(s.slots, slots);
	assert_false(kmemu__ptrset_has(&s, fake(n)));
	for (size_t i = 0; i < n; i++)
		assert_true(kmemu__ptrset_has(&s, fake(i)));
	/* deletion never allocates: it works under a heap that always fails */
	fault_nth(0, 1000);
	kmemu__ptrset_del(&s, fake(0));
	assert_false(kmemu__ptrset_has(&s, fake(0)));
	assert_int_equal(kmemu__ptrset_add(&s, fake(0)), 0);
	kmemu_fault_set(NULL);
	assert_int_equal(kmemu__ptrset_add(&s, fake(n)), 0);
	assert_true(s.cap > cap);
	for (size_t i = 0; i <= n; i++)
		assert_true(kmemu__ptrset_has(&s, fake(i)));
	kmemu__ptrset_fini(&s);
	assert_u64_equal(heap_blocks(), blocks);
}

/* Many pointers, random adds and deletes, checked against a plain array
 * after every step and in full at intervals. */
static void test_ptrset_many_random(void **state)
{
	enum { N = 20000, STEPS = 200000 };
	struct kmemu__ptrset s = { 0 };
	unsigned char *in = calloc(N, 1);
	uint64_t rng = 0x5EEDull;
	size_t live = 0;

	(void)state;
	assert_non_null(in);
	for (size_t step = 0; step < STEPS; step++) {
		size_t i = (size_t)(kmemu__prng_next(&rng) % N);

		assert_int_equal(kmemu__ptrset_has(&s, fake(i)), in[i]);
		/* lean towards adding early, towards deleting later */
		if (!in[i] && (kmemu__prng_next(&rng) % STEPS) >= step / 2) {
			assert_int_equal(kmemu__ptrset_add(&s, fake(i)), 0);
			in[i] = 1;
			live++;
		} else if (in[i]) {
			kmemu__ptrset_del(&s, fake(i));
			in[i] = 0;
			live--;
		}
		assert_int_equal(s.live, live);
		if (step % 20000 == 0)
			for (size_t j = 0; j < N; j++)
				assert_int_equal(kmemu__ptrset_has(&s, fake(j)), in[j]);
	}
	for (size_t j = 0; j < N; j++)
		assert_int_equal(kmemu__ptrset_has(&s, fake(j)), in[j]);
	kmemu__ptrset_fini(&s);
	free(in);
}

#define PTRSET_TEST(f) cmocka_unit_test_teardown(f, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PTRSET_TEST(test_ptrset_empty),
		PTRSET_TEST(test_ptrset_add_has_del),
		PTRSET_TEST(test_ptrset_empty_frees),
		PTRSET_TEST(test_ptrset_growth),
		PTRSET_TEST(test_ptrset_delete_wraps),
		PTRSET_TEST(test_ptrset_alloc_failure),
		PTRSET_TEST(test_ptrset_many_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
