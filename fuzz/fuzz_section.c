/* SPDX-License-Identifier: MIT */
/*
 * fuzz_section.c - libFuzzer harness for the section services, raw parameters.
 *
 * The input is a program of 16-byte records (byte 0 % 6 is the call):
 *
 *   0 ZwCreateSection   size (small, page multiples, 0, huge, raw), page
 *                       protection and allocation attributes (a valid one
 *                       from a table, or raw bits), optionally named (one of
 *                       four names, with or without OBJ_OPENIF)
 *   1 ZwMapViewOfSection every parameter fuzzed: a live, closed or raw
 *                       section handle; the current process, the other
 *                       process's handle or a raw one; NULL, a 64 KiB-aligned
 *                       or a raw BaseAddress; ZeroBits 0..39 or a mask;
 *                       CommitSize, SectionOffset (NULL, aligned, raw),
 *                       ViewSize (0, pages, -1, raw), InheritDisposition,
 *                       AllocationType and Win32Protect (table or raw)
 *   2 ZwUnmapViewOfSection an address inside a live view, or a raw one
 *   3 ZwClose           a live, closed or raw handle
 *   4 switch            the calling thread to the other emulated process
 *   5 alias             write a byte through one view of a section, read it
 *                       through another view of the same section
 *
 * Checks: every status belongs to the family's documented set; a successful
 * map returns a 64 KiB-aligned base and a page-multiple size, writes
 * SectionOffset back unchanged, and the view is found by kmemu_view_query;
 * views of one section alias; after every input the invariant checkers pass,
 * and once every view is unmapped and every handle closed no frame, mapping
 * or handle is left.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wdm.h>
#include <kmemu/kmemu.h>
#include "fuzz_emu.h"

#define MAX_SECTIONS 8
#define MAX_VIEWS 16

struct fz_view {
	void *base;       /* view base, NULL = slot free */
	SIZE_T size;      /* bytes */
	int sec;          /* index of the section it shows, -1 if closed since */
	int proc;         /* 0 or 1 */
	uint64_t offset;  /* section offset of the view */
	int writable;     /* mapped with write access */
};

static HANDLE secs[MAX_SECTIONS];     /* open handles in process 0 */
static uint64_t sec_size[MAX_SECTIONS];
static struct fz_view views[MAX_VIEWS];
static kmemu_pid procs[2];
static HANDLE other_handle;           /* process 1, as seen from process 0 */
static int cur;

static const ULONG protections[] = { PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
				     PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
				     PAGE_EXECUTE_WRITECOPY, PAGE_NOACCESS,
				     PAGE_READWRITE | PAGE_NOCACHE, PAGE_READONLY | PAGE_GUARD };
static const ULONG attributes[] = { SEC_COMMIT, SEC_RESERVE, SEC_COMMIT | SEC_NOCACHE,
				    SEC_RESERVE | SEC_NOCACHE, SEC_IMAGE, 0,
				    SEC_COMMIT | SEC_LARGE_PAGES, SEC_COMMIT | SEC_RESERVE };
static const ULONG alloc_types[] = { 0, MEM_TOP_DOWN, MEM_RESERVE, MEM_COMMIT, MEM_LARGE_PAGES,
				     MEM_TOP_DOWN | MEM_LARGE_PAGES, SEC_NO_CHANGE };
static const char *const names[] = { "\\BaseNamedObjects\\fz0", "\\BaseNamedObjects\\fz1",
				     "\\BaseNamedObjects\\fz2", "relative-name" };

