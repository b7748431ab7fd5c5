/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of ZwMapViewOfSection() (and the OOM loop of
 * the section family).  Views in the calling process are dereferenced
 * directly (they are real host pointers on every backend that serves
 * sections); views in other processes are read through kmemu_user_read.
 */
#include "../section_helpers.h"

#define A "ZwMapViewOfSection/"

/* ---- interface ------------------------------------------------------------------- */

KMEMU_CASE(prototype, A "prototype", SEC_CAPS, A "prototype " A "nt-zw")
{
	NTSTATUS (NTAPI *fn)(HANDLE, HANDLE, PVOID *, ULONG_PTR, SIZE_T, PLARGE_INTEGER, PSIZE_T,
			     SECTION_INHERIT, ULONG, ULONG) = ZwMapViewOfSection;
	NTSTATUS (NTAPI *nt)(HANDLE, HANDLE, PVOID *, ULONG_PTR, SIZE_T, PLARGE_INTEGER, PSIZE_T,
			     SECTION_INHERIT, ULONG, ULONG) = NtMapViewOfSection;
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	PVOID base = NULL;
	SIZE_T size = 0;

	KMEMU_EXPECT_TRUE(fn != NULL && nt != NULL);
	KMEMU_EXPECT_EQ(ViewShare, 1);
	KMEMU_EXPECT_EQ(ViewUnmap, 2);
	KMEMU_EXPECT_EQ(sizeof(SECTION_INHERIT), 4);
	/* the Nt names do the same work */
	KMEMU_ASSERT_NT(NtMapViewOfSection(s, NtCurrentProcess(), &base, 0, 0, NULL, &size, ViewUnmap,
					   0, PAGE_READWRITE), STATUS_SUCCESS);
	((volatile uint8_t *)base)[0] = 7;
	KMEMU_EXPECT_NT(NtUnmapViewOfSection(NtCurrentProcess(), base), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(NtClose(s), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(NtClose(s), STATUS_INVALID_HANDLE);
}

KMEMU_CASE(return_values, A "return-values", SEC_CAPS, A "return-values")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READONLY, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READONLY);
	PVOID base = b;
	SIZE_T size = 0;

	KMEMU_EXPECT_EQ(STATUS_SUCCESS, 0);
	KMEMU_EXPECT_EQ((uint32_t)STATUS_CONFLICTING_ADDRESSES, 0xC0000018u);
	KMEMU_EXPECT_EQ((uint32_t)STATUS_INVALID_PAGE_PROTECTION, 0xC0000045u);
	KMEMU_EXPECT_EQ((uint32_t)STATUS_SECTION_PROTECTION, 0xC000004Eu);
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READONLY), STATUS_CONFLICTING_ADDRESSES);
	base = NULL;
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READONLY | PAGE_READWRITE),
			STATUS_INVALID_PAGE_PROTECTION);
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_SECTION_PROTECTION);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ZwClose(s), STATUS_SUCCESS);
}

/* ---- handles ---------------------------------------------------------------------- */

KMEMU_CASE(section_handle, A "section-handle", SEC_CAPS, A "section-handle")
{
	HANDLE s = NULL, o = NULL, ph = NULL;
	PVOID base = NULL;
	SIZE_T size = 0;
	kmemu_pid me;

	KMEMU_SETUP_NT(sec_create_named(&s, "\\BaseNamedObjects\\kmemu-sh", 0, SECTION_ALL_ACCESS,
					0x10000));
	KMEMU_SETUP_NT(sec_open(&o, "\\BaseNamedObjects\\kmemu-sh", SECTION_ALL_ACCESS, 0));
	KMEMU_SETUP_NT(kmemu_process_current(&me));
	KMEMU_SETUP_NT(kmemu_process_open(me, PROCESS_ALL_ACCESS, &ph));
	KMEMU_ASSERT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_SUCCESS);
	((uint8_t *)base)[5] = 0x55;
	{
		PVOID b2 = NULL;
		SIZE_T z2 = 0;

		KMEMU_ASSERT_NT(sec_map(o, &b2, &z2, PAGE_READWRITE), STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(((uint8_t *)b2)[5], 0x55);  /* both handles name one section */
		KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b2), STATUS_SUCCESS);
	}
	base = NULL;
	size = 0;
	KMEMU_EXPECT_NT(sec_map(NULL, &base, &size, PAGE_READWRITE), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(sec_map((HANDLE)(uintptr_t)0xDEADBEEF, &base, &size, PAGE_READWRITE),
			STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(sec_map(ZwCurrentProcess(), &base, &size, PAGE_READWRITE),
			STATUS_OBJECT_TYPE_MISMATCH);
	KMEMU_EXPECT_NT(sec_map(ph, &base, &size, PAGE_READWRITE), STATUS_OBJECT_TYPE_MISMATCH);
	KMEMU_EXPECT_TRUE(base == NULL && size == 0);
	ZwClose(ph);
	ZwClose(o);
	ZwClose(s);
}

KMEMU_CASE(process_current, A "process-current", SEC_CAPS | KMEMU_CAP_MULTI_PROCESS,
	   A "process-handle-current")
{
	HANDLE s, theirs = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	kmemu_pid other = 0, me = 0;
	struct kmemu_view_info vi;
	PVOID nb = NULL;
	SIZE_T nz = 0;
	uint8_t *b;

	KMEMU_SETUP_NT(kmemu_process_create("other", &other));
	KMEMU_SETUP_NT(kmemu_process_attach(other, &me));
	/* handles belong to a process: the creator's handle means nothing here */
	KMEMU_EXPECT_NT(sec_map(theirs, &nb, &nz, PAGE_READWRITE), STATUS_INVALID_HANDLE);
	s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	b = sec_setup_map(s, 0, PAGE_READWRITE);
	KMEMU_EXPECT_NT(kmemu_view_query(other, b, &vi), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_view_query(me, b, &vi), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	ZwClose(s);
	KMEMU_SETUP_NT(kmemu_process_attach(me, NULL));
	ZwClose(theirs);
}

KMEMU_CASE(process_other, A "process-other", SEC_CAPS | KMEMU_CAP_MULTI_PROCESS,
	   A "process-handle-other " A "several-views " A "maps-view")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT), ph = NULL;
	kmemu_pid other = 0;
	uint8_t *b1, *b2, buf[64];
	PVOID ob = NULL;
	SIZE_T size = 0;
	struct kmemu_view_info vi;

	KMEMU_SETUP_NT(kmemu_process_create("target", &other));
	KMEMU_SETUP_NT(kmemu_process_open(other, PROCESS_VM_OPERATION, &ph));
	b1 = sec_setup_map(s, 0, PAGE_READWRITE);
	b2 = sec_setup_map(s, 0, PAGE_READWRITE);
	KMEMU_EXPECT_TRUE(b1 != b2);
	for (size_t i = 0; i < 0x20000; i += 0x1000)  /* fresh memory reads as zero */
		if (b1[i] || b2[i + 0xFFF])
			KMEMU_FAIL("fresh section memory not zero at 0x%zx", i);
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ph, &ob, 0, 0, NULL, &size, ViewUnmap, 0, PAGE_READWRITE),
			STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(size, 0x20000);
	KMEMU_EXPECT_NT(kmemu_view_query(other, ob, &vi), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_view_query(0, ob, &vi), STATUS_NOT_MAPPED_VIEW);
	kmemu_fill(b1 + 0x1F000, sizeof(buf), 3);
	KMEMU_EXPECT_EQ(kmemu_pattern_mismatch(b2 + 0x1F000, sizeof(buf), 3), SIZE_MAX);
	KMEMU_ASSERT_NT(kmemu_user_read(other, (uintptr_t)ob + 0x1F000, buf, sizeof(buf)),
			STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(kmemu_pattern_mismatch(buf, sizeof(buf), 3), SIZE_MAX);
	kmemu_fill(buf, sizeof(buf), 9);
	KMEMU_ASSERT_NT(kmemu_user_write(other, (uintptr_t)ob + 5, buf, sizeof(buf)), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(kmemu_pattern_mismatch(b1 + 5, sizeof(buf), 9), SIZE_MAX);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ph, ob), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_view_query(other, ob, &vi), STATUS_NOT_MAPPED_VIEW);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b1);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b2);
	ZwClose(ph);
	ZwClose(s);
}

