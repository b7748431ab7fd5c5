/* SPDX-License-Identifier: MIT */
/*
 * host.c - the nt backend's Win32 side: finding ntdll's exports.
 *
 * The only file of the backend that includes <windows.h> (see nt.h).
 * ntdll is mapped into every Windows process, so GetModuleHandle never
 * loads anything; exports missing on an older Windows (or Wine) are NULL.
 */
#include <windows.h>
#include "host.h"

/**
 * kmemu__nt_host_proc() - an ntdll export.
 * @name: the export's name.
 * Context: any thread.
 * Return: its address, or NULL when ntdll does not export @name.
 */
void *kmemu__nt_host_proc(const char *name)
{
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	FARPROC p;

	if (!ntdll)
		return NULL;
	p = GetProcAddress(ntdll, name);
	return *(void **)&p;  /* function to object pointer, as POSIX dlsym */
}

/**
 * kmemu__nt_host_pid() - the calling process's id (GetCurrentProcessId).
 * Context: any thread.
 */
uint32_t kmemu__nt_host_pid(void)
{
	return (uint32_t)GetCurrentProcessId();
}
