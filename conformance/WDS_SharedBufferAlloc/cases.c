/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WDS_SharedBufferAlloc().
 *
 * Each case names the assertions (assertions.def next to this file) it
 * checks.  The kernel side is read and written only through
 * kmemu_kernel_read/kmemu_kernel_write, physical frames only through
 * kmemu_virt_to_phys, so the cases run on backends whose kernel memory is not
 * addressable from the test.
 */
#include <string.h>
#include <sys/utsname.h>
#include "../wds_helpers.h"

#define A "WDS_SharedBufferAlloc/"

static const DWORD valid_options[] = {
	KER_BUF_ALLOC_CONTIG,
	KER_BUF_ALLOC_NON_CONTIG,
	KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_CACHED,
	KER_BUF_ALLOC_NON_CONTIG | KER_BUF_ALLOC_CACHED,
};
#define N_VALID (sizeof(valid_options) / sizeof(valid_options[0]))

/* ---- the interface -------------------------------------------------------------- */

KMEMU_CASE(declares_api, A "wds-lib-h-declares-api", KMEMU_CAP_WDS,
	   A "wds-lib-h-declares-api")
{
	/* The file includes only <wds_lib.h> for these names (via harness.h). */
	KMEMU_EXPECT_TRUE(&WDS_SharedBufferAlloc != NULL);
	KMEMU_EXPECT_TRUE(&WDS_SharedBufferFree != NULL);
	KMEMU_EXPECT_TRUE(&WDS_SharedBufferGet != NULL);
#ifndef WDS_SharedBufferGetGlobalHandle
	KMEMU_FAIL("WDS_SharedBufferGetGlobalHandle is not a macro of <wds_lib.h>");
#endif
}

KMEMU_CASE(prototype, A "prototype", KMEMU_CAP_WDS, A "prototype")
{
	DWORD (WINAPI *fn)(UINT64 qwBytes, DWORD dwOptions, WD_KERNEL_BUFFER **ppBuf) =
		WDS_SharedBufferAlloc;
	int returns_dword = _Generic(WDS_SharedBufferAlloc(0, 0, NULL), DWORD: 1, default: 0);

	KMEMU_EXPECT_TRUE(fn != NULL);
	KMEMU_EXPECT_TRUE(returns_dword);
	KMEMU_EXPECT_EQ(sizeof(DWORD), 4);
	KMEMU_EXPECT_EQ(sizeof(UINT64), 8);
}

KMEMU_CASE(struct_layout, A "struct-layout-lp64", KMEMU_CAP_WDS, A "struct-layout")
{
	KMEMU_EXPECT_EQ(offsetof(WD_KERNEL_BUFFER, hKerBuf), 0);
	KMEMU_EXPECT_EQ(offsetof(WD_KERNEL_BUFFER, dwOptions), 4);
	KMEMU_EXPECT_EQ(offsetof(WD_KERNEL_BUFFER, qwBytes), 8);
	KMEMU_EXPECT_EQ(offsetof(WD_KERNEL_BUFFER, pKernelAddr), 16);
	KMEMU_EXPECT_EQ(offsetof(WD_KERNEL_BUFFER, pUserAddr), 24);
	KMEMU_EXPECT_EQ(sizeof(WD_KERNEL_BUFFER), 32);
}

KMEMU_CASE(option_bits, A "option-bits", KMEMU_CAP_WDS, A "options-bitmask " A "option-values")
{
	const DWORD bits[] = { KER_BUF_ALLOC_NON_CONTIG, KER_BUF_ALLOC_CONTIG, KER_BUF_ALLOC_CACHED };

	KMEMU_EXPECT_EQ(KER_BUF_ALLOC_NON_CONTIG, 0x1);
	KMEMU_EXPECT_EQ(KER_BUF_ALLOC_CONTIG, 0x2);
	KMEMU_EXPECT_EQ(KER_BUF_ALLOC_CACHED, 0x4);
	KMEMU_EXPECT_EQ(KER_BUF_GET_EXISTING_BUF, 0x8);
	for (size_t i = 0; i < 3; i++) {
		KMEMU_EXPECT_TRUE(bits[i] && !(bits[i] & (bits[i] - 1)));  /* one bit each */
		for (size_t j = 0; j < i; j++)
			KMEMU_EXPECT_EQ(bits[i] & bits[j], 0);
	}
	for (size_t i = 0; i < N_VALID; i++) {
		WD_KERNEL_BUFFER *kb = NULL;

		if (!wds_kind_available(valid_options[i]))
			continue;
		if (!KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(2 * WDS_PAGE, valid_options[i], &kb),
				     WD_STATUS_SUCCESS))
			continue;
		KMEMU_EXPECT_EQ(kb->dwOptions, valid_options[i]);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	}
}

