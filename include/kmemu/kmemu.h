/* SPDX-License-Identifier: MIT */
/*
 * kmemu.h - the control API: machine, backends, emulated processes, IRQL,
 * bug checks, fault injection and physical-address queries.
 *
 * Driver code includes the Windows headers (<wds_lib.h>, <wdm.h> ...); test
 * code, conformance cases and fuzzers also include this header to drive the
 * machine those calls run on.  Every function returns a kmemu_status (an
 * NTSTATUS) and passes results through out-parameters.  Every function
 * dispatches to the current backend (see kmemu_backend_use()); the first call
 * of any API creates the default one: the emulator, or the backend named by
 * the KMEMU_BACKEND environment variable.
 */
#ifndef KMEMU_KMEMU_H
#define KMEMU_KMEMU_H

#include <stdint.h>
#include <stddef.h>
#include <ntstatus.h>
#include <bugcodes.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef NTSTATUS kmemu_status;  /* STATUS_* from <ntstatus.h> */
typedef uint32_t kmemu_pid;     /* emulated process id; 0 is never valid */

#define KMEMU_VERSION_MAJOR 0
#define KMEMU_VERSION_MINOR 1
#define KMEMU_VERSION_PATCH 0
#define KMEMU_VERSION_STRING "0.1.0"

#define KMEMU_PAGE_SIZE 4096u

/* ------------------------------------------------------------------------ */
/* Status vocabulary                                                         */
/* ------------------------------------------------------------------------ */

/**
 * kmemu_status_name() - symbolic name of an NTSTATUS ("STATUS_ACCESS_VIOLATION").
 * @status: any value.
 * Context: any thread.
 * Return: a static string; "STATUS_<0x...>" style text in a per-thread
 * buffer for unknown values.
 */
const char *kmemu_status_name(kmemu_status status);

/**
 * kmemu_status_str() - one-line message of an NTSTATUS.
 * @status: any value.
 * Context: any thread.
 * Return: a static string; "Unknown status" for unknown values.
 */
const char *kmemu_status_str(kmemu_status status);

/**
 * kmemu_wd_status_name() - symbolic name of a WinDriver status ("WD_INVALID_HANDLE").
 * @status: any DWORD.
 * Context: any thread.
 * Return: a static string; "WD_<unknown>" for unknown values.
 */
const char *kmemu_wd_status_name(uint32_t status);

/* ------------------------------------------------------------------------ */
/* Machine configuration and backends                                       */
/* ------------------------------------------------------------------------ */

/* How the frame allocator places pages. */
enum kmemu_placement {
	KMEMU_PLACE_DEFAULT = 0,  /* buddy first fit: lowest free block */
	KMEMU_PLACE_SCATTER = 1,  /* non-contiguous requests never get adjacent frames */
	KMEMU_PLACE_RANDOM = 2    /* seeded random choice among free blocks */
};

/* Configuration of a machine; kmemu_config_default() fills it. */
struct kmemu_config {
	uint64_t ram_bytes;               /* simulated RAM; rounded up to pages */
	enum kmemu_placement placement;   /* frame placement policy */
	uint64_t seed;                    /* PRNG seed (placement, random faults) */
	unsigned fragment_order;          /* 0 = off; else no free run exceeds 2^(order-1) frames */
	int verifier;                     /* WDF/Driver Verifier checks on (1) or off (0); no WDS or section rule depends on it */
	uint64_t user_space_bytes;        /* reserved host VA per emulated process */
};

/**
 * kmemu_config_default() - fill a configuration with defaults and environment.
 * @cfg: out; never NULL.
 *
 * Defaults: 256 MiB RAM, default placement, seed 1, no fragmentation,
 * verifier on.  Environment overrides: KMEMU_RAM (bytes, or with K/M/G
 * suffix), KMEMU_PLACEMENT (default|scatter|random), KMEMU_SEED,
 * KMEMU_FRAGMENT (order), KMEMU_VERIFIER (0|1).
 * Context: any thread.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for NULL @cfg or an
 * unparsable environment value (@cfg then holds the defaults).
 */
kmemu_status kmemu_config_default(struct kmemu_config *cfg);

struct kmemu_backend;      /* an open backend instance (a machine) */
struct kmemu_backend_ops;  /* see <kmemu/backend.h> */

/**
 * kmemu_backend_open() - open an instance of a registered backend.
 * @name: "emu", or another registered backend's name.
 * @cfg:  configuration, or NULL for kmemu_config_default().
 * @out:  receives the instance; NULL on failure.
 *
 * Several instances may be open at once (the differential fuzzer drives two).
 * Context: PASSIVE; not while holding a machine lock.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL @name/@out, bad
 * @cfg); STATUS_NOT_FOUND (no such backend); STATUS_INSUFFICIENT_RESOURCES
 * or STATUS_NO_MEMORY (host resources); a backend-specific status.
 */
