/* SPDX-License-Identifier: MIT */
/*
 * test_physmem.c - unit tests of the buddy frame allocator (emu/physmem.c).
 *
 * The allocator is driven directly through physmem_init() with memfd = -1
 * (no RAM behind the frames), except in the zeroing test, which gives it a
 * real memfd.  After every step physmem_check() must pass; an independent
 * "ownership" walk (free-list frames vs. frames handed out) checks that the
 * allocator never hands out a free, held or already allocated frame.
 *
 * Fresh allocator of 1024 frames (frame 0 held by the system):
 *
 *   frame: 0   1   2-3   4-7   8-15  ...  512-1023
 *          [H][o0][ o1 ][ o2 ][ o3 ] ... [   o9   ]
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "emu.h"
#include "kmemu_test.h"

/* ---- helpers ------------------------------------------------------------------- */

static void pm_assert_ok(const struct physmem *pm, const char *file, int line)
{
	const char *msg = "";

	if (!physmem_check(pm, &msg)) {
		print_error("physmem_check: %s\n", msg);
		_fail(file, line);
	}
}
#define PM_OK(pm) pm_assert_ok((pm), __FILE__, __LINE__)

static void pm_setup(struct physmem *pm, uint64_t n, enum kmemu_placement placement,
		     unsigned frag, uint64_t *prng)
{
	assert_status(physmem_init(pm, n, placement, frag, prng, -1), STATUS_SUCCESS);
	PM_OK(pm);
}

/* Mark every frame on a free list in @map (one byte per frame). */
static uint64_t pm_free_map(const struct physmem *pm, uint8_t *map)
{
	uint64_t n = 0;

	memset(map, 0, pm->n_frames);
	for (unsigned o = 0; o <= pm->max_order; o++)
		for (uint32_t f = pm->free_head[o]; f != FRAME_NONE; f = pm->frames[f].next)
			for (uint64_t i = 0; i < (1ull << o); i++, n++)
				map[f + i] = 1;
	return n;
}

/* Every frame of @pfns is inside RAM, not frame 0, not held, not free and
 * not already marked in @taken (marked on return). */
