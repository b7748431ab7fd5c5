/* SPDX-License-Identifier: MIT */
/*
 * wds.c - WinDriver shared buffers (WDS_SharedBuffer*) in the emulator.
 *
 * A buffer is an object owning its frames and its kernel mapping: CONTIG
 * buffers (and any buffer whose frames happen to form one run) are reached
 * through the kernel direct map at no cost; scattered ones get a vmalloc
 * area.  Each process that allocated or got the buffer has a holding: its
 * own user mapping of the same frames, keyed by the WD_KERNEL_BUFFER it was
 * handed.  The buffer's global handle stays valid while any holding exists;
 * when the last holding is freed, the handle dies, the kernel mapping goes
 * and the frames return to the allocator (zeroed).
 *
 *   process A user VA ─┐
 *   process B user VA ─┼─► frames f0 f1 f2 … ◄── kernel VA (direct map / vmalloc)
 *   process A 2nd Get ─┘
 */
#include <string.h>
#include "emu.h"

#define WDS_HANDLE_MAX ((1u << 20) - 2)

struct wds_buffer {
	struct kmemu_obj hdr;   /* common header; refs = holdings + handle slot */
	uint32_t handle;        /* global handle, 0 once it died */
	uint64_t bytes;         /* requested size */
	uint32_t options;       /* options as allocated */
	uint64_t npages;        /* pages mapped */
	uint32_t *pfns;         /* frame of each page */
	void *kaddr;            /* kernel address */
	int is_vmalloc;         /* kaddr is a vmalloc area (else direct map) */
	uint32_t n_holders;     /* holdings in all processes */
	struct emu_machine *m;  /* machine, for destroy */
};

struct wds_hold {
	WD_KERNEL_BUFFER *kb;   /* the description handed out: the key */
	struct wds_buffer *buf; /* holds one reference */
	void *uaddr;            /* user mapping in the holding process */
};

static void wds_buffer_destroy(struct kmemu_obj *obj)
{
	struct wds_buffer *b = (struct wds_buffer *)obj;
	struct emu_machine *m = b->m;

	if (b->kaddr) {
		if (b->is_vmalloc) {
			vm_unmap(&m->vmalloc, b->kaddr);
			m->n_mappings--;
		}
		if (b->options & KER_BUF_ALLOC_CONTIG)
			physmem_free_run(&m->pm, b->pfns[0], b->npages);
		else
			physmem_free_pages(&m->pm, b->pfns, b->npages);
		m->n_wds--;
	}
	kmemu__free(b->pfns);
	kmemu__free(b);
}

static const struct kmemu_obj_ops wds_buffer_ops = {
	.type_name = "WdsBuffer",       /* type_name */
	.destroy = wds_buffer_destroy,  /* destroy */
};

static int pfns_one_run(const uint32_t *pfns, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++)
		if (pfns[i] != pfns[0] + i)
			return 0;
	return 1;
}

/* Map @b into @p and record the holding keyed by @kb; fills @kb. */
static DWORD wds_hold_add(struct emu_machine *m, struct emu_process *p, struct wds_buffer *b,
			  WD_KERNEL_BUFFER *kb)
{
	struct wds_hold *h;
	void *uaddr;

	if (p->n_holds == p->cap_holds) {
		size_t cap = p->cap_holds ? p->cap_holds * 2 : 4;
		struct wds_hold **a = kmemu__realloc(p->holds, cap * sizeof(*a));

		if (!a)
			return WD_INSUFFICIENT_RESOURCES;
		p->holds = a;
		p->cap_holds = cap;
	}
	h = kmemu__malloc(sizeof(*h));
	if (!h)
		return WD_INSUFFICIENT_RESOURCES;
	if (vm_map(&p->user, b->pfns, b->npages, b, &uaddr)) {
		kmemu__free(h);
		return WD_INSUFFICIENT_RESOURCES;
	}
	m->n_mappings++;
	kmemu_obj_ref(&b->hdr);
	b->n_holders++;
	*h = (struct wds_hold){ .kb = kb, .buf = b, .uaddr = uaddr };
	p->holds[p->n_holds++] = h;
	kb->hKerBuf = b->handle;
	kb->dwOptions = b->options;
	kb->qwBytes = b->bytes;
	kb->pKernelAddr = (KPTR)(uintptr_t)b->kaddr;
	kb->pUserAddr = (UPTR)(uintptr_t)uaddr;
	return WD_STATUS_SUCCESS;
}

