/* SPDX-License-Identifier: MIT */
/*
 * wdf.h - the KMDF types and the WDFREQUEST / WDFMEMORY / WDFOBJECT DDIs kmemu
 * emulates.
 *
 * In KMDF every DDI is an inline wrapper that calls through the framework's
 * function table with the driver globals; here they are plain functions with
 * the documented parameter lists, so driver code compiles unchanged.  Handle
 * types are distinct incomplete-struct pointers as in KMDF (WDFOBJECT is the
 * typeless HANDLE).  Behaviour notes: spec/kmdf.md.  Every structure defined
 * here is pinned to its x64 Windows layout at the end of the file.
 */
#ifndef KMEMU_WIN_WDF_H
#define KMEMU_WIN_WDF_H

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WDFAPI
#define WDFAPI
#endif

/* ---- handles ---------------------------------------------------------------- */
typedef HANDLE WDFOBJECT, *PWDFOBJECT;          /* any framework object (typeless) */
typedef struct WDFDRIVER__ *WDFDRIVER;          /* the driver object */
typedef struct WDFDEVICE__ *WDFDEVICE;          /* a device */
typedef struct WDFQUEUE__ *WDFQUEUE;            /* an I/O queue */
typedef struct WDFREQUEST__ *WDFREQUEST;        /* an I/O request */
typedef struct WDFMEMORY__ *WDFMEMORY;          /* a memory object (buffer) */
typedef struct WDFFILEOBJECT__ *WDFFILEOBJECT;  /* a file object */
typedef struct WDFCOLLECTION__ *WDFCOLLECTION;  /* a collection of objects */
typedef PVOID WDFCONTEXT;                       /* driver-defined context */

#define WDF_NO_OBJECT_ATTRIBUTES NULL
#define WDF_NO_EVENT_CALLBACK NULL
#define WDF_NO_HANDLE NULL
#define WDF_NO_CONTEXT NULL

typedef enum _WDF_TRI_STATE {
	WdfFalse = FALSE,
	WdfTrue = TRUE,
	WdfUseDefault = 2
} WDF_TRI_STATE, *PWDF_TRI_STATE;

/* ---- object attributes ------------------------------------------------------ */

/* Highest IRQL at which the framework calls the object's callbacks. */
typedef enum _WDF_EXECUTION_LEVEL {
	WdfExecutionLevelInvalid = 0,
	WdfExecutionLevelInheritFromParent = 1,
	WdfExecutionLevelPassive = 2,
	WdfExecutionLevelDispatch = 3
} WDF_EXECUTION_LEVEL;

/* Concurrency of the object's callbacks. */
typedef enum _WDF_SYNCHRONIZATION_SCOPE {
	WdfSynchronizationScopeInvalid = 0,
	WdfSynchronizationScopeInheritFromParent = 1,
	WdfSynchronizationScopeDevice = 2,
	WdfSynchronizationScopeQueue = 3,
	WdfSynchronizationScopeNone = 4
} WDF_SYNCHRONIZATION_SCOPE;