KMEMU_CASE(status_values, A "status-code-values", KMEMU_CAP_WDS, A "status-values")
{
	static const struct {
		uint32_t value, expected;
		const char *name;
	} codes[] = {
		{ WD_STATUS_SUCCESS, 0x0, "WD_STATUS_SUCCESS" },
		{ WD_INVALID_HANDLE, 0x20000001, "WD_INVALID_HANDLE" },
		{ WD_INSUFFICIENT_RESOURCES, 0x20000005, "WD_INSUFFICIENT_RESOURCES" },
		{ WD_NO_LICENSE, 0x20000009, "WD_NO_LICENSE" },
		{ WD_NOT_IMPLEMENTED, 0x2000000A, "WD_NOT_IMPLEMENTED" },
		{ WD_INVALID_PARAMETER, 0x2000001B, "WD_INVALID_PARAMETER" },
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		KMEMU_EXPECT_EQ(codes[i].value, codes[i].expected);
		if (strcmp(kmemu_wd_status_name(codes[i].value), codes[i].name))
			KMEMU_FAIL("kmemu_wd_status_name(0x%08X): expected %s, got %s",
				   codes[i].value, codes[i].name, kmemu_wd_status_name(codes[i].value));
	}
}

/* ---- success ---------------------------------------------------------------------- */

KMEMU_CASE(success_fills, A "success-fills-description", KMEMU_CAP_WDS,
	   A "returns-success " A "ppbuf-receives-description " A "success-sets-ppbuf "
	   A "stores-size-and-options")
{
	for (size_t i = 0; i < N_VALID; i++) {
		WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;
		DWORD rc;

		if (!wds_kind_available(valid_options[i]))
			continue;
		rc = WDS_SharedBufferAlloc(5000, valid_options[i], &kb);

		if (!KMEMU_EXPECT_WD(rc, WD_STATUS_SUCCESS))
			kmemu_diag("dwOptions 0x%X", valid_options[i]);
		KMEMU_EXPECT_EQ(rc, 0);
		if (rc != WD_STATUS_SUCCESS)
			continue;
		KMEMU_ASSERT_TRUE(kb != KMEMU_SENTINEL && kb != NULL);
		KMEMU_EXPECT_NE(kb->hKerBuf, 0);
		KMEMU_EXPECT_EQ(kb->qwBytes, 5000);
		KMEMU_EXPECT_EQ(kb->dwOptions, valid_options[i]);
		KMEMU_EXPECT_NE(kb->pUserAddr, 0);
		KMEMU_EXPECT_NE(kb->pKernelAddr, 0);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	}
}

KMEMU_CASE(usable, A "buffer-usable-through-puseraddr", KMEMU_CAP_WDS,
	   A "allocates-buffer " A "caller-uses-puseraddr")
{
	kmemu_pid self = wds_current_pid();

	for (size_t i = 0; i < N_VALID; i++) {
		WD_KERNEL_BUFFER *kb = NULL;
		size_t len = 3 * WDS_PAGE + 100;

		if (!wds_kind_available(valid_options[i]))
			continue;
		if (!KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(len, valid_options[i], &kb),
				     WD_STATUS_SUCCESS))
			continue;
		wds_fill_user(kb, 11 + (uint32_t)i);
		WDS_EXPECT_USER_PATTERN(kb, len, 11 + (uint32_t)i);
		/* pUserAddr is an address of the calling process */
		WDS_EXPECT_VIEW_PATTERN(self, kb, len, 11 + (uint32_t)i);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	}
}

KMEMU_CASE(user_to_kernel, A "user-write-kernel-read", KMEMU_CAP_WDS | KMEMU_CAP_KERNEL_ACCESS,
	   A "user-kernel-shared")
{
	const DWORD kinds[] = { KER_BUF_ALLOC_CONTIG, KER_BUF_ALLOC_NON_CONTIG };

	for (size_t i = 0; i < 2; i++) {
		WD_KERNEL_BUFFER *kb;

		if (!wds_kind_available(kinds[i]))
			continue;
		kb = wds_setup_alloc(16 * WDS_PAGE, kinds[i]);
		wds_fill_user(kb, 21 + (uint32_t)i);
		WDS_EXPECT_KERNEL_PATTERN(kb, 16 * WDS_PAGE, 21 + (uint32_t)i);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	}
}

KMEMU_CASE(kernel_to_user, A "kernel-write-user-read", KMEMU_CAP_WDS | KMEMU_CAP_KERNEL_ACCESS,
	   A "kernel-plugin-sharing")
{
	const DWORD kinds[] = { KER_BUF_ALLOC_CONTIG, KER_BUF_ALLOC_NON_CONTIG };
	size_t len = 3 * WDS_PAGE + 123;
	static uint8_t src[3 * WDS_PAGE + 123];

	kmemu_fill(src, len, 31);
	for (size_t i = 0; i < 2; i++) {
		WD_KERNEL_BUFFER *kb;

		if (!wds_kind_available(kinds[i]))
			continue;
		kb = wds_setup_alloc(len, kinds[i]);
		KMEMU_EXPECT_NT(kmemu_kernel_write(kb->pKernelAddr, src, len), STATUS_SUCCESS);
		WDS_EXPECT_USER_PATTERN(kb, len, 31);
		KMEMU_EXPECT_EQ(kmemu_uaddr(kb)[len - 1], src[len - 1]);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	}
}

