/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the one seam: the versioned ops table every backend fills.
 *
 * The Windows-named functions and the kmemu_* control functions validate
 * what no kernel can check (NULL out-pointers, option bits) once, in api/,
 * then call a slot of the current instance's ops table.  A backend never
 * sees a NULL out-pointer.  Rules for every slot:
 *   - @st is the backend's own state from ->open().
 *   - A slot returns 0 / STATUS_SUCCESS / WD_STATUS_SUCCESS on success and
 *     leaves its outputs untouched on failure unless it says otherwise.
 *   - Slots are only ever appended; ->version says how many are valid.
 *     A slot a backend cannot serve is filled with a function that returns
 *     STATUS_NOT_SUPPORTED (or WD_NOT_IMPLEMENTED), never left NULL, and the
 *     matching KMEMU_CAP_* bit is clear.
 *   - The api layer holds no lock while calling a slot; the backend does
 *     its own locking.
 */
#ifndef KMEMU_BACKEND_H
#define KMEMU_BACKEND_H

#include <kmemu/kmemu.h>
#include <windrvr.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version 1: up to ->wds_free.  Version 2 appends the section slots
 * (->section_create ... ->view_query); the api layer calls them only on
 * tables whose ->version is at least 2.  Version 3 appends the object
 * reference and system-space view slots (->ob_reference ...
 * ->section_unmap_system), called only on tables of version 3 or later.
 * Version 4 appends the Ex view slots (->section_map_ex ...
 * ->views_same), called only on tables of version 4 or later.
 * Version 5 appends the locked user range slots (->mdl_probe_lock ...
 * ->mdl_revoke), called only on tables of version 5 or later that declare
 * KMEMU_CAP_WDF. */
#define KMEMU_BACKEND_VERSION 5

/* Capabilities a backend declares.  Conformance cases name the ones they need. */
#define KMEMU_CAP_WDS            (1ull << 0)   /* WDS_SharedBuffer* */
#define KMEMU_CAP_PHYS           (1ull << 1)   /* virt -> phys for any mapped page */
#define KMEMU_CAP_CONTIG         (1ull << 2)   /* CONTIG buffers are really contiguous */
#define KMEMU_CAP_MULTI_PROCESS  (1ull << 3)   /* several processes (emulated or real) */
#define KMEMU_CAP_IRQL           (1ull << 4)   /* per-thread IRQL, checked */
#define KMEMU_CAP_BUGCHECK       (1ull << 5)   /* bug checks reported to the handler */
#define KMEMU_CAP_FAULT_INJECT   (1ull << 6)   /* every acquisition can be failed */
#define KMEMU_CAP_KERNEL_ACCESS  (1ull << 7)   /* kernel_read/kernel_write */
#define KMEMU_CAP_CHECKERS       (1ull << 8)   /* invariant checkers */
#define KMEMU_CAP_PLACEMENT      (1ull << 9)   /* placement policies (scatter ...) */
#define KMEMU_CAP_VERIFIER       (1ull << 10)  /* WDF / Driver Verifier behaviour */
#define KMEMU_CAP_SECTIONS       (1ull << 11)  /* Zw*Section, views, process handles (v2) */
#define KMEMU_CAP_KERNEL_VIEWS   (1ull << 12)  /* ObReferenceObjectByHandle, Mm*ViewInSystemSpace (v3) */
#define KMEMU_CAP_SECTIONS_EX    (1ull << 13)  /* NtMapViewOfSectionEx, NtUnmapViewOfSectionEx, NtAreMappedFilesTheSame (v4) */
#define KMEMU_CAP_WDF            (1ull << 14)  /* KMDF requests from user processes, ProbeAndLock (v5) */
#define KMEMU_CAP_FLT            (1ull << 15)  /* Filter Manager contexts on emulated file-system objects */

/* Human-readable name of one capability bit, or NULL. */
const char *kmemu_cap_name(uint64_t cap);

/* ZwCreateSection's arguments after the api layer's checks (see api/section.c). */
struct kmemu_section_create_args {
	uint32_t access;           /* DesiredAccess, generic rights already mapped */
	const uint16_t *name;      /* UTF-16 name (starts with '\\'), or NULL for unnamed */
	size_t name_len;           /* UTF-16 units in @name */
	uint32_t obj_attributes;   /* OBJ_* (OBJ_OPENIF, OBJ_CASE_INSENSITIVE ...) */
	int has_size;              /* MaximumSize was given */
	int64_t size;              /* *MaximumSize (bytes) when @has_size */
	uint32_t protect;          /* SectionPageProtection, already valid */
	uint32_t attributes;       /* AllocationAttributes, already valid */
	uintptr_t file;            /* FileHandle value, 0 = paging-file backed */
};

