/* SPDX-License-Identifier: MIT */
/*
 * nt.c - the nt backend: the section services on the NT native API.
 *
 * Where a real kernel decides, it decides: each section slot passes its
 * arguments (already through the api layer's checks, see api/section.c)
 * straight to ntdll's NtCreateSection, NtOpenSection, NtMapViewOfSection,
 * NtUnmapViewOfSection, NtQuerySection, NtClose and, where ntdll exports
 * them, NtMapViewOfSectionEx, NtUnmapViewOfSectionEx and
 * NtAreMappedFilesTheSame, and returns the NTSTATUS unchanged.  The exports
 * are looked up at run time in ->open (GetModuleHandle/GetProcAddress), so
 * one binary runs on every Windows and under Wine; a missing Ex export
 * clears KMEMU_CAP_SECTIONS_EX for the instance.
 *
 * One process: the current one.  kmemu_process_current() is its Windows
 * process id, kmemu_process_open() of it is NtOpenProcess with the access
 * asked (the kernel grants it); creating, attaching to or forking emulated
 * processes is STATUS_NOT_SUPPORTED (KMEMU_CAP_MULTI_PROCESS clear).  The
 * test-side reads and writes are NtReadVirtualMemory/NtWriteVirtualMemory on
 * the current process (after NtQueryVirtualMemory found the range
 * committed), and kmemu_view_query() is NtQueryVirtualMemory; both
 * translate failures in status.c only.  No WinDriver, IRQL, bug check,
 * physical address, kernel-space view or fault injection exists in a user
 * process: those slots answer STATUS_NOT_SUPPORTED / WD_NOT_IMPLEMENTED and
 * their capability bits are clear.
 *
 * The instance remembers the views it mapped in the current process (for
 * their section offset and inherit disposition, which the kernel does not
 * report) and the handles it opened; ->close unmaps and closes what is left,
 * as the end of an emulated machine does.
 */
#include <pthread.h>
#include <string.h>
#include <wdm.h>
#include "../../api/core.h"
#include "nt.h"

#define NT_CURRENT_PROCESS ((uintptr_t)-1)

/* ---- ntdll's entry points (x64: one calling convention) ------------------ */

/* MEMORY_BASIC_INFORMATION, x64 layout. */
struct nt_mbi {
	uint64_t base;
	uint64_t allocation_base;
	uint32_t allocation_protect;
	uint16_t partition_id;
	uint16_t pad;
	uint64_t region_size;
	uint32_t state;
	uint32_t protect;
	uint32_t type;
	uint32_t pad2;
};

/* MEM_EXTENDED_PARAMETER (16 bytes) and MEM_ADDRESS_REQUIREMENTS, x64. */
struct nt_ext_param {
	uint64_t type;          /* low 8 bits: MEM_EXTENDED_PARAMETER_TYPE */
	uint64_t pointer;
};
struct nt_addr_req {
	uint64_t lowest;
	uint64_t highest;
	uint64_t alignment;
};
#define NT_EXT_ADDRESS_REQUIREMENTS 1u   /* MemExtendedParameterAddressRequirements */

/* CLIENT_ID, x64. */
struct nt_client_id {
	uintptr_t process;
	uintptr_t thread;
};

typedef int32_t (*nt_create_section_fn)(uintptr_t *h, uint32_t access, OBJECT_ATTRIBUTES *oa,
					 LARGE_INTEGER *size, uint32_t protect, uint32_t attributes,
					 uintptr_t file);
typedef int32_t (*nt_open_section_fn)(uintptr_t *h, uint32_t access, OBJECT_ATTRIBUTES *oa);
typedef int32_t (*nt_map_fn)(uintptr_t section, uintptr_t process, void **base, uintptr_t zero_bits,
			     size_t commit, LARGE_INTEGER *offset, size_t *view_size, uint32_t inherit,
			     uint32_t allocation_type, uint32_t protect);
typedef int32_t (*nt_unmap_fn)(uintptr_t process, void *base);
typedef int32_t (*nt_query_section_fn)(uintptr_t section, int cls, void *buf, size_t len,
				       size_t *ret_len);
typedef int32_t (*nt_close_fn)(uintptr_t h);
typedef int32_t (*nt_map_ex_fn)(uintptr_t section, uintptr_t process, void **base,
				LARGE_INTEGER *offset, size_t *view_size, uint32_t allocation_type,
				uint32_t protect, struct nt_ext_param *params, uint32_t count);
