/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of ZwUnmapViewOfSection().
 */
#include <stdlib.h>
#include "../section_helpers.h"

#define A "ZwUnmapViewOfSection/"

KMEMU_CASE(inside, A "any-address-inside", SEC_CAPS, A "any-address-inside " A "after-unmap-free")
{
	HANDLE s = sec_setup_create(0x3000, PAGE_READWRITE, SEC_COMMIT);
	static const size_t at[] = { 100, 0x1000, 0x1064, 0x2FFF };
	struct kmemu_view_info vi;

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
		PVOID again = b;
		SIZE_T z = 0;

		KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b + at[i]), STATUS_SUCCESS);
		for (size_t p = 0; p < 0x3000; p += 0x1000)
			KMEMU_EXPECT_TRUE(!kmemu_try_read(b + p));
		KMEMU_EXPECT_NT(kmemu_view_query(0, b, &vi), STATUS_NOT_MAPPED_VIEW);
		KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_NOT_MAPPED_VIEW);
		KMEMU_EXPECT_NT(sec_map(s, &again, &z, PAGE_READWRITE), STATUS_SUCCESS);
		KMEMU_EXPECT_EQ((uintptr_t)again, (uintptr_t)b);
		ZwUnmapViewOfSection(ZwCurrentProcess(), again);
	}
	ZwClose(s);
}

KMEMU_CASE(not_mapped, A "not-mapped-view", SEC_CAPS, A "not-mapped-view")
{
	void *heap = malloc(64);
	uint8_t *priv = mmap(NULL, 0x10000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	KMEMU_SETUP_TRUE(heap && priv != MAP_FAILED);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), heap), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), priv), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), NULL), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), (PVOID)(uintptr_t)0xdeadbeef),
			STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), (PVOID)(uintptr_t)0xFFFF800000000000ull),
			STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection((HANDLE)(uintptr_t)0xDEADBEEF,
					     (PVOID)(uintptr_t)0xFFFF800000000000ull),
			STATUS_NOT_MAPPED_VIEW);
	munmap(priv, 0x10000);
	free(heap);
}

KMEMU_CASE(process, A "process-handle", SEC_CAPS | KMEMU_CAP_MULTI_PROCESS, A "process-handle")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT), ph = NULL, weak = NULL;
	kmemu_pid other = 0;
	PVOID b = NULL;
	SIZE_T z = 0;

	KMEMU_SETUP_NT(kmemu_process_create("other", &other));
	KMEMU_SETUP_NT(kmemu_process_open(other, PROCESS_VM_OPERATION, &ph));
	KMEMU_SETUP_NT(kmemu_process_open(other, PROCESS_VM_READ, &weak));
	KMEMU_ASSERT_NT(ZwMapViewOfSection(s, ph, &b, 0, 0, NULL, &z, ViewUnmap, 0, PAGE_READWRITE),
			STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(weak, b), STATUS_ACCESS_DENIED);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(NULL, b), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection((HANDLE)(uintptr_t)0xDEADBEEF, b), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ph, b), STATUS_SUCCESS);
	ZwClose(weak);
	ZwClose(ph);
	ZwClose(s);
}

KMEMU_CASE(close_keeps, A "close-keeps-views", SEC_CAPS, A "close-keeps-views")
{
	struct kmemu_stats st0, st1;
	HANDLE s;
	uint8_t *a, *b;

	KMEMU_SETUP_NT(kmemu_stats_get(&st0));
	s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	a = sec_setup_map(s, 0, PAGE_READWRITE);
	b = sec_setup_map(s, 0, PAGE_READWRITE);
	KMEMU_EXPECT_NT(ZwClose(s), STATUS_SUCCESS);
	a[0x1FFFF] = 0x6B;
	KMEMU_EXPECT_EQ(b[0x1FFFF], 0x6B);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), a), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(b[0x1FFFF], 0x6B);
	KMEMU_SETUP_NT(kmemu_stats_get(&st1));
	KMEMU_EXPECT_EQ(st1.frames_used, st0.frames_used + 0x20);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	KMEMU_SETUP_NT(kmemu_stats_get(&st1));
	KMEMU_EXPECT_EQ(st1.frames_used, st0.frames_used);
	KMEMU_EXPECT_EQ(st1.mappings, st0.mappings);
	KMEMU_EXPECT_EQ(st1.handles_used, st0.handles_used);
}

static void unmap_at_dispatch(void *arg)
{
	*(NTSTATUS *)arg = ZwUnmapViewOfSection(ZwCurrentProcess(), *(PVOID *)arg);
}

KMEMU_CASE(irql, A "irql", SEC_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK, A "irql-passive")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
	struct kmemu_bugcheck_report rep;
	PVOID arg = b;

	KMEMU_SETUP_NT(kmemu_irql_set(2, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(unmap_at_dispatch, &arg, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_SETUP_NT(kmemu_irql_set(0, NULL));
	KMEMU_EXPECT_TRUE(kmemu_try_write(b));  /* still mapped */
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

const struct kmemu_case *const kmemu_cases_ZwUnmapViewOfSection[] = {
	KMEMU_CASE_REF(inside),
	KMEMU_CASE_REF(not_mapped),
	KMEMU_CASE_REF(process),
	KMEMU_CASE_REF(close_keeps),
	KMEMU_CASE_REF(irql),
	NULL,
};
