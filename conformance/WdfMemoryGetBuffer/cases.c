/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfMemoryGetBuffer() (spec/kmdf.md §2.4).
 */
#include "../wdf_helpers.h"

#define A "WdfMemoryGetBuffer/"

KMEMU_CASE(kinds, A "kinds", WDF_BC_CAPS, A "any-memory " A "size-out " A "returns-buffer")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(0);
	uint8_t b[12];
	PVOID cb[3] = { 0 };
	WDFMEMORY m[4] = { 0 };
	size_t sz = 0;
	struct wdf_call c = { .mem = NULL };

	KMEMU_SETUP_NT(WdfMemoryCreate(NULL, NonPagedPool, 0, 10, &m[0], &cb[0]));
	KMEMU_SETUP_NT(WdfMemoryCreate(NULL, NonPagedPool, 0, 0x2000, &m[1], &cb[1]));
	KMEMU_SETUP_NT(WdfMemoryCreate(NULL, PagedPool, 0, 33, &m[2], &cb[2]));
	KMEMU_SETUP_NT(WdfMemoryCreatePreallocated(NULL, b, sizeof(b), &m[3]));
	KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m[0], &sz), (uintptr_t)cb[0]);
	KMEMU_EXPECT_EQ(sz, 10);
	KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m[1], &sz), (uintptr_t)cb[1]);
	KMEMU_EXPECT_EQ(sz, 0x2000);
	KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m[2], NULL), (uintptr_t)cb[2]);
	KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m[3], &sz), (uintptr_t)b);
	KMEMU_EXPECT_EQ(sz, sizeof(b));
	wdf_expect_bugcheck(wdf_call_get_buffer, &c, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
			    WDF_TYPE_MEMORY);
	c.mem = (WDFMEMORY)kmemu_wdf_driver_handle(d);
	wdf_expect_bugcheck(wdf_call_get_buffer, &c, WDF_VIOLATION, WDF_INVALID_HANDLE,
			    (uintptr_t)c.mem, WDF_TYPE_MEMORY);
	wdf_unload(d);
}

KMEMU_CASE(irql, A "any-irql", WDF_IRQL_CAPS, A "returns-buffer")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	PVOID b = NULL;
	WDFMEMORY m = wdf_setup_memory(16, &b);

	KMEMU_SETUP_NT(kmemu_irql_set(HIGH_LEVEL, NULL));
	KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m, NULL), (uintptr_t)b);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_EQ(wdf_stats(d).breaks, 0);
	wdf_unload(d);
}

const struct kmemu_case *const kmemu_cases_WdfMemoryGetBuffer[] = {
	KMEMU_CASE_REF(kinds),
	KMEMU_CASE_REF(irql),
	NULL,
};
