/* SPDX-License-Identifier: MIT */
/*
 * wdf_int.h - internal interfaces of the emulated KMDF framework (api/wdf/).
 *
 * The model follows KMDF's own (spec/kmdf.md §0, §5): every framework object
 * starts with struct kmemu_wdf_object (type id, ops table, driver globals,
 * refcount, state, parent and children, callbacks, contexts); a handle is the
 * object's address XOR ~7, so a driver that dereferences a handle faults
 * instead of reading the object.  Unlike KMDF, no handle is ever
 * dereferenced blindly: every live object sits in a registry of the
 * instance, and a handle that names no live object is reported (see
 * kmemu__wdf_object_get()).  All framework state of a backend instance hangs
 * off struct kmemu_backend->wdf; one mutex per instance guards the object
 * tree, the registry and the refcounts, and is never held across a driver
 * callback or a bug check.
 *
 * Backend-neutral: portable C11, pthreads and <stdatomic.h> only.
 */
#ifndef KMEMU_API_WDF_WDF_INT_H
#define KMEMU_API_WDF_WDF_INT_H

#include <pthread.h>
#include <stdint.h>
#include <wdf.h>
#include <kmemu/wdf.h>
#include "../core.h"

/* The caller's return address inside a DDI, for bug-check parameter 3 and
 * leak reports (0 where the compiler cannot tell). */
#if defined(__GNUC__)
#define KMEMU_WDF_CALLER ((uintptr_t)__builtin_return_address(0))
#else
#define KMEMU_WDF_CALLER ((uintptr_t)0)
#endif

/* ---- object type ids (KMDF fxtypes.h) ---------------------------------------- */
enum kmemu_wdf_type {
	KMEMU_FX_TYPE_OBJECT = 0x1000,             /* any object; WdfMemoryCreate memory */
	KMEMU_FX_TYPE_DRIVER = 0x1001,             /* WDFDRIVER */
	KMEMU_FX_TYPE_DEVICE = 0x1002,             /* WDFDEVICE */
	KMEMU_FX_TYPE_QUEUE = 0x1003,              /* WDFQUEUE */
	KMEMU_FX_TYPE_REQUEST = 0x1008,            /* WDFREQUEST */
	KMEMU_IFX_TYPE_MEMORY = 0x100A,            /* the memory interface (any WDFMEMORY) */
	KMEMU_FX_TYPE_FILEOBJECT = 0x1018,         /* WDFFILEOBJECT */
	KMEMU_FX_TYPE_MEMORY_PREALLOCATED = 0x1022, /* WdfMemoryCreatePreallocated memory */
	KMEMU_FX_TYPE_REQUEST_MEMORY = 0x1032      /* ProbeAndLock memory */
};

/* Life of an object (KMDF's state machine, reduced to what drivers see). */
enum kmemu_wdf_state_id {
	KMEMU_WDF_INIT = 0,       /* constructed, not committed: no handle yet */
	KMEMU_WDF_CREATED = 1,    /* committed and parented: usable */
	KMEMU_WDF_DISPOSING = 2,  /* delete in progress: cleanup callbacks running */
	KMEMU_WDF_DISPOSED = 3,   /* deleted and disposed; alive while referenced */
	KMEMU_WDF_DEFERRED = 4    /* delete queued to PASSIVE_LEVEL (work item) */
};

struct kmemu_wdf_object;
struct kmemu_wdf_globals;

/* Per-type behaviour.  Every slot may be NULL except @name. */
struct kmemu_wdf_object_ops {
	const char *name;  /* "WDFMEMORY" ... for reports */
	/* 1 when the object also answers @type (QueryInterface); its own type
	 * always answers.  NULL: only the own type and FX_TYPE_OBJECT. */
	int (*query_interface)(struct kmemu_wdf_object *o, uint16_t type);
	/* Internal Dispose(): after the children's cleanup, before the object's
	 * own EvtCleanupCallback. */
	void (*dispose)(struct kmemu_wdf_object *o);
	/* Release what the object holds, at refcount 0 after the destroy
	 * callbacks, before the memory is freed.  Also runs on an object whose
	 * commit failed (no callbacks then). */
	void (*destroy)(struct kmemu_wdf_object *o);
};

