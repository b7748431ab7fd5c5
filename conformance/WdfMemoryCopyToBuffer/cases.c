/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfMemoryCopyToBuffer() and
 * WdfMemoryCopyFromBuffer() (spec/kmdf.md §2.5).
 */
#include "../wdf_helpers.h"
#include "../wdfio_helpers.h"

#define A "WdfMemoryCopyToBuffer/"

KMEMU_CASE(handle, A "null-handle", WDF_BC_CAPS, A "to-handle")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	struct wdf_call c = { .mem = NULL, .buf = NULL, .size = 0 };

	wdf_expect_bugcheck(wdf_call_copy_to, &c, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
			    WDF_TYPE_MEMORY);
	wdf_expect_bugcheck(wdf_call_copy_from, &c, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
			    WDF_TYPE_MEMORY);
	wdf_unload(d);
}

KMEMU_CASE(buffer_null, A "buffer-null", WDF_BC_CAPS, A "buffer-null")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		struct wdf_call c = { .mem = wdf_setup_memory(8, NULL), .buf = NULL, .size = 0 };

		wdf_expect_bugcheck(wdf_call_copy_to, &c, WDF_VIOLATION,
				    WDF_REQUIRED_PARAMETER_IS_NULL, 0, WDF_ANY);
		wdf_expect_bugcheck(wdf_call_copy_from, &c, WDF_VIOLATION,
				    WDF_REQUIRED_PARAMETER_IS_NULL, 0, WDF_ANY);
		wdf_unload(d);
	}
}

KMEMU_CASE(ranges, A "ranges", WDF_CAPS,
	   A "count-zero " A "to-range " A "from-range " A "offset-zero " A "from-read-only")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	uint8_t out[64], in[64], pre[32];
	PVOID b = NULL;
	WDFMEMORY m = wdf_setup_memory(32, &b), pm = NULL;
	static const struct {
		size_t off, n;
	} bad[] = { { 32, 1 }, { SIZE_MAX, 1 }, { 31, 2 }, { 0, 33 }, { 1, SIZE_MAX } };

	KMEMU_SETUP_NT(WdfMemoryCreatePreallocated(NULL, pre, sizeof(pre), &pm));
	memset(in, 0x77, sizeof(in));
	memset(out, 0x44, sizeof(out));
	KMEMU_EXPECT_NT(WdfMemoryCopyToBuffer(m, 0, out, 0), STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(m, 0, in, 0), STATUS_INVALID_PARAMETER);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KMEMU_EXPECT_NT(WdfMemoryCopyToBuffer(m, bad[i].off, out, bad[i].n),
				STATUS_BUFFER_TOO_SMALL);
		KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(m, bad[i].off, in, bad[i].n),
				STATUS_INVALID_BUFFER_SIZE);
	}
	KMEMU_EXPECT_EQ(out[0], 0x44);
	KMEMU_EXPECT_EQ(((uint8_t *)b)[0], WDF_POISON);
	KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(m, 0, in, 32), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(WdfMemoryCopyToBuffer(m, 0, out, 32), STATUS_SUCCESS);
	/* writable kinds */
	KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(pm, 0, in, 32), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(pre[31], 0x77);
	wdf_unload(d);
}

KMEMU_CASE(copies, A "copies", WDF_CAPS, A "to-copies " A "from-copies")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(0);
	uint8_t out[16], in[16];
	PVOID bv = NULL;
	WDFMEMORY m = wdf_setup_memory(16, &bv);
	uint8_t *b = bv;

	for (int i = 0; i < 16; i++)
		in[i] = (uint8_t)(i + 1);
	KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(m, 4, in, 8), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(b[3], WDF_POISON);
	KMEMU_EXPECT_MEM(b + 4, in, 8);
	KMEMU_EXPECT_EQ(b[12], WDF_POISON);
	memset(out, 0, sizeof(out));
	KMEMU_EXPECT_NT(WdfMemoryCopyToBuffer(m, 6, out, 3), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(out, in + 2, 3);
	KMEMU_EXPECT_EQ(out[3], 0);
	/* overlap: the source lies inside the destination object */
	KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(m, 5, b + 4, 8), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(b + 5, in, 8);
	wdf_unload(d);
}

KMEMU_CASE(irql, A "no-irql", WDF_IRQL_CAPS, A "no-irql")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	uint8_t x[4] = { 1, 2, 3, 4 };
	WDFMEMORY m = wdf_setup_memory(4, NULL);

	KMEMU_SETUP_NT(kmemu_irql_set(HIGH_LEVEL, NULL));
	KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(m, 0, x, 4), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(WdfMemoryCopyToBuffer(m, 0, x, 4), STATUS_SUCCESS);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_EQ(wdf_stats(d).breaks, 0);
	wdf_unload(d);
}

/* §2.5: which request memories are read-only, by transfer method. */
KMEMU_CASE(read_only_kinds, A "read-only-kinds", WIO_CAPS | KMEMU_CAP_VERIFIER, A "read-only-kinds")
{
	static const struct {
		uint32_t method;
		int in_ro, out_ro;
	} m[] = { { METHOD_BUFFERED, 0, 0 }, { METHOD_IN_DIRECT, 1, 1 }, { METHOD_OUT_DIRECT, 1, 0 } };
	struct kmemu_io_op *op;
	WDFMEMORY in, out;
	uint64_t breaks;
	struct wio w;
	WDFREQUEST r;

	wio_setup(&w, 1, WdfDeviceIoDirect, NULL);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
					   .code = WIO_IOCTL(5, m[i].method),
					   .in = w.a->pUserAddr, .in_len = 8,
					   .out = w.b->pUserAddr, .out_len = 8 };

		r = wio_pend(&w, &a, &op);
		in = out = NULL;
		KMEMU_EXPECT_NT(WdfRequestRetrieveInputMemory(r, &in), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(WdfRequestRetrieveOutputMemory(r, &out), STATUS_SUCCESS);
		breaks = wio_breaks(&w);
		KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(in, 0, "in", 2),
				m[i].in_ro ? STATUS_ACCESS_VIOLATION : STATUS_SUCCESS);
		KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(out, 0, "out", 3),
				m[i].out_ro ? STATUS_ACCESS_VIOLATION : STATUS_SUCCESS);
		KMEMU_EXPECT_EQ(wio_breaks(&w), breaks + (unsigned)m[i].in_ro + (unsigned)m[i].out_ro);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	}
	/* a direct READ's output memory is writable */
	{
		struct kmemu_io_args a = { .kind = KMEMU_IO_READ, .out = w.b->pUserAddr, .out_len = 8 };

		r = wio_pend(&w, &a, &op);
		out = NULL;
		KMEMU_EXPECT_NT(WdfRequestRetrieveOutputMemory(r, &out), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(WdfMemoryCopyFromBuffer(out, 0, "rd", 2), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(wio_finish(r, op, STATUS_SUCCESS), STATUS_SUCCESS);
	}
	wio_teardown(&w);
}

const struct kmemu_case *const kmemu_cases_WdfMemoryCopyToBuffer[] = {
	KMEMU_CASE_REF(handle),
	KMEMU_CASE_REF(buffer_null),
	KMEMU_CASE_REF(ranges),
	KMEMU_CASE_REF(copies),
	KMEMU_CASE_REF(irql),
	KMEMU_CASE_REF(read_only_kinds),
	NULL,
};
