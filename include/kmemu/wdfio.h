/* SPDX-License-Identifier: MIT */
/*
 * wdfio.h - control API, devices and I/O: the user side of the emulated
 * I/O manager.  A test thread attached to an emulated process (see
 * kmemu_process_attach(): the thread is then one of that process's
 * threads) opens a device a driver created by its name and sends it
 * DeviceIoControl, read and write requests whose buffers are user
 * addresses of that process (a WDS_SharedBuffer* pUserAddr, a section
 * view ...).
 *
 * The I/O manager builds each request as Windows does for its transfer
 * type: METHOD_BUFFERED (and reads/writes of a buffered device) copy the
 * input into a system buffer and, at completion, copy Information bytes of
 * it back to the output buffer; METHOD_IN_DIRECT / METHOD_OUT_DIRECT (and a
 * direct device) lock the output buffer (IN_DIRECT for reading,
 * OUT_DIRECT for writing) and map it in kernel space; METHOD_NEITHER (and a
 * neither device) pass the raw user addresses.  The sending thread is the
 * request's requestor thread.  The driver's dispatch runs on the sending
 * thread; a send returns when the request is completed, by that thread or
 * any other.
 */
#ifndef KMEMU_WDFIO_H
#define KMEMU_WDFIO_H

#include <stddef.h>
#include <stdint.h>
#include <kmemu/kmemu.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== devices and I/O ====================================================== */

struct kmemu_io_file;  /* an open device (a file object of the user process) */
struct kmemu_io_op;    /* a request sent asynchronously, not yet waited for */

/* What a request asks. */
enum kmemu_io_kind {
	KMEMU_IO_DEVICE_CONTROL = 0,  /* DeviceIoControl(code, in, out) */
	KMEMU_IO_READ = 1,            /* ReadFile(out, out_len) */
	KMEMU_IO_WRITE = 2,           /* WriteFile(in, in_len) */
	KMEMU_IO_INTERNAL_DEVICE_CONTROL = 3  /* IRP_MJ_INTERNAL_DEVICE_CONTROL as a kernel-mode
					       * sender builds it (KernelMode, no thread; the
					       * addresses are passed as they are) */
};

/* One request's parameters; user addresses are of the current process. */
struct kmemu_io_args {
	enum kmemu_io_kind kind;      /* what it asks */
	uint32_t code;                /* IOCTL code (CTL_CODE; the low 2 bits are the method) */
	uint64_t in;                  /* input buffer (DEVICE_CONTROL, WRITE) */
	size_t in_len;                /* its length */
	uint64_t out;                 /* output buffer (DEVICE_CONTROL, READ) */
	size_t out_len;               /* its length */
	uint64_t information;         /* out: IoStatus.Information of a completed request */
};

/**
 * kmemu_io_open() - open a device in the current emulated process.
 * @name: the device's name as the driver named it ("\\Device\\Foo"),
 *        compared ASCII case-insensitively.
 * @out:  receives the open device.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL argument);
 * STATUS_OBJECT_NAME_NOT_FOUND (no such device on the current instance);
 * STATUS_INSUFFICIENT_RESOURCES.
 */
kmemu_status kmemu_io_open(const char *name, struct kmemu_io_file **out);

/**
 * kmemu_io_close() - close an open device (CloseHandle).  NULL is ignored.
 * Requests still pending must be waited for first.
 * Context: PASSIVE.
 */
void kmemu_io_close(struct kmemu_io_file *f);

/**
 * kmemu_io_send() - send a request and return without waiting for it.
 * @f:  an open device.
 * @a:  the request; a->information receives Information when the request
 *      completed before the call returned.
 * @op: receives the pending request when the return is STATUS_PENDING,
 *      else NULL.  Wait for it with kmemu_io_wait().
 * Context: PASSIVE.
 * Return: STATUS_PENDING; the request's completion status; before the
 * driver sees anything: STATUS_INVALID_PARAMETER (NULL argument, unknown
 * kind), STATUS_INVALID_DEVICE_REQUEST (the device is being removed),
 * STATUS_ACCESS_VIOLATION (a buffer the I/O manager must copy or lock is
 * not accessible in the process), STATUS_INSUFFICIENT_RESOURCES.
 */
kmemu_status kmemu_io_send(struct kmemu_io_file *f, struct kmemu_io_args *a,
			   struct kmemu_io_op **op);

/**
 * kmemu_io_wait() - wait for a pending request to complete and free it.
 * @op:          from kmemu_io_send().
 * @information: receives IoStatus.Information (may be NULL).
 * Context: PASSIVE; blocks until some thread completes the request.
 * Return: the request's completion status; STATUS_INVALID_PARAMETER for NULL.
 */
kmemu_status kmemu_io_wait(struct kmemu_io_op *op, uint64_t *information);

/**
 * kmemu_io_cancel() - cancel a pending request (CancelIoEx on it): the
 * IRP's cancel flag is set and the framework acts on it at once, on this
 * thread: a request the driver marked cancelable gets its EvtRequestCancel
 * (called here, at this thread's IRQL); a request waiting in a queue is
 * taken out of it and completed with STATUS_CANCELLED, or handed to the
 * queue's EvtIoCanceledOnQueue when the driver had it before and requeued
 * it; any other request is only flagged (WdfRequestIsCanceled() says TRUE,
 * a later WdfRequestMarkCancelable sees it).  Wait for the request with
 * kmemu_io_wait() as usual: its status is whatever the driver or the
 * framework completed it with.
 * @op: from kmemu_io_send(), not yet waited for.
 * Context: PASSIVE (any thread).
 * Return: STATUS_SUCCESS (the cancel was delivered or recorded; also for a
 * second cancel); STATUS_NOT_FOUND (the request has already completed);
 * STATUS_INVALID_PARAMETER (NULL @op).
 */
kmemu_status kmemu_io_cancel(struct kmemu_io_op *op);

/**
 * kmemu_io_call() - send a request and wait for it (a synchronous
 * DeviceIoControl / ReadFile / WriteFile).
 * Return: as kmemu_io_send() with STATUS_PENDING replaced by the final status.
 */
kmemu_status kmemu_io_call(struct kmemu_io_file *f, struct kmemu_io_args *a);

/* DeviceIoControl in one call; *@information (may be NULL) receives Information. */
kmemu_status kmemu_io_ioctl(struct kmemu_io_file *f, uint32_t code, uint64_t in, size_t in_len,
			    uint64_t out, size_t out_len, uint64_t *information);

#ifdef KMEMU_WIN_WDF_H
struct kmemu_wdf_driver;
/**
 * kmemu_wdf_device_add() - what the PnP manager does when it finds a device
 * of a loaded driver: call its EvtDriverDeviceAdd with a fresh
 * WDFDEVICE_INIT (freed afterwards whatever the callback did).
 * @drv: a loaded PnP driver (WDF_DRIVER_CONFIG.EvtDriverDeviceAdd set).
 * @out: receives the device the callback created, or NULL (may be NULL).
 * Context: PASSIVE.
 * Return: the callback's status; STATUS_INVALID_PARAMETER (no driver, no
 * WdfDriverCreate yet, or no EvtDriverDeviceAdd); STATUS_INSUFFICIENT_RESOURCES.
 */
kmemu_status kmemu_wdf_device_add(struct kmemu_wdf_driver *drv, WDFDEVICE *out);
#endif

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_WDFIO_H */
