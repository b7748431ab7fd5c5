/* SPDX-License-Identifier: MIT */
/*
 * fltkernel.h - Filter Manager (minifilter) registration and context APIs.
 *
 * The context types and constants, FLT_CONTEXT_REGISTRATION,
 * FLT_OPERATION_REGISTRATION, FLT_REGISTRATION (Windows' field order, up to
 * version 0x0203), FLT_RELATED_OBJECTS / FLT_RELATED_CONTEXTS and the
 * FltRegisterFilter / FltAllocateContext / FltSet|Get|Delete*Context family.
 * Behaviour notes: spec/sections.md §8.  Every structure defined here is
 * pinned to its x64 Windows layout at the end of the file.
 */
#ifndef KMEMU_WIN_FLTKERNEL_H
#define KMEMU_WIN_FLTKERNEL_H

#include <wdm.h>
#include <devioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FLTAPI
#define FLTAPI
#endif

/* ---- opaque Filter Manager objects ---------------------------------------- */
typedef struct _FLT_FILTER *PFLT_FILTER;        /* a registered minifilter */
typedef struct _FLT_VOLUME *PFLT_VOLUME;        /* a volume FltMgr attaches to */
typedef struct _FLT_INSTANCE *PFLT_INSTANCE;    /* a minifilter attached to a volume */
typedef struct _FLT_CALLBACK_DATA *PFLT_CALLBACK_DATA;  /* an I/O operation */
typedef struct _FLT_NAME_CONTROL *PFLT_NAME_CONTROL;    /* name buffer (name providers) */
typedef struct _FILE_NAMES_INFORMATION *PFILE_NAMES_INFORMATION;  /* directory entry */
/* PFILE_OBJECT and PKTRANSACTION come from <wdm.h>. */

typedef ULONG DEVICE_TYPE;                      /* FILE_DEVICE_* */

/* ---- contexts --------------------------------------------------------------- */
typedef PVOID PFLT_CONTEXT;                     /* minifilter portion of a context */
#define NULL_CONTEXT ((PFLT_CONTEXT)NULL)

typedef USHORT FLT_CONTEXT_TYPE;                /* one FLT_*_CONTEXT bit, or a mask */
#define FLT_VOLUME_CONTEXT 0x0001
#define FLT_INSTANCE_CONTEXT 0x0002
#define FLT_FILE_CONTEXT 0x0004
#define FLT_STREAM_CONTEXT 0x0008
#define FLT_STREAMHANDLE_CONTEXT 0x0010
#define FLT_TRANSACTION_CONTEXT 0x0020
#define FLT_SECTION_CONTEXT 0x0040              /* Windows 8 and later */
#define FLT_CONTEXT_END 0xffff                  /* ends a registration array */
#define FLT_ALL_CONTEXTS 0x007F                 /* Windows 8 and later (0x3F before) */

typedef USHORT FLT_CONTEXT_REGISTRATION_FLAGS;
/* A fixed-size entry may serve any request up to its size, not just equal. */
#define FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH 0x0001

/* Size value of a variable-sized context registration (allocated from pool). */
#define FLT_VARIABLE_SIZED_CONTEXTS ((SIZE_T)-1)

typedef enum _FLT_SET_CONTEXT_OPERATION {
	FLT_SET_CONTEXT_REPLACE_IF_EXISTS = 0,  /* attach, replacing any existing */
	FLT_SET_CONTEXT_KEEP_IF_EXISTS = 1      /* attach only if none is set */
} FLT_SET_CONTEXT_OPERATION, *PFLT_SET_CONTEXT_OPERATION;

/* Called just before a context is freed (its last reference is gone). */
typedef VOID (FLTAPI *PFLT_CONTEXT_CLEANUP_CALLBACK)(PFLT_CONTEXT Context,
						     FLT_CONTEXT_TYPE ContextType);
/* Allocates a context of @Size bytes (header included) from @PoolType. */
typedef PVOID (FLTAPI *PFLT_CONTEXT_ALLOCATE_CALLBACK)(POOL_TYPE PoolType, SIZE_T Size,
						       FLT_CONTEXT_TYPE ContextType);
/* Frees a context allocated by the matching allocate callback. */
typedef VOID (FLTAPI *PFLT_CONTEXT_FREE_CALLBACK)(PVOID Pool, FLT_CONTEXT_TYPE ContextType);

