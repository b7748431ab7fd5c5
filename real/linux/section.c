/* SPDX-License-Identifier: MIT */
/*
 * section.c - sections and views (ZwCreateSection, ZwOpenSection,
 * ZwMapViewOfSection, ZwUnmapViewOfSection, ZwClose, NtQuerySection) on
 * Linux primitives.
 *
 * A paging-file-backed section is a memfd (memfd_create + ftruncate, size
 * sealed); a view is an mmap of it in the mapping process - directly in the
 * host, by request (LINUX_AGENT_VIEW, the fd passed with SCM_RIGHTS) in an
 * agent, since Linux has no remote mmap - with PROT_* from Win32Protect
 * (PAGE_WRITECOPY: MAP_PRIVATE, copy on write).  All views of a section map
 * the same pages, so they alias for real, across processes too.
 *
 *   process A (host) view ─┐
 *   process A, 2nd view ───┼─► memfd pages ◄── handles (per process, generation-checked)
 *   process B (agent) view ┘
 *
 * Where the kernel decides, it decides:
 *   - the commitment of a SEC_COMMIT section is a real commit charge: an
 *     accounted, never touched, private writable reservation of its size
 *     (MADV_DONTFORK), so the kernel's overcommit policy answers ENOMEM ->
 *     STATUS_COMMITMENT_LIMIT;
 *   - placement: a fixed base is claimed with MAP_FIXED_NOREPLACE (EEXIST ->
 *     STATUS_CONFLICTING_ADDRESSES through linux_status_from_errno());
 *     the 64 KiB granularity, MEM_TOP_DOWN and ZeroBits windows are the
 *     backend's placement on top of it (linux_view_mmap(), agent.c);
 *   - page protections, faults and process_vm_readv/writev on views.
 * The pure parameter rules (sizes, ZeroBits, protections) are the shared
 * ones of api/section_rules.c, applied at the same steps as the emulator.
 *
 * SEC_RESERVE is emulated, not a kernel primitive: the memfd exists at its
 * full size, uncommitted pages of every view are PROT_NONE (access faults,
 * MEM_RESERVE in kmemu_view_query), and mapping with CommitSize commits
 * pages by mprotect()ing them to the view's protection in every view of
 * the section, in every process.  Committed pages are not charged to the
 * kernel's commit accounting (shmem pages are charged when touched).
 *
 * ViewShare views are inherited by kmemu_process_create_child(): the child
 * agent maps the same memfd at the same address with the same protection
 * (MAP_SHARED views: the same pages).  A PAGE_WRITECOPY view's private
 * copies are not inherited: the child's copy-on-write view starts from the
 * section's pages.
 *
 * Host views are MADV_DONTFORK: agents (forked from the host) do not
 * inherit them.  Names live in a per-instance namespace; a name goes with
 * its section's last handle, the section with its last handle or view.
 *
 * Divisions: sections; handles; create and open; views; map; unmap, close,
 * queries; processes; checker.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/memfd.h>
#include <wdm.h>
#include "linux.h"

#define ALIGN_64K 0x10000ull
#define PSEUDO_PROCESS ((uintptr_t)-1)
#define PSEUDO_THREAD ((uintptr_t)-2)
#define H_INDEX_BITS 20u
#define H_INDEX_MASK ((1u << H_INDEX_BITS) - 1)
#define H_MAX (H_INDEX_MASK - 1)
#define H_MIN_CAP 16u
#define ZERO_BITS_FLOOR 0x10000ull  /* lowest address a ZeroBits window probes */

/* ==== sections ================================================================== */

static int page_committed(const struct linux_section *s, uint64_t pg)
{
	return !s->committed || (s->committed[pg >> 3] >> (pg & 7) & 1);
}

static void page_set(struct linux_section *s, uint64_t pg, int on)
{
	if (on)
		s->committed[pg >> 3] |= (uint8_t)(1u << (pg & 7));
	else
		s->committed[pg >> 3] &= (uint8_t)~(1u << (pg & 7));
}

/* Unlink @s from the namespace (no-op when unnamed). */
static void section_unname(struct linux_machine *m, struct linux_section *s)
{
	for (struct linux_section **pp = &m->named; s->is_named && *pp; pp = &(*pp)->next_named) {
		if (*pp == s) {
			*pp = s->next_named;
			s->is_named = 0;
			break;
		}
	}
}

/* Free @s: memfd, commit charge, accounting.  Half-built ones are fine. */
static void section_destroy(struct linux_machine *m, struct linux_section *s)
{
	section_unname(m, s);
	m->section_pages -= s->n_committed;
	if (s->charge)
		rsys_munmap(s->charge, s->size);
	if (s->memfd >= 0)
		rsys_close(s->memfd);
	kmemu__free(s->committed);
	kmemu__free(s->name);
	kmemu__free(s);
}

/* Drop one reference (a handle's or a view's). */
static void section_put(struct linux_machine *m, struct linux_section *s)
{
	if (--s->refs == 0)
		section_destroy(m, s);
}

/* ==== handles ==================================================================== */

static uintptr_t handle_encode(const struct linux_proc *p, uint32_t i)
{
	return (uintptr_t)((p->handles[i].gen & 0xFFFu) << H_INDEX_BITS | (i + 1)) << 2;
}

/* Index of the live entry @h names in @p, or -1. */
static long handle_decode(const struct linux_proc *p, uintptr_t h)
{
	uint32_t v, i;

	if (!h || (h & 3) || h > UINT32_MAX)
		return -1;
	v = (uint32_t)(h >> 2);
	i = (v & H_INDEX_MASK) - 1;
	if ((v & H_INDEX_MASK) == 0 || i >= p->n_handles || !p->handles[i].type ||
	    (p->handles[i].gen & 0xFFFu) != v >> H_INDEX_BITS)
		return -1;
	return (long)i;
}

/*
 * handle_alloc() - a new handle in @p for a section (one more reference) or
 * a process.  The entry is a KMEMU_FAULT_HANDLES fault point; the table
 * doubles as needed.
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES.
 */
static kmemu_status handle_alloc(struct linux_machine *m, struct linux_proc *p, int type,
				 struct linux_section *s, kmemu_pid pid, uint32_t access, uintptr_t *out)
{
	uint32_t i;

	if (kmemu__fault_should_fail(KMEMU_FAULT_HANDLES))
		return STATUS_INSUFFICIENT_RESOURCES;
	for (i = 0; i < p->n_handles && p->handles[i].type; i++)
		;
	if (i == p->n_handles) {
		uint32_t cap = p->n_handles ? p->n_handles * 2 : H_MIN_CAP;
		struct linux_handle *t;

		if (p->n_handles >= H_MAX)
			return STATUS_INSUFFICIENT_RESOURCES;
		if (cap > H_MAX)
			cap = H_MAX;
		t = kmemu__realloc(p->handles, cap * sizeof(*t));
		if (!t)
			return STATUS_INSUFFICIENT_RESOURCES;
		memset(t + p->n_handles, 0, (cap - p->n_handles) * sizeof(*t));
		p->handles = t;
		p->n_handles = cap;
	}
	p->handles[i].type = type;
	p->handles[i].access = access;
	p->handles[i].sec = s;
	p->handles[i].pid = pid;
	if (s) {
		s->refs++;
		s->handle_count++;
	}
	p->handles_used++;
	m->n_handles++;
	*out = handle_encode(p, i);
	return STATUS_SUCCESS;
}

