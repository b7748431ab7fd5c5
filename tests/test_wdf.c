/* SPDX-License-Identifier: MIT */
/*
 * test_wdf.c - unit tests of the KMDF object core, drivers and WDFMEMORY
 * (api/wdf/): every status and bug check of spec/kmdf.md §0, §2 and §5,
 * each verifier-dependent behaviour with the verifier on and off, the
 * parent/child callback order, contexts, references, deferred disposal,
 * the leak report, the request-memory constructors and the OOM loop.
 *
 * Each test runs on a fresh emulator, loads its driver after KT_BEGIN() and
 * unloads it before KMEMU_TEST_CLEAN(), so every object is accounted for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <kmemu/wdf.h>
#include "wdf/wdf_int.h"
#include "kmemu_test.h"

#define ANY ((uintptr_t)-1)  /* bug-check parameter not compared */

/* ---- fixtures ---------------------------------------------------------------- */

static int setup(void **state)
{
	struct kmemu_wdf_driver *d;

	(void)state;
	if (kt_use_emu(16 * KT_MIB, KMEMU_PLACE_DEFAULT, 0))
		return -1;
	/* the framework instance is made on first use and kept */
	if (kmemu_wdf_driver_create("warm", NULL, NULL, &d))
		return -1;
	kmemu_wdf_driver_unload(d);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return kt_close_backend();
}

/* A quiet driver with the verifier on or off (break policy: continue). */
static struct kmemu_wdf_driver *drv_new(int verifier)
{
	struct kmemu_wdf_driver_options o = { .verifier = verifier, .has_verifier = 1,
					      .break_policy = KMEMU_WDF_BREAK_CONTINUE,
					      .quiet = 1 };
	struct kmemu_wdf_driver *d = NULL;

	assert_status(kmemu_wdf_driver_create("kmtest", &o, NULL, &d), STATUS_SUCCESS);
	assert_non_null(d);
	assert_int_equal(kmemu_wdf_driver_verifier(d), verifier);
	return d;
}

static struct kmemu_wdf_driver_stats drv_stats(struct kmemu_wdf_driver *d)
{
	struct kmemu_wdf_driver_stats s;

	assert_status(kmemu_wdf_driver_stats(d, &s), STATUS_SUCCESS);
	return s;
}

static WDFMEMORY mem_new(size_t size, PVOID *buf)
{
	WDFMEMORY m = NULL;

	assert_status(WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, 0, size, &m, buf),
		      STATUS_SUCCESS);
	assert_non_null(m);
	return m;
}

/* ---- bug-check expectations -------------------------------------------------- */

typedef void (*call_fn)(void *);

/* Run @fn; a bug check @code/@p1 (p2, p3 unless ANY) must be caught. */
static void expect_bugcheck_(call_fn fn, void *arg, uint32_t code, uintptr_t p1, uintptr_t p2,
			     uintptr_t p3, const char *file, int line)
{
	struct kmemu_bugcheck_report r;

	if (!kmemu_bugcheck_catch(fn, arg, &r)) {
		print_error("no bug check, expected 0x%X/0x%llx\n", code, (unsigned long long)p1);
		_fail(file, line);
	}
	if (r.code != code || r.param[0] != p1 || (p2 != ANY && r.param[1] != p2) ||
	    (p3 != ANY && r.param[2] != p3)) {
		print_error("bug check 0x%X (0x%llx 0x%llx 0x%llx 0x%llx) in %s, expected "
			    "0x%X (0x%llx ...): %s\n",
			    r.code, (unsigned long long)r.param[0], (unsigned long long)r.param[1],
			    (unsigned long long)r.param[2], (unsigned long long)r.param[3], r.function,
			    code, (unsigned long long)p1, r.detail);
		_fail(file, line);
	}
}
#define expect_bugcheck(fn, arg, code, p1, p2, p3) \
	expect_bugcheck_((fn), (arg), (code), (p1), (p2), (p3), __FILE__, __LINE__)

static void expect_no_bugcheck_(call_fn fn, void *arg, const char *file, int line)
{
	struct kmemu_bugcheck_report r;

	if (kmemu_bugcheck_catch(fn, arg, &r)) {
		print_error("unexpected bug check 0x%X/0x%llx in %s: %s\n", r.code,
			    (unsigned long long)r.param[0], r.function, r.detail);
		_fail(file, line);
	}
}
#define expect_no_bugcheck(fn, arg) expect_no_bugcheck_((fn), (arg), __FILE__, __LINE__)

/* Arguments of the calls below. */
struct args {
	WDFMEMORY mem;
	WDFOBJECT obj;
	PVOID buf;
	size_t size;
	size_t off;
	NTSTATUS st;
	PWDF_OBJECT_ATTRIBUTES attrs;
	PVOID ptr;
};

static void call_create_null_memory(void *p)
{
	struct args *a = p;

	a->st = WdfMemoryCreate(NULL, NonPagedPool, 0, 16, NULL, NULL);
}

static void call_create(void *p)
{
	struct args *a = p;

	a->st = WdfMemoryCreate(a->attrs, NonPagedPool, 0, a->size ? a->size : 16, &a->mem, NULL);
}

static void call_prealloc_null_buffer(void *p)
{
	struct args *a = p;

	a->st = WdfMemoryCreatePreallocated(NULL, NULL, 16, &a->mem);
}

static void call_prealloc_null_memory(void *p)
{
	struct args *a = p;
	static char buf[16];

	a->st = WdfMemoryCreatePreallocated(NULL, buf, sizeof(buf), NULL);
}

static void call_assign(void *p)
{
	struct args *a = p;

	a->st = WdfMemoryAssignBuffer(a->mem, a->buf, a->size);
}

static void call_get_buffer(void *p)
{
	struct args *a = p;

	a->ptr = WdfMemoryGetBuffer(a->mem, &a->size);
}

static void call_copy_to(void *p)
{
	struct args *a = p;

	a->st = WdfMemoryCopyToBuffer(a->mem, a->off, a->buf, a->size);
}

static void call_copy_from(void *p)
{
	struct args *a = p;

	a->st = WdfMemoryCopyFromBuffer(a->mem, a->off, a->buf, a->size);
}

static void call_delete(void *p)
{
	WdfObjectDelete(((struct args *)p)->obj);
}

static void call_reference(void *p)
{
	WdfObjectReference(((struct args *)p)->obj);
}

static void call_dereference(void *p)
{
	WdfObjectDereference(((struct args *)p)->obj);
}

static void call_registry_path(void *p)
{
	struct args *a = p;

	a->ptr = WdfDriverGetRegistryPath((WDFDRIVER)a->obj);
}

/* ---- drivers ------------------------------------------------------------------- */

static int n_unload, n_entry;
static NTSTATUS entry_status;
static WDFDRIVER entry_driver;

static VOID NTAPI evt_unload(WDFDRIVER Driver)
{
	assert_ptr_equal(Driver, entry_driver);
	n_unload++;
}

static NTSTATUS NTAPI entry_good(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	WDF_DRIVER_CONFIG c;
	NTSTATUS st;

	n_entry++;
	assert_int_equal(DriverObject->Type, IO_TYPE_DRIVER);
	WDF_DRIVER_CONFIG_INIT(&c, NULL);
	c.DriverInitFlags = WdfDriverInitNonPnpDriver;
	c.EvtDriverUnload = evt_unload;
	st = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &c,
			     &entry_driver);
	if (st)
		return st;
	/* a second call fails */
	assert_status(WdfDriverCreate(DriverObject, RegistryPath, NULL, &c, NULL),
		      STATUS_DRIVER_INTERNAL_ERROR);
	return entry_status;
}

static NTSTATUS NTAPI entry_no_create(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	(void)DriverObject;
	(void)RegistryPath;
	n_entry++;
	return STATUS_SUCCESS;
}

