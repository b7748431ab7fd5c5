/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of request cancellation: the mark DDIs,
 * WdfRequestUnmarkCancelable, EvtRequestCancel and EvtIoCanceledOnQueue.
 */
#include <pthread.h>
#include "../wdfio_helpers.h"

#define A "WdfRequestMarkCancelable/"

static unsigned cancels;        /* EvtRequestCancel calls */
static int cancel_completes;    /* it completes the request */
static pthread_t cancel_thread; /* where it ran */
static unsigned on_queue;       /* EvtIoCanceledOnQueue calls */

static VOID NTAPI evt_cancel(WDFREQUEST r)
{
	cancels++;
	cancel_thread = pthread_self();
	if (cancel_completes)
		WdfRequestComplete(r, STATUS_CANCELLED);
}

static VOID NTAPI evt_on_queue(WDFQUEUE q, WDFREQUEST r)
{
	(void)q;
	on_queue++;
	WdfRequestComplete(r, STATUS_DEVICE_BUSY);
}

static void reset(int completes)
{
	cancels = 0;
	on_queue = 0;
	cancel_completes = completes;
}

KMEMU_CASE(routine, A "cancel-calls-routine", WIO_CAPS, A "cancel-calls-routine")
{
	struct kmemu_io_op *op;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	reset(1);
	r = wio_pend_neither(&w, &op);
	KMEMU_EXPECT_NT(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(WdfRequestIsCanceled(r), FALSE);
	KMEMU_EXPECT_NT(kmemu_io_cancel(op), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(cancels, 1);
	KMEMU_EXPECT_TRUE(pthread_equal(cancel_thread, pthread_self()));
	KMEMU_EXPECT_NT(kmemu_io_cancel(op), STATUS_NOT_FOUND);
	KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
	wio_teardown(&w);
}

KMEMU_CASE(already_cancelled, A "markex-already-cancelled", WIO_CAPS,
	   A "markex-already-cancelled")
{
	struct kmemu_io_op *op;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 0, WdfDeviceIoBuffered, NULL);
	reset(1);
	r = wio_pend_neither(&w, &op);
	KMEMU_EXPECT_NT(kmemu_io_cancel(op), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(WdfRequestIsCanceled(r), TRUE);
	KMEMU_EXPECT_NT(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_CANCELLED);
	KMEMU_EXPECT_EQ(cancels, 0);
	WdfRequestMarkCancelable(r, evt_cancel);
	KMEMU_EXPECT_EQ(cancels, 1);
	KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
	wio_teardown(&w);
}

KMEMU_CASE(statuses, A "markex-statuses", WIO_CAPS | KMEMU_CAP_VERIFIER,
	   A "markex-statuses " A "unmark-statuses " A "verifier-breaks")
{
	for (int v = 0; v <= 1; v++) {
		WDF_IO_QUEUE_CONFIG qc;
		struct kmemu_io_op *op;
		WDFQUEUE q2 = NULL;
		WDFREQUEST r, back = NULL;
		struct wio w;
		uint64_t b0;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		reset(0);
		r = wio_pend_neither(&w, &op);
		b0 = wio_breaks(&w);
		KMEMU_EXPECT_NT(WdfRequestUnmarkCancelable(r), STATUS_INVALID_PARAMETER);
		KMEMU_EXPECT_NT(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(WdfRequestMarkCancelableEx(r, evt_cancel),
				STATUS_INVALID_DEVICE_REQUEST);
		KMEMU_EXPECT_EQ(wio_breaks(&w), b0 + (v ? 2 : 0));
		KMEMU_EXPECT_NT(WdfRequestUnmarkCancelable(r), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(kmemu_io_cancel(op), STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(cancels, 0);
		KMEMU_EXPECT_EQ(WdfRequestIsCanceled(r), TRUE);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_CANCELLED), STATUS_CANCELLED);
		/* claimed by the cancel, not yet completed */
		r = wio_pend_neither(&w, &op);
		KMEMU_EXPECT_NT(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(kmemu_io_cancel(op), STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(cancels, 1);
		KMEMU_EXPECT_NT(WdfRequestUnmarkCancelable(r), STATUS_CANCELLED);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_CANCELLED), STATUS_CANCELLED);
		/* not owned: waiting in a queue */
		WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
		KMEMU_SETUP_NT(WdfIoQueueCreate(w.dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, &q2));
		r = wio_pend_neither(&w, &op);
		KMEMU_SETUP_NT(WdfRequestForwardToIoQueue(r, q2));
		KMEMU_EXPECT_NT(WdfRequestMarkCancelableEx(r, evt_cancel),
				STATUS_INVALID_DEVICE_REQUEST);
		KMEMU_EXPECT_NT(WdfRequestUnmarkCancelable(r), STATUS_INVALID_DEVICE_REQUEST);
		KMEMU_SETUP_NT(WdfIoQueueRetrieveNextRequest(q2, &back));
		KMEMU_EXPECT_NT(wio_finish(back, op, STATUS_SUCCESS), STATUS_SUCCESS);
		wio_teardown(&w);
	}
}

KMEMU_CASE(complete_marked, A "complete-while-cancelable", WIO_CAPS | KMEMU_CAP_VERIFIER,
	   A "complete-while-cancelable")
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_io_op *op;
		struct wio w;
		WDFREQUEST r;
		uint64_t b0;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		reset(1);
		r = wio_pend_neither(&w, &op);
		KMEMU_EXPECT_NT(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
		b0 = wio_breaks(&w);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(wio_breaks(&w), b0 + (v ? 1 : 0));
		KMEMU_EXPECT_EQ(cancels, 0);
		wio_teardown(&w);
	}
}

KMEMU_CASE(on_queue_case, A "canceled-on-queue", WIO_CAPS, A "canceled-on-queue")
{
	struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
				   .code = WIO_IOCTL(1, METHOD_NEITHER) };
	WDF_IO_QUEUE_CONFIG qc;
	struct kmemu_io_op *op = NULL;
	WDFQUEUE q2 = NULL;
	WDFREQUEST r = NULL;
	struct wio w;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	reset(1);
	KMEMU_SETUP_NT(kmemu_io_send(w.f, &a, &op) == STATUS_PENDING ? STATUS_SUCCESS
								     : STATUS_UNSUCCESSFUL);
	KMEMU_EXPECT_NT(kmemu_io_cancel(op), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
	KMEMU_EXPECT_NT(WdfIoQueueRetrieveNextRequest(w.queue, &r), STATUS_NO_MORE_ENTRIES);
	WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
	qc.EvtIoCanceledOnQueue = evt_on_queue;
	KMEMU_SETUP_NT(WdfIoQueueCreate(w.dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, &q2));
	r = wio_pend_neither(&w, &op);
	KMEMU_SETUP_NT(WdfRequestForwardToIoQueue(r, q2));
	KMEMU_EXPECT_NT(kmemu_io_cancel(op), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(on_queue, 1);
	KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_DEVICE_BUSY);
	wio_teardown(&w);
}

KMEMU_CASE(driver_gone, A "driver-gone", WIO_CAPS, A "driver-gone")
{
	struct kmemu_io_op *op;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	reset(1);
	r = wio_pend_neither(&w, &op);
	KMEMU_EXPECT_NT(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(wio_abandon(&w, op), STATUS_CANCELLED);
	KMEMU_EXPECT_EQ(cancels, 0);
	wio_teardown(&w);
}

const struct kmemu_case *const kmemu_cases_WdfRequestMarkCancelable[] = {
	KMEMU_CASE_REF(routine),
	KMEMU_CASE_REF(already_cancelled),
	KMEMU_CASE_REF(statuses),
	KMEMU_CASE_REF(complete_marked),
	KMEMU_CASE_REF(on_queue_case),
	KMEMU_CASE_REF(driver_gone),
	NULL,
};
