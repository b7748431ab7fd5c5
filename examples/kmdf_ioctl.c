/* SPDX-License-Identifier: MIT */
/*
 * kmdf_ioctl.c - a small KMDF driver, written as for Windows, and the test
 * program that drives it from an emulated user process.
 *
 * The driver half (DriverEntry down to KmxTransferDone) includes only
 * <wdf.h>: a PnP driver whose EvtDriverDeviceAdd names its device, sets an
 * EvtIoInCallerContext and creates a parallel default queue with
 * EvtIoDeviceControl plus a manual queue for requests that wait for the
 * "hardware".  Its IOCTLs:
 *
 *   IOCTL_KMX_FILL       METHOD_NEITHER: the output buffer is probed and
 *                        locked in the caller's context, then filled through
 *                        WdfMemoryGetBuffer() in EvtIoDeviceControl.
 *   IOCTL_KMX_UPCASE     METHOD_BUFFERED: the input, upper-cased, is the output.
 *   IOCTL_KMX_FILL_LATE  METHOD_NEITHER, with a bug: the buffer is probed only
 *                        when the hardware finishes, on whatever thread runs
 *                        KmxTransferDone().
 *   IOCTL_KMX_FILL_ASYNC METHOD_NEITHER, locked in the caller's context and
 *                        held with an extra reference while the hardware
 *                        works, with a bug: KmxTransferDone() completes the
 *                        request before it drops that reference.
 *
 * The test half (main) loads the driver, creates a user process with a
 * WinDriver shared buffer in it, sends the IOCTLs from a thread attached to
 * that process, and checks that the bytes land in the user buffer, that the
 * driver wrote through a kernel alias at another address, that the WDF
 * verifier catches the late probe (STATUS_ACCESS_VIOLATION with the
 * verifier on, success with it off), that the extra reference is bug check
 * 0x10D/3, and that the clean runs unload with no leak.  It exits 0 only if
 * every check held.
 *
 * Build against an installed kmemu:
 *   cc kmdf_ioctl.c $(pkg-config --cflags --libs kmemu) -o kmdf_ioctl
 */

/* ==== the driver ========================================================== */
#include <wdf.h>

#define KMX_DEVICE_NAME u"\\Device\\KmxFill"
#define IOCTL_KMX_FILL CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_KMX_UPCASE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_KMX_FILL_LATE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_KMX_FILL_ASYNC CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_NEITHER, FILE_ANY_ACCESS)

typedef struct _KMX_DEVICE_CONTEXT {
	WDFQUEUE PendingQueue;      /* requests waiting for the hardware */
	PVOID LastSystemAddress;    /* where the last fill wrote (kernel mapping) */
} KMX_DEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(KMX_DEVICE_CONTEXT, KmxGetDeviceContext)

typedef struct _KMX_REQUEST_CONTEXT {
	WDFMEMORY UserMemory;       /* the locked user output buffer */
	PVOID UserBuffer;           /* IOCTL_KMX_FILL_LATE: the raw user address ... */
	size_t UserLength;          /* ... and length, probed later */
	BOOLEAN HeldReference;      /* IOCTL_KMX_FILL_ASYNC: UserMemory has an extra reference */
} KMX_REQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(KMX_REQUEST_CONTEXT, KmxGetRequestContext)

static EVT_WDF_DRIVER_DEVICE_ADD KmxEvtDeviceAdd;
static EVT_WDF_IO_IN_CALLER_CONTEXT KmxEvtIoInCallerContext;
static EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KmxEvtIoDeviceControl;

/* The pattern a fill writes: byte i of the buffer is (i * 7 + 1) & 0xFF. */
static VOID KmxFill(PUCHAR Buffer, size_t Length)
{
	for (size_t i = 0; i < Length; i++)
		Buffer[i] = (UCHAR)(i * 7 + 1);
}

static NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	WDF_DRIVER_CONFIG config;

	WDF_DRIVER_CONFIG_INIT(&config, KmxEvtDeviceAdd);
	return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config,
			       WDF_NO_HANDLE);
}

