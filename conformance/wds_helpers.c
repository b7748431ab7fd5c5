/* SPDX-License-Identifier: MIT */
/*
 * wds_helpers.c - shared steps and view checks of the WDS cases.
 *
 * Views of other processes and of the kernel are read in page-sized chunks
 * through the accessors, so a mismatch names the first differing offset and
 * nothing depends on those addresses being mapped in the test process.
 */
#include <stdio.h>
#include <string.h>
#include "wds_helpers.h"

/* wds_setup_alloc() - WDS_SharedBufferAlloc that must work (else UNRESOLVED). */
WD_KERNEL_BUFFER *wds_setup_alloc(UINT64 bytes, DWORD options)
{
	WD_KERNEL_BUFFER *kb = NULL;

	KMEMU_SETUP_WD(WDS_SharedBufferAlloc(bytes, options, &kb));
	KMEMU_SETUP_TRUE(kb != NULL);
	return kb;
}

/* wds_setup_get() - WDS_SharedBufferGet that must work (else UNRESOLVED). */
WD_KERNEL_BUFFER *wds_setup_get(DWORD handle)
{
	WD_KERNEL_BUFFER *kb = NULL;

	KMEMU_SETUP_WD(WDS_SharedBufferGet(handle, &kb));
	KMEMU_SETUP_TRUE(kb != NULL);
	return kb;
}

/* wds_setup_process() - a new emulated process (else UNRESOLVED). */
kmemu_pid wds_setup_process(const char *name)
{
	kmemu_pid pid = 0;

	KMEMU_SETUP_NT(kmemu_process_create(name, &pid));
	return pid;
}

/* wds_setup_attach() - run the calling thread in @pid (else UNRESOLVED). */
void wds_setup_attach(kmemu_pid pid)
{
	KMEMU_SETUP_NT(kmemu_process_attach(pid, NULL));
}

/* wds_current_pid() - the calling thread's process (else UNRESOLVED). */
kmemu_pid wds_current_pid(void)
{
	kmemu_pid pid = 0;

	KMEMU_SETUP_NT(kmemu_process_current(&pid));
	return pid;
}

/* wds_stats() - a counter snapshot (else UNRESOLVED). */
struct kmemu_stats wds_stats(void)
{
	struct kmemu_stats s;

	memset(&s, 0, sizeof(s));
	KMEMU_SETUP_NT(kmemu_stats_get(&s));
	return s;
}

/* wds_reopen() - a fresh machine of the case's backend built from @cfg. */
void wds_reopen(const struct kmemu_config *cfg)
{
	kmemu_status st = kmemu_backend_use(kmemu_conform_backend(), cfg);

	if (st != STATUS_SUCCESS)
		KMEMU_UNSUPPORTED("cannot open backend '%s' with this case's configuration: 0x%08X (%s)",
				  kmemu_conform_backend(), (unsigned)st, kmemu_status_name(st));
}

/* wds_fill_user() - write pattern @seed over qwBytes through pUserAddr. */
void wds_fill_user(const WD_KERNEL_BUFFER *kb, uint32_t seed)
{
	kmemu_fill(kmemu_uaddr(kb), (size_t)kb->qwBytes, seed);
}

/* wds_has_caps() - the current backend has every bit of @caps. */
int wds_has_caps(uint64_t caps)
{
	return (kmemu_backend_caps(NULL) & caps) == caps;
}

/* wds_any_kind() - CONTIG with KMEMU_CAP_CONTIG, else NON_CONTIG. */
DWORD wds_any_kind(void)
{
	return wds_has_caps(KMEMU_CAP_CONTIG) ? KER_BUF_ALLOC_CONTIG : KER_BUF_ALLOC_NON_CONTIG;
}

/* wds_kind_available() - can the backend allocate @options' kind? */
int wds_kind_available(DWORD options)
{
	if (!(options & KER_BUF_ALLOC_CONTIG) || wds_has_caps(KMEMU_CAP_CONTIG))
		return 1;
	kmemu_diag("dwOptions 0x%X skipped: backend %s has no contiguous memory here "
		   "(no KMEMU_CAP_CONTIG)", options, kmemu_conform_backend());
	return 0;
}

