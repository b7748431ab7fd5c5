/* SPDX-License-Identifier: MIT */
/*
 * mdl.c - locked user ranges on Linux: MmProbeAndLockPages plus
 * MmGetSystemAddressForMdlSafe (ops->mdl_probe_lock, ->mdl_unlock,
 * ->mdl_revoke) for the KMDF framework's ProbeAndLock and direct I/O.
 *
 * Every page of an emulated process's user space is a page of a memfd the
 * backend mapped there: a WDS holding or a section view.  A lock looks each
 * page of the range up in the current process's records (so anything else -
 * kernel views, other processes' memory, host memory the process never
 * mapped - is STATUS_ACCESS_VIOLATION, as in the emulator), then maps the
 * same memfd pages a second time in the host (the kernel alias, at another
 * address: writes land in the user buffer) and pins them:
 *
 *   process user VA ──► memfd pages ◄── kernel alias (host mapping)
 *                          ▲
 *                          └── io_uring IORING_REGISTER_BUFFERS: a long-term
 *                              pin (FOLL_WRITE | FOLL_LONGTERM), the page
 *                              frames stay put until the ring is closed
 *
 * Where io_uring is not available (ENOSYS, or kernel.io_uring_disabled) the
 * alias is mlock2()ed instead: resident, though not frozen in place.  The
 * alias maps the memfd itself, so it stays valid when the buffer is freed or
 * the view unmapped while the lock is held.
 *
 * Revocation (api/mdl_revoke.c) makes the alias PROT_NONE; a revoked lock's
 * addresses stay reserved after the unlock so a late touch is still its
 * report, up to LINUX_MDL_QUARANTINE reservations per instance.
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <string.h>
#include <wdm.h>
#include "linux.h"

#define PAGE LINUX_PAGE_SIZE
#define URING_MAX_IOV (1ull << 30)   /* io_uring: at most 1 GiB per registered iovec */

struct linux_mdl {
	struct linux_mdl *next;      /* m->mdls */
	uint8_t *map;                /* the alias mapping (page or huge page aligned) */
	uint64_t map_len;            /* its bytes */
	int ring;                    /* io_uring holding the pin, -1 = mlock2 */
	int revoked;                 /* made PROT_NONE (api/mdl_revoke.c) */
};

/* One page of the range: where the process's mapping takes it from. */
struct mdl_page {
	int fd;                      /* the memfd */
	uint64_t off;                /* byte offset in it */
	struct linux_buffer *huge;   /* a hugetlb WDS buffer, else NULL */
};

/**
 * linux_mdl_probe_uring() - can this process pin pages with io_uring?
 * Not an acquisition: called at open, without the fault hook.
 * Return: 1 if a ring could be set up, else 0.
 */
int linux_mdl_probe_uring(void)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = RSYS_FN(RSYS_IO_URING_SETUP, rsys_io_uring_setup_fn)(1, &p);
	if (fd < 0)
		return 0;
	rsys_close(fd);
	return 1;
}

/* Resolve the page at @a of @p.  Return: 0, or -1 when the process has no
 * accessible (for @write: writable) committed page there.  Lock held. */
static int page_resolve(struct linux_machine *m, struct linux_proc *p, uint64_t a, int write,
			struct mdl_page *out)
{
	for (size_t i = 0; i < p->n_holds; i++) {
		const struct linux_hold *h = p->holds[i];
		uint64_t base = (uint64_t)(uintptr_t)h->uaddr;

		if (a >= base && a - base < h->buf->view_size) {
			out->fd = h->buf->memfd;
			out->off = a - base;
			out->huge = h->buf->is_hugetlb ? h->buf : NULL;
			return 0;
		}
	}
	for (const struct linux_view *v = m->views; v; v = v->next) {
		uint64_t base = (uint64_t)(uintptr_t)v->addr, pi;

		if (v->proc != p || a < base || a - base >= v->npages * PAGE)
			continue;
		pi = v->first_page + (a - base) / PAGE;
		/* a private copy (WRITECOPY) is not in the section's pages the
		 * alias maps, so such a view locks for reading only */
		if ((v->sec->committed && !v->sec->committed[pi]) || !(v->prot & PROT_READ) ||
		    (v->protect & PAGE_GUARD) || (write && (!(v->prot & PROT_WRITE) || v->is_private)))
			return -1;
		out->fd = v->sec->memfd;
		out->off = pi * PAGE;
		out->huge = NULL;
		return 0;
	}
	return -1;
}

/* Map the alias of @pg[0..@npages) at a new host address.  Pages of one
 * hugetlb buffer map that whole buffer (hugetlb maps whole huge pages).
 * Return: 0 with @l->map, @l->map_len and *@first_at (the alias of the
 * range's first page); an errno; EXDEV for a range that leaves a hugetlb
 * buffer (it cannot be pieced together with other pages).  Lock held. */
