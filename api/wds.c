/* SPDX-License-Identifier: MIT */
/*
 * wds.c - WDS_SharedBuffer* : the user-mode library half, for every backend.
 *
 * As in WinDriver's library, this half owns the WD_KERNEL_BUFFER
 * descriptions (heap-allocated here) and checks what the kernel never sees:
 * NULL out-pointers and a zero handle.  It also applies the parameter rules
 * kmemu decided for what WinDriver leaves open (size 0, option bits), once
 * for all backends.  The backend's wds_* slots do the kernel half.
 */
#include <string.h>
#include <wds_lib.h>
#include "core.h"

#define WDS_ALLOC_OPTIONS (KER_BUF_ALLOC_NON_CONTIG | KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_CACHED)

/* Decided rules: exactly one of CONTIG / NON_CONTIG, CACHED optional, no other
 * bit (KER_BUF_GET_EXISTING_BUF is internal to Get); size at least 1 byte. */
static DWORD wds_check_alloc(UINT64 bytes, DWORD options)
{
	DWORD kind = options & (KER_BUF_ALLOC_NON_CONTIG | KER_BUF_ALLOC_CONTIG);

	if (bytes == 0 || (options & ~(DWORD)WDS_ALLOC_OPTIONS) ||
	    (kind != KER_BUF_ALLOC_NON_CONTIG && kind != KER_BUF_ALLOC_CONTIG))
		return WD_INVALID_PARAMETER;
	return WD_STATUS_SUCCESS;
}

/* Allocate a description with @hKerBuf/@bytes/@options set, let the backend
 * wds_get (@is_get) or wds_alloc slot fill it, and hand it out through @out;
 * freed again on failure. */
static DWORD wds_describe(int is_get, DWORD hKerBuf, UINT64 bytes, DWORD options,
			  WD_KERNEL_BUFFER **out)
{
	struct kmemu_backend *b = kmemu__current();
	WD_KERNEL_BUFFER *kb;
	DWORD rc;

	if (!b)
		return WD_WINDRIVER_STATUS_ERROR;
	kb = kmemu__calloc(1, sizeof(*kb));
	if (!kb)
		return WD_INSUFFICIENT_RESOURCES;
	kb->hKerBuf = hKerBuf;
	kb->qwBytes = bytes;
	kb->dwOptions = options;
	rc = is_get ? b->ops->wds_get(b->st, kb) : b->ops->wds_alloc(b->st, kb);
	if (rc) {
		kmemu__free(kb);
		return rc;
	}
	*out = kb;
	return WD_STATUS_SUCCESS;
}

DWORD WINAPI WDS_SharedBufferAlloc(UINT64 qwBytes, DWORD dwOptions, WD_KERNEL_BUFFER **ppBuf)
{
	DWORD rc;

	if (!ppBuf)
		return WD_INVALID_PARAMETER;
	rc = wds_check_alloc(qwBytes, dwOptions);
	if (rc)
		return rc;
	return wds_describe(0, 0, qwBytes, dwOptions, ppBuf);
}

DWORD DLLCALLCONV WDS_SharedBufferGet(DWORD hKerBuf, WD_KERNEL_BUFFER **ppKerBuf)
{
	if (!ppKerBuf)
		return WD_INVALID_PARAMETER;
	*ppKerBuf = NULL;
	if (hKerBuf == 0)
		return WD_INVALID_HANDLE;
	/* WinDriver's library asks the kernel for an existing buffer this way. */
	return wds_describe(1, hKerBuf, 0, KER_BUF_GET_EXISTING_BUF, ppKerBuf);
}

DWORD WINAPI WDS_SharedBufferFree(WD_KERNEL_BUFFER *pBuf)
{
	struct kmemu_backend *b;
	DWORD rc;

	if (!pBuf)
		return WD_INVALID_PARAMETER;
	b = kmemu__current();
	if (!b)
		return WD_WINDRIVER_STATUS_ERROR;
	rc = b->ops->wds_free(b->st, pBuf);
	/* WinDriver frees the description even when unlock fails; a pointer the
	 * backend does not know was never ours to free, so it is left alone. */
	if (rc != WD_INVALID_HANDLE)
		kmemu__free(pBuf);
	return rc;
}
