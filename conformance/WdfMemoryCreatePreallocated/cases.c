/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfMemoryCreatePreallocated() (spec/kmdf.md §2.2).
 */
#include "../wdf_helpers.h"

#define A "WdfMemoryCreatePreallocated/"
#define SENTINEL_MEM ((WDFMEMORY)(uintptr_t)0x5EB7E110u)

KMEMU_CASE(wraps, A "wraps", WDF_CAPS, A "wraps-buffer " A "buffer-not-owned")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	uint8_t b[40];
	WDFMEMORY m = NULL, m2 = NULL;
	size_t sz = 0;

	memset(b, 0x3C, sizeof(b));
	KMEMU_ASSERT_NT(WdfMemoryCreatePreallocated(NULL, b, sizeof(b), &m), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m, &sz), (uintptr_t)b);
	KMEMU_EXPECT_EQ(sz, sizeof(b));
	KMEMU_EXPECT_EQ(b[0], 0x3C);
	KMEMU_EXPECT_NT(WdfMemoryCreatePreallocated(NULL, (PVOID)(uintptr_t)0x1000, 16, &m2),
			STATUS_SUCCESS);
	WdfObjectDelete(m);
	WdfObjectDelete(m2);
	KMEMU_EXPECT_EQ(b[39], 0x3C);
	b[39] = 1;
	wdf_unload(d);
}

static int n_cleanups;
static VOID NTAPI count_cleanup(WDFOBJECT o)
{
	(void)o;
	n_cleanups++;
}

KMEMU_CASE(parent, A "parent", WDF_CAPS, A "parent-resolved " A "commit")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	WDF_OBJECT_ATTRIBUTES a;
	uint8_t b[8];
	WDFMEMORY p = wdf_setup_memory(8, NULL), m = NULL, orphan = NULL;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ParentObject = p;
	a.EvtCleanupCallback = count_cleanup;
	n_cleanups = 0;
	KMEMU_ASSERT_NT(WdfMemoryCreatePreallocated(&a, b, sizeof(b), &m), STATUS_SUCCESS);
	WdfObjectDelete(p);
	KMEMU_EXPECT_EQ(n_cleanups, 1);
	a.ParentObject = NULL;
	KMEMU_ASSERT_NT(WdfMemoryCreatePreallocated(&a, b, sizeof(b), &orphan), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(n_cleanups, 1);
	wdf_unload(d);
	KMEMU_EXPECT_EQ(n_cleanups, 2);
}

KMEMU_CASE(null_pointers, A "null-pointers", WDF_BC_CAPS, A "null-pointers")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		uint8_t b[8];
		WDFMEMORY m = SENTINEL_MEM;
		struct wdf_call c = { .buf = NULL, .size = 8, .out = &m };

		wdf_expect_bugcheck(wdf_call_prealloc, &c, WDF_VIOLATION,
				    WDF_REQUIRED_PARAMETER_IS_NULL, 0, WDF_ANY);
		KMEMU_EXPECT_EQ((uintptr_t)m, (uintptr_t)SENTINEL_MEM);
		c.buf = b;
		c.out = NULL;
		wdf_expect_bugcheck(wdf_call_prealloc, &c, WDF_VIOLATION,
				    WDF_REQUIRED_PARAMETER_IS_NULL, 0, WDF_ANY);
		wdf_unload(d);
	}
}

KMEMU_CASE(size_zero, A "size-zero", WDF_CAPS, A "size-zero " A "memory-nulled-first")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	uint8_t b[8];
	WDFMEMORY m = SENTINEL_MEM;

	KMEMU_EXPECT_NT(WdfMemoryCreatePreallocated(NULL, b, 0, &m), STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_EQ((uintptr_t)m, 0);
	wdf_unload(d);
}

