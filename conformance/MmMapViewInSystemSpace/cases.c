/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of MmMapViewInSystemSpace() and
 * MmUnmapViewInSystemSpace() (and the OOM loop of the kernel-view cycle).
 * Kernel views are reached through kmemu_kernel_read/write and
 * kmemu_virt_to_phys(0, ...), never dereferenced, so the cases hold for a
 * backend whose kernel addresses are not host pointers.
 */
#include "../section_helpers.h"

#define A "MmMapViewInSystemSpace/"

static int kreadable(const void *k)
{
	uint8_t b;

	return kmemu_kernel_read((uintptr_t)k, &b, 1) == STATUS_SUCCESS;
}

KMEMU_CASE(prototype, A "prototype", KVIEW_CAPS, A "prototype " A "return-value")
{
	NTSTATUS (NTAPI *map)(PVOID, PVOID *, PSIZE_T) = MmMapViewInSystemSpace;
	NTSTATUS (NTAPI *unmap)(PVOID) = MmUnmapViewInSystemSpace;
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	PVOID obj = sec_setup_ref(s), base = NULL;
	SIZE_T size = 0;

	KMEMU_EXPECT_TRUE(map != NULL && unmap != NULL);
	KMEMU_ASSERT_NT(MmMapViewInSystemSpace(obj, &base, &size), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(base), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	ZwClose(s);
}

KMEMU_CASE(system_space, A "system-space", KVIEW_CAPS, A "maps-into-system-space")
{
	HANDLE s = sec_setup_create(0x3000, PAGE_READWRITE, SEC_COMMIT);
	PVOID obj = sec_setup_ref(s);
	uint8_t *k = sec_setup_kmap(obj, 0);
	struct kmemu_view_info vi;
	uint64_t pa;

	for (uint64_t off = 0; off < 0x3000; off += 0x1000) {
		KMEMU_EXPECT_NT(kmemu_kernel_write((uintptr_t)k + off + 0xFFF, "z", 1), STATUS_SUCCESS);
		KMEMU_EXPECT_NT(kmemu_virt_to_phys(0, k + off, &pa), STATUS_SUCCESS);
	}
	KMEMU_EXPECT_NT(kmemu_view_query(0, k, &vi), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), k), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_TRUE(kreadable(k));  /* the failed user unmap left it */
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	ZwClose(s);
}

KMEMU_CASE(section_pointer, A "section-pointer", KVIEW_CAPS, A "section-pointer")
{
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	PVOID proc = NULL, base = (PVOID)(uintptr_t)7;
	SIZE_T size = 0;
	int local = 0;

	KMEMU_SETUP_NT(ObReferenceObjectByHandle(NtCurrentProcess(), 0, *PsProcessType, KernelMode,
						 &proc, NULL));
	KMEMU_EXPECT_NT(MmMapViewInSystemSpace(NULL, &base, &size), STATUS_INVALID_PARAMETER_1);
	KMEMU_EXPECT_NT(MmMapViewInSystemSpace(s, &base, &size), STATUS_INVALID_PARAMETER_1);
	KMEMU_EXPECT_NT(MmMapViewInSystemSpace(proc, &base, &size), STATUS_INVALID_PARAMETER_1);
	KMEMU_EXPECT_NT(MmMapViewInSystemSpace(&local, &base, &size), STATUS_INVALID_PARAMETER_1);
	KMEMU_EXPECT_TRUE(base == (PVOID)(uintptr_t)7 && size == 0);
	ObDereferenceObject(proc);
	ZwClose(s);
}

KMEMU_CASE(mapped_base, A "mapped-base", KVIEW_CAPS, A "mapped-base " A "aliases-views")
{
	HANDLE s = sec_setup_create(0x2000, PAGE_READWRITE, SEC_COMMIT);
	PVOID obj = sec_setup_ref(s);
	uint8_t *k1 = sec_setup_kmap(obj, 0), *k2 = sec_setup_kmap(obj, 0x1000);
	uint8_t *u = sec_setup_map(s, 0, PAGE_READWRITE), buf[6];

	KMEMU_EXPECT_EQ((uintptr_t)k1 & 0xFFFF, 0);
	KMEMU_EXPECT_EQ((uintptr_t)k2 & 0xFFFF, 0);
	KMEMU_EXPECT_NE((uintptr_t)k1, (uintptr_t)k2);
	KMEMU_EXPECT_NT(kmemu_kernel_write((uintptr_t)k1 + 0x10, "k1->*", 6), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k2 + 0x10, buf, 6), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "k1->*", 6);
	KMEMU_EXPECT_MEM(u + 0x10, "k1->*", 6);
	memcpy(u + 0x1FF0, "u->k1", 6);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k1 + 0x1FF0, buf, 6), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "u->k1", 6);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k1), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k2), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(ZwUnmapViewOfSection(ZwCurrentProcess(), u), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	ZwClose(s);
}

