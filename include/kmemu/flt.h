/* SPDX-License-Identifier: MIT */
/*
 * flt.h - test-side control of the Filter Manager emulation.
 *
 * The Fltxxx functions of <fltkernel.h> need objects to attach contexts to.
 * This header builds them: a tiny in-memory file-system model of volumes,
 * instances of a registered minifilter on a volume, files (one FCB per
 * name), streams ("name:stream"; several opens of one stream share it),
 * file objects (one per open: the stream-handle level), transactions and
 * data-scan sections.  Objects have lifetimes: closing the last file object
 * of a stream deletes the stream and every context attached to it (cleanup
 * callbacks run), as FltMgr does on object teardown.
 *
 * It also holds what a driver developer wants around the contexts: the leak
 * report at FltUnregisterFilter (every context still referenced, with the
 * call that allocated it), the wait for outstanding references, counters,
 * and draining of releases deferred from DISPATCH_LEVEL.
 *
 * Every function works on the current backend instance and answers
 * STATUS_NOT_SUPPORTED when it lacks KMEMU_CAP_FLT.  Context: PASSIVE_LEVEL
 * (volume and instance teardown call the driver's callbacks).
 */
#ifndef KMEMU_FLT_H
#define KMEMU_FLT_H

#include <stddef.h>
#include <stdint.h>
#include <kmemu/kmemu.h>
#include <fltkernel.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A fresh fixed-size context (not from the lookaside list) is filled with
 * this byte: code that assumes FltAllocateContext zeroes fails visibly. */
#define KMEMU_FLT_POISON 0xFCu

/* A fixed-size lookaside list keeps at most this many free contexts. */
#define KMEMU_FLT_LOOKASIDE_DEPTH 256u

/* A freed context (fixed-size, variable-sized, invalid pool type; not one
 * from a driver's allocate callback) waits in a quarantine until this many
 * other contexts were freed after it, and only then goes back to its
 * lookaside list (bytes kept) or the heap.  Until then its address is not
 * handed out again, so a stale pointer to it is reported (0x6E) and reading
 * it is an error to valgrind and ASan; after that the block may serve a new
 * context and a stale pointer to it aliases that context. */
#define KMEMU_FLT_QUARANTINE 64u

/* ---- the file-system model -------------------------------------------------------- */

/* kmemu_flt_volume_create() flags. */
#define KMEMU_FLT_VOLUME_NO_STREAM_CONTEXTS 0x1u  /* FS without per-stream contexts (FAT-like) */

/**
 * kmemu_flt_volume_create() - mount an emulated volume.
 * @name:  for reports (copied; at most 63 bytes are kept).
 * @flags: KMEMU_FLT_VOLUME_*.
 * @out:   receives the volume.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL @out or @name,
 * unknown flag); STATUS_INSUFFICIENT_RESOURCES; STATUS_NOT_SUPPORTED.
 */
kmemu_status kmemu_flt_volume_create(const char *name, unsigned flags, PFLT_VOLUME *out);

/**
 * kmemu_flt_volume_destroy() - dismount: detach every instance (teardown
 * callbacks), close every file object and section on it, delete every
 * volume context.  The volume and its objects are invalid afterwards.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (not a live volume).
 */
kmemu_status kmemu_flt_volume_destroy(PFLT_VOLUME volume);

/**
 * kmemu_flt_instance_attach() - attach a started filter to a volume: the
 * filter's InstanceSetupCallback (if any) is called at PASSIVE_LEVEL with
 * FILE_DEVICE_DISK_FILE_SYSTEM and FLT_FSTYPE_NTFS; a failure status from
 * it (STATUS_FLT_DO_NOT_ATTACH ...) is returned and nothing is attached.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (bad @filter/@volume,
 * NULL @out); STATUS_FLT_NOT_INITIALIZED (FltStartFiltering not called);
 * STATUS_FLT_DELETING_OBJECT (filter unloading); the setup callback's
 * status; STATUS_INSUFFICIENT_RESOURCES.
 */
kmemu_status kmemu_flt_instance_attach(PFLT_FILTER filter, PFLT_VOLUME volume,
				       PFLT_INSTANCE *out);