static void test_wdf_driver_load_unload(void **state)
{
	static const char path[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mydrv";
	struct kmemu_wdf_driver_options o = { .quiet = 1 };
	struct kmemu_wdf_driver *d;
	PWSTR reg;
	PDRIVER_OBJECT dobj;
	KT_BEGIN();

	(void)state;
	n_unload = n_entry = 0;
	entry_status = STATUS_SUCCESS;
	assert_status(kmemu_wdf_driver_load(entry_good, "mydrv", &o, &d), STATUS_SUCCESS);
	assert_int_equal(n_entry, 1);
	assert_ptr_equal(kmemu_wdf_driver_handle(d), entry_driver);
	assert_ptr_equal(WdfGetDriver(), entry_driver);
	reg = WdfDriverGetRegistryPath(entry_driver);
	assert_non_null(reg);
	for (size_t i = 0; i <= sizeof(path) - 1; i++)
		assert_int_equal(reg[i], (WCHAR)(unsigned char)path[i]);
	dobj = WdfDriverWdmGetDriverObject(entry_driver);
	assert_non_null(dobj);
	assert_ptr_equal((void *)dobj->DriverInit, (void *)entry_good);
	assert_int_equal(dobj->Size, sizeof(DRIVER_OBJECT));
	assert_int_equal(drv_stats(d).objects, 1);
	kmemu_wdf_driver_unload(d);
	assert_int_equal(n_unload, 1);

	/* DriverEntry failing: its status, no EvtDriverUnload */
	entry_status = STATUS_ACCESS_DENIED;
	assert_status(kmemu_wdf_driver_load(entry_good, "mydrv", &o, &d),
		      STATUS_ACCESS_DENIED);
	assert_null(d);
	assert_int_equal(n_unload, 1);
	/* DriverEntry not calling WdfDriverCreate (DriverCreate rule) */
	assert_status(kmemu_wdf_driver_load(entry_no_create, "nocreate", &o, &d),
		      STATUS_DRIVER_INTERNAL_ERROR);
	assert_null(d);
	assert_status(kmemu_wdf_driver_load(NULL, "x", &o, &d), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_wdf_driver_load(entry_good, "x", &o, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_wdf_driver_create("x", &o, NULL, NULL), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_wdf_driver_stats(NULL, NULL), STATUS_INVALID_PARAMETER);
	assert_null(kmemu_wdf_driver_handle(NULL));
	KMEMU_TEST_CLEAN();
}

struct create_args {
	PDRIVER_OBJECT d;
	PCUNICODE_STRING r;
	PWDF_DRIVER_CONFIG c;
	NTSTATUS st;
};

static void call_driver_create(void *p)
{
	struct create_args *a = p;

	a->st = WdfDriverCreate(a->d, a->r, NULL, a->c, NULL);
}

static void test_wdf_driver_create_statuses(void **state)
{
	struct kmemu_wdf_driver *d;
	struct kmemu_wdf_globals *g;
	WDF_DRIVER_CONFIG c;
	WDF_OBJECT_ATTRIBUTES a;
	struct create_args ca;
	DRIVER_OBJECT fake;
	UNICODE_STRING us = { 0 };
	KT_BEGIN();

	(void)state;
	/* a driver whose WdfDriverCreate has not run yet: its globals exist */
	d = drv_new(1);
	g = (struct kmemu_wdf_globals *)(void *)d;
	WDF_DRIVER_CONFIG_INIT(&c, NULL);
	ca = (struct create_args){ NULL, &us, &c, 0 };
	expect_bugcheck(call_driver_create, &ca, WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL, 0,
			ANY);
	ca = (struct create_args){ &g->driver_object, NULL, &c, 0 };
	expect_bugcheck(call_driver_create, &ca, WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL, 0,
			ANY);
	ca = (struct create_args){ &g->driver_object, &us, NULL, 0 };
	expect_bugcheck(call_driver_create, &ca, WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL, 0,
			ANY);
	/* already created */
	assert_status(WdfDriverCreate(&g->driver_object, &us, NULL, &c, NULL),
		      STATUS_DRIVER_INTERNAL_ERROR);
	/* an object the I/O manager did not make */
	memset(&fake, 0, sizeof(fake));
	assert_status(WdfDriverCreate(&fake, &us, NULL, &c, NULL), STATUS_INVALID_PARAMETER);
	/* the checks after "already created" run on a driver without WDFDRIVER */
	g->driver->is_no_delete = 0;
	kmemu__wdf_object_delete(g->driver);
	g->driver = NULL;
	c.Size = 8;
	assert_status(WdfDriverCreate(&g->driver_object, &us, NULL, &c, NULL),
		      STATUS_INFO_LENGTH_MISMATCH);
	WDF_DRIVER_CONFIG_INIT(&c, NULL);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ParentObject = (WDFOBJECT)(uintptr_t)0x1234;
	assert_status(WdfDriverCreate(&g->driver_object, &us, &a, &c, NULL),
		      STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
	c.DriverInitFlags = WdfDriverInitNonPnpDriver;
	c.EvtDriverDeviceAdd = (PFN_WDF_DRIVER_DEVICE_ADD)(uintptr_t)entry_good;
	assert_status(WdfDriverCreate(&g->driver_object, &us, NULL, &c, NULL),
		      STATUS_INVALID_PARAMETER);
	/* verifier: PASSIVE_LEVEL only */
	WDF_DRIVER_CONFIG_INIT(&c, NULL);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	assert_status(WdfDriverCreate(&g->driver_object, &us, NULL, &c, NULL),
		      STATUS_INVALID_DEVICE_REQUEST);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	assert_status(WdfDriverCreate(&g->driver_object, &us, NULL, &c, NULL), STATUS_SUCCESS);
	/* the default pool tag: the first four characters of the name */
	assert_int_equal(g->pool_tag, 'k' | 'm' << 8 | 't' << 16 | 'e' << 24);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

/* Open a fresh default machine (kmemu_config_default: the environment). */
static void use_default_machine(const struct kmemu_config *cfg)
{
	assert_status(kmemu_backend_use("emu", cfg), STATUS_SUCCESS);
}

static void test_wdf_verifier_defaults(void **state)
{
	struct kmemu_wdf_driver_options o = { .quiet = 1, .version_minor = 7 };
	struct kmemu_wdf_driver *d;
	struct kmemu_wdf_globals *g;
	struct kmemu_config cfg;
	struct args ar = { 0 };

	(void)state;
	/* default: on, break policy continue, KMDF 1.33 */
	unsetenv("KMEMU_VERIFIER");
	unsetenv("KMEMU_WDF_BREAK");
	use_default_machine(NULL);
	assert_status(kmemu_wdf_driver_create("dflt", NULL, NULL, &d), STATUS_SUCCESS);
	g = (struct kmemu_wdf_globals *)(void *)d;
	assert_int_equal(kmemu_wdf_driver_verifier(d), 1);
	assert_int_equal(g->break_policy, KMEMU_WDF_BREAK_CONTINUE);
	assert_true(kmemu__wdf_verification_enabled(g, 9));
	kmemu_wdf_driver_unload(d);
	/* the machine's configuration: verifier off */
	kt_config(&cfg, 16 * KT_MIB, KMEMU_PLACE_DEFAULT, 0);
	cfg.verifier = 0;
	use_default_machine(&cfg);
	assert_status(kmemu_wdf_driver_create("cfg", &o, NULL, &d), STATUS_SUCCESS);
	assert_int_equal(kmemu_wdf_driver_verifier(d), 0);
	kmemu_wdf_driver_unload(d);
	/* the environment of a default machine; a bad value keeps the default */
	setenv("KMEMU_VERIFIER", "0", 1);
	use_default_machine(NULL);
	assert_status(kmemu_wdf_driver_create("env", &o, NULL, &d), STATUS_SUCCESS);
	assert_int_equal(kmemu_wdf_driver_verifier(d), 0);
	assert_false(kmemu__wdf_verification_enabled((void *)d, 1));
	kmemu_wdf_driver_unload(d);
	setenv("KMEMU_VERIFIER", "maybe", 1);
	use_default_machine(NULL);
	assert_status(kmemu_wdf_driver_create("env", &o, NULL, &d), STATUS_SUCCESS);
	assert_int_equal(kmemu_wdf_driver_verifier(d), 1);
	/* bound to KMDF 1.7: version-gated checks of 1.9 are off unless VerifyDownLevel */
	assert_false(kmemu__wdf_verification_enabled((void *)d, 9));
	assert_true(kmemu__wdf_verification_enabled((void *)d, 7));
	kmemu_wdf_driver_unload(d);
	o.verify_down_level = 1;
	assert_status(kmemu_wdf_driver_create("env", &o, NULL, &d), STATUS_SUCCESS);
	assert_true(kmemu__wdf_verification_enabled((void *)d, 9));
	kmemu_wdf_driver_unload(d);
	/* the options win over the machine; KMEMU_WDF_BREAK sets the policy */
	setenv("KMEMU_VERIFIER", "0", 1);
	use_default_machine(NULL);
	o.has_verifier = 1;
	o.verifier = 1;
	setenv("KMEMU_WDF_BREAK", "fatal", 1);
	assert_status(kmemu_wdf_driver_create("env", &o, NULL, &d), STATUS_SUCCESS);
	assert_int_equal(kmemu_wdf_driver_verifier(d), 1);
	ar.obj = kmemu_wdf_driver_handle(d);
	expect_bugcheck(call_delete, &ar, KMODE_EXCEPTION_NOT_HANDLED, 0x80000003u, ANY, ANY);
	kmemu_wdf_driver_unload(d);
	o.break_policy = KMEMU_WDF_BREAK_CONTINUE;
	assert_status(kmemu_wdf_driver_create("env", &o, NULL, &d), STATUS_SUCCESS);
	ar.obj = kmemu_wdf_driver_handle(d);
	expect_no_bugcheck(call_delete, &ar);
	kmemu_wdf_driver_unload(d);
	unsetenv("KMEMU_VERIFIER");
	unsetenv("KMEMU_WDF_BREAK");
}

static void test_wdf_no_driver(void **state)
{
	struct args a = { 0 };
	KT_BEGIN();

	(void)state;
	expect_bugcheck(call_create, &a, WDF_VIOLATION, WDF_VERIFIER_FATAL_ERROR, 0, 0);
	assert_null(WdfGetDriver());
	KMEMU_TEST_CLEAN();
}

/* ---- WdfMemoryCreate ----------------------------------------------------------- */

static int n_cleanup_m;
static VOID NTAPI cleanup_count(WDFOBJECT o)
{
	(void)o;
	n_cleanup_m++;
}

static void test_wdf_memory_create(void **state)
{
	static const size_t sizes[] = { 1, 100, PAGE_SIZE - 1, PAGE_SIZE, 3 * PAGE_SIZE + 5 };
	WDF_OBJECT_ATTRIBUTES a;
	KT_BEGIN();

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = drv_new(v);

		for (size_t i = 0; i < KT_ARRAY_SIZE(sizes); i++) {
			PVOID buf = NULL, got;
			size_t sz = 0;
			WDFMEMORY m = mem_new(sizes[i], &buf);

			got = WdfMemoryGetBuffer(m, &sz);
			assert_ptr_equal(got, buf);
			assert_int_equal(sz, sizes[i]);
			assert_ptr_equal(WdfMemoryGetBuffer(m, NULL), buf);
			/* not zeroed: poisoned */
			for (size_t k = 0; k < sizes[i]; k++)
				if (((uint8_t *)buf)[k] != KMEMU_WDF_POISON)
					fail_msg("byte %zu is 0x%02X", k, ((uint8_t *)buf)[k]);
			if (sizes[i] >= PAGE_SIZE)
				assert_int_equal((uintptr_t)buf % PAGE_SIZE, 0);
			memset(buf, 0x5A, sizes[i]);  /* the whole buffer is writable */
			WdfObjectDelete(m);
		}
		/* Buffer is optional; the default parent is the driver */
		n_cleanup_m = 0;
		WDF_OBJECT_ATTRIBUTES_INIT(&a);
		a.EvtCleanupCallback = cleanup_count;
		{
			WDFMEMORY m = NULL;

			assert_status(WdfMemoryCreate(&a, PagedPool, 0x54736554u, 10, &m, NULL),
				      STATUS_SUCCESS);
			assert_int_equal(((struct kmemu_wdf_memory *)kmemu__wdf_decode(m))->tag,
					 0x54736554u);
			assert_ptr_equal(kmemu__wdf_decode(m)->parent,
					 kmemu__wdf_decode(kmemu_wdf_driver_handle(d)));
		}
		assert_int_equal(drv_stats(d).memory_objects, 1);
		kmemu_wdf_driver_unload(d);  /* deletes it */
		assert_int_equal(n_cleanup_m, 1);
	}
	KMEMU_TEST_CLEAN();
}

static void test_wdf_memory_create_statuses(void **state)
{
	static const WDF_OBJECT_CONTEXT_TYPE_INFO bad_ti = { 8, "X", 4, NULL, NULL };
	static const WDF_OBJECT_CONTEXT_TYPE_INFO noname_ti = {
		sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), NULL, 4, NULL, NULL };
	static const WDF_OBJECT_CONTEXT_TYPE_INFO ti = {
		sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), "T", 16, NULL, NULL };
	struct kmemu_wdf_driver *d;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m;
	PVOID buf;
	struct args ar = { 0 };
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	/* size 0: STATUS_INVALID_PARAMETER, *Memory and *Buffer untouched */
	m = (WDFMEMORY)(uintptr_t)0x77;
	buf = (PVOID)(uintptr_t)0x88;
	assert_status(WdfMemoryCreate(NULL, NonPagedPool, 0, 0, &m, &buf), STATUS_INVALID_PARAMETER);
	assert_ptr_equal(m, (WDFMEMORY)(uintptr_t)0x77);
	assert_ptr_equal(buf, (PVOID)(uintptr_t)0x88);
	/* NULL Memory: 0x10D/4, p2 = 0, p3 = the caller, p4 = the globals */
	expect_bugcheck(call_create_null_memory, &ar, WDF_VIOLATION,
			WDF_REQUIRED_PARAMETER_IS_NULL, 0, ANY);
	/* attributes, in order; *Memory = NULL before they are checked */
#define BAD_ATTR(init, expected)                                                         \
	do {                                                                             \
		WDF_OBJECT_ATTRIBUTES_INIT(&a);                                          \
		init;                                                                    \
		m = (WDFMEMORY)(uintptr_t)0x77;                                          \
		assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, &buf), expected); \
		assert_null(m);                                                          \
	} while (0)
	BAD_ATTR(a.Size = 4, STATUS_INFO_LENGTH_MISMATCH);
	BAD_ATTR(a.ContextTypeInfo = &bad_ti, STATUS_INFO_LENGTH_MISMATCH);
	BAD_ATTR(a.ContextTypeInfo = &noname_ti, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	BAD_ATTR(a.ContextSizeOverride = 8, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	BAD_ATTR((a.ContextTypeInfo = &ti, a.ContextSizeOverride = 8),
		 STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	BAD_ATTR(a.ExecutionLevel = WdfExecutionLevelInvalid, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	BAD_ATTR(a.ExecutionLevel = 4, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	BAD_ATTR(a.SynchronizationScope = WdfSynchronizationScopeInvalid,
		 STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	BAD_ATTR(a.SynchronizationScope = 5, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	BAD_ATTR(a.SynchronizationScope = WdfSynchronizationScopeDevice,
		 STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID);
	BAD_ATTR(a.SynchronizationScope = WdfSynchronizationScopeQueue,
		 STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID);
	BAD_ATTR(a.ExecutionLevel = WdfExecutionLevelPassive, STATUS_WDF_EXECUTION_LEVEL_INVALID);
	BAD_ATTR((a.ExecutionLevel = WdfExecutionLevelDispatch,
		  a.SynchronizationScope = WdfSynchronizationScopeQueue),
		 STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID);
	/* zeroed attributes with only Size set */
	memset(&a, 0, sizeof(a));
	a.Size = sizeof(a);
	assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL),
		      STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
	/* SynchronizationScopeNone is fine; the override may exceed the type */
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.SynchronizationScope = WdfSynchronizationScopeNone;
	a.ContextTypeInfo = &ti;
	a.ContextSizeOverride = 64;
	assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
	WdfObjectDelete(m);
	/* a context no pool can hold */
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ContextTypeInfo = &ti;
	a.ContextSizeOverride = (size_t)1 << 50;
	m = (WDFMEMORY)(uintptr_t)0x77;
	assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL),
		      STATUS_INSUFFICIENT_RESOURCES);
	assert_null(m);
	/* a buffer no pool can hold */
	m = (WDFMEMORY)(uintptr_t)0x77;
	assert_status(WdfMemoryCreate(NULL, NonPagedPool, 0, (size_t)1 << 60, &m, &buf),
		      STATUS_INSUFFICIENT_RESOURCES);
	assert_null(m);
	assert_ptr_equal(buf, (PVOID)(uintptr_t)0x88);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

static void test_wdf_validate_attribute_options(void **state)
{
	WDF_OBJECT_ATTRIBUTES a;

	(void)state;
	/* devices and queues accept scopes and levels; memory does not */
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.SynchronizationScope = WdfSynchronizationScopeQueue;
	a.ExecutionLevel = WdfExecutionLevelPassive;
	assert_status(kmemu__wdf_validate_attributes(&a, 0), STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID);
	assert_status(kmemu__wdf_validate_attributes(&a, KMEMU_WDF_ATTR_SYNC_SCOPE_ALLOWED),
		      STATUS_WDF_EXECUTION_LEVEL_INVALID);
	assert_status(kmemu__wdf_validate_attributes(&a, KMEMU_WDF_ATTR_SYNC_SCOPE_ALLOWED |
							     KMEMU_WDF_ATTR_EXEC_LEVEL_ALLOWED),
		      STATUS_SUCCESS);
	/* parent rules */
	assert_status(kmemu__wdf_validate_attributes(NULL, KMEMU_WDF_ATTR_PARENT_REQUIRED),
		      STATUS_WDF_PARENT_NOT_SPECIFIED);
	assert_status(kmemu__wdf_validate_attributes(NULL, KMEMU_WDF_ATTR_PARENT_NOT_ALLOWED),
		      STATUS_SUCCESS);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	assert_status(kmemu__wdf_validate_attributes(&a, KMEMU_WDF_ATTR_PARENT_REQUIRED),
		      STATUS_WDF_PARENT_NOT_SPECIFIED);
	a.ParentObject = (WDFOBJECT)(uintptr_t)0x10;
	assert_status(kmemu__wdf_validate_attributes(&a, KMEMU_WDF_ATTR_PARENT_REQUIRED),
		      STATUS_SUCCESS);
	assert_status(kmemu__wdf_validate_attributes(&a, KMEMU_WDF_ATTR_PARENT_NOT_ALLOWED),
		      STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
	/* the size rule comes first whatever the options */
	a.Size = 0;
	assert_status(kmemu__wdf_validate_attributes(&a, KMEMU_WDF_ATTR_PARENT_NOT_ALLOWED),
		      STATUS_INFO_LENGTH_MISMATCH);
}

static void test_wdf_memory_create_irql(void **state)
{
	WDFMEMORY m;
	KT_BEGIN();

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = drv_new(v);
		NTSTATUS paged_dispatch = v ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS;

		assert_status(kmemu_irql_set(APC_LEVEL, NULL), STATUS_SUCCESS);
		assert_status(WdfMemoryCreate(NULL, PagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
		WdfObjectDelete(m);
		assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
		m = (WDFMEMORY)(uintptr_t)0x77;
		assert_status(WdfMemoryCreate(NULL, PagedPool, 0, 8, &m, NULL), paged_dispatch);
		if (v)  /* the IRQL check comes before *Memory = NULL */
			assert_ptr_equal(m, (WDFMEMORY)(uintptr_t)0x77);
		else
			WdfObjectDelete(m);
		assert_status(WdfMemoryCreate(NULL, PagedPoolCacheAligned | 256, 0, 8, &m, NULL),
			      paged_dispatch);
		if (!v)
			WdfObjectDelete(m);
		assert_status(WdfMemoryCreate(NULL, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
		WdfObjectDelete(m);
		assert_status(kmemu_irql_set(DISPATCH_LEVEL + 1, NULL), STATUS_SUCCESS);
		assert_status(WdfMemoryCreate(NULL, NonPagedPool, 0, 8, &m, NULL),
			      v ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS);
		assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
		kmemu_wdf_run_deferred();
		if (!v)
			WdfObjectDelete(m);
		/* verifier on: each IRQL failure is a message and a break */
		assert_int_equal(drv_stats(d).breaks, v ? 3 : 0);
		kmemu_wdf_driver_unload(d);
	}
	KMEMU_TEST_CLEAN();
}

/* ---- WdfMemoryCreatePreallocated / AssignBuffer / GetBuffer / Copy ----------------- */

static void test_wdf_memory_preallocated(void **state)
{
	uint8_t b1[32], b2[8];
	struct args ar = { 0 };
	WDFMEMORY m;
	size_t sz;
	KT_BEGIN();

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = drv_new(v);

		memset(b1, 0x11, sizeof(b1));
		/* no IRQL check, even with the verifier */
		assert_status(kmemu_irql_set(HIGH_LEVEL, NULL), STATUS_SUCCESS);
		assert_status(WdfMemoryCreatePreallocated(NULL, b1, sizeof(b1), &m), STATUS_SUCCESS);
		assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
		assert_ptr_equal(WdfMemoryGetBuffer(m, &sz), b1);
		assert_int_equal(sz, sizeof(b1));
		/* the caller's buffer is not touched */
		assert_int_equal(b1[0], 0x11);
		/* AssignBuffer: accepted, repoints; any IRQL */
		assert_status(kmemu_irql_set(HIGH_LEVEL, NULL), STATUS_SUCCESS);
		assert_status(WdfMemoryAssignBuffer(m, b2, sizeof(b2)), STATUS_SUCCESS);
		assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
		assert_ptr_equal(WdfMemoryGetBuffer(m, &sz), b2);
		assert_int_equal(sz, sizeof(b2));
		assert_status(WdfMemoryAssignBuffer(m, b2, 0), STATUS_INVALID_PARAMETER);
		ar.mem = m;
		ar.buf = NULL;
		ar.size = 4;
		expect_bugcheck(call_assign, &ar, WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL, 0,
				ANY);
		WdfObjectDelete(m);
		/* deleting never frees the caller's buffer (it is on our stack) */
		b1[1] = 1;
		/* *Memory = NULL before the size check */
		m = (WDFMEMORY)(uintptr_t)0x77;
		assert_status(WdfMemoryCreatePreallocated(NULL, b1, 0, &m), STATUS_INVALID_PARAMETER);
		assert_null(m);
		expect_bugcheck(call_prealloc_null_buffer, &ar, WDF_VIOLATION,
				WDF_REQUIRED_PARAMETER_IS_NULL, 0, ANY);
		expect_bugcheck(call_prealloc_null_memory, &ar, WDF_VIOLATION,
				WDF_REQUIRED_PARAMETER_IS_NULL, 0, ANY);
		{
			WDF_OBJECT_ATTRIBUTES a;

			WDF_OBJECT_ATTRIBUTES_INIT(&a);
			a.Size = 1;
			m = (WDFMEMORY)(uintptr_t)0x77;
			assert_status(WdfMemoryCreatePreallocated(&a, b1, 4, &m),
				      STATUS_INFO_LENGTH_MISMATCH);
			assert_null(m);
		}
		kmemu_wdf_driver_unload(d);
	}
	KMEMU_TEST_CLEAN();
}

static void test_wdf_memory_assign_on_create_memory(void **state)
{
	struct kmemu_wdf_driver *d;
	struct args ar = { 0 };
	uint8_t b[4];
	KT_BEGIN();

	(void)state;
	d = drv_new(0);  /* unconditional */
	ar.mem = mem_new(16, NULL);
	ar.buf = b;
	ar.size = sizeof(b);
	expect_bugcheck(call_assign, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE, (uintptr_t)ar.mem,
			KMEMU_FX_TYPE_MEMORY_PREALLOCATED);
	/* nothing changed */
	assert_int_equal(((struct kmemu_wdf_memory *)kmemu__wdf_decode(ar.mem))->size, 16);
	/* a NULL handle: p2 = 0 */
	ar.mem = NULL;
	expect_bugcheck(call_assign, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
			KMEMU_FX_TYPE_MEMORY_PREALLOCATED);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

static void test_wdf_memory_copy(void **state)
{
	struct kmemu_wdf_driver *d;
	struct args ar = { 0 };
	uint8_t out[64], in[64];
	WDFMEMORY m;
	PVOID buf;
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	m = mem_new(32, &buf);
	for (int i = 0; i < 64; i++)
		in[i] = (uint8_t)i;
	/* From: into the memory */
	assert_status(WdfMemoryCopyFromBuffer(m, 0, in, 32), STATUS_SUCCESS);
	assert_memory_equal(buf, in, 32);
	assert_status(WdfMemoryCopyFromBuffer(m, 30, in, 2), STATUS_SUCCESS);
	assert_int_equal(((uint8_t *)buf)[31], 1);
	assert_status(WdfMemoryCopyFromBuffer(m, 0, in, 0), STATUS_INVALID_PARAMETER);
	assert_status(WdfMemoryCopyFromBuffer(m, 32, in, 1), STATUS_INVALID_BUFFER_SIZE);
	assert_status(WdfMemoryCopyFromBuffer(m, 31, in, 2), STATUS_INVALID_BUFFER_SIZE);
	assert_status(WdfMemoryCopyFromBuffer(m, 0, in, 33), STATUS_INVALID_BUFFER_SIZE);
	assert_status(WdfMemoryCopyFromBuffer(m, SIZE_MAX, in, 1), STATUS_INVALID_BUFFER_SIZE);
	/* To: out of the memory */
	memset(out, 0, sizeof(out));
	assert_status(WdfMemoryCopyToBuffer(m, 4, out, 8), STATUS_SUCCESS);
	assert_memory_equal(out, (uint8_t *)buf + 4, 8);
	assert_status(WdfMemoryCopyToBuffer(m, 0, out, 0), STATUS_INVALID_PARAMETER);
	assert_status(WdfMemoryCopyToBuffer(m, 32, out, 1), STATUS_BUFFER_TOO_SMALL);
	assert_status(WdfMemoryCopyToBuffer(m, 31, out, 2), STATUS_BUFFER_TOO_SMALL);
	assert_status(WdfMemoryCopyToBuffer(m, 0, out, 33), STATUS_BUFFER_TOO_SMALL);
	/* NULL buffers: 0x10D/4 in both directions */
	ar.mem = m;
	ar.size = 4;
	expect_bugcheck(call_copy_to, &ar, WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL, 0, ANY);
	expect_bugcheck(call_copy_from, &ar, WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL, 0, ANY);
	/* the handle check comes first */
	ar.mem = NULL;
	expect_bugcheck(call_copy_to, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
			KMEMU_IFX_TYPE_MEMORY);
	expect_bugcheck(call_copy_from, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
			KMEMU_IFX_TYPE_MEMORY);
	expect_bugcheck(call_get_buffer, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
			KMEMU_IFX_TYPE_MEMORY);
	WdfObjectDelete(m);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

/* ---- handles ----------------------------------------------------------------------- */

static void test_wdf_handles(void **state)
{
	struct args ar = { 0 };
	KT_BEGIN();

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = drv_new(v);
		WDFMEMORY m = mem_new(8, NULL);

		/* a handle is not the object's address */
		assert_ptr_not_equal((void *)m, (void *)kmemu__wdf_decode(m));
		assert_ptr_equal(kmemu__wdf_handle(kmemu__wdf_decode(m)), m);
		WdfObjectDelete(m);
		/* stale: verifier on 0x10D/5; off the freed-memory page fault */
		ar.mem = m;
		if (v)
			expect_bugcheck(call_get_buffer, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE,
					(uintptr_t)m, KMEMU_IFX_TYPE_MEMORY);
		else
			expect_bugcheck(call_get_buffer, &ar, PAGE_FAULT_IN_NONPAGED_AREA,
					(uintptr_t)kmemu__wdf_decode(m), 0, 0);
		/* garbage */
		ar.obj = (WDFOBJECT)(uintptr_t)0x12345678;
		expect_bugcheck(call_delete, &ar, v ? WDF_VIOLATION : PAGE_FAULT_IN_NONPAGED_AREA,
				v ? WDF_INVALID_HANDLE : (uintptr_t)kmemu__wdf_decode(ar.obj), ANY,
				ANY);
		/* NULL and wrong type: 0x10D/5 whatever the verifier */
		ar.obj = NULL;
		expect_bugcheck(call_delete, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE, 0,
				KMEMU_FX_TYPE_OBJECT);
		m = mem_new(8, NULL);
		ar.obj = m;
		expect_bugcheck(call_registry_path, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE,
				(uintptr_t)m, KMEMU_FX_TYPE_DRIVER);
		ar.mem = (WDFMEMORY)kmemu_wdf_driver_handle(d);
		expect_bugcheck(call_get_buffer, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE,
				(uintptr_t)ar.mem, KMEMU_IFX_TYPE_MEMORY);
		WdfObjectDelete(m);
		kmemu_wdf_driver_unload(d);
	}
	KMEMU_TEST_CLEAN();
}

/* ---- object model ----------------------------------------------------------------- */

static char order[64];
static size_t n_order;
static WDFOBJECT h_parent, h_child1, h_child2, h_grand;

static char name_of(WDFOBJECT o)
{
	return o == h_parent ? 'P' : o == h_child1 ? 'A' : o == h_child2 ? 'B' : o == h_grand ? 'G' : '?';
}

static VOID NTAPI rec_cleanup(WDFOBJECT o)
{
	order[n_order++] = 'c';
	order[n_order++] = name_of(o);
}

static VOID NTAPI rec_destroy(WDFOBJECT o)
{
	order[n_order++] = 'd';
	order[n_order++] = name_of(o);
}

static WDFMEMORY mem_child(WDFOBJECT parent)
{
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ParentObject = parent;
	a.EvtCleanupCallback = rec_cleanup;
	a.EvtDestroyCallback = rec_destroy;
	assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
	return m;
}

static void test_wdf_delete_order(void **state)
{
	struct kmemu_wdf_driver *d;
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	n_order = 0;
	memset(order, 0, sizeof(order));
	h_parent = mem_child(NULL);
	h_child1 = mem_child(h_parent);
	h_child2 = mem_child(h_parent);
	h_grand = mem_child(h_child1);
	WdfObjectReference(h_child2);  /* B outlives the delete */
	WdfObjectDelete(h_parent);
	/* cleanups children first, in list order, depth first; then destroys
	 * (B still referenced) */
	assert_string_equal(order, "cGcAcBcPdGdAdP");
	WdfObjectDereference(h_child2);
	assert_string_equal(order, "cGcAcBcPdGdAdPdB");
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

static void test_wdf_cleanup_at_delete_destroy_at_zero(void **state)
{
	struct kmemu_wdf_driver *d;
	struct args ar = { 0 };
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	n_order = 0;
	memset(order, 0, sizeof(order));
	h_parent = mem_child(NULL);
	WdfObjectReferenceWithTag(h_parent, (PVOID)test_wdf_delete_order);
	WdfObjectReferenceWithTag(h_parent, (PVOID)test_wdf_delete_order);
	assert_int_equal(kmemu__wdf_object_tag_count(kmemu__wdf_decode(h_parent),
						     (PVOID)test_wdf_delete_order), 2);
	WdfObjectDelete(h_parent);
	assert_string_equal(order, "cP");
	/* a second delete of a live object is dropped */
	WdfObjectDelete(h_parent);
	assert_string_equal(order, "cP");
	/* the object still resolves while referenced */
	ar.mem = h_parent;
	expect_no_bugcheck(call_get_buffer, &ar);
	assert_non_null(ar.ptr);
	WdfObjectDereferenceWithTag(h_parent, (PVOID)test_wdf_delete_order);
	assert_int_equal(kmemu__wdf_object_tag_count(kmemu__wdf_decode(h_parent),
						     (PVOID)test_wdf_delete_order), 1);
	assert_string_equal(order, "cP");
	WdfObjectDereferenceWithTag(h_parent, (PVOID)test_wdf_delete_order);
	assert_string_equal(order, "cPdP");
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

static void test_wdf_dereference_never_deleted(void **state)
{
	struct args ar = { 0 };
	KT_BEGIN();

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = drv_new(v);
		WDFMEMORY m = mem_new(8, NULL);

		ar.obj = m;
		expect_bugcheck(call_dereference, &ar, WDF_VIOLATION, WDF_OBJECT_ERROR, (uintptr_t)m,
				(uintptr_t)kmemu__wdf_decode(m));
		/* the reference was kept: the object is intact */
		expect_no_bugcheck(call_reference, &ar);
		expect_no_bugcheck(call_dereference, &ar);
		/* NULL handles: 0x10D/4 for both */
		ar.obj = NULL;
		expect_bugcheck(call_reference, &ar, WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL, 0,
				ANY);
		expect_bugcheck(call_dereference, &ar, WDF_VIOLATION,
				WDF_REQUIRED_PARAMETER_IS_NULL, 0, ANY);
		WdfObjectDelete(m);
		kmemu_wdf_driver_unload(d);
	}
	KMEMU_TEST_CLEAN();
}

static void test_wdf_delete_no_delete_object(void **state)
{
	struct kmemu_wdf_driver_options o = { .verifier = 1, .has_verifier = 1, .quiet = 1,
					      .break_policy = KMEMU_WDF_BREAK_FATAL };
	struct kmemu_wdf_driver *d;
	struct args ar = { 0 };
	KT_BEGIN();

	(void)state;
	for (int v = 0; v < 2; v++) {
		d = drv_new(v);
		ar.obj = kmemu_wdf_driver_handle(d);
		expect_no_bugcheck(call_delete, &ar);
		/* nothing happened; verifier on: a break */
		assert_non_null(WdfDriverGetRegistryPath((WDFDRIVER)ar.obj));
		assert_int_equal(drv_stats(d).breaks, v ? 1 : 0);
		assert_int_equal(drv_stats(d).messages, 2);
		kmemu_wdf_driver_unload(d);
	}
	/* break policy fatal: the break is bug check 0x1E / STATUS_BREAKPOINT */
	assert_status(kmemu_wdf_driver_create("fatal", &o, NULL, &d), STATUS_SUCCESS);
	ar.obj = kmemu_wdf_driver_handle(d);
	expect_bugcheck(call_delete, &ar, KMODE_EXCEPTION_NOT_HANDLED, 0x80000003u, ANY, ANY);
	kmemu_wdf_driver_unload(d);
	/* verifier off: no break whatever the policy */
	o.verifier = 0;
	assert_status(kmemu_wdf_driver_create("fatal", &o, NULL, &d), STATUS_SUCCESS);
	ar.obj = kmemu_wdf_driver_handle(d);
	expect_no_bugcheck(call_delete, &ar);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

/* EvtCleanupCallback of the parent creating a child of it: DELETE_PENDING. */
static NTSTATUS nested_status;
static VOID NTAPI cleanup_creates_child(WDFOBJECT o)
{
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;

	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ParentObject = o;
	nested_status = WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL);
}

static const struct kmemu_wdf_object_ops test_ops = { .name = "TEST" };

static void test_wdf_commit_rules(void **state)
{
	struct kmemu_wdf_driver *d;
	struct kmemu_wdf_globals *g;
	struct kmemu_wdf_object *o;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY p;
	WDFOBJECT h = NULL;
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	g = (struct kmemu_wdf_globals *)(void *)d;
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.EvtCleanupCallback = cleanup_creates_child;
	assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &p, NULL), STATUS_SUCCESS);
	nested_status = 0;
	WdfObjectDelete(p);
	assert_status(nested_status, STATUS_DELETE_PENDING);
	/* internal commits: parent is self, parent already assigned */
	o = kmemu__wdf_object_new(g, sizeof(*o), KMEMU_FX_TYPE_OBJECT,
				  &test_ops, NULL, 0);
	assert_non_null(o);
	assert_status(kmemu__wdf_object_commit(o, NULL, o, "test", &h), STATUS_WDF_PARENT_IS_SELF);
	assert_null(h);
	o = kmemu__wdf_object_new(g, sizeof(*o), KMEMU_FX_TYPE_OBJECT,
				  &test_ops, NULL, 0);
	o->parent = g->driver;  /* as if parented already */
	assert_status(kmemu__wdf_object_commit(o, NULL, NULL, "test", &h),
		      STATUS_WDF_PARENT_ALREADY_ASSIGNED);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

/* ---- contexts ---------------------------------------------------------------------- */

typedef struct _MY_CONTEXT {
	int value;
	char name[20];
} MY_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(MY_CONTEXT, GetMyContext)

typedef struct _OTHER_CONTEXT {
	uint64_t x[4];
} OTHER_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE(OTHER_CONTEXT)

static void call_context_get_object(void *p)
{
	struct args *a = p;

	a->obj = WdfObjectContextGetObject(a->ptr);
}

static void test_wdf_contexts(void **state)
{
	struct kmemu_wdf_driver *d;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m;
	MY_CONTEXT *c;
	OTHER_CONTEXT *oc;
	PVOID got = NULL;
	struct args ar = { 0 };
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, MY_CONTEXT);
	a.ContextSizeOverride = sizeof(MY_CONTEXT) + 100;
	assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
	c = GetMyContext(m);
	assert_non_null(c);
	/* zeroed, and as large as the override */
	for (size_t i = 0; i < sizeof(MY_CONTEXT) + 100; i++)
		assert_int_equal(((uint8_t *)c)[i], 0);
	assert_ptr_equal(WdfObjectGetTypedContext(m, MY_CONTEXT), c);
	assert_null(WdfObjectGet_OTHER_CONTEXT(m));
	assert_ptr_equal(WdfObjectContextGetObject(c), m);
	/* a second context type */
	WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, OTHER_CONTEXT);
	assert_status(WdfObjectAllocateContext(m, &a, (PVOID *)&oc), STATUS_SUCCESS);
	assert_ptr_equal(WdfObjectGet_OTHER_CONTEXT(m), oc);
	assert_ptr_equal(WdfObjectContextGetObject(oc), m);
	assert_status(WdfObjectAllocateContext(m, &a, &got), STATUS_OBJECT_NAME_EXISTS);
	assert_ptr_equal(got, oc);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	assert_status(WdfObjectAllocateContext(m, &a, &got), STATUS_OBJECT_NAME_INVALID);
	WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, OTHER_CONTEXT);
	a.ParentObject = m;
	assert_status(WdfObjectAllocateContext(m, &a, &got), STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
	a.ParentObject = NULL;
	a.Size = 3;
	assert_status(WdfObjectAllocateContext(m, &a, &got), STATUS_INFO_LENGTH_MISMATCH);
	/* a pointer that is no context */
	ar.ptr = &ar;
	expect_bugcheck(call_context_get_object, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE,
			(uintptr_t)&ar, KMEMU_FX_TYPE_OBJECT);
	WdfObjectDelete(m);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

/* ---- deferred disposal, leaks, backend close ---------------------------------------- */

static void test_wdf_deferred_dispose(void **state)
{
	struct kmemu_wdf_driver *d;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY paged, nonpaged;
	KT_BEGIN();

	(void)state;
	d = drv_new(0);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.EvtCleanupCallback = cleanup_count;
	assert_status(WdfMemoryCreate(&a, PagedPool, 0, 8, &paged, NULL), STATUS_SUCCESS);
	assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &nonpaged, NULL), STATUS_SUCCESS);
	n_cleanup_m = 0;
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	WdfObjectDelete(nonpaged);
	assert_int_equal(n_cleanup_m, 1);  /* at once */
	WdfObjectDelete(paged);
	assert_int_equal(n_cleanup_m, 1);  /* queued to PASSIVE_LEVEL */
	assert_int_equal(kmemu_wdf_run_deferred(), 0);  /* still at DISPATCH_LEVEL */
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	assert_int_equal(kmemu_wdf_run_deferred(), 1);
	assert_int_equal(n_cleanup_m, 2);
	/* also at the next WDF call at PASSIVE_LEVEL */
	assert_status(WdfMemoryCreate(&a, PagedPool, 0, 8, &paged, NULL), STATUS_SUCCESS);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	WdfObjectDelete(paged);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	assert_int_equal(n_cleanup_m, 2);
	assert_non_null(WdfGetDriver());
	assert_int_equal(n_cleanup_m, 3);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

static int n_destroy_m;
static VOID NTAPI destroy_count(WDFOBJECT o)
{
	(void)o;
	n_destroy_m++;
}

static void test_wdf_deferred_destroy(void **state)
{
	struct kmemu_wdf_driver *d;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY paged;
	struct args ar = { 0 };
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.EvtDestroyCallback = destroy_count;
	n_destroy_m = 0;
	assert_status(WdfMemoryCreate(&a, PagedPool, 0, 8, &paged, NULL), STATUS_SUCCESS);
	WdfObjectReference(paged);
	WdfObjectDelete(paged);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	WdfObjectDereference(paged);  /* the last reference, above PASSIVE_LEVEL */
	assert_int_equal(n_destroy_m, 0);
	/* gone for the driver: its handle is stale already */
	ar.mem = paged;
	expect_bugcheck(call_get_buffer, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE, (uintptr_t)paged,
			KMEMU_IFX_TYPE_MEMORY);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	assert_int_equal(kmemu_wdf_run_deferred(), 1);
	assert_int_equal(n_destroy_m, 1);
	assert_int_equal(kmemu_wdf_driver_unload(d), 0);
	KMEMU_TEST_CLEAN();
}

static void test_wdf_unload_at_dispatch(void **state)
{
	struct kmemu_wdf_driver *d;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY paged;
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.EvtCleanupCallback = cleanup_count;
	n_cleanup_m = 0;
	assert_status(WdfMemoryCreate(&a, PagedPool, 0, 8, &paged, NULL), STATUS_SUCCESS);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	WdfObjectDelete(paged);
	/* unloading at the wrong IRQL: the queued delete cannot run; the object
	 * is reported and freed, and the queue forgets it */
	assert_int_equal(kmemu_wdf_driver_unload(d), 1);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	assert_int_equal(kmemu_wdf_run_deferred(), 0);
	assert_int_equal(n_cleanup_m, 0);
	KMEMU_TEST_CLEAN();
}

static void test_wdf_leak_report(void **state)
{
	KT_BEGIN();

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = drv_new(v);
		struct kmemu_wdf_driver_stats s;
		WDFMEMORY m = mem_new(100, NULL);

		WdfObjectReference(m);  /* never dropped */
		(void)mem_new(10, NULL); /* parented to the driver: not a leak */
		s = drv_stats(d);
		assert_int_equal(s.memory_objects, 2);
		assert_int_equal(s.objects, 3);
		/* the referenced one outlives the WDFDRIVER: a leak, freed anyway */
		assert_int_equal(kmemu_wdf_driver_unload(d), 1);
	}
	/* freed at unload in both modes: KMEMU_TEST_CLEAN sees no heap left */
	KMEMU_TEST_CLEAN();
}

static int n_close_unload;
static VOID NTAPI close_unload(WDFDRIVER Driver)
{
	WDFMEMORY m = NULL;

	(void)Driver;
	n_close_unload++;
	/* WDF calls still work from EvtDriverUnload at machine close */
	assert_status(WdfMemoryCreate(NULL, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
}

static void test_wdf_backend_close_unloads(void **state)
{
	struct kmemu_wdf_driver *d;
	WDF_DRIVER_CONFIG c;

	(void)state;
	WDF_DRIVER_CONFIG_INIT(&c, NULL);
	c.DriverInitFlags = WdfDriverInitNonPnpDriver;
	c.EvtDriverUnload = close_unload;
	n_close_unload = 0;
	assert_status(kmemu_wdf_driver_create("closing", NULL, &c, &d), STATUS_SUCCESS);
	(void)mem_new(64, NULL);
	kt_close_backend();
	assert_int_equal(n_close_unload, 1);
	assert_int_equal(setup(NULL), 0);
}

/* ---- a bug-check handler that returns ---------------------------------------------- */

/* WdfObjectAllocateContext: above DISPATCH_LEVEL with the verifier
 * STATUS_INVALID_DEVICE_REQUEST and a break (off: allocated); on an object
 * being deleted (from its own cleanup callback) STATUS_DELETE_PENDING. */
static NTSTATUS cleanup_ctx_status;

static VOID NTAPI cleanup_allocates_context(WDFOBJECT o)
{
	WDF_OBJECT_ATTRIBUTES a;
	PVOID c = NULL;

	WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, OTHER_CONTEXT);
	cleanup_ctx_status = WdfObjectAllocateContext(o, &a, &c);
}

static void test_wdf_allocate_context_statuses(void **state)
{
	KT_BEGIN();

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = drv_new(v);
		struct kmemu_wdf_driver_stats s0, s1;
		WDF_OBJECT_ATTRIBUTES a;
		WDFMEMORY m = mem_new(8, NULL);
		PVOID c = NULL;

		WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, OTHER_CONTEXT);
		assert_status(kmemu_wdf_driver_stats(d, &s0), STATUS_SUCCESS);
		assert_status(kmemu_irql_set(DISPATCH_LEVEL + 1, NULL), STATUS_SUCCESS);
		assert_status(WdfObjectAllocateContext(m, &a, &c),
			      v ? STATUS_INVALID_DEVICE_REQUEST : STATUS_SUCCESS);
		assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
		assert_status(kmemu_wdf_driver_stats(d, &s1), STATUS_SUCCESS);
		assert_u64_equal(s1.breaks, s0.breaks + (v ? 1 : 0));
		/* at DISPATCH_LEVEL it is allowed */
		assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
		assert_status(WdfObjectAllocateContext(m, &a, &c),
			      v ? STATUS_SUCCESS : STATUS_OBJECT_NAME_EXISTS);
		assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
		WdfObjectDelete(m);
		/* being deleted */
		WDF_OBJECT_ATTRIBUTES_INIT(&a);
		a.EvtCleanupCallback = cleanup_allocates_context;
		assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
		cleanup_ctx_status = STATUS_SUCCESS;
		WdfObjectDelete(m);
		assert_status(cleanup_ctx_status, STATUS_DELETE_PENDING);
		assert_int_equal(kmemu_wdf_driver_unload(d), 0);
	}
	KMEMU_TEST_CLEAN();
}

static unsigned n_handled;
static uint32_t last_code;
static void returning_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	last_code = r->code;
	n_handled++;
}

static void test_wdf_handler_returns(void **state)
{
	static const WDF_OBJECT_CONTEXT_TYPE_INFO ti = {
		sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), "T", 8, NULL, NULL };
	struct kmemu_wdf_driver *d;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m, stale, out = (WDFMEMORY)(uintptr_t)0x77;
	uint8_t b[8];
	size_t sz = 5;
	PVOID ctx = (PVOID)(uintptr_t)0x99;
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	m = mem_new(8, NULL);
	stale = mem_new(8, NULL);
	WdfObjectDelete(stale);
	n_handled = 0;
	kmemu_bugcheck_set_handler(returning_handler, NULL);
	/* each DDI fails cleanly: STATUS_UNSUCCESSFUL / NULL, nothing changed */
	assert_status(WdfMemoryCreate(NULL, NonPagedPool, 0, 8, NULL, NULL), STATUS_UNSUCCESSFUL);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.ParentObject = stale;
	assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &out, NULL), STATUS_UNSUCCESSFUL);
	assert_status(WdfMemoryCreatePreallocated(&a, b, 8, &out), STATUS_UNSUCCESSFUL);
	assert_status(WdfMemoryCreatePreallocated(NULL, NULL, 8, &out), STATUS_UNSUCCESSFUL);
	assert_ptr_equal(out, (WDFMEMORY)(uintptr_t)0x77);
	assert_status(WdfMemoryAssignBuffer(m, b, 8), STATUS_UNSUCCESSFUL);
	assert_status(WdfMemoryAssignBuffer(NULL, b, 8), STATUS_UNSUCCESSFUL);
	assert_null(WdfMemoryGetBuffer(stale, &sz));
	assert_int_equal(sz, 5);
	assert_status(WdfMemoryCopyToBuffer(m, 0, NULL, 1), STATUS_UNSUCCESSFUL);
	assert_status(WdfMemoryCopyFromBuffer(stale, 0, b, 1), STATUS_UNSUCCESSFUL);
	WdfObjectDelete(stale);
	WdfObjectReference(NULL);
	WdfObjectDereference(stale);
	WdfObjectDereference(m);  /* the creation reference of an undeleted object: kept */
	assert_null(WdfObjectGetTypedContextWorker(m, NULL));
	assert_null(WdfObjectGetTypedContextWorker(stale, &ti));
	assert_null(WdfObjectContextGetObject(b));
	assert_status(WdfObjectAllocateContext(stale, &a, &ctx), STATUS_UNSUCCESSFUL);
	assert_status(WdfObjectAllocateContext(m, NULL, &ctx), STATUS_UNSUCCESSFUL);
	assert_ptr_equal(ctx, (PVOID)(uintptr_t)0x99);
	assert_null(WdfDriverGetRegistryPath((WDFDRIVER)m));
	assert_null(WdfDriverWdmGetDriverObject((WDFDRIVER)stale));
	assert_int_equal(n_handled, 20);
	kmemu_bugcheck_set_handler(NULL, NULL);
	/* the live object is intact */
	assert_non_null(WdfMemoryGetBuffer(m, &sz));
	assert_int_equal(sz, 8);
	WdfObjectDelete(m);
	assert_int_equal(kmemu_wdf_driver_unload(d), 0);
	/* no driver at all: the DriverCreate bug check, then a clean failure */
	kmemu_bugcheck_set_handler(returning_handler, NULL);
	assert_status(WdfMemoryCreate(NULL, NonPagedPool, 0, 8, &out, NULL), STATUS_UNSUCCESSFUL);
	assert_status(WdfMemoryCreatePreallocated(NULL, b, 8, &out), STATUS_UNSUCCESSFUL);
	assert_int_equal(last_code, WDF_VIOLATION);
	kmemu_bugcheck_set_handler(NULL, NULL);
	KMEMU_TEST_CLEAN();
}

