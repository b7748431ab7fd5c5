/* SPDX-License-Identifier: MIT */
/*
 * test_wdfio.c - the I/O path from an emulated user process to a KMDF
 * driver (api/wdf/io.c, io_device.c, io_request.c): every transfer method,
 * in-caller context and queue dispatch on the same and another thread,
 * every ProbeAndLock status and bug check, completion effects, with the
 * WDF verifier on and off.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include <wdf.h>
#include <kmemu/wdf.h>
#include "emu.h"
#include "kmemu_test.h"

#define DEV_NAME "\\Device\\kmemu_wdfio"
#define IOCTL(fn, m) CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800 + (fn), (m), FILE_ANY_ACCESS)

/* ---- the driver under test ---------------------------------------------------------- */

static struct {
	struct kmemu_wdf_driver *drv;
	WDFDEVICE dev;
	WDFQUEUE queue;
	/* what the callbacks saw */
	WDFREQUEST last;
	unsigned calls;
	uint64_t thread_calls;      /* calls on a thread other than the test's */
	uint8_t written_first;      /* first byte EvtIoWrite saw */
	int complete_in_callback;   /* 0: leave the request pending */
	/* in-caller context: what to do */
	void (*in_caller)(WDFDEVICE d, WDFREQUEST r);
} T;

static pthread_t test_thread;

static void note(WDFREQUEST r)
{
	T.last = r;
	T.calls++;
	if (!pthread_equal(pthread_self(), test_thread))
		T.thread_calls++;
}

/* Echo: output[i] = input[i % in] ^ 0xFF for METHOD_BUFFERED and the direct
 * methods; complete with Information = bytes produced. */
static VOID NTAPI evt_ioctl(WDFQUEUE q, WDFREQUEST r, size_t out_len, size_t in_len, ULONG code)
{
	uint8_t *in = NULL, *out = NULL;
	size_t il = 0, ol = 0;

	(void)q, (void)out_len, (void)in_len;
	note(r);
	if (!T.complete_in_callback)
		return;
	if (METHOD_FROM_CTL_CODE(code) == METHOD_NEITHER) {
		WdfRequestComplete(r, STATUS_NOT_SUPPORTED);
		return;
	}
	if (WdfRequestRetrieveInputBuffer(r, 1, (PVOID *)&in, &il) ||
	    WdfRequestRetrieveOutputBuffer(r, 1, (PVOID *)&out, &ol)) {
		WdfRequestComplete(r, STATUS_INVALID_PARAMETER);
		return;
	}
	for (size_t i = 0; i < ol; i++)
		out[i] = in[i % il] ^ 0xFF;
	WdfRequestCompleteWithInformation(r, STATUS_SUCCESS, ol);
}

/* Reads fill the output with 'R'; writes record the first input byte. */
static void read_write(WDFREQUEST r, size_t len, int write)
{
	uint8_t *p = NULL;
	size_t n = 0;

	note(r);
	if (!T.complete_in_callback)
		return;
	assert_status(write ? WdfRequestRetrieveInputBuffer(r, len, (PVOID *)&p, &n)
			    : WdfRequestRetrieveOutputBuffer(r, len, (PVOID *)&p, &n),
		      STATUS_SUCCESS);
	if (write)
		T.written_first = p[0];
	else
		memset(p, 'R', n);
	WdfRequestCompleteWithInformation(r, STATUS_SUCCESS, n);
}

static VOID NTAPI evt_read(WDFQUEUE q, WDFREQUEST r, size_t len)
{
	(void)q;
	read_write(r, len, 0);
}

static VOID NTAPI evt_write(WDFQUEUE q, WDFREQUEST r, size_t len)
{
	(void)q;
	read_write(r, len, 1);
}

static VOID NTAPI evt_in_caller(WDFDEVICE d, WDFREQUEST r)
{
	note(r);
	if (T.in_caller)
		T.in_caller(d, r);
	else
		assert_status(WdfDeviceEnqueueRequest(d, r), STATUS_SUCCESS);
}

/* Load a driver with a control device and one default queue. */
static uint32_t load_minor;  /* KMDF 1.x of the next load (0: 1.33); reset by load() */

static void load(int verifier, WDF_DEVICE_IO_TYPE io, WDF_IO_QUEUE_DISPATCH_TYPE dt, int in_caller)
{
	struct kmemu_wdf_driver_options o = { .verifier = verifier, .has_verifier = 1,
					      .break_policy = KMEMU_WDF_BREAK_CONTINUE, .quiet = 1,
					      .version_minor = load_minor };
	UNICODE_STRING name;
	WDF_IO_QUEUE_CONFIG qc;
	PWDFDEVICE_INIT init;

	load_minor = 0;
	RtlInitUnicodeString(&name, u"\\Device\\kmemu_wdfio");
	memset(&T, 0, sizeof(T));
	T.complete_in_callback = 1;
	test_thread = pthread_self();
	assert_status(kmemu_wdf_driver_create("wdfio", &o, NULL, &T.drv), STATUS_SUCCESS);
	init = WdfControlDeviceInitAllocate(kmemu_wdf_driver_handle(T.drv), NULL);
	assert_non_null(init);
	WdfDeviceInitSetIoType(init, io);
	if (in_caller)
		WdfDeviceInitSetIoInCallerContextCallback(init, evt_in_caller);
	assert_status(WdfDeviceInitAssignName(init, &name), STATUS_SUCCESS);
	assert_status(WdfDeviceCreate(&init, WDF_NO_OBJECT_ATTRIBUTES, &T.dev), STATUS_SUCCESS);
	assert_null(init);
	WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, dt);
	if (dt != WdfIoQueueDispatchManual) {
		qc.EvtIoDeviceControl = evt_ioctl;
		qc.EvtIoRead = evt_read;
		qc.EvtIoWrite = evt_write;
	}
	assert_status(WdfIoQueueCreate(T.dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, &T.queue), STATUS_SUCCESS);
	WdfControlFinishInitializing(T.dev);
}

static void unload(void)
{
	kmemu_wdf_driver_unload(T.drv);
	T.drv = NULL;
}

/* ---- the user process ----------------------------------------------------------------- */

static struct {
	kmemu_pid pid, old;
	WD_KERNEL_BUFFER *a, *b;   /* two user buffers of 3 pages */
	uint8_t *ua, *ub;          /* their user addresses */
	struct kmemu_io_file *f;
} U;

static void user_begin(void)
{
	assert_status(kmemu_process_create("app", &U.pid), STATUS_SUCCESS);
	assert_status(kmemu_process_attach(U.pid, &U.old), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(3 * KT_PAGE, KER_BUF_ALLOC_NON_CONTIG, &U.a), WD_STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(3 * KT_PAGE, KER_BUF_ALLOC_NON_CONTIG, &U.b), WD_STATUS_SUCCESS);
	U.ua = (uint8_t *)(uintptr_t)U.a->pUserAddr;
	U.ub = (uint8_t *)(uintptr_t)U.b->pUserAddr;
	assert_status(kmemu_io_open(DEV_NAME, &U.f), STATUS_SUCCESS);
}

static void user_end(void)
{
	kmemu_io_close(U.f);
	assert_wd(WDS_SharedBufferFree(U.a), WD_STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(U.b), WD_STATUS_SUCCESS);
	assert_status(kmemu_process_attach(U.old, NULL), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(U.pid), STATUS_SUCCESS);
}

static int setup(void **state)
{
	(void)state;
	return kt_use_emu(32 * KT_MIB, KMEMU_PLACE_SCATTER, 0);
}

static int teardown(void **state)
{
	(void)state;
	return kt_close_backend();
}

/* ---- transfer methods ------------------------------------------------------------------- */

/* METHOD_BUFFERED: the input reaches the driver through a system buffer
 * and only Information bytes come back. */
static void test_io_buffered_ioctl(void **state)
{
	uint64_t info = 0;

	(void)state;
	load(1, WdfDeviceIoBuffered, WdfIoQueueDispatchParallel, 0);
	user_begin();
	memcpy(U.ua, "abc", 3);
	memset(U.ub, 0x11, 64);
	assert_status(kmemu_io_ioctl(U.f, IOCTL(1, METHOD_BUFFERED), U.a->pUserAddr, 3, U.b->pUserAddr,
				     8, &info),
		      STATUS_SUCCESS);
	assert_u64_equal(info, 8);
	assert_int_equal(U.ub[0], 'a' ^ 0xFF);
	assert_int_equal(U.ub[1], 'b' ^ 0xFF);
	/* one system buffer holds input and output: the driver's output
	 * overwrote the input it read again from byte 3 on */
	assert_int_equal(U.ub[7], 'b');
	assert_int_equal(U.ub[8], 0x11);
	assert_int_equal(T.calls, 1);
	assert_int_equal(T.thread_calls, 0);
	user_end();
	unload();
}

/* The direct methods lock the output: IN_DIRECT for reading, OUT_DIRECT for
 * writing; the driver writes through a kernel mapping into the user pages. */
static void test_io_direct_ioctl(void **state)
{
	LARGE_INTEGER li = { .QuadPart = KT_PAGE };
	uint64_t info = 0;
	HANDLE s = NULL;
	PVOID ro = NULL;
	SIZE_T z = 0;

	(void)state;
	load(1, WdfDeviceIoBuffered, WdfIoQueueDispatchSequential, 0);
	user_begin();
	U.ua[0] = 1;
	assert_status(kmemu_io_ioctl(U.f, IOCTL(2, METHOD_OUT_DIRECT), U.a->pUserAddr, 1,
				     U.b->pUserAddr + 5, 2 * KT_PAGE, &info),
		      STATUS_SUCCESS);
	assert_u64_equal(info, 2 * KT_PAGE);
	assert_int_equal(U.ub[5], 0xFE);
	assert_int_equal(U.ub[5 + 2 * KT_PAGE - 1], 0xFE);
	assert_int_equal(U.ub[4], 0);
	/* OUT_DIRECT to read-only memory fails before the driver sees it */
	assert_status(ZwCreateSection(&s, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
		      STATUS_SUCCESS);
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &ro, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READONLY),
		      STATUS_SUCCESS);
	assert_status(kmemu_io_ioctl(U.f, IOCTL(2, METHOD_OUT_DIRECT), U.a->pUserAddr, 1,
				     (uintptr_t)ro, 16, &info),
		      STATUS_ACCESS_VIOLATION);
	assert_int_equal(T.calls, 1);
	/* IN_DIRECT only reads it: the driver may still write through the
	 * mapping (nothing stops raw pointer writes), the lock succeeds */
	assert_status(kmemu_io_ioctl(U.f, IOCTL(2, METHOD_IN_DIRECT), U.a->pUserAddr, 1,
				     (uintptr_t)ro, 16, &info),
		      STATUS_SUCCESS);
	assert_int_equal(T.calls, 2);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), ro), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	/* an unmapped input buffer fails in the I/O manager */
	assert_status(kmemu_io_ioctl(U.f, IOCTL(2, METHOD_BUFFERED), U.a->pUserAddr + 3 * KT_PAGE, 1,
				     U.b->pUserAddr, 1, &info),
		      STATUS_ACCESS_VIOLATION);
	user_end();
	unload();
}

