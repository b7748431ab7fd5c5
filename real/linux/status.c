/* SPDX-License-Identifier: MIT */
/*
 * status.c - the linux backend's one errno translation.
 *
 * Where the kernel decides, the backend reports what it said: every failed
 * syscall's errno becomes a status here and nowhere else.  The WDS ops give
 * WinDriver statuses, the test-side ops NTSTATUS.  Memory and descriptor
 * exhaustion is always "insufficient resources" (RLIMIT_MEMLOCK included:
 * a non-paged buffer the process may not lock is one it cannot have); a
 * vanished agent process is a failed user mapping (WD) or a terminating
 * process (NT).
 */
#include <errno.h>
#include "linux.h"

/**
 * linux_status_from_errno() - the status an API reports for a kernel errno.
 * @err: errno of the failed call; 0 means success.
 * @op:  enum linux_op: what the call was doing.
 *
 * WD family (LINUX_OP_WDS, LINUX_OP_WDS_MAP):
 *   ENOMEM EAGAIN EMFILE ENFILE ENOSPC EFBIG ENOBUFS EPERM -> WD_INSUFFICIENT_RESOURCES
 *     (EPERM/ENOMEM from mlock is RLIMIT_MEMLOCK without CAP_IPC_LOCK: decided)
 *   EINVAL EFAULT                   -> WD_INVALID_PARAMETER
 *   ENOSYS EOPNOTSUPP               -> WD_NOT_IMPLEMENTED
 *   ESRCH EPIPE ECONNRESET EEXIST   -> WD_FAILED_USER_MAPPING (WDS_MAP: the
 *                                      process is gone / no room at the address);
 *                                      WD_SYSTEM_INTERNAL_ERROR for LINUX_OP_WDS
 *   anything else                   -> WD_SYSTEM_INTERNAL_ERROR
 * Sections (LINUX_OP_SECTION: memfd, size, commit charge; NTSTATUS):
 *   ENOMEM ENOSPC -> STATUS_COMMITMENT_LIMIT (the kernel's overcommit
 *                    accounting refused the commit charge)
 *   EFBIG         -> STATUS_SECTION_TOO_BIG
 *   others        -> as the NT family below
 * Views (LINUX_OP_VIEW: placing and mapping, in the host or an agent):
 *   EEXIST        -> STATUS_CONFLICTING_ADDRESSES (MAP_FIXED_NOREPLACE: the
 *                    range is taken)
 *   ENOMEM        -> STATUS_NO_MEMORY (no room in the address space)
 *   EACCES EPERM  -> STATUS_ACCESS_DENIED
 *   others        -> as the NT family below
 * NT family (LINUX_OP_PROCESS, _ACCESS, _PHYS, _FD):
 *   ENOMEM EAGAIN EMFILE ENFILE ENOSPC ENOBUFS -> STATUS_INSUFFICIENT_RESOURCES
 *   EFAULT        -> STATUS_ACCESS_VIOLATION (ACCESS), STATUS_INVALID_ADDRESS (PHYS),
 *                    STATUS_INVALID_PARAMETER (others)
 *   EPERM EACCES  -> STATUS_NOT_SUPPORTED (PHYS: PFNs need CAP_SYS_ADMIN),
 *                    STATUS_ACCESS_DENIED (others: ptrace rules)
 *   ESRCH EPIPE ECONNRESET -> STATUS_PROCESS_IS_TERMINATING
 *   EBADF         -> STATUS_INVALID_HANDLE
 *   EINVAL        -> STATUS_INVALID_PARAMETER
 *   ENOSYS EOPNOTSUPP -> STATUS_NOT_SUPPORTED
 *   anything else -> STATUS_UNSUCCESSFUL
 * Context: any.
 * Return: the status (WD_STATUS_SUCCESS / STATUS_SUCCESS for 0).
 */
uint32_t linux_status_from_errno(int err, int op)
{
	int wd = op == LINUX_OP_WDS || op == LINUX_OP_WDS_MAP;

	if (err == 0)
		return wd ? WD_STATUS_SUCCESS : (uint32_t)STATUS_SUCCESS;
	if (wd) {
		switch (err) {
		case ENOMEM: case EAGAIN: case EMFILE: case ENFILE: case ENOSPC: case EFBIG:
		case ENOBUFS: case EPERM:
			return WD_INSUFFICIENT_RESOURCES;
		case EINVAL: case EFAULT:
			return WD_INVALID_PARAMETER;
		case ENOSYS: case EOPNOTSUPP:
			return WD_NOT_IMPLEMENTED;
		case ESRCH: case EPIPE: case ECONNRESET: case EEXIST:
			return op == LINUX_OP_WDS_MAP ? WD_FAILED_USER_MAPPING : WD_SYSTEM_INTERNAL_ERROR;
		default:
			return WD_SYSTEM_INTERNAL_ERROR;
		}
	}
	if (op == LINUX_OP_SECTION) {
		if (err == ENOMEM || err == ENOSPC)
			return (uint32_t)STATUS_COMMITMENT_LIMIT;
		if (err == EFBIG)
			return (uint32_t)STATUS_SECTION_TOO_BIG;
	}
	if (op == LINUX_OP_VIEW) {
		if (err == EEXIST)
			return (uint32_t)STATUS_CONFLICTING_ADDRESSES;
		if (err == ENOMEM)
			return (uint32_t)STATUS_NO_MEMORY;
	}
	switch (err) {
	case ENOMEM: case EAGAIN: case EMFILE: case ENFILE: case ENOSPC: case ENOBUFS:
		return (uint32_t)STATUS_INSUFFICIENT_RESOURCES;
	case EFAULT:
		if (op == LINUX_OP_ACCESS)
			return (uint32_t)STATUS_ACCESS_VIOLATION;
		return (uint32_t)(op == LINUX_OP_PHYS ? STATUS_INVALID_ADDRESS : STATUS_INVALID_PARAMETER);
	case EPERM: case EACCES:
		return (uint32_t)(op == LINUX_OP_PHYS ? STATUS_NOT_SUPPORTED : STATUS_ACCESS_DENIED);
	case ESRCH: case EPIPE: case ECONNRESET:
		return (uint32_t)STATUS_PROCESS_IS_TERMINATING;
	case EBADF:
		return (uint32_t)STATUS_INVALID_HANDLE;
	case EINVAL:
		return (uint32_t)STATUS_INVALID_PARAMETER;
	case ENOSYS: case EOPNOTSUPP:
		return (uint32_t)STATUS_NOT_SUPPORTED;
	default:
		return (uint32_t)STATUS_UNSUCCESSFUL;
	}
}
