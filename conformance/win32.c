/* SPDX-License-Identifier: MIT */
/*
 * win32.c - the Win32 half of kmemu-conform.exe (Windows builds only).
 *
 * The runner's Linux mechanics have Windows equivalents here: one process
 * per case is this executable spawned again with a hidden "--run-case ID"
 * (CreateProcess, output to a temporary file, TerminateProcess at the
 * deadline), a probe asks VirtualQuery instead of process_vm_readv, and the
 * few POSIX calls the cases make for themselves (anonymous mmap, uname)
 * are served by win32/ compat headers whose functions live here (fnmatch,
 * portable, in win32/fnmatch.c).
 * The only file of the runner that includes <windows.h>.
 */
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "win32/kmemu_conform_win32.h"
#include "win32/sys/mman.h"
#include "win32/sys/utsname.h"

/* ==== probes ================================================================= */

int kmemu_conform_w32_probe(const void *p, int write)
{
	MEMORY_BASIC_INFORMATION m;
	DWORD prot;

	if (VirtualQuery(p, &m, sizeof(m)) != sizeof(m) || m.State != MEM_COMMIT)
		return 0;
	prot = m.Protect;
	if (prot & (PAGE_GUARD | PAGE_NOACCESS))
		return 0;
	prot &= 0xFF;
	if (!write)
		return prot != 0;
	return prot == PAGE_READWRITE || prot == PAGE_WRITECOPY || prot == PAGE_EXECUTE_READWRITE ||
	       prot == PAGE_EXECUTE_WRITECOPY;
}

/* ==== sys/mman.h ============================================================= */

void *kmemu_conform_mmap(void *addr, size_t len, int prot, int flags, int fd, long long off)
{
	DWORD protect = PAGE_NOACCESS, type = MEM_RESERVE;
	void *p;

	if (fd != -1 || off || !(flags & MAP_ANONYMOUS) || !len)
		return MAP_FAILED;
	if (prot & PROT_WRITE)
		protect = prot & PROT_EXEC ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
	else if (prot & PROT_READ)
		protect = prot & PROT_EXEC ? PAGE_EXECUTE_READ : PAGE_READONLY;
	else if (prot & PROT_EXEC)
		protect = PAGE_EXECUTE;
	if (prot != PROT_NONE)
		type |= MEM_COMMIT;
	p = VirtualAlloc((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) ? addr : NULL, len, type, protect);
	if (!p)
		return MAP_FAILED;
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && p != addr) {
		VirtualFree(p, 0, MEM_RELEASE);
		return MAP_FAILED;
	}
	return p;
}

int kmemu_conform_munmap(void *addr, size_t len)
{
	(void)len;
	return VirtualFree(addr, 0, MEM_RELEASE) ? 0 : -1;
}

/* ==== sys/utsname.h ============================================================ */

typedef LONG(WINAPI *rtl_get_version_fn)(OSVERSIONINFOW *);

int kmemu_conform_uname(struct utsname *u)
{
	OSVERSIONINFOW v = { .dwOSVersionInfoSize = sizeof(v) };
	FARPROC p = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "RtlGetVersion");
	rtl_get_version_fn get;
	const char *wine = kmemu_conform_w32_wine_version();

	memset(u, 0, sizeof(*u));
	memcpy(&get, &p, sizeof(get));
	if (!get || get(&v) != 0)
		return -1;
	snprintf(u->sysname, sizeof(u->sysname), "Windows_NT");
	kmemu_conform_w32_hostname(u->nodename, sizeof(u->nodename));
	snprintf(u->release, sizeof(u->release), "%lu.%lu", (unsigned long)v.dwMajorVersion,
		 (unsigned long)v.dwMinorVersion);
	snprintf(u->version, sizeof(u->version), "build %lu%s%s", (unsigned long)v.dwBuildNumber,
		 wine ? ", wine " : "", wine ? wine : "");
	snprintf(u->machine, sizeof(u->machine), "x86_64");
	return 0;
}

/* ==== environment =============================================================== */

void kmemu_conform_w32_binary_stdio(void)
{
	fflush(stdout);
	fflush(stderr);
	_setmode(_fileno(stdout), _O_BINARY);
	_setmode(_fileno(stderr), _O_BINARY);
}

const char *kmemu_conform_w32_wine_version(void)
{
	typedef const char *(CDECL *wine_get_version_fn)(void);
	FARPROC p = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version");
	wine_get_version_fn fn;

	memcpy(&fn, &p, sizeof(fn));
	return fn ? fn() : NULL;
}

const char *kmemu_conform_w32_exe_dir(char *buf, size_t size)
{
	DWORD n = GetModuleFileNameA(NULL, buf, (DWORD)size);
	char *sep;

	if (!n || n >= size)
		return NULL;
	sep = strrchr(buf, '\\');
	if (!sep)
		return NULL;
	*sep = '\0';
	return buf;
}

