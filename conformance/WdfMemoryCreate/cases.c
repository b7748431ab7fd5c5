/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfMemoryCreate() (spec/kmdf.md §2.1).
 */
#include "../wdf_helpers.h"

#define A "WdfMemoryCreate/"
#define SENTINEL_MEM ((WDFMEMORY)(uintptr_t)0x5EB7E110u)
#define SENTINEL_BUF ((PVOID)(uintptr_t)0x5EB7E118u)

KMEMU_CASE(parent, A "parent", WDF_BC_CAPS | KMEMU_CAP_VERIFIER, A "parent-resolved")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		WDF_OBJECT_ATTRIBUTES a;
		WDFMEMORY child = NULL, dead = wdf_setup_memory(8, NULL);
		struct wdf_call c = { .attrs = &a, .pool = NonPagedPool, .size = 8, .out = NULL };
		struct kmemu_bugcheck_report r;

		WDF_OBJECT_ATTRIBUTES_INIT(&a);
		a.ParentObject = kmemu_wdf_driver_handle(d);  /* any type */
		KMEMU_EXPECT_NT(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &child, NULL), STATUS_SUCCESS);
		WdfObjectDelete(child);
		/* the parent is resolved before the NULL-Memory check */
		WdfObjectDelete(dead);
		a.ParentObject = dead;
		KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(wdf_call_create, &c, &r), 1);
		if (v) {
			KMEMU_EXPECT_EQ(r.code, WDF_VIOLATION);
			KMEMU_EXPECT_EQ(r.param[0], WDF_INVALID_HANDLE);
			KMEMU_EXPECT_EQ(r.param[1], (uintptr_t)dead);
			KMEMU_EXPECT_EQ(r.param[2], WDF_TYPE_OBJECT);
		} else {
			KMEMU_EXPECT_EQ(r.code, PAGE_FAULT_IN_NONPAGED_AREA);
		}
		wdf_unload(d);
	}
}

KMEMU_CASE(memory_null, A "memory-null", WDF_BC_CAPS, A "memory-null")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		struct wdf_call c = { .pool = NonPagedPool, .size = 8, .out = NULL };
		WDFMEMORY m = NULL;

		wdf_expect_bugcheck(wdf_call_create, &c, WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL,
				    0, WDF_ANY);
		KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
		WdfObjectDelete(m);
		wdf_unload(d);
	}
}

KMEMU_CASE(irql, A "irql", WDF_IRQL_CAPS, A "irql-verifier")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		NTSTATUS bad = v ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS;
		WDFMEMORY m[6];

		for (int i = 0; i < 6; i++)
			m[i] = SENTINEL_MEM;
		KMEMU_SETUP_NT(kmemu_irql_set(APC_LEVEL, NULL));
		KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, PagedPool, 0, 8, &m[0], NULL), STATUS_SUCCESS);
		KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
		KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, PagedPool, 0, 8, &m[1], NULL), bad);
		KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, (POOL_TYPE)(PagedPoolCacheAligned | 256), 0, 8,
						&m[2], NULL), bad);
		KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, NonPagedPoolNx, 0, 8, &m[3], NULL),
				STATUS_SUCCESS);
		KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL + 1, NULL));
		KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, NonPagedPool, 0, 8, &m[4], NULL), bad);
		KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
		if (v) {
			KMEMU_EXPECT_EQ((uintptr_t)m[1], (uintptr_t)SENTINEL_MEM);
			KMEMU_EXPECT_EQ((uintptr_t)m[4], (uintptr_t)SENTINEL_MEM);
		}
		KMEMU_EXPECT_EQ(wdf_stats(d).breaks, v ? 3 : 0);
		for (int i = 0; i < 5; i++)
			if (m[i] != SENTINEL_MEM)
				WdfObjectDelete(m[i]);
		wdf_unload(d);
	}
}

KMEMU_CASE(size_zero, A "size-zero", WDF_CAPS, A "size-zero")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	WDFMEMORY m = SENTINEL_MEM;
	PVOID b = SENTINEL_BUF;

	KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, NonPagedPool, 0, 0, &m, &b), STATUS_INVALID_PARAMETER);
	KMEMU_EXPECT_EQ((uintptr_t)m, (uintptr_t)SENTINEL_MEM);
	KMEMU_EXPECT_EQ((uintptr_t)b, (uintptr_t)SENTINEL_BUF);
	wdf_unload(d);
}

static const WDF_OBJECT_CONTEXT_TYPE_INFO ti16 = { sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), "T16",
						   16, NULL, NULL };
static const WDF_OBJECT_CONTEXT_TYPE_INFO ti_badsize = { 12, "B", 4, NULL, NULL };
static const WDF_OBJECT_CONTEXT_TYPE_INFO ti_noname = { sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO),
							NULL, 4, NULL, NULL };

