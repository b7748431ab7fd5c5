/* SPDX-License-Identifier: MIT */
/*
 * section.c - the section services (ZwCreateSection, ZwOpenSection,
 * ZwMapViewOfSection, ZwUnmapViewOfSection, ZwClose, NtQuerySection and the
 * Nt* aliases): the api half, for every backend.
 *
 * This half does what happens on Windows before the memory manager sees the
 * call, and what no kernel of another OS could check for us: the IRQL rule
 * (PASSIVE_LEVEL, else the bug check below), capturing the caller's pointers
 * (a NULL out-pointer is the access violation the Nt probe raises), the shape
 * of OBJECT_ATTRIBUTES, and the pure parameter rules of spec/sections.md §9b
 * steps 1-3 (InheritDisposition, AllocationType bits, Win32Protect) and of
 * §2 (AllocationAttributes, SectionPageProtection).  Everything that needs
 * the machine - sizes, handles, addresses, placement - is the backend's
 * (ops->section_*, version 2).  A backend whose table is older than version
 * 2 answers STATUS_NOT_SUPPORTED.  ObReferenceObjectByHandle,
 * ObfDereferenceObject and MmMapViewInSystemSpace / MmUnmapViewInSystemSpace
 * (kernel-space views) use the version-3 slots (ops->ob_*,
 * ops->section_*_system); older tables answer STATUS_NOT_SUPPORTED.
 * NtMapViewOfSectionEx, NtUnmapViewOfSectionEx and NtAreMappedFilesTheSame
 * (and the Zw aliases) use the version-4 slots (ops->section_map_ex,
 * ->section_unmap_ex, ->views_same) after the pure rules of
 * api/section_rules.c; older tables answer STATUS_NOT_SUPPORTED.
 *
 * IRQL: every service here requires PASSIVE_LEVEL.  At a higher level the
 * call raises IRQL_NOT_LESS_OR_EQUAL (0xA), p1 = the routine's address,
 * p2 = the IRQL, p3 = 8 (execute), p4 = the routine's address: Nt/Zw
 * section services are pageable code (ntoskrnl's PAGE section), and Driver
 * Verifier's IRQL checking trims pageable memory whenever IRQL is raised, so
 * entering one at DISPATCH_LEVEL faults on an instruction fetch that cannot
 * be paged in - the documented 0xA with an execute access.  If a handler
 * returns from the report, the call returns STATUS_UNSUCCESSFUL and does
 * nothing.  The Nt* functions are the Zw* ones (a kernel-mode caller's
 * previous mode is KernelMode for both here).
 */
#include <string.h>
#include <wdm.h>
#include "core.h"

/* AllocationType bits NtMapViewOfSection accepts on x64 (spec §4.1 step 2
 * plus the seed's MEM_DIFFERENT_IMAGE_BASE_OK and MEM_REPLACE_PLACEHOLDER). */
#define MAP_ALLOCATION_TYPES (MEM_TOP_DOWN | MEM_LARGE_PAGES | SEC_NO_CHANGE | MEM_RESERVE | \
			      MEM_DIFFERENT_IMAGE_BASE_OK | MEM_REPLACE_PLACEHOLDER)
/* AllocationAttributes bits ZwCreateSection accepts (spec §2). */
#define CREATE_ATTRIBUTES (SEC_COMMIT | SEC_RESERVE | SEC_IMAGE | SEC_NOCACHE | SEC_WRITECOMBINE | \
			   SEC_LARGE_PAGES | SEC_NO_CHANGE)
#define HANDLE_VALUE(h) ((uintptr_t)(h))

/* ---- shared checks ------------------------------------------------------------- */

/* The current backend if it serves sections, else NULL with *@rc set. */
static struct kmemu_backend *section_backend(kmemu_status *rc)
{
	struct kmemu_backend *b = kmemu__current();

	if (!b) {
		*rc = STATUS_NOT_FOUND;
		return NULL;
	}
	if (b->ops->version < 2 || !(kmemu_backend_caps(b) & KMEMU_CAP_SECTIONS)) {
		*rc = STATUS_NOT_SUPPORTED;
		return NULL;
	}
	return b;
}

/* 0 at PASSIVE_LEVEL; otherwise reports the bug check (see the file comment)
 * and returns 1 when a handler returned.  No lock is held here. */
static int section_irql_bad(struct kmemu_backend *b, const char *fn, const void *routine)
{
	uint8_t irql = b->ops->irql_get(b->st);

	if (irql == PASSIVE_LEVEL)
		return 0;
	kmemu__bugcheck(fn, "a pageable section service was called above PASSIVE_LEVEL",
			IRQL_NOT_LESS_OR_EQUAL, (uintptr_t)routine, irql, 8, (uintptr_t)routine);
	return 1;
}

/* Map GENERIC_* and MAXIMUM_ALLOWED to section rights (the section type's
 * generic mapping). */
