/* SPDX-License-Identifier: MIT */
/*
 * wdf.h - the control API of the emulated KMDF framework: load and unload
 * drivers, choose the WDF verifier and its break policy per driver, read a
 * driver's counters.
 *
 * Driver code includes <wdf.h> (the Windows header) and calls the WDF DDIs;
 * tests, conformance cases and fuzzers include this header to load that
 * driver code the way the I/O manager would: kmemu_wdf_driver_load() builds
 * a DRIVER_OBJECT and a registry path and calls DriverEntry, which calls
 * WdfDriverCreate().  kmemu_wdf_driver_create() makes a framework driver
 * without any DriverEntry, for tests that only exercise objects and memory.
 *
 * The framework state lives in the current backend instance (see
 * kmemu_backend_use()); closing the instance unloads its drivers.
 */
#ifndef KMEMU_WDF_H
#define KMEMU_WDF_H

#include <stdint.h>
#include <kmemu/kmemu.h>
#include <wdf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a FxVerifierDbgBreakPoint does when the driver's DbgBreakOnError is
 * set (the verifier is on).  Windows stops in the kernel debugger; with no
 * debugger attached the breakpoint is fatal. */
enum kmemu_wdf_break {
	KMEMU_WDF_BREAK_DEFAULT = 0,   /* KMEMU_WDF_BREAK from the environment, else CONTINUE */
	KMEMU_WDF_BREAK_CONTINUE = 1,  /* print the report, count it, go on (a debugger's "g") */
	KMEMU_WDF_BREAK_FATAL = 2      /* bug check KMODE_EXCEPTION_NOT_HANDLED (0x1E),
					* p1 = STATUS_BREAKPOINT (0x80000003) */
};

/* How a driver is loaded.  Zero-initialised means "all defaults". */
struct kmemu_wdf_driver_options {
	int verifier;                 /* 1 on, 0 off (with @has_verifier), -1 the default */
	int has_verifier;             /* 1: @verifier is meant; 0: the default, which is the
				       * machine's kmemu_config.verifier (KMEMU_VERIFIER, else on) */
	enum kmemu_wdf_break break_policy;  /* what a debug break does (verifier on only) */
	int quiet;                    /* 1: do not print verifier messages on stderr */
	uint32_t version_minor;       /* KMDF 1.x the driver was built for; 0 = 33 */
	int verify_down_level;        /* VerifyDownLevel: version-gated checks for older drivers */
	int enhanced_verifier;        /* 1: every driver callback must return at the IRQL it was
				       * called at, else bug check 0x10D/0xE (WDF_VERIFIER_IRQL_MISMATCH) */
};

/* Counters of one loaded driver. */
struct kmemu_wdf_driver_stats {
	uint64_t objects;             /* live framework objects of the driver, the WDFDRIVER included */
	uint64_t memory_objects;      /* live WDFMEMORY objects */
	uint64_t messages;            /* "WDF detected potentially invalid operation" reports */
	uint64_t breaks;              /* debug breaks taken (verifier on, DbgBreakOnError) */
	uint64_t leaks;               /* objects found alive at unload (verifier on) */
};

/* A driver's DriverEntry, as the I/O manager calls it. */
typedef NTSTATUS (*kmemu_wdf_driver_entry)(PDRIVER_OBJECT DriverObject,
					   PUNICODE_STRING RegistryPath);

struct kmemu_wdf_driver;  /* a loaded driver (the emulator's side of its globals) */

/**
 * kmemu_wdf_driver_load() - load driver code: build its DRIVER_OBJECT and
 * registry path and call @entry.
 * @entry: the driver's DriverEntry; it must call WdfDriverCreate().
 * @name:  the driver's name without ".sys" ("mydrv"); NULL gives "kmemu".
 *         Its registry path is \Registry\Machine\System\CurrentControlSet\Services\<name>.
 * @opts:  options, or NULL for the defaults.
 * @out:   receives the driver.
 *
 * While DriverEntry runs, WDF calls of this thread act for this driver.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL @entry or @out);
 * STATUS_INSUFFICIENT_RESOURCES; STATUS_DRIVER_INTERNAL_ERROR when
 * DriverEntry returned success without calling WdfDriverCreate (the
 * DriverCreate rule; the driver is unloaded); DriverEntry's own failure
 * status (the driver is unloaded, as Windows unloads a driver whose
 * DriverEntry fails, without calling EvtDriverUnload).
 */