typedef int32_t (*nt_unmap_ex_fn)(uintptr_t process, void *base, uint32_t flags);
typedef int32_t (*nt_same_fn)(void *a, void *b);
typedef int32_t (*nt_rw_vm_fn)(uintptr_t process, void *base, void *buf, size_t len,
			       size_t *done);
typedef int32_t (*nt_query_vm_fn)(uintptr_t process, const void *base, int cls, void *buf,
				  size_t len, size_t *ret_len);
typedef int32_t (*nt_open_process_fn)(uintptr_t *h, uint32_t access, OBJECT_ATTRIBUTES *oa,
				      struct nt_client_id *cid);

/* The exports the backend cannot do without, then the optional Ex ones. */
struct nt_api {
	nt_create_section_fn create_section;
	nt_open_section_fn open_section;
	nt_map_fn map;
	nt_unmap_fn unmap;
	nt_query_section_fn query_section;
	nt_close_fn close;
	nt_rw_vm_fn read_vm;
	nt_rw_vm_fn write_vm;
	nt_query_vm_fn query_vm;
	nt_open_process_fn open_process;
	nt_map_ex_fn map_ex;          /* NULL before Windows 10 1803 */
	nt_unmap_ex_fn unmap_ex;      /* NULL before Windows 8 */
	nt_same_fn same;              /* NULL where not exported */
};

/* A view this instance mapped in the current process, or a handle it opened. */
struct nt_rec {
	struct nt_rec *next;
	uintptr_t key;          /* the view's base / the handle's value */
	uint64_t offset;        /* view: section offset (the kernel does not report it) */
	uint32_t inherit;       /* view: ViewShare / ViewUnmap */
	int is_self;            /* handle: to the current process (process_open) */
};

struct nt_list {
	struct nt_rec *head;
	uint64_t n;
};

struct nt_state {
	pthread_mutex_t lock;   /* guards the lists */
	struct nt_api api;
	uint32_t pid;           /* the current process's id */
	struct nt_list views;    /* struct nt_rec of views */
	struct nt_list handles;  /* struct nt_rec of handles */
};

/* Resolve every export; 0 when a required one is missing. */
static int nt_resolve(struct nt_api *a)
{
	void *p;

#define NT_GET(field, name) (p = kmemu__nt_host_proc(name), memcpy(&a->field, &p, sizeof(p)), p)
	if (!NT_GET(create_section, "NtCreateSection") || !NT_GET(open_section, "NtOpenSection") ||
	    !NT_GET(map, "NtMapViewOfSection") || !NT_GET(unmap, "NtUnmapViewOfSection") ||
	    !NT_GET(query_section, "NtQuerySection") || !NT_GET(close, "NtClose") ||
	    !NT_GET(read_vm, "NtReadVirtualMemory") || !NT_GET(write_vm, "NtWriteVirtualMemory") ||
	    !NT_GET(query_vm, "NtQueryVirtualMemory") || !NT_GET(open_process, "NtOpenProcess"))
		return 0;
	(void)NT_GET(map_ex, "NtMapViewOfSectionEx");
	(void)NT_GET(unmap_ex, "NtUnmapViewOfSectionEx");
	(void)NT_GET(same, "NtAreMappedFilesTheSame");
#undef NT_GET
	return 1;
}

/* ---- bookkeeping ------------------------------------------------------------ */

static void nt_lock(struct nt_state *s)
{
	pthread_mutex_lock(&s->lock);
}

static void nt_unlock(struct nt_state *s)
{
	pthread_mutex_unlock(&s->lock);
}

/* 1 when @process names the current process: the pseudo handle, or a
 * handle kmemu_process_open() gave (the only process this backend has). */
static int nt_is_current(struct nt_state *s, uintptr_t process)
{
	int self = process == NT_CURRENT_PROCESS;

	nt_lock(s);
	for (struct nt_rec *h = s->handles.head; h && !self; h = h->next)
		self = h->key == process && h->is_self;
	nt_unlock(s);
	return self;
}

/* Take @rec, keyed @key, into @l (@rec preallocated: recording never fails). */
static void nt_rec_add(struct nt_state *s, struct nt_list *l, struct nt_rec *rec, uintptr_t key)
{
	rec->key = key;
	nt_lock(s);
	rec->next = l->head;
	l->head = rec;
	l->n++;
	nt_unlock(s);
}

