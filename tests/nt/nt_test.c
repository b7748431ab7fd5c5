/* SPDX-License-Identifier: MIT */
/*
 * nt_test.c - kmemu-nt-test.exe: the nt backend's own tests, on Windows or
 * under Wine (scripts/wine-conform runs it).  TAP on stdout; exit 0 when
 * every test passed.
 *
 * What the conformance suite does not reach: the statuses of the slots the
 * backend cannot serve, the test-side slots (process, user copy, view
 * query, stats, check), the instance's cleanup at close, and the OOM loop
 * (kmemu_oom_loop, heap faults) over every slot that acquires something.
 */
#include <stdio.h>
#include <string.h>
#include <wdm.h>
#include <kmemu/kmemu.h>
#include <kmemu/backend.h>

static int n_tests, n_failed;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			printf("# %s:%d: %s\n", __FILE__, __LINE__, #cond);          \
			failed = 1;                                                  \
		}                                                                    \
	} while (0)

static void report(const char *name, int failed)
{
	n_tests++;
	n_failed += failed;
	printf("%s %d %s\n", failed ? "not ok" : "ok", n_tests, name);
}

/* A committed read-write section of @size bytes; NULL on failure. */
static HANDLE make_section(SIZE_T size, const char *name)
{
	WCHAR wname[128];
	UNICODE_STRING us;
	OBJECT_ATTRIBUTES oa;
	LARGE_INTEGER li = { .QuadPart = (LONGLONG)size };
	HANDLE h = NULL;
	size_t n = 0;

	if (name) {
		for (; name[n] && n < 127; n++)
			wname[n] = (WCHAR)name[n];
		us.Buffer = wname;
		us.Length = us.MaximumLength = (USHORT)(n * sizeof(WCHAR));
	}
	InitializeObjectAttributes(&oa, name ? &us : NULL, OBJ_CASE_INSENSITIVE, NULL, NULL);
	if (ZwCreateSection(&h, SECTION_ALL_ACCESS, &oa, &li, PAGE_READWRITE, SEC_COMMIT, NULL))
		return NULL;
	return h;
}

static PVOID map(HANDLE s, LONGLONG offset, SIZE_T size, SECTION_INHERIT inherit, NTSTATUS *st)
{
	PVOID b = NULL;
	LARGE_INTEGER off = { .QuadPart = offset };

	*st = ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, &off, &size, inherit, 0,
				 PAGE_READWRITE);
	return *st ? NULL : b;
}

/* ---- the slots no user process serves ------------------------------------------- */

static void test_unsupported(void)
{
	struct kmemu_backend *b;
	const struct kmemu_backend_ops *ops;
	WD_KERNEL_BUFFER kb;
	kmemu_pid pid = 0;
	uint64_t phys;
	uint8_t old, byte;
	void *st;
	int failed = 0;

	CHECK(kmemu_backend_current(&b) == STATUS_SUCCESS);
	CHECK(!strcmp(kmemu_backend_name(NULL), "nt"));  /* the Windows default */
	ops = kmemu_backend_ops_of(b, &st);
	CHECK(!(kmemu_backend_caps(NULL) & (KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS | KMEMU_CAP_IRQL |
					    KMEMU_CAP_KERNEL_VIEWS | KMEMU_CAP_FAULT_INJECT)));
	CHECK(kmemu_backend_caps(NULL) & KMEMU_CAP_SECTIONS);
	CHECK(kmemu_process_create("x", &pid) == STATUS_NOT_SUPPORTED);
	CHECK(kmemu_process_attach(1, NULL) == STATUS_NOT_SUPPORTED);
	CHECK(kmemu_process_destroy(1) == STATUS_NOT_SUPPORTED);
	CHECK(kmemu_process_current(&pid) == STATUS_SUCCESS && pid != 0);
	CHECK(kmemu_process_create_child(pid, "c", &pid) == STATUS_NOT_SUPPORTED);
	CHECK(kmemu_virt_to_phys(0, &phys, &phys) == STATUS_NOT_SUPPORTED);
	CHECK(kmemu_kernel_read(0x1000, &byte, 1) == STATUS_NOT_SUPPORTED);
	CHECK(kmemu_kernel_write(0x1000, &byte, 1) == STATUS_NOT_SUPPORTED);
	CHECK(kmemu_irql_set(DISPATCH_LEVEL, &old) == STATUS_NOT_SUPPORTED);
	CHECK(KeGetCurrentIrql() == PASSIVE_LEVEL);
	memset(&kb, 0, sizeof(kb));
	CHECK(ops->wds_alloc(st, &kb) == WD_NOT_IMPLEMENTED);
	CHECK(ops->wds_get(st, &kb) == WD_NOT_IMPLEMENTED);
	CHECK(ops->wds_free(st, &kb) == WD_NOT_IMPLEMENTED);
	CHECK(ops->ob_reference(st, 0, 0, 0, 0, &st, NULL) == STATUS_NOT_SUPPORTED);
	CHECK(ops->ob_dereference(st, NULL, NULL) == STATUS_NOT_SUPPORTED);
	CHECK(ops->section_map_system(st, NULL, NULL, NULL) == STATUS_NOT_SUPPORTED);
	CHECK(ops->section_unmap_system(st, NULL) == STATUS_NOT_SUPPORTED);
	report("slots without a user-mode counterpart answer NOT_SUPPORTED", failed);
}

