/* SPDX-License-Identifier: MIT */
/*
 * pal_checks.c - the checks of WdfRequestProbeAndLockUserBufferForWrite and
 * ...ForRead, one function per numbered step of spec kmdf.md §1, each run
 * for one variant (@write) and, where the step depends on it, with the WDF
 * verifier on and off.  The cases of both API directories call them.
 */
#include <pthread.h>
#include <string.h>
#include "pal_checks.h"

static NTSTATUS pal(WDFREQUEST r, PVOID buf, size_t len, WDFMEMORY *m, int write)
{
	return write ? WdfRequestProbeAndLockUserBufferForWrite(r, buf, len, m)
		     : WdfRequestProbeAndLockUserBufferForRead(r, buf, len, m);
}

struct pal_call {
	WDFREQUEST r;
	PVOID buf;
	size_t len;
	WDFMEMORY *m;
	int write;
	NTSTATUS st;
};

static void pal_cb(void *arg)
{
	struct pal_call *c = arg;

	c->st = pal(c->r, c->buf, c->len, c->m, c->write);
}

/* Step 1: a NULL request and a handle of another type bug check 0x10D/5. */
void pal_check_handle(int write)
{
	struct kmemu_bugcheck_report rep;
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	struct wio w;
	WDFREQUEST r;
	struct pal_call c;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	r = wio_pend_neither(&w, &op);
	c = (struct pal_call){ NULL, w.ub, 8, &m, write, 0 };
	if (KMEMU_EXPECT_EQ(wio_catch(pal_cb, &c, &rep), 1)) {
		KMEMU_EXPECT_EQ(rep.code, WDF_VIOLATION);
		KMEMU_EXPECT_EQ(rep.param[0], WDF_INVALID_HANDLE);
		KMEMU_EXPECT_EQ(rep.param[1], 0);
		KMEMU_EXPECT_EQ(rep.param[2], 0x1008);
	}
	c = (struct pal_call){ (WDFREQUEST)w.queue, w.ub, 8, &m, write, 0 };
	if (KMEMU_EXPECT_EQ(wio_catch(pal_cb, &c, &rep), 1)) {
		KMEMU_EXPECT_EQ(rep.param[0], WDF_INVALID_HANDLE);
		KMEMU_EXPECT_EQ(rep.param[1], (uintptr_t)w.queue);
		KMEMU_EXPECT_EQ(rep.param[2], 0x1008);
	}
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	wio_teardown(&w);
}

static unsigned handled;

static void returning_handler(const struct kmemu_bugcheck_report *rep, void *ctx)
{
	(void)rep, (void)ctx;
	handled++;
}

/* Steps 2 and 3: NULL Buffer / NULL MemoryObject bug check 0x10D/4, with the
 * verifier on and off (never STATUS_INVALID_PARAMETER: a handler that returns
 * makes the call fail with STATUS_UNSUCCESSFUL, README "KMDF decisions"). */
void pal_check_null_pointers(int write)
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_bugcheck_report rep;
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		struct wio w;
		WDFREQUEST r;
		struct pal_call c;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		r = wio_pend_neither(&w, &op);
		c = (struct pal_call){ r, NULL, 8, &m, write, 0 };
		if (KMEMU_EXPECT_EQ(wio_catch(pal_cb, &c, &rep), 1)) {
			KMEMU_EXPECT_EQ(rep.code, WDF_VIOLATION);
			KMEMU_EXPECT_EQ(rep.param[0], WDF_REQUIRED_PARAMETER_IS_NULL);
		}
		c = (struct pal_call){ r, w.ub, 8, NULL, write, 0 };
		if (KMEMU_EXPECT_EQ(wio_catch(pal_cb, &c, &rep), 1))
			KMEMU_EXPECT_EQ(rep.param[0], WDF_REQUIRED_PARAMETER_IS_NULL);
		handled = 0;
		kmemu_bugcheck_set_handler(returning_handler, NULL);
		KMEMU_EXPECT_NT(pal(r, NULL, 8, &m, write), STATUS_UNSUCCESSFUL);
		KMEMU_EXPECT_NT(pal(r, w.ub, 8, NULL, write), STATUS_UNSUCCESSFUL);
		KMEMU_EXPECT_NT(pal(NULL, w.ub, 8, &m, write), STATUS_UNSUCCESSFUL);
		kmemu_bugcheck_set_handler(NULL, NULL);
		KMEMU_EXPECT_EQ(handled, 3);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		wio_teardown(&w);
	}
}

