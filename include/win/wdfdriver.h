/* SPDX-License-Identifier: MIT */
/*
 * wdfdriver.h - WDFDRIVER: WDF_DRIVER_CONFIG, WdfDriverCreate, WdfGetDriver, WdfDriverGetRegistryPath, WdfDriverWdmGetDriverObject.
 *
 * Windows splits KMDF over per-topic headers that <wdf.h> includes; a
 * driver may include one of them after <ntddk.h> or <wdm.h>.  kmemu keeps
 * the declarations in <wdf.h>, so this header pulls that in.
 */
#ifndef KMEMU_WIN_WDFDRIVER_H
#define KMEMU_WIN_WDFDRIVER_H

#include <wdf.h>

#endif /* KMEMU_WIN_WDFDRIVER_H */