KMEMU_CASE(process_access, A "process-handle-access", SEC_CAPS | KMEMU_CAP_MULTI_PROCESS,
	   A "process-handle-vm-operation")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT), ph = NULL;
	kmemu_pid other = 0;
	PVOID b = NULL;
	SIZE_T size = 0;

	KMEMU_SETUP_NT(kmemu_process_create("target", &other));
	KMEMU_SETUP_NT(kmemu_process_open(other, PROCESS_VM_READ | PROCESS_QUERY_INFORMATION, &ph));
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ph, &b, 0, 0, NULL, &size, ViewUnmap, 0, PAGE_READWRITE),
			STATUS_ACCESS_DENIED);
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, NULL, &b, 0, 0, NULL, &size, ViewUnmap, 0, PAGE_READWRITE),
			STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, (HANDLE)(uintptr_t)0xDEADBEEF, &b, 0, 0, NULL, &size,
					   ViewUnmap, 0, PAGE_READWRITE), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, s, &b, 0, 0, NULL, &size, ViewUnmap, 0, PAGE_READWRITE),
			STATUS_OBJECT_TYPE_MISMATCH);
	KMEMU_EXPECT_TRUE(b == NULL);
	ZwClose(ph);
	ZwClose(s);
}

/* ---- BaseAddress ---------------------------------------------------------------------- */

KMEMU_CASE(base_alignment, A "base-alignment", SEC_CAPS,
	   A "base-rounded-down " A "base-null-system-chooses " A "outputs-on-success-only")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
	uintptr_t free_at;
	PVOID base;
	SIZE_T size;
	LARGE_INTEGER off;

	KMEMU_EXPECT_EQ((uintptr_t)b & 0xFFFF, 0);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	/* the address just freed, exactly */
	base = b;
	size = 0;
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ((uintptr_t)base, (uintptr_t)b);
	ZwUnmapViewOfSection(ZwCurrentProcess(), base);
	static const uintptr_t skew[] = { 0x1000, 42, 0x8000 };
	for (size_t i = 0; i < sizeof(skew) / sizeof(skew[0]); i++) {
		base = b + skew[i];
		size = 0x1234;
		off.QuadPart = 0;
		KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &base, 0, 0, &off, &size,
						   ViewUnmap, 0, PAGE_READWRITE), STATUS_MAPPED_ALIGNMENT);
		KMEMU_EXPECT_EQ((uintptr_t)base, (uintptr_t)(b + skew[i]));
		KMEMU_EXPECT_EQ(size, 0x1234);
		KMEMU_EXPECT_EQ(off.QuadPart, 0);
	}
	free_at = sec_free_host_range(0x30000);
	if (free_at) {
		base = (PVOID)(free_at + 0x1000);
		size = 0;
		KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_MAPPED_ALIGNMENT);
	}
	ZwClose(s);
}

KMEMU_CASE(base_fixed_outside, A "base-fixed-outside", SEC_CAPS, A "base-fixed-outside " A "maps-view")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *other = sec_setup_map(s, 0, PAGE_READWRITE);
	uintptr_t at = sec_free_host_range(0x20000);
	PVOID base = (PVOID)at;
	SIZE_T size = 0;

	KMEMU_SETUP_TRUE(at != 0);
	KMEMU_ASSERT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ((uintptr_t)base, at);
	((uint8_t *)base)[0x1FFFF] = 0xA5;
	KMEMU_EXPECT_EQ(other[0x1FFFF], 0xA5);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), base), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE(!kmemu_try_read((void *)at));
	ZwUnmapViewOfSection(ZwCurrentProcess(), other);
	ZwClose(s);
}

KMEMU_CASE(base_conflict, A "base-conflict", SEC_CAPS, A "base-conflict " A "return-values")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
	uint8_t *mine = mmap(NULL, 0x40000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	PVOID base = b;
	SIZE_T size = 0;

	KMEMU_SETUP_TRUE(mine != MAP_FAILED);
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
	base = b + 0x10000;  /* inside the view: the new one would overlap its second half */
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
	KMEMU_EXPECT_TRUE(base == b + 0x10000);
	base = (PVOID)(((uintptr_t)mine + 0xFFFF) & ~(uintptr_t)0xFFFF);
	size = 0x10000;
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
	munmap(mine, 0x40000);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

KMEMU_CASE(base_kernel, A "base-kernel", SEC_CAPS,
	   A "base-kernel " A "view-size-too-big " A "kernel-range")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	PVOID base = (PVOID)(uintptr_t)0xFFFF800000000000ull;
	SIZE_T size = 0;

	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
	base = (PVOID)(uintptr_t)0x7FFFFFFF0000ull;
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
	base = (PVOID)(uintptr_t)0x7FFFFFFE0000ull;  /* last user 64 KiB slot; the view is 2 */
	size = 0x20000;
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
	base = NULL;
	size = (SIZE_T)-1;
	KMEMU_EXPECT_NT(sec_map(s, &base, &size, PAGE_READWRITE), STATUS_INVALID_PARAMETER_3);
	ZwClose(s);
}

/* ---- ZeroBits ------------------------------------------------------------------------- */

