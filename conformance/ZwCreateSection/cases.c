/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of ZwCreateSection(), NtQuerySection() and
 * ZwClose() of a section handle.
 */
#include "../section_helpers.h"

#define A "ZwCreateSection/"

KMEMU_CASE(creates, A "creates-section", SEC_CAPS, A "creates-section " A "fresh-zero " A "not-supported-v1")
{
	static const ULONG attrs[] = { SEC_COMMIT, SEC_RESERVE };
	const struct kmemu_backend_ops *ops = kmemu_backend_find(kmemu_conform_backend());

	KMEMU_EXPECT_TRUE(ops && ops->version >= 2);
	KMEMU_EXPECT_TRUE((kmemu_backend_caps(NULL) & KMEMU_CAP_SECTIONS) != 0);
	for (size_t i = 0; i < 2; i++) {
		HANDLE h = NULL;
		LARGE_INTEGER li = { .QuadPart = 0x30000 };

		KMEMU_ASSERT_NT((i ? NtCreateSection : ZwCreateSection)(&h, SECTION_ALL_ACCESS, NULL, &li,
									PAGE_READWRITE, attrs[i], NULL),
				STATUS_SUCCESS);
		KMEMU_EXPECT_TRUE(h != NULL && ((uintptr_t)h & 3) == 0);
		if (attrs[i] == SEC_COMMIT) {
			uint8_t *b = sec_setup_map(h, 0, PAGE_READONLY);

			for (size_t k = 0; k < 0x30000; k++)
				if (b[k]) {
					KMEMU_FAIL("byte 0x%zx of a fresh section is 0x%02X", k, b[k]);
					break;
				}
			ZwUnmapViewOfSection(ZwCurrentProcess(), b);
		}
		KMEMU_EXPECT_NT(ZwClose(h), STATUS_SUCCESS);
	}
}

KMEMU_CASE(protection, A "protection-invalid", SEC_CAPS,
	   A "protection-invalid " A "handle-untouched-on-failure")
{
	static const ULONG bad[] = { 0, 0xFFFFFFFFu, PAGE_READONLY | PAGE_READWRITE,
				     PAGE_EXECUTE_READ | PAGE_READWRITE, PAGE_WRITECOPY | PAGE_READONLY,
				     PAGE_NOACCESS, PAGE_READWRITE | PAGE_NOCACHE,
				     PAGE_READWRITE | PAGE_WRITECOMBINE, PAGE_READWRITE | PAGE_GUARD };
	static const ULONG good[] = { PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE,
				      PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		HANDLE h = (HANDLE)(uintptr_t)0x1234;

		if (!KMEMU_EXPECT_NT(sec_create(&h, 0x1000, bad[i], SEC_COMMIT), STATUS_INVALID_PAGE_PROTECTION))
			kmemu_diag("protection 0x%X", (unsigned)bad[i]);
		KMEMU_EXPECT_EQ((uintptr_t)h, 0x1234);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		HANDLE h = NULL;

		if (KMEMU_EXPECT_NT(sec_create(&h, 0x1000, good[i], SEC_COMMIT), STATUS_SUCCESS))
			ZwClose(h);
	}
}

