/* SPDX-License-Identifier: MIT */
/*
 * fuzz_wdf_memory.c - libFuzzer harness for the KMDF memory and object DDIs,
 * raw parameters.
 *
 * The input is a program of 16-byte records (byte 0 % 10 is the call):
 *
 *   0 WdfMemoryCreate      attributes (none, initialised, with a context,
 *                          with a parent handle, or raw Size/levels/scope),
 *                          pool type (table or raw), raw tag, size (small,
 *                          pages, 0 or raw 64-bit), Memory/Buffer NULL or not
 *   1 WdfMemoryCreatePreallocated  a range of the harness arena (or NULL),
 *                          size (0 or raw within the arena), attributes
 *   2 WdfMemoryAssignBuffer any handle, an arena range or NULL, size
 *   3 WdfMemoryGetBuffer   any handle
 *   4 WdfMemoryCopyToBuffer / 5 WdfMemoryCopyFromBuffer
 *                          any handle, raw offset and count (a count the
 *                          object could satisfy is clamped to the scratch
 *                          buffer), NULL buffer or not
 *   6 WdfObjectDelete      any handle
 *   7 WdfObjectReference / Dereference (with a tag)
 *   8 IRQL                 PASSIVE .. DISPATCH + 1 (the verifier IRQL checks)
 *   9 reload               unload the driver and load one with the verifier
 *                          on or off and the break policy continue or fatal
 *
 * "Any handle" is a live one from the table, one of a deleted object, the
 * WDFDRIVER, NULL or raw garbage.  Every call runs under
 * kmemu_bugcheck_catch.  Checks: every status belongs to the DDIs'
 * documented set, every bug check is one the spec allows (0x10D with
 * p1 = 3, 4, 5 or 7; 0x50 for a stale handle without the verifier; 0x1E
 * for a fatal break); after every input the driver unloads, every object
 * is gone (heap back to where it was) and the invariant checkers pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmemu/wdf.h>
#include "fuzz_emu.h"

#define MAX_OBJS 16
#define ARENA 4096

static WDFOBJECT objs[MAX_OBJS];      /* handles made (live or deleted since) */
static unsigned n_objs;
static uint8_t arena[ARENA];          /* preallocated buffers point here */
static uint8_t scratch[ARENA];        /* Copy*Buffer's driver buffer */
static struct kmemu_wdf_driver *drv;

typedef struct _FZ_CTX {
	uint32_t v[4];
} FZ_CTX;
WDF_DECLARE_CONTEXT_TYPE(FZ_CTX)

static const NTSTATUS documented[] = {
	STATUS_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_INSUFFICIENT_RESOURCES,
	STATUS_INFO_LENGTH_MISMATCH, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID,
	STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID, STATUS_WDF_EXECUTION_LEVEL_INVALID,
	STATUS_DELETE_PENDING, STATUS_INVALID_DEVICE_REQUEST, STATUS_BUFFER_TOO_SMALL,
	STATUS_INVALID_BUFFER_SIZE, STATUS_ACCESS_VIOLATION,
};
static const POOL_TYPE pools[] = { NonPagedPool, PagedPool, NonPagedPoolNx,
				   NonPagedPoolCacheAligned, PagedPoolCacheAligned,
				   NonPagedPoolMustSucceed };

