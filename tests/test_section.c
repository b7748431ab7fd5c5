/* SPDX-License-Identifier: MIT */
/*
 * test_section.c - unit tests of sections and views (emu/section.c,
 * api/section.c), kernel-space views and kernel references included.
 *
 * Each test runs on a fresh, small emulator (kt_use_emu) and ends with
 * KMEMU_TEST_CLEAN(): invariants (emu_section_check among them) hold and
 * frames, handles and mappings are back where they started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <wdm.h>
#include "emu.h"
#include "kmemu_test.h"
#include "kt_section.h"

/* Create, two views, unmap, close: every counter returns; frames are owned
 * by the section until the last view goes. */
static void test_section_lifecycle(void **state)
{
	struct kmemu_stats s0, s1;
	HANDLE s;
	uint8_t *a, *b;
	KT_BEGIN();

	(void)state;
	kt_snapshot(&s0);
	s = kt_section_create(0x5000, PAGE_READWRITE, SEC_COMMIT);
	kt_snapshot(&s1);
	assert_u64_equal(s1.frames_used, s0.frames_used + 5);
	assert_u64_equal(s1.handles_used, s0.handles_used + 1);
	a = kt_section_map(s, ZwCurrentProcess(), 0, ViewUnmap, PAGE_READWRITE);
	b = kt_section_map(s, ZwCurrentProcess(), 0, ViewUnmap, PAGE_READONLY);
	a[0x4FFF] = 9;
	assert_int_equal(b[0x4FFF], 9);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	kt_snapshot(&s1);
	assert_u64_equal(s1.frames_used, s0.frames_used + 5);
	assert_u64_equal(s1.mappings, s0.mappings + 2);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), a + 0x2000), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	assert_false(kt_probe(a, 0));
	KMEMU_TEST_CLEAN();
}

