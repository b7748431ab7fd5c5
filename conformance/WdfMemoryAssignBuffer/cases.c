/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfMemoryAssignBuffer() (seed 003).
 */
#include "../wdf_helpers.h"
#include "../wdfio_helpers.h"

#define A "WdfMemoryAssignBuffer/"

static WDFMEMORY prealloc(void *buf, size_t size)
{
	WDFMEMORY m = NULL;

	KMEMU_SETUP_NT(WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, buf, size, &m));
	return m;
}

KMEMU_CASE(assigns, A "assigns", WDF_CAPS,
	   A "assigns-preallocated " A "memory-param " A "returns-success " A "example "
	   A "no-free-no-copy")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	uint8_t first[16], second[32], out[4];
	size_t sz = 0;
	PVOID pool = NULL;
	WDFMEMORY m = prealloc(first, sizeof(first)), pm = wdf_setup_memory(64, &pool);

	memset(first, 0x11, sizeof(first));
	memset(second, 0x22, sizeof(second));
	KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, second, sizeof(second)), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m, &sz), (uintptr_t)second);
	KMEMU_EXPECT_EQ(sz, sizeof(second));
	KMEMU_EXPECT_NT(WdfMemoryCopyToBuffer(m, 28, out, 4), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(out[0], 0x22);
	KMEMU_EXPECT_EQ(first[0], 0x11);   /* the old buffer is untouched */
	KMEMU_EXPECT_EQ(second[0], 0x22);  /* nothing copied into the new one */
	/* again, on a reassigned object; then the example's pool buffer */
	KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, first, 8), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, pool, 64), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m, &sz), (uintptr_t)pool);
	KMEMU_EXPECT_EQ(sz, 64);
	{
		WDF_OBJECT_ATTRIBUTES a;
		WDFMEMORY child = NULL;

		WDF_OBJECT_ATTRIBUTES_INIT(&a);
		a.ParentObject = pm;
		KMEMU_SETUP_NT(WdfMemoryCreatePreallocated(&a, first, 4, &child));
		KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(child, second, 2), STATUS_SUCCESS);
	}
	WdfObjectDelete(m);
	WdfObjectDelete(pm);
	wdf_unload(d);
}

KMEMU_CASE(null_buffer, A "null-buffer", WDF_BC_CAPS, A "buffer-param")
{
	uint8_t b[8];

	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		struct wdf_call c = { .mem = prealloc(b, sizeof(b)), .buf = NULL, .size = 8 };
		size_t sz = 0;

		wdf_expect_bugcheck(wdf_call_assign, &c, WDF_VIOLATION,
				    WDF_REQUIRED_PARAMETER_IS_NULL, 0, WDF_ANY);
		KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(c.mem, &sz), (uintptr_t)b);
		wdf_unload(d);
	}
}

KMEMU_CASE(size_zero, A "size-zero", WDF_CAPS, A "size-nonzero " A "invalid-parameter")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	uint8_t b[8], other[8];
	WDFMEMORY m = prealloc(b, sizeof(b));
	size_t sz = 0;

	KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, other, 0), STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m, &sz), (uintptr_t)b);
	KMEMU_EXPECT_EQ(sz, sizeof(b));
	wdf_unload(d);
}

KMEMU_CASE(other_statuses, A "no-other-status", WDF_CAPS, A "other-statuses " A "any-pool")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	uint8_t b[8];
	PVOID paged = NULL;
	WDFMEMORY m = prealloc(b, sizeof(b)), pm = NULL;

	KMEMU_SETUP_NT(WdfMemoryCreate(NULL, PagedPool, 0, 32, &pm, &paged));
	KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, b, 1), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, b, SIZE_MAX), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, (PVOID)(uintptr_t)0x10, 4), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, paged, 32), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, b, sizeof(b)), STATUS_SUCCESS);
	WdfObjectDelete(m);
	WdfObjectDelete(pm);
	wdf_unload(d);
}

KMEMU_CASE(bad_handles, A "invalid-handle", WDF_BC_CAPS, A "bugcheck-invalid-handle")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		uint8_t b[4];
		struct wdf_call c = { .mem = NULL, .buf = b, .size = 4 };

		wdf_expect_bugcheck(wdf_call_assign, &c, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
				    WDF_TYPE_MEMORY_PREALLOCATED);
		c.mem = (WDFMEMORY)kmemu_wdf_driver_handle(d);
		wdf_expect_bugcheck(wdf_call_assign, &c, WDF_VIOLATION, WDF_INVALID_HANDLE,
				    (uintptr_t)c.mem, WDF_TYPE_MEMORY_PREALLOCATED);
		wdf_unload(d);
	}
}

