/* SPDX-License-Identifier: MIT */
/*
 * host.h - the Win32 side of the nt backend (host.c), in plain C types so
 * both host.c (<windows.h>) and nt.c (kmemu's Windows headers) include it.
 */
#ifndef KMEMU_REAL_NT_HOST_H
#define KMEMU_REAL_NT_HOST_H

#include <stdint.h>

/* The address of ntdll's export @name, or NULL (not exported here). */
void *kmemu__nt_host_proc(const char *name);
/* The calling process's id. */
uint32_t kmemu__nt_host_pid(void);

#endif /* KMEMU_REAL_NT_HOST_H */