/* A driver context (WDF_OBJECT_ATTRIBUTES ContextTypeInfo), chained. */
struct kmemu_wdf_context {
	struct kmemu_wdf_context *next;            /* next context of the object */
	struct kmemu_wdf_object *object;           /* back pointer */
	PCWDF_OBJECT_CONTEXT_TYPE_INFO type;       /* the type (UniqueType resolved) */
	PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup;    /* EvtCleanupCallback, NULL once run */
	PFN_WDF_OBJECT_CONTEXT_DESTROY destroy;    /* EvtDestroyCallback, NULL once run */
	size_t size;                               /* bytes of @data */
	uint64_t magic;                            /* KMEMU_WDF_CONTEXT_MAGIC while live */
	_Alignas(16) unsigned char data[];         /* the driver's context, zeroed */
};

/* One holder of extra references (WdfObjectReferenceWithTag), verifier on. */
struct kmemu_wdf_tag {
	struct kmemu_wdf_tag *next;  /* next holder */
	const void *tag;             /* the tag (NULL for untagged) */
	long count;                  /* references held under it */
	long line;                   /* where the last one was taken */
	const char *file;
};

struct kmemu_wdf_object {
	uint16_t type;                             /* KMEMU_FX_TYPE_* of the object itself */
	enum kmemu_wdf_state_id state;             /* see enum */
	const struct kmemu_wdf_object_ops *ops;    /* per-type behaviour */
	struct kmemu_wdf_globals *globals;         /* owning driver */
	long refcount;                             /* 1 at creation; parent owns it */
	unsigned is_no_delete : 1;                 /* WdfObjectDelete only traces */
	unsigned is_passive_dispose : 1;           /* dispose/destroy at PASSIVE_LEVEL only */
	unsigned cleanup_done : 1;                 /* cleanup callbacks have run */
	unsigned is_committed : 1;                 /* in the registry */
	unsigned is_released : 1;                  /* creation reference dropped (deleted) */
	unsigned is_destroy_deferred : 1;          /* refcount 0 above PASSIVE: destroy queued */
	struct kmemu_wdf_object *parent;           /* NULL for the driver or once detached */
	struct kmemu_wdf_object *first_child;      /* children, in insertion order */
	struct kmemu_wdf_object *last_child;
	struct kmemu_wdf_object *next_sibling;
	struct kmemu_wdf_object *prev_sibling;
	struct kmemu_wdf_context *contexts;        /* first context (the attributes'), or NULL */
	PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup;    /* attribute callbacks with no context type */
	PFN_WDF_OBJECT_CONTEXT_DESTROY destroy;
	struct kmemu_wdf_tag *tags;                /* extra-reference holders (verifier on) */
	struct kmemu_wdf_object *deferred_next;    /* deferred-dispose queue */
	struct kmemu_wdf_object *all_next;         /* every object of the driver (leak report) */
	struct kmemu_wdf_object *all_prev;
	uintptr_t created_by;                      /* caller's return address at creation */
	uint64_t serial;                           /* creation order */
};

/* Per-driver framework data (KMDF's FX_DRIVER_GLOBALS). */
struct kmemu_wdf_globals {
	struct kmemu_wdf_instance *inst;           /* the instance it belongs to */
	struct kmemu_wdf_globals *next;            /* next loaded driver */
	struct kmemu_wdf_object *driver;           /* the WDFDRIVER, NULL before WdfDriverCreate */
	int verifier;                              /* FxVerifierOn */
	int dbg_break_on_error;                    /* FxVerifierDbgBreakOnError */
	enum kmemu_wdf_break break_policy;         /* CONTINUE or FATAL */
	int quiet;                                 /* no stderr messages */
	uint32_t version_minor;                    /* bound KMDF 1.x */
	int verify_down_level;                     /* VerifyDownLevel */
	int enhanced_verifier;                     /* callbacks wrapped: IRQL kept (0x10D/0xE) */
	ULONG pool_tag;                            /* default pool tag */
	char name[64];                             /* driver name without ".sys" */
	WDF_DRIVER_CONFIG config;                  /* from WdfDriverCreate */
	DRIVER_OBJECT driver_object;               /* the WDM driver object */
	UNICODE_STRING registry_path;              /* service key */
	WCHAR registry_buf[160];                   /* its characters, NUL-terminated */
	WCHAR driver_name_buf[80];                 /* \\Driver\\<name> */
	struct kmemu_wdf_object *all;              /* every live object of the driver */
	uint64_t n_objects, n_memory;              /* live objects, live WDFMEMORY */
	uint64_t n_messages, n_breaks, n_leaks;    /* counters (kmemu_wdf_driver_stats) */
};

