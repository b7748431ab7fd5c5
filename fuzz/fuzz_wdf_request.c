/* SPDX-License-Identifier: MIT */
/*
 * fuzz_wdf_request.c - libFuzzer harness for WdfRequestProbeAndLockUserBuffer
 * ForWrite/ForRead with raw parameters, on requests a user process sent.
 *
 * Each input loads a driver (byte 0: verifier on or off) with a control
 * device and a manual queue, makes a process with a 3-page buffer and a
 * read-only view, and sends four METHOD_NEITHER requests that pend.  Then a
 * program of 16-byte records (byte 0 % 6 is the call):
 *
 *   0, 1 ProbeAndLockForWrite / ForRead: request (pending, completed, NULL,
 *        garbage), Buffer (inside / across the end of the user buffer, the
 *        read-only view, its kernel address, NULL, raw 64-bit), Length (raw
 *        64-bit, so truncation to 32 bits is hit), MemoryObject NULL or not
 *   2    WdfObjectDelete of a memory object the calls made
 *   3    WdfRequestCompleteWithInformation (raw status and Information)
 *   4    IRQL PASSIVE .. DISPATCH
 *   5    a write through a live memory's buffer, read back from the user side
 *
 * Every call runs under kmemu_bugcheck_catch.  Checks: statuses are in the
 * DDI's documented set; bug checks are the ones the spec allows (0x10D with
 * p1 = 3, 4, 5, 6; 0x50 for a stale handle without the verifier); a
 * success gives a kernel buffer of the truncated Length aliasing the user
 * bytes; after every input, unloading the driver cancels what is left, and
 * no frame, mapping, heap block or lock remains (kmemu_check passes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wdf.h>
#include <kmemu/wdf.h>
#include <wds_lib.h>
#include "fuzz_emu.h"

#define N_REQ 4
#define MAX_MEM 16
#define PAGE 4096u

static struct kmemu_wdf_driver *drv;
static WDFQUEUE queue;
static struct kmemu_io_file *file;
static WD_KERNEL_BUFFER *ubuf;
static HANDLE section;
static PVOID ro_view;
static WDFREQUEST reqs[N_REQ];
static int completed[N_REQ];
static struct kmemu_io_op *ops[N_REQ];
static WDFMEMORY mems[MAX_MEM];
static int mem_req[MAX_MEM];
static unsigned n_mems;
static kmemu_pid pid, initial;

_Noreturn static void die(const char *what, unsigned long long a, unsigned long long b)
{
	fprintf(stderr, "fuzz_wdf_request: %s (0x%llx 0x%llx)\n", what, a, b);
	abort();
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void setup(int verifier)
{
	struct kmemu_wdf_driver_options o = { .verifier = verifier, .has_verifier = 1,
					      .break_policy = KMEMU_WDF_BREAK_CONTINUE, .quiet = 1 };
	LARGE_INTEGER li = { .QuadPart = PAGE };
	WDF_IO_QUEUE_CONFIG qc;
	PWDFDEVICE_INIT init;
	UNICODE_STRING name;
	WDFDEVICE dev;
	SIZE_T z = 0;

	RtlInitUnicodeString(&name, u"\\Device\\kmemu_fuzz");
	if (kmemu_wdf_driver_create("fuzz", &o, NULL, &drv) ||
	    !(init = WdfControlDeviceInitAllocate(kmemu_wdf_driver_handle(drv), NULL)) ||
	    WdfDeviceInitAssignName(init, &name) || WdfDeviceCreate(&init, NULL, &dev))
		die("driver setup", 0, 0);
	WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchManual);
	if (WdfIoQueueCreate(dev, &qc, NULL, &queue))
		die("queue setup", 0, 0);
	WdfControlFinishInitializing(dev);
	if (kmemu_process_create("fuzz-app", &pid) || kmemu_process_attach(pid, &initial) ||
	    WDS_SharedBufferAlloc(3 * PAGE, KER_BUF_ALLOC_NON_CONTIG, &ubuf) ||
	    ZwCreateSection(&section, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL) ||
	    ZwMapViewOfSection(section, ZwCurrentProcess(), &ro_view, 0, 0, NULL, &z, ViewUnmap, 0,
			       PAGE_READONLY) ||
	    kmemu_io_open("\\Device\\kmemu_fuzz", &file))
		die("process setup", 0, 0);
	for (unsigned i = 0; i < N_REQ; i++) {
		struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
					   .code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800 + i, METHOD_NEITHER,
							    FILE_ANY_ACCESS),
					   .in = ubuf->pUserAddr, .in_len = 8,
					   .out = ubuf->pUserAddr + PAGE, .out_len = 8 };

		if (kmemu_io_send(file, &a, &ops[i]) != STATUS_PENDING ||
		    WdfIoQueueRetrieveNextRequest(queue, &reqs[i]))
			die("request setup", i, 0);
		completed[i] = 0;
	}
	n_mems = 0;
}

static void teardown(void)
{
	kmemu_irql_set(PASSIVE_LEVEL, NULL);
	for (unsigned i = 0; i < N_REQ; i++)
		if (!completed[i])
			WdfRequestCompleteWithInformation(reqs[i], STATUS_SUCCESS, 0);
	kmemu_wdf_driver_unload(drv);  /* cancels what a caught bug check left */
	for (unsigned i = 0; i < N_REQ; i++)
		kmemu_io_wait(ops[i], NULL);
	kmemu_io_close(file);
	ZwUnmapViewOfSection(ZwCurrentProcess(), ro_view);
	ZwClose(section);
	WDS_SharedBufferFree(ubuf);
	kmemu_process_attach(initial, NULL);
	kmemu_process_destroy(pid);
}

