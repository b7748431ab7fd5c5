/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfRequestComplete() and
 * WdfRequestCompleteWithInformation(): spec §4's effects, §6's rules.
 */
#include <string.h>
#include "../wdfio_helpers.h"

/* The touch of a revoked mapping is deliberate; under valgrind it would be
 * an invalid access report, so it only runs natively there. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define A "WdfRequestComplete/"

static void complete_null(void *arg)
{
	(void)arg;
	WdfRequestComplete(NULL, STATUS_SUCCESS);
}

KMEMU_CASE(handle, A "step1-handle", WIO_CAPS | KMEMU_CAP_BUGCHECK | KMEMU_CAP_IRQL,
	   A "step1-handle")
{
	struct kmemu_bugcheck_report rep;
	struct kmemu_io_op *op;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	if (KMEMU_EXPECT_EQ(wio_catch(complete_null, NULL, &rep), 1)) {
		KMEMU_EXPECT_EQ(rep.param[0], WDF_INVALID_HANDLE);
		KMEMU_EXPECT_EQ(rep.param[2], 0x1008);
	}
	r = wio_pend_neither(&w, &op);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	WdfRequestComplete(r, STATUS_SUCCESS);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
	wio_teardown(&w);
}

KMEMU_CASE(not_owned, A "step2-not-owned", WIO_CAPS | KMEMU_CAP_VERIFIER, A "step2-not-owned")
{
	for (int v = 0; v <= 1; v++) {
		WDF_IO_QUEUE_CONFIG qc;
		struct kmemu_io_op *op;
		WDFQUEUE q2 = NULL;
		WDFREQUEST r, back = NULL;
		struct wio w;
		uint64_t breaks;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
		KMEMU_SETUP_NT(WdfIoQueueCreate(w.dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, &q2));
		r = wio_pend_neither(&w, &op);
		KMEMU_SETUP_NT(WdfRequestForwardToIoQueue(r, q2));
		breaks = wio_breaks(&w);
		WdfRequestComplete(r, STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (v ? 1 : 0));
		if (v) {
			/* still queued: the driver takes it again and completes it */
			KMEMU_EXPECT_NT(WdfIoQueueRetrieveNextRequest(q2, &back), STATUS_SUCCESS);
			KMEMU_EXPECT_NT(wio_finish(back, op, STATUS_SUCCESS), STATUS_SUCCESS);
		} else {
			KMEMU_EXPECT_NT(WdfIoQueueRetrieveNextRequest(q2, &back), STATUS_NO_MORE_ENTRIES);
			KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
		}
		wio_teardown(&w);
	}
}

KMEMU_CASE(information, A "step3-information", WIO_CAPS, A "step3-information")
{
	struct kmemu_io_args a = { .kind = KMEMU_IO_READ, .out_len = 16 };
	struct kmemu_io_op *op;
	uint64_t info = 0;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	a.out = w.b->pUserAddr;
	r = wio_pend(&w, &a, &op);
	WdfRequestCompleteWithInformation(r, STATUS_SUCCESS, 12);
	KMEMU_EXPECT_NT(kmemu_io_wait(op, &info), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(info, 12);
	r = wio_pend(&w, &a, &op);
	WdfRequestSetInformation(r, 5);
	KMEMU_EXPECT_EQ(WdfRequestGetInformation(r), 5);
	WdfRequestComplete(r, STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_io_wait(op, &info), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(info, 5);
	wio_teardown(&w);
}

static void complete_twice(void *arg)
{
	WdfRequestComplete((WDFREQUEST)arg, STATUS_SUCCESS);
}

KMEMU_CASE(twice, A "step4-twice", WIO_CAPS | KMEMU_CAP_VERIFIER | KMEMU_CAP_BUGCHECK,
	   A "step4-twice " A "twice-verifier-off")
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_bugcheck_report rep;
		struct kmemu_io_op *op;
		struct wio w;
		WDFREQUEST r;
		uint64_t breaks;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		r = wio_pend_neither(&w, &op);
		WdfObjectReference(r);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		breaks = wio_breaks(&w);
		if (v) {
			complete_twice(r);
			KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + 1);
		} else if (KMEMU_EXPECT_EQ(wio_catch(complete_twice, r, &rep), 1)) {
			KMEMU_EXPECT_EQ(rep.code, WDF_VIOLATION);
			KMEMU_EXPECT_EQ(rep.param[0], WDF_REQUEST_FATAL_ERROR);
			KMEMU_EXPECT_EQ(rep.param[1], WDF_REQUEST_FATAL_ERROR_NULL_IRP);
			KMEMU_EXPECT_EQ(rep.param[2], (uintptr_t)r);
		}
		WdfObjectDereference(r);
		wio_teardown(&w);
	}
}

