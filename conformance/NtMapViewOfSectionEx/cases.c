/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of NtMapViewOfSectionEx().
 */
#include <stdlib.h>
#include "../section_helpers.h"

#define A "NtMapViewOfSectionEx/"
#define USER_MAX 0x7FFFFFFEFFFFull  /* the emulator's highest user address */

/* NtMapViewOfSectionEx into the current process at offset 0 (status returned). */
static NTSTATUS mapex(HANDLE s, PVOID *base, SIZE_T *size, ULONG protect,
		      MEM_EXTENDED_PARAMETER *p, ULONG n)
{
	return NtMapViewOfSectionEx(s, ZwCurrentProcess(), base, NULL, size, 0, protect, p, n);
}

/* One AddressRequirements parameter over @r. */
static void req_param(MEM_EXTENDED_PARAMETER *p, MEM_ADDRESS_REQUIREMENTS *r)
{
	memset(p, 0, sizeof(*p));
	p->Type = MemExtendedParameterAddressRequirements;
	p->Pointer = r;
}

/* Map with one requirement of HighestEndingAddress @hi: the status. */
static NTSTATUS mapex_highest(HANDLE s, uint64_t hi, SIZE_T size, PVOID *base)
{
	MEM_ADDRESS_REQUIREMENTS r = { NULL, (PVOID)(uintptr_t)hi, 0 };
	MEM_EXTENDED_PARAMETER p;
	SIZE_T z = size;

	req_param(&p, &r);
	*base = NULL;
	return mapex(s, base, &z, PAGE_READWRITE, &p, 1);
}

KMEMU_CASE(maps, A "maps-view", SECEX_CAPS, A "maps-view")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	uint8_t *zw = sec_setup_map(s, 0, PAGE_READWRITE);
	PVOID b = NULL;
	SIZE_T z = 0;
	LARGE_INTEGER off;

	KMEMU_ASSERT_NT(mapex(s, &b, &z, PAGE_READWRITE, NULL, 0), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(z, 0x20000);
	KMEMU_EXPECT_EQ((uintptr_t)b & (SEC_64K - 1), 0);
	((uint8_t *)b)[0x1FFFF] = 0x5A;
	KMEMU_EXPECT_EQ(zw[0x1FFFF], 0x5A);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	b = NULL;
	z = 0x10000;
	off.QuadPart = 0x10000;
	KMEMU_ASSERT_NT(ZwMapViewOfSectionEx(s, ZwCurrentProcess(), &b, &off, &z, 0, PAGE_READONLY,
					     NULL, 0), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(((uint8_t *)b)[0xFFFF], 0x5A);
	KMEMU_EXPECT_EQ(off.QuadPart, 0x10000);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	b = NULL;
	z = 0;
	KMEMU_EXPECT_NT(NtMapViewOfSectionEx(s, NULL, &b, NULL, &z, 0, PAGE_READWRITE, NULL, 0),
			STATUS_INVALID_HANDLE);
	KMEMU_EXPECT_TRUE(b == NULL && z == 0);
	ZwUnmapViewOfSection(ZwCurrentProcess(), zw);
	ZwClose(s);
}

KMEMU_CASE(types, A "type-invalid", SECEX_CAPS, A "type-invalid")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	static const unsigned types[] = { MemExtendedParameterInvalidType, MemExtendedParameterMax,
					  200 };
	MEM_EXTENDED_PARAMETER p;
	PVOID b = NULL;
	SIZE_T z = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.Type = types[i];
		KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_INVALID_PARAMETER);
	}
	memset(&p, 0, sizeof(p));
	p.Type = MemExtendedParameterNumaNode;
	p.Reserved = 1;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, NULL, 1), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_TRUE(b == NULL);
	ZwClose(s);
}

KMEMU_CASE(two_req, A "two-requirements", SECEX_CAPS, A "two-requirements")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	MEM_ADDRESS_REQUIREMENTS r1 = { 0 }, r2 = { 0 };
	MEM_EXTENDED_PARAMETER p[2];
	PVOID b = NULL;
	SIZE_T z = 0;

	req_param(&p[0], &r1);
	req_param(&p[1], &r2);
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, p, 2), STATUS_INVALID_PARAMETER);
	r1.HighestEndingAddress = (PVOID)(uintptr_t)USER_MAX;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, p, 2), STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, p, 1), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