/* Reads and writes follow the device's type. */
static void test_io_read_write(void **state)
{
	static const WDF_DEVICE_IO_TYPE types[] = { WdfDeviceIoBuffered, WdfDeviceIoDirect };
	struct kmemu_io_args a;

	(void)state;
	for (unsigned i = 0; i < KT_ARRAY_SIZE(types); i++) {
		load(i == 0, types[i], WdfIoQueueDispatchParallel, 0);
		user_begin();
		a = (struct kmemu_io_args){ .kind = KMEMU_IO_READ, .out = U.b->pUserAddr, .out_len = 100 };
		assert_status(kmemu_io_call(U.f, &a), STATUS_SUCCESS);
		assert_u64_equal(a.information, 100);
		assert_int_equal(U.ub[99], 'R');
		assert_int_equal(U.ub[100], 0);
		U.ua[0] = 'W';
		a = (struct kmemu_io_args){ .kind = KMEMU_IO_WRITE, .in = U.a->pUserAddr, .in_len = 10 };
		assert_status(kmemu_io_call(U.f, &a), STATUS_SUCCESS);
		assert_int_equal(T.written_first, 'W');
		/* zero-length reads complete without the driver */
		a = (struct kmemu_io_args){ .kind = KMEMU_IO_READ, .out = U.b->pUserAddr, .out_len = 0 };
		assert_status(kmemu_io_call(U.f, &a), STATUS_SUCCESS);
		assert_int_equal(T.calls, 2);
		user_end();
		unload();
	}
}

/* ---- in-caller context and METHOD_NEITHER ------------------------------------------------ */

static void neither_lock(WDFDEVICE d, WDFREQUEST r)
{
	PVOID in = NULL, out = NULL;
	size_t il = 0, ol = 0;
	WDFMEMORY mi = NULL, mo = NULL;
	uint8_t *ki, *ko;
	size_t n = 0;

	(void)d;
	assert_status(WdfRequestRetrieveUnsafeUserInputBuffer(r, 1, &in, &il), STATUS_SUCCESS);
	assert_status(WdfRequestRetrieveUnsafeUserOutputBuffer(r, 1, &out, &ol), STATUS_SUCCESS);
	assert_ptr_equal(in, U.ua);
	assert_ptr_equal(out, U.ub);
	assert_status(WdfRequestProbeAndLockUserBufferForRead(r, in, il, &mi), STATUS_SUCCESS);
	assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, out, ol, &mo), STATUS_SUCCESS);
	ki = WdfMemoryGetBuffer(mi, &n);
	assert_u64_equal(n, il);
	ko = WdfMemoryGetBuffer(mo, &n);
	assert_u64_equal(n, ol);
	/* a different address, the same bytes */
	assert_ptr_not_equal(ki, in);
	assert_ptr_not_equal(ko, out);
	assert_memory_equal(ki, "neither", 7);
	memcpy(ko, "locked!", 7);
	/* ForRead memory refuses CopyFromBuffer */
	assert_status(WdfMemoryCopyFromBuffer(mi, 0, "x", 1), STATUS_ACCESS_VIOLATION);
	WdfRequestCompleteWithInformation(r, STATUS_SUCCESS, 7);
}

/* EvtIoInCallerContext runs on the requesting thread; METHOD_NEITHER hands
 * it raw user addresses; ProbeAndLock maps them for the kernel; completion
 * releases the locks. */
static void test_io_neither_in_caller(void **state)
{
	struct kmemu_stats s0, s1;
	uint64_t info = 0;

	(void)state;
	load(1, WdfDeviceIoNeither, WdfIoQueueDispatchParallel, 1);
	T.in_caller = neither_lock;
	user_begin();
	memcpy(U.ua, "neither", 7);
	assert_status(kmemu_stats_get(&s0), STATUS_SUCCESS);
	assert_status(kmemu_io_ioctl(U.f, IOCTL(3, METHOD_NEITHER), U.a->pUserAddr, 7, U.b->pUserAddr,
				     7, &info),
		      STATUS_SUCCESS);
	assert_status(kmemu_stats_get(&s1), STATUS_SUCCESS);
	assert_u64_equal(s1.mappings, s0.mappings);
	assert_u64_equal(s1.heap_blocks, s0.heap_blocks);
	assert_memory_equal(U.ub, "locked!", 7);
	assert_u64_equal(info, 7);
	/* without the callback's own completion the request goes to the queue */
	T.in_caller = NULL;
	assert_status(kmemu_io_ioctl(U.f, IOCTL(3, METHOD_NEITHER), U.a->pUserAddr, 7, U.b->pUserAddr,
				     7, &info),
		      STATUS_NOT_SUPPORTED);
	user_end();
	unload();
}

/* ---- manual queues, other threads, asynchronous sends -------------------------------- */

struct completer {
	WDFQUEUE q;
	NTSTATUS probe;
	int verifier;
};

static void *complete_elsewhere(void *arg)
{
	struct completer *c = arg;
	struct kmemu_wdf_driver *prev = kmemu_wdf_driver_enter(T.drv);
	WDFREQUEST r = NULL;
	WDFMEMORY m = (WDFMEMORY)(uintptr_t)0x1234;

	while (WdfIoQueueRetrieveNextRequest(c->q, &r) == STATUS_NO_MORE_ENTRIES)
		;
	/* a thread other than the requestor's, in no user process */
	c->probe = WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 16, &m);
	if (c->probe == STATUS_SUCCESS)
		memcpy(WdfMemoryGetBuffer(m, NULL), "other", 5);
	WdfRequestCompleteWithInformation(r, STATUS_SUCCESS, 0);
	kmemu_wdf_driver_enter(prev);
	return NULL;
}

/* A synchronous send blocks until another thread completes the request; the
 * requestor-thread check (verifier only) compares threads. */
static void test_io_manual_other_thread(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct completer c = { 0 };
		pthread_t th;
		uint64_t info = 1;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		c.q = T.queue;
		c.verifier = verifier;
		assert_int_equal(pthread_create(&th, NULL, complete_elsewhere, &c), 0);
		assert_status(kmemu_io_ioctl(U.f, IOCTL(4, METHOD_NEITHER), 0, 0, 0, 0, &info),
			      STATUS_SUCCESS);
		pthread_join(th, NULL);
		assert_u64_equal(info, 0);
		if (verifier) {
			assert_status(c.probe, STATUS_ACCESS_VIOLATION);
		} else {
			/* the other thread is in the initial process: the user
			 * address is not mapped there */
			assert_status(c.probe, STATUS_ACCESS_VIOLATION);
		}
		user_end();
		unload();
	}
}

/* Verifier off, the other thread attached to the requestor's process: the
 * probe runs in that process and succeeds. */
static void *complete_in_process(void *arg)
{
	struct completer *c = arg;
	struct kmemu_wdf_driver *prev = kmemu_wdf_driver_enter(T.drv);
	WDFREQUEST r = NULL;
	WDFMEMORY m = NULL;

	assert_status(kmemu_process_attach(U.pid, NULL), STATUS_SUCCESS);
	while (WdfIoQueueRetrieveNextRequest(c->q, &r) == STATUS_NO_MORE_ENTRIES)
		;
	c->probe = WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 16, &m);
	if (c->probe == STATUS_SUCCESS)
		memcpy(WdfMemoryGetBuffer(m, NULL), "other", 5);
	WdfRequestComplete(r, STATUS_WDF_BUSY);
	kmemu_wdf_driver_enter(prev);
	return NULL;
}

static void test_io_async_same_process_thread(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct completer c = { 0 };
		struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL, .code = IOCTL(5, METHOD_NEITHER) };
		struct kmemu_io_op *op = NULL;
		pthread_t th;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		c.q = T.queue;
		assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
		assert_non_null(op);
		assert_int_equal(pthread_create(&th, NULL, complete_in_process, &c), 0);
		/* STATUS_WDF_BUSY never reaches the caller (§4 step 6) */
		assert_status(kmemu_io_wait(op, NULL), STATUS_DEVICE_BUSY);
		pthread_join(th, NULL);
		assert_status(c.probe, verifier ? STATUS_ACCESS_VIOLATION : STATUS_SUCCESS);
		if (!verifier)
			assert_memory_equal(U.ub, "other", 5);
		user_end();
		unload();
	}
}

/* ---- ProbeAndLock: every check of spec §1 ----------------------------------------------- */

/* Send one METHOD_NEITHER IOCTL to a manual queue and take the request. */
static WDFREQUEST pend(struct kmemu_io_op **op)
{
	struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL, .code = IOCTL(6, METHOD_NEITHER),
				   .in = U.a->pUserAddr, .in_len = 8, .out = U.b->pUserAddr,
				   .out_len = 8 };
	WDFREQUEST r = NULL;

	assert_status(kmemu_io_send(U.f, &a, op), STATUS_PENDING);
	assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_SUCCESS);
	return r;
}

static void finish(WDFREQUEST r, struct kmemu_io_op *op, NTSTATUS expect)
{
	WdfRequestComplete(r, expect);
	assert_status(kmemu_io_wait(op, NULL), expect);
}

/* A bug check was caught in the middle of a completion: unloading the
 * driver deletes the request, which cancels its IRP. */
