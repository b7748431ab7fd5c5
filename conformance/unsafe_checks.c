/* SPDX-License-Identifier: MIT */
/*
 * unsafe_checks.c - the checks of WdfRequestRetrieveUnsafeUserInputBuffer
 * and ...OutputBuffer, one function per numbered step of spec kmdf.md §3.
 * Most run with the verifier off on a request taken from a manual queue
 * (the caller-context check is verifier only); step 5 runs both ways.
 */
#include "unsafe_checks.h"

static NTSTATUS unsafe(WDFREQUEST r, size_t min, PVOID *b, size_t *n, int output)
{
	return output ? WdfRequestRetrieveUnsafeUserOutputBuffer(r, min, b, n)
		      : WdfRequestRetrieveUnsafeUserInputBuffer(r, min, b, n);
}

struct unsafe_call {
	WDFREQUEST r;
	PVOID *b;
	int output;
};

static void unsafe_cb(void *arg)
{
	struct unsafe_call *c = arg;
	size_t n;

	unsafe(c->r, 0, c->b, &n, c->output);
}

/* A request of @kind with @code on a manual queue, buffers a (in), b (out). */
static WDFREQUEST pend_kind(struct wio *w, enum kmemu_io_kind kind, uint32_t code, size_t in_len,
			    size_t out_len, struct kmemu_io_op **op)
{
	struct kmemu_io_args a = { .kind = kind, .code = code, .in = w->a->pUserAddr,
				   .in_len = in_len, .out = w->b->pUserAddr, .out_len = out_len };

	return wio_pend(w, &a, op);
}

void unsafe_check_handle(int output)
{
	struct kmemu_bugcheck_report rep;
	PVOID b = NULL;
	struct unsafe_call c = { NULL, &b, output };
	struct wio w;

	wio_setup(&w, 0, WdfDeviceIoNeither, NULL);
	if (KMEMU_EXPECT_EQ(wio_catch(unsafe_cb, &c, &rep), 1)) {
		KMEMU_EXPECT_EQ(rep.code, WDF_VIOLATION);
		KMEMU_EXPECT_EQ(rep.param[0], WDF_INVALID_HANDLE);
		KMEMU_EXPECT_EQ(rep.param[2], 0x1008);
	}
	wio_teardown(&w);
}