/* One context type (and size) a minifilter uses; arrays end with FLT_CONTEXT_END. */
typedef struct _FLT_CONTEXT_REGISTRATION {
	FLT_CONTEXT_TYPE ContextType;           /* FLT_*_CONTEXT, or FLT_CONTEXT_END */
	FLT_CONTEXT_REGISTRATION_FLAGS Flags;   /* FLTFL_CONTEXT_REGISTRATION_* */
	PFLT_CONTEXT_CLEANUP_CALLBACK ContextCleanupCallback;   /* or NULL */
	SIZE_T Size;                            /* bytes, or FLT_VARIABLE_SIZED_CONTEXTS */
	ULONG PoolTag;                          /* pool tag for FltMgr's allocations */
	PFLT_CONTEXT_ALLOCATE_CALLBACK ContextAllocateCallback; /* or NULL */
	PFLT_CONTEXT_FREE_CALLBACK ContextFreeCallback;         /* or NULL */
	PVOID Reserved1;                        /* must be NULL */
} FLT_CONTEXT_REGISTRATION, *PFLT_CONTEXT_REGISTRATION;
typedef const FLT_CONTEXT_REGISTRATION *PCFLT_CONTEXT_REGISTRATION;

/* The objects an operation or instance callback is about (read-only to drivers). */
typedef struct _FLT_RELATED_OBJECTS {
	USHORT Size;                     /* sizeof(FLT_RELATED_OBJECTS) */
	USHORT TransactionContext;       /* miniversion id when Transaction != NULL */
	PFLT_FILTER Filter;              /* the minifilter being called */
	PFLT_VOLUME Volume;              /* the volume */
	PFLT_INSTANCE Instance;          /* the minifilter's instance on it */
	PFILE_OBJECT FileObject;         /* the file object, or NULL */
	PKTRANSACTION Transaction;       /* the transaction, or NULL */
} FLT_RELATED_OBJECTS, *PFLT_RELATED_OBJECTS;
typedef const struct _FLT_RELATED_OBJECTS *PCFLT_RELATED_OBJECTS;

/* The contexts FltGetContexts() found for a FLT_RELATED_OBJECTS (NULL: none). */
typedef struct _FLT_RELATED_CONTEXTS {
	PFLT_CONTEXT VolumeContext;
	PFLT_CONTEXT InstanceContext;
	PFLT_CONTEXT FileContext;
	PFLT_CONTEXT StreamContext;
	PFLT_CONTEXT StreamHandleContext;
	PFLT_CONTEXT TransactionContext;
} FLT_RELATED_CONTEXTS, *PFLT_RELATED_CONTEXTS;

/* ---- operation registration ------------------------------------------------- */
typedef ULONG FLT_OPERATION_REGISTRATION_FLAGS;
typedef ULONG FLT_POST_OPERATION_FLAGS;

#define IRP_MJ_OPERATION_END ((UCHAR)0x80)     /* ends an operation array */

typedef enum _FLT_PREOP_CALLBACK_STATUS {
	FLT_PREOP_SUCCESS_WITH_CALLBACK = 0,
	FLT_PREOP_SUCCESS_NO_CALLBACK = 1,
	FLT_PREOP_PENDING = 2,
	FLT_PREOP_DISALLOW_FASTIO = 3,
	FLT_PREOP_COMPLETE = 4,
	FLT_PREOP_SYNCHRONIZE = 5,
	FLT_PREOP_DISALLOW_FSFILTER_IO = 6
} FLT_PREOP_CALLBACK_STATUS, *PFLT_PREOP_CALLBACK_STATUS;

typedef enum _FLT_POSTOP_CALLBACK_STATUS {
	FLT_POSTOP_FINISHED_PROCESSING = 0,
	FLT_POSTOP_MORE_PROCESSING_REQUIRED = 1,
	FLT_POSTOP_DISALLOW_FSFILTER_IO = 2
} FLT_POSTOP_CALLBACK_STATUS, *PFLT_POSTOP_CALLBACK_STATUS;

typedef FLT_PREOP_CALLBACK_STATUS (FLTAPI *PFLT_PRE_OPERATION_CALLBACK)(
	PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects, PVOID *CompletionContext);