static void die(const char *what, unsigned long long a, unsigned long long b)
{
	fprintf(stderr, "fuzz_wdf_memory: %s (0x%llx 0x%llx)\n", what, a, b);
	abort();
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* One call's parameters, decoded from a record. */
struct call {
	const uint8_t *r;
	WDFOBJECT h;
	NTSTATUS st;
	int checked;  /* st is a status to check */
};

static WDFOBJECT pick_handle(uint8_t sel, const uint8_t *raw)
{
	switch (sel % 8) {
	case 0: return NULL;
	case 1: return (WDFOBJECT)(uintptr_t)rd64(raw);
	case 2: return (WDFOBJECT)kmemu_wdf_driver_handle(drv);
	default: return n_objs ? objs[sel % n_objs] : NULL;
	}
}

static void remember(WDFOBJECT h)
{
	if (!h)
		return;
	if (n_objs < MAX_OBJS)
		objs[n_objs++] = h;
	else
		objs[h ? ((uintptr_t)h >> 4) % MAX_OBJS : 0] = h;
}

static void attrs_from(WDF_OBJECT_ATTRIBUTES *a, const uint8_t *r)
{
	WDF_OBJECT_ATTRIBUTES_INIT(a);
	switch (r[0] % 5) {
	case 1: WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(a, FZ_CTX); break;
	case 2: a->ParentObject = pick_handle(r[1], r + 5); break;  /* record bytes 8-15 */
	case 3:
		a->Size = r[2] & 1 ? sizeof(*a) : r[2];
		a->ExecutionLevel = (WDF_EXECUTION_LEVEL)(r[3] % 6);
		a->SynchronizationScope = (WDF_SYNCHRONIZATION_SCOPE)(r[4] % 7);
		a->ContextSizeOverride = r[5] & 0x80 ? r[5] : 0;
		break;
	case 4:
		a->ContextSizeOverride = r[5];
		a->ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(FZ_CTX);
		break;
	default: break;
	}
}

static void op_create(void *p)
{
	struct call *c = p;
	const uint8_t *r = c->r;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;
	PVOID b = NULL;
	size_t size;
	POOL_TYPE pool = r[2] & 0x80 ? (POOL_TYPE)r[2] : pools[r[2] % 6];

	attrs_from(&a, r + 3);
	switch (r[1] % 4) {
	case 0: size = r[8] + 1; break;
	case 1: size = (size_t)(r[8] % 16) << 12; break;
	case 2: size = 0; break;
	default: size = rd64(r + 8); break;
	}
	c->st = WdfMemoryCreate(r[1] & 0x10 ? NULL : &a, pool, (ULONG)rd64(r + 4), size,
				r[1] & 0x20 && r[1] & 0x40 ? NULL : &m, r[1] & 0x80 ? NULL : &b);
	c->checked = 1;
	if (c->st == STATUS_SUCCESS) {
		if (!m || (!(r[1] & 0x80) && !b))
			die("WdfMemoryCreate succeeded without outputs", (uintptr_t)m, (uintptr_t)b);
		remember(m);
	}
}

static void op_prealloc(void *p)
{
	struct call *c = p;
	const uint8_t *r = c->r;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;
	size_t off = rd64(r + 8) % ARENA;
	size_t size = r[2] & 1 ? 0 : 1 + (size_t)(rd64(r + 4) % (ARENA - off));

	attrs_from(&a, r + 3);
	c->st = WdfMemoryCreatePreallocated(r[1] & 0x10 ? NULL : &a,
					    r[1] & 0x20 ? NULL : arena + off, size,
					    r[1] & 0x40 && r[1] & 0x80 ? NULL : &m);
	c->checked = 1;
	if (c->st == STATUS_SUCCESS)
		remember(m);
}

static void op_assign(void *p)
{
	struct call *c = p;
	const uint8_t *r = c->r;
	size_t off = r[3] * 16u % ARENA;
	size_t size = r[4] & 1 ? 0 : 1 + (size_t)(rd64(r + 4) % (ARENA - off));

	c->st = WdfMemoryAssignBuffer((WDFMEMORY)c->h, r[2] & 0x20 ? NULL : arena + off, size);
	c->checked = 1;
}

static void op_get(void *p)
{
	struct call *c = p;
	size_t sz = 0;
	const uint8_t *b = WdfMemoryGetBuffer((WDFMEMORY)c->h, &sz);

	/* the buffer is readable end to end */
	if (b && sz && sz <= ARENA * 64) {
		volatile uint8_t x = b[0];

		x ^= b[sz - 1];
		(void)x;
	}
}

static void op_copy(void *p)
{
	struct call *c = p;
	const uint8_t *r = c->r;
	size_t sz = 0, off = rd64(r + 8), n = (size_t)(rd64(r + 4) & 0xFFFFFFFF);
	PVOID b = WdfMemoryGetBuffer((WDFMEMORY)c->h, &sz);

	(void)b;
	if (r[2] & 1)
		off %= sz + 2;  /* near the end, where the range rules bite */
	/* a count the object could satisfy must fit the scratch buffer */
	if (off <= sz && n <= sz - off && n > ARENA)
		n = ARENA;
	if (r[0] % 10 == 4)
		c->st = WdfMemoryCopyToBuffer((WDFMEMORY)c->h, off, r[3] & 0x40 ? NULL : scratch, n);
	else
		c->st = WdfMemoryCopyFromBuffer((WDFMEMORY)c->h, off, r[3] & 0x40 ? NULL : scratch,
						n);
	c->checked = 1;
}

static void op_delete(void *p)
{
	WdfObjectDelete(((struct call *)p)->h);
}

static void op_ref(void *p)
{
	struct call *c = p;

	if (c->r[2] & 1)
		WdfObjectReferenceWithTag(c->h, (PVOID)(uintptr_t)(c->r[3] & 3));
	else
		WdfObjectDereferenceWithTag(c->h, (PVOID)(uintptr_t)(c->r[3] & 3));
}

static void load_driver(int verifier, int fatal)
{
	struct kmemu_wdf_driver_options o = {
		.verifier = verifier, .has_verifier = 1, .quiet = 1,
		.break_policy = fatal ? KMEMU_WDF_BREAK_FATAL : KMEMU_WDF_BREAK_CONTINUE,
	};

	if (kmemu_wdf_driver_create("fuzz", &o, NULL, &drv))
		die("driver create failed", 0, 0);
}

static void unload_call(void *p)
{
	(void)p;
	kmemu_wdf_driver_unload(drv);
}

/* Unload under a catch: a fatal break policy makes the leak break a bug check. */
static void unload_driver(void)
{
	struct kmemu_bugcheck_report rep;

	kmemu_irql_set(PASSIVE_LEVEL, NULL);
	if (kmemu_bugcheck_catch(unload_call, NULL, &rep) &&
	    (rep.code != KMODE_EXCEPTION_NOT_HANDLED || rep.param[0] != 0x80000003u))
		die("unexpected bug check at unload", rep.code, rep.param[0]);
	drv = NULL;
	n_objs = 0;
}

static void check_bugcheck(const struct kmemu_bugcheck_report *rep)
{
	if (rep->code == WDF_VIOLATION &&
	    (rep->param[0] == WDF_VERIFIER_FATAL_ERROR ||
	     rep->param[0] == WDF_REQUIRED_PARAMETER_IS_NULL ||
	     rep->param[0] == WDF_INVALID_HANDLE || rep->param[0] == WDF_OBJECT_ERROR))
		return;
	if (rep->code == PAGE_FAULT_IN_NONPAGED_AREA && !kmemu_wdf_driver_verifier(drv))
		return;
	if (rep->code == KMODE_EXCEPTION_NOT_HANDLED && rep->param[0] == 0x80000003u)
		return;
	die("unexpected bug check", rep->code, rep->param[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const ops[])(void *) = { op_create, op_prealloc, op_assign, op_get, op_copy,
					       op_copy, op_delete, op_ref };
	struct kmemu_stats before, after;
	const char *why;

	if (fuzz_emu_open_once(16u << 20, 0, KMEMU_PLACE_DEFAULT)) {
		load_driver(1, 0);  /* the framework instance is made once and kept */
		kmemu_wdf_driver_unload(drv);
	}
	kmemu_stats_get(&before);
	n_objs = 0;
	load_driver(size ? data[0] & 1 : 1, 0);
	for (size_t off = 0; off + 16 <= size; off += 16) {
		const uint8_t *r = data + off;
		struct call c = { .r = r };
		struct kmemu_bugcheck_report rep;
		unsigned op = r[0] % 10;

		if (op == 8) {
			kmemu_irql_set(r[1] % 4, NULL);
			continue;
		}
		if (op == 9) {
			unload_driver();
			load_driver(r[1] & 1, r[1] & 2);
			continue;
		}
		c.h = pick_handle(r[1], r + 8);
		if (kmemu_bugcheck_catch(ops[op], &c, &rep)) {
			check_bugcheck(&rep);
			continue;
		}
		if (c.checked) {
			size_t i = 0;

			while (i < sizeof(documented) / sizeof(documented[0]) && documented[i] != c.st)
				i++;
			if (i == sizeof(documented) / sizeof(documented[0]))
				die("undocumented status", (unsigned)c.st, op);
		}
	}
	unload_driver();
	if (kmemu_check(&why))
		die(why, 0, 0);
	kmemu_stats_get(&after);
	if (after.heap_blocks != before.heap_blocks || after.heap_bytes != before.heap_bytes)
		die("framework heap left after unload", after.heap_blocks, before.heap_blocks);
	return 0;
}