/* Called when the object is being deleted (IRQL <= DISPATCH_LEVEL). */
typedef VOID NTAPI EVT_WDF_OBJECT_CONTEXT_CLEANUP(WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP *PFN_WDF_OBJECT_CONTEXT_CLEANUP;

/* Called when the object's last reference is gone (IRQL <= DISPATCH_LEVEL). */
typedef VOID NTAPI EVT_WDF_OBJECT_CONTEXT_DESTROY(WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY *PFN_WDF_OBJECT_CONTEXT_DESTROY;

typedef const struct _WDF_OBJECT_CONTEXT_TYPE_INFO *PCWDF_OBJECT_CONTEXT_TYPE_INFO;
typedef PCWDF_OBJECT_CONTEXT_TYPE_INFO (*PFN_GET_UNIQUE_CONTEXT_TYPE)(VOID);

/* Describes a driver context type attached to objects. */
typedef struct _WDF_OBJECT_CONTEXT_TYPE_INFO {
	ULONG Size;                             /* sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO) */
	PCSTR ContextName;                      /* the type's name, e.g. "DEVICE_CONTEXT" */
	size_t ContextSize;                     /* bytes of context */
	PCWDF_OBJECT_CONTEXT_TYPE_INFO UniqueType;  /* NULL: this structure is the id */
	PFN_GET_UNIQUE_CONTEXT_TYPE EvtDriverGetUniqueContextType;  /* shared types */
} WDF_OBJECT_CONTEXT_TYPE_INFO, *PWDF_OBJECT_CONTEXT_TYPE_INFO;

typedef struct _WDF_OBJECT_ATTRIBUTES {
	ULONG Size;                             /* sizeof(WDF_OBJECT_ATTRIBUTES) */
	PFN_WDF_OBJECT_CONTEXT_CLEANUP EvtCleanupCallback;  /* on delete, or NULL */
	PFN_WDF_OBJECT_CONTEXT_DESTROY EvtDestroyCallback;  /* on last release, or NULL */
	WDF_EXECUTION_LEVEL ExecutionLevel;     /* callback IRQL constraint */
	WDF_SYNCHRONIZATION_SCOPE SynchronizationScope;  /* callback concurrency */
	WDFOBJECT ParentObject;                 /* parent, or NULL for the default */
	size_t ContextSizeOverride;             /* > ContextTypeInfo->ContextSize, or 0 */
	PCWDF_OBJECT_CONTEXT_TYPE_INFO ContextTypeInfo;  /* context type, or NULL */
} WDF_OBJECT_ATTRIBUTES, *PWDF_OBJECT_ATTRIBUTES;

/* Zero *@Attributes, set Size and the two InheritFromParent values. */
static inline VOID WDF_OBJECT_ATTRIBUTES_INIT(PWDF_OBJECT_ATTRIBUTES Attributes)
{
	RtlZeroMemory(Attributes, sizeof(WDF_OBJECT_ATTRIBUTES));
	Attributes->Size = (ULONG)sizeof(WDF_OBJECT_ATTRIBUTES);
	Attributes->ExecutionLevel = WdfExecutionLevelInheritFromParent;
	Attributes->SynchronizationScope = WdfSynchronizationScopeInheritFromParent;
}

/* ---- memory descriptors ------------------------------------------------------ */

/* A sub-range of a WDFMEMORY buffer. */
typedef struct _WDFMEMORY_OFFSET {
	size_t BufferOffset;                    /* start, in bytes */
	size_t BufferLength;                    /* length, in bytes (0: to the end) */
} WDFMEMORY_OFFSET, *PWDFMEMORY_OFFSET;

typedef enum _WDF_MEMORY_DESCRIPTOR_TYPE {
	WdfMemoryDescriptorTypeInvalid = 0,
	WdfMemoryDescriptorTypeBuffer = 1,      /* u.BufferType */
	WdfMemoryDescriptorTypeMdl = 2,         /* u.MdlType */
	WdfMemoryDescriptorTypeHandle = 3       /* u.HandleType */
} WDF_MEMORY_DESCRIPTOR_TYPE;

/* A buffer described by pointer, MDL or WDFMEMORY handle. */
typedef struct _WDF_MEMORY_DESCRIPTOR {
	WDF_MEMORY_DESCRIPTOR_TYPE Type;        /* which member of u is valid */
	union {
		struct {
			PVOID Buffer;           /* the buffer */
			ULONG Length;           /* its size in bytes */
		} BufferType;
		struct {
			PMDL Mdl;               /* the MDL chain */
			ULONG BufferLength;     /* bytes described */
		} MdlType;
		struct {
			WDFMEMORY Memory;       /* the memory object */
			PWDFMEMORY_OFFSET Offsets;  /* sub-range, or NULL for all */
		} HandleType;
	} u;
} WDF_MEMORY_DESCRIPTOR, *PWDF_MEMORY_DESCRIPTOR;

static inline VOID WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(PWDF_MEMORY_DESCRIPTOR Descriptor,
						     PVOID Buffer, ULONG BufferLength)
{
	RtlZeroMemory(Descriptor, sizeof(WDF_MEMORY_DESCRIPTOR));
	Descriptor->Type = WdfMemoryDescriptorTypeBuffer;
	Descriptor->u.BufferType.Buffer = Buffer;
	Descriptor->u.BufferType.Length = BufferLength;
}

static inline VOID WDF_MEMORY_DESCRIPTOR_INIT_MDL(PWDF_MEMORY_DESCRIPTOR Descriptor, PMDL Mdl,
						  ULONG BufferLength)
{
	RtlZeroMemory(Descriptor, sizeof(WDF_MEMORY_DESCRIPTOR));
	Descriptor->Type = WdfMemoryDescriptorTypeMdl;
	Descriptor->u.MdlType.Mdl = Mdl;
	Descriptor->u.MdlType.BufferLength = BufferLength;
}

static inline VOID WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(PWDF_MEMORY_DESCRIPTOR Descriptor,
						     WDFMEMORY Memory, PWDFMEMORY_OFFSET Offsets)
{
	RtlZeroMemory(Descriptor, sizeof(WDF_MEMORY_DESCRIPTOR));
	Descriptor->Type = WdfMemoryDescriptorTypeHandle;
	Descriptor->u.HandleType.Memory = Memory;
	Descriptor->u.HandleType.Offsets = Offsets;
}

/* ---- bug check WDF_VIOLATION (0x10D) parameters ------------------------------ */

/* Parameter 1 of bug check 0x10D. */
typedef enum _WDF_BUGCHECK_CODES {
	WDF_POWER_ROUTINE_TIMED_OUT = 0x1,
	WDF_RECURSIVE_LOCK = 0x2,
	WDF_VERIFIER_FATAL_ERROR = 0x3,         /* p2 = handle, p3 = detail */
	WDF_REQUIRED_PARAMETER_IS_NULL = 0x4,   /* p3 = caller's return address */
	WDF_INVALID_HANDLE = 0x5,               /* p2 = handle, p3 = expected type */
	WDF_REQUEST_FATAL_ERROR = 0x6,          /* p2 = WDF_REQUEST_FATAL_ERROR_CODES */
	WDF_OBJECT_ERROR = 0x7,                 /* p2 = handle, p3 = object */
	WDF_DMA_FATAL_ERROR = 0x8,
	WDF_INVALID_INTERRUPT = 0x9,
	WDF_QUEUE_FATAL_ERROR = 0xA,
	WDF_INVALID_LOCK_OPERATION = 0xB,
	WDF_PNP_FATAL_ERROR = 0xC,
	WDF_POWER_MULTIPLE_PPO = 0xD,
	WDF_VERIFIER_IRQL_MISMATCH = 0xE,       /* p2 = entry IRQL, p3 = exit IRQL */
	WDF_VERIFIER_CRITICAL_REGION_MISMATCH = 0xF  /* p2 = the callback */
} WDF_BUGCHECK_CODES;
/* Short name for code 0xF (KMDF spells it WDF_VERIFIER_CRITICAL_REGION_MISMATCH). */
#define WDF_CRITICAL_REGION_MISMATCH WDF_VERIFIER_CRITICAL_REGION_MISMATCH

/* Parameter 2 of bug check 0x10D when parameter 1 is WDF_REQUEST_FATAL_ERROR. */
typedef enum _WDF_REQUEST_FATAL_ERROR_CODES {
	WDF_REQUEST_FATAL_ERROR_NO_MORE_STACK_LOCATIONS = 0x1,
	WDF_REQUEST_FATAL_ERROR_NULL_IRP = 0x2,
	WDF_REQUEST_FATAL_ERROR_REQUEST_ALREADY_SENT = 0x3,
	WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH = 0x4  /* p3 = the data below */
} WDF_REQUEST_FATAL_ERROR_CODES;

/* Parameter 3 for WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH. */
typedef struct _WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA {
	WDFREQUEST Request;                     /* the request being completed */
	PIRP Irp;                               /* its IRP */
	ULONG OutputBufferLength;               /* the request's buffer length */
	ULONG_PTR Information;                  /* the too-large Information value */
	UCHAR MajorFunction;                    /* IRP_MJ_* of the request */
} WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA,
	*PWDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA;

/* ---- WDFREQUEST ---------------------------------------------------------------
 * Common to every DDI below: a NULL or wrong-type handle, or a NULL required
 * pointer, bug checks 0x10D (WDF_INVALID_HANDLE / WDF_REQUIRED_PARAMETER_IS_NULL)
 * instead of returning a status.  Verifier-only checks return
 * STATUS_INVALID_DEVICE_REQUEST.
 */

/*
 * WdfRequestProbeAndLockUserBufferForWrite() - check that the user-mode
 * @Buffer of @Length bytes (truncated to ULONG) is writable in the requestor's
 * context, lock its pages and return a WDFMEMORY (child of the request,
 * released when the request completes) whose WdfMemoryGetBuffer() is the
 * kernel mapping.  Top-level drivers only, in the requestor's context.
 * On failure *@MemoryObject is left untouched.
 * Return: STATUS_SUCCESS; STATUS_INVALID_USER_BUFFER (Length 0);
 * STATUS_INVALID_DEVICE_REQUEST (request completed, or verifier: IRQL or
 * ownership); STATUS_ACCESS_VIOLATION (bad address, or verifier: not the
 * requesting thread); STATUS_INSUFFICIENT_RESOURCES.
 * Context: PASSIVE_LEVEL.
 */
NTSTATUS WdfRequestProbeAndLockUserBufferForWrite(WDFREQUEST Request, PVOID Buffer, size_t Length,
						  WDFMEMORY *MemoryObject);

/*
 * WdfRequestProbeAndLockUserBufferForRead() - as ...ForWrite() for a buffer
 * the driver reads: the pages must be readable and the WDFMEMORY is read-only
 * (WdfMemoryCopyFromBuffer() into it fails).  Sets *@MemoryObject to NULL
 * before the checks that can fail.
 * Return and context: as WdfRequestProbeAndLockUserBufferForWrite().
 */
NTSTATUS WdfRequestProbeAndLockUserBufferForRead(WDFREQUEST Request, PVOID Buffer, size_t Length,
						 WDFMEMORY *MemoryObject);

/*
 * WdfRequestRetrieveUnsafeUserInputBuffer() - the raw, unprobed user-mode
 * input buffer of a METHOD_NEITHER IOCTL or of a write on a neither-I/O
 * device, for EvtIoInCallerContext.  *@InputBuffer = NULL and *@Length = 0
 * (if @Length) first.
 * Return: STATUS_SUCCESS; STATUS_BUFFER_TOO_SMALL (buffer shorter than
 * @MinimumRequiredLength); STATUS_INVALID_DEVICE_REQUEST (wrong request type,
 * or verifier: IRQL / not in caller context).
 * Context: PASSIVE_LEVEL.
 */
NTSTATUS WdfRequestRetrieveUnsafeUserInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
						 PVOID *InputBuffer, size_t *Length);

/*
 * WdfRequestRetrieveUnsafeUserOutputBuffer() - as the input variant for the
 * output buffer of a METHOD_NEITHER IOCTL or of a read on a neither-I/O device.
 * Return and context: as WdfRequestRetrieveUnsafeUserInputBuffer().
 */
NTSTATUS WdfRequestRetrieveUnsafeUserOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
						  PVOID *OutputBuffer, size_t *Length);

