/* SPDX-License-Identifier: MIT */
/*
 * test_headers.c - the Windows headers compile together and keep Windows'
 * x64 sizes, offsets, values and macro results.
 *
 * Standalone (no cmocka, no kmemu library): only types, constants, macros and
 * static inline helpers are used, so it links with nothing but libc.
 *   cc -std=c11 -Wall -Wextra -Werror -Iinclude/win tests/test_headers.c -o /tmp/th && /tmp/th
 * Prints one line per failed check and exits nonzero if any failed.
 */
#include <stdio.h>
#include <string.h>
#include <wds_lib.h>
#include <wdm.h>
#include <wdf.h>
#include <wdftypes.h>
#include <wdfcore.h>
#include <wdfassert.h>
#include <wdfbugcodes.h>
#include <wdfobject.h>
#include <wdfdriver.h>
#include <wdfmemory.h>
#include <wdfdevice.h>
#include <wdfio.h>
#include <wdfrequest.h>
#include <fltkernel.h>
#include <ntddk.h>
#include <kmemu/wdf.h>

static int failures;
static int checks;

static void check_eq(const char *expr, unsigned long long got, unsigned long long want, int line)
{
	checks++;
	if (got != want) {
		failures++;
		printf("FAIL line %d: %s == 0x%llx, expected 0x%llx\n", line, expr, got, want);
	}
}

static void check_true(const char *expr, int ok, int line)
{
	checks++;
	if (!ok) {
		failures++;
		printf("FAIL line %d: %s\n", line, expr);
	}
}

#define EQ(expr, want) \
	check_eq(#expr, (unsigned long long)(expr), (unsigned long long)(want), __LINE__)
#define TRUE_(expr) check_true(#expr, (expr) ? 1 : 0, __LINE__)
#define SIZE(type, n) EQ(sizeof(type), n)
#define OFF(type, field, n) EQ(offsetof(type, field), n)

#define STR_(x) #x
#define XSTR(x) STR_(x)

/* ---- compile-time checks: prototype shapes (unevaluated, so nothing links) -- */
#define HAS_TYPE(expr, type) _Generic((expr), type: 1, default: 0)

_Static_assert(HAS_TYPE(&ZwMapViewOfSection,
			NTSTATUS (*)(HANDLE, HANDLE, PVOID *, ULONG_PTR, SIZE_T, PLARGE_INTEGER,
				     PSIZE_T, SECTION_INHERIT, ULONG, ULONG)),
	       "ZwMapViewOfSection has the seed 002 shape");
_Static_assert(HAS_TYPE(&NtMapViewOfSection,
			NTSTATUS (*)(HANDLE, HANDLE, PVOID *, ULONG_PTR, SIZE_T, PLARGE_INTEGER,
				     PSIZE_T, SECTION_INHERIT, ULONG, ULONG)),
	       "NtMapViewOfSection matches ZwMapViewOfSection");
_Static_assert(HAS_TYPE(&ZwCreateSection,
			NTSTATUS (*)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, PLARGE_INTEGER,
				     ULONG, ULONG, HANDLE)),
	       "ZwCreateSection has the WDK shape");
_Static_assert(HAS_TYPE(&NtQuerySection,
			NTSTATUS (*)(HANDLE, SECTION_INFORMATION_CLASS, PVOID, SIZE_T, PSIZE_T)),
	       "NtQuerySection shape");
_Static_assert(HAS_TYPE(&KeBugCheckEx,
			void (*)(ULONG, ULONG_PTR, ULONG_PTR, ULONG_PTR, ULONG_PTR)),
	       "KeBugCheckEx shape");
_Static_assert(HAS_TYPE(&KeRaiseIrql, void (*)(KIRQL, PKIRQL)), "KeRaiseIrql shape");
_Static_assert(HAS_TYPE(&WdfRequestProbeAndLockUserBufferForWrite,
			NTSTATUS (*)(WDFREQUEST, PVOID, size_t, WDFMEMORY *)),
	       "WdfRequestProbeAndLockUserBufferForWrite has the seed 001 shape");
_Static_assert(HAS_TYPE(&WdfMemoryAssignBuffer, NTSTATUS (*)(WDFMEMORY, PVOID, size_t)),
	       "WdfMemoryAssignBuffer has the seed 003 shape");
