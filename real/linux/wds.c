/* SPDX-License-Identifier: MIT */
/*
 * wds.c - WinDriver shared buffers (WDS_SharedBuffer*) on Linux primitives.
 *
 * A buffer is a memfd.  NON_CONTIG: a shmem memfd (MFD_ALLOW_SEALING, size
 * sealed).  CONTIG: a hugetlb memfd - one 2 MiB page is physically
 * contiguous by construction; a larger request takes several 2 MiB pages
 * (then, failing that, 1 GiB pages) and is accepted only if
 * /proc/self/pagemap shows them adjacent (else, or without PFNs,
 * WD_INSUFFICIENT_RESOURCES).  The kernel
 * view (pKernelAddr) is a MAP_SHARED mapping of the memfd in the host,
 * locked with mlock2(MLOCK_ONFAULT): that makes the buffer non-paged (a page,
 * once it exists, is never swapped out) and is where RLIMIT_MEMLOCK is
 * charged for the whole size.  Frames of a shmem memfd come into existence
 * at first touch, zeroed, so a 4 GiB buffer costs what is used of it, as the
 * emulator's sparse RAM does; hugetlb pages are reserved at mmap and
 * populated at once.  Every holding is one more MAP_SHARED mapping of the
 * same memfd in the holding process, so all views alias for real.
 *
 *   holding A (host) ─┐
 *   holding B (agent)─┼─► memfd pages ◄── kernel view (host, locked)
 *   holding A, 2nd Get┘
 *
 * Global handles index a per-instance slot table, generation << 20 |
 * (slot + 1) as in the emulator, so a dead handle never names a later
 * buffer.  A buffer lives while it has holdings; with the last one its
 * kernel view is unmapped and the memfd closed, and the kernel frees the
 * frames once no process maps the memfd any more (an agent that was killed
 * already dropped its mappings; a process that took the fd with
 * pidfd_getfd keeps the frames alive as long as it holds it).
 *
 * Divisions: handles; buffers; holdings; the ops; queries and checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/memfd.h>
#include "linux.h"

#define SLOT_INDEX_BITS 20u
#define SLOT_INDEX_MASK ((1u << SLOT_INDEX_BITS) - 1)
#define SLOT_MAX (SLOT_INDEX_MASK - 1)
#define SLOT_MIN_CAP 16u

/* ==== handles ================================================================= */

static uint32_t handle_encode(const struct linux_machine *m, uint32_t i)
{
	return (m->slots[i].gen & 0xFFFu) << SLOT_INDEX_BITS | (i + 1);
}

/* The live buffer named by @h, or NULL. */
static struct linux_buffer *handle_lookup(const struct linux_machine *m, uint32_t h)
{
	uint32_t i = (h & SLOT_INDEX_MASK) - 1;

	if ((h & SLOT_INDEX_MASK) == 0 || i >= m->n_slots || !m->slots[i].buf ||
	    (m->slots[i].gen & 0xFFFu) != h >> SLOT_INDEX_BITS)
		return NULL;
	return m->slots[i].buf;
}

/*
 * handle_alloc() - give @b a global handle (b->handle).
 * The slot acquisition is a KMEMU_FAULT_HANDLES fault point; the table
 * doubles as needed (heap) up to 2^20 - 2 slots.
 * Return: WD_STATUS_SUCCESS; WD_INSUFFICIENT_RESOURCES (table full, heap,
 * injected fault).
 */
static uint32_t handle_alloc(struct linux_machine *m, struct linux_buffer *b)
{
	uint32_t i;

	if (kmemu__fault_should_fail(KMEMU_FAULT_HANDLES))
		return WD_INSUFFICIENT_RESOURCES;
	for (i = m->slot_hint; i < m->n_slots && m->slots[i].buf; i++)
		;
	if (i == m->n_slots) {
		uint32_t cap = m->n_slots ? m->n_slots * 2 : SLOT_MIN_CAP;
		struct linux_slot *s;

		if (m->n_slots >= SLOT_MAX)
			return WD_INSUFFICIENT_RESOURCES;
		if (cap > SLOT_MAX)
			cap = SLOT_MAX;
		s = kmemu__realloc(m->slots, cap * sizeof(*s));
		if (!s)
			return WD_INSUFFICIENT_RESOURCES;
		memset(s + m->n_slots, 0, (cap - m->n_slots) * sizeof(*s));
		m->slots = s;
		m->n_slots = cap;
	}
	m->slots[i].buf = b;
	m->slot_hint = i + 1;
	m->slots_used++;
	b->handle = handle_encode(m, i);
	return WD_STATUS_SUCCESS;
}