/* ---- enhanced verifier -------------------------------------------------------------- */

static VOID NTAPI cleanup_raises(WDFOBJECT o)
{
	KIRQL old;

	(void)o;
	KeRaiseIrql(DISPATCH_LEVEL, &old);  /* and never lowers it */
}

static void call_delete_raising(void *p)
{
	WdfObjectDelete(((struct args *)p)->obj);
}

static void test_wdf_enhanced_verifier(void **state)
{
	WDF_OBJECT_ATTRIBUTES a;
	struct args ar = { 0 };
	KT_BEGIN();

	(void)state;
	for (int e = 0; e < 2; e++) {
		struct kmemu_wdf_driver_options o = { .verifier = 1, .has_verifier = 1, .quiet = 1,
						      .enhanced_verifier = e };
		struct kmemu_wdf_driver *d;
		WDFMEMORY m = NULL;

		assert_status(kmemu_wdf_driver_create("enh", &o, NULL, &d), STATUS_SUCCESS);
		WDF_OBJECT_ATTRIBUTES_INIT(&a);
		a.EvtCleanupCallback = cleanup_raises;
		assert_status(WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL), STATUS_SUCCESS);
		ar.obj = m;
		if (e)
			expect_bugcheck(call_delete_raising, &ar, WDF_VIOLATION,
					WDF_VERIFIER_IRQL_MISMATCH, PASSIVE_LEVEL, DISPATCH_LEVEL);
		else
			expect_no_bugcheck(call_delete_raising, &ar);
		assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
		/* (the crashed delete leaves the object to the unload) */
		kmemu_wdf_driver_unload(d);
	}
	KMEMU_TEST_CLEAN();
}

