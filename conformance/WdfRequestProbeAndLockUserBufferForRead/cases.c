/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfRequestProbeAndLockUserBufferForRead():
 * spec §1's checks for the read variant (conformance/pal_checks.c).
 */
#include "../pal_checks.h"

#define A "WdfRequestProbeAndLockUserBufferForRead/"

KMEMU_CASE(prototype, A "prototype", WIO_CAPS, A "prototype")
{
	NTSTATUS (*fn)(WDFREQUEST, PVOID, size_t, WDFMEMORY *) =
		WdfRequestProbeAndLockUserBufferForRead;

	KMEMU_EXPECT_TRUE(fn != NULL);
}

KMEMU_CASE(handle, A "step1-handle", WIO_CAPS | KMEMU_CAP_BUGCHECK, A "step1-handle")
{
	pal_check_handle(0);
}

KMEMU_CASE(null_pointers, A "step2-3-null", WIO_CAPS | KMEMU_CAP_BUGCHECK, A "step2-3-null")
{
	pal_check_null_pointers(0);
}

KMEMU_CASE(null_first, A "step4-null-first", WIO_CAPS, A "step4-null-first")
{
	pal_check_out_param(0);
}

KMEMU_CASE(irql, A "step5-irql", WIO_CAPS | KMEMU_CAP_IRQL, A "step5-irql")
{
	pal_check_irql(0);
}

KMEMU_CASE(owned, A "step6-owned", WIO_CAPS | KMEMU_CAP_VERIFIER, A "step6-owned")
{
	pal_check_owned(0);
}

KMEMU_CASE(length, A "step7-length", WIO_CAPS, A "step7-length")
{
	pal_check_length(0);
}

KMEMU_CASE(completed, A "step8-completed", WIO_CAPS | KMEMU_CAP_VERIFIER,
	   A "step8-completed " A "step8-down-level")
{
	pal_check_completed(0);
}

KMEMU_CASE(thread, A "step9-thread", WIO_CAPS, A "step9-thread " A "step9-verifier-off-process")
{
	pal_check_thread(0);
}

KMEMU_CASE(thread_exempt, A "step9-exemption", WIO_CAPS, A "step9-exemption")
{
	pal_check_thread_exempt(0);
}

KMEMU_CASE(resources, A "step10-14-resources", WIO_CAPS | KMEMU_CAP_FAULT_INJECT,
	   A "step10-14-resources")
{
	pal_check_resources(0);
}

KMEMU_CASE(read_access, A "step11-read-access", WIO_CAPS | KMEMU_CAP_SECTIONS,
	   A "step11-read-access")
{
	pal_check_probe(0);
}

KMEMU_CASE(read_only, A "step15-read-only", WIO_CAPS | KMEMU_CAP_BUGCHECK, A "step15-read-only")
{
	pal_check_success(0);
}

const struct kmemu_case *const kmemu_cases_WdfRequestProbeAndLockUserBufferForRead[] = {
	KMEMU_CASE_REF(prototype),
	KMEMU_CASE_REF(handle),
	KMEMU_CASE_REF(null_pointers),
	KMEMU_CASE_REF(null_first),
	KMEMU_CASE_REF(irql),
	KMEMU_CASE_REF(owned),
	KMEMU_CASE_REF(length),
	KMEMU_CASE_REF(completed),
	KMEMU_CASE_REF(thread),
	KMEMU_CASE_REF(thread_exempt),
	KMEMU_CASE_REF(resources),
	KMEMU_CASE_REF(read_access),
	KMEMU_CASE_REF(read_only),
	NULL,
};
