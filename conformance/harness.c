/* SPDX-License-Identifier: MIT */
/*
 * harness.c - running one case in a forked child, the checks, the probes.
 *
 * Protocol between the runner and a case's child: the child's stdout and
 * stderr are one pipe.  Every line on it is a diagnostic (whatever the case
 * or the library prints lands there, so TAP on the runner's stdout is never
 * corrupted), except one final record "\036RESULT <code> <reason>" that the
 * child writes just before _exit(<code>).  The runner reads until EOF (or
 * its own deadline: the child's alarm plus a grace period, then SIGKILL),
 * reaps the child and decides: a record gives the result; death by a signal
 * is a FAIL naming the signal (SIGALRM = timeout); an exit without a record
 * is a FAIL with the exit status (valgrind's --error-exitcode lands here).
 *
 * On Windows (kmemu-conform.exe) there is no fork: the runner spawns its own
 * executable again for one case ("--run-case ID", see win32.c) with stdout
 * and stderr to one file, the same protocol; the runner kills it at the
 * deadline (no alarm), and an unhandled exception ends it with the
 * exception code as exit status, a FAIL naming that status.
 *
 * Divisions: child-side state and checks; deviation markers; probes;
 * pattern helpers; the runner (parent side).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#ifdef _WIN32
#include "win32/kmemu_conform_win32.h"
/* No signal masks on Windows: the plain jumps. */
#define sigjmp_buf jmp_buf
#define sigsetjmp(env, savemask) setjmp(env)
#define siglongjmp longjmp
#else
#include <poll.h>
#include <sys/uio.h>
#include <sys/wait.h>
#endif

#define RESULT_TAG "\036RESULT "
#define GRACE_SECONDS 5

/* ==== child-side state ======================================================= */

static struct {
	const char *backend;       /* name the child opened */
	sigjmp_buf end;            /* where fatal checks and skips unwind to */
	int failures;              /* failed checks, todo ones excluded */
	int forced;                /* -1, or KMEMU_UNRESOLVED / KMEMU_UNSUPPORTED */
	char reason[256];          /* first failure, or the skip/unresolved reason */
	int todo_active;           /* inside a KMEMU_TODO block for this backend */
	int todo_mark;             /* failures when the block began */
	int todo_xfail;            /* todo blocks that failed as documented */
	int todo_xpass;            /* todo blocks that passed: stale deviations */
	char todo_where[128];      /* file:line of the last todo block */
} cs;

/* Write a whole line to fd 1 (the pipe): unbuffered, so the order of
 * diagnostics and library messages on stderr is kept. */
static void child_write_line(const char *text)
{
	size_t len = strlen(text);
	const char *p = text;

	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
	if (text[0] && text[strlen(text) - 1] != '\n')
		(void)!write(STDOUT_FILENO, "\n", 1);
}

/* "API/cases.c" of a __FILE__ path: short, and still findable. */
static const char *short_path(const char *file)
{
	const char *base = strrchr(file, '/');

	if (!base || base == file)
		return file;
	while (base > file && base[-1] != '/')
		base--;
	return base;
}

static void vdiag(const char *file, int line, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = 0;

	if (file) {
		n = snprintf(buf, sizeof(buf), "%s:%d: ", short_path(file), line);
		if (n < 0 || (size_t)n >= sizeof(buf))
			n = 0;
	}
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	child_write_line(buf);
}

/* kmemu_diag() - one diagnostic line from a case (the runner adds "# "). */
void kmemu_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(NULL, 0, fmt, ap);
	va_end(ap);
}

/* kmemu_conform_backend() - name of the backend the running case opened. */
const char *kmemu_conform_backend(void)
{
	return cs.backend ? cs.backend : "";
}

/* End the case now (fatal check, skip, unresolved setup). */
static _Noreturn void case_end(void)
{
	siglongjmp(cs.end, 1);
}

/* Count a failed check, print it, keep the first one outside todo blocks as
 * the case's reason; with @fatal, end the case. */
