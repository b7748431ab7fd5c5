/* SPDX-License-Identifier: MIT */
/*
 * wdfio_helpers.c - the driver and user process of the KMDF request cases
 * (see wdfio_helpers.h).
 */
#include <string.h>
#include "wdfio_helpers.h"

void wio_setup(struct wio *w, int verifier, WDF_DEVICE_IO_TYPE io,
	       PFN_WDF_IO_IN_CALLER_CONTEXT in_caller)
{
	wio_setup_version(w, verifier, 0, io, in_caller);
}

void wio_setup_version(struct wio *w, int verifier, uint32_t minor, WDF_DEVICE_IO_TYPE io,
		       PFN_WDF_IO_IN_CALLER_CONTEXT in_caller)
{
	struct kmemu_wdf_driver_options o = { .verifier = verifier, .has_verifier = 1,
					      .break_policy = KMEMU_WDF_BREAK_CONTINUE, .quiet = 1,
					      .version_minor = minor };
	static const WCHAR dev_name[] = u"\\Device\\kmemu_conform";
	WDF_IO_QUEUE_CONFIG qc;
	PWDFDEVICE_INIT init;
	UNICODE_STRING name;

	memset(w, 0, sizeof(*w));
	RtlInitUnicodeString(&name, dev_name);
	KMEMU_SETUP_NT(kmemu_wdf_driver_create("conform", &o, NULL, &w->drv));
	init = WdfControlDeviceInitAllocate(kmemu_wdf_driver_handle(w->drv), NULL);
	KMEMU_SETUP_TRUE(init != NULL);
	WdfDeviceInitSetIoType(init, io);
	if (in_caller)
		WdfDeviceInitSetIoInCallerContextCallback(init, in_caller);
	KMEMU_SETUP_NT(WdfDeviceInitAssignName(init, &name));
	KMEMU_SETUP_NT(WdfDeviceCreate(&init, WDF_NO_OBJECT_ATTRIBUTES, &w->dev));
	WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchManual);
	KMEMU_SETUP_NT(WdfIoQueueCreate(w->dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, &w->queue));
	WdfControlFinishInitializing(w->dev);
	KMEMU_SETUP_NT(kmemu_process_create("conform-app", &w->pid));
	KMEMU_SETUP_NT(kmemu_process_attach(w->pid, &w->old));
	KMEMU_SETUP_WD(WDS_SharedBufferAlloc(WIO_BUF_PAGES * WIO_PAGE, KER_BUF_ALLOC_NON_CONTIG, &w->a));
	KMEMU_SETUP_WD(WDS_SharedBufferAlloc(WIO_BUF_PAGES * WIO_PAGE, KER_BUF_ALLOC_NON_CONTIG, &w->b));
	w->ua = kmemu_uaddr(w->a);
	w->ub = kmemu_uaddr(w->b);
	KMEMU_SETUP_NT(kmemu_io_open("\\Device\\kmemu_conform", &w->f));
}

void wio_teardown(struct wio *w)
{
	kmemu_io_close(w->f);
	if (w->drv)
		kmemu_wdf_driver_unload(w->drv);
	WDS_SharedBufferFree(w->a);
	WDS_SharedBufferFree(w->b);
	kmemu_process_attach(w->old, NULL);
	kmemu_process_destroy(w->pid);
	memset(w, 0, sizeof(*w));
}

WDFREQUEST wio_pend(struct wio *w, struct kmemu_io_args *a, struct kmemu_io_op **op)
{
	WDFREQUEST r = NULL;

	*op = NULL;
	KMEMU_SETUP_TRUE(kmemu_io_send(w->f, a, op) == STATUS_PENDING);
	KMEMU_SETUP_NT(WdfIoQueueRetrieveNextRequest(w->queue, &r));
	return r;
}

WDFREQUEST wio_pend_neither(struct wio *w, struct kmemu_io_op **op)
{
	struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
				   .code = WIO_IOCTL(1, METHOD_NEITHER),
				   .in = w->a->pUserAddr, .in_len = 8,
				   .out = w->b->pUserAddr, .out_len = 8 };

	return wio_pend(w, &a, op);
}

NTSTATUS wio_finish(WDFREQUEST r, struct kmemu_io_op *op, NTSTATUS st)
{
	WdfRequestComplete(r, st);
	return kmemu_io_wait(op, NULL);
}

NTSTATUS wio_abandon(struct wio *w, struct kmemu_io_op *op)
{
	NTSTATUS st;

	kmemu_wdf_driver_unload(w->drv);
	w->drv = NULL;
	st = kmemu_io_wait(op, NULL);
	return st;
}

int wio_catch(void (*fn)(void *), void *arg, struct kmemu_bugcheck_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	return kmemu_bugcheck_catch(fn, arg, rep);
}

uint64_t wio_breaks(const struct wio *w)
{
	struct kmemu_wdf_driver_stats s;

	if (kmemu_wdf_driver_stats(w->drv, &s))
		return UINT64_MAX;
	return s.breaks;
}

void wio_check_verifier_gate(WDF_DEVICE_IO_TYPE io, KIRQL irql, wio_call_fn call, void *arg,
			     NTSTATUS off)
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_io_op *op;
		struct wio w;
		WDFREQUEST r;
		uint64_t breaks;
		NTSTATUS st;

		wio_setup(&w, v, io, NULL);
		r = wio_pend_neither(&w, &op);
		breaks = wio_breaks(&w);
		KMEMU_SETUP_NT(kmemu_irql_set(irql, NULL));
		st = call(&w, r, arg);
		KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
		KMEMU_EXPECT_NT(st, v ? STATUS_INVALID_DEVICE_REQUEST : off);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (v ? 1 : 0));
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		wio_teardown(&w);
	}
}

static void complete_cb(void *arg)
{
	WdfRequestComplete((WDFREQUEST)arg, STATUS_SUCCESS);
}

void wio_check_extra_reference(struct wio *w, WDFREQUEST r, WDFMEMORY m, struct kmemu_io_op *op)
{
	struct kmemu_bugcheck_report rep;

	WdfObjectReference(m);
	if (KMEMU_EXPECT_EQ(wio_catch(complete_cb, r, &rep), 1)) {
		KMEMU_EXPECT_EQ(rep.code, WDF_VIOLATION);
		KMEMU_EXPECT_EQ(rep.param[0], WDF_VERIFIER_FATAL_ERROR);
		KMEMU_EXPECT_EQ(rep.param[1], (uintptr_t)r);
		KMEMU_EXPECT_EQ(rep.param[2], 1);
	}
	WdfObjectDereference(m);
	KMEMU_EXPECT_NT(wio_abandon(w, op), STATUS_CANCELLED);
}