KMEMU_CASE(attributes, A "attributes", SEC_CAPS, A "attributes")
{
	static const struct { ULONG a; NTSTATUS st; } t[] = {
		{ 0, STATUS_INVALID_PARAMETER_6 },
		{ SEC_COMMIT | SEC_RESERVE, STATUS_INVALID_PARAMETER_6 },
		{ SEC_IMAGE | SEC_COMMIT, STATUS_INVALID_PARAMETER_6 },
		{ SEC_IMAGE | SEC_RESERVE, STATUS_INVALID_PARAMETER_6 },
		{ 0xFFFFFFFFu, STATUS_INVALID_PARAMETER_6 },
		{ SEC_LARGE_PAGES, STATUS_INVALID_PARAMETER_6 },
		{ SEC_NOCACHE, STATUS_INVALID_PARAMETER_6 },
		{ SEC_WRITECOMBINE, STATUS_INVALID_PARAMETER_6 },
		{ SEC_NOCACHE | SEC_RESERVE | SEC_COMMIT, STATUS_INVALID_PARAMETER_6 },
		{ SEC_RESERVE | SEC_LARGE_PAGES, STATUS_INVALID_PARAMETER_6 },
		{ SEC_FILE, STATUS_INVALID_PARAMETER_6 },
		{ SEC_FILE | SEC_RESERVE, STATUS_INVALID_PARAMETER_6 },
		{ SEC_FILE | SEC_COMMIT, STATUS_INVALID_PARAMETER_6 },
		{ SEC_NOCACHE | SEC_COMMIT, STATUS_SUCCESS },
		{ SEC_NOCACHE | SEC_RESERVE, STATUS_SUCCESS },
		{ SEC_WRITECOMBINE | SEC_RESERVE, STATUS_SUCCESS },
		{ SEC_RESERVE, STATUS_SUCCESS },
		{ SEC_COMMIT, STATUS_SUCCESS },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		HANDLE h = NULL;
		NTSTATUS st = sec_create(&h, 0x1000, PAGE_READWRITE, t[i].a);

		if (!KMEMU_EXPECT_NT(st, t[i].st))
			kmemu_diag("attributes 0x%X", (unsigned)t[i].a);
		if (st == STATUS_SUCCESS)
			ZwClose(h);
	}
}

