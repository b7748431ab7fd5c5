/* SPDX-License-Identifier: MIT */
/*
 * io_device.c - WDFDEVICE and WDFQUEUE: device initialisation, control
 * devices and EvtDriverDeviceAdd, registration with the I/O manager (io.c),
 * queues and how a request reaches the driver (in-caller context, then the
 * queue's dispatch type: sequential, parallel or manual).
 *
 * A request arrives on the sending thread (io.c calls fx_dispatch); its
 * WDFREQUEST is made there (io_request.c), shown to EvtIoInCallerContext if
 * the device has one, else given to the queue for its type.  A sequential
 * queue presents the next request when the driver completes the current
 * one, on the completing thread.
 */
#include <string.h>
#include "io_wdf.h"

static const char *const no_fn = "kmemu I/O dispatch";

/* ---- WDFDEVICE_INIT ------------------------------------------------------------ */

struct WDFDEVICE_INIT {
	struct kmemu_wdf_globals *g;               /* the driver */
	WDF_DEVICE_IO_TYPE io_type;                /* reads and writes */
	PFN_WDF_IO_IN_CALLER_CONTEXT in_caller;    /* or NULL */
	uint16_t *name;                            /* assigned name, or NULL */
	size_t name_len;                           /* UTF-16 units */
	int is_control;                            /* WdfControlDeviceInitAllocate */
	int framework_owned;                       /* EvtDriverDeviceAdd's: freed by the framework */
};

/* a fresh init of driver @g: buffered I/O, no name, no callback */
static struct WDFDEVICE_INIT *init_new(struct kmemu_wdf_globals *g, int is_control)
{
	struct WDFDEVICE_INIT *i = kmemu__calloc(1, sizeof(*i));

	if (i) {
		i->g = g;
		i->io_type = WdfDeviceIoBuffered;
		i->is_control = is_control;
	}
	return i;
}

/* WdfDeviceInitFree() - see <wdfdevice.h>. */
VOID WdfDeviceInitFree(PWDFDEVICE_INIT DeviceInit)
{
	if (!DeviceInit)
		return;
	kmemu__free(DeviceInit->name);
	kmemu__free(DeviceInit);
}

/* WdfControlDeviceInitAllocate() - see <wdfdevice.h>: the driver handle is resolved (0x10D/5). */
PWDFDEVICE_INIT WdfControlDeviceInitAllocate(WDFDRIVER Driver, PCUNICODE_STRING SDDLString)
{
	static const char fn[] = "WdfControlDeviceInitAllocate";
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_object *d;

	(void)SDDLString;  /* recorded by Windows for the ACL; no security model here */
	if (!g || !(d = kmemu__wdf_object_get(g, (WDFOBJECT)Driver, KMEMU_FX_TYPE_DRIVER, fn)))
		return NULL;
	return init_new(d->globals, 1);
}

/* WdfDeviceInitSetIoType() - see <wdfdevice.h>. */
VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType)
{
	if (!kmemu__wdf_pointer_not_null(kmemu__wdf_globals("WdfDeviceInitSetIoType"), DeviceInit,
					 "WdfDeviceInitSetIoType"))
		return;
	if (IoType > WdfDeviceIoUndefined && IoType < WdfDeviceIoMaximum)
		DeviceInit->io_type = IoType == WdfDeviceIoBufferedOrDirect ? WdfDeviceIoBuffered : IoType;
}

/* WdfDeviceInitSetIoInCallerContextCallback() - see <wdfdevice.h>. */
VOID WdfDeviceInitSetIoInCallerContextCallback(PWDFDEVICE_INIT DeviceInit,
					       PFN_WDF_IO_IN_CALLER_CONTEXT EvtIoInCallerContext)
{
	static const char fn[] = "WdfDeviceInitSetIoInCallerContextCallback";

	if (kmemu__wdf_pointer_not_null(kmemu__wdf_globals(fn), DeviceInit, fn))
		DeviceInit->in_caller = EvtIoInCallerContext;
}