/* Remove holding @i of @p: unmap, and kill the handle with the last one. */
static void wds_hold_drop(struct emu_machine *m, struct emu_process *p, size_t i)
{
	struct wds_hold *h = p->holds[i];
	struct wds_buffer *b = h->buf;

	vm_unmap(&p->user, h->uaddr);
	m->n_mappings--;
	p->holds[i] = p->holds[--p->n_holds];
	kmemu__free(h);
	if (--b->n_holders == 0 && b->handle) {
		uint32_t handle = b->handle;

		b->handle = 0;
		handle_close(&m->wds_handles, handle);
	}
	kmemu_obj_unref(&b->hdr);
}

/**
 * emu_wds_alloc() - the emulator's WDS_SharedBufferAlloc (ops->wds_alloc).
 * @st: the machine.
 * @kb: description with qwBytes and dwOptions set and validated.
 *
 * Context: PASSIVE; takes the machine lock.
 * Return: WD_STATUS_SUCCESS; WD_INSUFFICIENT_RESOURCES when frames (or a
 * contiguous run), address space, handles or heap run out - nothing is left
 * allocated then.
 */
DWORD emu_wds_alloc(void *st, WD_KERNEL_BUFFER *kb)
{
	struct emu_machine *m = st;
	struct emu_process *p;
	struct wds_buffer *b;
	uint64_t npages = (kb->qwBytes + EMU_PAGE_SIZE - 1) >> EMU_PAGE_SHIFT;
	DWORD rc = WD_INSUFFICIENT_RESOURCES;
	int contig = (kb->dwOptions & KER_BUF_ALLOC_CONTIG) != 0;

	emu_lock(m);
	p = emu_current_process(m);
	if (npages > m->pm.n_frames || npages > SIZE_MAX / sizeof(uint32_t))
		goto out;
	b = kmemu__calloc(1, sizeof(*b));
	if (!b)
		goto out;
	kmemu_obj_init(&b->hdr, &wds_buffer_ops);
	b->m = m;
	b->bytes = kb->qwBytes;
	b->options = kb->dwOptions;
	b->npages = npages;
	b->pfns = kmemu__malloc(npages * sizeof(uint32_t));
	if (!b->pfns)
		goto fail;
	if (contig) {
		uint32_t first;

		if (physmem_alloc_contig(&m->pm, npages, &first))
			goto fail;
		for (uint64_t i = 0; i < npages; i++)
			b->pfns[i] = first + (uint32_t)i;
	} else if (physmem_alloc_pages(&m->pm, npages, b->pfns)) {
		goto fail;
	}
	/* Frames are owned from here on: destroy frees them once kaddr is set. */
	if (contig || pfns_one_run(b->pfns, npages)) {
		b->kaddr = emu_direct(m, b->pfns[0]);
	} else {
		if (vm_map(&m->vmalloc, b->pfns, npages, b, &b->kaddr)) {
			physmem_free_pages(&m->pm, b->pfns, npages);
			goto fail;
		}
		b->is_vmalloc = 1;
		m->n_mappings++;
	}
	m->n_wds++;
	if (handle_alloc(&m->wds_handles, &b->hdr, 0, &b->handle)) {
		b->handle = 0;
		goto fail;
	}
	rc = wds_hold_add(m, p, b, kb);
	if (rc != WD_STATUS_SUCCESS) {
		uint32_t handle = b->handle;

		b->handle = 0;
		handle_close(&m->wds_handles, handle);
	}
fail:
	kmemu_obj_unref(&b->hdr);  /* the creator's reference */
out:
	emu_unlock(m);
	return rc;
}