/* ZwMapViewOfSection's arguments; in/out fields are written only on success. */
struct kmemu_section_map_args {
	uintptr_t section;         /* SectionHandle value */
	uintptr_t process;         /* ProcessHandle value ((uintptr_t)-1 = current) */
	uintptr_t base;            /* in: *BaseAddress (0 = system chooses); out: view base */
	uint64_t zero_bits;        /* ZeroBits */
	uint64_t commit_size;      /* CommitSize (bytes) */
	int has_offset;            /* SectionOffset was given */
	uint64_t offset;           /* in/out: *SectionOffset (bytes), 0 when absent */
	uint64_t view_size;        /* in/out: *ViewSize (bytes) */
	uint32_t inherit;          /* ViewShare / ViewUnmap, already valid */
	uint32_t allocation_type;  /* MEM_* bits, already valid */
	uint32_t protect;          /* Win32Protect, already valid */
};

/* Object types ObReferenceObjectByHandle can ask for (->ob_reference). */
enum kmemu_ob_type {
	KMEMU_OBTYPE_ANY = 0,      /* ObjectType NULL: any object */
	KMEMU_OBTYPE_SECTION = 1,  /* *MmSectionObjectType */
	KMEMU_OBTYPE_PROCESS = 2,  /* *PsProcessType */
	KMEMU_OBTYPE_OTHER = 3     /* a type no object of the backend has */
};

/* The report a revoked lock's kernel alias raises when touched (->mdl_revoke):
 * bug check @code with parameters @p1, @p2, the faulting address, @p4.
 * The strings must have static storage. */
struct kmemu_mdl_report {
	uint32_t code;             /* bug check code */
	uintptr_t p1, p2, p4;      /* parameters 1, 2 and 4 */
	const char *function;      /* the function named in the report */
	const char *detail;        /* one line: the rule broken */
};

struct kmemu_backend_ops {
	int version;                     /* KMEMU_BACKEND_VERSION the table was built for */
	const char *name;                /* "emu", "linux", "kmod", "nt" */
	const char *description;         /* one line for --list and reports */
	uint64_t caps;                   /* KMEMU_CAP_* */
	void *app_data;                  /* backend-global data, passed back in open */

	/* ---- instance lifetime ---------------------------------------------- */
	/* Create an instance for @cfg (never NULL) into *@st.  Statuses: as
	 * kmemu_backend_open(). */
	kmemu_status (*open)(const struct kmemu_backend_ops *ops, const struct kmemu_config *cfg,
			     void **st);
	/* Destroy an instance, releasing everything its processes hold. */
	void (*close)(void *st);

	/* ---- emulated processes (test side) ----------------------------------- */
	kmemu_status (*process_create)(void *st, const char *name, kmemu_pid *out);   /* process_create */
	kmemu_status (*process_destroy)(void *st, kmemu_pid pid);                      /* process_destroy */
	kmemu_status (*process_attach)(void *st, kmemu_pid pid, kmemu_pid *old);      /* process_attach */
	kmemu_status (*process_current)(void *st, kmemu_pid *out);                     /* process_current */

	/* ---- memory access and queries (test side) ---------------------------- */
	kmemu_status (*virt_to_phys)(void *st, kmemu_pid pid, const void *addr, uint64_t *phys);
	kmemu_status (*kernel_read)(void *st, uint64_t kaddr, void *buf, size_t len);
	kmemu_status (*kernel_write)(void *st, uint64_t kaddr, const void *buf, size_t len);
	kmemu_status (*user_read)(void *st, kmemu_pid pid, uint64_t uaddr, void *buf, size_t len);
	kmemu_status (*user_write)(void *st, kmemu_pid pid, uint64_t uaddr, const void *buf,
				   size_t len);

	/* ---- IRQL ------------------------------------------------------------- */
	uint8_t (*irql_get)(void *st);                                 /* irql_get */
	/* Set without rules (test side); ->irql_raise/lower apply Windows' rules. */
	kmemu_status (*irql_set)(void *st, uint8_t irql, uint8_t *old);
	/* KeRaiseIrql: @irql below the current level bug checks
	 * IRQL_NOT_GREATER_OR_EQUAL; returns the old level. */
	uint8_t (*irql_raise)(void *st, uint8_t irql);
	/* KeLowerIrql: @irql above the current level bug checks IRQL_NOT_LESS_OR_EQUAL. */
	void (*irql_lower)(void *st, uint8_t irql);

	/* ---- accounting ------------------------------------------------------- */
	kmemu_status (*stats_get)(void *st, struct kmemu_stats *out);  /* stats_get */
	kmemu_status (*check)(void *st, const char **msg);             /* check */

