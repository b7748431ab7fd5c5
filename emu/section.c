/* SPDX-License-Identifier: MIT */
/*
 * section.c - section objects and their views (ZwCreateSection,
 * ZwOpenSection, ZwMapViewOfSection, ZwUnmapViewOfSection, ZwClose,
 * NtQuerySection, and the Ex calls NtMapViewOfSectionEx,
 * NtUnmapViewOfSectionEx, NtAreMappedFilesTheSame) in the emulator.
 *
 * A section is an object owning the frames of its pages: all of them from
 * creation for SEC_COMMIT, none for SEC_RESERVE until a view commits them
 * (CommitSize at map time).  Its page table is an array of frame numbers in
 * which 0 means "not committed" (frame 0 is never handed out by physmem.c).
 *
 * A view is a process's use of a host mapping of some of those pages:
 *
 *   process A views[] ──► section_view ─┐
 *   process B views[] ──► section_view ─┴─► section_map (host range, refs) ──► emu_section
 *   (B inherited the view from A with ViewShare: same address, same pages)
 *
 * A section_map is one host range mapped with mmap(MAP_SHARED|MAP_FIXED) of
 * the RAM memfd (MAP_PRIVATE for PAGE_WRITECOPY views: copy on write),
 * uncommitted pages left PROT_NONE.  Its range is either an area of a
 * process's reservation (->home) or a host claim outside every reservation
 * (MAP_FIXED_NOREPLACE: a fixed BaseAddress outside the reservation, low
 * memory for ZeroBits, or a view larger than the room left).  Views hold a
 * reference on their map and maps one on their section, so closing the
 * handle keeps views alive; a map goes with its last view.
 *
 * Names live in one machine-wide list (the namespace); a name leaves it
 * when the section's last handle closes, even while views exist.
 *
 * System-space views (MmMapViewInSystemSpace) are section_maps too, homed
 * in the kernel's vmalloc area and listed in m->kviews: committing a page
 * maps it in every map of its section, kernel ones included.  Kernel
 * references by handle (ObReferenceObjectByHandle) are recorded per object
 * in m->obrefs, so ObDereferenceObject can tell a reference the caller holds
 * from one it does not.
 *
 * Divisions: objects; handles; creation and names; placement; mapping;
 * unmapping and queries; processes; kernel references and system-space
 * views; checker.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wdm.h>
#include "emu.h"

/* the pure rules (sizes, ZeroBits, user range, protections) are api/section_rules.c's */
#define ALIGN_64K EMU_ALLOC_GRANULARITY
#define LOW_PROBES_MAX 65536u                   /* low-claim probes per map call */
#define RESERVE_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)
#define PSEUDO_PROCESS ((uintptr_t)-1)
#define PSEUDO_THREAD ((uintptr_t)-2)

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* ==== objects ================================================================== */

struct section_map;

struct emu_section {
	struct kmemu_obj hdr;        /* common header: refs = handles + maps + creator */
	struct emu_machine *m;       /* machine, for destroy */
	uint64_t size;               /* bytes, page multiple (MaximumSize rounded up) */
	uint64_t npages;             /* size / page */
	uint32_t *pfns;              /* frame of each page; 0 = not committed */
	uint64_t n_committed;        /* pages with a frame */
	uint32_t protect;            /* SectionPageProtection */
	uint32_t attributes;         /* AllocationAttributes as given */
	uint16_t *name;              /* UTF-16 name, or NULL */
	size_t name_len;             /* units in @name */
	int is_named;                /* linked in m->named */
	struct emu_section *next_named; /* namespace link */
	struct section_map *maps;    /* host mappings of this section */
	struct emu_section *all_next; /* m->sections link */
	struct emu_section **all_pprev; /* link to us, NULL when not linked */
};

struct section_map {
	struct emu_section *sec;     /* holds one reference */
	uint8_t *addr;               /* host address, 64 KiB aligned */
	uint64_t first_page;         /* section page at @addr */
	uint64_t npages;             /* pages mapped */
	int prot;                    /* host protection of committed pages */
	int is_private;              /* copy on write (PAGE_WRITECOPY views) */
	uint32_t refs;               /* views using it */
	struct vm_space *home;       /* reservation holding its area, or NULL: a host claim */
	struct section_map *next;    /* in sec->maps */
	struct section_map **pprev;  /* link to us */
};

struct section_view {
	struct section_map *map;     /* holds one reference */
	uint32_t protect;            /* Win32Protect as mapped */
	uint32_t inherit;            /* ViewShare / ViewUnmap */
};

/* A process object: what a process handle names.  It survives the process. */
struct proc_obj {
	struct kmemu_obj hdr;        /* common header */
	kmemu_pid pid;               /* the process it names */
};

static void section_destroy(struct kmemu_obj *obj)
{
	struct emu_section *s = (struct emu_section *)obj;
	struct emu_machine *m = s->m;

	if (s->is_named) {  /* a failed create: unlink anyway */
		struct emu_section **pp;

		for (pp = &m->named; *pp; pp = &(*pp)->next_named)
			if (*pp == s) {
				*pp = s->next_named;
				break;
			}
	}
	if (s->pfns) {
		for (uint64_t i = 0; i < s->npages;) {
			uint64_t j = i;

			while (j < s->npages && s->pfns[j])
				j++;
			if (j > i)
				physmem_free_pages(&m->pm, &s->pfns[i], j - i);
			i = j + 1;
		}
	}
	if (s->all_pprev) {
		*s->all_pprev = s->all_next;
		if (s->all_next)
			s->all_next->all_pprev = s->all_pprev;
	}
	if (s->hdr.ops)
		m->n_sections--;
	kmemu__free(s->pfns);
	kmemu__free(s->name);
	kmemu__free(s);
}

static const struct kmemu_obj_ops section_ops = {
	.type_name = "Section",       /* type_name */
	.destroy = section_destroy,   /* destroy */
};

static void proc_obj_destroy(struct kmemu_obj *obj)
{
	kmemu__free(obj);
}

static const struct kmemu_obj_ops proc_obj_ops = {
	.type_name = "Process",       /* type_name */
	.destroy = proc_obj_destroy,  /* destroy */
};

/* ==== handles ==================================================================== */

/* The process @h names with @access (PROCESS_VM_OPERATION), as step 7 of
 * spec §9b.  Lock held. */
static kmemu_status section_ref_process(struct emu_machine *m, struct emu_process *cur, uintptr_t h,
					uint32_t access, struct emu_process **out)
{
	struct kmemu_obj *obj;
	struct emu_process *p;
	kmemu_status rc;

	if (h == PSEUDO_PROCESS) {
		*out = cur;
		return STATUS_SUCCESS;
	}
	if (h == PSEUDO_THREAD)
		return STATUS_OBJECT_TYPE_MISMATCH;
	if (h > UINT32_MAX)
		return STATUS_INVALID_HANDLE;
	rc = handle_lookup(&cur->handles, (uint32_t)h, &proc_obj_ops, access, &obj);
	if (rc)
		return rc;
	p = emu_process_find(m, ((struct proc_obj *)obj)->pid);
	kmemu_obj_unref(obj);
	if (!p)
		return STATUS_PROCESS_IS_TERMINATING;
	*out = p;
	return STATUS_SUCCESS;
}

/* The section @h names with @access (a new reference).  Lock held. */
static kmemu_status section_ref(struct emu_process *cur, uintptr_t h, uint32_t access,
				struct emu_section **out)
{
	struct kmemu_obj *obj;
	kmemu_status rc;

	if (h == PSEUDO_PROCESS || h == PSEUDO_THREAD)
		return STATUS_OBJECT_TYPE_MISMATCH;
	if (h > UINT32_MAX)
		return STATUS_INVALID_HANDLE;
	rc = handle_lookup(&cur->handles, (uint32_t)h, &section_ops, access, &obj);
	if (!rc)
		*out = (struct emu_section *)obj;
	return rc;
}

/* Close handle @h of @p; a section whose last handle this was leaves the
 * namespace.  Lock held.  Return: STATUS_SUCCESS; STATUS_INVALID_HANDLE. */
