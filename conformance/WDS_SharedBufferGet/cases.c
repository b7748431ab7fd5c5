/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WDS_SharedBufferGet().
 *
 * The "other process" is an emulated process of the same machine; its view
 * is read and written with kmemu_user_read/kmemu_user_write(pid, ...), the
 * kernel view with kmemu_kernel_read, frames with kmemu_virt_to_phys.
 */
#include <string.h>
#include <unistd.h>
#include "../wds_helpers.h"

#define G "WDS_SharedBufferGet/"
#define F "WDS_SharedBufferFree/"
#define A "WDS_SharedBufferAlloc/"

/* ---- the interface ---------------------------------------------------------------- */

KMEMU_CASE(prototype, G "prototype", KMEMU_CAP_WDS, G "prototype")
{
	DWORD (DLLCALLCONV *fn)(DWORD hKerBuf, WD_KERNEL_BUFFER **ppKerBuf) = WDS_SharedBufferGet;
	int returns_dword = _Generic(WDS_SharedBufferGet(0, NULL), DWORD: 1, default: 0);

	KMEMU_EXPECT_TRUE(fn != NULL);
	KMEMU_EXPECT_TRUE(returns_dword);
}

/* ---- another process ----------------------------------------------------------------- */

KMEMU_CASE(other_process, G "other-process-maps-same-buffer",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS,
	   G "maps-other-process-buffer " G "returns-success " G "server-api-licence "
	   G "hkerbuf-is-handle " G "ppkerbuf-describes-hkerbuf " G "kernel-fills-fields "
	   G "fields-as-though-allocated " A "qwbytes-unrounded")
{
	const size_t len = 3 * WDS_PAGE + 10;
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("getter");
	const DWORD kind = wds_any_kind() | KER_BUF_ALLOC_CACHED;
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(len, kind);
	WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;
	static uint8_t buf[3 * WDS_PAGE + 10];
	DWORD rc;

	wds_fill_user(ka, 101);
	wds_setup_attach(b);
	rc = WDS_SharedBufferGet(ka->hKerBuf, &kb);
	KMEMU_EXPECT_NE(rc, WD_NO_LICENSE);
	KMEMU_EXPECT_NE(rc, WD_NOT_IMPLEMENTED);
	KMEMU_EXPECT_EQ(rc, 0);
	if (!KMEMU_EXPECT_WD(rc, WD_STATUS_SUCCESS)) {
		wds_setup_attach(a);
		return;
	}
	KMEMU_ASSERT_TRUE(kb != NULL && kb != KMEMU_SENTINEL && kb != ka);
	KMEMU_EXPECT_EQ(kb->hKerBuf, ka->hKerBuf);
	KMEMU_EXPECT_EQ(kb->qwBytes, len);
	KMEMU_EXPECT_EQ(kb->dwOptions, kind);
	KMEMU_EXPECT_NE(kb->dwOptions, KER_BUF_GET_EXISTING_BUF);
	KMEMU_EXPECT_EQ(kb->pKernelAddr, ka->pKernelAddr);
	KMEMU_EXPECT_NE(kb->pUserAddr, 0);
	/* B's own view holds A's data */
	WDS_EXPECT_VIEW_PATTERN(b, kb, len, 101);
	/* what B writes, A and the kernel see */
	kmemu_fill(buf, len, 102);
	KMEMU_EXPECT_NT(kmemu_user_write(b, kb->pUserAddr, buf, len), STATUS_SUCCESS);
	wds_setup_attach(a);
	WDS_EXPECT_USER_PATTERN(ka, len, 102);
	if (wds_has_caps(KMEMU_CAP_KERNEL_ACCESS))
		WDS_EXPECT_KERNEL_PATTERN(ka, len, 102);
	wds_setup_attach(b);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	wds_setup_attach(a);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
}