static NTSTATUS NTAPI KmxEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
	UNICODE_STRING name;
	WDF_OBJECT_ATTRIBUTES attributes;
	WDF_IO_QUEUE_CONFIG queueConfig;
	KMX_DEVICE_CONTEXT *ctx;
	WDFDEVICE device;
	NTSTATUS status;

	UNREFERENCED_PARAMETER(Driver);
	WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoBuffered);
	WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, KmxEvtIoInCallerContext);
	RtlInitUnicodeString(&name, KMX_DEVICE_NAME);
	status = WdfDeviceInitAssignName(DeviceInit, &name);
	if (!NT_SUCCESS(status))
		return status;
	WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, KMX_DEVICE_CONTEXT);
	status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
	if (!NT_SUCCESS(status))
		return status;
	ctx = KmxGetDeviceContext(device);

	WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
	queueConfig.EvtIoDeviceControl = KmxEvtIoDeviceControl;
	status = WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
	if (!NT_SUCCESS(status))
		return status;
	WDF_IO_QUEUE_CONFIG_INIT(&queueConfig, WdfIoQueueDispatchManual);
	return WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &ctx->PendingQueue);
}

/* Runs on the requesting thread, in its process: the only place a
 * METHOD_NEITHER user buffer may be probed and locked. */
static VOID NTAPI KmxEvtIoInCallerContext(WDFDEVICE Device, WDFREQUEST Request)
{
	WDF_REQUEST_PARAMETERS params;
	WDF_OBJECT_ATTRIBUTES attributes;
	KMX_REQUEST_CONTEXT *reqCtx;
	PVOID userBuffer;
	size_t length;
	WDFMEMORY memory;
	ULONG code;
	NTSTATUS status;

	WDF_REQUEST_PARAMETERS_INIT(&params);
	WdfRequestGetParameters(Request, &params);
	code = params.Parameters.DeviceIoControl.IoControlCode;
	if (params.Type == WdfRequestTypeDeviceControl &&
	    (code == IOCTL_KMX_FILL || code == IOCTL_KMX_FILL_LATE || code == IOCTL_KMX_FILL_ASYNC)) {
		memory = NULL;
		status = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 1, &userBuffer, &length);
		if (NT_SUCCESS(status) && code != IOCTL_KMX_FILL_LATE)
			status = WdfRequestProbeAndLockUserBufferForWrite(Request, userBuffer, length,
									  &memory);
		if (NT_SUCCESS(status)) {
			WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, KMX_REQUEST_CONTEXT);
			status = WdfObjectAllocateContext(Request, &attributes, (PVOID *)&reqCtx);
		}
		if (!NT_SUCCESS(status)) {
			WdfRequestComplete(Request, status);
			return;
		}
		reqCtx->UserMemory = memory;
		reqCtx->UserBuffer = userBuffer;  /* FILL_LATE keeps only the address (the bug) */
		reqCtx->UserLength = length;
		if (code == IOCTL_KMX_FILL_ASYNC) {
			WdfObjectReference(memory);  /* "keep the mapping while the DMA runs" */
			reqCtx->HeldReference = TRUE;
		}
	}
	status = WdfDeviceEnqueueRequest(Device, Request);
	if (!NT_SUCCESS(status))
		WdfRequestComplete(Request, status);
}

static VOID NTAPI KmxEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength,
					size_t InputBufferLength, ULONG IoControlCode)
{
	KMX_DEVICE_CONTEXT *ctx = KmxGetDeviceContext(WdfIoQueueGetDevice(Queue));
	PUCHAR in, out, buffer;
	size_t inLength, outLength, length;
	NTSTATUS status;

	UNREFERENCED_PARAMETER(OutputBufferLength);
	UNREFERENCED_PARAMETER(InputBufferLength);
	switch (IoControlCode) {
	case IOCTL_KMX_FILL:
		buffer = WdfMemoryGetBuffer(KmxGetRequestContext(Request)->UserMemory, &length);
		KmxFill(buffer, length);
		ctx->LastSystemAddress = buffer;
		WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, length);
		return;
	case IOCTL_KMX_UPCASE:
		status = WdfRequestRetrieveInputBuffer(Request, 1, (PVOID *)&in, &inLength);
		if (NT_SUCCESS(status))
			status = WdfRequestRetrieveOutputBuffer(Request, inLength, (PVOID *)&out,
								&outLength);
		if (!NT_SUCCESS(status)) {
			WdfRequestComplete(Request, status);
			return;
		}
		/* in and out are one system buffer: upper-case in place */
		for (size_t i = 0; i < inLength; i++)
			out[i] = (UCHAR)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 'a' + 'A' : in[i]);
		WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, inLength);
		return;
	case IOCTL_KMX_FILL_LATE:
	case IOCTL_KMX_FILL_ASYNC:
		status = WdfRequestForwardToIoQueue(Request, ctx->PendingQueue);
		if (!NT_SUCCESS(status))
			WdfRequestComplete(Request, status);
		return;
	default:
		WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
	}
}

