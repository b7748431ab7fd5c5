/* SPDX-License-Identifier: MIT */
/*
 * memory.c - WDFMEMORY: WdfMemoryCreate, WdfMemoryCreatePreallocated,
 * WdfMemoryAssignBuffer, WdfMemoryGetBuffer, WdfMemoryCopyToBuffer and
 * WdfMemoryCopyFromBuffer (spec/kmdf.md §2, seed 003), and the request
 * memory objects the I/O half makes (ProbeAndLock, a request's own buffers).
 *
 * Kinds (struct kmemu_wdf_memory.kind) and the types they answer:
 *   WdfMemoryCreate            FX_TYPE_OBJECT, IFX_TYPE_MEMORY
 *   WdfMemoryCreatePreallocated FX_TYPE_MEMORY_PREALLOCATED, IFX_TYPE_MEMORY, OBJECT
 *   ProbeAndLock memory        FX_TYPE_REQUEST_MEMORY, ..._PREALLOCATED, IFX_TYPE_MEMORY, OBJECT
 *   a request's own memory     IFX_TYPE_MEMORY, OBJECT
 * so WdfMemoryAssignBuffer (which asks for FX_TYPE_MEMORY_PREALLOCATED)
 * bug checks on WdfMemoryCreate memory and on a request's own memory, and
 * is accepted on ProbeAndLock memory, as in KMDF.
 *
 * Storage: every WdfMemoryCreate buffer is its own heap block (KMDF's
 * FromPool layout, which KMDF itself uses with the verifier and pool
 * tracking on), page aligned from PAGE_SIZE up, and filled with
 * KMEMU_WDF_POISON instead of zeroes, so code that assumes a zeroed buffer
 * fails visibly and an overrun is a heap error the sanitizers see rather
 * than silent corruption of the object.
 */
#include <string.h>
#include "wdf_int.h"

/* POOL_COLD_ALLOCATION: a hint bit WdfMemoryCreate ignores for the paged test. */
#define POOL_COLD_ALLOCATION_BIT 256

static int memory_qi(struct kmemu_wdf_object *o, uint16_t type)
{
	struct kmemu_wdf_memory *m = (struct kmemu_wdf_memory *)o;

	switch (type) {
	case KMEMU_IFX_TYPE_MEMORY:
		return 1;
	case KMEMU_FX_TYPE_MEMORY_PREALLOCATED:
		return m->kind == KMEMU_WDF_MEM_PREALLOCATED || m->kind == KMEMU_WDF_MEM_REQUEST;
	case KMEMU_FX_TYPE_REQUEST_MEMORY:
		return m->kind == KMEMU_WDF_MEM_REQUEST;
	default:
		return 0;
	}
}

/* Refcount 0: free a WdfMemoryCreate buffer, unlock ProbeAndLock pages. */
static void memory_destroy(struct kmemu_wdf_object *o)
{
	struct kmemu_wdf_memory *m = (struct kmemu_wdf_memory *)o;
	void (*release)(void *) = m->release;

	kmemu__free(m->alloc);
	m->alloc = NULL;
	m->buffer = NULL;
	m->release = NULL;
	if (release)
		release(m->release_ctx);
}

const struct kmemu_wdf_object_ops kmemu__wdf_memory_ops = {
	.name = "WDFMEMORY",
	.query_interface = memory_qi,
	.destroy = memory_destroy,
};

struct kmemu_wdf_memory *kmemu__wdf_memory_of(struct kmemu_wdf_object *o)
{
	return o && o->ops == &kmemu__wdf_memory_ops ? (struct kmemu_wdf_memory *)o : NULL;
}

int kmemu__wdf_memory_after_completion(struct kmemu_wdf_object *o, const char *function)
{
	struct kmemu_wdf_memory *m = kmemu__wdf_memory_of(o);

	if (!m || !m->is_request_completed)
		return 0;
	kmemu__wdf_dbg_break(o->globals, function,
			     "%s: WDFMEMORY %p of a completed request used (DDI compliance rule %s); "
			     "the call is refused",
			     function, (void *)kmemu__wdf_handle(o),
			     m->completed_rule ? m->completed_rule : "MemAfterReqCompleted");
	return 1;
}

void kmemu__wdf_memory_set_request_completed(struct kmemu_wdf_object *mem, const char *rule)
{
	struct kmemu_wdf_memory *m = kmemu__wdf_memory_of(mem);

	if (!m)
		return;
	pthread_mutex_lock(&mem->globals->inst->lock);
	m->is_request_completed = 1;
	m->completed_rule = rule;
	pthread_mutex_unlock(&mem->globals->inst->lock);
}