KMEMU_CASE(other_process_frames, G "other-process-same-frames",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS | KMEMU_CAP_PHYS,
	   G "fields-as-though-allocated " G "maps-other-process-buffer")
{
	const unsigned pages = 5;
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("getter");
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(pages * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG), *kb;

	wds_setup_attach(b);
	kb = wds_setup_get(ka->hKerBuf);
	for (unsigned i = 0; i < pages; i++) {
		uint64_t pa = 0, pb = 0;
		size_t off = (size_t)i * WDS_PAGE;

		KMEMU_EXPECT_NT(kmemu_virt_to_phys(a, kmemu_uaddr(ka) + off, &pa), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(kmemu_virt_to_phys(b, kmemu_uaddr(kb) + off, &pb), STATUS_SUCCESS);
		if (!KMEMU_EXPECT_EQ(pb, pa))
			kmemu_diag("page %u", i);
	}
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	wds_setup_attach(a);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
}

KMEMU_CASE(handle_by_pipe, G "handle-carried-by-pipe", KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS,
	   G "handle-received-by-ipc")
{
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("receiver");
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(WDS_PAGE, wds_any_kind()), *kb = NULL;
	UINT64 msg = ka->hKerBuf, received = 0;  /* WDS IPC carries it as qwMsgData */
	int fds[2];

	wds_fill_user(ka, 111);
	KMEMU_SETUP_TRUE(pipe(fds) == 0);
	KMEMU_SETUP_TRUE(write(fds[1], &msg, sizeof(msg)) == (ssize_t)sizeof(msg));
	close(fds[1]);
	wds_setup_attach(b);
	KMEMU_SETUP_TRUE(read(fds[0], &received, sizeof(received)) == (ssize_t)sizeof(received));
	close(fds[0]);
	KMEMU_EXPECT_EQ(received >> 32, 0);  /* a 32-bit value */
	if (KMEMU_EXPECT_WD(WDS_SharedBufferGet((DWORD)received, &kb), WD_STATUS_SUCCESS)) {
		WDS_EXPECT_VIEW_PATTERN(b, kb, WDS_PAGE, 111);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	}
	wds_setup_attach(a);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
}

KMEMU_CASE(free_when_done, G "freed-with-wds-sharedbufferfree",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS, G "free-when-done")
{
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("getter");
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(2 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG), *kb;
	UPTR ub;
	uint8_t byte;

	wds_fill_user(ka, 121);
	wds_setup_attach(b);
	kb = wds_setup_get(ka->hKerBuf);
	ub = kb->pUserAddr;
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_user_read(b, ub, &byte, 1), STATUS_ACCESS_VIOLATION);
	wds_setup_attach(a);
	WDS_EXPECT_USER_PATTERN(ka, 2 * WDS_PAGE, 121);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
}

KMEMU_CASE(sample_flow, G "sample-contig-string-shared", KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS,
	   G "sample-flow")
{
	static const char text[] = "Hello from the allocating process";
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("wds_diag receiver");
	WD_KERNEL_BUFFER *ka, *kb, *one = NULL, *big = KMEMU_SENTINEL;
	char got[sizeof(text)];
	DWORD rc;

	/* the sample's size bounds: 1 works, 0xFFFFFFFF works or runs out of RAM;
	 * the sample allocates CONTIG, where the backend has contiguous memory */
	const DWORD kind = wds_any_kind();

	if (KMEMU_EXPECT_WD(WDS_SharedBufferAlloc(1, kind, &one), WD_STATUS_SUCCESS))
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(one), WD_STATUS_SUCCESS);
	rc = WDS_SharedBufferAlloc(0xFFFFFFFFull, kind, &big);
	if (rc == WD_STATUS_SUCCESS)
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(big), WD_STATUS_SUCCESS);
	else
		KMEMU_EXPECT_WD(rc, WD_INSUFFICIENT_RESOURCES);

	ka = wds_setup_alloc(sizeof(text), kind);
	memcpy(kmemu_uaddr(ka), text, sizeof(text));
	wds_setup_attach(b);
	kb = wds_setup_get(WDS_SharedBufferGetGlobalHandle(ka));
	KMEMU_EXPECT_NT(kmemu_user_read(b, kb->pUserAddr, got, sizeof(got)), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(got, text, sizeof(text));
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	wds_setup_attach(a);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
}

/* ---- failures --------------------------------------------------------------------------- */

