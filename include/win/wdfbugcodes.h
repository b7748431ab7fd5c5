/* SPDX-License-Identifier: MIT */
/*
 * wdfbugcodes.h - the parameters of bug check WDF_VIOLATION (0x10D) and WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA.
 *
 * Windows splits KMDF over per-topic headers that <wdf.h> includes; a
 * driver may include one of them after <ntddk.h> or <wdm.h>.  kmemu keeps
 * the declarations in <wdf.h>, so this header pulls that in.
 */
#ifndef KMEMU_WIN_WDFBUGCODES_H
#define KMEMU_WIN_WDFBUGCODES_H

#include <wdf.h>

#endif /* KMEMU_WIN_WDFBUGCODES_H */
