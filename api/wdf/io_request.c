/* SPDX-License-Identifier: MIT */
/*
 * io_request.c - WDFREQUEST from the I/O manager: queue presentation,
 * parameters and buffers, WdfRequestRetrieveUnsafeUser*Buffer (spec
 * kmdf.md §3), WdfRequestProbeAndLockUserBufferFor{Read,Write} (§1, checks
 * 1-15 in order) and WdfRequestComplete[WithInformation] (§4).
 *
 * ProbeAndLock locks the user range through the backend's ->mdl_probe_lock
 * (a second, kernel mapping of the same frames) and wraps it in request
 * memory (memory.c); the memory's destroy unlocks it and drops the IRP
 * reference it held.  At completion, with the verifier on, the kernel
 * mappings of the request's locked ranges are revoked first: a later touch
 * is reported as the DDI compliance rule it breaks (BufAfterReqCompleted*),
 * and the memory objects report MemAfterReqCompleted* through the memory
 * DDIs.  Then the children are deleted, the IRP-reference check runs
 * (0x10D/3 with the verifier on or off), and the IRP completes.
 */
#include <string.h>
#include "io_wdf.h"

pthread_mutex_t kmemu__fx_lock = PTHREAD_MUTEX_INITIALIZER;

/* Bug check 0xC4 parameter 1 for the KMDF DDI compliance rules kmemu checks
 * at run time (Windows checks them statically only: DECIDED ids). */
#define RULE_BUF_INT_IOCTL 0x000B0001u
#define RULE_BUF_IOCTL 0x000B0002u
#define RULE_BUF_READ 0x000B0003u
#define RULE_BUF_WRITE 0x000B0004u
#define FACILITY_DRIVER_FRAMEWORK 0x20u
#define STATUS_WDF_PAUSED_VALUE ((NTSTATUS)0xC0200203L)

static const char buf_rule_int_ioctl[] = "BufAfterReqCompletedIntIoctlA";
static const char buf_rule_ioctl[] = "BufAfterReqCompletedIoctlA";
static const char buf_rule_read[] = "BufAfterReqCompletedReadA";
static const char buf_rule_write[] = "BufAfterReqCompletedWriteA";

/* The rules a completed request's buffers and memory break, by type. */
static void request_rules(uint8_t major, const char **buf, uint32_t *buf_id, const char **mem)
{
	switch (major) {
	case KMEMU_IRP_MJ_READ:
		*buf = buf_rule_read, *buf_id = RULE_BUF_READ, *mem = "MemAfterReqCompletedReadA";
		break;
	case KMEMU_IRP_MJ_WRITE:
		*buf = buf_rule_write, *buf_id = RULE_BUF_WRITE, *mem = "MemAfterReqCompletedWriteA";
		break;
	case KMEMU_IRP_MJ_INTERNAL_DEVICE_CONTROL:
		*buf = buf_rule_int_ioctl, *buf_id = RULE_BUF_INT_IOCTL;
		*mem = "MemAfterReqCompletedIntIoctlA";
		break;
	default:
		*buf = buf_rule_ioctl, *buf_id = RULE_BUF_IOCTL, *mem = "MemAfterReqCompletedIoctlA";
		break;
	}
}

/* IsVerificationEnabled(1, 9) (§0.4). */
static int verify_1_9(const struct kmemu_wdf_globals *g)
{
	return g->verifier && (g->version_minor >= 9 || g->verify_down_level);
}

/* the handle of @r */
static WDFREQUEST handle_of(struct kmemu__fx_request *r)
{
	return (WDFREQUEST)kmemu__wdf_handle(&r->obj);
}

/* Resolve a WDFREQUEST for DDI @fn; NULL after a handled bug check. */
static struct kmemu__fx_request *request_get(WDFREQUEST h, const char *fn)
{
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);

	return g ? (struct kmemu__fx_request *)kmemu__wdf_object_get(g, (WDFOBJECT)h,
								     KMEMU_FX_TYPE_REQUEST, fn)
		 : NULL;
}

/* ---- request objects ------------------------------------------------------------ */

static void queue_unlink(struct kmemu__fx_request *r);

/* The tag of the reference a cancelable request holds on itself. */
static const char cancel_tag[] = "WdfRequestMarkCancelable";

/* A request whose IRP never completed goes (the device or driver goes with
 * it queued or owned): the I/O manager sees STATUS_CANCELLED.  A request
 * still marked cancelable is not shown to its EvtRequestCancel (README
 * "KMDF request decisions"); its cancel reference is dropped when @unref. */
static void request_gone(struct kmemu__fx_request *r, int unref)
{
	struct kmemu__irp *irp;
	int marked;

	pthread_mutex_lock(&kmemu__fx_lock);
	queue_unlink(r);
	irp = r->irp;
	r->irp = NULL;
	if (irp)
		irp->fx = NULL;
	r->completed = 1;
	marked = r->cancel_state == KMEMU_FX_CANCEL_MARKED;
	r->cancel_state = KMEMU_FX_CANCEL_NONE;
	r->cancel_fn = NULL;
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (irp)
		kmemu__irp_complete(irp, STATUS_CANCELLED, 0);
	if (marked && unref)
		kmemu__wdf_object_unref(&r->obj, cancel_tag, __LINE__, __FILE__, cancel_tag);
}

static void request_dispose(struct kmemu_wdf_object *o)
{
	request_gone((struct kmemu__fx_request *)o, 1);
}

/* the request object goes: its locked ranges forget it (their memory may outlive it) */
static void request_destroy(struct kmemu_wdf_object *o)
{
	struct kmemu__fx_request *r = (struct kmemu__fx_request *)o;

	request_gone(r, 0);  /* reaped or freed: no reference to drop */
	pthread_mutex_lock(&kmemu__fx_lock);
	for (struct kmemu__fx_lock *l = r->locks; l; l = l->next)
		l->req = NULL;
	r->locks = NULL;
	pthread_mutex_unlock(&kmemu__fx_lock);
}

static const struct kmemu_wdf_object_ops request_ops = {
	.name = "WDFREQUEST",
	.dispose = request_dispose,
	.destroy = request_destroy,
};

/**
 * kmemu__fx_request_new() - the WDFREQUEST of an IRP arriving at @d (child
 * of the device, not yet owned by the driver).
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES; a commit failure.
 */
NTSTATUS kmemu__fx_request_new(struct kmemu__fx_device *d, struct kmemu__irp *irp,
			       struct kmemu__fx_request **out)
{
	struct kmemu__fx_request *r;
	NTSTATUS st;