/* Drop the record keyed @key from @l (if this instance made it). */
static void nt_rec_forget(struct nt_state *s, struct nt_list *l, uintptr_t key)
{
	struct nt_rec **pp, *dead = NULL;

	nt_lock(s);
	for (pp = &l->head; *pp; pp = &(*pp)->next)
		if ((*pp)->key == key) {
			dead = *pp;
			*pp = dead->next;
			l->n--;
			break;
		}
	nt_unlock(s);
	kmemu__free(dead);
}

/* The base of the view holding @addr (an unmap may name any address in
 * it), or @addr when no view holds it. */
static uintptr_t nt_view_base(struct nt_state *s, uintptr_t addr)
{
	struct nt_mbi m;

	if (NT_SUCCESS(s->api.query_vm(NT_CURRENT_PROCESS, (const void *)addr, 0, &m, sizeof(m),
				       NULL)) &&
	    m.type == MEM_MAPPED)
		return (uintptr_t)m.allocation_base;
	return addr;
}

/* After a call that opens a handle: on success record @h in @rec and give
 * it out, else free @rec.  Return: @rc. */
static kmemu_status nt_keep_handle(struct nt_state *s, struct nt_rec *rec, kmemu_status rc,
				   uintptr_t h, uintptr_t *handle)
{
	if (!NT_SUCCESS(rc)) {
		kmemu__free(rec);
		return rc;
	}
	nt_rec_add(s, &s->handles, rec, h);
	*handle = h;
	return rc;
}

/* ---- instance lifetime ----------------------------------------------------- */

/*
 * nt_open() - ops->open: resolve ntdll's exports.
 * Return: STATUS_SUCCESS; STATUS_NOT_SUPPORTED (ntdll lacks a required
 * export); STATUS_INSUFFICIENT_RESOURCES.
 */
static kmemu_status nt_open(const struct kmemu_backend_ops *ops, const struct kmemu_config *cfg,
			    void **st)
{
	struct nt_state *s;

	(void)ops;
	(void)cfg;
	s = kmemu__calloc(1, sizeof(*s));
	if (!s)
		return STATUS_INSUFFICIENT_RESOURCES;
	if (!nt_resolve(&s->api)) {
		kmemu__free(s);
		return STATUS_NOT_SUPPORTED;
	}
	if (!s->api.map_ex || !s->api.unmap_ex || !s->api.same)
		kmemu_backend_instance_lacks(KMEMU_CAP_SECTIONS_EX);
	pthread_mutex_init(&s->lock, NULL);
	s->pid = kmemu__nt_host_pid();
	*st = s;
	return STATUS_SUCCESS;
}

/* nt_close() - ops->close: unmap the views and close the handles left. */
static void nt_close(void *st)
{
	struct nt_state *s = st;

	while (s->views.head) {
		struct nt_rec *v = s->views.head;

		s->views.head = v->next;
		s->api.unmap(NT_CURRENT_PROCESS, (void *)v->key);
		kmemu__free(v);
	}
	while (s->handles.head) {
		struct nt_rec *h = s->handles.head;

		s->handles.head = h->next;
		s->api.close(h->key);
		kmemu__free(h);
	}
	pthread_mutex_destroy(&s->lock);
	kmemu__free(s);
}

/* ---- processes: the current one only ---------------------------------------- */

static kmemu_status nt_process_create(void *st, const char *name, kmemu_pid *out)
{
	(void)st;
	(void)name;
	(void)out;
	return STATUS_NOT_SUPPORTED;
}

static kmemu_status nt_process_destroy(void *st, kmemu_pid pid)
{
	(void)st;
	(void)pid;
	return STATUS_NOT_SUPPORTED;
}

static kmemu_status nt_process_attach(void *st, kmemu_pid pid, kmemu_pid *old)
{
	(void)st;
	(void)pid;
	(void)old;
	return STATUS_NOT_SUPPORTED;
}

/* ops->process_current: the Windows process id of this process. */
static kmemu_status nt_process_current(void *st, kmemu_pid *out)
{
	struct nt_state *s = st;

	*out = s->pid;
	return STATUS_SUCCESS;
}

static kmemu_status nt_process_create_child(void *st, kmemu_pid parent, const char *name,
					    kmemu_pid *out)
{
	(void)st;
	(void)parent;
	(void)name;
	(void)out;
	return STATUS_NOT_SUPPORTED;
}