/* Step 4: ForRead sets *MemoryObject to NULL before anything can fail;
 * ForWrite never writes it on a failure. */
void pal_check_out_param(int write)
{
	WDFMEMORY keep = (WDFMEMORY)(uintptr_t)0x5EB7E110, m;
	struct kmemu_io_op *op;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	r = wio_pend_neither(&w, &op);
	m = keep;
	KMEMU_EXPECT_NT(pal(r, w.ub, 0, &m, write), STATUS_INVALID_USER_BUFFER);
	KMEMU_EXPECT_EQ((uintptr_t)m, write ? (uintptr_t)keep : 0);
	m = keep;
	KMEMU_EXPECT_NT(pal(r, w.ub + WIO_BUF_PAGES * WIO_PAGE, 8, &m, write), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_EQ((uintptr_t)m, write ? (uintptr_t)keep : 0);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	wio_teardown(&w);
}

/* Step 5: above PASSIVE_LEVEL, the verifier returns
 * STATUS_INVALID_DEVICE_REQUEST with a break; without it nothing is checked. */
static NTSTATUS pal_gate_call(struct wio *w, WDFREQUEST r, void *arg)
{
	WDFMEMORY m = NULL;

	return pal(r, w->ub, 8, &m, *(int *)arg);
}

void pal_check_irql(int write)
{
	wio_check_verifier_gate(WdfDeviceIoBuffered, APC_LEVEL, pal_gate_call, &write, STATUS_SUCCESS);
}

/* Step 6: a request the driver does not own (sitting in a queue) fails with
 * the verifier (KMDF >= 1.9), before the Length check; without it the probe
 * runs. */
void pal_check_owned(int write)
{
	for (int v = 0; v <= 1; v++) {
		WDF_IO_QUEUE_CONFIG qc;
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		WDFQUEUE q2 = NULL;
		struct wio w;
		WDFREQUEST r, back = NULL;
		uint64_t breaks;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
		KMEMU_SETUP_NT(WdfIoQueueCreate(w.dev, &qc, WDF_NO_OBJECT_ATTRIBUTES, &q2));
		r = wio_pend_neither(&w, &op);
		KMEMU_SETUP_NT(WdfRequestForwardToIoQueue(r, q2));
		breaks = wio_breaks(&w);
		KMEMU_EXPECT_NT(pal(r, w.ub, 0, &m, write),
				v ? STATUS_INVALID_DEVICE_REQUEST : STATUS_INVALID_USER_BUFFER);
		KMEMU_EXPECT_NT(pal(r, w.ub, 8, &m, write),
				v ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (v ? 2 : 0));
		KMEMU_SETUP_NT(WdfIoQueueRetrieveNextRequest(q2, &back));
		KMEMU_EXPECT_NT(wio_finish(back, op, STATUS_SUCCESS), STATUS_SUCCESS);
		wio_teardown(&w);
	}
}

/* Step 7: Length is truncated to 32 bits; 0 after truncation is
 * STATUS_INVALID_USER_BUFFER (a trace, no break), checked before the
 * completed-request check. */
void pal_check_length(int write)
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		size_t n = 0;
		struct wio w;
		WDFREQUEST r;
		uint64_t breaks;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		r = wio_pend_neither(&w, &op);
		breaks = wio_breaks(&w);
		KMEMU_EXPECT_NT(pal(r, w.ub, 0, &m, write), STATUS_INVALID_USER_BUFFER);
		KMEMU_EXPECT_NT(pal(r, w.ub, (size_t)0x100000000ull, &m, write),
				STATUS_INVALID_USER_BUFFER);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks);
		if (KMEMU_EXPECT_NT(pal(r, w.ub, (size_t)0x100000010ull, &m, write), STATUS_SUCCESS)) {
			KMEMU_EXPECT_TRUE(WdfMemoryGetBuffer(m, &n) != NULL);
			KMEMU_EXPECT_EQ(n, 16);
		}
		WdfObjectReference(r);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		/* completed: the Length check still comes first (step 7 before 8);
		 * with the verifier the request is no longer the driver's (step 6) */
		KMEMU_EXPECT_NT(pal(r, w.ub, 0, &m, write),
				v ? STATUS_INVALID_DEVICE_REQUEST : STATUS_INVALID_USER_BUFFER);
		WdfObjectDereference(r);
		wio_teardown(&w);
	}
}