static int alias_map(struct mdl_page *pg, uint64_t npages, struct linux_mdl *l, uint8_t **first_at)
{
	uint8_t *map;
	uint64_t i, j;

	for (i = 1; i < npages; i++)
		if (pg[i].huge != pg[0].huge)
			return EXDEV;
	if (pg[0].huge) {
		map = rsys_mmap(NULL, pg[0].huge->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				pg[0].fd, 0);
		if (map == MAP_FAILED)
			return errno ? errno : ENOMEM;
		l->map = map;
		l->map_len = pg[0].huge->map_size;
		*first_at = map + pg[0].off;
		return 0;
	}
	/* reserve the whole alias, then lay each run of pages of one memfd
	 * at consecutive offsets over it */
	map = rsys_mmap(NULL, npages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return errno ? errno : ENOMEM;
	for (i = 0; i < npages; i = j) {
		for (j = i + 1; j < npages && pg[j].fd == pg[i].fd &&
				pg[j].off == pg[i].off + (j - i) * PAGE; j++)
			;
		if (rsys_mmap(map + i * PAGE, (j - i) * PAGE, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_FIXED, pg[i].fd, (off_t)pg[i].off) == MAP_FAILED) {
			int err = errno ? errno : ENOMEM;

			rsys_munmap(map, npages * PAGE);
			return err;
		}
	}
	l->map = map;
	l->map_len = npages * PAGE;
	*first_at = map;
	return 0;
}

/* Pin [@at, @at + @len) (page aligned): io_uring registration, else mlock2.
 * Return: 0 with @l->ring set, or an errno. */
static int alias_pin(struct linux_machine *m, struct linux_mdl *l, uint8_t *at, uint64_t len)
{
	struct iovec iov[64];
	struct io_uring_params p;
	unsigned n = 0;
	int fd, err;

	l->ring = -1;
	if (!m->has_uring)
		return rsys_mlock2(at, len, 0) ? (errno ? errno : ENOMEM) : 0;
	if (len > URING_MAX_IOV * (sizeof(iov) / sizeof(iov[0])))
		return ENOMEM;  /* more than 64 GiB: more than any machine here locks */
	for (uint64_t done = 0; done < len; done += iov[n++].iov_len) {
		iov[n].iov_base = at + done;
		iov[n].iov_len = len - done < URING_MAX_IOV ? len - done : URING_MAX_IOV;
	}
	memset(&p, 0, sizeof(p));
	fd = rsys_io_uring_setup(1, &p);
	if (fd < 0)
		return errno ? errno : ENOMEM;
	if (rsys_io_uring_register(fd, IORING_REGISTER_BUFFERS, iov, n)) {
		err = errno ? errno : ENOMEM;
		rsys_close(fd);
		return err;
	}
	l->ring = fd;
	return 0;
}

/* Release a lock's pin and mapping, and free it; a revoked one's addresses
 * stay reserved (and reported) in the quarantine ring, whose oldest
 * reservation is given back to make room.  Lock held. */
static void mdl_release(struct linux_machine *m, struct linux_mdl *l)
{
	struct linux_mdl_reserved *q = &m->mdl_quarantine[m->mdl_quarantine_next];

	if (l->ring >= 0)
		rsys_close(l->ring);  /* unregisters: the pages are unpinned */
	if (l->revoked) {
		kmemu__mdl_revoke_quarantine(l->map);
		/* the memfd pages go; an inaccessible reservation takes their place */
		if (mmap(l->map, l->map_len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != MAP_FAILED) {
			madvise(l->map, l->map_len, MADV_DONTFORK);
			if (q->map) {
				kmemu__mdl_revoke_forget((uintptr_t)q->map, (uintptr_t)q->map + 1);
				rsys_munmap(q->map, q->len);
			}
			q->map = l->map;
			q->len = l->map_len;
			m->mdl_quarantine_next = (m->mdl_quarantine_next + 1) % LINUX_MDL_QUARANTINE;
			kmemu__free(l);
			return;
		}
		kmemu__mdl_revoke_forget((uintptr_t)l->map, (uintptr_t)l->map + 1);
	}
	rsys_munmap(l->map, l->map_len);
	kmemu__free(l);
}

/**
 * linux_mdl_probe_lock() - lock a user range of the current process and map
 * it a second time as its kernel alias (ops->mdl_probe_lock).
 * @st:           the instance.
 * @uaddr:        first byte.
 * @len:          bytes (>= 1).
 * @write:        1 = IoWriteAccess, 0 = IoReadAccess.
 * @kernel_alias: receives the alias of @uaddr's byte.
 * @lock:         receives the lock for ->mdl_unlock.
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_ACCESS_VIOLATION (the range wraps, leaves
 * the user range, or has a page that is no committed page of a WDS holding
 * or section view of the current process, a no-access or guard page, or for
 * @write a read-only or copy-on-write page); STATUS_INSUFFICIENT_RESOURCES
 * (heap, address space, the pin refused - RLIMIT_MEMLOCK - or a range that
 * runs from a huge-page buffer into another mapping).
 */
kmemu_status linux_mdl_probe_lock(void *st, uint64_t uaddr, size_t len, int write,
				  void **kernel_alias, void **lock)
{
	struct linux_machine *m = st;
	struct linux_proc *p;
	struct linux_mdl *l;
	struct mdl_page *pg;
	uint64_t first, npages;
	uint8_t *at;
	kmemu_status rc = STATUS_ACCESS_VIOLATION;
	int err;

	if (len == 0 || uaddr + len < uaddr || kmemu__section_user_range_bad(uaddr, len))
		return STATUS_ACCESS_VIOLATION;
	first = uaddr & ~(PAGE - 1);
	npages = (uaddr + len - first + PAGE - 1) / PAGE;
	l = kmemu__calloc(1, sizeof(*l));
	pg = l ? kmemu__malloc(npages * sizeof(*pg)) : NULL;
	if (!pg) {
		kmemu__free(l);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	linux_lock(m);
	p = linux_current_process(m);
	for (uint64_t i = 0; i < npages; i++)
		if (page_resolve(m, p, first + i * PAGE, write, &pg[i]))
			goto out;
	err = alias_map(pg, npages, l, &at);
	/* agents are forked from the host: they must not inherit the alias
	 * (nor hold its pages, nor find its addresses taken) */
	if (!err && rsys_madvise(l->map, l->map_len, MADV_DONTFORK)) {
		err = errno ? errno : EAGAIN;
		rsys_munmap(l->map, l->map_len);
	} else if (!err) {
		/* huge pages: the whole buffer is pinned, as io_uring pins whole
		 * huge pages anyway */
		err = pg[0].huge ? alias_pin(m, l, l->map, l->map_len) : alias_pin(m, l, at, npages * PAGE);
		if (err)
			rsys_munmap(l->map, l->map_len);
	}
	if (err) {
		/* EFAULT: the kernel found a page it cannot pin for this access;
		 * anything else (ENOMEM, RLIMIT_MEMLOCK, fds, EXDEV) is resources */
		rc = err == EFAULT ? STATUS_ACCESS_VIOLATION : STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	l->next = m->mdls;
	m->mdls = l;
	m->n_mdls++;
	*kernel_alias = at + (uaddr - first);
	*lock = l;
	l = NULL;
	rc = STATUS_SUCCESS;
out:
	linux_unlock(m);
	kmemu__free(pg);
	kmemu__free(l);
	return rc;
}

/* Unlink @l from the live locks; 0 when it is none.  Lock held. */
static int mdl_unlink(struct linux_machine *m, struct linux_mdl *l)
{
	for (struct linux_mdl **pp = &m->mdls; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			m->n_mdls--;
			return 1;
		}
	return 0;
}

/**
 * linux_mdl_unlock() - unpin and unmap a lock's alias (ops->mdl_unlock).
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER when @lock is no live lock.
 */
kmemu_status linux_mdl_unlock(void *st, void *lock)
{
	struct linux_machine *m = st;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	linux_lock(m);
	if (mdl_unlink(m, lock)) {
		mdl_release(m, lock);
		rc = STATUS_SUCCESS;
	}
	linux_unlock(m);
	return rc;
}

/**
 * linux_mdl_revoke() - make a lock's alias inaccessible until the unlock; a
 * touch is reported as @r (ops->mdl_revoke).
 * Context: PASSIVE; takes the instance lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no live lock, or already
 * revoked); STATUS_INSUFFICIENT_RESOURCES (every report slot in use).
 */
kmemu_status linux_mdl_revoke(void *st, void *lock, const struct kmemu_mdl_report *r)
{
	struct linux_machine *m = st;
	struct linux_mdl *l = lock, *it;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	linux_lock(m);
	for (it = m->mdls; it && it != l; it = it->next)
		;
	if (it && !l->revoked) {
		rc = kmemu__mdl_revoke_range(l->map, l->map_len, r);
		l->revoked = rc == STATUS_SUCCESS;
	}
	linux_unlock(m);
	return rc;
}

/* linux_mdl_release_all() - instance close: unlock every range, give back
 * the quarantined reservations.  Lock held. */
void linux_mdl_release_all(struct linux_machine *m)
{
	while (m->mdls) {
		struct linux_mdl *l = m->mdls;

		m->mdls = l->next;
		m->n_mdls--;
		mdl_release(m, l);
	}
	for (unsigned i = 0; i < LINUX_MDL_QUARANTINE; i++) {
		struct linux_mdl_reserved *q = &m->mdl_quarantine[i];

		if (q->map) {
			kmemu__mdl_revoke_forget((uintptr_t)q->map, (uintptr_t)q->map + 1);
			rsys_munmap(q->map, q->len);
			q->map = NULL;
		}
	}
}

/* linux_mdl_check() - the live-lock count matches the list and every lock
 * has a mapping.  Lock held.  Return: 1, or 0 with *@msg. */
int linux_mdl_check(struct linux_machine *m, const char **msg)
{
	uint64_t n = 0;

	for (const struct linux_mdl *l = m->mdls; l; l = l->next, n++)
		if (!l->map || !l->map_len || (l->map_len & (PAGE - 1))) {
			*msg = "mdl: a lock has no alias mapping";
			return 0;
		}
	if (n != m->n_mdls) {
		*msg = "mdl: lock count disagrees with the list";
		return 0;
	}
	return 1;
}