/*
 * WdfRequestComplete() - complete @Request with @Status: dispose its children
 * (ProbeAndLock memory is released), complete the IRP and delete the request.
 * Bug checks 0x10D/WDF_VERIFIER_FATAL_ERROR if locked user memory is still
 * referenced.  Context: IRQL <= DISPATCH_LEVEL.
 */
VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status);

/*
 * WdfRequestCompleteWithInformation() - set the IRP's IoStatus.Information to
 * @Information, then WdfRequestComplete().  With the verifier, a success
 * status with @Information above the buffer length bug checks
 * 0x10D/WDF_REQUEST_FATAL_ERROR/INFORMATION_LENGTH_MISMATCH.
 * Context: IRQL <= DISPATCH_LEVEL.
 */
VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status,
				       ULONG_PTR Information);

/* ---- WDFMEMORY ---------------------------------------------------------------- */

/*
 * WdfMemoryCreate() - allocate a @BufferSize-byte buffer from @PoolType
 * (tag @PoolTag, 0 = the driver's) inside a new memory object; the contents
 * are not zeroed.  *@Buffer (optional) receives the buffer.  The parent is
 * @Attributes->ParentObject or the driver.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (size 0; *@Memory then
 * untouched); STATUS_INFO_LENGTH_MISMATCH, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID,
 * STATUS_WDF_EXECUTION_LEVEL_INVALID, STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID
 * (bad attributes); STATUS_INSUFFICIENT_RESOURCES; STATUS_DELETE_PENDING.
 * Context: IRQL <= APC_LEVEL for paged pool, <= DISPATCH_LEVEL otherwise.
 */
NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType, ULONG PoolTag,
			 size_t BufferSize, WDFMEMORY *Memory, PVOID *Buffer);

/*
 * WdfMemoryCreatePreallocated() - wrap the caller's @Buffer (@BufferSize
 * bytes, not validated, never freed by the framework) in a memory object.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (size 0); the attribute
 * statuses of WdfMemoryCreate(); STATUS_INSUFFICIENT_RESOURCES.
 * Context: IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS WdfMemoryCreatePreallocated(PWDF_OBJECT_ATTRIBUTES Attributes, PVOID Buffer,
				     size_t BufferSize, WDFMEMORY *Memory);

/*
 * WdfMemoryAssignBuffer() - point a WdfMemoryCreatePreallocated() object at
 * another caller buffer (nothing is freed).  A WdfMemoryCreate() object bug
 * checks 0x10D/WDF_INVALID_HANDLE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (size 0).
 * Context: any IRQL.
 */
NTSTATUS WdfMemoryAssignBuffer(WDFMEMORY Memory, PVOID Buffer, size_t BufferSize);

/*
 * WdfMemoryGetBuffer() - the object's buffer (the kernel mapping for
 * ProbeAndLock memory); *@BufferSize, if given, receives its size.
 * Context: any IRQL.
 */
PVOID WdfMemoryGetBuffer(WDFMEMORY Memory, size_t *BufferSize);

