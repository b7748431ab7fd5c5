/* SPDX-License-Identifier: MIT */
/*
 * wdfobject.h - WDFOBJECT: WdfObjectDelete, WdfObjectReference/Dereference[WithTag], contexts (WDF_DECLARE_CONTEXT_TYPE, WdfObjectAllocateContext, WdfObjectContextGetObject).
 *
 * Windows splits KMDF over per-topic headers that <wdf.h> includes; a
 * driver may include one of them after <ntddk.h> or <wdm.h>.  kmemu keeps
 * the declarations in <wdf.h>, so this header pulls that in.
 */
#ifndef KMEMU_WIN_WDFOBJECT_H
#define KMEMU_WIN_WDFOBJECT_H

#include <wdf.h>

#endif /* KMEMU_WIN_WDFOBJECT_H */