const char *kmemu_conform_w32_hostname(char *buf, size_t size)
{
	DWORD n = (DWORD)size;

	if (!size)
		return buf;
	if (!GetComputerNameA(buf, &n))
		buf[0] = '\0';
	return buf;
}

const char *kmemu_conform_w32_privileges(char *buf, size_t size)
{
	HANDLE tok;
	TOKEN_ELEVATION e = { 0 };
	DWORD n = 0;
	int ok = 0;

	if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
		ok = GetTokenInformation(tok, TokenElevation, &e, sizeof(e), &n);
		CloseHandle(tok);
	}
	snprintf(buf, size, "elevated %s", !ok ? "unknown" : e.TokenIsElevated ? "yes" : "no");
	return buf;
}

double kmemu_conform_w32_now(void)
{
	LARGE_INTEGER f, c;

	QueryPerformanceFrequency(&f);
	QueryPerformanceCounter(&c);
	return (double)c.QuadPart / (double)f.QuadPart;
}

/* ==== one process per case ======================================================= */

static LONG WINAPI child_exception_filter(EXCEPTION_POINTERS *e)
{
	DWORD code = e && e->ExceptionRecord ? e->ExceptionRecord->ExceptionCode : 1;

	fflush(stdout);
	fflush(stderr);
	TerminateProcess(GetCurrentProcess(), code);
	return EXCEPTION_EXECUTE_HANDLER;
}

void kmemu_conform_w32_child_setup(void)
{
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
	SetUnhandledExceptionFilter(child_exception_filter);
}

/* Read the whole of @f from its start into a malloc'd string. */
static char *read_all(HANDLE f)
{
	LARGE_INTEGER size, zero = { 0 };
	char *buf;
	DWORD got = 0;

	if (!GetFileSizeEx(f, &size) || size.QuadPart > (64 << 20) ||
	    !SetFilePointerEx(f, zero, NULL, FILE_BEGIN))
		return NULL;
	buf = malloc((size_t)size.QuadPart + 1);
	if (!buf)
		return NULL;
	if (!ReadFile(f, buf, (DWORD)size.QuadPart, &got, NULL))
		got = 0;
	buf[got] = '\0';
	return buf;
}

int kmemu_conform_w32_spawn_case(const char *id, const char *backend, unsigned timeout,
				 unsigned limit_ms, char **output, uint32_t *exit_code,
				 int *timed_out, char *err, size_t err_size)
{
	SECURITY_ATTRIBUTES sa = { .nLength = sizeof(sa), .bInheritHandle = TRUE };
	STARTUPINFOA si = { .cb = sizeof(si) };
	PROCESS_INFORMATION pi;
	char exe[MAX_PATH], dir[MAX_PATH], tmp[MAX_PATH], *cmd;
	size_t cmd_size;
	HANDLE out;
	DWORD code = 1, w;

	*output = NULL;
	*exit_code = 0;
	*timed_out = 0;
	if (!GetModuleFileNameA(NULL, exe, sizeof(exe)) || !GetTempPathA(sizeof(dir), dir) ||
	    !GetTempFileNameA(dir, "kmc", 0, tmp)) {
		snprintf(err, err_size, "no executable path or temporary file (error %lu)",
			 (unsigned long)GetLastError());
		return -1;
	}
	out = CreateFileA(tmp, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
			  CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
	if (out == INVALID_HANDLE_VALUE) {
		snprintf(err, err_size, "%s: error %lu", tmp, (unsigned long)GetLastError());
		return -1;
	}
	cmd_size = strlen(exe) + strlen(id) + strlen(backend) + 96;
	cmd = malloc(cmd_size);
	if (!cmd) {
		CloseHandle(out);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	snprintf(cmd, cmd_size, "\"%s\" --run-case \"%s\" --backend \"%s\" --timeout %u", exe, id,
		 backend, timeout);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	si.hStdOutput = out;
	si.hStdError = out;
	if (!CreateProcessA(exe, cmd, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
		snprintf(err, err_size, "CreateProcess: error %lu", (unsigned long)GetLastError());
		free(cmd);
		CloseHandle(out);
		return -1;
	}
	free(cmd);
	w = WaitForSingleObject(pi.hProcess, limit_ms ? limit_ms : INFINITE);
	if (w != WAIT_OBJECT_0) {
		TerminateProcess(pi.hProcess, 1);
		WaitForSingleObject(pi.hProcess, INFINITE);
		*timed_out = 1;
	}
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	*exit_code = code;
	*output = read_all(out);
	CloseHandle(out);
	return 0;
}