static void after_crash(struct kmemu_io_op *op)
{
	unload();
	assert_status(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
	user_end();
}

struct pal_call {
	WDFREQUEST r;
	PVOID buf;
	size_t len;
	WDFMEMORY *mem;
	int write;
	NTSTATUS st;
};

static void pal(void *arg)
{
	struct pal_call *c = arg;

	c->st = c->write ? WdfRequestProbeAndLockUserBufferForWrite(c->r, c->buf, c->len, c->mem)
			 : WdfRequestProbeAndLockUserBufferForRead(c->r, c->buf, c->len, c->mem);
}

static void test_pal_statuses(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_bugcheck_report rep;
		struct kmemu_io_op *op;
		WDFMEMORY m, keep = (WDFMEMORY)(uintptr_t)0x5678;
		WDFREQUEST r;
		size_t n = 0;
		uint8_t old;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		r = pend(&op);
		/* step 2, 3: NULL Buffer / MemoryObject bug check 0x10D/4 */
		{
			struct pal_call c = { r, NULL, 8, &m, 1, 0 };

			assert_int_equal(kmemu_bugcheck_catch(pal, &c, &rep), 1);
			assert_int_equal(rep.code, 0x10D);
			assert_u64_equal(rep.param[0], WDF_REQUIRED_PARAMETER_IS_NULL);
			c = (struct pal_call){ r, U.ub, 8, NULL, 0, 0 };
			assert_int_equal(kmemu_bugcheck_catch(pal, &c, &rep), 1);
			assert_u64_equal(rep.param[0], WDF_REQUIRED_PARAMETER_IS_NULL);
			/* step 1: a NULL request: 0x10D/5 */
			c = (struct pal_call){ NULL, U.ub, 8, &m, 1, 0 };
			assert_int_equal(kmemu_bugcheck_catch(pal, &c, &rep), 1);
			assert_u64_equal(rep.param[0], WDF_INVALID_HANDLE);
			assert_u64_equal(rep.param[2], 0x1008);
		}
		/* step 7: Length truncated to 32 bits; 0 is INVALID_USER_BUFFER */
		m = keep;
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 0, &m),
			      STATUS_INVALID_USER_BUFFER);
		assert_ptr_equal(m, keep);  /* step 4: ForWrite never writes it on failure */
		assert_status(WdfRequestProbeAndLockUserBufferForRead(r, U.ub, 0x100000000ull, &m),
			      STATUS_INVALID_USER_BUFFER);
		assert_null(m);             /* step 4: ForRead NULLs it first */
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 0x100000010ull, &m),
			      STATUS_SUCCESS);
		assert_non_null(WdfMemoryGetBuffer(m, &n));
		assert_u64_equal(n, 16);
		WdfObjectDelete(m);         /* releases the lock before completion */
		/* step 11: kernel-range, unmapped, read-only (for write) */
		m = keep;
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, (PVOID)(uintptr_t)U.a->pKernelAddr,
								       8, &m),
			      STATUS_ACCESS_VIOLATION);
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, (PVOID)0xFFFF800000001000ull, 8, &m),
			      STATUS_ACCESS_VIOLATION);
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ua + 3 * KT_PAGE, 8, &m),
			      STATUS_ACCESS_VIOLATION);
		assert_status(WdfRequestProbeAndLockUserBufferForRead(r, U.ua + 3 * KT_PAGE - 4, 8, &m),
			      STATUS_ACCESS_VIOLATION);
		/* range wrapping */
		assert_status(WdfRequestProbeAndLockUserBufferForRead(r, (PVOID)(uintptr_t)0xFFFFFFFFFFFFF000ull,
								      0x2000, &m),
			      STATUS_ACCESS_VIOLATION);
		assert_null(m);
		/* step 5: IRQL above PASSIVE (verifier only) */
		assert_status(kmemu_irql_set(DISPATCH_LEVEL, &old), STATUS_SUCCESS);
		m = NULL;
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 8, &m),
			      verifier ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS);
		assert_status(kmemu_irql_set(old, NULL), STATUS_SUCCESS);
		if (m)
			WdfObjectDelete(m);
		finish(r, op, STATUS_SUCCESS);
		user_end();
		unload();
	}
}

/* Read-only memory: write lock fails, read lock works (spec §1 step 11). */
static void test_pal_read_only(void **state)
{
	LARGE_INTEGER li = { .QuadPart = KT_PAGE };
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	WDFREQUEST r;
	HANDLE s = NULL;
	PVOID v = NULL;
	SIZE_T z = 0;

	(void)state;
	load(1, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
	user_begin();
	assert_status(ZwCreateSection(&s, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
		      STATUS_SUCCESS);
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &v, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READONLY),
		      STATUS_SUCCESS);
	r = pend(&op);
	assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, v, 8, &m), STATUS_ACCESS_VIOLATION);
	assert_status(WdfRequestProbeAndLockUserBufferForRead(r, v, 8, &m), STATUS_SUCCESS);
	finish(r, op, STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), v), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	user_end();
	unload();
}

/* Step 6 (verifier, KMDF >= 1.9) and step 8: a request the driver does not
 * own, and one already completed (kept alive by a reference). */
static void test_pal_owned_and_completed(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_wdf_driver_stats ds0, ds1;
		struct kmemu_io_op *op, *op2;
		WDFMEMORY m = NULL;
		WDFREQUEST r, r2;
		struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL, .code = IOCTL(7, METHOD_NEITHER) };
		WDF_IO_QUEUE_CONFIG qc;
		WDFQUEUE q2;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		/* a request sitting in a manual queue is not the driver's: forward
		 * one there and probe it through a stale view of ownership */
		WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
		assert_status(WdfIoQueueCreate(T.dev, &qc, NULL, &q2), STATUS_SUCCESS);
		r = pend(&op);
		assert_status(WdfRequestForwardToIoQueue(r, q2), STATUS_SUCCESS);
		assert_status(kmemu_wdf_driver_stats(T.drv, &ds0), STATUS_SUCCESS);
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 8, &m),
			      verifier ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS);
		assert_status(kmemu_wdf_driver_stats(T.drv, &ds1), STATUS_SUCCESS);
		assert_u64_equal(ds1.breaks, ds0.breaks + (verifier ? 1 : 0));
		assert_status(WdfIoQueueRetrieveNextRequest(q2, &r2), STATUS_SUCCESS);
		assert_ptr_equal(r2, r);
		if (m)
			WdfObjectDelete(m);
		/* completed, kept alive by a reference: no IRP any more */
		WdfObjectReference(r);
		finish(r, op, STATUS_SUCCESS);
		m = NULL;
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 8, &m),
			      STATUS_INVALID_DEVICE_REQUEST);
		assert_null(m);
		WdfObjectDereference(r);
		(void)a, (void)op2;
		user_end();
		unload();
	}
}

/* Step 9's exemption: a kernel-mode sender's request (no IRP thread) is
 * probed from another thread of the process even with the verifier on. */
struct kernel_probe {
	WDFREQUEST r;
	NTSTATUS st;
};

static void *kernel_probe_main(void *arg)
{
	struct kernel_probe *k = arg;
	struct kmemu_wdf_driver *prev = kmemu_wdf_driver_enter(T.drv);
	WDFMEMORY m = NULL;

	assert_status(kmemu_process_attach(U.pid, NULL), STATUS_SUCCESS);
	k->st = WdfRequestProbeAndLockUserBufferForRead(k->r, U.ua, 8, &m);
	if (k->st == STATUS_SUCCESS)
		WdfObjectDelete(m);
	kmemu_wdf_driver_enter(prev);
	return NULL;
}

static void test_pal_kernel_sender(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_INTERNAL_DEVICE_CONTROL,
					   .code = IOCTL(11, METHOD_NEITHER) };
		struct kernel_probe k = { 0 };
		struct kmemu_io_op *op = NULL;
		pthread_t th;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
		assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &k.r), STATUS_SUCCESS);
		assert_int_equal(WdfRequestGetRequestorMode(k.r), KernelMode);
		assert_int_equal(pthread_create(&th, NULL, kernel_probe_main, &k), 0);
		pthread_join(th, NULL);
		assert_status(k.st, STATUS_SUCCESS);
		finish(k.r, op, STATUS_SUCCESS);
		user_end();
		unload();
	}
}

/* Step 8 with the verifier on: a KMDF 1.8 driver skips step 6, so a
 * completed request reaches step 7 (Length 0) and step 8 (its own status
 * and break). */
static void test_pal_completed_down_level(void **state)
{
	struct kmemu_wdf_driver_stats ds0, ds1;
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	WDFREQUEST r;

	(void)state;
	load_minor = 8;
	load(1, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
	user_begin();
	r = pend(&op);
	WdfObjectReference(r);
	finish(r, op, STATUS_SUCCESS);
	assert_status(kmemu_wdf_driver_stats(T.drv, &ds0), STATUS_SUCCESS);
	assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 0, &m),
		      STATUS_INVALID_USER_BUFFER);
	assert_status(kmemu_wdf_driver_stats(T.drv, &ds1), STATUS_SUCCESS);
	assert_u64_equal(ds1.breaks, ds0.breaks);
	assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 8, &m),
		      STATUS_INVALID_DEVICE_REQUEST);
	assert_status(kmemu_wdf_driver_stats(T.drv, &ds1), STATUS_SUCCESS);
	assert_u64_equal(ds1.breaks, ds0.breaks + 1);
	assert_null(m);
	WdfObjectDereference(r);
	user_end();
	unload();
}

/* The OOM loop: every acquisition of a ProbeAndLock can fail with
 * STATUS_INSUFFICIENT_RESOURCES and leaves nothing behind. */
static WDFREQUEST oom_req;

static int oom_write;

static uint32_t oom_pal(void *ctx)
{
	WDFMEMORY m = NULL;
	NTSTATUS st = oom_write
		? WdfRequestProbeAndLockUserBufferForWrite(oom_req, U.ub + 1, 2 * KT_PAGE, &m)
		: WdfRequestProbeAndLockUserBufferForRead(oom_req, U.ub + 1, 2 * KT_PAGE, &m);

	(void)ctx;
	if (st == STATUS_SUCCESS)
		WdfObjectDelete(m);
	return (uint32_t)st;
}

static void test_pal_oom(void **state)
{
	static const uint32_t ok[] = { STATUS_INSUFFICIENT_RESOURCES };
	struct kmemu_oom_op op = { "WdfRequestProbeAndLockUserBuffer*", oom_pal, NULL, 0, ok, 1, 0 };
	struct kmemu_oom_result res;
	struct kmemu_io_op *iop;

	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++)
		for (oom_write = 0; oom_write <= 1; oom_write++) {
			load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
			user_begin();
			oom_req = pend(&iop);
			assert_status(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS);
			if (!res.ok)
				print_error("%s\n", res.message);
			assert_true(res.ok);
			assert_true(res.failures > 0);
			finish(oom_req, iop, STATUS_SUCCESS);
			user_end();
			unload();
		}
}

/* The OOM loop over a whole buffered request: sending fails cleanly. */
static uint32_t oom_send(void *ctx)
{
	uint64_t info;

	(void)ctx;
	return (uint32_t)kmemu_io_ioctl(U.f, IOCTL(1, METHOD_BUFFERED), U.a->pUserAddr, 4, U.b->pUserAddr,
					4, &info);
}

static void test_io_oom(void **state)
{
	static const uint32_t ok[] = { STATUS_INSUFFICIENT_RESOURCES };
	struct kmemu_oom_op op = { "kmemu_io_ioctl", oom_send, NULL, 0, ok, 1, 0 };
	struct kmemu_oom_result res;

	(void)state;
	load(0, WdfDeviceIoBuffered, WdfIoQueueDispatchParallel, 0);
	user_begin();
	assert_status(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS);
	if (!res.ok)
		print_error("%s\n", res.message);
	assert_true(res.ok);
	user_end();
	unload();
}