KMEMU_CASE(attributes, A "attributes", WDF_CAPS, A "attributes")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	WDF_OBJECT_ATTRIBUTES a;
	uint8_t b[8];
	WDFMEMORY m = SENTINEL_MEM;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.Size = 8;
	KMEMU_EXPECT_NT(WdfMemoryCreatePreallocated(&a, b, 8, &m), STATUS_INFO_LENGTH_MISMATCH);
	KMEMU_EXPECT_EQ((uintptr_t)m, 0);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ExecutionLevel = WdfExecutionLevelPassive;
	KMEMU_EXPECT_NT(WdfMemoryCreatePreallocated(&a, b, 8, &m), STATUS_WDF_EXECUTION_LEVEL_INVALID);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.SynchronizationScope = WdfSynchronizationScopeDevice;
	KMEMU_EXPECT_NT(WdfMemoryCreatePreallocated(&a, b, 8, &m),
			STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID);
	wdf_unload(d);
}

static NTSTATUS nested;
static VOID NTAPI create_child_in_cleanup(WDFOBJECT o)
{
	static uint8_t b[4];
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = SENTINEL_MEM;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ParentObject = o;
	nested = WdfMemoryCreatePreallocated(&a, b, sizeof(b), &m);
}

KMEMU_CASE(delete_pending, A "delete-pending", WDF_CAPS, A "commit")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);

	wdf_delete_running_cleanup(create_child_in_cleanup);
	KMEMU_EXPECT_NT(nested, STATUS_DELETE_PENDING);
	wdf_unload(d);
}

KMEMU_CASE(no_irql, A "no-irql-check", WDF_IRQL_CAPS, A "no-irql-check")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	uint8_t b[8];
	WDFMEMORY m1 = NULL, m2 = NULL;

	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	KMEMU_EXPECT_NT(WdfMemoryCreatePreallocated(NULL, b, 8, &m1), STATUS_SUCCESS);
	KMEMU_SETUP_NT(kmemu_irql_set(HIGH_LEVEL, NULL));
	KMEMU_EXPECT_NT(WdfMemoryCreatePreallocated(NULL, b, 8, &m2), STATUS_SUCCESS);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_EQ(wdf_stats(d).breaks, 0);
	wdf_unload(d);
}

static const WDF_OBJECT_CONTEXT_TYPE_INFO oom_ti = {
	sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), "OOM_CONTEXT", 16, NULL, NULL };
static uint8_t oom_buf[32];

static uint32_t oom_prealloc(void *ctx)
{
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = (WDFMEMORY)(uintptr_t)0x5A;
	NTSTATUS st;

	(void)ctx;
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ContextTypeInfo = &oom_ti;
	oom_buf[0] = 0x3C;
	st = WdfMemoryCreatePreallocated(&a, oom_buf, sizeof(oom_buf), &m);
	if (st == STATUS_SUCCESS)
		WdfObjectDelete(m);
	else if (m)
		return (uint32_t)STATUS_INTERNAL_ERROR;  /* *Memory not NULLed */
	if (oom_buf[0] != 0x3C)
		return (uint32_t)STATUS_INTERNAL_ERROR;  /* the caller's buffer was touched */
	return (uint32_t)st;
}

KMEMU_CASE(oom, A "out-of-memory", WDF_CAPS | KMEMU_CAP_FAULT_INJECT, A "out-of-memory")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);

		wdf_expect_oom("WdfMemoryCreatePreallocated", oom_prealloc, NULL);
		wdf_unload(d);
	}
}

const struct kmemu_case *const kmemu_cases_WdfMemoryCreatePreallocated[] = {
	KMEMU_CASE_REF(wraps),
	KMEMU_CASE_REF(parent),
	KMEMU_CASE_REF(null_pointers),
	KMEMU_CASE_REF(size_zero),
	KMEMU_CASE_REF(attributes),
	KMEMU_CASE_REF(delete_pending),
	KMEMU_CASE_REF(no_irql),
	KMEMU_CASE_REF(oom),
	NULL,
};
