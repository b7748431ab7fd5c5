/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of NtAreMappedFilesTheSame().
 */
#include <stdlib.h>
#include "../section_helpers.h"
#include "../wds_helpers.h"

#define A "NtAreMappedFilesTheSame/"

KMEMU_CASE(same, A "same-view", SECEX_CAPS, A "same-view")
{
	HANDLE s = sec_setup_create(0x2000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);

	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b, b), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b, b + 30), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b + 0x1FFF, b), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

KMEMU_CASE(different, A "different-views", SECEX_CAPS, A "different-views")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	HANDLE t = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *a = sec_setup_map(s, 0, PAGE_READWRITE);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
	uint8_t *c = sec_setup_map(t, 0, PAGE_READWRITE);

	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(a, b), STATUS_NOT_SAME_DEVICE);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b + 5, a + 5), STATUS_NOT_SAME_DEVICE);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(a, c), STATUS_NOT_SAME_DEVICE);
	ZwUnmapViewOfSection(ZwCurrentProcess(), a);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwUnmapViewOfSection(ZwCurrentProcess(), c);
	ZwClose(s);
	ZwClose(t);
}

KMEMU_CASE(null, A "null", SECEX_CAPS, A "null")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);

	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b, NULL), STATUS_INVALID_ADDRESS);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(NULL, NULL), STATUS_INVALID_ADDRESS);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(NULL, b), STATUS_INVALID_ADDRESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

KMEMU_CASE(not_view, A "not-a-view", SECEX_CAPS | KMEMU_CAP_WDS, A "not-a-view")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
	void *heap = malloc(64);
	uint8_t *priv = mmap(NULL, 0x10000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	WD_KERNEL_BUFFER *kb = wds_setup_alloc(0x1000, wds_any_kind());

	KMEMU_SETUP_TRUE(heap && priv != MAP_FAILED);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b, heap), STATUS_CONFLICTING_ADDRESSES);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(heap, b), STATUS_CONFLICTING_ADDRESSES);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b, priv), STATUS_CONFLICTING_ADDRESSES);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b, (PVOID)(uintptr_t)kb->pUserAddr),
			STATUS_CONFLICTING_ADDRESSES);
	WDS_SharedBufferFree(kb);
	munmap(priv, 0x10000);
	free(heap);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

KMEMU_CASE(garbage, A "garbage", SECEX_CAPS, A "garbage")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *b = sec_setup_map(s, 0, PAGE_READWRITE);
	uint8_t *gone = sec_setup_map(s, 0, PAGE_READWRITE);
	void *heap = malloc(64);

	KMEMU_SETUP_TRUE(heap != NULL);
	KMEMU_SETUP_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), gone));
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b, (PVOID)(uintptr_t)0xdeadbeef),
			STATUS_INVALID_ADDRESS);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b, gone), STATUS_INVALID_ADDRESS);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(b, (PVOID)(uintptr_t)0xFFFF800000000000ull),
			STATUS_INVALID_ADDRESS);
	KMEMU_EXPECT_NT(NtAreMappedFilesTheSame(heap, (PVOID)(uintptr_t)0xdeadbeef),
			STATUS_INVALID_ADDRESS);
	free(heap);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

static void same_at_dispatch(void *arg)
{
	*(NTSTATUS *)arg = NtAreMappedFilesTheSame(NULL, NULL);
}

KMEMU_CASE(irql, A "irql", SECEX_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK, A "irql-passive")
{
	struct kmemu_bugcheck_report rep;
	NTSTATUS st = 0;

	KMEMU_SETUP_NT(kmemu_irql_set(2, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(same_at_dispatch, &st, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_SETUP_NT(kmemu_irql_set(0, NULL));
}

const struct kmemu_case *const kmemu_cases_NtAreMappedFilesTheSame[] = {
	KMEMU_CASE_REF(same),
	KMEMU_CASE_REF(different),
	KMEMU_CASE_REF(null),
	KMEMU_CASE_REF(not_view),
	KMEMU_CASE_REF(garbage),
	KMEMU_CASE_REF(irql),
	NULL,
};