/*
 * nt_process_open() - ops->process_open: NtOpenProcess of the current
 * process with @access (the kernel decides what it grants).
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (@pid is not this
 * process); STATUS_INSUFFICIENT_RESOURCES; NtOpenProcess's failure.
 */
static kmemu_status nt_process_open(void *st, kmemu_pid pid, uint32_t access, uintptr_t *handle)
{
	struct nt_state *s = st;
	OBJECT_ATTRIBUTES oa = { .Length = sizeof(oa) };
	struct nt_client_id cid = { .process = (uintptr_t)s->pid };
	struct nt_rec *rec;
	uintptr_t h = 0;
	kmemu_status rc;

	if (pid != s->pid)
		return STATUS_INVALID_PARAMETER;
	rec = kmemu__calloc(1, sizeof(*rec));
	if (!rec)
		return STATUS_INSUFFICIENT_RESOURCES;
	rec->is_self = 1;
	rc = s->api.open_process(&h, access, &oa, &cid);
	return nt_keep_handle(s, rec, kmemu__nt_status((uint32_t)rc, NT_OP_PASS), h, handle);
}

/* ---- test-side memory access -------------------------------------------------- */

static kmemu_status nt_virt_to_phys(void *st, kmemu_pid pid, const void *addr, uint64_t *phys)
{
	(void)st;
	(void)pid;
	(void)addr;
	(void)phys;
	return STATUS_NOT_SUPPORTED;
}

static kmemu_status nt_kernel_read(void *st, uint64_t kaddr, void *buf, size_t len)
{
	(void)st;
	(void)kaddr;
	(void)buf;
	(void)len;
	return STATUS_NOT_SUPPORTED;
}

static kmemu_status nt_kernel_write(void *st, uint64_t kaddr, const void *buf, size_t len)
{
	(void)st;
	(void)kaddr;
	(void)buf;
	(void)len;
	return STATUS_NOT_SUPPORTED;
}

/* 1 when every page of [@addr, @addr + @len) is committed and accessible
 * (not PAGE_NOACCESS, not a guard page), asked of NtQueryVirtualMemory.
 * Wine's NtReadVirtualMemory of its own process reads freed (reserved)
 * ranges as zeros: the test-side copies ask first, on Windows too. */
static int nt_range_accessible(struct nt_state *s, uint64_t addr, size_t len)
{
	uint64_t end = addr + len;

	if (end < addr)
		return 0;
	while (addr < end) {
		struct nt_mbi m;

		if (!NT_SUCCESS(s->api.query_vm(NT_CURRENT_PROCESS, (const void *)(uintptr_t)addr, 0,
						&m, sizeof(m), NULL)) ||
		    m.state != MEM_COMMIT || (m.protect & (PAGE_NOACCESS | PAGE_GUARD)) ||
		    !m.region_size)
			return 0;
		addr = m.base + m.region_size;
	}
	return 1;
}

/* user_read / user_write: NtRead/WriteVirtualMemory on the current process. */
static kmemu_status nt_user_copy(struct nt_state *s, kmemu_pid pid, uint64_t uaddr, void *buf,
				 size_t len, int write)
{
	size_t done = 0;
	int32_t rc;

	if (pid && pid != s->pid)
		return STATUS_INVALID_PARAMETER;
	if (!len)
		return STATUS_SUCCESS;
	if (!nt_range_accessible(s, uaddr, len))
		return STATUS_ACCESS_VIOLATION;
	rc = write ? s->api.write_vm(NT_CURRENT_PROCESS, (void *)(uintptr_t)uaddr, buf, len, &done)
		   : s->api.read_vm(NT_CURRENT_PROCESS, (void *)(uintptr_t)uaddr, buf, len, &done);
	if (NT_SUCCESS(rc) && done != len)
		rc = STATUS_PARTIAL_COPY;
	return kmemu__nt_status((uint32_t)rc, NT_OP_COPY);
}

static kmemu_status nt_user_read(void *st, kmemu_pid pid, uint64_t uaddr, void *buf, size_t len)
{
	return nt_user_copy(st, pid, uaddr, buf, len, 0);
}