/* 1 if the host lets us claim a low 64 KiB slot below @limit. */
static int low_memory_available(uintptr_t limit)
{
	unsigned n = 0;

	for (uintptr_t a = (limit - 0x10000) & ~(uintptr_t)0xFFFF; a >= 0x10000 && n < 4096;
	     a -= 0x10000, n++) {
		void *p = mmap((void *)a, 0x10000, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (p != MAP_FAILED) {
			munmap(p, 0x10000);
			if ((uintptr_t)p == a)
				return 1;
		}
	}
	return 0;
}

KMEMU_CASE(zero_bits, A "zero-bits", SEC_CAPS, A "zero-bits " A "validation-order")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	PVOID base = NULL;
	SIZE_T size = 0;
	NTSTATUS st;

	for (ULONG_PTR zb = 22; zb < 32; zb++) {
		base = NULL;
		KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &base, zb, 0, NULL, &size,
						   ViewUnmap, 0, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
	}
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &base, 21, 0, NULL, &size, ViewUnmap,
					   0, PAGE_READWRITE), STATUS_NO_MEMORY);
	/* explicit base: 0x30000000 satisfies ZeroBits 2 (limit 2^30) but not 3 */
	base = (PVOID)(uintptr_t)0x30000000;
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &base, 3, 0, NULL, &size, ViewUnmap,
					   0, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
	/* unaligned base violating ZeroBits: P4 first (W1) */
	base = (PVOID)(uintptr_t)0x30001000;
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &base, 3, 0, NULL, &size, ViewUnmap,
					   0, PAGE_READWRITE), STATUS_INVALID_PARAMETER_4);
	for (ULONG_PTR zb = 1; zb <= 14; zb += 13) {
		uintptr_t limit = (uintptr_t)1 << (32 - zb);

		base = NULL;
		size = 0;
		st = ZwMapViewOfSection(s, ZwCurrentProcess(), &base, zb, 0, NULL, &size, ViewUnmap,
					zb == 1 ? MEM_TOP_DOWN : 0, PAGE_READWRITE);
		if (st == STATUS_NO_MEMORY && !low_memory_available(limit)) {
			kmemu_diag("ZeroBits %lu: the host has no low memory free", (unsigned long)zb);
			continue;
		}
		if (!KMEMU_EXPECT_NT(st, STATUS_SUCCESS))
			continue;
		KMEMU_EXPECT_TRUE((uintptr_t)base + size - 1 < limit);
		KMEMU_EXPECT_EQ((uintptr_t)base & 0xFFFF, 0);
		((volatile uint8_t *)base)[0] = 1;
		KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), base), STATUS_SUCCESS);
	}
	ZwClose(s);
}

KMEMU_CASE(zero_bits_mask, A "zero-bits-mask", SEC_CAPS, A "zero-bits-mask")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	PVOID base = NULL;
	SIZE_T size = 0;
	NTSTATUS st = ZwMapViewOfSection(s, ZwCurrentProcess(), &base, 0x1aaaaaaa, 0, NULL, &size,
					 ViewUnmap, 0, PAGE_READWRITE);

	if (st == STATUS_NO_MEMORY && !low_memory_available(0x20000000))
		KMEMU_UNSUPPORTED("the host has no memory free below 0x20000000");
	KMEMU_ASSERT_NT(st, STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE((uintptr_t)base + size - 1 <= 0x1FFFFFFF);
	ZwUnmapViewOfSection(ZwCurrentProcess(), base);
	ZwClose(s);
}

KMEMU_CASE(low_claims, A "low-claims-shared", SEC_CAPS | KMEMU_CAP_MULTI_PROCESS, A "low-claims-shared")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT), ph = NULL;
	kmemu_pid other = 0;
	PVOID b1 = NULL, b2 = NULL;
	SIZE_T z1 = 0, z2 = 0;
	NTSTATUS st;

	KMEMU_SETUP_NT(kmemu_process_create("second", &other));
	KMEMU_SETUP_NT(kmemu_process_open(other, PROCESS_VM_OPERATION, &ph));
	st = ZwMapViewOfSection(s, ZwCurrentProcess(), &b1, 4, 0, NULL, &z1, ViewUnmap, 0,
				PAGE_READWRITE);
	if (st == STATUS_NO_MEMORY && !low_memory_available(1u << 28))
		KMEMU_UNSUPPORTED("the host has no low memory free");
	KMEMU_ASSERT_NT(st, STATUS_SUCCESS);
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ph, &b2, 4, 0, NULL, &z2, ViewUnmap, 0, PAGE_READWRITE),
			STATUS_SUCCESS);
	KMEMU_EXPECT_NE((uintptr_t)b1, (uintptr_t)b2);
	KMEMU_EXPECT_TRUE((uintptr_t)b1 < (1u << 28) && (uintptr_t)b2 < (1u << 28));
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ph, b2), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b1), STATUS_SUCCESS);
	ZwClose(ph);
	ZwClose(s);
}

/* ---- CommitSize, SEC_RESERVE ------------------------------------------------------------ */

KMEMU_CASE(commit_size, A "commit-size", SEC_CAPS,
	   A "commit-size " A "reserve-uncommitted-fault")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_RESERVE);
	PVOID b1 = NULL, b2 = NULL;
	SIZE_T z1 = 0, z2 = 0;
	struct kmemu_view_info vi;
	uint8_t *p;

	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b1, 0, 1, NULL, &z1, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_SUCCESS);
	p = b1;
	KMEMU_EXPECT_NT(kmemu_view_query(0, p, &vi), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(vi.state, MEM_COMMIT);
	KMEMU_EXPECT_NT(kmemu_view_query(0, p + 0x1000, &vi), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(vi.state, MEM_RESERVE);
	KMEMU_EXPECT_TRUE(kmemu_try_write(p + 0xFFF));
	KMEMU_EXPECT_TRUE(!kmemu_try_read(p + 0x1000));
	KMEMU_EXPECT_TRUE(!kmemu_try_write(p + 0x1000));
	/* a second view committing three pages commits them for the first too */
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b2, 0, 0x2001, NULL, &z2, ViewUnmap,
					   0, PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE(kmemu_try_write(p + 0x2FFF));
	KMEMU_EXPECT_TRUE(!kmemu_try_read(p + 0x3000));
	p[0x2000] = 0x42;
	KMEMU_EXPECT_EQ(((uint8_t *)b2)[0x2000], 0x42);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b1);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b2);
	ZwClose(s);
	/* SEC_COMMIT: CommitSize changes nothing */
	s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	b1 = NULL;
	z1 = 0;
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b1, 0, 0x1000, NULL, &z1, ViewUnmap,
					   0, PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE(kmemu_try_write((uint8_t *)b1 + 0x1FFFF));
	ZwUnmapViewOfSection(ZwCurrentProcess(), b1);
	ZwClose(s);
}

KMEMU_CASE(commit_too_big, A "commit-size-too-big", SEC_CAPS, A "commit-size-too-big")
{
	HANDLE s = sec_setup_create(0x50000, PAGE_READWRITE, SEC_COMMIT);
	static const SIZE_T bad[] = { (SIZE_T)-1, 0x10000000, 0x01000000, 0x51000 };
	PVOID b = NULL;
	SIZE_T z = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, bad[i], NULL, &z,
						   ViewUnmap, 0, PAGE_READWRITE), STATUS_INVALID_PARAMETER_5);
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 500, NULL, &z, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

/* ---- SectionOffset and ViewSize ------------------------------------------------------------ */