/*
 * WdfMemoryCopyToBuffer() - copy @NumBytesToCopyTo bytes from @SourceMemory at
 * @SourceOffset into @Buffer.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (0 bytes, or no buffer);
 * STATUS_BUFFER_TOO_SMALL (range beyond the object's buffer).
 * Context: any IRQL (nonpaged memory), else <= APC_LEVEL.
 */
NTSTATUS WdfMemoryCopyToBuffer(WDFMEMORY SourceMemory, size_t SourceOffset, PVOID Buffer,
			       size_t NumBytesToCopyTo);

/*
 * WdfMemoryCopyFromBuffer() - copy @NumBytesToCopyFrom bytes from @Buffer into
 * @DestinationMemory at @DestinationOffset.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (0 bytes);
 * STATUS_ACCESS_VIOLATION (read-only memory, e.g. ProbeAndLock...ForRead);
 * STATUS_INVALID_BUFFER_SIZE (range beyond the object's buffer).
 * Context: any IRQL (nonpaged memory), else <= APC_LEVEL.
 */
NTSTATUS WdfMemoryCopyFromBuffer(WDFMEMORY DestinationMemory, size_t DestinationOffset,
				 PVOID Buffer, size_t NumBytesToCopyFrom);

/* ---- WDFOBJECT ------------------------------------------------------------------ */

/*
 * WdfObjectDelete() - delete a driver-created object: run cleanup callbacks,
 * delete its children and drop the creation reference (memory goes when the
 * last reference does).  Objects the driver may not delete only trace.
 * Context: IRQL <= DISPATCH_LEVEL.
 */
VOID WdfObjectDelete(WDFOBJECT Object);

/*
 * WdfObjectReferenceActual() - add a reference to @Handle; @Tag, @Line and
 * @File identify the holder for reference tracking.  Use WdfObjectReference().
 * Context: IRQL <= DISPATCH_LEVEL.
 */
VOID WdfObjectReferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCH File);

/*
 * WdfObjectDereferenceActual() - drop a reference taken by
 * WdfObjectReferenceActual().  Dropping the last reference of an object that
 * was never deleted (still parented) bug checks 0x10D/WDF_OBJECT_ERROR.
 * Use WdfObjectDereference().  Context: IRQL <= DISPATCH_LEVEL.
 */
VOID WdfObjectDereferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCH File);

#define WdfObjectReference(Handle) WdfObjectReferenceWithTag(Handle, NULL)
#define WdfObjectReferenceWithTag(Handle, Tag) \
	WdfObjectReferenceActual(Handle, Tag, __LINE__, __FILE__)
#define WdfObjectDereference(Handle) WdfObjectDereferenceWithTag(Handle, NULL)
#define WdfObjectDereferenceWithTag(Handle, Tag) \
	WdfObjectDereferenceActual(Handle, Tag, __LINE__, __FILE__)

/* ---- object contexts --------------------------------------------------------
 * WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(MY_CONTEXT, GetMyContext) declares the
 * type's WDF_OBJECT_CONTEXT_TYPE_INFO and an accessor returning the
 * MY_CONTEXT of an object (NULL if the object has none of that type).  The
 * type information is static per translation unit (KMDF uses selectany); a
 * context is matched by the UniqueType pointer, or by the same ContextName
 * and ContextSize when two translation units declare the same type.
 */