static kmemu_status nt_user_write(void *st, kmemu_pid pid, uint64_t uaddr, const void *buf,
				  size_t len)
{
	return nt_user_copy(st, pid, uaddr, (void *)(uintptr_t)buf, len, 1);
}

/*
 * nt_view_query() - ops->view_query: NtQueryVirtualMemory of @addr; the
 * view is the allocation holding it when its type is MEM_MAPPED.  Base,
 * size, protection (the allocation's) and state come from the kernel; the
 * section offset and inherit disposition from this instance's record of the
 * view (0 and ViewUnmap for a view mapped elsewhere).
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (another process);
 * STATUS_NOT_MAPPED_VIEW.
 */
static kmemu_status nt_view_query(void *st, kmemu_pid pid, const void *addr,
				  struct kmemu_view_info *out)
{
	struct nt_state *s = st;
	struct kmemu_view_info vi = { 0 };
	struct nt_mbi m, r;
	uint64_t a;
	int32_t rc;

	if (pid && pid != s->pid)
		return STATUS_INVALID_PARAMETER;
	rc = s->api.query_vm(NT_CURRENT_PROCESS, addr, 0 /* MemoryBasicInformation */, &m,
			     sizeof(m), NULL);
	if (!NT_SUCCESS(rc))
		return kmemu__nt_status((uint32_t)rc, NT_OP_QUERY);
	if (m.type != MEM_MAPPED || m.state == MEM_FREE)
		return STATUS_NOT_MAPPED_VIEW;
	vi.base = (void *)(uintptr_t)m.allocation_base;
	vi.protect = m.allocation_protect;
	vi.state = m.state;
	vi.inherit = ViewUnmap;
	/* the view's size: every region of its allocation */
	for (a = m.allocation_base;; a = r.base + r.region_size) {
		rc = s->api.query_vm(NT_CURRENT_PROCESS, (const void *)(uintptr_t)a, 0, &r,
				     sizeof(r), NULL);
		if (!NT_SUCCESS(rc) || r.allocation_base != m.allocation_base || r.state == MEM_FREE)
			break;
		vi.size = r.base + r.region_size - m.allocation_base;
	}
	nt_lock(s);
	for (struct nt_rec *v = s->views.head; v; v = v->next)
		if (v->key == m.allocation_base) {
			vi.section_offset = v->offset;
			vi.inherit = v->inherit;
		}
	nt_unlock(s);
	*out = vi;
	return STATUS_SUCCESS;
}

/* ---- IRQL, accounting, WinDriver: none in a user process ---------------------- */

static uint8_t nt_irql_get(void *st)
{
	(void)st;
	return PASSIVE_LEVEL;  /* a user thread, always */
}

static kmemu_status nt_irql_set(void *st, uint8_t irql, uint8_t *old)
{
	(void)st;
	(void)irql;
	(void)old;
	return STATUS_NOT_SUPPORTED;
}

static uint8_t nt_irql_raise(void *st, uint8_t irql)
{
	(void)st;
	(void)irql;
	return PASSIVE_LEVEL;  /* no IRQL: nothing is raised, nothing is checked */
}

static void nt_irql_lower(void *st, uint8_t irql)
{
	(void)st;
	(void)irql;
}

/* ops->stats_get: the library heap, the views and handles this instance holds. */
static kmemu_status nt_stats_get(void *st, struct kmemu_stats *out)
{
	struct nt_state *s = st;

	memset(out, 0, sizeof(*out));
	kmemu__heap_stats(&out->heap_blocks, &out->heap_bytes);
	nt_lock(s);
	out->mappings = s->views.n;
	out->handles_used = s->handles.n;
	nt_unlock(s);
	out->processes = 1;
	return STATUS_SUCCESS;
}

/*
 * nt_check() - ops->check: the instance's own bookkeeping against the
 * kernel (the kernel's invariants are not ours to see): the counts match
 * the lists, and every view recorded is still a mapped view at its base.
 * Return: STATUS_SUCCESS; STATUS_INTERNAL_ERROR with *@msg.
 */