KMEMU_CASE(attributes, A "attributes", WDF_CAPS, A "attributes " A "memory-nulled")
{
	struct {
		int field;
		int value;
		NTSTATUS expected;
	} rules[] = {
		{ 0, 4, STATUS_INFO_LENGTH_MISMATCH },
		{ 1, 1, STATUS_INFO_LENGTH_MISMATCH },
		{ 1, 2, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID },
		{ 2, 8, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID },   /* override, no type */
		{ 3, 8, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID },   /* override < type size */
		{ 4, WdfExecutionLevelInvalid, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID },
		{ 4, 4, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID },
		{ 5, WdfSynchronizationScopeInvalid, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID },
		{ 5, 5, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID },
		{ 5, WdfSynchronizationScopeDevice, STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID },
		{ 5, WdfSynchronizationScopeQueue, STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID },
		{ 4, WdfExecutionLevelPassive, STATUS_WDF_EXECUTION_LEVEL_INVALID },
		{ 4, WdfExecutionLevelDispatch, STATUS_WDF_EXECUTION_LEVEL_INVALID },
		{ 6, 0, STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID },  /* scope before level */
		{ 7, 0, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID },      /* zeroed, Size set */
		{ 8, 0, STATUS_INFO_LENGTH_MISMATCH },               /* Size before levels */
	};
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		WDF_OBJECT_ATTRIBUTES a;
		WDFMEMORY m = SENTINEL_MEM;
		PVOID b = SENTINEL_BUF;

		WDF_OBJECT_ATTRIBUTES_INIT(&a);
		switch (rules[i].field) {
		case 0: a.Size = (ULONG)rules[i].value; break;
		case 1: a.ContextTypeInfo = rules[i].value == 1 ? &ti_badsize : &ti_noname; break;
		case 2: a.ContextSizeOverride = (size_t)rules[i].value; break;
		case 3: a.ContextTypeInfo = &ti16; a.ContextSizeOverride = 8; break;
		case 4: a.ExecutionLevel = (WDF_EXECUTION_LEVEL)rules[i].value; break;
		case 5: a.SynchronizationScope = (WDF_SYNCHRONIZATION_SCOPE)rules[i].value; break;
		case 6:
			a.ExecutionLevel = WdfExecutionLevelPassive;
			a.SynchronizationScope = WdfSynchronizationScopeDevice;
			break;
		case 7: memset(&a, 0, sizeof(a)); a.Size = sizeof(a); break;
		case 8: a.Size = 1; a.ExecutionLevel = WdfExecutionLevelInvalid; break;
		}
		if (!KMEMU_EXPECT_NT(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, &b), rules[i].expected))
			kmemu_diag("rule %zu", i);
		KMEMU_EXPECT_EQ((uintptr_t)m, 0);
		KMEMU_EXPECT_EQ((uintptr_t)b, (uintptr_t)SENTINEL_BUF);
	}
	{
		WDF_OBJECT_ATTRIBUTES a;
		WDFMEMORY m = NULL;

		WDF_OBJECT_ATTRIBUTES_INIT(&a);
		a.SynchronizationScope = WdfSynchronizationScopeNone;
		a.ContextTypeInfo = &ti16;
		a.ContextSizeOverride = 32;
		KMEMU_EXPECT_NT(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
		WdfObjectDelete(m);
	}
	wdf_unload(d);
}

KMEMU_CASE(pool_tag, A "pool-tag-and-nx", WDF_VF_CAPS, A "pool-tag " A "nx-check")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	WDFMEMORY m = NULL;

	KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
	WdfObjectDelete(m);
	KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, NonPagedPoolNx, 0x6B6D656Du, 8, &m, NULL),
			STATUS_SUCCESS);
	WdfObjectDelete(m);
	KMEMU_EXPECT_EQ(wdf_stats(d).breaks, 0);
	wdf_unload(d);
}

KMEMU_CASE(not_zeroed, A "not-zeroed", WDF_CAPS, A "not-zeroed " A "success-outputs")
{
	static const size_t sizes[] = { 1, 24, 0xFFF, 0x1000, 0x2345 };
	static const POOL_TYPE pools[] = { NonPagedPool, PagedPool, NonPagedPoolNx };

	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);

		for (size_t p = 0; p < 3; p++)
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				WDFMEMORY m = NULL;
				PVOID b = NULL;
				size_t sz = 0;
				uint8_t *u;

				KMEMU_ASSERT_NT(WdfMemoryCreate(NULL, pools[p], 0, sizes[i], &m, &b),
						STATUS_SUCCESS);
				KMEMU_EXPECT_NE((uintptr_t)m, 0);
				KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(m, &sz), (uintptr_t)b);
				KMEMU_EXPECT_EQ(sz, sizes[i]);
				u = b;
				for (size_t k = 0; k < sizes[i]; k++)
					if (u[k] != WDF_POISON) {
						KMEMU_FAIL("byte %zu of %zu is 0x%02X", k, sizes[i], u[k]);
						break;
					}
				if (sizes[i] >= 0x1000)
					KMEMU_EXPECT_EQ((uintptr_t)b & 0xFFF, 0);
				memset(b, 0, sizes[i]);
				WdfObjectDelete(m);
			}
		wdf_unload(d);
	}
}