/* Kill @b's handle: the slot gets a new generation. */
static void handle_free(struct linux_machine *m, struct linux_buffer *b)
{
	uint32_t i = (b->handle & SLOT_INDEX_MASK) - 1;

	m->slots[i].buf = NULL;
	m->slots[i].gen++;
	m->slots_used--;
	if (i < m->slot_hint)
		m->slot_hint = i;
	b->handle = 0;
}

/**
 * linux_wds_fini() - free the handle table (every buffer is gone).
 * @m: the instance.
 * Context: instance close.
 */
void linux_wds_fini(struct linux_machine *m)
{
	kmemu__free(m->slots);
	m->slots = NULL;
	m->n_slots = 0;
}

/* ==== buffers ==================================================================== */

/**
 * buffer_destroy() - release a buffer: its handle, kernel view (and lock),
 * memfd and accounting.
 * @m: the instance.
 * @b: the buffer; half-built ones are fine (no handle, no view, memfd -1).
 * Context: caller holds the instance lock.
 */
static void buffer_destroy(struct linux_machine *m, struct linux_buffer *b)
{
	if (b->handle)
		handle_free(m, b);
	if (b->kaddr) {
		rsys_munmap(b->kaddr, b->map_size);  /* also unlocks */
		m->frames_used -= b->map_size / LINUX_PAGE_SIZE;
		m->n_buffers--;
		m->n_mappings--;
	}
	if (b->memfd >= 0)
		rsys_close(b->memfd);
	kmemu__free(b);
}

/* 1 when the @n huge pages of @huge bytes at @k are physically adjacent. */
static int huge_pages_adjacent(uint8_t *k, uint64_t n, uint64_t huge)
{
	uint64_t pfn0, pfn;

	if (linux_pagemap_pfn(0, k, &pfn0))
		return 0;
	for (uint64_t i = 1; i < n; i++)
		if (linux_pagemap_pfn(0, k + i * huge, &pfn) ||
		    pfn != pfn0 + i * (huge / LINUX_PAGE_SIZE))
			return 0;
	return 1;
}

/*
 * buffer_back() - create @b's memfd and its locked kernel view.
 * @m:    the instance.
 * @b:    a buffer with bytes, view_size set; memfd -1.
 * @huge: huge page size for CONTIG (2 MiB or 1 GiB), 0 for NON_CONTIG.
 *
 * Sets map_size, memfd and kaddr; on failure leaves memfd -1, kaddr NULL.
 * Context: caller holds the instance lock.
 * Return: WD_STATUS_SUCCESS; the translation of the failing call's errno
 * (WD_INSUFFICIENT_RESOURCES for memory, huge pages, RLIMIT_MEMLOCK, fds);
 * WD_INSUFFICIENT_RESOURCES when the huge pages are not contiguous.
 */