static kmemu_status section_close_handle(struct emu_machine *m, struct emu_process *p, uint32_t h)
{
	struct kmemu_obj *obj;
	kmemu_status rc = handle_lookup(&p->handles, h, NULL, 0, &obj);

	if (rc)
		return rc;
	handle_close(&p->handles, h);
	if (obj->ops == &section_ops && obj->handle_count == 0) {
		struct emu_section *s = (struct emu_section *)obj;
		struct emu_section **pp;

		for (pp = &m->named; s->is_named && *pp; pp = &(*pp)->next_named) {
			if (*pp == s) {
				*pp = s->next_named;
				s->is_named = 0;
				break;
			}
		}
	}
	kmemu_obj_unref(obj);
	return STATUS_SUCCESS;
}

/**
 * emu_handle_close() - ZwClose in the emulator (ops->handle_close).
 * @st:     the machine.
 * @handle: a handle of the current process.
 *
 * Drops the handle's reference; a section stays while views use it, but its
 * name goes with its last handle.
 * Context: PASSIVE (checked by api/); takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_HANDLE (0, pseudo handles, values
 * that name no live handle).
 */
kmemu_status emu_handle_close(void *st, uintptr_t handle)
{
	struct emu_machine *m = st;
	kmemu_status rc;

	if (handle > UINT32_MAX)
		return STATUS_INVALID_HANDLE;
	emu_lock(m);
	rc = section_close_handle(m, emu_current_process(m), (uint32_t)handle);
	emu_unlock(m);
	return rc;
}

/* ==== creation and names ==================================================================== */

static struct emu_section *section_find_name(struct emu_machine *m, const uint16_t *name,
					     size_t len, uint32_t obj_attributes)
{
	for (struct emu_section *s = m->named; s; s = s->next_named)
		if (kmemu__section_name_eq(s->name, s->name_len, name, len,
				    (obj_attributes & OBJ_CASE_INSENSITIVE) != 0))
			return s;
	return NULL;
}

static uint64_t section_frames_free(const struct emu_machine *m)
{
	return m->pm.n_frames - m->pm.frames_used - m->pm.frames_reserved;
}

/**
 * emu_section_create() - ZwCreateSection in the emulator (ops->section_create).
 * @st:     the machine.
 * @a:      arguments; the api layer validated attributes and protection.
 * @handle: receives the new handle (current process) on success.
 *
 * Checks, in order: FileHandle (no file objects exist: any non-zero value is
 * STATUS_INVALID_HANDLE or STATUS_OBJECT_TYPE_MISMATCH), SEC_IMAGE without a
 * file (STATUS_INVALID_FILE_FOR_SECTION), the size (none or 0 -> P4,
 * negative or >= 128 TiB -> STATUS_SECTION_TOO_BIG), the commit limit
 * (SEC_COMMIT larger than the free RAM -> STATUS_COMMITMENT_LIMIT; SEC_RESERVE
 * above 256 GiB -> STATUS_INSUFFICIENT_RESOURCES), then the name: an
 * existing one gives a handle to that section and STATUS_OBJECT_NAME_EXISTS
 * with OBJ_OPENIF, STATUS_OBJECT_NAME_COLLISION without.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_OBJECT_NAME_EXISTS; the failures above;
 * STATUS_INSUFFICIENT_RESOURCES / STATUS_NO_MEMORY (heap, frames, handles).
 * The handle holds one reference on the section.
 */
kmemu_status emu_section_create(void *st, const struct kmemu_section_create_args *a,
				uintptr_t *handle)
{
	struct emu_machine *m = st;
	struct emu_process *cur;
	struct emu_section *s = NULL, *old;
	kmemu_status rc;
	uint64_t npages;
	uint32_t h;

	emu_lock(m);
	cur = emu_current_process(m);
	if (a->file) {
		struct kmemu_obj *obj;

		if (a->file == PSEUDO_PROCESS || a->file == PSEUDO_THREAD)
			rc = STATUS_OBJECT_TYPE_MISMATCH;
		else if (a->file > UINT32_MAX)
			rc = STATUS_INVALID_HANDLE;
		else if (!(rc = handle_lookup(&cur->handles, (uint32_t)a->file, NULL, 0, &obj))) {
			kmemu_obj_unref(obj);
			rc = STATUS_OBJECT_TYPE_MISMATCH;  /* not a file object */
		}
		goto out;
	}
	rc = STATUS_INVALID_FILE_FOR_SECTION;
	if (a->attributes & SEC_IMAGE)
		goto out;
	rc = kmemu__section_size_rule(a, &npages);  /* P4, TOO_BIG, the SEC_RESERVE limit */
	if (rc)
		goto out;
	if ((a->attributes & SEC_COMMIT) && npages > section_frames_free(m)) {
		rc = STATUS_COMMITMENT_LIMIT;
		goto out;
	}
	if (a->name && (old = section_find_name(m, a->name, a->name_len, a->obj_attributes))) {
		rc = STATUS_OBJECT_NAME_COLLISION;
		if (a->obj_attributes & OBJ_OPENIF) {
			rc = handle_alloc(&cur->handles, &old->hdr, a->access, &h);
			if (!rc) {
				*handle = h;
				rc = STATUS_OBJECT_NAME_EXISTS;
			}
		}
		goto out;
	}
	rc = STATUS_INSUFFICIENT_RESOURCES;
	s = kmemu__calloc(1, sizeof(*s));
	if (!s)
		goto out;
	s->m = m;
	s->size = npages << EMU_PAGE_SHIFT;
	s->npages = npages;
	s->protect = a->protect;
	s->attributes = a->attributes;
	s->pfns = kmemu__calloc(npages, sizeof(uint32_t));
	if (!s->pfns)
		goto fail;
	if (a->name) {
		s->name = kmemu__malloc(a->name_len * sizeof(uint16_t));
		if (!s->name)
			goto fail;
		memcpy(s->name, a->name, a->name_len * sizeof(uint16_t));
		s->name_len = a->name_len;
	}
	if ((a->attributes & SEC_COMMIT) && physmem_alloc_pages(&m->pm, npages, s->pfns)) {
		memset(s->pfns, 0, npages * sizeof(uint32_t));
		goto fail;
	}
	if (a->attributes & SEC_COMMIT)
		s->n_committed = npages;
	kmemu_obj_init(&s->hdr, &section_ops);
	m->n_sections++;
	s->all_next = m->sections;
	if (m->sections)
		m->sections->all_pprev = &s->all_next;
	s->all_pprev = &m->sections;
	m->sections = s;
	rc = handle_alloc(&cur->handles, &s->hdr, a->access, &h);
	if (rc) {
		kmemu_obj_unref(&s->hdr);
		goto out;
	}
	if (s->name) {
		s->next_named = m->named;
		m->named = s;
		s->is_named = 1;
	}
	*handle = h;
	kmemu_obj_unref(&s->hdr);  /* the creator's reference: the handle keeps one */
	goto out;
fail:
	section_destroy(&s->hdr);
out:
	emu_unlock(m);
	return rc;
}

/**
 * emu_section_open() - ZwOpenSection in the emulator (ops->section_open).
 * @st:             the machine.
 * @access:         DesiredAccess (generic rights mapped).
 * @name:           UTF-16 name, @name_len units.
 * @obj_attributes: OBJ_* (OBJ_CASE_INSENSITIVE folds ASCII case).
 * @handle:         receives a new handle in the current process.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_OBJECT_NAME_NOT_FOUND (no such name, or its
 * last handle was closed); STATUS_NO_MEMORY / STATUS_INSUFFICIENT_RESOURCES
 * (handle table).  The handle holds one reference.
 */
kmemu_status emu_section_open(void *st, uint32_t access, const uint16_t *name, size_t name_len,
			      uint32_t obj_attributes, uintptr_t *handle)
{
	struct emu_machine *m = st;
	struct emu_section *s;
	kmemu_status rc = STATUS_OBJECT_NAME_NOT_FOUND;
	uint32_t h;

	emu_lock(m);
	s = section_find_name(m, name, name_len, obj_attributes);
	if (s) {
		rc = handle_alloc(&emu_current_process(m)->handles, &s->hdr, access, &h);
		if (!rc)
			*handle = h;
	}
	emu_unlock(m);
	return rc;
}

/* ==== placement ================================================================================ */

/* 1 if [addr, addr + len) touches the kernel range: the machine's kernel
 * reservation, or anything above MM_HIGHEST_USER_ADDRESS. */