/* ---- the test-side slots ----------------------------------------------------------- */

static void test_test_side(void)
{
	HANDLE s, ph = NULL;
	struct kmemu_view_info vi;
	struct kmemu_stats st0, st1;
	uint8_t buf[16] = { 1, 2, 3 }, back[16] = { 0 };
	const char *why = NULL;
	kmemu_pid me = 0;
	NTSTATUS st;
	uint8_t *v;
	int failed = 0;

	CHECK(kmemu_stats_get(&st0) == STATUS_SUCCESS);
	s = make_section(0x30000, NULL);
	CHECK(s != NULL);
	v = map(s, 0x10000, 0x20000, ViewShare, &st);
	CHECK(st == STATUS_SUCCESS && v);
	if (!v) {
		report("test-side slots", 1);
		return;
	}
	CHECK(kmemu_process_current(&me) == STATUS_SUCCESS);
	/* view_query: base, size and protection from the kernel, offset and
	 * inherit from the record */
	CHECK(kmemu_view_query(0, v + 0x1234, &vi) == STATUS_SUCCESS);
	CHECK(vi.base == v && vi.size == 0x20000 && vi.section_offset == 0x10000);
	CHECK(vi.inherit == ViewShare && vi.state == MEM_COMMIT);
	CHECK(vi.protect == PAGE_READWRITE);
	CHECK(kmemu_view_query(me, v, &vi) == STATUS_SUCCESS);
	CHECK(kmemu_view_query(me + 1, v, &vi) == STATUS_INVALID_PARAMETER);
	CHECK(kmemu_view_query(0, &vi, &vi) == STATUS_NOT_MAPPED_VIEW);            /* the stack */
	CHECK(kmemu_view_query(0, (void *)(uintptr_t)0xFFFF800000000000ull, &vi) ==
	      STATUS_NOT_MAPPED_VIEW);                                           /* the kernel */
	/* user_read / user_write */
	CHECK(kmemu_user_write(0, (uintptr_t)v + 8, buf, sizeof(buf)) == STATUS_SUCCESS);
	CHECK(kmemu_user_read(me, (uintptr_t)v + 8, back, sizeof(back)) == STATUS_SUCCESS);
	CHECK(!memcmp(buf, back, sizeof(buf)) && v[8] == 1);
	CHECK(kmemu_user_read(me + 1, (uintptr_t)v, back, 1) == STATUS_INVALID_PARAMETER);
	CHECK(kmemu_user_write(0, 0x1000, buf, 1) == STATUS_ACCESS_VIOLATION);
	CHECK(kmemu_user_read(0, 0x1000, back, 1) == STATUS_ACCESS_VIOLATION);
	CHECK(kmemu_user_read(0, (uintptr_t)v, back, 0) == STATUS_SUCCESS);
	/* process_open: the current process only */
	CHECK(kmemu_process_open(me + 1, PROCESS_VM_OPERATION, (void **)&ph) ==
	      STATUS_INVALID_PARAMETER);
	CHECK(kmemu_process_open(me, PROCESS_VM_OPERATION, (void **)&ph) == STATUS_SUCCESS);
	/* stats and check */
	CHECK(kmemu_stats_get(&st1) == STATUS_SUCCESS);
	CHECK(st1.mappings == st0.mappings + 1 && st1.handles_used == st0.handles_used + 2);
	CHECK(st1.processes == 1);
	CHECK(kmemu_check(&why) == STATUS_SUCCESS && why && !*why);
	CHECK(kmemu_check(NULL) == STATUS_SUCCESS);
	/* through a real process handle, by an address inside the view */
	CHECK(ZwUnmapViewOfSection(ph, v + 0x1234) == STATUS_SUCCESS);
	CHECK(kmemu_view_query(0, v, &vi) == STATUS_NOT_MAPPED_VIEW);
	/* a view just unmapped: Wine's NtReadVirtualMemory alone reads zeros there */
	CHECK(kmemu_user_read(0, (uintptr_t)v, back, 16) == STATUS_ACCESS_VIOLATION);
	CHECK(kmemu_user_write(0, (uintptr_t)v, buf, 16) == STATUS_ACCESS_VIOLATION);
	CHECK(ZwClose(ph) == STATUS_SUCCESS);
	CHECK(ZwClose(s) == STATUS_SUCCESS);
	CHECK(kmemu_stats_get(&st1) == STATUS_SUCCESS);
	CHECK(st1.handles_used == st0.handles_used);
	CHECK(kmemu_check(&why) == STATUS_SUCCESS);
	report("test-side slots: view query, user copies, process handle, stats, check", failed);
}