/* ---- threads ------------------------------------------------------------------------ */

static WDFMEMORY shared_parent;

static void *thread_cycles(void *arg)
{
	uint8_t in[16] = { 0 };

	(void)arg;
	for (int i = 0; i < 500; i++) {
		WDF_OBJECT_ATTRIBUTES a;
		WDFMEMORY m = NULL, c = NULL;

		WDF_OBJECT_ATTRIBUTES_INIT(&a);
		a.ParentObject = shared_parent;
		if (WdfMemoryCreate(&a, NonPagedPool, 0, 16, &m, NULL) ||
		    WdfMemoryCopyFromBuffer(m, 0, in, sizeof(in)))
			return (void *)1;
		a.ParentObject = m;
		if (WdfMemoryCreatePreallocated(&a, in, sizeof(in), &c))
			return (void *)1;
		WdfObjectReference(c);
		WdfObjectDelete(m);
		WdfObjectDereference(c);
	}
	return NULL;
}

static void test_wdf_threads(void **state)
{
	struct kmemu_wdf_driver *d;
	pthread_t t[3];
	void *rc;
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	shared_parent = mem_new(8, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_cycles, NULL), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_null(rc);
	}
	/* the WDFDRIVER and the shared parent are left */
	assert_int_equal(drv_stats(d).objects, 2);
	WdfObjectDelete(shared_parent);
	assert_int_equal(drv_stats(d).objects, 1);
	assert_int_equal(kmemu_wdf_driver_unload(d), 0);
	KMEMU_TEST_CLEAN();
}