_Static_assert(HAS_TYPE(&WdfMemoryCreate,
			NTSTATUS (*)(PWDF_OBJECT_ATTRIBUTES, POOL_TYPE, ULONG, size_t, WDFMEMORY *,
				     PVOID *)),
	       "WdfMemoryCreate shape");
_Static_assert(HAS_TYPE(&WdfObjectReferenceActual, void (*)(WDFOBJECT, PVOID, LONG, PCCH)),
	       "WdfObjectReferenceActual shape");
_Static_assert(HAS_TYPE(&FltAllocateContext,
			NTSTATUS (*)(PFLT_FILTER, FLT_CONTEXT_TYPE, SIZE_T, POOL_TYPE,
				     PFLT_CONTEXT *)),
	       "FltAllocateContext has the seed 004 shape");
_Static_assert(HAS_TYPE(&FltSetStreamContext,
			NTSTATUS (*)(PFLT_INSTANCE, PFILE_OBJECT, FLT_SET_CONTEXT_OPERATION,
				     PFLT_CONTEXT, PFLT_CONTEXT *)),
	       "FltSetStreamContext shape");
_Static_assert(HAS_TYPE(&FltGetVolumeContext,
			NTSTATUS (*)(PFLT_FILTER, PFLT_VOLUME, PFLT_CONTEXT *)),
	       "FltGetVolumeContext shape");
_Static_assert(HAS_TYPE(&FltGetContexts,
			void (*)(PCFLT_RELATED_OBJECTS, FLT_CONTEXT_TYPE, PFLT_RELATED_CONTEXTS)),
	       "FltGetContexts shape");
_Static_assert(HAS_TYPE(WdfMemoryGetBuffer(NULL, NULL), PVOID), "WdfMemoryGetBuffer returns PVOID");
_Static_assert(HAS_TYPE((WDFOBJECT)0, void *), "WDFOBJECT is the typeless HANDLE");
_Static_assert(sizeof(OBJECT_ATTRIBUTES) == 48, "OBJECT_ATTRIBUTES x64 size");
_Static_assert(sizeof(WDF_OBJECT_ATTRIBUTES) == 56, "WDF_OBJECT_ATTRIBUTES x64 size");
_Static_assert(sizeof(FLT_REGISTRATION) == 112, "FLT_REGISTRATION x64 size");
_Static_assert(sizeof(WD_KERNEL_BUFFER) == 32, "WD_KERNEL_BUFFER x64 size");

/* ---- run-time checks ------------------------------------------------------------- */

static void test_base_and_irql(void)
{
	SIZE(ULONG, 4);
	SIZE(KIRQL, 1);
	SIZE(KPROCESSOR_MODE, 1);
	SIZE(UNICODE_STRING, 16);
	SIZE(WD_KERNEL_BUFFER, 32);
	EQ(PASSIVE_LEVEL, 0);
	EQ(LOW_LEVEL, 0);
	EQ(APC_LEVEL, 1);
	EQ(DISPATCH_LEVEL, 2);
	EQ(CMCI_LEVEL, 5);
	EQ(CLOCK_LEVEL, 13);
	EQ(IPI_LEVEL, 14);
	EQ(DRS_LEVEL, 14);
	EQ(POWER_LEVEL, 14);
	EQ(PROFILE_LEVEL, 15);
	EQ(HIGH_LEVEL, 15);
	EQ(KernelMode, 0);
	EQ(UserMode, 1);
	EQ(IoReadAccess, 0);
	EQ(IoWriteAccess, 1);
	EQ(IoModifyAccess, 2);
	EQ(MmNonCached, 0);
	EQ(MmCached, 1);
	EQ(MmWriteCombined, 2);
	EQ(WDF_VIOLATION, 0x10D);
	EQ(STATUS_SUCCESS, 0);
}

