/* SPDX-License-Identifier: MIT */
/*
 * flt_impl.h - internals of the Filter Manager emulation (api/flt/).
 *
 * Model.  One struct flt_state per backend instance (b->flt) holds one
 * mutex that guards everything below, a set of live object pointers (every
 * filter, volume, instance, file object, transaction, section and context a
 * caller can hold: a pointer outside the set is never dereferenced), and the
 * worker that runs releases deferred from DISPATCH_LEVEL.  A context is a
 * struct flt_ctx header followed by the minifilter portion (FLT_CTX_HDR
 * bytes in, 16-aligned).  Contexts attach to an owner object's singly
 * linked list (one per owner, keyed by instance or, for volume contexts, by
 * filter); attaching takes a reference for the owner.  At refcount zero the
 * context leaves the live set at once, then - with no lock held - its
 * cleanup callback runs and it enters the quarantine (a FIFO of the last
 * KMEMU_FLT_QUARANTINE freed blocks, so a stale pointer stays dead for a
 * while); the block pushed out of it goes back to its lookaside list (fixed
 * sizes: bytes kept) or to the heap (variable sizes, invalid pool types).
 * Blocks of the driver's allocate callback go to its free callback at once.  Driver callbacks are never called with the
 * lock held.
 *
 * Portable C11 + pthreads: no Linux-only headers here.
 *
 * Divisions: state.c (state, live set, worker, leak report), filter.c
 * (registration, start, unload), context.c (allocate, reference, release,
 * set, get, delete), model.c (the file-system model control API and the
 * invariant checker).
 */
#ifndef KMEMU_API_FLT_IMPL_H
#define KMEMU_API_FLT_IMPL_H

#include <pthread.h>
#include <fltkernel.h>
#include <kmemu/flt.h>
#include "../core.h"

/* Kinds of objects in the live set (first member of each). */
enum flt_kind {
	FK_FILTER = 0x464C5401,
	FK_VOLUME,
	FK_INSTANCE,
	FK_FILE_OBJECT,
	FK_TRANSACTION,
	FK_SECTION,
	FK_CONTEXT
};

#define FLT_N_TYPES 7               /* FLT_VOLUME_CONTEXT .. FLT_SECTION_CONTEXT */
#define FLT_MAX_FIXED 3             /* fixed-size entries per type */
#define FLT_MAXUSHORT 0xFFFFu

/* FLTMGR_FILE_SYSTEM parameter 1 values (bug check 0xF5). */
#define FLT_BC_OVER_RELEASE 0x6D    /* refcount reached 0 while attached */
#define FLT_BC_AFTER_FREE 0x6E      /* context referenced after it was freed */

struct flt_ctx;

/* One registered context entry of a type: a fixed size, the variable
 * entry, or the driver's allocate/free callbacks. */
struct flt_class {
	SIZE_T size;                         /* bytes, or FLT_VARIABLE_SIZED_CONTEXTS */
	int is_no_exact;                     /* FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH */
	PFLT_CONTEXT_CLEANUP_CALLBACK cleanup;  /* or NULL */
	PFLT_CONTEXT_ALLOCATE_CALLBACK alloc_cb;  /* or NULL */
	PFLT_CONTEXT_FREE_CALLBACK free_cb;     /* with alloc_cb */
	ULONG tag;                           /* PoolTag */
	struct flt_ctx *free_list[2];        /* lookaside: [0] nonpaged, [1] paged */
	unsigned depth[2];                   /* entries on each list */
};

/* What a filter registered for one context type. */
struct flt_type_reg {
	unsigned n_fixed;                    /* fixed entries, ascending sizes */
	struct flt_class fixed[FLT_MAX_FIXED];
	int has_variable;                    /* variable entry present */
	struct flt_class variable;
	int has_callback;                    /* allocate/free callbacks: the only entry */
	struct flt_class callback;
};

struct flt_obj {
	enum flt_kind kind;                  /* FK_* */
};

struct flt_instance;

struct flt_filter {
	struct flt_obj obj;                  /* FK_FILTER */
	PDRIVER_OBJECT driver;               /* the registering driver */
	FLT_REGISTRATION reg;                /* copy (callbacks) */
	struct flt_type_reg types[FLT_N_TYPES];  /* by bit index of the type */
	int is_started;                      /* FltStartFiltering called */
	int is_unloading;                    /* FltUnregisterFilter under way */
	struct flt_instance *instances;      /* attached instances */
	struct flt_ctx *live;                /* its contexts not yet freed (doubly linked) */
	uint64_t n_live;                     /* entries on ->live */
	struct flt_filter *next;             /* state's list */
};

struct flt_volume {
	struct flt_obj obj;                  /* FK_VOLUME */
	char name[64];                       /* for reports */
	int has_no_stream_ctx;               /* KMEMU_FLT_VOLUME_NO_STREAM_CONTEXTS */
	int is_deleting;                     /* being dismounted */
	struct flt_ctx *ctxs;                /* volume contexts (keyed by filter) */
	struct flt_instance *instances;      /* attached instances */
	struct flt_fcb *files;               /* open files */
	struct flt_volume *next;             /* state's list */
};

