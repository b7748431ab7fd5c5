/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WDS_SharedBufferFree().
 *
 * Cross-process cases run the holders as emulated processes of one machine
 * (kmemu_process_create/attach) and read a process's view with
 * kmemu_user_read(pid, ...), never by dereferencing another process's
 * address.
 */
#include <string.h>
#include <sys/utsname.h>
#include "../wds_helpers.h"

#define F "WDS_SharedBufferFree/"
#define G "WDS_SharedBufferGet/"

/* ---- the interface ---------------------------------------------------------------- */

KMEMU_CASE(prototype, F "prototype", KMEMU_CAP_WDS, F "prototype")
{
	DWORD (WINAPI *fn)(WD_KERNEL_BUFFER *pBuf) = WDS_SharedBufferFree;
	int returns_dword = _Generic(WDS_SharedBufferFree(NULL), DWORD: 1, default: 0);

	KMEMU_EXPECT_TRUE(fn != NULL);
	KMEMU_EXPECT_TRUE(returns_dword);
}

/* ---- success --------------------------------------------------------------------------- */

KMEMU_CASE(releases, F "releases-frames-and-handle", KMEMU_CAP_WDS,
	   F "releases-buffer " F "returns-success " G "stale-handle")
{
	const DWORD kinds[] = { KER_BUF_ALLOC_CONTIG, KER_BUF_ALLOC_NON_CONTIG };

	for (size_t i = 0; i < 2; i++) {
		struct kmemu_stats before = wds_stats(), after;
		WD_KERNEL_BUFFER *kb, *got = KMEMU_SENTINEL;
		DWORD h, rc;

		if (!wds_kind_available(kinds[i]))
			continue;
		kb = wds_setup_alloc(7 * WDS_PAGE, kinds[i]);
		h = kb->hKerBuf;
		wds_fill_user(kb, 71);
		rc = WDS_SharedBufferFree(kb);
		KMEMU_EXPECT_WD(rc, WD_STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(rc, 0);
		after = wds_stats();
		WDS_EXPECT_COUNTERS("after Free", &after, &before);
		KMEMU_EXPECT_WD(WDS_SharedBufferGet(h, &got), WD_INVALID_HANDLE);
		KMEMU_EXPECT_TRUE(got == NULL);
	}
}

KMEMU_CASE(only_allocated_pointer, F "only-the-allocated-pointer", KMEMU_CAP_WDS,
	   F "pbuf-from-alloc " F "not-held-untouched")
{
	WD_KERNEL_BUFFER *kb = wds_setup_alloc(2 * WDS_PAGE, wds_any_kind());
	WD_KERNEL_BUFFER copy = *kb, saved = *kb;
	struct kmemu_stats before = wds_stats(), after;

	KMEMU_EXPECT_WD(WDS_SharedBufferFree(&copy), WD_INVALID_HANDLE);
	KMEMU_EXPECT_MEM(&copy, &saved, sizeof(copy));
	after = wds_stats();
	WDS_EXPECT_COUNTERS_HEAP("after Free of a copy", &after, &before);
	/* the buffer is still there and still frees through the real pointer */
	kmemu_uaddr(kb)[0] = 1;
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(user_mode_process, F "user-mode-process", KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS,
	   F "user-mode-only")
{
	kmemu_pid self = wds_current_pid(), p = wds_setup_process("free-user");
	WD_KERNEL_BUFFER *kb;
	UPTR u;
	uint8_t byte;

	wds_setup_attach(p);
	kb = wds_setup_alloc(WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG);
	u = kb->pUserAddr;
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_user_read(p, u, &byte, 1), STATUS_ACCESS_VIOLATION);
	wds_setup_attach(self);
}

KMEMU_CASE(windows_linux, F "implemented-on-linux-and-windows", KMEMU_CAP_WDS,
	   F "windows-linux-only")
{
	struct utsname u;
	WD_KERNEL_BUFFER *kb;

	KMEMU_SETUP_TRUE(uname(&u) == 0);
	if (strcmp(u.sysname, "Linux") && !strstr(u.sysname, "Windows") &&
	    !strstr(u.sysname, "CYGWIN") && !strstr(u.sysname, "MINGW") && !strstr(u.sysname, "MSYS"))
		KMEMU_UNSUPPORTED("host '%s' is neither Windows nor Linux", u.sysname);
	kb = wds_setup_alloc(WDS_PAGE, wds_any_kind());
	KMEMU_EXPECT_NE(WDS_SharedBufferFree(kb), WD_NOT_IMPLEMENTED);
}

/* ---- failures ----------------------------------------------------------------------- */

KMEMU_CASE(null, F "null-invalid-parameter", KMEMU_CAP_WDS, F "null")
{
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(NULL), WD_INVALID_PARAMETER);
}