static uint32_t section_map_generic(uint32_t access)
{
	uint32_t out = access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL |
				  MAXIMUM_ALLOWED | ACCESS_SYSTEM_SECURITY);

	if (access & GENERIC_READ)
		out |= STANDARD_RIGHTS_READ | SECTION_QUERY | SECTION_MAP_READ;
	if (access & GENERIC_WRITE)
		out |= STANDARD_RIGHTS_WRITE | SECTION_MAP_WRITE;
	if (access & GENERIC_EXECUTE)
		out |= STANDARD_RIGHTS_EXECUTE | SECTION_MAP_EXECUTE;
	if (access & (GENERIC_ALL | MAXIMUM_ALLOWED))
		out |= SECTION_ALL_ACCESS;
	return out;
}

/* Capture OBJECT_ATTRIBUTES: name (NULL when unnamed) and attributes.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (Length, attribute bits,
 * a malformed UNICODE_STRING); STATUS_OBJECT_PATH_SYNTAX_BAD (a name not
 * starting with '\' and no RootDirectory); STATUS_INVALID_HANDLE
 * (RootDirectory: no directory objects exist in the emulator). */
static kmemu_status section_capture_attributes(const OBJECT_ATTRIBUTES *oa, const uint16_t **name,
					       size_t *name_len, uint32_t *attributes)
{
	const UNICODE_STRING *us;

	*name = NULL;
	*name_len = 0;
	*attributes = 0;
	if (!oa)
		return STATUS_SUCCESS;
	if (oa->Length != sizeof(OBJECT_ATTRIBUTES) || (oa->Attributes & ~OBJ_VALID_ATTRIBUTES))
		return STATUS_INVALID_PARAMETER;
	*attributes = oa->Attributes;
	us = oa->ObjectName;
	if (oa->RootDirectory)
		return STATUS_INVALID_HANDLE;
	if (!us || us->Length == 0)
		return STATUS_SUCCESS;
	if ((us->Length & 1) || us->Length > us->MaximumLength || !us->Buffer)
		return STATUS_INVALID_PARAMETER;
	if (us->Buffer[0] != L'\\')
		return STATUS_OBJECT_PATH_SYNTAX_BAD;
	*name = (const uint16_t *)us->Buffer;
	*name_len = us->Length / sizeof(WCHAR);
	return STATUS_SUCCESS;
}

/* SectionPageProtection: exactly one base protection other than
 * PAGE_NOACCESS, no modifier (R3 SimpleErrorChecks, R4 MiMakeProtectionMask). */
static int section_create_protect_valid(uint32_t p)
{
	switch (p) {
	case PAGE_READONLY: case PAGE_READWRITE: case PAGE_WRITECOPY: case PAGE_EXECUTE:
	case PAGE_EXECUTE_READ: case PAGE_EXECUTE_READWRITE: case PAGE_EXECUTE_WRITECOPY:
		return 1;
	default:
		return 0;
	}
}

/* AllocationAttributes rules of spec §2 (all P6). */
static int section_create_attributes_valid(uint32_t a)
{
	uint32_t kind = a & (SEC_COMMIT | SEC_RESERVE | SEC_IMAGE);

	if (a & ~CREATE_ATTRIBUTES)
		return 0;
	if (kind != SEC_COMMIT && kind != SEC_RESERVE && kind != SEC_IMAGE)
		return 0;  /* none of them, or two */
	if ((a & SEC_IMAGE) && (a & (SEC_LARGE_PAGES | SEC_NO_CHANGE | SEC_WRITECOMBINE)))
		return 0;  /* SEC_IMAGE | SEC_NOCACHE is SEC_IMAGE_NO_EXECUTE */
	if ((a & SEC_NOCACHE) && (a & SEC_WRITECOMBINE))
		return 0;
	if ((a & SEC_LARGE_PAGES) && !(a & SEC_COMMIT))
		return 0;
	return 1;
}

/* Win32Protect validity (R4 MiMakeProtectionMask, spec §4.4). */
static int section_map_protect_valid(uint32_t p)
{
	uint32_t lo = p & 0x0Fu, hi = p & 0xF0u;

	if (p >= 0x800u || !lo == !hi)
		return 0;
	if ((lo & (lo - 1)) || (hi & (hi - 1)))
		return 0;
	if ((p & PAGE_GUARD) && (lo == PAGE_NOACCESS || (p & (PAGE_NOCACHE | PAGE_WRITECOMBINE))))
		return 0;
	if ((p & PAGE_NOCACHE) && (lo == PAGE_NOACCESS || (p & PAGE_WRITECOMBINE)))
		return 0;
	if ((p & PAGE_WRITECOMBINE) && lo == PAGE_NOACCESS)
		return 0;
	return 1;
}

/* ---- the services -------------------------------------------------------------------- */

