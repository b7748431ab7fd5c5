/* SPDX-License-Identifier: MIT */
/*
 * wdm.h - the WDM kernel definitions used by the emulated memory-sharing APIs.
 *
 * IRQL levels and the Ke* IRQL / bug-check routines, memory and section
 * constants, POOL_TYPE, OBJECT_ATTRIBUTES, the section services (Zw* and Nt*),
 * object references by handle (Ob*), system-space views (Mm*InSystemSpace),
 * the Rtl memory helpers and the opaque kernel object pointers.  Names, values
 * and x64 layouts are Windows'; the static asserts at the end of the file pin
 * every structure defined here to its x64 Windows size and offsets.
 */
#ifndef KMEMU_WIN_WDM_H
#define KMEMU_WIN_WDM_H

#include <string.h>
#include <ntdef.h>
#include <ntstatus.h>
#include <bugcodes.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- small base types ntdef.h does not carry ---------------------------- */
typedef CHAR CCHAR;                     /* counted char (KPROCESSOR_MODE) */
typedef const CHAR *PCCH;               /* const char pointer (file names) */

/* ---- IRQL levels (x64) ---------------------------------------------------- */
#define PASSIVE_LEVEL 0                 /* threads; all interrupts enabled */
#define LOW_LEVEL 0                     /* lowest level */
#define APC_LEVEL 1                     /* APCs masked */
#define DISPATCH_LEVEL 2                /* dispatcher/DPC level; no paging */
#define CMCI_LEVEL 5                    /* corrected machine check */
#define CLOCK_LEVEL 13                  /* interval clock */
#define IPI_LEVEL 14                    /* interprocessor interrupt */
#define DRS_LEVEL 14                    /* deferred recovery service */
#define POWER_LEVEL 14                  /* power failure */
#define PROFILE_LEVEL 15                /* timer used for profiling */
#define HIGH_LEVEL 15                   /* highest level */

/* ---- opaque kernel objects ------------------------------------------------ */
typedef struct _EPROCESS *PEPROCESS;            /* process object */
typedef struct _ETHREAD *PETHREAD;              /* thread object */
typedef struct _KTHREAD *PKTHREAD;              /* kernel part of a thread */
typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;  /* loaded driver */
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;  /* device */
typedef struct _FILE_OBJECT FILE_OBJECT, *PFILE_OBJECT;        /* open file */
typedef struct _IRP IRP, *PIRP;                 /* I/O request packet */
typedef struct _MDL MDL, *PMDL;                 /* memory descriptor list */
typedef struct _KTRANSACTION *PKTRANSACTION;    /* KTM transaction */

/* ---- processor mode, lock operation, caching ------------------------------ */
typedef CCHAR KPROCESSOR_MODE;          /* holds a MODE value */

typedef enum _MODE {
	KernelMode = 0,                 /* request came from kernel mode */
	UserMode = 1,                   /* request came from user mode */
	MaximumMode
} MODE;

typedef enum _LOCK_OPERATION {
	IoReadAccess = 0,               /* pages will be read */
	IoWriteAccess = 1,              /* pages will be written */
	IoModifyAccess = 2              /* pages will be read and written */
} LOCK_OPERATION;

typedef enum _MEMORY_CACHING_TYPE {
	MmNotMapped = -1,
	MmNonCached = 0,                /* FALSE */
	MmCached = 1,                   /* TRUE */
	MmWriteCombined = 2,            /* = MmFrameBufferCached */
	MmHardwareCoherentCached = 3,
	MmNonCachedUnordered = 4,
	MmUSWCCached = 5,
	MmMaximumCacheType = 6
} MEMORY_CACHING_TYPE;
#define MmFrameBufferCached MmWriteCombined

/* ---- IRQL and bug check ---------------------------------------------------- */

/*
 * KeGetCurrentIrql() - the IRQL of the calling (emulated) processor.
 * Context: any IRQL.
 * Return: the current IRQL (PASSIVE_LEVEL when no backend is active).
 */
KIRQL NTAPI KeGetCurrentIrql(VOID);

/*
 * KeRaiseIrql() - raise the IRQL to @NewIrql, storing the previous level in
 * *@OldIrql for KeLowerIrql().  Windows bug checks IRQL_NOT_GREATER_OR_EQUAL
 * when @NewIrql is below the current level.
 * Context: any IRQL <= @NewIrql.
 */
VOID NTAPI KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);

/*
 * KeRaiseIrqlToDpcLevel() - raise the IRQL to DISPATCH_LEVEL.
 * Context: IRQL <= DISPATCH_LEVEL.
 * Return: the previous IRQL.
 */
KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID);

/*
 * KeLowerIrql() - restore the IRQL saved by KeRaiseIrql().  Windows bug
 * checks IRQL_NOT_LESS_OR_EQUAL when @NewIrql is above the current level.
 * Context: any IRQL >= @NewIrql.
 */
VOID NTAPI KeLowerIrql(KIRQL NewIrql);

