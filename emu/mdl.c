/* SPDX-License-Identifier: MIT */
/*
 * mdl.c - locked user ranges: MmProbeAndLockPages plus
 * MmGetSystemAddressForMdlSafe in the emulator (ops->mdl_probe_lock,
 * ->mdl_unlock, ->mdl_revoke).
 *
 * A lock resolves every page of a user range of the current process to its
 * RAM frame, pins the frames (physmem_pin: an owner freeing them - a shared
 * buffer freed, a view unmapped, the process gone - only marks them, the
 * last unpin frees them) and maps them a second time in the kernel's
 * vmalloc area:
 *
 *   process user VA ──► frames f0 f1 f2 (pinned) ◄── kernel alias (vmalloc area)
 *
 * so writes through the alias land in the user buffer and the alias stays
 * valid until the unlock, whatever happens to the user mapping.
 *
 * Revoking a lock (a request completed while the driver may still hold the
 * alias) makes the alias PROT_NONE without unmapping it.  A touch of a
 * revoked alias raises SIGSEGV; the handler (api/mdl_revoke.c) turns it into the bug
 * check the lock was revoked with, then (if the bug-check handler returns)
 * opens the pages again so the access completes: report and continue.
 * Unlocking a revoked lock keeps its range reported (quarantined) until the
 * report slot is needed again or the machine closes, so a touch after the
 * pages went is still the report, not a crash.
 */
#include <string.h>
#include <sys/mman.h>
#include <wdm.h>
#include "emu.h"

struct emu_mdl {
	struct emu_mdl *next;        /* machine's list */
	uint32_t *pfns;              /* frame of each page, pinned */
	uint64_t npages;             /* pages locked */
	uint8_t *alias;              /* vmalloc area (page aligned) */
	int revoked;                 /* alias made PROT_NONE */
};

/* ---- locks ------------------------------------------------------------------------ */

/* 1 if the current process may access the page at @a (frame already found)
 * for writing (@write) or reading.  PAGE_WRITECOPY views are host-private
 * copies: a lock through the RAM could not see the process's copy, so they
 * count as read-only here. */
static int page_accessible(struct emu_process *p, const void *a, int write)
{
	enum emu_page_access acc = emu_page_access(p, a);

	return acc != EMU_PAGE_NONE && (!write || acc == EMU_PAGE_WRITE);
}

/* unmap the alias, unpin the frames, free the lock.  Machine lock held. */
static void mdl_free(struct emu_machine *m, struct emu_mdl *l)
{
	if (l->alias) {
		vm_unmap(&m->vmalloc, l->alias);
		m->n_mappings--;
	}
	for (uint64_t i = 0; l->pfns && i < l->npages; i++)
		physmem_unpin(&m->pm, l->pfns[i]);
	kmemu__free(l->pfns);
	kmemu__free(l);
}

/**
 * emu_mdl_probe_lock() - lock a user range of the current process and map
 * it in kernel space (ops->mdl_probe_lock).
 * @st:           the machine.
 * @uaddr:        first byte of the range.
 * @len:          bytes (>= 1).
 * @write:        1 = the caller will write (IoWriteAccess), 0 = read.
 * @kernel_alias: receives the kernel address of @uaddr's byte.
 * @lock:         receives the lock for ->mdl_unlock.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_ACCESS_VIOLATION (the range wraps, leaves
 * the user range, has a page not mapped or not committed in the current
 * process, a no-access or guard page, or for @write a page that is not
 * writable);
 * STATUS_INSUFFICIENT_RESOURCES (heap, or no room for the alias).
 */
