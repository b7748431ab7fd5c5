/* SPDX-License-Identifier: MIT */
/*
 * windrvr.h - the WinDriver types the WDS shared-buffer API uses.
 *
 * WD_KERNEL_BUFFER keeps WinDriver's field order.  On an LP64 host with a
 * 64-bit kernel, KPTR and UPTR are both 64-bit, so the offsets are
 * 0, 4, 8, 16, 24 and the size is 32 with no padding member (pinned below).
 * Status codes are WinDriver's WD_ERROR_CODES values; API functions return
 * them as a DWORD.
 */
#ifndef KMEMU_WIN_WINDRVR_H
#define KMEMU_WIN_WINDRVR_H

#include <ntdef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef UINT64 KPTR;            /* kernel virtual address (64-bit kernel) */
typedef unsigned long UPTR;     /* user virtual address (UNIX: unsigned long) */
typedef UINT64 DMA_ADDR;        /* bus address */
typedef UINT64 PHYS_ADDR;       /* physical address */

/* Options of a kernel buffer (WD_KER_BUF_OPTION). */
typedef enum {
	KER_BUF_ALLOC_NON_CONTIG = 0x0001,  /* not physically contiguous */
	KER_BUF_ALLOC_CONTIG = 0x0002,      /* physically contiguous */
	KER_BUF_ALLOC_CACHED = 0x0004,      /* cached; combines with either */
	KER_BUF_GET_EXISTING_BUF = 0x0008   /* internal: map an existing buffer */
} WD_KER_BUF_OPTION;

/* A kernel buffer shared between user mode and kernel mode. */
typedef struct {
	DWORD hKerBuf;          /* kernel buffer handle; also the global handle */
	DWORD dwOptions;        /* WD_KER_BUF_OPTION bits */
	UINT64 qwBytes;         /* size in bytes, as requested */
	KPTR pKernelAddr;       /* kernel virtual address */
	UPTR pUserAddr;         /* user virtual address in the calling process */
} WD_KERNEL_BUFFER, WD_KERNEL_BUFFER_V121;

_Static_assert(sizeof(WD_KERNEL_BUFFER) == 32, "WD_KERNEL_BUFFER is 32 bytes on LP64");
_Static_assert(offsetof(WD_KERNEL_BUFFER, hKerBuf) == 0, "hKerBuf at 0");
_Static_assert(offsetof(WD_KERNEL_BUFFER, dwOptions) == 4, "dwOptions at 4");
_Static_assert(offsetof(WD_KERNEL_BUFFER, qwBytes) == 8, "qwBytes at 8");
_Static_assert(offsetof(WD_KERNEL_BUFFER, pKernelAddr) == 16, "pKernelAddr at 16");
_Static_assert(offsetof(WD_KERNEL_BUFFER, pUserAddr) == 24, "pUserAddr at 24");

/* WinDriver status codes (WD_ERROR_CODES). */
typedef enum {
	WD_STATUS_SUCCESS = 0x0,
	WD_WINDRIVER_STATUS_ERROR = 0x20000000,
	WD_INVALID_HANDLE = 0x20000001,
	WD_INVALID_PIPE_NUMBER = 0x20000002,
	WD_READ_WRITE_CONFLICT = 0x20000003,
	WD_ZERO_PACKET_SIZE = 0x20000004,
	WD_INSUFFICIENT_RESOURCES = 0x20000005,
	WD_UNKNOWN_PIPE_TYPE = 0x20000006,
	WD_SYSTEM_INTERNAL_ERROR = 0x20000007,
	WD_DATA_MISMATCH = 0x20000008,
	WD_NO_LICENSE = 0x20000009,
	WD_NOT_IMPLEMENTED = 0x2000000A,
	WD_KERPLUG_FAILURE = 0x2000000B,
	WD_FAILED_ENABLING_INTERRUPT = 0x2000000C,
	WD_INTERRUPT_NOT_ENABLED = 0x2000000D,
	WD_RESOURCE_OVERLAP = 0x2000000E,
	WD_DEVICE_NOT_FOUND = 0x2000000F,
	WD_WRONG_UNIQUE_ID = 0x20000010,
	WD_OPERATION_ALREADY_DONE = 0x20000011,
	WD_USB_DESCRIPTOR_ERROR = 0x20000012,
	WD_SET_CONFIGURATION_FAILED = 0x20000013,
	WD_CANT_OBTAIN_PDO = 0x20000014,
	WD_TIME_OUT_EXPIRED = 0x20000015,
	WD_IRP_CANCELED = 0x20000016,
	WD_FAILED_USER_MAPPING = 0x20000017,
	WD_FAILED_KERNEL_MAPPING = 0x20000018,
	WD_NO_RESOURCES_ON_DEVICE = 0x20000019,
	WD_NO_EVENTS = 0x2000001A,
	WD_INVALID_PARAMETER = 0x2000001B,
	WD_INCORRECT_VERSION = 0x2000001C,
	WD_TRY_AGAIN = 0x2000001D,
	WD_WINDRIVER_NOT_FOUND = 0x2000001E,
	WD_INVALID_IOCTL = 0x2000001F,
	WD_OPERATION_FAILED = 0x20000020,
	WD_INVALID_32BIT_APP = 0x20000021,
	WD_TOO_MANY_HANDLES = 0x20000022,
	WD_NO_DEVICE_OBJECT = 0x20000023
} WD_ERROR_CODES;

/* Codes above INT_MAX cannot be ISO C enumerators; same values as WinDriver. */
#define WD_STATUS_INVALID_WD_HANDLE 0xFFFFFFFFu
#define WD_MORE_PROCESSING_REQUIRED 0xC0000016u
#define WD_USBD_STATUS_SUCCESS 0x00000000u
#define WD_USBD_STATUS_PENDING 0x40000000u
#define WD_USBD_STATUS_ERROR 0x80000000u

/**
 * Stat2Str() - the text of a WinDriver status code.
 * @dwStatus: a WD_ERROR_CODES value (or any DWORD).
 *
 * Context: any thread, any IRQL; no locks.
 * Return: a static string; "Unrecognized error code" for unknown values.
 */
const char *DLLCALLCONV Stat2Str(DWORD dwStatus);

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_WIN_WINDRVR_H */
