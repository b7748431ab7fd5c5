/* SPDX-License-Identifier: MIT */
/*
 * nt.h - internal interface of the nt backend (real/nt/).
 *
 * The backend is split so no file mixes the Windows SDK headers with
 * kmemu's own Windows headers (both define ULONG, NTSTATUS ...): nt.c fills
 * the ops table with kmemu's types and calls ntdll through function
 * pointers; host.c (the only file including <windows.h>) finds those
 * pointers and answers the few questions only Win32 asks (host.h).  status.c is
 * portable C, unit-tested on Linux.
 */
#ifndef KMEMU_REAL_NT_H
#define KMEMU_REAL_NT_H

#include <stddef.h>
#include <stdint.h>
#include <kmemu/kmemu.h>

#include "host.h"

/* ---- status.c: the one status function ----------------------------------- */

/* What a call was doing when ntdll or VirtualQuery answered. */
enum nt_op {
	NT_OP_PASS = 0,   /* a section service: the kernel's status, as it is */
	NT_OP_COPY = 1,   /* user_read / user_write (NtRead/WriteVirtualMemory) */
	NT_OP_QUERY = 2   /* view_query (NtQueryVirtualMemory) */
};

/* The status a slot returns for ntdll's @native answer to an @op call. */
kmemu_status kmemu__nt_status(uint32_t native, enum nt_op op);

#endif /* KMEMU_REAL_NT_H */