KMEMU_CASE(highest, A "highest-ending-address", SECEX_CAPS, A "highest-ending-address")
{
	HANDLE s = sec_setup_create(0x40000, PAGE_READWRITE, SEC_COMMIT);
	static const uint64_t bad[] = { 0x20001001, 0x20000FFE, 0x200007FF, USER_MAX + 0x1000 };
	uintptr_t hole;
	PVOID b;
	NTSTATUS st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KMEMU_EXPECT_NT(mapex_highest(s, bad[i], 0, &b), STATUS_INVALID_PARAMETER);
		KMEMU_EXPECT_TRUE(b == NULL);
	}
	KMEMU_ASSERT_NT(mapex_highest(s, USER_MAX, 0, &b), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE((uintptr_t)b + 0x40000 - 1 <= USER_MAX);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	st = mapex_highest(s, 0x20000FFF, 0x40000, &b);
	KMEMU_ASSERT_NT(st, STATUS_SUCCESS);
	KMEMU_EXPECT_EQ((uintptr_t)b & (SEC_64K - 1), 0);
	KMEMU_EXPECT_TRUE((uintptr_t)b + 0x40000 <= 0x20001000);
	((volatile uint8_t *)b)[0x3FFFF] = 1;
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	/* a limit just past a free host range of exactly the view's size */
	hole = sec_free_host_range(0x40000);
	KMEMU_SETUP_TRUE(hole != 0);
	KMEMU_ASSERT_NT(mapex_highest(s, hole + 0x40000 - 1, 0, &b), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE((uintptr_t)b + 0x40000 - 1 <= hole + 0x40000 - 1);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

KMEMU_CASE(base_req, A "base-and-requirements", SECEX_CAPS, A "base-and-requirements")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	MEM_ADDRESS_REQUIREMENTS r = { NULL, (PVOID)(uintptr_t)USER_MAX, 0 };
	MEM_EXTENDED_PARAMETER p;
	uintptr_t a = sec_free_host_range(0x10000);
	PVOID b = (PVOID)a;
	SIZE_T z = 0;

	KMEMU_SETUP_TRUE(a != 0);
	req_param(&p, &r);
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_EQ((uintptr_t)b, a);
	r.HighestEndingAddress = NULL;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, NULL, 0), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ((uintptr_t)b, a);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

KMEMU_CASE(alignment, A "alignment-nonzero", SECEX_CAPS, A "alignment-nonzero")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	static const SIZE_T al[] = { 0x10000, 0x20000, 1 };
	MEM_ADDRESS_REQUIREMENTS r = { 0 };
	MEM_EXTENDED_PARAMETER p;
	PVOID b = NULL;
	SIZE_T z = 0;

	req_param(&p, &r);
	for (size_t i = 0; i < sizeof(al) / sizeof(al[0]); i++) {
		r.Alignment = al[i];
		KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_INVALID_PARAMETER);
	}
	KMEMU_EXPECT_TRUE(b == NULL);
	ZwClose(s);
}

KMEMU_CASE(req_shape, A "requirements-shape", SECEX_CAPS, A "requirements-shape")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	MEM_ADDRESS_REQUIREMENTS r = { 0 };
	MEM_EXTENDED_PARAMETER p;
	PVOID b = NULL;
	SIZE_T z = 0;

	req_param(&p, NULL);
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_INVALID_PARAMETER);
	req_param(&p, &r);
	r.LowestStartingAddress = (PVOID)(uintptr_t)0x20001000;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_INVALID_PARAMETER);
	r.LowestStartingAddress = (PVOID)(uintptr_t)0x20010000;
	r.HighestEndingAddress = (PVOID)(uintptr_t)0x2000FFFF;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_INVALID_PARAMETER);
	r.HighestEndingAddress = NULL;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_NOT_SUPPORTED);
	KMEMU_EXPECT_TRUE(b == NULL);
	ZwClose(s);
}

KMEMU_CASE(machine, A "image-machine", SECEX_CAPS, A "image-machine")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	static const ULONG machines[] = { 0x8664, 0xAA64, 0x1234 };
	MEM_EXTENDED_PARAMETER p[2];
	PVOID b = NULL;
	SIZE_T z = 0;

	memset(p, 0, sizeof(p));
	p[0].Type = p[1].Type = MemExtendedParameterImageMachine;
	p[0].ULong = p[1].ULong = 0x8664;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, p, 2), STATUS_INVALID_PARAMETER);
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
		p[0].ULong = machines[i];
		b = NULL;
		z = 0;
		KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, p, 1), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	}
	ZwClose(s);
}