kmemu_status kmemu_backend_open(const char *name, const struct kmemu_config *cfg,
				struct kmemu_backend **out);

/**
 * kmemu_backend_close() - close an instance and release everything it holds.
 * @b: an instance from kmemu_backend_open(); NULL is ignored.
 *
 * Buffers, views and objects still held by emulated processes are released
 * as at process exit.  If @b is current, no backend is current afterwards
 * (the next API call opens the default again).
 * Context: PASSIVE; no other thread may be using @b.
 */
void kmemu_backend_close(struct kmemu_backend *b);

/**
 * kmemu_backend_set_current() - make an instance the one API calls dispatch to.
 * @b: an open instance; NULL detaches (the next call opens the default).
 * Context: PASSIVE.  Process-wide, not per thread.
 * Return: the previously current instance (still open, owned by the caller)
 * or NULL.
 */
struct kmemu_backend *kmemu_backend_set_current(struct kmemu_backend *b);

/**
 * kmemu_backend_current() - the current instance, opening the default if none.
 * @out: receives the instance; never NULL.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS, or the status of opening the default backend.
 */
kmemu_status kmemu_backend_current(struct kmemu_backend **out);

/**
 * kmemu_backend_use() - replace the current instance with a new one of @name.
 * @name: backend name.
 * @cfg:  configuration or NULL.
 *
 * The previous current instance, if it was opened implicitly or by an
 * earlier kmemu_backend_use(), is closed.
 * Context: PASSIVE.
 * Return: as kmemu_backend_open(); on failure the current backend is unchanged.
 */
kmemu_status kmemu_backend_use(const char *name, const struct kmemu_config *cfg);

/**
 * kmemu_backend_name() - name of an instance's backend ("emu").
 * @b: instance; NULL means the current one (opened if needed).
 * Return: a static string, or "" if no backend could be opened.
 */
const char *kmemu_backend_name(struct kmemu_backend *b);

/**
 * kmemu_backend_caps() - capability bits (KMEMU_CAP_*) of an instance.
 * @b: instance; NULL means the current one.
 *
 * What the instance can do on this machine: its table's ops->caps less what
 * its open found lacking (e.g. the linux backend without huge pages has no
 * KMEMU_CAP_CONTIG).
 * Return: the bit mask (0 if no backend could be opened).
 */
uint64_t kmemu_backend_caps(struct kmemu_backend *b);

/**
 * kmemu_backend_find() - look up a registered backend's ops table by name.
 * @name: backend name.
 * Return: the ops table, or NULL.
 */
const struct kmemu_backend_ops *kmemu_backend_find(const char *name);

/**
 * kmemu_backend_list() - the registered backends, in registration order.
 * @index: 0, 1, 2 ...
 * Return: the ops table at @index, or NULL past the end.
 */
const struct kmemu_backend_ops *kmemu_backend_list(unsigned index);

/* ------------------------------------------------------------------------ */
/* Emulated processes                                                        */
/* ------------------------------------------------------------------------ */

/**
 * kmemu_process_create() - create an emulated process with an empty user space.
 * @name: a label for reports (copied; may be NULL).
 * @out:  receives its id.
 *
 * The new process is not made current.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for NULL @out;
 * STATUS_INSUFFICIENT_RESOURCES when heap or host address space runs out.
 */
kmemu_status kmemu_process_create(const char *name, kmemu_pid *out);

/**
 * kmemu_process_destroy() - terminate an emulated process.
 * @pid: a process other than the initial one.
 *
 * Releases everything it holds, as process exit does on Windows: shared
 * buffers it allocated or got are freed (other holders keep their mappings),
 * its user space is unmapped.  Threads attached to it fall back to the
 * initial process.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such process);
 * STATUS_ACCESS_DENIED for the initial process.
 */
kmemu_status kmemu_process_destroy(kmemu_pid pid);

/**
 * kmemu_process_attach() - run the calling thread in an emulated process.
 * @pid: the process to attach to.
 * @old: receives the previous process of this thread (may be NULL).
 *
 * User-mode APIs (WDS_*) called afterwards act for @pid.  Per thread.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such process).
 */
kmemu_status kmemu_process_attach(kmemu_pid pid, kmemu_pid *old);

/**
 * kmemu_process_current() - the calling thread's emulated process.
 * @out: receives the id.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for NULL.
 */
kmemu_status kmemu_process_current(kmemu_pid *out);

