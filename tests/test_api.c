/* SPDX-License-Identifier: MIT */
/*
 * test_api.c - unit tests of the api/ layer: configuration from the
 * environment, the backend registry and instances, zero-config dispatch,
 * and the status, WinDriver status, bug check and capability names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <kmemu/backend.h>
#include "kmemu_test.h"

static void clear_env(void)
{
	static const char *vars[] = { "KMEMU_RAM", "KMEMU_PLACEMENT", "KMEMU_SEED",
				      "KMEMU_FRAGMENT", "KMEMU_VERIFIER", "KMEMU_BACKEND" };

	for (size_t i = 0; i < KT_ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
}

static void test_api_config_defaults(void **state)
{
	struct kmemu_config cfg;

	(void)state;
	clear_env();
	assert_status(kmemu_config_default(&cfg), STATUS_SUCCESS);
	assert_u64_equal(cfg.ram_bytes, 256 * KT_MIB);
	assert_int_equal(cfg.placement, KMEMU_PLACE_DEFAULT);
	assert_u64_equal(cfg.seed, 1);
	assert_int_equal(cfg.fragment_order, 0);
	assert_int_equal(cfg.verifier, 1);
	assert_status(kmemu_config_default(NULL), STATUS_INVALID_PARAMETER);
}

static void test_api_config_env(void **state)
{
	struct kmemu_config cfg;

	(void)state;
	clear_env();
	setenv("KMEMU_RAM", "16G", 1);
	setenv("KMEMU_PLACEMENT", "scatter", 1);
	setenv("KMEMU_SEED", "0x2a", 1);
	setenv("KMEMU_FRAGMENT", "5", 1);
	setenv("KMEMU_VERIFIER", "0", 1);
	assert_status(kmemu_config_default(&cfg), STATUS_SUCCESS);
	assert_u64_equal(cfg.ram_bytes, 16ull << 30);
	assert_int_equal(cfg.placement, KMEMU_PLACE_SCATTER);
	assert_u64_equal(cfg.seed, 42);
	assert_int_equal(cfg.fragment_order, 5);
	assert_int_equal(cfg.verifier, 0);
	setenv("KMEMU_RAM", "512MiB", 1);
	setenv("KMEMU_PLACEMENT", "random", 1);
	assert_status(kmemu_config_default(&cfg), STATUS_SUCCESS);
	assert_u64_equal(cfg.ram_bytes, 512 * KT_MIB);
	assert_int_equal(cfg.placement, KMEMU_PLACE_RANDOM);
	setenv("KMEMU_PLACEMENT", "default", 1);
	setenv("KMEMU_RAM", "4096", 1);
	assert_status(kmemu_config_default(&cfg), STATUS_SUCCESS);
	assert_u64_equal(cfg.ram_bytes, 4096);
	clear_env();
}

static void test_api_config_env_bad(void **state)
{
	static const char *bad[][2] = {
		{ "KMEMU_RAM", "lots" }, { "KMEMU_RAM", "12Q" }, { "KMEMU_RAM", "99999999999999T" },
		{ "KMEMU_PLACEMENT", "sideways" }, { "KMEMU_SEED", "x" },
		{ "KMEMU_FRAGMENT", "31" }, { "KMEMU_VERIFIER", "yes" },
	};
	struct kmemu_config cfg;

	(void)state;
	for (size_t i = 0; i < KT_ARRAY_SIZE(bad); i++) {
		clear_env();
		setenv(bad[i][0], bad[i][1], 1);
		assert_status(kmemu_config_default(&cfg), STATUS_INVALID_PARAMETER);
		/* the defaults are still filled in */
		assert_u64_equal(cfg.ram_bytes, 256 * KT_MIB);
		assert_int_equal(cfg.verifier, 1);
	}
	clear_env();
}

/* ---- a minimal backend for the registry tests ----------------------------- */

static int fake_opened, fake_closed;

static kmemu_status fake_open(const struct kmemu_backend_ops *ops, const struct kmemu_config *cfg,
			      void **st)
{
	(void)ops;
	(void)cfg;
	fake_opened++;
	*st = &fake_opened;
	return STATUS_SUCCESS;
}

static kmemu_status fake_open_fails(const struct kmemu_backend_ops *ops,
				    const struct kmemu_config *cfg, void **st)
{
	(void)ops;
	(void)cfg;
	(void)st;
	return STATUS_INSUFFICIENT_RESOURCES;
}

static void fake_close(void *st)
{
	(void)st;
	fake_closed++;
}