KMEMU_CASE(others, A "other-types", SECEX_CAPS, A "other-types")
{
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	static const unsigned unsup[] = { MemExtendedParameterPartitionHandle,
					  MemExtendedParameterUserPhysicalHandle,
					  MemExtendedParameterAttributeFlags };
	MEM_EXTENDED_PARAMETER p;
	PVOID b = NULL;
	SIZE_T z = 0;

	memset(&p, 0, sizeof(p));
	p.Type = MemExtendedParameterNumaNode;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	b = NULL;
	z = 0;
	p.ULong = 1;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_INVALID_PARAMETER);
	for (size_t i = 0; i < sizeof(unsup) / sizeof(unsup[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.Type = unsup[i];
		KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, &p, 1), STATUS_NOT_SUPPORTED);
	}
	KMEMU_EXPECT_TRUE(b == NULL);
	ZwClose(s);
}

KMEMU_CASE(same_rules, A "same-rules", SECEX_CAPS, A "same-rules")
{
	HANDLE s = sec_setup_create(0x20000, PAGE_READONLY, SEC_COMMIT);
	uint8_t *v = sec_setup_map(s, 0, PAGE_READONLY);
	PVOID b;
	SIZE_T z = 0;
	LARGE_INTEGER off;

	b = v + 0x1000;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READONLY, NULL, 0), STATUS_MAPPED_ALIGNMENT);
	b = v;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READONLY, NULL, 0), STATUS_CONFLICTING_ADDRESSES);
	b = NULL;
	off.QuadPart = 0x1000;
	KMEMU_EXPECT_NT(NtMapViewOfSectionEx(s, ZwCurrentProcess(), &b, &off, &z, 0, PAGE_READONLY,
					     NULL, 0), STATUS_MAPPED_ALIGNMENT);
	KMEMU_EXPECT_NT(NtMapViewOfSectionEx(s, ZwCurrentProcess(), &b, NULL, &z, MEM_DOS_LIM,
					     PAGE_READONLY, NULL, 0), STATUS_INVALID_PARAMETER_9);
	KMEMU_EXPECT_NT(NtMapViewOfSectionEx(s, ZwCurrentProcess(), &b, NULL, &z, MEM_COMMIT,
					     PAGE_READONLY, NULL, 0), STATUS_INVALID_PARAMETER_9);
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, NULL, 0), STATUS_SECTION_PROTECTION);
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE | PAGE_READONLY, NULL, 0),
			STATUS_INVALID_PAGE_PROTECTION);
	z = 0x30000;
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READONLY, NULL, 0), STATUS_INVALID_VIEW_SIZE);
	KMEMU_EXPECT_TRUE(b == NULL);
	ZwUnmapViewOfSection(ZwCurrentProcess(), v);
	ZwClose(s);
}

static void mapex_at_dispatch(void *arg)
{
	PVOID b = NULL;
	SIZE_T z = 0;

	*(NTSTATUS *)arg = mapex(NULL, &b, &z, PAGE_READWRITE, NULL, 0);
}

static int handler_calls;
static void returning_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)r;
	(void)ctx;
	handler_calls++;
}

KMEMU_CASE(irql, A "irql", SECEX_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK, A "irql-passive")
{
	struct kmemu_bugcheck_report rep;
	NTSTATUS st = 0;
	HANDLE s = sec_setup_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	PVOID b = NULL;
	SIZE_T z = 0;

	KMEMU_SETUP_NT(kmemu_irql_set(2, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(mapex_at_dispatch, &st, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_EXPECT_EQ(rep.param[1], 2);
	KMEMU_EXPECT_EQ(rep.param[2], 8);
	kmemu_bugcheck_set_handler(returning_handler, NULL);
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, NULL, 0), STATUS_UNSUCCESSFUL);
	KMEMU_EXPECT_TRUE(b == NULL);
	KMEMU_EXPECT_EQ(handler_calls, 1);
	kmemu_bugcheck_set_handler(NULL, NULL);
	KMEMU_SETUP_NT(kmemu_irql_set(0, NULL));
	KMEMU_EXPECT_NT(mapex(s, &b, &z, PAGE_READWRITE, NULL, 0), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
}

const struct kmemu_case *const kmemu_cases_NtMapViewOfSectionEx[] = {
	KMEMU_CASE_REF(maps),
	KMEMU_CASE_REF(types),
	KMEMU_CASE_REF(two_req),
	KMEMU_CASE_REF(highest),
	KMEMU_CASE_REF(base_req),
	KMEMU_CASE_REF(alignment),
	KMEMU_CASE_REF(req_shape),
	KMEMU_CASE_REF(machine),
	KMEMU_CASE_REF(others),
	KMEMU_CASE_REF(same_rules),
	KMEMU_CASE_REF(irql),
	NULL,
};
