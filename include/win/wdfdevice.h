/* SPDX-License-Identifier: MIT */
/*
 * wdfdevice.h - WDFDEVICE: device initialisation (WDFDEVICE_INIT), the
 * device's transfer type, the in-caller-context callback, control devices,
 * WdfDeviceCreate and WdfDeviceEnqueueRequest.  Included from <wdf.h>.
 */
/* Included on its own: <wdf.h> declares the types and includes this header. */
#ifndef KMEMU_WIN_WDF_H
#include <wdf.h>
#endif
#ifndef KMEMU_WIN_WDFDEVICE_H
#define KMEMU_WIN_WDFDEVICE_H

#include <devioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the I/O manager passes the buffers of reads and writes. */
typedef enum _WDF_DEVICE_IO_TYPE {
	WdfDeviceIoUndefined = 0,
	WdfDeviceIoNeither = 1,          /* raw user addresses */
	WdfDeviceIoBuffered = 2,         /* a system buffer (the default) */
	WdfDeviceIoDirect = 3,           /* an MDL of the locked user buffer */
	WdfDeviceIoBufferedOrDirect = 4, /* buffered (kmemu has no per-request choice) */
	WdfDeviceIoMaximum = 5
} WDF_DEVICE_IO_TYPE, *PWDF_DEVICE_IO_TYPE;

/* Called on the requesting thread before the request is queued (PASSIVE_LEVEL
 * for user requests); the driver queues it with WdfDeviceEnqueueRequest() or
 * completes it. */
typedef VOID NTAPI EVT_WDF_IO_IN_CALLER_CONTEXT(WDFDEVICE Device, WDFREQUEST Request);
typedef EVT_WDF_IO_IN_CALLER_CONTEXT *PFN_WDF_IO_IN_CALLER_CONTEXT;

/*
 * WdfDeviceInitSetIoType() - the transfer type of the device's reads and
 * writes (IOCTLs follow their own METHOD_*).  Undefined and out-of-range
 * values are ignored (buffered stays).  Context: PASSIVE_LEVEL.
 */
VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType);

/*
 * WdfDeviceInitSetIoInCallerContextCallback() - call @EvtIoInCallerContext
 * for every request, on the requesting thread, before any queue sees it.
 * Context: PASSIVE_LEVEL.
 */
VOID WdfDeviceInitSetIoInCallerContextCallback(PWDFDEVICE_INIT DeviceInit,
					       PFN_WDF_IO_IN_CALLER_CONTEXT EvtIoInCallerContext);

/*
 * WdfDeviceInitAssignName() - the device's name ("\\Device\\Foo"); the user
 * side opens it by that name (kmemu_io_open()).  A NULL @DeviceName removes
 * a name given before.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (empty or odd-length name);
 * STATUS_INSUFFICIENT_RESOURCES.  Context: PASSIVE_LEVEL.
 */
NTSTATUS WdfDeviceInitAssignName(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING DeviceName);

/*
 * WdfControlDeviceInitAllocate() - a WDFDEVICE_INIT for a control device
 * (no PnP) of @Driver; @SDDLString is recorded but not enforced.  Free it
 * with WdfDeviceInitFree() unless WdfDeviceCreate() succeeded.
 * Return: the init, or NULL when memory runs out.  Context: PASSIVE_LEVEL.
 */
PWDFDEVICE_INIT WdfControlDeviceInitAllocate(WDFDRIVER Driver, PCUNICODE_STRING SDDLString);

/* WdfDeviceInitFree() - free an init WdfDeviceCreate() did not take. */
VOID WdfDeviceInitFree(PWDFDEVICE_INIT DeviceInit);

/*
 * WdfDeviceCreate() - create the device described by *@DeviceInit (which it
 * takes: *@DeviceInit becomes NULL on success).  A named device is
 * registered with the I/O manager; the parent is the driver.
 * Return: STATUS_SUCCESS; the attribute statuses of WdfMemoryCreate()
 * (a ParentObject: STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
 * STATUS_OBJECT_NAME_COLLISION (a PnP device whose name is in use);
 * STATUS_INSUFFICIENT_RESOURCES.  NULL @DeviceInit, *@DeviceInit (an init
 * already used) or @Device bug check 0x10D/4; after a handled bug check
 * STATUS_UNSUCCESSFUL.
 * Context: PASSIVE_LEVEL.
 */
NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes,
			 WDFDEVICE *Device);

/* WdfControlFinishInitializing() - a control device is ready for I/O. */
VOID WdfControlFinishInitializing(WDFDEVICE Device);

/*
 * WdfDeviceEnqueueRequest() - from EvtIoInCallerContext, give @Request to
 * the device's queue for its type (dispatch as the queue says).
 * Return: STATUS_SUCCESS; STATUS_INVALID_DEVICE_REQUEST (no queue for the
 * type; the request stays the driver's; verifier: request not driver owned).
 * Context: IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS WdfDeviceEnqueueRequest(WDFDEVICE Device, WDFREQUEST Request);

/* WdfDeviceGetDefaultQueue() - the device's default queue, or NULL. */
WDFQUEUE WdfDeviceGetDefaultQueue(WDFDEVICE Device);

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_WIN_WDFDEVICE_H */