KMEMU_CASE(sizes, A "size-rules", SEC_CAPS,
	   A "size-rules " A "handle-untouched-on-failure " A "reserve-limit "
	   "ZwMapViewOfSection/view-outside-reservation")
{
	static const struct { LONGLONG size; ULONG a; NTSTATUS st; } t[] = {
		{ 0, SEC_COMMIT, STATUS_INVALID_PARAMETER_4 },
		{ -1, SEC_COMMIT, STATUS_SECTION_TOO_BIG },
		{ 0x8000000000ll, SEC_COMMIT, STATUS_COMMITMENT_LIMIT },
		{ 0x80000000000ll, SEC_RESERVE, STATUS_INSUFFICIENT_RESOURCES },
		{ 0x800000000000ll, SEC_RESERVE, STATUS_SECTION_TOO_BIG },
		{ 0x800000000000ll, SEC_COMMIT, STATUS_SECTION_TOO_BIG },
	};
	HANDLE h = NULL;
	PVOID b = NULL;
	SIZE_T z = 0;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		h = NULL;
		if (!KMEMU_EXPECT_NT(sec_create(&h, t[i].size, PAGE_READWRITE, t[i].a), t[i].st))
			kmemu_diag("size 0x%llx", (unsigned long long)t[i].size);
		KMEMU_EXPECT_TRUE(h == NULL);
	}
	KMEMU_EXPECT_NT(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, NULL, PAGE_READWRITE, SEC_COMMIT,
					NULL), STATUS_INVALID_PARAMETER_4);
	KMEMU_ASSERT_NT(sec_create(&h, 0x200000000ll, PAGE_READWRITE, SEC_RESERVE), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(sec_map(h, &b, &z, PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(z, 0x200000000ull);
	KMEMU_EXPECT_TRUE(!kmemu_try_read(b));  /* reserved, not committed */
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(h);
}

KMEMU_CASE(size_rounded, A "size-rounded", SEC_CAPS, A "size-rounded " A "reported-attributes")
{
	HANDLE h = sec_setup_create(0x3452, PAGE_READWRITE, SEC_COMMIT);
	SECTION_BASIC_INFORMATION sbi;
	SIZE_T ret = 0, z = 0;
	PVOID b = NULL;

	KMEMU_ASSERT_NT(NtQuerySection(h, SectionBasicInformation, &sbi, sizeof(sbi), &ret),
			STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(sbi.MaximumSize.QuadPart, 0x4000);
	KMEMU_EXPECT_EQ(ret, sizeof(sbi));
	KMEMU_EXPECT_TRUE(sbi.BaseAddress == NULL);
	KMEMU_EXPECT_EQ(sbi.AllocationAttributes, SEC_COMMIT);
	KMEMU_EXPECT_NT(sec_map(h, &b, &z, PAGE_READWRITE), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(z, 0x4000);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(h);
}

KMEMU_CASE(reported, A "reported-attributes", SEC_CAPS, A "reported-attributes")
{
	static const ULONG a[] = { SEC_COMMIT, SEC_RESERVE, SEC_COMMIT | SEC_NOCACHE,
				   SEC_RESERVE | SEC_WRITECOMBINE };

	for (size_t i = 0; i < 4; i++) {
		HANDLE h = sec_setup_create(0x1000, PAGE_READWRITE, a[i]);
		SECTION_BASIC_INFORMATION sbi;

		KMEMU_EXPECT_NT(NtQuerySection(h, SectionBasicInformation, &sbi, sizeof(sbi), NULL),
				STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(sbi.AllocationAttributes, a[i]);
		ZwClose(h);
	}
}

KMEMU_CASE(query, A "query-rules", SEC_CAPS, A "query-rules")
{
	HANDLE h = NULL, nq = NULL;
	uint8_t big[64];
	SECTION_BASIC_INFORMATION sbi;
	SIZE_T ret = 0;

	KMEMU_SETUP_NT(sec_create_named(&h, "\\BaseNamedObjects\\kmemu-q", 0, SECTION_ALL_ACCESS, 0x1000));
	KMEMU_SETUP_NT(sec_open(&nq, "\\BaseNamedObjects\\kmemu-q", SECTION_MAP_READ, 0));
	KMEMU_EXPECT_NT(NtQuerySection(h, SectionBasicInformation, &sbi, sizeof(sbi) - 1, &ret),
			STATUS_INFO_LENGTH_MISMATCH);
	KMEMU_EXPECT_NT(NtQuerySection(h, SectionBasicInformation, big, sizeof(big), &ret), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(ret, sizeof(SECTION_BASIC_INFORMATION));
	KMEMU_EXPECT_NT(NtQuerySection(h, SectionImageInformation, big, sizeof(big), &ret),
			STATUS_SECTION_NOT_IMAGE);
	KMEMU_EXPECT_NT(NtQuerySection(h, SectionImageInformation, big, 4, &ret), STATUS_SECTION_NOT_IMAGE);
	KMEMU_EXPECT_NT(NtQuerySection(nq, SectionBasicInformation, &sbi, sizeof(sbi), &ret),
			STATUS_ACCESS_DENIED);
	KMEMU_EXPECT_NT(NtQuerySection(h, (SECTION_INFORMATION_CLASS)77, &sbi, sizeof(sbi), &ret),
			STATUS_INVALID_INFO_CLASS);
	ZwClose(nq);
	ZwClose(h);
}

KMEMU_CASE(image, A "image-no-file", SEC_CAPS, A "image-no-file")
{
	HANDLE h = NULL;
	LARGE_INTEGER li = { .QuadPart = 0x1000 };

	KMEMU_EXPECT_NT(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READONLY, SEC_IMAGE, NULL),
			STATUS_INVALID_FILE_FOR_SECTION);
}

KMEMU_CASE(file_handle, A "file-handle", SEC_CAPS, A "file-handle")
{
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT), h = NULL;
	LARGE_INTEGER li = { .QuadPart = 0x1000 };

	KMEMU_EXPECT_NT(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT,
					(HANDLE)(uintptr_t)0xDEADBEEF), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, s),
			STATUS_OBJECT_TYPE_MISMATCH);
	KMEMU_EXPECT_TRUE(h == NULL);
	ZwClose(s);
}

KMEMU_CASE(named, A "named-exists", SEC_CAPS, A "named-exists")
{
	HANDLE a = NULL, b = NULL, c = NULL;
	uint8_t *va, *vb;

	KMEMU_ASSERT_NT(sec_create_named(&a, "\\BaseNamedObjects\\kmemu-n", OBJ_OPENIF, SECTION_ALL_ACCESS,
					 0x10000), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(sec_create_named(&b, "\\BaseNamedObjects\\kmemu-n", OBJ_OPENIF, SECTION_ALL_ACCESS,
					 0x20000), STATUS_OBJECT_NAME_EXISTS);
	KMEMU_EXPECT_TRUE(b != NULL && b != a);
	KMEMU_EXPECT_NT(sec_create_named(&c, "\\BaseNamedObjects\\kmemu-n", 0, SECTION_ALL_ACCESS, 0x10000),
			STATUS_OBJECT_NAME_COLLISION);
	KMEMU_EXPECT_TRUE(c == NULL);
	va = sec_setup_map(a, 0, PAGE_READWRITE);
	vb = sec_setup_map(b, 0, PAGE_READWRITE);
	va[100] = 0x3C;
	KMEMU_EXPECT_EQ(vb[100], 0x3C);
	ZwUnmapViewOfSection(ZwCurrentProcess(), va);
	ZwUnmapViewOfSection(ZwCurrentProcess(), vb);
	ZwClose(a);
	ZwClose(b);
}

KMEMU_CASE(named_ci, A "named-case", SEC_CAPS, A "named-case")
{
	HANDLE a = NULL, b = NULL, c = NULL;

	KMEMU_ASSERT_NT(sec_create_named(&a, "\\BaseNamedObjects\\Foo", OBJ_OPENIF, SECTION_ALL_ACCESS,
					 0x1000), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(sec_create_named(&b, "\\BaseNamedObjects\\foo", OBJ_OPENIF, SECTION_ALL_ACCESS,
					 0x1000), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(sec_create_named(&c, "\\BASENAMEDOBJECTS\\FOO", OBJ_OPENIF | OBJ_CASE_INSENSITIVE,
					 SECTION_ALL_ACCESS, 0x1000), STATUS_OBJECT_NAME_EXISTS);
	ZwClose(a);
	ZwClose(b);
	ZwClose(c);
}

KMEMU_CASE(name_syntax, A "name-syntax", SEC_CAPS, A "name-syntax")
{
	HANDLE h = NULL;
	UNICODE_STRING us;
	WCHAR buf[64];
	OBJECT_ATTRIBUTES oa;
	LARGE_INTEGER li = { .QuadPart = 0x1000 };

	KMEMU_EXPECT_NT(sec_create_named(&h, "relative", 0, SECTION_ALL_ACCESS, 0x1000),
			STATUS_OBJECT_PATH_SYNTAX_BAD);
	sec_name(&us, buf, "\\odd");
	us.Length = 3;
	InitializeObjectAttributes(&oa, &us, 0, NULL, NULL);
	KMEMU_EXPECT_NT(ZwCreateSection(&h, SECTION_ALL_ACCESS, &oa, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
			STATUS_INVALID_PARAMETER);
	sec_name(&us, buf, "\\ok");
	oa.Length = 12;
	KMEMU_EXPECT_NT(ZwCreateSection(&h, SECTION_ALL_ACCESS, &oa, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
			STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_TRUE(h == NULL);
}

KMEMU_CASE(close, A "close", SEC_CAPS, A "close")
{
	HANDLE h = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);

	KMEMU_EXPECT_NT(ZwClose(h), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ZwClose(h), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(ZwClose(NULL), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(ZwClose((HANDLE)(uintptr_t)0xDEADBEEF), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_NT(ZwClose(ZwCurrentProcess()), STATUS_INVALID_HANDLE);
}

static void create_at_dispatch(void *arg)
{
	HANDLE h = NULL;

	*(NTSTATUS *)arg = sec_create(&h, 0x1000, PAGE_READWRITE, SEC_COMMIT);
}

static void close_at_dispatch(void *arg)
{
	*(NTSTATUS *)arg = ZwClose((HANDLE)(uintptr_t)4);
}

KMEMU_CASE(irql, A "irql", SEC_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK, A "irql-passive")
{
	struct kmemu_bugcheck_report rep;
	NTSTATUS st = 0;

	KMEMU_SETUP_NT(kmemu_irql_set(2, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(create_at_dispatch, &st, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(close_at_dispatch, &st, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_SETUP_NT(kmemu_irql_set(0, NULL));
}

const struct kmemu_case *const kmemu_cases_ZwCreateSection[] = {
	KMEMU_CASE_REF(creates),
	KMEMU_CASE_REF(protection),
	KMEMU_CASE_REF(attributes),
	KMEMU_CASE_REF(sizes),
	KMEMU_CASE_REF(size_rounded),
	KMEMU_CASE_REF(reported),
	KMEMU_CASE_REF(query),
	KMEMU_CASE_REF(image),
	KMEMU_CASE_REF(file_handle),
	KMEMU_CASE_REF(named),
	KMEMU_CASE_REF(named_ci),
	KMEMU_CASE_REF(name_syntax),
	KMEMU_CASE_REF(close),
	KMEMU_CASE_REF(irql),
	NULL,
};