KMEMU_CASE(null_out, G "null-ppkerbuf-invalid-parameter", KMEMU_CAP_WDS, G "null-ppkerbuf")
{
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(WDS_PAGE, wds_any_kind());
	struct kmemu_stats before = wds_stats(), after;

	KMEMU_EXPECT_WD(WDS_SharedBufferGet(ka->hKerBuf, NULL), WD_INVALID_PARAMETER);
	KMEMU_EXPECT_WD(WDS_SharedBufferGet(0, NULL), WD_INVALID_PARAMETER);
	after = wds_stats();
	WDS_EXPECT_COUNTERS_HEAP("after Get(NULL)", &after, &before);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
}

KMEMU_CASE(zero_handle, G "zero-handle-invalid-handle", KMEMU_CAP_WDS,
	   G "zero-handle " G "failure-clears-ppkerbuf")
{
	WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;

	KMEMU_EXPECT_WD(WDS_SharedBufferGet(0, &kb), WD_INVALID_HANDLE);
	KMEMU_EXPECT_TRUE(kb == NULL);
}

KMEMU_CASE(error_codes, G "failure-returns-wd-error-code", KMEMU_CAP_WDS, G "returns-error-code")
{
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(WDS_PAGE, wds_any_kind()), *kb = NULL;
	DWORD h = ka->hKerBuf;

	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferGet(h, NULL));
	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferGet(0, &kb));
	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferGet(~h, &kb));
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferGet(h, &kb));  /* stale */
}

KMEMU_CASE(failure_clears, G "failure-clears-ppkerbuf", KMEMU_CAP_WDS,
	   G "failure-clears-ppkerbuf")
{
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(WDS_PAGE, wds_any_kind()), *kb;
	DWORD h = ka->hKerBuf;
	const DWORD bad[] = { 0, h + 1, ~h, 0xFFFFFFFFu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i] == h)
			continue;
		kb = KMEMU_SENTINEL;
		KMEMU_EXPECT_NE(WDS_SharedBufferGet(bad[i], &kb), WD_STATUS_SUCCESS);
		if (!KMEMU_EXPECT_TRUE(kb == NULL))
			kmemu_diag("handle 0x%08X", bad[i]);
	}
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	kb = KMEMU_SENTINEL;
	KMEMU_EXPECT_NE(WDS_SharedBufferGet(h, &kb), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE(kb == NULL);
	if (wds_has_caps(KMEMU_CAP_FAULT_INJECT)) {
		struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .repeat = UINT32_MAX,
						 .resources = KMEMU_FAULT_HEAP };

		ka = wds_setup_alloc(WDS_PAGE, wds_any_kind());
		kb = KMEMU_SENTINEL;
		KMEMU_SETUP_NT(kmemu_fault_set(&fc));
		KMEMU_EXPECT_NE(WDS_SharedBufferGet(ka->hKerBuf, &kb), WD_STATUS_SUCCESS);
		kmemu_fault_set(NULL);
		KMEMU_EXPECT_TRUE(kb == NULL);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	}
}

KMEMU_CASE(heap_failure, G "heap-failure-insufficient-resources",
	   KMEMU_CAP_WDS | KMEMU_CAP_FAULT_INJECT | KMEMU_CAP_MULTI_PROCESS, G "heap-failure")
{
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .resources = KMEMU_FAULT_HEAP };
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("getter");
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(2 * WDS_PAGE, wds_any_kind()), *kb;
	struct kmemu_stats before, after;
	struct kmemu_fault_stats fs;
	DWORD rc;

	wds_fill_user(ka, 131);
	wds_setup_attach(b);
	/* warm-up: B's bookkeeping arrays exist before the counted run */
	KMEMU_SETUP_WD(WDS_SharedBufferFree(wds_setup_get(ka->hKerBuf)));
	before = wds_stats();
	kb = KMEMU_SENTINEL;
	KMEMU_SETUP_NT(kmemu_fault_set(&fc));
	rc = WDS_SharedBufferGet(ka->hKerBuf, &kb);
	kmemu_fault_get_stats(&fs);
	kmemu_fault_set(NULL);
	after = wds_stats();
	KMEMU_EXPECT_EQ(fs.failures, 1);
	KMEMU_EXPECT_WD(rc, WD_INSUFFICIENT_RESOURCES);
	KMEMU_EXPECT_TRUE(kb == NULL);
	WDS_EXPECT_COUNTERS_HEAP("after the failed Get", &after, &before);
	wds_setup_attach(a);
	WDS_EXPECT_USER_PATTERN(ka, 2 * WDS_PAGE, 131);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
}