/* ---- request memory (the I/O half's constructors) ------------------------------------ */

static int n_release;
static void release_count(void *ctx)
{
	(void)ctx;
	n_release++;
}

static void test_wdf_request_memory(void **state)
{
	struct kmemu_wdf_driver *d;
	struct kmemu_wdf_object *req;
	struct kmemu_wdf_memory *rm;
	uint8_t kbuf[64], other[16], in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct args ar = { 0 };
	WDFMEMORY m, e;
	WDFOBJECT hreq;
	size_t sz;
	KT_BEGIN();

	(void)state;
	d = drv_new(1);
	/* a stand-in parent: any committed object works as the "request" */
	hreq = mem_new(8, NULL);
	req = kmemu__wdf_decode(hreq);
	n_release = 0;
	assert_status(kmemu__wdf_request_memory_create(req, kbuf, sizeof(kbuf), 1, release_count,
						       NULL, &m),
		      STATUS_SUCCESS);
	rm = kmemu__wdf_memory_of(kmemu__wdf_decode(m));
	assert_non_null(rm);
	assert_true(kmemu__wdf_object_is(&rm->obj, KMEMU_FX_TYPE_REQUEST_MEMORY));
	assert_true(kmemu__wdf_object_is(&rm->obj, KMEMU_FX_TYPE_MEMORY_PREALLOCATED));
	assert_true(kmemu__wdf_object_is(&rm->obj, KMEMU_IFX_TYPE_MEMORY));
	assert_true(kmemu__wdf_object_is(&rm->obj, KMEMU_FX_TYPE_OBJECT));
	assert_ptr_equal(WdfMemoryGetBuffer(m, &sz), kbuf);
	/* read-only: CopyFromBuffer refuses with a break, CopyToBuffer works */
	assert_status(WdfMemoryCopyFromBuffer(m, 0, in, 8), STATUS_ACCESS_VIOLATION);
	assert_int_equal(drv_stats(d).breaks, 1);
	assert_status(WdfMemoryCopyToBuffer(m, 0, other, 8), STATUS_SUCCESS);
	/* AssignBuffer is accepted (the locked pages stay attached) */
	assert_status(WdfMemoryAssignBuffer(m, other, sizeof(other)), STATUS_SUCCESS);
	assert_ptr_equal(WdfMemoryGetBuffer(m, &sz), other);
	assert_int_equal(sz, sizeof(other));
	/* a request's own memory does not answer FX_TYPE_MEMORY_PREALLOCATED */
	assert_status(kmemu__wdf_embedded_memory_create(req, kbuf, 16, 0, &e), STATUS_SUCCESS);
	ar.mem = e;
	ar.buf = other;
	ar.size = 4;
	expect_bugcheck(call_assign, &ar, WDF_VIOLATION, WDF_INVALID_HANDLE, (uintptr_t)e,
			KMEMU_FX_TYPE_MEMORY_PREALLOCATED);
	assert_status(WdfMemoryCopyFromBuffer(e, 0, in, 8), STATUS_SUCCESS);
	/* after the request completed: refused, with the rule named */
	kmemu__wdf_memory_set_request_completed(kmemu__wdf_decode(e), "MemAfterReqCompletedIoctlA");
	sz = 99;
	assert_null(WdfMemoryGetBuffer(e, &sz));
	assert_int_equal(sz, 0);
	assert_status(WdfMemoryCopyToBuffer(e, 0, other, 4), STATUS_INVALID_DEVICE_REQUEST);
	assert_status(WdfMemoryCopyFromBuffer(e, 0, in, 4), STATUS_INVALID_DEVICE_REQUEST);
	assert_status(WdfMemoryAssignBuffer(m, other, 4), STATUS_SUCCESS);
	assert_int_equal(drv_stats(d).breaks, 4);
	/* deleting the parent releases the locked pages once */
	assert_int_equal(n_release, 0);
	WdfObjectDelete(hreq);
	assert_int_equal(n_release, 1);
	kmemu_wdf_driver_unload(d);
	assert_int_equal(n_release, 1);
	KMEMU_TEST_CLEAN();
}

