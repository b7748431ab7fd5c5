/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfRequestRetrieveUnsafeUserInputBuffer(): spec §3's
 * checks (conformance/unsafe_checks.c).
 */
#include "../unsafe_checks.h"

#define A "WdfRequestRetrieveUnsafeUserInputBuffer/"

KMEMU_CASE(step1_handle, A "step1-handle", WIO_CAPS | KMEMU_CAP_BUGCHECK, A "step1-handle")
{
	unsafe_check_handle(0);
}

KMEMU_CASE(step2_null, A "step2-null", WIO_CAPS | KMEMU_CAP_BUGCHECK, A "step2-null")
{
	unsafe_check_null(0);
}

KMEMU_CASE(step3_cleared, A "step3-cleared", WIO_CAPS, A "step3-cleared")
{
	unsafe_check_cleared(0);
}

KMEMU_CASE(step4_irql, A "step4-irql", WIO_CAPS | KMEMU_CAP_IRQL, A "step4-irql")
{
	unsafe_check_irql(0);
}

KMEMU_CASE(step5_caller_context, A "step5-caller-context", WIO_CAPS | KMEMU_CAP_VERIFIER, A "step5-caller-context")
{
	unsafe_check_caller_context(0);
}

KMEMU_CASE(step6_wrong_direction, A "step6-wrong-direction", WIO_CAPS, A "step6-wrong-direction")
{
	unsafe_check_wrong_direction(0);
}

KMEMU_CASE(step7_internal, A "step7-internal", WIO_CAPS, A "step7-internal")
{
	unsafe_check_internal(0);
}

KMEMU_CASE(step8_neither_ioctl, A "step8-neither-ioctl", WIO_CAPS, A "step8-neither-ioctl" " " A "raw-unprobed")
{
	unsafe_check_neither_ioctl(0);
}

KMEMU_CASE(step9_neither_device, A "step9-neither-device", WIO_CAPS, A "step9-neither-device" " " A "raw-unprobed")
{
	unsafe_check_neither_device(0);
}

KMEMU_CASE(step10_other, A "step10-other", WIO_CAPS, A "step10-other")
{
	unsafe_check_other(0);
}

const struct kmemu_case *const kmemu_cases_WdfRequestRetrieveUnsafeUserInputBuffer[] = {
	KMEMU_CASE_REF(step1_handle),
	KMEMU_CASE_REF(step2_null),
	KMEMU_CASE_REF(step3_cleared),
	KMEMU_CASE_REF(step4_irql),
	KMEMU_CASE_REF(step5_caller_context),
	KMEMU_CASE_REF(step6_wrong_direction),
	KMEMU_CASE_REF(step7_internal),
	KMEMU_CASE_REF(step8_neither_ioctl),
	KMEMU_CASE_REF(step9_neither_device),
	KMEMU_CASE_REF(step10_other),
	NULL,
};