/* What the driver's DPC runs when the hardware has finished a transfer:
 * take the oldest pending request and fill its buffer. */
static VOID KmxTransferDone(WDFDEVICE Device)
{
	KMX_DEVICE_CONTEXT *ctx = KmxGetDeviceContext(Device);
	KMX_REQUEST_CONTEXT *reqCtx;
	WDFREQUEST request;
	WDFMEMORY held;
	PVOID buffer;
	size_t length;
	NTSTATUS status;

	if (!NT_SUCCESS(WdfIoQueueRetrieveNextRequest(ctx->PendingQueue, &request)))
		return;
	reqCtx = KmxGetRequestContext(request);
	if (!reqCtx->UserMemory) {
		/* BUG (IOCTL_KMX_FILL_LATE): this is not the requestor's context */
		status = WdfRequestProbeAndLockUserBufferForWrite(request, reqCtx->UserBuffer,
								  reqCtx->UserLength,
								  &reqCtx->UserMemory);
		if (!NT_SUCCESS(status)) {
			WdfRequestComplete(request, status);
			return;
		}
	}
	buffer = WdfMemoryGetBuffer(reqCtx->UserMemory, &length);
	KmxFill(buffer, length);
	ctx->LastSystemAddress = buffer;
	held = reqCtx->HeldReference ? reqCtx->UserMemory : NULL;
	/* BUG (IOCTL_KMX_FILL_ASYNC): the reference taken in caller context
	 * must be dropped before the request completes, not after */
	WdfRequestCompleteWithInformation(request, STATUS_SUCCESS, length);
	if (held)
		WdfObjectDereference(held);
}

/* ==== the test: the I/O manager and the user process ====================== */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <wds_lib.h>
#include <kmemu/wdf.h>

#define CHECK(cond, ...)                                      \
	do {                                                  \
		if (!(cond)) {                                \
			fprintf(stderr, "FAILED: " __VA_ARGS__); \
			return 1;                             \
		}                                             \
	} while (0)

#define BUF_SIZE (2 * 4096)

static struct {
	struct kmemu_wdf_driver *drv;
	WDFDEVICE dev;
	kmemu_pid initial, app;
	WD_KERNEL_BUFFER *buf;      /* the user buffer, in the app process */
	PUCHAR user;                /* its user address */
	struct kmemu_io_file *file; /* the app's open device */
} T;

/* Load the driver (the verifier on or off), let the PnP manager add its
 * device, create the app process with a shared buffer and open the device
 * from this thread, attached to the app. */
static int start(int verifier)
{
	struct kmemu_wdf_driver_options o = { .verifier = verifier, .has_verifier = 1, .quiet = 1 };
	kmemu_status st;

	st = kmemu_wdf_driver_load(DriverEntry, "kmxfill", &o, &T.drv);
	CHECK(st == STATUS_SUCCESS, "driver load: %#x\n", (unsigned)st);
	st = kmemu_wdf_device_add(T.drv, &T.dev);
	CHECK(st == STATUS_SUCCESS && T.dev, "EvtDriverDeviceAdd: %#x\n", (unsigned)st);
	CHECK(kmemu_process_create("app", &T.app) == STATUS_SUCCESS, "process create\n");
	CHECK(kmemu_process_attach(T.app, &T.initial) == STATUS_SUCCESS, "attach\n");
	CHECK(WDS_SharedBufferAlloc(BUF_SIZE, KER_BUF_ALLOC_NON_CONTIG, &T.buf) == WD_STATUS_SUCCESS,
	      "shared buffer\n");
	T.user = (PUCHAR)(uintptr_t)T.buf->pUserAddr;
	st = kmemu_io_open("\\Device\\KmxFill", &T.file);
	CHECK(st == STATUS_SUCCESS, "open: %#x\n", (unsigned)st);
	return 0;
}