kmemu_status kmemu_wdf_driver_load(kmemu_wdf_driver_entry entry, const char *name,
				   const struct kmemu_wdf_driver_options *opts,
				   struct kmemu_wdf_driver **out);

/**
 * kmemu_wdf_driver_create() - a framework driver without DriverEntry, as if
 * DriverEntry had only called WdfDriverCreate() with @config.
 * @name:   as kmemu_wdf_driver_load().
 * @opts:   options or NULL.
 * @config: the WDF_DRIVER_CONFIG, or NULL for one with no callbacks.
 * @out:    receives the driver.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL @out);
 * STATUS_INSUFFICIENT_RESOURCES.
 */
kmemu_status kmemu_wdf_driver_create(const char *name, const struct kmemu_wdf_driver_options *opts,
				     const WDF_DRIVER_CONFIG *config,
				     struct kmemu_wdf_driver **out);

/**
 * kmemu_wdf_driver_unload() - unload a driver as the I/O manager does:
 * EvtDriverUnload, then delete the WDFDRIVER and every object parented to
 * it (cleanup callbacks, destroy callbacks).  With the verifier on, objects
 * still alive afterwards (an extra reference the driver never dropped) are
 * reported as leaks with where they were created, followed by a debug
 * break; they are then freed (with the verifier off too, silently).
 * @drv: a loaded driver; NULL is ignored.
 * Context: PASSIVE.
 * Return: how many objects were still alive after the WDFDRIVER was deleted.
 */
uint64_t kmemu_wdf_driver_unload(struct kmemu_wdf_driver *drv);

/**
 * kmemu_wdf_driver_handle() - the WDFDRIVER of a loaded driver.
 * @drv: a loaded driver.
 * Return: the handle, or NULL before WdfDriverCreate() or for NULL @drv.
 */
WDFDRIVER kmemu_wdf_driver_handle(struct kmemu_wdf_driver *drv);

/**
 * kmemu_wdf_driver_enter() - make WDF calls of this thread act for @drv
 * (as inside one of its callbacks), e.g. when several drivers are loaded.
 * @drv: a loaded driver, or NULL for "the last loaded one".
 * Return: the driver this thread acted for before (pass it to restore).
 * Context: any; per thread.
 */
struct kmemu_wdf_driver *kmemu_wdf_driver_enter(struct kmemu_wdf_driver *drv);

/**
 * kmemu_wdf_driver_stats() - the counters of a driver.
 * @drv: a loaded driver.
 * @out: receives them.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for NULL arguments.
 */
kmemu_status kmemu_wdf_driver_stats(struct kmemu_wdf_driver *drv,
				    struct kmemu_wdf_driver_stats *out);

/**
 * kmemu_wdf_driver_verifier() - whether the WDF verifier is on for @drv.
 * Return: 1 on, 0 off (or NULL @drv).
 */
int kmemu_wdf_driver_verifier(struct kmemu_wdf_driver *drv);

/**
 * kmemu_wdf_run_deferred() - run the dispose work items queued by deletes
 * at raised IRQL (passive-dispose objects such as paged-pool WDFMEMORY
 * deleted at DISPATCH_LEVEL), as the system worker thread would.  They also
 * run at the next WDF call made at PASSIVE_LEVEL and at unload.
 * Context: PASSIVE.
 * Return: how many objects were disposed.
 */
unsigned kmemu_wdf_run_deferred(void);

/* ---- devices and I/O ---------------------------------------------------- */
/* (devices, queues, requests from emulated processes: declared below) */

#ifdef __cplusplus
}
#endif
/* devices and I/O: the user side of the I/O manager */
#include <kmemu/wdfio.h>

#endif /* KMEMU_WDF_H */
