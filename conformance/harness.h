/* SPDX-License-Identifier: MIT */
/*
 * harness.h - the conformance harness: cases, assertions, checks, probes.
 *
 * Our own small harness with kselftest's shape (nothing vendored).  A case is
 * a function plus a static descriptor: a stable id "API/name", the
 * capabilities (KMEMU_CAP_*) it needs, and the ids of the assertions it
 * checks.  Each cases.c lists its descriptors in one NULL-terminated array;
 * main.c knows the arrays.  The runner forks one child per case; the child
 * opens the backend afresh (kmemu_backend_use(name, NULL)), arms an alarm,
 * runs the function and reports through a pipe, so a crash or a hang is a
 * FAIL of that case and never of the run.  Capabilities are those of the
 * opened instance (kmemu_backend_caps(): what the backend can do on this
 * machine); a case needing one it lacks is UNSUPPORTED, not run.
 *
 * Inside a case:
 *   KMEMU_EXPECT_*   record a failure and go on;
 *   KMEMU_ASSERT_*   record a failure and end the case;
 *   KMEMU_SETUP_*    a step that is not under test failed: UNRESOLVED, end;
 *   KMEMU_UNSUPPORTED(...)  the backend or machine cannot run it: skip, end;
 *   KMEMU_TODO(backend) { ... }  a documented deviation of @backend (Wine's
 *                    todo_wine): failures inside count as XFAIL, a block that
 *                    passes on that backend counts as XPASS (a failure);
 *   kmemu_broken(cond)  accept a deviation on backends other than "emu" only.
 * Failed checks print "# file:line: ..." with expected and actual values in
 * hex and, for statuses, their symbolic names.
 *
 * Conformance code includes only <kmemu/kmemu.h>, <kmemu/backend.h> and the
 * Windows headers: it sees the public API and the backend registry, nothing
 * of emu/ or api/.
 */
#ifndef KMEMU_CONFORMANCE_HARNESS_H
#define KMEMU_CONFORMANCE_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <kmemu/kmemu.h>
#include <kmemu/backend.h>
#include <wds_lib.h>

/* printf-style checking where the compiler has it (GCC, Clang). */
#if defined(__GNUC__) && defined(_WIN32)
/* mingw-w64 builds use its C99 stdio (__USE_MINGW_ANSI_STDIO): GNU formats */
#define KMEMU_PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#elif defined(__GNUC__)
#define KMEMU_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KMEMU_PRINTF(fmt, args)
#endif

/* ==== assertions =========================================================== */

/* How sure the expected behaviour is. */
enum kmemu_level {
	KMEMU_LEVEL_SHALL = 0,     /* a sentence of the seed document */
	KMEMU_LEVEL_OBSERVED = 1,  /* a fact of the spec notes (observed on real WinDriver) */
	KMEMU_LEVEL_DECIDED = 2    /* kmemu's answer where no source decides */
};

/* One assertion, from an X-macro list conformance/<API>/assertions.def:
 *   KMEMU_ASSERTION(id, level, source, "sentence", "what we check")
 * @id is local to the API ("contig-physically-contiguous"); the table holds
 * it qualified ("WDS_SharedBufferAlloc/contig-physically-contiguous"). */
struct kmemu_assertion {
	const char *id;        /* "API/local-id", stable */
	enum kmemu_level level; /* SHALL / OBSERVED / DECIDED */
	const char *source;    /* "seed000:B.6.1:dwOptions", "spec:windriver.md:1.5" */
	const char *sentence;  /* the seed or spec sentence, verbatim (UTF-8) */
	const char *check;     /* what the cases check, in our words */
};

/* The assertion table, in file order; kmemu_assertion_count entries. */
extern const struct kmemu_assertion kmemu_assertions[];
extern const size_t kmemu_assertion_count;

/**
 * kmemu_assertion_find() - look an assertion up by its qualified id.
 * @id: "API/local-id".
 * Return: the entry, or NULL.
 */
const struct kmemu_assertion *kmemu_assertion_find(const char *id);

/* "SHALL", "OBSERVED" or "DECIDED". */
const char *kmemu_level_name(enum kmemu_level level);

/* ==== cases ================================================================ */

struct kmemu_case {
	const char *id;          /* "API/name", stable; TAP and JUnit name */
	uint64_t caps;           /* KMEMU_CAP_* bits the case needs */
	const char *assertions;  /* qualified assertion ids, separated by spaces */
	void (*fn)(void);        /* the body */
	const char *file;        /* where it is defined, for reports */
	int line;
};

/*
 * KMEMU_CASE() - define a case.
 * @fn:         C name of the body (file-local).
 * @id:         "API/name".
 * @caps:       KMEMU_CAP_* mask the backend must have (KMEMU_CAP_WDS at least).
 * @assertions: "API/a API/b": the assertions it checks.
 * Followed by the body in braces.  KMEMU_CASE_REF(fn) names the descriptor
 * for the file's table.
 */