static void test_wdf_request_memory_delete_pending(void **state)
{
	struct kmemu_wdf_driver *d;
	struct kmemu_wdf_object *req;
	WDFMEMORY m = NULL;
	WDFOBJECT hreq;
	uint8_t kbuf[8];
	KT_BEGIN();

	(void)state;
	d = drv_new(0);
	hreq = mem_new(8, NULL);
	req = kmemu__wdf_decode(hreq);
	WdfObjectReference(hreq);
	WdfObjectDelete(hreq);  /* disposed, still referenced */
	n_release = 0;
	assert_status(kmemu__wdf_request_memory_create(req, kbuf, 8, 0, release_count, NULL, &m),
		      STATUS_DELETE_PENDING);
	assert_null(m);
	assert_int_equal(n_release, 0);  /* the caller still owns the pages */
	WdfObjectDereference(hreq);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

/* ---- OOM loop --------------------------------------------------------------------------- */

static const uint32_t oom_fail_ok[] = { (uint32_t)STATUS_INSUFFICIENT_RESOURCES };

static uint32_t op_memory_create(void *ctx)
{
	size_t size = *(size_t *)ctx;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;
	NTSTATUS st;

	WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, MY_CONTEXT);
	st = WdfMemoryCreate(&a, NonPagedPool, 0, size, &m, NULL);
	if (!st) {
		WdfObjectReferenceWithTag(m, (PVOID)op_memory_create);
		WdfObjectDelete(m);
		WdfObjectDereferenceWithTag(m, (PVOID)op_memory_create);
	}
	return (uint32_t)st;
}