/* ---- cleanup at close ------------------------------------------------------------- */

static void test_close_cleans(void)
{
	struct kmemu_backend *inst = NULL, *old;
	struct kmemu_view_info vi;
	HANDLE s;
	NTSTATUS st;
	uint8_t *v = NULL;
	int failed = 0;

	CHECK(kmemu_backend_open("nt", NULL, &inst) == STATUS_SUCCESS);
	old = kmemu_backend_set_current(inst);
	s = make_section(0x10000, "\\BaseNamedObjects\\kmemu-nt-close");
	CHECK(s != NULL);
	if (s)
		v = map(s, 0, 0, ViewUnmap, &st);
	CHECK(v != NULL);
	kmemu_backend_close(inst);  /* not current any more */
	kmemu_backend_set_current(old);
	/* the view and the section's last handle went with the instance */
	CHECK(kmemu_view_query(0, v, &vi) == STATUS_NOT_MAPPED_VIEW);
	report("closing an instance unmaps its views and closes its handles", failed);
}

/* ---- ->open without memory, ->check catching a view unmapped behind its back ---- */

static void test_open_and_check(void)
{
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .n = 0,
					 .resources = KMEMU_FAULT_HEAP };
	struct kmemu_backend *a = NULL, *b = NULL, *old;
	const struct kmemu_backend_ops *ops;
	const char *why = NULL;
	void *bst;
	HANDLE s;
	NTSTATUS st;
	uint8_t *v = NULL;
	int failed = 0;

	/* acquisition 0 is the api layer's instance, 1 the backend's state */
	for (fc.n = 0; fc.n < 2; fc.n++) {
		kmemu_fault_set(&fc);
		CHECK(kmemu_backend_open("nt", NULL, &a) == STATUS_INSUFFICIENT_RESOURCES && !a);
		kmemu_fault_set(NULL);
	}
	CHECK(kmemu_backend_open("nt", NULL, &a) == STATUS_SUCCESS);
	CHECK(kmemu_backend_open("nt", NULL, &b) == STATUS_SUCCESS);
	old = kmemu_backend_set_current(a);
	s = make_section(0x10000, NULL);
	if (s)
		v = map(s, 0, 0, ViewUnmap, &st);
	CHECK(v != NULL);
	CHECK(kmemu_check(&why) == STATUS_SUCCESS);
	/* instance b unmaps the view instance a recorded: a's records are stale */
	ops = kmemu_backend_ops_of(b, &bst);
	CHECK(ops->section_unmap(bst, (uintptr_t)-1, (uintptr_t)v) == STATUS_SUCCESS);
	CHECK(kmemu_check(&why) == STATUS_INTERNAL_ERROR && why && strstr(why, "no longer mapped"));
	kmemu_backend_set_current(old);
	kmemu_backend_close(a);
	kmemu_backend_close(b);
	report("open fails cleanly without memory; check sees a view unmapped behind its back",
	       failed);
}

