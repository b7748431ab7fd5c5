/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of the object model: WdfObjectDelete,
 * WdfObjectReference / Dereference, callbacks, contexts, handles
 * (spec/kmdf.md §0.3-0.6, §5).
 */
#include "../wdf_helpers.h"

#define A "WdfObjectDelete/"

KMEMU_CASE(handle_null, A "handle-null", WDF_BC_CAPS, A "handle-null")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		struct wdf_call c = { .obj = NULL };

		wdf_expect_bugcheck(wdf_call_delete, &c, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
				    WDF_TYPE_OBJECT);
		wdf_unload(d);
	}
}

static void call_registry_path(void *p)
{
	struct wdf_call *c = p;

	c->ptr = WdfDriverGetRegistryPath((WDFDRIVER)c->obj);
}

KMEMU_CASE(handle_type, A "handle-type", WDF_BC_CAPS, A "handle-type")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		struct wdf_call c = { .obj = wdf_setup_memory(8, NULL) };

		wdf_expect_bugcheck(call_registry_path, &c, WDF_VIOLATION, WDF_INVALID_HANDLE,
				    (uintptr_t)c.obj, WDF_TYPE_DRIVER);
		wdf_expect_no_bugcheck(wdf_call_delete, &c);
		wdf_unload(d);
	}
}

KMEMU_CASE(handle_stale, A "handle-stale", WDF_BC_CAPS | KMEMU_CAP_VERIFIER,
	   A "handle-stale " A "verifier-switch")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		PVOID b = NULL;
		struct wdf_call c = { .obj = wdf_setup_memory(8, &b) };
		struct kmemu_bugcheck_report r;

		KMEMU_EXPECT_EQ(kmemu_wdf_driver_verifier(d), v);
		KMEMU_EXPECT_NE((uintptr_t)c.obj, (uintptr_t)b);
		WdfObjectDelete(c.obj);
		KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(wdf_call_delete, &c, &r), 1);
		KMEMU_EXPECT_EQ(r.code, v ? WDF_VIOLATION : PAGE_FAULT_IN_NONPAGED_AREA);
		if (v) {
			KMEMU_EXPECT_EQ(r.param[0], WDF_INVALID_HANDLE);
			KMEMU_EXPECT_EQ(r.param[1], (uintptr_t)c.obj);
		} else {
			KMEMU_EXPECT_NE(r.param[0], 0);
			KMEMU_EXPECT_EQ(r.param[1], 0);
		}
		c.obj = (WDFOBJECT)(uintptr_t)0xFFFF800012345670ull;
		KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(wdf_call_reference, &c, &r), 1);
		KMEMU_EXPECT_EQ(r.code, v ? WDF_VIOLATION : PAGE_FAULT_IN_NONPAGED_AREA);
		wdf_unload(d);
	}
}

KMEMU_CASE(breaks, A "dbg-break", WDF_BC_CAPS | KMEMU_CAP_VERIFIER, A "dbg-break " A "no-delete")
{
	struct kmemu_wdf_driver_options o = { .verifier = 1, .has_verifier = 1, .quiet = 1,
					      .break_policy = KMEMU_WDF_BREAK_FATAL };
	struct kmemu_wdf_driver *d;
	struct wdf_call c;

	for (int v = 0; v < 2; v++) {
		d = wdf_setup_driver(v);
		WDFMEMORY child = wdf_setup_memory(8, NULL);

		c.obj = kmemu_wdf_driver_handle(d);
		wdf_expect_no_bugcheck(wdf_call_delete, &c);
		KMEMU_EXPECT_NE((uintptr_t)WdfDriverGetRegistryPath((WDFDRIVER)c.obj), 0);
		KMEMU_EXPECT_NE((uintptr_t)WdfMemoryGetBuffer(child, NULL), 0);
		KMEMU_EXPECT_EQ(wdf_stats(d).messages, 2);
		KMEMU_EXPECT_EQ(wdf_stats(d).breaks, v ? 1 : 0);
		wdf_unload(d);
	}
	for (int v = 0; v < 2; v++) {
		o.verifier = v;
		KMEMU_SETUP_NT(kmemu_wdf_driver_create("fatal", &o, NULL, &d));
		kmemu_wdf_driver_enter(d);
		c.obj = kmemu_wdf_driver_handle(d);
		if (v)
			wdf_expect_bugcheck(wdf_call_delete, &c, KMODE_EXCEPTION_NOT_HANDLED,
					    STATUS_BREAKPOINT_VALUE, WDF_ANY, WDF_ANY);
		else
			wdf_expect_no_bugcheck(wdf_call_delete, &c);
		wdf_unload(d);
	}
}

static char order[32];
static size_t n_order;
static WDFOBJECT hp, ha, hb, hg;

static char name_of(WDFOBJECT o)
{
	return o == hp ? 'P' : o == ha ? 'A' : o == hb ? 'B' : o == hg ? 'G' : '?';
}
static VOID NTAPI rec_cleanup(WDFOBJECT o)
{
	if (n_order + 2 < sizeof(order)) {
		order[n_order++] = 'c';
		order[n_order++] = name_of(o);
	}
}
static VOID NTAPI rec_destroy(WDFOBJECT o)
{
	if (n_order + 2 < sizeof(order)) {
		order[n_order++] = 'd';
		order[n_order++] = name_of(o);
	}
}