static NTSTATUS section_create(const char *fn, const void *routine, PHANDLE SectionHandle,
			       ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
			       PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection,
			       ULONG AllocationAttributes, HANDLE FileHandle)
{
	struct kmemu_section_create_args a = { 0 };
	kmemu_status rc;
	struct kmemu_backend *b = section_backend(&rc);
	uintptr_t h = 0;

	if (!b)
		return rc;
	if (section_irql_bad(b, fn, routine))
		return STATUS_UNSUCCESSFUL;
	if (!SectionHandle)
		return STATUS_ACCESS_VIOLATION;
	rc = section_capture_attributes(ObjectAttributes, &a.name, &a.name_len, &a.obj_attributes);
	if (rc)
		return rc;
	if (!section_create_attributes_valid(AllocationAttributes))
		return STATUS_INVALID_PARAMETER_6;
	if (!section_create_protect_valid(SectionPageProtection))
		return STATUS_INVALID_PAGE_PROTECTION;
	a.access = section_map_generic(DesiredAccess);
	a.has_size = MaximumSize != NULL;
	a.size = MaximumSize ? MaximumSize->QuadPart : 0;
	a.protect = SectionPageProtection;
	a.attributes = AllocationAttributes;
	a.file = HANDLE_VALUE(FileHandle);
	rc = b->ops->section_create(b->st, &a, &h);
	if (NT_SUCCESS(rc))
		*SectionHandle = (HANDLE)h;
	return rc;
}

static NTSTATUS section_open(const char *fn, const void *routine, PHANDLE SectionHandle,
			     ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)
{
	const uint16_t *name;
	size_t name_len;
	uint32_t attributes;
	kmemu_status rc;
	struct kmemu_backend *b = section_backend(&rc);
	uintptr_t h = 0;

	if (!b)
		return rc;
	if (section_irql_bad(b, fn, routine))
		return STATUS_UNSUCCESSFUL;
	if (!SectionHandle || !ObjectAttributes)
		return STATUS_ACCESS_VIOLATION;
	rc = section_capture_attributes(ObjectAttributes, &name, &name_len, &attributes);
	if (rc)
		return rc;
	if (!name)  /* opening needs a name */
		return STATUS_OBJECT_PATH_SYNTAX_BAD;
	rc = b->ops->section_open(b->st, section_map_generic(DesiredAccess), name, name_len,
				  attributes, &h);
	if (NT_SUCCESS(rc))
		*SectionHandle = (HANDLE)h;
	return rc;
}

static NTSTATUS section_map(const char *fn, const void *routine, HANDLE SectionHandle,
			    HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
			    SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
			    SECTION_INHERIT InheritDisposition, ULONG AllocationType,
			    ULONG Win32Protect)
{
	struct kmemu_section_map_args a = { 0 };
	kmemu_status rc;
	struct kmemu_backend *b = section_backend(&rc);

	if (!b)
		return rc;
	if (section_irql_bad(b, fn, routine))
		return STATUS_UNSUCCESSFUL;
	/* §9b steps 1-4 */
	if (InheritDisposition != ViewShare && InheritDisposition != ViewUnmap)
		return STATUS_INVALID_PARAMETER_8;
	if (AllocationType & ~(ULONG)MAP_ALLOCATION_TYPES)
		return STATUS_INVALID_PARAMETER_9;
	if (!section_map_protect_valid(Win32Protect))
		return STATUS_INVALID_PAGE_PROTECTION;
	if (!BaseAddress || !ViewSize)
		return STATUS_ACCESS_VIOLATION;
	a.section = HANDLE_VALUE(SectionHandle);
	a.process = HANDLE_VALUE(ProcessHandle);
	a.base = (uintptr_t)*BaseAddress;
	a.zero_bits = ZeroBits;
	a.commit_size = CommitSize;
	a.has_offset = SectionOffset != NULL;
	a.offset = SectionOffset ? (uint64_t)SectionOffset->QuadPart : 0;
	a.view_size = *ViewSize;
	a.inherit = (uint32_t)InheritDisposition;
	a.allocation_type = AllocationType;
	a.protect = Win32Protect;
	rc = b->ops->section_map(b->st, &a);
	if (NT_SUCCESS(rc)) {
		*BaseAddress = (PVOID)a.base;
		*ViewSize = (SIZE_T)a.view_size;
		if (SectionOffset)
			SectionOffset->QuadPart = (LONGLONG)a.offset;
	}
	return rc;
}

static NTSTATUS section_unmap(const char *fn, const void *routine, HANDLE ProcessHandle,
			      PVOID BaseAddress)
{
	kmemu_status rc;
	struct kmemu_backend *b = section_backend(&rc);

	if (!b)
		return rc;
	if (section_irql_bad(b, fn, routine))
		return STATUS_UNSUCCESSFUL;
	return b->ops->section_unmap(b->st, HANDLE_VALUE(ProcessHandle), (uintptr_t)BaseAddress);
}

static NTSTATUS section_close(const char *fn, const void *routine, HANDLE Handle)
{
	kmemu_status rc;
	struct kmemu_backend *b = section_backend(&rc);

	if (!b)
		return rc;
	if (section_irql_bad(b, fn, routine))
		return STATUS_UNSUCCESSFUL;
	return b->ops->handle_close(b->st, HANDLE_VALUE(Handle));
}

/* ---- exported names ------------------------------------------------------------------- */

NTSTATUS NTAPI ZwCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
			       POBJECT_ATTRIBUTES ObjectAttributes, PLARGE_INTEGER MaximumSize,
			       ULONG SectionPageProtection, ULONG AllocationAttributes,
			       HANDLE FileHandle)
{
	return section_create("ZwCreateSection", (const void *)ZwCreateSection, SectionHandle,
			      DesiredAccess, ObjectAttributes, MaximumSize, SectionPageProtection,
			      AllocationAttributes, FileHandle);
}