static void pm_assert_owned(const struct physmem *pm, const uint8_t *free_map, uint8_t *taken,
			    const uint32_t *pfns, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint32_t f = pfns[i];

		if (f >= pm->n_frames || f == 0 || pm->frames[f].is_reserved || free_map[f] ||
		    taken[f]) {
			print_error("frame %u (entry %llu of %llu): outside RAM, frame 0, held, "
				    "free or handed out twice (reserved=%d free=%d taken=%d)\n",
				    f, (unsigned long long)i, (unsigned long long)n,
				    f < pm->n_frames ? pm->frames[f].is_reserved : -1,
				    f < pm->n_frames ? free_map[f] : -1, f < pm->n_frames ? taken[f] : -1);
			fail();
		}
		taken[f] = 1;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* No two frames of one request are adjacent (whatever their order in @pfns). */
static void no_adjacent(const uint32_t *pfns, uint64_t n, const char *file, int line)
{
	uint32_t *s = malloc(n * sizeof(*s) + 1);

	assert_non_null(s);
	memcpy(s, pfns, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u32);
	for (uint64_t i = 1; i < n; i++) {
		if (s[i] - s[i - 1] <= 1) {
			print_error("request of %llu frames holds frames %u and %u\n",
				    (unsigned long long)n, s[i - 1], s[i]);
			free(s);
			_fail(file, line);
		}
	}
	free(s);
}
#define assert_no_adjacent(pfns, n) no_adjacent((pfns), (n), __FILE__, __LINE__)

static unsigned count_runs(const uint32_t *pfns, uint64_t n)
{
	unsigned runs = n ? 1 : 0;

	for (uint64_t i = 1; i < n; i++)
		if (pfns[i] != pfns[i - 1] + 1)
			runs++;
	return runs;
}

/* A saved copy of the allocator's free-list state, for "back to start". */
struct pm_shape {
	uint32_t free_head[PHYS_MAX_ORDER + 1];
	uint64_t n_free[PHYS_MAX_ORDER + 1];
	uint64_t frames_used;
};

static void pm_shape(const struct physmem *pm, struct pm_shape *s)
{
	memcpy(s->free_head, pm->free_head, sizeof(s->free_head));
	memcpy(s->n_free, pm->n_free, sizeof(s->n_free));
	s->frames_used = pm->frames_used;
}

static void pm_assert_shape(const struct physmem *pm, const struct pm_shape *s)
{
	struct pm_shape now;

	pm_shape(pm, &now);
	assert_u64_equal(now.frames_used, s->frames_used);
	for (unsigned o = 0; o <= PHYS_MAX_ORDER; o++) {
		if (now.n_free[o] != s->n_free[o] || now.free_head[o] != s->free_head[o]) {
			print_error("order %u: %llu free blocks, head %u; expected %llu, head %u\n", o,
				    (unsigned long long)now.n_free[o], now.free_head[o],
				    (unsigned long long)s->n_free[o], s->free_head[o]);
			fail();
		}
	}
}

/* ---- init ------------------------------------------------------------------------- */

static void test_physmem_init_layout(void **state)
{
	struct physmem pm;
	uint64_t prng = 1;
	KT_HEAP_BEGIN();

	(void)state;
	pm_setup(&pm, 64, KMEMU_PLACE_DEFAULT, 0, &prng);
	assert_u64_equal(pm.n_frames, 64);
	assert_u64_equal(pm.max_order, 6);
	assert_u64_equal(pm.frames_used, 0);
	assert_u64_equal(pm.frames_reserved, 1);
	assert_true(pm.frames[0].is_reserved);
	assert_false(pm.frames[0].is_free);
	/* 1..63 as blocks of order 0..5, one each */
	for (unsigned o = 0; o <= 5; o++) {
		assert_u64_equal(pm.n_free[o], 1);
		assert_u64_equal(pm.free_head[o], 1u << o);
	}
	assert_u64_equal(pm.n_free[6], 0);
	assert_u64_equal(physmem_largest_free_order(&pm), 5);
	physmem_fini(&pm);

	/* the smallest RAM: frame 1 is all there is */
	pm_setup(&pm, 2, KMEMU_PLACE_DEFAULT, 0, &prng);
	assert_u64_equal(physmem_largest_free_order(&pm), 0);
	physmem_fini(&pm);

	/* a size that is not a power of two */
	pm_setup(&pm, 1000, KMEMU_PLACE_DEFAULT, 0, &prng);
	assert_u64_equal(pm.max_order, 9);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

static void test_physmem_init_invalid(void **state)
{
	struct physmem pm;
	uint64_t prng = 1;
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .n = 0,
					 .resources = KMEMU_FAULT_HEAP };
	KT_HEAP_BEGIN();

	(void)state;
	assert_status(physmem_init(&pm, 0, KMEMU_PLACE_DEFAULT, 0, &prng, -1),
		      STATUS_INVALID_PARAMETER);
	physmem_fini(&pm);
	assert_status(physmem_init(&pm, 1, KMEMU_PLACE_DEFAULT, 0, &prng, -1),
		      STATUS_INVALID_PARAMETER);
	physmem_fini(&pm);
	assert_status(physmem_init(&pm, FRAME_NONE, KMEMU_PLACE_DEFAULT, 0, &prng, -1),
		      STATUS_INVALID_PARAMETER);
	physmem_fini(&pm);
	assert_status(physmem_init(&pm, 64, KMEMU_PLACE_DEFAULT, PHYS_MAX_ORDER + 1, &prng, -1),
		      STATUS_INVALID_PARAMETER);
	physmem_fini(&pm);

	/* the frame array is the only heap block: failing it fails init */
	assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
	assert_status(physmem_init(&pm, 64, KMEMU_PLACE_DEFAULT, 0, &prng, -1),
		      STATUS_INSUFFICIENT_RESOURCES);
	kmemu_fault_set(NULL);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

/* ---- buddy split and merge -------------------------------------------------------- */

static void test_physmem_split_merge(void **state)
{
	struct physmem pm;
	struct pm_shape start;
	uint64_t prng = 1;
	uint32_t a, b, c;
	KT_HEAP_BEGIN();

	(void)state;
	pm_setup(&pm, 1024, KMEMU_PLACE_DEFAULT, 0, &prng);
	pm_shape(&pm, &start);

	/* order 0 comes straight off its list */
	assert_status(physmem_alloc_contig(&pm, 1, &a), STATUS_SUCCESS);
	assert_u64_equal(a, 1);
	/* the next single splits the order-1 block 2-3: keeps 2, frees 3 */
	assert_status(physmem_alloc_contig(&pm, 1, &b), STATUS_SUCCESS);
	assert_u64_equal(b, 2);
	assert_u64_equal(pm.free_head[0], 3);
	assert_u64_equal(pm.n_free[1], 0);
	PM_OK(&pm);
	/* 3 frames take the order-2 block 4-7 and give frame 7 back */
	assert_status(physmem_alloc_contig(&pm, 3, &c), STATUS_SUCCESS);
	assert_u64_equal(c, 4);
	assert_u64_equal(pm.frames_used, 5);
	assert_true(pm.frames[7].is_free);
	assert_u64_equal(pm.frames[7].order, 0);
	PM_OK(&pm);

	/* freeing merges every buddy back: the shape is the initial one */
	physmem_free_run(&pm, c, 3);
	PM_OK(&pm);
	assert_u64_equal(pm.free_head[2], 4);
	physmem_free_run(&pm, b, 1);
	PM_OK(&pm);
	assert_u64_equal(pm.free_head[1], 2);
	physmem_free_run(&pm, a, 1);
	PM_OK(&pm);
	pm_assert_shape(&pm, &start);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

/* All of RAM taken as single frames, freed in a scrambled order: everything
 * merges back to the initial blocks. */
static void test_physmem_merge_all(void **state)
{
	struct physmem pm;
	struct pm_shape start;
	uint64_t prng = 1, mix = 99;
	uint32_t pfns[1023];
	KT_HEAP_BEGIN();

	(void)state;
	pm_setup(&pm, 1024, KMEMU_PLACE_DEFAULT, 0, &prng);
	pm_shape(&pm, &start);
	for (unsigned i = 0; i < 1023; i++)
		assert_status(physmem_alloc_contig(&pm, 1, &pfns[i]), STATUS_SUCCESS);
	assert_u64_equal(pm.frames_used, 1023);
	assert_u64_equal(physmem_largest_free_order(&pm), UINT64_MAX);
	PM_OK(&pm);
	for (unsigned i = 1022; i > 0; i--) {  /* Fisher-Yates */
		unsigned j = (unsigned)(kmemu__prng_next(&mix) % (i + 1));
		uint32_t t = pfns[i];

		pfns[i] = pfns[j];
		pfns[j] = t;
	}
	for (unsigned i = 0; i < 1023; i++) {
		physmem_free_run(&pm, pfns[i], 1);
		if (i % 97 == 0)
			PM_OK(&pm);
	}
	PM_OK(&pm);
	pm_assert_shape(&pm, &start);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

/* Contiguous runs of every size 1..40: aligned to their buddy order, really
 * adjacent frames that are neither free nor shared with another run. */
static void test_physmem_contig_runs_adjacent(void **state)
{
	struct physmem pm;
	struct pm_shape start;
	uint64_t prng = 1;
	uint32_t first[41];
	uint8_t *free_map = malloc(4096), *taken = calloc(4096, 1);
	KT_HEAP_BEGIN();

	(void)state;
	assert_non_null(free_map);
	assert_non_null(taken);
	pm_setup(&pm, 4096, KMEMU_PLACE_DEFAULT, 0, &prng);
	pm_shape(&pm, &start);
	for (uint64_t n = 1; n <= 40; n++) {
		uint64_t align = 1;

		while (align < n)
			align <<= 1;
		assert_status(physmem_alloc_contig(&pm, n, &first[n]), STATUS_SUCCESS);
		if (first[n] % align) {
			print_error("run of %llu frames at %u is not aligned to %llu\n",
				    (unsigned long long)n, first[n], (unsigned long long)align);
			fail();
		}
		PM_OK(&pm);
	}
	pm_free_map(&pm, free_map);
	for (uint64_t n = 1; n <= 40; n++) {
		uint32_t run[40];

		for (uint64_t i = 0; i < n; i++)
			run[i] = first[n] + (uint32_t)i;
		pm_assert_owned(&pm, free_map, taken, run, n);
	}
	assert_u64_equal(pm.frames_used, 40 * 41 / 2);
	for (uint64_t n = 40; n >= 1; n--) {
		physmem_free_run(&pm, first[n], n);
		PM_OK(&pm);
	}
	pm_assert_shape(&pm, &start);
	physmem_fini(&pm);
	free(free_map);
	free(taken);
	KT_HEAP_CLEAN();
}

/* ---- non-contiguous placement ------------------------------------------------------- */

static void test_physmem_pages_default(void **state)
{
	struct physmem pm;
	struct pm_shape start;
	uint64_t prng = 1;
	uint32_t pfns[100];
	uint8_t free_map[1024], taken[1024] = { 0 };
	KT_HEAP_BEGIN();

	(void)state;
	pm_setup(&pm, 1024, KMEMU_PLACE_DEFAULT, 0, &prng);
	pm_shape(&pm, &start);
	/* DEFAULT serves 100 frames as the largest blocks: 64 + 32 + 4 */
	assert_status(physmem_alloc_pages(&pm, 100, pfns), STATUS_SUCCESS);
	PM_OK(&pm);
	assert_u64_equal(pm.frames_used, 100);
	assert_u64_equal(count_runs(pfns, 100), 3);
	assert_u64_equal(pfns[0], 64);
	assert_u64_equal(pfns[64], 32);
	assert_u64_equal(pfns[96], 4);
	pm_free_map(&pm, free_map);
	pm_assert_owned(&pm, free_map, taken, pfns, 100);
	physmem_free_pages(&pm, pfns, 100);
	PM_OK(&pm);
	pm_assert_shape(&pm, &start);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

static void test_physmem_pages_scatter(void **state)
{
	struct physmem pm;
	struct pm_shape start;
	uint64_t prng = 1;
	uint32_t pfns[300];
	uint8_t free_map[1024], taken[1024] = { 0 };
	KT_HEAP_BEGIN();

	(void)state;
	pm_setup(&pm, 1024, KMEMU_PLACE_SCATTER, 0, &prng);
	pm_shape(&pm, &start);
	assert_status(physmem_alloc_pages(&pm, 300, pfns), STATUS_SUCCESS);
	PM_OK(&pm);
	assert_u64_equal(pm.frames_used, 300);
	assert_no_adjacent(pfns, 300);
	assert_u64_equal(count_runs(pfns, 300), 300);
	pm_free_map(&pm, free_map);
	pm_assert_owned(&pm, free_map, taken, pfns, 300);
	physmem_free_pages(&pm, pfns, 300);
	PM_OK(&pm);
	pm_assert_shape(&pm, &start);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

/* SCATTER when the free singles sit next to each other in a mixed order:
 * frames 11 and 12 are free but not buddies, and 20 lies between them on
 * the order-0 list (12 20 11 50 40).  A request for 3 frames must not hold
 * both 11 and 12, although they are not consecutive in the request. */
static void test_physmem_scatter_nonconsecutive(void **state)
{
	static const uint32_t order[] = { 40, 50, 11, 20, 12 };
	struct physmem pm;
	uint64_t prng = 1;
	uint32_t single[63], pfns[5];
	KT_HEAP_BEGIN();

	(void)state;
	pm_setup(&pm, 64, KMEMU_PLACE_SCATTER, 0, &prng);
	for (unsigned i = 0; i < 63; i++)  /* all of RAM, one frame each */
		assert_status(physmem_alloc_contig(&pm, 1, &single[i]), STATUS_SUCCESS);
	for (unsigned i = 0; i < 5; i++)
		physmem_free_run(&pm, order[i], 1);
	assert_u64_equal(pm.free_head[0], 12);
	PM_OK(&pm);
	assert_status(physmem_alloc_pages(&pm, 3, pfns), STATUS_SUCCESS);
	PM_OK(&pm);
	assert_no_adjacent(pfns, 3);
	physmem_free_pages(&pm, pfns, 3);
	PM_OK(&pm);
	/* when only adjacent frames are left they are accepted rather than fail */
	assert_status(physmem_alloc_pages(&pm, 5, pfns), STATUS_SUCCESS);
	PM_OK(&pm);
	physmem_free_pages(&pm, pfns, 5);
	for (unsigned i = 0; i < 63; i++) {
		int freed = 0;

		for (unsigned j = 0; j < 5; j++)
			freed |= single[i] == order[j];
		if (!freed)
			physmem_free_run(&pm, single[i], 1);
	}
	PM_OK(&pm);
	assert_u64_equal(pm.frames_used, 0);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

/* RANDOM: the same seed and the same requests give the same frames; another
 * seed gives other frames. */
static void random_run(uint64_t seed, uint32_t *out, unsigned n_out)
{
	struct physmem pm;
	uint64_t prng = seed;
	uint32_t pfns[16], first;
	unsigned k = 0;

	pm_setup(&pm, 1024, KMEMU_PLACE_RANDOM, 0, &prng);
	while (k + 16 + 1 <= n_out) {
		assert_status(physmem_alloc_pages(&pm, 16, pfns), STATUS_SUCCESS);
		assert_status(physmem_alloc_contig(&pm, 5, &first), STATUS_SUCCESS);
		PM_OK(&pm);
		memcpy(out + k, pfns, sizeof(pfns));
		k += 16;
		out[k++] = first;
		if (k % 3 == 0)  /* give some back so later requests see holes */
			physmem_free_pages(&pm, pfns, 16);
	}
	physmem_fini(&pm);
}

static void test_physmem_pages_random_deterministic(void **state)
{
	uint32_t a[170], b[170], c[170];
	uint8_t free_map[1024], taken[1024] = { 0 };
	struct physmem pm;
	uint64_t prng = 7;
	uint32_t pfns[200];
	KT_HEAP_BEGIN();

	(void)state;
	random_run(42, a, 170);
	random_run(42, b, 170);
	random_run(43, c, 170);
	for (unsigned i = 0; i < 170; i++) {
		if (a[i] != b[i]) {
			print_error("seed 42 gave frame %u then %u at entry %u\n", a[i], b[i], i);
			fail();
		}
	}
	assert_true(memcmp(a, c, sizeof(a)) != 0);

	/* frames of a random request are valid and distinct */
	pm_setup(&pm, 1024, KMEMU_PLACE_RANDOM, 0, &prng);
	assert_status(physmem_alloc_pages(&pm, 200, pfns), STATUS_SUCCESS);
	PM_OK(&pm);
	pm_free_map(&pm, free_map);
	pm_assert_owned(&pm, free_map, taken, pfns, 200);
	physmem_free_pages(&pm, pfns, 200);
	PM_OK(&pm);
	assert_u64_equal(pm.frames_used, 0);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

/* ---- churn: random requests under each placement ------------------------------------ */

struct churn_alloc {
	uint32_t *pfns;   /* frames, one per page */
	uint64_t n;       /* pages */
	int contig;       /* from physmem_alloc_contig */
};

static void test_physmem_churn(void **state)
{
	enum kmemu_placement placement = (enum kmemu_placement)(uintptr_t)*state;
	enum { N_FRAMES = 2048, MAX_LIVE = 64 };
	struct churn_alloc live[MAX_LIVE];
	unsigned n_live = 0;
	struct physmem pm;
	uint64_t prng = 5, rnd = 1234;
	uint8_t *free_map = malloc(N_FRAMES), *taken = malloc(N_FRAMES);
	KT_HEAP_BEGIN();

	assert_non_null(free_map);
	assert_non_null(taken);
	pm_setup(&pm, N_FRAMES, placement, 0, &prng);
	for (unsigned step = 0; step < 3000; step++) {
		uint64_t r = kmemu__prng_next(&rnd);
		uint64_t avail = pm.n_frames - pm.frames_used - pm.frames_reserved;

		if (n_live == MAX_LIVE || (n_live && r % 3 == 0)) {
			unsigned i = (unsigned)((r >> 8) % n_live);

			if (live[i].contig)
				physmem_free_run(&pm, live[i].pfns[0], live[i].n);
			else
				physmem_free_pages(&pm, live[i].pfns, live[i].n);
			free(live[i].pfns);
			live[i] = live[--n_live];
		} else if (avail >= 8) {
			struct churn_alloc *a = &live[n_live];
			kmemu_status rc;

			a->n = 1 + (r >> 8) % (avail / 4 < 96 ? avail / 4 : 96);
			a->contig = (r >> 32) % 2;
			a->pfns = malloc(a->n * sizeof(uint32_t));
			assert_non_null(a->pfns);
			if (a->contig) {
				rc = physmem_alloc_contig(&pm, a->n, &a->pfns[0]);
				for (uint64_t i = 1; rc == STATUS_SUCCESS && i < a->n; i++)
					a->pfns[i] = a->pfns[0] + (uint32_t)i;
			} else {
				rc = physmem_alloc_pages(&pm, a->n, a->pfns);
				/* non-contiguous requests of at most a quarter of the free
				 * frames always succeed */
				assert_status(rc, STATUS_SUCCESS);
				if (placement == KMEMU_PLACE_SCATTER)
					assert_no_adjacent(a->pfns, a->n);
			}
			if (rc == STATUS_SUCCESS) {
				n_live++;
			} else {
				/* only a contiguous request may fail, for lack of a run */
				assert_status(rc, STATUS_INSUFFICIENT_RESOURCES);
				assert_true(a->contig);
				free(a->pfns);
			}
		}
		PM_OK(&pm);
		if (step % 25 == 0 || step == 2999) {
			uint64_t used = 0;

			pm_free_map(&pm, free_map);
			memset(taken, 0, N_FRAMES);
			for (unsigned i = 0; i < n_live; i++) {
				pm_assert_owned(&pm, free_map, taken, live[i].pfns, live[i].n);
				used += live[i].n;
			}
			assert_u64_equal(pm.frames_used, used);
		}
	}
	while (n_live) {
		n_live--;
		if (live[n_live].contig)
			physmem_free_run(&pm, live[n_live].pfns[0], live[n_live].n);
		else
			physmem_free_pages(&pm, live[n_live].pfns, live[n_live].n);
		free(live[n_live].pfns);
	}
	PM_OK(&pm);
	assert_u64_equal(pm.frames_used, 0);
	physmem_fini(&pm);
	free(free_map);
	free(taken);
	KT_HEAP_CLEAN();
}

/* ---- fragmentation, exhaustion, frame 0 ------------------------------------------- */

static void test_physmem_fragmentation(void **state)
{
	struct physmem pm;
	uint64_t prng = 1;
	uint32_t first, pfns[256];
	KT_HEAP_BEGIN();

	(void)state;
	/* order 4: frames 15, 31, ... 1023 are held, so no free block exceeds 8 */
	pm_setup(&pm, 1024, KMEMU_PLACE_DEFAULT, 4, &prng);
	assert_u64_equal(pm.frames_reserved, 1 + 64);
	for (uint32_t f = 15; f < 1024; f += 16)
		assert_true(pm.frames[f].is_reserved);
	assert_u64_equal(physmem_largest_free_order(&pm), 3);
	assert_status(physmem_alloc_contig(&pm, 9, &first), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(physmem_alloc_contig(&pm, 16, &first), STATUS_INSUFFICIENT_RESOURCES);
	assert_u64_equal(pm.frames_used, 0);
	PM_OK(&pm);
	assert_status(physmem_alloc_contig(&pm, 8, &first), STATUS_SUCCESS);
	PM_OK(&pm);
	/* a large non-contiguous request still succeeds */
	assert_status(physmem_alloc_pages(&pm, 256, pfns), STATUS_SUCCESS);
	PM_OK(&pm);
	for (unsigned i = 0; i < 256; i++)
		assert_false(pm.frames[pfns[i]].is_reserved);
	physmem_free_pages(&pm, pfns, 256);
	physmem_free_run(&pm, first, 8);
	PM_OK(&pm);
	assert_u64_equal(pm.frames_used, 0);
	physmem_fini(&pm);

	/* order 1: every odd frame is held; only single frames exist */
	pm_setup(&pm, 1024, KMEMU_PLACE_DEFAULT, 1, &prng);
	assert_u64_equal(pm.frames_reserved, 1 + 512);
	assert_u64_equal(physmem_largest_free_order(&pm), 0);
	assert_status(physmem_alloc_contig(&pm, 2, &first), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(physmem_alloc_contig(&pm, 1, &first), STATUS_SUCCESS);
	assert_u64_equal(first % 2, 0);
	physmem_free_run(&pm, first, 1);
	assert_status(physmem_alloc_pages(&pm, 100, pfns), STATUS_SUCCESS);
	PM_OK(&pm);
	physmem_free_pages(&pm, pfns, 100);
	PM_OK(&pm);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

static void test_physmem_exhaustion(void **state)
{
	struct physmem pm;
	struct pm_shape start;
	uint64_t prng = 1;
	uint32_t pfns[64], first, big;
	KT_HEAP_BEGIN();

	(void)state;
	pm_setup(&pm, 64, KMEMU_PLACE_DEFAULT, 0, &prng);
	pm_shape(&pm, &start);
	/* 63 frames are free: asking for 64 fails and allocates nothing */
	assert_status(physmem_alloc_pages(&pm, 64, pfns), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(physmem_alloc_contig(&pm, 64, &first), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(physmem_alloc_pages(&pm, 0, pfns), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(physmem_alloc_contig(&pm, 0, &first), STATUS_INSUFFICIENT_RESOURCES);
	pm_assert_shape(&pm, &start);
	PM_OK(&pm);

	/* 31 frames free, but the largest block is 16: 17 contiguous fail */
	assert_status(physmem_alloc_contig(&pm, 32, &big), STATUS_SUCCESS);
	assert_u64_equal(big, 32);
	assert_status(physmem_alloc_contig(&pm, 17, &first), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(physmem_alloc_contig(&pm, 16, &first), STATUS_SUCCESS);
	physmem_free_run(&pm, first, 16);
	physmem_free_run(&pm, big, 32);
	PM_OK(&pm);

	/* every frame taken: nothing more, contiguous or not */
	assert_status(physmem_alloc_pages(&pm, 63, pfns), STATUS_SUCCESS);
	PM_OK(&pm);
	assert_u64_equal(physmem_largest_free_order(&pm), UINT64_MAX);
	assert_status(physmem_alloc_contig(&pm, 1, &first), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(physmem_alloc_pages(&pm, 1, &first), STATUS_INSUFFICIENT_RESOURCES);
	physmem_free_pages(&pm, pfns, 63);
	PM_OK(&pm);
	pm_assert_shape(&pm, &start);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

static void test_physmem_frame0_never(void **state)
{
	static const enum kmemu_placement placements[] = { KMEMU_PLACE_DEFAULT, KMEMU_PLACE_SCATTER,
							   KMEMU_PLACE_RANDOM };
	KT_HEAP_BEGIN();

	(void)state;
	for (unsigned p = 0; p < 3; p++) {
		struct physmem pm;
		uint64_t prng = 3;
		uint32_t pfns[255];

		/* every frame as singles */
		pm_setup(&pm, 256, placements[p], 0, &prng);
		for (unsigned i = 0; i < 255; i++) {
			assert_status(physmem_alloc_contig(&pm, 1, &pfns[i]), STATUS_SUCCESS);
			assert_int_not_equal(pfns[i], 0);
		}
		assert_status(physmem_alloc_contig(&pm, 1, &pfns[0]), STATUS_INSUFFICIENT_RESOURCES);
		for (unsigned i = 0; i < 255; i++)
			physmem_free_run(&pm, pfns[i], 1);
		PM_OK(&pm);
		/* every frame in one request */
		assert_status(physmem_alloc_pages(&pm, 255, pfns), STATUS_SUCCESS);
		for (unsigned i = 0; i < 255; i++)
			assert_int_not_equal(pfns[i], 0);
		physmem_free_pages(&pm, pfns, 255);
		PM_OK(&pm);
		assert_true(pm.frames[0].is_reserved);
		physmem_fini(&pm);
	}
	KT_HEAP_CLEAN();
}

/* ---- fault injection and zeroing ----------------------------------------------------- */

static void test_physmem_fault_frames(void **state)
{
	struct physmem pm;
	struct pm_shape start;
	struct kmemu_fault_stats fs;
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_EVERY_NTH, .n = 1,
					 .resources = KMEMU_FAULT_FRAMES };
	uint64_t prng = 1;
	uint32_t pfns[8], first;
	KT_HEAP_BEGIN();

	(void)state;
	pm_setup(&pm, 64, KMEMU_PLACE_DEFAULT, 0, &prng);
	pm_shape(&pm, &start);
	assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
	assert_status(physmem_alloc_contig(&pm, 1, &first), STATUS_INSUFFICIENT_RESOURCES);
	assert_status(physmem_alloc_pages(&pm, 8, pfns), STATUS_INSUFFICIENT_RESOURCES);
	kmemu_fault_get_stats(&fs);
	kmemu_fault_set(NULL);
	assert_u64_equal(fs.acquisitions, 2);
	assert_u64_equal(fs.failures, 2);
	pm_assert_shape(&pm, &start);
	PM_OK(&pm);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

/* With a real memfd behind the frames, freed frames read as zero. */
static void test_physmem_free_zeroes(void **state)
{
	struct physmem pm;
	uint64_t prng = 1;
	uint32_t first, pfns[3];
	int fd = memfd_create("test-physmem", MFD_CLOEXEC);
	uint8_t *ram;
	KT_HEAP_BEGIN();

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 * KT_PAGE), 0);
	ram = mmap(NULL, 64 * KT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(ram != MAP_FAILED);
	assert_status(physmem_init(&pm, 64, KMEMU_PLACE_SCATTER, 0, &prng, fd), STATUS_SUCCESS);
	assert_status(physmem_alloc_contig(&pm, 4, &first), STATUS_SUCCESS);
	memset(ram + first * KT_PAGE, 0xA5, 4 * KT_PAGE);
	assert_status(physmem_alloc_pages(&pm, 3, pfns), STATUS_SUCCESS);
	for (unsigned i = 0; i < 3; i++)
		memset(ram + pfns[i] * KT_PAGE, 0x5A, KT_PAGE);
	physmem_free_run(&pm, first, 4);
	physmem_free_pages(&pm, pfns, 3);
	PM_OK(&pm);
	for (uint64_t off = 0; off < 64 * KT_PAGE; off++) {
		if (ram[off]) {
			print_error("byte %llu of RAM (frame %llu) is 0x%02x after free\n",
				    (unsigned long long)off, (unsigned long long)(off / KT_PAGE),
				    ram[off]);
			fail();
		}
	}
	physmem_fini(&pm);
	munmap(ram, 64 * KT_PAGE);
	close(fd);
	KT_HEAP_CLEAN();
}

/* ---- the checker catches corruption ----------------------------------------------------- */

/* Corrupt a copy of the state, expect physmem_check() to fail with @want in
 * its message, restore. */
struct pm_saved {
	struct physmem pm;
	struct phys_frame frames[64];
};

static void pm_save(const struct physmem *pm, struct pm_saved *s)
{
	s->pm = *pm;
	memcpy(s->frames, pm->frames, sizeof(s->frames));
}

static void pm_restore(struct physmem *pm, const struct pm_saved *s)
{
	struct phys_frame *frames = pm->frames;

	*pm = s->pm;
	pm->frames = frames;
	memcpy(pm->frames, s->frames, sizeof(s->frames));
}

static void pm_expect_broken(const struct physmem *pm, const char *want, const char *what)
{
	const char *msg = NULL;

	if (physmem_check(pm, &msg)) {
		print_error("physmem_check passed after: %s\n", what);
		fail();
	}
	assert_non_null(msg);
	if (!strstr(msg, want)) {
		print_error("after %s: message \"%s\" lacks \"%s\"\n", what, msg, want);
		fail();
	}
}

static void test_physmem_check_detects_corruption(void **state)
{
	struct physmem pm;
	struct pm_saved saved;
	uint64_t prng = 1;
	uint32_t two;
	KT_HEAP_BEGIN();

	(void)state;
	pm_setup(&pm, 64, KMEMU_PLACE_DEFAULT, 0, &prng);
	assert_status(physmem_alloc_contig(&pm, 2, &two), STATUS_SUCCESS);  /* frames 2-3 */
	assert_u64_equal(two, 2);
	PM_OK(&pm);
	pm_save(&pm, &saved);

	pm.n_free[3]++;
	pm_expect_broken(&pm, "per-order free count", "n_free[3]++");
	pm_restore(&pm, &saved);
	PM_OK(&pm);

	pm.frames[pm.free_head[2]].order = 3;
	pm_expect_broken(&pm, "wrong state, order or link", "order of a free head changed");
	pm_restore(&pm, &saved);
	PM_OK(&pm);

	pm.frames[pm.free_head[4]].prev = 5;
	pm_expect_broken(&pm, "wrong state, order or link", "prev link of a list head");
	pm_restore(&pm, &saved);
	PM_OK(&pm);

	pm.free_head[2] = 6;  /* frame 6 is not aligned to 4 */
	pm_expect_broken(&pm, "misaligned", "free_head[2] = 6");
	pm_restore(&pm, &saved);
	PM_OK(&pm);

	pm.frames[9].is_reserved = 1;  /* inside the free block 8-15 */
	pm_expect_broken(&pm, "include a held frame", "frame 9 marked held");
	pm_restore(&pm, &saved);
	PM_OK(&pm);

	pm.frames_used++;
	pm_expect_broken(&pm, "do not add up", "frames_used++");
	pm_restore(&pm, &saved);
	PM_OK(&pm);

	/* 2 and 3 pushed onto the order-0 list by hand: unmerged buddies */
	for (uint32_t f = 2; f <= 3; f++) {
		pm.frames[f] = (struct phys_frame){ .next = pm.free_head[0], .prev = FRAME_NONE,
						    .order = 0, .is_free = 1 };
		pm.frames[pm.free_head[0]].prev = f;
		pm.free_head[0] = f;
		pm.n_free[0]++;
	}
	pm.frames_used -= 2;
	pm_expect_broken(&pm, "not merged", "buddies 2 and 3 free separately");
	pm_restore(&pm, &saved);
	PM_OK(&pm);

	physmem_free_run(&pm, two, 2);
	PM_OK(&pm);
	physmem_fini(&pm);
	KT_HEAP_CLEAN();
}

/* One churn run per placement, each under its own name. */
#define CHURN(p) \
	{ "test_physmem_churn_" #p, test_physmem_churn, NULL, NULL, \
	  (void *)(uintptr_t)KMEMU_PLACE_##p }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_physmem_init_layout),
		cmocka_unit_test(test_physmem_init_invalid),
		cmocka_unit_test(test_physmem_split_merge),
		cmocka_unit_test(test_physmem_merge_all),
		cmocka_unit_test(test_physmem_contig_runs_adjacent),
		cmocka_unit_test(test_physmem_pages_default),
		cmocka_unit_test(test_physmem_pages_scatter),
		cmocka_unit_test(test_physmem_scatter_nonconsecutive),
		cmocka_unit_test(test_physmem_pages_random_deterministic),
		CHURN(DEFAULT),
		CHURN(SCATTER),
		CHURN(RANDOM),
		cmocka_unit_test(test_physmem_fragmentation),
		cmocka_unit_test(test_physmem_exhaustion),
		cmocka_unit_test(test_physmem_frame0_never),
		cmocka_unit_test(test_physmem_fault_frames),
		cmocka_unit_test(test_physmem_free_zeroes),
		cmocka_unit_test(test_physmem_check_detects_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