/* 1 for the paged pool types of §2.1 step 3 (POOL_COLD_ALLOCATION ignored). */
static int pool_is_paged(POOL_TYPE t)
{
	int base = (int)t & ~POOL_COLD_ALLOCATION_BIT;

	return base == PagedPool || base == PagedPoolCacheAligned;
}

NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType, ULONG PoolTag,
			 size_t BufferSize, WDFMEMORY *Memory, PVOID *Buffer)
{
	static const char fn[] = "WdfMemoryCreate";
	uintptr_t caller = KMEMU_WDF_CALLER;
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_memory *m;
	int failed, paged = pool_is_paged(PoolType);
	WDFOBJECT h;
	NTSTATUS st;

	if (!g)
		return KMEMU_WDF_STATUS_HANDLED;
	g = kmemu__wdf_parent_globals(g, Attributes, fn, &failed);               /* step 1 */
	if (failed || kmemu__wdf_pointer_null(g, Memory, fn, caller))            /* step 2 */
		return KMEMU_WDF_STATUS_HANDLED;
	st = kmemu__wdf_check_irql(g, paged ? APC_LEVEL : DISPATCH_LEVEL, fn);   /* step 3 */
	if (st)
		return st;
	if (BufferSize == 0)                                                      /* step 4 */
		return STATUS_INVALID_PARAMETER;
	*Memory = NULL;                                                           /* step 5 */
	st = kmemu__wdf_validate_attributes(Attributes, 0);                       /* step 6 */
	if (st)
		return st;
	if (PoolTag == 0)                                                         /* step 7 */
		PoolTag = g->pool_tag;
	m = (struct kmemu_wdf_memory *)kmemu__wdf_object_new(g, sizeof(*m), KMEMU_FX_TYPE_OBJECT,
							     &kmemu__wdf_memory_ops, Attributes,
							     caller);
	if (!m)
		return STATUS_INSUFFICIENT_RESOURCES;
	/* Step 9: FromPool for a page or more, with the verifier (pool tracking)
	 * or for paged pool; the inline layout otherwise (recorded only). */
	m->kind = BufferSize >= PAGE_SIZE || g->verifier || paged ? KMEMU_WDF_MEM_FROM_POOL
								  : KMEMU_WDF_MEM_BUFFER;
	m->pool_type = PoolType;
	m->tag = PoolTag;
	m->obj.is_passive_dispose = paged;
	if (BufferSize <= g->inst->pool_limit) {  /* no pool is larger than RAM */
		if (BufferSize >= PAGE_SIZE) {
			m->alloc = kmemu__malloc(BufferSize + PAGE_SIZE - 1);
			m->buffer = m->alloc ? (void *)(((uintptr_t)m->alloc + PAGE_SIZE - 1) &
							~(uintptr_t)(PAGE_SIZE - 1))
					     : NULL;
		} else {
			m->buffer = m->alloc = kmemu__malloc(BufferSize);
		}
	}
	if (!m->buffer) {
		kmemu__wdf_object_abort(&m->obj);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	memset(m->buffer, KMEMU_WDF_POISON, BufferSize);
	m->size = BufferSize;
	st = kmemu__wdf_object_commit(&m->obj, Attributes, NULL, fn, &h);         /* step 10 */
	if (st)
		return st;
	*Memory = (WDFMEMORY)h;                                                   /* step 11 */
	if (Buffer)
		*Buffer = m->buffer;
	return STATUS_SUCCESS;
}

NTSTATUS WdfMemoryCreatePreallocated(PWDF_OBJECT_ATTRIBUTES Attributes, PVOID Buffer,
				     size_t BufferSize, WDFMEMORY *Memory)
{
	static const char fn[] = "WdfMemoryCreatePreallocated";
	uintptr_t caller = KMEMU_WDF_CALLER;
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(fn);
	struct kmemu_wdf_memory *m;
	int failed;
	WDFOBJECT h;
	NTSTATUS st;

	if (!g)
		return KMEMU_WDF_STATUS_HANDLED;
	g = kmemu__wdf_parent_globals(g, Attributes, fn, &failed);               /* step 1 */
	if (failed || kmemu__wdf_pointer_null(g, Buffer, fn, caller) ||          /* step 2 */
	    kmemu__wdf_pointer_null(g, Memory, fn, caller))                      /* step 3 */
		return KMEMU_WDF_STATUS_HANDLED;
	*Memory = NULL;                                                           /* step 4 */
	if (BufferSize == 0)                                                      /* step 5 */
		return STATUS_INVALID_PARAMETER;
	st = kmemu__wdf_validate_attributes(Attributes, 0);                       /* step 6 */
	if (st)
		return st;
	m = (struct kmemu_wdf_memory *)kmemu__wdf_object_new(                     /* step 7 */
		g, sizeof(*m), KMEMU_FX_TYPE_MEMORY_PREALLOCATED, &kmemu__wdf_memory_ops,
		Attributes, caller);
	if (!m)
		return STATUS_INSUFFICIENT_RESOURCES;
	m->kind = KMEMU_WDF_MEM_PREALLOCATED;
	m->buffer = Buffer;
	m->size = BufferSize;
	st = kmemu__wdf_object_commit(&m->obj, Attributes, NULL, fn, &h);         /* step 8 */
	if (st)
		return st;
	*Memory = (WDFMEMORY)h;
	return STATUS_SUCCESS;
}

/* Steps 1-2 of AssignBuffer and the Copy DDIs: the handle as @type (then
 * the completed-request rule), a non-NULL @buffer.  Return: STATUS_SUCCESS
 * with *@out set; STATUS_INVALID_DEVICE_REQUEST (request completed);
 * STATUS_UNSUCCESSFUL after a handled bug check. */
static NTSTATUS memory_ddi_begin(WDFMEMORY h, uint16_t type, const void *buffer, const char *fn,
				 uintptr_t caller, struct kmemu_wdf_memory **out)
{
	struct kmemu_wdf_object *o = kmemu__wdf_ddi_object(h, type, fn);

	if (!o)
		return KMEMU_WDF_STATUS_HANDLED;
	if (kmemu__wdf_memory_after_completion(o, fn))
		return STATUS_INVALID_DEVICE_REQUEST;
	if (kmemu__wdf_pointer_null(o->globals, buffer, fn, caller))
		return KMEMU_WDF_STATUS_HANDLED;
	*out = (struct kmemu_wdf_memory *)o;
	return STATUS_SUCCESS;
}

NTSTATUS WdfMemoryAssignBuffer(WDFMEMORY Memory, PVOID Buffer, size_t BufferSize)
{
	struct kmemu_wdf_memory *m = NULL;
	NTSTATUS st = memory_ddi_begin(Memory, KMEMU_FX_TYPE_MEMORY_PREALLOCATED, Buffer,
				       "WdfMemoryAssignBuffer", KMEMU_WDF_CALLER, &m);  /* 1-2 */

	if (st)
		return st;
	if (BufferSize == 0)                                                        /* step 3 */
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&m->obj.globals->inst->lock);                            /* step 4 */
	m->buffer = Buffer;
	m->size = BufferSize;
	pthread_mutex_unlock(&m->obj.globals->inst->lock);
	return STATUS_SUCCESS;
}