static void record_failure(const char *file, int line, int fatal, const char *fmt, va_list ap)
{
	va_list ap2;

	va_copy(ap2, ap);
	vdiag(file, line, fmt, ap);
	cs.failures++;
	/* the reason of a FAIL is its first failure outside todo blocks */
	if (!cs.reason[0] && !cs.todo_active) {
		int n = snprintf(cs.reason, sizeof(cs.reason), "%s:%d: ", short_path(file), line);

		if (n > 0 && (size_t)n < sizeof(cs.reason))
			vsnprintf(cs.reason + n, sizeof(cs.reason) - (size_t)n, fmt, ap2);
	}
	va_end(ap2);
	if (fatal)
		case_end();
}

/* kmemu__fail() - record a failed check (KMEMU_FAIL and the check helpers). */
void kmemu__fail(const char *file, int line, int fatal, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_failure(file, line, fatal, fmt, ap);
	va_end(ap);
}

/* kmemu__unresolved() - a setup step broke: end the case UNRESOLVED. */
_Noreturn void kmemu__unresolved(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(file, line, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(cs.reason, sizeof(cs.reason), fmt, ap);
	va_end(ap);
	cs.forced = KMEMU_UNRESOLVED;
	case_end();
}

/* kmemu__unsupported() - the backend or machine cannot run the case: skip. */
_Noreturn void kmemu__unsupported(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cs.reason, sizeof(cs.reason), fmt, ap);
	va_end(ap);
	cs.forced = KMEMU_UNSUPPORTED;
	case_end();
}

/* ---- checks: each prints expected and actual, in hex, with names --------- */

/* kmemu__check_wd() - WinDriver status equality, names from kmemu_wd_status_name(). */
int kmemu__check_wd(const char *file, int line, int fatal, const char *expr, uint32_t actual,
		    uint32_t expected)
{
	if (actual == expected)
		return 1;
	kmemu__fail(file, line, fatal, "%s: expected 0x%08X (%s), got 0x%08X (%s)", expr,
		    expected, kmemu_wd_status_name(expected), actual, kmemu_wd_status_name(actual));
	return 0;
}

/* kmemu__check_nt() - NTSTATUS equality, names from kmemu_status_name(). */
int kmemu__check_nt(const char *file, int line, int fatal, const char *expr, kmemu_status actual,
		    kmemu_status expected)
{
	char want[64];

	if (actual == expected)
		return 1;
	/* kmemu_status_name() may return a per-thread buffer: copy the first. */
	snprintf(want, sizeof(want), "%s", kmemu_status_name(expected));
	kmemu__fail(file, line, fatal, "%s: expected 0x%08X (%s), got 0x%08X (%s)", expr,
		    (unsigned)expected, want, (unsigned)actual, kmemu_status_name(actual));
	return 0;
}

/* kmemu__check_eq() - integer equality, both values in hex. */
int kmemu__check_eq(const char *file, int line, int fatal, const char *expr, uint64_t actual,
		    uint64_t expected)
{
	if (actual == expected)
		return 1;
	kmemu__fail(file, line, fatal, "%s: expected 0x%llX, got 0x%llX", expr,
		    (unsigned long long)expected, (unsigned long long)actual);
	return 0;
}

/* kmemu__check_ne() - integer inequality. */
int kmemu__check_ne(const char *file, int line, int fatal, const char *expr, uint64_t actual,
		    uint64_t unexpected)
{
	if (actual != unexpected)
		return 1;
	kmemu__fail(file, line, fatal, "%s: expected anything but 0x%llX, got it", expr,
		    (unsigned long long)unexpected);
	return 0;
}

/* kmemu__check_true() - a condition holds. */
int kmemu__check_true(const char *file, int line, int fatal, const char *expr, int cond)
{
	if (cond)
		return 1;
	kmemu__fail(file, line, fatal, "%s: expected true, got false", expr);
	return 0;
}