static void test_api_register(void **state)
{
	static struct kmemu_backend_ops fakes[20];
	static char names[20][16];
	struct kmemu_backend_ops ok = { .version = KMEMU_BACKEND_VERSION, .name = "fake",
					.open = fake_open, .close = fake_close };
	struct kmemu_backend_ops bad = ok;
	kmemu_status rc = STATUS_SUCCESS;
	unsigned n = 0;

	(void)state;
	assert_status(kmemu_backend_register(NULL), STATUS_INVALID_PARAMETER);
	bad.name = NULL;
	assert_status(kmemu_backend_register(&bad), STATUS_INVALID_PARAMETER);
	bad.name = "";
	assert_status(kmemu_backend_register(&bad), STATUS_INVALID_PARAMETER);
	bad = ok;
	bad.version = KMEMU_BACKEND_VERSION + 1;
	assert_status(kmemu_backend_register(&bad), STATUS_INVALID_PARAMETER);
	bad = ok;
	bad.open = NULL;
	assert_status(kmemu_backend_register(&bad), STATUS_INVALID_PARAMETER);
	bad = ok;
	bad.name = "emu";
	assert_status(kmemu_backend_register(&bad), STATUS_OBJECT_NAME_COLLISION);
	bad.name = "failing";  /* registered by test_api_open_close */
	assert_status(kmemu_backend_register(&bad), STATUS_OBJECT_NAME_COLLISION);

	fakes[0] = ok;
	assert_status(kmemu_backend_register(&fakes[0]), STATUS_SUCCESS);
	assert_ptr_equal(kmemu_backend_find("fake"), &fakes[0]);
	assert_status(kmemu_backend_register(&fakes[0]), STATUS_OBJECT_NAME_COLLISION);
	assert_null(kmemu_backend_find("nosuch"));
	assert_null(kmemu_backend_find(NULL));
	assert_ptr_equal(kmemu_backend_list(0), kmemu_backend_find("emu"));

	/* fill the registry: the 16-entry limit answers INSUFFICIENT_RESOURCES */
	for (unsigned i = 1; i < 20 && rc == STATUS_SUCCESS; i++) {
		snprintf(names[i], sizeof(names[i]), "fake%u", i);
		fakes[i] = ok;
		fakes[i].name = names[i];
		rc = kmemu_backend_register(&fakes[i]);
		n++;
	}
	assert_status(rc, STATUS_INSUFFICIENT_RESOURCES);
	assert_true(n > 1);
	while (kmemu_backend_list(n))
		n++;
	assert_int_equal(n, 16);
}