/* Close, free, leave the app process and unload; the unload must find no
 * object left. */
static int stop(void)
{
	uint64_t leaks;

	kmemu_io_close(T.file);
	CHECK(WDS_SharedBufferFree(T.buf) == WD_STATUS_SUCCESS, "shared buffer free\n");
	CHECK(kmemu_process_attach(T.initial, NULL) == STATUS_SUCCESS, "attach back\n");
	CHECK(kmemu_process_destroy(T.app) == STATUS_SUCCESS, "process destroy\n");
	leaks = kmemu_wdf_driver_unload(T.drv);
	CHECK(leaks == 0, "%llu objects leaked\n", (unsigned long long)leaks);
	printf("unloaded: 0 objects leaked\n");
	return 0;
}

static int filled(const PUCHAR p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (UCHAR)(i * 7 + 1))
			return 0;
	return 1;
}

/* The driver's DPC on a system thread that happens to be in the app's
 * process (attached to it), not the requesting thread. */
static void *dpc_thread(void *arg)
{
	struct kmemu_wdf_driver *prev;

	(void)arg;
	kmemu_process_attach(T.app, NULL);
	prev = kmemu_wdf_driver_enter(T.drv);
	KmxTransferDone(T.dev);
	kmemu_wdf_driver_enter(prev);
	return NULL;
}

/* Send IOCTL_KMX_FILL_LATE (it pends), run the DPC on another thread,
 * return the request's final status. */
static kmemu_status fill_late(uint64_t *info)
{
	struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL, .code = IOCTL_KMX_FILL_LATE,
				   .out = T.buf->pUserAddr, .out_len = 64 };
	struct kmemu_io_op *op = NULL;
	kmemu_status st;
	pthread_t th;

	memset(T.user, 0, 64);
	st = kmemu_io_send(T.file, &a, &op);
	if (st != STATUS_PENDING)
		return st;
	if (pthread_create(&th, NULL, dpc_thread, NULL) != 0)
		return STATUS_UNSUCCESSFUL;
	pthread_join(th, NULL);
	return kmemu_io_wait(op, info);
}

static void transfer_done(void *arg)
{
	KmxTransferDone((WDFDEVICE)arg);
}