KMEMU_CASE(offset, A "offset", SEC_CAPS, A "offset-rounded-down " A "view-size-zero")
{
	HANDLE s = sec_setup_create(0x30000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *all = sec_setup_map(s, 0, PAGE_READWRITE);
	static const LONGLONG bad[] = { 1, 0x1000, 0x40211, -1 };
	LARGE_INTEGER off;
	PVOID b = NULL;
	SIZE_T z = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		off.QuadPart = bad[i];
		KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, &off, &z, ViewUnmap,
						   0, PAGE_READWRITE), STATUS_MAPPED_ALIGNMENT);
		KMEMU_EXPECT_EQ(off.QuadPart, bad[i]);
	}
	off.QuadPart = 0x10000;
	all[0x10000] = 0x77;
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, &off, &z, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(off.QuadPart, 0x10000);
	KMEMU_EXPECT_EQ(z, 0x20000);
	KMEMU_EXPECT_EQ(((uint8_t *)b)[0], 0x77);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwUnmapViewOfSection(ZwCurrentProcess(), all);
	ZwClose(s);
}

KMEMU_CASE(view_size, A "view-size", SEC_CAPS, A "view-size-rounded " A "view-size-too-big")
{
	HANDLE s = sec_setup_create(0x30000, PAGE_READWRITE, SEC_COMMIT);
	LARGE_INTEGER off;
	PVOID b = NULL;
	SIZE_T z = 4090;

	KMEMU_ASSERT_NT(sec_map(s, &b, &z, PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(z, 4096);
	KMEMU_EXPECT_TRUE(kmemu_try_write((uint8_t *)b + 4095));
	KMEMU_EXPECT_TRUE(!kmemu_try_read((uint8_t *)b + 4096));
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	b = NULL;
	z = 0x2001;
	KMEMU_ASSERT_NT(sec_map(s, &b, &z, PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(z, 0x3000);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	b = NULL;
	z = 0x31000;
	KMEMU_EXPECT_NT(sec_map(s, &b, &z, PAGE_READWRITE), STATUS_INVALID_VIEW_SIZE);
	off.QuadPart = 0x30000;
	z = 1;
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, &off, &z, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_INVALID_VIEW_SIZE);
	off.QuadPart = 0x40000;
	z = 0;
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, &off, &z, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_INVALID_VIEW_SIZE);
	off.QuadPart = 0x20000;
	z = 0x20000;
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, &off, &z, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_INVALID_VIEW_SIZE);
	KMEMU_EXPECT_TRUE(b == NULL);
	ZwClose(s);
}

/* ---- InheritDisposition -------------------------------------------------------------------- */

KMEMU_CASE(inherit, A "inherit", SEC_CAPS | KMEMU_CAP_MULTI_PROCESS,
	   A "inherit-share " A "inherit-unmap " A "child-keeps-inherited")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	PVOID bs = NULL, bu = NULL;
	SIZE_T zs = 0, zu = 0;
	kmemu_pid me = 0, child = 0, before = 0;
	struct kmemu_view_info vi;
	uint8_t buf[16];

	KMEMU_SETUP_NT(kmemu_process_current(&me));
	KMEMU_SETUP_NT(kmemu_process_create_child(me, "before", &before));
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &bs, 0, 0, NULL, &zs, ViewShare, 0,
					   PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &bu, 0, 0, NULL, &zu, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_SUCCESS);
	kmemu_fill(bs, 16, 4);
	KMEMU_ASSERT_NT(kmemu_process_create_child(me, "child", &child), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_view_query(child, bs, &vi), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ((uintptr_t)vi.base, (uintptr_t)bs);
	KMEMU_EXPECT_EQ(vi.inherit, ViewShare);
	KMEMU_EXPECT_NT(kmemu_user_read(child, (uintptr_t)bs, buf, 16), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(kmemu_pattern_mismatch(buf, 16, 4), SIZE_MAX);
	kmemu_fill(buf, 16, 5);
	KMEMU_EXPECT_NT(kmemu_user_write(child, (uintptr_t)bs + 0x100, buf, 16), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(kmemu_pattern_mismatch((uint8_t *)bs + 0x100, 16, 5), SIZE_MAX);
	/* ViewUnmap: not in the child; nothing in the child created before */
	KMEMU_EXPECT_NT(kmemu_view_query(child, bu, &vi), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(kmemu_user_read(child, (uintptr_t)bu, buf, 1), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_NT(kmemu_view_query(before, bs, &vi), STATUS_NOT_MAPPED_VIEW);
	/* the parent unmaps: the child keeps its view */
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), bs), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_user_read(child, (uintptr_t)bs + 0x100, buf, 16), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(kmemu_pattern_mismatch(buf, 16, 5), SIZE_MAX);
	KMEMU_EXPECT_NT(kmemu_process_destroy(child), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_process_destroy(before), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), bu);
	ZwClose(s);
	KMEMU_EXPECT_NT(kmemu_check(NULL), STATUS_SUCCESS);
}

KMEMU_CASE(inherit_invalid, A "inherit-invalid", SEC_CAPS, A "inherit-invalid " A "validation-order")
{
	PVOID b = NULL;
	SIZE_T z = 0;

	/* bad handles and protection too: P8 comes first */
	KMEMU_EXPECT_NT(ZwMapViewOfSection(NULL, NULL, &b, 0, 0, NULL, &z, (SECTION_INHERIT)0, 0, 0),
			STATUS_INVALID_PARAMETER_8);
	KMEMU_EXPECT_NT(ZwMapViewOfSection(NULL, NULL, &b, 0, 0, NULL, &z, (SECTION_INHERIT)3, MEM_COMMIT,
					   0), STATUS_INVALID_PARAMETER_8);
}

/* ---- AllocationType ------------------------------------------------------------------------ */

KMEMU_CASE(allocation_type, A "allocation-type", SEC_CAPS, A "allocation-type " A "validation-order")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	static const ULONG ok[] = { 0, MEM_LARGE_PAGES, MEM_DIFFERENT_IMAGE_BASE_OK, MEM_TOP_DOWN };
	PVOID b = NULL;
	SIZE_T z = 0;

	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap,
					   MEM_COMMIT, PAGE_READWRITE), STATUS_INVALID_PARAMETER_9);
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap,
					   MEM_DOS_LIM, PAGE_READWRITE), STATUS_INVALID_PARAMETER_9);
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap, 0x8,
					   PAGE_READWRITE), STATUS_INVALID_PARAMETER_9);
	/* P9 before the protection check */
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap,
					   MEM_COMMIT, 0), STATUS_INVALID_PARAMETER_9);
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap,
					   MEM_RESERVE, PAGE_READWRITE), STATUS_INVALID_PARAMETER_9);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		b = NULL;
		z = 0;
		if (!KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z,
							ViewUnmap, ok[i], PAGE_READWRITE), STATUS_SUCCESS))
			continue;
		KMEMU_EXPECT_EQ(((uint8_t *)b)[0x1FFFF], 0);  /* implicitly committed */
		ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	}
	ZwClose(s);
}