KMEMU_CASE(mappings, A "user-and-kernel-mappings", KMEMU_CAP_WDS | KMEMU_CAP_KERNEL_ACCESS,
	   A "returns-user-and-kernel-mappings")
{
	WD_KERNEL_BUFFER *kb = wds_setup_alloc(8 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG);
	uint8_t byte;

	KMEMU_EXPECT_NE(kb->pUserAddr, 0);
	KMEMU_EXPECT_NE(kb->pKernelAddr, 0);
	for (unsigned i = 0; i < 8; i++) {
		uint8_t *u = kmemu_uaddr(kb) + (size_t)i * WDS_PAGE;

		if (!KMEMU_EXPECT_TRUE(kmemu_try_read(u)) || !KMEMU_EXPECT_TRUE(kmemu_try_write(u)))
			kmemu_diag("user page %u at %p", i, (void *)u);
		KMEMU_EXPECT_NT(kmemu_kernel_read(kb->pKernelAddr + (uint64_t)i * WDS_PAGE, &byte, 1),
				STATUS_SUCCESS);
	}
	/* the kernel address is not one of the process's user addresses */
	KMEMU_EXPECT_NT(kmemu_user_read(0, kb->pKernelAddr, &byte, 1), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(sizes, A "sizes-in-bytes", KMEMU_CAP_WDS | KMEMU_CAP_KERNEL_ACCESS,
	   A "qwbytes-size-in-bytes " A "qwbytes-unrounded")
{
	static const UINT64 sizes[] = { 1, 4095, 4096, 4097, 5000, 65537 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		WD_KERNEL_BUFFER *kb = wds_setup_alloc(sizes[i], KER_BUF_ALLOC_NON_CONTIG);
		uint8_t *u = kmemu_uaddr(kb);
		uint8_t first = 0, last = 0;

		KMEMU_EXPECT_EQ(kb->qwBytes, sizes[i]);
		u[0] = 0xA5;
		u[sizes[i] - 1] ^= 0x5A;  /* size 1: first and last are one byte */
		KMEMU_EXPECT_NT(kmemu_kernel_read(kb->pKernelAddr, &first, 1), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(kmemu_kernel_read(kb->pKernelAddr + sizes[i] - 1, &last, 1),
				STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(first, u[0]);
		KMEMU_EXPECT_EQ(last, u[sizes[i] - 1]);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	}
}

KMEMU_CASE(non_contig, A "non-contig", KMEMU_CAP_WDS | KMEMU_CAP_KERNEL_ACCESS,
	   A "non-contig " A "non-contig-server-licence")
{
	WD_KERNEL_BUFFER *kb = NULL;
	DWORD rc = WDS_SharedBufferAlloc(16 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG, &kb);

	KMEMU_EXPECT_NE(rc, WD_NO_LICENSE);
	KMEMU_EXPECT_NE(rc, WD_NOT_IMPLEMENTED);
	KMEMU_ASSERT_WD(rc, WD_STATUS_SUCCESS);
	wds_fill_user(kb, 41);
	WDS_EXPECT_KERNEL_PATTERN(kb, 16 * WDS_PAGE, 41);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(non_contig_scattered, A "non-contig-scattered-frames",
	   KMEMU_CAP_WDS | KMEMU_CAP_PLACEMENT | KMEMU_CAP_PHYS | KMEMU_CAP_KERNEL_ACCESS,
	   A "non-contig")
{
	struct kmemu_config cfg;
	WD_KERNEL_BUFFER *kb;
	kmemu_pid self;
	unsigned adjacent = 0;
	uint64_t prev = 0;

	KMEMU_SETUP_NT(kmemu_config_default(&cfg));
	cfg.placement = KMEMU_PLACE_SCATTER;
	wds_reopen(&cfg);
	self = wds_current_pid();
	kb = wds_setup_alloc(16 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG);
	for (unsigned i = 0; i < 16; i++) {
		uint64_t up = 0, kp = 0;

		KMEMU_EXPECT_NT(kmemu_virt_to_phys(self, kmemu_uaddr(kb) + (size_t)i * WDS_PAGE, &up),
				STATUS_SUCCESS);
		KMEMU_EXPECT_NT(kmemu_virt_to_phys(0, (const void *)(uintptr_t)(kb->pKernelAddr +
									     (uint64_t)i * WDS_PAGE), &kp),
				STATUS_SUCCESS);
		if (!KMEMU_EXPECT_EQ(kp, up))
			kmemu_diag("page %u: user frame 0x%llX, kernel frame 0x%llX", i,
				   (unsigned long long)up, (unsigned long long)kp);
		if (i && up == prev + WDS_PAGE)
			adjacent++;
		prev = up;
	}
	if (adjacent)
		kmemu_diag("note: %u of 15 page pairs landed on adjacent frames", adjacent);
	wds_fill_user(kb, 42);
	WDS_EXPECT_KERNEL_PATTERN(kb, 16 * WDS_PAGE, 42);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

/* Every page of @kb (user and kernel view) at phys(page 0) + i * 4096. */
static void expect_contiguous(const WD_KERNEL_BUFFER *kb, unsigned pages)
{
	kmemu_pid self = wds_current_pid();
	uint64_t phys0 = 0;

	KMEMU_ASSERT_NT(kmemu_virt_to_phys(self, kmemu_uaddr(kb), &phys0), STATUS_SUCCESS);
	for (unsigned i = 0; i < pages; i++) {
		uint64_t up = 0, kp = 0;

		KMEMU_EXPECT_NT(kmemu_virt_to_phys(self, kmemu_uaddr(kb) + (size_t)i * WDS_PAGE, &up),
				STATUS_SUCCESS);
		KMEMU_EXPECT_NT(kmemu_virt_to_phys(0, (const void *)(uintptr_t)(kb->pKernelAddr +
									     (uint64_t)i * WDS_PAGE), &kp),
				STATUS_SUCCESS);
		if (!KMEMU_EXPECT_EQ(up, phys0 + (uint64_t)i * WDS_PAGE) ||
		    !KMEMU_EXPECT_EQ(kp, phys0 + (uint64_t)i * WDS_PAGE))
			kmemu_diag("page %u of %u", i, pages);
	}
}

KMEMU_CASE(contig, A "contig-frames-adjacent", KMEMU_CAP_WDS | KMEMU_CAP_PHYS | KMEMU_CAP_CONTIG,
	   A "contig-physically-contiguous")
{
	WD_KERNEL_BUFFER *kb = wds_setup_alloc(16 * WDS_PAGE, KER_BUF_ALLOC_CONTIG);

	expect_contiguous(kb, 16);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(contig_scatter, A "contig-frames-adjacent-under-scatter",
	   KMEMU_CAP_WDS | KMEMU_CAP_PHYS | KMEMU_CAP_CONTIG | KMEMU_CAP_PLACEMENT,
	   A "contig-physically-contiguous")
{
	struct kmemu_config cfg;
	WD_KERNEL_BUFFER *kb;

	KMEMU_SETUP_NT(kmemu_config_default(&cfg));
	cfg.placement = KMEMU_PLACE_SCATTER;
	wds_reopen(&cfg);
	kb = wds_setup_alloc(16 * WDS_PAGE, KER_BUF_ALLOC_CONTIG);
	expect_contiguous(kb, 16);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(cached_contig, A "cached-contig-contiguous",
	   KMEMU_CAP_WDS | KMEMU_CAP_PHYS | KMEMU_CAP_CONTIG,
	   A "cached " A "cached-combinable")
{
	WD_KERNEL_BUFFER *kb = NULL;

	KMEMU_ASSERT_WD(WDS_SharedBufferAlloc(8 * WDS_PAGE, KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_CACHED,
					      &kb), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(kb->dwOptions, KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_CACHED);
	expect_contiguous(kb, 8);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(cached_non_contig, A "cached-non-contig-shared",
	   KMEMU_CAP_WDS | KMEMU_CAP_KERNEL_ACCESS, A "cached " A "cached-combinable")
{
	WD_KERNEL_BUFFER *kb = NULL;

	KMEMU_ASSERT_WD(WDS_SharedBufferAlloc(8 * WDS_PAGE,
					      KER_BUF_ALLOC_NON_CONTIG | KER_BUF_ALLOC_CACHED, &kb),
			WD_STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(kb->dwOptions, KER_BUF_ALLOC_NON_CONTIG | KER_BUF_ALLOC_CACHED);
	wds_fill_user(kb, 51);
	WDS_EXPECT_KERNEL_PATTERN(kb, 8 * WDS_PAGE, 51);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(free_restores, A "free-restores-counters", KMEMU_CAP_WDS, A "free-when-done")
{
	for (size_t i = 0; i < N_VALID; i++) {
		struct kmemu_stats before = wds_stats(), during, after;
		WD_KERNEL_BUFFER *kb;

		if (!wds_kind_available(valid_options[i]))
			continue;
		kb = wds_setup_alloc(5 * WDS_PAGE, valid_options[i]);
		during = wds_stats();
		KMEMU_EXPECT_EQ(during.wds_buffers, before.wds_buffers + 1);
		KMEMU_EXPECT_TRUE(during.frames_used >= before.frames_used + 5);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
		after = wds_stats();
		WDS_EXPECT_COUNTERS("after Free", &after, &before);
	}
}

KMEMU_CASE(user_mode_process, A "user-mode-process", KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS,
	   A "user-mode-only")
{
	kmemu_pid self = wds_current_pid(), p = wds_setup_process("alloc-user");
	WD_KERNEL_BUFFER *kb = NULL;
	uint8_t byte = 0;

	wds_setup_attach(p);
	KMEMU_EXPECT_EQ(wds_current_pid(), p);
	if (KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, wds_any_kind(), &kb),
			    WD_STATUS_SUCCESS)) {
		/* a thread attached to p dereferences p's address */
		kmemu_uaddr(kb)[7] = 0x77;
		KMEMU_EXPECT_NT(kmemu_user_read(p, kb->pUserAddr + 7, &byte, 1), STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(byte, 0x77);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	}
	wds_setup_attach(self);
}

/* 1 when the host is one of the platforms the remark names. */
static int host_is_windows_or_linux(const char **name)
{
	static struct utsname u;

	if (uname(&u) != 0) {
		*name = "?";
		return 0;
	}
	*name = u.sysname;
	return !strcmp(u.sysname, "Linux") || strstr(u.sysname, "Windows") ||
	       strstr(u.sysname, "CYGWIN") || strstr(u.sysname, "MINGW") ||
	       strstr(u.sysname, "MSYS");
}

KMEMU_CASE(windows_linux, A "implemented-on-linux-and-windows", KMEMU_CAP_WDS,
	   A "windows-linux-only")
{
	const char *host;
	WD_KERNEL_BUFFER *kb = NULL;
	DWORD rc;

	if (!host_is_windows_or_linux(&host))
		KMEMU_UNSUPPORTED("host '%s' is neither Windows nor Linux", host);
	rc = WDS_SharedBufferAlloc(WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG, &kb);
	KMEMU_EXPECT_NE(rc, WD_NOT_IMPLEMENTED);
	if (KMEMU_EXPECT_WD(rc, WD_STATUS_SUCCESS))
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

/* ---- failures --------------------------------------------------------------------- */

KMEMU_CASE(null_ppbuf, A "null-ppbuf-invalid-parameter", KMEMU_CAP_WDS, A "null-ppbuf")
{
	struct kmemu_stats before = wds_stats(), after;

	KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, KER_BUF_ALLOC_CONTIG, NULL),
			WD_INVALID_PARAMETER);
	KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG, NULL),
			WD_INVALID_PARAMETER);
	after = wds_stats();
	WDS_EXPECT_COUNTERS_HEAP("after Alloc(NULL)", &after, &before);
}

KMEMU_CASE(error_codes, A "failure-returns-wd-error-code", KMEMU_CAP_WDS,
	   A "returns-error-code")
{
	struct kmemu_stats st = wds_stats();
	WD_KERNEL_BUFFER *kb = NULL;
	UINT64 too_big = (st.frames_total + 1) * WDS_PAGE;

	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferAlloc(WDS_PAGE, KER_BUF_ALLOC_CONTIG, NULL));
	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferAlloc(0, KER_BUF_ALLOC_CONTIG, &kb));
	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferAlloc(WDS_PAGE, 0x80, &kb));
	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferAlloc(too_big, KER_BUF_ALLOC_NON_CONTIG, &kb));
}

KMEMU_CASE(heap_failure, A "heap-failure-insufficient-resources",
	   KMEMU_CAP_WDS | KMEMU_CAP_FAULT_INJECT, A "heap-failure " A "failure-leaves-ppbuf")
{
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .resources = KMEMU_FAULT_HEAP };
	struct kmemu_stats before, after;
	struct kmemu_fault_stats fs;
	WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;
	DWORD rc;

	/* one warm-up cycle so bookkeeping arrays already exist */
	KMEMU_SETUP_WD(WDS_SharedBufferFree(wds_setup_alloc(WDS_PAGE, wds_any_kind())));
	before = wds_stats();
	KMEMU_SETUP_NT(kmemu_fault_set(&fc));
	rc = WDS_SharedBufferAlloc(WDS_PAGE, wds_any_kind(), &kb);
	kmemu_fault_get_stats(&fs);
	kmemu_fault_set(NULL);
	after = wds_stats();
	KMEMU_EXPECT_EQ(fs.failures, 1);
	KMEMU_EXPECT_WD(rc, WD_INSUFFICIENT_RESOURCES);
	KMEMU_EXPECT_TRUE(kb == KMEMU_SENTINEL);
	WDS_EXPECT_COUNTERS_HEAP("after the failed Alloc", &after, &before);
}

KMEMU_CASE(larger_than_ram, A "larger-than-ram-insufficient-resources", KMEMU_CAP_WDS,
	   A "above-ram " A "kernel-error-frees-struct " A "failure-leaves-ppbuf")
{
	struct kmemu_stats before = wds_stats(), after;
	const UINT64 sizes[] = { (before.frames_total + 1) * WDS_PAGE, UINT64_MAX,
				 UINT64_MAX - WDS_PAGE + 2, 1ull << 63 };

	KMEMU_SETUP_TRUE(before.frames_total > 0);
	kmemu_diag("machine RAM: %llu frames (%llu MiB)", (unsigned long long)before.frames_total,
		   (unsigned long long)(before.frames_total * WDS_PAGE >> 20));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t k = 0; k < 2; k++) {
			DWORD kind = k ? KER_BUF_ALLOC_NON_CONTIG : KER_BUF_ALLOC_CONTIG;
			WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;

			if (!KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(sizes[i], kind, &kb),
					     WD_INSUFFICIENT_RESOURCES))
				kmemu_diag("qwBytes 0x%llX, dwOptions 0x%X", (unsigned long long)sizes[i],
					   kind);
			KMEMU_EXPECT_TRUE(kb == KMEMU_SENTINEL);
			if (kb != KMEMU_SENTINEL && kb)
				WDS_SharedBufferFree(kb);
		}
	}
	after = wds_stats();
	WDS_EXPECT_COUNTERS_HEAP("after the refused Allocs", &after, &before);
}