static int section_in_kernel(const struct emu_machine *m, uint64_t addr, uint64_t len)
{
	uint64_t kb = (uintptr_t)m->kbase, ke = kb + m->ksize;

	if (kmemu__section_user_range_bad(addr, len))
		return 1;
	return addr < ke && addr + (len ? len : 1) > kb;
}

/* Claim [addr, addr + len) of host address space with MAP_FIXED_NOREPLACE.
 * Return: 0; EEXIST when anything is mapped there; another errno. */
static int section_claim(uintptr_t addr, uint64_t len)
{
	void *p = kmemu__sys_mmap((void *)addr, len, PROT_NONE, RESERVE_FLAGS | MAP_FIXED_NOREPLACE,
				  -1, 0);

	if (p == MAP_FAILED)
		return errno ? errno : ENOMEM;
	if ((uintptr_t)p != addr) {  /* a kernel before 4.17 took the flag as a hint */
		munmap(p, len);
		return EEXIST;
	}
	return 0;
}

/* Claim @len bytes anywhere on a 64 KiB boundary.  Return: address or 0. */
static uintptr_t section_claim_any(uint64_t len)
{
	uint8_t *p = kmemu__sys_mmap(NULL, len + ALIGN_64K, PROT_NONE, RESERVE_FLAGS, -1, 0);
	uint64_t head;

	if (p == MAP_FAILED)
		return 0;
	head = (ALIGN_64K - ((uintptr_t)p & (ALIGN_64K - 1))) & (ALIGN_64K - 1);
	if (head)
		munmap(p, head);
	munmap(p + head + len, ALIGN_64K - head);
	return (uintptr_t)p + head;
}

/* Low memory under @last for ZeroBits, first come first served by every
 * emulated process (they share the host process): probe 64 KiB slots
 * upward from the lowest allowed address, downward from @last with
 * MEM_TOP_DOWN.  Return: 0 and *@out, or STATUS_NO_MEMORY. */
static kmemu_status section_claim_low(struct emu_machine *m, uint64_t len, uintptr_t last,
				      int top_down, uintptr_t *out)
{
	uintptr_t lo = m->mmap_min, hi;
	unsigned probes = 0;

	if (last < lo || last - lo + 1 < len)
		return STATUS_NO_MEMORY;
	hi = ((last + 1 - len) & ~(ALIGN_64K - 1));  /* highest slot */
	for (uintptr_t a = top_down ? hi : lo; a >= lo && a <= hi && probes < LOW_PROBES_MAX;
	     a = top_down ? a - ALIGN_64K : a + ALIGN_64K, probes++) {
		int err = section_claim(a, len);

		if (!err) {
			*out = a;
			return STATUS_SUCCESS;
		}
		if (err != EEXIST)
			break;  /* the host (or the fault simulator) refused: stop */
		if (top_down && a < ALIGN_64K)
			break;
	}
	return STATUS_NO_MEMORY;
}

/* Step 13: find the view's host range in @p and record it for @map.
 * Lock held.  Return: STATUS_SUCCESS (map->addr, map->home set);
 * STATUS_CONFLICTING_ADDRESSES; STATUS_NO_MEMORY. */
static kmemu_status section_place(struct emu_machine *m, struct emu_process *p,
				  struct section_map *map, uintptr_t base, uintptr_t last, int top_down)
{
	struct vm_space *vs = &p->user;
	uint64_t len = map->npages << EMU_PAGE_SHIFT, off;
	uintptr_t vb = (uintptr_t)vs->base, ve = vb + vs->size, a;
	int err;

	if (base) {
		if (base >= vb && base < ve) {
			if (!vm_range_free(vs, base - vb, len))
				return STATUS_CONFLICTING_ADDRESSES;
			if (vm_insert(vs, base - vb, map->npages, map->sec->pfns + map->first_page, map))
				return STATUS_NO_MEMORY;
			map->addr = (uint8_t *)base;
			map->home = vs;
			return STATUS_SUCCESS;
		}
		err = section_claim(base, len);
		if (err)
			return err == EEXIST ? STATUS_CONFLICTING_ADDRESSES : STATUS_NO_MEMORY;
		map->addr = (uint8_t *)base;
		map->home = NULL;
		return STATUS_SUCCESS;
	}
	if (vm_find_free(vs, len, top_down, last, &off)) {
		if (vm_insert(vs, off, map->npages, map->sec->pfns + map->first_page, map))
			return STATUS_NO_MEMORY;
		map->addr = vs->base + off;
		map->home = vs;
		return STATUS_SUCCESS;
	}
	if (last != UINTPTR_MAX) {
		if (section_claim_low(m, len, last, top_down, &a))
			return STATUS_NO_MEMORY;
	} else if (!(a = section_claim_any(len))) {
		return STATUS_NO_MEMORY;
	}
	map->addr = (uint8_t *)a;
	map->home = NULL;
	return STATUS_SUCCESS;
}

/* Give the host range of @map back (the area, or the claim).  Lock held. */
static void section_unplace(struct section_map *map)
{
	if (map->home)
		vm_unmap(map->home, map->addr);
	else
		munmap(map->addr, map->npages << EMU_PAGE_SHIFT);
}

/* ==== mapping ====================================================================================== */