/**
 * kmemu_flt_instance_detach() - detach an instance: InstanceTeardownStart,
 * every context the instance set (instance, file, stream, stream handle,
 * transaction, section) is deleted, InstanceTeardownComplete.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (not a live instance).
 */
kmemu_status kmemu_flt_instance_detach(PFLT_INSTANCE instance);

/**
 * kmemu_flt_file_open() - open @path on @volume: a new FILE_OBJECT.  The
 * file is the part before the first ':', the stream the whole path (ASCII
 * case-insensitive, as NTFS); opens of one stream share its stream contexts,
 * opens of one file share its file contexts.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (bad volume, NULL or
 * empty @path, path longer than 255 bytes, NULL @out);
 * STATUS_INSUFFICIENT_RESOURCES.
 */
kmemu_status kmemu_flt_file_open(PFLT_VOLUME volume, const char *path, PFILE_OBJECT *out);

/**
 * kmemu_flt_file_close() - close a file object: its stream-handle contexts
 * are deleted; the last close of a stream (with no section left) deletes
 * the stream and its contexts, the last stream of a file the file contexts.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (not a live file object).
 */
kmemu_status kmemu_flt_file_close(PFILE_OBJECT file_object);

/**
 * kmemu_flt_transaction_create() / kmemu_flt_transaction_end() - a KTM
 * transaction; ending it (commit or rollback) deletes its contexts.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER;
 * STATUS_INSUFFICIENT_RESOURCES (create).
 */
kmemu_status kmemu_flt_transaction_create(PKTRANSACTION *out);
kmemu_status kmemu_flt_transaction_end(PKTRANSACTION transaction);

struct kmemu_flt_section;  /* a data-scan section */

/**
 * kmemu_flt_section_create() - what FltCreateSectionForDataScan does with
 * contexts: create a section for @file_object's stream owned by @instance
 * and attach @section_context (an FLT_SECTION_CONTEXT of the instance's
 * filter, which gains a reference).  FltGetSectionContext() finds it.  The
 * section keeps the stream alive until kmemu_flt_section_close().
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (bad objects, NULL @out,
 * wrong context type or filter; a @section_context that is not live - a
 * released one - is also reported as FLTMGR_FILE_SYSTEM p1 = 0x6E, as the
 * FltSet*Context routines do); STATUS_FLT_CONTEXT_ALREADY_DEFINED (the
 * instance has a section on this stream); STATUS_FLT_CONTEXT_ALREADY_LINKED;
 * STATUS_FLT_DELETING_OBJECT; STATUS_INSUFFICIENT_RESOURCES.
 */
kmemu_status kmemu_flt_section_create(PFLT_INSTANCE instance, PFILE_OBJECT file_object,
				      PFLT_CONTEXT section_context,
				      struct kmemu_flt_section **out);

/**
 * kmemu_flt_section_close() - FltCloseSectionForDataScan: the section
 * context is deleted (its object reference dropped), the stream released.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (not a live section).
 */
kmemu_status kmemu_flt_section_close(struct kmemu_flt_section *section);

/**
 * kmemu_flt_related_objects() - the FLT_RELATED_OBJECTS FltMgr passes to
 * @instance's callbacks for an operation on @file_object (may be NULL)
 * within @transaction (may be NULL).
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (bad object, NULL @out,
 * a file object of another volume).
 */
kmemu_status kmemu_flt_related_objects(PFLT_INSTANCE instance, PFILE_OBJECT file_object,
				       PKTRANSACTION transaction, FLT_RELATED_OBJECTS *out);

/* ---- unload, leaks, counters ------------------------------------------------------ */

/* One context still referenced when its filter unloaded. */
struct kmemu_flt_leak {
	PFLT_FILTER filter;          /* the filter that unloaded */
	PFLT_CONTEXT context;        /* the leaked context (freed after the report) */
	FLT_CONTEXT_TYPE type;       /* FLT_*_CONTEXT */
	size_t size;                 /* ContextSize asked for */
	long references;             /* references never released */
	const void *caller;          /* return address of the FltAllocateContext call */
	const char *file;            /* KMEMU_FLT_ALLOCATE_CONTEXT() site, or NULL */
	int line;                    /* its line, or 0 */
	const char *function;        /* its function, or NULL */
};