void unsafe_check_null(int output)
{
	struct kmemu_bugcheck_report rep;
	struct kmemu_io_op *op;
	struct unsafe_call c;
	struct wio w;

	wio_setup(&w, 0, WdfDeviceIoNeither, NULL);
	c = (struct unsafe_call){ wio_pend_neither(&w, &op), NULL, output };
	if (KMEMU_EXPECT_EQ(wio_catch(unsafe_cb, &c, &rep), 1)) {
		KMEMU_EXPECT_EQ(rep.code, WDF_VIOLATION);
		KMEMU_EXPECT_EQ(rep.param[0], WDF_REQUIRED_PARAMETER_IS_NULL);
	}
	KMEMU_EXPECT_NT(wio_finish(c.r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	wio_teardown(&w);
}

void unsafe_check_cleared(int output)
{
	struct kmemu_io_op *op;
	PVOID b = (PVOID)(uintptr_t)1;
	size_t n = 99;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 0, WdfDeviceIoNeither, NULL);
	r = wio_pend_neither(&w, &op);
	KMEMU_EXPECT_NT(unsafe(r, 9, &b, &n, output), STATUS_BUFFER_TOO_SMALL);
	KMEMU_EXPECT_EQ((uintptr_t)b, 0);
	KMEMU_EXPECT_EQ(n, 0);
	b = (PVOID)(uintptr_t)1;
	KMEMU_EXPECT_NT(unsafe(r, 9, &b, NULL, output), STATUS_BUFFER_TOO_SMALL);
	KMEMU_EXPECT_EQ((uintptr_t)b, 0);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	wio_teardown(&w);
}

static NTSTATUS unsafe_gate_call(struct wio *w, WDFREQUEST r, void *arg)
{
	PVOID b = NULL;
	size_t n = 0;

	(void)w;
	return unsafe(r, 0, &b, &n, *(int *)arg);
}

/* Step 4 (verifier: the IRQL check comes before the caller-context one). */
void unsafe_check_irql(int output)
{
	wio_check_verifier_gate(WdfDeviceIoNeither, DISPATCH_LEVEL, unsafe_gate_call, &output,
				STATUS_SUCCESS);
}

static int ctx_output;
static NTSTATUS ctx_st;
static PVOID ctx_b;

static VOID NTAPI ctx_cb(WDFDEVICE d, WDFREQUEST r)
{
	size_t n = 0;

	(void)d;
	ctx_st = unsafe(r, 0, &ctx_b, &n, ctx_output);
	WdfRequestComplete(r, STATUS_SUCCESS);
}

/* Step 5: outside EvtIoInCallerContext only the verifier refuses; inside
 * it the raw address comes back with the verifier on and off. */
void unsafe_check_caller_context(int output)
{
	wio_check_verifier_gate(WdfDeviceIoNeither, PASSIVE_LEVEL, unsafe_gate_call, &output,
				STATUS_SUCCESS);
	for (int v = 0; v <= 1; v++) {
		struct wio w;

		ctx_output = output;
		ctx_st = STATUS_UNSUCCESSFUL;
		wio_setup(&w, v, WdfDeviceIoNeither, ctx_cb);
		KMEMU_EXPECT_NT(kmemu_io_ioctl(w.f, WIO_IOCTL(4, METHOD_NEITHER), w.a->pUserAddr, 8,
					       w.b->pUserAddr, 8, NULL),
				STATUS_SUCCESS);
		KMEMU_EXPECT_NT(ctx_st, STATUS_SUCCESS);
		KMEMU_EXPECT_EQ((uintptr_t)ctx_b, output ? (uintptr_t)w.ub : (uintptr_t)w.ua);
		wio_teardown(&w);
	}
}

/* A request of @kind the variant never serves: STATUS_INVALID_DEVICE_REQUEST,
 * the pointer NULL, no break (trace only). */
static void check_refused(int output, enum kmemu_io_kind kind, uint32_t code)
{
	struct kmemu_io_op *op;
	PVOID b = NULL;
	size_t n = 0;
	struct wio w;
	WDFREQUEST r;
	uint64_t breaks;

	wio_setup(&w, 0, WdfDeviceIoNeither, NULL);
	r = pend_kind(&w, kind, code, 8, 8, &op);
	breaks = wio_breaks(&w);
	KMEMU_EXPECT_NT(unsafe(r, 0, &b, &n, output), STATUS_INVALID_DEVICE_REQUEST);
	KMEMU_EXPECT_EQ((uintptr_t)b, 0);
	KMEMU_EXPECT_EQ(wio_breaks(&w), breaks);
	if (kind == KMEMU_IO_INTERNAL_DEVICE_CONTROL)
		KMEMU_EXPECT_EQ(WdfRequestGetRequestorMode(r), KernelMode);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	wio_teardown(&w);
}

/* Step 6: the input variant refuses reads, the output variant writes. */
void unsafe_check_wrong_direction(int output)
{
	check_refused(output, output ? KMEMU_IO_WRITE : KMEMU_IO_READ, 0);
}

/* Step 7: internal IOCTLs (a kernel-mode sender). */
void unsafe_check_internal(int output)
{
	check_refused(output, KMEMU_IO_INTERNAL_DEVICE_CONTROL, WIO_IOCTL(5, METHOD_NEITHER));
}

void unsafe_check_neither_ioctl(int output)
{
	struct kmemu_io_op *op;
	PVOID b = NULL;
	size_t n = 0;
	struct wio w;
	WDFREQUEST r;
	WDF_REQUEST_PARAMETERS p;

	wio_setup(&w, 0, WdfDeviceIoBuffered, NULL);
	r = pend_kind(&w, KMEMU_IO_DEVICE_CONTROL, WIO_IOCTL(6, METHOD_NEITHER), 8, 12, &op);
	KMEMU_EXPECT_NT(unsafe(r, output ? 13 : 9, &b, &n, output), STATUS_BUFFER_TOO_SMALL);
	KMEMU_EXPECT_NT(unsafe(r, output ? 12 : 8, &b, &n, output), STATUS_SUCCESS);
	/* the raw, unprobed user address and the request's length */
	KMEMU_EXPECT_EQ((uintptr_t)b, output ? (uintptr_t)w.ub : (uintptr_t)w.ua);
	KMEMU_EXPECT_EQ(n, output ? 12 : 8);
	WDF_REQUEST_PARAMETERS_INIT(&p);
	WdfRequestGetParameters(r, &p);
	if (!output)
		KMEMU_EXPECT_EQ((uintptr_t)p.Parameters.DeviceIoControl.Type3InputBuffer, (uintptr_t)b);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	/* RequiredLength 0 with no buffer: success, NULL and 0 */
	r = pend_kind(&w, KMEMU_IO_DEVICE_CONTROL, WIO_IOCTL(6, METHOD_NEITHER), 0, 0, &op);
	b = (PVOID)(uintptr_t)1;
	n = 1;
	KMEMU_EXPECT_NT(unsafe(r, 0, &b, &n, output), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(n, 0);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	wio_teardown(&w);
}

void unsafe_check_neither_device(int output)
{
	for (int neither = 0; neither <= 1; neither++) {
		struct kmemu_io_op *op;
		PVOID b = NULL;
		size_t n = 0;
		struct wio w;
		WDFREQUEST r;

		wio_setup(&w, 0, neither ? WdfDeviceIoNeither : WdfDeviceIoDirect, NULL);
		r = pend_kind(&w, output ? KMEMU_IO_READ : KMEMU_IO_WRITE, 0, 20, 20, &op);
		if (neither) {
			KMEMU_EXPECT_NT(unsafe(r, 21, &b, &n, output), STATUS_BUFFER_TOO_SMALL);
			KMEMU_EXPECT_NT(unsafe(r, 20, &b, &n, output), STATUS_SUCCESS);
			KMEMU_EXPECT_EQ((uintptr_t)b, output ? (uintptr_t)w.ub : (uintptr_t)w.ua);
			KMEMU_EXPECT_EQ(n, 20);
		} else {
			KMEMU_EXPECT_NT(unsafe(r, 0, &b, &n, output), STATUS_INVALID_DEVICE_REQUEST);
		}
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		wio_teardown(&w);
	}
}

/* Step 10: any other request (a buffered IOCTL here, in caller context with
 * the verifier on): STATUS_INVALID_DEVICE_REQUEST; only the input variant
 * breaks. */
void unsafe_check_other(int output)
{
	struct wio w;
	uint64_t breaks;

	ctx_output = output;
	ctx_st = STATUS_UNSUCCESSFUL;
	wio_setup(&w, 1, WdfDeviceIoNeither, ctx_cb);
	breaks = wio_breaks(&w);
	KMEMU_EXPECT_NT(kmemu_io_ioctl(w.f, WIO_IOCTL(7, METHOD_BUFFERED), w.a->pUserAddr, 8,
				       w.b->pUserAddr, 8, NULL),
			STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ctx_st, STATUS_INVALID_DEVICE_REQUEST);
	KMEMU_EXPECT_EQ((uintptr_t)ctx_b, 0);
	KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (output ? 0 : 1));
	wio_teardown(&w);
}