KMEMU_CASE(view_size, A "view-size", KVIEW_CAPS, A "view-size " A "mapped-base")
{
	HANDLE s = sec_setup_create(0x5000, PAGE_READWRITE, SEC_COMMIT);
	PVOID obj = sec_setup_ref(s), base = NULL;
	SIZE_T size = 0;

	KMEMU_ASSERT_NT(MmMapViewInSystemSpace(obj, &base, &size), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(size, 0x5000);
	KMEMU_EXPECT_TRUE(kreadable((uint8_t *)base + 0x4FFF));
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(base), STATUS_SUCCESS);
	base = NULL;
	size = 0x1001;
	KMEMU_ASSERT_NT(MmMapViewInSystemSpace(obj, &base, &size), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(size, 0x2000);
	KMEMU_EXPECT_TRUE(kreadable((uint8_t *)base + 0x1FFF));
	KMEMU_EXPECT_TRUE(!kreadable((uint8_t *)base + 0x2000));
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(base), STATUS_SUCCESS);
	base = (PVOID)(uintptr_t)9;
	size = 0x5001;
	KMEMU_EXPECT_NT(MmMapViewInSystemSpace(obj, &base, &size), STATUS_INVALID_VIEW_SIZE);
	KMEMU_EXPECT_TRUE(base == (PVOID)(uintptr_t)9 && size == 0x5001);
	ObDereferenceObject(obj);
	ZwClose(s);
}

KMEMU_CASE(holds_section, A "view-holds-section", KVIEW_CAPS, A "view-holds-section " A "unmap")
{
	struct kmemu_stats s0, s1;
	HANDLE s;
	PVOID obj;
	uint8_t *k, buf[5];
	uint64_t pa;

	KMEMU_SETUP_NT(kmemu_stats_get(&s0));
	s = sec_setup_create(0x2000, PAGE_READWRITE, SEC_COMMIT);
	obj = sec_setup_ref(s);
	k = sec_setup_kmap(obj, 0);
	KMEMU_EXPECT_NT(ZwClose(s), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	KMEMU_EXPECT_NT(kmemu_kernel_write((uintptr_t)k + 0x1800, "held", 5), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k + 0x1800, buf, 5), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "held", 5);
	KMEMU_SETUP_NT(kmemu_stats_get(&s1));
	KMEMU_EXPECT_EQ(s1.frames_used, s0.frames_used + 2);
	/* any address of the first 64 KiB names the view */
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k + 0x1234), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k, buf, 1), STATUS_ACCESS_VIOLATION);
	KMEMU_EXPECT_NT(kmemu_virt_to_phys(0, k, &pa), STATUS_INVALID_ADDRESS);
	KMEMU_SETUP_NT(kmemu_stats_get(&s1));
	KMEMU_EXPECT_EQ(s1.frames_used, s0.frames_used);
}

static void unmap_it(void *arg)
{
	MmUnmapViewInSystemSpace(arg);
}

static int handler_calls;
static void returning_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)r;
	(void)ctx;
	handler_calls++;
}

KMEMU_CASE(unmap_invalid, A "unmap-invalid", KVIEW_CAPS | KMEMU_CAP_BUGCHECK, A "unmap-invalid")
{
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	PVOID obj = sec_setup_ref(s);
	uint8_t *k = sec_setup_kmap(obj, 0), *u = sec_setup_map(s, 0, PAGE_READWRITE);
	struct kmemu_bugcheck_report rep;

	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(unmap_it, u, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, DRIVER_UNMAPPING_INVALID_VIEW);
	KMEMU_EXPECT_EQ(rep.param[0], (uintptr_t)u);
	KMEMU_EXPECT_EQ(rep.param[1], 1);
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(unmap_it, NULL, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, DRIVER_UNMAPPING_INVALID_VIEW);
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(unmap_it, k, &rep), 0);
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(unmap_it, k, &rep), 1);  /* twice */
	KMEMU_EXPECT_EQ(rep.param[0], (uintptr_t)k);
	kmemu_bugcheck_set_handler(returning_handler, NULL);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k), STATUS_NOT_MAPPED_VIEW);
	KMEMU_EXPECT_EQ(handler_calls, 1);
	kmemu_bugcheck_set_handler(NULL, NULL);
	KMEMU_EXPECT_TRUE(u[0] == 0);  /* the user view is untouched */
	ZwUnmapViewOfSection(ZwCurrentProcess(), u);
	ObDereferenceObject(obj);
	ZwClose(s);
}

static void map_it(void *arg)
{
	PVOID base = NULL;
	SIZE_T size = 0;

	MmMapViewInSystemSpace(arg, &base, &size);
}

