/* SPDX-License-Identifier: MIT */
/*
 * pal_checks.h - the numbered checks of spec kmdf.md §1 for
 * WdfRequestProbeAndLockUserBufferForWrite (@write = 1) and ...ForRead
 * (@write = 0), shared by the cases of both API directories.
 */
#ifndef KMEMU_CONFORMANCE_PAL_CHECKS_H
#define KMEMU_CONFORMANCE_PAL_CHECKS_H

#include "wdfio_helpers.h"

void pal_check_handle(int write);         /* step 1 */
void pal_check_null_pointers(int write);  /* steps 2, 3 */
void pal_check_out_param(int write);      /* step 4 */
void pal_check_irql(int write);           /* step 5 */
void pal_check_owned(int write);          /* step 6 */
void pal_check_length(int write);         /* step 7 */
void pal_check_completed(int write);      /* step 8 */
void pal_check_thread(int write);         /* step 9 */
void pal_check_thread_exempt(int write);  /* step 9: no IRP thread */
void pal_check_resources(int write);      /* steps 10, 12-14 */
void pal_check_probe(int write);          /* step 11 */
void pal_check_success(int write);        /* step 15 */

#endif /* KMEMU_CONFORMANCE_PAL_CHECKS_H */