static uint32_t op_memory_prealloc(void *ctx)
{
	static uint8_t buf[32];
	WDFMEMORY m = NULL;
	NTSTATUS st;

	(void)ctx;
	st = WdfMemoryCreatePreallocated(NULL, buf, sizeof(buf), &m);
	if (!st)
		WdfObjectDelete(m);
	return (uint32_t)st;
}

static uint32_t op_driver_load(void *ctx)
{
	struct kmemu_wdf_driver_options o = { .quiet = 1 };
	struct kmemu_wdf_driver *d;
	NTSTATUS st;

	(void)ctx;
	entry_status = STATUS_SUCCESS;
	st = kmemu_wdf_driver_load(entry_good, "oom", &o, &d);
	if (!st)
		kmemu_wdf_driver_unload(d);
	return (uint32_t)st;
}

static uint32_t op_allocate_context(void *ctx)
{
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;
	PVOID c = NULL;
	NTSTATUS st;

	(void)ctx;
	st = WdfMemoryCreate(NULL, NonPagedPool, 0, 8, &m, NULL);
	if (st)
		return (uint32_t)st;
	WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, OTHER_CONTEXT);
	st = WdfObjectAllocateContext(m, &a, &c);
	WdfObjectDelete(m);
	return (uint32_t)st;
}

