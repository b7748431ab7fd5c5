/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of ZwOpenSection().
 */
#include "../section_helpers.h"

#define A "ZwOpenSection/"
#define NAME "\\BaseNamedObjects\\kmemu-open"

KMEMU_CASE(opens, A "opens-by-name", SEC_CAPS, A "opens-by-name " A "access-at-map-time")
{
	HANDLE c = NULL, o = NULL, n = NULL;
	UNICODE_STRING us;
	WCHAR buf[64];
	OBJECT_ATTRIBUTES oa;
	uint8_t *vc, *vo;

	KMEMU_SETUP_NT(sec_create_named(&c, NAME, 0, SECTION_ALL_ACCESS, 0x10000));
	KMEMU_ASSERT_NT(sec_open(&o, NAME, SECTION_MAP_READ | SECTION_MAP_WRITE, 0), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE(o != NULL && o != c);
	sec_name(&us, buf, NAME);
	InitializeObjectAttributes(&oa, &us, 0, NULL, NULL);
	KMEMU_EXPECT_NT(NtOpenSection(&n, SECTION_QUERY, &oa), STATUS_SUCCESS);
	vc = sec_setup_map(c, 0, PAGE_READWRITE);
	vo = sec_setup_map(o, 0, PAGE_READWRITE);
	vc[0xFFFF] = 0x99;
	KMEMU_EXPECT_EQ(vo[0xFFFF], 0x99);
	ZwUnmapViewOfSection(ZwCurrentProcess(), vc);
	ZwUnmapViewOfSection(ZwCurrentProcess(), vo);
	ZwClose(n);
	ZwClose(o);
	ZwClose(c);
}

KMEMU_CASE(not_found, A "name-not-found", SEC_CAPS, A "name-not-found")
{
	HANDLE h = (HANDLE)(uintptr_t)0x1234;

	KMEMU_EXPECT_NT(sec_open(&h, "\\BaseNamedObjects\\kmemu-none", SECTION_MAP_READ, 0),
			STATUS_OBJECT_NAME_NOT_FOUND);
	KMEMU_EXPECT_EQ((uintptr_t)h, 0x1234);
}

KMEMU_CASE(lifetime, A "name-dies-with-last-handle", SEC_CAPS, A "name-dies-with-last-handle")
{
	HANDLE c = NULL, o = NULL, again = NULL;
	uint8_t *v;

	KMEMU_SETUP_NT(sec_create_named(&c, NAME, 0, SECTION_ALL_ACCESS, 0x10000));
	KMEMU_SETUP_NT(sec_open(&o, NAME, SECTION_ALL_ACCESS, 0));
	v = sec_setup_map(c, 0, PAGE_READWRITE);
	v[1] = 0x5A;
	KMEMU_EXPECT_NT(ZwClose(c), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(sec_open(&again, NAME, SECTION_ALL_ACCESS, 0), STATUS_SUCCESS);
	ZwClose(again);
	KMEMU_EXPECT_NT(ZwClose(o), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(sec_open(&again, NAME, SECTION_ALL_ACCESS, 0), STATUS_OBJECT_NAME_NOT_FOUND);
	KMEMU_EXPECT_EQ(v[1], 0x5A);  /* the view lives on */
	v[2] = 1;
	KMEMU_ASSERT_NT(sec_create_named(&c, NAME, 0, SECTION_ALL_ACCESS, 0x10000), STATUS_SUCCESS);
	{
		uint8_t *w = sec_setup_map(c, 0, PAGE_READWRITE);

		KMEMU_EXPECT_EQ(w[1], 0);  /* a new section */
		ZwUnmapViewOfSection(ZwCurrentProcess(), w);
	}
	ZwClose(c);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), v), STATUS_SUCCESS);
}

KMEMU_CASE(generic, A "generic-access", SEC_CAPS, A "generic-access " A "access-at-map-time")
{
	HANDLE c = NULL, r = NULL, w = NULL;
	PVOID b = NULL;
	SIZE_T z = 0;
	SECTION_BASIC_INFORMATION sbi;

	KMEMU_SETUP_NT(sec_create_named(&c, NAME, 0, SECTION_ALL_ACCESS, 0x10000));
	KMEMU_ASSERT_NT(sec_open(&r, NAME, GENERIC_READ, 0), STATUS_SUCCESS);
	KMEMU_ASSERT_NT(sec_open(&w, NAME, GENERIC_ALL, 0), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(sec_map(r, &b, &z, PAGE_READWRITE), STATUS_ACCESS_DENIED);
	KMEMU_EXPECT_NT(NtQuerySection(r, SectionBasicInformation, &sbi, sizeof(sbi), NULL), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(sec_map(r, &b, &z, PAGE_READONLY), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	b = NULL;
	z = 0;
	KMEMU_EXPECT_NT(sec_map(w, &b, &z, PAGE_EXECUTE_READWRITE), STATUS_SECTION_PROTECTION);
	KMEMU_EXPECT_NT(sec_map(w, &b, &z, PAGE_READWRITE), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(r);
	ZwClose(w);
	ZwClose(c);
}

KMEMU_CASE(needs_name, A "open-needs-name", SEC_CAPS, A "open-needs-name")
{
	HANDLE h = NULL, s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING us;
	WCHAR buf[64];

	InitializeObjectAttributes(&oa, NULL, 0, NULL, NULL);
	KMEMU_EXPECT_NT(ZwOpenSection(&h, SECTION_MAP_READ, &oa), STATUS_OBJECT_PATH_SYNTAX_BAD);
	KMEMU_EXPECT_NT(sec_open(&h, "relative", SECTION_MAP_READ, 0), STATUS_OBJECT_PATH_SYNTAX_BAD);
	sec_name(&us, buf, "name");
	InitializeObjectAttributes(&oa, &us, 0, s, NULL);
	KMEMU_EXPECT_NT(ZwOpenSection(&h, SECTION_MAP_READ, &oa), STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_TRUE(h == NULL);
	ZwClose(s);
}

static void open_at_apc(void *arg)
{
	HANDLE h = NULL;

	*(NTSTATUS *)arg = sec_open(&h, NAME, SECTION_MAP_READ, 0);
}

KMEMU_CASE(irql, A "irql", SEC_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK, A "irql-passive")
{
	struct kmemu_bugcheck_report rep;
	NTSTATUS st = 0;

	KMEMU_SETUP_NT(kmemu_irql_set(1, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(open_at_apc, &st, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_EXPECT_EQ(rep.param[1], 1);
	KMEMU_SETUP_NT(kmemu_irql_set(0, NULL));
}

const struct kmemu_case *const kmemu_cases_ZwOpenSection[] = {
	KMEMU_CASE_REF(opens),
	KMEMU_CASE_REF(not_found),
	KMEMU_CASE_REF(lifetime),
	KMEMU_CASE_REF(generic),
	KMEMU_CASE_REF(needs_name),
	KMEMU_CASE_REF(irql),
	NULL,
};
