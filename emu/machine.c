/* SPDX-License-Identifier: MIT */
/*
 * machine.c - the emulated machine and the emulator's backend ops table.
 *
 * A machine is: RAM (one memfd, sparse, so a large RAM costs nothing until
 * touched), the frame allocator over it, a kernel address space, the global
 * WinDriver handle table and the emulated processes.  Kernel space is one
 * host reservation: the first ram_bytes are the direct map (all of RAM mapped
 * once, so frame f is at kbase + f * 4096 and a contiguous buffer has a
 * contiguous kernel address for free), the rest is the vmalloc area where
 * scattered buffers get contiguous kernel addresses.
 *
 *   kbase ─► [ direct map: RAM frame 0 … n-1 ][ guard ][ vmalloc area … ]
 *
 * The test-side ops (processes, kernel/user access, virt→phys, IRQL,
 * accounting, checkers) live here too.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "emu.h"

#define KERNEL_GUARD (1ull << 21)

void emu_lock(struct emu_machine *m)
{
	pthread_mutex_lock(&m->lock);
}

void emu_unlock(struct emu_machine *m)
{
	pthread_mutex_unlock(&m->lock);
}

int emu_is_direct(const struct emu_machine *m, const void *addr)
{
	const uint8_t *p = addr;

	return p >= m->kbase && p < m->kbase + m->ram_bytes;
}

/* ---- lifetime ------------------------------------------------------------------ */

/* Lowest host address a low claim (ZeroBits) may use: vm.mmap_min_addr
 * rounded up to 64 KiB, and never below Windows' lowest user address 0x10000.
 * Read once per host process: it is a boot-time sysctl, and machines are
 * opened per fuzz input. */
static uintptr_t emu_mmap_min(void)
{
	static _Atomic uintptr_t cached;
	unsigned long long v = 0x10000;
	uintptr_t r = cached;
	FILE *f;

	if (r)
		return r;
	f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0x10000;
		fclose(f);
	}
	if (v < 0x10000)
		v = 0x10000;
	r = (uintptr_t)((v + EMU_ALLOC_GRANULARITY - 1) & ~(EMU_ALLOC_GRANULARITY - 1));
	cached = r;
	return r;
}

static void emu_close(void *st);

/**
 * emu_open() - build a machine for @cfg (ops->open).
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (RAM below 2 pages or at
 * 16 TiB and above, unknown placement); STATUS_INSUFFICIENT_RESOURCES (host
 * memfd, address space or heap).
 */