static kmemu_status nt_check(void *st, const char **msg)
{
	struct nt_state *s = st;
	const char *why = NULL;
	uint64_t n = 0;

	nt_lock(s);
	for (struct nt_rec *v = s->views.head; v && !why; v = v->next) {
		struct nt_mbi m;

		n++;
		if (!NT_SUCCESS(s->api.query_vm(NT_CURRENT_PROCESS, (const void *)v->key, 0, &m,
						 sizeof(m), NULL)) ||
		    m.type != MEM_MAPPED || m.allocation_base != v->key)
			why = "nt: a view the instance mapped is no longer mapped at its base";
	}
	if (!why && n != s->views.n)
		why = "nt: the view count does not match the views recorded";
	n = 0;
	for (struct nt_rec *h = s->handles.head; h && !why; h = h->next)
		n++;
	if (!why && n != s->handles.n)
		why = "nt: the handle count does not match the handles recorded";
	nt_unlock(s);
	if (msg)
		*msg = why ? why : "";
	return why ? STATUS_INTERNAL_ERROR : STATUS_SUCCESS;
}

static DWORD nt_wds_alloc(void *st, WD_KERNEL_BUFFER *kb)
{
	(void)st;
	(void)kb;
	return WD_NOT_IMPLEMENTED;
}

static DWORD nt_wds_get(void *st, WD_KERNEL_BUFFER *kb)
{
	(void)st;
	(void)kb;
	return WD_NOT_IMPLEMENTED;
}

static DWORD nt_wds_free(void *st, WD_KERNEL_BUFFER *kb)
{
	(void)st;
	(void)kb;
	return WD_NOT_IMPLEMENTED;
}

/* ---- sections: straight to ntdll ------------------------------------------------- */

/* OBJECT_ATTRIBUTES for @name (UTF-16, @len units; NULL = none). */
static void nt_attributes(OBJECT_ATTRIBUTES *oa, UNICODE_STRING *us, const uint16_t *name,
			  size_t len, uint32_t attributes)
{
	memset(oa, 0, sizeof(*oa));
	oa->Length = sizeof(*oa);
	oa->Attributes = attributes;
	if (name) {
		us->Length = (USHORT)(len * sizeof(WCHAR));
		us->MaximumLength = us->Length;
		us->Buffer = (PWSTR)(uintptr_t)name;
		oa->ObjectName = us;
	}
}

/* ops->section_create: NtCreateSection. */
static kmemu_status nt_section_create(void *st, const struct kmemu_section_create_args *a,
				      uintptr_t *handle)
{
	struct nt_state *s = st;
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING us;
	LARGE_INTEGER size = { .QuadPart = a->size };
	struct nt_rec *rec = kmemu__calloc(1, sizeof(*rec));
	uintptr_t h = 0;
	int32_t rc;

	if (!rec)
		return STATUS_INSUFFICIENT_RESOURCES;
	nt_attributes(&oa, &us, a->name, a->name_len, a->obj_attributes);
	rc = s->api.create_section(&h, a->access, &oa, a->has_size ? &size : NULL, a->protect,
				   a->attributes, a->file);
	return nt_keep_handle(s, rec, kmemu__nt_status((uint32_t)rc, NT_OP_PASS), h, handle);
}

/* ops->section_open: NtOpenSection. */
static kmemu_status nt_section_open(void *st, uint32_t access, const uint16_t *name,
				    size_t name_len, uint32_t obj_attributes, uintptr_t *handle)
{
	struct nt_state *s = st;
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING us;
	struct nt_rec *rec = kmemu__calloc(1, sizeof(*rec));
	uintptr_t h = 0;
	int32_t rc;

	if (!rec)
		return STATUS_INSUFFICIENT_RESOURCES;
	nt_attributes(&oa, &us, name, name_len, obj_attributes);
	rc = s->api.open_section(&h, access, &oa);
	return nt_keep_handle(s, rec, kmemu__nt_status((uint32_t)rc, NT_OP_PASS), h, handle);
}

/* After a map: copy the outputs back and remember a view of this process. */
static kmemu_status nt_mapped(struct nt_state *s, struct nt_rec *rec, int32_t rc,
			      struct kmemu_section_map_args *a, void *base, size_t view_size,
			      const LARGE_INTEGER *offset)
{
	if (!NT_SUCCESS(rc)) {
		kmemu__free(rec);
		return kmemu__nt_status((uint32_t)rc, NT_OP_PASS);
	}
	a->base = (uintptr_t)base;
	a->view_size = view_size;
	if (a->has_offset)
		a->offset = (uint64_t)offset->QuadPart;
	if (nt_is_current(s, a->process)) {
		rec->offset = a->offset;
		rec->inherit = a->inherit;
		nt_rec_add(s, &s->views, rec, a->base);
	} else {
		kmemu__free(rec);
	}
	return rc;
}