NTSTATUS NTAPI NtCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
			       POBJECT_ATTRIBUTES ObjectAttributes, PLARGE_INTEGER MaximumSize,
			       ULONG SectionPageProtection, ULONG AllocationAttributes,
			       HANDLE FileHandle)
{
	return section_create("NtCreateSection", (const void *)NtCreateSection, SectionHandle,
			      DesiredAccess, ObjectAttributes, MaximumSize, SectionPageProtection,
			      AllocationAttributes, FileHandle);
}

NTSTATUS NTAPI ZwOpenSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
			     POBJECT_ATTRIBUTES ObjectAttributes)
{
	return section_open("ZwOpenSection", (const void *)ZwOpenSection, SectionHandle,
			    DesiredAccess, ObjectAttributes);
}

NTSTATUS NTAPI NtOpenSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
			     POBJECT_ATTRIBUTES ObjectAttributes)
{
	return section_open("NtOpenSection", (const void *)NtOpenSection, SectionHandle,
			    DesiredAccess, ObjectAttributes);
}

NTSTATUS NTAPI ZwMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress,
				  ULONG_PTR ZeroBits, SIZE_T CommitSize,
				  PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
				  SECTION_INHERIT InheritDisposition, ULONG AllocationType,
				  ULONG Win32Protect)
{
	return section_map("ZwMapViewOfSection", (const void *)ZwMapViewOfSection, SectionHandle,
			   ProcessHandle, BaseAddress, ZeroBits, CommitSize, SectionOffset, ViewSize,
			   InheritDisposition, AllocationType, Win32Protect);
}

NTSTATUS NTAPI NtMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress,
				  ULONG_PTR ZeroBits, SIZE_T CommitSize,
				  PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
				  SECTION_INHERIT InheritDisposition, ULONG AllocationType,
				  ULONG Win32Protect)
{
	return section_map("NtMapViewOfSection", (const void *)NtMapViewOfSection, SectionHandle,
			   ProcessHandle, BaseAddress, ZeroBits, CommitSize, SectionOffset, ViewSize,
			   InheritDisposition, AllocationType, Win32Protect);
}

NTSTATUS NTAPI ZwUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress)
{
	return section_unmap("ZwUnmapViewOfSection", (const void *)ZwUnmapViewOfSection,
			     ProcessHandle, BaseAddress);
}

NTSTATUS NTAPI NtUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress)
{
	return section_unmap("NtUnmapViewOfSection", (const void *)NtUnmapViewOfSection,
			     ProcessHandle, BaseAddress);
}

NTSTATUS NTAPI ZwClose(HANDLE Handle)
{
	return section_close("ZwClose", (const void *)ZwClose, Handle);
}

NTSTATUS NTAPI NtClose(HANDLE Handle)
{
	return section_close("NtClose", (const void *)NtClose, Handle);
}

NTSTATUS NTAPI NtQuerySection(HANDLE SectionHandle, SECTION_INFORMATION_CLASS SectionInformationClass,
			      PVOID SectionInformation, SIZE_T SectionInformationLength,
			      PSIZE_T ResultLength)
{
	kmemu_status rc;
	struct kmemu_backend *b = section_backend(&rc);
	size_t ret = 0;

	if (!b)
		return rc;
	if (section_irql_bad(b, "NtQuerySection", (const void *)NtQuerySection))
		return STATUS_UNSUCCESSFUL;
	if (SectionInformationClass < SectionBasicInformation ||
	    SectionInformationClass >= MaxSectionInfoClass)
		return STATUS_INVALID_INFO_CLASS;
	if (!SectionInformation)
		return STATUS_ACCESS_VIOLATION;
	rc = b->ops->section_query(b->st, HANDLE_VALUE(SectionHandle), (int)SectionInformationClass,
				   SectionInformation, SectionInformationLength, &ret);
	if (NT_SUCCESS(rc) && ResultLength)
		*ResultLength = ret;
	return rc;
}

VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
	size_t n = 0;

	if (!SourceString) {
		DestinationString->Length = 0;
		DestinationString->MaximumLength = 0;
		DestinationString->Buffer = NULL;
		return;
	}
	while (SourceString[n])
		n++;
	if (n > 0x7FFE)  /* as Windows: clamp to what a USHORT byte count holds */
		n = 0x7FFE;
	DestinationString->Length = (USHORT)(n * sizeof(WCHAR));
	DestinationString->MaximumLength = (USHORT)(n * sizeof(WCHAR) + sizeof(WCHAR));
	DestinationString->Buffer = (PWSTR)SourceString;
}

/* ---- object references and system-space views (version 3) ----------------------------- */

/* The type objects: opaque to drivers, compared by address. */
struct _OBJECT_TYPE {
	const char *name;  /* "Section", "Process" */
};

static struct _OBJECT_TYPE section_type = { "Section" };
static struct _OBJECT_TYPE process_type = { "Process" };
static POBJECT_TYPE section_type_ptr = &section_type;
static POBJECT_TYPE process_type_ptr = &process_type;