	r = (struct kmemu__fx_request *)kmemu__wdf_object_new(d->obj.globals, sizeof(*r),
							     KMEMU_FX_TYPE_REQUEST, &request_ops, NULL,
							     0);
	if (!r)
		return STATUS_INSUFFICIENT_RESOURCES;
	r->dev = d;
	r->irp = irp;
	r->major = irp->major;
	r->ioctl = irp->ioctl;
	r->method = kmemu__irp_method(irp);
	r->in_len = irp->in_len;
	r->out_len = irp->out_len;
	r->in_user = irp->in_user;
	r->out_user = irp->out_user;
	r->user_mode = irp->user_mode;
	st = kmemu__wdf_object_commit(&r->obj, NULL, &d->obj, "kmemu I/O dispatch", NULL);
	if (st)
		return st;
	pthread_mutex_lock(&kmemu__fx_lock);
	irp->fx = r;
	pthread_mutex_unlock(&kmemu__fx_lock);
	*out = r;
	return STATUS_SUCCESS;
}

/* ---- queues --------------------------------------------------------------------- */

void kmemu__fx_queue_attach(struct kmemu__fx_device *d, struct kmemu__fx_queue *q)
{
	pthread_mutex_lock(&kmemu__fx_lock);
	if (d->n_queues < KMEMU_FX_MAX_QUEUES)
		d->queues[d->n_queues++] = q;
	if (q->config.DefaultQueue)
		d->default_queue = q;
	pthread_mutex_unlock(&kmemu__fx_lock);
}

/* The queue goes: it takes no more requests; waiting ones stay children of
 * the device (cancelled when it goes). */
void kmemu__fx_queue_detach(struct kmemu__fx_queue *q)
{
	struct kmemu__fx_device *d = q->dev;

	pthread_mutex_lock(&kmemu__fx_lock);
	q->detached = 1;
	for (struct kmemu__fx_request *r = q->head; r; r = r->next)
		r->queue = NULL;
	q->head = q->tail = NULL;
	if (q->active)
		q->active->queue = NULL;
	q->active = NULL;
	for (unsigned i = 0; i < d->n_queues; i++)
		if (d->queues[i] == q) {
			d->queues[i] = d->queues[--d->n_queues];
			break;
		}
	if (d->default_queue == q)
		d->default_queue = NULL;
	pthread_mutex_unlock(&kmemu__fx_lock);
}

/* Remove @r from its queue's waiting list.  kmemu__fx_lock held. */
static void queue_unlink(struct kmemu__fx_request *r)
{
	struct kmemu__fx_queue *q = r->queue;
	struct kmemu__fx_request **pp;

	if (!q)
		return;
	if (q->active == r)
		q->active = NULL;
	for (pp = &q->head; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			if (q->tail == r) {
				q->tail = NULL;
				for (struct kmemu__fx_request *t = q->head; t; t = t->next)
					q->tail = t;
			}
			break;
		}
	r->next = NULL;
	r->queue = NULL;
}

/* 1 when @q has its own callback for requests of @major. */
static int queue_handles(const struct kmemu__fx_queue *q, uint8_t major)
{
	switch (major) {
	case KMEMU_IRP_MJ_READ:
		return q->config.EvtIoRead != NULL;
	case KMEMU_IRP_MJ_WRITE:
		return q->config.EvtIoWrite != NULL;
	case KMEMU_IRP_MJ_DEVICE_CONTROL:
		return q->config.EvtIoDeviceControl != NULL;
	case KMEMU_IRP_MJ_INTERNAL_DEVICE_CONTROL:
		return q->config.EvtIoInternalDeviceControl != NULL;
	default:
		return 0;
	}
}

/* Call the queue's callback for @r (the driver now owns it). */
static void present(struct kmemu__fx_queue *q, struct kmemu__fx_request *r)
{
	WDFQUEUE qh = (WDFQUEUE)kmemu__wdf_handle(&q->obj);
	WDFREQUEST rh = handle_of(r);
	const WDF_IO_QUEUE_CONFIG *c = &q->config;

	if (r->major == KMEMU_IRP_MJ_READ && c->EvtIoRead)
		c->EvtIoRead(qh, rh, r->out_len);
	else if (r->major == KMEMU_IRP_MJ_WRITE && c->EvtIoWrite)
		c->EvtIoWrite(qh, rh, r->in_len);
	else if (r->major == KMEMU_IRP_MJ_DEVICE_CONTROL && c->EvtIoDeviceControl)
		c->EvtIoDeviceControl(qh, rh, r->out_len, r->in_len, r->ioctl);
	else if (r->major == KMEMU_IRP_MJ_INTERNAL_DEVICE_CONTROL && c->EvtIoInternalDeviceControl)
		c->EvtIoInternalDeviceControl(qh, rh, r->out_len, r->in_len, r->ioctl);
	else if (c->EvtIoDefault)
		c->EvtIoDefault(qh, rh);
	else
		WdfRequestComplete(rh, STATUS_INVALID_DEVICE_REQUEST);
}

/* Put @r on @q: present it now (parallel, idle sequential) or keep it. */
static void queue_add(struct kmemu__fx_queue *q, struct kmemu__fx_request *r)
{
	int now = 0;

	pthread_mutex_lock(&kmemu__fx_lock);
	r->queue = q;
	if (r->owned)
		r->presented = 1;  /* requeued by the driver */
	r->owned = 0;
	if (q->config.DispatchType == WdfIoQueueDispatchParallel ||
	    (q->config.DispatchType == WdfIoQueueDispatchSequential && !q->active)) {
		now = 1;
		r->owned = 1;
		if (q->config.DispatchType == WdfIoQueueDispatchSequential)
			q->active = r;
	} else {
		r->next = NULL;
		if (q->tail)
			q->tail->next = r;
		else
			q->head = r;
		q->tail = r;
	}
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (now)
		present(q, r);
}

/* A sequential queue's request completed: present the next one. */
static void queue_next(struct kmemu__fx_queue *q)
{
	struct kmemu__fx_request *r = NULL;

	pthread_mutex_lock(&kmemu__fx_lock);
	if (!q->detached && !q->active && q->head &&
	    q->config.DispatchType == WdfIoQueueDispatchSequential) {
		r = q->head;
		q->head = r->next;
		if (!q->head)
			q->tail = NULL;
		r->next = NULL;
		r->owned = 1;
		q->active = r;
	}
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (r)
		present(q, r);
}

/* The queue for a request of @major: a non-default queue with a callback
 * for it, else the default queue.  kmemu__fx_lock held. */
static struct kmemu__fx_queue *queue_for(struct kmemu__fx_device *d, uint8_t major)
{
	for (unsigned i = 0; i < d->n_queues; i++)
		if (d->queues[i] != d->default_queue && queue_handles(d->queues[i], major))
			return d->queues[i];
	return d->default_queue;
}