/* WdfDeviceCreate / WdfIoQueueCreate: the attribute statuses
 * (FxValidateObjectAttributes) leave the init with the caller. */
static void test_io_device_queue_attributes(void **state)
{
	WDF_OBJECT_ATTRIBUTES a;
	WDF_IO_QUEUE_CONFIG qc;
	PWDFDEVICE_INIT init;
	WDFDEVICE d = NULL;
	WDFQUEUE q = NULL;

	(void)state;
	load(1, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
	init = WdfControlDeviceInitAllocate(kmemu_wdf_driver_handle(T.drv), NULL);
	assert_non_null(init);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.Size--;
	assert_status(WdfDeviceCreate(&init, &a, &d), STATUS_INFO_LENGTH_MISMATCH);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ParentObject = T.dev;
	assert_status(WdfDeviceCreate(&init, &a, &d), STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ExecutionLevel = (WDF_EXECUTION_LEVEL)0;
	assert_status(WdfDeviceCreate(&init, &a, &d), STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	assert_non_null(init);
	assert_null(d);
	WdfDeviceInitFree(init);
	WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.Size++;
	assert_status(WdfIoQueueCreate(T.dev, &qc, &a, &q), STATUS_INFO_LENGTH_MISMATCH);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.SynchronizationScope = (WDF_SYNCHRONIZATION_SCOPE)0;
	assert_status(WdfIoQueueCreate(T.dev, &qc, &a, &q), STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	assert_null(q);
	unload();
}

/* The OOM loop over a control device with a queue: every failure is
 * STATUS_INSUFFICIENT_RESOURCES and leaves nothing behind. */
static uint32_t oom_device(void *ctx)
{
	PWDFDEVICE_INIT init = WdfControlDeviceInitAllocate(kmemu_wdf_driver_handle(T.drv), NULL);
	WDF_IO_QUEUE_CONFIG qc;
	WDFDEVICE d = NULL;
	WDFQUEUE q = NULL;
	NTSTATUS st;

	(void)ctx;
	if (!init)
		return (uint32_t)STATUS_INSUFFICIENT_RESOURCES;
	st = WdfDeviceCreate(&init, WDF_NO_OBJECT_ATTRIBUTES, &d);
	if (st) {
		WdfDeviceInitFree(init);
		return (uint32_t)st;
	}
	WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
	st = WdfIoQueueCreate(d, &qc, WDF_NO_OBJECT_ATTRIBUTES, &q);
	WdfObjectDelete(d);
	return (uint32_t)st;
}

static void test_io_device_queue_oom(void **state)
{
	static const uint32_t ok[] = { STATUS_INSUFFICIENT_RESOURCES };
	struct kmemu_oom_op op = { "WdfDeviceCreate+WdfIoQueueCreate", oom_device, NULL, 0, ok, 1, 0 };
	struct kmemu_oom_result res;

	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++) {
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		assert_status(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS);
		if (!res.ok)
			print_error("%s\n", res.message);
		assert_true(res.ok);
		assert_true(res.failures > 0);
		unload();
	}
}

/* Retrieve{Input,Output}Memory: a zero-length buffer is
 * STATUS_BUFFER_TOO_SMALL; the OOM loop over the memory object gives
 * STATUS_INSUFFICIENT_RESOURCES. */
static int oom_mem_output;

static uint32_t oom_retrieve_memory(void *ctx)
{
	struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL, .code = IOCTL(13, METHOD_BUFFERED),
				   .in = U.a->pUserAddr, .in_len = 8,
				   .out = U.b->pUserAddr, .out_len = 8 };
	struct kmemu_io_op *op = NULL;
	WDFREQUEST r = NULL;
	WDFMEMORY m = NULL;
	NTSTATUS st;

	(void)ctx;
	st = kmemu_io_send(U.f, &a, &op);
	if (st != STATUS_PENDING)
		return (uint32_t)st;
	if (WdfIoQueueRetrieveNextRequest(T.queue, &r) != STATUS_SUCCESS) {
		kmemu_io_wait(op, NULL);
		return (uint32_t)STATUS_INSUFFICIENT_RESOURCES;
	}
	st = oom_mem_output ? WdfRequestRetrieveOutputMemory(r, &m) : WdfRequestRetrieveInputMemory(r, &m);
	WdfRequestComplete(r, STATUS_SUCCESS);
	kmemu_io_wait(op, NULL);
	return (uint32_t)st;
}

static void test_io_retrieve_memory_statuses(void **state)
{
	static const uint32_t ok[] = { STATUS_INSUFFICIENT_RESOURCES };
	struct kmemu_oom_op oop = { "WdfRequestRetrieve*Memory", oom_retrieve_memory, NULL, 0, ok, 1, 0 };
	struct kmemu_oom_result res;

	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
					   .code = IOCTL(13, METHOD_BUFFERED) };
		struct kmemu_io_op *op = NULL;
		WDFMEMORY m = (WDFMEMORY)(uintptr_t)0x99;
		WDFREQUEST r = NULL;

		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
		assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_SUCCESS);
		assert_status(WdfRequestRetrieveInputMemory(r, &m), STATUS_BUFFER_TOO_SMALL);
		assert_status(WdfRequestRetrieveOutputMemory(r, &m), STATUS_BUFFER_TOO_SMALL);
		assert_ptr_equal(m, (WDFMEMORY)(uintptr_t)0x99);
		finish(r, op, STATUS_SUCCESS);
		for (oom_mem_output = 0; oom_mem_output <= 1; oom_mem_output++) {
			assert_status(kmemu_oom_loop(&oop, 0, &res), STATUS_SUCCESS);
			if (!res.ok)
				print_error("%s\n", res.message);
			assert_true(res.ok);
			assert_true(res.failures > 0);
		}
		user_end();
		unload();
	}
}

/* ---- completion (spec §4) -------------------------------------------------------------------- */

struct complete_call {
	WDFREQUEST r;
	NTSTATUS st;
	ULONG_PTR info;
};

static void complete_info(void *arg)
{
	struct complete_call *c = arg;

	WdfRequestCompleteWithInformation(c->r, c->st, c->info);
}

/* An extra reference on ProbeAndLock memory across completion: 0x10D/3 with
 * p2 = the request and p3 = the count, verifier on or off. */
static void after_crash(struct kmemu_io_op *op);

static void test_complete_extra_reference(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_bugcheck_report rep;
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		WDFREQUEST r;
		struct complete_call c;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		r = pend(&op);
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 8, &m), STATUS_SUCCESS);
		WdfObjectReference(m);
		c = (struct complete_call){ r, STATUS_SUCCESS, 0 };
		assert_int_equal(kmemu_bugcheck_catch(complete_info, &c, &rep), 1);
		assert_int_equal(rep.code, 0x10D);
		assert_u64_equal(rep.param[0], WDF_VERIFIER_FATAL_ERROR);
		assert_u64_equal(rep.param[1], (uintptr_t)r);
		assert_u64_equal(rep.param[2], 1);
		/* report-and-continue would have completed; here the catch cut
		 * it short: drop the reference, unload (the IRP is cancelled) */
		WdfObjectDereference(m);
		after_crash(op);
	}
}

/* A reference on the request's own output memory across completion is an
 * IRP reference too: 0x10D/3. */
static void test_complete_embedded_reference(void **state)
{
	struct kmemu_bugcheck_report rep;
	struct kmemu_io_args a = { .kind = KMEMU_IO_READ, .out_len = 8 };
	struct kmemu_io_op *op = NULL;
	struct complete_call c;
	WDFMEMORY m = NULL;
	WDFREQUEST r = NULL;

	(void)state;
	load(0, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
	user_begin();
	a.out = U.b->pUserAddr;
	assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
	assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_SUCCESS);
	assert_status(WdfRequestRetrieveOutputMemory(r, &m), STATUS_SUCCESS);
	WdfObjectReference(m);
	c = (struct complete_call){ r, STATUS_SUCCESS, 0 };
	assert_int_equal(kmemu_bugcheck_catch(complete_info, &c, &rep), 1);
	assert_u64_equal(rep.param[0], WDF_VERIFIER_FATAL_ERROR);
	assert_u64_equal(rep.param[1], (uintptr_t)r);
	assert_u64_equal(rep.param[2], 1);
	WdfObjectDereference(m);
	after_crash(op);
}

/* With the verifier on, a success Information larger than the buffer bug
 * checks 0x10D/6/4 with the mismatch data; off, it passes (and only the
 * buffer's bytes are copied back). */
static void test_complete_information_too_large(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_bugcheck_report rep;
		struct kmemu_io_op *op = NULL;
		struct kmemu_io_args a = { .kind = KMEMU_IO_READ, .out = 0, .out_len = 8 };
		const WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA *d;
		struct complete_call c;
		WDFREQUEST r = NULL;
		uint64_t info = 0;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		a.out = U.b->pUserAddr;
		assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
		assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_SUCCESS);
		c = (struct complete_call){ r, STATUS_SUCCESS, 9 };
		if (verifier) {
			assert_int_equal(kmemu_bugcheck_catch(complete_info, &c, &rep), 1);
			assert_int_equal(rep.code, 0x10D);
			assert_u64_equal(rep.param[0], WDF_REQUEST_FATAL_ERROR);
			assert_u64_equal(rep.param[1], WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH);
			d = (const void *)rep.param[2];
			(void)d;  /* points into the completing frame: gone after the catch */
			after_crash(op);
		} else {
			/* a warning status is not checked either way */
			complete_info(&c);
			assert_status(kmemu_io_wait(op, &info), STATUS_SUCCESS);
			assert_u64_equal(info, 9);
			user_end();
			unload();
		}
	}
}

/* Verifier on: completing a request the driver does not own, or twice,
 * breaks and does nothing; verifier off, the second completion of a request
 * kept alive by a reference bug checks 0x10D/6/2 (it has no IRP). */