KMEMU_CASE(error_codes, F "failure-returns-wd-error-code", KMEMU_CAP_WDS,
	   F "returns-error-code")
{
	WD_KERNEL_BUFFER *kb = wds_setup_alloc(WDS_PAGE, wds_any_kind());
	WD_KERNEL_BUFFER copy = *kb;

	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferFree(NULL));
	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferFree(&copy));
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	WDS_EXPECT_ERROR_CODE(WDS_SharedBufferFree(kb));  /* the second Free */
}

KMEMU_CASE(double_free, F "double-free-invalid-handle", KMEMU_CAP_WDS, F "double-free")
{
	WD_KERNEL_BUFFER *kb = wds_setup_alloc(3 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG);
	struct kmemu_stats before, after;
	const char *why = NULL;
	kmemu_status st;

	KMEMU_ASSERT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	before = wds_stats();
	/* kb is not dereferenced by a conforming Free: it only names a holding */
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_INVALID_HANDLE);
	after = wds_stats();
	WDS_EXPECT_COUNTERS_HEAP("after the second Free", &after, &before);
	st = kmemu_check(&why);
	if (st != STATUS_NOT_SUPPORTED && !KMEMU_EXPECT_NT(st, STATUS_SUCCESS))
		kmemu_diag("invariant: %s", why ? why : "?");
}

KMEMU_CASE(foreign_process, F "other-process-description-invalid-handle",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS, F "foreign-process " F "returns-error-code")
{
	kmemu_pid self = wds_current_pid(), b = wds_setup_process("free-foreign");
	WD_KERNEL_BUFFER *kb = wds_setup_alloc(2 * WDS_PAGE, wds_any_kind());
	DWORD rc;

	wds_fill_user(kb, 81);
	wds_setup_attach(b);
	rc = WDS_SharedBufferFree(kb);
	wds_setup_attach(self);
	KMEMU_EXPECT_WD(rc, WD_INVALID_HANDLE);
	KMEMU_EXPECT_TRUE(kmemu_try_read(kmemu_uaddr(kb)));
	WDS_EXPECT_USER_PATTERN(kb, 2 * WDS_PAGE, 81);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

/* ---- holders in several processes --------------------------------------------------- */

KMEMU_CASE(allocator_first, F "allocator-frees-first-getter-keeps",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS,
	   F "kept-while-other-holds " G "stale-handle")
{
	const size_t len = 3 * WDS_PAGE + 17;
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("getter"), c;
	struct kmemu_stats s0 = wds_stats(), s1, s2, s3;
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(len, wds_any_kind()), *kb, *kc;
	DWORD h = ka->hKerBuf;

	wds_fill_user(ka, 91);
	wds_setup_attach(b);
	kb = wds_setup_get(h);
	wds_setup_attach(a);
	s1 = wds_stats();
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	s2 = wds_stats();
	KMEMU_EXPECT_EQ(s2.frames_used, s1.frames_used);
	KMEMU_EXPECT_EQ(s2.wds_buffers, s1.wds_buffers);
	WDS_EXPECT_VIEW_PATTERN(b, kb, len, 91);
	/* the handle still names the buffer: a third process can map it */
	c = wds_setup_process("late");
	wds_setup_attach(c);
	kc = NULL;
	if (KMEMU_EXPECT_WD(WDS_SharedBufferGet(h, &kc), WD_STATUS_SUCCESS)) {
		WDS_EXPECT_VIEW_PATTERN(c, kc, len, 91);
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kc), WD_STATUS_SUCCESS);
	}
	wds_setup_attach(b);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	s3 = wds_stats();
	KMEMU_EXPECT_EQ(s3.frames_used, s0.frames_used);
	KMEMU_EXPECT_EQ(s3.wds_buffers, s0.wds_buffers);
	kc = KMEMU_SENTINEL;
	KMEMU_EXPECT_WD(WDS_SharedBufferGet(h, &kc), WD_INVALID_HANDLE);
	KMEMU_EXPECT_TRUE(kc == NULL);
	wds_setup_attach(a);
}

