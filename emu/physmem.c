/* SPDX-License-Identifier: MIT */
/*
 * physmem.c - buddy allocator over the page frames of the simulated RAM.
 *
 * As in the Linux page allocator, free memory is kept as blocks of 2^order
 * frames aligned to their size, one doubly linked free list per order, with
 * the list links stored in a per-frame array.  Allocating order k takes the
 * smallest free block of order >= k and splits it, returning the upper
 * halves to the lists; freeing merges a block with its buddy (pfn ^ 2^order)
 * while the buddy is a free block of the same order.  A contiguous request
 * of n frames takes a block of order ceil(log2 n) and gives the tail back
 * (alloc_pages_exact), so contiguity is real in frame numbers.
 *
 * Placement policies: DEFAULT serves non-contiguous requests with the
 * largest blocks available (few runs, cheap to map); SCATTER never hands out
 * two adjacent frames in one non-contiguous request, so code that assumes
 * contiguity breaks; RANDOM picks among free blocks with the machine's seeded
 * PRNG.  Fragmentation holds one frame in every 2^fragment_order, so no
 * contiguous request above 2^(fragment_order - 1) frames can succeed, as on a
 * long-running server.  Frame 0 is always held, so no buffer has physical
 * address 0.
 *
 * Invariant: a free frame reads as zero - freed runs are punched out of the
 * RAM memfd, which also returns their host memory.
 */
#include <string.h>
#include "emu.h"

/* ---- free lists ------------------------------------------------------------ */

static void list_add(struct physmem *pm, uint32_t pfn, unsigned order)
{
	struct phys_frame *f = &pm->frames[pfn];

	f->is_free = 1;
	f->order = (uint8_t)order;
	f->prev = FRAME_NONE;
	f->next = pm->free_head[order];
	if (f->next != FRAME_NONE)
		pm->frames[f->next].prev = pfn;
	pm->free_head[order] = pfn;
	pm->n_free[order]++;
}

static void list_del(struct physmem *pm, uint32_t pfn)
{
	struct phys_frame *f = &pm->frames[pfn];
	unsigned order = f->order;

	if (f->prev != FRAME_NONE)
		pm->frames[f->prev].next = f->next;
	else
		pm->free_head[order] = f->next;
	if (f->next != FRAME_NONE)
		pm->frames[f->next].prev = f->prev;
	f->is_free = 0;
	f->next = f->prev = FRAME_NONE;
	pm->n_free[order]--;
}