/**
 * kmemu_process_create_child() - create an emulated process as a child of @parent.
 * @parent: the parent process.
 * @name:   a label (copied; may be NULL).
 * @out:    receives the child's id.
 *
 * As on Windows, views the parent mapped with ViewShare are mapped in the
 * child at the same addresses (the same pages, the same protection); views
 * mapped with ViewUnmap are not.  Handles are not inherited.  The child is
 * not made current.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL @out, no such
 * parent); STATUS_INSUFFICIENT_RESOURCES; STATUS_NOT_SUPPORTED where the
 * backend has no sections (KMEMU_CAP_SECTIONS).
 */
kmemu_status kmemu_process_create_child(kmemu_pid parent, const char *name, kmemu_pid *out);

/**
 * kmemu_process_open() - an NT handle to an emulated process.
 * @pid:    the process.
 * @access: granted access (PROCESS_VM_OPERATION to map and unmap views).
 * @out:    receives the handle (a HANDLE), valid in the calling thread's
 *          current process; close it with ZwClose().
 *
 * The handle names the process object: after the process is destroyed it
 * stays valid, and the section services then return
 * STATUS_PROCESS_IS_TERMINATING.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL @out, no such
 * process); STATUS_NO_MEMORY / STATUS_INSUFFICIENT_RESOURCES (handle table);
 * STATUS_NOT_SUPPORTED without KMEMU_CAP_SECTIONS.
 */
kmemu_status kmemu_process_open(kmemu_pid pid, uint32_t access, void **out);

/* What kmemu_view_query() reports about one view. */
struct kmemu_view_info {
	void *base;               /* first byte of the view (64 KiB aligned) */
	uint64_t size;            /* bytes (page multiple) */
	uint64_t section_offset;  /* offset of the view in its section */
	uint32_t protect;         /* Win32Protect as mapped, plus PAGE_NOCACHE or
				   * PAGE_WRITECOMBINE taken from the section (AllocationProtect) */
	uint32_t state;           /* MEM_COMMIT or MEM_RESERVE: the page at the address asked */
	uint32_t inherit;         /* ViewShare or ViewUnmap */
};

/**
 * kmemu_view_query() - the section view containing an address (VirtualQuery's
 * view of it).
 * @pid:  process (0 = the calling thread's).
 * @addr: any address inside the view.
 * @out:  receives the description.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL @out, no such
 * process); STATUS_NOT_MAPPED_VIEW when no view of @pid contains @addr;
 * STATUS_NOT_SUPPORTED without KMEMU_CAP_SECTIONS.
 */
kmemu_status kmemu_view_query(kmemu_pid pid, const void *addr, struct kmemu_view_info *out);

/* ------------------------------------------------------------------------ */
/* Test-side memory access                                                   */
/* ------------------------------------------------------------------------ */

/**
 * kmemu_virt_to_phys() - translate a virtual address of a process or the kernel.
 * @pid:  the process whose user space holds @addr; 0 for kernel space.
 * @addr: any address inside a mapped page.
 * @phys: receives the physical address (frame * page size + offset).
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL @phys, no such
 * process); STATUS_INVALID_ADDRESS when @addr is not mapped;
 * STATUS_NOT_SUPPORTED when the backend cannot see frames.
 */
kmemu_status kmemu_virt_to_phys(kmemu_pid pid, const void *addr, uint64_t *phys);

/**
 * kmemu_kernel_read() - copy from a kernel virtual address.
 * @kaddr: kernel address (e.g. WD_KERNEL_BUFFER.pKernelAddr).
 * @buf:   destination.
 * @len:   bytes.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for NULL pointers;
 * STATUS_ACCESS_VIOLATION if any byte of the range is not mapped kernel
 * memory (nothing is copied then).
 */
kmemu_status kmemu_kernel_read(uint64_t kaddr, void *buf, size_t len);

/**
 * kmemu_kernel_write() - copy to a kernel virtual address.
 * @kaddr: kernel address.
 * @buf:   source.
 * @len:   bytes.
 * Context: PASSIVE.
 * Return: as kmemu_kernel_read().
 */
kmemu_status kmemu_kernel_write(uint64_t kaddr, const void *buf, size_t len);

/**
 * kmemu_user_read() - copy from a user address of an emulated process, as
 * the process's own loads would: through its mapping, honouring the
 * protection of each page.
 * @pid:  process (0 = the calling thread's).
 * @uaddr: user address.
 * @buf, @len: destination and bytes.
 * Every page of the range is checked before a byte is copied: nothing is
 * copied when one fails.  An empty range succeeds.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such process);
 * STATUS_ACCESS_VIOLATION when a page of the range is not mapped or not
 * committed in that process, is PAGE_NOACCESS or a PAGE_GUARD page, or the
 * range wraps.
 */