/*
 * KeBugCheckEx() - stop the (emulated) machine with a bug check code and four
 * parameters.  kmemu turns it into a report (see kmemu_bugcheck_catch()).
 * Context: any IRQL.  Does not return.
 */
DECLSPEC_NORETURN VOID NTAPI KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1,
					  ULONG_PTR BugCheckParameter2, ULONG_PTR BugCheckParameter3,
					  ULONG_PTR BugCheckParameter4);

/*
 * KeBugCheck() - KeBugCheckEx(@BugCheckCode, 0, 0, 0, 0).
 * Context: any IRQL.  Does not return.
 */
DECLSPEC_NORETURN VOID NTAPI KeBugCheck(ULONG BugCheckCode);

/* ---- page protection (PAGE_*) ---------------------------------------------- */
#define PAGE_NOACCESS 0x01u
#define PAGE_READONLY 0x02u
#define PAGE_READWRITE 0x04u
#define PAGE_WRITECOPY 0x08u
#define PAGE_EXECUTE 0x10u
#define PAGE_EXECUTE_READ 0x20u
#define PAGE_EXECUTE_READWRITE 0x40u
#define PAGE_EXECUTE_WRITECOPY 0x80u
#define PAGE_GUARD 0x100u               /* modifier */
#define PAGE_NOCACHE 0x200u             /* modifier */
#define PAGE_WRITECOMBINE 0x400u        /* modifier */

/* ---- allocation types and region states (MEM_*) ---------------------------- */
#define MEM_UNMAP_WITH_TRANSIENT_BOOST 0x1u     /* unmap-Ex flag */
#define MEM_PRESERVE_PLACEHOLDER 0x2u           /* unmap-Ex flag */
#define MEM_COMMIT 0x1000u
#define MEM_RESERVE 0x2000u
#define MEM_REPLACE_PLACEHOLDER 0x4000u         /* map/allocate flag */
#define MEM_DECOMMIT 0x4000u                    /* free type (same bit) */
#define MEM_RELEASE 0x8000u
#define MEM_FREE 0x10000u                       /* region state */
#define MEM_PRIVATE 0x20000u                    /* region type */
#define MEM_MAPPED 0x40000u                     /* region type */
#define MEM_RESERVE_PLACEHOLDER 0x40000u        /* allocate flag (same bit) */
#define MEM_RESET 0x80000u
#define MEM_TOP_DOWN 0x100000u
#define MEM_WRITE_WATCH 0x200000u
#define MEM_PHYSICAL 0x400000u
#define MEM_DIFFERENT_IMAGE_BASE_OK 0x800000u      /* map flag (image sections) */
#define MEM_LARGE_PAGES 0x20000000u
#define MEM_DOS_LIM 0x40000000u
#define AT_ROUND_TO_PAGE 0x40000000u            /* map flag (same bit) */
#define MEM_4MB_PAGES 0x80000000u

/* ---- section attributes (SEC_*) ------------------------------------------- */
#define SEC_PARTITION_OWNER_HANDLE 0x40000u
#define SEC_64K_PAGES 0x80000u
#define SEC_BASED 0x200000u
#define SEC_NO_CHANGE 0x400000u
#define SEC_FILE 0x800000u
#define SEC_IMAGE 0x1000000u
#define SEC_PROTECTED_IMAGE 0x2000000u
#define SEC_RESERVE 0x4000000u
#define SEC_COMMIT 0x8000000u
#define SEC_NOCACHE 0x10000000u
#define SEC_WRITECOMBINE 0x40000000u
#define SEC_LARGE_PAGES 0x80000000u
#define SEC_IMAGE_NO_EXECUTE (SEC_IMAGE | SEC_NOCACHE)
#define MEM_IMAGE SEC_IMAGE                     /* region type */

/* ---- access rights -------------------------------------------------------- */
#define DELETE 0x00010000u
#define READ_CONTROL 0x00020000u
#define WRITE_DAC 0x00040000u
#define WRITE_OWNER 0x00080000u
#define SYNCHRONIZE 0x00100000u
#define STANDARD_RIGHTS_REQUIRED 0x000F0000u
#define STANDARD_RIGHTS_READ READ_CONTROL
#define STANDARD_RIGHTS_WRITE READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE READ_CONTROL
#define STANDARD_RIGHTS_ALL 0x001F0000u
#define SPECIFIC_RIGHTS_ALL 0x0000FFFFu
#define ACCESS_SYSTEM_SECURITY 0x01000000u
#define MAXIMUM_ALLOWED 0x02000000u
#define GENERIC_READ 0x80000000u
#define GENERIC_WRITE 0x40000000u
#define GENERIC_EXECUTE 0x20000000u
#define GENERIC_ALL 0x10000000u

#define SECTION_QUERY 0x0001u
#define SECTION_MAP_WRITE 0x0002u
#define SECTION_MAP_READ 0x0004u
#define SECTION_MAP_EXECUTE 0x0008u
#define SECTION_EXTEND_SIZE 0x0010u
#define SECTION_MAP_EXECUTE_EXPLICIT 0x0020u    /* not part of SECTION_ALL_ACCESS */
#define SECTION_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_WRITE | \
			    SECTION_MAP_READ | SECTION_MAP_EXECUTE | SECTION_EXTEND_SIZE)

