/* SPDX-License-Identifier: MIT */
/*
 * wdfmemory.h - WDFMEMORY: WdfMemoryCreate, WdfMemoryCreatePreallocated, WdfMemoryAssignBuffer, WdfMemoryGetBuffer, WdfMemoryCopy{To,From}Buffer.
 *
 * Windows splits KMDF over per-topic headers that <wdf.h> includes; a
 * driver may include one of them after <ntddk.h> or <wdm.h>.  kmemu keeps
 * the declarations in <wdf.h>, so this header pulls that in.
 */
#ifndef KMEMU_WIN_WDFMEMORY_H
#define KMEMU_WIN_WDFMEMORY_H

#include <wdf.h>

#endif /* KMEMU_WIN_WDFMEMORY_H */