static void test_memory_constants(void)
{
	EQ(PAGE_NOACCESS, 0x01);
	EQ(PAGE_READONLY, 0x02);
	EQ(PAGE_READWRITE, 0x04);
	EQ(PAGE_WRITECOPY, 0x08);
	EQ(PAGE_EXECUTE, 0x10);
	EQ(PAGE_EXECUTE_READ, 0x20);
	EQ(PAGE_EXECUTE_READWRITE, 0x40);
	EQ(PAGE_EXECUTE_WRITECOPY, 0x80);
	EQ(PAGE_GUARD, 0x100);
	EQ(PAGE_NOCACHE, 0x200);
	EQ(PAGE_WRITECOMBINE, 0x400);
	EQ(MEM_COMMIT, 0x1000);
	EQ(MEM_RESERVE, 0x2000);
	EQ(MEM_DECOMMIT, 0x4000);
	EQ(MEM_REPLACE_PLACEHOLDER, 0x4000);
	EQ(MEM_RELEASE, 0x8000);
	EQ(MEM_FREE, 0x10000);
	EQ(MEM_PRIVATE, 0x20000);
	EQ(MEM_MAPPED, 0x40000);
	EQ(MEM_RESERVE_PLACEHOLDER, 0x40000);
	EQ(MEM_RESET, 0x80000);
	EQ(MEM_TOP_DOWN, 0x100000);
	EQ(MEM_LARGE_PAGES, 0x20000000);
	EQ(MEM_DOS_LIM, 0x40000000);
	EQ(AT_ROUND_TO_PAGE, 0x40000000);
	EQ(MEM_4MB_PAGES, 0x80000000u);
	EQ(MEM_PRESERVE_PLACEHOLDER, 0x2);
	EQ(MEM_UNMAP_WITH_TRANSIENT_BOOST, 0x1);
	EQ(MEM_IMAGE, 0x1000000);
	EQ(SEC_FILE, 0x800000);
	EQ(SEC_IMAGE, 0x1000000);
	EQ(SEC_RESERVE, 0x4000000);
	EQ(SEC_COMMIT, 0x8000000);
	EQ(SEC_NOCACHE, 0x10000000);
	EQ(SEC_WRITECOMBINE, 0x40000000);
	EQ(SEC_LARGE_PAGES, 0x80000000u);
	EQ(SEC_IMAGE_NO_EXECUTE, 0x11000000);
	EQ(SECTION_QUERY, 0x1);
	EQ(SECTION_MAP_WRITE, 0x2);
	EQ(SECTION_MAP_READ, 0x4);
	EQ(SECTION_MAP_EXECUTE, 0x8);
	EQ(SECTION_EXTEND_SIZE, 0x10);
	EQ(SECTION_MAP_EXECUTE_EXPLICIT, 0x20);
	EQ(STANDARD_RIGHTS_REQUIRED, 0xF0000);
	EQ(SECTION_ALL_ACCESS, 0xF001F);
	EQ(DELETE, 0x10000);
	EQ(READ_CONTROL, 0x20000);
	EQ(WRITE_DAC, 0x40000);
	EQ(WRITE_OWNER, 0x80000);
	EQ(SYNCHRONIZE, 0x100000);
	EQ(GENERIC_READ, 0x80000000u);
	EQ(GENERIC_WRITE, 0x40000000);
	EQ(GENERIC_EXECUTE, 0x20000000);
	EQ(GENERIC_ALL, 0x10000000);
	EQ(FILE_MAP_COPY, 0x1);
	EQ(FILE_MAP_WRITE, 0x2);
	EQ(FILE_MAP_READ, 0x4);
	EQ(FILE_MAP_EXECUTE, 0x20);
	EQ(ViewShare, 1);
	EQ(ViewUnmap, 2);
	EQ(NonPagedPool, 0);
	EQ(NonPagedPoolExecute, 0);
	EQ(PagedPool, 1);
	EQ(NonPagedPoolMustSucceed, 2);
	EQ(NonPagedPoolCacheAligned, 4);
	EQ(PagedPoolCacheAligned, 5);
	EQ(NonPagedPoolCacheAlignedMustS, 6);
	EQ(MaxPoolType, 7);
	EQ(NonPagedPoolSession, 32);
	EQ(NonPagedPoolNx, 512);
	EQ(NonPagedPoolNxCacheAligned, 516);
	EQ(NonPagedPoolSessionNx, 544);
}