/* ops->section_map: NtMapViewOfSection. */
static kmemu_status nt_section_map(void *st, struct kmemu_section_map_args *a)
{
	struct nt_state *s = st;
	struct nt_rec *rec = kmemu__calloc(1, sizeof(*rec));
	LARGE_INTEGER offset = { .QuadPart = (LONGLONG)a->offset };
	void *base = (void *)a->base;
	size_t view_size = (size_t)a->view_size;
	int32_t rc;

	if (!rec)
		return STATUS_INSUFFICIENT_RESOURCES;
	rc = s->api.map(a->section, a->process, &base, (uintptr_t)a->zero_bits,
			(size_t)a->commit_size, a->has_offset ? &offset : NULL, &view_size,
			a->inherit, a->allocation_type, a->protect);
	return nt_mapped(s, rec, rc, a, base, view_size, &offset);
}

/* ops->section_unmap: NtUnmapViewOfSection. */
static kmemu_status nt_section_unmap(void *st, uintptr_t process, uintptr_t base)
{
	struct nt_state *s = st;
	uintptr_t view = nt_view_base(s, base);
	int32_t rc = s->api.unmap(process, (void *)base);

	if (NT_SUCCESS(rc) && nt_is_current(s, process))
		nt_rec_forget(s, &s->views, view);
	return kmemu__nt_status((uint32_t)rc, NT_OP_PASS);
}

/* ops->section_query: NtQuerySection. */
static kmemu_status nt_section_query(void *st, uintptr_t section, int cls, void *buf, size_t len,
				     size_t *ret_len)
{
	struct nt_state *s = st;

	return kmemu__nt_status((uint32_t)s->api.query_section(section, cls, buf, len, ret_len),
				NT_OP_PASS);
}

/* ops->handle_close: NtClose. */
static kmemu_status nt_handle_close(void *st, uintptr_t handle)
{
	struct nt_state *s = st;
	int32_t rc = s->api.close(handle);

	if (NT_SUCCESS(rc))
		nt_rec_forget(s, &s->handles, handle);
	return kmemu__nt_status((uint32_t)rc, NT_OP_PASS);
}

/* ---- kernel-space objects: not in a user process ------------------------------- */

static kmemu_status nt_ob_reference(void *st, uintptr_t handle, uint32_t access, int type,
				    int check_access, void **object, uint32_t *granted)
{
	(void)st;
	(void)handle;
	(void)access;
	(void)type;
	(void)check_access;
	(void)object;
	(void)granted;
	return STATUS_NOT_SUPPORTED;
}

static kmemu_status nt_ob_dereference(void *st, void *object, int64_t *left)
{
	(void)st;
	(void)object;
	(void)left;
	return STATUS_NOT_SUPPORTED;
}

static kmemu_status nt_section_map_system(void *st, void *section, uint64_t *view_size, void **base)
{
	(void)st;
	(void)section;
	(void)view_size;
	(void)base;
	return STATUS_NOT_SUPPORTED;
}

static kmemu_status nt_section_unmap_system(void *st, void *base)
{
	(void)st;
	(void)base;
	return STATUS_NOT_SUPPORTED;
}

/* ---- Ex views (where ntdll exports them) ------------------------------------------ */

/*
 * nt_section_map_ex() - ops->section_map_ex: NtMapViewOfSectionEx, with
 * @highest given back to the kernel as the one extended parameter it came
 * from (MemExtendedParameterAddressRequirements.HighestEndingAddress).
 * Return: the kernel's status; STATUS_NOT_SUPPORTED without the export.
 */
static kmemu_status nt_section_map_ex(void *st, struct kmemu_section_map_args *a, uint64_t highest)
{
	struct nt_state *s = st;
	struct nt_addr_req req = { .highest = highest };
	struct nt_ext_param p = { .type = NT_EXT_ADDRESS_REQUIREMENTS, .pointer = (uintptr_t)&req };
	LARGE_INTEGER offset = { .QuadPart = (LONGLONG)a->offset };
	void *base = (void *)a->base;
	size_t view_size = (size_t)a->view_size;
	struct nt_rec *rec;
	int32_t rc;

	if (!s->api.map_ex)
		return STATUS_NOT_SUPPORTED;
	rec = kmemu__calloc(1, sizeof(*rec));
	if (!rec)
		return STATUS_INSUFFICIENT_RESOURCES;
	rc = s->api.map_ex(a->section, a->process, &base, a->has_offset ? &offset : NULL,
			   &view_size, a->allocation_type, a->protect, highest ? &p : NULL,
			   highest ? 1 : 0);
	return nt_mapped(s, rec, rc, a, base, view_size, &offset);
}