PVOID WdfMemoryGetBuffer(WDFMEMORY Memory, size_t *BufferSize)
{
	static const char fn[] = "WdfMemoryGetBuffer";
	struct kmemu_wdf_object *o;
	struct kmemu_wdf_memory *m;

	o = kmemu__wdf_ddi_object(Memory, KMEMU_IFX_TYPE_MEMORY, fn);
	if (!o)
		return NULL;
	if (kmemu__wdf_memory_after_completion(o, fn)) {
		if (BufferSize)
			*BufferSize = 0;
		return NULL;
	}
	m = (struct kmemu_wdf_memory *)o;
	if (BufferSize)
		*BufferSize = m->size;
	return m->buffer;
}

/* Steps 5-6: 1 when @n bytes at @off lie inside @m's buffer (an offset of 0
 * is only checked through the count). */
static int memory_range_ok(const struct kmemu_wdf_memory *m, size_t off, size_t n)
{
	return (off == 0 || off < m->size) && n <= m->size - off;
}

NTSTATUS WdfMemoryCopyToBuffer(WDFMEMORY SourceMemory, size_t SourceOffset, PVOID Buffer,
			       size_t NumBytesToCopyTo)
{
	struct kmemu_wdf_memory *m = NULL;
	NTSTATUS st = memory_ddi_begin(SourceMemory, KMEMU_IFX_TYPE_MEMORY, Buffer,
				       "WdfMemoryCopyToBuffer", KMEMU_WDF_CALLER, &m);  /* 1-2 */

	if (st)
		return st;
	if (NumBytesToCopyTo == 0 || !m->buffer)                                  /* steps 3-4 */
		return STATUS_INVALID_PARAMETER;
	if (!memory_range_ok(m, SourceOffset, NumBytesToCopyTo))                   /* steps 5-6 */
		return STATUS_BUFFER_TOO_SMALL;
	/* memmove, not memcpy: overlapping ranges are the driver's bug, never
	 * undefined behaviour in the host. */
	memmove(Buffer, (const uint8_t *)m->buffer + SourceOffset, NumBytesToCopyTo);
	return STATUS_SUCCESS;
}