/* kmemu__fx_route() - see io_wdf.h. */
void kmemu__fx_route(struct kmemu__fx_device *d, struct kmemu__fx_request *r, const char *fn)
{
	struct kmemu__fx_queue *q;

	(void)fn;
	pthread_mutex_lock(&kmemu__fx_lock);
	q = queue_for(d, r->major);
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (!q) {
		r->owned = 1;
		WdfRequestComplete(handle_of(r), STATUS_INVALID_DEVICE_REQUEST);
		return;
	}
	/* zero-length reads and writes complete at once unless the queue wants them */
	if ((r->major == KMEMU_IRP_MJ_READ || r->major == KMEMU_IRP_MJ_WRITE) &&
	    (r->major == KMEMU_IRP_MJ_READ ? r->out_len : r->in_len) == 0 &&
	    !q->config.AllowZeroLengthRequests) {
		r->owned = 1;
		WdfRequestComplete(handle_of(r), STATUS_SUCCESS);
		return;
	}
	queue_add(q, r);
}

/* show @r to EvtIoInCallerContext on the requesting thread (the driver owns it there) */
void kmemu__fx_in_caller(struct kmemu__fx_device *d, struct kmemu__fx_request *r)
{
	static const char fn[] = "EvtIoInCallerContext";

	/* the callback may complete the request: keep it alive until we are done */
	kmemu__wdf_object_ref(&r->obj, fn, __LINE__, __FILE__);
	pthread_mutex_lock(&kmemu__fx_lock);
	r->owned = 1;
	r->in_caller = 1;
	pthread_mutex_unlock(&kmemu__fx_lock);
	d->in_caller((WDFDEVICE)kmemu__wdf_handle(&d->obj), handle_of(r));
	pthread_mutex_lock(&kmemu__fx_lock);
	r->in_caller = 0;
	pthread_mutex_unlock(&kmemu__fx_lock);
	kmemu__wdf_object_unref(&r->obj, fn, __LINE__, __FILE__, fn);
}

/* WdfDeviceEnqueueRequest() - see <wdfdevice.h>. */
NTSTATUS WdfDeviceEnqueueRequest(WDFDEVICE Device, WDFREQUEST Request)
{
	static const char fn[] = "WdfDeviceEnqueueRequest";
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_object *o = g ? kmemu__wdf_object_get(g, (WDFOBJECT)Device,
							       KMEMU_FX_TYPE_DEVICE, fn) : NULL;
	struct kmemu__fx_request *r = o ? request_get(Request, fn) : NULL;
	struct kmemu__fx_device *d = (struct kmemu__fx_device *)o;
	struct kmemu__fx_queue *q;

	if (!r)
		return KMEMU_WDF_STATUS_HANDLED;
	if (r->obj.globals->verifier && (!r->owned || r->completed)) {
		kmemu__wdf_dbg_break(r->obj.globals, fn, "request %p is not owned by the driver",
				     (void *)Request);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	pthread_mutex_lock(&kmemu__fx_lock);
	q = queue_for(d, r->major);
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (!q)
		return STATUS_INVALID_DEVICE_REQUEST;
	queue_add(q, r);
	return STATUS_SUCCESS;
}

/* WdfIoQueueRetrieveNextRequest() - see <wdfio.h>. */
NTSTATUS WdfIoQueueRetrieveNextRequest(WDFQUEUE Queue, WDFREQUEST *OutRequest)
{
	static const char fn[] = "WdfIoQueueRetrieveNextRequest";
	uintptr_t caller = KMEMU_WDF_CALLER;
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_object *o = g ? kmemu__wdf_object_get(g, (WDFOBJECT)Queue,
							       KMEMU_FX_TYPE_QUEUE, fn) : NULL;
	struct kmemu__fx_queue *q = (struct kmemu__fx_queue *)o;
	struct kmemu__fx_request *r;

	if (!q || kmemu__wdf_pointer_null(g, OutRequest, fn, caller))
		return KMEMU_WDF_STATUS_HANDLED;
	*OutRequest = NULL;
	if (q->config.DispatchType != WdfIoQueueDispatchManual)
		return STATUS_INVALID_DEVICE_REQUEST;
	pthread_mutex_lock(&kmemu__fx_lock);
	r = q->head;
	if (r) {
		q->head = r->next;
		if (!q->head)
			q->tail = NULL;
		r->next = NULL;
		r->owned = 1;
	}
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (!r)
		return STATUS_NO_MORE_ENTRIES;
	*OutRequest = handle_of(r);
	return STATUS_SUCCESS;
}

/* WdfRequestForwardToIoQueue() - see <wdfio.h>. */
NTSTATUS WdfRequestForwardToIoQueue(WDFREQUEST Request, WDFQUEUE DestinationQueue)
{
	static const char fn[] = "WdfRequestForwardToIoQueue";
	struct kmemu__fx_request *r = request_get(Request, fn);
	struct kmemu_wdf_object *o = r ? kmemu__wdf_object_get(r->obj.globals,
							       (WDFOBJECT)DestinationQueue,
							       KMEMU_FX_TYPE_QUEUE, fn) : NULL;
	struct kmemu__fx_queue *q = (struct kmemu__fx_queue *)o, *from;

	if (!q)
		return KMEMU_WDF_STATUS_HANDLED;
	pthread_mutex_lock(&kmemu__fx_lock);
	from = r->queue;
	if (!r->owned || r->completed || q == from || q->dev != r->dev || q->detached) {
		pthread_mutex_unlock(&kmemu__fx_lock);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	if (r->cancel_state != KMEMU_FX_CANCEL_NONE) {
		/* a forwarded request cannot be cancelable (unmark it first) */
		pthread_mutex_unlock(&kmemu__fx_lock);
		if (r->obj.globals->verifier)
			kmemu__wdf_dbg_break(r->obj.globals, fn, "request %p is cancelable",
					     (void *)Request);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	if (from && from->active == r)
		from->active = NULL;
	r->queue = NULL;
	pthread_mutex_unlock(&kmemu__fx_lock);
	queue_add(q, r);
	if (from)
		queue_next(from);
	return STATUS_SUCCESS;
}

/* ---- parameters and buffers ----------------------------------------------------- */

VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters)
{
	static const char fn[] = "WdfRequestGetParameters";
	uintptr_t caller = KMEMU_WDF_CALLER;
	struct kmemu__fx_request *r = request_get(Request, fn);

	if (!r || kmemu__wdf_pointer_null(r->obj.globals, Parameters, fn, caller))
		return;
	WDF_REQUEST_PARAMETERS_INIT(Parameters);
	Parameters->Type = (WDF_REQUEST_TYPE)r->major;
	switch (r->major) {
	case KMEMU_IRP_MJ_READ:
		Parameters->Parameters.Read.Length = r->out_len;
		break;
	case KMEMU_IRP_MJ_WRITE:
		Parameters->Parameters.Write.Length = r->in_len;
		break;
	default:
		Parameters->Parameters.DeviceIoControl.OutputBufferLength = r->out_len;
		Parameters->Parameters.DeviceIoControl.InputBufferLength = r->in_len;
		Parameters->Parameters.DeviceIoControl.IoControlCode = r->ioctl;
		if (r->method == METHOD_NEITHER)
			Parameters->Parameters.DeviceIoControl.Type3InputBuffer =
				(PVOID)(uintptr_t)r->in_user;
		break;
	}
}

/* WdfRequestGetRequestorMode() - see <wdfrequest.h>. */
KPROCESSOR_MODE WdfRequestGetRequestorMode(WDFREQUEST Request)
{
	struct kmemu__fx_request *r = request_get(Request, "WdfRequestGetRequestorMode");

	return r && r->user_mode ? UserMode : KernelMode;
}

/* WdfRequestSetInformation() - see <wdfrequest.h>. */
VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information)
{
	struct kmemu__fx_request *r = request_get(Request, "WdfRequestSetInformation");

	if (r)
		r->information = Information;
}

/* WdfRequestGetInformation() - see <wdfrequest.h>. */
ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request)
{
	struct kmemu__fx_request *r = request_get(Request, "WdfRequestGetInformation");

	return r ? r->information : 0;
}