#if defined(__GNUC__)
#define WDF_CONTEXT_MAYBE_UNUSED __attribute__((unused))  /* a file may use only some */
#else
#define WDF_CONTEXT_MAYBE_UNUSED
#endif
#define WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) _WDF_##_contexttype##_TYPE_INFO
#define WDF_TYPE_NAME_POINTER_TYPE(_contexttype) WDF_##_contexttype##_POINTER_TYPE
#define WDF_GET_CONTEXT_TYPE_INFO(_contexttype) (WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype).UniqueType)

/*
 * WdfObjectGetTypedContextWorker() - the context of @TypeInfo's type on
 * @Handle, or NULL when the object carries none.  A NULL @Handle bug checks
 * 0x10D/WDF_INVALID_HANDLE, a NULL @TypeInfo 0x10D/WDF_REQUIRED_PARAMETER_IS_NULL.
 * Context: any IRQL.
 */
PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo);

/*
 * WdfObjectContextGetObject() - the object a context returned by
 * WdfObjectGetTypedContextWorker() or WdfObjectAllocateContext() belongs to.
 * A pointer that is no live context bug checks 0x10D/WDF_INVALID_HANDLE.
 * Context: any IRQL.
 */
WDFOBJECT WdfObjectContextGetObject(PVOID ContextPointer);

/*
 * WdfObjectAllocateContext() - add a context of @ContextAttributes' type to
 * an existing object (zeroed; its cleanup and destroy callbacks run with the
 * object's).  *@Context, if given, receives it.
 * Return: STATUS_SUCCESS; STATUS_OBJECT_NAME_EXISTS (the object already has
 * that type: *@Context is the existing one); STATUS_OBJECT_NAME_INVALID (no
 * ContextTypeInfo); the attribute statuses of WdfMemoryCreate();
 * STATUS_DELETE_PENDING (object being deleted); STATUS_INSUFFICIENT_RESOURCES.
 * Context: IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes,
				  PVOID *Context);

#define WdfObjectGetTypedContext(handle, type) \
	((type *)WdfObjectGetTypedContextWorker((WDFOBJECT)(handle), WDF_GET_CONTEXT_TYPE_INFO(type)))

#define WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, _castingfunction)                     \
	typedef _contexttype *WDF_TYPE_NAME_POINTER_TYPE(_contexttype);                        \
	static const WDF_OBJECT_CONTEXT_TYPE_INFO WDF_CONTEXT_MAYBE_UNUSED                     \
		WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) = {                                   \
		sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), #_contexttype, sizeof(_contexttype),     \
		&WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype), NULL };                             \
	static inline WDF_CONTEXT_MAYBE_UNUSED _contexttype *_castingfunction(WDFOBJECT Handle) \
	{                                                                                      \
		return (_contexttype *)WdfObjectGetTypedContextWorker(                         \
			Handle, WDF_GET_CONTEXT_TYPE_INFO(_contexttype));                      \
	}
#define WDF_DECLARE_CONTEXT_TYPE(_contexttype) \
	WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, WdfObjectGet_##_contexttype)

/* Set @_attributes' context type (after WDF_OBJECT_ATTRIBUTES_INIT). */
#define WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype) \
	((_attributes)->ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(_contexttype))
/* WDF_OBJECT_ATTRIBUTES_INIT plus the context type. */
#define WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(_attributes, _contexttype) \
	do {                                                               \
		WDF_OBJECT_ATTRIBUTES_INIT(_attributes);                   \
		WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype); \
	} while (0)

/* ---- WDFDRIVER ------------------------------------------------------------------ */
typedef struct WDFDEVICE_INIT *PWDFDEVICE_INIT;  /* device initialisation (opaque) */

/* Called for each device the PnP manager finds (PASSIVE_LEVEL). */
typedef NTSTATUS NTAPI EVT_WDF_DRIVER_DEVICE_ADD(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit);
typedef EVT_WDF_DRIVER_DEVICE_ADD *PFN_WDF_DRIVER_DEVICE_ADD;
/* Called before the driver is unloaded (PASSIVE_LEVEL). */
typedef VOID NTAPI EVT_WDF_DRIVER_UNLOAD(WDFDRIVER Driver);
typedef EVT_WDF_DRIVER_UNLOAD *PFN_WDF_DRIVER_UNLOAD;