typedef FLT_POSTOP_CALLBACK_STATUS (FLTAPI *PFLT_POST_OPERATION_CALLBACK)(
	PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects, PVOID CompletionContext,
	FLT_POST_OPERATION_FLAGS Flags);

/* One I/O operation a minifilter filters; arrays end with IRP_MJ_OPERATION_END. */
typedef struct _FLT_OPERATION_REGISTRATION {
	UCHAR MajorFunction;                    /* IRP_MJ_*, or IRP_MJ_OPERATION_END */
	FLT_OPERATION_REGISTRATION_FLAGS Flags; /* FLTFL_OPERATION_REGISTRATION_* */
	PFLT_PRE_OPERATION_CALLBACK PreOperation;   /* or NULL */
	PFLT_POST_OPERATION_CALLBACK PostOperation; /* or NULL */
	PVOID Reserved1;                        /* must be NULL */
} FLT_OPERATION_REGISTRATION, *PFLT_OPERATION_REGISTRATION;

/* ---- filter registration ------------------------------------------------------- */
typedef ULONG FLT_REGISTRATION_FLAGS;
#define FLTFL_REGISTRATION_DO_NOT_SUPPORT_SERVICE_STOP 0x00000001
#define FLTFL_REGISTRATION_SUPPORT_NPFS_MSFS 0x00000002
#define FLTFL_REGISTRATION_SUPPORT_DAX_VOLUME 0x00000004

#define FLT_REGISTRATION_VERSION_0200 0x0200    /* through NormalizeContextCleanupCallback */
#define FLT_REGISTRATION_VERSION_0201 0x0201    /* + TransactionNotificationCallback */
#define FLT_REGISTRATION_VERSION_0202 0x0202    /* + NormalizeNameComponentExCallback */
#define FLT_REGISTRATION_VERSION_0203 0x0203    /* + SectionNotificationCallback (Win8) */
#define FLT_REGISTRATION_VERSION FLT_REGISTRATION_VERSION_0203

typedef ULONG FLT_FILTER_UNLOAD_FLAGS;
#define FLTFL_FILTER_UNLOAD_MANDATORY 0x00000001
typedef ULONG FLT_INSTANCE_SETUP_FLAGS;
typedef ULONG FLT_INSTANCE_QUERY_TEARDOWN_FLAGS;
typedef ULONG FLT_INSTANCE_TEARDOWN_FLAGS;
typedef ULONG FLT_FILE_NAME_OPTIONS;
typedef ULONG FLT_NORMALIZE_NAME_FLAGS;

/* File system of a volume (instance setup). */
typedef enum _FLT_FILESYSTEM_TYPE {
	FLT_FSTYPE_UNKNOWN = 0,
	FLT_FSTYPE_RAW,
	FLT_FSTYPE_NTFS,
	FLT_FSTYPE_FAT,
	FLT_FSTYPE_CDFS,
	FLT_FSTYPE_UDFS,
	FLT_FSTYPE_LANMAN,
	FLT_FSTYPE_WEBDAV,
	FLT_FSTYPE_RDPDR,
	FLT_FSTYPE_NFS,
	FLT_FSTYPE_MS_NETWARE,
	FLT_FSTYPE_NETWARE,
	FLT_FSTYPE_BSUDF,
	FLT_FSTYPE_MUP,
	FLT_FSTYPE_RSFX,
	FLT_FSTYPE_ROXIO_UDF1,
	FLT_FSTYPE_ROXIO_UDF2,
	FLT_FSTYPE_ROXIO_UDF3,
	FLT_FSTYPE_TACIT,
	FLT_FSTYPE_FS_REC,
	FLT_FSTYPE_INCD,
	FLT_FSTYPE_INCD_FAT,
	FLT_FSTYPE_EXFAT,
	FLT_FSTYPE_PSFS,
	FLT_FSTYPE_GPFS,
	FLT_FSTYPE_NPFS,
	FLT_FSTYPE_MSFS,
	FLT_FSTYPE_CSVFS,
	FLT_FSTYPE_REFS,
	FLT_FSTYPE_OPENAFS,
	FLT_FSTYPE_CIMFS
} FLT_FILESYSTEM_TYPE, *PFLT_FILESYSTEM_TYPE;

