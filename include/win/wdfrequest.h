/* SPDX-License-Identifier: MIT */
/*
 * wdfrequest.h - WDFREQUEST beyond the DDIs <wdf.h> declares: parameters,
 * the requestor mode, the buffers and memory of a request, Information.
 * Included from <wdf.h>.
 */
/* Included on its own: <wdf.h> declares the types and includes this header. */
#ifndef KMEMU_WIN_WDF_H
#include <wdf.h>
#endif
#ifndef KMEMU_WIN_WDFREQUEST_H
#define KMEMU_WIN_WDFREQUEST_H

#ifdef __cplusplus
extern "C" {
#endif

/* The request's type: the IRP major function. */
typedef enum _WDF_REQUEST_TYPE {
	WdfRequestTypeCreate = 0x0,
	WdfRequestTypeClose = 0x2,
	WdfRequestTypeRead = 0x3,
	WdfRequestTypeWrite = 0x4,
	WdfRequestTypeDeviceControl = 0xE,
	WdfRequestTypeDeviceControlInternal = 0xF,
	WdfRequestTypeOther = 0x1C
} WDF_REQUEST_TYPE;

#define KMEMU_POINTER_ALIGNMENT _Alignas(8)

typedef struct _WDF_REQUEST_PARAMETERS {
	USHORT Size;                       /* sizeof(WDF_REQUEST_PARAMETERS) */
	UCHAR MinorFunction;
	WDF_REQUEST_TYPE Type;
	union {
		struct {
			PVOID SecurityContext;
			ULONG Options;
			KMEMU_POINTER_ALIGNMENT USHORT FileAttributes;
			USHORT ShareAccess;
			KMEMU_POINTER_ALIGNMENT ULONG EaLength;
		} Create;
		struct {
			size_t Length;
			KMEMU_POINTER_ALIGNMENT ULONG Key;
			LONGLONG DeviceOffset;
		} Read;
		struct {
			size_t Length;
			KMEMU_POINTER_ALIGNMENT ULONG Key;
			LONGLONG DeviceOffset;
		} Write;
		struct {
			size_t OutputBufferLength;
			KMEMU_POINTER_ALIGNMENT size_t InputBufferLength;
			KMEMU_POINTER_ALIGNMENT ULONG IoControlCode;
			PVOID Type3InputBuffer;    /* METHOD_NEITHER: the raw user input address */
		} DeviceIoControl;
		struct {
			PVOID Arg1;
			PVOID Arg2;
			KMEMU_POINTER_ALIGNMENT ULONG IoControlCode;
			PVOID Arg4;
		} Others;
	} Parameters;
} WDF_REQUEST_PARAMETERS, *PWDF_REQUEST_PARAMETERS;

/* Zero *@Parameters and set Size. */
static inline VOID WDF_REQUEST_PARAMETERS_INIT(PWDF_REQUEST_PARAMETERS Parameters)
{
	RtlZeroMemory(Parameters, sizeof(WDF_REQUEST_PARAMETERS));
	Parameters->Size = (USHORT)sizeof(WDF_REQUEST_PARAMETERS);
}

/*
 * WdfRequestGetParameters() - the request's type and lengths (the IRP's
 * stack location).  A completed request keeps the values it had.
 * Context: IRQL <= DISPATCH_LEVEL.
 */
VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters);

/* WdfRequestGetRequestorMode() - UserMode for requests from a user process. */
KPROCESSOR_MODE WdfRequestGetRequestorMode(WDFREQUEST Request);

/*
 * WdfRequestRetrieveInputBuffer() - the request's input buffer: the system
 * buffer (METHOD_BUFFERED, IN/OUT_DIRECT input, buffered writes) or the
 * write MDL's system address (direct writes).  *@Length, if given, its size.
 * Return: STATUS_SUCCESS; STATUS_BUFFER_TOO_SMALL (shorter than
 * @MinimumRequiredSize); STATUS_INVALID_DEVICE_REQUEST (a read, METHOD_NEITHER,
 * a neither device, or the request was completed); STATUS_BUFFER_TOO_SMALL
 * also for a zero-length buffer.  Context: IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize,
				       PVOID *Buffer, size_t *Length);

/*
 * WdfRequestRetrieveOutputBuffer() - the request's output buffer: the
 * system buffer (METHOD_BUFFERED, buffered reads) or the MDL's system
 * address (IN/OUT_DIRECT output, direct reads).
 * Return: as WdfRequestRetrieveInputBuffer() (a write instead of a read is
 * the wrong type).  Context: IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize,
					PVOID *Buffer, size_t *Length);

/*
 * WdfRequestRetrieveInputMemory() / ...OutputMemory() - the same buffers
 * as WDFMEMORY objects (children of the request, gone at completion).
 * Return: as the Buffer variants; STATUS_INSUFFICIENT_RESOURCES.
 */
