/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfRequestProbeAndLockUserBufferForWrite():
 * the seed's sentences, then spec §1's checks (conformance/pal_checks.c).
 */
#include <string.h>
#include "../pal_checks.h"

#define A "WdfRequestProbeAndLockUserBufferForWrite/"

KMEMU_CASE(prototype, A "prototype", WIO_CAPS, A "prototype " A "kmdf-only")
{
	NTSTATUS (*fn)(WDFREQUEST, PVOID, size_t, WDFMEMORY *) =
		WdfRequestProbeAndLockUserBufferForWrite;

	KMEMU_EXPECT_TRUE(fn != NULL);
	KMEMU_EXPECT_EQ(sizeof(WDFMEMORY), sizeof(void *));
}

/* The lock outlives the user's own mapping of the buffer. */
KMEMU_CASE(purpose, A "purpose", WIO_CAPS,
	   A "purpose " A "status-success " A "param-request " A "param-memory " A "handle-on-success")
{
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	struct wio w;
	WDFREQUEST r;
	uint8_t *k;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	r = wio_pend_neither(&w, &op);
	KMEMU_ASSERT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub, 64, &m), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE(m != NULL);
	k = WdfMemoryGetBuffer(m, NULL);
	memset(k, 0x6B, 64);
	KMEMU_EXPECT_EQ(w.ub[63], 0x6B);
	/* the user frees its buffer: the locked pages stay */
	KMEMU_SETUP_WD(WDS_SharedBufferFree(w.b));
	w.b = NULL;
	KMEMU_EXPECT_EQ(k[10], 0x6B);
	k[11] = 1;
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	wio_teardown(&w);
}

KMEMU_CASE(params, A "params", WIO_CAPS,
	   A "param-buffer " A "param-length " A "get-buffer " A "output-typical")
{
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	size_t n = 0;
	struct wio w;
	WDFREQUEST r;
	uint8_t *k;

	wio_setup(&w, 0, WdfDeviceIoBuffered, NULL);
	r = wio_pend_neither(&w, &op);
	KMEMU_ASSERT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub, 8, &m), STATUS_SUCCESS);
	k = WdfMemoryGetBuffer(m, &n);
	KMEMU_EXPECT_EQ(n, 8);
	KMEMU_EXPECT_NE((uintptr_t)k, (uintptr_t)w.ub);
	memcpy(k, "devdata", 8);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(w.ub, "devdata", 8);
	wio_teardown(&w);
}

KMEMU_CASE(status_invalid_parameter, A "status-invalid-parameter", WIO_CAPS,
	   A "status-invalid-parameter " A "step2-3-null")
{
	pal_check_null_pointers(1);
}

KMEMU_CASE(status_invalid_user_buffer, A "status-invalid-user-buffer", WIO_CAPS,
	   A "status-invalid-user-buffer " A "step7-length")
{
	pal_check_length(1);
}

KMEMU_CASE(status_invalid_device_request, A "status-invalid-device-request", WIO_CAPS,
	   A "status-invalid-device-request " A "step8-completed " A "step8-down-level " A "ddi-rules")
{
	pal_check_completed(1);
}

KMEMU_CASE(status_access_violation, A "status-access-violation", WIO_CAPS,
	   A "status-access-violation " A "step9-thread " A "step9-verifier-off-process")
{
	pal_check_thread(1);
}

KMEMU_CASE(thread_exempt, A "step9-exemption", WIO_CAPS, A "step9-exemption")
{
	pal_check_thread_exempt(1);
}

KMEMU_CASE(status_insufficient_resources, A "status-insufficient-resources",
	   WIO_CAPS | KMEMU_CAP_FAULT_INJECT,
	   A "status-insufficient-resources " A "step10-mdl " A "step12-map " A "step13-14-object")
{
	pal_check_resources(1);
}

KMEMU_CASE(status_other, A "status-other", WIO_CAPS | KMEMU_CAP_SECTIONS,
	   A "status-other " A "step11-probe " A "purpose")
{
	pal_check_probe(1);
}

KMEMU_CASE(bugcheck_handle, A "bugcheck-handle", WIO_CAPS | KMEMU_CAP_BUGCHECK,
	   A "bugcheck-handle " A "step1-handle")
{
	pal_check_handle(1);
}

KMEMU_CASE(out_param, A "step4-out", WIO_CAPS, A "step4-out")
{
	pal_check_out_param(1);
}

KMEMU_CASE(irql, A "irql-passive", WIO_CAPS | KMEMU_CAP_IRQL, A "irql-passive " A "step5-irql")
{
	pal_check_irql(1);
}

KMEMU_CASE(owned, A "step6-owned", WIO_CAPS | KMEMU_CAP_VERIFIER, A "step6-owned")
{
	pal_check_owned(1);
}

KMEMU_CASE(success, A "step15-success", WIO_CAPS | KMEMU_CAP_BUGCHECK,
	   A "step15-success " A "freed-at-complete")
{
	pal_check_success(1);
}

