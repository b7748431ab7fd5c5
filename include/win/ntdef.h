/* SPDX-License-Identifier: MIT */
/*
 * ntdef.h - Windows base types with Windows sizes on LP64 hosts.
 *
 * Windows is LLP64: LONG and ULONG are 32-bit while pointers and the *_PTR
 * and SIZE_T types are 64-bit.  Linux is LP64, where `long` is 64-bit, so
 * every type here is spelled with <stdint.h> widths rather than C keywords.
 * WCHAR is UTF-16 (16-bit), unlike the host's 32-bit wchar_t: use u"..."
 * literals for wide strings.  Sizes are pinned by the static asserts at the
 * end of this file.
 */
#ifndef KMEMU_WIN_NTDEF_H
#define KMEMU_WIN_NTDEF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- calling conventions and SAL annotations: no meaning on the host --- */
#ifndef WINAPI
#define WINAPI
#endif
#ifndef NTAPI
#define NTAPI
#endif
#ifndef NTSYSAPI
#define NTSYSAPI
#endif
#ifndef DLLCALLCONV
#define DLLCALLCONV
#endif
#ifndef FASTCALL
#define FASTCALL
#endif
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif
#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#endif
#ifndef DECLSPEC_NORETURN
#define DECLSPEC_NORETURN __attribute__((noreturn))
#endif

/* ---- integer types -------------------------------------------------------- */
typedef void VOID;
typedef void *PVOID;
typedef void *LPVOID;
typedef const void *PCVOID;
typedef char CHAR;
typedef int8_t SCHAR;
typedef uint8_t UCHAR;
typedef uint8_t BYTE;
typedef uint8_t BOOLEAN;
typedef int16_t SHORT;
typedef uint16_t USHORT;
typedef uint16_t WORD;
typedef uint16_t WCHAR;
typedef int32_t INT;
typedef uint32_t UINT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef int32_t BOOL;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef int64_t INT64;
typedef uint64_t UINT64;
typedef int64_t LONG64;
typedef uint64_t ULONG64;
typedef uint64_t DWORD64;
typedef uint64_t QWORD;
typedef intptr_t INT_PTR;
typedef uintptr_t UINT_PTR;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef uintptr_t DWORD_PTR;
typedef uintptr_t SIZE_T;
typedef intptr_t SSIZE_T;
typedef LONG NTSTATUS;
typedef ULONG ACCESS_MASK;
typedef void *HANDLE;
typedef UCHAR KIRQL;
typedef LONG KPRIORITY;

typedef UCHAR *PUCHAR;
typedef BYTE *PBYTE;
typedef BOOLEAN *PBOOLEAN;
typedef CHAR *PCHAR;
typedef CHAR *PSTR;
typedef const CHAR *PCSTR;
typedef USHORT *PUSHORT;
typedef WCHAR *PWCHAR;
typedef WCHAR *PWSTR;
typedef const WCHAR *PCWSTR;
typedef LONG *PLONG;
typedef ULONG *PULONG;
typedef DWORD *PDWORD;
typedef ULONGLONG *PULONGLONG;
typedef ULONG_PTR *PULONG_PTR;
typedef SIZE_T *PSIZE_T;
typedef NTSTATUS *PNTSTATUS;
typedef HANDLE *PHANDLE;
typedef ACCESS_MASK *PACCESS_MASK;
typedef KIRQL *PKIRQL;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

#define MAXUCHAR 0xff
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffffu
#define MAXLONGLONG INT64_MAX

/* ---- LARGE_INTEGER -------------------------------------------------------- */
typedef union _LARGE_INTEGER {
	struct {
		ULONG LowPart;  /* bits 0..31 */
		LONG HighPart;  /* bits 32..63 */
	};
	struct {
		ULONG LowPart;
		LONG HighPart;
	} u;
	LONGLONG QuadPart;      /* the whole 64-bit value */
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
	struct {
		ULONG LowPart;
		ULONG HighPart;
	};
	struct {
		ULONG LowPart;
		ULONG HighPart;
	} u;
	ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

/* ---- strings and lists ---------------------------------------------------- */
typedef struct _UNICODE_STRING {
	USHORT Length;          /* bytes, without a terminator */
	USHORT MaximumLength;   /* bytes of Buffer */
	PWSTR Buffer;           /* UTF-16 code units */
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _LIST_ENTRY {
	struct _LIST_ENTRY *Flink;
	struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

/* ---- status helpers ------------------------------------------------------- */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

/* ---- size pins: Windows sizes, not host sizes ----------------------------- */
_Static_assert(sizeof(ULONG) == 4, "ULONG is 32-bit as on Windows");
_Static_assert(sizeof(LONG) == 4, "LONG is 32-bit as on Windows");
_Static_assert(sizeof(DWORD) == 4, "DWORD is 32-bit");
_Static_assert(sizeof(USHORT) == 2, "USHORT is 16-bit");
_Static_assert(sizeof(WCHAR) == 2, "WCHAR is UTF-16");
_Static_assert(sizeof(ULONG_PTR) == sizeof(void *), "ULONG_PTR is pointer-sized");
_Static_assert(sizeof(SIZE_T) == sizeof(void *), "SIZE_T is pointer-sized");
_Static_assert(sizeof(UINT64) == 8, "UINT64 is 64-bit");
_Static_assert(sizeof(LARGE_INTEGER) == 8, "LARGE_INTEGER is 8 bytes");
_Static_assert(sizeof(NTSTATUS) == 4, "NTSTATUS is 32-bit");
_Static_assert(sizeof(KIRQL) == 1, "KIRQL is a UCHAR");
_Static_assert(sizeof(UNICODE_STRING) == 16, "UNICODE_STRING is 16 bytes on x64");
_Static_assert(offsetof(UNICODE_STRING, Buffer) == 8, "UNICODE_STRING.Buffer at 8 on x64");

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_WIN_NTDEF_H */