/* Everything the framework keeps per backend instance. */
struct kmemu_wdf_instance {
	pthread_mutex_t lock;                      /* tree, registry, refcounts, lists */
	struct kmemu_backend *backend;             /* owner */
	struct kmemu_wdf_globals *drivers;         /* loaded drivers, newest first */
	struct kmemu_wdf_object *deferred;         /* deletes waiting for PASSIVE_LEVEL */
	struct kmemu__ptrset registry;             /* live committed objects */
	uint64_t n_objects;                        /* registered objects */
	uint64_t serial;                           /* last creation serial */
	uint64_t pool_limit;                       /* largest buffer: the machine's RAM */
};

/* ---- object.c: instance, globals, handles --------------------------------- */

/* The framework instance of the current backend, made on first use; NULL
 * when no backend can be opened or memory runs out. */
struct kmemu_wdf_instance *kmemu__wdf_instance(void);

/* The driver WDF calls of this thread act for: the one whose callback runs
 * (kmemu__wdf_enter), else the last loaded.  With @function, when there is
 * none or it has no WDFDRIVER yet, it reports bug check
 * 0x10D/WDF_VERIFIER_FATAL_ERROR, p4 = the globals or 0 (the DriverCreate
 * rule: a KMDF DDI before WdfDriverCreate) and returns NULL when a handler
 * returned.  With NULL @function it only looks.  Also runs deferred
 * disposals when at PASSIVE_LEVEL. */
struct kmemu_wdf_globals *kmemu__wdf_globals(const char *function);
/* Run driver callbacks for @g on this thread; returns the previous value to
 * pass to kmemu__wdf_leave(). */
struct kmemu_wdf_globals *kmemu__wdf_enter(struct kmemu_wdf_globals *g);
void kmemu__wdf_leave(struct kmemu_wdf_globals *prev);

/* Handles. */
static inline WDFOBJECT kmemu__wdf_handle(const struct kmemu_wdf_object *o)
{
	return o ? (WDFOBJECT)((uintptr_t)o ^ ~(uintptr_t)7) : NULL;
}
static inline struct kmemu_wdf_object *kmemu__wdf_decode(WDFOBJECT h)
{
	return (struct kmemu_wdf_object *)(((uintptr_t)h & ~(uintptr_t)7) ^ ~(uintptr_t)7);
}

/**
 * kmemu__wdf_object_get() - resolve a handle as type @type (spec §0.3).
 * @g:        the caller's driver (for p4 and the verifier switch); may be NULL.
 * @h:        the handle.
 * @type:     KMEMU_FX_TYPE_* / KMEMU_IFX_TYPE_MEMORY wanted.
 * @function: DDI name for the report.
 *
 * NULL @h: bug check 0x10D/WDF_INVALID_HANDLE, p2 = 0, p3 = @type.  A
 * non-NULL handle that names no live object (garbage, or freed: the
 * use-after-free of Windows): with the verifier on, 0x10D/WDF_INVALID_HANDLE,
 * p2 = @h, p3 = @type, reported as caught by the verifier's handle
 * tracking; with it off, PAGE_FAULT_IN_NONPAGED_AREA (0x50), p1 = the
 * decoded address, p2 = 0 (read), p3 = 0, p4 = 2, the fault a dereference of
 * freed pool takes.  A live object of another type that does not answer
 * @type: 0x10D/WDF_INVALID_HANDLE, p2 = @h, p3 = @type.  p4 = globals.
 * Context: any IRQL; takes the instance lock briefly.
 * Return: the object (no reference added), or NULL after a handled bug check.
 */
struct kmemu_wdf_object *kmemu__wdf_object_get(struct kmemu_wdf_globals *g, WDFOBJECT h,
					       uint16_t type, const char *function);

/* The first steps of a DDI taking a handle: the caller's driver
 * (kmemu__wdf_globals(@function): none is the DriverCreate bug check), then
 * kmemu__wdf_object_get().  NULL after a handled bug check. */
struct kmemu_wdf_object *kmemu__wdf_ddi_object(WDFOBJECT h, uint16_t type, const char *function);

/* 1 when @o is itself of @type or answers it (FX_TYPE_OBJECT always). */
int kmemu__wdf_object_is(struct kmemu_wdf_object *o, uint16_t type);

/* What a DDI returns after a bug check whose handler returned (README "KMDF
 * decisions"): the call fails and changes nothing more; DDIs returning a
 * pointer return NULL. */