/* Process access rights (the ones the section services check). */
#define PROCESS_TERMINATE 0x0001u
#define PROCESS_CREATE_THREAD 0x0002u
#define PROCESS_VM_OPERATION 0x0008u            /* map / unmap views in the process */
#define PROCESS_VM_READ 0x0010u
#define PROCESS_VM_WRITE 0x0020u
#define PROCESS_DUP_HANDLE 0x0040u
#define PROCESS_QUERY_INFORMATION 0x0400u
#define PROCESS_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFFu)

#define FILE_MAP_COPY SECTION_QUERY
#define FILE_MAP_WRITE SECTION_MAP_WRITE
#define FILE_MAP_READ SECTION_MAP_READ
#define FILE_MAP_EXECUTE SECTION_MAP_EXECUTE_EXPLICIT
#define FILE_MAP_ALL_ACCESS SECTION_ALL_ACCESS

/* ---- pages ------------------------------------------------------------------
 * Windows' page size, whatever the host's: a host header's PAGE_SIZE (musl,
 * <sys/user.h>) is replaced so driver code sees the Windows value. */
#undef PAGE_SIZE
#undef PAGE_SHIFT
#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12

/* Pages spanned by @Size bytes starting on a page boundary (ULONG). */
#define BYTES_TO_PAGES(Size) \
	((ULONG)(((ULONG_PTR)(Size) >> PAGE_SHIFT) + \
		 (((ULONG_PTR)(Size) & ((ULONG_PTR)PAGE_SIZE - 1)) != 0)))
/* @Size rounded up to a multiple of PAGE_SIZE (ULONG_PTR). */
#define ROUND_TO_PAGES(Size) \
	(((ULONG_PTR)(Size) + (ULONG_PTR)PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))
/* The page-aligned start of the page holding @Va (PVOID). */
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))
/* The offset of @Va inside its page (ULONG). */
#define BYTE_OFFSET(Va) ((ULONG)((ULONG_PTR)(Va) & ((ULONG_PTR)PAGE_SIZE - 1)))
/* Pages touched by @Size bytes starting at @Va (ULONG). */
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
	((ULONG)(((ULONG_PTR)BYTE_OFFSET(Va) + (ULONG_PTR)(Size) + (ULONG_PTR)PAGE_SIZE - 1) >> \
		 PAGE_SHIFT))

/* ---- pool types ------------------------------------------------------------ */
typedef enum _POOL_TYPE {
	NonPagedPool = 0,
	NonPagedPoolExecute = NonPagedPool,
	PagedPool = 1,
	NonPagedPoolMustSucceed = 2,
	DontUseThisType = 3,
	NonPagedPoolCacheAligned = 4,
	PagedPoolCacheAligned = 5,
	NonPagedPoolCacheAlignedMustS = 6,
	MaxPoolType = 7,

	NonPagedPoolBase = 0,
	NonPagedPoolBaseMustSucceed = 2,
	NonPagedPoolBaseCacheAligned = 4,
	NonPagedPoolBaseCacheAlignedMustS = 6,

	NonPagedPoolSession = 32,
	PagedPoolSession = 33,
	NonPagedPoolMustSucceedSession = 34,
	DontUseThisTypeSession = 35,
	NonPagedPoolCacheAlignedSession = 36,
	PagedPoolCacheAlignedSession = 37,
	NonPagedPoolCacheAlignedMustSSession = 38,

	NonPagedPoolNx = 512,
	NonPagedPoolNxCacheAligned = 516,
	NonPagedPoolSessionNx = 544
} POOL_TYPE;

/* ---- object attributes ----------------------------------------------------- */
#define OBJ_INHERIT 0x00000002u
#define OBJ_PERMANENT 0x00000010u
#define OBJ_EXCLUSIVE 0x00000020u
#define OBJ_CASE_INSENSITIVE 0x00000040u
#define OBJ_OPENIF 0x00000080u
#define OBJ_OPENLINK 0x00000100u
#define OBJ_KERNEL_HANDLE 0x00000200u
#define OBJ_FORCE_ACCESS_CHECK 0x00000400u
#define OBJ_IGNORE_IMPERSONATED_DEVICEMAP 0x00000800u
#define OBJ_DONT_REPARSE 0x00001000u
#define OBJ_VALID_ATTRIBUTES 0x00001FF2u