	/* ---- WinDriver shared buffers ---------------------------------------- */
	/* Allocate @kb->qwBytes with @kb->dwOptions (already validated by api/)
	 * and fill hKerBuf, pKernelAddr, pUserAddr for the current process.
	 * @kb is owned by the caller and is the key of the new holding.
	 * Return: WD_STATUS_SUCCESS; WD_INSUFFICIENT_RESOURCES. */
	DWORD (*wds_alloc)(void *st, WD_KERNEL_BUFFER *kb);
	/* Map the buffer @kb->hKerBuf into the current process, filling every
	 * field of @kb.  Return: WD_STATUS_SUCCESS; WD_INVALID_HANDLE;
	 * WD_INSUFFICIENT_RESOURCES. */
	DWORD (*wds_get)(void *st, WD_KERNEL_BUFFER *kb);
	/* Descriptions come from kmemu__malloc(); when a process exits or the
	 * instance closes, the backend frees the descriptions of the holdings
	 * it drops, as process exit frees a Windows process's heap. */
	/* Drop the current process's holding keyed by @kb.  Return:
	 * WD_STATUS_SUCCESS; WD_INVALID_HANDLE when the current process holds no
	 * such @kb (the caller must then not free @kb). */
	DWORD (*wds_free)(void *st, WD_KERNEL_BUFFER *kb);

	/* ---- sections and views (version 2) ---------------------------------- */
	/* The api layer has checked the IRQL, the pointers, the OBJECT_ATTRIBUTES
	 * shape and the pure parameter rules (see api/section.c); a slot checks
	 * the rest in the documented order.  Handles are the values of HANDLE. */
	/* ZwCreateSection: *@handle receives a handle in the current process.
	 * Return: STATUS_SUCCESS / STATUS_OBJECT_NAME_EXISTS, or a failure. */
	kmemu_status (*section_create)(void *st, const struct kmemu_section_create_args *a,
				       uintptr_t *handle);
	/* ZwOpenSection by name (@name_len UTF-16 units). */
	kmemu_status (*section_open)(void *st, uint32_t access, const uint16_t *name,
				     size_t name_len, uint32_t obj_attributes, uintptr_t *handle);
	/* ZwMapViewOfSection from step 5 of spec §9b on. */
	kmemu_status (*section_map)(void *st, struct kmemu_section_map_args *a);
	/* ZwUnmapViewOfSection. */
	kmemu_status (*section_unmap)(void *st, uintptr_t process, uintptr_t base);
	/* NtQuerySection: @buf (@len bytes) receives class @cls; *@ret_len the size. */
	kmemu_status (*section_query)(void *st, uintptr_t section, int cls, void *buf, size_t len,
				      size_t *ret_len);
	/* ZwClose of a handle of the current process. */
	kmemu_status (*handle_close)(void *st, uintptr_t handle);
	/* Test side: a handle (in the current process) to process @pid with @access. */
	kmemu_status (*process_open)(void *st, kmemu_pid pid, uint32_t access, uintptr_t *handle);
	/* Test side: a process created as a child of @parent (ViewShare views inherited). */
	kmemu_status (*process_create_child)(void *st, kmemu_pid parent, const char *name,
					     kmemu_pid *out);
	/* Test side: the view of process @pid (0 = current) containing @addr. */
	kmemu_status (*view_query)(void *st, kmemu_pid pid, const void *addr,
				   struct kmemu_view_info *out);

	/* ---- object references and system-space views (version 3) ----------- */
	/* The api layer has checked the IRQL and the pointers (see api/section.c). */
	/* ObReferenceObjectByHandle on a handle of the current process: checks,
	 * in order, the handle (STATUS_INVALID_HANDLE), @type
	 * (STATUS_OBJECT_TYPE_MISMATCH), then with @check_access (UserMode) that
	 * the handle grants every bit of @access (STATUS_ACCESS_DENIED).  On
	 * success *@object is the object's body, holding one new reference, and
	 * *@granted the handle's granted access. */
	kmemu_status (*ob_reference)(void *st, uintptr_t handle, uint32_t access, int type,
				     int check_access, void **object, uint32_t *granted);
	/* ObDereferenceObject: drop one reference ->ob_reference gave on @object;
	 * *@left receives the object's references left.  STATUS_INVALID_PARAMETER
	 * when the caller holds no such reference (the api layer bug checks). */
	kmemu_status (*ob_dereference)(void *st, void *object, int64_t *left);
	/* MmMapViewInSystemSpace of the section body @section; *@view_size in/out
	 * (0 = whole section; out: page rounded), *@base receives the view. */
	kmemu_status (*section_map_system)(void *st, void *section, uint64_t *view_size,
					   void **base);
	/* MmUnmapViewInSystemSpace: STATUS_NOT_MAPPED_VIEW when @base is no
	 * system-space view (the api layer bug checks). */
	kmemu_status (*section_unmap_system)(void *st, void *base);