NTSTATUS WdfMemoryCopyFromBuffer(WDFMEMORY DestinationMemory, size_t DestinationOffset,
				 PVOID Buffer, size_t NumBytesToCopyFrom)
{
	static const char fn[] = "WdfMemoryCopyFromBuffer";
	struct kmemu_wdf_memory *m = NULL;
	NTSTATUS st = memory_ddi_begin(DestinationMemory, KMEMU_IFX_TYPE_MEMORY, Buffer, fn,
				       KMEMU_WDF_CALLER, &m);                     /* steps 1-2 */

	if (st)
		return st;
	if (NumBytesToCopyFrom == 0)                                              /* step 3 */
		return STATUS_INVALID_PARAMETER;
	if (m->is_read_only) {                                                    /* step 4 */
		kmemu__wdf_dbg_break(m->obj.globals, fn, "WDFMEMORY %p is read-only",
				     (void *)DestinationMemory);
		return STATUS_ACCESS_VIOLATION;
	}
	if (!memory_range_ok(m, DestinationOffset, NumBytesToCopyFrom))           /* steps 5-6 */
		return STATUS_INVALID_BUFFER_SIZE;
	if (!m->buffer)
		return STATUS_INVALID_PARAMETER;
	memmove((uint8_t *)m->buffer + DestinationOffset, Buffer, NumBytesToCopyFrom);  /* step 7 */
	return STATUS_SUCCESS;
}

/* ---- request memory (for the I/O half) ---------------------------------------- */

/* A memory object of @kind, child of @request, with no attributes. */
static NTSTATUS request_memory_new(struct kmemu_wdf_object *request, uint16_t type,
				   enum kmemu_wdf_memory_kind kind, void *buffer, size_t size,
				   int read_only, const char *fn, struct kmemu_wdf_memory **out_m,
				   WDFMEMORY *out)
{
	struct kmemu_wdf_memory *m;
	WDFOBJECT h;
	NTSTATUS st;

	m = (struct kmemu_wdf_memory *)kmemu__wdf_object_new(request->globals, sizeof(*m), type,
							     &kmemu__wdf_memory_ops, NULL, 0);
	if (!m)
		return STATUS_INSUFFICIENT_RESOURCES;
	m->kind = kind;
	m->buffer = buffer;
	m->size = size;
	m->is_read_only = read_only;
	st = kmemu__wdf_object_commit(&m->obj, NULL, request, fn, &h);
	if (st)
		return st;
	*out_m = m;
	*out = (WDFMEMORY)h;
	return STATUS_SUCCESS;
}

NTSTATUS kmemu__wdf_request_memory_create(struct kmemu_wdf_object *request, void *kernel_buffer,
					  size_t size, int read_only, void (*release)(void *ctx),
					  void *ctx, WDFMEMORY *out)
{
	struct kmemu_wdf_memory *m;
	NTSTATUS st = request_memory_new(request, KMEMU_FX_TYPE_REQUEST_MEMORY,
					 KMEMU_WDF_MEM_REQUEST, kernel_buffer, size, read_only,
					 "WdfRequestProbeAndLockUserBuffer", &m, out);

	if (st)
		return st;
	pthread_mutex_lock(&request->globals->inst->lock);
	m->release = release;
	m->release_ctx = ctx;
	pthread_mutex_unlock(&request->globals->inst->lock);
	return STATUS_SUCCESS;
}

NTSTATUS kmemu__wdf_embedded_memory_create(struct kmemu_wdf_object *request, void *buffer,
					   size_t size, int read_only, WDFMEMORY *out)
{
	struct kmemu_wdf_memory *m;
	NTSTATUS st = request_memory_new(request, KMEMU_FX_TYPE_OBJECT, KMEMU_WDF_MEM_EMBEDDED,
					 buffer, size, read_only, "WdfRequestRetrieveMemory", &m,
					 out);

	if (!st)
		m->obj.is_no_delete = 1;
	return st;
}