KMEMU_CASE(top_down, A "top-down", SEC_CAPS, A "top-down")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	PVOID lo = NULL, hi = NULL;
	SIZE_T z1 = 0, z2 = 0;

	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &lo, 0, 0, NULL, &z1, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &hi, 0, 0, NULL, &z2, ViewUnmap,
					   MEM_TOP_DOWN, PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE((uintptr_t)hi > (uintptr_t)lo);
	ZwUnmapViewOfSection(ZwCurrentProcess(), lo);
	ZwUnmapViewOfSection(ZwCurrentProcess(), hi);
	ZwClose(s);
}

KMEMU_CASE(placeholder, A "replace-placeholder", SEC_CAPS, A "replace-placeholder")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uintptr_t at = sec_free_host_range(0x10000);
	PVOID b = (PVOID)at;
	SIZE_T z = 0;

	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap,
					   MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE),
			STATUS_CONFLICTING_ADDRESSES);
	b = NULL;
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap,
					   MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE),
			STATUS_INVALID_PARAMETER_3);
	ZwClose(s);
}

/* ---- Win32Protect ---------------------------------------------------------------------------- */

KMEMU_CASE(protect_applied, A "protect-applied", SEC_CAPS, A "protect-applied " A "maps-view")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *rw = sec_setup_map(s, 0, PAGE_READWRITE);
	uint8_t *ro = sec_setup_map(s, 0, PAGE_READONLY);
	uint8_t *na = sec_setup_map(s, 0, PAGE_NOACCESS);
	uint8_t *wc = sec_setup_map(s, 0, PAGE_WRITECOPY);

	rw[10] = 0x11;
	KMEMU_EXPECT_EQ(ro[10], 0x11);
	KMEMU_EXPECT_TRUE(kmemu_try_read(ro + 0xFFFF));
	KMEMU_EXPECT_TRUE(!kmemu_try_write(ro));
	KMEMU_EXPECT_TRUE(!kmemu_try_write(ro + 0xFFFF));
	KMEMU_EXPECT_TRUE(!kmemu_try_read(na));
	KMEMU_EXPECT_TRUE(kmemu_try_write(rw + 0xFFFF));
	KMEMU_EXPECT_EQ(wc[10], 0x11);
	wc[10] = 0x22;  /* copy on write: private */
	KMEMU_EXPECT_EQ(rw[10], 0x11);
	KMEMU_EXPECT_EQ(wc[10], 0x22);
	ZwUnmapViewOfSection(ZwCurrentProcess(), rw);
	ZwUnmapViewOfSection(ZwCurrentProcess(), ro);
	ZwUnmapViewOfSection(ZwCurrentProcess(), na);
	ZwUnmapViewOfSection(ZwCurrentProcess(), wc);
	ZwClose(s);
}

KMEMU_CASE(protect_invalid, A "protect-invalid", SEC_CAPS, A "protect-invalid " A "validation-order")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_EXECUTE_READWRITE, SEC_COMMIT);
	static const ULONG bad[] = {
		0, PAGE_READWRITE | PAGE_READONLY, PAGE_READWRITE | PAGE_EXECUTE_READ, 0x800,
		PAGE_GUARD | PAGE_NOACCESS, PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE,
		PAGE_NOACCESS | PAGE_NOCACHE, PAGE_GUARD | PAGE_NOCACHE | PAGE_READONLY,
	};
	PVOID b = NULL;
	SIZE_T z = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!KMEMU_EXPECT_NT(sec_map(s, &b, &z, bad[i]), STATUS_INVALID_PAGE_PROTECTION))
			kmemu_diag("Win32Protect 0x%X", (unsigned)bad[i]);
	}
	/* before the handles (step 3 < 7) */
	KMEMU_EXPECT_NT(ZwMapViewOfSection(NULL, NULL, &b, 0, 0, NULL, &z, ViewUnmap, 0, 0),
			STATUS_INVALID_PAGE_PROTECTION);
	ZwClose(s);
}

KMEMU_CASE(protect_compatible, A "protect-compatible", SEC_CAPS, A "protect-compatible")
{
	static const ULONG prots[] = { PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
				       PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
				       PAGE_EXECUTE_WRITECOPY };
	/* allowed view protections (bit = index in prots) per section protection */
	static const struct { ULONG sec; unsigned allowed; } table[] = {
		{ PAGE_READONLY, 0x0B },  { PAGE_WRITECOPY, 0x0B }, { PAGE_READWRITE, 0x0F },
		{ PAGE_EXECUTE, 0x11 },   { PAGE_EXECUTE_READ, 0x3B },
		{ PAGE_EXECUTE_WRITECOPY, 0xBB }, { PAGE_EXECUTE_READWRITE, 0xFF },
	};

	for (size_t t = 0; t < sizeof(table) / sizeof(table[0]); t++) {
		HANDLE s = sec_setup_create(0x10000, table[t].sec, SEC_COMMIT);

		for (size_t i = 0; i < 8; i++) {
			PVOID b = NULL;
			SIZE_T z = 0;
			NTSTATUS want = (table[t].allowed >> i) & 1 ? STATUS_SUCCESS : STATUS_SECTION_PROTECTION;
			NTSTATUS st = sec_map(s, &b, &z, prots[i]);

			if (!KMEMU_EXPECT_NT(st, want))
				kmemu_diag("section 0x%X, view 0x%X", (unsigned)table[t].sec,
					   (unsigned)prots[i]);
			if (st == STATUS_SUCCESS)
				ZwUnmapViewOfSection(ZwCurrentProcess(), b);
		}
		ZwClose(s);
	}
}