static void test_page_macros(void)
{
	EQ(PAGE_SIZE, 0x1000);
	EQ(PAGE_SHIFT, 12);
	EQ(BYTES_TO_PAGES(0), 0);
	EQ(BYTES_TO_PAGES(1), 1);
	EQ(BYTES_TO_PAGES(0x1000), 1);
	EQ(BYTES_TO_PAGES(0x1001), 2);
	EQ(ROUND_TO_PAGES(0), 0);
	EQ(ROUND_TO_PAGES(1), 0x1000);
	EQ(ROUND_TO_PAGES(0x3452), 0x4000);
	EQ(ROUND_TO_PAGES(0x123456789000ull), 0x123456789000ull);
	EQ((ULONG_PTR)PAGE_ALIGN((PVOID)(ULONG_PTR)0x7ffe12345678ull), 0x7ffe12345000ull);
	EQ(BYTE_OFFSET((PVOID)(ULONG_PTR)0x7ffe12345678ull), 0x678);
	EQ(ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)(ULONG_PTR)0x10ff0, 0x20), 2);
	EQ(ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)(ULONG_PTR)0x10000, 0x1000), 1);
	EQ((ULONG_PTR)NtCurrentProcess(), (ULONG_PTR)-1);
	EQ((ULONG_PTR)ZwCurrentProcess(), (ULONG_PTR)-1);
	EQ((ULONG_PTR)NtCurrentThread(), (ULONG_PTR)-2);
}

struct outer {
	ULONG a;
	LIST_ENTRY link;
};

static void test_object_attributes_and_rtl(void)
{
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING name = { 0, 0, NULL };
	SECTION_BASIC_INFORMATION sbi;
	struct outer o;
	UCHAR x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	UCHAR y[8] = { 1, 2, 3, 9, 5, 6, 7, 8 };

	SIZE(OBJECT_ATTRIBUTES, 48);
	OFF(OBJECT_ATTRIBUTES, RootDirectory, 8);
	OFF(OBJECT_ATTRIBUTES, ObjectName, 16);
	OFF(OBJECT_ATTRIBUTES, Attributes, 24);
	OFF(OBJECT_ATTRIBUTES, SecurityDescriptor, 32);
	OFF(OBJECT_ATTRIBUTES, SecurityQualityOfService, 40);
	SIZE(SECTION_BASIC_INFORMATION, 24);
	OFF(SECTION_BASIC_INFORMATION, AllocationAttributes, 8);
	OFF(SECTION_BASIC_INFORMATION, MaximumSize, 16);
	EQ(SectionBasicInformation, 0);
	EQ(OBJ_INHERIT, 0x2);
	EQ(OBJ_PERMANENT, 0x10);
	EQ(OBJ_EXCLUSIVE, 0x20);
	EQ(OBJ_CASE_INSENSITIVE, 0x40);
	EQ(OBJ_OPENIF, 0x80);
	EQ(OBJ_OPENLINK, 0x100);
	EQ(OBJ_KERNEL_HANDLE, 0x200);
	EQ(OBJ_FORCE_ACCESS_CHECK, 0x400);

	memset(&oa, 0xAB, sizeof(oa));
	InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
	EQ(oa.Length, 48);
	TRUE_(oa.RootDirectory == NULL);
	TRUE_(oa.ObjectName == &name);
	EQ(oa.Attributes, 0x240);
	TRUE_(oa.SecurityDescriptor == NULL);
	TRUE_(oa.SecurityQualityOfService == NULL);

	RtlFillMemory(&sbi, sizeof(sbi), 0x5A);
	EQ(((UCHAR *)&sbi)[23], 0x5A);
	RtlZeroMemory(&sbi, sizeof(sbi));
	EQ(sbi.MaximumSize.QuadPart, 0);
	EQ(RtlCompareMemory(x, y, sizeof(x)), 3);
	EQ(RtlCompareMemory(x, x, sizeof(x)), 8);
	TRUE_(RtlEqualMemory(x, x, sizeof(x)));
	TRUE_(!RtlEqualMemory(x, y, sizeof(x)));
	RtlCopyMemory(y, x, sizeof(x));
	TRUE_(RtlEqualMemory(x, y, sizeof(x)));
	RtlMoveMemory(x + 1, x, 4);
	EQ(x[4], 4);
	EQ(FIELD_OFFSET(struct outer, link), 8);
	TRUE_(CONTAINING_RECORD(&o.link, struct outer, link) == &o);
	TRUE_(ARGUMENT_PRESENT(&o));
	TRUE_(!ARGUMENT_PRESENT(NULL));
}

