/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of ObReferenceObjectByHandle() and
 * ObDereferenceObject() on section and process handles.
 */
#include "../section_helpers.h"

#define A "ObReferenceObjectByHandle/"

static NTSTATUS ref(HANDLE h, ACCESS_MASK access, POBJECT_TYPE type, KPROCESSOR_MODE mode,
		    PVOID *obj)
{
	return ObReferenceObjectByHandle(h, access, type, mode, obj, NULL);
}

KMEMU_CASE(prototype, A "prototype", KVIEW_CAPS, A "prototype")
{
	NTSTATUS (NTAPI *fn)(HANDLE, ACCESS_MASK, POBJECT_TYPE, KPROCESSOR_MODE, PVOID *,
			     POBJECT_HANDLE_INFORMATION) = ObReferenceObjectByHandle;
	LONG_PTR (FASTCALL *deref)(PVOID) = ObfDereferenceObject;
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	PVOID obj = NULL;

	KMEMU_EXPECT_TRUE(fn != NULL && deref != NULL);
	KMEMU_EXPECT_TRUE(MmSectionObjectType != NULL && PsProcessType != NULL);
	KMEMU_EXPECT_TRUE(*MmSectionObjectType != *PsProcessType);
	KMEMU_EXPECT_EQ(sizeof(OBJECT_HANDLE_INFORMATION), 8);
	KMEMU_ASSERT_NT(ref(s, SECTION_QUERY, *MmSectionObjectType, KernelMode, &obj), STATUS_SUCCESS);
	/* the handle's reference and ours: one left after ours goes */
	KMEMU_EXPECT_EQ(ObDereferenceObject(obj), 1);
	ZwClose(s);
}

KMEMU_CASE(returns_body, A "returns-body", KVIEW_CAPS, A "returns-body")
{
	HANDLE s = NULL, o = NULL;
	PVOID a = NULL, b = NULL;
	OBJECT_HANDLE_INFORMATION hi = { 0x55, 0x55 };

	KMEMU_SETUP_NT(sec_create_named(&s, "\\BaseNamedObjects\\kmemu-ob", 0, SECTION_ALL_ACCESS,
					0x1000));
	KMEMU_SETUP_NT(sec_open(&o, "\\BaseNamedObjects\\kmemu-ob", SECTION_MAP_READ, 0));
	KMEMU_ASSERT_NT(ObReferenceObjectByHandle(s, 0, *MmSectionObjectType, UserMode, &a, NULL),
			STATUS_SUCCESS);
	KMEMU_ASSERT_NT(ObReferenceObjectByHandle(o, SECTION_MAP_READ, *MmSectionObjectType, UserMode,
						  &b, &hi), STATUS_SUCCESS);
	KMEMU_EXPECT_TRUE(a == b);
	KMEMU_EXPECT_EQ(hi.GrantedAccess, SECTION_MAP_READ);
	KMEMU_EXPECT_EQ(hi.HandleAttributes, 0);
	ObDereferenceObject(a);
	ObDereferenceObject(b);
	ZwClose(o);
	ZwClose(s);
}

