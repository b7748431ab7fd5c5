/* SPDX-License-Identifier: MIT */
/*
 * wdfio.h - WDFQUEUE: I/O queues, their dispatch types and request
 * callbacks.  Included from <wdf.h>.
 */
/* Included on its own: <wdf.h> declares the types and includes this header. */
#ifndef KMEMU_WIN_WDF_H
#include <wdf.h>
#endif
#ifndef KMEMU_WIN_WDFIO_H
#define KMEMU_WIN_WDFIO_H

#ifdef __cplusplus
extern "C" {
#endif

/* How a queue presents requests to the driver. */
typedef enum _WDF_IO_QUEUE_DISPATCH_TYPE {
	WdfIoQueueDispatchInvalid = 0,
	WdfIoQueueDispatchSequential = 1,  /* one at a time: the next after completion */
	WdfIoQueueDispatchParallel = 2,    /* each as it arrives */
	WdfIoQueueDispatchManual = 3,      /* kept until WdfIoQueueRetrieveNextRequest() */
	WdfIoQueueDispatchMax = 4
} WDF_IO_QUEUE_DISPATCH_TYPE;

typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_DEFAULT(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_DEFAULT *PFN_WDF_IO_QUEUE_IO_DEFAULT;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_READ(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
typedef EVT_WDF_IO_QUEUE_IO_READ *PFN_WDF_IO_QUEUE_IO_READ;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_WRITE(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
typedef EVT_WDF_IO_QUEUE_IO_WRITE *PFN_WDF_IO_QUEUE_IO_WRITE;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL(WDFQUEUE Queue, WDFREQUEST Request,
						      size_t OutputBufferLength,
						      size_t InputBufferLength, ULONG IoControlCode);
typedef EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL *PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL;
typedef EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL;
typedef EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL *PFN_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_STOP(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags);
typedef EVT_WDF_IO_QUEUE_IO_STOP *PFN_WDF_IO_QUEUE_IO_STOP;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_RESUME(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_RESUME *PFN_WDF_IO_QUEUE_IO_RESUME;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE *PFN_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE;

typedef struct _WDF_IO_QUEUE_CONFIG {
	ULONG Size;                                       /* sizeof(WDF_IO_QUEUE_CONFIG) */
	WDF_IO_QUEUE_DISPATCH_TYPE DispatchType;          /* see enum */
	WDF_TRI_STATE PowerManaged;                       /* recorded (no power states) */
	BOOLEAN AllowZeroLengthRequests;                  /* else reads/writes of 0 bytes complete */
	BOOLEAN DefaultQueue;                             /* receives every request type */
	PFN_WDF_IO_QUEUE_IO_DEFAULT EvtIoDefault;         /* any type without its own callback */
	PFN_WDF_IO_QUEUE_IO_READ EvtIoRead;
	PFN_WDF_IO_QUEUE_IO_WRITE EvtIoWrite;
	PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL EvtIoDeviceControl;
	PFN_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL EvtIoInternalDeviceControl;
	PFN_WDF_IO_QUEUE_IO_STOP EvtIoStop;               /* recorded, never called */
	PFN_WDF_IO_QUEUE_IO_RESUME EvtIoResume;           /* recorded, never called */
	PFN_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE EvtIoCanceledOnQueue;  /* a requeued request cancelled */
	union {
		struct {
			ULONG NumberOfPresentedRequests;  /* recorded */
		} Parallel;
	} Settings;
	WDFDRIVER Driver;                                 /* set by the framework */
} WDF_IO_QUEUE_CONFIG, *PWDF_IO_QUEUE_CONFIG;

/* Zero *@Config; set Size, the dispatch type and PowerManaged = WdfUseDefault. */
static inline VOID WDF_IO_QUEUE_CONFIG_INIT(PWDF_IO_QUEUE_CONFIG Config,
					    WDF_IO_QUEUE_DISPATCH_TYPE DispatchType)
{
	RtlZeroMemory(Config, sizeof(WDF_IO_QUEUE_CONFIG));
	Config->Size = (ULONG)sizeof(WDF_IO_QUEUE_CONFIG);
	Config->PowerManaged = WdfUseDefault;
	Config->DispatchType = DispatchType;
}

/* WDF_IO_QUEUE_CONFIG_INIT plus DefaultQueue = TRUE. */
static inline VOID WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(PWDF_IO_QUEUE_CONFIG Config,
							  WDF_IO_QUEUE_DISPATCH_TYPE DispatchType)
{
	WDF_IO_QUEUE_CONFIG_INIT(Config, DispatchType);
	Config->DefaultQueue = TRUE;
}

/*
 * WdfIoQueueCreate() - create a queue of @Device (its parent unless
 * @QueueAttributes names one).  A DefaultQueue receives every request
 * type; otherwise the queue receives the types it has a callback for
 * (kmemu's stand-in for WdfDeviceConfigureRequestDispatching), a manual
 * queue none until the driver forwards to it.
 * Return: STATUS_SUCCESS; STATUS_INFO_LENGTH_MISMATCH (Config->Size);
 * STATUS_INVALID_PARAMETER (dispatch type out of range; a sequential or
 * parallel queue without any callback); STATUS_WDF_OBJECT_ATTRIBUTES_INVALID
 * and the other attribute statuses; STATUS_INVALID_DEVICE_REQUEST (a second
 * default queue); STATUS_INSUFFICIENT_RESOURCES.  NULL @Device or @Config
 * bug check 0x10D.  Context: IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config,
			  PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE *Queue);

/*
 * WdfIoQueueRetrieveNextRequest() - take the oldest request of a manual
 * queue; the caller (any thread) now owns it.
 * Return: STATUS_SUCCESS; STATUS_NO_MORE_ENTRIES (empty);
 * STATUS_INVALID_DEVICE_REQUEST (not a manual queue).
 * Context: IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS WdfIoQueueRetrieveNextRequest(WDFQUEUE Queue, WDFREQUEST *OutRequest);

/* WdfIoQueueGetDevice() - the device the queue belongs to. */
WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue);

/*
 * WdfRequestForwardToIoQueue() - move a request the driver owns to another
 * queue of the same device (dispatched as that queue says).
 * Return: STATUS_SUCCESS; STATUS_INVALID_DEVICE_REQUEST (same queue, another
 * device's queue, or the request is not the driver's).
 */
NTSTATUS WdfRequestForwardToIoQueue(WDFREQUEST Request, WDFQUEUE DestinationQueue);

_Static_assert(sizeof(WDF_IO_QUEUE_CONFIG) == 96, "WDF_IO_QUEUE_CONFIG is 96 bytes on x64");
_Static_assert(offsetof(WDF_IO_QUEUE_CONFIG, EvtIoDefault) == 16, "WDF_IO_QUEUE_CONFIG.EvtIoDefault at 16");
_Static_assert(offsetof(WDF_IO_QUEUE_CONFIG, Settings) == 80, "WDF_IO_QUEUE_CONFIG.Settings at 80");
_Static_assert(offsetof(WDF_IO_QUEUE_CONFIG, Driver) == 88, "WDF_IO_QUEUE_CONFIG.Driver at 88");

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_WIN_WDFIO_H */
