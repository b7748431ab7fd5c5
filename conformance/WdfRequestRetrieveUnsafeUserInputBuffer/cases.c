/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfRequestRetrieveUnsafeUserInputBuffer(): spec §3's
 * checks, one case per step (conformance/unsafe_checks.c).
 */
#include "../unsafe_checks.h"

#define A "WdfRequestRetrieveUnsafeUserInputBuffer/"

UNSAFE_CASES(0, kmemu_cases_WdfRequestRetrieveUnsafeUserInputBuffer)