/* SEC_RESERVE: frames appear only when committed, and go with the section. */
static void test_section_reserve_lazy_frames(void **state)
{
	struct kmemu_stats s0, s1;
	HANDLE s;
	PVOID b = NULL;
	SIZE_T z = 0;
	KT_BEGIN();

	(void)state;
	kt_snapshot(&s0);
	s = kt_section_create(0x100000, PAGE_READWRITE, SEC_RESERVE);
	kt_snapshot(&s1);
	assert_u64_equal(s1.frames_used, s0.frames_used);
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0x3000, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE), STATUS_SUCCESS);
	kt_snapshot(&s1);
	assert_u64_equal(s1.frames_used, s0.frames_used + 3);
	assert_true(kt_probe((uint8_t *)b + 0x2FFF, 1));
	assert_false(kt_probe((uint8_t *)b + 0x3000, 0));
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* Destroying a process closes its handles (names go) and unmaps its views. */
static void test_section_process_exit(void **state)
{
	kmemu_pid p = 0, me = 0;
	HANDLE s, h = NULL;
	UNICODE_STRING us;
	OBJECT_ATTRIBUTES oa;
	LARGE_INTEGER li = { .QuadPart = 0x2000 };
	static const WCHAR name[] = { '\\', 'x', 0 };
	KT_BEGIN();

	(void)state;
	RtlInitUnicodeString(&us, name);
	assert_int_equal(us.Length, 4);
	assert_int_equal(us.MaximumLength, 6);
	InitializeObjectAttributes(&oa, &us, 0, NULL, NULL);
	assert_status(kmemu_process_create("p", &p), STATUS_SUCCESS);
	assert_status(kmemu_process_attach(p, &me), STATUS_SUCCESS);
	assert_status(ZwCreateSection(&s, SECTION_ALL_ACCESS, &oa, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
		      STATUS_SUCCESS);
	kt_section_map(s, ZwCurrentProcess(), 0, ViewShare, PAGE_READWRITE);
	assert_status(kmemu_process_attach(me, NULL), STATUS_SUCCESS);
	assert_status(ZwOpenSection(&h, SECTION_MAP_READ, &oa), STATUS_SUCCESS);
	assert_status(ZwClose(h), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(p), STATUS_SUCCESS);
	assert_status(ZwOpenSection(&h, SECTION_MAP_READ, &oa), STATUS_OBJECT_NAME_NOT_FOUND);
	KMEMU_TEST_CLEAN();
}

/* A child keeps an inherited view after its parent is destroyed. */
static void test_section_orphaned_inherited_view(void **state)
{
	kmemu_pid parent = 0, child = 0, me = 0;
	HANDLE s;
	uint8_t *v, buf[4];
	KT_BEGIN();

	(void)state;
	assert_status(kmemu_process_create("parent", &parent), STATUS_SUCCESS);
	assert_status(kmemu_process_attach(parent, &me), STATUS_SUCCESS);
	s = kt_section_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	v = kt_section_map(s, ZwCurrentProcess(), 0, ViewShare, PAGE_READWRITE);
	memcpy(v, "abc", 4);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_status(kmemu_process_attach(me, NULL), STATUS_SUCCESS);
	assert_status(kmemu_process_create_child(parent, "child", &child), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(parent), STATUS_SUCCESS);
	assert_status(kmemu_check(NULL), STATUS_SUCCESS);
	assert_status(kmemu_user_read(child, (uintptr_t)v, buf, 4), STATUS_SUCCESS);
	assert_string_equal((char *)buf, "abc");
	assert_true(kt_probe(v, 1));
	assert_status(kmemu_process_attach(child, NULL), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), v + 1), STATUS_SUCCESS);
	assert_false(kt_probe(v, 0));
	assert_status(kmemu_process_attach(me, NULL), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(child), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* A process handle outlives its process: PROCESS_IS_TERMINATING. */
static void test_section_dead_process_handle(void **state)
{
	kmemu_pid p = 0;
	void *ph = NULL;
	HANDLE s;
	PVOID b = NULL;
	SIZE_T z = 0;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	assert_status(kmemu_process_create("p", &p), STATUS_SUCCESS);
	assert_status(kmemu_process_open(p, PROCESS_ALL_ACCESS, &ph), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(p), STATUS_SUCCESS);
	assert_status(ZwMapViewOfSection(s, ph, &b, 0, 0, NULL, &z, ViewUnmap, 0, PAGE_READWRITE),
		      STATUS_PROCESS_IS_TERMINATING);
	assert_status(kmemu_process_open(p, PROCESS_ALL_ACCESS, &ph), STATUS_INVALID_PARAMETER);
	assert_status(ZwClose(ph), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* The checker notices a view whose map count is wrong. */
static void test_section_check_detects_corruption(void **state)
{
	HANDLE s;
	uint8_t *v;
	struct kmemu_backend *b;
	struct emu_machine *m;
	const char *msg = NULL;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	v = kt_section_map(s, ZwCurrentProcess(), 0, ViewUnmap, PAGE_READWRITE);
	assert_status(kmemu_backend_current(&b), STATUS_SUCCESS);
	kmemu_backend_ops_of(b, (void **)&m);
	emu_lock(m);
	m->initial->n_views++;  /* a duplicate of the last view */
	m->initial->views[m->initial->n_views - 1] = m->initial->views[m->initial->n_views - 2];
	emu_unlock(m);
	assert_status(kmemu_check(&msg), STATUS_INTERNAL_ERROR);
	assert_non_null(strstr(msg, "section"));
	emu_lock(m);
	m->initial->n_views--;
	emu_unlock(m);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), v), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* A version-1 ops table: the section services answer NOT_SUPPORTED. */
/* Register @ops as a copy of the emulator's table built for an older seam
 * @version, without the capability bits @drop, open it and make it current;
 * *@old receives the previous current instance.  The caller clears the
 * slots the api layer must never call. */
static struct kmemu_backend *use_older_emu(struct kmemu_backend_ops *ops, int version,
					   const char *name, uint64_t drop,
					   struct kmemu_backend **old)
{
	struct kmemu_backend *b = NULL;

	ops->version = version;
	ops->name = name;
	ops->caps &= ~drop;
	assert_status(kmemu_backend_register(ops), STATUS_SUCCESS);
	assert_status(kmemu_backend_open(name, NULL, &b), STATUS_SUCCESS);
	*old = kmemu_backend_set_current(b);
	return b;
}

static struct kmemu_backend_ops v1_ops;

static void test_section_backend_v1(void **state)
{
	struct kmemu_backend *b = NULL, *old;
	HANDLE h = NULL;
	LARGE_INTEGER li = { .QuadPart = 0x1000 };
	PVOID base = NULL;
	SIZE_T z = 0;
	kmemu_pid pid;
	void *ph;

	(void)state;
	v1_ops = kmemu__emu_ops;
	v1_ops.section_create = NULL;  /* never called */
	b = use_older_emu(&v1_ops, 1, "emu-v1", KMEMU_CAP_SECTIONS, &old);
	assert_status(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
		      STATUS_NOT_SUPPORTED);
	assert_status(ZwMapViewOfSection(h, ZwCurrentProcess(), &base, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE), STATUS_NOT_SUPPORTED);
	assert_status(ZwClose(h), STATUS_NOT_SUPPORTED);
	assert_status(kmemu_process_current(&pid), STATUS_SUCCESS);
	assert_status(kmemu_process_open(pid, 0, &ph), STATUS_NOT_SUPPORTED);
	kmemu_backend_set_current(old);
	kmemu_backend_close(b);
	assert_true(h == NULL);
}

/* The bare IRQL rule: the handler returns, the call fails cleanly. */
static int bugchecks_seen;
static void count_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	assert_int_equal(r->code, IRQL_NOT_LESS_OR_EQUAL);
	bugchecks_seen++;
}

static void test_section_irql_handler_returns(void **state)
{
	HANDLE h = NULL;
	LARGE_INTEGER li = { .QuadPart = 0x1000 };
	KT_BEGIN();

	(void)state;
	kmemu_bugcheck_set_handler(count_handler, NULL);
	assert_status(kmemu_irql_set(DISPATCH_LEVEL, NULL), STATUS_SUCCESS);
	assert_status(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
		      STATUS_UNSUCCESSFUL);
	assert_status(ZwClose((HANDLE)(uintptr_t)4), STATUS_UNSUCCESSFUL);
	assert_status(kmemu_irql_set(PASSIVE_LEVEL, NULL), STATUS_SUCCESS);
	kmemu_bugcheck_set_handler(NULL, NULL);
	assert_int_equal(bugchecks_seen, 2);
	assert_true(h == NULL);
	KMEMU_TEST_CLEAN();
}

/* ---- kernel-space views (MmMapViewInSystemSpace) ------------------------------ */

static PVOID ref_section(HANDLE s)
{
	PVOID obj = NULL;

	assert_status(ObReferenceObjectByHandle(s, SECTION_MAP_WRITE, *MmSectionObjectType, UserMode,
						&obj, NULL), STATUS_SUCCESS);
	return obj;
}

static uint8_t *kmap(PVOID obj, SIZE_T size, SIZE_T *out)
{
	PVOID b = NULL;
	SIZE_T z = size;

	assert_status(MmMapViewInSystemSpace(obj, &b, &z), STATUS_SUCCESS);
	if (out)
		*out = z;
	return b;
}

static struct emu_machine *machine(void)
{
	struct kmemu_backend *b;
	struct emu_machine *m;

	assert_status(kmemu_backend_current(&b), STATUS_SUCCESS);
	kmemu_backend_ops_of(b, (void **)&m);
	return m;
}

/* A kernel view lies in the vmalloc area, 64 KiB aligned, is a host pointer
 * aliasing the user views (same frames), and is read-only for a read-only
 * section; frames stay until the view and the reference are gone. */
static void test_section_kernel_view_aliases(void **state)
{
	struct emu_machine *m = machine();
	struct kmemu_stats s0, s1;
	HANDLE s, ro;
	PVOID obj, robj;
	uint8_t *u, *k, *rk;
	uint64_t pu, pk;
	kmemu_pid me;
	SIZE_T z;
	KT_BEGIN();

	(void)state;
	kt_snapshot(&s0);
	s = kt_section_create(0x6000, PAGE_READWRITE, SEC_COMMIT);
	u = kt_section_map(s, ZwCurrentProcess(), 0, ViewUnmap, PAGE_READWRITE);
	obj = ref_section(s);
	k = kmap(obj, 0x4001, &z);
	assert_u64_equal(z, 0x5000);
	assert_true(vm_contains(&m->vmalloc, k));
	assert_u64_equal((uintptr_t)k & 0xFFFF, 0);
	k[0x4FFF] = 0x11;                        /* a host pointer: written directly */
	assert_int_equal(u[0x4FFF], 0x11);
	u[0x10] = 0x22;
	assert_int_equal(k[0x10], 0x22);
	assert_false(kt_probe(k + 0x5000, 0));   /* past the view: the guard */
	assert_status(kmemu_process_current(&me), STATUS_SUCCESS);
	assert_status(kmemu_virt_to_phys(0, k + 0x3000, &pk), STATUS_SUCCESS);
	assert_status(kmemu_virt_to_phys(me, u + 0x3000, &pu), STATUS_SUCCESS);
	assert_u64_equal(pk, pu);
	/* a read-only section gives a read-only kernel view */
	ro = kt_section_create(0x1000, PAGE_READONLY, SEC_COMMIT);
	robj = ref_section(ro);
	rk = kmap(robj, 0, NULL);
	assert_true(kt_probe(rk, 0));
	assert_false(kt_probe(rk, 1));
	assert_status(MmUnmapViewInSystemSpace(rk), STATUS_SUCCESS);
	assert_int_equal(ObDereferenceObject(robj), 1);
	assert_status(ZwClose(ro), STATUS_SUCCESS);
	/* the view keeps the section: handle, user view and reference gone */
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), u), STATUS_SUCCESS);
	assert_int_equal(ObDereferenceObject(obj), 1);  /* the kernel view's */
	kt_snapshot(&s1);
	assert_u64_equal(s1.frames_used, s0.frames_used + 6);
	assert_int_equal(k[0x10], 0x22);
	assert_status(kmemu_check(NULL), STATUS_SUCCESS);
	assert_status(MmUnmapViewInSystemSpace(k + 0xFFFF), STATUS_SUCCESS);
	assert_false(kt_probe(k, 0));
	KMEMU_TEST_CLEAN();
}

