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

#endif /* KMEMU_CONFORMANCE_UNSAFE_CHECKS_H */