/* In the requestor's context: the unsafe output buffer and another user
 * buffer (a pointer embedded in a METHOD_BUFFERED input) both lock. */
static struct wio ctx_w;
static NTSTATUS ctx_st[3];

static VOID NTAPI ctx_in_caller(WDFDEVICE d, WDFREQUEST r)
{
	PVOID out = NULL, *embedded = NULL;
	size_t n = 0;
	WDFMEMORY m1 = NULL, m2 = NULL, m3 = NULL;
	WDF_REQUEST_PARAMETERS p;

	(void)d;
	WDF_REQUEST_PARAMETERS_INIT(&p);
	WdfRequestGetParameters(r, &p);
	if (METHOD_FROM_CTL_CODE(p.Parameters.DeviceIoControl.IoControlCode) == METHOD_NEITHER) {
		ctx_st[0] = WdfRequestRetrieveUnsafeUserOutputBuffer(r, 8, &out, &n);
		if (ctx_st[0] == STATUS_SUCCESS)
			ctx_st[0] = WdfRequestProbeAndLockUserBufferForWrite(r, out, n, &m1);
		ctx_st[1] = WdfRequestProbeAndLockUserBufferForWrite(r, ctx_w.ua + WIO_PAGE, 8, &m2);
		if (ctx_st[1] == STATUS_SUCCESS)
			memcpy(WdfMemoryGetBuffer(m2, NULL), "other", 5);
	} else {
		ctx_st[2] = WdfRequestRetrieveInputBuffer(r, sizeof(PVOID), (PVOID *)&embedded, &n);
		if (ctx_st[2] == STATUS_SUCCESS)
			ctx_st[2] = WdfRequestProbeAndLockUserBufferForWrite(r, *embedded, 8, &m3);
		if (ctx_st[2] == STATUS_SUCCESS)
			memcpy(WdfMemoryGetBuffer(m3, NULL), "embedded", 8);
	}
	WdfRequestComplete(r, STATUS_SUCCESS);
}

KMEMU_CASE(in_caller_context, A "unsafe-or-other-buffer", WIO_CAPS,
	   A "unsafe-or-other-buffer " A "embedded-pointer " A "top-level-only")
{
	uint64_t ptr;

	wio_setup(&ctx_w, 1, WdfDeviceIoBuffered, ctx_in_caller);
	KMEMU_EXPECT_NT(kmemu_io_ioctl(ctx_w.f, WIO_IOCTL(2, METHOD_NEITHER), ctx_w.a->pUserAddr, 8,
				       ctx_w.b->pUserAddr, 8, NULL),
			STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ctx_st[0], STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ctx_st[1], STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(ctx_w.ua + WIO_PAGE, "other", 5);
	ptr = ctx_w.b->pUserAddr + 2 * WIO_PAGE;
	memcpy(ctx_w.ua, &ptr, sizeof(ptr));
	KMEMU_EXPECT_NT(kmemu_io_ioctl(ctx_w.f, WIO_IOCTL(3, METHOD_BUFFERED), ctx_w.a->pUserAddr,
				       sizeof(ptr), 0, 0, NULL),
			STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ctx_st[2], STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(ctx_w.ub + 2 * WIO_PAGE, "embedded", 8);
	wio_teardown(&ctx_w);
}

/* Past the mapped buffer: STATUS_ACCESS_VIOLATION; past the buffer but in
 * mapped memory: locked (the driver can reach memory outside it). */
KMEMU_CASE(length_not_beyond, A "length-not-beyond", WIO_CAPS, A "length-not-beyond")
{
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	r = wio_pend_neither(&w, &op);
	KMEMU_EXPECT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub, WIO_BUF_PAGES * WIO_PAGE + 1,
								 &m),
			STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub, WIO_BUF_PAGES * WIO_PAGE, &m),
			STATUS_SUCCESS);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	wio_teardown(&w);
}

const struct kmemu_case *const kmemu_cases_WdfRequestProbeAndLockUserBufferForWrite[] = {
	KMEMU_CASE_REF(prototype),
	KMEMU_CASE_REF(purpose),
	KMEMU_CASE_REF(params),
	KMEMU_CASE_REF(status_invalid_parameter),
	KMEMU_CASE_REF(status_invalid_user_buffer),
	KMEMU_CASE_REF(status_invalid_device_request),
	KMEMU_CASE_REF(status_access_violation),
	KMEMU_CASE_REF(thread_exempt),
	KMEMU_CASE_REF(status_insufficient_resources),
	KMEMU_CASE_REF(status_other),
	KMEMU_CASE_REF(bugcheck_handle),
	KMEMU_CASE_REF(out_param),
	KMEMU_CASE_REF(irql),
	KMEMU_CASE_REF(owned),
	KMEMU_CASE_REF(success),
	KMEMU_CASE_REF(in_caller_context),
	KMEMU_CASE_REF(length_not_beyond),
	NULL,
};
