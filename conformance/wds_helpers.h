/* SPDX-License-Identifier: MIT */
/*
 * wds_helpers.h - steps the WDS cases share: setup calls that make a case
 * UNRESOLVED when they fail, counter snapshots, and view checks that read
 * through the test-side accessors (kmemu_kernel_read, kmemu_user_read) so a
 * case works where kernel memory or another process is not addressable.
 *
 * Checks take the caller's file and line through the WDS_EXPECT_* macros.
 */
#ifndef KMEMU_CONFORMANCE_WDS_HELPERS_H
#define KMEMU_CONFORMANCE_WDS_HELPERS_H

#include "harness.h"

#define WDS_PAGE 4096u
#define WDS_KINDS (KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_NON_CONTIG)

/* Allocate, or end the case UNRESOLVED.  Return: the description. */
WD_KERNEL_BUFFER *wds_setup_alloc(UINT64 bytes, DWORD options);
/* Get @handle in the current process, or end the case UNRESOLVED. */
WD_KERNEL_BUFFER *wds_setup_get(DWORD handle);
/* Create an emulated process, or end the case UNRESOLVED. */
kmemu_pid wds_setup_process(const char *name);
/* Attach the calling thread to @pid, or end the case UNRESOLVED. */
void wds_setup_attach(kmemu_pid pid);
/* The calling thread's process, or end the case UNRESOLVED. */
kmemu_pid wds_current_pid(void);
/* Counter snapshot, or end the case UNRESOLVED. */
struct kmemu_stats wds_stats(void);
/* Reopen the case's backend with @cfg; on failure end the case UNSUPPORTED
 * (the machine cannot be built here, e.g. too little address space). */
void wds_reopen(const struct kmemu_config *cfg);
/* Fill the whole buffer through pUserAddr with pattern @seed. */
void wds_fill_user(const WD_KERNEL_BUFFER *kb, uint32_t seed);
/* 1 when the backend has every bit of @caps. */
int wds_has_caps(uint64_t caps);
/* KER_BUF_ALLOC_CONTIG where the backend really has contiguous memory
 * (KMEMU_CAP_CONTIG), else KER_BUF_ALLOC_NON_CONTIG: the kind to allocate in
 * cases where the kind is not what is under test.  A backend without
 * contiguous memory refuses CONTIG (WD_INSUFFICIENT_RESOURCES), so those
 * cases still check Get/Free/handle semantics with a buffer it can give. */
DWORD wds_any_kind(void);
/* 1 when the backend can allocate the kind of @options (CONTIG needs
 * KMEMU_CAP_CONTIG); else 0, after a diagnostic naming the skipped kind.
 * For loops over kinds. */
int wds_kind_available(DWORD options);

/* Checks (1 = held).  @len bytes from offset 0 must match pattern @seed. */
int wds__expect_user_pattern(const char *file, int line, const WD_KERNEL_BUFFER *kb, size_t len,
			     uint32_t seed);
int wds__expect_kernel_pattern(const char *file, int line, const WD_KERNEL_BUFFER *kb, size_t len,
			       uint32_t seed);
int wds__expect_view_pattern(const char *file, int line, kmemu_pid pid, const WD_KERNEL_BUFFER *kb,
			     size_t len, uint32_t seed);
int wds__expect_counters(const char *file, int line, const char *what, int with_heap,
			 const struct kmemu_stats *now, const struct kmemu_stats *then);
int wds__expect_error_code(const char *file, int line, const char *expr, uint32_t rc);

/* Through pUserAddr of the calling process (direct dereference). */
#define WDS_EXPECT_USER_PATTERN(kb, len, seed) \
	wds__expect_user_pattern(__FILE__, __LINE__, (kb), (len), (seed))
/* Through pKernelAddr with kmemu_kernel_read. */
#define WDS_EXPECT_KERNEL_PATTERN(kb, len, seed) \
	wds__expect_kernel_pattern(__FILE__, __LINE__, (kb), (len), (seed))
/* Through @kb->pUserAddr in process @pid with kmemu_user_read. */
#define WDS_EXPECT_VIEW_PATTERN(pid, kb, len, seed) \
	wds__expect_view_pattern(__FILE__, __LINE__, (pid), (kb), (len), (seed))
/* frames_used, wds_buffers, mappings and handles_used equal.  A Free that
 * succeeded may keep grown bookkeeping arrays, so heap counters are compared
 * only by WDS_EXPECT_COUNTERS_HEAP, for calls that failed. */
#define WDS_EXPECT_COUNTERS(what, now, then) \
	wds__expect_counters(__FILE__, __LINE__, (what), 0, (now), (then))
#define WDS_EXPECT_COUNTERS_HEAP(what, now, then) \
	wds__expect_counters(__FILE__, __LINE__, (what), 1, (now), (then))
/* A failure status: non-zero and one of WinDriver's WD_ERROR_CODES. */
#define WDS_EXPECT_ERROR_CODE(expr) wds__expect_error_code(__FILE__, __LINE__, #expr, (expr))

#endif /* KMEMU_CONFORMANCE_WDS_HELPERS_H */
