/* SPDX-License-Identifier: MIT */
/*
 * status.c - the nt backend's one status function.
 *
 * Where the kernel decides, the backend reports what it said: every section
 * service's NTSTATUS is returned unchanged.  Only the test-side slots, whose
 * statuses kmemu.h documents for every backend, translate: a failed copy is
 * STATUS_ACCESS_VIOLATION (kmemu_user_read/write), an address with no view
 * is STATUS_NOT_MAPPED_VIEW (kmemu_view_query).  Portable C: the unit tests
 * run it on Linux.
 */
#include "nt.h"

/**
 * kmemu__nt_status() - the status a slot returns for ntdll's answer.
 * @native: the NTSTATUS ntdll returned.
 * @op:     what the call was doing (enum nt_op).
 *
 * NT_OP_PASS:  @native, whatever it is.
 * NT_OP_COPY:  success stays; STATUS_PARTIAL_COPY, STATUS_ACCESS_VIOLATION,
 *              STATUS_INVALID_ADDRESS, STATUS_INVALID_PARAMETER (a range
 *              outside the user space) -> STATUS_ACCESS_VIOLATION; resource
 *              failures (STATUS_NO_MEMORY, STATUS_INSUFFICIENT_RESOURCES)
 *              stay; anything else -> STATUS_ACCESS_VIOLATION (nothing was
 *              copied, which is what the caller must learn).
 * NT_OP_QUERY: success stays; STATUS_INVALID_ADDRESS, STATUS_INVALID_PARAMETER
 *              (beyond the user range) and STATUS_ACCESS_VIOLATION ->
 *              STATUS_NOT_MAPPED_VIEW; anything else unchanged.
 * Context: any.
 * Return: the translated status.
 */
kmemu_status kmemu__nt_status(uint32_t native, enum nt_op op)
{
	kmemu_status st = (kmemu_status)native;

	if (NT_SUCCESS(st) || op == NT_OP_PASS)
		return st;
	if (op == NT_OP_COPY) {
		if (st == STATUS_NO_MEMORY || st == STATUS_INSUFFICIENT_RESOURCES)
			return st;
		return STATUS_ACCESS_VIOLATION;
	}
	if (st == STATUS_INVALID_ADDRESS || st == STATUS_INVALID_PARAMETER ||
	    st == STATUS_ACCESS_VIOLATION)
		return STATUS_NOT_MAPPED_VIEW;
	return st;
}
