/* SPDX-License-Identifier: MIT */
/*
 * io.c - the emulated I/O manager: devices by name, open files, IRPs built
 * for each transfer type, completion (see io_int.h and <kmemu/wdfio.h>).
 *
 * A request's life:
 *   kmemu_io_send ─► irp_build (system buffer / MDL lock / raw addresses)
 *                ─► dev->dispatch on the sending thread (the driver)
 *                ─► ... kmemu__irp_complete on any thread: copy back, unlock,
 *                    free the system buffer, wake the sender
 *   kmemu_io_wait ─► the status; the IRP is freed.
 */
#include <stdatomic.h>
#include <string.h>
#include <wdm.h>
#include <devioctl.h>
#include "io_int.h"

#define METHOD_MASK 3u

struct kmemu_io_file {
	struct kmemu__io_device *dev;   /* holds a reference */
	kmemu_pid pid;                  /* the process that opened it */
};

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kmemu__io_device *devices;   /* every registered device */

/**
 * kmemu__thread_id() - a number unique to the calling host thread.
 * Context: any.
 * Return: the id (>= 1), the same for every call on one thread.
 */
uint64_t kmemu__thread_id(void)
{
	static atomic_ullong next = 1;
	static _Thread_local uint64_t id;

	if (!id)
		id = atomic_fetch_add(&next, 1);
	return id;
}

/* ---- devices -------------------------------------------------------------------- */

static int name_matches(const struct kmemu__io_device *d, const uint16_t *n, size_t len)
{
	return kmemu__section_name_eq(d->name, d->name_len, n, len, 1);
}

/* kmemu__io_device_new() - see io_int.h. */
struct kmemu__io_device *kmemu__io_device_new(const uint16_t *name, size_t name_len)
{
	struct kmemu__io_device *d = kmemu__calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (name_len) {
		d->name = kmemu__malloc(name_len * sizeof(*name));
		if (!d->name) {
			kmemu__free(d);
			return NULL;
		}
		memcpy(d->name, name, name_len * sizeof(*name));
		d->name_len = name_len;
	}
	d->refs = 1;
	return d;
}

/* drop a reference; the last one frees the device */
static void dev_put(struct kmemu__io_device *dev)
{
	uint32_t left;

	pthread_mutex_lock(&dev_lock);
	left = --dev->refs;
	pthread_mutex_unlock(&dev_lock);
	if (left == 0) {
		kmemu__free(dev->name);
		kmemu__free(dev);
	}
}

/**
 * kmemu__io_device_register() - make @dev openable by its name on its instance.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_OBJECT_NAME_COLLISION (name taken there);
 * STATUS_INVALID_PARAMETER (no name).
 */
kmemu_status kmemu__io_device_register(struct kmemu__io_device *dev)
{
	kmemu_status rc = dev->name ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;

	pthread_mutex_lock(&dev_lock);
	for (struct kmemu__io_device *d = devices; d && rc == STATUS_SUCCESS; d = d->next)
		if (d->b == dev->b && name_matches(d, dev->name, dev->name_len))
			rc = STATUS_OBJECT_NAME_COLLISION;
	if (rc == STATUS_SUCCESS) {
		dev->next = devices;
		devices = dev;
	}
	pthread_mutex_unlock(&dev_lock);
	return rc;
}

/**
 * kmemu__io_device_gone() - the framework's device is deleted.
 * Context: PASSIVE.
 */
void kmemu__io_device_gone(struct kmemu__io_device *dev)
{
	pthread_mutex_lock(&dev_lock);
	for (struct kmemu__io_device **pp = &devices; *pp; pp = &(*pp)->next)
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	dev->gone = 1;
	dev->ctx = NULL;
	pthread_mutex_unlock(&dev_lock);
	dev_put(dev);
}

/* ---- files ------------------------------------------------------------------------ */