static const NTSTATUS documented[] = {
	STATUS_SUCCESS, STATUS_OBJECT_NAME_EXISTS, STATUS_INVALID_HANDLE,
	STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_1, STATUS_INVALID_PARAMETER_2,
	STATUS_INVALID_PARAMETER_3, STATUS_INVALID_PARAMETER_4, STATUS_INVALID_PARAMETER_5,
	STATUS_INVALID_PARAMETER_6, STATUS_INVALID_PARAMETER_7, STATUS_INVALID_PARAMETER_8,
	STATUS_INVALID_PARAMETER_9, STATUS_INVALID_PARAMETER_10, STATUS_NO_MEMORY,
	STATUS_CONFLICTING_ADDRESSES, STATUS_NOT_MAPPED_VIEW, STATUS_INVALID_VIEW_SIZE,
	STATUS_INVALID_FILE_FOR_SECTION, STATUS_ACCESS_DENIED, STATUS_OBJECT_TYPE_MISMATCH,
	STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_NAME_COLLISION,
	STATUS_OBJECT_PATH_SYNTAX_BAD, STATUS_SECTION_TOO_BIG, STATUS_INVALID_PAGE_PROTECTION,
	STATUS_SECTION_PROTECTION, STATUS_INSUFFICIENT_RESOURCES, STATUS_COMMITMENT_LIMIT,
	STATUS_MAPPED_ALIGNMENT, STATUS_ACCESS_VIOLATION, STATUS_PROCESS_IS_TERMINATING,
};

static void die(const char *what, NTSTATUS st)
{
	fprintf(stderr, "fuzz_section: %s (%s)\n", what, kmemu_status_name(st));
	abort();
}