/* kmemu__check_mem() - byte ranges equal; the first difference is printed. */
int kmemu__check_mem(const char *file, int line, int fatal, const char *expr, const void *actual,
		     const void *expected, size_t len)
{
	const uint8_t *a = actual, *e = expected;

	for (size_t i = 0; i < len; i++) {
		if (a[i] != e[i]) {
			kmemu__fail(file, line, fatal,
				    "%s: %zu bytes differ first at offset 0x%zX: expected 0x%02X, got 0x%02X",
				    expr, len, i, e[i], a[i]);
			return 0;
		}
	}
	return 1;
}

/* ==== deviation markers (Wine's todo_wine / broken) ========================== */

/* kmemu__todo_begin() - open a KMEMU_TODO block; active only on @backend. */
int kmemu__todo_begin(const char *backend, const char *file, int line)
{
	if (backend && !strcmp(backend, kmemu_conform_backend())) {
		cs.todo_active = 1;
		cs.todo_mark = cs.failures;
		snprintf(cs.todo_where, sizeof(cs.todo_where), "%s:%d", short_path(file), line);
	}
	return 1;
}

/* Close a todo block: its failures become one XFAIL; no failure is an XPASS. */
int kmemu__todo_end(void)
{
	if (cs.todo_active) {
		int n = cs.failures - cs.todo_mark;

		cs.todo_active = 0;
		if (n > 0) {
			cs.failures -= n;
			cs.todo_xfail++;
			kmemu_diag("todo at %s: %d check(s) failed as documented", cs.todo_where, n);
		} else {
			cs.todo_xpass++;
			kmemu_diag("todo at %s: every check passed (stale deviation)", cs.todo_where);
		}
	}
	return 0;
}

/* kmemu_broken() - @cond, but never true under the reference emulator. */
int kmemu_broken(int cond)
{
	return strcmp(kmemu_conform_backend(), "emu") != 0 && cond;
}

/* ==== probes ================================================================= */

/*
 * A probe first asks the kernel without faulting: process_vm_readv/writev
 * on our own pid copies one byte from/to @p and fails with EFAULT when the
 * page is not accessible.  That keeps memcheck quiet (it checks only the
 * local side of those calls), which a deliberate touch of a PROT_NONE page
 * would not.  Where the call is unavailable (not Linux, ENOSYS, a seccomp
 * filter's EPERM), the byte is touched under a SIGSEGV/SIGBUS handler.
 * Return: 1 accessible, 0 not, -1 unknown (touch it).
 */
#ifndef _WIN32
static int probe_kernel(volatile uint8_t *p, int write)
{
#if defined(__linux__)
	struct iovec local, remote;
	uint8_t byte = 0;
	ssize_t n;

	local.iov_base = &byte;
	local.iov_len = 1;
	remote.iov_base = (void *)(uintptr_t)p;
	remote.iov_len = 1;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n == 1 && write)
		n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);  /* same byte back */
	if (n == 1)
		return 1;
	if (n < 0 && errno == EFAULT)
		return 0;
#else
	(void)p;
	(void)write;
#endif
	return -1;
}

static sigjmp_buf probe_jmp;

static void probe_handler(int sig)
{
	(void)sig;
	siglongjmp(probe_jmp, 1);
}

/* Run one access with SIGSEGV/SIGBUS turned into a return value. */
static int probe(volatile uint8_t *p, int write)
{
	struct sigaction sa, old_segv, old_bus;
	volatile int ok = 0;
	int known = probe_kernel(p, write);

	if (known >= 0)
		return known;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (sigsetjmp(probe_jmp, 1) == 0) {
		uint8_t v = *p;

		if (write)
			*p = v;
		ok = 1;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return ok;
}
#else
/* Windows: the kernel is asked (VirtualQuery), nothing is touched. */
static int probe(volatile uint8_t *p, int write)
{
	return kmemu_conform_w32_probe((const void *)(uintptr_t)p, write);
}
#endif

/* kmemu_try_read() - see harness.h. */
int kmemu_try_read(const void *p)
{
	return probe((volatile uint8_t *)(uintptr_t)p, 0);
}

/* kmemu_try_write() - see harness.h. */
int kmemu_try_write(void *p)
{
	return probe((volatile uint8_t *)p, 1);
}

/* ==== pattern helpers ======================================================== */

/* kmemu_fill_at() - pattern @seed from pattern offset @off. */
void kmemu_fill_at(void *p, size_t len, uint32_t seed, uint64_t off)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = kmemu_pattern(off + i, seed);
}