KMEMU_CASE(getter_first, F "getter-frees-first-allocator-keeps",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS, F "kept-while-other-holds")
{
	const size_t len = 5 * WDS_PAGE;
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("getter");
	struct kmemu_stats s0 = wds_stats(), s1, s2;
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(len, KER_BUF_ALLOC_NON_CONTIG), *kb;

	wds_setup_attach(b);
	kb = wds_setup_get(ka->hKerBuf);
	KMEMU_SETUP_NT(kmemu_user_write(b, kb->pUserAddr, (uint8_t[]){ 0x5C }, 1));
	s1 = wds_stats();
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	wds_setup_attach(a);
	s2 = wds_stats();
	KMEMU_EXPECT_EQ(s2.frames_used, s1.frames_used);
	KMEMU_EXPECT_EQ(s2.wds_buffers, s1.wds_buffers);
	KMEMU_EXPECT_EQ(kmemu_uaddr(ka)[0], 0x5C);
	wds_fill_user(ka, 92);
	WDS_EXPECT_USER_PATTERN(ka, len, 92);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	s2 = wds_stats();
	KMEMU_EXPECT_EQ(s2.frames_used, s0.frames_used);
	KMEMU_EXPECT_EQ(s2.wds_buffers, s0.wds_buffers);
}

KMEMU_CASE(three_holders, F "released-after-last-of-three",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS, F "release-after-all-users")
{
	const unsigned pages = 6;
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("b"), c = wds_setup_process("c");
	struct kmemu_stats s0 = wds_stats(), s;
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(pages * WDS_PAGE, wds_any_kind()), *kb, *kc;
	uint64_t held;

	wds_setup_attach(b);
	kb = wds_setup_get(ka->hKerBuf);
	wds_setup_attach(c);
	kc = wds_setup_get(ka->hKerBuf);
	held = wds_stats().frames_used;
	KMEMU_EXPECT_TRUE(held >= s0.frames_used + pages);

	wds_setup_attach(a);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	s = wds_stats();
	KMEMU_EXPECT_EQ(s.frames_used, held);
	wds_setup_attach(c);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kc), WD_STATUS_SUCCESS);
	s = wds_stats();
	KMEMU_EXPECT_EQ(s.frames_used, held);
	wds_setup_attach(b);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	s = wds_stats();
	KMEMU_EXPECT_EQ(s.frames_used, s0.frames_used);
	KMEMU_EXPECT_EQ(s.wds_buffers, s0.wds_buffers);
	wds_setup_attach(a);
}

KMEMU_CASE(freed_view, F "freed-view-inaccessible", KMEMU_CAP_WDS, F "unmaps-user-view")
{
	const DWORD kinds[] = { KER_BUF_ALLOC_CONTIG, KER_BUF_ALLOC_NON_CONTIG };

	for (size_t i = 0; i < 2; i++) {
		WD_KERNEL_BUFFER *kb;
		uint8_t *u;

		if (!wds_kind_available(kinds[i]))
			continue;
		kb = wds_setup_alloc(2 * WDS_PAGE, kinds[i]);
		u = kmemu_uaddr(kb);
		KMEMU_EXPECT_TRUE(kmemu_try_write(u));
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
		KMEMU_EXPECT_TRUE(!kmemu_try_read(u));
		KMEMU_EXPECT_TRUE(!kmemu_try_read(u + WDS_PAGE));
	}
}