typedef NTSTATUS (FLTAPI *PFLT_FILTER_UNLOAD_CALLBACK)(FLT_FILTER_UNLOAD_FLAGS Flags);
typedef NTSTATUS (FLTAPI *PFLT_INSTANCE_SETUP_CALLBACK)(
	PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
	DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);
typedef NTSTATUS (FLTAPI *PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK)(
	PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags);
typedef VOID (FLTAPI *PFLT_INSTANCE_TEARDOWN_CALLBACK)(PCFLT_RELATED_OBJECTS FltObjects,
						      FLT_INSTANCE_TEARDOWN_FLAGS Reason);
/* Name-provider and notification callbacks: kmemu never calls these. */
typedef NTSTATUS (FLTAPI *PFLT_GENERATE_FILE_NAME)(
	PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, PFLT_CALLBACK_DATA CallbackData,
	FLT_FILE_NAME_OPTIONS NameOptions, PBOOLEAN CacheFileNameInformation,
	PFLT_NAME_CONTROL FileName);
typedef NTSTATUS (FLTAPI *PFLT_NORMALIZE_NAME_COMPONENT)(
	PFLT_INSTANCE Instance, PCUNICODE_STRING ParentDirectory, USHORT VolumeNameLength,
	PCUNICODE_STRING Component, PFILE_NAMES_INFORMATION ExpandComponentName,
	ULONG ExpandComponentNameLength, FLT_NORMALIZE_NAME_FLAGS Flags,
	PVOID *NormalizationContext);
typedef VOID (FLTAPI *PFLT_NORMALIZE_CONTEXT_CLEANUP)(PVOID *NormalizationContext);
typedef NTSTATUS (FLTAPI *PFLT_TRANSACTION_NOTIFICATION_CALLBACK)(
	PCFLT_RELATED_OBJECTS FltObjects, PFLT_CONTEXT TransactionContext,
	ULONG NotificationMask);
typedef NTSTATUS (FLTAPI *PFLT_NORMALIZE_NAME_COMPONENT_EX)(
	PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, PCUNICODE_STRING ParentDirectory,
	USHORT VolumeNameLength, PCUNICODE_STRING Component,
	PFILE_NAMES_INFORMATION ExpandComponentName, ULONG ExpandComponentNameLength,
	FLT_NORMALIZE_NAME_FLAGS Flags, PVOID *NormalizationContext);
typedef NTSTATUS (FLTAPI *PFLT_SECTION_CONFLICT_NOTIFICATION_CALLBACK)(
	PFLT_INSTANCE Instance, PFLT_CONTEXT SectionContext, PFLT_CALLBACK_DATA Data);

/* What a minifilter hands to FltRegisterFilter(). */
typedef struct _FLT_REGISTRATION {
	USHORT Size;                            /* sizeof(FLT_REGISTRATION) */
	USHORT Version;                         /* FLT_REGISTRATION_VERSION */
	FLT_REGISTRATION_FLAGS Flags;           /* FLTFL_REGISTRATION_* */
	const FLT_CONTEXT_REGISTRATION *ContextRegistration;     /* or NULL */
	const FLT_OPERATION_REGISTRATION *OperationRegistration; /* or NULL */
	PFLT_FILTER_UNLOAD_CALLBACK FilterUnloadCallback;
	PFLT_INSTANCE_SETUP_CALLBACK InstanceSetupCallback;
	PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK InstanceQueryTeardownCallback;
	PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownStartCallback;
	PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownCompleteCallback;
	PFLT_GENERATE_FILE_NAME GenerateFileNameCallback;
	PFLT_NORMALIZE_NAME_COMPONENT NormalizeNameComponentCallback;
	PFLT_NORMALIZE_CONTEXT_CLEANUP NormalizeContextCleanupCallback;
	PFLT_TRANSACTION_NOTIFICATION_CALLBACK TransactionNotificationCallback;    /* 0x0201+ */
	PFLT_NORMALIZE_NAME_COMPONENT_EX NormalizeNameComponentExCallback;         /* 0x0202+ */
	PFLT_SECTION_CONFLICT_NOTIFICATION_CALLBACK SectionNotificationCallback;   /* 0x0203+ */
} FLT_REGISTRATION, *PFLT_REGISTRATION;

/* ---- registration ------------------------------------------------------------- */