int main(void)
{
	static const char text[] = "sent from user mode";
	struct kmemu_bugcheck_report rep;
	struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL, .code = IOCTL_KMX_FILL_ASYNC,
				   .out_len = 256 };
	struct kmemu_wdf_driver *prev;
	struct kmemu_io_op *op = NULL;
	struct kmemu_stats ms;
	uint64_t info = 0, leaks;
	kmemu_status st;
	PVOID sys;
	int caught;

	/* 1. The verifier on: METHOD_NEITHER locked in caller context. */
	if (start(1))
		return 1;
	st = kmemu_io_ioctl(T.file, IOCTL_KMX_FILL, 0, 0, T.buf->pUserAddr, BUF_SIZE, &info);
	CHECK(st == STATUS_SUCCESS && info == BUF_SIZE, "IOCTL_KMX_FILL: %#x, %llu bytes\n",
	      (unsigned)st, (unsigned long long)info);
	CHECK(filled(T.user, BUF_SIZE), "the fill did not land in the user buffer\n");
	sys = KmxGetDeviceContext(T.dev)->LastSystemAddress;
	CHECK(sys && sys != (PVOID)T.user && sys != (PVOID)(uintptr_t)T.buf->pKernelAddr,
	      "the driver wrote through %p, not a kernel alias\n", sys);
	printf("METHOD_NEITHER: the driver wrote %llu bytes through its kernel alias %p; "
	       "they are in the app's buffer at %p\n",
	       (unsigned long long)info, sys, (void *)T.user);

	/* 2. METHOD_BUFFERED: the input goes through a system buffer. */
	memcpy(T.user, text, sizeof(text));
	memset(T.user + 4096, 0, sizeof(text));
	st = kmemu_io_ioctl(T.file, IOCTL_KMX_UPCASE, T.buf->pUserAddr, sizeof(text),
			    T.buf->pUserAddr + 4096, sizeof(text), &info);
	CHECK(st == STATUS_SUCCESS && info == sizeof(text) &&
		      !strcmp((const char *)T.user + 4096, "SENT FROM USER MODE"),
	      "IOCTL_KMX_UPCASE: %#x, \"%s\"\n", (unsigned)st, (const char *)T.user + 4096);
	printf("METHOD_BUFFERED: \"%s\" came back as \"%s\"\n", (const char *)T.user,
	       (const char *)T.user + 4096);

	/* 3. The late probe with the verifier on: not the requesting thread. */
	st = fill_late(&info);
	CHECK(st == STATUS_ACCESS_VIOLATION && !filled(T.user, 64),
	      "late probe with the verifier: %#x\n", (unsigned)st);
	printf("verifier on:  ProbeAndLock on the DPC thread -> STATUS_ACCESS_VIOLATION (%#x)\n",
	       (unsigned)st);
	if (stop())
		return 1;

	/* 4. The same with the verifier off: the probe runs in the app's
	 * process and succeeds, the bug goes unnoticed. */
	if (start(0))
		return 1;
	st = fill_late(&info);
	CHECK(st == STATUS_SUCCESS && info == 64 && filled(T.user, 64),
	      "late probe without the verifier: %#x\n", (unsigned)st);
	printf("verifier off: ProbeAndLock on the DPC thread -> STATUS_SUCCESS, %llu bytes\n",
	       (unsigned long long)info);
	if (stop())
		return 1;

	/* 5. The extra reference across completion: bug check 0x10D/3. */
	if (start(1))
		return 1;
	a.out = T.buf->pUserAddr;
	st = kmemu_io_send(T.file, &a, &op);
	CHECK(st == STATUS_PENDING, "IOCTL_KMX_FILL_ASYNC: %#x\n", (unsigned)st);
	prev = kmemu_wdf_driver_enter(T.drv);
	caught = kmemu_bugcheck_catch(transfer_done, T.dev, &rep);
	kmemu_wdf_driver_enter(prev);
	CHECK(caught && rep.code == 0x10D && rep.param[0] == WDF_VERIFIER_FATAL_ERROR &&
		      rep.param[2] == 1,
	      "expected bug check 0x10D/3, got %d %#x/%#lx\n", caught, rep.code,
	      (unsigned long)rep.param[0]);
	printf("bug check %#x (%s) p1 = %#lx p2 = request %#lx p3 = %lu reference(s) held\n",
	       rep.code, rep.name, (unsigned long)rep.param[0], (unsigned long)rep.param[1],
	       (unsigned long)rep.param[2]);
	/* after the "crash": the unload cancels the IRP and frees what is left */
	kmemu_io_close(T.file);
	T.file = NULL;
	leaks = kmemu_wdf_driver_unload(T.drv);
	st = kmemu_io_wait(op, NULL);
	CHECK(st == STATUS_CANCELLED, "the crashed request: %#x\n", (unsigned)st);
	CHECK(WDS_SharedBufferFree(T.buf) == WD_STATUS_SUCCESS, "shared buffer free\n");
	CHECK(kmemu_process_attach(T.initial, NULL) == STATUS_SUCCESS, "attach back\n");
	CHECK(kmemu_process_destroy(T.app) == STATUS_SUCCESS, "process destroy\n");
	printf("after the bug check: request cancelled at unload, %llu object(s) reclaimed\n",
	       (unsigned long long)leaks);

	kmemu_stats_get(&ms);
	CHECK(ms.frames_used == 0 && ms.mappings == 0 && ms.wds_buffers == 0 && ms.processes == 1,
	      "emulator leak: %llu frames, %llu mappings\n", (unsigned long long)ms.frames_used,
	      (unsigned long long)ms.mappings);
	printf("all checks held: 0 frames, 0 mappings, 0 buffers in use\n");
	return 0;
}
