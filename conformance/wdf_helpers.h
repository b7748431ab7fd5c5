/* SPDX-License-Identifier: MIT */
/*
 * wdf_helpers.h - steps the KMDF object and memory cases (WdfMemoryCreate,
 * WdfMemoryCreatePreallocated, WdfMemoryAssignBuffer, WdfMemoryGetBuffer,
 * WdfMemoryCopyToBuffer, WdfObjectDelete, WdfDriverCreate) share: a quiet
 * framework driver with the verifier on or off, a bug-check expectation
 * that prints what it caught, and the closures the catches run.
 * Portable C: no fork or mmap here.
 */
#ifndef KMEMU_CONFORMANCE_WDF_HELPERS_H
#define KMEMU_CONFORMANCE_WDF_HELPERS_H

#include <string.h>
#include <kmemu/wdf.h>
#include "harness.h"

#define WDF_CAPS (KMEMU_CAP_WDF)
#define WDF_BC_CAPS (KMEMU_CAP_WDF | KMEMU_CAP_BUGCHECK)
#define WDF_VF_CAPS (KMEMU_CAP_WDF | KMEMU_CAP_VERIFIER)
#define WDF_IRQL_CAPS (KMEMU_CAP_WDF | KMEMU_CAP_VERIFIER | KMEMU_CAP_IRQL)
#define WDF_ANY ((uintptr_t)-1)  /* a bug-check parameter not compared */
#define WDF_TYPE_OBJECT 0x1000u
#define WDF_TYPE_DRIVER 0x1001u
#define WDF_TYPE_MEMORY 0x100Au              /* IFX_TYPE_MEMORY */
#define WDF_TYPE_MEMORY_PREALLOCATED 0x1022u
#define WDF_POISON 0xCDu                     /* a fresh WdfMemoryCreate byte */
#define STATUS_BREAKPOINT_VALUE 0x80000003u

/* A quiet framework driver with the verifier @verifier and break policy
 * continue, made current for this thread; UNRESOLVED if it cannot be made. */
static inline struct kmemu_wdf_driver *wdf_setup_driver(int verifier)
{
	struct kmemu_wdf_driver_options o = { .verifier = verifier, .has_verifier = 1,
					      .break_policy = KMEMU_WDF_BREAK_CONTINUE,
					      .quiet = 1 };
	struct kmemu_wdf_driver *d = NULL;

	KMEMU_SETUP_NT(kmemu_wdf_driver_create("conform", &o, NULL, &d));
	kmemu_wdf_driver_enter(d);
	return d;
}

/* Unload, entering the default driver again. */
static inline uint64_t wdf_unload(struct kmemu_wdf_driver *d)
{
	kmemu_wdf_driver_enter(NULL);
	return kmemu_wdf_driver_unload(d);
}

/* The driver's counters (zeros if they cannot be read). */
static inline struct kmemu_wdf_driver_stats wdf_stats(struct kmemu_wdf_driver *d)
{
	struct kmemu_wdf_driver_stats s;

	memset(&s, 0, sizeof(s));
	KMEMU_SETUP_NT(kmemu_wdf_driver_stats(d, &s));
	return s;
}

/* The OOM loop over @run(@ctx) (heap faults) in the current driver: every
 * run succeeds or fails with STATUS_INSUFFICIENT_RESOURCES and leaves
 * nothing behind, and at least one acquisition was failed. */
static inline void wdf_expect_oom(const char *name, uint32_t (*run)(void *), void *ctx)
{
	static const uint32_t fail_ok[] = { (uint32_t)STATUS_INSUFFICIENT_RESOURCES };
	struct kmemu_oom_op op = {
		.name = name, .run = run, .ctx = ctx, .success = STATUS_SUCCESS,
		.fail_ok = fail_ok, .n_fail_ok = 1, .resources = KMEMU_FAULT_HEAP,
	};
	struct kmemu_oom_result res;

	if (!KMEMU_EXPECT_NT(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS))
		kmemu_diag("%s", res.message);
	KMEMU_EXPECT_NE(res.failures, 0);
}

/* A WdfMemoryCreate buffer of @size with no attributes (setup step). */
static inline WDFMEMORY wdf_setup_memory(size_t size, PVOID *buf)
{
	WDFMEMORY m = NULL;

	KMEMU_SETUP_NT(WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, 0, size, &m, buf));
	return m;
}

/* Create memory whose EvtCleanupCallback is @cleanup and delete it, so
 * @cleanup runs while its object is being deleted (setup step). */
