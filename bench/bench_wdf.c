/* SPDX-License-Identifier: MIT */
/*
 * bench_wdf.c - cost of locking a user buffer for a KMDF driver, side by
 * side with the host's own page locking of the same buffer, in one run.
 *
 *   pal:     WdfRequestProbeAndLockUserBufferForWrite + WdfMemoryGetBuffer +
 *            a write through it + WdfObjectDelete (unlock) on a pending request
 *            vs  mlock + a write + munlock of the same user buffer
 *   request: a whole METHOD_NEITHER request: send, WdfIoQueueRetrieveNextRequest,
 *            ProbeAndLock + GetBuffer + write, WdfRequestComplete, wait
 *            vs  mlock + a write + munlock
 *
 * for 4 KiB and 1 MiB buffers, on the emulator and on the linux backend
 * (where the lock is a second mapping pinned by io_uring).  Prints the
 * median of several rounds; the ratio is kmemu / bare.  --smoke: a short
 * run for CI.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <wdf.h>
#include <kmemu/wdf.h>
#include <wds_lib.h>
#include "bench.h"

static struct kmemu_wdf_driver *drv;
static WDFQUEUE queue;
static struct kmemu_io_file *file;
static WD_KERNEL_BUFFER *ubuf;
static WDFREQUEST pending;
static struct kmemu_io_op *pending_op;

static int bare_lock(void *ctx, size_t bytes)
{
	volatile uint8_t *p = (uint8_t *)(uintptr_t)ubuf->pUserAddr;

	(void)ctx;
	if (mlock((void *)p, bytes))
		return -1;
	p[0] = 1;
	return munlock((void *)p, bytes);
}

static int emu_pal(void *ctx, size_t bytes)
{
	WDFMEMORY m = NULL;
	volatile uint8_t *k;

	(void)ctx;
	if (WdfRequestProbeAndLockUserBufferForWrite(pending, (PVOID)(uintptr_t)ubuf->pUserAddr, bytes,
						     &m))
		return -1;
	k = WdfMemoryGetBuffer(m, NULL);
	k[0] = 1;
	WdfObjectDelete(m);
	return 0;
}

static int emu_request(void *ctx, size_t bytes)
{
	struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
				   .code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER,
						    FILE_ANY_ACCESS),
				   .out = ubuf->pUserAddr, .out_len = bytes };
	struct kmemu_io_op *op = NULL;
	WDFREQUEST r = NULL;
	WDFMEMORY m = NULL;
	volatile uint8_t *k;

	(void)ctx;
	if (kmemu_io_send(file, &a, &op) != STATUS_PENDING ||
	    WdfIoQueueRetrieveNextRequest(queue, &r) ||
	    WdfRequestProbeAndLockUserBufferForWrite(r, (PVOID)(uintptr_t)a.out, bytes, &m))
		return -1;
	k = WdfMemoryGetBuffer(m, NULL);
	k[0] = 2;
	WdfRequestComplete(r, STATUS_SUCCESS);
	return kmemu_io_wait(op, NULL) ? -1 : 0;
}

/* A driver with a named control device and a manual queue; a process with
 * a 1 MiB buffer that opened it. */
static int setup(int verifier)
{
	struct kmemu_wdf_driver_options o = { .verifier = verifier, .has_verifier = 1, .quiet = 1 };
	WDF_IO_QUEUE_CONFIG qc;
	PWDFDEVICE_INIT init;
	UNICODE_STRING name;
	WDFDEVICE dev;
	kmemu_pid pid;
	struct kmemu_io_args a = { .kind = KMEMU_IO_DEVICE_CONTROL,
				   .code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_NEITHER,
						    FILE_ANY_ACCESS) };

	RtlInitUnicodeString(&name, u"\\Device\\kmemu_bench");
	if (kmemu_wdf_driver_create("bench", &o, NULL, &drv) ||
	    !(init = WdfControlDeviceInitAllocate(kmemu_wdf_driver_handle(drv), NULL)) ||
	    WdfDeviceInitAssignName(init, &name) || WdfDeviceCreate(&init, NULL, &dev))
		return -1;
	WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchManual);
	if (WdfIoQueueCreate(dev, &qc, NULL, &queue))
		return -1;
	WdfControlFinishInitializing(dev);
	if (kmemu_process_create("bench-app", &pid) || kmemu_process_attach(pid, NULL) ||
	    WDS_SharedBufferAlloc(1 << 20, KER_BUF_ALLOC_NON_CONTIG, &ubuf) ||
	    kmemu_io_open("\\Device\\kmemu_bench", &file))
		return -1;
	if (kmemu_io_send(file, &a, &pending_op) != STATUS_PENDING ||
	    WdfIoQueueRetrieveNextRequest(queue, &pending))
		return -1;
	return 0;
}

static void teardown(void)
{
	WdfRequestComplete(pending, STATUS_SUCCESS);
	kmemu_io_wait(pending_op, NULL);
	kmemu_io_close(file);
	WDS_SharedBufferFree(ubuf);
	kmemu_wdf_driver_unload(drv);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 4096, 1 << 20 };
	static const struct {
		const char *name;
		int (*emu)(void *, size_t);
	} kinds[] = { { "pal", emu_pal }, { "request", emu_request } };
	int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
	int rounds = smoke ? 3 : 9, iters = smoke ? 100 : 2000;
	struct kmemu_config cfg;

	kmemu_config_default(&cfg);
	printf("# pal:     ProbeAndLockForWrite + GetBuffer + write + delete (unlock) on a pending request\n");
	printf("# request: send + retrieve + ProbeAndLock + GetBuffer + write + complete + wait\n");
	printf("# bare:    mlock + write + munlock of the same user buffer\n");
	printf("# %d rounds x %d cycles, median round\n", rounds, iters);
	printf("%-8s %-8s %-8s %9s %12s %12s %8s\n", "backend", "kind", "verifier", "size", "kmemu ns/op",
	       "bare ns/op", "ratio");
	for (int bi = 0; bi < 2; bi++)
	for (int verifier = 0; verifier <= 1; verifier++) {
		const char *backend = bi ? "linux" : "emu";

		if (verifier == 0 && kmemu_backend_use(backend, bi ? NULL : &cfg)) {
			if (bi == 0) {
				fprintf(stderr, "cannot open the emulator\n");
				return 1;
			}
			printf("# linux: the backend does not open here\n");
			break;
		}
		if (setup(verifier)) {
			fprintf(stderr, "setup failed\n");
			return 1;
		}
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
				double e, b;
				int n = sizes[s] >= (1u << 20) ? iters / 8 : iters;

				if (bench_side_by_side(kinds[k].emu, NULL, bare_lock, NULL, sizes[s],
						       rounds, n, &e, &b))
					return 1;
				printf("%-8s %-8s %-8s %8zuK %12.0f %12.0f %7.2fx\n", backend, kinds[k].name,
				       verifier ? "on" : "off", sizes[s] / 1024, e, b, e / b);
			}
		}
		teardown();
	}
	return 0;
}