KMEMU_CASE(freed_view_other_reads, F "freed-view-inaccessible-other-holder-reads",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS, F "unmaps-user-view " F "kept-while-other-holds")
{
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("holder");
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(2 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG), *kb;
	uint8_t *u = kmemu_uaddr(ka);

	wds_fill_user(ka, 93);
	wds_setup_attach(b);
	kb = wds_setup_get(ka->hKerBuf);
	wds_setup_attach(a);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE(!kmemu_try_read(u));
	WDS_EXPECT_VIEW_PATTERN(b, kb, 2 * WDS_PAGE, 93);
	wds_setup_attach(b);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	wds_setup_attach(a);
}

/* ---- process exit ----------------------------------------------------------------------- */

KMEMU_CASE(exit_only_holder, F "process-exit-releases-only-holder",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS, F "process-exit-releases " G "stale-handle")
{
	kmemu_pid self = wds_current_pid(), p = wds_setup_process("exits");
	struct kmemu_stats s0 = wds_stats(), s;
	WD_KERNEL_BUFFER *kb, *got = KMEMU_SENTINEL;
	DWORD h;

	wds_setup_attach(p);
	kb = wds_setup_alloc(4 * WDS_PAGE, wds_any_kind());
	h = kb->hKerBuf;
	wds_setup_attach(self);
	KMEMU_ASSERT_NT(kmemu_process_destroy(p), STATUS_SUCCESS);
	s = wds_stats();
	KMEMU_EXPECT_EQ(s.frames_used, s0.frames_used);
	KMEMU_EXPECT_EQ(s.wds_buffers, s0.wds_buffers);
	KMEMU_EXPECT_WD(WDS_SharedBufferGet(h, &got), WD_INVALID_HANDLE);
	KMEMU_EXPECT_TRUE(got == NULL);
}

KMEMU_CASE(exit_allocator, F "process-exit-of-allocator-other-holder-reads",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS, F "process-exit-releases")
{
	const size_t len = 3 * WDS_PAGE;
	kmemu_pid self = wds_current_pid(), a = wds_setup_process("allocator"),
		  b = wds_setup_process("holder");
	struct kmemu_stats s0 = wds_stats(), s1, s2;
	WD_KERNEL_BUFFER *ka, *kb;

	wds_setup_attach(a);
	ka = wds_setup_alloc(len, wds_any_kind());
	wds_fill_user(ka, 94);
	wds_setup_attach(b);
	kb = wds_setup_get(ka->hKerBuf);
	wds_setup_attach(self);
	s1 = wds_stats();
	KMEMU_ASSERT_NT(kmemu_process_destroy(a), STATUS_SUCCESS);
	s2 = wds_stats();
	KMEMU_EXPECT_EQ(s2.frames_used, s1.frames_used);
	KMEMU_EXPECT_EQ(s2.wds_buffers, s1.wds_buffers);
	WDS_EXPECT_VIEW_PATTERN(b, kb, len, 94);
	wds_setup_attach(b);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	wds_setup_attach(self);
	s2 = wds_stats();
	KMEMU_EXPECT_EQ(s2.frames_used, s0.frames_used);
	KMEMU_EXPECT_EQ(s2.wds_buffers, s0.wds_buffers);
}

/* ---- the table ------------------------------------------------------------------------ */

const struct kmemu_case *const kmemu_cases_WDS_SharedBufferFree[] = {
	KMEMU_CASE_REF(prototype),
	KMEMU_CASE_REF(releases),
	KMEMU_CASE_REF(only_allocated_pointer),
	KMEMU_CASE_REF(user_mode_process),
	KMEMU_CASE_REF(windows_linux),
	KMEMU_CASE_REF(null),
	KMEMU_CASE_REF(error_codes),
	KMEMU_CASE_REF(double_free),
	KMEMU_CASE_REF(foreign_process),
	KMEMU_CASE_REF(allocator_first),
	KMEMU_CASE_REF(getter_first),
	KMEMU_CASE_REF(three_holders),
	KMEMU_CASE_REF(freed_view),
	KMEMU_CASE_REF(freed_view_other_reads),
	KMEMU_CASE_REF(exit_only_holder),
	KMEMU_CASE_REF(exit_allocator),
	NULL,
};