static void test_wdf(void)
{
	WDF_OBJECT_ATTRIBUTES attr;
	WDF_MEMORY_DESCRIPTOR desc;
	WDFMEMORY_OFFSET off = { 16, 32 };
	char buf[4];
	const char *ref = XSTR(WdfObjectReference(h));
	const char *deref = XSTR(WdfObjectDereferenceWithTag(h, t));

	WDFCASSERT(sizeof(WDF_OBJECT_ATTRIBUTES) == 56);
	SIZE(WDF_OBJECT_ATTRIBUTES, 56);
	OFF(WDF_OBJECT_ATTRIBUTES, EvtCleanupCallback, 8);
	OFF(WDF_OBJECT_ATTRIBUTES, EvtDestroyCallback, 16);
	OFF(WDF_OBJECT_ATTRIBUTES, ExecutionLevel, 24);
	OFF(WDF_OBJECT_ATTRIBUTES, SynchronizationScope, 28);
	OFF(WDF_OBJECT_ATTRIBUTES, ParentObject, 32);
	OFF(WDF_OBJECT_ATTRIBUTES, ContextSizeOverride, 40);
	OFF(WDF_OBJECT_ATTRIBUTES, ContextTypeInfo, 48);
	SIZE(WDF_OBJECT_CONTEXT_TYPE_INFO, 40);
	SIZE(WDFMEMORY_OFFSET, 16);
	SIZE(WDF_MEMORY_DESCRIPTOR, 24);
	OFF(WDF_MEMORY_DESCRIPTOR, u, 8);
	SIZE(WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA, 40);
	SIZE(WDFMEMORY, 8);
	SIZE(WDFOBJECT, 8);

	memset(&attr, 0xCD, sizeof(attr));
	WDF_OBJECT_ATTRIBUTES_INIT(&attr);
	EQ(attr.Size, 56);
	EQ(attr.ExecutionLevel, WdfExecutionLevelInheritFromParent);
	EQ(attr.SynchronizationScope, WdfSynchronizationScopeInheritFromParent);
	TRUE_(attr.EvtCleanupCallback == NULL && attr.EvtDestroyCallback == NULL);
	TRUE_(attr.ParentObject == NULL && attr.ContextTypeInfo == NULL);
	EQ(attr.ContextSizeOverride, 0);
	EQ(WdfExecutionLevelInheritFromParent, 1);
	EQ(WdfExecutionLevelDispatch, 3);
	EQ(WdfSynchronizationScopeInheritFromParent, 1);
	EQ(WdfSynchronizationScopeNone, 4);
	TRUE_(WDF_NO_OBJECT_ATTRIBUTES == NULL && WDF_NO_HANDLE == NULL);

	WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(&desc, buf, sizeof(buf));
	EQ(desc.Type, WdfMemoryDescriptorTypeBuffer);
	TRUE_(desc.u.BufferType.Buffer == buf);
	EQ(desc.u.BufferType.Length, 4);
	WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(&desc, NULL, &off);
	EQ(desc.Type, WdfMemoryDescriptorTypeHandle);
	TRUE_(desc.u.HandleType.Offsets == &off);

	EQ(WDF_VERIFIER_FATAL_ERROR, 3);
	EQ(WDF_REQUIRED_PARAMETER_IS_NULL, 4);
	EQ(WDF_INVALID_HANDLE, 5);
	EQ(WDF_REQUEST_FATAL_ERROR, 6);
	EQ(WDF_OBJECT_ERROR, 7);
	EQ(WDF_INVALID_LOCK_OPERATION, 0xB);
	EQ(WDF_VERIFIER_IRQL_MISMATCH, 0xE);
	EQ(WDF_CRITICAL_REGION_MISMATCH, 0xF);
	EQ(WDF_VERIFIER_CRITICAL_REGION_MISMATCH, 0xF);
	EQ(WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH, 4);

	TRUE_(strstr(ref, "WdfObjectReferenceActual(h,") == ref);
	TRUE_(strstr(ref, "__LINE__") == NULL && strstr(ref, "test_headers.c") != NULL);
	TRUE_(strstr(deref, "WdfObjectDereferenceActual(h, t,") == deref);
}