static uint32_t buffer_back(struct linux_machine *m, struct linux_buffer *b, uint64_t huge)
{
	unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	uint8_t *k;
	int err;

	if (huge)
		flags = MFD_CLOEXEC | MFD_HUGETLB | (huge == LINUX_HUGE_1G ? MFD_HUGE_1GB : MFD_HUGE_2MB);
	b->map_size = huge ? (b->bytes + huge - 1) / huge * huge : b->view_size;
	b->memfd = rsys_memfd_create("kmemu-wds", flags);
	if (b->memfd < 0)
		return linux_status_from_errno(errno, LINUX_OP_WDS);
	if (rsys_ftruncate(b->memfd, (off_t)b->map_size))
		goto fail_memfd;
	/* The size is final: no holder (nor a process that took the fd with
	 * pidfd_getfd) may shrink it under the others' mappings. */
	if (!huge)
		rsys_fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	/* hugetlb reserves its pages here; MAP_POPULATE makes pagemap see them */
	k = rsys_mmap(NULL, b->map_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | (huge ? MAP_POPULATE : 0), b->memfd, 0);
	if (k == MAP_FAILED)
		goto fail_memfd;
	/* agents are forked from the host: they must not inherit kernel views */
	if (rsys_madvise(k, b->map_size, MADV_DONTFORK) ||
	    rsys_mlock2(k, b->map_size, huge ? 0u : (unsigned)MLOCK_ONFAULT))
		goto fail_map;
	if (huge && b->map_size > huge &&
	    (!m->has_pfn || !huge_pages_adjacent(k, b->map_size / huge, huge))) {
		rsys_munmap(k, b->map_size);
		rsys_close(b->memfd);
		b->memfd = -1;
		return WD_INSUFFICIENT_RESOURCES;
	}
	b->kaddr = k;
	return WD_STATUS_SUCCESS;
fail_map:
	err = errno;
	rsys_munmap(k, b->map_size);
	errno = err;
fail_memfd:
	err = errno;
	rsys_close(b->memfd);
	b->memfd = -1;
	return linux_status_from_errno(err, LINUX_OP_WDS);
}

/*
 * buffer_new() - a new buffer of @bytes with @options, kernel view mapped.
 * Context: caller holds the instance lock.
 * Return: WD_STATUS_SUCCESS with *@out set and accounted (frames_used,
 * n_buffers, n_mappings); WD_INSUFFICIENT_RESOURCES when the request is
 * above the lockable budget (frames_total - frames_used), CONTIG without
 * huge pages, or the kernel refuses.
 */
static uint32_t buffer_new(struct linux_machine *m, uint64_t bytes, uint32_t options,
			   struct linux_buffer **out)
{
	uint64_t budget = (m->frames_total - m->frames_used) * LINUX_PAGE_SIZE;
	int contig = (options & KER_BUF_ALLOC_CONTIG) != 0;
	struct linux_buffer *b;
	uint32_t rc;

	/* Above the budget the kernel's answer would be the OOM killer at some
	 * later touch (root: no RLIMIT_MEMLOCK) rather than an error now, so
	 * refuse first.
	 * CONTIG needs huge pages: without them nothing here is contiguous. */
	if (bytes > budget || (contig && !m->has_hugetlb))
		return WD_INSUFFICIENT_RESOURCES;
	b = kmemu__calloc(1, sizeof(*b));
	if (!b)
		return WD_INSUFFICIENT_RESOURCES;
	b->memfd = -1;
	b->bytes = bytes;
	b->options = options;
	b->view_size = (bytes + LINUX_PAGE_SIZE - 1) & ~(LINUX_PAGE_SIZE - 1);
	if (!contig) {
		rc = buffer_back(m, b, 0);
	} else {
		rc = buffer_back(m, b, LINUX_HUGE_2M);
		/* several 2 MiB pages that are not adjacent: a 1 GiB page is
		 * contiguous by construction, if the machine has them.  That
		 * try is opportunistic: when it fails too (no 1 GiB pool is
		 * ENODEV on kernels without one) the 2 MiB answer stands. */
		if (rc && bytes > LINUX_HUGE_2M && buffer_back(m, b, LINUX_HUGE_1G) == WD_STATUS_SUCCESS)
			rc = WD_STATUS_SUCCESS;
	}
	if (rc == WD_STATUS_SUCCESS && b->map_size / LINUX_PAGE_SIZE > m->frames_total - m->frames_used) {
		/* whole huge pages went past the budget */
		rsys_munmap(b->kaddr, b->map_size);
		b->kaddr = NULL;
		rc = WD_INSUFFICIENT_RESOURCES;
	}
	if (rc) {
		buffer_destroy(m, b);
		return rc;
	}
	b->is_hugetlb = contig;
	m->frames_used += b->map_size / LINUX_PAGE_SIZE;
	m->n_buffers++;
	m->n_mappings++;
	*out = b;
	return WD_STATUS_SUCCESS;
}