KMEMU_CASE(access_at_map, A "access-checked-at-map", SEC_CAPS, A "access-checked-at-map")
{
	HANDLE s = NULL, r = NULL, z0 = NULL;
	PVOID b = NULL;
	SIZE_T z = 0;

	KMEMU_SETUP_NT(sec_create_named(&s, "\\BaseNamedObjects\\kmemu-acc", 0, SECTION_ALL_ACCESS,
					0x10000));
	KMEMU_SETUP_NT(sec_open(&r, "\\BaseNamedObjects\\kmemu-acc", SECTION_MAP_READ, 0));
	KMEMU_SETUP_NT(sec_open(&z0, "\\BaseNamedObjects\\kmemu-acc", 0, 0));
	KMEMU_EXPECT_NT(sec_map(r, &b, &z, PAGE_READWRITE), STATUS_ACCESS_DENIED);
	KMEMU_EXPECT_NT(sec_map(z0, &b, &z, PAGE_NOACCESS), STATUS_ACCESS_DENIED);
	KMEMU_EXPECT_NT(sec_map(r, &b, &z, PAGE_READONLY), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(z0);
	ZwClose(r);
	ZwClose(s);
}

KMEMU_CASE(image_protect, A "image-protect", SEC_CAPS, A "image-protect")
{
	HANDLE s = NULL;
	LARGE_INTEGER li = { .QuadPart = 0x10000 };

	KMEMU_EXPECT_NT(ZwCreateSection(&s, SECTION_ALL_ACCESS, NULL, &li, PAGE_READONLY, SEC_IMAGE,
					NULL), STATUS_INVALID_FILE_FOR_SECTION);
	KMEMU_EXPECT_NT(ZwCreateSection(&s, SECTION_ALL_ACCESS, NULL, &li, PAGE_READONLY,
					SEC_IMAGE_NO_EXECUTE, NULL), STATUS_INVALID_FILE_FOR_SECTION);
	KMEMU_EXPECT_TRUE(s == NULL);
}

KMEMU_CASE(nocache, A "nocache", SEC_CAPS, A "nocache")
{
	HANDLE nc = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT | SEC_NOCACHE);
	HANDLE c = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b1 = sec_setup_map(nc, 0, PAGE_READWRITE);
	uint8_t *b2 = sec_setup_map(nc, 0, PAGE_READWRITE | PAGE_NOCACHE);
	uint8_t *b3 = sec_setup_map(c, 0, PAGE_READWRITE);
	struct kmemu_view_info vi;

	KMEMU_EXPECT_NT(kmemu_view_query(0, b1, &vi), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(vi.protect, 0x204);
	KMEMU_EXPECT_NT(kmemu_view_query(0, b2, &vi), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(vi.protect, 0x204);
	KMEMU_EXPECT_NT(kmemu_view_query(0, b3, &vi), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(vi.protect, PAGE_READWRITE);
	b1[0] = 1;
	KMEMU_EXPECT_EQ(b2[0], 1);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b1);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b2);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b3);
	ZwClose(nc);
	ZwClose(c);
}

KMEMU_CASE(physical_memory, A "physical-memory", SEC_CAPS, A "physical-memory")
{
	HANDLE h = NULL;

	KMEMU_EXPECT_NT(sec_open(&h, "\\Device\\PhysicalMemory", SECTION_MAP_READ, 0),
			STATUS_OBJECT_NAME_NOT_FOUND);
	KMEMU_EXPECT_TRUE(h == NULL);
}

/* ---- order of the checks ------------------------------------------------------------------- */

KMEMU_CASE(order, A "validation-order", SEC_CAPS, A "validation-order " A "outputs-on-success-only")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READONLY, SEC_COMMIT), ph = NULL;
	PVOID b = (PVOID)(uintptr_t)0xFFFF800000001000ull;
	SIZE_T z = 0;
	kmemu_pid me;

	KMEMU_SETUP_NT(kmemu_process_current(&me));
	KMEMU_SETUP_NT(kmemu_process_open(me, PROCESS_VM_READ, &ph));
	/* 5 (kernel) before 7 (process handle) and 9 (alignment) */
	KMEMU_EXPECT_NT(ZwMapViewOfSection(NULL, NULL, &b, 0, 0, NULL, &z, ViewUnmap, 0, PAGE_READONLY),
			STATUS_INVALID_PARAMETER_3);
	/* 6 (ZeroBits) before 7 */
	b = NULL;
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, NULL, &b, 25, 0, NULL, &z, ViewUnmap, 0, PAGE_READONLY),
			STATUS_INVALID_PARAMETER_4);
	/* 7 (process) before 8 (section) */
	KMEMU_EXPECT_NT(ZwMapViewOfSection(NULL, ph, &b, 0, 0, NULL, &z, ViewUnmap, 0, PAGE_READONLY),
			STATUS_ACCESS_DENIED);
	/* 8 (section) before 9 (alignment) */
	b = (PVOID)(uintptr_t)0x30001000;
	KMEMU_EXPECT_NT(ZwMapViewOfSection(NULL, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap, 0,
					   PAGE_READONLY), STATUS_INVALID_HANDLE);
	/* 9 (alignment) before 10 (protection) */
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_MAPPED_ALIGNMENT);
	/* 10 (protection) before 11 (sizes) */
	b = NULL;
	z = 0x100000;
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap, 0,
					   PAGE_EXECUTE), STATUS_SECTION_PROTECTION);
	/* 11: the size before the commit size */
	KMEMU_EXPECT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, (SIZE_T)-1, NULL, &z,
					   ViewUnmap, 0, PAGE_READONLY), STATUS_INVALID_VIEW_SIZE);
	KMEMU_EXPECT_TRUE(b == NULL && z == 0x100000);
	ZwClose(ph);
	ZwClose(s);
}

/* ---- IRQL ------------------------------------------------------------------------------------ */

static void map_at_dispatch(void *arg)
{
	PVOID b = NULL;
	SIZE_T z = 0;

	*(NTSTATUS *)arg = ZwMapViewOfSection(NULL, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap,
					      0, PAGE_READWRITE);
}

static int handler_calls;
static void returning_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)r;
	(void)ctx;
	handler_calls++;
}