/* The buffer a Retrieve{Input,Output}{Buffer,Memory} call gets, by the
 * request's transfer type.  *@read_only is the memory's flag (§2.5). */
static NTSTATUS request_buffer(struct kmemu__fx_request *r, int output, void **buf, size_t *len,
			       int *read_only)
{
	struct kmemu__irp *irp = r->irp;

	if (!irp)
		return STATUS_INVALID_DEVICE_REQUEST;  /* completed (DECIDED) */
	/* kmemu's kernel-mode senders pass raw addresses only (DECIDED) */
	if ((output && r->major == KMEMU_IRP_MJ_WRITE) || (!output && r->major == KMEMU_IRP_MJ_READ) ||
	    r->method == METHOD_NEITHER || !r->user_mode)
		return STATUS_INVALID_DEVICE_REQUEST;
	*read_only = 0;
	if (r->major == KMEMU_IRP_MJ_READ || r->major == KMEMU_IRP_MJ_WRITE) {
		*len = output ? r->out_len : r->in_len;
		*buf = r->method == METHOD_BUFFERED ? irp->system_buffer : irp->mdl_alias;
		*read_only = r->major == KMEMU_IRP_MJ_WRITE;
	} else if (!output) {
		*len = r->in_len;
		*buf = irp->system_buffer;
		*read_only = r->method != METHOD_BUFFERED;
	} else {
		*len = r->out_len;
		*buf = r->method == METHOD_BUFFERED ? irp->system_buffer : irp->mdl_alias;
		*read_only = r->method == METHOD_IN_DIRECT;
	}
	return STATUS_SUCCESS;
}

/* the Retrieve{Input,Output}Buffer DDIs (@output), out-pointers cleared first */
static NTSTATUS retrieve_buffer(WDFREQUEST Request, size_t min, PVOID *Buffer, size_t *Length,
				int output, const char *fn, uintptr_t caller)
{
	struct kmemu__fx_request *r = request_get(Request, fn);
	void *buf = NULL;
	size_t len = 0;
	int ro;
	NTSTATUS st;

	if (!r || kmemu__wdf_pointer_null(r->obj.globals, Buffer, fn, caller))
		return KMEMU_WDF_STATUS_HANDLED;
	*Buffer = NULL;
	if (Length)
		*Length = 0;
	st = request_buffer(r, output, &buf, &len, &ro);
	if (st)
		return st;
	if (len == 0 || len < min)
		return STATUS_BUFFER_TOO_SMALL;
	*Buffer = buf;
	if (Length)
		*Length = len;
	return STATUS_SUCCESS;
}

/* WdfRequestRetrieveInputBuffer() - see <wdfrequest.h>. */
NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize,
				       PVOID *Buffer, size_t *Length)
{
	return retrieve_buffer(Request, MinimumRequiredSize, Buffer, Length, 0,
			       "WdfRequestRetrieveInputBuffer", KMEMU_WDF_CALLER);
}

/* WdfRequestRetrieveOutputBuffer() - see <wdfrequest.h>. */
NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize,
					PVOID *Buffer, size_t *Length)
{
	return retrieve_buffer(Request, MinimumRequiredSize, Buffer, Length, 1,
			       "WdfRequestRetrieveOutputBuffer", KMEMU_WDF_CALLER);
}

/* the Retrieve{Input,Output}Memory DDIs: one embedded WDFMEMORY per buffer, made on first use */
static NTSTATUS retrieve_memory(WDFREQUEST Request, WDFMEMORY *Memory, int output, const char *fn,
				uintptr_t caller)
{
	struct kmemu__fx_request *r = request_get(Request, fn);
	WDFMEMORY *cache, h;
	void *buf = NULL;
	size_t len = 0;
	int ro;
	NTSTATUS st;

	if (!r || kmemu__wdf_pointer_null(r->obj.globals, Memory, fn, caller))
		return KMEMU_WDF_STATUS_HANDLED;
	st = request_buffer(r, output, &buf, &len, &ro);
	if (st)
		return st;
	if (len == 0)
		return STATUS_BUFFER_TOO_SMALL;
	cache = output ? &r->out_mem : &r->in_mem;
	pthread_mutex_lock(&kmemu__fx_lock);
	h = *cache;
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (!h) {
		st = kmemu__wdf_embedded_memory_create(&r->obj, buf, len, ro, &h);
		if (st)
			return st;
		pthread_mutex_lock(&kmemu__fx_lock);
		*cache = h;
		pthread_mutex_unlock(&kmemu__fx_lock);
	}
	*Memory = h;
	return STATUS_SUCCESS;
}

/* WdfRequestRetrieveInputMemory() - see <wdfrequest.h>. */
NTSTATUS WdfRequestRetrieveInputMemory(WDFREQUEST Request, WDFMEMORY *Memory)
{
	return retrieve_memory(Request, Memory, 0, "WdfRequestRetrieveInputMemory", KMEMU_WDF_CALLER);
}

/* WdfRequestRetrieveOutputMemory() - see <wdfrequest.h>. */
NTSTATUS WdfRequestRetrieveOutputMemory(WDFREQUEST Request, WDFMEMORY *Memory)
{
	return retrieve_memory(Request, Memory, 1, "WdfRequestRetrieveOutputMemory",
			       KMEMU_WDF_CALLER);
}

/* ---- unsafe user buffers (§3) ----------------------------------------------------- */