/* Receives leak reports (called at PASSIVE_LEVEL, no lock held). */
typedef void (*kmemu_flt_leak_fn)(const struct kmemu_flt_leak *leak, void *ctx);

/**
 * kmemu_flt_set_leak_handler() - install the process-wide leak handler.
 * @fn: NULL restores the default, which prints one line per leak to stderr.
 */
void kmemu_flt_set_leak_handler(kmemu_flt_leak_fn fn, void *ctx);

/**
 * kmemu_flt_set_unload_wait() - how long FltUnregisterFilter waits for
 * outstanding references (other threads, deferred releases) before it
 * reports the rest as leaks and reclaims them.  Default 1000 ms.
 */
void kmemu_flt_set_unload_wait(unsigned milliseconds);

/**
 * kmemu_flt_site() - name the call site of the calling thread's next
 * FltAllocateContext (for the leak report); used by the macro below.
 */
void kmemu_flt_site(const char *file, int line, const char *function);

/* FltAllocateContext with its file, line and function recorded. */
#define KMEMU_FLT_ALLOCATE_CONTEXT(Filter, Type, Size, Pool, Ret) \
	(kmemu_flt_site(__FILE__, __LINE__, __func__), FltAllocateContext(Filter, Type, Size, Pool, Ret))

/**
 * kmemu_flt_drain() - wait until every release deferred from DISPATCH_LEVEL
 * has run its cleanup callback and freed its context.
 * Return: STATUS_SUCCESS; STATUS_NOT_SUPPORTED.
 */
kmemu_status kmemu_flt_drain(void);

/**
 * kmemu_flt_quarantine_flush() - end the quarantine of every freed context
 * (see KMEMU_FLT_QUARANTINE): fixed-size blocks go to their lookaside lists
 * (bytes kept), the others to the heap.  For tests that want the next
 * allocation of a size to reuse a released block at once, and for leak
 * checks that count heap blocks.  Stale pointers to those blocks may then
 * alias new contexts.
 * Return: STATUS_SUCCESS; STATUS_NOT_SUPPORTED.
 */
kmemu_status kmemu_flt_quarantine_flush(void);

/* Counters of the Filter Manager emulation. */
struct kmemu_flt_stats {
	uint64_t filters;            /* registered filters */
	uint64_t live_contexts;      /* allocated and not yet freed (all filters) */
	uint64_t lookaside_free;     /* free fixed-size contexts kept for reuse (on a
					lookaside list or in the quarantine on the way there) */
	uint64_t deferred_pending;   /* releases queued for the worker */
	uint64_t volumes;            /* mounted volumes */
	uint64_t file_objects;       /* open file objects */
	uint64_t streams;            /* live streams */
	uint64_t transactions;       /* live transactions */
	uint64_t leaks_reported;     /* leak reports so far (this machine) */
	uint64_t quarantined;        /* freed contexts waiting in the quarantine */
	uint64_t section_deletes;    /* FltDeleteContext calls on a section context
					(ignored, one line on stderr each: spec §8.6) */
};

/**
 * kmemu_flt_stats_get() - the counters of the current instance.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL); STATUS_NOT_SUPPORTED.
 */
kmemu_status kmemu_flt_stats_get(struct kmemu_flt_stats *out);

/**
 * kmemu_flt_check() - check every invariant of the Filter Manager state:
 * the live set holds exactly the model's objects and referenced contexts,
 * every attached context points back to its object, has the object's type
 * and a live key, live lists, lookaside depths, stream holder counts and the
 * counters agree.
 * @msg: receives what is wrong (static storage), or NULL; may be NULL.
 * Return: STATUS_SUCCESS; STATUS_INTERNAL_ERROR (see *@msg);
 * STATUS_NOT_SUPPORTED.
 */
kmemu_status kmemu_flt_check(const char **msg);

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_FLT_H */