typedef struct _OBJECT_ATTRIBUTES {
	ULONG Length;                   /* sizeof(OBJECT_ATTRIBUTES) */
	HANDLE RootDirectory;           /* ObjectName is relative to this, or NULL */
	PUNICODE_STRING ObjectName;     /* object name, or NULL for unnamed */
	ULONG Attributes;               /* OBJ_* flags */
	PVOID SecurityDescriptor;       /* SECURITY_DESCRIPTOR, or NULL for default */
	PVOID SecurityQualityOfService; /* SECURITY_QUALITY_OF_SERVICE, or NULL */
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
typedef const OBJECT_ATTRIBUTES *PCOBJECT_ATTRIBUTES;

/* Fill *@p (a POBJECT_ATTRIBUTES); SecurityQualityOfService becomes NULL. */
#define InitializeObjectAttributes(p, n, a, r, s) \
	do { \
		(p)->Length = (ULONG)sizeof(OBJECT_ATTRIBUTES); \
		(p)->RootDirectory = (r); \
		(p)->Attributes = (a); \
		(p)->ObjectName = (n); \
		(p)->SecurityDescriptor = (s); \
		(p)->SecurityQualityOfService = NULL; \
	} while (0)

/* ---- pseudo handles -------------------------------------------------------- */
#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define ZwCurrentProcess() NtCurrentProcess()
#define NtCurrentThread() ((HANDLE)(LONG_PTR)-2)
#define ZwCurrentThread() NtCurrentThread()

/* ---- sections --------------------------------------------------------------- */
typedef enum _SECTION_INHERIT {
	ViewShare = 1,                  /* view is mapped into future child processes */
	ViewUnmap = 2                   /* view is not mapped into child processes */
} SECTION_INHERIT;

typedef enum _SECTION_INFORMATION_CLASS {
	SectionBasicInformation = 0,    /* SECTION_BASIC_INFORMATION */
	SectionImageInformation = 1,    /* image sections only */
	SectionRelocationInformation = 2,
	SectionOriginalBaseInformation = 3,
	SectionInternalImageInformation = 4,
	MaxSectionInfoClass
} SECTION_INFORMATION_CLASS;

typedef struct _SECTION_BASIC_INFORMATION {
	PVOID BaseAddress;              /* based sections only; otherwise NULL */
	ULONG AllocationAttributes;     /* SEC_* as reported, see spec §2 */
	LARGE_INTEGER MaximumSize;      /* section size in bytes */
} SECTION_BASIC_INFORMATION, *PSECTION_BASIC_INFORMATION;

/*
 * ZwCreateSection() - create a section object (shared memory, optionally
 * backed by @FileHandle; NULL = backed by the paging file) and open a handle
 * to it with @DesiredAccess.
 * @MaximumSize: size in bytes (required for paging-file sections; 0 or NULL
 * means the file size for file sections); @SectionPageProtection: one base
 * PAGE_* value; @AllocationAttributes: SEC_COMMIT, SEC_RESERVE or SEC_IMAGE,
 * optionally with SEC_NOCACHE etc.
 * Windows returns STATUS_SUCCESS (STATUS_OBJECT_NAME_EXISTS for OBJ_OPENIF on
 * an existing name), STATUS_INVALID_PAGE_PROTECTION, STATUS_INVALID_PARAMETER_4
 * / _6, STATUS_SECTION_TOO_BIG, STATUS_INVALID_FILE_FOR_SECTION,
 * STATUS_OBJECT_NAME_COLLISION, STATUS_INSUFFICIENT_RESOURCES.
 * Context: PASSIVE_LEVEL.
 */
NTSYSAPI NTSTATUS NTAPI ZwCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
					POBJECT_ATTRIBUTES ObjectAttributes,
					PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection,
					ULONG AllocationAttributes, HANDLE FileHandle);

/*
 * ZwOpenSection() - open a handle to an existing named section.
 * Windows returns STATUS_SUCCESS, STATUS_OBJECT_NAME_NOT_FOUND,
 * STATUS_OBJECT_TYPE_MISMATCH (the name is not a section), STATUS_ACCESS_DENIED,
 * STATUS_OBJECT_PATH_SYNTAX_BAD.
 * Context: PASSIVE_LEVEL.
 */
NTSYSAPI NTSTATUS NTAPI ZwOpenSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
				      POBJECT_ATTRIBUTES ObjectAttributes);

/*
 * ZwMapViewOfSection() - map a view of a section into the address space of
 * @ProcessHandle (ZwCurrentProcess() for the caller's).
 * *@BaseAddress: NULL lets the system choose, otherwise the requested start
 * (rounded down to 64 KiB); receives the view's base.  @ZeroBits (< 21): high
 * address bits that must be zero.  @CommitSize: initially committed bytes
 * (paging-file sections).  *@SectionOffset: rounded down to the allocation
 * granularity.  *@ViewSize: 0 maps to the end of the section, otherwise rounded
 * up to PAGE_SIZE; receives the actual size.  @InheritDisposition: ViewShare or
 * ViewUnmap.  @AllocationType: MEM_RESERVE, MEM_TOP_DOWN, MEM_LARGE_PAGES,
 * MEM_DIFFERENT_IMAGE_BASE_OK, MEM_REPLACE_PLACEHOLDER (not MEM_COMMIT).
 * @Win32Protect: PAGE_* compatible with the section's protection.
 * Windows returns STATUS_SUCCESS, STATUS_CONFLICTING_ADDRESSES,
 * STATUS_INVALID_PAGE_PROTECTION, STATUS_SECTION_PROTECTION (see spec §4 for
 * the full validation order).
 * Context: PASSIVE_LEVEL.
 */