/* SEC_RESERVE: uncommitted pages of a kernel view fault, and become usable
 * (in place, same address) when a user view commits them. */
static void test_section_kernel_view_reserve(void **state)
{
	HANDLE s;
	PVOID obj, b = NULL;
	SIZE_T z = 0;
	uint8_t *k;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x10000, PAGE_READWRITE, SEC_RESERVE);
	obj = ref_section(s);
	k = kmap(obj, 0, NULL);
	assert_false(kt_probe(k, 0));
	assert_false(kt_probe(k + 0xF000, 1));
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0x2000, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE), STATUS_SUCCESS);
	assert_true(kt_probe(k + 0x1FFF, 1));
	assert_false(kt_probe(k + 0x2000, 0));
	k[0x1FFF] = 0x5A;
	assert_int_equal(((uint8_t *)b)[0x1FFF], 0x5A);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	assert_status(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* Sizes: 4 GiB and more is INVALID_VIEW_SIZE, more than the vmalloc area
 * holds is NO_MEMORY; placement skips a WDS vmalloc buffer. */
static void test_section_kernel_view_limits(void **state)
{
	HANDLE big, huge, s;
	PVOID ob, oh, os, base = NULL;
	SIZE_T z = 0;
	uint8_t *k;
	WD_KERNEL_BUFFER *kb = NULL;
	KT_BEGIN();

	(void)state;
	big = kt_section_create(2ll << 30, PAGE_READWRITE, SEC_RESERVE);
	huge = kt_section_create(5ll << 30, PAGE_READWRITE, SEC_RESERVE);
	ob = ref_section(big);
	oh = ref_section(huge);
	assert_status(MmMapViewInSystemSpace(ob, &base, &z), STATUS_NO_MEMORY);
	assert_status(MmMapViewInSystemSpace(oh, &base, &z), STATUS_INVALID_VIEW_SIZE);
	z = (4ull << 30) - 0x10000;  /* 65535 units of 64 KiB: the size is fine, the room is not */
	assert_status(MmMapViewInSystemSpace(oh, &base, &z), STATUS_NO_MEMORY);
	z = (4ull << 30) - 0xFFFF;
	assert_status(MmMapViewInSystemSpace(oh, &base, &z), STATUS_INVALID_VIEW_SIZE);
	assert_null(base);
	ObDereferenceObject(ob);
	ObDereferenceObject(oh);
	assert_status(ZwClose(big), STATUS_SUCCESS);
	assert_status(ZwClose(huge), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(5 * KT_PAGE, KER_BUF_ALLOC_NON_CONTIG, &kb), WD_STATUS_SUCCESS);
	s = kt_section_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	os = ref_section(s);
	k = kmap(os, 0, NULL);
	assert_u64_equal((uintptr_t)k & 0xFFFF, 0);
	assert_status(kmemu_check(NULL), STATUS_SUCCESS);
	assert_status(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	ObDereferenceObject(os);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* A machine closed with a kernel view and references outstanding releases
 * them (valgrind sees no leak). */
static void test_section_kernel_view_leaked_at_close(void **state)
{
	HANDLE s;
	PVOID obj, pobj = NULL;

	(void)state;
	s = kt_section_create(0x3000, PAGE_READWRITE, SEC_RESERVE);
	obj = ref_section(s);
	(void)ref_section(s);
	kmap(obj, 0, NULL);
	assert_status(ObReferenceObjectByHandle(NtCurrentProcess(), 0, *PsProcessType, KernelMode,
						&pobj, NULL), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_status(kmemu_check(NULL), STATUS_SUCCESS);
	/* teardown closes the machine */
}

/* The checker notices a kernel reference record outnumbering its object. */
static void test_section_kernel_check_detects_corruption(void **state)
{
	struct emu_machine *m = machine();
	HANDLE s;
	PVOID obj;
	uint8_t *k;
	const char *msg = NULL;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	obj = ref_section(s);
	k = kmap(obj, 0, NULL);
	emu_lock(m);
	m->obrefs[0].count += 5;
	emu_unlock(m);
	assert_status(kmemu_check(&msg), STATUS_INTERNAL_ERROR);
	assert_non_null(strstr(msg, "kernel reference"));
	emu_lock(m);
	m->obrefs[0].count -= 5;
	emu_unlock(m);
	assert_status(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* A version-2 table: the kernel-view services answer NOT_SUPPORTED and
 * ObDereferenceObject does nothing. */
static struct kmemu_backend_ops v2_ops;

static void test_section_kernel_backend_v2(void **state)
{
	struct kmemu_backend *b = NULL, *old;
	HANDLE h = NULL;
	LARGE_INTEGER li = { .QuadPart = 0x1000 };
	PVOID obj = (PVOID)(uintptr_t)1, base = NULL;
	SIZE_T z = 0;

	(void)state;
	v2_ops = kmemu__emu_ops;
	v2_ops.ob_reference = NULL;  /* never called */
	v2_ops.section_map_system = NULL;
	b = use_older_emu(&v2_ops, 2, "emu-v2", KMEMU_CAP_KERNEL_VIEWS, &old);
	assert_status(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
		      STATUS_SUCCESS);
	assert_status(ObReferenceObjectByHandle(h, 0, *MmSectionObjectType, KernelMode, &obj, NULL),
		      STATUS_NOT_SUPPORTED);
	assert_true(obj == (PVOID)(uintptr_t)1);
	assert_status(MmMapViewInSystemSpace(obj, &base, &z), STATUS_NOT_SUPPORTED);
	assert_status(MmUnmapViewInSystemSpace(base), STATUS_NOT_SUPPORTED);
	assert_int_equal(ObDereferenceObject(obj), 0);
	assert_status(ZwClose(h), STATUS_SUCCESS);
	kmemu_backend_set_current(old);
	kmemu_backend_close(b);
}

/* The OOM loop over ObReference + MmMap + write + MmUnmap + ObDereference. */
static uint32_t kview_cycle(void *arg)
{
	HANDLE s = arg;
	PVOID obj = NULL, k = NULL;
	SIZE_T z = 0;
	NTSTATUS st = ObReferenceObjectByHandle(s, SECTION_MAP_WRITE, *MmSectionObjectType, UserMode,
						&obj, NULL);

	if (st)
		return (uint32_t)st;
	st = MmMapViewInSystemSpace(obj, &k, &z);
	if (!st) {
		((volatile uint8_t *)k)[0x1000] = 1;
		st = MmUnmapViewInSystemSpace(k);
	}
	ObDereferenceObject(obj);
	return (uint32_t)st;
}

static void test_section_kernel_view_oom(void **state)
{
	static const uint32_t fail_ok[] = { STATUS_NO_MEMORY, STATUS_INSUFFICIENT_RESOURCES };
	HANDLE s;
	struct kmemu_oom_op op = {
		.name = "kernel view", .run = kview_cycle, .success = 0, .fail_ok = fail_ok,
		.n_fail_ok = 2, .resources = 0,
	};
	struct kmemu_oom_result res;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x3000, PAGE_READWRITE, SEC_COMMIT);
	op.ctx = s;
	assert_status(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS);
	if (!res.ok)
		print_error("%s\n", res.message);
	assert_true(res.ok);
	assert_true(res.failures > 0);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* ---- Ex views (version 4) ------------------------------------------------------------ */

/* NtMapViewOfSectionEx with one HighestEndingAddress requirement. */
static NTSTATUS map_ex_below(HANDLE s, uint64_t highest, SIZE_T size, PVOID *base)
{
	MEM_ADDRESS_REQUIREMENTS r = { NULL, (PVOID)(uintptr_t)highest, 0 };
	MEM_EXTENDED_PARAMETER p = { .Type = MemExtendedParameterAddressRequirements };
	SIZE_T z = size;

	p.Pointer = &r;
	*base = NULL;
	return NtMapViewOfSectionEx(s, ZwCurrentProcess(), base, NULL, &z, 0, PAGE_READWRITE, &p, 1);
}

/* The limit is honoured wherever the view lands: in low host memory below
 * the reservation, with MEM_TOP_DOWN, and no room is STATUS_NO_MEMORY. */
static void test_section_ex_highest_placement(void **state)
{
	HANDLE s;
	PVOID b = NULL;
	SIZE_T z = 0x20000;
	MEM_ADDRESS_REQUIREMENTS r = { NULL, (PVOID)(uintptr_t)0x3FFFFFFF, 0 };
	MEM_EXTENDED_PARAMETER p = { .Type = MemExtendedParameterAddressRequirements };
	struct kmemu_view_info vi;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x20000, PAGE_READWRITE, SEC_COMMIT);
	assert_status(map_ex_below(s, 0xFFFF, 0, &b), STATUS_NO_MEMORY);  /* below mmap_min_addr */
	assert_null(b);
	assert_status(map_ex_below(s, 0x2001FFFF, 0, &b), STATUS_SUCCESS);
	assert_true((uintptr_t)b + 0x20000 - 1 <= 0x2001FFFF);
	assert_status(kmemu_view_query(0, b, &vi), STATUS_SUCCESS);
	assert_int_equal(vi.size, 0x20000);
	assert_int_equal(vi.inherit, ViewUnmap);
	((volatile uint8_t *)b)[0x1FFFF] = 7;
	assert_status(NtUnmapViewOfSectionEx(ZwCurrentProcess(), b, MEM_UNMAP_WITH_TRANSIENT_BOOST),
		      STATUS_SUCCESS);
	p.Pointer = &r;
	b = NULL;
	assert_status(NtMapViewOfSectionEx(s, ZwCurrentProcess(), &b, NULL, &z, MEM_TOP_DOWN,
					   PAGE_READWRITE, &p, 1), STATUS_SUCCESS);
	assert_true((uintptr_t)b + 0x20000 - 1 <= 0x3FFFFFFF);
	assert_status(ZwUnmapViewOfSectionEx(ZwCurrentProcess(), b, 0), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* NtAreMappedFilesTheSame looks in the current process only: a view of
 * another process is not mapped here; a view in our own reservation is one. */
static void test_section_ex_views_same_processes(void **state)
{
	HANDLE s, ph = NULL;
	kmemu_pid other = 0;
	PVOID ob = NULL;
	SIZE_T z = 0;
	uint8_t *mine;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x10000, PAGE_READWRITE, SEC_COMMIT);
	mine = kt_section_map(s, ZwCurrentProcess(), 0, ViewUnmap, PAGE_READWRITE);
	assert_status(kmemu_process_create("other", &other), STATUS_SUCCESS);
	assert_status(kmemu_process_open(other, PROCESS_VM_OPERATION, &ph), STATUS_SUCCESS);
	assert_status(NtMapViewOfSectionEx(s, ph, &ob, NULL, &z, 0, PAGE_READWRITE, NULL, 0),
		      STATUS_SUCCESS);
	assert_status(NtAreMappedFilesTheSame(mine, mine + 0xFFFF), STATUS_SUCCESS);
	assert_status(NtAreMappedFilesTheSame(mine, ob), STATUS_INVALID_ADDRESS);
	assert_status(NtAreMappedFilesTheSame(ob, ob), STATUS_INVALID_ADDRESS);
	assert_status(NtUnmapViewOfSectionEx(ph, ob, MEM_PRESERVE_PLACEHOLDER),
		      STATUS_CONFLICTING_ADDRESSES);
	assert_status(NtUnmapViewOfSectionEx(ph, ob, 0), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), mine), STATUS_SUCCESS);
	assert_status(ZwClose(ph), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(other), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* A version-3 table (or one without KMEMU_CAP_SECTIONS_EX): the Ex services
 * answer STATUS_NOT_SUPPORTED without calling the backend. */
static struct kmemu_backend_ops v3_ops;

static void test_section_ex_backend_v3(void **state)
{
	struct kmemu_backend *b = NULL, *old;
	PVOID base = NULL;
	SIZE_T z = 0;

	(void)state;
	v3_ops = kmemu__emu_ops;
	v3_ops.section_map_ex = NULL;  /* never called */
	v3_ops.section_unmap_ex = NULL;
	v3_ops.views_same = NULL;
	b = use_older_emu(&v3_ops, 3, "emu-v3", KMEMU_CAP_SECTIONS_EX, &old);
	assert_status(NtMapViewOfSectionEx(NULL, ZwCurrentProcess(), &base, NULL, &z, 0,
					   PAGE_READWRITE, NULL, 0), STATUS_NOT_SUPPORTED);
	assert_status(NtUnmapViewOfSectionEx(ZwCurrentProcess(), NULL, 0), STATUS_NOT_SUPPORTED);
	assert_status(NtAreMappedFilesTheSame(NULL, NULL), STATUS_NOT_SUPPORTED);
	kmemu_backend_set_current(old);
	kmemu_backend_close(b);
}

/* The OOM loop over NtMapViewOfSectionEx + write + NtAreMappedFilesTheSame
 * + NtUnmapViewOfSectionEx. */
static uint32_t mapex_cycle(void *arg)
{
	HANDLE s = arg;
	PVOID b = NULL;
	NTSTATUS st = map_ex_below(s, 0x7FFFFFFEFFFFull, 0, &b);

	if (st)
		return (uint32_t)st;
	((volatile uint8_t *)b)[0x2FFF] = 1;
	st = NtAreMappedFilesTheSame(b, (uint8_t *)b + 0x1000);
	if (!st)
		st = NtUnmapViewOfSectionEx(ZwCurrentProcess(), b, MEM_UNMAP_WITH_TRANSIENT_BOOST);
	else
		ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	return (uint32_t)st;
}

static void test_section_ex_oom(void **state)
{
	static const uint32_t fail_ok[] = { STATUS_NO_MEMORY, STATUS_INSUFFICIENT_RESOURCES };
	HANDLE s;
	struct kmemu_oom_op op = {
		.name = "map ex", .run = mapex_cycle, .success = 0, .fail_ok = fail_ok,
		.n_fail_ok = 2, .resources = 0,
	};
	struct kmemu_oom_result res;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x3000, PAGE_READWRITE, SEC_COMMIT);
	op.ctx = s;
	assert_status(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS);
	if (!res.ok)
		print_error("%s\n", res.message);
	assert_true(res.ok);
	assert_true(res.failures > 0);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

#define SEC_TEST(f) cmocka_unit_test_setup_teardown(f, kt_section_setup, kt_section_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SEC_TEST(test_section_lifecycle),
		SEC_TEST(test_section_reserve_lazy_frames),
		SEC_TEST(test_section_process_exit),
		SEC_TEST(test_section_orphaned_inherited_view),
		SEC_TEST(test_section_dead_process_handle),
		SEC_TEST(test_section_check_detects_corruption),
		SEC_TEST(test_section_backend_v1),
		SEC_TEST(test_section_irql_handler_returns),
		SEC_TEST(test_section_kernel_view_aliases),
		SEC_TEST(test_section_kernel_view_reserve),
		SEC_TEST(test_section_kernel_view_limits),
		SEC_TEST(test_section_kernel_view_leaked_at_close),
		SEC_TEST(test_section_kernel_check_detects_corruption),
		SEC_TEST(test_section_kernel_backend_v2),
		SEC_TEST(test_section_kernel_view_oom),
		SEC_TEST(test_section_ex_highest_placement),
		SEC_TEST(test_section_ex_views_same_processes),
		SEC_TEST(test_section_ex_backend_v3),
		SEC_TEST(test_section_ex_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