/* ---- the OOM loop over every acquiring slot -------------------------------------- */

static const uint32_t oom_ok[] = { STATUS_INSUFFICIENT_RESOURCES };

static uint32_t op_create_map(void *ctx)
{
	HANDLE s = NULL;
	LARGE_INTEGER li = { .QuadPart = 0x20000 };
	PVOID b = NULL;
	SIZE_T z = 0;
	NTSTATUS st;

	(void)ctx;
	st = ZwCreateSection(&s, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL);
	if (st)
		return (uint32_t)st;
	st = ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap, 0,
				PAGE_READWRITE);
	if (!st)
		st = ZwUnmapViewOfSection(ZwCurrentProcess(), b);
	ZwClose(s);
	return (uint32_t)st;
}

static uint32_t op_open(void *ctx)
{
	HANDLE o = NULL;
	UNICODE_STRING us;
	OBJECT_ATTRIBUTES oa;
	NTSTATUS st;

	(void)ctx;
	RtlInitUnicodeString(&us, L"\\BaseNamedObjects\\kmemu-nt-oom");
	InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
	st = ZwOpenSection(&o, SECTION_MAP_READ, &oa);
	if (!st)
		ZwClose(o);
	return (uint32_t)st;
}

static uint32_t op_map_ex(void *ctx)
{
	HANDLE s = ctx;
	PVOID b = NULL;
	SIZE_T z = 0;
	NTSTATUS st = NtMapViewOfSectionEx(s, ZwCurrentProcess(), &b, NULL, &z, 0, PAGE_READWRITE,
					   NULL, 0);

	if (!st)
		st = NtUnmapViewOfSectionEx(ZwCurrentProcess(), b, 0);
	return (uint32_t)st;
}

static uint32_t op_process_open(void *ctx)
{
	kmemu_pid me;
	void *h = NULL;
	NTSTATUS st;

	(void)ctx;
	kmemu_process_current(&me);
	st = kmemu_process_open(me, PROCESS_VM_OPERATION, &h);
	if (!st)
		ZwClose(h);
	return (uint32_t)st;
}

static void oom(const char *name, uint32_t (*run)(void *), void *ctx)
{
	struct kmemu_oom_op op = { .name = name, .run = run, .ctx = ctx, .success = 0,
				   .fail_ok = oom_ok, .n_fail_ok = 1,
				   .resources = KMEMU_FAULT_HEAP };
	struct kmemu_oom_result r;
	int failed = 0;
	char title[128];

	CHECK(kmemu_oom_loop(&op, 0, &r) == STATUS_SUCCESS);
	CHECK(r.ok && r.failures >= 1);
	if (r.message[0])
		printf("# %s\n", r.message);
	snprintf(title, sizeof(title), "OOM loop: %s (%u runs, %u faults)", name, r.iterations,
		 r.failures);
	report(title, failed);
}

int main(void)
{
	HANDLE named, ex;

	printf("TAP version 13\n");
	test_unsupported();
	test_test_side();
	test_close_cleans();
	test_open_and_check();
	named = make_section(0x10000, "\\BaseNamedObjects\\kmemu-nt-oom");
	ex = make_section(0x10000, NULL);
	oom("create, map, unmap, close", op_create_map, NULL);
	oom("open by name, close", op_open, NULL);
	oom("process handle", op_process_open, NULL);
	if (kmemu_backend_caps(NULL) & KMEMU_CAP_SECTIONS_EX)
		oom("NtMapViewOfSectionEx, NtUnmapViewOfSectionEx", op_map_ex, ex);
	else
		printf("# ntdll has no NtMapViewOfSectionEx: that loop is skipped\n");
	ZwClose(named);
	ZwClose(ex);
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