/* Step 8: a completed request (kept alive by a reference) has no IRP:
 * STATUS_INVALID_DEVICE_REQUEST with the verifier on and off.  With the
 * verifier on a KMDF >= 1.9 driver is stopped by step 6 first (the request
 * is no longer the driver's, so even Length 0 fails); a KMDF 1.8 driver
 * skips step 6, so step 7 answers Length 0 and step 8 itself answers with
 * its break.  Without the verifier step 8 traces and takes no break. */
void pal_check_completed(int write)
{
	static const struct { int verifier; uint32_t minor; } cfg[] = { { 0, 0 }, { 1, 0 }, { 1, 8 } };

	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		int step6 = cfg[i].verifier && cfg[i].minor != 8;
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		uint64_t breaks;
		struct wio w;
		WDFREQUEST r;

		wio_setup_version(&w, cfg[i].verifier, cfg[i].minor, WdfDeviceIoBuffered, NULL);
		r = wio_pend_neither(&w, &op);
		WdfObjectReference(r);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		breaks = wio_breaks(&w);
		KMEMU_EXPECT_NT(pal(r, w.ub, 8, &m, write), STATUS_INVALID_DEVICE_REQUEST);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (cfg[i].verifier ? 1 : 0));
		KMEMU_EXPECT_NT(pal(r, w.ub, 0, &m, write),
				step6 ? STATUS_INVALID_DEVICE_REQUEST : STATUS_INVALID_USER_BUFFER);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (cfg[i].verifier ? 1 : 0) + (step6 ? 1 : 0));
		WdfObjectDereference(r);
		wio_teardown(&w);
	}
}

struct other_thread {
	struct wio *w;
	WDFREQUEST r;
	int write;
	int other_process;          /* 1: attach to a process of its own */
	NTSTATUS st;
	uint8_t seen;               /* what a write through the memory reached */
};

static void *other_thread_main(void *arg)
{
	struct other_thread *t = arg;
	struct kmemu_wdf_driver *prev = kmemu_wdf_driver_enter(t->w->drv);
	WD_KERNEL_BUFFER *kb = NULL;
	kmemu_pid pid = 0, old = 0;
	WDFMEMORY m = NULL;
	uint8_t *buf = t->w->ub;

	if (t->other_process) {
		/* a thread of another process, probing a buffer of that process */
		if (kmemu_process_create("conform-other", &pid) ||
		    kmemu_process_attach(pid, &old) ||
		    WDS_SharedBufferAlloc(WIO_PAGE, KER_BUF_ALLOC_NON_CONTIG, &kb)) {
			t->st = STATUS_UNSUCCESSFUL;
			goto out;
		}
		buf = kmemu_uaddr(kb);
	} else {
		/* another thread of the requestor's own process */
		kmemu_process_attach(t->w->pid, NULL);
	}
	t->st = pal(t->r, buf, 8, &m, t->write);
	if (t->st == STATUS_SUCCESS) {
		if (t->write && t->other_process) {
			((uint8_t *)WdfMemoryGetBuffer(m, NULL))[0] = 'P';
			t->seen = ((uint8_t *)(uintptr_t)kb->pKernelAddr)[0];
		}
		WdfObjectDelete(m);
	}
out:
	if (kb)
		WDS_SharedBufferFree(kb);
	if (pid) {
		kmemu_process_attach(old, NULL);
		kmemu_process_destroy(pid);
	}
	kmemu_wdf_driver_enter(prev);
	return NULL;
}