/* ops->section_unmap_ex: NtUnmapViewOfSectionEx. */
static kmemu_status nt_section_unmap_ex(void *st, uintptr_t process, uintptr_t base, uint32_t flags)
{
	struct nt_state *s = st;
	uintptr_t view;
	int32_t rc;

	if (!s->api.unmap_ex)
		return STATUS_NOT_SUPPORTED;
	view = nt_view_base(s, base);
	rc = s->api.unmap_ex(process, (void *)base, flags);
	if (NT_SUCCESS(rc) && nt_is_current(s, process))
		nt_rec_forget(s, &s->views, view);
	return kmemu__nt_status((uint32_t)rc, NT_OP_PASS);
}

/* ops->views_same: NtAreMappedFilesTheSame. */
static kmemu_status nt_views_same(void *st, uintptr_t addr1, uintptr_t addr2)
{
	struct nt_state *s = st;

	if (!s->api.same)
		return STATUS_NOT_SUPPORTED;
	return kmemu__nt_status((uint32_t)s->api.same((void *)addr1, (void *)addr2), NT_OP_PASS);
}

/* ---- the table ---------------------------------------------------------------------- */

const struct kmemu_backend_ops kmemu__nt_ops = {
	.version = 4,  /* the Ex slots (version 4); the version-3 ones answer NOT_SUPPORTED */
	.name = "nt",
	.description = "the NT native API of this process (ntdll: NtCreateSection, "
		       "NtMapViewOfSection[Ex] ...; Windows or Wine)",
	/* at best; ->open clears sections-ex when ntdll lacks an Ex export */
	.caps = KMEMU_CAP_SECTIONS | KMEMU_CAP_SECTIONS_EX,
	.app_data = NULL,
	.open = nt_open,                              /* open */
	.close = nt_close,                            /* close */
	.process_create = nt_process_create,          /* process_create */
	.process_destroy = nt_process_destroy,        /* process_destroy */
	.process_attach = nt_process_attach,          /* process_attach */
	.process_current = nt_process_current,        /* process_current */
	.virt_to_phys = nt_virt_to_phys,              /* virt_to_phys */
	.kernel_read = nt_kernel_read,                /* kernel_read */
	.kernel_write = nt_kernel_write,              /* kernel_write */
	.user_read = nt_user_read,                    /* user_read */
	.user_write = nt_user_write,                  /* user_write */
	.irql_get = nt_irql_get,                      /* irql_get */
	.irql_set = nt_irql_set,                      /* irql_set */
	.irql_raise = nt_irql_raise,                  /* irql_raise */
	.irql_lower = nt_irql_lower,                  /* irql_lower */
	.stats_get = nt_stats_get,                    /* stats_get */
	.check = nt_check,                            /* check */
	.wds_alloc = nt_wds_alloc,                    /* wds_alloc */
	.wds_get = nt_wds_get,                        /* wds_get */
	.wds_free = nt_wds_free,                      /* wds_free */
	.section_create = nt_section_create,          /* section_create */
	.section_open = nt_section_open,              /* section_open */
	.section_map = nt_section_map,                /* section_map */
	.section_unmap = nt_section_unmap,            /* section_unmap */
	.section_query = nt_section_query,            /* section_query */
	.handle_close = nt_handle_close,              /* handle_close */
	.process_open = nt_process_open,              /* process_open */
	.process_create_child = nt_process_create_child, /* process_create_child */
	.view_query = nt_view_query,                  /* view_query */
	.ob_reference = nt_ob_reference,              /* ob_reference */
	.ob_dereference = nt_ob_dereference,          /* ob_dereference */
	.section_map_system = nt_section_map_system,  /* section_map_system */
	.section_unmap_system = nt_section_unmap_system, /* section_unmap_system */
	.section_map_ex = nt_section_map_ex,          /* section_map_ex */
	.section_unmap_ex = nt_section_unmap_ex,      /* section_unmap_ex */
	.views_same = nt_views_same,                  /* views_same */
};
