/* SPDX-License-Identifier: MIT */
/*
 * fuzz_flt.c - libFuzzer harness for the Filter Manager contexts.
 *
 * Input: a header byte (bit 0: the volume has no stream contexts; bits
 * 1-4: number of registration entries, 0..15), then one 8-byte record per
 * registration entry, then a program of 8-byte records.
 *
 * A registration entry: [0] type (one of the seven, or raw), [1] flags,
 * [2] size (0, 8, 16, 32, 64, MAXUSHORT, MAXUSHORT + 1, variable, or raw
 * from [3]), [4] PoolTag set or 0, [5] callbacks (none, both, allocate
 * only, free only), [6] Reserved1 set when 0xFF, [7] cleanup callback.
 *
 * A program record, [0] % 10: 0 FltAllocateContext into slot [1] (type [2],
 * size [3..4], pool [5]); 1 a FltSet*Context of slot [1] (routine [2],
 * operation [3], OldContext [4]); 2 a FltGet*Context; 3 a FltDelete*Context
 * (OldContext [4]); 4 FltReferenceContext + FltReleaseContext; 5
 * FltReleaseContext of a slot; 6 FltDeleteContext; 7 close and reopen file
 * object [2]; 8 FltGetContexts([3]) + FltReleaseContexts; 9 release at
 * DISPATCH_LEVEL (deferred).  The harness only releases references it owns,
 * so no bug check may happen (the default handler aborts).
 *
 * Checks: kmemu_flt_check() after every record; FltRegisterFilter answers STATUS_SUCCESS or
 * STATUS_FLT_INVALID_CONTEXT_REGISTRATION; every other status is in its
 * routine's documented set; after the input, with every reference released,
 * every object closed and the filter unloaded, no context is live, none
 * leaked, the heap is back where it started and the invariants hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fltkernel.h>
#include <kmemu/kmemu.h>
#include <kmemu/flt.h>
#include "fuzz_emu.h"

#define N_SLOTS 16

static PFLT_FILTER filter;
static PFLT_VOLUME volume;
static PFLT_INSTANCE instance;
static PFILE_OBJECT fo[3];
static PKTRANSACTION tx;
static PFLT_CONTEXT slot[N_SLOTS];
static int slot_paged[N_SLOTS];       /* allocated from a paged pool type */

static const FLT_CONTEXT_TYPE types[7] = {
	FLT_VOLUME_CONTEXT, FLT_INSTANCE_CONTEXT, FLT_FILE_CONTEXT, FLT_STREAM_CONTEXT,
	FLT_STREAMHANDLE_CONTEXT, FLT_TRANSACTION_CONTEXT, FLT_SECTION_CONTEXT
};
static const POOL_TYPE pools[4] = { NonPagedPool, PagedPool, NonPagedPoolNx, PagedPoolSession };

static void die(const char *what, NTSTATUS st)
{
	fprintf(stderr, "fuzz_flt: %s (0x%08X %s)\n", what, (unsigned)st, kmemu_status_name(st));
	abort();
}

static void check(const char *what, NTSTATUS st, const NTSTATUS *ok, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (st == ok[i])
			return;
	die(what, st);
}

static VOID FLTAPI on_cleanup(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	(void)t;
	((volatile uint8_t *)c)[0] = 0xCC;
}

static PVOID FLTAPI on_alloc(POOL_TYPE p, SIZE_T size, FLT_CONTEXT_TYPE t)
{
	(void)p;
	(void)t;
	return malloc(size);
}

static VOID FLTAPI on_free(PVOID p, FLT_CONTEXT_TYPE t)
{
	(void)t;
	free(p);
}

static void on_leak(const struct kmemu_flt_leak *l, void *ctx)
{
	(void)l;
	(void)ctx;
	die("a context leaked at unload", 0);
}

static SIZE_T size_of(uint8_t sel, uint8_t raw)
{
	static const SIZE_T sizes[8] = { 0, 8, 16, 32, 64, 0xFFFF, 0x10000, FLT_VARIABLE_SIZED_CONTEXTS };

	return sel < 0xC0 ? sizes[sel % 8] : raw;
}

static void parse_registration(const uint8_t *r, FLT_CONTEXT_REGISTRATION *e)
{
	memset(e, 0, sizeof(*e));
	e->ContextType = r[0] < 0xF0 ? types[r[0] % 7] : (FLT_CONTEXT_TYPE)(r[0] << 4);
	e->Flags = r[1] & 3;
	e->Size = size_of(r[2], r[3]);
	e->PoolTag = r[4] & 1 ? 0x7A7A7546u : 0;
	e->ContextAllocateCallback = (r[5] % 4 == 1 || r[5] % 4 == 2) ? on_alloc : NULL;
	e->ContextFreeCallback = (r[5] % 4 == 1 || r[5] % 4 == 3) ? on_free : NULL;
	e->Reserved1 = r[6] == 0xFF ? (PVOID)e : NULL;
	e->ContextCleanupCallback = r[7] & 1 ? on_cleanup : NULL;
}