/* ==== holdings ====================================================================== */

/*
 * hold_add() - map @b into @p and record the holding keyed by @kb; fill @kb.
 * Context: caller holds the instance lock.
 * Return: WD_STATUS_SUCCESS; WD_INSUFFICIENT_RESOURCES (heap, mmap, an
 * injected fault); WD_FAILED_USER_MAPPING when an agent cannot map it.
 * Nothing is left behind on failure.
 */
static uint32_t hold_add(struct linux_machine *m, struct linux_proc *p, struct linux_buffer *b,
			 WD_KERNEL_BUFFER *kb)
{
	struct linux_hold *h;
	uint8_t *uaddr;
	uint32_t rc;

	if (p->n_holds == p->cap_holds) {
		size_t cap = p->cap_holds ? p->cap_holds * 2 : 4;
		struct linux_hold **a = kmemu__realloc(p->holds, cap * sizeof(*a));

		if (!a)
			return WD_INSUFFICIENT_RESOURCES;
		p->holds = a;
		p->cap_holds = cap;
	}
	h = kmemu__malloc(sizeof(*h));
	if (!h)
		return WD_INSUFFICIENT_RESOURCES;
	rc = linux_map_into(m, p, b, &uaddr);
	if (rc) {
		kmemu__free(h);
		return rc;
	}
	*h = (struct linux_hold){ .kb = kb, .buf = b, .uaddr = uaddr };
	p->holds[p->n_holds++] = h;
	b->n_holders++;
	m->n_mappings++;
	kb->hKerBuf = b->handle;
	kb->dwOptions = b->options;
	kb->qwBytes = b->bytes;
	kb->pKernelAddr = (KPTR)(uintptr_t)b->kaddr;
	kb->pUserAddr = (UPTR)(uintptr_t)uaddr;
	return WD_STATUS_SUCCESS;
}

/**
 * hold_drop() - remove a holding: unmap it from its process.
 * @m: the instance.
 * @p: the holding process.
 * @i: index in @p's holdings.
 *
 * The last holding of a buffer destroys the buffer (kills the handle).
 * The description is not freed here.
 * Context: caller holds the instance lock.
 */
static void hold_drop(struct linux_machine *m, struct linux_proc *p, size_t i)
{
	struct linux_hold *h = p->holds[i];
	struct linux_buffer *b = h->buf;

	linux_unmap_from(m, p, b, h->uaddr);
	m->n_mappings--;
	p->holds[i] = p->holds[--p->n_holds];
	kmemu__free(h);
	if (--b->n_holders == 0)
		buffer_destroy(m, b);
}

/* ==== the ops ======================================================================== */

/**
 * linux_wds_alloc() - WDS_SharedBufferAlloc's kernel half (ops->wds_alloc).
 * @st: the instance.
 * @kb: description with qwBytes and dwOptions set and validated by api/.
 *
 * Creates the memfd and the kernel view, a global handle, and the holding
 * of the current process (host or agent).
 * Context: PASSIVE; takes the instance lock; may talk to an agent.
 * Return: WD_STATUS_SUCCESS; WD_INSUFFICIENT_RESOURCES (above the lockable
 * budget, RLIMIT_MEMLOCK, no huge pages for CONTIG, huge pages not
 * contiguous, fds, heap, handles, injected faults); WD_FAILED_USER_MAPPING
 * (the current agent is gone).  Nothing stays allocated on failure.
 */
DWORD linux_wds_alloc(void *st, WD_KERNEL_BUFFER *kb)
{
	struct linux_machine *m = st;
	struct linux_buffer *b;
	uint32_t rc;

	linux_lock(m);
	rc = buffer_new(m, kb->qwBytes, kb->dwOptions, &b);
	if (rc == WD_STATUS_SUCCESS) {
		rc = handle_alloc(m, b);
		if (rc == WD_STATUS_SUCCESS)
			rc = hold_add(m, linux_current_process(m), b, kb);
		if (rc != WD_STATUS_SUCCESS)
			buffer_destroy(m, b);
	}
	linux_unlock(m);
	return rc;
}