KMEMU_CASE(irql, A "irql", SEC_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK,
	   A "irql-passive " A "irql-bugcheck-choice")
{
	struct kmemu_bugcheck_report rep;
	NTSTATUS st = 0;
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	PVOID b = NULL;
	SIZE_T z = 0;

	KMEMU_SETUP_NT(kmemu_irql_set(2, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(map_at_dispatch, &st, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_EXPECT_EQ(rep.param[1], 2);
	KMEMU_EXPECT_EQ(rep.param[2], 8);
	kmemu_bugcheck_set_handler(returning_handler, NULL);
	KMEMU_EXPECT_NT(sec_map(s, &b, &z, PAGE_READWRITE), STATUS_UNSUCCESSFUL);
	KMEMU_EXPECT_TRUE(b == NULL);
	KMEMU_EXPECT_EQ(handler_calls, 1);
	kmemu_bugcheck_set_handler(NULL, NULL);
	KMEMU_SETUP_NT(kmemu_irql_set(0, NULL));
	KMEMU_EXPECT_NT(sec_map(s, &b, &z, PAGE_READWRITE), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

/* A new process "other" (*@pid), a process handle with PROCESS_VM_OPERATION
 * (*@ph) and a read/write view of @s in it; must work. */
static PVOID sec_setup_map_other(HANDLE s, kmemu_pid *pid, HANDLE *ph)
{
	PVOID b = NULL;
	SIZE_T z = 0;

	KMEMU_SETUP_NT(kmemu_process_create("other", pid));
	KMEMU_SETUP_NT(kmemu_process_open(*pid, PROCESS_VM_OPERATION, ph));
	KMEMU_SETUP_NT(ZwMapViewOfSection(s, *ph, &b, 0, 0, NULL, &z, ViewUnmap, 0, PAGE_READWRITE));
	return b;
}

/* ---- kernel-space views (MmMapViewInSystemSpace) ------------------------------------------------- */

KMEMU_CASE(kernel_alias, A "kernel-view-aliases-user-view", KVIEW_CAPS | KMEMU_CAP_MULTI_PROCESS,
	   A "kernel-view-aliases-user-view " A "several-views")
{
	HANDLE s = sec_setup_create(0x3000, PAGE_READWRITE, SEC_COMMIT), ph = NULL;
	PVOID obj = sec_setup_ref(s), ob;
	uint8_t *u = sec_setup_map(s, 0, PAGE_READWRITE), *k, buf[8];
	kmemu_pid other = 0, me = 0;
	uint64_t pu = 0, pk = 0;

	KMEMU_SETUP_NT(kmemu_process_current(&me));
	ob = sec_setup_map_other(s, &other, &ph);
	k = sec_setup_kmap(obj, 0);
	/* user -> kernel */
	memcpy(u + 0x2FF8, "user->k", 8);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k + 0x2FF8, buf, 8), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "user->k", 8);
	/* kernel -> both processes */
	KMEMU_EXPECT_NT(kmemu_kernel_write((uintptr_t)k + 0x1000, "kern->u", 8), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(u + 0x1000, "kern->u", 8);
	KMEMU_EXPECT_NT(kmemu_user_read(other, (uintptr_t)ob + 0x1000, buf, 8), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "kern->u", 8);
	/* other process -> kernel */
	KMEMU_EXPECT_NT(kmemu_user_write(other, (uintptr_t)ob + 8, "other>k", 8), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k + 8, buf, 8), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "other>k", 8);
	/* one frame behind the three addresses */
	KMEMU_EXPECT_NT(kmemu_virt_to_phys(0, k + 0x2123, &pk), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_virt_to_phys(me, u + 0x2123, &pu), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(pk, pu);
	KMEMU_EXPECT_NT(kmemu_virt_to_phys(other, (uint8_t *)ob + 0x2123, &pu), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(pk, pu);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k, buf, 1), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ph, ob), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), u), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	ZwClose(ph);
	ZwClose(s);
}

KMEMU_CASE(kernel_commit, A "kernel-view-sees-commit", KVIEW_CAPS,
	   A "kernel-view-sees-commit " A "reserve-uncommitted-fault")
{
	HANDLE s = sec_setup_create(0x40000, PAGE_READWRITE, SEC_RESERVE);
	PVOID obj = sec_setup_ref(s), b = NULL;
	SIZE_T z = 0;
	uint8_t *k = sec_setup_kmap(obj, 0), buf[4];
	uint64_t pa;

	/* nothing committed: the whole kernel view is inaccessible */
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k, buf, 1), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_NT(kmemu_kernel_write((uintptr_t)k + 0x3FFFF, "x", 1), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_NT(kmemu_virt_to_phys(0, k, &pa), STATUS_INVALID_ADDRESS);
	/* a user view commits two pages: they appear in the kernel view */
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0x2000, NULL, &z, ViewUnmap, 0,
					   PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k + 0x1FFC, buf, 4), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "\0\0\0\0", 4);  /* fresh memory is zero */
	KMEMU_EXPECT_NT(kmemu_kernel_write((uintptr_t)k + 0x1FFC, "abc", 4), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM((uint8_t *)b + 0x1FFC, "abc", 4);
	KMEMU_EXPECT_NT(kmemu_virt_to_phys(0, k + 0x1000, &pa), STATUS_SUCCESS);
	/* the third page is still reserved, in both views */
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k + 0x2000, buf, 1), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_TRUE(!kmemu_try_read((uint8_t *)b + 0x2000));
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	/* committed pages stay with the section: still there in the kernel view */
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k + 0x1FFC, buf, 4), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "abc", 4);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	ZwClose(s);
}

/* ---- the OOM loop ------------------------------------------------------------------------------ */

struct oom_ctx {
	ULONG attrs;
	SIZE_T commit;
};

/* create + map (two views) + unmap + close; leaves nothing behind. */
static uint32_t run_cycle(void *arg)
{
	const struct oom_ctx *c = arg;
	HANDLE s = NULL;
	PVOID b1 = NULL, b2 = NULL;
	SIZE_T z1 = 0, z2 = 0;
	NTSTATUS st = sec_create(&s, 0x23000, PAGE_READWRITE, c->attrs);

	if (st)
		return (uint32_t)st;
	st = ZwMapViewOfSection(s, ZwCurrentProcess(), &b1, 0, c->commit, NULL, &z1, ViewShare, 0,
				PAGE_READWRITE);
	if (!st) {
		((volatile uint8_t *)b1)[0] = 1;
		st = ZwMapViewOfSection(s, ZwCurrentProcess(), &b2, 0, 0x5000, NULL, &z2, ViewUnmap,
					MEM_TOP_DOWN, PAGE_READONLY);
		if (!st)
			st = ZwUnmapViewOfSection(ZwCurrentProcess(), (uint8_t *)b2 + 0x1000);
		ZwUnmapViewOfSection(ZwCurrentProcess(), b1);
	}
	ZwClose(s);
	return (uint32_t)st;
}

KMEMU_CASE(oom_loop, A "oom-loop", SEC_CAPS | KMEMU_CAP_FAULT_INJECT, A "oom-loop")
{
	static const uint32_t fail_ok[] = { STATUS_NO_MEMORY, STATUS_INSUFFICIENT_RESOURCES,
					    STATUS_COMMITMENT_LIMIT };
	static const struct oom_ctx ctxs[] = { { SEC_COMMIT, 0 }, { SEC_RESERVE, 0x3000 } };

	for (size_t i = 0; i < 2; i++) {
		struct oom_ctx ctx = ctxs[i];
		struct kmemu_oom_op op = {
			.name = i ? "SEC_RESERVE cycle" : "SEC_COMMIT cycle", .run = run_cycle,
			.ctx = &ctx, .success = 0, .fail_ok = fail_ok, .n_fail_ok = 3, .resources = 0,
		};
		struct kmemu_oom_result res;

		KMEMU_SETUP_NT(run_cycle(&ctx));
		if (!KMEMU_EXPECT_NT(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS) || !res.ok)
			kmemu_diag("%s", res.message);
		KMEMU_EXPECT_NE(res.failures, 0);
		kmemu_diag("%s: %u iterations, %u with an injected failure", op.name, res.iterations,
			   res.failures);
	}
}

/* ---- the test-side user accessors through views ------------------------------------------------- */