kmemu_status kmemu_user_read(kmemu_pid pid, uint64_t uaddr, void *buf, size_t len);

/**
 * kmemu_user_write() - copy to a user address of an emulated process, as
 * the process's own stores would.  Same parameters as kmemu_user_read().
 * A write through a PAGE_WRITECOPY / PAGE_EXECUTE_WRITECOPY view goes to the
 * process's private copy of the page, never to the shared page.
 * Return: as kmemu_user_read(), and STATUS_ACCESS_VIOLATION also when a page
 * is PAGE_READONLY, PAGE_EXECUTE or PAGE_EXECUTE_READ.
 */
kmemu_status kmemu_user_write(kmemu_pid pid, uint64_t uaddr, const void *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* IRQL and bug checks                                                       */
/* ------------------------------------------------------------------------ */

/**
 * kmemu_irql_set() - set the calling thread's IRQL directly (test side).
 * @irql: 0 (PASSIVE_LEVEL) .. 15 (HIGH_LEVEL).
 * @old:  receives the previous IRQL (may be NULL).
 *
 * Unlike KeRaiseIrql/KeLowerIrql this never bug checks; tests use it to
 * call an API at a given level.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for @irql > 15;
 * STATUS_NOT_SUPPORTED where the backend has no IRQL (KMEMU_CAP_IRQL).
 */
kmemu_status kmemu_irql_set(uint8_t irql, uint8_t *old);

/* A bug check, as reported to the handler. */
struct kmemu_bugcheck_report {
	uint32_t code;            /* bug check code (IRQL_NOT_LESS_OR_EQUAL ...) */
	uintptr_t param[4];       /* the four parameters */
	const char *name;         /* symbolic name of @code */
	const char *function;     /* API function that raised it */
	const char *detail;       /* one line on why, or "" */
};

/* Receives bug checks.  May return (report and continue) or longjmp. */
typedef void (*kmemu_bugcheck_fn)(const struct kmemu_bugcheck_report *report, void *ctx);

/**
 * kmemu_bugcheck_set_handler() - install the process-wide bug-check handler.
 * @fn:  handler; NULL restores the default (print the report, abort()).
 * @ctx: passed to @fn.
 *
 * When @fn returns, the API that raised the bug check returns a failure
 * status (documented per API) and changes nothing further; KeBugCheckEx
 * itself never returns, so a handler returning from it aborts the host.
 * Context: any.
 */
void kmemu_bugcheck_set_handler(kmemu_bugcheck_fn fn, void *ctx);

/**
 * kmemu_bugcheck_catch() - run @fn and catch a bug check it raises.
 * @fn:  code to run (it may call any API, including KeBugCheckEx).
 * @arg: passed to @fn.
 * @out: receives the report when one is caught (may be NULL).
 *
 * A bug check inside @fn unwinds (siglongjmp) to here: state @fn built
 * before the bug check stays as it was, as after a real crash dump.
 * Nested catches are allowed; other threads are not affected.
 * Context: PASSIVE, calling thread only.
 * Return: 1 if a bug check was caught, 0 if @fn returned normally.
 */
int kmemu_bugcheck_catch(void (*fn)(void *arg), void *arg, struct kmemu_bugcheck_report *out);

/**
 * kmemu_bugcheck_name() - symbolic name of a bug check code.
 * @code: a code from <bugcodes.h>.
 * Return: a static string; "UNKNOWN_BUGCHECK" for other codes.
 */
const char *kmemu_bugcheck_name(uint32_t code);

/**
 * kmemu_bugcheck_count() - bug checks reported so far in this host process.
 * Return: the count (handled or not).
 */
uint64_t kmemu_bugcheck_count(void);

/* ------------------------------------------------------------------------ */
/* Fault injection and the OOM loop                                          */
/* ------------------------------------------------------------------------ */

/* Resources whose acquisition the fault simulator can fail. */
enum kmemu_fault_resource {
	KMEMU_FAULT_HEAP = 1u << 0,      /* emulator heap (kmemu__malloc) */
	KMEMU_FAULT_FRAMES = 1u << 1,    /* physical frames */
	KMEMU_FAULT_HANDLES = 1u << 2,   /* handle table slots */
	KMEMU_FAULT_SYSCALLS = 1u << 3,  /* host syscalls that acquire (mmap ...) */
	KMEMU_FAULT_ALL = 0xFu
};

enum kmemu_fault_mode {
	KMEMU_FAULT_OFF = 0,        /* never fail */
	KMEMU_FAULT_NTH = 1,        /* fail acquisition number n (0-based), then @repeat more */
	KMEMU_FAULT_EVERY_NTH = 2,  /* fail every n-th acquisition (n >= 1) */
	KMEMU_FAULT_RANDOM = 3      /* fail each with probability rate_ppm / 1e6, seeded */
};

struct kmemu_fault_config {
	enum kmemu_fault_mode mode;   /* see enum */
	unsigned resources;           /* KMEMU_FAULT_* mask; 0 means all */
	uint64_t n;                   /* NTH: index; EVERY_NTH: period */
	uint32_t repeat;              /* NTH: further consecutive failures */
	uint32_t rate_ppm;            /* RANDOM: failures per million */
	uint64_t seed;                /* RANDOM: PRNG seed */
};

struct kmemu_fault_stats {
	uint64_t acquisitions;  /* counted acquisitions since kmemu_fault_set() */
	uint64_t failures;      /* injected failures since kmemu_fault_set() */
};

/**
 * kmemu_fault_set() - program the fault simulator (process-wide).
 * @cfg: configuration; NULL turns injection off.  Resets the counters.
 * Context: any.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (unknown mode, EVERY_NTH
 * with n == 0, rate_ppm > 1000000).
 */
kmemu_status kmemu_fault_set(const struct kmemu_fault_config *cfg);

/**
 * kmemu_fault_get_stats() - counters since the last kmemu_fault_set().
 * @out: receives them; NULL is ignored.
 */
void kmemu_fault_get_stats(struct kmemu_fault_stats *out);

/* Resource counters, for leak checks. */
struct kmemu_stats {
	uint64_t heap_blocks;     /* live emulator heap blocks */
	uint64_t heap_bytes;      /* live emulator heap bytes */
	uint64_t frames_used;     /* physical frames allocated */
	uint64_t frames_total;    /* physical frames in RAM */
	uint64_t handles_used;    /* live handles, all tables */
	uint64_t processes;       /* live emulated processes */
	uint64_t wds_buffers;     /* live shared buffers */
	uint64_t mappings;        /* live user and kernel mappings */
};

/**
 * kmemu_stats_get() - resource counters of the current backend instance.
 * @out: receives them.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for NULL.
 */
kmemu_status kmemu_stats_get(struct kmemu_stats *out);

/**
 * kmemu_check() - run every invariant checker of the current instance.
 * @msg: receives a description of the first broken invariant (may be NULL);
 *       static storage, valid until the next call.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS when all hold; STATUS_INTERNAL_ERROR otherwise;
 * STATUS_NOT_SUPPORTED where the backend has no checkers.
 */
kmemu_status kmemu_check(const char **msg);

/* One operation under the OOM loop. */
struct kmemu_oom_op {
	const char *name;                  /* for reports */
	uint32_t (*run)(void *ctx);        /* runs the operation and undoes a success */
	void *ctx;                         /* passed to run */
	uint32_t success;                  /* status meaning success (0 for both NTSTATUS and WD) */
	const uint32_t *fail_ok;           /* statuses allowed when a fault fired */
	unsigned n_fail_ok;                /* entries in fail_ok */
	unsigned resources;                /* KMEMU_FAULT_* to fail; 0 = all */
};

struct kmemu_oom_result {
	unsigned iterations;      /* runs, including the final clean one */
	unsigned failures;        /* runs in which a fault fired */
	int ok;                   /* 1 if every run met the rules */
	char message[256];        /* the first broken rule, or "" */
};

/**
 * kmemu_oom_loop() - run an operation failing acquisition N = 0, 1, 2 ...
 * @op:  the operation; ->run must leave no resource behind when it returns.
 * @max: give up after this many iterations (0 = 100000).
 * @out: receives the result.
 *
 * The operation first runs once without faults (a warm-up: tables it grows
 * on first use stay grown and do not count as leaks; it must succeed).
 * Then, for each N, the fault simulator fails exactly acquisition N.  After a run
 * in which the fault fired: the status must be one of @op->fail_ok (or
 * success, when the failure was absorbed), every kmemu_stats counter is back
 * at its value before the run, and kmemu_check() passes.  The loop stops at
 * the first N whose run triggers no fault; that run must return success.
 * Context: PASSIVE; fault injection is off when it returns.
 * Return: STATUS_SUCCESS if every rule held; STATUS_UNSUCCESSFUL otherwise
 * (details in @out); STATUS_INVALID_PARAMETER for NULL arguments.
 */
kmemu_status kmemu_oom_loop(const struct kmemu_oom_op *op, unsigned max,
			    struct kmemu_oom_result *out);

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_KMEMU_H */