/**
 * linux_wds_get() - WDS_SharedBufferGet's kernel half (ops->wds_get).
 * @st: the instance.
 * @kb: zeroed description with hKerBuf set.
 *
 * Maps the buffer again into the current process: in the host with mmap, in
 * an agent by a MAP request carrying the memfd (SCM_RIGHTS).
 * Context: PASSIVE; takes the instance lock; may talk to an agent.
 * Return: WD_STATUS_SUCCESS; WD_INVALID_HANDLE (no live buffer has that
 * handle); WD_INSUFFICIENT_RESOURCES; WD_FAILED_USER_MAPPING.
 */
DWORD linux_wds_get(void *st, WD_KERNEL_BUFFER *kb)
{
	struct linux_machine *m = st;
	struct linux_buffer *b;
	uint32_t rc;

	linux_lock(m);
	b = handle_lookup(m, kb->hKerBuf);
	rc = b ? hold_add(m, linux_current_process(m), b, kb) : WD_INVALID_HANDLE;
	linux_unlock(m);
	return rc;
}

/**
 * linux_wds_free() - WDS_SharedBufferFree's kernel half (ops->wds_free).
 * @st: the instance.
 * @kb: the description to release (only compared, never read).
 *
 * Unmaps the current process's view; the last holding also unmaps the
 * kernel view and closes the memfd.
 * Context: PASSIVE; takes the instance lock; may talk to an agent.
 * Return: WD_STATUS_SUCCESS; WD_INVALID_HANDLE when the current process
 * holds nothing keyed by @kb.
 */
DWORD linux_wds_free(void *st, WD_KERNEL_BUFFER *kb)
{
	struct linux_machine *m = st;
	struct linux_proc *p;
	uint32_t rc = WD_INVALID_HANDLE;

	linux_lock(m);
	p = linux_current_process(m);
	for (size_t i = 0; i < p->n_holds; i++) {
		if (p->holds[i]->kb == kb) {
			hold_drop(m, p, i);
			rc = WD_STATUS_SUCCESS;
			break;
		}
	}
	linux_unlock(m);
	return rc;
}

/**
 * linux_wds_release_process() - drop every holding of @p (process exit).
 * @m: the instance.
 * @p: the process; an agent already killed has sock == -1 (only the host
 *     aliases are unmapped then).
 *
 * The descriptions die with the process, as its heap does on Windows: they
 * are freed here (they come from kmemu__malloc, see api/wds.c).
 * Context: caller holds the instance lock.
 */
void linux_wds_release_process(struct linux_machine *m, struct linux_proc *p)
{
	while (p->n_holds) {
		WD_KERNEL_BUFFER *kb = p->holds[p->n_holds - 1]->kb;

		hold_drop(m, p, p->n_holds - 1);
		kmemu__free(kb);
	}
}

/* ==== queries and checks ============================================================== */

/**
 * linux_wds_kernel_find() - the buffer whose kernel view holds a range.
 * @m:    the instance.
 * @addr: start of the range.
 * @len:  bytes (at least 1).
 * Context: caller holds the instance lock.
 * Return: the buffer with [addr, addr + len) inside [kaddr, kaddr +
 * view_size), or NULL.
 */
struct linux_buffer *linux_wds_kernel_find(struct linux_machine *m, uint64_t addr, uint64_t len)
{
	for (uint32_t i = 0; i < m->n_slots; i++) {
		struct linux_buffer *b = m->slots[i].buf;
		uint64_t k;

		if (!b)
			continue;
		k = (uint64_t)(uintptr_t)b->kaddr;
		if (addr >= k && addr - k < b->view_size && len <= b->view_size - (addr - k))
			return b;
	}
	return NULL;
}

static int overlaps(uint64_t a, uint64_t alen, const void *p, uint64_t plen)
{
	uint64_t b = (uint64_t)(uintptr_t)p;

	return a < b + plen && b < a + alen;
}