KMEMU_CASE(irql, A "irql", KVIEW_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK, A "irql")
{
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	PVOID obj = sec_setup_ref(s), base = NULL;
	SIZE_T size = 0;
	struct kmemu_bugcheck_report rep;
	uint8_t *k;

	/* APC_LEVEL is allowed */
	KMEMU_SETUP_NT(kmemu_irql_set(APC_LEVEL, NULL));
	KMEMU_EXPECT_NT(MmMapViewInSystemSpace(obj, &base, &size), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(base), STATUS_SUCCESS);
	/* DISPATCH_LEVEL is not */
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(map_it, obj, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_EXPECT_EQ(rep.param[1], DISPATCH_LEVEL);
	KMEMU_EXPECT_EQ(rep.param[2], 8);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	k = sec_setup_kmap(obj, 0);
	KMEMU_SETUP_NT(kmemu_irql_set(DISPATCH_LEVEL, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(unmap_it, k, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	kmemu_bugcheck_set_handler(returning_handler, NULL);
	base = NULL;
	KMEMU_EXPECT_NT(MmMapViewInSystemSpace(obj, &base, &size), STATUS_UNSUCCESSFUL);
	KMEMU_EXPECT_TRUE(base == NULL);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k), STATUS_UNSUCCESSFUL);
	KMEMU_EXPECT_EQ(handler_calls, 2);
	kmemu_bugcheck_set_handler(NULL, NULL);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	KMEMU_EXPECT_TRUE(kreadable(k));  /* still mapped */
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	ZwClose(s);
}

/* ---- the OOM loop ------------------------------------------------------------------------------ */

struct oom_ctx {
	ULONG attrs;
	SIZE_T commit;
};

/* create + (SEC_RESERVE: commit with a user view) + ObReference + MmMap +
 * write + MmUnmap + ObDereference + close; leaves nothing behind. */
static uint32_t run_cycle(void *arg)
{
	const struct oom_ctx *c = arg;
	HANDLE s = NULL;
	PVOID obj = NULL, k = NULL, u = NULL;
	SIZE_T kz = 0, uz = 0;
	NTSTATUS st = sec_create(&s, 0x23000, PAGE_READWRITE, c->attrs);

	if (st)
		return (uint32_t)st;
	if (c->commit)
		st = ZwMapViewOfSection(s, ZwCurrentProcess(), &u, 0, c->commit, NULL, &uz, ViewUnmap,
					0, PAGE_READWRITE);
	if (!st)
		st = ObReferenceObjectByHandle(s, SECTION_MAP_WRITE, *MmSectionObjectType, UserMode,
					       &obj, NULL);
	if (!st) {
		st = MmMapViewInSystemSpace(obj, &k, &kz);
		if (!st) {
			st = kmemu_kernel_write((uintptr_t)k + 0x1000, "oom", 4);
			if (!st)
				st = MmUnmapViewInSystemSpace(k);
			else
				MmUnmapViewInSystemSpace(k);
		}
		ObDereferenceObject(obj);
	}
	if (u)
		ZwUnmapViewOfSection(ZwCurrentProcess(), u);
	ZwClose(s);
	return (uint32_t)st;
}

KMEMU_CASE(oom_loop, A "oom-loop", KVIEW_CAPS | KMEMU_CAP_FAULT_INJECT, A "oom-loop")
{
	static const uint32_t fail_ok[] = { STATUS_NO_MEMORY, STATUS_INSUFFICIENT_RESOURCES,
					    STATUS_COMMITMENT_LIMIT };
	static const struct oom_ctx ctxs[] = { { SEC_COMMIT, 0 }, { SEC_RESERVE, 0x3000 } };

	for (size_t i = 0; i < 2; i++) {
		struct oom_ctx ctx = ctxs[i];
		struct kmemu_oom_op op = {
			.name = i ? "SEC_RESERVE kernel-view cycle" : "SEC_COMMIT kernel-view cycle",
			.run = run_cycle, .ctx = &ctx, .success = 0, .fail_ok = fail_ok,
			.n_fail_ok = 3, .resources = 0,
		};
		struct kmemu_oom_result res;

		KMEMU_SETUP_NT(run_cycle(&ctx));
		if (!KMEMU_EXPECT_NT(kmemu_oom_loop(&op, 0, &res), STATUS_SUCCESS) || !res.ok)
			kmemu_diag("%s", res.message);
		KMEMU_EXPECT_NE(res.failures, 0);
		kmemu_diag("%s: %u iterations, %u with an injected failure", op.name, res.iterations,
			   res.failures);
	}
}

const struct kmemu_case *const kmemu_cases_MmMapViewInSystemSpace[] = {
	KMEMU_CASE_REF(prototype),
	KMEMU_CASE_REF(system_space),
	KMEMU_CASE_REF(section_pointer),
	KMEMU_CASE_REF(mapped_base),
	KMEMU_CASE_REF(view_size),
	KMEMU_CASE_REF(holds_section),
	KMEMU_CASE_REF(unmap_invalid),
	KMEMU_CASE_REF(irql),
	KMEMU_CASE_REF(oom_loop),
	NULL,
};