struct flt_instance {
	struct flt_obj obj;                  /* FK_INSTANCE */
	struct flt_filter *filter;           /* whose instance */
	struct flt_volume *volume;           /* on which volume */
	int is_deleting;                     /* being detached */
	struct flt_ctx *ctxs;                /* its instance context */
	struct flt_instance *next_in_filter; /* filter's list */
	struct flt_instance *next_in_volume; /* volume's list */
};

struct flt_fcb {                         /* a file (file contexts) */
	struct flt_volume *volume;           /* its volume */
	char name[256];                      /* before the ':' */
	struct flt_ctx *ctxs;                /* file contexts */
	struct flt_stream *streams;          /* its open streams */
	struct flt_fcb *next;                /* volume's list */
};

struct flt_stream {                      /* a stream (stream contexts) */
	struct flt_fcb *fcb;                 /* its file */
	char name[256];                      /* the whole path */
	unsigned refs;                       /* open file objects + sections */
	struct flt_ctx *ctxs;                /* stream contexts */
	struct flt_fobj *fobjs;              /* open file objects */
	struct flt_section *sections;        /* data-scan sections */
	struct flt_stream *next;             /* fcb's list */
};

struct flt_fobj {                        /* a FILE_OBJECT (stream-handle contexts) */
	struct flt_obj obj;                  /* FK_FILE_OBJECT */
	struct flt_stream *stream;           /* the stream it opened */
	int is_deleting;                     /* being closed */
	struct flt_ctx *ctxs;                /* stream-handle contexts */
	struct flt_fobj *next;               /* stream's list */
};

struct flt_transaction {
	struct flt_obj obj;                  /* FK_TRANSACTION */
	int is_deleting;                     /* being ended */
	struct flt_ctx *ctxs;                /* transaction contexts */
	struct flt_transaction *next;        /* state's list */
};

struct flt_section {
	struct flt_obj obj;                  /* FK_SECTION */
	struct flt_instance *instance;       /* owner */
	struct flt_stream *stream;           /* the section's stream */
	struct flt_ctx *ctxs;                /* its section context */
	struct flt_section *next;            /* stream's list */
};

/* A context header; the minifilter portion follows at FLT_CTX_HDR. */
struct flt_ctx {
	struct flt_obj obj;                  /* FK_CONTEXT */
	FLT_CONTEXT_TYPE type;               /* one FLT_*_CONTEXT bit */
	unsigned char is_paged;              /* from a paged pool type */
	unsigned char is_linked;             /* ever attached (never again) */
	unsigned char is_lookaside;          /* block belongs to cls's lookaside */
	unsigned char is_pending;            /* on the deferred-release queue */
	POOL_TYPE pool;                      /* as asked for */
	struct flt_filter *filter;           /* allocating filter */
	struct flt_class *cls;               /* registration entry it came from */
	size_t size;                         /* ContextSize */
	long refs;                           /* references (lock held) */
	struct flt_ctx **owner;              /* owner's list head while attached, or NULL */
	const void *key;                     /* instance (or filter for volumes) */
	struct flt_ctx *owner_next;          /* owner's list */
	struct flt_ctx *live_prev, *live_next;  /* filter's live list */
	struct flt_ctx *next;                /* lookaside, quarantine, deferred or teardown chain */
	const void *caller;                  /* FltAllocateContext return address */
	const char *file;                    /* kmemu_flt_site(), or NULL */
	int line;                            /* its line, or 0 */
	const char *function;                /* its function, or NULL */
};
#define FLT_CTX_HDR ((sizeof(struct flt_ctx) + 15u) & ~(size_t)15u)

/* Unlink @node from the singly linked list at @head chained through @field. */
#define FLT_LIST_REMOVE(type, head, node, field)                              \
	do {                                                                   \
		for (type **pp_ = (head); *pp_; pp_ = &(*pp_)->field)          \
			if (*pp_ == (node)) {                                  \
				*pp_ = (node)->field;                          \
				break;                                         \
			}                                                      \
	} while (0)
#define FLT_CTX_USER(c) ((PFLT_CONTEXT)((char *)(c) + FLT_CTX_HDR))
#define FLT_CTX_OF(p) ((struct flt_ctx *)((char *)(p) - FLT_CTX_HDR))

/* Per backend instance. */
struct flt_state {
	pthread_mutex_t lock;                /* guards everything here */
	pthread_cond_t changed;              /* a context freed / the queue moved */
	pthread_cond_t work;                 /* the worker has something to do */
	struct kmemu__ptrset set;            /* live pointers */
	size_t set_live;                     /* = set.live (read by the model check) */
	struct flt_filter *filters;          /* registered filters */
	struct flt_volume *volumes;          /* mounted volumes */
	struct flt_transaction *transactions;  /* live transactions */
	struct flt_ctx *deferred;            /* queue for the worker (LIFO) */
	uint64_t n_deferred;                 /* queued or being processed */
	int has_worker;                      /* worker thread started */
	int is_stopping;                     /* worker must exit */
	pthread_t worker;                    /* runs deferred releases */
	uint64_t n_contexts;                 /* live contexts, all filters */
	uint64_t n_lookaside;                /* free contexts on lookaside lists */
	struct flt_ctx *quar_head, *quar_tail;  /* the quarantine, oldest first (via ->next) */
	uint64_t n_quarantine;               /* blocks in it, at most KMEMU_FLT_QUARANTINE */
	uint64_t n_quarantine_lookaside;     /* of them, blocks of a lookaside list */
	uint64_t n_fobjs, n_streams;         /* open file objects, live streams */
	uint64_t n_leaks;                    /* leak reports */
	uint64_t n_section_deletes;          /* FltDeleteContext on section contexts */
};