#define KMEMU_CASE(fn, id, caps, assertions)                                           \
	static void fn(void);                                                          \
	static const struct kmemu_case fn##_case = { id, caps, assertions, fn, __FILE__, \
						     __LINE__ };                       \
	static void fn(void)
#define KMEMU_CASE_REF(fn) (&fn##_case)

/* The per-API tables (NULL-terminated), defined in conformance/<API>/cases.c. */
extern const struct kmemu_case *const kmemu_cases_WDS_SharedBufferAlloc[];
extern const struct kmemu_case *const kmemu_cases_WDS_SharedBufferFree[];
extern const struct kmemu_case *const kmemu_cases_WDS_SharedBufferGet[];
extern const struct kmemu_case *const kmemu_cases_WDS_SharedBufferGetGlobalHandle[];
extern const struct kmemu_case *const kmemu_cases_ZwCreateSection[];
extern const struct kmemu_case *const kmemu_cases_ZwOpenSection[];
extern const struct kmemu_case *const kmemu_cases_ZwMapViewOfSection[];
extern const struct kmemu_case *const kmemu_cases_ZwUnmapViewOfSection[];
extern const struct kmemu_case *const kmemu_cases_ObReferenceObjectByHandle[];
extern const struct kmemu_case *const kmemu_cases_MmMapViewInSystemSpace[];
extern const struct kmemu_case *const kmemu_cases_NtMapViewOfSectionEx[];
extern const struct kmemu_case *const kmemu_cases_NtUnmapViewOfSectionEx[];
extern const struct kmemu_case *const kmemu_cases_NtAreMappedFilesTheSame[];
extern const struct kmemu_case *const kmemu_cases_WdfDriverCreate[];
extern const struct kmemu_case *const kmemu_cases_WdfMemoryCreate[];
extern const struct kmemu_case *const kmemu_cases_WdfMemoryCreatePreallocated[];
extern const struct kmemu_case *const kmemu_cases_WdfMemoryAssignBuffer[];
extern const struct kmemu_case *const kmemu_cases_WdfMemoryGetBuffer[];
extern const struct kmemu_case *const kmemu_cases_WdfMemoryCopyToBuffer[];
extern const struct kmemu_case *const kmemu_cases_WdfObjectDelete[];
extern const struct kmemu_case *const kmemu_cases_WdfRequestProbeAndLockUserBufferForWrite[];
extern const struct kmemu_case *const kmemu_cases_WdfRequestProbeAndLockUserBufferForRead[];
extern const struct kmemu_case *const kmemu_cases_WdfRequestRetrieveUnsafeUserInputBuffer[];
extern const struct kmemu_case *const kmemu_cases_WdfRequestRetrieveUnsafeUserOutputBuffer[];
extern const struct kmemu_case *const kmemu_cases_WdfRequestComplete[];
extern const struct kmemu_case *const kmemu_cases_WdfRequestMarkCancelable[];
extern const struct kmemu_case *const kmemu_cases_FltRegisterFilter[];
extern const struct kmemu_case *const kmemu_cases_FltAllocateContext[];
extern const struct kmemu_case *const kmemu_cases_FltReleaseContext[];
extern const struct kmemu_case *const kmemu_cases_FltSetContext[];

/* ==== results ============================================================== */

enum kmemu_result {
	KMEMU_PASS = 0,
	KMEMU_FAIL = 1,
	KMEMU_UNRESOLVED = 2,   /* setup broke: pass/fail cannot be told */
	KMEMU_UNSUPPORTED = 3,  /* the backend lacks what the case needs */
	KMEMU_XFAIL = 4,        /* a documented deviation, still there */
	KMEMU_XPASS = 5         /* a documented deviation that no longer happens */
};

/* "PASS", "FAIL" ... */
const char *kmemu_result_name(enum kmemu_result r);

/* Outcome of one case as the runner saw it. */
struct kmemu_case_outcome {
	enum kmemu_result result;  /* final, after expectations */
	char reason[256];          /* skip / xfail / failure reason, one line */
	char *diag;                /* captured diagnostics, '\n'-separated, or NULL */
	double seconds;            /* wall time of the child */
};

/**
 * kmemu_run_case() - run one case in a forked child.
 * @c:       the case.
 * @backend: backend name the child opens with kmemu_backend_use().
 * @timeout: seconds before the child is killed (alarm), 0 = none.
 * @out:     receives the outcome (before expectations); out->diag is
 *           heap-allocated, free() it.
 *
 * Context: main thread of the runner; fflush()es stdout and stderr first.
 * Return: 0; -1 if the child could not be started (out is UNRESOLVED then).
 */