KMEMU_CASE(user_access_protection, A "user-access-protection", SEC_CAPS,
	   A "user-access-protection " A "protect-applied")
{
	static const struct {
		ULONG protect;
		kmemu_status read, write;
	} rows[] = {
		{ PAGE_NOACCESS, STATUS_ACCESS_VIOLATION, STATUS_ACCESS_VIOLATION },
		{ PAGE_READONLY, STATUS_SUCCESS, STATUS_ACCESS_VIOLATION },
		{ PAGE_READWRITE, STATUS_SUCCESS, STATUS_SUCCESS },
		{ PAGE_EXECUTE, STATUS_SUCCESS, STATUS_ACCESS_VIOLATION },
		{ PAGE_EXECUTE_READ, STATUS_SUCCESS, STATUS_ACCESS_VIOLATION },
		{ PAGE_EXECUTE_READWRITE, STATUS_SUCCESS, STATUS_SUCCESS },
	};
	HANDLE s = sec_setup_create(0x10000, PAGE_EXECUTE_READWRITE, SEC_COMMIT);
	uint8_t *rw = sec_setup_map(s, 0, PAGE_READWRITE);
	char buf[8];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t *v = sec_setup_map(s, 0, rows[i].protect);

		memcpy(rw + 0x100, "shared!", 8);
		memcpy(buf, "unread!", 8);
		KMEMU_EXPECT_NT(kmemu_user_read(0, (uintptr_t)v + 0x100, buf, 8), rows[i].read);
		KMEMU_EXPECT_MEM(buf, rows[i].read ? "unread!" : "shared!", 8);
		KMEMU_EXPECT_NT(kmemu_user_write(0, (uintptr_t)v + 0x100, "viewed!", 8), rows[i].write);
		KMEMU_EXPECT_MEM(rw + 0x100, rows[i].write ? "shared!" : "viewed!", 8);
		KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), v), STATUS_SUCCESS);
	}
	ZwUnmapViewOfSection(ZwCurrentProcess(), rw);
	ZwClose(s);
}

KMEMU_CASE(user_access_no_partial, A "user-access-no-partial-copy", SEC_CAPS,
	   A "user-access-protection")
{
	HANDLE r = sec_setup_create(0x2000, PAGE_READWRITE, SEC_RESERVE);
	PVOID rb = NULL;
	SIZE_T rz = 0;
	uint8_t *rv;
	char buf[8];

	/* one committed page, one not: a range over both copies nothing */
	KMEMU_SETUP_NT(ZwMapViewOfSection(r, ZwCurrentProcess(), &rb, 0, 0x1000, NULL, &rz, ViewUnmap,
					  0, PAGE_READWRITE));
	rv = rb;
	memcpy(rv + 0xFF8, "kept!!!", 8);
	memcpy(buf, "unread!", 8);
	KMEMU_EXPECT_NT(kmemu_user_read(0, (uintptr_t)rv + 0xFFC, buf, 8), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_MEM(buf, "unread!", 8);
	KMEMU_EXPECT_NT(kmemu_user_write(0, (uintptr_t)rv + 0xFFC, "lost!!!", 8), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_MEM(rv + 0xFF8, "kept!!!", 8);
	ZwUnmapViewOfSection(ZwCurrentProcess(), rv);
	ZwClose(r);
}

KMEMU_CASE(user_access_writecopy, A "user-access-writecopy", KVIEW_CAPS | KMEMU_CAP_MULTI_PROCESS,
	   A "user-access-writecopy " A "protect-applied")
{
	HANDLE s = sec_setup_create(0x2000, PAGE_READWRITE, SEC_COMMIT), ph = NULL;
	PVOID obj = sec_setup_ref(s), ob;
	uint8_t *wc = sec_setup_map(s, 0, PAGE_WRITECOPY), *k;
	kmemu_pid other = 0;
	char buf[8];

	ob = sec_setup_map_other(s, &other, &ph);
	k = sec_setup_kmap(obj, 0);
	KMEMU_EXPECT_NT(kmemu_user_write(other, (uintptr_t)ob, "shared", 7), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_user_read(0, (uintptr_t)wc, buf, 7), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "shared", 7);
	KMEMU_EXPECT_NT(kmemu_user_write(0, (uintptr_t)wc, "copied", 7), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_user_read(0, (uintptr_t)wc, buf, 7), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "copied", 7);
	KMEMU_EXPECT_MEM(wc, "copied", 7);
	KMEMU_EXPECT_NT(kmemu_user_read(other, (uintptr_t)ob, buf, 7), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "shared", 7);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k, buf, 7), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "shared", 7);
	/* the page not written still follows the shared page */
	KMEMU_EXPECT_NT(kmemu_kernel_write((uintptr_t)k + 0x1000, "kernel", 7), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_user_read(0, (uintptr_t)wc + 0x1000, buf, 7), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "kernel", 7);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ph, ob), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), wc), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	ZwClose(ph);
	kmemu_process_destroy(other);
	ZwClose(s);
}

KMEMU_CASE(user_access_guard, A "user-access-guard", SEC_CAPS, A "user-access-guard")
{
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *g = sec_setup_map(s, 0, PAGE_READWRITE | PAGE_GUARD);
	char buf[4] = "abc";

	for (int i = 0; i < 2; i++) {
		KMEMU_EXPECT_NT(kmemu_user_read(0, (uintptr_t)g, buf, 4), STATUS_ACCESS_VIOLATION);
		KMEMU_EXPECT_NT(kmemu_user_write(0, (uintptr_t)g, buf, 4), STATUS_ACCESS_VIOLATION);
	}
	ZwUnmapViewOfSection(ZwCurrentProcess(), g);
	ZwClose(s);
}

/* ---- the table -------------------------------------------------------------------------------------- */

const struct kmemu_case *const kmemu_cases_ZwMapViewOfSection[] = {
	KMEMU_CASE_REF(prototype),
	KMEMU_CASE_REF(return_values),
	KMEMU_CASE_REF(section_handle),
	KMEMU_CASE_REF(process_current),
	KMEMU_CASE_REF(process_other),
	KMEMU_CASE_REF(process_access),
	KMEMU_CASE_REF(base_alignment),
	KMEMU_CASE_REF(base_fixed_outside),
	KMEMU_CASE_REF(base_conflict),
	KMEMU_CASE_REF(base_kernel),
	KMEMU_CASE_REF(zero_bits),
	KMEMU_CASE_REF(zero_bits_mask),
	KMEMU_CASE_REF(low_claims),
	KMEMU_CASE_REF(commit_size),
	KMEMU_CASE_REF(commit_too_big),
	KMEMU_CASE_REF(offset),
	KMEMU_CASE_REF(view_size),
	KMEMU_CASE_REF(inherit),
	KMEMU_CASE_REF(inherit_invalid),
	KMEMU_CASE_REF(allocation_type),
	KMEMU_CASE_REF(top_down),
	KMEMU_CASE_REF(placeholder),
	KMEMU_CASE_REF(protect_applied),
	KMEMU_CASE_REF(protect_invalid),
	KMEMU_CASE_REF(protect_compatible),
	KMEMU_CASE_REF(access_at_map),
	KMEMU_CASE_REF(image_protect),
	KMEMU_CASE_REF(nocache),
	KMEMU_CASE_REF(physical_memory),
	KMEMU_CASE_REF(order),
	KMEMU_CASE_REF(irql),
	KMEMU_CASE_REF(kernel_alias),
	KMEMU_CASE_REF(kernel_commit),
	KMEMU_CASE_REF(oom_loop),
	KMEMU_CASE_REF(user_access_protection),
	KMEMU_CASE_REF(user_access_no_partial),
	KMEMU_CASE_REF(user_access_writecopy),
	KMEMU_CASE_REF(user_access_guard),
	NULL,
};
