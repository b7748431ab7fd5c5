/* SPDX-License-Identifier: MIT */
/*
 * fuzz_physmem.c - libFuzzer harness for the buddy frame allocator (emu/physmem.c).
 *
 * Input: a 4-byte header - frames (2 .. 4097), placement (default, scatter,
 * random), fragment order (0 .. 7), PRNG seed - then 4-byte records:
 *
 *   byte 0 % 8: 0,1 physmem_alloc_contig  2,3 physmem_alloc_pages
 *               4,5 free an allocation (whole)  6 free the first half of a
 *               contiguous allocation  7 fail the next frame acquisition
 *               (fault simulator NTH 0 on KMEMU_FAULT_FRAMES)
 *   bytes 1..3: size (frames, skewed small; sometimes 0 or > RAM) or which
 *               allocation to free
 *
 * The allocator runs with memfd -1 (no RAM behind it: frames are numbers).
 * A model - one owner byte per frame - predicts every status: contiguous
 * requests succeed exactly when an aligned free run of 2^ceil(log2 n) frames
 * exists (the buddy invariant: such a run is always one free block),
 * non-contiguous ones exactly when enough frames are free; an injected
 * fault fails the call and changes nothing.  After every step
 * physmem_check() passes, frames handed out are inside RAM, not reserved,
 * not already held, contiguous when asked; frames_used matches.  At the end
 * everything is freed, frames_used is 0 and the free lists have the same
 * shape (blocks per order) as right after physmem_init - every merge
 * happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emu.h"

#define MAX_ALLOCS 64

struct alloc {
	uint32_t *pfns;    /* frames (contig: first only is meaningful, all filled) */
	uint64_t n;        /* frames held */
	int contig;        /* from physmem_alloc_contig */
};

static uint8_t *owner;             /* per frame: 0 free, 1 reserved, 2 held */
static struct alloc allocs[MAX_ALLOCS];

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_physmem: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void check(const struct physmem *pm)
{
	const char *why = "";

	if (!physmem_check(pm, &why))
		die("physmem_check", why);
}

static unsigned ceil_log2(uint64_t v)
{
	unsigned o = 0;

	while ((1ull << o) < v)
		o++;
	return o;
}

static int free_block_exists(uint64_t n_frames, unsigned order)
{
	uint64_t size = 1ull << order;

	for (uint64_t start = 0; start + size <= n_frames; start += size) {
		uint64_t f = start;

		while (f < start + size && owner[f] == 0)
			f++;
		if (f == start + size)
			return 1;
	}
	return 0;
}

static void release(struct physmem *pm, struct alloc *a, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		owner[a->pfns[i]] = 0;
	if (a->contig)
		physmem_free_run(pm, a->pfns[0], n);
	else
		physmem_free_pages(pm, a->pfns, n);
}