KMEMU_CASE(type_checked, A "type-checked", KVIEW_CAPS | KMEMU_CAP_MULTI_PROCESS, A "type-checked")
{
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT), ph = NULL;
	PVOID obj = (PVOID)(uintptr_t)1;
	kmemu_pid me;

	KMEMU_SETUP_NT(kmemu_process_current(&me));
	KMEMU_SETUP_NT(kmemu_process_open(me, PROCESS_ALL_ACCESS, &ph));
	KMEMU_EXPECT_NT(ref(s, 0, *PsProcessType, KernelMode, &obj), STATUS_OBJECT_TYPE_MISMATCH);
	KMEMU_EXPECT_TRUE(obj == NULL);
	KMEMU_EXPECT_NT(ref(ph, 0, *MmSectionObjectType, KernelMode, &obj),
			STATUS_OBJECT_TYPE_MISMATCH);
	KMEMU_EXPECT_NT(ref(NtCurrentProcess(), 0, *MmSectionObjectType, KernelMode, &obj),
			STATUS_OBJECT_TYPE_MISMATCH);
	if (KMEMU_EXPECT_NT(ref(s, 0, NULL, KernelMode, &obj), STATUS_SUCCESS))
		ObDereferenceObject(obj);
	if (KMEMU_EXPECT_NT(ref(ph, PROCESS_VM_OPERATION, *PsProcessType, UserMode, &obj),
			    STATUS_SUCCESS))
		ObDereferenceObject(obj);
	if (KMEMU_EXPECT_NT(ref(NtCurrentProcess(), PROCESS_VM_OPERATION, *PsProcessType, UserMode,
				&obj), STATUS_SUCCESS))
		ObDereferenceObject(obj);
	if (KMEMU_EXPECT_NT(ref(ph, 0, NULL, KernelMode, &obj), STATUS_SUCCESS))
		ObDereferenceObject(obj);
	ZwClose(ph);
	ZwClose(s);
}

KMEMU_CASE(invalid_handle, A "invalid-handle", KVIEW_CAPS, A "status-invalid-handle")
{
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	static const uintptr_t bad[] = { 0, 0xDEADBEEF, 3, 0x10000000000ull };
	PVOID obj;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = (PVOID)(uintptr_t)1;
		KMEMU_EXPECT_NT(ref((HANDLE)bad[i], 0, *MmSectionObjectType, KernelMode, &obj),
				STATUS_INVALID_HANDLE);
		KMEMU_EXPECT_TRUE(obj == NULL);
	}
	KMEMU_SETUP_NT(ZwClose(s));
	KMEMU_EXPECT_NT(ref(s, 0, NULL, KernelMode, &obj), STATUS_INVALID_HANDLE);
}

KMEMU_CASE(access, A "access", KVIEW_CAPS,
	   A "status-access-denied " A "kernel-mode-no-access-check")
{
	HANDLE s = NULL;
	PVOID obj = (PVOID)(uintptr_t)1;
	LARGE_INTEGER li = { .QuadPart = 0x1000 };

	KMEMU_SETUP_NT(ZwCreateSection(&s, SECTION_QUERY, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL));
	KMEMU_EXPECT_NT(ref(s, SECTION_MAP_WRITE, *MmSectionObjectType, UserMode, &obj),
			STATUS_ACCESS_DENIED);
	KMEMU_EXPECT_TRUE(obj == NULL);
	KMEMU_EXPECT_NT(ref(s, GENERIC_READ, *MmSectionObjectType, UserMode, &obj),
			STATUS_ACCESS_DENIED);
	if (KMEMU_EXPECT_NT(ref(s, SECTION_QUERY, *MmSectionObjectType, UserMode, &obj),
			    STATUS_SUCCESS))
		ObDereferenceObject(obj);
	if (KMEMU_EXPECT_NT(ref(s, SECTION_ALL_ACCESS, *MmSectionObjectType, KernelMode, &obj),
			    STATUS_SUCCESS))
		ObDereferenceObject(obj);
	/* KernelMode still checks the type */
	KMEMU_EXPECT_NT(ref(s, 0, *PsProcessType, KernelMode, &obj), STATUS_OBJECT_TYPE_MISMATCH);
	ZwClose(s);
}