struct call {
	const uint8_t *r;
	int write;
	NTSTATUS st;
	WDFMEMORY m;
	int req;            /* index of the request, -1 for NULL / garbage */
	uint8_t *buf;
	size_t len;
};

static uint8_t *pick_buffer(const uint8_t *r)
{
	uint8_t *u = (uint8_t *)(uintptr_t)ubuf->pUserAddr;
	uint64_t raw = rd64(r + 8);

	switch (r[2] % 6) {
	case 0:
		return u + raw % (3 * PAGE);
	case 1:
		return u + 3 * PAGE - (raw % 64);            /* across the end */
	case 2:
		return (uint8_t *)ro_view + raw % PAGE;
	case 3:
		return (uint8_t *)(uintptr_t)ubuf->pKernelAddr;
	case 4:
		return NULL;
	default:
		return (uint8_t *)(uintptr_t)raw;
	}
}

static void op_pal(void *arg)
{
	struct call *c = arg;
	WDFREQUEST r = c->req >= 0 ? reqs[c->req] : (c->r[1] & 0x10) ? NULL
			: (WDFREQUEST)(uintptr_t)(rd64(c->r + 8) | 1);
	WDFMEMORY *out = (c->r[1] & 0x20) ? NULL : &c->m;

	c->st = c->write ? WdfRequestProbeAndLockUserBufferForWrite(r, c->buf, c->len, out)
			 : WdfRequestProbeAndLockUserBufferForRead(r, c->buf, c->len, out);
}

static void op_complete(void *arg)
{
	struct call *c = arg;

	WdfRequestCompleteWithInformation(reqs[c->req], (NTSTATUS)rd64(c->r + 4), c->r[12]);
}