#define KMEMU_WDF_STATUS_HANDLED STATUS_UNSUCCESSFUL

/* ---- object.c: verifier helpers --------------------------------------------- */

/* FxPointerNotNull: NULL @p bug checks 0x10D/4 (p2 = 0, p3 = @caller,
 * p4 = @g), unconditionally.  Returns 1 when @p was NULL (a handler
 * returned: fail the DDI), else 0. */
int kmemu__wdf_pointer_null(struct kmemu_wdf_globals *g, const void *p, const char *function,
			    uintptr_t caller);
#define kmemu__wdf_pointer_not_null(g, p, function) \
	(!kmemu__wdf_pointer_null((g), (p), (function), KMEMU_WDF_CALLER))

/* FxVerifierCheckIrqlLevel (§0.5): verifier off, STATUS_SUCCESS; on, an IRQL
 * above @max gives a debug break and STATUS_INVALID_DEVICE_REQUEST. */
NTSTATUS kmemu__wdf_check_irql(struct kmemu_wdf_globals *g, uint8_t max, const char *function);

/* FxVerifierDbgBreakPoint (§0.6): always print "WDF detected potentially
 * invalid operation by <drv>.sys" with the message; with DbgBreakOnError
 * (verifier on) take the break according to the break policy (CONTINUE:
 * count it; FATAL: bug check 0x1E/STATUS_BREAKPOINT).  Context: no lock. */
void kmemu__wdf_dbg_break(struct kmemu_wdf_globals *g, const char *function, const char *fmt, ...)
#if defined(__GNUC__)
	KMEMU__PRINTF(3, 4)
#endif
	;
/* A trace only (no break): counted as a message. */
void kmemu__wdf_trace(struct kmemu_wdf_globals *g, const char *function, const char *fmt, ...)
#if defined(__GNUC__)
	KMEMU__PRINTF(3, 4)
#endif
	;

/* IsVerificationEnabled(1, @minor) (§0.4): the verifier is on and the driver
 * is bound to KMDF 1.@minor or later, or VerifyDownLevel is set. */
static inline int kmemu__wdf_verification_enabled(const struct kmemu_wdf_globals *g,
						  uint32_t minor)
{
	return g && g->verifier && (g->version_minor >= minor || g->verify_down_level);
}

/* Around every driver callback: kmemu__wdf_callback_begin() returns the IRQL
 * the callback gets; kmemu__wdf_callback_end() checks, with the enhanced
 * verifier, that it returned at that IRQL, else bug check 0x10D,
 * p1 = WDF_VERIFIER_IRQL_MISMATCH, p2 = entry IRQL, p3 = exit IRQL,
 * p4 = globals.  Context: no lock held. */
uint8_t kmemu__wdf_callback_begin(struct kmemu_wdf_globals *g);
void kmemu__wdf_callback_end(struct kmemu_wdf_globals *g, uint8_t entry, const char *callback);

/* The current IRQL (PASSIVE_LEVEL without a backend). */
uint8_t kmemu__wdf_irql(void);

/* ---- object.c: object lifetime ------------------------------------------------ */

/* FxValidateObjectAttributes options. */
#define KMEMU_WDF_ATTR_SYNC_SCOPE_ALLOWED  0x1u  /* Device/Queue scopes accepted */
#define KMEMU_WDF_ATTR_EXEC_LEVEL_ALLOWED  0x2u  /* Passive/Dispatch accepted */
#define KMEMU_WDF_ATTR_PARENT_NOT_ALLOWED  0x4u  /* a ParentObject is an error */
#define KMEMU_WDF_ATTR_PARENT_REQUIRED     0x8u  /* ParentObject must be given */

/* FxValidateObjectAttributes (§2.1 step 6, in that order).  NULL @a is valid.
 * Return: STATUS_SUCCESS; STATUS_INFO_LENGTH_MISMATCH;
 * STATUS_WDF_OBJECT_ATTRIBUTES_INVALID; STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID;
 * STATUS_WDF_EXECUTION_LEVEL_INVALID; STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED;
 * STATUS_WDF_PARENT_NOT_SPECIFIED. */
NTSTATUS kmemu__wdf_validate_attributes(const WDF_OBJECT_ATTRIBUTES *a, unsigned options);