static NTSTATUS retrieve_unsafe(WDFREQUEST Request, size_t min, PVOID *Buffer, size_t *Length,
				int output, const char *fn, uintptr_t caller)
{
	struct kmemu__fx_request *r = request_get(Request, fn);          /* step 1 */
	struct kmemu_wdf_globals *g;
	NTSTATUS st;
	int neither_dev;

	if (!r)
		return KMEMU_WDF_STATUS_HANDLED;
	g = r->obj.globals;
	if (kmemu__wdf_pointer_null(g, Buffer, fn, caller))                  /* step 2 */
		return KMEMU_WDF_STATUS_HANDLED;
	*Buffer = NULL;                                                      /* step 3 */
	if (Length)
		*Length = 0;
	st = kmemu__wdf_check_irql(g, PASSIVE_LEVEL, fn);                    /* step 4 */
	if (st)
		return st;
	if (g->verifier && !r->in_caller) {                                  /* step 5 */
		kmemu__wdf_dbg_break(g, fn, "request %p: not called in EvtIoInCallerContext",
				     (void *)Request);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	if (r->major == (output ? KMEMU_IRP_MJ_WRITE : KMEMU_IRP_MJ_READ)) {  /* step 6 */
		kmemu__wdf_trace(g, fn, "request %p: wrong request type", (void *)Request);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	if (r->major == KMEMU_IRP_MJ_INTERNAL_DEVICE_CONTROL) {              /* step 7 */
		kmemu__wdf_trace(g, fn, "request %p: internal IOCTL", (void *)Request);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	neither_dev = r->dev->io_type == WdfDeviceIoNeither;
	if ((r->major == KMEMU_IRP_MJ_DEVICE_CONTROL && r->method == METHOD_NEITHER) ||  /* step 8 */
	    (r->major == (output ? KMEMU_IRP_MJ_READ : KMEMU_IRP_MJ_WRITE) && neither_dev)) {  /* 9 */
		size_t len = output ? r->out_len : r->in_len;

		if (len < min)
			return STATUS_BUFFER_TOO_SMALL;
		*Buffer = (PVOID)(uintptr_t)(output ? r->out_user : r->in_user);
		if (Length)
			*Length = len;
		return STATUS_SUCCESS;
	}
	if (!output)                                                         /* step 10 */
		kmemu__wdf_dbg_break(g, fn, "request %p: no unsafe user input buffer for its type",
				     (void *)Request);
	else
		kmemu__wdf_trace(g, fn, "request %p: no unsafe user output buffer for its type",
				 (void *)Request);
	return STATUS_INVALID_DEVICE_REQUEST;
}

/* WdfRequestRetrieveUnsafeUserInputBuffer() - see <wdf.h>. */
NTSTATUS WdfRequestRetrieveUnsafeUserInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
						 PVOID *InputBuffer, size_t *Length)
{
	return retrieve_unsafe(Request, MinimumRequiredLength, InputBuffer, Length, 0,
			       "WdfRequestRetrieveUnsafeUserInputBuffer", KMEMU_WDF_CALLER);
}

/* WdfRequestRetrieveUnsafeUserOutputBuffer() - see <wdf.h>. */
NTSTATUS WdfRequestRetrieveUnsafeUserOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
						  PVOID *OutputBuffer, size_t *Length)
{
	return retrieve_unsafe(Request, MinimumRequiredLength, OutputBuffer, Length, 1,
			       "WdfRequestRetrieveUnsafeUserOutputBuffer", KMEMU_WDF_CALLER);
}

/* ---- ProbeAndLock (§1) -------------------------------------------------------------- */

/* The request memory's destroy: unlock, free the MDL, drop the IRP reference. */
static void lock_release(void *ctx)
{
	struct kmemu__fx_lock *l = ctx;

	pthread_mutex_lock(&kmemu__fx_lock);
	if (l->req) {
		struct kmemu__fx_lock **pp;

		for (pp = &l->req->locks; *pp && *pp != l; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = l->next;
		l->req->irp_refs--;
	}
	pthread_mutex_unlock(&kmemu__fx_lock);
	l->b->ops->mdl_unlock(l->b->st, l->lock);
	kmemu__free(l);
}

/* both ProbeAndLock DDIs (@write): spec §1 steps 1-15 in order */
static NTSTATUS probe_and_lock(WDFREQUEST Request, PVOID Buffer, size_t Length,
			       WDFMEMORY *MemoryObject, int write, const char *fn, uintptr_t caller)
{
	struct kmemu__fx_request *r = request_get(Request, fn);              /* step 1 */
	struct kmemu_wdf_globals *g;
	struct kmemu_backend *b;
	struct kmemu__fx_lock *l;
	struct kmemu__irp *irp;
	ULONG len;
	void *alias = NULL;
	WDFMEMORY h;
	NTSTATUS st;
	int owned;

	if (!r)
		return KMEMU_WDF_STATUS_HANDLED;
	g = r->obj.globals;
	if (kmemu__wdf_pointer_null(g, Buffer, fn, caller) ||               /* step 2 */
	    kmemu__wdf_pointer_null(g, MemoryObject, fn, caller))           /* step 3 */
		return KMEMU_WDF_STATUS_HANDLED;
	if (!write)
		*MemoryObject = NULL;                                        /* step 4 */
	st = kmemu__wdf_check_irql(g, PASSIVE_LEVEL, fn);                    /* step 5 */
	if (st)
		return st;
	pthread_mutex_lock(&kmemu__fx_lock);
	owned = r->owned;
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (verify_1_9(g) && !owned) {                                       /* step 6 */
		kmemu__wdf_dbg_break(g, fn, "request %p is not owned by the driver", (void *)Request);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	len = (ULONG)Length;                                                 /* step 7 */
	if (len == 0) {
		kmemu__wdf_trace(g, fn, "Length 0x%zx is 0 as a ULONG", Length);
		return STATUS_INVALID_USER_BUFFER;
	}
	pthread_mutex_lock(&kmemu__fx_lock);
	irp = r->irp;
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (!irp) {                                                          /* step 8 */
		kmemu__wdf_dbg_break(g, fn, "request %p has no IRP (completed)", (void *)Request);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	if (g->verifier && irp->thread && irp->user_mode &&                  /* step 9 */
	    irp->thread != kmemu__thread_id()) {
		kmemu__wdf_trace(g, fn, "request %p: not the requestor's thread", (void *)Request);
		return STATUS_ACCESS_VIOLATION;
	}
	b = irp->b;
	if (b->ops->version < 5 || !(kmemu_backend_caps(b) & KMEMU_CAP_WDF))
		return STATUS_NOT_SUPPORTED;
	l = kmemu__calloc(1, sizeof(*l));                                    /* step 10 */
	if (!l)
		return STATUS_INSUFFICIENT_RESOURCES;
	l->b = b;
	st = b->ops->mdl_probe_lock(b->st, (uintptr_t)Buffer, len, write,    /* steps 11-12 */
				    &alias, &l->lock);
	if (st) {
		kmemu__free(l);
		return st;
	}
	st = kmemu__wdf_request_memory_create(&r->obj, alias, len, !write,  /* steps 13-14 */
					      lock_release, l, &h);
	if (st) {
		b->ops->mdl_unlock(b->st, l->lock);
		kmemu__free(l);
		return st;
	}
	pthread_mutex_lock(&kmemu__fx_lock);                                 /* step 15 */
	l->req = r;
	l->mem = kmemu__wdf_decode((WDFOBJECT)h);
	l->next = r->locks;
	r->locks = l;
	r->irp_refs++;
	pthread_mutex_unlock(&kmemu__fx_lock);
	*MemoryObject = h;
	return STATUS_SUCCESS;
}

/* WdfRequestProbeAndLockUserBufferForWrite() - see <wdf.h>. */
NTSTATUS WdfRequestProbeAndLockUserBufferForWrite(WDFREQUEST Request, PVOID Buffer, size_t Length,
						  WDFMEMORY *MemoryObject)
{
	return probe_and_lock(Request, Buffer, Length, MemoryObject, 1,
			      "WdfRequestProbeAndLockUserBufferForWrite", KMEMU_WDF_CALLER);
}

/* WdfRequestProbeAndLockUserBufferForRead() - see <wdf.h>. */
NTSTATUS WdfRequestProbeAndLockUserBufferForRead(WDFREQUEST Request, PVOID Buffer, size_t Length,
						 WDFMEMORY *MemoryObject)
{
	return probe_and_lock(Request, Buffer, Length, MemoryObject, 0,
			      "WdfRequestProbeAndLockUserBufferForRead", KMEMU_WDF_CALLER);
}

/* ---- completion (§4) ------------------------------------------------------------------ */

/* §4 step 6: WDF-facility statuses never reach the originator. */
static NTSTATUS remap_status(NTSTATUS st)
{
	if (((ULONG)st & 0x0FFF0000u) != (FACILITY_DRIVER_FRAMEWORK << 16))
		return st;
	if (st == STATUS_WDF_PAUSED_VALUE || st == STATUS_WDF_BUSY)
		return STATUS_DEVICE_BUSY;
	if (st == STATUS_WDF_INTERNAL_ERROR)
		return STATUS_INTERNAL_ERROR;
	/* TOO_FRAGMENTED and unknown codes; also NOT_ENOUGH_MAP_REGISTERS and
	 * TOO_MANY_TRANSFERS, whose own remap lines the framework has
	 * commented out (spec §4 step 6 says INSUFFICIENT_RESOURCES: DECIDED) */
	return STATUS_INVALID_DEVICE_REQUEST;
}

/* The buffer length Information is checked against (§4 step 4), or 0 when
 * the request type is not checked. */
static size_t info_limit(const struct kmemu__fx_request *r, int *checked)
{
	*checked = 1;
	if (r->major == KMEMU_IRP_MJ_READ)
		return r->out_len;
	if (r->major == KMEMU_IRP_MJ_WRITE)
		return r->in_len;
	if (r->major == KMEMU_IRP_MJ_DEVICE_CONTROL && r->user_mode && r->out_len > 0)
		return r->out_len;
	*checked = 0;
	return 0;
}

/* Delete every child of @r (early dispose and DestroyChildren, §4 step 8). */
static void delete_children(struct kmemu__fx_request *r)
{
	struct kmemu_wdf_instance *inst = r->obj.globals->inst;
	struct kmemu_wdf_object *c, *last = NULL;

	for (;;) {
		pthread_mutex_lock(&inst->lock);
		c = r->obj.first_child;
		pthread_mutex_unlock(&inst->lock);
		if (!c || c == last)
			break;
		last = c;
		kmemu__wdf_object_delete(c);
	}
}

/* References beyond the creation one on the request's embedded memories. */
static long embedded_refs(struct kmemu__fx_request *r)
{
	struct kmemu_wdf_instance *inst = r->obj.globals->inst;
	WDFMEMORY mems[2] = { r->in_mem, r->out_mem };
	long n = 0;

	pthread_mutex_lock(&inst->lock);
	for (int i = 0; i < 2; i++)
		if (mems[i] && !(i == 1 && mems[1] == mems[0]))
			n += kmemu__wdf_decode((WDFOBJECT)mems[i])->refcount - 1;
	pthread_mutex_unlock(&inst->lock);
	return n;
}

/* both completion DDIs (@set_info: WithInformation): spec §4 steps 1-10 */
static void request_complete(WDFREQUEST Request, NTSTATUS Status, int set_info, ULONG_PTR info,
			     const char *fn)
{
	struct kmemu__fx_request *r = request_get(Request, fn);              /* step 1 */
	WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA data;
	struct kmemu_wdf_globals *g;
	struct kmemu__fx_queue *q;
	struct kmemu__irp *irp;
	const char *buf_rule, *mem_rule;
	uint32_t buf_id;
	int owned, completed, checked, marked;
	size_t limit;
	long refs;

	if (!r)
		return;
	g = r->obj.globals;
	pthread_mutex_lock(&kmemu__fx_lock);
	owned = r->owned;
	completed = r->completed;
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (g->verifier && (!owned || completed)) {                          /* step 2 */
		kmemu__wdf_dbg_break(g, fn, "request %p %s: not completed", (void *)Request,
				     completed ? "was already completed (STATUS_INTERNAL_ERROR)"
					       : "is not owned by the driver");
		return;
	}
	if (completed) {
		/* verifier off: m_Irp is NULL and Windows dereferences it (DECIDED) */
		kmemu__bugcheck(fn, "request completed twice: it has no IRP any more", WDF_VIOLATION,
				WDF_REQUEST_FATAL_ERROR, WDF_REQUEST_FATAL_ERROR_NULL_IRP,
				(uintptr_t)Request, (uintptr_t)g);
		return;
	}
	if (set_info)                                                        /* step 3 */
		r->information = info;
	pthread_mutex_lock(&kmemu__fx_lock);
	marked = r->cancel_state == KMEMU_FX_CANCEL_MARKED && !r->canceled;
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (g->verifier && marked)                                           /* step 4 */
		kmemu__wdf_dbg_break(g, fn,
				     "request %p completed while marked cancelable: call "
				     "WdfRequestUnmarkCancelable first (it races with the cancel)",
				     (void *)Request);
	limit = info_limit(r, &checked);                                     /* step 4 */
	if (g->verifier && checked && NT_SUCCESS(Status) && r->information > limit) {
		data.Request = Request;
		data.Irp = (PIRP)r->irp;
		data.OutputBufferLength = (ULONG)limit;
		data.Information = r->information;
		data.MajorFunction = r->major;
		kmemu__bugcheck(fn, "Information is larger than the request's buffer", WDF_VIOLATION,
				WDF_REQUEST_FATAL_ERROR,
				WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH,
				(uintptr_t)&data, (uintptr_t)g);
		r->information = limit;  /* a handler returned: nothing past the buffer */
	}
	if (r->major == KMEMU_IRP_MJ_DEVICE_CONTROL && r->user_mode &&       /* step 5 */
	    r->method == METHOD_BUFFERED && r->out_len == 0 && r->information != 0)
		/* IRP_INPUT_OPERATION is cleared: nothing is copied back */
		kmemu__wdf_dbg_break(g, fn,
				     "request %p: METHOD_BUFFERED IOCTL without output buffer "
				     "completed with Information 0x%zx",
				     (void *)Request, (size_t)r->information);
	Status = remap_status(Status);                                       /* step 6 */
	pthread_mutex_lock(&kmemu__fx_lock);
	r->completed = 1;
	r->owned = 0;
	/* a completed request is never cancelled: a cancel from now on only
	 * flags it; the mark's reference goes after the delete below */
	marked = r->cancel_state == KMEMU_FX_CANCEL_MARKED;
	r->cancel_state = KMEMU_FX_CANCEL_NONE;
	r->cancel_fn = NULL;
	pthread_mutex_unlock(&kmemu__fx_lock);
	request_rules(r->major, &buf_rule, &buf_id, &mem_rule);
	if (g->verifier) {
		/* what the driver keeps of the request's buffers now breaks a
		 * rule: touching a locked range's kernel mapping is reported by
		 * the backend, using its WDFMEMORY by the memory DDIs */
		struct kmemu_mdl_report rep = { DRIVER_VERIFIER_DETECTED_VIOLATION, buf_id,
						(uintptr_t)buf_rule, (uintptr_t)Request, fn, buf_rule };

		pthread_mutex_lock(&kmemu__fx_lock);
		for (struct kmemu__fx_lock *l = r->locks; l; l = l->next)
			l->b->ops->mdl_revoke(l->b->st, l->lock, &rep);
		pthread_mutex_unlock(&kmemu__fx_lock);
	}
	/* in both modes the memory DDIs refuse the request's memory from now
	 * on and name the rule (a break with the verifier, a message without:
	 * README "KMDF decisions").  The list changes only when a memory
	 * object is destroyed, which the driver cannot race with its own
	 * completion. */
	for (struct kmemu__fx_lock *l = r->locks; l; l = l->next)
		kmemu__wdf_memory_set_request_completed(l->mem, mem_rule);
	if (r->in_mem)
		kmemu__wdf_memory_set_request_completed(kmemu__wdf_decode((WDFOBJECT)r->in_mem),
							mem_rule);
	if (r->out_mem)
		kmemu__wdf_memory_set_request_completed(kmemu__wdf_decode((WDFOBJECT)r->out_mem),
							mem_rule);
	/* references the driver took on the embedded input/output memory are
	 * IRP references too (offset handles: AddRefOverride) */
	refs = embedded_refs(r);
	/* step 8: children needing PASSIVE_LEVEL are disposed later when the
	 * completion runs above it (kmemu__wdf_object_delete defers them);
	 * KMDF 1.11+ with the verifier warns about it */
	if (kmemu__wdf_irql() > PASSIVE_LEVEL && kmemu__wdf_verification_enabled(g, 11) &&
	    kmemu__wdf_children_need_passive(&r->obj))
		kmemu__wdf_dbg_break(g, fn,
				     "request %p completed at IRQL %u: a child that must be "
				     "disposed at PASSIVE_LEVEL is disposed later",
				     (void *)Request, (unsigned)kmemu__wdf_irql());
	delete_children(r);                                                  /* step 8 */
	pthread_mutex_lock(&kmemu__fx_lock);
	refs += r->irp_refs;
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (refs != 0)                                                       /* step 9 */
		kmemu__bugcheck(fn, "locked user memory of the request is still referenced",
				WDF_VIOLATION, WDF_VERIFIER_FATAL_ERROR, (uintptr_t)Request,
				(uintptr_t)refs, (uintptr_t)g);
	pthread_mutex_lock(&kmemu__fx_lock);                                 /* step 10 */
	irp = r->irp;
	r->irp = NULL;
	if (irp)
		irp->fx = NULL;
	q = r->queue;
	queue_unlink(r);
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (irp)
		kmemu__irp_complete(irp, Status, r->information);
	if (q)
		queue_next(q);
	kmemu__wdf_object_delete(&r->obj);
	if (marked)
		kmemu__wdf_object_unref(&r->obj, cancel_tag, __LINE__, __FILE__, fn);
}

/* WdfRequestComplete() - see <wdf.h>. */
VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status)
{
	request_complete(Request, Status, 0, 0, "WdfRequestComplete");
}

/* WdfRequestCompleteWithInformation() - see <wdf.h>. */
VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status, ULONG_PTR Information)
{
	request_complete(Request, Status, 1, Information, "WdfRequestCompleteWithInformation");
}

/* ---- cancellation ------------------------------------------------------------------------ */

/* What a cancel or a mark does once kmemu__fx_lock is released. */
enum cancel_action { CANCEL_NOTHING, CANCEL_ROUTINE, CANCEL_ON_QUEUE, CANCEL_COMPLETE };

/**
 * kmemu__fx_cancel() - the framework's cancel routine for @irp (the I/O
 * manager's kmemu_io_cancel, on the cancelling thread): a request marked
 * cancelable has its EvtRequestCancel claimed and called, once; a request
 * waiting in a queue leaves it and goes to EvtIoCanceledOnQueue (requeued
 * by the driver, the queue has one) or is completed STATUS_CANCELLED; any
 * other request is only flagged.  Context: no lock held.
 */
void kmemu__fx_cancel(struct kmemu__irp *irp)
{
	enum cancel_action act = CANCEL_NOTHING;
	PFN_WDF_REQUEST_CANCEL cb = NULL;
	struct kmemu_wdf_globals *prev;
	struct kmemu__fx_request *r;
	struct kmemu__fx_queue *q = NULL;

	pthread_mutex_lock(&kmemu__fx_lock);
	r = irp->fx;  /* cleared under the lock when the request completes or goes */
	if (r) {
		r->canceled = 1;
		if (r->cancel_state == KMEMU_FX_CANCEL_MARKED) {
			/* the mark's reference keeps @r until the routine returns */
			r->cancel_state = KMEMU_FX_CANCEL_CLAIMED;
			cb = r->cancel_fn;
			r->cancel_fn = NULL;
			act = CANCEL_ROUTINE;
		} else if (r->queue && !r->owned) {  /* waiting in a queue */
			q = r->queue;
			queue_unlink(r);
			r->owned = 1;
			act = r->presented && q->config.EvtIoCanceledOnQueue ? CANCEL_ON_QUEUE
									    : CANCEL_COMPLETE;
		}
	}
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (act == CANCEL_NOTHING)
		return;
	prev = kmemu__wdf_enter(r->obj.globals);
	switch (act) {
	case CANCEL_ROUTINE:
		cb(handle_of(r));
		kmemu__wdf_object_unref(&r->obj, cancel_tag, __LINE__, __FILE__, "EvtRequestCancel");
		break;
	case CANCEL_ON_QUEUE:
		q->config.EvtIoCanceledOnQueue((WDFQUEUE)kmemu__wdf_handle(&q->obj), handle_of(r));
		break;
	default:
		request_complete(handle_of(r), STATUS_CANCELLED, 0, 0, "kmemu_io_cancel");
		break;
	}
	kmemu__wdf_leave(prev);
}

/* What marking found (mark_cancelable). */
enum mark_result { MARK_OK, MARK_NOT_OWNED, MARK_ALREADY, MARK_CANCELLED, MARK_CALL_NOW };

/* both mark DDIs (@ex: WdfRequestMarkCancelableEx) */
static NTSTATUS mark_cancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL cb, int ex,
				const char *fn, uintptr_t caller)
{
	struct kmemu__fx_request *r = request_get(Request, fn);
	struct kmemu_wdf_globals *g;
	enum mark_result res;
	NTSTATUS st;

	if (!r)
		return KMEMU_WDF_STATUS_HANDLED;
	g = r->obj.globals;
	if (kmemu__wdf_pointer_null(g, (const void *)(uintptr_t)cb, fn, caller))
		return KMEMU_WDF_STATUS_HANDLED;
	st = kmemu__wdf_check_irql(g, DISPATCH_LEVEL, fn);
	if (st)
		return st;
	/* a cancelable request holds a reference on itself (taken while the
	 * driver owns it, so the object is alive) */
	kmemu__wdf_object_ref(&r->obj, cancel_tag, __LINE__, __FILE__);
	pthread_mutex_lock(&kmemu__fx_lock);
	if (!r->owned || r->completed) {
		res = MARK_NOT_OWNED;
	} else if (r->cancel_state != KMEMU_FX_CANCEL_NONE) {
		res = MARK_ALREADY;
	} else if (r->canceled) {
		res = ex ? MARK_CANCELLED : MARK_CALL_NOW;
		if (!ex)
			r->cancel_state = KMEMU_FX_CANCEL_CLAIMED;
	} else {
		res = MARK_OK;
		r->cancel_state = KMEMU_FX_CANCEL_MARKED;
		r->cancel_fn = cb;
	}
	pthread_mutex_unlock(&kmemu__fx_lock);
	switch (res) {
	case MARK_OK:
		return STATUS_SUCCESS;
	case MARK_CALL_NOW:  /* already cancelled: the routine runs before the return */
		cb(Request);
		kmemu__wdf_object_unref(&r->obj, cancel_tag, __LINE__, __FILE__, fn);
		return STATUS_SUCCESS;
	case MARK_CANCELLED:
		kmemu__wdf_object_unref(&r->obj, cancel_tag, __LINE__, __FILE__, fn);
		return STATUS_CANCELLED;
	default:
		kmemu__wdf_object_unref(&r->obj, cancel_tag, __LINE__, __FILE__, fn);
		if (g->verifier)
			kmemu__wdf_dbg_break(g, fn, "request %p %s", (void *)Request,
					     res == MARK_ALREADY ? "is already cancelable"
								 : "is not owned by the driver");
		else
			kmemu__wdf_trace(g, fn, "request %p %s", (void *)Request,
					 res == MARK_ALREADY ? "is already cancelable"
							     : "is not owned by the driver");
		return STATUS_INVALID_DEVICE_REQUEST;
	}
}

/* WdfRequestMarkCancelable() - see <wdfrequest.h>. */
VOID WdfRequestMarkCancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)
{
	(void)mark_cancelable(Request, EvtRequestCancel, 0, "WdfRequestMarkCancelable",
			      KMEMU_WDF_CALLER);
}