/* routine k of set/get/delete (0 volume .. 5 transaction) */
static NTSTATUS do_set(unsigned k, FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT c, PFLT_CONTEXT *old,
		       PFILE_OBJECT f)
{
	switch (k % 6) {
	case 0: return FltSetVolumeContext(volume, op, c, old);
	case 1: return FltSetInstanceContext(instance, op, c, old);
	case 2: return FltSetFileContext(instance, f, op, c, old);
	case 3: return FltSetStreamContext(instance, f, op, c, old);
	case 4: return FltSetStreamHandleContext(instance, f, op, c, old);
	default: return FltSetTransactionContext(instance, tx, op, c, old);
	}
}

static NTSTATUS do_get(unsigned k, PFLT_CONTEXT *c, PFILE_OBJECT f)
{
	switch (k % 6) {
	case 0: return FltGetVolumeContext(filter, volume, c);
	case 1: return FltGetInstanceContext(instance, c);
	case 2: return FltGetFileContext(instance, f, c);
	case 3: return FltGetStreamContext(instance, f, c);
	case 4: return FltGetStreamHandleContext(instance, f, c);
	default: return FltGetTransactionContext(instance, tx, c);
	}
}

static NTSTATUS do_delete(unsigned k, PFLT_CONTEXT *old, PFILE_OBJECT f)
{
	switch (k % 6) {
	case 0: return FltDeleteVolumeContext(filter, volume, old);
	case 1: return FltDeleteInstanceContext(instance, old);
	case 2: return FltDeleteFileContext(instance, f, old);
	case 3: return FltDeleteStreamContext(instance, f, old);
	case 4: return FltDeleteStreamHandleContext(instance, f, old);
	default: return FltDeleteTransactionContext(instance, tx, old);
	}
}

static void release_slot(unsigned i)
{
	if (slot[i])
		FltReleaseContext(slot[i]);
	slot[i] = NULL;
}