static void test_api_open_close(void **state)
{
	static const struct kmemu_backend_ops failing = { .version = KMEMU_BACKEND_VERSION,
							  .name = "failing", .open = fake_open_fails,
							  .close = fake_close };
	struct kmemu_backend *b = (void *)1, *cur;

	(void)state;
	assert_status(kmemu_backend_open(NULL, NULL, &b), STATUS_INVALID_PARAMETER);
	assert_null(b);
	assert_status(kmemu_backend_open("emu", NULL, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_backend_open("nosuch", NULL, &b), STATUS_NOT_FOUND);
	kmemu_backend_register(&failing);
	assert_status(kmemu_backend_open("failing", NULL, &b), STATUS_INSUFFICIENT_RESOURCES);
	assert_null(b);
	assert_status(kmemu_backend_use("failing", NULL), STATUS_INSUFFICIENT_RESOURCES);

	assert_status(kmemu_backend_open("emu", NULL, &b), STATUS_SUCCESS);
	assert_string_equal(kmemu_backend_name(b), "emu");
	assert_true(kmemu_backend_caps(b) & KMEMU_CAP_WDS);
	assert_ptr_equal(kmemu_backend_ops_of(b, NULL), kmemu_backend_find("emu"));
	cur = kmemu_backend_set_current(b);
	assert_status(kmemu_backend_current(&cur), STATUS_SUCCESS);
	assert_ptr_equal(cur, b);
	assert_status(kmemu_backend_current(NULL), STATUS_INVALID_PARAMETER);
	/* closing the current instance detaches it; the next call opens the default */
	kmemu_backend_close(b);
	kmemu_backend_close(NULL);
	assert_status(kmemu_backend_current(&cur), STATUS_SUCCESS);
	assert_non_null(cur);
	assert_ptr_not_equal(cur, NULL);
	assert_string_equal(kmemu_backend_name(NULL), "emu");
	assert_null(kmemu_backend_ops_of(NULL, NULL));
}

static void test_api_env_backend_unknown(void **state)
{
	WD_KERNEL_BUFFER *kb = NULL;
	kmemu_pid pid;
	struct kmemu_backend *cur;

	(void)state;
	kmemu_backend_close(kmemu_backend_set_current(NULL));
	setenv("KMEMU_BACKEND", "nosuch", 1);
	/* every entry point reports the missing backend, none crashes */
	assert_wd(WDS_SharedBufferAlloc(4096, KER_BUF_ALLOC_CONTIG, &kb), WD_WINDRIVER_STATUS_ERROR);
	assert_null(kb);
	assert_wd(WDS_SharedBufferGet(1, &kb), WD_WINDRIVER_STATUS_ERROR);
	assert_wd(WDS_SharedBufferFree((WD_KERNEL_BUFFER *)&pid), WD_WINDRIVER_STATUS_ERROR);
	assert_status(kmemu_process_current(&pid), STATUS_NOT_FOUND);
	assert_status(kmemu_backend_current(&cur), STATUS_NOT_FOUND);
	assert_string_equal(kmemu_backend_name(NULL), "");
	assert_int_equal(kmemu_backend_caps(NULL), 0);
	setenv("KMEMU_BACKEND", "emu", 1);
	assert_status(kmemu_process_current(&pid), STATUS_SUCCESS);
	unsetenv("KMEMU_BACKEND");
}

static void test_api_status_names(void **state)
{
	(void)state;
	assert_string_equal(kmemu_status_name(STATUS_SUCCESS), "STATUS_SUCCESS");
	assert_string_equal(kmemu_status_name(STATUS_ACCESS_VIOLATION), "STATUS_ACCESS_VIOLATION");
	assert_string_equal(kmemu_status_name(STATUS_FLT_CONTEXT_ALREADY_LINKED),
			    "STATUS_FLT_CONTEXT_ALREADY_LINKED");
	assert_string_equal(kmemu_status_name((NTSTATUS)0xC0DEC0DE), "STATUS_0xC0DEC0DE");
	assert_string_equal(kmemu_status_str(STATUS_INVALID_HANDLE), "An invalid handle was specified");
	assert_string_equal(kmemu_status_str((NTSTATUS)0xC0DEC0DE), "Unknown status");
	assert_string_equal(kmemu_wd_status_name(WD_INVALID_HANDLE), "WD_INVALID_HANDLE");
	assert_string_equal(kmemu_wd_status_name(WD_STATUS_INVALID_WD_HANDLE),
			    "WD_STATUS_INVALID_WD_HANDLE");
	assert_string_equal(kmemu_wd_status_name(0x2FFFFFFF), "WD_<unknown>");
	assert_string_equal(Stat2Str(WD_INSUFFICIENT_RESOURCES), "Insufficient resources");
	assert_string_equal(Stat2Str(0x2FFFFFFF), "Unrecognized error code");
	assert_string_equal(kmemu_bugcheck_name(WDF_VIOLATION), "WDF_VIOLATION");
	assert_string_equal(kmemu_bugcheck_name(IRQL_NOT_LESS_OR_EQUAL), "IRQL_NOT_LESS_OR_EQUAL");
	assert_string_equal(kmemu_bugcheck_name(0x12345), "UNKNOWN_BUGCHECK");
	assert_string_equal(kmemu_cap_name(KMEMU_CAP_WDS), "wds");
	assert_string_equal(kmemu_cap_name(KMEMU_CAP_VERIFIER), "verifier");
	assert_null(kmemu_cap_name(1ull << 63));
}

static void test_api_control_null_args(void **state)
{
	uint8_t byte = 0;

	(void)state;
	assert_status(kmemu_process_create("x", NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_process_current(NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_virt_to_phys(0, &byte, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_kernel_read(0, &byte, 1), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_kernel_read(4096, NULL, 1), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_kernel_write(0, &byte, 1), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_user_read(0, 0, &byte, 1), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_user_write(0, 4096, NULL, 1), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_stats_get(NULL), STATUS_INVALID_PARAMETER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_config_defaults),
		cmocka_unit_test(test_api_config_env),
		cmocka_unit_test(test_api_config_env_bad),
		cmocka_unit_test(test_api_open_close),
		cmocka_unit_test(test_api_env_backend_unknown),
		cmocka_unit_test(test_api_status_names),
		cmocka_unit_test(test_api_control_null_args),
		cmocka_unit_test(test_api_register),  /* last: it fills the registry */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
