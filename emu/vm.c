/* SPDX-License-Identifier: MIT */
/*
 * vm.c - address spaces: reserved host ranges and the frame areas mapped in them.
 *
 * A space is one PROT_NONE reservation of host virtual memory (the kernel's
 * vmalloc area, or one emulated process's user space).  An area maps a list
 * of RAM frames at consecutive pages with mmap(MAP_SHARED|MAP_FIXED) of the
 * RAM memfd, one mmap per run of adjacent frames, so the same frame mapped
 * in two spaces is one page of memory seen twice.  Unmapping puts the
 * PROT_NONE reservation back, so a stale pointer faults as on Windows.
 *
 * Areas are kept in an array sorted by start; placement is first fit on
 * @align boundaries with @guard unmapped bytes after each area.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "emu.h"

#define RESERVE_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

/**
 * vm_space_init() - reserve @size bytes of host address space.
 * @vs:    space to fill.
 * @size:  bytes (page multiple).
 * @align: alignment of areas (power of two, >= page size).
 * @guard: bytes left unmapped after every area.
 * @memfd: the RAM.
 * Context: no lock needed.
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES when the host
 * refuses the reservation.
 */
kmemu_status vm_space_init(struct vm_space *vs, uint64_t size, uint64_t align, uint64_t guard,
			   int memfd)
{
	/* mmap only promises page alignment: reserve @align - 1 page more and
	 * trim, so areas are aligned in absolute terms, not just from base. */
	uint64_t extra = align > EMU_PAGE_SIZE ? align - EMU_PAGE_SIZE : 0, head;
	uint8_t *p;

	memset(vs, 0, sizeof(*vs));
	p = kmemu__sys_mmap(NULL, size + extra, PROT_NONE, RESERVE_FLAGS, -1, 0);
	if (p == MAP_FAILED)
		return STATUS_INSUFFICIENT_RESOURCES;
	head = (align - ((uintptr_t)p & (align - 1))) & (align - 1);
	if (head)
		kmemu__sys_munmap(p, head);
	if (extra > head)
		kmemu__sys_munmap(p + head + size, extra - head);
	vs->base = p + head;
	vs->size = size;
	vs->align = align;
	vs->guard = guard;
	vs->memfd = memfd;
	return STATUS_SUCCESS;
}

/* vm_space_fini() - drop the reservation and every area in it. */
void vm_space_fini(struct vm_space *vs)
{
	if (vs->base)
		kmemu__sys_munmap(vs->base, vs->size);
	kmemu__free(vs->areas);
	memset(vs, 0, sizeof(*vs));
}

/* Put the reservation back over [addr, addr + len): never fails in practice;
 * not fault-injected because it releases. */
static void vm_rereserve(void *addr, uint64_t len)
{
	mmap(addr, len, PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0);
}

/* First-fit search for @bytes; returns the insertion index and offset. */
static int vm_find_gap(const struct vm_space *vs, uint64_t bytes, size_t *idx, uint64_t *start)
{
	uint64_t cur = 0;
	size_t i;

	for (i = 0; i <= vs->n_areas; i++) {
		uint64_t limit = i < vs->n_areas ? vs->areas[i].start : vs->size;

		cur = (cur + vs->align - 1) & ~(vs->align - 1);
		if (cur <= limit && limit - cur >= bytes + vs->guard) {
			*idx = i;
			*start = cur;
			return 1;
		}
		if (i < vs->n_areas)
			cur = vs->areas[i].start + (vs->areas[i].npages << EMU_PAGE_SHIFT) + vs->guard;
	}
	return 0;
}

/**
 * vm_map() - map frames at a new area of the space.
 * @vs:     space.
 * @pfns:   frame of each page; must stay valid while the area lives.
 * @npages: pages (>= 1).
 * @owner:  the object the area belongs to (for lookups).
 * @addr:   receives the area's address.
 *
 * Pages are readable and writable.
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES when no gap is large
 * enough, the area array cannot grow or the host refuses an mmap (nothing
 * stays mapped then).
 */