/* Resolve @a->ParentObject (if @a has the right Size and a parent) as
 * FX_TYPE_OBJECT and return its driver's globals, else @g (§2.1 step 1).
 * *@failed = 1 after a handled bug check. */
struct kmemu_wdf_globals *kmemu__wdf_parent_globals(struct kmemu_wdf_globals *g,
						    const WDF_OBJECT_ATTRIBUTES *a,
						    const char *function, int *failed);

/**
 * kmemu__wdf_object_new() - allocate and construct an object (state INIT).
 * @g:          owning driver.
 * @size:       bytes of the type's structure (starts with the header).
 * @type:       its KMEMU_FX_TYPE_*.
 * @ops:        its ops table.
 * @a:          attributes (validated) or NULL: the context and callbacks.
 * @created_by: caller's return address, for leak reports.
 * The object is zeroed past the header.  Return: the object, or NULL when
 * memory runs out.  Context: any IRQL; no lock.
 */
struct kmemu_wdf_object *kmemu__wdf_object_new(struct kmemu_wdf_globals *g, size_t size,
					       uint16_t type,
					       const struct kmemu_wdf_object_ops *ops,
					       const WDF_OBJECT_ATTRIBUTES *a, uintptr_t created_by);

/**
 * kmemu__wdf_object_commit() - parent @o and make it live (§2.1 step 10).
 * @o:       an object in state INIT.
 * @a:       attributes or NULL; a ParentObject there wins.
 * @parent:  internal parent when @a names none (the request for ProbeAndLock
 *           memory), or NULL for the driver.
 * @function: DDI name for reports.
 * @out:     receives the handle (may be NULL).
 * On failure @o is destroyed with its callbacks cleared first (driver
 * callbacks never see a half-built object) and *@out is untouched.
 * Return: STATUS_SUCCESS; STATUS_WDF_PARENT_IS_SELF; STATUS_WDF_PARENT_ALREADY_ASSIGNED;
 * STATUS_DELETE_PENDING (object or parent no longer in the created state);
 * STATUS_INSUFFICIENT_RESOURCES (the registry of live objects cannot grow);
 * STATUS_UNSUCCESSFUL (a handled bug check resolving the parent).
 */
NTSTATUS kmemu__wdf_object_commit(struct kmemu_wdf_object *o, const WDF_OBJECT_ATTRIBUTES *a,
				  struct kmemu_wdf_object *parent, const char *function,
				  WDFOBJECT *out);

/* Destroy an object that was never committed (no callbacks run). */
void kmemu__wdf_object_abort(struct kmemu_wdf_object *o);

/* DeleteObject (§5 steps 1-5): dispose children then @o (cleanup callbacks,
 * children first), destroy children, drop the creation reference.  A second
 * delete of a live object is ignored.  No-delete objects are the caller's
 * concern (WdfObjectDelete checks them).  Context: no lock held. */
void kmemu__wdf_object_delete(struct kmemu_wdf_object *o);

/* 1 when a child of @o (or one of its descendants) must be disposed at
 * PASSIVE_LEVEL (paged memory, passive execution level).  Takes the lock. */
int kmemu__wdf_children_need_passive(struct kmemu_wdf_object *o);

/* Add / drop a reference.  Dropping the creation reference of an object
 * (never deleted, or its delete still running) bug checks 0x10D/WDF_OBJECT_ERROR (p2 = handle,
 * p3 = object) and keeps the reference.  @tag/@line/@file are tracked with the
 * verifier on. */
void kmemu__wdf_object_ref(struct kmemu_wdf_object *o, const void *tag, long line,
			   const char *file);
void kmemu__wdf_object_unref(struct kmemu_wdf_object *o, const void *tag, long line,
			     const char *file, const char *function);
/* References held under @tag on @o (verifier on), for tests. */
long kmemu__wdf_object_tag_count(struct kmemu_wdf_object *o, const void *tag);

/* Free @o now, whatever holds it, without driver callbacks (the framework
 * reclaiming its pool at unload): its type's destroy still runs.  Removes a
 * queued delete or destroy of @o.  Context: no lock. */
void kmemu__wdf_object_reap(struct kmemu_wdf_object *o);

/* Run queued passive-level disposals and destroys when at PASSIVE_LEVEL;
 * returns how many. */
unsigned kmemu__wdf_run_deferred(struct kmemu_wdf_instance *inst);

/* ---- driver.c --------------------------------------------------------------- */

/* Unload @g: EvtDriverUnload (if @call_unload), delete the driver object,
 * report leaks, free everything.  Return: the objects found alive.
 * Context: no lock. */