/* WdfDeviceInitAssignName() - see <wdfdevice.h>: the name is copied. */
NTSTATUS WdfDeviceInitAssignName(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING DeviceName)
{
	static const char fn[] = "WdfDeviceInitAssignName";
	uint16_t *n;

	if (!kmemu__wdf_pointer_not_null(kmemu__wdf_globals(fn), DeviceInit, fn))
		return KMEMU_WDF_STATUS_HANDLED;
	if (!DeviceName) {
		kmemu__free(DeviceInit->name);
		DeviceInit->name = NULL;
		DeviceInit->name_len = 0;
		return STATUS_SUCCESS;
	}
	if (!DeviceName->Buffer || DeviceName->Length == 0 || (DeviceName->Length & 1))
		return STATUS_INVALID_PARAMETER;
	n = kmemu__malloc(DeviceName->Length);
	if (!n)
		return STATUS_INSUFFICIENT_RESOURCES;
	memcpy(n, DeviceName->Buffer, DeviceName->Length);
	kmemu__free(DeviceInit->name);
	DeviceInit->name = n;
	DeviceInit->name_len = DeviceName->Length / 2;
	return STATUS_SUCCESS;
}

/* ---- WDFDEVICE ----------------------------------------------------------------------- */

/* The device goes: no new opens or requests (open files and requests in
 * flight keep the I/O manager's side alive). */
static void device_dispose(struct kmemu_wdf_object *o)
{
	struct kmemu__fx_device *d = (struct kmemu__fx_device *)o;

	if (d->io) {
		kmemu__io_device_gone(d->io);
		d->io = NULL;
	}
}

static const struct kmemu_wdf_object_ops device_ops = {
	.name = "WDFDEVICE",
	.dispose = device_dispose,
	.destroy = device_dispose,
};

/* Make the device openable (a named device, once). */
static NTSTATUS device_register(struct kmemu__fx_device *d)
{
	NTSTATUS st;

	if (d->registered || !d->io->name)
		return STATUS_SUCCESS;
	st = kmemu__io_device_register(d->io);
	if (st == STATUS_SUCCESS)
		d->registered = 1;
	return st;
}

/* WdfDeviceCreate() - see <wdfdevice.h>: a PnP device is openable at once,
 * a control device after WdfControlFinishInitializing(). */
NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes,
			 WDFDEVICE *Device)
{
	static const char fn[] = "WdfDeviceCreate";
	uintptr_t caller = KMEMU_WDF_CALLER;
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct WDFDEVICE_INIT *init;
	struct kmemu__fx_device *d;
	WDFOBJECT h;
	NTSTATUS st;

	if (!g || kmemu__wdf_pointer_null(g, DeviceInit, fn, caller) ||
	    kmemu__wdf_pointer_null(g, DeviceInit ? *DeviceInit : NULL, fn, caller) ||
	    kmemu__wdf_pointer_null(g, Device, fn, caller))
		return KMEMU_WDF_STATUS_HANDLED;
	init = *DeviceInit;
	st = kmemu__wdf_validate_attributes(DeviceAttributes, KMEMU_WDF_ATTR_SYNC_SCOPE_ALLOWED |
								  KMEMU_WDF_ATTR_EXEC_LEVEL_ALLOWED |
								  KMEMU_WDF_ATTR_PARENT_NOT_ALLOWED);
	if (st)
		return st;
	d = (struct kmemu__fx_device *)kmemu__wdf_object_new(init->g, sizeof(*d), KMEMU_FX_TYPE_DEVICE,
							    &device_ops, DeviceAttributes, caller);
	if (!d)
		return STATUS_INSUFFICIENT_RESOURCES;
	d->io_type = init->io_type;
	d->in_caller = init->in_caller;
	d->is_control = init->is_control;
	d->io = kmemu__io_device_new(init->name, init->name_len);
	if (!d->io) {
		kmemu__wdf_object_abort(&d->obj);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	d->io->io_type = (int)init->io_type;
	d->io->b = init->g->inst->backend;
	d->io->dispatch = kmemu__fx_dispatch;
	d->io->cancel = kmemu__fx_cancel;
	d->io->ctx = d;
	/* a PnP device is started at once; a control device at
	 * WdfControlFinishInitializing */
	if (!d->is_control && (st = device_register(d)) != STATUS_SUCCESS) {
		kmemu__wdf_object_abort(&d->obj);
		return st;
	}
	st = kmemu__wdf_object_commit(&d->obj, DeviceAttributes, NULL, fn, &h);
	if (st)
		return st;
	if (!init->framework_owned)
		WdfDeviceInitFree(init);
	*DeviceInit = NULL;
	*Device = (WDFDEVICE)h;
	return STATUS_SUCCESS;
}

/* WdfControlFinishInitializing() - see <wdfdevice.h>: register the name. */
VOID WdfControlFinishInitializing(WDFDEVICE Device)
{
	static const char fn[] = "WdfControlFinishInitializing";
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_object *o = g ? kmemu__wdf_object_get(g, (WDFOBJECT)Device,
							       KMEMU_FX_TYPE_DEVICE, fn) : NULL;
	NTSTATUS st;

	if (!o)
		return;
	st = device_register((struct kmemu__fx_device *)o);
	if (st)
		kmemu__wdf_trace(o->globals, fn, "device name already in use (0x%08X): not openable",
				 (unsigned)st);
}

/* WdfDeviceGetDefaultQueue() - see <wdfdevice.h>. */
WDFQUEUE WdfDeviceGetDefaultQueue(WDFDEVICE Device)
{
	static const char fn[] = "WdfDeviceGetDefaultQueue";
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_object *o = g ? kmemu__wdf_object_get(g, (WDFOBJECT)Device,
							       KMEMU_FX_TYPE_DEVICE, fn) : NULL;
	struct kmemu__fx_device *d = (struct kmemu__fx_device *)o;

	return d && d->default_queue ? (WDFQUEUE)kmemu__wdf_handle(&d->default_queue->obj) : NULL;
}

/* kmemu_wdf_device_add() - see <kmemu/wdfio.h>. */
kmemu_status kmemu_wdf_device_add(struct kmemu_wdf_driver *drv, WDFDEVICE *out)
{
	struct kmemu_wdf_globals *g = (struct kmemu_wdf_globals *)(void *)drv, *prev;
	struct WDFDEVICE_INIT *init;
	struct kmemu_wdf_object *before;
	NTSTATUS st;

	if (!g || !g->driver || !g->config.EvtDriverDeviceAdd)
		return STATUS_INVALID_PARAMETER;
	init = init_new(g, 0);
	if (!init)
		return STATUS_INSUFFICIENT_RESOURCES;
	init->framework_owned = 1;
	before = g->driver->last_child;
	prev = kmemu__wdf_enter(g);
	st = g->config.EvtDriverDeviceAdd((WDFDRIVER)kmemu__wdf_handle(g->driver), init);
	kmemu__wdf_leave(prev);
	/* the device EvtDriverDeviceAdd made: the newest device child of the driver */
	if (out) {
		*out = NULL;
		pthread_mutex_lock(&g->inst->lock);
		for (struct kmemu_wdf_object *c = g->driver->last_child; c && c != before;
		     c = c->prev_sibling)
			if (c->type == KMEMU_FX_TYPE_DEVICE) {
				*out = (WDFDEVICE)kmemu__wdf_handle(c);
				break;
			}
		pthread_mutex_unlock(&g->inst->lock);
	}
	WdfDeviceInitFree(init);
	return st;
}

/* ---- WDFQUEUE ------------------------------------------------------------------------ */

static void queue_dispose(struct kmemu_wdf_object *o)
{
	struct kmemu__fx_queue *q = (struct kmemu__fx_queue *)o;

	kmemu__fx_queue_detach(q);
}

static const struct kmemu_wdf_object_ops queue_ops = {
	.name = "WDFQUEUE",
	.dispose = queue_dispose,
};

/* WdfIoQueueCreate() - see <wdfio.h>: the queue is a child of the device. */
NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config,
			  PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE *Queue)
{
	static const char fn[] = "WdfIoQueueCreate";
	uintptr_t caller = KMEMU_WDF_CALLER;
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_object *o;
	struct kmemu__fx_device *d;
	struct kmemu__fx_queue *q;
	WDFOBJECT h;
	NTSTATUS st;
	int any_cb;

	if (!g || !(o = kmemu__wdf_object_get(g, (WDFOBJECT)Device, KMEMU_FX_TYPE_DEVICE, fn)) ||
	    kmemu__wdf_pointer_null(g, Config, fn, caller))
		return KMEMU_WDF_STATUS_HANDLED;
	d = (struct kmemu__fx_device *)o;
	if (Config->Size != sizeof(WDF_IO_QUEUE_CONFIG))
		return STATUS_INFO_LENGTH_MISMATCH;
	if (Config->DispatchType <= WdfIoQueueDispatchInvalid ||
	    Config->DispatchType >= WdfIoQueueDispatchMax)
		return STATUS_INVALID_PARAMETER;
	any_cb = Config->EvtIoDefault || Config->EvtIoRead || Config->EvtIoWrite ||
		 Config->EvtIoDeviceControl || Config->EvtIoInternalDeviceControl;
	if (Config->DispatchType != WdfIoQueueDispatchManual && !any_cb)
		return STATUS_INVALID_PARAMETER;
	st = kmemu__wdf_validate_attributes(QueueAttributes, KMEMU_WDF_ATTR_SYNC_SCOPE_ALLOWED |
								 KMEMU_WDF_ATTR_EXEC_LEVEL_ALLOWED);
	if (st)
		return st;
	if (Config->DefaultQueue && d->default_queue)
		return STATUS_INVALID_DEVICE_REQUEST;
	q = (struct kmemu__fx_queue *)kmemu__wdf_object_new(o->globals, sizeof(*q), KMEMU_FX_TYPE_QUEUE,
							   &queue_ops, QueueAttributes, caller);
	if (!q)
		return STATUS_INSUFFICIENT_RESOURCES;
	q->config = *Config;
	q->config.Driver = (WDFDRIVER)kmemu__wdf_handle(o->globals->driver);
	q->dev = d;
	q->obj.is_no_delete = Config->DefaultQueue ? 1 : 0;
	st = kmemu__wdf_object_commit(&q->obj, QueueAttributes, &d->obj, fn, &h);
	if (st)
		return st;
	kmemu__fx_queue_attach(d, q);
	if (Queue)
		*Queue = (WDFQUEUE)h;
	return STATUS_SUCCESS;
}

