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