int kmemu_run_case(const struct kmemu_case *c, const char *backend, unsigned timeout,
		   struct kmemu_case_outcome *out);

/**
 * kmemu_run_case_here() - run @c in this process as a case's child does:
 * open @backend, run, print the result record, exit.  Windows has no fork:
 * kmemu_run_case() spawns the runner again with "--run-case ID", which
 * lands here.
 * @timeout: unused on Windows (the runner kills the child at the deadline);
 *           an alarm elsewhere.
 */
_Noreturn void kmemu_run_case_here(const struct kmemu_case *c, const char *backend,
				   unsigned timeout);

/* ==== expectations file selection (expect_name.c) ========================== */

/* 1 when --expectations @arg is a path, 0 when it is a name ("nt-wine"). */
int kmemu_conform_expectations_is_path(const char *arg);
/* The expectations name of @backend: "nt-wine" under Wine (@wine = Wine's
 * version), "nt-windows" on Windows (@wine NULL), else @backend itself. */
const char *kmemu_conform_expectations_name(const char *backend, const char *wine, char *buf,
					    size_t size);

/* Name of a signal ("SIGSEGV"), or "signal N" in a static buffer. */
const char *kmemu_signal_name(int sig);

/* ==== inside a case ======================================================== */

/* The backend the case runs on ("emu"). */
const char *kmemu_conform_backend(void);

/* Print one diagnostic line ("# " is added) from inside a case. */
void kmemu_diag(const char *fmt, ...) KMEMU_PRINTF(1, 2);

/* Record a failure with a message; with @fatal the case ends. */
void kmemu__fail(const char *file, int line, int fatal, const char *fmt, ...)
	KMEMU_PRINTF(4, 5);
/* End the case as UNRESOLVED / UNSUPPORTED with a reason (never returns). */
_Noreturn void kmemu__unresolved(const char *file, int line, const char *fmt, ...)
	KMEMU_PRINTF(3, 4);
_Noreturn void kmemu__unsupported(const char *fmt, ...) KMEMU_PRINTF(1, 2);

/* Check helpers behind the macros; each returns 1 when the check held. */
int kmemu__check_wd(const char *file, int line, int fatal, const char *expr, uint32_t actual,
		    uint32_t expected);
int kmemu__check_nt(const char *file, int line, int fatal, const char *expr, kmemu_status actual,
		    kmemu_status expected);
int kmemu__check_eq(const char *file, int line, int fatal, const char *expr, uint64_t actual,
		    uint64_t expected);
int kmemu__check_ne(const char *file, int line, int fatal, const char *expr, uint64_t actual,
		    uint64_t unexpected);
int kmemu__check_true(const char *file, int line, int fatal, const char *expr, int cond);
int kmemu__check_mem(const char *file, int line, int fatal, const char *expr, const void *actual,
		     const void *expected, size_t len);