struct with_info {
	WDFREQUEST r;
	NTSTATUS st;
	ULONG_PTR info;
};

static void complete_with_info(void *arg)
{
	struct with_info *c = arg;

	WdfRequestCompleteWithInformation(c->r, c->st, c->info);
}

KMEMU_CASE(information_length, A "step4-information-length", WIO_CAPS | KMEMU_CAP_BUGCHECK,
	   A "step4-information-length")
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_READ, .out_len = 8 };
		struct kmemu_bugcheck_report rep;
		struct kmemu_io_op *op;
		struct with_info c;
		struct wio w;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		a.out = w.b->pUserAddr;
		c = (struct with_info){ wio_pend(&w, &a, &op), STATUS_UNSUCCESSFUL, 9 };
		complete_with_info(&c);  /* an error status is not checked */
		KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_UNSUCCESSFUL);
		c = (struct with_info){ wio_pend(&w, &a, &op), STATUS_SUCCESS, 9 };
		if (v) {
			if (KMEMU_EXPECT_EQ(wio_catch(complete_with_info, &c, &rep), 1)) {
				KMEMU_EXPECT_EQ(rep.code, WDF_VIOLATION);
				KMEMU_EXPECT_EQ(rep.param[0], WDF_REQUEST_FATAL_ERROR);
				KMEMU_EXPECT_EQ(rep.param[1],
						WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH);
				KMEMU_EXPECT_NE(rep.param[2], 0);
			}
			KMEMU_EXPECT_NT(wio_abandon(&w, op), STATUS_CANCELLED);
		} else {
			complete_with_info(&c);
			KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
		}
		wio_teardown(&w);
	}
}

KMEMU_CASE(buffered_no_output, A "step5-buffered-no-output", WIO_CAPS | KMEMU_CAP_VERIFIER,
	   A "step5-buffered-no-output")
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
					   .code = WIO_IOCTL(8, METHOD_BUFFERED), .in_len = 4 };
		struct kmemu_wdf_driver_stats s0, s1;
		struct kmemu_io_op *op;
		PVOID sb = NULL;
		struct wio w;
		WDFREQUEST r;
		uint64_t breaks;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		a.in = w.a->pUserAddr;
		memcpy(w.ua, "keep", 4);
		r = wio_pend(&w, &a, &op);
		KMEMU_EXPECT_NT(WdfRequestRetrieveInputBuffer(r, 4, &sb, NULL), STATUS_SUCCESS);
		if (sb)
			memcpy(sb, "XXXX", 4);
		breaks = wio_breaks(&w);
		KMEMU_SETUP_NT(kmemu_wdf_driver_stats(w.drv, &s0));
		WdfRequestCompleteWithInformation(r, STATUS_SUCCESS, 4);
		KMEMU_SETUP_NT(kmemu_wdf_driver_stats(w.drv, &s1));
		/* the warning is printed in both modes, the break taken with the verifier */
		KMEMU_EXPECT_EQ(s1.messages, s0.messages + 1);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (v ? 1 : 0));
		KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
		KMEMU_EXPECT_MEM(w.ua, "keep", 4);
		/* Information 0: nothing to warn about */
		r = wio_pend(&w, &a, &op);
		breaks = wio_breaks(&w);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks);
		wio_teardown(&w);
	}
}

KMEMU_CASE(status_remap, A "step6-status-remap", WIO_CAPS, A "step6-status-remap")
{
	static const NTSTATUS in[] = { STATUS_WDF_PAUSED, STATUS_WDF_BUSY, STATUS_WDF_INTERNAL_ERROR,
				       (NTSTATUS)0xC020020AL, (NTSTATUS)0xC02002FFL,
				       STATUS_BUFFER_OVERFLOW, STATUS_ACCESS_DENIED };
	static const NTSTATUS out[] = { STATUS_DEVICE_BUSY, STATUS_DEVICE_BUSY, STATUS_INTERNAL_ERROR,
					STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_DEVICE_REQUEST,
					STATUS_BUFFER_OVERFLOW, STATUS_ACCESS_DENIED };
	struct kmemu_io_op *op;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 0, WdfDeviceIoBuffered, NULL);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		r = wio_pend_neither(&w, &op);
		KMEMU_EXPECT_NT(wio_finish(r, op, in[i]), out[i]);
	}
	wio_teardown(&w);
}