/* kmemu_fill() - pattern @seed from offset 0. */
void kmemu_fill(void *p, size_t len, uint32_t seed)
{
	kmemu_fill_at(p, len, seed, 0);
}

/* kmemu_pattern_mismatch() - first byte off pattern @seed, or SIZE_MAX. */
size_t kmemu_pattern_mismatch(const void *p, size_t len, uint32_t seed)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != kmemu_pattern(i, seed))
			return i;
	return SIZE_MAX;
}

/* ==== names ================================================================== */

/* kmemu_result_name() - "PASS", "FAIL" ... */
const char *kmemu_result_name(enum kmemu_result r)
{
	static const char *const names[] = { "PASS", "FAIL", "UNRESOLVED", "UNSUPPORTED",
					     "XFAIL", "XPASS" };

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* kmemu_signal_name() - "SIGSEGV", or "signal N" (static buffer). */
const char *kmemu_signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} sigs[] = {
#ifdef _WIN32
		{ SIGSEGV, "SIGSEGV" }, { SIGABRT, "SIGABRT" }, { SIGFPE, "SIGFPE" },
		{ SIGILL, "SIGILL" },   { SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" },
#else
		{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" },   { SIGABRT, "SIGABRT" },
		{ SIGFPE, "SIGFPE" },   { SIGILL, "SIGILL" },   { SIGALRM, "SIGALRM" },
		{ SIGKILL, "SIGKILL" }, { SIGTERM, "SIGTERM" }, { SIGTRAP, "SIGTRAP" },
		{ SIGPIPE, "SIGPIPE" }, { SIGSYS, "SIGSYS" },   { SIGINT, "SIGINT" },
		{ SIGQUIT, "SIGQUIT" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
#endif
	};
	static char buf[32];

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigs[i].sig == sig)
			return sigs[i].name;
	snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

/* ==== the child ============================================================== */

/* Body of the forked child: open the backend, run, report, _exit. */
static _Noreturn void child_main(const struct kmemu_case *c, const char *backend, unsigned timeout)
{
	struct kmemu_backend *b;
	enum kmemu_result r;
	kmemu_status st;
	char rec[sizeof(cs.reason) + 32];

	memset(&cs, 0, sizeof(cs));
	cs.backend = backend;
	cs.forced = -1;
#ifdef _WIN32
	(void)timeout;  /* the runner kills the process at the deadline */
	kmemu_conform_w32_child_setup();
#else
	if (timeout)
		alarm(timeout);
#endif
	st = kmemu_backend_use(backend, NULL);
	if (st != STATUS_SUCCESS) {
		snprintf(cs.reason, sizeof(cs.reason), "cannot open backend '%s': 0x%08X (%s)",
			 backend, (unsigned)st, kmemu_status_name(st));
		child_write_line(cs.reason);
		cs.forced = KMEMU_UNRESOLVED;
	} else if (c->caps & ~kmemu_backend_caps(NULL)) {
		/* the runner planned with another instance: this one may have less
		 * (huge pages taken meanwhile) */
		uint64_t missing = c->caps & ~kmemu_backend_caps(NULL);
		int n = snprintf(cs.reason, sizeof(cs.reason), "backend %s lacks capability here:",
				 backend);

		for (unsigned bit = 0; bit < 64 && n > 0 && (size_t)n < sizeof(cs.reason); bit++)
			if (missing & (1ull << bit))
				n += snprintf(cs.reason + n, sizeof(cs.reason) - (size_t)n, " %s",
					      kmemu_cap_name(1ull << bit) ? kmemu_cap_name(1ull << bit)
									 : "?");
		cs.forced = KMEMU_UNSUPPORTED;
	} else if (sigsetjmp(cs.end, 1) == 0) {
		c->fn();
	} else if (cs.todo_active) {
		/* a fatal check inside a todo block ends the case as that block's XFAIL */
		kmemu__todo_end();
	}
	/* leave the machine clean for leak checkers: no faults armed, closed */
	kmemu_fault_set(NULL);
	b = kmemu_backend_set_current(NULL);
	kmemu_backend_close(b);
#ifndef _WIN32
	alarm(0);
#endif

	if (cs.forced >= 0)
		r = (enum kmemu_result)cs.forced;
	else if (cs.failures)
		r = KMEMU_FAIL;
	else if (cs.todo_xpass)
		r = KMEMU_XPASS;
	else if (cs.todo_xfail)
		r = KMEMU_XFAIL;
	else
		r = KMEMU_PASS;
	if (r == KMEMU_XPASS)
		snprintf(cs.reason, sizeof(cs.reason), "todo block at %s passed", cs.todo_where);
	else if (r == KMEMU_XFAIL)
		snprintf(cs.reason, sizeof(cs.reason), "todo at %s (%s): %d block(s) failed as documented",
			 cs.todo_where, backend, cs.todo_xfail);
	fflush(stdout);
	fflush(stderr);
	snprintf(rec, sizeof(rec), RESULT_TAG "%d %s\n", (int)r, cs.reason);
	child_write_line(rec);
	_exit((int)r);
}

/* kmemu_run_case_here() - the child's side of one case (harness.h). */
_Noreturn void kmemu_run_case_here(const struct kmemu_case *c, const char *backend,
				   unsigned timeout)
{
	child_main(c, backend, timeout);
}

/* ==== the runner (parent side) =============================================== */

static double now_seconds(void)
{
#ifdef _WIN32
	return kmemu_conform_w32_now();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
#endif
}

/* Append @len bytes to a growing buffer; returns 0 on allocation failure. */
static int buf_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		char *nb;

		while (ncap < *len + n + 1)
			ncap *= 2;
		nb = realloc(*buf, ncap);
		if (!nb)
			return 0;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 1;
}

/* Split the child's output into diagnostics and the result record. */
static void parse_output(char *raw, struct kmemu_case_outcome *out, int *have_rec, int *rec_code)
{
	char *diag = NULL;
	size_t dlen = 0, dcap = 0;
	char *line = raw;

	*have_rec = 0;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		size_t tag = strlen(RESULT_TAG);

		if (n >= tag && !strncmp(line, RESULT_TAG, tag)) {
			char *end;
			long code = strtol(line + tag, &end, 10);

			*have_rec = 1;
			*rec_code = (int)code;
			if (*end == ' ')
				end++;
			snprintf(out->reason, sizeof(out->reason), "%.*s", (int)(n - (size_t)(end - line)),
				 end);
		} else {
			buf_append(&diag, &dlen, &dcap, line, n);
			buf_append(&diag, &dlen, &dcap, "\n", 1);
		}
		line = nl ? nl + 1 : NULL;
	}
	out->diag = diag;
}