/* Free entry @i of @p; a section losing its last handle loses its name. */
static void handle_free(struct linux_machine *m, struct linux_proc *p, uint32_t i)
{
	struct linux_handle *e = &p->handles[i];
	struct linux_section *s = e->sec;

	e->type = 0;
	e->sec = NULL;
	e->gen++;
	p->handles_used--;
	m->n_handles--;
	if (s) {
		if (--s->handle_count == 0)
			section_unname(m, s);
		section_put(m, s);
	}
}

static struct linux_proc *proc_find(struct linux_machine *m, kmemu_pid pid)
{
	for (struct linux_proc *p = m->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

/* The process @h names in @cur with @access (step 7 of spec §9b). */
static kmemu_status ref_process(struct linux_machine *m, struct linux_proc *cur, uintptr_t h,
				uint32_t access, struct linux_proc **out)
{
	long i;

	if (h == PSEUDO_PROCESS) {
		*out = cur;
		return STATUS_SUCCESS;
	}
	if (h == PSEUDO_THREAD)
		return STATUS_OBJECT_TYPE_MISMATCH;
	i = handle_decode(cur, h);
	if (i < 0)
		return STATUS_INVALID_HANDLE;
	if (cur->handles[i].type != LINUX_HANDLE_PROCESS)
		return STATUS_OBJECT_TYPE_MISMATCH;
	if ((cur->handles[i].access & access) != access)
		return STATUS_ACCESS_DENIED;
	*out = proc_find(m, cur->handles[i].pid);
	return *out ? STATUS_SUCCESS : STATUS_PROCESS_IS_TERMINATING;
}

/* The section @h names in @cur with @access (no new reference). */
static kmemu_status ref_section(struct linux_proc *cur, uintptr_t h, uint32_t access,
				struct linux_section **out)
{
	long i;

	if (h == PSEUDO_PROCESS || h == PSEUDO_THREAD)
		return STATUS_OBJECT_TYPE_MISMATCH;
	i = handle_decode(cur, h);
	if (i < 0)
		return STATUS_INVALID_HANDLE;
	if (cur->handles[i].type != LINUX_HANDLE_SECTION)
		return STATUS_OBJECT_TYPE_MISMATCH;
	if ((cur->handles[i].access & access) != access)
		return STATUS_ACCESS_DENIED;
	*out = cur->handles[i].sec;
	return STATUS_SUCCESS;
}

/* ==== create and open ================================================================= */

static struct linux_section *name_find(struct linux_machine *m, const uint16_t *name, size_t len,
				       uint32_t obj_attributes)
{
	for (struct linux_section *s = m->named; s; s = s->next_named)
		if (kmemu__section_name_eq(s->name, s->name_len, name, len,
					   (obj_attributes & OBJ_CASE_INSENSITIVE) != 0))
			return s;
	return NULL;
}

/* The commit charge of a SEC_COMMIT section of @size bytes: an accounted
 * private writable reservation, never touched, not inherited by agents.
 * Return: the mapping, or NULL with errno set. */
static void *commit_charge(uint64_t size)
{
	void *c = rsys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (c == MAP_FAILED) {
		if (errno == EINVAL)  /* valgrind's answer for a length it cannot place */
			errno = ENOMEM;
		return NULL;
	}
	if (rsys_madvise(c, size, MADV_DONTFORK)) {
		err = errno;
		rsys_munmap(c, size);
		errno = err;
		return NULL;
	}
	return c;
}

/**
 * linux_section_create() - ZwCreateSection (ops->section_create).
 * @st:     the instance.
 * @a:      arguments; the api layer validated attributes and protection.
 * @handle: receives the new handle (current process) on success.
 *
 * Checks, in the emulator's order: FileHandle (no file objects: any
 * non-zero value is STATUS_INVALID_HANDLE or STATUS_OBJECT_TYPE_MISMATCH),
 * SEC_IMAGE -> STATUS_INVALID_FILE_FOR_SECTION, the size rules
 * (kmemu__section_size_rule), the commit charge of SEC_COMMIT (the kernel's
 * ENOMEM -> STATUS_COMMITMENT_LIMIT), then the name (OBJ_OPENIF:
 * STATUS_OBJECT_NAME_EXISTS and a handle to it; else
 * STATUS_OBJECT_NAME_COLLISION); then memfd_create and ftruncate.
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_OBJECT_NAME_EXISTS; the failures above;
 * STATUS_INSUFFICIENT_RESOURCES (heap, fds, handles).
 */
kmemu_status linux_section_create(void *st, const struct kmemu_section_create_args *a,
				  uintptr_t *handle)
{
	struct linux_machine *m = st;
	struct linux_proc *cur;
	struct linux_section *s = NULL, *old;
	void *charge = NULL;
	uint64_t npages = 0;
	kmemu_status rc;
	uintptr_t h;

	linux_lock(m);
	cur = linux_current_process(m);
	if (a->file) {
		if (a->file == PSEUDO_PROCESS || a->file == PSEUDO_THREAD)
			rc = STATUS_OBJECT_TYPE_MISMATCH;
		else
			rc = handle_decode(cur, a->file) < 0 ? STATUS_INVALID_HANDLE
							     : STATUS_OBJECT_TYPE_MISMATCH;
		goto out;
	}
	rc = STATUS_INVALID_FILE_FOR_SECTION;
	if (a->attributes & SEC_IMAGE)
		goto out;
	rc = kmemu__section_size_rule(a, &npages);
	if (rc)
		goto out;
	if (a->attributes & SEC_COMMIT) {
		charge = commit_charge(npages * LINUX_PAGE_SIZE);
		if (!charge) {
			rc = (kmemu_status)linux_status_from_errno(errno, LINUX_OP_SECTION);
			goto out;
		}
	}
	if (a->name && (old = name_find(m, a->name, a->name_len, a->obj_attributes))) {
		rc = STATUS_OBJECT_NAME_COLLISION;
		if (a->obj_attributes & OBJ_OPENIF) {
			rc = handle_alloc(m, cur, LINUX_HANDLE_SECTION, old, 0, a->access, &h);
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
	s->memfd = -1;
	s->size = npages * LINUX_PAGE_SIZE;
	s->npages = npages;
	s->protect = a->protect;
	s->attributes = a->attributes;
	s->charge = charge;
	charge = NULL;
	if (a->attributes & SEC_RESERVE) {
		s->committed = kmemu__calloc((size_t)((npages + 7) / 8), 1);
		if (!s->committed)
			goto fail;
	} else {
		s->n_committed = npages;
		m->section_pages += npages;
	}
	if (a->name) {
		s->name = kmemu__malloc(a->name_len * sizeof(uint16_t));
		if (!s->name)
			goto fail;
		memcpy(s->name, a->name, a->name_len * sizeof(uint16_t));
		s->name_len = a->name_len;
	}
	s->memfd = rsys_memfd_create("kmemu-section", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s->memfd < 0 || rsys_ftruncate(s->memfd, (off_t)s->size)) {
		rc = (kmemu_status)linux_status_from_errno(errno, LINUX_OP_SECTION);
		goto fail;
	}
	/* the size is final: no view may lose its pages under it */
	rsys_fcntl(s->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	rc = handle_alloc(m, cur, LINUX_HANDLE_SECTION, s, 0, a->access, &h);
	if (rc)
		goto fail;
	if (s->name) {
		s->next_named = m->named;
		m->named = s;
		s->is_named = 1;
	}
	*handle = h;
	goto out;
fail:
	section_destroy(m, s);
out:
	if (charge)
		rsys_munmap(charge, npages * LINUX_PAGE_SIZE);
	linux_unlock(m);
	return rc;
}

/**
 * linux_section_open() - ZwOpenSection (ops->section_open).
 * @st:             the instance.
 * @access:         DesiredAccess (generic rights mapped).
 * @name:           UTF-16 name, @name_len units.
 * @name_len:       units in @name.
 * @obj_attributes: OBJ_* (OBJ_CASE_INSENSITIVE folds ASCII case).
 * @handle:         receives a new handle in the current process.
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_OBJECT_NAME_NOT_FOUND;
 * STATUS_INSUFFICIENT_RESOURCES (handle table).
 */
kmemu_status linux_section_open(void *st, uint32_t access, const uint16_t *name, size_t name_len,
				uint32_t obj_attributes, uintptr_t *handle)
{
	struct linux_machine *m = st;
	struct linux_section *s;
	kmemu_status rc = STATUS_OBJECT_NAME_NOT_FOUND;

	linux_lock(m);
	s = name_find(m, name, name_len, obj_attributes);
	if (s)
		rc = handle_alloc(m, linux_current_process(m), LINUX_HANDLE_SECTION, s, 0, access, handle);
	linux_unlock(m);
	return rc;
}

/* ==== views ============================================================================ */

static int kview_protect(struct linux_kview *k, uint64_t lo, uint64_t hi, int prot);

/* Change the protection of view pages [lo, hi) (section pages) of @v.
 * Return: 0 or an errno. */
static int view_protect(struct linux_view *v, uint64_t lo, uint64_t hi, int prot)
{
	uint8_t *at;
	uint64_t len;

	if (lo < v->first_page)
		lo = v->first_page;
	if (hi > v->first_page + v->npages)
		hi = v->first_page + v->npages;
	if (hi <= lo)
		return 0;
	at = v->addr + (lo - v->first_page) * LINUX_PAGE_SIZE;
	len = (hi - lo) * LINUX_PAGE_SIZE;
	if (v->proc->is_initial)
		return rsys_mprotect(at, len, prot) ? errno : 0;
	if (v->proc->sock < 0)
		return 0;  /* the agent is gone: nothing is mapped there any more */
	{
		struct linux_agent_req req = { .op = LINUX_AGENT_PROTECT, .addr = (uint64_t)(uintptr_t)at,
					       .len = len, .prot = (uint32_t)prot };
		struct linux_agent_rep rep = { 0, 0, 0 };
		int err = linux_agent_call(v->proc->sock, &req, -1, &rep);

		return err ? err : rep.err;
	}
}

/* The next run of committed pages of @s at or after *@lo and below @end:
 * 1 with [*@lo, *@hi), or 0 when there is none. */
static int committed_run(const struct linux_section *s, uint64_t end, uint64_t *lo, uint64_t *hi)
{
	while (*lo < end && !page_committed(s, *lo))
		(*lo)++;
	if (*lo >= end)
		return 0;
	for (*hi = *lo; *hi < end && page_committed(s, *hi); (*hi)++)
		;
	return 1;
}

/* Give the committed pages of @v its protection (SEC_RESERVE views are
 * mapped PROT_NONE first).  Return: 0 or an errno. */
static int view_apply_commit(struct linux_view *v)
{
	struct linux_section *s = v->sec;
	uint64_t end = v->first_page + v->npages, j;
	int err = 0;

	if (!s->committed || v->prot == PROT_NONE)
		return 0;
	for (uint64_t i = v->first_page; !err && committed_run(s, end, &i, &j); i = j)
		err = view_protect(v, i, j, v->prot);
	return err;
}

/* Unmap @v from its process (an agent that is gone has nothing left) and
 * give back its host reservation - or hand it to a view inherited at the
 * same address, which still needs it. */
static void view_unmap(struct linux_machine *m, struct linux_view *v)
{
	uint64_t len = v->npages * LINUX_PAGE_SIZE;

	if (v->proc->is_initial) {
		rsys_munmap(v->addr, len);
		return;
	}
	if (v->proc->sock >= 0) {
		struct linux_agent_req req = { .op = LINUX_AGENT_UNMAP,
					       .addr = (uint64_t)(uintptr_t)v->addr, .len = len };
		struct linux_agent_rep rep;

		linux_agent_call(v->proc->sock, &req, -1, &rep);
	}
	if (!v->host_res)
		return;
	v->host_res = 0;
	for (struct linux_view *o = m ? m->views : NULL; o; o = o->next) {
		if (o != v && !o->proc->is_initial && !o->host_res && o->addr == v->addr &&
		    o->npages == v->npages) {
			o->host_res = 1;
			return;
		}
	}
	rsys_munmap(v->addr, len);
}

#define AGENT_ATTEMPTS 8  /* host-reserved addresses tried for an agent's view */

/*
 * view_place_agent() - place an agent's view: the host first maps the memfd
 * PROT_NONE where its placement rules say (a reservation, MADV_DONTFORK, so
 * views of all processes have distinct addresses, as in the emulator), then
 * the agent maps the view exactly there; if the agent has something at that
 * address, another is tried (up to AGENT_ATTEMPTS; one for a fixed base).
 * Return: 0 and the agent's address in *@out; an errno.
 */
static int view_place_agent(struct linux_view *v, const struct linux_agent_req *req, void **out)
{
	struct linux_agent_req hreq = *req, areq = *req;
	void *tried[AGENT_ATTEMPTS];
	unsigned n = 0;
	int err = ESRCH;

	hreq.prot = PROT_NONE;
	hreq.flags &= ~LINUX_VIEW_PRIVATE;
	areq.flags |= LINUX_VIEW_FIXED;
	while (n < AGENT_ATTEMPTS && v->proc->sock >= 0) {
		struct linux_agent_rep rep = { 0, 0, 0 };
		void *r = linux_view_mmap(&hreq, v->sec->memfd, 1, &err);

		if (r == MAP_FAILED)
			break;
		if (rsys_madvise(r, req->len, MADV_DONTFORK)) {
			err = errno;
			rsys_munmap(r, req->len);
			break;
		}
		areq.addr = (uint64_t)(uintptr_t)r;
		err = linux_agent_call(v->proc->sock, &areq, v->sec->memfd, &rep);
		if (!err)
			err = rep.err;
		if (!err) {
			*out = r;
			break;
		}
		tried[n++] = r;
		if (err != EEXIST || (req->flags & LINUX_VIEW_FIXED))
			break;
	}
	while (n)
		rsys_munmap(tried[--n], req->len);
	return err;
}

/*
 * view_place() - map @v (proc, sec, first_page, npages, prot, is_private
 * set) in its process: @base fixed (0: the backend places), within
 * [ZERO_BITS_FLOOR, @last] when @last is not UINTPTR_MAX, @top_down for
 * MEM_TOP_DOWN.  Host views are MADV_DONTFORK.  Sets v->addr.
 * Context: lock held.
 * Return: 0 or an errno (EEXIST: the fixed range is taken; ENOMEM: no room).
 */
static int view_place(struct linux_view *v, uintptr_t base, uintptr_t last, int top_down)
{
	struct linux_agent_req req = { .op = LINUX_AGENT_VIEW };
	void *p = NULL;
	int err = 0;

	req.len = v->npages * LINUX_PAGE_SIZE;
	req.offset = v->first_page * LINUX_PAGE_SIZE;
	req.prot = (uint32_t)(v->sec->committed ? PROT_NONE : v->prot);
	req.flags = (v->is_private ? LINUX_VIEW_PRIVATE : 0) | (top_down ? LINUX_VIEW_TOP_DOWN : 0);
	if (base) {
		req.flags |= LINUX_VIEW_FIXED;
		req.addr = base;
	} else if (last != UINTPTR_MAX) {
		req.lo = ZERO_BITS_FLOOR;
		req.hi = last;
	}
	if (v->proc->is_initial) {
		p = linux_view_mmap(&req, v->sec->memfd, 1, &err);
		if (p == MAP_FAILED)
			return err;
		if (rsys_madvise(p, req.len, MADV_DONTFORK)) {
			err = errno;
			rsys_munmap(p, req.len);
			return err;
		}
	} else {
		err = view_place_agent(v, &req, &p);
		if (err)
			return err;
		v->host_res = 1;
	}
	v->addr = p;
	err = view_apply_commit(v);
	if (err)
		view_unmap(NULL, v);
	return err;
}

/* Map an inherited view in its (agent) process at the parent's address:
 * the parent's view or reservation already holds that address in the host.
 * Return: 0 or an errno. */
static int view_place_inherited(struct linux_view *v)
{
	struct linux_agent_req req = { .op = LINUX_AGENT_VIEW };
	struct linux_agent_rep rep = { 0, 0, 0 };
	int err;

	req.len = v->npages * LINUX_PAGE_SIZE;
	req.offset = v->first_page * LINUX_PAGE_SIZE;
	req.prot = (uint32_t)(v->sec->committed ? PROT_NONE : v->prot);
	req.flags = (v->is_private ? LINUX_VIEW_PRIVATE : 0) | LINUX_VIEW_FIXED;
	req.addr = (uint64_t)(uintptr_t)v->addr;
	if (v->proc->sock < 0)
		return ESRCH;
	err = linux_agent_call(v->proc->sock, &req, v->sec->memfd, &rep);
	if (!err)
		err = rep.err;
	if (!err && (err = view_apply_commit(v)) != 0)
		view_unmap(NULL, v);
	return err;
}

static void view_link(struct linux_machine *m, struct linux_view *v)
{
	v->sec->refs++;
	v->next = m->views;
	m->views = v;
	m->n_views++;
}

/* Unlink, unmap and free @v, dropping its reference on the section. */
static void view_remove(struct linux_machine *m, struct linux_view *v)
{
	for (struct linux_view **pp = &m->views; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	}
	m->n_views--;
	view_unmap(m, v);
	section_put(m, v->sec);
	kmemu__free(v);
}

/* The view of @p containing @addr, or NULL. */
static struct linux_view *view_find(struct linux_machine *m, const struct linux_proc *p, uintptr_t addr)
{
	for (struct linux_view *v = m->views; v; v = v->next)
		if (v->proc == p && addr >= (uintptr_t)v->addr &&
		    addr - (uintptr_t)v->addr < v->npages * LINUX_PAGE_SIZE)
			return v;
	return NULL;
}

/* ==== map ================================================================================ */

/*
 * commit_range() - commit section pages [first, first + n) of a SEC_RESERVE
 * section: mark them and give them their protection in every view.
 * @was: receives a copy of the previous state of the range (kmemu__malloc),
 *       for commit_undo(); NULL when nothing was to commit.
 * Return: 0; an errno (nothing changed then).
 */
static void commit_undo(struct linux_machine *m, struct linux_section *s, uint64_t first, uint64_t n,
			const uint8_t *was);

static int commit_range(struct linux_machine *m, struct linux_section *s, uint64_t first, uint64_t n,
			uint8_t **was)
{
	uint64_t want = 0;

	*was = NULL;
	for (uint64_t i = first; i < first + n; i++)
		want += !page_committed(s, i);
	if (!want)
		return 0;
	*was = kmemu__malloc((size_t)n);
	if (!*was)
		return ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		(*was)[i] = (uint8_t)page_committed(s, first + i);
		page_set(s, first + i, 1);
	}
	s->n_committed += want;
	m->section_pages += want;
	for (struct linux_view *v = m->views; v; v = v->next) {
		int err;

		if (v->sec != s || v->prot == PROT_NONE)
			continue;
		err = view_protect(v, first, first + n, v->prot);
		if (err) {
			commit_undo(m, s, first, n, *was);
			kmemu__free(*was);
			*was = NULL;
			return err;
		}
	}
	for (struct linux_kview *k = m->kviews; k; k = k->next) {
		int err = k->sec == s ? kview_protect(k, first, first + n, k->prot) : 0;

		if (err) {
			commit_undo(m, s, first, n, *was);
			kmemu__free(*was);
			*was = NULL;
			return err;
		}
	}
	return 0;
}

/* Undo commit_range(): the newly committed pages go back to PROT_NONE. */
static void commit_undo(struct linux_machine *m, struct linux_section *s, uint64_t first, uint64_t n,
			const uint8_t *was)
{
	if (!was)
		return;
	for (uint64_t i = 0; i < n; i++) {
		if (was[i])
			continue;
		for (struct linux_view *v = m->views; v; v = v->next)
			if (v->sec == s && v->prot != PROT_NONE)
				view_protect(v, first + i, first + i + 1, PROT_NONE);
		for (struct linux_kview *k = m->kviews; k; k = k->next)
			if (k->sec == s)
				kview_protect(k, first + i, first + i + 1, PROT_NONE);
		page_set(s, first + i, 0);
		s->n_committed--;
		m->section_pages--;
	}
}

/**
 * linux_section_map() - ZwMapViewOfSection from step 5 of spec §9b on
 * (ops->section_map).
 * @st: the instance.
 * @a:  arguments; base, view_size and offset are written back on success.
 *
 * Steps as the emulator's: 5 base or range beyond the user range -> P3;
 * 6 ZeroBits -> P4; 7 process handle (PROCESS_VM_OPERATION); 8 section
 * handle with the access the protection needs; 9 base or offset not 64 KiB
 * aligned -> STATUS_MAPPED_ALIGNMENT; 10 MEM_RESERVE -> P9, incompatible
 * protection -> STATUS_SECTION_PROTECTION; 11-12 sizes -> STATUS_INVALID_VIEW_SIZE,
 * P5; MEM_REPLACE_PLACEHOLDER (no placeholders) -> STATUS_CONFLICTING_ADDRESSES,
 * or P3 without a base; 13 commit (SEC_RESERVE, emulated) and placement by
 * the kernel and the backend: EEXIST -> STATUS_CONFLICTING_ADDRESSES,
 * ENOMEM -> STATUS_NO_MEMORY, through linux_status_from_errno().
 * Context: PASSIVE; takes the instance lock (across agent round trips).
 * Return: STATUS_SUCCESS or the statuses above; STATUS_INSUFFICIENT_RESOURCES
 * (heap, fds); STATUS_PROCESS_IS_TERMINATING (the agent is gone).
 */
static kmemu_status section_map_common(struct linux_machine *m, struct kmemu_section_map_args *a,
					uint64_t highest);

kmemu_status linux_section_map(void *st, struct kmemu_section_map_args *a)
{
	return section_map_common(st, a, 0);
}

/**
 * linux_section_map_ex() - NtMapViewOfSectionEx (ops->section_map_ex):
 * linux_section_map()'s path with the view's last byte at or below
 * @highest (0 = no limit); no room there is STATUS_NO_MEMORY.
 * Context: PASSIVE; takes the instance lock.
 * Return: as linux_section_map().
 */
kmemu_status linux_section_map_ex(void *st, struct kmemu_section_map_args *a, uint64_t highest)
{
	return section_map_common(st, a, highest);
}

/* The map path of both calls; @highest limits the placement (0: none). */
static kmemu_status section_map_common(struct linux_machine *m, struct kmemu_section_map_args *a,
					uint64_t highest)
{
	struct linux_proc *cur, *p;
	struct linux_section *s;
	struct linux_view *v = NULL;
	uintptr_t last;
	uint64_t npages = 0, first, commit_pages;
	uint8_t *was = NULL;
	kmemu_status rc;
	int err;

	linux_lock(m);
	cur = linux_current_process(m);
	/* 5, 6 */
	rc = kmemu__section_map_range(a, kmemu__section_user_range_bad(a->base, a->view_size), &last);
	if (rc)
		goto out;
	if (highest && highest < last)  /* NtMapViewOfSectionEx's HighestEndingAddress */
		last = (uintptr_t)highest;
	/* 7, 8 */
	rc = ref_process(m, cur, a->process, PROCESS_VM_OPERATION, &p);
	if (rc)
		goto out;
	rc = ref_section(cur, a->section, kmemu__section_access_for(a->protect), &s);
	if (rc)
		goto out;
	/* 9 - 12 */
	rc = kmemu__section_map_fit(a, s->protect, s->size, &npages);
	if (rc)
		goto out;
	first = a->offset / LINUX_PAGE_SIZE;
	commit_pages = (a->commit_size + LINUX_PAGE_SIZE - 1) / LINUX_PAGE_SIZE;
	/* 13: bookkeeping first, then the commit, then the mapping */
	rc = STATUS_INSUFFICIENT_RESOURCES;
	v = kmemu__calloc(1, sizeof(*v));
	if (!v)
		goto out;
	v->proc = p;
	v->sec = s;
	v->first_page = first;
	v->npages = npages;
	v->prot = kmemu__section_host_prot(a->protect, &v->is_private);
	v->protect = a->protect;
	v->inherit = a->inherit;
	if (s->committed && commit_pages) {
		err = commit_range(m, s, first, commit_pages, &was);
		if (err) {
			rc = (kmemu_status)linux_status_from_errno(err, LINUX_OP_VIEW);
			goto out;
		}
	}
	err = view_place(v, a->base, last, (a->allocation_type & MEM_TOP_DOWN) != 0);
	if (err) {
		rc = (kmemu_status)linux_status_from_errno(err, LINUX_OP_VIEW);
		commit_undo(m, s, first, commit_pages, was);
		goto out;
	}
	view_link(m, v);
	a->base = (uintptr_t)v->addr;
	a->view_size = npages * LINUX_PAGE_SIZE;
	v = NULL;
	rc = STATUS_SUCCESS;
out:
	kmemu__free(was);
	kmemu__free(v);
	linux_unlock(m);
	return rc;
}

/* ==== unmap, close, queries ================================================================ */

/**
 * linux_section_unmap() - ZwUnmapViewOfSection (ops->section_unmap).
 * @st:      the instance.
 * @process: ProcessHandle value.
 * @base:    any address inside the view.
 *
 * An address beyond the user range is STATUS_NOT_MAPPED_VIEW before the
 * process handle is looked at; then the handle needs PROCESS_VM_OPERATION;
 * then the whole view containing @base goes (munmap, or the agent's).
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_NOT_MAPPED_VIEW; the process-handle statuses.
 */
static kmemu_status section_unmap_common(struct linux_machine *m, uintptr_t process,
					  uintptr_t base, uint32_t flags);

kmemu_status linux_section_unmap(void *st, uintptr_t process, uintptr_t base)
{
	return section_unmap_common(st, process, base, 0);
}

/**
 * linux_section_unmap_ex() - NtUnmapViewOfSectionEx (ops->section_unmap_ex):
 * linux_section_unmap(), then, once the view is found,
 * MEM_PRESERVE_PLACEHOLDER is STATUS_CONFLICTING_ADDRESSES (no view here
 * replaced a placeholder) and the view stays.  MEM_UNMAP_WITH_TRANSIENT_BOOST
 * is a scheduling hint: ignored.
 * Context: PASSIVE; takes the instance lock.
 * Return: as linux_section_unmap(); STATUS_CONFLICTING_ADDRESSES.
 */
kmemu_status linux_section_unmap_ex(void *st, uintptr_t process, uintptr_t base, uint32_t flags)
{
	return section_unmap_common(st, process, base, flags);
}

/* The unmap path of both calls. */
static kmemu_status section_unmap_common(struct linux_machine *m, uintptr_t process,
					  uintptr_t base, uint32_t flags)
{
	struct linux_proc *p;
	struct linux_view *v;
	kmemu_status rc = STATUS_NOT_MAPPED_VIEW;

	linux_lock(m);
	if (kmemu__section_user_range_bad(base, 1))
		goto out;
	rc = ref_process(m, linux_current_process(m), process, PROCESS_VM_OPERATION, &p);
	if (rc)
		goto out;
	v = view_find(m, p, base);
	rc = STATUS_NOT_MAPPED_VIEW;
	if (!v)
		goto out;
	rc = STATUS_CONFLICTING_ADDRESSES;
	if (flags & MEM_PRESERVE_PLACEHOLDER)
		goto out;
	view_remove(m, v);
	rc = STATUS_SUCCESS;
out:
	linux_unlock(m);
	return rc;
}

/* What @addr is in the current process @p for NtAreMappedFilesTheSame:
 * KMEMU__ADDR_VIEW and *@view (a view of @p); KMEMU__ADDR_MAPPED (memory
 * that is no view: a WDS holding, or memory the process can read - for the
 * host its program, for an agent the image it was forked with);
 * KMEMU__ADDR_UNMAPPED (NULL, the kernel range, kernel views, other
 * processes' views and holdings, nothing there).  Lock held. */
static int addr_class(struct linux_machine *m, struct linux_proc *p, uintptr_t addr,
		      struct linux_view **view)
{
	uint8_t byte;
	struct iovec local = { &byte, 1 }, remote = { (void *)addr, 1 };

	if (!addr || kmemu__section_user_range_bad(addr, 1))
		return KMEMU__ADDR_UNMAPPED;
	*view = view_find(m, p, addr);
	if (*view)
		return KMEMU__ADDR_VIEW;
	for (size_t i = 0; i < p->n_holds; i++) {
		uintptr_t lo = (uintptr_t)p->holds[i]->uaddr;

		if (addr >= lo && addr - lo < p->holds[i]->buf->map_size)
			return KMEMU__ADDR_MAPPED;
	}
	if (p->is_initial && linux_wds_foreign(m, addr, 1))
		return KMEMU__ADDR_UNMAPPED;
	return rsys_process_vm_readv(p->is_initial ? rsys_getpid() : (pid_t)p->pid, &local, 1, &remote,
				     1, 0) == 1 ? KMEMU__ADDR_MAPPED : KMEMU__ADDR_UNMAPPED;
}

/**
 * linux_views_same() - NtAreMappedFilesTheSame in the current process
 * (ops->views_same).
 * Wine's order: either address not mapped -> STATUS_INVALID_ADDRESS; either
 * mapped but no view -> STATUS_CONFLICTING_ADDRESSES; the same view ->
 * STATUS_SUCCESS; two views -> STATUS_NOT_SAME_DEVICE (all data views).
 * Context: PASSIVE; takes the instance lock.
 * Return: the statuses above.
 */
kmemu_status linux_views_same(void *st, uintptr_t addr1, uintptr_t addr2)
{
	struct linux_machine *m = st;
	struct linux_proc *p;
	struct linux_view *v1 = NULL, *v2 = NULL;
	kmemu_status rc;
	int c1, c2;

	linux_lock(m);
	p = linux_current_process(m);
	c1 = addr_class(m, p, addr1, &v1);
	c2 = addr_class(m, p, addr2, &v2);
	rc = kmemu__section_views_same(c1, c2, v1 == v2);
	linux_unlock(m);
	return rc;
}

/**
 * linux_handle_close() - ZwClose (ops->handle_close).
 * @st:     the instance.
 * @handle: a handle of the current process.
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_HANDLE.
 */
kmemu_status linux_handle_close(void *st, uintptr_t handle)
{
	struct linux_machine *m = st;
	struct linux_proc *cur;
	long i;

	linux_lock(m);
	cur = linux_current_process(m);
	i = handle_decode(cur, handle);
	if (i >= 0)
		handle_free(m, cur, (uint32_t)i);
	linux_unlock(m);
	return i >= 0 ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
}

/**
 * linux_section_query() - NtQuerySection (ops->section_query).
 * @st:      the instance.
 * @section: SectionHandle value (needs SECTION_QUERY).
 * @cls:     information class.
 * @buf:     receives SECTION_BASIC_INFORMATION.
 * @len:     its size.
 * @ret_len: receives the size written.
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; handle statuses; STATUS_SECTION_NOT_IMAGE;
 * STATUS_INFO_LENGTH_MISMATCH.
 */
kmemu_status linux_section_query(void *st, uintptr_t section, int cls, void *buf, size_t len,
				 size_t *ret_len)
{
	struct linux_machine *m = st;
	struct linux_section *s;
	kmemu_status rc;

	linux_lock(m);
	rc = ref_section(linux_current_process(m), section, SECTION_QUERY, &s);
	if (!rc)
		rc = kmemu__section_basic_info(cls, buf, len, ret_len, s->attributes, s->size);
	linux_unlock(m);
	return rc;
}

/**
 * linux_view_query() - the view of a process containing an address
 * (ops->view_query, test side).
 * @st:   the instance.
 * @pid:  process, 0 = current.
 * @addr: address inside the view.
 * @out:  receives the description.
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such process);
 * STATUS_NOT_MAPPED_VIEW.
 */
kmemu_status linux_view_query(void *st, kmemu_pid pid, const void *addr, struct kmemu_view_info *out)
{
	struct linux_machine *m = st;
	struct linux_proc *p;
	struct linux_view *v;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	linux_lock(m);
	p = pid ? proc_find(m, pid) : linux_current_process(m);
	if (!p)
		goto out;
	rc = STATUS_NOT_MAPPED_VIEW;
	v = view_find(m, p, (uintptr_t)addr);
	if (v) {
		uint64_t pg = v->first_page + ((uintptr_t)addr - (uintptr_t)v->addr) / LINUX_PAGE_SIZE;

		out->base = v->addr;
		out->size = v->npages * LINUX_PAGE_SIZE;
		out->section_offset = v->first_page * LINUX_PAGE_SIZE;
		out->protect = kmemu__section_view_protect(v->protect, v->sec->attributes);
		out->state = page_committed(v->sec, pg) ? MEM_COMMIT : MEM_RESERVE;
		out->inherit = v->inherit;
		rc = STATUS_SUCCESS;
	}
out:
	linux_unlock(m);
	return rc;
}

/* ==== processes ============================================================================== */

/**
 * linux_process_open() - a process handle in the current process
 * (ops->process_open, test side).
 * @st:     the instance.
 * @pid:    the process.
 * @access: granted access.
 * @handle: receives the handle.
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such process);
 * STATUS_INSUFFICIENT_RESOURCES.
 */
kmemu_status linux_process_open(void *st, kmemu_pid pid, uint32_t access, uintptr_t *handle)
{
	struct linux_machine *m = st;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	linux_lock(m);
	if (proc_find(m, pid))
		rc = handle_alloc(m, linux_current_process(m), LINUX_HANDLE_PROCESS, NULL, pid, access,
				  handle);
	linux_unlock(m);
	return rc;
}

/**
 * linux_section_inherit() - give a new child agent its parent's ViewShare
 * views: the child maps the same memfd at the same address with the same
 * protection (and the same committed pages).
 * @m:      the instance.
 * @parent: the parent.
 * @child:  a fresh agent.
 * Context: lock held.
 * Return: STATUS_SUCCESS; a failure (the caller frees @child, which drops
 * the views already inherited).
 */
kmemu_status linux_section_inherit(struct linux_machine *m, struct linux_proc *parent,
				   struct linux_proc *child)
{
	for (struct linux_view *v = m->views; v; v = v->next) {
		struct linux_view *nv;
		int err;

		if (v->proc != parent || v->inherit != ViewShare)
			continue;
		nv = kmemu__malloc(sizeof(*nv));
		if (!nv)
			return STATUS_INSUFFICIENT_RESOURCES;
		*nv = *v;
		nv->proc = child;
		nv->host_res = 0;
		err = view_place_inherited(nv);
		if (err) {
			kmemu__free(nv);
			return (kmemu_status)linux_status_from_errno(err == EEXIST ? ENOMEM : err,
								     LINUX_OP_VIEW);
		}
		view_link(m, nv);  /* at the head: not visited again */
	}
	return STATUS_SUCCESS;
}

/**
 * linux_section_release_process() - process exit for sections: close every
 * handle of @p, drop every view of @p.
 * @m: the instance.
 * @p: the process (an agent already killed has sock -1: nothing to unmap).
 * Context: lock held.
 */
void linux_section_release_process(struct linux_machine *m, struct linux_proc *p)
{
	for (uint32_t i = 0; i < p->n_handles; i++)
		if (p->handles[i].type)
			handle_free(m, p, i);
	for (struct linux_view *v = m->views, *next; v; v = next) {
		next = v->next;
		if (v->proc == p)
			view_remove(m, v);
	}
	kmemu__free(p->handles);
	p->handles = NULL;
	p->n_handles = 0;
}

/* ==== kernel references and system-space views (version 3) ================================ */

/* Record one reference on @obj.  Return: 0, or -1 (heap).  Lock held. */
static int obref_add(struct linux_machine *m, void *obj, int is_section)
{
	for (size_t i = 0; i < m->n_obrefs; i++)
		if (m->obrefs[i].obj == obj) {
			m->obrefs[i].count++;
			return 0;
		}
	if (m->n_obrefs == m->cap_obrefs) {
		size_t cap = m->cap_obrefs ? m->cap_obrefs * 2 : 8;
		struct linux_obref *a = kmemu__realloc(m->obrefs, cap * sizeof(*a));

		if (!a)
			return -1;
		m->obrefs = a;
		m->cap_obrefs = cap;
	}
	m->obrefs[m->n_obrefs++] = (struct linux_obref){ obj, is_section, 1 };
	return 0;
}

/* Drop one reference of entry @i: its section's, or the process body.
 * Return: the object's references left.  Lock held. */
static int64_t obref_drop(struct linux_machine *m, size_t i)
{
	struct linux_obref e = m->obrefs[i];
	int64_t left = 0;

	if (--m->obrefs[i].count == 0) {
		m->obrefs[i] = m->obrefs[--m->n_obrefs];
		if (!m->n_obrefs) {
			kmemu__free(m->obrefs);
			m->obrefs = NULL;
			m->cap_obrefs = 0;
		}
	}
	if (e.is_section) {
		struct linux_section *sec = e.obj;

		left = (int64_t)sec->refs - 1;
		section_put(m, sec);
	} else {
		kmemu__free(e.obj);
	}
	return left;
}

/**
 * linux_ob_reference() - ObReferenceObjectByHandle (ops->ob_reference).
 * @st:           the instance.
 * @handle:       a handle of the current process; the process pseudo handle
 *                names the current process.
 * @access:       access the handle must grant when @check_access.
 * @type:         KMEMU_OBTYPE_*.
 * @check_access: 1 for UserMode callers.
 * @object:       receives the body: the section itself, or a new process
 *                body (each reference of a process gets its own).
 * @granted:      receives the handle's granted access.
 * Order: handle, type, access (Windows').
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_HANDLE; STATUS_OBJECT_TYPE_MISMATCH;
 * STATUS_ACCESS_DENIED; STATUS_NOT_SUPPORTED (the thread pseudo handle
 * untyped: no thread objects); STATUS_INSUFFICIENT_RESOURCES (heap).
 */
kmemu_status linux_ob_reference(void *st, uintptr_t handle, uint32_t access, int type,
				int check_access, void **object, uint32_t *granted)
{
	struct linux_machine *m = st;
	struct linux_proc *cur;
	struct linux_procobj *po = NULL;
	struct linux_section *sec = NULL;
	kmemu_pid pid = 0;
	uint32_t g = PROCESS_ALL_ACCESS;
	kmemu_status rc;
	long i;

	linux_lock(m);
	cur = linux_current_process(m);
	if (handle == PSEUDO_THREAD) {
		rc = type == KMEMU_OBTYPE_ANY ? STATUS_NOT_SUPPORTED : STATUS_OBJECT_TYPE_MISMATCH;
		goto out;
	}
	if (handle == PSEUDO_PROCESS) {
		pid = cur->pid;
	} else {
		rc = STATUS_INVALID_HANDLE;
		i = handle_decode(cur, handle);
		if (i < 0)
			goto out;
		g = cur->handles[i].access;
		if (cur->handles[i].type == LINUX_HANDLE_SECTION)
			sec = cur->handles[i].sec;
		else
			pid = cur->handles[i].pid;
	}
	rc = STATUS_OBJECT_TYPE_MISMATCH;
	if (type == KMEMU_OBTYPE_OTHER || (type == KMEMU_OBTYPE_SECTION && !sec) ||
	    (type == KMEMU_OBTYPE_PROCESS && sec))
		goto out;
	rc = STATUS_ACCESS_DENIED;
	if (check_access && (g & access) != access)
		goto out;
	rc = STATUS_INSUFFICIENT_RESOURCES;
	if (!sec) {
		po = kmemu__calloc(1, sizeof(*po));
		if (!po)
			goto out;
		po->pid = pid;
	}
	if (obref_add(m, sec ? (void *)sec : (void *)po, sec != NULL)) {
		kmemu__free(po);
		goto out;
	}
	if (sec)
		sec->refs++;
	*object = sec ? (void *)sec : (void *)po;
	*granted = g;
	rc = STATUS_SUCCESS;
out:
	linux_unlock(m);
	return rc;
}

/**
 * linux_ob_dereference() - ObDereferenceObject (ops->ob_dereference).
 * @left: receives the object's references left (0: it went).
 * Context: takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER when no reference from
 * linux_ob_reference() is outstanding on @object (nothing is touched).
 */
kmemu_status linux_ob_dereference(void *st, void *object, int64_t *left)
{
	struct linux_machine *m = st;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	linux_lock(m);
	for (size_t i = 0; i < m->n_obrefs; i++)
		if (m->obrefs[i].obj == object) {
			*left = obref_drop(m, i);
			rc = STATUS_SUCCESS;
			break;
		}
	linux_unlock(m);
	return rc;
}

/* 1 when @s is a live section: some handle, view, system view or kernel
 * reference holds it (a pointer is compared, never dereferenced first). */
static int section_live(struct linux_machine *m, const void *s)
{
	for (size_t i = 0; i < m->n_obrefs; i++)
		if (m->obrefs[i].is_section && m->obrefs[i].obj == s)
			return 1;
	for (const struct linux_kview *k = m->kviews; k; k = k->next)
		if (k->sec == s)
			return 1;
	for (const struct linux_view *v = m->views; v; v = v->next)
		if (v->sec == s)
			return 1;
	for (const struct linux_proc *p = m->procs; p; p = p->next)
		for (uint32_t i = 0; i < p->n_handles; i++)
			if (p->handles[i].type == LINUX_HANDLE_SECTION && p->handles[i].sec == s)
				return 1;
	return 0;
}

/* Protection of section pages [lo, hi) in system view @k.  Return: 0 or an errno. */
static int kview_protect(struct linux_kview *k, uint64_t lo, uint64_t hi, int prot)
{
	if (hi > k->npages)
		hi = k->npages;
	if (hi <= lo)
		return 0;
	return rsys_mprotect(k->addr + lo * LINUX_PAGE_SIZE, (hi - lo) * LINUX_PAGE_SIZE, prot)
		       ? errno
		       : 0;
}

/**
 * linux_section_map_system() - MmMapViewInSystemSpace (ops->section_map_system).
 * @st:        the instance.
 * @section:   a section body (looked up among the live sections first).
 * @view_size: in: bytes, 0 = the whole section; out: mapped bytes (pages).
 * @base:      receives the view, 64 KiB aligned, in the host.
 * The view maps the section's memfd from offset 0, read-only for sections
 * created without write access; uncommitted SEC_RESERVE pages stay
 * PROT_NONE until a commit opens them in every view of the section.
 * Context: PASSIVE / APC (checked by api/); takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1 (no live section);
 * STATUS_INVALID_VIEW_SIZE (larger than the section, or 65536 or more
 * 64 KiB units); STATUS_INSUFFICIENT_RESOURCES (heap, host mmap).  The view
 * holds a reference on the section until linux_section_unmap_system().
 */
kmemu_status linux_section_map_system(void *st, void *section, uint64_t *view_size, void **base)
{
	struct linux_machine *m = st;
	struct linux_section *sec = section;
	struct linux_kview *k = NULL;
	uint64_t npages, j;
	struct linux_agent_req req = { .op = LINUX_AGENT_VIEW, .flags = LINUX_VIEW_TOP_DOWN };
	kmemu_status rc = STATUS_INVALID_PARAMETER_1;
	uint8_t *at;
	int err = 0;

	linux_lock(m);
	if (!sec || !section_live(m, sec))
		goto out;
	rc = kmemu__section_system_size(sec->size, *view_size, &npages);
	if (rc)
		goto out;
	rc = STATUS_INSUFFICIENT_RESOURCES;
	k = kmemu__calloc(1, sizeof(*k));
	if (!k)
		goto out;
	k->sec = sec;
	k->npages = npages;
	k->prot = kmemu__section_kernel_prot(sec->protect);
	/* 64 KiB aligned where the kernel chooses, as a host view is placed */
	req.len = npages * LINUX_PAGE_SIZE;
	req.prot = (uint32_t)(sec->committed ? PROT_NONE : k->prot);
	at = linux_view_mmap(&req, sec->memfd, 1, &err);
	if (at == MAP_FAILED)
		goto out;
	k->addr = at;
	/* agents are forked from the host: they must not inherit it */
	err = rsys_madvise(at, req.len, MADV_DONTFORK);
	for (uint64_t i = 0; !err && sec->committed && committed_run(sec, npages, &i, &j); i = j)
		err = kview_protect(k, i, j, k->prot);
	if (err) {
		rsys_munmap(at, req.len);
		goto out;
	}
	sec->refs++;
	k->next = m->kviews;
	m->kviews = k;
	m->n_kviews++;
	*view_size = req.len;
	*base = at;
	k = NULL;
	rc = STATUS_SUCCESS;
out:
	kmemu__free(k);
	linux_unlock(m);
	return rc;
}

/* Unmap system view *@pp and unlink it.  Lock held. */
static void kview_remove(struct linux_machine *m, struct linux_kview **pp)
{
	struct linux_kview *k = *pp;

	*pp = k->next;
	m->n_kviews--;
	rsys_munmap(k->addr, k->npages * LINUX_PAGE_SIZE);
	section_put(m, k->sec);
	kmemu__free(k);
}

/**
 * linux_section_unmap_system() - MmUnmapViewInSystemSpace
 * (ops->section_unmap_system).
 * @base: the view's base, or any address in its first 64 KiB (Windows finds
 *        system views by address >> 16).
 * Context: PASSIVE / APC (checked by api/); takes the instance lock.
 * Return: STATUS_SUCCESS (the view's section reference is dropped);
 * STATUS_NOT_MAPPED_VIEW.
 */
kmemu_status linux_section_unmap_system(void *st, void *base)
{
	struct linux_machine *m = st;
	kmemu_status rc = STATUS_NOT_MAPPED_VIEW;

	linux_lock(m);
	for (struct linux_kview **pp = &m->kviews; *pp; pp = &(*pp)->next)
		if ((uintptr_t)(*pp)->addr >> 16 == (uintptr_t)base >> 16) {
			kview_remove(m, pp);
			rc = STATUS_SUCCESS;
			break;
		}
	linux_unlock(m);
	return rc;
}

/**
 * linux_section_kernel_span() - how far kernel code may copy from @addr in
 * a system view: the end of the run of committed pages (for @write,
 * writable ones) that holds @addr, or 0 when @addr is in none.
 * Context: lock held.
 */
uint64_t linux_section_kernel_span(struct linux_machine *m, uint64_t addr, int write)
{
	for (const struct linux_kview *k = m->kviews; k; k = k->next) {
		uint64_t lo = (uint64_t)(uintptr_t)k->addr, pg, end;

		if (addr < lo || addr - lo >= k->npages * LINUX_PAGE_SIZE)
			continue;
		if (write && !(k->prot & PROT_WRITE))
			return 0;
		pg = (addr - lo) / LINUX_PAGE_SIZE;
		for (end = pg; end < k->npages && page_committed(k->sec, end); end++)
			;
		return end > pg ? lo + end * LINUX_PAGE_SIZE : 0;
	}
	return 0;
}

/* 1 when [@addr, @addr + @len) overlaps a system view.  Lock held. */
int linux_section_kview_overlaps(struct linux_machine *m, uint64_t addr, uint64_t len)
{
	for (const struct linux_kview *k = m->kviews; k; k = k->next) {
		uint64_t lo = (uint64_t)(uintptr_t)k->addr;

		if (addr < lo + k->npages * LINUX_PAGE_SIZE && lo < addr + len)
			return 1;
	}
	return 0;
}

/**
 * linux_section_release_kernel() - instance close: unmap every system view
 * and drop every kernel reference a driver leaked.  Lock held.
 */
void linux_section_release_kernel(struct linux_machine *m)
{
	while (m->kviews)
		kview_remove(m, &m->kviews);
	while (m->n_obrefs)
		obref_drop(m, m->n_obrefs - 1);
}

/* ==== checker ================================================================================== */

/**
 * linux_section_check() - every view is 64 KiB aligned, inside its section,
 * of a live process; the counters match the tables.
 * @m:   the instance.
 * @msg: receives the broken invariant.
 * Context: lock held.
 * Return: 1 if all hold, else 0.
 */
int linux_section_check(struct linux_machine *m, const char **msg)
{
	uint64_t views = 0, handles = 0;

	for (struct linux_view *v = m->views; v; v = v->next) {
		views++;
		if (((uintptr_t)v->addr & (ALIGN_64K - 1)) || !v->sec->refs ||
		    v->first_page + v->npages > v->sec->npages || proc_find(m, v->proc->pid) != v->proc) {
			*msg = "linux: a section view is unaligned, past its section or of a dead process";
			return 0;
		}
	}
	for (struct linux_proc *p = m->procs; p; p = p->next)
		handles += p->handles_used;
	if (views != m->n_views || handles != m->n_handles) {
		*msg = "linux: the view or handle counts do not match the tables";
		return 0;
	}
	return 1;
}