/* Step 9: with the verifier, a thread other than the requestor's (even of
 * the same process) gets STATUS_ACCESS_VIOLATION; without it the probe runs
 * in that thread's process (a thread of another process locks that
 * process's pages). */
void pal_check_thread(int write)
{
	for (int v = 0; v <= 1; v++)
		for (int other = 0; other <= 1; other++) {
			struct other_thread t = { 0 };
			struct kmemu_io_op *op;
			pthread_t th;
			struct wio w;

			wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
			t.w = &w;
			t.write = write;
			t.other_process = other;
			t.r = wio_pend_neither(&w, &op);
			KMEMU_SETUP_TRUE(pthread_create(&th, NULL, other_thread_main, &t) == 0);
			pthread_join(th, NULL);
			KMEMU_EXPECT_NT(t.st, v ? STATUS_ACCESS_VIOLATION : STATUS_SUCCESS);
			if (!v && other && write)
				KMEMU_EXPECT_EQ(t.seen, 'P');
			KMEMU_EXPECT_NT(wio_finish(t.r, op, STATUS_SUCCESS), STATUS_SUCCESS);
			wio_teardown(&w);
		}
}

/* Step 9's exemption: a request with no IRP thread (a kernel-mode sender:
 * KMEMU_IO_INTERNAL_DEVICE_CONTROL, RequestorMode KernelMode) skips the
 * thread check, so another thread probes it with the verifier on. */
void pal_check_thread_exempt(int write)
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_INTERNAL_DEVICE_CONTROL,
					   .code = WIO_IOCTL(4, METHOD_NEITHER) };
		struct other_thread t = { 0 };
		struct kmemu_io_op *op;
		pthread_t th;
		struct wio w;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		t.w = &w;
		t.write = write;
		t.r = wio_pend(&w, &a, &op);
		KMEMU_EXPECT_EQ(WdfRequestGetRequestorMode(t.r), KernelMode);
		KMEMU_SETUP_TRUE(pthread_create(&th, NULL, other_thread_main, &t) == 0);
		pthread_join(th, NULL);
		KMEMU_EXPECT_NT(t.st, STATUS_SUCCESS);
		KMEMU_EXPECT_NT(wio_finish(t.r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		wio_teardown(&w);
	}
}

static WDFREQUEST oom_r;
static uint8_t *oom_buf;
static int oom_write;

static uint32_t oom_run(void *ctx)
{
	WDFMEMORY m = NULL;
	NTSTATUS st = pal(oom_r, oom_buf + 1, 2 * WIO_PAGE, &m, oom_write);

	(void)ctx;
	if (st == STATUS_SUCCESS)
		WdfObjectDelete(m);
	return (uint32_t)st;
}

/* Steps 10-14: every acquisition (MDL, lock, system mapping, memory object)
 * can fail; the result is STATUS_INSUFFICIENT_RESOURCES and nothing leaks,
 * with the verifier on and off. */