static void test_complete_not_owned_twice(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_wdf_driver_stats ds0, ds1;
		struct kmemu_bugcheck_report rep;
		struct kmemu_io_op *op = NULL;
		struct complete_call c;
		WDFREQUEST r;
		WDF_IO_QUEUE_CONFIG qc;
		WDFQUEUE q2;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
		assert_status(WdfIoQueueCreate(T.dev, &qc, NULL, &q2), STATUS_SUCCESS);
		r = pend(&op);
		assert_status(WdfRequestForwardToIoQueue(r, q2), STATUS_SUCCESS);
		if (verifier) {
			assert_status(kmemu_wdf_driver_stats(T.drv, &ds0), STATUS_SUCCESS);
			WdfRequestComplete(r, STATUS_SUCCESS);  /* not owned: ignored */
			assert_status(kmemu_wdf_driver_stats(T.drv, &ds1), STATUS_SUCCESS);
			assert_u64_equal(ds1.breaks, ds0.breaks + 1);
		}
		assert_status(WdfIoQueueRetrieveNextRequest(q2, &r), STATUS_SUCCESS);
		WdfObjectReference(r);
		finish(r, op, STATUS_SUCCESS);
		c = (struct complete_call){ r, STATUS_SUCCESS, 0 };
		if (verifier) {
			assert_status(kmemu_wdf_driver_stats(T.drv, &ds0), STATUS_SUCCESS);
			complete_info(&c);
			assert_status(kmemu_wdf_driver_stats(T.drv, &ds1), STATUS_SUCCESS);
			assert_u64_equal(ds1.breaks, ds0.breaks + 1);
		} else {
			assert_int_equal(kmemu_bugcheck_catch(complete_info, &c, &rep), 1);
			assert_u64_equal(rep.param[0], WDF_REQUEST_FATAL_ERROR);
			assert_u64_equal(rep.param[1], WDF_REQUEST_FATAL_ERROR_NULL_IRP);
			assert_u64_equal(rep.param[2], (uintptr_t)r);
		}
		WdfObjectDereference(r);
		user_end();
		unload();
	}
}

/* §4 step 5: a user METHOD_BUFFERED IOCTL without output buffer completed
 * with Information != 0 copies nothing back and warns: a break with the
 * verifier on, a message only with it off. */
static void test_complete_buffered_no_output(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
					   .code = IOCTL(10, METHOD_BUFFERED), .in_len = 4 };
		struct kmemu_wdf_driver_stats ds0, ds1;
		struct kmemu_io_op *op = NULL;
		WDFREQUEST r = NULL;
		uint64_t info = 1;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		a.in = U.a->pUserAddr;
		memcpy(U.ua, "keep", 4);
		assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
		assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_SUCCESS);
		assert_status(kmemu_wdf_driver_stats(T.drv, &ds0), STATUS_SUCCESS);
		WdfRequestCompleteWithInformation(r, STATUS_SUCCESS, 4);
		assert_status(kmemu_wdf_driver_stats(T.drv, &ds1), STATUS_SUCCESS);
		assert_u64_equal(ds1.breaks, ds0.breaks + (verifier ? 1 : 0));
		assert_u64_equal(ds1.messages, ds0.messages + 1);
		assert_status(kmemu_io_wait(op, &info), STATUS_SUCCESS);
		assert_memory_equal(U.ua, "keep", 4);
		/* Information 0: no warning */
		assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
		assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_SUCCESS);
		finish(r, op, STATUS_SUCCESS);
		assert_status(kmemu_wdf_driver_stats(T.drv, &ds0), STATUS_SUCCESS);
		assert_u64_equal(ds0.messages, ds1.messages);
		user_end();
		unload();
	}
}

/* §4 step 8: completing at DISPATCH_LEVEL with a child that must be
 * disposed at PASSIVE_LEVEL (paged memory) defers its disposal; KMDF 1.11+
 * with the verifier warns with a break. */
static unsigned paged_cleanups;

static VOID NTAPI paged_cleanup(WDFOBJECT o)
{
	(void)o;
	paged_cleanups++;
}

static void test_complete_dispatch_passive_child(void **state)
{
	static const uint32_t minors[] = { 0, 9 };

	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++)
		for (size_t i = 0; i < KT_ARRAY_SIZE(minors); i++) {
			struct kmemu_wdf_driver_stats ds0, ds1;
			WDF_OBJECT_ATTRIBUTES at;
			struct kmemu_io_op *op;
			WDFMEMORY m = NULL;
			WDFREQUEST r;
			uint8_t old;

			load_minor = minors[i];
			load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
			user_begin();
			r = pend(&op);
			WDF_OBJECT_ATTRIBUTES_INIT(&at);
			at.ParentObject = r;
			at.EvtCleanupCallback = paged_cleanup;
			assert_status(WdfMemoryCreate(&at, PagedPool, 0, 64, &m, NULL), STATUS_SUCCESS);
			paged_cleanups = 0;
			assert_status(kmemu_wdf_driver_stats(T.drv, &ds0), STATUS_SUCCESS);
			assert_status(kmemu_irql_set(DISPATCH_LEVEL, &old), STATUS_SUCCESS);
			WdfRequestComplete(r, STATUS_SUCCESS);
			assert_int_equal(paged_cleanups, 0);  /* deferred */
			assert_status(kmemu_irql_set(old, NULL), STATUS_SUCCESS);
			assert_status(kmemu_wdf_driver_stats(T.drv, &ds1), STATUS_SUCCESS);
			assert_u64_equal(ds1.breaks,
					 ds0.breaks + (verifier && minors[i] != 9 ? 1 : 0));
			assert_status(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
			assert_true(kmemu_wdf_run_deferred() >= 1);
			assert_int_equal(paged_cleanups, 1);
			/* a nonpaged child at DISPATCH_LEVEL: disposed at once, no warning */
			r = pend(&op);
			WDF_OBJECT_ATTRIBUTES_INIT(&at);
			at.ParentObject = r;
			at.EvtCleanupCallback = paged_cleanup;
			assert_status(WdfMemoryCreate(&at, NonPagedPoolNx, 0, 64, &m, NULL), STATUS_SUCCESS);
			assert_status(kmemu_irql_set(DISPATCH_LEVEL, &old), STATUS_SUCCESS);
			WdfRequestComplete(r, STATUS_SUCCESS);
			assert_status(kmemu_irql_set(old, NULL), STATUS_SUCCESS);
			assert_int_equal(paged_cleanups, 2);
			assert_status(kmemu_wdf_driver_stats(T.drv, &ds0), STATUS_SUCCESS);
			assert_u64_equal(ds0.breaks, ds1.breaks);
			assert_status(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
			user_end();
			unload();
		}
}

struct touch {
	volatile uint8_t *p;
};

static void touch_it(void *arg)
{
	((struct touch *)arg)->p[0] = 1;
}

/* Verifier on: the locked buffer's kernel mapping touched after completion
 * is reported as BufAfterReqCompletedIoctlA (0xC4), not silently written. */
static void test_complete_buffer_after_completion(void **state)
{
	struct kmemu_bugcheck_report rep;
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	WDFREQUEST r;
	struct touch t;

	(void)state;
	load(1, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
	user_begin();
	r = pend(&op);
	assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 8, &m), STATUS_SUCCESS);
	t.p = WdfMemoryGetBuffer(m, NULL);
	finish(r, op, STATUS_SUCCESS);
	VALGRIND_DISABLE_ERROR_REPORTING;
	assert_int_equal(kmemu_bugcheck_catch(touch_it, &t, &rep), 1);
	VALGRIND_ENABLE_ERROR_REPORTING;
	assert_int_equal(rep.code, 0xC4);
	assert_string_equal(rep.detail, "BufAfterReqCompletedIoctlA");
	assert_u64_equal(rep.param[2], (uintptr_t)t.p);
	assert_u64_equal(rep.param[3], (uintptr_t)r);
	assert_int_equal(U.ub[0], 0);
	user_end();
	unload();
}

/* §3: unsafe user buffers only in caller context (verifier), only for
 * METHOD_NEITHER or a neither device, RequiredLength checked. */
static void unsafe_checks(WDFDEVICE d, WDFREQUEST r)
{
	PVOID b = (PVOID)1;
	size_t n = 5;

	(void)d;
	assert_status(WdfRequestRetrieveUnsafeUserInputBuffer(r, 9, &b, &n), STATUS_BUFFER_TOO_SMALL);
	assert_null(b);
	assert_u64_equal(n, 0);
	assert_status(WdfRequestRetrieveUnsafeUserOutputBuffer(r, 0, &b, &n), STATUS_SUCCESS);
	assert_ptr_equal(b, U.ub);
	assert_u64_equal(n, 8);
	WdfRequestComplete(r, STATUS_SUCCESS);
}

static void test_unsafe_user_buffers(void **state)
{
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_io_op *op;
		WDFREQUEST r;
		PVOID b = NULL;
		size_t n = 0;
		uint64_t info;

		(void)state;
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchParallel, 1);
		T.in_caller = unsafe_checks;
		user_begin();
		assert_status(kmemu_io_ioctl(U.f, IOCTL(8, METHOD_NEITHER), U.a->pUserAddr, 8,
					     U.b->pUserAddr, 8, &info),
			      STATUS_SUCCESS);
		user_end();
		unload();
		/* outside EvtIoInCallerContext */
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		r = pend(&op);
		assert_status(WdfRequestRetrieveUnsafeUserInputBuffer(r, 0, &b, &n),
			      verifier ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS);
		assert_ptr_equal(b, verifier ? NULL : (PVOID)U.ua);
		finish(r, op, STATUS_SUCCESS);
		/* a buffered IOCTL has none */
		{
			struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
						   .code = IOCTL(9, METHOD_BUFFERED) };

			assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
			assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_SUCCESS);
			if (!verifier) {
				assert_status(WdfRequestRetrieveUnsafeUserInputBuffer(r, 0, &b, &n),
					      STATUS_INVALID_DEVICE_REQUEST);
				assert_status(WdfRequestRetrieveUnsafeUserOutputBuffer(r, 0, &b, &n),
					      STATUS_INVALID_DEVICE_REQUEST);
			}
			finish(r, op, STATUS_SUCCESS);
		}
		user_end();
		unload();
	}
}

/* §2.5: the read-only flag of a request's memories by IOCTL method: input
 * of IN_DIRECT and OUT_DIRECT, output of IN_DIRECT refuse CopyFromBuffer
 * (STATUS_ACCESS_VIOLATION, a break with the verifier on); BUFFERED and the
 * output of OUT_DIRECT accept it.  Verifier on and off. */