KMEMU_CASE(too_big, A "too-big", WDF_CAPS, A "storage-failure " A "memory-nulled")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(0);
	WDFMEMORY m = SENTINEL_MEM;
	PVOID b = SENTINEL_BUF;

	KMEMU_EXPECT_NT(WdfMemoryCreate(NULL, NonPagedPool, 0, (size_t)1 << 60, &m, &b),
			STATUS_INSUFFICIENT_RESOURCES);
	KMEMU_EXPECT_EQ((uintptr_t)m, 0);
	KMEMU_EXPECT_EQ((uintptr_t)b, (uintptr_t)SENTINEL_BUF);
	wdf_unload(d);
}

static int n_cleanups, n_destroys;
static VOID NTAPI count_cleanup(WDFOBJECT o)
{
	(void)o;
	n_cleanups++;
}
static VOID NTAPI count_destroy(WDFOBJECT o)
{
	(void)o;
	n_destroys++;
}

KMEMU_CASE(default_parent, A "default-parent", WDF_CAPS, A "default-parent-driver")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.EvtCleanupCallback = count_cleanup;
	a.EvtDestroyCallback = count_destroy;
	n_cleanups = n_destroys = 0;
	KMEMU_ASSERT_NT(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(n_cleanups, 0);
	KMEMU_EXPECT_EQ(wdf_unload(d), 0);
	KMEMU_EXPECT_EQ(n_cleanups, 1);
	KMEMU_EXPECT_EQ(n_destroys, 1);
}

static NTSTATUS nested;
static WDFMEMORY nested_mem;
static VOID NTAPI create_child_in_cleanup(WDFOBJECT o)
{
	WDF_OBJECT_ATTRIBUTES a;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ParentObject = o;
	a.EvtCleanupCallback = count_cleanup;
	a.EvtDestroyCallback = count_destroy;
	nested_mem = SENTINEL_MEM;
	nested = WdfMemoryCreate(&a, NonPagedPool, 0, 8, &nested_mem, NULL);
}

KMEMU_CASE(delete_pending, A "delete-pending", WDF_CAPS, A "commit-delete-pending")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);

	n_cleanups = n_destroys = 0;
	wdf_delete_running_cleanup(create_child_in_cleanup);
	KMEMU_EXPECT_NT(nested, STATUS_DELETE_PENDING);
	KMEMU_EXPECT_EQ((uintptr_t)nested_mem, 0);
	KMEMU_EXPECT_EQ(n_cleanups, 0);
	KMEMU_EXPECT_EQ(n_destroys, 0);
	KMEMU_EXPECT_EQ(wdf_stats(d).memory_objects, 0);
	wdf_unload(d);
}

static uint32_t oom_create(void *ctx)
{
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;
	PVOID b = SENTINEL_BUF;
	NTSTATUS st;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ContextTypeInfo = &ti16;
	st = WdfMemoryCreate(&a, NonPagedPool, 0, *(size_t *)ctx, &m, &b);
	if (st == STATUS_SUCCESS)
		WdfObjectDelete(m);
	else if (m || b != SENTINEL_BUF)
		return (uint32_t)STATUS_INTERNAL_ERROR;  /* outputs written on failure */
	return (uint32_t)st;
}

KMEMU_CASE(oom, A "out-of-memory", WDF_CAPS | KMEMU_CAP_FAULT_INJECT,
	   A "storage-failure " A "memory-nulled " A "success-outputs")
{
	size_t sizes[] = { 24, 0x3000 };

	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);

		for (int i = 0; i < 2; i++)
			wdf_expect_oom("WdfMemoryCreate", oom_create, &sizes[i]);
		wdf_unload(d);
	}
}

const struct kmemu_case *const kmemu_cases_WdfMemoryCreate[] = {
	KMEMU_CASE_REF(parent),
	KMEMU_CASE_REF(memory_null),
	KMEMU_CASE_REF(irql),
	KMEMU_CASE_REF(size_zero),
	KMEMU_CASE_REF(attributes),
	KMEMU_CASE_REF(pool_tag),
	KMEMU_CASE_REF(not_zeroed),
	KMEMU_CASE_REF(too_big),
	KMEMU_CASE_REF(default_parent),
	KMEMU_CASE_REF(delete_pending),
	KMEMU_CASE_REF(oom),
	NULL,
};