kmemu_status vm_map(struct vm_space *vs, const uint32_t *pfns, uint64_t npages, void *owner,
		    void **addr)
{
	uint64_t bytes = npages << EMU_PAGE_SHIFT, start, i = 0;
	size_t idx;

	if (npages == 0 || npages > (vs->size >> EMU_PAGE_SHIFT) || !vm_find_gap(vs, bytes, &idx, &start))
		return STATUS_INSUFFICIENT_RESOURCES;
	if (vs->n_areas == vs->cap_areas) {
		size_t cap = vs->cap_areas ? vs->cap_areas * 2 : 8;
		struct vm_area *a = kmemu__realloc(vs->areas, cap * sizeof(*a));

		if (!a)
			return STATUS_INSUFFICIENT_RESOURCES;
		vs->areas = a;
		vs->cap_areas = cap;
	}
	while (i < npages) {
		uint64_t j = i + 1;
		void *p;

		while (j < npages && pfns[j] == pfns[j - 1] + 1)
			j++;
		p = kmemu__sys_mmap(vs->base + start + (i << EMU_PAGE_SHIFT), (j - i) << EMU_PAGE_SHIFT,
				    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, vs->memfd,
				    (off_t)pfns[i] << EMU_PAGE_SHIFT);
		if (p == MAP_FAILED) {
			if (i)
				vm_rereserve(vs->base + start, i << EMU_PAGE_SHIFT);
			return STATUS_INSUFFICIENT_RESOURCES;
		}
		i = j;
	}
	memmove(&vs->areas[idx + 1], &vs->areas[idx], (vs->n_areas - idx) * sizeof(*vs->areas));
	vs->areas[idx] = (struct vm_area){ .start = start, .npages = npages, .pfns = pfns, .owner = owner };
	vs->n_areas++;
	*addr = vs->base + start;
	return STATUS_SUCCESS;
}

static size_t vm_index(const struct vm_space *vs, const void *addr, int *found)
{
	size_t lo = 0, hi = vs->n_areas;
	uint64_t off;

	*found = 0;
	if (!vm_contains(vs, addr))
		return 0;
	off = (uint64_t)((const uint8_t *)addr - vs->base);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vm_area *a = &vs->areas[mid];

		if (off < a->start)
			hi = mid;
		else if (off >= a->start + (a->npages << EMU_PAGE_SHIFT))
			lo = mid + 1;
		else {
			*found = 1;
			return mid;
		}
	}
	return lo;
}

/**
 * vm_unmap() - remove the area that starts at @addr.
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_NOT_MAPPED_VIEW when no area starts there.
 */
kmemu_status vm_unmap(struct vm_space *vs, void *addr)
{
	int found;
	size_t i = vm_index(vs, addr, &found);

	if (!found || vs->base + vs->areas[i].start != (uint8_t *)addr)
		return STATUS_NOT_MAPPED_VIEW;
	vm_rereserve(addr, vs->areas[i].npages << EMU_PAGE_SHIFT);
	memmove(&vs->areas[i], &vs->areas[i + 1], (vs->n_areas - i - 1) * sizeof(*vs->areas));
	vs->n_areas--;
	return STATUS_SUCCESS;
}

/* ---- placement for section views: top-down, fixed, below a limit ---------------- */

/* Gap @i (0..n_areas) of @vs as offsets [*lo, *hi): the free bytes before
 * area i (or before the end), guards excluded from *lo. */
static void vm_gap(const struct vm_space *vs, size_t i, uint64_t *lo, uint64_t *hi)
{
	*lo = i ? vs->areas[i - 1].start + (vs->areas[i - 1].npages << EMU_PAGE_SHIFT) + vs->guard : 0;
	*hi = i < vs->n_areas ? vs->areas[i].start : vs->size;
}

/**
 * vm_find_free() - find room for @bytes in a space without taking it.
 * @vs:       space.
 * @bytes:    size (page multiple, > 0).
 * @top_down: 0 = lowest fitting slot (first fit), 1 = highest (MEM_TOP_DOWN).
 * @last:     highest host address the range may cover (inclusive); UINTPTR_MAX
 *            for no limit (ZeroBits gives one).
 * @start:    receives the slot's offset from the space's base, @vs->align aligned.
 * Context: caller holds the machine lock.
 * Return: 1 when a slot was found, 0 otherwise.
 */
int vm_find_free(const struct vm_space *vs, uint64_t bytes, int top_down, uintptr_t last,
		 uint64_t *start)
{
	uint64_t lim;  /* exclusive bound on the end, as an offset */

	if (!vs->base || bytes == 0 || bytes > vs->size || last < (uintptr_t)vs->base)
		return 0;
	lim = (uint64_t)(last - (uintptr_t)vs->base);
	lim = lim >= vs->size ? vs->size : lim + 1;
	for (size_t k = 0; k <= vs->n_areas; k++) {
		size_t i = top_down ? vs->n_areas - k : k;
		uint64_t lo, hi, cand;

		vm_gap(vs, i, &lo, &hi);
		if (hi > lim)
			hi = lim;
		if (hi < lo + bytes + vs->guard)
			continue;
		if (top_down) {
			cand = (hi - vs->guard - bytes) & ~(vs->align - 1);
			if (cand < lo)
				continue;
		} else {
			cand = (lo + vs->align - 1) & ~(vs->align - 1);
			if (cand + bytes + vs->guard > hi)
				continue;
		}
		*start = cand;
		return 1;
	}
	return 0;
}

/**
 * vm_range_free() - is [@start, @start + @bytes) inside the space and clear of
 * every area (and its guard)?
 * Context: caller holds the machine lock.
 * Return: 1 if free, 0 otherwise.
 */