static void test_io_memory_read_only(void **state)
{
	static const struct {
		uint32_t method;
		int in_ro, out_ro;
	} m[] = { { METHOD_BUFFERED, 0, 0 }, { METHOD_IN_DIRECT, 1, 1 }, { METHOD_OUT_DIRECT, 1, 0 } };

	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++) {
		load(verifier, WdfDeviceIoDirect, WdfIoQueueDispatchManual, 0);
		user_begin();
		for (size_t i = 0; i < KT_ARRAY_SIZE(m); i++) {
			struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
						   .code = IOCTL(12, m[i].method),
						   .in = U.a->pUserAddr, .in_len = 8,
						   .out = U.b->pUserAddr, .out_len = 8 };
			struct kmemu_wdf_driver_stats ds0, ds1;
			struct kmemu_io_op *op = NULL;
			WDFMEMORY in = NULL, out = NULL;
			WDFREQUEST r = NULL;

			assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
			assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_SUCCESS);
			assert_status(WdfRequestRetrieveInputMemory(r, &in), STATUS_SUCCESS);
			assert_status(WdfRequestRetrieveOutputMemory(r, &out), STATUS_SUCCESS);
			assert_status(kmemu_wdf_driver_stats(T.drv, &ds0), STATUS_SUCCESS);
			assert_status(WdfMemoryCopyFromBuffer(in, 0, "in", 2),
				      m[i].in_ro ? STATUS_ACCESS_VIOLATION : STATUS_SUCCESS);
			assert_status(WdfMemoryCopyFromBuffer(out, 0, "out", 3),
				      m[i].out_ro ? STATUS_ACCESS_VIOLATION : STATUS_SUCCESS);
			assert_status(kmemu_wdf_driver_stats(T.drv, &ds1), STATUS_SUCCESS);
			assert_u64_equal(ds1.breaks,
					 ds0.breaks + (verifier ? (uint64_t)(m[i].in_ro + m[i].out_ro) : 0));
			finish(r, op, STATUS_SUCCESS);
		}
		user_end();
		unload();
	}
}

/* A bug-check handler that returns: every request, device and queue DDI
 * then fails with STATUS_UNSUCCESSFUL (README "KMDF decisions", last row)
 * and changes nothing more. */
static unsigned n_handled;

static void returning_handler(const struct kmemu_bugcheck_report *rep, void *ctx)
{
	(void)rep, (void)ctx;
	n_handled++;
}

static void test_io_handler_returns(void **state)
{
	WDFMEMORY m = (WDFMEMORY)(uintptr_t)0x77;
	WDFREQUEST r, out = (WDFREQUEST)(uintptr_t)0x66;
	WDFDEVICE d = (WDFDEVICE)(uintptr_t)0x55;
	WDFQUEUE q = (WDFQUEUE)(uintptr_t)0x44;
	PWDFDEVICE_INIT init, none = NULL;
	WDF_IO_QUEUE_CONFIG qc;
	struct kmemu_io_op *op;
	PVOID b = (PVOID)(uintptr_t)0x33;
	size_t n = 5;

	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++) {
		load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
		user_begin();
		r = pend(&op);
		m = (WDFMEMORY)(uintptr_t)0x77;
		init = WdfControlDeviceInitAllocate(kmemu_wdf_driver_handle(T.drv), NULL);
		assert_non_null(init);
		WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
		n_handled = 0;
		kmemu_bugcheck_set_handler(returning_handler, NULL);
		/* ProbeAndLock: NULL request, Buffer, MemoryObject */
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(NULL, U.ub, 8, &m),
			      STATUS_UNSUCCESSFUL);
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, NULL, 8, &m),
			      STATUS_UNSUCCESSFUL);
		assert_status(WdfRequestProbeAndLockUserBufferForRead(r, U.ub, 8, NULL),
			      STATUS_UNSUCCESSFUL);
		assert_ptr_equal(m, (WDFMEMORY)(uintptr_t)0x77);
		/* the unsafe-buffer DDIs */
		assert_status(WdfRequestRetrieveUnsafeUserInputBuffer(NULL, 0, &b, &n), STATUS_UNSUCCESSFUL);
		assert_status(WdfRequestRetrieveUnsafeUserOutputBuffer(r, 0, NULL, &n), STATUS_UNSUCCESSFUL);
		/* Retrieve{Input,Output}{Buffer,Memory} */
		assert_status(WdfRequestRetrieveInputBuffer(NULL, 0, &b, &n), STATUS_UNSUCCESSFUL);
		assert_status(WdfRequestRetrieveOutputBuffer(r, 0, NULL, &n), STATUS_UNSUCCESSFUL);
		assert_status(WdfRequestRetrieveInputMemory((WDFREQUEST)T.queue, &m), STATUS_UNSUCCESSFUL);
		assert_status(WdfRequestRetrieveOutputMemory(r, NULL), STATUS_UNSUCCESSFUL);
		assert_ptr_equal(b, (PVOID)(uintptr_t)0x33);
		assert_u64_equal(n, 5);
		assert_ptr_equal(m, (WDFMEMORY)(uintptr_t)0x77);
		/* device and queue DDIs */
		assert_status(WdfDeviceCreate(NULL, NULL, &d), STATUS_UNSUCCESSFUL);
		assert_status(WdfDeviceCreate(&none, NULL, &d), STATUS_UNSUCCESSFUL);
		assert_status(WdfDeviceCreate(&init, NULL, NULL), STATUS_UNSUCCESSFUL);
		assert_ptr_equal(d, (WDFDEVICE)(uintptr_t)0x55);
		assert_non_null(init);
		assert_status(WdfDeviceInitAssignName(NULL, NULL), STATUS_UNSUCCESSFUL);
		assert_status(WdfIoQueueCreate(NULL, &qc, NULL, &q), STATUS_UNSUCCESSFUL);
		assert_status(WdfIoQueueCreate(T.dev, NULL, NULL, &q), STATUS_UNSUCCESSFUL);
		assert_status(WdfIoQueueCreate((WDFDEVICE)T.queue, &qc, NULL, &q), STATUS_UNSUCCESSFUL);
		assert_ptr_equal(q, (WDFQUEUE)(uintptr_t)0x44);
		assert_status(WdfIoQueueRetrieveNextRequest(NULL, &out), STATUS_UNSUCCESSFUL);
		assert_status(WdfIoQueueRetrieveNextRequest(T.queue, NULL), STATUS_UNSUCCESSFUL);
		assert_ptr_equal(out, (WDFREQUEST)(uintptr_t)0x66);
		assert_status(WdfRequestForwardToIoQueue(NULL, T.queue), STATUS_UNSUCCESSFUL);
		assert_status(WdfRequestForwardToIoQueue(r, (WDFQUEUE)T.dev), STATUS_UNSUCCESSFUL);
		assert_status(WdfDeviceEnqueueRequest(NULL, r), STATUS_UNSUCCESSFUL);
		assert_status(WdfDeviceEnqueueRequest(T.dev, NULL), STATUS_UNSUCCESSFUL);
		assert_int_equal(n_handled, 22);
		kmemu_bugcheck_set_handler(NULL, NULL);
		WdfDeviceInitFree(init);
		/* the request is intact: still the driver's, still pending */
		assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 8, &m), STATUS_SUCCESS);
		finish(r, op, STATUS_SUCCESS);
		user_end();
		unload();
	}
}

/* Devices by name: unknown names, a second device of the same name. */
static void test_io_open_names(void **state)
{
	UNICODE_STRING name;
	struct kmemu_io_file *f = NULL;
	PWDFDEVICE_INIT init;
	WDFDEVICE d2 = NULL;

	(void)state;
	load(1, WdfDeviceIoBuffered, WdfIoQueueDispatchParallel, 0);
	RtlInitUnicodeString(&name, u"\\Device\\kmemu_wdfio");
	assert_status(kmemu_io_open("\\Device\\nothing", &f), STATUS_OBJECT_NAME_NOT_FOUND);
	assert_status(kmemu_io_open(NULL, &f), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_io_open("\\DEVICE\\KMEMU_WDFIO", &f), STATUS_SUCCESS);
	kmemu_io_close(f);
	init = WdfControlDeviceInitAllocate(kmemu_wdf_driver_handle(T.drv), NULL);
	assert_status(WdfDeviceInitAssignName(init, &name), STATUS_SUCCESS);
	assert_status(WdfDeviceCreate(&init, NULL, &d2), STATUS_SUCCESS);
	WdfControlFinishInitializing(d2);  /* the name is taken: stays unopenable */
	WdfObjectDelete(d2);
	/* the device deleted: its name is free, open files fail new requests */
	assert_status(kmemu_io_open(DEV_NAME, &f), STATUS_SUCCESS);
	WdfObjectDelete(T.dev);
	assert_status(kmemu_io_ioctl(f, IOCTL(1, METHOD_BUFFERED), 0, 0, 0, 0, NULL),
		      STATUS_INVALID_DEVICE_REQUEST);
	kmemu_io_close(f);
	assert_status(kmemu_io_open(DEV_NAME, &f), STATUS_OBJECT_NAME_NOT_FOUND);
	unload();
}

/* ---- the other statuses of the device, queue and request DDIs ------------------------ */