kmemu_status emu_mdl_probe_lock(void *st, uint64_t uaddr, size_t len, int write,
				void **kernel_alias, void **lock)
{
	struct emu_machine *m = st;
	struct emu_process *p;
	struct emu_mdl *l;
	uint64_t first, npages;
	kmemu_status rc = STATUS_ACCESS_VIOLATION;
	void *alias;

	if (len == 0 || uaddr + len < uaddr || kmemu__section_user_range_bad(uaddr, len))
		return STATUS_ACCESS_VIOLATION;
	first = uaddr & ~(EMU_PAGE_SIZE - 1);
	npages = (uaddr + len - first + EMU_PAGE_SIZE - 1) >> EMU_PAGE_SHIFT;
	l = kmemu__calloc(1, sizeof(*l));
	if (!l || !(l->pfns = kmemu__malloc(npages * sizeof(*l->pfns)))) {
		kmemu__free(l);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	emu_lock(m);
	p = emu_current_process(m);
	for (uint64_t i = 0; i < npages; i++) {
		const void *a = (const void *)(uintptr_t)(first + (i << EMU_PAGE_SHIFT));
		const struct vm_area *ar;
		uint32_t pfn = FRAME_NONE;

		if (emu_is_direct(m, a) || vm_contains(&m->vmalloc, a))
			goto fail;  /* kernel space lives among host addresses too */
		ar = vm_lookup(&p->user, a);
		if (!ar)
			pfn = emu_section_frame_of(p, a);
		else if (!emu_section_area_hidden(m, p, ar->owner))
			pfn = ar->pfns[((uint64_t)((const uint8_t *)a - p->user.base) - ar->start) >>
				       EMU_PAGE_SHIFT];
		if (pfn == FRAME_NONE || pfn == 0 || !page_accessible(p, a, write))
			goto fail;
		l->pfns[i] = pfn;
	}
	rc = vm_map(&m->vmalloc, l->pfns, npages, l, &alias);
	if (rc)
		goto fail;
	/* the alias may reuse the address of a quarantined revoked range: it
	 * now belongs to this lock, whose own revoke reports it */
	kmemu__mdl_revoke_forget((uintptr_t)alias, (uintptr_t)alias + (npages << EMU_PAGE_SHIFT));
	l->alias = alias;
	l->npages = npages;
	for (uint64_t i = 0; i < npages; i++)
		physmem_pin(&m->pm, l->pfns[i]);
	m->n_mappings++;
	m->n_mdls++;
	l->next = m->mdls;
	m->mdls = l;
	emu_unlock(m);
	*kernel_alias = l->alias + (uaddr - first);
	*lock = l;
	return STATUS_SUCCESS;
fail:
	emu_unlock(m);
	kmemu__free(l->pfns);
	kmemu__free(l);
	return rc;
}

/* Unlink @lock from @m's list; 0 when it is no live lock.  Lock held. */
static int mdl_unlink(struct emu_machine *m, struct emu_mdl *lock)
{
	for (struct emu_mdl **pp = &m->mdls; *pp; pp = &(*pp)->next)
		if (*pp == lock) {
			*pp = lock->next;
			m->n_mdls--;
			return 1;
		}
	return 0;
}

/**
 * emu_mdl_unlock() - unmap the kernel alias and unpin the frames of a lock
 * (ops->mdl_unlock).  Frames their owner freed meanwhile are freed now.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER when @lock is no live lock.
 */
kmemu_status emu_mdl_unlock(void *st, void *lock)
{
	struct emu_machine *m = st;
	struct emu_mdl *l = lock;

	emu_lock(m);
	if (!mdl_unlink(m, l)) {
		emu_unlock(m);
		return STATUS_INVALID_PARAMETER;
	}
	if (l->revoked)
		kmemu__mdl_revoke_quarantine(l->alias);
	mdl_free(m, l);
	emu_unlock(m);
	return STATUS_SUCCESS;
}

/**
 * emu_mdl_revoke() - make a lock's kernel alias inaccessible until the
 * unlock; a touch reports bug check @code (ops->mdl_revoke).
 * @st:       the machine.
 * @lock:     a live lock.
 * @r:        the report: code, p1, p2, p4, function and detail (strings
 *            with static storage); p3 becomes the faulting address.
 * Context: PASSIVE; takes the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no live lock, or
 * already revoked); STATUS_INSUFFICIENT_RESOURCES (every report slot in use:
 * the alias stays accessible).
 */
kmemu_status emu_mdl_revoke(void *st, void *lock, const struct kmemu_mdl_report *r)
{
	struct emu_machine *m = st;
	struct emu_mdl *l = lock, *it;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	emu_lock(m);
	for (it = m->mdls; it && it != l; it = it->next)
		;
	if (it && !l->revoked) {
		rc = kmemu__mdl_revoke_range(l->alias, l->npages << EMU_PAGE_SHIFT, r);
		l->revoked = rc == STATUS_SUCCESS;
	}
	emu_unlock(m);
	return rc;
}

/* emu_mdl_release_all() - machine close: unlock every range.  Lock not needed. */
void emu_mdl_release_all(struct emu_machine *m)
{
	while (m->mdls) {
		struct emu_mdl *l = m->mdls;

		m->mdls = l->next;
		m->n_mdls--;
		mdl_free(m, l);
	}
	kmemu__mdl_revoke_forget((uintptr_t)m->vmalloc.base,
				 (uintptr_t)m->vmalloc.base + m->vmalloc.size);
}

/**
 * emu_mdl_check() - every lock has its alias in the vmalloc area, mapping
 * its own pinned frames, and the count matches.
 * Context: caller holds the machine lock.
 * Return: 1 if all hold, 0 otherwise (*@msg says which).
 */
int emu_mdl_check(struct emu_machine *m, const char **msg)
{
	uint64_t n = 0;

	for (const struct emu_mdl *l = m->mdls; l; l = l->next, n++) {
		const struct vm_area *a = vm_lookup(&m->vmalloc, l->alias);

		if (!a || a->owner != l || a->pfns != l->pfns || a->npages != l->npages) {
			*msg = "mdl: a lock's kernel alias is not its vmalloc area";
			return 0;
		}
		for (uint64_t i = 0; i < l->npages; i++)
			if (m->pm.frames[l->pfns[i]].pins == 0) {
				*msg = "mdl: a locked frame is not pinned";
				return 0;
			}
	}
	if (n != m->n_mdls) {
		*msg = "mdl: lock count disagrees with the list";
		return 0;
	}
	return 1;
}
