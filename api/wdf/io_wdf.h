/* SPDX-License-Identifier: MIT */
/*
 * io_wdf.h - what io_device.c (WDFDEVICE, WDFQUEUE) and io_request.c
 * (WDFREQUEST) share: the three object types and the dispatch path.
 *
 * Locking: one mutex (kmemu__fx_lock) guards the request flags, the queue
 * lists and the locked-memory lists; it is never held across a driver
 * callback, a bug check or a call into the object core.
 */
#ifndef KMEMU_API_WDF_IO_WDF_H
#define KMEMU_API_WDF_IO_WDF_H

#include <wdf.h>
#include <kmemu/wdf.h>
#include "wdf_int.h"
#include "io_int.h"

#define KMEMU_FX_MAX_QUEUES 16

struct kmemu__fx_queue;
struct kmemu__fx_request;

struct kmemu__fx_device {
	struct kmemu_wdf_object obj;           /* header (first) */
	struct kmemu__io_device *io;           /* what the I/O manager knows (refcounted) */
	WDF_DEVICE_IO_TYPE io_type;            /* reads and writes */
	PFN_WDF_IO_IN_CALLER_CONTEXT in_caller;  /* or NULL */
	int is_control;                        /* control device */
	int registered;                        /* openable */
	struct kmemu__fx_queue *default_queue; /* or NULL */
	struct kmemu__fx_queue *queues[KMEMU_FX_MAX_QUEUES];  /* every live queue */
	unsigned n_queues;
};

struct kmemu__fx_queue {
	struct kmemu_wdf_object obj;           /* header (first) */
	WDF_IO_QUEUE_CONFIG config;            /* as created */
	struct kmemu__fx_device *dev;          /* owner (parent) */
	struct kmemu__fx_request *head, *tail; /* waiting requests */
	struct kmemu__fx_request *active;      /* sequential: the one presented */
	int detached;                          /* disposed: takes no request */
};

/* A locked user range of a request (ProbeAndLock memory). */
struct kmemu__fx_lock {
	struct kmemu__fx_lock *next;           /* request's list */
	struct kmemu__fx_request *req;         /* NULL once the request is gone */
	struct kmemu_backend *b;               /* the instance locked on */
	void *lock;                            /* the backend's lock */
	struct kmemu_wdf_object *mem;          /* its WDFMEMORY */
};

struct kmemu__fx_request {
	struct kmemu_wdf_object obj;           /* header (first) */
	struct kmemu__fx_device *dev;          /* target device */
	struct kmemu__irp *irp;                /* m_Irp: NULL once completed */
	struct kmemu__fx_queue *queue;         /* queue holding or presenting it */
	struct kmemu__fx_request *next;        /* queue list */
	int owned;                             /* DRIVER_OWNED */
	int in_caller;                         /* inside EvtIoInCallerContext */
	int completed;                         /* m_Completed */
	long irp_refs;                         /* live ProbeAndLock memory */
	struct kmemu__fx_lock *locks;          /* its locked ranges */
	uintptr_t information;                 /* IoStatus.Information so far */
	/* the parameters, kept after completion */
	uint8_t major;
	uint32_t ioctl;
	unsigned method;
	size_t in_len, out_len;
	uint64_t in_user, out_user;
	int user_mode;
	WDFMEMORY in_mem, out_mem;             /* RetrieveInput/OutputMemory, made once */
	/* cancellation (kmemu__fx_lock) */
	int cancel_state;                      /* KMEMU_FX_CANCEL_* */
	PFN_WDF_REQUEST_CANCEL cancel_fn;      /* EvtRequestCancel while MARKED */
	int canceled;                          /* the IRP was cancelled */
	int presented;                         /* the driver has owned it (EvtIoCanceledOnQueue) */
};

/* A request's cancel state: not cancelable, marked cancelable (holds a
 * reference on the request), or its EvtRequestCancel claimed by a cancel. */
#define KMEMU_FX_CANCEL_NONE 0
#define KMEMU_FX_CANCEL_MARKED 1
#define KMEMU_FX_CANCEL_CLAIMED 2

extern pthread_mutex_t kmemu__fx_lock;

/* io_device.c */
NTSTATUS kmemu__fx_dispatch(struct kmemu__io_device *iodev, struct kmemu__irp *irp);
/* io_request.c */
NTSTATUS kmemu__fx_request_new(struct kmemu__fx_device *d, struct kmemu__irp *irp,
			       struct kmemu__fx_request **out);
void kmemu__fx_in_caller(struct kmemu__fx_device *d, struct kmemu__fx_request *r);
/* Give @r to the queue for its type (or complete it when there is none). */
void kmemu__fx_route(struct kmemu__fx_device *d, struct kmemu__fx_request *r, const char *fn);
void kmemu__fx_queue_attach(struct kmemu__fx_device *d, struct kmemu__fx_queue *q);
void kmemu__fx_queue_detach(struct kmemu__fx_queue *q);
/* The I/O manager's cancel of @irp (kmemu__io_device.cancel). */
void kmemu__fx_cancel(struct kmemu__irp *irp);

#endif /* KMEMU_API_WDF_IO_WDF_H */
