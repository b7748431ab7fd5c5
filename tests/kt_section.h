/* SPDX-License-Identifier: MIT */
/*
 * kt_section.h - section helpers shared by the unit tests of sections and
 * of the user accessors (tests/test_section.c, tests/test_uaccess.c).
 *
 * Include after <cmocka.h>, <wdm.h> and "kmemu_test.h".  Provides:
 *   - kt_section_create(): ZwCreateSection of an unnamed section, must work;
 *   - kt_section_map(): ZwMapViewOfSection anywhere in a process, must work;
 *   - kt_section_setup(): a cmocka setup opening a fresh emulator warmed up
 *     for sections (the initial process's handle table and view array grow
 *     on first use and keep their capacity, which KMEMU_TEST_CLEAN() would
 *     otherwise count as heap left behind).
 */
#ifndef KMEMU_TESTS_KT_SECTION_H
#define KMEMU_TESTS_KT_SECTION_H

static inline HANDLE kt_section_create(LONGLONG size, ULONG protect, ULONG attrs)
{
	LARGE_INTEGER li = { .QuadPart = size };
	HANDLE h = NULL;

	assert_status(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, protect, attrs, NULL),
		      STATUS_SUCCESS);
	return h;
}

static inline uint8_t *kt_section_map(HANDLE s, HANDLE proc, SIZE_T size, ULONG inherit,
				      ULONG protect)
{
	PVOID b = NULL;
	SIZE_T z = size;

	assert_status(ZwMapViewOfSection(s, proc, &b, 0, 0, NULL, &z, inherit, 0, protect),
		      STATUS_SUCCESS);
	return b;
}

static inline int kt_section_setup(void **state)
{
	LARGE_INTEGER li = { .QuadPart = 0x1000 };
	HANDLE h = NULL;
	PVOID b = NULL;
	SIZE_T z = 0;

	(void)state;
	if (kt_use_emu(16 * KT_MIB, KMEMU_PLACE_DEFAULT, 0))
		return -1;
	if (ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL) ||
	    ZwMapViewOfSection(h, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap, 0, PAGE_READWRITE) ||
	    ZwUnmapViewOfSection(ZwCurrentProcess(), b) || ZwClose(h))
		return -1;
	return 0;
}

static inline int kt_section_teardown(void **state)
{
	(void)state;
	return kt_close_backend();
}

#endif /* KMEMU_TESTS_KT_SECTION_H */
