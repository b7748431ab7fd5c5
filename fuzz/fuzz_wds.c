/* SPDX-License-Identifier: MIT */
/*
 * fuzz_wds.c - libFuzzer harness for the WDS shared-buffer API, raw parameters.
 *
 * The input is a program of 8-byte records (byte 0 % 8 is the call):
 *
 *   0 Alloc   size: small (0 .. 1 MiB), pages (up to 16 GiB), special (0,
 *             UINT64_MAX, sizes whose page rounding wraps, RAM, RAM + 1,
 *             2^40) or raw 64-bit; options: raw 8 or 32 bits; NULL ppBuf
 *   1 Get     handle: live, stale (every holder freed), foreign (held only
 *             by the other process), 0, raw 32-bit, live with a bit flipped;
 *             NULL ppKerBuf
 *   2 Free    a description as its holder
 *   3 Free    a description from the other process (foreign: refused)
 *   4 Free    NULL, a freed pointer, a garbage integer, an interior pointer,
 *             a forged description carrying a live handle
 *   5 switch  the calling thread to the other emulated process
 *   6 alias   write through one view, read back through the other
 *   7 Alloc+Free at once (a size and options from the record)
 *
 * Every status is checked against the documented rules: parameter errors
 * exactly as wds_lib.h lists them, > RAM is INSUFFICIENT_RESOURCES, a live
 * handle's Get succeeds, a stale / zero / unknown one is INVALID_HANDLE,
 * Free succeeds exactly for a description the current process holds (by
 * pointer value).  Out-parameters: *ppBuf untouched by a failed Alloc,
 * *ppKerBuf NULL after a failed Get, descriptions hold qwBytes and
 * dwOptions as passed.  After every input the invariant checkers pass, and
 * after freeing everything no frame, mapping or buffer remains.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wds_lib.h>
#include <kmemu/kmemu.h>
#include "fuzz_emu.h"

#define MAX_LIVE 16
#define RING 8
#define RAM_BYTES (32ull << 20)
#define SENTINEL ((WD_KERNEL_BUFFER *)(uintptr_t)0x5E9710E5ull)

struct live {
	WD_KERNEL_BUFFER *kb;  /* description, or NULL */
	int proc;              /* index of the process that holds it (0/1) */
};

static struct live live[MAX_LIVE];
static kmemu_pid procs[2];
static int cur;
static uint32_t stale[RING];
static WD_KERNEL_BUFFER *freed[RING];
static unsigned n_stale, n_freed;

static void die(const char *what, uint32_t rc)
{
	fprintf(stderr, "fuzz_wds: %s (status %s)\n", what, kmemu_wd_status_name(rc));
	abort();
}

static int documented(DWORD rc)
{
	return rc == WD_STATUS_SUCCESS || rc == WD_INVALID_PARAMETER || rc == WD_INVALID_HANDLE ||
	       rc == WD_INSUFFICIENT_RESOURCES;
}

static int live_handle(uint32_t h)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i].kb && live[i].kb->hKerBuf == h)
			return 1;
	return 0;
}

/* Slot holding @p in the current process, or -1. */
static int held_here(const WD_KERNEL_BUFFER *p)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (p && live[i].kb == p && live[i].proc == cur)
			return i;
	return -1;
}

/* Forget slot @i after its holding went (@h: its handle, read before the
 * description was freed); remember the pointer and, when no other slot
 * holds the buffer, the handle as stale. */
static void forget(int i, uint32_t h)
{
	freed[n_freed++ % RING] = live[i].kb;
	live[i].kb = NULL;
	if (!live_handle(h))
		stale[n_stale++ % RING] = h;
}

/* Call Free on @p and check the result against who holds it. */
static void free_checked(WD_KERNEL_BUFFER *p)
{
	int i = held_here(p);
	uint32_t h = i >= 0 ? live[i].kb->hKerBuf : 0;
	DWORD rc = WDS_SharedBufferFree(p);
	DWORD expect = !p ? WD_INVALID_PARAMETER : i >= 0 ? WD_STATUS_SUCCESS : WD_INVALID_HANDLE;

	if (rc != expect)
		die("Free returned another status than the holder rules give", rc);
	if (i >= 0)
		forget(i, h);
}