static kmemu_status emu_open(const struct kmemu_backend_ops *ops, const struct kmemu_config *cfg,
			     void **st)
{
	struct emu_machine *m;
	uint64_t ram = (cfg->ram_bytes + EMU_PAGE_SIZE - 1) & ~(EMU_PAGE_SIZE - 1);
	kmemu_status rc = STATUS_INSUFFICIENT_RESOURCES;
	void *p;

	(void)ops;
	if (ram < 2 * EMU_PAGE_SIZE || (ram >> EMU_PAGE_SHIFT) >= FRAME_NONE ||
	    cfg->placement > KMEMU_PLACE_RANDOM || cfg->fragment_order > PHYS_MAX_ORDER)
		return STATUS_INVALID_PARAMETER;
	m = kmemu__calloc(1, sizeof(*m));
	if (!m)
		return STATUS_INSUFFICIENT_RESOURCES;
	pthread_mutex_init(&m->lock, NULL);
	m->cfg = *cfg;
	if (!m->cfg.user_space_bytes)
		m->cfg.user_space_bytes = ram * 2 > (4ull << 30) ? ram * 2 : (4ull << 30);
	m->cfg.user_space_bytes = (m->cfg.user_space_bytes + EMU_ALLOC_GRANULARITY - 1) &
				  ~(EMU_ALLOC_GRANULARITY - 1);
	m->ram_bytes = ram;
	m->prng = cfg->seed;
	m->next_pid = 4;
	m->mmap_min = emu_mmap_min();
	m->memfd = kmemu__sys_memfd_create("kmemu-ram", MFD_CLOEXEC);
	if (m->memfd < 0)
		goto fail;
	if (kmemu__sys_ftruncate(m->memfd, (off_t)ram))
		goto fail;
	rc = physmem_init(&m->pm, ram >> EMU_PAGE_SHIFT, cfg->placement, cfg->fragment_order,
			  &m->prng, m->memfd);
	if (rc)
		goto fail;
	rc = STATUS_INSUFFICIENT_RESOURCES;
	m->ksize = ram + KERNEL_GUARD + ram * 2 + (1ull << 30);
	p = kmemu__sys_mmap(NULL, m->ksize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		goto fail;
	m->kbase = p;
	p = kmemu__sys_mmap(m->kbase, ram, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, m->memfd, 0);
	if (p == MAP_FAILED)
		goto fail;
	/* The vmalloc area is carved out of the kernel reservation: it maps over
	 * the PROT_NONE pages and never unmaps the reservation itself. */
	m->vmalloc.base = m->kbase + ram + KERNEL_GUARD;
	m->vmalloc.size = m->ksize - ram - KERNEL_GUARD;
	m->vmalloc.align = EMU_PAGE_SIZE;
	m->vmalloc.guard = EMU_PAGE_SIZE;
	m->vmalloc.memfd = m->memfd;
	handle_table_init(&m->wds_handles, HANDLE_ENC_GLOBAL, UINT32_MAX);
	rc = emu_process_new(m, "initial", &m->initial);
	if (rc)
		goto fail;
	m->initial->is_initial = 1;
	*st = m;
	return STATUS_SUCCESS;
fail:
	emu_close(m);
	return rc;
}

/* emu_close() - destroy a machine, releasing everything (ops->close).
 * Tolerates a half-built machine. */
static void emu_close(void *st)
{
	struct emu_machine *m = st;

	if (!m)
		return;
	emu_mdl_release_all(m);
	emu_section_release_kernel(m);
	while (m->procs)
		emu_process_free(m, m->procs);
	handle_table_fini(&m->wds_handles);
	kmemu__free(m->vmalloc.areas);
	if (m->kbase)
		kmemu__sys_munmap(m->kbase, m->ksize);
	physmem_fini(&m->pm);
	if (m->memfd > 0)
		kmemu__sys_close(m->memfd);
	pthread_mutex_destroy(&m->lock);
	kmemu__free(m);
}

/* ---- processes ------------------------------------------------------------------- */

static kmemu_status emu_process_create(void *st, const char *name, kmemu_pid *out)
{
	struct emu_machine *m = st;
	struct emu_process *p;
	kmemu_status rc;

	emu_lock(m);
	rc = emu_process_new(m, name, &p);
	if (!rc)
		*out = p->pid;
	emu_unlock(m);
	return rc;
}

static kmemu_status emu_process_destroy(void *st, kmemu_pid pid)
{
	struct emu_machine *m = st;
	struct emu_process *p;
	kmemu_status rc = STATUS_SUCCESS;

	emu_lock(m);
	p = emu_process_find(m, pid);
	if (!p)
		rc = STATUS_INVALID_PARAMETER;
	else if (p->is_initial)
		rc = STATUS_ACCESS_DENIED;
	else
		emu_process_free(m, p);
	emu_unlock(m);
	return rc;
}

static kmemu_status emu_process_attach(void *st, kmemu_pid pid, kmemu_pid *old)
{
	struct emu_machine *m = st;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	emu_lock(m);
	if (emu_process_find(m, pid)) {
		if (old)
			*old = emu_current_process(m)->pid;
		emu_tls_set_pid(m, pid);
		rc = STATUS_SUCCESS;
	}
	emu_unlock(m);
	return rc;
}

static kmemu_status emu_process_current_op(void *st, kmemu_pid *out)
{
	struct emu_machine *m = st;

	emu_lock(m);
	*out = emu_current_process(m)->pid;
	emu_unlock(m);
	return STATUS_SUCCESS;
}

/* ---- memory access ---------------------------------------------------------------- */

/* Frame of a kernel or user address, or FRAME_NONE.  Lock held. */
static uint32_t emu_frame_of(struct emu_machine *m, struct emu_process *p, const void *addr)
{
	const struct vm_space *vs;
	const struct vm_area *a;
	uint32_t pfn;

	if (!p) {
		if (emu_is_direct(m, addr)) {
			uint64_t pfn = (uint64_t)((const uint8_t *)addr - m->kbase) >> EMU_PAGE_SHIFT;

			return m->pm.frames[pfn].is_reserved ? FRAME_NONE : (uint32_t)pfn;
		}
		vs = &m->vmalloc;
	} else {
		vs = &p->user;
	}
	a = vm_lookup(vs, addr);
	if (!a)  /* section views outside the reservation, or inherited ones */
		return p ? emu_section_frame_of(p, addr) : FRAME_NONE;
	if (p && emu_section_area_hidden(m, p, a->owner))
		return FRAME_NONE;  /* a view @p unmapped, kept for a child */
	pfn = a->pfns[((uint64_t)((const uint8_t *)addr - vs->base) - a->start) >> EMU_PAGE_SHIFT];
	return pfn ? pfn : FRAME_NONE;  /* 0: an uncommitted SEC_RESERVE page */
}

static kmemu_status emu_virt_to_phys(void *st, kmemu_pid pid, const void *addr, uint64_t *phys)
{
	struct emu_machine *m = st;
	struct emu_process *p = NULL;
	kmemu_status rc = STATUS_SUCCESS;
	uint32_t pfn;

	emu_lock(m);
	if (pid && !(p = emu_process_find(m, pid))) {
		rc = STATUS_INVALID_PARAMETER;
	} else if ((pfn = emu_frame_of(m, p, addr)) == FRAME_NONE) {
		rc = STATUS_INVALID_ADDRESS;
	} else {
		*phys = ((uint64_t)pfn << EMU_PAGE_SHIFT) | ((uintptr_t)addr & (EMU_PAGE_SIZE - 1));
	}
	emu_unlock(m);
	return rc;
}

/* 1 if every page of [addr, addr + len) (not empty, not wrapping) is mapped
 * in the space (@p: a process's user space, NULL: kernel space) and, for a
 * process, allows the access: readable for a read, writable (the shared
 * page or a private copy) for a write. */
static int emu_range_ok(struct emu_machine *m, struct emu_process *p, uint64_t addr, size_t len,
			int to_mem)
{
	for (uint64_t a = addr & ~(EMU_PAGE_SIZE - 1); a < addr + len; a += EMU_PAGE_SIZE) {
		const void *pg = (const void *)(uintptr_t)a;
		enum emu_page_access acc;

		if (emu_frame_of(m, p, pg) == FRAME_NONE)
			return 0;
		if (!p)
			continue;
		acc = emu_page_access(p, pg);
		if (acc == EMU_PAGE_NONE || (to_mem && acc == EMU_PAGE_READ))
			return 0;
	}
	return 1;
}

/* Copy between @buf and the pages of [addr, addr + len) of a space, checking
 * every page first (nothing is copied when one fails).  Kernel space copies
 * through the direct map.  A process's space copies through its own host
 * mapping, as the process's loads and stores would: a write through a
 * PAGE_WRITECOPY view makes (or updates) the process's private copy, a read
 * returns it, and neither touches the shared page. */
static kmemu_status emu_copy(struct emu_machine *m, struct emu_process *p, uint64_t addr, void *buf,
			     size_t len, int to_mem)
{
	uint64_t a;

	if (addr + len < addr)
		return STATUS_ACCESS_VIOLATION;
	/* An empty range has no byte that could be unmapped: the page loop below
	 * would otherwise check the page of an unaligned @addr. */
	if (len == 0)
		return STATUS_SUCCESS;
	if (!emu_range_ok(m, p, addr, len, to_mem))
		return STATUS_ACCESS_VIOLATION;
	if (p) {
		uint8_t *u = (uint8_t *)(uintptr_t)addr;

		if (to_mem)
			memcpy(u, buf, len);
		else
			memcpy(buf, u, len);
		return STATUS_SUCCESS;
	}
	for (a = addr; a < addr + len;) {
		uint64_t chunk = EMU_PAGE_SIZE - (a & (EMU_PAGE_SIZE - 1));
		uint8_t *k;

		if (chunk > addr + len - a)
			chunk = addr + len - a;
		k = (uint8_t *)emu_direct(m, emu_frame_of(m, NULL, (const void *)(uintptr_t)a)) +
		    (a & (EMU_PAGE_SIZE - 1));
		if (to_mem)
			memcpy(k, (uint8_t *)buf + (a - addr), chunk);
		else
			memcpy((uint8_t *)buf + (a - addr), k, chunk);
		a += chunk;
	}
	return STATUS_SUCCESS;
}

static kmemu_status emu_access(void *st, int user, kmemu_pid pid, uint64_t addr, void *buf,
			       size_t len, int to_mem)
{
	struct emu_machine *m = st;
	struct emu_process *p = NULL;
	kmemu_status rc;

	emu_lock(m);
	if (user)
		p = pid ? emu_process_find(m, pid) : emu_current_process(m);
	rc = user && !p ? STATUS_INVALID_PARAMETER : emu_copy(m, p, addr, buf, len, to_mem);
	emu_unlock(m);
	return rc;
}

static kmemu_status emu_kernel_read(void *st, uint64_t kaddr, void *buf, size_t len)
{
	return emu_access(st, 0, 0, kaddr, buf, len, 0);
}

static kmemu_status emu_kernel_write(void *st, uint64_t kaddr, const void *buf, size_t len)
{
	return emu_access(st, 0, 0, kaddr, (void *)buf, len, 1);
}

static kmemu_status emu_user_read(void *st, kmemu_pid pid, uint64_t uaddr, void *buf, size_t len)
{
	return emu_access(st, 1, pid, uaddr, buf, len, 0);
}

static kmemu_status emu_user_write(void *st, kmemu_pid pid, uint64_t uaddr, const void *buf,
				   size_t len)
{
	return emu_access(st, 1, pid, uaddr, (void *)buf, len, 1);
}

/* ---- IRQL: per host thread ------------------------------------------------------ */

static _Thread_local uint8_t tls_irql;  /* PASSIVE_LEVEL (0) for every new thread */

static uint8_t emu_irql_get(void *st)
{
	(void)st;
	return tls_irql;
}

static kmemu_status emu_irql_set(void *st, uint8_t irql, uint8_t *old)
{
	(void)st;
	if (irql > 15)
		return STATUS_INVALID_PARAMETER;
	if (old)
		*old = tls_irql;
	tls_irql = irql;
	return STATUS_SUCCESS;
}

/* KeRaiseIrql: raising to a lower level is IRQL_NOT_GREATER_OR_EQUAL
 * (p1 = current, p2 = requested), as Windows checks it. */
static uint8_t emu_irql_raise(void *st, uint8_t irql)
{
	uint8_t old = tls_irql;

	(void)st;
	if (irql < old || irql > 15)
		kmemu__bugcheck("KeRaiseIrql", "new IRQL is below the current IRQL",
				IRQL_NOT_GREATER_OR_EQUAL, old, irql, 0, 0);
	else
		tls_irql = irql;
	return old;
}

/* KeLowerIrql: lowering to a higher level is IRQL_NOT_LESS_OR_EQUAL. */
static void emu_irql_lower(void *st, uint8_t irql)
{
	(void)st;
	if (irql > tls_irql)
		kmemu__bugcheck("KeLowerIrql", "new IRQL is above the current IRQL",
				IRQL_NOT_LESS_OR_EQUAL, tls_irql, irql, 0, 0);
	else
		tls_irql = irql;
}

/* ---- accounting and checkers ------------------------------------------------------ */

static kmemu_status emu_stats_get(void *st, struct kmemu_stats *out)
{
	struct emu_machine *m = st;

	memset(out, 0, sizeof(*out));
	kmemu__heap_stats(&out->heap_blocks, &out->heap_bytes);
	emu_lock(m);
	out->frames_used = m->pm.frames_used;
	out->frames_total = m->pm.n_frames;
	out->handles_used = m->wds_handles.used;
	for (struct emu_process *p = m->procs; p; p = p->next) {
		out->processes++;
		out->handles_used += p->handles.used;
	}
	out->wds_buffers = m->n_wds;
	out->mappings = m->n_mappings;
	emu_unlock(m);
	return STATUS_SUCCESS;
}

static kmemu_status emu_check(void *st, const char **msg)
{
	struct emu_machine *m = st;
	const char *why = NULL;
	int ok;

	emu_lock(m);
	ok = physmem_check(&m->pm, &why) && vm_check(&m->vmalloc, m->pm.n_frames, &why) &&
	     handle_table_check(&m->wds_handles, &why) && emu_wds_check(m, &why) &&
	     emu_section_check(m, &why) && emu_mdl_check(m, &why);
	for (struct emu_process *p = m->procs; ok && p; p = p->next)
		ok = vm_check(&p->user, m->pm.n_frames, &why) && handle_table_check(&p->handles, &why);
	emu_unlock(m);
	if (msg)
		*msg = ok ? "" : why;
	return ok ? STATUS_SUCCESS : STATUS_INTERNAL_ERROR;
}

/* ---- the ops table ------------------------------------------------------------------ */

const struct kmemu_backend_ops kmemu__emu_ops = {
	.version = KMEMU_BACKEND_VERSION,
	.name = "emu",
	.description = "reference emulator: simulated RAM, buddy frames, real aliasing",
	.caps = KMEMU_CAP_WDS | KMEMU_CAP_PHYS | KMEMU_CAP_CONTIG | KMEMU_CAP_MULTI_PROCESS |
		KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK | KMEMU_CAP_FAULT_INJECT |
		KMEMU_CAP_KERNEL_ACCESS | KMEMU_CAP_CHECKERS | KMEMU_CAP_PLACEMENT |
		KMEMU_CAP_VERIFIER | KMEMU_CAP_SECTIONS | KMEMU_CAP_KERNEL_VIEWS |
		KMEMU_CAP_SECTIONS_EX | KMEMU_CAP_WDF | KMEMU_CAP_FLT,
	.app_data = NULL,
	.open = emu_open,                           /* open */
	.close = emu_close,                         /* close */
	.process_create = emu_process_create,       /* process_create */
	.process_destroy = emu_process_destroy,     /* process_destroy */
	.process_attach = emu_process_attach,       /* process_attach */
	.process_current = emu_process_current_op,  /* process_current */
	.virt_to_phys = emu_virt_to_phys,           /* virt_to_phys */
	.kernel_read = emu_kernel_read,             /* kernel_read */
	.kernel_write = emu_kernel_write,           /* kernel_write */
	.user_read = emu_user_read,                 /* user_read */
	.user_write = emu_user_write,               /* user_write */
	.irql_get = emu_irql_get,                   /* irql_get */
	.irql_set = emu_irql_set,                   /* irql_set */
	.irql_raise = emu_irql_raise,               /* irql_raise */
	.irql_lower = emu_irql_lower,               /* irql_lower */
	.stats_get = emu_stats_get,                 /* stats_get */
	.check = emu_check,                         /* check */
	.wds_alloc = emu_wds_alloc,                 /* wds_alloc */
	.wds_get = emu_wds_get,                     /* wds_get */
	.wds_free = emu_wds_free,                   /* wds_free */
	.section_create = emu_section_create,       /* section_create */
	.section_open = emu_section_open,           /* section_open */
	.section_map = emu_section_map,             /* section_map */
	.section_unmap = emu_section_unmap,         /* section_unmap */
	.section_query = emu_section_query,         /* section_query */
	.handle_close = emu_handle_close,           /* handle_close */
	.process_open = emu_process_open,           /* process_open */
	.process_create_child = emu_process_create_child, /* process_create_child */
	.view_query = emu_view_query,               /* view_query */
	.ob_reference = emu_ob_reference,           /* ob_reference */
	.ob_dereference = emu_ob_dereference,       /* ob_dereference */
	.section_map_system = emu_section_map_system,     /* section_map_system */
	.section_unmap_system = emu_section_unmap_system, /* section_unmap_system */
	.section_map_ex = emu_section_map_ex,       /* section_map_ex */
	.section_unmap_ex = emu_section_unmap_ex,   /* section_unmap_ex */
	.views_same = emu_views_same,               /* views_same */
	.mdl_probe_lock = emu_mdl_probe_lock,       /* mdl_probe_lock */
	.mdl_unlock = emu_mdl_unlock,               /* mdl_unlock */
	.mdl_revoke = emu_mdl_revoke,               /* mdl_revoke */
};