#ifdef _WIN32
/* kmemu_run_case() - spawn "--run-case", collect its outcome (harness.h). */
int kmemu_run_case(const struct kmemu_case *c, const char *backend, unsigned timeout,
		   struct kmemu_case_outcome *out)
{
	char *raw = NULL, err[256];
	uint32_t code = 0;
	int timed_out = 0, have_rec = 0, rec_code = 0;
	double start = now_seconds();

	memset(out, 0, sizeof(*out));
	fflush(stdout);
	fflush(stderr);
	if (kmemu_conform_w32_spawn_case(c->id, backend, timeout,
					 timeout ? (timeout + GRACE_SECONDS) * 1000u : 0, &raw, &code,
					 &timed_out, err, sizeof(err))) {
		out->result = KMEMU_UNRESOLVED;
		snprintf(out->reason, sizeof(out->reason), "cannot run the case: %s", err);
		return -1;
	}
	out->seconds = now_seconds() - start;
	parse_output(raw ? raw : (char *)"", out, &have_rec, &rec_code);
	free(raw);
	if (timed_out) {
		out->result = KMEMU_FAIL;
		snprintf(out->reason, sizeof(out->reason), "timed out after %u s (killed)", timeout);
	} else if (have_rec && (uint32_t)rec_code == code && rec_code >= KMEMU_PASS &&
		   rec_code <= KMEMU_XPASS) {
		out->result = (enum kmemu_result)rec_code;
	} else if (code >= 0xC0000000u) {
		/* an unhandled exception: its code is the exit status */
		out->result = KMEMU_FAIL;
		snprintf(out->reason, sizeof(out->reason), "crashed: exception 0x%08X (%s)",
			 (unsigned)code, kmemu_status_name((kmemu_status)code));
	} else {
		out->result = KMEMU_FAIL;
		snprintf(out->reason, sizeof(out->reason), "child exited with status %u%s",
			 (unsigned)code, have_rec ? " after its result record" : " without a result");
	}
	return 0;
}
#else
/* kmemu_run_case() - fork, run @c in the child, collect its outcome (harness.h). */
int kmemu_run_case(const struct kmemu_case *c, const char *backend, unsigned timeout,
		   struct kmemu_case_outcome *out)
{
	char *raw = NULL, chunk[4096];
	size_t rlen = 0, rcap = 0;
	int fds[2], status = 0, have_rec = 0, rec_code = 0, killed = 0;
	double start = now_seconds(), deadline;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	fflush(stdout);
	fflush(stderr);
	if (pipe(fds)) {
		out->result = KMEMU_UNRESOLVED;
		snprintf(out->reason, sizeof(out->reason), "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		out->result = KMEMU_UNRESOLVED;
		snprintf(out->reason, sizeof(out->reason), "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		child_main(c, backend, timeout);
	}
	close(fds[1]);
	deadline = timeout ? start + timeout + GRACE_SECONDS : 0;
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		int wait_ms = -1;
		ssize_t n;

		if (deadline) {
			double left = deadline - now_seconds();

			if (left <= 0) {
				kill(pid, SIGKILL);  /* the child ignored its alarm */
				killed = 1;
				break;
			}
			wait_ms = (int)(left * 1000) + 1;
		}
		if (poll(&pfd, 1, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!pfd.revents)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(&raw, &rlen, &rcap, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out->seconds = now_seconds() - start;
	parse_output(raw ? raw : (char *)"", out, &have_rec, &rec_code);
	free(raw);

	if (killed) {
		out->result = KMEMU_FAIL;
		snprintf(out->reason, sizeof(out->reason), "timed out after %u s (killed)", timeout);
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		out->result = KMEMU_FAIL;
		if (sig == SIGALRM)
			snprintf(out->reason, sizeof(out->reason), "timed out after %u s (SIGALRM)",
				 timeout);
		else
			snprintf(out->reason, sizeof(out->reason), "killed by %s (%s)",
				 kmemu_signal_name(sig), strsignal(sig));
	} else if (WIFEXITED(status) && have_rec && rec_code == WEXITSTATUS(status) &&
		   rec_code >= KMEMU_PASS && rec_code <= KMEMU_XPASS) {
		out->result = (enum kmemu_result)rec_code;
	} else {
		out->result = KMEMU_FAIL;
		snprintf(out->reason, sizeof(out->reason), "child exited with status %d%s",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 have_rec ? " after its result record" : " without a result");
	}
	return 0;
}
#endif /* !_WIN32 */