uint64_t kmemu__wdf_driver_unload(struct kmemu_wdf_globals *g, int call_unload);

/* ---- memory.c: WDFMEMORY ---------------------------------------------------- */

/* What kind of WDFMEMORY an object is (which DDIs accept it). */
enum kmemu_wdf_memory_kind {
	KMEMU_WDF_MEM_BUFFER = 0,       /* WdfMemoryCreate, small nonpaged (FxMemoryBuffer) */
	KMEMU_WDF_MEM_FROM_POOL = 1,    /* WdfMemoryCreate, pool block (FxMemoryBufferFromPool) */
	KMEMU_WDF_MEM_PREALLOCATED = 2, /* WdfMemoryCreatePreallocated */
	KMEMU_WDF_MEM_REQUEST = 3,      /* ProbeAndLock memory (FxRequestMemory) */
	KMEMU_WDF_MEM_EMBEDDED = 4      /* a request's own input/output memory */
};

struct kmemu_wdf_memory {
	struct kmemu_wdf_object obj;           /* header (first) */
	enum kmemu_wdf_memory_kind kind;       /* see enum */
	void *buffer;                          /* GetBuffer() */
	size_t size;                           /* GetBufferSize() */
	void *alloc;                           /* what to free (FROM_POOL/BUFFER), or NULL */
	POOL_TYPE pool_type;                   /* WdfMemoryCreate's pool */
	ULONG tag;                             /* pool tag used */
	int is_read_only;                      /* CopyFromBuffer refuses (§2.5) */
	int is_request_completed;              /* its request completed (DDI compliance rules) */
	const char *completed_rule;            /* rule name reported then ("MemAfterReqCompletedIoctlA") */
	void (*release)(void *ctx);            /* REQUEST: unlock at destroy */
	void *release_ctx;
};

/* Byte a fresh WdfMemoryCreate buffer is filled with (it is not zeroed). */
#define KMEMU_WDF_POISON 0xCDu

/* The WDFMEMORY behind @o, or NULL if @o is no memory object. */
struct kmemu_wdf_memory *kmemu__wdf_memory_of(struct kmemu_wdf_object *o);

/**
 * kmemu__wdf_request_memory_create() - the WDFMEMORY of a ProbeAndLock
 * (FxRequestMemory: answers 0x1032, 0x1022, 0x100A, 0x1000), child of
 * @request, no attributes.
 * @request:       the request object (committed).
 * @kernel_buffer: the kernel (system-space) mapping of the locked pages.
 * @size:          its bytes (already truncated to ULONG by the caller).
 * @read_only:     1 for ...ForRead (CopyFromBuffer refuses).
 * @release:       called once when the object is destroyed (unlock pages,
 *                 free the MDL); not called when this function fails.
 * @ctx:           passed to @release.
 * @out:           receives the handle.
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES;
 * STATUS_DELETE_PENDING (the request is being deleted).
 */
NTSTATUS kmemu__wdf_request_memory_create(struct kmemu_wdf_object *request, void *kernel_buffer,
					  size_t size, int read_only, void (*release)(void *ctx),
					  void *ctx, WDFMEMORY *out);

/**
 * kmemu__wdf_embedded_memory_create() - a request's own input or output
 * WDFMEMORY (answers IFX_TYPE_MEMORY and FX_TYPE_OBJECT only, so
 * WdfMemoryAssignBuffer bug checks on it), child of @request.
 * Return: as kmemu__wdf_request_memory_create().
 */
NTSTATUS kmemu__wdf_embedded_memory_create(struct kmemu_wdf_object *request, void *buffer,
					   size_t size, int read_only, WDFMEMORY *out);

/* A WDFMEMORY whose request completed: report the DDI compliance rule
 * (verifier on: a break; off: a trace) and return 1 so the DDI does not
 * touch the buffer.  0 for any other object. */
int kmemu__wdf_memory_after_completion(struct kmemu_wdf_object *o, const char *function);

/* Mark @mem's request completed: later WdfMemory* DDIs on it report
 * @rule (a DDI compliance rule name, e.g. "MemAfterReqCompletedIoctlA") with
 * the verifier on and never touch the buffer. */
void kmemu__wdf_memory_set_request_completed(struct kmemu_wdf_object *mem, const char *rule);

#endif /* KMEMU_API_WDF_WDF_INT_H */