static unsigned floor_log2(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static unsigned ceil_log2(uint64_t v)
{
	return v <= 1 ? 0 : floor_log2(v - 1) + 1;
}

/* Free a block, merging with its buddy as far as possible. */
static void block_free(struct physmem *pm, uint32_t pfn, unsigned order)
{
	while (order < pm->max_order) {
		uint64_t buddy = (uint64_t)pfn ^ (1ull << order);

		if (buddy >= pm->n_frames || !pm->frames[buddy].is_free ||
		    pm->frames[buddy].order != order)
			break;
		list_del(pm, (uint32_t)buddy);
		if (buddy < pfn)
			pfn = (uint32_t)buddy;
		order++;
	}
	list_add(pm, pfn, order);
}

/* Free frames [first, first + n) as maximal aligned blocks (no zeroing). */
static void range_free(struct physmem *pm, uint64_t first, uint64_t n)
{
	while (n) {
		unsigned o = first ? (unsigned)__builtin_ctzll(first) : pm->max_order;

		if (o > pm->max_order)
			o = pm->max_order;
		while ((1ull << o) > n)
			o--;
		block_free(pm, (uint32_t)first, o);
		first += 1ull << o;
		n -= 1ull << o;
	}
}

/* Split a free block of order @have taken off its list down to @want,
 * returning the halves not kept.  @keep_random picks a random half each step. */
static uint32_t block_split(struct physmem *pm, uint32_t pfn, unsigned have, unsigned want,
			    int keep_random)
{
	while (have > want) {
		uint32_t half;

		have--;
		half = pfn + (1u << have);
		if (keep_random && (kmemu__prng_next(pm->prng) & 1)) {
			list_add(pm, pfn, have);
			pfn = half;
		} else {
			list_add(pm, half, have);
		}
	}
	return pfn;
}

/* Take a free block of exactly @order (splitting a larger one). */
static uint32_t block_alloc(struct physmem *pm, unsigned order)
{
	unsigned o;

	for (o = order; o <= pm->max_order; o++) {
		if (pm->free_head[o] != FRAME_NONE) {
			uint32_t pfn = pm->free_head[o];

			list_del(pm, pfn);
			return block_split(pm, pfn, o, order, 0);
		}
	}
	return FRAME_NONE;
}

/* Take a randomly chosen free block of @order. */
static uint32_t block_alloc_random(struct physmem *pm, unsigned order)
{
	unsigned orders[PHYS_MAX_ORDER + 1], n = 0, o;
	uint64_t steps;
	uint32_t pfn;

	for (o = order; o <= pm->max_order; o++)
		if (pm->free_head[o] != FRAME_NONE)
			orders[n++] = o;
	if (!n)
		return FRAME_NONE;
	o = orders[kmemu__prng_next(pm->prng) % n];
	steps = kmemu__prng_next(pm->prng) % (pm->n_free[o] < 64 ? pm->n_free[o] : 64);
	for (pfn = pm->free_head[o]; steps--;)
		pfn = pm->frames[pfn].next;
	list_del(pm, pfn);
	return block_split(pm, pfn, o, order, 1);
}

static uint32_t block_take(struct physmem *pm, unsigned order)
{
	if (pm->placement == KMEMU_PLACE_RANDOM)
		return block_alloc_random(pm, order);
	return block_alloc(pm, order);
}

/* Hold one specific frame for the system (frame 0, fragmentation). */
static void frame_claim(struct physmem *pm, uint32_t pfn)
{
	unsigned o;

	for (o = 0; o <= pm->max_order; o++) {
		uint32_t head = pfn & ~((1u << o) - 1);

		if (pm->frames[head].is_free && pm->frames[head].order == o) {
			list_del(pm, head);
			if (pfn > head)
				range_free(pm, head, pfn - head);
			if (head + (1ull << o) > (uint64_t)pfn + 1)
				range_free(pm, (uint64_t)pfn + 1, head + (1ull << o) - pfn - 1);
			pm->frames[pfn].is_reserved = 1;
			pm->frames_reserved++;
			return;
		}
	}
}

/* 1 if a neighbour of @pfn was already taken by the request being served
 * (any earlier frame of it, not only the previous one), so SCATTER skips @pfn. */
static int frame_touches_request(const struct physmem *pm, uint32_t pfn)
{
	return (pfn > 0 && pm->frames[pfn - 1].in_request) ||
	       ((uint64_t)pfn + 1 < pm->n_frames && pm->frames[pfn + 1].in_request);
}

static uint64_t frames_free(const struct physmem *pm)
{
	return pm->n_frames - pm->frames_used - pm->frames_reserved;
}

/* ---- public ------------------------------------------------------------------ */

/**
 * physmem_init() - set up the allocator with every frame free.
 * @pm:             allocator to fill.
 * @n_frames:       frames of RAM (2 .. 2^32 - 1).
 * @placement:      policy.
 * @fragment_order: 0, or hold one frame in every 2^order (order >= 1).
 * @prng:           the machine's PRNG state (RANDOM placement).
 * @memfd:          the RAM, punched to zero freed frames.
 *
 * Context: machine being built; no lock needed.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a size out of range;
 * STATUS_INSUFFICIENT_RESOURCES when the frame array cannot be allocated.
 */
kmemu_status physmem_init(struct physmem *pm, uint64_t n_frames, enum kmemu_placement placement,
			  unsigned fragment_order, uint64_t *prng, int memfd)
{
	unsigned o;

	memset(pm, 0, sizeof(*pm));
	if (n_frames < 2 || n_frames >= FRAME_NONE || fragment_order > PHYS_MAX_ORDER)
		return STATUS_INVALID_PARAMETER;
	pm->frames = kmemu__calloc(n_frames, sizeof(*pm->frames));
	if (!pm->frames)
		return STATUS_INSUFFICIENT_RESOURCES;
	pm->n_frames = n_frames;
	pm->max_order = floor_log2(n_frames);
	if (pm->max_order > PHYS_MAX_ORDER)
		pm->max_order = PHYS_MAX_ORDER;
	pm->placement = placement;
	pm->prng = prng;
	pm->memfd = memfd;
	for (o = 0; o <= PHYS_MAX_ORDER; o++)
		pm->free_head[o] = FRAME_NONE;
	for (uint64_t i = 0; i < n_frames; i++)
		pm->frames[i].next = pm->frames[i].prev = FRAME_NONE;
	range_free(pm, 0, n_frames);
	frame_claim(pm, 0);
	if (fragment_order) {
		uint64_t step = 1ull << fragment_order;

		for (uint64_t pfn = step - 1; pfn < n_frames; pfn += step)
			if (!pm->frames[pfn].is_reserved)
				frame_claim(pm, (uint32_t)pfn);
	}
	return STATUS_SUCCESS;
}

/* physmem_fini() - release the frame array. */
void physmem_fini(struct physmem *pm)
{
	kmemu__free(pm->frames);
	memset(pm, 0, sizeof(*pm));
}

/**
 * physmem_alloc_contig() - allocate @npages physically contiguous frames.
 * @pm:     allocator.
 * @npages: frames wanted (>= 1).
 * @first:  receives the first frame number.
 *
 * The frames read as zero.
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES when no free run is
 * large enough (or the fault simulator fails the frame acquisition).
 */
kmemu_status physmem_alloc_contig(struct physmem *pm, uint64_t npages, uint32_t *first)
{
	unsigned order;
	uint32_t pfn;

	if (npages == 0 || npages > frames_free(pm) || kmemu__fault_should_fail(KMEMU_FAULT_FRAMES))
		return STATUS_INSUFFICIENT_RESOURCES;
	order = ceil_log2(npages);
	if (order > pm->max_order)
		return STATUS_INSUFFICIENT_RESOURCES;
	pfn = block_take(pm, order);
	if (pfn == FRAME_NONE)
		return STATUS_INSUFFICIENT_RESOURCES;
	if ((1ull << order) > npages)
		range_free(pm, (uint64_t)pfn + npages, (1ull << order) - npages);
	pm->frames_used += npages;
	*first = pfn;
	return STATUS_SUCCESS;
}

/**
 * physmem_alloc_pages() - allocate @npages frames, contiguous or not.
 * @pm:     allocator.
 * @npages: frames wanted (>= 1).
 * @pfns:   receives the frame of each page, in order.
 *
 * Placement follows the policy (see the file comment).  The frames read as
 * zero.
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES when there are too
 * few free frames (or the fault simulator fails the acquisition); nothing
 * is allocated then.
 */
kmemu_status physmem_alloc_pages(struct physmem *pm, uint64_t npages, uint32_t *pfns)
{
	uint64_t i = 0;

	if (npages == 0 || npages > frames_free(pm) || kmemu__fault_should_fail(KMEMU_FAULT_FRAMES))
		return STATUS_INSUFFICIENT_RESOURCES;
	if (pm->placement == KMEMU_PLACE_DEFAULT) {
		while (i < npages) {
			unsigned o = floor_log2(npages - i), k;
			uint32_t pfn;

			if (o > pm->max_order)
				o = pm->max_order;
			for (;; o--) {
				for (k = o; k <= pm->max_order && pm->free_head[k] == FRAME_NONE; k++)
					;
				if (k <= pm->max_order || o == 0)
					break;
			}
			pfn = block_alloc(pm, o);
			if (NEVER(pfn == FRAME_NONE))
				goto fail;
			for (uint64_t j = 0; j < (1ull << o); j++)
				pfns[i++] = pfn + (uint32_t)j;
		}
	} else {
		uint32_t held = FRAME_NONE;  /* frames skipped for adjacency, linked by .next */

		while (i < npages) {
			uint32_t pfn = block_take(pm, 0);

			if (pfn == FRAME_NONE) {
				/* Only adjacent frames left: accept them rather than fail. */
				if (held == FRAME_NONE)
					break;
				pfn = held;
				held = pm->frames[pfn].next;
				pm->frames[pfn].next = FRAME_NONE;
			} else if (pm->placement == KMEMU_PLACE_SCATTER &&
				   frame_touches_request(pm, pfn)) {
				pm->frames[pfn].next = held;
				held = pfn;
				continue;
			}
			pm->frames[pfn].in_request = 1;
			pfns[i++] = pfn;
		}
		for (uint64_t k = 0; k < i; k++)
			pm->frames[pfns[k]].in_request = 0;
		while (held != FRAME_NONE) {
			uint32_t next = pm->frames[held].next;

			pm->frames[held].next = FRAME_NONE;
			block_free(pm, held, 0);
			held = next;
		}
		if (NEVER(i < npages))
			goto fail;
	}
	pm->frames_used += npages;
	return STATUS_SUCCESS;
fail:
	while (i)
		block_free(pm, pfns[--i], 0);
	return STATUS_INSUFFICIENT_RESOURCES;
}

/**
 * physmem_free_run() - free frames [first, first + npages) and zero them.
 * Context: caller holds the machine lock.
 */
void physmem_free_run(struct physmem *pm, uint32_t first, uint64_t npages)
{
	uint64_t i = 0;

	/* pinned frames (a locked user range) stay held until the last unpin */
	while (i < npages) {
		uint64_t j = i;

		while (j < npages && !pm->frames[first + j].pins)
			j++;
		if (j > i) {
			if (pm->memfd >= 0)
				kmemu__sys_punch(pm->memfd, (off_t)(first + i) << EMU_PAGE_SHIFT,
						 (off_t)(j - i) << EMU_PAGE_SHIFT);
			pm->frames_used -= j - i;
			range_free(pm, first + i, j - i);
		}
		for (i = j; i < npages && pm->frames[first + i].pins; i++)
			pm->frames[first + i].free_deferred = 1;
	}
}

/**
 * physmem_pin() - pin a frame its owner holds (a locked user page).
 * Context: caller holds the machine lock.
 */
void physmem_pin(struct physmem *pm, uint32_t pfn)
{
	pm->frames[pfn].pins++;
}

/**
 * physmem_unpin() - drop a pin; the frame is freed and zeroed now when its
 * owner freed it while it was pinned.
 * Context: caller holds the machine lock.
 */
void physmem_unpin(struct physmem *pm, uint32_t pfn)
{
	struct phys_frame *f = &pm->frames[pfn];

	if (--f->pins == 0 && f->free_deferred) {
		f->free_deferred = 0;
		physmem_free_run(pm, pfn, 1);
	}
}

/**
 * physmem_free_pages() - free a frame list from physmem_alloc_pages().
 * Adjacent frames are freed (and zeroed) as one run.
 * Context: caller holds the machine lock.
 */
void physmem_free_pages(struct physmem *pm, const uint32_t *pfns, uint64_t npages)
{
	uint64_t i = 0;

	while (i < npages) {
		uint64_t j = i + 1;

		while (j < npages && pfns[j] == pfns[j - 1] + 1)
			j++;
		physmem_free_run(pm, pfns[i], j - i);
		i = j;
	}
}

/* physmem_largest_free_order() - order of the largest free block, or -1 as
 * UINT64_MAX when nothing is free. */
uint64_t physmem_largest_free_order(const struct physmem *pm)
{
	for (int o = (int)pm->max_order; o >= 0; o--)
		if (pm->free_head[o] != FRAME_NONE)
			return (uint64_t)o;
	return UINT64_MAX;
}

/**
 * physmem_check() - verify the free lists.
 * @pm:  allocator.
 * @msg: receives a description of the first problem.
 *
 * Checks: every list entry is a free head of that order, aligned, inside
 * RAM, not overlapping another free block and not mergeable with its buddy;
 * list links are consistent; per-order counts match; free + used + reserved
 * frames add up to the total.
 * Context: caller holds the machine lock.
 * Return: 1 if all hold, 0 otherwise.
 */
int physmem_check(const struct physmem *pm, const char **msg)
{
	uint8_t *seen;
	uint64_t total_free = 0;
	int ok = 1;

	seen = kmemu__calloc((pm->n_frames + 7) / 8, 1);
	if (!seen)
		return 1; /* cannot check without memory: not a broken invariant */
	for (unsigned o = 0; o <= pm->max_order && ok; o++) {
		uint64_t count = 0;
		uint32_t prev = FRAME_NONE;

		for (uint32_t pfn = pm->free_head[o]; pfn != FRAME_NONE; pfn = pm->frames[pfn].next) {
			const struct phys_frame *f = &pm->frames[pfn];
			uint64_t buddy = (uint64_t)pfn ^ (1ull << o);

			if ((uint64_t)pfn + (1ull << o) > pm->n_frames || (pfn & ((1u << o) - 1))) {
				*msg = "physmem: free block misaligned or outside RAM";
				ok = 0;
				break;
			}
			if (!f->is_free || f->order != o || f->prev != prev) {
				*msg = "physmem: free list entry has wrong state, order or link";
				ok = 0;
				break;
			}
			if (o < pm->max_order && buddy < pm->n_frames && pm->frames[buddy].is_free &&
			    pm->frames[buddy].order == o) {
				*msg = "physmem: free block and its buddy were not merged";
				ok = 0;
				break;
			}
			for (uint64_t i = pfn; i < (uint64_t)pfn + (1ull << o); i++) {
				if ((seen[i / 8] >> (i % 8)) & 1 || pm->frames[i].is_reserved) {
					*msg = "physmem: free blocks overlap or include a held frame";
					ok = 0;
					break;
				}
				seen[i / 8] |= (uint8_t)(1u << (i % 8));
			}
			count++;
			total_free += 1ull << o;
			prev = pfn;
		}
		if (ok && count != pm->n_free[o]) {
			*msg = "physmem: per-order free count is wrong";
			ok = 0;
		}
	}
	if (ok && total_free + pm->frames_used + pm->frames_reserved != pm->n_frames) {
		*msg = "physmem: free + used + reserved frames do not add up to RAM";
		ok = 0;
	}
	kmemu__free(seen);
	return ok;
}