NTSYSAPI NTSTATUS NTAPI ZwMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle,
					   PVOID *BaseAddress, ULONG_PTR ZeroBits,
					   SIZE_T CommitSize, PLARGE_INTEGER SectionOffset,
					   PSIZE_T ViewSize, SECTION_INHERIT InheritDisposition,
					   ULONG AllocationType, ULONG Win32Protect);

/*
 * ZwUnmapViewOfSection() - unmap the whole view containing @BaseAddress from
 * @ProcessHandle's address space.
 * Windows returns STATUS_SUCCESS, STATUS_NOT_MAPPED_VIEW, STATUS_INVALID_HANDLE.
 * Context: PASSIVE_LEVEL.
 */
NTSYSAPI NTSTATUS NTAPI ZwUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress);

/*
 * ZwClose() - close a handle; the object goes when its last handle and
 * reference are gone (a section stays while views are mapped).
 * Windows returns STATUS_SUCCESS or STATUS_INVALID_HANDLE (a kernel-mode
 * caller closing a bad kernel handle bug checks on Windows).
 * Context: PASSIVE_LEVEL.
 */
NTSYSAPI NTSTATUS NTAPI ZwClose(HANDLE Handle);

/* NtCreateSection() - ZwCreateSection() with the caller's previous mode
 * (arguments probed as user-mode pointers when called from user mode).
 * Context: PASSIVE_LEVEL. */
NTSYSAPI NTSTATUS NTAPI NtCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
					POBJECT_ATTRIBUTES ObjectAttributes,
					PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection,
					ULONG AllocationAttributes, HANDLE FileHandle);

/* NtOpenSection() - ZwOpenSection() with the caller's previous mode.
 * Context: PASSIVE_LEVEL. */
NTSYSAPI NTSTATUS NTAPI NtOpenSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
				      POBJECT_ATTRIBUTES ObjectAttributes);

/* NtMapViewOfSection() - ZwMapViewOfSection() with the caller's previous mode.
 * Context: PASSIVE_LEVEL. */
NTSYSAPI NTSTATUS NTAPI NtMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle,
					   PVOID *BaseAddress, ULONG_PTR ZeroBits,
					   SIZE_T CommitSize, PLARGE_INTEGER SectionOffset,
					   PSIZE_T ViewSize, SECTION_INHERIT InheritDisposition,
					   ULONG AllocationType, ULONG Win32Protect);

/* NtUnmapViewOfSection() - ZwUnmapViewOfSection() with the caller's previous
 * mode.  Context: PASSIVE_LEVEL. */
NTSYSAPI NTSTATUS NTAPI NtUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress);

/* NtClose() - ZwClose() with the caller's previous mode.
 * Context: PASSIVE_LEVEL. */
NTSYSAPI NTSTATUS NTAPI NtClose(HANDLE Handle);

/*
 * NtQuerySection() - copy information about a section into
 * @SectionInformation (@SectionInformationLength bytes); *@ResultLength, when
 * non-NULL, receives the size of the structure written.
 * Windows returns STATUS_SUCCESS, STATUS_INFO_LENGTH_MISMATCH (buffer smaller
 * than the class's structure), STATUS_SECTION_NOT_IMAGE
 * (SectionImageInformation on a data section), STATUS_ACCESS_DENIED (handle
 * without SECTION_QUERY), STATUS_INVALID_HANDLE, STATUS_INVALID_INFO_CLASS.
 * Context: PASSIVE_LEVEL.
 */
NTSYSAPI NTSTATUS NTAPI NtQuerySection(HANDLE SectionHandle,
				       SECTION_INFORMATION_CLASS SectionInformationClass,
				       PVOID SectionInformation, SIZE_T SectionInformationLength,
				       PSIZE_T ResultLength);

/* ---- Ex views: extended parameters (SDK winnt.h) ------------------------------ */
typedef enum MEM_EXTENDED_PARAMETER_TYPE {
	MemExtendedParameterInvalidType = 0,
	MemExtendedParameterAddressRequirements = 1,  /* Pointer: MEM_ADDRESS_REQUIREMENTS */
	MemExtendedParameterNumaNode = 2,             /* ULong: preferred node */
	MemExtendedParameterPartitionHandle = 3,      /* Handle: memory partition */
	MemExtendedParameterUserPhysicalHandle = 4,   /* Handle: AWE section */
	MemExtendedParameterAttributeFlags = 5,       /* ULong64: MEM_EXTENDED_PARAMETER_* */
	MemExtendedParameterImageMachine = 6,         /* ULong: IMAGE_FILE_MACHINE_* */
	MemExtendedParameterMax
} MEM_EXTENDED_PARAMETER_TYPE, *PMEM_EXTENDED_PARAMETER_TYPE;

#define MEM_EXTENDED_PARAMETER_TYPE_BITS 8