static void check_documented(const char *call, NTSTATUS st)
{
	for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
		if (documented[i] == st)
			return;
	die(call, st);
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void attach(int proc)
{
	kmemu_process_attach(procs[proc], NULL);
	cur = proc;
}

static void op_create(const uint8_t *r)
{
	unsigned slot = r[1] % MAX_SECTIONS;
	LARGE_INTEGER size;
	ULONG prot = r[6] & 0x80 ? r[6] * 0x01010101u : protections[r[6] % 10];
	ULONG attrs = r[7] & 0x80 ? (ULONG)rd64(r + 8) : attributes[r[7] % 8];
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING us;
	WCHAR wname[40];
	HANDLE h = NULL;
	NTSTATUS st;

	if (secs[slot] || cur != 0)
		return;
	switch (r[2] % 4) {
	case 0: size.QuadPart = r[3] * 97 + r[4]; break;             /* small, unaligned */
	case 1: size.QuadPart = (int64_t)(r[3] + 1) * 4096; break;    /* pages */
	case 2: size.QuadPart = r[3] & 1 ? 0 : -1; break;              /* 0 or -1 */
	default: size.QuadPart = (int64_t)(rd64(r + 8) & 0xFFFFFFFFFFull); break;
	}
	if (r[5] & 1) {
		const char *n = names[(r[5] >> 1) % 4];
		size_t i;

		for (i = 0; n[i] && i < 39; i++)
			wname[i] = (WCHAR)n[i];
		wname[i] = 0;
		RtlInitUnicodeString(&us, wname);
		InitializeObjectAttributes(&oa, &us, (r[5] & 0x10) ? OBJ_OPENIF : 0, NULL, NULL);
	}
	st = ZwCreateSection(&h, SECTION_ALL_ACCESS, (r[5] & 1) ? &oa : NULL,
			     (r[5] & 0x20) ? NULL : &size, prot, attrs, NULL);
	check_documented("ZwCreateSection", st);
	if (NT_SUCCESS(st)) {
		if (!h)
			die("ZwCreateSection succeeded without a handle", st);
		secs[slot] = h;
		sec_size[slot] = (uint64_t)size.QuadPart;
	}
}

static void op_map(const uint8_t *r)
{
	unsigned s = r[1] % MAX_SECTIONS, v;
	HANDLE sec = r[2] & 0x80 ? (HANDLE)(uintptr_t)(rd64(r + 8) & 0xFFFF) : secs[s];
	HANDLE proc = NtCurrentProcess();
	PVOID base = NULL;
	LARGE_INTEGER off, off_in;
	SIZE_T size;
	ULONG_PTR zero_bits = r[3] % 40;
	NTSTATUS st;
	ULONG prot = r[4] & 0x80 ? r[4] * 0x0101u : protections[r[4] % 10];

	for (v = 0; v < MAX_VIEWS && views[v].base; v++)
		;
	if (v == MAX_VIEWS || cur != 0)
		return;
	if (r[2] & 0x40)
		proc = other_handle;
	else if (r[2] & 0x20)
		proc = (HANDLE)(uintptr_t)(r[9] * 4u);
	if (r[5] & 1)
		base = (PVOID)(uintptr_t)((rd64(r + 8) & 0x7FFF0000ull) | 0x10000);
	else if (r[5] & 2)
		base = (PVOID)(uintptr_t)rd64(r + 8);
	if (zero_bits == 39)
		zero_bits = (ULONG_PTR)rd64(r + 8) | 0x100000000ull;
	off.QuadPart = r[6] & 1 ? (int64_t)(r[6] >> 1) << 16 : (int64_t)(r[6] * 4096);
	off_in = off;
	switch (r[7] % 4) {
	case 0: size = 0; break;
	case 1: size = (SIZE_T)(r[12] + 1) * 4096; break;
	case 2: size = (SIZE_T)-1; break;
	default: size = (SIZE_T)(rd64(r + 8) & 0xFFFFFF); break;
	}
	st = ZwMapViewOfSection(sec, proc, &base, zero_bits, (SIZE_T)r[13] * 4096,
				(r[14] & 1) ? NULL : &off, &size, (SECTION_INHERIT)(r[14] >> 1) % 4,
				alloc_types[r[15] % 7], prot);
	check_documented("ZwMapViewOfSection", st);
	if (!NT_SUCCESS(st))
		return;
	if (((uintptr_t)base & 0xFFFF) || !size || (size & 0xFFF))
		die("a view's base or size is misaligned", st);
	if (!(r[14] & 1) && off.QuadPart != off_in.QuadPart)
		die("SectionOffset changed", st);
	views[v] = (struct fz_view){ .base = base, .size = size,
				     .sec = (r[2] & 0x80) ? -1 : (int)s,
				     .proc = proc == other_handle ? 1 : 0,
				     .offset = (r[14] & 1) ? 0 : (uint64_t)off.QuadPart,
				     .writable = prot == PAGE_READWRITE || prot == PAGE_EXECUTE_READWRITE };
	{
		struct kmemu_view_info info;

		if (kmemu_view_query(procs[views[v].proc], base, &info) || info.base != base ||
		    info.size != size)
			die("kmemu_view_query does not find the new view", st);
	}
}

static void op_unmap(const uint8_t *r)
{
	unsigned v = r[1] % MAX_VIEWS;
	NTSTATUS st;

	if (cur != 0)
		return;
	if (r[2] & 1 || !views[v].base) {
		st = ZwUnmapViewOfSection(NtCurrentProcess(), (PVOID)(uintptr_t)rd64(r + 8));
		check_documented("ZwUnmapViewOfSection(raw)", st);
		if (NT_SUCCESS(st)) {  /* the raw address hit a live view: forget it */
			for (unsigned i = 0; i < MAX_VIEWS; i++) {
				uint8_t *b = views[i].base;

				if (b && views[i].proc == 0 && (uint8_t *)(uintptr_t)rd64(r + 8) >= b &&
				    (uint8_t *)(uintptr_t)rd64(r + 8) < b + views[i].size)
					views[i].base = NULL;
			}
		}
		return;
	}
	st = ZwUnmapViewOfSection(views[v].proc ? other_handle : NtCurrentProcess(),
				  (uint8_t *)views[v].base + rd64(r + 8) % views[v].size);
	if (st != STATUS_SUCCESS)
		die("unmapping a live view by an inside address failed", st);
	views[v].base = NULL;
}

static void op_close(const uint8_t *r)
{
	unsigned s = r[1] % MAX_SECTIONS;
	NTSTATUS st;

	if (cur != 0)
		return;
	if (r[2] & 1 || !secs[s]) {
		HANDLE h = (HANDLE)(uintptr_t)(rd64(r + 8) & 0xFFFFFFFF);
		int live = 0;

		for (unsigned i = 0; i < MAX_SECTIONS; i++)
			live |= secs[i] == h;
		if (live || h == other_handle)
			return;
		st = ZwClose(h);
		if (st != STATUS_INVALID_HANDLE && st != STATUS_SUCCESS)
			die("ZwClose(raw)", st);
		return;
	}
	st = ZwClose(secs[s]);
	if (st != STATUS_SUCCESS)
		die("ZwClose of a live handle failed", st);
	secs[s] = NULL;
	for (unsigned i = 0; i < MAX_VIEWS; i++)
		if (views[i].sec == (int)s)
			views[i].sec = -1;  /* the view outlives the handle */
}

/* Write through one view, read through another view of the same section
 * covering the same section offset. */
static void op_alias(const uint8_t *r)
{
	unsigned a = r[1] % MAX_VIEWS, b = r[2] % MAX_VIEWS;
	uint64_t at;
	uint8_t val = r[3], back = 0;

	if (!views[a].base || !views[b].base || !views[a].writable || views[a].sec < 0 ||
	    views[a].sec != views[b].sec)
		return;
	at = views[a].offset + rd64(r + 8) % views[a].size;
	if (at < views[b].offset || at >= views[b].offset + views[b].size ||
	    at >= sec_size[views[a].sec])
		return;
	if (kmemu_user_write(procs[views[a].proc], (uint64_t)(uintptr_t)views[a].base +
			     (at - views[a].offset), &val, 1))
		return;  /* an uncommitted SEC_RESERVE page: not accessible, fine */
	if (kmemu_user_read(procs[views[b].proc], (uint64_t)(uintptr_t)views[b].base +
			    (at - views[b].offset), &back, 1) == STATUS_SUCCESS &&
	    back != val)
		die("two views of one section do not alias", STATUS_SUCCESS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmemu_stats before, after;
	const char *why;

	fuzz_emu_open_once(64u << 20, 1ull << 30, KMEMU_PLACE_DEFAULT);
	kmemu_process_current(&procs[0]);
	cur = 0;
	if (kmemu_process_create("fuzz", &procs[1]) ||
	    kmemu_process_open(procs[1], PROCESS_VM_OPERATION, &other_handle))
		abort();
	kmemu_stats_get(&before);
	for (size_t off = 0; off + 16 <= size; off += 16) {
		const uint8_t *r = data + off;

		switch (r[0] % 6) {
		case 0: op_create(r); break;
		case 1: op_map(r); break;
		case 2: op_unmap(r); break;
		case 3: op_close(r); break;
		case 4: attach(r[1] & 1); break;
		default: op_alias(r); break;
		}
	}
	attach(0);
	if (kmemu_check(&why))
		die(why, STATUS_INTERNAL_ERROR);
	for (unsigned i = 0; i < MAX_VIEWS; i++) {
		if (views[i].base &&
		    ZwUnmapViewOfSection(views[i].proc ? other_handle : NtCurrentProcess(),
					 views[i].base) != STATUS_SUCCESS)
			die("teardown unmap failed", STATUS_UNSUCCESSFUL);
		views[i].base = NULL;
	}
	for (unsigned i = 0; i < MAX_SECTIONS; i++) {
		if (secs[i] && ZwClose(secs[i]) != STATUS_SUCCESS)
			die("teardown close failed", STATUS_UNSUCCESSFUL);
		secs[i] = NULL;
	}
	ZwClose(other_handle);
	kmemu_process_destroy(procs[1]);
	kmemu_stats_get(&after);
	if (after.frames_used || after.mappings || after.processes != 1 ||
	    after.handles_used + 1 != before.handles_used || kmemu_check(&why)) {
		fprintf(stderr, "fuzz_section: leak after teardown: frames %llu mappings %llu "
				"handles %llu (before %llu)\n",
			(unsigned long long)after.frames_used, (unsigned long long)after.mappings,
			(unsigned long long)after.handles_used,
			(unsigned long long)before.handles_used);
		abort();
	}
	return 0;
}
