/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of NtUnmapViewOfSectionEx().
 */
#include <stdlib.h>
#include "../section_helpers.h"

#define A "NtUnmapViewOfSectionEx/"

KMEMU_CASE(flags, A "flags-invalid", SECEX_CAPS, A "flags-invalid")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
	static const ULONG bad[] = { 4, 0x8000, 0xFFFFFFFFu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(), b, bad[i]),
				STATUS_INVALID_PARAMETER);
		KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(),
						       (PVOID)(uintptr_t)0xdeadbeef, bad[i]),
				STATUS_INVALID_PARAMETER);
	}
	KMEMU_EXPECT_TRUE(kmemu_try_write(b));
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	ZwClose(s);
}

KMEMU_CASE(preserve, A "preserve-placeholder", SECEX_CAPS, A "preserve-placeholder")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);

	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(), b, MEM_PRESERVE_PLACEHOLDER),
			STATUS_CONFLICTING_ADDRESSES);
	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(), b + 0x100,
					       MEM_PRESERVE_PLACEHOLDER |
					       MEM_UNMAP_WITH_TRANSIENT_BOOST),
			STATUS_CONFLICTING_ADDRESSES);
	KMEMU_EXPECT_TRUE(kmemu_try_write(b));
	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(), b, 0), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(), b, MEM_PRESERVE_PLACEHOLDER),
			STATUS_NOT_MAPPED_VIEW);
	ZwClose(s);
}

KMEMU_CASE(as_unmap, A "as-unmap", SECEX_CAPS, A "as-unmap")
{
	HANDLE s = sec_setup_create(0x3000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
	void *heap = malloc(64);
	struct kmemu_view_info vi;

	KMEMU_SETUP_TRUE(heap != NULL);
	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(NULL, b, 0), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(), b + 0x1064, 0), STATUS_SUCCESS);
	for (size_t p = 0; p < 0x3000; p += 0x1000)
		KMEMU_EXPECT_TRUE(!kmemu_try_read(b + p));
	KMEMU_EXPECT_NT(kmemu_view_query(0, b, &vi), STATUS_NOT_MAPPED_VIEW);
	b = sec_setup_map(s, 0, PAGE_READWRITE);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSectionEx(ZwCurrentProcess(), b + 0x2FFF,
					       MEM_UNMAP_WITH_TRANSIENT_BOOST), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE(!kmemu_try_read(b));
	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(), b, 0), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(), heap, 0), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx(ZwCurrentProcess(), (PVOID)(uintptr_t)0xdeadbeef, 0),
			STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(NtUnmapViewOfSectionEx((HANDLE)(uintptr_t)0xDEADBEEF,
					       (PVOID)(uintptr_t)0xFFFF800000000000ull, 0),
			STATUS_NOT_MAPPED_VIEW);
	free(heap);
	ZwClose(s);
}

static void unmapex_at_dispatch(void *arg)
{
	*(NTSTATUS *)arg = NtUnmapViewOfSectionEx(ZwCurrentProcess(), *(PVOID *)arg, 0);
}

KMEMU_CASE(irql, A "irql", SECEX_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK, A "irql-passive")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
	struct kmemu_bugcheck_report rep;
	PVOID arg = b;

	KMEMU_SETUP_NT(kmemu_irql_set(2, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(unmapex_at_dispatch, &arg, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_SETUP_NT(kmemu_irql_set(0, NULL));
	KMEMU_EXPECT_TRUE(kmemu_try_write(b));
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

const struct kmemu_case *const kmemu_cases_NtUnmapViewOfSectionEx[] = {
	KMEMU_CASE_REF(flags),
	KMEMU_CASE_REF(preserve),
	KMEMU_CASE_REF(as_unmap),
	KMEMU_CASE_REF(irql),
	NULL,
};