static inline void wdf_delete_running_cleanup(PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup)
{
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY p = NULL;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.EvtCleanupCallback = cleanup;
	KMEMU_SETUP_NT(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &p, NULL));
	WdfObjectDelete(p);
}

/* Arguments and results of the closures below. */
struct wdf_call {
	WDFMEMORY mem;
	WDFOBJECT obj;
	PVOID buf;
	size_t size;
	size_t off;
	POOL_TYPE pool;
	PWDF_OBJECT_ATTRIBUTES attrs;
	WDFMEMORY *out;
	PVOID ptr;
	NTSTATUS st;
};

static inline void wdf_call_create(void *p)
{
	struct wdf_call *c = p;

	c->st = WdfMemoryCreate(c->attrs, c->pool, 0, c->size, c->out, NULL);
}

static inline void wdf_call_prealloc(void *p)
{
	struct wdf_call *c = p;

	c->st = WdfMemoryCreatePreallocated(c->attrs, c->buf, c->size, c->out);
}

static inline void wdf_call_assign(void *p)
{
	struct wdf_call *c = p;

	c->st = WdfMemoryAssignBuffer(c->mem, c->buf, c->size);
}

static inline void wdf_call_get_buffer(void *p)
{
	struct wdf_call *c = p;

	c->ptr = WdfMemoryGetBuffer(c->mem, &c->size);
}

static inline void wdf_call_copy_to(void *p)
{
	struct wdf_call *c = p;

	c->st = WdfMemoryCopyToBuffer(c->mem, c->off, c->buf, c->size);
}

static inline void wdf_call_copy_from(void *p)
{
	struct wdf_call *c = p;

	c->st = WdfMemoryCopyFromBuffer(c->mem, c->off, c->buf, c->size);
}

static inline void wdf_call_delete(void *p)
{
	WdfObjectDelete(((struct wdf_call *)p)->obj);
}

static inline void wdf_call_reference(void *p)
{
	WdfObjectReference(((struct wdf_call *)p)->obj);
}

static inline void wdf_call_dereference(void *p)
{
	WdfObjectDereference(((struct wdf_call *)p)->obj);
}

/* Run @fn(@arg); expect bug check @code with p1 @p1 and, unless WDF_ANY, p2
 * @p2 and p3 @p3.  Return: 1 when it came as expected. */
static inline int wdf_expect_bugcheck_(const char *file, int line, void (*fn)(void *), void *arg,
				       uint32_t code, uintptr_t p1, uintptr_t p2, uintptr_t p3)
{
	struct kmemu_bugcheck_report r;

	memset(&r, 0, sizeof(r));
	if (!kmemu_bugcheck_catch(fn, arg, &r)) {
		kmemu__fail(file, line, 0, "no bug check; expected 0x%X/0x%llX", code,
			    (unsigned long long)p1);
		return 0;
	}
	if (r.code != code || r.param[0] != p1 || (p2 != WDF_ANY && r.param[1] != p2) ||
	    (p3 != WDF_ANY && r.param[2] != p3)) {
		kmemu__fail(file, line, 0,
			    "bug check 0x%X (0x%llX, 0x%llX, 0x%llX, 0x%llX) in %s: %s; expected "
			    "0x%X (0x%llX, 0x%llX, 0x%llX)",
			    r.code, (unsigned long long)r.param[0], (unsigned long long)r.param[1],
			    (unsigned long long)r.param[2], (unsigned long long)r.param[3],
			    r.function, r.detail, code, (unsigned long long)p1,
			    (unsigned long long)p2, (unsigned long long)p3);
		return 0;
	}
	return 1;
}
#define wdf_expect_bugcheck(fn, arg, code, p1, p2, p3) \
	wdf_expect_bugcheck_(__FILE__, __LINE__, (fn), (arg), (code), (p1), (p2), (p3))

/* Run @fn(@arg); no bug check may come.  Return: 1 when none came. */
static inline int wdf_expect_no_bugcheck_(const char *file, int line, void (*fn)(void *),
					  void *arg)
{
	struct kmemu_bugcheck_report r;

	if (!kmemu_bugcheck_catch(fn, arg, &r))
		return 1;
	kmemu__fail(file, line, 0, "unexpected bug check 0x%X/0x%llX in %s: %s", r.code,
		    (unsigned long long)r.param[0], r.function, r.detail);
	return 0;
}
#define wdf_expect_no_bugcheck(fn, arg) wdf_expect_no_bugcheck_(__FILE__, __LINE__, (fn), (arg))

#endif /* KMEMU_CONFORMANCE_WDF_HELPERS_H */