KMEMU_CASE(failure_leaves_ppbuf, A "failure-leaves-ppbuf-untouched", KMEMU_CAP_WDS,
	   A "failure-leaves-ppbuf")
{
	struct kmemu_stats st = wds_stats();
	const struct {
		UINT64 bytes;
		DWORD options;
	} bad[] = {
		{ 0, KER_BUF_ALLOC_CONTIG },
		{ WDS_PAGE, KER_BUF_GET_EXISTING_BUF },
		{ WDS_PAGE, KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_NON_CONTIG },
		{ WDS_PAGE, 0 },
		{ (st.frames_total + 1) * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;

		KMEMU_EXPECT_NE(WDS_SharedBufferAlloc(bad[i].bytes, bad[i].options, &kb),
				WD_STATUS_SUCCESS);
		if (!KMEMU_EXPECT_TRUE(kb == KMEMU_SENTINEL))
			kmemu_diag("qwBytes 0x%llX dwOptions 0x%X: *ppBuf became %p",
				   (unsigned long long)bad[i].bytes, bad[i].options, (void *)kb);
	}
	if (wds_has_caps(KMEMU_CAP_FAULT_INJECT)) {
		struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .repeat = UINT32_MAX,
						 .resources = KMEMU_FAULT_FRAMES };
		WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;

		KMEMU_SETUP_NT(kmemu_fault_set(&fc));
		KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, wds_any_kind(), &kb),
				WD_INSUFFICIENT_RESOURCES);
		kmemu_fault_set(NULL);
		KMEMU_EXPECT_TRUE(kb == KMEMU_SENTINEL);
	}
}