/* wds__expect_user_pattern() - the calling process's view holds the pattern. */
int wds__expect_user_pattern(const char *file, int line, const WD_KERNEL_BUFFER *kb, size_t len,
			     uint32_t seed)
{
	const uint8_t *u = kmemu_uaddr(kb);
	size_t bad = kmemu_pattern_mismatch(u, len, seed);

	if (bad == SIZE_MAX)
		return 1;
	kmemu__fail(file, line, 0,
		    "user view at 0x%lX: byte 0x%zX of %zu: expected 0x%02X (pattern %u), got 0x%02X",
		    kb->pUserAddr, bad, len, kmemu_pattern(bad, seed), seed, u[bad]);
	return 0;
}

/* Read [0, len) of a view in chunks with @read and compare to the pattern. */
static int expect_chunks(const char *file, int line, const char *what, kmemu_pid pid,
			 uint64_t addr, size_t len, uint32_t seed, int kernel)
{
	uint8_t chunk[WDS_PAGE];

	for (size_t off = 0; off < len; off += sizeof(chunk)) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		kmemu_status st = kernel ? kmemu_kernel_read(addr + off, chunk, n)
					 : kmemu_user_read(pid, addr + off, chunk, n);

		if (st != STATUS_SUCCESS) {
			kmemu__fail(file, line, 0,
				    "%s at 0x%llX: reading offset 0x%zX: expected 0x%08X (%s), got 0x%08X (%s)",
				    what, (unsigned long long)addr, off, (unsigned)STATUS_SUCCESS,
				    "STATUS_SUCCESS", (unsigned)st, kmemu_status_name(st));
			return 0;
		}
		for (size_t i = 0; i < n; i++) {
			if (chunk[i] != kmemu_pattern(off + i, seed)) {
				kmemu__fail(file, line, 0,
					    "%s at 0x%llX: byte 0x%zX of %zu: expected 0x%02X (pattern %u), got 0x%02X",
					    what, (unsigned long long)addr, off + i, len,
					    kmemu_pattern(off + i, seed), seed, chunk[i]);
				return 0;
			}
		}
	}
	return 1;
}

/* wds__expect_kernel_pattern() - the kernel view holds the pattern. */
int wds__expect_kernel_pattern(const char *file, int line, const WD_KERNEL_BUFFER *kb, size_t len,
			       uint32_t seed)
{
	return expect_chunks(file, line, "kernel view", 0, kb->pKernelAddr, len, seed, 1);
}

/* wds__expect_view_pattern() - process @pid's view holds the pattern. */
int wds__expect_view_pattern(const char *file, int line, kmemu_pid pid, const WD_KERNEL_BUFFER *kb,
			     size_t len, uint32_t seed)
{
	char what[48];

	snprintf(what, sizeof(what), "user view of process %u", (unsigned)pid);
	return expect_chunks(file, line, what, pid, kb->pUserAddr, len, seed, 0);
}

/* wds__expect_counters() - resource counters equal their earlier values. */
int wds__expect_counters(const char *file, int line, const char *what, int with_heap,
			 const struct kmemu_stats *now, const struct kmemu_stats *then)
{
	static const struct {
		const char *name;
		size_t off;
		int is_heap;
	} fields[] = {
		{ "frames_used", offsetof(struct kmemu_stats, frames_used), 0 },
		{ "wds_buffers", offsetof(struct kmemu_stats, wds_buffers), 0 },
		{ "mappings", offsetof(struct kmemu_stats, mappings), 0 },
		{ "handles_used", offsetof(struct kmemu_stats, handles_used), 0 },
		{ "heap_blocks", offsetof(struct kmemu_stats, heap_blocks), 1 },
		{ "heap_bytes", offsetof(struct kmemu_stats, heap_bytes), 1 },
	};
	int ok = 1;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t a, b;

		if (fields[i].is_heap && !with_heap)
			continue;
		memcpy(&a, (const char *)now + fields[i].off, sizeof(a));
		memcpy(&b, (const char *)then + fields[i].off, sizeof(b));
		if (a != b) {
			kmemu__fail(file, line, 0, "%s: kmemu_stats.%s: expected 0x%llX, got 0x%llX",
				    what, fields[i].name, (unsigned long long)b, (unsigned long long)a);
			ok = 0;
		}
	}
	return ok;
}

/* wds__expect_error_code() - @rc is a WinDriver failure code. */
int wds__expect_error_code(const char *file, int line, const char *expr, uint32_t rc)
{
	if (rc != WD_STATUS_SUCCESS && strcmp(kmemu_wd_status_name(rc), "WD_<unknown>") != 0)
		return 1;
	kmemu__fail(file, line, 0,
		    "%s: expected a WinDriver error code (non-zero, in WD_ERROR_CODES), got 0x%08X (%s)",
		    expr, rc, kmemu_wd_status_name(rc));
	return 0;
}