/* ---- state.c ------------------------------------------------------------------ */
/* The state, after the IRQL rule of @fn (at most @max; *@bp the backend when
 * @bp is not NULL); NULL with *@rc: STATUS_NOT_FOUND, STATUS_NOT_SUPPORTED,
 * STATUS_INSUFFICIENT_RESOURCES, or STATUS_UNSUCCESSFUL after the report. */
struct flt_state *kmemu__flt_enter(const char *fn, const void *routine, uint8_t max,
				   struct kmemu_backend **bp, kmemu_status *rc);
/* The state of the current instance, created on first use; NULL with *@rc
 * (STATUS_NOT_FOUND, STATUS_NOT_SUPPORTED, STATUS_INSUFFICIENT_RESOURCES). */
struct flt_state *kmemu__flt_state(struct kmemu_backend **bp, kmemu_status *rc);
/* 0 when the IRQL is at most @max; else reports IRQL_NOT_LESS_OR_EQUAL for
 * @fn and returns 1 (the call then fails).  No lock held. */
int kmemu__flt_irql_above(struct kmemu_backend *b, const char *fn, const void *routine,
			  uint8_t max);
/* Live-set operations (lock held). */
int kmemu__flt_set_add(struct flt_state *st, void *p);
void kmemu__flt_set_del(struct flt_state *st, void *p);
/* @p as a live object of @kind, or NULL (lock held). */
void *kmemu__flt_lookup(struct flt_state *st, const void *p, enum flt_kind kind);
/* Queue a context whose last reference went at DISPATCH_LEVEL (lock held);
 * 0, or -1 when the worker cannot start (the caller frees inline). */
int kmemu__flt_defer(struct flt_state *st, struct flt_ctx *c);
/* Report one leak to the handler (no lock held). */
void kmemu__flt_report_leak(const struct kmemu_flt_leak *leak);
/* The pending allocation site of this thread, then cleared. */
void kmemu__flt_take_site(const char **file, int *line, const char **function);
/* Microseconds FltUnregisterFilter waits. */
unsigned kmemu__flt_unload_wait_ms(void);

/* ---- context.c ---------------------------------------------------------------- */
/* Drop one reference (lock held on entry, released on return): at zero
 * the cleanup callback runs and the context is freed, or it is queued
 * when @defer.  Never reports. */
void kmemu__flt_put_unlock(struct flt_state *st, struct flt_ctx *c, int defer);
/* Cleanup callback then free, for a context already out of the live set
 * (no lock held). */
void kmemu__flt_ctx_finish(struct flt_state *st, struct flt_ctx *c);
/* Detach every context on *@head (matching @key unless NULL) and collect
 * them on *@chain (lock held). */
void kmemu__flt_detach_all(struct flt_ctx **head, const void *key, struct flt_ctx **chain);
/* Drop the owner reference of every context on @chain (no lock held). */
void kmemu__flt_put_chain(struct flt_state *st, struct flt_ctx *chain);
/* Free the lookaside lists of @f and its blocks in the quarantine (lock held). */
void kmemu__flt_lookaside_free(struct flt_state *st, struct flt_filter *f);
/* The context on *@head keyed @key, or NULL (lock held). */
struct flt_ctx *kmemu__flt_find(struct flt_ctx **head, const void *key);
/* Attach @c to *@head under @key; it gains the owner's reference (lock held). */
void kmemu__flt_attach(struct flt_ctx *c, struct flt_ctx **head, const void *key);
/* The live context whose minifilter portion is @p, or NULL (lock held). */
struct flt_ctx *kmemu__flt_ctx_lookup(struct flt_state *st, const void *p);
/* Report a context that is not live (FLTMGR_FILE_SYSTEM 0x6E; no lock held). */
void kmemu__flt_report_dead(const char *fn, const void *p);

/* ---- model.c ------------------------------------------------------------------ */
/* Detach @in (teardown callbacks; lock not held on entry). */
void kmemu__flt_instance_detach(struct flt_state *st, struct flt_instance *in);
/* Close every volume and transaction (machine close, lock not held). */
void kmemu__flt_model_close(struct flt_state *st);

/* ---- filter.c ----------------------------------------------------------------- */
/* Bit index 0..6 of a single FLT_*_CONTEXT type, or -1. */
int kmemu__flt_type_index(FLT_CONTEXT_TYPE type);
/* Unregister @f waiting at most @wait_ms (lock not held). */
void kmemu__flt_unregister(struct flt_state *st, struct flt_filter *f, unsigned wait_ms);

#endif /* KMEMU_API_FLT_IMPL_H */