/* One extended parameter: Type in the low 8 bits, the value in the union. */
typedef struct __attribute__((aligned(8))) MEM_EXTENDED_PARAMETER {
	struct {
		DWORD64 Type : MEM_EXTENDED_PARAMETER_TYPE_BITS;
		DWORD64 Reserved : 64 - MEM_EXTENDED_PARAMETER_TYPE_BITS;
	};
	union {
		DWORD64 ULong64;
		PVOID Pointer;
		SIZE_T Size;
		HANDLE Handle;
		ULONG ULong;
	};
} MEM_EXTENDED_PARAMETER, *PMEM_EXTENDED_PARAMETER;

/* Where a view may go: [LowestStartingAddress, HighestEndingAddress]. */
typedef struct _MEM_ADDRESS_REQUIREMENTS {
	PVOID LowestStartingAddress;    /* 64 KiB aligned, or NULL */
	PVOID HighestEndingAddress;     /* page multiple - 1, or NULL (no limit) */
	SIZE_T Alignment;               /* must be 0 for a view */
} MEM_ADDRESS_REQUIREMENTS, *PMEM_ADDRESS_REQUIREMENTS;

/*
 * NtMapViewOfSectionEx() - NtMapViewOfSection() without ZeroBits, CommitSize
 * and InheritDisposition (ViewUnmap), with @ExtendedParameterCount extended
 * parameters at @ExtendedParameters: one MemExtendedParameterAddressRequirements
 * places the view at or below HighestEndingAddress.
 * Windows returns the statuses of NtMapViewOfSection, and
 * STATUS_INVALID_PARAMETER for a bad extended parameter (type 0 or >= Max,
 * two address requirements, HighestEndingAddress not a page multiple - 1 or
 * above the highest user address, requirements with an explicit base, any
 * Alignment) and STATUS_INVALID_HANDLE for a NULL @ProcessHandle.
 * Context: PASSIVE_LEVEL.
 */
NTSYSAPI NTSTATUS NTAPI NtMapViewOfSectionEx(HANDLE SectionHandle, HANDLE ProcessHandle,
					     PVOID *BaseAddress, PLARGE_INTEGER SectionOffset,
					     PSIZE_T ViewSize, ULONG AllocationType,
					     ULONG PageProtection,
					     PMEM_EXTENDED_PARAMETER ExtendedParameters,
					     ULONG ExtendedParameterCount);
/* ZwMapViewOfSectionEx() - NtMapViewOfSectionEx() (a kernel-mode caller).
 * Context: PASSIVE_LEVEL. */
NTSYSAPI NTSTATUS NTAPI ZwMapViewOfSectionEx(HANDLE SectionHandle, HANDLE ProcessHandle,
					     PVOID *BaseAddress, PLARGE_INTEGER SectionOffset,
					     PSIZE_T ViewSize, ULONG AllocationType,
					     ULONG PageProtection,
					     PMEM_EXTENDED_PARAMETER ExtendedParameters,
					     ULONG ExtendedParameterCount);

/*
 * NtUnmapViewOfSectionEx() - NtUnmapViewOfSection() with @Flags:
 * MEM_UNMAP_WITH_TRANSIENT_BOOST (a scheduling hint) and
 * MEM_PRESERVE_PLACEHOLDER (leave the placeholder the view replaced).
 * Windows returns the statuses of NtUnmapViewOfSection, and
 * STATUS_INVALID_PARAMETER (other flag bits), STATUS_CONFLICTING_ADDRESSES
 * (MEM_PRESERVE_PLACEHOLDER on a view that replaced no placeholder).
 * Context: PASSIVE_LEVEL.
 */
NTSYSAPI NTSTATUS NTAPI NtUnmapViewOfSectionEx(HANDLE ProcessHandle, PVOID BaseAddress,
					       ULONG Flags);
/* ZwUnmapViewOfSectionEx() - NtUnmapViewOfSectionEx().  Context: PASSIVE_LEVEL. */
NTSYSAPI NTSTATUS NTAPI ZwUnmapViewOfSectionEx(HANDLE ProcessHandle, PVOID BaseAddress,
					       ULONG Flags);

/*
 * NtAreMappedFilesTheSame() - do two addresses of the current process lie in
 * views of the same image file?
 * Windows returns STATUS_SUCCESS (the same view, any offsets inside),
 * STATUS_NOT_SAME_DEVICE (two different views; data views never match),
 * STATUS_INVALID_ADDRESS (NULL or an address not mapped in the process),
 * STATUS_CONFLICTING_ADDRESSES (mapped memory that is no view: heap,
 * private allocations).
 * Context: PASSIVE_LEVEL.
 */
NTSYSAPI NTSTATUS NTAPI NtAreMappedFilesTheSame(PVOID File1MappedAsAnImage,
						PVOID File2MappedAsFile);

/* ---- object manager: references by handle ------------------------------------ */
#ifndef NTKERNELAPI
#define NTKERNELAPI
#endif

/* An object type (opaque): compare against *MmSectionObjectType, *PsProcessType. */
typedef struct _OBJECT_TYPE *POBJECT_TYPE;