/* ---- decided ----------------------------------------------------------------------------- */

KMEMU_CASE(same_process, G "same-process-second-mapping", KMEMU_CAP_WDS,
	   G "same-process " G "hkerbuf-is-handle")
{
	const size_t len = 4 * WDS_PAGE;
	struct kmemu_stats s0 = wds_stats(), s1, s2;
	WD_KERNEL_BUFFER *k1 = wds_setup_alloc(len, KER_BUF_ALLOC_NON_CONTIG), *k2 = NULL;
	DWORD h = k1->hKerBuf;

	KMEMU_ASSERT_WD(WDS_SharedBufferGet(h, &k2), WD_STATUS_SUCCESS);
	KMEMU_ASSERT_TRUE(k2 != NULL && k2 != k1);
	KMEMU_EXPECT_EQ(k2->hKerBuf, h);
	KMEMU_EXPECT_NE(k2->pUserAddr, k1->pUserAddr);
	KMEMU_EXPECT_EQ(k2->pKernelAddr, k1->pKernelAddr);
	/* aliases, both ways */
	wds_fill_user(k1, 141);
	WDS_EXPECT_USER_PATTERN(k2, len, 141);
	wds_fill_user(k2, 142);
	WDS_EXPECT_USER_PATTERN(k1, len, 142);
	if (wds_has_caps(KMEMU_CAP_PHYS)) {
		kmemu_pid self = wds_current_pid();

		for (unsigned i = 0; i < 4; i++) {
			uint64_t p1 = 0, p2 = 0;

			KMEMU_EXPECT_NT(kmemu_virt_to_phys(self, kmemu_uaddr(k1) + (size_t)i * WDS_PAGE,
							   &p1), STATUS_SUCCESS);
			KMEMU_EXPECT_NT(kmemu_virt_to_phys(self, kmemu_uaddr(k2) + (size_t)i * WDS_PAGE,
							   &p2), STATUS_SUCCESS);
			KMEMU_EXPECT_EQ(p2, p1);
		}
	}
	/* each description needs its own Free */
	s1 = wds_stats();
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(k1), WD_STATUS_SUCCESS);
	s2 = wds_stats();
	KMEMU_EXPECT_EQ(s2.frames_used, s1.frames_used);
	KMEMU_EXPECT_EQ(s2.wds_buffers, s1.wds_buffers);
	WDS_EXPECT_USER_PATTERN(k2, len, 142);
	KMEMU_EXPECT_TRUE(kmemu_try_write(kmemu_uaddr(k2) + len - 1));
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(k2), WD_STATUS_SUCCESS);
	s2 = wds_stats();
	WDS_EXPECT_COUNTERS("after both Frees", &s2, &s0);
}

KMEMU_CASE(stale, G "stale-after-every-holder-freed", KMEMU_CAP_WDS, G "stale-handle")
{
	WD_KERNEL_BUFFER *k1 = wds_setup_alloc(WDS_PAGE, wds_any_kind()), *k2, *k3 = NULL;
	WD_KERNEL_BUFFER *got = KMEMU_SENTINEL;
	DWORD h = k1->hKerBuf;

	k2 = wds_setup_get(h);
	/* the allocating holding is gone, another holds: the handle lives */
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(k1), WD_STATUS_SUCCESS);
	if (KMEMU_EXPECT_WD(WDS_SharedBufferGet(h, &k3), WD_STATUS_SUCCESS))
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(k3), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(k2), WD_STATUS_SUCCESS);
	/* every holder freed */
	KMEMU_EXPECT_WD(WDS_SharedBufferGet(h, &got), WD_INVALID_HANDLE);
	KMEMU_EXPECT_TRUE(got == NULL);
}