/* ---- decided parameter rules ------------------------------------------------------ */

KMEMU_CASE(size_zero, A "size-zero-invalid-parameter", KMEMU_CAP_WDS, A "size-zero")
{
	for (size_t i = 0; i < N_VALID; i++) {
		WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;

		KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(0, valid_options[i], &kb), WD_INVALID_PARAMETER);
		KMEMU_EXPECT_TRUE(kb == KMEMU_SENTINEL);
	}
}

KMEMU_CASE(unknown_bits, A "unknown-option-bits-invalid-parameter", KMEMU_CAP_WDS,
	   A "unknown-option-bits")
{
	for (unsigned bit = 3; bit < 32; bit++) {
		DWORD extra = (DWORD)1 << bit;

		if (!KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, KER_BUF_ALLOC_CONTIG | extra,
							   &(WD_KERNEL_BUFFER *){ NULL }),
				     WD_INVALID_PARAMETER) ||
		    !KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG |
								     KER_BUF_ALLOC_CACHED | extra,
							   &(WD_KERNEL_BUFFER *){ NULL }),
				     WD_INVALID_PARAMETER))
			kmemu_diag("option bit 0x%08X", extra);
	}
	KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, KER_BUF_GET_EXISTING_BUF,
					      &(WD_KERNEL_BUFFER *){ NULL }),
			WD_INVALID_PARAMETER);
	KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, 0xFFFFFFFFu, &(WD_KERNEL_BUFFER *){ NULL }),
			WD_INVALID_PARAMETER);
}