/* WDF_DRIVER_CONFIG.DriverInitFlags */
typedef enum _WDF_DRIVER_INIT_FLAGS {
	WdfDriverInitNonPnpDriver = 0x00000001,        /* no EvtDriverDeviceAdd */
	WdfDriverInitNoDispatchOverride = 0x00000002,  /* keep the driver's IRP dispatch */
	WdfVerifyOn = 0x00000004,                      /* the driver asks for verification */
	WdfVerifierOn = 0x00000008                     /* the driver asks for the verifier */
} WDF_DRIVER_INIT_FLAGS;

typedef struct _WDF_DRIVER_CONFIG {
	ULONG Size;                             /* sizeof(WDF_DRIVER_CONFIG) */
	PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd;  /* PnP drivers */
	PFN_WDF_DRIVER_UNLOAD EvtDriverUnload;  /* or NULL */
	ULONG DriverInitFlags;                  /* WDF_DRIVER_INIT_FLAGS */
	ULONG DriverPoolTag;                    /* default pool tag, 0 = the framework's */
} WDF_DRIVER_CONFIG, *PWDF_DRIVER_CONFIG;

/* Zero *@Config, set Size and the device-add callback. */
static inline VOID WDF_DRIVER_CONFIG_INIT(PWDF_DRIVER_CONFIG Config,
					  PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd)
{
	RtlZeroMemory(Config, sizeof(WDF_DRIVER_CONFIG));
	Config->Size = (ULONG)sizeof(WDF_DRIVER_CONFIG);
	Config->EvtDriverDeviceAdd = EvtDriverDeviceAdd;
}

/*
 * WdfDriverCreate() - create the framework driver object of the driver
 * DriverEntry is running for.  *@Driver (optional) receives it.  The
 * WDFDRIVER cannot be deleted by the driver; it goes at unload.
 * @DriverAttributes may carry a context and callbacks (no parent).
 * NULL @DriverObject, @RegistryPath or @DriverConfig bug checks
 * 0x10D/WDF_REQUIRED_PARAMETER_IS_NULL.
 * Return: STATUS_SUCCESS; STATUS_DRIVER_INTERNAL_ERROR (called twice);
 * STATUS_INFO_LENGTH_MISMATCH (DriverConfig->Size); the attribute statuses
 * of WdfMemoryCreate(); STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED (a parent
 * in @DriverAttributes); STATUS_INVALID_PARAMETER (a non-PnP driver with
 * EvtDriverDeviceAdd); STATUS_INSUFFICIENT_RESOURCES.
 * Context: PASSIVE_LEVEL, from DriverEntry.
 */
NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
			 PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig,
			 WDFDRIVER *Driver);

/*
 * WdfDriverGetRegistryPath() - the driver's service key path (NUL-terminated).
 * Context: PASSIVE_LEVEL.
 */
PWSTR WdfDriverGetRegistryPath(WDFDRIVER Driver);

/*
 * WdfDriverWdmGetDriverObject() - the DRIVER_OBJECT of @Driver.
 * Context: IRQL <= DISPATCH_LEVEL.
 */
PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver);

/*
 * WdfGetDriver() - the calling driver's WDFDRIVER (NULL before WdfDriverCreate()).
 * Context: any IRQL.
 */
WDFDRIVER WdfGetDriver(VOID);

/* ---- size pins: x64 Windows layouts ---------------------------------------- */
_Static_assert(sizeof(WDF_EXECUTION_LEVEL) == 4, "WDF_EXECUTION_LEVEL is int-sized");
_Static_assert(sizeof(WDF_SYNCHRONIZATION_SCOPE) == 4, "WDF_SYNCHRONIZATION_SCOPE is int-sized");
_Static_assert(sizeof(WDF_OBJECT_ATTRIBUTES) == 56, "WDF_OBJECT_ATTRIBUTES is 56 bytes on x64");
_Static_assert(offsetof(WDF_OBJECT_ATTRIBUTES, EvtCleanupCallback) == 8,
	       "WDF_OBJECT_ATTRIBUTES.EvtCleanupCallback at 8");
_Static_assert(offsetof(WDF_OBJECT_ATTRIBUTES, EvtDestroyCallback) == 16,
	       "WDF_OBJECT_ATTRIBUTES.EvtDestroyCallback at 16");
_Static_assert(offsetof(WDF_OBJECT_ATTRIBUTES, ExecutionLevel) == 24,
	       "WDF_OBJECT_ATTRIBUTES.ExecutionLevel at 24");
_Static_assert(offsetof(WDF_OBJECT_ATTRIBUTES, SynchronizationScope) == 28,
	       "WDF_OBJECT_ATTRIBUTES.SynchronizationScope at 28");