kmemu_status kmemu_io_open(const char *name, struct kmemu_io_file **out)
{
	struct kmemu_backend *b = kmemu__current();
	struct kmemu__io_device *found = NULL;
	struct kmemu_io_file *f;
	uint16_t wname[256];
	size_t n;
	kmemu_pid pid = 0;

	if (!name || !out)
		return STATUS_INVALID_PARAMETER;
	if (!b)
		return STATUS_OBJECT_NAME_NOT_FOUND;
	n = strlen(name);
	if (n == 0 || n > KMEMU_ARRAY_SIZE(wname))
		return STATUS_OBJECT_NAME_NOT_FOUND;
	for (size_t i = 0; i < n; i++)
		wname[i] = (uint8_t)name[i];
	b->ops->process_current(b->st, &pid);
	f = kmemu__calloc(1, sizeof(*f));
	if (!f)
		return STATUS_INSUFFICIENT_RESOURCES;
	pthread_mutex_lock(&dev_lock);
	for (struct kmemu__io_device *d = devices; d && !found; d = d->next)
		if (d->b == b && !d->gone && name_matches(d, wname, n))
			found = d;
	if (found)
		found->refs++;
	pthread_mutex_unlock(&dev_lock);
	if (!found) {
		kmemu__free(f);
		return STATUS_OBJECT_NAME_NOT_FOUND;
	}
	f->dev = found;
	f->pid = pid;
	*out = f;
	return STATUS_SUCCESS;
}

/* kmemu_io_close() - see <kmemu/wdfio.h>: the file's device reference goes. */
void kmemu_io_close(struct kmemu_io_file *f)
{
	if (!f)
		return;
	dev_put(f->dev);
	kmemu__free(f);
}

/* ---- IRPs ------------------------------------------------------------------------- */

/* METHOD_* of an IRP: the IOCTL's low bits, or the device's type for reads
 * and writes (buffered -> METHOD_BUFFERED, direct -> METHOD_OUT_DIRECT for
 * reads / METHOD_IN_DIRECT for writes, neither -> METHOD_NEITHER). */
unsigned kmemu__irp_method(const struct kmemu__irp *irp)
{
	if (irp->major == KMEMU_IRP_MJ_DEVICE_CONTROL ||
	    irp->major == KMEMU_IRP_MJ_INTERNAL_DEVICE_CONTROL)
		return irp->ioctl & METHOD_MASK;
	switch (irp->dev->io_type) {
	case KMEMU_IO_BUFFERED:
		return METHOD_BUFFERED;
	case KMEMU_IO_DIRECT:
		return irp->major == KMEMU_IRP_MJ_READ ? METHOD_OUT_DIRECT : METHOD_IN_DIRECT;
	default:
		return METHOD_NEITHER;
	}
}

/* free an IRP the sender is done with (unlocking what completion did not) */
static void irp_free(struct kmemu__irp *irp)
{
	struct kmemu_backend *b = irp->b;

	if (irp->mdl_lock)
		b->ops->mdl_unlock(b->st, irp->mdl_lock);
	kmemu__free(irp->system_buffer);
	pthread_cond_destroy(&irp->done_cv);
	pthread_mutex_destroy(&irp->lock);
	dev_put(irp->dev);
	kmemu__free(irp);
}

/* 1 when @b has the locked-range slots (version 5 and KMEMU_CAP_WDF) */
static int have_mdl_slots(struct kmemu_backend *b)
{
	return b->ops->version >= 5 && (kmemu_backend_caps(b) & KMEMU_CAP_WDF);
}

/* Lock [@addr, @addr + @len) of the current process for the IRP's MDL. */
static kmemu_status irp_lock(struct kmemu__irp *irp, uint64_t addr, size_t len, int write)
{
	struct kmemu_backend *b = irp->b;

	if (len == 0)
		return STATUS_SUCCESS;
	if (!have_mdl_slots(b))
		return STATUS_NOT_SUPPORTED;
	irp->mdl_len = len;
	irp->mdl_write = write;
	return b->ops->mdl_probe_lock(b->st, addr, len, write, &irp->mdl_alias, &irp->mdl_lock);
}

/* The I/O manager's probe of a buffer it will write at completion. */
static kmemu_status irp_probe_write(struct kmemu__irp *irp, uint64_t addr, size_t len)
{
	struct kmemu_backend *b = irp->b;
	void *alias, *lock;
	kmemu_status rc;

	if (len == 0 || !have_mdl_slots(b))
		return STATUS_SUCCESS;
	rc = b->ops->mdl_probe_lock(b->st, addr, len, 1, &alias, &lock);
	if (rc == STATUS_SUCCESS)
		b->ops->mdl_unlock(b->st, lock);
	return rc;
}