static void check_pal(const struct call *c)
{
	static const NTSTATUS ok[] = { STATUS_SUCCESS, STATUS_INVALID_USER_BUFFER,
				       STATUS_INVALID_DEVICE_REQUEST, STATUS_ACCESS_VIOLATION,
				       STATUS_INSUFFICIENT_RESOURCES };
	size_t i = 0, n = 0;
	uint8_t *k, user[64];

	while (i < sizeof(ok) / sizeof(ok[0]) && ok[i] != c->st)
		i++;
	if (i == sizeof(ok) / sizeof(ok[0]))
		die("undocumented status", (unsigned)c->st, c->write);
	if (c->st != STATUS_SUCCESS)
		return;
	if ((ULONG)c->len == 0 || c->req < 0 || completed[c->req])
		die("success where a check must fail", c->len, (unsigned)c->req);
	k = WdfMemoryGetBuffer(c->m, &n);
	if (!k || n != (ULONG)c->len || k == c->buf)
		die("locked memory is not a kernel alias of the truncated length", n, c->len);
	/* the user bytes as the process sees them (on the linux backend the
	 * process is another OS process: its pages are read, not dereferenced) */
	if (kmemu_user_read(pid, (uintptr_t)c->buf, user, n < 64 ? n : 64) != STATUS_SUCCESS ||
	    memcmp(k, user, n < 64 ? n : 64))
		die("locked memory differs from the user bytes", n, 0);
}

static void check_bugcheck(const struct kmemu_bugcheck_report *rep)
{
	if (rep->code == 0x10D && rep->param[0] >= 3 && rep->param[0] <= 6)
		return;
	if (rep->code == 0x50)
		return;
	die("unexpected bug check", rep->code, rep->param[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmemu_stats before, after;
	const char *why;

	if (fuzz_emu_open_once(16u << 20, 0, KMEMU_PLACE_DEFAULT)) {
		setup(1);  /* tables grown on first use stay: not a leak */
		teardown();
	}
	kmemu_stats_get(&before);
	setup(size ? data[0] & 1 : 1);
	for (size_t off = 0; off + 16 <= size; off += 16) {
		const uint8_t *r = data + off;
		struct call c = { .r = r, .req = (r[1] & 0x80) ? -1 : (int)(r[1] % N_REQ) };
		struct kmemu_bugcheck_report rep;
		unsigned op = r[0] % 6;

		if (op == 0 || op == 1) {
			c.write = op == 0;
			c.buf = pick_buffer(r);
			c.len = (size_t)rd64(r + 8) >> (r[3] % 64);
			if (kmemu_bugcheck_catch(op_pal, &c, &rep)) {
				check_bugcheck(&rep);
				continue;
			}
			check_pal(&c);
			if (c.st == STATUS_SUCCESS && n_mems < MAX_MEM) {
				mem_req[n_mems] = c.req;
				mems[n_mems++] = c.m;
			}
		} else if (op == 2 && n_mems) {
			unsigned i = r[1] % n_mems;

			if (!completed[mem_req[i]])
				WdfObjectDelete(mems[i]);
			mems[i] = mems[--n_mems];
			mem_req[i] = mem_req[n_mems];
		} else if (op == 3 && c.req >= 0 && !completed[c.req]) {
			if (kmemu_bugcheck_catch(op_complete, &c, &rep)) {
				/* Information too large (0x10D/6): caught before
				 * anything changed, the request is still the driver's */
				check_bugcheck(&rep);
				continue;
			}
			completed[c.req] = 1;
			/* its memory went with it */
			for (unsigned i = 0; i < n_mems;)
				if (mem_req[i] == c.req) {
					mems[i] = mems[--n_mems];
					mem_req[i] = mem_req[n_mems];
				} else {
					i++;
				}
		} else if (op == 4) {
			kmemu_irql_set(r[1] % 3, NULL);
		} else if (op == 5 && n_mems) {
			unsigned i = r[1] % n_mems;
			size_t n = 0;
			uint8_t *k = WdfMemoryGetBuffer(mems[i], &n);

			if (k && n) {
				k[r[2] % n] = r[3];
			}
		}
	}
	teardown();
	if (kmemu_check(&why))
		die(why, 0, 0);
	kmemu_stats_get(&after);
	if (after.heap_blocks != before.heap_blocks || after.frames_used != before.frames_used ||
	    after.mappings != before.mappings)
		die("resources left after unload", after.heap_blocks, before.heap_blocks);
	return 0;
}