KMEMU_CASE(both_kinds, A "contig-and-non-contig-invalid-parameter", KMEMU_CAP_WDS,
	   A "contig-and-non-contig")
{
	KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, WDS_KINDS, &(WD_KERNEL_BUFFER *){ NULL }),
			WD_INVALID_PARAMETER);
	KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, WDS_KINDS | KER_BUF_ALLOC_CACHED,
					      &(WD_KERNEL_BUFFER *){ NULL }),
			WD_INVALID_PARAMETER);
}

KMEMU_CASE(no_kind, A "neither-kind-invalid-parameter", KMEMU_CAP_WDS,
	   A "neither-contig-nor-non-contig")
{
	KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, 0, &(WD_KERNEL_BUFFER *){ NULL }),
			WD_INVALID_PARAMETER);
	KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(WDS_PAGE, KER_BUF_ALLOC_CACHED,
					      &(WD_KERNEL_BUFFER *){ NULL }),
			WD_INVALID_PARAMETER);
}

/* ---- decided resource rules -------------------------------------------------------- */

KMEMU_CASE(above_4gib, A "above-4gib-when-ram-allows", KMEMU_CAP_WDS | KMEMU_CAP_KERNEL_ACCESS,
	   A "above-4gib-when-ram-allows")
{
	const UINT64 size = (4ull << 30) + WDS_PAGE;
	struct kmemu_config cfg;
	struct kmemu_stats st;
	WD_KERNEL_BUFFER *kb = NULL;
	uint8_t first = 0, last = 0;
	DWORD rc;

	KMEMU_SETUP_NT(kmemu_config_default(&cfg));
	if (cfg.ram_bytes < (6ull << 30))
		cfg.ram_bytes = 6ull << 30;  /* sparse: costs only what is touched */
	/* This case is about size, not placement: scattered or fragmented frames
	 * would need one host mapping per run (~1M runs here), beyond Linux's
	 * vm.max_map_count, and the emulator rightly answers
	 * WD_INSUFFICIENT_RESOURCES then. */
	cfg.placement = KMEMU_PLACE_DEFAULT;
	cfg.fragment_order = 0;
	wds_reopen(&cfg);
	st = wds_stats();
	if (st.frames_total * WDS_PAGE < size + 16 * WDS_PAGE)
		KMEMU_UNSUPPORTED("machine has %llu MiB of RAM, 4 GiB + 1 page does not fit",
				  (unsigned long long)(st.frames_total * WDS_PAGE >> 20));
	rc = WDS_SharedBufferAlloc(size, KER_BUF_ALLOC_NON_CONTIG, &kb);
	KMEMU_ASSERT_WD(rc, WD_STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(kb->qwBytes, size);
	kmemu_uaddr(kb)[0] = 0x11;
	kmemu_uaddr(kb)[size - 1] = 0x22;
	KMEMU_EXPECT_NT(kmemu_kernel_read(kb->pKernelAddr, &first, 1), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_kernel_read(kb->pKernelAddr + size - 1, &last, 1), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(first, 0x11);
	KMEMU_EXPECT_EQ(last, 0x22);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(no_run, A "contig-without-free-run-insufficient-resources",
	   KMEMU_CAP_WDS | KMEMU_CAP_CONTIG | KMEMU_CAP_PLACEMENT, A "no-contiguous-run")
{
	struct kmemu_config cfg;
	WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;

	KMEMU_SETUP_NT(kmemu_config_default(&cfg));
	cfg.fragment_order = 4;  /* no free run longer than 8 frames */
	wds_reopen(&cfg);
	KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(16 * WDS_PAGE, KER_BUF_ALLOC_CONTIG, &kb),
			WD_INSUFFICIENT_RESOURCES);
	KMEMU_EXPECT_TRUE(kb == KMEMU_SENTINEL);
	kb = NULL;
	if (KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(16 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG, &kb),
			    WD_STATUS_SUCCESS))
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(contig_refused, A "contig-refused-without-contiguous-memory", KMEMU_CAP_WDS,
	   A "contig-unavailable-refused " A "failure-leaves-ppbuf")
{
	struct kmemu_stats before, after;
	WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;
	const UINT64 sizes[] = { 1, 16 * WDS_PAGE };

	if (wds_has_caps(KMEMU_CAP_CONTIG))
		KMEMU_UNSUPPORTED("backend %s has contiguous memory here (KMEMU_CAP_CONTIG)",
				  kmemu_conform_backend());
	before = wds_stats();
	for (size_t i = 0; i < 2; i++) {
		kb = KMEMU_SENTINEL;
		if (!KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(sizes[i], KER_BUF_ALLOC_CONTIG, &kb),
				     WD_INSUFFICIENT_RESOURCES))
			kmemu_diag("qwBytes %llu", (unsigned long long)sizes[i]);
		KMEMU_EXPECT_TRUE(kb == KMEMU_SENTINEL);
		if (kb != KMEMU_SENTINEL && kb)
			WDS_SharedBufferFree(kb);
	}
	after = wds_stats();
	WDS_EXPECT_COUNTERS_HEAP("after the refused CONTIG Allocs", &after, &before);
	kb = NULL;
	if (KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(16 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG, &kb),
			    WD_STATUS_SUCCESS))
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(zero_filled, A "new-buffer-reads-zero", KMEMU_CAP_WDS, A "zero-filled")
{
	static const uint8_t zero[4 * WDS_PAGE];

	for (size_t i = 0; i < N_VALID; i++) {
		WD_KERNEL_BUFFER *kb;

		if (!wds_kind_available(valid_options[i]))
			continue;
		kb = wds_setup_alloc(4 * WDS_PAGE, valid_options[i]);
		KMEMU_EXPECT_MEM(kmemu_uaddr(kb), zero, sizeof(zero));
		/* dirty the frames, free them, and look at what the next buffer gets */
		wds_fill_user(kb, 61);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
		kb = wds_setup_alloc(4 * WDS_PAGE, valid_options[i]);
		KMEMU_EXPECT_MEM(kmemu_uaddr(kb), zero, sizeof(zero));
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	}
}

KMEMU_CASE(unrounded, A "qwbytes-reported-unrounded", KMEMU_CAP_WDS,
	   A "qwbytes-unrounded " A "stores-size-and-options")
{
	DWORD kind = wds_any_kind();
	WD_KERNEL_BUFFER *kb = wds_setup_alloc(5000, kind), *kb2;

	KMEMU_EXPECT_EQ(kb->qwBytes, 5000);
	kb2 = wds_setup_get(kb->hKerBuf);
	KMEMU_EXPECT_EQ(kb2->qwBytes, 5000);
	KMEMU_EXPECT_EQ(kb2->dwOptions, kind);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb2), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(out_of_frames, A "frames-exhausted-insufficient-resources",
	   KMEMU_CAP_WDS | KMEMU_CAP_FAULT_INJECT, A "out-of-frames " A "failure-leaves-ppbuf")
{
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .repeat = UINT32_MAX,
					 .resources = KMEMU_FAULT_FRAMES };
	struct kmemu_stats before, after;
	struct kmemu_fault_stats fs;
	const UINT64 sizes[] = { 1, 4 * WDS_PAGE };

	KMEMU_SETUP_WD(WDS_SharedBufferFree(wds_setup_alloc(WDS_PAGE, wds_any_kind())));
	before = wds_stats();
	for (size_t i = 0; i < 2; i++) {
		for (size_t k = 0; k < N_VALID; k++) {
			WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;
			DWORD rc;

			if (!wds_kind_available(valid_options[k]))
				continue;
			KMEMU_SETUP_NT(kmemu_fault_set(&fc));
			rc = WDS_SharedBufferAlloc(sizes[i], valid_options[k], &kb);
			kmemu_fault_get_stats(&fs);
			kmemu_fault_set(NULL);
			if (!KMEMU_EXPECT_WD(rc, WD_INSUFFICIENT_RESOURCES))
				kmemu_diag("qwBytes %llu, dwOptions 0x%X", (unsigned long long)sizes[i],
					   valid_options[k]);
			KMEMU_EXPECT_NE(fs.failures, 0);
			KMEMU_EXPECT_TRUE(kb == KMEMU_SENTINEL);
			if (rc == WD_STATUS_SUCCESS && kb != KMEMU_SENTINEL)
				WDS_SharedBufferFree(kb);
		}
	}
	after = wds_stats();
	WDS_EXPECT_COUNTERS_HEAP("after the failed Allocs", &after, &before);
}