KMEMU_CASE(map_registers, A "step6-map-registers", WIO_CAPS, A "step6-map-registers")
{
	struct kmemu_io_op *op;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	for (ULONG code = 0xC0200213u; code <= 0xC020021Fu; code++) {
		r = wio_pend_neither(&w, &op);
		KMEMU_EXPECT_NT(wio_finish(r, op, (NTSTATUS)code), STATUS_INVALID_DEVICE_REQUEST);
	}
	wio_teardown(&w);
}

KMEMU_CASE(context, A "step7-context", WIO_CAPS, A "step7-context")
{
	struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
				   .code = WIO_IOCTL(9, METHOD_BUFFERED), .in_len = 4 };
	struct kmemu_wdf_driver_stats s0, s1, s2;
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 0, WdfDeviceIoBuffered, NULL);
	a.in = w.a->pUserAddr;
	r = wio_pend(&w, &a, &op);
	KMEMU_SETUP_NT(kmemu_wdf_driver_stats(w.drv, &s0));
	KMEMU_EXPECT_NT(WdfRequestRetrieveInputMemory(r, &m), STATUS_SUCCESS);
	KMEMU_SETUP_NT(kmemu_wdf_driver_stats(w.drv, &s1));
	KMEMU_EXPECT_EQ(s1.memory_objects, s0.memory_objects + 1);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	KMEMU_SETUP_NT(kmemu_wdf_driver_stats(w.drv, &s2));
	KMEMU_EXPECT_EQ(s2.memory_objects, s0.memory_objects);
	wio_teardown(&w);
}

static struct wio *dispose_w;
static uint8_t seen_at_cleanup;

static VOID NTAPI child_cleanup(WDFOBJECT o)
{
	(void)o;
	seen_at_cleanup = dispose_w->ub[0];
}

KMEMU_CASE(early_dispose, A "step8-early-dispose", WIO_CAPS, A "step8-early-dispose")
{
	struct kmemu_io_args a = { .kind = KMEMU_IO_READ, .out_len = 4 };
	WDF_OBJECT_ATTRIBUTES at;
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	PVOID out = NULL;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	dispose_w = &w;
	a.out = w.b->pUserAddr;
	w.ub[0] = 'u';
	r = wio_pend(&w, &a, &op);
	WDF_OBJECT_ATTRIBUTES_INIT(&at);
	at.ParentObject = r;
	at.EvtCleanupCallback = child_cleanup;
	KMEMU_SETUP_NT(WdfMemoryCreate(&at, NonPagedPoolNx, 0, 16, &m, NULL));
	KMEMU_SETUP_NT(WdfRequestRetrieveOutputBuffer(r, 4, &out, NULL));
	memcpy(out, "drv!", 4);
	WdfRequestCompleteWithInformation(r, STATUS_SUCCESS, 4);
	KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(seen_at_cleanup, 'u');
	KMEMU_EXPECT_EQ(w.ub[0], 'd');
	wio_teardown(&w);
}

static unsigned paged_cleanups;

static VOID NTAPI paged_cleanup(WDFOBJECT o)
{
	(void)o;
	paged_cleanups++;
}

KMEMU_CASE(dispatch_passive_child, A "step8-dispatch-passive-child",
	   WIO_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_VERIFIER, A "step8-dispatch-passive-child")
{
	static const uint32_t minors[] = { 0, 9 };

	for (int v = 0; v <= 1; v++)
		for (size_t i = 0; i < sizeof(minors) / sizeof(minors[0]); i++) {
			WDF_OBJECT_ATTRIBUTES at;
			struct kmemu_io_op *op;
			WDFMEMORY m = NULL;
			uint64_t breaks;
			struct wio w;
			WDFREQUEST r;

			wio_setup_version(&w, v, minors[i], WdfDeviceIoBuffered, NULL);
			r = wio_pend_neither(&w, &op);
			WDF_OBJECT_ATTRIBUTES_INIT(&at);
			at.ParentObject = r;
			at.EvtCleanupCallback = paged_cleanup;
			KMEMU_SETUP_NT(WdfMemoryCreate(&at, PagedPool, 0, 64, &m, NULL));
			paged_cleanups = 0;
			breaks = wio_breaks(&w);
			KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
			WdfRequestComplete(r, STATUS_SUCCESS);
			KMEMU_EXPECT_EQ(paged_cleanups, 0);
			KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
			KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (v && minors[i] != 9 ? 1 : 0));
			KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
			kmemu_wdf_run_deferred();
			KMEMU_EXPECT_EQ(paged_cleanups, 1);
			wio_teardown(&w);
		}
}

