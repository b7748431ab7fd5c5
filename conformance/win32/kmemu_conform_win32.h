/* SPDX-License-Identifier: MIT */
/*
 * kmemu_conform_win32.h - what the Windows build of kmemu-conform needs
 * from Win32 (conformance/win32.c), in plain C types: harness.c and main.c
 * include kmemu's Windows headers, which cannot meet <windows.h>.
 */
#ifndef KMEMU_CONFORM_WIN32_H
#define KMEMU_CONFORM_WIN32_H

#include <stddef.h>
#include <stdint.h>

/* 1 when one byte at @p can be read (@write 0) or written (@write 1) in
 * this process, asked of the kernel (VirtualQuery) without touching it. */
int kmemu_conform_w32_probe(const void *p, int write);

/* Run this executable again as "--run-case @id --backend @backend
 * --timeout @timeout" with stdout and stderr to one temporary file; kill it
 * after @limit_ms (0 = never).  *@output receives what it wrote (malloc'd,
 * NUL-terminated), *@exit_code its exit code, *@timed_out 1 if killed.
 * Return: 0; -1 with @err (@err_size bytes) saying why it could not run. */
int kmemu_conform_w32_spawn_case(const char *id, const char *backend, unsigned timeout,
				 unsigned limit_ms, char **output, uint32_t *exit_code,
				 int *timed_out, char *err, size_t err_size);

/* In a case's child: no error dialogs, and an unhandled exception ends the
 * process at once with the exception code as exit code (no debugger). */
void kmemu_conform_w32_child_setup(void);

/* stdout and stderr in binary mode: TAP, JUnit and the children's records
 * end lines with LF, as on Linux (no CR added by the C runtime). */
void kmemu_conform_w32_binary_stdio(void);

/* Wine's version (ntdll's wine_get_version), or NULL on Windows. */
const char *kmemu_conform_w32_wine_version(void);

/* The directory of this executable (no trailing separator), or NULL. */
const char *kmemu_conform_w32_exe_dir(char *buf, size_t size);

/* The computer's name, "" when unknown. */
const char *kmemu_conform_w32_hostname(char *buf, size_t size);

/* "elevated yes|no" (the token's elevation). */
const char *kmemu_conform_w32_privileges(char *buf, size_t size);

/* Seconds on a monotonic clock. */
double kmemu_conform_w32_now(void);

#endif