/* A system buffer of max(@in_len, @out_len) bytes holding the input. */
static kmemu_status irp_buffer(struct kmemu__irp *irp, size_t in_len, size_t out_len)
{
	struct kmemu_backend *b = irp->b;
	size_t n = in_len > out_len ? in_len : out_len;

	if (n == 0)
		return STATUS_SUCCESS;
	irp->system_buffer = kmemu__calloc(1, n);
	if (!irp->system_buffer)
		return STATUS_INSUFFICIENT_RESOURCES;
	if (in_len && b->ops->user_read(b->st, irp->pid, irp->in_user, irp->system_buffer, in_len))
		return STATUS_ACCESS_VIOLATION;
	return STATUS_SUCCESS;
}

/* Build the IRP's buffers for its transfer type (Windows' IopXxxControlFile). */
static kmemu_status irp_build(struct kmemu__irp *irp)
{
	kmemu_status rc;

	switch (kmemu__irp_method(irp)) {
	case METHOD_BUFFERED:
		if (irp->major == KMEMU_IRP_MJ_WRITE)
			return irp_buffer(irp, irp->in_len, 0);
		rc = irp_probe_write(irp, irp->out_user, irp->out_len);
		return rc ? rc : irp_buffer(irp, irp->in_len, irp->out_len);
	case METHOD_IN_DIRECT:
		if (irp->major == KMEMU_IRP_MJ_WRITE)
			return irp_lock(irp, irp->in_user, irp->in_len, 0);
		rc = irp_buffer(irp, irp->in_len, 0);
		return rc ? rc : irp_lock(irp, irp->out_user, irp->out_len, 0);
	case METHOD_OUT_DIRECT:
		if (irp->major == KMEMU_IRP_MJ_READ)
			return irp_lock(irp, irp->out_user, irp->out_len, 1);
		rc = irp_buffer(irp, irp->in_len, 0);
		return rc ? rc : irp_lock(irp, irp->out_user, irp->out_len, 1);
	default:  /* METHOD_NEITHER: the raw addresses only */
		return STATUS_SUCCESS;
	}
}

/**
 * kmemu__irp_complete() - IoCompleteRequest.  For a buffered request that
 * did not fail, min(@information, output length) bytes of the system buffer
 * go back to the caller's output buffer; the MDL is unlocked; the sender
 * wakes.  Context: any thread; exactly once per IRP.
 */
void kmemu__irp_complete(struct kmemu__irp *irp, NTSTATUS status, uintptr_t information)
{
	struct kmemu_backend *b = irp->b;

	if (!NT_ERROR(status) && irp->system_buffer && irp->out_len && irp->major != KMEMU_IRP_MJ_WRITE &&
	    kmemu__irp_method(irp) == METHOD_BUFFERED) {
		size_t n = information < irp->out_len ? information : irp->out_len;

		if (n)
			b->ops->user_write(b->st, irp->pid, irp->out_user, irp->system_buffer, n);
	}
	if (irp->mdl_lock) {
		b->ops->mdl_unlock(b->st, irp->mdl_lock);
		irp->mdl_lock = NULL;
		irp->mdl_alias = NULL;
	}
	kmemu__free(irp->system_buffer);
	irp->system_buffer = NULL;
	pthread_mutex_lock(&irp->lock);
	irp->status = status;
	irp->information = information;
	irp->done = 1;
	pthread_cond_broadcast(&irp->done_cv);
	pthread_mutex_unlock(&irp->lock);
}

/* kmemu_io_send() - see <kmemu/wdfio.h>: build the IRP, dispatch it on this thread. */
kmemu_status kmemu_io_send(struct kmemu_io_file *f, struct kmemu_io_args *a,
			   struct kmemu_io_op **op)
{
	static const uint8_t majors[] = { KMEMU_IRP_MJ_DEVICE_CONTROL, KMEMU_IRP_MJ_READ,
					  KMEMU_IRP_MJ_WRITE, KMEMU_IRP_MJ_INTERNAL_DEVICE_CONTROL };
	struct kmemu__irp *irp;
	kmemu_status rc;
	int done;