/* WdfRequestMarkCancelableEx() - see <wdfrequest.h>. */
NTSTATUS WdfRequestMarkCancelableEx(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)
{
	return mark_cancelable(Request, EvtRequestCancel, 1, "WdfRequestMarkCancelableEx",
			       KMEMU_WDF_CALLER);
}

/* WdfRequestUnmarkCancelable() - see <wdfrequest.h>. */
NTSTATUS WdfRequestUnmarkCancelable(WDFREQUEST Request)
{
	static const char fn[] = "WdfRequestUnmarkCancelable";
	struct kmemu__fx_request *r = request_get(Request, fn);
	struct kmemu_wdf_globals *g;
	NTSTATUS st;
	int owned;

	if (!r)
		return KMEMU_WDF_STATUS_HANDLED;
	g = r->obj.globals;
	st = kmemu__wdf_check_irql(g, DISPATCH_LEVEL, fn);
	if (st)
		return st;
	pthread_mutex_lock(&kmemu__fx_lock);
	owned = r->owned && !r->completed;
	if (!owned)
		st = STATUS_INVALID_DEVICE_REQUEST;
	else if (r->cancel_state == KMEMU_FX_CANCEL_MARKED)
		st = STATUS_SUCCESS;
	else if (r->cancel_state == KMEMU_FX_CANCEL_CLAIMED)
		st = STATUS_CANCELLED;  /* EvtRequestCancel has run or is running */
	else
		st = STATUS_INVALID_PARAMETER;
	if (st == STATUS_SUCCESS) {
		r->cancel_state = KMEMU_FX_CANCEL_NONE;
		r->cancel_fn = NULL;
	}
	pthread_mutex_unlock(&kmemu__fx_lock);
	if (st == STATUS_SUCCESS) {
		kmemu__wdf_object_unref(&r->obj, cancel_tag, __LINE__, __FILE__, fn);
	} else if (st != STATUS_CANCELLED) {
		const char *why = owned ? "is not cancelable" : "is not owned by the driver";

		if (g->verifier)
			kmemu__wdf_dbg_break(g, fn, "request %p %s", (void *)Request, why);
		else
			kmemu__wdf_trace(g, fn, "request %p %s", (void *)Request, why);
	}
	return st;
}

/* WdfRequestIsCanceled() - see <wdfrequest.h>. */
BOOLEAN WdfRequestIsCanceled(WDFREQUEST Request)
{
	struct kmemu__fx_request *r = request_get(Request, "WdfRequestIsCanceled");
	int c;

	if (!r)
		return FALSE;
	pthread_mutex_lock(&kmemu__fx_lock);
	c = r->canceled;
	pthread_mutex_unlock(&kmemu__fx_lock);
	return c ? TRUE : FALSE;
}