POBJECT_TYPE *MmSectionObjectType = &section_type_ptr;
POBJECT_TYPE *PsProcessType = &process_type_ptr;

/* The current backend if it serves object references and system-space views
 * (version 3 and KMEMU_CAP_KERNEL_VIEWS), else NULL with *@rc set. */
static struct kmemu_backend *kview_backend(kmemu_status *rc)
{
	struct kmemu_backend *b = kmemu__current();

	if (!b) {
		*rc = STATUS_NOT_FOUND;
		return NULL;
	}
	if (b->ops->version < 3 || !(kmemu_backend_caps(b) & KMEMU_CAP_KERNEL_VIEWS)) {
		*rc = STATUS_NOT_SUPPORTED;
		return NULL;
	}
	return b;
}

/* 0 at or below @max; otherwise the bug check of section_irql_bad() (the
 * routines are pageable) and 1 when a handler returned. */
static int kview_irql_bad(struct kmemu_backend *b, const char *fn, const void *routine,
			  uint8_t max)
{
	uint8_t irql = b->ops->irql_get(b->st);

	if (irql <= max)
		return 0;
	kmemu__bugcheck(fn, "a pageable routine was called above its documented IRQL",
			IRQL_NOT_LESS_OR_EQUAL, (uintptr_t)routine, irql, 8, (uintptr_t)routine);
	return 1;
}

/**
 * ObReferenceObjectByHandle() - the object a handle of the current process
 * names, with a new reference.
 * @Handle:            a handle (NtCurrentProcess() names the current process).
 * @DesiredAccess:     access checked against the handle's granted access when
 *                     @AccessMode is UserMode (generic rights are not mapped,
 *                     as on Windows: they are denied); KernelMode skips it.
 * @ObjectType:        *MmSectionObjectType, *PsProcessType or NULL (any).
 * @AccessMode:        KernelMode or UserMode (any value but KernelMode checks).
 * @Object:            set to NULL, then on success to the object's body.
 * @HandleInformation: NULL, or receives HandleAttributes 0 and GrantedAccess.
 *
 * Order as Windows: handle, type, access.  A process body is the handle's
 * process object (two handles opened separately give two bodies).
 * Context: PASSIVE_LEVEL (documented); above it IRQL_NOT_LESS_OR_EQUAL (0xA,
 * p3 = 8) as the section services, then STATUS_UNSUCCESSFUL.
 * Return: STATUS_SUCCESS; STATUS_INVALID_HANDLE; STATUS_OBJECT_TYPE_MISMATCH
 * (also for the thread pseudo handle with a type); STATUS_ACCESS_DENIED;
 * STATUS_NOT_SUPPORTED (backend before version 3, or the thread pseudo
 * handle without a type: no thread objects); STATUS_ACCESS_VIOLATION (NULL
 * @Object); STATUS_INSUFFICIENT_RESOURCES (the reference record).  The caller
 * drops the reference with ObDereferenceObject().
 */
NTSTATUS NTAPI ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess,
					 POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
					 PVOID *Object, POBJECT_HANDLE_INFORMATION HandleInformation)
{
	kmemu_status rc;
	struct kmemu_backend *b = kview_backend(&rc);
	int type;
	void *obj = NULL;
	uint32_t granted = 0;

	if (!b)
		return rc;
	if (kview_irql_bad(b, "ObReferenceObjectByHandle", (const void *)ObReferenceObjectByHandle,
			   PASSIVE_LEVEL))
		return STATUS_UNSUCCESSFUL;
	if (!Object)
		return STATUS_ACCESS_VIOLATION;
	*Object = NULL;
	if (!ObjectType)
		type = KMEMU_OBTYPE_ANY;
	else if (ObjectType == &section_type)
		type = KMEMU_OBTYPE_SECTION;
	else if (ObjectType == &process_type)
		type = KMEMU_OBTYPE_PROCESS;
	else
		type = KMEMU_OBTYPE_OTHER;
	rc = b->ops->ob_reference(b->st, HANDLE_VALUE(Handle), DesiredAccess, type,
				  AccessMode != KernelMode, &obj, &granted);
	if (rc)
		return rc;
	*Object = obj;
	if (HandleInformation) {
		HandleInformation->HandleAttributes = 0;
		HandleInformation->GrantedAccess = granted;
	}
	return STATUS_SUCCESS;
}

/**
 * ObfDereferenceObject() - drop a reference ObReferenceObjectByHandle() gave
 * (ObDereferenceObject() is this function).
 * @Object: the object's body.
 *
 * A pointer on which the caller holds no such reference (never referenced,
 * or dereferenced once too often) is bug check REFERENCE_BY_POINTER (0x18),
 * p1 = 0 (its type is unknown), p2 = @Object, p3 = p4 = 0; if a handler
 * returns, nothing is done.  A backend before version 3 does nothing.
 * Context: IRQL <= DISPATCH_LEVEL (nonpaged on Windows; not checked).
 * Return: the object's references left (0 when it went, or on a bug check).
 */
LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object)
{
	kmemu_status rc;
	struct kmemu_backend *b = kview_backend(&rc);
	int64_t left = 0;

	if (!b)
		return 0;
	rc = b->ops->ob_dereference(b->st, Object, &left);
	if (rc) {
		kmemu__bugcheck("ObfDereferenceObject",
				"dereferencing an object the caller holds no reference on",
				REFERENCE_BY_POINTER, 0, (uintptr_t)Object, 0, 0);
		return 0;
	}
	return (LONG_PTR)left;
}

/**
 * MmMapViewInSystemSpace() - map a section into kernel space (the
 * emulator's vmalloc area): the view aliases every other view of the section.
 * @Section:    the section's body (ObReferenceObjectByHandle with
 *              *MmSectionObjectType).
 * @MappedBase: receives the view's kernel address (64 KiB aligned).
 * @ViewSize:   in: bytes, 0 = the whole section; out: the size mapped, rounded
 *              up to pages.  Both outputs are written on success only.
 *
 * SEC_RESERVE pages not yet committed stay inaccessible in the view until a
 * ZwMapViewOfSection commits them.
 * Context: IRQL <= APC_LEVEL (Microsoft's page); above it
 * IRQL_NOT_LESS_OR_EQUAL (0xA, p3 = 8) and STATUS_UNSUCCESSFUL.
 * Return: STATUS_SUCCESS; STATUS_INVALID_VIEW_SIZE (larger than the section,
 * or 4 GiB and more); STATUS_NO_MEMORY (no room in system view space);
 * STATUS_INVALID_PARAMETER_1 (@Section is no live section: never
 * dereferenced); STATUS_ACCESS_VIOLATION (NULL out-pointer);
 * STATUS_INSUFFICIENT_RESOURCES (host resources); STATUS_NOT_SUPPORTED.
 * The view holds a reference on the section until it is unmapped.
 */
NTSTATUS NTAPI MmMapViewInSystemSpace(PVOID Section, PVOID *MappedBase, PSIZE_T ViewSize)
{
	kmemu_status rc;
	struct kmemu_backend *b = kview_backend(&rc);
	uint64_t size;
	void *base = NULL;

	if (!b)
		return rc;
	if (kview_irql_bad(b, "MmMapViewInSystemSpace", (const void *)MmMapViewInSystemSpace,
			   APC_LEVEL))
		return STATUS_UNSUCCESSFUL;
	if (!MappedBase || !ViewSize)
		return STATUS_ACCESS_VIOLATION;
	size = *ViewSize;
	rc = b->ops->section_map_system(b->st, Section, &size, &base);
	if (NT_SUCCESS(rc)) {
		*MappedBase = base;
		*ViewSize = (SIZE_T)size;
	}
	return rc;
}

/**
 * MmUnmapViewInSystemSpace() - unmap a view MmMapViewInSystemSpace() made
 * and drop its section reference.
 * @MappedBase: the view's base (any address in its first 64 KiB: Windows
 *              looks system views up by address >> 16).
 *
 * Any other address is bug check DRIVER_UNMAPPING_INVALID_VIEW (0xD7),
 * p1 = @MappedBase, p2 = 1 (unmapping), p3 = p4 = 0, as Windows'
 * MiRemoveFromSystemSpace; if a handler returns, STATUS_NOT_MAPPED_VIEW.
 * Context: IRQL <= APC_LEVEL; above it IRQL_NOT_LESS_OR_EQUAL and
 * STATUS_UNSUCCESSFUL.
 * Return: STATUS_SUCCESS; STATUS_NOT_MAPPED_VIEW; STATUS_UNSUCCESSFUL;
 * STATUS_NOT_SUPPORTED.
 */
NTSTATUS NTAPI MmUnmapViewInSystemSpace(PVOID MappedBase)
{
	kmemu_status rc;
	struct kmemu_backend *b = kview_backend(&rc);

	if (!b)
		return rc;
	if (kview_irql_bad(b, "MmUnmapViewInSystemSpace", (const void *)MmUnmapViewInSystemSpace,
			   APC_LEVEL))
		return STATUS_UNSUCCESSFUL;
	rc = b->ops->section_unmap_system(b->st, MappedBase);
	if (rc == STATUS_NOT_MAPPED_VIEW)
		kmemu__bugcheck("MmUnmapViewInSystemSpace",
				"unmapping an address that is not a system-space view",
				DRIVER_UNMAPPING_INVALID_VIEW, (uintptr_t)MappedBase, 1, 0, 0);
	return rc;
}

/* ---- Ex views (version 4) --------------------------------------------------------------- */

/* The current backend if it serves the Ex view slots (version 4 and
 * KMEMU_CAP_SECTIONS_EX), else NULL with *@rc set. */
static struct kmemu_backend *section_ex_backend(kmemu_status *rc)
{
	struct kmemu_backend *b = section_backend(rc);

	if (b && (b->ops->version < 4 || !(kmemu_backend_caps(b) & KMEMU_CAP_SECTIONS_EX))) {
		*rc = STATUS_NOT_SUPPORTED;
		return NULL;
	}
	return b;
}