/**
 * linux_wds_foreign() - does a host range touch memory that is not the
 * host process's own user space?
 * @m:    the instance.
 * @addr: start.
 * @len:  bytes.
 *
 * Kernel views (of WDS buffers and sections) and the host aliases of
 * agents' holdings live in the host's address space but belong to "kernel
 * space" and to other processes.
 * Context: caller holds the instance lock.
 * Return: 1 if [addr, addr + len) overlaps one of them, else 0.
 */
int linux_wds_foreign(struct linux_machine *m, uint64_t addr, uint64_t len)
{
	for (uint32_t i = 0; i < m->n_slots; i++)
		if (m->slots[i].buf && overlaps(addr, len, m->slots[i].buf->kaddr, m->slots[i].buf->map_size))
			return 1;
	for (struct linux_proc *p = m->procs; p; p = p->next) {
		if (p->is_initial)
			continue;
		for (size_t i = 0; i < p->n_holds; i++)
			if (overlaps(addr, len, p->holds[i]->uaddr, p->holds[i]->buf->map_size))
				return 1;
	}
	return linux_section_kview_overlaps(m, addr, len);
}

/* 1 when one byte at @addr can be read in process @pid (0 = host). */
static int mapped_in(pid_t pid, const void *addr)
{
	uint8_t byte;
	struct iovec local = { &byte, 1 }, remote = { (void *)(uintptr_t)addr, 1 };

	return rsys_process_vm_readv(pid ? pid : rsys_getpid(), &local, 1, &remote, 1, 0) == 1;
}

/**
 * linux_wds_check() - invariants of buffers, handles and holdings.
 * @m:   the instance.
 * @msg: receives the first broken invariant.
 *
 * Live slots name buffers that carry their handle; counters match the
 * tables (buffers, mappings, frames, holders per buffer); every memfd is
 * open; every kernel view and every holding's mapping is really there (one
 * byte read with process_vm_readv in the holding process).
 * Context: caller holds the instance lock.
 * Return: 1 if all hold, else 0 with *@msg set.
 */
int linux_wds_check(struct linux_machine *m, const char **msg)
{
	uint64_t live = 0, frames = 0, holds = 0;

	for (uint32_t i = 0; i < m->n_slots; i++) {
		struct linux_buffer *b = m->slots[i].buf;
		uint64_t n = 0;

		if (!b)
			continue;
		live++;
		frames += b->map_size / LINUX_PAGE_SIZE;
		if (b->handle != handle_encode(m, i) || handle_lookup(m, b->handle) != b) {
			*msg = "linux: a live slot's buffer does not carry its handle";
			return 0;
		}
		if (b->memfd < 0 || rsys_fcntl(b->memfd, F_GETFD, 0) < 0) {
			*msg = "linux: a live buffer's memfd is not open";
			return 0;
		}
		if (!b->kaddr || !mapped_in(0, b->kaddr)) {
			*msg = "linux: a live buffer's kernel view is not mapped";
			return 0;
		}
		for (struct linux_proc *p = m->procs; p; p = p->next)
			for (size_t k = 0; k < p->n_holds; k++)
				n += p->holds[k]->buf == b;
		if (n != b->n_holders || n == 0) {
			*msg = "linux: a buffer's holder count does not match its holdings";
			return 0;
		}
	}
	for (struct linux_proc *p = m->procs; p; p = p->next) {
		for (size_t k = 0; k < p->n_holds; k++) {
			struct linux_hold *h = p->holds[k];

			if (!h->buf->handle || handle_lookup(m, h->buf->handle) != h->buf) {
				*msg = "linux: a holding names a dead buffer";
				return 0;
			}
			if (!mapped_in(p->is_initial ? 0 : (pid_t)p->pid, h->uaddr) ||
			    (!p->is_initial && !mapped_in(0, h->uaddr))) {
				*msg = "linux: a holding's mapping (or its host alias) is gone";
				return 0;
			}
			holds++;
		}
	}
	if (live != m->slots_used || live != m->n_buffers) {
		*msg = "linux: live slots, live handles and live buffers differ";
		return 0;
	}
	if (frames != m->frames_used || holds + live != m->n_mappings) {
		*msg = "linux: frames_used or mappings do not match the tables";
		return 0;
	}
	return 1;
}