static void test_flt(void)
{
	FLT_CONTEXT_REGISTRATION ctx[] = {
		{ FLT_STREAM_CONTEXT, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, NULL, 64,
		  0x74737445u, NULL, NULL, NULL },
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL },
	};
	FLT_OPERATION_REGISTRATION ops[] = {
		{ IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL },
	};
	FLT_REGISTRATION reg = {
		.Size = sizeof(FLT_REGISTRATION),
		.Version = FLT_REGISTRATION_VERSION,
		.ContextRegistration = ctx,
		.OperationRegistration = ops,
	};

	SIZE(FLT_CONTEXT_TYPE, 2);
	EQ(FLT_VOLUME_CONTEXT, 0x1);
	EQ(FLT_INSTANCE_CONTEXT, 0x2);
	EQ(FLT_FILE_CONTEXT, 0x4);
	EQ(FLT_STREAM_CONTEXT, 0x8);
	EQ(FLT_STREAMHANDLE_CONTEXT, 0x10);
	EQ(FLT_TRANSACTION_CONTEXT, 0x20);
	EQ(FLT_SECTION_CONTEXT, 0x40);
	EQ(FLT_ALL_CONTEXTS, 0x7F);
	EQ(FLT_CONTEXT_END, 0xFFFF);
	EQ(FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, 1);
	EQ(FLT_VARIABLE_SIZED_CONTEXTS, (SIZE_T)-1);
	EQ(FLT_SET_CONTEXT_REPLACE_IF_EXISTS, 0);
	EQ(FLT_SET_CONTEXT_KEEP_IF_EXISTS, 1);
	EQ(FLT_REGISTRATION_VERSION, 0x0203);
	EQ(FLT_REGISTRATION_VERSION_0200, 0x0200);
	EQ(FLT_REGISTRATION_VERSION_0202, 0x0202);

	SIZE(FLT_CONTEXT_REGISTRATION, 56);
	OFF(FLT_CONTEXT_REGISTRATION, Flags, 2);
	OFF(FLT_CONTEXT_REGISTRATION, ContextCleanupCallback, 8);
	OFF(FLT_CONTEXT_REGISTRATION, Size, 16);
	OFF(FLT_CONTEXT_REGISTRATION, PoolTag, 24);
	OFF(FLT_CONTEXT_REGISTRATION, ContextAllocateCallback, 32);
	OFF(FLT_CONTEXT_REGISTRATION, ContextFreeCallback, 40);
	OFF(FLT_CONTEXT_REGISTRATION, Reserved1, 48);
	SIZE(FLT_OPERATION_REGISTRATION, 32);
	SIZE(FLT_REGISTRATION, 112);
	OFF(FLT_REGISTRATION, Flags, 4);
	OFF(FLT_REGISTRATION, ContextRegistration, 8);
	OFF(FLT_REGISTRATION, OperationRegistration, 16);
	OFF(FLT_REGISTRATION, FilterUnloadCallback, 24);
	OFF(FLT_REGISTRATION, InstanceSetupCallback, 32);
	OFF(FLT_REGISTRATION, InstanceQueryTeardownCallback, 40);
	OFF(FLT_REGISTRATION, InstanceTeardownStartCallback, 48);
	OFF(FLT_REGISTRATION, InstanceTeardownCompleteCallback, 56);
	OFF(FLT_REGISTRATION, GenerateFileNameCallback, 64);
	OFF(FLT_REGISTRATION, NormalizeNameComponentCallback, 72);
	OFF(FLT_REGISTRATION, NormalizeContextCleanupCallback, 80);
	OFF(FLT_REGISTRATION, TransactionNotificationCallback, 88);
	OFF(FLT_REGISTRATION, NormalizeNameComponentExCallback, 96);
	OFF(FLT_REGISTRATION, SectionNotificationCallback, 104);
	SIZE(FLT_RELATED_OBJECTS, 48);
	OFF(FLT_RELATED_OBJECTS, FileObject, 32);
	SIZE(FLT_RELATED_CONTEXTS, 48);

	EQ(reg.Size, 112);
	EQ(reg.ContextRegistration[1].ContextType, FLT_CONTEXT_END);
	EQ(reg.OperationRegistration[0].MajorFunction, 0x80);
}

int main(void)
{
	test_base_and_irql();
	test_memory_constants();
	test_page_macros();
	test_object_attributes_and_rtl();
	test_wdf();
	test_flt();
	printf("test_headers: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