/*
 * FltRegisterFilter() - register @Driver as a minifilter described by
 * @Registration (its context array is validated here) and return the opaque
 * filter in *@RetFilter.  Filtering starts with FltStartFiltering().
 * Windows returns STATUS_SUCCESS; STATUS_INVALID_PARAMETER (unsupported
 * Version); STATUS_FLT_INVALID_CONTEXT_REGISTRATION (bad context array);
 * STATUS_FLT_NOT_INITIALIZED (FltMgr not running);
 * STATUS_FLT_INSTANCE_ALTITUDE_COLLISION (driver already registered);
 * STATUS_OBJECT_NAME_NOT_FOUND (no altitude/instance registry data);
 * STATUS_INSUFFICIENT_RESOURCES.
 * Context: PASSIVE_LEVEL.
 */
NTSTATUS FLTAPI FltRegisterFilter(PDRIVER_OBJECT Driver, const FLT_REGISTRATION *Registration,
				  PFLT_FILTER *RetFilter);

/*
 * FltStartFiltering() - start filtering for a registered minifilter: FltMgr
 * attaches its instances to volumes and calls its callbacks from then on.
 * Windows returns STATUS_SUCCESS or STATUS_INVALID_PARAMETER (filter being
 * torn down).  Context: PASSIVE_LEVEL.
 */
NTSTATUS FLTAPI FltStartFiltering(PFLT_FILTER Filter);

/*
 * FltUnregisterFilter() - detach every instance, delete every context the
 * filter set and free the filter; waits for outstanding references.
 * Context: PASSIVE_LEVEL.
 */
VOID FLTAPI FltUnregisterFilter(PFLT_FILTER Filter);

/* ---- context allocation and reference counting ---------------------------------- */

/*
 * FltAllocateContext() - allocate a context of @ContextType with
 * @ContextSize bytes for the minifilter, from @PoolType (NonPagedPool,
 * PagedPool or NonPagedPoolNx; volume contexts must be NonPagedPool), as
 * registered for @Filter.  The memory is not zeroed; *@ReturnedContext holds
 * one reference, dropped by FltReleaseContext().
 * Windows returns STATUS_SUCCESS; STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND
 * (type not registered, or no registered size fits); STATUS_FLT_DELETING_OBJECT
 * (filter being torn down); STATUS_INSUFFICIENT_RESOURCES;
 * STATUS_INVALID_BUFFER_SIZE (@ContextSize > MAXUSHORT);
 * STATUS_INVALID_PARAMETER (bad type or size 0); STATUS_NOT_SUPPORTED (no
 * per-stream contexts on this file system).
 * Context: IRQL <= APC_LEVEL.
 */
NTSTATUS FLTAPI FltAllocateContext(PFLT_FILTER Filter, FLT_CONTEXT_TYPE ContextType,
				   SIZE_T ContextSize, POOL_TYPE PoolType,
				   PFLT_CONTEXT *ReturnedContext);

/*
 * FltReferenceContext() - add a reference to @Context.
 * Context: IRQL <= DISPATCH_LEVEL.
 */
VOID FLTAPI FltReferenceContext(PFLT_CONTEXT Context);

/*
 * FltReleaseContext() - drop a reference; at zero the cleanup callback runs
 * and the context is freed (deferred to a work item at DISPATCH_LEVEL).
 * Context: IRQL <= APC_LEVEL for paged contexts, <= DISPATCH_LEVEL otherwise.
 */
VOID FLTAPI FltReleaseContext(PFLT_CONTEXT Context);

/* ---- set ------------------------------------------------------------------------
 * Common to the FltSet*Context() routines: attach @NewContext (which gains a
 * reference) to the object for the caller's instance, one context per object
 * and instance.  With FLT_SET_CONTEXT_KEEP_IF_EXISTS an existing context is
 * kept: STATUS_FLT_CONTEXT_ALREADY_DEFINED, and *@OldContext (if given)
 * receives it with a reference added.  With FLT_SET_CONTEXT_REPLACE_IF_EXISTS
 * the old context is removed and returned in *@OldContext (caller releases).
 * Windows returns STATUS_SUCCESS, STATUS_FLT_CONTEXT_ALREADY_DEFINED,
 * STATUS_FLT_CONTEXT_ALREADY_LINKED (@NewContext set elsewhere),
 * STATUS_FLT_DELETING_OBJECT, STATUS_INVALID_PARAMETER (bad @Operation or
 * wrong context type), STATUS_NOT_SUPPORTED (stream / stream handle contexts
 * on a file system without support).  Context: IRQL <= APC_LEVEL.
 */
