/* SPDX-License-Identifier: MIT */
/*
 * io_int.h - the emulated I/O manager (io.c) and what the KMDF device,
 * queue and request code (io_device.c, io_request.c) shares with it.
 *
 * The I/O manager is backend-neutral.  An emulated user process (a host
 * thread attached to it) opens a device by name and sends IRPs; io.c
 * builds each IRP the way Windows' I/O manager does for the transfer type
 * (system buffer for METHOD_BUFFERED, an MDL locked through the backend's
 * ->mdl_probe_lock for direct I/O, raw user addresses for METHOD_NEITHER),
 * hands it to the device's dispatch function on the sending thread, and on
 * completion copies buffered output back, unlocks, and wakes the sender.
 *
 * Locking: each IRP has its own mutex for its completion state; the device
 * list has one mutex.  No lock is held while a driver callback runs.
 */
#ifndef KMEMU_API_WDF_IO_INT_H
#define KMEMU_API_WDF_IO_INT_H

#include <pthread.h>
#include <kmemu/wdfio.h>
#include "../core.h"

#define KMEMU_IRP_MJ_CREATE 0x00
#define KMEMU_IRP_MJ_CLOSE 0x02
#define KMEMU_IRP_MJ_READ 0x03
#define KMEMU_IRP_MJ_WRITE 0x04
#define KMEMU_IRP_MJ_DEVICE_CONTROL 0x0e
#define KMEMU_IRP_MJ_INTERNAL_DEVICE_CONTROL 0x0f

/* Transfer types of a device's reads and writes (WDF_DEVICE_IO_TYPE values). */
#define KMEMU_IO_BUFFERED 2
#define KMEMU_IO_DIRECT 3
#define KMEMU_IO_NEITHER 1

struct kmemu__io_device;

/* One I/O request packet: what the driver side may read of it. */
struct kmemu__irp {
	uint8_t major;              /* KMEMU_IRP_MJ_* */
	uint32_t ioctl;             /* IoControlCode (DEVICE_CONTROL) */
	kmemu_pid pid;              /* requestor process */
	uint64_t thread;            /* requestor thread (kmemu__thread_id), 0 = kernel sender */
	int user_mode;              /* RequestorMode == UserMode */
	uint64_t in_user;           /* the caller's input address (Type3InputBuffer, write UserBuffer) */
	uint64_t out_user;          /* the caller's output address (UserBuffer) */
	size_t in_len;              /* InputBufferLength / write Length */
	size_t out_len;             /* OutputBufferLength / read Length */
	void *system_buffer;        /* AssociatedIrp.SystemBuffer (buffered), or NULL */
	void *mdl_alias;            /* the MDL's system address (direct), or NULL */
	void *mdl_lock;             /* the backend's lock of it */
	size_t mdl_len;             /* bytes the MDL describes */
	int mdl_write;              /* locked for write */
	struct kmemu__io_device *dev;  /* target (holds a reference) */
	void *fx;                   /* the framework's request for it (io_request.c) */
	/* completion */
	pthread_mutex_t lock;
	pthread_cond_t done_cv;
	int done;                   /* IoCompleteRequest ran */
	NTSTATUS status;            /* IoStatus.Status */
	uintptr_t information;      /* IoStatus.Information */
	struct kmemu_backend *b;    /* the instance it was sent on */
	int cancel;                 /* Irp->Cancel: kmemu_io_cancel ran */
	unsigned cancel_busy;       /* cancels in progress: the IRP stays until they end */
};

/* A device the I/O manager can open by name. */
struct kmemu__io_device {
	uint16_t *name;             /* UTF-16 name ("\\Device\\X"), not terminated */
	size_t name_len;            /* units */
	int io_type;                /* KMEMU_IO_* for reads and writes */
	struct kmemu_backend *b;    /* the instance it lives in */
	/* IoCallDriver: STATUS_PENDING, or the status after completing @irp. */
	NTSTATUS (*dispatch)(struct kmemu__io_device *dev, struct kmemu__irp *irp);
	/* IoCancelIrp's cancel routine: act on @irp's cancel (may complete it). */
	void (*cancel)(struct kmemu__irp *irp);
	void *ctx;                  /* the framework's device, NULL once it is gone */
	uint32_t refs;              /* the framework's + open files + IRPs in flight */
	int gone;                   /* unregistered: no new opens or IRPs */
	struct kmemu__io_device *next;
};

/* A small number unique to the calling host thread (never 0). */
uint64_t kmemu__thread_id(void);
/* A device with one reference (the framework's); @name (UTF-16, @name_len
 * units, may be NULL) is copied.  NULL when memory runs out. */
struct kmemu__io_device *kmemu__io_device_new(const uint16_t *name, size_t name_len);
/* Make @dev openable by name; STATUS_OBJECT_NAME_COLLISION when taken. */
kmemu_status kmemu__io_device_register(struct kmemu__io_device *dev);
/* The framework's device goes: unregister, refuse new requests, drop the
 * framework's reference (open files and IRPs in flight keep @dev alive). */
void kmemu__io_device_gone(struct kmemu__io_device *dev);
/* IoCompleteRequest: copy buffered output back (Information bytes), unlock
 * the MDL, free the system buffer, wake the sender.  Exactly once per IRP. */
void kmemu__irp_complete(struct kmemu__irp *irp, NTSTATUS status, uintptr_t information);
/* The IRP's method (METHOD_* of the IOCTL, or the device's type as a method
 * for reads and writes). */
unsigned kmemu__irp_method(const struct kmemu__irp *irp);

#endif /* KMEMU_API_WDF_IO_INT_H */
