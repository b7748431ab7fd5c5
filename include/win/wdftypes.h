/* SPDX-License-Identifier: MIT */
/*
 * wdftypes.h - the basic KMDF types (handles, WDF_OBJECT_ATTRIBUTES, WDF_MEMORY_DESCRIPTOR, execution level and synchronization scope).
 *
 * Windows splits KMDF over per-topic headers that <wdf.h> includes; a
 * driver may include one of them after <ntddk.h> or <wdm.h>.  kmemu keeps
 * the declarations in <wdf.h>, so this header pulls that in.
 */
#ifndef KMEMU_WIN_WDFTYPES_H
#define KMEMU_WIN_WDFTYPES_H

#include <wdf.h>

#endif /* KMEMU_WIN_WDFTYPES_H */