NTSTATUS FLTAPI FltSetVolumeContext(PFLT_VOLUME Volume, FLT_SET_CONTEXT_OPERATION Operation,
				    PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltSetInstanceContext(PFLT_INSTANCE Instance, FLT_SET_CONTEXT_OPERATION Operation,
				      PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltSetFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				  FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext,
				  PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltSetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				    FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext,
				    PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltSetStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					  FLT_SET_CONTEXT_OPERATION Operation,
					  PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltSetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					 FLT_SET_CONTEXT_OPERATION Operation,
					 PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext);

/* ---- get ------------------------------------------------------------------------
 * Common to the FltGet*Context() routines: return in *@Context the context
 * the caller set on the object, with a reference added (caller releases).
 * Windows returns STATUS_SUCCESS, STATUS_NOT_FOUND (none set),
 * STATUS_NOT_SUPPORTED (stream / stream handle contexts unsupported).
 * Context: IRQL <= APC_LEVEL.
 */
NTSTATUS FLTAPI FltGetVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume,
				    PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltGetInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltGetFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				  PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltGetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				    PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltGetStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					  PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltGetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					 PFLT_CONTEXT *Context);

/*
 * FltGetSectionContext() - the section context @Instance attached to a
 * data-scan section of @FileObject's stream (FltCreateSectionForDataScan),
 * with a reference added.  Windows returns STATUS_SUCCESS, STATUS_NOT_FOUND.
 * Windows 8 and later.  Context: IRQL <= APC_LEVEL.
 */
NTSTATUS FLTAPI FltGetSectionContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				     PFLT_CONTEXT *Context);

/*
 * FltGetContexts() - fill *@Contexts with the caller's contexts on the objects
 * of @FltObjects for each type in @DesiredContexts (FLT_*_CONTEXT bits); each
 * found context gains a reference, every other field is set to NULL.  Release
 * with FltReleaseContexts().  Context: IRQL <= APC_LEVEL.
 */
VOID FLTAPI FltGetContexts(PCFLT_RELATED_OBJECTS FltObjects, FLT_CONTEXT_TYPE DesiredContexts,
			   PFLT_RELATED_CONTEXTS Contexts);

/*
 * FltReleaseContexts() - FltReleaseContext() on every non-NULL field of
 * *@Contexts.  Context: IRQL <= APC_LEVEL (paged contexts), else
 * <= DISPATCH_LEVEL.
 */
VOID FLTAPI FltReleaseContexts(PFLT_RELATED_CONTEXTS Contexts);

/* ---- delete -----------------------------------------------------------------------
 * Common to the FltDelete*Context() routines: detach the caller's context from
 * the object (later gets return STATUS_NOT_FOUND).  With @OldContext the
 * context is returned there and the caller releases it; without, the object's
 * reference is dropped.  Windows returns STATUS_SUCCESS, STATUS_NOT_FOUND,
 * STATUS_FLT_DELETING_OBJECT, STATUS_NOT_SUPPORTED.  Context: IRQL <= APC_LEVEL.
 */
NTSTATUS FLTAPI FltDeleteVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume,
				       PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltDeleteInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltDeleteFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				     PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltDeleteStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				       PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltDeleteStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					     PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltDeleteTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					    PFLT_CONTEXT *OldContext);

/*
 * FltDeleteContext() - detach @Context (on which the caller holds a
 * reference) from whatever object it is set on and drop the object's
 * reference; the caller's reference stays valid until released.  Not for
 * section contexts.  Context: IRQL <= APC_LEVEL.
 */
VOID FLTAPI FltDeleteContext(PFLT_CONTEXT Context);