static WDFOBJECT child_of(WDFOBJECT parent, POOL_TYPE pool)
{
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ParentObject = parent;
	a.EvtCleanupCallback = rec_cleanup;
	a.EvtDestroyCallback = rec_destroy;
	KMEMU_SETUP_NT(WdfMemoryCreate(&a, pool, 0, 8, &m, NULL));
	return m;
}

static void order_reset(void)
{
	memset(order, 0, sizeof(order));
	n_order = 0;
}

KMEMU_CASE(order_case, A "delete-order", WDF_CAPS,
	   A "delete-order " A "parenting " A "refcount " A "destroy-at-zero " A "delete-twice")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);

	order_reset();
	hp = child_of(NULL, NonPagedPool);
	ha = child_of(hp, NonPagedPool);
	hb = child_of(hp, NonPagedPool);
	hg = child_of(ha, NonPagedPool);
	WdfObjectReference(hb);
	WdfObjectDelete(hp);
	KMEMU_EXPECT_MEM(order, "cGcAcBcPdGdAdP", 15);
	WdfObjectDelete(hb);  /* already disposed with its parent: nothing */
	KMEMU_EXPECT_MEM(order, "cGcAcBcPdGdAdP", 15);
	KMEMU_EXPECT_NE((uintptr_t)WdfMemoryGetBuffer(hb, NULL), 0);  /* still alive */
	WdfObjectDereference(hb);
	KMEMU_EXPECT_MEM(order, "cGcAcBcPdGdAdPdB", 17);
	/* a child deleted alone goes at once; its parent stays */
	order_reset();
	hb = hg = NULL;
	hp = child_of(NULL, NonPagedPool);
	ha = child_of(hp, NonPagedPool);
	WdfObjectDelete(ha);
	KMEMU_EXPECT_MEM(order, "cAdA", 5);
	/* cleanup at delete, destroy at the last reference; a second delete is dropped */
	WdfObjectReference(hp);
	WdfObjectDelete(hp);
	WdfObjectDelete(hp);
	KMEMU_EXPECT_MEM(order, "cAdAcP", 7);
	WdfObjectDereference(hp);
	KMEMU_EXPECT_MEM(order, "cAdAcPdP", 9);
	/* unparented: deleted at unload */
	order_reset();
	ha = hb = hg = NULL;
	hp = child_of(NULL, NonPagedPool);
	wdf_unload(d);
	KMEMU_EXPECT_MEM(order, "cPdP", 5);
}

KMEMU_CASE(deferred, A "passive-deferred", WDF_CAPS | KMEMU_CAP_IRQL, A "passive-deferred")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(0);

	order_reset();
	hp = child_of(NULL, NonPagedPool);
	ha = child_of(hp, PagedPool);
	hb = child_of(NULL, NonPagedPool);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	WdfObjectDelete(hb);
	KMEMU_EXPECT_MEM(order, "cBdB", 5);
	WdfObjectDelete(hp);  /* a paged child: the whole delete waits */
	KMEMU_EXPECT_MEM(order, "cBdB", 5);
	KMEMU_EXPECT_EQ(kmemu_wdf_run_deferred(), 0);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_EQ(kmemu_wdf_run_deferred(), 1);
	KMEMU_EXPECT_MEM(order, "cBdBcAcPdAdP", 13);
	/* the next WDF call at PASSIVE_LEVEL runs them too */
	order_reset();
	hp = hb = NULL;  /* freed handles may come back for new objects */
	ha = child_of(NULL, PagedPool);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	WdfObjectDelete(ha);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_EQ(order[0], 0);
	(void)wdf_setup_memory(1, NULL);
	KMEMU_EXPECT_MEM(order, "cAdA", 5);
	/* the final destroy too, when the last reference goes above PASSIVE_LEVEL */
	order_reset();
	ha = NULL;
	hg = child_of(NULL, PagedPool);
	WdfObjectReference(hg);
	WdfObjectDelete(hg);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	WdfObjectDereference(hg);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_MEM(order, "cG", 3);
	KMEMU_EXPECT_EQ(kmemu_wdf_run_deferred(), 1);
	KMEMU_EXPECT_MEM(order, "cGdG", 5);
	wdf_unload(d);
}

KMEMU_CASE(never_deleted, A "dereference-never-deleted", WDF_BC_CAPS,
	   A "dereference-never-deleted " A "reference-null")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		PVOID b = NULL;
		struct wdf_call c = { .obj = wdf_setup_memory(8, &b) };

		wdf_expect_bugcheck(wdf_call_dereference, &c, WDF_VIOLATION, WDF_OBJECT_ERROR,
				    (uintptr_t)c.obj, WDF_ANY);
		KMEMU_EXPECT_EQ((uintptr_t)WdfMemoryGetBuffer(c.obj, NULL), (uintptr_t)b);
		c.obj = NULL;
		wdf_expect_bugcheck(wdf_call_reference, &c, WDF_VIOLATION,
				    WDF_REQUIRED_PARAMETER_IS_NULL, 0, WDF_ANY);
		wdf_expect_bugcheck(wdf_call_dereference, &c, WDF_VIOLATION,
				    WDF_REQUIRED_PARAMETER_IS_NULL, 0, WDF_ANY);
		wdf_unload(d);
	}
}