KMEMU_CASE(irp_references, A "step9-irp-references", WIO_CAPS | KMEMU_CAP_BUGCHECK,
	   A "step9-irp-references")
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_io_op *op;
		WDFMEMORY m1 = NULL, m2 = NULL;
		struct wio w;
		WDFREQUEST r;

		/* two locked memories; only the one still referenced counts */
		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		r = wio_pend_neither(&w, &op);
		KMEMU_ASSERT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub, 8, &m1), STATUS_SUCCESS);
		KMEMU_ASSERT_NT(WdfRequestProbeAndLockUserBufferForRead(r, w.ua, 8, &m2), STATUS_SUCCESS);
		wio_check_extra_reference(&w, r, m2, op);
		wio_teardown(&w);
	}
}

KMEMU_CASE(irp_cleared, A "step10-irp-cleared", WIO_CAPS, A "step10-irp-cleared")
{
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	PVOID b = NULL;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 0, WdfDeviceIoBuffered, NULL);
	r = wio_pend_neither(&w, &op);
	WdfObjectReference(r);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub, 8, &m),
			STATUS_INVALID_DEVICE_REQUEST);
	KMEMU_EXPECT_NT(WdfRequestRetrieveOutputBuffer(r, 0, &b, NULL), STATUS_INVALID_DEVICE_REQUEST);
	WdfObjectDereference(r);
	wio_teardown(&w);
}

struct touch {
	volatile uint8_t *p;
};

static void touch(void *arg)
{
	((struct touch *)arg)->p[0] = 0x42;
}

KMEMU_CASE(buf_after_completed, A "buf-after-completed", WIO_CAPS | KMEMU_CAP_BUGCHECK,
	   A "buf-after-completed " A "buf-after-completed-verifier-off")
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_bugcheck_report rep;
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		struct touch t;
		struct wio w;
		WDFREQUEST r;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		r = wio_pend_neither(&w, &op);
		KMEMU_ASSERT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub, 8, &m),
				STATUS_SUCCESS);
		t.p = WdfMemoryGetBuffer(m, NULL);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		/* no longer accessible (a kernel-side probe: no fault taken); without
		 * the verifier the mapping went with the unlock at completion */
		KMEMU_EXPECT_EQ(kmemu_try_write((void *)(uintptr_t)t.p), 0);
		if (v && !RUNNING_ON_VALGRIND && KMEMU_EXPECT_EQ(wio_catch(touch, &t, &rep), 1)) {
			KMEMU_EXPECT_EQ(rep.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
			KMEMU_EXPECT_EQ(rep.param[0], 0xB0002);
			KMEMU_EXPECT_EQ(rep.param[2], (uintptr_t)t.p);
			KMEMU_EXPECT_EQ(rep.param[3], (uintptr_t)r);
			KMEMU_EXPECT_TRUE(strcmp(rep.detail, "BufAfterReqCompletedIoctlA") == 0);
		}
		KMEMU_EXPECT_EQ(w.ub[0], 0);
		wio_teardown(&w);
	}
}

static unsigned handler_calls;

static void returning_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)r, (void)ctx;
	handler_calls++;
}

