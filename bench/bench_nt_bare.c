/* SPDX-License-Identifier: MIT */
/*
 * bench_nt_bare.c - the bare cycles of bench_section.c on Windows: the same
 * NtCreateSection / NtMapViewOfSection / NtUnmapViewOfSection / NtClose
 * calls, straight to ntdll without kmemu (Windows builds only; the one file
 * of the bench that includes <windows.h>).
 */
#include <windows.h>
#include <stddef.h>
#include <string.h>

typedef LONG(NTAPI *create_fn)(HANDLE *, ACCESS_MASK, void *, LARGE_INTEGER *, ULONG, ULONG,
			       HANDLE);
typedef LONG(NTAPI *map_fn)(HANDLE, HANDLE, void **, ULONG_PTR, SIZE_T, LARGE_INTEGER *, SIZE_T *,
			    int, ULONG, ULONG);
typedef LONG(NTAPI *unmap_fn)(HANDLE, void *);
typedef LONG(NTAPI *close_fn)(HANDLE);

static create_fn nt_create;
static map_fn nt_map;
static unmap_fn nt_unmap;
static close_fn nt_close;
static HANDLE remap_section;

#define SECTION_ALL 0xF001Fu
#define VIEW_UNMAP 2

static void *proc(const char *name)
{
	FARPROC p = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), name);
	void *v;

	memcpy(&v, &p, sizeof(v));
	return v;
}

static void touch(volatile unsigned char *p, size_t bytes)
{
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = (unsigned char)i;
}

/* Resolve ntdll and make the section the remap cycle maps.  0, or -1. */
int bench_nt_bare_init(size_t remap_bytes)
{
	LARGE_INTEGER li = { .QuadPart = (LONGLONG)remap_bytes };
	void *p;

	p = proc("NtCreateSection"), memcpy(&nt_create, &p, sizeof(p));
	p = proc("NtMapViewOfSection"), memcpy(&nt_map, &p, sizeof(p));
	p = proc("NtUnmapViewOfSection"), memcpy(&nt_unmap, &p, sizeof(p));
	p = proc("NtClose"), memcpy(&nt_close, &p, sizeof(p));
	if (!nt_create || !nt_map || !nt_unmap || !nt_close)
		return -1;
	return nt_create(&remap_section, SECTION_ALL, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL) ? -1
												   : 0;
}

void bench_nt_bare_fini(void)
{
	if (remap_section)
		nt_close(remap_section);
}

/* create + 2 views + touch + 2 unmaps + close, without kmemu. */
int bench_nt_bare_full(void *ctx, size_t bytes)
{
	LARGE_INTEGER li = { .QuadPart = (LONGLONG)bytes };
	HANDLE s;
	void *a = NULL, *b = NULL;
	SIZE_T za = 0, zb = 0;

	(void)ctx;
	if (nt_create(&s, SECTION_ALL, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL))
		return -1;
	if (nt_map(s, GetCurrentProcess(), &a, 0, 0, NULL, &za, VIEW_UNMAP, 0, PAGE_READWRITE) ||
	    nt_map(s, GetCurrentProcess(), &b, 0, 0, NULL, &zb, VIEW_UNMAP, 0, PAGE_READWRITE))
		return -1;
	touch(a, bytes);
	touch(b, bytes);
	if (nt_unmap(GetCurrentProcess(), a) || nt_unmap(GetCurrentProcess(), b))
		return -1;
	return nt_close(s) ? -1 : 0;
}

/* map + touch + unmap of an existing section, without kmemu. */
int bench_nt_bare_remap(void *ctx, size_t bytes)
{
	void *a = NULL;
	SIZE_T z = bytes;

	(void)ctx;
	if (nt_map(remap_section, GetCurrentProcess(), &a, 0, 0, NULL, &z, VIEW_UNMAP, 0,
		   PAGE_READWRITE))
		return -1;
	touch(a, bytes);
	return nt_unmap(GetCurrentProcess(), a) ? -1 : 0;
}