static uint64_t size_of(const uint8_t *r, uint32_t arg)
{
	static const uint64_t special[6] = { 0, UINT64_MAX, UINT64_MAX - 4094, RAM_BYTES,
					     RAM_BYTES + 4096, 1ull << 40 };

	switch (r[3] >> 6) {
	case 0: return arg % (1u << 20);
	case 1: return (uint64_t)(arg & 0x3FFFFF) << 12;
	case 2: return special[r[3] % 6];
	default: return (uint64_t)arg << 32 | r[7];
	}
}

static void do_alloc(const uint8_t *r, uint32_t arg, int free_now)
{
	uint64_t bytes = size_of(r, arg);
	DWORD options = r[3] & 0x20 ? (DWORD)r[2] << (r[7] % 25) : r[2];
	DWORD kind = options & (KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_NON_CONTIG);
	int null_out = (r[3] & 0x10) != 0;
	int bad = null_out || bytes == 0 || (options & ~7u) ||
		  (kind != KER_BUF_ALLOC_CONTIG && kind != KER_BUF_ALLOC_NON_CONTIG);
	int slot = -1;
	WD_KERNEL_BUFFER *kb = SENTINEL;
	DWORD rc;

	for (int i = 0; i < MAX_LIVE && slot < 0; i++)
		if (!live[i].kb)
			slot = i;
	rc = WDS_SharedBufferAlloc(bytes, options, null_out ? NULL : &kb);
	if (bad != (rc == WD_INVALID_PARAMETER) || !documented(rc) || rc == WD_INVALID_HANDLE)
		die("Alloc: parameter rules not applied as documented", rc);
	if (bytes > RAM_BYTES && rc != WD_INVALID_PARAMETER && rc != WD_INSUFFICIENT_RESOURCES)
		die("Alloc larger than RAM did not fail with INSUFFICIENT_RESOURCES", rc);
	if (rc) {
		if (kb != SENTINEL)
			die("a failed Alloc changed *ppBuf", rc);
		return;
	}
	if (!kb || kb == SENTINEL || kb->qwBytes != bytes || kb->dwOptions != options ||
	    !kb->hKerBuf || !kb->pUserAddr || !kb->pKernelAddr)
		die("Alloc's description does not hold what was passed", rc);
	if (free_now || slot < 0) {
		if (WDS_SharedBufferFree(kb))
			die("freeing a fresh buffer failed", rc);
		return;
	}
	live[slot].kb = kb;
	live[slot].proc = cur;
}

static void do_get(const uint8_t *r, uint32_t arg)
{
	const struct live *src = &live[r[2] % MAX_LIVE];
	uint32_t h;
	int slot = -1, null_out = (r[3] & 0x80) != 0;
	WD_KERNEL_BUFFER *kb = SENTINEL;
	DWORD rc, expect;

	switch (r[1] % 6) {
	case 0: h = src->kb ? src->kb->hKerBuf : 0; break;
	case 1: h = n_stale ? stale[r[2] % (n_stale < RING ? n_stale : RING)] : 0xFFFFFFFFu; break;
	case 2: h = 0; break;
	case 3: h = arg; break;
	case 4: h = (src->kb ? src->kb->hKerBuf : 1) ^ (1u << (r[3] % 32)); break;
	default: /* foreign: a buffer held by the other process only */
		h = 0;
		for (int i = 0; i < MAX_LIVE; i++)
			if (live[i].kb && live[i].proc != cur)
				h = live[i].kb->hKerBuf;
		break;
	}
	for (int i = 0; i < MAX_LIVE && slot < 0; i++)
		if (!live[i].kb)
			slot = i;
	if (slot < 0)
		null_out = 1;
	expect = null_out ? WD_INVALID_PARAMETER : live_handle(h) && h ? WD_STATUS_SUCCESS
								       : WD_INVALID_HANDLE;
	rc = WDS_SharedBufferGet(h, null_out ? NULL : &kb);
	if (rc != expect && !(expect == WD_STATUS_SUCCESS && rc == WD_INSUFFICIENT_RESOURCES))
		die("Get returned another status than the handle rules give", rc);
	if (rc) {
		if (!null_out && kb != NULL)
			die("a failed Get did not set *ppKerBuf to NULL", rc);
		return;
	}
	if (!kb || kb->hKerBuf != h || !kb->pUserAddr)
		die("Get's description does not name the buffer", rc);
	live[slot].kb = kb;
	live[slot].proc = cur;
}