static void run_record(const uint8_t *r)
{
	static const NTSTATUS alloc_ok[] = {
		STATUS_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_INVALID_BUFFER_SIZE,
		STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND, STATUS_INSUFFICIENT_RESOURCES
	};
	static const NTSTATUS set_ok[] = {
		STATUS_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_FLT_CONTEXT_ALREADY_DEFINED,
		STATUS_FLT_CONTEXT_ALREADY_LINKED, STATUS_NOT_SUPPORTED
	};
	static const NTSTATUS get_ok[] = { STATUS_SUCCESS, STATUS_NOT_FOUND, STATUS_NOT_SUPPORTED };
	unsigned s = r[1] % N_SLOTS;
	PFILE_OBJECT f = fo[r[5] % 3];
	PFLT_CONTEXT c = NULL, old = NULL;
	FLT_RELATED_OBJECTS ro;
	FLT_RELATED_CONTEXTS rc;
	NTSTATUS st;

	switch (r[0] % 10) {
	case 0:
		release_slot(s);
		st = FltAllocateContext(filter, r[2] < 0xF0 ? types[r[2] % 7] : r[2],
					size_of(r[3], r[4]), pools[r[6] % 4], &slot[s]);
		check("FltAllocateContext", st, alloc_ok, sizeof(alloc_ok) / sizeof(alloc_ok[0]));
		if ((st == STATUS_SUCCESS) != (slot[s] != NULL))
			die("FltAllocateContext: output and status disagree", st);
		if (slot[s])
			memset(slot[s], r[7], 1);
		slot_paged[s] = pools[r[6] % 4] & 1;
		break;
	case 1:
		if (!slot[s])
			break;
		st = do_set(r[2], (FLT_SET_CONTEXT_OPERATION)(r[3] % 3), slot[s], r[4] & 1 ? &old : NULL, f);
		check("FltSet*Context", st, set_ok, sizeof(set_ok) / sizeof(set_ok[0]));
		if (old)
			FltReleaseContext(old);
		break;
	case 2:
		st = do_get(r[2], &c, f);
		check("FltGet*Context", st, get_ok, sizeof(get_ok) / sizeof(get_ok[0]));
		if (c)
			FltReleaseContext(c);
		break;
	case 3:
		st = do_delete(r[2], r[4] & 1 ? &old : NULL, f);
		check("FltDelete*Context", st, get_ok, sizeof(get_ok) / sizeof(get_ok[0]));
		if (old)
			FltReleaseContext(old);
		break;
	case 4:
		if (slot[s]) {
			FltReferenceContext(slot[s]);
			FltReleaseContext(slot[s]);
		}
		break;
	case 5:
		release_slot(s);
		break;
	case 6:
		if (slot[s])
			FltDeleteContext(slot[s]);
		break;
	case 7:
		kmemu_flt_file_close(fo[r[2] % 3]);
		if (kmemu_flt_file_open(volume, r[3] & 1 ? "f.txt:s" : "f.txt", &fo[r[2] % 3]))
			die("kmemu_flt_file_open", 0);
		break;
	case 8:
		if (kmemu_flt_related_objects(instance, f, r[4] & 1 ? tx : NULL, &ro))
			die("kmemu_flt_related_objects", 0);
		FltGetContexts(&ro, r[3], &rc);
		FltReleaseContexts(&rc);
		break;
	default:
		/* a nonpaged context may be released at DISPATCH_LEVEL (deferred) */
		if (slot[s] && !slot_paged[s] && kmemu_irql_set(DISPATCH_LEVEL, NULL) == STATUS_SUCCESS) {
			FltReleaseContext(slot[s]);
			kmemu_irql_set(PASSIVE_LEVEL, NULL);
			slot[s] = NULL;
		}
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FLT_CONTEXT_REGISTRATION regs[16];
	FLT_REGISTRATION reg;
	struct kmemu_stats before, after;
	struct kmemu_flt_stats fs;
	static char driver;
	unsigned n;
	size_t off;
	const char *why;
	NTSTATUS st;

	/* small RAM: kmemu_check() walks it after every input */
	if (fuzz_emu_open_once(4u << 20, 64u << 20, KMEMU_PLACE_DEFAULT)) {
		kmemu_flt_set_leak_handler(on_leak, NULL);
		kmemu_flt_set_unload_wait(0);
		/* make the Filter Manager state once, so it is not counted per
		 * input (the live set frees its slots whenever it empties) */
		if (kmemu_flt_volume_create("warm", 0, &volume))
			abort();
		kmemu_flt_volume_destroy(volume);
	}
	if (size < 1)
		return 0;
	n = (data[0] >> 1) & 15;
	if (size < 1 + 8 * (size_t)n)
		return 0;
	for (unsigned i = 0; i < n; i++)
		parse_registration(data + 1 + 8 * i, &regs[i]);
	memset(&regs[n], 0, sizeof(regs[n]));
	regs[n].ContextType = FLT_CONTEXT_END;
	memset(&reg, 0, sizeof(reg));
	reg.Size = sizeof(reg);
	reg.Version = FLT_REGISTRATION_VERSION;
	reg.ContextRegistration = regs;
	kmemu_stats_get(&before);
	st = FltRegisterFilter((PDRIVER_OBJECT)(void *)&driver, &reg, &filter);
	if (st == STATUS_FLT_INVALID_CONTEXT_REGISTRATION)
		goto out;
	if (st || FltStartFiltering(filter) ||
	    kmemu_flt_volume_create("F:", data[0] & 1, &volume) ||
	    kmemu_flt_instance_attach(filter, volume, &instance) ||
	    kmemu_flt_file_open(volume, "f.txt", &fo[0]) || kmemu_flt_file_open(volume, "f.txt", &fo[1]) ||
	    kmemu_flt_file_open(volume, "g.txt", &fo[2]) || kmemu_flt_transaction_create(&tx))
		die("setting the world up", st);
	for (off = 1 + 8 * (size_t)n; off + 8 <= size; off += 8) {
		run_record(data + off);
		if (kmemu_flt_check(&why))
			die(why, STATUS_INTERNAL_ERROR);
	}
	if (kmemu_flt_drain())
		die("kmemu_flt_drain", 0);
	for (unsigned i = 0; i < N_SLOTS; i++)
		release_slot(i);
	for (unsigned i = 0; i < 3; i++)
		kmemu_flt_file_close(fo[i]);
	kmemu_flt_transaction_end(tx);
	FltUnregisterFilter(filter);
	kmemu_flt_volume_destroy(volume);
	if (kmemu_flt_stats_get(&fs) || fs.live_contexts || fs.lookaside_free || fs.file_objects ||
	    fs.streams || fs.volumes || fs.filters || fs.transactions || fs.quarantined)
		die("objects or contexts left after the input", 0);
out:
	if (kmemu_check(&why))
		die(why, STATUS_INTERNAL_ERROR);
	kmemu_stats_get(&after);
	if (after.heap_blocks != before.heap_blocks || after.heap_bytes != before.heap_bytes)
		die("heap blocks left after the input", 0);
	return 0;
}
