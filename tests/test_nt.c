/* SPDX-License-Identifier: MIT */
/*
 * test_nt.c - unit tests, on Linux, of the portable parts of the nt
 * backend and of the Windows runner: the backend's one status function
 * (real/nt/status.c), the choice of the expectations file
 * (conformance/expect_name.c: nt-wine vs nt-windows, names vs paths) and
 * the --filter glob of kmemu-conform.exe (conformance/win32/fnmatch.c),
 * compared with the C library's fnmatch.  The backend itself runs under
 * Wine: scripts/wine-conform (kmemu-nt-test.exe and the conformance suite).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fnmatch.h>
#include <cmocka.h>
#include "kmemu_test.h"

/* The sources under test are compiled into this test: they are built into
 * the Windows binaries only. */
#include "../real/nt/status.c"
#include "../conformance/expect_name.c"
#include "../conformance/win32/fnmatch.c"
#undef fnmatch

/* ---- status.c ------------------------------------------------------------------ */

static void status_pass_is_unchanged(void **state)
{
	static const NTSTATUS all[] = { STATUS_SUCCESS, STATUS_OBJECT_NAME_EXISTS,
					STATUS_INVALID_PARAMETER_3, STATUS_SECTION_PROTECTION,
					STATUS_ACCESS_VIOLATION, STATUS_INVALID_ADDRESS,
					STATUS_PARTIAL_COPY, STATUS_NO_MEMORY, (NTSTATUS)0x40000002 };

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_status(kmemu__nt_status((uint32_t)all[i], NT_OP_PASS), all[i]);
}

/* One row: what ntdll said, what the slot returns. */
struct status_row {
	NTSTATUS native, want;
};

static void check_rows(const struct status_row *rows, size_t n, enum nt_op op)
{
	for (size_t i = 0; i < n; i++)
		assert_status(kmemu__nt_status((uint32_t)rows[i].native, op), rows[i].want);
}

static void status_copy(void **state)
{
	static const struct status_row rows[] = {
		{ STATUS_SUCCESS, STATUS_SUCCESS },
		{ STATUS_PARTIAL_COPY, STATUS_ACCESS_VIOLATION },
		{ STATUS_ACCESS_VIOLATION, STATUS_ACCESS_VIOLATION },
		{ STATUS_INVALID_ADDRESS, STATUS_ACCESS_VIOLATION },
		{ STATUS_INVALID_PARAMETER, STATUS_ACCESS_VIOLATION },
		{ STATUS_INVALID_HANDLE, STATUS_ACCESS_VIOLATION },
		{ STATUS_NO_MEMORY, STATUS_NO_MEMORY },
		{ STATUS_INSUFFICIENT_RESOURCES, STATUS_INSUFFICIENT_RESOURCES },
	};

	(void)state;
	check_rows(rows, sizeof(rows) / sizeof(rows[0]), NT_OP_COPY);
}

static void status_query(void **state)
{
	static const struct status_row rows[] = {
		{ STATUS_SUCCESS, STATUS_SUCCESS },
		{ STATUS_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW },
		{ STATUS_INVALID_PARAMETER, STATUS_NOT_MAPPED_VIEW },
		{ STATUS_ACCESS_VIOLATION, STATUS_NOT_MAPPED_VIEW },
		{ STATUS_INVALID_HANDLE, STATUS_INVALID_HANDLE },
		{ STATUS_NO_MEMORY, STATUS_NO_MEMORY },
	};

	(void)state;
	check_rows(rows, sizeof(rows) / sizeof(rows[0]), NT_OP_QUERY);
}

/* ---- expect_name.c ----------------------------------------------------------------- */

static void expectations_name(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(kmemu_conform_expectations_name("nt", "8.0", buf, sizeof(buf)),
			    "nt-wine");
	assert_string_equal(kmemu_conform_expectations_name("nt", NULL, buf, sizeof(buf)),
			    "nt-windows");
	assert_string_equal(kmemu_conform_expectations_name("emu", "8.0", buf, sizeof(buf)), "emu");
	assert_string_equal(kmemu_conform_expectations_name("linux", NULL, buf, sizeof(buf)),
			    "linux");
	assert_string_equal(kmemu_conform_expectations_name("ntx", "8.0", buf, sizeof(buf)), "ntx");
}

static void expectations_path_or_name(void **state)
{
	(void)state;
	assert_int_equal(kmemu_conform_expectations_is_path("nt-wine"), 0);
	assert_int_equal(kmemu_conform_expectations_is_path("nt-windows"), 0);
	assert_int_equal(kmemu_conform_expectations_is_path("nt-wine.txt"), 1);
	assert_int_equal(kmemu_conform_expectations_is_path("dir/x"), 1);
	assert_int_equal(kmemu_conform_expectations_is_path("C:\\x"), 1);
	assert_int_equal(kmemu_conform_expectations_is_path(".txt"), 1);
	assert_int_equal(kmemu_conform_expectations_is_path("txt"), 0);
}

/* ---- win32/fnmatch.c against the C library -------------------------------------- */

static void glob_matches_libc(void **state)
{
	static const char *const patterns[] = {
		"*", "Zw*", "ZwMapViewOfSection/*", "*/base-*", "Zw?apViewOfSection/*", "*size*",
		"[NZ]w*", "[!Z]*", "[a-z]*", "*[0-9]", "Nt*Ex/*", "\\*", "[]]x", "[", "*[", "a*b*c",
		"*/", "", "NtAreMappedFilesTheSame/irql", "*-*-*",
	};
	static const char *const names[] = {
		"ZwMapViewOfSection/base-kernel", "NtMapViewOfSectionEx/same-rules", "*", "]x", "[",
		"abc", "aXbYc", "ab", "", "x/", "NtAreMappedFilesTheSame/irql", "WDS_Shared/a-b-c",
		"ZwCreateSection/size-rules", "v4",
	};

	(void)state;
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++)
		for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
			int want = fnmatch(patterns[p], names[n], 0) == 0;
			int got = kmemu_conform_fnmatch(patterns[p], names[n], 0) == 0;

			if (want != got)
				fail_msg("pattern '%s' on '%s': libc %d, ours %d", patterns[p],
					 names[n], want, got);
		}
	assert_int_equal(kmemu_conform_fnmatch("Zw*", "NtClose", 0), FNM_NOMATCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_pass_is_unchanged),
		cmocka_unit_test(status_copy),
		cmocka_unit_test(status_query),
		cmocka_unit_test(expectations_name),
		cmocka_unit_test(expectations_path_or_name),
		cmocka_unit_test(glob_matches_libc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
