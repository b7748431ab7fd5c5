/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfRequestRetrieveUnsafeUserOutputBuffer(): spec §3's
 * checks, one case per step (conformance/unsafe_checks.c).
 */
#include "../unsafe_checks.h"

#define A "WdfRequestRetrieveUnsafeUserOutputBuffer/"

UNSAFE_CASES(1, kmemu_cases_WdfRequestRetrieveUnsafeUserOutputBuffer)