KMEMU_CASE(stale, A "stale-handle", WDF_BC_CAPS | KMEMU_CAP_VERIFIER, A "stale-handle")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		uint8_t b[4];
		struct wdf_call c = { .mem = prealloc(b, 4), .buf = b, .size = 4 };
		struct kmemu_bugcheck_report r;

		WdfObjectDelete(c.mem);
		KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(wdf_call_assign, &c, &r), 1);
		if (v) {
			KMEMU_EXPECT_EQ(r.code, WDF_VIOLATION);
			KMEMU_EXPECT_EQ(r.param[0], WDF_INVALID_HANDLE);
			KMEMU_EXPECT_EQ(r.param[1], (uintptr_t)c.mem);
			KMEMU_EXPECT_EQ(r.param[2], WDF_TYPE_MEMORY_PREALLOCATED);
		} else {
			KMEMU_EXPECT_EQ(r.code, PAGE_FAULT_IN_NONPAGED_AREA);
			KMEMU_EXPECT_NE(r.param[0], 0);
			KMEMU_EXPECT_EQ(r.param[1], 0);
		}
		wdf_unload(d);
	}
}

KMEMU_CASE(create_memory, A "not-create-memory", WDF_BC_CAPS, A "not-create-memory")
{
	static const size_t sizes[] = { 16, 0x1000, 0x3001 };

	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		uint8_t b[4];

		for (size_t i = 0; i < 4; i++) {
			PVOID buf = NULL;
			struct wdf_call c = { .buf = b, .size = 4 };
			size_t sz = 0;

			if (i < 3)
				c.mem = wdf_setup_memory(sizes[i], &buf);
			else
				KMEMU_SETUP_NT(WdfMemoryCreate(NULL, PagedPool, 0, 8, &c.mem, &buf));
			wdf_expect_bugcheck(wdf_call_assign, &c, WDF_VIOLATION, WDF_INVALID_HANDLE,
					    (uintptr_t)c.mem, WDF_TYPE_MEMORY_PREALLOCATED);
			KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(c.mem, &sz), (uintptr_t)buf);
			WdfObjectDelete(c.mem);
		}
		wdf_unload(d);
	}
}

KMEMU_CASE(irql, A "any-irql", WDF_IRQL_CAPS, A "any-irql " A "paged-access-irql")
{
	static const uint8_t levels[] = { PASSIVE_LEVEL, DISPATCH_LEVEL, HIGH_LEVEL };

	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		uint8_t b[4];
		PVOID paged = NULL;
		WDFMEMORY m = prealloc(b, 4), pm = NULL;

		KMEMU_SETUP_NT(WdfMemoryCreate(NULL, PagedPool, 0, 8, &pm, &paged));
		for (size_t i = 0; i < sizeof(levels); i++) {
			KMEMU_SETUP_NT(kmemu_irql_set(levels[i], NULL));
			KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, paged, 8), STATUS_SUCCESS);
			KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
		}
		KMEMU_EXPECT_EQ(wdf_stats(d).breaks, 0);
		KMEMU_EXPECT_EQ(wdf_stats(d).messages, 0);
		WdfObjectDelete(m);
		WdfObjectDelete(pm);
		wdf_unload(d);
	}
}

static int cleanup_irql = -1, destroy_irql = -1;
static VOID NTAPI cleanup_cb(WDFOBJECT o)
{
	(void)o;
	cleanup_irql = KeGetCurrentIrql();
}
static VOID NTAPI destroy_cb(WDFOBJECT o)
{
	(void)o;
	destroy_irql = KeGetCurrentIrql();
}

KMEMU_CASE(callbacks, A "callbacks-at-dispatch", WDF_CAPS | KMEMU_CAP_IRQL, A "callbacks-irql")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	WDF_OBJECT_ATTRIBUTES a;
	uint8_t b[4];
	WDFMEMORY m = NULL;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.EvtCleanupCallback = cleanup_cb;
	a.EvtDestroyCallback = destroy_cb;
	KMEMU_SETUP_NT(WdfMemoryCreatePreallocated(&a, b, sizeof(b), &m));
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	WdfObjectDelete(m);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_EQ(cleanup_irql, DISPATCH_LEVEL);
	KMEMU_EXPECT_EQ(destroy_irql, DISPATCH_LEVEL);
	wdf_unload(d);
}

KMEMU_CASE(driver_create_rule, A "driver-create-rule", WDF_BC_CAPS, A "ddi-rules")
{
	uint8_t b[4];
	WDFMEMORY m = NULL;
	struct wdf_call c = { .mem = (WDFMEMORY)(uintptr_t)0x1000, .buf = b, .size = 4, .out = &m };

	/* no framework driver: WdfDriverCreate never ran */
	wdf_expect_bugcheck(wdf_call_assign, &c, WDF_VIOLATION, WDF_VERIFIER_FATAL_ERROR, 0, 0);
	wdf_expect_bugcheck(wdf_call_prealloc, &c, WDF_VIOLATION, WDF_VERIFIER_FATAL_ERROR, 0, 0);
	KMEMU_EXPECT_EQ((uintptr_t)m, 0);
}