_Static_assert(offsetof(WDF_OBJECT_ATTRIBUTES, ParentObject) == 32,
	       "WDF_OBJECT_ATTRIBUTES.ParentObject at 32");
_Static_assert(offsetof(WDF_OBJECT_ATTRIBUTES, ContextSizeOverride) == 40,
	       "WDF_OBJECT_ATTRIBUTES.ContextSizeOverride at 40");
_Static_assert(offsetof(WDF_OBJECT_ATTRIBUTES, ContextTypeInfo) == 48,
	       "WDF_OBJECT_ATTRIBUTES.ContextTypeInfo at 48");
_Static_assert(sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO) == 40,
	       "WDF_OBJECT_CONTEXT_TYPE_INFO is 40 bytes on x64");
_Static_assert(offsetof(WDF_OBJECT_CONTEXT_TYPE_INFO, ContextName) == 8,
	       "WDF_OBJECT_CONTEXT_TYPE_INFO.ContextName at 8");
_Static_assert(offsetof(WDF_OBJECT_CONTEXT_TYPE_INFO, ContextSize) == 16,
	       "WDF_OBJECT_CONTEXT_TYPE_INFO.ContextSize at 16");
_Static_assert(offsetof(WDF_OBJECT_CONTEXT_TYPE_INFO, UniqueType) == 24,
	       "WDF_OBJECT_CONTEXT_TYPE_INFO.UniqueType at 24");
_Static_assert(offsetof(WDF_OBJECT_CONTEXT_TYPE_INFO, EvtDriverGetUniqueContextType) == 32,
	       "WDF_OBJECT_CONTEXT_TYPE_INFO.EvtDriverGetUniqueContextType at 32");
_Static_assert(sizeof(WDFMEMORY_OFFSET) == 16, "WDFMEMORY_OFFSET is 16 bytes on x64");
_Static_assert(offsetof(WDFMEMORY_OFFSET, BufferLength) == 8, "WDFMEMORY_OFFSET.BufferLength at 8");
_Static_assert(sizeof(WDF_MEMORY_DESCRIPTOR) == 24, "WDF_MEMORY_DESCRIPTOR is 24 bytes on x64");
_Static_assert(offsetof(WDF_MEMORY_DESCRIPTOR, u) == 8, "WDF_MEMORY_DESCRIPTOR.u at 8");
_Static_assert(offsetof(WDF_MEMORY_DESCRIPTOR, u.BufferType.Length) == 16,
	       "WDF_MEMORY_DESCRIPTOR.u.BufferType.Length at 16");
_Static_assert(offsetof(WDF_MEMORY_DESCRIPTOR, u.HandleType.Offsets) == 16,
	       "WDF_MEMORY_DESCRIPTOR.u.HandleType.Offsets at 16");
_Static_assert(sizeof(WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA) == 40,
	       "INFORMATION_LENGTH_MISMATCH_DATA is 40 bytes on x64");
_Static_assert(offsetof(WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA,
			OutputBufferLength) == 16,
	       "INFORMATION_LENGTH_MISMATCH_DATA.OutputBufferLength at 16");
_Static_assert(offsetof(WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA,
			Information) == 24,
	       "INFORMATION_LENGTH_MISMATCH_DATA.Information at 24");
_Static_assert(offsetof(WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA,
			MajorFunction) == 32,
	       "INFORMATION_LENGTH_MISMATCH_DATA.MajorFunction at 32");

_Static_assert(sizeof(WDF_DRIVER_CONFIG) == 32, "WDF_DRIVER_CONFIG is 32 bytes on x64");
_Static_assert(offsetof(WDF_DRIVER_CONFIG, EvtDriverDeviceAdd) == 8,
	       "WDF_DRIVER_CONFIG.EvtDriverDeviceAdd at 8");
_Static_assert(offsetof(WDF_DRIVER_CONFIG, DriverInitFlags) == 24,
	       "WDF_DRIVER_CONFIG.DriverInitFlags at 24");
_Static_assert(offsetof(WDF_DRIVER_CONFIG, DriverPoolTag) == 28,
	       "WDF_DRIVER_CONFIG.DriverPoolTag at 28");

#ifdef __cplusplus
}
#endif
/* the per-topic headers of Windows (each also works on its own) */
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

#endif /* KMEMU_WIN_WDF_H */