typedef struct _CONFORM_CTX {
	uint64_t a, b;
} CONFORM_CTX;
WDF_DECLARE_CONTEXT_TYPE(CONFORM_CTX)
typedef struct _CONFORM_CTX2 {
	uint32_t x;
} CONFORM_CTX2;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CONFORM_CTX2, GetCtx2)

KMEMU_CASE(contexts, A "contexts", WDF_CAPS, A "contexts")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;
	uint8_t *c;
	PVOID c2 = NULL, again = NULL;

	WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, CONFORM_CTX);
	a.ContextSizeOverride = 200;
	KMEMU_ASSERT_NT(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
	c = (uint8_t *)WdfObjectGet_CONFORM_CTX(m);
	KMEMU_ASSERT_NE((uintptr_t)c, 0);
	for (int i = 0; i < 200; i++)
		if (c[i]) {
			KMEMU_FAIL("context byte %d is 0x%02X", i, c[i]);
			break;
		}
	KMEMU_EXPECT_EQ((uintptr_t)GetCtx2(m), 0);
	KMEMU_EXPECT_EQ((uintptr_t)WdfObjectContextGetObject(c), (uintptr_t)m);
	WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, CONFORM_CTX2);
	KMEMU_EXPECT_NT(WdfObjectAllocateContext(m, &a, &c2), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ((uintptr_t)GetCtx2(m), (uintptr_t)c2);
	KMEMU_EXPECT_EQ(((CONFORM_CTX2 *)c2)->x, 0);
	KMEMU_EXPECT_NT(WdfObjectAllocateContext(m, &a, &again), STATUS_OBJECT_NAME_EXISTS);
	KMEMU_EXPECT_EQ((uintptr_t)again, (uintptr_t)c2);
	KMEMU_EXPECT_EQ((uintptr_t)WdfObjectContextGetObject(c2), (uintptr_t)m);
	WdfObjectDelete(m);
	wdf_unload(d);
}

KMEMU_CASE(leaks, A "leak-report", WDF_CAPS | KMEMU_CAP_VERIFIER, A "leak-report")
{
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = wdf_setup_driver(v);
		WDFMEMORY kept = wdf_setup_memory(8, NULL);

		(void)wdf_setup_memory(8, NULL);
		WdfObjectReference(kept);
		KMEMU_EXPECT_EQ(wdf_unload(d), 1);
	}
}

static VOID NTAPI cleanup_raises(WDFOBJECT o)
{
	KIRQL old;

	(void)o;
	KeRaiseIrql(DISPATCH_LEVEL, &old);  /* and never lowers it */
}

KMEMU_CASE(enhanced, A "enhanced-verifier-irql", WDF_BC_CAPS | KMEMU_CAP_IRQL,
	   A "enhanced-verifier-irql")
{
	for (int e = 0; e < 2; e++) {
		struct kmemu_wdf_driver_options o = { .verifier = 1, .has_verifier = 1, .quiet = 1,
						      .enhanced_verifier = e };
		struct kmemu_wdf_driver *d = NULL;
		WDF_OBJECT_ATTRIBUTES a;
		struct wdf_call c = { .obj = NULL };

		KMEMU_SETUP_NT(kmemu_wdf_driver_create("enhanced", &o, NULL, &d));
		kmemu_wdf_driver_enter(d);
		WDF_OBJECT_ATTRIBUTES_INIT(&a);
		a.EvtCleanupCallback = cleanup_raises;
		KMEMU_SETUP_NT(WdfMemoryCreate(&a, NonPagedPool, 0, 8, (WDFMEMORY *)&c.obj, NULL));
		if (e)
			wdf_expect_bugcheck(wdf_call_delete, &c, WDF_VIOLATION,
					    WDF_VERIFIER_IRQL_MISMATCH, PASSIVE_LEVEL, DISPATCH_LEVEL);
		else
			wdf_expect_no_bugcheck(wdf_call_delete, &c);
		KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
		wdf_unload(d);
	}
}

const struct kmemu_case *const kmemu_cases_WdfObjectDelete[] = {
	KMEMU_CASE_REF(handle_null),
	KMEMU_CASE_REF(handle_type),
	KMEMU_CASE_REF(handle_stale),
	KMEMU_CASE_REF(breaks),
	KMEMU_CASE_REF(order_case),
	KMEMU_CASE_REF(deferred),
	KMEMU_CASE_REF(never_deleted),
	KMEMU_CASE_REF(contexts),
	KMEMU_CASE_REF(leaks),
	KMEMU_CASE_REF(enhanced),
	NULL,
};