/* WdfIoQueueGetDevice() - see <wdfio.h>. */
WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue)
{
	static const char fn[] = "WdfIoQueueGetDevice";
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_object *o = g ? kmemu__wdf_object_get(g, (WDFOBJECT)Queue,
							       KMEMU_FX_TYPE_QUEUE, fn) : NULL;

	return o ? (WDFDEVICE)kmemu__wdf_handle(&((struct kmemu__fx_queue *)o)->dev->obj) : NULL;
}

/* The I/O manager's entry: make the request and show it to the driver. */
NTSTATUS kmemu__fx_dispatch(struct kmemu__io_device *iodev, struct kmemu__irp *irp)
{
	struct kmemu__fx_device *d = iodev->ctx;
	struct kmemu_wdf_globals *prev;
	struct kmemu__fx_request *r;
	NTSTATUS st;

	if (!d) {  /* deleted since the send looked */
		kmemu__irp_complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	st = kmemu__fx_request_new(d, irp, &r);
	if (st) {
		kmemu__irp_complete(irp, st, 0);
		return st;
	}
	prev = kmemu__wdf_enter(d->obj.globals);
	if (d->in_caller)
		kmemu__fx_in_caller(d, r);
	else
		kmemu__fx_route(d, r, no_fn);
	kmemu__wdf_leave(prev);
	return STATUS_PENDING;
}