/* mmap one run of section pages [pg, pg + n) of @map (all committed). */
static int section_mmap_run(struct section_map *map, int memfd, uint64_t pg, uint64_t n)
{
	struct emu_section *s = map->sec;
	uint8_t *at = map->addr + ((pg - map->first_page) << EMU_PAGE_SHIFT);
	int flags = (map->is_private ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED;
	void *p = kmemu__sys_mmap(at, n << EMU_PAGE_SHIFT, map->prot, flags, memfd,
				  (off_t)s->pfns[pg] << EMU_PAGE_SHIFT);

	if (p == MAP_FAILED && (map->prot & PROT_EXEC) && errno != ENOMEM) {
		/* a host that forbids executable memfd mappings (vm.memfd_noexec):
		 * the view stays readable and writable as asked, without execute */
		map->prot &= ~PROT_EXEC;
		p = kmemu__sys_mmap(at, n << EMU_PAGE_SHIFT, map->prot, flags, memfd,
				    (off_t)s->pfns[pg] << EMU_PAGE_SHIFT);
	}
	return p == MAP_FAILED ? -1 : 0;
}

/* Map the committed pages of section pages [first, first + n) that @map
 * covers.  PAGE_NOACCESS maps stay PROT_NONE reservations.
 * Return: 0; -1 when an mmap failed (the caller re-reserves). */
static int section_map_pages(struct section_map *map, int memfd, uint64_t first, uint64_t n)
{
	struct emu_section *s = map->sec;
	uint64_t lo = first > map->first_page ? first : map->first_page;
	uint64_t hi = first + n < map->first_page + map->npages ? first + n : map->first_page + map->npages;

	if (map->prot == PROT_NONE)
		return 0;
	for (uint64_t i = lo; i < hi;) {
		uint64_t j = i + 1;

		if (!s->pfns[i]) {
			i++;
			continue;
		}
		while (j < hi && s->pfns[j] && s->pfns[j] == s->pfns[j - 1] + 1)
			j++;
		if (section_mmap_run(map, memfd, i, j - i))
			return -1;
		i = j;
	}
	return 0;
}

/* Put PROT_NONE back over section pages [first, first + n) of @map. */
static void section_unmap_pages(struct section_map *map, uint64_t first, uint64_t n)
{
	uint64_t lo = first > map->first_page ? first : map->first_page;
	uint64_t hi = first + n < map->first_page + map->npages ? first + n : map->first_page + map->npages;

	if (hi > lo)
		mmap(map->addr + ((lo - map->first_page) << EMU_PAGE_SHIFT), (hi - lo) << EMU_PAGE_SHIFT,
		     PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0);
}

/* Make room for one more view in @p.  Return: 0, or -1 (heap). */
static int section_views_reserve(struct emu_process *p)
{
	if (p->n_views == p->cap_views) {
		size_t cap = p->cap_views ? p->cap_views * 2 : 8;
		struct section_view **v = kmemu__realloc(p->views, cap * sizeof(*v));

		if (!v)
			return -1;
		p->views = v;
		p->cap_views = cap;
	}
	return 0;
}

/* Drop a view's reference on its map; the last one unmaps.  Lock held. */
static void section_map_put(struct section_map *map)
{
	if (--map->refs)
		return;
	*map->pprev = map->next;
	if (map->next)
		map->next->pprev = map->pprev;
	section_unplace(map);
	kmemu_obj_unref(&map->sec->hdr);
	kmemu__free(map);
}

static void section_commit_undo(struct emu_machine *m, struct emu_section *s, uint64_t *idx,
				uint32_t *tmp, uint64_t n_new);

/* Commit section pages [first, first + n) that have no frame yet; each
 * newly committed page is mapped in every other map of the section (views
 * alias).  *@tmp receives the frames taken and *@idx their pages, for
 * section_commit_undo(); *@n_new their count.  Lock held.
 * Return: STATUS_SUCCESS; STATUS_COMMITMENT_LIMIT (too few free frames);
 * STATUS_INSUFFICIENT_RESOURCES (heap, frames, host mappings). */
static kmemu_status section_commit(struct emu_machine *m, struct emu_section *s, uint64_t first,
				   uint64_t n, uint64_t **idx, uint32_t **tmp, uint64_t *n_new)
{
	uint64_t k = 0, want = 0;

	*idx = NULL;
	*tmp = NULL;
	*n_new = 0;
	for (uint64_t i = first; i < first + n; i++)
		want += !s->pfns[i];
	if (!want)
		return STATUS_SUCCESS;
	if (want > section_frames_free(m))
		return STATUS_COMMITMENT_LIMIT;
	*tmp = kmemu__malloc(want * sizeof(uint32_t));
	*idx = kmemu__malloc(want * sizeof(uint64_t));
	if (!*tmp || !*idx || physmem_alloc_pages(&m->pm, want, *tmp)) {
		kmemu__free(*tmp);
		kmemu__free(*idx);
		*tmp = NULL;
		*idx = NULL;
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	for (uint64_t i = first; i < first + n; i++) {
		if (!s->pfns[i]) {
			s->pfns[i] = (*tmp)[k];
			(*idx)[k++] = i;
		}
	}
	*n_new = want;
	s->n_committed += want;
	for (struct section_map *mp = s->maps; mp; mp = mp->next) {
		for (k = 0; k < want; k++) {
			if (section_map_pages(mp, m->memfd, (*idx)[k], 1)) {
				section_commit_undo(m, s, *idx, *tmp, want);
				kmemu__free(*tmp);
				kmemu__free(*idx);
				*tmp = NULL;
				*idx = NULL;
				*n_new = 0;
				return STATUS_INSUFFICIENT_RESOURCES;
			}
		}
	}
	return STATUS_SUCCESS;
}

/* Undo section_commit(): unmap the pages from every map, free the frames. */
static void section_commit_undo(struct emu_machine *m, struct emu_section *s, uint64_t *idx,
				uint32_t *tmp, uint64_t n_new)
{
	for (uint64_t k = 0; k < n_new; k++) {
		for (struct section_map *mp = s->maps; mp; mp = mp->next)
			section_unmap_pages(mp, idx[k], 1);
		s->pfns[idx[k]] = 0;
	}
	if (n_new)
		physmem_free_pages(&m->pm, tmp, n_new);
	s->n_committed -= n_new;
}

/**
 * emu_section_map() - ZwMapViewOfSection in the emulator (ops->section_map),
 * from step 5 of spec §9b on.
 * @st: the machine.
 * @a:  arguments; base, view_size and offset are written back on success
 *      only (base 64 KiB aligned, size rounded up to pages, offset as given).
 *
 * Steps: 5 base (or the range) in the kernel range -> P3; 6 ZeroBits 22..31
 * -> P4, a base violating the ZeroBits limit -> P4 (>= 32 is a mask);
 * 7 process handle (PROCESS_VM_OPERATION); 8 section handle with the access
 * the protection needs; 9 base or offset not 64 KiB aligned ->
 * STATUS_MAPPED_ALIGNMENT; 10 MEM_RESERVE on a paging-file section -> P9,
 * protection incompatible -> STATUS_SECTION_PROTECTION; 11 offset/size past
 * the section -> STATUS_INVALID_VIEW_SIZE, CommitSize beyond the view -> P5;
 * 12 ViewSize 0 maps the rest; MEM_REPLACE_PLACEHOLDER finds no placeholder
 * (none exist here) -> STATUS_CONFLICTING_ADDRESSES (P3 without a base);
 * commit of CommitSize pages (SEC_RESERVE) -> STATUS_COMMITMENT_LIMIT;
 * 13 placement -> STATUS_CONFLICTING_ADDRESSES / STATUS_NO_MEMORY.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS or the statuses above; STATUS_INVALID_HANDLE,
 * STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
 * STATUS_PROCESS_IS_TERMINATING from the handles; STATUS_NO_MEMORY /
 * STATUS_INSUFFICIENT_RESOURCES when host resources fail.  The view holds a
 * reference on the section until it is unmapped.
 */
static kmemu_status section_map_common(struct emu_machine *m, struct kmemu_section_map_args *a,
					uint64_t highest);

kmemu_status emu_section_map(void *st, struct kmemu_section_map_args *a)
{
	return section_map_common(st, a, 0);
}

/**
 * emu_section_map_ex() - NtMapViewOfSectionEx in the emulator
 * (ops->section_map_ex): emu_section_map()'s path with the view's last byte
 * at or below @highest (0 = no limit); no room there is STATUS_NO_MEMORY.
 * Context: PASSIVE; takes the machine lock.
 * Return: as emu_section_map().
 */
kmemu_status emu_section_map_ex(void *st, struct kmemu_section_map_args *a, uint64_t highest)
{
	return section_map_common(st, a, highest);
}

/* The map path of both calls; @highest limits the placement (0: none). */
static kmemu_status section_map_common(struct emu_machine *m, struct kmemu_section_map_args *a,
					uint64_t highest)
{
	struct emu_process *cur, *p;
	struct emu_section *s = NULL;
	struct section_map *map = NULL;
	struct section_view *view = NULL;
	uintptr_t last = UINTPTR_MAX;
	uint64_t npages, commit_pages, first, n_new = 0, *idx = NULL;
	uint32_t *tmp = NULL;
	kmemu_status rc;

	emu_lock(m);
	cur = emu_current_process(m);
	/* 5, 6 */
	rc = kmemu__section_map_range(a, a->base && section_in_kernel(m, a->base, a->view_size),
				      &last);
	if (rc)
		goto out;
	if (highest && highest < last)  /* NtMapViewOfSectionEx's HighestEndingAddress */
		last = (uintptr_t)highest;
	/* 7, 8 */
	rc = section_ref_process(m, cur, a->process, PROCESS_VM_OPERATION, &p);
	if (rc)
		goto out;
	rc = section_ref(cur, a->section, kmemu__section_access_for(a->protect), &s);
	if (rc)
		goto out;
	/* 9 - 12 */
	rc = kmemu__section_map_fit(a, s->protect, s->size, &npages);
	if (rc)
		goto out;
	first = a->offset >> EMU_PAGE_SHIFT;
	commit_pages = (a->commit_size + EMU_PAGE_SIZE - 1) >> EMU_PAGE_SHIFT;
	/* 13: bookkeeping first, then frames, then the host range */
	rc = STATUS_INSUFFICIENT_RESOURCES;
	if (section_views_reserve(p))
		goto out;
	map = kmemu__calloc(1, sizeof(*map));
	view = kmemu__calloc(1, sizeof(*view));
	if (!map || !view)
		goto out;
	if (s->attributes & SEC_RESERVE) {
		rc = section_commit(m, s, first, commit_pages, &idx, &tmp, &n_new);
		if (rc)
			goto out;
	}
	map->sec = s;
	map->first_page = first;
	map->npages = npages;
	map->prot = kmemu__section_host_prot(a->protect, &map->is_private);
	rc = section_place(m, p, map, a->base, last, (a->allocation_type & MEM_TOP_DOWN) != 0);
	if (rc)
		goto fail_commit;
	if (section_map_pages(map, m->memfd, first, npages)) {
		rc = STATUS_INSUFFICIENT_RESOURCES;
		section_unmap_pages(map, first, npages);
		section_unplace(map);
		goto fail_commit;
	}
	/* success: the map takes the reference section_ref() gave */
	map->refs = 1;
	map->next = s->maps;
	if (s->maps)
		s->maps->pprev = &map->next;
	map->pprev = &s->maps;
	s->maps = map;
	view->map = map;
	view->protect = a->protect;
	view->inherit = a->inherit;
	p->views[p->n_views++] = view;
	m->n_mappings++;
	a->base = (uintptr_t)map->addr;
	a->view_size = npages << EMU_PAGE_SHIFT;
	kmemu__free(idx);
	kmemu__free(tmp);
	emu_unlock(m);
	return STATUS_SUCCESS;
fail_commit:
	section_commit_undo(m, s, idx, tmp, n_new);
out:
	kmemu__free(idx);
	kmemu__free(tmp);
	kmemu__free(map);
	kmemu__free(view);
	if (s)
		kmemu_obj_unref(&s->hdr);
	emu_unlock(m);
	return rc;
}

/* ==== unmapping and queries ============================================================================ */

/* Index of the view of @p containing @addr, or -1. */
static long section_view_find(const struct emu_process *p, uintptr_t addr)
{
	for (size_t i = 0; i < p->n_views; i++) {
		const struct section_map *mp = p->views[i]->map;
		uintptr_t b = (uintptr_t)mp->addr;

		if (addr >= b && addr - b < mp->npages << EMU_PAGE_SHIFT)
			return (long)i;
	}
	return -1;
}

/* Remove view @i of @p.  Lock held. */
static void section_view_remove(struct emu_machine *m, struct emu_process *p, size_t i)
{
	struct section_view *v = p->views[i];

	p->views[i] = p->views[--p->n_views];
	section_map_put(v->map);
	kmemu__free(v);
	m->n_mappings--;
}

/**
 * emu_section_unmap() - ZwUnmapViewOfSection in the emulator (ops->section_unmap).
 * @st:      the machine.
 * @process: ProcessHandle value.
 * @base:    any address inside the view.
 *
 * An address in the kernel range is STATUS_NOT_MAPPED_VIEW before the
 * process handle is looked at (R4); then the handle needs
 * PROCESS_VM_OPERATION; then the view containing @base goes, whole.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_NOT_MAPPED_VIEW; the process-handle
 * statuses (STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH,
 * STATUS_ACCESS_DENIED, STATUS_PROCESS_IS_TERMINATING).  Drops the view's
 * reference on the section.
 */
static kmemu_status section_unmap_common(struct emu_machine *m, uintptr_t process,
					  uintptr_t base, uint32_t flags);

kmemu_status emu_section_unmap(void *st, uintptr_t process, uintptr_t base)
{
	return section_unmap_common(st, process, base, 0);
}

/**
 * emu_section_unmap_ex() - NtUnmapViewOfSectionEx in the emulator
 * (ops->section_unmap_ex): emu_section_unmap(), then, once the view is
 * found, MEM_PRESERVE_PLACEHOLDER is STATUS_CONFLICTING_ADDRESSES (no view
 * here replaced a placeholder) and the view stays.
 * MEM_UNMAP_WITH_TRANSIENT_BOOST is a scheduling hint: ignored.
 * Context: PASSIVE; takes the machine lock.
 * Return: as emu_section_unmap(); STATUS_CONFLICTING_ADDRESSES.
 */
kmemu_status emu_section_unmap_ex(void *st, uintptr_t process, uintptr_t base, uint32_t flags)
{
	return section_unmap_common(st, process, base, flags);
}

/* The unmap path of both calls. */
static kmemu_status section_unmap_common(struct emu_machine *m, uintptr_t process,
					  uintptr_t base, uint32_t flags)
{
	struct emu_process *p;
	kmemu_status rc = STATUS_NOT_MAPPED_VIEW;
	long i;

	emu_lock(m);
	if (section_in_kernel(m, base, 1))
		goto out;
	rc = section_ref_process(m, emu_current_process(m), process, PROCESS_VM_OPERATION, &p);
	if (rc)
		goto out;
	i = section_view_find(p, base);
	rc = STATUS_NOT_MAPPED_VIEW;
	if (i < 0)
		goto out;
	rc = STATUS_CONFLICTING_ADDRESSES;
	if (flags & MEM_PRESERVE_PLACEHOLDER)
		goto out;
	section_view_remove(m, p, (size_t)i);
	rc = STATUS_SUCCESS;
out:
	emu_unlock(m);
	return rc;
}

/* What @addr is in the current process @p for NtAreMappedFilesTheSame:
 * KMEMU__ADDR_VIEW and *@view (a view of @p), KMEMU__ADDR_MAPPED (memory
 * that is no view: an area of @p's reservation such as a WDS user view, or
 * readable host memory outside every reservation - the host program is
 * part of every emulated process), KMEMU__ADDR_UNMAPPED (not mapped: NULL,
 * the kernel range, free reserved space, another process's reservation or
 * view, unmapped host memory).  Lock held. */
static int section_addr_class(struct emu_machine *m, struct emu_process *p, uintptr_t addr,
			      long *view)
{
	unsigned char vec, byte;
	struct iovec local, remote;

	if (!addr || section_in_kernel(m, addr, 1))
		return KMEMU__ADDR_UNMAPPED;
	*view = section_view_find(p, addr);
	if (*view >= 0)
		return KMEMU__ADDR_VIEW;
	if (vm_contains(&p->user, (const void *)addr))
		return vm_lookup(&p->user, (const void *)addr) ? KMEMU__ADDR_MAPPED : KMEMU__ADDR_UNMAPPED;
	for (struct emu_process *q = m->procs; q; q = q->next)
		if (q != p && (vm_contains(&q->user, (const void *)addr) ||
			       section_view_find(q, addr) >= 0))
			return KMEMU__ADDR_UNMAPPED;
	if (mincore((void *)(addr & ~(uintptr_t)(EMU_PAGE_SIZE - 1)), 1, &vec))
		return KMEMU__ADDR_UNMAPPED;  /* ENOMEM: nothing mapped there */
	/* a PROT_NONE host range (a sanitizer's shadow gap, a guard) is no
	 * memory of the process either: only a readable page counts */
	local.iov_base = &byte;
	local.iov_len = 1;
	remote.iov_base = (void *)addr;
	remote.iov_len = 1;
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1 ? KMEMU__ADDR_MAPPED : KMEMU__ADDR_UNMAPPED;
}

/**
 * emu_views_same() - NtAreMappedFilesTheSame in the emulator
 * (ops->views_same), in the current process.
 * @st:    the machine.
 * @addr1: File1MappedAsAnImage.
 * @addr2: File2MappedAsFile.
 *
 * Wine's order: either address not mapped -> STATUS_INVALID_ADDRESS; either
 * mapped but no view -> STATUS_CONFLICTING_ADDRESSES; the same view ->
 * STATUS_SUCCESS; two views -> STATUS_NOT_SAME_DEVICE (all data views).
 * Context: PASSIVE; takes the machine lock.
 * Return: the statuses above.
 */
kmemu_status emu_views_same(void *st, uintptr_t addr1, uintptr_t addr2)
{
	struct emu_machine *m = st;
	struct emu_process *p;
	long v1 = -1, v2 = -1;
	int c1, c2;
	kmemu_status rc;

	emu_lock(m);
	p = emu_current_process(m);
	c1 = section_addr_class(m, p, addr1, &v1);
	c2 = section_addr_class(m, p, addr2, &v2);
	rc = kmemu__section_views_same(c1, c2, v1 == v2);
	emu_unlock(m);
	return rc;
}

/**
 * emu_section_query() - NtQuerySection in the emulator (ops->section_query).
 * @st:      the machine.
 * @section: SectionHandle value (needs SECTION_QUERY).
 * @cls:     SectionBasicInformation; the image classes (1..4) answer
 *           STATUS_SECTION_NOT_IMAGE for these data sections.
 * @buf:     receives SECTION_BASIC_INFORMATION.
 * @len:     its size in bytes (at least 24).
 * @ret_len: receives 24.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; handle statuses; STATUS_SECTION_NOT_IMAGE;
 * STATUS_INFO_LENGTH_MISMATCH.
 */
kmemu_status emu_section_query(void *st, uintptr_t section, int cls, void *buf, size_t len,
			       size_t *ret_len)
{
	struct emu_machine *m = st;
	struct emu_section *s;
	kmemu_status rc;

	emu_lock(m);
	rc = section_ref(emu_current_process(m), section, SECTION_QUERY, &s);
	if (rc)
		goto out;
	rc = kmemu__section_basic_info(cls, buf, len, ret_len, s->attributes, s->size);
	kmemu_obj_unref(&s->hdr);
out:
	emu_unlock(m);
	return rc;
}

/**
 * emu_view_query() - the view of a process containing an address
 * (ops->view_query, test side).
 * @st:   the machine.
 * @pid:  process, 0 = current.
 * @addr: address inside the view.
 * @out:  receives the description.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such process);
 * STATUS_NOT_MAPPED_VIEW.
 */
kmemu_status emu_view_query(void *st, kmemu_pid pid, const void *addr, struct kmemu_view_info *out)
{
	struct emu_machine *m = st;
	struct emu_process *p;
	kmemu_status rc = STATUS_INVALID_PARAMETER;
	long i;

	emu_lock(m);
	p = pid ? emu_process_find(m, pid) : emu_current_process(m);
	if (!p)
		goto out;
	rc = STATUS_NOT_MAPPED_VIEW;
	i = section_view_find(p, (uintptr_t)addr);
	if (i >= 0) {
		const struct section_view *v = p->views[i];
		const struct section_map *mp = v->map;
		uint64_t pg = mp->first_page + (((uintptr_t)addr - (uintptr_t)mp->addr) >> EMU_PAGE_SHIFT);

		out->base = mp->addr;
		out->size = mp->npages << EMU_PAGE_SHIFT;
		out->section_offset = mp->first_page << EMU_PAGE_SHIFT;
		/* the section's cache type wins (seed: SEC_NOCACHE maps uncached) */
		out->protect = kmemu__section_view_protect(v->protect, mp->sec->attributes);
		out->state = mp->sec->pfns[pg] ? MEM_COMMIT : MEM_RESERVE;
		out->inherit = v->inherit;
		rc = STATUS_SUCCESS;
	}
out:
	emu_unlock(m);
	return rc;
}

/**
 * emu_section_frame_of() - the frame behind @addr in a view of @p.
 * Context: caller holds the machine lock.
 * Return: the frame, or FRAME_NONE (no view, or the page is not committed).
 */
uint32_t emu_section_frame_of(struct emu_process *p, const void *addr)
{
	long i = section_view_find(p, (uintptr_t)addr);
	const struct section_map *mp;
	uint32_t pfn;

	if (i < 0)
		return FRAME_NONE;
	mp = p->views[i]->map;
	pfn = mp->sec->pfns[mp->first_page + (((uintptr_t)addr - (uintptr_t)mp->addr) >> EMU_PAGE_SHIFT)];
	return pfn ? pfn : FRAME_NONE;
}

/**
 * emu_section_protect_of() - Win32Protect of the view of @p holding @addr.
 * Context: caller holds the machine lock.
 * Return: the protection the view was mapped with, or 0 (no view).
 */
uint32_t emu_section_protect_of(struct emu_process *p, const void *addr)
{
	long i = section_view_find(p, (uintptr_t)addr);

	return i < 0 ? 0 : p->views[i]->protect;
}

/**
 * emu_page_access() - what @p itself may do with the page at @addr of its
 * user space (a page already found mapped and committed): the one answer
 * the user accessors (machine.c) and the locks (mdl.c) share.
 * Shared-buffer mappings are read/write; a view goes by its Win32Protect,
 * cache modifiers aside: PAGE_NOACCESS and PAGE_GUARD pages allow nothing,
 * PAGE_READONLY / PAGE_EXECUTE / PAGE_EXECUTE_READ reading,
 * PAGE_READWRITE / PAGE_EXECUTE_READWRITE writing the shared page, and
 * PAGE_WRITECOPY / PAGE_EXECUTE_WRITECOPY writing a private copy.
 * Context: caller holds the machine lock.
 * Return: EMU_PAGE_NONE, EMU_PAGE_READ, EMU_PAGE_WRITE or EMU_PAGE_COPY.
 */
enum emu_page_access emu_page_access(struct emu_process *p, const void *addr)
{
	uint32_t prot = emu_section_protect_of(p, addr), base = prot & 0xFFu;

	if (prot == 0)
		return EMU_PAGE_WRITE;
	if (base == PAGE_NOACCESS || (prot & PAGE_GUARD))
		return EMU_PAGE_NONE;
	if (base == PAGE_READWRITE || base == PAGE_EXECUTE_READWRITE)
		return EMU_PAGE_WRITE;
	if (base == PAGE_WRITECOPY || base == PAGE_EXECUTE_WRITECOPY)
		return EMU_PAGE_COPY;
	return EMU_PAGE_READ;
}

/**
 * emu_section_area_hidden() - is @owner, the owner of an area of @p's user
 * space, a section map @p has no view of?  A ViewShare map stays in the
 * reservation of the process that mapped it while a child still uses it;
 * once that process unmapped its own view the range is no longer its view.
 * Context: caller holds the machine lock.
 * Return: 1 if so (the area is not mapped for @p), else 0.
 */
int emu_section_area_hidden(struct emu_machine *m, const struct emu_process *p, const void *owner)
{
	for (size_t i = 0; i < p->n_views; i++)
		if (p->views[i]->map == owner)
			return 0;
	for (const struct emu_section *s = m->sections; s; s = s->all_next)
		for (const struct section_map *mp = s->maps; mp; mp = mp->next)
			if (mp == owner)
				return 1;
	return 0;
}

/* ==== processes ============================================================================================ */

/**
 * emu_process_open() - a process handle in the current process
 * (ops->process_open, test side).
 * @st:     the machine.
 * @pid:    the process.
 * @access: granted access.
 * @handle: receives the handle.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such process);
 * STATUS_INSUFFICIENT_RESOURCES / STATUS_NO_MEMORY.
 */
kmemu_status emu_process_open(void *st, kmemu_pid pid, uint32_t access, uintptr_t *handle)
{
	struct emu_machine *m = st;
	struct proc_obj *o;
	kmemu_status rc = STATUS_INVALID_PARAMETER;
	uint32_t h;

	emu_lock(m);
	if (!emu_process_find(m, pid))
		goto out;
	rc = STATUS_INSUFFICIENT_RESOURCES;
	o = kmemu__calloc(1, sizeof(*o));
	if (!o)
		goto out;
	kmemu_obj_init(&o->hdr, &proc_obj_ops);
	o->pid = pid;
	rc = handle_alloc(&emu_current_process(m)->handles, &o->hdr, access, &h);
	if (!rc)
		*handle = h;
	kmemu_obj_unref(&o->hdr);
out:
	emu_unlock(m);
	return rc;
}

/**
 * emu_process_create_child() - a process inheriting @parent's ViewShare
 * views (ops->process_create_child, test side).
 * @st:     the machine.
 * @parent: parent pid.
 * @name:   label.
 * @out:    receives the child's pid.
 *
 * An inherited view is the parent's host mapping seen by the child too: the
 * same address, pages and protection, one reference more on the map.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such parent);
 * STATUS_INSUFFICIENT_RESOURCES (nothing is left created).
 */
kmemu_status emu_process_create_child(void *st, kmemu_pid parent, const char *name,
				      kmemu_pid *out)
{
	struct emu_machine *m = st;
	struct emu_process *pp, *c;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	emu_lock(m);
	pp = emu_process_find(m, parent);
	if (!pp)
		goto out;
	rc = emu_process_new(m, name, &c);
	if (rc)
		goto out;
	for (size_t i = 0; i < pp->n_views; i++) {
		struct section_view *v = pp->views[i], *nv;

		if (v->inherit != ViewShare)
			continue;
		nv = kmemu__malloc(sizeof(*nv));
		if (!nv || section_views_reserve(c)) {
			kmemu__free(nv);
			emu_process_free(m, c);
			rc = STATUS_INSUFFICIENT_RESOURCES;
			goto out;
		}
		*nv = *v;
		nv->map->refs++;
		c->views[c->n_views++] = nv;
		m->n_mappings++;
	}
	*out = c->pid;
out:
	emu_unlock(m);
	return rc;
}

/**
 * emu_section_release_process() - process exit for sections: close every
 * handle of @p (names of sections losing their last handle go), unmap every
 * view of @p.
 * Context: caller holds the machine lock.
 */
void emu_section_release_process(struct emu_machine *m, struct emu_process *p)
{
	for (uint32_t i = 0; i < p->handles.cap; i++)
		if (p->handles.entries[i].obj)
			section_close_handle(m, p, (i + 1) << 2);
	while (p->n_views)
		section_view_remove(m, p, p->n_views - 1);
}

/**
 * emu_section_orphan_process() - maps homed in @p's reservation that other
 * processes still use (inherited views) become host claims: their areas
 * stay recorded so vm_space_fini_keep() leaves their pages mapped.
 * Context: caller holds the machine lock; after emu_section_release_process()
 * and the WDS release, so every area left is a section map.
 */
void emu_section_orphan_process(struct emu_machine *m, struct emu_process *p)
{
	(void)m;
	for (size_t i = 0; i < p->user.n_areas; i++) {
		struct section_map *mp = p->user.areas[i].owner;

		if (ALWAYS(mp && mp->home == &p->user))
			mp->home = NULL;
	}
}

/* ==== kernel references and system-space views ===================================================== */

/* Record one more kernel reference on @obj (the caller's reference becomes
 * it).  Lock held.  Return: 0, or -1 (heap). */
static int obref_add(struct emu_machine *m, struct kmemu_obj *obj)
{
	for (size_t i = 0; i < m->n_obrefs; i++) {
		if (m->obrefs[i].obj == obj) {
			m->obrefs[i].count++;
			return 0;
		}
	}
	if (m->n_obrefs == m->cap_obrefs) {
		size_t cap = m->cap_obrefs ? m->cap_obrefs * 2 : 8;
		struct emu_obref *a = kmemu__realloc(m->obrefs, cap * sizeof(*a));

		if (!a)
			return -1;
		m->obrefs = a;
		m->cap_obrefs = cap;
	}
	m->obrefs[m->n_obrefs++] = (struct emu_obref){ .obj = obj, .count = 1 };
	return 0;
}

/* Forget one reference of entry @i (the array goes when empty) and return
 * its object; the caller drops the reference itself.  Lock held. */
static struct kmemu_obj *obref_take(struct emu_machine *m, size_t i)
{
	struct kmemu_obj *obj = m->obrefs[i].obj;

	if (--m->obrefs[i].count == 0) {
		m->obrefs[i] = m->obrefs[--m->n_obrefs];
		if (!m->n_obrefs) {
			kmemu__free(m->obrefs);
			m->obrefs = NULL;
			m->cap_obrefs = 0;
		}
	}
	return obj;
}

/**
 * emu_ob_reference() - ObReferenceObjectByHandle in the emulator
 * (ops->ob_reference).
 * @st:           the machine.
 * @handle:       a handle of the current process; the process pseudo handle
 *                names the current process (a new process object, all access).
 * @access:       access the handle must grant when @check_access.
 * @type:         KMEMU_OBTYPE_*.
 * @check_access: 1 for UserMode callers.
 * @object:       receives the body (struct emu_section or process object).
 * @granted:      receives the handle's granted access.
 *
 * Order: handle, type, access (Windows').  The reference is recorded in
 * m->obrefs until emu_ob_dereference() drops it.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_HANDLE; STATUS_OBJECT_TYPE_MISMATCH;
 * STATUS_ACCESS_DENIED; STATUS_NOT_SUPPORTED (the thread pseudo handle
 * untyped: no thread objects); STATUS_INSUFFICIENT_RESOURCES (heap).
 */
kmemu_status emu_ob_reference(void *st, uintptr_t handle, uint32_t access, int type,
			      int check_access, void **object, uint32_t *granted)
{
	struct emu_machine *m = st;
	struct emu_process *cur;
	const struct kmemu_obj_ops *ops = NULL;
	struct kmemu_obj *obj = NULL;
	struct proc_obj *po;
	uint32_t g;
	kmemu_status rc;

	emu_lock(m);
	cur = emu_current_process(m);
	if (handle == PSEUDO_PROCESS) {
		rc = STATUS_OBJECT_TYPE_MISMATCH;
		if (type != KMEMU_OBTYPE_ANY && type != KMEMU_OBTYPE_PROCESS)
			goto out;
		rc = STATUS_INSUFFICIENT_RESOURCES;
		po = kmemu__calloc(1, sizeof(*po));
		if (!po)
			goto out;
		kmemu_obj_init(&po->hdr, &proc_obj_ops);
		po->pid = cur->pid;
		obj = &po->hdr;
		g = PROCESS_ALL_ACCESS;
	} else if (handle == PSEUDO_THREAD) {
		rc = type == KMEMU_OBTYPE_ANY ? STATUS_NOT_SUPPORTED : STATUS_OBJECT_TYPE_MISMATCH;
		goto out;
	} else {
		rc = STATUS_INVALID_HANDLE;
		if (handle > UINT32_MAX)
			goto out;
		if (type == KMEMU_OBTYPE_SECTION)
			ops = &section_ops;
		else if (type == KMEMU_OBTYPE_PROCESS)
			ops = &proc_obj_ops;
		rc = handle_lookup(&cur->handles, (uint32_t)handle, ops, 0, &obj);
		if (rc)
			goto out;
		rc = STATUS_OBJECT_TYPE_MISMATCH;
		if (type == KMEMU_OBTYPE_OTHER)
			goto drop;
		g = handle_granted(&cur->handles, (uint32_t)handle);
	}
	rc = STATUS_ACCESS_DENIED;
	if (check_access && (g & access) != access)
		goto drop;
	rc = STATUS_INSUFFICIENT_RESOURCES;
	if (obref_add(m, obj))
		goto drop;
	*object = obj;
	*granted = g;
	rc = STATUS_SUCCESS;
	goto out;
drop:
	kmemu_obj_unref(obj);
out:
	emu_unlock(m);
	return rc;
}

/**
 * emu_ob_dereference() - ObDereferenceObject in the emulator
 * (ops->ob_dereference).
 * @st:     the machine.
 * @object: a body emu_ob_reference() returned.
 * @left:   receives the object's references left (0: it was destroyed).
 * Context: IRQL <= DISPATCH_LEVEL (not checked); takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER when no reference from
 * emu_ob_reference() is outstanding on @object (nothing is touched).
 */
kmemu_status emu_ob_dereference(void *st, void *object, int64_t *left)
{
	struct emu_machine *m = st;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	emu_lock(m);
	for (size_t i = 0; i < m->n_obrefs; i++) {
		if (m->obrefs[i].obj == object) {
			struct kmemu_obj *obj = obref_take(m, i);

			*left = (int64_t)obj->refcount - 1;
			kmemu_obj_unref(obj);
			rc = STATUS_SUCCESS;
			break;
		}
	}
	emu_unlock(m);
	return rc;
}

/* First 64 KiB aligned (in absolute terms) free offset for @len bytes in
 * @vs, guards kept.  Return: 1 and *@off, or 0. */
static int section_find_kernel(const struct vm_space *vs, uint64_t len, uint64_t *off)
{
	uintptr_t base = (uintptr_t)vs->base;
	uint64_t lo = 0;

	for (size_t i = 0; i <= vs->n_areas; i++) {
		uint64_t hi = i < vs->n_areas ? vs->areas[i].start : vs->size;
		uint64_t cand = ((base + lo + ALIGN_64K - 1) & ~(uintptr_t)(ALIGN_64K - 1)) - base;

		if (cand <= hi && hi - cand >= len + vs->guard) {
			*off = cand;
			return 1;
		}
		if (i < vs->n_areas)
			lo = vs->areas[i].start + (vs->areas[i].npages << EMU_PAGE_SHIFT) + vs->guard;
	}
	return 0;
}

/* Make room for one more system-space view.  Return: 0, or -1 (heap). */
static int section_kviews_reserve(struct emu_machine *m)
{
	if (m->n_kviews == m->cap_kviews) {
		size_t cap = m->cap_kviews ? m->cap_kviews * 2 : 8;
		struct section_view **v = kmemu__realloc(m->kviews, cap * sizeof(*v));

		if (!v)
			return -1;
		m->kviews = v;
		m->cap_kviews = cap;
	}
	return 0;
}

/* The kviews array goes when empty (no kept capacity shows as a leak). */
static void section_kviews_trim(struct emu_machine *m)
{
	if (!m->n_kviews) {
		kmemu__free(m->kviews);
		m->kviews = NULL;
		m->cap_kviews = 0;
	}
}

/* Remove system-space view @i.  Lock held. */
static void section_kview_remove(struct emu_machine *m, size_t i)
{
	struct section_view *v = m->kviews[i];

	m->kviews[i] = m->kviews[--m->n_kviews];
	section_map_put(v->map);
	kmemu__free(v);
	m->n_mappings--;
	section_kviews_trim(m);
}

/**
 * emu_section_map_system() - MmMapViewInSystemSpace in the emulator
 * (ops->section_map_system).
 * @st:        the machine.
 * @section:   a section body (checked against the live sections, never
 *             dereferenced otherwise).
 * @view_size: in: bytes, 0 = whole section; out: mapped bytes (page rounded).
 * @base:      receives the view's address in the vmalloc area (64 KiB aligned).
 *
 * The view is a map of the section's pages from offset 0 in the kernel's
 * vmalloc area; uncommitted SEC_RESERVE pages stay PROT_NONE until a commit
 * maps them in every map of the section.
 * Context: PASSIVE / APC (checked by api/); takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1 (no live section);
 * STATUS_INVALID_VIEW_SIZE (larger than the section, or 65536 or more
 * 64 KiB units); STATUS_NO_MEMORY (no room in the vmalloc area);
 * STATUS_INSUFFICIENT_RESOURCES (heap, host mmap).  The view holds a
 * reference on the section until emu_section_unmap_system().
 */
kmemu_status emu_section_map_system(void *st, void *section, uint64_t *view_size, void **base)
{
	struct emu_machine *m = st;
	struct emu_section *s;
	struct section_map *map = NULL;
	struct section_view *view = NULL;
	uint64_t npages, off;
	kmemu_status rc = STATUS_INVALID_PARAMETER_1;

	emu_lock(m);
	for (s = m->sections; s && (void *)s != section; s = s->all_next)
		;
	if (!s)
		goto out;
	rc = kmemu__section_system_size(s->size, *view_size, &npages);
	if (rc)
		goto out;
	rc = STATUS_INSUFFICIENT_RESOURCES;
	if (section_kviews_reserve(m))
		goto out;
	map = kmemu__calloc(1, sizeof(*map));
	view = kmemu__calloc(1, sizeof(*view));
	if (!map || !view)
		goto out;
	map->sec = s;
	map->first_page = 0;
	map->npages = npages;
	map->prot = kmemu__section_kernel_prot(s->protect);
	rc = STATUS_NO_MEMORY;
	if (!section_find_kernel(&m->vmalloc, npages << EMU_PAGE_SHIFT, &off))
		goto out;
	rc = STATUS_INSUFFICIENT_RESOURCES;
	if (vm_insert(&m->vmalloc, off, npages, s->pfns, map))
		goto out;
	map->addr = m->vmalloc.base + off;
	map->home = &m->vmalloc;
	if (section_map_pages(map, m->memfd, 0, npages)) {
		section_unmap_pages(map, 0, npages);
		section_unplace(map);
		goto out;
	}
	kmemu_obj_ref(&s->hdr);  /* the map's */
	map->refs = 1;
	map->next = s->maps;
	if (s->maps)
		s->maps->pprev = &map->next;
	map->pprev = &s->maps;
	s->maps = map;
	view->map = map;
	view->protect = s->protect;
	view->inherit = ViewUnmap;
	m->kviews[m->n_kviews++] = view;
	m->n_mappings++;
	*view_size = npages << EMU_PAGE_SHIFT;
	*base = map->addr;
	emu_unlock(m);
	return STATUS_SUCCESS;
out:
	kmemu__free(map);
	kmemu__free(view);
	section_kviews_trim(m);
	emu_unlock(m);
	return rc;
}

/**
 * emu_section_unmap_system() - MmUnmapViewInSystemSpace in the emulator
 * (ops->section_unmap_system).
 * @st:   the machine.
 * @base: the view's base, or any address in its first 64 KiB (Windows finds
 *        system views by address >> 16).
 * Context: PASSIVE / APC (checked by api/); takes the machine lock.
 * Return: STATUS_SUCCESS (the view's section reference is dropped);
 * STATUS_NOT_MAPPED_VIEW.
 */
kmemu_status emu_section_unmap_system(void *st, void *base)
{
	struct emu_machine *m = st;
	kmemu_status rc = STATUS_NOT_MAPPED_VIEW;

	emu_lock(m);
	for (size_t i = 0; i < m->n_kviews; i++) {
		if ((uintptr_t)m->kviews[i]->map->addr >> 16 == (uintptr_t)base >> 16) {
			section_kview_remove(m, i);
			rc = STATUS_SUCCESS;
			break;
		}
	}
	emu_unlock(m);
	return rc;
}

/**
 * emu_section_release_kernel() - machine close: unmap every system-space
 * view and drop every kernel reference still outstanding (a driver that
 * leaked them), so the sections and process objects they hold go.
 * Context: caller holds the machine lock, or the machine is being closed.
 */
void emu_section_release_kernel(struct emu_machine *m)
{
	while (m->n_kviews)
		section_kview_remove(m, m->n_kviews - 1);
	while (m->n_obrefs)
		kmemu_obj_unref(obref_take(m, m->n_obrefs - 1));
}

/* ==== checker ================================================================================================== */

/**
 * emu_section_check() - every view's map is live, 64 KiB aligned, recorded
 * in its home space; the reference counts of maps match the views; every
 * system-space view has its own map in the vmalloc area; no kernel reference
 * record outnumbers its object's references.
 * Context: caller holds the machine lock.
 * Return: 1 if all hold, 0 otherwise with @msg set.
 */
int emu_section_check(struct emu_machine *m, const char **msg)
{
	for (struct emu_process *p = m->procs; p; p = p->next) {
		for (size_t i = 0; i < p->n_views; i++) {
			const struct section_map *mp = p->views[i]->map;
			uint32_t refs = 0;

			if (!mp || !mp->refs || mp->sec->hdr.refcount == 0 ||
			    ((uintptr_t)mp->addr & (ALIGN_64K - 1)) ||
			    mp->first_page + mp->npages > mp->sec->npages) {
				*msg = "section: a view's mapping is dead, unaligned or past its section";
				return 0;
			}
			if (mp->home) {
				const struct vm_area *ar = vm_lookup(mp->home, mp->addr);

				if (!ar || ar->owner != mp) {
					*msg = "section: a view's area is missing from its home space";
					return 0;
				}
			}
			for (struct emu_process *q = m->procs; q; q = q->next)
				for (size_t j = 0; j < q->n_views; j++)
					refs += q->views[j]->map == mp;
			if (refs != mp->refs) {
				*msg = "section: a mapping's reference count differs from its views";
				return 0;
			}
		}
	}
	for (size_t i = 0; i < m->n_kviews; i++) {
		const struct section_map *mp = m->kviews[i]->map;
		const struct vm_area *ar;

		if (!mp || mp->refs != 1 || mp->home != &m->vmalloc || mp->sec->hdr.refcount == 0 ||
		    ((uintptr_t)mp->addr & (ALIGN_64K - 1)) || mp->first_page + mp->npages > mp->sec->npages) {
			*msg = "section: a system-space view is dead, shared, unaligned or outside vmalloc";
			return 0;
		}
		ar = vm_lookup(&m->vmalloc, mp->addr);
		if (!ar || ar->owner != mp) {
			*msg = "section: a system-space view's area is missing from the vmalloc area";
			return 0;
		}
	}
	for (size_t i = 0; i < m->n_obrefs; i++) {
		if (!m->obrefs[i].count || m->obrefs[i].obj->refcount < m->obrefs[i].count) {
			*msg = "section: a kernel reference outnumbers its object's references";
			return 0;
		}
	}
	return 1;
}