NTSTATUS WdfRequestRetrieveInputMemory(WDFREQUEST Request, WDFMEMORY *Memory);
NTSTATUS WdfRequestRetrieveOutputMemory(WDFREQUEST Request, WDFMEMORY *Memory);

/* WdfRequestSetInformation() - IoStatus.Information for the completion. */
VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information);

/* WdfRequestGetInformation() - the IoStatus.Information set so far. */
ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request);

/*
 * EvtRequestCancel - the driver's cancel routine for a request it marked
 * cancelable: the request was cancelled (CancelIoEx; kmemu_io_cancel()).
 * The framework has unmarked the request; the driver completes it (usually
 * with STATUS_CANCELLED), here or later.  Called once, on the cancelling
 * thread at that thread's IRQL (Windows: IRQL <= DISPATCH_LEVEL).
 */
typedef VOID NTAPI EVT_WDF_REQUEST_CANCEL(WDFREQUEST Request);
typedef EVT_WDF_REQUEST_CANCEL *PFN_WDF_REQUEST_CANCEL;

/*
 * WdfRequestMarkCancelable() - let the request the driver owns be cancelled:
 * a later cancel calls @EvtRequestCancel once.  When the request was
 * already cancelled, @EvtRequestCancel runs before this returns (on this
 * thread).  Refused (nothing changes) when the driver does not own the
 * request or it is already cancelable: a break with the verifier on, a
 * trace without.  NULL @EvtRequestCancel bug checks 0x10D/4.
 * Context: IRQL <= DISPATCH_LEVEL.
 */
VOID WdfRequestMarkCancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel);

/*
 * WdfRequestMarkCancelableEx() - as WdfRequestMarkCancelable(), but never
 * calls @EvtRequestCancel itself (KMDF 1.9+).
 * Return: STATUS_SUCCESS (cancelable now); STATUS_CANCELLED (the request
 * was already cancelled: it is not cancelable and the driver must complete
 * it); STATUS_INVALID_DEVICE_REQUEST (the driver does not own the request,
 * or it is already cancelable: a break with the verifier on).  NULL
 * @EvtRequestCancel bug checks 0x10D/4.  Context: IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS WdfRequestMarkCancelableEx(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel);

/*
 * WdfRequestUnmarkCancelable() - the request can no longer be cancelled.
 * Return: STATUS_SUCCESS (EvtRequestCancel will not be called);
 * STATUS_CANCELLED (EvtRequestCancel has run or is running: it completes
 * the request, the driver must not); STATUS_INVALID_PARAMETER (the request
 * is not cancelable: a break with the verifier on);
 * STATUS_INVALID_DEVICE_REQUEST (the driver does not own the request).
 * Context: IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS WdfRequestUnmarkCancelable(WDFREQUEST Request);

/*
 * WdfRequestIsCanceled() - TRUE when the request's I/O was cancelled
 * (whether or not it is cancelable).  Context: IRQL <= DISPATCH_LEVEL.
 */
BOOLEAN WdfRequestIsCanceled(WDFREQUEST Request);

_Static_assert(sizeof(WDF_REQUEST_PARAMETERS) == 40, "WDF_REQUEST_PARAMETERS is 40 bytes on x64");
_Static_assert(offsetof(WDF_REQUEST_PARAMETERS, Parameters) == 8,
	       "WDF_REQUEST_PARAMETERS.Parameters at 8");
_Static_assert(offsetof(WDF_REQUEST_PARAMETERS, Parameters.DeviceIoControl.IoControlCode) == 24,
	       "WDF_REQUEST_PARAMETERS.Parameters.DeviceIoControl.IoControlCode at 24");
_Static_assert(offsetof(WDF_REQUEST_PARAMETERS, Parameters.DeviceIoControl.Type3InputBuffer) == 32,
	       "WDF_REQUEST_PARAMETERS.Parameters.DeviceIoControl.Type3InputBuffer at 32");

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_WIN_WDFREQUEST_H */
