/* SPDX-License-Identifier: MIT */
/*
 * wdfio_helpers.h - what the KMDF request cases (ProbeAndLock, unsafe user
 * buffers, completion) share: a driver with one control device and a
 * manual default queue, an emulated user process with two user buffers
 * that sends it requests, and catching the bug checks DDIs raise.
 */
#ifndef KMEMU_CONFORMANCE_WDFIO_HELPERS_H
#define KMEMU_CONFORMANCE_WDFIO_HELPERS_H

#include <wdf.h>
#include <kmemu/wdf.h>
#include "harness.h"

#define WIO_CAPS (KMEMU_CAP_WDF | KMEMU_CAP_MULTI_PROCESS | KMEMU_CAP_WDS)
#define WIO_PAGE 0x1000u
#define WIO_BUF_PAGES 3u
#define WIO_IOCTL(fn, m) CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900 + (fn), (m), FILE_ANY_ACCESS)

struct wio {
	struct kmemu_wdf_driver *drv;  /* the driver */
	WDFDEVICE dev;                 /* its control device */
	WDFQUEUE queue;                /* the manual default queue */
	kmemu_pid pid, old;            /* the user process, the one before */
	WD_KERNEL_BUFFER *a, *b;       /* two user buffers of WIO_BUF_PAGES pages */
	uint8_t *ua, *ub;              /* their user addresses */
	struct kmemu_io_file *f;       /* the device, opened in the process */
};

/* Load the driver (verifier on or off), create the device (@io for reads and
 * writes, @in_caller or NULL), attach this thread to a new process with two
 * buffers, open the device.  Failures make the case UNRESOLVED. */
void wio_setup(struct wio *w, int verifier, WDF_DEVICE_IO_TYPE io,
	       PFN_WDF_IO_IN_CALLER_CONTEXT in_caller);
/* wio_setup() for a driver built for KMDF 1.@minor (0: 1.33), for the
 * version-gated verifier checks (IsVerificationEnabled, spec §0.4). */
void wio_setup_version(struct wio *w, int verifier, uint32_t minor, WDF_DEVICE_IO_TYPE io,
		       PFN_WDF_IO_IN_CALLER_CONTEXT in_caller);
/* Undo wio_setup() (requests still pending are cancelled by the unload). */
void wio_teardown(struct wio *w);
/* Send a request without waiting (it must pend) and take it from the queue. */
WDFREQUEST wio_pend(struct wio *w, struct kmemu_io_args *a, struct kmemu_io_op **op);
/* A METHOD_NEITHER IOCTL with 8-byte buffers a (in) and b (out), pended. */
WDFREQUEST wio_pend_neither(struct wio *w, struct kmemu_io_op **op);
/* Complete @r with @st and wait for the sender: the status it saw. */
NTSTATUS wio_finish(WDFREQUEST r, struct kmemu_io_op *op, NTSTATUS st);
/* Wait for a request a caught bug check left pending: unload cancels it. */
NTSTATUS wio_abandon(struct wio *w, struct kmemu_io_op *op);
/* Run @fn(@arg) and catch a bug check: 1 when one was raised (*@rep). */
int wio_catch(void (*fn)(void *), void *arg, struct kmemu_bugcheck_report *rep);
/* Breaks the driver took so far (verifier reports with DbgBreakOnError). */
uint64_t wio_breaks(const struct wio *w);

/* Hold one extra reference on @m (locked memory of the pending request @r)
 * across WdfRequestComplete: bug check 0x10D/3, p2 @r, p3 1 (§4 step 9);
 * then drop it and let the unload cancel the request. */
void wio_check_extra_reference(struct wio *w, WDFREQUEST r, WDFMEMORY m, struct kmemu_io_op *op);

/* One DDI call on a pending request @r of @w; returns its status. */
typedef NTSTATUS (*wio_call_fn)(struct wio *w, WDFREQUEST r, void *arg);
/* A verifier-only check: with the verifier off and on, on a device of @io,
 * run @call at @irql on a pended METHOD_NEITHER request; expect @off /
 * STATUS_INVALID_DEVICE_REQUEST and no break / one break. */
void wio_check_verifier_gate(WDF_DEVICE_IO_TYPE io, KIRQL irql, wio_call_fn call, void *arg,
			     NTSTATUS off);

#endif /* KMEMU_CONFORMANCE_WDFIO_HELPERS_H */