typedef struct _OBJECT_HANDLE_INFORMATION {
	ULONG HandleAttributes;         /* OBJ_* of the handle */
	ACCESS_MASK GrantedAccess;      /* access the handle grants */
} OBJECT_HANDLE_INFORMATION, *POBJECT_HANDLE_INFORMATION;

/* Exported type objects (pointers to pointers, as ntoskrnl exports them:
 * pass *MmSectionObjectType).  MmSectionObjectType is ntoskrnl's export that
 * the WDK leaves undeclared (drivers declare it themselves; this declaration
 * is compatible with theirs). */
extern POBJECT_TYPE *MmSectionObjectType;
extern POBJECT_TYPE *PsProcessType;

/*
 * ObReferenceObjectByHandle() - the object @Handle names, with a new
 * reference, after checking its type (@ObjectType, NULL for any) and, when
 * @AccessMode is UserMode, that the handle grants @DesiredAccess (KernelMode
 * skips the access check).  *@Object is NULL on failure; @HandleInformation
 * (drivers pass NULL) receives the handle's attributes and granted access.
 * Windows returns STATUS_SUCCESS, STATUS_INVALID_HANDLE,
 * STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED.  Drop the reference
 * with ObDereferenceObject().
 * Context: PASSIVE_LEVEL.
 */
NTKERNELAPI NTSTATUS NTAPI ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess,
						     POBJECT_TYPE ObjectType,
						     KPROCESSOR_MODE AccessMode, PVOID *Object,
						     POBJECT_HANDLE_INFORMATION HandleInformation);

/*
 * ObfDereferenceObject() - drop one reference on @Object (ObDereferenceObject
 * is this function, as in the WDK); the object goes with its last reference.
 * Returns the references left.  Dropping a reference the caller does not hold
 * is bug check REFERENCE_BY_POINTER (0x18).
 * Context: IRQL <= DISPATCH_LEVEL.
 */
NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object);
#define ObDereferenceObject(a) ObfDereferenceObject(a)

/* ---- system-space views of sections (ntddk.h on Windows) -------------------- */

/*
 * MmMapViewInSystemSpace() - map @Section (an object pointer from
 * ObReferenceObjectByHandle with *MmSectionObjectType) into kernel space.
 * *@ViewSize: 0 maps the whole section; receives the size mapped (rounded up
 * to pages).  *@MappedBase receives the view's kernel address (64 KiB
 * aligned).  The view aliases every other view of the section and holds a
 * reference on it until MmUnmapViewInSystemSpace().
 * Windows returns STATUS_SUCCESS, STATUS_INVALID_VIEW_SIZE (larger than the
 * section, or 4 GiB and more), STATUS_NO_MEMORY (no system view space).
 * Context: IRQL <= APC_LEVEL.
 */
NTKERNELAPI NTSTATUS NTAPI MmMapViewInSystemSpace(PVOID Section, PVOID *MappedBase,
						  PSIZE_T ViewSize);

/*
 * MmUnmapViewInSystemSpace() - unmap the system-space view at @MappedBase
 * and drop its section reference.  An address that is not such a view is bug
 * check DRIVER_UNMAPPING_INVALID_VIEW (0xD7).
 * Context: IRQL <= APC_LEVEL.
 */
NTKERNELAPI NTSTATUS NTAPI MmUnmapViewInSystemSpace(PVOID MappedBase);

/* ---- Rtl helpers ------------------------------------------------------------ */

/*
 * RtlInitUnicodeString() - point @DestinationString at the NUL-terminated
 * UTF-16 string @SourceString (not copied): Length = its size in bytes without
 * the terminator, MaximumLength = Length + 2; NULL gives an empty string with
 * a NULL Buffer.
 * Context: IRQL <= DISPATCH_LEVEL (any level if both are in nonpaged memory).
 */
NTSYSAPI VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);

#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))

/*
 * RtlCompareMemory() - the number of leading bytes that match in @Source1 and
 * @Source2 (== @Length when the blocks are equal).  Unlike memcmp(), it
 * returns a count, not an ordering.  Context: any IRQL for nonpaged memory.
 */
static inline SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
	const UCHAR *a = (const UCHAR *)Source1;
	const UCHAR *b = (const UCHAR *)Source2;
	SIZE_T i = 0;

	while (i < Length && a[i] == b[i])
		i++;
	return i;
}

/* ---- driver object --------------------------------------------------------- */
#define IRP_MJ_MAXIMUM_FUNCTION 0x1b    /* last major function code */

typedef struct _DRIVER_EXTENSION *PDRIVER_EXTENSION;        /* I/O manager's per-driver data */
typedef struct _FAST_IO_DISPATCH *PFAST_IO_DISPATCH;        /* fast I/O entry points */

