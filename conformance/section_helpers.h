/* SPDX-License-Identifier: MIT */
/*
 * section_helpers.h - steps the section cases (ZwCreateSection,
 * ZwOpenSection, ZwMapViewOfSection, ZwUnmapViewOfSection, ObReferenceObjectByHandle,
 * MmMapViewInSystemSpace) share: setup calls that make a case UNRESOLVED when
 * they fail, a default map call, a UTF-16 name builder, and a bug-check
 * catcher for the IRQL cases.
 */
#ifndef KMEMU_CONFORMANCE_SECTION_HELPERS_H
#define KMEMU_CONFORMANCE_SECTION_HELPERS_H

#include <string.h>
#include <sys/mman.h>
#include <wdm.h>
#include "harness.h"

#define SEC_CAPS (KMEMU_CAP_SECTIONS)
/* kernel-space views: sections, Ob references and the kernel accessors */
#define KVIEW_CAPS (KMEMU_CAP_SECTIONS | KMEMU_CAP_KERNEL_VIEWS | KMEMU_CAP_KERNEL_ACCESS)
/* the Ex calls (NtMapViewOfSectionEx, NtUnmapViewOfSectionEx, NtAreMappedFilesTheSame) */
#define SECEX_CAPS (KMEMU_CAP_SECTIONS | KMEMU_CAP_SECTIONS_EX)
#define SEC_PAGE 0x1000u
#define SEC_64K 0x10000u

/* A UTF-16 name from ASCII @s in @buf (64 units max), described by @us. */
static inline void sec_name(UNICODE_STRING *us, WCHAR *buf, const char *s)
{
	size_t n = 0;

	for (; s[n] && n < 63; n++)
		buf[n] = (WCHAR)(unsigned char)s[n];
	buf[n] = 0;
	us->Length = (USHORT)(n * sizeof(WCHAR));
	us->MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
	us->Buffer = buf;
}

/* ZwCreateSection of an unnamed paging-file section (status returned). */
static inline NTSTATUS sec_create(HANDLE *h, LONGLONG size, ULONG protect, ULONG attrs)
{
	LARGE_INTEGER li;

	li.QuadPart = size;
	return ZwCreateSection(h, SECTION_ALL_ACCESS, NULL, &li, protect, attrs, NULL);
}

/* ZwCreateSection that must work (else UNRESOLVED). */
static inline HANDLE sec_setup_create(LONGLONG size, ULONG protect, ULONG attrs)
{
	HANDLE h = NULL;

	KMEMU_SETUP_NT(sec_create(&h, size, protect, attrs));
	return h;
}

/* ZwCreateSection of a named section with @oa_attrs (status returned). */
static inline NTSTATUS sec_create_named(HANDLE *h, const char *name, ULONG oa_attrs,
					ACCESS_MASK access, LONGLONG size)
{
	UNICODE_STRING us;
	WCHAR buf[64];
	OBJECT_ATTRIBUTES oa;
	LARGE_INTEGER li;

	sec_name(&us, buf, name);
	InitializeObjectAttributes(&oa, &us, oa_attrs, NULL, NULL);
	li.QuadPart = size;
	return ZwCreateSection(h, access, &oa, &li, PAGE_READWRITE, SEC_COMMIT, NULL);
}

/* ZwOpenSection by ASCII name (status returned). */
static inline NTSTATUS sec_open(HANDLE *h, const char *name, ACCESS_MASK access, ULONG oa_attrs)
{
	UNICODE_STRING us;
	WCHAR buf[64];
	OBJECT_ATTRIBUTES oa;

	sec_name(&us, buf, name);
	InitializeObjectAttributes(&oa, &us, oa_attrs, NULL, NULL);
	return ZwOpenSection(h, access, &oa);
}

/* Map the whole section (or @size bytes at @offset) into the current
 * process with @protect; *@base and *@size in/out as ZwMapViewOfSection. */
static inline NTSTATUS sec_map(HANDLE s, PVOID *base, SIZE_T *size, ULONG protect)
{
	return ZwMapViewOfSection(s, ZwCurrentProcess(), base, 0, 0, NULL, size, ViewUnmap, 0,
				  protect);
}

/* Map that must work: returns the base. */
static inline uint8_t *sec_setup_map(HANDLE s, SIZE_T size, ULONG protect)
{
	PVOID base = NULL;
	SIZE_T vs = size;

	KMEMU_SETUP_NT(sec_map(s, &base, &vs, protect));
	KMEMU_SETUP_TRUE(base != NULL);
	return base;
}

/* The section body of @s for the kernel-space calls (ObReferenceObjectByHandle
 * with *MmSectionObjectType, KernelMode); must work.  ObDereferenceObject it. */
static inline PVOID sec_setup_ref(HANDLE s)
{
	PVOID obj = NULL;

	KMEMU_SETUP_NT(ObReferenceObjectByHandle(s, SECTION_MAP_READ | SECTION_MAP_WRITE,
						 *MmSectionObjectType, KernelMode, &obj, NULL));
	return obj;
}

/* MmMapViewInSystemSpace that must work: the kernel view's base. */
static inline uint8_t *sec_setup_kmap(PVOID section, SIZE_T size)
{
	PVOID base = NULL;
	SIZE_T vs = size;

	KMEMU_SETUP_NT(MmMapViewInSystemSpace(section, &base, &vs));
	KMEMU_SETUP_TRUE(base != NULL);
	return base;
}

/* A free host range of @len bytes, 64 KiB aligned, found by mapping and
 * unmapping it (0 when the host refuses). */
static inline uintptr_t sec_free_host_range(size_t len)
{
	uint8_t *p = mmap(NULL, len + SEC_64K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return 0;
	a = ((uintptr_t)p + SEC_64K - 1) & ~(uintptr_t)(SEC_64K - 1);
	munmap(p, len + SEC_64K);
	return a;
}

#endif /* KMEMU_CONFORMANCE_SECTION_HELPERS_H */
