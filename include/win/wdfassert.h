/* SPDX-License-Identifier: MIT */
/*
 * wdfassert.h - KMDF's assertions: WDFVERIFY and VERIFY_IS_IRQL_PASSIVE_LEVEL
 * (checked only with the WDF verifier on) and WDFCASSERT (compile time).
 *
 * Windows splits KMDF over per-topic headers that <wdf.h> includes; a
 * driver may include one of them after <ntddk.h> or <wdm.h>.  kmemu keeps
 * the declarations in <wdf.h>, so this header pulls that in.
 */
#ifndef KMEMU_WIN_WDFASSERT_H
#define KMEMU_WIN_WDFASSERT_H

#include <wdf.h>

/*
 * RtlAssert() - report a failed assertion: "*** Assertion failed: <exp>"
 * with the file and line (and @Message when not NULL), then a debug break:
 * inside a KMDF driver with the verifier on, the framework's break policy
 * decides (continue: counted in kmemu_wdf_driver_stats().breaks; fatal: bug
 * check 0x1E, STATUS_BREAKPOINT); elsewhere the report is all.
 * Context: any IRQL.
 */
NTSYSAPI VOID NTAPI RtlAssert(PVOID FailedAssertion, PVOID FileName, ULONG LineNumber,
			      PSTR Message);

/*
 * kmemu_wdf_verify_on() - what WDFVERIFY tests first on Windows
 * (WdfDriverGlobals->DriverFlags & WdfVerifyOn): TRUE when the KMDF driver
 * this thread acts for runs with the WDF verifier, else FALSE.
 * Context: any IRQL.
 */
BOOLEAN NTAPI kmemu_wdf_verify_on(VOID);

/* WDFVERIFY(exp) - only with the WDF verifier on: evaluate @exp and, when it
 * is false, RtlAssert() it (a debug break).  With the verifier off @exp is
 * not evaluated. */
#define WDFVERIFY(exp)                                          \
	{                                                       \
		if (kmemu_wdf_verify_on() && !(exp)) {          \
			RtlAssert((PVOID)#exp, (PVOID)__FILE__, __LINE__, NULL); \
		}                                               \
	}

/* VERIFY_IS_IRQL_PASSIVE_LEVEL() - WDFVERIFY of running at PASSIVE_LEVEL;
 * IS_AT_PASSIVE() is its older name. */
#define VERIFY_IS_IRQL_PASSIVE_LEVEL() WDFVERIFY(KeGetCurrentIrql() == PASSIVE_LEVEL)
#define IS_AT_PASSIVE() WDFVERIFY(KeGetCurrentIrql() == PASSIVE_LEVEL)

/* WDFCASSERT(c) - a compile-time assertion usable as a statement (KMDF's
 * duplicate-case trick: a false @c gives two "case 0" labels). */
#define WDFCASSERT(c) { switch (0) case (c): case 0: ; }

#endif /* KMEMU_WIN_WDFASSERT_H */