static void test_io_parameter_statuses(void **state)
{
	struct kmemu_io_args a = { .kind = (enum kmemu_io_kind)7 };
	struct kmemu_io_op *op = (struct kmemu_io_op *)1;
	WDF_IO_QUEUE_CONFIG qc;
	PWDFDEVICE_INIT init;
	UNICODE_STRING odd = { 3, 4, (PWSTR)u"\\D" }, empty = { 0, 2, (PWSTR)u"" };
	WDFQUEUE q = NULL;
	WDFREQUEST r = (WDFREQUEST)1;
	WDF_REQUEST_PARAMETERS p;
	PVOID b;
	size_t n;
	WDFMEMORY m = NULL, m2 = NULL;

	(void)state;
	load(1, WdfDeviceIoDirect, WdfIoQueueDispatchParallel, 0);
	user_begin();
	/* kmemu_io_send / kmemu_io_wait: NULL arguments, unknown kind */
	assert_status(kmemu_io_send(U.f, &a, &op), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_io_send(NULL, &a, &op), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_io_send(U.f, NULL, &op), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_io_wait(NULL, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_io_open(DEV_NAME, NULL), STATUS_INVALID_PARAMETER);
	/* WdfDeviceInitAssignName: empty / odd length; NULL removes the name */
	init = WdfControlDeviceInitAllocate(kmemu_wdf_driver_handle(T.drv), NULL);
	assert_status(WdfDeviceInitAssignName(init, &odd), STATUS_INVALID_PARAMETER);
	assert_status(WdfDeviceInitAssignName(init, &empty), STATUS_INVALID_PARAMETER);
	assert_status(WdfDeviceInitAssignName(init, NULL), STATUS_SUCCESS);
	WdfDeviceInitSetIoType(init, WdfDeviceIoMaximum);  /* ignored */
	WdfDeviceInitFree(init);
	/* WdfIoQueueCreate: Size, dispatch type, no callback, second default */
	WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchParallel);
	qc.Size--;
	assert_status(WdfIoQueueCreate(T.dev, &qc, NULL, &q), STATUS_INFO_LENGTH_MISMATCH);
	WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchMax);
	assert_status(WdfIoQueueCreate(T.dev, &qc, NULL, &q), STATUS_INVALID_PARAMETER);
	WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchSequential);
	assert_status(WdfIoQueueCreate(T.dev, &qc, NULL, &q), STATUS_INVALID_PARAMETER);
	WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchManual);
	assert_status(WdfIoQueueCreate(T.dev, &qc, NULL, &q), STATUS_INVALID_DEVICE_REQUEST);
	/* a manual queue that is not the default one gets nothing by itself */
	WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
	assert_status(WdfIoQueueCreate(T.dev, &qc, NULL, &q), STATUS_SUCCESS);
	assert_ptr_equal(WdfIoQueueGetDevice(q), T.dev);
	assert_ptr_equal(WdfDeviceGetDefaultQueue(T.dev), T.queue);
	/* WdfIoQueueRetrieveNextRequest: not manual; empty */
	assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_INVALID_DEVICE_REQUEST);
	assert_null(r);
	assert_status(WdfIoQueueRetrieveNextRequest(q, &r), STATUS_NO_MORE_ENTRIES);
	/* a direct write taken to the manual queue: buffers, memories, forwarding */
	T.complete_in_callback = 0;
	a = (struct kmemu_io_args){ .kind = KMEMU_IO_WRITE, .in = U.a->pUserAddr, .in_len = 100 };
	assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
	r = T.last;
	assert_status(WdfRequestForwardToIoQueue(r, T.queue), STATUS_INVALID_DEVICE_REQUEST);
	WDF_REQUEST_PARAMETERS_INIT(&p);
	WdfRequestGetParameters(r, &p);
	assert_int_equal(p.Type, WdfRequestTypeWrite);
	assert_u64_equal(p.Parameters.Write.Length, 100);
	assert_int_equal(WdfRequestGetRequestorMode(r), UserMode);
	assert_status(WdfRequestRetrieveOutputBuffer(r, 0, &b, &n), STATUS_INVALID_DEVICE_REQUEST);
	assert_status(WdfRequestRetrieveInputBuffer(r, 101, &b, &n), STATUS_BUFFER_TOO_SMALL);
	assert_status(WdfRequestRetrieveInputBuffer(r, 100, &b, &n), STATUS_SUCCESS);
	assert_ptr_not_equal(b, U.ua);  /* the MDL's kernel mapping */
	assert_status(WdfRequestRetrieveOutputMemory(r, &m), STATUS_INVALID_DEVICE_REQUEST);
	assert_status(WdfRequestRetrieveInputMemory(r, &m), STATUS_SUCCESS);
	assert_status(WdfRequestRetrieveInputMemory(r, &m2), STATUS_SUCCESS);
	assert_ptr_equal(m, m2);
	assert_ptr_equal(WdfMemoryGetBuffer(m, &n), b);
	/* a write's input memory is read-only */
	assert_status(WdfMemoryCopyFromBuffer(m, 0, "x", 1), STATUS_ACCESS_VIOLATION);
	assert_status(WdfRequestForwardToIoQueue(r, q), STATUS_SUCCESS);
	assert_status(WdfRequestForwardToIoQueue(r, T.queue), STATUS_INVALID_DEVICE_REQUEST);
	assert_status(WdfDeviceEnqueueRequest(T.dev, r), STATUS_INVALID_DEVICE_REQUEST);
	assert_status(WdfIoQueueRetrieveNextRequest(q, &r), STATUS_SUCCESS);
	WdfRequestSetInformation(r, 100);
	WdfRequestComplete(r, STATUS_SUCCESS);
	assert_status(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
	user_end();
	unload();
}

/* A PnP driver: the device comes from EvtDriverDeviceAdd. */
static WDFDEVICE added;
static NTSTATUS added_status;

static NTSTATUS NTAPI evt_device_add(WDFDRIVER d, PWDFDEVICE_INIT init)
{
	UNICODE_STRING name;
	WDF_IO_QUEUE_CONFIG qc;

	(void)d;
	RtlInitUnicodeString(&name, u"\\Device\\kmemu_pnp");
	WdfDeviceInitSetIoType(init, WdfDeviceIoNeither);
	if (WdfDeviceInitAssignName(init, &name))
		return STATUS_UNSUCCESSFUL;
	added_status = WdfDeviceCreate(&init, NULL, &added);
	if (added_status)
		return added_status;
	WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
	qc.EvtIoRead = evt_read;
	return WdfIoQueueCreate(added, &qc, NULL, NULL);
}

static void test_io_device_add(void **state)
{
	struct kmemu_wdf_driver_options o = { .verifier = 1, .has_verifier = 1, .quiet = 1 };
	struct kmemu_wdf_driver *pnp = NULL;
	struct kmemu_io_file *f = NULL;
	WDF_DRIVER_CONFIG cfg;
	WDFDEVICE dev = NULL;

	(void)state;
	WDF_DRIVER_CONFIG_INIT(&cfg, evt_device_add);
	assert_status(kmemu_wdf_device_add(NULL, &dev), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_wdf_driver_create("pnp", &o, &cfg, &pnp), STATUS_SUCCESS);
	assert_status(kmemu_wdf_device_add(pnp, &dev), STATUS_SUCCESS);
	assert_ptr_equal(dev, added);
	assert_status(kmemu_io_open("\\Device\\kmemu_pnp", &f), STATUS_SUCCESS);
	kmemu_io_close(f);
	/* a second PnP device of the same name is not created */
	assert_status(kmemu_wdf_device_add(pnp, &dev), STATUS_OBJECT_NAME_COLLISION);
	assert_status(added_status, STATUS_OBJECT_NAME_COLLISION);
	assert_null(dev);
	kmemu_wdf_driver_unload(pnp);
	assert_status(kmemu_io_open("\\Device\\kmemu_pnp", &f), STATUS_OBJECT_NAME_NOT_FOUND);
}

/* A backend without the version-5 slots: ProbeAndLock and direct I/O
 * answer STATUS_NOT_SUPPORTED; buffered I/O works. */
static struct kmemu_backend_ops v4_ops;