/* WinDriver status (DWORD) equals @expected. */
#define KMEMU_EXPECT_WD(expr, expected) \
	kmemu__check_wd(__FILE__, __LINE__, 0, #expr, (uint32_t)(expr), (uint32_t)(expected))
#define KMEMU_ASSERT_WD(expr, expected) \
	kmemu__check_wd(__FILE__, __LINE__, 1, #expr, (uint32_t)(expr), (uint32_t)(expected))
/* NTSTATUS equals @expected. */
#define KMEMU_EXPECT_NT(expr, expected) \
	kmemu__check_nt(__FILE__, __LINE__, 0, #expr, (kmemu_status)(expr), (kmemu_status)(expected))
#define KMEMU_ASSERT_NT(expr, expected) \
	kmemu__check_nt(__FILE__, __LINE__, 1, #expr, (kmemu_status)(expr), (kmemu_status)(expected))
/* Integers (or pointers cast to uintptr_t) equal / differ, printed in hex. */
#define KMEMU_EXPECT_EQ(expr, expected) \
	kmemu__check_eq(__FILE__, __LINE__, 0, #expr, (uint64_t)(expr), (uint64_t)(expected))
#define KMEMU_ASSERT_EQ(expr, expected) \
	kmemu__check_eq(__FILE__, __LINE__, 1, #expr, (uint64_t)(expr), (uint64_t)(expected))
#define KMEMU_EXPECT_NE(expr, unexpected) \
	kmemu__check_ne(__FILE__, __LINE__, 0, #expr, (uint64_t)(expr), (uint64_t)(unexpected))
#define KMEMU_ASSERT_NE(expr, unexpected) \
	kmemu__check_ne(__FILE__, __LINE__, 1, #expr, (uint64_t)(expr), (uint64_t)(unexpected))
#define KMEMU_EXPECT_TRUE(cond) kmemu__check_true(__FILE__, __LINE__, 0, #cond, !!(cond))
#define KMEMU_ASSERT_TRUE(cond) kmemu__check_true(__FILE__, __LINE__, 1, #cond, !!(cond))
/* @len bytes at @actual equal those at @expected (first difference printed). */
#define KMEMU_EXPECT_MEM(actual, expected, len) \
	kmemu__check_mem(__FILE__, __LINE__, 0, #actual, (actual), (expected), (len))
#define KMEMU_ASSERT_MEM(actual, expected, len) \
	kmemu__check_mem(__FILE__, __LINE__, 1, #actual, (actual), (expected), (len))
#define KMEMU_FAIL(...) kmemu__fail(__FILE__, __LINE__, 0, __VA_ARGS__)

/* Setup steps: failure makes the case UNRESOLVED and ends it. */
#define KMEMU_SETUP_WD(expr)                                                              \
	do {                                                                              \
		uint32_t kmemu__rc = (uint32_t)(expr);                                    \
		if (kmemu__rc != WD_STATUS_SUCCESS)                                       \
			kmemu__unresolved(__FILE__, __LINE__, "setup: %s = 0x%08X (%s)", #expr, \
					  kmemu__rc, kmemu_wd_status_name(kmemu__rc));    \
	} while (0)
#define KMEMU_SETUP_NT(expr)                                                              \
	do {                                                                              \
		kmemu_status kmemu__st = (expr);                                          \
		if (kmemu__st != STATUS_SUCCESS)                                          \
			kmemu__unresolved(__FILE__, __LINE__, "setup: %s = 0x%08X (%s)", #expr, \
					  (unsigned)kmemu__st, kmemu_status_name(kmemu__st)); \
	} while (0)
#define KMEMU_SETUP_TRUE(cond)                                                                \
	do {                                                                                  \
		if (!(cond))                                                                  \
			kmemu__unresolved(__FILE__, __LINE__, "setup: %s is false", #cond);   \
	} while (0)
#define KMEMU_UNSUPPORTED(...) kmemu__unsupported(__VA_ARGS__)

/* Wine-style deviation markers (see the file comment). */
int kmemu__todo_begin(const char *backend, const char *file, int line);
int kmemu__todo_end(void);
#define KMEMU_TODO(backend)                                                            \
	for (int kmemu__todo_once = kmemu__todo_begin((backend), __FILE__, __LINE__); \
	     kmemu__todo_once; kmemu__todo_once = kmemu__todo_end())
/* @cond, accepted only on a real backend (never under the emulator); add a
 * trailing comment saying why the deviation is acceptable. */
int kmemu_broken(int cond);

/* ==== probes and helpers for cases ========================================= */

/**
 * kmemu_try_read() - can one byte at @p be read in this process?
 * @p: any address.
 * Installs SIGSEGV/SIGBUS handlers for the probe only (sigsetjmp), so an
 * inaccessible page is an answer, not a crash.  On Linux the kernel is asked
 * first (process_vm_readv on our own pid), so no fault is taken where it can
 * answer and memcheck does not report the probe.
 * Context: the case's thread; not reentrant.
 * Return: 1 if the read succeeded, 0 if it faulted.
 */
int kmemu_try_read(const void *p);

/**
 * kmemu_try_write() - can one byte at @p be written in this process?
 * @p: any address; the byte is read and written back unchanged.
 * Return: 1 if the access succeeded, 0 if it faulted.
 */
int kmemu_try_write(void *p);

/* The user address of a description, as a byte pointer. */
static inline uint8_t *kmemu_uaddr(const WD_KERNEL_BUFFER *kb)
{
	return (uint8_t *)(uintptr_t)kb->pUserAddr;
}

/* Byte @i of the test pattern @seed (never all-zero over a page). */
static inline uint8_t kmemu_pattern(uint64_t i, uint32_t seed)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed << 17);

	return (uint8_t)((x >> 29) ^ (x >> 7) ^ seed);
}

/* Fill @len bytes with pattern @seed (from offset 0). */
void kmemu_fill(void *p, size_t len, uint32_t seed);
/* Fill @len bytes of pattern @seed starting at pattern offset @off. */
void kmemu_fill_at(void *p, size_t len, uint32_t seed, uint64_t off);
/* Offset of the first byte of @p differing from pattern @seed, or SIZE_MAX. */
size_t kmemu_pattern_mismatch(const void *p, size_t len, uint32_t seed);

/* A value no API ever writes to an out-pointer: to see that one was left alone. */
#define KMEMU_SENTINEL ((WD_KERNEL_BUFFER *)(uintptr_t)0x5EB7E11E5EB7E110ull)

#endif /* KMEMU_CONFORMANCE_HARNESS_H */