KMEMU_CASE(unknown, G "never-issued-handle-invalid", KMEMU_CAP_WDS,
	   G "unknown-handle " G "failure-clears-ppkerbuf")
{
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(WDS_PAGE, wds_any_kind()), *kb, *kn;
	DWORD h = ka->hKerBuf;
	const DWORD bad[] = { h + 1, ~h, 0xFFFFFFFFu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i] == h || bad[i] == 0)
			continue;
		kb = KMEMU_SENTINEL;
		if (!KMEMU_EXPECT_WD(WDS_SharedBufferGet(bad[i], &kb), WD_INVALID_HANDLE))
			kmemu_diag("handle 0x%08X (live one is 0x%08X)", bad[i], h);
		KMEMU_EXPECT_TRUE(kb == NULL);
	}
	/* a dead handle does not come back to name the next buffer */
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	kn = wds_setup_alloc(WDS_PAGE, wds_any_kind());
	kb = KMEMU_SENTINEL;
	if (kn->hKerBuf == h)
		KMEMU_FAIL("the new buffer reuses the dead handle 0x%08X", h);
	else
		KMEMU_EXPECT_WD(WDS_SharedBufferGet(h, &kb), WD_INVALID_HANDLE);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kn), WD_STATUS_SUCCESS);
}

/* ---- the OOM loop ------------------------------------------------------------------------ */

/* One Get + Free of @ctx's handle in the current process. */
static uint32_t run_get_free(void *ctx)
{
	WD_KERNEL_BUFFER *kb = KMEMU_SENTINEL;
	DWORD rc = WDS_SharedBufferGet(*(const DWORD *)ctx, &kb);

	if (rc != WD_STATUS_SUCCESS)
		return kb == NULL ? rc : 0xFFFFFFFFu;  /* *ppKerBuf must be NULL */
	return WDS_SharedBufferFree(kb);
}

static void oom_loop_get_free(const char *name, DWORD handle)
{
	static const uint32_t fail_ok[] = { WD_INSUFFICIENT_RESOURCES };
	struct kmemu_oom_op op = {
		.name = name, .run = run_get_free, .ctx = &handle, .success = WD_STATUS_SUCCESS,
		.fail_ok = fail_ok, .n_fail_ok = 1, .resources = 0,
	};
	struct kmemu_oom_result res;
	kmemu_status st;

	KMEMU_SETUP_WD(run_get_free(&handle));  /* warm-up */
	st = kmemu_oom_loop(&op, 0, &res);
	if (!KMEMU_EXPECT_NT(st, STATUS_SUCCESS) || !KMEMU_EXPECT_TRUE(res.ok))
		kmemu_diag("%s", res.message);
	KMEMU_EXPECT_NE(res.failures, 0);
	kmemu_diag("%s: %u iterations, %u with an injected failure", name, res.iterations,
		   res.failures);
}

KMEMU_CASE(oom_loop, G "oom-loop-get-free", KMEMU_CAP_WDS | KMEMU_CAP_FAULT_INJECT |
	   KMEMU_CAP_MULTI_PROCESS, G "oom-loop " G "heap-failure")
{
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("getter");
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(3 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG);

	wds_fill_user(ka, 151);
	wds_setup_attach(b);
	oom_loop_get_free("Get+Free in another process", ka->hKerBuf);
	wds_setup_attach(a);
	oom_loop_get_free("Get+Free in the allocating process", ka->hKerBuf);
	WDS_EXPECT_USER_PATTERN(ka, 3 * WDS_PAGE, 151);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
}

/* ---- the table ---------------------------------------------------------------------------- */

const struct kmemu_case *const kmemu_cases_WDS_SharedBufferGet[] = {
	KMEMU_CASE_REF(prototype),
	KMEMU_CASE_REF(other_process),
	KMEMU_CASE_REF(other_process_frames),
	KMEMU_CASE_REF(handle_by_pipe),
	KMEMU_CASE_REF(free_when_done),
	KMEMU_CASE_REF(sample_flow),
	KMEMU_CASE_REF(null_out),
	KMEMU_CASE_REF(zero_handle),
	KMEMU_CASE_REF(error_codes),
	KMEMU_CASE_REF(failure_clears),
	KMEMU_CASE_REF(heap_failure),
	KMEMU_CASE_REF(same_process),
	KMEMU_CASE_REF(stale),
	KMEMU_CASE_REF(unknown),
	KMEMU_CASE_REF(oom_loop),
	NULL,
};