/* DriverEntry: called once at load with the driver object and its registry key. */
typedef NTSTATUS NTAPI DRIVER_INITIALIZE(PDRIVER_OBJECT DriverObject,
					 PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;
/* Called before the driver is unloaded. */
typedef VOID NTAPI DRIVER_UNLOAD(PDRIVER_OBJECT DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;
/* An IRP_MJ_* dispatch routine. */
typedef NTSTATUS NTAPI DRIVER_DISPATCH(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;
/* StartIo routine. */
typedef VOID NTAPI DRIVER_STARTIO(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_STARTIO *PDRIVER_STARTIO;

/* A loaded driver, as the I/O manager hands it to DriverEntry. */
struct _DRIVER_OBJECT {
	SHORT Type;                             /* IO_TYPE_DRIVER (4) */
	SHORT Size;                             /* sizeof(DRIVER_OBJECT) */
	PDEVICE_OBJECT DeviceObject;            /* first device the driver created */
	ULONG Flags;                            /* DRVO_* */
	PVOID DriverStart;                      /* image base */
	ULONG DriverSize;                       /* image size */
	PVOID DriverSection;                    /* loader entry */
	PDRIVER_EXTENSION DriverExtension;      /* AddDevice and the service key name */
	UNICODE_STRING DriverName;              /* \Driver\<name> */
	PUNICODE_STRING HardwareDatabase;       /* registry hardware key */
	PFAST_IO_DISPATCH FastIoDispatch;       /* fast I/O, or NULL */
	PDRIVER_INITIALIZE DriverInit;          /* DriverEntry */
	PDRIVER_STARTIO DriverStartIo;          /* StartIo, or NULL */
	PDRIVER_UNLOAD DriverUnload;            /* Unload, or NULL (not unloadable) */
	PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];  /* dispatch table */
};
#define IO_TYPE_DRIVER 4                /* DRIVER_OBJECT.Type */

/* ---- structure helpers ----------------------------------------------------- */
#define ARGUMENT_PRESENT(ArgumentPointer) ((CHAR *)((ULONG_PTR)(ArgumentPointer)) != (CHAR *)NULL)
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define CONTAINING_RECORD(address, type, field) \
	((type *)(void *)((PCHAR)(address) - offsetof(type, field)))

/* ---- size pins: x64 Windows layouts ---------------------------------------- */
_Static_assert(sizeof(KPROCESSOR_MODE) == 1, "KPROCESSOR_MODE is a CCHAR");
_Static_assert(sizeof(POOL_TYPE) == 4, "POOL_TYPE is an int-sized enum");
_Static_assert(sizeof(SECTION_INHERIT) == 4, "SECTION_INHERIT is an int-sized enum");
_Static_assert(sizeof(OBJECT_ATTRIBUTES) == 48, "OBJECT_ATTRIBUTES is 48 bytes on x64");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, Length) == 0, "OBJECT_ATTRIBUTES.Length at 0");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, RootDirectory) == 8, "OBJECT_ATTRIBUTES.RootDirectory at 8");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, ObjectName) == 16, "OBJECT_ATTRIBUTES.ObjectName at 16");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, Attributes) == 24, "OBJECT_ATTRIBUTES.Attributes at 24");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, SecurityDescriptor) == 32,
	       "OBJECT_ATTRIBUTES.SecurityDescriptor at 32");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, SecurityQualityOfService) == 40,
	       "OBJECT_ATTRIBUTES.SecurityQualityOfService at 40");
_Static_assert(sizeof(SECTION_BASIC_INFORMATION) == 24, "SECTION_BASIC_INFORMATION is 24 bytes on x64");
_Static_assert(offsetof(SECTION_BASIC_INFORMATION, BaseAddress) == 0,
	       "SECTION_BASIC_INFORMATION.BaseAddress at 0");
_Static_assert(offsetof(SECTION_BASIC_INFORMATION, AllocationAttributes) == 8,
	       "SECTION_BASIC_INFORMATION.AllocationAttributes at 8");
_Static_assert(offsetof(SECTION_BASIC_INFORMATION, MaximumSize) == 16,
	       "SECTION_BASIC_INFORMATION.MaximumSize at 16");
_Static_assert(sizeof(OBJECT_HANDLE_INFORMATION) == 8, "OBJECT_HANDLE_INFORMATION is 8 bytes");
_Static_assert(offsetof(OBJECT_HANDLE_INFORMATION, GrantedAccess) == 4,
	       "OBJECT_HANDLE_INFORMATION.GrantedAccess at 4");
_Static_assert(sizeof(DRIVER_OBJECT) == 0x150, "DRIVER_OBJECT is 0x150 bytes on x64");
_Static_assert(offsetof(DRIVER_OBJECT, DriverName) == 0x38, "DRIVER_OBJECT.DriverName at 0x38");
_Static_assert(offsetof(DRIVER_OBJECT, DriverUnload) == 0x68, "DRIVER_OBJECT.DriverUnload at 0x68");
_Static_assert(offsetof(DRIVER_OBJECT, MajorFunction) == 0x70, "DRIVER_OBJECT.MajorFunction at 0x70");
_Static_assert(SECTION_ALL_ACCESS == 0xF001Fu, "SECTION_ALL_ACCESS is 0xF001F");
_Static_assert(PAGE_SIZE == (1 << PAGE_SHIFT), "PAGE_SIZE matches PAGE_SHIFT");

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_WIN_WDM_H */