static void test_io_backend_v4(void **state)
{
	struct kmemu_backend *b = NULL, *old;
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	WDFREQUEST r;
	uint64_t info;

	(void)state;
	v4_ops = kmemu__emu_ops;
	v4_ops.version = 4;
	v4_ops.name = "emu-v4";
	v4_ops.caps &= ~KMEMU_CAP_WDF;
	v4_ops.mdl_probe_lock = NULL;  /* never called */
	assert_status(kmemu_backend_register(&v4_ops), STATUS_SUCCESS);
	assert_status(kmemu_backend_open("emu-v4", NULL, &b), STATUS_SUCCESS);
	old = kmemu_backend_set_current(b);
	load(1, WdfDeviceIoBuffered, WdfIoQueueDispatchParallel, 0);
	user_begin();
	memcpy(U.ua, "v4", 2);
	assert_status(kmemu_io_ioctl(U.f, IOCTL(1, METHOD_BUFFERED), U.a->pUserAddr, 2,
				     U.b->pUserAddr, 2, &info),
		      STATUS_SUCCESS);
	assert_status(kmemu_io_ioctl(U.f, IOCTL(1, METHOD_OUT_DIRECT), U.a->pUserAddr, 2,
				     U.b->pUserAddr, 2, &info),
		      STATUS_NOT_SUPPORTED);
	user_end();
	unload();
	load(1, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
	user_begin();
	r = pend(&op);
	assert_status(WdfRequestProbeAndLockUserBufferForWrite(r, U.ub, 8, &m), STATUS_NOT_SUPPORTED);
	finish(r, op, STATUS_SUCCESS);
	user_end();
	unload();
	kmemu_backend_set_current(old);
	kmemu_backend_close(b);
}

/* ---- cancellation ------------------------------------------------------------------------ */

static struct {
	unsigned calls;             /* EvtRequestCancel calls */
	int complete;               /* EvtRequestCancel completes with STATUS_CANCELLED */
	WDFREQUEST last;            /* the request it saw */
	pthread_t thread;           /* the thread it ran on */
	unsigned on_queue;          /* EvtIoCanceledOnQueue calls */
} C;

static VOID NTAPI evt_cancel(WDFREQUEST r)
{
	__atomic_add_fetch(&C.calls, 1, __ATOMIC_SEQ_CST);
	C.last = r;
	C.thread = pthread_self();
	if (C.complete)
		WdfRequestComplete(r, STATUS_CANCELLED);
}

static VOID NTAPI evt_canceled_on_queue(WDFQUEUE q, WDFREQUEST r)
{
	(void)q;
	C.on_queue++;
	WdfRequestComplete(r, STATUS_DEVICE_BUSY);  /* not what the framework would use */
}

static uint64_t breaks_now(void)
{
	struct kmemu_wdf_driver_stats ds;

	assert_status(kmemu_wdf_driver_stats(T.drv, &ds), STATUS_SUCCESS);
	return ds.breaks;
}

/* A driver with a manual queue (verifier @verifier), a user process that
 * opened its device, the cancel record cleared; EvtRequestCancel completes
 * the request when @complete. */
static void cancel_begin(int verifier, int complete)
{
	load(verifier, WdfDeviceIoBuffered, WdfIoQueueDispatchManual, 0);
	user_begin();
	memset(&C, 0, sizeof(C));
	C.complete = complete;
}

/* A marked request: kmemu_io_cancel calls EvtRequestCancel once, on the
 * cancelling thread; the sender sees the routine's status; a second cancel
 * finds nothing pending. */
static void test_cancel_marked(void **state)
{
	(void)state;
	assert_status(kmemu_io_cancel(NULL), STATUS_INVALID_PARAMETER);
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_io_op *op = NULL;
		WDFREQUEST r;
		uint64_t b0;

		cancel_begin(verifier, 1);
		r = pend(&op);
		b0 = breaks_now();
		assert_status(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
		assert_false(WdfRequestIsCanceled(r));
		assert_status(kmemu_io_cancel(op), STATUS_SUCCESS);
		assert_int_equal(C.calls, 1);
		assert_ptr_equal(C.last, r);
		assert_true(pthread_equal(C.thread, pthread_self()));
		assert_status(kmemu_io_cancel(op), STATUS_NOT_FOUND);
		assert_status(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
		assert_int_equal(C.calls, 1);
		/* WdfRequestMarkCancelable (VOID) the same way */
		r = pend(&op);
		WdfRequestMarkCancelable(r, evt_cancel);
		assert_status(kmemu_io_cancel(op), STATUS_SUCCESS);
		assert_int_equal(C.calls, 2);
		assert_status(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
		assert_u64_equal(breaks_now(), b0);
		user_end();
		unload();
	}
}

/* Every status of MarkCancelableEx and UnmarkCancelable, verifier on and off. */
static void test_cancel_statuses(void **state)
{
	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_io_op *op = NULL;
		WDF_IO_QUEUE_CONFIG qc;
		WDFQUEUE q2;
		WDFREQUEST r, r2;
		uint64_t b0;

		cancel_begin(verifier, 1);
		r = pend(&op);
		b0 = breaks_now();
		/* not cancelable: STATUS_INVALID_PARAMETER, a break with the verifier */
		assert_status(WdfRequestUnmarkCancelable(r), STATUS_INVALID_PARAMETER);
		assert_u64_equal(breaks_now(), b0 + (unsigned)verifier);
		/* marked twice: STATUS_INVALID_DEVICE_REQUEST, a break with the verifier */
		assert_status(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
		assert_status(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_INVALID_DEVICE_REQUEST);
		assert_u64_equal(breaks_now(), b0 + 2u * (unsigned)verifier);
		WdfRequestMarkCancelable(r, evt_cancel);
		assert_u64_equal(breaks_now(), b0 + 3u * (unsigned)verifier);
		/* a cancelable request cannot be forwarded */
		WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
		assert_status(WdfIoQueueCreate(T.dev, &qc, NULL, &q2), STATUS_SUCCESS);
		assert_status(WdfRequestForwardToIoQueue(r, q2), STATUS_INVALID_DEVICE_REQUEST);
		assert_u64_equal(breaks_now(), b0 + 4u * (unsigned)verifier);
		/* unmarked: the cancel only flags it */
		assert_status(WdfRequestUnmarkCancelable(r), STATUS_SUCCESS);
		assert_status(kmemu_io_cancel(op), STATUS_SUCCESS);
		assert_int_equal(C.calls, 0);
		assert_true(WdfRequestIsCanceled(r));
		/* already cancelled: Ex refuses without calling the routine ... */
		assert_status(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_CANCELLED);
		assert_int_equal(C.calls, 0);
		assert_status(WdfRequestUnmarkCancelable(r), STATUS_INVALID_PARAMETER);
		/* ... the VOID one calls it before returning */
		WdfRequestMarkCancelable(r, evt_cancel);
		assert_int_equal(C.calls, 1);
		assert_status(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
		/* the routine claimed but not yet completed: Unmark says CANCELLED */
		C.complete = 0;
		r = pend(&op);
		assert_status(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
		assert_status(kmemu_io_cancel(op), STATUS_SUCCESS);
		assert_int_equal(C.calls, 2);
		assert_status(WdfRequestUnmarkCancelable(r), STATUS_CANCELLED);
		WdfRequestComplete(r, STATUS_CANCELLED);
		assert_status(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
		/* not owned (waiting in a queue): STATUS_INVALID_DEVICE_REQUEST */
		r = pend(&op);
		assert_status(WdfRequestForwardToIoQueue(r, q2), STATUS_SUCCESS);
		b0 = breaks_now();
		assert_status(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_INVALID_DEVICE_REQUEST);
		assert_status(WdfRequestUnmarkCancelable(r), STATUS_INVALID_DEVICE_REQUEST);
		assert_u64_equal(breaks_now(), b0 + 2u * (unsigned)verifier);
		assert_status(WdfIoQueueRetrieveNextRequest(q2, &r2), STATUS_SUCCESS);
		finish(r2, op, STATUS_SUCCESS);
		user_end();
		unload();
	}
}

/* Completing a request still marked cancelable: a break with the verifier
 * (spec §4 step 4), none without; the routine never runs afterwards. */
static void test_cancel_complete_marked(void **state)
{
	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_io_op *op = NULL;
		WDFREQUEST r;
		uint64_t b0;

		cancel_begin(verifier, 1);
		r = pend(&op);
		assert_status(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
		b0 = breaks_now();
		WdfRequestComplete(r, STATUS_SUCCESS);
		assert_u64_equal(breaks_now(), b0 + (unsigned)verifier);
		assert_status(kmemu_io_cancel(op), STATUS_NOT_FOUND);
		assert_status(kmemu_io_wait(op, NULL), STATUS_SUCCESS);
		assert_int_equal(C.calls, 0);
		/* a marked request when the driver goes: STATUS_CANCELLED, no routine */
		r = pend(&op);
		assert_status(WdfRequestMarkCancelableEx(r, evt_cancel), STATUS_SUCCESS);
		unload();
		assert_status(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
		assert_int_equal(C.calls, 0);
		user_end();
	}
}

/* Requests waiting in a queue: never presented, the framework completes
 * them STATUS_CANCELLED; requeued by the driver to a queue with
 * EvtIoCanceledOnQueue, that callback gets them. */
static void test_cancel_on_queue(void **state)
{
	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
					   .code = IOCTL(6, METHOD_NEITHER) };
		struct kmemu_io_op *op = NULL;
		WDF_IO_QUEUE_CONFIG qc;
		WDFQUEUE q2;
		WDFREQUEST r;

		cancel_begin(verifier, 0);
		assert_status(kmemu_io_send(U.f, &a, &op), STATUS_PENDING);
		assert_status(kmemu_io_cancel(op), STATUS_SUCCESS);
		assert_status(kmemu_io_wait(op, NULL), STATUS_CANCELLED);
		assert_status(WdfIoQueueRetrieveNextRequest(T.queue, &r), STATUS_NO_MORE_ENTRIES);
		WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
		qc.EvtIoCanceledOnQueue = evt_canceled_on_queue;
		assert_status(WdfIoQueueCreate(T.dev, &qc, NULL, &q2), STATUS_SUCCESS);
		r = pend(&op);
		assert_status(WdfRequestForwardToIoQueue(r, q2), STATUS_SUCCESS);
		assert_status(kmemu_io_cancel(op), STATUS_SUCCESS);
		assert_int_equal(C.on_queue, 1);
		assert_status(kmemu_io_wait(op, NULL), STATUS_DEVICE_BUSY);
		assert_status(WdfIoQueueRetrieveNextRequest(q2, &r), STATUS_NO_MORE_ENTRIES);
		user_end();
		unload();
	}
}

struct canceller {
	struct kmemu_io_op *op;
	pthread_barrier_t *go;
	NTSTATUS st;
};

/* The documented pattern: the driver keeps the request under its own lock;
 * the cancel routine forgets it there before completing it, and the driver
 * calls WdfRequestUnmarkCancelable only while it still holds it. */
static pthread_mutex_t race_lock = PTHREAD_MUTEX_INITIALIZER;
static WDFREQUEST race_held;

static VOID NTAPI evt_cancel_race(WDFREQUEST r)
{
	pthread_mutex_lock(&race_lock);
	race_held = NULL;
	pthread_mutex_unlock(&race_lock);
	__atomic_add_fetch(&C.calls, 1, __ATOMIC_SEQ_CST);
	WdfRequestComplete(r, STATUS_CANCELLED);
}

static void *cancel_thread(void *arg)
{
	struct canceller *c = arg;

	pthread_barrier_wait(c->go);
	c->st = kmemu_io_cancel(c->op);
	return NULL;
}

/* The race: one thread unmarks and completes, another cancels.  Exactly
 * one of them completes the request, a few hundred times. */
static void test_cancel_race(void **state)
{
	(void)state;
	for (int verifier = 0; verifier <= 1; verifier++) {
		unsigned won_cancel = 0, won_complete = 0;

		cancel_begin(verifier, 1);
		for (int i = 0; i < 300; i++) {
			struct canceller c = { 0 };
			pthread_barrier_t go;
			pthread_t th;
			unsigned before = C.calls;
			WDFREQUEST r;
			NTSTATUS st, fin;

			r = pend(&c.op);
			race_held = r;
			assert_status(WdfRequestMarkCancelableEx(r, evt_cancel_race), STATUS_SUCCESS);
			pthread_barrier_init(&go, NULL, 2);
			c.go = &go;
			assert_int_equal(pthread_create(&th, NULL, cancel_thread, &c), 0);
			pthread_barrier_wait(&go);
			pthread_mutex_lock(&race_lock);
			st = race_held ? WdfRequestUnmarkCancelable(r) : STATUS_CANCELLED;
			race_held = NULL;
			pthread_mutex_unlock(&race_lock);
			if (st == STATUS_SUCCESS)
				WdfRequestComplete(r, STATUS_SUCCESS);
			else
				assert_status(st, STATUS_CANCELLED);
			pthread_join(th, NULL);
			pthread_barrier_destroy(&go);
			fin = kmemu_io_wait(c.op, NULL);
			if (st == STATUS_SUCCESS) {
				assert_status(fin, STATUS_SUCCESS);
				assert_int_equal(C.calls, before);
				assert_true(c.st == STATUS_SUCCESS || c.st == STATUS_NOT_FOUND);
				won_complete++;
			} else {
				assert_status(fin, STATUS_CANCELLED);
				assert_int_equal(C.calls, before + 1);
				assert_status(c.st, STATUS_SUCCESS);
				won_cancel++;
			}
		}
		assert_int_equal(won_cancel + won_complete, 300);
		assert_u64_equal(breaks_now(), 0);
		user_end();
		unload();
	}
}

#define IO_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		IO_TEST(test_io_buffered_ioctl),
		IO_TEST(test_io_direct_ioctl),
		IO_TEST(test_io_read_write),
		IO_TEST(test_io_neither_in_caller),
		IO_TEST(test_io_manual_other_thread),
		IO_TEST(test_io_async_same_process_thread),
		IO_TEST(test_pal_statuses),
		IO_TEST(test_pal_read_only),
		IO_TEST(test_pal_owned_and_completed),
		IO_TEST(test_pal_kernel_sender),
		IO_TEST(test_pal_completed_down_level),
		IO_TEST(test_pal_oom),
		IO_TEST(test_io_oom),
		IO_TEST(test_io_device_queue_attributes),
		IO_TEST(test_io_device_queue_oom),
		IO_TEST(test_io_retrieve_memory_statuses),
		IO_TEST(test_complete_extra_reference),
		IO_TEST(test_complete_embedded_reference),
		IO_TEST(test_complete_information_too_large),
		IO_TEST(test_complete_not_owned_twice),
		IO_TEST(test_complete_buffered_no_output),
		IO_TEST(test_complete_dispatch_passive_child),
		IO_TEST(test_complete_buffer_after_completion),
		IO_TEST(test_unsafe_user_buffers),
		IO_TEST(test_io_handler_returns),
		IO_TEST(test_io_memory_read_only),
		IO_TEST(test_io_open_names),
		IO_TEST(test_io_parameter_statuses),
		IO_TEST(test_io_device_add),
		IO_TEST(test_io_backend_v4),
		IO_TEST(test_cancel_marked),
		IO_TEST(test_cancel_statuses),
		IO_TEST(test_cancel_complete_marked),
		IO_TEST(test_cancel_on_queue),
		IO_TEST(test_cancel_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