KMEMU_CASE(mem_after_completed, A "mem-after-completed", WIO_CAPS | KMEMU_CAP_BUGCHECK,
	   A "mem-after-completed " A "mem-after-completed-verifier-off")
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_wdf_driver_stats s0, s1;
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		size_t n = 7;
		struct wio w;
		WDFREQUEST r;
		uint64_t breaks;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		r = wio_pend_neither(&w, &op);
		KMEMU_ASSERT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub, 8, &m),
				STATUS_SUCCESS);
		WdfObjectReference(m);
		/* report and continue: 0x10D/3 is reported, the completion goes on */
		handler_calls = 0;
		kmemu_bugcheck_set_handler(returning_handler, NULL);
		WdfRequestComplete(r, STATUS_SUCCESS);
		kmemu_bugcheck_set_handler(NULL, NULL);
		KMEMU_EXPECT_EQ(handler_calls, 1);
		KMEMU_EXPECT_NT(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
		breaks = wio_breaks(&w);
		KMEMU_SETUP_NT(kmemu_wdf_driver_stats(w.drv, &s0));
		KMEMU_EXPECT_TRUE(WdfMemoryGetBuffer(m, &n) == NULL);
		KMEMU_EXPECT_EQ(n, 0);
		KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(m, 0, "x", 1), STATUS_INVALID_DEVICE_REQUEST);
		KMEMU_SETUP_NT(kmemu_wdf_driver_stats(w.drv, &s1));
		/* refused in both modes, the rule named each time; a break with the verifier */
		KMEMU_EXPECT_EQ(s1.messages, s0.messages + 2);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (v ? 2 : 0));
		KMEMU_EXPECT_EQ(w.ub[0], 0);
		WdfObjectDereference(m);
		wio_teardown(&w);
	}
}

/* The rule by request type: a read, a write and an internal IOCTL each
 * report their own BufAfterReqCompleted* rule (0xB0003, 0xB0004, 0xB0001). */
KMEMU_CASE(rules_by_type, A "rule-by-request-type", WIO_CAPS | KMEMU_CAP_BUGCHECK,
	   A "rule-by-request-type")
{
	static const struct {
		enum kmemu_io_kind kind;
		uint32_t id;
		const char *rule;
	} t[] = {
		{ KMEMU_IO_READ, 0xB0003, "BufAfterReqCompletedReadA" },
		{ KMEMU_IO_WRITE, 0xB0004, "BufAfterReqCompletedWriteA" },
		{ KMEMU_IO_INTERNAL_DEVICE_CONTROL, 0xB0001, "BufAfterReqCompletedIntIoctlA" },
	};
	struct wio w;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct kmemu_io_args a = { .kind = t[i].kind, .code = WIO_IOCTL(6, METHOD_NEITHER) };
		struct kmemu_bugcheck_report rep;
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		struct touch tc;
		WDFREQUEST r;

		if (t[i].kind == KMEMU_IO_READ)
			a.out = w.b->pUserAddr, a.out_len = 8;
		else if (t[i].kind == KMEMU_IO_WRITE)
			a.in = w.a->pUserAddr, a.in_len = 8;
		r = wio_pend(&w, &a, &op);
		KMEMU_ASSERT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub + 16, 8, &m),
				STATUS_SUCCESS);
		tc.p = WdfMemoryGetBuffer(m, NULL);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(kmemu_try_write((void *)(uintptr_t)tc.p), 0);
		if (!RUNNING_ON_VALGRIND && KMEMU_EXPECT_EQ(wio_catch(touch, &tc, &rep), 1)) {
			KMEMU_EXPECT_EQ(rep.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
			KMEMU_EXPECT_EQ(rep.param[0], t[i].id);
			KMEMU_EXPECT_EQ(rep.param[3], (uintptr_t)r);
			KMEMU_EXPECT_TRUE(strcmp(rep.detail, t[i].rule) == 0);
			KMEMU_EXPECT_TRUE(strcmp((const char *)(uintptr_t)rep.param[1], t[i].rule) == 0);
		}
	}
	KMEMU_EXPECT_EQ(w.ub[16], 0);
	wio_teardown(&w);
}

const struct kmemu_case *const kmemu_cases_WdfRequestComplete[] = {
	KMEMU_CASE_REF(handle),
	KMEMU_CASE_REF(not_owned),
	KMEMU_CASE_REF(information),
	KMEMU_CASE_REF(twice),
	KMEMU_CASE_REF(information_length),
	KMEMU_CASE_REF(buffered_no_output),
	KMEMU_CASE_REF(status_remap),
	KMEMU_CASE_REF(map_registers),
	KMEMU_CASE_REF(context),
	KMEMU_CASE_REF(early_dispose),
	KMEMU_CASE_REF(dispatch_passive_child),
	KMEMU_CASE_REF(irp_references),
	KMEMU_CASE_REF(irp_cleared),
	KMEMU_CASE_REF(buf_after_completed),
	KMEMU_CASE_REF(mem_after_completed),
	KMEMU_CASE_REF(rules_by_type),
	NULL,
};
