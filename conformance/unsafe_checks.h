/* SPDX-License-Identifier: MIT */
/*
 * unsafe_checks.h - the numbered checks of spec kmdf.md §3 for
 * WdfRequestRetrieveUnsafeUserInputBuffer (@output = 0) and ...Output
 * (@output = 1), shared by the cases of both API directories.
 */
#ifndef KMEMU_CONFORMANCE_UNSAFE_CHECKS_H
#define KMEMU_CONFORMANCE_UNSAFE_CHECKS_H

#include "wdfio_helpers.h"

void unsafe_check_handle(int output);        /* step 1 */
void unsafe_check_null(int output);          /* step 2 */
void unsafe_check_cleared(int output);       /* step 3 */
void unsafe_check_irql(int output);          /* step 4 */
void unsafe_check_caller_context(int output); /* step 5 */
void unsafe_check_wrong_direction(int output); /* step 6 */
void unsafe_check_internal(int output);      /* step 7 */
void unsafe_check_neither_ioctl(int output); /* step 8 */
void unsafe_check_neither_device(int output); /* step 9 */
void unsafe_check_other(int output);         /* step 10 */

/* Every case of one variant (@output), and its table @table; the including
 * cases.c defines A as "<API>/". */
#define UNSAFE_CASE(fn, id, caps, check, output, extra) \
	KMEMU_CASE(fn, A id, caps, A id extra) \
	{ \
		check(output); \
	}
#define UNSAFE_CASES(output, table) \
	UNSAFE_CASE(step1_handle, "step1-handle", WIO_CAPS | KMEMU_CAP_BUGCHECK, \
		    unsafe_check_handle, output,) \
	UNSAFE_CASE(step2_null, "step2-null", WIO_CAPS | KMEMU_CAP_BUGCHECK, \
		    unsafe_check_null, output,) \
	UNSAFE_CASE(step3_cleared, "step3-cleared", WIO_CAPS, unsafe_check_cleared, output,) \
	UNSAFE_CASE(step4_irql, "step4-irql", WIO_CAPS | KMEMU_CAP_IRQL, \
		    unsafe_check_irql, output,) \
	UNSAFE_CASE(step5_caller_context, "step5-caller-context", WIO_CAPS | KMEMU_CAP_VERIFIER, \
		    unsafe_check_caller_context, output,) \
	UNSAFE_CASE(step6_wrong_direction, "step6-wrong-direction", WIO_CAPS, \
		    unsafe_check_wrong_direction, output,) \
	UNSAFE_CASE(step7_internal, "step7-internal", WIO_CAPS, unsafe_check_internal, output,) \
	UNSAFE_CASE(step8_neither_ioctl, "step8-neither-ioctl", WIO_CAPS, \
		    unsafe_check_neither_ioctl, output, " " A "raw-unprobed") \
	UNSAFE_CASE(step9_neither_device, "step9-neither-device", WIO_CAPS, \
		    unsafe_check_neither_device, output, " " A "raw-unprobed") \
	UNSAFE_CASE(step10_other, "step10-other", WIO_CAPS, unsafe_check_other, output,) \
	const struct kmemu_case *const table[] = { \
		KMEMU_CASE_REF(step1_handle), \
		KMEMU_CASE_REF(step2_null), \
		KMEMU_CASE_REF(step3_cleared), \
		KMEMU_CASE_REF(step4_irql), \
		KMEMU_CASE_REF(step5_caller_context), \
		KMEMU_CASE_REF(step6_wrong_direction), \
		KMEMU_CASE_REF(step7_internal), \
		KMEMU_CASE_REF(step8_neither_ioctl), \
		KMEMU_CASE_REF(step9_neither_device), \
		KMEMU_CASE_REF(step10_other), \
		NULL, \
	};

#endif /* KMEMU_CONFORMANCE_UNSAFE_CHECKS_H */