void pal_check_resources(int write)
{
	static const uint32_t ok[] = { STATUS_INSUFFICIENT_RESOURCES };
	struct kmemu_oom_op o = { "ProbeAndLock", oom_run, NULL, 0, ok, 1, 0 };

	for (int v = 0; v <= 1; v++) {
		struct kmemu_oom_result res;
		struct kmemu_io_op *op;
		struct wio w;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		oom_r = wio_pend_neither(&w, &op);
		oom_buf = w.ub;
		oom_write = write;
		KMEMU_EXPECT_NT(kmemu_oom_loop(&o, 0, &res), STATUS_SUCCESS);
		if (!res.ok)
			KMEMU_FAIL("%s", res.message);
		KMEMU_EXPECT_TRUE(res.failures > 0);
		KMEMU_EXPECT_NT(wio_finish(oom_r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		wio_teardown(&w);
	}
}

/* Step 11: kernel-range, unmapped and wrapping ranges raise
 * STATUS_ACCESS_VIOLATION; a read-only page fails ForWrite only. */
void pal_check_probe(int write)
{
	LARGE_INTEGER li = { .QuadPart = WIO_PAGE };
	struct kmemu_io_op *op;
	WDFMEMORY m = NULL;
	HANDLE s = NULL;
	PVOID ro = NULL;
	SIZE_T z = 0;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoBuffered, NULL);
	r = wio_pend_neither(&w, &op);
	KMEMU_EXPECT_NT(pal(r, (PVOID)(uintptr_t)w.b->pKernelAddr, 8, &m, write),
			STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_NT(pal(r, (PVOID)(uintptr_t)0xFFFF800000001000ull, 8, &m, write),
			STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_NT(pal(r, w.ub + WIO_BUF_PAGES * WIO_PAGE - 4, 8, &m, write),
			STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_NT(pal(r, (PVOID)(uintptr_t)0xFFFFFFFFFFFFF000ull, 0x2000, &m, write),
			STATUS_ACCESS_VIOLATION);
	KMEMU_SETUP_NT(ZwCreateSection(&s, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT,
				       NULL));
	KMEMU_SETUP_NT(ZwMapViewOfSection(s, ZwCurrentProcess(), &ro, 0, 0, NULL, &z, ViewUnmap, 0,
					  PAGE_READONLY));
	KMEMU_EXPECT_NT(pal(r, ro, 8, &m, write), write ? STATUS_ACCESS_VIOLATION : STATUS_SUCCESS);
	KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	ZwUnmapViewOfSection(ZwCurrentProcess(), ro);
	ZwClose(s);
	wio_teardown(&w);
}

/* Step 15: the memory's buffer is the kernel mapping (another address, the
 * same bytes), its size the truncated Length; ForRead memory is read-only;
 * the request holds one IRP reference per live memory (an extra reference
 * across completion: 0x10D/3, verifier on or off); completion frees it. */
void pal_check_success(int write)
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_wdf_driver_stats s0, s1;
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		uint8_t *k;
		size_t n = 0;
		struct wio w;
		WDFREQUEST r;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		r = wio_pend_neither(&w, &op);
		KMEMU_SETUP_NT(kmemu_wdf_driver_stats(w.drv, &s0));
		memcpy(w.ub + 100, "user", 4);
		KMEMU_ASSERT_NT(pal(r, w.ub + 100, 300, &m, write), STATUS_SUCCESS);
		k = WdfMemoryGetBuffer(m, &n);
		KMEMU_EXPECT_NE((uintptr_t)k, (uintptr_t)(w.ub + 100));
		KMEMU_EXPECT_EQ(n, 300);
		KMEMU_EXPECT_MEM(k, "user", 4);
		k[4] = '!';
		KMEMU_EXPECT_EQ(w.ub[104], '!');
		KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(m, 0, "x", 1),
				write ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		KMEMU_SETUP_NT(kmemu_wdf_driver_stats(w.drv, &s1));
		KMEMU_EXPECT_EQ(s1.memory_objects, s0.memory_objects);
		/* an extra reference held across completion */
		r = wio_pend_neither(&w, &op);
		KMEMU_ASSERT_NT(pal(r, w.ub, 8, &m, write), STATUS_SUCCESS);
		wio_check_extra_reference(&w, r, m, op);
		wio_teardown(&w);
	}
}