KMEMU_CASE(reference_counted, A "reference-counted", KVIEW_CAPS, A "reference-counted")
{
	struct kmemu_stats s0, s1;
	HANDLE s;
	PVOID obj;
	uint8_t *k;
	uint8_t buf[4];

	KMEMU_SETUP_NT(kmemu_stats_get(&s0));
	s = sec_setup_create(0x4000, PAGE_READWRITE, SEC_COMMIT);
	obj = sec_setup_ref(s);
	KMEMU_EXPECT_NT(ZwClose(s), STATUS_SUCCESS);
	KMEMU_SETUP_NT(kmemu_stats_get(&s1));
	KMEMU_EXPECT_EQ(s1.frames_used, s0.frames_used + 4);  /* our reference keeps it */
	k = sec_setup_kmap(obj, 0);
	KMEMU_EXPECT_NT(kmemu_kernel_write((uintptr_t)k + 0x3000, "ref", 4), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_kernel_read((uintptr_t)k + 0x3000, buf, 4), STATUS_SUCCESS);
	KMEMU_EXPECT_MEM(buf, "ref", 4);
	KMEMU_EXPECT_NT(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(ObDereferenceObject(obj), 0);
	KMEMU_SETUP_NT(kmemu_stats_get(&s1));
	KMEMU_EXPECT_EQ(s1.frames_used, s0.frames_used);
}

static void deref_once(void *arg)
{
	ObDereferenceObject(arg);
}

KMEMU_CASE(over_dereference, A "over-dereference", KVIEW_CAPS | KMEMU_CAP_BUGCHECK,
	   A "over-dereference")
{
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	PVOID obj = sec_setup_ref(s);
	struct kmemu_bugcheck_report rep;
	int local;

	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(deref_once, obj, &rep), 0);
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(deref_once, obj, &rep), 1);  /* once too often */
	KMEMU_EXPECT_EQ(rep.code, REFERENCE_BY_POINTER);
	KMEMU_EXPECT_EQ(rep.param[1], (uintptr_t)obj);
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(deref_once, &local, &rep), 1);  /* never referenced */
	KMEMU_EXPECT_EQ(rep.param[1], (uintptr_t)&local);
	/* the section is untouched: its handle still works */
	KMEMU_EXPECT_NT(ZwClose(s), STATUS_SUCCESS);
}

static NTSTATUS irql_status;
static void ref_at_dispatch(void *arg)
{
	PVOID obj = NULL;

	irql_status = ref((HANDLE)arg, 0, *MmSectionObjectType, KernelMode, &obj);
}

static int handler_calls;
static void returning_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)r;
	(void)ctx;
	handler_calls++;
}

KMEMU_CASE(irql, A "irql", KVIEW_CAPS | KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK, A "irql-passive")
{
	HANDLE s = sec_setup_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	struct kmemu_bugcheck_report rep;
	PVOID obj = (PVOID)(uintptr_t)1;

	KMEMU_SETUP_NT(kmemu_irql_set(APC_LEVEL, NULL));
	KMEMU_EXPECT_EQ(kmemu_bugcheck_catch(ref_at_dispatch, s, &rep), 1);
	KMEMU_EXPECT_EQ(rep.code, IRQL_NOT_LESS_OR_EQUAL);
	KMEMU_EXPECT_EQ(rep.param[1], APC_LEVEL);
	KMEMU_EXPECT_EQ(rep.param[2], 8);
	kmemu_bugcheck_set_handler(returning_handler, NULL);
	KMEMU_EXPECT_NT(ref(s, 0, *MmSectionObjectType, KernelMode, &obj), STATUS_UNSUCCESSFUL);
	KMEMU_EXPECT_TRUE(obj == (PVOID)(uintptr_t)1);
	KMEMU_EXPECT_EQ(handler_calls, 1);
	kmemu_bugcheck_set_handler(NULL, NULL);
	KMEMU_SETUP_NT(kmemu_irql_set(PASSIVE_LEVEL, NULL));
	if (KMEMU_EXPECT_NT(ref(s, 0, *MmSectionObjectType, KernelMode, &obj), STATUS_SUCCESS))
		ObDereferenceObject(obj);
	ZwClose(s);
}

const struct kmemu_case *const kmemu_cases_ObReferenceObjectByHandle[] = {
	KMEMU_CASE_REF(prototype),
	KMEMU_CASE_REF(returns_body),
	KMEMU_CASE_REF(type_checked),
	KMEMU_CASE_REF(invalid_handle),
	KMEMU_CASE_REF(access),
	KMEMU_CASE_REF(reference_counted),
	KMEMU_CASE_REF(over_dereference),
	KMEMU_CASE_REF(irql),
	NULL,
};