	/* ---- Ex views (version 4) -------------------------------------------- */
	/* The api layer has checked the IRQL, the pointers, the AllocationType
	 * and protection rules and every extended-parameter rule (see
	 * api/section_rules.c); @a has ZeroBits, CommitSize 0 and ViewUnmap. */
	/* NtMapViewOfSectionEx: ->section_map with the view ending at or below
	 * @highest (inclusive; 0 = no requirement, then only the user range). */
	kmemu_status (*section_map_ex)(void *st, struct kmemu_section_map_args *a, uint64_t highest);
	/* NtUnmapViewOfSectionEx, @flags already valid: as ->section_unmap, then
	 * STATUS_CONFLICTING_ADDRESSES for MEM_PRESERVE_PLACEHOLDER on a view
	 * that replaced no placeholder (the view stays). */
	kmemu_status (*section_unmap_ex)(void *st, uintptr_t process, uintptr_t base,
					 uint32_t flags);
	/* NtAreMappedFilesTheSame in the current process: STATUS_SUCCESS (one
	 * view), STATUS_NOT_SAME_DEVICE (two views), STATUS_INVALID_ADDRESS (an
	 * address not mapped in the process), STATUS_CONFLICTING_ADDRESSES
	 * (mapped memory that is no view). */
	kmemu_status (*views_same)(void *st, uintptr_t addr1, uintptr_t addr2);

	/* ---- locked user ranges (version 5) ---------------------------------- */
	/* MmProbeAndLockPages(UserMode) + MmGetSystemAddressForMdlSafe on
	 * [@uaddr, @uaddr + @len) of the CURRENT process (@len >= 1; the api
	 * layer has checked the rest).  Statuses: STATUS_ACCESS_VIOLATION when
	 * the range wraps, reaches kernel space, has a page that is not mapped
	 * (or not committed), a page the process cannot access (PAGE_NOACCESS,
	 * guard) or, for @write, a page the process cannot write;
	 * STATUS_INSUFFICIENT_RESOURCES.  On success *@kernel_alias is the
	 * kernel address of @uaddr's byte in a second mapping of the same frames
	 * (a different address; writes land in the user buffer) and *@lock the
	 * lock for ->mdl_unlock.  While locked the frames stay allocated and the
	 * alias valid, even if the user mapping goes away. */
	kmemu_status (*mdl_probe_lock)(void *st, uint64_t uaddr, size_t len, int write,
				       void **kernel_alias, void **lock);
	/* MmUnlockPages + IoFreeMdl: unmap the alias and release the frames.
	 * STATUS_INVALID_PARAMETER when @lock is no live lock. */
	kmemu_status (*mdl_unlock)(void *st, void *lock);
	/* Make the alias of @lock inaccessible until ->mdl_unlock; a touch is
	 * reported as bug check @r (report and continue: if the handler returns,
	 * the access completes).  STATUS_NOT_SUPPORTED where the backend cannot
	 * trap accesses; STATUS_INVALID_PARAMETER for no live lock or a lock
	 * already revoked; STATUS_INSUFFICIENT_RESOURCES. */
	kmemu_status (*mdl_revoke)(void *st, void *lock, const struct kmemu_mdl_report *r);
};

/**
 * kmemu_backend_register() - add a backend to the registry.
 * @ops: a static table; its name must be unique.
 * Context: PASSIVE, before or after other backends are open.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL, no name, version
 * newer than this library); STATUS_OBJECT_NAME_COLLISION (name taken);
 * STATUS_INSUFFICIENT_RESOURCES (registry full: 16 entries).
 */
kmemu_status kmemu_backend_register(const struct kmemu_backend_ops *ops);

/**
 * kmemu_backend_ops_of() - the ops table and state of an open instance.
 * @b:  an instance.
 * @st: receives the backend state (may be NULL).
 * Return: the ops table.
 */
const struct kmemu_backend_ops *kmemu_backend_ops_of(struct kmemu_backend *b, void **st);

/**
 * kmemu_backend_instance_lacks() - report, from ->open, capabilities this
 * machine does not give the instance being opened.
 * @caps: KMEMU_CAP_* bits of ops->caps to clear for this instance (e.g. no
 *        huge pages reserved: KMEMU_CAP_CONTIG).  Calls accumulate.
 *
 * ops->caps says what a backend can do at best; kmemu_backend_caps() of an
 * instance says what it can do here, so the conformance runner reports the
 * cases needing the rest UNSUPPORTED instead of failing them.
 * Context: only inside the backend's ->open, on the thread running it.
 */
void kmemu_backend_instance_lacks(uint64_t caps);

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_BACKEND_H */