static void do_alias(const uint8_t *r, uint32_t arg)
{
	struct live *l = &live[r[1] % MAX_LIVE];
	uint64_t at;
	uint8_t back = 0, v = r[2];

	if (!l->kb)
		return;
	at = arg % l->kb->qwBytes;
	if (r[3] & 1) {
		if (kmemu_user_write(procs[l->proc], l->kb->pUserAddr + at, &v, 1) ||
		    kmemu_kernel_read(l->kb->pKernelAddr + at, &back, 1) || back != v)
			die("a byte written through the user view is not seen in the kernel view", 0);
	} else {
		if (kmemu_kernel_write(l->kb->pKernelAddr + at, &v, 1) ||
		    kmemu_user_read(procs[l->proc], l->kb->pUserAddr + at, &back, 1) || back != v)
			die("a byte written through the kernel view is not seen in the user view", 0);
	}
}

static void do_free_odd(const uint8_t *r, uint32_t arg)
{
	static WD_KERNEL_BUFFER forged;
	struct live *l = &live[r[2] % MAX_LIVE];

	switch (r[1] % 5) {
	case 0: free_checked(NULL); break;
	case 1: free_checked(n_freed ? freed[r[2] % (n_freed < RING ? n_freed : RING)] : &forged); break;
	case 2: free_checked((WD_KERNEL_BUFFER *)(uintptr_t)(0x1000u + (arg & 0xFFF0u))); break;
	case 3: free_checked(l->kb ? (WD_KERNEL_BUFFER *)((uint8_t *)l->kb + 8) : &forged); break;
	default:
		if (l->kb)
			forged = *l->kb;  /* same fields, other address: not a holding */
		free_checked(&forged);
		break;
	}
}

/**
 * LLVMFuzzerTestOneInput() - run one raw-parameter program.
 * @data, @size: the input (see the file comment).
 * Return: 0 (broken rules abort).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmemu_stats st;
	const char *why;

	if (fuzz_emu_open_once(RAM_BYTES, 0, KMEMU_PLACE_SCATTER))
		kmemu_process_current(&procs[0]);
	kmemu_fault_set(NULL);
	cur = 0;
	kmemu_process_attach(procs[0], NULL);
	if (kmemu_process_create("fuzz", &procs[1]))
		abort();
	for (size_t off = 0; off + 8 <= size; off += 8) {
		const uint8_t *r = data + off;
		uint32_t arg;

		memcpy(&arg, r + 4, 4);
		switch (r[0] % 8) {
		case 0: do_alloc(r, arg, 0); break;
		case 1: do_get(r, arg); break;
		case 2:
		case 3: {
			struct live *l = &live[r[1] % MAX_LIVE];

			if (!l->kb)
				break;
			if (r[0] % 8 == 2 && l->proc != cur) {
				kmemu_process_attach(procs[l->proc], NULL);
				cur = l->proc;
			}
			free_checked(l->kb);  /* from the other process: refused */
			break;
		}
		case 4: do_free_odd(r, arg); break;
		case 5:
			cur = r[1] & 1;
			if (kmemu_process_attach(procs[cur], NULL))
				die("attach failed", 0);
			break;
		case 6: do_alias(r, arg); break;
		default: do_alloc(r, arg, 1); break;
		}
	}
	if (kmemu_check(&why)) {
		fprintf(stderr, "fuzz_wds: kmemu_check: %s\n", why);
		abort();
	}
	for (int i = 0; i < MAX_LIVE; i++) {
		if (live[i].kb) {
			kmemu_process_attach(procs[live[i].proc], NULL);
			cur = live[i].proc;
			free_checked(live[i].kb);
		}
	}
	kmemu_process_attach(procs[0], NULL);
	if (kmemu_process_destroy(procs[1]))
		abort();
	n_stale = n_freed = 0;
	kmemu_stats_get(&st);
	if (st.frames_used || st.wds_buffers || st.mappings || st.processes != 1 || kmemu_check(&why))
		die("leak or broken invariant after freeing everything", 0);
	return 0;
}