/**
 * LLVMFuzzerTestOneInput() - run one allocation program against physmem.
 * @data, @size: the input (see the file comment).
 * Return: 0 (broken invariants abort).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct physmem pm;
	uint64_t prng, n_frames, free_frames = 0, used = 0;
	uint64_t initial_free[PHYS_MAX_ORDER + 1];
	unsigned frag;
	enum kmemu_placement place;

	if (size < 4)
		return 0;
	n_frames = 2 + ((uint64_t)data[0] | (uint64_t)(data[1] & 0x0F) << 8);
	place = (enum kmemu_placement)(data[1] >> 4) % 3;
	frag = data[2] % 8;
	prng = data[3];
	kmemu_fault_set(NULL);
	if (physmem_init(&pm, n_frames, place, frag, &prng, -1))
		die("physmem_init failed", NULL);
	memcpy(initial_free, pm.n_free, sizeof(initial_free));
	owner = calloc(n_frames, 1);
	if (!owner)
		abort();
	for (uint64_t f = 0; f < n_frames; f++) {
		owner[f] = pm.frames[f].is_reserved;
		free_frames += !owner[f];
	}
	if (!owner[0] || free_frames + pm.frames_reserved != n_frames)
		die("init: frame 0 not held or reserved count wrong", NULL);
	check(&pm);

	for (size_t off = 4; off + 4 <= size; off += 4) {
		const uint8_t *r = data + off;
		unsigned op = r[0] % 8;
		uint64_t want;
		int fault = 0;

		/* Skewed sizes: mostly a few frames, sometimes up to all of RAM,
		 * 0, or more than RAM. */
		switch (r[1] >> 6) {
		case 0: want = 1 + r[2] % 8; break;
		case 1: want = 1 + (r[2] | (uint64_t)r[3] << 8) % 64; break;
		case 2: want = (r[2] | (uint64_t)r[3] << 8) % (n_frames + 1); break;
		default: want = r[2] & 1 ? n_frames + r[3] : (uint64_t)r[3] << 32; break;
		}
		if (op == 7) {
			struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .n = 0,
							 .resources = KMEMU_FAULT_FRAMES };

			kmemu_fault_set(&fc);
			fault = 1;
			op = r[1] & 1 ? 0 : 2;  /* and try an allocation */
		}
		if (op <= 3) {
			int contig = op <= 1;
			int slot = -1;
			uint64_t before = pm.frames_used;
			kmemu_status rc, expect;

			for (int i = 0; i < MAX_ALLOCS && slot < 0; i++)
				if (!allocs[i].pfns)
					slot = i;
			if (slot < 0) {  /* table full: free the first allocation */
				release(&pm, &allocs[0], allocs[0].n);
				used -= allocs[0].n;
				free(allocs[0].pfns);
				allocs[0].pfns = NULL;
				slot = 0;
			}
			if (fault || want == 0 || want > free_frames - used)
				expect = STATUS_INSUFFICIENT_RESOURCES;
			else if (contig && (ceil_log2(want) > pm.max_order ||
					    !free_block_exists(n_frames, ceil_log2(want))))
				expect = STATUS_INSUFFICIENT_RESOURCES;
			else
				expect = STATUS_SUCCESS;
			allocs[slot].pfns = calloc(want && want <= (1u << 16) ? want : 1, sizeof(uint32_t));
			if (!allocs[slot].pfns)
				abort();
			if (contig) {
				uint32_t first = FRAME_NONE;

				rc = physmem_alloc_contig(&pm, want, &first);
				for (uint64_t i = 0; !rc && i < want; i++)
					allocs[slot].pfns[i] = first + (uint32_t)i;
			} else {
				rc = physmem_alloc_pages(&pm, want, allocs[slot].pfns);
			}
			kmemu_fault_set(NULL);
			if (rc != expect) {
				char d[128];

				snprintf(d, sizeof(d), "%s of %llu frames (%llu free, placement %u) returned %s",
					 contig ? "alloc_contig" : "alloc_pages", (unsigned long long)want,
					 (unsigned long long)(free_frames - used), place,
					 kmemu_status_name(rc));
				die("status differs from the model", d);
			}
			if (rc) {
				free(allocs[slot].pfns);
				allocs[slot].pfns = NULL;
				if (pm.frames_used != before)
					die("a failed allocation changed frames_used", NULL);
			} else {
				allocs[slot].n = want;
				allocs[slot].contig = contig;
				for (uint64_t i = 0; i < want; i++) {
					uint32_t f = allocs[slot].pfns[i];

					if (f >= n_frames || owner[f])
						die("a frame handed out is outside RAM, reserved or held", NULL);
					owner[f] = 2;
				}
				used += want;
			}
		} else if (op <= 6) {
			struct alloc *a = &allocs[r[2] % MAX_ALLOCS];
			uint64_t n;

			if (!a->pfns)
				continue;
			n = op == 6 && a->contig && a->n > 1 ? a->n / 2 : a->n;
			release(&pm, a, n);
			used -= n;
			if (n < a->n) {  /* keep the tail held */
				memmove(a->pfns, a->pfns + n, (a->n - n) * sizeof(uint32_t));
				a->n -= n;
			} else {
				free(a->pfns);
				a->pfns = NULL;
				a->n = 0;
			}
		}
		if (pm.frames_used != used)
			die("frames_used differs from the frames held", NULL);
		check(&pm);
	}

	for (int i = 0; i < MAX_ALLOCS; i++) {
		if (allocs[i].pfns) {
			release(&pm, &allocs[i], allocs[i].n);
			free(allocs[i].pfns);
			allocs[i].pfns = NULL;
		}
	}
	check(&pm);
	if (pm.frames_used)
		die("frames left in use after freeing everything", NULL);
	if (memcmp(initial_free, pm.n_free, sizeof(initial_free)))
		die("free lists differ from the initial ones after freeing everything (a merge was missed)",
		    NULL);
	physmem_fini(&pm);
	free(owner);
	owner = NULL;
	return 0;
}