/* ---- size pins: x64 Windows layouts ---------------------------------------- */
_Static_assert(sizeof(FLT_CONTEXT_TYPE) == 2, "FLT_CONTEXT_TYPE is a USHORT");
_Static_assert(sizeof(FLT_SET_CONTEXT_OPERATION) == 4, "FLT_SET_CONTEXT_OPERATION is int-sized");
_Static_assert(sizeof(FLT_CONTEXT_REGISTRATION) == 56, "FLT_CONTEXT_REGISTRATION is 56 bytes on x64");
_Static_assert(offsetof(FLT_CONTEXT_REGISTRATION, Flags) == 2, "FLT_CONTEXT_REGISTRATION.Flags at 2");
_Static_assert(offsetof(FLT_CONTEXT_REGISTRATION, ContextCleanupCallback) == 8,
	       "FLT_CONTEXT_REGISTRATION.ContextCleanupCallback at 8");
_Static_assert(offsetof(FLT_CONTEXT_REGISTRATION, Size) == 16, "FLT_CONTEXT_REGISTRATION.Size at 16");
_Static_assert(offsetof(FLT_CONTEXT_REGISTRATION, PoolTag) == 24,
	       "FLT_CONTEXT_REGISTRATION.PoolTag at 24");
_Static_assert(offsetof(FLT_CONTEXT_REGISTRATION, ContextAllocateCallback) == 32,
	       "FLT_CONTEXT_REGISTRATION.ContextAllocateCallback at 32");
_Static_assert(offsetof(FLT_CONTEXT_REGISTRATION, ContextFreeCallback) == 40,
	       "FLT_CONTEXT_REGISTRATION.ContextFreeCallback at 40");
_Static_assert(offsetof(FLT_CONTEXT_REGISTRATION, Reserved1) == 48,
	       "FLT_CONTEXT_REGISTRATION.Reserved1 at 48");
_Static_assert(sizeof(FLT_OPERATION_REGISTRATION) == 32, "FLT_OPERATION_REGISTRATION is 32 bytes on x64");
_Static_assert(offsetof(FLT_OPERATION_REGISTRATION, Flags) == 4, "FLT_OPERATION_REGISTRATION.Flags at 4");
_Static_assert(offsetof(FLT_OPERATION_REGISTRATION, PreOperation) == 8,
	       "FLT_OPERATION_REGISTRATION.PreOperation at 8");
_Static_assert(offsetof(FLT_OPERATION_REGISTRATION, Reserved1) == 24,
	       "FLT_OPERATION_REGISTRATION.Reserved1 at 24");
_Static_assert(sizeof(FLT_REGISTRATION) == 112, "FLT_REGISTRATION (0x0203) is 112 bytes on x64");
_Static_assert(offsetof(FLT_REGISTRATION, Version) == 2, "FLT_REGISTRATION.Version at 2");
_Static_assert(offsetof(FLT_REGISTRATION, Flags) == 4, "FLT_REGISTRATION.Flags at 4");
_Static_assert(offsetof(FLT_REGISTRATION, ContextRegistration) == 8,
	       "FLT_REGISTRATION.ContextRegistration at 8");
_Static_assert(offsetof(FLT_REGISTRATION, FilterUnloadCallback) == 24,
	       "FLT_REGISTRATION.FilterUnloadCallback at 24");
_Static_assert(offsetof(FLT_REGISTRATION, NormalizeContextCleanupCallback) == 80,
	       "FLT_REGISTRATION.NormalizeContextCleanupCallback at 80");
_Static_assert(offsetof(FLT_REGISTRATION, TransactionNotificationCallback) == 88,
	       "FLT_REGISTRATION.TransactionNotificationCallback at 88");
_Static_assert(offsetof(FLT_REGISTRATION, SectionNotificationCallback) == 104,
	       "FLT_REGISTRATION.SectionNotificationCallback at 104");
_Static_assert(sizeof(FLT_RELATED_OBJECTS) == 48, "FLT_RELATED_OBJECTS is 48 bytes on x64");
_Static_assert(offsetof(FLT_RELATED_OBJECTS, Filter) == 8, "FLT_RELATED_OBJECTS.Filter at 8");
_Static_assert(offsetof(FLT_RELATED_OBJECTS, Transaction) == 40,
	       "FLT_RELATED_OBJECTS.Transaction at 40");
_Static_assert(sizeof(FLT_RELATED_CONTEXTS) == 48, "FLT_RELATED_CONTEXTS is 48 bytes on x64");
_Static_assert(offsetof(FLT_RELATED_CONTEXTS, TransactionContext) == 40,
	       "FLT_RELATED_CONTEXTS.TransactionContext at 40");

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_WIN_FLTKERNEL_H */