static uint64_t live_mappings(void)
{
	struct kmemu_stats st;

	return kmemu_stats_get(&st) ? UINT64_MAX : st.mappings;
}

/* §2.3 step 1, second bullet: ProbeAndLock memory takes a new buffer; the
 * MDL stays attached and is unlocked at completion. */
KMEMU_CASE(request_memory, A "request-memory-accepted", WIO_CAPS, A "request-memory-accepted")
{
	for (int v = 0; v <= 1; v++) {
		static uint8_t other[16];
		struct kmemu_io_op *op;
		WDFMEMORY m = NULL;
		uint64_t base;
		size_t n = 0;
		struct wio w;
		WDFREQUEST r;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		r = wio_pend_neither(&w, &op);
		base = live_mappings();
		KMEMU_ASSERT_NT(WdfRequestProbeAndLockUserBufferForWrite(r, w.ub, 64, &m),
				STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(live_mappings(), base + 1);
		KMEMU_EXPECT_NT(WdfMemoryAssignBuffer(m, other, sizeof(other)), STATUS_SUCCESS);
		KMEMU_EXPECT_TRUE(WdfMemoryGetBuffer(m, &n) == other);
		KMEMU_EXPECT_EQ(n, sizeof(other));
		KMEMU_EXPECT_EQ(live_mappings(), base + 1);  /* still locked */
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(live_mappings(), base);      /* unlocked at completion */
		wio_teardown(&w);
	}
}

struct assign_call {
	WDFMEMORY m;
	uint8_t *buf;
};

static void assign_cb(void *arg)
{
	struct assign_call *c = arg;

	WdfMemoryAssignBuffer(c->m, c->buf, 8);
}

/* §2.3 step 1, third bullet: the request's embedded memories do not answer
 * FX_TYPE_MEMORY_PREALLOCATED. */
KMEMU_CASE(embedded_memory, A "embedded-memory-bugcheck", WIO_CAPS | KMEMU_CAP_BUGCHECK,
	   A "embedded-memory-bugcheck")
{
	for (int v = 0; v <= 1; v++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
					   .code = WIO_IOCTL(7, METHOD_BUFFERED), .in_len = 8, .out_len = 8 };
		struct kmemu_bugcheck_report rep;
		static uint8_t other[8];
		struct kmemu_io_op *op;
		WDFMEMORY mem[2] = { NULL, NULL };
		struct wio w;
		WDFREQUEST r;
		size_t n = 0;
		void *before;

		wio_setup(&w, v, WdfDeviceIoBuffered, NULL);
		a.in = w.a->pUserAddr;
		a.out = w.b->pUserAddr;
		r = wio_pend(&w, &a, &op);
		KMEMU_ASSERT_NT(WdfRequestRetrieveInputMemory(r, &mem[0]), STATUS_SUCCESS);
		KMEMU_ASSERT_NT(WdfRequestRetrieveOutputMemory(r, &mem[1]), STATUS_SUCCESS);
		for (int i = 0; i < 2; i++) {
			struct assign_call c = { mem[i], other };

			before = WdfMemoryGetBuffer(mem[i], NULL);
			if (KMEMU_EXPECT_EQ(wio_catch(assign_cb, &c, &rep), 1)) {
				KMEMU_EXPECT_EQ(rep.code, WDF_VIOLATION);
				KMEMU_EXPECT_EQ(rep.param[0], WDF_INVALID_HANDLE);
				KMEMU_EXPECT_EQ(rep.param[1], (uintptr_t)mem[i]);
				KMEMU_EXPECT_EQ(rep.param[2], 0x1022);
			}
			KMEMU_EXPECT_TRUE(WdfMemoryGetBuffer(mem[i], &n) == before);
			KMEMU_EXPECT_EQ(n, 8);
		}
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
		wio_teardown(&w);
	}
}

const struct kmemu_case *const kmemu_cases_WdfMemoryAssignBuffer[] = {
	KMEMU_CASE_REF(assigns),
	KMEMU_CASE_REF(null_buffer),
	KMEMU_CASE_REF(size_zero),
	KMEMU_CASE_REF(other_statuses),
	KMEMU_CASE_REF(bad_handles),
	KMEMU_CASE_REF(stale),
	KMEMU_CASE_REF(create_memory),
	KMEMU_CASE_REF(irql),
	KMEMU_CASE_REF(callbacks),
	KMEMU_CASE_REF(driver_create_rule),
	KMEMU_CASE_REF(request_memory),
	KMEMU_CASE_REF(embedded_memory),
	NULL,
};