	if (!f || !a || !op || (unsigned)a->kind >= KMEMU_ARRAY_SIZE(majors))
		return STATUS_INVALID_PARAMETER;
	*op = NULL;
	irp = kmemu__calloc(1, sizeof(*irp));
	if (!irp)
		return STATUS_INSUFFICIENT_RESOURCES;
	pthread_mutex_init(&irp->lock, NULL);
	pthread_cond_init(&irp->done_cv, NULL);
	irp->b = f->dev->b;
	irp->dev = f->dev;
	pthread_mutex_lock(&dev_lock);
	f->dev->refs++;
	rc = f->dev->gone ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS;
	pthread_mutex_unlock(&dev_lock);
	irp->major = majors[a->kind];
	irp->ioctl = a->kind == KMEMU_IO_DEVICE_CONTROL || a->kind == KMEMU_IO_INTERNAL_DEVICE_CONTROL
			     ? a->code : 0;
	irp->pid = f->pid;
	irp->user_mode = a->kind != KMEMU_IO_INTERNAL_DEVICE_CONTROL;
	irp->thread = irp->user_mode ? kmemu__thread_id() : 0;
	if (a->kind != KMEMU_IO_READ) {
		irp->in_user = a->in;
		irp->in_len = a->in_len;
	}
	if (a->kind != KMEMU_IO_WRITE) {
		irp->out_user = a->out;
		irp->out_len = a->out_len;
	}
	if (rc == STATUS_SUCCESS && irp->user_mode)
		rc = irp_build(irp);
	if (rc) {
		irp_free(irp);
		return rc;
	}
	rc = f->dev->dispatch(f->dev, irp);
	pthread_mutex_lock(&irp->lock);
	done = irp->done;
	pthread_mutex_unlock(&irp->lock);
	if (!done) {
		*op = (struct kmemu_io_op *)irp;
		return STATUS_PENDING;
	}
	(void)rc;  /* the IRP's own status is what the caller sees */
	rc = irp->status;
	a->information = irp->information;
	irp_free(irp);
	return rc;
}

/* kmemu_io_wait() - see <kmemu/wdfio.h>. */
kmemu_status kmemu_io_wait(struct kmemu_io_op *op, uint64_t *information)
{
	struct kmemu__irp *irp = (struct kmemu__irp *)op;
	kmemu_status rc;

	if (!irp)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&irp->lock);
	while (!irp->done || irp->cancel_busy)
		pthread_cond_wait(&irp->done_cv, &irp->lock);
	pthread_mutex_unlock(&irp->lock);
	rc = irp->status;
	if (information)
		*information = irp->information;
	irp_free(irp);
	return rc;
}

/* kmemu_io_cancel() - see <kmemu/wdfio.h>: IoCancelIrp on a pending IRP. */
kmemu_status kmemu_io_cancel(struct kmemu_io_op *op)
{
	struct kmemu__irp *irp = (struct kmemu__irp *)op;
	void (*cancel)(struct kmemu__irp *irp);

	if (!irp)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&irp->lock);
	if (irp->done) {
		pthread_mutex_unlock(&irp->lock);
		return STATUS_NOT_FOUND;
	}
	irp->cancel = 1;
	irp->cancel_busy++;
	pthread_mutex_unlock(&irp->lock);
	/* the device's cancel routine may complete the IRP: kmemu_io_wait
	 * keeps it until cancel_busy drops */
	cancel = irp->dev->cancel;
	if (cancel)
		cancel(irp);
	pthread_mutex_lock(&irp->lock);
	irp->cancel_busy--;
	pthread_cond_broadcast(&irp->done_cv);
	pthread_mutex_unlock(&irp->lock);
	return STATUS_SUCCESS;
}

/* kmemu_io_call() - see <kmemu/wdfio.h>. */
kmemu_status kmemu_io_call(struct kmemu_io_file *f, struct kmemu_io_args *a)
{
	struct kmemu_io_op *op = NULL;
	kmemu_status rc = kmemu_io_send(f, a, &op);

	if (rc == STATUS_PENDING && op)
		rc = kmemu_io_wait(op, &a->information);
	return rc;
}

/* kmemu_io_ioctl() - see <kmemu/wdfio.h>. */
kmemu_status kmemu_io_ioctl(struct kmemu_io_file *f, uint32_t code, uint64_t in, size_t in_len,
			    uint64_t out, size_t out_len, uint64_t *information)
{
	struct kmemu_io_args a = { KMEMU_IO_DEVICE_CONTROL, code, in, in_len, out, out_len, 0 };
	kmemu_status rc = kmemu_io_call(f, &a);

	if (information)
		*information = a.information;
	return rc;
}