static NTSTATUS section_map_ex(const char *fn, const void *routine, HANDLE SectionHandle,
			       HANDLE ProcessHandle, PVOID *BaseAddress,
			       PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize, ULONG AllocationType,
			       ULONG PageProtection, PMEM_EXTENDED_PARAMETER ExtendedParameters,
			       ULONG ExtendedParameterCount)
{
	struct kmemu_section_map_args a = { 0 };
	kmemu_status rc;
	struct kmemu_backend *b = section_ex_backend(&rc);
	uint64_t highest = 0;

	if (!b)
		return rc;
	if (section_irql_bad(b, fn, routine))
		return STATUS_UNSUCCESSFUL;
	/* §9b steps 2-4 as NtMapViewOfSection (no InheritDisposition: ViewUnmap) */
	if (AllocationType & ~(ULONG)MAP_ALLOCATION_TYPES)
		return STATUS_INVALID_PARAMETER_9;
	if (!section_map_protect_valid(PageProtection))
		return STATUS_INVALID_PAGE_PROTECTION;
	if (!BaseAddress || !ViewSize || (ExtendedParameterCount && !ExtendedParameters))
		return STATUS_ACCESS_VIOLATION;
	/* §5: the extended parameters, then the rest of §9b in the backend */
	rc = kmemu__section_ex_params(ExtendedParameters, ExtendedParameterCount,
				      (uintptr_t)*BaseAddress, &highest);
	if (rc)
		return rc;
	a.section = HANDLE_VALUE(SectionHandle);
	a.process = HANDLE_VALUE(ProcessHandle);
	a.base = (uintptr_t)*BaseAddress;
	a.has_offset = SectionOffset != NULL;
	a.offset = SectionOffset ? (uint64_t)SectionOffset->QuadPart : 0;
	a.view_size = *ViewSize;
	a.inherit = ViewUnmap;
	a.allocation_type = AllocationType;
	a.protect = PageProtection;
	rc = b->ops->section_map_ex(b->st, &a, highest);
	if (NT_SUCCESS(rc)) {
		*BaseAddress = (PVOID)a.base;
		*ViewSize = (SIZE_T)a.view_size;
		if (SectionOffset)
			SectionOffset->QuadPart = (LONGLONG)a.offset;
	}
	return rc;
}

static NTSTATUS section_unmap_ex(const char *fn, const void *routine, HANDLE ProcessHandle,
				 PVOID BaseAddress, ULONG Flags)
{
	kmemu_status rc;
	struct kmemu_backend *b = section_ex_backend(&rc);

	if (!b)
		return rc;
	if (section_irql_bad(b, fn, routine))
		return STATUS_UNSUCCESSFUL;
	if (kmemu__section_unmap_ex_flags_bad(Flags))
		return STATUS_INVALID_PARAMETER;
	return b->ops->section_unmap_ex(b->st, HANDLE_VALUE(ProcessHandle), (uintptr_t)BaseAddress,
					Flags);
}

/**
 * NtMapViewOfSectionEx() - map a view with extended parameters (spec §5).
 * @SectionHandle:  the section (access derived from @PageProtection).
 * @ProcessHandle:  the process (PROCESS_VM_OPERATION); NULL is
 *                  STATUS_INVALID_HANDLE.
 * @BaseAddress:    in/out as NtMapViewOfSection.
 * @SectionOffset:  in/out, optional, 64 KiB aligned.
 * @ViewSize:       in/out, 0 = the rest of the section.
 * @AllocationType: as NtMapViewOfSection.
 * @PageProtection: Win32Protect.
 * @ExtendedParameters, @ExtendedParameterCount: see kmemu__section_ex_params().
 *
 * The parameter rules run in api/section_rules.c, then the emulator's map
 * path with the view ending at or below HighestEndingAddress (no room:
 * STATUS_NO_MEMORY).  The other statuses are NtMapViewOfSection's, numbered
 * as there (decided: one code path).
 * Context: PASSIVE_LEVEL; above it IRQL_NOT_LESS_OR_EQUAL (0xA, p3 = 8) and
 * STATUS_UNSUCCESSFUL.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER; STATUS_NOT_SUPPORTED
 * (a backend before version 4, or an extended parameter not emulated); the
 * statuses of NtMapViewOfSection.
 */
NTSTATUS NTAPI NtMapViewOfSectionEx(HANDLE SectionHandle, HANDLE ProcessHandle,
				    PVOID *BaseAddress, PLARGE_INTEGER SectionOffset,
				    PSIZE_T ViewSize, ULONG AllocationType, ULONG PageProtection,
				    PMEM_EXTENDED_PARAMETER ExtendedParameters,
				    ULONG ExtendedParameterCount)
{
	return section_map_ex("NtMapViewOfSectionEx", (const void *)NtMapViewOfSectionEx,
			      SectionHandle, ProcessHandle, BaseAddress, SectionOffset, ViewSize,
			      AllocationType, PageProtection, ExtendedParameters,
			      ExtendedParameterCount);
}