static void run_oom(const char *name, uint32_t (*run)(void *), void *ctx)
{
	struct kmemu_oom_op op = {
		.name = name, .run = run, .ctx = ctx, .success = STATUS_SUCCESS,
		.fail_ok = oom_fail_ok, .n_fail_ok = 1, .resources = KMEMU_FAULT_HEAP,
	};
	struct kmemu_oom_result res;
	kmemu_status rc = kmemu_oom_loop(&op, 0, &res);

	if (rc != STATUS_SUCCESS)
		fail_msg("%s: %s", name, res.message);
	assert_true(res.failures > 0);
}

static void test_wdf_oom(void **state)
{
	size_t small = 24, large = 3 * PAGE_SIZE;
	KT_BEGIN();

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct kmemu_wdf_driver *d = drv_new(v);

		run_oom("WdfMemoryCreate small", op_memory_create, &small);
		run_oom("WdfMemoryCreate large", op_memory_create, &large);
		run_oom("WdfMemoryCreatePreallocated", op_memory_prealloc, NULL);
		run_oom("WdfObjectAllocateContext", op_allocate_context, NULL);
		kmemu_wdf_driver_unload(d);
	}
	run_oom("kmemu_wdf_driver_load", op_driver_load, NULL);
	KMEMU_TEST_CLEAN();
}

static int verify_evaluations;

/* an expression with a side effect: counts its evaluations */
static int verify_false(void)
{
	verify_evaluations++;
	return 0;
}

static void call_wdfverify(void *arg)
{
	(void)arg;
	WDFVERIFY(verify_false());
}

/* <wdfassert.h>: WDFVERIFY evaluates its expression only with the verifier
 * on, and a false one is RtlAssert: a framework debug break (counted, or
 * 0x1E with the fatal policy); VERIFY_IS_IRQL_PASSIVE_LEVEL above PASSIVE;
 * RtlAssert with no driver only reports. */
static void test_wdf_wdfverify(void **state)
{
	struct kmemu_wdf_driver_options o = { .verifier = 1, .has_verifier = 1, .quiet = 1,
					      .break_policy = KMEMU_WDF_BREAK_FATAL };
	struct kmemu_wdf_driver *d;
	uint8_t old = 0;
	KT_BEGIN();

	(void)state;
	assert_false(kmemu_wdf_verify_on());  /* no driver */
	RtlAssert((PVOID)"outside", (PVOID)__FILE__, __LINE__, NULL);
	for (int v = 0; v < 2; v++) {
		d = drv_new(v);
		assert_int_equal(kmemu_wdf_verify_on(), v ? TRUE : FALSE);
		verify_evaluations = 0;
		WDFVERIFY(verify_false());
		WDFVERIFY(1 == 1);
		VERIFY_IS_IRQL_PASSIVE_LEVEL();
		assert_int_equal(verify_evaluations, v);
		assert_int_equal(drv_stats(d).breaks, v ? 1 : 0);
		assert_status(kmemu_irql_set(DISPATCH_LEVEL, &old), STATUS_SUCCESS);
		VERIFY_IS_IRQL_PASSIVE_LEVEL();
		IS_AT_PASSIVE();
		assert_status(kmemu_irql_set(old, NULL), STATUS_SUCCESS);
		assert_int_equal(drv_stats(d).breaks, v ? 3 : 0);
		RtlAssert((PVOID)"x", (PVOID)"f.c", 1, (PSTR)"message");
		assert_int_equal(drv_stats(d).breaks, v ? 4 : 0);
		kmemu_wdf_driver_unload(d);
	}
	/* the fatal break policy: a failed WDFVERIFY is bug check 0x1E */
	assert_status(kmemu_wdf_driver_create("fatal", &o, NULL, &d), STATUS_SUCCESS);
	expect_bugcheck(call_wdfverify, NULL, KMODE_EXCEPTION_NOT_HANDLED, 0x80000003u, ANY, ANY);
	kmemu_wdf_driver_unload(d);
	KMEMU_TEST_CLEAN();
}

#define WDF_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WDF_TEST(test_wdf_driver_load_unload),
		WDF_TEST(test_wdf_wdfverify),
		WDF_TEST(test_wdf_driver_create_statuses),
		WDF_TEST(test_wdf_verifier_defaults),
		WDF_TEST(test_wdf_no_driver),
		WDF_TEST(test_wdf_memory_create),
		WDF_TEST(test_wdf_memory_create_statuses),
		WDF_TEST(test_wdf_validate_attribute_options),
		WDF_TEST(test_wdf_memory_create_irql),
		WDF_TEST(test_wdf_memory_preallocated),
		WDF_TEST(test_wdf_memory_assign_on_create_memory),
		WDF_TEST(test_wdf_memory_copy),
		WDF_TEST(test_wdf_handles),
		WDF_TEST(test_wdf_delete_order),
		WDF_TEST(test_wdf_cleanup_at_delete_destroy_at_zero),
		WDF_TEST(test_wdf_dereference_never_deleted),
		WDF_TEST(test_wdf_delete_no_delete_object),
		WDF_TEST(test_wdf_commit_rules),
		WDF_TEST(test_wdf_contexts),
		WDF_TEST(test_wdf_allocate_context_statuses),
		WDF_TEST(test_wdf_deferred_dispose),
		WDF_TEST(test_wdf_leak_report),
		WDF_TEST(test_wdf_unload_at_dispatch),
		WDF_TEST(test_wdf_deferred_destroy),
		WDF_TEST(test_wdf_backend_close_unloads),
		WDF_TEST(test_wdf_handler_returns),
		WDF_TEST(test_wdf_enhanced_verifier),
		WDF_TEST(test_wdf_threads),
		WDF_TEST(test_wdf_request_memory),
		WDF_TEST(test_wdf_request_memory_delete_pending),
		WDF_TEST(test_wdf_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