/* ---- the OOM loop ------------------------------------------------------------------- */

struct alloc_free_op {
	UINT64 bytes;
	DWORD options;
};

/* One Alloc + Free; leaves nothing behind whatever fails. */
static uint32_t run_alloc_free(void *ctx)
{
	const struct alloc_free_op *op = ctx;
	WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;
	DWORD rc = WDS_SharedBufferAlloc(op->bytes, op->options, &kb);

	if (rc != WD_STATUS_SUCCESS)
		return kb == KMEMU_SENTINEL ? rc : 0xFFFFFFFFu;  /* *ppBuf touched: not allowed */
	return WDS_SharedBufferFree(kb);
}

static void oom_loop_alloc_free(const char *name, UINT64 bytes, DWORD options)
{
	static const uint32_t fail_ok[] = { WD_INSUFFICIENT_RESOURCES };
	struct alloc_free_op ctx = { bytes, options };
	struct kmemu_oom_op op = {
		.name = name, .run = run_alloc_free, .ctx = &ctx, .success = WD_STATUS_SUCCESS,
		.fail_ok = fail_ok, .n_fail_ok = 1, .resources = 0,
	};
	struct kmemu_oom_result res;
	kmemu_status st;

	/* warm-up: grown bookkeeping arrays are not leaks of the loop's runs */
	KMEMU_SETUP_WD(run_alloc_free(&ctx));
	st = kmemu_oom_loop(&op, 0, &res);
	if (!KMEMU_EXPECT_NT(st, STATUS_SUCCESS) || !KMEMU_EXPECT_TRUE(res.ok))
		kmemu_diag("%s", res.message);
	KMEMU_EXPECT_NE(res.failures, 0);
	kmemu_diag("%s: %u iterations, %u with an injected failure", name, res.iterations,
		   res.failures);
}