/* ZwMapViewOfSectionEx() - NtMapViewOfSectionEx(). */
NTSTATUS NTAPI ZwMapViewOfSectionEx(HANDLE SectionHandle, HANDLE ProcessHandle,
				    PVOID *BaseAddress, PLARGE_INTEGER SectionOffset,
				    PSIZE_T ViewSize, ULONG AllocationType, ULONG PageProtection,
				    PMEM_EXTENDED_PARAMETER ExtendedParameters,
				    ULONG ExtendedParameterCount)
{
	return section_map_ex("ZwMapViewOfSectionEx", (const void *)ZwMapViewOfSectionEx,
			      SectionHandle, ProcessHandle, BaseAddress, SectionOffset, ViewSize,
			      AllocationType, PageProtection, ExtendedParameters,
			      ExtendedParameterCount);
}

/**
 * NtUnmapViewOfSectionEx() - NtUnmapViewOfSection() with flags (spec §6).
 * @ProcessHandle: the process (PROCESS_VM_OPERATION).
 * @BaseAddress:   any address inside the view.
 * @Flags:         MEM_UNMAP_WITH_TRANSIENT_BOOST (ignored) |
 *                 MEM_PRESERVE_PLACEHOLDER.
 *
 * Other flag bits are STATUS_INVALID_PARAMETER before anything else; no
 * view here replaced a placeholder, so MEM_PRESERVE_PLACEHOLDER on a view is
 * STATUS_CONFLICTING_ADDRESSES and the view stays.
 * Context: PASSIVE_LEVEL; above it IRQL_NOT_LESS_OR_EQUAL and
 * STATUS_UNSUCCESSFUL.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER;
 * STATUS_CONFLICTING_ADDRESSES; STATUS_NOT_SUPPORTED; the statuses of
 * NtUnmapViewOfSection.
 */
NTSTATUS NTAPI NtUnmapViewOfSectionEx(HANDLE ProcessHandle, PVOID BaseAddress, ULONG Flags)
{
	return section_unmap_ex("NtUnmapViewOfSectionEx", (const void *)NtUnmapViewOfSectionEx,
				ProcessHandle, BaseAddress, Flags);
}

/* ZwUnmapViewOfSectionEx() - NtUnmapViewOfSectionEx(). */
NTSTATUS NTAPI ZwUnmapViewOfSectionEx(HANDLE ProcessHandle, PVOID BaseAddress, ULONG Flags)
{
	return section_unmap_ex("ZwUnmapViewOfSectionEx", (const void *)ZwUnmapViewOfSectionEx,
				ProcessHandle, BaseAddress, Flags);
}

/**
 * NtAreMappedFilesTheSame() - are two addresses of the current process in
 * views of the same image (spec §7)?
 * @File1MappedAsAnImage: an address.
 * @File2MappedAsFile:    an address.
 *
 * Wine's order: an address not mapped in the process (NULL, free memory,
 * garbage such as 0xdeadbeef - decided: STATUS_INVALID_ADDRESS of the two
 * §7 options) -> STATUS_INVALID_ADDRESS; mapped memory that is no view
 * (a WDS buffer's user view, host heap) -> STATUS_CONFLICTING_ADDRESSES;
 * one view -> STATUS_SUCCESS; two views -> STATUS_NOT_SAME_DEVICE (data
 * views never match; there are no image views).
 * Context: PASSIVE_LEVEL; above it IRQL_NOT_LESS_OR_EQUAL and
 * STATUS_UNSUCCESSFUL.
 * Return: the statuses above; STATUS_NOT_SUPPORTED.
 */
NTSTATUS NTAPI NtAreMappedFilesTheSame(PVOID File1MappedAsAnImage, PVOID File2MappedAsFile)
{
	kmemu_status rc;
	struct kmemu_backend *b = section_ex_backend(&rc);

	if (!b)
		return rc;
	if (section_irql_bad(b, "NtAreMappedFilesTheSame", (const void *)NtAreMappedFilesTheSame))
		return STATUS_UNSUCCESSFUL;
	return b->ops->views_same(b->st, (uintptr_t)File1MappedAsAnImage,
				  (uintptr_t)File2MappedAsFile);
}

/* ---- test-side control functions --------------------------------------------------------- */

kmemu_status kmemu_process_create_child(kmemu_pid parent, const char *name, kmemu_pid *out)
{
	kmemu_status rc;
	struct kmemu_backend *b;

	if (!out)
		return STATUS_INVALID_PARAMETER;
	b = section_backend(&rc);
	return b ? b->ops->process_create_child(b->st, parent, name, out) : rc;
}

kmemu_status kmemu_process_open(kmemu_pid pid, uint32_t access, void **out)
{
	kmemu_status rc;
	struct kmemu_backend *b;
	uintptr_t h = 0;

	if (!out)
		return STATUS_INVALID_PARAMETER;
	b = section_backend(&rc);
	if (!b)
		return rc;
	rc = b->ops->process_open(b->st, pid, access, &h);
	if (!rc)
		*out = (void *)h;
	return rc;
}

kmemu_status kmemu_view_query(kmemu_pid pid, const void *addr, struct kmemu_view_info *out)
{
	kmemu_status rc;
	struct kmemu_backend *b;

	if (!out)
		return STATUS_INVALID_PARAMETER;
	b = section_backend(&rc);
	return b ? b->ops->view_query(b->st, pid, addr, out) : rc;
}