/**
 * emu_wds_get() - the emulator's WDS_SharedBufferGet (ops->wds_get).
 * @st: the machine.
 * @kb: zeroed description with hKerBuf set.
 *
 * Context: PASSIVE; takes the machine lock.
 * Return: WD_STATUS_SUCCESS; WD_INVALID_HANDLE for a handle naming no live
 * buffer; WD_INSUFFICIENT_RESOURCES (address space, heap).
 */
DWORD emu_wds_get(void *st, WD_KERNEL_BUFFER *kb)
{
	struct emu_machine *m = st;
	struct kmemu_obj *obj;
	DWORD rc;

	emu_lock(m);
	if (handle_lookup(&m->wds_handles, kb->hKerBuf, &wds_buffer_ops, 0, &obj)) {
		emu_unlock(m);
		return WD_INVALID_HANDLE;
	}
	rc = wds_hold_add(m, emu_current_process(m), (struct wds_buffer *)obj, kb);
	kmemu_obj_unref(obj);
	emu_unlock(m);
	return rc;
}

/**
 * emu_wds_free() - the emulator's WDS_SharedBufferFree (ops->wds_free).
 * @st: the machine.
 * @kb: the description to release.
 *
 * Context: PASSIVE; takes the machine lock.
 * Return: WD_STATUS_SUCCESS; WD_INVALID_HANDLE when the current process
 * holds nothing keyed by @kb (@kb is not read).
 */
DWORD emu_wds_free(void *st, WD_KERNEL_BUFFER *kb)
{
	struct emu_machine *m = st;
	struct emu_process *p;

	emu_lock(m);
	p = emu_current_process(m);
	for (size_t i = 0; i < p->n_holds; i++) {
		if (p->holds[i]->kb == kb) {
			wds_hold_drop(m, p, i);
			emu_unlock(m);
			return WD_STATUS_SUCCESS;
		}
	}
	emu_unlock(m);
	return WD_INVALID_HANDLE;
}

/**
 * emu_wds_release_process() - drop every holding of @p (process exit).
 * The WD_KERNEL_BUFFER descriptions of @p live in its user heap on Windows
 * and die with the process; here they are freed too (they come from
 * kmemu__malloc, see api/wds.c), so a later WDS_SharedBufferFree() of one
 * returns WD_INVALID_HANDLE without reading it.
 * Context: caller holds the machine lock.
 */
void emu_wds_release_process(struct emu_machine *m, struct emu_process *p)
{
	while (p->n_holds) {
		WD_KERNEL_BUFFER *kb = p->holds[p->n_holds - 1]->kb;

		wds_hold_drop(m, p, p->n_holds - 1);
		kmemu__free(kb);
	}
}

/**
 * emu_wds_check() - every holding maps its buffer's frames; holder counts
 * match; live buffers have a live handle naming them.
 * Context: caller holds the machine lock.
 * Return: 1 if all hold, 0 otherwise with @msg set.
 */
int emu_wds_check(struct emu_machine *m, const char **msg)
{
	uint64_t holds = 0;

	for (struct emu_process *p = m->procs; p; p = p->next) {
		for (size_t i = 0; i < p->n_holds; i++) {
			struct wds_hold *h = p->holds[i];
			const struct vm_area *a = vm_lookup(&p->user, h->uaddr);
			struct kmemu_obj *obj;

			if (!a || a->owner != h->buf || a->pfns != h->buf->pfns) {
				*msg = "wds: a holding's user mapping is missing or wrong";
				return 0;
			}
			if (handle_lookup(&m->wds_handles, h->buf->handle, &wds_buffer_ops, 0, &obj) ||
			    obj != &h->buf->hdr) {
				*msg = "wds: a held buffer has no live global handle";
				return 0;
			}
			kmemu_obj_unref(obj);
			holds++;
		}
	}
	if (m->wds_handles.used != m->n_wds) {
		*msg = "wds: live buffers and live handles differ";
		return 0;
	}
	(void)holds;
	return 1;
}