int vm_range_free(const struct vm_space *vs, uint64_t start, uint64_t bytes)
{
	if (!vs->base || bytes == 0 || start >= vs->size || bytes > vs->size - start)
		return 0;
	for (size_t i = 0; i < vs->n_areas; i++) {
		const struct vm_area *a = &vs->areas[i];
		uint64_t end = a->start + (a->npages << EMU_PAGE_SHIFT) + vs->guard;

		if (start < end && a->start < start + bytes + vs->guard)
			return 0;
	}
	return 1;
}

/**
 * vm_insert() - record an area at @start without mapping anything: the
 * caller maps the pages (section views map page by page with their own
 * protection) and the reservation stays PROT_NONE where it does not.
 * @vs:     space.
 * @start:  offset, free per vm_range_free().
 * @npages: pages.
 * @pfns:   frame of each page; 0 marks a page with no frame (uncommitted).
 * @owner:  the area's owner.
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_NO_MEMORY when the area array cannot grow.
 */
kmemu_status vm_insert(struct vm_space *vs, uint64_t start, uint64_t npages, const uint32_t *pfns,
		       void *owner)
{
	size_t idx = 0;

	if (vs->n_areas == vs->cap_areas) {
		size_t cap = vs->cap_areas ? vs->cap_areas * 2 : 8;
		struct vm_area *a = kmemu__realloc(vs->areas, cap * sizeof(*a));

		if (!a)
			return STATUS_NO_MEMORY;
		vs->areas = a;
		vs->cap_areas = cap;
	}
	while (idx < vs->n_areas && vs->areas[idx].start < start)
		idx++;
	memmove(&vs->areas[idx + 1], &vs->areas[idx], (vs->n_areas - idx) * sizeof(*vs->areas));
	vs->areas[idx] = (struct vm_area){ .start = start, .npages = npages, .pfns = pfns, .owner = owner };
	vs->n_areas++;
	return STATUS_SUCCESS;
}

/**
 * vm_forget() - drop the record of the area starting at @addr but leave its
 * host pages as they are (the caller takes the host range over).
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_NOT_MAPPED_VIEW when no area starts there.
 */
kmemu_status vm_forget(struct vm_space *vs, void *addr)
{
	int found;
	size_t i = vm_index(vs, addr, &found);

	if (!found || vs->base + vs->areas[i].start != (uint8_t *)addr)
		return STATUS_NOT_MAPPED_VIEW;
	memmove(&vs->areas[i], &vs->areas[i + 1], (vs->n_areas - i - 1) * sizeof(*vs->areas));
	vs->n_areas--;
	return STATUS_SUCCESS;
}

/**
 * vm_space_fini_keep() - drop the reservation except the areas still
 * recorded, whose host pages stay mapped (another owner took them over).
 * Context: caller holds the machine lock.
 */
void vm_space_fini_keep(struct vm_space *vs)
{
	if (vs->base) {
		for (size_t i = 0; i <= vs->n_areas; i++) {
			uint64_t lo = i ? vs->areas[i - 1].start + (vs->areas[i - 1].npages << EMU_PAGE_SHIFT) : 0;
			uint64_t hi = i < vs->n_areas ? vs->areas[i].start : vs->size;

			if (hi > lo)
				kmemu__sys_munmap(vs->base + lo, hi - lo);
		}
	}
	kmemu__free(vs->areas);
	memset(vs, 0, sizeof(*vs));
}

/* vm_lookup() - the area containing @addr, or NULL.  Caller holds the lock. */
const struct vm_area *vm_lookup(const struct vm_space *vs, const void *addr)
{
	int found;
	size_t i = vm_index(vs, addr, &found);

	return found ? &vs->areas[i] : NULL;
}

/* vm_contains() - 1 if @addr lies inside the reservation. */
int vm_contains(const struct vm_space *vs, const void *addr)
{
	const uint8_t *p = addr;

	return vs->base && p >= vs->base && p < vs->base + vs->size;
}

/**
 * vm_check() - verify the area list: sorted, aligned, non-overlapping with
 * guards, inside the reservation, frames inside RAM.
 * Context: caller holds the machine lock.
 * Return: 1 if all hold, 0 otherwise with @msg set.
 */
int vm_check(const struct vm_space *vs, uint64_t n_frames, const char **msg)
{
	uint64_t end = 0;

	for (size_t i = 0; i < vs->n_areas; i++) {
		const struct vm_area *a = &vs->areas[i];

		if (a->start & (vs->align - 1)) {
			*msg = "vm: area not aligned";
			return 0;
		}
		if (i && a->start < end) {
			*msg = "vm: areas overlap or lack their guard gap";
			return 0;
		}
		end = a->start + (a->npages << EMU_PAGE_SHIFT);
		if (a->npages == 0 || end > vs->size) {
			*msg = "vm: area empty or outside its space";
			return 0;
		}
		for (uint64_t p = 0; p < a->npages; p++) {
			if (a->pfns[p] >= n_frames) {
				*msg = "vm: area maps a frame outside RAM";
				return 0;
			}
		}
		end += vs->guard;
	}
	return 1;
}
