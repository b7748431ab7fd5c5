/* SPDX-License-Identifier: MIT */
/*
 * wds_lib.h - WinDriver for Server shared kernel buffers (WDS_SharedBuffer*).
 *
 * The functions dispatch to the current kmemu backend (the emulator unless
 * KMEMU_BACKEND or kmemu_backend_use() chooses another).  Decided behaviour
 * where WinDriver's documentation is silent is listed, with the status
 * returned, in conformance/WDS_SharedBufferAlloc/assertions.def and in the
 * README ("WDS decisions").
 */
#ifndef KMEMU_WIN_WDS_LIB_H
#define KMEMU_WIN_WDS_LIB_H

#include <windrvr.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * WDS_SharedBufferAlloc() - allocate a buffer shared by user and kernel mode.
 * @qwBytes:   size in bytes (1 .. RAM size; rounded up to pages internally,
 *             reported unrounded in qwBytes).
 * @dwOptions: exactly one of KER_BUF_ALLOC_CONTIG / KER_BUF_ALLOC_NON_CONTIG,
 *             optionally | KER_BUF_ALLOC_CACHED.
 * @ppBuf:     receives the buffer description; pUserAddr is valid in the
 *             calling (current emulated) process, pKernelAddr in kernel space.
 *
 * The memory reads as zero.  The caller holds one reference, dropped by
 * WDS_SharedBufferFree().
 * Context: user mode (PASSIVE_LEVEL); takes the machine lock.
 * Return: WD_STATUS_SUCCESS; WD_INVALID_PARAMETER for a NULL @ppBuf, a size
 * of 0, unknown option bits, both or neither of CONTIG/NON_CONTIG;
 * WD_INSUFFICIENT_RESOURCES when frames, contiguous frames, address space or
 * heap run out.  *ppBuf is left untouched on failure.
 */
DWORD WINAPI WDS_SharedBufferAlloc(UINT64 qwBytes, DWORD dwOptions, WD_KERNEL_BUFFER **ppBuf);

/**
 * WDS_SharedBufferFree() - release this process's hold on a shared buffer.
 * @pBuf: a description returned by WDS_SharedBufferAlloc() or
 *        WDS_SharedBufferGet() in the current process.
 *
 * Unmaps pUserAddr from the current process and frees the description.  The
 * frames return to the allocator only when the last holder, in any process,
 * frees.
 * Context: user mode (PASSIVE_LEVEL); takes the machine lock.
 * Return: WD_STATUS_SUCCESS; WD_INVALID_PARAMETER for NULL; WD_INVALID_HANDLE
 * for a pointer this process does not hold (never handed out, already freed,
 * or held by another process) - the pointer is then not touched.
 */
DWORD WINAPI WDS_SharedBufferFree(WD_KERNEL_BUFFER *pBuf);

/**
 * WDS_SharedBufferGet() - map a buffer allocated elsewhere by its global handle.
 * @hKerBuf:  a global handle from WDS_SharedBufferGetGlobalHandle().
 * @ppKerBuf: receives a description filled as though the current process had
 *            allocated the buffer (its own pUserAddr, the same pKernelAddr,
 *            qwBytes and dwOptions).
 *
 * Adds one holder reference; the caller frees it with WDS_SharedBufferFree().
 * A Get in the allocating process itself is allowed and yields a second,
 * independent user mapping.
 * Context: user mode (PASSIVE_LEVEL); takes the machine lock.
 * Return: WD_STATUS_SUCCESS; WD_INVALID_PARAMETER for NULL @ppKerBuf;
 * WD_INVALID_HANDLE for 0 or a handle whose buffer every holder has freed;
 * WD_INSUFFICIENT_RESOURCES when heap or address space runs out.
 * *ppKerBuf is set to NULL on every failure after the NULL check.
 */
DWORD DLLCALLCONV WDS_SharedBufferGet(DWORD hKerBuf, WD_KERNEL_BUFFER **ppKerBuf);

/* The global handle of a buffer: its hKerBuf field (no call, no NULL check). */
#define WDS_SharedBufferGetGlobalHandle(pKerBuf) ((pKerBuf)->hKerBuf)

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_WIN_WDS_LIB_H */