KMEMU_CASE(oom_loop, A "oom-loop-alloc-free", KMEMU_CAP_WDS | KMEMU_CAP_FAULT_INJECT,
	   A "oom-loop " A "heap-failure " A "kernel-error-frees-struct")
{
	if (wds_kind_available(KER_BUF_ALLOC_CONTIG))
		oom_loop_alloc_free("Alloc+Free CONTIG", 3 * WDS_PAGE, KER_BUF_ALLOC_CONTIG);
	oom_loop_alloc_free("Alloc+Free NON_CONTIG|CACHED", 3 * WDS_PAGE + 1,
			    KER_BUF_ALLOC_NON_CONTIG | KER_BUF_ALLOC_CACHED);
}

KMEMU_CASE(oom_loop_scattered, A "oom-loop-alloc-free-scattered",
	   KMEMU_CAP_WDS | KMEMU_CAP_FAULT_INJECT | KMEMU_CAP_PLACEMENT, A "oom-loop")
{
	struct kmemu_config cfg;

	KMEMU_SETUP_NT(kmemu_config_default(&cfg));
	cfg.placement = KMEMU_PLACE_SCATTER;
	wds_reopen(&cfg);
	oom_loop_alloc_free("Alloc+Free NON_CONTIG scattered", 5 * WDS_PAGE,
			    KER_BUF_ALLOC_NON_CONTIG);
}

/* ---- the table ------------------------------------------------------------------------- */

const struct kmemu_case *const kmemu_cases_WDS_SharedBufferAlloc[] = {
	KMEMU_CASE_REF(declares_api),
	KMEMU_CASE_REF(prototype),
	KMEMU_CASE_REF(struct_layout),
	KMEMU_CASE_REF(option_bits),
	KMEMU_CASE_REF(status_values),
	KMEMU_CASE_REF(success_fills),
	KMEMU_CASE_REF(usable),
	KMEMU_CASE_REF(user_to_kernel),
	KMEMU_CASE_REF(kernel_to_user),
	KMEMU_CASE_REF(mappings),
	KMEMU_CASE_REF(sizes),
	KMEMU_CASE_REF(non_contig),
	KMEMU_CASE_REF(non_contig_scattered),
	KMEMU_CASE_REF(contig),
	KMEMU_CASE_REF(contig_scatter),
	KMEMU_CASE_REF(cached_contig),
	KMEMU_CASE_REF(cached_non_contig),
	KMEMU_CASE_REF(free_restores),
	KMEMU_CASE_REF(user_mode_process),
	KMEMU_CASE_REF(windows_linux),
	KMEMU_CASE_REF(null_ppbuf),
	KMEMU_CASE_REF(error_codes),
	KMEMU_CASE_REF(heap_failure),
	KMEMU_CASE_REF(larger_than_ram),
	KMEMU_CASE_REF(failure_leaves_ppbuf),
	KMEMU_CASE_REF(size_zero),
	KMEMU_CASE_REF(unknown_bits),
	KMEMU_CASE_REF(both_kinds),
	KMEMU_CASE_REF(no_kind),
	KMEMU_CASE_REF(above_4gib),
	KMEMU_CASE_REF(no_run),
	KMEMU_CASE_REF(contig_refused),
	KMEMU_CASE_REF(zero_filled),
	KMEMU_CASE_REF(unrounded),
	KMEMU_CASE_REF(out_of_frames),
	KMEMU_CASE_REF(oom_loop),
	KMEMU_CASE_REF(oom_loop_scattered),
	NULL,
};
