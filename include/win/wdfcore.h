/* SPDX-License-Identifier: MIT */
/*
 * wdfcore.h - the KMDF core types every other per-topic header builds on.
 *
 * Windows splits KMDF over per-topic headers that <wdf.h> includes; a
 * driver may include one of them after <ntddk.h> or <wdm.h>.  kmemu keeps
 * the declarations in <wdf.h>, so this header pulls that in.
 */
#ifndef KMEMU_WIN_WDFCORE_H
#define KMEMU_WIN_WDFCORE_H

#include <wdf.h>

#endif /* KMEMU_WIN_WDFCORE_H */
